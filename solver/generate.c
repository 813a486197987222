#include "generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* grid coordinates through the breakpoints b[0..nb), about h apart */
static int axis(const double *b, int nb, double h, double **out, int *n) {
  int cnt = 1;
  for (int i = 0; i + 1 < nb; i++) {
    int k = (int)ceil((b[i + 1] - b[i]) / h - 1e-9);
    cnt += k < 1 ? 1 : k;
  }
  FM_ALLOC(*out, cnt);
  int j = 0;
  (*out)[j++] = b[0];
  for (int i = 0; i + 1 < nb; i++) {
    int k = (int)ceil((b[i + 1] - b[i]) / h - 1e-9);
    if (k < 1)
      k = 1;
    for (int s = 1; s <= k; s++)
      (*out)[j++] = b[i] + (b[i + 1] - b[i]) * s / k;
  }
  *n = cnt;
  return 0;
}

enum { M_NONE = -1, M_IMPLANT = 0, M_BONE = 1, M_CEMENT = 2 };

static int material(double x, double y, double z) {
  const double ax = fabs(x), ay = fabs(y), r = ax > ay ? ax : ay;
  if (z > 80)
    return M_IMPLANT;
  if (r < 4.5)
    return z > 20 ? M_IMPLANT : M_NONE;
  if (r < 5.5)
    return z > 20 ? M_CEMENT : M_NONE;
  return M_BONE;
}

