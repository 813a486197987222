/* Case reader robustness: truncated, mutated and hostile inputs must give
 * either a valid case or an error (one line naming the file), never a crash
 * or a leak (run under the sanitizer build or valgrind to see leaks). */
#define _POSIX_C_SOURCE 200809L
#include "case.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char example[] =
    "title: Segmental femoral implant, walking\n"
    "mesh:\n"
    "  file: segmental.msh        # Gmsh MSH 4.1\n"
    "  order: 2\n"
    "materials:\n"
    "  implant: {E: 110000, nu: 0.34}\n"
    "  bone:    {E: 17000,  nu: 0.3}\n"
    "  cement:  {E: 2500,   nu: 0.35}\n"
    "constraints:\n"
    "  - {group: distal, fix: [x, y, z]}\n"
    "  - {group: sym, displacement: {y: 0.0}}\n"
    "load_cases:\n"
    "  - name: walking\n"
    "    loads:\n"
    "      - {group: proximal, total_force: [300, 0, -2000]}\n"
    "      - {group: head, pressure: 1.5}\n"
    "      - {group: lateral, traction: [0, 0.2, 0]}\n"
    "      - {body_force: [0, 0, -9.81e-6]}\n"
    "probes:\n"
    "  - {name: tip, point: [12, 0, 160]}\n"
    "output: {vtu: true}\n"
    "solver: {backend: auto, rtol: 1e-9, max_it: 200}\n";

static char path[512];
static int fails = 0, nok = 0, nbad = 0;

static void write_bytes(const char *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(1);
  }
}

static void try_read(const char *data, size_t n, const char *label) {
  FmCase c;
  write_bytes(data, n);
  fm_error_clear();
  if (fm_case_read(path, &c)) {
    const char *msg = fm_error_message();
    if (strncmp(msg, path, strlen(path)) || strchr(msg, '\n')) {
      fprintf(stderr, "%s: bad message '%s'\n", label, msg);
      fails++;
    }
    if (c.materials || c.constraints || c.load_cases || c.probes) {
      fprintf(stderr, "%s: arrays left after an error\n", label);
      fails++;
    }
    nbad++;
  } else {
    if (c.nmaterials < 1 || c.nconstraints < 1 || c.nload_cases < 1) {
      fprintf(stderr, "%s: accepted an incomplete case\n", label);
      fails++;
    }
    nok++;
  }
  fm_case_free(&c);
}

/* Expect a refusal naming the fault. */
static void try_refused(const char *data, size_t n, const char *label,
                        const char *fault) {
  FmCase c;
  write_bytes(data, n);
  fm_error_clear();
  if (!fm_case_read(path, &c)) {
    fprintf(stderr, "%s: accepted\n", label);
    fails++;
  } else if (!strstr(fm_error_message(), fault)) {
    fprintf(stderr, "%s: message '%s', expected '%s'\n", label,
            fm_error_message(), fault);
    fails++;
  }
  fm_case_free(&c);
}

