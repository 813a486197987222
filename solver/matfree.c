#include "matfree.h"

#include <stdlib.h>
#include <string.h>

#include "element.h"
#include "error.h"

void fm_matfree_slots(const FmMesh *m, int64_t *sptr, int *slot) {
  const int64_t nk = (int64_t)m->nelem * m->npe;
  memset(sptr, 0, ((size_t)m->nnodes + 1) * sizeof *sptr);
  for (int64_t k = 0; k < nk; k++) /* a counting sort by node */
    sptr[m->conn[k] + 1]++;
  for (int i = 0; i < m->nnodes; i++)
    sptr[i + 1] += sptr[i];
  for (int64_t k = 0; k < nk; k++)
    slot[sptr[m->conn[k]]++] = (int)k;
  for (int i = m->nnodes; i > 0; i--)
    sptr[i] = sptr[i - 1];
  sptr[0] = 0;
}

int fm_matfree_action(const char *path, int *generic) {
  const char *v = getenv("FEMORA_MF_ACTION");
  *generic = v && !strcmp(v, "generic");
  if (v && *v && !*generic && strcmp(v, "tet10"))
    return fm_error("%s: solver.preconditioner: FEMORA_MF_ACTION=%s: must be "
                    "tet10 or generic",
                    path, v);
  return 0;
}

int fm_matfree_create(const FmModel *md, const char *fixed, double diag,
                      FmMatFree *op) {
  const FmMesh *m = &md->mesh;
  const int npe = m->npe, nn = m->nnodes, ne = m->nelem;
  memset(op, 0, sizeof *op);
  FM_CALL(fm_matfree_action(md->cs.path, &op->generic));
  op->nnodes = nn;
  op->nelem = ne;
  op->npe = npe;
  op->conn = m->conn;
  op->x = m->x;
  op->fixed = fixed;
  op->diag = diag;
  op->E = fm_calloc((size_t)ne + 1, sizeof(double));
  op->nu = fm_calloc((size_t)ne + 1, sizeof(double));
  op->sptr = fm_calloc((size_t)nn + 1, sizeof(int64_t));
  op->slot = fm_calloc((size_t)ne * npe + 1, sizeof(int));
  op->fe = fm_calloc((size_t)ne * 3 * npe + 1, sizeof(double));
  if (!op->E || !op->nu || !op->sptr || !op->slot || !op->fe) {
    fm_matfree_free(op);
    return 1;
  }
  for (int e = 0; e < ne; e++) {
    const FmMaterial *mat = &md->cs.materials[md->elem_mat[e]];
    op->E[e] = mat->E;
    op->nu[e] = mat->nu;
  }
  fm_matfree_slots(m, op->sptr, op->slot);
  /* every element must have a positive Jacobian at its quadrature points */
  int bad = -1;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(max : bad)
#endif
  for (int e = 0; e < ne; e++) {
    double xe[3 * FM_TET_MAX_NPE], de[3 * FM_TET_MAX_NPE];
    for (int a = 0; a < npe; a++)
      for (int q = 0; q < 3; q++)
        xe[3 * a + q] = m->x[3 * m->conn[(size_t)e * npe + a] + q];
    if (!(fm_tet_diagonal(npe, xe, op->E[e], op->nu[e], de) > 0) && e > bad)
      bad = e;
  }
  if (bad >= 0) {
    const long tag = m->elem_tag ? m->elem_tag[bad] : bad + 1;
    fm_matfree_free(op);
    return fm_error("%s: element %ld: inverted or degenerate at a quadrature "
                    "point (matrix-free operator)",
                    m->file, tag);
  }
  return 0;
}

/* y = the sum of each node's element slots (in element order); on a
 * prescribed DOF (fx given) diag x there, or diag where x is NULL (the
 * diagonal) */
static void gather(const FmMatFree *op, const char *fx, const double *x,
                   double *y) {
  const int nn = op->nnodes;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (nn > 2000)
#endif
  for (int i = 0; i < nn; i++) {
    double s[3] = {0.0, 0.0, 0.0};
    for (int64_t k = op->sptr[i]; k < op->sptr[i + 1]; k++) {
      const double *f = op->fe + 3 * (size_t)op->slot[k];
      s[0] += f[0];
      s[1] += f[1];
      s[2] += f[2];
    }
    for (int q = 0; q < 3; q++) {
      const int64_t dof = 3 * (int64_t)i + q;
      y[dof] = fx && fx[dof] ? op->diag * (x ? x[dof] : 1.0) : s[q];
    }
  }
}

