/* MSH 4.1 reader: ASCII and binary reads of the same mesh are identical;
 * counts, physical groups, group node sets, coordinates; a two-volume mesh
 * with a shared interface; big-endian binary, sparse node tags, parametric
 * nodes; write + read back gives the same mesh. */
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

static void path_of(char *buf, size_t n, const char *name) {
  const char *src = getenv("FEMORA_SOURCE_DIR");
  snprintf(buf, n, "%s/meshes/test/%s", src ? src : ".", name);
}

static int read_mesh(const char *name, FmMesh *m) {
  char p[4096];
  path_of(p, sizeof p, name);
  if (fm_mesh_read_msh(p, m)) {
    fprintf(stderr, "reading %s failed: %s\n", p, fm_error_message());
    fails++;
    return 1;
  }
  return 0;
}

static int same_ints(const int *a, const int *b, size_t n) {
  return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

/* Comparison of two meshes (all arrays, groups and entities); coordinates
 * within tol (Gmsh writes ASCII coordinates with 16 digits, so an ASCII and
 * a binary export of one mesh differ in the last bit). */
static int same_mesh_tol(const FmMesh *a, const FmMesh *b, double tol) {
  int ok = a->nnodes == b->nnodes && a->nelem == b->nelem &&
           a->order == b->order && a->npe == b->npe &&
           a->ngroups == b->ngroups && a->nentities == b->nentities;
  if (!ok)
    return 0;
  for (int i = 0; i < 3 * a->nnodes; i++)
    ok &= fabs(a->x[i] - b->x[i]) <= tol;
  ok &= memcmp(a->node_tag, b->node_tag, (size_t)a->nnodes * sizeof(long)) == 0;
  ok &= same_ints(a->conn, b->conn, (size_t)a->nelem * a->npe);
  ok &= same_ints(a->elem_entity, b->elem_entity, (size_t)a->nelem);
  ok &= memcmp(a->elem_tag, b->elem_tag, (size_t)a->nelem * sizeof(long)) == 0;
  const FmBoundary *ba[3] = {&a->points, &a->lines, &a->tris};
  const FmBoundary *bb[3] = {&b->points, &b->lines, &b->tris};
  for (int k = 0; k < 3; k++) {
    if (ba[k]->n != bb[k]->n || ba[k]->npe != bb[k]->npe)
      return 0;
    ok &= same_ints(ba[k]->conn, bb[k]->conn, (size_t)ba[k]->n * ba[k]->npe);
    ok &= same_ints(ba[k]->entity, bb[k]->entity, (size_t)ba[k]->n);
  }
  for (int g = 0; g < a->ngroups; g++)
    ok &= a->groups[g].dim == b->groups[g].dim &&
          a->groups[g].tag == b->groups[g].tag &&
          strcmp(a->groups[g].name, b->groups[g].name) == 0;
  for (int i = 0; i < a->nentities; i++) {
    const FmEntity *x = &a->entities[i], *y = &b->entities[i];
    ok &= x->dim == y->dim && x->tag == y->tag && x->ngroups == y->ngroups;
    if (x->ngroups == y->ngroups)
      ok &= same_ints(x->groups, y->groups, (size_t)x->ngroups);
  }
  return ok;
}

static int same_mesh(const FmMesh *a, const FmMesh *b) {
  return same_mesh_tol(a, b, 0.0);
}

static double mesh_volume(const FmMesh *m) {
  double vol = 0.0, xe[30], fe[30];
  const double b[3] = {0, 0, 0};
  for (int e = 0; e < m->nelem; e++) {
    for (int a = 0; a < m->npe; a++)
      memcpy(xe + 3 * a, m->x + 3 * m->conn[e * m->npe + a],
             3 * sizeof(double));
    vol += fm_tet_body_load(m->npe, xe, b, fe);
  }
  return vol;
}

static double tris_area(const FmMesh *m, int ntri, const int *conn) {
  double A = 0.0, xe[18];
  const int npe = m->tris.npe;
  for (int t = 0; t < ntri; t++) {
    for (int a = 0; a < npe; a++)
      memcpy(xe + 3 * a, m->x + 3 * conn[t * npe + a], 3 * sizeof(double));
    A += fm_tri_area(npe, xe);
  }
  return A;
}

/* Nodes of group `name` are exactly the nodes satisfying pred. */
typedef int (*Pred)(const double *x);
static int on_xmin(const double *x) {
  return x[0] == 0.0;
}
static int on_xmax(const double *x) {
  return x[0] == 1.0;
}
static int on_sides(const double *x) {
  return x[1] == 0.0 || x[1] == 1.0 || x[2] == 0.0 || x[2] == 1.0;
}
static int on_edge(const double *x) {
  return x[0] == 0.0 && x[1] == 0.0;
}
static int on_corner(const double *x) {
  return x[0] == 0.0 && x[1] == 0.0 && x[2] == 1.0;
}
static int anywhere(const double *x) {
  return x != NULL;
}
static int on_x1(const double *x) {
  return fabs(x[0] - 1.0) < 1e-12;
}
static int on_x2(const double *x) {
  return fabs(x[0] - 2.0) < 1e-12;
}

static void check_group_nodes(const FmMesh *m, const char *name, int dim,
                              Pred pred) {
  const int g = fm_mesh_find_group(m, name, dim);
  CHECK(g >= 0);
  if (g < 0)
    return;
  int n, *nodes;
  CHECK(fm_mesh_group_nodes(m, g, &n, &nodes) == 0);
  int expect = 0;
  for (int i = 0; i < m->nnodes; i++)
    expect += pred(m->x + 3 * i) != 0;
  if (n != expect)
    fprintf(stderr, "group %s: %d nodes, expected %d\n", name, n, expect);
  CHECK(n == expect);
  for (int i = 0; i < n; i++) {
    CHECK(pred(m->x + 3 * nodes[i]));
    if (i > 0)
      CHECK(nodes[i] > nodes[i - 1]);
  }
  free(nodes);
}

static void check_box(const FmMesh *m, int order) {
  const int o2 = order == 2;
  CHECK(m->order == order);
  CHECK(m->npe == (o2 ? 10 : 4));
  CHECK(m->nnodes == (o2 ? 2072 : 339));
  CHECK(m->nelem == 1125);
  CHECK(m->tris.n == 540 && m->tris.npe == (o2 ? 6 : 3));
  CHECK(m->lines.n == 6 && m->lines.npe == (o2 ? 3 : 2));
  CHECK(m->points.n == 1 && m->points.npe == 1);
  CHECK(m->nentities == 8 + 12 + 6 + 1);
  CHECK(m->elem_tag[0] == 548 && m->elem_tag[m->nelem - 1] == 1672);
  CHECK(m->node_tag[0] == 1);
  /* node 1 of the file is the corner point (0, 0, 1) */
  CHECK(m->x[0] == 0.0 && m->x[1] == 0.0 && m->x[2] == 1.0);
  CHECK(fabs(mesh_volume(m) - 1.0) < 1e-12);

  /* groups, in $PhysicalNames order */
  const char *names[6] = {"corner", "edge", "xmin", "xmax", "sides", "solid"};
  const int dims[6] = {0, 1, 2, 2, 2, 3}, tags[6] = {31, 21, 11, 12, 13, 100};
  CHECK(m->ngroups == 6);
  for (int g = 0; g < 6 && g < m->ngroups; g++) {
    CHECK(strcmp(m->groups[g].name, names[g]) == 0);
    CHECK(m->groups[g].dim == dims[g] && m->groups[g].tag == tags[g]);
    CHECK(fm_mesh_find_group(m, names[g], -1) == g);
    CHECK(fm_mesh_find_group(m, names[g], dims[g]) == g);
  }
  CHECK(fm_mesh_find_group(m, "solid", 2) == -1);
  CHECK(fm_mesh_find_group(m, "nothing", -1) == -1);

  check_group_nodes(m, "xmin", 2, on_xmin);
  check_group_nodes(m, "xmax", 2, on_xmax);
  check_group_nodes(m, "sides", 2, on_sides);
  check_group_nodes(m, "edge", 1, on_edge);
  check_group_nodes(m, "corner", 0, on_corner);
  check_group_nodes(m, "solid", 3, anywhere);

  const char *surf[3] = {"xmin", "xmax", "sides"};
  const double area[3] = {1.0, 1.0, 4.0};
  for (int s = 0; s < 3; s++) {
    int nt, *tc;
    const int g = fm_mesh_find_group(m, surf[s], 2);
    CHECK(fm_mesh_group_tris(m, g, &nt, &tc) == 0);
    CHECK(nt > 0);
    CHECK(fabs(tris_area(m, nt, tc) - area[s]) < 1e-12);
    free(tc);
  }
  int nt, *tc;
  fm_error_clear();
  CHECK(fm_mesh_group_tris(m, fm_mesh_find_group(m, "solid", 3), &nt, &tc) !=
        0);
  CHECK(strstr(fm_error_message(), "not a surface group") != NULL);
  CHECK(fm_mesh_group_nodes(m, 99, &nt, &tc) != 0);

  const int solid = fm_mesh_find_group(m, "solid", 3);
  const int xmin = fm_mesh_find_group(m, "xmin", 2);
  for (int e = 0; e < m->nelem; e++) {
    CHECK(fm_mesh_elem_in_group(m, e, solid));
    CHECK(!fm_mesh_elem_in_group(m, e, xmin));
  }
  CHECK(fm_mesh_check(m) == 0);
}

/* written as ASCII and as binary MSH, read back exactly (bit for bit) */
static void roundtrip(const FmMesh *m, const char *out) {
  for (int bin = 0; bin < 2; bin++) {
    FmMesh b;
    CHECK(fm_mesh_write_msh(m, out, bin) == 0);
    if (fm_mesh_read_msh(out, &b)) {
      fprintf(stderr, "read back %s (%s): %s\n", out, bin ? "binary" : "ASCII",
              fm_error_message());
      fails++;
      return;
    }
    CHECK(same_mesh(m, &b));
    fm_mesh_free(&b);
    remove(out);
  }
}

static void test_box(void) {
  FmMesh a, b, c, d;
  if (read_mesh("box_tet4.msh", &a) || read_mesh("box_tet4_bin.msh", &b))
    return;
  CHECK(same_mesh_tol(&a, &b, 1e-15));
  check_box(&a, 1);
  check_box(&b, 1);
  roundtrip(&a, "t201-box4.msh");
  if (read_mesh("box_tet10.msh", &c) || read_mesh("box_tet10_bin.msh", &d))
    return;
  CHECK(same_mesh_tol(&c, &d, 1e-15));
  check_box(&c, 2);
  roundtrip(&c, "t201-box10.msh");
  /* the corner nodes of the TET10 mesh are those of the TET4 mesh */
  for (int e = 0; e < a.nelem; e++)
    for (int k = 0; k < 4; k++) {
      const double *p = a.x + 3 * a.conn[4 * e + k];
      const double *q = c.x + 3 * c.conn[10 * e + k];
      CHECK(p[0] == q[0] && p[1] == q[1] && p[2] == q[2]);
    }
  fm_mesh_free(&a);
  fm_mesh_free(&b);
  fm_mesh_free(&c);
  fm_mesh_free(&d);
  CHECK(a.x == NULL && a.nnodes == 0);
  fm_mesh_free(&a); /* twice is harmless */
}

static void test_two_volumes(void) {
  FmMesh m;
  if (read_mesh("two_volumes_tet4.msh", &m))
    return;
  CHECK(m.nelem == 1391 && m.tris.n == 730 && m.lines.n == 100 &&
        m.points.n == 12);
  const int left = fm_mesh_find_group(&m, "left", 3);
  const int right = fm_mesh_find_group(&m, "right", 3);
  const int iface = fm_mesh_find_group(&m, "interface", 2);
  CHECK(left >= 0 && right >= 0 && iface >= 0);
  CHECK(fm_mesh_find_group(&m, "load", 2) >= 0);
  int nl = 0, nr = 0;
  char *inl = calloc((size_t)m.nnodes, 1), *inr = calloc((size_t)m.nnodes, 1);
  for (int e = 0; e < m.nelem; e++) {
    const int l = fm_mesh_elem_in_group(&m, e, left);
    const int r = fm_mesh_elem_in_group(&m, e, right);
    CHECK(l + r == 1);
    nl += l;
    nr += r;
    double cx = 0.0;
    for (int a = 0; a < 4; a++) {
      const int n = m.conn[4 * e + a];
      cx += 0.25 * m.x[3 * n];
      (l ? inl : inr)[n] = 1;
    }
    CHECK(l ? cx < 1.0 : cx > 1.0);
  }
  CHECK(nl == 690 && nr == 701);
  /* interface nodes: at x = 1, and in elements of both volumes */
  check_group_nodes(&m, "interface", 2, on_x1);
  check_group_nodes(&m, "load", 2, on_x2);
  int n, *nodes;
  CHECK(fm_mesh_group_nodes(&m, iface, &n, &nodes) == 0);
  for (int i = 0; i < n; i++)
    CHECK(inl[nodes[i]] && inr[nodes[i]]);
  int shared = 0;
  for (int i = 0; i < m.nnodes; i++)
    shared += inl[i] && inr[i];
  CHECK(shared == n);
  free(nodes);
  free(inl);
  free(inr);
  /* Mesh.SaveAll: triangles of surfaces without a physical group are read */
  int nogroup = 0;
  for (int t = 0; t < m.tris.n; t++)
    nogroup += m.entities[m.tris.entity[t]].ngroups == 0;
  CHECK(nogroup > 0);
  CHECK(fabs(mesh_volume(&m) - 2.0) < 1e-12);
  CHECK(fm_mesh_check(&m) == 0);
  roundtrip(&m, "t201-two.msh");
  fm_mesh_free(&m);
}

/* ---- a hand-made binary file, written little- and big-endian ---- */

static int big;
static void put(FILE *f, const void *v, size_t n) {
  const unsigned char *b = v;
  const uint16_t one = 1;
  const int host_le = *(const unsigned char *)&one == 1;
  for (size_t i = 0; i < n; i++)
    fputc(b[(host_le == !big) ? i : n - 1 - i], f);
}
static void pi(FILE *f, int v) {
  int32_t x = v;
  put(f, &x, 4);
}
static void ps(FILE *f, uint64_t v) {
  put(f, &v, 8);
}
static void pd(FILE *f, double v) {
  put(f, &v, 8);
}

static void write_small_bin(const char *path) {
  FILE *f = fopen(path, "wb");
  fputs("$MeshFormat\n4.1 1 8\n", f);
  pi(f, 1);
  fputs("\n$EndMeshFormat\n$PhysicalNames\n2\n2 7 \"top face\"\n3 8 "
        "\"body\"\n$EndPhysicalNames\n$Entities\n",
        f);
  ps(f, 0), ps(f, 0), ps(f, 1), ps(f, 1);
  /* surface 4: bbox, 1 physical tag, 0 bounding */
  pi(f, 4);
  for (int k = 0; k < 6; k++)
    pd(f, 0.0);
  ps(f, 1), pi(f, 7), ps(f, 0);
  /* volume 9: 2 physical tags (8 and an unnamed 5), 1 bounding surface */
  pi(f, 9);
  for (int k = 0; k < 6; k++)
    pd(f, 0.0);
  ps(f, 2), pi(f, 8), pi(f, 5), ps(f, 1), pi(f, 4);
  fputs("\n$EndEntities\n$Nodes\n", f);
  ps(f, 2), ps(f, 5), ps(f, 10), ps(f, 1000000000000ULL);
  /* block 1: surface 4, parametric: 3 nodes with (u, v) */
  pi(f, 2), pi(f, 4), pi(f, 1), ps(f, 3);
  ps(f, 1000000000000ULL), ps(f, 20), ps(f, 10);
  const double xs[5][3] = {
      {0, 0, 1}, {1, 0, 1}, {0, 1, 1}, {0, 0, 0}, {5, 5, 5}};
  for (int i = 0; i < 3; i++) {
    for (int k = 0; k < 3; k++)
      pd(f, xs[i][k]);
    pd(f, 0.5), pd(f, 0.25);
  }
  /* block 2: volume 9: node 30 (used) and 40 (unused, dropped) */
  pi(f, 3), pi(f, 9), pi(f, 0), ps(f, 2);
  ps(f, 30), ps(f, 40);
  for (int i = 3; i < 5; i++)
    for (int k = 0; k < 3; k++)
      pd(f, xs[i][k]);
  fputs("\n$EndNodes\n$Elements\n", f);
  ps(f, 2), ps(f, 2), ps(f, 1), ps(f, 2);
  pi(f, 2), pi(f, 4), pi(f, 2), ps(f, 1);
  ps(f, 1), ps(f, 1000000000000ULL), ps(f, 20), ps(f, 10);
  pi(f, 3), pi(f, 9), pi(f, 4), ps(f, 1);
  ps(f, 2), ps(f, 30), ps(f, 1000000000000ULL), ps(f, 20), ps(f, 10);
  fputs("\n$EndElements\n$Periodic\n", f);
  ps(f, 0); /* unknown binary section: skipped */
  fputs("\n$EndPeriodic\n", f);
  fclose(f);
}

static void test_small_binary(void) {
  FmMesh m[2];
  for (big = 0; big < 2; big++) {
    const char *p = big ? "t201-be.msh" : "t201-le.msh";
    write_small_bin(p);
    if (fm_mesh_read_msh(p, &m[big])) {
      fprintf(stderr, "%s: %s\n", p, fm_error_message());
      fails++;
      return;
    }
    remove(p);
    const FmMesh *a = &m[big];
    CHECK(a->nnodes == 4 && a->nelem == 1 && a->tris.n == 1);
    CHECK(a->node_tag[0] == 1000000000000L && a->node_tag[3] == 30);
    CHECK(a->x[3 * 3 + 2] == 0.0 && a->x[3 * 1 + 0] == 1.0);
    CHECK(a->conn[0] == 3 && a->conn[1] == 0 && a->conn[2] == 1 &&
          a->conn[3] == 2);
    CHECK(a->elem_tag[0] == 2);
    CHECK(a->ngroups == 3);
    CHECK(fm_mesh_find_group(a, "top face", 2) == 0);
    CHECK(fm_mesh_find_group(a, "body", 3) == 1);
    CHECK(a->groups[2].dim == 3 && a->groups[2].tag == 5 &&
          a->groups[2].name[0] == 0);
    CHECK(fm_mesh_elem_in_group(a, 0, 1) && fm_mesh_elem_in_group(a, 0, 2));
    CHECK(!fm_mesh_elem_in_group(a, 0, 0));
    /* the tet (0,0,0),(0,0,1),(1,0,1),(0,1,1) has det J = 1 */
    CHECK(fm_mesh_check(a) == 0);
  }
  CHECK(same_mesh(&m[0], &m[1]));
  fm_mesh_free(&m[0]);
  fm_mesh_free(&m[1]);
}

int main(void) {
  test_box();
  test_two_volumes();
  test_small_binary();
  if (fails)
    fprintf(stderr, "t201: %d checks failed\n", fails);
  return fails != 0;
}
