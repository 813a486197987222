/* Fatigue, uniaxial: a bar under a known alternating and mean stress.
 * Goodman, Gerber, Soderberg, Smith-Watson-Topper and plain Basquin lives
 * against hand calculation; safety factors at a design life (closed form and
 * the defining property N(n * state) = N_d); compressive and failing means;
 * the endurance limit with a surface factor; Miner sums; the uniaxial tensor
 * path (cycle -> equivalent stresses -> life) giving the same answers.
 *
 * Material (made-up round numbers, chosen for hand arithmetic):
 *   Basquin Sf' = 1000 MPa, b = -0.1, so N = 0.5 (Sar / 1000)^(-10)
 *   Su = 900 MPa, Sy = 800 MPa, k_surf = 1, no endurance limit.
 * Load: Sa = 300 MPa, Sm = 100 MPa (Smax = 400, Smin = -200). */
#include "error.h"
#include "fatigue.h"
#include "test_util.h"

#define REL 1e-6   /* hand values against the library */
#define EXACT 1e-9 /* defining properties (life at the safety factor) */

static FmFatigueMaterial bar_material(void) {
  FmFatigueMaterial m = {0};
  m.name = "bar";
  m.source = "test values";
  m.Sy = 800;
  m.Su = 900;
  m.sn = FM_SN_BASQUIN;
  m.Sf = 1000;
  m.b = -0.1;
  m.k_surf = 1;
  m.R = -1;
  return m;
}

/* N = 0.5 (Sar / Sf')^(1/b) = 0.5 (1000 / Sar)^10 */
static double hand_life(double Sar) {
  return 0.5 * pow(1000.0 / Sar, 10);
}

static void lives(void) {
  const FmFatigueMaterial m = bar_material();
  CHECK(fm_fatigue_material_check(&m, "t151") == 0, "%s", fm_error_message());
  const double Sa = 300, Sm = 100;

  /* Basquin, no mean correction: Sar = 300,
   * N = 0.5 (1000/300)^10 = 0.5 * 1e10 / 3^10 = 0.5 * 1e10 / 59049
   *   = 84675.439... */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_NONE, Sa, Sm), 300.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_life(&m, 300.0), 0.5 * 1e10 / 59049.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_life(&m, 300.0), 84675.43904215, REL, 0);

  /* Goodman: Sar = 300 / (1 - 100/900) = 300 / (8/9) = 337.5,
   * N = 0.5 (1000/337.5)^10 = 0.5 (80/27)^10 = 26075.475... */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_GOODMAN, Sa, Sm), 337.5, REL, 0);
  CHECK_CLOSE(fm_fatigue_life(&m, 337.5), 0.5 * pow(80.0 / 27.0, 10), REL, 0);
  CHECK_CLOSE(fm_fatigue_life(&m, 337.5), 26075.47525423, REL, 0);

  /* Gerber: Sar = 300 / (1 - (100/900)^2) = 300 / (80/81) = 303.75,
   * N = 0.5 (1000/303.75)^10 = 0.5 (800/243)^10 = 74783.732... */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_GERBER, Sa, Sm), 303.75, REL, 0);
  CHECK_CLOSE(fm_fatigue_life(&m, 303.75), 0.5 * pow(800.0 / 243.0, 10), REL,
              0);
  CHECK_CLOSE(fm_fatigue_life(&m, 303.75), 74783.73267574, REL, 0);

  /* Soderberg: Sar = 300 / (1 - 100/800) = 300 / (7/8) = 2400/7
   * = 342.857..., N = 0.5 (7000/2400)^10 = 0.5 (35/12)^10 = 22276.039... */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_SODERBERG, Sa, Sm), 2400.0 / 7.0, REL,
              0);
  CHECK_CLOSE(fm_fatigue_life(&m, 2400.0 / 7.0), 0.5 * pow(35.0 / 12.0, 10),
              REL, 0);
  CHECK_CLOSE(fm_fatigue_life(&m, 2400.0 / 7.0), 22276.03991294, REL, 0);

  /* SWT: Smax = 100 + 300 = 400, Sar = sqrt(400 * 300) = sqrt(120000)
   * = 200 sqrt(3) = 346.410..., N = 0.5 (1000 / (200 sqrt 3))^10
   * = 0.5 (5/sqrt 3)^10 = 0.5 * 5^10 / 3^5 = 0.5 * 9765625 / 243
   * = 20093.878... */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_SWT, Sa, Sm), 200.0 * sqrt(3.0), REL,
              0);
  CHECK_CLOSE(fm_fatigue_life(&m, 200.0 * sqrt(3.0)), 0.5 * 9765625.0 / 243.0,
              REL, 0);
  CHECK_CLOSE(fm_fatigue_life(&m, 200.0 * sqrt(3.0)), 20093.87860082, REL, 0);

  /* strength is the inverse of life: S(N) = 1000 (2N)^-0.1 */
  CHECK_CLOSE(fm_fatigue_strength(&m, 84675.43904215), 300.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 0.5), 1000.0, REL, 0);
  CHECK(fabs(hand_life(300.0) - fm_fatigue_life(&m, 300.0)) <
            1e-9 * hand_life(300.0),
        "Basquin inversion");
}

