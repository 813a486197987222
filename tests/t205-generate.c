/* The Gmsh-free benchmark model generator: valid tetrahedra, the named
 * groups, and exact volumes and areas of every part (the model is a union of
 * boxes): bone (24^2 - 11^2) x 80, cement (11^2 - 9^2) x 60, implant
 * 9^2 x 60 + 24^2 x 80; distal 24^2 - 11^2, proximal 24^2, abductor 24 x 20;
 * the MSH file it writes reads back the same; it is written under a
 * temporary name renamed into place (none left behind), and a write that
 * cannot be made names the file. */
#include <dirent.h>
#include <string.h>

#include "element.h"
#include "error.h"
#include "generate.h"
#include "test_util.h"

static double group_volume(const FmMesh *m, int g) {
  double v = 0, xe[12], fe[12];
  const double b[3] = {0, 0, 0};
  for (int e = 0; e < m->nelem; e++) {
    if (!fm_mesh_elem_in_group(m, e, g))
      continue;
    for (int a = 0; a < 4; a++)
      for (int i = 0; i < 3; i++)
        xe[3 * a + i] = m->x[3 * m->conn[4 * e + a] + i];
    v += fm_tet_body_load(4, xe, b, fe);
  }
  return v;
}

static double group_area(const FmMesh *m, int g) {
  int n, *conn;
  double A = 0, xe[9];
  fm_mesh_group_tris(m, g, &n, &conn);
  for (int t = 0; t < n; t++) {
    for (int a = 0; a < 3; a++)
      for (int i = 0; i < 3; i++)
        xe[3 * a + i] = m->x[3 * conn[3 * t + a] + i];
    A += fm_tri_area(3, xe);
  }
  free(conn);
  return A;
}

int main(void) {
  FmMesh m;
  if (fm_generate_implant(3.0, &m)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  CHECK(fm_mesh_check(&m) == 0, "%s", fm_error_message());
  const char *vol[3] = {"implant", "bone", "cement"};
  const double V[3] = {81.0 * 60 + 576.0 * 80, (576.0 - 121) * 80,
                       (121.0 - 81) * 60};
  for (int k = 0; k < 3; k++) {
    const int g = fm_mesh_find_group(&m, vol[k], 3);
    CHECK(g >= 0, "no volume group %s", vol[k]);
    if (g >= 0)
      CHECK_CLOSE(group_volume(&m, g), V[k], 1e-10, 0);
  }
  const char *srf[3] = {"distal", "proximal", "abductor"};
  const double A[3] = {576.0 - 121, 576.0, 24.0 * 20};
  for (int k = 0; k < 3; k++) {
    const int g = fm_mesh_find_group(&m, srf[k], 2);
    CHECK(g >= 0, "no surface group %s", srf[k]);
    if (g >= 0)
      CHECK_CLOSE(group_area(&m, g), A[k], 1e-10, 0);
  }
  /* as femora generate writes it (binary) and as ASCII: the same model,
   * bit for bit */
  for (int bin = 1; bin >= 0; bin--) {
    CHECK(fm_mesh_write_msh(&m, "t205.msh", bin) == 0, "%s",
          fm_error_message());
    FmMesh r;
    CHECK(fm_mesh_read_msh("t205.msh", &r) == 0, "%s", fm_error_message());
    CHECK(r.nnodes == m.nnodes && r.nelem == m.nelem && r.tris.n == m.tris.n &&
              r.npe == m.npe && r.ngroups == m.ngroups &&
              !memcmp(r.x, m.x, 3 * sizeof(double) * (size_t)m.nnodes) &&
              !memcmp(r.conn, m.conn, sizeof(int) * (size_t)m.npe * m.nelem) &&
              !memcmp(r.tris.conn, m.tris.conn,
                      sizeof(int) * (size_t)m.tris.npe * m.tris.n),
          "read back (%s) differs", bin ? "binary" : "ASCII");
    for (int g = 0; g < m.ngroups && g < r.ngroups; g++)
      CHECK(!strcmp(r.groups[g].name, m.groups[g].name), "group %d", g);
    for (int e = 0; e < m.nelem; e++)
      if (fm_mesh_elem_in_group(&r, e, fm_mesh_find_group(&r, "implant", 3)) !=
          fm_mesh_elem_in_group(&m, e, fm_mesh_find_group(&m, "implant", 3))) {
        CHECK(0, "element %d: implant membership differs (%s)", e,
              bin ? "binary" : "ASCII");
        break;
      }
    fm_mesh_free(&r);
  }
  /* no temporary file left; a failing write (into a directory that does
   * not exist) names the file and leaves nothing */
  DIR *dir = opendir(".");
  struct dirent *de;
  while (dir && (de = readdir(dir)))
    CHECK(strncmp(de->d_name, "t205.msh.tmp", 12) != 0, "left behind: %s",
          de->d_name);
  if (dir)
    closedir(dir);
  CHECK(fm_mesh_write_msh(&m, "t205-none/t205.msh", 1) != 0 &&
            strstr(fm_error_message(), "t205-none/t205.msh"),
        "a write into a missing directory: %s", fm_error_message());
  fm_mesh_free(&m);
  CHECK(fm_generate_implant(-1, &m) != 0 &&
            strstr(fm_error_message(), "cell size"),
        "bad h accepted");
  TEST_END();
}
