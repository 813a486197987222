/* Fatigue, tabulated S-N curves: log-log interpolation exact at the table
 * points and between them, extrapolation of the end segments, plateaus
 * (run-out), the endurance limit and k_surf on a table, and the safety
 * factor on a table curve. */
#include "error.h"
#include "fatigue.h"
#include "test_util.h"

#define REL 1e-12

static FmFatigueMaterial table_material(int n, const double *N,
                                        const double *S) {
  FmFatigueMaterial m = {0};
  m.name = "tab";
  m.Sy = 800;
  m.Su = 900;
  m.sn = FM_SN_TABLE;
  m.sn_n = n;
  for (int i = 0; i < n; i++) {
    m.sn_N[i] = N[i];
    m.sn_S[i] = S[i];
  }
  m.k_surf = 1;
  m.R = -1;
  return m;
}

static void interpolation(void) {
  /* (1e3, 800), (1e5, 400), (1e7, 300): halving the stress from 800 to 400
   * multiplies the life by 100 (slope log N / log S = 2 / log10(1/2)). */
  const double N[3] = {1e3, 1e5, 1e7}, S[3] = {800, 400, 300};
  FmFatigueMaterial m = table_material(3, N, S);
  CHECK(fm_fatigue_material_check(&m, "t152") == 0, "%s", fm_error_message());
  for (int i = 0; i < 3; i++) { /* exact at the points, both ways */
    CHECK_CLOSE(fm_fatigue_life(&m, S[i]), N[i], REL, 0);
    CHECK_CLOSE(fm_fatigue_strength(&m, N[i]), S[i], REL, 0);
  }
  /* between: the geometric means map onto each other,
   * S = sqrt(800 * 400) = 565.685 <-> N = sqrt(1e3 * 1e5) = 1e4 */
  CHECK_CLOSE(fm_fatigue_life(&m, sqrt(800.0 * 400.0)), 1e4, REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e4), sqrt(800.0 * 400.0), REL, 0);
  /* second segment, a quarter of the way in log N: N = 1e5 * 100^0.25
   * = 1e5 * sqrt(10); S = 400 (300/400)^0.25 = 372.242 */
  const double Sq = 400.0 * pow(0.75, 0.25);
  CHECK_CLOSE(fm_fatigue_life(&m, Sq), 1e5 * sqrt(10.0), REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e5 * sqrt(10.0)), Sq, REL, 0);
  /* above the first point: first segment extended, 1600 MPa -> 10 cycles */
  CHECK_CLOSE(fm_fatigue_life(&m, 1600.0), 10.0, REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 10.0), 1600.0, REL, 0);
  /* below the last point, no endurance limit: last segment extended,
   * S = 300 (3/4) = 225 -> N = 1e7 * 100 = 1e9 */
  CHECK_CLOSE(fm_fatigue_life(&m, 225.0), 1e9, REL, 0);
  /* the endurance limit at the last point: infinite at and below */
  m.Se = 300;
  m.Ne = 1e7;
  CHECK(fm_fatigue_material_check(&m, "t152") == 0, "%s", fm_error_message());
  CHECK(isinf(fm_fatigue_life(&m, 300.0)), "at Se");
  CHECK(isinf(fm_fatigue_life(&m, 225.0)), "below Se");
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e9), 300.0, REL, 0);
  /* k_surf = 0.5 halves every amplitude of the curve */
  m.k_surf = 0.5;
  CHECK_CLOSE(fm_fatigue_life(&m, 200.0), 1e5, REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e4), 0.5 * sqrt(800.0 * 400.0), REL, 0);
  CHECK(isinf(fm_fatigue_life(&m, 150.0)), "k Se");
  /* safety factor on the table (Goodman, Nd = 1e4, Sd = 0.5 * 565.685):
   * N(n * state) = Nd */
  const double n = fm_fatigue_safety(&m, FM_MEAN_GOODMAN, 100, 50, 1e4);
  CHECK_CLOSE(1.0 / n, 100.0 / (0.5 * sqrt(800.0 * 400.0)) + 50.0 / 900.0, REL,
              0);
  CHECK_CLOSE(
      fm_fatigue_life(&m, fm_fatigue_sar(&m, FM_MEAN_GOODMAN, n * 100, n * 50)),
      1e4, 1e-9, 0);
}

static void plateaus(void) {
  /* a plateau in the middle and a flat (run-out) end:
   * (1e3, 800), (1e4, 500), (1e5, 500), (1e6, 200), (1e7, 200) */
  const double N[5] = {1e3, 1e4, 1e5, 1e6, 1e7},
               S[5] = {800, 500, 500, 200, 200};
  const FmFatigueMaterial m = table_material(5, N, S);
  CHECK(fm_fatigue_material_check(&m, "t152") == 0, "%s", fm_error_message());
  /* on a plateau the life is its right end (the largest N with S(N) >= s) */
  CHECK_CLOSE(fm_fatigue_life(&m, 500.0), 1e5, REL, 0);
  CHECK_CLOSE(fm_fatigue_strength(&m, 3e4), 500.0, REL, 0);
  /* just above the plateau: on the first segment, close to 1e4 */
  const double N501 = fm_fatigue_life(&m, 501.0);
  CHECK(N501 < 1e4 && N501 > 0.9e4, "N(501) = %g", N501);
  /* between the plateaus: (1e5, 500)-(1e6, 200), S = sqrt(500 * 200) = 316.2
   * -> N = sqrt(1e5 * 1e6) */
  CHECK_CLOSE(fm_fatigue_life(&m, sqrt(1e5)), sqrt(1e11), REL, 0);
  /* flat end: run-out, infinite life at and below 200 */
  CHECK(isinf(fm_fatigue_life(&m, 200.0)), "flat end");
  CHECK(isinf(fm_fatigue_life(&m, 150.0)), "below flat end");
  CHECK_CLOSE(fm_fatigue_strength(&m, 1e9), 200.0, REL, 0);
  /* N(S(N)) >= N everywhere (strength is the inverse of life) */
  const double probe[6] = {2e3, 1e4, 5e4, 2e5, 5e6, 1e8};
  for (int i = 0; i < 6; i++) {
    const double Nb = fm_fatigue_life(&m, fm_fatigue_strength(&m, probe[i]));
    CHECK(Nb >= probe[i] * (1 - 1e-12), "N(S(%g)) = %g", probe[i], Nb);
  }
}

int main(void) {
  interpolation();
  plateaus();
  TEST_END();
}
