/* The multigrid hierarchy on the device: its setup and the operations its
 * V-cycle (solver/amg.c, fm_amg_cycle) runs on.
 *
 * Setup: solver/amg.c's driver (fm_amg_setup_dev) against this file's
 * FmAmgDev: the data-parallel steps of solver/amg_steps.h as one kernel
 * (one thread per index; the Galerkin products by node blocks among them),
 * CUB prefix sums and radix sort, d_adopt taking the products over, and
 * with FEMORA_AMG_GALERKIN=spgemm the products by cuSPARSE SpGEMM instead;
 * the setup's sums and SpMVs are steps too, summed in the host's order, so
 * the hierarchy is the host's bit for bit; the stiffness assembled on the
 * GPU never leaves it, and only the coarsest operator (a few thousand
 * rows, for its dense factorisation) and a few scalars per step come down.
 *
 * Cycle: cuSPARSE SpMV for A, P and R of every level, a fused Chebyshev
 * step, a dense coarse product; every load case runs its cycles on the
 * device alone. */
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <cub/cub.cuh>

#include "fm_cuda.h"

#include "../solver/amg_steps.h"

static int make_mat_t(cusparseSpMatDescr_t *M, int rows, int cols, int64_t nnz,
                      int *ptr, int *col, void *val, cudaDataType t) {
  FM_CUSPARSE_CHECK(cusparseCreateCsr(M, rows, cols, nnz, ptr, col, val,
                                      CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I,
                                      CUSPARSE_INDEX_BASE_ZERO, t));
  return 0;
}

static int make_mat(cusparseSpMatDescr_t *M, int rows, int cols, int64_t nnz,
                    int *ptr, int *col, double *val) {
  return make_mat_t(M, rows, cols, nnz, ptr, col, val, CUDA_R_64F);
}

/* The CSR products' algorithm: CUSPARSE_SPMV_CSR_ALG2 for M x, which the
 * cuSPARSE documentation (cusparseSpMV) describes as giving the same bits
 * on every run (the default, CSR_ALG1, need not); the transposed product
 * (FEMORA_AMG_RESTRICT=transpose) has no such algorithm. */
static cusparseSpMVAlg_t csr_alg(cusparseOperation_t op) {
  return op == CUSPARSE_OPERATION_NON_TRANSPOSE ? CUSPARSE_SPMV_CSR_ALG2
                                                : CUSPARSE_SPMV_ALG_DEFAULT;
}

/* SpMV buffer of op(M) (x: input descriptor, y: output descriptor). */
static int spmv_buffer(cusparseHandle_t sp, cusparseSpMatDescr_t M,
                       cusparseOperation_t op, cusparseDnVecDescr_t x,
                       cusparseDnVecDescr_t y, void **buf, size_t *total,
                       int single) {
  const double one = 1.0, zero = 0.0;
  const float onef = 1.0f, zerof = 0.0f;
  size_t bytes = 0;
  FM_CUSPARSE_CHECK(cusparseSpMV_bufferSize(
      sp, op, single ? (const void *)&onef : (const void *)&one, M, x,
      single ? (const void *)&zerof : (const void *)&zero, y,
      single ? CUDA_R_32F : CUDA_R_64F, csr_alg(op), &bytes));
  if (bytes > 0)
    FM_CUDA_CHECK(cudaMalloc(buf, bytes));
  *total += bytes;
  return 0;
}

/* Errors ignored: this runs on the way out. */
extern "C" void fm_cuda_amg_free(FmCudaAmg *g) {
  for (int l = 0; l < FM_AMG_MAX_LEVELS; l++) {
    FmCudaAmgLevel *G = &g->lev[l];
    if (G->A)
      cusparseDestroySpMat(G->A);
    if (G->P)
      cusparseDestroySpMat(G->P);
    if (G->R)
      cusparseDestroySpMat(G->R);
    if (G->PT)
      cusparseDestroySpMat(G->PT);
    if (G->vin)
      cusparseDestroyDnVec(G->vin);
    if (G->vout)
      cusparseDestroyDnVec(G->vout);
    void *p[] = {G->Aptr,  G->Acol,  G->Aval,  G->Pptr, G->Pcol, G->Pval,
                 G->Rptr,  G->Rcol,  G->Rval,  G->dinv, G->b,    G->x,
                 G->r,     G->d,     G->bufA,  G->bufP, G->bufR, G->Aptr64,
                 G->Avalf, G->Pvalf, G->Rvalf, G->dinvf};
    for (size_t k = 0; k < sizeof p / sizeof p[0]; k++)
      if (p[k])
        cudaFree(p[k]);
  }
  if (g->cinv)
    cudaFree(g->cinv);
  if (g->vtmp)
    cusparseDestroyDnVec(g->vtmp);
  if (g->tmpf)
    cudaFree(g->tmpf);
  memset(g, 0, sizeof *g);
}

/* ---- the Galerkin step on the device (cuSPARSE SpGEMM) ---- */

/* A device CSR with 32-bit offsets and columns. */
typedef struct {
  int rows, cols, nnz;
  int *ptr, *col;
  double *val;
} DevCsr;

static void dev_free(DevCsr *M) {
  if (M->ptr)
    cudaFree(M->ptr);
  if (M->col)
    cudaFree(M->col);
  if (M->val)
    cudaFree(M->val);
  memset(M, 0, sizeof *M);
}

/* cudaMalloc after comparing with the free memory: a refusal says what the
 * setup needed, and how much was free. */
/* set when dev_alloc refused for want of free memory (the SpGEMM retries
 * with a leaner algorithm then) */
static int alloc_refused = 0;

static int dev_alloc(void **p, size_t bytes, int level, const char *what,
                     const char *device_name) {
  size_t freeb = 0, total = 0;
  FM_CUDA_CHECK(cudaMemGetInfo(&freeb, &total));
  if (bytes > freeb) {
    alloc_refused = 1;
    char lv[32] = "";
    if (level >= 0)
      snprintf(lv, sizeof lv, "level %d, ", level);
    return fm_error("backend cuda: multigrid setup, %s%s: needs %.2f GiB of "
                    "GPU memory, %.2f GiB free on %s (use solver: "
                    "{preconditioner: jacobi} or --backend cpu)",
                    lv, what, (double)bytes / 1073741824.0,
                    (double)freeb / 1073741824.0, device_name);
  }
  const cudaError_t e = cudaMalloc(p, bytes > 0 ? bytes : 8);
  if (e == cudaErrorMemoryAllocation)
    alloc_refused = 1; /* free memory is not all allocatable (granularity) */
  FM_CUDA_CHECK_AS(e, "cudaMalloc (multigrid setup)");
  return 0;
}

/* *bad = the smallest row whose columns are not strictly increasing */
__global__ void unsorted_kernel(int n, const int *ptr, const int *col,
                                int *bad) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    for (int k = ptr[i] + 1; k < ptr[i + 1]; k++)
      if (col[k] <= col[k - 1]) {
        atomicMin(bad, i);
        break;
      }
}

/* cuSPARSE does not promise sorted columns in SpGEMM's result: where a row
 * is not sorted, sort them all (CUB segmented sort of the columns with
 * their values), since the setup's steps merge sorted rows. */
