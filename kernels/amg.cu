/* The multigrid hierarchy on the device and the operations its V-cycle
 * (solver/amg.c, fm_amg_cycle) runs on: cuSPARSE SpMV for A, P and R of
 * every level, a fused Chebyshev step, a dense coarse product.  The
 * hierarchy is built on the host (fm_amg_setup) and copied up once per
 * model; every load case then runs its cycles on the device alone. */
#include <climits>
#include <cstdlib>
#include <cstring>

#include "fm_cuda.h"

/* ---- upload ---- */

static size_t csr_bytes(const FmCsr *A) {
  return A->ptr ? 4 * ((size_t)A->nrows + 1) + 12 * (size_t)A->ptr[A->nrows]
                : 0;
}

extern "C" size_t fm_cuda_amg_bytes(const FmAmg *amg) {
  size_t b = 0;
  for (int l = 0; l < amg->nlev; l++) {
    const FmAmgLevel *L = &amg->lev[l];
    if (!amg->galerkin) { /* else these are on the device already */
      if (l > 0)
        b += csr_bytes(&L->A);
      b += csr_bytes(&L->P) + csr_bytes(&L->R);
    }
    b += 5 * 8 * (size_t)L->n; /* dinv, b, x, r, d */
  }
  const size_t nc = (size_t)amg->lev[amg->nlev - 1].n;
  return b + 8 * nc * nc;
}

/* A host CSR up as 32-bit offsets and columns. */
static int upload_csr(const FmCsr *A, int **ptr, int **col, double **val) {
  const int64_t nnz = A->ptr[A->nrows];
  if (nnz > INT_MAX)
    return fm_error("amg: an operator of the hierarchy has %lld nonzeros "
                    "(32-bit indices on the GPU: at most %d)",
                    (long long)nnz, INT_MAX);
  int *p32 = (int *)fm_calloc((size_t)A->nrows + 1, sizeof(int));
  if (!p32)
    return 1;
  for (int i = 0; i <= A->nrows; i++)
    p32[i] = (int)A->ptr[i];
  cudaError_t e =
      cudaMalloc((void **)ptr, ((size_t)A->nrows + 1) * sizeof(int));
  if (e == cudaSuccess)
    e = cudaMemcpy(*ptr, p32, ((size_t)A->nrows + 1) * sizeof(int),
                   cudaMemcpyHostToDevice);
  free(p32);
  FM_CUDA_CHECK(e);
  const size_t m = nnz > 0 ? (size_t)nnz : 1;
  FM_CUDA_CHECK(cudaMalloc((void **)col, m * sizeof(int)));
  FM_CUDA_CHECK(cudaMalloc((void **)val, m * sizeof(double)));
  FM_CUDA_CHECK(cudaMemcpy(*col, A->col, (size_t)nnz * sizeof(int),
                           cudaMemcpyHostToDevice));
  FM_CUDA_CHECK(cudaMemcpy(*val, A->val, (size_t)nnz * sizeof(double),
                           cudaMemcpyHostToDevice));
  return 0;
}

static int make_mat(cusparseSpMatDescr_t *M, int rows, int cols, int64_t nnz,
                    int *ptr, int *col, double *val) {
  FM_CUSPARSE_CHECK(cusparseCreateCsr(M, rows, cols, nnz, ptr, col, val,
                                      CUSPARSE_INDEX_32I, CUSPARSE_INDEX_32I,
                                      CUSPARSE_INDEX_BASE_ZERO, CUDA_R_64F));
  return 0;
}

/* SpMV buffer of M (x: input descriptor, y: output descriptor). */
static int spmv_buffer(cusparseHandle_t sp, cusparseSpMatDescr_t M,
                       cusparseDnVecDescr_t x, cusparseDnVecDescr_t y,
                       void **buf, size_t *total) {
  const double one = 1.0, zero = 0.0;
  size_t bytes = 0;
  FM_CUSPARSE_CHECK(cusparseSpMV_bufferSize(
      sp, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, M, x, &zero, y, CUDA_R_64F,
      CUSPARSE_SPMV_ALG_DEFAULT, &bytes));
  if (bytes > 0)
    FM_CUDA_CHECK(cudaMalloc(buf, bytes));
  *total += bytes;
  return 0;
}

