/* t252: every geometry script in meshes/ meshes through fm_geometry_mesh
 * (coarse, with parameters), and the written MSH has exactly the documented
 * physical groups, each non-empty, each node of a group where the group
 * says it is (faces on their planes/cylinders/ellipses, curved mid nodes on
 * the geometry), conforming interfaces between volumes, and tetrahedra of
 * the requested order only.  Checked through the Gmsh API. */
#define _POSIX_C_SOURCE 200809L
#include <gmshc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "geometry.h"

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

#define TOL 1e-6
#define MAXG 12

/* Returns 1 when node x may belong to group `name` of the model. */
typedef int (*Where)(const char *name, const double *x);

typedef struct {
  const char *geo;
  int order;
  int nparams;
  const char *pnames[4];
  double pvalues[4];
  int ngroups;
  struct {
    int dim;
    const char *name;
  } groups[MAXG];
  Where where;
  /* pairs of volume groups whose common nodes must be exactly the nodes of
   * a surface group (conforming interface), or "" when not checked */
  const char *shared[3][3];
} Model;

static double rxy(const double *x) {
  return sqrt(x[0] * x[0] + x[1] * x[1]);
}
static int near(double a, double b, double scale) {
  return fabs(a - b) <= TOL * scale;
}

/* cylinder.geo with a = 10, b = 20, Lz = 5 */
static int where_cylinder(const char *g, const double *x) {
  double r = rxy(x), s = 20;
  int in = x[0] > -TOL * s && x[1] > -TOL * s && r > 10 - TOL * s &&
           r < 20 + TOL * s && x[2] > -TOL * s && x[2] < 5 + TOL * s;
  if (!in)
    return 0;
  if (!strcmp(g, "wall"))
    return 1;
  if (!strcmp(g, "inner"))
    return near(r, 10, s);
  if (!strcmp(g, "outer"))
    return near(r, 20, s);
  if (!strcmp(g, "xsym"))
    return near(x[0], 0, s);
  if (!strcmp(g, "ysym"))
    return near(x[1], 0, s);
  if (!strcmp(g, "zmin"))
    return near(x[2], 0, s);
  if (!strcmp(g, "zmax"))
    return near(x[2], 5, s);
  return 0;
}

/* bar2.geo with L1 = 20, L2 = 30, W = 5 */
static int where_bar2(const char *g, const double *x) {
  double s = 50;
  int in = x[0] > -TOL * s && x[0] < 50 + TOL * s && x[1] > -TOL * s &&
           x[1] < 5 + TOL * s && x[2] > -TOL * s && x[2] < 5 + TOL * s;
  if (!in)
    return 0;
  if (!strcmp(g, "left"))
    return x[0] < 20 + TOL * s;
  if (!strcmp(g, "right"))
    return x[0] > 20 - TOL * s;
  if (!strcmp(g, "xmin"))
    return near(x[0], 0, s);
  if (!strcmp(g, "xmax"))
    return near(x[0], 50, s);
  if (!strcmp(g, "ymin"))
    return near(x[1], 0, s);
  if (!strcmp(g, "zmin"))
    return near(x[2], 0, s);
  if (!strcmp(g, "interface"))
    return near(x[0], 20, s);
  return 0;
}

/* nafems_le10.geo */
static int where_le10(const char *g, const double *x) {
  double s = 3.25;
  double ei = (x[0] / 2) * (x[0] / 2) + x[1] * x[1];
  double eo = (x[0] / 3.25) * (x[0] / 3.25) + (x[1] / 2.75) * (x[1] / 2.75);
  int in = x[0] > -TOL * s && x[1] > -TOL * s && ei > 1 - TOL && eo < 1 + TOL &&
           fabs(x[2]) < 0.3 + TOL * s;
  if (!in)
    return 0;
  if (!strcmp(g, "plate"))
    return 1;
  if (!strcmp(g, "top"))
    return near(x[2], 0.3, s);
  if (!strcmp(g, "xsym"))
    return near(x[0], 0, s);
  if (!strcmp(g, "ysym"))
    return near(x[1], 0, s);
  if (!strcmp(g, "outer"))
    return fabs(eo - 1) < TOL;
  if (!strcmp(g, "outer_mid"))
    return fabs(eo - 1) < TOL && near(x[2], 0, s);
  if (!strcmp(g, "D"))
    return near(x[0], 2, s) && near(x[1], 0, s) && near(x[2], 0.3, s);
  return 0;
}