static int sort_rows(DevCsr *C, int level, const char *what,
                     const char *device_name) {
  int *bad = NULL, hbad = INT_MAX;
  FM_CALL(dev_alloc((void **)&bad, sizeof(int), level, what, device_name));
  cudaError_t e = cudaMemcpy(bad, &hbad, sizeof(int), cudaMemcpyHostToDevice);
  if (e == cudaSuccess) {
    FM_LAUNCH(unsorted_kernel, fm_cuda_blocks(C->rows), FM_CUDA_THREADS)
    (C->rows, C->ptr, C->col, bad);
    e = cudaGetLastError();
  }
  if (e == cudaSuccess)
    e = cudaMemcpy(&hbad, bad, sizeof(int), cudaMemcpyDeviceToHost);
  cudaFree(bad);
  if (e != cudaSuccess)
    return fm_cuda_fail("unsorted_kernel (SpGEMM result check)",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  if (hbad == INT_MAX || C->nnz == 0)
    return 0;
  int *col2 = NULL;
  double *val2 = NULL;
  if (dev_alloc((void **)&col2, (size_t)C->nnz * sizeof(int), level, what,
                device_name) ||
      dev_alloc((void **)&val2, (size_t)C->nnz * sizeof(double), level, what,
                device_name)) {
    if (col2)
      cudaFree(col2);
    return 1;
  }
  void *tmp = NULL;
  size_t tb = 0;
  e = cub::DeviceSegmentedSort::StableSortPairs(
      tmp, tb, C->col, col2, C->val, val2, C->nnz, C->rows, C->ptr, C->ptr + 1);
  if (e == cudaSuccess)
    e = cudaMalloc(&tmp, tb > 0 ? tb : 8);
  if (e == cudaSuccess)
    e = cub::DeviceSegmentedSort::StableSortPairs(tmp, tb, C->col, col2, C->val,
                                                  val2, C->nnz, C->rows, C->ptr,
                                                  C->ptr + 1);
  if (tmp)
    cudaFree(tmp);
  if (e != cudaSuccess) {
    cudaFree(col2);
    cudaFree(val2);
    return fm_cuda_fail("cub::DeviceSegmentedSort::StableSortPairs",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  }
  cudaFree(C->col);
  cudaFree(C->val);
  C->col = col2;
  C->val = val2;
  return 0;
}

/* C = A B (cuSPARSE generic SpGEMM, double) with algorithm alg: ALG1 (the
 * default: fastest, its buffer grows with the intermediate products) or
 * ALG3 (the products in chunks, chunk the fraction of them per chunk:
 * bounded memory; the cuSPARSE documentation, "cusparseSpGEMM"). */
static int spgemm_alg(cusparseHandle_t sp, const DevCsr *A, const DevCsr *B,
                      DevCsr *C, int level, const char *what,
                      const char *device_name, cusparseSpGEMMAlg_t alg,
                      float chunk) {
  const double one = 1.0, zero = 0.0;
  const cusparseOperation_t N = CUSPARSE_OPERATION_NON_TRANSPOSE;
  cusparseSpMatDescr_t mA = NULL, mB = NULL, mC = NULL;
  cusparseSpGEMMDescr_t desc = NULL;
  void *buf1 = NULL, *buf2 = NULL;
  size_t b1 = 0, b2 = 0;
  int ierr = 1;
  memset(C, 0, sizeof *C);
  C->rows = A->rows;
  C->cols = B->cols;
#define SPG_TRY(call)                                                          \
  do {                                                                         \
    if (call)                                                                  \
      goto out;                                                                \
  } while (0)
  SPG_TRY(dev_alloc((void **)&C->ptr, ((size_t)C->rows + 1) * sizeof(int),
                    level, what, device_name));
  SPG_TRY(make_mat(&mA, A->rows, A->cols, A->nnz, A->ptr, A->col, A->val));
  SPG_TRY(make_mat(&mB, B->rows, B->cols, B->nnz, B->ptr, B->col, B->val));
  SPG_TRY(make_mat(&mC, C->rows, C->cols, 0, C->ptr, NULL, NULL));
  {
    cusparseStatus_t st = cusparseSpGEMM_createDescr(&desc);
    if (st != CUSPARSE_STATUS_SUCCESS) {
      fm_cuda_fail("cusparseSpGEMM_createDescr(&desc)",
                   cusparseGetErrorName(st), cusparseGetErrorString(st),
                   __FILE__, __LINE__);
      goto out;
    }
  }
/* cuSPARSE's ALG1 says INSUFFICIENT_RESOURCES on large products: the
 * leaner ALG3 is tried then, as when a buffer does not fit */
#define SPG_CUSPARSE(call)                                                     \
  do {                                                                         \
    const cusparseStatus_t st_ = (call);                                       \
    if (st_ == CUSPARSE_STATUS_INSUFFICIENT_RESOURCES)                         \
      alloc_refused = 1;                                                       \
    if (st_ != CUSPARSE_STATUS_SUCCESS) {                                      \
      fm_cuda_fail(#call, cusparseGetErrorName(st_),                           \
                   cusparseGetErrorString(st_), __FILE__, __LINE__);           \
      goto out;                                                                \
    }                                                                          \
  } while (0)
  SPG_CUSPARSE(cusparseSpGEMM_workEstimation(sp, N, N, &one, mA, mB, &zero, mC,
                                             CUDA_R_64F, alg, desc, &b1, NULL));
  SPG_TRY(dev_alloc(&buf1, b1, level, what, device_name));
  SPG_CUSPARSE(cusparseSpGEMM_workEstimation(sp, N, N, &one, mA, mB, &zero, mC,
                                             CUDA_R_64F, alg, desc, &b1, buf1));
  if (alg == CUSPARSE_SPGEMM_ALG1) {
    SPG_CUSPARSE(cusparseSpGEMM_compute(sp, N, N, &one, mA, mB, &zero, mC,
                                        CUDA_R_64F, alg, desc, &b2, NULL));
  } else {
    /* the second buffer's size from a memory estimate with its own
     * temporary buffer */
    size_t b3 = 0;
    void *buf3 = NULL;
    SPG_CUSPARSE(cusparseSpGEMM_estimateMemory(sp, N, N, &one, mA, mB, &zero,
                                               mC, CUDA_R_64F, alg, desc, chunk,
                                               &b3, NULL, NULL));
    SPG_TRY(dev_alloc(&buf3, b3, level, what, device_name));
    const cusparseStatus_t st3 = cusparseSpGEMM_estimateMemory(
        sp, N, N, &one, mA, mB, &zero, mC, CUDA_R_64F, alg, desc, chunk, &b3,
        buf3, &b2);
    cudaFree(buf3);
    SPG_CUSPARSE(st3);
  }
  SPG_TRY(dev_alloc(&buf2, b2, level, what, device_name));
  SPG_CUSPARSE(cusparseSpGEMM_compute(sp, N, N, &one, mA, mB, &zero, mC,
                                      CUDA_R_64F, alg, desc, &b2, buf2));
  {
    int64_t r = 0, c = 0, nnz = 0;
    SPG_CUSPARSE(cusparseSpMatGetSize(mC, &r, &c, &nnz));
    if (nnz > INT_MAX) {
      fm_error("amg: level %d, %s: %lld nonzeros (32-bit indices on the GPU: "
               "at most %d)",
               level, what, (long long)nnz, INT_MAX);
      goto out;
    }
    C->nnz = (int)nnz;
  }
  SPG_TRY(dev_alloc((void **)&C->col, (size_t)C->nnz * sizeof(int), level, what,
                    device_name));
  SPG_TRY(dev_alloc((void **)&C->val, (size_t)C->nnz * sizeof(double), level,
                    what, device_name));
  SPG_CUSPARSE(cusparseCsrSetPointers(mC, C->ptr, C->col, C->val));
  SPG_CUSPARSE(cusparseSpGEMM_copy(sp, N, N, &one, mA, mB, &zero, mC,
                                   CUDA_R_64F, alg, desc));
  SPG_TRY(sort_rows(C, level, what, device_name));
  ierr = 0;
out:
#undef SPG_TRY
#undef SPG_CUSPARSE
  if (desc)
    cusparseSpGEMM_destroyDescr(desc);
  if (mA)
    cusparseDestroySpMat(mA);
  if (mB)
    cusparseDestroySpMat(mB);
  if (mC)
    cusparseDestroySpMat(mC);
  if (buf1)
    cudaFree(buf1);
  if (buf2)
    cudaFree(buf2);
  if (ierr)
    dev_free(C);
  return ierr;
}

/* C = A B: ALG1 first; where its buffers do not fit in the free memory,
 * ALG3 with a fifth and then a twentieth of the products per chunk. */
static int spgemm(cusparseHandle_t sp, const DevCsr *A, const DevCsr *B,
                  DevCsr *C, int level, const char *what,
                  const char *device_name) {
  const float chunks[] = {0.2f, 0.05f};
  alloc_refused = 0;
  if (!spgemm_alg(sp, A, B, C, level, what, device_name, CUSPARSE_SPGEMM_ALG1,
                  1.0f))
    return 0;
  for (size_t k = 0; alloc_refused && k < sizeof chunks / sizeof chunks[0];
       k++) {
    alloc_refused = 0;
    if (!spgemm_alg(sp, A, B, C, level, what, device_name, CUSPARSE_SPGEMM_ALG3,
                    chunks[k]))
      return 0;
  }
  return 1; /* the last attempt's message stands */
}

/* P = Pt + diag(s) A Pt in place of AP (= A Pt), whose pattern holds Pt's
 * (A has its diagonal): one thread per row; a Pt entry missing from AP's
 * row sets *bad to the row. */
__global__ void smooth_kernel(int n, const int *app, const int *apc,
                              double *apv, const int *ptp, const int *ptc,
                              const double *ptv, const double *s, int *bad) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    for (int k = app[i]; k < app[i + 1]; k++)
      apv[k] *= s[i];
    for (int t = ptp[i]; t < ptp[i + 1]; t++) {
      int k = app[i];
      while (k < app[i + 1] && apc[k] != ptc[t])
        k++;
      if (k < app[i + 1])
        apv[k] += ptv[t];
      else
        atomicMin(bad, i);
    }
  }
}

