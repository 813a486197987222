/* Per-element time of the TET10 element math (solver/element.h) on the
 * host: the generic element-array forms against the node-by-node ones that
 * read the data where they lie (fm_tet10_*_at: the forms the GPU kernels
 * use).  Built and run by `scripts/bench --elements` at -O2 and -O3 (the
 * build's flags for solver/matfree.c, csr.c, recover.c: CMakeLists.txt).
 * Prints one markdown row per function: the median over R runs of N
 * elements each, in ns per element.
 * usage: element_bench OPT R N */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "element.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* a curved TET10 (mid-edge nodes off the chords), moved a little each
 * element so that nothing is hoisted out of the loop */
static void make_tet(double *xe) {
  const double c[4][3] = {
      {0.1, -0.2, 0.05}, {2.3, 0.1, -0.3}, {0.4, 1.7, 0.2}, {0.3, 0.5, 1.9}};
  const int E[6][2] = FM_TET10_EDGES;
  for (int a = 0; a < 4; a++)
    for (int i = 0; i < 3; i++)
      xe[3 * a + i] = c[a][i];
  for (int k = 0; k < 6; k++)
    for (int i = 0; i < 3; i++)
      xe[3 * (4 + k) + i] =
          0.5 * (c[E[k][0]][i] + c[E[k][1]][i]) + 0.01 * sin(k + i);
}

enum {
  ROWS_GENERIC,
  ROWS_AT,
  APPLY_GENERIC,
  APPLY_AT,
  STRESS_GENERIC,
  STRESS_AT,
  DIAGONAL_AT,
  NFN
};
static const char *const names[NFN] = {
    "stiffness, a node's rows: generic",
    "stiffness, a node's rows: fm_tet10_stiffness_rows_at",
    "action K_e u_e: fm_tet_apply_generic",
    "action K_e u_e: fm_tet10_apply_at",
    "recovery (stresses, forces): generic",
    "recovery (stresses, forces): fm_tet10_nodal_stress_at",
    "diagonal: fm_tet10_diagonal_at"};

/* one function per form, each with its own loop (as the solver's callers:
 * one large function holding them all is inlined and unrolled otherwise) */
#define LOOP(NAME, BODY)                                                       \
  static __attribute__((noinline)) double NAME(int n, double *sink) {          \
    double xe[30], u[30], f[30], K[90], sn[10][6], s = 0.0;                    \
    make_tet(xe);                                                              \
    for (int i = 0; i < 30; i++)                                               \
      u[i] = 1e-3 * cos(i);                                                    \
    (void)u, (void)f, (void)K, (void)sn;                                       \
    const double t0 = now();                                                   \
    for (int k = 0; k < n; k++) {                                              \
      xe[0] += 1e-13;                                                          \
      BODY                                                                     \
    }                                                                          \
    *sink += s;                                                                \
    return (now() - t0) / n * 1e9;                                             \
  }

LOOP(rows_generic, {
  fm_tet_stiffness_rows_generic(10, xe, 1.1e5, 0.34, k % 10, k % 10 + 1, K);
  s += K[k % 90];
})
LOOP(rows_at, {
  fm_tet_stiffness_row(10, xe, 1.1e5, 0.34, k % 10, K);
  s += K[k % 90];
})
LOOP(apply_generic, {
  fm_tet_apply_generic(10, xe, 1.1e5, 0.34, u, f);
  s += f[k % 30];
})
LOOP(apply_at, {
  fm_tet_apply(10, xe, 1.1e5, 0.34, u, f);
  s += f[k % 30];
})
LOOP(stress_generic, {
  for (int i = 0; i < 30; i++)
    f[i] = 0.0;
  fm_tet_nodal_stress_generic(10, xe, u, 1.1e5, 0.34, sn, f);
  s += f[k % 30] + sn[k % 10][k % 6];
})
LOOP(stress_at, {
  for (int i = 0; i < 30; i++)
    f[i] = 0.0;
  fm_tet_nodal_stress(10, xe, u, 1.1e5, 0.34, sn, f);
  s += f[k % 30] + sn[k % 10][k % 6];
})
LOOP(diagonal_at, {
  fm_tet_diagonal(10, xe, 1.1e5, 0.34, f);
  s += f[k % 30];
})

static double run(int fn, int n, double *sink) {
  double (*const fns[NFN])(int, double *) = {
      rows_generic,   rows_at,   apply_generic, apply_at,
      stress_generic, stress_at, diagonal_at};
  return fns[fn](n, sink);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: element_bench OPT R N\n");
    return 2;
  }
  const int R = atoi(argv[2]), n = atoi(argv[3]);
  if (R < 1 || R > 99 || n < 1) {
    fprintf(stderr, "element_bench: R in 1..99, N >= 1\n");
    return 2;
  }
  double sink = 0.0, t[NFN][99];
  for (int r = 0; r < R; r++) /* the functions interleaved, run by run */
    for (int fn = 0; fn < NFN; fn++)
      t[fn][r] = run(fn, n, &sink);
  for (int fn = 0; fn < NFN; fn++) {
    qsort(t[fn], R, sizeof(double), cmp);
    printf("| %s | %s | %.0f |\n", argv[1], names[fn], t[fn][R / 2]);
  }
  fprintf(stderr, "(checksum %g)\n", sink);
  return 0;
}
