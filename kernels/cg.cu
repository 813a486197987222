/* Sparse products (cuSPARSE generic SpMV on the 3x3 block CSR, or this
 * file's block kernels) and the fused
 * vector kernels of conjugate gradients with 3x3 point-block Jacobi.  One CG
 * iteration is four launches and one 3-double copy back:
 *   q = A p (cuSPARSE or bsr3_warp_kernel), s[PQ] = p.q, update (x, r, z;
 *   s[RZ], s[RR]),
 *   copy (pq, rz, rr) to the host, p = z + beta p.
 * With the multigrid preconditioner the update leaves z to the V-cycle
 * (kernels/amg.cu), followed by s[RZ] = r.z (fm_cuda_dot).
 * Sums use fm_cuda_grid_sum: deterministic, one launch each. */
#include <cmath>
#include <cstdio>

#include "fm_cuda.h"

/* ---- cuSPARSE ---- */

extern "C" int fm_cuda_sparse_init(FmCudaData *d) {
  FM_CUSPARSE_CHECK(cusparseCreate(&d->sp));
  return 0;
}

/* The reference product, one thread per scalar row i = 3r + p: y_i =
 * alpha sum over the blocks k of row r of (A_k x_c)_p + beta y_i, the
 * blocks in column order.  Plain enough to be the referee of the others. */
__global__ void bsr3_kernel(int n, const int *bptr, const int *bcol,
                            const double *val, double alpha, const double *x,
                            double beta, double *y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    const int r = i / 3, p = i % 3;
    double sum = 0.0;
    for (int k = bptr[r]; k < bptr[r + 1]; k++) {
      const double *a = val + 9 * (size_t)k + 3 * p;
      const double *xc = x + 3 * (size_t)bcol[k];
      sum += a[0] * xc[0] + a[1] * xc[1] + a[2] * xc[2];
    }
    y[i] = alpha * sum + (beta != 0.0 ? beta * y[i] : 0.0);
  }
}

/* The fast product: LANES lanes per block row (32 / LANES rows per warp).
 * A row's 9 len values are contiguous: lane t reads values t, t + LANES,
 * ... (coalesced), value v being entry (p, q) = ((v % 9) / 3, v % 3) of
 * the row's block v / 9; three partial sums per lane (rows 3r + p),
 * reduced across the lanes in a fixed order (deterministic).  The loop
 * runs over warp-uniform row groups so every lane reaches the shuffles. */
template <int LANES>
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    bsr3_warp_kernel(int nn, const int *__restrict__ bptr,
                     const int *__restrict__ bcol,
                     const double *__restrict__ val, double alpha,
                     const double *__restrict__ x, double beta,
                     double *__restrict__ y) {
  const int lane = threadIdx.x % LANES;
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long all = (long long)gridDim.x * blockDim.x;
  /* rows r = first + group, first stepping by the grid's groups */
  for (long long first = tid / 32 * (32 / LANES); first < nn;
       first += all / 32 * (32 / LANES)) {
    const long long r = first + (threadIdx.x % 32) / LANES;
    const bool active = r < nn;
    const int b0 = active ? bptr[r] : 0;
    const int m = active ? 9 * (bptr[r + 1] - b0) : 0;
    const double *v = val + 9 * (size_t)b0;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0;
    for (int t = lane; t < m; t += LANES) {
      const int j = t / 9, e = t - 9 * j, p = e / 3, q = e - 3 * p;
      const double a = v[t] * x[3 * (size_t)bcol[b0 + j] + q];
      if (p == 0)
        s0 += a;
      else if (p == 1)
        s1 += a;
      else
        s2 += a;
    }
    for (int o = LANES / 2; o > 0; o >>= 1) {
      s0 += __shfl_down_sync(0xffffffffu, s0, o, LANES);
      s1 += __shfl_down_sync(0xffffffffu, s1, o, LANES);
      s2 += __shfl_down_sync(0xffffffffu, s2, o, LANES);
    }
    if (active && lane == 0) {
      double *yr = y + 3 * (size_t)r;
      yr[0] = alpha * s0 + (beta != 0.0 ? beta * yr[0] : 0.0);
      yr[1] = alpha * s1 + (beta != 0.0 ? beta * yr[1] : 0.0);
      yr[2] = alpha * s2 + (beta != 0.0 ? beta * yr[2] : 0.0);
    }
  }
}

