/* Femora's CUDA simulator: cuSPARSE's generic SpMV (CSR, BSR), SpGEMM
 * (ALG1's and ALG3's call sequences) and Csr2cscEx2 on the host, with the
 * meanings of the cuSPARSE reference (tests/cudasim/README.md).  Every
 * array a descriptor names must be device memory of the size its
 * dimensions say; a dimension that does not match is reported on stderr
 * and returned as CUSPARSE_STATUS_INVALID_VALUE, as cuSPARSE would. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <map>
#include <vector>

#include "cudasim.h"
#include "cusparse.h"

using cudasim::check_device;

struct cusparseSim {
  int alive;
};
struct cusparseSimSpMat {
  bool bsr;
  int64_t rows, cols, nnz; /* BSR: block rows, block columns, blocks */
  int64_t rbd, cbd;        /* BSR block dimensions */
  void *ptr, *col, *val;
  cudaDataType type;
  cusparseOrder_t order;
  /* per operation (non-transposed, transposed): 1 + the algorithm the
   * SpMV buffer was sized for, 0 before cusparseSpMV_bufferSize (zero
   * from the creators' aggregate initialisation) */
  int sized_alg[2];
};
struct cusparseSimDnVec {
  int64_t n;
  void *values;
  cudaDataType type;
};
struct cusparseSimSpGEMM {
  int stage; /* 1 work estimated, 2 computed */
  int64_t rows, cols;
  std::vector<int> ptr, col;
  std::vector<double> val;
};

static cusparseStatus_t invalid(const char *call, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static cusparseStatus_t invalid(const char *call, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "cudasim: %s: ", call);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return CUSPARSE_STATUS_INVALID_VALUE;
}

static size_t type_size(cudaDataType t) {
  return t == CUDA_R_32F ? 4 : 8;
}

extern "C" const char *cusparseGetErrorName(cusparseStatus_t s) {
  switch (s) {
  case CUSPARSE_STATUS_SUCCESS:
    return "CUSPARSE_STATUS_SUCCESS";
  case CUSPARSE_STATUS_INVALID_VALUE:
    return "CUSPARSE_STATUS_INVALID_VALUE";
  case CUSPARSE_STATUS_NOT_SUPPORTED:
    return "CUSPARSE_STATUS_NOT_SUPPORTED";
  case CUSPARSE_STATUS_ALLOC_FAILED:
    return "CUSPARSE_STATUS_ALLOC_FAILED";
  case CUSPARSE_STATUS_INSUFFICIENT_RESOURCES:
    return "CUSPARSE_STATUS_INSUFFICIENT_RESOURCES";
  case CUSPARSE_STATUS_EXECUTION_FAILED:
    return "CUSPARSE_STATUS_EXECUTION_FAILED";
  default:
    return "CUSPARSE_STATUS_(simulated)";
  }
}
extern "C" const char *cusparseGetErrorString(cusparseStatus_t s) {
  return s == CUSPARSE_STATUS_SUCCESS ? "success" : "simulated cuSPARSE error";
}

