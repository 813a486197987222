/* The host's symmetric eigen-solver (fm_sym_eigen): for matrices built as
 * Q diag(lambda) Q^T from chosen eigenvalues (distinct, repeated, spread
 * over 12 orders of magnitude as the rigid-body check's are, and zero),
 * the eigenvalues come back to rounding and each eigenvector satisfies
 * A v = lambda v with unit length; a NaN entry ends it with a NaN
 * eigenvalue, not a hang. */
#include <math.h>
#include <string.h>

#include "linalg.h"
#include "test_util.h"

/* an orthogonal Q from Householder reflections of a fixed pseudo-random
 * sequence, then a = Q diag(lam) Q^T */
static void build(int n, const double *lam, unsigned seed, double *a) {
  double q[64];
  for (int i = 0; i < n * n; i++)
    q[i] = (i % (n + 1)) == 0;
  for (int r = 0; r < 3; r++) {
    double w[8], nw = 0;
    for (int i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      w[i] = (double)((seed >> 8) & 0xffff) / 65536.0 - 0.5;
      nw += w[i] * w[i];
    }
    for (int j = 0; j < n; j++) { /* q = (I - 2 w w^T / |w|^2) q */
      double d = 0;
      for (int i = 0; i < n; i++)
        d += w[i] * q[i * n + j];
      for (int i = 0; i < n; i++)
        q[i * n + j] -= 2 * w[i] * d / nw;
    }
  }
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int k = 0; k < n; k++)
        s += q[i * n + k] * lam[k] * q[j * n + k];
      a[i * n + j] = s;
    }
}

static int cmp(const void *x, const void *y) {
  const double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

static void check(int n, const double *lam, unsigned seed) {
  double a[64], a0[64], ev[8], v[64], want[8];
  build(n, lam, seed, a);
  memcpy(a0, a, sizeof(double) * n * n);
  double norm = 0;
  for (int i = 0; i < n * n; i++)
    norm = fmax(norm, fabs(a0[i]));
  fm_sym_eigen(n, a, ev, v);
  for (int i = 0; i < n; i++) { /* A v_i = ev_i v_i, |v_i| = 1 */
    double len = 0, res = 0;
    for (int r = 0; r < n; r++) {
      double s = 0;
      for (int k = 0; k < n; k++)
        s += a0[r * n + k] * v[i * n + k];
      res = fmax(res, fabs(s - ev[i] * v[i * n + r]));
      len += v[i * n + r] * v[i * n + r];
    }
    CHECK(res <= 1e-13 * norm, "n %d: residual of eigenpair %d: %g", n, i, res);
    CHECK_CLOSE(len, 1.0, 1e-13, 1.0);
  }
  memcpy(want, lam, sizeof(double) * n);
  qsort(want, n, sizeof(double), cmp);
  qsort(ev, n, sizeof(double), cmp);
  for (int i = 0; i < n; i++)
    CHECK(fabs(ev[i] - want[i]) <= 1e-13 * norm,
          "n %d: eigenvalue %d = %.17g, expected %.17g", n, i, ev[i], want[i]);
}

int main(void) {
  const double d3[3] = {3.0, -1.0, 0.5};
  const double r3[3] = {2.0, 2.0, -7.0}; /* a repeated pair */
  const double t3[3] = {4.0, 4.0, 4.0};  /* already diagonal */
  const double d6[6] = {1e12, 3e11, 2.0, 1e-1, 0.0, 5e5};
  const double r6[6] = {1.0, 1.0, 1.0, 0.0,
                        0.0, 0.0}; /* a rigid-body null
                                      space */
  const double d8[8] = {-4, -3, -2, -1, 1, 2, 3, 4};
  check(3, d3, 1u);
  check(3, r3, 7u);
  check(3, t3, 3u);
  check(6, d6, 11u);
  check(6, r6, 5u);
  check(8, d8, 13u);
  check(1, d3, 1u);

  /* eigenvalues only (v NULL) agree with those with vectors */
  double a[64], ev[8], b[64], ev2[8], v[64];
  build(6, d6, 17u, a);
  memcpy(b, a, sizeof a);
  fm_sym_eigen(6, a, ev, NULL);
  fm_sym_eigen(6, b, ev2, v);
  for (int i = 0; i < 6; i++)
    CHECK(ev[i] == ev2[i], "eigenvalue %d without vectors %.17g vs %.17g", i,
          ev[i], ev2[i]);

  /* a NaN ends the iteration and shows in the eigenvalues */
  build(3, d3, 1u, a);
  a[1] = a[3] = NAN;
  fm_sym_eigen(3, a, ev, v);
  CHECK(isnan(ev[0]) || isnan(ev[1]) || isnan(ev[2]),
        "NaN entry gave eigenvalues %g %g %g", ev[0], ev[1], ev[2]);
  TEST_END();
}
