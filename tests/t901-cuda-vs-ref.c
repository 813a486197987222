/* The CUDA backend agrees with the plain-C reference backend to 1e-6
 * relative in displacement (max |u_cuda - u_ref| / max |u_ref|), in the
 * recovered von Mises stress per node copy (GPU recovery against the host's)
 * and in the reactions, both solved to rtol 1e-10, with the multigrid
 * preconditioner (the same hierarchy algorithm on both: built by the same
 * steps, amg_steps.h, on the host and on the GPU) with two, three and four
 * levels, with its cycle in double and in single precision below level 0,
 * with the hierarchy built on the GPU and on the host (FEMORA_AMG_SETUP),
 * the GPU's hierarchy required to be the host's from the same matrix, bit
 * for bit (FEMORA_AMG_SETUP=compare),
 * with the Galerkin products by node blocks (the setup's own steps, the
 * default) and by cuSPARSE SpGEMM (FEMORA_AMG_GALERKIN=spgemm),
 * with point-block Jacobi, and with the p-multigrid over the matrix-free
 * stiffness (solver.preconditioner pmg: element actions on both, the same
 * corner operator and smoothed aggregation below it), on cases whose
 * meshes are committed MSH files
 * (the GPU machine has no Gmsh): TET4 box, TET10 box with two load cases (also
 * with Jacobi), and two materials with a non-zero prescribed displacement; and
 * every case file of the folder FEMORA_GPU_CASES names, when set, with its
 * default preconditioner (the p-multigrid for TET10, the smoothed
 * aggregation for TET4), the TET10 ones also with the smoothed aggregation
 * (--preconditioner amg on both)
 * (scripts/gpu-prepare puts the verification cases of cases/validation/,
 * meshed, in .gpu-deps/validation/; scripts/gpu-check sets it).
 *
 * Exit 77 (CTest SKIP_RETURN_CODE) when the build has no CUDA backend or the
 * machine has no CUDA device. */
#include <dirent.h>

#include "run_util.h"

#ifdef FEMORA_HAVE_CUDA

