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
 * model node rows[r]; the column of model node j is colid[j].  Every
 * element touching a row node is computed once; blocks of other rows are
 * dropped (so ranks can build their own rows with no communication). */
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

#endif
