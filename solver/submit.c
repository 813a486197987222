/* realpath */
#define _XOPEN_SOURCE 700
#include "submit.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "case.h"
#include "error.h"
#include "output.h"
#include "scenario.h"
#include "suite.h"

typedef enum { KIND_CASE, KIND_SUITE, KIND_SCENARIO } Kind;
static const char *kind_name[] = {"case", "suite", "scenario"};

static int is_dir(const char *p) {
  struct stat st;
  return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* Single-quote a string for the shell. */
static void shq(FILE *fp, const char *s) {
  fputc('\'', fp);
  for (; *s; s++) {
    if (*s == '\'')
      fputs("'\\''", fp);
    else
      fputc(*s, fp);
  }
  fputc('\'', fp);
}

/* A path Slurm's #SBATCH line takes as it is (no blank, quote or line
 * break); another is given on sbatch's command line, quoted. */
static int plain_path(const char *s) {
  return !strpbrk(s, " \t\r\n'\"\\");
}

static void header(FILE *fp, const FmSubmitOptions *o, const char *name,
                   int array_n, const char *log) {
  fprintf(fp,
          "#!/bin/bash\n# written by femora submit\n#SBATCH --job-name=%s\n",
          name);
  fprintf(
      fp,
      "#SBATCH --nodes=%d\n#SBATCH --ntasks-per-node=%d\n#SBATCH --time=%s\n",
      o->nodes, o->ntasks_per_node, o->time);
  if (o->partition && o->partition[0])
    fprintf(fp, "#SBATCH --partition=%s\n", o->partition);
  if (o->gpus_per_node > 0)
    fprintf(fp, "#SBATCH --gpus-per-node=%d\n", o->gpus_per_node);
  if (array_n > 0)
    fprintf(fp, "#SBATCH --array=0-%d\n", array_n - 1);
  if (plain_path(log))
    fprintf(fp, "#SBATCH --output=%s\n", log);
  else
    fputs("# (--output: on sbatch's command line, the path has blanks or "
          "quotes)\n",
          fp);
  fputs("set -u\n", fp);
  fputs("# OpenMPI asks for consent to run as root\n"
        "if [ \"$(id -u)\" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 "
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi\n",
        fp);
}

static int write_script(const char *path, const char *text) {
  FILE *fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  fputs(text, fp);
  FM_CALL(fm_close_tmp(fp, path));
  FM_CALL(fm_rename_tmp(path));
  chmod(path, 0755);
  return 0;
}

/* sbatch --parsable [extra] [--output log] script -> job id (paths
 * quoted for the shell: a folder may be called "Tom's runs") */
static int sbatch(const char *script, const char *extra, const char *log,
                  char *jobid, size_t n) {
  char *cmd = NULL;
  size_t clen = 0;
  FILE *c = open_memstream(&cmd, &clen);
  if (!c)
    return fm_error("out of memory");
  fprintf(c, "sbatch --parsable %s ", extra ? extra : "");
  if (!plain_path(log)) {
    fputs("--output=", c);
    shq(c, log);
    fputc(' ', c);
  }
  shq(c, script);
  fputs(" 2>&1", c);
  fclose(c);
  FILE *p = popen(cmd, "r");
  free(cmd);
  if (!p)
    return fm_error("sbatch: cannot run: %s", strerror(errno));
  char line[1024] = "";
  if (!fgets(line, sizeof line, p))
    line[0] = 0;
  const int rc = pclose(p);
  line[strcspn(line, "\n")] = 0;
  if (rc != 0 || !line[0] || line[0] < '0' || line[0] > '9')
    return fm_error("%s: sbatch failed: %s", script,
                    line[0] ? line
                            : "no output (is Slurm installed and running?)");
  char *semi = strchr(line, ';'); /* "id;cluster" */
  if (semi)
    *semi = 0;
  snprintf(jobid, n, "%s", line);
  return 0;
}

static void jobs_dir(char *out, size_t n) {
  const char *d = getenv("FEMORA_JOBS_DIR");
  if (d && d[0])
    snprintf(out, n, "%s", d);
  else
    snprintf(out, n, "%s/.femora/jobs",
             getenv("HOME") ? getenv("HOME") : "/tmp");
}

int fm_submit(const FmSubmitOptions *o) {
  Kind kind = is_dir(o->target)                        ? KIND_SUITE
              : fm_yaml_has_top_key(o->target, "ages") ? KIND_SCENARIO
                                                       : KIND_CASE;
  char abs_out[4096], abs_target[4096];
  if (!realpath(o->target, abs_target))
    return fm_error("%s: cannot open: %s", o->target, strerror(errno));
  int n = 0;
  char(*paths)[4096] = NULL, (*names)[512] = NULL;
  FmScenario sc;
  memset(&sc, 0, sizeof sc);
  /* the target checked before OUTDIR is made: a bad one leaves no folder */
  if (kind == KIND_SUITE) {
    FM_CALL(fm_suite_find(abs_target, &n, &paths, &names));
  } else if (kind == KIND_SCENARIO) {
    FM_CALL(fm_scenario_read(abs_target, &sc));
    n = sc.nages;
  } else {
    FmCase c;
    FM_CALL(fm_case_read(abs_target, &c)); /* check it before the queue does */
    fm_case_free(&c);
  }
  int derr = fm_make_dirs(o->outdir);
  if (!derr && !realpath(o->outdir, abs_out))
    derr = fm_error("%s: %s", o->outdir, strerror(errno));
  if (derr) {
    free(paths);
    free(names);
    fm_scenario_free(&sc);
    return derr;
  }
  /* the script */
  char *buf = NULL;
  size_t len = 0;
  FILE *fp = open_memstream(&buf, &len);
  if (!fp)
    return fm_error("out of memory");
  char log[4300], log2[4300] = "", base[256];
  const char *b = strrchr(abs_target, '/');
  snprintf(base, sizeof base, "femora-%.200s", b ? b + 1 : abs_target);
  for (char *c = base; *c; c++) /* the job's name: one word */
    if (!(isalnum((unsigned char)*c) || strchr("._-", *c)))
      *c = '_';
  if (kind == KIND_CASE) {
    snprintf(log, sizeof log, "%s/slurm-%%j.out", abs_out);
    header(fp, o, base, 0, log);
    fputs("# one case on all the job's MPI ranks\nexec mpirun ", fp);
    shq(fp, o->femora);
    fputs(" run ", fp);
    shq(fp, abs_target);
    fputs(" -o ", fp);
    shq(fp, abs_out);
    fputs(" --quiet\n", fp);
  } else if (kind == KIND_SUITE) {
    snprintf(log, sizeof log, "%s/slurm-%%A_%%a.out", abs_out);
    header(fp, o, base, n, log);
    fputs("# one validation case per array element\ncases=(", fp);
    for (int k = 0; k < n; k++) {
      fputs("\n  ", fp);
      shq(fp, paths[k]);
    }
    fputs("\n)\nnames=(", fp);
    for (int k = 0; k < n; k++) {
      fputs("\n  ", fp);
      shq(fp, names[k]);
    }
    fputs("\n)\ni=${SLURM_ARRAY_TASK_ID}\nexec ", fp);
    shq(fp, o->femora);
    fputs(" run \"${cases[$i]}\" -o ", fp);
    shq(fp, abs_out);
    fputs("/cases/\"${names[$i]}\" --quiet\n", fp);
  } else {
    snprintf(log, sizeof log, "%s/slurm-%%A_%%a.out", abs_out);
    header(fp, o, base, n, log);
    fputs("# one age step per array element (finished steps are not "
          "redone)\nexec ",
          fp);
    shq(fp, o->femora);
    fputs(" scenario ", fp);
    shq(fp, abs_target);
    fputs(" -o ", fp);
    shq(fp, abs_out);
    fputs(" --step \"${SLURM_ARRAY_TASK_ID}\" --quiet\n", fp);
  }
  fclose(fp);
  char script[4400], script2[4400];
  snprintf(script, sizeof script, "%s/femora-job.sh", abs_out);
  int ierr = write_script(script, buf);
  char *buf2 = NULL;
  if (!ierr && kind == KIND_SCENARIO) {
    /* the summary after every step: a dependent job */
    FmSubmitOptions o1 = *o;
    o1.nodes = 1;
    o1.ntasks_per_node = 1;
    o1.gpus_per_node = 0;
    fp = open_memstream(&buf2, &len);
    snprintf(log2, sizeof log2, "%s/slurm-%%j-summary.out", abs_out);
    header(fp, &o1, "femora-scenario-summary", 0, log2);
    fputs("# all steps are finished: gather them, summary and report\nexec ",
          fp);
    shq(fp, o->femora);
    fputs(" scenario ", fp);
    shq(fp, abs_target);
    fputs(" -o ", fp);
    shq(fp, abs_out);
    fputs("\n", fp);
    fclose(fp);
    snprintf(script2, sizeof script2, "%s/femora-job-summary.sh", abs_out);
    ierr = write_script(script2, buf2);
  }
  if (!ierr && o->dry_run) {
    fputs(buf, stdout);
    if (buf2) {
      printf(
          "\n# then, after the array (sbatch --dependency=afterok:JOBID):\n");
      fputs(buf2, stdout);
    }
  }
  free(buf);
  free(buf2);
  free(paths);
  free(names);
  fm_scenario_free(&sc);
  if (ierr || o->dry_run)
    return ierr;

  char jobid[64], jobid2[64] = "";
  FM_CALL(sbatch(script, NULL, log, jobid, sizeof jobid));
  if (kind == KIND_SCENARIO) {
    char dep[128];
    snprintf(dep, sizeof dep, "--dependency=afterok:%s", jobid);
    FM_CALL(sbatch(script2, dep, log2, jobid2, sizeof jobid2));
  }
  /* register the job: femora status finds its outputs */
  char reg[4300], path[4400];
  jobs_dir(reg, sizeof reg);
  FM_CALL(fm_make_dirs(reg));
  snprintf(path, sizeof path, "%s/%s", reg, jobid);
  fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  fprintf(fp, "kind %s\nelements %d\noutdir %s\ntarget %s\nsummary_job %s\n",
          kind_name[kind], n, abs_out, abs_target, jobid2[0] ? jobid2 : "-");
  FM_CALL(fm_close_tmp(fp, path));
  FM_CALL(fm_rename_tmp(path));
  printf("%s\n", jobid);
  if (jobid2[0])
    fprintf(stderr, "femora: summary job %s runs after %s\n", jobid2, jobid);
  return 0;
}

static int file_has(const char *path, const char *needle) {
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  char line[2048];
  int found = 0;
  while (!found && fgets(line, sizeof line, f))
    found = strstr(line, needle) != NULL;
  fclose(f);
  return found;
}

static int exists(const char *p) {
  struct stat st;
  return !stat(p, &st);
}

int fm_status(const char *jobid) {
  /* a Slurm job id: digits (it goes into a file name and a command) */
  int digits = jobid[0] != 0;
  for (const char *c = jobid; *c; c++)
    digits &= *c >= '0' && *c <= '9';
  if (!digits || strlen(jobid) > 20)
    return fm_error("job '%s': not a Slurm job id (digits)", jobid);
  char reg[4300], path[4400];
  jobs_dir(reg, sizeof reg);
  snprintf(path, sizeof path, "%s/%s", reg, jobid);
  FILE *f = fopen(path, "r");
  if (!f)
    return fm_error(
        "job %s: not submitted by femora submit on this machine (%s)", jobid,
        path);
  /* "key value" lines, the value the rest of the line (paths may hold
   * blanks) */
  char kind[32] = "", outdir[4096] = "", target[4096] = "", sjob[64] = "";
  int n = -1, got = 0;
  char rec[4200];
  while (fgets(rec, sizeof rec, f)) {
    rec[strcspn(rec, "\n")] = 0;
    char *v = strchr(rec, ' ');
    if (!v)
      continue;
    *v++ = 0;
    if (!strcmp(rec, "kind"))
      got |= 1, snprintf(kind, sizeof kind, "%s", v);
    else if (!strcmp(rec, "elements"))
      got |= 2, n = atoi(v);
    else if (!strcmp(rec, "outdir"))
      got |= 4, snprintf(outdir, sizeof outdir, "%s", v);
    else if (!strcmp(rec, "target"))
      got |= 8, snprintf(target, sizeof target, "%s", v);
    else if (!strcmp(rec, "summary_job"))
      got |= 16, snprintf(sjob, sizeof sjob, "%s", v);
  }
  fclose(f);
  if (got != 31 || n < 0)
    return fm_error("%s: unreadable job record", path);
  /* queue state, when squeue answers */
  char cmd[256], line[512];
  snprintf(cmd, sizeof cmd, "squeue -h -r -j %s -o %%T 2>/dev/null", jobid);
  int pending = 0, running = 0;
  FILE *p = popen(cmd, "r");
  while (p && fgets(line, sizeof line, p)) {
    if (!strncmp(line, "PENDING", 7))
      pending++;
    else if (!strncmp(line, "RUNNING", 7) || !strncmp(line, "COMPLETING", 10))
      running++;
  }
  if (p)
    pclose(p);
  int done = 0, failed = 0, badchecks = 0;
  if (!strcmp(kind, "suite")) {
    int m = 0;
    char(*paths)[4096] = NULL, (*names)[512] = NULL;
    FM_CALL(fm_suite_find(target, &m, &paths, &names));
    for (int k = 0; k < m; k++) {
      snprintf(path, sizeof path, "%s/cases/%s/summary.json", outdir, names[k]);
      char chk[4800], slog[4800];
      snprintf(chk, sizeof chk, "%s/cases/%s/checks.txt", outdir, names[k]);
      snprintf(slog, sizeof slog, "%s/slurm-%s_%d.out", outdir, jobid, k);
      if (exists(path)) {
        done++;
        badchecks += file_has(chk, "FAIL\t");
      } else if (file_has(slog, "femora: error")) {
        failed++;
      }
    }
    free(paths);
    free(names);
    n = m;
  } else if (!strcmp(kind, "scenario")) {
    FmScenario s;
    FM_CALL(fm_scenario_read(target, &s));
    for (int k = 0; k < s.nages; k++) {
      char sdir[4300];
      fm_scenario_step_dir(outdir, &s, k, sdir, sizeof sdir);
      snprintf(path, sizeof path, "%s/step.txt", sdir);
      char slog[4800];
      snprintf(slog, sizeof slog, "%s/slurm-%s_%d.out", outdir, jobid, k);
      if (exists(path))
        done++;
      else if (file_has(slog, "femora: error"))
        failed++;
    }
    fm_scenario_free(&s);
  } else {
    n = 1;
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    char slog[4800];
    snprintf(slog, sizeof slog, "%s/slurm-%s.out", outdir, jobid);
    if (exists(path))
      done++;
    else if (file_has(slog, "femora: error"))
      failed++;
  }
  printf("job %s (%s, %d element%s): %d finished", jobid, kind, n,
         n == 1 ? "" : "s", done);
  if (!strcmp(kind, "suite"))
    printf(" (%d with failed checks)", badchecks);
  printf(", %d failed, %d running, %d pending", failed, running, pending);
  const int waiting = n - done - failed;
  if (waiting > running + pending)
    printf(", %d not started or lost", waiting - running - pending);
  if (!strcmp(kind, "scenario")) {
    snprintf(path, sizeof path, "%s/scenario.json", outdir);
    printf("; summary %s", exists(path)     ? "written"
                           : sjob[0] != '-' ? "waiting for job "
                                            : "not written");
    if (!exists(path) && sjob[0] != '-')
      printf("%s", sjob);
  }
  printf("\nresults: %s\n", outdir);
  return 0;
}
