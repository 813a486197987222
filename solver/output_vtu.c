#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "output.h"

/* The temporary name of path: unique per process, so that processes writing
 * the same result (job-array elements) never rename each other's file. */
static void tmp_name(const char *path, char *tmp, size_t n) {
  snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
}

int fm_make_dirs(const char *dir) {
  char buf[4800];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      if (mkdir(buf, 0777) && errno != EEXIST)
        return fm_error("%s: cannot create directory: %s", buf,
                        strerror(errno));
      *p = '/';
    }
  if (mkdir(buf, 0777) && errno != EEXIST)
    return fm_error("%s: cannot create directory: %s", buf, strerror(errno));
  return 0;
}

FILE *fm_open_tmp(const char *path) {
  char tmp[4200];
  tmp_name(path, tmp, sizeof tmp);
  FILE *fp = fopen(tmp, "wb");
  if (!fp)
    fm_error("%s: cannot write: %s", tmp, strerror(errno));
  return fp;
}

int fm_close_tmp(FILE *fp, const char *path) {
  const int bad = ferror(fp);
  if (fclose(fp) != 0 || bad) {
    fm_discard_tmp(path);
    return fm_error("%s: write failed (disk full?)", path);
  }
  return 0;
}

int fm_rename_tmp(const char *path) {
  char tmp[4200];
  tmp_name(path, tmp, sizeof tmp);
  if (rename(tmp, path) != 0) {
    remove(tmp);
    return fm_error("%s: cannot rename into place: %s", path, strerror(errno));
  }
  return 0;
}

void fm_discard_tmp(const char *path) {
  char tmp[4200];
  tmp_name(path, tmp, sizeof tmp);
  remove(tmp);
}

void fm_json_string(FILE *fp, const char *s) {
  fputc('"', fp);
  for (; *s; s++) {
    const unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(fp, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(fp, "\\u%04x", ch);
    else
      fputc(ch, fp);
  }
  fputc('"', fp);
}

void fm_xml_text(FILE *fp, const char *s) {
  for (; *s; s++) {
    if (*s == '<')
      fputs("&lt;", fp);
    else if (*s == '>')
      fputs("&gt;", fp);
    else if (*s == '&')
      fputs("&amp;", fp);
    else if (*s == '"')
      fputs("&quot;", fp);
    else if ((unsigned char)*s >= 0x20 || *s == '\t')
      fputc(*s, fp);
  }
}

void fm_json_number(FILE *fp, double v) {
  if (isfinite(v))
    fprintf(fp, "%.10g", v);
  else
    fputs("null", fp);
}

/* ---- base64 (RFC 4648) for VTK binary data arrays ---- */
/* Encoded into a local buffer written by fwrite: one locked stdio call per
 * 4 KB instead of one per character (1 s of the default case's output). */
typedef struct {
  FILE *fp;
  unsigned char buf[3];
  int n;
  size_t nout;
  char out[4096];
} B64;

static const char b64_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_flush(B64 *b) {
  fwrite(b->out, 1, b->nout, b->fp); /* errors: ferror at fm_close_tmp */
  b->nout = 0;
}

static void b64_quad(B64 *b, unsigned v, int pad) {
  if (b->nout + 4 > sizeof b->out)
    b64_flush(b);
  char *o = b->out + b->nout;
  o[0] = b64_tab[(v >> 18) & 63];
  o[1] = b64_tab[(v >> 12) & 63];
  o[2] = pad > 1 ? '=' : b64_tab[(v >> 6) & 63];
  o[3] = pad > 0 ? '=' : b64_tab[v & 63];
  b->nout += 4;
}

static void b64_put(B64 *b, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    b->buf[b->n++] = p[i];
    if (b->n == 3) {
      b64_quad(b, (b->buf[0] << 16) | (b->buf[1] << 8) | b->buf[2], 0);
      b->n = 0;
    }
  }
}

static void b64_end(B64 *b) {
  if (b->n > 0) {
    const unsigned char c1 = b->n > 1 ? b->buf[1] : 0;
    b64_quad(b, (b->buf[0] << 16) | (c1 << 8), 3 - b->n);
    b->n = 0;
  }
  b64_flush(b);
}

static void array_begin(FILE *fp, const char *type, const char *name, int ncomp,
                        const char *extra, B64 *b, uint64_t nbytes) {
  fprintf(fp,
          "        <DataArray type=\"%s\" Name=\"%s\" "
          "NumberOfComponents=\"%d\"%s format=\"binary\">\n          ",
          type, name, ncomp, extra ? extra : "");
  b->fp = fp;
  b->n = 0;
  b->nout = 0;
  b64_put(b, &nbytes, sizeof nbytes);
}

static void array_end(FILE *fp, B64 *b) {
  b64_end(b);
  fputs("\n        </DataArray>\n", fp);
}