/* lanes per block row of bsr3_warp_kernel */
static int warp_lanes(const FmCudaData *d) {
  return (long long)d->nb >= 20LL * d->nn ? 32 : 16;
}

/* the warp kernel's grid: its resident blocks on every SM */
static int warp_grid(FmCudaData *d) {
  int dev = 0, sms = 0, per = 0;
  FM_CUDA_CHECK(cudaGetDevice(&dev));
  FM_CUDA_CHECK(
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  if (warp_lanes(d) == 32)
    FM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
        &per, bsr3_warp_kernel<32>, FM_CUDA_THREADS, 0));
  else
    FM_CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
        &per, bsr3_warp_kernel<16>, FM_CUDA_THREADS, 0));
  d->spmv_blocks = sms * per > 0 ? sms * per : FM_CUDA_MAX_BLOCKS;
  return 0;
}

/* cuSPARSE's generic BSR SpMV: CUSPARSE_SPMV_BSR_ALG1, from cuSPARSE 12.6
 * (CUDA 13) on; before it bsr_descriptor says NOT_SUPPORTED, so that the
 * stiffness's products are Femora's kernel's and the name below is never
 * used in a call */
#if CUSPARSE_VERSION >= 12600
#define FM_BSR_SPMV_ALG CUSPARSE_SPMV_BSR_ALG1
#else
#define FM_BSR_SPMV_ALG CUSPARSE_SPMV_ALG_DEFAULT
#endif

/* y = alpha A x + beta y by one of the products */
static int product(FmCudaData *d, int which, double alpha, const double *x,
                   double beta, double *y) {
  if (which == FM_CUDA_SPMV_REFERENCE) {
    FM_LAUNCH(bsr3_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
    (d->n, d->bptr, d->bcol, d->val, alpha, x, beta, y);
    FM_CUDA_CHECK_LAUNCH(bsr3_kernel);
  } else if (which == FM_CUDA_SPMV_KERNEL) {
    /* a warp per block row where rows are long (TET10), half a warp else;
     * as many blocks as are resident at once (no tail wave) */
    const int lanes = warp_lanes(d);
    long long blocks =
        ((long long)lanes * d->nn + FM_CUDA_THREADS - 1) / FM_CUDA_THREADS;
    if (d->spmv_blocks > 0 && blocks > d->spmv_blocks)
      blocks = d->spmv_blocks;
    if (lanes == 32) {
      FM_LAUNCH_SYNC(bsr3_warp_kernel<32>, (int)blocks, FM_CUDA_THREADS)
      (d->nn, d->bptr, d->bcol, d->val, alpha, x, beta, y);
      FM_CUDA_CHECK_LAUNCH(bsr3_warp_kernel<32>);
    } else {
      FM_LAUNCH_SYNC(bsr3_warp_kernel<16>, (int)blocks, FM_CUDA_THREADS)
      (d->nn, d->bptr, d->bcol, d->val, alpha, x, beta, y);
      FM_CUDA_CHECK_LAUNCH(bsr3_warp_kernel<16>);
    }
  } else {
    FM_CUSPARSE_CHECK(cusparseDnVecSetValues(d->vin, (void *)x));
    FM_CUSPARSE_CHECK(cusparseDnVecSetValues(d->vout, y));
    FM_CUSPARSE_CHECK(cusparseSpMV(d->sp, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                   &alpha, d->A, d->vin, &beta, d->vout,
                                   CUDA_R_64F, FM_BSR_SPMV_ALG, d->spbuf));
  }
  return 0;
}

/* The BSR descriptor and its SpMV buffer; a status other than success
 * (cuSPARSE without the BSR product for this type) is returned, not
 * recorded: the caller falls back to the kernels. */
static cusparseStatus_t bsr_descriptor(FmCudaData *d) {
#if CUSPARSE_VERSION < 12600
  /* the generic BSR SpMV (CUSPARSE_SPMV_BSR_ALG1) came with cuSPARSE 12.6
   * (CUDA 13): Femora's BSR kernel before */
  (void)d;
  return CUSPARSE_STATUS_NOT_SUPPORTED;
#else
  const double one = 1.0, zero = 0.0;
  cusparseStatus_t st = cusparseCreateBsr(
      &d->A, d->nn, d->nn, d->nb, 3, 3, d->bptr, d->bcol, d->val,
      CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
      CUDA_R_64F, CUSPARSE_ORDER_ROW);
  if (st == CUSPARSE_STATUS_SUCCESS)
    st = cusparseSpMV_bufferSize(d->sp, CUSPARSE_OPERATION_NON_TRANSPOSE, &one,
                                 d->A, d->vin, &zero, d->vout, CUDA_R_64F,
                                 FM_BSR_SPMV_ALG, &d->spbuf_bytes);
  if (st != CUSPARSE_STATUS_SUCCESS && d->A) {
    cusparseDestroySpMat(d->A);
    d->A = NULL;
  }
  return st;
#endif
}

/* one product through the BSR descriptor (p to q), its status returned, not
 * recorded: a cuSPARSE that fails it gives way to Femora's kernel */
static cusparseStatus_t bsr_trial(FmCudaData *d) {
  const double one = 1.0, zero = 0.0;
  cusparseStatus_t st = cusparseDnVecSetValues(d->vin, d->p);
  if (st == CUSPARSE_STATUS_SUCCESS)
    st = cusparseDnVecSetValues(d->vout, d->q);
  if (st == CUSPARSE_STATUS_SUCCESS)
    st = cusparseSpMV(d->sp, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, d->A,
                      d->vin, &zero, d->vout, CUDA_R_64F, FM_BSR_SPMV_ALG,
                      d->spbuf);
  return st;
}

/* a test vector: hashed values in [-0.5, 0.5) */
__global__ void probe_kernel(int n, double *x) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    unsigned int h = (unsigned int)i * 2654435761u + 0x9E3779B9u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    x[i] = (double)h / 4294967296.0 - 0.5;
  }
}

