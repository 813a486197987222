/* Growth scenario on two ranks: each rank solves its own age steps (here
 * steps 0 and 2 on rank 0, step 1 on rank 1); the gathered results equal the
 * closed-form yearly damage of the zero-growth bar (see t508). */
#include "run_util.h"
#include "scenario.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  int rank;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  FmRunOptions opt = {"t603.out", NULL, 1, NULL};
  if (rank == 0 && system("rm -rf t603.out"))
    return 1;
  MPI_Barrier(PETSC_COMM_WORLD);
  FmScenarioResult r;
  if (fm_scenario_run(PETSC_COMM_WORLD,
                      src_path("cases/test/scenario_zero_growth.yaml"), &opt,
                      &r)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  const double sar = 200 / (1 - 200.0 / 900), N = 0.5 * pow(sar / 1000, -10);
  const double year = 50 * 365.25 / N; /* 100 steps: 50 gait cycles a day */
  for (int i = 0; i < 3; i++) {
    CHECK_CLOSE(r.steps[i].damage[0], year, 1e-6, 0);
    CHECK_CLOSE(r.steps[i].cumulative[0], i * year, 1e-6, 1e-300);
  }
  fm_scenario_result_free(&r);
  PetscFinalize();
  TEST_END();
}
