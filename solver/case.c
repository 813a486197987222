/* Femora case file reader: YAML (libyaml document API) -> validated FmCase.
 * The format is documented in docs/case-file.md.
 *
 * Every error is one line "<case path>:<line>: <item path>: <fault>", where
 * <line> is 1-based and left out where no line applies (missing sections,
 * checks against the mesh), and the item path is dotted and indexed, e.g.
 * "load_cases[0].loads[2].total_force". */
#include "case.h"

#include "error.h"
#include "fileio.h"
#include "report.h"

#include <yaml.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_MAX 1024 /* item-path buffers */
#define SHOW_MAX 40   /* characters of a user value shown in a message */

typedef struct {
  const char *path;     /* case file, for messages */
  yaml_document_t *doc; /* loaded document */
} Ctx;

/* ------------------------------------------------------------------------ */
/* small helpers                                                            */

static yaml_node_t *node_at(Ctx *x, int id) {
  return yaml_document_get_node(x->doc, id);
}

static const char *sval(const yaml_node_t *n) {
  return (const char *)n->data.scalar.value;
}

static size_t slen(const yaml_node_t *n) {
  return n->data.scalar.length;
}

static int is_quoted(const yaml_node_t *n) {
  return n->type == YAML_SCALAR_NODE &&
         (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
          n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

/* A plain scalar that YAML reads as null: empty, ~, null, Null, NULL. */
static int is_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE)
    return 0;
  if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
      n->data.scalar.style != YAML_ANY_SCALAR_STYLE)
    return 0;
  const char *s = sval(n);
  return slen(n) == 0 || !strcmp(s, "~") || !strcmp(s, "null") ||
         !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static unsigned long line_of(const yaml_node_t *n) {
  return (unsigned long)n->start_mark.line + 1;
}

/* What a node is, for "(got ...)" in messages. */
static const char *describe(const yaml_node_t *n, char *buf, size_t cap) {
  switch (n->type) {
  case YAML_MAPPING_NODE:
    return "a map";
  case YAML_SEQUENCE_NODE:
    return "a list";
  case YAML_SCALAR_NODE: {
    if (is_null(n))
      return slen(n) ? "null" : "nothing";
    int len = slen(n) > SHOW_MAX ? SHOW_MAX : (int)slen(n);
    snprintf(buf, cap, "%s'%.*s%s'", is_quoted(n) ? "quoted string " : "", len,
             sval(n), slen(n) > SHOW_MAX ? "..." : "");
    return buf;
  }
  default:
    return "nothing";
  }
}

/* Raw scalar text (shortened), for range errors such as "(got -5)". */
static const char *raw(const yaml_node_t *n, char *buf, size_t cap) {
  int len = slen(n) > SHOW_MAX ? SHOW_MAX : (int)slen(n);
  snprintf(buf, cap, "%.*s%s", len, sval(n), slen(n) > SHOW_MAX ? "..." : "");
  return buf;
}

static int err(Ctx *x, const yaml_node_t *n, const char *item, const char *fmt,
               ...) FM_PRINTF(4, 5);
static int err(Ctx *x, const yaml_node_t *n, const char *item, const char *fmt,
               ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *sep = item[0] ? ": " : "";
  if (n)
    return fm_error("%s:%lu: %s%s%s", x->path, line_of(n), item, sep, msg);
  return fm_error("%s: %s%s%s", x->path, item, sep, msg);
}

/* Copy at most cap-1 bytes with termination (no truncation warnings). */
static void copy_str(char *dst, size_t cap, const char *src, size_t len) {
  if (len >= cap)
    len = cap - 1;
  memcpy(dst, src, len);
  dst[len] = 0;
}

/* Item paths: parent.key and parent[i]. */
static void item_key(char *out, const char *parent, const char *key,
                     size_t keylen) {
  size_t pl = strlen(parent);
  if (pl > ITEM_MAX / 2)
    pl = ITEM_MAX / 2;
  if (keylen > 200)
    keylen = 200;
  memcpy(out, parent, pl);
  if (pl)
    out[pl++] = '.';
  memcpy(out + pl, key, keylen);
  out[pl + keylen] = 0;
}

static void item_index(char *out, const char *parent, long i) {
  size_t pl = strlen(parent);
  if (pl > ITEM_MAX / 2)
    pl = ITEM_MAX / 2;
  memcpy(out, parent, pl);
  snprintf(out + pl, ITEM_MAX - pl, "[%ld]", i);
}

/* ------------------------------------------------------------------------ */
/* typed values                                                             */

static int ieq(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
      return 0;
  return *a == *b;
}

static int get_number(Ctx *x, const yaml_node_t *n, const char *item,
                      double *v) {
  char b[96];
  if (n->type != YAML_SCALAR_NODE || is_null(n))
    return err(x, n, item, "must be a number (got %s)",
               describe(n, b, sizeof b));
  const char *s = sval(n);
  if (strlen(s) != slen(n))
    return err(x, n, item, "must be a number (got a string with a NUL byte)");
  char *end;
  double d = strtod(s, &end);
  int full = end != s && !*end && !isspace((unsigned char)s[0]);
  if (ieq(s, ".inf") || ieq(s, "+.inf") || ieq(s, "-.inf") || ieq(s, ".nan") ||
      (full && !isfinite(d)))
    return err(x, n, item, "must be a finite number (got %s)",
               is_quoted(n) ? describe(n, b, sizeof b) : raw(n, b, sizeof b));
  if (is_quoted(n))
    return err(x, n, item, "must be a number, not a quoted string (got %s)",
               describe(n, b, sizeof b));
  if (!full)
    return err(x, n, item, "must be a number (got %s)",
               describe(n, b, sizeof b));
  *v = d;
  return 0;
}

static int get_integer(Ctx *x, const yaml_node_t *n, const char *item, int *v) {
  char b[96];
  double d;
  FM_CALL(get_number(x, n, item, &d));
  if (d != floor(d))
    return err(x, n, item, "must be an integer (got %s)", raw(n, b, sizeof b));
  if (d > INT_MAX || d < INT_MIN)
    return err(x, n, item, "integer out of range (got %s)",
               raw(n, b, sizeof b));
  *v = (int)d;
  return 0;
}

static int get_bool(Ctx *x, const yaml_node_t *n, const char *item, int *v) {
  static const char *const t[] = {"true", "True", "TRUE", "yes", "Yes",
                                  "YES",  "on",   "On",   "ON"};
  static const char *const f[] = {"false", "False", "FALSE", "no", "No",
                                  "NO",    "off",   "Off",   "OFF"};
  char b[96];
  if (n->type == YAML_SCALAR_NODE && !is_quoted(n)) {
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
      if (!strcmp(sval(n), t[i])) {
        *v = 1;
        return 0;
      }
      if (!strcmp(sval(n), f[i])) {
        *v = 0;
        return 0;
      }
    }
  }
  return err(x, n, item, "must be true or false (got %s)",
             describe(n, b, sizeof b));
}

/* A string scalar into dst[cap].  Null reads as "" (an error unless
 * allow_empty). */
static int get_string(Ctx *x, const yaml_node_t *n, const char *item, char *dst,
                      size_t cap, int allow_empty) {
  char b[96];
  if (n->type != YAML_SCALAR_NODE)
    return err(x, n, item, "must be a string (got %s)",
               describe(n, b, sizeof b));
  size_t len = is_null(n) ? 0 : slen(n);
  if (len && memchr(sval(n), 0, len))
    return err(x, n, item, "must not contain a NUL character");
  if (len == 0 && !allow_empty)
    return err(x, n, item, "must be a non-empty string (got %s)",
               describe(n, b, sizeof b));
  if (len >= cap)
    return err(x, n, item, "too long (%zu characters, at most %zu)", len,
               cap - 1);
  copy_str(dst, cap, len ? sval(n) : "", len);
  return 0;
}

/* A name (material, group, load case, probe, parameter). */
static int get_name(Ctx *x, const yaml_node_t *n, const char *item,
                    char dst[FM_NAME_MAX]) {
  FM_CALL(get_string(x, n, item, dst, FM_NAME_MAX, 0));
  /* a name goes into file names, CSV and the suite's checks.txt (a line
   * per check, tab-separated: a newline split a failing check in two and
   * the suite passed the case) */
  for (const unsigned char *c = (const unsigned char *)dst; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return err(x, n, item,
                 "must not contain a control character (a newline, a tab: "
                 "byte 0x%02x)",
                 *c);
  return 0;
}

static int get_vec3(Ctx *x, const yaml_node_t *n, const char *item,
                    double v[3]) {
  char b[96], it[ITEM_MAX];
  if (n->type != YAML_SEQUENCE_NODE)
    return err(x, n, item, "must be a list of 3 numbers [x, y, z] (got %s)",
               describe(n, b, sizeof b));
  long cnt = (long)(n->data.sequence.items.top - n->data.sequence.items.start);
  if (cnt != 3)
    return err(x, n, item,
               "must be a list of 3 numbers [x, y, z] (got %ld "
               "item%s)",
               cnt, cnt == 1 ? "" : "s");
  for (int i = 0; i < 3; i++) {
    item_index(it, item, i);
    FM_CALL(
        get_number(x, node_at(x, n->data.sequence.items.start[i]), it, &v[i]));
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* maps and lists                                                           */

static long map_size(const yaml_node_t *n) {
  return (long)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static long seq_size(const yaml_node_t *n) {
  return (long)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static int keq(const yaml_node_t *k, const char *s) {
  size_t l = strlen(s);
  return k->type == YAML_SCALAR_NODE && slen(k) == l && !memcmp(sval(k), s, l);
}

/* Levenshtein distance, capped (short strings only). */
static int edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 30 || lb > 30)
    return 99;
  int d[32][32];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = (int)i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = (int)j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++) {
      int c = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) !=
                                 tolower((unsigned char)b[j - 1]));
      if (d[i - 1][j] + 1 < c)
        c = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < c)
        c = d[i][j - 1] + 1;
      d[i][j] = c;
    }
  return d[la][lb];
}

/* n must be a map (null counts as an empty map when null_ok); its keys are
 * strings, unique and, when allowed != NULL, among allowed (NULL-terminated).
 * what names the expected content for the type error. */
static int check_map(Ctx *x, const yaml_node_t *n, const char *item,
                     const char *const *allowed, const char *what) {
  char b[96], it[ITEM_MAX];
  if (n->type != YAML_MAPPING_NODE)
    return err(x, n, item, "must be %s (got %s)", what,
               describe(n, b, sizeof b));
  yaml_node_pair_t *p0 = n->data.mapping.pairs.start;
  long np = map_size(n);
  for (long i = 0; i < np; i++) {
    yaml_node_t *k = node_at(x, p0[i].key);
    if (k->type != YAML_SCALAR_NODE)
      return err(x, k, item, "keys must be strings (got %s as a key)",
                 describe(k, b, sizeof b));
    if (memchr(sval(k), 0, slen(k)))
      return err(x, k, item, "keys must not contain a NUL character");
    item_key(it, item, sval(k), slen(k));
    for (long j = 0; j < i; j++) {
      yaml_node_t *kj = node_at(x, p0[j].key);
      if (slen(kj) == slen(k) && !memcmp(sval(kj), sval(k), slen(k)))
        return err(x, k, it, "duplicate key (first given at line %lu)",
                   line_of(kj));
    }
    if (!allowed)
      continue;
    int known = 0;
    for (const char *const *a = allowed; *a && !known; a++)
      known = keq(k, *a);
    if (known)
      continue;
    const char *guess = NULL;
    for (const char *const *a = allowed; *a && !guess; a++) {
      /* trivial slips only: case, or 1-2 edits of a word of 2+ letters */
      size_t la = strlen(*a), lk = slen(k);
      if (ieq(sval(k), *a) || (la >= 2 && lk >= 2 &&
                               edit_distance(sval(k), *a) <= (la > 3 ? 2 : 1)))
        guess = *a;
    }
    char list[512];
    size_t off = 0;
    list[0] = 0;
    for (const char *const *a = allowed; *a; a++)
      off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
                              a == allowed ? "" : ", ", *a);
    if (guess)
      return err(x, k, it, "unknown key; did you mean '%s'? (known keys: %s)",
                 guess, list);
    return err(x, k, it, "unknown key (known keys: %s)", list);
  }
  return 0;
}

