/* Femora error handling: every function returns 0 on success or non-zero on
 * failure, after recording one human-readable line with fm_error().  The CLI
 * prints that line.  Messages name the input file, the item and the fault,
 * for example
 *   "case.yaml: materials.implant.E: must be > 0 (got -5)". */
#ifndef FEMORA_ERROR_H
#define FEMORA_ERROR_H

#include <stdarg.h>

#if defined(__GNUC__)
#define FM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FM_PRINTF(a, b)
#endif

/* Record an error message (printf style) and return 1.  A later call
 * overwrites an earlier one unless fm_error_keep() is used. */
int fm_error(const char *fmt, ...) FM_PRINTF(1, 2);
/* Return the last recorded message ("" when none). */
const char *fm_error_message(void);
/* Clear the recorded message. */
void fm_error_clear(void);

/* Propagate a failing call. */
#define FM_CALL(expr)                                                          \
  do {                                                                         \
    int fm_call_ierr_ = (expr);                                                \
    if (fm_call_ierr_)                                                         \
      return fm_call_ierr_;                                                    \
  } while (0)

/* Allocation helpers: zeroed memory, error recorded on failure. */
#include <stddef.h>
void *fm_calloc(size_t n, size_t size);
/* As fm_calloc, with the zeros written now (by every OpenMP thread when
 * large), for memory that is read before it is written, as sums (+=) are:
 * a page of calloc's first read maps the shared zero page, and its first
 * write then faults again and flushes the other cores' TLBs. */
void *fm_calloc_written(size_t n, size_t size);
void *fm_realloc(void *p, size_t n, size_t size);
#define FM_ALLOC(ptr, n)                                                       \
  do {                                                                         \
    (ptr) = fm_calloc((size_t)(n), sizeof(*(ptr)));                            \
    if (!(ptr))                                                                \
      return 1;                                                                \
  } while (0)

#endif
