/* Fatigue, multiaxial: cycles from stress states, signed equivalent
 * stresses, the Sines and Crossland criteria against the uniaxial and the
 * torsion limits, their safety factors, invariance under rotation.
 *
 * Material: Basquin Sf' = 1000 MPa, b = -0.1, Su = 900, Sy = 800, endurance
 * limit Se = 150 MPa at Ne = 1e7, torsion limit St = 100 MPa, so
 * lambda = St/Se = 2/3 and the Crossland alpha = 3 lambda - sqrt(3)
 * = 2 - sqrt(3) = 0.267949. */
#include "element.h"
#include "error.h"
#include "fatigue.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

#define REL 1e-6
#define S3 1.7320508075688772

static FmFatigueMaterial material(void) {
  FmFatigueMaterial m = {0};
  m.name = "bar";
  m.Sy = 800;
  m.Su = 900;
  m.sn = FM_SN_BASQUIN;
  m.Sf = 1000;
  m.b = -0.1;
  m.Se = 150;
  m.Ne = 1e7;
  m.St = 100;
  m.k_surf = 1;
  m.R = -1;
  return m;
}

static double basquin_life(double Sar) {
  return 0.5 * pow(1000.0 / Sar, 10);
}

static void scale(const double *s, double f, double *out) {
  for (int k = 0; k < 6; k++)
    out[k] = f * s[k];
}

static void signed_equivalents(void) {
  /* compressive uniaxial: the signed von Mises is negative */
  const double c[6] = {-100, 0, 0, 0, 0, 0};
  CHECK_CLOSE(fm_signed_von_mises(c), -100.0, 1e-14, 0);
  CHECK_CLOSE(fm_signed_max_principal(c), -100.0, 1e-12, 0);
  const double t[6] = {100, 0, 0, 0, 0, 0};
  CHECK_CLOSE(fm_signed_von_mises(t), 100.0, 1e-14, 0);
  /* biaxial -100 / +50: trace -50 < 0, vm = sqrt(100^2 + 50^2 + 100*50)
   * = sqrt(17500) = 132.288; largest |p| = -100 */
  const double b[6] = {-100, 50, 0, 0, 0, 0};
  CHECK_CLOSE(fm_signed_von_mises(b), -sqrt(17500.0), 1e-14, 0);
  CHECK_CLOSE(fm_signed_max_principal(b), -100.0, 1e-12, 0);
  const double b2[6] = {100, -50, 0, 0, 0, 0};
  CHECK_CLOSE(fm_signed_max_principal(b2), 100.0, 1e-12, 0);
  /* pure shear: trace 0 counts as positive, principal tie +tau / -tau -> +tau
   */
  const double sh[6] = {0, 0, 0, 70, 0, 0};
  CHECK_CLOSE(fm_signed_von_mises(sh), 70.0 * S3, 1e-14, 0);
  CHECK_CLOSE(fm_signed_max_principal(sh), 70.0, 1e-12, 0);
}