void fm_matfree_apply(FmMatFree *op, int eliminate, const double *x,
                      double *y) {
  const int npe = op->npe, ne = op->nelem;
  const char *fx = eliminate ? op->fixed : NULL;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (ne > 2000)
#endif
  for (int e = 0; e < ne; e++) {
    const int *c = op->conn + (size_t)e * npe;
    double xe[3 * FM_TET_MAX_NPE], ue[3 * FM_TET_MAX_NPE];
    for (int a = 0; a < npe; a++)
      for (int q = 0; q < 3; q++) {
        const int64_t dof = 3 * (int64_t)c[a] + q;
        xe[3 * a + q] = op->x[dof];
        ue[3 * a + q] = fx && fx[dof] ? 0.0 : x[dof];
      }
    /* the element counts as constants, so the compiler unrolls for them;
     * the nodes gathered first (fm_tet10_apply_at could read them where
     * they lie, as the GPU's kernel does: 15% slower here at 448k DOF) */
    if (npe == 10 && op->generic)
      fm_tet_apply_generic(10, xe, op->E[e], op->nu[e], ue,
                           op->fe + (size_t)e * 30);
    else if (npe == 10)
      fm_tet_apply(10, xe, op->E[e], op->nu[e], ue, op->fe + (size_t)e * 30);
    else
      fm_tet_apply(4, xe, op->E[e], op->nu[e], ue, op->fe + (size_t)e * 12);
  }
  gather(op, fx, x, y);
}

/* buf = every element's diagonal (bs 1, 3 npe values) or 3x3 diagonal
 * blocks (bs 3, 9 npe) */
static void element_diagonals(const FmMatFree *op, int bs, double *buf) {
  const int npe = op->npe, ne = op->nelem;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (ne > 2000)
#endif
  for (int e = 0; e < ne; e++) {
    double xe[3 * FM_TET_MAX_NPE];
    const int *c = op->conn + (size_t)e * npe;
    for (int a = 0; a < npe; a++)
      for (int q = 0; q < 3; q++)
        xe[3 * a + q] = op->x[3 * (int64_t)c[a] + q];
    fm_tet_diagonal_bs(npe, bs, xe, op->E[e], op->nu[e],
                       buf + (size_t)e * 3 * bs * npe);
  }
}

void fm_matfree_diagonal(FmMatFree *op, int eliminate, double *d) {
  element_diagonals(op, 1, op->fe);
  gather(op, eliminate ? op->fixed : NULL, NULL, d);
}

int fm_matfree_diagonal_blocks(const FmMatFree *op, int eliminate, double *db) {
  const int nn = op->nnodes;
  double *eb = fm_calloc((size_t)op->nelem * 9 * op->npe + 1, sizeof(double));
  if (!eb)
    return 1;
  element_diagonals(op, 3, eb);
  const char *fx = eliminate ? op->fixed : NULL;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (nn > 2000)
#endif
  for (int i = 0; i < nn; i++) {
    double s[9] = {0.0};
    for (int64_t k = op->sptr[i]; k < op->sptr[i + 1]; k++)
      for (int t = 0; t < 9; t++)
        s[t] += eb[9 * (size_t)op->slot[k] + t];
    for (int p = 0; p < 3; p++)
      for (int q = 0; q < 3; q++) {
        const int fp = fx && fx[3 * (int64_t)i + p],
                  fq = fx && fx[3 * (int64_t)i + q];
        db[9 * (size_t)i + 3 * p + q] =
            fp || fq ? (p == q ? op->diag : 0.0) : s[3 * p + q];
      }
  }
  free(eb);
  return 0;
}

void fm_matfree_free(FmMatFree *op) {
  free(op->E);
  free(op->nu);
  free(op->sptr);
  free(op->slot);
  free(op->fe);
  memset(op, 0, sizeof *op);
}
