#include "csr.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

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

/* A thread's set of the distinct nodes of one row: open addressing in a
 * table of cap (a power of 2) entries, -1 where free; the keys in the order
 * they came, their table positions beside them to clear them after. */
typedef struct {
  int *tab, *key, *pos, cap, n;
} NodeSet;

static int nodeset_init(NodeSet *s, int most) {
  s->cap = 64;
  while (s->cap < 2 * most)
    s->cap *= 2;
  s->n = 0;
  s->tab = malloc((size_t)s->cap * sizeof(int));
  s->key = malloc(((size_t)most + 1) * sizeof(int));
  s->pos = malloc(((size_t)most + 1) * sizeof(int));
  if (!s->tab || !s->key || !s->pos)
    return 1;
  for (int k = 0; k < s->cap; k++)
    s->tab[k] = -1;
  return 0;
}

static void nodeset_free(NodeSet *s) {
  free(s->tab);
  free(s->key);
  free(s->pos);
}

static void nodeset_add(NodeSet *s, int j) {
  unsigned h = ((unsigned)j * 2654435761u) & (unsigned)(s->cap - 1);
  while (s->tab[h] != -1) {
    if (s->tab[h] == j)
      return;
    h = (h + 1) & (unsigned)(s->cap - 1);
  }
  s->tab[h] = j;
  s->key[s->n] = j;
  s->pos[s->n++] = (int)h;
}

static void nodeset_clear(NodeSet *s) {
  for (int k = 0; k < s->n; k++)
    s->tab[s->pos[k]] = -1;
  s->n = 0;
}

static void sort_ints(int *v, int64_t n) {
  if (n > 64) {
    qsort(v, (size_t)n, sizeof(int), cmp_int);
    return;
  }
  for (int64_t k = 1; k < n; k++) { /* insertion: rows hold about 30 */
    const int x = v[k];
    int64_t l = k;
    for (; l > 0 && v[l - 1] > x; l--)
      v[l] = v[l - 1];
    v[l] = x;
  }
}

/* The sparsity of rows [0, nrows): pass 0 counts each row's distinct
 * neighbour nodes into ptr[r + 1], pass 1 writes their columns, sorted.
 * The rows are split among OpenMP threads, each with its own set (most:
 * the most candidates of a row); a row's content does not depend on the
 * thread, so the pattern is the same on any number of threads. */
static int pattern_pass(const FmMesh *m, int nrows, const int *rows,
                        const int *colid, const int *nptr, const int *nel,
                        int most, int pass, FmBlockCsr *A) {
  const int npe = m->npe;
  int failed = 0;
#ifdef _OPENMP
#pragma omp parallel reduction(| : failed) if (nrows > 2000)
#endif
  {
    NodeSet set;
    failed = nodeset_init(&set, most);
    /* every thread reaches the loop (OpenMP's rule), a failed one idles */
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1024)
#endif
    for (int r = 0; r < nrows; r++) {
      if (failed)
        continue;
      const int i = rows[r];
      for (int k = nptr[i]; k < nptr[i + 1]; k++)
        for (int a = 0; a < npe; a++)
          nodeset_add(&set, m->conn[(size_t)nel[k] * npe + a]);
      if (pass == 0) {
        A->ptr[r + 1] = set.n;
      } else {
        int *c = A->col + A->ptr[r];
        for (int k = 0; k < set.n; k++)
          c[k] = colid[set.key[k]];
        sort_ints(c, set.n);
      }
      nodeset_clear(&set);
    }
    nodeset_free(&set);
  }
  return failed ? fm_error("sparsity pattern: out of memory (%d candidate "
                           "nodes per row)",
                           most)
                : 0;
}

/* The values of the rows, a row at a time: row r sums, over node rows[r]'s
 * elements in element order, that node's rows of the element stiffness
 * (fm_tet_stiffness_row: fm_tet_stiffness's entries bit for bit).  Each
 * element's geometry is computed once per node, not once, but the rows are
 * independent: they are split among OpenMP threads with no shared writes,
 * each block sums its terms in the same order on any number of threads
 * (the GPU's order too, kernels/assemble.cu), and a row's blocks stay in
 * cache while it is summed. */
static void assemble_values(const FmModel *md, int nrows, const int *rows,
                            const int *colid, const int *nptr, const int *nel,
                            FmBlockCsr *A) {
  const FmMesh *m = &md->mesh;
  const int npe = m->npe;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 256) if (nrows > 2000)
