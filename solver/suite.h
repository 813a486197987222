/* Validation suite: run every case with expected results under a folder (in
 * parallel), compare, and report: JUnit XML, an HTML table, a history file
 * for accuracy and run time night after night (docs/validation.md). */
#ifndef FEMORA_SUITE_H
#define FEMORA_SUITE_H

typedef struct {
  const char *dir; /* folder searched recursively for *.yaml with expected: */
  const char *outdir;  /* results: cases/<name>/, junit.xml, suite.html */
  const char *history; /* history file (appended); NULL: OUTDIR/history.csv */
  int jobs;            /* cases run at once */
  double max_slowdown; /* > 0: a case slower than this times its median in the
                          history fails */
  const char *femora;  /* the femora executable to run the cases with */
  const char *backend; /* passed to every run as --backend; NULL: the cases' */
} FmSuiteOptions;

/* Returns 0 when every check passed (and no case failed to run or slowed
 * down), 1 when something failed (the reports say what), or an error. */
int fm_suite_run(const FmSuiteOptions *opt, int *nfailed);

/* The cases of a suite folder, sorted: paths and names ('/' turned to '.'),
 * allocated (caller frees). */
int fm_suite_find(const char *dir, int *n, char (**paths)[4096],
                  char (**names)[512]);

#endif