/* Compressive and failing means. */
static void means(void) {
  const FmFatigueMaterial m = bar_material();
  /* Sm = -100: Goodman, Gerber, Soderberg give no credit (Sar = Sa = 300);
   * SWT: Smax = 200, Sar = sqrt(200 * 300) = sqrt(60000) = 244.948... */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_GOODMAN, 300, -100), 300.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_GERBER, 300, -100), 300.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_SODERBERG, 300, -100), 300.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_SWT, 300, -100), sqrt(60000.0), REL,
              0);
  /* Sm = -400: Smax = -100 <= 0, SWT predicts no damage */
  CHECK(fm_fatigue_sar(&m, FM_MEAN_SWT, 300, -400) == 0.0, "SWT Smax < 0");
  CHECK(isinf(fm_fatigue_life(&m, fm_fatigue_sar(&m, FM_MEAN_SWT, 300, -400))),
        "SWT Smax < 0 gives infinite life");
  CHECK(isinf(fm_fatigue_safety(&m, FM_MEAN_SWT, 300, -400, 1e6)),
        "SWT Smax < 0: no scaling fails");
  /* mean at / over the strength: Sar = +inf, life 0, never NaN */
  const FmMeanCorrection mc[3] = {FM_MEAN_GOODMAN, FM_MEAN_GERBER,
                                  FM_MEAN_SODERBERG};
  const double Sm_fail[3][3] = {
      {900, 950, 1e6}, {900, 1000, 1e6}, {800, 850, 1e6}};
  for (int c = 0; c < 3; c++)
    for (int k = 0; k < 3; k++)
      for (int a = 0; a < 2; a++) { /* also with zero amplitude */
        const double Sa = a ? 300.0 : 0.0;
        const double Sar = fm_fatigue_sar(&m, mc[c], Sa, Sm_fail[c][k]);
        const double N = fm_fatigue_life(&m, Sar);
        CHECK(isinf(Sar) && Sar > 0, "criterion %d Sm %g Sa %g: Sar = %g", c,
              Sm_fail[c][k], Sa, Sar);
        CHECK(N == 0.0, "criterion %d Sm %g Sa %g: N = %g", c, Sm_fail[c][k],
              Sa, N);
      }
  /* just below Su: finite and large Sar */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_GOODMAN, 300, 891), 300.0 / 0.01, REL,
              0);
  /* zero amplitude, zero mean: no damage, infinite safety */
  CHECK(isinf(fm_fatigue_life(&m, fm_fatigue_sar(&m, FM_MEAN_GOODMAN, 0, 0))),
        "no load");
  CHECK(isinf(fm_fatigue_safety(&m, FM_MEAN_GOODMAN, 0, -50, 1e6)),
        "no amplitude, compressive mean");
  /* zero amplitude, tensile mean: the static limit Su/Sm (Goodman, Gerber),
   * Sy/Sm (Soderberg) */
  CHECK_CLOSE(fm_fatigue_safety(&m, FM_MEAN_GOODMAN, 0, 300, 1e6), 3.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_safety(&m, FM_MEAN_GERBER, 0, 300, 1e6), 3.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_safety(&m, FM_MEAN_SODERBERG, 0, 200, 1e6), 4.0, REL,
              0);
}

/* Safety factors at the design life Nd = 1e6:
 *   Sd = S(Nd) = 1000 (2e6)^-0.1 = 234.367291... */
