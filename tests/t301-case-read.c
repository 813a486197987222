/* Case reader: the documented example parses to the right values; the geo
 * variant; defaults; resolution of mesh paths against the case directory. */
#define _POSIX_C_SOURCE 200809L
#include "case.h"
#include "error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fails = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      fails++;                                                                 \
    }                                                                          \
  } while (0)
#define CHECK_STR(a, b)                                                        \
  do {                                                                         \
    if (strcmp((a), (b))) {                                                    \
      fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__, __LINE__, (a), (b));  \
      fails++;                                                                 \
    }                                                                          \
  } while (0)
#define CHECK_NUM(a, b)                                                        \
  CHECK(fabs((a) - (double)(b)) <= 1e-12 * (1 + fabs((double)(b))))

static char tmpdir[256];

static void write_file(const char *name, const char *text) {
  FILE *f = fopen(name, "w");
  if (!f || fputs(text, f) < 0 || fclose(f)) {
    fprintf(stderr, "cannot write %s\n", name);
    exit(1);
  }
}

static int read_ok(const char *path, FmCase *c) {
  if (fm_case_read(path, c)) {
    fprintf(stderr, "fm_case_read(%s) failed: %s\n", path, fm_error_message());
    fails++;
    return 0;
  }
  return 1;
}

static void test_example(void) {
  const char *src = getenv("FEMORA_SOURCE_DIR");
  if (!src)
    src = ".";
  char path[4096], expect[4096];
  snprintf(path, sizeof path, "%s/cases/test/segmental-walking.yaml", src);
  FmCase c;
  if (!read_ok(path, &c))
    return;
  CHECK_STR(c.path, path);
  snprintf(expect, sizeof expect, "%s/cases/test", src);
  CHECK_STR(c.dir, expect);
  CHECK_STR(c.title, "Segmental femoral implant, walking");
  snprintf(expect, sizeof expect, "%s/cases/test/segmental.msh", src);
  CHECK_STR(c.mesh_file, expect);
  CHECK_STR(c.geo_file, "");
  CHECK(c.nparams == 0);
  CHECK(c.order == 2);

  CHECK(c.nmaterials == 3);
  if (c.nmaterials == 3) {
    CHECK_STR(c.materials[0].group, "implant");
    CHECK_NUM(c.materials[0].E, 110000);
    CHECK_NUM(c.materials[0].nu, 0.34);
    CHECK_STR(c.materials[1].group, "bone");
    CHECK_NUM(c.materials[1].E, 17000);
    CHECK_NUM(c.materials[1].nu, 0.3);
    CHECK_STR(c.materials[2].group, "cement");
    CHECK_NUM(c.materials[2].E, 2500);
    CHECK_NUM(c.materials[2].nu, 0.35);
  }

  CHECK(c.nconstraints == 2);
  if (c.nconstraints == 2) {
    CHECK_STR(c.constraints[0].group, "distal");
    CHECK(c.constraints[0].mask == 7);
    CHECK(c.constraints[0].value[0] == 0 && c.constraints[0].value[1] == 0 &&
          c.constraints[0].value[2] == 0);
    CHECK_STR(c.constraints[1].group, "sym");
    CHECK(c.constraints[1].mask == 2);
    CHECK(c.constraints[1].value[1] == 0);
  }

  CHECK(c.nload_cases == 1);
  if (c.nload_cases == 1) {
    FmLoadCase *lc = &c.load_cases[0];
    CHECK_STR(lc->name, "walking");
    CHECK(lc->nloads == 4);
    if (lc->nloads == 4) {
      CHECK(lc->loads[0].kind == FM_LOAD_TOTAL_FORCE);
      CHECK_STR(lc->loads[0].group, "proximal");
      CHECK_NUM(lc->loads[0].v[0], 300);
      CHECK_NUM(lc->loads[0].v[1], 0);
      CHECK_NUM(lc->loads[0].v[2], -2000);
      CHECK(lc->loads[1].kind == FM_LOAD_PRESSURE);
      CHECK_STR(lc->loads[1].group, "head");
      CHECK_NUM(lc->loads[1].v[0], 1.5);
      CHECK(lc->loads[2].kind == FM_LOAD_TRACTION);
      CHECK_STR(lc->loads[2].group, "lateral");
      CHECK_NUM(lc->loads[2].v[0], 0);
      CHECK_NUM(lc->loads[2].v[1], 0.2);
      CHECK_NUM(lc->loads[2].v[2], 0);
      CHECK(lc->loads[3].kind == FM_LOAD_BODY_FORCE);
      CHECK_STR(lc->loads[3].group, "");
      CHECK_NUM(lc->loads[3].v[2], -9.81e-6);
    }
  }

  CHECK(c.nprobes == 1);
  if (c.nprobes == 1) {
    CHECK_STR(c.probes[0].name, "tip");
    CHECK_NUM(c.probes[0].x[0], 12);
    CHECK_NUM(c.probes[0].x[1], 0);
    CHECK_NUM(c.probes[0].x[2], 160);
  }
  CHECK(c.vtu == 1);
  CHECK_STR(c.backend, "cpu");
  CHECK_NUM(c.rtol, 1e-8);
  CHECK(c.max_it == 10000);
  fm_case_free(&c);
  fm_case_free(&c); /* second free is harmless */
  CHECK(c.materials == NULL && c.nmaterials == 0);
}

