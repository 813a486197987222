/* A Gmsh-free generator of implant + bone models for benchmarks at any size
 * (the GPU machine has no Gmsh): a square-section version of the segmental
 * implant of meshes/segmental.geo on a structured grid of hexahedra, each cut
 * into 6 tetrahedra (Freudenthal), conforming across the materials.
 *   bone   z in [0, 80], 24 x 24 mm section with a 11 x 11 mm canal
 *   cement z in [20, 80], between the canal wall and the stem (1 mm)
 *   implant: stem 9 x 9 mm for z in [20, 80], body 24 x 24 mm for z in [80,
 * 160] the canal below the stem (z < 20) is empty Groups: volumes implant,
 * bone, cement; surfaces distal (z = 0), proximal (z = 160), abductor (x = +12,
 * z in [140, 160]). */
#ifndef FEMORA_GENERATE_H
#define FEMORA_GENERATE_H

#include "mesh.h"

/* TET4 mesh with cells of about h mm (h > 0; the 1 mm cement layer gets at
 * least one cell). */
int fm_generate_implant(double h, FmMesh *m);

#endif