static void safety(void) {
  const FmFatigueMaterial m = bar_material();
  const double Nd = 1e6, Sa = 300, Sm = 100;
  const double Sd = 1000.0 * pow(2e6, -0.1);
  CHECK_CLOSE(Sd, 234.3672911592, 1e-10, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, Nd), Sd, REL, 0);
  /* closed forms written out:
   *   Goodman   1/n = Sa/Sd + Sm/Su = 300/234.367 + 100/900 -> n = 0.718828
   *   Soderberg 1/n = Sa/Sd + Sm/Sy = 300/234.367 + 100/800 -> n = 0.711722
   *   Gerber    (Sd (Sm/Su)^2) n^2 + Sa n - Sd = 0
   *             -> n = 2 Sd / (Sa + sqrt(Sa^2 + 4 Sd^2 (Sm/Su)^2)) = 0.775425
   *   SWT       n sqrt(Smax Sa) = Sd -> n = 234.367 / 346.410 = 0.676560
   *   none      n = Sd / Sa = 0.781224 */
  const double r = 100.0 / 900.0;
  const double want[5] = {
      Sd / 300.0, 1.0 / (300.0 / Sd + 100.0 / 900.0),
      2.0 * Sd / (300.0 + sqrt(300.0 * 300.0 + 4.0 * Sd * Sd * r * r)),
      1.0 / (300.0 / Sd + 100.0 / 800.0), Sd / sqrt(400.0 * 300.0)};
  const double want_num[5] = {0.7812243039, 0.7188280849, 0.7754250729,
                              0.7117224449, 0.6765600932};
  const FmMeanCorrection mc[5] = {FM_MEAN_NONE, FM_MEAN_GOODMAN, FM_MEAN_GERBER,
                                  FM_MEAN_SODERBERG, FM_MEAN_SWT};
  for (int c = 0; c < 5; c++) {
    const double n = fm_fatigue_safety(&m, mc[c], Sa, Sm, Nd);
    CHECK_CLOSE(n, want[c], REL, 0);
    CHECK_CLOSE(n, want_num[c], 1e-9, 0);
    /* defining property: the state scaled by n lives exactly Nd */
    const double N =
        fm_fatigue_life(&m, fm_fatigue_sar(&m, mc[c], n * Sa, n * Sm));
    CHECK_CLOSE(N, Nd, EXACT, 0);
    /* a mean-dominated state (n > 1) too */
    const double n2 = fm_fatigue_safety(&m, mc[c], 50, 250, Nd);
    CHECK(n2 > 1, "criterion %d: n = %g", c, n2);
    CHECK_CLOSE(
        fm_fatigue_life(&m, fm_fatigue_sar(&m, mc[c], n2 * 50, n2 * 250)), Nd,
        EXACT, 0);
  }
}

/* Endurance limit Se = 150 MPa at Ne = 1e7 (below the curve there:
 * 1000 (2e7)^-0.1 = 186.16), with and without k_surf = 0.5. */
static void endurance(void) {
  FmFatigueMaterial m = bar_material();
  m.Se = 150;
  m.Ne = 1e7;
  CHECK(fm_fatigue_material_check(&m, "t151") == 0, "%s", fm_error_message());
  CHECK(isinf(fm_fatigue_life(&m, 150.0)), "at Se: infinite life");
  CHECK(isinf(fm_fatigue_life(&m, 100.0)), "below Se: infinite life");
  CHECK(fm_fatigue_life(&m, 0.0) == FM_FATIGUE_INFINITE_LIFE, "zero load");
  /* just above Se: the Basquin curve, 0.5 (1000/151)^10 = 8.11336e7 */
  CHECK_CLOSE(fm_fatigue_life(&m, 151.0), 0.5 * pow(1000.0 / 151.0, 10), REL,
              0);
  /* beyond the knee the strength is Se */
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e12), 150.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e6), 1000.0 * pow(2e6, -0.1), REL, 0);
  /* k_surf = 0.5 scales curve and limit: infinite below 75 MPa;
   * at 76 MPa N = 0.5 (0.5 * 1000 / 76)^10 = 7.59511e7 */
  m.k_surf = 0.5;
  CHECK(isinf(fm_fatigue_life(&m, 75.0)), "k Se");
  CHECK_CLOSE(fm_fatigue_life(&m, 76.0), 0.5 * pow(500.0 / 76.0, 10), REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e12), 75.0, REL, 0);
  /* safety at an infinite-life design point: Goodman 1/n = Sa/(k Se) + Sm/Su
   * = 30/75 + 90/900 = 0.5 -> n = 2 */
  CHECK_CLOSE(fm_fatigue_safety(&m, FM_MEAN_GOODMAN, 30, 90, 1e12), 2.0, REL,
              0);
  /* and the scaled state sits on the limit: Sar = 60 / (1 - 180/900) = 75 */
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_GOODMAN, 60, 180), 75.0, REL, 0);
  CHECK(isinf(fm_fatigue_life(&m, 75.0)), "on the limit");
}

