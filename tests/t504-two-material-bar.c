/* Two-material bar in tension: the exact solution is piecewise linear, so
 * TET4 and TET10 reproduce it to solver precision (tolerance 1e-6).
 * u(L1+L2) = F L1/(E1 A) + F L2/(E2 A); sigma_xx = F/A in both materials;
 * nu/E is the same in both materials, so the lateral strain -nu sigma/E is
 * too and the state is exactly uniaxial (otherwise the interface restrains
 * the contraction and the 1D answer is not exact). */
#include "run_util.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRun run;
  run_case(PETSC_COMM_WORLD,
           "cases/validation/closed_form/two_material_bar.yaml", "t504.out",
           &run);
  const double F = 1000, area = 100, E1 = 200000, E2 = 70000, L1 = 50, L2 = 50;
  const FmResult *r = &run.res[0];
  CHECK_CLOSE(r->probes[probe_index(&run, "end")].displacement[0],
              F * L1 / (E1 * area) + F * L2 / (E2 * area), 1e-6, 0);
  CHECK_CLOSE(r->probes[probe_index(&run, "interface")].displacement[0],
              F * L1 / (E1 * area), 1e-6, 0);
  const int pl = probe_index(&run, "left_mid"),
            pr = probe_index(&run, "right_mid");
  CHECK_CLOSE(r->probes[pl].displacement[0], F * 25 / (E1 * area), 1e-6, 0);
  CHECK_CLOSE(r->probes[pr].displacement[0],
              F * L1 / (E1 * area) + F * 25 / (E2 * area), 1e-6, 0);
  /* lateral contraction u_y = -nu sigma/E * y */
  CHECK_CLOSE(r->probes[pl].displacement[1], -0.3 * 10 / E1 * 3, 1e-6, 0);
  CHECK_CLOSE(r->probes[pr].displacement[1], -0.105 * 10 / E2 * 7, 1e-6, 0);
  for (int g = 0; g < run.md.cs.nmaterials; g++) {
    CHECK_CLOSE(r->groups[g].max_principal, F / area, 1e-6, 0);
    CHECK_CLOSE(r->groups[g].max_von_mises, F / area, 1e-6, 0);
    CHECK(fabs(r->groups[g].min_principal) < 1e-6 * F / area,
          "min principal %g", r->groups[g].min_principal);
  }
  CHECK_CLOSE(r->reaction[0][0], -F, 1e-8, 0);
  fm_run_free(&run);
  PetscFinalize();
  TEST_END();
}