extern "C" cusparseStatus_t cusparseCreate(cusparseHandle_t *h) {
  *h = new cusparseSim{1};
  return CUSPARSE_STATUS_SUCCESS;
}
extern "C" cusparseStatus_t cusparseDestroy(cusparseHandle_t h) {
  if (!h || !h->alive)
    cudasim::fail("cusparseDestroy of a handle not alive");
  h->alive = 0;
  delete h;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t
cusparseCreateCsr(cusparseSpMatDescr_t *m, int64_t rows, int64_t cols,
                  int64_t nnz, void *ptr, void *col, void *val,
                  cusparseIndexType_t pt, cusparseIndexType_t ct,
                  cusparseIndexBase_t base, cudaDataType type) {
  if (pt != CUSPARSE_INDEX_32I || ct != CUSPARSE_INDEX_32I ||
      base != CUSPARSE_INDEX_BASE_ZERO)
    return CUSPARSE_STATUS_NOT_SUPPORTED;
  if (rows < 0 || cols < 0 || nnz < 0)
    return invalid("cusparseCreateCsr", "negative size");
  *m = new cusparseSimSpMat{
      false, rows, cols, nnz, 1, 1, ptr, col, val, type, CUSPARSE_ORDER_ROW};
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t
cusparseCreateBsr(cusparseSpMatDescr_t *m, int64_t brows, int64_t bcols,
                  int64_t bnnz, int64_t rbd, int64_t cbd, void *ptr, void *col,
                  void *val, cusparseIndexType_t pt, cusparseIndexType_t ct,
                  cusparseIndexBase_t base, cudaDataType type,
                  cusparseOrder_t order) {
  if (pt != CUSPARSE_INDEX_32I || ct != CUSPARSE_INDEX_32I ||
      base != CUSPARSE_INDEX_BASE_ZERO)
    return CUSPARSE_STATUS_NOT_SUPPORTED;
  if (brows < 0 || bcols < 0 || bnnz < 0 || rbd < 1 || cbd < 1)
    return invalid("cusparseCreateBsr", "bad size");
  /* CUDASIM_CUSPARSE_BSR=unsupported: a cuSPARSE without BSR matrices */
  const char *b = getenv("CUDASIM_CUSPARSE_BSR");
  if (b && !strcmp(b, "unsupported"))
    return CUSPARSE_STATUS_NOT_SUPPORTED;
  *m = new cusparseSimSpMat{true, brows, bcols, bnnz, rbd,  cbd,
                            ptr,  col,   val,   type, order};
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t cusparseDestroySpMat(cusparseSpMatDescr_t m) {
  delete m;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t cusparseSpMatGetSize(cusparseSpMatDescr_t m,
                                                 int64_t *rows, int64_t *cols,
                                                 int64_t *nnz) {
  *rows = m->rows;
  *cols = m->cols;
  *nnz = m->nnz;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t cusparseCsrSetPointers(cusparseSpMatDescr_t m,
                                                   void *ptr, void *col,
                                                   void *val) {
  m->ptr = ptr;
  m->col = col;
  m->val = val;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t cusparseCreateDnVec(cusparseDnVecDescr_t *v,
                                                int64_t n, void *values,
                                                cudaDataType type) {
  *v = new cusparseSimDnVec{n, values, type};
  return CUSPARSE_STATUS_SUCCESS;
}
extern "C" cusparseStatus_t cusparseDestroyDnVec(cusparseDnVecDescr_t v) {
  delete v;
  return CUSPARSE_STATUS_SUCCESS;
}
extern "C" cusparseStatus_t cusparseDnVecSetValues(cusparseDnVecDescr_t v,
                                                   void *values) {
  v->values = values;
  return CUSPARSE_STATUS_SUCCESS;
}

/* the arrays of m: device memory of the sizes its dimensions give */
static void check_mat(const cusparseSimSpMat *m, const char *call) {
  char what[160];
  snprintf(what, sizeof what, "%s: the matrix's row offsets", call);
  check_device(m->ptr, (size_t)(m->rows + 1) * 4, what);
  snprintf(what, sizeof what, "%s: the matrix's columns", call);
  check_device(m->col, (size_t)m->nnz * 4, what);
  snprintf(what, sizeof what, "%s: the matrix's values", call);
  check_device(m->val, (size_t)(m->nnz * m->rbd * m->cbd) * type_size(m->type),
               what);
  const int *p = (const int *)m->ptr, *c = (const int *)m->col;
  if (p[0] != 0 || p[m->rows] != m->nnz)
    cudasim::fail("%s: row offsets run from %d to %d, the matrix has %lld "
                  "nonzeros",
                  call, p[0], p[m->rows], (long long)m->nnz);
  for (int64_t i = 0; i < m->rows; i++)
    if (p[i + 1] < p[i])
      cudasim::fail("%s: row offsets decrease at row %lld", call, (long long)i);
  for (int64_t k = 0; k < m->nnz; k++)
    if (c[k] < 0 || c[k] >= m->cols)
      cudasim::fail("%s: column %d at %lld outside 0..%lld", call, c[k],
                    (long long)k, (long long)m->cols - 1);
}

static size_t spmv_bytes(const cusparseSimSpMat *A) {
  return (size_t)(16 * (A->rows * A->rbd + A->cols * A->cbd) + 64);
}

template <class T>
static void spmv_t(const cusparseSimSpMat *A, bool trans, T alpha, const T *x,
                   T beta, T *y) {
  const int *p = (const int *)A->ptr, *c = (const int *)A->col;
  const T *v = (const T *)A->val;
  const int64_t R = A->rbd, C = A->cbd;
  const int64_t ny = trans ? A->cols * C : A->rows * R;
  std::vector<T> t((size_t)ny, (T)0);
  for (int64_t i = 0; i < A->rows; i++)
    for (int k = p[i]; k < p[i + 1]; k++)
      for (int64_t a = 0; a < R; a++)
        for (int64_t b = 0; b < C; b++) {
          const T e = A->order == CUSPARSE_ORDER_ROW
                          ? v[(size_t)(k * R * C + a * C + b)]
                          : v[(size_t)(k * R * C + b * R + a)];
          if (!trans)
            t[(size_t)(i * R + a)] += e * x[(size_t)(c[k] * C + b)];
          else
            t[(size_t)(c[k] * C + b)] += e * x[(size_t)(i * R + a)];
        }
  for (int64_t i = 0; i < ny; i++)
    y[i] = alpha * t[(size_t)i] + (beta != (T)0 ? beta * y[i] : (T)0);
}

static cusparseStatus_t spmv_check(cusparseOperation_t op,
                                   cusparseSpMatDescr_t A,
                                   cusparseDnVecDescr_t x,
                                   cusparseDnVecDescr_t y, cudaDataType t,
                                   cusparseSpMVAlg_t alg, const char *call) {
  if (A->bsr &&
      (op != CUSPARSE_OPERATION_NON_TRANSPOSE ||
       (alg != CUSPARSE_SPMV_BSR_ALG1 && alg != CUSPARSE_SPMV_ALG_DEFAULT)))
    return CUSPARSE_STATUS_NOT_SUPPORTED;
  if (!A->bsr && alg != CUSPARSE_SPMV_ALG_DEFAULT &&
      alg != CUSPARSE_SPMV_CSR_ALG1 && alg != CUSPARSE_SPMV_CSR_ALG2)
    return invalid(call, "algorithm %d for a CSR matrix", (int)alg);
  if (A->type != t || x->type != t || y->type != t)
    return invalid(call, "types: matrix %d, x %d, y %d, compute %d",
                   (int)A->type, (int)x->type, (int)y->type, (int)t);
  const bool tr = op == CUSPARSE_OPERATION_TRANSPOSE;
  const int64_t m = A->rows * A->rbd, n = A->cols * A->cbd;
  if (x->n != (tr ? m : n) || y->n != (tr ? n : m))
    return invalid(call, "x has %lld and y %lld values, op(A) is %lld x %lld",
                   (long long)x->n, (long long)y->n, (long long)(tr ? n : m),
                   (long long)(tr ? m : n));
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t
cusparseSpMV_bufferSize(cusparseHandle_t h, cusparseOperation_t op,
                        const void *, cusparseSpMatDescr_t A,
                        cusparseDnVecDescr_t x, const void *,
                        cusparseDnVecDescr_t y, cudaDataType t,
                        cusparseSpMVAlg_t alg, size_t *bytes) {
  if (!h || !h->alive)
    cudasim::fail("cusparseSpMV_bufferSize: no handle");
  /* CUDASIM_CUSPARSE_BSR=invalid: a cuSPARSE that refuses to size a BSR
   * product with a status other than NOT_SUPPORTED */
  const char *b = getenv("CUDASIM_CUSPARSE_BSR");
  if (A && A->bsr && b && !strcmp(b, "invalid"))
    return CUSPARSE_STATUS_INVALID_VALUE;
  const cusparseStatus_t st =
      spmv_check(op, A, x, y, t, alg, "cusparseSpMV_bufferSize");
  if (st == CUSPARSE_STATUS_SUCCESS) {
    *bytes = spmv_bytes(A);
    A->sized_alg[op == CUSPARSE_OPERATION_TRANSPOSE] = 1 + (int)alg;
  }
  return st;
}

extern "C" cusparseStatus_t
cusparseSpMV(cusparseHandle_t h, cusparseOperation_t op, const void *alpha,
             cusparseSpMatDescr_t A, cusparseDnVecDescr_t x, const void *beta,
             cusparseDnVecDescr_t y, cudaDataType t, cusparseSpMVAlg_t alg,
             void *buffer) {
  if (!h || !h->alive)
    cudasim::fail("cusparseSpMV: no handle");
  const cusparseStatus_t st = spmv_check(op, A, x, y, t, alg, "cusparseSpMV");
  if (st != CUSPARSE_STATUS_SUCCESS)
    return st;
  /* the buffer must come from cusparseSpMV_bufferSize with this algorithm
   * (cuSPARSE's buffer sizes depend on it) */
  const int sized = A->sized_alg[op == CUSPARSE_OPERATION_TRANSPOSE];
  if (sized && sized != 1 + (int)alg)
    return invalid("cusparseSpMV",
                   "algorithm %d, but the buffer was sized for algorithm %d",
                   (int)alg, sized - 1);
  /* CUDASIM_CUSPARSE_BSR=failing: BSR products fail (as a cuSPARSE whose
   * BSR SpMV breaks on this matrix would) */
  const char *b = getenv("CUDASIM_CUSPARSE_BSR");
  if (A->bsr && b && !strcmp(b, "failing"))
    return CUSPARSE_STATUS_EXECUTION_FAILED;
  cudasim::Call c("cusparseSpMV");
  check_mat(A, "cusparseSpMV");
  check_device(buffer, spmv_bytes(A),
               "cusparseSpMV: the buffer (cusparseSpMV_bufferSize's size)");
  check_device(x->values, (size_t)x->n * type_size(t), "cusparseSpMV: x");
  check_device(y->values, (size_t)y->n * type_size(t), "cusparseSpMV: y");
  const bool tr = op == CUSPARSE_OPERATION_TRANSPOSE;
  if (t == CUDA_R_64F)
    spmv_t<double>(A, tr, *(const double *)alpha, (const double *)x->values,
                   *(const double *)beta, (double *)y->values);
  else
    spmv_t<float>(A, tr, *(const float *)alpha, (const float *)x->values,
                  *(const float *)beta, (float *)y->values);
  return CUSPARSE_STATUS_SUCCESS;
}

/* ---- SpGEMM ---- */

extern "C" cusparseStatus_t
cusparseSpGEMM_createDescr(cusparseSpGEMMDescr_t *d) {
  *d = new cusparseSimSpGEMM();
  return CUSPARSE_STATUS_SUCCESS;
}
extern "C" cusparseStatus_t
cusparseSpGEMM_destroyDescr(cusparseSpGEMMDescr_t d) {
  delete d;
  return CUSPARSE_STATUS_SUCCESS;
}

static cusparseStatus_t
spgemm_check(cusparseOperation_t a, cusparseOperation_t b,
             cusparseSpMatDescr_t A, cusparseSpMatDescr_t B,
             cusparseSpMatDescr_t C, cudaDataType t, const char *call) {
  if (a != CUSPARSE_OPERATION_NON_TRANSPOSE ||
      b != CUSPARSE_OPERATION_NON_TRANSPOSE || A->bsr || B->bsr || C->bsr)
    return CUSPARSE_STATUS_NOT_SUPPORTED;
  if (t != CUDA_R_64F || A->type != t || B->type != t || C->type != t)
    return invalid(call, "types other than double");
  if (A->cols != B->rows || C->rows != A->rows || C->cols != B->cols)
    return invalid(call, "sizes: A %lld x %lld, B %lld x %lld, C %lld x %lld",
                   (long long)A->rows, (long long)A->cols, (long long)B->rows,
                   (long long)B->cols, (long long)C->rows, (long long)C->cols);
  return CUSPARSE_STATUS_SUCCESS;
}

#define SPGEMM_ARGS                                                            \
  cusparseHandle_t h, cusparseOperation_t opA, cusparseOperation_t opB,        \
      const void *alpha, cusparseSpMatDescr_t A, cusparseSpMatDescr_t B,       \
      const void *beta, cusparseSpMatDescr_t C, cudaDataType t,                \
      cusparseSpGEMMAlg_t alg, cusparseSpGEMMDescr_t d

extern "C" cusparseStatus_t
cusparseSpGEMM_workEstimation(SPGEMM_ARGS, size_t *bytes1, void *buffer1) {
  (void)h, (void)alpha, (void)beta, (void)alg;
  const cusparseStatus_t st =
      spgemm_check(opA, opB, A, B, C, t, "cusparseSpGEMM_workEstimation");
  if (st != CUSPARSE_STATUS_SUCCESS)
    return st;
  if (!buffer1) {
    *bytes1 = 128;
    return CUSPARSE_STATUS_SUCCESS;
  }
  check_device(buffer1, *bytes1, "cusparseSpGEMM_workEstimation buffer");
  d->stage = 1;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t
cusparseSpGEMM_estimateMemory(SPGEMM_ARGS, float chunk, size_t *bytes3,
                              void *buffer3, size_t *bytes2) {
  (void)h, (void)alpha, (void)beta;
  const cusparseStatus_t st =
      spgemm_check(opA, opB, A, B, C, t, "cusparseSpGEMM_estimateMemory");
  if (st != CUSPARSE_STATUS_SUCCESS)
    return st;
  if (alg != CUSPARSE_SPGEMM_ALG3 || d->stage < 1 || !(chunk > 0))
    return invalid("cusparseSpGEMM_estimateMemory",
                   "needs ALG3, a chunk fraction and the work estimate");
  if (!buffer3) {
    *bytes3 = 128;
    return CUSPARSE_STATUS_SUCCESS;
  }
  check_device(buffer3, *bytes3, "cusparseSpGEMM_estimateMemory buffer");
  *bytes2 = 256;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t cusparseSpGEMM_compute(SPGEMM_ARGS, size_t *bytes2,
                                                   void *buffer2) {
  (void)h, (void)beta, (void)alg;
  const cusparseStatus_t st =
      spgemm_check(opA, opB, A, B, C, t, "cusparseSpGEMM_compute");
  if (st != CUSPARSE_STATUS_SUCCESS)
    return st;
  if (d->stage < 1)
    return invalid("cusparseSpGEMM_compute", "before the work estimate");
  if (!buffer2) {
    *bytes2 = 256;
    return CUSPARSE_STATUS_SUCCESS;
  }
  /* CUDASIM_SPGEMM_ALG1=insufficient: ALG1 fails as cuSPARSE's does on
   * large products */
  const char *a1 = getenv("CUDASIM_SPGEMM_ALG1");
  if (alg == CUSPARSE_SPGEMM_ALG1 && a1 && !strcmp(a1, "insufficient"))
    return CUSPARSE_STATUS_INSUFFICIENT_RESOURCES;
  cudasim::Call c("cusparseSpGEMM_compute");
  check_device(buffer2, *bytes2, "cusparseSpGEMM_compute buffer");
  check_mat(A, "cusparseSpGEMM_compute (A)");
  check_mat(B, "cusparseSpGEMM_compute (B)");
  const int *ap = (const int *)A->ptr, *ac = (const int *)A->col,
            *bp = (const int *)B->ptr, *bc = (const int *)B->col;
  const double *av = (const double *)A->val, *bv = (const double *)B->val;
  const double al = *(const double *)alpha;
  d->rows = A->rows;
  d->cols = B->cols;
  d->ptr.assign(1, 0);
  d->col.clear();
  d->val.clear();
  const bool reverse = getenv("CUDASIM_SPGEMM_UNSORTED") &&
                       atoi(getenv("CUDASIM_SPGEMM_UNSORTED")) == 1;
  /* summed last term first: not the host's order (cuSPARSE's is neither),
   * so that no agreement to the last bit is owed to the simulator */
  std::map<int, double> row;
  for (int64_t i = 0; i < A->rows; i++) {
    row.clear();
    for (int k = ap[i + 1] - 1; k >= ap[i]; k--)
      for (int l = bp[ac[k] + 1] - 1; l >= bp[ac[k]]; l--)
        row[bc[l]] += av[k] * bv[l];
    const size_t start = d->col.size();
    for (auto &e : row) {
      d->col.push_back(e.first);
      d->val.push_back(al * e.second);
    }
    if (reverse) {
      std::reverse(d->col.begin() + (long)start, d->col.end());
      std::reverse(d->val.begin() + (long)start, d->val.end());
    }
    d->ptr.push_back((int)d->col.size());
  }
  C->nnz = (int64_t)d->col.size();
  d->stage = 2;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t cusparseSpGEMM_copy(SPGEMM_ARGS) {
  (void)h, (void)alpha, (void)beta, (void)alg;
  const cusparseStatus_t st =
      spgemm_check(opA, opB, A, B, C, t, "cusparseSpGEMM_copy");
  if (st != CUSPARSE_STATUS_SUCCESS)
    return st;
  if (d->stage != 2)
    return invalid("cusparseSpGEMM_copy", "before compute");
  cudasim::Call c("cusparseSpGEMM_copy");
  check_device(C->ptr, (d->ptr.size()) * 4, "cusparseSpGEMM_copy: C's offsets");
  check_device(C->col, d->col.size() * 4, "cusparseSpGEMM_copy: C's columns");
  check_device(C->val, d->val.size() * 8, "cusparseSpGEMM_copy: C's values");
  memcpy(C->ptr, d->ptr.data(), d->ptr.size() * 4);
  if (!d->col.empty()) {
    memcpy(C->col, d->col.data(), d->col.size() * 4);
    memcpy(C->val, d->val.data(), d->val.size() * 8);
  }
  return CUSPARSE_STATUS_SUCCESS;
}

/* ---- Csr2cscEx2 ---- */

extern "C" cusparseStatus_t cusparseCsr2cscEx2_bufferSize(
    cusparseHandle_t, int m, int n, int nnz, const void *, const int *,
    const int *, void *, int *, int *, cudaDataType t, cusparseAction_t a,
    cusparseIndexBase_t b, cusparseCsr2CscAlg_t, size_t *bytes) {
  if (m < 0 || n < 0 || nnz < 0 || a != CUSPARSE_ACTION_NUMERIC ||
      b != CUSPARSE_INDEX_BASE_ZERO || (t != CUDA_R_64F && t != CUDA_R_32F))
    return invalid("cusparseCsr2cscEx2_bufferSize", "arguments");
  *bytes = (size_t)nnz * 8 + 64;
  return CUSPARSE_STATUS_SUCCESS;
}

extern "C" cusparseStatus_t
cusparseCsr2cscEx2(cusparseHandle_t, int m, int n, int nnz, const void *csr_val,
                   const int *csr_ptr, const int *csr_col, void *csc_val,
                   int *csc_ptr, int *csc_row, cudaDataType t,
                   cusparseAction_t a, cusparseIndexBase_t b,
                   cusparseCsr2CscAlg_t, void *buffer) {
  if (m < 0 || n < 0 || nnz < 0 || a != CUSPARSE_ACTION_NUMERIC ||
      b != CUSPARSE_INDEX_BASE_ZERO || (t != CUDA_R_64F && t != CUDA_R_32F))
    return invalid("cusparseCsr2cscEx2", "arguments");
  cudasim::Call c("cusparseCsr2cscEx2");
  const size_t es = t == CUDA_R_32F ? 4 : 8;
  cusparseSimSpMat M{false,
                     m,
                     n,
                     nnz,
                     1,
                     1,
                     (void *)csr_ptr,
                     (void *)csr_col,
                     (void *)csr_val,
                     t,
                     CUSPARSE_ORDER_ROW};
  check_mat(&M, "cusparseCsr2cscEx2");
  check_device(buffer, (size_t)nnz * 8 + 64, "cusparseCsr2cscEx2 buffer");
  check_device(csc_ptr, ((size_t)n + 1) * 4, "cusparseCsr2cscEx2: csc offsets");
  check_device(csc_row, (size_t)nnz * 4, "cusparseCsr2cscEx2: csc rows");
  check_device(csc_val, (size_t)nnz * es, "cusparseCsr2cscEx2: csc values");
  std::vector<int> cnt((size_t)n + 1, 0);
  for (int k = 0; k < nnz; k++)
    cnt[(size_t)csr_col[k] + 1]++;
  for (int j = 0; j < n; j++)
    cnt[(size_t)j + 1] += cnt[(size_t)j];
  memcpy(csc_ptr, cnt.data(), ((size_t)n + 1) * 4);
  for (int i = 0; i < m; i++)
    for (int k = csr_ptr[i]; k < csr_ptr[i + 1]; k++) {
      const int dst = cnt[(size_t)csr_col[k]]++;
      csc_row[dst] = i;
      memcpy((char *)csc_val + (size_t)dst * es,
             (const char *)csr_val + (size_t)k * es, es);
    }
  return CUSPARSE_STATUS_SUCCESS;
}
