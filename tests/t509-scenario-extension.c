/* Growth scenario, extension: lengthening the implant re-meshes the
 * geometry script (node counts change) and the results change continuously:
 * 0.5 mm of extension on a 160 mm model moves the largest von Mises stress
 * of each material and the yearly damage by little (below 5% and a factor of
 * 2 respectively), and the implant, longer under the same load, bends more. */
#include "run_util.h"
#include "scenario.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRunOptions opt = {"t509.out", NULL, 1, NULL};
  FmScenarioResult r;
  if (system("rm -rf t509.out"))
    return 1;
  if (fm_scenario_run(PETSC_COMM_WORLD,
                      src_path("cases/test/scenario_extension.yaml"), &opt,
                      &r)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  CHECK(r.nsteps == 3, "steps %d", r.nsteps);
  CHECK(r.steps[0].nodes != r.steps[1].nodes ||
            r.steps[1].nodes != r.steps[2].nodes,
        "the mesh did not change with the extension (%d, %d, %d nodes)",
        r.steps[0].nodes, r.steps[1].nodes, r.steps[2].nodes);
  for (int g = 0; g < r.steps[0].ngroups; g++)
    for (int i = 1; i < 3; i++) {
      const double a = r.steps[i - 1].max_vm[g], b = r.steps[i].max_vm[g];
      CHECK(a > 0 && fabs(b - a) <= 0.05 * a, "%s: max von Mises %g -> %g",
            r.steps[i].group[g], a, b);
      if (r.steps[i].assessed[g] && r.steps[i - 1].damage[g] > 0) {
        const double q = r.steps[i].damage[g] / r.steps[i - 1].damage[g];
        CHECK(q > 0.5 && q < 2, "%s: damage %g -> %g", r.steps[i].group[g],
              r.steps[i - 1].damage[g], r.steps[i].damage[g]);
      }
    }
  /* the longer implant under the same hip load: larger bending moment */
  CHECK(!strcmp(r.steps[0].group[0], "implant"), "group 0 is %s",
        r.steps[0].group[0]);
  CHECK(r.steps[0].max_vm[0] < r.steps[1].max_vm[0] &&
            r.steps[1].max_vm[0] < r.steps[2].max_vm[0],
        "implant max von Mises not increasing with the extension: %g %g %g",
        r.steps[0].max_vm[0], r.steps[1].max_vm[0], r.steps[2].max_vm[0]);
  fm_scenario_result_free(&r);
  PetscFinalize();
  TEST_END();
}
