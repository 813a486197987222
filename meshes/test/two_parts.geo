// Two boxes touching at x = 1 but meshed apart (no BooleanFragments): each
// has its own nodes on the shared plane, so the mesh is two separate parts
// (Femora's rigid-body check per part, t726).  Volume groups "left",
// "right"; surfaces "xmin" (x = 0) and "xmax" (x = 2).
SetFactory("OpenCASCADE");
Box(1) = {0, 0, 0, 1, 1, 1};
Box(2) = {1, 0, 0, 1, 1, 1};
Physical Volume("left", 1) = {1};
Physical Volume("right", 2) = {2};
Physical Surface("xmin") = {Surface In BoundingBox{-0.1, -0.1, -0.1, 0.1, 1.1, 1.1}};
Physical Surface("xmax") = {Surface In BoundingBox{1.9, -0.1, -0.1, 2.1, 1.1, 1.1}};
Mesh.CharacteristicLengthMax = 0.5;
