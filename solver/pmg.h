/* p-multigrid over the smoothed-aggregation multigrid, for TET10 models
 * whose stiffness is applied element by element (matfree.h) and never
 * assembled (solver.preconditioner: pmg).
 *
 * Level 0 is the quadratic (TET10) field: its operator is the caller's
 * (a callback), smoothed by Chebyshev in D^-1 A (D its diagonal) on
 * [lmax/11, lmax] as every level of amg.c.  Level 1 is the linear (TET4)
 * field on the corner nodes, reached by the exact embedding P (a corner
 * node to itself, a mid-edge node the mean of its edge's two corners; the
 * same transfer as the PETSc backend's p-multigrid), R = P^T, with the
 * linear elements' stiffness assembled on the corner nodes as its operator
 * (for straight-edged elements exactly P^T K P) and the prescribed DOFs
 * eliminated: P has no entry in a prescribed row or column, so the
 * correction vanishes there.  Below it, the smoothed-aggregation hierarchy
 * of amg.c on that operator (its options: FEMORA_AMG_*).  The cycle is
 * amg.c's V-cycle over the levels together (fm_amg_cycle).
 *
 * Memory: no fine stiffness (0.7 KB per DOF in 3x3 blocks on TET10
 * models); the corner operator is about a twelfth of it. */
#ifndef FEMORA_PMG_H
#define FEMORA_PMG_H

#include "amg.h"
#include "csr.h"
#include "model.h"

typedef struct {
  int n0, n1;       /* DOFs of level 0 (all nodes) and 1 (corner nodes) */
  int *corner_node; /* n1 / 3: the model node of each corner node */
  FmCsr P, R;       /* n0 x n1 embedding and its transpose */
  int bs;           /* level 0's Jacobi: 1 (diagonal) or 3 (3x3 blocks) */
  double *dinv;     /* n0 (bs 1): 1 / level 0's diagonal; 3 n0 (bs 3):
                       its inverse 3x3 diagonal blocks, row-major */
  double emax;      /* 1.1 x the largest eigenvalue of D^-1 A on level 0 */
  void (*apply)(void *ctx, const double *x, double *y); /* y = A x */
  void *ctx;
  FmAmg amg;       /* the smoothed-aggregation hierarchy of level 1 */
  double *w[3];    /* level 0: r, d, and the operator's product */
  int64_t nnz1;    /* level 1's nonzeros */
  double t_corner; /* seconds: level 1's operator (assembly, elimination) */
  double setup_seconds;
} FmPmg;

/* The pieces, for a backend that builds its levels elsewhere (the GPU):
 * the corner nodes of a TET10 mesh (corner_of per node, -1 for a mid-edge
 * node; corner_node per corner: its node; both allocated); */
int fm_pmg_corners(const FmMesh *m, int **corner_of, int **corner_node,
                   int *nc);
/* the embedding P (n0 x n1 scalar CSR, allocated), fixed per DOF (NULL:
 * none): no entry in a prescribed row or column; */
int fm_pmg_embedding(const FmMesh *m, const int *corner_of,
                     const int *corner_node, const char *fixed, int n1,
                     FmCsr *P);
/* the linear mesh on the corner nodes: m1's x (3 per corner) and conn (4
 * per element, corner numbers) allocated, nothing else (no groups). */
int fm_pmg_corner_mesh(const FmMesh *m, const int *corner_of,
                       const int *corner_node, int nc, FmMesh *m1);

/* Set up for the TET10 model md (a TET4 model is an error naming the
 * case): fixed per DOF (NULL: none), diag the prescribed rows' diagonal,
 * d level 0's diagonal (bs 1: n0 = 3 nnodes values, positive) or its 3x3
 * diagonal blocks (bs 3: 9 per node, row-major, positive definite), the
 * Chebyshev smoother's Jacobi; apply level 0's operator.  opt: the
 * smoothed aggregation's options (NULL: defaults). */
int fm_pmg_setup(const FmModel *md, const char *fixed, double diag,
                 const double *d, int bs,
                 void (*apply)(void *ctx, const double *x, double *y),
                 void *ctx, const FmAmgOptions *opt, FmPmg *pm);
/* x = M b: one V-cycle (b, x of length n0). */
int fm_pmg_apply(FmPmg *pm, const double *b, double *x);
/* "p-multigrid: N0 -> N1 DOFs (...), then smoothed aggregation: ..." */
void fm_pmg_describe(const FmPmg *pm, char *buf, size_t size);
void fm_pmg_free(FmPmg *pm);

#endif
