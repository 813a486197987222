#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "output.h"

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
/* Small pieces (an element's connectivity, a node's tag) are gathered in
 * a staging buffer; whole 3-byte groups are encoded in blocks, by every
 * OpenMP thread when long, and written by one fwrite a block (a call per
 * character once took 1 s of the default case's output; the same bytes). */
typedef struct {
  FILE *fp;
  size_t nin;
  unsigned char in[3 << 12];
} B64;

static const char b64_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(unsigned v, int pad, char *o) {
  o[0] = b64_tab[(v >> 18) & 63];
  o[1] = b64_tab[(v >> 12) & 63];
  o[2] = pad > 1 ? '=' : b64_tab[(v >> 6) & 63];
  o[3] = pad > 0 ? '=' : b64_tab[v & 63];
}

/* ng whole groups from p, written (errors: ferror at fm_close_tmp) */
static void b64_groups(FILE *fp, const unsigned char *p, size_t ng) {
  enum { SMALL = 4096, BLOCK = 1 << 20 }; /* groups */
  char local[4 * SMALL];
  char *big = ng > SMALL ? malloc(4 * (size_t)(ng < BLOCK ? ng : BLOCK)) : NULL;
  const size_t block = big ? BLOCK : SMALL;
  char *out = big ? big : local;
  for (size_t g0 = 0; g0 < ng; g0 += block) {
    const long long m = (long long)(ng - g0 < block ? ng - g0 : block);
    const unsigned char *q = p + 3 * g0;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (m > 65536)
#endif
    for (long long g = 0; g < m; g++)
      b64_encode(((unsigned)q[3 * g] << 16) | ((unsigned)q[3 * g + 1] << 8) |
                     q[3 * g + 2],
                 0, out + 4 * g);
    fwrite(out, 1, 4 * (size_t)m, fp);
  }
  free(big);
}

/* the staged whole groups out, the 0-2 bytes left moved to the front */
static void b64_drain(B64 *b) {
  const size_t whole = b->nin / 3 * 3;
  b64_groups(b->fp, b->in, whole / 3);
  memmove(b->in, b->in + whole, b->nin - whole);
  b->nin -= whole;
}

static void b64_put(B64 *b, const void *data, size_t len) {
  const unsigned char *p = data;
  if (b->nin + len > sizeof b->in) {
    b64_drain(b);
    if (b->nin + len > sizeof b->in) { /* long: the group, then direct */
      while (b->nin % 3) {
        b->in[b->nin++] = *p++;
        len--;
      }
      b64_drain(b);
      b64_groups(b->fp, p, len / 3);
      p += len / 3 * 3;
      len %= 3;
    }
  }
  memcpy(b->in + b->nin, p, len);
  b->nin += len;
}

static void b64_end(B64 *b) {
  b64_drain(b);
  if (b->nin > 0) {
    const unsigned char c1 = b->nin > 1 ? b->in[1] : 0;
    char o[4];
    b64_encode((b->in[0] << 16) | (c1 << 8), 3 - (int)b->nin, o);
    fwrite(o, 1, 4, b->fp);
    b->nin = 0;
  }
}

static void array_begin(FILE *fp, const char *type, const char *name, int ncomp,
                        const char *extra, B64 *b, uint64_t nbytes) {
  fprintf(fp,
          "        <DataArray type=\"%s\" Name=\"%s\" "
          "NumberOfComponents=\"%d\"%s format=\"binary\">\n          ",
          type, name, ncomp, extra ? extra : "");
  b->fp = fp;
  b->nin = 0;
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

  if (res) {
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
  } else /* the extra fields alone (fatigue.vtu) */
    fprintf(fp, "      <PointData Scalars=\"%s\">\n",
            nextra ? extra[0].name : "node");
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
