/* Design-review report of a growth scenario: one self-contained HTML file
 * (inline SVG plots, no scripts, no external files) from OUTDIR/scenario.csv
 * and OUTDIR/inputs.txt, written to OUTDIR/report.html (atomically). */
#ifndef FEMORA_REPORT_H
#define FEMORA_REPORT_H

int fm_report_write(const char *outdir);

/* An inline SVG line plot: ns series y[s][0..n) against x[0..n) (n at most
 * FM_PLOT_MAX); log10 y axis when logy; non-finite values are gaps. */
#include <stdio.h>
#define FM_PLOT_MAX 256
void fm_svg_plot(FILE *fp, const char *title, const char *xlabel,
                 const char *ylabel, int n, const double *x, int ns,
                 const char (*names)[128], double y[][FM_PLOT_MAX], int logy);

#endif
