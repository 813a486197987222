/* Element math for Femora, written once for the CPU and the GPU.
 *
 * Everything here is a static inline function marked FM_HD, which means
 * __host__ __device__ under nvcc and nothing under a C compiler.  No libc
 * beyond math.h; data are plain arrays so that the same indexing serves a CPU
 * loop and one GPU thread.
 *
 * Conventions
 *  - Tetrahedra in natural coordinates (r, s, t): L0 = 1-r-s-t, L1 = r,
 *    L2 = s, L3 = t.  Node order is Gmsh's (see mesh.h).
 *  - Element DOFs interleaved: dof 3*a + i is component i of node a.
 *  - Voigt order for strain and stress: xx, yy, zz, xy, yz, xz; strains use
 *    engineering shear (gamma = 2 eps).
 *  - Quadrature: TET4 one point (exact for its constant B); TET10 the
 *    4-point rule of degree 2 (exact stiffness for straight-edged TET10,
 *    exact consistent body force); triangles the 6-point degree-4 rule of
 *    Dunavant (1985, IJNME 21:1129), exact consistent loads on TRI6 faces
 *    with straight edges.
 */
#ifndef FEMORA_ELEMENT_H
#define FEMORA_ELEMENT_H

#include <math.h>
#include <stddef.h>

#ifdef __CUDACC__
#define FM_HD __host__ __device__ static inline
#else
#define FM_HD static inline
#endif

/* A loop to unroll whole (a constant trip count, its body indexing local
 * arrays by the counter: else on the GPU they live in local memory, and
 * constant tables are not folded): nvcc's pragma in device code (none in
 * its host pass), GCC's (which clang reads too) in host code and under the
 * CUDA simulator */
#if defined(__CUDA_ARCH__) && !defined(FEMORA_CUDA_SIM)
#define FM_UNROLL _Pragma("unroll")
#elif defined(__CUDACC__) && !defined(FEMORA_CUDA_SIM)
#define FM_UNROLL /* nvcc's host pass */
#elif defined(__GNUC__)
#define FM_UNROLL _Pragma("GCC unroll 16")
#else
#define FM_UNROLL
#endif

#define FM_TET_MAX_NPE 10
#define FM_TET_MAX_QP 4
#define FM_TRI_QP 6

/* Mid-edge node k (4..9) of a TET10 lies between corners fm_tet10_edge[k-4]. */
#define FM_TET10_EDGES                                                         \
  {                                                                            \
    {0, 1}, {1, 2}, {2, 0}, {3, 0}, {3, 2}, {                                  \
      3, 1                                                                     \
    }                                                                          \
  }
#define FM_TRI6_EDGES                                                          \
  {                                                                            \
    {0, 1}, {1, 2}, {                                                          \
      2, 0                                                                     \
    }                                                                          \
  }

/* The 4-point rule of degree 2 on a tetrahedron: point q at barycentric
 * coordinate A at corner q and B at the others, (5 + 3 sqrt 5) / 20 and
 * (5 - sqrt 5) / 20, weights 1/24 */
#define FM_TET4P_A 0.5854101966249685
#define FM_TET4P_B 0.1381966011250105

/* Number of quadrature points for an element with npe nodes. */
FM_HD int fm_tet_nqp(int npe) {
  return npe == 4 ? 1 : 4;
}

/* Quadrature point q (natural coordinates) and weight (reference volume 1/6).
 */
FM_HD void fm_tet_qp(int npe, int q, double xi[3], double *w) {
  if (npe == 4) {
    xi[0] = xi[1] = xi[2] = 0.25;
    *w = 1.0 / 6.0;
    return;
  }
  const double a = FM_TET4P_A, b = FM_TET4P_B;
  /* point q has barycentric coordinate a at corner q, b elsewhere */
  const double L[4] = {q == 0 ? a : b, q == 1 ? a : b, q == 2 ? a : b,
                       q == 3 ? a : b};
  xi[0] = L[1];
  xi[1] = L[2];
  xi[2] = L[3];
  *w = 1.0 / 24.0;
}

