/* The stiffness applied element by element on the GPU and the p-multigrid's
 * level 0 (solver.preconditioner: pmg), the device side of
 * solver/matfree.c and solver/pmg.c: the same element math (element.h's
 * fm_tet_apply and fm_tet_diagonal), the same deterministic gather (every
 * element writes its forces to its own slots; every node sums its slots in
 * element order, no atomics), the embedding P and R = P^T as plain CSR
 * products (at most two entries in a row of P), level 0's Chebyshev step,
 * and the Lanczos estimate of its largest eigenvalue. */
#include <climits>
#include <cmath>
#include <cstring>

#include "amg_steps.h" /* fm_amg_random: the host's Lanczos start */
#include "element.h"
#include "fm_cuda.h"

/* ---- the element actions ---- */

/* Element e's slots o of fe from element arrays: its forces K_e u_e
 * (MODE 0; u masked on prescribed DOFs where fixed is given; GENERIC: by
 * fm_tet_apply_generic) or the diagonal of K_e (MODE 1).  flag: the
 * smallest element with a non-positive Jacobian (NULL: not checked). */
template <int NPE, int MODE, int GENERIC>
__device__ inline void
mf_element_arrays(int e, const double *x, const int *conn, double E, double nu,
                  const unsigned char *fixed, const double *u, double *o,
                  int *flag) {
  double xe[3 * NPE], ue[3 * NPE], f[3 * NPE];
  for (int a = 0; a < NPE; a++) {
    const size_t nd = (size_t)conn[(size_t)e * NPE + a];
    for (int i = 0; i < 3; i++) {
      xe[3 * a + i] = x[3 * nd + i];
      if (MODE == 0)
        ue[3 * a + i] = fixed && fixed[3 * nd + i] ? 0.0 : u[3 * nd + i];
    }
  }
  const double det = MODE == 1 ? fm_tet_diagonal(NPE, xe, E, nu, f)
                     : GENERIC ? fm_tet_apply_generic(NPE, xe, E, nu, ue, f)
                               : fm_tet_apply(NPE, xe, E, nu, ue, f);
  if (!(det > 0.0)) {
    if (flag)
      atomicMin(flag, e);
    for (int i = 0; i < 3 * NPE; i++)
      f[i] = 0.0;
  }
  for (int i = 0; i < 3 * NPE; i++)
    o[i] = f[i];
}

/* Element e's slots of fe (as mf_element_arrays); the TET10 action and
 * diagonal by fm_tet10_apply_at and fm_tet10_diagonal_at, which read the
 * nodes where they lie and keep no element arrays (no spills) */
template <int NPE, int MODE, int GENERIC>
__device__ inline void mf_element(int e, const double *x, const int *conn,
                                  const double *Enu, const unsigned char *fixed,
                                  const double *u, double *fe, int *flag) {
  const double E = Enu[2 * (size_t)e], nu = Enu[2 * (size_t)e + 1];
  double *o = fe + (size_t)e * 3 * NPE;
  if (NPE == 10 && !GENERIC) {
    const int *c = conn + (size_t)e * 10;
    if (!((MODE == 1 ? fm_tet10_diagonal_at(x, c, E, nu, 1, o)
                     : fm_tet10_apply_at(x, c, u, fixed, E, nu, o)) > 0.0)) {
      if (flag)
        atomicMin(flag, e);
      for (int i = 0; i < 30; i++)
        o[i] = 0.0;
    }
  } else
    mf_element_arrays<NPE, MODE, GENERIC>(e, x, conn, E, nu, fixed, u, o, flag);
}

/* One thread per element: the element actions (the solve's: a kernel of
 * their own, without the diagonal's registers) */
template <int NPE>
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    mf_element_kernel(int nelem, const double *x, const int *conn,
                      const double *Enu, const unsigned char *fixed,
                      const double *u, double *fe, int *flag) {
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < nelem;
       e += gridDim.x * blockDim.x)
    mf_element<NPE, 0, 0>(e, x, conn, Enu, fixed, u, fe, flag);
}

