/* Case reader: bad case files are rejected with one line naming the case
 * file, the line (where checked), the item path and the fault. */
#define _POSIX_C_SOURCE 200809L
#include "case.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define M "mesh: {file: m.msh}\n"
#define MAT "materials:\n  implant: {E: 100, nu: 0.3}\n"
#define CON "constraints:\n  - {group: distal, fix: all}\n"
#define LC                                                                     \
  "load_cases:\n  - name: a\n    loads:\n      - {group: top, pressure: 1}\n"
#define GOOD M MAT CON LC

typedef struct {
  const char *yaml;
  const char *item;    /* expected item path ("" for file-level faults) */
  const char *keyword; /* expected part of the fault */
  int line;            /* expected line (0: not checked) */
} Bad;

static const Bad bad[] = {
    /* syntax and structure */
    {"title: x\nmesh: [m.msh\n" MAT, "", "YAML syntax error", 0},
    {"mesh: {file: m.msh}\n  bad: indent\n", "", "YAML syntax error", 2},
    {"mesh:\n\tfile: m.msh\n", "", "YAML syntax error", 2},
    {M "materials:\n  implant: {E: *e, nu: 0.3}\n", "", "undefined alias", 3},
    {"mesh: {file: m\xff\xfe.msh}\n", "", "YAML read error", 0},
    {"", "", "empty case file", 0},
    {"# only a comment\n", "", "empty case file", 0},
    {"- a\n- b\n", "top level", "must be a map", 1},
    {GOOD "---\ntitle: second\n", "", "only one YAML document", 11},
    {GOOD "? [a, b]\n: 1\n", "", "keys must be strings", 10},
    {GOOD "outptu: {vtu: true}\n", "outptu", "did you mean 'output'", 10},
    {GOOD "colour: red\n", "colour", "unknown key", 10},
    {GOOD "materials: {}\n", "materials", "duplicate key", 10},
    {"title: [a]\n" GOOD, "title", "must be a string", 1},
    /* required sections */
    {M CON LC, "materials", "missing", 0},
    {M MAT LC, "constraints", "missing", 0},
    {M MAT CON, "load_cases", "missing", 0},
    {MAT CON LC, "mesh", "missing", 0},
    /* mesh */
    {"mesh: {order: 2}\n" MAT CON LC, "mesh", "needs file", 1},
    {"mesh: {file: a.msh, geo: b.geo}\n" MAT CON LC, "mesh", "not both", 1},
    {"mesh: {file: \"\"}\n" MAT CON LC, "mesh.file", "non-empty", 1},
    {"mesh: {file: m.msh, order: 3}\n" MAT CON LC, "mesh.order", "must be 1",
     1},
    {"mesh: {file: m.msh, order: 1.5}\n" MAT CON LC, "mesh.order", "integer",
     1},
    {"mesh: {file: m.msh, parameters: {h: 1}}\n" MAT CON LC, "mesh.parameters",
     "only allowed with mesh.geo", 1},
    {"mesh: {geo: g.geo, parameters: {h: abc}}\n" MAT CON LC,
     "mesh.parameters.h", "must be a number", 1},
    {"mesh: {geo: g.geo, parameters: {h: .inf}}\n" MAT CON LC,
     "mesh.parameters.h", "finite", 1},
    {"mesh: {file: m.msh, ordre: 1}\n" MAT CON LC, "mesh.ordre",
     "did you mean 'order'", 1},
    {"mesh: m.msh\n" MAT CON LC, "mesh", "must be a map", 1},
    /* materials */
    {M "materials:\n  implant: {E: -5, nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be > 0 (got -5)", 3},
    {M "materials:\n  implant: {E: 0, nu: 0.3}\n" CON LC, "materials.implant.E",
     "must be > 0", 3},
    {M "materials:\n  implant: {E: 100, nu: 0.5}\n" CON LC,
     "materials.implant.nu", "must be in (-1, 0.5) (got 0.5)", 3},
    {M "materials:\n  implant: {E: 100, nu: -1}\n" CON LC,
     "materials.implant.nu", "must be in (-1, 0.5)", 3},
    {M "materials:\n  implant: {E: .nan, nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a finite number", 3},
    {M "materials:\n  implant: {E: .Inf, nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a finite number", 3},
    {M "materials:\n  implant: {E: nan, nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a finite number", 3},
    {M "materials:\n  implant: {E: -inf, nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a finite number", 3},
    {M "materials:\n  implant: {E: 1e999, nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a finite number", 3},
    {M "materials:\n  implant: {E: \"nan\", nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a finite number", 3},
    {M "materials:\n  implant: {E: 1, nu: -Infinity}\n" CON LC,
     "materials.implant.nu", "must be a finite number", 3},
    {M "materials:\n  implant: {E: \"100\", nu: 0.3}\n" CON LC,
     "materials.implant.E", "quoted string", 3},
    {M "materials:\n  implant: {E: 100 MPa, nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a number (got '100 MPa')", 3},
    {M "materials:\n  implant: {E: [1], nu: 0.3}\n" CON LC,
     "materials.implant.E", "must be a number (got a list)", 3},
    {M "materials:\n  implant: {E: , nu: 0.3}\n" CON LC, "materials.implant.E",
     "must be a number (got nothing)", 3},
    {M "materials:\n  implant: {nu: 0.3}\n" CON LC, "materials.implant.E",
     "missing", 3},
    {M "materials:\n  implant: {E: 1, nu: 0.3, G: 5}\n" CON LC,
     "materials.implant.G", "unknown key", 3},
    {M "materials:\n  implant: {E: 1, nu: 0.3, e: 5}\n" CON LC,
     "materials.implant.e", "did you mean 'E'", 3},
    {M "materials: {}\n" CON LC, "materials", "must not be empty", 2},
    {M "materials:\n" CON LC, "materials", "must be a map", 2},
    {M "materials:\n  - implant\n" CON LC, "materials", "must be a map", 3},
    {M
     "materials:\n  implant: {E: 1, nu: 0.3}\n  implant: {E: 2, nu: 0.3}\n" CON
         LC,
     "materials.implant", "duplicate key (first given at line 3)", 4},
    {M "materials:\n  implant: 5\n" CON LC, "materials.implant",
     "must be a map", 3},
    /* a control character in a name (a newline split the suite's
     * checks.txt line of a failing check: the case passed) */
    {M MAT CON "load_cases:\n  - name: \"a\\nb\"\n    loads: [{group: top, "
               "pressure: 1}]\n",
     "load_cases[0].name", "control character", 7},
    {M "materials:\n  \"im\\tplant\": {E: 100, nu: 0.3}\n" CON LC,
     "materials.im\tplant", "control character", 3},
    /* a safety check on a material without fatigue data */
    {M "materials:\n  implant: {E: 100, nu: 0.3}\n  bone: {E: 10, nu: "
       "0.3}\n" CON LC
       "fatigue:\n  materials: {implant: {Sy: 80, Su: 90, Se: 10, Ne: 1e7, "
       "basquin: {Sf: 100, b: -0.1}}}\n  cycles: [{name: c, load_cases: [a, "
       "zero], count: 1}]\nexpected:\n  - {quantity: min_static_safety, "
       "group: bone, value: 1, tolerance: 0.1, kind: closed_form, source: "
       "x}\n",
     "expected[0].group", "not under fatigue.materials", 0},
    /* merge keys (<<) */
    {M "materials:\n  implant: &t {E: 100, nu: 0.3, <<: *t}\n" CON LC, "<<",
     "merges a mapping into itself", 3},
    {M "materials:\n  implant: {E: 100, nu: 0.3,\n    <<: 5}\n" CON LC, "<<",
     "must be a mapping or a list", 4},
    {M "materials:\n  implant: {<<: {E: 1}, <<: {nu: 0.3}}\n" CON LC, "<<",
     "given twice", 3},
    {M "materials:\n  implant: {<<: [{E: 1}, 3], nu: 0.3}\n" CON LC, "<<",
     "item 2 is not a mapping", 3},
    {M "materials:\n  a: &t {E: 100, nu: 0.3}\n  implant: {<<: *t, colour: "
       "red}\n" CON LC,
     "materials.implant.colour", "unknown key", 4},
    {M
     "materials:\n  a: &t {E: -1, nu: 0.3}\n  implant: {<<: *t, nu: 0.2}\n" CON
         LC,
     "materials.a.E", "must be > 0", 3},
    {M "materials:\n  implant: {<<: {E: -1}, nu: 0.2}\n" CON LC,
     "materials.implant.E", "must be > 0", 3},
    /* constraints */
    {M MAT "constraints: []\n" LC, "constraints", "must not be empty", 4},
    {M MAT "constraints: {group: a, fix: all}\n" LC, "constraints",
     "must be a list", 4},
    {M MAT "constraints:\n  - {fix: all}\n" LC, "constraints[0].group",
     "missing", 5},
    {M MAT "constraints:\n  - {group: \"\", fix: all}\n" LC,
     "constraints[0].group", "non-empty", 5},
    {M MAT "constraints:\n  - {group: a}\n" LC, "constraints[0]",
     "needs fix and/or displacement", 5},
    {M MAT "constraints:\n  - {group: a, fix: [x, w]}\n" LC,
     "constraints[0].fix[1]", "must be x, y, z or all (got 'w')", 5},
    {M MAT "constraints:\n  - {group: a, fix: [x, x]}\n" LC,
     "constraints[0].fix[1]", "twice", 5},
    {M MAT "constraints:\n  - {group: a, fix: []}\n" LC, "constraints[0].fix",
     "must not be empty", 5},
    {M MAT "constraints:\n  - {group: a, fix: everything}\n" LC,
     "constraints[0].fix", "components among x, y, z", 5},
    {M MAT "constraints:\n  - {group: a, fix: all}\n"
           "  - {group: sym, fix: [y], displacement: {y: 0.1}}\n" LC,
     "constraints[1].displacement.y", "both fixed and displaced", 6},
    {M MAT "constraints:\n  - {group: a, displacement: {y: nan}}\n" LC,
     "constraints[0].displacement.y", "finite", 5},
    {M MAT "constraints:\n  - {group: a, displacement: {w: 1}}\n" LC,
     "constraints[0].displacement.w", "unknown key", 5},
    {M MAT "constraints:\n  - {group: a, displacement: {}}\n" LC,
     "constraints[0].displacement", "must not be empty", 5},
    {M MAT "constraints:\n  - {group: a, fix: all, fixx: [x]}\n" LC,
     "constraints[0].fixx", "did you mean 'fix'", 5},
    /* load cases and loads */
    {M MAT CON "load_cases: []\n", "load_cases", "must not be empty", 6},
    {M MAT CON "load_cases:\n  - name: a\n    loads: []\n",
     "load_cases[0].loads", "must not be empty", 8},
    {M MAT CON "load_cases:\n  - name: a\n", "load_cases[0].loads", "missing",
     7},
    {M MAT CON "load_cases:\n  - loads: [{body_force: [0, 0, 1]}]\n",
     "load_cases[0].name", "missing", 7},
    {M MAT CON "load_cases:\n  - {name: a, loads: [{body_force: [0, 0, 1]}]}\n"
               "  - {name: a, loads: [{body_force: [0, 0, 2]}]}\n",
     "load_cases[1].name", "duplicate load case name 'a'", 8},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n"
               "      - {group: top, pressure: 1, traction: [1, 2, 3]}\n",
     "load_cases[0].loads[0]", "exactly one", 9},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n      - {group: top}\n",
     "load_cases[0].loads[0]", "needs one of", 9},
    {M MAT CON "load_cases:\n  - name: walking\n    loads:\n"
               "      - {group: head, pressure: 1.5}\n"
               "      - {group: lateral, traction: [0, 0.2, 0]}\n"
               "      - {group: proximal, total_force: [300, 0]}\n",
     "load_cases[0].loads[2].total_force", "3 numbers", 11},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n      - {pressure: 1}\n",
     "load_cases[0].loads[0].group", "missing (required for pressure)", 9},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n"
               "      - {group: top, body_force: [0, 0, 1]}\n",
     "load_cases[0].loads[0].group",
     "no material named 'top' (a body_force's group is a material of the "
     "case: ",
     9},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n"
               "      - {group: top, traction: [0, inf, 0]}\n",
     "load_cases[0].loads[0].traction[1]", "finite", 9},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n"
               "      - {group: top, pressure: [1]}\n",
     "load_cases[0].loads[0].pressure", "must be a number", 9},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n"
               "      - {group: top, force: [1, 2, 3]}\n",
     "load_cases[0].loads[0].force", "unknown key", 9},
    {M MAT CON "load_cases:\n  - name: a\n    loads:\n"
               "      - {group: top, body_force: 1}\n",
     "load_cases[0].loads[0].body_force", "3 numbers", 9},
    /* probes */
    {GOOD "probes:\n  - {name: tip, point: [12, 0]}\n", "probes[0].point",
     "3 numbers", 11},
    {GOOD "probes:\n  - {name: tip, point: [1, 2, 3]}\n"
          "  - {name: tip, point: [4, 5, 6]}\n",
     "probes[1].name", "duplicate probe name 'tip'", 12},
    {GOOD "probes:\n  - {point: [1, 2, 3]}\n", "probes[0].name", "missing", 11},
    {GOOD "probes: {name: tip}\n", "probes", "must be a list", 10},
    /* output and solver */
    {GOOD "output: {vtu: maybe}\n", "output.vtu", "true or false", 10},
    {GOOD "output: {vtk: true}\n", "output.vtk", "did you mean 'vtu'", 10},
    {GOOD "solver: {rtol: 0}\n", "solver.rtol", "must be in (0, 1)", 10},
    {GOOD "solver: {rtol: 1.5}\n", "solver.rtol", "must be in (0, 1)", 10},
    {GOOD "solver: {max_it: 0}\n", "solver.max_it", "must be >= 1", 10},
    {GOOD "solver: {max_it: 10.5}\n", "solver.max_it", "integer", 10},
    {GOOD "solver: {max_it: 1e10}\n", "solver.max_it", "out of range", 10},
    {GOOD "solver: {backend: gpu}\n", "solver.backend",
     "cpu, ref, cuda or auto", 10},
    {GOOD "solver: {rtol: .NaN}\n", "solver.rtol", "finite", 10},
};