/* z = q - z */
__global__ void diff_kernel(int n, const double *q, double *z) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    z[i] = q[i] - z[i];
}

/* The product `which` against the reference on a test vector (p): the
 * relative 2-norm of the difference into *rel (uses p, q, z) */
static int check_product(FmCudaData *d, int which, double *rel) {
  FM_LAUNCH(probe_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)(d->n, d->p);
  FM_CUDA_CHECK_LAUNCH(probe_kernel);
  FM_CALL(product(d, which, 1.0, d->p, 0.0, d->q));
  FM_CALL(product(d, FM_CUDA_SPMV_REFERENCE, 1.0, d->p, 0.0, d->z));
  FM_LAUNCH(diff_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, d->q, d->z);
  FM_CUDA_CHECK_LAUNCH(diff_kernel);
  FM_CALL(fm_cuda_dot(d, d->n, d->z, d->z, d->s + FM_CUDA_S_T1));
  FM_CALL(fm_cuda_dot(d, d->n, d->q, d->q, d->s + FM_CUDA_S_T2));
  double h[2];
  FM_CUDA_CHECK(
      cudaMemcpy(h, d->s + FM_CUDA_S_T1, sizeof h, cudaMemcpyDeviceToHost));
  *rel = h[1] > 0 ? sqrt(h[0] / h[1]) : (h[0] > 0 ? 1.0 : 0.0);
  return 0;
}