#define BASE_TAIL                                                              \
  "materials:\n  m: {E: 1, nu: 0}\n"                                           \
  "constraints:\n  - {group: a, fix: all}\n"                                   \
  "load_cases:\n  - name: one\n    loads:\n      - {body_force: [0, 0, 1]}\n"

static void test_geo_and_options(void) {
  write_file("geo.yaml",
             "title: \"geo variant\"\n"
             "mesh: {geo: segmental.geo, parameters: {h: 2.0, extension: 10},"
             " order: 1}\n" BASE_TAIL
             "load_cases:\n" /* replaced below: keep BASE_TAIL valid */);
  /* the file above has load_cases twice: must be rejected as duplicate */
  FmCase c;
  CHECK(fm_case_read("geo.yaml", &c) != 0);
  CHECK(strstr(fm_error_message(), "duplicate") != NULL);
  fm_case_free(&c);

  write_file("geo.yaml",
             "title: \"geo variant\"\n"
             "mesh: {geo: segmental.geo, parameters: {h: 2.0, extension: 10},"
             " order: 1}\n" BASE_TAIL
             "solver: {backend: cuda, rtol: 1e-6, max_it: 500}\n"
             "output: {vtu: false}\n"
             "probes: []\n");
  if (!read_ok("geo.yaml", &c))
    return;
  CHECK_STR(c.title, "geo variant");
  CHECK_STR(c.dir, ".");
  CHECK_STR(c.mesh_file, "");
  CHECK_STR(c.geo_file, "segmental.geo");
  CHECK(c.order == 1);
  CHECK(c.nparams == 2);
  if (c.nparams == 2) {
    CHECK_STR(c.param_name[0], "h");
    CHECK_NUM(c.param_value[0], 2.0);
    CHECK_STR(c.param_name[1], "extension");
    CHECK_NUM(c.param_value[1], 10);
  }
  CHECK_STR(c.backend, "cuda");
  CHECK_NUM(c.rtol, 1e-6);
  CHECK(c.max_it == 500);
  CHECK(c.vtu == 0);
  CHECK(c.nprobes == 0);
  fm_case_free(&c);
}

