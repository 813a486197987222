/* The matrix-free stiffness (matfree.c) against the assembled one, and the
 * p-multigrid over it (pmg.c): on the generated TET10 implant model
 * (straight-edged, contrast 44x), fully and partially constrained,
 *  - K x element by element equals the assembled block CSR's product to
 *    round-off, with and without the elimination, and its diagonal too;
 *  - the product is the same bit for bit on 1 and 2 threads;
 *  - the corner level's operator equals the Galerkin product P^T K P
 *    (exact for straight edges), P has no entry in a prescribed row or
 *    column, and the embedding reproduces a linear field exactly;
 *  - CG with the p-multigrid converges in few iterations to the solution
 *    of the assembled system preconditioned by smoothed aggregation;
 *  - a TET4 model is refused with a message naming the case;
 *  - a mid-edge node on two different edges is refused by the embedding;
 *  - the scalar transpose is the same on 1 and 2 threads;
 *  - the assembly by rows (csr.c) equals the element-by-element sum of
 *    fm_tet_stiffness to round-off, has the same bits on 1 and 2 threads
 *    and for a subset of the rows (a rank's), and its pattern alone is
 *    fm_csr_pattern's. */
#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "amg.h"
#include "amg_model.h"
#include "element.h"
#include "matfree.h"
#include "pmg.h"
#include "recover.h"
#include "test_util.h"

/* OpenMP's thread count set to n (nothing without OpenMP); returns the
 * count before, to set back */
static int set_threads(int n) {
#ifdef _OPENMP
  const int before = omp_get_max_threads();
  omp_set_num_threads(n);
  return before;
#else
  (void)n;
  return 1;
#endif
}

static void mf_apply(void *ctx, const double *x, double *y) {
  fm_matfree_apply(ctx, 1, x, y);
}

/* PCG on y = op(x) with M; returns the iterations (-1: no convergence) */
static int pcg(int n, void (*op)(void *, const double *, double *), void *ctx,
               int (*pc)(void *, const double *, double *), void *pctx,
               const double *b, double *x, double rtol) {
  double *r = calloc(n, sizeof(double)), *z = calloc(n, sizeof(double)),
         *p = calloc(n, sizeof(double)), *q = calloc(n, sizeof(double));
  double bn = 0, rz = 0;
  for (int i = 0; i < n; i++) {
    x[i] = 0;
    r[i] = b[i];
    bn += b[i] * b[i];
  }
  bn = sqrt(bn);
  pc(pctx, r, z);
  for (int i = 0; i < n; i++) {
    p[i] = z[i];
    rz += r[i] * z[i];
  }
  int it = 0, done = 0;
  for (; it < 500 && !done; it++) {
    op(ctx, p, q);
    double pq = 0, rn = 0, rz1 = 0;
    for (int i = 0; i < n; i++)
      pq += p[i] * q[i];
    const double a = rz / pq;
    for (int i = 0; i < n; i++) {
      x[i] += a * p[i];
      r[i] -= a * q[i];
      rn += r[i] * r[i];
    }
    done = sqrt(rn) <= rtol * bn;
    pc(pctx, r, z);
    for (int i = 0; i < n; i++)
      rz1 += r[i] * z[i];
    for (int i = 0; i < n; i++)
      p[i] = z[i] + rz1 / rz * p[i];
    rz = rz1;
  }
  free(r);
  free(z);
  free(p);
  free(q);
  return done ? it : -1;
}

static int pmg_pc(void *ctx, const double *r, double *z) {
  return fm_pmg_apply(ctx, r, z);
}
static int amg_pc(void *ctx, const double *r, double *z) {
  return fm_amg_apply(ctx, r, z);
}
static void csr_op(void *ctx, const double *x, double *y) {
  fm_csr_scalar_spmv(ctx, 1.0, x, 0.0, y);
}

static double maxabs(int n, const double *v) {
  double m = 0;
  for (int i = 0; i < n; i++)
    m = fmax(m, fabs(v[i]));
  return m;
}

