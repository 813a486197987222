/* Order change: TET4 -> TET10 elevation (node count = corners + unique
 * edges, mid nodes at edge midpoints and shared), agreement with Gmsh's own
 * TET10 of the same mesh (which checks the TET10/TRI6/LINE3 node ordering of
 * mesh.h / element.h against Gmsh), demotion back to TET4. */
#include "element.h"
#include "error.h"
#include "mesh.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails = 0;
#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);    \
      fails++;                                                                 \
    }                                                                          \
  } while (0)

static int read_mesh(const char *name, FmMesh *m) {
  char p[4096];
  const char *src = getenv("FEMORA_SOURCE_DIR");
  if (strncmp(name, "t202-", 5) == 0 || !src) /* written by this test */
    snprintf(p, sizeof p, "%s", name);
  else
    snprintf(p, sizeof p, "%s/meshes/test/%s", src, name);
  if (fm_mesh_read_msh(p, m)) {
    fprintf(stderr, "reading %s failed: %s\n", p, fm_error_message());
    fails++;
    return 1;
  }
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* Unique edges of tets, triangles and lines (independent of mesh.c: sort). */
static int count_edges(const FmMesh *m) {
  static const int te[6][2] = FM_TET10_EDGES;
  static const int fe[3][2] = FM_TRI6_EDGES;
  const size_t n = 6 * (size_t)m->nelem + 3 * (size_t)m->tris.n + m->lines.n;
  uint64_t *k = malloc((n + 1) * sizeof *k);
  size_t c = 0;
  for (int e = 0; e < m->nelem; e++)
    for (int j = 0; j < 6; j++) {
      uint64_t a = (uint64_t)m->conn[e * m->npe + te[j][0]];
      uint64_t b = (uint64_t)m->conn[e * m->npe + te[j][1]];
      k[c++] = a < b ? a << 32 | b : b << 32 | a;
    }
  for (int e = 0; e < m->tris.n; e++)
    for (int j = 0; j < 3; j++) {
      uint64_t a = (uint64_t)m->tris.conn[e * m->tris.npe + fe[j][0]];
      uint64_t b = (uint64_t)m->tris.conn[e * m->tris.npe + fe[j][1]];
      k[c++] = a < b ? a << 32 | b : b << 32 | a;
    }
  for (int e = 0; e < m->lines.n; e++) {
    uint64_t a = (uint64_t)m->lines.conn[e * m->lines.npe];
    uint64_t b = (uint64_t)m->lines.conn[e * m->lines.npe + 1];
    k[c++] = a < b ? a << 32 | b : b << 32 | a;
  }
  qsort(k, c, sizeof *k, cmp_u64);
  int u = 0;
  for (size_t i = 0; i < c; i++)
    u += i == 0 || k[i] != k[i - 1];
  free(k);
  return u;
}

static double dist(const double *a, const double *b) {
  return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
              (a[2] - b[2]) * (a[2] - b[2]));
}

/* Mid node k of every element sits at the midpoint of its edge. */
static double midpoint_error(const FmMesh *m) {
  static const int te[6][2] = FM_TET10_EDGES;
  static const int fe[3][2] = FM_TRI6_EDGES;
  double err = 0.0, mid[3];
  const double *x = m->x;
  for (int e = 0; e < m->nelem; e++) {
    const int *c = m->conn + 10 * e;
    for (int k = 0; k < 6; k++) {
      for (int i = 0; i < 3; i++)
        mid[i] = 0.5 * (x[3 * c[te[k][0]] + i] + x[3 * c[te[k][1]] + i]);
      err = fmax(err, dist(mid, x + 3 * c[4 + k]));
    }
  }
  for (int e = 0; e < m->tris.n; e++) {
    const int *c = m->tris.conn + 6 * e;
    for (int k = 0; k < 3; k++) {
      for (int i = 0; i < 3; i++)
        mid[i] = 0.5 * (x[3 * c[fe[k][0]] + i] + x[3 * c[fe[k][1]] + i]);
      err = fmax(err, dist(mid, x + 3 * c[3 + k]));
    }
  }
  for (int e = 0; e < m->lines.n; e++) {
    const int *c = m->lines.conn + 3 * e;
    for (int i = 0; i < 3; i++)
      mid[i] = 0.5 * (x[3 * c[0] + i] + x[3 * c[1] + i]);
    err = fmax(err, dist(mid, x + 3 * c[2]));
  }
  return err;
}

static int cmp_xyz(const void *a, const void *b) {
  const double *p = a, *q = b;
  for (int i = 0; i < 3; i++)
    if (p[i] != q[i])
      return p[i] < q[i] ? -1 : 1;
  return 0;
}

