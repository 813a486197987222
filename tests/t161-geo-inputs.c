/* The files a geometry script reads besides itself (fm_geo_inputs, for a
 * scenario's resume): Include, Merge, MergeWithBoundingBox and
 * ShapeFromFile with literal names, resolved against the naming script's
 * directory, included and merged scripts read in turn, each file once (a
 * cycle of includes ends), comments and other strings skipped, names given
 * by expressions counted with where the first is, a missing file listed, an
 * unreadable script an error naming it. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "geoscan.h"
#include "test_util.h"

static void put(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) {
    perror(path);
    exit(1);
  }
  fputs(text, f);
  fclose(f);
}

/* 1 where list holds exactly the n names, in this order */
static int same(const FmGeoInputs *g, int n, const char *const *names) {
  if (g->n != n)
    return 0;
  for (int i = 0; i < n; i++)
    if (strcmp(g->path[i], names[i]))
      return 0;
  return 1;
}

static void dump(const FmGeoInputs *g) {
  for (int i = 0; i < g->n; i++)
    fprintf(stderr, "  [%d] %s\n", i, g->path[i]);
}

int main(void) {
  if (system("rm -rf t161.d") || mkdir("t161.d", 0777) ||
      mkdir("t161.d/sub", 0777))
    return 1;
  put("t161.d/main.geo", "// Include \"commented.geo\";\n"
                         "/* Merge \"block.step\";\n   still a comment */\n"
                         "SetFactory(\"OpenCASCADE\");\n"
                         "Printf(\"Include \\\"in_a_string.geo\\\"\");\n"
                         "Include \"sub/part.geo\";\n"
                         "v() = ShapeFromFile(\"implant.step\");\n"
                         "Merge   \"bone.stl\"; // a merged surface\n"
                         "MergeWithBoundingBox \"box.brep\";\n"
                         "myInclude = 3; // not the keyword\n"
                         "Include \"sub/part.geo\"; // again: listed once\n");
  put("t161.d/sub/part.geo", "Merge \"../cement.geo\";\n"
                             "Include \"/nonexistent-dir-t161/abs.geo\";\n");
  put("t161.d/cement.geo", "Include \"main.geo\"; // a cycle\n"
                           "Merge StrCat(\"pa\", \"rt.step\");\n"
                           "Include name;\n");
  FmGeoInputs g;
  CHECK(fm_geo_inputs("t161.d/main.geo", &g) == 0, "%s", fm_error_message());
  const char *want[] = {"t161.d/sub/part.geo",
                        "t161.d/sub/../cement.geo",
                        "/nonexistent-dir-t161/abs.geo",
                        "t161.d/implant.step",
                        "t161.d/bone.stl",
                        "t161.d/box.brep"};
  CHECK(same(&g, 6, want), "%d files listed", g.n);
  if (!same(&g, 6, want))
    dump(&g);
  CHECK(g.unresolved == 2, "unresolved %d", g.unresolved);
  CHECK(!strcmp(g.where, "t161.d/sub/../cement.geo:2: Merge"), "where: %s",
        g.where);
  fm_geo_inputs_free(&g);

  /* a script reading nothing else: an empty list */
  put("t161.d/plain.geo", "Point(1) = {0, 0, 0}; // Include \"x.geo\"\n");
  CHECK(fm_geo_inputs("t161.d/plain.geo", &g) == 0, "%s", fm_error_message());
  CHECK(g.n == 0 && g.unresolved == 0, "plain: %d files, %d unresolved", g.n,
        g.unresolved);
  fm_geo_inputs_free(&g);

  /* a string left open, a comment left open: no read past the end */
  put("t161.d/open.geo", "Include \"plain.geo\"; /* open comment");
  CHECK(fm_geo_inputs("t161.d/open.geo", &g) == 0, "%s", fm_error_message());
  CHECK(g.n == 1 && !strcmp(g.path[0], "t161.d/plain.geo"),
        "open comment: %d files", g.n);
  fm_geo_inputs_free(&g);
  put("t161.d/open2.geo", "Include \"plain.geo");
  CHECK(fm_geo_inputs("t161.d/open2.geo", &g) == 0, "%s", fm_error_message());
  CHECK(g.n == 0, "open string: %d files", g.n);
  fm_geo_inputs_free(&g);

  /* the script itself unreadable: an error naming it */
  CHECK(fm_geo_inputs("t161.d/none.geo", &g) != 0, "a missing script read");
  CHECK(strstr(fm_error_message(), "t161.d/none.geo: cannot read") != NULL,
        "message: %s", fm_error_message());
  CHECK(g.n == 0 && g.path == NULL, "a failed scan left %d files", g.n);
  TEST_END();
}
