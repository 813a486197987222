// Two boxes fused with BooleanFragments: shared interface, two volume groups
// (Femora mesh tests).  Saved with Mesh.SaveAll so that entities without a
// physical group (most surfaces) are written too.
SetFactory("OpenCASCADE");
Box(1) = {0, 0, 0, 1, 1, 1};
Box(2) = {1, 0, 0, 1, 1, 1};
BooleanFragments{ Volume{1}; Delete; }{ Volume{2}; Delete; }
Physical Volume("left", 1) = {1};
Physical Volume("right", 2) = {2};
Physical Surface("load") = {Surface In BoundingBox{1.9, -0.1, -0.1, 2.1, 1.1, 1.1}};
Physical Surface("interface") = {Surface In BoundingBox{0.9, -0.1, -0.1, 1.1, 1.1, 1.1}};
Mesh.CharacteristicLengthMax = 0.5;
Mesh.SaveAll = 1;
