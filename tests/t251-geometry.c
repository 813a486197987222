/* t251: fm_geometry_mesh meshes meshes/box.geo with parameters, writes MSH
 * 4.1 whose physical groups are the ones documented; parameters reach the
 * script and do not leak into the next call; bad input is a one-line error
 * naming the script. The written file is checked through the Gmsh API. */
#define _POSIX_C_SOURCE 200809L
#include <gmshc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "geometry.h"
#include "mesh.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int failures = 0;
#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
      failures++;                                                              \
    }                                                                          \
  } while (0)

static int file_exists(const char *p) {
  FILE *f = fopen(p, "rb");
  if (f)
    fclose(f);
  return f != NULL;
}

static void write_file(const char *p, const char *text) {
  FILE *f = fopen(p, "w");
  if (!f) {
    perror(p);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
}

typedef struct {
  int dim;
  const char *name;
} Group;

/* Open msh with the Gmsh API; check exactly the expected groups exist, each
 * with nodes; check element types (order) and the bounding box of the
 * nodes; check face groups lie on their planes. */
static void check_box_msh(const char *msh, int order, double Lx, double Ly,
                          double Lz) {
  static const Group want[] = {{3, "solid"}, {2, "xmin"},   {2, "xmax"},
                               {2, "ymin"},  {2, "ymax"},   {2, "zmin"},
                               {2, "zmax"},  {1, "edge_x"}, {0, "origin"}};
  const int nwant = (int)(sizeof want / sizeof want[0]);
  int ierr = 0;
  char *argv[] = {"t251", NULL};
  gmshInitialize(1, argv, 0, &ierr);
  gmshOptionSetNumber("General.Terminal", 0, &ierr);
  gmshOpen(msh, &ierr);
  CHECK(!ierr, "gmshOpen(%s) failed", msh);

  int *dt = NULL;
  size_t ndt = 0;
  gmshModelGetPhysicalGroups(&dt, &ndt, -1, &ierr);
  CHECK((int)ndt / 2 == nwant, "%zu groups, want %d", ndt / 2, nwant);
  int found[16] = {0};
  for (size_t i = 0; i + 1 < ndt; i += 2) {
    char *name = NULL;
    gmshModelGetPhysicalName(dt[i], dt[i + 1], &name, &ierr);
    int k;
    for (k = 0; k < nwant; k++)
      if (want[k].dim == dt[i] && !strcmp(want[k].name, name))
        break;
    CHECK(k < nwant, "unexpected group dim %d '%s'", dt[i], name);
    if (k < nwant) {
      found[k]++;
      size_t *tags = NULL, ntags = 0;
      double *xyz = NULL;
      size_t nxyz = 0;
      gmshModelMeshGetNodesForPhysicalGroup(dt[i], dt[i + 1], &tags, &ntags,
                                            &xyz, &nxyz, &ierr);
      CHECK(ntags > 0, "group '%s' has no nodes", name);
      /* face groups lie on their plane; edge_x on y=z=0; origin at 0 */
      for (size_t n = 0; n < ntags; n++) {
        const double *x = xyz + 3 * n;
        double tol = 1e-9 * (Lx + Ly + Lz), d = 0;
        if (!strcmp(name, "xmin"))
          d = fabs(x[0]);
        if (!strcmp(name, "xmax"))
          d = fabs(x[0] - Lx);
        if (!strcmp(name, "ymin"))
          d = fabs(x[1]);
        if (!strcmp(name, "ymax"))
          d = fabs(x[1] - Ly);
        if (!strcmp(name, "zmin"))
          d = fabs(x[2]);
        if (!strcmp(name, "zmax"))
          d = fabs(x[2] - Lz);
        if (!strcmp(name, "edge_x"))
          d = fabs(x[1]) + fabs(x[2]);
        if (!strcmp(name, "origin"))
          d = fabs(x[0]) + fabs(x[1]) + fabs(x[2]);
        if (d > tol) {
          CHECK(0, "group '%s' node %zu off its place (%g %g %g)", name,
                tags[n], x[0], x[1], x[2]);
          break;
        }
      }
      if (!strcmp(name, "origin"))
        CHECK(ntags == 1, "origin has %zu nodes", ntags);
      gmshFree(tags);
      gmshFree(xyz);
    }
    gmshFree(name);
  }
  gmshFree(dt);
  for (int k = 0; k < nwant; k++)
    CHECK(found[k] == 1, "group '%s' found %d times", want[k].name, found[k]);

  /* element types: tets of the right order only in 3D, triangles in 2D */
  int *types = NULL;
  size_t ntypes = 0;
  gmshModelMeshGetElementTypes(&types, &ntypes, 3, -1, &ierr);
  CHECK(ntypes == 1 && types[0] == (order == 2 ? 11 : 4),
        "3D types: %zu, first %d", ntypes, ntypes ? types[0] : -1);
  gmshFree(types);
  gmshModelMeshGetElementTypes(&types, &ntypes, 2, -1, &ierr);
  CHECK(ntypes == 1 && types[0] == (order == 2 ? 9 : 2),
        "2D types: %zu, first %d", ntypes, ntypes ? types[0] : -1);
  gmshFree(types);

  /* bounding box of all nodes = the box asked for */
  size_t *tags = NULL, ntags = 0;
  double *xyz = NULL, *par = NULL;
  size_t nxyz = 0, npar = 0;
  gmshModelMeshGetNodes(&tags, &ntags, &xyz, &nxyz, &par, &npar, -1, -1, 0, 0,
                        &ierr);
  double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
  for (size_t n = 0; n < ntags; n++)
    for (int d = 0; d < 3; d++) {
      if (xyz[3 * n + d] < lo[d])
        lo[d] = xyz[3 * n + d];
      if (xyz[3 * n + d] > hi[d])
        hi[d] = xyz[3 * n + d];
    }
  double L[3] = {Lx, Ly, Lz};
  for (int d = 0; d < 3; d++)
    CHECK(fabs(lo[d]) < 1e-9 && fabs(hi[d] - L[d]) < 1e-9,
          "bbox[%d] = [%g, %g], want [0, %g]", d, lo[d], hi[d], L[d]);
  gmshFree(tags);
  gmshFree(xyz);
  gmshFree(par);
  gmshFinalize(&ierr);
}

static void expect_error(int rc, const char *what, const char *s1,
                         const char *s2) {
  const char *m = fm_error_message();
  CHECK(rc != 0, "%s: no error", what);
  CHECK(strchr(m, '\n') == NULL, "%s: message not one line", what);
  if (s1)
    CHECK(strstr(m, s1) != NULL, "%s: message '%s' lacks '%s'", what, m, s1);
  if (s2)
    CHECK(strstr(m, s2) != NULL, "%s: message '%s' lacks '%s'", what, m, s2);
  fm_error_clear();
}

int main(void) {
  const char *src = getenv("FEMORA_SOURCE_DIR");
  if (!src)
    src = "..";
  char box[4096];
  snprintf(box, sizeof box, "%s/meshes/box.geo", src);
  const char *out = "t251-box.msh";
  remove(out);

  CHECK(fm_geometry_available() == 1, "geometry not available");

  /* 1: parameters reach the script, order 1 */
  char names[4][128] = {"Lx", "Ly", "Lz", "h"};
  double vals[4] = {20, 5, 4, 2};
#ifdef _OPENMP
  /* Gmsh resets the process's OpenMP thread count to 1: the caller's stays */
  omp_set_num_threads(3);
#endif
  int rc = fm_geometry_mesh(box, 4, (const char(*)[128])names, vals, 1, out);
  CHECK(rc == 0, "mesh box order 1: %s", fm_error_message());
#ifdef _OPENMP
  CHECK(omp_get_max_threads() == 3, "OpenMP threads after meshing: %d, not 3",
        omp_get_max_threads());
#endif
  if (!rc)
    check_box_msh(out, 1, 20, 5, 4);
  /* 2: again in the same process, order 2, different values */
  double vals2[4] = {12, 3, 3, 3};
  rc = fm_geometry_mesh(box, 4, (const char(*)[128])names, vals2, 2, out);
  CHECK(rc == 0, "mesh box order 2: %s", fm_error_message());
  if (!rc)
    check_box_msh(out, 2, 12, 3, 3);

  /* 3: an undeclared parameter; the output is left alone */
  remove(out);
  char bad[2][128] = {"h", "Lw"};
  double badv[2] = {3, 1};
  rc = fm_geometry_mesh(box, 2, (const char(*)[128])bad, badv, 1, out);
  expect_error(rc, "undeclared",
               "box.geo: parameter 'Lw' is not declared in the script",
               "(declared: Lx, Ly, Lz, h)");
  CHECK(!file_exists(out), "output written despite error");

  /* 4: missing script */
  rc = fm_geometry_mesh("no-such-dir/missing.geo", 0, NULL, NULL, 1, out);
  expect_error(rc, "missing", "no-such-dir/missing.geo", "cannot open");

  /* 5: syntax error: message names the script and Gmsh's complaint */
  write_file("t251-syntax.geo",
             "SetFactory(\"OpenCASCADE\");\n"
             "DefineConstant[ h = {1, Name \"Parameters/h\"} ];\n"
             "Box(1) = {0, 0, 0, 1, 1, 1;\n");
  rc = fm_geometry_mesh("t251-syntax.geo", 0, NULL, NULL, 1, out);
  expect_error(rc, "syntax", "t251-syntax.geo: ", "syntax error");
  CHECK(!file_exists(out), "output written despite syntax error");

  /* 6: declared without Name; no Physical Volume; bad order */
  write_file("t251-noname.geo", "SetFactory(\"OpenCASCADE\");\n"
                                "DefineConstant[ h = 1 ];\n"
                                "Box(1) = {0, 0, 0, 1, 1, 1};\n"
                                "Physical Volume(\"v\") = {1};\n");
  rc = fm_geometry_mesh("t251-noname.geo", 1, (const char(*)[128])names + 3,
                        vals, 1, out);
  expect_error(rc, "no Name", "t251-noname.geo: parameter 'h'", "Name");
  write_file("t251-nophys.geo", "SetFactory(\"OpenCASCADE\");\n"
                                "Box(1) = {0, 0, 0, 1, 1, 1};\n"
                                "Mesh.MeshSizeMax = 0.5;\n");
  rc = fm_geometry_mesh("t251-nophys.geo", 0, NULL, NULL, 1, out);
  expect_error(rc, "no physical", "t251-nophys.geo: ", "Physical Volume");
  write_file("t251-nomesh.geo", "SetFactory(\"OpenCASCADE\");\n"
                                "Rectangle(1) = {0, 0, 0, 1, 1};\n"
                                "Physical Surface(\"s\") = {1};\n");
  rc = fm_geometry_mesh("t251-nomesh.geo", 0, NULL, NULL, 1, out);
  expect_error(rc, "no 3D", "t251-nomesh.geo: ", "no volume");
  rc = fm_geometry_mesh(box, 0, NULL, NULL, 3, out);
  expect_error(rc, "order", "box.geo: ", "order");
  CHECK(!file_exists(out), "output written despite errors");

  /* 7: after errors, defaults come back (no parameter leaks from call 1/2) */
  double vh[1] = {5};
  rc = fm_geometry_mesh(box, 1, (const char(*)[128])names + 3, vh, 1, out);
  CHECK(rc == 0, "mesh box defaults: %s", fm_error_message());
  if (!rc)
    check_box_msh(out, 1, 100, 10, 10);

  /* 8: parameters declared in an included script can be set (Gmsh
   * registers its DefineConstants as the script's own) */
  write_file("t251-params.geo",
             "DefineConstant[ L = {1, Name \"Parameters/L\"} ];\n");
  write_file("t251-inc.geo", "SetFactory(\"OpenCASCADE\");\n"
                             "Include \"t251-params.geo\";\n"
                             "Box(1) = {0, 0, 0, L, 1, 1};\n"
                             "Physical Volume(\"solid\") = {1};\n"
                             "Mesh.MeshSizeMax = 0.5;\n");
  char incp[1][128] = {"L"};
  double incv[1] = {3};
  rc = fm_geometry_mesh("t251-inc.geo", 1, (const char(*)[128])incp, incv, 1,
                        out);
  CHECK(rc == 0, "a parameter of an included script: %s", fm_error_message());
  if (!rc) {
    FmMesh m;
    CHECK(fm_mesh_read_msh(out, &m) == 0, "%s", fm_error_message());
    double xmax = 0;
    for (int i = 0; i < m.nnodes; i++)
      xmax = fmax(xmax, m.x[3 * i]);
    CHECK(fabs(xmax - 3) < 1e-12, "box length %g, not L = 3", xmax);
    fm_mesh_free(&m);
  }

  /* 9: a value outside a DefineConstant's Min or Max is refused before
   * meshing (box.geo: Min 1e-6 on every size) */
  remove(out);
  double vz[1] = {0};
  rc = fm_geometry_mesh(box, 1, (const char(*)[128])names + 3, vz, 1, out);
  expect_error(rc, "below Min", "box.geo: parameter 'h' = 0 is below the Min",
               "1e-06");
  write_file("t251-max.geo",
             "DefineConstant[ L = {1, Min 0.5, Max 2, Name \"Parameters/L\"} "
             "];\nSetFactory(\"OpenCASCADE\");\nBox(1) = {0, 0, 0, L, 1, 1};\n"
             "Physical Volume(\"solid\") = {1};\n");
  double v3[1] = {3};
  rc =
      fm_geometry_mesh("t251-max.geo", 1, (const char(*)[128])incp, v3, 1, out);
  expect_error(rc, "above Max",
               "t251-max.geo: parameter 'L' = 3 is above the "
               "Max 2",
               NULL);
  CHECK(!file_exists(out), "output written despite errors");

  /* 10: Gmsh ending the process (a size of 0 where the script declares no
   * Min: std::terminate inside its meshing) is an error line, not a crash
   * of femora */
  {
    char bar[4096];
    snprintf(bar, sizeof bar, "%s/meshes/bar2.geo", src);
    size_t nt = 0;
    char *text = fm_read_text(bar, &nt);
    CHECK(text != NULL, "cannot read %s", bar);
    if (text) {
      FILE *f = fopen("t251-nomin.geo", "w");
      for (const char *t = text; *t; t++) /* drop every "Min 1e-6, " */
        if (!strncmp(t, "Min 1e-6, ", 10))
          t += 9;
        else
          fputc(*t, f);
      fclose(f);
      free(text);
      char hp[1][128] = {"h"};
      rc = fm_geometry_mesh("t251-nomin.geo", 1, (const char(*)[128])hp, vz, 1,
                            out);
      expect_error(rc, "Gmsh's abort",
                   "t251-nomin.geo: Gmsh crashed while meshing it (signal",
                   "parameters h = 0");
      CHECK(!file_exists(out), "output written despite a crash");
    }
  }

  /* no temporary files left next to the output */
  char tname[512];
  snprintf(tname, sizeof tname, "%s.%ld.tmp.msh", out, (long)getpid());
  CHECK(!file_exists(tname), "temporary %s left behind", tname);

  remove("t251-syntax.geo");
  remove("t251-noname.geo");
  remove("t251-nophys.geo");
  remove("t251-nomesh.geo");
  remove("t251-params.geo");
  remove("t251-inc.geo");
  remove("t251-max.geo");
  remove("t251-nomin.geo");
  remove(out);
  if (failures)
    fprintf(stderr, "t251: %d failure(s)\n", failures);
  return failures ? 1 : 0;
}