/* The TET10 actions by fm_tet_apply_generic (FEMORA_MF_ACTION=generic:
 * element arrays, spills, twice the operations; to compare on a GPU) */
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    mf_generic_kernel(int nelem, const double *x, const int *conn,
                      const double *Enu, const unsigned char *fixed,
                      const double *u, double *fe, int *flag) {
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < nelem;
       e += gridDim.x * blockDim.x)
    mf_element<10, 0, 1>(e, x, conn, Enu, fixed, u, fe, flag);
}

/* One thread per element: the element diagonals */
template <int NPE>
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    mf_diagonal_kernel(int nelem, const double *x, const int *conn,
                       const double *Enu, double *fe, int *flag) {
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < nelem;
       e += gridDim.x * blockDim.x)
    mf_element<NPE, 1, 0>(e, x, conn, Enu, NULL, NULL, fe, flag);
}

/* One thread per node: s = the sum of its slots (in element order); on a
 * prescribed DOF (fixed given) s = diag x (diag where x is NULL: the
 * diagonal); y = alpha s + beta y (beta 0: y not read). */
__global__ void mf_gather_kernel(int nn, const int *sptr, const int *slot,
                                 const double *fe, const unsigned char *fixed,
                                 double diag, double alpha, const double *x,
                                 double beta, double *y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < nn;
       i += gridDim.x * blockDim.x) {
    double s[3] = {0.0, 0.0, 0.0};
    for (int k = sptr[i]; k < sptr[i + 1]; k++) {
      const double *f = fe + 3 * (size_t)slot[k];
      s[0] += f[0];
      s[1] += f[1];
      s[2] += f[2];
    }
    for (int p = 0; p < 3; p++) {
      const size_t dof = 3 * (size_t)i + p;
      const double v = fixed && fixed[dof] ? diag * (x ? x[dof] : 1.0) : s[p];
      y[dof] = alpha * v + (beta != 0.0 ? beta * y[dof] : 0.0);
    }
  }
}

static int element_pass(FmCudaData *d, int mode, const double *u, int *flag) {
  const FmCudaMatFree *mf = d->mf;
  const unsigned char *fx = mode == 0 && mf->eliminate ? d->fixed : NULL;
  const int nb = fm_cuda_blocks(d->nelem);
  if (d->npe == 10 && mode == 0 && mf->generic) {
    FM_LAUNCH(mf_generic_kernel, nb, FM_CUDA_THREADS)
    (d->nelem, mf->x, mf->conn, mf->Enu, fx, u, mf->fe, flag);
    FM_CUDA_CHECK_LAUNCH(mf_generic_kernel);
  } else if (d->npe == 10 && mode == 0) {
    FM_LAUNCH(mf_element_kernel<10>, nb, FM_CUDA_THREADS)
    (d->nelem, mf->x, mf->conn, mf->Enu, fx, u, mf->fe, flag);
    FM_CUDA_CHECK_LAUNCH(mf_element_kernel<10>);
  } else if (d->npe == 10) {
    FM_LAUNCH(mf_diagonal_kernel<10>, nb, FM_CUDA_THREADS)
    (d->nelem, mf->x, mf->conn, mf->Enu, mf->fe, flag);
    FM_CUDA_CHECK_LAUNCH(mf_diagonal_kernel<10>);
  } else if (d->npe == 4 && mode == 0) {
    FM_LAUNCH(mf_element_kernel<4>, nb, FM_CUDA_THREADS)
    (d->nelem, mf->x, mf->conn, mf->Enu, fx, u, mf->fe, flag);
    FM_CUDA_CHECK_LAUNCH(mf_element_kernel<4>);
  } else if (d->npe == 4) {
    FM_LAUNCH(mf_diagonal_kernel<4>, nb, FM_CUDA_THREADS)
    (d->nelem, mf->x, mf->conn, mf->Enu, mf->fe, flag);
    FM_CUDA_CHECK_LAUNCH(mf_diagonal_kernel<4>);
  } else
    return fm_error("backend cuda: %d nodes per element not supported "
                    "(TET4 or TET10)",
                    d->npe);
  return 0;
}