int main(void) {
  char dir[] = "/tmp/femora-t304-XXXXXX";
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  snprintf(path, sizeof path, "%s/fuzz.yaml", dir);
  size_t n = strlen(example);
  char label[64];

  /* every truncation */
  for (size_t k = 0; k <= n; k++) {
    snprintf(label, sizeof label, "truncated at %zu", k);
    try_read(example, k, label);
  }
  if (nok < 1) {
    fprintf(stderr, "the full example was rejected\n");
    fails++;
  }

  /* random byte mutations, fixed seed */
  char *buf = malloc(n + 1);
  static const char alphabet[] =
      "{}[]:,-#&*!|>'\"%@` \t\n\r0123456789.eE+~xyz\xff\x80";
  unsigned long seed = 12345;
  for (int trial = 0; trial < 4000; trial++) {
    memcpy(buf, example, n);
    int nmut = 1 + trial % 4;
    for (int j = 0; j < nmut; j++) {
      seed = seed * 6364136223846793005UL + 1442695040888963407UL;
      size_t pos = (size_t)(seed >> 33) % n;
      seed = seed * 6364136223846793005UL + 1442695040888963407UL;
      if ((seed >> 60) & 1)
        buf[pos] = alphabet[(seed >> 35) % (sizeof alphabet - 1)];
      else
        buf[pos] = (char)((seed >> 40) & 0xff);
    }
    snprintf(label, sizeof label, "mutation %d", trial);
    try_read(buf, n, label);
  }
  free(buf);

  /* hostile structure */
  {
    size_t depth = 20000;
    char *deep = malloc(2 * depth + 64);
    size_t off = (size_t)sprintf(deep, "mesh: ");
    for (size_t i = 0; i < depth; i++)
      deep[off++] = '[';
    for (size_t i = 0; i < depth; i++)
      deep[off++] = ']';
    deep[off++] = '\n';
    try_read(deep, off, "deep nesting");
    free(deep);
  }
  {
    size_t len = 200000, klen = 5000;
    char *lng = malloc(len + klen + 64);
    size_t off = (size_t)sprintf(lng, "title: ");
    memset(lng + off, 'a', len);
    off += len;
    off += (size_t)sprintf(lng + off, "\nmaterials:\n  ");
    memset(lng + off, 'k', klen);
    off += klen;
    off += (size_t)sprintf(lng + off, ": {E: 1, nu: 0}\n");
    try_read(lng, off, "long scalars");
    free(lng);
  }
  {
    /* merge keys: nested past 64, a mapping past 1024 keys, a file that
     * multiplies its keys by merging (each refused, one line) */
    const size_t cap = 4 << 20;
    char *t = malloc(cap);
    size_t off = (size_t)sprintf(t, "x:\n  m0: &m0 {k: 1}\n");
    for (int i = 1; i <= 100; i++)
      off += (size_t)sprintf(t + off, "  m%d: &m%d {<<: *m%d}\n", i, i, i - 1);
    try_read(t, off, "merge chain"); /* each merged once, in order */
    off = (size_t)sprintf(t, "x:\n");
    for (int i = 1; i <= 100; i++)
      off += (size_t)sprintf(t + off, "%*s<<:\n", 2 * i, "");
    off += (size_t)sprintf(t + off, "%*sk: 1\n", 202, "");
    try_refused(t, off, "merge nested", "chained more than 64 deep");
    off = (size_t)sprintf(t, "x:\n  w: &w {");
    for (int i = 0; i < 1100; i++)
      off += (size_t)sprintf(t + off, "%sk%d: 1", i ? ", " : "", i);
    off += (size_t)sprintf(t + off, "}\n  v: {<<: *w, z: 2}\n");
    try_refused(t, off, "merge wide", "at most 1024");
    off = (size_t)sprintf(t, "x:\n  w: &w {");
    for (int i = 0; i < 1000; i++)
      off += (size_t)sprintf(t + off, "%sk%d: 1", i ? ", " : "", i);
    off += (size_t)sprintf(t + off, "}\n");
    for (int i = 0; i < 200; i++)
      off += (size_t)sprintf(t + off, "  v%d: {<<: *w}\n", i);
    try_refused(t, off, "merge many", "merges at most 20000");
    /* keys already present count too: 64 merges of 1000 keys a mapping */
    off = (size_t)sprintf(t, "x:\n  w: &w {");
    for (int i = 0; i < 1000; i++)
      off += (size_t)sprintf(t + off, "%sk%d: 1", i ? ", " : "", i);
    off += (size_t)sprintf(t + off, "}\n");
    for (int i = 0; i < 20; i++) {
      off += (size_t)sprintf(t + off, "  v%d: {<<: [", i);
      for (int j = 0; j < 64; j++)
        off += (size_t)sprintf(t + off, "%s*w", j ? ", " : "");
      off += (size_t)sprintf(t + off, "]}\n");
    }
    try_refused(t, off, "merge repeated", "merges at most 20000");
    free(t);
  }
  static const char *const hostile[] = {
      /* recursive anchor */
      "mesh: {file: m.msh}\nmaterials: &a {x: *a}\nconstraints: &c [*c]\n"
      "load_cases: [*c]\n",
      /* many aliases of one node */
      "a: &a [1, 2, 3]\nmesh: {file: m.msh}\n"
      "materials:\n  m: {E: 1, nu: 0}\n"
      "constraints:\n  - {group: g, fix: all}\n"
      "load_cases:\n  - {name: a, loads: [{group: s, traction: *a}]}\n"
      "probes: [{name: p, point: *a}, {name: q, point: *a}]\n",
      /* aliases used correctly (unknown top key a is reported) */
      "x: &v [1, 2, 3]\n",
      "%YAML 1.1\n---\nmesh: {file: m.msh}\n...\n",
      "%TAG ! tag:x,2000:\n--- !foo\nmesh: !bar {file: m.msh}\n",
      "mesh: !!str {file: m.msh}\n",
      "\xef\xbb\xbfmesh: {file: m.msh}\n",
      "mesh: {file: \"a\\0b\"}\n",
      "\"\\0\": 1\n",
      "mesh: |\n  block\n  scalar\n",
      "? mesh\n: {file: m.msh}\n",
      "mesh: {file: m.msh}\nmaterials:\n  ? [a]\n  : {E: 1, nu: 0}\n",
      "{mesh: {file: m.msh}, materials: {m: {E: 1, nu: 0}}, constraints: "
      "[{group: g, fix: all}], load_cases: [{name: a, loads: [{body_force: "
      "[0, 0, 1]}]}]}\n",
      "---\n---\n",
      "...\n",
      "- \n",
      "\x01\x02\x03",
      ":",
      "[",
      "{",
      "&a",
      "*a",
      "!",
      "'",
      "\"",
      "mesh: {file: m.msh, file: n.msh}\n",
      "<<: {mesh: {file: m.msh}}\n",
      "a: &a {<<: *a}\n",
      "a: &a [{<<: *a}]\n",
      "a: &a {b: {<<: *a}}\n",
      "<<: *a\n",
      "a: {<<: [], b: 1}\n",
      "a: {<<: ~}\n",
      "a: {<<: {<<: {<<: {c: 1}}}}\n",
  };
  for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
    snprintf(label, sizeof label, "hostile[%zu]", i);
    try_read(hostile[i], strlen(hostile[i]), label);
  }

  remove(path);
  rmdir(dir);
  if (fails) {
    fprintf(stderr, "t304-case-robust: %d failure(s) (%d read, %d rejected)\n",
            fails, nok, nbad);
    return 1;
  }
  return 0;
}
