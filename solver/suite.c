/* nftw */
#define _XOPEN_SOURCE 700
#include "suite.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "case.h"
#include "error.h"
#include "output.h"
#include "report.h"
#include "run.h"

extern char **environ;

typedef struct {
  char path[4096]; /* case file */
  char name[512];  /* relative to the suite folder, without .yaml */
  char out[4700];  /* its results folder */
  pid_t pid;
  double t0, seconds;
  int status; /* exit status; -1 not run */
  int nchecks, npass;
  char first_error[1024];
  int signal; /* the signal that ended the run, 0 if none */
  int slow;
  double median;
  double worst; /* largest error / tolerance over the case's checks */
  char *checks; /* its checks.txt, read once (NULL: none) */
  int slot;     /* 0..jobs-1 while running: its GPU is slot % devices */
} SuiteCase;

static SuiteCase *g_cases;
static int g_ncases, g_cap;
static const char *g_root;

/* A signal to the suite (SIGTERM, SIGHUP, SIGINT) is passed on to the
 * cases running, and no case starts after it; the suite then writes its
 * reports and fails.  (A terminal's Ctrl-C reaches the cases as well: a
 * case, a plain femora run, takes a second one the same.) */
static volatile sig_atomic_t g_stop = 0;
static void stop_cases(int sig) {
  g_stop = sig;
  for (int k = 0; k < g_ncases; k++)
    if (g_cases[k].pid > 0)
      kill(g_cases[k].pid, sig);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* a case file: *.yaml or *.yml whose top level has an expected: section */
static int visit(const char *path, const struct stat *st, int type,
                 struct FTW *ftw) {
  (void)st, (void)ftw;
  const size_t n = strlen(path);
  const size_t ext = n >= 6 && !strcmp(path + n - 5, ".yaml")  ? 5
                     : n >= 5 && !strcmp(path + n - 4, ".yml") ? 4
                                                               : 0;
  if (type != FTW_F || !ext || !fm_case_has_expected(path))
    return 0;
  if (g_ncases == g_cap) {
    g_cap = g_cap ? 2 * g_cap : 16;
    SuiteCase *nc = realloc(g_cases, g_cap * sizeof *nc);
    if (!nc)
      return 1;
    g_cases = nc;
  }
  SuiteCase *c = &g_cases[g_ncases++];
  memset(c, 0, sizeof *c);
  snprintf(c->path, sizeof c->path, "%s", path);
  const char *rel = path + strlen(g_root);
  while (*rel == '/')
    rel++;
  snprintf(c->name, sizeof c->name, "%.*s", (int)(strlen(rel) - ext), rel);
  c->status = -1;
  return 0;
}

static int cmp_case(const void *a, const void *b) {
  return strcmp(((const SuiteCase *)a)->name, ((const SuiteCase *)b)->name);
}

static int start(const FmSuiteOptions *opt, SuiteCase *c) {
  char res[4800], so[4800], se[4800];
  snprintf(res, sizeof res, "%s/results", c->out);
  snprintf(so, sizeof so, "%s/stdout.txt", c->out);
  snprintf(se, sizeof se, "%s/stderr.txt", c->out);
  FM_CALL(fm_make_dirs(c->out));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, so, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&fa, 2, se, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  char *argv[] = {(char *)opt->femora,
                  "run",
                  c->path,
                  "-o",
                  res,
                  opt->backend ? "--backend" : NULL,
                  (char *)opt->backend,
                  NULL};
  /* the environment with FEMORA_DEVICE = the user's (an offset, default 0)
   * + slot: cases running at once take different GPUs (backend_cuda.c) */
  size_t ne = 0;
  while (environ[ne])
    ne++;
  char **envp = fm_calloc(ne + 3, sizeof(char *));
  char dev[48], omp[48];
  if (!envp) {
    posix_spawn_file_actions_destroy(&fa);
    return 1;
  }
  size_t k = 0;
  for (size_t i = 0; i < ne; i++)
    if (strncmp(environ[i], "FEMORA_DEVICE=", 14))
      envp[k++] = environ[i];
  const char *base = getenv("FEMORA_DEVICE");
  snprintf(dev, sizeof dev, "FEMORA_DEVICE=%d",
           (base && atoi(base) > 0 ? atoi(base) : 0) + c->slot);
  envp[k++] = dev;
  /* cases running at once share the cores (run.h fm_shared_threads) */
  const int threads = fm_shared_threads(opt->jobs);
  if (threads) {
    snprintf(omp, sizeof omp, "OMP_NUM_THREADS=%d", threads);
    envp[k++] = omp;
  }
  c->t0 = now();
  const int rc = posix_spawn(&c->pid, opt->femora, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  free(envp);
  if (rc)
    return fm_error("%s: cannot start: %s", opt->femora, strerror(rc));
  return 0;
}

/* A checks.txt line into its 9 tab-separated fields (result, what, value,
 * reference, error, tolerance, relative/absolute, kind, source). */
static int split_check(char *line, char *fld[9]) {
  line[strcspn(line, "\n")] = 0;
  int nf = 0;
  char *save = NULL;
  for (char *tok = strtok_r(line, "\t", &save); tok && nf < 9;
       tok = strtok_r(NULL, "\t", &save))
    fld[nf++] = tok;
  return nf;
}

/* The next check of a checks.txt text (cursor into a writable copy);
 * lines that are not checks (9 tab-separated fields) are counted in
 * *malformed where it is given. */
static int next_check(char **cursor, char *fld[9], int *malformed) {
  while (*cursor && **cursor) {
    char *line = *cursor, *nl = strchr(line, '\n');
    *cursor = nl ? nl + 1 : NULL;
    if (nl)
      *nl = 0;
    if (split_check(line, fld) == 9)
      return 1;
    if (malformed && line[0])
      (*malformed)++;
  }
  return 0;
}

static void collect(SuiteCase *c) {
  char path[4800];
  snprintf(path, sizeof path, "%s/results/checks.txt", c->out);
  c->checks = fm_read_text(path, NULL);
  char *copy = c->checks ? strdup(c->checks) : NULL, *cur = copy, *fld[9];
  int malformed = 0;
  while (next_check(&cur, fld, &malformed)) {
    c->nchecks++;
    c->npass += !strcmp(fld[0], "pass");
    const double r = atof(fld[4]) / atof(fld[5]);
    if (!isnan(c->worst) && !(r <= c->worst))
      c->worst = r; /* NaN counts as worst, and stays */
  }
  free(copy);
  if (c->status == 0 && malformed) {
    /* a check the suite cannot read is no pass */
    c->status = 1;
    c->npass = 0;
    snprintf(c->first_error, sizeof c->first_error,
             "results/checks.txt: %d line%s not a check (9 tab-separated "
             "fields): the case's checks cannot be read",
             malformed, malformed == 1 ? " is" : "s are");
    return;
  }
  if (c->status == 0 && c->nchecks == 0) {
    /* a case picked for its expected: section that checked nothing (an
     * empty one): its validation was not done, which is no pass */
    c->status = 1;
    snprintf(c->first_error, sizeof c->first_error,
             "no checks: its expected: section is empty, so nothing was "
             "validated");
    return;
  }
  if (c->status != 0) {
    /* the run's error: its last "femora: error:" line (warnings of MPI or
     * PETSc may come first), else its first line, else how it ended */
    snprintf(path, sizeof path, "%s/stderr.txt", c->out);
    FILE *f = fopen(path, "r");
    char line[1024];
    int first = 1;
    c->first_error[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
      line[strcspn(line, "\n")] = 0;
      if (first || !strncmp(line, "femora: error:", 14))
        snprintf(c->first_error, sizeof c->first_error, "%s", line);
      first = 0;
    }
    if (f)
      fclose(f);
    if (c->signal) {
      const size_t n = strlen(c->first_error);
      snprintf(c->first_error + n, sizeof c->first_error - n,
               "%skilled by signal %d (%s)", n ? "; " : "", c->signal,
               strsignal(c->signal));
    } else if (!c->first_error[0]) {
      snprintf(c->first_error, sizeof c->first_error, "exit status %d",
               c->status);
    }
  }
}

/* history lines: iso-date,case,seconds,passed,checks */
static void read_history(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f)
    return;
  char line[2048];
  double *t = NULL;
  for (int k = 0; k < g_ncases; k++) {
    int n = 0, cap = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
      char *p = strchr(line, ',');
      if (!p)
        continue;
      char *q = strchr(p + 1, ',');
      if (!q)
        continue;
      *q = 0;
      if (strcmp(p + 1, g_cases[k].name))
        continue;
      /* seconds,passed,checks: a run that failed (checks -1) says nothing
       * of the time a run takes */
      int passed, checks;
      if (sscanf(q + 1, "%*f,%d,%d", &passed, &checks) == 2 && checks < 0)
        continue;
      if (n == cap) {
        cap = cap ? 2 * cap : 16;
        double *nt = realloc(t, cap * sizeof *nt);
        if (!nt)
          break;
        t = nt;
      }
      t[n++] = atof(q + 1);
    }
    if (n > 0) {
      /* median */
      for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
          const double x = t[j];
          t[j] = t[j - 1];
          t[j - 1] = x;
        }
      g_cases[k].median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    }
  }
  free(t);
  fclose(f);
}

