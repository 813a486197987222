/* CPU/MPI backend: PETSc matrix assembled in parallel (each rank assembles
 * the elements it owns), CG preconditioned by GAMG with the rigid-body
 * near-null space.  Every PETSc option passes through (-ksp_type, -pc_type,
 * -mat_type aijcusparse for a CUDA-enabled PETSc, ...). */
#include <math.h>
#include <petscksp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "csr.h"
#include "element.h"
#include "error.h"
#include "partition.h"
#include "run.h"

typedef struct {
  int rank, size;
  int nnodes, nown, start; /* owned nodes are [start, start + nown) */
  int *perm;               /* model node -> PETSc node */
  int *part;               /* owner rank of every model node */
  Mat A;
  KSP ksp;
  Vec b, x, r, lift, xall;
  VecScatter toall;
  PetscReal diag;
  PetscInt ndir_loc;
  PetscInt *dir_row; /* owned prescribed rows (PETSc numbering) */
  PetscScalar *dir_val;
  double t_assemble, t_setup;
  FmBackend *be;       /* for the progress callback */
  int lc;              /* load case being solved */
  PetscReal bnorm;     /* ||b|| on the free DOFs, for the progress line */
  PetscReal rtol_base; /* the KSP's rtol after the options: each solve
                          scales it to ||b|| on the free DOFs */
  long long too_many;  /* the most nonzeros of a rank, past PETSc's indices */
} PetscData;

/* The largest index PETSc takes (PetscInt: 32 bits in Debian's build);
 * FEMORA_PETSC_MAX_INDEX lowers it (tests: t720). */
static long long petsc_max_index(void) {
  const char *e = getenv("FEMORA_PETSC_MAX_INDEX");
  const long long v = e && *e ? atoll(e) : 0;
  return v > 0 && v < (long long)PETSC_MAX_INT ? v : (long long)PETSC_MAX_INT;
}

/* Turn a PETSc error code into one Femora error line: PETSc's message
 * where the error started ("Unknown Mat type given: baij"; fm_error folds
 * its newlines) and the code's generic text. */
static int petsc_fail(PetscErrorCode ierr, const char *what) {
  const char *text = NULL;
  char *specific = NULL;
  PetscErrorMessage(ierr, &text, &specific);
  if (specific && specific[0])
    return fm_error("PETSc: %s failed: %s (%s, error %d)", what, specific,
                    text ? text : "unknown error", (int)ierr);
  return fm_error("PETSc: %s failed: %s (error %d)", what,
                  text ? text : "unknown error", (int)ierr);
}
#define PCALL(call, what)                                                      \
  do {                                                                         \
    PetscErrorCode pe_ = (call);                                               \
    if (pe_)                                                                   \
      return petsc_fail(pe_, what);                                            \
  } while (0)

/* The matrix takes its type from the options (-mat_type).  Femora hands
 * PETSc its rows as CSR arrays, which the AIJ family takes: aij, aijperm,
 * aijsell, and aijcusparse / aijkokkos in a PETSc built with CUDA / Kokkos
 * (docs/gpu.md); other types (baij, sbaij, dense, ...) would be left
 * unassembled, so they are refused by name. */