static void cycles(void) {
  /* four states; the largest von Mises of a difference is between states 1
   * (sxx = 300) and 3 (sxx = -200): 500 (states 1 and 2 differ by only
   * sqrt(300^2 + 3 * 60^2) = 317.5) */
  const double s[24] = {50, 0, 0, 0,  0, 0, 300,  0, 0, 0, 0, 0,
                        0,  0, 0, 60, 0, 0, -200, 0, 0, 0, 0, 0};
  FmFatigueCycle cy;
  CHECK(fm_fatigue_cycle_states(s, 4, &cy) == 0, "%s", fm_error_message());
  CHECK(cy.i == 1 && cy.j == 3, "pair %d %d", cy.i, cy.j);
  CHECK_CLOSE(cy.sa[0], 250.0, 1e-15, 0);
  CHECK_CLOSE(cy.sm[0], 50.0, 1e-15, 0);
  CHECK_CLOSE(cy.sh_max, 100.0, 1e-15, 0); /* 300 / 3 */
  const FmFatigueMaterial m = material();
  double ns = INFINITY;
  for (int k = 0; k < 4; k++)
    ns = fmin(ns, fm_static_safety(&m, s + 6 * k));
  CHECK_CLOSE(ns, 800.0 / 300.0, 1e-14, 0);
  double Sa, Sm;
  fm_fatigue_equivalent(&cy, FM_EQ_SIGNED_MAX_PRINCIPAL, &Sa, &Sm);
  CHECK_CLOSE(Sa, 250.0, 1e-12, 0);
  CHECK_CLOSE(Sm, 50.0, 1e-12, 0);
  /* one state: no amplitude */
  CHECK(fm_fatigue_cycle_states(s + 6, 1, &cy) == 0, "one state");
  CHECK(fm_von_mises(cy.sa) == 0.0 && cy.sm[0] == 300.0, "one state");
  /* no state: error */
  fm_error_clear();
  CHECK(fm_fatigue_cycle_states(s, 0, &cy) != 0, "no state");
  CHECK(strstr(fm_error_message(), "at least one") != NULL, "%s",
        fm_error_message());
}

static void uniaxial_limit(void) {
  const FmFatigueMaterial m = material();
  CHECK(fm_fatigue_material_check(&m, "t153") == 0, "%s", fm_error_message());
  CHECK(fm_fatigue_check_multiaxial(&m, FM_MULTI_CROSSLAND, "t153") == 0, "%s",
        fm_error_message());
  /* fully reversed uniaxial +-300: both criteria give Sar = 300 exactly;
   * Crossland: (300/sqrt3 + (2 - sqrt3) * 100) / (2/3) = (173.205 + 26.795)
   * * 1.5 = 300 */
  const double s1[6] = {300, 0, 0, 0, 0, 0}, s2[6] = {-300, 0, 0, 0, 0, 0};
  FmFatigueCycle cy;
  fm_fatigue_cycle_pair(s1, s2, &cy);
  for (int c = 0; c < 2; c++) {
    const double Sar = fm_fatigue_sar_multiaxial(&m, (FmMultiaxial)c, &cy);
    CHECK_CLOSE(Sar, 300.0, 1e-12, 0);
    CHECK_CLOSE(fm_fatigue_life(&m, Sar), basquin_life(300.0), REL, 0);
    /* safety factor at Nd = 1e6 equals the uniaxial one, Sd / Sa */
    CHECK_CLOSE(fm_fatigue_safety_multiaxial(&m, (FmMultiaxial)c, &cy, 1e6),
                1000.0 * pow(2e6, -0.1) / 300.0, REL, 0);
  }
  /* with a mean (states 400 / -200): Sines reduces to Goodman, 337.5;
   * Crossland: 1.5 (300/sqrt3 + (2 - sqrt3) 400/3) = 150 sqrt3 + 400
   * - 200 sqrt3 = 400 - 50 sqrt3 = 313.397 */
  const double m1[6] = {400, 0, 0, 0, 0, 0}, m2[6] = {-200, 0, 0, 0, 0, 0};
  fm_fatigue_cycle_pair(m1, m2, &cy);
  CHECK_CLOSE(fm_fatigue_sar_multiaxial(&m, FM_MULTI_SINES, &cy), 337.5, REL,
              0);
  CHECK_CLOSE(fm_fatigue_sar_multiaxial(&m, FM_MULTI_CROSSLAND, &cy),
              400.0 - 50.0 * S3, REL, 0);
  CHECK_CLOSE(fm_fatigue_safety_multiaxial(&m, FM_MULTI_SINES, &cy, 1e6),
              fm_fatigue_safety(&m, FM_MEAN_GOODMAN, 300, 100, 1e6), REL, 0);
  /* compressive hydrostatic mean gets no credit (states -400 / 200) */
  const double c1[6] = {-400, 0, 0, 0, 0, 0}, c2[6] = {200, 0, 0, 0, 0, 0};
  fm_fatigue_cycle_pair(c1, c2, &cy);
  CHECK_CLOSE(fm_fatigue_sar_multiaxial(&m, FM_MULTI_SINES, &cy), 300.0, REL,
              0);
}

