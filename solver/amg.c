/* Smoothed-aggregation AMG: setup and the V-cycle (amg.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amg.h"
#include "error.h"

static int cmp_int(const void *a, const void *b) {
  const int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

#define NB 6 /* near-null space vectors: 3 translations, 3 rotations */

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* setup                                                                    */

void fm_amg_default_options(FmAmgOptions *o) {
  o->theta = 0.05; /* measured: docs/gpu.md, "Multigrid" */
  o->cheb_degree = 2;
  o->coarse_max = 1500;
  o->max_levels = 10;
  o->verbose = 0;
}

/* The number in environment variable name, if set, into *x; it must lie
 * in [lo, hi] (and be whole when integer). */
static int env_number(const char *name, double lo, double hi, int integer,
                      double *x) {
  const char *v = getenv(name);
  if (!v || !*v)
    return 0;
  char *end;
  const double d = strtod(v, &end);
  if (*end || !(d >= lo && d <= hi) || (integer && d != floor(d)))
    return fm_error("%s=%s: must be %s in [%g, %g]", name, v,
                    integer ? "a whole number" : "a number", lo, hi);
  *x = d;
  return 0;
}

int fm_amg_error_context(const char *case_path) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", fm_error_message()); /* fm_error reuses it */
  return fm_error("%s: solver.preconditioner: %s", case_path, msg);
}

int fm_amg_options_from_env(FmAmgOptions *o) {
  fm_amg_default_options(o);
  double d = o->theta;
  FM_CALL(env_number("FEMORA_AMG_THETA", 0.0, 0.99, 0, &d));
  o->theta = d;
  d = o->cheb_degree;
  FM_CALL(env_number("FEMORA_AMG_DEGREE", 1, 10, 1, &d));
  o->cheb_degree = (int)d;
  d = o->coarse_max;
  FM_CALL(env_number("FEMORA_AMG_COARSE_MAX", 1, 10000, 1, &d));
  o->coarse_max = (int)d;
  d = o->verbose;
  FM_CALL(env_number("FEMORA_AMG_VERBOSE", 0, 1, 1, &d));
  o->verbose = (int)d;
  return 0;
}

/* 1 / diagonal; a zero or missing diagonal entry is an error. */
static int diag_inverse(const FmCsr *A, int level, double *dinv) {
  for (int i = 0; i < A->nrows; i++) {
    double d = 0.0;
    for (int64_t k = A->ptr[i]; k < A->ptr[i + 1]; k++)
      if (A->col[k] == i)
        d = A->val[k];
    if (!(d > 0.0))
      return fm_error("amg: level %d: row %d has diagonal %g (the operator "
                      "must be symmetric positive definite)",
                      level, i, d);
    dinv[i] = 1.0 / d;
  }
  return 0;
}

/* Largest eigenvalue of a symmetric tridiagonal matrix (diagonal a[0..k),
 * off-diagonal b[0..k-1)) by bisection on Sturm counts. */
static double tridiag_max_eig(int k, const double *a, const double *b) {
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < k; i++) {
    const double r =
        (i > 0 ? fabs(b[i - 1]) : 0) + (i < k - 1 ? fabs(b[i]) : 0);
    lo = fmin(lo, a[i] - r);
    hi = fmax(hi, a[i] + r);
  }
  for (int it = 0; it < 100 && hi - lo > 1e-12 * fabs(hi); it++) {
    const double x = 0.5 * (lo + hi);
    int above = 0; /* eigenvalues greater than x */
    double q = 1.0;
    for (int i = 0; i < k; i++) {
      q = a[i] - x - (i > 0 ? b[i - 1] * b[i - 1] / q : 0.0);
      if (q == 0.0)
        q = 1e-300;
      if (q > 0)
        above++;
    }
    if (above > 0)
      lo = x;
    else
      hi = x;
  }
  return hi;
}

/* Largest eigenvalue of D^-1 A from 10 steps of Jacobi-preconditioned CG
 * (the Lanczos tridiagonal of its coefficients) started from a fixed
 * pseudo-random vector: a slight underestimate, hence the 1.1 in the
 * Chebyshev interval. */