/* Write ncopy x ncomp doubles given by get(i, k). */
static void write_doubles(FILE *fp, const char *name, int ncomp,
                          const char *extra, size_t n, const double *data) {
  B64 b;
  array_begin(fp, "Float64", name, ncomp, extra, &b, (uint64_t)n * ncomp * 8);
  b64_put(&b, data, n * ncomp * sizeof(double));
  array_end(fp, &b);
}

int fm_write_vtu_tmp(const FmModel *md, const FmPost *post, const FmResult *res,
                     const char *title, const FmField *extra, int nextra,
                     const char *path) {
  const FmMesh *m = &md->mesh;
  const int npe = m->npe;
  const size_t nc = post->ncopy;
  FILE *fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  fprintf(fp, "<?xml version=\"1.0\"?>\n<!-- Femora: ");
  for (const char *s = title; *s; s++)
    if (*s != '-' && *s != '<' && *s != '>')
      fputc(*s, fp);
  fprintf(fp,
          " -->\n<VTKFile type=\"UnstructuredGrid\" version=\"1.0\" "
          "byte_order=\"LittleEndian\" header_type=\"UInt64\">\n"
          "  <UnstructuredGrid>\n"
          "    <Piece NumberOfPoints=\"%zu\" NumberOfCells=\"%d\">\n",
          nc, m->nelem);
  double *buf = malloc(sizeof(double) * 6 * (nc ? nc : 1));
  if (!buf) {
    fclose(fp);
    fm_discard_tmp(path);
    return fm_error("%s: out of memory writing VTU", path);
  }
  B64 b;
  fputs("      <Points>\n", fp);
  for (size_t i = 0; i < nc; i++)
    memcpy(buf + 3 * i, m->x + 3 * (size_t)post->copy_node[i],
           3 * sizeof(double));
  write_doubles(fp, "Points", 3, NULL, nc, buf);
  fputs("      </Points>\n      <Cells>\n", fp);
  /* connectivity, VTK node order (quadratic tetra swaps Gmsh's 8 and 9) */
  array_begin(fp, "Int64", "connectivity", 1, NULL, &b,
              (uint64_t)m->nelem * npe * 8);
  static const int g2v[10] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 8};
  for (int e = 0; e < m->nelem; e++)
    for (int a = 0; a < npe; a++) {
      const int64_t v = post->elem_copy[(size_t)e * npe + g2v[a]];
      b64_put(&b, &v, 8);
    }
  array_end(fp, &b);
  array_begin(fp, "Int64", "offsets", 1, NULL, &b, (uint64_t)m->nelem * 8);
  for (int e = 0; e < m->nelem; e++) {
    const int64_t v = (int64_t)(e + 1) * npe;
    b64_put(&b, &v, 8);
  }
  array_end(fp, &b);
  array_begin(fp, "UInt8", "types", 1, NULL, &b, (uint64_t)m->nelem);
  const uint8_t type = npe == 4 ? 10 : 24;
  for (int e = 0; e < m->nelem; e++)
    b64_put(&b, &type, 1);
  array_end(fp, &b);
  fputs("      </Cells>\n", fp);

  fputs("      <PointData Vectors=\"displacement\" Scalars=\"von_mises\">\n",
        fp);
  for (size_t i = 0; i < nc; i++)
    memcpy(buf + 3 * i, res->u + 3 * (size_t)post->copy_node[i],
           3 * sizeof(double));
  write_doubles(fp, "displacement", 3, NULL, nc, buf);
  write_doubles(
      fp, "stress", 6,
      " ComponentName0=\"XX\" ComponentName1=\"YY\" ComponentName2=\"ZZ\""
      " ComponentName3=\"XY\" ComponentName4=\"YZ\" ComponentName5=\"XZ\"",
      nc, res->stress);
  write_doubles(fp, "von_mises", 1, NULL, nc, res->vm);
  write_doubles(
      fp, "principal", 3,
      " ComponentName0=\"max\" ComponentName1=\"mid\" ComponentName2=\"min\"",
      nc, res->princ);
  for (int k = 0; k < nextra; k++)
    write_doubles(fp, extra[k].name, extra[k].ncomp, NULL, nc, extra[k].data);
  array_begin(fp, "Int32", "node", 1, NULL, &b, (uint64_t)nc * 4);
  for (size_t i = 0; i < nc; i++) {
    const int32_t v = m->node_tag ? (int32_t)m->node_tag[post->copy_node[i]]
                                  : post->copy_node[i] + 1;
    b64_put(&b, &v, 4);
  }
  array_end(fp, &b);
  fputs("      </PointData>\n      <CellData Scalars=\"material\">\n", fp);
  array_begin(fp, "Int32", "material", 1, NULL, &b, (uint64_t)m->nelem * 4);
  for (int e = 0; e < m->nelem; e++) {
    const int32_t v = md->elem_mat[e];
    b64_put(&b, &v, 4);
  }
  array_end(fp, &b);
  fputs("      </CellData>\n    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n",
        fp);
  free(buf);
  return fm_close_tmp(fp, path);
}