static PetscErrorCode mat_set_from_options(Mat A) {
  PetscFunctionBeginUser;
  char name[64] = "";
  PetscBool set = PETSC_FALSE;
  PetscCall(
      PetscOptionsGetString(NULL, NULL, "-mat_type", name, sizeof name, &set));
  PetscErrorCode e = MatSetFromOptions(A);
  if (e == PETSC_ERR_ARG_UNKNOWN_TYPE)
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_UNKNOWN_TYPE,
            "-mat_type %s: a type this PETSc does not have (aijcusparse "
            "needs a PETSc built with CUDA, docs/gpu.md)",
            name);
  PetscCall(e);
  /* either form (an mpiaij type on one rank has only the MPI one) */
  void (*seq)(void) = NULL, (*mpi)(void) = NULL;
  PetscCall(PetscObjectQueryFunction((PetscObject)A,
                                     "MatSeqAIJSetPreallocationCSR_C", &seq));
  PetscCall(PetscObjectQueryFunction((PetscObject)A,
                                     "MatMPIAIJSetPreallocationCSR_C", &mpi));
  if (!seq && !mpi) {
    MatType type;
    PetscCall(MatGetType(A, &type));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_SUP,
            "-mat_type %s: Femora assembles AIJ matrices (aij, aijperm, "
            "aijsell; aijcusparse with a CUDA-enabled PETSc)",
            set ? name : type);
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode assemble_matrix(FmBackend *be, PetscData *d) {
  const FmModel *md = be->md;
  const FmMesh *m = &md->mesh;
  const int nn = m->nnodes;
  PetscFunctionBeginUser;
  /* Each rank builds the rows of the nodes it owns, with no communication
   * (elements on a rank boundary are computed by both ranks). */
  const int nown = d->nown;
  const PetscInt nrow = 3 * (PetscInt)nown;
  /* the matrix's type first: a type refused costs no assembly */
  PetscCall(MatCreate(be->comm, &d->A));
  PetscCall(MatSetSizes(d->A, nrow, nrow, 3 * (PetscInt)nn, 3 * (PetscInt)nn));
  PetscCall(MatSetBlockSize(d->A, 3));
  PetscCall(MatSetType(d->A, MATAIJ));
  PetscCall(mat_set_from_options(d->A));
  int *rows;
  FmBlockCsr B;
  PetscCall(PetscMalloc1(nown + 1, &rows));
  for (int i = 0; i < nn; i++)
    if (d->part[i] == d->rank)
      rows[d->perm[i] - d->start] = i;
  /* a rank's assembly failing (its memory) is every rank's error, with
   * its message: one stopping alone would leave the others waiting in the
   * reduction below */
  const int failed = fm_csr_assemble(md, nown, rows, d->perm, &B) != 0;
  PetscCall(PetscFree(rows));
  if (fm_sync_error(be->comm, failed)) {
    if (!failed)
      fm_csr_free(&B);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "%s", fm_error_message());
  }
  /* PETSc's indices: a rank's nonzeros must fit them (a 32-bit PetscInt
   * holds about 25M DOF of TET10 rows on one rank) */
  {
    /* decided on every rank alike (the most of any rank): a rank that
     * stopped here alone would leave the others waiting in PETSc */
    long long most = 9 * (long long)B.ptr[nown];
    MPI_Allreduce(MPI_IN_PLACE, &most, 1, MPI_LONG_LONG, MPI_MAX, be->comm);
    if (most > petsc_max_index()) {
      d->too_many = most;
      fm_csr_free(&B);
      PetscFunctionReturn(0);
    }
  }
  /* scalar CSR: row 3r+p holds the 3 columns of every neighbour block */
  PetscInt *ia, *ja;
  PetscScalar *va;
  PetscCall(PetscMalloc1(nrow + 1, &ia));
  PetscCall(PetscMalloc1(9 * B.ptr[nown] + 1, &ja));
  PetscCall(PetscMalloc1(9 * B.ptr[nown] + 1, &va));
  /* Block row r starts at 9 B.ptr[r]; its scalar row p at 3 deg p beyond
   * that, so every block row is converted on its own (on every core). */
  ia[nrow] = 9 * (PetscInt)B.ptr[nown];
