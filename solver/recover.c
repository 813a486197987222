#include "recover.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "element.h"
#include "error.h"

/* Node copies, one for each material and node it touches, numbered
 * material by material and within one in the order of the elements'
 * nodes; elem_copy[e * npe + a] (where not NULL) the copy of element e's
 * node a.  O(nelem npe + nmat + nnodes): the elements sorted by material
 * (stably) and each node stamped with the last material that took it. */
static int number_copies(const FmModel *md, int *elem_copy, int *ncopy) {
  const FmMesh *m = &md->mesh;
  const int nmat = md->cs.nmaterials, npe = m->npe;
  int *start = fm_calloc((size_t)nmat + 1, sizeof(int));
  int *order = fm_calloc((size_t)m->nelem + 1, sizeof(int));
  int *stamp = fm_calloc((size_t)m->nnodes + 1, sizeof(int));
  int *idx = fm_calloc((size_t)m->nnodes + 1, sizeof(int));
  int ierr = !start || !order || !stamp || !idx;
  if (!ierr) {
    for (int e = 0; e < m->nelem; e++)
      if (md->elem_mat[e] >= 0 && md->elem_mat[e] < nmat)
        start[md->elem_mat[e] + 1]++;
    for (int mat = 0; mat < nmat; mat++)
      start[mat + 1] += start[mat];
    for (int e = 0; e < m->nelem; e++)
      if (md->elem_mat[e] >= 0 && md->elem_mat[e] < nmat)
        order[start[md->elem_mat[e]]++] = e;
    for (int mat = nmat; mat > 0; mat--) /* back to the starts */
      start[mat] = start[mat - 1];
    start[0] = 0;
    for (int i = 0; i < m->nnodes; i++)
      stamp[i] = -1;
    int64_t count = 0;
    for (int mat = 0; mat < nmat && !ierr; mat++)
      for (int k = start[mat]; k < start[mat + 1]; k++) {
        const int e = order[k];
        for (int a = 0; a < npe; a++) {
          const int n = m->conn[(size_t)e * npe + a];
          if (stamp[n] != mat) {
            stamp[n] = mat;
            idx[n] = (int)count++;
          }
          if (elem_copy)
            elem_copy[(size_t)e * npe + a] = idx[n];
        }
        if (count > INT_MAX) {
          ierr = fm_error("%s: more than %d node copies (nodes times the "
                          "materials at them)",
                          md->cs.path, INT_MAX);
          break;
        }
      }
    *ncopy = (int)count;
  }
  free(start);
  free(order);
  free(stamp);
  free(idx);
  return ierr;
}

int fm_post_count_copies(const FmModel *md, int *ncopy) {
  *ncopy = 0;
  return number_copies(md, NULL, ncopy);
}

int fm_post_init(const FmModel *md, FmPost *post) {
  const FmMesh *m = &md->mesh;
  const int npe = m->npe;
  memset(post, 0, sizeof *post);
  /* copies: for each material, each node it touches */
  FM_ALLOC(post->elem_copy, (size_t)m->nelem * npe);
  int ncopy = 0;
  FM_CALL(number_copies(md, post->elem_copy, &ncopy));
  post->ncopy = ncopy;
  post->copy_node = fm_calloc(ncopy, sizeof(int));
  post->copy_mat = fm_calloc(ncopy, sizeof(int));
  if (!post->copy_node || !post->copy_mat)
    return 1;
  for (int e = 0; e < m->nelem; e++)
    for (int a = 0; a < npe; a++) {
      const int c = post->elem_copy[(size_t)e * npe + a];
      post->copy_node[c] = m->conn[(size_t)e * npe + a];
      post->copy_mat[c] = md->elem_mat[e];
    }

  /* probes */
  const int np = md->cs.nprobes;
  FM_ALLOC(post->probe_elem, np);
  FM_ALLOC(post->probe_xi, 3 * np);
  for (int p = 0; p < np; p++) {
    const double *X = md->cs.probes[p].x;
    if (fm_mesh_locate(m, X, &post->probe_elem[p], post->probe_xi + 3 * p))
      return fm_error("%s: probes[%d] '%s': point (%.10g, %.10g, %.10g) is "
                      "outside the mesh",
                      md->cs.path, p, md->cs.probes[p].name, X[0], X[1], X[2]);
  }
  return 0;
}

