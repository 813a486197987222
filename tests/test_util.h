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

#endif
