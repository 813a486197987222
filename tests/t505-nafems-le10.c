/* NAFEMS LE10 thick plate under pressure (NAFEMS, "The Standard NAFEMS
 * Benchmarks", 1990, LE10): sigma_yy at D (2, 0, 0.3) = -5.38 MPa.  The
 * target is itself a converged reference; tolerance 3% on this mesh. */
#include "run_util.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRun run;
  run_case(PETSC_COMM_WORLD,
           "cases/validation/published_benchmark/nafems_le10.yaml", "t505.out",
           &run);
  const FmProbeValue *D = &run.res[0].probes[probe_index(&run, "D")];
  CHECK_CLOSE(D->stress[1], -5.38, 0.03, 0);
  fm_run_free(&run);
  PetscFinalize();
  TEST_END();
}