/* segmental.geo with extension = 10: L = 90, top at z = 170 */
static int where_segmental(const char *g, const double *x) {
  double r = rxy(x), s = 170, zt = 170;
  if (r > 12 + TOL * s || x[2] < -TOL * s || x[2] > zt + TOL * s)
    return 0;
  if (!strcmp(g, "implant"))
    return x[2] > 80 - TOL * s || (x[2] > 20 - TOL * s && r < 4.5 + TOL * s);
  if (!strcmp(g, "bone"))
    return x[2] < 80 + TOL * s && r > 5.5 - TOL * s;
  if (!strcmp(g, "cement"))
    return x[2] > 20 - TOL * s && x[2] < 80 + TOL * s && r > 4.5 - TOL * s &&
           r < 5.5 + TOL * s;
  if (!strcmp(g, "distal"))
    return near(x[2], 0, s) && r > 5.5 - TOL * s;
  if (!strcmp(g, "proximal"))
    return near(x[2], zt, s);
  if (!strcmp(g, "abductor"))
    return near(r, 12, s) && x[0] > -TOL * s && x[2] > zt - 20 - TOL * s;
  return 0;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* sorted node tags of the group named `name` (NULL when absent) */
static size_t *group_nodes(const char *name, size_t *n) {
  int ierr = 0, *dt = NULL;
  size_t ndt = 0, *tags = NULL;
  *n = 0;
  gmshModelGetPhysicalGroups(&dt, &ndt, -1, &ierr);
  for (size_t i = 0; i + 1 < ndt && !tags; i += 2) {
    char *gname = NULL;
    gmshModelGetPhysicalName(dt[i], dt[i + 1], &gname, &ierr);
    if (!strcmp(gname, name)) {
      double *xyz = NULL;
      size_t nxyz = 0;
      gmshModelMeshGetNodesForPhysicalGroup(dt[i], dt[i + 1], &tags, n, &xyz,
                                            &nxyz, &ierr);
      gmshFree(xyz);
      qsort(tags, *n, sizeof *tags, cmp_size);
    }
    gmshFree(gname);
  }
  gmshFree(dt);
  return tags;
}

static void check_model(const Model *M, const char *src) {
  char geo[4096], out[256], names[4][128];
  snprintf(geo, sizeof geo, "%s/meshes/%s", src, M->geo);
  snprintf(out, sizeof out, "t252-%s.msh", M->geo);
  for (int p = 0; p < M->nparams; p++)
    snprintf(names[p], 128, "%s", M->pnames[p]);
  int rc = fm_geometry_mesh(geo, M->nparams, (const char(*)[128])names,
                            M->pvalues, M->order, out);
  CHECK(rc == 0, "%s: %s", M->geo, fm_error_message());
  if (rc)
    return;

  int ierr = 0;
  char *argv[] = {"t252", NULL};
  gmshInitialize(1, argv, 0, &ierr);
  gmshOptionSetNumber("General.Terminal", 0, &ierr);
  gmshOpen(out, &ierr);
  CHECK(!ierr, "%s: cannot open %s", M->geo, out);

  /* exactly the documented groups */
  int *dt = NULL;
  size_t ndt = 0;
  gmshModelGetPhysicalGroups(&dt, &ndt, -1, &ierr);
  CHECK((int)(ndt / 2) == M->ngroups, "%s: %zu groups, want %d", M->geo,
        ndt / 2, M->ngroups);
  int seen[MAXG] = {0};
  for (size_t i = 0; i + 1 < ndt; i += 2) {
    char *name = NULL;
    gmshModelGetPhysicalName(dt[i], dt[i + 1], &name, &ierr);
    int k;
    for (k = 0; k < M->ngroups; k++)
      if (M->groups[k].dim == dt[i] && !strcmp(M->groups[k].name, name))
        break;
    CHECK(k < M->ngroups, "%s: unexpected group '%s' of dim %d", M->geo, name,
          dt[i]);
    if (k < M->ngroups) {
      seen[k]++;
      size_t *tags = NULL, ntags = 0, nxyz = 0;
      double *xyz = NULL;
      gmshModelMeshGetNodesForPhysicalGroup(dt[i], dt[i + 1], &tags, &ntags,
                                            &xyz, &nxyz, &ierr);
      CHECK(ntags > 0, "%s: group '%s' is empty", M->geo, name);
      if (dt[i] == 0)
        CHECK(ntags == 1, "%s: point '%s' has %zu nodes", M->geo, name, ntags);
      for (size_t n = 0; n < ntags; n++)
        if (!M->where(name, xyz + 3 * n)) {
          CHECK(0, "%s: node %zu (%.9g, %.9g, %.9g) of '%s' is off its place",
                M->geo, tags[n], xyz[3 * n], xyz[3 * n + 1], xyz[3 * n + 2],
                name);
          break;
        }
      gmshFree(tags);
      gmshFree(xyz);
    }
    gmshFree(name);
  }
  gmshFree(dt);
  for (int k = 0; k < M->ngroups; k++)
    CHECK(seen[k] == 1, "%s: group '%s' found %d times", M->geo,
          M->groups[k].name, seen[k]);

  /* element types of the requested order */
  static const int want[2][4] = {{15, 1, 2, 4}, {15, 8, 9, 11}};
  for (int dim = 1; dim <= 3; dim++) {
    int *types = NULL;
    size_t nt = 0;
    gmshModelMeshGetElementTypes(&types, &nt, dim, -1, &ierr);
    for (size_t i = 0; i < nt; i++)
      CHECK(types[i] == want[M->order - 1][dim], "%s: dim %d element type %d",
            M->geo, dim, types[i]);
    if (dim == 3)
      CHECK(nt == 1, "%s: %zu volume element types", M->geo, nt);
    gmshFree(types);
  }

  /* conforming interfaces: common nodes of two volumes = the surface's */
  for (int s = 0; s < 3 && M->shared[s][0]; s++) {
    size_t na, nb, nc;
    size_t *a = group_nodes(M->shared[s][0], &na),
           *b = group_nodes(M->shared[s][1], &nb);
    size_t common = 0;
    for (size_t i = 0, j = 0; i < na && j < nb;) {
      if (a[i] < b[j])
        i++;
      else if (a[i] > b[j])
        j++;
      else
        common++, i++, j++;
    }
    if (M->shared[s][2][0]) {
      size_t *c = group_nodes(M->shared[s][2], &nc);
      CHECK(common == nc && nc > 0,
            "%s: '%s' and '%s' share %zu nodes, '%s' has %zu", M->geo,
            M->shared[s][0], M->shared[s][1], common, M->shared[s][2], nc);
      gmshFree(c);
    } else {
      CHECK(common > 0, "%s: '%s' and '%s' share no node (not conforming)",
            M->geo, M->shared[s][0], M->shared[s][1]);
    }
    gmshFree(a);
    gmshFree(b);
  }
  gmshFinalize(&ierr);
  remove(out);
}

int main(void) {
  const char *src = getenv("FEMORA_SOURCE_DIR");
  if (!src)
    src = "..";
  const Model models[] = {
      {"cylinder.geo",
       2,
       4,
       {"a", "b", "Lz", "h"},
       {10, 20, 5, 4},
       7,
       {{3, "wall"},
        {2, "inner"},
        {2, "outer"},
        {2, "xsym"},
        {2, "ysym"},
        {2, "zmin"},
        {2, "zmax"}},
       where_cylinder,
       {{0}}},
      {"bar2.geo",
       1,
       4,
       {"L1", "L2", "W", "h"},
       {20, 30, 5, 2.5},
       7,
       {{3, "left"},
        {3, "right"},
        {2, "xmin"},
        {2, "xmax"},
        {2, "ymin"},
        {2, "zmin"},
        {2, "interface"}},
       where_bar2,
       {{"left", "right", "interface"}}},
      {"bar2.geo",
       2,
       4,
       {"L1", "L2", "W", "h"},
       {20, 30, 5, 5},
       7,
       {{3, "left"},
        {3, "right"},
        {2, "xmin"},
        {2, "xmax"},
        {2, "ymin"},
        {2, "zmin"},
        {2, "interface"}},
       where_bar2,
       {{"left", "right", "interface"}}},
      {"nafems_le10.geo",
       2,
       1,
       {"h"},
       {0.3},
       7,
       {{3, "plate"},
        {2, "top"},
        {2, "xsym"},
        {2, "ysym"},
        {2, "outer"},
        {1, "outer_mid"},
        {0, "D"}},
       where_le10,
       {{0}}},
      {"segmental.geo",
       2,
       3,
       {"h", "h_cement", "extension"},
       {8, 2.5, 10},
       6,
       {{3, "implant"},
        {3, "bone"},
        {3, "cement"},
        {2, "distal"},
        {2, "proximal"},
        {2, "abductor"}},
       where_segmental,
       {{"implant", "cement", ""},
        {"cement", "bone", ""},
        {"implant", "bone", ""}}},
  };
  for (size_t m = 0; m < sizeof models / sizeof models[0]; m++)
    check_model(&models[m], src);
  if (failures)
    fprintf(stderr, "t252: %d failure(s)\n", failures);
  return failures ? 1 : 0;
}