/* No two nodes at the same place (mid nodes are shared, not duplicated). */
static int distinct_nodes(const FmMesh *m) {
  double *x = malloc(3 * (size_t)m->nnodes * sizeof *x);
  memcpy(x, m->x, 3 * (size_t)m->nnodes * sizeof *x);
  qsort(x, (size_t)m->nnodes, 3 * sizeof *x, cmp_xyz);
  int ok = 1;
  for (int i = 1; i < m->nnodes; i++)
    ok &= cmp_xyz(x + 3 * i, x + 3 * i - 3) != 0;
  free(x);
  return ok;
}

static int same_topology(const FmMesh *a, const FmMesh *b) {
  int ok = a->nnodes == b->nnodes && a->nelem == b->nelem && a->npe == b->npe &&
           a->order == b->order && a->tris.n == b->tris.n &&
           a->tris.npe == b->tris.npe && a->lines.n == b->lines.n &&
           a->lines.npe == b->lines.npe && a->points.n == b->points.n;
  if (!ok)
    return 0;
  ok &= !memcmp(a->x, b->x, 3 * (size_t)a->nnodes * sizeof(double));
  ok &= !memcmp(a->node_tag, b->node_tag, (size_t)a->nnodes * sizeof(long));
  ok &= !memcmp(a->conn, b->conn, (size_t)a->nelem * a->npe * sizeof(int));
  ok &= !memcmp(a->tris.conn, b->tris.conn,
                (size_t)a->tris.n * a->tris.npe * sizeof(int));
  ok &= !memcmp(a->lines.conn, b->lines.conn,
                (size_t)a->lines.n * a->lines.npe * sizeof(int));
  ok &= !memcmp(a->points.conn, b->points.conn,
                (size_t)a->points.n * sizeof(int));
  return ok;
}

static void test_elevate(const char *name) {
  FmMesh m, orig;
  if (read_mesh(name, &m) || read_mesh(name, &orig))
    return;
  const int corners = m.nnodes, edges = count_edges(&m);
  CHECK(fm_mesh_set_order(&m, 2) == 0);
  CHECK(m.order == 2 && m.npe == 10 && m.tris.npe == 6 && m.lines.npe == 3);
  CHECK(m.nnodes == corners + edges);
  CHECK(midpoint_error(&m) == 0.0);
  CHECK(distinct_nodes(&m));
  /* new mid nodes get fresh, unique tags */
  for (int i = corners; i < m.nnodes; i++)
    CHECK(m.node_tag[i] > corners);
  CHECK(fm_mesh_check(&m) == 0);
  CHECK(fm_mesh_set_order(&m, 2) == 0); /* no-op */
  CHECK(m.nnodes == corners + edges);
  /* written and read back: the same TET10 mesh */
  FmMesh b;
  CHECK(fm_mesh_write_msh(&m, "t202-elevated.msh", 0) == 0);
  if (!read_mesh("t202-elevated.msh", &b)) {
    CHECK(same_topology(&m, &b));
    fm_mesh_free(&b);
  }
  remove("t202-elevated.msh");
  /* demotion gives back the original */
  CHECK(fm_mesh_set_order(&m, 1) == 0);
  CHECK(same_topology(&m, &orig));
  CHECK(fm_mesh_set_order(&m, 3) != 0);
  fm_mesh_free(&m);
  fm_mesh_free(&orig);
}

/* Gmsh's TET10 of the box against our elevation of Gmsh's TET4 of the same
 * geometry (straight edges: identical mid-node positions, node by node). */