extern "C" int fm_cuda_matfree_local_bytes(int npe, int generic,
                                           size_t *bytes) {
  size_t act = 0, diag = 0, gen = 0;
  FM_CALL(fm_cuda_local_bytes(npe, mf_element_kernel<4>, mf_element_kernel<10>,
                              &act));
  FM_CALL(fm_cuda_local_bytes(npe, mf_diagonal_kernel<4>,
                              mf_diagonal_kernel<10>, &diag));
  if (generic && npe == 10)
    FM_CALL(
        fm_cuda_local_bytes(10, mf_generic_kernel, mf_generic_kernel, &gen));
  *bytes = act > diag ? act : diag;
  if (gen > *bytes)
    *bytes = gen;
  return 0;
}

extern "C" int fm_cuda_matfree_apply(FmCudaData *d, double alpha,
                                     const double *x, double beta, double *y) {
  const FmCudaMatFree *mf = d->mf;
  FM_CALL(element_pass(d, 0, x, NULL));
  FM_LAUNCH(mf_gather_kernel, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
  (d->nn, mf->sptr, mf->slot, mf->fe, mf->eliminate ? d->fixed : NULL, d->diag,
   alpha, x, beta, y);
  FM_CUDA_CHECK_LAUNCH(mf_gather_kernel);
  return 0;
}

extern "C" int fm_cuda_matfree_diagonal(FmCudaData *d, int eliminate,
                                        double *diag, int *bad_elem) {
  const FmCudaMatFree *mf = d->mf;
  const int big = INT_MAX;
  FM_CUDA_CHECK(cudaMemcpy(d->flag, &big, sizeof big, cudaMemcpyHostToDevice));
  FM_CALL(element_pass(d, 1, NULL, d->flag));
  FM_LAUNCH(mf_gather_kernel, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
  (d->nn, mf->sptr, mf->slot, mf->fe, eliminate ? d->fixed : NULL, d->diag, 1.0,
   NULL, 0.0, diag);
  FM_CUDA_CHECK_LAUNCH(mf_gather_kernel);
  int v;
  FM_CUDA_CHECK(cudaMemcpy(&v, d->flag, sizeof v, cudaMemcpyDeviceToHost));
  *bad_elem = v == INT_MAX ? -1 : v;
  return 0;
}

/* out = sum of |v_i| */
__global__ void abs_sum_kernel(int n, const double *v, double *part,
                               unsigned int *count, double *out) {
  double s[1] = {0.0};
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    s[0] += fabs(v[i]);
  fm_cuda_grid_sum<1>(s, part, count, out);
}

extern "C" int fm_cuda_matfree_diag_sum(FmCudaData *d) {
  int bad = -1;
  FM_CALL(fm_cuda_matfree_diagonal(d, 0, d->z, &bad));
  if (bad >= 0)
    return fm_error("backend cuda: element %d (0-based): non-positive "
                    "Jacobian at a quadrature point (matrix-free stiffness)",
                    bad);
  FM_LAUNCH_SYNC(abs_sum_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, d->z, d->part, d->count, d->s + FM_CUDA_S_DIAG);
  FM_CUDA_CHECK_LAUNCH(abs_sum_kernel);
  return 0;
}

extern "C" void fm_cuda_matfree_free(FmCudaMatFree *mf) {
  void *p[] = {mf->x, mf->conn, mf->Enu, mf->sptr, mf->slot, mf->fe};
  for (size_t k = 0; k < sizeof p / sizeof p[0]; k++)
    if (p[k])
      cudaFree(p[k]); /* errors ignored on the way out */
  memset(mf, 0, sizeof *mf);
}

/* ---- the p-multigrid's level 0 ---- */

/* y = alpha M x + beta y, one thread per row (beta 0: y not read) */
__global__ void csr_kernel(int rows, const int *ptr, const int *col,
                           const double *val, double alpha, const double *x,
                           double beta, double *y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < rows;
       i += gridDim.x * blockDim.x) {
    double s = 0.0;
    for (int k = ptr[i]; k < ptr[i + 1]; k++)
      s += val[k] * x[col[k]];
    y[i] = alpha * s + (beta != 0.0 ? beta * y[i] : 0.0);
  }
}

static int upload_csr(const FmCsr *M, int **ptr, int **col, double **val) {
  const int64_t nnz = M->ptr[M->nrows];
  int *p32 = (int *)fm_calloc((size_t)M->nrows + 1, sizeof(int));
  if (!p32)
    return 1;
  for (int i = 0; i <= M->nrows; i++)
    p32[i] = (int)M->ptr[i];
  cudaError_t e = cudaMalloc((void **)ptr, ((size_t)M->nrows + 1) * 4);
  if (e == cudaSuccess)
    e = cudaMalloc((void **)col, (size_t)(nnz > 0 ? nnz : 1) * 4);
  if (e == cudaSuccess)
    e = cudaMalloc((void **)val, (size_t)(nnz > 0 ? nnz : 1) * 8);
  if (e == cudaSuccess)
    e = cudaMemcpy(*ptr, p32, ((size_t)M->nrows + 1) * 4,
                   cudaMemcpyHostToDevice);
  if (e == cudaSuccess && nnz > 0)
    e = cudaMemcpy(*col, M->col, (size_t)nnz * 4, cudaMemcpyHostToDevice);
  if (e == cudaSuccess && nnz > 0)
    e = cudaMemcpy(*val, M->val, (size_t)nnz * 8, cudaMemcpyHostToDevice);
  free(p32);
  if (e != cudaSuccess)
    return fm_cuda_fail("embedding upload (cudaMalloc / cudaMemcpy)",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  return 0;
}

extern "C" int fm_cuda_pmg_upload(FmCudaPmg *p, const FmCsr *P,
                                  const FmCsr *R) {
  p->n0 = P->nrows;
  p->n1 = P->ncols;
  if (P->ptr[P->nrows] > INT_MAX || R->ptr[R->nrows] > INT_MAX)
    return fm_error("backend cuda: the p-multigrid's embedding has more "
                    "than %d nonzeros",
                    INT_MAX);
  FM_CALL(upload_csr(P, &p->Pptr, &p->Pcol, &p->Pval));
  FM_CALL(upload_csr(R, &p->Rptr, &p->Rcol, &p->Rval));
  const size_t vb = ((size_t)p->n0 + 1) * sizeof(double);
  FM_CUDA_CHECK(cudaMalloc((void **)&p->dinv, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&p->r, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&p->d, vb));
  FM_CUDA_CHECK(cudaMemset(p->r, 0, vb));
  FM_CUDA_CHECK(cudaMemset(p->d, 0, vb));
  return 0;
}

extern "C" int fm_cuda_pmg_product(FmCudaPmg *p, int which, double alpha,
                                   const double *x, double beta, double *y) {
  const int rows = which == FM_AMG_P ? p->n0 : p->n1;
  FM_LAUNCH(csr_kernel, fm_cuda_blocks(rows), FM_CUDA_THREADS)
  (rows, which == FM_AMG_P ? p->Pptr : p->Rptr,
   which == FM_AMG_P ? p->Pcol : p->Rcol, which == FM_AMG_P ? p->Pval : p->Rval,
   alpha, x, beta, y);
  FM_CUDA_CHECK_LAUNCH(csr_kernel);
  return 0;
}

/* d = c1 d + c2 Dinv r (d not read when c1 == 0); x = d or x += d */
__global__ void cheb0_kernel(int n, double c1, double c2, const double *dinv,
                             const double *r, double *d, double *x,
                             int x_zero) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    const double di = (c1 == 0.0 ? 0.0 : c1 * d[i]) + c2 * dinv[i] * r[i];
    d[i] = di;
    x[i] = x_zero ? di : x[i] + di;
  }
}

