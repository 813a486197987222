#include "pmg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "element.h"
#include "error.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The corner numbers of edge k of the TET10 element with nodes c, the
 * smaller first */
static void edge_corners(const int *c, int k, const int *corner_of, int ab[2]) {
  const int E[6][2] = FM_TET10_EDGES;
  const int a = corner_of[c[E[k][0]]], b = corner_of[c[E[k][1]]];
  ab[0] = a < b ? a : b;
  ab[1] = a < b ? b : a;
}

/* Row 3 I + p of the embedding: its columns' corner numbers (its corner,
 * or its edge's two corners: ends) into cols; none where the row or the
 * column is prescribed.  Returns their number. */
static int embed_row(int I, int p, const int *corner_of, const int *corner_node,
                     const int *ends, const char *fixed, int cols[2]) {
  if (fixed && fixed[3 * (int64_t)I + p])
    return 0;
  int c[2], n = 0, kept = 0;
  if (corner_of[I] >= 0)
    c[n++] = corner_of[I];
  else
    for (int s = 0; s < 2 && ends[2 * I] >= 0; s++)
      c[n++] = ends[2 * I + s];
  for (int s = 0; s < n; s++)
    if (!(fixed && fixed[3 * (int64_t)corner_node[c[s]] + p]))
      cols[kept++] = c[s];
  return kept;
}

/* The embedding P (n0 x n1): a corner node's DOF to its own, a mid-edge
 * node's to the mean of its edge's corners; no entry in a prescribed row or
 * column (a corner's DOF is prescribed where its model node's is).  In
 * parallel (OpenMP), the same P on any number of threads. */
int fm_pmg_embedding(const FmMesh *m, const int *corner_of,
                     const int *corner_node, const char *fixed, int n1,
                     FmCsr *P) {
  const int nn = m->nnodes, npe = m->npe, ne = m->nelem;
  int *ends = fm_calloc(2 * (size_t)nn + 1, sizeof(int));
  unsigned char *cnt = fm_calloc(3 * (size_t)nn + 1, 1);
  if (!ends || !cnt) {
    free(ends);
    free(cnt);
    return 1;
  }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (nn > 20000)
#endif
  for (int i = 0; i < 2 * nn; i++)
    ends[i] = -1;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (ne > 5000)
#endif
  /* a mid-edge node's two corners: every element on its edge writes the
   * same pair */
  for (int e = 0; e < ne; e++) {
    const int *c = m->conn + (size_t)e * npe;
    for (int k = 0; k < 6; k++) {
      const int mid = c[4 + k];
      if (corner_of[mid] >= 0)
        continue;
      int ab[2];
      edge_corners(c, k, corner_of, ab);
#ifdef _OPENMP
#pragma omp atomic write
#endif
      ends[2 * mid] = ab[0];
#ifdef _OPENMP
#pragma omp atomic write
#endif
      ends[2 * mid + 1] = ab[1];
    }
  }
  /* unless the mesh gives one node to two edges */
  int bad = ne;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(min : bad) if (ne > 5000)
#endif
  for (int e = 0; e < ne; e++) {
    const int *c = m->conn + (size_t)e * npe;
    for (int k = 0; k < 6; k++) {
      const int mid = c[4 + k];
      int ab[2];
      edge_corners(c, k, corner_of, ab);
      if (corner_of[mid] < 0 &&
          (ends[2 * mid] != ab[0] || ends[2 * mid + 1] != ab[1]) && e < bad)
        bad = e;
    }
  }
  if (bad < ne) {
    free(ends);
    free(cnt);
    return fm_error("%s: element %ld: a mid-edge node lies on another "
                    "element's different edge too (p-multigrid embedding)",
                    m->file, m->elem_tag ? m->elem_tag[bad] : (long)bad + 1);
  }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (nn > 20000)
#endif
  for (int I = 0; I < nn; I++)
    for (int p = 0; p < 3; p++) {
      int cols[2];
      cnt[3 * (int64_t)I + p] = (unsigned char)embed_row(
          I, p, corner_of, corner_node, ends, fixed, cols);
    }
  int64_t nnz = 0;
  for (int64_t r = 0; r < 3 * (int64_t)nn; r++)
    nnz += cnt[r];
  int ierr = fm_csr_scalar_alloc(P, 3 * nn, n1, nnz);
  if (!ierr) {
    for (int64_t r = 0; r < 3 * (int64_t)nn; r++)
      P->ptr[r + 1] = P->ptr[r] + cnt[r];
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (nn > 20000)
#endif
    for (int I = 0; I < nn; I++)
      for (int p = 0; p < 3; p++) {
        int cols[2];
        const int nc =
            embed_row(I, p, corner_of, corner_node, ends, fixed, cols);
        int64_t k = P->ptr[3 * (int64_t)I + p];
        for (int s = 0; s < nc; s++, k++) {
          P->col[k] = 3 * cols[s] + p;
          P->val[k] = corner_of[I] >= 0 ? 1.0 : 0.5;
        }
      }
  }
  free(ends);
  free(cnt);
  return ierr;
}