static void torsion_limit(void) {
  const FmFatigueMaterial m = material();
  const double Nd = 1e12; /* beyond the knee: f = Se = 150 */
  /* pure fully reversed torsion, tau = 50 */
  const double t1[6] = {0, 0, 0, 50, 0, 0}, t2[6] = {0, 0, 0, -50, 0, 0};
  FmFatigueCycle cy;
  fm_fatigue_cycle_pair(t1, t2, &cy);
  CHECK_CLOSE(cy.sh_max, 0.0, 0, 1);
  /* Crossland: Sar = tau / lambda = 75, the torsion limit is St = 100:
   * n = St / tau = 2 */
  CHECK_CLOSE(fm_fatigue_sar_multiaxial(&m, FM_MULTI_CROSSLAND, &cy), 75.0,
              1e-12, 0);
  CHECK_CLOSE(fm_fatigue_safety_multiaxial(&m, FM_MULTI_CROSSLAND, &cy, Nd),
              2.0, 1e-12, 0);
  /* Sines: Sar = sqrt3 tau, the torsion limit is Se/sqrt3 = 86.603:
   * n = 150 / (sqrt3 * 50) = sqrt3 */
  CHECK_CLOSE(fm_fatigue_sar_multiaxial(&m, FM_MULTI_SINES, &cy), 50.0 * S3,
              1e-12, 0);
  CHECK_CLOSE(fm_fatigue_safety_multiaxial(&m, FM_MULTI_SINES, &cy, Nd), S3,
              1e-12, 0);
  /* exactly at tau = St: Crossland on the endurance limit (infinite life),
   * slightly above: finite */
  const double u1[6] = {0, 0, 0, 100, 0, 0}, u2[6] = {0, 0, 0, -100, 0, 0};
  fm_fatigue_cycle_pair(u1, u2, &cy);
  const double Sar = fm_fatigue_sar_multiaxial(&m, FM_MULTI_CROSSLAND, &cy);
  CHECK_CLOSE(Sar, 150.0, 1e-12, 0);
  CHECK(isinf(fm_fatigue_life(&m, Sar * (1 - 1e-12))), "tau = St");
  CHECK(!isinf(fm_fatigue_life(&m, Sar * 1.01)), "tau > St");
  /* the constants in the sqrt(J2) form: beta is the torsion limit */
  double alpha, beta;
  fm_fatigue_multiaxial_constants(&m, FM_MULTI_CROSSLAND, Nd, &alpha, &beta);
  CHECK_CLOSE(alpha, 2.0 - S3, 1e-12, 0);
  CHECK_CLOSE(beta, 100.0, 1e-12, 0);
  fm_fatigue_multiaxial_constants(&m, FM_MULTI_SINES, Nd, &alpha, &beta);
  CHECK_CLOSE(alpha, 150.0 / (S3 * 900.0), 1e-12, 0);
  CHECK_CLOSE(beta, 150.0 / S3, 1e-12, 0);
}

/* rotation Q (orthonormal) applied to a Voigt stress: Q s Q^T */
static void rotate(double Q[3][3], const double v[6], double out[6]) {
  const double S[3][3] = {
      {v[0], v[3], v[5]}, {v[3], v[1], v[4]}, {v[5], v[4], v[2]}};
  double R[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++) {
      R[i][j] = 0;
      for (int k = 0; k < 3; k++)
        for (int l = 0; l < 3; l++)
          R[i][j] += Q[i][k] * S[k][l] * Q[j][l];
    }
  out[0] = R[0][0];
  out[1] = R[1][1];
  out[2] = R[2][2];
  out[3] = R[0][1];
  out[4] = R[1][2];
  out[5] = R[0][2];
}

