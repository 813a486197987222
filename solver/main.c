/* femora: command-line interface.
 *
 *   femora run CASE.yaml [-o OUTDIR] [--np N] [--backend cpu|cuda|auto]
 *                        [--quiet] [-- PETSc options...]
 *   femora --version | help
 *
 * Also runnable as `mpirun -np N femora run ...`.  On error: exit status 1
 * and one line on stderr naming the file, the item and the fault. */
#ifdef FEMORA_HAVE_PETSC
#include <petscsys.h>
#endif
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "converge.h"
#include "error.h"
#include "generate.h"
#include "mesh.h"
#include "report.h"
#include "run.h"
#include "scenario.h"
#include "submit.h"
#include "suite.h"

static void usage(FILE *fp) {
  fprintf(
      fp,
      "usage: femora run CASE.yaml [-o OUTDIR] [--np N] [--backend "
      "cpu|ref|cuda|auto] [--preconditioner amg|pmg|jacobi] [--quiet] [-- "
      "PETSc options...]\n"
      "       femora scenario SCENARIO.yaml [-o OUTDIR] [--np N] [--backend B] "
      "[--preconditioner P] [-- PETSc options...]\n"
      "       femora report OUTDIR   (HTML report of a scenario's results)\n"
      "       femora converge CASE.yaml [--levels N] [--ratio R] [--parameter "
      "h] "
      "[-o OUTDIR]\n"
      "       femora submit CASE.yaml|SUITE_DIR|SCENARIO.yaml [-o OUTDIR] "
      "[--nodes N] "
      "[--ntasks-per-node M]\n"
      "                     [--gpus-per-node G] [--time HH:MM:SS] [--partition "
      "P] "
      "[--dry-run]\n"
      "       femora status JOBID\n"
      "       femora dump CASE.yaml -o SYSTEM.bin   (the assembled system, for "
      "external solvers)\n"
      "       femora generate implant -h SIZE -o MODEL.msh [--ascii]   "
      "(benchmark models, no Gmsh; binary MSH unless --ascii)\n"
      "       femora suite DIR [-o OUTDIR] [--jobs N] [--history FILE] "
      "[--max-slowdown X] [--backend B]\n"
      "       femora --version\n"
      "\n"
      "  -o OUTDIR     results directory (default: ./<case name>.out)\n"
      "  --np N        run on N MPI ranks (relaunches through mpiexec)\n"
      "  --backend B   solver backend (default: the case's solver.backend, "
      "else cpu)\n"
      "  --preconditioner P  amg, pmg (TET10: matrix-free p-multigrid) or "
      "jacobi\n"
      "                (default: the case's solver.preconditioner, else "
      "pmg for TET10, amg for TET4)\n"
      "  --quiet       no progress lines\n"
      "  -- ...        options passed to PETSc untouched, e.g. -ksp_monitor "
      "-log_view\n"
      "\n"
      "Outputs: OUTDIR/summary.json, one VTU per load case, femora.log;\n"
      "a scenario: OUTDIR/scenario.json, scenario.csv, age_*/ per step.\n"
      "Documentation: docs/cli.md and docs/case-file.md.\n");
}

/* A backend name femora knows (whether this build has it is told later,
 * with the reason). */
static int known_backend(const char *b) {
  return !strcmp(b, "cpu") || !strcmp(b, "ref") || !strcmp(b, "cuda") ||
         !strcmp(b, "auto");
}

/* A whole number in [lo, hi] for option opt, the whole text read, or a
 * one-line error (returns 2, the usage exit status). */
static int opt_int(const char *opt, const char *text, long lo, long hi,
                   int *out) {
  char *end = NULL;
  errno = 0;
  const long v = strtol(text, &end, 10);
  if (!*text || *end || errno || v < lo || v > hi) {
    fprintf(stderr,
            "femora: error: %s '%s': expected a whole number from %ld to "
            "%ld\n",
            opt, text, lo, hi);
    return 2;
  }
  *out = (int)v;
  return 0;
}

/* A finite number above lo and at most hi. */
static int opt_num(const char *opt, const char *text, double lo, double hi,
                   double *out) {
  char *end = NULL;
  errno = 0;
  const double v = strtod(text, &end);
  if (!*text || *end || errno || !isfinite(v) || !(v > lo) || v > hi) {
    fprintf(stderr,
            "femora: error: %s '%s': expected a number above %g and at most "
            "%g\n",
            opt, text, lo, hi);
    return 2;
  }
  *out = v;
  return 0;
}

