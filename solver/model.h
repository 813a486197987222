/* The model: a validated case, its mesh, the material of every element, the
 * prescribed displacements, and the load vectors.  Everything here is plain C
 * (no PETSc, no Gmsh) so that every backend starts from the same model. */
#ifndef FEMORA_MODEL_H
#define FEMORA_MODEL_H

#include "case.h"
#include "mesh.h"

typedef struct {
  FmCase cs;
  FmMesh mesh;
  int *elem_mat; /* material index of every element */
  /* prescribed displacements: sorted unique global DOFs (3*node + comp) */
  int ndir;
  int *dir_dof;
  double *dir_val;
  char mesh_path[4096]; /* the MSH file that was read */
  int nparts;           /* separate parts of the mesh (sharing no nodes) */
} FmModel;

/* Build the model from a parsed case whose mesh file exists (fm_run meshes
 * geometry scripts first and passes the MSH path).  Reads the mesh, sets its
 * order, checks elements, resolves groups and materials, collects the
 * prescribed displacements and checks that they prevent rigid motion. */
int fm_model_build(FmModel *md, const char *msh_path);

/* Consistent nodal load vector f[3*nnodes] (zeroed first) of load case lc:
 * surface loads on triangles of their groups, body forces on every element. */
int fm_model_load_vector(const FmModel *md, int lc, double *f);

/* Indices of the constraint groups' nodes: for constraint k, the sorted node
 * list of its group (allocated; caller frees). */
int fm_model_constraint_nodes(const FmModel *md, int k, int *n, int **nodes);

void fm_model_free(FmModel *md);

#endif