/* Shape functions N[npe] and their natural derivatives dN[npe][3]. */
FM_HD void fm_tet_shape(int npe, const double xi[3], double *N, double *dN) {
  const double L[4] = {1.0 - xi[0] - xi[1] - xi[2], xi[0], xi[1], xi[2]};
  /* dL_i / d(r,s,t) */
  const double dL[4][3] = {{-1, -1, -1}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  if (npe == 4) {
    for (int a = 0; a < 4; a++) {
      if (N)
        N[a] = L[a];
      if (dN)
        for (int j = 0; j < 3; j++)
          dN[3 * a + j] = dL[a][j];
    }
    return;
  }
  const int E[6][2] = FM_TET10_EDGES;
  for (int a = 0; a < 4; a++) {
    if (N)
      N[a] = L[a] * (2.0 * L[a] - 1.0);
    if (dN)
      for (int j = 0; j < 3; j++)
        dN[3 * a + j] = (4.0 * L[a] - 1.0) * dL[a][j];
  }
  for (int k = 0; k < 6; k++) {
    const int i = E[k][0], m = E[k][1];
    if (N)
      N[4 + k] = 4.0 * L[i] * L[m];
    if (dN)
      for (int j = 0; j < 3; j++)
        dN[3 * (4 + k) + j] = 4.0 * (dL[i][j] * L[m] + L[i] * dL[m][j]);
  }
}

/* The determinant of the 3x3 matrix M (row-major), by its first row's
 * cofactors. */
FM_HD double fm_det3(const double *M) {
  return M[0] * (M[4] * M[8] - M[5] * M[7]) +
         M[1] * (M[5] * M[6] - M[3] * M[8]) +
         M[2] * (M[3] * M[7] - M[4] * M[6]);
}

/* The determinant of the 3x3 matrix M (row-major; fm_det3's value) and its
 * inverse into Mi (not finite where the determinant is 0). */
FM_HD double fm_det_inv3(const double *M, double *Mi) {
  const double c0 = M[4] * M[8] - M[5] * M[7], c1 = M[5] * M[6] - M[3] * M[8],
               c2 = M[3] * M[7] - M[4] * M[6];
  const double det = fm_det3(M);
  const double id = 1.0 / det;
  Mi[0] = c0 * id;
  Mi[1] = (M[2] * M[7] - M[1] * M[8]) * id;
  Mi[2] = (M[1] * M[5] - M[2] * M[4]) * id;
  Mi[3] = c1 * id;
  Mi[4] = (M[0] * M[8] - M[2] * M[6]) * id;
  Mi[5] = (M[2] * M[3] - M[0] * M[5]) * id;
  Mi[6] = c2 * id;
  Mi[7] = (M[1] * M[6] - M[0] * M[7]) * id;
  Mi[8] = (M[0] * M[4] - M[1] * M[3]) * id;
  return det;
}

/* Jacobian J = dx/dxi from coordinates xe[npe][3]; returns det J and fills
 * dNdx[npe][3] with the physical derivatives (when det J != 0; dNdx NULL:
 * the determinant alone). */
FM_HD double fm_tet_gradients(int npe, const double *xe, const double *dN,
                              double *dNdx) {
  double J[3][3] = {{0}};
  for (int a = 0; a < npe; a++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        J[i][j] += xe[3 * a + i] * dN[3 * a + j];
  if (!dNdx)
    return fm_det3(&J[0][0]);
  double Ji[3][3];
  const double det = fm_det_inv3(&J[0][0], &Ji[0][0]);
  if (det == 0.0)
    return det;
  /* dN/dx_k = sum_j dN/dxi_j * dxi_j/dx_k = dN/dxi_j * Ji[j][k] */
  for (int a = 0; a < npe; a++)
    for (int k = 0; k < 3; k++)
      dNdx[3 * a + k] = dN[3 * a + 0] * Ji[0][k] + dN[3 * a + 1] * Ji[1][k] +
                        dN[3 * a + 2] * Ji[2][k];
  return det;
}

/* At quadrature point q: the physical gradients G[npe][3] and w det J
 * (*wdet); returns det J (<= 0: G invalid). */
FM_HD double fm_tet_qp_gradients(int npe, const double *xe, int q, double *G,
                                 double *wdet) {
  double xi[3], w, dN[3 * FM_TET_MAX_NPE];
  fm_tet_qp(npe, q, xi, &w);
  fm_tet_shape(npe, xi, 0, dN);
  const double det = fm_tet_gradients(npe, xe, dN, G);
  *wdet = w * det;
  return det;
}

/* Lame constants from Young's modulus and Poisson's ratio. */
FM_HD void fm_lame(double E, double nu, double *lambda, double *mu) {
  *lambda = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu));
  *mu = E / (2.0 * (1.0 + nu));
}

/* Rows of nodes a0 <= a < a1 of the element stiffness (any element; the
 * TET4's, and the reference of fm_tet10_stiffness_rows_at in t101) of an
 * isotropic linear elastic tetrahedron into K (row-major, 3 (a1 - a0) rows of
 * 3npe, interleaved DOFs: K[(3 (a - a0) + i) 3npe + 3b + j] = Ke[3a + i][3b +
 * j]): K_ab,ij = sum_q w det (lambda Ga_i Gb_j + mu Ga_j Gb_i
 *                        + mu delta_ij (Ga . Gb)).
 * Each entry is summed the same way whatever a0 and a1.  Returns the
 * smallest det J over the quadrature points (<= 0 means inverted or
 * degenerate; K then invalid). */
FM_HD double fm_tet_stiffness_rows_generic(int npe, const double *xe, double E,
                                           double nu, int a0, int a1,
                                           double *K) {
  double lambda, mu;
  fm_lame(E, nu, &lambda, &mu);
  const int n = 3 * npe;
  for (int i = 0; i < 3 * (a1 - a0) * n; i++)
    K[i] = 0.0;
  double mindet = 1e300;
  double G[3 * FM_TET_MAX_NPE];
  for (int q = 0; q < fm_tet_nqp(npe); q++) {
    double f;
    const double det = fm_tet_qp_gradients(npe, xe, q, G, &f);
    if (det < mindet)
      mindet = det;
    if (det <= 0.0)
      return det;
    for (int a = a0; a < a1; a++)
      for (int b = 0; b < npe; b++) {
        const double *Ga = G + 3 * a, *Gb = G + 3 * b;
        const double dot = Ga[0] * Gb[0] + Ga[1] * Gb[1] + Ga[2] * Gb[2];
        for (int i = 0; i < 3; i++)
          for (int j = 0; j < 3; j++) {
            double v = lambda * Ga[i] * Gb[j] + mu * Ga[j] * Gb[i];
            if (i == j)
              v += mu * dot;
            K[(3 * (a - a0) + i) * n + 3 * b + j] += f * v;
          }
      }
  }
  return mindet;
}

/* Strain (Voigt, engineering shear) from physical gradients and element
 * displacements ue[3npe]. */