static void test_against_gmsh(void) {
  FmMesh g, t4, ours;
  if (read_mesh("box_tet10.msh", &g) || read_mesh("box_tet4.msh", &t4) ||
      read_mesh("box_tet4.msh", &ours))
    return;
  /* Gmsh's own mid nodes sit where element.h says (k: edge FM_TET10_EDGES) */
  const double gerr = midpoint_error(&g);
  if (gerr > 1e-14)
    fprintf(stderr,
            "Gmsh TET10/TRI6/LINE3 node order differs from mesh.h "
            "(max distance %g)\n",
            gerr);
  CHECK(gerr < 1e-14);
  CHECK(fm_mesh_set_order(&ours, 2) == 0);
  CHECK(ours.nnodes == g.nnodes && ours.nelem == g.nelem);
  CHECK(ours.tris.n == g.tris.n && ours.lines.n == g.lines.n);
  double err = 0.0;
  for (int e = 0; e < g.nelem && e < ours.nelem; e++) {
    CHECK(g.elem_tag[e] == ours.elem_tag[e]);
    for (int a = 0; a < 10; a++)
      err = fmax(err, dist(g.x + 3 * g.conn[10 * e + a],
                           ours.x + 3 * ours.conn[10 * e + a]));
  }
  for (int e = 0; e < g.tris.n && e < ours.tris.n; e++)
    for (int a = 0; a < 6; a++)
      err = fmax(err, dist(g.x + 3 * g.tris.conn[6 * e + a],
                           ours.x + 3 * ours.tris.conn[6 * e + a]));
  for (int e = 0; e < g.lines.n && e < ours.lines.n; e++)
    for (int a = 0; a < 3; a++)
      err = fmax(err, dist(g.x + 3 * g.lines.conn[3 * e + a],
                           ours.x + 3 * ours.lines.conn[3 * e + a]));
  if (err > 1e-14)
    fprintf(stderr, "Gmsh TET10 vs elevation: %g\n", err);
  CHECK(err < 1e-14);

  /* Gmsh's TET10 demoted is Gmsh's TET4 (node for node, element by element) */
  CHECK(fm_mesh_set_order(&g, 1) == 0);
  CHECK(g.nnodes == t4.nnodes && g.npe == 4 && g.tris.npe == 3);
  err = 0.0;
  for (int e = 0; e < g.nelem; e++)
    for (int a = 0; a < 4; a++)
      err = fmax(err, dist(g.x + 3 * g.conn[4 * e + a],
                           t4.x + 3 * t4.conn[4 * e + a]));
  CHECK(err == 0.0);
  CHECK(distinct_nodes(&g));
  CHECK(fm_mesh_check(&g) == 0);
  fm_mesh_free(&g);
  fm_mesh_free(&t4);
  fm_mesh_free(&ours);
}

/* Interface of the two-volume mesh: mid nodes shared across volumes. */
static void test_interface(void) {
  FmMesh m;
  if (read_mesh("two_volumes_tet4.msh", &m))
    return;
  CHECK(fm_mesh_set_order(&m, 2) == 0);
  const int left = fm_mesh_find_group(&m, "left", 3);
  const int iface = fm_mesh_find_group(&m, "interface", 2);
  char *inl = calloc((size_t)m.nnodes, 1), *inr = calloc((size_t)m.nnodes, 1);
  for (int e = 0; e < m.nelem; e++)
    for (int a = 0; a < 10; a++)
      (fm_mesh_elem_in_group(&m, e, left) ? inl : inr)[m.conn[10 * e + a]] = 1;
  int n, *nodes;
  CHECK(fm_mesh_group_nodes(&m, iface, &n, &nodes) == 0);
  for (int i = 0; i < n; i++) {
    CHECK(inl[nodes[i]] && inr[nodes[i]]);
    CHECK(fabs(m.x[3 * nodes[i]] - 1.0) < 1e-15);
  }
  int nt, *tc;
  CHECK(fm_mesh_group_tris(&m, iface, &nt, &tc) == 0);
  /* interface (a disc): V corner and E mid nodes, V - E + F = 1 */
  char *corner = calloc((size_t)m.nnodes, 1),
       *midn = calloc((size_t)m.nnodes, 1);
  int V = 0, E = 0;
  for (int t = 0; t < nt; t++)
    for (int a = 0; a < 6; a++) {
      char *mark = a < 3 ? corner : midn;
      if (!mark[tc[6 * t + a]])
        *(a < 3 ? &V : &E) += 1;
      mark[tc[6 * t + a]] = 1;
    }
  CHECK(n == V + E);
  CHECK(V - E + nt == 1);
  free(corner);
  free(midn);
  CHECK(distinct_nodes(&m));
  free(tc);
  free(nodes);
  free(inl);
  free(inr);
  CHECK(fm_mesh_check(&m) == 0);
  fm_mesh_free(&m);
}

/* A triangle on a tet face, and a line to a node of no tetrahedron in no
 * physical group (a construction point's curve): dropped with its node. */
