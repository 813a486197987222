// bar2.geo -- two-material bar along x (units mm): "left" [0,L1] and
// "right" [L1,L1+L2], cross-section [0,W] x [0,W], conforming interface.
// Volumes "left", "right"; surfaces "xmin" (x = 0), "xmax" (x = L1+L2),
// "ymin" (both y = 0 faces), "zmin" (both z = 0 faces), "interface" (x = L1).
SetFactory("OpenCASCADE");

DefineConstant[
  L1 = {50, Min 1e-6, Name "Parameters/L1"},
  L2 = {50, Min 1e-6, Name "Parameters/L2"},
  W  = {10, Min 1e-6, Name "Parameters/W"},
  h  = {2.5, Min 1e-6, Name "Parameters/h"}
];

Box(1) = {0, 0, 0, L1, W, W};
Box(2) = {L1, 0, 0, L2, W, W};
BooleanFragments{ Volume{1, 2}; Delete; }{}   // one shared face at x = L1

L = L1 + L2;
e = 1e-6 * (L + W);
Physical Volume("left") = Volume In BoundingBox{-e, -e, -e, L1 + e, W + e, W + e};
Physical Volume("right") = Volume In BoundingBox{L1 - e, -e, -e, L + e, W + e, W + e};
Physical Surface("xmin") = Surface In BoundingBox{-e, -e, -e, e, W + e, W + e};
Physical Surface("xmax") = Surface In BoundingBox{L - e, -e, -e, L + e, W + e, W + e};
Physical Surface("ymin") = Surface In BoundingBox{-e, -e, -e, L + e, e, W + e};
Physical Surface("zmin") = Surface In BoundingBox{-e, -e, -e, L + e, W + e, e};
Physical Surface("interface") = Surface In BoundingBox{L1 - e, -e, -e, L1 + e, W + e, W + e};

Mesh.MeshSizeMin = 0;
Mesh.MeshSizeMax = h;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
