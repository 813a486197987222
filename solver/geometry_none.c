/* Build without the Gmsh API: geometry scripts cannot be meshed. */
#include "geometry.h"

#include "error.h"

int fm_geometry_available(void) {
  return 0;
}

int fm_geometry_mesh(const char *geo_path, int nparams,
                     const char (*names)[128], const double *values, int order,
                     const char *out_msh) {
  return fm_error("%s: this build of femora has no Gmsh API; mesh the script "
                  "with gmsh and give the .msh file as mesh.file",
                  geo_path);
}
