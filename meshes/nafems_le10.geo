// nafems_le10.geo -- NAFEMS LE10 "thick plate pressure" (units m).
// Quarter of an elliptic annular plate, x >= 0, y >= 0:
//   inner ellipse (x/2)^2 + (y/1)^2 = 1, outer (x/3.25)^2 + (y/2.75)^2 = 1,
//   thickness 0.6, -0.3 <= z <= 0.3.
// Built as two layers (z <= 0 and z >= 0, both in "plate") so the outer
// face is split along its mid-plane curve "outer_mid".
// NAFEMS points: A (0,1) B (0,2.75) C (3.25,0) D (2,0); target: sigma_yy at
// D = (2, 0, 0.3) is -5.38 MPa.  Boundary conditions: see docs/meshes.md.
// Volume "plate"; surfaces "top" (z = 0.3, pressure 1 MPa), "xsym" (in the
// plane x = 0: u_x = 0), "ysym" (in y = 0: u_y = 0), "outer" (outer
// elliptic face: u_x = u_y = 0); curve "outer_mid" (outer face at z = 0:
// u_z = 0); point "D" (2, 0, 0.3).
SetFactory("OpenCASCADE");

DefineConstant[
  h = {0.15, Min 1e-4, Name "Parameters/h"},
  refine_D = {1, Min 1, Max 100, Name "Parameters/refine_D"}
];

t = 0.6;
Disk(1) = {0, 0, -t/2, 3.25, 2.75};
Disk(2) = {0, 0, -t/2, 2, 1};
Rectangle(3) = {0, 0, -t/2, 4, 4};
BooleanDifference(4) = { Surface{1}; Delete; }{ Surface{2}; Delete; };
BooleanIntersection(5) = { Surface{4}; Delete; }{ Surface{3}; Delete; };
low() = Extrude {0, 0, t/2} { Surface{5}; };
up() = Extrude {0, 0, t/2} { Surface{low(0)}; };
BooleanFragments{ Volume{low(1), up(1)}; Delete; }{}

e = 1e-6;
Physical Volume("plate") = Volume In BoundingBox{-e, -e, -t/2 - e, 3.25 + e, 2.75 + e, t/2 + e};
Physical Surface("top") = Surface In BoundingBox{-e, -e, t/2 - e, 3.25 + e, 2.75 + e, t/2 + e};
Physical Surface("xsym") = Surface In BoundingBox{-e, -e, -t/2 - e, e, 2.75 + e, t/2 + e};
Physical Surface("ysym") = Surface In BoundingBox{-e, -e, -t/2 - e, 3.25 + e, e, t/2 + e};
outer() = {};
all() = Surface In BoundingBox{-e, -e, -t/2 - e, 3.25 + e, 2.75 + e, t/2 + e};
For i In {0 : #all() - 1}
  bb() = BoundingBox Surface{all(i)};   // xmin ymin zmin xmax ymax zmax
  If (bb(5) - bb(2) > e && bb(3) > 2 + 1e-3 && bb(4) > 1 + 1e-3)
    outer() += all(i);                  // vertical, beyond the inner ellipse
  EndIf
EndFor
Physical Surface("outer") = {outer()};
mid() = {};
allc() = Curve In BoundingBox{-e, -e, -e, 3.25 + e, 2.75 + e, e};
For i In {0 : #allc() - 1}
  bb() = BoundingBox Curve{allc(i)};
  If (bb(3) > 2 + 1e-3 && bb(4) > 1 + 1e-3)
    mid() += allc(i);                   // the outer elliptic arc at z = 0
  EndIf
EndFor
Physical Curve("outer_mid") = {mid()};
Physical Point("D") = Point In BoundingBox{2 - e, -e, t/2 - e, 2 + e, e, t/2 + e};

// Size h, optionally h/refine_D near D (within 0.1 m, back to h at 1 m).
Field[1] = Distance;
Field[1].NodesList = {Point In BoundingBox{2 - e, -e, t/2 - e, 2 + e, e, t/2 + e}};
Field[2] = Threshold;
Field[2].IField = 1;
Field[2].LcMin = h / refine_D;
Field[2].LcMax = h;
Field[2].DistMin = 0.1;
Field[2].DistMax = 1.0;
Background Field = 2;
Mesh.MeshSizeMin = 0;
Mesh.MeshSizeMax = h;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
Mesh.MeshSizeExtendFromBoundary = 0;