static int estimate_lmax(const FmCsr *A, const double *dinv, double *lmax) {
  enum { STEPS = 10 };
  const int n = A->nrows;
  double *r = fm_calloc((size_t)n, sizeof(double)),
         *z = fm_calloc((size_t)n, sizeof(double)),
         *p = fm_calloc((size_t)n, sizeof(double)),
         *q = fm_calloc((size_t)n, sizeof(double));
  if (!r || !z || !p || !q) {
    free(r);
    free(z);
    free(p);
    free(q);
    return 1;
  }
  uint64_t s = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    r[i] = (double)(s >> 11) / 9007199254740992.0 - 0.5;
  }
  double alpha[STEPS], beta[STEPS], rz = 0.0;
  for (int i = 0; i < n; i++) {
    z[i] = dinv[i] * r[i];
    p[i] = z[i];
    rz += r[i] * z[i];
  }
  int k = 0;
  for (; k < STEPS && rz > 0; k++) {
    fm_csr_scalar_spmv(A, 1.0, p, 0.0, q);
    double pq = 0.0;
    for (int i = 0; i < n; i++)
      pq += p[i] * q[i];
    if (!(pq > 0))
      break;
    alpha[k] = rz / pq;
    double rz1 = 0.0;
    for (int i = 0; i < n; i++) {
      r[i] -= alpha[k] * q[i];
      z[i] = dinv[i] * r[i];
      rz1 += r[i] * z[i];
    }
    beta[k] = rz1 / rz;
    rz = rz1;
    for (int i = 0; i < n; i++)
      p[i] = z[i] + beta[k] * p[i];
  }
  free(r);
  free(z);
  free(p);
  free(q);
  if (k == 0) {
    *lmax = 1.0;
    return 0;
  }
  double a[STEPS], b[STEPS];
  for (int j = 0; j < k; j++) {
    a[j] = 1.0 / alpha[j] + (j > 0 ? beta[j - 1] / alpha[j - 1] : 0.0);
    b[j] = sqrt(fabs(beta[j])) / alpha[j];
  }
  *lmax = tridiag_max_eig(k, a, b);
  if (!(*lmax > 0) || !isfinite(*lmax))
    return fm_error("amg: eigenvalue estimate failed (%g)", *lmax);
  return 0;
}

/* The node graph of a level: node I owns DOFs node_ptr[I]..node_ptr[I+1];
 * I and J are linked where a block A_IJ has a non-zero entry and, with
 * theta > 0, ||A_IJ||_F^2 > theta^2 ||A_II||_F ||A_JJ||_F.  Excluded nodes
 * (skip[I]) have no links. */
typedef struct {
  int nnodes;
  int64_t *ptr;
  int *adj;
  double *w; /* ||A_IJ||_F^2 */
} Graph;

static void graph_free(Graph *g) {
  free(g->ptr);
  free(g->adj);
  free(g->w);
}

/* The blocks of node row I: the distinct nodes J it touches (list[0..len))
 * with acc[J] = ||A_IJ||_F^2; diag: the diagonal block only, else the
 * others.  mark[J] != I for every J on entry (a thread's own arrays). */
static int graph_row(const FmCsr *A, int I, const int *node_ptr,
                     const int *node_of, const unsigned char *skip, int diag,
                     int *mark, double *acc, int *list) {
  int len = 0;
  for (int i = node_ptr[I]; i < node_ptr[I + 1]; i++)
    for (int64_t k = A->ptr[i]; k < A->ptr[i + 1]; k++) {
      const int J = node_of[A->col[k]];
      if (diag != (J == I) || (skip && skip[J]) || A->val[k] == 0.0)
        continue;
      if (mark[J] != I) {
        mark[J] = I;
        acc[J] = 0.0;
        list[len++] = J;
      }
      acc[J] += A->val[k] * A->val[k];
    }
  return len;
}

static int build_graph(const FmCsr *A, int nnodes, const int *node_ptr,
                       const int *node_of, const unsigned char *skip,
                       double theta, Graph *g) {
  memset(g, 0, sizeof *g);
  g->nnodes = nnodes;
  double *dn = fm_calloc((size_t)nnodes + 1, sizeof(double));
  g->ptr = fm_calloc((size_t)nnodes + 1, sizeof(int64_t));
  int ierr = !dn || !g->ptr;
  /* pass 0: diagonal block norms; 1: link counts; 2: links (sorted) */
  for (int pass = 0; pass < 3 && !ierr; pass++) {
    int failed = 0;
#ifdef _OPENMP
#pragma omp parallel reduction(| : failed)
#endif
    {
      int *mark = malloc(((size_t)nnodes + 1) * sizeof(int));
      int *list = malloc(((size_t)nnodes + 1) * sizeof(int));
      double *acc = malloc(((size_t)nnodes + 1) * sizeof(double));
      const int ok = mark && list && acc;
      failed = !ok;
      for (int I = 0; ok && I < nnodes; I++)
        mark[I] = -1;
      /* every thread reaches the loop (OpenMP's rule), a failed one idles */
      {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 512)
#endif
        for (int I = 0; I < nnodes; I++) {
          if (!ok || (skip && skip[I]))
            continue;
          const int len = graph_row(A, I, node_ptr, node_of, skip, pass == 0,
                                    mark, acc, list);
          if (pass == 0) {
            dn[I] = len ? sqrt(acc[I]) : 0.0;
            continue;
          }
          if (pass == 2)
            qsort(list, (size_t)len, sizeof(int), cmp_int);
          const int64_t o = pass == 2 ? g->ptr[I] : 0;
          int kept = 0;
          for (int t = 0; t < len; t++) {
            const int J = list[t];
            if (theta > 0 && !(acc[J] > theta * theta * dn[I] * dn[J]))
              continue;
            if (pass == 2) {
              g->adj[o + kept] = J;
              g->w[o + kept] = acc[J];
            }
            kept++;
          }
          if (pass == 1)
            g->ptr[I + 1] = kept;
        }
      }
      free(mark);
      free(list);
      free(acc);
    }
    if (failed)
      ierr = fm_error("amg: out of memory building the strength graph");
    if (!ierr && pass == 1) {
      for (int I = 0; I < nnodes; I++)
        g->ptr[I + 1] += g->ptr[I];
      g->adj = fm_calloc((size_t)g->ptr[nnodes] + 1, sizeof(int));
      g->w = fm_calloc((size_t)g->ptr[nnodes] + 1, sizeof(double));
      ierr = !g->adj || !g->w;
    }
  }
  free(dn);
  if (ierr)
    graph_free(g);
  return ierr;
}

