#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "element.h"
#include "error.h"
#include "linalg.h"

/* The root of node i in the union-find forest parent[] (halving paths). */
static int uf_root(int *parent, int i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

/* The separate parts of the mesh (elements sharing no node with another
 * part): part[e] for every element, 0..nparts-1 in the order of their
 * first elements. */
static int mesh_parts(const FmMesh *m, int *part, int *nparts) {
  int *parent = NULL;
  FM_ALLOC(parent, m->nnodes > 0 ? m->nnodes : 1);
  for (int i = 0; i < m->nnodes; i++)
    parent[i] = i;
  /* the corners join an element (its mid nodes lie between them) */
  for (int e = 0; e < m->nelem; e++) {
    const int *c = m->conn + (size_t)m->npe * e;
    const int r0 = uf_root(parent, c[0]);
    for (int a = 1; a < 4; a++) {
      const int r = uf_root(parent, c[a]);
      if (r != r0)
        parent[r] = r0;
    }
  }
  int *label = fm_calloc(m->nnodes > 0 ? (size_t)m->nnodes : 1, sizeof(int));
  if (!label) {
    free(parent);
    return 1;
  }
  int n = 0;
  for (int e = 0; e < m->nelem; e++) {
    const int r = uf_root(parent, m->conn[(size_t)m->npe * e]);
    if (!label[r])
      label[r] = ++n;
    part[e] = label[r] - 1;
  }
  free(label);
  free(parent);
  *nparts = n;
  return 0;
}

/* The prescribed DOFs must remove all six rigid-body modes of every
 * separate part of the mesh: the Gram matrix of a part's modes restricted
 * to its prescribed DOFs must be non-singular.  (A part that shares no
 * node with the others, an implant meshed apart from its bone, is a body
 * of its own: held only by its own constraints.) */
static int check_rigid(FmModel *md) {
  const FmMesh *m = &md->mesh;
  int *part = NULL, np = 0;
  FM_ALLOC(part, m->nelem > 0 ? m->nelem : 1);
  if (mesh_parts(m, part, &np)) {
    free(part);
    return 1;
  }
  md->nparts = np;
  /* per part: its nodes' box (centre and size, to scale the rotations),
   * its Gram matrix, an element of it */
  int *node_part =
      fm_calloc(m->nnodes > 0 ? (size_t)m->nnodes : 1, sizeof(int));
  double *box = fm_calloc((size_t)np * 6 + 1, sizeof(double));
  double(*G)[6][6] = fm_calloc((size_t)np + 1, sizeof *G);
  int *first = fm_calloc((size_t)np + 1, sizeof(int)),
      *count = fm_calloc((size_t)np + 1, sizeof(int));
  int ierr = !node_part || !box || !G || !first || !count;
  for (int q = 0; q < np && !ierr; q++)
    for (int k = 0; k < 3; k++) {
      box[6 * q + k] = 1e300;
      box[6 * q + 3 + k] = -1e300;
    }
  for (int e = m->nelem - 1; e >= 0 && !ierr; e--) {
    const int q = part[e];
    first[q] = e;
    count[q]++;
    for (int a = 0; a < m->npe; a++) {
      const int i = m->conn[(size_t)m->npe * e + a];
      node_part[i] = q;
      for (int k = 0; k < 3; k++) {
        box[6 * q + k] = fmin(box[6 * q + k], m->x[3 * i + k]);
        box[6 * q + 3 + k] = fmax(box[6 * q + 3 + k], m->x[3 * i + k]);
      }
    }
  }
  for (int d = 0; d < md->ndir && !ierr; d++) {
    const int node = md->dir_dof[d] / 3, comp = md->dir_dof[d] % 3;
    const int q = node_part[node];
    const double *lo = box + 6 * q, *hi = lo + 3;
    double c[3], L = 0.0;
    for (int k = 0; k < 3; k++) {
      c[k] = 0.5 * (lo[k] + hi[k]);
      L = fmax(L, hi[k] - lo[k]);
    }
    if (!(L > 0.0))
      L = 1.0;
    const double x = (m->x[3 * node] - c[0]) / L,
                 y = (m->x[3 * node + 1] - c[1]) / L,
                 z = (m->x[3 * node + 2] - c[2]) / L;
    /* value of each rigid mode at this DOF: translations, rotations about
     * x, y, z (u = omega x r) */
    double r[6] = {0, 0, 0, 0, 0, 0};
    r[comp] = 1.0;
    if (comp == 0) {
      r[4] = z;
      r[5] = -y;
    }
    if (comp == 1) {
      r[3] = -z;
      r[5] = x;
    }
    if (comp == 2) {
      r[3] = y;
      r[4] = -x;
    }
    for (int i = 0; i < 6; i++)
      for (int j = 0; j < 6; j++)
        G[q][i][j] += r[i] * r[j];
  }
  for (int q = 0; q < np && !ierr; q++) {
    double ev[6];
    fm_sym_eigen(6, &G[q][0][0], ev, NULL);
    double emax = 0.0;
    int nfree = 0;
    for (int i = 0; i < 6; i++)
      if (ev[i] > emax)
        emax = ev[i];
    for (int i = 0; i < 6; i++)
      if (ev[i] <= 1e-10 * (emax > 0 ? emax : 1.0))
        nfree++;
    if (nfree == 0)
      continue;
    if (np == 1) {
      ierr = fm_error("%s: constraints: the model is not constrained against "
                      "rigid motion (%d of 6 rigid-body modes are free); fix "
                      "more components or groups",
                      md->cs.path, nfree);
    } else {
      const double *lo = box + 6 * q, *hi = lo + 3;
      const int e = first[q];
      ierr = fm_error(
          "%s: constraints: the mesh is %d separate parts (they share no "
          "nodes), and part %d (%d elements of material '%s', within (%g, %g, "
          "%g)-(%g, %g, %g)) is not constrained against rigid motion (%d of "
          "6 rigid-body modes are free): mesh touching volumes so that they "
          "share their interface (Gmsh: BooleanFragments), or constrain the "
          "part",
          md->cs.path, np, q + 1, count[q],
          md->cs.materials[md->elem_mat[e]].group, lo[0], lo[1], lo[2], hi[0],
          hi[1], hi[2], nfree);
    }
  }
  free(part);
  free(node_part);
  free(box);
  free(G);
  free(first);
  free(count);
  return ierr;
}

static int collect_constraints(FmModel *md) {
  const FmMesh *m = &md->mesh;
  const FmCase *cs = &md->cs;
  /* per DOF: prescribed value, and which constraint set it (for conflicts) */
  int *owner = NULL;
  double *val = NULL;
  FM_ALLOC(owner, 3 * (size_t)m->nnodes);
  val = fm_calloc(3 * (size_t)m->nnodes, sizeof *val);
  if (!val) {
    free(owner);
    return 1;
  }
  int ierr = 0;
  for (int k = 0; k < cs->nconstraints && !ierr; k++) {
    const FmConstraint *con = &cs->constraints[k];
    int n = 0, *nodes = NULL;
    ierr = fm_model_constraint_nodes(md, k, &n, &nodes);
    if (ierr)
      break;
    if (n == 0)
      ierr = fm_error("%s: constraints[%d]: group '%s' has no nodes in %s",
                      cs->path, k, con->group, md->mesh_path);
    for (int i = 0; i < n && !ierr; i++)
      for (int comp = 0; comp < 3; comp++) {
        if (!(con->mask & (1 << comp)))
          continue;
        const int dof = 3 * nodes[i] + comp;
        if (owner[dof] && val[dof] != con->value[comp]) {
          ierr = fm_error(
              "%s: constraints[%d]: group '%s' prescribes %c = %g at node %ld "
              "where constraints[%d] already prescribes %g",
              cs->path, k, con->group, "xyz"[comp], con -> value[comp],
              m -> node_tag ? m -> node_tag[nodes[i]] : (long)nodes[i] + 1,
              owner[dof] - 1, val[dof]);
          break;
        }
        owner[dof] = k + 1;
        val[dof] = con->value[comp];
      }
    free(nodes);
  }
  if (!ierr) {
    int nd = 0;
    for (int d = 0; d < 3 * m->nnodes; d++)
      nd += owner[d] != 0;
    md->ndir = nd;
    md->dir_dof = fm_calloc(nd, sizeof(int));
    md->dir_val = fm_calloc(nd, sizeof(double));
    if (!md->dir_dof || !md->dir_val)
      ierr = 1;
    for (int d = 0, j = 0; d < 3 * m->nnodes && !ierr; d++)
      if (owner[d]) {
        md->dir_dof[j] = d;
        md->dir_val[j++] = val[d];
      }
  }
  free(owner);
  free(val);
  return ierr;
}

int fm_model_constraint_nodes(const FmModel *md, int k, int *n, int **nodes) {
  int ng = 0;
  FM_CALL(fm_mesh_named_nodes(&md->mesh, md->cs.constraints[k].group, 0, 2, &ng,
                              n, nodes));
  if (ng == 0)
    return fm_error("%s: constraints[%d].group: no physical group named '%s' "
                    "in %s",
                    md->cs.path, k, md->cs.constraints[k].group, md->mesh_path);
  return 0;
}

int fm_model_build(FmModel *md, const char *msh_path) {
  snprintf(md->mesh_path, sizeof md->mesh_path, "%s", msh_path);
  FM_CALL(fm_mesh_read_msh(msh_path, &md->mesh));
  FM_CALL(fm_mesh_set_order(&md->mesh, md->cs.order));
  /* the default preconditioner by element order: for TET10 the
   * p-multigrid over the matrix-free stiffness (on the default model 3x
   * faster end to end than the assembled multigrid on the host, a quarter
   * of its memory, 0.49 against 2.48 KB/DOF on the GPU where the target is
   * 1.2: docs/gpu.md "p-multigrid"); for TET4 the smoothed aggregation on
   * the assembled stiffness (the p-multigrid needs TET10) */
  if (!md->cs.pc[0])
    snprintf(md->cs.pc, sizeof md->cs.pc, "%s",
             md->mesh.npe == 10 ? "pmg" : "amg");
  if (!strcmp(md->cs.pc, "pmg") && md->mesh.npe != 10)
    return fm_error("%s: solver.preconditioner: pmg needs TET10 elements "
                    "(the mesh has TET4; use amg, or mesh.order: 2)",
                    md->cs.path);
  FM_CALL(fm_mesh_check(&md->mesh));
  FM_ALLOC(md->elem_mat, md->mesh.nelem);
  FM_CALL(fm_case_check_mesh(&md->cs, &md->mesh, md->elem_mat));
  FM_CALL(collect_constraints(md));
  FM_CALL(check_rigid(md));
  return 0;
}

/* ---- loads ---- */

typedef struct {
  int key[3]; /* sorted corner nodes */
  int tri;    /* triangle index within the group list */
} FaceKey;

static int cmp_face(const void *a, const void *b) {
  const FaceKey *x = a, *y = b;
  for (int i = 0; i < 3; i++)
    if (x->key[i] != y->key[i])
      return x->key[i] < y->key[i] ? -1 : 1;
  return 0;
}

static void sort3(int k[3]) {
  int t;
  if (k[0] > k[1]) {
    t = k[0];
    k[0] = k[1];
    k[1] = t;
  }
  if (k[1] > k[2]) {
    t = k[1];
    k[1] = k[2];
    k[2] = t;
  }
  if (k[0] > k[1]) {
    t = k[0];
    k[0] = k[1];
    k[1] = t;
  }
}

/* sign[t] = +1 when the node order of triangle t gives the outward normal
 * of the tetrahedron it bounds, -1 otherwise (0: no tetrahedron found; 2:
 * two, on either side: an interface or an interior surface). */
static int face_orientation(const FmMesh *m, int ntri, const int *conn, int npf,
                            signed char *sign) {
  FaceKey *keys = NULL;
  FM_ALLOC(keys, ntri);
  for (int t = 0; t < ntri; t++) {
    for (int i = 0; i < 3; i++)
      keys[t].key[i] = conn[npf * t + i];
    sort3(keys[t].key);
    keys[t].tri = t;
    sign[t] = 0;
  }
  qsort(keys, ntri, sizeof *keys, cmp_face);
  static const int tf[4][3] = {{1, 2, 3}, {0, 2, 3}, {0, 1, 3}, {0, 1, 2}};
  for (int e = 0; e < m->nelem; e++) {
    const int *c = m->conn + (size_t)m->npe * e;
    for (int f = 0; f < 4; f++) {
      FaceKey k;
      for (int i = 0; i < 3; i++)
        k.key[i] = c[tf[f][i]];
      sort3(k.key);
      FaceKey *hit = bsearch(&k, keys, ntri, sizeof *keys, cmp_face);
      if (!hit)
        continue;
      /* duplicates of the same face (interface): walk to the first */
      while (hit > keys && cmp_face(hit - 1, &k) == 0)
        hit--;
      for (; hit < keys + ntri && cmp_face(hit, &k) == 0; hit++) {
        const int t = hit->tri;
        if (sign[t]) { /* a second tetrahedron: no outside */
          sign[t] = 2;
          continue;
        }
        const double *x0 = m->x + 3 * conn[npf * t],
                     *x1 = m->x + 3 * conn[npf * t + 1],
                     *x2 = m->x + 3 * conn[npf * t + 2], *xo = m->x + 3 * c[f];
        double a[3], b[3], n[3], d = 0.0;
        for (int i = 0; i < 3; i++) {
          a[i] = x1[i] - x0[i];
          b[i] = x2[i] - x0[i];
        }
        n[0] = a[1] * b[2] - a[2] * b[1];
        n[1] = a[2] * b[0] - a[0] * b[2];
        n[2] = a[0] * b[1] - a[1] * b[0];
        for (int i = 0; i < 3; i++)
          d += n[i] * (xo[i] - x0[i]);
        /* the opposite vertex lies inside: outward normal points away */
        sign[t] = d < 0 ? 1 : -1;
      }
    }
  }
  free(keys);
  return 0;
}

static int surface_load(const FmModel *md, int lc, int l, double *f) {
  const FmMesh *m = &md->mesh;
  const FmLoad *ld = &md->cs.load_cases[lc].loads[l];
  int ntri = 0, *conn = NULL, ng = 0;
  FM_CALL(fm_mesh_named_tris(m, ld->group, &ng, &ntri, &conn));
  if (ng == 0)
    return fm_error("%s: load_cases[%d].loads[%d].group: no surface group "
                    "named '%s' in %s",
                    md->cs.path, lc, l, ld->group, md->mesh_path);
  const int npf = m->tris.npe;
  if (ntri == 0) {
    free(conn);
    return fm_error("%s: load_cases[%d].loads[%d].group: surface group '%s' "
                    "has no triangles in %s",
                    md->cs.path, lc, l, ld->group, md->mesh_path);
  }
  double xe[18], fe[18], t[3] = {0, 0, 0}, p = 0.0;
  signed char *sign = NULL;
  int ierr = 0;
  if (ld->kind == FM_LOAD_TOTAL_FORCE) {
    double A = 0.0;
    for (int k = 0; k < ntri; k++) {
      for (int a = 0; a < npf; a++)
        for (int i = 0; i < 3; i++)
          xe[3 * a + i] = m->x[3 * conn[npf * k + a] + i];
      A += fm_tri_area(npf, xe);
    }
    if (!(A > 0.0)) {
      free(conn);
      return fm_error("%s: load_cases[%d].loads[%d].group: surface group '%s' "
                      "has zero area",
                      md->cs.path, lc, l, ld->group);
    }
    for (int i = 0; i < 3; i++)
      t[i] = ld->v[i] / A;
  } else if (ld->kind == FM_LOAD_TRACTION) {
    for (int i = 0; i < 3; i++)
      t[i] = ld->v[i];
  } else {
    p = ld->v[0];
    sign = fm_calloc(ntri, 1);
    if (!sign) {
      free(conn);
      return 1;
    }
    ierr = face_orientation(m, ntri, conn, npf, sign);
  }
  for (int k = 0; k < ntri && !ierr; k++) {
    for (int a = 0; a < npf; a++)
      for (int i = 0; i < 3; i++)
        xe[3 * a + i] = m->x[3 * conn[npf * k + a] + i];
    double pk = p;
    if (sign) {
      if (!sign[k]) {
        ierr = fm_error("%s: load_cases[%d].loads[%d].group: a triangle of "
                        "'%s' is not a face of any tetrahedron in %s",
                        md->cs.path, lc, l, ld->group, md->mesh_path);
        break;
      }
      if (sign[k] == 2) {
        double c[3] = {0, 0, 0};
        for (int a = 0; a < 3; a++)
          for (int i = 0; i < 3; i++)
            c[i] += xe[3 * a + i] / 3;
        ierr = fm_error(
            "%s: load_cases[%d].loads[%d].pressure: the face of '%s' at "
            "(%g, %g, %g) lies between two elements (an interface), so the "
            "side a pressure pushes is not defined; give a traction vector",
            md->cs.path, lc, l, ld->group, c[0], c[1], c[2]);
        break;
      }
      pk = p * sign[k];
    }
    fm_tri_load(npf, xe, t, pk, fe);
    for (int a = 0; a < npf; a++)
      for (int i = 0; i < 3; i++)
        f[3 * conn[npf * k + a] + i] += fe[3 * a + i];
  }
  free(sign);
  free(conn);
  return ierr;
}

int fm_model_load_vector(const FmModel *md, int lc, double *f) {
  const FmMesh *m = &md->mesh;
  const FmLoadCase *L = &md->cs.load_cases[lc];
  memset(f, 0, sizeof(double) * 3 * (size_t)m->nnodes);
  for (int l = 0; l < L->nloads; l++) {
    if (L->loads[l].kind != FM_LOAD_BODY_FORCE) {
      FM_CALL(surface_load(md, lc, l, f));
      continue;
    }
    double xe[3 * FM_TET_MAX_NPE], fe[3 * FM_TET_MAX_NPE];
    int only = -1; /* a material's elements alone */
    for (int k = 0; L->loads[l].group[0] && k < md->cs.nmaterials; k++)
      if (!strcmp(md->cs.materials[k].group, L->loads[l].group))
        only = k;
    if (L->loads[l].group[0] && only < 0)
      return fm_error("%s: load_cases[%d].loads[%d].group: no material "
                      "named '%s'",
                      md->cs.path, lc, l, L->loads[l].group);
    for (int e = 0; e < m->nelem; e++) {
      if (only >= 0 && md->elem_mat[e] != only)
        continue;
      const int *c = m->conn + (size_t)m->npe * e;
      for (int a = 0; a < m->npe; a++)
        for (int i = 0; i < 3; i++)
          xe[3 * a + i] = m->x[3 * c[a] + i];
      fm_tet_body_load(m->npe, xe, L->loads[l].v, fe);
      for (int a = 0; a < m->npe; a++)
        for (int i = 0; i < 3; i++)
          f[3 * c[a] + i] += fe[3 * a + i];
    }
  }
  return 0;
}

void fm_model_free(FmModel *md) {
  fm_case_free(&md->cs);
  fm_mesh_free(&md->mesh);
  free(md->elem_mat);
  free(md->dir_dof);
  free(md->dir_val);
  memset(md, 0, sizeof *md);
}