/* pc: the preconditioner on both (NULL: the case's) */
static void compare_path(const char *case_rel, const char *path,
                         const char *out1, const char *out2, const char *pc) {
  FmRun a, b;
  FmRunOptions oa = {out1, "ref", 1, pc}, ob = {out2, "cuda", 1, pc};
  if (fm_run(PETSC_COMM_WORLD, path, &oa, &a)) {
    fprintf(stderr, "%s (ref): %s\n", case_rel, fm_error_message());
    exit(1);
  }
  if (fm_run(PETSC_COMM_WORLD, path, &ob, &b)) {
    fprintf(stderr, "%s (cuda): %s\n", case_rel, fm_error_message());
    exit(1);
  }
  CHECK(a.nlc == b.nlc, "%s: %d and %d load cases", case_rel, a.nlc, b.nlc);
  /* the hierarchies (the same algorithm; the level sizes may differ only
   * where rounding moves a link across the strength threshold) */
  printf("t901: %s: ref: %s\nt901: %s: cuda: %s\n", case_rel, a.pc_detail,
         case_rel, b.pc_detail);
  /* Femora's stiffness product agrees with the reference kernel's (else
   * the backend says so, and falls back); cuSPARSE's differing is a
   * library's matter, handled by the fallback: a warning */
  CHECK(!strstr(b.pc_detail, "Femora's BSR kernel differed"), "%s: %s",
        case_rel, b.pc_detail);
  if (strstr(b.pc_detail, "cuSPARSE's BSR SpMV differed"))
    printf("t901: %s: warning: %s\n", case_rel, b.pc_detail);
  for (int lc = 0; lc < a.nlc && lc < b.nlc; lc++) {
    double dmax = 0, umax = 0;
    for (int i = 0; i < 3 * a.md.mesh.nnodes; i++) {
      dmax = fmax(dmax, fabs(a.res[lc].u[i] - b.res[lc].u[i]));
      umax = fmax(umax, fabs(a.res[lc].u[i]));
    }
    CHECK(umax > 0 && dmax <= 1e-6 * umax,
          "%s: load case %d: cuda differs from ref by %g of %g", case_rel, lc,
          dmax, umax);
    CHECK(b.info[lc].residual <= a.md.cs.rtol * 10, "%s: cuda residual %g",
          case_rel, b.info[lc].residual);
    double vdiff = 0, vmax = 0;
    for (int cp = 0; cp < a.post.ncopy; cp++) {
      vdiff = fmax(vdiff, fabs(a.res[lc].vm[cp] - b.res[lc].vm[cp]));
      vmax = fmax(vmax, fabs(a.res[lc].vm[cp]));
    }
    CHECK(vmax > 0 && vdiff <= 1e-6 * vmax,
          "%s: load case %d: von Mises (GPU recovery) differs by %g of %g",
          case_rel, lc, vdiff, vmax);
    /* reactions, against the larger of the applied and reaction forces
     * (a prescribed displacement alone applies no force), or, where the
     * loads balance each other (self weight hung by a traction: both sums
     * are round-off), a thousandth of the force the largest stress carries
     * across a section of the model's largest extent */
    double fs = 0, lo[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL},
           hi[3] = {-HUGE_VAL, -HUGE_VAL, -HUGE_VAL}, ext = 0;
    for (int i = 0; i < 3; i++)
      fs += fabs(a.res[lc].applied[i]) + fabs(a.res[lc].reaction_sum[i]);
    for (int nd = 0; nd < a.md.mesh.nnodes; nd++)
      for (int i = 0; i < 3; i++) {
        lo[i] = fmin(lo[i], a.md.mesh.x[3 * nd + i]);
        hi[i] = fmax(hi[i], a.md.mesh.x[3 * nd + i]);
      }
    for (int i = 0; i < 3; i++)
      ext = fmax(ext, hi[i] - lo[i]);
    fs = fmax(fs, 1e-3 * vmax * ext * ext);
    for (int i = 0; i < 3; i++)
      CHECK(fabs(a.res[lc].reaction_sum[i] - b.res[lc].reaction_sum[i]) <=
                1e-6 * fs,
            "%s: load case %d: reaction %d: %g (cuda) vs %g (ref)", case_rel,
            lc, i, b.res[lc].reaction_sum[i], a.res[lc].reaction_sum[i]);
    /* same algorithm, different summation order: a few iterations apart
     * (a float cycle rounds at 1e-7, so more apart: 1 in 10) */
    const char *prec = getenv("FEMORA_AMG_PRECISION");
    const int single = prec && !strcmp(prec, "single");
    CHECK(abs(a.info[lc].iterations - b.info[lc].iterations) <=
              2 + a.info[lc].iterations / (single ? 10 : 20),
          "%s: load case %d: %d iterations (cuda) vs %d (ref)", case_rel, lc,
          b.info[lc].iterations, a.info[lc].iterations);
  }
  fm_run_free(&a);
  fm_run_free(&b);
}

static void compare(const char *case_rel, const char *out1, const char *out2) {
  compare_path(case_rel, src_path(case_rel), out1, out2, NULL);
}