static void check_model(int partial) {
  FmModel md;
  FmCsr S;
  FmBlockCsr B;
  unsigned char *ufixed;
  build_system("t412", 5.0, &md, &S, &ufixed, partial, &B);
  const int nn = md.mesh.nnodes, n = 3 * nn;
  const char *fixed = (const char *)ufixed;
  FmMatFree op;
  CHECK(!fm_matfree_create(&md, fixed, 1e5, &op), "create: %s",
        fm_error_message());
  double *x = calloc(n, sizeof(double)), *y = calloc(n, sizeof(double)),
         *ya = calloc(n, sizeof(double)), *d = calloc(n, sizeof(double));
  for (int i = 0; i < n; i++)
    x[i] = sin(0.37 * i) + 0.2 * cos(0.011 * i);
  /* eliminated: the assembled blocks hold the elimination (build_system) */
  fm_matfree_apply(&op, 1, x, y);
  fm_csr_matvec(&B, x, ya);
  double dmax = 0;
  for (int i = 0; i < n; i++)
    dmax = fmax(dmax, fabs(y[i] - ya[i]));
  CHECK(dmax <= 1e-12 * maxabs(n, ya), "partial %d: K x differs by %g of %g",
        partial, dmax, maxabs(n, ya));
  fm_matfree_diagonal(&op, 1, d);
  for (int i = 0; i < nn; i++)
    for (int p = 0; p < 3; p++) {
      const double a = B.val[9 * fm_csr_find(&B, i, i) + 4 * p];
      CHECK(fabs(d[3 * i + p] - a) <= 1e-12 * fabs(a),
            "partial %d: diagonal %d: %g against %g", partial, 3 * i + p,
            d[3 * i + p], a);
    }
  /* the 3x3 diagonal blocks (the block smoother of FEMORA_PMG_JACOBI) */
  double *db = calloc(9 * (size_t)nn, sizeof(double));
  CHECK(!fm_matfree_diagonal_blocks(&op, 1, db), "diagonal blocks");
  for (int i = 0; i < nn; i++) {
    const double *a = B.val + 9 * fm_csr_find(&B, i, i);
    for (int t = 0; t < 9; t++)
      CHECK(fabs(db[9 * i + t] - a[t]) <= 1e-12 * fabs(a[4 * (t / 3)]),
            "partial %d: diagonal block %d (%d): %g against %g", partial, i, t,
            db[9 * i + t], a[t]);
  }
  /* not eliminated: the model's stiffness as assembled */
  FmBlockCsr K;
  int *ids = malloc(nn * sizeof *ids);
  for (int i = 0; i < nn; i++)
    ids[i] = i;
  CHECK(!fm_csr_assemble(&md, nn, ids, ids, &K), "assemble");
  free(ids);
  fm_matfree_apply(&op, 0, x, y);
  fm_csr_matvec(&K, x, ya);
  dmax = 0;
  for (int i = 0; i < n; i++)
    dmax = fmax(dmax, fabs(y[i] - ya[i]));
  CHECK(dmax <= 1e-12 * maxabs(n, ya),
        "partial %d: K x (not eliminated) differs by %g", partial, dmax);
  fm_csr_free(&K);
#ifdef _OPENMP
  /* the same bits on one thread and on two */
  const int nt = omp_get_max_threads();
  omp_set_num_threads(1);
  fm_matfree_apply(&op, 1, x, y);
  omp_set_num_threads(2);
  fm_matfree_apply(&op, 1, x, ya);
  omp_set_num_threads(nt);
  CHECK(!memcmp(y, ya, n * sizeof(double)),
        "partial %d: the product depends on the threads", partial);
#endif
  /* FEMORA_MF_ACTION=generic: the other element action, the same product
   * to round-off */
  {
    FmMatFree og;
    setenv("FEMORA_MF_ACTION", "generic", 1);
    CHECK(!fm_matfree_create(&md, fixed, 1e5, &og) && og.generic,
          "create (generic): %s", fm_error_message());
    unsetenv("FEMORA_MF_ACTION");
    fm_matfree_apply(&op, 1, x, y);
    fm_matfree_apply(&og, 1, x, ya);
    dmax = 0;
    for (int i = 0; i < n; i++)
      dmax = fmax(dmax, fabs(y[i] - ya[i]));
    CHECK(dmax > 0 && dmax <= 1e-13 * maxabs(n, ya),
          "partial %d: the generic action differs by %g of %g", partial, dmax,
          maxabs(n, ya));
    fm_matfree_free(&og);
  }

  /* the p-multigrid */
  FmPmg pm;
  fm_matfree_diagonal(&op, 1, d);
  CHECK(!fm_pmg_setup(&md, fixed, 1e5, d, 1, mf_apply, &op, NULL, &pm),
        "pmg setup: %s", fm_error_message());
  CHECK(pm.n1 > 0 && pm.n1 < n / 4, "corner DOFs %d of %d", pm.n1, n);
  for (int i = 0; i < n; i++)
    for (int64_t k = pm.P.ptr[i]; k < pm.P.ptr[i + 1]; k++) {
      CHECK(!fixed[i], "P has an entry in prescribed row %d", i);
      const int c = pm.P.col[k];
      CHECK(!fixed[3 * pm.corner_node[c / 3] + c % 3],
            "P has an entry in prescribed column %d", c);
    }
  /* a linear field on the corners is interpolated exactly (free DOFs) */
  double *l1 = calloc(pm.n1, sizeof(double));
  for (int c = 0; c < pm.n1 / 3; c++)
    for (int p = 0; p < 3; p++)
      l1[3 * c + p] = 0.3 + 0.01 * md.mesh.x[3 * pm.corner_node[c] + p] -
                      0.02 * md.mesh.x[3 * pm.corner_node[c] + (p + 1) % 3];
  fm_csr_scalar_spmv(&pm.P, 1.0, l1, 0.0, y);
  double lerr = 0;
  for (int I = 0; I < nn; I++)
    for (int p = 0; p < 3; p++) {
      const int i = 3 * I + p;
      double wsum = 0; /* 1 unless an edge's corner is prescribed */
      for (int64_t k = pm.P.ptr[i]; k < pm.P.ptr[i + 1]; k++)
        wsum += pm.P.val[k];
      if (fixed[i] || wsum != 1.0)
        continue;
      const double want =
          0.3 + 0.01 * md.mesh.x[i] - 0.02 * md.mesh.x[3 * I + (p + 1) % 3];
      lerr = fmax(lerr, fabs(y[i] - want));
    }
  CHECK(lerr < 1e-12,
        "partial %d: the embedding of a linear field is off by "
        "%g",
        partial, lerr);
  free(l1);
  /* the corner operator is P^T K P on the free DOFs (straight edges) */
  FmCsr KP, G;
  CHECK(!fm_csr_scalar_mult(&S, &pm.P, &KP) &&
            !fm_csr_scalar_mult(&pm.R, &KP, &G),
        "Galerkin product");
  const FmCsr *A1 = &pm.amg.lev[0].A;
  CHECK(A1->ptr && A1->nrows == pm.n1, "the corner operator is kept");
  double *row = calloc(pm.n1, sizeof(double));
  double gerr = 0, gmax = 0;
  for (int i = 0; i < pm.n1 && A1->ptr; i++) {
    if (fixed[3 * pm.corner_node[i / 3] + i % 3])
      continue;
    for (int64_t k = A1->ptr[i]; k < A1->ptr[i + 1]; k++)
      row[A1->col[k]] += A1->val[k];
    for (int64_t k = G.ptr[i]; k < G.ptr[i + 1]; k++)
      row[G.col[k]] -= G.val[k];
    for (int64_t k = A1->ptr[i]; k < A1->ptr[i + 1]; k++) {
      gmax = fmax(gmax, fabs(A1->val[k]));
      gerr = fmax(gerr, fabs(row[A1->col[k]]));
      row[A1->col[k]] = 0;
    }
    for (int64_t k = G.ptr[i]; k < G.ptr[i + 1]; k++) {
      gerr = fmax(gerr, fabs(row[G.col[k]]));
      row[G.col[k]] = 0;
    }
  }
  CHECK(gmax > 0 && gerr <= 1e-10 * gmax,
        "partial %d: corner operator differs from P^T K P by %g of %g", partial,
        gerr, gmax);
  free(row);
  fm_csr_scalar_free(&KP);
  fm_csr_scalar_free(&G);
  /* CG: the p-multigrid on the matrix-free operator against smoothed
   * aggregation on the assembled one */
  double *b = calloc(n, sizeof(double)), *u1 = calloc(n, sizeof(double)),
         *u2 = calloc(n, sizeof(double));
  for (int i = 0; i < n; i++)
    b[i] = fixed[i] ? 0.0 : cos(0.05 * i);
  const int it1 = pcg(n, mf_apply, &op, pmg_pc, &pm, b, u1, 1e-10);
  FmAmg amg;
  CHECK(!fm_amg_setup(&S, md.mesh.x, ufixed, NULL, &amg), "amg setup");
  const int it2 = pcg(n, csr_op, &S, amg_pc, &amg, b, u2, 1e-10);
  CHECK(it1 > 0 && it1 <= 45, "partial %d: pmg: %d iterations", partial, it1);
  CHECK(it2 > 0, "partial %d: amg did not converge", partial);
  double du = 0;
  for (int i = 0; i < n; i++)
    du = fmax(du, fabs(u1[i] - u2[i]));
  CHECK(du <= 1e-7 * maxabs(n, u2), "partial %d: solutions differ by %g of %g",
        partial, du, maxabs(n, u2));
  /* level 0 smoothed with the 3x3 diagonal blocks: the same solution */
  FmPmg pb;
  CHECK(!fm_pmg_setup(&md, fixed, 1e5, db, 3, mf_apply, &op, NULL, &pb),
        "pmg setup (blocks): %s", fm_error_message());
  const int it3 = pcg(n, mf_apply, &op, pmg_pc, &pb, b, u1, 1e-10);
  CHECK(it3 > 0 && it3 <= it1 + 2, "partial %d: pmg (blocks): %d iterations",
        partial, it3);
  du = 0;
  for (int i = 0; i < n; i++)
    du = fmax(du, fabs(u1[i] - u2[i]));
  CHECK(du <= 1e-7 * maxabs(n, u2),
        "partial %d: solutions (blocks) differ by %g of %g", partial, du,
        maxabs(n, u2));
  fm_pmg_free(&pb);
  free(db);
  printf("partial %d: %d DOFs, pmg %d iterations (%d corner DOFs; %d with "
         "block Jacobi), amg %d\n",
         partial, n, it1, pm.n1, it3, it2);
  fm_amg_free(&amg);
  fm_pmg_free(&pm);
  free(b);
  free(u1);
  free(u2);
  free(x);
  free(y);
  free(ya);
  free(d);
  fm_matfree_free(&op);
  fm_csr_free(&B);
  fm_csr_scalar_free(&S);
  free(ufixed);
  fm_model_free(&md);
}