/* Value of key in a checked map, or NULL. */
static yaml_node_t *map_get(Ctx *x, const yaml_node_t *n, const char *key) {
  yaml_node_pair_t *p0 = n->data.mapping.pairs.start;
  for (long i = 0; i < map_size(n); i++)
    if (keq(node_at(x, p0[i].key), key))
      return node_at(x, p0[i].value);
  return NULL;
}

/* Required key: error on the map's line when missing. */
static int map_need(Ctx *x, const yaml_node_t *n, const char *item,
                    const char *key, yaml_node_t **v) {
  char it[ITEM_MAX];
  *v = map_get(x, n, key);
  if (*v)
    return 0;
  item_key(it, item, key, strlen(key));
  return err(x, n, it, "missing (required)");
}

/* n must be a list; empty only when empty_ok. */
static int check_seq(Ctx *x, const yaml_node_t *n, const char *item,
                     const char *what, int empty_ok) {
  char b[96];
  if (n->type != YAML_SEQUENCE_NODE)
    return err(x, n, item, "must be a list of %s (got %s)", what,
               describe(n, b, sizeof b));
  if (!empty_ok && seq_size(n) == 0)
    return err(x, n, item, "must not be empty");
  return 0;
}

static yaml_node_t *seq_at(Ctx *x, const yaml_node_t *n, long i) {
  return node_at(x, n->data.sequence.items.start[i]);
}

/* ------------------------------------------------------------------------ */
/* sections                                                                 */

/* Resolve file against the case directory into out[FM_PATH_MAX]. */
static int resolve(Ctx *x, const FmCase *c, const yaml_node_t *n,
                   const char *item, const char *file, char *out) {
  size_t lf = strlen(file), ld = strlen(c->dir);
  if (file[0] == '/' || !strcmp(c->dir, ".")) {
    copy_str(out, FM_PATH_MAX, file, lf);
    return 0;
  }
  int slash = ld > 0 && c->dir[ld - 1] == '/';
  if (ld + !slash + lf >= FM_PATH_MAX)
    return err(x, n, item, "path too long after prefixing the case directory");
  memcpy(out, c->dir, ld);
  if (!slash)
    out[ld++] = '/';
  memcpy(out + ld, file, lf + 1);
  return 0;
}

static int read_mesh(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {"file", "geo", "order", "parameters",
                                     NULL};
  char it[ITEM_MAX], name[FM_PATH_MAX], b[96];
  FM_CALL(check_map(x, n, "mesh", keys, "a map {file: ...} or {geo: ...}"));
  yaml_node_t *file = map_get(x, n, "file"), *geo = map_get(x, n, "geo");
  yaml_node_t *order = map_get(x, n, "order"),
              *par = map_get(x, n, "parameters");
  if (file && geo)
    return err(x, n, "mesh", "give either file or geo, not both");
  if (!file && !geo)
    return err(x, n, "mesh",
               "needs file (a Gmsh .msh mesh) or geo (a Gmsh geometry script)");
  if (file) {
    FM_CALL(get_string(x, file, "mesh.file", name, sizeof name, 0));
    FM_CALL(resolve(x, c, file, "mesh.file", name, c->mesh_file));
  } else {
    FM_CALL(get_string(x, geo, "mesh.geo", name, sizeof name, 0));
    FM_CALL(resolve(x, c, geo, "mesh.geo", name, c->geo_file));
  }
  if (order) {
    FM_CALL(get_integer(x, order, "mesh.order", &c->order));
    if (c->order != 1 && c->order != 2)
      return err(x, order, "mesh.order",
                 "must be 1 (TET4) or 2 (TET10) (got %s)",
                 raw(order, b, sizeof b));
  }
  if (par) {
    if (file)
      return err(x, par, "mesh.parameters", "only allowed with mesh.geo");
    if (is_null(par))
      return 0;
    FM_CALL(check_map(x, par, "mesh.parameters", NULL,
                      "a map of parameter names to numbers"));
    long np = map_size(par);
    c->param_name = fm_calloc((size_t)np, sizeof *c->param_name);
    c->param_value = fm_calloc((size_t)np, sizeof *c->param_value);
    if (!c->param_name || !c->param_value)
      return 1;
    for (long i = 0; i < np; i++) {
      yaml_node_t *k = node_at(x, par->data.mapping.pairs.start[i].key);
      yaml_node_t *v = node_at(x, par->data.mapping.pairs.start[i].value);
      item_key(it, "mesh.parameters", sval(k), slen(k));
      FM_CALL(get_name(x, k, it, c->param_name[i]));
      FM_CALL(get_number(x, v, it, &c->param_value[i]));
      c->nparams = (int)i + 1;
    }
  }
  return 0;
}

static int read_materials(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {"E", "nu", NULL};
  char it[ITEM_MAX], ik[ITEM_MAX], b[96];
  FM_CALL(check_map(x, n, "materials", NULL,
                    "a map from volume group names to {E: ..., nu: ...}"));
  long nm = map_size(n);
  if (nm == 0)
    return err(x, n, "materials",
               "must not be empty (needs one material per "
               "volume physical group)");
  FM_ALLOC(c->materials, nm);
  for (long i = 0; i < nm; i++) {
    yaml_node_t *k = node_at(x, n->data.mapping.pairs.start[i].key);
    yaml_node_t *v = node_at(x, n->data.mapping.pairs.start[i].value);
    FmMaterial *mt = &c->materials[i];
    item_key(it, "materials", sval(k), slen(k));
    FM_CALL(get_name(x, k, it, mt->group));
    FM_CALL(check_map(x, v, it, keys, "a map {E: ..., nu: ...}"));
    yaml_node_t *e, *nu;
    FM_CALL(map_need(x, v, it, "E", &e));
    FM_CALL(map_need(x, v, it, "nu", &nu));
    item_key(ik, it, "E", 1);
    FM_CALL(get_number(x, e, ik, &mt->E));
    if (!(mt->E > 0))
      return err(x, e, ik, "must be > 0 (got %s)", raw(e, b, sizeof b));
    item_key(ik, it, "nu", 2);
    FM_CALL(get_number(x, nu, ik, &mt->nu));
    if (!(mt->nu > -1 && mt->nu < 0.5))
      return err(x, nu, ik, "must be in (-1, 0.5) (got %s)",
                 raw(nu, b, sizeof b));
    c->nmaterials = (int)i + 1;
  }
  return 0;
}

/* Component letter x/y/z -> 0/1/2, or -1. */
static int component(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE || slen(n) != 1)
    return -1;
  switch (sval(n)[0]) {
  case 'x':
    return 0;
  case 'y':
    return 1;
  case 'z':
    return 2;
  default:
    return -1;
  }
}

static int read_fix(Ctx *x, const yaml_node_t *n, const char *item, int *mask) {
  char it[ITEM_MAX], b[96];
  *mask = 0;
  if (n->type == YAML_SCALAR_NODE && keq(n, "all")) {
    *mask = 7;
    return 0;
  }
  if (n->type == YAML_SCALAR_NODE && !is_null(n) && component(n) >= 0) {
    *mask = 1 << component(n);
    return 0;
  }
  if (n->type != YAML_SEQUENCE_NODE)
    return err(x, n, item,
               "must be a list of components among x, y, z, or all "
               "(got %s)",
               describe(n, b, sizeof b));
  if (seq_size(n) == 0)
    return err(x, n, item,
               "must not be empty (list components among x, y, z, "
               "or write all)");
  for (long i = 0; i < seq_size(n); i++) {
    yaml_node_t *s = seq_at(x, n, i);
    item_index(it, item, i);
    int bit;
    if (s->type == YAML_SCALAR_NODE && keq(s, "all"))
      bit = 7;
    else if (component(s) >= 0)
      bit = 1 << component(s);
    else
      return err(x, s, it, "must be x, y, z or all (got %s)",
                 describe(s, b, sizeof b));
    if (*mask & bit)
      return err(x, s, it, "component listed twice");
    *mask |= bit;
  }
  return 0;
}

static int read_constraints(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {"group", "fix", "displacement", NULL};
  static const char *const comps[] = {"x", "y", "z", NULL};
  char it[ITEM_MAX], ik[ITEM_MAX], ic[ITEM_MAX];
  FM_CALL(
      check_seq(x, n, "constraints", "constraints {group: ..., fix: ...}", 0));
  long nc = seq_size(n);
  FM_ALLOC(c->constraints, nc);
  for (long i = 0; i < nc; i++) {
    yaml_node_t *m = seq_at(x, n, i), *g, *fix, *disp;
    FmConstraint *k = &c->constraints[i];
    item_index(it, "constraints", i);
    FM_CALL(check_map(x, m, it, keys,
                      "a map {group: ..., fix: [...], "
                      "displacement: {...}}"));
    FM_CALL(map_need(x, m, it, "group", &g));
    item_key(ik, it, "group", 5);
    FM_CALL(get_name(x, g, ik, k->group));
    fix = map_get(x, m, "fix");
    disp = map_get(x, m, "displacement");
    if (!fix && !disp)
      return err(x, m, it, "needs fix and/or displacement");
    int fmask = 0;
    if (fix) {
      item_key(ik, it, "fix", 3);
      FM_CALL(read_fix(x, fix, ik, &fmask));
    }
    k->mask = fmask;
    if (disp) {
      item_key(ik, it, "displacement", 12);
      FM_CALL(check_map(x, disp, ik, comps,
                        "a map of components x, y, z to "
                        "displacements"));
      if (map_size(disp) == 0)
        return err(x, disp, ik, "must not be empty (give some of x, y, z)");
      for (int d = 0; d < 3; d++) {
        yaml_node_t *v = map_get(x, disp, comps[d]);
        if (!v)
          continue;
        item_key(ic, ik, comps[d], 1);
        if (fmask & (1 << d))
          return err(x, v, ic, "component %s is both fixed and displaced",
                     comps[d]);
        FM_CALL(get_number(x, v, ic, &k->value[d]));
        k->mask |= 1 << d;
      }
    }
    c->nconstraints = (int)i + 1;
  }
  return 0;
}

/* Whether name is a material (volume group) of the case read so far. */
static int is_material(const FmCase *c, const char *name) {
  for (int j = 0; j < c->nmaterials; j++)
    if (!strcmp(c->materials[j].group, name))
      return 1;
  return 0;
}

/* The case's material names, comma separated, in buf (cut to cap). */
static const char *material_list(const FmCase *c, char *buf, size_t cap) {
  size_t off = 0;
  buf[0] = 0;
  for (int j = 0; j < c->nmaterials && off + 1 < cap; j++)
    off += (size_t)snprintf(buf + off, cap - off, "%s%s", j ? ", " : "",
                            c->materials[j].group);
  return buf;
}

static int read_load(Ctx *x, const yaml_node_t *n, const char *item,
                     const FmCase *c, FmLoad *l) {
  static const char *const keys[] = {"group",    "total_force", "pressure",
                                     "traction", "body_force",  NULL};
  static const char *const kinds[] = {"total_force", "pressure", "traction",
                                      "body_force"};
  static const FmLoadKind kind_of[] = {FM_LOAD_TOTAL_FORCE, FM_LOAD_PRESSURE,
                                       FM_LOAD_TRACTION, FM_LOAD_BODY_FORCE};
  char ik[ITEM_MAX];
  FM_CALL(
      check_map(x, n, item, keys, "a map such as {group: ..., pressure: ...}"));
  int which = -1, other = -1;
  for (int k = 0; k < 4; k++)
    if (map_get(x, n, kinds[k])) {
      if (which < 0)
        which = k;
      else if (other < 0)
        other = k;
    }
  if (which < 0)
    return err(x, n, item,
               "needs one of total_force, pressure, traction, "
               "body_force");
  if (other >= 0)
    return err(x, n, item,
               "needs exactly one of total_force, pressure, "
               "traction, body_force (got %s and %s)",
               kinds[which], kinds[other]);
  yaml_node_t *v = map_get(x, n, kinds[which]), *g = map_get(x, n, "group");
  l->kind = kind_of[which];
  item_key(ik, item, kinds[which], strlen(kinds[which]));
  if (l->kind == FM_LOAD_PRESSURE)
    FM_CALL(get_number(x, v, ik, &l->v[0]));
  else
    FM_CALL(get_vec3(x, v, ik, l->v));
  item_key(ik, item, "group", 5);
  if (l->kind == FM_LOAD_BODY_FORCE) {
    /* optional: one material's elements (self-weight of bone and titanium
     * apart); without it every element */
    if (g) {
      FM_CALL(get_name(x, g, ik, l->group));
      char list[512];
      if (!is_material(c, l->group))
        return err(x, g, ik,
                   "no material named '%s' (a body_force's group is a "
                   "material of the case: %s)",
                   l->group, material_list(c, list, sizeof list));
    }
  } else {
    if (!g)
      return err(x, n, ik, "missing (required for %s)", kinds[which]);
    FM_CALL(get_name(x, g, ik, l->group));
  }
  return 0;
}