/* ---- the setup's primitives (FmAmgDev) ---- */

/* The operator of level l as a 32-bit device CSR; level 0's (the
 * stiffness, in 3x3 blocks) as a scalar copy into *tA (the caller frees
 * it). */
static int level_csr(const FmCudaAmg *g, int l, DevCsr *tA, DevCsr *A) {
  if (l > 0) {
    const FmCudaAmgLevel *L = &g->lev[l];
    *A = {L->n, L->n, L->Annz, L->Aptr, L->Acol, L->Aval};
    return 0;
  }
  const FmCudaData *d = g->d;
  const char *what = "a scalar copy of the stiffness (spgemm)";
  FM_CALL(dev_alloc((void **)&tA->ptr, ((size_t)d->n + 1) * sizeof(int), 0,
                    what, g->device_name));
  FM_CALL(dev_alloc((void **)&tA->col, (size_t)d->nnz * sizeof(int), 0, what,
                    g->device_name));
  FM_CALL(dev_alloc((void **)&tA->val, (size_t)d->nnz * sizeof(double), 0, what,
                    g->device_name));
  tA->rows = tA->cols = d->n;
  tA->nnz = d->nnz;
  FM_CALL(fm_cuda_scalar_stiffness(d, tA->ptr, tA->col, tA->val));
  *A = *tA;
  return 0;
}

/* The level whose widened offsets a view holds, or -1. */
static int level_of(const FmCudaAmg *g, const FmAmgCsr *A) {
  for (int l = 0; l < FM_AMG_MAX_LEVELS; l++)
    if (g->lev[l].Aptr64 && g->lev[l].Aptr64 == A->ptr)
      return l;
  return -1;
}

__global__ void widen_kernel(int n1, const int *p32, int64_t *p64) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n1;
       i += gridDim.x * blockDim.x)
    p64[i] = p32[i];
}

__global__ void narrow_kernel(int n1, const int64_t *p64, int *p32) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n1;
       i += gridDim.x * blockDim.x)
    p32[i] = (int)p64[i];
}

__global__ void iota_kernel(int n, int *v) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    v[i] = i;
}

/* One thread per index of a setup step (amg_steps.h). */
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    step_kernel(int step, int64_t n, FmAmgArgs a) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    fm_amg_step(step, i, &a);
}

extern "C" int fm_cuda_amg_local_bytes(size_t *bytes) {
  return fm_cuda_local_bytes(4, step_kernel, step_kernel, bytes);
}

/* 64-bit offsets of a 32-bit CSR's rows + 1 (allocated). */
static int widen(const FmCudaAmg *g, int l, int rows, const int *p32,
                 int64_t **p64) {
  FM_CALL(dev_alloc((void **)p64, ((size_t)rows + 1) * sizeof(int64_t), l,
                    "64-bit offsets", g->device_name));
  FM_LAUNCH(widen_kernel, fm_cuda_blocks(rows + 1LL), FM_CUDA_THREADS)
  (rows + 1, p32, *p64);
  FM_CUDA_CHECK_LAUNCH(widen_kernel);
  return 0;
}

static void *d_alloc(void *ctx, size_t bytes, int level, const char *what) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  void *p = NULL;
  if (dev_alloc(&p, bytes, level, what, g->device_name))
    return NULL;
  const cudaError_t e = cudaMemset(p, 0, bytes);
  if (e != cudaSuccess) {
    cudaFree(p);
    fm_cuda_fail("cudaMemset (multigrid setup)", cudaGetErrorName(e),
                 cudaGetErrorString(e), __FILE__, __LINE__);
    return NULL;
  }
  return p;
}

static void d_release(void *ctx, void *p) {
  (void)ctx;
  if (p)
    cudaFree(p); /* errors surface at the next checked call */
}

static int d_put(void *ctx, void *dst, const void *src, size_t bytes) {
  (void)ctx;
  FM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  return 0;
}

static int d_get(void *ctx, void *dst, const void *src, size_t bytes) {
  (void)ctx;
  FM_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  return 0;
}

static int d_run(void *ctx, int step, int64_t n, const FmAmgArgs *a) {
  (void)ctx;
  if (n <= 0)
    return 0;
  FM_LAUNCH(step_kernel, fm_cuda_blocks(n), FM_CUDA_THREADS)(step, n, *a);
  FM_CUDA_CHECK_LAUNCH(step_kernel);
  return 0;
}

/* CUB temporary storage: query with tmp NULL, allocate, run. */
#define CUB_RUN(what, call)                                                    \
  do {                                                                         \
    void *tmp = NULL;                                                          \
    size_t tb = 0;                                                             \
    cudaError_t e_ = call;                                                     \
    if (e_ == cudaSuccess)                                                     \
      e_ = cudaMalloc(&tmp, tb > 0 ? tb : 8);                                  \
    if (e_ == cudaSuccess)                                                     \
      e_ = call;                                                               \
    if (tmp)                                                                   \
      cudaFree(tmp);                                                           \
    if (e_ != cudaSuccess)                                                     \
      return fm_cuda_fail(what, cudaGetErrorName(e_), cudaGetErrorString(e_),  \
                          __FILE__, __LINE__);                                 \
  } while (0)

static int d_scan(void *ctx, int64_t n, int64_t *v) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  if (n + 1 > INT_MAX)
    return fm_error("amg: a prefix sum over %lld values (at most %d)",
                    (long long)n + 1, INT_MAX);
  const int m = (int)n + 1;
  int64_t *out = NULL;
  FM_CALL(dev_alloc((void **)&out, (size_t)m * sizeof(int64_t), -1,
                    "prefix sum", g->device_name));
  int ierr = 1;
  {
    /* a lambda-free block so that CUB_RUN's return leaks nothing: out is
     * freed on both paths below */
    void *tmp = NULL;
    size_t tb = 0;
    cudaError_t e = cub::DeviceScan::ExclusiveSum(tmp, tb, v, out, m);
    if (e == cudaSuccess)
      e = cudaMalloc(&tmp, tb > 0 ? tb : 8);
    if (e == cudaSuccess)
      e = cub::DeviceScan::ExclusiveSum(tmp, tb, v, out, m);
    if (tmp)
      cudaFree(tmp);
    if (e == cudaSuccess)
      e = cudaMemcpy(v, out, (size_t)m * sizeof(int64_t),
                     cudaMemcpyDeviceToDevice);
    if (e != cudaSuccess)
      fm_cuda_fail("cub::DeviceScan::ExclusiveSum", cudaGetErrorName(e),
                   cudaGetErrorString(e), __FILE__, __LINE__);
    else
      ierr = 0;
  }
  cudaFree(out);
  return ierr;
}

