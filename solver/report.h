/* Design-review report of a growth scenario: one self-contained HTML file
 * (inline SVG plots, no scripts, no external files) from OUTDIR/scenario.csv
 * and OUTDIR/inputs.txt, written to OUTDIR/report.html (atomically). */
#ifndef FEMORA_REPORT_H
#define FEMORA_REPORT_H

int fm_report_write(const char *outdir);

#endif
