/* The pipeline: case -> mesh -> assemble -> setup -> solve every load case
 * -> recover -> outputs.  Each phase is timed and logged. */
#ifndef FEMORA_RUN_H
#define FEMORA_RUN_H

#include "fmpi.h"

#include "backend.h"
#include "fatigue_post.h"
#include "recover.h"

typedef struct {
  const char *outdir;  /* results directory (created); NULL: write nothing */
  const char *backend; /* overrides the case's solver.backend when set */
  int quiet;           /* no progress lines on stdout */
  const char *pc;      /* overrides the case's solver.preconditioner when set
                          (amg, pmg or jacobi) */
} FmRunOptions;

typedef struct {
  double mesh, assembly, setup, solve, recovery, output, total;
} FmTimings;

typedef struct {
  double value, error; /* error: relative or absolute, as the tolerance */
  int pass;
} FmCheck;

typedef struct {
  FmModel md;
  FmPost post;
  int nlc;
  FmResult *res;     /* per load case (rank 0 only; others hold u alone) */
  FmSolveInfo *info; /* per load case */
  FmCheck *checks;   /* one per md.cs.expected (rank 0) */
  int has_fatigue;
  FmFatigueResult fatigue; /* rank 0, when the case has a fatigue section */
  FmTimings t;
  int ranks;
  int threads;               /* OpenMP threads per process (rank 0's) */
  double peak_mb;            /* largest resident set over the ranks */
  double device_peak_mb;     /* GPU memory in use at the peak (0: no GPU) */
  double spmv_gbs, copy_gbs; /* the GPU's stiffness product and a device
                                copy, GB/s (0: not measured) */
  char pc_detail[640];       /* the preconditioner, when the backend says */
  double model_size;         /* the diagonal of the mesh's bounding box */
  const char *backend;       /* the backend that ran ("cpu", "ref", "cuda";
                                md.cs.backend is the one asked for) */
} FmRun;

/* Run a case.  Collective over comm; on error every rank returns non-zero
 * with the same message, and no result file is left in outdir. */
int fm_run(MPI_Comm comm, const char *case_path, const FmRunOptions *opt,
           FmRun *run);
/* The same for a case already read (and possibly modified) in memory: the
 * case is taken over (and left empty). */
int fm_run_case(MPI_Comm comm, FmCase *cs, const FmRunOptions *opt, FmRun *run);
void fm_run_free(FmRun *run);

/* Make every rank of comm agree on failure: returns non-zero on every rank
 * when ierr is non-zero on any, with the message of the lowest failing rank
 * recorded everywhere (so that rank 0 can print it). */
int fm_sync_error(MPI_Comm comm, int ierr);

/* Write summary.json for a finished run (path + ".tmp"; renamed by fm_run). */
int fm_write_summary_tmp(const FmRun *run, const char *path);

/* The OpenMP threads for one of `sharers` processes started on the same
 * CPUs: the threads this process would start (OpenMP's default: one per
 * CPU it may run on) divided by sharers, at least 1; 0 (leave them as they
 * are) where the user set OMP_NUM_THREADS or sharers <= 1.  Never more
 * threads than CPUs; where ranks are bound to different sockets it can
 * leave cores idle in the threaded parts rather than oversubscribe them. */
int fm_shared_threads(int sharers);
/* The ranks of comm on this node (those that share its memory), 1 without
 * MPI.  Collective over comm. */
int fm_local_ranks(MPI_Comm comm);
/* This process's OpenMP threads set to fm_shared_threads(sharers) where
 * that is not 0: OpenMPI binds more than 2 ranks to a socket each and
 * oversubscribed ones to nothing, so each would otherwise start a thread
 * per core, and N ranks N times the cores' threads in Femora's threaded
 * parts (assembly, mesh check, the plain-C solver). */
void fm_share_cores(int sharers);

#define FEMORA_VERSION "0.1.0"

#endif