static int d_order(void *ctx, int n, int nkeys, const int *key, int *perm) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  unsigned int *kout = NULL;
  int *vin = NULL;
  int bits = 1;
  while (bits < 31 && (1LL << bits) <= (long long)nkeys)
    bits++;
  if (dev_alloc((void **)&kout, ((size_t)n + 1) * sizeof(unsigned int), -1,
                "aggregate order", g->device_name) ||
      dev_alloc((void **)&vin, ((size_t)n + 1) * sizeof(int), -1,
                "aggregate order", g->device_name)) {
    if (kout)
      cudaFree(kout);
    return 1;
  }
  FM_LAUNCH(iota_kernel, fm_cuda_blocks(n), FM_CUDA_THREADS)(n, vin);
  cudaError_t e = cudaGetLastError();
  void *tmp = NULL;
  size_t tb = 0;
  const unsigned int *kin = (const unsigned int *)key; /* keys >= 0 */
  if (e == cudaSuccess)
    e = cub::DeviceRadixSort::SortPairs(tmp, tb, kin, kout, vin, perm, n, 0,
                                        bits);
  if (e == cudaSuccess)
    e = cudaMalloc(&tmp, tb > 0 ? tb : 8);
  if (e == cudaSuccess)
    e = cub::DeviceRadixSort::SortPairs(tmp, tb, kin, kout, vin, perm, n, 0,
                                        bits);
  if (tmp)
    cudaFree(tmp);
  cudaFree(kout);
  cudaFree(vin);
  if (e != cudaSuccess)
    return fm_cuda_fail("cub::DeviceRadixSort::SortPairs", cudaGetErrorName(e),
                        cudaGetErrorString(e), __FILE__, __LINE__);
  return 0;
}

/* P = Pt + diag(s) A Pt, R = P^T, Ac = R (A P); P and R kept in level l,
 * Ac in level l + 1 (tPt, tAP2, tA: temporaries the caller frees). */
static int galerkin(FmCudaAmg *g, int l, const FmAmgCsr *Ptv, const double *s,
                    DevCsr *tPt, DevCsr *tAP2, DevCsr *tA) {
  FmCudaData *d = g->d;
  FmCudaAmgLevel *L = &g->lev[l], *C = &g->lev[l + 1];
  const char *dev = g->device_name;
  DevCsr A;
  FM_CALL(level_csr(g, l, tA, &A));
  const int n = A.rows;
  /* cuSPARSE's product writes A P with 32-bit offsets before its size can
   * be asked: refused where it may not fit.  A P has about 1.6 times A's
   * nonzeros on the TET10 implant model (docs/gpu.md); 2.5 leaves a
   * margin */
  if (25 * (int64_t)A.nnz / 10 > INT_MAX)
    return fm_error("amg: level %d: FEMORA_AMG_GALERKIN=spgemm: an operator "
                    "of %d nonzeros; A P may pass cuSPARSE's 32-bit offsets "
                    "(leave FEMORA_AMG_GALERKIN unset: the default products "
                    "count in 64 bits)",
                    l, A.nnz);
  if (Ptv->rows != n)
    return fm_error("amg: level %d: P_tent has %d rows, the operator %d", l,
                    Ptv->rows, n);
  int64_t pnnz = 0;
  FM_CUDA_CHECK(
      cudaMemcpy(&pnnz, Ptv->ptr + n, sizeof pnnz, cudaMemcpyDeviceToHost));
  if (pnnz > INT_MAX)
    return fm_error("amg: level %d: P_tent has %lld nonzeros (at most %d)", l,
                    (long long)pnnz, INT_MAX);
  /* P_tent with 32-bit offsets (columns and values: the setup's arrays) */
  FM_CALL(dev_alloc((void **)&tPt->ptr, ((size_t)n + 1) * sizeof(int), l,
                    "P_tent", dev));
  FM_LAUNCH(narrow_kernel, fm_cuda_blocks(n + 1LL), FM_CUDA_THREADS)
  (n + 1, Ptv->ptr, tPt->ptr);
  FM_CUDA_CHECK_LAUNCH(narrow_kernel);
  tPt->rows = n;
  tPt->cols = Ptv->cols;
  tPt->nnz = (int)pnnz;
  DevCsr Ptc = *tPt;
  Ptc.col = (int *)Ptv->col;
  Ptc.val = (double *)Ptv->val;
  /* P = Pt + diag(s) A Pt */
  DevCsr P;
  FM_CALL(spgemm(g->sp, &A, &Ptc, &P, l, "A P_tent", dev));
  L->Pptr = P.ptr;
  L->Pcol = P.col;
  L->Pval = P.val;
  L->Pnnz = P.nnz;
  L->nc = P.cols;
  const int none = INT_MAX;
  FM_CUDA_CHECK(
      cudaMemcpy(d->flag, &none, sizeof(int), cudaMemcpyHostToDevice));
  FM_LAUNCH(smooth_kernel, fm_cuda_blocks(n), FM_CUDA_THREADS)
  (n, P.ptr, P.col, P.val, Ptc.ptr, Ptc.col, Ptc.val, s, d->flag);
  FM_CUDA_CHECK_LAUNCH(smooth_kernel);
  int bad = INT_MAX;
  FM_CUDA_CHECK(cudaMemcpy(&bad, d->flag, sizeof(int), cudaMemcpyDeviceToHost));
  if (bad != INT_MAX)
    return fm_error("amg: level %d: row %d of P_tent has an entry outside the "
                    "pattern of A P_tent (GPU Galerkin step)",
                    l, bad);
  /* R = P^T */
  FM_CALL(dev_alloc((void **)&L->Rptr, ((size_t)P.cols + 1) * sizeof(int), l,
                    "R = P^T", dev));
  FM_CALL(dev_alloc((void **)&L->Rcol, (size_t)P.nnz * sizeof(int), l,
                    "R = P^T", dev));
  FM_CALL(dev_alloc((void **)&L->Rval, (size_t)P.nnz * sizeof(double), l,
                    "R = P^T", dev));
  L->Rnnz = P.nnz;
  size_t tb = 0;
  void *tbuf = NULL;
  FM_CUSPARSE_CHECK(cusparseCsr2cscEx2_bufferSize(
      g->sp, n, P.cols, P.nnz, P.val, P.ptr, P.col, L->Rval, L->Rptr, L->Rcol,
      CUDA_R_64F, CUSPARSE_ACTION_NUMERIC, CUSPARSE_INDEX_BASE_ZERO,
      CUSPARSE_CSR2CSC_ALG1, &tb));
  FM_CALL(dev_alloc(&tbuf, tb, l, "R = P^T", dev));
  const cusparseStatus_t st =
      cusparseCsr2cscEx2(g->sp, n, P.cols, P.nnz, P.val, P.ptr, P.col, L->Rval,
                         L->Rptr, L->Rcol, CUDA_R_64F, CUSPARSE_ACTION_NUMERIC,
                         CUSPARSE_INDEX_BASE_ZERO, CUSPARSE_CSR2CSC_ALG1, tbuf);
  cudaFree(tbuf);
  if (st != CUSPARSE_STATUS_SUCCESS)
    return fm_cuda_fail("cusparseCsr2cscEx2 (R = P^T)",
                        cusparseGetErrorName(st), cusparseGetErrorString(st),
                        __FILE__, __LINE__);
  /* A_c = R (A P) */
  const DevCsr R = {P.cols, n, P.nnz, L->Rptr, L->Rcol, L->Rval};
  FM_CALL(spgemm(g->sp, &A, &P, tAP2, l, "A P", dev));
  DevCsr Acd;
  FM_CALL(spgemm(g->sp, &R, tAP2, &Acd, l, "R (A P)", dev));
  C->Aptr = Acd.ptr;
  C->Acol = Acd.col;
  C->Aval = Acd.val;
  C->Annz = Acd.nnz;
  C->n = Acd.rows;
  if (g->transpose_r) { /* the cycle restricts with P^T */
    void *rm[] = {L->Rptr, L->Rcol, L->Rval};
    L->Rptr = L->Rcol = NULL; /* (not freed twice on an error) */
    L->Rval = NULL;
    L->Rnnz = 0;
    for (int k = 0; k < 3; k++)
      FM_CUDA_CHECK(cudaFree(rm[k]));
  }
  return widen(g, l + 1, C->n, C->Aptr, &C->Aptr64);
}

