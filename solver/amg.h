/* Smoothed-aggregation algebraic multigrid for the elasticity stiffness
 * (Vanek, Mandel and Brezina, Computing 56 (1996) 179-196), plain C.
 *
 * Setup, on the host or the GPU (one driver against a table of primitives,
 * FmAmgDev, whose data-parallel steps are written once in amg_steps.h): on
 * every level, aggregate the node graph (MIS(2) roots and their
 * neighbours, Bell, Dalton and Olson 2012, with a strength threshold on the
 * 3x3 / kxk block norms); build the tentative prolongator from the near-null
 * space (the six rigid-body modes on the finest level) by a QR factorisation
 * per aggregate, whose R gives the next level's near-null space; smooth it
 * once, P = (I - 4/(3 lmax) D^-1 A) P_tent, lmax the largest eigenvalue of D^-1
 * A from a few Lanczos steps; Galerkin coarse operator R A P with R = P^T;
 * until the level has at most coarse_max rows (or, up to 2 coarse_max, a
 * quarter of its entries nonzero), where a dense Cholesky factorisation
 * solves exactly.  Smoother: Chebyshev polynomial of degree
 * cheb_degree in D^-1 A (D the diagonal) on [lmax/10, 1.1 lmax].
 *
 * The V-cycle (fm_amg_cycle) is written once, against a small table of
 * operations (FmAmgOps): the host applies it with plain loops
 * (fm_amg_apply), the GPU backend with cuSPARSE and its kernels
 * (kernels/amg.cu), so both run the same algorithm on the same hierarchy.
 *
 * Matrices are scalar CSR with the DOFs of a node consecutive; prescribed
 * DOFs are eliminated (their rows and columns hold only a diagonal entry).
 * See docs/gpu.md for the algorithm's choices and their sources. */
#ifndef FEMORA_AMG_H
#define FEMORA_AMG_H

#include <stddef.h>
#include <stdint.h>

#include "csr.h"

#define FM_AMG_MAX_LEVELS 12

typedef struct {
  double theta;    /* strength threshold on block norms (0: every link) */
  int cheb_degree; /* smoothing steps before and after the coarse level */
  int coarse_max;  /* rows of the coarsest level at most (dense solve) */
  int max_levels;
  int verbose;         /* print the hierarchy to stdout */
  int single;          /* the cycle below level 0 (operators, P, R, diagonals,
                          vectors) in single precision; level 0 and CG in double */
  int galerkin;        /* FM_AMG_GALERKIN_*: how P, R and R A P are formed */
  int galerkin_chunks; /* blocks: A P formed in this many chunks of
                          aggregates (0: as many as keep a chunk under a
                          quarter of the level's operator) */
  int transpose_r;     /* R = P^T not kept: the cycle restricts with a
                          transposed product of P (less memory, the
                          product's speed to be measured on a GPU) */
} FmAmgOptions;

enum {
  FM_AMG_GALERKIN_BLOCKS, /* node-block patterns, rows filled in place by
                             the steps of amg_steps.h (host and GPU) */
  FM_AMG_GALERKIN_SPGEMM  /* general sparse products: the host's (csr.c) or
                             cuSPARSE SpGEMM (dev->galerkin) */
};

void fm_amg_default_options(FmAmgOptions *o);
/* The defaults, changed by FEMORA_AMG_THETA, FEMORA_AMG_DEGREE,
 * FEMORA_AMG_COARSE_MAX, FEMORA_AMG_VERBOSE, FEMORA_AMG_PRECISION
 * (double | single), FEMORA_AMG_GALERKIN (blocks | spgemm),
 * FEMORA_AMG_GALERKIN_CHUNKS and FEMORA_AMG_RESTRICT (stored | transpose)
 * where set (docs/gpu.md). */
int fm_amg_options_from_env(FmAmgOptions *o);
/* Put the case file and item in front of the recorded error ("CASE:
 * solver.preconditioner: amg: ..."); returns 1. */
int fm_amg_error_context(const char *case_path);