FM_HD void fm_strain(int npe, const double *dNdx, const double *ue,
                     double eps[6]) {
  double g[3][3] = {{0}}; /* g[i][j] = du_i/dx_j */
  for (int a = 0; a < npe; a++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        g[i][j] += ue[3 * a + i] * dNdx[3 * a + j];
  eps[0] = g[0][0];
  eps[1] = g[1][1];
  eps[2] = g[2][2];
  eps[3] = g[0][1] + g[1][0];
  eps[4] = g[1][2] + g[2][1];
  eps[5] = g[0][2] + g[2][0];
}

/* Isotropic Hooke's law: sigma = D eps (Voigt). */
FM_HD void fm_hooke(double E, double nu, const double eps[6], double sig[6]) {
  double lambda, mu;
  fm_lame(E, nu, &lambda, &mu);
  const double tr = eps[0] + eps[1] + eps[2];
  for (int i = 0; i < 3; i++)
    sig[i] = lambda * tr + 2.0 * mu * eps[i];
  for (int i = 3; i < 6; i++)
    sig[i] = mu * eps[i];
}

/* Internal force contribution fe[3npe] += B^T sigma w det at one point. */
FM_HD void fm_add_internal_force(int npe, const double *dNdx,
                                 const double sig[6], double wdet, double *fe) {
  for (int a = 0; a < npe; a++) {
    const double *g = dNdx + 3 * a;
    fe[3 * a + 0] += wdet * (sig[0] * g[0] + sig[3] * g[1] + sig[5] * g[2]);
    fe[3 * a + 1] += wdet * (sig[3] * g[0] + sig[1] * g[1] + sig[4] * g[2]);
    fe[3 * a + 2] += wdet * (sig[5] * g[0] + sig[4] * g[1] + sig[2] * g[2]);
  }
}

/* fe = Ke ue by B^T D B ue at every quadrature point: any element (the
 * TET4 action; fm_tet10_apply_at's reference in t101).  fe is
 * overwritten.
 * Returns the smallest det J (<= 0: inverted or degenerate, fe invalid). */
FM_HD double fm_tet_apply_generic(int npe, const double *xe, double E,
                                  double nu, const double *ue, double *fe) {
  double mindet = 1e300;
  for (int i = 0; i < 3 * npe; i++)
    fe[i] = 0.0;
  for (int q = 0; q < fm_tet_nqp(npe); q++) {
    double G[3 * FM_TET_MAX_NPE], eps[6], sig[6], wdet;
    const double det = fm_tet_qp_gradients(npe, xe, q, G, &wdet);
    if (det < mindet)
      mindet = det;
    if (det <= 0.0)
      return det;
    fm_strain(npe, G, ue, eps);
    fm_hooke(E, nu, eps, sig);
    fm_add_internal_force(npe, G, sig, wdet, fe);
  }
  return mindet;
}

/* G[q][3 i + k] = d v_i / d xi_k at TET10 quadrature point q for the
 * nodal field v (3 per node, node a's at v + 3 c[a]; 0 where mask is set
 * for that DOF, mask may be NULL), the shape derivatives dN[q] at the
 * points (constants once unrolled; their zeros skipped). */
FM_HD void fm_tet10_natural_gradients(const double dN[4][30], const double *v,
                                      const int *c, const unsigned char *mask,
                                      double G[4][9]) {
  FM_UNROLL
  for (int q = 0; q < 4; q++)
    FM_UNROLL
  for (int t = 0; t < 9; t++)
    G[q][t] = 0.0;
  FM_UNROLL
  for (int a = 0; a < 10; a++) {
    const size_t d = 3 * (size_t)c[a];
    double va[3];
    FM_UNROLL
    for (int i = 0; i < 3; i++)
      va[i] = mask && mask[d + i] ? 0.0 : v[d + i];
    FM_UNROLL
    for (int q = 0; q < 4; q++)
      FM_UNROLL
    for (int k = 0; k < 3; k++)
      if (dN[q][3 * a + k] != 0.0)
        FM_UNROLL
    for (int i = 0; i < 3; i++)
      G[q][3 * i + k] += va[i] * dN[q][3 * a + k];
  }
}

/* The TET10 shape derivatives at the four points of its rule, dN[q][30]
 * (fm_tet_qp, fm_tet_shape): constants once the callers' loops are
 * unrolled, so the functions below skip their zeros at compile time. */
FM_HD void fm_tet10_qp_derivatives(double dN[4][30]) {
  FM_UNROLL
  for (int q = 0; q < 4; q++) {
    double xi[3], w;
    fm_tet_qp(10, q, xi, &w);
    fm_tet_shape(10, xi, 0, dN[q]);
  }
}

/* A TET10's geometry at the four points, its node a's coordinates at
 * x + 3 c[a]: Ji[q][3 k + j] = dxi_k/dx_j and wd[q] = w det J.  Returns the
 * smallest det J (<= 0: inverted or degenerate, Ji and wd invalid). */
FM_HD double fm_tet10_geometry_at(const double dN[4][30], const double *x,
                                  const int *c, double Ji[4][9], double wd[4]) {
  double J[4][9], mindet = 1e300;
  fm_tet10_natural_gradients(dN, x, c, 0, J); /* dx_i/dxi_k */
  FM_UNROLL
  for (int q = 0; q < 4; q++) {
    const double det = fm_det_inv3(J[q], Ji[q]);
    if (det < mindet)
      mindet = det;
    wd[q] = det / 24.0;
  }
  return mindet;
}

/* Node a's physical gradients at the four points, Ga[q][j] = dN_a/dx_j
 * (dN_a/dxi_k Ji[q][3 k + j], the zeros of dN skipped).  a may be known at
 * run time only: it is selected by an unrolled comparison, so that dN
 * stays constants and nothing is indexed in local memory. */
FM_HD void fm_tet10_node_gradients(const double dN[4][30],
                                   const double Ji[4][9], int a,
                                   double Ga[4][3]) {
  FM_UNROLL
  for (int q = 0; q < 4; q++)
    Ga[q][0] = Ga[q][1] = Ga[q][2] = 0.0; /* a out of range: zeros */
  FM_UNROLL
  for (int b = 0; b < 10; b++)
    if (b == a)
      FM_UNROLL
  for (int q = 0; q < 4; q++)
    FM_UNROLL
  for (int j = 0; j < 3; j++) {
    double g = 0.0;
    FM_UNROLL
    for (int k = 0; k < 3; k++)
      if (dN[q][3 * b + k] != 0.0)
        g += dN[q][3 * b + k] * Ji[q][3 * k + j];
    Ga[q][j] = g;
  }
}

/* A TET10's stresses at the four points from the nodal displacements u (3
 * per node at u + 3 c[a]; 0 where fixed is set, fixed may be NULL): S[q][3
 * i + k] = w det sum_j sigma_ij dxi_k/dx_j, and where sig is not NULL the
 * stresses themselves, Voigt (xx, yy, zz, xy, yz, xz) as fm_hooke. */
FM_HD void fm_tet10_stresses_at(const double dN[4][30], const double Ji[4][9],
                                const double wd[4], const double *u,
                                const int *c, const unsigned char *fixed,
                                double E, double nu, double S[4][9],
                                double sig[4][6]) {
  double lambda, mu;
  fm_lame(E, nu, &lambda, &mu);
  double H[4][9]; /* du_i/dxi_k */
  fm_tet10_natural_gradients(dN, u, c, fixed, H);
  FM_UNROLL
  for (int q = 0; q < 4; q++) {
    double g[9], sg[9]; /* du_i/dx_j, sigma */
    FM_UNROLL
    for (int i = 0; i < 3; i++)
      FM_UNROLL
    for (int j = 0; j < 3; j++)
      g[3 * i + j] = H[q][3 * i] * Ji[q][j] + H[q][3 * i + 1] * Ji[q][3 + j] +
                     H[q][3 * i + 2] * Ji[q][6 + j];
    const double tr = g[0] + g[4] + g[8];
    FM_UNROLL
    for (int i = 0; i < 3; i++)
      FM_UNROLL
    for (int j = 0; j < 3; j++)
      sg[3 * i + j] =
          mu * (g[3 * i + j] + g[3 * j + i]) + (i == j ? lambda * tr : 0.0);
    if (sig) {
      sig[q][0] = sg[0];
      sig[q][1] = sg[4];
      sig[q][2] = sg[8];
      sig[q][3] = sg[1];
      sig[q][4] = sg[5];
      sig[q][5] = sg[2];
    }
    FM_UNROLL
    for (int i = 0; i < 3; i++)
      FM_UNROLL
    for (int k = 0; k < 3; k++)
      S[q][3 * i + k] =
          wd[q] * (sg[3 * i] * Ji[q][3 * k] + sg[3 * i + 1] * Ji[q][3 * k + 1] +
                   sg[3 * i + 2] * Ji[q][3 * k + 2]);
  }
}

/* Node a's force, f_i = sum_q S[q][3 i + k] dN_a/dxi_k(q) (a known at
 * compile time once unrolled: the zeros of dN skipped). */
FM_HD void fm_tet10_node_force(const double dN[4][30], const double S[4][9],
                               int a, double f[3]) {
  f[0] = f[1] = f[2] = 0.0;
  FM_UNROLL
  for (int q = 0; q < 4; q++)
    FM_UNROLL
  for (int k = 0; k < 3; k++)
    if (dN[q][3 * a + k] != 0.0)
      FM_UNROLL
  for (int i = 0; i < 3; i++)
    f[i] += S[q][3 * i + k] * dN[q][3 * a + k];
}

/* Node a's stress from the four points' (fm_tet_nodal_stress's
 * extrapolation: the linear field through the points at the corners,
 * (sig_a - B sum sig) / (A - B); a mid-edge node the mean of its two
 * corners). */
FM_HD void fm_tet10_node_stress(const double sig[4][6], int a, double s[6]) {
  const int edges[6][2] = FM_TET10_EDGES;
  const double qa = FM_TET4P_A, qb = FM_TET4P_B;
  FM_UNROLL
  for (int k = 0; k < 6; k++) {
    const double sum = sig[0][k] + sig[1][k] + sig[2][k] + sig[3][k];
    if (a < 4) {
      s[k] = (sig[a][k] - qb * sum) / (qa - qb);
    } else {
      const int i = edges[a - 4][0], j = edges[a - 4][1];
      s[k] = 0.5 * ((sig[i][k] - qb * sum) / (qa - qb) +
                    (sig[j][k] - qb * sum) / (qa - qb));
    }
  }
}

/* fe = Ke ue for a TET10 read where its data lie: node a's coordinates
 * x[3 c[a] + i] and displacements u[3 c[a] + i] (0 where fixed[3 c[a] + i]
 * is set; fixed may be NULL); the same 4-point rule as fm_tet_stiffness,
 * so the two agree to round-off (t101).  The matrix-free operator's
 * element action on the host and the GPU.
 *
 * No element arrays: the shape derivatives at the four points are
 * constants (folded by the compiler once the loops are unrolled, their
 * zeros skipped), the four Jacobians and displacement gradients are
 * accumulated node by node, and node a's force sum_q S_q dN_a(q), S_q =
 * w det sigma J^-T, is written as soon as it is summed.  Live state about
 * 80 doubles against 150 for fm_tet_apply_generic (GPU: no spills, nvcc
 * 13, sm_90), and half the operations (docs/performance.md).
 * Returns the smallest det J (<= 0: inverted or degenerate, fe not
 * written). */
FM_HD double fm_tet10_apply_at(const double *x, const int *c, const double *u,
                               const unsigned char *fixed, double E, double nu,
                               double *fe) {
  double dN[4][30], Ji[4][9], wd[4], S[4][9];
  fm_tet10_qp_derivatives(dN);
  const double mindet = fm_tet10_geometry_at(dN, x, c, Ji, wd);
  if (!(mindet > 0.0))
    return mindet;
  fm_tet10_stresses_at(dN, Ji, wd, u, c, fixed, E, nu, S, 0);
  FM_UNROLL
  for (int a = 0; a < 10; a++)
    fm_tet10_node_force(dN, S, a, fe + 3 * a);
  return mindet;
}

/* A TET10's stresses at its nodes sn[a] and its internal forces, added to
 * fe, from the displacements u, read where the data lie (as
 * fm_tet10_apply_at): fm_tet_nodal_stress for TET10 (recover.c).  Returns
 * the smallest det J (<= 0: the stresses zero, fe unchanged). */
FM_HD double fm_tet10_nodal_stress_at(const double *x, const int *c,
                                      const double *u, double E, double nu,
                                      double sn[FM_TET_MAX_NPE][6],
                                      double *fe) {
  double dN[4][30], Ji[4][9], wd[4], S[4][9], sig[4][6];
  fm_tet10_qp_derivatives(dN);
  const double mindet = fm_tet10_geometry_at(dN, x, c, Ji, wd);
  if (!(mindet > 0.0)) {
    for (int a = 0; a < 10; a++) /* zeros: nothing to recover */
      for (int k = 0; k < 6; k++)
        sn[a][k] = 0.0;
    return mindet;
  }
  fm_tet10_stresses_at(dN, Ji, wd, u, c, 0, E, nu, S, sig);
  FM_UNROLL
  for (int a = 0; a < 10; a++) {
    double f[3];
    fm_tet10_node_force(dN, S, a, f);
    FM_UNROLL
    for (int i = 0; i < 3; i++)
      fe[3 * a + i] += f[i];
    fm_tet10_node_stress(sig, a, sn[a]);
  }
  return mindet;
}

/* Node a's part of fm_tet10_nodal_stress_at alone, a known at run time
 * (the GPU's recovery: a thread per node): its stress sa and its internal
 * force fa (overwritten), the same bits.  Returns the smallest det J (<=
 * 0: both zero). */
FM_HD double fm_tet10_node_stress_at(const double *x, const int *c,
                                     const double *u, double E, double nu,
                                     int a, double sa[6], double fa[3]) {
  double dN[4][30], Ji[4][9], wd[4], S[4][9], sig[4][6];
  fm_tet10_qp_derivatives(dN);
  const double mindet = fm_tet10_geometry_at(dN, x, c, Ji, wd);
  if (!(mindet > 0.0)) {
    for (int k = 0; k < 6; k++) /* zeros: nothing to recover */
      sa[k] = 0.0;
    fa[0] = fa[1] = fa[2] = 0.0;
    return mindet;
  }
  fm_tet10_stresses_at(dN, Ji, wd, u, c, 0, E, nu, S, sig);
  FM_UNROLL
  for (int b = 0; b < 10; b++)
    if (b == a) {
      fm_tet10_node_force(dN, S, b, fa);
      fm_tet10_node_stress(sig, b, sa);
    }
  return mindet;
}

/* Node a's 3x3 blocks of a TET10's stiffness with node b, Kab[3 i + j] =
 * sum_q w det (lambda Ga_i Gb_j + mu Ga_j Gb_i + mu delta_ij Ga . Gb), from
 * the two nodes' gradients (fm_tet10_node_gradients). */
FM_HD void fm_tet10_block(const double Ga[4][3], const double Gb[4][3],
                          const double wd[4], double lambda, double mu,
                          double Kab[9]) {
  FM_UNROLL
  for (int t = 0; t < 9; t++)
    Kab[t] = 0.0;
  FM_UNROLL
  for (int q = 0; q < 4; q++) {
    const double *ga = Ga[q], *gb = Gb[q];
    const double dot = ga[0] * gb[0] + ga[1] * gb[1] + ga[2] * gb[2];
    FM_UNROLL
    for (int i = 0; i < 3; i++)
      FM_UNROLL
    for (int j = 0; j < 3; j++) {
      double v = lambda * ga[i] * gb[j] + mu * ga[j] * gb[i];
      if (i == j)
        v += mu * dot;
      Kab[3 * i + j] += wd[q] * v;
    }
  }
}

/* Node a's 3x3 block with node b (fm_tet10_block), from node a's
 * gradients Ga and b's made here (b known at compile time once unrolled). */
FM_HD void fm_tet10_block_with(const double dN[4][30], const double Ji[4][9],
                               const double wd[4], double lambda, double mu,
                               const double Ga[4][3], int b, double Kab[9]) {
  double Gb[4][3];
  fm_tet10_node_gradients(dN, Ji, b, Gb);
  fm_tet10_block(Ga, Gb, wd, lambda, mu, Kab);
}

/* Rows of nodes a0 <= a < a1 of a TET10's stiffness read where its
 * coordinates lie (fm_tet_stiffness_rows for TET10, the same layout): node
 * by node, each block by fm_tet10_block, the GPU's assembly's
 * (kernels/assemble.cu) sums.  Returns the smallest det J (<= 0: K
 * zero). */
FM_HD double fm_tet10_stiffness_rows_at(const double *x, const int *c, double E,
                                        double nu, int a0, int a1, double *K) {
  double lambda, mu, dN[4][30], Ji[4][9], wd[4];
  fm_lame(E, nu, &lambda, &mu);
  fm_tet10_qp_derivatives(dN);
  const double mindet = fm_tet10_geometry_at(dN, x, c, Ji, wd);
  if (!(mindet > 0.0)) {
    for (int i = 0; i < 90 * (a1 - a0); i++) /* zeros: defined, if of no use */
      K[i] = 0.0;
    return mindet;
  }
  for (int a = a0; a < a1; a++) {
    double Ga[4][3];
    fm_tet10_node_gradients(dN, Ji, a, Ga);
    FM_UNROLL
    for (int b = 0; b < 10; b++) {
      double Kab[9];
      fm_tet10_block_with(dN, Ji, wd, lambda, mu, Ga, b, Kab);
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          K[(3 * (a - a0) + i) * 30 + 3 * b + j] = Kab[3 * i + j];
    }
  }
  return mindet;
}

/* The diagonal (bs 1: de[30]) or the 3x3 diagonal blocks (bs 3: de[90]) of
 * a TET10's stiffness read where its coordinates lie (fm_tet_diagonal_bs
 * for TET10): fm_tet10_block's sums, node by node.  Returns the smallest
 * det J (<= 0: de zero). */
FM_HD double fm_tet10_diagonal_at(const double *x, const int *c, double E,
                                  double nu, int bs, double *de) {
  double lambda, mu, dN[4][30], Ji[4][9], wd[4];
  fm_lame(E, nu, &lambda, &mu);
  fm_tet10_qp_derivatives(dN);
  const double mindet = fm_tet10_geometry_at(dN, x, c, Ji, wd);
  if (!(mindet > 0.0)) {
    for (int i = 0; i < 3 * bs * 10; i++) /* zeros: defined, if of no use */
      de[i] = 0.0;
    return mindet;
  }
  FM_UNROLL
  for (int a = 0; a < 10; a++) {
    double Ga[4][3], Kaa[9];
    fm_tet10_node_gradients(dN, Ji, a, Ga);
    fm_tet10_block(Ga, Ga, wd, lambda, mu, Kaa);
    FM_UNROLL
    for (int i = 0; i < 3; i++) {
      if (bs == 3) {
        FM_UNROLL
        for (int j = 0; j < 3; j++)
          de[9 * a + 3 * i + j] = Kaa[3 * i + j];
      } else {
        de[3 * a + i] = Kaa[4 * i];
      }
    }
  }
  return mindet;
}

/* Rows of nodes a0 <= a < a1 of the element stiffness into K (row-major,
 * 3 (a1 - a0) rows of 3npe, interleaved DOFs): TET10 by
 * fm_tet10_stiffness_rows_at, TET4 by fm_tet_stiffness_rows_generic.  Each
 * entry is summed the same way whatever a0 and a1.  Returns the smallest
 * det J (<= 0: K invalid). */
FM_HD double fm_tet_stiffness_rows(int npe, const double *xe, double E,
                                   double nu, int a0, int a1, double *K) {
  const int id[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  return npe == 10 ? fm_tet10_stiffness_rows_at(xe, id, E, nu, a0, a1, K)
                   : fm_tet_stiffness_rows_generic(npe, xe, E, nu, a0, a1, K);
}

/* Element stiffness Ke[3npe][3npe] (row-major, interleaved DOFs).  Returns
 * the smallest det J (<= 0: Ke invalid). */
FM_HD double fm_tet_stiffness(int npe, const double *xe, double E, double nu,
                              double *Ke) {
  return fm_tet_stiffness_rows(npe, xe, E, nu, 0, npe, Ke);
}

/* Node a's three rows of the element stiffness, Kr[3][3npe]: the entries
 * of fm_tet_stiffness, bit for bit.  For an assembly by rows
 * (kernels/assemble.cu: each node sums its elements' rows in element
 * order, no atomics).  Returns the smallest det J (<= 0: Kr invalid). */
FM_HD double fm_tet_stiffness_row(int npe, const double *xe, double E,
                                  double nu, int a, double *Kr) {
  return fm_tet_stiffness_rows(npe, xe, E, nu, a, a + 1, Kr);
}

/* fe = Ke ue without forming Ke (the matrix-free operator, matfree.c and
 * the GPU's): B^T D B ue summed over the same quadrature points and
 * weights as fm_tet_stiffness, so the two agree to round-off.  fe is
 * overwritten.  Returns the smallest det J (<= 0: inverted or degenerate,
 * fe invalid). */
FM_HD double fm_tet_apply(int npe, const double *xe, double E, double nu,
                          const double *ue, double *fe) {
  const int id[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  return npe == 10 ? fm_tet10_apply_at(xe, id, ue, 0, E, nu, fe)
                   : fm_tet_apply_generic(npe, xe, E, nu, ue, fe);
}

/* The diagonal of Ke (bs 1: de[3npe]) or its 3x3 diagonal blocks (bs 3:
 * de[9npe], node a's block row-major at de + 9a): K_aa,ij = sum_q w det
 * (lambda G_ai G_aj + mu G_aj G_ai + mu delta_ij |G_a|^2), as
 * fm_tet_stiffness sums them (TET10: fm_tet10_diagonal_at, Ke's entries bit
 * for bit).  Returns the smallest det J. */
FM_HD double fm_tet_diagonal_bs(int npe, int bs, const double *xe, double E,
                                double nu, double *de) {
  if (npe == 10) {
    const int id[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    return fm_tet10_diagonal_at(xe, id, E, nu, bs, de);
  }
  double lambda, mu, mindet = 1e300;
  fm_lame(E, nu, &lambda, &mu);
  for (int i = 0; i < 3 * bs * npe; i++)
    de[i] = 0.0;
  for (int q = 0; q < fm_tet_nqp(npe); q++) {
    double G[3 * FM_TET_MAX_NPE], f;
    const double det = fm_tet_qp_gradients(npe, xe, q, G, &f);
    if (det < mindet)
      mindet = det;
    if (det <= 0.0)
      return det;
    for (int a = 0; a < npe; a++) {
      const double *g = G + 3 * a;
      const double dot = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
      for (int i = 0; i < 3; i++)
        for (int j = bs == 3 ? 0 : i; j < (bs == 3 ? 3 : i + 1); j++)
          de[bs == 3 ? 9 * a + 3 * i + j : 3 * a + i] +=
              f * (lambda * g[i] * g[j] + mu * g[j] * g[i] +
                   (i == j ? mu * dot : 0.0));
    }
  }
  return mindet;
}

/* The diagonal of Ke, de[3npe] (the Jacobi smoother of a matrix-free
 * operator).  Returns the smallest det J. */
FM_HD double fm_tet_diagonal(int npe, const double *xe, double E, double nu,
                             double *de) {
  return fm_tet_diagonal_bs(npe, 1, xe, E, nu, de);
}

/* The 3x3 diagonal blocks of Ke, db[npe][9].  Returns the smallest det J. */
FM_HD double fm_tet_diagonal_blocks(int npe, const double *xe, double E,
                                    double nu, double *db) {
  return fm_tet_diagonal_bs(npe, 3, xe, E, nu, db);
}

/* von Mises equivalent stress of a Voigt stress. */
FM_HD double fm_von_mises(const double s[6]) {
  const double a = s[0] - s[1], b = s[1] - s[2], c = s[2] - s[0];
  return sqrt(0.5 * (a * a + b * b + c * c) +
              3.0 * (s[3] * s[3] + s[4] * s[4] + s[5] * s[5]));
}

/* Eigenvalues of a symmetric 3x3 (Voigt s) by cyclic Jacobi rotations
 * (Golub & Van Loan, Matrix Computations, 4th ed., sec. 8.5): accurate to
 * rounding of the largest magnitude whatever the gaps between them, which
 * the closed form is not near a repeated root.  Unsorted in e[3]; a NaN
 * in s gives NaN. */
FM_HD void fm_sym3_jacobi(const double s[6], double e[3]) {
  double a[3][3] = {{s[0], s[3], s[5]}, {s[3], s[1], s[4]}, {s[5], s[4], s[2]}};
  const int pq[3][3] = {{0, 1, 2}, {0, 2, 1}, {1, 2, 0}}; /* p, q, other */
  for (int sweep = 0; sweep < 12; sweep++) {
    int rotated = 0;
    for (int k = 0; k < 3; k++) {
      const int p = pq[k][0], q = pq[k][1], r = pq[k][2];
      const double apq = a[p][q];
      /* negligible against both diagonal entries: zero (also stops a
       * sweep that rounding would keep going) */
      if (!(fabs(apq) > 1e-18 * fmax(fabs(a[p][p]), fabs(a[q][q]))) &&
          !isnan(apq)) {
        a[p][q] = a[q][p] = 0.0;
        continue;
      }
      rotated = 1;
      const double theta = (a[q][q] - a[p][p]) / (2.0 * apq);
      /* the smaller root of t^2 + 2 theta t - 1 = 0 (|t| <= 1); for a
       * huge theta t = 1 / (2 theta) without overflow */
      const double t = fabs(theta) > 1e150
                           ? 0.5 / theta
                           : (theta >= 0 ? 1.0 : -1.0) /
                                 (fabs(theta) + sqrt(theta * theta + 1.0));
      const double c = 1.0 / sqrt(t * t + 1.0), sn = t * c;
      a[p][p] -= t * apq;
      a[q][q] += t * apq;
      a[p][q] = a[q][p] = 0.0;
      const double arp = a[r][p], arq = a[r][q];
      a[r][p] = a[p][r] = c * arp - sn * arq;
      a[r][q] = a[q][r] = sn * arp + c * arq;
    }
    if (!rotated)
      break;
  }
  e[0] = a[0][0];
  e[1] = a[1][1];
  e[2] = a[2][2];
}

/* Principal stresses p[0] >= p[1] >= p[2] of a Voigt stress: the closed
 * form (trigonometric solution of the characteristic cubic), whose roots
 * are accurate to rounding of q / gap (the acos near +-1); where two of
 * them come within 1e-3 of the deviator's size, Jacobi rotations
 * (fm_sym3_jacobi) instead, which keep a double root to rounding (the
 * closed form split diag(5, 5, -3) into 5 +- 3e-8).  Computed on the
 * stress scaled by a power of two to its largest entry (exact), so that
 * no scale over- or underflows; a stress that is not finite gives three
 * NaN. */
FM_HD void fm_principal(const double s_in[6], double p[3]) {
  double mx = 0.0;
  for (int k = 0; k < 6; k++)
    mx = fmax(mx, fabs(s_in[k]));
  if (!(mx < INFINITY)) { /* inf, or NaN (fmax drops NaN: look again) */
    p[0] = p[1] = p[2] = NAN;
    return;
  }
  for (int k = 0; k < 6; k++)
    if (isnan(s_in[k])) {
      p[0] = p[1] = p[2] = NAN;
      return;
    }
  if (mx == 0.0) {
    p[0] = p[1] = p[2] = 0.0;
    return;
  }
  int ex;
  (void)frexp(mx, &ex); /* mx = f 2^ex, f in [0.5, 1) */
  double s[6];
  for (int k = 0; k < 6; k++)
    s[k] = ldexp(s_in[k], -ex);
  const double m = (s[0] + s[1] + s[2]) / 3.0;
  const double a = s[0] - m, b = s[1] - m, c = s[2] - m;
  const double xy = s[3], yz = s[4], xz = s[5];
  const double q2 = (a * a + b * b + c * c) / 6.0 +
                    (xy * xy + yz * yz + xz * xz) / 3.0; /* J2 / 3 */
  if (q2 <= 1e-300) { /* hydrostatic to 1e-150 of the largest entry */
    p[0] = p[1] = p[2] = ldexp(m, ex);
    return;
  }
  const double det = a * (b * c - yz * yz) - xy * (xy * c - yz * xz) +
                     xz * (xy * yz - b * xz); /* J3 */
  const double q = sqrt(q2);
  double r = det / (2.0 * q2 * q);
  if (r > 1.0)
    r = 1.0;
  if (r < -1.0)
    r = -1.0;
  const double phi = acos(r) / 3.0;
  const double twopi3 = 2.0943951023931957;
  p[0] = m + 2.0 * q * cos(phi);
  p[2] = m + 2.0 * q * cos(phi + twopi3);
  p[1] = 3.0 * m - p[0] - p[2];
  if (!(fmin(p[0] - p[1], p[1] - p[2]) > 1e-3 * q)) {
    /* nearly repeated: the rotations */
    fm_sym3_jacobi(s, p);
  }
  for (int k = 0; k < 3; k++)
    p[k] = ldexp(p[k], ex);
  /* descending (the rotations leave them in any order) */
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2 - i; j++)
      if (p[j + 1] > p[j]) {
        const double t = p[j];
        p[j] = p[j + 1];
        p[j + 1] = t;
      }
}

/* One element's stresses at its nodes (Voigt, sn[a][0..6)) and its internal
 * forces fe (added to) from its displacements ue: stresses at the
 * integration points, extrapolated to the nodes (TET4: the constant value;
 * TET10: the linear field through the 4 Gauss points at the corners,
 * s_corner = (g - b sum g) / (a - b), mid-edge nodes the mean of their
 * corners).  Any element: the TET4's, and fm_tet10_nodal_stress_at's
 * reference in t101. */
FM_HD void fm_tet_nodal_stress_generic(int npe, const double *xe,
                                       const double *ue, double E, double nu,
                                       double sn[FM_TET_MAX_NPE][6],
                                       double *fe) {
  const int nq = fm_tet_nqp(npe);
  const double qa = 0.5854101966249685, qb = 0.1381966011250105;
  const int edges[6][2] = FM_TET10_EDGES;
  double sq[FM_TET_MAX_QP][6];
  for (int q = 0; q < nq; q++) {
    double G[3 * FM_TET_MAX_NPE], eps[6], wdet;
    fm_tet_qp_gradients(npe, xe, q, G, &wdet);
    fm_strain(npe, G, ue, eps);
    fm_hooke(E, nu, eps, sq[q]);
    fm_add_internal_force(npe, G, sq[q], wdet, fe);
  }
  if (npe == 4) {
    for (int a = 0; a < 4; a++)
      for (int k = 0; k < 6; k++)
        sn[a][k] = sq[0][k];
    return;
  }
  for (int k = 0; k < 6; k++) {
    const double S = sq[0][k] + sq[1][k] + sq[2][k] + sq[3][k];
    for (int a = 0; a < 4; a++)
      sn[a][k] = (sq[a][k] - qb * S) / (qa - qb);
    for (int j = 0; j < 6; j++)
      sn[4 + j][k] = 0.5 * (sn[edges[j][0]][k] + sn[edges[j][1]][k]);
  }
}

/* One element's stresses at its nodes and its internal forces (added to
 * fe), as fm_tet_nodal_stress_generic: TET10 by fm_tet10_nodal_stress_at.
 * The CPU's recovery (recover.c); the GPU's takes a node at a time
 * (fm_tet10_node_stress_at, kernels/recover.cu). */
FM_HD void fm_tet_nodal_stress(int npe, const double *xe, const double *ue,
                               double E, double nu,
                               double sn[FM_TET_MAX_NPE][6], double *fe) {
  const int id[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  if (npe == 10)
    fm_tet10_nodal_stress_at(xe, id, ue, E, nu, sn, fe);
  else
    fm_tet_nodal_stress_generic(npe, xe, ue, E, nu, sn, fe);
}

/* Inverse of a 3x3 matrix (row-major); returns 0 when singular. */
FM_HD int fm_inv3(const double *a, double *o) {
  const double det = a[0] * (a[4] * a[8] - a[5] * a[7]) -
                     a[1] * (a[3] * a[8] - a[5] * a[6]) +
                     a[2] * (a[3] * a[7] - a[4] * a[6]);
  if (!(fabs(det) > 0))
    return 0;
  o[0] = (a[4] * a[8] - a[5] * a[7]) / det;
  o[1] = (a[2] * a[7] - a[1] * a[8]) / det;
  o[2] = (a[1] * a[5] - a[2] * a[4]) / det;
  o[3] = (a[5] * a[6] - a[3] * a[8]) / det;
  o[4] = (a[0] * a[8] - a[2] * a[6]) / det;
  o[5] = (a[2] * a[3] - a[0] * a[5]) / det;
  o[6] = (a[3] * a[7] - a[4] * a[6]) / det;
  o[7] = (a[1] * a[6] - a[0] * a[7]) / det;
  o[8] = (a[0] * a[4] - a[1] * a[3]) / det;
  return 1;
}

/* ---- triangles (faces) ---- */

/* Dunavant degree-4 rule, 6 points, weights sum to 1/2 (reference area). */
FM_HD void fm_tri_qp(int q, double xi[2], double *w) {
  const double a1 = 0.445948490915965, b1 = 0.108103018168070;
  const double w1 = 0.223381589678011 * 0.5;
  const double a2 = 0.091576213509771, b2 = 0.816847572980459;
  const double w2 = 0.109951743655322 * 0.5;
  /* barycentric (l0, l1, l2); xi = (l1, l2) */
  double l[3];
  if (q < 3) {
    l[0] = l[1] = l[2] = a1;
    l[q] = b1;
    *w = w1;
  } else {
    l[0] = l[1] = l[2] = a2;
    l[q - 3] = b2;
    *w = w2;
  }
  xi[0] = l[1];
  xi[1] = l[2];
}

/* Triangle shape functions N[npe] and natural derivatives dN[npe][2]. */
FM_HD void fm_tri_shape(int npe, const double xi[2], double *N, double *dN) {
  const double L[3] = {1.0 - xi[0] - xi[1], xi[0], xi[1]};
  const double dL[3][2] = {{-1, -1}, {1, 0}, {0, 1}};
  if (npe == 3) {
    for (int a = 0; a < 3; a++) {
      N[a] = L[a];
      dN[2 * a] = dL[a][0];
      dN[2 * a + 1] = dL[a][1];
    }
    return;
  }
  const int E[3][2] = FM_TRI6_EDGES;
  for (int a = 0; a < 3; a++) {
    N[a] = L[a] * (2.0 * L[a] - 1.0);
    for (int j = 0; j < 2; j++)
      dN[2 * a + j] = (4.0 * L[a] - 1.0) * dL[a][j];
  }
  for (int k = 0; k < 3; k++) {
    const int i = E[k][0], m = E[k][1];
    N[3 + k] = 4.0 * L[i] * L[m];
    for (int j = 0; j < 2; j++)
      dN[2 * (3 + k) + j] = 4.0 * (dL[i][j] * L[m] + L[i] * dL[m][j]);
  }
}

/* At face quadrature point q: shape values N and the area vector
 * nA = (dx/dxi0 x dx/dxi1) * w, whose length is the area weight and whose
 * direction is the normal given by the node order (right-hand rule). */
FM_HD void fm_tri_point(int npe, const double *xe, int q, double *N,
                        double nA[3]) {
  double xi[2], w, dN[12];
  fm_tri_qp(q, xi, &w);
  fm_tri_shape(npe, xi, N, dN);
  double t0[3] = {0, 0, 0}, t1[3] = {0, 0, 0};
  for (int a = 0; a < npe; a++)
    for (int i = 0; i < 3; i++) {
      t0[i] += xe[3 * a + i] * dN[2 * a];
      t1[i] += xe[3 * a + i] * dN[2 * a + 1];
    }
  nA[0] = (t0[1] * t1[2] - t0[2] * t1[1]) * w;
  nA[1] = (t0[2] * t1[0] - t0[0] * t1[2]) * w;
  nA[2] = (t0[0] * t1[1] - t0[1] * t1[0]) * w;
}

/* Area of a triangle face. */
FM_HD double fm_tri_area(int npe, const double *xe) {
  double N[6], nA[3], A = 0.0;
  for (int q = 0; q < FM_TRI_QP; q++) {
    fm_tri_point(npe, xe, q, N, nA);
    A += sqrt(nA[0] * nA[0] + nA[1] * nA[1] + nA[2] * nA[2]);
  }
  return A;
}

/* Consistent nodal forces fe[3npe] of a face load: a constant traction t
 * (force per area) plus a pressure p acting along -n, where n is the unit
 * normal given by the node order. */
FM_HD void fm_tri_load(int npe, const double *xe, const double t[3], double p,
                       double *fe) {
  double N[6], nA[3];
  for (int i = 0; i < 3 * npe; i++)
    fe[i] = 0.0;
  for (int q = 0; q < FM_TRI_QP; q++) {
    fm_tri_point(npe, xe, q, N, nA);
    const double dA = sqrt(nA[0] * nA[0] + nA[1] * nA[1] + nA[2] * nA[2]);
    for (int a = 0; a < npe; a++)
      for (int i = 0; i < 3; i++)
        fe[3 * a + i] += N[a] * (t[i] * dA - p * nA[i]);
  }
}

/* Consistent nodal forces of a body force b (force per volume). Returns the
 * element volume. */
FM_HD double fm_tet_body_load(int npe, const double *xe, const double b[3],
                              double *fe) {
  double N[FM_TET_MAX_NPE], dN[3 * FM_TET_MAX_NPE], vol = 0.0;
  for (int i = 0; i < 3 * npe; i++)
    fe[i] = 0.0;
  for (int q = 0; q < 4; q++) { /* degree 2: exact for N * const det */
    double xi[3], w;
    fm_tet_qp(10, q, xi, &w);
    fm_tet_shape(npe, xi, N, dN);
    const double det = fm_tet_gradients(npe, xe, dN, 0);
    vol += w * det;
    for (int a = 0; a < npe; a++)
      for (int i = 0; i < 3; i++)
        fe[3 * a + i] += N[a] * b[i] * w * det;
  }
  return vol;
}

#endif
