#include "backend.h"

#include <string.h>

#include "error.h"

int fm_backend_create(const char *name, MPI_Comm comm, const FmModel *md,
                      FmBackend *be) {
  memset(be, 0, sizeof *be);
  be->comm = comm;
  be->md = md;
  if (!name || !name[0] || !strcmp(name, "cpu") || !strcmp(name, "auto"))
    return fm_backend_create_petsc(be);
  if (!strcmp(name, "ref")) return fm_backend_create_ref(be);
  if (!strcmp(name, "cuda"))
    return fm_error("backend cuda: this build of femora has no CUDA backend "
                    "(use --backend cpu)");
  return fm_error("backend '%s': unknown (choose cpu, ref, cuda or auto)", name);
}

void fm_backend_destroy(FmBackend *be) {
  if (be->destroy) be->destroy(be);
  memset(be, 0, sizeof *be);
}
