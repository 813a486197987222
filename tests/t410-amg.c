/* Smoothed-aggregation multigrid (solver/amg.c) on a generated implant +
 * cement + bone model (TET10, stiffness contrast 44x, distal face fixed):
 *  - the hierarchy coarsens level by level; R is exactly P^T;
 *  - Galerkin: v^T (R A P) v = (P v)^T A (P v) for a random coarse v;
 *  - P has no entries in the rows of prescribed DOFs;
 *  - the V-cycle is a symmetric positive definite operator (CG needs it):
 *    y^T M x = x^T M y, x^T M x > 0;
 *  - with a single level the cycle is the exact inverse (A M b = b), and
 *    the explicit coarse inverse (what the GPU applies) agrees;
 *  - CG with the V-cycle converges to 1e-8 in at most 40 iterations and in
 *    fewer than a quarter of the iterations of point Jacobi (measured: 29
 *    and 2844 on this model, 85,293 DOFs);
 *  - the cycle in single precision below level 0 needs at most two more
 *    iterations (the same on this model) and stays symmetric to float
 *    rounding;
 *  - a non-positive diagonal is refused with a message;
 *  - every free node lands in an aggregate;
 *  - the data-parallel setup steps (amg_steps.h, what the GPU runs one
 *    thread per index) give the same hierarchy in reverse index order;
 *  - the Galerkin products by node blocks (the default) give the general
 *    sparse products' hierarchy bit for bit (explicit zeros in P and R
 *    only where nodes have free and prescribed DOFs, with the eliminated
 *    entries dropped), and so do A P in 1, the default and 40 chunks.
 * Plain C: runs in every build, the GPU machine's included. */
#include <string.h>

#include "amg.h"
#include "amg_steps.h"
#include "csr.h"
#include "error.h"
#include "generate.h"
#include "model.h"
#include "test_util.h"

#include "amg_model.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static double rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (double)(rng >> 11) / 9007199254740992.0 - 0.5;
}

static double dot(int n, const double *a, const double *b) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += a[i] * b[i];
  return s;
}

/* The eliminated system of the model, as the reference backend builds it. */
/* The host's FmAmgDev with every data-parallel step run in reverse
 * order of its index: a step that read what another index of the same
 * step writes (a race on the GPU) would give a different hierarchy. */
static int reverse_run(void *ctx, int step, int64_t n,
                       const struct FmAmgArgs *a) {
  (void)ctx;
  for (int64_t i = n - 1; i >= 0; i--)
    fm_amg_step(step, i, a);
  return 0;
}

/* Every entry of Y is in X with the same value, and X's other entries are
 * zero; *extra: X's entries not in Y. */
static int holds_csr(const FmCsr *X, const FmCsr *Y, int64_t *extra) {
  int ok = X->nrows == Y->nrows && X->ncols == Y->ncols;
  *extra = 0;
  for (int i = 0; ok && i < X->nrows; i++) {
    int64_t kx = X->ptr[i];
    for (int64_t ky = Y->ptr[i]; ok && ky < Y->ptr[i + 1]; ky++) {
      for (; kx < X->ptr[i + 1] && X->col[kx] < Y->col[ky]; kx++, ++*extra)
        ok = X->val[kx] == 0.0;
      ok = ok && kx < X->ptr[i + 1] && X->col[kx] == Y->col[ky] &&
           X->val[kx] == Y->val[ky];
      kx++;
    }
    for (; ok && kx < X->ptr[i + 1]; kx++, ++*extra)
      ok = X->val[kx] == 0.0;
  }
  return ok;
}

/* The hierarchy amg (Galerkin products by node blocks) against the one
 * by general sparse products: the same values, summed in the same order;
 * P and R hold explicit zeros only where prescribed DOFs share a node
 * with free ones (zeros: some expected). */