/* An option of names (those that take a value) given last without its
 * value (it was "unknown"), or with an empty one: named. */
static int bad_value(char **argv, int i, int argc, const char *const *names) {
  for (; *names; names++) {
    if (strcmp(argv[i], *names))
      continue;
    if (i + 1 >= argc || !argv[i + 1][0]) {
      fprintf(stderr, "femora: error: %s%s\n", argv[i],
              i + 1 >= argc ? " needs a value" : ": the value is empty");
      return 1;
    }
  }
  return 0;
}

/* An option given twice (the first would be overridden silently): named.
 * Called with each argument that is not an option's value. */
typedef struct {
  const char *seen[32];
  int n;
} Seen;

static int given_twice(Seen *s, const char *cmd, const char *arg) {
  if (arg[0] != '-' || !strcmp(arg, "--"))
    return 0;
  for (int k = 0; k < s->n; k++)
    if (!strcmp(s->seen[k], arg)) {
      fprintf(stderr, "femora: error: %s: option %s given twice\n", cmd, arg);
      return 1;
    }
  if (s->n < 32)
    s->seen[s->n++] = arg;
  return 0;
}

#ifdef FEMORA_HAVE_MPI
static int under_mpi(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") ||
         getenv("PMIX_RANK");
}

/* femora run ... --np N: start N ranks of this very program through mpiexec.
 * Running as root needs OpenMPI's explicit consent; more ranks than cores
 * need --oversubscribe. */
