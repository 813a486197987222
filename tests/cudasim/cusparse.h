/* Femora's CUDA simulator (tests/cudasim/README.md): the part of cuSPARSE's
 * generic API that Femora calls, with the meanings of the cuSPARSE
 * reference (SpMV, SpGEMM, Csr2cscEx2), implemented in cudasim.cpp on the
 * host.  Not NVIDIA's header. */
#ifndef FEMORA_CUDASIM_CUSPARSE_H
#define FEMORA_CUDASIM_CUSPARSE_H

#include <stdint.h>

#include "cuda_runtime_api.h"

/* the cuSPARSE of CUDA 13.0 (the generic BSR SpMV is there) */
#define CUSPARSE_VER_MAJOR 12
#define CUSPARSE_VER_MINOR 6
#define CUSPARSE_VERSION (CUSPARSE_VER_MAJOR * 1000 + CUSPARSE_VER_MINOR * 100)

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  CUSPARSE_STATUS_SUCCESS = 0,
  CUSPARSE_STATUS_NOT_INITIALIZED = 1,
  CUSPARSE_STATUS_ALLOC_FAILED = 2,
  CUSPARSE_STATUS_INVALID_VALUE = 3,
  CUSPARSE_STATUS_EXECUTION_FAILED = 6,
  CUSPARSE_STATUS_INTERNAL_ERROR = 7,
  CUSPARSE_STATUS_NOT_SUPPORTED = 10,
  CUSPARSE_STATUS_INSUFFICIENT_RESOURCES = 11
} cusparseStatus_t;

typedef enum {
  CUSPARSE_OPERATION_NON_TRANSPOSE = 0,
  CUSPARSE_OPERATION_TRANSPOSE = 1
} cusparseOperation_t;
typedef enum {
  CUSPARSE_INDEX_32I = 2,
  CUSPARSE_INDEX_64I = 3
} cusparseIndexType_t;
typedef enum { CUSPARSE_INDEX_BASE_ZERO = 0 } cusparseIndexBase_t;
typedef enum { CUSPARSE_ORDER_COL = 1, CUSPARSE_ORDER_ROW = 2 } cusparseOrder_t;
typedef enum {
  CUSPARSE_SPMV_ALG_DEFAULT = 0,
  CUSPARSE_SPMV_CSR_ALG1 = 2,
  CUSPARSE_SPMV_CSR_ALG2 = 3,
  CUSPARSE_SPMV_BSR_ALG1 = 6
} cusparseSpMVAlg_t;
typedef enum {
  CUSPARSE_SPGEMM_DEFAULT = 0,
  CUSPARSE_SPGEMM_ALG1 = 3,
  CUSPARSE_SPGEMM_ALG3 = 5
} cusparseSpGEMMAlg_t;
typedef enum { CUSPARSE_ACTION_NUMERIC = 1 } cusparseAction_t;
typedef enum { CUSPARSE_CSR2CSC_ALG1 = 1 } cusparseCsr2CscAlg_t;

typedef struct cusparseSim *cusparseHandle_t;
typedef struct cusparseSimSpMat *cusparseSpMatDescr_t;
typedef struct cusparseSimDnVec *cusparseDnVecDescr_t;
typedef struct cusparseSimSpGEMM *cusparseSpGEMMDescr_t;

const char *cusparseGetErrorName(cusparseStatus_t s);
const char *cusparseGetErrorString(cusparseStatus_t s);
cusparseStatus_t cusparseCreate(cusparseHandle_t *h);
cusparseStatus_t cusparseDestroy(cusparseHandle_t h);

cusparseStatus_t
cusparseCreateCsr(cusparseSpMatDescr_t *m, int64_t rows, int64_t cols,
                  int64_t nnz, void *ptr, void *col, void *val,
                  cusparseIndexType_t ptr_type, cusparseIndexType_t col_type,
                  cusparseIndexBase_t base, cudaDataType val_type);
cusparseStatus_t
cusparseCreateBsr(cusparseSpMatDescr_t *m, int64_t brows, int64_t bcols,
                  int64_t bnnz, int64_t row_block, int64_t col_block, void *ptr,
                  void *col, void *val, cusparseIndexType_t ptr_type,
                  cusparseIndexType_t col_type, cusparseIndexBase_t base,
                  cudaDataType val_type, cusparseOrder_t order);
