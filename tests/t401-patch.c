/* Patch test: on a distorted unstructured mesh of a box, prescribe a linear
 * displacement field on the whole boundary; TET4 and TET10 must reproduce
 * it in the interior and give the matching constant stress, to round-off
 * (tolerance 1e-8 relative, solver rtol 1e-13). */
#include <unistd.h>

#include "element.h"
#include "geometry.h"
#include "recover.h"
#include "run_util.h"

static const double G[3][3] = {
    {1e-3, 2e-4, -3e-4}, {5e-4, -1e-3, 4e-4}, {-2e-4, 3e-4, 2e-3}};
static const double U0[3] = {0.1, -0.2, 0.3};

static double field(const double *x, int i) {
  return U0[i] + G[i][0] * x[0] + G[i][1] * x[1] + G[i][2] * x[2];
}

static void patch(const char *msh, int order) {
  char case_path[256];
  snprintf(case_path, sizeof case_path, "t401-order%d.yaml", order);
  FILE *fp = fopen(case_path, "w");
  fprintf(
      fp,
      "mesh: {file: %s, order: %d}\n"
      "materials: {solid: {E: 1000, nu: 0.3}}\n"
      "constraints:\n"
      "  - {group: xmin, fix: [x, y, z]}\n  - {group: xmax, fix: [x, y, z]}\n"
      "  - {group: ymin, fix: [x, y, z]}\n  - {group: ymax, fix: [x, y, z]}\n"
      "  - {group: zmin, fix: [x, y, z]}\n  - {group: zmax, fix: [x, y, z]}\n"
      "load_cases: [{name: none, loads: [{body_force: [0, 0, 0]}]}]\n"
      "solver: {rtol: 1e-13}\n",
      msh, order);
  fclose(fp);
  FmModel md;
  memset(&md, 0, sizeof md);
  if (fm_case_read(case_path, &md.cs) || fm_model_build(&md, md.cs.mesh_file)) {
    fprintf(stderr, "order %d: %s\n", order, fm_error_message());
    exit(1);
  }
  for (int k = 0; k < md.ndir; k++)
    md.dir_val[k] =
        field(md.mesh.x + 3 * (md.dir_dof[k] / 3), md.dir_dof[k] % 3);
  const int n = md.mesh.nnodes;
  double *f = calloc(3 * n, sizeof *f), *u = calloc(3 * n, sizeof *u);
  FmBackend be;
  FmSolveInfo info;
  if (fm_backend_create("cpu", PETSC_COMM_WORLD, &md, &be) ||
      be.assemble(&be) || be.setup(&be) || be.solve(&be, 0, f, u, &info)) {
    fprintf(stderr, "order %d: %s\n", order, fm_error_message());
    exit(1);
  }
  fm_backend_destroy(&be);
  double err = 0;
  for (int i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      err = fmax(err, fabs(u[3 * i + c] - field(md.mesh.x + 3 * i, c)));
  CHECK(md.ndir < 3 * n, "order %d: no interior DOFs", order);
  CHECK(err <= 1e-9, "order %d: displacement error %g", order, err);
  /* recovered stress is the constant D eps everywhere */
  FmPost post;
  FmResult res;
  if (fm_post_init(&md, &post) || fm_recover(&md, &post, u, f, &res)) {
    fprintf(stderr, "%s\n", fm_error_message());
    exit(1);
  }
  const double eps[6] = {G[0][0],           G[1][1],
                         G[2][2],           G[0][1] + G[1][0],
                         G[1][2] + G[2][1], G[0][2] + G[2][0]};
  double sig[6], serr = 0, smax = 0;
  fm_hooke(1000, 0.3, eps, sig);
  for (int k = 0; k < 6; k++)
    smax = fmax(smax, fabs(sig[k]));
  for (int cp = 0; cp < post.ncopy; cp++)
    for (int k = 0; k < 6; k++)
      serr = fmax(serr, fabs(res.stress[6 * cp + k] - sig[k]));
  CHECK(serr <= 1e-8 * smax, "order %d: stress error %g of %g", order, serr,
        smax);
  CHECK(res.imbalance < 1e-8, "order %d: imbalance %g", order, res.imbalance);
  fm_result_free(&res); /* frees u */
  fm_post_free(&post);
  free(f);
  fm_model_free(&md);
}

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  if (!fm_geometry_available()) {
    printf("skipped: no Gmsh API in this build\n");
    PetscFinalize();
    return 0;
  }
  const char names[4][128] = {"Lx", "Ly", "Lz", "h"};
  const double vals[4] = {2, 1, 1, 0.3};
  if (fm_geometry_mesh(src_path("meshes/box.geo"), 4, names, vals, 1,
                       "t401-box.msh")) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  /* distort: move every interior node by up to 20% of h (boundary nodes
   * stay on their faces), keep elements valid */
  FmMesh m;
  memset(&m, 0, sizeof m);
  if (fm_mesh_read_msh("t401-box.msh", &m)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  char *bnd = calloc(m.nnodes, 1);
  for (int g = 0; g < m.ngroups; g++) {
    if (m.groups[g].dim != 2)
      continue;
    int nn, *nodes;
    fm_mesh_group_nodes(&m, g, &nn, &nodes);
    for (int i = 0; i < nn; i++)
      bnd[nodes[i]] = 1;
    free(nodes);
  }
  srand(12345);
  double *x0 = malloc(sizeof(double) * 3 * m.nnodes);
  memcpy(x0, m.x, sizeof(double) * 3 * m.nnodes);
  for (int i = 0; i < m.nnodes; i++)
    if (!bnd[i])
      for (int k = 0; k < 3; k++)
        m.x[3 * i + k] += 0.06 * (2.0 * rand() / RAND_MAX - 1.0);
  if (fm_mesh_check(&m))
    memcpy(m.x, x0, sizeof(double) * 3 * m.nnodes); /* too much: keep it */
  CHECK(fm_mesh_write_msh(&m, "t401-distorted.msh", 0) == 0, "%s",
        fm_error_message());
  free(x0);
  free(bnd);
  fm_mesh_free(&m);
  patch("t401-distorted.msh", 1);
  patch("t401-distorted.msh", 2);
  PetscFinalize();
  TEST_END();
}