static char tmpdir[256], path[512];
static int fails = 0;

static void write_file(const char *text) {
  FILE *f = fopen(path, "wb");
  if (!f || fputs(text, f) < 0 || fclose(f)) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
}

/* Expect failure; check the message against item/keyword/line. */
static void expect_bad(const char *yaml, const char *item, const char *keyword,
                       int line, const char *label) {
  FmCase c;
  write_file(yaml);
  fm_error_clear();
  int ierr = fm_case_read(path, &c);
  const char *msg = fm_error_message();
  char want[1200];
  if (!ierr) {
    fprintf(stderr, "%s: accepted, expected an error about %s (%s)\n", label,
            item, keyword);
    fails++;
    fm_case_free(&c);
    return;
  }
  if (c.materials || c.constraints || c.load_cases || c.probes ||
      c.param_name) {
    fprintf(stderr, "%s: arrays left allocated after an error\n", label);
    fails++;
  }
  int ok = strncmp(msg, path, strlen(path)) == 0 && strchr(msg, '\n') == NULL;
  if (line) {
    snprintf(want, sizeof want, "%s:%d: ", path, line);
    ok = ok && strncmp(msg, want, strlen(want)) == 0;
  }
  if (item[0]) {
    snprintf(want, sizeof want, ": %s: ", item);
    ok = ok && strstr(msg, want) != NULL;
  }
  ok = ok && strstr(msg, keyword) != NULL;
  if (!ok) {
    fprintf(stderr, "%s: message '%s'\n   expected line %d, item '%s', '%s'\n",
            label, msg, line, item, keyword);
    fails++;
  }
  fm_case_free(&c);
}

