// Hexahedral box: an unsupported element type for the bad-input tests.
Point(1) = {0, 0, 0};
Point(2) = {1, 0, 0};
Line(1) = {1, 2};
Transfinite Line{1} = 3;
e[] = Extrude{0, 1, 0}{Line{1}; Layers{2}; Recombine;};
v[] = Extrude{0, 0, 1}{Surface{e[1]}; Layers{2}; Recombine;};
Physical Volume("solid") = {v[1]};
Physical Surface("xmin") = {e[1]};
