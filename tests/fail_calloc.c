/* LD_PRELOAD shim for t607: one calloc fails on one MPI rank.
 * FEMORA_FAIL_CALLOC=RANK:NMEMB:SIZE:NTH makes the NTH call
 * calloc(NMEMB, SIZE) of rank RANK (OMPI_COMM_WORLD_RANK) return NULL, as
 * memory running out on one rank of a job would. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *calloc(size_t nmemb, size_t size) {
  static void *(*next)(size_t, size_t);
  static int resolving, seen;
  static char early[8192]; /* dlsym may call calloc before next is known */
  if (!next) {
    if (resolving)
      return memset(early, 0, sizeof early);
    resolving = 1;
    next = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    resolving = 0;
  }
  const char *spec = getenv("FEMORA_FAIL_CALLOC");
  const char *rank = getenv("OMPI_COMM_WORLD_RANK");
  int r = -1, nth = 0;
  size_t n = 0, s = 0;
  if (spec && rank && sscanf(spec, "%d:%zu:%zu:%d", &r, &n, &s, &nth) == 4 &&
      atoi(rank) == r && nmemb == n && size == s && ++seen == nth) {
    fprintf(stderr, "fail_calloc: calloc(%zu, %zu) call %d on rank %d fails\n",
            nmemb, size, nth, r);
    return NULL;
  }
  return next(nmemb, size);
}
