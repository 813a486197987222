/* Femora mesh: native Gmsh MSH 4.1 reader (ASCII and binary, either byte
 * order), order elevation/demotion, physical-group queries, the Jacobian
 * check and an MSH 4.1 ASCII writer.
 *
 * The reader loads the whole file into memory and walks it with a cursor:
 * ASCII numbers are parsed by hand (integers) or with strtod (reals), binary
 * values are copied out with bounds checks.  Every malformed input ends in a
 * single fm_error() line "<file>: <item>: <fault>"; nothing is trusted, so a
 * truncated file or a bad count cannot crash the reader. */
#include "mesh.h"

#include "element.h"
#include "error.h"
#include "fileio.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Gmsh element types                                                        */

typedef struct {
  int type, npe, dim;
  const char *name;
} ElemType;

static const ElemType elem_types[] = {
    {1, 2, 1, "2-node line"},
    {2, 3, 2, "3-node triangle"},
    {3, 4, 2, "4-node quadrangle"},
    {4, 4, 3, "4-node tetrahedron"},
    {5, 8, 3, "hexahedron"},
    {6, 6, 3, "prism"},
    {7, 5, 3, "pyramid"},
    {8, 3, 1, "3-node line"},
    {9, 6, 2, "6-node triangle"},
    {10, 9, 2, "9-node quadrangle"},
    {11, 10, 3, "10-node tetrahedron"},
    {12, 27, 3, "27-node hexahedron"},
    {13, 18, 3, "18-node prism"},
    {14, 14, 3, "14-node pyramid"},
    {15, 1, 0, "point"},
    {16, 8, 2, "8-node quadrangle"},
    {17, 20, 3, "20-node hexahedron"},
    {18, 15, 3, "15-node prism"},
    {19, 13, 3, "13-node pyramid"},
    {20, 9, 2, "9-node triangle"},
    {21, 10, 2, "10-node triangle"},
    {22, 12, 2, "12-node triangle"},
    {23, 15, 2, "15-node triangle"},
    {24, 15, 2, "15-node triangle"},
    {25, 21, 2, "21-node triangle"},
    {26, 4, 1, "4-node line"},
    {27, 5, 1, "5-node line"},
    {28, 6, 1, "6-node line"},
    {29, 20, 3, "20-node tetrahedron"},
    {30, 35, 3, "35-node tetrahedron"},
    {31, 56, 3, "56-node tetrahedron"},
    {92, 64, 3, "64-node hexahedron"},
    {93, 125, 3, "125-node hexahedron"},
};

static const ElemType *elem_type_info(int type) {
  for (size_t i = 0; i < sizeof elem_types / sizeof elem_types[0]; i++)
    if (elem_types[i].type == type)
      return &elem_types[i];
  return NULL;
}

/* Kinds of elements Femora keeps. */
enum { K_POINT, K_LINE, K_TRI, K_VOL, K_NKINDS };

/* kind and order of a supported type, or -1 */
static int supported_kind(int type, int *order) {
  switch (type) {
  case 15:
    *order = 0;
    return K_POINT;
  case 1:
    *order = 1;
    return K_LINE;
  case 8:
    *order = 2;
    return K_LINE;
  case 2:
    *order = 1;
    return K_TRI;
  case 9:
    *order = 2;
    return K_TRI;
  case 4:
    *order = 1;
    return K_VOL;
  case 11:
    *order = 2;
    return K_VOL;
  default:
    return -1;
  }
}

static const char *kind_name(int kind, int order) {
  switch (kind) {
  case K_POINT:
    return "POINT";
  case K_LINE:
    return order == 2 ? "LINE3" : "LINE2";
  case K_TRI:
    return order == 2 ? "TRI6" : "TRI3";
  default:
    return order == 2 ? "TET10" : "TET4";
  }
}

/* ------------------------------------------------------------------------ */
/* Reader state and low-level parsing                                        */

typedef struct {
  int npe, order; /* 0 until the first block of this kind */
  int n, cap;
  int *conn; /* n * npe file-node indices */
  int *ent;  /* n entity indices */
  long *tag; /* n element tags */
} Kind;

typedef struct {
  const char *file;
  char *buf; /* whole file, NUL-terminated */
  size_t len;
  const char *p, *end;
  int binary, swap;
  const char *sect; /* current section name, for messages */

  /* physical names */
  FmGroup *groups;
  int ngroups, capgroups;
  int *ghash; /* (dim, tag) -> group index + 1, 0 = empty; ghcap slots */
  int ghcap;
  uint64_t gseed; /* the hash's key, from the process and the time */
  /* entities: physical tags kept raw in groups[] until the end */
  FmEntity *ents;
  int nents, capents;
  int *eidx; /* entity indices sorted by (dim, tag) */
  int have_entities, have_partitioned;
  /* nodes in file order */
  int have_nodes, have_elements;
  int nfnodes;
  long *ftag;
  double *fx;
  /* node tag -> file index */
  long map_max;
  int *map_dense; /* map_max + 1 entries, -1 = undefined */
  long *map_tag;  /* sorted tags (sparse case) */
  int *map_idx;
  /* elements */
  Kind kinds[K_NKINDS];
} Rd;

static int is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

static long rd_line(const Rd *r) {
  long line = 1;
  for (const char *q = r->buf; q < r->p && q < r->end; q++)
    if (*q == '\n')
      line++;
  return line;
}

/* "<file>: line N ($Sect): <fault>" */
static int rd_fail(const Rd *r, const char *fmt, ...) FM_PRINTF(2, 3);
static int rd_fail(const Rd *r, const char *fmt, ...) {
  char msg[1024], where[128];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (r->binary)
    snprintf(where, sizeof where, "byte %zu", (size_t)(r->p - r->buf));
  else
    snprintf(where, sizeof where, "line %ld", rd_line(r));
  if (r->sect)
    return fm_error("%s: %s ($%s): %s", r->file, where, r->sect, msg);
  return fm_error("%s: %s: %s", r->file, where, msg);
}

static int rd_eof(const Rd *r, const char *what) {
  if (r->sect)
    return fm_error("%s: $%s: unexpected end of file while reading %s "
                    "(truncated file?)",
                    r->file, r->sect, what);
  return fm_error("%s: unexpected end of file while reading %s "
                  "(truncated file?)",
                  r->file, what);
}

static void skip_ws(Rd *r) {
  while (r->p < r->end && is_ws(*r->p))
    r->p++;
}

/* ASCII integer token */
static int rd_ascii_ll(Rd *r, long long *v, const char *what) {
  skip_ws(r);
  if (r->p >= r->end)
    return rd_eof(r, what);
  const char *s = r->p;
  int neg = 0;
  if (*s == '-' || *s == '+') {
    neg = *s == '-';
    s++;
  }
  if (s >= r->end || *s < '0' || *s > '9')
    return rd_fail(r, "expected %s (an integer)", what);
  long long x = 0;
  while (s < r->end && *s >= '0' && *s <= '9') {
    const int d = *s - '0';
    if (x > (LLONG_MAX - d) / 10)
      return rd_fail(r, "%s: integer too large", what);
    x = 10 * x + d;
    s++;
  }
  if (s < r->end && !is_ws(*s))
    return rd_fail(r, "expected %s (an integer)", what);
  *v = neg ? -x : x;
  r->p = s;
  return 0;
}

static int rd_raw(Rd *r, void *dst, size_t n, const char *what) {
  if ((size_t)(r->end - r->p) < n)
    return rd_eof(r, what);
  memcpy(dst, r->p, n);
  if (r->swap) {
    unsigned char *b = dst;
    for (size_t i = 0; i < n / 2; i++) {
      const unsigned char t = b[i];
      b[i] = b[n - 1 - i];
      b[n - 1 - i] = t;
    }
  }
  r->p += n;
  return 0;
}

/* An "int" of the format (4 bytes in binary). */
static int rd_int(Rd *r, int *v, const char *what) {
  if (r->binary) {
    int32_t x = 0;
    FM_CALL(rd_raw(r, &x, 4, what));
    *v = x;
    return 0;
  }
  long long x;
  FM_CALL(rd_ascii_ll(r, &x, what));
  if (x < INT_MIN || x > INT_MAX) {
    return rd_fail(r, "%s %lld: out of range", what, x);
  }
  *v = (int)x;
  return 0;
}

/* A "size_t" of the format (8 bytes in binary): counts and tags, >= 0. */
static int rd_size(Rd *r, long long *v, const char *what) {
  if (r->binary) {
    uint64_t x = 0;
    FM_CALL(rd_raw(r, &x, 8, what));
    if (x > (uint64_t)LLONG_MAX)
      return rd_fail(r, "%s %llu: out of range", what, (unsigned long long)x);
    *v = (long long)x;
    return 0;
  }
  FM_CALL(rd_ascii_ll(r, v, what));
  if (*v < 0)
    return rd_fail(r, "%s %lld: must not be negative", what, *v);
  return 0;
}

static int rd_double(Rd *r, double *v, const char *what) {
  if (r->binary) {
    FM_CALL(rd_raw(r, v, 8, what));
  } else {
    skip_ws(r);
    if (r->p >= r->end)
      return rd_eof(r, what);
    char *q;
    *v = strtod(r->p, &q); /* buf is NUL-terminated: q <= end */
    if (q == r->p || (q < r->end && !is_ws(*q)))
      return rd_fail(r, "expected %s (a number)", what);
    r->p = q;
  }
  if (!isfinite(*v))
    return rd_fail(r, "%s is not a finite number", what);
  return 0;
}