static int upload_level(FmCudaData *d, const FmAmg *amg, int l, FmCudaAmg *g) {
  const FmAmgLevel *L = &amg->lev[l];
  FmCudaAmgLevel *G = &g->lev[l];
  const size_t vb = ((size_t)L->n + 1) * sizeof(double);
  G->n = L->n;
  FM_CUDA_CHECK(cudaMalloc((void **)&G->dinv, vb));
  FM_CUDA_CHECK(cudaMemcpy(G->dinv, L->dinv, (size_t)L->n * sizeof(double),
                           cudaMemcpyHostToDevice));
  FM_CUDA_CHECK(cudaMalloc((void **)&G->r, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&G->d, vb));
  FM_CUDA_CHECK(cudaMemset(G->r, 0, vb));
  FM_CUDA_CHECK(cudaMemset(G->d, 0, vb));
  if (l > 0) {
    FM_CUDA_CHECK(cudaMalloc((void **)&G->b, vb));
    FM_CUDA_CHECK(cudaMalloc((void **)&G->x, vb));
    FM_CUDA_CHECK(cudaMemset(G->b, 0, vb));
    FM_CUDA_CHECK(cudaMemset(G->x, 0, vb));
    if (!G->Aptr) { /* else the Galerkin step left it here */
      FM_CALL(upload_csr(&L->A, &G->Aptr, &G->Acol, &G->Aval));
      G->Annz = (int)L->A.ptr[L->n];
    }
    FM_CALL(make_mat(&G->A, L->n, L->n, G->Annz, G->Aptr, G->Acol, G->Aval));
  } else {
    if (L->n != d->n)
      return fm_error("amg: level 0 has %d rows, the stiffness %d", L->n, d->n);
    FM_CALL(make_mat(&G->A, d->n, d->n, d->nnz, d->rowptr, d->col, d->val));
  }
  FM_CUSPARSE_CHECK(cusparseCreateDnVec(&G->vin, L->n, G->d, CUDA_R_64F));
  FM_CUSPARSE_CHECK(cusparseCreateDnVec(&G->vout, L->n, G->r, CUDA_R_64F));
  if (l + 1 < amg->nlev) {
    const int nc = amg->lev[l + 1].n;
    if (!G->Pptr) {
      FM_CALL(upload_csr(&L->P, &G->Pptr, &G->Pcol, &G->Pval));
      FM_CALL(upload_csr(&L->R, &G->Rptr, &G->Rcol, &G->Rval));
      G->Pnnz = (int)L->P.ptr[L->n];
      G->Rnnz = (int)L->R.ptr[nc];
    }
    FM_CALL(make_mat(&G->P, L->n, nc, G->Pnnz, G->Pptr, G->Pcol, G->Pval));
    FM_CALL(make_mat(&G->R, nc, L->n, G->Rnnz, G->Rptr, G->Rcol, G->Rval));
  }
  return 0;
}

/* What a GPU Galerkin step left beyond the last level when the coarsening
 * stalled there (its P and R, the next level's operator): not used. */
static void drop_unused(const FmAmg *amg, FmCudaAmg *g) {
  FmCudaAmgLevel *T = &g->lev[amg->nlev - 1];
  void *tp[] = {T->Pptr, T->Pcol, T->Pval, T->Rptr, T->Rcol, T->Rval};
  for (size_t k = 0; k < sizeof tp / sizeof tp[0]; k++)
    if (tp[k])
      cudaFree(tp[k]);
  T->Pptr = T->Pcol = T->Rptr = T->Rcol = NULL;
  T->Pval = T->Rval = NULL;
  T->Pnnz = T->Rnnz = 0;
  for (int l = amg->nlev; l < FM_AMG_MAX_LEVELS; l++) {
    FmCudaAmgLevel *G = &g->lev[l];
    void *p[] = {G->Aptr, G->Acol, G->Aval};
    for (size_t k = 0; k < sizeof p / sizeof p[0]; k++)
      if (p[k])
        cudaFree(p[k]);
    memset(G, 0, sizeof *G);
  }
}