extern "C" int fm_cuda_pmg_cheb(FmCudaPmg *p, double c1, double c2,
                                const double *r, double *d, double *x,
                                int x_zero) {
  FM_LAUNCH(cheb0_kernel, fm_cuda_blocks(p->n0), FM_CUDA_THREADS)
  (p->n0, c1, c2, p->dinv, r, d, x, x_zero);
  FM_CUDA_CHECK_LAUNCH(cheb0_kernel);
  return 0;
}

/* dinv = 1 / diag; flag: the smallest row whose diagonal is not positive */
__global__ void invert_kernel(int n, const double *diag, double *dinv,
                              int *flag) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    const double v = diag[i];
    if (!(v > 0.0))
      atomicMin(flag, i);
    dinv[i] = v > 0.0 ? 1.0 / v : 0.0;
  }
}

/* the Lanczos steps of the host's (amg.c, fm_amg_lanczos_lmax):
 * mode 0: r random, z = Dinv r, p = z; 1: r -= alpha q, z = Dinv r;
 * 2: p = z + beta p */
__global__ void lanczos_kernel(int n, int mode, double s, const double *dinv,
                               const double *q, double *r, double *z,
                               double *p) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    if (mode == 0) {
      r[i] = fm_amg_random(i);
      z[i] = dinv[i] * r[i];
      p[i] = z[i];
    } else if (mode == 1) {
      r[i] -= s * q[i];
      z[i] = dinv[i] * r[i];
    } else
      p[i] = z[i] + s * p[i];
  }
}