/* A count n of items needing at least `each` bytes (ASCII: 2 per token),
 * checked against what is left of the file before anything is allocated. */
static int rd_count(Rd *r, long long *n, size_t each_bin, size_t each_ascii,
                    const char *what) {
  FM_CALL(rd_size(r, n, what));
  const size_t left = (size_t)(r->end - r->p);
  const size_t each = r->binary ? each_bin : each_ascii;
  if ((unsigned long long)*n > left / (each ? each : 1) + 1 || *n > INT_MAX)
    return rd_fail(r,
                   "%s %lld: more than the rest of the file can hold "
                   "(bad count or truncated file)",
                   what, *n);
  return 0;
}

/* After a section name: the rest of the line, then exactly one newline (so
 * that binary data starting with a byte that looks like white space is not
 * eaten). */
static int rd_end_of_line(Rd *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r'))
    r->p++;
  if (r->p >= r->end)
    return rd_eof(r, "the section contents");
  if (*r->p != '\n')
    return rd_fail(r, "unexpected text after the header");
  r->p++;
  return 0;
}

static int rd_section_end(Rd *r) {
  char want[80];
  snprintf(want, sizeof want, "$End%s", r->sect);
  skip_ws(r);
  const size_t n = strlen(want);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, want, n) != 0 ||
      (r->p + n < r->end && !is_ws(r->p[n]))) {
    if (r->p >= r->end)
      return rd_eof(r, want);
    return rd_fail(r,
                   "expected %s (the counts in the section do not match "
                   "its contents)",
                   want);
  }
  r->p += n;
  return 0;
}

/* Skip an unknown section: find "$End<name>". */
static int rd_skip_section(Rd *r) {
  char want[80];
  snprintf(want, sizeof want, "$End%s", r->sect);
  const size_t n = strlen(want);
  const char *q = r->p;
  while (q < r->end) {
    const char *d = memchr(q, '$', (size_t)(r->end - q));
    if (!d)
      break;
    if ((size_t)(r->end - d) >= n && memcmp(d, want, n) == 0 &&
        (d + n == r->end || is_ws(d[n]))) {
      r->p = d + n;
      return 0;
    }
    q = d + 1;
  }
  return fm_error("%s: $%s: no %s (truncated file?)", r->file, r->sect, want);
}

/* ------------------------------------------------------------------------ */
/* Sections                                                                  */

static int rd_mesh_format(Rd *r) {
  skip_ws(r);
  const char *v = r->p;
  while (r->p < r->end && !is_ws(*r->p))
    r->p++;
  const size_t vn = (size_t)(r->p - v);
  if (vn == 0)
    return rd_eof(r, "the version");
  if (!(vn == 3 && memcmp(v, "4.1", 3) == 0)) {
    char ver[32];
    snprintf(ver, sizeof ver, "%.*s", (int)(vn < 20 ? vn : 20), v);
    return fm_error("%s: $MeshFormat: MSH version %s is not supported; "
                    "re-export the mesh as MSH 4.1 (gmsh -format msh41)",
                    r->file, ver);
  }
  int ftype, dsize;
  FM_CALL(rd_int(r, &ftype, "the file type"));
  FM_CALL(rd_int(r, &dsize, "the data size"));
  if (ftype != 0 && ftype != 1)
    return rd_fail(r, "file type %d: must be 0 (ASCII) or 1 (binary)", ftype);
  if (dsize != 8)
    return rd_fail(r, "data size %d: only 8 (64-bit size_t) is supported",
                   dsize);
  if (ftype == 1) {
    FM_CALL(rd_end_of_line(r));
    r->binary = 1;
    int32_t one = 0;
    FM_CALL(rd_raw(r, &one, 4, "the endianness check"));
    if (one == 1)
      r->swap = 0;
    else if (one == 0x01000000)
      r->swap = 1;
    else
      return rd_fail(r, "bad endianness check value %d (corrupt binary file?)",
                     (int)one);
  }
  return rd_section_end(r);
}

/* The physical groups by (dim, tag): an open-addressing hash, so that a
 * file with hundreds of thousands of groups reads in linear time.  Keyed
 * (a seed of the process and the time, mixed by MurmurHash3's finaliser):
 * tags chosen to collide in a fixed hash made 20000 groups take seconds.
 * Only the time taken depends on the key, never a result. */
static unsigned grp_slot(const Rd *r, int dim, int tag) {
  uint64_t h = ((uint64_t)(uint32_t)tag << 2 | (uint64_t)(dim & 3)) ^ r->gseed;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return (unsigned)h & (unsigned)(r->ghcap - 1);
}

/* index of group (dim, tag), or -1 */
static int grp_find(const Rd *r, int dim, int tag) {
  if (!r->ghcap)
    return -1;
  for (unsigned i = grp_slot(r, dim, tag);;
       i = (i + 1) & (unsigned)(r->ghcap - 1)) {
    const int g = r->ghash[i] - 1;
    if (g < 0)
      return -1;
    if (r->groups[g].dim == dim && r->groups[g].tag == tag)
      return g;
  }
}

static void grp_insert(Rd *r, int g) {
  unsigned i = grp_slot(r, r->groups[g].dim, r->groups[g].tag);
  while (r->ghash[i])
    i = (i + 1) & (unsigned)(r->ghcap - 1);
  r->ghash[i] = g + 1;
}

/* a new group (dim, tag) at *g, its name empty (not yet in the table) */
static int grp_add(Rd *r, int dim, int tag, int *g) {
  if (r->ngroups == r->capgroups) {
    if (r->capgroups >= INT_MAX / 4)
      return rd_fail(r, "too many physical groups");
    const int cap = r->capgroups ? 2 * r->capgroups : 16;
    FmGroup *ng = fm_realloc(r->groups, (size_t)cap, sizeof *ng);
    if (!ng)
      return 1;
    r->groups = ng;
    r->capgroups = cap;
  }
  if (2 * (r->ngroups + 1) > r->ghcap) { /* at most half full */
    const int cap = r->ghcap ? 2 * r->ghcap : 64;
    int *h = fm_calloc((size_t)cap, sizeof *h);
    if (!h)
      return 1;
    free(r->ghash);
    r->ghash = h;
    r->ghcap = cap;
    for (int j = 0; j < r->ngroups; j++)
      grp_insert(r, j);
  }
  *g = r->ngroups++;
  memset(&r->groups[*g], 0, sizeof r->groups[*g]);
  r->groups[*g].dim = dim;
  r->groups[*g].tag = tag;
  grp_insert(r, *g);
  return 0;
}

static int rd_physical_names(Rd *r) {
  long long n;
  /* always ASCII, even in binary files */
  const int bin = r->binary;
  r->binary = 0;
  int ierr = rd_count(r, &n, 6, 6, "number of physical names");
  for (long long i = 0; !ierr && i < n; i++) {
    int dim, tag;
    if ((ierr = rd_int(r, &dim, "physical dimension")))
      break;
    if ((ierr = rd_int(r, &tag, "physical tag")))
      break;
    if (dim < 0 || dim > 3) {
      ierr = rd_fail(r, "physical group %d: dimension %d (must be 0..3)", tag,
                     dim);
      break;
    }
    skip_ws(r);
    if (r->p >= r->end) {
      ierr = rd_eof(r, "a physical name");
      break;
    }
    if (*r->p != '"') {
      ierr = rd_fail(r, "physical group %d: expected a quoted name", tag);
      break;
    }
    const char *s = ++r->p;
    while (r->p < r->end && *r->p != '"' && *r->p != '\n')
      r->p++;
    if (r->p >= r->end || *r->p != '"') {
      ierr = rd_fail(r, "physical group %d: name has no closing quote", tag);
      break;
    }
    const size_t len = (size_t)(r->p - s);
    r->p++;
    if (len >= FM_NAME_MAX) {
      ierr = rd_fail(r, "physical group %d: name longer than %d characters",
                     tag, FM_NAME_MAX - 1);
      break;
    }
    if (grp_find(r, dim, tag) >= 0) {
      ierr =
          rd_fail(r, "physical group %d (dimension %d) named twice", tag, dim);
      break;
    }
    int g;
    if ((ierr = grp_add(r, dim, tag, &g)))
      break;
    memcpy(r->groups[g].name, s, len);
    r->groups[g].name[len] = 0;
  }
  r->binary = bin;
  if (ierr)
    return ierr;
  /* the end marker follows a newline even in binary files */
  return rd_section_end(r);
}

static int ent_cmp(const FmEntity *a, int dim, int tag) {
  if (a->dim != dim)
    return a->dim < dim ? -1 : 1;
  if (a->tag != tag)
    return a->tag < tag ? -1 : 1;
  return 0;
}