/* Three-phase aggregation (Vanek, Mandel, Brezina 1996, section 4):
 * 1. a node whose neighbours are all free forms an aggregate with them;
 * 2. a free node joins the phase-1 aggregate it is most strongly linked to;
 * 3. what is left forms aggregates with its free neighbours.
 * agg[I] = aggregate of node I, -1 for skipped nodes.  Returns the count. */
static int aggregate(const Graph *g, const unsigned char *skip, int *agg) {
  const int nn = g->nnodes;
  int na = 0;
  for (int I = 0; I < nn; I++)
    agg[I] = -1;
  for (int I = 0; I < nn; I++) {
    if ((skip && skip[I]) || agg[I] >= 0)
      continue;
    int free_all = 1;
    for (int64_t k = g->ptr[I]; k < g->ptr[I + 1] && free_all; k++)
      free_all = agg[g->adj[k]] < 0;
    if (!free_all)
      continue;
    agg[I] = na;
    for (int64_t k = g->ptr[I]; k < g->ptr[I + 1]; k++)
      agg[g->adj[k]] = na;
    na++;
  }
  const int na1 = na;
  for (int I = 0; I < nn; I++) {
    if ((skip && skip[I]) || agg[I] >= 0)
      continue;
    double best = -1.0;
    int a = -1;
    for (int64_t k = g->ptr[I]; k < g->ptr[I + 1]; k++) {
      const int J = g->adj[k];
      if (agg[J] >= 0 && agg[J] < na1 && g->w[k] > best) {
        best = g->w[k];
        a = agg[J];
      }
    }
    /* -2: joins aggregate -(a+3) once phase 2 is done (phase 2 must see
     * phase-1 aggregates only) */
    if (a >= 0)
      agg[I] = -(a + 3);
  }
  for (int I = 0; I < nn; I++)
    if (agg[I] <= -3)
      agg[I] = -agg[I] - 3;
  for (int I = 0; I < nn; I++) {
    if ((skip && skip[I]) || agg[I] >= 0)
      continue;
    agg[I] = na;
    for (int64_t k = g->ptr[I]; k < g->ptr[I + 1]; k++)
      if (agg[g->adj[k]] < 0)
        agg[g->adj[k]] = na;
    na++;
  }
  return na;
}

/* Tentative prolongator: per aggregate, QR of the near-null space rows of
 * its DOFs (modified Gram-Schmidt, twice, dropping dependent columns); Q is
 * the aggregate's block of P, R its rows of the coarse near-null space.
 * B: n x NB row-major.  On return *Pt (n x nc), *Bc (nc x NB) and the
 * coarse node offsets cptr[na + 1] (the DOFs of coarse node a). */