/* A CSR matrix where the setup runs (host or device pointers), columns
 * sorted within each row.  bs 3 (level 0's operator only): stored as 3x3
 * blocks, ptr over the rows / 3 block rows, col the block columns (sorted),
 * val 9 values per block, row-major; the setup's steps read it as the
 * scalar CSR it stands for (amg_steps.h, fm_amg_col).  bs 0 or 1: scalar. */
typedef struct {
  int rows, cols;
  const int64_t *ptr;
  const int *col;
  const double *val;
  int bs;
} FmAmgCsr;

struct FmAmgArgs; /* amg_steps.h */

/* Where the setup runs: memory, the data-parallel steps of amg_steps.h and
 * the few primitives between them.  The host's (fm_amg_host_dev) runs the
 * steps in OpenMP loops; the GPU's (kernels/amg.cu) as kernels, with
 * CUB scans and sorts (and cuSPARSE SpGEMM where asked), so that the
 * hierarchy of a GPU-assembled matrix is built where it is used, the same
 * as the host's.  Every int function returns 0, or 1 after fm_error. */
typedef struct {
  void *ctx;
  int host; /* memory the host can read (fm_amg_apply can run) */
  /* zeroed memory, or NULL after fm_error (level, what: for the message) */
  void *(*alloc)(void *ctx, size_t bytes, int level, const char *what);
  void (*release)(void *ctx, void *p);
  int (*put)(void *ctx, void *dst, const void *src, size_t bytes);
  int (*get)(void *ctx, void *dst, const void *src, size_t bytes);
  /* fm_amg_step(step, i, a) for every i in [0, n), in any order */
  int (*run)(void *ctx, int step, int64_t n, const struct FmAmgArgs *a);
  /* exclusive prefix sum of v[0..n) in place; v[n] = the total */
  int (*scan)(void *ctx, int64_t n, int64_t *v);
  /* perm = 0..n-1 ordered by key (values in [0, nkeys]), stable */
  int (*order)(void *ctx, int n, int nkeys, const int *key, int *perm);
  /* P = Pt + diag(s) A Pt, R = P^T and Ac = R A P, kept as level l's P and
   * R and level l+1's operator, whose view goes to *Ac; *pnnz: P's
   * nonzeros */
  int (*galerkin)(void *ctx, int l, const FmAmgCsr *A, const FmAmgCsr *Pt,
                  const double *s, FmAmgCsr *Ac, int64_t *pnnz);
  /* take over P and R of level l and the operator Ac of level l + 1, made
   * by the setup's own steps in memory from alloc (also on failure); the
   * view of the operator as kept to *Acv */
  int (*adopt)(void *ctx, int l, const FmAmgCsr *P, const FmAmgCsr *R,
               const FmAmgCsr *Ac, FmAmgCsr *Acv);
  /* forget what galerkin(l) or adopt(l) took (level l's P, R; level l+1's
   * operator) */
  void (*drop)(void *ctx, int l);
  /* a copy of A on the host */
  int (*download)(void *ctx, const FmAmgCsr *A, FmCsr *out);
} FmAmgDev;

typedef struct {
  int n;         /* rows */
  FmCsr A;       /* operator (host setup; level 0 only when taken over) */
  FmCsr P, R;    /* to and from the next coarser level (host setup; R
                    empty with opt.transpose_r) */
  FmAmgCsr Av;   /* the operator where the setup ran */
  double *dinv;  /* 1 / diagonal, where the setup ran */
  double emax;   /* upper end of the Chebyshev interval (1.1 lmax) */
  int nagg;      /* aggregates formed on this level (the next level's nodes) */
  int gchunks;   /* chunks of A P in the Galerkin step (blocks) */
  int64_t apnnz; /* nonzeros of A P formed, over the chunks */
  int64_t apwhole; /* nonzeros of A P (0: not formed by blocks) */
  int64_t nnz;     /* nonzeros of the operator and of P */
  int64_t pnnz;
  /* single precision (opt.single, host): the values of A (levels >= 1), P
   * and R in float (their double values freed), and the diagonal */
  float *Af, *Pf, *Rf, *dinvf;
} FmAmgLevel;