int fm_mesh_locate(const FmMesh *m, const double X[3], int *elem,
                   double xi_out[3]) {
  const int npe = m->npe;
  int found = -1;
  double best = -1e300, bestxi[3] = {0, 0, 0};
  for (int e = 0; e < m->nelem && found < 0; e++) {
    const int *c = m->conn + (size_t)e * npe;
    double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
    for (int a = 0; a < npe; a++)
      for (int k = 0; k < 3; k++) {
        const double v = m->x[3 * c[a] + k];
        if (v < lo[k])
          lo[k] = v;
        if (v > hi[k])
          hi[k] = v;
      }
    double h = 0.0;
    for (int k = 0; k < 3; k++)
      h = fmax(h, hi[k] - lo[k]);
    /* a curved TET10 reaches beyond its nodes: x(L) = the straight
     * element's + sum over edges of 4 L_i L_j d_ij, d_ij the mid node's
     * offset from its edge's midpoint, and sum 4 L_i L_j <= 3/2 */
    double bulge = 0.0;
    if (npe == 10) {
      static const int edges[6][2] = FM_TET10_EDGES;
      for (int q = 0; q < 6; q++)
        for (int k = 0; k < 3; k++)
          bulge = fmax(bulge, fabs(m->x[3 * c[4 + q] + k] -
                                   0.5 * (m->x[3 * c[edges[q][0]] + k] +
                                          m->x[3 * c[edges[q][1]] + k])));
    }
    const double tol = 1e-9 * h + 1.5 * bulge;
    if (X[0] < lo[0] - tol || X[0] > hi[0] + tol || X[1] < lo[1] - tol ||
        X[1] > hi[1] + tol || X[2] < lo[2] - tol || X[2] > hi[2] + tol)
      continue;
    /* Newton on x(xi) = X starting from the centroid (exact in one step
     * for straight-edged elements) */
    double xe[3 * FM_TET_MAX_NPE], xi[3] = {0.25, 0.25, 0.25};
    for (int a = 0; a < npe; a++)
      for (int k = 0; k < 3; k++)
        xe[3 * a + k] = m->x[3 * c[a] + k];
    for (int it = 0; it < 20; it++) {
      double N[FM_TET_MAX_NPE], dN[3 * FM_TET_MAX_NPE], x[3] = {0, 0, 0},
                                                        J[3][3] = {{0}};
      fm_tet_shape(npe, xi, N, dN);
      for (int a = 0; a < npe; a++)
        for (int i = 0; i < 3; i++) {
          x[i] += N[a] * xe[3 * a + i];
          for (int j = 0; j < 3; j++)
            J[i][j] += xe[3 * a + i] * dN[3 * a + j];
        }
      double r[3] = {X[0] - x[0], X[1] - x[1], X[2] - x[2]};
      const double det = J[0][0] * (J[1][1] * J[2][2] - J[1][2] * J[2][1]) -
                         J[0][1] * (J[1][0] * J[2][2] - J[1][2] * J[2][0]) +
                         J[0][2] * (J[1][0] * J[2][1] - J[1][1] * J[2][0]);
      if (det == 0.0)
        break;
      /* Cramer's rule */
      double dx[3];
      for (int col = 0; col < 3; col++) {
        double M[3][3];
        memcpy(M, J, sizeof M);
        for (int i = 0; i < 3; i++)
          M[i][col] = r[i];
        dx[col] = (M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                   M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                   M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0])) /
                  det;
      }
      for (int k = 0; k < 3; k++)
        xi[k] += dx[k];
      if (fabs(dx[0]) + fabs(dx[1]) + fabs(dx[2]) < 1e-14)
        break;
    }
    const double L0 = 1.0 - xi[0] - xi[1] - xi[2];
    const double minL = fmin(fmin(L0, xi[0]), fmin(xi[1], xi[2]));
    if (minL > best) {
      best = minL;
      memcpy(bestxi, xi, sizeof bestxi);
      if (minL >= -1e-9)
        found = e;
    }
  }
  if (found < 0)
    return 1;
  *elem = found;
  memcpy(xi_out, bestxi, sizeof bestxi);
  return 0;
}

void fm_post_free(FmPost *post) {
  free(post->copy_node);
  free(post->copy_mat);
  free(post->elem_copy);
  free(post->probe_elem);
  free(post->probe_xi);
  memset(post, 0, sizeof *post);
}

int fm_recover_chunk = 16384;

