/* Sparse products (cuSPARSE generic SpMV on the scalar CSR) and the fused
 * vector kernels of conjugate gradients with 3x3 point-block Jacobi.  One CG
 * iteration is four launches and one 3-double copy back:
 *   q = A p (cuSPARSE), s[PQ] = p.q, update (x, r, z; s[RZ], s[RR]),
 *   copy (pq, rz, rr) to the host, p = z + beta p.
 * With the multigrid preconditioner the update leaves z to the V-cycle
 * (kernels/amg.cu), followed by s[RZ] = r.z (fm_cuda_dot).
 * Sums use fm_cuda_grid_sum: deterministic, one launch each. */
#include "fm_cuda.h"

/* ---- cuSPARSE ---- */

extern "C" int fm_cuda_sparse_init(FmCudaData *d) {
  FM_CUSPARSE_CHECK(cusparseCreate(&d->sp));
  return 0;
}

extern "C" int fm_cuda_sparse_setup(FmCudaData *d) {
  const double one = 1.0, zero = 0.0;
  FM_CUSPARSE_CHECK(cusparseCreateCsr(
      &d->A, d->n, d->n, d->nnz, d->rowptr, d->col, d->val, CUSPARSE_INDEX_32I,
      CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_64F));
  FM_CUSPARSE_CHECK(cusparseCreateDnVec(&d->vin, d->n, d->x, CUDA_R_64F));
  FM_CUSPARSE_CHECK(cusparseCreateDnVec(&d->vout, d->n, d->q, CUDA_R_64F));
  FM_CUSPARSE_CHECK(cusparseSpMV_bufferSize(
      d->sp, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, d->A, d->vin, &zero,
      d->vout, CUDA_R_64F, CUSPARSE_SPMV_ALG_DEFAULT, &d->spbuf_bytes));
  if (d->spbuf_bytes > 0)
    FM_CUDA_CHECK(cudaMalloc(&d->spbuf, d->spbuf_bytes));
  return 0;
}

extern "C" int fm_cuda_spmv(FmCudaData *d, const double *x, double *y) {
  const double one = 1.0, zero = 0.0;
  FM_CUSPARSE_CHECK(cusparseDnVecSetValues(d->vin, (void *)x));
  FM_CUSPARSE_CHECK(cusparseDnVecSetValues(d->vout, y));
  FM_CUSPARSE_CHECK(cusparseSpMV(d->sp, CUSPARSE_OPERATION_NON_TRANSPOSE, &one,
                                 d->A, d->vin, &zero, d->vout, CUDA_R_64F,
                                 CUSPARSE_SPMV_ALG_DEFAULT, d->spbuf));
  return 0;
}

/* Errors are ignored here: this runs on the way out, possibly after a
 * failure that left the context unusable. */
extern "C" void fm_cuda_sparse_free(FmCudaData *d) {
  if (d->vin)
    cusparseDestroyDnVec(d->vin);
  if (d->vout)
    cusparseDestroyDnVec(d->vout);
  if (d->A)
    cusparseDestroySpMat(d->A);
  if (d->sp)
    cusparseDestroy(d->sp);
  if (d->spbuf)
    cudaFree(d->spbuf);
  d->vin = d->vout = NULL;
  d->A = NULL;
  d->sp = NULL;
  d->spbuf = NULL;
}

/* ---- CG ---- */

/* z = m r for one node (m: 3x3 row-major) */
__device__ inline void apply3(const double *m, const double *r, double *z) {
  for (int p = 0; p < 3; p++)
    z[p] = m[3 * p] * r[0] + m[3 * p + 1] * r[1] + m[3 * p + 2] * r[2];
}

/* b = f - lift on free DOFs, diag * g on fixed ones; x = g on fixed DOFs,
 * 0 elsewhere (backend_ref.c). */
__global__ void prepare_kernel(int n, const unsigned char *fixed,
                               const double *g, const double *lift, double diag,
                               double *b, double *x) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    if (fixed[i]) {
      b[i] = diag * g[i];
      x[i] = g[i];
    } else {
      b[i] = b[i] - lift[i];
      x[i] = 0.0;
    }
  }
}

extern "C" int fm_cuda_cg_prepare(FmCudaData *d) {
  prepare_kernel<<<fm_cuda_blocks(d->n), FM_CUDA_THREADS>>>(
      d->n, d->fixed, d->g, d->lift, d->diag, d->b, d->x);
  FM_CUDA_CHECK_LAUNCH(prepare_kernel);
  return 0;
}

/* One thread per node, q = A x on entry: r = b - q, z = Dinv r, p = z;
 * out = (r.z, r.r, b.b). */