static void free_level_ops(FmCudaAmg *g, int l);

static int d_galerkin(void *ctx, int l, const FmAmgCsr *Av, const FmAmgCsr *Pt,
                      const double *s, FmAmgCsr *Ac, int64_t *pnnz) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  if (l + 1 >= FM_AMG_MAX_LEVELS || level_of(g, Av) != l)
    return fm_error("amg: internal: Galerkin step of level %d on another "
                    "level's operator",
                    l);
  DevCsr tPt, tAP2, tA;
  memset(&tPt, 0, sizeof tPt);
  memset(&tAP2, 0, sizeof tAP2);
  memset(&tA, 0, sizeof tA);
  const int ierr = galerkin(g, l, Pt, s, &tPt, &tAP2, &tA);
  if (tPt.ptr)
    cudaFree(tPt.ptr); /* only the offsets are tPt's own */
  dev_free(&tAP2);
  dev_free(&tA);
  if (ierr) {
    free_level_ops(g, l);
    return 1;
  }
  const FmCudaAmgLevel *C = &g->lev[l + 1];
  *Ac = {C->n, C->n, C->Aptr64, C->Acol, C->Aval, 1};
  *pnnz = g->lev[l].Pnnz;
  return 0;
}

/* 32-bit offsets of a 64-bit CSR's rows + 1 (allocated). */
static int narrow(const FmCudaAmg *g, int l, int rows, const int64_t *p64,
                  int **p32, const char *what) {
  FM_CALL(dev_alloc((void **)p32, ((size_t)rows + 1) * sizeof(int), l, what,
                    g->device_name));
  FM_LAUNCH(narrow_kernel, fm_cuda_blocks(rows + 1LL), FM_CUDA_THREADS)
  (rows + 1, p64, *p32);
  FM_CUDA_CHECK_LAUNCH(narrow_kernel);
  return 0;
}

/* P, R and the coarse operator from the setup's own Galerkin steps
 * (galerkin_blocks in amg.c, 64-bit offsets): taken over as level l's P
 * and R and level l + 1's operator, with 32-bit offsets for cuSPARSE (the
 * operator keeps its 64-bit ones for the next level's setup steps). */
static int d_adopt(void *ctx, int l, const FmAmgCsr *P, const FmAmgCsr *R,
                   const FmAmgCsr *Ac, FmAmgCsr *Acv) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  void *own[] = {(void *)P->ptr,  (void *)P->col,  (void *)P->val,
                 (void *)R->ptr,  (void *)R->col,  (void *)R->val,
                 (void *)Ac->ptr, (void *)Ac->col, (void *)Ac->val};
  int ierr = l + 1 >= FM_AMG_MAX_LEVELS || g->lev[l].Pptr || g->lev[l + 1].Aptr;
  if (ierr)
    fm_error("amg: internal: level %d's Galerkin product taken twice", l);
  int64_t nnz[3] = {0, 0, 0};
  const FmAmgCsr *m[3] = {P, R, Ac};
  for (int k = 0; k < 3 && !ierr; k++) {
    if (!m[k]->ptr) /* R with opt.transpose_r: none */
      continue;
    const cudaError_t e = cudaMemcpy(nnz + k, m[k]->ptr + m[k]->rows,
                                     sizeof(int64_t), cudaMemcpyDeviceToHost);
    if (e != cudaSuccess)
      ierr = fm_cuda_fail("cudaMemcpy (Galerkin product)", cudaGetErrorName(e),
                          cudaGetErrorString(e), __FILE__, __LINE__);
    else if (nnz[k] > INT_MAX)
      ierr = fm_error("amg: level %d: %s has %lld nonzeros (at most %d with "
                      "cuSPARSE's 32-bit offsets)",
                      l,
                      k == 0   ? "P"
                      : k == 1 ? "R"
                               : "the coarse operator",
                      (long long)nnz[k], INT_MAX);
  }
  if (ierr) {
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++)
      if (own[k])
        cudaFree(own[k]);
    return 1;
  }
  FmCudaAmgLevel *L = &g->lev[l], *C = &g->lev[l + 1];
  L->Pcol = (int *)P->col;
  L->Pval = (double *)P->val;
  L->Pnnz = (int)nnz[0];
  L->nc = P->cols;
  L->Rcol = (int *)R->col;
  L->Rval = (double *)R->val;
  L->Rnnz = (int)nnz[1];
  C->Aptr64 = (int64_t *)Ac->ptr;
  C->Acol = (int *)Ac->col;
  C->Aval = (double *)Ac->val;
  C->Annz = (int)nnz[2];
  C->n = Ac->rows;
  ierr = narrow(g, l, P->rows, P->ptr, &L->Pptr, "P");
  if (!ierr && R->ptr)
    ierr = narrow(g, l, R->rows, R->ptr, &L->Rptr, "R = P^T");
  if (!ierr)
    ierr = narrow(g, l + 1, C->n, C->Aptr64, &C->Aptr, "coarse operator");
  cudaFree((void *)P->ptr);
  if (R->ptr)
    cudaFree((void *)R->ptr);
  if (ierr) {
    free_level_ops(g, l);
    return 1;
  }
  *Acv = {C->n, C->n, C->Aptr64, C->Acol, C->Aval, 1};
  return 0;
}

/* What galerkin(l) made: level l's P and R, level l + 1's operator. */
static void free_level_ops(FmCudaAmg *g, int l) {
  FmCudaAmgLevel *L = &g->lev[l], *C = &g->lev[l + 1];
  void *p[] = {L->Pptr, L->Pcol, L->Pval, L->Rptr, L->Rcol,
               L->Rval, C->Aptr, C->Acol, C->Aval, C->Aptr64};
  for (size_t k = 0; k < sizeof p / sizeof p[0]; k++)
    if (p[k])
      cudaFree(p[k]);
  L->Pptr = L->Pcol = L->Rptr = L->Rcol = NULL;
  L->Pval = L->Rval = NULL;
  L->Pnnz = L->Rnnz = L->nc = 0;
  C->Aptr = C->Acol = NULL;
  C->Aval = NULL;
  C->Aptr64 = NULL;
  C->Annz = C->n = 0;
}

static void d_drop(void *ctx, int l) {
  free_level_ops((FmCudaAmg *)ctx, l);
}