int fm_generate_implant(double h, FmMesh *m) {
  memset(m, 0, sizeof *m);
  if (!(h > 0.05 && h <= 20))
    return fm_error("generate: cell size h must be in (0.05, 20] mm (got %g)",
                    h);
  snprintf(m->file, sizeof m->file, "generated implant (h = %g)", h);
  const double bxy[6] = {-12, -5.5, -4.5, 4.5, 5.5, 12};
  const double bz[5] = {0, 20, 80, 140, 160};
  double *X = NULL, *Y = NULL, *Z = NULL;
  int nx, ny, nz;
  FM_CALL(axis(bxy, 6, h, &X, &nx));
  FM_CALL(axis(bxy, 6, h, &Y, &ny));
  FM_CALL(axis(bz, 5, h, &Z, &nz));
  const long nn = (long)nx * ny * nz;
  const long ncell = (long)(nx - 1) * (ny - 1) * (nz - 1);
  if (12 * ncell > 2000000000L) {
    free(X), free(Y), free(Z);
    return fm_error("generate: h = %g gives too many elements", h);
  }
#define NID(i, j, k) ((long)(k)*nx * ny + (long)(j)*nx + (i))
  /* cells in use, elements, boundary triangles */
  int *used = fm_calloc(nn, sizeof(int));
  long ne = 0, nt = 0;
  if (!used)
    return 1;
  for (int k = 0; k + 1 < nz; k++)
    for (int j = 0; j + 1 < ny; j++)
      for (int i = 0; i + 1 < nx; i++) {
        const int mat =
            material(0.5 * (X[i] + X[i + 1]), 0.5 * (Y[j] + Y[j + 1]),
                     0.5 * (Z[k] + Z[k + 1]));
        if (mat == M_NONE)
          continue;
        ne += 6;
        if (k == 0 || k + 2 == nz)
          nt += 2;
        if (i + 2 == nx && Z[k] >= 140 - 1e-9)
          nt += 2;
      }
  m->order = 1;
  m->npe = 4;
  m->nelem = (int)ne;
  m->conn = fm_calloc(4 * ne, sizeof(int));
  m->elem_entity = fm_calloc(ne, sizeof(int));
  m->elem_tag = fm_calloc(ne, sizeof(long));
  m->tris.npe = 3;
  m->tris.n = (int)nt;
  m->tris.conn = fm_calloc(3 * nt + 1, sizeof(int));
  m->tris.entity = fm_calloc(nt + 1, sizeof(int));
  m->lines.npe = 2;
  m->points.npe = 1;
  if (!m->conn || !m->elem_entity || !m->elem_tag || !m->tris.conn ||
      !m->tris.entity) {
    free(used);
    return 1;
  }
  /* Freudenthal split of a cell with corners v[b], b = x + 2y + 4z */
  static const int tet[6][4] = {{0, 1, 3, 7}, {0, 1, 5, 7}, {0, 2, 3, 7},
                                {0, 2, 6, 7}, {0, 4, 5, 7}, {0, 4, 6, 7}};
  long e = 0, t = 0;
  for (int k = 0; k + 1 < nz; k++)
    for (int j = 0; j + 1 < ny; j++)
      for (int i = 0; i + 1 < nx; i++) {
        const int mat =
            material(0.5 * (X[i] + X[i + 1]), 0.5 * (Y[j] + Y[j + 1]),
                     0.5 * (Z[k] + Z[k + 1]));
        if (mat == M_NONE)
          continue;
        long v[8];
        for (int b = 0; b < 8; b++)
          v[b] = NID(i + (b & 1), j + ((b >> 1) & 1), k + ((b >> 2) & 1));
        for (int q = 0; q < 6; q++) {
          long c[4] = {v[tet[q][0]], v[tet[q][1]], v[tet[q][2]], v[tet[q][3]]};
          /* positive orientation */
          double p[4][3];
          for (int a = 0; a < 4; a++) {
            const long id = c[a];
            p[a][0] = X[id % nx];
            p[a][1] = Y[(id / nx) % ny];
            p[a][2] = Z[id / ((long)nx * ny)];
          }
          double d1[3], d2[3], d3[3];
          for (int s = 0; s < 3; s++) {
            d1[s] = p[1][s] - p[0][s];
            d2[s] = p[2][s] - p[0][s];
            d3[s] = p[3][s] - p[0][s];
          }
          const double det = d1[0] * (d2[1] * d3[2] - d2[2] * d3[1]) -
                             d1[1] * (d2[0] * d3[2] - d2[2] * d3[0]) +
                             d1[2] * (d2[0] * d3[1] - d2[1] * d3[0]);
          if (det < 0) {
            const long tmp = c[1];
            c[1] = c[2];
            c[2] = tmp;
          }
          for (int a = 0; a < 4; a++) {
            m->conn[4 * e + a] = (int)c[a];
            used[c[a]] = 1;
          }
          m->elem_entity[e] = mat; /* volume entities 0, 1, 2 */
          m->elem_tag[e] = e + 1;
          e++;
        }
        /* boundary triangles, split like the tetrahedra's faces */
        if (k == 0) { /* bottom face: diagonal v0-v3 */
          const long tri[2][3] = {{v[0], v[1], v[3]}, {v[0], v[2], v[3]}};
          for (int q = 0; q < 2; q++, t++) {
            for (int a = 0; a < 3; a++)
              m->tris.conn[3 * t + a] = (int)tri[q][a];
            m->tris.entity[t] = 3; /* distal */
          }
        }
        if (k + 2 == nz) { /* top face: diagonal v4-v7 */
          const long tri[2][3] = {{v[4], v[5], v[7]}, {v[4], v[6], v[7]}};
          for (int q = 0; q < 2; q++, t++) {
            for (int a = 0; a < 3; a++)
              m->tris.conn[3 * t + a] = (int)tri[q][a];
            m->tris.entity[t] = 4; /* proximal */
          }
        }
        if (i + 2 == nx &&
            Z[k] >= 140 - 1e-9) { /* x = +12 face: diagonal v1-v7 */
          const long tri[2][3] = {{v[1], v[3], v[7]}, {v[1], v[5], v[7]}};
          for (int q = 0; q < 2; q++, t++) {
            for (int a = 0; a < 3; a++)
              m->tris.conn[3 * t + a] = (int)tri[q][a];
            m->tris.entity[t] = 5; /* abductor */
          }
        }
      }
  /* compact the nodes */
  long nu = 0;
  for (long n = 0; n < nn; n++)
    used[n] = used[n] ? (int)nu++ : -1;
  m->nnodes = (int)nu;
  m->x = fm_calloc(3 * nu, sizeof(double));
  m->node_tag = fm_calloc(nu, sizeof(long));
  if (!m->x || !m->node_tag) {
    free(used);
    return 1;
  }
  for (long n = 0; n < nn; n++)
    if (used[n] >= 0) {
      double *x = m->x + 3 * (size_t)used[n];
      x[0] = X[n % nx];
      x[1] = Y[(n / nx) % ny];
      x[2] = Z[n / ((long)nx * ny)];
      m->node_tag[used[n]] = used[n] + 1;
    }
  for (long q = 0; q < 4 * ne; q++)
    m->conn[q] = used[m->conn[q]];
  for (long q = 0; q < 3 * nt; q++)
    m->tris.conn[q] = used[m->tris.conn[q]];
  free(used);
  free(X), free(Y), free(Z);
#undef NID
  /* entities and physical groups */
  static const char *gname[6] = {"implant", "bone",     "cement",
                                 "distal",  "proximal", "abductor"};
  m->ngroups = 6;
  m->nentities = 6;
  m->groups = fm_calloc(6, sizeof *m->groups);
  m->entities = fm_calloc(6, sizeof *m->entities);
  if (!m->groups || !m->entities)
    return 1;
  for (int g = 0; g < 6; g++) {
    m->groups[g].dim = g < 3 ? 3 : 2;
    m->groups[g].tag = g + 1;
    snprintf(m->groups[g].name, FM_NAME_MAX, "%s", gname[g]);
    m->entities[g].dim = m->groups[g].dim;
    m->entities[g].tag = g + 1;
    m->entities[g].ngroups = 1;
    m->entities[g].groups = fm_calloc(1, sizeof(int));
    if (!m->entities[g].groups)
      return 1;
    m->entities[g].groups[0] = g;
  }
  return 0;
}