int main(void) {
  snprintf(tmpdir, sizeof tmpdir, "/tmp/femora-t302-XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/bad.yaml", tmpdir);

  /* the base snippet itself is good */
  {
    FmCase c;
    write_file(GOOD);
    if (fm_case_read(path, &c)) {
      fprintf(stderr, "base case rejected: %s\n", fm_error_message());
      fails++;
    }
    fm_case_free(&c);
  }

  char label[64];
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    snprintf(label, sizeof label, "bad[%zu]", i);
    expect_bad(bad[i].yaml, bad[i].item, bad[i].keyword, bad[i].line, label);
  }

  /* names: FM_NAME_MAX - 1 characters fit, FM_NAME_MAX do not */
  {
    char name[FM_NAME_MAX + 1], yaml[1024], item[300];
    memset(name, 'a', FM_NAME_MAX - 1);
    name[FM_NAME_MAX - 1] = 0;
    snprintf(yaml, sizeof yaml,
             M MAT CON LC "probes:\n  - {name: %s, point: [0, 0, 0]}\n", name);
    write_file(yaml);
    FmCase c;
    if (fm_case_read(path, &c) || c.nprobes != 1 ||
        strlen(c.probes[0].name) != FM_NAME_MAX - 1) {
      fprintf(stderr, "name of %d characters rejected: %s\n", FM_NAME_MAX - 1,
              fm_error_message());
      fails++;
    }
    fm_case_free(&c);
    strcat(name, "b");
    snprintf(yaml, sizeof yaml,
             M MAT CON LC "probes:\n  - {name: %s, point: [0, 0, 0]}\n", name);
    expect_bad(yaml, "probes[0].name", "too long", 11, "long probe name");
    snprintf(yaml, sizeof yaml, M "materials:\n  %s: {E: 1, nu: 0.3}\n" CON LC,
             name);
    snprintf(item, sizeof item, "materials.%s", name);
    expect_bad(yaml, item, "too long", 3, "long material name");
  }

  /* missing file */
  {
    FmCase c;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.yaml", tmpdir);
    if (!fm_case_read(missing, &c) || !strstr(fm_error_message(), missing) ||
        !strstr(fm_error_message(), "cannot open")) {
      fprintf(stderr, "missing file: '%s'\n", fm_error_message());
      fails++;
    }
    fm_case_free(&c);
  }

  remove(path);
  rmdir(tmpdir);
  if (fails) {
    fprintf(stderr, "t302-case-bad: %d failure(s)\n", fails);
    return 1;
  }
  return 0;
}
