/* The small interface every solver backend fills (CPU/MPI through PETSc
 * today; CUDA next).  The CPU backend is the reference for the others.
 *
 * Life cycle: create -> assemble (matrix, prescribed displacements) -> setup
 * (preconditioner) -> solve (one call per load case, same matrix) -> destroy.
 * Vectors cross the interface in the model's node numbering, 3 values per
 * node, full length on every rank. */
#ifndef FEMORA_BACKEND_H
#define FEMORA_BACKEND_H

#include "fmpi.h"

#include "model.h"
#include "recover.h"

typedef struct {
  int iterations;
  double residual; /* the true residual ||b - A u|| over ||b|| on the free
                      DOFs (b = f - K g there; the prescribed rows' residual
                      is zero); the residual itself where ||b|| is 0 */
} FmSolveInfo;

typedef struct FmBackend FmBackend;
struct FmBackend {
  const char *name;
  MPI_Comm comm;
  const FmModel *md;
  void *data;
  /* filled by setup where it applies: the preconditioner in words ("amg: 3
   * levels, ...") and the GPU memory in use at the peak (MB; 0: no GPU) */
  char pc_detail[640];
  double device_peak_mb;
  /* the GPU's stiffness product and a device copy, GB/s (0: not measured;
   * FEMORA_GPU_SPMV_BENCH=1 with the cuda backend), and the seconds that
   * measurement took within setup (left out of the setup's time) */
  double spmv_gbs, copy_gbs, untimed_seconds;
  /* optional: the recovered fields of the last solve computed where u lives
   * (the GPU), called with ctx = this backend; NULL: the host does it */
  FmFieldsFn fields;
  /* 1: the whole model in one process (ref, cuda); under MPI every rank
   * then holds its own copy and solves its share of the load cases */
  int one_process;
  /* optional, set by the caller: called by the iterative solver after its
   * iterations with the relative residual (a progress line on long runs) */
  void (*progress)(void *ctx, int lc, int it, double rel);
  void *progress_ctx;
  int (*assemble)(FmBackend *be);
  int (*setup)(FmBackend *be);
  /* f: load vector (full, every rank).  u: displacement (full, every rank),
   * prescribed values included. lc names the load case in messages. */
  int (*solve)(FmBackend *be, int lc, const double *f, double *u,
               FmSolveInfo *info);
  void (*destroy)(FmBackend *be);
};

/* Create the backend named name: "cpu" (PETSc), "ref" (plain C reference),
 * "cuda" (not in this build), "auto" (the best available).
 * Errors name the backend and why it is unavailable. */
int fm_backend_create(const char *name, MPI_Comm comm, const FmModel *md,
                      FmBackend *be);
void fm_backend_destroy(FmBackend *be);

/* The hint of a solve that ended (converged by its recurrence, restarted)
 * short of solver.rtol in the true residual: rounding bounds the
 * attainable relative residual (about eps ||K|| ||u|| / ||b||), which thin
 * parts, large stiffness contrasts and weak supports raise above 1e-8 (a
 * plate 0.5 mm thick in a 100 mm model: about 1e-6). */
#define FM_SOLVE_FLOOR_HINT                                                    \
  "; a residual that stops falling is this model's rounding floor (thin "      \
  "parts, large stiffness contrasts, weak supports raise it): check the "      \
  "model, or set solver.rtol above the floor"

/* The verdict on a CG solve of the one-process backends (ref, cuda):
 * an error where CG broke down (p.Ap <= 0), stopped at solver.max_it
 * above its tolerance (that passed while the true residual was within 10
 * rtol), or ended with a true residual above 10 rtol or not finite. */
int fm_solve_verdict(const FmModel *md, int lc, const char *backend,
                     const FmSolveInfo *info, int not_converged, int breakdown);

/* Per-backend constructors. */
int fm_backend_create_petsc(FmBackend *be); /* "cpu": PETSc, MPI */
int fm_backend_create_ref(FmBackend *be);   /* "ref": plain C, 1 rank */
int fm_backend_create_cuda(FmBackend *be);  /* "cuda": one GPU */
/* Write the eliminated system of a case's first load case (plain-C
 * assembly; format in backend_ref.c) for external solvers. */
int fm_dump_system(const char *case_path, const char *out);

/* Number of usable CUDA devices (0 without a driver or a GPU). */
int fm_cuda_device_count(void);

#endif