void fm_case_file_stem(const char *name, char *out, size_t cap) {
  size_t i = 0;
  for (; name[i] && i + 1 < cap; i++) {
    const unsigned char ch = (unsigned char)name[i];
    /* non-ASCII bytes (UTF-8: libyaml has checked it) kept: Gehen, größer */
    out[i] = ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
              ch >= 0x80)
                 ? (char)ch
                 : '_';
  }
  if (cap)
    out[i] = 0;
}

/* A load case's results go to NAME.vtu (fm_case_file_stem): name must not
 * write fatigue.vtu, nor the file of one of the n names before it
 * (name_at(k, ctx), what[k] for the message). */
static int check_file_stem(Ctx *x, const yaml_node_t *n, const char *item,
                           const char *name,
                           const char *(*name_at)(const void *, long),
                           const void *ctx, long nbefore, const char *what) {
  char stem[FM_NAME_MAX], other[FM_NAME_MAX];
  fm_case_file_stem(name, stem, sizeof stem);
  if (!strcmp(stem, "fatigue"))
    return err(x, n, item,
               "'%s' would write fatigue.vtu, the fatigue results' file: "
               "rename it",
               name);
  for (long j = 0; j < nbefore; j++) {
    fm_case_file_stem(name_at(ctx, j), other, sizeof other);
    if (!strcmp(stem, other))
      return err(x, n, item,
                 "'%s' would write the same file %s.vtu as %s[%ld] '%s' "
                 "(ASCII characters other than letters, digits, '.', '-', "
                 "'_' become '_'): rename one",
                 name, stem, what, j, name_at(ctx, j));
  }
  return 0;
}

static const char *load_case_name(const void *ctx, long j) {
  return ((const FmCase *)ctx)->load_cases[j].name;
}

static int read_load_cases(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {"name", "loads", NULL};
  char it[ITEM_MAX], ik[ITEM_MAX], il[ITEM_MAX];
  FM_CALL(
      check_seq(x, n, "load_cases", "load cases {name: ..., loads: [...]}", 0));
  long nl = seq_size(n);
  FM_ALLOC(c->load_cases, nl);
  c->nload_cases = (int)nl; /* loads arrays start NULL; fm_case_free copes */
  for (long i = 0; i < nl; i++) {
    yaml_node_t *m = seq_at(x, n, i), *name, *loads;
    FmLoadCase *lc = &c->load_cases[i];
    item_index(it, "load_cases", i);
    FM_CALL(check_map(x, m, it, keys, "a map {name: ..., loads: [...]}"));
    FM_CALL(map_need(x, m, it, "name", &name));
    FM_CALL(map_need(x, m, it, "loads", &loads));
    item_key(ik, it, "name", 4);
    FM_CALL(get_name(x, name, ik, lc->name));
    for (long j = 0; j < i; j++)
      if (!strcmp(c->load_cases[j].name, lc->name))
        return err(x, name, ik,
                   "duplicate load case name '%s' (also "
                   "load_cases[%ld].name)",
                   lc->name, j);
    if (!strcmp(lc->name, "zero"))
      return err(x, name, ik,
                 "'zero' is reserved: it is the unloaded state in "
                 "fatigue.cycles");
    FM_CALL(check_file_stem(x, name, ik, lc->name, load_case_name, c, i,
                            "load_cases"));
    item_key(ik, it, "loads", 5);
    FM_CALL(check_seq(x, loads, ik, "loads", 0));
    FM_ALLOC(lc->loads, seq_size(loads));
    for (long j = 0; j < seq_size(loads); j++) {
      item_index(il, ik, j);
      FM_CALL(read_load(x, seq_at(x, loads, j), il, c, &lc->loads[j]));
      lc->nloads = (int)j + 1;
    }
  }
  return 0;
}

static int read_probes(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {"name", "point", NULL};
  char it[ITEM_MAX], ik[ITEM_MAX];
  if (is_null(n))
    return 0;
  FM_CALL(check_seq(x, n, "probes", "probes {name: ..., point: [x, y, z]}", 1));
  long np = seq_size(n);
  if (np == 0)
    return 0;
  FM_ALLOC(c->probes, np);
  for (long i = 0; i < np; i++) {
    yaml_node_t *m = seq_at(x, n, i), *name, *pt;
    FmProbe *p = &c->probes[i];
    item_index(it, "probes", i);
    FM_CALL(check_map(x, m, it, keys, "a map {name: ..., point: [x, y, z]}"));
    FM_CALL(map_need(x, m, it, "name", &name));
    FM_CALL(map_need(x, m, it, "point", &pt));
    item_key(ik, it, "name", 4);
    FM_CALL(get_name(x, name, ik, p->name));
    for (long j = 0; j < i; j++)
      if (!strcmp(c->probes[j].name, p->name))
        return err(x, name, ik,
                   "duplicate probe name '%s' (also "
                   "probes[%ld].name)",
                   p->name, j);
    item_key(ik, it, "point", 5);
    FM_CALL(get_vec3(x, pt, ik, p->x));
    c->nprobes = (int)i + 1;
  }
  return 0;
}

static int read_output(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {"vtu", NULL};
  if (is_null(n))
    return 0;
  FM_CALL(check_map(x, n, "output", keys, "a map {vtu: true|false}"));
  yaml_node_t *v = map_get(x, n, "vtu");
  if (v)
    FM_CALL(get_bool(x, v, "output.vtu", &c->vtu));
  return 0;
}

static int read_solver(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {"backend", "preconditioner", "rtol",
                                     "max_it", NULL};
  char b[96];
  if (is_null(n))
    return 0;
  FM_CALL(check_map(x, n, "solver", keys,
                    "a map {backend: ..., preconditioner: ..., rtol: ..., "
                    "max_it: ...}"));
  yaml_node_t *v;
  if ((v = map_get(x, n, "backend"))) {
    FM_CALL(
        get_string(x, v, "solver.backend", c->backend, sizeof c->backend, 0));
    if (strcmp(c->backend, "cpu") && strcmp(c->backend, "cuda") &&
        strcmp(c->backend, "auto") && strcmp(c->backend, "ref"))
      return err(x, v, "solver.backend",
                 "must be cpu, ref, cuda or auto (got %s)",
                 describe(v, b, sizeof b));
  }
  if ((v = map_get(x, n, "preconditioner"))) {
    FM_CALL(get_string(x, v, "solver.preconditioner", c->pc, sizeof c->pc, 0));
    if (strcmp(c->pc, "amg") && strcmp(c->pc, "jacobi") && strcmp(c->pc, "pmg"))
      return err(x, v, "solver.preconditioner",
                 "must be amg, pmg or jacobi (got %s)",
                 describe(v, b, sizeof b));
  }
  if ((v = map_get(x, n, "rtol"))) {
    FM_CALL(get_number(x, v, "solver.rtol", &c->rtol));
    if (!(c->rtol > 0 && c->rtol < 1))
      return err(x, v, "solver.rtol", "must be in (0, 1) (got %s)",
                 raw(v, b, sizeof b));
  }
  if ((v = map_get(x, n, "max_it"))) {
    FM_CALL(get_integer(x, v, "solver.max_it", &c->max_it));
    if (c->max_it < 1)
      return err(x, v, "solver.max_it", "must be >= 1 (got %s)",
                 raw(v, b, sizeof b));
  }
  return 0;
}

static int yaml_open(const char *path, const char *what, char **text,
                     yaml_parser_t *parser, yaml_document_t *doc);

/* ------------------------------------------------------------------------ */
/* fatigue (docs/fatigue.md)                                                */

const char *fm_default_fatigue_library(void) {
  const char *env = getenv("FEMORA_MATERIALS");
  if (env && env[0])
    return env;
#ifdef FEMORA_SOURCE_DIR
  return FEMORA_SOURCE_DIR "/materials/fatigue.yaml";
#else
  return "materials/fatigue.yaml";
#endif
}

/* Number or null (null reads as 0: "unknown"). */
static int get_number_or_null(Ctx *x, const yaml_node_t *n, const char *item,
                              double *v) {
  if (n->type == YAML_SCALAR_NODE && is_null(n) && !is_quoted(n)) {
    *v = 0.0;
    return 0;
  }
  return get_number(x, n, item, v);
}

/* The S-N and strength keys of a fatigue map into m (only the keys present
 * are set).  k_surf: a number here; the library's variant map is handled by
 * the caller. */
static int read_fatigue_values(Ctx *x, const yaml_node_t *n, const char *item,
                               FmFatigueMaterial *m, int library) {
  char it[ITEM_MAX], b[96];
  yaml_node_t *v;
  static const struct {
    const char *key;
    size_t off;
  } nums[] = {{"Sy", offsetof(FmFatigueMaterial, Sy)},
              {"Su", offsetof(FmFatigueMaterial, Su)},
              {"Se", offsetof(FmFatigueMaterial, Se)},
              {"Ne", offsetof(FmFatigueMaterial, Ne)},
              {"St", offsetof(FmFatigueMaterial, St)},
              {"R", offsetof(FmFatigueMaterial, R)},
              {"Su_compression", offsetof(FmFatigueMaterial, Suc)}};
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
    if ((v = map_get(x, n, nums[i].key))) {
      item_key(it, item, nums[i].key, strlen(nums[i].key));
      FM_CALL(
          get_number_or_null(x, v, it, (double *)((char *)m + nums[i].off)));
    }
  if ((v = map_get(x, n, "static_criterion"))) {
    char name[32];
    item_key(it, item, "static_criterion", 16);
    FM_CALL(get_string(x, v, it, name, sizeof name, 0));
    if (!strcmp(name, "von_mises"))
      m->stat = FM_STATIC_VON_MISES;
    else if (!strcmp(name, "coulomb_mohr"))
      m->stat = FM_STATIC_COULOMB_MOHR;
    else
      return err(x, v, it, "must be von_mises or coulomb_mohr (got %s)",
                 describe(v, b, sizeof b));
  }
  if (!library && (v = map_get(x, n, "k_surf"))) {
    item_key(it, item, "k_surf", 6);
    FM_CALL(get_number(x, v, it, &m->k_surf));
  }
  if ((v = map_get(x, n, "basquin"))) {
    static const char *const keys[] = {"Sf", "b", NULL};
    yaml_node_t *sf, *bb;
    item_key(it, item, "basquin", 7);
    FM_CALL(check_map(x, v, it, keys, "a map {Sf: ..., b: ...}"));
    char it2[ITEM_MAX];
    FM_CALL(map_need(x, v, it, "Sf", &sf));
    FM_CALL(map_need(x, v, it, "b", &bb));
    item_key(it2, it, "Sf", 2);
    FM_CALL(get_number(x, sf, it2, &m->Sf));
    item_key(it2, it, "b", 1);
    FM_CALL(get_number(x, bb, it2, &m->b));
    m->sn = FM_SN_BASQUIN;
  }
  if ((v = map_get(x, n, "sn_table"))) {
    item_key(it, item, "sn_table", 8);
    FM_CALL(check_seq(x, v, it, "[cycles, amplitude] pairs", 0));
    if (seq_size(v) < 2 || seq_size(v) > FM_SN_TABLE_MAX)
      return err(x, v, it, "must have 2 to %d points (got %ld)",
                 FM_SN_TABLE_MAX, seq_size(v));
    for (long i = 0; i < seq_size(v); i++) {
      yaml_node_t *pt = seq_at(x, v, i);
      char it2[ITEM_MAX], it3[ITEM_MAX];
      item_index(it2, it, i);
      if (pt->type != YAML_SEQUENCE_NODE || seq_size(pt) != 2)
        return err(x, pt, it2, "must be a pair [cycles, amplitude] (got %s)",
                   describe(pt, b, sizeof b));
      item_index(it3, it2, 0);
      FM_CALL(get_number(x, seq_at(x, pt, 0), it3, &m->sn_N[i]));
      item_index(it3, it2, 1);
      FM_CALL(get_number(x, seq_at(x, pt, 1), it3, &m->sn_S[i]));
    }
    m->sn_n = (int)seq_size(v);
    m->sn = FM_SN_TABLE;
  }
  return 0;
}

