/* Gmsh geometry scripts' text without Gmsh: a lexer and the files a
 * script reads besides itself (geoscan.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "geoscan.h"

#define GEO_MAX_DEPTH 32

/* 1 where name ends in ".geo" (any case): Gmsh parses a merged script. */
static int is_geo(const char *name) {
  const size_t n = strlen(name);
  if (n < 4)
    return 0;
  const char *e = name + n - 4;
  return e[0] == '.' && (e[1] | 32) == 'g' && (e[2] | 32) == 'e' &&
         (e[3] | 32) == 'o';
}

/* The key a file is known by: its real path where it exists, else the path
 * as written (a cycle of includes, or one file reached by two ways, is
 * listed once). */
static void file_key(const char *path, char *key, size_t n) {
  char buf[PATH_MAX];
  if (realpath(path, buf))
    snprintf(key, n, "%s", buf);
  else
    snprintf(key, n, "%s", path);
}

typedef struct {
  FmGeoInputs *in;
  char (*key)[FM_GEO_PATH_MAX]; /* in->path's keys, the script's first */
  int nkey;
} Scan;

/* Adds path (its key not yet seen), to the list where listed; 1 when
 * added, 0 when seen, -1 on an allocation failure. */
static int add_file(Scan *s, const char *path, int listed, int script) {
  char key[FM_GEO_PATH_MAX];
  file_key(path, key, sizeof key);
  for (int i = 0; i < s->nkey; i++)
    if (!strcmp(s->key[i], key))
      return 0;
  char(*nk)[FM_GEO_PATH_MAX] =
      fm_realloc(s->key, (size_t)s->nkey + 1, FM_GEO_PATH_MAX);
  if (!nk)
    return -1;
  s->key = nk;
  snprintf(s->key[s->nkey++], FM_GEO_PATH_MAX, "%s", key);
  if (listed) {
    FmGeoInputs *in = s->in;
    char(*np)[FM_GEO_PATH_MAX] =
        fm_realloc(in->path, (size_t)in->n + 1, FM_GEO_PATH_MAX);
    if (!np)
      return -1;
    in->path = np;
    int *ns = fm_realloc(in->script, (size_t)in->n + 1, sizeof *ns);
    if (!ns)
      return -1;
    in->script = ns;
    ns[in->n] = script;
    snprintf(in->path[in->n++], FM_GEO_PATH_MAX, "%s", path);
  }
  return 1;
}

FmGeoLex fm_geo_lex(const char *text, size_t n) {
  FmGeoLex L = {text, 0, n, 1};
  return L;
}