extern "C" int fm_cuda_amg_upload(FmCudaData *d, const FmAmg *amg,
                                  FmCudaAmg *g) {
  drop_unused(amg, g);
  g->sp = d->sp;
  g->nlev = amg->nlev;
  fm_amg_shape(amg, &g->shape);
  for (int l = 0; l < amg->nlev; l++)
    FM_CALL(upload_level(d, amg, l, g));
  size_t bufs = 0;
  for (int l = 0; l < amg->nlev; l++) {
    FmCudaAmgLevel *G = &g->lev[l];
    FM_CALL(spmv_buffer(g->sp, G->A, G->vin, G->vout, &G->bufA, &bufs));
    if (l + 1 < amg->nlev) {
      FmCudaAmgLevel *C = &g->lev[l + 1];
      FM_CALL(spmv_buffer(g->sp, G->P, C->vin, G->vout, &G->bufP, &bufs));
      FM_CALL(spmv_buffer(g->sp, G->R, G->vin, C->vout, &G->bufR, &bufs));
    }
  }
  double *inv = NULL;
  FM_CALL(fm_amg_coarse_inverse(amg, &inv));
  g->nc = amg->lev[amg->nlev - 1].n;
  const size_t cb = (size_t)g->nc * (size_t)g->nc * sizeof(double);
  cudaError_t e = cudaMalloc((void **)&g->cinv, cb > 0 ? cb : 8);
  if (e == cudaSuccess)
    e = cudaMemcpy(g->cinv, inv, cb, cudaMemcpyHostToDevice);
  free(inv);
  FM_CUDA_CHECK(e);
  g->bytes = fm_cuda_amg_bytes(amg) + bufs;
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
    if (G->vin)
      cusparseDestroyDnVec(G->vin);
    if (G->vout)
      cusparseDestroyDnVec(G->vout);
    void *p[] = {G->Aptr, G->Acol, G->Aval, G->Pptr, G->Pcol, G->Pval,
                 G->Rptr, G->Rcol, G->Rval, G->dinv, G->b,    G->x,
                 G->r,    G->d,    G->bufA, G->bufP, G->bufR};
    for (size_t k = 0; k < sizeof p / sizeof p[0]; k++)
      if (p[k])
        cudaFree(p[k]);
  }
  if (g->cinv)
    cudaFree(g->cinv);
  memset(g, 0, sizeof *g);
}

extern "C" int fm_cuda_download_csr(int rows, int cols, int nnz, const int *ptr,
                                    const int *col, const double *val,
                                    FmCsr *out) {
  FM_CALL(fm_csr_scalar_alloc(out, rows, cols, nnz));
  int *p32 = (int *)fm_calloc((size_t)rows + 1, sizeof(int));
  if (!p32)
    return 1;
  cudaError_t e = cudaMemcpy(p32, ptr, ((size_t)rows + 1) * sizeof(int),
                             cudaMemcpyDeviceToHost);
  for (int i = 0; e == cudaSuccess && i <= rows; i++)
    out->ptr[i] = p32[i];
  free(p32);
  FM_CUDA_CHECK(e);
  FM_CUDA_CHECK(cudaMemcpy(out->col, col, (size_t)nnz * sizeof(int),
                           cudaMemcpyDeviceToHost));
  FM_CUDA_CHECK(cudaMemcpy(out->val, val, (size_t)nnz * sizeof(double),
                           cudaMemcpyDeviceToHost));
  return 0;
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
static int dev_alloc(void **p, size_t bytes, int level, const char *what,
                     const char *device_name) {
  size_t freeb = 0, total = 0;
  FM_CUDA_CHECK(cudaMemGetInfo(&freeb, &total));
  if (bytes > freeb)
    return fm_error("backend cuda: multigrid setup, level %d, %s: needs %.2f "
                    "GiB of GPU memory, %.2f GiB free on %s (set "
                    "FEMORA_AMG_GALERKIN=host to build the hierarchy on the "
                    "host)",
                    level, what, (double)bytes / 1073741824.0,
                    (double)freeb / 1073741824.0, device_name);
  FM_CUDA_CHECK(cudaMalloc(p, bytes > 0 ? bytes : 8));
  return 0;
}

/* C = A B (cuSPARSE generic SpGEMM, double, the default algorithm). */
static int spgemm(cusparseHandle_t sp, const DevCsr *A, const DevCsr *B,
                  DevCsr *C, int level, const char *what,
                  const char *device_name) {
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
#define SPG_CUSPARSE(call)                                                     \
  do {                                                                         \
    const cusparseStatus_t st_ = (call);                                       \
    if (st_ != CUSPARSE_STATUS_SUCCESS) {                                      \
      fm_cuda_fail(#call, cusparseGetErrorName(st_),                           \
                   cusparseGetErrorString(st_), __FILE__, __LINE__);           \
      goto out;                                                                \
    }                                                                          \
  } while (0)
  SPG_CUSPARSE(cusparseSpGEMM_workEstimation(
      sp, N, N, &one, mA, mB, &zero, mC, CUDA_R_64F, CUSPARSE_SPGEMM_DEFAULT,
      desc, &b1, NULL));
  SPG_TRY(dev_alloc(&buf1, b1, level, what, device_name));
  SPG_CUSPARSE(cusparseSpGEMM_workEstimation(
      sp, N, N, &one, mA, mB, &zero, mC, CUDA_R_64F, CUSPARSE_SPGEMM_DEFAULT,
      desc, &b1, buf1));
  SPG_CUSPARSE(cusparseSpGEMM_compute(sp, N, N, &one, mA, mB, &zero, mC,
                                      CUDA_R_64F, CUSPARSE_SPGEMM_DEFAULT, desc,
                                      &b2, NULL));
  SPG_TRY(dev_alloc(&buf2, b2, level, what, device_name));
  SPG_CUSPARSE(cusparseSpGEMM_compute(sp, N, N, &one, mA, mB, &zero, mC,
                                      CUDA_R_64F, CUSPARSE_SPGEMM_DEFAULT, desc,
                                      &b2, buf2));
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
                                   CUDA_R_64F, CUSPARSE_SPGEMM_DEFAULT, desc));
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

