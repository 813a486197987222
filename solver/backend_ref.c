/* Reference backend, plain C on one process: the block CSR from csr.c,
 * prescribed DOFs eliminated symmetrically, CG preconditioned by the
 * smoothed-aggregation multigrid of amg.c (solver.preconditioner: amg, the
 * default) or by 3x3 point-block Jacobi (jacobi).  OpenMP threads in the
 * products and vector loops; under MPI every rank solves its share of the
 * load cases (run.c).  It exists as the simple reference every other
 * backend (the GPU one first) is checked against, and to run models in a
 * build without PETSc. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amg.h"
#include "backend.h"
#include "csr.h"
#include "element.h"
#include "error.h"
#include "matfree.h"
#include "output.h"
#include "pmg.h"

typedef struct {
  FmBlockCsr A;
  double *lift; /* K g: the prescribed values' effect on the free DOFs */
  double *dinv; /* 9 per node: inverse of the diagonal block */
  char *fixed;  /* per DOF */
  double diag;  /* value on the diagonal of prescribed rows */
  int use_amg;
  FmAmg amg;
  /* solver.preconditioner pmg: the stiffness applied element by element
   * (never assembled) and the p-multigrid over smoothed aggregation */
  int use_pmg;
  FmMatFree mf;
  FmPmg pmg;
} RefData;

/* the matrix-free stiffness with the prescribed DOFs eliminated */
static void mf_apply(void *ctx, const double *x, double *y) {
  fm_matfree_apply(ctx, 1, x, y);
}

/* pmg: no assembled matrix; the lift and the prescribed rows' diagonal
 * from the element actions */
static int ref_assemble_matfree(FmBackend *be, double *g) {
  RefData *d = be->data;
  const FmModel *md = be->md;
  const size_t n = 3 * (size_t)md->mesh.nnodes;
  FM_CALL(fm_matfree_create(md, d->fixed, 1.0, &d->mf));
  double *dg = fm_calloc(n + 1, sizeof(double));
  if (!dg)
    return 1;
  fm_matfree_diagonal(&d->mf, 0, dg);
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += fabs(dg[i]);
  free(dg);
  d->diag = d->mf.diag = sum > 0 ? sum / (double)n : 1.0;
  fm_matfree_apply(&d->mf, 0, g, d->lift);
  return 0;
}

static int ref_assemble(FmBackend *be) {
  RefData *d = be->data;
  const FmModel *md = be->md;
  const int nn = md->mesh.nnodes;
  int size;
  MPI_Comm_size(be->comm, &size);
  if (size > 1)
    return fm_error("backend ref: runs on one rank only (got %d); use "
                    "--backend cpu for MPI runs",
                    size);
  d->use_pmg = !strcmp(md->cs.pc, "pmg");
  if (d->use_pmg && md->mesh.npe != 10)
    return fm_error("%s: solver.preconditioner: pmg needs TET10 elements "
                    "(the mesh has TET4; use amg, or mesh.order: 2)",
                    md->cs.path);
  if (d->use_pmg) {
    d->lift = fm_calloc(3 * (size_t)nn, sizeof(double));
    d->fixed = fm_calloc(3 * (size_t)nn, 1);
    double *g = fm_calloc(3 * (size_t)nn, sizeof(double));
    int ierr = !d->lift || !d->fixed || !g;
    for (int k = 0; !ierr && k < md->ndir; k++) {
      d->fixed[md->dir_dof[k]] = 1;
      g[md->dir_dof[k]] = md->dir_val[k];
    }
    if (!ierr)
      ierr = ref_assemble_matfree(be, g);
    free(g);
    return ierr;
  }
  int *ids = fm_calloc(nn, sizeof(int));
  if (!ids)
    return 1;
  for (int i = 0; i < nn; i++)
    ids[i] = i;
  const int ierr = fm_csr_assemble(md, nn, ids, ids, &d->A);
  free(ids);
  FM_CALL(ierr);
  d->lift = fm_calloc(3 * (size_t)nn, sizeof(double));
  d->fixed = fm_calloc(3 * (size_t)nn, 1);
  double *g = fm_calloc(3 * (size_t)nn, sizeof(double));
  if (!d->lift || !d->fixed || !g) {
    free(g);
    return 1;
  }
  for (int k = 0; k < md->ndir; k++) {
    d->fixed[md->dir_dof[k]] = 1;
    g[md->dir_dof[k]] = md->dir_val[k];
  }
  fm_csr_matvec(&d->A, g, d->lift);
  free(g);
  double sum = 0;
  for (int r = 0; r < nn; r++) {
    /* every node is in an element, so coupled with itself: a row without
     * its diagonal block is a pattern built wrong */
    const int64_t k = fm_csr_find(&d->A, r, r);
    if (k < 0)
      return fm_error("backend ref: node %d has no diagonal block (the "
                      "stiffness pattern is wrong)",
                      r + 1);
    const double *b = d->A.val + 9 * k;
    sum += fabs(b[0]) + fabs(b[4]) + fabs(b[8]);
  }
  d->diag = sum > 0 ? sum / (3.0 * nn) : 1.0;
  /* eliminate prescribed rows and columns symmetrically */
  for (int r = 0; r < nn; r++)
    for (int64_t k = d->A.ptr[r]; k < d->A.ptr[r + 1]; k++) {
      const int c = d->A.col[k];
      double *b = d->A.val + 9 * k;
      for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++)
          if (d->fixed[3 * r + p] || d->fixed[3 * c + q])
            b[3 * p + q] = (r == c && p == q) ? d->diag : 0.0;
    }
  return 0;
}