/* Plots of the history: run time and worst error / tolerance of every case,
 * run after run (the last FM_PLOT_MAX runs). */
static void history_plots(FILE *fp, const char *hist) {
  FILE *f = fopen(hist, "r");
  if (!f)
    return;
  static char dates[FM_PLOT_MAX][32];
  static double tsec[16][FM_PLOT_MAX], ratio[16][FM_PLOT_MAX];
  int nd = 0;
  const int nc = g_ncases < 16 ? g_ncases : 16;
  for (int c = 0; c < 16; c++)
    for (int d = 0; d < FM_PLOT_MAX; d++)
      tsec[c][d] = ratio[c][d] = NAN;
  char line[2048];
  while (fgets(line, sizeof line, f)) {
    char *fld[6], *save = NULL;
    int n = 0;
    line[strcspn(line, "\n")] = 0;
    for (char *tok = strtok_r(line, ",", &save); tok && n < 6;
         tok = strtok_r(NULL, ",", &save))
      fld[n++] = tok;
    if (n < 3)
      continue;
    int d = nd - 1;
    if (d < 0 || strcmp(dates[d], fld[0])) {
      if (nd == FM_PLOT_MAX) { /* keep the newest runs */
        memmove(dates, dates + 1, sizeof dates[0] * (FM_PLOT_MAX - 1));
        for (int c = 0; c < 16; c++) {
          memmove(tsec[c], tsec[c] + 1, sizeof(double) * (FM_PLOT_MAX - 1));
          memmove(ratio[c], ratio[c] + 1, sizeof(double) * (FM_PLOT_MAX - 1));
          tsec[c][FM_PLOT_MAX - 1] = ratio[c][FM_PLOT_MAX - 1] = NAN;
        }
        nd--;
      }
      d = nd++;
      snprintf(dates[d], sizeof dates[d], "%s", fld[0]);
    }
    for (int c = 0; c < nc; c++)
      if (!strcmp(g_cases[c].name, fld[1])) {
        tsec[c][d] = atof(fld[2]);
        if (n >= 6)
          ratio[c][d] = atof(fld[5]);
      }
  }
  fclose(f);
  if (nd < 1)
    return;
  double x[FM_PLOT_MAX];
  for (int d = 0; d < nd; d++)
    x[d] = d + 1;
  static char names[16][128];
  for (int c = 0; c < nc; c++)
    snprintf(names[c], sizeof names[c], "%.127s", g_cases[c].name);
  fprintf(fp, "<h2>History (%d runs, %s to %s)</h2>\n", nd, dates[0],
          dates[nd - 1]);
  fm_svg_plot(fp, "Run time per case", "run", "seconds", nd, x, nc,
              (const char(*)[128])names, tsec, 0);
  fm_svg_plot(fp, "Accuracy: worst error / tolerance per case (below 1 passes)",
              "run", "error / tolerance", nd, x, nc, (const char(*)[128])names,
              ratio, 1);
}

