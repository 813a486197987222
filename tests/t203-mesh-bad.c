/* Malformed MSH input: every case fails cleanly (non-zero, one message that
 * names the file and the item), never crashes; truncated and corrupted real
 * meshes (ASCII and binary) included.  Inverted and degenerate elements are
 * caught by fm_mesh_check, the first one named whatever the OpenMP threads. */
#include "error.h"
#include "generate.h"
#include "mesh.h"
#ifdef _OPENMP
#include <omp.h>
#endif

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

/* Two tetrahedra, one boundary triangle, a named volume group. */
static const char *HEAD = "$MeshFormat\n4.1 0 8\n$EndMeshFormat\n";
static const char *NAMES =
    "$PhysicalNames\n1\n3 1 \"solid\"\n$EndPhysicalNames\n";
static const char *ENTS = "$Entities\n0 0 1 1\n"
                          "1 0 0 0 1 1 1 0 0\n"
                          "1 0 0 0 1 1 1 1 1 1 1\n"
                          "$EndEntities\n";
static const char *NODES = "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n"
                           "0 0 0\n1 0 0\n0 1 0\n0 0 1\n1 1 1\n$EndNodes\n";
static const char *ELEMS = "$Elements\n2 3 1 21\n"
                           "2 1 2 1\n10 2 3 4\n"
                           "3 1 4 2\n20 1 2 3 4\n21 2 3 4 5\n"
                           "$EndElements\n";

static void write_file(const char *path, const char *text, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
  fwrite(text, 1, n, f);
  fclose(f);
}

/* Build a file from the parts, replacing the ones given. */
static void make(char *buf, size_t n, const char *head, const char *names,
                 const char *ents, const char *nodes, const char *elems) {
  snprintf(buf, n, "%s%s%s%s%s", head ? head : HEAD, names ? names : NAMES,
           ents ? ents : ENTS, nodes ? nodes : NODES, elems ? elems : ELEMS);
}

/* Expect reading `text` to fail with a message containing the file name
 * and each of the (up to 2) fragments. */
static void expect_fail(const char *name, const char *text, const char *frag1,
                        const char *frag2) {
  char path[256];
  snprintf(path, sizeof path, "t203-%s.msh", name);
  write_file(path, text, strlen(text));
  FmMesh m;
  fm_error_clear();
  const int ierr = fm_mesh_read_msh(path, &m);
  const char *msg = fm_error_message();
  if (!ierr) {
    fprintf(stderr, "case %s: read succeeded, expected an error\n", name);
    fails++;
    fm_mesh_free(&m);
  } else if (strncmp(msg, path, strlen(path)) != 0 ||
             (frag1 && !strstr(msg, frag1)) || (frag2 && !strstr(msg, frag2)) ||
             strchr(msg, '\n')) {
    fprintf(stderr, "case %s: unexpected message: %s\n", name, msg);
    fails++;
  }
  CHECK(m.x == NULL && m.conn == NULL && m.nnodes == 0);
  remove(path);
}

static int expect_ok(const char *name, const char *text, FmMesh *m) {
  char path[256];
  snprintf(path, sizeof path, "t203-%s.msh", name);
  write_file(path, text, strlen(text));
  const int ierr = fm_mesh_read_msh(path, m);
  if (ierr) {
    fprintf(stderr, "case %s: %s\n", name, fm_error_message());
    fails++;
  }
  remove(path);
  return ierr;
}