/* fm_csr_scalar_transpose on a random 60000 x 30000 matrix (its threaded
 * path from 200,000 nonzeros): the same on 1 and 2 threads, and the
 * transpose of the transpose is the matrix */
static void check_transpose(void) {
  FmCsr A, T1, T2, B;
  const int m = 60000, n = 30000, per = 5;
  CHECK(!fm_csr_scalar_alloc(&A, m, n, (int64_t)m * per), "alloc");
  unsigned s = 12345;
  for (int i = 0; i < m; i++) {
    A.ptr[i + 1] = A.ptr[i] + per;
    for (int k = 0; k < per; k++) { /* sorted distinct columns */
      s = s * 1103515245u + 12345u;
      A.col[A.ptr[i] + k] = k * (n / per) + (int)((s >> 8) % (n / per));
      A.val[A.ptr[i] + k] = (double)(s % 1000) - 500.0;
    }
  }
  const int nt = set_threads(1);
  CHECK(!fm_csr_scalar_transpose(&A, &T1), "transpose (1 thread)");
  set_threads(2);
  CHECK(!fm_csr_scalar_transpose(&A, &T2), "transpose (2 threads)");
  set_threads(nt);
  const int64_t nnz = A.ptr[m];
  CHECK(T1.nrows == n && T1.ncols == m && T1.ptr[n] == nnz, "shape");
  CHECK(!memcmp(T1.ptr, T2.ptr, (n + 1) * sizeof(int64_t)) &&
            !memcmp(T1.col, T2.col, nnz * sizeof(int)) &&
            !memcmp(T1.val, T2.val, nnz * sizeof(double)),
        "the transpose depends on the threads");
  CHECK(!fm_csr_scalar_transpose(&T2, &B), "transpose back");
  CHECK(!memcmp(A.ptr, B.ptr, (m + 1) * sizeof(int64_t)) &&
            !memcmp(A.col, B.col, nnz * sizeof(int)) &&
            !memcmp(A.val, B.val, nnz * sizeof(double)),
        "(A^T)^T differs from A");
  fm_csr_scalar_free(&A);
  fm_csr_scalar_free(&T1);
  fm_csr_scalar_free(&T2);
  fm_csr_scalar_free(&B);
}