/* The units of a library entry against the case: the entry's E (a number,
 * or a map of process variants) and the case's E of the material
 * (case_E) more than 100 times apart is a unit mismatch (the library is
 * in MPa: a case in Pa or GPa would scale every safety factor by 1e6 or
 * 1e-3) or another material, refused.  An entry without E, or case_E 0
 * (the case gives the strengths), is not checked. */
static int check_library_units(Ctx *x, const yaml_node_t *e,
                               const char *case_item, const FmFatigueGroup *g,
                               double case_E) {
  yaml_node_t *en = map_get(x, e, "E");
  double lo = HUGE_VAL, hi = 0.0, v;
  char *end;
  if (en && en->type == YAML_SCALAR_NODE) {
    v = strtod(sval(en), &end);
    if (end != sval(en) && v > 0)
      lo = hi = v;
  } else if (en && en->type == YAML_MAPPING_NODE) {
    for (long i = 0; i < map_size(en); i++) {
      const yaml_node_t *vn = node_at(x, en->data.mapping.pairs.start[i].value);
      if (vn->type != YAML_SCALAR_NODE)
        continue;
      v = strtod(sval(vn), &end);
      if (end != sval(vn) && v > 0) {
        lo = fmin(lo, v);
        hi = fmax(hi, v);
      }
    }
  }
  if (!(hi > 0) || !(case_E > 0) || (case_E >= lo / 100 && case_E <= hi * 100))
    return 0;
  return fm_error("%s: the material's E = %g is %.3g times the library entry "
                  "'%s''s E = %g (MPa), so the entry's strengths are not this "
                  "material's: a case in other units than the library's MPa "
                  "(with N and mm) would scale every safety factor, and "
                  "another material (a lattice, cancellous bone) has other "
                  "strengths; give E in MPa, or this material's Sy and Su in "
                  "the case",
                  case_item, case_E, case_E > hi ? case_E / hi : case_E / lo,
                  g->library, case_E > hi ? hi : lo);
}

/* Fill g->m from entry g->library of the library file; case_E: the case's
 * E of the material (the units' check). */
static int read_library_entry(const char *libpath, const char *case_item,
                              FmFatigueGroup *g, double case_E) {
  char what[6200], *text; /* case_item: up to 5120 bytes */
  snprintf(what, sizeof what, "the fatigue material library, needed by %s",
           case_item);
  yaml_parser_t parser;
  yaml_document_t doc;
  FM_CALL(yaml_open(libpath, what, &text, &parser, &doc));
  int ierr = 0;
  Ctx x = {libpath, &doc};
  char it[ITEM_MAX];
  yaml_node_t *root = yaml_document_get_root_node(&doc), *mats = NULL,
              *e = NULL;
  if (!root || root->type != YAML_MAPPING_NODE ||
      !(mats = map_get(&x, root, "materials")) ||
      mats->type != YAML_MAPPING_NODE) {
    ierr = fm_error("%s: materials: missing (not a fatigue material library)",
                    libpath);
    goto out;
  }
  e = map_get(&x, mats, g->library);
  if (!e || e->type != YAML_MAPPING_NODE) {
    char list[512];
    size_t off = 0;
    list[0] = 0;
    for (long i = 0; i < map_size(mats) && off < sizeof list - 64; i++) {
      const yaml_node_t *k = node_at(&x, mats->data.mapping.pairs.start[i].key);
      off += (size_t)snprintf(list + off, sizeof list - off, "%s%.*s",
                              i ? ", " : "", (int)slen(k), sval(k));
    }
    ierr = fm_error("%s: no material '%s' in the fatigue library %s "
                    "(entries: %s)",
                    case_item, g->library, libpath, list);
    goto out;
  }
  if ((ierr = check_library_units(&x, e, case_item, g, case_E)))
    goto out;
  snprintf(it, sizeof it, "materials.%s.fatigue", g->library);
  yaml_node_t *fn = map_get(&x, e, "fatigue");
  if (!fn || is_null(fn) || fn->type != YAML_MAPPING_NODE) {
    ierr = fm_error("%s: library material '%s' has no fatigue data in %s "
                    "(see its 'missing' note); give the values in the case",
                    case_item, g->library, libpath);
    goto out;
  }
  /* a library's own keys are checked as a case's are: a misspelt k_surf
   * was dropped, and 1 used */
  static const char *const lib_keys[] = {"Sy",
                                         "Su",
                                         "Se",
                                         "Ne",
                                         "St",
                                         "R",
                                         "sn",
                                         "sn_table",
                                         "basquin",
                                         "k_surf",
                                         "Su_compression",
                                         "static_criterion",
                                         "Su_shear",
                                         NULL};
  if ((ierr = check_map(&x, fn, it, lib_keys, "a map of fatigue data")))
    goto out;
  if ((ierr = read_fatigue_values(&x, fn, it, &g->m, 1)))
    goto out;
  yaml_node_t *sn = map_get(&x, fn, "sn");
  if (sn && sn->type == YAML_SCALAR_NODE && !strcmp(sval(sn), "basquin"))
    g->m.sn = FM_SN_BASQUIN;
  else if (sn && sn->type == YAML_SCALAR_NODE && !strcmp(sval(sn), "table"))
    g->m.sn = FM_SN_TABLE;
  else if (sn) {
    char is[ITEM_MAX + 4];
    snprintf(is, sizeof is, "%s.sn", it);
    ierr = err(&x, sn, is, "must be basquin or table");
    goto out;
  }
  /* surface / process variant: one number, or a map of variants */
  yaml_node_t *ks = map_get(&x, fn, "k_surf");
  char iks[ITEM_MAX + 8];
  snprintf(iks, sizeof iks, "%s.k_surf", it);
  if (ks && ks->type == YAML_SCALAR_NODE) {
    if ((ierr = get_number(&x, ks, iks, &g->m.k_surf)))
      goto out;
    if (g->surface[0])
      ierr = fm_error("%s.surface: library material '%s' has one k_surf, "
                      "no surface variants",
                      case_item, g->library);
  } else if (ks && (ks->type != YAML_MAPPING_NODE || map_size(ks) == 0)) {
    ierr = err(&x, ks, iks, "must be a number or a map of surface variants");
  } else if (ks) {
    yaml_node_t *kv = NULL;
    if (g->surface[0])
      kv = map_get(&x, ks, g->surface);
    else if (map_size(ks) == 1) {
      const yaml_node_t *k0 = node_at(&x, ks->data.mapping.pairs.start[0].key);
      copy_str(g->surface, sizeof g->surface, sval(k0), slen(k0));
      kv = node_at(&x, ks->data.mapping.pairs.start[0].value);
    }
    if (!kv) {
      char list[256];
      size_t off = 0;
      list[0] = 0;
      for (long i = 0; i < map_size(ks) && off < sizeof list - 40; i++) {
        const yaml_node_t *k = node_at(&x, ks->data.mapping.pairs.start[i].key);
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%.*s",
                                i ? ", " : "", (int)slen(k), sval(k));
      }
      ierr = fm_error("%s.surface: %s '%s' (library material '%s' has: %s)",
                      case_item, g->surface[0] ? "unknown surface" : "choose a",
                      g->surface, g->library, list);
      goto out;
    }
    char it2[ITEM_MAX + 2 * FM_NAME_MAX];
    snprintf(it2, sizeof it2, "%s.k_surf.%s", it, g->surface);
    ierr = get_number(&x, kv, it2, &g->m.k_surf);
  } else if (g->surface[0]) {
    ierr = fm_error("%s.surface: library material '%s' has no surface "
                    "variants (k_surf)",
                    case_item, g->library);
  }
out:
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  free(text);
  return ierr;
}