static int setup_amg(FmBackend *be) {
  RefData *d = be->data;
  FmAmgOptions opt;
  if (fm_amg_options_from_env(&opt))
    return fm_amg_error_context(be->md->cs.path);
  FmCsr S;
  FM_CALL(fm_csr_to_scalar(&d->A, &S));
  /* the hierarchy takes the scalar matrix over and CG uses it from then on:
   * the block matrix goes (one copy of the fine operator, not three) */
  const int ierr = fm_amg_setup_ex(
      &S, 1, be->md->mesh.x, (const unsigned char *)d->fixed, &opt, &d->amg);
  fm_csr_scalar_free(&S);
  if (!ierr)
    fm_csr_free(&d->A);
  if (ierr)
    return fm_amg_error_context(be->md->cs.path);
  fm_amg_describe(&d->amg, be->pc_detail, sizeof be->pc_detail);
  return 0;
}

static int setup_pmg(FmBackend *be) {
  RefData *d = be->data;
  FmAmgOptions opt;
  if (fm_amg_options_from_env(&opt))
    return fm_amg_error_context(be->md->cs.path);
  const size_t n = 3 * (size_t)be->md->mesh.nnodes;
  /* FEMORA_PMG_JACOBI=block: level 0 smoothed with the 3x3 diagonal
   * blocks (a study, docs/cli.md) */
  const char *jb = getenv("FEMORA_PMG_JACOBI");
  if (jb && *jb && strcmp(jb, "diagonal") && strcmp(jb, "block"))
    return fm_error("%s: solver.preconditioner: FEMORA_PMG_JACOBI=%s: must "
                    "be diagonal or block",
                    be->md->cs.path, jb);
  const int bs = jb && !strcmp(jb, "block") ? 3 : 1;
  double *dg = fm_calloc(3 * n + 1, sizeof(double));
  if (!dg)
    return 1;
  int ierr = 0;
  if (bs == 3)
    ierr = fm_matfree_diagonal_blocks(&d->mf, 1, dg);
  else
    fm_matfree_diagonal(&d->mf, 1, dg);
  if (!ierr)
    ierr = fm_pmg_setup(be->md, d->fixed, d->diag, dg, bs, mf_apply, &d->mf,
                        &opt, &d->pmg);
  free(dg);
  if (ierr)
    return fm_amg_error_context(be->md->cs.path);
  fm_pmg_describe(&d->pmg, be->pc_detail, sizeof be->pc_detail);
  if (d->mf.generic) {
    const size_t len = strlen(be->pc_detail);
    snprintf(be->pc_detail + len, sizeof be->pc_detail - len,
             "; the generic element action");
  }
  return 0;
}

static int ref_setup(FmBackend *be) {
  RefData *d = be->data;
  const int nn = be->md->mesh.nnodes;
  if (d->use_pmg)
    return setup_pmg(be);
  d->use_amg = strcmp(be->md->cs.pc, "jacobi") != 0;
  if (d->use_amg)
    return setup_amg(be);
  snprintf(be->pc_detail, sizeof be->pc_detail, "3x3 point-block Jacobi");
  d->dinv = fm_calloc(9 * (size_t)nn, sizeof(double));
  if (!d->dinv)
    return 1;
  for (int r = 0; r < nn; r++)
    if (!fm_inv3(d->A.val + 9 * fm_csr_find(&d->A, r, r),
                 d->dinv + 9 * (size_t)r))
      return fm_error("backend ref: singular diagonal block at node %d", r + 1);
  return 0;
}

static void apply_pc(RefData *d, int nn, const double *r, double *z) {
  if (d->use_pmg) {
    fm_pmg_apply(&d->pmg, r, z); /* host operations: no failure path */
    return;
  }
  if (d->use_amg) {
    fm_amg_apply(&d->amg, r, z); /* host operations: no failure path */
    return;
  }
  for (int i = 0; i < nn; i++) {
    const double *m = d->dinv + 9 * (size_t)i, *v = r + 3 * (size_t)i;
    for (int p = 0; p < 3; p++)
      z[3 * i + p] =
          m[3 * p] * v[0] + m[3 * p + 1] * v[1] + m[3 * p + 2] * v[2];
  }
}

