/* The scenario report: self-contained HTML (no scripts, no external files)
 * with the plots, the step table with the scenario's numbers, and the inputs
 * with their hashes; a directory without scenario results is an error that
 * names the missing file. */
#include "report.h"
#include "run_util.h"
#include "scenario.h"

static char *slurp(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return NULL;
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *s = calloc(n + 1, 1);
  if (fread(s, 1, n, fp) != (size_t)n)
    n = 0;
  fclose(fp);
  return s;
}

/* t510-q/scenario.csv: the header and rows (the design-life column only
 * where the rows have it) */
static void report_of(const char *rows) {
  FILE *fq = fopen("t510-q/scenario.csv", "w");
  fprintf(fq,
          "age,body_mass_kg,extension_mm,cycles,nodes,group,max_von_mises,"
          "min_static_safety,min_fatigue_safety,damage_year,damage_"
          "cumulative,min_fatigue_x,min_fatigue_y,min_fatigue_z%s\n%s",
          strstr(rows, ",1e7\n") ? ",design_life" : "", rows);
  fclose(fq);
}

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRunOptions opt = {"t510.out", NULL, 1, NULL};
  FmScenarioResult r;
  if (system("rm -rf t510.out t510-empty && mkdir -p t510-empty"))
    return 1;
  if (fm_scenario_run(PETSC_COMM_WORLD,
                      src_path("cases/test/scenario_zero_growth.yaml"), &opt,
                      &r)) {
    fprintf(stderr, "%s\n", fm_error_message());
    return 1;
  }
  char *h = slurp("t510.out/report.html");
  CHECK(h != NULL, "no report.html written at the end of the scenario");
  if (h) {
    CHECK(strstr(h, "<!DOCTYPE html>") == h, "not an HTML document");
    CHECK(strstr(h, "</html>") != NULL, "document not closed");
    CHECK(!strstr(h, "<script") && !strstr(h, "src=\"http") &&
              !strstr(h, "href=\"http"),
          "report is not self-contained");
    int nsvg = 0;
    for (const char *p = h; (p = strstr(p, "<svg")); p++)
      nsvg++;
    CHECK(nsvg == 6, "%d plots, expected 6", nsvg);
    CHECK(strstr(h, "Cumulative damage") && strstr(h, "Body mass") &&
              strstr(h, "Implant extension"),
          "plot titles missing");
    char want[64];
    snprintf(want, sizeof want, "<td>%.4g</td><td>(", r.steps[2].cumulative[0]);
    CHECK(strstr(h, want) != NULL, "cumulative damage %s not in the step table",
          want);
    CHECK(strstr(h, "<td class=\"l\">scenario</td>") &&
              strstr(h, "<td class=\"l\">case</td>") &&
              strstr(h, "<td class=\"l\">geometry</td>") &&
              strstr(h, "<td class=\"l\">materials</td>"),
          "inputs table incomplete");
    CHECK(strstr(h, "Femora " FEMORA_VERSION) != NULL,
          "software version missing");
    /* the safety factors' design life (the case's default 1e7) and the
     * cycles of ages 8 to 10: 100 steps a day, 50 gait cycles, 2 years */
    CHECK(r.steps[0].design_life == 1e7, "design life %g",
          r.steps[0].design_life);
    CHECK(strstr(h, "design life of 1e+07 cycles") &&
              strstr(h, "<span>3.65e+04 cycles</span>"),
          "design life and the cycles over the ages not in the report");
    free(h);
  }
  fm_scenario_result_free(&r);
  /* a material whose name holds a comma and a quote: its CSV field is
   * quoted (RFC 4180) and the report reads it back (a bare comma made the
   * row "malformed" after every step had been solved) */
  if (system("rm -rf t510-q && mkdir -p t510-q && cp t510.out/inputs.txt "
             "t510-q/"))
    return 1;
  /* the table of a femora before 2026-12-07: no design-life column */
  report_of("8,30,0,36525,339,\"so,\"\"lid\"\"\",303.8,2.6,1.01,0.003,"
            "0.003,1,0.4,0.5\n"
            "9,31,0,36525,339,\"so,\"\"lid\"\"\",313.9,2.5,0.98,0.004,"
            "0.007,1,0.4,0.5\n");
  CHECK(fm_report_write("t510-q") == 0, "quoted group: %s", fm_error_message());
  h = slurp("t510-q/report.html");
  CHECK(h && strstr(h, "so,&quot;lid&quot;"),
        "the quoted name is not in the report");
  free(h);
  /* a failure age: damage of a year 0.5 at 8 and 1.5 at 9 reaches 1 at
   * 9.00 (0.5 t + 0.5 t^2 = 1 at t = 1); the rates rising from 1 to 2 over
   * 8..9, at 8.73 (t + t^2 / 2 = 1 at sqrt(3) - 1) */
  report_of("8,30,0,36525,339,a,303.8,2.6,1.01,0.5,0,1,0.4,0.5,1e7\n"
            "8,30,0,36525,339,b,303.8,2.6,1.01,1,0,1,0.4,0.5,1e7\n"
            "9,31,0,36525,339,a,313.9,2.5,0.98,1.5,1,1,0.4,0.5,1e7\n"
            "9,31,0,36525,339,b,313.9,2.5,0.98,2,1.5,1,0.4,0.5,1e7\n");
  CHECK(fm_report_write("t510-q") == 0, "failure ages: %s", fm_error_message());
  h = slurp("t510-q/report.html");
  CHECK(h && strstr(h, "<td class=\"warn\">9.00</td>"),
        "failure age 9.00 not in the summary");
  CHECK(h && strstr(h, "<td class=\"warn\">8.73</td>"),
        "failure age 8.73 not in the summary");
  free(h);
  CHECK(fm_report_write("t510-empty") != 0,
        "report of an empty directory succeeded");
  CHECK(strstr(fm_error_message(), "t510-empty/scenario.csv: cannot open") !=
            NULL,
        "message: %s", fm_error_message());
  PetscFinalize();
  TEST_END();
}