/* Miner's rule. */
static void miner(void) {
  /* blocks: 1e4 of 1e5, 2e4 of 1e5, 5e5 of infinite life:
   * D = 0.1 + 0.2 + 0 = 0.3 */
  const double n[3] = {1e4, 2e4, 5e5}, N[3] = {1e5, 1e5, HUGE_VAL};
  CHECK_CLOSE(fm_miner_sum(3, n, N), 0.3, 1e-14, 0);
  CHECK(fm_miner_sum(0, n, N) == 0.0, "no blocks");
  CHECK(fm_miner_block(5e5, FM_FATIGUE_INFINITE_LIFE) == 0.0, "infinite");
  CHECK(fm_miner_block(0, 0) == 0.0, "no cycles, no damage (not NaN)");
  CHECK(isinf(fm_miner_block(1, 0)), "life 0: failure");
  /* with lives from the bar: 1e4 cycles of the Goodman state (N = 26075.475)
   * and 5e4 of the plain state (N = 84675.439):
   * D = 1e4/26075.475 + 5e4/84675.439 = 0.383501 + 0.590490 = 0.973991 */
  const FmFatigueMaterial m = bar_material();
  const double nn[2] = {1e4, 5e4};
  const double NN[2] = {
      fm_fatigue_life(&m, fm_fatigue_sar(&m, FM_MEAN_GOODMAN, 300, 100)),
      fm_fatigue_life(&m, fm_fatigue_sar(&m, FM_MEAN_NONE, 300, 100))};
  CHECK_CLOSE(fm_miner_sum(2, nn, NN),
              1e4 / (0.5 * pow(80.0 / 27.0, 10)) + 5e4 / (0.5 * 1e10 / 59049.0),
              REL, 0);
}

/* The same bar through the tensor path: states sigma_xx = 400 and -200. */
static void tensor_path(void) {
  const FmFatigueMaterial m = bar_material();
  const double s1[6] = {400, 0, 0, 0, 0, 0}, s2[6] = {-200, 0, 0, 0, 0, 0};
  FmFatigueCycle cy;
  fm_fatigue_cycle_pair(s1, s2, &cy);
  CHECK_CLOSE(cy.sa[0], 300.0, 1e-15, 0);
  CHECK_CLOSE(cy.sm[0], 100.0, 1e-15, 0);
  for (int eq = 0; eq < 2; eq++) {
    double Sa, Sm;
    fm_fatigue_equivalent(&cy, (FmEquivalent)eq, &Sa, &Sm);
    CHECK_CLOSE(Sa, 300.0, 1e-12, 0);
    CHECK_CLOSE(Sm, 100.0, 1e-12, 0);
    CHECK_CLOSE(
        fm_fatigue_life(&m, fm_fatigue_sar(&m, FM_MEAN_GOODMAN, Sa, Sm)),
        0.5 * pow(80.0 / 27.0, 10), REL, 0);
  }
  /* static safety: Sy / max vm = 800 / 400 */
  CHECK_CLOSE(fmin(fm_static_safety(&m, s1), fm_static_safety(&m, s2)), 2.0,
              1e-14, 0);
  /* compressive mean through the tensor path: states -400 and +200 give
   * Sm = -100 with a negative signed von Mises */
  const double c1[6] = {-400, 0, 0, 0, 0, 0}, c2[6] = {200, 0, 0, 0, 0, 0};
  fm_fatigue_cycle_pair(c1, c2, &cy);
  double Sa, Sm;
  fm_fatigue_equivalent(&cy, FM_EQ_SIGNED_VON_MISES, &Sa, &Sm);
  CHECK_CLOSE(Sa, 300.0, 1e-12, 0);
  CHECK_CLOSE(Sm, -100.0, 1e-12, 0);
  CHECK_CLOSE(fm_fatigue_sar(&m, FM_MEAN_GOODMAN, Sa, Sm), 300.0, REL, 0);
}

int main(void) {
  lives();
  means();
  safety();
  endurance();
  miner();
  tensor_path();
  TEST_END();
}
