#include "partition.h"

#include <stdlib.h>

#include "error.h"

typedef struct {
  double key;
  int id;
} KeyId;

static int cmp_key(const void *a, const void *b) {
  const KeyId *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return (x->id > y->id) - (x->id < y->id);
}

/* Split ids[0..n) into parts [p0, p0+np) along the longest bounding-box axis,
 * proportionally to the number of parts on each side. */
static void rcb(int n, int *ids, const double *x, int p0, int np, int *part,
                KeyId *work) {
  if (np == 1 || n == 0) {
    for (int i = 0; i < n; i++)
      part[ids[i]] = p0;
    return;
  }
  double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
  for (int i = 0; i < n; i++)
    for (int k = 0; k < 3; k++) {
      const double v = x[3 * ids[i] + k];
      if (v < lo[k])
        lo[k] = v;
      if (v > hi[k])
        hi[k] = v;
    }
  int ax = 0;
  for (int k = 1; k < 3; k++)
    if (hi[k] - lo[k] > hi[ax] - lo[ax])
      ax = k;
  for (int i = 0; i < n; i++) {
    work[i].key = x[3 * ids[i] + ax];
    work[i].id = ids[i];
  }
  qsort(work, n, sizeof *work, cmp_key);
  for (int i = 0; i < n; i++)
    ids[i] = work[i].id;
  const int npl = np / 2;
  const int nl = (int)((long long)n * npl / np);
  rcb(nl, ids, x, p0, npl, part, work);
  rcb(n - nl, ids + nl, x, p0 + npl, np - npl, part, work);
}

int fm_partition_rcb(int n, const double *x, int nparts, int *part) {
  if (nparts < 1)
    return fm_error("partition: %d parts requested", nparts);
  int *ids = NULL;
  KeyId *work = NULL;
  FM_ALLOC(ids, n);
  work = fm_calloc(n, sizeof *work);
  if (!work) {
    free(ids);
    return 1;
  }
  for (int i = 0; i < n; i++)
    ids[i] = i;
  rcb(n, ids, x, 0, nparts, part, work);
  free(ids);
  free(work);
  return 0;
}