#endif
  for (int r = 0; r < nrows; r++) {
    const int i = rows[r];
    double xe[3 * FM_TET_MAX_NPE], Kr[9 * FM_TET_MAX_NPE];
    /* written before it is read: a read first would map the zero page and
     * the write then replace it (two faults and a TLB shootdown a page;
     * about three times the time on 2 threads, build machine) */
    memset(A->val + 9 * A->ptr[r], 0,
           9 * sizeof(double) * (size_t)(A->ptr[r + 1] - A->ptr[r]));
    for (int k = nptr[i]; k < nptr[i + 1]; k++) {
      const int e = nel[k];
      const int *c = m->conn + (size_t)e * npe;
      const FmMaterial *mat = &md->cs.materials[md->elem_mat[e]];
      int a = 0;
      while (c[a] != i)
        a++;
      for (int b = 0; b < npe; b++)
        for (int q = 0; q < 3; q++)
          xe[3 * b + q] = m->x[3 * c[b] + q];
      fm_tet_stiffness_row(npe, xe, mat->E, mat->nu, a, Kr);
      for (int b = 0; b < npe; b++) {
        double *blk = A->val + 9 * fm_csr_find(A, r, colid[c[b]]);
        for (int p = 0; p < 3; p++)
          for (int q = 0; q < 3; q++)
            blk[3 * p + q] += Kr[p * 3 * npe + 3 * b + q];
      }
    }
  }
}

/* The sparsity of the rows, and with md their values too. */
static int build(const FmMesh *m, const FmModel *md, int nrows, const int *rows,
                 const int *colid, FmBlockCsr *A) {
  const int npe = m->npe, nn = m->nnodes;
  memset(A, 0, sizeof *A);
  int ierr = 1;
  /* node -> element adjacency (each node's elements in element order), and
   * the most candidate neighbours of a node */
  int *nptr = fm_calloc(nn + 1, sizeof(int));
  int *nel = fm_calloc((size_t)m->nelem * npe, sizeof(int));
  A->ptr = fm_calloc((size_t)nrows + 1, sizeof(int64_t));
  if (!nptr || !nel || !A->ptr)
    goto out;
  for (size_t k = 0; k < (size_t)m->nelem * npe; k++)
    nptr[m->conn[k] + 1]++;
  int most = 1;
  for (int i = 0; i < nn; i++) {
    if (nptr[i + 1] * npe > most)
      most = nptr[i + 1] * npe;
    nptr[i + 1] += nptr[i];
  }
  for (int e = 0; e < m->nelem; e++)
    for (int a = 0; a < npe; a++) {
      const int n = m->conn[(size_t)e * npe + a];
      nel[nptr[n]++] = e;
    }
  for (int i = nn; i > 0; i--)
    nptr[i] = nptr[i - 1];
  nptr[0] = 0;

  /* sparsity: the distinct neighbour nodes of each row node */
  if (pattern_pass(m, nrows, rows, colid, nptr, nel, most, 0, A))
    goto out;
  for (int r = 0; r < nrows; r++)
    A->ptr[r + 1] += A->ptr[r];
  A->col = fm_calloc(A->ptr[nrows] + 1, sizeof(int));
  if (md)
    A->val = fm_calloc(9 * (size_t)A->ptr[nrows] + 1, sizeof(double));
  if (!A->col || (md && !A->val))
    goto out;
  if (pattern_pass(m, nrows, rows, colid, nptr, nel, most, 1, A))
    goto out;
  A->nrows = nrows;

  if (md)
    assemble_values(md, nrows, rows, colid, nptr, nel, A);
  ierr = 0;
out:
  free(nptr);
  free(nel);
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
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (A->nrows > 5000)
#endif
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

/* ------------------------------------------------------------------------ */
/* scalar CSR (amg.c and the backends) */

void fm_csr_scalar_free(FmCsr *A) {
  free(A->ptr);
  free(A->col);
  free(A->val);
  A->ptr = NULL;
  A->col = NULL;
  A->val = NULL;
  A->nrows = A->ncols = 0;
}

int fm_csr_scalar_alloc(FmCsr *A, int nrows, int ncols, int64_t nnz) {
  A->nrows = nrows;
  A->ncols = ncols;
  A->ptr = fm_calloc((size_t)nrows + 1, sizeof(int64_t));
  A->col = fm_calloc(nnz > 0 ? (size_t)nnz : 1, sizeof(int));
  A->val = fm_calloc(nnz > 0 ? (size_t)nnz : 1, sizeof(double));
  if (!A->ptr || !A->col || !A->val) {
    fm_csr_scalar_free(A);
    return 1;
  }
  return 0;
}

void fm_csr_scalar_spmv(const FmCsr *A, double alpha, const double *x,
                        double beta, double *y) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (A->nrows > 20000)
#endif
  for (int i = 0; i < A->nrows; i++) {
    double s = 0.0;
    for (int64_t k = A->ptr[i]; k < A->ptr[i + 1]; k++)
      s += A->val[k] * x[A->col[k]];
    y[i] = beta == 0.0 ? alpha * s : alpha * s + beta * y[i];
  }
}