/* Vector loops over the 2 x 10^4 DOFs and more use the OpenMP threads of
 * the build (as the multigrid's products do). */
/* y = A x: the multigrid's level-0 operator once it holds the matrix, the
 * block matrix before (and with point-block Jacobi) */
static void ref_matvec(RefData *d, const double *x, double *y) {
  if (d->use_pmg)
    fm_matfree_apply(&d->mf, 1, x, y);
  else if (d->use_amg && d->amg.nlev > 0)
    fm_csr_scalar_spmv(&d->amg.lev[0].A, 1.0, x, 0.0, y);
  else
    fm_csr_matvec(&d->A, x, y);
}

static double dot(size_t n, const double *a, const double *b) {
  double s = 0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) reduction(+ : s) if (n > 20000)
#endif
  for (size_t i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

static int ref_solve(FmBackend *be, int lc, const double *f, double *u,
                     FmSolveInfo *info) {
  RefData *d = be->data;
  const FmModel *md = be->md;
  const int nn = md->mesh.nnodes;
  const size_t n = 3 * (size_t)nn;
  double *b = fm_calloc(n, sizeof(double)), *r = fm_calloc(n, sizeof(double)),
         *z = fm_calloc(n, sizeof(double)), *p = fm_calloc(n, sizeof(double)),
         *q = fm_calloc(n, sizeof(double));
  int ierr = 0;
  if (!b || !r || !z || !p || !q) {
    ierr = 1;
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    b[i] = f[i] - d->lift[i];
    u[i] = 0.0;
  }
  for (int k = 0; k < md->ndir; k++) {
    b[md->dir_dof[k]] = d->diag * md->dir_val[k];
    u[md->dir_dof[k]] = md->dir_val[k];
  }
  /* ||b|| on the free DOFs: the prescribed rows' diag * g (an arbitrary
   * scale; their residual is zero) loosened the test by ||b|| / ||b_free|| */
  double bb = 0;
  for (size_t i = 0; i < n; i++)
    bb += d->fixed[i] ? 0.0 : b[i] * b[i];
  const double bn = sqrt(bb), tol = md->cs.rtol * bn;
  /* preconditioned CG from the true residual; where the true residual
   * ends above the tolerance (the recurred one drifts), CG starts again
   * from the solution it has, at most twice (as the cpu backend) */
  int it = 0, breakdown = 0;
  double rn = 0;
  for (int pass = 0;; pass++) {
    ref_matvec(d, u, q);
    for (size_t i = 0; i < n; i++)
      r[i] = b[i] - q[i];
    rn = sqrt(dot(n, r, r)); /* the true residual */
    if (rn <= tol || pass == 3 || breakdown || it >= md->cs.max_it)
      break;
    apply_pc(d, nn, r, z);
    memcpy(p, z, n * sizeof(double));
    double rz = dot(n, r, z);
    while (rn > tol && it < md->cs.max_it) {
      ref_matvec(d, p, q);
      const double pq = dot(n, p, q);
      if (!(pq > 0)) {
        breakdown = 1; /* not positive definite */
        break;
      }
      const double alpha = rz / pq;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 20000)
#endif
      for (size_t i = 0; i < n; i++) {
        u[i] += alpha * p[i];
        r[i] -= alpha * q[i];
      }
      rn = sqrt(dot(n, r, r));
      if (be->progress)
        be->progress(be->progress_ctx, lc, it + 1, rn / (bn > 0 ? bn : 1.0));
      apply_pc(d, nn, r, z);
      const double rz1 = dot(n, r, z), beta = rz1 / rz;
      if (!(rz1 > 0) && rn > tol) {
        breakdown = 1; /* the preconditioner is not positive definite */
        break;
      }
      rz = rz1;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 20000)
#endif
      for (size_t i = 0; i < n; i++)
        p[i] = z[i] + beta * p[i];
      it++;
    }
  }
  info->iterations = it;
  info->residual = rn / (bn > 0 ? bn : 1.0);
  ierr = fm_solve_verdict(md, lc, "ref", info,
                          !(rn <= tol) && it >= md->cs.max_it, breakdown);
out:
  free(b);
  free(r);
  free(z);
  free(p);
  free(q);
  return ierr;
}

static void ref_destroy(FmBackend *be) {
  RefData *d = be->data;
  if (!d)
    return;
  fm_csr_free(&d->A);
  free(d->lift);
  free(d->dinv);
  free(d->fixed);
  fm_amg_free(&d->amg);
  fm_pmg_free(&d->pmg);
  fm_matfree_free(&d->mf);
  free(d);
  be->data = NULL;
}