/* fm_csr_assemble: see the header */
static void check_assembly(void) {
  FmModel md;
  FmCsr S;
  unsigned char *fixed;
  build_system("t412", 5.0, &md, &S, &fixed, 0, NULL);
  const FmMesh *m = &md.mesh;
  const int nn = m->nnodes, npe = m->npe;
  int *ids = malloc(nn * sizeof *ids), *sub = malloc(nn * sizeof *sub), ns = 0;
  for (int i = 0; i < nn; i++) {
    ids[i] = i;
    if (i % 3 == 1)
      sub[ns++] = i;
  }
  FmBlockCsr K1, K2, Ks, Kp;
  const int nt = set_threads(1);
  CHECK(!fm_csr_assemble(&md, nn, ids, ids, &K1), "assemble (1 thread)");
  set_threads(2);
  CHECK(!fm_csr_assemble(&md, nn, ids, ids, &K2), "assemble (2 threads)");
  CHECK(!fm_csr_assemble(&md, ns, sub, ids, &Ks), "assemble (a subset)");
  CHECK(!fm_csr_pattern(m, nn, ids, ids, &Kp), "pattern");
  set_threads(nt);
  const int64_t nb = K1.ptr[nn];
  CHECK(nn > 2000, "the model has %d nodes: too few for the threaded path", nn);
  CHECK(!memcmp(K1.ptr, K2.ptr, (nn + 1) * sizeof(int64_t)) &&
            !memcmp(K1.col, K2.col, nb * sizeof(int)) &&
            !memcmp(K1.val, K2.val, 9 * nb * sizeof(double)),
        "the assembly depends on the threads");
  CHECK(!memcmp(K1.ptr, Kp.ptr, (nn + 1) * sizeof(int64_t)) &&
            !memcmp(K1.col, Kp.col, nb * sizeof(int)) && !Kp.val,
        "fm_csr_pattern differs from the assembly's pattern");
  for (int r = 0; r < ns; r++) {
    const int64_t k0 = K1.ptr[sub[r]], len = K1.ptr[sub[r] + 1] - k0;
    CHECK(Ks.ptr[r + 1] - Ks.ptr[r] == len &&
              !memcmp(Ks.col + Ks.ptr[r], K1.col + k0, len * sizeof(int)) &&
              !memcmp(Ks.val + 9 * Ks.ptr[r], K1.val + 9 * k0,
                      9 * len * sizeof(double)),
          "row %d of a subset differs from the whole matrix's", sub[r]);
  }
  /* element by element: every block reached, none left over, the values
   * to round-off; columns strictly increasing */
  double *ref = calloc(9 * nb, sizeof(double)), vmax = 0, dmax = 0;
  char *hit = calloc(nb, 1);
  double xe[30], Ke[900];
  for (int e = 0; e < m->nelem; e++) {
    const int *c = m->conn + (size_t)e * npe;
    const FmMaterial *mat = &md.cs.materials[md.elem_mat[e]];
    for (int a = 0; a < npe; a++)
      for (int q = 0; q < 3; q++)
        xe[3 * a + q] = m->x[3 * c[a] + q];
    fm_tet_stiffness(npe, xe, mat->E, mat->nu, Ke);
    for (int a = 0; a < npe; a++)
      for (int b = 0; b < npe; b++) {
        const int64_t k = fm_csr_find(&K1, c[a], c[b]);
        CHECK(k >= 0, "element %d: block (%d, %d) missing", e, c[a], c[b]);
        hit[k] = 1;
        for (int p = 0; p < 3; p++)
          for (int q = 0; q < 3; q++)
            ref[9 * k + 3 * p + q] += Ke[(3 * a + p) * 3 * npe + 3 * b + q];
      }
  }
  for (int r = 0; r < nn; r++)
    for (int64_t k = K1.ptr[r]; k < K1.ptr[r + 1]; k++) {
      CHECK(hit[k], "row %d: block %d in no element", r, K1.col[k]);
      CHECK(k == K1.ptr[r] || K1.col[k] > K1.col[k - 1],
            "row %d: columns not strictly increasing", r);
      for (int t = 0; t < 9; t++) {
        vmax = fmax(vmax, fabs(ref[9 * k + t]));
        dmax = fmax(dmax, fabs(K1.val[9 * k + t] - ref[9 * k + t]));
      }
    }
  CHECK(dmax <= 1e-13 * vmax, "assembly against element sums: %g of %g", dmax,
        vmax);
  free(ref);
  free(hit);
  free(ids);
  free(sub);
  fm_csr_free(&K1);
  fm_csr_free(&K2);
  fm_csr_free(&Ks);
  fm_csr_free(&Kp);
  free(fixed);
  fm_csr_scalar_free(&S);
  fm_model_free(&md);
}