static void test_defaults(void) {
  write_file("min.yaml", "mesh: {file: m.msh}\n" BASE_TAIL);
  FmCase c;
  if (!read_ok("min.yaml", &c))
    return;
  CHECK_STR(c.title, "");
  CHECK_STR(c.mesh_file, "m.msh");
  CHECK(c.order == 2);
  CHECK(c.nparams == 0 && c.param_name == NULL);
  CHECK(c.nprobes == 0 && c.probes == NULL);
  CHECK(c.vtu == 1);
  CHECK_STR(c.backend, "cpu");
  CHECK_NUM(c.rtol, 1e-8);
  CHECK(c.max_it == 10000);
  CHECK(c.nconstraints == 1 && c.constraints[0].mask == 7);
  fm_case_free(&c);

  /* constraint variants; empty optional sections */
  write_file("var.yaml",
             "mesh:\n  file: m.msh\n"
             "materials:\n  m: {E: 1.5e5, nu: -0.2}\n"
             "constraints:\n"
             "  - group: a\n    fix: [x]\n    displacement: {y: 0.5, z: -1}\n"
             "  - {group: b, fix: z}\n"
             "  - {group: c, fix: [all]}\n"
             "load_cases:\n"
             "  - {name: one, loads: [{group: s, pressure: -2}]}\n"
             "  - {name: two, loads: [{group: s, traction: [1, 2, 3]}]}\n"
             "probes:\n"
             "output:\n"
             "solver:\n");
  if (!read_ok("var.yaml", &c))
    return;
  CHECK(c.nconstraints == 3);
  if (c.nconstraints == 3) {
    CHECK(c.constraints[0].mask == 7);
    CHECK_NUM(c.constraints[0].value[0], 0);
    CHECK_NUM(c.constraints[0].value[1], 0.5);
    CHECK_NUM(c.constraints[0].value[2], -1);
    CHECK(c.constraints[1].mask == 4);
    CHECK(c.constraints[2].mask == 7);
  }
  CHECK_NUM(c.materials[0].E, 1.5e5);
  CHECK_NUM(c.materials[0].nu, -0.2);
  CHECK(c.nload_cases == 2);
  if (c.nload_cases == 2) {
    CHECK_STR(c.load_cases[1].name, "two");
    CHECK(c.load_cases[0].loads[0].kind == FM_LOAD_PRESSURE);
    CHECK_NUM(c.load_cases[0].loads[0].v[0], -2);
    CHECK(c.load_cases[1].loads[0].kind == FM_LOAD_TRACTION);
  }
  CHECK(c.nprobes == 0 && c.vtu == 1 && c.max_it == 10000);
  fm_case_free(&c);

  /* merge keys: a mapping's own keys win, then the first merged mapping;
   * merges chain; a quoted "<<" is an ordinary (here unknown) key */
  write_file(
      "merge.yaml",
      "mesh: {file: m.msh}\n"
      "materials:\n"
      "  ti: &ti {E: 110000, nu: 0.34}\n"
      "  stiff: &stiff {<<: *ti, E: 200000}\n"
      "  a: {<<: [*stiff, {nu: 0.2, E: 1}], nu: 0.3}\n"
      "  b: {<<: [{nu: 0.25}, *stiff]}\n"
      "  c: *stiff\n"
      "constraints:\n  - &fix {group: g, fix: all}\n"
      "  - {<<: *fix, group: h}\n"
      "load_cases:\n  - {name: one, loads: [{group: s, pressure: 1}]}\n");
  if (!read_ok("merge.yaml", &c))
    return;
  CHECK(c.nmaterials == 5);
  if (c.nmaterials == 5) {
    CHECK_STR(c.materials[1].group, "stiff");
    CHECK_NUM(c.materials[0].E, 110000);
    CHECK_NUM(c.materials[1].E, 200000);
    CHECK_NUM(c.materials[1].nu, 0.34);
    CHECK_NUM(c.materials[2].E, 200000);
    CHECK_NUM(c.materials[2].nu, 0.3);
    CHECK_NUM(c.materials[3].E, 200000);
    CHECK_NUM(c.materials[3].nu, 0.25);
    CHECK_NUM(c.materials[4].E, 200000);
    CHECK_NUM(c.materials[4].nu, 0.34);
  }
  CHECK(c.nconstraints == 2);
  if (c.nconstraints == 2) {
    CHECK_STR(c.constraints[1].group, "h");
    CHECK(c.constraints[1].mask == 7);
  }
  fm_case_free(&c);
  /* load-case file names: ASCII specials made '_', non-ASCII kept, so
   * names that differ only in a non-ASCII letter make different files */
  write_file(
      "utf8.yaml",
      "mesh: {file: m.msh}\nmaterials: {m: {E: 1, nu: 0}}\n"
      "constraints: [{group: g, fix: all}]\n"
      "load_cases:\n"
      "  - {name: \"Treppe hin\u00e4b\", loads: [{group: s, pressure: 1}]}\n"
      "  - {name: \"Treppe hin\u00f6b\", loads: [{group: s, pressure: 1}]}\n");
  if (read_ok("utf8.yaml", &c)) {
    char a[FM_NAME_MAX], b[FM_NAME_MAX];
    fm_case_file_stem(c.load_cases[0].name, a, sizeof a);
    fm_case_file_stem(c.load_cases[1].name, b, sizeof b);
    CHECK_STR(a, "Treppe_hin\xc3\xa4"
                 "b");
    CHECK_STR(b, "Treppe_hin\xc3\xb6"
                 "b");
    fm_case_free(&c);
  }
  remove("utf8.yaml");
  /* a user library: one k_surf number for the entry (it was dropped and
   * 1 used), a misspelt key and an unknown sn refused */
  write_file("lib.yaml",
             "materials:\n  ti: {fatigue: {Sy: 800, Su: 900, Se: 150, Ne: 1e7, "
             "basquin: {Sf: 1000, b: -0.1}, sn: basquin, k_surf: 0.5}}\n"
             "  typo: {fatigue: {Sy: 800, Su: 900, basquin: {Sf: 1000, b: "
             "-0.1}, ksurf: 0.5}}\n"
             "  badsn: {fatigue: {Sy: 800, Su: 900, basquin: {Sf: 1000, b: "
             "-0.1}, sn: tabel}}\n"
             "  cm: {fatigue: {Sy: 100, Su: 100, Su_compression: 150, "
             "static_criterion: coulomb_mohr, basquin: {Sf: 300, b: -0.1}}}\n"
             "  cm_no_suc: {fatigue: {Sy: 100, Su: 100, static_criterion: "
             "coulomb_mohr, basquin: {Sf: 300, b: -0.1}}}\n"
             "  cm_typo: {fatigue: {Sy: 100, Su: 100, static_criterion: "
             "coulomb, basquin: {Sf: 300, b: -0.1}}}\n");
  const char *fcase =
      "mesh: {file: m.msh}\nmaterials: {m: {E: 110000, nu: 0}}\n"
      "constraints: [{group: g, fix: all}]\n"
      "load_cases: [{name: a, loads: [{group: s, pressure: 1}]}]\n"
      "fatigue: {library_file: lib.yaml, materials: {m: {library: %s}}, "
      "cycles: [{name: c, load_cases: [a, zero], count: 1}]}\n";
  char text[1024];
  snprintf(text, sizeof text, fcase, "ti");
  write_file("lib_case.yaml", text);
  if (read_ok("lib_case.yaml", &c)) {
    CHECK(c.fatigue.ngroups == 1 && c.fatigue.groups[0].m.k_surf == 0.5);
    fm_case_free(&c);
  }
  snprintf(text, sizeof text, fcase, "typo");
  write_file("lib_case.yaml", text);
  CHECK(fm_case_read("lib_case.yaml", &c) != 0);
  CHECK(strstr(fm_error_message(), "materials.typo.fatigue.ksurf") &&
        strstr(fm_error_message(), "k_surf"));
  snprintf(text, sizeof text, fcase, "badsn");
  write_file("lib_case.yaml", text);
  CHECK(fm_case_read("lib_case.yaml", &c) != 0);
  CHECK(strstr(fm_error_message(), "materials.badsn.fatigue.sn: must be "
                                   "basquin or table"));
  /* the static criterion: Coulomb-Mohr with its compressive strength, from
   * the library or the case; without the strength, or misspelt, refused */
  snprintf(text, sizeof text, fcase, "cm");
  write_file("lib_case.yaml", text);
  if (read_ok("lib_case.yaml", &c)) {
    CHECK(c.fatigue.groups[0].m.stat == FM_STATIC_COULOMB_MOHR &&
          c.fatigue.groups[0].m.Suc == 150);
    fm_case_free(&c);
  }
  snprintf(text, sizeof text, fcase, "cm_no_suc");
  write_file("lib_case.yaml", text);
  CHECK(fm_case_read("lib_case.yaml", &c) != 0);
  CHECK(strstr(fm_error_message(), "static_criterion: coulomb_mohr needs") &&
        strstr(fm_error_message(), "Su_compression"));
  snprintf(text, sizeof text, fcase, "cm_typo");
  write_file("lib_case.yaml", text);
  CHECK(fm_case_read("lib_case.yaml", &c) != 0);
  CHECK(strstr(fm_error_message(), "materials.cm_typo.fatigue.static_"
                                   "criterion: must be von_mises or "
                                   "coulomb_mohr"));
  /* the case's values override the library's: von Mises again */
  write_file("lib_case.yaml",
             "mesh: {file: m.msh}\nmaterials: {m: {E: 110000, nu: 0}}\n"
             "constraints: [{group: g, fix: all}]\n"
             "load_cases: [{name: a, loads: [{group: s, pressure: 1}]}]\n"
             "fatigue: {library_file: lib.yaml, materials: {m: {library: cm, "
             "static_criterion: von_mises}}, cycles: [{name: c, load_cases: "
             "[a, zero], count: 1}]}\n");
  if (read_ok("lib_case.yaml", &c)) {
    CHECK(c.fatigue.groups[0].m.stat == FM_STATIC_VON_MISES);
    fm_case_free(&c);
  }
  /* the bundled library's cortical bone is judged by Coulomb-Mohr with
   * Reilly & Burstein's strengths, its titanium by von Mises */
  write_file("lib_case.yaml",
             "mesh: {file: m.msh}\nmaterials: {m: {E: 15500, nu: 0.3}, t: "
             "{E: 110000, nu: 0.3}}\nconstraints: [{group: g, fix: all}]\n"
             "load_cases: [{name: a, loads: [{group: s, pressure: 1}]}]\n"
             "fatigue: {materials: {m: {library: cortical_bone}, t: "
             "{library: ti6al4v_wrought_eli}}, cycles: [{name: c, "
             "load_cases: [a, zero], count: 1}]}\n");
  if (read_ok("lib_case.yaml", &c)) {
    const FmFatigueMaterial *b = &c.fatigue.groups[0].m,
                            *t = &c.fatigue.groups[1].m;
    CHECK(b->stat == FM_STATIC_COULOMB_MOHR && b->Su == 133 && b->Suc == 193);
    CHECK(t->stat == FM_STATIC_VON_MISES);
    fm_case_free(&c);
  }
  /* units: a case in Pa or GPa against the library's MPa is refused (every
   * safety factor would be scaled by 1e-6 or 1e3) */
  const char *units =
      "mesh: {file: m.msh}\nmaterials: {m: {E: %s, nu: 0.3}}\n"
      "constraints: [{group: g, fix: all}]\n"
      "load_cases: [{name: a, loads: [{group: s, pressure: 1}]}]\n"
      "fatigue: {materials: {m: {library: ti6al4v_am, surface: machined}}, "
      "cycles: [{name: c, load_cases: [a, zero], count: 1}]}\n";
  const char *Es[3] = {"110e9", "110", "110000"};
  for (int k = 0; k < 3; k++) {
    snprintf(text, sizeof text, units, Es[k]);
    write_file("lib_case.yaml", text);
    const int bad = fm_case_read("lib_case.yaml", &c) != 0;
    CHECK(bad == (k < 2));
    if (bad)
      CHECK(strstr(fm_error_message(), "fatigue.materials.m: the material's "
                                       "E = ") &&
            strstr(fm_error_message(), "library entry 'ti6al4v_am''s E = "));
    else
      fm_case_free(&c);
  }
  /* a lattice (E 1000) with its own Sy and Su and the library's S-N and
   * surface variants: not a unit mismatch */
  write_file("lib_case.yaml",
             "mesh: {file: m.msh}\nmaterials: {m: {E: 1000, nu: 0.3}}\n"
             "constraints: [{group: g, fix: all}]\n"
             "load_cases: [{name: a, loads: [{group: s, pressure: 1}]}]\n"
             "fatigue: {materials: {m: {library: ti6al4v_am, surface: "
             "as_built, Sy: 60, Su: 70, Se: 10}}, cycles: [{name: c, "
             "load_cases: [a, zero], count: 1}]}\n");
  if (read_ok("lib_case.yaml", &c))
    fm_case_free(&c);
  /* inline strengths against E: a strain at failure outside 1e-5..1
   * (MPa against Pa or GPa) is refused */
  const char *inl =
      "mesh: {file: m.msh}\nmaterials: {m: {E: %s, nu: 0.3}}\n"
      "constraints: [{group: g, fix: all}]\n"
      "load_cases: [{name: a, loads: [{group: s, pressure: 1}]}]\n"
      "fatigue: {materials: {m: {Sy: 800, Su: 900, basquin: {Sf: 1000, b: "
      "-0.1}}}, cycles: [{name: c, load_cases: [a, zero], count: 1}]}\n";
  for (int k = 0; k < 3; k++) {
    snprintf(text, sizeof text, inl, Es[k]);
    write_file("lib_case.yaml", text);
    const int bad = fm_case_read("lib_case.yaml", &c) != 0;
    CHECK(bad == (k < 2));
    if (bad)
      CHECK(strstr(fm_error_message(),
                   "fatigue.materials.m: the ultimate strength Su = 900 "
                   "against E = ") &&
            strstr(fm_error_message(), "outside 1e-5..1"));
    else
      fm_case_free(&c);
  }
  remove("lib.yaml");
  remove("lib_case.yaml");
  /* a top-level key that comes through a merge is found (suite, submit) */
  write_file("top.yaml", "<<: {expected: {}, ages: [8]}\nmesh: {file: m}\n");
  CHECK(fm_yaml_has_top_key("top.yaml", "expected"));
  CHECK(fm_yaml_has_top_key("top.yaml", "mesh"));
  CHECK(!fm_yaml_has_top_key("top.yaml", "materials"));
  remove("top.yaml");
  write_file("merge.yaml",
             "mesh: {file: m.msh, \"<<\": {order: 1}}\n" BASE_TAIL);
  CHECK(fm_case_read("merge.yaml", &c) != 0);
  CHECK(strstr(fm_error_message(), "mesh.<<: unknown key"));
  remove("merge.yaml");
}

