/* MPI for Femora: the real thing when the build has MPI (FEMORA_HAVE_MPI),
 * else a single-process stand-in with the few calls Femora uses, so that the
 * GPU build needs neither MPI nor PETSc. */
#ifndef FEMORA_FMPI_H
#define FEMORA_FMPI_H

#ifdef FEMORA_HAVE_MPI
#include <mpi.h>
#else
#include <string.h>
#include <time.h>

typedef int MPI_Comm;
typedef int MPI_Datatype;
typedef int MPI_Op;
#define MPI_COMM_WORLD 0
#define MPI_COMM_SELF 1
#define MPI_CHAR 1
#define MPI_BYTE 1
#define MPI_INT 4
#define MPI_DOUBLE 8
#define MPI_MIN 0
#define MPI_MAX 1
#define MPI_SUM 2
#define MPI_IN_PLACE ((void *)1)

static inline int MPI_Comm_rank(MPI_Comm c, int *r) {
  (void)c;
  *r = 0;
  return 0;
}
static inline int MPI_Comm_size(MPI_Comm c, int *s) {
  (void)c;
  *s = 1;
  return 0;
}
/* one process: the reduction of one value is the value */
static inline int MPI_Allreduce(const void *in, void *out, int n,
                                MPI_Datatype t, MPI_Op op, MPI_Comm c) {
  (void)op;
  (void)c;
  if (in != out && in != MPI_IN_PLACE)
    memmove(out, in, (size_t)n * (size_t)t);
  return 0;
}
static inline int MPI_Bcast(void *buf, int n, MPI_Datatype t, int root,
                            MPI_Comm c) {
  (void)buf, (void)n, (void)t, (void)root, (void)c;
  return 0;
}
/* one process sends to no other (never called: nothing is spread) */
#define MPI_STATUS_IGNORE NULL
static inline int MPI_Send(const void *buf, int n, MPI_Datatype t, int to,
                           int tag, MPI_Comm c) {
  (void)buf, (void)n, (void)t, (void)to, (void)tag, (void)c;
  return 1;
}
static inline int MPI_Recv(void *buf, int n, MPI_Datatype t, int from, int tag,
                           MPI_Comm c, void *status) {
  (void)buf, (void)n, (void)t, (void)from, (void)tag, (void)c, (void)status;
  return 1;
}
static inline int MPI_Barrier(MPI_Comm c) {
  (void)c;
  return 0;
}
static inline double MPI_Wtime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}
#endif

#endif