static int relaunch(int np, int np_at, int argc, char **argv) {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fprintf(stderr, "femora: error: --np: cannot find the femora executable\n");
    return 1;
  }
  self[n] = 0;
  char npbuf[32];
  snprintf(npbuf, sizeof npbuf, "%d", np);
  char **args = calloc(argc + 8, sizeof(char *));
  if (!args)
    return 1;
  int k = 0;
  args[k++] = "mpiexec";
  args[k++] = "--oversubscribe";
  args[k++] = "-n";
  args[k++] = npbuf;
  args[k++] = self;
  for (int i = 1; i < argc; i++) {
    if (i == np_at) { /* the --np option parsed (not a value "--np") */
      i++;
      continue;
    }
    if (!strcmp(argv[i], "--")) {
      for (; i < argc; i++)
        args[k++] = argv[i];
      break;
    }
    args[k++] = argv[i];
  }
  args[k] = NULL;
  if (geteuid() == 0) {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
  }
  fflush(stdout);
  execvp("mpiexec", args);
  fprintf(stderr,
          "femora: error: --np %d: cannot start mpiexec (is OpenMPI "
          "installed? scripts/setup installs it)\n",
          np);
  free(args);
  return 1;
}
#endif

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "--help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
    printf("femora %s\n", FEMORA_VERSION);
    return 0;
  }
  if (!strcmp(argv[1], "report")) {
    if (argc != 3) {
      fprintf(stderr, "usage: femora report OUTDIR\n");
      return 2;
    }
    if (fm_report_write(argv[2])) {
      fprintf(stderr, "femora: error: %s\n", fm_error_message());
      return 1;
    }
    printf("report: %s/report.html\n", argv[2]);
    return 0;
  }
  if (!strcmp(argv[1], "dump")) {
    if (argc != 5 || strcmp(argv[3], "-o")) {
      fprintf(stderr, "usage: femora dump CASE.yaml -o SYSTEM.bin\n");
      return 2;
    }
#ifdef FEMORA_HAVE_MPI
    MPI_Init(NULL, NULL);
#endif
    const int ierr = fm_dump_system(argv[2], argv[4]);
    if (ierr)
      fprintf(stderr, "femora: error: %s\n", fm_error_message());
#ifdef FEMORA_HAVE_MPI
    MPI_Finalize();
#endif
    return ierr ? 1 : 0;
  }
  if (!strcmp(argv[1], "generate")) {
    double hh = 0;
    const char *out = NULL;
    int ascii = 0, bad = 0;
    Seen seen = {{0}, 0};
    for (int i = 3; i < argc; i++) {
      if (given_twice(&seen, "generate", argv[i]))
        return 2;
      if (!strcmp(argv[i], "-h") && i + 1 < argc) {
        if (opt_num("generate: -h", argv[++i], 0, 1e300, &hh))
          return 2;
      } else if (!strcmp(argv[i], "-o") && i + 1 < argc)
        out = argv[++i];
      else if (!strcmp(argv[i], "--ascii"))
        ascii = 1;
      else
        bad = 1;
    }
    if (argc < 3 || strcmp(argv[2], "implant") || !out || !(hh > 0) || bad) {
      fprintf(stderr, "usage: femora generate implant -h SIZE -o MODEL.msh "
                      "[--ascii]\n");
      return 2;
    }
    FmMesh gm;
    int ierr = fm_generate_implant(hh, &gm);
    if (!ierr) /* binary MSH 4.1 unless asked: read several times faster */
      ierr = fm_mesh_write_msh(&gm, out, !ascii);
    if (!ierr)
      printf("%s: %d nodes, %d TET4 elements (order: 2 in a case makes them "
             "TET10)\n",
             out, gm.nnodes, gm.nelem);
    fm_mesh_free(&gm);
    if (ierr) {
      fprintf(stderr, "femora: error: %s\n", fm_error_message());
      return 1;
    }
    return 0;
  }
  if (!strcmp(argv[1], "status")) {
    if (argc != 3) {
      fprintf(stderr, "usage: femora status JOBID\n");
      return 2;
    }
    if (fm_status(argv[2])) {
      fprintf(stderr, "femora: error: %s\n", fm_error_message());
      return 1;
    }
    return 0;
  }
  if (!strcmp(argv[1], "submit")) {
    FmSubmitOptions so = {NULL, NULL, NULL, 1, 1, 0, "01:00:00", NULL, 0};
    Seen seen = {{0}, 0};
    for (int i = 2; i < argc; i++) {
      if (given_twice(&seen, "submit", argv[i]))
        return 2;
      if (!strcmp(argv[i], "-o") && i + 1 < argc)
        so.outdir = argv[++i];
      else if (!strcmp(argv[i], "--nodes") && i + 1 < argc) {
        if (opt_int("submit: --nodes", argv[++i], 1, 100000, &so.nodes))
          return 2;
      } else if (!strcmp(argv[i], "--ntasks-per-node") && i + 1 < argc) {
        if (opt_int("submit: --ntasks-per-node", argv[++i], 1, 100000,
                    &so.ntasks_per_node))
          return 2;
      } else if (!strcmp(argv[i], "--gpus-per-node") && i + 1 < argc) {
        if (opt_int("submit: --gpus-per-node", argv[++i], 0, 1024,
                    &so.gpus_per_node))
          return 2;
      } else if (!strcmp(argv[i], "--time") && i + 1 < argc)
        so.time = argv[++i];
      else if (!strcmp(argv[i], "--partition") && i + 1 < argc)
        so.partition = argv[++i];
      else if (!strcmp(argv[i], "--dry-run"))
        so.dry_run = 1;
      else if (argv[i][0] != '-' && !so.target)
        so.target = argv[i];
      else {
        fprintf(stderr,
                "femora: error: submit: unknown or incomplete option '%s'\n",
                argv[i]);
        return 2;
      }
    }
    int h = 0, m = 0, sec = 0, used = -1;
    /* the time and partition go into the job script: nothing but what
     * Slurm takes there (a newline would start another #SBATCH line) */
    int part_ok = 1;
    for (const char *c = so.partition; c && *c; c++)
      if (!(isalnum((unsigned char)*c) || strchr("_-.,", *c)))
        part_ok = 0;
    if (so.partition && !*so.partition)
      part_ok = 0;
    if (!so.target || so.nodes < 1 || so.ntasks_per_node < 1 ||
        so.gpus_per_node < 0 ||
        sscanf(so.time, "%d:%d:%d%n", &h, &m, &sec, &used) != 3 ||
        used != (int)strlen(so.time) || h < 0 || m < 0 || m > 59 || sec < 0 ||
        sec > 59 || !part_ok) {
      fprintf(
          stderr,
          "usage: femora submit CASE.yaml|SUITE_DIR|SCENARIO.yaml [-o OUTDIR] "
          "[--nodes N>=1] [--ntasks-per-node M>=1] [--gpus-per-node G] "
          "[--time HH:MM:SS] [--partition P] [--dry-run]\n");
      return 2;
    }
    char defo[4200];
    if (!so.outdir) {
      /* ./NAME.job: NAME the target's last component, without trailing
       * slashes and without .yaml/.yml (sdir/ made sdir/.job inside the
       * suite, e2.yaml made e2.yaml.job) */
      char base[4096];
      snprintf(base, sizeof base, "%s", so.target);
      size_t len = strlen(base);
      while (len > 1 && base[len - 1] == '/')
        base[--len] = 0;
      const char *slash = strrchr(base, '/');
      char *name = slash && slash[1] ? (char *)slash + 1 : base;
      char *dot = strrchr(name, '.');
      if (dot && dot != name && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
        *dot = 0;
      if (!name[0] || !strcmp(name, "/") || !strcmp(name, ".") ||
          !strcmp(name, ".."))
        name = "femora";
      snprintf(defo, sizeof defo, "%s.job", name);
      so.outdir = defo;
    }
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
      fprintf(stderr,
              "femora: error: submit: cannot find the femora executable\n");
      return 1;
    }
    self[n] = 0;
    so.femora = self;
    if (fm_submit(&so)) {
      fprintf(stderr, "femora: error: %s\n", fm_error_message());
      return 1;
    }
    return 0;
  }
  if (!strcmp(argv[1], "suite")) {
    FmSuiteOptions so = {NULL, "suite.out", NULL, 1, 0.0, NULL, NULL};
    Seen seen = {{0}, 0};
    for (int i = 2; i < argc; i++) {
      if (given_twice(&seen, "suite", argv[i]))
        return 2;
      if (!strcmp(argv[i], "-o") && i + 1 < argc)
        so.outdir = argv[++i];
      else if (!strcmp(argv[i], "--jobs") && i + 1 < argc) {
        if (opt_int("suite: --jobs", argv[++i], 1, 4096, &so.jobs))
          return 2;
      } else if (!strcmp(argv[i], "--history") && i + 1 < argc)
        so.history = argv[++i];
      else if (!strcmp(argv[i], "--max-slowdown") && i + 1 < argc) {
        if (opt_num("suite: --max-slowdown", argv[++i], 1, 1e6,
                    &so.max_slowdown))
          return 2;
      } else if (!strcmp(argv[i], "--backend") && i + 1 < argc)
        so.backend = argv[++i];
      else if (argv[i][0] != '-' && !so.dir)
        so.dir = argv[i];
      else {
        fprintf(stderr,
                "femora: error: suite: unknown or incomplete option '%s'\n",
                argv[i]);
        return 2;
      }
    }
    if (!so.dir || so.jobs < 1 || so.max_slowdown < 0 ||
        (so.backend && !known_backend(so.backend))) {
      fprintf(
          stderr,
          "usage: femora suite DIR [-o OUTDIR] [--jobs N>=1] [--history FILE] "
          "[--max-slowdown X>1] [--backend cpu|ref|cuda|auto]\n");
      return 2;
    }
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
      fprintf(stderr,
              "femora: error: suite: cannot find the femora executable\n");
      return 1;
    }
    self[n] = 0;
    so.femora = self;
    int nfailed = 0;
    if (fm_suite_run(&so, &nfailed)) {
      fprintf(stderr, "femora: error: %s\n", fm_error_message());
      return 1;
    }
    return nfailed ? 1 : 0;
  }
  const int scenario = !strcmp(argv[1], "scenario");
  const int converge = !strcmp(argv[1], "converge");
  if (strcmp(argv[1], "run") != 0 && !scenario && !converge) {
    fprintf(stderr, "femora: error: unknown command '%s' (try: femora help)\n",
            argv[1]);
    return 2;
  }
  const char *case_path = NULL, *outdir = NULL, *backend = NULL, *param = "h",
             *pc = NULL;
  int np = 0, np_at = -1, quiet = 0, petsc_first = argc, levels = 3, step = -1;
  double ratio = 1.5;
  static const char *const valued[] = {
      "-o",     "--np",     "--backend", "--preconditioner",
      "--step", "--levels", "--ratio",   "--parameter",
      NULL};
  Seen seen = {{0}, 0};
  for (int i = 2; i < argc; i++) {
    if (bad_value(argv, i, argc, valued) ||
        given_twice(&seen, argv[1], argv[i]))
      return 2;
    if (!strcmp(argv[i], "--")) {
      petsc_first = i + 1;
      break;
    } else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
      outdir = argv[++i];
    } else if (!strcmp(argv[i], "--np") && i + 1 < argc) {
      np_at = i;
      if (opt_int("--np", argv[++i], 1, 4096, &np))
        return 2;
    } else if (!strcmp(argv[i], "--backend") && i + 1 < argc) {
      backend = argv[++i];
    } else if (!converge && !strcmp(argv[i], "--preconditioner") &&
               i + 1 < argc) {
      pc = argv[++i];
    } else if (scenario && !strcmp(argv[i], "--step") && i + 1 < argc) {
      if (opt_int("--step", argv[++i], 0, 1000000, &step))
        return 2;
    } else if (converge && !strcmp(argv[i], "--levels") && i + 1 < argc) {
      if (opt_int("--levels", argv[++i], 2, FM_CONVERGE_MAX_LEVELS, &levels))
        return 2;
    } else if (converge && !strcmp(argv[i], "--ratio") && i + 1 < argc) {
      if (opt_num("--ratio", argv[++i], 1, 10, &ratio))
        return 2;
    } else if (converge && !strcmp(argv[i], "--parameter") && i + 1 < argc) {
      param = argv[++i];
    } else if (!strcmp(argv[i], "--quiet")) {
      quiet = 1;
    } else if (argv[i][0] == '-') {
      fprintf(stderr,
              "femora: error: unknown option '%s' (PETSc options go "
              "after --)\n",
              argv[i]);
      return 2;
    } else if (!case_path) {
      case_path = argv[i];
    } else {
      fprintf(stderr, "femora: error: more than one case file given ('%s')\n",
              argv[i]);
      return 2;
    }
  }
  if (!case_path) {
    fprintf(stderr,
            "femora: error: %s: no %s file given (usage: femora %s %s.yaml "
            "...; femora help)\n",
            argv[1], scenario ? "scenario" : "case", argv[1],
            scenario ? "SCENARIO" : "CASE");
    return 2;
  }
  /* names checked before anything is read, meshed or written */
  if (backend && !known_backend(backend)) {
    fprintf(stderr,
            "femora: error: --backend %s: unknown (choose cpu, ref, cuda or "
            "auto)\n",
            backend);
    return 2;
  }
  if (pc && strcmp(pc, "amg") && strcmp(pc, "pmg") && strcmp(pc, "jacobi")) {
    fprintf(stderr,
            "femora: error: --preconditioner %s: must be amg, pmg or jacobi\n",
            pc);
    return 2;
  }