/* element 1's first mid-edge node replaced by its second: that node then
 * lies on two different edges, which the embedding refuses */
static void check_bad_mid_node(void) {
  FmModel md;
  FmCsr S;
  unsigned char *fixed;
  build_system("t412", 6.0, &md, &S, &fixed, 0, NULL);
  int *corner_of, *corner_node, nc;
  FmCsr P;
  memset(&P, 0, sizeof P);
  CHECK(!fm_pmg_corners(&md.mesh, &corner_of, &corner_node, &nc), "corners");
  CHECK(!fm_pmg_embedding(&md.mesh, corner_of, corner_node, NULL, 3 * nc, &P),
        "embedding: %s", fm_error_message());
  fm_csr_scalar_free(&P);
  md.mesh.conn[10 + 4] = md.mesh.conn[10 + 5];
  CHECK(fm_pmg_embedding(&md.mesh, corner_of, corner_node, NULL, 3 * nc, &P),
        "a mid-edge node on two edges accepted");
  CHECK(strstr(fm_error_message(), ": element 2: a mid-edge node lies on "
                                   "another element's different edge") != NULL,
        "message: %s", fm_error_message());
  free(corner_of);
  free(corner_node);
  free(fixed);
  fm_csr_scalar_free(&S);
  fm_model_free(&md);
}