/* columns sorted in every row of a host CSR */
static int csr_sorted(const FmCsr *A) {
  for (int i = 0; i < A->nrows; i++)
    for (int64_t k = A->ptr[i] + 1; k < A->ptr[i + 1]; k++)
      if (A->col[k] <= A->col[k - 1])
        return 0;
  return 1;
}

static int galerkin(FmCudaData *d, FmCudaAmg *g, int l, const FmCsr *Pt,
                    const double *s, FmCsr *Ac, const char *dev, DevCsr *tPt,
                    DevCsr *tAP2, double **ts) {
  FmCudaAmgLevel *L = &g->lev[l], *C = &g->lev[l + 1];
  DevCsr A;
  if (l == 0) {
    A = {d->n, d->n, d->nnz, d->rowptr, d->col, d->val};
  } else {
    A = {L->n, L->n, L->Annz, L->Aptr, L->Acol, L->Aval};
  }
  const int n = A.rows;
  L->n = n;
  /* P_tent and the scaling up */
  FM_CALL(upload_csr(Pt, &tPt->ptr, &tPt->col, &tPt->val));
  tPt->rows = n;
  tPt->cols = Pt->ncols;
  tPt->nnz = (int)Pt->ptr[n];
  FM_CALL(dev_alloc((void **)ts, (size_t)n * sizeof(double), l,
                    "smoothing scale", dev));
  FM_CUDA_CHECK(
      cudaMemcpy(*ts, s, (size_t)n * sizeof(double), cudaMemcpyHostToDevice));
  /* P = Pt + diag(s) A Pt */
  DevCsr P;
  FM_CALL(spgemm(g->sp, &A, tPt, &P, l, "A P_tent", dev));
  L->Pptr = P.ptr;
  L->Pcol = P.col;
  L->Pval = P.val;
  L->Pnnz = P.nnz;
  L->nc = P.cols;
  const int none = INT_MAX;
  FM_CUDA_CHECK(
      cudaMemcpy(d->flag, &none, sizeof(int), cudaMemcpyHostToDevice));
  smooth_kernel<<<fm_cuda_blocks(n), FM_CUDA_THREADS>>>(
      n, P.ptr, P.col, P.val, tPt->ptr, tPt->col, tPt->val, *ts, d->flag);
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
  /* A_c down for the next level's aggregation */
  FM_CALL(fm_cuda_download_csr(Acd.rows, Acd.cols, Acd.nnz, Acd.ptr, Acd.col,
                               Acd.val, Ac));
  if (!csr_sorted(Ac))
    return fm_error("amg: level %d: cuSPARSE SpGEMM returned a coarse "
                    "operator with unsorted columns (GPU Galerkin step)",
                    l + 1);
  return 0;
}

