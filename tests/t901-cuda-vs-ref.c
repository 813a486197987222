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
 * and with point-block Jacobi, on cases whose meshes are committed MSH files
 * (the GPU machine has no Gmsh): TET4 box, TET10 box with two load cases (also
 * with Jacobi), and two materials with a non-zero prescribed displacement; and
 * every case file of the folder FEMORA_GPU_CASES names, when set
 * (scripts/gpu-prepare puts the verification cases of cases/validation/,
 * meshed, in .gpu-deps/validation/; scripts/gpu-check sets it).
 *
 * Exit 77 (CTest SKIP_RETURN_CODE) when the build has no CUDA backend or the
 * machine has no CUDA device. */
#include <dirent.h>

#include "run_util.h"

#ifdef FEMORA_HAVE_CUDA

static void compare_path(const char *case_rel, const char *path,
                         const char *out1, const char *out2) {
  FmRun a, b;
  FmRunOptions oa = {out1, "ref", 1}, ob = {out2, "cuda", 1};
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
     * (a prescribed displacement alone applies no force) */
    double fs = 0;
    for (int i = 0; i < 3; i++)
      fs += fabs(a.res[lc].applied[i]) + fabs(a.res[lc].reaction_sum[i]);
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
  compare_path(case_rel, src_path(case_rel), out1, out2);
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
    compare_path(de->d_name, path, o1, o2);
    n++;
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
  /* a deeper hierarchy (3 levels instead of 2: coarse levels with up to 6
   * DOFs per node on the GPU too) */
  const char *box = "cases/test/gpu_box_tet10.yaml";
  setenv("FEMORA_AMG_COARSE_MAX", "100", 1);
  compare_path("gpu_box_tet10 [3 levels]", src_path(box), "t901-i.out",
               "t901-j.out");
  /* four levels or more (coarse levels of coarse levels) */
  setenv("FEMORA_AMG_COARSE_MAX", "20", 1);
  compare_path("gpu_box_tet10 [coarse maximum 20]", src_path(box), "t901-k.out",
               "t901-l.out");
  /* the cycle in single precision below level 0 on both (float operators,
   * P, R, diagonals and vectors; the level-0 boundary through float
   * copies on the GPU) */
  setenv("FEMORA_AMG_PRECISION", "single", 1);
  compare_path("gpu_box_tet10 [single-precision cycle, 4 levels]",
               src_path(box), "t901-m.out", "t901-n.out");
  unsetenv("FEMORA_AMG_COARSE_MAX");
  compare_path("gpu_box_tet10 [single-precision cycle]", src_path(box),
               "t901-o.out", "t901-p.out");
  unsetenv("FEMORA_AMG_PRECISION");
  /* the hierarchy built on the host and copied up (the fallback; where
   * the GPU's own setup fails and this passes, the setup is at fault) */
  setenv("FEMORA_AMG_SETUP", "host", 1);
  setenv("FEMORA_AMG_COARSE_MAX", "100", 1);
  compare_path("gpu_box_tet10 [setup on the host, 3 levels]", src_path(box),
               "t901-q.out", "t901-r.out");
  setenv("FEMORA_AMG_PRECISION", "single", 1);
  compare_path("gpu_box_tet10 [setup on the host, single-precision cycle]",
               src_path(box), "t901-s.out", "t901-t.out");
  unsetenv("FEMORA_AMG_PRECISION");
  unsetenv("FEMORA_AMG_SETUP");
  /* the GPU's setup against the host's from the same (GPU-assembled)
   * matrix: the same steps in the same order, so the same hierarchy, bit
   * for bit (an error otherwise); four levels */
  setenv("FEMORA_AMG_SETUP", "compare", 1);
  setenv("FEMORA_AMG_COARSE_MAX", "20", 1);
  compare_path("gpu_box_tet10 [GPU setup = host setup, 4 levels]",
               src_path(box), "t901-w.out", "t901-x.out");
  unsetenv("FEMORA_AMG_SETUP");
  setenv("FEMORA_AMG_COARSE_MAX", "100", 1);
  /* the Galerkin products by cuSPARSE SpGEMM on the GPU (general sparse
   * products on the host) */
  setenv("FEMORA_AMG_GALERKIN", "spgemm", 1);
  compare_path("gpu_box_tet10 [SpGEMM Galerkin products, 3 levels]",
               src_path(box), "t901-u.out", "t901-v.out");
  unsetenv("FEMORA_AMG_GALERKIN");
  unsetenv("FEMORA_AMG_COARSE_MAX");
  /* the stiffness products (CG, the cycle's level 0, the lift) by
   * Femora's 3x3 block kernel instead of cuSPARSE's BSR SpMV */
  setenv("FEMORA_GPU_SPMV", "kernel", 1);
  compare_path("gpu_box_tet10 [Femora's BSR kernel]", src_path(box),
               "t901-y.out", "t901-z.out");
  compare_path("gpu_box_tet4 [Femora's BSR kernel, half a warp per row]",
               src_path("cases/test/gpu_box_tet4.yaml"), "t901-y1.out",
               "t901-z1.out");
  compare_path("gpu_box_tet10_jacobi [Femora's BSR kernel]",
               src_path("cases/test/gpu_box_tet10_jacobi.yaml"), "t901-y2.out",
               "t901-z2.out");
  unsetenv("FEMORA_GPU_SPMV");
  /* R not kept: the restriction by cuSPARSE's transposed product of P
   * (the host's in row order), with the double and the single cycle */
  setenv("FEMORA_AMG_RESTRICT", "transpose", 1);
  setenv("FEMORA_AMG_COARSE_MAX", "100", 1);
  compare_path("gpu_box_tet10 [restriction by P^T, 3 levels]", src_path(box),
               "t901-y3.out", "t901-z3.out");
  setenv("FEMORA_AMG_PRECISION", "single", 1);
  compare_path("gpu_box_tet10 [restriction by P^T, single-precision cycle]",
               src_path(box), "t901-y4.out", "t901-z4.out");
  unsetenv("FEMORA_AMG_PRECISION");
  setenv("FEMORA_AMG_SETUP", "host", 1);
  compare_path("gpu_box_tet10 [restriction by P^T, setup on the host]",
               src_path(box), "t901-y5.out", "t901-z5.out");
  unsetenv("FEMORA_AMG_SETUP");
  setenv("FEMORA_AMG_GALERKIN", "spgemm", 1);
  compare_path("gpu_box_tet10 [restriction by P^T, SpGEMM]", src_path(box),
               "t901-y6.out", "t901-z6.out");
  unsetenv("FEMORA_AMG_GALERKIN");
  unsetenv("FEMORA_AMG_COARSE_MAX");
  unsetenv("FEMORA_AMG_RESTRICT");
  compare_folder();
  compare("cases/test/gpu_two_volumes.yaml", "t901-e.out", "t901-f.out");
  PetscFinalize();
  TEST_END();
}

#else

int main(void) {
  printf("skipped: this build has no CUDA backend\n");
  return 77;
}

#endif