#pragma omp parallel for schedule(static)
  for (int r = 0; r < nown; r++) {
    const PetscInt deg = (PetscInt)(B.ptr[r + 1] - B.ptr[r]);
    for (int p = 0; p < 3; p++) {
      const PetscInt at = 9 * (PetscInt)B.ptr[r] + 3 * deg * p;
      ia[3 * r + p] = at;
      for (PetscInt k = 0; k < deg; k++)
        for (int q = 0; q < 3; q++) {
          ja[at + 3 * k + q] = 3 * (PetscInt)B.col[B.ptr[r] + k] + q;
          va[at + 3 * k + q] = B.val[9 * (B.ptr[r] + k) + 3 * p + q];
        }
    }
  }
  fm_csr_free(&B);
  PetscCall(MatSeqAIJSetPreallocationCSR(d->A, ia, ja, va));
  PetscCall(MatMPIAIJSetPreallocationCSR(d->A, ia, ja, va));
  PetscCall(PetscFree(ia));
  PetscCall(PetscFree(ja));
  PetscCall(PetscFree(va));
  PetscCall(MatSetOption(d->A, MAT_SYMMETRIC, PETSC_TRUE));
  PetscCall(MatSetOption(d->A, MAT_SPD, PETSC_TRUE));

  /* prescribed displacements: lift = A g, then zero rows and columns */
  PetscCall(MatCreateVecs(d->A, &d->x, &d->b));
  PetscCall(VecDuplicate(d->b, &d->lift));
  PetscCall(VecDuplicate(d->b, &d->r));
  PetscInt nloc = 0;
  for (int k = 0; k < md->ndir; k++)
    nloc += d->part[md->dir_dof[k] / 3] == d->rank;
  PetscCall(PetscMalloc1(nloc + 1, &d->dir_row));
  PetscCall(PetscMalloc1(nloc + 1, &d->dir_val));
  d->ndir_loc = 0;
  for (int k = 0; k < md->ndir; k++) {
    const int node = md->dir_dof[k] / 3, comp = md->dir_dof[k] % 3;
    if (d->part[node] != d->rank)
      continue;
    d->dir_row[d->ndir_loc] = 3 * (PetscInt)d->perm[node] + comp;
    d->dir_val[d->ndir_loc++] = md->dir_val[k];
  }
  PetscCall(VecSet(d->x, 0.0));
  PetscCall(
      VecSetValues(d->x, d->ndir_loc, d->dir_row, d->dir_val, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(d->x));
  PetscCall(VecAssemblyEnd(d->x));
  PetscCall(MatMult(d->A, d->x, d->lift));
  /* diagonal scale for the prescribed rows: mean |diag| keeps GAMG happy */
  PetscCall(MatGetDiagonal(d->A, d->r));
  PetscCall(VecAbs(d->r));
  PetscScalar sum;
  PetscCall(VecSum(d->r, &sum));
  d->diag = PetscRealPart(sum) / (3.0 * nn);
  if (!(d->diag > 0))
    d->diag = 1.0;
  PetscCall(
      MatZeroRowsColumns(d->A, d->ndir_loc, d->dir_row, d->diag, NULL, NULL));

  /* rigid-body near-null space from the coordinates */
  Vec coords;
  PetscCall(VecCreate(be->comm, &coords));
  PetscCall(VecSetSizes(coords, 3 * d->nown, PETSC_DECIDE));
  PetscCall(VecSetBlockSize(coords, 3));
  PetscCall(VecSetFromOptions(coords));
  PetscScalar *cx;
  PetscCall(VecGetArray(coords, &cx));
  for (int i = 0; i < nn; i++)
    if (d->part[i] == d->rank)
      for (int k = 0; k < 3; k++)
        cx[3 * (d->perm[i] - d->start) + k] = m->x[3 * i + k];
  PetscCall(VecRestoreArray(coords, &cx));
  MatNullSpace nsp;
  PetscCall(MatNullSpaceCreateRigidBody(coords, &nsp));
  PetscCall(MatSetNearNullSpace(d->A, nsp));
  PetscCall(MatNullSpaceDestroy(&nsp));
  PetscCall(VecDestroy(&coords));

  PetscCall(VecScatterCreateToAll(d->x, &d->toall, &d->xall));
  PetscFunctionReturn(0);
}

