/* Small dense linear algebra on the host (linalg.h). */
#include "linalg.h"

#include <math.h>
#include <stddef.h>

void fm_sym_eigen(int n, double *a, double *ev, double *v) {
#define A(i, j) a[(i)*n + (j)]
  if (v)
    for (int i = 0; i < n; i++)
      for (int j = 0; j < n; j++)
        v[i * n + j] = i == j;
  for (int i = 0; i < n * n; i++)
    if (!isfinite(a[i])) { /* not a number in, none out */
      for (int k = 0; k < n; k++)
        ev[k] = NAN;
      return;
    }
  for (int sweep = 0; sweep < 100; sweep++) {
    double off = 0.0, diag = 0.0;
    for (int p = 0; p < n; p++) {
      diag += A(p, p) * A(p, p);
      for (int q = p + 1; q < n; q++)
        off += A(p, q) * A(p, q);
    }
    if (!(off > 1e-300) || !(off > 1e-34 * diag))
      break;
    for (int p = 0; p < n; p++)
      for (int q = p + 1; q < n; q++) {
        if (fabs(A(p, q)) < 1e-300)
          continue;
        /* the rotation that zeroes a[p][q] */
        const double th = (A(q, q) - A(p, p)) / (2.0 * A(p, q));
        const double t =
            (th >= 0 ? 1.0 : -1.0) / (fabs(th) + sqrt(th * th + 1.0));
        const double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
        for (int k = 0; k < n; k++) { /* columns p, q */
          const double akp = A(k, p), akq = A(k, q);
          A(k, p) = c * akp - s * akq;
          A(k, q) = s * akp + c * akq;
        }
        for (int k = 0; k < n; k++) { /* rows p, q */
          const double apk = A(p, k), aqk = A(q, k);
          A(p, k) = c * apk - s * aqk;
          A(q, k) = s * apk + c * aqk;
        }
        if (v)
          for (int k = 0; k < n; k++) { /* eigenvectors: rows of v */
            const double vp = v[p * n + k], vq = v[q * n + k];
            v[p * n + k] = c * vp - s * vq;
            v[q * n + k] = s * vp + c * vq;
          }
      }
  }
  for (int i = 0; i < n; i++)
    ev[i] = A(i, i);
#undef A
}
