/* Growth scenario: (1) zero growth equals the constant-load result times the
 * years, against the closed-form Goodman/Basquin damage of a bar in exact
 * uniaxial tension; (2) a second run resumes every finished step without
 * solving it again and gives the same numbers; (3) bad scenario input gets
 * one line naming the file and the item. */
#include "run_util.h"
#include "scenario.h"

#include <stdarg.h>

#include "fileio.h"

/* Writes path with text (printf style). */
static void put(const char *path, const char *fmt, ...) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fclose(f);
}

/* Runs scenario path in out; the number of steps resumed (-1: failed). */
static int resumed(const char *path, const char *out) {
  FmRunOptions opt = {out, NULL, 1, NULL};
  FmScenarioResult r;
  if (fm_scenario_run(PETSC_COMM_WORLD, path, &opt, &r)) {
    fprintf(stderr, "%s\n", fm_error_message());
    fm_scenario_result_free(&r);
    return -1;
  }
  const int n = r.resumed;
  fm_scenario_result_free(&r);
  return n;
}

/* A file the geometry script includes is an input of every step: changed,
 * nothing is resumed; a file named by an expression, which cannot be
 * checked, means nothing is ever resumed. */
static void check_included_files(void) {
  if (system("rm -rf t508-inc t508-inc.out t508-expr.out && mkdir t508-inc"))
    exit(1);
  char *bar = fm_read_text(src_path("meshes/bar2.geo"), NULL);
  char *base =
      fm_read_text(src_path("cases/test/scenario_bar_case.yaml"), NULL);
  char *scen =
      fm_read_text(src_path("cases/test/scenario_zero_growth.yaml"), NULL);
  char *g = base ? strstr(base, "../../meshes/bar2.geo") : NULL;
  char *c = scen ? strstr(scen, "scenario_bar_case.yaml") : NULL;
  if (!bar || !g || !c) {
    fprintf(stderr, "t508: cannot read the bar case\n");
    exit(1);
  }
  /* the parameters declared in the script the case names, the rest in
   * the included file */
  char *body = strstr(bar, "Box(1)");
  if (!body) {
    fprintf(stderr, "t508: bar2.geo has no Box(1)\n");
    exit(1);
  }
  put("t508-inc/part.geo", "%s", body);
  char *rest = strdup(body);
  *body = 0;
  put("t508-inc/main.geo", "%sInclude \"part.geo\";\n", bar);
  put("t508-inc/expr.geo", "%sInclude StrCat(\"pa\", \"rt.geo\");\n", bar);
  *g = 0;
  put("t508-inc/case.yaml", "%smain.geo%s", base,
      g + strlen("../../meshes/bar2.geo"));
  put("t508-inc/case_expr.yaml", "%sexpr.geo%s", base,
      g + strlen("../../meshes/bar2.geo"));
  *c = 0;
  put("t508-inc/scenario.yaml", "%scase.yaml%s", scen,
      c + strlen("scenario_bar_case.yaml"));
  put("t508-inc/scenario_expr.yaml", "%scase_expr.yaml%s", scen,
      c + strlen("scenario_bar_case.yaml"));
  CHECK(resumed("t508-inc/scenario.yaml", "t508-inc.out") == 0,
        "included: first run");
  CHECK(resumed("t508-inc/scenario.yaml", "t508-inc.out") == 3,
        "included, unchanged: not resumed");
  put("t508-inc/part.geo", "%s// changed\n", rest);
  CHECK(resumed("t508-inc/scenario.yaml", "t508-inc.out") == 0,
        "the included file changed: resumed all the same");
  char *inputs = fm_read_text("t508-inc.out/inputs.txt", NULL);
  CHECK(inputs && strstr(inputs, "geometry-input t508-inc/part.geo "),
        "inputs.txt: %s", inputs ? inputs : "(none)");
  free(inputs);
  CHECK(resumed("t508-inc/scenario_expr.yaml", "t508-expr.out") == 0,
        "named by an expression: first run");
  CHECK(resumed("t508-inc/scenario_expr.yaml", "t508-expr.out") == 0,
        "named by an expression: resumed");
  free(rest);
  free(bar);
  free(base);
  free(scen);
}

