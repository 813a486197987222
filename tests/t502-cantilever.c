/* Cantilever under a tip shear force vs Timoshenko beam theory.
 * Reference: Timoshenko & Goodier; delta = P L^3/(3EI) + P L/(kappa G A),
 * kappa = 10(1+nu)/(12+11nu) (Cowper 1966) for a rectangle.  Tolerance 2%:
 * the clamped root of the 3D model restrains Poisson contraction, which
 * beam theory ignores. */
#include "run_util.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRun run;
  run_case(PETSC_COMM_WORLD, "cases/validation/closed_form/cantilever.yaml",
           "t502.out", &run);
  const double P = 100, L = 100, b = 10, h = 10, E = 200000, nu = 0.3;
  const double Iz = b * h * h * h / 12, area = b * h,
               shear_mod = E / (2 * (1 + nu));
  const double kappa = 10 * (1 + nu) / (12 + 11 * nu);
  const double delta =
      P * L * L * L / (3 * E * Iz) + P * L / (kappa * shear_mod * area);
  const FmProbeValue *tip = &run.res[0].probes[probe_index(&run, "tip")];
  CHECK_CLOSE(-tip->displacement[2], delta, 0.02, 0);
  /* bending stress at mid-span, top fibre: sigma_xx = M c / I with
   * M = P (L - x) (tension on top for a downward tip load); 2% */
  const FmProbeValue *mid = &run.res[0].probes[probe_index(&run, "top_mid")];
  CHECK_CLOSE(mid->stress[0], P * (L - 50) * (h / 2) / Iz, 0.02, 0);
  /* reaction balances the load */
  CHECK_CLOSE(run.res[0].reaction[0][2], P, 1e-6, 0);
  CHECK(run.res[0].imbalance < 1e-6, "imbalance %g", run.res[0].imbalance);
  fm_run_free(&run);
  PetscFinalize();
  TEST_END();
}
