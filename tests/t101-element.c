/* Element math: shape functions, stiffness symmetry and rigid-body modes,
 * consistent face and body loads, stress invariants. */
#include <string.h>

#include "element.h"
#include "test_util.h"

/* a distorted straight-edged TET10: corners, then mid-edge nodes */
static void make_tet(int npe, double *xe) {
  const double c[4][3] = {
      {0.1, -0.2, 0.05}, {2.3, 0.1, -0.3}, {0.4, 1.7, 0.2}, {0.3, 0.5, 1.9}};
  const int E[6][2] = FM_TET10_EDGES;
  for (int a = 0; a < 4; a++)
    for (int i = 0; i < 3; i++)
      xe[3 * a + i] = c[a][i];
  if (npe == 10)
    for (int k = 0; k < 6; k++)
      for (int i = 0; i < 3; i++)
        xe[3 * (4 + k) + i] = 0.5 * (c[E[k][0]][i] + c[E[k][1]][i]);
}

static void shape_tests(int npe) {
  /* Kronecker property at the nodes, partition of unity, derivative sums */
  const double nodes[10][3] = {{0, 0, 0},   {1, 0, 0},   {0, 1, 0},  {0, 0, 1},
                               {.5, 0, 0},  {.5, .5, 0}, {0, .5, 0}, {0, 0, .5},
                               {0, .5, .5}, {.5, 0, .5}};
  double N[10], dN[30];
  for (int b = 0; b < npe; b++) {
    fm_tet_shape(npe, nodes[b], N, dN);
    for (int a = 0; a < npe; a++)
      CHECK(fabs(N[a] - (a == b)) < 1e-14, "npe %d N_%d(node %d) = %g", npe, a,
            b, N[a]);
  }
  const double xi[3] = {0.21, 0.17, 0.33};
  fm_tet_shape(npe, xi, N, dN);
  double s = 0, ds[3] = {0, 0, 0};
  for (int a = 0; a < npe; a++) {
    s += N[a];
    for (int j = 0; j < 3; j++)
      ds[j] += dN[3 * a + j];
  }
  CHECK(fabs(s - 1) < 1e-14, "sum N = %g", s);
  for (int j = 0; j < 3; j++)
    CHECK(fabs(ds[j]) < 1e-13, "sum dN/dxi_%d = %g", j, ds[j]);
  /* derivatives against central finite differences */
  for (int j = 0; j < 3; j++) {
    double xp[3] = {xi[0], xi[1], xi[2]}, xm[3] = {xi[0], xi[1], xi[2]}, Np[10],
           Nm[10];
    xp[j] += 1e-6;
    xm[j] -= 1e-6;
    fm_tet_shape(npe, xp, Np, 0);
    fm_tet_shape(npe, xm, Nm, 0);
    for (int a = 0; a < npe; a++)
      CHECK(fabs((Np[a] - Nm[a]) / 2e-6 - dN[3 * a + j]) < 1e-8, "dN_%d/dxi_%d",
            a, j);
  }
  /* quadrature integrates the reference volume */
  double vol = 0;
  for (int q = 0; q < fm_tet_nqp(npe); q++) {
    double x[3], w;
    fm_tet_qp(npe, q, x, &w);
    vol += w;
  }
  CHECK(fabs(vol - 1.0 / 6.0) < 1e-15, "quadrature weights sum %g", vol);
}

