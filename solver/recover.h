/* Post-processing of a solved load case: stresses at integration points
 * recovered to nodes per material (never averaged across a material
 * interface), von Mises and principal stresses, reactions on constrained
 * groups with the equilibrium check, group summaries and probes. */
#ifndef FEMORA_RECOVER_H
#define FEMORA_RECOVER_H

#include "model.h"

/* Node copies: one per (node, material) pair, so that each material keeps
 * its own nodal stress on an interface. */
typedef struct {
  int ncopy;
  int *copy_node; /* model node of each copy */
  int *copy_mat;  /* material of each copy */
  int *elem_copy; /* nelem * npe: copy used by each element node */
  /* probes located once: element and natural coordinates */
  int *probe_elem;
  double *probe_xi; /* 3 per probe */
} FmPost;

typedef struct {
  double max_von_mises, max_principal, min_principal;
  double where_von_mises[3]; /* location of the maximum von Mises stress */
} FmGroupStats;

typedef struct {
  double displacement[3];
  double stress[6]; /* xx yy zz xy yz xz */
  double von_mises;
} FmProbeValue;

typedef struct {
  double *u;      /* 3 * nnodes */
  double *stress; /* 6 * ncopy */
  double *vm;     /* ncopy */
  double *princ;  /* 3 * ncopy, descending */
  double max_displacement;
  FmGroupStats *groups;   /* per material */
  double (*reaction)[3];  /* per constraint */
  double applied[3];      /* sum of applied forces */
  double reaction_sum[3]; /* sum of reactions over all prescribed DOFs */
  double imbalance; /* |applied + reactions| / max(|applied|, sum |reaction|) */
  FmProbeValue *probes;
} FmResult;

/* Build node copies and locate probes (error names a probe outside the
 * mesh). */
int fm_post_init(const FmModel *md, FmPost *post);
/* The number of node copies fm_post_init makes (one per material and node
 * it touches), without making them: what the GPU's memory estimate counts. */
int fm_post_count_copies(const FmModel *md, int *ncopy);
/* The element holding point X and its reference coordinates xi (Newton on
 * x(xi) = X, curved TET10 elements included: the search box of each is
 * widened by how far its mid nodes lie off their edges).  Returns 1,
 * recording no error, where no element holds X (to 1e-9 in barycentric
 * terms). */
int fm_mesh_locate(const FmMesh *m, const double X[3], int *elem, double xi[3]);
void fm_post_free(FmPost *post);

/* Recover everything for displacement u (taken over by the result) and load
 * vector f. */
int fm_recover(const FmModel *md, const FmPost *post, double *u,
               const double *f, FmResult *res);

/* Elements per chunk of fm_recover_fields: their stresses and forces
 * computed on every core into a buffer (9 doubles a node: 11.5 MB for
 * TET10 at the default 16384), then added in element order by one thread
 * (a variable for the tests, t412). */
extern int fm_recover_chunk;
/* The nodal fields of displacement u: stress averaged per copy (6 per
 * copy), von Mises (1) and principal stresses (3, descending) per copy, and
 * the internal forces fint (3 per node, for the reactions); the same bits
 * on any number of threads. */
int fm_recover_fields(const FmModel *md, const FmPost *post, const double *u,
                      double *stress, double *vm, double *princ, double *fint);
/* The same, computed elsewhere (the GPU, where u lives: FmBackend.fields) */
typedef int (*FmFieldsFn)(void *ctx, const FmModel *md, const FmPost *post,
                          const double *u, double *stress, double *vm,
                          double *princ, double *fint);
/* fm_recover with the fields from fields(ctx, ...) (NULL: on the host) */
int fm_recover_ex(const FmModel *md, const FmPost *post, double *u,
                  const double *f, FmResult *res, FmFieldsFn fields, void *ctx);
void fm_result_free(FmResult *res);

#endif