extern "C" int fm_cuda_sparse_setup(FmCudaData *d) {
  if (d->mf) { /* no matrix: the element actions (kernels/matfree.cu) */
    snprintf(d->spmv_note, sizeof d->spmv_note,
             "the stiffness applied element by element (TET%d, no matrix "
             "stored%s)",
             d->npe,
             d->npe == 10 && d->mf->generic ? "; the generic element action"
                                            : "");
    return 0;
  }
  FM_CUSPARSE_CHECK(cusparseCreateDnVec(&d->vin, d->n, d->x, CUDA_R_64F));
  FM_CUSPARSE_CHECK(cusparseCreateDnVec(&d->vout, d->n, d->q, CUDA_R_64F));
  FM_CALL(warp_grid(d));
  char why[96] = "FEMORA_GPU_SPMV=kernel";
  if (d->spmv == FM_CUDA_SPMV_CUSPARSE) {
    /* any status but success (NOT_SUPPORTED, or INVALID_VALUE from a
     * cuSPARSE that takes no 3x3 row-major blocks): Femora's kernel */
    const cusparseStatus_t st = bsr_descriptor(d);
    double rel = 0.0;
    cusparseStatus_t st2 = st;
    if (st == CUSPARSE_STATUS_SUCCESS) {
      if (d->spbuf_bytes > 0)
        FM_CUDA_CHECK(cudaMalloc(&d->spbuf, d->spbuf_bytes));
      st2 = bsr_trial(d);
    }
    if (st2 == CUSPARSE_STATUS_SUCCESS) {
      FM_CALL(check_product(d, FM_CUDA_SPMV_CUSPARSE, &rel));
      if (rel <= 1e-12) {
        snprintf(d->spmv_note, sizeof d->spmv_note,
                 "cuSPARSE BSR SpMV (against the reference kernel: %.1e)", rel);
        return 0;
      }
      snprintf(why, sizeof why, "cuSPARSE's BSR SpMV differed by %.1e", rel);
    } else
      snprintf(why, sizeof why, "cuSPARSE's BSR SpMV: %s",
               cusparseGetErrorName(st2));
    if (d->A)
      cusparseDestroySpMat(d->A); /* not used: errors ignored */
    d->A = NULL;
    if (d->spbuf)
      cudaFree(d->spbuf);
    d->spbuf = NULL;
    d->spmv = FM_CUDA_SPMV_KERNEL; /* cuSPARSE's product is not to be had */
  }
  double rel = 0.0;
  FM_CALL(check_product(d, FM_CUDA_SPMV_KERNEL, &rel));
  if (rel <= 1e-12) {
    snprintf(d->spmv_note, sizeof d->spmv_note,
             "Femora's BSR kernel (%s; against the reference kernel: %.1e)",
             why, rel);
    return 0;
  }
  d->spmv = FM_CUDA_SPMV_REFERENCE; /* a defect: the message says so */
  snprintf(d->spmv_note, sizeof d->spmv_note,
           "the reference BSR kernel (%s; Femora's BSR kernel differed by "
           "%.1e)",
           why, rel);
  return 0;
}

extern "C" int fm_cuda_spmv_ab(FmCudaData *d, double alpha, const double *x,
                               double beta, double *y) {
  if (d->mf)
    return fm_cuda_matfree_apply(d, alpha, x, beta, y);
  return product(d, d->spmv, alpha, x, beta, y);
}

extern "C" int fm_cuda_spmv(FmCudaData *d, const double *x, double *y) {
  return fm_cuda_spmv_ab(d, 1.0, x, 0.0, y);
}

/* seconds per call of f over reps calls (one warm-up call first); f
 * records its own errors */
template <typename F> static int time_reps(int reps, F f, double *sec) {
  cudaEvent_t t0 = NULL, t1 = NULL;
  float ms = 0.0f;
  int ferr = 0;
  cudaError_t e = cudaEventCreate(&t0);
  if (e == cudaSuccess)
    e = cudaEventCreate(&t1);
  if (e == cudaSuccess)
    ferr = f();
  if (e == cudaSuccess && !ferr)
    e = cudaEventRecord(t0);
  for (int k = 0; k < reps && e == cudaSuccess && !ferr; k++)
    ferr = f();
  if (e == cudaSuccess && !ferr && (e = cudaEventRecord(t1)) == cudaSuccess &&
      (e = cudaEventSynchronize(t1)) == cudaSuccess)
    e = cudaEventElapsedTime(&ms, t0, t1);
  if (t0)
    cudaEventDestroy(t0);
  if (t1)
    cudaEventDestroy(t1);
  if (ferr)
    return 1;
  if (e != cudaSuccess)
    return fm_cuda_fail("cudaEvent timing", cudaGetErrorName(e),
                        cudaGetErrorString(e), __FILE__, __LINE__);
  *sec = 1e-3 * ms / reps;
  return 0;
}