__global__ void residual_kernel(int nn, const double *b, const double *q,
                                const double *dinv, double *r, double *z,
                                double *p, double *part, unsigned int *count,
                                double *out) {
  double v[3] = {0.0, 0.0, 0.0};
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < nn;
       i += gridDim.x * blockDim.x) {
    const size_t o = 3 * (size_t)i;
    double rb[3], zb[3];
    for (int k = 0; k < 3; k++) {
      rb[k] = b[o + k] - q[o + k];
      v[2] += b[o + k] * b[o + k];
    }
    if (!dinv) { /* multigrid: the caller computes z and p */
      for (int k = 0; k < 3; k++) {
        r[o + k] = rb[k];
        v[1] += rb[k] * rb[k];
      }
      continue;
    }
    apply3(dinv + 9 * (size_t)i, rb, zb);
    for (int k = 0; k < 3; k++) {
      r[o + k] = rb[k];
      z[o + k] = zb[k];
      p[o + k] = zb[k];
      v[0] += rb[k] * zb[k];
      v[1] += rb[k] * rb[k];
    }
  }
  fm_cuda_grid_sum<3>(v, part, count, out);
}

extern "C" int fm_cuda_cg_residual(FmCudaData *d) {
  residual_kernel<<<fm_cuda_blocks(d->nn), FM_CUDA_THREADS>>>(
      d->nn, d->b, d->q, d->dinv, d->r, d->z, d->p, d->part, d->count,
      d->s + FM_CUDA_S_RZ); /* RZ, RR, BB are consecutive */
  FM_CUDA_CHECK_LAUNCH(residual_kernel);
  return 0;
}

/* out = p . q */
__global__ void dot_kernel(int n, const double *p, const double *q,
                           double *part, unsigned int *count, double *out) {
  double v[1] = {0.0};
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    v[0] += p[i] * q[i];
  fm_cuda_grid_sum<1>(v, part, count, out);
}

extern "C" int fm_cuda_dot(FmCudaData *d, int n, const double *a,
                           const double *b, double *out) {
  dot_kernel<<<fm_cuda_blocks(n), FM_CUDA_THREADS>>>(n, a, b, d->part, d->count,
                                                     out);
  FM_CUDA_CHECK_LAUNCH(dot_kernel);
  return 0;
}

extern "C" int fm_cuda_cg_dot_pq(FmCudaData *d) {
  dot_kernel<<<fm_cuda_blocks(d->n), FM_CUDA_THREADS>>>(
      d->n, d->p, d->q, d->part, d->count, d->s + FM_CUDA_S_PQ);
  FM_CUDA_CHECK_LAUNCH(dot_kernel);
  return 0;
}

/* One thread per node: alpha = rz / pq; x += alpha p, r -= alpha q,
 * z = Dinv r; out = (r.z, r.r).  Nothing changes when pq <= 0 (the host
 * then stops, as backend_ref.c does): every thread returns before the sum,
 * so no block touches the partials or the counter. */
__global__ void update_kernel(int nn, double rz, const double *pq_in,
                              const double *p, const double *q,
                              const double *dinv, double *x, double *r,
                              double *z, double *part, unsigned int *count,
                              double *out) {
  const double pq = *pq_in;
  if (!(pq > 0.0))
    return;
  const double alpha = rz / pq;
  double v[2] = {0.0, 0.0};
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < nn;
       i += gridDim.x * blockDim.x) {
    const size_t o = 3 * (size_t)i;
    double rb[3], zb[3];
    for (int k = 0; k < 3; k++) {
      x[o + k] += alpha * p[o + k];
      rb[k] = r[o + k] - alpha * q[o + k];
      r[o + k] = rb[k];
    }
    if (!dinv) { /* multigrid: the caller computes z */
      for (int k = 0; k < 3; k++)
        v[1] += rb[k] * rb[k];
      continue;
    }
    apply3(dinv + 9 * (size_t)i, rb, zb);
    for (int k = 0; k < 3; k++) {
      z[o + k] = zb[k];
      v[0] += rb[k] * zb[k];
      v[1] += rb[k] * rb[k];
    }
  }
  fm_cuda_grid_sum<2>(v, part, count, out);
}

extern "C" int fm_cuda_cg_update(FmCudaData *d, double rz) {
  update_kernel<<<fm_cuda_blocks(d->nn), FM_CUDA_THREADS>>>(
      d->nn, rz, d->s + FM_CUDA_S_PQ, d->p, d->q, d->dinv, d->x, d->r, d->z,
      d->part, d->count, d->s + FM_CUDA_S_RZ); /* RZ, RR consecutive */
  FM_CUDA_CHECK_LAUNCH(update_kernel);
  return 0;
}

/* p = z + beta p */
__global__ void direction_kernel(int n, double beta, const double *z,
                                 double *p) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    p[i] = z[i] + beta * p[i];
}

extern "C" int fm_cuda_cg_direction(FmCudaData *d, double beta) {
  direction_kernel<<<fm_cuda_blocks(d->n), FM_CUDA_THREADS>>>(d->n, beta, d->z,
                                                              d->p);
  FM_CUDA_CHECK_LAUNCH(direction_kernel);
  return 0;
}