static int write_reports(const FmSuiteOptions *opt, const char *hist, int nfail,
                         int nchecks) {
  char path[4300];
  snprintf(path, sizeof path, "%s/junit.xml", opt->outdir);
  FILE *fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  int ntests = 0;
  for (int k = 0; k < g_ncases; k++)
    ntests += g_cases[k].status == 0 ? g_cases[k].nchecks + g_cases[k].slow : 1;
  fprintf(
      fp,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
      "<testsuite name=\"femora-validation\" tests=\"%d\" failures=\"%d\">\n",
      ntests, nfail);
  for (int k = 0; k < g_ncases; k++) {
    const SuiteCase *c = &g_cases[k];
    if (c->status != 0) {
      fputs("  <testcase classname=\"", fp);
      fm_xml_text(fp, c->name);
      fprintf(fp, "\" name=\"run\" time=\"%.3f\"><failure message=\"",
              c->seconds);
      fm_xml_text(fp, c->first_error);
      fputs("\"/></testcase>\n", fp);
      continue;
    }
    char *copy = c->checks ? strdup(c->checks) : NULL, *cur = copy, *fld[9];
    while (next_check(&cur, fld, NULL)) {
      fputs("  <testcase classname=\"", fp);
      fm_xml_text(fp, c->name);
      fputs("\" name=\"", fp);
      fm_xml_text(fp, fld[1]);
      fprintf(fp, "\" time=\"%.3f\">",
              c->seconds / (c->nchecks ? c->nchecks : 1));
      if (strcmp(fld[0], "pass")) {
        fputs("<failure message=\"", fp);
        char msg[1024];
        snprintf(msg, sizeof msg,
                 "value %s, reference %s (%s: %s), %s error %s > tolerance %s",
                 fld[2], fld[3], fld[7], fld[8], fld[6], fld[4], fld[5]);
        fm_xml_text(fp, msg);
        fputs("\"/>", fp);
      }
      fputs("</testcase>\n", fp);
    }
    free(copy);
    if (c->slow) {
      fputs("  <testcase classname=\"", fp);
      fm_xml_text(fp, c->name);
      fprintf(
          fp,
          "\" name=\"run time\" time=\"%.3f\"><failure message=\"%.2f s, "
          "more than %.2f x the median %.2f s of the history\"/></testcase>\n",
          c->seconds, c->seconds, opt->max_slowdown, c->median);
    }
  }
  fputs("</testsuite>\n</testsuites>\n", fp);
  FM_CALL(fm_close_tmp(fp, path));
  FM_CALL(fm_rename_tmp(path));

  /* HTML: one row per check */
  snprintf(path, sizeof path, "%s/suite.html", opt->outdir);
  fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  char when[64];
  time_t t = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime(&t));
  fprintf(
      fp,
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<title>Femora validation "
      "suite</title><style>body{font-family:sans-serif;"
      "margin:2em}table{border-collapse:collapse}td,th{border:1px solid #bbb;"
      "padding:3px 8px}th{background:#eee}.fail{color:#b00;font-weight:bold}"
      "</style></head><body>\n<h1>Validation suite</h1>\n<p>Femora %s, %s, "
      "folder <code>",
      FEMORA_VERSION, when);
  fm_xml_text(fp, opt->dir);
  fprintf(fp,
          "</code>: %d cases, %d checks, <span class=\"%s\">%d "
          "failed</span>.</p>\n",
          g_ncases, nchecks, nfail ? "fail" : "", nfail);
  fputs("<table><tr><th>case</th><th>check</th><th>value</th><th>reference</th>"
        "<th>error</th><th>tolerance</th><th>kind</th><th>source</"
        "th><th>result</th>"
        "<th>case time (s)</th><th>median time in the history (s)</th></tr>\n",
        fp);
  for (int k = 0; k < g_ncases; k++) {
    const SuiteCase *c = &g_cases[k];
    if (c->status != 0) {
      fputs("<tr><td>", fp);
      fm_xml_text(fp, c->name);
      fputs("</td><td colspan=\"7\">", fp);
      fm_xml_text(fp, c->first_error);
      fprintf(fp,
              "</td><td class=\"fail\">did not "
              "run</td><td>%.2f</td><td></td></tr>\n",
              c->seconds);
      continue;
    }
    char *copy = c->checks ? strdup(c->checks) : NULL, *cur = copy, *fld[9];
    while (next_check(&cur, fld, NULL)) {
      fputs("<tr><td>", fp);
      fm_xml_text(fp, c->name);
      for (int i = 1; i <= 8; i++) {
        if (i == 6)
          continue; /* relative/absolute goes with the error */
        fputs("</td><td>", fp);
        fm_xml_text(fp, fld[i]);
        if (i == 4)
          fputs(!strcmp(fld[6], "absolute") ? " (abs.)" : " (rel.)", fp);
      }
      char med[32] = "-";
      if (c->median > 0)
        snprintf(med, sizeof med, "%.2f", c->median);
      fprintf(fp,
              "</td><td class=\"%s\">%s</td><td>%.2f%s</td><td>%s</td></tr>\n",
              strcmp(fld[0], "pass") ? "fail" : "", fld[0], c->seconds,
              c->slow ? " <span class=\"fail\">slow</span>" : "", med);
    }
    free(copy);
  }
  fputs("</table>\n<p>History: a line per case is appended to the history file "
        "at "
        "every run (date, case, seconds, checks passed, checks, worst error / "
        "tolerance).</p>\n",
        fp);
  history_plots(fp, hist);
  fputs("</body></html>\n", fp);
  FM_CALL(fm_close_tmp(fp, path));
  return fm_rename_tmp(path);
}