static int tentative(int n, int nnodes, const int *node_ptr, const int *agg,
                     int na, const double *B, FmCsr *Pt, double **Bc,
                     int **cptr) {
  int *cnt = fm_calloc((size_t)na + 1, sizeof(int));
  int *members = fm_calloc((size_t)nnodes + 1, sizeof(int));
  int *k_of = fm_calloc((size_t)na + 1, sizeof(int));
  double *Q = fm_calloc((size_t)n * NB + 1, sizeof(double));
  double *R = fm_calloc((size_t)na * NB * NB + 1, sizeof(double));
  int maxm = 0, ierr = 0;
  double *v = NULL;
  if (!cnt || !members || !k_of || !Q || !R) {
    ierr = 1;
    goto out;
  }
  for (int I = 0; I < nnodes; I++)
    if (agg[I] >= 0)
      cnt[agg[I] + 1]++;
  for (int a = 0; a < na; a++)
    cnt[a + 1] += cnt[a];
  {
    int *next = fm_calloc((size_t)na + 1, sizeof(int));
    if (!next) {
      ierr = 1;
      goto out;
    }
    memcpy(next, cnt, (size_t)na * sizeof(int));
    for (int I = 0; I < nnodes; I++)
      if (agg[I] >= 0)
        members[next[agg[I]]++] = I;
    free(next);
  }
  for (int a = 0; a < na; a++) {
    int m = 0;
    for (int t = cnt[a]; t < cnt[a + 1]; t++)
      m += node_ptr[members[t] + 1] - node_ptr[members[t]];
    if (m > maxm)
      maxm = m;
  }
  v = fm_calloc((size_t)maxm * (NB + 1) + 1, sizeof(double));
  int *rows = fm_calloc((size_t)maxm + 1, sizeof(int));
  if (!v || !rows) {
    free(rows);
    ierr = 1;
    goto out;
  }
  for (int a = 0; a < na; a++) {
    int m = 0;
    for (int t = cnt[a]; t < cnt[a + 1]; t++)
      for (int i = node_ptr[members[t]]; i < node_ptr[members[t] + 1]; i++)
        rows[m++] = i;
    double *q = v; /* m x NB, column j at q + j*m: the kept columns */
    double *w = v + (size_t)m * NB;
    double *Ra = R + (size_t)a * NB * NB; /* k x NB, row-major */
    int k = 0;
    for (int c = 0; c < NB; c++) {
      double n0 = 0.0;
      for (int t = 0; t < m; t++) {
        w[t] = B[(size_t)rows[t] * NB + c];
        n0 += w[t] * w[t];
      }
      n0 = sqrt(n0);
      for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < k; j++) {
          double s = 0.0;
          for (int t = 0; t < m; t++)
            s += q[(size_t)j * m + t] * w[t];
          Ra[j * NB + c] += s;
          for (int t = 0; t < m; t++)
            w[t] -= s * q[(size_t)j * m + t];
        }
      double nw = 0.0;
      for (int t = 0; t < m; t++)
        nw += w[t] * w[t];
      nw = sqrt(nw);
      if (n0 > 0 && nw > 1e-10 * n0 && k < m) {
        Ra[k * NB + c] = nw;
        for (int t = 0; t < m; t++)
          q[(size_t)k * m + t] = w[t] / nw;
        k++;
      }
    }
    k_of[a] = k;
    for (int t = 0; t < m; t++)
      for (int j = 0; j < k; j++)
        Q[(size_t)rows[t] * NB + j] = q[(size_t)j * m + t];
  }
  free(rows);
  /* coarse DOF offsets, P_tent, coarse near-null space */
  *cptr = fm_calloc((size_t)na + 1, sizeof(int));
  if (!*cptr) {
    ierr = 1;
    goto out;
  }
  for (int a = 0; a < na; a++)
    (*cptr)[a + 1] = (*cptr)[a] + k_of[a];
  const int nc = (*cptr)[na];
  int64_t nnz = 0;
  for (int I = 0; I < nnodes; I++)
    if (agg[I] >= 0)
      nnz += (int64_t)k_of[agg[I]] * (node_ptr[I + 1] - node_ptr[I]);
  *Bc = fm_calloc((size_t)nc * NB + 1, sizeof(double));
  if (!*Bc || fm_csr_scalar_alloc(Pt, n, nc, nnz)) {
    ierr = 1;
    goto out;
  }
  int64_t o = 0;
  for (int I = 0; I < nnodes; I++)
    for (int i = node_ptr[I]; i < node_ptr[I + 1]; i++) {
      if (agg[I] >= 0) {
        const int a = agg[I];
        for (int j = 0; j < k_of[a]; j++) {
          Pt->col[o] = (*cptr)[a] + j;
          Pt->val[o++] = Q[(size_t)i * NB + j];
        }
      }
      Pt->ptr[i + 1] = o;
    }
  for (int a = 0; a < na; a++)
    for (int j = 0; j < k_of[a]; j++)
      memcpy(*Bc + (size_t)((*cptr)[a] + j) * NB,
             R + (size_t)a * NB * NB + (size_t)j * NB, NB * sizeof(double));
out:
  free(cnt);
  free(members);
  free(k_of);
  free(Q);
  free(R);
  free(v);
  return ierr;
}

/* The six rigid-body modes at the nodes, centred and scaled, zero on
 * prescribed DOFs. */
static int rigid_body_modes(int nnodes, const double *x,
                            const unsigned char *fixed, double **pB) {
  double c[3] = {0, 0, 0}, L = 0.0;
  for (int i = 0; i < nnodes; i++)
    for (int p = 0; p < 3; p++)
      c[p] += x[3 * i + p] / nnodes;
  for (int i = 0; i < nnodes; i++)
    for (int p = 0; p < 3; p++)
      L = fmax(L, fabs(x[3 * i + p] - c[p]));
  if (!(L > 0))
    L = 1.0;
  double *B = fm_calloc(3 * (size_t)nnodes * NB + 1, sizeof(double));
  if (!B)
    return 1;
  for (int i = 0; i < nnodes; i++) {
    const double y0 = (x[3 * i] - c[0]) / L, y1 = (x[3 * i + 1] - c[1]) / L,
                 y2 = (x[3 * i + 2] - c[2]) / L;
    const double rot[3][3] = {{0, y2, -y1}, {-y2, 0, y0}, {y1, -y0, 0}};
    for (int p = 0; p < 3; p++) {
      double *b = B + (3 * (size_t)i + p) * NB;
      if (fixed && fixed[3 * i + p])
        continue;
      b[p] = 1.0;
      for (int r = 0; r < 3; r++)
        b[3 + r] = rot[p][r];
    }
  }
  *pB = B;
  return 0;
}