int fm_pmg_corners(const FmMesh *m, int **corner_of, int **corner_node,
                   int *nc) {
  const int nn = m->nnodes;
  int *of = fm_calloc((size_t)nn + 1, sizeof(int)), n = 0;
  if (!of)
    return 1;
  for (int i = 0; i < nn; i++)
    of[i] = -1;
  for (int e = 0; e < m->nelem; e++)
    for (int a = 0; a < 4; a++)
      of[m->conn[(size_t)e * m->npe + a]] = 0;
  for (int i = 0; i < nn; i++)
    if (of[i] == 0)
      of[i] = n++;
  int *node = fm_calloc((size_t)n + 1, sizeof(int));
  if (!node) {
    free(of);
    return 1;
  }
  for (int i = 0; i < nn; i++)
    if (of[i] >= 0)
      node[of[i]] = i;
  *corner_of = of;
  *corner_node = node;
  *nc = n;
  return 0;
}

int fm_pmg_corner_mesh(const FmMesh *m, const int *corner_of,
                       const int *corner_node, int nc, FmMesh *m1) {
  memset(m1, 0, sizeof *m1);
  memcpy(m1->file, m->file, sizeof m1->file);
  m1->nnodes = nc;
  m1->order = 1;
  m1->npe = 4;
  m1->nelem = m->nelem;
  m1->x = fm_calloc(3 * (size_t)nc + 1, sizeof(double));
  m1->conn = fm_calloc(4 * (size_t)m->nelem + 1, sizeof(int));
  if (!m1->x || !m1->conn) {
    free(m1->x);
    free(m1->conn);
    memset(m1, 0, sizeof *m1);
    return 1;
  }
  for (int e = 0; e < m->nelem; e++)
    for (int a = 0; a < 4; a++)
      m1->conn[4 * (size_t)e + a] = corner_of[m->conn[(size_t)e * m->npe + a]];
  for (int i = 0; i < nc; i++)
    for (int p = 0; p < 3; p++)
      m1->x[3 * i + p] = m->x[3 * (int64_t)corner_node[i] + p];
  return 0;
}

/* Level 1's operator: the linear elements on the corner nodes (an FmModel
 * that shares md's case and materials), prescribed DOFs eliminated with
 * diag on the diagonal, as scalar CSR. */
static int corner_operator(const FmModel *md, const FmMesh *m1,
                           const int *corner_node, const char *fixed,
                           double diag, FmCsr *A1) {
  const int nc = m1->nnodes;
  FmModel md1 = *md;
  md1.mesh = *m1;
  int *ids = fm_calloc((size_t)nc + 1, sizeof(int));
  if (!ids)
    return 1;
  for (int i = 0; i < nc; i++)
    ids[i] = i;
  FmBlockCsr B;
  int ierr = fm_csr_assemble(&md1, nc, ids, ids, &B);
  free(ids);
  FM_CALL(ierr);
  for (int r = 0; r < nc && fixed; r++)
    for (int64_t k = B.ptr[r]; k < B.ptr[r + 1]; k++) {
      const int c = B.col[k];
      double *b = B.val + 9 * k;
      for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++)
          if (fixed[3 * (int64_t)corner_node[r] + p] ||
              fixed[3 * (int64_t)corner_node[c] + q])
            b[3 * p + q] = (r == c && p == q) ? diag : 0.0;
    }
  ierr = fm_csr_to_scalar(&B, A1);
  fm_csr_free(&B);
  return ierr;
}

