/* Reading Gmsh geometry scripts' text without Gmsh: a lexer (the
 * DefineConstant declarations that carry a case's parameters, geometry.c)
 * and the files a script reads besides itself (whether results made from
 * it are still current: a scenario's resume). */
#ifndef FEMORA_GEOSCAN_H
#define FEMORA_GEOSCAN_H

#include <stddef.h>

#define FM_GEO_PATH_MAX 4096

enum { FM_GEO_END, FM_GEO_IDENT, FM_GEO_STRING, FM_GEO_PUNCT, FM_GEO_OTHER };

typedef struct {
  int kind;
  char text[FM_GEO_PATH_MAX]; /* identifier or string contents (truncated) */
  char c;                     /* punctuation or other character */
  int open;                   /* a string the text ends inside */
  int line;                   /* where the token starts (from 1) */
} FmGeoTok;

typedef struct {
  const char *s;
  size_t i, n;
  int line;
} FmGeoLex;

/* A lexer over text[0..n). */
FmGeoLex fm_geo_lex(const char *text, size_t n);
/* The next token, skipping white space, // and C comments; strings with
 * their escapes undone; punctuation is one of [](){},;= . */
FmGeoTok fm_geo_next(FmGeoLex *L);

/* The files a geometry script reads besides itself: every file named by
 * `Include`, `Merge`, `MergeWithBoundingBox` or `ShapeFromFile` with a
 * literal name, resolved as Gmsh does against the directory of the
 * script naming it, in the order met, each once (script[i]: 1 where it is
 * read as a script, by Include or as a merged .geo, and so read in turn
 * here).  A statement naming its file by an expression (StrCat, a
 * variable) cannot be followed: it is counted in unresolved, the first
 * one's "file:line: keyword" in where.  A file that cannot be read is
 * listed all the same (Gmsh will say it is missing).  Returns non-zero,
 * with an error naming it, where geo itself cannot be read. */
typedef struct {
  char (*path)[FM_GEO_PATH_MAX];
  int *script;
  int n;
  int unresolved;
  char where[FM_GEO_PATH_MAX + 64];
} FmGeoInputs;
int fm_geo_inputs(const char *geo, FmGeoInputs *in);
void fm_geo_inputs_free(FmGeoInputs *in);

#endif