int fm_recover_fields(const FmModel *md, const FmPost *post, const double *u,
                      double *stress, double *vm, double *princ, double *fint) {
  const FmMesh *m = &md->mesh;
  const int npe = m->npe;
  double *count = fm_calloc((size_t)post->ncopy + 1, sizeof(double));
  const int most = fm_recover_chunk > 0 ? fm_recover_chunk : 1;
  const int chunk = m->nelem < most ? m->nelem : most;
  double *buf = fm_calloc((size_t)chunk * npe * 9 + 1, sizeof(double));
  if (!count || !buf) {
    free(count);
    free(buf);
    return 1;
  }
  memset(stress, 0, 6 * (size_t)post->ncopy * sizeof(double));
  memset(fint, 0, 3 * (size_t)m->nnodes * sizeof(double));
  /* Element loop: stresses at integration points, extrapolated to the
   * element's nodes (element.h), accumulated per copy; internal forces.
   * The element math of a chunk runs on every core, each element into its
   * own part of buf (node a's stress at 6 a, its force at 6 npe + 3 a); the
   * sums then take the elements in order, so the fields have the same bits
   * on any number of threads. */
  for (int e0 = 0; e0 < m->nelem; e0 += chunk) {
    const int n = m->nelem - e0 < chunk ? m->nelem - e0 : chunk;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n > 1024)
#endif
    for (int k = 0; k < n; k++) {
      const int e = e0 + k;
      const int *c = m->conn + (size_t)e * npe;
      const FmMaterial *mat = &md->cs.materials[md->elem_mat[e]];
      double xe[3 * FM_TET_MAX_NPE], ue[3 * FM_TET_MAX_NPE],
          sn[FM_TET_MAX_NPE][6];
      double *o = buf + (size_t)k * npe * 9, *fe = o + 6 * npe;
      for (int a = 0; a < npe; a++)
        for (int i = 0; i < 3; i++) {
          xe[3 * a + i] = m->x[3 * c[a] + i];
          ue[3 * a + i] = u[3 * c[a] + i];
          fe[3 * a + i] = 0.0;
        }
      fm_tet_nodal_stress(npe, xe, ue, mat->E, mat->nu, sn, fe);
      for (int a = 0; a < npe; a++)
        for (int t = 0; t < 6; t++)
          o[6 * a + t] = sn[a][t];
    }
    for (int k = 0; k < n; k++) {
      const int e = e0 + k;
      const int *c = m->conn + (size_t)e * npe;
      const double *o = buf + (size_t)k * npe * 9, *fe = o + 6 * npe;
      for (int a = 0; a < npe; a++)
        for (int i = 0; i < 3; i++)
          fint[3 * c[a] + i] += fe[3 * a + i];
      for (int a = 0; a < npe; a++) {
        const int cp = post->elem_copy[(size_t)e * npe + a];
        for (int t = 0; t < 6; t++)
          stress[6 * (size_t)cp + t] += o[6 * a + t];
        count[cp] += 1.0;
      }
    }
  }
  free(buf);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (post->ncopy > 4096)
#endif
  for (int cp = 0; cp < post->ncopy; cp++) {
    for (int k = 0; k < 6; k++)
      stress[6 * (size_t)cp + k] /= count[cp];
    vm[cp] = fm_von_mises(stress + 6 * (size_t)cp);
    fm_principal(stress + 6 * (size_t)cp, princ + 3 * (size_t)cp);
  }
  free(count);
  return 0;
}

int fm_recover(const FmModel *md, const FmPost *post, double *u,
               const double *f, FmResult *res) {
  return fm_recover_ex(md, post, u, f, res, NULL, NULL);
}

