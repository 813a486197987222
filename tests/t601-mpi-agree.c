/* One rank and two ranks agree: rank 0 solves the case alone (on
 * PETSC_COMM_SELF), then both ranks solve it together; displacements must
 * agree to 1e-6 relative (solver tolerance 1e-10).  Run with mpiexec -n 2. */
#include "run_util.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  CHECK(size == 2, "expected 2 ranks, got %d", size);
  FmRun one, two;
  memset(&one, 0, sizeof one);
  if (rank == 0)
    run_case(PETSC_COMM_SELF, "cases/test/segmental_mpi.yaml", "t601-np1.out",
             &one);
  MPI_Barrier(PETSC_COMM_WORLD);
  run_case(PETSC_COMM_WORLD, "cases/test/segmental_mpi.yaml", "t601-np2.out",
           &two);
  CHECK(two.ranks == 2, "ranks %d", two.ranks);
  if (rank == 0) {
    CHECK(one.md.mesh.nnodes == two.md.mesh.nnodes, "node counts differ");
    for (int lc = 0; lc < one.nlc; lc++) {
      const int n = 3 * one.md.mesh.nnodes;
      double dmax = 0, umax = 0;
      for (int i = 0; i < n; i++) {
        dmax = fmax(dmax, fabs(one.res[lc].u[i] - two.res[lc].u[i]));
        umax = fmax(umax, fabs(one.res[lc].u[i]));
      }
      CHECK(umax > 0 && dmax <= 1e-6 * umax,
            "load case %d: max difference %g of max %g", lc, dmax, umax);
      for (int g = 0; g < one.md.cs.nmaterials; g++)
        CHECK_CLOSE(two.res[lc].groups[g].max_von_mises,
                    one.res[lc].groups[g].max_von_mises, 1e-6, 0);
    }
  }
  if (rank == 0)
    fm_run_free(&one);
  fm_run_free(&two);
  PetscFinalize();
  TEST_END();
}