static void test_cases(void) {
  static char b[8192];
  FmMesh m;

  make(b, sizeof b, 0, 0, 0, 0, 0);
  if (!expect_ok("valid", b, &m)) {
    CHECK(m.nnodes == 5 && m.nelem == 2 && m.tris.n == 1);
    CHECK(fm_mesh_check(&m) == 0);
    fm_mesh_free(&m);
  }

  fm_error_clear();
  CHECK(fm_mesh_read_msh("t203-does-not-exist.msh", &m) != 0);
  CHECK(strstr(fm_error_message(), "t203-does-not-exist.msh: cannot open"));

  /* format and version */
  make(b, sizeof b, "$MeshFormat\n2.2 0 8\n$EndMeshFormat\n", 0, 0, 0, 0);
  expect_fail("v22", b, "version 2.2", "re-export the mesh as MSH 4.1");
  make(b, sizeof b, "$MeshFormat\n4 1 8\n$EndMeshFormat\n", 0, 0, 0, 0);
  expect_fail("v40", b, "version 4 ", "MSH 4.1");
  make(b, sizeof b, "$MeshFormat\n4.1 0 4\n$EndMeshFormat\n", 0, 0, 0, 0);
  expect_fail("dsize", b, "data size 4", NULL);
  make(b, sizeof b, "$MeshFormat\n4.1 1 8\nABCD\n$EndMeshFormat\n", 0, 0, 0, 0);
  expect_fail("endian", b, "endianness", NULL);
  expect_fail("empty", "", "not a Gmsh MSH file", NULL);
  expect_fail("text", "solid cube\nfacet normal 0 0 1\n", "not a Gmsh MSH file",
              NULL);
  make(b, sizeof b, "$Nodes\n", 0, 0, 0, 0);
  expect_fail("noformat", b, "not a Gmsh MSH file", NULL);

  /* missing sections */
  snprintf(b, sizeof b, "%s%s%s%s", HEAD, NAMES, ENTS, ELEMS);
  expect_fail("nonodes", b, "$Elements", "no $Nodes");
  snprintf(b, sizeof b, "%s%s%s%s", HEAD, NAMES, ENTS, NODES);
  expect_fail("noelements", b, "$Elements: section missing", NULL);
  snprintf(b, sizeof b, "%s%s%s%s%s", HEAD, NAMES, ENTS, NODES, NODES);
  expect_fail("twonodes", b, "second $Nodes", NULL);

  /* unknown sections are skipped (ASCII text and data of any kind) */
  make(b, sizeof b, 0,
       "$Comments\nanything $Nodes\n$EndComments\n$PhysicalNames\n1\n3 1 "
       "\"solid\"\n$EndPhysicalNames\n",
       0, 0,
       "$Elements\n2 3 1 21\n2 1 2 1\n10 2 3 4\n3 1 4 2\n20 1 2 3 4\n21 2 3 4 "
       "5\n$EndElements\n$Periodic\n1\n1 1 2\n0\n1\n3 4\n$EndPeriodic\n"
       "$NodeData\n1\n\"u\"\n1\n0.0\n3\n0\n3\n2\n1 0.5 0 0\n2 0.5 0 "
       "0\n$EndNodeData\n");
  if (!expect_ok("unknown", b, &m)) {
    CHECK(m.nelem == 2 && m.ngroups == 1);
    fm_mesh_free(&m);
  }
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 3 1 21\n2 1 2 1\n10 2 3 4\n3 1 4 2\n20 1 2 3 4\n21 2 3 4 "
       "5\n$EndElements\n$Periodic\n1\n1 1 2\n");
  expect_fail("unknownopen", b, "$Periodic", "no $EndPeriodic");

  /* counts */
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 6 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("nodecount", b, "$Nodes", "the blocks hold 5 nodes");
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 4 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("nodecount2", b, "node block 1", "more nodes than");
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 99999999999 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 "
       "1 0\n0 0 1\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("nodecount3", b, "number of nodes 99999999999",
              "more than the rest of the file");
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 1 5\n3 1 0 4\n1\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("blockcount", b, "$Nodes", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 3 1 21\n2 1 2 1\n10 2 3 4\n3 1 4 3\n20 1 2 3 4\n21 2 3 4 "
       "5\n$EndElements\n");
  expect_fail("elemcount", b, "element block 2", "more elements than the 3");
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 4 1 21\n2 1 2 1\n10 2 3 4\n3 1 4 2\n20 1 2 3 4\n21 2 3 4 "
       "5\n$EndElements\n");
  expect_fail("elemcount2", b, "the blocks hold 3 elements", "announced 4");
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n3 3 1 21\n2 1 2 1\n10 2 3 4\n3 1 4 2\n20 1 2 3 4\n21 2 3 4 "
       "5\n$EndElements\n");
  expect_fail("blockcount2", b, "$Elements", NULL);
  make(b, sizeof b, 0, "$PhysicalNames\n2\n3 1 \"solid\"\n$EndPhysicalNames\n",
       0, 0, 0);
  expect_fail("namecount", b, "$PhysicalNames", NULL);
  make(b, sizeof b, 0, 0,
       "$Entities\n0 0 1 1\n1 0 0 0 1 1 1 0 0\n1 0 0 0 1 1 1 1000 1 1 "
       "1\n$EndEntities\n",
       0, 0);
  expect_fail("physcount", b, "$Entities", NULL);

  /* nodes */
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 3 1 21\n2 1 2 1\n10 2 3 4\n3 1 4 2\n20 1 2 3 4\n21 2 3 4 "
       "99\n$EndElements\n");
  expect_fail("undefnode", b, "element 21: node 99 is not defined", NULL);
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n3\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("dupnode", b, "node 3: defined twice", NULL);
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n-4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("negnode", b, "node tag -4", "negative");
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 0 5\n3 1 0 5\n0\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1\n1 1 1\n$EndNodes\n",
       "$Elements\n1 1 1 1\n3 1 4 1\n1 0 2 3 4\n$EndElements\n");
  expect_fail("zeronode", b, "node tag 0", "start at 1");
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 0 0\n3 1 4 1\n0 1 2 3 4\n$EndElements\n");
  expect_fail("zeroelem", b, "element tag 0", "start at 1");
  make(b, sizeof b, 0,
       "$PhysicalNames\n3\n3 1 \"solid\"\n2 1 \"face\"\n3 1 "
       "\"again\"\n$EndPhysicalNames\n",
       0, 0, 0);
  expect_fail("nametwice", b, "physical group 1 (dimension 3) named twice",
              NULL);
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "nan\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("nan", b, "line 24 ($Nodes)", "not a finite number");
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1x\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("garbage", b, "line 24 ($Nodes)", "expected coordinate");
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n4\n99999999999999999999\n0 0 0\n1 "
       "0 0\n0 1 0\n0 0 1\n1 1 1\n$EndNodes\n",
       0);
  expect_fail("bigtag", b, "node tag", "too large");

  /* element types */
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 3 1 1234\n2 1 2 1\n10 2 3 4\n3 1 5 2\n1234 1 2 3 4 5 1 "
       "2 3\n1235 1 2 3 4 5 1 2 3\n$EndElements\n");
  expect_fail("hex", b,
              "element 1234: unsupported element type 5 (hexahedron); Femora "
              "needs TET4 or TET10",
              NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 1 7\n3 1 6 1\n7 1 2 3 4 5 1\n$EndElements\n");
  expect_fail("prism", b, "element 7: unsupported element type 6 (prism)",
              "TET4 or TET10");
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 1 7\n3 1 18 1\n7 1 2 3 4 5 1 2 3 4 5 1 2 3 4 "
       "5\n$EndElements\n");
  expect_fail("prism15", b,
              "element 7: unsupported element type 18 (15-node prism)", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 1 7\n2 1 3 1\n7 1 2 3 4\n$EndElements\n");
  expect_fail("quad", b,
              "element 7: unsupported element type 3 (4-node quadrangle)",
              NULL);
  /* a hexahedral mesh has quadrangle faces first: the hexahedra are named */
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n3 4 1 9\n2 1 3 2\n7 1 2 3 4\n8 2 3 4 5\n2 1 2 1\n6 1 2 "
       "3\n3 1 5 1\n9 1 2 3 4 5 1 2 3\n$EndElements\n");
  expect_fail("hexquad", b,
              "element 9: unsupported element type 5 (hexahedron)", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 3 1 9\n2 1 3 2\n7 1 2 3 4\n8 2 3 4 5\n3 1 4 1\n9 1 2 3 "
       "4\n$EndElements\n");
  expect_fail("quadtet", b, "element 7: unsupported element type 3", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 3 1 9\n2 1 3 0\n3 1 5 1\n9 1 2 3 4 5 1 2 "
       "3\n$EndElements\n");
  expect_fail("emptyquad", b, "element 9: unsupported element type 5", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 1 7\n3 1 777 1\n7 1 2 3 4\n$EndElements\n");
  expect_fail("type777", b, "element 7: unsupported element type 777 (unknown)",
              NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 2 1 21\n3 1 4 1\n20 1 2 3 4\n3 1 11 1\n21 1 2 3 4 5 1 2 "
       "3 4 5\n$EndElements\n");
  expect_fail("mixed", b, "element 21: TET10 mixed with TET4", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 2 1 21\n2 1 9 1\n10 1 2 3 4 5 1\n3 1 4 1\n20 1 2 3 "
       "4\n$EndElements\n");
  expect_fail("tri6tet4", b, "element 10: TRI6 element in a TET4 mesh", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 1 10\n2 1 2 1\n10 2 3 4\n$EndElements\n");
  expect_fail("notets", b, "no tetrahedra", NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 1 20\n3 7 4 1\n20 1 2 3 4\n$EndElements\n");
  expect_fail("noentity", b, "entity 7 of dimension 3 is not in $Entities",
              NULL);
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n1 1 1 20\n2 1 4 1\n20 1 2 3 4\n$EndElements\n");
  expect_fail("wrongdim", b, "element block 1", "entity of dimension 2");
  make(b, sizeof b, 0, 0, 0, "",
       "$Elements\n1 1 1 20\n3 1 4 1\n20 1 2 3 4\n$EndElements\n");
  expect_fail("elembeforenodes", b, "no $Nodes section before $Elements", NULL);

  /* names and entities */
  make(b, sizeof b, 0, "$PhysicalNames\n1\n3 1 \"solid\n$EndPhysicalNames\n", 0,
       0, 0);
  expect_fail("quote", b, "physical group 1", "no closing quote");
  make(b, sizeof b, 0,
       "$PhysicalNames\n1\n3 1 "
       "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n$"
       "EndPhysicalNames\n",
       0, 0, 0);
  expect_fail("longname", b, "physical group 1", "name longer than");
  make(b, sizeof b, 0, 0,
       "$Entities\n0 0 1 1\n1 0 0 0 1 1 1 0 0\n1 0 0 0 1 1 1 1 1 1 1\n1 0 0 "
       "0 1 1 1 0 0\n$EndEntities\n",
       0, 0);
  expect_fail("entcount", b, "$Entities", "expected $EndEntities");
  make(b, sizeof b, 0, 0,
       "$Entities\n0 0 0 2\n1 0 0 0 1 1 1 0 0\n1 0 0 0 1 1 1 1 1 1 "
       "1\n$EndEntities\n",
       0, 0);
  expect_fail("dupent", b, "entity 1 of dimension 3 defined twice", NULL);
  make(b, sizeof b, 0,
       "$PhysicalNames\n1\n3 1 \"solid\"\n$EndPhysicalNames\n"
       "$PartitionedEntities\n2\n0\n$EndPartitionedEntities\n",
       0, 0, 0);
  expect_fail("partitioned", b, "partitioned meshes are not supported", NULL);
  make(b, sizeof b, 0, 0, 0, 0, "$EndElements\n");
  expect_fail("strayend", b, "$EndElements without its section", NULL);
}

/* Many physical groups (found by a hash since the sixteenth session):
 * 3000 named surface groups, the volume's entity listing its named group
 * twice, an unnamed one and a named surface tag (dimension 3, so another
 * group, unnamed); every element's groups as listed. */
static void test_many_groups(void) {
  const int ng = 3000;
  const size_t cap = 64 * (size_t)ng + 4096;
  char *b = malloc(cap), *q = b;
  if (!b) {
    fails++;
    return;
  }
  q += sprintf(q, "%s$PhysicalNames\n%d\n", HEAD, ng + 1);
  for (int t = 1; t <= ng; t++)
    q += sprintf(q, "2 %d \"surface %d\"\n", t, t);
  q += sprintf(q, "3 %d \"solid\"\n$EndPhysicalNames\n", 2 * ng);
  q += sprintf(q,
               "$Entities\n0 0 1 1\n1 0 0 0 1 1 1 1 %d 0\n"
               "1 0 0 0 1 1 1 5 %d 77 %d 1500 %d 1 1\n$EndEntities\n",
               ng / 2, 2 * ng, 2 * ng, 2 * ng);
  q += sprintf(q, "%s%s", NODES, ELEMS);
  FmMesh m;
  if (!expect_ok("many_groups", b, &m)) {
    const int solid = fm_mesh_find_group(&m, "solid", 3);
    const int face = fm_mesh_find_group(&m, "surface 1500", 2);
    CHECK(m.ngroups == ng + 3);
    CHECK(solid == ng && face == 1499);
    CHECK(fm_mesh_find_group(&m, "surface 1500", 3) < 0);
    for (int e = 0; e < m.nelem; e++) {
      CHECK(fm_mesh_elem_in_group(&m, e, solid));
      CHECK(!fm_mesh_elem_in_group(&m, e, face));
    }
    /* the entity's groups: solid once, then 77 and 1500 of dimension 3 */
    const FmEntity *v = NULL;
    for (int i = 0; i < m.nentities; i++)
      if (m.entities[i].dim == 3)
        v = &m.entities[i];
    CHECK(v && v->ngroups == 3);
    if (v && v->ngroups == 3) {
      CHECK(v->groups[0] == solid);
      CHECK(m.groups[v->groups[1]].tag == 77 &&
            m.groups[v->groups[1]].dim == 3 &&
            m.groups[v->groups[1]].name[0] == 0);
      CHECK(m.groups[v->groups[2]].tag == 1500 &&
            m.groups[v->groups[2]].dim == 3 &&
            m.groups[v->groups[2]].name[0] == 0);
    }
    int n = 0, *nodes = NULL;
    CHECK(fm_mesh_group_nodes(&m, face, &n, &nodes) == 0 && n == 3);
    free(nodes);
    fm_mesh_free(&m);
  }
  free(b);
}

/* Truncate text at every byte: each must fail, none may crash. */
static void test_truncated_text(void) {
  static char b[8192];
  make(b, sizeof b, 0, 0, 0, 0, 0);
  const size_t n = strlen(b);
  int ok = 0;
  for (size_t cut = 0; cut + 2 <= n; cut++) {
    write_file("t203-cut.msh", b, cut);
    FmMesh m;
    fm_error_clear();
    if (fm_mesh_read_msh("t203-cut.msh", &m) == 0) {
      fprintf(stderr, "truncated at %zu of %zu: read succeeded\n", cut, n);
      fm_mesh_free(&m);
      fails++;
    } else if (strncmp(fm_error_message(), "t203-cut.msh: ", 14) != 0) {
      fprintf(stderr, "truncated at %zu: message %s\n", cut,
              fm_error_message());
      fails++;
    } else
      ok++;
  }
  remove("t203-cut.msh");
  CHECK(ok > 100);
}

static char *slurp(const char *name, size_t *n) {
  char p[4096];
  const char *src = getenv("FEMORA_SOURCE_DIR");
  snprintf(p, sizeof p, "%s/meshes/test/%s", src ? src : ".", name);
  FILE *f = fopen(p, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", p);
    fails++;
    return NULL;
  }
  fseek(f, 0, SEEK_END);
  *n = (size_t)ftell(f);
  rewind(f);
  char *b = malloc(*n + 1);
  if (fread(b, 1, *n, f) != *n)
    fails++;
  fclose(f);
  return b;
}

/* Real meshes truncated at many places and with random bytes changed: no
 * crash (run under the sanitizers / valgrind), truncation always fails. */
static void test_corrupt(const char *name, int step) {
  size_t n;
  char *orig = slurp(name, &n);
  if (!orig)
    return;
  char *b = malloc(n);
  for (size_t cut = 0; cut + 16 < n; cut += (size_t)step) {
    write_file("t203-corrupt.msh", orig, cut);
    FmMesh m;
    if (fm_mesh_read_msh("t203-corrupt.msh", &m) == 0) {
      fprintf(stderr, "%s truncated at %zu: read succeeded\n", name, cut);
      fm_mesh_free(&m);
      fails++;
    } else if (strncmp(fm_error_message(), "t203-corrupt.msh: ", 18) != 0) {
      fprintf(stderr, "%s truncated at %zu: message %s\n", name, cut,
              fm_error_message());
      fails++;
    }
  }
  unsigned seed = 12345;
  for (int trial = 0; trial < 150; trial++) {
    memcpy(b, orig, n);
    for (int k = 0; k < 1 + trial % 4; k++) {
      seed = seed * 1103515245u + 12345u;
      const size_t pos = (seed >> 4) % n;
      seed = seed * 1103515245u + 12345u;
      b[pos] = (char)(seed >> 16);
    }
    write_file("t203-corrupt.msh", b, n);
    FmMesh m;
    if (fm_mesh_read_msh("t203-corrupt.msh", &m) == 0) {
      /* still valid: the utilities must work on it */
      fm_mesh_check(&m);
      fm_mesh_set_order(&m, m.order == 1 ? 2 : 1);
      fm_mesh_free(&m);
    }
  }
  remove("t203-corrupt.msh");
  free(b);
  free(orig);
}

/* Inverted (two nodes swapped) and degenerate (flat) elements. */
static void test_inverted(void) {
  static char b[8192];
  FmMesh m;
  make(b, sizeof b, 0, 0, 0, 0,
       "$Elements\n2 3 1 21\n2 1 2 1\n10 2 3 4\n3 1 4 2\n20 1 3 2 4\n21 2 3 4 "
       "5\n$EndElements\n");
  if (!expect_ok("inverted", b, &m)) {
    fm_error_clear();
    CHECK(fm_mesh_check(&m) != 0);
    CHECK(strstr(fm_error_message(), "t203-inverted.msh: element 20: "
                                     "inverted or degenerate tetrahedron (det "
                                     "J = -1"));
    /* also as TET10 (elevated): caught at the corners / Gauss points */
    CHECK(fm_mesh_set_order(&m, 2) == 0);
    CHECK(fm_mesh_check(&m) != 0);
    CHECK(strstr(fm_error_message(), "element 20: inverted"));
    fm_mesh_free(&m);
  }
  make(b, sizeof b, 0, 0, 0,
       "$Nodes\n1 5 1 5\n3 1 0 5\n1\n2\n3\n4\n5\n0 0 0\n1 0 0\n0 1 0\n0 0 "
       "1\n0.3333333333333333 0.3333333333333333 "
       "0.3333333333333334\n$EndNodes\n",
       0);
  if (!expect_ok("flat", b, &m)) {
    fm_error_clear();
    CHECK(fm_mesh_check(&m) != 0);
    CHECK(strstr(fm_error_message(), "t203-flat.msh: element 21: inverted or "
                                     "degenerate"));
    fm_mesh_free(&m);
  }
  /* TET10 with a mid node dragged past the 3/4 point of its edge: fine at
   * the centroid-ish Gauss points of a TET4 but inverted near corner 1 */
  make(b, sizeof b, 0, 0, 0, 0, 0);
  if (!expect_ok("curved", b, &m)) {
    CHECK(fm_mesh_set_order(&m, 2) == 0);
    CHECK(fm_mesh_check(&m) == 0);
    const int mid = m.conn[4]; /* element 20, edge (0,1): (0.5, 0, 0) */
    m.x[3 * mid] = 0.9;
    fm_error_clear();
    CHECK(fm_mesh_check(&m) != 0);
    CHECK(strstr(fm_error_message(), "element 20: inverted or degenerate"));
    CHECK(strstr(fm_error_message(), "at corner 1"));
    fm_mesh_free(&m);
  }
}

/* Element e with corners 0 and 1 swapped (and the mid-edge nodes that
 * follow them): inverted; twice is the identity. */
static void swap_corners(FmMesh *m, int e) {
  int *c = m->conn + (size_t)e * m->npe, t = c[0];
  c[0] = c[1];
  c[1] = t;
  if (m->npe == 10) { /* edges (1,2) <-> (2,0), (3,0) <-> (3,1) */
    t = c[6];
    c[6] = c[5];
    c[5] = t;
    t = c[7];
    c[7] = c[9];
    c[9] = t;
  }
}

/* A generated model of many elements (fm_mesh_check's threaded path), two
 * of them inverted: the first is named, on 1 and 2 threads, as TET4 and
 * TET10. */
static void test_inverted_many(void) {
  FmMesh m;
  CHECK(fm_generate_implant(4.0, &m) == 0);
  CHECK(m.nelem > 5000); /* fm_mesh_check threads from 5000 */
  CHECK(fm_mesh_check(&m) == 0);
  for (int order = 1; order <= 2; order++) {
    if (order == 2)
      CHECK(fm_mesh_set_order(&m, 2) == 0);
    const int e1 = m.nelem / 3, e2 = m.nelem - 5;
    char want[64];
    snprintf(want, sizeof want, "element %ld: inverted",
             m.elem_tag ? m.elem_tag[e1] : e1 + 1L);
    swap_corners(&m, e1);
    swap_corners(&m, e2);
#ifdef _OPENMP
    const int nt = omp_get_max_threads();
    for (int threads = 1; threads <= 2; threads++) {
      omp_set_num_threads(threads);
#endif
      fm_error_clear();
      CHECK(fm_mesh_check(&m) != 0);
      CHECK(strstr(fm_error_message(), want) != NULL);
#ifdef _OPENMP
    }
    omp_set_num_threads(nt);
#endif
    swap_corners(&m, e1);
    swap_corners(&m, e2);
    CHECK(fm_mesh_check(&m) == 0);
  }
  fm_mesh_free(&m);
}

int main(void) {
  test_cases();
  test_many_groups();
  test_inverted_many();
  test_truncated_text();
  test_inverted();
  test_corrupt("box_tet4.msh", 397);
  test_corrupt("box_tet4_bin.msh", 211);
  test_corrupt("box_tet10_bin.msh", 1499);
  if (fails)
    fprintf(stderr, "t203: %d checks failed\n", fails);
  return fails != 0;
}