/* every *.yaml of the folder FEMORA_GPU_CASES, if set */
static void compare_folder(void) {
  const char *dir = getenv("FEMORA_GPU_CASES");
  if (!dir || !*dir)
    return;
  DIR *dp = opendir(dir);
  CHECK(dp != NULL, "FEMORA_GPU_CASES=%s: cannot open", dir);
  if (!dp)
    return;
  struct dirent *de;
  int n = 0;
  while ((de = readdir(dp))) {
    const size_t len = strlen(de->d_name);
    if (len < 6 || strcmp(de->d_name + len - 5, ".yaml"))
      continue;
    char path[4096], o1[600], o2[600];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    snprintf(o1, sizeof o1, "t901-%s-ref.out", de->d_name);
    snprintf(o2, sizeof o2, "t901-%s-cuda.out", de->d_name);
    compare_path(de->d_name, path, o1, o2, NULL);
    n++;
    /* TET10 cases (order 2; the p-multigrid over the matrix-free
     * stiffness by default) again with the smoothed aggregation on the
     * assembled stiffness on both */
    FmCase cs;
    memset(&cs, 0, sizeof cs);
    const int tet10 = !fm_case_read(path, &cs) && cs.order == 2;
    fm_case_free(&cs);
    if (tet10) {
      char label[600];
      snprintf(label, sizeof label, "%s [amg]", de->d_name);
      snprintf(o1, sizeof o1, "t901-%s-ref-amg.out", de->d_name);
      snprintf(o2, sizeof o2, "t901-%s-cuda-amg.out", de->d_name);
      compare_path(label, path, o1, o2, "amg");
      n++;
    }
  }
  closedir(dp);
  CHECK(n > 0, "FEMORA_GPU_CASES=%s: no case files", dir);
  printf("t901: %d cases of %s compared\n", n, dir);
}