static void stiffness_tests(int npe) {
  double xe[30], K[900];
  make_tet(npe, xe);
  const int n = 3 * npe;
  const double E = 110000, nu = 0.34;
  const double det = fm_tet_stiffness(npe, xe, E, nu, K);
  CHECK(det > 0, "det J = %g", det);
  double kmax = 0;
  for (int i = 0; i < n * n; i++)
    kmax = fmax(kmax, fabs(K[i]));
  for (int i = 0; i < n; i++) {
    CHECK(K[i * n + i] > 0, "K[%d][%d] = %g not positive", i, i, K[i * n + i]);
    for (int j = 0; j < n; j++)
      CHECK(fabs(K[i * n + j] - K[j * n + i]) <= 1e-13 * kmax,
            "K not symmetric at %d,%d", i, j);
  }
  /* six rigid-body modes are in the kernel */
  for (int mode = 0; mode < 6; mode++) {
    double r[30], Kr;
    for (int a = 0; a < npe; a++) {
      const double x = xe[3 * a], y = xe[3 * a + 1], z = xe[3 * a + 2];
      double v[3] = {0, 0, 0};
      if (mode < 3)
        v[mode] = 1;
      if (mode == 3) {
        v[1] = -z;
        v[2] = y;
      }
      if (mode == 4) {
        v[0] = z;
        v[2] = -x;
      }
      if (mode == 5) {
        v[0] = -y;
        v[1] = x;
      }
      for (int i = 0; i < 3; i++)
        r[3 * a + i] = v[i];
    }
    for (int i = 0; i < n; i++) {
      Kr = 0;
      for (int j = 0; j < n; j++)
        Kr += K[i * n + j] * r[j];
      CHECK(fabs(Kr) <= 1e-10 * kmax, "mode %d: (K r)_%d = %g", mode, i, Kr);
    }
  }
  /* ... and nothing else: a pure strain mode has positive energy */
  double s[30], e = 0;
  for (int a = 0; a < npe; a++)
    for (int i = 0; i < 3; i++)
      s[3 * a + i] = (i == 0) ? xe[3 * a] : 0.0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      e += s[i] * K[i * n + j] * s[j];
  /* u^T K u of u = (x, 0, 0), twice its strain energy: eps_xx = 1,
   * sigma_xx = lambda + 2 mu; e = V (lambda + 2mu) */
  double lambda, mu, fe[30];
  fm_lame(E, nu, &lambda, &mu);
  const double b0[3] = {0, 0, 0};
  const double V = fm_tet_body_load(npe, xe, b0, fe);
  CHECK_CLOSE(e, V * (lambda + 2 * mu), 1e-12, 0);
  /* an inverted element (two corners swapped) reports det J <= 0 */
  double xinv[12];
  for (int i = 0; i < 12; i++)
    xinv[i] = xe[i];
  for (int i = 0; i < 3; i++) {
    const double t = xinv[i];
    xinv[i] = xinv[3 + i];
    xinv[3 + i] = t;
  }
  CHECK(fm_tet_stiffness(4, xinv, E, nu, K) <= 0, "inverted TET4 not detected");
  CHECK(fm_tet_apply(4, xinv, E, nu, s, fe) <= 0,
        "inverted TET4 not detected by the element action");
  CHECK(fm_tet_diagonal(4, xinv, E, nu, fe) <= 0,
        "inverted TET4 not detected by the element diagonal");
}

/* The TET10 element math read where the data lie (fm_tet10_*_at: the
 * stiffness, diagonal and recovery of the CPU and the GPU) against the
 * generic element-array code, and node by node against element by element
 * bit for bit. */
