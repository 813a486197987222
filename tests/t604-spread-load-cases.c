/* A one-process backend (ref; cuda alike: t910 runs this on the CUDA
 * simulator, each rank its own device) under MPI: every rank assembles
 * the whole model and solves its share of the load cases (load case k on
 * rank k mod size), and rank 0 gathers them.  Two ranks give rank 0's
 * single-process answer for both load cases (same code, same threads: to
 * 1e-12 relative), with the iteration counts of the rank that solved each;
 * a load case that fails on rank 1 fails the run on every rank with its
 * message.  Run with mpiexec -n 2. */
#include "run_util.h"

static void write_case(const char *path, int max_it) {
  /* FEMORA_T604_BACKEND: the backend (ref; cuda on the CUDA simulator's
   * build with MPI: t910) */
  const char *backend = getenv("FEMORA_T604_BACKEND");
  if (!backend || !*backend)
    backend = "ref";
  FILE *fp = fopen(path, "w");
  fprintf(
      fp,
      "mesh: {file: %s, order: 2}\n"
      "materials: {solid: {E: 110000, nu: 0.34}}\n"
      "constraints: [{group: xmin, fix: [x, y, z]}]\n"
      "load_cases:\n"
      "  - {name: pull, loads: [{group: xmax, total_force: [100, 0, 0]}]}\n"
      "  - {name: bend, loads: [{group: xmax, total_force: [0, 10, -20]}]}\n"
      "  - {name: twist, loads: [{group: xmax, total_force: [0, 0, 5]}]}\n"
      "solver: {backend: %s, rtol: 1e-10, max_it: %d}\n"
      "output: {vtu: false}\n",
      src_path("meshes/test/box_tet10.msh"), backend, max_it);
  fclose(fp);
}

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  CHECK(size == 2, "expected 2 ranks, got %d", size);
  if (rank == 0)
    write_case("t604.yaml", 1000);
  MPI_Barrier(PETSC_COMM_WORLD);
  FmRunOptions o1 = {"t604-np1.out", NULL, 1, NULL},
               o2 = {"t604-np2.out", NULL, 1, NULL};
  FmRun one, two;
  memset(&one, 0, sizeof one);
  if (rank == 0 && fm_run(PETSC_COMM_SELF, "t604.yaml", &o1, &one)) {
    fprintf(stderr, "one rank: %s\n", fm_error_message());
    return 1;
  }
  MPI_Barrier(PETSC_COMM_WORLD);
  if (fm_run(PETSC_COMM_WORLD, "t604.yaml", &o2, &two)) {
    fprintf(stderr, "rank %d: two ranks: %s\n", rank, fm_error_message());
    return 1;
  }
  if (rank == 0) {
    CHECK(one.nlc == 3 && two.nlc == 3, "load cases %d and %d", one.nlc,
          two.nlc);
    for (int lc = 0; lc < one.nlc && lc < two.nlc; lc++) {
      double dmax = 0, umax = 0;
      for (int i = 0; i < 3 * one.md.mesh.nnodes; i++) {
        dmax = fmax(dmax, fabs(one.res[lc].u[i] - two.res[lc].u[i]));
        umax = fmax(umax, fabs(one.res[lc].u[i]));
      }
      CHECK(umax > 0 && dmax <= 1e-12 * umax,
            "load case %d: two ranks differ by %g of %g", lc, dmax, umax);
      CHECK(one.info[lc].iterations == two.info[lc].iterations,
            "load case %d: %d iterations on one rank, %d reported on two", lc,
            one.info[lc].iterations, two.info[lc].iterations);
      CHECK_CLOSE(two.res[lc].groups[0].max_von_mises,
                  one.res[lc].groups[0].max_von_mises, 1e-12, 0);
      /* the fields, recovered by the rank that solved the load case (its
       * device with cuda) and sent to rank 0: rank 0's own */
      const int nc = one.post.ncopy;
      double vdiff = 0, vmax = 0;
      for (int k = 0; k < nc; k++) {
        vdiff = fmax(vdiff, fabs(one.res[lc].vm[k] - two.res[lc].vm[k]));
        vmax = fmax(vmax, fabs(one.res[lc].vm[k]));
        for (int t = 0; t < 6; t++)
          vdiff = fmax(vdiff, fabs(one.res[lc].stress[6 * k + t] -
                                   two.res[lc].stress[6 * k + t]));
        for (int t = 0; t < 3; t++)
          vdiff = fmax(vdiff, fabs(one.res[lc].princ[3 * k + t] -
                                   two.res[lc].princ[3 * k + t]));
      }
      CHECK(vmax > 0 && vdiff <= 1e-10 * vmax,
            "load case %d: two ranks' stress fields differ by %g of %g", lc,
            vdiff, vmax);
      for (int i = 0; i < 3; i++)
        CHECK_CLOSE(two.res[lc].reaction_sum[i], one.res[lc].reaction_sum[i],
                    1e-10,
                    fmax(fabs(one.res[lc].applied[0]),
                         fmax(fabs(one.res[lc].applied[1]),
                              fabs(one.res[lc].applied[2]))));
    }
  }
  /* every rank holds every solution */
  for (int lc = 0; lc < two.nlc; lc++)
    CHECK(two.res[lc].u != NULL, "rank %d: no solution of load case %d", rank,
          lc);
  if (rank == 0)
    fm_run_free(&one);
  fm_run_free(&two);

  /* a failure on one rank fails the run on both, with its message */
  if (rank == 0)
    write_case("t604-fail.yaml", 2);
  MPI_Barrier(PETSC_COMM_WORLD);
  FmRunOptions o3 = {"t604-fail.out", NULL, 1, NULL};
  FmRun bad;
  const int ierr = fm_run(PETSC_COMM_WORLD, "t604-fail.yaml", &o3, &bad);
  CHECK(ierr != 0, "rank %d: a load case that cannot converge passed", rank);
  CHECK(strstr(fm_error_message(), "did not converge") != NULL,
        "rank %d: message: %s", rank, fm_error_message());
  fm_run_free(&bad); /* what the failed run holds */
  PetscFinalize();
  TEST_END();
}