/* Dense Cholesky of the coarsest operator (lower factor, row-major). */
static int coarse_factor(FmAmg *amg) {
  const FmCsr *A = &amg->lev[amg->nlev - 1].A;
  const int n = A->nrows;
  double *L = fm_calloc((size_t)n * n + 1, sizeof(double));
  if (!L)
    return 1;
  for (int i = 0; i < n; i++)
    for (int64_t k = A->ptr[i]; k < A->ptr[i + 1]; k++)
      L[(size_t)i * n + A->col[k]] = A->val[k];
  for (int j = 0; j < n; j++) {
    double *Lj = L + (size_t)j * n;
    double d = Lj[j];
    for (int k = 0; k < j; k++)
      d -= Lj[k] * Lj[k];
    if (!(d > 0)) {
      free(L);
      return fm_error("amg: coarsest operator (%d rows, level %d) is not "
                      "positive definite at row %d",
                      n, amg->nlev - 1, j);
    }
    Lj[j] = sqrt(d);
    for (int i = j + 1; i < n; i++) {
      double *Li = L + (size_t)i * n;
      double s = Li[j];
      for (int k = 0; k < j; k++)
        s -= Li[k] * Lj[k];
      Li[j] = s / Lj[j];
    }
  }
  for (int i = 0; i < n; i++) /* clear the upper triangle */
    for (int j = i + 1; j < n; j++)
      L[(size_t)i * n + j] = 0.0;
  amg->chol = L;
  return 0;
}

static void chol_solve(const double *L, int n, const double *b, double *x) {
  for (int i = 0; i < n; i++) {
    double s = b[i];
    for (int k = 0; k < i; k++)
      s -= L[(size_t)i * n + k] * x[k];
    x[i] = s / L[(size_t)i * n + i];
  }
  for (int i = n - 1; i >= 0; i--) {
    double s = x[i];
    for (int k = i + 1; k < n; k++)
      s -= L[(size_t)k * n + i] * x[k];
    x[i] = s / L[(size_t)i * n + i];
  }
}

int fm_amg_coarse_inverse(const FmAmg *amg, double **inv) {
  const int n = amg->lev[amg->nlev - 1].n;
  double *M = fm_calloc((size_t)n * n + 1, sizeof(double));
  if (!M)
    return 1;
  int failed = 0;
  /* column j of the inverse solves A c = e_j: columns split over threads */
#ifdef _OPENMP
#pragma omp parallel reduction(| : failed)
#endif
  {
    double *e = calloc((size_t)n + 1, sizeof(double));
    double *c = calloc((size_t)n + 1, sizeof(double));
    const int ok = e && c;
    failed = !ok;
    /* every thread reaches the loop (OpenMP's rule), a failed one idles */
    {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 16)
#endif
      for (int j = 0; j < n; j++) {
        if (!ok)
          continue;
        e[j] = 1.0;
        chol_solve(amg->chol, n, e, c);
        e[j] = 0.0;
        for (int i = 0; i < n; i++)
          M[(size_t)i * n + j] = c[i];
      }
    }
    free(e);
    free(c);
  }
  if (failed) {
    free(M);
    return fm_error("amg: out of memory inverting the coarsest operator");
  }
  /* symmetric to rounding only, column by column: make it exactly so (the
   * cycle must stay a symmetric operator for CG) */
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      const double v = 0.5 * (M[(size_t)i * n + j] + M[(size_t)j * n + i]);
      M[(size_t)i * n + j] = M[(size_t)j * n + i] = v;
    }
  *inv = M;
  return 0;
}

/* One level down: aggregates, P, R, the coarse operator, the coarse
 * near-null space and node offsets. */
/* add the time since *t to phase k; *t = now */
static void lap(FmAmg *amg, int k, double *t) {
  const double t1 = now_seconds();
  amg->t[k] += t1 - *t;
  *t = t1;
}