extern "C" int fm_cuda_spmv_bandwidth(FmCudaData *d, double *spmv_gbs,
                                      double *copy_gbs) {
  enum { REPS = 20 };
  const size_t n = (size_t)d->n, big = (size_t)1 << 28;
  FM_CUDA_CHECK(cudaMemset(d->p, 0, n * sizeof(double)));
  double t = 0.0;
  FM_CALL(time_reps(
      REPS, [d]() { return fm_cuda_spmv(d, d->p, d->q); }, &t));
  /* matrix-free: coordinates, connectivity, (E, nu), the element forces
   * written and read back, the slots; else the matrix; both x and y */
  const double ne = (double)d->nelem, npe = (double)d->npe;
  const double bytes =
      d->mf ? 24.0 * d->nn + 4.0 * npe * ne + 16.0 * ne + 48.0 * npe * ne +
                  4.0 * npe * ne + 4.0 * (d->nn + 1) + 16.0 * (double)n
            : 8.0 * d->nnz + 4.0 * d->nb + 4.0 * (d->nn + 1) + 16.0 * (double)n;
  *spmv_gbs = t > 0 ? bytes / t / 1e9 : 0.0;
  void *src = NULL, *dst = NULL;
  cudaError_t e = cudaMalloc(&src, big);
  if (e == cudaSuccess)
    e = cudaMalloc(&dst, big);
  *copy_gbs = 0.0;
  t = 0.0;
  int ierr = 0;
  if (e == cudaErrorMemoryAllocation) { /* no room for the copy: no figure */
    (void)cudaGetLastError();
    e = cudaSuccess;
  } else if (e == cudaSuccess)
    ierr = time_reps(
        REPS,
        [src, dst, big]() {
          FM_CUDA_CHECK(
              cudaMemcpyAsync(dst, src, big, cudaMemcpyDeviceToDevice, 0));
          return 0;
        },
        &t);
  if (src)
    cudaFree(src);
  if (dst)
    cudaFree(dst);
  FM_CUDA_CHECK_AS(e, "cudaMalloc (the bandwidth test's 256 MB buffers)");
  FM_CALL(ierr);
  *copy_gbs = t > 0 ? 2.0 * (double)big / t / 1e9 : 0.0;
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
  FM_LAUNCH(prepare_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, d->fixed, d->g, d->lift, d->diag, d->b, d->x);
  FM_CUDA_CHECK_LAUNCH(prepare_kernel);
  return 0;
}

/* One thread per node, q = A x on entry: r = b - q, z = Dinv r, p = z;
 * out = (r.z, r.r, b.b on the free DOFs: the prescribed rows' diag * g is
 * an arbitrary scale, their residual zero). */
__global__ void residual_kernel(int nn, const double *b, const double *q,
                                const unsigned char *fixed, const double *dinv,
                                double *r, double *z, double *p, double *part,
                                unsigned int *count, double *out) {
  double v[3] = {0.0, 0.0, 0.0};
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < nn;
       i += gridDim.x * blockDim.x) {
    const size_t o = 3 * (size_t)i;
    double rb[3], zb[3];
    for (int k = 0; k < 3; k++) {
      rb[k] = b[o + k] - q[o + k];
      v[2] += fixed[o + k] ? 0.0 : b[o + k] * b[o + k];
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
  FM_LAUNCH_SYNC(residual_kernel, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
  (d->nn, d->b, d->q, d->fixed, d->dinv, d->r, d->z, d->p, d->part, d->count,
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
  FM_LAUNCH_SYNC(dot_kernel, fm_cuda_blocks(n), FM_CUDA_THREADS)
  (n, a, b, d->part, d->count, out);
  FM_CUDA_CHECK_LAUNCH(dot_kernel);
  return 0;
}

extern "C" int fm_cuda_cg_dot_pq(FmCudaData *d) {
  FM_LAUNCH_SYNC(dot_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, d->p, d->q, d->part, d->count, d->s + FM_CUDA_S_PQ);
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
  FM_LAUNCH_SYNC(update_kernel, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
  (d->nn, rz, d->s + FM_CUDA_S_PQ, d->p, d->q, d->dinv, d->x, d->r, d->z,
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
  FM_LAUNCH(direction_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, beta, d->z, d->p);
  FM_CUDA_CHECK_LAUNCH(direction_kernel);
  return 0;
}
