/* Small helpers for Femora's tests: a failing check prints where and why and
 * makes the test exit non-zero.  Tests print nothing on success. */
#ifndef FEMORA_TEST_UTIL_H
#define FEMORA_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int fm_test_failures = 0;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
      fm_test_failures++;                                                      \
    }                                                                          \
  } while (0)

/* |got - want| <= tol * max(|want|, floor) */
#define CHECK_CLOSE(got, want, tol, floor_)                                    \
  do {                                                                         \
    const double g_ = (got), w_ = (want);                                      \
    const double s_ = fmax(fabs(w_), (floor_));                                \
    if (!(fabs(g_ - w_) <= (tol)*s_)) {                                        \
      fprintf(stderr,                                                          \
              "%s:%d: %s = %.12g, expected %.12g (rel. error %.3g > %.3g)\n",  \
              __FILE__, __LINE__, #got, g_, w_, fabs(g_ - w_) / s_,            \
              (double)(tol));                                                  \
      fm_test_failures++;                                                      \
    }                                                                          \
  } while (0)

#define TEST_END() return fm_test_failures ? 1 : 0

/* The Voigt stress (xx yy zz xy yz xz) with principal values d[3] in a frame
 * turned about z by 30 degrees, then about x by 45 (s = R diag(d) R^T): a
 * general state whose principal values are known exactly. */
static inline void test_rotated_stress(const double d[3], double s[6]) {
  const double c = sqrt(3.0) / 2, sn = 0.5, r2 = sqrt(0.5);
  const double Rz[3][3] = {{c, -sn, 0}, {sn, c, 0}, {0, 0, 1}};
  const double Rx[3][3] = {{1, 0, 0}, {0, r2, -r2}, {0, r2, r2}};
  double R[3][3] = {{0}}, S[3][3] = {{0}};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 3; k++)
        R[i][j] += Rx[i][k] * Rz[k][j];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int k = 0; k < 3; k++)
        S[i][j] += R[i][k] * d[k] * R[j][k];
  s[0] = S[0][0];
  s[1] = S[1][1];
  s[2] = S[2][2];
  s[3] = S[0][1];
  s[4] = S[1][2];
  s[5] = S[0][2];
}

#endif
