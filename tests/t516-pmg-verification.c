/* The p-multigrid over the matrix-free stiffness (`ref` backend,
 * --preconditioner pmg) on the TET10 verification cases of
 * cases/validation/: every expected result of each case, with the
 * reference value, source and tolerance the case carries (docs/
 * verification.md: Timoshenko cantilever, Lame cylinder, self weight,
 * NAFEMS LE10), must pass; and the solutions agree with the `amg`
 * preconditioner's on the assembled stiffness to 1e-6 of the largest
 * displacement. */
#include <math.h>

#include "run_util.h"

static void check_case(const char *case_rel, const char *out1,
                       const char *out2) {
  FmRun a, b;
  FmRunOptions oa = {out1, "ref", 1, "pmg"}, ob = {out2, "ref", 1, "amg"};
  if (fm_run(PETSC_COMM_WORLD, src_path(case_rel), &oa, &a) ||
      fm_run(PETSC_COMM_WORLD, src_path(case_rel), &ob, &b)) {
    fprintf(stderr, "%s: %s\n", case_rel, fm_error_message());
    exit(1);
  }
  CHECK(strstr(a.pc_detail, "p-multigrid") != NULL, "%s: not pmg: %s", case_rel,
        a.pc_detail);
  const int ne = a.md.cs.nexpected;
  CHECK(ne > 0, "%s: no expected results", case_rel);
  for (int k = 0; k < ne && a.checks; k++)
    CHECK(a.checks[k].pass, "%s: expected result %d: %g (error %g)", case_rel,
          k, a.checks[k].value, a.checks[k].error);
  for (int lc = 0; lc < a.nlc; lc++) {
    double d = 0, um = 0;
    for (int i = 0; i < 3 * a.md.mesh.nnodes; i++) {
      d = fmax(d, fabs(a.res[lc].u[i] - b.res[lc].u[i]));
      um = fmax(um, fabs(b.res[lc].u[i]));
    }
    CHECK(um > 0 && d <= 1e-6 * um,
          "%s: load case %d: pmg and amg differ "
          "by %g of %g",
          case_rel, lc, d, um);
  }
  printf("%s: pmg %d iterations, amg %d\n", case_rel, a.info[0].iterations,
         b.info[0].iterations);
  fm_run_free(&a);
  fm_run_free(&b);
}

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  check_case("cases/validation/closed_form/cantilever.yaml", "t516-a.out",
             "t516-b.out");
  check_case("cases/validation/closed_form/lame_cylinder.yaml", "t516-c.out",
             "t516-d.out");
  check_case("cases/validation/closed_form/self_weight.yaml", "t516-e.out",
             "t516-f.out");
  check_case("cases/validation/published_benchmark/nafems_le10.yaml",
             "t516-g.out", "t516-h.out");
  PetscFinalize();
  TEST_END();
}