/* Row i of C = A B: its length (C == NULL: *len) or its columns and values,
 * with this thread's marker (mark[j] != i for every j on entry) and
 * accumulator of B->ncols entries. */
static void mult_row(const FmCsr *A, const FmCsr *B, int i, int *mark,
                     double *acc, FmCsr *C, int64_t *len) {
  int n = 0;
  int *cols = C ? C->col + C->ptr[i] : NULL;
  for (int64_t ka = A->ptr[i]; ka < A->ptr[i + 1]; ka++) {
    const int r = A->col[ka];
    const double a = A->val[ka];
    for (int64_t kb = B->ptr[r]; kb < B->ptr[r + 1]; kb++) {
      const int c = B->col[kb];
      if (mark[c] != i) {
        mark[c] = i;
        if (cols) {
          acc[c] = 0.0;
          cols[n] = c;
        }
        n++;
      }
      if (cols)
        acc[c] += a * B->val[kb];
    }
  }
  if (!cols) {
    *len = n;
    return;
  }
  qsort(cols, (size_t)n, sizeof(int), cmp_int);
  for (int k = 0; k < n; k++)
    C->val[C->ptr[i] + k] = acc[cols[k]];
}

/* Both passes over the rows, split among OpenMP threads where the build has
 * them (each with its own marker and accumulator). */
static int mult_pass(const FmCsr *A, const FmCsr *B, FmCsr *C, int64_t *len) {
  int failed = 0;
  const int m = A->nrows, nc = B->ncols;
#ifdef _OPENMP
#pragma omp parallel reduction(| : failed)
#endif
  {
    int *mark = malloc(((size_t)nc + 1) * sizeof(int));
    double *acc = C ? malloc(((size_t)nc + 1) * sizeof(double)) : NULL;
    const int ok = mark && (!C || acc);
    failed = !ok;
    for (int j = 0; ok && j < nc; j++)
      mark[j] = -1;
      /* every thread reaches the loop (OpenMP's rule), a failed one idles */
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 256)
#endif
    for (int i = 0; i < m; i++)
      if (ok)
        mult_row(A, B, i, mark, acc, C, len + i);
    free(mark);
    free(acc);
  }
  return failed ? fm_error("amg: out of memory in a sparse product") : 0;
}

int fm_csr_scalar_mult(const FmCsr *A, const FmCsr *B, FmCsr *C) {
  memset(C, 0, sizeof *C);
  if (A->ncols != B->nrows)
    return fm_error("amg: product of %dx%d and %dx%d matrices", A->nrows,
                    A->ncols, B->nrows, B->ncols);
  const int m = A->nrows;
  int64_t *len = fm_calloc((size_t)m + 1, sizeof(int64_t));
  if (!len)
    return 1;
  int ierr = mult_pass(A, B, NULL, len);
  if (!ierr) {
    int64_t nnz = 0;
    for (int i = 0; i < m; i++)
      nnz += len[i];
    ierr = fm_csr_scalar_alloc(C, m, B->ncols, nnz);
  }
  if (!ierr) {
    for (int i = 0; i < m; i++)
      C->ptr[i + 1] = C->ptr[i] + len[i];
    ierr = mult_pass(A, B, C, len);
  }
  free(len);
  if (ierr)
    fm_csr_scalar_free(C);
  return ierr;
}

/* T's rows filled by A's row range [r0, r1) with cursors next (T's
 * columns in order within a row, since A's rows come in order). */
static void transpose_rows(const FmCsr *A, int r0, int r1, int64_t *next,
                           FmCsr *T) {
  for (int i = r0; i < r1; i++)
    for (int64_t k = A->ptr[i]; k < A->ptr[i + 1]; k++) {
      const int64_t p = next[A->col[k]]++;
      T->col[p] = i;
      T->val[p] = A->val[k];
    }
}

