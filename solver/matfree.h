/* The stiffness applied element by element, never assembled (the fine
 * level of the p-multigrid, pmg.h): y = K x as the sum of the element
 * actions fm_tet_apply (element.h, the same math the GPU runs), with the
 * prescribed DOFs eliminated as the assembled backends eliminate them
 * (their rows and columns replaced by diag on the diagonal).
 *
 * Deterministic: every element writes its 3 npe forces to its own slots,
 * then every node gathers its elements' slots in element order, so the sum
 * is the same on any number of threads (and on the GPU).
 *
 * Memory: the mesh (borrowed), the node -> element-slot lists (4 npe bytes
 * per element) and the element forces (24 npe bytes per element): 0.3 KB
 * per DOF less than a TET10 stiffness in 3x3 blocks' 0.7. */
#ifndef FEMORA_MATFREE_H
#define FEMORA_MATFREE_H

#include <stdint.h>

#include "model.h"

typedef struct {
  int nnodes, nelem, npe;
  const int *conn; /* the model's connectivity and coordinates (borrowed) */
  const double *x;
  double *E, *nu;    /* per element */
  int64_t *sptr;     /* nnodes + 1: node I's element slots sptr[I]..[I+1] */
  int *slot;         /* e npe + a, in increasing e */
  double *fe;        /* nelem * 3 npe element forces (work) */
  const char *fixed; /* per DOF, 1 where prescribed (borrowed; may be NULL) */
  double diag;       /* the prescribed rows' diagonal */
  int generic;       /* TET10 actions by fm_tet_apply_generic (A/B only) */
} FmMatFree;

/* FEMORA_MF_ACTION: the TET10 element action, "tet10" (fm_tet10_apply_at,
 * the default) or "generic" (fm_tet_apply_generic: to compare their
 * speed, host and GPU); *generic 1 for the latter.  Fails on another
 * value, naming the case file. */
int fm_matfree_action(const char *path, int *generic);

/* The node -> element-slot lists of mesh m: node I's slots e npe + a
 * (element e's node a is I) at slot[sptr[I] .. sptr[I + 1]), in increasing
 * e; sptr (nnodes + 1) and slot (npe nelem) allocated by the caller. */
void fm_matfree_slots(const FmMesh *m, int64_t *sptr, int *slot);
/* fixed: per DOF (3 nnodes), borrowed for the operator's life (NULL:
 * none).  Fails (fm_error naming the element) on an inverted or degenerate
 * element. */
int fm_matfree_create(const FmModel *md, const char *fixed, double diag,
                      FmMatFree *op);
/* y = K x with the prescribed DOFs eliminated (eliminate 1: rows and
 * columns of prescribed DOFs replaced by diag on the diagonal) or not (0:
 * the full stiffness, for the lift K g). */
void fm_matfree_apply(FmMatFree *op, int eliminate, const double *x, double *y);
/* d = the diagonal of K (eliminated: diag on prescribed DOFs). */
void fm_matfree_diagonal(FmMatFree *op, int eliminate, double *d);
/* db = K's 3x3 diagonal blocks, 9 per node row-major (eliminate: a
 * prescribed DOF's row and column zero but diag on the diagonal). */
int fm_matfree_diagonal_blocks(const FmMatFree *op, int eliminate, double *db);
void fm_matfree_free(FmMatFree *op);

#endif
