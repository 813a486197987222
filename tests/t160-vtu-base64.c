/* The VTU writer's base64 (solver/output_vtu.c, its static functions, by
 * including the file): any sequence of pieces, short ones staged and long
 * ones encoded in blocks by the threads, gives the RFC 4648 encoding of
 * their concatenation, on 1 and 2 threads; checked against a plain
 * byte-by-byte encoder on piece lengths around every boundary of the
 * writer (the 12 KB staging buffer, the 4096-group local block, the
 * 65536 groups where threads start, the 1M-group block). */
#include "../solver/output_vtu.c"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "test_util.h"

/* RFC 4648 base64 of n bytes, the reference: one character at a time */
static char *reference(const unsigned char *p, size_t n, size_t *len) {
  static const char t[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *o = malloc(4 * (n / 3 + 1) + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i += 3) {
    const unsigned a = p[i], b = i + 1 < n ? p[i + 1] : 0,
                   c = i + 2 < n ? p[i + 2] : 0;
    o[k++] = t[a >> 2];
    o[k++] = t[((a & 3) << 4) | (b >> 4)];
    o[k++] = i + 1 < n ? t[((b & 15) << 2) | (c >> 6)] : '=';
    o[k++] = i + 2 < n ? t[c & 63] : '=';
  }
  *len = k;
  return o;
}

/* the pieces' lengths lens[0..np) of data written through B64 */
static void check(const unsigned char *data, const size_t *lens, int np,
                  const char *what) {
  FILE *fp = tmpfile();
  B64 *b = malloc(sizeof *b);
  b->fp = fp;
  b->nin = 0;
  size_t n = 0;
  for (int k = 0; k < np; k++) {
    b64_put(b, data + n, lens[k]);
    n += lens[k];
  }
  b64_end(b);
  const long got = ftell(fp);
  rewind(fp);
  char *text = malloc(got > 0 ? got : 1);
  CHECK(fread(text, 1, got, fp) == (size_t)got, "%s: read back", what);
  size_t want;
  char *ref = reference(data, n, &want);
  CHECK((size_t)got == want && !memcmp(text, ref, want),
        "%s: %zu bytes in %d pieces: %ld characters, %zu expected%s", what, n,
        np, got, want, (size_t)got == want ? " (different characters)" : "");
  free(ref);
  free(text);
  free(b);
  fclose(fp);
}

int main(void) {
  const size_t N = 3 * 1100000 + 7; /* past one 1M-group block */
  unsigned char *data = malloc(N);
  unsigned s = 7;
  for (size_t i = 0; i < N; i++) {
    s = s * 1103515245u + 12345u;
    data[i] = (unsigned char)(s >> 16);
  }
  const size_t stage = sizeof(((B64 *)0)->in);
  const size_t edges[] = {0,
                          1,
                          2,
                          3,
                          4,
                          8,
                          stage - 3,
                          stage - 2,
                          stage - 1,
                          stage,
                          stage + 1,
                          3 * 4096 - 1,
                          3 * 4096 + 1,
                          3 * 65536 + 2,
                          3 * 65537 + 1,
                          3 * (1 << 20),
                          3 * (1 << 20) + 4};
  const int ne = (int)(sizeof edges / sizeof edges[0]);
#ifdef _OPENMP
  const int nt = omp_get_max_threads();
  for (int threads = 1; threads <= 2; threads++) {
    omp_set_num_threads(threads);
#endif
    /* each length alone, after a header of 8 bytes (as array_begin), and
     * between small pieces */
    for (int i = 0; i < ne; i++) {
      size_t one[1] = {edges[i]}, two[2] = {8, edges[i]},
             three[4] = {8, 5, edges[i], 2};
      check(data, one, 1, "alone");
      check(data, two, 2, "after a header");
      check(data, three, 4, "between small pieces");
    }
    /* many small pieces (an element's connectivity at a time), then a
     * long one, then small ones again */
    size_t lens[40000];
    int np = 0;
    size_t used = 0;
    for (; np < 30000; np++)
      used += lens[np] = 1 + (size_t)(np % 11);
    lens[np++] = 3 * 70001 + 1;
    used += 3 * 70001 + 1;
    for (; np < 40000 && used + 16 < N; np++)
      used += lens[np] = 1 + (size_t)(np % 5);
    check(data, lens, np, "mixed");
#ifdef _OPENMP
  }
  omp_set_num_threads(nt);
#endif
  free(data);
  TEST_END();
}