int fm_csr_scalar_transpose(const FmCsr *A, FmCsr *T) {
  const int64_t nnz = A->ptr[A->nrows];
  const int nc = A->ncols;
  if (fm_csr_scalar_alloc(T, nc, A->nrows, nnz))
    return 1;
  int nt = 1;
#ifdef _OPENMP
  nt = omp_get_max_threads();
  /* per thread a cursor per column: where that costs at most twice A */
  if (nnz < 200000 || (double)nc * nt > 2.0 * (double)nnz)
    nt = 1;
#endif
  int64_t *next = fm_calloc((size_t)nt * nc + 1, sizeof(int64_t));
  if (!next) {
    fm_csr_scalar_free(T);
    return 1;
  }
  if (nt == 1) {
    for (int64_t k = 0; k < nnz; k++)
      T->ptr[A->col[k] + 1]++;
    for (int j = 0; j < nc; j++)
      T->ptr[j + 1] += T->ptr[j];
    memcpy(next, T->ptr, (size_t)nc * sizeof(int64_t));
    transpose_rows(A, 0, A->nrows, next, T);
  } else {
#ifdef _OPENMP
    /* thread t takes A's rows [t n / nt, (t + 1) n / nt): it counts its
     * entries per column, a column's cursor for t starts after the
     * threads before it, so T is the one-thread T */
#pragma omp parallel num_threads(nt)
    {
      const int t = omp_get_thread_num(), n = omp_get_num_threads();
      const int r0 = (int)((int64_t)A->nrows * t / n),
                r1 = (int)((int64_t)A->nrows * (t + 1) / n);
      int64_t *cnt = next + (size_t)t * nc;
      for (int64_t k = A->ptr[r0]; k < A->ptr[r1]; k++)
        cnt[A->col[k]]++;
#pragma omp barrier
#pragma omp for schedule(static)
      for (int j = 0; j < nc; j++) {
        int64_t s = 0;
        for (int u = 0; u < n; u++)
          s += next[(size_t)u * nc + j];
        T->ptr[j + 1] = s;
      }
#pragma omp single
      for (int j = 0; j < nc; j++)
        T->ptr[j + 1] += T->ptr[j];
#pragma omp for schedule(static)
      for (int j = 0; j < nc; j++) {
        int64_t s = T->ptr[j];
        for (int u = 0; u < n; u++) {
          const int64_t c = next[(size_t)u * nc + j];
          next[(size_t)u * nc + j] = s;
          s += c;
        }
      }
      transpose_rows(A, r0, r1, cnt, T);
    }
#endif
  }
  free(next);
  return 0;
}

int fm_csr_scalar_copy(const FmCsr *A, FmCsr *B) {
  const int64_t nnz = A->ptr[A->nrows];
  if (fm_csr_scalar_alloc(B, A->nrows, A->ncols, nnz))
    return 1;
  memcpy(B->ptr, A->ptr, ((size_t)A->nrows + 1) * sizeof(int64_t));
  memcpy(B->col, A->col, (size_t)nnz * sizeof(int));
  memcpy(B->val, A->val, (size_t)nnz * sizeof(double));
  return 0;
}

/* C = A + diag(s) B, same shape; rows merged (both sorted). */
int fm_csr_scalar_add_scaled(const FmCsr *A, const double *s, const FmCsr *B,
                             FmCsr *C) {
  const int m = A->nrows;
  if (fm_csr_scalar_alloc(C, m, A->ncols, A->ptr[m] + B->ptr[m]))
    return 1;
  int64_t o = 0;
  for (int i = 0; i < m; i++) {
    int64_t ka = A->ptr[i], kb = B->ptr[i];
    const int64_t ea = A->ptr[i + 1], eb = B->ptr[i + 1];
    while (ka < ea || kb < eb) {
      const int ca = ka < ea ? A->col[ka] : -1, cb = kb < eb ? B->col[kb] : -1;
      if (cb < 0 || (ca >= 0 && ca < cb)) {
        C->col[o] = ca;
        C->val[o++] = A->val[ka++];
      } else if (ca < 0 || cb < ca) {
        C->col[o] = cb;
        C->val[o++] = s[i] * B->val[kb++];
      } else {
        C->col[o] = ca;
        C->val[o++] = A->val[ka++] + s[i] * B->val[kb++];
      }
    }
    C->ptr[i + 1] = o;
  }
  return 0;
}

int fm_csr_to_scalar(const FmBlockCsr *A, FmCsr *S) {
  const int nn = A->nrows;
  if (fm_csr_scalar_alloc(S, 3 * nn, 3 * nn, 9 * A->ptr[nn]))
    return 1;
  int64_t o = 0;
  for (int r = 0; r < nn; r++)
    for (int p = 0; p < 3; p++) {
      for (int64_t k = A->ptr[r]; k < A->ptr[r + 1]; k++)
        for (int q = 0; q < 3; q++) {
          S->col[o] = 3 * A->col[k] + q;
          S->val[o++] = A->val[9 * k + 3 * p + q];
        }
      S->ptr[3 * r + p + 1] = o;
    }
  return 0;
}
