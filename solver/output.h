/* Result files: ParaView VTU per load case and summary.json.  Files are
 * written under a temporary name and renamed into place by the caller
 * (fm_commit_file), so a failed run never leaves a partial result. */
#ifndef FEMORA_OUTPUT_H
#define FEMORA_OUTPUT_H

#include <stdio.h>

#include "recover.h"

/* Create a directory and its parents (like mkdir -p). */
int fm_make_dirs(const char *dir);

/* Open path + ".tmp.<pid>" for writing (the temporary name; all below). */
FILE *fm_open_tmp(const char *path);
/* Close the temporary file of path (on a write error: remove it and record
 * an error naming the path). */
int fm_close_tmp(FILE *fp, const char *path);
/* Rename path + ".tmp" to path. */
int fm_rename_tmp(const char *path);
/* Remove path + ".tmp" (a failed run leaves no partial result). */
void fm_discard_tmp(const char *path);

/* Write one load case as VTU (binary, base64) to path + ".tmp": node copies
 * per material as points; displacement, stress (xx yy zz xy yz xz), von
 * Mises, principal stresses and the extra fields as point data; material id
 * as cell data. */
typedef struct {
  const char *name;
  int ncomp;
  const double *data; /* ncomp per node copy */
} FmField;
int fm_write_vtu_tmp(const FmModel *md, const FmPost *post, const FmResult *res,
                     const char *title, const FmField *extra, int nextra,
                     const char *path);

/* Text escaped for HTML and XML (control characters but tab dropped). */
void fm_xml_text(FILE *fp, const char *s);

/* JSON helpers: write a string with escapes, a number (null when not finite).
 */
void fm_json_string(FILE *fp, const char *s);
void fm_json_number(FILE *fp, double v);

#endif