static int compare_galerkin(const FmCsr *S, const double *x,
                            const unsigned char *fixed, const FmAmgOptions *opt,
                            const FmAmg *amg, int zeros) {
  FmAmgOptions o2 = *opt;
  o2.galerkin = FM_AMG_GALERKIN_SPGEMM;
  FmAmg sp;
  if (fm_amg_setup(S, x, fixed, &o2, &sp)) {
    fprintf(stderr, "t410: %s\n", fm_error_message());
    return 1;
  }
  int bad = sp.nlev != amg->nlev;
  int64_t all = 0;
  for (int l = 0; !bad && l < sp.nlev; l++) {
    int64_t xa = 0, xp = 0, xr = 0;
    bad |= sp.lev[l].emax != amg->lev[l].emax;
    if (l > 0)
      bad |= !holds_csr(&amg->lev[l].A, &sp.lev[l].A, &xa);
    if (l + 1 < sp.nlev)
      bad |= !holds_csr(&amg->lev[l].P, &sp.lev[l].P, &xp) ||
             !holds_csr(&amg->lev[l].R, &sp.lev[l].R, &xr);
    printf("t410: level %d: blocks = sparse products%s (explicit zeros: "
           "operator %lld, P %lld, R %lld)\n",
           l, bad ? " NOT" : "", (long long)xa, (long long)xp, (long long)xr);
    bad |= l > 0 && xp + xr > 0;
    all += xa + xp + xr;
  }
  fm_amg_free(&sp);
  if (zeros != (all > 0))
    printf("t410: %lld explicit zeros, %s expected\n", (long long)all,
           zeros ? "some" : "none");
  return bad || zeros != (all > 0);
}

/* preconditioned CG from x = 0, at most max_it iterations; returns the
 * iterations to rtol, max_it + 1 if it did not get there */
static int pcg(const FmCsr *A, FmAmg *amg, int n, const double *b, double rtol,
               int jacobi, int max_it) {
  double *x = calloc(n, sizeof *x), *r = malloc(n * sizeof *r),
         *z = malloc(n * sizeof *z), *p = malloc(n * sizeof *p),
         *q = malloc(n * sizeof *q), *dinv = malloc(n * sizeof *dinv);
  for (int i = 0; i < n; i++)
    for (int64_t k = A->ptr[i]; k < A->ptr[i + 1]; k++)
      if (A->col[k] == i)
        dinv[i] = 1.0 / A->val[k];
  memcpy(r, b, n * sizeof *r);
  const double bn = sqrt(dot(n, b, b));
  if (jacobi)
    for (int i = 0; i < n; i++)
      z[i] = dinv[i] * r[i];
  else
    fm_amg_apply(amg, r, z);
  memcpy(p, z, n * sizeof *p);
  double rz = dot(n, r, z);
  int it = 0;
  while (sqrt(dot(n, r, r)) > rtol * bn && it <= max_it) {
    fm_csr_scalar_spmv(A, 1.0, p, 0.0, q);
    const double alpha = rz / dot(n, p, q);
    for (int i = 0; i < n; i++) {
      x[i] += alpha * p[i];
      r[i] -= alpha * q[i];
    }
    if (jacobi)
      for (int i = 0; i < n; i++)
        z[i] = dinv[i] * r[i];
    else
      fm_amg_apply(amg, r, z);
    const double rz1 = dot(n, r, z);
    for (int i = 0; i < n; i++)
      p[i] = z[i] + rz1 / rz * p[i];
    rz = rz1;
    it++;
  }
  /* the true residual */
  fm_csr_scalar_spmv(A, 1.0, x, 0.0, q);
  double e = 0;
  for (int i = 0; i < n; i++)
    e += (b[i] - q[i]) * (b[i] - q[i]);
  CHECK(it > max_it || sqrt(e) <= 2 * rtol * bn, "%s: true residual %g",
        jacobi ? "jacobi" : "amg", sqrt(e) / bn);
  free(x);
  free(r);
  free(z);
  free(p);
  free(q);
  free(dinv);
  return it;
}

