/* Smoothed-aggregation AMG: setup and the V-cycle (amg.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amg.h"
#include "amg_steps.h"
#include "error.h"

#define NB FM_AMG_NB /* near-null space: 3 translations, 3 rotations */

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
  o->single = 0;
  o->galerkin = FM_AMG_GALERKIN_BLOCKS;
  o->galerkin_chunks = 0;
  o->transpose_r = 0;
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
  const char *p = getenv("FEMORA_AMG_PRECISION");
  if (p && *p) {
    if (strcmp(p, "single") && strcmp(p, "double"))
      return fm_error("FEMORA_AMG_PRECISION=%s: must be double or single", p);
    o->single = !strcmp(p, "single");
  }
  d = o->galerkin_chunks;
  FM_CALL(env_number("FEMORA_AMG_GALERKIN_CHUNKS", 0, 1e6, 1, &d));
  o->galerkin_chunks = (int)d;
  const char *rs = getenv("FEMORA_AMG_RESTRICT");
  if (rs && *rs) {
    if (strcmp(rs, "stored") && strcmp(rs, "transpose"))
      return fm_error("FEMORA_AMG_RESTRICT=%s: must be stored or transpose",
                      rs);
    o->transpose_r = !strcmp(rs, "transpose");
  }
  const char *g = getenv("FEMORA_AMG_GALERKIN");
  if (g && *g) {
    if (strcmp(g, "blocks") && strcmp(g, "spgemm"))
      return fm_error("FEMORA_AMG_GALERKIN=%s: must be blocks or spgemm", g);
    o->galerkin =
        !strcmp(g, "blocks") ? FM_AMG_GALERKIN_BLOCKS : FM_AMG_GALERKIN_SPGEMM;
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

double fm_amg_lanczos_max(int k, const double *alpha, const double *beta) {
  enum { MAXK = 64 };
  if (k <= 0)
    return 1.0;
  if (k > MAXK)
    k = MAXK;
  double ta[MAXK], tb[MAXK];
  for (int j = 0; j < k; j++) {
    ta[j] = 1.0 / alpha[j] + (j > 0 ? beta[j - 1] / alpha[j - 1] : 0.0);
    tb[j] = sqrt(fabs(beta[j])) / alpha[j];
  }
  return tridiag_max_eig(k, ta, tb);
}

/* add the time since *t to phase k; *t = now */
static void lap(FmAmg *amg, int k, double *t) {
  const double t1 = now_seconds();
  amg->t[k] += t1 - *t;
  *t = t1;
}

/* Memory of one level's setup where it runs, released together. */
typedef struct {
  const FmAmgDev *dev;
  int level, n;
  void *p[40];
} Pool;

static void *pool_alloc(Pool *pool, size_t bytes, const char *what) {
  if (pool->n >= (int)(sizeof pool->p / sizeof pool->p[0])) {
    fm_error("amg: internal: too many setup arrays (%s)", what);
    return NULL;
  }
  void *p = pool->dev->alloc(pool->dev->ctx, bytes > 0 ? bytes : 8, pool->level,
                             what);
  if (p)
    pool->p[pool->n++] = p;
  return p;
}

static void pool_release(Pool *pool) {
  for (int k = 0; k < pool->n; k++)
    pool->dev->release(pool->dev->ctx, pool->p[k]);
  pool->n = 0;
}

/* Release p, one of the pool's, now. */
static void pool_free(Pool *pool, void *p) {
  for (int k = 0; p && k < pool->n; k++)
    if (pool->p[k] == p) {
      pool->dev->release(pool->dev->ctx, p);
      pool->p[k] = pool->p[--pool->n];
      return;
    }
}

/* Take p out of the pool (it outlives the level's setup). */
static void pool_keep(Pool *pool, const void *p) {
  for (int k = 0; k < pool->n; k++)
    if (pool->p[k] == p) {
      pool->p[k] = pool->p[--pool->n];
      return;
    }
}

/* exclusive prefix sum of v[0..n) in place, *total = v[n] (host) */
static int scan_total(const FmAmgDev *dev, int64_t n, int64_t *v,
                      int64_t *total) {
  FM_CALL(dev->scan(dev->ctx, n, v));
  return dev->get(dev->ctx, total, v + n, sizeof *total);
}

#define RUN(step, count) FM_CALL(dev->run(dev->ctx, (step), (count), &a))

/* The first index i with flag set, from the flags' exclusive scan v (at
 * least one set): a binary search reading single values. */
static int first_flagged(const FmAmgDev *dev, int n, const int64_t *v,
                         int *first) {
  int lo = 0, hi = n - 1;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    int64_t c;
    FM_CALL(dev->get(dev->ctx, &c, v + mid + 1, sizeof c));
    if (c > 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  *first = lo;
  return 0;
}

/* *out = the sum of a->prod[0..n): block sums (a step), then the blocks'
 * in order on the host (bs: the device's, hs: the host's nb values), so
 * that it rounds the same wherever the setup runs. */
static int ordered_sum(const FmAmgDev *dev, FmAmgArgs *a, int64_t nb,
                       double *bs, double *hs, double *out) {
  a->bsum = bs;
  FM_CALL(dev->run(dev->ctx, FM_AMG_S_BLOCK_SUM, nb, a));
  FM_CALL(dev->get(dev->ctx, hs, bs, (size_t)nb * sizeof(double)));
  double t = 0.0;
  for (int64_t b = 0; b < nb; b++)
    t += hs[b];
  *out = t;
  return 0;
}

/* Diagonal inverse and lmax of D^-1 A on level l: FM_AMG_LANCZOS_STEPS
 * steps of Jacobi-preconditioned CG from a fixed pseudo-random vector (the
 * Lanczos tridiagonal of its coefficients): a slight underestimate, hence
 * the 1.1 in the Chebyshev interval. */
static int smoother_setup(FmAmg *amg, int l, Pool *pool) {
  enum { STEPS = FM_AMG_LANCZOS_STEPS };
  const FmAmgDev *dev = &amg->dev;
  FmAmgLevel *L = &amg->lev[l];
  const int n = L->n;
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  a.n = n;
  a.Aptr = L->Av.ptr;
  a.Acol = L->Av.col;
  a.Aval = L->Av.val;
  a.Abs = L->Av.bs;
  L->dinv =
      dev->alloc(dev->ctx, ((size_t)n + 1) * sizeof(double), l, "diagonal");
  a.dinv = L->dinv;
  a.cnt = pool_alloc(pool, ((size_t)n + 1) * sizeof(int64_t), "diagonal");
  if (!a.dinv || !a.cnt)
    return 1;
  RUN(FM_AMG_S_DINV, n);
  int64_t bad;
  FM_CALL(scan_total(dev, n, a.cnt, &bad));
  if (bad > 0) {
    int row;
    FM_CALL(first_flagged(dev, n, a.cnt, &row));
    return fm_error("amg: level %d: row %d has a diagonal that is not "
                    "positive (%lld such rows; the operator must be "
                    "symmetric positive definite)",
                    l, row, (long long)bad);
  }
  double *v[5];
  for (int k = 0; k < 5; k++)
    if (!(v[k] = pool_alloc(pool, ((size_t)n + 1) * sizeof(double),
                            "eigenvalue estimate")))
      return 1;
  a.r = v[0];
  a.z = v[1];
  a.p = v[2];
  a.q = v[3];
  a.prod = v[4];
  const int64_t nb = (n + FM_AMG_SUM_BLOCK - 1) / FM_AMG_SUM_BLOCK;
  double *bs = pool_alloc(pool, ((size_t)nb + 1) * sizeof(double),
                          "eigenvalue estimate");
  double *hs = fm_calloc((size_t)nb + 1, sizeof(double));
  if (!bs || !hs) {
    free(hs);
    return 1;
  }
  double alpha[STEPS], beta[STEPS], rz = 0.0;
  int k = 0, ierr = dev->run(dev->ctx, FM_AMG_S_LZ_INIT, n, &a) ||
                    ordered_sum(dev, &a, nb, bs, hs, &rz);
  for (; !ierr && k < STEPS && rz > 0; k++) {
    double pq = 0.0, rz1 = 0.0;
    ierr = dev->run(dev->ctx, FM_AMG_S_LZ_SPMV, n, &a) ||
           dev->run(dev->ctx, FM_AMG_S_LZ_PQ, n, &a) ||
           ordered_sum(dev, &a, nb, bs, hs, &pq);
    if (ierr || !(pq > 0))
      break;
    alpha[k] = a.alpha = rz / pq;
    ierr = dev->run(dev->ctx, FM_AMG_S_LZ_UPDATE, n, &a) ||
           ordered_sum(dev, &a, nb, bs, hs, &rz1);
    if (ierr)
      break;
    beta[k] = a.beta = rz1 / rz;
    rz = rz1;
    ierr = dev->run(dev->ctx, FM_AMG_S_LZ_DIR, n, &a);
  }
  free(hs);
  FM_CALL(ierr);
  const double lmax = fm_amg_lanczos_max(k, alpha, beta);
  if (!(lmax > 0) || !isfinite(lmax))
    return fm_error("amg: level %d: eigenvalue estimate failed (%g)", l, lmax);
  L->emax = 1.1 * lmax;
  return 0;
}

/* The strength graph of the level's nodes (node_ptr: their DOFs; skip:
 * nodes out of every aggregate, may be NULL): I and J linked where a block
 * A_IJ has a non-zero entry and, with theta > 0, ||A_IJ||_F^2 > theta^2
 * ||A_II||_F ||A_JJ||_F. */
static int strength_graph(FmAmg *amg, int l, FmAmgArgs *pa, Pool *pool) {
  const FmAmgDev *dev = &amg->dev;
  FmAmgArgs a = *pa;
  const int n = a.n, nn = a.nnodes;
  int64_t *gptr =
      pool_alloc(pool, ((size_t)nn + 1) * sizeof(int64_t), "strength graph");
  a.node_of = pool_alloc(pool, ((size_t)n + 1) * sizeof(int), "node numbers");
  a.dn = pool_alloc(pool, ((size_t)nn + 1) * sizeof(double), "block norms");
  if (!gptr || !a.node_of || !a.dn)
    return 1;
  int64_t unsorted;
  RUN(FM_AMG_S_SORTED, n);
  FM_CALL(scan_total(dev, n, a.cnt, &unsorted));
  if (unsorted > 0)
    return fm_error("amg: level %d: %lld rows of the operator have unsorted "
                    "or repeated columns",
                    l, (long long)unsorted);
  RUN(FM_AMG_S_NODE_OF, nn);
  RUN(FM_AMG_S_DIAG_NORM, nn);
  a.cnt = gptr;
  RUN(FM_AMG_S_LINK_COUNT, nn);
  int64_t links;
  FM_CALL(scan_total(dev, nn, gptr, &links));
  a.gptr = gptr;
  a.adj = pool_alloc(pool, ((size_t)links + 1) * sizeof(int), "strength graph");
  a.w =
      pool_alloc(pool, ((size_t)links + 1) * sizeof(double), "strength graph");
  if (!a.adj || !a.w)
    return 1;
  RUN(FM_AMG_S_LINK_FILL, nn);
  a.cnt = pa->cnt;
  *pa = a;
  return 0;
}

/* MIS(2) aggregation (amg_steps.h): the roots, their neighbours, the
 * neighbours' neighbours, and singletons for anything left (a link seen
 * from one side only).  a->agg, returns the count in *na. */
static int aggregate(FmAmg *amg, int l, FmAmgArgs *pa, Pool *pool, int *na) {
  const FmAmgDev *dev = &amg->dev;
  FmAmgArgs a = *pa;
  const int nn = a.nnodes;
  a.t = pool_alloc(pool, ((size_t)nn + 1) * sizeof(uint64_t), "aggregation");
  a.m1 = pool_alloc(pool, ((size_t)nn + 1) * sizeof(uint64_t), "aggregation");
  a.m2 = pool_alloc(pool, ((size_t)nn + 1) * sizeof(uint64_t), "aggregation");
  a.agg1 = pool_alloc(pool, ((size_t)nn + 1) * sizeof(int), "aggregation");
  a.agg = pool_alloc(pool, ((size_t)nn + 1) * sizeof(int), "aggregation");
  if (!a.t || !a.m1 || !a.m2 || !a.agg1 || !a.agg)
    return 1;
  RUN(FM_AMG_S_MIS_INIT, nn);
  /* every round decides at least the undecided node of the largest tuple */
  int64_t undecided = 1;
  for (int round = 0; undecided > 0; round++) {
    if (round > nn)
      return fm_error("amg: level %d: the independent set did not settle", l);
    RUN(FM_AMG_S_MIS_MAX1, nn);
    RUN(FM_AMG_S_MIS_MAX2, nn);
    RUN(FM_AMG_S_MIS_UPDATE, nn);
    FM_CALL(scan_total(dev, nn, a.cnt, &undecided));
  }
  int64_t roots, left;
  RUN(FM_AMG_S_ROOT_FLAG, nn);
  FM_CALL(scan_total(dev, nn, a.cnt, &roots));
  RUN(FM_AMG_S_ATTACH1, nn);
  RUN(FM_AMG_S_ATTACH2, nn);
  a.na = (int)roots;
  RUN(FM_AMG_S_LEFT_FLAG, nn);
  FM_CALL(scan_total(dev, nn, a.cnt, &left));
  RUN(FM_AMG_S_LEFT_ID, nn);
  a.na += (int)left;
  *na = a.na;
  *pa = a;
  return 0;
}

/* Tentative prolongator Pt (a view into ptpool's memory) from the
 * aggregates and the near-null space B (work arrays in pool); the coarse
 * node offsets *cptr (na + 1), near-null space *Bc (nc x NB) and the
 * aggregates' positions *posc (na, a member's) outlive both. */
static int tentative(FmAmg *amg, FmAmgArgs *pa, Pool *pool, Pool *ptpool,
                     FmAmgCsr *Pt, int64_t **cptr, double **Bc, double **posc) {
  const FmAmgDev *dev = &amg->dev;
  FmAmgArgs a = *pa;
  const int nn = a.nnodes, n = a.n, na = a.na;
  a.key = pool_alloc(pool, ((size_t)nn + 1) * sizeof(int), "aggregates");
  int *perm = pool_alloc(pool, ((size_t)nn + 1) * sizeof(int), "aggregates");
  a.start = pool_alloc(pool, ((size_t)na + 1) * sizeof(int64_t), "aggregates");
  a.Q = pool_alloc(pool, ((size_t)n * NB + 1) * sizeof(double), "QR");
  a.Rt = pool_alloc(pool, ((size_t)na * NB * NB + 1) * sizeof(double), "QR");
  a.kof = pool_alloc(pool, ((size_t)na + 1) * sizeof(int64_t), "QR");
  int64_t *ptptr =
      pool_alloc(ptpool, ((size_t)n + 1) * sizeof(int64_t), "P_tent");
  if (!a.key || !perm || !a.start || !a.Q || !a.Rt || !a.kof || !ptptr)
    return 1;
  RUN(FM_AMG_S_AGG_KEY, nn);
  FM_CALL(dev->order(dev->ctx, nn, na, a.key, perm));
  a.perm = perm;
  RUN(FM_AMG_S_AGG_START, nn);
  RUN(FM_AMG_S_QR, na);
  int64_t nc;
  FM_CALL(scan_total(dev, na, a.kof, &nc));
  a.cptr = a.kof;
  a.cnt = ptptr;
  RUN(FM_AMG_S_PT_COUNT, n);
  int64_t nnz;
  FM_CALL(scan_total(dev, n, ptptr, &nnz));
  if (nc > INT32_MAX || nnz > INT32_MAX)
    return fm_error("amg: level %d: tentative prolongator too large (%lld "
                    "columns, %lld nonzeros)",
                    pool->level, (long long)nc, (long long)nnz);
  a.Ptptr = ptptr;
  a.Ptcol = pool_alloc(ptpool, ((size_t)nnz + 1) * sizeof(int), "P_tent");
  a.Ptval = pool_alloc(ptpool, ((size_t)nnz + 1) * sizeof(double), "P_tent");
  a.Bc = pool_alloc(pool, ((size_t)nc * NB + 1) * sizeof(double),
                    "coarse near-null space");
  a.posc = pool_alloc(pool, ((size_t)na + 1) * sizeof(double), "positions");
  if (!a.Ptcol || !a.Ptval || !a.Bc || !a.posc)
    return 1;
  RUN(FM_AMG_S_PT_FILL, n);
  RUN(FM_AMG_S_BC_FILL, na);
  RUN(FM_AMG_S_AGG_POS, na);
  Pt->rows = n;
  Pt->cols = (int)nc;
  Pt->ptr = ptptr;
  Pt->col = a.Ptcol;
  Pt->val = a.Ptval;
  pool_keep(pool, a.kof);
  pool_keep(pool, a.Bc);
  pool_keep(pool, a.posc);
  *cptr = a.kof;
  *Bc = a.Bc;
  *posc = a.posc;
  *pa = a;
  return 0;
}

/* ---- the Galerkin product by node blocks ----
 *
 * P = (I - w D^-1 A) P_tent, R = P^T and A_c = R (A P) with the patterns
 * worked out on the nodes (DOFs of a node, or of an aggregate, share
 * their rows' pattern in blocks): block (I, g) of P is there when a
 * neighbour of node I lies in aggregate g, and so on.  Each scalar row is
 * then filled in place (its columns known and sorted beforehand): no
 * sorting, no accumulator, no buffers beyond the results, and the same
 * steps on the host and the GPU (amg_steps.h), summed in the order of the
 * scalar products.  Rows of prescribed DOFs carry their node's blocks as
 * explicit zeros. */

typedef struct {
  int64_t *ptr; /* nodes + 1 */
  int *col;     /* column groups, sorted within a node */
  int64_t n;    /* entries */
  int *off;     /* offset of each block within a row (< 2^31: a row's
                   columns are ints) */
  int64_t *wid; /* width of each node's rows */
} BlockPat;

/* Z(I) = the union of Y(J) over J in X(I), I < nx (X with nxe entries;
 * xcol NULL: X(I) = the indices xptr[I]..xptr[I+1]). */
static int block_union(const FmAmgDev *dev, Pool *pool, int nx,
                       const int64_t *xptr, const int *xcol, int64_t nxe,
                       const int64_t *yptr, const int *ycol, const int *ymap,
                       BlockPat *Z) {
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  memset(Z, 0, sizeof *Z);
  a.xptr = xptr;
  a.xcol = xcol;
  a.yptr = yptr;
  a.ycol = ycol;
  a.ymap = ymap;
  a.ucur = pool_alloc(pool, ((size_t)nxe + 1) * sizeof(int64_t),
                      "Galerkin patterns");
  Z->ptr =
      pool_alloc(pool, ((size_t)nx + 1) * sizeof(int64_t), "Galerkin patterns");
  if (!a.ucur || !Z->ptr)
    return 1;
  a.cnt = Z->ptr;
  FM_CALL(dev->run(dev->ctx, FM_AMG_S_UNION_COUNT, nx, &a));
  FM_CALL(scan_total(dev, nx, Z->ptr, &Z->n));
  if (Z->n > INT32_MAX)
    return fm_error("amg: level %d: a block pattern of %lld entries is too "
                    "large",
                    pool->level, (long long)Z->n);
  Z->col =
      pool_alloc(pool, ((size_t)Z->n + 1) * sizeof(int), "Galerkin patterns");
  if (!Z->col)
    return 1;
  a.zptr = Z->ptr;
  a.zcol = Z->col;
  FM_CALL(dev->run(dev->ctx, FM_AMG_S_UNION_FILL, nx, &a));
  pool_free(pool, a.ucur);
  return 0;
}

/* Release Z's arrays (the pool's) now. */
static void pat_free(Pool *pool, BlockPat *Z) {
  pool_free(pool, Z->ptr);
  pool_free(pool, Z->col);
  pool_free(pool, Z->off);
  pool_free(pool, Z->wid);
  memset(Z, 0, sizeof *Z);
}

/* Z's block offsets and row widths, the column groups starting at gofs. */
static int block_offsets(const FmAmgDev *dev, Pool *pool, int nz,
                         const int64_t *gofs, BlockPat *Z) {
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  Z->off =
      pool_alloc(pool, ((size_t)Z->n + 1) * sizeof(int), "Galerkin patterns");
  Z->wid =
      pool_alloc(pool, ((size_t)nz + 1) * sizeof(int64_t), "Galerkin patterns");
  if (!Z->off || !Z->wid)
    return 1;
  a.zptr = Z->ptr;
  a.zcol = Z->col;
  a.zoff = Z->off;
  a.wid = Z->wid;
  a.gofs = gofs;
  return dev->run(dev->ctx, FM_AMG_S_BLOCK_OFF, nz, &a);
}

/* A scalar CSR of rows x cols holding the blocks Z(rnode[i]) in full:
 * offsets and columns filled, values zero (arrays in out); with chunk_of,
 * only the rows whose rnode is of the chunk (the others empty). */
static int block_csr_of(const FmAmgDev *dev, Pool *out, int rows, int cols,
                        const int *rnode, const BlockPat *Z,
                        const int64_t *gofs, const char *what, int *chunk_of,
                        int chunk, FmAmgCsr *C) {
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  memset(C, 0, sizeof *C);
  a.chunk_of = chunk_of;
  a.chunk = chunk;
  int64_t nnz;
  int64_t *ptr = pool_alloc(out, ((size_t)rows + 1) * sizeof(int64_t), what);
  if (!ptr)
    return 1;
  a.cnt = ptr;
  a.wid = Z->wid;
  a.rnode = rnode;
  FM_CALL(dev->run(dev->ctx, FM_AMG_S_ROW_COUNT, rows, &a));
  FM_CALL(scan_total(dev, rows, ptr, &nnz));
  int *col = pool_alloc(out, ((size_t)nnz + 1) * sizeof(int), what);
  double *val = pool_alloc(out, ((size_t)nnz + 1) * sizeof(double), what);
  if (!col || !val)
    return 1;
  a.Cptr = ptr;
  a.Ccol = col;
  a.zptr = Z->ptr;
  a.zcol = Z->col;
  a.gofs = gofs;
  FM_CALL(dev->run(dev->ctx, FM_AMG_S_ROW_COLS, rows, &a));
  C->rows = rows;
  C->cols = cols;
  C->ptr = ptr;
  C->col = col;
  C->val = val;
  return 0;
}

static int block_csr(const FmAmgDev *dev, Pool *out, int rows, int cols,
                     const int *rnode, const BlockPat *Z, const int64_t *gofs,
                     const char *what, FmAmgCsr *C) {
  return block_csr_of(dev, out, rows, cols, rnode, Z, gofs, what, NULL, 0, C);
}

/* The step (BLOCK_PRODUCT or R_FILL) over C's nodes, with its check that
 * every term found its block. */
static int block_fill(const FmAmgDev *dev, Pool *pool, int step, FmAmgArgs *a,
                      int rows, const char *what) {
  a->cnt =
      pool_alloc(pool, ((size_t)rows + 1) * sizeof(int64_t), "Galerkin check");
  if (!a->cnt)
    return 1;
  FM_CALL(dev->run(dev->ctx, step, rows, a));
  int64_t bad;
  FM_CALL(scan_total(dev, rows, a->cnt, &bad));
  if (bad > 0)
    return fm_error("amg: level %d: internal: %s: %lld rows have terms "
                    "outside their block pattern",
                    pool->level, what, (long long)bad);
  pool_free(pool, a->cnt);
  return 0;
}

/* C = L M (C's blocks Z over nz nodes whose rows start at rofs; column
 * groups gofs, gof; lmap: the node of each of L's columns, over which M's
 * blocks are MB); with s, C = P_tent + diag(s) L P_tent (M = P_tent). */
static int block_product(const FmAmgDev *dev, Pool *pool, int nz,
                         const int64_t *rofs, const BlockPat *Z,
                         const int64_t *gofs, const int *gof, const FmAmgCsr *L,
                         const int *lmap, const FmAmgCsr *M, const BlockPat *MB,
                         const double *s, const FmAmgCsr *C, const char *what,
                         const FmAmgArgs *chunk) {
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  if (chunk) { /* a chunk: crow, or chunk_of and mcrow, mofs */
    a.chunk_of = chunk->chunk_of;
    a.chunk = chunk->chunk;
    a.crow = chunk->crow;
    a.mcrow = chunk->mcrow;
    a.mofs = chunk->mofs;
  }
  a.rofs = rofs;
  a.zptr = Z->ptr;
  a.zcol = Z->col;
  a.zoff = Z->off;
  a.gofs = gofs;
  a.gof = gof;
  a.Lptr = L->ptr;
  a.Lcol = L->col;
  a.Lval = L->val;
  a.Lbs = L->bs;
  a.lmap = lmap;
  a.Mptr = M->ptr;
  a.Mcol = M->col;
  a.Mval = M->val;
  a.mbptr = MB->ptr;
  a.mbcol = MB->col;
  a.mboff = MB->off;
  if (s) {
    a.s = (double *)s;
    a.Ptptr = M->ptr;
    a.Ptcol = (int *)M->col;
    a.Ptval = (double *)M->val;
  }
  a.Cptr = C->ptr;
  a.Cval = (double *)C->val;
  return block_fill(dev, pool, FM_AMG_S_BLOCK_PRODUCT, &a, nz, what);
}

/* The rows of R = P^T (gathered from P's values: RB, R's blocks, P's
 * blocks PB) into out: all of them, or with chunk_of those of the chunk's
 * aggregates (the others empty). */
static int r_form(const FmAmgDev *dev, Pool *out, Pool *pool, int na,
                  const int64_t *node_ptr, const int64_t *cptr,
                  const int *cnode_of, const BlockPat *RB, const BlockPat *PB,
                  const FmAmgCsr *P, int *chunk_of, int chunk, FmAmgCsr *R) {
  const int n = P->rows, nc = P->cols;
  FM_CALL(block_csr_of(dev, out, nc, n, cnode_of, RB, node_ptr, "R = P^T",
                       chunk_of, chunk, R));
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  a.zptr = RB->ptr;
  a.zcol = RB->col;
  a.zoff = RB->off;
  a.xptr = PB->ptr;
  a.xcol = PB->col;
  a.xoff = PB->off;
  a.node_ptr = node_ptr;
  a.cptr = cptr;
  a.Mptr = P->ptr;
  a.Mval = P->val;
  a.Cptr = R->ptr;
  a.Cval = (double *)R->val;
  a.chunk_of = chunk_of;
  a.chunk = chunk;
  return block_fill(dev, pool, FM_AMG_S_R_FILL, &a, na, "R = P^T");
}

/* A_c = R (A P) by chunks of aggregates: for each chunk, the rows of A P
 * that its rows of R reach (the nodes whose blocks of P meet the chunk),
 * then its rows of A_c; so A P is never held whole.  Chunks are slabs of
 * aggregates ranked by position along the model's longest axis (equal
 * counts), so that their rows of A P overlap little, sized to keep a
 * chunk's part of A P under a quarter of the level's operator (or
 * opt.galerkin_chunks).  The chunk's rows of R = P^T too are formed for
 * it alone (R is not held whole beside A P).  The values, and the order in
 * which their terms are summed, are those of the whole product. */
static int galerkin_chunks(FmAmg *amg, int l, Pool *pool, const FmAmgArgs *pa,
                           const int *cnode_of, const BlockPat *PB,
                           const BlockPat *APB, const BlockPat *AcB,
                           const BlockPat *RB, const FmAmgCsr *P,
                           const FmAmgCsr *Ac, Pool *out, FmAmgCsr *Rwhole) {
  const FmAmgDev *dev = &amg->dev;
  const int nn = pa->nnodes, na = pa->na, nc = P->cols;
  const int64_t *node_ptr = pa->node_ptr, *cptr = pa->cptr;
  const FmAmgCsr A = amg->lev[l].Av;
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  int64_t *crow =
      pool_alloc(pool, ((size_t)nn + 1) * sizeof(int64_t), "A P chunks");
  int64_t *nzo =
      pool_alloc(pool, ((size_t)nn + 1) * sizeof(int64_t), "A P chunks");
  a.chunk_of = pool_alloc(pool, ((size_t)na + 1) * sizeof(int), "A P chunks");
  if (!crow || !nzo || !a.chunk_of)
    return 1;
  a.xptr = PB->ptr;
  a.xcol = PB->col;
  a.node_ptr = node_ptr;
  a.wid = APB->wid;
  a.cnt = crow;
  a.cnt2 = nzo;
  /* A P whole (every aggregate in chunk 0): its size decides the chunks */
  int64_t rows, nnz, all = 0;
  FM_CALL(dev->run(dev->ctx, FM_AMG_S_CHUNK_ROWS, nn, &a));
  FM_CALL(scan_total(dev, nn, nzo, &nnz));
  amg->lev[l].apwhole = nnz;
  const int64_t quarter = amg->lev[l].nnz / 4 > 0 ? amg->lev[l].nnz / 4 : 1;
  int64_t K = amg->opt.galerkin_chunks > 0 ? amg->opt.galerkin_chunks
                                           : (nnz + quarter - 1) / quarter;
  K = K < 1 ? 1 : K > na ? na : K;
  amg->lev[l].gchunks = (int)K;
  if (K > 1) { /* slabs: the aggregates ordered by position */
    FmAmgArgs b;
    memset(&b, 0, sizeof b);
    b.posc = pa->posc;
    b.lo = amg->pos_lo;
    b.hi = amg->pos_hi;
    b.key = pool_alloc(pool, ((size_t)na + 1) * sizeof(int), "A P chunks");
    int *perm = pool_alloc(pool, ((size_t)na + 1) * sizeof(int), "A P chunks");
    if (!b.key || !perm)
      return 1;
    FM_CALL(dev->run(dev->ctx, FM_AMG_S_POS_KEY, na, &b));
    FM_CALL(dev->order(dev->ctx, na, 1023, b.key, perm));
    b.perm = perm;
    b.chunk_of = a.chunk_of;
    b.nchunks = (int)K;
    b.nnodes = na;
    FM_CALL(dev->run(dev->ctx, FM_AMG_S_CHUNK_OF, na, &b));
    pool_free(pool, b.key);
    pool_free(pool, perm);
  }
  for (int c = 0; c < K; c++) {
    a.chunk = c;
    a.cnt = crow;
    a.cnt2 = nzo;
    FM_CALL(dev->run(dev->ctx, FM_AMG_S_CHUNK_ROWS, nn, &a));
    FM_CALL(scan_total(dev, nn, crow, &rows));
    FM_CALL(scan_total(dev, nn, nzo, &nnz));
    all += nnz;
    if (rows > INT32_MAX)
      return fm_error("amg: level %d: a chunk of A P with %lld rows", l,
                      (long long)rows);
    Pool ch = {dev, l, 0, {0}};
    a.optr = pool_alloc(&ch, ((size_t)rows + 1) * sizeof(int64_t), "A P");
    a.onode = pool_alloc(&ch, ((size_t)rows + 1) * sizeof(int), "A P");
    int *col = pool_alloc(&ch, ((size_t)nnz + 1) * sizeof(int), "A P");
    double *val = pool_alloc(&ch, ((size_t)nnz + 1) * sizeof(double), "A P");
    int ierr = !a.optr || !a.onode || !col || !val;
    a.crow = crow;
    if (!ierr)
      ierr = dev->run(dev->ctx, FM_AMG_S_CHUNK_PTR, nn, &a) ||
             dev->put(dev->ctx, a.optr + rows, &nnz, sizeof nnz);
    FmAmgArgs b;
    memset(&b, 0, sizeof b);
    b.rnode = a.onode;
    b.Cptr = a.optr;
    b.Ccol = col;
    b.zptr = APB->ptr;
    b.zcol = APB->col;
    b.gofs = cptr;
    if (!ierr)
      ierr = dev->run(dev->ctx, FM_AMG_S_ROW_COLS, rows, &b);
    const FmAmgCsr APc = {(int)rows, nc, a.optr, col, val, 1};
    /* the chunk's rows of R, of A P (other nodes skipped), then of A_c;
     * one chunk: R whole, kept for the cycle where Rwhole asks for it */
    FmAmgCsr Rc;
    memset(&Rc, 0, sizeof Rc);
    const int keep = K == 1 && Rwhole;
    if (!ierr)
      ierr = r_form(dev, keep ? out : &ch, &ch, na, node_ptr, cptr, cnode_of,
                    RB, PB, P, a.chunk_of, c, &Rc);
    if (!ierr && keep)
      *Rwhole = Rc;
    FmAmgArgs cha;
    memset(&cha, 0, sizeof cha);
    cha.crow = crow;
    if (!ierr)
      ierr = block_product(dev, &ch, nn, node_ptr, APB, cptr, cnode_of, &A,
                           pa->node_of, P, PB, NULL, &APc, "A P", &cha);
    memset(&cha, 0, sizeof cha);
    cha.chunk_of = a.chunk_of;
    cha.chunk = c;
    cha.mcrow = crow;
    cha.mofs = node_ptr;
    if (!ierr)
      ierr = block_product(dev, &ch, na, cptr, AcB, cptr, cnode_of, &Rc,
                           pa->node_of, &APc, APB, NULL, Ac, "R A P", &cha);
    pool_release(&ch);
    FM_CALL(ierr);
  }
  amg->lev[l].apnnz = all;
  return 0;
}

/* P, R and the coarse operator of level l from P_tent by node blocks (pa:
 * the level's nodes, node_of, aggregates and coarse offsets); handed to
 * dev->adopt, the coarse operator's view in *Acv. */
static int galerkin_blocks(FmAmg *amg, int l, const FmAmgArgs *pa,
                           const FmAmgCsr *Pt, Pool *ptpool, const double *s,
                           FmAmgCsr *Acv) {
  const FmAmgDev *dev = &amg->dev;
  const int n = pa->n, nn = pa->nnodes, na = pa->na, nc = Pt->cols;
  const int64_t *node_ptr = pa->node_ptr, *cptr = pa->cptr;
  const FmAmgCsr A = amg->lev[l].Av;
  Pool pool = {dev, l, 0, {0}}, out = {dev, l, 0, {0}};
  BlockPat Ag, PtB, PB, APB, RB, AcB;
  FmAmgCsr P, R, Ac;
  FmAmgArgs a;
  int *perm = NULL, ierr = 1;
  /* the aggregate of each coarse DOF */
  memset(&a, 0, sizeof a);
  int *cnode_of = pool_alloc(&pool, ((size_t)nc + 1) * sizeof(int), "nodes");
  if (!cnode_of)
    goto out;
  a.node_ptr = cptr;
  a.node_of = cnode_of;
  if (dev->run(dev->ctx, FM_AMG_S_NODE_OF, na, &a))
    goto out;
  /* node patterns: A's (its blocks when stored so), P_tent's, P's = A
   * P_tent's, A P's, R's, A_c's */
  memset(&Ag, 0, sizeof Ag);
  if (A.bs == 3) {
    Ag.ptr = (int64_t *)A.ptr;
    Ag.col = (int *)A.col;
    if (dev->get(dev->ctx, &Ag.n, A.ptr + nn, sizeof Ag.n))
      goto out;
  } else if (block_union(dev, &pool, nn, node_ptr, NULL, n, A.ptr, A.col,
                         pa->node_of, &Ag))
    goto out;
  if (block_union(dev, &pool, nn, node_ptr, NULL, n, Pt->ptr, Pt->col, cnode_of,
                  &PtB) ||
      block_union(dev, &pool, nn, Ag.ptr, Ag.col, Ag.n, PtB.ptr, PtB.col, NULL,
                  &PB))
    goto out;
  if (block_union(dev, &pool, nn, Ag.ptr, Ag.col, Ag.n, PB.ptr, PB.col, NULL,
                  &APB))
    goto out;
  pool_free(&pool, Ag.ptr); /* (not the pool's when A's blocks) */
  pool_free(&pool, Ag.col);
  /* R's blocks: P's transposed (entries ordered by aggregate, stably) */
  memset(&a, 0, sizeof a);
  memset(&RB, 0, sizeof RB);
  perm = pool_alloc(&pool, ((size_t)PB.n + 1) * sizeof(int), "R = P^T");
  a.key = pool_alloc(&pool, ((size_t)PB.n + 1) * sizeof(int), "R = P^T");
  a.enode = pool_alloc(&pool, ((size_t)PB.n + 1) * sizeof(int), "R = P^T");
  RB.ptr = pool_alloc(&pool, ((size_t)na + 1) * sizeof(int64_t), "R = P^T");
  RB.col = pool_alloc(&pool, ((size_t)PB.n + 1) * sizeof(int), "R = P^T");
  if (!perm || !a.key || !a.enode || !RB.ptr || !RB.col)
    goto out;
  RB.n = PB.n;
  a.zptr = PB.ptr;
  a.zcol = PB.col;
  if (dev->run(dev->ctx, FM_AMG_S_ENTRY_KEY, nn, &a) ||
      dev->order(dev->ctx, (int)PB.n, na, a.key, perm))
    goto out;
  a.perm = perm;
  a.nnodes = (int)PB.n;
  a.na = na;
  a.start = RB.ptr;
  a.tcol = RB.col;
  if (dev->run(dev->ctx, FM_AMG_S_AGG_START, PB.n, &a) ||
      dev->run(dev->ctx, FM_AMG_S_TR_COL, PB.n, &a))
    goto out;
  pool_free(&pool, perm);
  pool_free(&pool, a.key);
  pool_free(&pool, a.enode);
  if (block_union(dev, &pool, na, RB.ptr, RB.col, RB.n, APB.ptr, APB.col, NULL,
                  &AcB) ||
      block_offsets(dev, &pool, nn, cptr, &PtB) ||
      block_offsets(dev, &pool, nn, cptr, &PB) ||
      block_offsets(dev, &pool, nn, cptr, &APB) ||
      block_offsets(dev, &pool, na, node_ptr, &RB) ||
      block_offsets(dev, &pool, na, cptr, &AcB))
    goto out;
  /* P = P_tent + diag(s) A P_tent */
  if (block_csr(dev, &out, n, nc, pa->node_of, &PB, cptr, "P", &P))
    goto out;
  if (block_product(dev, &pool, nn, node_ptr, &PB, cptr, cnode_of, &A,
                    pa->node_of, Pt, &PtB, s, &P, "P", NULL))
    goto out;
  /* P_tent and its pattern are done with (ptpool: P_tent's, the caller's) */
  pool_free(ptpool, (void *)Pt->ptr);
  pool_free(ptpool, (void *)Pt->col);
  pool_free(ptpool, (void *)Pt->val);
  pat_free(&pool, &PtB);
  /* A_c = R (A P), R by chunks (in one chunk, R whole for the cycle) */
  memset(&R, 0, sizeof R);
  if (block_csr(dev, &out, nc, nc, cnode_of, &AcB, cptr, "R A P", &Ac) ||
      galerkin_chunks(amg, l, &pool, pa, cnode_of, &PB, &APB, &AcB, &RB, &P,
                      &Ac, &out, amg->opt.transpose_r ? NULL : &R))
    goto out;
  /* R = P^T whole, for the cycle (A P's chunks are gone by now, and the
   * patterns R does not need go first); none where the cycle restricts
   * with P^T */
  if (!R.ptr) {
    R.rows = nc;
    R.cols = n;
  }
  if (!amg->opt.transpose_r && !R.ptr) {
    pat_free(&pool, &APB);
    pat_free(&pool, &AcB);
    if (r_form(dev, &out, &pool, na, node_ptr, cptr, cnode_of, &RB, &PB, &P,
               NULL, 0, &R))
      goto out;
  }
  /* the results go to the dev's level l (P, R) and l + 1 */
  out.n = 0;
  pool_release(&pool);
  if (dev->get(dev->ctx, &amg->lev[l].pnnz, P.ptr + n, sizeof(int64_t)))
    amg->lev[l].pnnz = 0;
  return dev->adopt(dev->ctx, l, &P, &R, &Ac, Acv);
out:
  pool_release(&pool);
  pool_release(&out);
  return ierr;
}

/* One level down: graph, aggregates, P_tent; P, R and the coarse operator
 * where the setup runs; the coarse node offsets and near-null space
 * and the aggregates' positions (*cptr, *Bc, *posc: the dev's memory;
 * NULL when nothing was coarsened).  The level's near-null space B, one of
 * keep's, is released once P_tent is made. */
static int coarsen(FmAmg *amg, int l, int nnodes, const int64_t *node_ptr,
                   const unsigned char *skip, const double *B,
                   const double *pos, Pool *pool, Pool *keep, int64_t **cptr,
                   double **Bc, double **posc) {
  const FmAmgDev *dev = &amg->dev;
  FmAmgLevel *L = &amg->lev[l], *C = &amg->lev[l + 1];
  FmAmgArgs a;
  memset(&a, 0, sizeof a);
  a.n = L->n;
  a.nnodes = nnodes;
  a.Aptr = L->Av.ptr;
  a.Acol = L->Av.col;
  a.Aval = L->Av.val;
  a.Abs = L->Av.bs;
  a.node_ptr = node_ptr;
  a.skip = skip;
  a.theta = amg->opt.theta;
  a.B = B;
  a.pos = pos;
  const int64_t m = (int64_t)(a.n > nnodes ? a.n : nnodes) + 1;
  a.cnt = pool_alloc(pool, (size_t)m * sizeof(int64_t), "counts");
  if (!a.cnt)
    return 1;
  double t = now_seconds();
  FM_CALL(strength_graph(amg, l, &a, pool));
  lap(amg, FM_AMG_T_GRAPH, &t);
  int na = 0;
  FM_CALL(aggregate(amg, l, &a, pool, &na));
  L->nagg = na;
  lap(amg, FM_AMG_T_AGGREGATE, &t);
  C->n = 0;
  if (na == 0)
    return 0;
  FmAmgCsr Pt;
  Pool ptpool = {dev, l, 0, {0}};
  int ierr = tentative(amg, &a, pool, &ptpool, &Pt, cptr, Bc, posc);
  lap(amg, FM_AMG_T_TENTATIVE, &t);
  pool_free(keep, (void *)B); /* Bc holds what the next level needs */
  /* the graph, aggregates and QR work go before the products (the DOFs'
   * node numbers stay for them) */
  pool_keep(pool, a.node_of);
  ptpool.p[ptpool.n++] = a.node_of;
  pool_release(pool);
  if (ierr || Pt.cols == 0) {
    pool_release(&ptpool);
    return ierr; /* no columns: nothing to coarsen, this level is the last */
  }
  /* P = (I - w D^-1 A) P_tent, w = 4 / (3 lmax) */
  a.s = pool_alloc(&ptpool, ((size_t)a.n + 1) * sizeof(double), "smoothing");
  a.dinv = L->dinv;
  a.c = -4.0 / (3.0 * (L->emax / 1.1));
  ierr = !a.s || dev->run(dev->ctx, FM_AMG_S_SCALE, a.n, &a);
  if (!ierr && amg->opt.galerkin == FM_AMG_GALERKIN_BLOCKS)
    ierr = galerkin_blocks(amg, l, &a, &Pt, &ptpool, a.s, &C->Av);
  else if (!ierr)
    ierr = dev->galerkin(dev->ctx, l, &L->Av, &Pt, a.s, &C->Av, &L->pnnz);
  pool_release(&ptpool);
  FM_CALL(ierr);
  C->n = C->Av.rows;
  FM_CALL(dev->get(dev->ctx, &C->nnz, C->Av.ptr + C->n, sizeof C->nnz));
  lap(amg, FM_AMG_T_GALERKIN, &t);
  return 0;
}
#undef RUN
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
static int coarse_factor(FmAmg *amg, const FmCsr *A) {
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

static int setup_levels(FmAmg *amg, const double *x,
                        const unsigned char *fixed) {
  const FmAmgDev *dev = &amg->dev;
  const int n0 = amg->lev[0].n, nn0 = n0 / 3;
  double *Bh = NULL;
  int64_t *nph = fm_calloc((size_t)nn0 + 1, sizeof(int64_t));
  unsigned char *skiph = fm_calloc((size_t)nn0 + 1, 1);
  int nnodes = nn0, ierr = !nph || !skiph, any_skip = 0;
  if (!ierr)
    ierr = rigid_body_modes(nn0, x, fixed, &Bh);
  if (!ierr) {
    for (int I = 0; I <= nn0; I++)
      nph[I] = 3 * (int64_t)I;
    /* nodes whose DOFs are all prescribed stay out of every aggregate */
    for (int I = 0; fixed && I < nn0; I++) {
      skiph[I] = fixed[3 * I] && fixed[3 * I + 1] && fixed[3 * I + 2];
      any_skip |= skiph[I];
    }
  }
  /* positions: the coordinate along the model's longest axis */
  double *posh = fm_calloc((size_t)nn0 + 1, sizeof(double));
  ierr |= !posh;
  if (!ierr) {
    int axis = 0;
    double lo[3], hi[3];
    for (int p = 0; p < 3; p++) {
      lo[p] = INFINITY;
      hi[p] = -INFINITY;
      for (int I = 0; I < nn0; I++) {
        lo[p] = fmin(lo[p], x[3 * I + p]);
        hi[p] = fmax(hi[p], x[3 * I + p]);
      }
      if (hi[p] - lo[p] > hi[axis] - lo[axis])
        axis = p;
    }
    for (int I = 0; I < nn0; I++)
      posh[I] = x[3 * I + axis];
    amg->pos_lo = lo[axis];
    amg->pos_hi = hi[axis];
  }
  /* level 0's inputs where the setup runs */
  Pool keep = {dev, 0, 0, {0}};
  double *B = NULL, *pos = NULL;
  int64_t *node_ptr = NULL;
  unsigned char *skip = NULL;
  if (!ierr) {
    B = pool_alloc(&keep, (size_t)n0 * NB * sizeof(double), "rigid-body modes");
    node_ptr = pool_alloc(&keep, ((size_t)nn0 + 1) * sizeof(int64_t), "nodes");
    skip = any_skip ? pool_alloc(&keep, (size_t)nn0 + 1, "prescribed nodes")
                    : NULL;
    pos = pool_alloc(&keep, ((size_t)nn0 + 1) * sizeof(double), "positions");
    ierr = !B || !node_ptr || (any_skip && !skip) || !pos;
  }
  if (!ierr)
    ierr = dev->put(dev->ctx, pos, posh, ((size_t)nn0 + 1) * sizeof(double));
  if (!ierr)
    ierr = dev->put(dev->ctx, B, Bh, (size_t)n0 * NB * sizeof(double));
  if (!ierr)
    ierr =
        dev->put(dev->ctx, node_ptr, nph, ((size_t)nn0 + 1) * sizeof(int64_t));
  if (!ierr && skip)
    ierr = dev->put(dev->ctx, skip, skiph, (size_t)nn0 + 1);
  free(Bh);
  free(nph);
  free(skiph);
  free(posh);
  int l = 0;
  while (!ierr) {
    Pool pool = {dev, l, 0, {0}};
    double t = now_seconds();
    ierr = smoother_setup(amg, l, &pool);
    lap(amg, FM_AMG_T_SMOOTHER, &t);
    pool_release(&pool);
    /* the last level: small enough, or filled in (a quarter of its entries
     * nonzero, at most 2 coarse_max rows: its dense factor 72 MB, twice on
     * a GPU): coarsening a level that dense costs more than its dense solve
     * (a stiffness contrast of 1e3 on the segmental implant filled 2406
     * rows 57% and coarsened them to 1518: setup 17.3 s and 41 iterations,
     * 6.6 s and 30 with this rule; a review's study) */
    const FmAmgLevel *Ll = &amg->lev[l];
    const int dense = Ll->n <= 2 * amg->opt.coarse_max &&
                      (double)Ll->nnz >= 0.25 * (double)Ll->n * (double)Ll->n;
    if (ierr || Ll->n <= amg->opt.coarse_max || dense ||
        l + 1 >= amg->opt.max_levels || l + 1 >= FM_AMG_MAX_LEVELS)
      break;
    int64_t *cptr = NULL;
    double *Bc = NULL, *posc = NULL;
    ierr = coarsen(amg, l, nnodes, node_ptr, skip, B, pos, &pool, &keep, &cptr,
                   &Bc, &posc);
    pool_release(&pool);
    const int nc = amg->lev[l + 1].n;
    const int last = !ierr && (nc == 0 || nc >= amg->lev[l].n);
    if (last) {
      /* no coarsening: this level is the last (drop what was built) */
      if (nc > 0)
        dev->drop(dev->ctx, l);
      memset(&amg->lev[l + 1], 0, sizeof amg->lev[l + 1]);
      amg->lev[l].pnnz = 0;
    }
    /* the next level's nodes: this level's aggregates (none skipped) */
    Pool next = {dev, l + 1, 0, {0}};
    next.p[next.n++] = cptr;
    next.p[next.n++] = Bc;
    next.p[next.n++] = posc;
    if (ierr || last) {
      for (int k = 0; k < next.n; k++)
        if (next.p[k])
          dev->release(dev->ctx, next.p[k]);
      break;
    }
    pool_release(&keep);
    keep = next;
    B = Bc;
    pos = posc;
    node_ptr = cptr;
    nnodes = amg->lev[l].nagg;
    skip = NULL;
    l++;
    amg->nlev = l + 1;
  }
  pool_release(&keep);
  /* the dense coarse solve: n^3/3 flops and n^2 doubles (twice on a GPU) */
  const int cap = amg->opt.coarse_max > 5000 ? 2 * amg->opt.coarse_max : 10000;
  if (!ierr && amg->lev[amg->nlev - 1].n > cap)
    ierr = fm_error("amg: coarsening stalled at %d rows on level %d (a dense "
                    "coarse solve of more than %d rows is refused)",
                    amg->lev[amg->nlev - 1].n, amg->nlev - 1, cap);
  return ierr;
}

static int lev_single(const FmAmg *amg, int l);
static int host_single(FmAmg *amg);

static int setup_common(FmAmg *amg, const double *x, const unsigned char *fixed,
                        double t0) {
  FmAmgLevel *L0 = &amg->lev[0];
  if (L0->Av.rows != L0->Av.cols || L0->Av.rows % 3 || L0->Av.rows < 3)
    return fm_error("amg: the operator has %d x %d rows and columns (square, "
                    "3 DOFs per node expected)",
                    L0->Av.rows, L0->Av.cols);
  if (L0->Av.bs > 1 && L0->Av.bs != 3)
    return fm_error("amg: internal: operator stored in %d x %d blocks (3 x 3 "
                    "or scalar)",
                    L0->Av.bs, L0->Av.bs);
  if (amg->opt.cheb_degree < 1)
    amg->opt.cheb_degree = 1;
  amg->nlev = 1;
  L0->n = L0->Av.rows;
  const int bs = L0->Av.bs == 3 ? 3 : 1;
  FM_CALL(amg->dev.get(amg->dev.ctx, &L0->nnz, L0->Av.ptr + L0->n / bs,
                       sizeof L0->nnz));
  L0->nnz *= bs * bs;
  FM_CALL(setup_levels(amg, x, fixed));
  double t = now_seconds();
  FmAmgLevel *Lc = &amg->lev[amg->nlev - 1];
  if (Lc->A.ptr && Lc->Av.ptr == Lc->A.ptr) {
    FM_CALL(coarse_factor(amg, &Lc->A));
  } else {
    FmCsr Ac;
    memset(&Ac, 0, sizeof Ac);
    int ierr = amg->dev.download(amg->dev.ctx, &Lc->Av, &Ac);
    if (!ierr)
      ierr = coarse_factor(amg, &Ac);
    fm_csr_scalar_free(&Ac);
    FM_CALL(ierr);
  }
  lap(amg, FM_AMG_T_COARSE, &t);
  if (amg->dev.host && amg->opt.single)
    FM_CALL(host_single(amg));
  for (int l = 0; l < amg->nlev && amg->dev.host; l++)
    for (int k = 0; k < 4; k++)
      if (!(amg->w[l][k] =
                fm_calloc((size_t)amg->lev[l].n + 1,
                          lev_single(amg, l) ? sizeof(float) : sizeof(double))))
        return 1;
  /* a float coarsest level is solved in double through these */
  const int lc = amg->nlev - 1, nc = amg->lev[lc].n;
  for (int k = 0; k < 2 && amg->dev.host && lev_single(amg, lc); k++)
    if (!(amg->cw[k] = fm_calloc((size_t)nc + 1, sizeof(double))))
      return 1;
  amg->setup_seconds = now_seconds() - t0;
  if (amg->opt.verbose) {
    printf("amg: %d levels, operator complexity %.2f, setup %.2f s on the "
           "%s, %s-precision cycle\n",
           amg->nlev, fm_amg_complexity(amg), amg->setup_seconds,
           amg->dev.host ? "host" : "GPU",
           amg->opt.single && amg->nlev > 1 ? "single" : "double");
    printf("amg:   phases: graph %.2f s, aggregation %.2f s, QR %.2f s, "
           "P and Galerkin %.2f s, smoothers %.2f s, coarse Cholesky %.2f "
           "s\n",
           amg->t[FM_AMG_T_GRAPH], amg->t[FM_AMG_T_AGGREGATE],
           amg->t[FM_AMG_T_TENTATIVE], amg->t[FM_AMG_T_GALERKIN],
           amg->t[FM_AMG_T_SMOOTHER], amg->t[FM_AMG_T_COARSE]);
    for (int l = 0; l < amg->nlev; l++) {
      const FmAmgLevel *L = &amg->lev[l];
      char ap[96] = "";
      if (L->apwhole > 0)
        snprintf(ap, sizeof ap, ", A P %lld nonzeros in %d chunk%s (%.2f x)",
                 (long long)L->apwhole, L->gchunks, L->gchunks > 1 ? "s" : "",
                 (double)L->apnnz / (double)L->apwhole);
      printf("amg:   level %d: %d rows, %lld nonzeros, P %lld nonzeros, lmax "
             "%.3g%s\n",
             l, L->n, (long long)L->nnz, (long long)L->pnnz, L->emax / 1.1, ap);
    }
  }
  return 0;
}

static void set_options(FmAmg *amg, const FmAmgOptions *opt) {
  if (opt)
    amg->opt = *opt;
  else
    fm_amg_default_options(&amg->opt);
}

static FmAmgCsr view_of(const FmCsr *A) {
  FmAmgCsr v = {A->nrows, A->ncols, A->ptr, A->col, A->val, 1};
  return v;
}

int fm_amg_setup(const FmCsr *A, const double *x, const unsigned char *fixed,
                 const FmAmgOptions *opt, FmAmg *amg) {
  return fm_amg_setup_ex((FmCsr *)A, 0, x, fixed, opt, amg);
}

int fm_amg_setup_ex(FmCsr *A, int take, const double *x,
                    const unsigned char *fixed, const FmAmgOptions *opt,
                    FmAmg *amg) {
  const double t0 = now_seconds();
  memset(amg, 0, sizeof *amg);
  fm_amg_host_dev(amg, &amg->dev);
  set_options(amg, opt);
  int ierr = 0;
  if (take) {
    amg->lev[0].A = *A;
    memset(A, 0, sizeof *A);
  } else
    ierr = fm_csr_scalar_copy(A, &amg->lev[0].A);
  if (!ierr) {
    amg->lev[0].Av = view_of(&amg->lev[0].A);
    ierr = setup_common(amg, x, fixed, t0);
  }
  if (ierr) {
    fm_amg_free(amg);
    return 1;
  }
  return 0;
}

int fm_amg_setup_dev(const FmAmgDev *dev, const FmAmgCsr *A, const double *x,
                     const unsigned char *fixed, const FmAmgOptions *opt,
                     FmAmg *amg) {
  const double t0 = now_seconds();
  memset(amg, 0, sizeof *amg);
  amg->dev = *dev;
  set_options(amg, opt);
  amg->lev[0].Av = *A;
  if (setup_common(amg, x, fixed, t0)) {
    fm_amg_free(amg);
    return 1;
  }
  return 0;
}

void fm_amg_free(FmAmg *amg) {
  for (int l = 0; l < FM_AMG_MAX_LEVELS; l++) {
    FmAmgLevel *L = &amg->lev[l];
    fm_csr_scalar_free(&L->A);
    fm_csr_scalar_free(&L->P);
    fm_csr_scalar_free(&L->R);
    if (L->dinv && amg->dev.release)
      amg->dev.release(amg->dev.ctx, L->dinv);
    L->dinv = NULL;
    free(L->Af);
    free(L->Pf);
    free(L->Rf);
    free(L->dinvf);
    L->Af = L->Pf = L->Rf = L->dinvf = NULL;
    memset(&L->Av, 0, sizeof L->Av);
    for (int k = 0; k < 4; k++) {
      free(amg->w[l][k]);
      amg->w[l][k] = NULL;
    }
  }
  free(amg->chol);
  amg->chol = NULL;
  free(amg->cw[0]);
  free(amg->cw[1]);
  amg->cw[0] = amg->cw[1] = NULL;
  amg->nlev = 0;
}

/* ---- the host's FmAmgDev ---- */

static void *host_alloc(void *ctx, size_t bytes, int level, const char *what) {
  (void)ctx;
  /* written now: the steps add into some arrays (the Galerkin products),
   * and a first read of calloc's memory costs a second fault later
   * (fm_calloc_written; setup 5.0 -> 4.2 s on the default model, build
   * machine) */
  void *p = fm_calloc_written(bytes > 0 ? bytes : 1, 1);
  if (!p)
    fm_error("amg: level %d, %s: out of memory (%.1f MB)", level, what,
             (double)bytes / 1e6);
  return p;
}

static void host_release(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

static int host_move(void *ctx, void *dst, const void *src, size_t bytes) {
  (void)ctx;
  memcpy(dst, src, bytes);
  return 0;
}

/* steps with much work per index (a node's or an aggregate's rows):
 * worth sharing among threads even when there are few indices */
static int heavy_step(int step) {
  return step == FM_AMG_S_QR || step == FM_AMG_S_UNION_COUNT ||
         step == FM_AMG_S_UNION_FILL || step == FM_AMG_S_BLOCK_PRODUCT ||
         step == FM_AMG_S_R_FILL;
}

static int host_run(void *ctx, int step, int64_t n, const FmAmgArgs *a) {
  (void)ctx;
#ifdef _OPENMP
  /* chunks small enough to share the heavy steps among the threads, large
   * enough to cost nothing on the light ones */
  int64_t chunk = n / 256;
  chunk = chunk < 1 ? 1 : chunk > 1024 ? 1024 : chunk;
  const int par = heavy_step(step) ? n > 1 : n > 4096;
#pragma omp parallel for schedule(dynamic, chunk) if (par)
#else
  (void)heavy_step;
#endif
  for (int64_t i = 0; i < n; i++)
    fm_amg_step(step, i, a);
  return 0;
}

static int host_scan(void *ctx, int64_t n, int64_t *v) {
  (void)ctx;
  int64_t s = 0;
  for (int64_t i = 0; i < n; i++) {
    const int64_t c = v[i];
    v[i] = s;
    s += c;
  }
  v[n] = s;
  return 0;
}

/* counting sort: stable */
static int host_order(void *ctx, int n, int nkeys, const int *key, int *perm) {
  (void)ctx;
  int64_t *c = fm_calloc((size_t)nkeys + 2, sizeof(int64_t));
  if (!c)
    return 1;
  for (int i = 0; i < n; i++)
    c[key[i] + 1]++;
  for (int k = 0; k <= nkeys; k++)
    c[k + 1] += c[k];
  for (int i = 0; i < n; i++)
    perm[c[key[i]]++] = i;
  free(c);
  return 0;
}

/* a non-owning FmCsr over a host view (the product routines read it) */
static FmCsr csr_of(const FmAmgCsr *v) {
  FmCsr A = {v->rows, v->cols, (int64_t *)v->ptr, (int *)v->col,
             (double *)v->val};
  return A;
}

static int host_download(void *ctx, const FmAmgCsr *A, FmCsr *out);

static int host_galerkin(void *ctx, int l, const FmAmgCsr *Av,
                         const FmAmgCsr *Ptv, const double *s, FmAmgCsr *Acv,
                         int64_t *pnnz) {
  FmAmg *amg = ctx;
  FmAmgLevel *L = &amg->lev[l], *C = &amg->lev[l + 1];
  FmCsr A = csr_of(Av), AS;
  const FmCsr Pt = csr_of(Ptv);
  FmCsr AP, AP2;
  memset(&AP, 0, sizeof AP);
  memset(&AP2, 0, sizeof AP2);
  memset(&AS, 0, sizeof AS);
  if (Av->bs == 3) { /* the general products want the scalar rows */
    FM_CALL(host_download(ctx, Av, &AS));
    A = AS;
  }
  int ierr = fm_csr_scalar_mult(&A, &Pt, &AP);
  if (!ierr)
    ierr = fm_csr_scalar_add_scaled(&Pt, s, &AP, &L->P);
  if (!ierr)
    ierr = fm_csr_scalar_transpose(&L->P, &L->R);
  if (!ierr)
    ierr = fm_csr_scalar_mult(&A, &L->P, &AP2);
  if (!ierr)
    ierr = fm_csr_scalar_mult(&L->R, &AP2, &C->A);
  if (amg->opt.transpose_r) { /* none kept, as galerkin_blocks hands over */
    fm_csr_scalar_free(&L->R);
    L->R.nrows = L->P.ncols;
    L->R.ncols = L->P.nrows;
  }
  fm_csr_scalar_free(&AP);
  fm_csr_scalar_free(&AP2);
  fm_csr_scalar_free(&AS);
  if (ierr)
    return 1;
  *Acv = view_of(&C->A);
  *pnnz = L->P.ptr[L->P.nrows];
  return 0;
}

static int host_adopt(void *ctx, int l, const FmAmgCsr *P, const FmAmgCsr *R,
                      const FmAmgCsr *Ac, FmAmgCsr *Acv) {
  FmAmg *amg = ctx;
  amg->lev[l].P = csr_of(P);
  amg->lev[l].R = csr_of(R);
  amg->lev[l + 1].A = csr_of(Ac);
  *Acv = view_of(&amg->lev[l + 1].A);
  return 0;
}

static void host_drop(void *ctx, int l) {
  FmAmg *amg = ctx;
  fm_csr_scalar_free(&amg->lev[l].P);
  fm_csr_scalar_free(&amg->lev[l].R);
  fm_csr_scalar_free(&amg->lev[l + 1].A);
}

int fm_amg_host_copy(const FmAmgCsr *A, FmCsr *out) {
  if (A->bs == 3) {
    const FmBlockCsr B = {A->rows / 3, (int64_t *)A->ptr, (int *)A->col,
                          (double *)A->val};
    return fm_csr_to_scalar(&B, out);
  }
  const FmCsr M = csr_of(A);
  return fm_csr_scalar_copy(&M, out);
}

static int host_download(void *ctx, const FmAmgCsr *A, FmCsr *out) {
  (void)ctx;
  return fm_amg_host_copy(A, out);
}

void fm_amg_host_dev(FmAmg *amg, FmAmgDev *dev) {
  memset(dev, 0, sizeof *dev);
  dev->ctx = amg;
  dev->host = 1;
  dev->alloc = host_alloc;
  dev->release = host_release;
  dev->put = host_move;
  dev->get = host_move;
  dev->run = host_run;
  dev->scan = host_scan;
  dev->order = host_order;
  dev->galerkin = host_galerkin;
  dev->adopt = host_adopt;
  dev->drop = host_drop;
  dev->download = host_download;
}
double fm_amg_complexity(const FmAmg *amg) {
  double s = 0.0;
  for (int l = 0; l < amg->nlev; l++)
    s += (double)amg->lev[l].nnz;
  return amg->lev[0].nnz > 0 ? s / (double)amg->lev[0].nnz : 1.0;
}

void fm_amg_describe(const FmAmg *amg, char *buf, size_t size) {
  int o = snprintf(buf, size, "smoothed aggregation: %d levels (", amg->nlev);
  for (int l = 0; l < amg->nlev && o > 0 && (size_t)o < size; l++)
    o += snprintf(buf + o, size - (size_t)o, "%s%d", l ? " -> " : "",
                  amg->lev[l].n);
  if (o > 0 && (size_t)o < size)
    snprintf(buf + o, size - (size_t)o,
             " rows), operator complexity %.2f, setup %.2f s on the %s, "
             "%s-precision cycle%s",
             fm_amg_complexity(amg), amg->setup_seconds,
             amg->dev.host ? "host" : "GPU",
             amg->opt.single && amg->nlev > 1 ? "single" : "double",
             amg->opt.transpose_r ? ", restriction by P^T" : "");
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
                     const void *b, void *x, int x_zero, int want_r) {
  const double hi = s->emax[l], lo = hi / 11.0;
  const double theta = 0.5 * (hi + lo), delta = 0.5 * (hi - lo);
  const double sigma = theta / delta;
  double rho = 1.0 / sigma;
  void *r = o->r[l], *d = o->d[l];
  FM_CALL(o->copy(o->ctx, l, b, r));
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

static int vcycle(const FmAmgShape *s, const FmAmgOps *o, int l, const void *b,
                  void *x) {
  if (l == s->nlev - 1)
    return o->coarse(o->ctx, b, x);
  FM_CALL(chebyshev(s, o, l, b, x, 1, 1));
  FM_CALL(o->spmv(o->ctx, l, FM_AMG_R, 1.0, o->r[l], 0.0, o->b[l + 1]));
  FM_CALL(vcycle(s, o, l + 1, o->b[l + 1], o->x[l + 1]));
  FM_CALL(o->spmv(o->ctx, l, FM_AMG_P, 1.0, o->x[l + 1], 1.0, x));
  return chebyshev(s, o, l, b, x, 0, 0);
}

/* the stack's operations: level 0 the top's, the others the inner's */
static int stack_spmv(void *ctx, int l, int which, double alpha, const void *x,
                      double beta, void *y) {
  const FmAmgStack *st = ctx;
  return l > 0 ? st->inner.spmv(st->inner.ctx, l - 1, which, alpha, x, beta, y)
               : st->top.spmv(st->top.ctx, 0, which, alpha, x, beta, y);
}

static int stack_copy(void *ctx, int l, const void *x, void *y) {
  const FmAmgStack *st = ctx;
  return l > 0 ? st->inner.copy(st->inner.ctx, l - 1, x, y)
               : st->top.copy(st->top.ctx, 0, x, y);
}

static int stack_cheb(void *ctx, int l, double c1, double c2, const void *r,
                      void *d, void *x, int x_zero) {
  const FmAmgStack *st = ctx;
  return l > 0 ? st->inner.cheb(st->inner.ctx, l - 1, c1, c2, r, d, x, x_zero)
               : st->top.cheb(st->top.ctx, 0, c1, c2, r, d, x, x_zero);
}

static int stack_coarse(void *ctx, const void *b, void *x) {
  const FmAmgStack *st = ctx;
  return st->inner.coarse(st->inner.ctx, b, x);
}

int fm_amg_stack(FmAmgStack *st, const FmAmgOps *top, const FmAmgOps *inner,
                 const FmAmgShape *in, int n0, double emax0) {
  if (in->nlev + 1 > FM_AMG_MAX_LEVELS)
    return fm_error("amg: %d levels below a level of its own (at most %d in "
                    "all)",
                    in->nlev, FM_AMG_MAX_LEVELS);
  memset(st, 0, sizeof *st);
  st->top = *top;
  st->inner = *inner;
  FmAmgShape *s = &st->shape;
  FmAmgOps *o = &st->ops;
  s->nlev = in->nlev + 1;
  s->degree = in->degree;
  s->n[0] = n0;
  s->emax[0] = emax0;
  o->ctx = st;
  o->spmv = stack_spmv;
  o->copy = stack_copy;
  o->cheb = stack_cheb;
  o->coarse = stack_coarse;
  o->r[0] = top->r[0];
  o->d[0] = top->d[0];
  for (int l = 0; l < in->nlev; l++) {
    s->n[l + 1] = in->n[l];
    s->emax[l + 1] = in->emax[l];
    o->b[l + 1] = inner->b[l];
    o->x[l + 1] = inner->x[l];
    o->r[l + 1] = inner->r[l];
    o->d[l + 1] = inner->d[l];
  }
  return 0;
}

int fm_amg_cycle(const FmAmgShape *s, const FmAmgOps *ops, const double *b,
                 double *x) {
  return vcycle(s, ops, 0, b, x);
}

/* ---- host operations ---- */

/* level l's cycle in single precision */
static int lev_single(const FmAmg *amg, int l) {
  return amg->opt.single && l > 0;
}

/* y = alpha M x + beta y (beta 0: y not read), M's values in double (vd)
 * or float (vf), x and y in double or float (xf, yf).  With float values
 * the products are summed in float, as a GPU's single-precision SpMV does
 * (x converted to float first). */
static void spmv_any(int rows, const int64_t *ptr, const int *col,
                     const double *vd, const float *vf, double alpha,
                     const void *xv, int xf, double beta, void *yv, int yf) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (rows > 2000)
#endif
  for (int i = 0; i < rows; i++) {
    double sum;
    if (vf) {
      float t = 0.0f;
      if (xf) {
        const float *x = xv;
        for (int64_t k = ptr[i]; k < ptr[i + 1]; k++)
          t += vf[k] * x[col[k]];
      } else {
        const double *x = xv;
        for (int64_t k = ptr[i]; k < ptr[i + 1]; k++)
          t += vf[k] * (float)x[col[k]];
      }
      sum = t;
    } else {
      const double *x = xv; /* double values: double vectors */
      sum = 0.0;
      for (int64_t k = ptr[i]; k < ptr[i + 1]; k++)
        sum += vd[k] * x[col[k]];
    }
    if (yf) {
      float *y = yv;
      y[i] = (float)(alpha * sum + (beta != 0.0 ? beta * y[i] : 0.0));
    } else {
      double *y = yv;
      y[i] = alpha * sum + (beta != 0.0 ? beta * y[i] : 0.0);
    }
  }
}

/* the same for an operator in 3x3 blocks (double values and vectors) */
static void spmv_bsr3(const FmAmgCsr *A, double alpha, const double *x,
                      double beta, double *y) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (A->rows > 2000)
#endif
  for (int i = 0; i < A->rows; i++) {
    double sum = 0.0;
    const int64_t k1 = fm_amg_rend(A->ptr, 3, i);
    for (int64_t k = fm_amg_rbeg(A->ptr, 3, i); k < k1; k++)
      sum += fm_amg_val(A->val, 3, i, k) * x[fm_amg_col(A->col, 3, k)];
    y[i] = alpha * sum + (beta != 0.0 ? beta * y[i] : 0.0);
  }
}

/* y = alpha P^T x + beta y (beta 0: y not read) from P's rows, in row
 * order (one thread: the sums are scattered), P's values in double or
 * float, x and y in double or float (xf, yf) */
static int spmv_trans(const FmCsr *P, const float *pf, double alpha,
                      const void *xv, int xf, double beta, void *yv, int yf) {
  const int nc = P->ncols;
  double *acc = fm_calloc((size_t)nc + 1, sizeof(double));
  if (!acc)
    return 1;
  for (int i = 0; i < P->nrows; i++) {
    const double xi =
        xf ? (double)((const float *)xv)[i] : ((const double *)xv)[i];
    for (int64_t k = P->ptr[i]; k < P->ptr[i + 1]; k++)
      acc[P->col[k]] += (pf ? (double)pf[k] : P->val[k]) * xi;
  }
  for (int j = 0; j < nc; j++) {
    if (yf) {
      float *y = yv;
      y[j] = (float)(alpha * acc[j] + (beta != 0.0 ? beta * y[j] : 0.0));
    } else {
      double *y = yv;
      y[j] = alpha * acc[j] + (beta != 0.0 ? beta * y[j] : 0.0);
    }
  }
  free(acc);
  return 0;
}

static int host_spmv(void *ctx, int l, int which, double alpha, const void *x,
                     double beta, void *y) {
  const FmAmg *amg = ctx;
  const FmAmgLevel *L = &amg->lev[l];
  const int fl = lev_single(amg, l), fc = lev_single(amg, l + 1);
  if (which == FM_AMG_A && L->Av.bs == 3)
    spmv_bsr3(&L->Av, alpha, x, beta, y);
  else if (which == FM_AMG_A)
    spmv_any(L->n, L->Av.ptr, L->Av.col, L->Av.val, L->Af, alpha, x, fl, beta,
             y, fl);
  else if (which == FM_AMG_P)
    spmv_any(L->P.nrows, L->P.ptr, L->P.col, L->P.val, L->Pf, alpha, x, fc,
             beta, y, fl);
  else if (!L->R.ptr) /* restriction by P^T */
    return spmv_trans(&L->P, L->Pf, alpha, x, fl, beta, y, fc);
  else
    spmv_any(L->R.nrows, L->R.ptr, L->R.col, L->R.val, L->Rf, alpha, x, fl,
             beta, y, fc);
  return 0;
}

static int host_copy(void *ctx, int l, const void *x, void *y) {
  const FmAmg *amg = ctx;
  memcpy(y, x,
         (size_t)amg->lev[l].n *
             (lev_single(amg, l) ? sizeof(float) : sizeof(double)));
  return 0;
}

static int host_cheb(void *ctx, int l, double c1, double c2, const void *rv,
                     void *dv, void *xv, int x_zero) {
  const FmAmg *amg = ctx;
  const FmAmgLevel *L = &amg->lev[l];
  if (lev_single(amg, l)) {
    const float *r = rv, *dinv = L->dinvf, f1 = (float)c1, f2 = (float)c2;
    float *d = dv, *x = xv;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (L->n > 20000)
#endif
    for (int i = 0; i < L->n; i++) {
      const float di = (c1 == 0.0 ? 0.0f : f1 * d[i]) + f2 * dinv[i] * r[i];
      d[i] = di;
      x[i] = x_zero ? di : x[i] + di;
    }
    return 0;
  }
  const double *r = rv;
  double *d = dv, *x = xv;
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

static int host_coarse(void *ctx, const void *b, void *x) {
  const FmAmg *amg = ctx;
  const int lc = amg->nlev - 1, n = amg->lev[lc].n;
  if (!lev_single(amg, lc)) {
    chol_solve(amg->chol, n, b, x);
    return 0;
  }
  const float *bf = b;
  float *xf = x;
  for (int i = 0; i < n; i++)
    amg->cw[0][i] = bf[i];
  chol_solve(amg->chol, n, amg->cw[0], amg->cw[1]);
  for (int i = 0; i < n; i++)
    xf[i] = (float)amg->cw[1][i];
  return 0;
}

/* opt.single on the host: A (levels >= 1), P and R to float, their double
 * values freed; float diagonals; float work vectors below level 0 (the
 * cycle's vectors are allocated after this). */
static float *to_float(const double *v, int64_t n) {
  float *f = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  if (!f) {
    fm_error("amg: out of memory (single-precision hierarchy)");
    return NULL;
  }
  for (int64_t i = 0; i < n; i++)
    f[i] = (float)v[i];
  return f;
}

static int host_single(FmAmg *amg) {
  for (int l = 0; l < amg->nlev; l++) {
    FmAmgLevel *L = &amg->lev[l];
    if (L->P.ptr) {
      if (!(L->Pf = to_float(L->P.val, L->P.ptr[L->P.nrows])) ||
          (L->R.ptr && !(L->Rf = to_float(L->R.val, L->R.ptr[L->R.nrows]))))
        return 1;
      free(L->P.val);
      free(L->R.val);
      L->P.val = L->R.val = NULL;
    }
    if (l == 0)
      continue;
    if (!(L->Af = to_float(L->A.val, L->nnz)) ||
        !(L->dinvf = to_float(L->dinv, L->n)))
      return 1;
    free(L->A.val);
    L->A.val = NULL;
    L->Av.val = NULL;
  }
  return 0;
}

void fm_amg_host_ops(FmAmg *amg, FmAmgOps *o) {
  memset(o, 0, sizeof *o);
  o->ctx = amg;
  o->spmv = host_spmv;
  o->copy = host_copy;
  o->cheb = host_cheb;
  o->coarse = host_coarse;
  for (int l = 0; l < amg->nlev; l++) {
    o->b[l] = amg->w[l][0];
    o->x[l] = amg->w[l][1];
    o->r[l] = amg->w[l][2];
    o->d[l] = amg->w[l][3];
  }
}

/* z = D^-1 r: dinv scalar (bs 1) or 3x3 blocks per node (bs 3, 9 each,
 * row-major); returns r . z */
static double jacobi(int n, const double *dinv, int bs, const double *r,
                     double *z) {
  double rz = 0.0;
  for (int i = 0; i < n; i++) {
    if (bs == 3) {
      const double *m = dinv + 9 * (size_t)(i / 3) + 3 * (i % 3);
      const double *rb = r + 3 * (i / 3);
      z[i] = m[0] * rb[0] + m[1] * rb[1] + m[2] * rb[2];
    } else
      z[i] = dinv[i] * r[i];
    rz += r[i] * z[i];
  }
  return rz;
}

int fm_amg_lanczos_lmax(int n, const double *dinv, int bs,
                        void (*apply)(void *ctx, const double *x, double *y),
                        void *ctx, double *lmax) {
  enum { STEPS = FM_AMG_LANCZOS_STEPS };
  double *r = fm_calloc((size_t)n + 1, sizeof(double)),
         *z = fm_calloc((size_t)n + 1, sizeof(double)),
         *p = fm_calloc((size_t)n + 1, sizeof(double)),
         *q = fm_calloc((size_t)n + 1, sizeof(double));
  int ierr = !r || !z || !p || !q, k = 0;
  double alpha[STEPS], beta[STEPS], rz = 0.0;
  for (int i = 0; !ierr && i < n; i++)
    r[i] = fm_amg_random(i);
  if (!ierr) {
    rz = jacobi(n, dinv, bs, r, z);
    memcpy(p, z, (size_t)n * sizeof(double));
  }
  for (; !ierr && k < STEPS && rz > 0; k++) {
    apply(ctx, p, q);
    double pq = 0.0;
    for (int i = 0; i < n; i++)
      pq += p[i] * q[i];
    if (!(pq > 0))
      break;
    alpha[k] = rz / pq;
    for (int i = 0; i < n; i++)
      r[i] -= alpha[k] * q[i];
    const double rz1 = jacobi(n, dinv, bs, r, z);
    beta[k] = rz1 / rz;
    rz = rz1;
    for (int i = 0; i < n; i++)
      p[i] = z[i] + beta[k] * p[i];
  }
  free(r);
  free(z);
  free(p);
  free(q);
  if (ierr)
    return 1;
  const double l = fm_amg_lanczos_max(k, alpha, beta);
  if (!(l > 0) || !isfinite(l))
    return fm_error("amg: eigenvalue estimate failed (%g)", l);
  *lmax = l;
  return 0;
}

int fm_amg_apply(FmAmg *amg, const double *b, double *x) {
  if (!amg->dev.host)
    return fm_error("amg: the hierarchy is not in host memory");
  FmAmgOps o;
  fm_amg_host_ops(amg, &o);
  FmAmgShape s;
  fm_amg_shape(amg, &s);
  return fm_amg_cycle(&s, &o, b, x);
}