/* fm_scenario_damage against hand-worked trapezoids and quadratics */
static void test_damage_over_ages(void) {
  double cum[3];
  /* rate 1 to 3 over 8..10, then 3: C(t) = t + t^2/2 = 1 at sqrt(3) - 1 */
  const double a1[] = {8, 10, 11}, r1[] = {1, 3, 3};
  double f = fm_scenario_damage(3, a1, r1, cum);
  CHECK(cum[0] == 0 && cum[1] == 4 && cum[2] == 7, "cum %g %g %g", cum[0],
        cum[1], cum[2]);
  CHECK_CLOSE(f, 8 + sqrt(3) - 1, 1e-14, 0);
  /* 0.5 to 1.5 in a year: 0.5 t + 0.5 t^2 = 1 at t = 1 exactly */
  const double a2[] = {8, 9}, r2[] = {0.5, 1.5};
  f = fm_scenario_damage(2, a2, r2, cum);
  CHECK(cum[1] == 1 && f == 9, "cum %g failure %g", cum[1], f);
  /* falling rate 1 to 0 over two years: t - t^2/4 = 1 at t = 2 */
  const double a3[] = {0, 2}, r3[] = {1, 0};
  f = fm_scenario_damage(2, a3, r3, cum);
  CHECK_CLOSE(f, 2, 1e-7, 0);
  /* below 1: no failure age */
  const double r4[] = {0.1, 0.1, 0.1}, a4[] = {8, 9, 10};
  f = fm_scenario_damage(3, a4, r4, cum);
  CHECK(isnan(f) && fabs(cum[2] - 0.2) < 1e-15, "cum %g failure %g", cum[2], f);
  /* a static failure at 9 fails the interval 8-9 at its start */
  const double r5[] = {0.1, INFINITY, 0.1};
  f = fm_scenario_damage(3, a4, r5, cum);
  CHECK(f == 8 && isinf(cum[1]), "failure %g", f);
  /* one age: one year at its rate */
  const double r6[] = {0.5}, r7[] = {2};
  f = fm_scenario_damage(1, a4, r6, cum);
  CHECK(isnan(f) && cum[0] == 0.5, "one age: cum %g failure %g", cum[0], f);
  f = fm_scenario_damage(1, a4, r7, cum);
  CHECK(f == 8.5 && cum[0] == 2, "one age: cum %g failure %g", cum[0], f);
  /* not assessed */
  const double r8[] = {NAN, 1};
  f = fm_scenario_damage(2, a2, r8, cum);
  CHECK(isnan(f) && isnan(cum[0]) && isnan(cum[1]), "NaN rate: failure %g", f);
}

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRunOptions opt = {"t508.out", NULL, 1, NULL};
  FmScenarioResult r1, r2;
  if (system("rm -rf t508.out"))
    return 1;
  if (fm_scenario_run(PETSC_COMM_WORLD,
                      src_path("cases/test/scenario_zero_growth.yaml"), &opt,
                      &r1)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  test_damage_over_ages();
  /* 400 MPa to zero: Sa = Sm = 200; Goodman Sar = 200/(1 - 200/900);
   * N = (Sar/1000)^(1/-0.1) / 2; a year = 100 steps a day, 50 gait cycles
   * (a leg is loaded once every two steps), * 365.25 */
  const double sar = 200 / (1 - 200.0 / 900), N = 0.5 * pow(sar / 1000, -10);
  const double year = 50 * 365.25 / N;
  CHECK(r1.nsteps == 3 && r1.resumed == 0, "steps %d resumed %d", r1.nsteps,
        r1.resumed);
  CHECK(!strcmp(r1.steps[0].group[0], "left") && r1.steps[0].assessed[0],
        "group 0 %s", r1.steps[0].group[0]);
  for (int i = 0; i < 3; i++) {
    CHECK_CLOSE(r1.steps[i].damage[0], year, 1e-6, 0);
    /* ages 8, 9, 10: the years from 8 */
    CHECK_CLOSE(r1.steps[i].cumulative[0], i * year, 1e-6, 1e-300);
    CHECK_CLOSE(r1.steps[i].max_vm[0], 400, 1e-6, 0);
  }
  CHECK(isnan(r1.failure_age[0]) == (2 * year < 1), "failure age %g",
        r1.failure_age[0]);
  if (2 * year >= 1)
    CHECK_CLOSE(r1.failure_age[0], 8 + 1 / year, 1e-6, 0);
  /* resume */
  if (fm_scenario_run(PETSC_COMM_WORLD,
                      src_path("cases/test/scenario_zero_growth.yaml"), &opt,
                      &r2)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  CHECK(r2.resumed == 3, "resumed %d of 3", r2.resumed);
  for (int i = 0; i < 3; i++)
    CHECK(r2.steps[i].cumulative[0] == r1.steps[i].cumulative[0],
          "step %d differs after resume", i);
  fm_scenario_result_free(&r2);
  /* another backend (or preconditioner, PETSc option, femora version)
   * makes other results: nothing resumed; a step.txt left by a step that
   * then fails does not pass for its results */
  FmRunOptions oref = {"t508.out", "ref", 1, NULL};
  if (fm_scenario_run(PETSC_COMM_WORLD,
                      src_path("cases/test/scenario_zero_growth.yaml"), &oref,
                      &r2)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  CHECK(r2.resumed == 0, "another backend: resumed %d of 3", r2.resumed);
  for (int i = 0; i < 3; i++)
    CHECK_CLOSE(r2.steps[i].cumulative[0], r1.steps[i].cumulative[0], 1e-6, 0);
  fm_scenario_result_free(&r2);
  FmRunOptions obad = {"t508.out", "cuda-nonesuch", 1, NULL};
  CHECK(fm_scenario_run(PETSC_COMM_WORLD,
                        src_path("cases/test/scenario_zero_growth.yaml"), &obad,
                        &r2) != 0,
        "a bad backend ran");
  fm_scenario_result_free(&r2);
  if (fm_scenario_run(PETSC_COMM_WORLD,
                      src_path("cases/test/scenario_zero_growth.yaml"), &oref,
                      &r2)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  /* the failed run stopped at step 0 (its results set aside, its step.txt
   * gone): step 0 solved again, steps 1 and 2 still the ref run's */
  CHECK(r2.resumed == 2, "after a failed run: resumed %d of 3", r2.resumed);
  fm_scenario_result_free(&r1);
  fm_scenario_result_free(&r2);
  check_included_files();
  /* bad input */
  FILE *fp = fopen("t508-bad.yaml", "w");
  fprintf(
      fp,
      "case: %s\nages: [8, 9]\nbody_mass: cdc_boys_p50\nextension_mm: [5, 2]\n"
      "steps_per_day: 1000\nactivities: [{name: w, loads: [{group: xmax, "
      "percent_bw: [1, 0, 0]}]}]\n",
      src_path("cases/test/scenario_bar_case.yaml"));
  fclose(fp);
  FmScenario s;
  CHECK(fm_scenario_read("t508-bad.yaml", &s) != 0,
        "decreasing extension accepted");
  CHECK(strstr(fm_error_message(), "t508-bad.yaml:4: extension_mm: an "
                                   "expandable implant only lengthens") != NULL,
        "message: %s", fm_error_message());
  fp = fopen("t508-bad.yaml", "w");
  fprintf(fp, "case: x.yaml\nages: [6, 7]\nbody_mass: "
              "cdc_boys_p50\nsteps_per_day: 1000\n"
              "activities: [{name: w, loads: [{group: xmax, percent_bw: [1, 0, "
              "0]}]}]\n");
  fclose(fp);
  CHECK(fm_scenario_read("t508-bad.yaml", &s) != 0,
        "age 6 accepted for the CDC table");
  CHECK(strstr(fm_error_message(), "body_mass: the bundled CDC tables cover "
                                   "whole ages 8 to 18; age 6") != NULL,
        "message: %s", fm_error_message());
  /* activities are the steps' load cases: one named fatigue, or two that
   * make one VTU file, refused when read (after the first step's solve
   * before) */
  const char *const acts[2][2] = {
      {"[fatigue]", "fatigue.vtu"},
      {"[walk fast, walk_fast]", "same file walk_fast.vtu"}};
  for (int k = 0; k < 2; k++) {
    fp = fopen("t508-bad.yaml", "w");
    fprintf(fp, "case: x.yaml\nages: [8, 9]\nbody_mass: cdc_boys_p50\n"
                "steps_per_day: 1000\nactivities:\n");
    char names[64];
    snprintf(names, sizeof names, "%s", acts[k][0] + 1);
    names[strlen(names) - 1] = 0;
    for (char *t = strtok(names, ","); t; t = strtok(NULL, ","))
      fprintf(fp,
              "  - {name: %s, share: 0.5, loads: [{group: xmax, percent_bw: "
              "[1, 0, 0]}]}\n",
              t + strspn(t, " "));
    fclose(fp);
    CHECK(fm_scenario_read("t508-bad.yaml", &s) != 0, "activity %s accepted",
          acts[k][0]);
    CHECK(strstr(fm_error_message(), acts[k][1]) != NULL, "message: %s",
          fm_error_message());
  }
  /* more ages than the report plots: refused when read, not after every
   * step has been solved */
  fp = fopen("t508-bad.yaml", "w");
  fprintf(fp, "case: x.yaml\nages: [");
  for (int i = 0; i < 257; i++)
    fprintf(fp, "%s%g", i ? ", " : "", 8 + 0.01 * i);
  fprintf(fp, "]\nbody_mass: cdc_boys_p50\nsteps_per_day: 1000\n"
              "activities: [{name: w, loads: [{group: xmax, percent_bw: [1, "
              "0, 0]}]}]\n");
  fclose(fp);
  CHECK(fm_scenario_read("t508-bad.yaml", &s) != 0, "257 ages accepted");
  CHECK(strstr(fm_error_message(), "ages: 257 ages: at most 256") != NULL,
        "message: %s", fm_error_message());
  /* the two CDC tables (50th percentile, wtage.csv's M at 12 age + 0.5
   * months): boys from shared/REFERENCES.md, girls from the Sex = 2 rows */
  const double want[2][3] = {{25.75, 40.67, 67.29}, {25.76, 41.83, 56.23}};
  for (int girls = 0; girls < 2; girls++) {
    fp = fopen("t508-cdc.yaml", "w");
    fprintf(fp,
            "case: %s\nages: [8, 12, 18]\nbody_mass: cdc_%s_p50\n"
            "steps_per_day: 1000\nactivities: [{name: w, loads: [{group: "
            "xmax, percent_bw: [1, 0, 0]}]}]\n",
            src_path("cases/test/scenario_bar_case.yaml"),
            girls ? "girls" : "boys");
    fclose(fp);
    if (fm_scenario_read("t508-cdc.yaml", &s)) {
      CHECK(0, "cdc table %d: %s", girls, fm_error_message());
      continue;
    }
    for (int i = 0; i < 3; i++)
      CHECK(s.mass[i] == want[girls][i], "cdc %s age %g: %g kg, want %g",
            girls ? "girls" : "boys", s.age[i], s.mass[i], want[girls][i]);
    CHECK(!strcmp(s.mass_source, girls ? "cdc_girls_p50" : "cdc_boys_p50"),
          "mass source %s", s.mass_source);
    fm_scenario_free(&s);
  }
  PetscFinalize();
  TEST_END();
}