static int petsc_assemble(FmBackend *be) {
  PetscData *d = be->data;
  const FmMesh *m = &be->md->mesh;
  MPI_Comm_rank(be->comm, &d->rank);
  MPI_Comm_size(be->comm, &d->size);
  d->nnodes = m->nnodes;
  /* the DOFs themselves are PETSc indices (the same on every rank) */
  if (3 * (long long)m->nnodes > petsc_max_index())
    return fm_error("%s: %lld DOFs, more than PETSc's indices take (%lld): "
                    "use a PETSc configured --with-64-bit-indices, or "
                    "--backend ref",
                    be->md->cs.path, 3 * (long long)m->nnodes,
                    petsc_max_index());
  /* memory failing on one rank: every rank stops here, before PETSc's
   * collectives */
  d->perm = fm_calloc(m->nnodes, sizeof(int));
  d->part = fm_calloc(m->nnodes, sizeof(int));
  int *count = fm_calloc(d->size + 1, sizeof(int));
  int bad = !d->perm || !d->part || !count;
  if (!bad)
    bad = fm_partition_rcb(m->nnodes, m->x, d->size, d->part);
  if (fm_sync_error(be->comm, bad)) {
    free(count);
    return 1;
  }
  for (int i = 0; i < m->nnodes; i++)
    count[d->part[i] + 1]++;
  for (int p = 0; p < d->size; p++)
    count[p + 1] += count[p];
  d->start = count[d->rank];
  d->nown = count[d->rank + 1] - count[d->rank];
  for (int i = 0; i < m->nnodes; i++)
    d->perm[i] = count[d->part[i]]++;
  free(count);
  PCALL(assemble_matrix(be, d), "matrix assembly");
  if (d->too_many)
    return fm_error("%s: a rank holds %lld nonzeros of the stiffness (the most "
                    "of %d rank%s; %lld DOFs in all), more than PETSc's "
                    "indices take (%lld): run on more ranks (--np), or with a "
                    "PETSc configured --with-64-bit-indices, or use --backend "
                    "ref",
                    be->md->cs.path, d->too_many, d->size,
                    d->size > 1 ? "s" : "", 3 * (long long)m->nnodes,
                    petsc_max_index());
  return 0;
}

/* p-multigrid for TET10: the fine level is smoothed by Chebyshev with 3x3
 * point-block Jacobi; the
 * coarse level is the linear (TET4) field on the corner nodes, reached by the
 * exact embedding P (corner -> itself, mid node -> mean of its edge's two
 * corners), with the Galerkin operator P^T A P and GAMG (rigid-body
 * near-null space, strength threshold 0.05) on it.  Prescribed coarse
 * DOFs are left out of the
 * interpolation so that the correction vanishes on prescribed DOFs.
 * Switch off with -femora_pmg 0 (then GAMG works on the TET10 matrix). */
/* GAMG drops links weaker than 0.05 (relative; the threshold of Femora's
 * own smoothed aggregation) when it aggregates; PETSc's options (given
 * later, KSPSetFromOptions) override it */
static PetscErrorCode gamg_threshold(PC pc) {
  PetscReal threshold = 0.05;
  PetscFunctionBeginUser;
  PetscCall(PCGAMGSetThreshold(pc, &threshold, 1));
  PetscFunctionReturn(0);
}

