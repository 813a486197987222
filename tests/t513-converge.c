/* Mesh convergence: (1) the analysis recovers a known order and limit from
 * synthetic values f = f0 + C h^p on unequally refined meshes (Celik et al.
 * 2008 procedure); (2) femora converge on the Lame cylinder: three levels,
 * the displacement's extrapolated value within 0.05% of Lame's and its GCI
 * below 1%. */
#include "converge.h"
#include "run_util.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmConvergeResult r;
  memset(&r, 0, sizeof r);
  r.nlevels = 3;
  const int nodes[3] = {1000, 3000, 12000};
  const double f0 = 2.5, C = 4.0, p = 2.0;
  r.nq = 2;
  for (int l = 0; l < 3; l++) {
    r.nodes[l] = nodes[l];
    const double h = cbrt(1.0 / nodes[l]);
    r.q[0].value[l] = f0 + C * pow(h, p);
    r.q[1].value[l] = f0 + C * pow(-1.0, l) * pow(h, p); /* oscillating */
  }
  fm_converge_analyse(&r);
  CHECK_CLOSE(r.q[0].order, p, 1e-8, 0);
  CHECK_CLOSE(r.q[0].extrapolated, f0, 1e-10, 0);
  CHECK(!strcmp(r.q[0].behaviour, "monotone"), "behaviour %s",
        r.q[0].behaviour);
  CHECK(r.q[0].gci_fine > 0 && r.q[0].gci_fine < 0.1, "GCI %g",
        r.q[0].gci_fine);
  CHECK(!strcmp(r.q[1].behaviour, "oscillatory"), "behaviour %s",
        r.q[1].behaviour);

  FmConvergeOptions opt = {"t513.out", "h", 3, 1.5, NULL, 1};
  FmConvergeResult c;
  if (fm_converge(PETSC_COMM_WORLD,
                  src_path("cases/validation/closed_form/lame_cylinder.yaml"),
                  &opt, &c)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  CHECK(c.nlevels == 3 && c.nodes[0] < c.nodes[1] && c.nodes[1] < c.nodes[2],
        "nodes %d %d %d", c.nodes[0], c.nodes[1], c.nodes[2]);
  const double nu = 0.3, E = 200000, A = 100.0 / 3, B = 40000.0 / 3, rr = 15;
  const double exact = (1 + nu) / E * ((1 - 2 * nu) * A * rr + B / rr);
  CHECK(strstr(c.q[0].name, "displacement.x") != NULL, "quantity 0 is %s",
        c.q[0].name);
  CHECK_CLOSE(c.q[0].extrapolated, exact, 5e-4, 0);
  CHECK(c.q[0].gci_fine < 0.01, "GCI %g", c.q[0].gci_fine);
  PetscFinalize();
  TEST_END();
}