/* a device matrix stored in 3x3 blocks down, expanded on the host */
static int download_blocks(const FmAmgCsr *A, FmCsr *out) {
  const int nn = A->rows / 3;
  int64_t nb = 0;
  FM_CUDA_CHECK(
      cudaMemcpy(&nb, A->ptr + nn, sizeof nb, cudaMemcpyDeviceToHost));
  int64_t *ptr = (int64_t *)fm_calloc((size_t)nn + 1, sizeof(int64_t));
  int *col = (int *)fm_calloc((size_t)nb + 1, sizeof(int));
  double *val = (double *)fm_calloc(9 * (size_t)nb + 1, sizeof(double));
  cudaError_t e = ptr && col && val ? cudaSuccess : cudaErrorMemoryAllocation;
  if (e == cudaSuccess)
    e = cudaMemcpy(ptr, A->ptr, ((size_t)nn + 1) * sizeof(int64_t),
                   cudaMemcpyDeviceToHost);
  if (e == cudaSuccess)
    e = cudaMemcpy(col, A->col, (size_t)nb * sizeof(int),
                   cudaMemcpyDeviceToHost);
  if (e == cudaSuccess)
    e = cudaMemcpy(val, A->val, 9 * (size_t)nb * sizeof(double),
                   cudaMemcpyDeviceToHost);
  int ierr = 1;
  if (e == cudaSuccess) {
    const FmAmgCsr H = {A->rows, A->cols, ptr, col, val, 3};
    ierr = fm_amg_host_copy(&H, out);
  }
  free(ptr);
  free(col);
  free(val);
  if (e != cudaSuccess && ptr && col && val)
    return fm_cuda_fail("cudaMemcpy (stiffness blocks down)",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  return ierr;
}

static int d_download(void *ctx, const FmAmgCsr *A, FmCsr *out) {
  (void)ctx;
  if (A->bs == 3)
    return download_blocks(A, out);
  int64_t nnz = 0;
  FM_CUDA_CHECK(
      cudaMemcpy(&nnz, A->ptr + A->rows, sizeof nnz, cudaMemcpyDeviceToHost));
  FM_CALL(fm_csr_scalar_alloc(out, A->rows, A->cols, nnz));
  FM_CUDA_CHECK(cudaMemcpy(out->ptr, A->ptr,
                           ((size_t)A->rows + 1) * sizeof(int64_t),
                           cudaMemcpyDeviceToHost));
  FM_CUDA_CHECK(cudaMemcpy(out->col, A->col, (size_t)nnz * sizeof(int),
                           cudaMemcpyDeviceToHost));
  FM_CUDA_CHECK(cudaMemcpy(out->val, A->val, (size_t)nnz * sizeof(double),
                           cudaMemcpyDeviceToHost));
  return 0;
}

extern "C" int fm_cuda_amg_dev(FmCudaData *d, FmCudaAmg *g,
                               const char *device_name, FmAmgDev *dev,
                               FmAmgCsr *A0) {
  g->sp = d->sp;
  g->d = d;
  g->device_name = device_name;
  FM_CALL(widen(g, 0, d->nn, d->bptr, &g->lev[0].Aptr64));
  *A0 = {d->n, d->n, g->lev[0].Aptr64, d->bcol, d->val, 3};
  memset(dev, 0, sizeof *dev);
  dev->ctx = g;
  dev->host = 0;
  dev->alloc = d_alloc;
  dev->release = d_release;
  dev->put = d_put;
  dev->get = d_get;
  dev->run = d_run;
  dev->scan = d_scan;
  dev->order = d_order;
  dev->galerkin = d_galerkin;
  dev->adopt = d_adopt;
  dev->drop = d_drop;
  dev->download = d_download;
  return 0;
}

__global__ void to_float_kernel(int64_t n, const double *v, float *f) {
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    f[i] = (float)v[i];
}

/* *f = float copy of the n doubles at *v, which are freed (set NULL) */
static int to_float(FmCudaAmg *g, int level, double **v, int64_t n, float **f) {
  FM_CALL(dev_alloc((void **)f, (size_t)(n > 0 ? n : 1) * sizeof(float), level,
                    "single-precision hierarchy", g->device_name));
  if (n > 0) {
    FM_LAUNCH(to_float_kernel, fm_cuda_blocks(n), FM_CUDA_THREADS)(n, *v, *f);
    FM_CUDA_CHECK_LAUNCH(to_float_kernel);
  }
  FM_CUDA_CHECK(cudaFree(*v)); /* waits for the kernel */
  *v = NULL;
  return 0;
}

extern "C" int fm_cuda_amg_finish(FmAmg *amg, FmCudaAmg *g) {
  FmCudaData *d = g->d;
  const int nlev = amg->nlev;
  /* nothing beyond the last level */
  if (nlev < FM_AMG_MAX_LEVELS)
    free_level_ops(g, nlev - 1);
  for (int l = nlev; l < FM_AMG_MAX_LEVELS; l++)
    if (l + 1 < FM_AMG_MAX_LEVELS)
      free_level_ops(g, l);
  for (int l = 0; l < FM_AMG_MAX_LEVELS; l++) {
    if (g->lev[l].Aptr64) {
      cudaFree(g->lev[l].Aptr64);
      g->lev[l].Aptr64 = NULL;
    }
    memset(&amg->lev[l].Av, 0, sizeof amg->lev[l].Av); /* pointed there */
  }
  g->nlev = nlev;
  g->single = amg->opt.single && nlev > 1;
  fm_amg_shape(amg, &g->shape);
  size_t bytes = 0;
  for (int l = 0; l < nlev; l++) {
    FmCudaAmgLevel *G = &g->lev[l];
    G->n = amg->lev[l].n;
    G->single = g->single && l > 0;
    if (amg->lev[l].dinv) { /* taken over (else uploaded already) */
      G->dinv = amg->lev[l].dinv;
      amg->lev[l].dinv = NULL;
    }
    if (G->single) {
      FM_CALL(to_float(g, l, &G->dinv, G->n, &G->dinvf));
      FM_CALL(to_float(g, l, &G->Aval, G->Annz, &G->Avalf));
    }
    if (g->single && l + 1 < nlev) {
      FM_CALL(to_float(g, l, &G->Pval, G->Pnnz, &G->Pvalf));
      if (G->Rval)
        FM_CALL(to_float(g, l, &G->Rval, G->Rnnz, &G->Rvalf));
    }
    const size_t es = G->single ? sizeof(float) : sizeof(double);
    const cudaDataType t = G->single ? CUDA_R_32F : CUDA_R_64F;
    const size_t vb = ((size_t)G->n + 1) * es;
    void **vecs[] = {&G->r, &G->d, &G->b, &G->x};
    for (int k = 0; k < (l > 0 ? 4 : 2); k++) {
      FM_CUDA_CHECK(cudaMalloc(vecs[k], vb));
      FM_CUDA_CHECK(cudaMemset(*vecs[k], 0, vb));
    }
    bytes += (l > 0 ? 5 : 3) * vb;
    if (l > 0) { /* level 0's products: fm_cuda_spmv_ab */
      FM_CALL(make_mat_t(&G->A, G->n, G->n, G->Annz, G->Aptr, G->Acol,
                         G->single ? (void *)G->Avalf : (void *)G->Aval, t));
      bytes += ((size_t)G->n + 1) * 4 + (4 + es) * (size_t)G->Annz;
    }
    FM_CUSPARSE_CHECK(cusparseCreateDnVec(&G->vin, G->n, G->d, t));
    FM_CUSPARSE_CHECK(cusparseCreateDnVec(&G->vout, G->n, G->r, t));
    if (l + 1 < nlev) {
      const int nc = amg->lev[l + 1].n;
      if (!G->Pptr || G->nc != nc)
        return fm_error("amg: internal: level %d has no prolongator to %d "
                        "rows",
                        l, nc);
      const cudaDataType tp = g->single ? CUDA_R_32F : CUDA_R_64F;
      FM_CALL(make_mat_t(&G->P, G->n, nc, G->Pnnz, G->Pptr, G->Pcol,
                         g->single ? (void *)G->Pvalf : (void *)G->Pval, tp));
      if (G->Rptr)
        FM_CALL(make_mat_t(&G->R, nc, G->n, G->Rnnz, G->Rptr, G->Rcol,
                           g->single ? (void *)G->Rvalf : (void *)G->Rval, tp));
      else /* restriction by P^T: its own descriptor of P's arrays */
        FM_CALL(make_mat_t(&G->PT, G->n, nc, G->Pnnz, G->Pptr, G->Pcol,
                           g->single ? (void *)G->Pvalf : (void *)G->Pval, tp));
      const size_t ep = g->single ? 4 : 8;
      bytes +=
          ((size_t)G->n + 1) * 4 + (4 + ep) * (size_t)G->Pnnz +
          (G->Rptr ? ((size_t)nc + 1) * 4 + (4 + ep) * (size_t)G->Rnnz : 0);
    }
  }
  /* single: level 0's vectors meet P_0 and R_0 through a float copy */
  if (g->single) {
    const size_t tb = ((size_t)d->n + 1) * sizeof(float);
    FM_CUDA_CHECK(cudaMalloc((void **)&g->tmpf, tb));
    FM_CUDA_CHECK(cudaMemset(g->tmpf, 0, tb));
    FM_CUSPARSE_CHECK(cusparseCreateDnVec(&g->vtmp, d->n, g->tmpf, CUDA_R_32F));
    bytes += tb;
  }
  size_t bufs = 0;
  for (int l = 0; l < nlev; l++) {
    FmCudaAmgLevel *G = &g->lev[l];
    if (l > 0)
      FM_CALL(spmv_buffer(g->sp, G->A, CUSPARSE_OPERATION_NON_TRANSPOSE, G->vin,
                          G->vout, &G->bufA, &bufs, G->single));
    if (l + 1 < nlev) {
      FmCudaAmgLevel *C = &g->lev[l + 1];
      /* level 0's side of P_0 and R_0 is the float copy when single */
      cusparseDnVecDescr_t fine_in = G->vin, fine_out = G->vout;
      if (g->single && l == 0)
        fine_in = fine_out = g->vtmp;
      FM_CALL(spmv_buffer(g->sp, G->P, CUSPARSE_OPERATION_NON_TRANSPOSE, C->vin,
                          fine_out, &G->bufP, &bufs, g->single));
      FM_CALL(spmv_buffer(g->sp, G->R ? G->R : G->PT,
                          G->R ? CUSPARSE_OPERATION_NON_TRANSPOSE
                               : CUSPARSE_OPERATION_TRANSPOSE,
                          fine_in, C->vout, &G->bufR, &bufs, g->single));
    }
  }
  double *inv = NULL;
  FM_CALL(fm_amg_coarse_inverse(amg, &inv));
  g->nc = amg->lev[nlev - 1].n;
  const size_t cb = (size_t)g->nc * (size_t)g->nc * sizeof(double);
  /* the memory estimate counts min(n, coarse_max) rows; a coarsening that
   * stalled above that gets needed against free memory here */
  if (dev_alloc((void **)&g->cinv, cb, nlev - 1,
                "the coarsest level's dense inverse", g->device_name)) {
    free(inv);
    return 1;
  }
  const cudaError_t e = cudaMemcpy(g->cinv, inv, cb, cudaMemcpyHostToDevice);
  free(inv);
  if (e != cudaSuccess)
    return fm_cuda_fail("cudaMemcpy (the coarsest level's dense inverse)",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  g->bytes = bytes + bufs + cb;
  return 0;
}

/* ---- a hierarchy built on the host (FEMORA_AMG_SETUP=host) ---- */

/* A host CSR up as 32-bit offsets and columns (allocated here). */
static int upload_csr(const FmCudaAmg *g, int level, const FmCsr *A, int **ptr,
                      int **col, double **val, int *nnz) {
  const int64_t m = A->ptr[A->nrows];
  if (m > INT_MAX)
    return fm_error("amg: level %d: an operator of %lld nonzeros (32-bit "
                    "indices on the GPU: at most %d)",
                    level, (long long)m, INT_MAX);
  int *p32 = (int *)fm_calloc((size_t)A->nrows + 1, sizeof(int));
  if (!p32)
    return 1;
  for (int i = 0; i <= A->nrows; i++)
    p32[i] = (int)A->ptr[i];
  int ierr = dev_alloc((void **)ptr, ((size_t)A->nrows + 1) * sizeof(int),
                       level, "host hierarchy", g->device_name);
  cudaError_t e = cudaSuccess;
  if (!ierr)
    e = cudaMemcpy(*ptr, p32, ((size_t)A->nrows + 1) * sizeof(int),
                   cudaMemcpyHostToDevice);
  free(p32);
  FM_CALL(ierr);
  FM_CUDA_CHECK_AS(e, "cudaMemcpy (a host level's row offsets up)");
  FM_CALL(dev_alloc((void **)col, (size_t)m * sizeof(int), level,
                    "host hierarchy", g->device_name));
  FM_CALL(dev_alloc((void **)val, (size_t)m * sizeof(double), level,
                    "host hierarchy", g->device_name));
  FM_CUDA_CHECK(cudaMemcpy(*col, A->col, (size_t)m * sizeof(int),
                           cudaMemcpyHostToDevice));
  FM_CUDA_CHECK(cudaMemcpy(*val, A->val, (size_t)m * sizeof(double),
                           cudaMemcpyHostToDevice));
  *nnz = (int)m;
  return 0;
}

extern "C" int fm_cuda_download_stiffness(const FmCudaData *d, FmCsr *S) {
  int *p32 = (int *)fm_calloc((size_t)d->nn + 1, sizeof(int));
  int64_t *ptr = (int64_t *)fm_calloc((size_t)d->nn + 1, sizeof(int64_t));
  int *col = (int *)fm_calloc((size_t)d->nb + 1, sizeof(int));
  double *val = (double *)fm_calloc((size_t)d->nnz + 1, sizeof(double));
  cudaError_t e =
      p32 && ptr && col && val ? cudaSuccess : cudaErrorMemoryAllocation;
  if (e == cudaSuccess)
    e = cudaMemcpy(p32, d->bptr, ((size_t)d->nn + 1) * sizeof(int),
                   cudaMemcpyDeviceToHost);
  if (e == cudaSuccess)
    e = cudaMemcpy(col, d->bcol, (size_t)d->nb * sizeof(int),
                   cudaMemcpyDeviceToHost);
  if (e == cudaSuccess)
    e = cudaMemcpy(val, d->val, (size_t)d->nnz * sizeof(double),
                   cudaMemcpyDeviceToHost);
  int ierr = 1;
  if (e == cudaSuccess) {
    for (int r = 0; r <= d->nn; r++)
      ptr[r] = p32[r];
    const FmAmgCsr H = {d->n, d->n, ptr, col, val, 3};
    ierr = fm_amg_host_copy(&H, S);
  }
  const int alloc_ok = p32 && ptr && col && val;
  free(p32);
  free(ptr);
  free(col);
  free(val);
  if (e != cudaSuccess && alloc_ok)
    return fm_cuda_fail("cudaMemcpy (stiffness down)", cudaGetErrorName(e),
                        cudaGetErrorString(e), __FILE__, __LINE__);
  return ierr;
}

extern "C" int fm_cuda_amg_upload_host(FmCudaData *d, FmCudaAmg *g,
                                       const char *device_name, FmAmg *amg) {
  g->sp = d->sp;
  g->d = d;
  g->device_name = device_name;
  for (int l = 0; l < amg->nlev; l++) {
    FmCudaAmgLevel *G = &g->lev[l];
    FmAmgLevel *L = &amg->lev[l];
    G->n = L->n;
    if (l > 0)
      FM_CALL(upload_csr(g, l, &L->A, &G->Aptr, &G->Acol, &G->Aval, &G->Annz));
    if (l + 1 < amg->nlev) {
      FM_CALL(upload_csr(g, l, &L->P, &G->Pptr, &G->Pcol, &G->Pval, &G->Pnnz));
      if (L->R.ptr) /* else: restriction by P^T */
        FM_CALL(
            upload_csr(g, l, &L->R, &G->Rptr, &G->Rcol, &G->Rval, &G->Rnnz));
      G->nc = amg->lev[l + 1].n;
    }
    FM_CALL(dev_alloc((void **)&G->dinv, ((size_t)L->n + 1) * sizeof(double), l,
                      "host hierarchy", device_name));
    FM_CUDA_CHECK(cudaMemcpy(G->dinv, L->dinv, (size_t)L->n * sizeof(double),
                             cudaMemcpyHostToDevice));
  }
  for (int l = 0; l < amg->nlev; l++) { /* the device's copies stand */
    amg->dev.release(amg->dev.ctx, amg->lev[l].dinv);
    amg->lev[l].dinv = NULL;
  }
  return 0;
}

/* ---- the operations of the V-cycle ---- */

/* y = alpha op(M) x + beta y through descriptors vx, vy, in the precision
 * of M (single: float scalars and vectors) */
static int spmv_op(FmCudaAmg *g, cusparseSpMatDescr_t M, cusparseOperation_t op,
                   cusparseDnVecDescr_t vx, const void *x,
                   cusparseDnVecDescr_t vy, void *y, double alpha, double beta,
                   int single, void *buf) {
  FM_CUSPARSE_CHECK(cusparseDnVecSetValues(vx, (void *)x));
  FM_CUSPARSE_CHECK(cusparseDnVecSetValues(vy, y));
  if (single) {
    const float af = (float)alpha, bf = (float)beta;
    FM_CUSPARSE_CHECK(cusparseSpMV(g->sp, op, &af, M, vx, &bf, vy, CUDA_R_32F,
                                   csr_alg(op), buf));
  } else {
    FM_CUSPARSE_CHECK(cusparseSpMV(g->sp, op, &alpha, M, vx, &beta, vy,
                                   CUDA_R_64F, csr_alg(op), buf));
  }
  return 0;
}

static int spmv_desc(FmCudaAmg *g, cusparseSpMatDescr_t M,
                     cusparseDnVecDescr_t vx, const void *x,
                     cusparseDnVecDescr_t vy, void *y, double alpha,
                     double beta, int single, void *buf) {
  return spmv_op(g, M, CUSPARSE_OPERATION_NON_TRANSPOSE, vx, x, vy, y, alpha,
                 beta, single, buf);
}

__global__ void double_to_float_kernel(int n, const double *x, float *f) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    f[i] = (float)x[i];
}

/* y = alpha f + beta y (beta 0: y not read), f float, y double */
__global__ void float_axpby_kernel(int n, double alpha, const float *f,
                                   double beta, double *y) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    y[i] = alpha * (double)f[i] + (beta != 0.0 ? beta * y[i] : 0.0);
}