/* position in eidx of (dim, tag), or -(insertion point) - 1 */
static int ent_search(const Rd *r, int dim, int tag) {
  int lo = 0, hi = r->nents - 1;
  while (lo <= hi) {
    const int mid = lo + (hi - lo) / 2;
    const int c = ent_cmp(&r->ents[r->eidx[mid]], dim, tag);
    if (c == 0)
      return mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -lo - 1;
}

/* Add entity (dim, tag); *index receives its index. */
static int ent_add(Rd *r, int dim, int tag, int *index) {
  const int pos = ent_search(r, dim, tag);
  if (pos >= 0)
    return rd_fail(r, "entity %d of dimension %d defined twice", tag, dim);
  const int ins = -pos - 1;
  if (r->nents == r->capents) {
    const int cap = r->capents ? 2 * r->capents : 64;
    FmEntity *e = fm_realloc(r->ents, (size_t)cap, sizeof *e);
    if (!e)
      return 1;
    r->ents = e;
    int *ix = fm_realloc(r->eidx, (size_t)cap, sizeof *ix);
    if (!ix)
      return 1;
    r->eidx = ix;
    r->capents = cap;
  }
  memmove(r->eidx + ins + 1, r->eidx + ins,
          (size_t)(r->nents - ins) * sizeof *r->eidx);
  r->eidx[ins] = r->nents;
  FmEntity *e = &r->ents[r->nents];
  memset(e, 0, sizeof *e);
  e->dim = dim;
  e->tag = tag;
  *index = r->nents++;
  return 0;
}

static int rd_entities(Rd *r) {
  if (r->have_entities)
    return rd_fail(r, "second $Entities section");
  r->have_entities = 1;
  long long cnt[4];
  for (int d = 0; d < 4; d++)
    FM_CALL(rd_count(r, &cnt[d], 36, 10, "number of entities"));
  for (int d = 0; d < 4; d++)
    for (long long i = 0; i < cnt[d]; i++) {
      int tag, index;
      double xyz[6];
      FM_CALL(rd_int(r, &tag, "entity tag"));
      for (int k = 0; k < (d == 0 ? 3 : 6); k++)
        FM_CALL(rd_double(r, &xyz[k], "entity coordinate"));
      long long nphys;
      FM_CALL(rd_count(r, &nphys, 4, 2, "number of physical tags"));
      FM_CALL(ent_add(r, d, tag, &index));
      FmEntity *e = &r->ents[index];
      if (nphys > 0) {
        e->groups = fm_calloc((size_t)nphys, sizeof *e->groups);
        if (!e->groups)
          return 1;
      }
      e->ngroups = (int)nphys;
      for (long long k = 0; k < nphys; k++)
        FM_CALL(rd_int(r, &e->groups[k], "physical tag"));
      if (d > 0) {
        long long nb;
        FM_CALL(rd_count(r, &nb, 4, 2, "number of bounding entities"));
        for (long long k = 0; k < nb; k++) {
          int b;
          FM_CALL(rd_int(r, &b, "bounding entity tag"));
        }
      }
    }
  return rd_section_end(r);
}

static int map_pair_cmp(const void *a, const void *b) {
  const long x = ((const long *)a)[0], y = ((const long *)b)[0];
  return (x > y) - (x < y);
}

/* Build node tag -> file index. */
static int build_node_map(Rd *r) {
  const int n = r->nfnodes;
  long maxtag = -1;
  for (int i = 0; i < n; i++)
    if (r->ftag[i] > maxtag)
      maxtag = r->ftag[i];
  r->map_max = maxtag;
  if (maxtag < 4L * n + 1024) {
    FM_ALLOC(r->map_dense, maxtag + 1);
    memset(r->map_dense, 0xff, (size_t)(maxtag + 1) * sizeof(int)); /* -1 */
    for (int i = 0; i < n; i++) {
      if (r->map_dense[r->ftag[i]] >= 0)
        return fm_error("%s: node %ld: defined twice in $Nodes", r->file,
                        r->ftag[i]);
      r->map_dense[r->ftag[i]] = i;
    }
    return 0;
  }
  long *pairs;
  FM_ALLOC(pairs, 2 * (size_t)n);
  for (int i = 0; i < n; i++) {
    pairs[2 * i] = r->ftag[i];
    pairs[2 * i + 1] = i;
  }
  qsort(pairs, (size_t)n, 2 * sizeof(long), map_pair_cmp);
  r->map_tag = fm_calloc((size_t)n, sizeof(long));
  r->map_idx = fm_calloc((size_t)n, sizeof(int));
  if (!r->map_tag || !r->map_idx) {
    free(pairs);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    r->map_tag[i] = pairs[2 * i];
    r->map_idx[i] = (int)pairs[2 * i + 1];
    if (i > 0 && r->map_tag[i] == r->map_tag[i - 1]) {
      free(pairs);
      return fm_error("%s: node %ld: defined twice in $Nodes", r->file,
                      r->map_tag[i]);
    }
  }
  free(pairs);
  return 0;
}

static int node_lookup(const Rd *r, long long tag) {
  if (tag < 0 || tag > r->map_max)
    return -1;
  if (r->map_dense)
    return r->map_dense[tag];
  int lo = 0, hi = r->nfnodes - 1;
  while (lo <= hi) {
    const int mid = lo + (hi - lo) / 2;
    if (r->map_tag[mid] == tag)
      return r->map_idx[mid];
    if (r->map_tag[mid] < tag)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

static int rd_nodes(Rd *r) {
  if (r->have_nodes)
    return rd_fail(r, "second $Nodes section");
  r->have_nodes = 1;
  long long nblocks, nnodes, mintag, maxtag;
  FM_CALL(rd_count(r, &nblocks, 20, 8, "number of node blocks"));
  FM_CALL(rd_count(r, &nnodes, 32, 8, "number of nodes"));
  FM_CALL(rd_size(r, &mintag, "minimum node tag"));
  FM_CALL(rd_size(r, &maxtag, "maximum node tag"));
  FM_ALLOC(r->ftag, nnodes);
  FM_ALLOC(r->fx, 3 * nnodes);
  long long total = 0;
  for (long long b = 0; b < nblocks; b++) {
    int dim, etag, param;
    long long n;
    FM_CALL(rd_int(r, &dim, "entity dimension"));
    FM_CALL(rd_int(r, &etag, "entity tag"));
    FM_CALL(rd_int(r, &param, "parametric flag"));
    FM_CALL(rd_count(r, &n, 32, 8, "number of nodes in block"));
    if (dim < 0 || dim > 3)
      return rd_fail(r, "node block %lld: entity dimension %d (must be 0..3)",
                     b + 1, dim);
    if (param != 0 && param != 1)
      return rd_fail(r, "node block %lld: parametric flag %d (must be 0 or 1)",
                     b + 1, param);
    if (n > nnodes - total)
      return rd_fail(r,
                     "node block %lld: the blocks hold more nodes than the "
                     "%lld announced in the header",
                     b + 1, nnodes);
    for (long long i = 0; i < n; i++) {
      long long t;
      FM_CALL(rd_size(r, &t, "node tag"));
      if (t == 0)
        return rd_fail(r, "node tag 0: node tags start at 1");
      if (t > LONG_MAX)
        return rd_fail(r, "node tag %lld: too large", t);
      r->ftag[total + i] = (long)t;
    }
    const int extra = param ? dim : 0; /* u, v, w as the dimension has */
    for (long long i = 0; i < n; i++) {
      double *x = r->fx + 3 * (total + i);
      for (int k = 0; k < 3; k++) {
        FM_CALL(rd_double(r, &x[k], "coordinate"));
        /* far beyond any implant in any unit: the element checks' h^3
         * would overflow and call sound elements degenerate */
        if (fabs(x[k]) > 1e15)
          return rd_fail(r,
                         "node %ld: coordinate %g is out of range (at "
                         "most 1e15 in size)",
                         r->ftag[total + i], x[k]);
      }
      for (int k = 0; k < extra; k++) {
        double u;
        FM_CALL(rd_double(r, &u, "parametric coordinate"));
      }
    }
    total += n;
  }
  if (total != nnodes)
    return rd_fail(r, "the blocks hold %lld nodes, the header announced %lld",
                   total, nnodes);
  r->nfnodes = (int)nnodes;
  FM_CALL(rd_section_end(r));
  return build_node_map(r);
}

static int kind_reserve(Kind *k, long long more) {
  if (more > INT_MAX - k->n)
    return fm_error("too many elements (more than %d)", INT_MAX);
  const int need = k->n + (int)more;
  if (need <= k->cap)
    return 0;
  long long cap = k->cap ? 2LL * k->cap : 1024;
  while (cap < need)
    cap *= 2;
  if (cap > INT_MAX)
    cap = need;
  int *c = fm_realloc(k->conn, (size_t)cap * (size_t)k->npe, sizeof *c);
  if (!c)
    return 1;
  k->conn = c;
  int *e = fm_realloc(k->ent, (size_t)cap, sizeof *e);
  if (!e)
    return 1;
  k->ent = e;
  long *t = fm_realloc(k->tag, (size_t)cap, sizeof *t);
  if (!t)
    return 1;
  k->tag = t;
  k->cap = (int)cap;
  return 0;
}

/* Element `tag` (first of block `block`, -1 when the block is empty) has
 * type `type`, which Femora does not read. */
static int unsupported_type(const Rd *r, long long tag, long long block,
                            int type) {
  const ElemType *info = elem_type_info(type);
  const char *name = info ? info->name : "unknown";
  const char *need = info && info->dim < 3
                         ? "Femora needs TET4 or TET10 volumes with TRI3/TRI6 "
                           "faces, LINE2/LINE3 curves and points"
                         : "Femora needs TET4 or TET10";
  if (tag >= 0)
    return fm_error("%s: element %lld: unsupported element type %d (%s); %s",
                    r->file, tag, type, name, need);
  return fm_error("%s: $Elements: element block %lld: unsupported element "
                  "type %d (%s); %s",
                  r->file, block, type, name, need);
}

static int rd_elements(Rd *r) {
  if (r->have_elements)
    return rd_fail(r, "second $Elements section");
  if (!r->have_nodes)
    return rd_fail(r, "no $Nodes section before $Elements");
  if (r->have_partitioned)
    return fm_error("%s: $PartitionedEntities: partitioned meshes are not "
                    "supported; save the mesh without partitions",
                    r->file);
  r->have_elements = 1;
  long long nblocks, nelem, mintag, maxtag;
  FM_CALL(rd_count(r, &nblocks, 20, 8, "number of element blocks"));
  FM_CALL(rd_count(r, &nelem, 16, 4, "number of elements"));
  FM_CALL(rd_size(r, &mintag, "minimum element tag"));
  FM_CALL(rd_size(r, &maxtag, "maximum element tag"));
  long long total = 0, pend_tag = -1, pend_block = 0;
  int pend_type = 0; /* first unsupported face or line type seen */
  for (long long b = 0; b < nblocks; b++) {
    int dim, etag, type, order;
    long long n;
    FM_CALL(rd_int(r, &dim, "entity dimension"));
    FM_CALL(rd_int(r, &etag, "entity tag"));
    FM_CALL(rd_int(r, &type, "element type"));
    FM_CALL(rd_count(r, &n, 16, 4, "number of elements in block"));
    if (n > nelem - total)
      return rd_fail(r,
                     "element block %lld: the blocks hold more elements than "
                     "the %lld announced in the header",
                     b + 1, nelem);
    const int kind = supported_kind(type, &order);
    if (kind < 0) {
      const ElemType *info = elem_type_info(type);
      long long t = -1;
      if (n > 0)
        FM_CALL(rd_size(r, &t, "element tag"));
      if (info && info->dim < 3) {
        /* a quadrangle face: go on, in case a volume block (hexahedra,
         * prisms...) follows, which is the more useful thing to report */
        if (!pend_type) {
          pend_type = type;
          pend_tag = t;
          pend_block = b + 1;
        }
        for (long long i = 0; i < n * (1 + info->npe) - (n > 0); i++) {
          long long skip;
          FM_CALL(rd_size(r, &skip,
                          i % (1 + info->npe) == info->npe ? "element tag"
                                                           : "node tag"));
        }
        total += n;
        continue;
      }
      return unsupported_type(r, t, b + 1, type);
    }
    const ElemType *info = elem_type_info(type);
    if (dim != info->dim)
      return rd_fail(r,
                     "element block %lld: %s elements (type %d) on an entity "
                     "of dimension %d",
                     b + 1, info->name, type, dim);
    int eidx;
    {
      const int pos = ent_search(r, dim, etag);
      if (pos >= 0)
        eidx = r->eidx[pos];
      else if (!r->have_entities)
        FM_CALL(ent_add(r, dim, etag, &eidx));
      else
        return rd_fail(r,
                       "element block %lld: entity %d of dimension %d is not "
                       "in $Entities",
                       b + 1, etag, dim);
    }
    Kind *k = &r->kinds[kind];
    const int npe = info->npe;
    if (n == 0)
      continue;
    if (k->npe && k->order != order) {
      long long t;
      FM_CALL(rd_size(r, &t, "element tag"));
      return fm_error("%s: element %lld: %s mixed with %s elements; all "
                      "elements must be of one order",
                      r->file, t, kind_name(kind, order),
                      kind_name(kind, k->order));
    }
    k->npe = npe;
    k->order = order;
    FM_CALL(kind_reserve(k, n));
    for (long long i = 0; i < n; i++) {
      long long t;
      FM_CALL(rd_size(r, &t, "element tag"));
      if (t == 0)
        return rd_fail(r, "element tag 0: element tags start at 1");
      if (t > LONG_MAX)
        return rd_fail(r, "element tag %lld: too large", t);
      int *c = k->conn + (size_t)k->n * (size_t)npe;
      for (int a = 0; a < npe; a++) {
        long long nt;
        FM_CALL(rd_size(r, &nt, "node tag"));
        const int idx = node_lookup(r, nt);
        if (idx < 0)
          return fm_error("%s: element %lld: node %lld is not defined in "
                          "$Nodes",
                          r->file, t, nt);
        c[a] = idx;
      }
      k->ent[k->n] = eidx;
      k->tag[k->n] = (long)t;
      k->n++;
    }
    total += n;
  }
  if (pend_type)
    return unsupported_type(r, pend_tag, pend_block, pend_type);
  if (total != nelem)
    return rd_fail(r,
                   "the blocks hold %lld elements, the header announced %lld",
                   total, nelem);
  return rd_section_end(r);
}

static int read_file(Rd *r, const char *path) {
  FILE *f = fm_open_regular(path);
  if (!f)
    return fm_error("%s: cannot open: %s", path, fm_open_error());
  size_t cap = 1 << 20, len = 0;
  if (fseek(f, 0, SEEK_END) == 0) { /* regular file: read it in one go */
    const long sz = ftell(f);
    if (sz >= 0 && (unsigned long)sz < SIZE_MAX / 2)
      cap = (size_t)sz + 1;
    rewind(f);
  }
  char *buf = malloc(cap + 1);
  if (!buf) {
    fclose(f);
    return fm_error("%s: out of memory", path);
  }
  for (;;) {
    if (len == cap) {
      if (cap > SIZE_MAX / 4) {
        free(buf);
        fclose(f);
        return fm_error("%s: file too large", path);
      }
      char *nb = realloc(buf, 2 * cap + 1);
      if (!nb) {
        free(buf);
        fclose(f);
        return fm_error("%s: out of memory reading the file", path);
      }
      buf = nb;
      cap *= 2;
    }
    const size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0)
      break;
  }
  const int bad = ferror(f) ? errno : 0;
  fclose(f);
  if (bad) {
    free(buf);
    return fm_error("%s: read error: %s", path, strerror(bad));
  }
  buf[len] = 0;
  r->buf = buf;
  r->len = len;
  r->p = buf;
  r->end = buf + len;
  return 0;
}

static int parse(Rd *r) {
  int nsect = 0;
  for (;;) {
    r->sect = NULL;
    skip_ws(r);
    if (r->p >= r->end)
      break;
    if (*r->p != '$') {
      if (nsect == 0)
        return fm_error("%s: not a Gmsh MSH file (no $MeshFormat at the "
                        "start)",
                        r->file);
      return rd_fail(r, "expected a section header ($Name)");
    }
    const char *s = ++r->p;
    while (r->p < r->end && !is_ws(*r->p))
      r->p++;
    char name[64];
    const size_t n = (size_t)(r->p - s);
    snprintf(name, sizeof name, "%.*s", (int)(n < 60 ? n : 60), s);
    if (nsect == 0 && strcmp(name, "MeshFormat") != 0)
      return fm_error("%s: not a Gmsh MSH file (no $MeshFormat at the start)",
                      r->file);
    if (nsect > 0 && strcmp(name, "MeshFormat") == 0)
      return rd_fail(r, "second $MeshFormat section");
    if (strncmp(name, "End", 3) == 0)
      return rd_fail(r, "$%s without its section", name);
    r->sect = name;
    FM_CALL(rd_end_of_line(r));
    nsect++;
    if (!strcmp(name, "MeshFormat"))
      FM_CALL(rd_mesh_format(r));
    else if (!strcmp(name, "PhysicalNames"))
      FM_CALL(rd_physical_names(r));
    else if (!strcmp(name, "Entities"))
      FM_CALL(rd_entities(r));
    else if (!strcmp(name, "Nodes"))
      FM_CALL(rd_nodes(r));
    else if (!strcmp(name, "Elements"))
      FM_CALL(rd_elements(r));
    else {
      if (!strcmp(name, "PartitionedEntities"))
        r->have_partitioned = 1;
      FM_CALL(rd_skip_section(r));
    }
  }
  r->sect = NULL;
  if (nsect == 0)
    return fm_error("%s: not a Gmsh MSH file (empty or no $MeshFormat)",
                    r->file);
  if (!r->have_nodes)
    return fm_error("%s: $Nodes: section missing", r->file);
  if (!r->have_elements)
    return fm_error("%s: $Elements: section missing", r->file);
  return 0;
}

/* Turn the raw physical tags of the entities into group indices, adding
 * unnamed groups for tags without a $PhysicalNames entry. */
static int resolve_groups(Rd *r) {
  int *seen = NULL; /* group -> last entity (+1) that listed it */
  int capseen = 0;
  for (int i = 0; i < r->nents; i++) {
    FmEntity *e = &r->ents[i];
    int m = 0;
    for (int k = 0; k < e->ngroups; k++) {
      const int tag = e->groups[k];
      int g = grp_find(r, e->dim, tag);
      if (g < 0 && grp_add(r, e->dim, tag, &g)) {
        free(seen);
        return 1;
      }
      if (g >= capseen) {
        const int cap = r->capgroups;
        int *ns = fm_realloc(seen, (size_t)cap, sizeof *ns);
        if (!ns) {
          free(seen);
          return 1;
        }
        memset(ns + capseen, 0, (size_t)(cap - capseen) * sizeof *ns);
        seen = ns;
        capseen = cap;
      }
      if (seen[g] != i + 1) { /* a tag listed twice counts once */
        seen[g] = i + 1;
        e->groups[m++] = g;
      }
    }
    e->ngroups = m;
  }
  free(seen);
  return 0;
}

static void rd_free(Rd *r) {
  free(r->buf);
  free(r->groups);
  free(r->ghash);
  if (r->ents)
    for (int i = 0; i < r->nents; i++)
      free(r->ents[i].groups);
  free(r->ents);
  free(r->eidx);
  free(r->ftag);
  free(r->fx);
  free(r->map_dense);
  free(r->map_tag);
  free(r->map_idx);
  for (int k = 0; k < K_NKINDS; k++) {
    free(r->kinds[k].conn);
    free(r->kinds[k].ent);
    free(r->kinds[k].tag);
  }
  memset(r, 0, sizeof *r);
}

static void take_boundary(FmBoundary *b, Kind *k, int npe) {
  b->n = k->n;
  b->npe = npe;
  b->conn = k->conn;
  b->entity = k->ent;
  k->conn = NULL;
  k->ent = NULL;
}

/* Move the parsed data into the mesh, keeping only referenced nodes. */
/* Two elements of a kind (tetrahedra; triangles) on the same corner
 * nodes: an element listed twice doubles its stiffness or its load,
 * silently.  The elements bucketed by their smallest corner (a counting
 * sort: linear time), then compared within a bucket (a few each). */
static int check_duplicates(const Rd *r, int kind, int ncorner) {
  const Kind *k = &r->kinds[kind];
  if (k->n < 2)
    return 0;
  int *key, *start, *order;
  FM_ALLOC(key, 4 * (size_t)k->n);
  start = fm_calloc((size_t)r->nfnodes + 1, sizeof *start);
  order = fm_calloc((size_t)k->n, sizeof *order);
  if (!start || !order) {
    free(key);
    free(start);
    free(order);
    return 1;
  }
  for (int e = 0; e < k->n; e++) {
    int *q = key + 4 * (size_t)e;
    for (int a = 0; a < 4; a++)
      q[a] = a < ncorner ? k->conn[(size_t)e * k->npe + a] : -1;
    for (int a = 1; a < ncorner; a++) /* insertion sort of 3-4 values */
      for (int b = a; b > 0 && q[b - 1] > q[b]; b--) {
        const int t = q[b];
        q[b] = q[b - 1];
        q[b - 1] = t;
      }
    start[q[0] + 1]++;
  }
  for (int i = 0; i < r->nfnodes; i++)
    start[i + 1] += start[i];
  for (int e = 0; e < k->n; e++)
    order[start[key[4 * (size_t)e]]++] = e;
  int ierr = 0, lo = 0;
  for (int i = 0; i < r->nfnodes && !ierr; i++) { /* start[i]: bucket end */
    const int hi = start[i];
    for (int x = lo; x < hi && !ierr; x++)
      for (int y = x + 1; y < hi && !ierr; y++) {
        const int ex = order[x], ey = order[y];
        if (!memcmp(key + 4 * (size_t)ex, key + 4 * (size_t)ey,
                    4 * sizeof *key))
          ierr = fm_error("%s: element %ld: the same corner nodes as element "
                          "%ld (a %s listed twice)",
                          r->file, k->tag[ey], k->tag[ex],
                          kind_name(kind, k->order));
      }
    lo = hi;
  }
  free(key);
  free(start);
  free(order);
  return ierr;
}

static int build_mesh(Rd *r, FmMesh *m) {
  Kind *vol = &r->kinds[K_VOL];
  if (vol->n == 0)
    return fm_error("%s: $Elements: no tetrahedra (element type 4 or 11); "
                    "mesh the volume in 3D (gmsh -3)",
                    r->file);
  const int order = vol->order;
  for (int kind = K_LINE; kind <= K_TRI; kind++) {
    Kind *k = &r->kinds[kind];
    if (k->n && k->order != order)
      return fm_error("%s: element %ld: %s element in a %s mesh; all elements "
                      "must be of one order",
                      r->file, k->tag[0], kind_name(kind, k->order),
                      kind_name(K_VOL, order));
  }
  FM_CALL(resolve_groups(r));
  FM_CALL(check_duplicates(r, K_VOL, 4));
  FM_CALL(check_duplicates(r, K_TRI, 3));

  /* compact nodes: keep those of the tetrahedra, in file order; a point,
   * curve or surface element with a node of none lies off the meshed
   * volume (a physical surface of a volume in no physical group, a
   * physical point not embedded): loads and constraints there would act
   * on nodes without stiffness */
  int *newidx;
  FM_ALLOC(newidx, r->nfnodes);
  {
    const size_t nc = (size_t)vol->n * (size_t)vol->npe;
    for (size_t i = 0; i < nc; i++)
      newidx[vol->conn[i]] = 1;
  }
  for (int kind = 0; kind < K_NKINDS; kind++) {
    Kind *k = &r->kinds[kind];
    if (kind == K_VOL)
      continue;
    int kept = 0;
    for (int e = 0; e < k->n; e++) {
      int off = -1;
      for (int a = 0; a < k->npe && off < 0; a++)
        if (!newidx[k->conn[(size_t)e * k->npe + a]])
          off = k->conn[(size_t)e * k->npe + a];
      if (off >= 0 && r->ents[k->ent[e]].ngroups > 0) {
        free(newidx);
        return fm_error("%s: element %ld: node %ld belongs to no "
                        "tetrahedron (a %s element of a physical group off "
                        "the meshed volume: is its volume in a physical "
                        "group?)",
                        r->file, k->tag[e], r->ftag[off],
                        kind_name(kind, k->order));
      }
      if (off >= 0)
        continue; /* in no group (construction points, SaveAll): dropped */
      if (kept != e) {
        memmove(k->conn + (size_t)kept * k->npe, k->conn + (size_t)e * k->npe,
                (size_t)k->npe * sizeof(int));
        k->ent[kept] = k->ent[e];
        k->tag[kept] = k->tag[e];
      }
      kept++;
    }
    k->n = kept;
  }
  int nn = 0;
  for (int i = 0; i < r->nfnodes; i++)
    newidx[i] = newidx[i] ? nn++ : -1;
  m->x = fm_calloc(3 * (size_t)nn, sizeof *m->x);
  m->node_tag = fm_calloc((size_t)nn, sizeof *m->node_tag);
  if (!m->x || !m->node_tag) {
    free(newidx);
    return 1;
  }
  for (int i = 0; i < r->nfnodes; i++) {
    const int j = newidx[i];
    if (j < 0)
      continue;
    memcpy(m->x + 3 * (size_t)j, r->fx + 3 * (size_t)i, 3 * sizeof(double));
    m->node_tag[j] = r->ftag[i];
  }
  for (int kind = 0; kind < K_NKINDS; kind++) {
    const Kind *k = &r->kinds[kind];
    const size_t nc = (size_t)k->n * (size_t)k->npe;
    for (size_t i = 0; i < nc; i++)
      k->conn[i] = newidx[k->conn[i]];
  }
  free(newidx);
  m->nnodes = nn;

  m->order = order;
  m->npe = vol->npe;
  m->nelem = vol->n;
  m->conn = vol->conn;
  m->elem_entity = vol->ent;
  m->elem_tag = vol->tag;
  vol->conn = NULL;
  vol->ent = NULL;
  vol->tag = NULL;
  take_boundary(&m->points, &r->kinds[K_POINT], 1);
  take_boundary(&m->lines, &r->kinds[K_LINE], order == 2 ? 3 : 2);
  take_boundary(&m->tris, &r->kinds[K_TRI], order == 2 ? 6 : 3);

  m->ngroups = r->ngroups;
  m->groups = r->groups;
  r->groups = NULL;
  m->nentities = r->nents;
  m->entities = r->ents;
  r->ents = NULL;
  r->nents = 0;
  return 0;
}

int fm_mesh_read_msh(const char *path, FmMesh *mesh) {
  memset(mesh, 0, sizeof *mesh);
  snprintf(mesh->file, sizeof mesh->file, "%s", path);
  Rd r;
  memset(&r, 0, sizeof r);
  r.file = mesh->file;
  r.gseed = ((uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^
             (uint64_t)(uintptr_t)&r) *
            0x9e3779b97f4a7c15ULL;
  int ierr = read_file(&r, path);
  if (!ierr)
    ierr = parse(&r);
  if (!ierr)
    ierr = build_mesh(&r, mesh);
  rd_free(&r);
  if (ierr) {
    fm_mesh_free(mesh);
    return ierr;
  }
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Order change                                                              */

static void sort_ints(int *a, int n);

static int cmp_int(const void *a, const void *b) {
  const int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void sort_ints(int *a, int n) {
  if (n > 32) {
    qsort(a, (size_t)n, sizeof *a, cmp_int);
    return;
  }
  for (int i = 1; i < n; i++) {
    const int v = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

/* Unique edges stored per smaller endpoint (CSR): row a holds the larger
 * endpoints b (sorted, unique) and mid[] the mid-node index of edge (a, b). */
typedef struct {
  size_t *off; /* nnodes + 1 */
  int *len;    /* unique entries per row */
  int *nbr;
  int *mid;
} EdgeSet;

static size_t edge_find(const EdgeSet *es, int a, int b) {
  if (a > b) {
    const int t = a;
    a = b;
    b = t;
  }
  const int *row = es->nbr + es->off[a];
  int lo = 0, hi = es->len[a] - 1;
  while (lo <= hi) {
    const int mid = lo + (hi - lo) / 2;
    if (row[mid] == b)
      return es->off[a] + (size_t)mid;
    if (row[mid] < b)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return (size_t)-1; /* not reached: every edge was inserted */
}

typedef struct {
  const int *conn;
  int n, npe, nedge;
  const int (*edges)[2];
} EdgeSrc;

static int elevate(FmMesh *m) {
  static const int tet_e[6][2] = FM_TET10_EDGES;
  static const int tri_e[3][2] = FM_TRI6_EDGES;
  static const int line_e[1][2] = {{0, 1}};
  const EdgeSrc src[3] = {
      {m->conn, m->nelem, 4, 6, tet_e},
      {m->tris.conn, m->tris.n, 3, 3, tri_e},
      {m->lines.conn, m->lines.n, 2, 1, line_e},
  };
  const int nn = m->nnodes;
  EdgeSet es = {0};
  int ierr = 1;
  double *x = NULL;
  long *tags = NULL;
  int *conn = NULL, *tconn = NULL, *lconn = NULL;

  es.off = fm_calloc((size_t)nn + 1, sizeof *es.off);
  es.len = fm_calloc((size_t)nn + 1, sizeof *es.len);
  if (!es.off || !es.len)
    goto done;
  for (int s = 0; s < 3; s++)
    for (int e = 0; e < src[s].n; e++) {
      const int *c = src[s].conn + (size_t)e * src[s].npe;
      for (int k = 0; k < src[s].nedge; k++) {
        const int a = c[src[s].edges[k][0]], b = c[src[s].edges[k][1]];
        es.off[(a < b ? a : b) + 1]++;
      }
    }
  for (int i = 0; i < nn; i++)
    es.off[i + 1] += es.off[i];
  const size_t nref = es.off[nn];
  es.nbr = fm_calloc(nref, sizeof *es.nbr);
  es.mid = fm_calloc(nref, sizeof *es.mid);
  if (!es.nbr || !es.mid)
    goto done;
  for (int s = 0; s < 3; s++)
    for (int e = 0; e < src[s].n; e++) {
      const int *c = src[s].conn + (size_t)e * src[s].npe;
      for (int k = 0; k < src[s].nedge; k++) {
        const int a = c[src[s].edges[k][0]], b = c[src[s].edges[k][1]];
        const int lo = a < b ? a : b, hi = a < b ? b : a;
        es.nbr[es.off[lo] + (size_t)es.len[lo]++] = hi;
      }
    }
  for (int i = 0; i < nn; i++) {
    int *row = es.nbr + es.off[i];
    const int n = es.len[i];
    sort_ints(row, n);
    int u = 0;
    for (int j = 0; j < n; j++)
      if (u == 0 || row[j] != row[u - 1])
        row[u++] = row[j];
    es.len[i] = u;
  }
  for (size_t i = 0; i < nref; i++)
    es.mid[i] = -1;

  /* number mid nodes in order of first appearance */
  long long nmid = 0;
  for (int s = 0; s < 3; s++)
    for (int e = 0; e < src[s].n; e++) {
      const int *c = src[s].conn + (size_t)e * src[s].npe;
      for (int k = 0; k < src[s].nedge; k++) {
        const size_t pos =
            edge_find(&es, c[src[s].edges[k][0]], c[src[s].edges[k][1]]);
        if (es.mid[pos] < 0) {
          if (nn + nmid >= INT_MAX) {
            fm_error("%s: mesh order 2: too many nodes", m->file);
            goto done;
          }
          es.mid[pos] = nn + (int)nmid++;
        }
      }
    }
  const int nn2 = nn + (int)nmid;
  x = fm_realloc(m->x, 3 * (size_t)nn2, sizeof *x);
  if (!x)
    goto done;
  m->x = x;
  tags = fm_realloc(m->node_tag, (size_t)nn2, sizeof *tags);
  if (!tags)
    goto done;
  m->node_tag = tags;
  long maxtag = 0;
  for (int i = 0; i < nn; i++)
    if (tags[i] > maxtag)
      maxtag = tags[i];
  if (maxtag > LONG_MAX - 1 - (long)nmid) {
    fm_error("%s: mesh order 2: node tag %ld leaves no room for the tags of "
             "%lld mid nodes",
             m->file, maxtag, nmid);
    goto done;
  }
  for (int i = nn; i < nn2; i++)
    tags[i] = maxtag + 1 + (i - nn);

  /* new connectivities; mid-node coordinates at the edge midpoints */
  int **dst[3] = {&conn, &tconn, &lconn};
  for (int s = 0; s < 3; s++) {
    const int npe = src[s].npe, npe2 = npe + src[s].nedge;
    int *c2 = fm_calloc((size_t)src[s].n * (size_t)npe2 + 1, sizeof *c2);
    if (!c2)
      goto done;
    *dst[s] = c2;
    for (int e = 0; e < src[s].n; e++) {
      const int *c = src[s].conn + (size_t)e * npe;
      int *d = c2 + (size_t)e * npe2;
      for (int a = 0; a < npe; a++)
        d[a] = c[a];
      for (int k = 0; k < src[s].nedge; k++) {
        const int a = c[src[s].edges[k][0]], b = c[src[s].edges[k][1]];
        const int mn = es.mid[edge_find(&es, a, b)];
        d[npe + k] = mn;
        for (int i = 0; i < 3; i++)
          x[3 * (size_t)mn + i] =
              0.5 * (x[3 * (size_t)a + i] + x[3 * (size_t)b + i]);
      }
    }
  }
  free(m->conn);
  m->conn = conn;
  conn = NULL;
  free(m->tris.conn);
  m->tris.conn = tconn;
  tconn = NULL;
  free(m->lines.conn);
  m->lines.conn = lconn;
  lconn = NULL;
  m->nnodes = nn2;
  m->order = 2;
  m->npe = 10;
  m->tris.npe = 6;
  m->lines.npe = 3;
  ierr = 0;
done:
  free(es.off);
  free(es.len);
  free(es.nbr);
  free(es.mid);
  free(conn);
  free(tconn);
  free(lconn);
  return ierr;
}

/* Shrink a connectivity from npe to npe2 columns in place, renumbering. */
static void shrink_conn(int *c, int n, int npe, int npe2, const int *newidx) {
  for (int e = 0; e < n; e++)
    for (int a = 0; a < npe2; a++)
      c[(size_t)e * npe2 + a] = newidx[c[(size_t)e * npe + a]];
}

static int demote(FmMesh *m) {
  int *newidx;
  FM_ALLOC(newidx, m->nnodes);
  for (size_t e = 0; e < (size_t)m->nelem; e++)
    for (int a = 0; a < 4; a++)
      newidx[m->conn[e * m->npe + a]] = 1;
  for (size_t e = 0; e < (size_t)m->tris.n; e++)
    for (int a = 0; a < 3; a++)
      newidx[m->tris.conn[e * m->tris.npe + a]] = 1;
  for (size_t e = 0; e < (size_t)m->lines.n; e++)
    for (int a = 0; a < 2; a++)
      newidx[m->lines.conn[e * m->lines.npe + a]] = 1;
  for (int e = 0; e < m->points.n; e++)
    newidx[m->points.conn[e]] = 1;
  int nn = 0;
  for (int i = 0; i < m->nnodes; i++) {
    if (newidx[i]) {
      if (nn != i) {
        memmove(m->x + 3 * (size_t)nn, m->x + 3 * (size_t)i,
                3 * sizeof(double));
        m->node_tag[nn] = m->node_tag[i];
      }
      newidx[i] = nn++;
    } else {
      newidx[i] = -1;
    }
  }
  shrink_conn(m->conn, m->nelem, m->npe, 4, newidx);
  shrink_conn(m->tris.conn, m->tris.n, m->tris.npe, 3, newidx);
  shrink_conn(m->lines.conn, m->lines.n, m->lines.npe, 2, newidx);
  shrink_conn(m->points.conn, m->points.n, 1, 1, newidx);
  free(newidx);
  m->nnodes = nn;
  m->order = 1;
  m->npe = 4;
  m->tris.npe = 3;
  m->lines.npe = 2;
  /* give back the memory no longer needed (failure to shrink is harmless) */
  double *x = realloc(m->x, 3 * (size_t)(nn ? nn : 1) * sizeof *x);
  if (x)
    m->x = x;
  long *t = realloc(m->node_tag, (size_t)(nn ? nn : 1) * sizeof *t);
  if (t)
    m->node_tag = t;
  return 0;
}

int fm_mesh_set_order(FmMesh *mesh, int order) {
  if (order != 1 && order != 2)
    return fm_error("%s: mesh order %d: must be 1 or 2", mesh->file, order);
  if (mesh->order == order)
    return 0;
  return order == 2 ? elevate(mesh) : demote(mesh);
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                    */

int fm_mesh_find_group(const FmMesh *mesh, const char *name, int dim) {
  for (int g = 0; g < mesh->ngroups; g++)
    if ((dim < 0 || mesh->groups[g].dim == dim) &&
        strcmp(mesh->groups[g].name, name) == 0)
      return g;
  return -1;
}

static int entity_in_group(const FmMesh *mesh, int ent, int g) {
  if (ent < 0 || ent >= mesh->nentities)
    return 0;
  const FmEntity *e = &mesh->entities[ent];
  for (int k = 0; k < e->ngroups; k++)
    if (e->groups[k] == g)
      return 1;
  return 0;
}

static int check_group(const FmMesh *mesh, int g) {
  if (g < 0 || g >= mesh->ngroups)
    return fm_error("%s: physical group index %d: out of range (0..%d)",
                    mesh->file, g, mesh->ngroups - 1);
  return 0;
}

static const char *group_label(const FmMesh *mesh, int g, char *buf, size_t n) {
  const FmGroup *G = &mesh->groups[g];
  if (G->name[0])
    snprintf(buf, n, "physical group \"%s\"", G->name);
  else
    snprintf(buf, n, "physical group %d (dimension %d)", G->tag, G->dim);
  return buf;
}

/* The sorted unique nodes of the elements (of any dimension) of the
 * entities marked in in[]. */
static int entity_nodes(const FmMesh *mesh, const char *in, int *nnodes,
                        int **nodes) {
  char *mark = fm_calloc((size_t)mesh->nnodes, 1);
  if (!mark)
    return 1;
  const struct {
    const int *conn, *ent;
    int n, npe;
  } blocks[4] = {
      {mesh->conn, mesh->elem_entity, mesh->nelem, mesh->npe},
      {mesh->tris.conn, mesh->tris.entity, mesh->tris.n, mesh->tris.npe},
      {mesh->lines.conn, mesh->lines.entity, mesh->lines.n, mesh->lines.npe},
      {mesh->points.conn, mesh->points.entity, mesh->points.n, 1}};
  for (int b = 0; b < 4; b++)
    for (int e = 0; e < blocks[b].n; e++)
      if (in[blocks[b].ent[e]])
        for (int a = 0; a < blocks[b].npe; a++)
          mark[blocks[b].conn[(size_t)e * blocks[b].npe + a]] = 1;
  int cnt = 0;
  for (int i = 0; i < mesh->nnodes; i++)
    cnt += mark[i];
  int *out = fm_calloc(cnt > 0 ? (size_t)cnt : 1, sizeof *out);
  if (!out) {
    free(mark);
    return 1;
  }
  cnt = 0;
  for (int i = 0; i < mesh->nnodes; i++)
    if (mark[i])
      out[cnt++] = i;
  free(mark);
  *nnodes = cnt;
  *nodes = out;
  return 0;
}

/* Copies of the triangles of the entities marked in in[]. */
static int entity_tris(const FmMesh *mesh, const char *in, int *ntri,
                       int **conn) {
  const int npe = mesh->tris.npe;
  int n = 0;
  for (int e = 0; e < mesh->tris.n; e++)
    n += in[mesh->tris.entity[e]] != 0;
  int *out = fm_calloc(n > 0 ? (size_t)n * (size_t)npe : 1, sizeof *out);
  if (!out)
    return 1;
  n = 0;
  for (int e = 0; e < mesh->tris.n; e++)
    if (in[mesh->tris.entity[e]]) {
      memcpy(out + (size_t)n * npe, mesh->tris.conn + (size_t)e * npe,
             (size_t)npe * sizeof *out);
      n++;
    }
  *ntri = n;
  *conn = out;
  return 0;
}

/* in[i] = 1 for the entities in a physical group named name of dimension
 * dmin..dmax; returns how many such groups there are. */
static int named_entities(const FmMesh *mesh, const char *name, int dmin,
                          int dmax, char *in) {
  int ng = 0;
  for (int g = 0; g < mesh->ngroups; g++)
    if (mesh->groups[g].dim >= dmin && mesh->groups[g].dim <= dmax &&
        !strcmp(mesh->groups[g].name, name)) {
      ng++;
      for (int i = 0; i < mesh->nentities; i++)
        in[i] |= (char)entity_in_group(mesh, i, g);
    }
  return ng;
}

int fm_mesh_group_nodes(const FmMesh *mesh, int g, int *nnodes, int **nodes) {
  *nnodes = 0;
  *nodes = NULL;
  FM_CALL(check_group(mesh, g));
  char *in;
  FM_ALLOC(in, mesh->nentities > 0 ? mesh->nentities : 1);
  for (int i = 0; i < mesh->nentities; i++)
    in[i] = (char)entity_in_group(mesh, i, g);
  const int ierr = entity_nodes(mesh, in, nnodes, nodes);
  free(in);
  return ierr;
}

int fm_mesh_group_tris(const FmMesh *mesh, int g, int *ntri, int **conn) {
  *ntri = 0;
  *conn = NULL;
  FM_CALL(check_group(mesh, g));
  if (mesh->groups[g].dim != 2) {
    char lab[FM_NAME_MAX + 64];
    return fm_error("%s: %s: not a surface group (dimension %d)", mesh->file,
                    group_label(mesh, g, lab, sizeof lab), mesh->groups[g].dim);
  }
  char *in;
  FM_ALLOC(in, mesh->nentities > 0 ? mesh->nentities : 1);
  for (int i = 0; i < mesh->nentities; i++)
    in[i] = (char)entity_in_group(mesh, i, g);
  const int ierr = entity_tris(mesh, in, ntri, conn);
  free(in);
  return ierr;
}

int fm_mesh_named_nodes(const FmMesh *mesh, const char *name, int dmin,
                        int dmax, int *ngroups, int *nnodes, int **nodes) {
  *ngroups = *nnodes = 0;
  *nodes = NULL;
  char *in;
  FM_ALLOC(in, mesh->nentities > 0 ? mesh->nentities : 1);
  *ngroups = named_entities(mesh, name, dmin, dmax, in);
  const int ierr = *ngroups ? entity_nodes(mesh, in, nnodes, nodes) : 0;
  free(in);
  return ierr;
}

int fm_mesh_named_tris(const FmMesh *mesh, const char *name, int *ngroups,
                       int *ntri, int **conn) {
  *ngroups = *ntri = 0;
  *conn = NULL;
  char *in;
  FM_ALLOC(in, mesh->nentities > 0 ? mesh->nentities : 1);
  *ngroups = named_entities(mesh, name, 2, 2, in);
  const int ierr = *ngroups ? entity_tris(mesh, in, ntri, conn) : 0;
  free(in);
  return ierr;
}

int fm_mesh_elem_in_group(const FmMesh *mesh, int e, int g) {
  if (e < 0 || e >= mesh->nelem)
    return 0;
  return entity_in_group(mesh, mesh->elem_entity[e], g);
}

/* ------------------------------------------------------------------------ */
/* Jacobian check                                                            */

/* The smallest det J accepted for the element with corners xe: 1e-12 of
 * the cube of its longest edge. */
static double tet_tolerance(const double *xe) {
  double h2 = 0.0;
  for (int a = 0; a < 4; a++)
    for (int b = a + 1; b < 4; b++) {
      double d2 = 0.0;
      for (int i = 0; i < 3; i++) {
        const double d = xe[3 * a + i] - xe[3 * b + i];
        d2 += d * d;
      }
      if (d2 > h2)
        h2 = d2;
    }
  return 1e-12 * h2 * sqrt(h2);
}

/* The first of element e's npts points (natural derivatives dN[q]) where
 * det J is not above tet_tolerance, its det J in *det; -1: none. */
static int bad_point(const FmMesh *mesh, int e,
                     const double (*dN)[3 * FM_TET_MAX_NPE], int npts,
                     double *det) {
  const int npe = mesh->npe;
  double xe[3 * FM_TET_MAX_NPE];
  const int *c = mesh->conn + (size_t)e * npe;
  for (int a = 0; a < npe; a++)
    memcpy(xe + 3 * a, mesh->x + 3 * (size_t)c[a], 3 * sizeof(double));
  const double tol = tet_tolerance(xe);
  for (int q = 0; q < npts; q++) {
    *det = fm_tet_gradients(npe, xe, dN[q], NULL);
    if (!(*det > 0.0) || !(*det > tol))
      return q;
  }
  return -1;
}

int fm_mesh_check(const FmMesh *mesh) {
  const int npe = mesh->npe;
  if (npe != 4 && npe != 10)
    return fm_error("%s: mesh: %d nodes per element (must be 4 or 10)",
                    mesh->file, npe);
  /* corners, then (TET10) the 4 quadrature points */
  static const double corner[4][3] = {
      {0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const int npts = npe == 4 ? 1 : 8;
  double dN[8][3 * FM_TET_MAX_NPE];
  for (int q = 0; q < npts; q++) {
    double xi[3], w;
    if (npe == 4)
      fm_tet_qp(4, 0, xi, &w); /* constant Jacobian */
    else if (q < 4)
      memcpy(xi, corner[q], sizeof xi);
    else
      fm_tet_qp(10, q - 4, xi, &w);
    fm_tet_shape(npe, xi, NULL, dN[q]);
  }
  /* the first failing element, whatever the threads (every thread's
   * smallest, reduced) */
  int bad = mesh->nelem;
#ifdef _OPENMP
#pragma omp parallel for reduction(min : bad) if (mesh->nelem > 5000)
#endif
  for (int e = 0; e < mesh->nelem; e++) {
    double det;
    if (bad_point(mesh, e, dN, npts, &det) >= 0 && e < bad)
      bad = e;
  }
  if (bad == mesh->nelem)
    return 0;
  double baddet;
  const int badq = bad_point(mesh, bad, dN, npts, &baddet);
  char at[64];
  if (npe == 4)
    snprintf(at, sizeof at, "%s", "");
  else if (badq < 4)
    snprintf(at, sizeof at, " at corner %d", badq);
  else
    snprintf(at, sizeof at, " at quadrature point %d", badq - 4);
  return fm_error("%s: element %ld: inverted or degenerate tetrahedron "
                  "(det J = %.3g%s)",
                  mesh->file, mesh->elem_tag ? mesh->elem_tag[bad] : bad + 1L,
                  baddet, at);
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                    */

typedef struct {
  const int *conn, *ent;
  int n, npe, type, dim;
} WBlock;

/* One value of the format: in ASCII after PRE, in binary as its 4-byte int
 * or 8-byte size_t / double (this machine's byte order, which the endianness
 * check in $MeshFormat declares). */
static void w_int(FILE *f, int bin, int v, const char *pre) {
  if (bin) {
    const int32_t x = v;
    fwrite(&x, 4, 1, f);
  } else
    fprintf(f, "%s%d", pre, v);
}

static void w_size(FILE *f, int bin, long v, const char *pre) {
  if (bin) {
    const uint64_t x = (uint64_t)v;
    fwrite(&x, 8, 1, f);
  } else
    fprintf(f, "%s%ld", pre, v);
}

static void w_double(FILE *f, int bin, double v, const char *pre) {
  if (bin)
    fwrite(&v, 8, 1, f);
  else
    fprintf(f, "%s%.17g", pre, v);
}

static void w_eol(FILE *f, int bin) {
  if (!bin)
    fputc('\n', f);
}

/* A section's end: in binary files after a newline of its own. */
static void w_end(FILE *f, int bin, const char *name) {
  fprintf(f, bin ? "\n$End%s\n" : "$End%s\n", name);
}

int fm_mesh_write_msh(const FmMesh *mesh, const char *path, int bin) {
  FILE *f = fm_open_tmp(path); /* renamed into place once whole */
  if (!f)
    return 1;
  const int o2 = mesh->order == 2;
  const WBlock kinds[4] = {
      {mesh->points.conn, mesh->points.entity, mesh->points.n, 1, 15, 0},
      {mesh->lines.conn, mesh->lines.entity, mesh->lines.n, mesh->lines.npe,
       o2 ? 8 : 1, 1},
      {mesh->tris.conn, mesh->tris.entity, mesh->tris.n, mesh->tris.npe,
       o2 ? 9 : 2, 2},
      {mesh->conn, mesh->elem_entity, mesh->nelem, mesh->npe, o2 ? 11 : 4, 3},
  };

  fprintf(f, "$MeshFormat\n4.1 %d 8\n", bin);
  if (bin) {
    w_int(f, 1, 1, "");
    fputc('\n', f);
  }
  fprintf(f, "$EndMeshFormat\n");
  if (mesh->ngroups > 0) { /* ASCII in binary files too */
    fprintf(f, "$PhysicalNames\n%d\n", mesh->ngroups);
    for (int g = 0; g < mesh->ngroups; g++)
      fprintf(f, "%d %d \"%s\"\n", mesh->groups[g].dim, mesh->groups[g].tag,
              mesh->groups[g].name);
    fprintf(f, "$EndPhysicalNames\n");
  }

  /* entity bounding boxes (point entities: their node) from the elements */
  double *box = fm_calloc(6 * (size_t)mesh->nentities + 1, sizeof *box);
  char *seen = fm_calloc((size_t)mesh->nentities + 1, 1);
  if (!box || !seen) {
    free(box);
    free(seen);
    fclose(f);
    fm_discard_tmp(path);
    return 1;
  }
  for (int k = 0; k < 4; k++)
    for (int e = 0; e < kinds[k].n; e++) {
      const int ent = kinds[k].ent[e];
      double *b = box + 6 * (size_t)ent;
      for (int a = 0; a < kinds[k].npe; a++) {
        const double *x =
            mesh->x + 3 * (size_t)kinds[k].conn[(size_t)e * kinds[k].npe + a];
        for (int i = 0; i < 3; i++) {
          if (!seen[ent] || x[i] < b[i])
            b[i] = x[i];
          if (!seen[ent] || x[i] > b[3 + i])
            b[3 + i] = x[i];
        }
        seen[ent] = 1;
      }
    }
  int cnt[4] = {0, 0, 0, 0};
  for (int i = 0; i < mesh->nentities; i++)
    if (mesh->entities[i].dim >= 0 && mesh->entities[i].dim <= 3)
      cnt[mesh->entities[i].dim]++;
  fprintf(f, "$Entities\n");
  for (int d = 0; d < 4; d++)
    w_size(f, bin, cnt[d], d ? " " : "");
  w_eol(f, bin);
  for (int d = 0; d < 4; d++)
    for (int i = 0; i < mesh->nentities; i++) {
      const FmEntity *E = &mesh->entities[i];
      if (E->dim != d)
        continue;
      const double *b = box + 6 * (size_t)i;
      w_int(f, bin, E->tag, "");
      for (int k = 0; k < (d == 0 ? 3 : 6); k++)
        w_double(f, bin, b[k], " ");
      w_size(f, bin, E->ngroups, " ");
      for (int k = 0; k < E->ngroups; k++)
        w_int(f, bin, mesh->groups[E->groups[k]].tag, " ");
      if (d > 0)
        w_size(f, bin, 0, " "); /* no bounding entities */
      w_eol(f, bin);
    }
  w_end(f, bin, "Entities");
  free(box);
  free(seen);

  /* nodes: one block on the first volume entity */
  long minn = 0, maxn = 0;
  for (int i = 0; i < mesh->nnodes; i++) {
    if (i == 0 || mesh->node_tag[i] < minn)
      minn = mesh->node_tag[i];
    if (i == 0 || mesh->node_tag[i] > maxn)
      maxn = mesh->node_tag[i];
  }
  const int vent =
      mesh->nelem > 0 ? mesh->entities[mesh->elem_entity[0]].tag : 1;
  fprintf(f, "$Nodes\n");
  w_size(f, bin, mesh->nnodes > 0, "");
  w_size(f, bin, mesh->nnodes, " ");
  w_size(f, bin, minn, " ");
  w_size(f, bin, maxn, " ");
  w_eol(f, bin);
  if (mesh->nnodes > 0) {
    w_int(f, bin, 3, "");
    w_int(f, bin, vent, " ");
    w_int(f, bin, 0, " ");
    w_size(f, bin, mesh->nnodes, " ");
    w_eol(f, bin);
    for (int i = 0; i < mesh->nnodes; i++) {
      w_size(f, bin, mesh->node_tag[i], "");
      w_eol(f, bin);
    }
    if (bin) /* x, y, z of every node, as they are held */
      fwrite(mesh->x, sizeof(double), 3 * (size_t)mesh->nnodes, f);
    else
      for (int i = 0; i < mesh->nnodes; i++)
        fprintf(f, "%.17g %.17g %.17g\n", mesh->x[3 * (size_t)i],
                mesh->x[3 * (size_t)i + 1], mesh->x[3 * (size_t)i + 2]);
  }
  w_end(f, bin, "Nodes");

  /* elements: one block per run of elements on the same entity; volume
   * elements keep their tags, the others are numbered after them */
  long maxe = 0;
  for (int e = 0; e < mesh->nelem; e++)
    if (mesh->elem_tag[e] > maxe)
      maxe = mesh->elem_tag[e];
  long nblocks = 0, ntotal = 0;
  for (int k = 0; k < 4; k++) {
    for (int e = 0; e < kinds[k].n; e++)
      if (e == 0 || kinds[k].ent[e] != kinds[k].ent[e - 1])
        nblocks++;
    ntotal += kinds[k].n;
  }
  const long nbound = ntotal - mesh->nelem;
  long mine = maxe + 1;
  for (int e = 0; e < mesh->nelem; e++)
    if (mesh->elem_tag[e] < mine)
      mine = mesh->elem_tag[e];
  if (ntotal == 0)
    mine = maxe = 0;
  fprintf(f, "$Elements\n");
  w_size(f, bin, nblocks, "");
  w_size(f, bin, ntotal, " ");
  w_size(f, bin, mine, " ");
  w_size(f, bin, maxe + nbound, " ");
  w_eol(f, bin);
  long next = maxe + 1;
  for (int k = 0; k < 4; k++) {
    const WBlock *K = &kinds[k];
    int e = 0;
    while (e < K->n) {
      int e2 = e;
      while (e2 < K->n && K->ent[e2] == K->ent[e])
        e2++;
      w_int(f, bin, K->dim, "");
      w_int(f, bin, mesh->entities[K->ent[e]].tag, " ");
      w_int(f, bin, K->type, " ");
      w_size(f, bin, e2 - e, " ");
      w_eol(f, bin);
      for (int i = e; i < e2; i++) {
        w_size(f, bin, k == 3 ? mesh->elem_tag[i] : next++, "");
        for (int a = 0; a < K->npe; a++)
          w_size(f, bin, mesh->node_tag[K->conn[(size_t)i * K->npe + a]], " ");
        w_eol(f, bin);
      }
      e = e2;
    }
  }
  w_end(f, bin, "Elements");
  if (fm_close_tmp(f, path))
    return 1;
  return fm_rename_tmp(path);
}

/* ------------------------------------------------------------------------ */

void fm_mesh_free(FmMesh *mesh) {
  if (!mesh)
    return;
  free(mesh->x);
  free(mesh->node_tag);
  free(mesh->conn);
  free(mesh->elem_entity);
  free(mesh->elem_tag);
  FmBoundary *b[3] = {&mesh->points, &mesh->lines, &mesh->tris};
  for (int i = 0; i < 3; i++) {
    free(b[i]->conn);
    free(b[i]->entity);
  }
  free(mesh->groups);
  if (mesh->entities)
    for (int i = 0; i < mesh->nentities; i++)
      free(mesh->entities[i].groups);
  free(mesh->entities);
  memset(mesh, 0, sizeof *mesh);
}