/* The recovery's fields (solver/recover.c: the element math of a chunk on
 * every core, the sums in element order) have the same bits on one and two
 * threads and with chunks smaller than the model, and equal a plain serial
 * element loop's */
static void check_recovery(void) {
  FmModel md;
  FmCsr S;
  unsigned char *fixed;
  build_system("t412r", 5.0, &md, &S, &fixed, 0, NULL);
  const FmMesh *m = &md.mesh;
  const int nn = m->nnodes, npe = m->npe;
  FmPost post;
  CHECK(!fm_post_init(&md, &post), "post init: %s", fm_error_message());
  const size_t nc = (size_t)post.ncopy;
  double *u = malloc(3 * (size_t)nn * sizeof *u);
  for (int i = 0; i < nn; i++)
    for (int k = 0; k < 3; k++)
      u[3 * i + k] = 1e-3 * sin(0.37 * m->x[3 * i] + 0.11 * k) *
                     cos(0.23 * m->x[3 * i + 1] - 0.19 * m->x[3 * i + 2]);
  double *f[3][4]; /* stress, vm, princ, fint of three runs */
  const size_t len[4] = {6 * nc, nc, 3 * nc, 3 * (size_t)nn};
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 4; k++)
      f[r][k] = malloc(len[k] * sizeof(double));
  const int chunk = fm_recover_chunk;
  const int nt = set_threads(1);
  CHECK(!fm_recover_fields(&md, &post, u, f[0][0], f[0][1], f[0][2], f[0][3]),
        "recovery (1 thread)");
  set_threads(2);
  CHECK(!fm_recover_fields(&md, &post, u, f[1][0], f[1][1], f[1][2], f[1][3]),
        "recovery (2 threads)");
  fm_recover_chunk = 1500; /* several chunks, each threaded, the last short */
  CHECK(m->nelem > 3000 && m->nelem % 1500, "%d elements", m->nelem);
  CHECK(!fm_recover_fields(&md, &post, u, f[2][0], f[2][1], f[2][2], f[2][3]),
        "recovery (2 threads, chunks)");
  fm_recover_chunk = chunk;
  set_threads(nt);
  for (int r = 1; r < 3; r++)
    for (int k = 0; k < 4; k++)
      CHECK(!memcmp(f[0][k], f[r][k], len[k] * sizeof(double)),
            "recovery run %d, field %d: not the one thread's bits", r, k);
  /* a plain serial element loop, its sums in element order */
  double *st = calloc(6 * nc, sizeof(double)), *fi = calloc(3 * nn, 8),
         *cnt = calloc(nc, sizeof(double));
  for (int e = 0; e < m->nelem; e++) {
    const int *c = m->conn + (size_t)e * npe;
    const FmMaterial *mat = &md.cs.materials[md.elem_mat[e]];
    double xe[30], ue[30], fe[30] = {0}, sn[10][6];
    for (int a = 0; a < npe; a++)
      for (int i = 0; i < 3; i++) {
        xe[3 * a + i] = m->x[3 * c[a] + i];
        ue[3 * a + i] = u[3 * c[a] + i];
      }
    fm_tet_nodal_stress(npe, xe, ue, mat->E, mat->nu, sn, fe);
    for (int a = 0; a < npe; a++) {
      const int cp = post.elem_copy[(size_t)e * npe + a];
      for (int i = 0; i < 3; i++)
        fi[3 * c[a] + i] += fe[3 * a + i];
      for (int t = 0; t < 6; t++)
        st[6 * cp + t] += sn[a][t];
      cnt[cp] += 1.0;
    }
  }
  for (size_t cp = 0; cp < nc; cp++)
    for (int t = 0; t < 6; t++)
      st[6 * cp + t] /= cnt[cp];
  CHECK(!memcmp(st, f[0][0], 6 * nc * sizeof(double)),
        "recovered stresses differ from a serial element loop's");
  CHECK(!memcmp(fi, f[0][3], 3 * (size_t)nn * sizeof(double)),
        "internal forces differ from a serial element loop's");
  free(st);
  free(fi);
  free(cnt);
  for (int r = 0; r < 3; r++)
    for (int k = 0; k < 4; k++)
      free(f[r][k]);
  free(u);
  fm_post_free(&post);
  free(fixed);
  fm_csr_scalar_free(&S);
  fm_model_free(&md);
}

int main(void) {
  check_model(0);
  check_model(1);
  check_transpose();
  check_bad_mid_node();
  check_assembly();
  check_recovery();
  /* TET4: refused, naming the case */
  FmModel md;
  FmCsr S;
  unsigned char *fixed;
  build_system("t412", 6.0, &md, &S, &fixed, 0, NULL);
  md.mesh.npe = 4; /* the first four nodes of every element: a TET4 view */
  FmPmg pm;
  double *d = calloc(3 * md.mesh.nnodes, sizeof(double));
  CHECK(fm_pmg_setup(&md, (const char *)fixed, 1.0, d, 1, mf_apply, NULL, NULL,
                     &pm) != 0,
        "a TET4 model accepted");
  CHECK(strstr(fm_error_message(), "t412.yaml: solver.preconditioner: pmg "
                                   "needs TET10") != NULL,
        "message: %s", fm_error_message());
  md.mesh.npe = 10;
  free(d);
  free(fixed);
  fm_csr_scalar_free(&S);
  fm_model_free(&md);
  TEST_END();
}