int fm_suite_find(const char *dir, int *n, char (**paths)[4096],
                  char (**names)[512]) {
  g_cases = NULL;
  g_ncases = g_cap = 0;
  g_root = dir;
  *n = 0;
  struct stat st;
  if (stat(dir, &st) || !S_ISDIR(st.st_mode))
    return fm_error("%s: not a folder of validation cases", dir);
  if (nftw(dir, visit, 16, FTW_PHYS))
    return fm_error("%s: cannot read the folder", dir);
  if (g_ncases == 0)
    return fm_error(
        "%s: no case with expected results (*.yaml or *.yml with an "
        "'expected:' section) found",
        dir);
  qsort(g_cases, g_ncases, sizeof *g_cases, cmp_case);
  *paths = fm_calloc(g_ncases, sizeof **paths);
  *names = fm_calloc(g_ncases, sizeof **names);
  if (!*paths || !*names)
    return 1;
  for (int k = 0; k < g_ncases; k++) {
    snprintf((*paths)[k], 4096, "%s", g_cases[k].path);
    snprintf((*names)[k], 512, "%s", g_cases[k].name);
    for (char *p = (*names)[k]; *p; p++)
      if (*p == '/')
        *p = '.';
  }
  *n = g_ncases;
  free(g_cases);
  g_cases = NULL;
  return 0;
}