static int op_spmv(void *ctx, int l, int which, double alpha, const void *x,
                   double beta, void *y) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  FmCudaAmgLevel *G = &g->lev[l];
  if (which == FM_AMG_A && l == 0)
    return fm_cuda_spmv_ab(g->d, alpha, (const double *)x, beta, (double *)y);
  if (which == FM_AMG_A)
    return spmv_desc(g, G->A, G->vin, x, G->vout, y, alpha, beta, G->single,
                     G->bufA);
  FmCudaAmgLevel *C = &g->lev[l + 1];
  const int fine_double = g->single && l == 0; /* level 0 meets float P, R */
  if (which == FM_AMG_R) {
    /* R, or P transposed where R is not kept */
    cusparseSpMatDescr_t M = G->R ? G->R : G->PT;
    const cusparseOperation_t op =
        G->R ? CUSPARSE_OPERATION_NON_TRANSPOSE : CUSPARSE_OPERATION_TRANSPOSE;
    if (!fine_double)
      return spmv_op(g, M, op, G->vin, x, C->vout, y, alpha, beta, g->single,
                     G->bufR);
    FM_LAUNCH(double_to_float_kernel, fm_cuda_blocks(G->n), FM_CUDA_THREADS)
    (G->n, (const double *)x, g->tmpf);
    FM_CUDA_CHECK_LAUNCH(double_to_float_kernel);
    return spmv_op(g, M, op, g->vtmp, g->tmpf, C->vout, y, alpha, beta, 1,
                   G->bufR);
  }
  if (!fine_double)
    return spmv_desc(g, G->P, C->vin, x, G->vout, y, alpha, beta, g->single,
                     G->bufP);
  FM_CALL(
      spmv_desc(g, G->P, C->vin, x, g->vtmp, g->tmpf, 1.0, 0.0, 1, G->bufP));
  FM_LAUNCH(float_axpby_kernel, fm_cuda_blocks(G->n), FM_CUDA_THREADS)
  (G->n, alpha, g->tmpf, beta, (double *)y);
  FM_CUDA_CHECK_LAUNCH(float_axpby_kernel);
  return 0;
}

