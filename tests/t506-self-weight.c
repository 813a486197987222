/* Column under its own weight hung by a traction on its top face: the exact
 * solution is quadratic (sigma_zz = g z, u_z = g (z^2 + nu (x^2 + y^2))/(2E),
 * u_x = -nu g x z / E), so TET10 must reproduce it to solver precision at
 * every node: checks body-force and traction integration, a point (dim 0)
 * constraint and symmetry constraints.  Tolerance 1e-7 of the largest
 * displacement. */
#include "run_util.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRun run;
  run_case(PETSC_COMM_WORLD, "cases/validation/closed_form/self_weight.yaml",
           "t506.out", &run);
  const double g = 1e-3, E = 110000, nu = 0.34;
  const FmMesh *m = &run.md.mesh;
  double err = 0, umax = 0;
  for (int i = 0; i < m->nnodes; i++) {
    const double x = m->x[3 * i], y = m->x[3 * i + 1], z = m->x[3 * i + 2];
    const double ex[3] = {-nu * g * x * z / E, -nu * g * y * z / E,
                          g * (z * z + nu * (x * x + y * y)) / (2 * E)};
    for (int k = 0; k < 3; k++) {
      err = fmax(err, fabs(run.res[0].u[3 * i + k] - ex[k]));
      umax = fmax(umax, fabs(ex[k]));
    }
  }
  CHECK(err <= 1e-7 * umax, "max nodal error %g of %g", err, umax);
  const FmProbeValue *p = &run.res[0].probes[probe_index(&run, "inside")];
  CHECK_CLOSE(p->stress[2], g * 42.5, 1e-6, 0);
  CHECK(fabs(p->stress[0]) < 1e-6 * g * 100, "sigma_xx %g", p->stress[0]);
  /* the weight is carried by the traction: nothing reacts in z */
  CHECK(fabs(run.res[0].applied[2]) < 1e-9, "net applied force %g",
        run.res[0].applied[2]);
  fm_run_free(&run);
  PetscFinalize();
  TEST_END();
}