int fm_suite_run(const FmSuiteOptions *opt, int *nfailed) {
  g_cases = NULL;
  g_ncases = g_cap = 0;
  g_root = opt->dir;
  *nfailed = 0;
  struct stat st;
  if (stat(opt->dir, &st) || !S_ISDIR(st.st_mode))
    return fm_error("%s: not a folder of validation cases", opt->dir);
  if (nftw(opt->dir, visit, 16, FTW_PHYS))
    return fm_error("%s: cannot read the folder", opt->dir);
  if (g_ncases == 0)
    return fm_error(
        "%s: no case with expected results (*.yaml or *.yml with an "
        "'expected:' section) found",
        opt->dir);
  qsort(g_cases, g_ncases, sizeof *g_cases, cmp_case);
  FM_CALL(fm_make_dirs(opt->outdir));
  for (int k = 0; k < g_ncases; k++) {
    char safe[512];
    snprintf(safe, sizeof safe, "%s", g_cases[k].name);
    for (char *p = safe; *p; p++)
      if (*p == '/')
        *p = '.';
    snprintf(g_cases[k].out, sizeof g_cases[k].out, "%s/cases/%s", opt->outdir,
             safe);
  }
  /* two cases must not share a results folder (a/b.yaml and a.b.yaml) */
  for (int k = 0; k < g_ncases; k++)
    for (int j = k + 1; j < g_ncases; j++)
      if (!strcmp(g_cases[k].out, g_cases[j].out))
        return fm_error("%s: cases %s and %s would share the results "
                        "folder %s: rename one",
                        opt->dir, g_cases[k].path, g_cases[j].path,
                        g_cases[k].out);
  /* the history must be writable before hours of cases, not after */
  if (opt->history) {
    FILE *hf = fopen(opt->history, "a");
    if (!hf)
      return fm_error("%s: --history: cannot append to it: %s", opt->history,
                      strerror(errno));
    fclose(hf);
  }
  printf("suite: %d case%s from %s, %d at a time\n", g_ncases,
         g_ncases > 1 ? "s" : "", opt->dir, opt->jobs);
  fflush(stdout);
  /* run, at most jobs at once */
  int next = 0, running = 0, ierr = 0;
  g_stop = 0;
  struct sigaction sa, old_sa[3];
  const int sigs[3] = {SIGTERM, SIGHUP, SIGINT};
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = stop_cases;
  sigemptyset(&sa.sa_mask);
  for (int k = 0; k < 3; k++) {
    /* a signal ignored (nohup: SIGHUP) stays ignored, for the suite and
     * the cases it starts */
    sigaction(sigs[k], NULL, &old_sa[k]);
    if (old_sa[k].sa_handler != SIG_IGN)
      sigaction(sigs[k], &sa, NULL);
  }
  while ((next < g_ncases || running > 0) && !ierr) {
    while (running < opt->jobs && next < g_ncases && !ierr && !g_stop) {
      /* the lowest slot no running case holds */
      int slot = 0;
      for (int busy = 1; busy; slot += busy) {
        busy = 0;
        for (int k = 0; k < g_ncases && !busy; k++)
          busy = g_cases[k].pid > 0 && g_cases[k].slot == slot;
      }
      g_cases[next].slot = slot;
      ierr = start(opt, &g_cases[next]);
      next++;
      running += !ierr;
    }
    if (running == 0)
      break;
    int status;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR)
      continue;
    if (pid < 0)
      break;
    for (int k = 0; k < g_ncases; k++)
      if (g_cases[k].pid == pid) {
        SuiteCase *c = &g_cases[k];
        c->seconds = now() - c->t0;
        c->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
        c->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + c->signal;
        c->pid = 0;
        running--;
        collect(c);
        printf("  %-40s %s (%d/%d checks, %.2f s)\n", c->name,
               c->status && !c->nchecks &&
                       !strncmp(c->first_error, "no checks", 9)
                   ? "FAIL: no checks"
               : c->status && !strncmp(c->first_error, "results/checks.txt", 18)
                   ? "FAIL: checks unreadable"
               : c->status              ? "did not run"
               : c->npass == c->nchecks ? "pass"
                                        : "FAIL",
               c->npass, c->nchecks, c->seconds);
        fflush(stdout);
      }
  }
  while (running > 0) {
    if (wait(NULL) > 0)
      running--;
    else if (errno != EINTR)
      break;
  }
  for (int k = 0; k < 3; k++)
    sigaction(sigs[k], &old_sa[k], NULL);
  FM_CALL(ierr);

  /* history: compare, then append */
  char hist[4300];
  snprintf(hist, sizeof hist, "%s", opt->history ? opt->history : "");
  if (!hist[0])
    snprintf(hist, sizeof hist, "%s/history.csv", opt->outdir);
  read_history(hist);
  int nfail = 0, nchecks = 0, npass = 0;
  for (int k = 0; k < g_ncases; k++) {
    SuiteCase *c = &g_cases[k];
    if (c->status != 0) {
      nfail++;
      continue;
    }
    nchecks += c->nchecks;
    npass += c->npass;
    nfail += c->nchecks - c->npass;
    if (opt->max_slowdown > 0 && c->median > 0 &&
        c->seconds > opt->max_slowdown * c->median) {
      c->slow = 1;
      nfail++;
      printf("  %-40s SLOW: %.2f s, more than %.2f x the median %.2f s\n",
             c->name, c->seconds, opt->max_slowdown, c->median);
    }
  }
  FILE *h = fopen(hist, "a");
  if (!h)
    return fm_error("%s: cannot append to the history: %s", hist,
                    strerror(errno));
  char when[64];
  time_t t = time(NULL);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
  for (int k = 0; k < g_ncases; k++)
    fprintf(h, "%s,%s,%.4f,%d,%d,%.4g\n", when, g_cases[k].name,
            g_cases[k].seconds, g_cases[k].npass,
            g_cases[k].status == 0 ? g_cases[k].nchecks : -1,
            g_cases[k].status == 0 ? g_cases[k].worst : NAN);
  fclose(h);
  FM_CALL(write_reports(opt, hist, nfail, nchecks));
  printf("reports: %s/junit.xml, %s/suite.html; history: %s\n", opt->outdir,
         opt->outdir, hist);
  if (g_stop) {
    int notrun = 0;
    for (int k = 0; k < g_ncases; k++)
      notrun += g_cases[k].status != 0;
    return fm_error("%s: stopped by signal %d (%s), passed on to the cases "
                    "running: %d of %d cases did not run through",
                    opt->dir, (int)g_stop, strsignal((int)g_stop), notrun,
                    g_ncases);
  }
  /* the closing line CI dashboards read */
  printf("%d passed, %d failed\n", npass, nfail);
  *nfailed = nfail;
  for (int k = 0; k < g_ncases; k++)
    free(g_cases[k].checks);
  free(g_cases);
  g_cases = NULL;
  return 0;
}