int fm_pmg_setup(const FmModel *md, const char *fixed, double diag,
                 const double *d, int bs,
                 void (*apply)(void *ctx, const double *x, double *y),
                 void *ctx, const FmAmgOptions *opt, FmPmg *pm) {
  const double t0 = now_seconds();
  const FmMesh *m = &md->mesh;
  memset(pm, 0, sizeof *pm);
  if (m->npe != 10)
    return fm_error("%s: solver.preconditioner: pmg needs TET10 elements "
                    "(the mesh has TET4; use amg, or mesh.order: 2)",
                    md->cs.path);
  const int nn = m->nnodes;
  pm->n0 = 3 * nn;
  pm->apply = apply;
  pm->ctx = ctx;
  int *corner_of = NULL, nc = 0;
  FmMesh m1;
  memset(&m1, 0, sizeof m1);
  unsigned char *fixed1 = NULL;
  FmCsr A1;
  memset(&A1, 0, sizeof A1);
  int ierr = fm_pmg_corners(m, &corner_of, &pm->corner_node, &nc);
  pm->n1 = 3 * nc;
  if (!ierr) {
    fixed1 = fm_calloc(3 * (size_t)nc + 1, 1);
    ierr = !fixed1;
  }
  for (int c = 0; !ierr && fixed && c < nc; c++)
    for (int p = 0; p < 3; p++)
      fixed1[3 * c + p] =
          (unsigned char)fixed[3 * (int64_t)pm->corner_node[c] + p];
  if (!ierr)
    ierr =
        fm_pmg_embedding(m, corner_of, pm->corner_node, fixed, pm->n1, &pm->P);
  if (!ierr)
    ierr = fm_csr_scalar_transpose(&pm->P, &pm->R);
  if (!ierr)
    ierr = fm_pmg_corner_mesh(m, corner_of, pm->corner_node, nc, &m1);
  if (!ierr) {
    const double t = now_seconds();
    ierr = corner_operator(md, &m1, pm->corner_node, fixed, diag, &A1);
    pm->t_corner = now_seconds() - t;
  }
  free(corner_of);
  if (!ierr) {
    pm->nnz1 = A1.ptr[A1.nrows];
    ierr = fm_amg_setup_ex(&A1, 1, m1.x, fixed ? fixed1 : NULL, opt, &pm->amg);
  }
  fm_csr_scalar_free(&A1);
  free(m1.x);
  free(m1.conn);
  free(fixed1);
  /* level 0's smoother: its diagonal (or 3x3 diagonal blocks), inverted,
   * and the largest eigenvalue of D^-1 A */
  pm->bs = bs == 3 ? 3 : 1;
  const size_t nd = pm->bs == 3 ? 3 * (size_t)pm->n0 : (size_t)pm->n0;
  if (!ierr) {
    pm->dinv = fm_calloc(nd + 1, sizeof(double));
    for (int k = 0; k < 3; k++)
      pm->w[k] = fm_calloc((size_t)pm->n0 + 1, sizeof(double));
    ierr = !pm->dinv || !pm->w[0] || !pm->w[1] || !pm->w[2];
  }
  for (int i = 0; !ierr && pm->bs == 1 && i < pm->n0; i++) {
    if (!(d[i] > 0))
      ierr = fm_error("%s: node %d: the stiffness has a diagonal that is not "
                      "positive (%g) (p-multigrid)",
                      md->cs.path, i / 3 + 1, d[i]);
    else
      pm->dinv[i] = 1.0 / d[i];
  }
  for (int I = 0; !ierr && pm->bs == 3 && I < pm->n0 / 3; I++) {
    const double *b = d + 9 * (size_t)I;
    if (!(b[0] > 0 && b[4] > 0 && b[8] > 0) ||
        !fm_inv3(b, pm->dinv + 9 * (size_t)I))
      ierr = fm_error("%s: node %d: the stiffness's diagonal block is not "
                      "positive definite (p-multigrid)",
                      md->cs.path, I + 1);
  }
  double lmax = 0.0;
  if (!ierr)
    ierr = fm_amg_lanczos_lmax(pm->n0, pm->dinv, pm->bs, apply, ctx, &lmax);
  if (ierr) {
    fm_pmg_free(pm);
    return 1;
  }
  pm->emax = 1.1 * lmax;
  pm->setup_seconds = now_seconds() - t0;
  return 0;
}