static void general_states(void) {
  const FmFatigueMaterial m = material();
  const double Nd = 1e6;
  /* a multiaxial cycle with mean stress */
  const double s1[6] = {200, 50, -30, 80, 10, 0};
  const double s2[6] = {-100, 20, 10, -40, 0, 30};
  FmFatigueCycle cy, cyn, cyr;
  fm_fatigue_cycle_pair(s1, s2, &cy);
  /* a rotation: axis (1, 2, 2)/3 by 0.7 rad (Rodrigues) */
  const double a[3] = {1.0 / 3, 2.0 / 3, 2.0 / 3}, th = 0.7;
  const double c = cos(th), s = sin(th);
  double Q[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      Q[i][j] = (i == j ? c : 0) + (1 - c) * a[i] * a[j];
  Q[0][1] -= s * a[2], Q[1][0] += s * a[2];
  Q[0][2] += s * a[1], Q[2][0] -= s * a[1];
  Q[1][2] -= s * a[0], Q[2][1] += s * a[0];
  double r1[6], r2[6];
  rotate(Q, s1, r1);
  rotate(Q, s2, r2);
  fm_fatigue_cycle_pair(r1, r2, &cyr);
  for (int k = 0; k < 2; k++) {
    const FmMultiaxial crit = (FmMultiaxial)k;
    /* invariance under rotation */
    CHECK_CLOSE(fm_fatigue_sar_multiaxial(&m, crit, &cyr),
                fm_fatigue_sar_multiaxial(&m, crit, &cy), 1e-12, 0);
    /* safety factor: the states scaled by n live exactly Nd, and the
     * criterion in its sqrt(J2) form holds with equality */
    const double n = fm_fatigue_safety_multiaxial(&m, crit, &cy, Nd);
    double n1[6], n2[6];
    scale(s1, n, n1);
    scale(s2, n, n2);
    fm_fatigue_cycle_pair(n1, n2, &cyn);
    const double Sar = fm_fatigue_sar_multiaxial(&m, crit, &cyn);
    CHECK_CLOSE(fm_fatigue_life(&m, Sar), Nd, 1e-9, 0);
    double alpha, beta;
    fm_fatigue_multiaxial_constants(&m, crit, Nd, &alpha, &beta);
    const double j2a = fm_von_mises(cyn.sa) / S3;
    const double hyd =
        crit == FM_MULTI_SINES
            ? 1.5 * (cyn.sh_max + cyn.sh_min) /* 3 sh,mean = I1(sm) */
            : cyn.sh_max;
    CHECK_CLOSE(j2a + alpha * hyd, beta, 1e-9, 0);
  }
}

/* The max-principal mean is the normal mean on the plane of the largest
 * principal amplitude (Socie & Marquis 2000), not sm's largest principal
 * in whatever direction: states (-300, 500, 0) and (-300, -100, 0) cycle
 * y by 300 about +200, while x holds -300 steady. */
static void mean_on_amplitude_plane(void) {
  const FmFatigueMaterial m = material();
  const double Nd = 1e6;
  const double s1[6] = {-300, 500, 0, 0, 0, 0},
               s2[6] = {-300, -100, 0, 0, 0, 0};
  FmFatigueCycle cy;
  fm_fatigue_cycle_pair(s1, s2, &cy);
  double Sa, Sm;
  fm_fatigue_equivalent(&cy, FM_EQ_SIGNED_MAX_PRINCIPAL, &Sa, &Sm);
  CHECK_CLOSE(Sa, 300.0, 1e-12, 0);
  CHECK_CLOSE(Sm, 200.0, 1e-12, 0); /* was -300: no mean correction */
  /* Goodman at Nd: 1/n = 300/Sd + 200/900 */
  const double Sd = fm_fatigue_strength(&m, Nd);
  CHECK_CLOSE(fm_fatigue_safety(&m, FM_MEAN_GOODMAN, Sa, Sm, Nd),
              1.0 / (300.0 / Sd + 200.0 / 900.0), 1e-12, 0);
  /* rotated: the same mean (the plane turns with the states) */
  const double a[3] = {2.0 / 3, -1.0 / 3, 2.0 / 3}, th = 1.1;
  const double c = cos(th), sn = sin(th);
  double Q[3][3];
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      Q[i][j] = (i == j ? c : 0) + (1 - c) * a[i] * a[j];
  Q[0][1] -= sn * a[2], Q[1][0] += sn * a[2];
  Q[0][2] += sn * a[1], Q[2][0] -= sn * a[1];
  Q[1][2] -= sn * a[0], Q[2][1] += sn * a[0];
  double r1[6], r2[6];
  rotate(Q, s1, r1);
  rotate(Q, s2, r2);
  FmFatigueCycle cyr;
  fm_fatigue_cycle_pair(r1, r2, &cyr);
  double Sar_, Smr;
  fm_fatigue_equivalent(&cyr, FM_EQ_SIGNED_MAX_PRINCIPAL, &Sar_, &Smr);
  CHECK_CLOSE(Sar_, 300.0, 1e-12, 0);
  CHECK_CLOSE(Smr, 200.0, 1e-9, 0);
  /* equal principal amplitudes in x and y: the largest mean on that plane
   * (conservative), here 50 in y, not x's -100 nor z's 400 */
  const double sa2[6] = {300, 300, 0, 0, 0, 0},
               sm2[6] = {-100, 50, 400, 0, 0, 0};
  CHECK_CLOSE(fm_mean_on_amplitude_plane(sa2, sm2), 50.0, 1e-12, 0);
  /* the plane's mean as a 2x2 problem: sm2b has xy shear 60 on it, so its
   * largest normal mean there is 0.5(-100+50) + sqrt(75^2 + 60^2) */
  const double sm2b[6] = {-100, 50, 400, 60, 0, 0};
  CHECK_CLOSE(fm_mean_on_amplitude_plane(sa2, sm2b),
              -25.0 + sqrt(75.0 * 75.0 + 60.0 * 60.0), 1e-12, 0);
  /* +300 in x, -300 in y: two planes apart (not their span): y's 80 */
  const double sa3[6] = {300, -300, 0, 0, 0, 0},
               sm3[6] = {-100, 80, 400, 0, 0, 0};
  CHECK_CLOSE(fm_mean_on_amplitude_plane(sa3, sm3), 80.0, 1e-12, 0);
  /* no amplitude: sm's largest principal */
  const double z[6] = {0, 0, 0, 0, 0, 0};
  CHECK_CLOSE(fm_mean_on_amplitude_plane(z, sm3), 400.0, 1e-12, 0);
}

/* Sines' hydrostatic mean is over all the cycle's states: -300 and +300
 * axial (the longest chord, I1(sm) = 0) and 200 I (sigma_h = 200):
 * sigma_h,mean = (200 + (-100)) / 2 = 50 */
static void sines_mean_over_states(void) {
  const FmFatigueMaterial m = material();
  const double Nd = 1e6;
  const double s[18] = {-300, 0, 0, 0,   0,   0,   300, 0, 0,
                        0,    0, 0, 200, 200, 200, 0,   0, 0};
  FmFatigueCycle cy;
  CHECK(fm_fatigue_cycle_states(s, 3, &cy) == 0, "%s", fm_error_message());
  CHECK(cy.i == 0 && cy.j == 1, "pair %d %d", cy.i, cy.j);
  CHECK_CLOSE(cy.sh_min, -100.0, 1e-15, 0);
  CHECK_CLOSE(cy.sh_max, 200.0, 1e-15, 0);
  CHECK_CLOSE(fm_fatigue_sar_multiaxial(&m, FM_MULTI_SINES, &cy),
              300.0 / (1.0 - 150.0 / 900.0), 1e-12, 0);
  const double Sd = fm_fatigue_strength(&m, Nd);
  CHECK_CLOSE(fm_fatigue_safety_multiaxial(&m, FM_MULTI_SINES, &cy, Nd),
              1.0 / (300.0 / Sd + 150.0 / 900.0), 1e-12, 0);
}

/* A stress that is not a number is never safe: every result NaN */
static void not_a_number(void) {
  const FmFatigueMaterial m = material();
  const double s[12] = {400, 0, 0, 0, 0, 0, NAN, 0, 0, 0, 0, 0};
  FmFatigueCycle cy;
  CHECK(fm_fatigue_cycle_states(s, 2, &cy) == 0, "%s", fm_error_message());
  CHECK(isnan(cy.sa[0]) && isnan(cy.sm[0]) && isnan(cy.sh_max),
        "a NaN state left a number in the cycle");
  CHECK(isnan(fm_static_safety(&m, s + 6)), "static safety");
  for (int eq = 0; eq < 2; eq++) {
    double Sa, Sm;
    fm_fatigue_equivalent(&cy, (FmEquivalent)eq, &Sa, &Sm);
    CHECK(isnan(Sa) && isnan(Sm), "equivalent %d: %g %g", eq, Sa, Sm);
    for (int c = 0; c <= FM_MEAN_SWT; c++) {
      CHECK(isnan(fm_fatigue_sar(&m, (FmMeanCorrection)c, Sa, Sm)),
            "sar, correction %d", c);
      CHECK(isnan(fm_fatigue_safety(&m, (FmMeanCorrection)c, Sa, Sm, 1e6)),
            "safety, correction %d", c);
    }
  }
  CHECK(isnan(fm_fatigue_sar(&m, FM_MEAN_SWT, 300, NAN)), "SWT, NaN mean");
  CHECK(isnan(fm_fatigue_safety(&m, FM_MEAN_GOODMAN, NAN, 100, 1e6)),
        "Goodman, NaN amplitude");
  for (int c = 0; c < 2; c++) {
    CHECK(isnan(fm_fatigue_sar_multiaxial(&m, (FmMultiaxial)c, &cy)),
          "multiaxial sar %d", c);
    CHECK(isnan(fm_fatigue_safety_multiaxial(&m, (FmMultiaxial)c, &cy, 1e6)),
          "multiaxial safety %d", c);
  }
  CHECK(isnan(fm_fatigue_life(&m, fm_fatigue_sar_multiaxial(&m, 0, &cy))),
        "life");
  /* an infinity likewise */
  const double inf[12] = {400, 0, 0, 0, 0, 0, 0, INFINITY, 0, 0, 0, 0};
  fm_fatigue_cycle_pair(inf, inf + 6, &cy);
  CHECK(isnan(fm_static_safety(&m, inf + 6)), "infinite state: static");
  CHECK(isnan(fm_fatigue_safety_multiaxial(&m, FM_MULTI_SINES, &cy, 1e6)),
        "infinite state: Sines");
}

/* Static criteria on hand-worked states.  Coulomb-Mohr for brittle
 * materials (Budynas & Nisbett, Shigley's Mechanical Engineering Design,
 * 10th ed., ch. 5, brittle Coulomb-Mohr; its pure-shear strength
 * St Sc / (St + Sc) follows from the criterion with s1 = -s3 = tau),
 * with cortical bone's strengths (Reilly & Burstein 1975: tension 133,
 * compression 193 MPa). */
static void static_criteria(void) {
  FmFatigueMaterial m = material();
  const double vm[6] = {100, 0, 0, 40, 0, 0}; /* vm = sqrt(100^2 + 3 40^2) */
  CHECK_CLOSE(fm_static_safety(&m, vm), 800.0 / sqrt(14800.0), 1e-14, 0);
  const double hyd[6] = {100, 100, 100, 0, 0, 0};
  CHECK(isinf(fm_static_safety(&m, hyd)), "von Mises: hydrostatic state");
  m.Sy = m.Su = 133;
  m.Suc = 193;
  m.Se = 50; /* below Su */
  m.St = 0;
  m.stat = FM_STATIC_COULOMB_MOHR;
  CHECK(fm_fatigue_material_check(&m, "t") == 0, "%s", fm_error_message());
  const double zero[6] = {0, 0, 0, 0, 0, 0};
  CHECK(isinf(fm_static_safety(&m, zero)), "no stress");
  /* uniaxial: the tension strength, the compression strength */
  const double ten[6] = {50, 0, 0, 0, 0, 0}, com[6] = {0, -50, 0, 0, 0, 0};
  CHECK_CLOSE(fm_static_safety(&m, ten), 133.0 / 50, 1e-14, 0);
  CHECK_CLOSE(fm_static_safety(&m, com), 193.0 / 50, 1e-14, 0);
  /* pure shear (in xz): the shear strength 133 193 / 326 = 78.74 */
  const double sh[6] = {0, 0, 0, 0, 0, 30};
  CHECK_CLOSE(fm_static_safety(&m, sh), 133.0 * 193 / 326 / 30, 1e-12, 0);
  /* hydrostatic tension (von Mises: infinitely safe), biaxial tension and
   * triaxial compression: the largest principal in tension, the smallest
   * in compression alone */
  CHECK_CLOSE(fm_static_safety(&m, hyd), 1.33, 1e-12, 0);
  const double bi[6] = {40, 80, 0, 0, 0, 0};
  CHECK_CLOSE(fm_static_safety(&m, bi), 133.0 / 80, 1e-12, 0);
  const double tri[6] = {-100, -150, -50, 0, 0, 0};
  CHECK_CLOSE(fm_static_safety(&m, tri), 193.0 / 150, 1e-12, 0);
  /* a general state: principal (120, 10, -60) rotated about z by 30 deg,
   * then about x by 45 deg (s = R diag R^T) */
  const double p[3] = {120, 10, -60};
  double gen[6];
  test_rotated_stress(p, gen);
  CHECK_CLOSE(fm_static_safety(&m, gen), 1.0 / (120.0 / 133 + 60.0 / 193),
              1e-12, 0);
  /* NaN in, NaN out */
  const double bad[6] = {0, NAN, 0, 0, 0, 0};
  CHECK(isnan(fm_static_safety(&m, bad)), "NaN state");
  /* Coulomb-Mohr without a compressive strength is refused */
  m.Suc = 0;
  CHECK(fm_fatigue_material_check(&m, "t") != 0 &&
            strstr(fm_error_message(), "static_criterion"),
        "no Su_compression: %s", fm_error_message());
  m.Suc = -5;
  m.stat = FM_STATIC_VON_MISES;
  CHECK(fm_fatigue_material_check(&m, "t") != 0 &&
            strstr(fm_error_message(), "Su_compression"),
        "negative Su_compression: %s", fm_error_message());
}

static void crossland_needs_torsion(void) {
  FmFatigueMaterial m = material();
  m.St = 0;
  CHECK(fm_fatigue_material_check(&m, "lib.yaml") == 0, "St optional");
  fm_error_clear();
  CHECK(fm_fatigue_check_multiaxial(&m, FM_MULTI_CROSSLAND, "lib.yaml") != 0,
        "Crossland without St");
  CHECK(strstr(fm_error_message(), "lib.yaml: materials.bar.fatigue.St:") ==
            fm_error_message(),
        "%s", fm_error_message());
  CHECK(fm_fatigue_check_multiaxial(&m, FM_MULTI_SINES, "lib.yaml") == 0,
        "Sines needs no St");
}

int main(void) {
  signed_equivalents();
  cycles();
  uniaxial_limit();
  torsion_limit();
  general_states();
  crossland_needs_torsion();
  mean_on_amplitude_plane();
  sines_mean_over_states();
  not_a_number();
  static_criteria();
  TEST_END();
}