/* Named, timed phases of the setup (seconds, summed over the levels). */
enum {
  FM_AMG_T_GRAPH,     /* strength graph */
  FM_AMG_T_AGGREGATE, /* MIS(2) aggregation */
  FM_AMG_T_TENTATIVE, /* QR per aggregate, P_tent */
  FM_AMG_T_GALERKIN,  /* P = (I - w D^-1 A) P_tent, R = P^T, R A P */
  FM_AMG_T_SMOOTHER,  /* diagonals, eigenvalue estimates */
  FM_AMG_T_COARSE,    /* Cholesky of the coarsest level */
  FM_AMG_T_COUNT
};

typedef struct {
  FmAmgOptions opt;
  FmAmgDev dev;
  double t[FM_AMG_T_COUNT];
  int nlev;
  FmAmgLevel lev[FM_AMG_MAX_LEVELS];
  double *chol; /* coarsest level: lower Cholesky factor, n x n row-major */
  double pos_lo, pos_hi; /* range of the nodes' positions (a coordinate) */
  /* host cycle work vectors per level: b, x, r, d (float below level 0
   * with opt.single); the coarsest level's b and x in double for its
   * solve when they are float */
  void *w[FM_AMG_MAX_LEVELS][4];
  double *cw[2];
  double setup_seconds;
} FmAmg;

/* Build the hierarchy of A on the host (n = 3 nnodes rows, the DOFs of
 * node i at 3i..), x: 3 coordinates per node (the rigid-body modes),
 * fixed: per DOF, 1 where the DOF is prescribed (eliminated), may be NULL.
 * A is copied. */
int fm_amg_setup(const FmCsr *A, const double *x, const unsigned char *fixed,
                 const FmAmgOptions *opt, FmAmg *amg);
/* The same, taking A over when take (A is left empty; no copy of the fine
 * operator). */
int fm_amg_setup_ex(FmCsr *A, int take, const double *x,
                    const unsigned char *fixed, const FmAmgOptions *opt,
                    FmAmg *amg);
/* The same where dev runs it, from the view A of level 0's operator (which
 * stays the caller's).  The hierarchy stays there: the levels' Av and dinv
 * (dev's memory, freed by fm_amg_free unless a backend took them over and
 * set them to NULL), their P and R with dev. */
int fm_amg_setup_dev(const FmAmgDev *dev, const FmAmgCsr *A, const double *x,
                     const unsigned char *fixed, const FmAmgOptions *opt,
                     FmAmg *amg);
/* The host's FmAmgDev (ctx: amg, whose levels receive P, R and the coarse
 * operators). */
void fm_amg_host_dev(FmAmg *amg, FmAmgDev *dev);
void fm_amg_free(FmAmg *amg);
/* *out = a scalar copy of the host matrix A (3x3 blocks expanded) */
int fm_amg_host_copy(const FmAmgCsr *A, FmCsr *out);

/* x = M b: one V-cycle on the host (b and x of length lev[0].n). */
int fm_amg_apply(FmAmg *amg, const double *b, double *x);

/* Operator complexity (sum of nonzeros over levels / fine nonzeros). */
double fm_amg_complexity(const FmAmg *amg);
/* "smoothed aggregation: L levels (n0 -> ... rows), operator complexity C,
 * host setup S s" */
void fm_amg_describe(const FmAmg *amg, char *buf, size_t size);

/* Explicit inverse of the coarsest operator (n x n row-major) from the
 * Cholesky factor, for backends that apply it as a dense product. */
int fm_amg_coarse_inverse(const FmAmg *amg, double **inv);

/* ---- the V-cycle against a table of operations ---- */

enum { FM_AMG_A = 0, FM_AMG_P = 1, FM_AMG_R = 2 };

/* Vectors are the backend's, of the level's precision (double on level
 * 0; float below it with FmAmgOptions.single): the cycle only passes them
 * on. */