static int coarsen(FmAmg *amg, int l, int nnodes, const int *node_ptr,
                   const unsigned char *skip, const double *B, double **Bc,
                   int **cptr) {
  FmAmgLevel *L = &amg->lev[l], *C = &amg->lev[l + 1];
  const int n = L->n;
  int *node_of = fm_calloc((size_t)n + 1, sizeof(int));
  int *agg = fm_calloc((size_t)nnodes + 1, sizeof(int));
  Graph g;
  memset(&g, 0, sizeof g);
  FmCsr Pt, AP, AP2;
  memset(&Pt, 0, sizeof Pt);
  memset(&AP, 0, sizeof AP);
  memset(&AP2, 0, sizeof AP2);
  double *s = NULL;
  int ierr = !node_of || !agg;
  double t = now_seconds();
  if (!ierr) {
    for (int I = 0; I < nnodes; I++)
      for (int i = node_ptr[I]; i < node_ptr[I + 1]; i++)
        node_of[i] = I;
    ierr =
        build_graph(&L->A, nnodes, node_ptr, node_of, skip, amg->opt.theta, &g);
  }
  lap(amg, FM_AMG_T_GRAPH, &t);
  if (!ierr)
    L->nagg = aggregate(&g, skip, agg);
  lap(amg, FM_AMG_T_AGGREGATE, &t);
  if (!ierr)
    ierr = tentative(n, nnodes, node_ptr, agg, L->nagg, B, &Pt, Bc, cptr);
  lap(amg, FM_AMG_T_TENTATIVE, &t);
  if (!ierr && Pt.ncols == 0) {
    C->n = 0; /* nothing to coarsen: this level is the last */
    goto out;
  }
  /* P = (I - w D^-1 A) P_tent, w = 4 / (3 lmax) */
  if (!ierr) {
    s = fm_calloc((size_t)n + 1, sizeof(double));
    ierr = !s;
  }
  if (!ierr) {
    const double w = 4.0 / (3.0 * (L->emax / 1.1));
    for (int i = 0; i < n; i++)
      s[i] = -w * L->dinv[i];
  }
  if (!ierr && amg->galerkin) {
    /* elsewhere (the GPU): P, R and A_c stay there, A_c comes back */
    ierr = amg->galerkin(amg->galerkin_ctx, l, &Pt, s, &C->A);
    if (!ierr)
      C->n = C->A.nrows;
    lap(amg, FM_AMG_T_GALERKIN, &t);
    goto out;
  }
  if (!ierr)
    ierr = fm_csr_scalar_mult(&L->A, &Pt, &AP);
  if (!ierr)
    ierr = fm_csr_scalar_add_scaled(&Pt, s, &AP, &L->P);
  lap(amg, FM_AMG_T_SMOOTH, &t);
  if (!ierr)
    ierr = fm_csr_scalar_transpose(&L->P, &L->R);
  if (!ierr)
    ierr = fm_csr_scalar_mult(&L->A, &L->P, &AP2);
  if (!ierr)
    ierr = fm_csr_scalar_mult(&L->R, &AP2, &C->A);
  lap(amg, FM_AMG_T_GALERKIN, &t);
  if (!ierr)
    C->n = C->A.nrows;
out:
  free(node_of);
  free(agg);
  free(s);
  graph_free(&g);
  fm_csr_scalar_free(&Pt);
  fm_csr_scalar_free(&AP);
  fm_csr_scalar_free(&AP2);
  return ierr;
}

static int level_smoother(FmAmg *amg, int l) {
  FmAmgLevel *L = &amg->lev[l];
  double t = now_seconds();
  L->dinv = fm_calloc((size_t)L->n + 1, sizeof(double));
  if (!L->dinv)
    return 1;
  FM_CALL(diag_inverse(&L->A, l, L->dinv));
  double lmax;
  FM_CALL(estimate_lmax(&L->A, L->dinv, &lmax));
  L->emax = 1.1 * lmax;
  lap(amg, FM_AMG_T_SMOOTHER, &t);
  return 0;
}

static int setup_levels(FmAmg *amg, const double *x,
                        const unsigned char *fixed) {
  const int n0 = amg->lev[0].n, nn0 = n0 / 3;
  double *B = NULL, *Bc = NULL;
  int *node_ptr = fm_calloc((size_t)nn0 + 1, sizeof(int)), *cptr = NULL;
  unsigned char *skip = fm_calloc((size_t)nn0 + 1, 1);
  int nnodes = nn0, ierr = !node_ptr || !skip;
  if (!ierr)
    ierr = rigid_body_modes(nn0, x, fixed, &B);
  if (!ierr) {
    for (int I = 0; I <= nn0; I++)
      node_ptr[I] = 3 * I;
    /* nodes whose DOFs are all prescribed stay out of every aggregate */
    for (int I = 0; fixed && I < nn0; I++)
      skip[I] = fixed[3 * I] && fixed[3 * I + 1] && fixed[3 * I + 2];
  }
  int l = 0;
  while (!ierr) {
    ierr = level_smoother(amg, l);
    if (ierr || amg->lev[l].n <= amg->opt.coarse_max ||
        l + 1 >= amg->opt.max_levels || l + 1 >= FM_AMG_MAX_LEVELS)
      break;
    ierr = coarsen(amg, l, nnodes, node_ptr, skip, B, &Bc, &cptr);
    if (ierr)
      break;
    const int nc = amg->lev[l + 1].n;
    if (nc == 0 || nc >= amg->lev[l].n) {
      /* no coarsening: this level is the last (drop what was built) */
      fm_csr_scalar_free(&amg->lev[l].P);
      fm_csr_scalar_free(&amg->lev[l].R);
      fm_csr_scalar_free(&amg->lev[l + 1].A);
      amg->lev[l + 1].n = 0;
      break;
    }
    free(B);
    free(node_ptr);
    free(skip);
    B = Bc;
    node_ptr = cptr;
    nnodes = amg->lev[l].nagg;
    skip = NULL;
    Bc = NULL;
    cptr = NULL;
    l++;
    amg->nlev = l + 1;
  }
  free(B);
  free(Bc);
  free(node_ptr);
  free(cptr);
  free(skip);
  /* the dense coarse solve: n^3/3 flops and n^2 doubles (twice on a GPU) */
  const int cap = amg->opt.coarse_max > 5000 ? 2 * amg->opt.coarse_max : 10000;
  if (!ierr && amg->lev[amg->nlev - 1].n > cap)
    ierr = fm_error("amg: coarsening stalled at %d rows on level %d (a dense "
                    "coarse solve of more than %d rows is refused)",
                    amg->lev[amg->nlev - 1].n, amg->nlev - 1, cap);
  return ierr;
}