static int op_copy(void *ctx, int l, const void *x, void *y) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  const FmCudaAmgLevel *G = &g->lev[l];
  const size_t es = G->single ? sizeof(float) : sizeof(double);
  FM_CUDA_CHECK(
      cudaMemcpyAsync(y, x, (size_t)G->n * es, cudaMemcpyDeviceToDevice, 0));
  return 0;
}

/* d = c1 d + c2 Dinv r (d not read when c1 == 0); x = d or x += d; in the
 * level's precision T */
template <typename T>
__global__ void cheb_kernel(int n, T c1, T c2, const T *dinv, const T *r, T *d,
                            T *x, int x_zero) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    const T di = (c1 == T(0) ? T(0) : c1 * d[i]) + c2 * dinv[i] * r[i];
    d[i] = di;
    x[i] = x_zero ? di : x[i] + di;
  }
}

static int op_cheb(void *ctx, int l, double c1, double c2, const void *r,
                   void *d, void *x, int x_zero) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  const FmCudaAmgLevel *G = &g->lev[l];
  const int n = G->n;
  if (G->single) {
    FM_LAUNCH(cheb_kernel<float>, fm_cuda_blocks(n), FM_CUDA_THREADS)
    (n, (float)c1, (float)c2, G->dinvf, (const float *)r, (float *)d,
     (float *)x, x_zero);
    FM_CUDA_CHECK_LAUNCH(cheb_kernel<float>);
  } else {
    FM_LAUNCH(cheb_kernel<double>, fm_cuda_blocks(n), FM_CUDA_THREADS)
    (n, c1, c2, G->dinv, (const double *)r, (double *)d, (double *)x, x_zero);
    FM_CUDA_CHECK_LAUNCH(cheb_kernel<double>);
  }
  return 0;
}

/* x = M b, M dense n x n row-major (double), b and x of type T: one warp
 * per row */
template <typename T>
__global__ void dense_kernel(int n, const double *M, const T *b, T *x) {
  const int lane = threadIdx.x & 31;
  const int warps = (gridDim.x * blockDim.x) >> 5;
  for (int i = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; i < n;
       i += warps) {
    const double *row = M + (size_t)i * n;
    double s = 0.0;
    for (int j = lane; j < n; j += 32)
      s += row[j] * (double)b[j];
    for (int o = 16; o > 0; o >>= 1)
      s += __shfl_down_sync(0xffffffffu, s, o);
    if (lane == 0)
      x[i] = (T)s;
  }
}

static int op_coarse(void *ctx, const void *b, void *x) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  if (g->lev[g->nlev - 1].single) {
    FM_LAUNCH_SYNC(dense_kernel<float>, fm_cuda_blocks(32LL * g->nc),
                   FM_CUDA_THREADS)
    (g->nc, g->cinv, (const float *)b, (float *)x);
    FM_CUDA_CHECK_LAUNCH(dense_kernel<float>);
  } else {
    FM_LAUNCH_SYNC(dense_kernel<double>, fm_cuda_blocks(32LL * g->nc),
                   FM_CUDA_THREADS)
    (g->nc, g->cinv, (const double *)b, (double *)x);
    FM_CUDA_CHECK_LAUNCH(dense_kernel<double>);
  }
  return 0;
}

extern "C" void fm_cuda_amg_ops(FmCudaAmg *g, FmAmgOps *ops) {
  memset(ops, 0, sizeof *ops);
  ops->ctx = g;
  ops->spmv = op_spmv;
  ops->copy = op_copy;
  ops->cheb = op_cheb;
  ops->coarse = op_coarse;
  for (int l = 0; l < g->nlev; l++) {
    ops->b[l] = g->lev[l].b;
    ops->x[l] = g->lev[l].x;
    ops->r[l] = g->lev[l].r;
    ops->d[l] = g->lev[l].d;
  }
}
