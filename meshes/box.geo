// box.geo -- rectangular block [0,Lx] x [0,Ly] x [0,Lz] (mm), unstructured tets.
// Groups: volume "solid"; surfaces "xmin" "xmax" "ymin" "ymax" "zmin" "zmax";
// curve "edge_x" (y = 0, z = 0); point "origin" (0,0,0).
SetFactory("OpenCASCADE");

DefineConstant[
  Lx = {100, Min 1e-6, Name "Parameters/Lx"},
  Ly = {10, Min 1e-6, Name "Parameters/Ly"},
  Lz = {10, Min 1e-6, Name "Parameters/Lz"},
  h  = {2.5, Min 1e-6, Name "Parameters/h"}
];

Box(1) = {0, 0, 0, Lx, Ly, Lz};

e = 1e-6 * (Lx + Ly + Lz);
Physical Volume("solid") = {1};
Physical Surface("xmin") = Surface In BoundingBox{-e, -e, -e, e, Ly + e, Lz + e};
Physical Surface("xmax") = Surface In BoundingBox{Lx - e, -e, -e, Lx + e, Ly + e, Lz + e};
Physical Surface("ymin") = Surface In BoundingBox{-e, -e, -e, Lx + e, e, Lz + e};
Physical Surface("ymax") = Surface In BoundingBox{-e, Ly - e, -e, Lx + e, Ly + e, Lz + e};
Physical Surface("zmin") = Surface In BoundingBox{-e, -e, -e, Lx + e, Ly + e, e};
Physical Surface("zmax") = Surface In BoundingBox{-e, -e, Lz - e, Lx + e, Ly + e, Lz + e};
Physical Curve("edge_x") = Curve In BoundingBox{-e, -e, -e, Lx + e, e, e};
Physical Point("origin") = Point In BoundingBox{-e, -e, -e, e, e, e};

// Unstructured (Delaunay) tetrahedra of size h; a patch test needs an
// irregular mesh, so no transfinite/structured meshing here.
Mesh.MeshSizeMin = 0;
Mesh.MeshSizeMax = h;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
