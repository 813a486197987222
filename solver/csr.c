#include "csr.h"

#include <stdlib.h>
#include <string.h>

#include "element.h"
#include "error.h"

static int cmp_int(const void *a, const void *b) {
  const int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int build(const FmMesh *m, const FmModel *md, int nrows, const int *rows,
                 const int *colid, FmBlockCsr *A);

int fm_csr_assemble(const FmModel *md, int nrows, const int *rows,
                    const int *colid, FmBlockCsr *A) {
  return build(&md->mesh, md, nrows, rows, colid, A);
}

int fm_csr_pattern(const FmMesh *m, int nrows, const int *rows,
                   const int *colid, FmBlockCsr *A) {
  return build(m, NULL, nrows, rows, colid, A);
}

int64_t fm_csr_find(const FmBlockCsr *A, int r, int c) {
  int64_t lo = A->ptr[r], hi = A->ptr[r + 1] - 1;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (A->col[mid] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (lo <= hi && A->col[lo] == c) ? lo : -1;
}

/* The sparsity of the rows, and with md their values too. */
static int build(const FmMesh *m, const FmModel *md, int nrows, const int *rows,
                 const int *colid, FmBlockCsr *A) {
  const int npe = m->npe, nn = m->nnodes;
  memset(A, 0, sizeof *A);
  int ierr = 1;
  /* node -> element adjacency, and row of each model node (-1: not ours) */
  int *nptr = fm_calloc(nn + 1, sizeof(int));
  int *nel = fm_calloc((size_t)m->nelem * npe, sizeof(int));
  int *rowof = fm_calloc(nn, sizeof(int));
  int *mark = fm_calloc(nn, sizeof(int));
  char *done = fm_calloc(m->nelem, 1);
  A->ptr = fm_calloc((size_t)nrows + 1, sizeof(int64_t));
  if (!nptr || !nel || !rowof || !mark || !done || !A->ptr)
    goto out;
  for (size_t k = 0; k < (size_t)m->nelem * npe; k++)
    nptr[m->conn[k] + 1]++;
  for (int i = 0; i < nn; i++)
    nptr[i + 1] += nptr[i];
  for (int e = 0; e < m->nelem; e++)
    for (int a = 0; a < npe; a++) {
      const int n = m->conn[(size_t)e * npe + a];
      nel[nptr[n]++] = e;
    }
  for (int i = nn; i > 0; i--)
    nptr[i] = nptr[i - 1];
  nptr[0] = 0;
  for (int i = 0; i < nn; i++) {
    rowof[i] = -1;
    mark[i] = -1;
  }
  for (int r = 0; r < nrows; r++)
    rowof[rows[r]] = r;

  /* sparsity: the distinct neighbour nodes of each row node */
  for (int pass = 0; pass < 2; pass++) {
    for (int r = 0; r < nrows; r++) {
      const int i = rows[r];
      int64_t n = A->ptr[r];
      for (int k = nptr[i]; k < nptr[i + 1]; k++)
        for (int a = 0; a < npe; a++) {
          const int j = m->conn[(size_t)nel[k] * npe + a];
          if (mark[j] == 2 * i + pass)
            continue;
          mark[j] = 2 * i + pass;
          if (pass)
            A->col[n] = colid[j];
          n++;
        }
      if (pass == 0)
        A->ptr[r + 1] = n;
      else
        qsort(A->col + A->ptr[r], n - A->ptr[r], sizeof(int), cmp_int);
    }
    if (pass == 0) {
      A->col = fm_calloc(A->ptr[nrows], sizeof(int));
      if (md)
        A->val = fm_calloc(9 * (size_t)A->ptr[nrows], sizeof(double));
      if (!A->col || (md && !A->val))
        goto out;
    }
  }
  A->nrows = nrows;

  /* element loop: each element touching a row node, once */
  double xe[3 * FM_TET_MAX_NPE], Ke[9 * FM_TET_MAX_NPE * FM_TET_MAX_NPE];
  for (int r = 0; md && r < nrows; r++) {
    const int i = rows[r];
    for (int k = nptr[i]; k < nptr[i + 1]; k++) {
      const int e = nel[k];
      if (done[e])
        continue;
      done[e] = 1;
      const int *c = m->conn + (size_t)e * npe;
      const FmMaterial *mat = &md->cs.materials[md->elem_mat[e]];
      for (int a = 0; a < npe; a++)
        for (int q = 0; q < 3; q++)
          xe[3 * a + q] = m->x[3 * c[a] + q];
      fm_tet_stiffness(npe, xe, mat->E, mat->nu, Ke);
      for (int a = 0; a < npe; a++) {
        const int ra = rowof[c[a]];
        if (ra < 0)
          continue;
        for (int b = 0; b < npe; b++) {
          double *blk = A->val + 9 * fm_csr_find(A, ra, colid[c[b]]);
          for (int p = 0; p < 3; p++)
            for (int q = 0; q < 3; q++)
              blk[3 * p + q] += Ke[(size_t)(3 * a + p) * 3 * npe + 3 * b + q];
        }
      }
    }
  }
  ierr = 0;
out:
  free(nptr);
  free(nel);
  free(rowof);
  free(mark);
  free(done);
  if (ierr)
    fm_csr_free(A);
  return ierr;
}

void fm_csr_free(FmBlockCsr *A) {
  free(A->ptr);
  free(A->col);
  free(A->val);
  memset(A, 0, sizeof *A);
}

void fm_csr_matvec(const FmBlockCsr *A, const double *x, double *y) {
  for (int r = 0; r < A->nrows; r++) {
    double s0 = 0, s1 = 0, s2 = 0;
    for (int64_t k = A->ptr[r]; k < A->ptr[r + 1]; k++) {
      const double *b = A->val + 9 * k, *xc = x + 3 * (size_t)A->col[k];
      s0 += b[0] * xc[0] + b[1] * xc[1] + b[2] * xc[2];
      s1 += b[3] * xc[0] + b[4] * xc[1] + b[5] * xc[2];
      s2 += b[6] * xc[0] + b[7] * xc[1] + b[8] * xc[2];
    }
    y[3 * (size_t)r] = s0;
    y[3 * (size_t)r + 1] = s1;
    y[3 * (size_t)r + 2] = s2;
  }
}
