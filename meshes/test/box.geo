// Unit box with physical groups of every dimension (Femora mesh tests).
SetFactory("OpenCASCADE");
Box(1) = {0, 0, 0, 1, 1, 1};
Physical Volume("solid", 100) = {1};
Physical Surface("xmin", 11) = {1};
Physical Surface("xmax", 12) = {2};
Physical Surface("sides", 13) = {3, 4, 5, 6};
Physical Curve("edge", 21) = {1};
Physical Point("corner", 31) = {1};
Mesh.CharacteristicLengthMax = 0.45;