int fm_amg_setup(const FmCsr *A, const double *x, const unsigned char *fixed,
                 const FmAmgOptions *opt, FmAmg *amg) {
  return fm_amg_setup_ex((FmCsr *)A, 0, x, fixed, opt, NULL, NULL, amg);
}

int fm_amg_setup_ex(FmCsr *A, int take, const double *x,
                    const unsigned char *fixed, const FmAmgOptions *opt,
                    FmAmgGalerkinFn galerkin, void *ctx, FmAmg *amg) {
  const double t0 = now_seconds();
  memset(amg, 0, sizeof *amg);
  amg->galerkin = galerkin;
  amg->galerkin_ctx = ctx;
  if (opt)
    amg->opt = *opt;
  else
    fm_amg_default_options(&amg->opt);
  if (A->nrows != A->ncols || A->nrows % 3)
    return fm_error("amg: the operator has %d x %d rows and columns (square, "
                    "3 DOFs per node expected)",
                    A->nrows, A->ncols);
  if (amg->opt.cheb_degree < 1)
    amg->opt.cheb_degree = 1;
  amg->nlev = 1;
  amg->lev[0].n = A->nrows;
  int ierr = 0;
  if (take) {
    amg->lev[0].A = *A;
    memset(A, 0, sizeof *A);
  } else
    ierr = fm_csr_scalar_copy(A, &amg->lev[0].A);
  if (!ierr)
    ierr = setup_levels(amg, x, fixed);
  double t = now_seconds();
  if (!ierr)
    ierr = coarse_factor(amg);
  lap(amg, FM_AMG_T_COARSE, &t);
  for (int l = 0; l < amg->nlev && !ierr; l++)
    for (int k = 0; k < 4 && !ierr; k++) {
      amg->w[l][k] = fm_calloc((size_t)amg->lev[l].n + 1, sizeof(double));
      ierr = !amg->w[l][k];
    }
  if (ierr) {
    fm_amg_free(amg);
    return 1;
  }
  amg->setup_seconds = now_seconds() - t0;
  if (amg->opt.verbose) {
    printf("amg: %d levels, operator complexity %.2f, setup %.2f s\n",
           amg->nlev, fm_amg_complexity(amg), amg->setup_seconds);
    printf("amg:   phases: graph %.2f s, aggregation %.2f s, QR %.2f s, "
           "smoothing P %.2f s, Galerkin %.2f s, smoothers %.2f s, coarse "
           "Cholesky %.2f s\n",
           amg->t[FM_AMG_T_GRAPH], amg->t[FM_AMG_T_AGGREGATE],
           amg->t[FM_AMG_T_TENTATIVE], amg->t[FM_AMG_T_SMOOTH],
           amg->t[FM_AMG_T_GALERKIN], amg->t[FM_AMG_T_SMOOTHER],
           amg->t[FM_AMG_T_COARSE]);
    for (int l = 0; l < amg->nlev; l++)
      printf("amg:   level %d: %d rows, %lld nonzeros, P %lld nonzeros, lmax "
             "%.3g\n",
             l, amg->lev[l].n, (long long)amg->lev[l].A.ptr[amg->lev[l].n],
             amg->lev[l].P.ptr ? (long long)amg->lev[l].P.ptr[amg->lev[l].n]
                               : 0LL,
             amg->lev[l].emax / 1.1);
  }
  return 0;
}

void fm_amg_free(FmAmg *amg) {
  for (int l = 0; l < FM_AMG_MAX_LEVELS; l++) {
    fm_csr_scalar_free(&amg->lev[l].A);
    fm_csr_scalar_free(&amg->lev[l].P);
    fm_csr_scalar_free(&amg->lev[l].R);
    free(amg->lev[l].dinv);
    amg->lev[l].dinv = NULL;
    for (int k = 0; k < 4; k++) {
      free(amg->w[l][k]);
      amg->w[l][k] = NULL;
    }
  }
  free(amg->chol);
  amg->chol = NULL;
  amg->nlev = 0;
}

double fm_amg_complexity(const FmAmg *amg) {
  double s = 0.0;
  for (int l = 0; l < amg->nlev; l++)
    s += (double)amg->lev[l].A.ptr[amg->lev[l].n];
  return s / (double)amg->lev[0].A.ptr[amg->lev[0].n];
}

void fm_amg_describe(const FmAmg *amg, char *buf, size_t size) {
  int o = snprintf(buf, size, "smoothed aggregation: %d levels (", amg->nlev);
  for (int l = 0; l < amg->nlev && o > 0 && (size_t)o < size; l++)
    o += snprintf(buf + o, size - (size_t)o, "%s%d", l ? " -> " : "",
                  amg->lev[l].n);
  if (o > 0 && (size_t)o < size)
    snprintf(buf + o, size - (size_t)o,
             " rows), operator complexity %.2f, setup %.2f s (Galerkin "
             "products on the %s)",
             fm_amg_complexity(amg), amg->setup_seconds,
             amg->galerkin ? "GPU" : "host");
}