static void test_small(void) {
  const char *p = "t202-small.msh";
  FILE *f = fopen(p, "w");
  fputs("$MeshFormat\n4.1 0 8\n$EndMeshFormat\n"
        "$Entities\n0 1 1 1\n"
        "1 0 0 0 0 0 0 0 0\n"
        "1 0 0 0 0 0 0 0 0\n"
        "1 0 0 0 0 0 0 0 0\n"
        "$EndEntities\n"
        "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n"
        "0 0 0\n1 0 0\n0 1 0\n0 0 1\n2 2 2\n$EndNodes\n"
        "$Elements\n3 3 1 3\n"
        "1 1 1 1\n1 1 5\n"
        "2 1 2 1\n2 2 3 4\n"
        "3 1 4 1\n3 1 2 3 4\n"
        "$EndElements\n",
        f);
  fclose(f);
  FmMesh m;
  if (read_mesh(p, &m))
    return;
  remove(p);
  CHECK(m.nnodes == 4 && m.nelem == 1 && m.lines.n == 0 && m.tris.n == 1);
  CHECK(fm_mesh_set_order(&m, 2) == 0);
  CHECK(m.nnodes == 4 + 6);
  CHECK(midpoint_error(&m) == 0.0);
  /* triangle (2,3,4) = tet face: its mid nodes are the tet's 5, 8, 9 */
  CHECK(m.tris.conn[3] == m.conn[5]);
  CHECK(m.tris.conn[4] == m.conn[8]);
  CHECK(m.tris.conn[5] == m.conn[9]);
  /* TET10 shape functions reproduce the midpoint geometry: det J = 1 */
  double xi[3] = {0.2, 0.3, 0.1}, dN[30], xe[30];
  for (int a = 0; a < 10; a++)
    memcpy(xe + 3 * a, m.x + 3 * m.conn[a], 24);
  fm_tet_shape(10, xi, NULL, dN);
  CHECK(fabs(fm_tet_gradients(10, xe, dN, NULL) - 1.0) < 1e-14);
  CHECK(fm_mesh_set_order(&m, 1) == 0);
  CHECK(m.nnodes == 4 && m.tris.n == 1);
  fm_mesh_free(&m);
}

/* A structured n^3 grid of cubes, 6 tets each (Kuhn), written by the test:
 * unique edges known in closed form. */
static void test_grid(int n) {
  const char *p = "t202-grid.msh";
  FILE *f = fopen(p, "w");
  const int np = (n + 1) * (n + 1) * (n + 1), ne = 6 * n * n * n;
  fprintf(f,
          "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n$Nodes\n1 %d 1 %d\n3 1 0 %d\n",
          np, np, np);
  for (int i = 0; i < np; i++)
    fprintf(f, "%d\n", 7 * i + 3); /* sparse tags */
  for (int k = 0; k <= n; k++)
    for (int j = 0; j <= n; j++)
      for (int i = 0; i <= n; i++)
        fprintf(f, "%d %d %d\n", i, j, k);
  fprintf(f, "$EndNodes\n$Elements\n1 %d 1 %d\n3 1 4 %d\n", ne, ne, ne);
#define ID(i, j, k) (7 * ((i) + (n + 1) * ((j) + (n + 1) * (k))) + 3)
  /* the 6 paths from corner 0 to corner 7 of the unit cube */
  static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  int t = 1;
  for (int k = 0; k < n; k++)
    for (int j = 0; j < n; j++)
      for (int i = 0; i < n; i++)
        for (int q = 0; q < 6; q++) {
          int c[3] = {i, j, k}, v[4];
          v[0] = ID(c[0], c[1], c[2]);
          for (int s = 0; s < 3; s++) {
            c[perm[q][s]]++;
            v[s + 1] = ID(c[0], c[1], c[2]);
          }
          /* odd permutations are left-handed: swap to keep det J > 0 */
          const int odd = q == 1 || q == 2 || q == 5;
          fprintf(f, "%d %d %d %d %d\n", t++, v[0], odd ? v[2] : v[1],
                  odd ? v[1] : v[2], v[3]);
        }
#undef ID
  fprintf(f, "$EndElements\n");
  fclose(f);
  FmMesh m;
  if (read_mesh(p, &m))
    return;
  remove(p);
  CHECK(m.nentities == 1 && m.entities[0].ngroups == 0); /* no $Entities */
  if (fm_mesh_check(&m)) {
    fprintf(stderr, "%s\n", fm_error_message());
    fails++;
  }
  const long n1 = n + 1;
  const long edges = 3L * n * n1 * n1 + 3L * n * n * n1 + (long)n * n * n;
  CHECK(fm_mesh_set_order(&m, 2) == 0);
  CHECK(m.nnodes == np + edges);
  CHECK(midpoint_error(&m) == 0.0);
  CHECK(distinct_nodes(&m));
  CHECK(fm_mesh_check(&m) == 0);
  fm_mesh_free(&m);
}

int main(void) {
  test_elevate("box_tet4.msh");
  test_elevate("two_volumes_tet4.msh");
  test_against_gmsh();
  test_interface();
  test_small();
  test_grid(12);
  if (fails)
    fprintf(stderr, "t202: %d checks failed\n", fails);
  return fails != 0;
}
