// segmental.geo -- segmental femoral implant in distal femur (units mm).
// Femur axis = +z.  Bundled default model of femora.
//
//   z = 80+L  +-----------+   "proximal" (top disk of the implant body)
//             |   body    |   "abductor": body's outer cylinder, x > 0,
//   z = 80+L-20 ...........     top 20 mm
//             |  (r = 12) |
//   z = 80    +--+-+-+-+--+
//             |b |c|s|c| b|   s: stem r <= 4.5 (implant), c: cement mantle
//             |o |e|t|e| o|      4.5 <= r <= 5.5, b: cortical bone tube
//   z = 20    |n +-+-+-+ n|      5.5 <= r <= 12
//             |e | canal | e|  canal (r < 5.5) empty below z = 20
//   z = 0     +--+       +--+ "distal" (bone annulus at z = 0)
//
// Volumes: "implant" (body + stem), "bone", "cement".
// Surfaces: "distal", "proximal", "abductor".
// The body's top 20 mm is built from two half cylinders (x >= 0, x <= 0) so
// that "abductor" is exactly one face; all parts are fragmented together
// (BooleanFragments) so the mesh is conforming across every interface.
SetFactory("OpenCASCADE");

DefineConstant[
  h = {3.0, Min 0.2, Max 20, Name "Parameters/h"},
  extension = {0, Min -59, Max 400, Name "Parameters/extension"},
  h_cement = {1.0, Min 0.05, Max 20, Name "Parameters/h_cement"},
  bone_scale = {1.0, Min 0.8, Max 1.6, Name "Parameters/bone_scale"}
];

Rb = 12;        // implant body radius (= bone outer radius at bone_scale 1)
Ro = Rb * bone_scale;  // bone outer radius: the bone grows, the implant not
Rm = Ro > Rb ? Ro : Rb; // largest radius, for the selections below
Rc = 5.5;       // canal radius = cement outer radius
Rs = 4.5;       // stem radius = cement inner radius
zc = 20;        // bottom of stem and cement
zj = 80;        // joint: bone/implant body
L = 80 + extension;
zt = zj + L;    // top of the implant
za = zt - 20;   // start of the abductor zone

Cylinder(1) = {0, 0, 0, 0, 0, zj, Ro};
Cylinder(2) = {0, 0, 0, 0, 0, zj, Rc};
BooleanDifference(3) = { Volume{1}; Delete; }{ Volume{2}; Delete; };      // bone tube
Cylinder(4) = {0, 0, zc, 0, 0, zj - zc, Rs};                              // stem
Cylinder(5) = {0, 0, zc, 0, 0, zj - zc, Rc};
BooleanDifference(6) = { Volume{5}; Delete; }{ Volume{4}; };              // cement
Cylinder(7) = {0, 0, zj, 0, 0, za - zj, Rb};                              // body, lower
Cylinder(8) = {0, 0, za, 0, 0, 20, Rb, Pi};                               // body top, y >= 0 ...
Rotate {{0, 0, 1}, {0, 0, 0}, -Pi/2} { Volume{8}; }                       // ... turned to x >= 0
Cylinder(9) = {0, 0, za, 0, 0, 20, Rb, Pi};
Rotate {{0, 0, 1}, {0, 0, 0}, Pi/2} { Volume{9}; }                        // x <= 0
BooleanFragments{ Volume{3, 4, 6, 7, 8, 9}; Delete; }{}

e = 1e-3;
stem() = Volume In BoundingBox{-Rs-e, -Rs-e, zc-e, Rs+e, Rs+e, zj+e};
inner() = Volume In BoundingBox{-Rc-e, -Rc-e, zc-e, Rc+e, Rc+e, zj+e};   // stem + cement
lower() = Volume In BoundingBox{-Rm-e, -Rm-e, -e, Rm+e, Rm+e, zj+e};     // bone + cement + stem
body() = Volume In BoundingBox{-Rb-e, -Rb-e, zj-e, Rb+e, Rb+e, zt+e};
cement() = inner();
cement() -= stem();
bone() = lower();
bone() -= inner();

Physical Volume("implant") = {body(), stem()};
Physical Volume("bone") = {bone()};
Physical Volume("cement") = {cement()};

Physical Surface("distal") = Surface In BoundingBox{-Rm-e, -Rm-e, -e, Rm+e, Rm+e, e};
Physical Surface("proximal") = Surface In BoundingBox{-Rb-e, -Rb-e, zt-e, Rb+e, Rb+e, zt+e};
abd() = {};
cand() = Surface In BoundingBox{-e, -Rb-e, za-e, Rb+e, Rb+e, zt+e};
For i In {0 : #cand() - 1}
  bb() = BoundingBox Surface{cand(i)};   // xmin ymin zmin xmax ymax zmax
  If (bb(5) - bb(2) > 1 && bb(3) > 1)    // not a disk, not the x = 0 cut
    abd() += cand(i);
  EndIf
EndFor
Physical Surface("abductor") = {abd()};

// Mesh size: h everywhere, min(h, h_cement) in the 1 mm cement mantle,
// growing back to h over 2h away from the cement's cylindrical faces.
cf() = {};
cs() = Surface In BoundingBox{-Rc-e, -Rc-e, zc-e, Rc+e, Rc+e, zj+e};
For i In {0 : #cs() - 1}
  bb() = BoundingBox Surface{cs(i)};
  If (bb(5) - bb(2) > 1)                 // lateral (r = 4.5 or 5.5) faces
    cf() += cs(i);
  EndIf
EndFor
hc = (h_cement < h) ? h_cement : h;
Field[1] = Distance;
Field[1].FacesList = {cf()};
Field[1].NumPointsPerCurve = 100;
Field[2] = Threshold;
Field[2].IField = 1;
Field[2].LcMin = hc;
Field[2].LcMax = h;
Field[2].DistMin = 0.5 * (Rc - Rs);
Field[2].DistMax = 0.5 * (Rc - Rs) + 2 * h;
Background Field = 2;
Mesh.MeshSizeMin = 0;
Mesh.MeshSizeMax = h;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
Mesh.MeshSizeExtendFromBoundary = 0;
