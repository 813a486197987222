#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fm_errbuf[12288]; /* two paths of 4096 and the fault */

int fm_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(fm_errbuf, sizeof fm_errbuf, fmt, ap);
  va_end(ap);
  /* one line: fold any newline the caller let through (PETSc's messages
   * have some) into one space with the blanks around it */
  char *w = fm_errbuf;
  for (const char *p = fm_errbuf; *p; p++) {
    if (*p == '\n' || *p == '\r') {
      while (w > fm_errbuf && (w[-1] == ' ' || w[-1] == '\t'))
        w--;
      while (p[1] == ' ' || p[1] == '\t' || p[1] == '\n' || p[1] == '\r')
        p++;
      if (w > fm_errbuf && p[1])
        *w++ = ' ';
    } else
      *w++ = *p;
  }
  *w = 0;
  return 1;
}

const char *fm_error_message(void) {
  return fm_errbuf;
}

void fm_error_clear(void) {
  fm_errbuf[0] = 0;
}

/* n (at least 1) x size fits in a size_t; else 0 after fm_error */
static int size_fits(size_t *n, size_t size) {
  if (*n == 0)
    *n = 1;
  if (size && *n > SIZE_MAX / size) {
    fm_error("out of memory: %zu x %zu bytes requested", *n, size);
    return 0;
  }
  return 1;
}

void *fm_calloc(size_t n, size_t size) {
  if (!size_fits(&n, size))
    return NULL;
  void *p = calloc(n, size);
  if (!p)
    fm_error("out of memory: %zu bytes requested", n * size);
  return p;
}

void *fm_calloc_written(size_t n, size_t size) {
  if (!size_fits(&n, size))
    return NULL;
  const size_t bytes = n * size, piece = (size_t)1 << 20;
  char *p = malloc(bytes ? bytes : 1);
  if (!p) {
    fm_error("out of memory: %zu bytes requested", bytes);
    return NULL;
  }
  const size_t np = (bytes + piece - 1) / piece;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (np > 4)
#endif
  for (size_t k = 0; k < np; k++)
    memset(p + k * piece, 0, k + 1 < np ? piece : bytes - k * piece);
  return p;
}

void *fm_realloc(void *p, size_t n, size_t size) {
  if (!size_fits(&n, size))
    return NULL;
  void *q = realloc(p, n * size);
  if (!q)
    fm_error("out of memory: %zu bytes requested", n * size);
  return q;
}
