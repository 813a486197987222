/* Mesh a Gmsh geometry script (.geo) through the Gmsh API. */
#ifndef FEMORA_GEOMETRY_H
#define FEMORA_GEOMETRY_H

/* 1 when this build can mesh geometry scripts (linked with libgmsh). */
int fm_geometry_available(void);

/* Mesh the geometry script geo_path in 3D at the given element order (1 or
 * 2), after setting the script's parameters (names[i] = values[i]; each must
 * be declared in the script with DefineConstant, otherwise it is an error
 * naming the parameter), and write the result as MSH 4.1 binary to out_msh
 * (atomically: temporary name, then rename).  Errors name the script and
 * what went wrong (file missing, syntax error, meshing failure, no volume
 * elements). */
int fm_geometry_mesh(const char *geo_path, int nparams,
                     const char (*names)[128], const double *values, int order,
                     const char *out_msh);

#endif
