#include "backend.h"

#include <string.h>

#include "error.h"

/* the CPU backend this build has, for the messages */
#ifdef FEMORA_HAVE_PETSC
#define FM_CPU_BACKEND "cpu"
#else
#define FM_CPU_BACKEND "ref"
#endif

int fm_backend_create(const char *name, MPI_Comm comm, const FmModel *md,
                      FmBackend *be) {
  memset(be, 0, sizeof *be);
  be->comm = comm;
  be->md = md;
  if (!name || !name[0])
    name = "cpu";
  if (!strcmp(name, "auto")) {
    /* the GPU when this build has one and a device is present, else the
     * CPU backend, else the reference */
#ifdef FEMORA_HAVE_CUDA
    if (fm_cuda_device_count() > 0)
      return fm_backend_create_cuda(be);
#endif
#ifdef FEMORA_HAVE_PETSC
    return fm_backend_create_petsc(be);
#else
    return fm_backend_create_ref(be);
#endif
  }
  if (!strcmp(name, "cpu")) {
#ifdef FEMORA_HAVE_PETSC
    return fm_backend_create_petsc(be);
#else
    return fm_error("backend cpu: this build of femora has no PETSc (built "
                    "with FEMORA_WITH_PETSC=OFF); use --backend ref or cuda");
#endif
  }
  if (!strcmp(name, "ref"))
    return fm_backend_create_ref(be);
  if (!strcmp(name, "cuda")) {
#ifdef FEMORA_HAVE_CUDA
    if (fm_cuda_device_count() <= 0)
      return fm_error("backend cuda: no CUDA device is available (no GPU or "
                      "no driver); use --backend " FM_CPU_BACKEND " or auto");
    return fm_backend_create_cuda(be);
#else
    return fm_error("backend cuda: this build of femora has no CUDA backend "
                    "(the CUDA toolkit was not found at build time); use "
                    "--backend " FM_CPU_BACKEND);
#endif
  }
  return fm_error("backend '%s': unknown (choose cpu, ref, cuda or auto)",
                  name);
}

void fm_backend_destroy(FmBackend *be) {
  if (be->destroy)
    be->destroy(be);
  memset(be, 0, sizeof *be);
}

int fm_solve_verdict(const FmModel *md, int lc, const char *backend,
                     const FmSolveInfo *info, int not_converged,
                     int breakdown) {
  const FmCase *c = &md->cs;
  const char *name = c->load_cases[lc].name;
  if (breakdown)
    return fm_error("%s: load_cases[%d] '%s': solver did not converge: CG "
                    "broke down after %d iterations (p.Ap or r.z <= 0: the "
                    "stiffness or the preconditioner is not positive "
                    "definite), relative residual %.3g (backend %s)",
                    c->path, lc, name, info->iterations, info->residual,
                    backend);
  if (not_converged)
    return fm_error("%s: load_cases[%d] '%s': solver did not converge "
                    "within solver.max_it = %d iterations: relative residual "
                    "%.3g, solver.rtol %g (backend %s)",
                    c->path, lc, name, c->max_it, info->residual, c->rtol,
                    backend);
  if (!(info->residual <= 10 * c->rtol))
    return fm_error("%s: load_cases[%d] '%s': solver did not converge: %d "
                    "iterations, true relative residual %.3g, more than 10 "
                    "times solver.rtol %g (backend %s)" FM_SOLVE_FLOOR_HINT,
                    c->path, lc, name, info->iterations, info->residual,
                    c->rtol, backend);
  return 0;
}
