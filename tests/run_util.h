/* Running a bundled case from a test: PETSc initialised once, results in
 * memory, files under the test's working directory. */
#ifndef FEMORA_TEST_RUN_UTIL_H
#define FEMORA_TEST_RUN_UTIL_H

#ifdef FEMORA_HAVE_PETSC
#include <petscsys.h>
#else
#define PETSC_COMM_WORLD MPI_COMM_WORLD
#define PETSC_COMM_SELF MPI_COMM_SELF
#define PetscFinalize() ((void)0)
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "run.h"
#include "test_util.h"

static inline void test_init(int *argc, char ***argv) {
#ifdef FEMORA_HAVE_PETSC
  if (PetscInitialize(argc, argv, NULL, NULL))
    exit(2);
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
#else
  (void)argc, (void)argv;
#endif
}

/* Path of a file in the source tree. */
static inline const char *src_path(const char *rel) {
  static char buf[8][4096];
  static int k = 0;
  const char *root = getenv("FEMORA_SOURCE_DIR");
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof buf[k], "%s/%s", root ? root : "..", rel);
  return buf[k];
}

/* Run a case; abort the test with the error message on failure. */
static inline void run_case(MPI_Comm comm, const char *case_rel,
                            const char *outdir, FmRun *run) {
  FmRunOptions opt = {outdir, NULL, 1, NULL};
  if (fm_run(comm, src_path(case_rel), &opt, run)) {
    fprintf(stderr, "%s: run failed: %s\n", case_rel, fm_error_message());
    exit(1);
  }
}

static inline int probe_index(const FmRun *run, const char *name) {
  for (int p = 0; p < run->md.cs.nprobes; p++)
    if (!strcmp(run->md.cs.probes[p].name, name))
      return p;
  fprintf(stderr, "no probe %s\n", name);
  exit(1);
}

#endif
