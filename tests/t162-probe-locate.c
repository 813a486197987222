/* Locating a point in the mesh (fm_mesh_locate, the probes): in a TET10
 * whose edge follows a circle (as Gmsh's order-2 meshes of a cylinder or a
 * femoral head do), points near the arc lie beyond every node of the
 * element, where the element's box of its nodes does not reach: they are
 * found, with their reference coordinates; points beyond the arc are not.
 * Before, the box excluded them ("outside the mesh"). */
#include <math.h>
#include <string.h>

#include "element.h"
#include "mesh.h"
#include "recover.h"
#include "test_util.h"

#define DEG (3.14159265358979323846 / 180)

int main(void) {
  /* corners 0 and 1 on the unit circle at -10 and 30 degrees, the mid
   * node of edge 0-1 on it at 10 degrees; the arc reaches x = 1 at 0
   * degrees, the nodes only cos(10) = 0.985 */
  double x[30] = {cos(-10 * DEG),
                  sin(-10 * DEG),
                  0,
                  cos(30 * DEG),
                  sin(30 * DEG),
                  0,
                  0,
                  0,
                  0,
                  0.3,
                  0.1,
                  1};
  const int edges[6][2] = FM_TET10_EDGES;
  for (int q = 0; q < 6; q++)
    for (int k = 0; k < 3; k++)
      x[3 * (4 + q) + k] =
          0.5 * (x[3 * edges[q][0] + k] + x[3 * edges[q][1] + k]);
  x[12] = cos(10 * DEG), x[13] = sin(10 * DEG), x[14] = 0; /* node 4: 0-1 */
  int conn[10];
  for (int a = 0; a < 10; a++)
    conn[a] = a;
  FmMesh m;
  memset(&m, 0, sizeof m);
  m.nnodes = 10;
  m.x = x;
  m.nelem = 1;
  m.npe = 10;
  m.conn = conn;
  double nodes_xmax = -1;
  for (int a = 0; a < 10; a++)
    nodes_xmax = fmax(nodes_xmax, x[3 * a]);
  int beyond = 0;
  for (int i = 0; i <= 20; i++) {
    /* a point along edge 0-1 (t from 0 to 1), a little inside */
    const double t = 0.02 + 0.96 * i / 20.0;
    const double xi[3] = {t * (1 - 2e-4), 1e-4, 1e-4};
    double N[10], X[3] = {0, 0, 0};
    fm_tet_shape(10, xi, N, NULL);
    for (int a = 0; a < 10; a++)
      for (int k = 0; k < 3; k++)
        X[k] += N[a] * x[3 * a + k];
    beyond += X[0] > nodes_xmax;
    int e = -1;
    double got[3];
    CHECK(fm_mesh_locate(&m, X, &e, got) == 0,
          "point %d (%.6f, %.6f, %.6f) not found", i, X[0], X[1], X[2]);
    CHECK(e == 0, "element %d", e);
    for (int k = 0; k < 3; k++)
      CHECK_CLOSE(got[k], xi[k], 1e-9, 1e-9);
    /* beyond the arc: outside */
    const double Xo[3] = {X[0] * 1.02, X[1] * 1.02, X[2]};
    CHECK(fm_mesh_locate(&m, Xo, &e, got) != 0,
          "point %d beyond the arc (%.6f, %.6f) found", i, Xo[0], Xo[1]);
  }
  CHECK(beyond >= 5, "only %d points lie beyond the nodes' box", beyond);
  TEST_END();
}