int main(void) {
  FmModel md;
  FmCsr S;
  unsigned char *fixed;
  build_system("t410", 4.0, &md, &S, &fixed, 0, NULL);
  const int n = S.nrows;
  CHECK(n > 20000, "model too small: %d DOFs", n);

  /* a deep hierarchy */
  FmAmgOptions opt;
  fm_amg_default_options(&opt);
  opt.coarse_max = 200;
  FmAmg amg;
  if (fm_amg_setup(&S, md.mesh.x, fixed, &opt, &amg)) {
    fprintf(stderr, "t410: %s\n", fm_error_message());
    return 1;
  }
  CHECK(amg.nlev >= 3, "%d levels", amg.nlev);
  CHECK(amg.lev[amg.nlev - 1].n <= 200, "coarsest %d rows",
        amg.lev[amg.nlev - 1].n);
  for (int l = 0; l + 1 < amg.nlev; l++) {
    const FmAmgLevel *L = &amg.lev[l], *C = &amg.lev[l + 1];
    CHECK(C->n < L->n / 4, "level %d: %d -> %d rows", l, L->n, C->n);
    CHECK(L->P.nrows == L->n && L->P.ncols == C->n, "level %d: P %dx%d", l,
          L->P.nrows, L->P.ncols);
    /* R = P^T exactly */
    FmCsr T;
    fm_csr_scalar_transpose(&L->P, &T);
    int same = T.ptr[T.nrows] == L->R.ptr[L->R.nrows];
    for (int64_t k = 0; same && k < T.ptr[T.nrows]; k++)
      same = T.col[k] == L->R.col[k] && T.val[k] == L->R.val[k];
    CHECK(same, "level %d: R is not P^T", l);
    fm_csr_scalar_free(&T);
    /* Galerkin */
    double *v = malloc(C->n * sizeof *v), *Pv = malloc(L->n * sizeof *Pv),
           *APv = malloc(L->n * sizeof *APv), *Av = malloc(C->n * sizeof *Av);
    for (int i = 0; i < C->n; i++)
      v[i] = rnd();
    fm_csr_scalar_spmv(&L->P, 1.0, v, 0.0, Pv);
    fm_csr_scalar_spmv(&L->A, 1.0, Pv, 0.0, APv);
    fm_csr_scalar_spmv(&C->A, 1.0, v, 0.0, Av);
    CHECK_CLOSE(dot(C->n, v, Av), dot(L->n, Pv, APv), 1e-11, 0.0);
    free(v);
    free(Pv);
    free(APv);
    free(Av);
  }
  /* no prolongation into prescribed DOFs */
  int leak = 0;
  for (int i = 0; i < n; i++)
    if (fixed[i])
      for (int64_t k = amg.lev[0].P.ptr[i]; k < amg.lev[0].P.ptr[i + 1]; k++)
        leak += amg.lev[0].P.val[k] != 0.0;
  CHECK(leak == 0, "%d entries of P in prescribed rows", leak);

  /* every free node is in an aggregate: its rows of P are not empty */
  int orphans = 0;
  for (int i = 0; i < n; i++)
    orphans += !fixed[i] && amg.lev[0].P.ptr[i + 1] == amg.lev[0].P.ptr[i];
  CHECK(orphans == 0, "%d free DOFs without a coarse DOF", orphans);

  /* the same hierarchy with the steps in another order */
  {
    FmAmg rv;
    FmAmgDev dev;
    fm_amg_host_dev(&rv, &dev);
    dev.run = reverse_run;
    const FmAmgCsr A0 = {S.nrows, S.ncols, S.ptr, S.col, S.val, 1};
    if (fm_amg_setup_dev(&dev, &A0, md.mesh.x, fixed, &opt, &rv)) {
      fprintf(stderr, "t410: %s\n", fm_error_message());
      return 1;
    }
    CHECK(rv.nlev == amg.nlev, "%d levels in reverse order, %d forward",
          rv.nlev, amg.nlev);
    for (int l = 0; l < rv.nlev && l < amg.nlev; l++) {
      CHECK(rv.lev[l].emax == amg.lev[l].emax, "level %d: lmax differs", l);
      if (l > 0)
        CHECK(same_csr(&rv.lev[l].A, &amg.lev[l].A),
              "level %d differs with the steps in reverse order", l);
      if (l + 1 < rv.nlev)
        CHECK(same_csr(&rv.lev[l].P, &amg.lev[l].P),
              "level %d: P differs with the steps in reverse order", l);
    }
    fm_amg_free(&rv);
  }

  /* the Galerkin products by node blocks (the default, host and GPU) give
   * the general sparse products' hierarchy */
  CHECK(opt.galerkin == FM_AMG_GALERKIN_BLOCKS, "default Galerkin %d",
        opt.galerkin);
  CHECK(compare_galerkin(&S, md.mesh.x, fixed, &opt, &amg, 0) == 0,
        "Galerkin products differ");
  /* A P formed in chunks of aggregates (by default here), whole, or in
   * many chunks: the same hierarchy, bit for bit */
  CHECK(amg.lev[0].gchunks > 1 && amg.lev[0].apnnz > amg.lev[0].apwhole,
        "level 0: A P in %d chunks, %lld of %lld nonzeros formed",
        amg.lev[0].gchunks, (long long)amg.lev[0].apnnz,
        (long long)amg.lev[0].apwhole);
  for (int k = 0; k < 2; k++) {
    FmAmgOptions oc = opt;
    oc.galerkin_chunks = k == 0 ? 1 : 40;
    FmAmg ch;
    if (fm_amg_setup(&S, md.mesh.x, fixed, &oc, &ch)) {
      fprintf(stderr, "t410: %s\n", fm_error_message());
      return 1;
    }
    CHECK(ch.nlev == amg.nlev, "%d chunks: %d levels, %d", oc.galerkin_chunks,
          ch.nlev, amg.nlev);
    for (int l = 0; l < ch.nlev && l < amg.nlev; l++) {
      if (l > 0)
        CHECK(same_csr(&ch.lev[l].A, &amg.lev[l].A),
              "level %d differs with A P in %d chunks", l, oc.galerkin_chunks);
      if (l + 1 < ch.nlev)
        CHECK(same_csr(&ch.lev[l].P, &amg.lev[l].P) &&
                  same_csr(&ch.lev[l].R, &amg.lev[l].R),
              "level %d: P or R differs with A P in %d chunks", l,
              oc.galerkin_chunks);
    }
    CHECK(ch.lev[0].gchunks == oc.galerkin_chunks &&
              (k > 0 || ch.lev[0].apnnz == ch.lev[0].apwhole),
          "level 0: %d chunks, %lld of %lld nonzeros", ch.lev[0].gchunks,
          (long long)ch.lev[0].apnnz, (long long)ch.lev[0].apwhole);
    fm_amg_free(&ch);
  }

  /* a level of at most 2 coarse_max rows with a quarter of its entries
   * nonzero is the last (coarsening it cost more than its dense solve):
   * none such above the coarsest here, and with coarse_max set to half of
   * a dense level's rows the hierarchy ends there */
  int ld = -1;
  for (int l = 0; l < amg.nlev; l++) {
    const FmAmgLevel *L = &amg.lev[l];
    const int dense = (double)L->nnz >= 0.25 * (double)L->n * (double)L->n;
    CHECK(l + 1 == amg.nlev || !(dense && L->n <= 2 * opt.coarse_max),
          "level %d: %d rows, %lld nonzeros, not the last", l, L->n,
          (long long)L->nnz);
    if (dense && l > 0 && ld < 0 && L->n > 2)
      ld = l;
  }
  CHECK(ld > 0, "no level a quarter full to test the dense rule on");
  if (ld > 0) {
    FmAmgOptions od = opt;
    od.coarse_max = (amg.lev[ld].n + 1) / 2;
    FmAmg dn;
    if (fm_amg_setup(&S, md.mesh.x, fixed, &od, &dn)) {
      fprintf(stderr, "t410: %s\n", fm_error_message());
      return 1;
    }
    CHECK(dn.nlev == ld + 1 && dn.lev[ld].n == amg.lev[ld].n,
          "coarse_max %d: %d levels, the last of %d rows (level %d: %d rows)",
          od.coarse_max, dn.nlev, dn.lev[dn.nlev - 1].n, ld, amg.lev[ld].n);
    fm_amg_free(&dn);
  }

  /* the V-cycle is symmetric positive definite */
  double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y),
         *Mx = malloc(n * sizeof *Mx), *My = malloc(n * sizeof *My);
  for (int i = 0; i < n; i++) {
    x[i] = rnd();
    y[i] = rnd();
  }
  fm_amg_apply(&amg, x, Mx);
  fm_amg_apply(&amg, y, My);
  CHECK_CLOSE(dot(n, y, Mx), dot(n, x, My), 1e-10, 0.0);
  CHECK(dot(n, x, Mx) > 0, "x^T M x = %g", dot(n, x, Mx));

  /* convergence: AMG against point Jacobi, both to 1e-8 */
  double *b = malloc(n * sizeof *b);
  for (int i = 0; i < n; i++)
    b[i] = fixed[i] ? 0.0 : rnd();
  fm_amg_free(&amg);
  fm_amg_default_options(&opt);
  if (fm_amg_setup(&S, md.mesh.x, fixed, &opt, &amg)) {
    fprintf(stderr, "t410: %s\n", fm_error_message());
    return 1;
  }
  const int it_amg = pcg(&S, &amg, n, b, 1e-8, 0, 40);
  CHECK(it_amg <= 40, "AMG-CG: no convergence in 40 iterations");
  /* Jacobi gets 4x as many and must not be done (a full Jacobi solve takes
   * 2844 iterations: too slow for a test) */
  const int it_jac = pcg(&S, &amg, n, b, 1e-8, 1, 4 * it_amg);
  CHECK(it_jac > 4 * it_amg,
        "Jacobi-CG converged in %d iterations, AMG-CG "
        "in %d",
        it_jac, it_amg);
  fm_amg_free(&amg);

  /* the cycle in single precision below level 0 (CG in double): as few
   * iterations, to the same true residual (pcg checks it), and still a
   * symmetric operator to float rounding */
  opt.single = 1;
  if (fm_amg_setup(&S, md.mesh.x, fixed, &opt, &amg)) {
    fprintf(stderr, "t410: %s\n", fm_error_message());
    return 1;
  }
  CHECK(amg.lev[1].Af && amg.lev[0].Pf && !amg.lev[0].P.val,
        "single precision: float hierarchy not made");
  const int it_single = pcg(&S, &amg, n, b, 1e-8, 0, 40);
  CHECK(it_single <= it_amg + 2,
        "single-precision cycle: %d iterations, double %d", it_single, it_amg);
  fm_amg_apply(&amg, x, Mx);
  fm_amg_apply(&amg, y, My);
  CHECK_CLOSE(dot(n, y, Mx), dot(n, x, My), 1e-5, 0.0);
  printf("t410: CG iterations to 1e-8: multigrid %d (single-precision cycle "
         "%d), Jacobi > %d\n",
         it_amg, it_single, 4 * it_amg);
  fm_amg_free(&amg);
  opt.single = 0;

  /* one level: the cycle is the exact inverse (dense Cholesky) */
  FmCsr small;
  memset(&small, 0, sizeof small);
  {
    /* the first 600 DOFs, with the couplings among them */
    const int m = 600;
    fm_csr_scalar_alloc(&small, m, m, S.ptr[m]);
    int64_t o = 0;
    for (int i = 0; i < m; i++) {
      for (int64_t k = S.ptr[i]; k < S.ptr[i + 1]; k++)
        if (S.col[k] < m) {
          small.col[o] = S.col[k];
          small.val[o++] = S.val[k];
        }
      small.ptr[i + 1] = o;
    }
    if (fm_amg_setup(&small, md.mesh.x, fixed, NULL, &amg)) {
      fprintf(stderr, "t410: %s\n", fm_error_message());
      return 1;
    }
    CHECK(amg.nlev == 1, "%d levels for %d rows", amg.nlev, m);
    fm_amg_apply(&amg, b, x);
    fm_csr_scalar_spmv(&small, 1.0, x, 0.0, y);
    double e = 0, bn = 0;
    for (int i = 0; i < m; i++) {
      e = fmax(e, fabs(y[i] - b[i]));
      bn = fmax(bn, fabs(b[i]));
    }
    CHECK(e <= 1e-10 * bn, "exact coarse solve: residual %g of %g", e, bn);
    /* the explicit inverse the GPU applies gives the same x */
    double *inv = NULL, dx = 0, xm = 0;
    CHECK(fm_amg_coarse_inverse(&amg, &inv) == 0, "coarse inverse: %s",
          fm_error_message());
    for (int i = 0; inv && i < m; i++) {
      double s = 0;
      for (int j = 0; j < m; j++)
        s += inv[(size_t)i * m + j] * b[j];
      dx = fmax(dx, fabs(s - x[i]));
      xm = fmax(xm, fabs(x[i]));
    }
    CHECK(inv && dx <= 1e-10 * xm, "coarse inverse: %g of %g", dx, xm);
    free(inv);
    fm_amg_free(&amg);
    /* a non-positive diagonal is refused */
    for (int64_t k = small.ptr[10]; k < small.ptr[11]; k++)
      if (small.col[k] == 10)
        small.val[k] = -1.0;
    CHECK(fm_amg_setup(&small, md.mesh.x, fixed, NULL, &amg) != 0,
          "negative diagonal accepted");
    CHECK(strstr(fm_error_message(), "diagonal") != NULL, "message: %s",
          fm_error_message());
  }
  fm_csr_scalar_free(&small);
  fm_csr_scalar_free(&S);
  fm_model_free(&md);
  free(fixed);

  /* nodes with free and prescribed DOFs, eliminated entries dropped: the
   * node blocks carry explicit zeros in P and R there, the rest as the
   * sparse products; still nothing prolongated into prescribed DOFs */
  build_system("t410", 4.0, &md, &S, &fixed, 1, NULL);
  int partial = 0;
  for (int i = 0; i < S.nrows / 3; i++) {
    const int f = fixed[3 * i] + fixed[3 * i + 1] + fixed[3 * i + 2];
    partial += f > 0 && f < 3;
  }
  CHECK(partial > 10, "%d nodes with free and prescribed DOFs", partial);
  if (fm_amg_setup(&S, md.mesh.x, fixed, &opt, &amg)) {
    fprintf(stderr, "t410: %s\n", fm_error_message());
    return 1;
  }
  CHECK(compare_galerkin(&S, md.mesh.x, fixed, &opt, &amg, 1) == 0,
        "Galerkin products differ (partial constraints)");
  leak = 0;
  for (int i = 0; i < S.nrows; i++)
    if (fixed[i])
      for (int64_t k = amg.lev[0].P.ptr[i]; k < amg.lev[0].P.ptr[i + 1]; k++)
        leak += amg.lev[0].P.val[k] != 0.0;
  CHECK(leak == 0, "%d entries of P in prescribed rows (partial)", leak);
  fm_amg_free(&amg);
  fm_csr_scalar_free(&S);
  fm_model_free(&md);
  free(fixed);
  free(x);
  free(y);
  free(Mx);
  free(My);
  free(b);
  TEST_END();
}
