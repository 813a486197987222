/* Fatigue, material checks: every fault gives one line
 *   "<file>: materials.<name>.fatigue.<item>: <fault>"
 * and a non-zero return; a good material passes. */
#include "error.h"
#include "fatigue.h"
#include "test_util.h"

#include <string.h>

static FmFatigueMaterial good(void) {
  FmFatigueMaterial m = {0};
  m.name = "ti64";
  m.Sy = 825;
  m.Su = 895;
  m.sn = FM_SN_TABLE;
  m.sn_n = 2;
  m.sn_N[0] = 1e3, m.sn_S[0] = 805.5;
  m.sn_N[1] = 1e7, m.sn_S[1] = 550;
  m.Se = 550;
  m.Ne = 1e7;
  m.k_surf = 1;
  m.R = -1;
  return m;
}

/* m must fail with a message that starts with prefix and contains part */
static void expect(const FmFatigueMaterial *m, const char *prefix,
                   const char *part, const char *what) {
  fm_error_clear();
  const int ierr = fm_fatigue_material_check(m, "lib.yaml");
  const char *msg = fm_error_message();
  CHECK(ierr != 0, "%s: accepted", what);
  CHECK(strncmp(msg, prefix, strlen(prefix)) == 0, "%s: '%s' lacks '%s'", what,
        msg, prefix);
  CHECK(strstr(msg, part) != NULL, "%s: '%s' lacks '%s'", what, msg, part);
  CHECK(strchr(msg, '\n') == NULL, "%s: more than one line", what);
}

int main(void) {
  FmFatigueMaterial m = good();
  CHECK(fm_fatigue_material_check(&m, "lib.yaml") == 0, "%s",
        fm_error_message());

  m = good();
  m.Sy = -5;
  expect(&m, "lib.yaml: materials.ti64.fatigue.Sy: ", "got -5",
         "negative yield");
  m = good();
  m.Su = 0;
  expect(&m, "lib.yaml: materials.ti64.fatigue.Su: ", "> 0", "zero Su");
  m = good();
  m.Su = NAN;
  expect(&m, "lib.yaml: materials.ti64.fatigue.Su: ", "finite", "NaN Su");
  m = good();
  m.Sy = 900;
  expect(&m, "lib.yaml: materials.ti64.fatigue.Sy: ", "exceeds", "Sy > Su");
  m = good();
  m.k_surf = 0;
  expect(&m, "lib.yaml: materials.ti64.fatigue.k_surf: ", "(0, 1]", "k_surf 0");
  m = good();
  m.k_surf = 1.2;
  expect(&m, "lib.yaml: materials.ti64.fatigue.k_surf: ", "got 1.2",
         "k_surf > 1");
  m = good();
  m.R = 0;
  expect(&m, "lib.yaml: materials.ti64.fatigue.R: ", "R = -1", "R = 0 data");
  /* S-N table: amplitude rising, cycles not increasing, too short */
  m = good();
  m.sn_S[1] = 900;
  expect(&m,
         "lib.yaml: materials.ti64.fatigue.sn_table[1]: ", "must not increase",
         "non-monotone amplitude");
  m = good();
  m.sn_n = 3;
  m.sn_N[2] = 1e7, m.sn_S[2] = 500;
  expect(&m,
         "lib.yaml: materials.ti64.fatigue.sn_table[2]: ", "increase strictly",
         "repeated cycle count");
  m = good();
  m.sn_n = 1;
  expect(&m, "lib.yaml: materials.ti64.fatigue.sn_table: ", "2 to",
         "one point");
  m = good();
  m.sn_S[1] = 805.5;
  m.Se = 0;
  expect(&m, "lib.yaml: materials.ti64.fatigue.sn_table[1]: ", "first segment",
         "flat first segment");
  m = good();
  m.sn_N[0] = -1;
  expect(&m, "lib.yaml: materials.ti64.fatigue.sn_table[0]: ", "cycles",
         "negative cycles");
  /* Basquin */
  m = good();
  m.sn = FM_SN_BASQUIN;
  m.Sf = 1200;
  m.b = 0;
  m.Se = 0;
  expect(&m, "lib.yaml: materials.ti64.fatigue.basquin.b: ", "< 0", "b = 0");
  m.b = 0.1;
  expect(&m, "lib.yaml: materials.ti64.fatigue.basquin.b: ", "< 0", "b > 0");
  m.b = -0.1;
  m.Sf = -1200;
  expect(&m, "lib.yaml: materials.ti64.fatigue.basquin.Sf: ", "> 0",
         "negative Sf");
  /* endurance limit */
  m = good();
  m.Se = 1000;
  expect(&m, "lib.yaml: materials.ti64.fatigue.Se: ", "exceeds", "Se > Su");
  m = good();
  m.Se = -1;
  expect(&m, "lib.yaml: materials.ti64.fatigue.Se: ", ">= 0", "Se < 0");
  m = good();
  m.Ne = 0;
  expect(&m, "lib.yaml: materials.ti64.fatigue.Ne: ", "> 0", "Ne 0");
  m = good();
  m.Se = 600; /* the curve gives 550 at 1e7 */
  expect(&m, "lib.yaml: materials.ti64.fatigue.Se: ", "above the S-N curve",
         "Se above the curve");
  /* torsion limit */
  m = good();
  m.St = 600;
  expect(&m, "lib.yaml: materials.ti64.fatigue.St: ", "between", "St > Se");
  m.St = 300; /* < 550 / sqrt(3) = 317.5 */
  expect(&m, "lib.yaml: materials.ti64.fatigue.St: ", "between",
         "St < Se/sqrt3");
  m.St = 330;
  CHECK(fm_fatigue_material_check(&m, "lib.yaml") == 0, "%s",
        fm_error_message());
  /* the name falls back when missing */
  m = good();
  m.name = NULL;
  m.Sy = -1;
  expect(&m, "lib.yaml: materials.(unnamed).fatigue.Sy: ", "got -1", "no name");
  TEST_END();
}