int fm_backend_create_ref(FmBackend *be) {
  be->name = "ref";
  be->one_process = 1;
  be->data = fm_calloc(1, sizeof(RefData));
  if (!be->data)
    return 1;
  be->assemble = ref_assemble;
  be->setup = ref_setup;
  be->solve = ref_solve;
  be->destroy = ref_destroy;
  return 0;
}

/* Write the assembled, eliminated system A u = b of load vector f (after
 * ref_assemble) for other solvers to run on the very same matrix (the CuPy
 * Jacobi-CG of the GPU benchmark): "FMSYS001", int64 n, int64 nnz, int64
 * rowptr[n+1], int32 col[nnz], float64 val[nnz], float64 b[n], float64
 * x0[n] (the prescribed values, 0 elsewhere); little-endian; scalar CSR with
 * row 3*node + component. */
int fm_ref_dump(FmBackend *be, const double *f, const char *path) {
  RefData *d = be->data;
  const FmModel *md = be->md;
  const int nn = md->mesh.nnodes;
  const int64_t n = 3 * (int64_t)nn, nnz = 9 * d->A.ptr[nn];
  FILE *fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  fwrite("FMSYS001", 1, 8, fp);
  fwrite(&n, 8, 1, fp);
  fwrite(&nnz, 8, 1, fp);
  int64_t off = 0;
  fwrite(&off, 8, 1, fp);
  for (int r = 0; r < nn; r++)
    for (int p = 0; p < 3; p++) {
      off += 3 * (d->A.ptr[r + 1] - d->A.ptr[r]);
      fwrite(&off, 8, 1, fp);
    }
  for (int r = 0; r < nn; r++)
    for (int p = 0; p < 3; p++)
      for (int64_t k = d->A.ptr[r]; k < d->A.ptr[r + 1]; k++)
        for (int q = 0; q < 3; q++) {
          const int32_t c = 3 * d->A.col[k] + q;
          fwrite(&c, 4, 1, fp);
        }
  for (int r = 0; r < nn; r++)
    for (int p = 0; p < 3; p++)
      for (int64_t k = d->A.ptr[r]; k < d->A.ptr[r + 1]; k++)
        fwrite(d->A.val + 9 * k + 3 * p, 8, 3, fp);
  for (int64_t i = 0; i < n; i++) {
    const double v = d->fixed[i] ? 0.0 : f[i] - d->lift[i];
    fwrite(&v, 8, 1, fp);
  }
  /* prescribed rows: b = diag g; x0 = g */
  double *g = fm_calloc(n, sizeof(double));
  if (!g) {
    fclose(fp);
    fm_discard_tmp(path);
    return 1;
  }
  for (int k = 0; k < md->ndir; k++)
    g[md->dir_dof[k]] = md->dir_val[k];
  /* rewrite the b entries of prescribed rows in place */
  const long bpos = 8 + 8 + 8 + 8 * (n + 1) + 4 * nnz + 8 * nnz;
  for (int k = 0; k < md->ndir; k++) {
    const double v = d->diag * g[md->dir_dof[k]];
    fseek(fp, bpos + 8 * (long)md->dir_dof[k], SEEK_SET);
    fwrite(&v, 8, 1, fp);
  }
  fseek(fp, 0, SEEK_END);
  fwrite(g, 8, n, fp);
  free(g);
  FM_CALL(fm_close_tmp(fp, path));
  return fm_rename_tmp(path);
}

int fm_dump_system(const char *case_path, const char *out) {
  FmModel md;
  memset(&md, 0, sizeof md);
  int ierr = fm_case_read(case_path, &md.cs);
  if (!ierr && !md.cs.mesh_file[0])
    ierr = fm_error(
        "%s: mesh: dump reads a mesh file (mesh.file); mesh the geometry "
        "script first (femora run writes it to OUTDIR/mesh.msh)",
        case_path);
  if (!ierr)
    ierr = fm_model_build(&md, md.cs.mesh_file);
  FmBackend be;
  memset(&be, 0, sizeof be);
  double *f = NULL;
  /* the dump writes the assembled matrix, whatever the preconditioner */
  if (!ierr)
    strcpy(md.cs.pc, "amg");
  if (!ierr)
    ierr = fm_backend_create("ref", MPI_COMM_SELF, &md, &be);
  if (!ierr)
    ierr = be.assemble(&be);
  if (!ierr) {
    f = fm_calloc(3 * (size_t)md.mesh.nnodes, sizeof(double));
    ierr = !f;
  }
  if (!ierr)
    ierr = fm_model_load_vector(&md, 0, f);
  if (!ierr)
    ierr = fm_ref_dump(&be, f, out);
  free(f);
  fm_backend_destroy(&be);
  fm_model_free(&md);
  return ierr;
}
