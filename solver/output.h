/* Result files: ParaView VTU per load case and summary.json.  Files are
 * written under a temporary name and renamed into place by the caller
 * (fm_commit_file), so a failed run never leaves a partial result. */
#ifndef FEMORA_OUTPUT_H
#define FEMORA_OUTPUT_H

#include <stdio.h>

#include "fileio.h"
#include "recover.h"

/* Write one load case as VTU (binary, base64) to path + ".tmp": node copies
 * per material as points; displacement, stress (xx yy zz xy yz xz), von
 * Mises, principal stresses and the extra fields as point data; material id
 * as cell data. */
typedef struct {
  const char *name;
  int ncomp;
  const double *data; /* ncomp per node copy */
} FmField;
/* res NULL: the extra fields alone (no displacement and stresses). */
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