static void tet10_at_tests(const double *xe, double E, double nu,
                           const double *K, int curved) {
  const char *v = curved ? " curved" : "";
  double Kg[900], db[90], u[30], sn[10][6], sg[10][6], fe[30] = {0},
                                                       fg[30] = {0};
  CHECK(fm_tet_stiffness_rows_generic(10, xe, E, nu, 0, 10, Kg) > 0,
        "det J (generic stiffness)");
  double kmax = 0;
  for (int i = 0; i < 900; i++)
    kmax = fmax(kmax, fabs(Kg[i]));
  for (int i = 0; i < 900; i++)
    CHECK(fabs(K[i] - Kg[i]) <= 1e-13 * kmax,
          "TET10%s: stiffness entry %d: %.17g, generic %.17g", v, i, K[i],
          Kg[i]);
  /* the diagonal blocks: Ke's, bit for bit */
  CHECK(fm_tet_diagonal_blocks(10, xe, E, nu, db) > 0, "det J (blocks)");
  for (int a = 0; a < 10; a++)
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        CHECK(db[9 * a + 3 * i + j] == K[(3 * a + i) * 30 + 3 * a + j],
              "TET10%s: diagonal block %d (%d,%d): %.17g, Ke %.17g", v, a, i, j,
              db[9 * a + 3 * i + j], K[(3 * a + i) * 30 + 3 * a + j]);
  /* recovery: stresses at the nodes and internal forces */
  for (int i = 0; i < 30; i++)
    u[i] = 1e-3 * (sin(1.3 * i) + 0.2 * i);
  fm_tet_nodal_stress(10, xe, u, E, nu, sn, fe);
  fm_tet_nodal_stress_generic(10, xe, u, E, nu, sg, fg);
  double smax = 0, fmx = 0;
  for (int a = 0; a < 10; a++)
    for (int k = 0; k < 6; k++)
      smax = fmax(smax, fabs(sg[a][k]));
  for (int i = 0; i < 30; i++)
    fmx = fmax(fmx, fabs(fg[i]));
  for (int a = 0; a < 10; a++) {
    for (int k = 0; k < 6; k++)
      CHECK(fabs(sn[a][k] - sg[a][k]) <= 1e-12 * smax,
            "TET10%s: stress %d of node %d: %.17g, generic %.17g", v, k, a,
            sn[a][k], sg[a][k]);
    for (int i = 0; i < 3; i++)
      CHECK(fabs(fe[3 * a + i] - fg[3 * a + i]) <= 1e-12 * fmx,
            "TET10%s: internal force %d of node %d: %.17g, generic %.17g", v, i,
            a, fe[3 * a + i], fg[3 * a + i]);
    /* node a alone (the GPU's recovery): the same bits */
    const int id[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    double sa[6], fa[3];
    CHECK(fm_tet10_node_stress_at(xe, id, u, E, nu, a, sa, fa) > 0,
          "det J (node)");
    CHECK(!memcmp(sa, sn[a], sizeof sa) && !memcmp(fa, fe + 3 * a, sizeof fa),
          "TET10%s: node %d alone differs from the element's", v, a);
  }
  /* a linear field u = A x: the same stress, Hooke's, at every node */
  const double A[9] = {1e-3, 2e-4, -3e-4, 5e-4, -7e-4, 1e-4, 3e-4, 6e-4, 2e-3};
  for (int a = 0; a < 10; a++)
    for (int i = 0; i < 3; i++)
      u[3 * a + i] = A[3 * i] * xe[3 * a] + A[3 * i + 1] * xe[3 * a + 1] +
                     A[3 * i + 2] * xe[3 * a + 2];
  const double eps[6] = {A[0],        A[4],        A[8],
                         A[1] + A[3], A[5] + A[7], A[2] + A[6]};
  double sig[6];
  fm_hooke(E, nu, eps, sig);
  fm_tet_nodal_stress(10, xe, u, E, nu, sn, fe);
  for (int a = 0; a < 10; a++)
    for (int k = 0; k < 6; k++)
      CHECK(fabs(sn[a][k] - sig[k]) <= 1e-12 * fabs(sig[0]),
            "TET10%s: linear field: stress %d at node %d %.17g, Hooke %.17g", v,
            k, a, sn[a][k], sig[k]);
}

/* The matrix-free element action and diagonal against the formed Ke: the
 * same quadrature, so round-off apart; on a curved TET10 too (mid-edge
 * nodes moved off the chords). */
static void action_tests(int npe, int curved) {
  double xe[30], K[900], u[30], f[30], d[30];
  make_tet(npe, xe);
  if (curved)
    for (int i = 12; i < 3 * npe; i++)
      xe[i] += 0.04 * sin(1.7 * i);
  const int n = 3 * npe;
  const double E = 17000, nu = 0.3;
  CHECK(fm_tet_stiffness(npe, xe, E, nu, K) > 0, "det J");
  for (int i = 0; i < n; i++)
    u[i] = cos(0.9 * i) + 0.1 * i;
  CHECK(fm_tet_apply(npe, xe, E, nu, u, f) > 0, "det J (action)");
  CHECK(fm_tet_diagonal(npe, xe, E, nu, d) > 0, "det J (diagonal)");
  double scale = 0;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++)
      scale = fmax(scale, fabs(K[i * n + j] * u[j]));
  for (int i = 0; i < n; i++)
    CHECK(fabs(d[i] - K[i * n + i]) <= 1e-14 * fabs(K[i * n + i]),
          "npe %d%s: diagonal %d: %.17g, K %.17g", npe, curved ? " curved" : "",
          i, d[i], K[i * n + i]);
  /* the action, and the generic one (fm_tet_apply takes fm_tet10_apply_at
   * for TET10): K u both, so the two agree */
  CHECK(fm_tet_apply_generic(npe, xe, E, nu, u, d) > 0, "det J (generic)");
  for (int v = 0; v < 2; v++)
    for (int i = 0; i < n; i++) {
      double ku = 0;
      for (int j = 0; j < n; j++)
        ku += K[i * n + j] * u[j];
      const double got = v ? d[i] : f[i];
      CHECK(fabs(got - ku) <= 1e-13 * n * scale,
            "npe %d%s: %saction row %d: %.17g, K u %.17g", npe,
            curved ? " curved" : "", v ? "generic " : "", i, got, ku);
    }
  /* a rigid-body motion (rotation plus translation) has no forces */
  for (int a = 0; a < npe; a++) {
    const double *p = xe + 3 * a;
    u[3 * a + 0] = 0.3 - 0.2 * p[1] + 0.7 * p[2];
    u[3 * a + 1] = -1.1 + 0.2 * p[0] - 0.4 * p[2];
    u[3 * a + 2] = 0.5 - 0.7 * p[0] + 0.4 * p[1];
  }
  CHECK(fm_tet_apply(npe, xe, E, nu, u, f) > 0, "det J (rigid)");
  for (int i = 0; i < n; i++)
    CHECK(fabs(f[i]) <= 1e-12 * E, "npe %d%s: rigid motion: force %d = %g", npe,
          curved ? " curved" : "", i, f[i]);
  /* an element turned inside out at one point (a mid-edge node pulled
   * through the opposite face): the action reports det J <= 0 */
  if (npe == 10) {
    double xb[30];
    memcpy(xb, xe, sizeof xb);
    for (int i = 0; i < 3; i++) /* node 4, on edge 0-1, past corner 2 */
      xb[12 + i] = 2.5 * xe[6 + i] - 1.5 * 0.5 * (xe[i] + xe[3 + i]);
    CHECK(fm_tet_apply(10, xb, E, nu, u, f) <= 0,
          "TET10 with a negative Jacobian not detected by the action");
    CHECK(fm_tet_apply_generic(10, xb, E, nu, u, f) <= 0,
          "TET10 with a negative Jacobian not detected by the generic action");
    /* ... and by the stiffness, the diagonal and the recovery, which then
     * give zeros (defined values: a caller that adds them adds nothing) */
    double Kb[900], sb[10][6], fb[30] = {0};
    for (int i = 0; i < 900; i++)
      Kb[i] = 1.0;
    for (int i = 0; i < 30; i++)
      f[i] = 1.0;
    for (int a = 0; a < 10; a++)
      for (int k = 0; k < 6; k++)
        sb[a][k] = 1.0;
    CHECK(fm_tet_stiffness(10, xb, E, nu, Kb) <= 0,
          "TET10 with a negative Jacobian not detected by the stiffness");
    CHECK(fm_tet_diagonal(10, xb, E, nu, f) <= 0,
          "TET10 with a negative Jacobian not detected by the diagonal");
    fm_tet_nodal_stress(10, xb, u, E, nu, sb, fb);
    for (int i = 0; i < 900; i++)
      CHECK(Kb[i] == 0.0, "inverted TET10: stiffness entry %d %g", i, Kb[i]);
    for (int i = 0; i < 30; i++)
      CHECK(f[i] == 0.0 && fb[i] == 0.0,
            "inverted TET10: diagonal %d %g, "
            "force %g",
            i, f[i], fb[i]);
    for (int a = 0; a < 10; a++)
      for (int k = 0; k < 6; k++)
        CHECK(sb[a][k] == 0.0, "inverted TET10: stress %d of node %d: %g", k, a,
              sb[a][k]);
  }
  if (npe == 10)
    tet10_at_tests(xe, E, nu, K, curved);
  /* node a's rows (the GPU's assembly by rows): Ke's rows, bit for bit */
  for (int a = 0; a < npe; a++) {
    double Kr[90];
    CHECK(fm_tet_stiffness_row(npe, xe, E, nu, a, Kr) > 0, "det J (row)");
    CHECK(!memcmp(Kr, K + 3 * a * n, 3 * (size_t)n * sizeof(double)),
          "npe %d%s: rows of node %d differ from the element stiffness's", npe,
          curved ? " curved" : "", a);
  }
}