static int lanczos_step(FmCudaData *d, int mode, double s, const double *dinv) {
  FM_LAUNCH(lanczos_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, mode, s, dinv, d->q, d->r, d->z, d->p);
  FM_CUDA_CHECK_LAUNCH(lanczos_kernel);
  return 0;
}

/* a . b to the host (through s[T1]) */
static int dot_host(FmCudaData *d, const double *a, const double *b,
                    double *out) {
  FM_CALL(fm_cuda_dot(d, d->n, a, b, d->s + FM_CUDA_S_T1));
  FM_CUDA_CHECK(cudaMemcpy(out, d->s + FM_CUDA_S_T1, sizeof *out,
                           cudaMemcpyDeviceToHost));
  return 0;
}

extern "C" int fm_cuda_pmg_smoother(FmCudaData *d, FmCudaPmg *p, int *bad_row,
                                    int *bad_elem) {
  /* the eliminated diagonal into z, inverted */
  FM_CALL(fm_cuda_matfree_diagonal(d, 1, d->z, bad_elem));
  if (*bad_elem >= 0)
    return 0;
  const int big = INT_MAX;
  FM_CUDA_CHECK(cudaMemcpy(d->flag, &big, sizeof big, cudaMemcpyHostToDevice));
  FM_LAUNCH(invert_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, d->z, p->dinv, d->flag);
  FM_CUDA_CHECK_LAUNCH(invert_kernel);
  int v;
  FM_CUDA_CHECK(cudaMemcpy(&v, d->flag, sizeof v, cudaMemcpyDeviceToHost));
  *bad_row = v == INT_MAX ? -1 : v;
  if (*bad_row >= 0)
    return 0;
  /* the host's number of Lanczos steps on D^-1 A (amg.h; r, z, p, q: free
   * before a solve) */
  enum { STEPS = FM_AMG_LANCZOS_STEPS };
  double alpha[STEPS], beta[STEPS], rz = 0.0;
  FM_CALL(lanczos_step(d, 0, 0.0, p->dinv));
  FM_CALL(dot_host(d, d->r, d->z, &rz));
  int k = 0;
  for (; k < STEPS && rz > 0; k++) {
    double pq, rz1;
    FM_CALL(fm_cuda_spmv(d, d->p, d->q));
    FM_CALL(dot_host(d, d->p, d->q, &pq));
    if (!(pq > 0))
      break;
    alpha[k] = rz / pq;
    FM_CALL(lanczos_step(d, 1, alpha[k], p->dinv));
    FM_CALL(dot_host(d, d->r, d->z, &rz1));
    beta[k] = rz1 / rz;
    rz = rz1;
    FM_CALL(lanczos_step(d, 2, beta[k], p->dinv));
  }
  const double lmax = fm_amg_lanczos_max(k, alpha, beta);
  if (!(lmax > 0) || !std::isfinite(lmax))
    return fm_error("backend cuda: p-multigrid: level 0's eigenvalue "
                    "estimate failed (%g)",
                    lmax);
  p->emax = 1.1 * lmax;
  return 0;
}

extern "C" void fm_cuda_pmg_free(FmCudaPmg *p) {
  void *q[] = {p->Pptr, p->Pcol, p->Pval, p->Rptr, p->Rcol,
               p->Rval, p->dinv, p->r,    p->d};
  for (size_t k = 0; k < sizeof q / sizeof q[0]; k++)
    if (q[k])
      cudaFree(q[k]); /* errors ignored on the way out */
  memset(p, 0, sizeof *p);
}