static PetscErrorCode setup_pmg(FmBackend *be, PetscData *d, PC pc) {
  const FmModel *md = be->md;
  const FmMesh *m = &md->mesh;
  const int nn = m->nnodes;
  static const int E[6][2] = FM_TET10_EDGES;
  PetscFunctionBeginUser;
  int *ends, *cid;
  char *fixed;
  PetscCall(PetscMalloc1(2 * (size_t)nn, &ends));
  PetscCall(PetscMalloc1(nn, &cid));
  PetscCall(PetscCalloc1(3 * (size_t)nn, &fixed));
  for (int i = 0; i < 2 * nn; i++)
    ends[i] = -1;
  for (int e = 0; e < m->nelem; e++) {
    const int *c = m->conn + (size_t)e * 10;
    for (int k = 0; k < 6; k++) {
      ends[2 * c[4 + k]] = c[E[k][0]];
      ends[2 * c[4 + k] + 1] = c[E[k][1]];
    }
  }
  for (int k = 0; k < md->ndir; k++)
    fixed[md->dir_dof[k]] = 1;
  /* coarse numbering follows the PETSc node order, so that each rank owns a
   * contiguous block of corner nodes */
  int *iperm, *ccount;
  PetscCall(PetscMalloc1(nn, &iperm));
  PetscCall(PetscCalloc1(d->size + 1, &ccount));
  for (int i = 0; i < nn; i++)
    iperm[d->perm[i]] = i;
  int nc = 0;
  for (int k = 0; k < nn; k++) {
    const int i = iperm[k];
    cid[i] = ends[2 * i] < 0 ? nc++ : -1;
    if (ends[2 * i] < 0)
      ccount[d->part[i] + 1]++;
  }
  for (int r = 0; r < d->size; r++)
    ccount[r + 1] += ccount[r];
  const PetscInt ncown = ccount[d->rank + 1] - ccount[d->rank];
  Mat P, Ac;
  PetscCall(MatCreateAIJ(be->comm, 3 * d->nown, 3 * ncown, 3 * (PetscInt)nn,
                         3 * (PetscInt)nc, 2, NULL, 2, NULL, &P));
  PetscCall(MatSetOption(P, MAT_NEW_NONZERO_ALLOCATION_ERR, PETSC_FALSE));
  Vec coords;
  PetscScalar *cx;
  PetscCall(VecCreateMPI(be->comm, 3 * ncown, PETSC_DETERMINE, &coords));
  PetscCall(VecSetBlockSize(coords, 3));
  PetscCall(VecGetArray(coords, &cx));
  const PetscInt cstart = ccount[d->rank];
  for (int i = 0; i < nn; i++) {
    if (d->part[i] != d->rank)
      continue;
    for (int k = 0; k < 3; k++) {
      const PetscInt row = 3 * (PetscInt)d->perm[i] + k;
      if (cid[i] >= 0) {
        PetscCall(
            MatSetValue(P, row, 3 * (PetscInt)cid[i] + k, 1.0, INSERT_VALUES));
        cx[3 * (cid[i] - cstart) + k] = m->x[3 * i + k];
      } else if (!fixed[3 * i + k]) {
        for (int s = 0; s < 2; s++) {
          const int a = ends[2 * i + s];
          if (!fixed[3 * a + k])
            PetscCall(MatSetValue(P, row, 3 * (PetscInt)cid[a] + k, 0.5,
                                  INSERT_VALUES));
        }
      }
    }
  }
  PetscCall(VecRestoreArray(coords, &cx));
  PetscCall(MatAssemblyBegin(P, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(P, MAT_FINAL_ASSEMBLY));
  /* P of the stiffness's type (-mat_type: mpiaij on one rank, aijcusparse
   * on GPUs), for PETSc's product P^T A P and the cycle's products */
  MatType atype;
  PetscBool same;
  PetscCall(MatGetType(d->A, &atype));
  PetscCall(PetscObjectTypeCompare((PetscObject)P, atype, &same));
  if (!same)
    PetscCall(MatConvert(P, atype, MAT_INPLACE_MATRIX, &P));
  PetscCall(MatPtAP(d->A, P, MAT_INITIAL_MATRIX, 2.0, &Ac));
  PetscCall(MatSetBlockSize(Ac, 3));
  PetscCall(MatSetOption(Ac, MAT_SYMMETRIC, PETSC_TRUE));
  MatNullSpace nsp;
  PetscCall(MatNullSpaceCreateRigidBody(coords, &nsp));
  PetscCall(MatSetNearNullSpace(Ac, nsp));
  PetscCall(MatNullSpaceDestroy(&nsp));
  PetscCall(VecDestroy(&coords));

  KSP kc, ks;
  PC pcc, pcs;
  PetscCall(PCSetType(pc, PCMG));
  PetscCall(PCMGSetLevels(pc, 2, NULL));
  PetscCall(PCMGSetGalerkin(pc, PC_MG_GALERKIN_NONE));
  PetscCall(PCMGSetInterpolation(pc, 1, P));
  PetscCall(PCMGGetCoarseSolve(pc, &kc));
  PetscCall(KSPSetOperators(kc, Ac, Ac));
  PetscCall(KSPSetType(kc, KSPPREONLY));
  PetscCall(KSPGetPC(kc, &pcc));
  PetscCall(PCSetType(pcc, PCGAMG));
  /* on the default implant model 53/55 -> 41/43 CG iterations, 448k DOF
   * 52/54 -> 29 (docs/performance.md); -mg_coarse_pc_gamg_threshold
   * overrides it */
  PetscCall(gamg_threshold(pcc));
  PetscCall(PCMGGetSmoother(pc, 1, &ks));
  PetscCall(KSPSetOperators(ks, d->A, d->A));
  PetscCall(KSPSetType(ks, KSPCHEBYSHEV));
  PetscCall(KSPChebyshevEstEigSet(ks, 0.0, 0.2, 0.0, 1.1));
  PetscCall(
      KSPSetTolerances(ks, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT, 1));
  PetscCall(KSPGetPC(ks, &pcs));
  PetscCall(PCSetType(pcs, PCPBJACOBI)); /* 3x3 node blocks */
  PetscCall(MatDestroy(&P));
  PetscCall(MatDestroy(&Ac));
  PetscCall(PetscFree(ends));
  PetscCall(PetscFree(cid));
  PetscCall(PetscFree(fixed));
  PetscCall(PetscFree(iperm));
  PetscCall(PetscFree(ccount));
  PetscFunctionReturn(0);
}

/* KSP monitor: the caller's progress callback (rnorm: the unpreconditioned
 * residual norm, KSP_NORM_UNPRECONDITIONED) */
static PetscErrorCode progress_monitor(KSP ksp, PetscInt it, PetscReal rnorm,
                                       void *ctx) {
  PetscData *d = ctx;
  (void)ksp;
  if (it > 0 && d->be && d->be->progress)
    d->be->progress(d->be->progress_ctx, d->lc, (int)it,
                    d->bnorm > 0 ? rnorm / d->bnorm : rnorm);
  return 0;
}

/* GAMG alone (TET4) drops weak links only where the materials' Young's
 * moduli differ this much or more.  Measured (docs/performance.md), 2
 * ranks, the implant + bone + cement model at 184k DOF with the cement's
 * modulus varied (contrast 7.1 to 88, twelfth session): 0.05 keeps the
 * iterations at 24-30 where PETSc's -1 needs 33 at 7.1, 35 at 10, 43 at
 * 20, 55 at 44 and 70 at 88, but doubles the setup (+1 s): with two load
 * cases -1 is 1.2 times faster at 10 and 20, 0.05 as fast at 44 and 1.3
 * times faster at 88; on one material (NAFEMS LE10, the Lame cylinder)
 * and at 2.9 it only costs (tenth session).  The boundary lies between 20
 * and 44. */
#define FM_GAMG_CONTRAST 30.0

/* The largest ratio of the Young's moduli of the elements' materials. */
static double stiffness_contrast(const FmModel *md) {
  double lo = INFINITY, hi = 0.0;
  for (int e = 0; e < md->mesh.nelem; e++) {
    const double E = md->cs.materials[md->elem_mat[e]].E;
    lo = fmin(lo, E);
    hi = fmax(hi, E);
  }
  return lo > 0.0 && hi > 0.0 ? hi / lo : 1.0;
}

static PetscErrorCode setup_ksp(FmBackend *be, PetscData *d) {
  PC pc;
  PetscBool pmg = PETSC_TRUE;
  PetscFunctionBeginUser;
  PetscCall(KSPCreate(be->comm, &d->ksp));
  PetscCall(KSPSetOperators(d->ksp, d->A, d->A));
  PetscCall(KSPSetType(d->ksp, KSPCG));
  PetscCall(KSPGetPC(d->ksp, &pc));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-femora_pmg", &pmg, NULL));
  const char *what;
  char gamg[128];
  if (!strcmp(be->md->cs.pc, "jacobi")) {
    PetscCall(PCSetType(pc, PCPBJACOBI)); /* 3x3 node blocks */
    what = "PETSc 3x3 point-block Jacobi";
  } else if (pmg && be->md->mesh.npe == 10) {
    PetscCall(setup_pmg(be, d, pc));
    what = "PETSc p-multigrid (TET10 -> TET4) over GAMG";
  } else {
    PetscCall(PCSetType(pc, PCGAMG));
    what = "PETSc GAMG";
    /* TET4 with a stiffness contrast (FM_GAMG_CONTRAST); not for TET10
     * with -femora_pmg 0 (half the iterations, four times the setup, the
     * same time; docs/performance.md) */
    const double contrast = stiffness_contrast(be->md);
    if (be->md->mesh.npe == 4 && contrast >= FM_GAMG_CONTRAST) {
      PetscCall(gamg_threshold(pc));
      snprintf(gamg, sizeof gamg,
               "PETSc GAMG (links below 0.05 dropped: stiffness contrast "
               "%.3g)",
               contrast);
      what = gamg;
    }
  }
  /* PETSc options given on the command line may change it */
  snprintf(be->pc_detail, sizeof be->pc_detail, "%s", what);
  PetscCall(KSPSetInitialGuessNonzero(d->ksp, PETSC_TRUE));
  PetscCall(KSPSetNormType(d->ksp, KSP_NORM_UNPRECONDITIONED));
  PetscCall(KSPSetTolerances(d->ksp, be->md->cs.rtol, 1e-300, PETSC_DEFAULT,
                             be->md->cs.max_it));
  PetscCall(KSPSetFromOptions(d->ksp));
  PetscCall(KSPGetTolerances(d->ksp, &d->rtol_base, NULL, NULL, NULL));
  d->be = be;
  PetscCall(KSPMonitorSet(d->ksp, progress_monitor, d, NULL));
  PetscCall(KSPSetUp(d->ksp));
  PetscFunctionReturn(0);
}

static int petsc_setup(FmBackend *be) {
  PCALL(setup_ksp(be, be->data), "preconditioner setup");
  return 0;
}

static PetscErrorCode solve_one(FmBackend *be, PetscData *d, const double *f,
                                double *u, FmSolveInfo *info,
                                KSPConvergedReason *reason) {
  const FmModel *md = be->md;
  PetscScalar *bb;
  const PetscScalar *lf;
  PetscFunctionBeginUser;
  PetscCall(VecGetArray(d->b, &bb));
  PetscCall(VecGetArrayRead(d->lift, &lf));
  for (int i = 0; i < d->nnodes; i++) {
    if (d->part[i] != d->rank)
      continue;
    const int r = 3 * (d->perm[i] - d->start);
    for (int k = 0; k < 3; k++)
      bb[r + k] = f[3 * i + k] - lf[r + k];
  }
  for (PetscInt k = 0; k < d->ndir_loc; k++)
    bb[d->dir_row[k] - 3 * d->start] = d->diag * d->dir_val[k];
  PetscCall(VecRestoreArrayRead(d->lift, &lf));
  PetscCall(VecRestoreArray(d->b, &bb));
  /* start from the prescribed values: the residual on prescribed DOFs is
   * then zero and stays zero */
  PetscCall(VecSet(d->x, 0.0));
  PetscCall(
      VecSetValues(d->x, d->ndir_loc, d->dir_row, d->dir_val, INSERT_VALUES));
  PetscCall(VecAssemblyBegin(d->x));
  PetscCall(VecAssemblyEnd(d->x));
  /* the test on the free DOFs: PETSc's is ||r|| <= rtol ||b||, and b's
   * prescribed rows (diag * g, an arbitrary scale; their residual is 0)
   * would loosen it by ||b|| / ||b_free|| (6.5 times with a prescribed
   * displacement on the segmental model) */
  PetscReal ball;
  PetscCall(VecNorm(d->b, NORM_2, &ball));
  PetscCall(VecCopy(d->b, d->r));
  PetscScalar *rr;
  PetscCall(VecGetArray(d->r, &rr));
  for (PetscInt k = 0; k < d->ndir_loc; k++)
    rr[d->dir_row[k] - 3 * d->start] = 0.0;
  PetscCall(VecRestoreArray(d->r, &rr));
  PetscCall(VecNorm(d->r, NORM_2, &d->bnorm));
  PetscCall(KSPSetTolerances(
      d->ksp, ball > 0 ? d->rtol_base * (d->bnorm / ball) : d->rtol_base,
      PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT));
  /* CG's residual is recurred: where the true one ends above the
   * tolerance (rounding; 14 times at rtol 1e-10 on two ranks), CG starts
   * again from the solution it has (a nonzero guess: its first residual is
   * the true one), at most twice */
  info->iterations = 0;
  for (int pass = 0; pass < 3; pass++) {
    PetscCall(KSPSolve(d->ksp, d->b, d->x));
    PetscCall(KSPGetConvergedReason(d->ksp, reason));
    PetscInt its;
    PetscCall(KSPGetIterationNumber(d->ksp, &its));
    info->iterations += (int)its;
    /* true relative residual, against ||b|| on the free DOFs (the
     * prescribed rows' residual is zero) */
    PetscReal rn;
    PetscCall(MatMult(d->A, d->x, d->r));
    PetscCall(VecAYPX(d->r, -1.0, d->b));
    PetscCall(VecNorm(d->r, NORM_2, &rn));
    info->residual = d->bnorm > 0 ? rn / d->bnorm : rn;
    if (*reason < 0 || !(info->residual > d->rtol_base))
      break;
  }
  /* everyone gets the whole solution in model numbering */
  PetscCall(
      VecScatterBegin(d->toall, d->x, d->xall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(
      VecScatterEnd(d->toall, d->x, d->xall, INSERT_VALUES, SCATTER_FORWARD));
  const PetscScalar *xa;
  PetscCall(VecGetArrayRead(d->xall, &xa));
  for (int i = 0; i < d->nnodes; i++)
    for (int k = 0; k < 3; k++)
      u[3 * i + k] = xa[3 * d->perm[i] + k];
  PetscCall(VecRestoreArrayRead(d->xall, &xa));
  for (int k = 0; k < md->ndir; k++)
    u[md->dir_dof[k]] = md->dir_val[k];
  PetscFunctionReturn(0);
}

static int petsc_solve(FmBackend *be, int lc, const double *f, double *u,
                       FmSolveInfo *info) {
  PetscData *d = be->data;
  KSPConvergedReason reason;
  d->lc = lc;
  PCALL(solve_one(be, d, f, u, info, &reason), "solve");
  if (reason < 0 || !isfinite(info->residual))
    return fm_error("%s: load_cases[%d] '%s': solver did not converge: %d "
                    "iterations, relative residual %.3g (%s)",
                    be->md->cs.path, lc, be->md->cs.load_cases[lc].name,
                    info->iterations, info->residual,
                    KSPConvergedReasons[reason]);
  /* the answer must meet solver.rtol in the true residual, with the
   * slack the other backends allow for the recurrence's drift: whatever
   * the PETSc options after -- (-ksp_rtol, -ksp_atol, a preconditioned
   * norm, a fixed number of iterations) and however tight the rtol (a
   * true residual 89 times above an rtol of 1e-12 passed) */
  if (!(info->residual <= 10 * be->md->cs.rtol))
    return fm_error(
        "%s: load_cases[%d] '%s': solver stopped (%s) at a true "
        "relative residual %.3g, above solver.rtol %g: no result "
        "(check the PETSc options given after --, if any)" FM_SOLVE_FLOOR_HINT,
        be->md->cs.path, lc, be->md->cs.load_cases[lc].name,
        KSPConvergedReasons[reason], info->residual, be->md->cs.rtol);
  return 0;
}

static void petsc_destroy(FmBackend *be) {
  PetscData *d = be->data;
  if (!d)
    return;
  KSPDestroy(&d->ksp);
  MatDestroy(&d->A);
  VecDestroy(&d->b);
  VecDestroy(&d->x);
  VecDestroy(&d->r);
  VecDestroy(&d->lift);
  VecDestroy(&d->xall);
  VecScatterDestroy(&d->toall);
  PetscFree(d->dir_row);
  PetscFree(d->dir_val);
  free(d->perm);
  free(d->part);
  free(d);
  be->data = NULL;
}

int fm_backend_create_petsc(FmBackend *be) {
  PetscBool init = PETSC_FALSE;
  PetscInitialized(&init);
  if (!init)
    return fm_error("backend cpu: PETSc is not initialized");
  be->name = "cpu";
  be->data = fm_calloc(1, sizeof(PetscData));
  if (!be->data)
    return 1;
  be->assemble = petsc_assemble;
  be->setup = petsc_setup;
  be->solve = petsc_solve;
  be->destroy = petsc_destroy;
  return 0;
}