cusparseStatus_t cusparseDestroySpMat(cusparseSpMatDescr_t m);
cusparseStatus_t cusparseSpMatGetSize(cusparseSpMatDescr_t m, int64_t *rows,
                                      int64_t *cols, int64_t *nnz);
cusparseStatus_t cusparseCsrSetPointers(cusparseSpMatDescr_t m, void *ptr,
                                        void *col, void *val);

cusparseStatus_t cusparseCreateDnVec(cusparseDnVecDescr_t *v, int64_t n,
                                     void *values, cudaDataType type);
cusparseStatus_t cusparseDestroyDnVec(cusparseDnVecDescr_t v);
cusparseStatus_t cusparseDnVecSetValues(cusparseDnVecDescr_t v, void *values);

cusparseStatus_t
cusparseSpMV_bufferSize(cusparseHandle_t h, cusparseOperation_t op,
                        const void *alpha, cusparseSpMatDescr_t A,
                        cusparseDnVecDescr_t x, const void *beta,
                        cusparseDnVecDescr_t y, cudaDataType compute,
                        cusparseSpMVAlg_t alg, size_t *bytes);
cusparseStatus_t cusparseSpMV(cusparseHandle_t h, cusparseOperation_t op,
                              const void *alpha, cusparseSpMatDescr_t A,
                              cusparseDnVecDescr_t x, const void *beta,
                              cusparseDnVecDescr_t y, cudaDataType compute,
                              cusparseSpMVAlg_t alg, void *buffer);

cusparseStatus_t cusparseSpGEMM_createDescr(cusparseSpGEMMDescr_t *d);
cusparseStatus_t cusparseSpGEMM_destroyDescr(cusparseSpGEMMDescr_t d);
cusparseStatus_t cusparseSpGEMM_workEstimation(
    cusparseHandle_t h, cusparseOperation_t opA, cusparseOperation_t opB,
    const void *alpha, cusparseSpMatDescr_t A, cusparseSpMatDescr_t B,
    const void *beta, cusparseSpMatDescr_t C, cudaDataType compute,
    cusparseSpGEMMAlg_t alg, cusparseSpGEMMDescr_t d, size_t *bytes1,
    void *buffer1);
cusparseStatus_t cusparseSpGEMM_estimateMemory(
    cusparseHandle_t h, cusparseOperation_t opA, cusparseOperation_t opB,
    const void *alpha, cusparseSpMatDescr_t A, cusparseSpMatDescr_t B,
    const void *beta, cusparseSpMatDescr_t C, cudaDataType compute,
    cusparseSpGEMMAlg_t alg, cusparseSpGEMMDescr_t d, float chunk,
    size_t *bytes3, void *buffer3, size_t *bytes2);
cusparseStatus_t
cusparseSpGEMM_compute(cusparseHandle_t h, cusparseOperation_t opA,
                       cusparseOperation_t opB, const void *alpha,
                       cusparseSpMatDescr_t A, cusparseSpMatDescr_t B,
                       const void *beta, cusparseSpMatDescr_t C,
                       cudaDataType compute, cusparseSpGEMMAlg_t alg,
                       cusparseSpGEMMDescr_t d, size_t *bytes2, void *buffer2);
cusparseStatus_t cusparseSpGEMM_copy(
    cusparseHandle_t h, cusparseOperation_t opA, cusparseOperation_t opB,
    const void *alpha, cusparseSpMatDescr_t A, cusparseSpMatDescr_t B,
    const void *beta, cusparseSpMatDescr_t C, cudaDataType compute,
    cusparseSpGEMMAlg_t alg, cusparseSpGEMMDescr_t d);

cusparseStatus_t cusparseCsr2cscEx2_bufferSize(
    cusparseHandle_t h, int m, int n, int nnz, const void *csr_val,
    const int *csr_ptr, const int *csr_col, void *csc_val, int *csc_ptr,
    int *csc_row, cudaDataType type, cusparseAction_t action,
    cusparseIndexBase_t base, cusparseCsr2CscAlg_t alg, size_t *bytes);
cusparseStatus_t cusparseCsr2cscEx2(cusparseHandle_t h, int m, int n, int nnz,
                                    const void *csr_val, const int *csr_ptr,
                                    const int *csr_col, void *csc_val,
                                    int *csc_ptr, int *csc_row,
                                    cudaDataType type, cusparseAction_t action,
                                    cusparseIndexBase_t base,
                                    cusparseCsr2CscAlg_t alg, void *buffer);

#ifdef __cplusplus
}
#endif

#endif