extern "C" int fm_cuda_amg_galerkin(FmCudaData *d, FmCudaAmg *g, int l,
                                    const FmCsr *Pt, const double *s, FmCsr *Ac,
                                    const char *device_name) {
  memset(Ac, 0, sizeof *Ac);
  if (!g->sp)
    g->sp = d->sp;
  DevCsr tPt, tAP2;
  memset(&tPt, 0, sizeof tPt);
  memset(&tAP2, 0, sizeof tAP2);
  double *ts = NULL;
  const int ierr = galerkin(d, g, l, Pt, s, Ac, device_name, &tPt, &tAP2, &ts);
  dev_free(&tPt);
  dev_free(&tAP2);
  if (ts)
    cudaFree(ts);
  if (ierr)
    fm_csr_scalar_free(Ac);
  return ierr;
}

/* ---- the operations of the V-cycle ---- */

static int op_spmv(void *ctx, int l, int which, double alpha, const double *x,
                   double beta, double *y) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  FmCudaAmgLevel *G = &g->lev[l];
  cusparseSpMatDescr_t M;
  cusparseDnVecDescr_t vx, vy;
  void *buf;
  if (which == FM_AMG_A) {
    M = G->A;
    vx = G->vin;
    vy = G->vout;
    buf = G->bufA;
  } else if (which == FM_AMG_P) {
    M = G->P;
    vx = g->lev[l + 1].vin;
    vy = G->vout;
    buf = G->bufP;
  } else {
    M = G->R;
    vx = G->vin;
    vy = g->lev[l + 1].vout;
    buf = G->bufR;
  }
  FM_CUSPARSE_CHECK(cusparseDnVecSetValues(vx, (void *)x));
  FM_CUSPARSE_CHECK(cusparseDnVecSetValues(vy, y));
  FM_CUSPARSE_CHECK(cusparseSpMV(g->sp, CUSPARSE_OPERATION_NON_TRANSPOSE,
                                 &alpha, M, vx, &beta, vy, CUDA_R_64F,
                                 CUSPARSE_SPMV_ALG_DEFAULT, buf));
  return 0;
}

static int op_copy(void *ctx, int n, const double *x, double *y) {
  (void)ctx;
  FM_CUDA_CHECK(cudaMemcpyAsync(y, x, (size_t)n * sizeof(double),
                                cudaMemcpyDeviceToDevice, 0));
  return 0;
}

/* d = c1 d + c2 Dinv r (d not read when c1 == 0); x = d or x += d */
__global__ void cheb_kernel(int n, double c1, double c2, const double *dinv,
                            const double *r, double *d, double *x, int x_zero) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    const double di = (c1 == 0.0 ? 0.0 : c1 * d[i]) + c2 * dinv[i] * r[i];
    d[i] = di;
    x[i] = x_zero ? di : x[i] + di;
  }
}

static int op_cheb(void *ctx, int l, double c1, double c2, const double *r,
                   double *d, double *x, int x_zero) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  const int n = g->lev[l].n;
  cheb_kernel<<<fm_cuda_blocks(n), FM_CUDA_THREADS>>>(n, c1, c2, g->lev[l].dinv,
                                                      r, d, x, x_zero);
  FM_CUDA_CHECK_LAUNCH(cheb_kernel);
  return 0;
}

/* x = M b, M dense n x n row-major: one warp per row */
__global__ void dense_kernel(int n, const double *M, const double *b,
                             double *x) {
  const int lane = threadIdx.x & 31;
  const int warps = (gridDim.x * blockDim.x) >> 5;
  for (int i = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; i < n;
       i += warps) {
    const double *row = M + (size_t)i * n;
    double s = 0.0;
    for (int j = lane; j < n; j += 32)
      s += row[j] * b[j];
    for (int o = 16; o > 0; o >>= 1)
      s += __shfl_down_sync(0xffffffffu, s, o);
    if (lane == 0)
      x[i] = s;
  }
}

static int op_coarse(void *ctx, const double *b, double *x) {
  FmCudaAmg *g = (FmCudaAmg *)ctx;
  dense_kernel<<<fm_cuda_blocks(32LL * g->nc), FM_CUDA_THREADS>>>(
      g->nc, g->cinv, b, x);
  FM_CUDA_CHECK_LAUNCH(dense_kernel);
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
