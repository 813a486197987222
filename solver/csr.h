/* Assembly of the global stiffness into a 3x3 block CSR, plain C, shared by
 * every backend (the PETSc backend hands it to PETSc; the reference and GPU
 * backends use it directly). */
#ifndef FEMORA_CSR_H
#define FEMORA_CSR_H

#include <stdint.h>

#include "model.h"

typedef struct {
  int nrows;    /* block rows (one per node) */
  int64_t *ptr; /* nrows + 1 offsets into col (in blocks) */
  int *col;     /* block column of each block, sorted within a row */
  double *val;  /* 9 values per block, row-major 3x3 */
} FmBlockCsr;

/* Assemble the block rows of the nodes rows[0..nrows): row r belongs to
 * model node rows[r]; the column of model node j is colid[j].  Each row
 * sums its node's rows of its elements' stiffnesses, in element order
 * (so ranks build their own rows with no communication, and OpenMP
 * threads rows of their own: the same bits on any number of threads). */
int fm_csr_assemble(const FmModel *md, int nrows, const int *rows,
                    const int *colid, FmBlockCsr *A);

/* The same rows' sparsity only (val stays NULL): for backends that compute
 * the values elsewhere (the GPU). */
int fm_csr_pattern(const FmMesh *m, int nrows, const int *rows,
                   const int *colid, FmBlockCsr *A);

/* Position of block column c in row r (binary search), or -1. */
int64_t fm_csr_find(const FmBlockCsr *A, int r, int c);

void fm_csr_free(FmBlockCsr *A);

/* y = A x for a square block CSR whose columns are row numbers. */
void fm_csr_matvec(const FmBlockCsr *A, const double *x, double *y);

/* ---- scalar CSR (the multigrid hierarchy, amg.h) ---- */

/* Scalar CSR, nrows x ncols, columns sorted within a row. */
typedef struct {
  int nrows, ncols;
  int64_t *ptr; /* nrows + 1 */
  int *col;
  double *val;
} FmCsr;

void fm_csr_scalar_free(FmCsr *A);
/* y = alpha A x + beta y (beta = 0: y is not read) */
void fm_csr_scalar_spmv(const FmCsr *A, double alpha, const double *x,
                        double beta, double *y);
/* C = A B (Gustavson's row-by-row product); C is allocated. */
int fm_csr_scalar_mult(const FmCsr *A, const FmCsr *B, FmCsr *C);
/* T = A^T */
int fm_csr_scalar_transpose(const FmCsr *A, FmCsr *T);
/* allocate nrows + 1 offsets (zeroed) and nnz columns and values */
int fm_csr_scalar_alloc(FmCsr *A, int nrows, int ncols, int64_t nnz);
int fm_csr_scalar_copy(const FmCsr *A, FmCsr *B);
/* C = A + diag(s) B (same shape, both sorted) */
int fm_csr_scalar_add_scaled(const FmCsr *A, const double *s, const FmCsr *B,
                             FmCsr *C);
/* the scalar CSR of a square block CSR (row 3 r + p, columns sorted) */
int fm_csr_to_scalar(const FmBlockCsr *A, FmCsr *S);

#endif
