/* Fatigue through the whole pipeline: a bar in exact uniaxial tension
 * (400 MPa) cycled to zero; every node's static safety, life, fatigue safety
 * and damage must equal the closed-form values (1e-6).  Left: inline
 * Basquin material, Goodman; right: the library's wrought Ti-6Al-4V, whose
 * endurance limit gives infinite life. */
#include "run_util.h"

#include "fatigue_post.h"

int main(int argc, char **argv) {
  test_init(&argc, &argv);
  FmRun run;
  run_case(PETSC_COMM_WORLD, "cases/validation/closed_form/fatigue_bar.yaml",
           "t507.out", &run);
  CHECK(run.has_fatigue, "no fatigue result");
  const double Sa = 200, Sm = 200, Nd = 1e7, count = 1e5;
  /* left: Sf = 1000, b = -0.1, Su = 900, Sy = 800 */
  const double sar_l = Sa / (1 - Sm / 900);
  const double N_l = 0.5 * pow(sar_l / 1000, 1 / -0.1);
  const double Sd_l = 1000 * pow(2 * Nd, -0.1);
  const double sf_l = 1 / (Sa / Sd_l + Sm / 900);
  /* right: Su = 860, Sy = 795, Se = 500 at 1e7 */
  const double sf_r = 1 / (Sa / 500 + Sm / 860);
  const FmPost *post = &run.post;
  int nl = 0, nr = 0;
  for (int cp = 0; cp < post->ncopy; cp++) {
    const int left =
        !strcmp(run.md.cs.materials[post->copy_mat[cp]].group, "left");
    if (left) {
      nl++;
      CHECK_CLOSE(run.fatigue.static_sf[cp], 800.0 / 400, 1e-6, 0);
      CHECK_CLOSE(run.fatigue.life[cp], N_l, 1e-6, 0);
      CHECK_CLOSE(run.fatigue.fatigue_sf[cp], sf_l, 1e-6, 0);
      CHECK_CLOSE(run.fatigue.damage[cp], count / N_l, 1e-6, 0);
    } else {
      nr++;
      CHECK_CLOSE(run.fatigue.static_sf[cp], 795.0 / 400, 1e-6, 0);
      CHECK(isinf(run.fatigue.life[cp]), "right: life %g, expected infinite",
            run.fatigue.life[cp]);
      CHECK_CLOSE(run.fatigue.fatigue_sf[cp], sf_r, 1e-6, 0);
      CHECK(run.fatigue.damage[cp] == 0, "right: damage %g",
            run.fatigue.damage[cp]);
    }
    if (fm_test_failures > 8)
      break;
  }
  CHECK(nl > 0 && nr > 0, "copies: left %d right %d", nl, nr);
  CHECK_CLOSE(run.fatigue.groups[0].max_damage, count / N_l, 1e-6, 0);
  /* the summary names each material's static criterion */
  FILE *sj = fopen("t507.out/summary.json", "r");
  CHECK(sj != NULL, "no t507.out/summary.json");
  if (sj) {
    static char text[1 << 16];
    const size_t n = fread(text, 1, sizeof text - 1, sj);
    text[n] = 0;
    fclose(sj);
    CHECK(strstr(text, "\"left\": {\"min_static_safety\": 2, ") &&
              strstr(text, "\"static_criterion\": \"von_mises\""),
          "summary.json: no static criterion for left");
  }
  /* the left material as a brittle one (Coulomb-Mohr, Su = 900 in
   * tension, 300 in compression): 900/400 in tension, 300/400 with every
   * stress reversed */
  int gl = -1;
  for (int g = 0; g < run.md.cs.fatigue.ngroups; g++)
    if (!strcmp(run.md.cs.fatigue.groups[g].group, "left"))
      gl = g;
  CHECK(gl >= 0, "no fatigue group 'left'");
  for (int pass = 0; gl >= 0 && pass < 2; pass++) {
    FmFatigueMaterial *ml = &run.md.cs.fatigue.groups[gl].m;
    const FmFatigueMaterial keep = *ml;
    ml->stat = FM_STATIC_COULOMB_MOHR;
    ml->Suc = 300;
    if (pass == 1)
      for (size_t k = 0; k < 6 * (size_t)post->ncopy; k++)
        run.res[0].stress[k] = -run.res[0].stress[k];
    FmFatigueResult cm;
    CHECK(fm_fatigue_post(&run.md, post, run.res, &cm) == 0, "%s",
          fm_error_message());
    for (int cp = 0; cp < post->ncopy; cp++)
      if (!strcmp(run.md.cs.materials[post->copy_mat[cp]].group, "left"))
        CHECK_CLOSE(cm.static_sf[cp], pass ? 300.0 / 400 : 900.0 / 400, 1e-6,
                    0);
    fm_fatigue_result_free(&cm);
    *ml = keep;
    if (pass == 1)
      for (size_t k = 0; k < 6 * (size_t)post->ncopy; k++)
        run.res[0].stress[k] = -run.res[0].stress[k];
  }
  /* a stress that is not a number (a broken solution) gives no safety
   * factor: an error naming the load case, the material and the place,
   * where NaN compared as "no stress" and read as safe before */
  for (int cp = 0; cp < post->ncopy; cp++)
    if (strcmp(run.md.cs.materials[post->copy_mat[cp]].group, "left")) {
      run.res[0].stress[6 * (size_t)cp + 1] = NAN;
      break;
    }
  FmFatigueResult bad;
  CHECK(fm_fatigue_post(&run.md, post, run.res, &bad) != 0,
        "a NaN stress assessed");
  CHECK(strstr(fm_error_message(),
               "fatigue_bar.yaml: fatigue: load case 'tension': the stress "
               "in material 'right' at (") != NULL &&
            strstr(fm_error_message(), "is not a finite number") != NULL,
        "message: %s", fm_error_message());
  fm_fatigue_result_free(&bad);
  fm_run_free(&run);
  /* backend auto: the summary names the backend that ran (it said "auto")
   * beside the one asked for */
  FmRunOptions ao = {"t507.auto", "auto", 1, NULL};
  CHECK(fm_run(PETSC_COMM_WORLD,
               src_path("cases/validation/closed_form/fatigue_bar.yaml"), &ao,
               &run) == 0,
        "%s", fm_error_message());
  CHECK(run.backend && strcmp(run.backend, "auto"), "backend that ran: %s",
        run.backend ? run.backend : "(none)");
  FILE *aj = fopen("t507.auto/summary.json", "r");
  CHECK(aj != NULL, "no t507.auto/summary.json");
  if (aj && run.backend) {
    static char text[1 << 16];
    const size_t n = fread(text, 1, sizeof text - 1, aj);
    text[n] = 0;
    char want[96];
    snprintf(want, sizeof want,
             "\"backend\": \"%s\", \"backend_requested\": \"auto\"",
             run.backend);
    CHECK(strstr(text, want) != NULL, "summary.json lacks %s", want);
  }
  if (aj)
    fclose(aj);
  fm_run_free(&run);
  PetscFinalize();
  TEST_END();
}
