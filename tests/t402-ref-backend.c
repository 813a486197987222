/* The plain-C reference backend (CG + its smoothed-aggregation multigrid)
 * and the PETSc backend (CG + p-MG/GAMG) agree to 1e-6 relative in
 * displacement (both solved to rtol 1e-10) on a TET4 bar, the TET10
 * segmental implant, and a box held by partial constraints only (three
 * multigrid levels), the last two also with the reference's p-multigrid
 * over its matrix-free TET10 stiffness: the reference every other backend
 * is checked against is itself checked here. */
#include "run_util.h"

static void compare(const char *case_rel, const char *out1, const char *out2) {
  FmRun a, b;
  FmRunOptions oa = {out1, "cpu", 1, NULL}, ob = {out2, "ref", 1, NULL};
  if (fm_run(PETSC_COMM_WORLD, src_path(case_rel), &oa, &a) ||
      fm_run(PETSC_COMM_WORLD, src_path(case_rel), &ob, &b)) {
    fprintf(stderr, "%s: %s\n", case_rel, fm_error_message());
    exit(1);
  }
  for (int lc = 0; lc < a.nlc; lc++) {
    double dmax = 0, umax = 0;
    for (int i = 0; i < 3 * a.md.mesh.nnodes; i++) {
      dmax = fmax(dmax, fabs(a.res[lc].u[i] - b.res[lc].u[i]));
      umax = fmax(umax, fabs(a.res[lc].u[i]));
    }
    CHECK(umax > 0 && dmax <= 1e-6 * umax,
          "%s: load case %d differs by %g of %g", case_rel, lc, dmax, umax);
    CHECK(b.info[lc].residual <= 1e-10 * 10, "%s: ref residual %g", case_rel,
          b.info[lc].residual);
  }
  fm_run_free(&a);
  fm_run_free(&b);
}

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  compare("cases/test/ref_bar_tet4.yaml", "t402-a.out", "t402-b.out");
  compare("cases/test/ref_segmental.yaml", "t402-c.out", "t402-d.out");
  /* partial constraints, three multigrid levels */
  setenv("FEMORA_AMG_COARSE_MAX", "100", 1);
  compare("cases/test/ref_partial_constraints.yaml", "t402-e.out",
          "t402-f.out");
  /* the p-multigrid over the matrix-free TET10 stiffness (PETSc: its own
   * p-multigrid over GAMG on the assembled matrix) */
  compare("cases/test/ref_segmental_pmg.yaml", "t402-g.out", "t402-h.out");
  compare("cases/test/ref_partial_pmg.yaml", "t402-i.out", "t402-j.out");
  unsetenv("FEMORA_AMG_COARSE_MAX");
  PetscFinalize();
  TEST_END();
}