static int is_ident0(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_ident1(int c) {
  return is_ident0(c) || (c >= '0' && c <= '9');
}

/* Steps over s[L->i], counting lines. */
static void step(FmGeoLex *L) {
  if (L->s[L->i] == '\n')
    L->line++;
  L->i++;
}

FmGeoTok fm_geo_next(FmGeoLex *L) {
  FmGeoTok t;
  t.kind = FM_GEO_END;
  t.text[0] = 0;
  t.c = 0;
  t.open = 0;
  const char *s = L->s;
  for (;;) {
    while (L->i < L->n &&
           (s[L->i] == ' ' || s[L->i] == '\t' || s[L->i] == '\n' ||
            s[L->i] == '\r' || s[L->i] == '\f' || s[L->i] == '\v'))
      step(L);
    if (L->i + 1 < L->n && s[L->i] == '/' && s[L->i + 1] == '/') {
      while (L->i < L->n && s[L->i] != '\n')
        L->i++;
      continue;
    }
    if (L->i + 1 < L->n && s[L->i] == '/' && s[L->i + 1] == '*') {
      L->i += 2;
      while (L->i + 1 < L->n && !(s[L->i] == '*' && s[L->i + 1] == '/'))
        step(L);
      L->i = L->i + 2 <= L->n ? L->i + 2 : L->n;
      continue;
    }
    break;
  }
  t.line = L->line;
  if (L->i >= L->n)
    return t;
  int c = (unsigned char)s[L->i];
  if (is_ident0(c)) {
    size_t k = 0;
    while (L->i < L->n && is_ident1((unsigned char)s[L->i])) {
      if (k + 1 < sizeof t.text)
        t.text[k++] = s[L->i];
      L->i++;
    }
    t.text[k] = 0;
    t.kind = FM_GEO_IDENT;
  } else if (c == '"') {
    size_t k = 0;
    L->i++;
    while (L->i < L->n && s[L->i] != '"') {
      if (s[L->i] == '\\' && L->i + 1 < L->n)
        L->i++;
      if (k + 1 < sizeof t.text)
        t.text[k++] = s[L->i];
      step(L);
    }
    if (L->i < L->n)
      L->i++;
    else
      t.open = 1;
    t.text[k] = 0;
    t.kind = FM_GEO_STRING;
  } else {
    t.kind = strchr("[](){},;=", c) ? FM_GEO_PUNCT : FM_GEO_OTHER;
    t.c = (char)c;
    L->i++;
  }
  return t;
}

/* The directory part of path ("." where it has none). */
static void dir_of(const char *path, char *dir, size_t n) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(dir, n, ".");
  else if (slash == path)
    snprintf(dir, n, "/");
  else
    snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

static int scan_file(Scan *s, const char *path, int depth) {
  if (depth > GEO_MAX_DEPTH)
    return fm_error("%s: included more than %d levels deep (a loop?)", path,
                    GEO_MAX_DEPTH);
  size_t len;
  char *text = fm_read_text(path, &len);
  if (!text) {
    if (depth == 0)
      return fm_error("%s: cannot read: %s", path, fm_open_error());
    return 0; /* listed; Gmsh will say it is missing when meshing */
  }
  char dir[FM_GEO_PATH_MAX];
  dir_of(path, dir, sizeof dir);
  FmGeoLex L = fm_geo_lex(text, len);
  int ierr = 0;
  /* a token at a time (each 4 KB): kept off the stack of the recursion */
  FmGeoTok *t = fm_calloc(1, sizeof *t);
  char *file = fm_calloc(2 * FM_GEO_PATH_MAX + 2, 1);
  ierr = !t || !file;
  while (!ierr) {
    *t = fm_geo_next(&L);
    if (t->kind == FM_GEO_END)
      break;
    if (t->kind != FM_GEO_IDENT)
      continue;
    const int include = !strcmp(t->text, "Include");
    const int merge =
        !strcmp(t->text, "Merge") || !strcmp(t->text, "MergeWithBoundingBox");
    const int shape = !strcmp(t->text, "ShapeFromFile");
    if (!include && !merge && !shape)
      continue;
    char word[32];
    snprintf(word, sizeof word, "%.31s", t->text);
    const int at = t->line;
    *t = fm_geo_next(&L);
    if (t->kind == FM_GEO_PUNCT && t->c == '(')
      *t = fm_geo_next(&L);
    if (t->kind == FM_GEO_STRING && t->open)
      break; /* the text ends in the name: Gmsh stops there too */
    if (t->kind != FM_GEO_STRING) { /* named by an expression */
      if (!s->in->unresolved++)
        snprintf(s->in->where, sizeof s->in->where, "%s:%d: %s", path, at,
                 word);
      continue;
    }
    if (t->text[0] == '/')
      snprintf(file, 2 * FM_GEO_PATH_MAX + 2, "%s", t->text);
    else
      snprintf(file, 2 * FM_GEO_PATH_MAX + 2, "%s/%s", dir, t->text);
    const int script = include || (merge && is_geo(t->text));
    const int added = add_file(s, file, 1, script);
    if (added < 0)
      ierr = 1;
    else if (added > 0 && script)
      ierr = scan_file(s, file, depth + 1);
  }
  free(t);
  free(file);
  free(text);
  return ierr;
}

int fm_geo_inputs(const char *geo, FmGeoInputs *in) {
  memset(in, 0, sizeof *in);
  Scan s = {in, NULL, 0};
  int ierr = add_file(&s, geo, 0, 1) < 0;
  if (!ierr)
    ierr = scan_file(&s, geo, 0);
  free(s.key);
  if (ierr)
    fm_geo_inputs_free(in);
  return ierr;
}

void fm_geo_inputs_free(FmGeoInputs *in) {
  free(in->path);
  free(in->script);
  memset(in, 0, sizeof *in);
}