static void load_tests(void) {
  /* uniform traction on a straight TRI6: corners get 0, mid nodes 1/3 of
   * the total; on a TRI3 each node 1/3 */
  const double tri[6][3] = {{0, 0, 0},   {3, 0, 0},   {0, 2, 0},
                            {1.5, 0, 0}, {1.5, 1, 0}, {0, 1, 0}};
  double fe[18], t[3] = {1, -2, 0.5};
  const double A = 3.0;
  CHECK_CLOSE(fm_tri_area(6, &tri[0][0]), A, 1e-14, 0);
  fm_tri_load(6, &tri[0][0], t, 0.0, fe);
  for (int a = 0; a < 6; a++)
    for (int i = 0; i < 3; i++)
      CHECK_CLOSE(fe[3 * a + i], a < 3 ? 0.0 : t[i] * A / 3.0, 1e-13, 1.0);
  fm_tri_load(3, &tri[0][0], t, 0.0, fe);
  for (int a = 0; a < 3; a++)
    for (int i = 0; i < 3; i++)
      CHECK_CLOSE(fe[3 * a + i], t[i] * A / 3.0, 1e-13, 1e-12);
  /* pressure acts against the node-order normal (+z here): total -p A z */
  const double zero[3] = {0, 0, 0};
  fm_tri_load(6, &tri[0][0], zero, 2.0, fe);
  double fz = 0;
  for (int a = 0; a < 6; a++)
    fz += fe[3 * a + 2];
  CHECK_CLOSE(fz, -2.0 * A, 1e-13, 0);
  /* body force on a straight TET10: corners -1/20, mid nodes 1/5 of total */
  double xe[30], fb[30];
  make_tet(10, xe);
  const double b[3] = {0, 0, -9.81};
  const double V = fm_tet_body_load(10, xe, b, fb);
  for (int a = 0; a < 10; a++)
    CHECK_CLOSE(fb[3 * a + 2], b[2] * V * (a < 4 ? -0.05 : 0.2), 1e-12, 0);
}