int main(int argc, char **argv) {
  if (fm_cuda_device_count() == 0) {
    printf("skipped: no CUDA device\n");
    return 77;
  }
  test_init(&argc, &argv);
  /* (1017 DOFs: one level, the stiffness itself, in 3x3 blocks, comes
   * down for the dense coarse solve) */
  compare("cases/test/gpu_box_tet4.yaml", "t901-a.out", "t901-b.out");
  compare("cases/test/gpu_box_tet10.yaml", "t901-c.out", "t901-d.out");
  compare("cases/test/gpu_box_tet10_jacobi.yaml", "t901-g.out", "t901-h.out");
  /* variants: the case (box: the TET10 box) under settings "NAME=VALUE
   * ..." (FEMORA_ omitted), each set for its run alone */
  static const struct {
    const char *label, *case_rel, *env;
  } var[] = {
      /* a deeper hierarchy (3 levels instead of 2: coarse levels with up
       * to 6 DOFs per node on the GPU too), and four levels or more */
      {"3 levels", NULL, "AMG_COARSE_MAX=100"},
      {"coarse maximum 20", NULL, "AMG_COARSE_MAX=20"},
      /* the cycle in single precision below level 0 on both (float
       * operators, P, R, diagonals and vectors; the level-0 boundary
       * through float copies on the GPU) */
      {"single-precision cycle, 4 levels", NULL,
       "AMG_PRECISION=single AMG_COARSE_MAX=20"},
      {"single-precision cycle", NULL, "AMG_PRECISION=single"},
      /* the hierarchy built on the host and copied up (the fallback;
       * where the GPU's own setup fails and this passes, the setup is at
       * fault) */
      {"setup on the host, 3 levels", NULL,
       "AMG_SETUP=host AMG_COARSE_MAX=100"},
      {"setup on the host, single-precision cycle", NULL,
       "AMG_SETUP=host AMG_COARSE_MAX=100 AMG_PRECISION=single"},
      /* the GPU's setup against the host's from the same (GPU-assembled)
       * matrix: the same steps in the same order, so the same hierarchy,
       * bit for bit (an error otherwise); four levels */
      {"GPU setup = host setup, 4 levels", NULL,
       "AMG_SETUP=compare AMG_COARSE_MAX=20"},
      /* the Galerkin products by cuSPARSE SpGEMM on the GPU (general
       * sparse products on the host) */
      {"SpGEMM Galerkin products, 3 levels", NULL,
       "AMG_GALERKIN=spgemm AMG_COARSE_MAX=100"},
      /* the stiffness products (CG, the cycle's level 0, the lift) by
       * Femora's 3x3 block kernel instead of cuSPARSE's BSR SpMV: a warp
       * per block row on TET10, half a warp on TET4 */
      {"Femora's BSR kernel", NULL, "GPU_SPMV=kernel"},
      {"Femora's BSR kernel, half a warp per row",
       "cases/test/gpu_box_tet4.yaml", "GPU_SPMV=kernel"},
      {"Femora's BSR kernel, point-block Jacobi",
       "cases/test/gpu_box_tet10_jacobi.yaml", "GPU_SPMV=kernel"},
      /* R not kept: the restriction by cuSPARSE's transposed product of P
       * (the host's in row order), with the double and the single cycle,
       * the setup on the host, SpGEMM */
      {"restriction by P^T, 3 levels", NULL,
       "AMG_RESTRICT=transpose AMG_COARSE_MAX=100"},
      {"restriction by P^T, single-precision cycle", NULL,
       "AMG_RESTRICT=transpose AMG_COARSE_MAX=100 AMG_PRECISION=single"},
      {"restriction by P^T, setup on the host", NULL,
       "AMG_RESTRICT=transpose AMG_COARSE_MAX=100 AMG_SETUP=host"},
      {"restriction by P^T, SpGEMM", NULL,
       "AMG_RESTRICT=transpose AMG_COARSE_MAX=100 AMG_GALERKIN=spgemm"},
      /* the p-multigrid: deeper below the corner level, the float cycle
       * there, R not kept there */
      {"p-multigrid, 3 levels below", "cases/test/gpu_box_tet10_pmg.yaml",
       "AMG_COARSE_MAX=20"},
      {"p-multigrid, single-precision cycle below",
       "cases/test/gpu_box_tet10_pmg.yaml",
       "AMG_COARSE_MAX=20 AMG_PRECISION=single"},
      {"p-multigrid, GPU setup = host setup below",
       "cases/test/gpu_box_tet10_pmg.yaml",
       "AMG_COARSE_MAX=20 AMG_SETUP=compare"},
      {"p-multigrid, restriction by P^T below",
       "cases/test/gpu_box_tet10_pmg.yaml",
       "AMG_COARSE_MAX=20 AMG_RESTRICT=transpose"},
      {"p-multigrid, setup on the host below, single-precision cycle",
       "cases/test/gpu_box_tet10_pmg.yaml",
       "AMG_COARSE_MAX=20 AMG_SETUP=host AMG_PRECISION=single"},
  };
  for (size_t v = 0; v < sizeof var / sizeof var[0]; v++) {
    const char *c =
        var[v].case_rel ? var[v].case_rel : "cases/test/gpu_box_tet10.yaml";
    char label[256], o1[64], o2[64], env[256], names[8][64];
    int nset = 0;
    snprintf(label, sizeof label, "%s [%s]", c, var[v].label);
    snprintf(o1, sizeof o1, "t901-v%zu-ref.out", v);
    snprintf(o2, sizeof o2, "t901-v%zu-cuda.out", v);
    snprintf(env, sizeof env, "%s", var[v].env);
    for (char *tok = strtok(env, " "); tok && nset < 8;
         tok = strtok(NULL, " ")) {
      char *eq = strchr(tok, '=');
      *eq = '\0';
      snprintf(names[nset], sizeof names[nset], "FEMORA_%s", tok);
      setenv(names[nset++], eq + 1, 1);
    }
    compare_path(label, src_path(c), o1, o2, NULL);
    for (int k = 0; k < nset; k++)
      unsetenv(names[k]);
  }
  compare_folder();
  compare("cases/test/gpu_two_volumes.yaml", "t901-e.out", "t901-f.out");
  /* the p-multigrid over the matrix-free stiffness: two load cases; two
   * materials, a body force and a prescribed displacement (the lift by
   * element actions) */
  compare("cases/test/gpu_box_tet10_pmg.yaml", "t901-i.out", "t901-j.out");
  compare("cases/test/gpu_two_volumes_pmg.yaml", "t901-k.out", "t901-l.out");
  PetscFinalize();
  TEST_END();
}

#else

int main(void) {
  printf("skipped: this build has no CUDA backend\n");
  return 77;
}

#endif