void fm_amg_shape(const FmAmg *amg, FmAmgShape *s) {
  memset(s, 0, sizeof *s);
  s->nlev = amg->nlev;
  s->degree = amg->opt.cheb_degree;
  for (int l = 0; l < amg->nlev; l++) {
    s->n[l] = amg->lev[l].n;
    s->emax[l] = amg->lev[l].emax;
  }
}

/* ------------------------------------------------------------------------ */
/* the V-cycle                                                              */

/* Chebyshev smoothing of A x = b on level l (Saad, Iterative Methods for
 * Sparse Linear Systems, 2nd ed., algorithm 12.1, preconditioned by D) on
 * [emax/11, emax], i.e. [0.1, 1.1] times the estimated lmax as in PETSc's
 * KSPCHEBYSHEV defaults.  x_zero: x = 0 on entry.  want_r: leave
 * r = b - A x. */
static int chebyshev(const FmAmgShape *s, const FmAmgOps *o, int l,
                     const double *b, double *x, int x_zero, int want_r) {
  const double hi = s->emax[l], lo = hi / 11.0;
  const double theta = 0.5 * (hi + lo), delta = 0.5 * (hi - lo);
  const double sigma = theta / delta;
  double rho = 1.0 / sigma;
  double *r = o->r[l], *d = o->d[l];
  FM_CALL(o->copy(o->ctx, s->n[l], b, r));
  if (!x_zero)
    FM_CALL(o->spmv(o->ctx, l, FM_AMG_A, -1.0, x, 1.0, r));
  FM_CALL(o->cheb(o->ctx, l, 0.0, 1.0 / theta, r, d, x, x_zero));
  for (int k = 1; k < s->degree; k++) {
    FM_CALL(o->spmv(o->ctx, l, FM_AMG_A, -1.0, d, 1.0, r));
    const double rho1 = 1.0 / (2.0 * sigma - rho);
    FM_CALL(o->cheb(o->ctx, l, rho1 * rho, 2.0 * rho1 / delta, r, d, x, 0));
    rho = rho1;
  }
  return want_r ? o->spmv(o->ctx, l, FM_AMG_A, -1.0, d, 1.0, r) : 0;
}

static int vcycle(const FmAmgShape *s, const FmAmgOps *o, int l,
                  const double *b, double *x) {
  if (l == s->nlev - 1)
    return o->coarse(o->ctx, b, x);
  FM_CALL(chebyshev(s, o, l, b, x, 1, 1));
  FM_CALL(o->spmv(o->ctx, l, FM_AMG_R, 1.0, o->r[l], 0.0, o->b[l + 1]));
  FM_CALL(vcycle(s, o, l + 1, o->b[l + 1], o->x[l + 1]));
  FM_CALL(o->spmv(o->ctx, l, FM_AMG_P, 1.0, o->x[l + 1], 1.0, x));
  return chebyshev(s, o, l, b, x, 0, 0);
}

int fm_amg_cycle(const FmAmgShape *s, const FmAmgOps *ops, const double *b,
                 double *x) {
  return vcycle(s, ops, 0, b, x);
}

/* ---- host operations ---- */

static int host_spmv(void *ctx, int l, int which, double alpha, const double *x,
                     double beta, double *y) {
  const FmAmg *amg = ctx;
  const FmAmgLevel *L = &amg->lev[l];
  const FmCsr *M = which == FM_AMG_A   ? &L->A
                   : which == FM_AMG_P ? &L->P
                                       : &L->R;
  fm_csr_scalar_spmv(M, alpha, x, beta, y);
  return 0;
}

static int host_copy(void *ctx, int n, const double *x, double *y) {
  (void)ctx;
  memcpy(y, x, (size_t)n * sizeof(double));
  return 0;
}

static int host_cheb(void *ctx, int l, double c1, double c2, const double *r,
                     double *d, double *x, int x_zero) {
  const FmAmg *amg = ctx;
  const FmAmgLevel *L = &amg->lev[l];
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (L->n > 20000)
#endif
  for (int i = 0; i < L->n; i++) {
    const double di = (c1 == 0.0 ? 0.0 : c1 * d[i]) + c2 * L->dinv[i] * r[i];
    d[i] = di;
    x[i] = x_zero ? di : x[i] + di;
  }
  return 0;
}

static int host_coarse(void *ctx, const double *b, double *x) {
  const FmAmg *amg = ctx;
  chol_solve(amg->chol, amg->lev[amg->nlev - 1].n, b, x);
  return 0;
}

int fm_amg_apply(FmAmg *amg, const double *b, double *x) {
  FmAmgOps o;
  memset(&o, 0, sizeof o);
  o.ctx = amg;
  o.spmv = host_spmv;
  o.copy = host_copy;
  o.cheb = host_cheb;
  o.coarse = host_coarse;
  for (int l = 0; l < amg->nlev; l++) {
    o.b[l] = amg->w[l][0];
    o.x[l] = amg->w[l][1];
    o.r[l] = amg->w[l][2];
    o.d[l] = amg->w[l][3];
  }
  FmAmgShape s;
  fm_amg_shape(amg, &s);
  return fm_amg_cycle(&s, &o, b, x);
}