int fm_recover_ex(const FmModel *md, const FmPost *post, double *u,
                  const double *f, FmResult *res, FmFieldsFn fields,
                  void *ctx) {
  const FmMesh *m = &md->mesh;
  const int npe = m->npe, nmat = md->cs.nmaterials;
  memset(res, 0, sizeof *res);
  res->u = u;
  FM_ALLOC(res->stress, 6 * (size_t)post->ncopy);
  FM_ALLOC(res->vm, post->ncopy);
  FM_ALLOC(res->princ, 3 * (size_t)post->ncopy);
  FM_ALLOC(res->groups, nmat);
  FM_ALLOC(res->reaction, md->cs.nconstraints);
  FM_ALLOC(res->probes, md->cs.nprobes);
  double *fint = NULL;
  FM_ALLOC(fint, 3 * (size_t)m->nnodes);
  const int ferr =
      fields ? fields(ctx, md, post, u, res->stress, res->vm, res->princ, fint)
             : fm_recover_fields(md, post, u, res->stress, res->vm, res->princ,
                                 fint);
  if (ferr) {
    free(fint);
    return ferr;
  }

  /* displacement and group summaries */
  for (int i = 0; i < m->nnodes; i++) {
    const double *v = u + 3 * i;
    const double d = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (d > res->max_displacement)
      res->max_displacement = d;
  }
  for (int g = 0; g < nmat; g++) {
    res->groups[g].max_von_mises = -1.0;
    res->groups[g].max_principal = -INFINITY;
    res->groups[g].min_principal = INFINITY;
  }
  for (int cp = 0; cp < post->ncopy; cp++) {
    FmGroupStats *gs = &res->groups[post->copy_mat[cp]];
    if (res->vm[cp] > gs->max_von_mises) {
      gs->max_von_mises = res->vm[cp];
      memcpy(gs->where_von_mises, m->x + 3 * post->copy_node[cp],
             sizeof gs->where_von_mises);
    }
    if (res->princ[3 * cp] > gs->max_principal)
      gs->max_principal = res->princ[3 * cp];
    if (res->princ[3 * cp + 2] < gs->min_principal)
      gs->min_principal = res->princ[3 * cp + 2];
  }

  /* reactions: internal minus external force on prescribed DOFs */
  for (int i = 0; i < 3 * m->nnodes; i++)
    res->applied[i % 3] += f[i];
  double react_abs = 0.0; /* sum of |reaction| over prescribed DOFs */
  for (int k = 0; k < md->ndir; k++) {
    const int d = md->dir_dof[k];
    res->reaction_sum[d % 3] += fint[d] - f[d];
    react_abs += fabs(fint[d] - f[d]);
  }
  /* per constraint: a DOF that several constraints prescribe (a node on
   * the edge between two clamped faces) counts in the first of them, in
   * the case's order, so that the constraints' reactions add up to the
   * total (it counted in each before the seventeenth session) */
  unsigned char *claimed = fm_calloc(3 * (size_t)m->nnodes, 1);
  int ierr = !claimed;
  for (int k = 0; k < md->cs.nconstraints && !ierr; k++) {
    int n = 0, *nodes = NULL;
    ierr = fm_model_constraint_nodes(md, k, &n, &nodes);
    for (int i = 0; i < n && !ierr; i++)
      for (int comp = 0; comp < 3; comp++) {
        const size_t d = 3 * (size_t)nodes[i] + comp;
        if (!(md->cs.constraints[k].mask & (1 << comp)) || claimed[d])
          continue;
        claimed[d] = 1;
        res->reaction[k][comp] += fint[d] - f[d];
      }
    free(nodes);
  }
  free(claimed);
  free(fint);
  if (ierr)
    return ierr;
  double na = 0, ns = 0;
  for (int i = 0; i < 3; i++) {
    na += res->applied[i] * res->applied[i];
    const double s = res->applied[i] + res->reaction_sum[i];
    ns += s * s;
  }
  const double scale = fmax(sqrt(na), react_abs);
  res->imbalance = scale > 0 ? sqrt(ns) / scale : 0.0;

  /* probes: shape-function interpolation of the recovered nodal fields of
   * the containing element's material */
  for (int p = 0; p < md->cs.nprobes; p++) {
    const int e = post->probe_elem[p];
    double N[FM_TET_MAX_NPE];
    fm_tet_shape(npe, post->probe_xi + 3 * p, N, 0);
    FmProbeValue *pv = &res->probes[p];
    for (int a = 0; a < npe; a++) {
      const int node = m->conn[(size_t)e * npe + a];
      const int cp = post->elem_copy[(size_t)e * npe + a];
      for (int i = 0; i < 3; i++)
        pv->displacement[i] += N[a] * u[3 * node + i];
      for (int k = 0; k < 6; k++)
        pv->stress[k] += N[a] * res->stress[6 * (size_t)cp + k];
    }
    pv->von_mises = fm_von_mises(pv->stress);
  }
  return 0;
}

void fm_result_free(FmResult *res) {
  free(res->u);
  free(res->stress);
  free(res->vm);
  free(res->princ);
  free(res->groups);
  free(res->reaction);
  free(res->probes);
  memset(res, 0, sizeof *res);
}