/* ---- the cycle: level 0 here (l is 0), levels 1.. the hierarchy's ---- */

static int op_spmv(void *ctx, int l, int which, double alpha, const void *xv,
                   double beta, void *yv) {
  FmPmg *pm = ctx;
  (void)l;
  const double *x = xv;
  double *y = yv;
  if (which == FM_AMG_P)
    fm_csr_scalar_spmv(&pm->P, alpha, x, beta, y);
  else if (which == FM_AMG_R)
    fm_csr_scalar_spmv(&pm->R, alpha, x, beta, y);
  else {
    double *t = pm->w[2];
    pm->apply(pm->ctx, x, t);
    const int n = pm->n0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 20000)
#endif
    for (int i = 0; i < n; i++)
      y[i] = beta == 0.0 ? alpha * t[i] : alpha * t[i] + beta * y[i];
  }
  return 0;
}

static int op_copy(void *ctx, int l, const void *x, void *y) {
  const FmPmg *pm = ctx;
  (void)l;
  memcpy(y, x, (size_t)pm->n0 * sizeof(double));
  return 0;
}

static int op_cheb(void *ctx, int l, double c1, double c2, const void *rv,
                   void *dv, void *xv, int x_zero) {
  const FmPmg *pm = ctx;
  (void)l;
  const double *r = rv, *dinv = pm->dinv;
  double *d = dv, *x = xv;
  const int n = pm->n0, bs = pm->bs;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 20000)
#endif
  for (int i = 0; i < n; i++) {
    double zi;
    if (bs == 3) { /* row i % 3 of node i / 3's inverse block */
      const double *m = dinv + 9 * (size_t)(i / 3) + 3 * (i % 3);
      const double *rb = r + 3 * (i / 3);
      zi = m[0] * rb[0] + m[1] * rb[1] + m[2] * rb[2];
    } else
      zi = dinv[i] * r[i];
    const double di = (c1 == 0.0 ? 0.0 : c1 * d[i]) + c2 * zi;
    d[i] = di;
    x[i] = x_zero ? di : x[i] + di;
  }
  return 0;
}

int fm_pmg_apply(FmPmg *pm, const double *b, double *x) {
  FmAmgOps top, inner;
  memset(&top, 0, sizeof top);
  top.ctx = pm;
  top.spmv = op_spmv;
  top.copy = op_copy;
  top.cheb = op_cheb;
  top.r[0] = pm->w[0];
  top.d[0] = pm->w[1];
  fm_amg_host_ops(&pm->amg, &inner);
  FmAmgShape in;
  fm_amg_shape(&pm->amg, &in);
  FmAmgStack st;
  FM_CALL(fm_amg_stack(&st, &top, &inner, &in, pm->n0, pm->emax));
  return fm_amg_cycle(&st.shape, &st.ops, b, x);
}

void fm_pmg_describe(const FmPmg *pm, char *buf, size_t size) {
  char in[256];
  fm_amg_describe(&pm->amg, in, sizeof in);
  snprintf(buf, size,
           "p-multigrid: %d -> %d DOFs (TET10 matrix-free, TET4 on the corner "
           "nodes: %lld nonzeros, assembled in %.2f s), setup %.2f s; then %s",
           pm->n0, pm->n1, (long long)pm->nnz1, pm->t_corner, pm->setup_seconds,
           in);
}

void fm_pmg_free(FmPmg *pm) {
  free(pm->corner_node);
  fm_csr_scalar_free(&pm->P);
  fm_csr_scalar_free(&pm->R);
  free(pm->dinv);
  for (int k = 0; k < 3; k++)
    free(pm->w[k]);
  fm_amg_free(&pm->amg);
  memset(pm, 0, sizeof *pm);
}