static void stress_tests(void) {
  /* principal stresses and von Mises of a known tensor */
  const double s[6] = {50, -20, 10, 30, 0, 0};
  double p[3];
  fm_principal(s, p);
  const double c = 15, r = sqrt(35 * 35 + 30 * 30);
  CHECK_CLOSE(p[0], c + r, 1e-12, 1);
  CHECK_CLOSE(p[1], 10, 1e-12, 1);
  CHECK_CLOSE(p[2], c - r, 1e-12, 1);
  const double vm = sqrt(0.5 * ((p[0] - p[1]) * (p[0] - p[1]) +
                                (p[1] - p[2]) * (p[1] - p[2]) +
                                (p[2] - p[0]) * (p[2] - p[0])));
  CHECK_CLOSE(fm_von_mises(s), vm, 1e-12, 0);
  const double uni[6] = {100, 0, 0, 0, 0, 0};
  CHECK_CLOSE(fm_von_mises(uni), 100, 1e-14, 0);
  const double hyd[6] = {-7, -7, -7, 0, 0, 0};
  fm_principal(hyd, p);
  CHECK(p[0] == -7 && p[2] == -7, "hydrostatic principal %g %g", p[0], p[2]);
  const double shear[6] = {0, 0, 0, 0, 0, 40};
  fm_principal(shear, p);
  CHECK_CLOSE(p[0], 40, 1e-12, 1);
  CHECK_CLOSE(p[2], -40, 1e-12, 1);
  /* a double root kept to rounding (the closed form alone split it by
   * 3e-8): diag(5, 5, -3) rotated about z by 30 deg, then about x by
   * 45 deg; and the Jacobi rotations against the closed form where the
   * roots are well apart */
  {
    const double d[3] = {5, 5, -3};
    double dr[6];
    test_rotated_stress(d, dr);
    fm_principal(dr, p);
    CHECK(fabs(p[0] - 5) < 1e-14 && fabs(p[1] - 5) < 1e-14 &&
              fabs(p[2] + 3) < 1e-14,
          "double root: %.17g %.17g %.17g", p[0], p[1], p[2]);
    double e[3];
    fm_sym3_jacobi(s, e);
    double lo = fmin(e[0], fmin(e[1], e[2])), hi = fmax(e[0], fmax(e[1], e[2]));
    CHECK_CLOSE(hi, c + r, 1e-14, 1);
    CHECK_CLOSE(lo, c - r, 1e-14, 1);
    CHECK_CLOSE(e[0] + e[1] + e[2] - lo - hi, 10, 1e-14, 1);
    /* not finite: three NaN (a NaN in the middle came back unsorted
     * between two numbers) */
    const double nan_s[6] = {1, NAN, 3, 0, 0, 0},
                 inf_s[6] = {1, 0, 0, 0, INFINITY, 0};
    fm_principal(nan_s, p);
    CHECK(isnan(p[0]) && isnan(p[1]) && isnan(p[2]), "NaN stress: %g %g %g",
          p[0], p[1], p[2]);
    fm_principal(inf_s, p);
    CHECK(isnan(p[0]) && isnan(p[1]) && isnan(p[2]), "inf stress: %g %g %g",
          p[0], p[1], p[2]);
    /* any scale: the tensor s above times 1e-200, 5e102 (2 q2 q
     * overflowed) and 1e306; a shear of 1e308 (the rotations' threshold
     * overflowed): relative to rounding */
    const double scales[3] = {1e-200, 5e102, 1e306};
    for (int k = 0; k < 3; k++) {
      double ss[6];
      for (int i = 0; i < 6; i++)
        ss[i] = s[i] * scales[k];
      fm_principal(ss, p);
      CHECK(fabs(p[0] / scales[k] - (c + r)) < 1e-12 * (c + r) &&
                fabs(p[1] / scales[k] - 10) < 1e-12 * (c + r) &&
                fabs(p[2] / scales[k] - (c - r)) < 1e-12 * (c + r),
            "scale %g: %.17g %.17g %.17g", scales[k], p[0] / scales[k],
            p[1] / scales[k], p[2] / scales[k]);
    }
    const double big[6] = {1e308, -1e308, 0, 1e308, 0, 0};
    fm_principal(big, p);
    CHECK_CLOSE(p[0], sqrt(2.0) * 1e308, 1e-14, 0);
    CHECK(p[1] == 0 && fabs(p[2] / 1e308 + sqrt(2.0)) < 1e-14,
          "1e308: %g %g %g", p[0], p[1], p[2]);
    const double tiny[6] = {1e-200, -1e-200, 0, 0, 0, 0};
    fm_principal(tiny, p);
    CHECK(p[0] == 1e-200 && p[1] == 0 && p[2] == -1e-200, "1e-200: %g %g %g",
          p[0], p[1], p[2]);
  }
  /* nearly equal values: still descending (rounding put the middle one a
   * hair above the largest); a sweep of small perturbations */
  for (int i = 0; i < 2000; i++) {
    const double d = 1e-6 * ((i * 7919) % 1000 - 500) / 500.0;
    const double e = 1e-9 * ((i * 104729) % 1000 - 500) / 500.0;
    const double near[6] = {1000, 1000 + d, 1000 + e, 1e-7 * d, 0, 3e-8 * e};
    fm_principal(near, p);
    CHECK(p[0] >= p[1] && p[1] >= p[2], "case %d: %.17g %.17g %.17g", i, p[0],
          p[1], p[2]);
    if (fm_test_failures > 5)
      break;
  }
}

int main(void) {
  shape_tests(4);
  shape_tests(10);
  stiffness_tests(4);
  stiffness_tests(10);
  action_tests(4, 0);
  action_tests(10, 0);
  action_tests(10, 1);
  load_tests();
  stress_tests();
  TEST_END();
}