#ifdef FEMORA_HAVE_MPI
  if (np > 1 && !under_mpi())
    return relaunch(np, np_at, argc, argv);
#else
  (void)np_at;
  if (np > 1) {
    fprintf(stderr,
            "femora: error: --np %d: this build has no MPI (built "
            "with FEMORA_WITH_PETSC=OFF)\n",
            np);
    return 2;
  }
#endif

  char defout[4200];
  if (!outdir) {
    const char *base = strrchr(case_path, '/');
    base = base ? base + 1 : case_path;
    snprintf(defout, sizeof defout, "%s", base);
    char *dot = strrchr(defout, '.');
    if (dot && dot != defout)
      *dot = 0;
    strncat(defout, ".out", sizeof defout - strlen(defout) - 1);
    outdir = defout;
  }

#ifdef FEMORA_HAVE_PETSC
  /* PETSc sees only the options after "--" */
  int pargc = 1 + (argc - petsc_first);
  char **pargv = calloc(pargc + 1, sizeof(char *));
  if (!pargv)
    return 1;
  pargv[0] = argv[0];
  for (int i = petsc_first; i < argc; i++)
    pargv[1 + i - petsc_first] = argv[i];
  if (PetscInitialize(&pargc, &pargv, NULL, NULL)) {
    fprintf(stderr, "femora: error: PETSc failed to initialize\n");
    return 1;
  }
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  const MPI_Comm comm = PETSC_COMM_WORLD;
#else
  if (petsc_first < argc) {
    fprintf(stderr,
            "femora: error: options after -- go to PETSc, and this "
            "build has none ('%s')\n",
            argv[petsc_first]);
    return 2;
  }
  const MPI_Comm comm = MPI_COMM_WORLD;
#endif
  int rank;
  MPI_Comm_rank(comm, &rank);
  /* ranks on one node share its cores (run.h) */
  fm_share_cores(fm_local_ranks(comm));

  FmRunOptions opt = {outdir, backend, quiet, pc};
  int ierr;
  if (converge) {
    FmConvergeOptions co = {outdir, param, levels, ratio, backend, quiet};
    FmConvergeResult cr;
    ierr = fm_converge(comm, case_path, &co, &cr);
  } else if (scenario) {
    FmScenarioResult sr;
    ierr = fm_scenario_run_step(comm, case_path, &opt, step, &sr);
    fm_scenario_result_free(&sr);
  } else {
    FmRun run;
    ierr = fm_run(comm, case_path, &opt, &run);
    fm_run_free(&run);
  }
  if (ierr && rank == 0)
    fprintf(stderr, "femora: error: %s\n", fm_error_message());
#ifdef FEMORA_HAVE_PETSC
  PetscFinalize();
  free(pargv);
#endif
  return ierr ? 1 : 0;
}