typedef struct {
  void *ctx;
  /* y = alpha M x + beta y, M = A, P or R of level l (beta 0: y not read);
   * x and y are vectors of the levels M maps between */
  int (*spmv)(void *ctx, int l, int which, double alpha, const void *x,
              double beta, void *y);
  /* y = x on level l */
  int (*copy)(void *ctx, int l, const void *x, void *y);
  /* Chebyshev step on level l: d = c1 d + c2 D^-1 r (d not read when
   * c1 == 0); x = d when x_zero, else x += d */
  int (*cheb)(void *ctx, int l, double c1, double c2, const void *r, void *d,
              void *x, int x_zero);
  /* x = A^-1 b on the coarsest level */
  int (*coarse)(void *ctx, const void *b, void *x);
  /* work vectors of each level l >= 1 (b, x) and every level (r, d) */
  void *b[FM_AMG_MAX_LEVELS], *x[FM_AMG_MAX_LEVELS];
  void *r[FM_AMG_MAX_LEVELS], *d[FM_AMG_MAX_LEVELS];
} FmAmgOps;

/* What the cycle needs to know of the hierarchy (copied from FmAmg so that
 * a backend can hold its levels elsewhere). */
typedef struct {
  int nlev, degree;
  int n[FM_AMG_MAX_LEVELS];
  double emax[FM_AMG_MAX_LEVELS];
} FmAmgShape;

void fm_amg_shape(const FmAmg *amg, FmAmgShape *s);

/* The host's operations on a hierarchy set up on the host (to compose a
 * cycle with levels of its own above it: pmg.c). */
void fm_amg_host_ops(FmAmg *amg, FmAmgOps *o);

/* Preconditioned CG steps of the Chebyshev smoothers' estimate of the
 * largest eigenvalue of D^-1 A (every level of the multigrid, and the
 * p-multigrid's top): the tridiagonal's largest Ritz value approaches it
 * from below.  Ten (PETSc's number) left it at 0.82 of the true value on
 * a two-material bar of stiffness contrast 1e7, below the 1.1 margin: the
 * smoother then amplified the top modes, the cycle was not positive
 * definite and CG broke down (a review's study, seventeenth session);
 * twenty reach it there, for ten more operator products per level in the
 * setup. */
#define FM_AMG_LANCZOS_STEPS 20

/* The largest eigenvalue of the Lanczos tridiagonal of k preconditioned
 * CG steps (alpha, beta: CG's step lengths and direction factors; 1 when
 * k is 0). */
double fm_amg_lanczos_max(int k, const double *alpha, const double *beta);

/* The largest eigenvalue of D^-1 A from FM_AMG_LANCZOS_STEPS Lanczos steps
 * of the host, A
 * applied by apply(ctx, x, y): y = A x, from the setup's pseudo-random
 * start; dinv: 1 / the diagonal (bs 1), or the inverse 3x3 diagonal
 * blocks, 9 per node row-major (bs 3).  The smoothers' estimate for an
 * operator that is not stored (pmg.c). */
int fm_amg_lanczos_lmax(int n, const double *dinv, int bs,
                        void (*apply)(void *ctx, const double *x, double *y),
                        void *ctx, double *lmax);

/* A cycle with one level of the caller's above a hierarchy (the
 * p-multigrid: pmg.c, and the GPU backend): ops' level 0 is top's (its
 * functions are called with l = 0 only; its r[0] and d[0] are level 0's
 * work vectors), levels 1.. are inner's levels 0.., with inner's work
 * vectors; shape = level 0 (n0 rows, emax0, in's degree) then in's
 * levels.  ops.ctx is the stack itself: keep it where it is while the
 * cycle runs. */
typedef struct {
  FmAmgOps top, inner;
  FmAmgShape shape;
  FmAmgOps ops;
} FmAmgStack;
/* fill st (an error where the levels would be more than
 * FM_AMG_MAX_LEVELS) */
int fm_amg_stack(FmAmgStack *st, const FmAmgOps *top, const FmAmgOps *inner,
                 const FmAmgShape *in, int n0, double emax0);

/* x = M b on level 0 (b, x: the backend's vectors of length n[0]). */
int fm_amg_cycle(const FmAmgShape *s, const FmAmgOps *ops, const double *b,
                 double *x);

#endif