static int read_fatigue(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {
      "design_life", "criterion", "equivalent", "library_file",
      "materials",   "cycles",    NULL};
  static const char *const gkeys[] = {"library",
                                      "surface",
                                      "Sy",
                                      "Su",
                                      "Se",
                                      "Ne",
                                      "St",
                                      "R",
                                      "k_surf",
                                      "basquin",
                                      "sn_table",
                                      "Su_compression",
                                      "static_criterion",
                                      NULL};
  static const char *const ckeys[] = {"name", "load_cases", "count", NULL};
  FmFatigueSpec *F = &c->fatigue;
  char it[ITEM_MAX], it2[ITEM_MAX], b[96];
  yaml_node_t *v, *mats, *cyc;
  FM_CALL(check_map(x, n, "fatigue", keys, "a map"));
  F->enabled = 1;
  F->design_life = 1e7;
  F->corr = FM_MEAN_GOODMAN;
  F->eq = FM_EQ_SIGNED_VON_MISES;
  strcpy(F->criterion, "goodman");
  snprintf(F->library_file, sizeof F->library_file, "%s",
           fm_default_fatigue_library());
  if ((v = map_get(x, n, "design_life"))) {
    FM_CALL(get_number(x, v, "fatigue.design_life", &F->design_life));
    if (!(F->design_life >= 1))
      return err(x, v, "fatigue.design_life", "must be >= 1 cycle (got %s)",
                 raw(v, b, sizeof b));
  }
  if ((v = map_get(x, n, "criterion"))) {
    static const char *const names[] = {
        "none", "goodman", "gerber", "soderberg", "swt", "sines", "crossland"};
    FM_CALL(get_string(x, v, "fatigue.criterion", F->criterion,
                       sizeof F->criterion, 0));
    int k = -1;
    for (int i = 0; i < 7; i++)
      if (!strcmp(F->criterion, names[i]))
        k = i;
    if (k < 0)
      return err(x, v, "fatigue.criterion",
                 "must be none, goodman, gerber, soderberg, swt, sines or "
                 "crossland (got %s)",
                 describe(v, b, sizeof b));
    static const FmMeanCorrection corr[] = {FM_MEAN_NONE, FM_MEAN_GOODMAN,
                                            FM_MEAN_GERBER, FM_MEAN_SODERBERG,
                                            FM_MEAN_SWT};
    if (k < 5)
      F->corr = corr[k];
    else {
      F->multiaxial = 1;
      F->multi = k == 5 ? FM_MULTI_SINES : FM_MULTI_CROSSLAND;
    }
  }
  if ((v = map_get(x, n, "equivalent"))) {
    char eq[64];
    FM_CALL(get_string(x, v, "fatigue.equivalent", eq, sizeof eq, 0));
    if (!strcmp(eq, "signed_von_mises"))
      F->eq = FM_EQ_SIGNED_VON_MISES;
    else if (!strcmp(eq, "signed_max_principal"))
      F->eq = FM_EQ_SIGNED_MAX_PRINCIPAL;
    else
      return err(x, v, "fatigue.equivalent",
                 "must be signed_von_mises or signed_max_principal (got %s)",
                 describe(v, b, sizeof b));
  }
  if ((v = map_get(x, n, "library_file"))) {
    char file[FM_PATH_MAX];
    FM_CALL(get_string(x, v, "fatigue.library_file", file, sizeof file, 0));
    FM_CALL(resolve(x, c, v, "fatigue.library_file", file, F->library_file));
  }
  FM_CALL(map_need(x, n, "fatigue", "materials", &mats));
  FM_CALL(check_map(x, mats, "fatigue.materials", NULL,
                    "a map of material (volume group) names"));
  if (map_size(mats) == 0)
    return err(x, mats, "fatigue.materials", "must not be empty");
  F->ngroups = (int)map_size(mats);
  F->groups = fm_calloc(F->ngroups, sizeof *F->groups);
  if (!F->groups)
    return 1;
  for (int i = 0; i < F->ngroups; i++) {
    const yaml_node_pair_t *pr = &mats->data.mapping.pairs.start[i];
    const yaml_node_t *k = node_at(x, pr->key);
    yaml_node_t *gv = node_at(x, pr->value);
    FmFatigueGroup *g = &F->groups[i];
    item_key(it, "fatigue.materials", sval(k), slen(k));
    FM_CALL(get_name(x, k, it, g->group));
    char list[512];
    if (!is_material(c, g->group))
      return err(x, k, it, "not a material of this case (materials: %s)",
                 material_list(c, list, sizeof list));
    FM_CALL(check_map(x, gv, it, gkeys,
                      "a map {library: ..., surface: ..., or values}"));
    g->m.k_surf = 1.0;
    g->m.R = -1.0;
    if ((v = map_get(x, gv, "surface"))) {
      item_key(it2, it, "surface", 7);
      FM_CALL(get_name(x, v, it2, g->surface));
    }
    if ((v = map_get(x, gv, "library"))) {
      item_key(it2, it, "library", 7);
      FM_CALL(get_name(x, v, it2, g->library));
      char where[ITEM_MAX + FM_PATH_MAX];
      snprintf(where, sizeof where, "%s:%lu: %s", x->path, line_of(v), it);
      /* (not checked where the case gives the strengths: a lattice with
       * its own Sy and Su and the library's surface variants) */
      double case_E = 0;
      for (int j = 0; j < c->nmaterials; j++)
        if (!strcmp(c->materials[j].group, g->group) && !map_get(x, gv, "Su") &&
            !map_get(x, gv, "Sy"))
          case_E = c->materials[j].E;
      FM_CALL(read_library_entry(F->library_file, where, g, case_E));
    } else if (g->surface[0]) {
      item_key(it2, it, "surface", 7);
      return err(x, map_get(x, gv, "surface"), it2,
                 "needs a library material (library: ...)");
    }
    /* values in the case override the library's */
    FM_CALL(read_fatigue_values(x, gv, it, &g->m, 0));
    g->m.name = g->group;
    g->m.source = g->library[0] ? g->library : "case file";
    char ctx[FM_PATH_MAX + 32];
    snprintf(ctx, sizeof ctx, "%s", x->path);
    if (fm_fatigue_material_check(&g->m, ctx)) {
      /* the check names materials.<name>.fatigue.<item>: say where it is */
      char msg[2048];
      snprintf(msg, sizeof msg, "%s", fm_error_message());
      return fm_error("%s (in fatigue.materials.%s)", msg, g->group);
    }
    if (F->multiaxial && fm_fatigue_check_multiaxial(&g->m, F->multi, ctx))
      return 1;
    /* units: Su/E is the strain at the ultimate strength of a linear
     * material; above 1 no small-strain analysis holds, and it is the mark
     * of strengths and modulus in different units (MPa against GPa: 8 for
     * titanium), below 1e-5 likewise (MPa against Pa: 8e-9) */
    for (int j = 0; j < c->nmaterials; j++)
      if (!strcmp(c->materials[j].group, g->group)) {
        const double eps = g->m.Su / c->materials[j].E;
        if (!(eps >= 1e-5 && eps <= 1))
          return err(x, k, it,
                     "the ultimate strength Su = %g against E = %g is a "
                     "strain of %.3g at failure, outside 1e-5..1: the "
                     "strengths and E in different units (MPa with N and "
                     "mm), or a material beyond small strains (an "
                     "elastomer), which linear elasticity cannot assess",
                     g->m.Su, c->materials[j].E, eps);
      }
  }
  FM_CALL(map_need(x, n, "fatigue", "cycles", &cyc));
  FM_CALL(check_seq(x, cyc, "fatigue.cycles", "cycles", 0));
  F->ncycles = (int)seq_size(cyc);
  F->cycles = fm_calloc(F->ncycles, sizeof *F->cycles);
  if (!F->cycles)
    return 1;
  for (int i = 0; i < F->ncycles; i++) {
    yaml_node_t *cn = seq_at(x, cyc, i), *lcs, *cnt, *nm;
    FmCycleSpec *cy = &F->cycles[i];
    item_index(it, "fatigue.cycles", i);
    FM_CALL(check_map(x, cn, it, ckeys, "a map {name, load_cases, count}"));
    FM_CALL(map_need(x, cn, it, "name", &nm));
    item_key(it2, it, "name", 4);
    FM_CALL(get_name(x, nm, it2, cy->name));
    for (int j = 0; j < i; j++)
      if (!strcmp(F->cycles[j].name, cy->name))
        return err(x, nm, it2, "duplicate cycle name '%s'", cy->name);
    FM_CALL(map_need(x, cn, it, "count", &cnt));
    item_key(it2, it, "count", 5);
    FM_CALL(get_number(x, cnt, it2, &cy->count));
    if (!(cy->count > 0))
      return err(x, cnt, it2, "must be > 0 cycles (got %s)",
                 raw(cnt, b, sizeof b));
    FM_CALL(map_need(x, cn, it, "load_cases", &lcs));
    item_key(it2, it, "load_cases", 10);
    FM_CALL(check_seq(x, lcs, it2, "load case names (or 'zero')", 0));
    if (seq_size(lcs) < 2 || seq_size(lcs) > FM_CYCLE_MAX_STATES)
      return err(x, lcs, it2, "must list 2 to %d states (got %ld)",
                 FM_CYCLE_MAX_STATES, seq_size(lcs));
    cy->nstates = (int)seq_size(lcs);
    for (int j = 0; j < cy->nstates; j++) {
      char name[FM_NAME_MAX], it3[ITEM_MAX];
      item_index(it3, it2, j);
      yaml_node_t *sn = seq_at(x, lcs, j);
      FM_CALL(get_name(x, sn, it3, name));
      cy->state[j] = -2;
      if (!strcmp(name, "zero"))
        cy->state[j] = -1;
      for (int l = 0; l < c->nload_cases; l++)
        if (!strcmp(c->load_cases[l].name, name))
          cy->state[j] = l;
      if (cy->state[j] == -2)
        return err(x, sn, it3,
                   "no load case named '%s' (use a load case "
                   "name or 'zero' for the unloaded state)",
                   name);
    }
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* expected results (docs/validation.md)                                    */

static const char *const probe_fields[] = {"displacement.x",
                                           "displacement.y",
                                           "displacement.z",
                                           "stress.xx",
                                           "stress.yy",
                                           "stress.zz",
                                           "stress.xy",
                                           "stress.yz",
                                           "stress.xz",
                                           "von_mises",
                                           NULL};

static int read_expected(Ctx *x, const yaml_node_t *n, FmCase *c) {
  static const char *const keys[] = {
      "quantity", "load_case", "probe",         "group", "field",  "component",
      "value",    "tolerance", "abs_tolerance", "kind",  "source", NULL};
  static const char *const quantities[] = {
      "probe",    "max_von_mises",    "max_principal",     "min_principal",
      "reaction", "max_displacement", "min_static_safety", "min_fatigue_safety",
      NULL};
  static const char *const kinds[] = {"closed_form", "published_benchmark",
                                      "other_code", "previous_release", NULL};
  char it[ITEM_MAX], it2[ITEM_MAX], b[96], name[FM_NAME_MAX];
  FM_CALL(check_seq(x, n, "expected", "expected results", 0));
  c->nexpected = (int)seq_size(n);
  FM_ALLOC(c->expected, c->nexpected);
  for (int i = 0; i < c->nexpected; i++) {
    FmExpected *e = &c->expected[i];
    yaml_node_t *en = seq_at(x, n, i), *v;
    item_index(it, "expected", i);
    FM_CALL(check_map(x, en, it, keys,
                      "a map {quantity, value, tolerance, kind, source, ...}"));
    FM_CALL(map_need(x, en, it, "quantity", &v));
    item_key(it2, it, "quantity", 8);
    FM_CALL(get_name(x, v, it2, name));
    int q = -1;
    for (int k = 0; quantities[k]; k++)
      if (!strcmp(name, quantities[k]))
        q = k;
    if (q < 0)
      return err(x, v, it2,
                 "must be probe, max_von_mises, max_principal, "
                 "min_principal, reaction, max_displacement, "
                 "min_static_safety or min_fatigue_safety (got %s)",
                 describe(v, b, sizeof b));
    e->q = (FmQuantity)q;
    if ((v = map_get(x, en, "load_case"))) {
      item_key(it2, it, "load_case", 9);
      FM_CALL(get_name(x, v, it2, name));
      e->load_case = -1;
      for (int l = 0; l < c->nload_cases; l++)
        if (!strcmp(c->load_cases[l].name, name))
          e->load_case = l;
      if (e->load_case < 0)
        return err(x, v, it2, "no load case named '%s'", name);
    }
    const int needs_probe = e->q == FM_Q_PROBE;
    const int needs_group = e->q != FM_Q_PROBE && e->q != FM_Q_MAX_DISPLACEMENT;
    if (needs_probe) {
      FM_CALL(map_need(x, en, it, "probe", &v));
      item_key(it2, it, "probe", 5);
      FM_CALL(get_name(x, v, it2, name));
      e->target = -1;
      for (int p = 0; p < c->nprobes; p++)
        if (!strcmp(c->probes[p].name, name))
          e->target = p;
      if (e->target < 0)
        return err(x, v, it2, "no probe named '%s'", name);
      FM_CALL(map_need(x, en, it, "field", &v));
      item_key(it2, it, "field", 5);
      FM_CALL(get_name(x, v, it2, name));
      e->component = -1;
      for (int k = 0; probe_fields[k]; k++)
        if (!strcmp(name, probe_fields[k]))
          e->component = k;
      if (e->component < 0)
        return err(x, v, it2,
                   "must be displacement.x|y|z, stress.xx|yy|zz|xy|yz|xz "
                   "or von_mises (got %s)",
                   describe(v, b, sizeof b));
    } else if (needs_group) {
      FM_CALL(map_need(x, en, it, "group", &v));
      item_key(it2, it, "group", 5);
      FM_CALL(get_name(x, v, it2, name));
      e->target = -1;
      if (e->q == FM_Q_REACTION) {
        int any = 0;
        for (int k = 0; k < c->nconstraints; k++)
          any |= !strcmp(c->constraints[k].group, name);
        if (!any)
          return err(x, v, it2, "no constraint on a group named '%s'", name);
        FM_CALL(map_need(x, en, it, "component", &v));
        item_key(it2, it, "component", 9);
        const int comp = component(v);
        if (comp < 0 || comp > 2)
          return err(x, v, it2, "must be x, y or z (got %s)",
                     describe(v, b, sizeof b));
        e->component = comp;
        /* the constraint on the group that restrains the component (a
         * group may have several, each of some components): the others'
         * reaction in it is 0 */
        for (int k = 0; k < c->nconstraints && e->target < 0; k++)
          if (!strcmp(c->constraints[k].group, name) &&
              (c->constraints[k].mask & (1 << comp)))
            e->target = k;
        if (e->target < 0)
          return err(x, v, it2,
                     "no constraint on group '%s' restrains %c, so it has no "
                     "reaction in %c",
                     name, "xyz"[comp], "xyz"[comp]);
      } else {
        for (int k = 0; k < c->nmaterials; k++)
          if (!strcmp(c->materials[k].group, name))
            e->target = k;
        if (e->target < 0)
          return err(x, v, it2, "no material named '%s'", name);
        if ((e->q == FM_Q_MIN_STATIC_SAFETY ||
             e->q == FM_Q_MIN_FATIGUE_SAFETY) &&
            !c->fatigue.enabled)
          return err(x, v, it2, "needs the fatigue section");
        if (e->q == FM_Q_MIN_STATIC_SAFETY || e->q == FM_Q_MIN_FATIGUE_SAFETY) {
          /* a material not assessed has no safety factor (it read as
           * inf and failed after the solve) */
          int assessed = 0;
          for (int g = 0; g < c->fatigue.ngroups; g++)
            assessed |= !strcmp(c->fatigue.groups[g].group, name);
          if (!assessed)
            return err(x, v, it2,
                       "material '%s' is not under fatigue.materials, so it "
                       "has no safety factor",
                       name);
        }
      }
    }
    FM_CALL(map_need(x, en, it, "value", &v));
    item_key(it2, it, "value", 5);
    FM_CALL(get_number(x, v, it2, &e->value));
    yaml_node_t *tr = map_get(x, en, "tolerance"),
                *ta = map_get(x, en, "abs_tolerance");
    if (!!tr == !!ta)
      return err(x, en, it,
                 "needs exactly one of tolerance (relative) and abs_tolerance");
    item_key(it2, it, tr ? "tolerance" : "abs_tolerance", tr ? 9 : 13);
    FM_CALL(get_number(x, tr ? tr : ta, it2, &e->tolerance));
    e->absolute = !tr;
    if (!(e->tolerance > 0))
      return err(x, tr ? tr : ta, it2, "must be > 0 (got %g)", e->tolerance);
    if (!e->absolute && e->value == 0)
      return err(
          x, tr, it2,
          "a relative tolerance needs a non-zero value; use abs_tolerance");
    FM_CALL(map_need(x, en, it, "kind", &v));
    item_key(it2, it, "kind", 4);
    FM_CALL(get_string(x, v, it2, e->kind, sizeof e->kind, 0));
    int known = 0;
    for (int k = 0; kinds[k]; k++)
      known |= !strcmp(e->kind, kinds[k]);
    if (!known)
      return err(x, v, it2,
                 "must be closed_form, published_benchmark, other_code "
                 "or previous_release (got %s)",
                 describe(v, b, sizeof b));
    FM_CALL(map_need(x, en, it, "source", &v));
    item_key(it2, it, "source", 6);
    FM_CALL(get_string(x, v, it2, e->source, sizeof e->source, 0));
    /* a label for reports */
    const char *lc = c->load_cases[e->load_case].name;
    if (e->q == FM_Q_PROBE)
      snprintf(e->label, sizeof e->label, "%s: probe %s %s", lc,
               c->probes[e->target].name, probe_fields[e->component]);
    else if (e->q == FM_Q_REACTION)
      snprintf(e->label, sizeof e->label, "%s: reaction %s %c", lc,
               c->constraints[e->target].group, "xyz"[e->component]);
    else if (e->q == FM_Q_MAX_DISPLACEMENT)
      snprintf(e->label, sizeof e->label, "%s: max displacement", lc);
    else if (e->q == FM_Q_MIN_STATIC_SAFETY || e->q == FM_Q_MIN_FATIGUE_SAFETY)
      snprintf(e->label, sizeof e->label, "%s %s", quantities[e->q],
               c->materials[e->target].group);
    else
      snprintf(e->label, sizeof e->label, "%s: %s %s", lc, quantities[e->q],
               c->materials[e->target].group);
  }
  return 0;
}

static int read_root(Ctx *x, const yaml_node_t *root, FmCase *c) {
  static const char *const keys[] = {
      "title",  "mesh",   "materials", "constraints", "load_cases", "probes",
      "output", "solver", "fatigue",   "expected",    NULL};
  char b[96];
  if (root->type != YAML_MAPPING_NODE)
    return err(x, root, "top level",
               "must be a map of sections (mesh, "
               "materials, constraints, load_cases, ...) "
               "(got %s)",
               describe(root, b, sizeof b));
  FM_CALL(check_map(x, root, "", keys, "a map"));
  yaml_node_t *v;
  if ((v = map_get(x, root, "title")))
    FM_CALL(get_string(x, v, "title", c->title, sizeof c->title, 1));
  static const char *const required[] = {"mesh", "materials", "constraints",
                                         "load_cases"};
  for (int i = 0; i < 4; i++)
    if (!map_get(x, root, required[i]))
      return err(x, NULL, required[i], "missing (required section)");
  FM_CALL(read_mesh(x, map_get(x, root, "mesh"), c));
  FM_CALL(read_materials(x, map_get(x, root, "materials"), c));
  FM_CALL(read_constraints(x, map_get(x, root, "constraints"), c));
  FM_CALL(read_load_cases(x, map_get(x, root, "load_cases"), c));
  if ((v = map_get(x, root, "probes")))
    FM_CALL(read_probes(x, v, c));
  if ((v = map_get(x, root, "output")))
    FM_CALL(read_output(x, v, c));
  if ((v = map_get(x, root, "solver")))
    FM_CALL(read_solver(x, v, c));
  if ((v = map_get(x, root, "fatigue")) && !is_null(v))
    FM_CALL(read_fatigue(x, v, c));
  if ((v = map_get(x, root, "expected")) && !is_null(v))
    FM_CALL(read_expected(x, v, c));
  return 0;
}

/* ------------------------------------------------------------------------ */
/* reading                                                                  */

/* Flow collections nested deeper than this are refused before libyaml
 * reads the file: its scanner takes time quadratic in the depth (a 200 KB
 * file of nested brackets ran for minutes). */
#define FM_YAML_MAX_DEPTH 64

/* the line where flow collections first nest deeper than the limit, or 0 */
static int too_deep(const char *t, size_t n) {
  int depth = 0, line = 1;
  char quote = 0;
  for (size_t i = 0; i < n; i++) {
    const char ch = t[i];
    if (ch == '\n')
      line++;
    if (quote) {
      if (ch == '\\' && quote == '"' && i + 1 < n)
        i++;
      else if (ch == quote)
        quote = 0;
      continue;
    }
    if (ch == '#' &&
        (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n')) {
      while (i + 1 < n && t[i + 1] != '\n')
        i++;
      continue;
    }
    if (ch == '"' || (ch == '\'' && (i == 0 || strchr(" \t\n[{,:", t[i - 1]))))
      quote = ch;
    else if (ch == '[' || ch == '{') {
      if (++depth > FM_YAML_MAX_DEPTH)
        return line;
    } else if ((ch == ']' || ch == '}') && depth > 0)
      depth--;
  }
  return 0;
}

static int check_nesting(const char *path, const char *t, size_t n) {
  const int line = too_deep(t, n);
  return line ? fm_error("%s:%d: collections nested more than %d deep", path,
                         line, FM_YAML_MAX_DEPTH)
              : 0;
}

static int yaml_fail(const char *path, const yaml_parser_t *p) {
  const char *prob = p->problem ? p->problem : "unknown error";
  switch (p->error) {
  case YAML_MEMORY_ERROR:
    return fm_error("%s: out of memory while parsing YAML", path);
  case YAML_READER_ERROR:
    if (p->problem_value != -1)
      return fm_error("%s: YAML read error: %s (#%X at byte offset %zu)", path,
                      prob, (unsigned)p->problem_value, p->problem_offset);
    return fm_error("%s: YAML read error: %s (at byte offset %zu)", path, prob,
                    p->problem_offset);
  default:
    if (p->context)
      return fm_error("%s:%lu: YAML syntax error: %s (%s at line %lu)", path,
                      (unsigned long)p->problem_mark.line + 1, prob, p->context,
                      (unsigned long)p->context_mark.line + 1);
    return fm_error("%s:%lu: YAML syntax error: %s", path,
                    (unsigned long)p->problem_mark.line + 1, prob);
  }
}

/* YAML merge keys (YAML 1.1's `<<: *anchor` or `<<: [*a, *b]`, which
 * libyaml leaves to the application): a mapping takes the keys of the
 * merged mappings that it does not give itself (of several, the first
 * listed wins), and its `<<` goes.  Merges chain (a merged mapping's own
 * merges come first); a merge into itself, a chain deeper than 64, a
 * mapping with merges of more than 1024 keys and more than 20000 keys
 * merged in a file (a file that multiplies its size by aliases) are
 * refused. */
#define FM_YAML_MERGE_DEPTH 64
#define FM_YAML_MERGE_PAIRS 1024
#define FM_YAML_MERGE_TOTAL 20000

typedef struct {
  const char *path;
  yaml_document_t *doc;
  unsigned char *state; /* per node id: 1 merging, 2 done */
  long total;
} Merge;

static int is_merge_key(const yaml_node_t *k) {
  return k && k->type == YAML_SCALAR_NODE &&
         k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
         k->data.scalar.length == 2 && !memcmp(k->data.scalar.value, "<<", 2);
}

static int has_key(yaml_document_t *doc, const yaml_node_t *map, int key) {
  const yaml_node_t *k = yaml_document_get_node(doc, key);
  for (const yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++) {
    if (p->key == key)
      return 1;
    const yaml_node_t *q = yaml_document_get_node(doc, p->key);
    if (k && q && k->type == YAML_SCALAR_NODE && q->type == YAML_SCALAR_NODE &&
        k->data.scalar.length == q->data.scalar.length &&
        !memcmp(k->data.scalar.value, q->data.scalar.value,
                k->data.scalar.length))
      return 1;
  }
  return 0;
}

static int merge_node(Merge *m, int id, int depth) {
  yaml_node_t *n = yaml_document_get_node(m->doc, id);
  if (!n || n->type != YAML_MAPPING_NODE || m->state[id] == 2)
    return 0;
  const unsigned long line = (unsigned long)n->start_mark.line + 1;
  if (m->state[id] == 1)
    return fm_error("%s:%lu: <<: merges a mapping into itself", m->path, line);
  if (depth > FM_YAML_MERGE_DEPTH)
    return fm_error("%s:%lu: <<: merges chained more than %d deep", m->path,
                    line, FM_YAML_MERGE_DEPTH);
  m->state[id] = 1;
  int src[FM_YAML_MERGE_DEPTH], nsrc = 0, seen = 0;
  yaml_node_pair_t *p = n->data.mapping.pairs.start;
  const long np = n->data.mapping.pairs.top - p;
  long w = 0;
  for (long i = 0; i < np; i++) {
    if (!is_merge_key(yaml_document_get_node(m->doc, p[i].key))) {
      p[w++] = p[i];
      continue;
    }
    const yaml_node_t *v = yaml_document_get_node(m->doc, p[i].value);
    const unsigned long vline =
        (unsigned long)yaml_document_get_node(m->doc, p[i].key)
            ->start_mark.line +
        1;
    if (seen++)
      return fm_error("%s:%lu: <<: given twice in one mapping", m->path, vline);
    const int one = v->type == YAML_MAPPING_NODE;
    const yaml_node_item_t *it = one ? NULL : v->data.sequence.items.start;
    const long nit = one ? 1
                     : v->type == YAML_SEQUENCE_NODE
                         ? (long)(v->data.sequence.items.top - it)
                         : 0;
    if (nit == 0 || nit > FM_YAML_MERGE_DEPTH)
      return fm_error("%s:%lu: <<: must be a mapping or a list of 1 to %d "
                      "mappings",
                      m->path, vline, FM_YAML_MERGE_DEPTH);
    for (long j = 0; j < nit; j++) {
      const int s = one ? p[i].value : it[j];
      const yaml_node_t *sn = yaml_document_get_node(m->doc, s);
      if (!sn || sn->type != YAML_MAPPING_NODE)
        return fm_error("%s:%lu: <<: item %ld is not a mapping", m->path, vline,
                        j + 1);
      src[nsrc++] = s;
    }
  }
  n->data.mapping.pairs.top = n->data.mapping.pairs.start + w;
  for (int j = 0; j < nsrc; j++) {
    FM_CALL(merge_node(m, src[j], depth + 1));
    /* appending may move n's pairs, never the nodes */
    const yaml_node_t *sn = yaml_document_get_node(m->doc, src[j]);
    const long ns = sn->data.mapping.pairs.top - sn->data.mapping.pairs.start;
    for (long k = 0; k < ns; k++) {
      const yaml_node_pair_t q = sn->data.mapping.pairs.start[k];
      n = yaml_document_get_node(m->doc, id);
      /* each key merged is looked up among at most 1024, and at most
       * 20000 are merged in a file: bounded work whatever the aliases */
      if (n->data.mapping.pairs.top - n->data.mapping.pairs.start >=
              FM_YAML_MERGE_PAIRS ||
          ++m->total > FM_YAML_MERGE_TOTAL)
        return fm_error("%s:%lu: <<: a mapping with merges holds at most %d "
                        "keys, and a file merges at most %d",
                        m->path, line, FM_YAML_MERGE_PAIRS,
                        FM_YAML_MERGE_TOTAL);
      if (has_key(m->doc, n, q.key))
        continue;
      if (!yaml_document_append_mapping_pair(m->doc, id, q.key, q.value))
        return fm_error("%s: out of memory merging YAML mappings", m->path);
    }
  }
  m->state[id] = 2;
  return 0;
}

/* Apply the merge keys of a loaded document (on failure it is left
 * merged in part, for the caller to delete). */
static int apply_merges(const char *path, yaml_document_t *doc) {
  const long nn = doc->nodes.top - doc->nodes.start;
  Merge m = {path, doc, fm_calloc((size_t)nn + 1, 1), 0};
  int ierr = m.state ? 0 : 1;
  for (long id = 1; id <= nn && !ierr; id++)
    ierr = merge_node(&m, (int)id, 0);
  free(m.state);
  return ierr;
}

/* A YAML input read whole (a regular file: the file is read once), its
 * nesting checked, a parser started on the text and its first document
 * loaded with the merge keys applied.  On failure nothing is left to
 * free; else the caller deletes doc and parser and frees text. */
static int yaml_open(const char *path, const char *what, char **text,
                     yaml_parser_t *parser, yaml_document_t *doc) {
  size_t n = 0;
  *text = fm_read_text(path, &n);
  if (!*text)
    return fm_error("%s: cannot open %s (%s)", path, what, fm_open_error());
  int ierr = check_nesting(path, *text, n);
  if (!ierr && !yaml_parser_initialize(parser))
    ierr = fm_error("%s: out of memory initialising the YAML parser", path);
  else if (!ierr) {
    yaml_parser_set_input_string(parser, (const unsigned char *)*text, n);
    if (!yaml_parser_load(parser, doc))
      ierr = yaml_fail(path, parser);
    else if ((ierr = apply_merges(path, doc)))
      yaml_document_delete(doc);
    if (ierr)
      yaml_parser_delete(parser);
  }
  if (ierr) {
    free(*text);
    *text = NULL;
  }
  return ierr;
}

static void set_dir(FmCase *c) {
  const char *slash = strrchr(c->path, '/');
  if (!slash) {
    strcpy(c->dir, ".");
    return;
  }
  size_t len = (size_t)(slash - c->path);
  while (len > 0 && c->path[len - 1] == '/')
    len--;
  if (len == 0) {
    strcpy(c->dir, "/");
    return;
  }
  copy_str(c->dir, sizeof c->dir, c->path, len);
}

int fm_case_read(const char *path, FmCase *c) {
  memset(c, 0, sizeof *c);
  if (!path || !path[0])
    return fm_error("case file: no path given");
  size_t plen = strlen(path);
  if (plen >= FM_PATH_MAX)
    return fm_error("%.200s...: case file path too long", path);
  memcpy(c->path, path, plen + 1);
  set_dir(c);
  c->order = 2;
  c->vtu = 1;
  strcpy(c->backend, "cpu");
  c->pc[0] = '\0'; /* by the element order: fm_model_build */
  c->rtol = 1e-8;
  c->max_it = 10000;

  char *text = NULL;
  yaml_parser_t parser;
  yaml_document_t doc;
  int ierr = yaml_open(path, "case file", &text, &parser, &doc);
  if (!ierr) {
    Ctx x = {path, &doc};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
      ierr = fm_error("%s: empty case file (needs mesh, materials, "
                      "constraints and load_cases)",
                      path);
    } else {
      ierr = read_root(&x, root, c);
      if (!ierr) {
        /* a second document is an error (so is a syntax error after the
         * first one) */
        yaml_document_t doc2;
        if (!yaml_parser_load(&parser, &doc2)) {
          ierr = yaml_fail(path, &parser);
        } else {
          yaml_node_t *r2 = yaml_document_get_root_node(&doc2);
          if (r2)
            ierr = fm_error("%s:%lu: only one YAML document is allowed (a "
                            "second one starts here)",
                            path, line_of(r2));
          yaml_document_delete(&doc2);
        }
      }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(text);
  }
  if (ierr) {
    char keep[FM_PATH_MAX];
    memcpy(keep, c->path, sizeof keep);
    fm_case_free(c);
    memcpy(c->path, keep, sizeof keep);
  }
  return ierr;
}

int fm_case_has_expected(const char *path) {
  return fm_yaml_has_top_key(path, "expected");
}

int fm_yaml_has_top_key(const char *path, const char *key) {
  const size_t klen = strlen(key);
  size_t n = 0;
  char *text = fm_read_text(path, &n);
  if (!text)
    return 0;
  yaml_parser_t parser;
  yaml_document_t doc;
  int has = 0;
  if (too_deep(text, n) || !yaml_parser_initialize(&parser)) {
    has = strstr(text, key) != NULL; /* as for a file libyaml refuses */
    free(text);
    return has;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
  if (yaml_parser_load(&parser, &doc)) {
    /* a top-level key may come through a merge (<<: *common); a file
     * whose merges are refused is looked at as it is */
    (void)apply_merges(path, &doc);
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_MAPPING_NODE)
      for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
           p < root->data.mapping.pairs.top && !has; p++) {
        const yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        has = k && k->type == YAML_SCALAR_NODE &&
              k->data.scalar.length == klen &&
              !memcmp(k->data.scalar.value, key, klen);
      }
    yaml_document_delete(&doc);
  } else /* not YAML: a case only if it says so */
    has = strstr(text, key) != NULL;
  yaml_parser_delete(&parser);
  free(text);
  return has;
}

void fm_case_free(FmCase *c) {
  if (!c)
    return;
  free(c->param_name);
  free(c->param_value);
  free(c->materials);
  free(c->constraints);
  if (c->load_cases)
    for (int i = 0; i < c->nload_cases; i++)
      free(c->load_cases[i].loads);
  free(c->load_cases);
  free(c->probes);
  free(c->fatigue.groups);
  free(c->fatigue.cycles);
  free(c->expected);
  memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------------ */
/* growth scenario                                                          */

int fm_cdc_mass_p50(int girls, double age, double *kg) {
  /* CDC 2000 growth charts (National Center for Health Statistics), weight
   * for age, 50th percentile (the LMS median M) at ages 8..18, i.e. the
   * table's rows Agemos = 12 age + 0.5 of wtage.csv.  Boys:
   * shared/REFERENCES.md, marked [V].  Girls: the same table's Sex = 2
   * rows; the copy read was checked by its boys' rows, which agree with
   * REFERENCES.md's at all eleven ages. */
  static const double table[2][11] = {{25.75, 28.68, 32.09, 36.07, 40.67, 45.81,
                                       51.23, 56.49, 61.10, 64.70, 67.29},
                                      {25.76, 29.14, 33.06, 37.39, 41.83, 45.98,
                                       49.49, 52.14, 53.95, 55.18, 56.23}};
  if (!(age >= 8 && age <= 18) || age != floor(age))
    return 1;
  *kg = table[girls ? 1 : 0][(int)age - 8];
  return 0;
}

/* A number or a list of nages numbers into v[nages]. */
static int get_per_age(Ctx *x, const yaml_node_t *n, const char *item,
                       int nages, double *v) {
  char it[ITEM_MAX];
  if (n->type == YAML_SCALAR_NODE) {
    double d;
    FM_CALL(get_number(x, n, item, &d));
    for (int i = 0; i < nages; i++)
      v[i] = d;
    return 0;
  }
  FM_CALL(check_seq(x, n, item, "numbers, one per age", 0));
  if (seq_size(n) != nages)
    return err(x, n, item, "must have one value per age (%d), got %ld", nages,
               seq_size(n));
  for (int i = 0; i < nages; i++) {
    item_index(it, item, i);
    FM_CALL(get_number(x, seq_at(x, n, i), it, &v[i]));
  }
  return 0;
}

static const char *activity_name(const void *ctx, long j) {
  return ((const FmScenario *)ctx)->activities[j].name;
}

static int read_scenario_root(Ctx *x, const yaml_node_t *root, FmScenario *s) {
  static const char *const keys[] = {"title",
                                     "case",
                                     "ages",
                                     "body_mass",
                                     "extension_mm",
                                     "extension_parameter",
                                     "geometry_parameters",
                                     "steps_per_day",
                                     "activities",
                                     NULL};
  static const char *const akeys[] = {"name", "share", "loads", NULL};
  static const char *const lkeys[] = {"group", "percent_bw", NULL};
  char it[ITEM_MAX], it2[ITEM_MAX], it3[ITEM_MAX], b[96], file[FM_PATH_MAX];
  yaml_node_t *v, *ages, *acts;
  FM_CALL(check_map(x, root, "", keys, "a map"));
  if ((v = map_get(x, root, "title")))
    FM_CALL(get_string(x, v, "title", s->title, sizeof s->title, 1));
  FM_CALL(map_need(x, root, "", "case", &v));
  FM_CALL(get_string(x, v, "case", file, sizeof file, 0));
  /* resolve against the scenario's directory */
  FmCase tmp;
  memset(&tmp, 0, sizeof tmp);
  memcpy(tmp.path, s->path, sizeof tmp.path);
  set_dir(&tmp);
  FM_CALL(resolve(x, &tmp, v, "case", file, s->case_path));
  FM_CALL(map_need(x, root, "", "ages", &ages));
  FM_CALL(check_seq(x, ages, "ages", "ages in years", 0));
  if (seq_size(ages) > FM_PLOT_MAX)
    return err(x, ages, "ages",
               "%ld ages: at most %d (the report's plots against age)",
               seq_size(ages), FM_PLOT_MAX);
  s->nages = (int)seq_size(ages);
  FM_ALLOC(s->age, s->nages);
  FM_ALLOC(s->mass, s->nages);
  FM_ALLOC(s->extension, s->nages);
  FM_ALLOC(s->steps_per_day, s->nages);
  for (int i = 0; i < s->nages; i++) {
    item_index(it, "ages", i);
    FM_CALL(get_number(x, seq_at(x, ages, i), it, &s->age[i]));
    if (i && !(s->age[i] > s->age[i - 1]))
      return err(x, seq_at(x, ages, i), it,
                 "ages must increase (got %g after %g)", s->age[i],
                 s->age[i - 1]);
  }
  FM_CALL(map_need(x, root, "", "body_mass", &v));
  if (v->type == YAML_SCALAR_NODE &&
      (!strcmp(sval(v), "cdc_boys_p50") || !strcmp(sval(v), "cdc_girls_p50"))) {
    const int girls = !strcmp(sval(v), "cdc_girls_p50");
    strcpy(s->mass_source, sval(v));
    for (int i = 0; i < s->nages; i++)
      if (fm_cdc_mass_p50(girls, s->age[i], &s->mass[i]))
        return err(x, v, "body_mass",
                   "the bundled CDC tables cover whole ages 8 "
                   "to 18; age %g is not in them (give body_mass as a list)",
                   s->age[i]);
  } else if (v->type == YAML_SCALAR_NODE && !is_quoted(v) &&
             (isalpha((unsigned char)sval(v)[0]) || sval(v)[0] == '_')) {
    return err(x, v, "body_mass",
               "unknown table %s (bundled: cdc_boys_p50, cdc_girls_p50; or "
               "a list of kg per age)",
               describe(v, b, sizeof b));
  } else {
    strcpy(s->mass_source, "list");
    FM_CALL(get_per_age(x, v, "body_mass", s->nages, s->mass));
  }
  for (int i = 0; i < s->nages; i++)
    if (!(s->mass[i] > 0))
      return err(x, v, "body_mass", "must be > 0 kg (got %g at age %g)",
                 s->mass[i], s->age[i]);
  strcpy(s->extension_parameter, "extension");
  if ((v = map_get(x, root, "extension_parameter")))
    FM_CALL(get_name(x, v, "extension_parameter", s->extension_parameter));
  if ((v = map_get(x, root, "extension_mm"))) {
    FM_CALL(get_per_age(x, v, "extension_mm", s->nages, s->extension));
    for (int i = 1; i < s->nages; i++)
      if (s->extension[i] < s->extension[i - 1])
        return err(x, v, "extension_mm",
                   "an expandable implant only lengthens: "
                   "%g mm at age %g after %g mm",
                   s->extension[i], s->age[i], s->extension[i - 1]);
  }
  if ((v = map_get(x, root, "geometry_parameters"))) {
    FM_CALL(check_map(x, v, "geometry_parameters", NULL,
                      "a map {name: number or a list per age}"));
    s->ngeo = (int)map_size(v);
    FM_ALLOC(s->geo_name, s->ngeo > 0 ? s->ngeo : 1);
    FM_ALLOC(s->geo_value, (size_t)(s->ngeo > 0 ? s->ngeo : 1) * s->nages);
    for (int k = 0; k < s->ngeo; k++) {
      const yaml_node_pair_t *pr = &v->data.mapping.pairs.start[k];
      const yaml_node_t *key = node_at(x, pr->key);
      item_key(it, "geometry_parameters", sval(key), slen(key));
      FM_CALL(get_name(x, key, it, s->geo_name[k]));
      if (!strcmp(s->geo_name[k], s->extension_parameter))
        return err(x, key, it,
                   "is the extension parameter: give it as extension_mm");
      FM_CALL(get_per_age(x, node_at(x, pr->value), it, s->nages,
                          s->geo_value + (size_t)k * s->nages));
    }
  }
  FM_CALL(map_need(x, root, "", "steps_per_day", &v));
  FM_CALL(get_per_age(x, v, "steps_per_day", s->nages, s->steps_per_day));
  for (int i = 0; i < s->nages; i++)
    if (!(s->steps_per_day[i] >= 0))
      return err(x, v, "steps_per_day", "must be >= 0 (got %g)",
                 s->steps_per_day[i]);
  FM_CALL(map_need(x, root, "", "activities", &acts));
  FM_CALL(check_seq(x, acts, "activities", "activities", 0));
  s->nactivities = (int)seq_size(acts);
  FM_ALLOC(s->activities, s->nactivities);
  double share = 0;
  for (int a = 0; a < s->nactivities; a++) {
    FmActivity *A = &s->activities[a];
    yaml_node_t *an = seq_at(x, acts, a), *nm, *ld;
    item_index(it, "activities", a);
    FM_CALL(check_map(x, an, it, akeys, "a map {name, share, loads}"));
    FM_CALL(map_need(x, an, it, "name", &nm));
    item_key(it2, it, "name", 4);
    FM_CALL(get_name(x, nm, it2, A->name));
    if (!strcmp(A->name, "zero"))
      return err(x, nm, it2, "'zero' is reserved for the unloaded state");
    for (int j = 0; j < a; j++)
      if (!strcmp(s->activities[j].name, A->name))
        return err(x, nm, it2, "duplicate activity '%s'", A->name);
    /* an activity is a load case of every step (NAME.vtu): checked here,
     * not after the first step's solve */
    FM_CALL(check_file_stem(x, nm, it2, A->name, activity_name, s, a,
                            "activities"));
    A->share = 1.0;
    if ((v = map_get(x, an, "share"))) {
      item_key(it2, it, "share", 5);
      FM_CALL(get_number(x, v, it2, &A->share));
      if (!(A->share >= 0 && A->share <= 1))
        return err(x, v, it2, "must be in [0, 1] (got %g)", A->share);
    }
    share += A->share;
    FM_CALL(map_need(x, an, it, "loads", &ld));
    item_key(it2, it, "loads", 5);
    FM_CALL(check_seq(x, ld, it2, "loads {group, percent_bw}", 0));
    A->nloads = (int)seq_size(ld);
    FM_ALLOC(A->loads, A->nloads);
    for (int l = 0; l < A->nloads; l++) {
      yaml_node_t *ln = seq_at(x, ld, l), *g, *p;
      item_index(it3, it2, l);
      FM_CALL(
          check_map(x, ln, it3, lkeys, "a map {group, percent_bw: [x, y, z]}"));
      char it4[ITEM_MAX];
      FM_CALL(map_need(x, ln, it3, "group", &g));
      item_key(it4, it3, "group", 5);
      FM_CALL(get_name(x, g, it4, A->loads[l].group));
      FM_CALL(map_need(x, ln, it3, "percent_bw", &p));
      item_key(it4, it3, "percent_bw", 10);
      FM_CALL(get_vec3(x, p, it4, A->loads[l].percent_bw));
    }
  }
  if (share > 1.0 + 1e-12)
    return err(x, acts, "activities", "shares add up to %g, more than 1",
               share);
  return 0;
}

int fm_scenario_read(const char *path, FmScenario *s) {
  memset(s, 0, sizeof *s);
  snprintf(s->path, sizeof s->path, "%s", path);
  char *text = NULL;
  yaml_parser_t parser;
  yaml_document_t doc;
  FM_CALL(yaml_open(path, "scenario file", &text, &parser, &doc));
  Ctx x = {path, &doc};
  yaml_node_t *root = yaml_document_get_root_node(&doc);
  const int ierr = root ? read_scenario_root(&x, root, s)
                        : fm_error("%s: empty scenario file", path);
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  free(text);
  if (ierr) {
    char keep[FM_PATH_MAX];
    memcpy(keep, s->path, sizeof keep);
    fm_scenario_free(s);
    memcpy(s->path, keep, sizeof keep);
  }
  return ierr;
}

void fm_scenario_free(FmScenario *s) {
  free(s->age);
  free(s->mass);
  free(s->extension);
  free(s->steps_per_day);
  free(s->geo_name);
  free(s->geo_value);
  for (int a = 0; s->activities && a < s->nactivities; a++)
    free(s->activities[a].loads);
  free(s->activities);
  memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------------------ */
/* checks against a mesh                                                    */

static int find_group(const FmMesh *m, const char *name, int dmin, int dmax) {
  for (int g = 0; g < m->ngroups; g++)
    if (m->groups[g].dim >= dmin && m->groups[g].dim <= dmax &&
        m->groups[g].name[0] && !strcmp(m->groups[g].name, name))
      return g;
  return -1;
}

/* "a, b, c" of the named groups of dimension dmin..dmax (or "none"). */
static const char *group_list(const FmMesh *m, int dmin, int dmax, char *buf,
                              size_t cap) {
  size_t off = 0;
  int n = 0;
  buf[0] = 0;
  for (int g = 0; g < m->ngroups; g++) {
    const FmGroup *gr = &m->groups[g];
    if (gr->dim < dmin || gr->dim > dmax || !gr->name[0])
      continue;
    if (off + strlen(gr->name) + 8 >= cap) {
      snprintf(buf + off, cap - off, ", ...");
      return buf;
    }
    off +=
        (size_t)snprintf(buf + off, cap - off, "%s%s", n ? ", " : "", gr->name);
    n++;
  }
  return n ? buf : "none";
}

static void group_label(const FmMesh *m, int g, char *buf, size_t cap) {
  if (m->groups[g].name[0])
    snprintf(buf, cap, "'%s'", m->groups[g].name);
  else
    snprintf(buf, cap, "with physical tag %d (unnamed)", m->groups[g].tag);
}

static const char *load_kind_name(FmLoadKind k) {
  switch (k) {
  case FM_LOAD_TOTAL_FORCE:
    return "total_force";
  case FM_LOAD_PRESSURE:
    return "pressure";
  case FM_LOAD_TRACTION:
    return "traction";
  default:
    return "body_force";
  }
}

int fm_case_check_mesh(const FmCase *c, const FmMesh *m, int *elem_material) {
  const char *mf = m->file[0] ? m->file : "(mesh)";
  const char *cf = c->path[0] ? c->path : "(case)";
  char list[1024], l1[300], l2[300];

  for (int i = 0; i < c->nmaterials; i++) {
    const char *name = c->materials[i].group;
    if (find_group(m, name, 3, 3) >= 0)
      continue;
    int other = find_group(m, name, 0, 2);
    if (other >= 0)
      return fm_error("%s: materials.%s: physical group '%s' in %s has "
                      "dimension %d; a material needs a volume (dimension 3) "
                      "group (volume groups: %s)",
                      cf, name, name, mf, m->groups[other].dim,
                      group_list(m, 3, 3, list, sizeof list));
    return fm_error("%s: materials.%s: no volume physical group named '%s' in "
                    "%s (volume groups: %s)",
                    cf, name, name, mf, group_list(m, 3, 3, list, sizeof list));
  }

  for (int i = 0; i < c->nconstraints; i++) {
    const char *name = c->constraints[i].group;
    if (find_group(m, name, 0, 2) >= 0)
      continue;
    if (find_group(m, name, 3, 3) >= 0)
      return fm_error("%s: constraints[%d].group: '%s' is a volume (dimension "
                      "3) physical group in %s; a constraint needs a group of "
                      "dimension 0, 1 or 2",
                      cf, i, name, mf);
    return fm_error("%s: constraints[%d].group: no physical group named '%s' "
                    "of dimension 0, 1 or 2 in %s (groups: %s)",
                    cf, i, name, mf, group_list(m, 0, 2, list, sizeof list));
  }

  for (int i = 0; i < c->nload_cases; i++) {
    const FmLoadCase *lc = &c->load_cases[i];
    for (int j = 0; j < lc->nloads; j++) {
      const FmLoad *l = &lc->loads[j];
      if (l->kind == FM_LOAD_BODY_FORCE)
        continue;
      if (find_group(m, l->group, 2, 2) >= 0)
        continue;
      int other = find_group(m, l->group, 0, 3);
      if (other >= 0)
        return fm_error("%s: load_cases[%d].loads[%d].group: '%s' is a "
                        "physical group of dimension %d in %s; %s needs a "
                        "surface (dimension 2) group",
                        cf, i, j, l->group, m->groups[other].dim, mf,
                        load_kind_name(l->kind));
      return fm_error("%s: load_cases[%d].loads[%d].group: no surface "
                      "(dimension 2) physical group named '%s' in %s (surface "
                      "groups: %s)",
                      cf, i, j, l->group, mf,
                      group_list(m, 2, 2, list, sizeof list));
    }
  }

  /* material of each volume group (-1: none) */
  int *gmat = fm_calloc((size_t)m->ngroups + 1, sizeof *gmat);
  char *gmat_used = fm_calloc((size_t)c->nmaterials + 1, 1);
  if (!gmat || !gmat_used) {
    free(gmat);
    free(gmat_used);
    return 1;
  }
  for (int g = 0; g < m->ngroups; g++) {
    gmat[g] = -1;
    if (m->groups[g].dim != 3 || !m->groups[g].name[0])
      continue;
    for (int i = 0; i < c->nmaterials && gmat[g] < 0; i++)
      if (!strcmp(c->materials[i].group, m->groups[g].name))
        gmat[g] = i;
  }
  int ierr = 0;
  for (int e = 0; e < m->nelem && !ierr; e++) {
    long tag = m->elem_tag ? m->elem_tag[e] : (long)e + 1;
    int ent = m->elem_entity ? m->elem_entity[e] : -1;
    if (ent < 0 || ent >= m->nentities) {
      ierr = fm_error("%s: element %ld has no valid volume entity (index %d)",
                      mf, tag, ent);
      break;
    }
    const FmEntity *en = &m->entities[ent];
    int mat = -1, g_mat = -1, nvol = 0, first_vol = -1;
    for (int k = 0; k < en->ngroups; k++) {
      int g = en->groups[k];
      if (g < 0 || g >= m->ngroups) {
        ierr = fm_error("%s: entity %d of dimension %d refers to physical "
                        "group index %d out of range",
                        mf, en->tag, en->dim, g);
        break;
      }
      if (m->groups[g].dim != 3)
        continue;
      nvol++;
      if (first_vol < 0)
        first_vol = g;
      if (gmat[g] < 0 || gmat[g] == mat)
        continue;
      if (mat >= 0) {
        group_label(m, g_mat, l1, sizeof l1);
        group_label(m, g, l2, sizeof l2);
        ierr = fm_error("%s: element %ld is in volume groups %s and %s, which "
                        "both have a material in %s; each element needs "
                        "exactly one",
                        mf, tag, l1, l2, cf);
        break;
      }
      mat = gmat[g];
      g_mat = g;
    }
    if (ierr)
      break;
    if (mat < 0) {
      if (nvol == 0) {
        ierr = fm_error("%s: element %ld is in no volume physical group, so "
                        "it gets no material from %s",
                        mf, tag, cf);
      } else {
        /* name all the element's volume groups (none has a material) */
        size_t off = 0;
        list[0] = 0;
        for (int k = 0; k < en->ngroups; k++) {
          int g = en->groups[k];
          if (m->groups[g].dim != 3)
            continue;
          group_label(m, g, l1, sizeof l1);
          if (off + strlen(l1) + 8 >= sizeof list)
            break;
          off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
                                  off ? ", " : "", l1);
        }
        ierr = fm_error("%s: volume group%s %s %s no material in %s (element "
                        "%ld; add it under materials)",
                        mf, nvol > 1 ? "s" : "", list,
                        nvol > 1 ? "have" : "has", cf, tag);
      }
      break;
    }
    if (elem_material)
      elem_material[e] = mat;
    if (mat >= 0)
      gmat_used[mat] = 1;
  }
  /* a material whose group has no elements: its "results" would be the
   * empty set's (a maximum of -1 at the origin) */
  for (int i = 0; i < c->nmaterials && !ierr; i++)
    if (!gmat_used[i])
      ierr = fm_error("%s: materials.%s: volume group '%s' in %s has no "
                      "elements",
                      cf, c->materials[i].group, c->materials[i].group, mf);
  free(gmat_used);
  free(gmat);
  return ierr;
}