static void test_paths(void) {
  FmCase c;
  if (mkdir("sub", 0700)) {
    fprintf(stderr, "mkdir sub failed\n");
    fails++;
    return;
  }
  write_file("sub/case.yaml", "mesh: {file: m.msh}\n" BASE_TAIL);
  write_file("sub/abs.yaml", "mesh: {file: /data/meshes/m.msh}\n" BASE_TAIL);
  write_file("sub/geo.yaml", "mesh: {geo: ../g.geo}\n" BASE_TAIL);

  if (read_ok("sub/case.yaml", &c)) {
    CHECK_STR(c.dir, "sub");
    CHECK_STR(c.mesh_file, "sub/m.msh");
    fm_case_free(&c);
  }
  if (read_ok("./sub//case.yaml", &c)) {
    CHECK_STR(c.dir, "./sub");
    CHECK_STR(c.mesh_file, "./sub/m.msh");
    fm_case_free(&c);
  }
  if (read_ok("sub/abs.yaml", &c)) {
    CHECK_STR(c.mesh_file, "/data/meshes/m.msh");
    fm_case_free(&c);
  }
  if (read_ok("sub/geo.yaml", &c)) {
    CHECK_STR(c.geo_file, "sub/../g.geo");
    fm_case_free(&c);
  }
  char abs[512];
  snprintf(abs, sizeof abs, "%s/sub/case.yaml", tmpdir);
  if (read_ok(abs, &c)) {
    char expect[600];
    snprintf(expect, sizeof expect, "%s/sub/m.msh", tmpdir);
    CHECK_STR(c.mesh_file, expect);
    snprintf(expect, sizeof expect, "%s/sub", tmpdir);
    CHECK_STR(c.dir, expect);
    fm_case_free(&c);
  }
  remove("sub/case.yaml");
  remove("sub/abs.yaml");
  remove("sub/geo.yaml");
  rmdir("sub");
}

int main(void) {
  FmCase z;
  memset(&z, 0, sizeof z);
  fm_case_free(&z); /* zeroed struct */

  test_example();

  snprintf(tmpdir, sizeof tmpdir, "/tmp/femora-t301-XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  char cwd[4096];
  if (!getcwd(cwd, sizeof cwd) || chdir(tmpdir)) {
    perror("chdir");
    return 1;
  }
  test_geo_and_options();
  test_defaults();
  test_paths();
  remove("geo.yaml");
  remove("min.yaml");
  remove("var.yaml");
  if (chdir(cwd))
    perror("chdir back");
  rmdir(tmpdir);

  if (fails) {
    fprintf(stderr, "t301-case-read: %d check(s) failed\n", fails);
    return 1;
  }
  return 0;
}
