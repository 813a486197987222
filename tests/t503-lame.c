/* Thick-walled cylinder under internal pressure (plane strain) vs Lame:
 * sigma_r = A - B/r^2, sigma_t = A + B/r^2, A = p a^2/(b^2-a^2),
 * B = p a^2 b^2/(b^2-a^2); u_r = (1+nu)/E ((1-2nu) A r + B/r);
 * sigma_z = 2 nu A.  Tolerances: displacement 0.2%, stresses 1.5%. */
#include "run_util.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRun run;
  run_case(PETSC_COMM_WORLD, "cases/validation/closed_form/lame_cylinder.yaml",
           "t503.out", &run);
  const double a = 10, b = 20, p = 100, E = 200000, nu = 0.3;
  const double A = p * a * a / (b * b - a * a),
               B = p * a * a * b * b / (b * b - a * a);
  const FmProbeValue *r15 = &run.res[0].probes[probe_index(&run, "r15")];
  const double r = 15;
  CHECK_CLOSE(r15->displacement[0],
              (1 + nu) / E * ((1 - 2 * nu) * A * r + B / r), 0.002, 0);
  CHECK_CLOSE(r15->stress[0], A - B / (r * r), 0.015, 0);
  CHECK_CLOSE(r15->stress[1], A + B / (r * r), 0.015, 0);
  CHECK_CLOSE(r15->stress[2], 2 * nu * A, 0.015, A);
  /* peak hoop stress at the bore */
  const FmProbeValue *in = &run.res[0].probes[probe_index(&run, "inner")];
  CHECK_CLOSE(in->stress[1], A + B / (a * a), 0.015, 0);
  CHECK_CLOSE(in->displacement[0],
              (1 + nu) / E * ((1 - 2 * nu) * A * a + B / a), 0.002, 0);
  const FmProbeValue *out = &run.res[0].probes[probe_index(&run, "outer")];
  CHECK_CLOSE(out->displacement[1],
              (1 + nu) / E * ((1 - 2 * nu) * A * b + B / b), 0.002, 0);
  CHECK(run.res[0].imbalance < 1e-6, "imbalance %g", run.res[0].imbalance);
  fm_run_free(&run);
  PetscFinalize();
  TEST_END();
}
