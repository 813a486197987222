// cylinder.geo -- quarter of a thick-walled cylinder (units mm).
// Axis z; wall a <= r <= b, 0 <= z <= Lz, in the quadrant x >= 0, y >= 0.
// Volume "wall"; surfaces "inner" (r = a), "outer" (r = b), "xsym" (the
// face in the plane x = 0), "ysym" (the face in the plane y = 0), "zmin"
// (z = 0), "zmax" (z = Lz).
SetFactory("OpenCASCADE");

DefineConstant[
  a  = {10, Min 1e-6, Name "Parameters/a"},
  b  = {20, Min 1e-6, Name "Parameters/b"},
  Lz = {5, Min 1e-6, Name "Parameters/Lz"},
  h  = {1.5, Min 1e-6, Name "Parameters/h"}
];
If (b <= a)
  Error("cylinder.geo: outer radius b = %g must exceed inner radius a = %g", b, a);
EndIf

Cylinder(1) = {0, 0, 0, 0, 0, Lz, b, Pi/2};
Cylinder(2) = {0, 0, 0, 0, 0, Lz, a, Pi/2};
BooleanDifference(3) = { Volume{1}; Delete; }{ Volume{2}; Delete; };

e = 1e-6 * b;
Physical Volume("wall") = {3};
Physical Surface("inner") = Surface In BoundingBox{-e, -e, -e, a + e, a + e, Lz + e};
outer() = {};
all() = Surface In BoundingBox{-e, -e, -e, b + e, b + e, Lz + e};
For i In {0 : #all() - 1}
  bb() = BoundingBox Surface{all(i)};   // xmin ymin zmin xmax ymax zmax
  If (bb(5) - bb(2) > e && bb(3) > a + e && bb(4) > a + e)
    outer() += all(i);                  // curved, reaching r = b in x and y
  EndIf
EndFor
Physical Surface("outer") = {outer()};
Physical Surface("xsym") = Surface In BoundingBox{-e, -e, -e, e, b + e, Lz + e};
Physical Surface("ysym") = Surface In BoundingBox{-e, -e, -e, b + e, e, Lz + e};
Physical Surface("zmin") = Surface In BoundingBox{-e, -e, -e, b + e, b + e, e};
Physical Surface("zmax") = Surface In BoundingBox{-e, -e, Lz - e, b + e, b + e, Lz + e};

Mesh.MeshSizeMin = 0;
Mesh.MeshSizeMax = h;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
