#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "error.h"
#include "geometry.h"
#include "output.h"

/* the OpenMP threads this process starts (1 without OpenMP) */
static int omp_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/* ---- logging: progress lines on stdout (rank 0) and in OUTDIR/femora.log */
typedef struct {
  int rank, quiet;
  FILE *log;
} Log;

static void logf_(Log *L, const char *fmt, ...) FM_PRINTF(2, 3);
static void logf_(Log *L, const char *fmt, ...) {
  if (L->rank != 0)
    return;
  va_list ap;
  if (!L->quiet) {
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
  }
  if (L->log) {
    va_start(ap, fmt);
    vfprintf(L->log, fmt, ap);
    va_end(ap);
    fputc('\n', L->log);
    fflush(L->log);
  }
}

/* A progress line while a load case is being solved: at most one every
 * FEMORA_PROGRESS_SECONDS (default 10) seconds of the solve, so short runs
 * print none. */
typedef struct {
  Log *L;
  const FmModel *md;
  double every, start, last;
} Progress;

static void progress_line(void *ctx, int lc, int it, double rel) {
  Progress *p = ctx;
  const double t = MPI_Wtime();
  if (t - p->last < p->every)
    return;
  p->last = t;
  logf_(p->L, "  solve '%s': iteration %d, relative residual %.2e (%.1f s)",
        p->md->cs.load_cases[lc].name, it, rel, t - p->start);
}

/* Peak resident memory of this process so far, in MB. */
static double peak_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

int fm_sync_error(MPI_Comm comm, int ierr) {
  int rank, size, who, me;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  me = ierr ? rank : size;
  MPI_Allreduce(&me, &who, 1, MPI_INT, MPI_MIN, comm);
  if (who == size)
    return 0;
  static char msg[12288]; /* as fm_errbuf */
  snprintf(msg, sizeof msg, "%s", fm_error_message());
  MPI_Bcast(msg, sizeof msg, MPI_CHAR, who, comm);
  fm_error("%s", msg);
  return 1;
}

/* Output file name for a load case: its name with unsafe characters
 * replaced. */
static void vtu_path(const char *outdir, const char *lcname, char *out,
                     size_t n) {
  char safe[FM_NAME_MAX];
  fm_case_file_stem(lcname, safe, sizeof safe);
  snprintf(out, n, "%s/%s.vtu", outdir, safe);
}

/* The path of this run's result k in OUTDIR, in the order they are renamed
 * into place: the load cases' VTU files (k < nvtu), fatigue.vtu, checks.txt,
 * summary.json. */
static void result_path(const FmModel *md, const char *outdir, int k, int nvtu,
                        char *path, size_t n) {
  static const char *const last[3] = {"fatigue.vtu", "checks.txt",
                                      "summary.json"};
  if (k < nvtu)
    vtu_path(outdir, md->cs.load_cases[k].name, path, n);
  else
    snprintf(path, n, "%s/%s", outdir, last[k - nvtu]);
}

/* The recovered fields of one load case as one array (spread runs: made
 * by the rank that solved it, sent to rank 0): stress (6 per node copy),
 * von Mises (1), principal stresses (3), internal forces (3 per node);
 * part[k] and len[k] (doubles) each of the four in fld, the whole's length
 * returned. */
static size_t fields_parts(const FmModel *md, const FmPost *post, double *fld,
                           double **part, size_t *len) {
  const size_t nc = (size_t)post->ncopy,
               n[4] = {6 * nc, nc, 3 * nc, 3 * (size_t)md->mesh.nnodes};
  size_t at = 0;
  for (int k = 0; k < 4; k++) {
    if (part)
      part[k] = fld + at;
    if (len)
      len[k] = n[k];
    at += n[k];
  }
  return at;
}

static size_t fields_size(const FmModel *md, const FmPost *post) {
  return fields_parts(md, post, NULL, NULL, NULL);
}

static int owner_fields(FmBackend *be, const FmModel *md, const FmPost *post,
                        const double *u, double *fld) {
  double *p[4];
  fields_parts(md, post, fld, p, NULL);
  return be->fields ? be->fields(be, md, post, u, p[0], p[1], p[2], p[3])
                    : fm_recover_fields(md, post, u, p[0], p[1], p[2], p[3]);
}

/* FmFieldsFn over fields made elsewhere (ctx: owner_fields's array) */
static int given_fields(void *ctx, const FmModel *md, const FmPost *post,
                        const double *u, double *stress, double *vm,
                        double *princ, double *fint) {
  double *p[4], *to[4] = {stress, vm, princ, fint};
  size_t len[4];
  (void)u;
  fields_parts(md, post, ctx, p, len);
  for (int k = 0; k < 4; k++)
    memcpy(to[k], p[k], len[k] * sizeof(double));
  return 0;
}

/* n doubles from one rank to another, in pieces of at most 2^27 (MPI
 * counts are ints) */
#define FM_MSG_DOUBLES ((size_t)1 << 27)
static void send_doubles(const double *v, size_t n, int to, MPI_Comm comm) {
  for (size_t k = 0; k < n; k += FM_MSG_DOUBLES)
    MPI_Send(v + k, (int)(n - k < FM_MSG_DOUBLES ? n - k : FM_MSG_DOUBLES),
             MPI_DOUBLE, to, 17, comm);
}

static void recv_doubles(double *v, size_t n, int from, MPI_Comm comm) {
  for (size_t k = 0; k < n; k += FM_MSG_DOUBLES)
    MPI_Recv(v + k, (int)(n - k < FM_MSG_DOUBLES ? n - k : FM_MSG_DOUBLES),
             MPI_DOUBLE, from, 17, comm, MPI_STATUS_IGNORE);
}

static int run_pipeline(MPI_Comm comm, FmCase *cs, const FmRunOptions *opt,
                        FmRun *run, Log *L, double t0) {
  int rank, ierr;
  MPI_Comm_rank(comm, &rank);
  FmModel *md = &run->md;
  const char *outdir = opt->outdir;

  /* case and mesh */
  md->cs = *cs; /* taken over */
  memset(cs, 0, sizeof *cs);
  const char *case_path = md->cs.path;
  if (opt->backend && opt->backend[0])
    snprintf(md->cs.backend, sizeof md->cs.backend, "%s", opt->backend);
  if (opt->pc && opt->pc[0]) {
    if (strcmp(opt->pc, "amg") && strcmp(opt->pc, "pmg") &&
        strcmp(opt->pc, "jacobi"))
      return fm_error("%s: --preconditioner %s: must be amg, pmg or jacobi",
                      case_path, opt->pc);
    snprintf(md->cs.pc, sizeof md->cs.pc, "%s", opt->pc);
  }
  logf_(L, "femora %s: %s", FEMORA_VERSION,
        md->cs.title[0] ? md->cs.title : case_path);
  char msh[4200];
  if (md->cs.geo_file[0]) {
    if (!outdir)
      return fm_error("%s: mesh.geo needs an output directory for the mesh",
                      case_path);
    snprintf(msh, sizeof msh, "%s/mesh.msh", outdir);
    ierr = 0;
    if (rank == 0) {
      logf_(L, "meshing %s through the Gmsh API", md->cs.geo_file);
      ierr = fm_geometry_mesh(md->cs.geo_file, md->cs.nparams,
                              (const char(*)[128])md->cs.param_name,
                              md->cs.param_value, md->cs.order, msh);
    }
    FM_CALL(fm_sync_error(comm, ierr));
  } else {
    snprintf(msh, sizeof msh, "%s", md->cs.mesh_file);
  }
  ierr = fm_model_build(md, msh);
  if (!ierr)
    ierr = fm_post_init(md, &run->post);
  FM_CALL(fm_sync_error(comm, ierr));
  const double t1 = MPI_Wtime();
  run->t.mesh = t1 - t0;
  logf_(L, "mesh: %s: %d nodes, %d TET%d elements, %d DOFs (%.2f s)", msh,
        md->mesh.nnodes, md->mesh.nelem, md->mesh.npe, 3 * md->mesh.nnodes,
        run->t.mesh);
  double lo[3] = {HUGE_VAL, HUGE_VAL, HUGE_VAL},
         hi[3] = {-HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
  for (int i = 0; i < md->mesh.nnodes; i++)
    for (int k = 0; k < 3; k++) {
      lo[k] = fmin(lo[k], md->mesh.x[3 * (size_t)i + k]);
      hi[k] = fmax(hi[k], md->mesh.x[3 * (size_t)i + k]);
    }
  run->model_size = sqrt((hi[0] - lo[0]) * (hi[0] - lo[0]) +
                         (hi[1] - lo[1]) * (hi[1] - lo[1]) +
                         (hi[2] - lo[2]) * (hi[2] - lo[2]));
  /* near incompressibility: TET4 locks (a review's study: the Lame
   * cylinder's hoop stress 10% low at nu 0.49, 28% at 0.499), and TET10's
   * stresses converge slowly (14% high at 0.499 on the mesh where 0.3 gives
   * 0.8%) */
  for (int g = 0; g < md->cs.nmaterials; g++) {
    const double nu = md->cs.materials[g].nu;
    if (md->mesh.npe == 4 && nu > 0.45)
      logf_(L,
            "  note: material '%s' has nu = %g: linear tetrahedra (TET4) lock "
            "near incompressibility (displacements and stresses far too "
            "small); use mesh.order: 2",
            md->cs.materials[g].group, nu);
    else if (nu >= 0.49)
      logf_(L,
            "  note: material '%s' has nu = %g: near incompressibility the "
            "stresses converge slowly with the mesh (no mixed formulation): "
            "check them with femora converge",
            md->cs.materials[g].group, nu);
  }
  if (md->nparts > 1)
    logf_(L,
          "  note: the mesh is %d separate parts (they share no nodes), "
          "each held by its own constraints: volumes that touch carry no load "
          "across unless meshed together (Gmsh: BooleanFragments)",
          md->nparts);

  /* assemble and set up: a one-process backend (ref, cuda) under MPI runs
   * on every rank with the whole model, and the load cases are spread over
   * the ranks (each rank its GPU) */
  int size;
  MPI_Comm_size(comm, &size);
  FmBackend be;
  ierr = fm_backend_create(md->cs.backend, comm, md, &be);
  /* every rank must take the same road (auto may find a GPU on some nodes
   * and not on others) */
  int one[3] = {ierr ? 0 : be.one_process, ierr ? 0 : -be.one_process,
                -(ierr != 0)};
  MPI_Allreduce(MPI_IN_PLACE, one, 3, MPI_INT, MPI_MIN, comm);
  /* (a rank that failed: its own error, through the sync below) */
  if (!ierr && one[2] == 0 && one[0] != -one[1])
    ierr = fm_error("%s: solver.backend: %s chose a GPU on some ranks and "
                    "not on others; name the backend (cpu or cuda)",
                    md->cs.path, md->cs.backend);
  const int spread = !ierr && one[0] && size > 1;
  if (spread) {
    fm_backend_destroy(&be);
    ierr = fm_backend_create(md->cs.backend, MPI_COMM_SELF, md, &be);
  }
  if (!ierr)
    run->backend = be.name; /* a string literal: outlives be */
  Progress prog = {L, md, 10.0, 0.0, 0.0};
  const char *pe = getenv("FEMORA_PROGRESS_SECONDS");
  if (!ierr && pe && *pe) {
    char *end;
    prog.every = strtod(pe, &end);
    if (*end || !(prog.every >= 0))
      ierr = fm_error("%s: FEMORA_PROGRESS_SECONDS=%s: must be a number of "
                      "seconds >= 0",
                      md->cs.path, pe);
  }
  ierr = fm_sync_error(comm, ierr);
  if (ierr) {
    fm_backend_destroy(&be);
    return ierr;
  }
  be.progress = progress_line;
  be.progress_ctx = &prog;
  ierr = be.assemble(&be);
  ierr = fm_sync_error(comm, ierr);
  const double t2 = MPI_Wtime();
  run->t.assembly = t2 - t1;
  if (!ierr) {
    if (spread)
      logf_(L,
            "assembly: %s backend on each of %d ranks, the load cases "
            "spread over them (%.2f s, peak memory %.0f MB on rank 0)",
            be.name, run->ranks, run->t.assembly, peak_mb());
    else
      logf_(L,
            "assembly: %s backend, %d rank%s (%.2f s, peak memory %.0f MB "
            "on rank 0)",
            be.name, run->ranks, run->ranks > 1 ? "s" : "", run->t.assembly,
            peak_mb());
    ierr = fm_sync_error(comm, be.setup(&be));
  }
  const double t3 = MPI_Wtime();
  run->t.setup = t3 - t2 - be.untimed_seconds; /* (a benchmark's probe) */
  snprintf(run->pc_detail, sizeof run->pc_detail, "%s", be.pc_detail);
  if (!ierr)
    logf_(L,
          "setup: preconditioner (%.2f s, peak memory %.0f MB on rank 0)%s%s",
          run->t.setup, peak_mb(), be.pc_detail[0] ? "; " : "", be.pc_detail);

  /* solve every load case with the same operator */
  run->nlc = md->cs.nload_cases;
  run->res = fm_calloc(run->nlc, sizeof *run->res);
  run->info = fm_calloc(run->nlc, sizeof *run->info);
  if (!run->res || !run->info)
    ierr = 1;
  double *f = NULL, *lc_time = NULL;
  double **us = NULL; /* spread: the solutions, until recovered */
  double **fs = NULL; /* spread: their fields, made by the owner */
  const size_t nfield = fields_size(md, &run->post);
  if (!ierr) {
    f = fm_calloc(3 * (size_t)md->mesh.nnodes, sizeof(double));
    lc_time = fm_calloc((size_t)run->nlc + 1, sizeof(double));
    us = fm_calloc((size_t)run->nlc + 1, sizeof(double *));
    fs = fm_calloc((size_t)run->nlc + 1, sizeof(double *));
    if (!f || !lc_time || !us || !fs)
      ierr = 1;
  }
  ierr = fm_sync_error(comm, ierr); /* an allocation may fail on one rank */
  if (spread && !ierr) {
    /* each rank solves its own load cases, with no communication, and
     * recovers their fields where the solution is (its GPU: only result
     * fields come down; or its cores) */
    const double ts = MPI_Wtime();
    double trec = 0.0;
    for (int lc = rank; lc < run->nlc && !ierr; lc += size) {
      us[lc] = fm_calloc(3 * (size_t)md->mesh.nnodes, sizeof(double));
      fs[lc] = fm_calloc(nfield, sizeof(double));
      ierr = !us[lc] || !fs[lc];
      if (!ierr)
        ierr = fm_model_load_vector(md, lc, f);
      const double t = MPI_Wtime();
      prog.start = prog.last = t;
      if (!ierr)
        ierr = be.solve(&be, lc, f, us[lc], &run->info[lc]);
      const double tr = MPI_Wtime();
      lc_time[lc] = tr - t;
      if (!ierr)
        ierr = owner_fields(&be, md, &run->post, us[lc], fs[lc]);
      trec += MPI_Wtime() - tr;
    }
    ierr = fm_sync_error(comm, ierr);
    /* solve and recovery each the slowest rank's (the phase's wall time
     * less the recovery, wherever it was longest) */
    double tsolve = MPI_Wtime() - ts - trec;
    MPI_Allreduce(MPI_IN_PLACE, &trec, 1, MPI_DOUBLE, MPI_MAX, comm);
    MPI_Allreduce(MPI_IN_PLACE, &tsolve, 1, MPI_DOUBLE, MPI_MAX, comm);
    run->t.recovery += trec;
    run->t.solve = tsolve;
  }
  for (int lc = 0; lc < run->nlc && !ierr; lc++) {
    double *u = NULL;
    double ts = MPI_Wtime(), te = ts;
    if (spread) {
      /* the owner's solution, iterations and time to every rank */
      const int owner = lc % size;
      u = us[lc] ? us[lc]
                 : fm_calloc(3 * (size_t)md->mesh.nnodes, sizeof(double));
      us[lc] = NULL;
      ierr = fm_sync_error(comm, !u);
      if (ierr) {
        free(u);
        break;
      }
      double meta[3] = {(double)run->info[lc].iterations,
                        run->info[lc].residual, lc_time[lc]};
      MPI_Bcast(meta, 3, MPI_DOUBLE, owner, comm);
      MPI_Bcast(u, 3 * md->mesh.nnodes, MPI_DOUBLE, owner, comm);
      run->info[lc].iterations = (int)meta[0];
      run->info[lc].residual = meta[1];
      lc_time[lc] = meta[2];
      /* the owner's fields to rank 0 (its memory first: a failure there
       * stops every rank before anything is sent) */
      if (owner != 0 && rank == 0) {
        fs[lc] = fm_calloc(nfield, sizeof(double));
        ierr = !fs[lc];
      }
      ierr = fm_sync_error(comm, ierr);
      if (ierr) {
        free(u);
        break;
      }
      if (owner != 0 && rank == owner)
        send_doubles(fs[lc], nfield, 0, comm);
      if (owner != 0 && rank == 0)
        recv_doubles(fs[lc], nfield, owner, comm);
      ierr = fm_model_load_vector(md, lc, f);
      ierr = fm_sync_error(comm, ierr);
      /* te stays ts: gathering the results counts as recovery */
    } else {
      u = fm_calloc(3 * (size_t)md->mesh.nnodes, sizeof(double));
      ierr = fm_sync_error(comm, !u);
      if (ierr) {
        free(u);
        break;
      }
      ierr = fm_model_load_vector(md, lc, f);
      ierr = fm_sync_error(comm, ierr);
      ts = MPI_Wtime();
      prog.start = prog.last = ts;
      if (!ierr)
        ierr = fm_sync_error(comm, be.solve(&be, lc, f, u, &run->info[lc]));
      te = MPI_Wtime();
      run->t.solve += te - ts;
      lc_time[lc] = te - ts;
    }
    if (ierr) {
      free(u);
      break;
    }
    if (rank == 0) {
      /* spread: the owner's fields; else the GPU's own recovery (it holds
       * this solution) or the host's */
      if (spread)
        ierr = fm_recover_ex(md, &run->post, u, f, &run->res[lc], given_fields,
                             fs[lc]);
      else
        ierr =
            fm_recover_ex(md, &run->post, u, f, &run->res[lc], be.fields, &be);
    } else {
      run->res[lc].u = u;
    }
    if (fs) {
      free(fs[lc]);
      fs[lc] = NULL;
    }
    if (!ierr && rank == 0 && !isfinite(run->res[lc].max_displacement))
      ierr = fm_error("%s: load_cases[%d] '%s': the displacement is not "
                      "finite (overflow: are the materials' E and the loads "
                      "in consistent units?): no result",
                      md->cs.path, lc, md->cs.load_cases[lc].name);
    ierr = fm_sync_error(comm, ierr);
    run->t.recovery += MPI_Wtime() - te;
    if (ierr)
      break;
    const FmResult *r = &run->res[lc];
    char where[32] = "";
    if (spread)
      snprintf(where, sizeof where, " on rank %d", lc % size);
    logf_(L,
          "solve '%s': %d iterations, relative residual %.2e (%.2f s%s); "
          "max displacement %.6g",
          md->cs.load_cases[lc].name, run->info[lc].iterations,
          run->info[lc].residual, lc_time[lc], where, r->max_displacement);
    /* linear elasticity holds for small displacements: past a few percent
     * of the model the answer is not the structure's (a support too weak,
     * loads or moduli in other units) */
    if (r->max_displacement > 0.05 * run->model_size)
      logf_(L,
            "  WARNING: the largest displacement %.3g is %.3g%% of the "
            "model's size %.3g: beyond the small displacements linear "
            "elasticity assumes (check the supports, the loads and their "
            "units)",
            r->max_displacement, 100 * r->max_displacement / run->model_size,
            run->model_size);
    if (rank == 0) {
      logf_(L,
            "  equilibrium: applied (%.6g, %.6g, %.6g), reactions (%.6g, "
            "%.6g, %.6g), imbalance %.2e%s",
            r->applied[0], r->applied[1], r->applied[2], r->reaction_sum[0],
            r->reaction_sum[1], r->reaction_sum[2], r->imbalance,
            r->imbalance > 1e-6 ? "  WARNING: larger than 1e-6" : "");
      for (int g = 0; g < md->cs.nmaterials; g++)
        logf_(L,
              "  %-10s max von Mises %.6g at (%.4g, %.4g, %.4g), principal "
              "[%.6g, %.6g]",
              md->cs.materials[g].group, r->groups[g].max_von_mises,
              r->groups[g].where_von_mises[0], r->groups[g].where_von_mises[1],
              r->groups[g].where_von_mises[2], r->groups[g].min_principal,
              r->groups[g].max_principal);
    }
  }
  free(f);
  free(lc_time);
  for (int lc = 0; us && lc < run->nlc; lc++)
    free(us[lc]);
  free(us);
  for (int lc = 0; fs && lc < run->nlc; lc++)
    free(fs[lc]);
  free(fs);
  run->device_peak_mb = be.device_peak_mb;
  run->spmv_gbs = be.spmv_gbs;
  run->copy_gbs = be.copy_gbs;
  fm_backend_destroy(&be);
  FM_CALL(ierr);

  /* fatigue: per node and material, over the cycles of the case */
  if (md->cs.fatigue.enabled) {
    const double tf = MPI_Wtime();
    if (rank == 0) {
      ierr = fm_fatigue_post(md, &run->post, run->res, &run->fatigue);
      run->has_fatigue = !ierr;
    }
    FM_CALL(fm_sync_error(comm, ierr));
    run->t.recovery += MPI_Wtime() - tf;
    const FmFatigueSpec *F = &md->cs.fatigue;
    logf_(L, "fatigue: criterion %s, design life %.3g cycles, %d cycle%s",
          F->criterion, F->design_life, F->ncycles, F->ncycles > 1 ? "s" : "");
    for (int k = 0; k < F->ncycles; k++)
      if (F->cycles[k].count > F->design_life)
        logf_(L,
              "  note: cycle block '%s' holds %.3g cycles, more than the "
              "design life: its fatigue safety is at %.3g cycles, its damage "
              "counts them all (read the damage, or raise design_life)",
              F->cycles[k].name, F->cycles[k].count, F->design_life);
    for (int g = 0; rank == 0 && g < md->cs.nmaterials; g++) {
      const FmFatigueGroupStats *gs = &run->fatigue.groups[g];
      if (!gs->assessed) {
        logf_(L, "  %-10s not assessed (not under fatigue.materials)",
              md->cs.materials[g].group);
        continue;
      }
      logf_(L,
            "  %-10s static safety %.3g at (%.4g, %.4g, %.4g); fatigue "
            "safety %.3g at (%.4g, %.4g, %.4g); shortest life %.3g cycles; "
            "damage %.3g%s",
            md->cs.materials[g].group, gs->min_static, gs->at_static[0],
            gs->at_static[1], gs->at_static[2], gs->min_fatigue,
            gs->at_fatigue[0], gs->at_fatigue[1], gs->at_fatigue[2],
            gs->min_life, gs->max_damage,
            gs->max_damage >= 1 ? "  (>= 1: fails within the blocks)" : "");
    }
  }

  /* expected results */
  if (md->cs.nexpected > 0) {
    if (rank == 0)
      run->checks = fm_calloc(md->cs.nexpected, sizeof *run->checks);
    FM_CALL(fm_sync_error(comm, rank == 0 && !run->checks));
  }
  if (md->cs.nexpected > 0 && rank == 0) {
    for (int k = 0; k < md->cs.nexpected; k++) {
      const FmExpected *e = &md->cs.expected[k];
      FmCheck *c = &run->checks[k];
      const FmResult *r = &run->res[e->load_case];
      switch (e->q) {
      case FM_Q_PROBE: {
        const FmProbeValue *pv = &r->probes[e->target];
        c->value = e->component < 3   ? pv->displacement[e->component]
                   : e->component < 9 ? pv->stress[e->component - 3]
                                      : pv->von_mises;
        break;
      }
      case FM_Q_MAX_VON_MISES:
        c->value = r->groups[e->target].max_von_mises;
        break;
      case FM_Q_MAX_PRINCIPAL:
        c->value = r->groups[e->target].max_principal;
        break;
      case FM_Q_MIN_PRINCIPAL:
        c->value = r->groups[e->target].min_principal;
        break;
      case FM_Q_REACTION:
        c->value = r->reaction[e->target][e->component];
        break;
      case FM_Q_MAX_DISPLACEMENT:
        c->value = r->max_displacement;
        break;
      case FM_Q_MIN_STATIC_SAFETY:
        c->value =
            run->has_fatigue ? run->fatigue.groups[e->target].min_static : NAN;
        break;
      case FM_Q_MIN_FATIGUE_SAFETY:
        c->value =
            run->has_fatigue ? run->fatigue.groups[e->target].min_fatigue : NAN;
        break;
      }
      c->error =
          fabs(c->value - e->value) / (e->absolute ? 1.0 : fabs(e->value));
      c->pass = isfinite(c->error) && c->error <= e->tolerance;
      logf_(L,
            "check %s: %.6g, reference %.6g (%s), %s error %.3g, tolerance "
            "%.3g: %s",
            e->label, c->value, e->value, e->kind,
            e->absolute ? "absolute" : "relative", c->error, e->tolerance,
            c->pass ? "pass" : "FAIL");
    }
  }

  /* peak memory over the ranks */
  double mb = peak_mb();
  MPI_Allreduce(&mb, &run->peak_mb, 1, MPI_DOUBLE, MPI_MAX, comm);

  /* outputs: everything to temporary names, renamed only when all written */
  const double t4 = MPI_Wtime();
  ierr = 0;
  if (rank == 0 && outdir) {
    char path[4200];
    int nwritten = 0;
    for (int lc = 0; lc < run->nlc && md->cs.vtu && !ierr; lc++) {
      vtu_path(outdir, md->cs.load_cases[lc].name, path, sizeof path);
      ierr = fm_write_vtu_tmp(md, &run->post, &run->res[lc],
                              md->cs.load_cases[lc].name, NULL, 0, path);
      if (!ierr)
        nwritten++;
    }
    int fat_written = 0, chk_written = 0;
    if (!ierr && run->checks) {
      snprintf(path, sizeof path, "%s/checks.txt", outdir);
      FILE *fp = fm_open_tmp(path);
      ierr = !fp;
      if (fp) {
        /* one line per expected result, tab separated, for femora suite */
        for (int k = 0; k < md->cs.nexpected; k++) {
          const FmExpected *e = &md->cs.expected[k];
          fprintf(fp, "%s\t%s\t%.10g\t%.10g\t%.6g\t%.6g\t%s\t%s\t%s\n",
                  run->checks[k].pass ? "pass" : "FAIL", e->label,
                  run->checks[k].value, e->value, run->checks[k].error,
                  e->tolerance, e->absolute ? "absolute" : "relative", e->kind,
                  e->source);
        }
        ierr = fm_close_tmp(fp, path);
        chk_written = !ierr;
      }
    }
    if (!ierr && md->cs.vtu && run->has_fatigue) {
      const FmField fields[4] = {{"static_safety", 1, run->fatigue.static_sf},
                                 {"fatigue_safety", 1, run->fatigue.fatigue_sf},
                                 {"life", 1, run->fatigue.life},
                                 {"damage", 1, run->fatigue.damage}};
      snprintf(path, sizeof path, "%s/fatigue.vtu", outdir);
      /* the fatigue fields alone: the first load case's stresses beside
       * a safety that another load case governs misled */
      ierr = fm_write_vtu_tmp(md, &run->post, NULL, "fatigue", fields, 4, path);
      fat_written = !ierr;
    }
    run->t.output = MPI_Wtime() - t4;
    run->t.total = MPI_Wtime() - t0;
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    int sum_written = 0;
    if (!ierr) {
      ierr = fm_write_summary_tmp(run, path);
      sum_written = !ierr;
    }
    /* Into place: the earlier run's summary.json is renamed away first
     * (summary.json.earlier) and this run's comes last, so that no
     * summary.json ever stands beside files that are not its run's (a
     * rename failing half way would have left the earlier summary with this
     * run's VTU files).  Should a rename fail, the run fails: its files
     * already renamed are removed and the earlier summary comes back, so
     * that the failure sets the earlier run's results aside as any other
     * (set_aside_previous; those its VTU files this run replaced are
     * gone).  Done, the earlier summary goes. */
    const int nres = nwritten + 3;
    const int written[3] = {fat_written, chk_written, sum_written};
    char earlier[4300];
    snprintf(earlier, sizeof earlier, "%s.earlier", path);
    int had_earlier = 0;
    if (!ierr) {
      if (rename(path, earlier) == 0)
        had_earlier = 1;
      else if (errno != ENOENT)
        ierr = fm_error("%s: cannot move the earlier run's summary away "
                        "before writing this run's: %s",
                        path, strerror(errno));
    }
    int renamed = 0;
    for (int k = 0; k < nres; k++) {
      if (k >= nwritten && !written[k - nwritten])
        continue;
      result_path(md, outdir, k, nwritten, path, sizeof path);
      if (ierr) {
        fm_discard_tmp(path);
      } else {
        ierr = fm_rename_tmp(path);
        renamed = ierr ? renamed : k + 1;
      }
    }
    for (int k = 0; ierr && k < renamed; k++)
      if (k < nwritten || written[k - nwritten]) {
        result_path(md, outdir, k, nwritten, path, sizeof path);
        remove(path);
      }
    snprintf(path, sizeof path, "%s/summary.json", outdir);
    if (had_earlier && (ierr ? rename(earlier, path) : remove(earlier)) != 0 &&
        L->log)
      fprintf(L->log, "warning: %s: %s\n", earlier, strerror(errno));
  }
  FM_CALL(fm_sync_error(comm, ierr));
  run->t.output = MPI_Wtime() - t4;
  run->t.total = MPI_Wtime() - t0;
  logf_(L,
        "timings: mesh %.2f s, assembly %.2f s, setup %.2f s, solve %.2f s, "
        "recovery %.2f s, output %.2f s, total %.2f s; peak memory %.0f MB "
        "per rank",
        run->t.mesh, run->t.assembly, run->t.setup, run->t.solve,
        run->t.recovery, run->t.output, run->t.total, run->peak_mb);
  if (outdir)
    logf_(L, "results: %s", outdir);
  return 0;
}

/* A run that failed leaves no result of its own in OUTDIR (they are put in
 * place only once all are written), but a previous run's results there
 * would pass for this one's.  They are moved, not removed, to
 * OUTDIR/previous: summary.json, checks.txt, fatigue.vtu and the VTU file
 * of every load case the earlier summary.json names (no other file of the
 * folder), and the log says so. */
typedef int (*ResultFn)(const char *dir, const char *name, FILE *log);

/* FN on each result file of the run whose summary.json is in DIR: the VTU
 * of each load case (each load case's object there opens with {"name":
 * NAME, "iterations", NAME as fm_json_string writes it), fatigue.vtu,
 * checks.txt, summary.json last.  Returns how many FN took (returned 1);
 * -1 where DIR holds no summary.json. */
static int each_result(const char *dir, ResultFn fn, FILE *log) {
  char path[4200];
  snprintf(path, sizeof path, "%s/summary.json", dir);
  if (access(path, F_OK) != 0)
    return -1;
  char *summary = fm_read_text(path, NULL); /* NULL: summary.json alone */
  int n = 0;
  const char *key = "{\"name\": \"";
  for (const char *p = summary ? strstr(summary, key) : NULL; p;
       p = strstr(p + 1, key)) {
    char name[FM_NAME_MAX];
    size_t k = 0;
    const char *q = p + strlen(key);
    for (; *q && *q != '"' && k + 1 < sizeof name; q++) {
      unsigned int u;
      if (q[0] == '\\' && q[1] == 'u' && sscanf(q + 2, "%4x", &u) == 1) {
        name[k++] = (char)(u < 0x80 ? u : '?'); /* \u00XX: a control byte */
        q += 5;
      } else {
        if (*q == '\\' && q[1]) /* \" or \\ */
          q++;
        name[k++] = *q;
      }
    }
    name[k] = 0;
    if (*q != '"' || strncmp(q, "\", \"iterations\"", 15))
      continue;                            /* a probe's or a group's name */
    vtu_path("", name, path, sizeof path); /* "/NAME.vtu" */
    n += fn(dir, path + 1, log);
  }
  free(summary);
  n += fn(dir, "fatigue.vtu", log);
  n += fn(dir, "checks.txt", log);
  n += fn(dir, "summary.json", log);
  return n;
}

static int move_to_previous(const char *dir, const char *name, FILE *log) {
  char from[4200], to[4300];
  snprintf(from, sizeof from, "%s/%s", dir, name);
  snprintf(to, sizeof to, "%s/previous/%s", dir, name);
  if (access(from, F_OK) != 0)
    return 0;
  if (rename(from, to) == 0)
    return 1;
  if (log)
    fprintf(log, "warning: %s: could not be moved to previous/: %s\n", from,
            strerror(errno));
  return 0;
}

static int remove_result(const char *dir, const char *name, FILE *log) {
  char path[4200];
  (void)log;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return remove(path) == 0;
}

static void set_aside_previous(const char *outdir, FILE *log) {
  char path[4200];
  snprintf(path, sizeof path, "%s/summary.json", outdir);
  if (access(path, F_OK) != 0)
    return; /* no finished run there */
  snprintf(path, sizeof path, "%s/previous", outdir);
  if (mkdir(path, 0777) != 0 && errno != EEXIST) { /* the run's error stays */
    if (log)
      fprintf(log, "warning: %s: %s\n", path, strerror(errno));
    return;
  }
  /* previous/ holds one run's results: a still earlier run's go (the run
   * set aside now finished after it); other files there stay */
  each_result(path, remove_result, log);
  const int moved = each_result(outdir, move_to_previous, log);
  if (log)
    fprintf(log,
            "the results of an earlier run (%d files: summary.json, checks, "
            "VTU) were moved to %s/previous: they are not this run's\n",
            moved, outdir);
}

static int run_common(MPI_Comm comm, FmCase *cs, const FmRunOptions *opt,
                      FmRun *run) {
  memset(run, 0, sizeof *run);
  const double t0 = MPI_Wtime();
  int rank, ierr = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &run->ranks);
  run->threads = omp_threads();
  Log L = {rank, opt->quiet, NULL};
  char log_path[4200], earlier_log[4300];
  if (opt->outdir) {
    if (rank == 0)
      ierr = fm_make_dirs(opt->outdir);
    FM_CALL(fm_sync_error(comm, ierr));
    if (rank == 0) {
      /* a finished run's log is kept until this run has finished, to go
       * with its results to previous/ should this run fail */
      snprintf(log_path, sizeof log_path, "%s/femora.log", opt->outdir);
      snprintf(earlier_log, sizeof earlier_log, "%s/femora.log.earlier",
               opt->outdir);
      char summary[4200];
      snprintf(summary, sizeof summary, "%s/summary.json", opt->outdir);
      if (access(summary, F_OK) == 0)
        (void)rename(log_path, earlier_log);
      L.log = fopen(log_path, "w");
    }
  }
  ierr = run_pipeline(comm, cs, opt, run, &L, t0);
  if (ierr && L.log)
    fprintf(L.log, "error: %s\n", fm_error_message());
  if (ierr && rank == 0 && opt->outdir) {
    set_aside_previous(opt->outdir, L.log);
    char to[4400];
    snprintf(to, sizeof to, "%s/previous/femora.log", opt->outdir);
    if (access(earlier_log, F_OK) == 0 && rename(earlier_log, to) != 0)
      (void)remove(earlier_log);
  } else if (rank == 0 && opt->outdir) {
    (void)remove(earlier_log);
  }
  if (L.log)
    fclose(L.log);
  return ierr;
}

int fm_run(MPI_Comm comm, const char *case_path, const FmRunOptions *opt,
           FmRun *run) {
  /* read first: a case that cannot be read leaves OUTDIR untouched */
  FmCase c;
  if (fm_sync_error(comm, fm_case_read(case_path, &c))) {
    fm_case_free(&c);
    memset(run, 0, sizeof *run);
    return 1;
  }
  return fm_run_case(comm, &c, opt, run);
}

int fm_run_case(MPI_Comm comm, FmCase *cs, const FmRunOptions *opt,
                FmRun *run) {
  const int ierr = run_common(comm, cs, opt, run);
  fm_case_free(cs); /* in case the pipeline stopped before taking it over */
  return ierr;
}

void fm_run_free(FmRun *run) {
  for (int lc = 0; run->res && lc < run->nlc; lc++)
    fm_result_free(&run->res[lc]);
  free(run->res);
  free(run->info);
  free(run->checks);
  fm_fatigue_result_free(&run->fatigue);
  fm_post_free(&run->post);
  fm_model_free(&run->md);
  memset(run, 0, sizeof *run);
}

/* ---- summary.json ---- */
static void vec3(FILE *fp, const double v[3]) {
  fputc('[', fp);
  for (int i = 0; i < 3; i++) {
    if (i)
      fputs(", ", fp);
    fm_json_number(fp, v[i]);
  }
  fputc(']', fp);
}

int fm_write_summary_tmp(const FmRun *run, const char *path) {
  const FmModel *md = &run->md;
  FILE *fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  fprintf(fp, "{\n  \"femora\": \"%s\",\n  \"title\": ", FEMORA_VERSION);
  fm_json_string(fp, md->cs.title);
  fprintf(fp, ",\n  \"case\": ");
  fm_json_string(fp, md->cs.path);
  fprintf(fp,
          ",\n  \"dofs\": %d, \"nodes\": %d, \"elements\": %d, \"order\": %d, "
          "\"ranks\": %d, \"threads\": %d, \"backend\": ",
          3 * md->mesh.nnodes, md->mesh.nnodes, md->mesh.nelem, md->mesh.order,
          run->ranks, run->threads);
  fm_json_string(fp, run->backend ? run->backend : md->cs.backend);
  fputs(", \"backend_requested\": ", fp);
  fm_json_string(fp, md->cs.backend);
  fputs(",\n  \"load_cases\": [", fp);
  static const char *comp[6] = {"xx", "yy", "zz", "xy", "yz", "xz"};
  for (int lc = 0; lc < run->nlc; lc++) {
    const FmResult *r = &run->res[lc];
    fputs(lc ? ",\n    {" : "\n    {", fp);
    fputs("\"name\": ", fp);
    fm_json_string(fp, md->cs.load_cases[lc].name);
    fprintf(fp,
            ", \"iterations\": %d, \"residual\": ", run->info[lc].iterations);
    fm_json_number(fp, run->info[lc].residual);
    fputs(",\n     \"max_displacement\": ", fp);
    fm_json_number(fp, r->max_displacement);
    fputs(", \"displacement_to_size\": ", fp);
    fm_json_number(
        fp, run->model_size > 0 ? r->max_displacement / run->model_size : NAN);
    fputs(",\n     \"groups\": {", fp);
    for (int g = 0; g < md->cs.nmaterials; g++) {
      fputs(g ? ",\n       " : "\n       ", fp);
      fm_json_string(fp, md->cs.materials[g].group);
      fputs(": {\"max_von_mises\": ", fp);
      fm_json_number(fp, r->groups[g].max_von_mises);
      fputs(", \"max_principal\": ", fp);
      fm_json_number(fp, r->groups[g].max_principal);
      fputs(", \"min_principal\": ", fp);
      fm_json_number(fp, r->groups[g].min_principal);
      fputs(", \"max_von_mises_at\": ", fp);
      vec3(fp, r->groups[g].where_von_mises);
      fputc('}', fp);
    }
    fputs("},\n     \"reactions\": {", fp);
    /* one entry per group (a JSON key once): a group in several
     * constraints takes each component from the first that restrains it */
    int nout = 0;
    for (int k = 0; k < md->cs.nconstraints; k++) {
      const char *g = md->cs.constraints[k].group;
      int seen = 0;
      for (int j = 0; j < k && !seen; j++)
        seen = !strcmp(md->cs.constraints[j].group, g);
      if (seen)
        continue;
      double v[3] = {0, 0, 0};
      for (int cc = 0; cc < 3; cc++)
        for (int j = k; j < md->cs.nconstraints; j++)
          if (!strcmp(md->cs.constraints[j].group, g) &&
              (md->cs.constraints[j].mask & (1 << cc))) {
            v[cc] = r->reaction[j][cc];
            break;
          }
      fputs(nout++ ? ",\n       " : "\n       ", fp);
      fm_json_string(fp, g);
      fputs(": ", fp);
      vec3(fp, v);
    }
    fputs("},\n     \"applied_force\": ", fp);
    vec3(fp, r->applied);
    fputs(", \"equilibrium_imbalance\": ", fp);
    fm_json_number(fp, r->imbalance);
    fputs(",\n     \"probes\": [", fp);
    for (int p = 0; p < md->cs.nprobes; p++) {
      const FmProbeValue *pv = &r->probes[p];
      fputs(p ? ",\n       {" : "\n       {", fp);
      fputs("\"name\": ", fp);
      fm_json_string(fp, md->cs.probes[p].name);
      fputs(", \"point\": ", fp);
      vec3(fp, md->cs.probes[p].x);
      fputs(", \"displacement\": ", fp);
      vec3(fp, pv->displacement);
      fputs(",\n        \"stress\": {", fp);
      for (int k = 0; k < 6; k++) {
        fprintf(fp, "%s\"%s\": ", k ? ", " : "", comp[k]);
        fm_json_number(fp, pv->stress[k]);
      }
      fputs("}, \"von_mises\": ", fp);
      fm_json_number(fp, pv->von_mises);
      fputc('}', fp);
    }
    fputs("]}", fp);
  }
  fputs("\n  ],", fp);
  if (run->has_fatigue) {
    const FmFatigueSpec *F = &md->cs.fatigue;
    fputs("\n  \"fatigue\": {\"criterion\": ", fp);
    fm_json_string(fp, F->criterion);
    fputs(", \"design_life\": ", fp);
    fm_json_number(fp, F->design_life);
    fputs(",\n    \"cycles\": [", fp);
    for (int k = 0; k < F->ncycles; k++) {
      fputs(k ? ", {\"name\": " : "{\"name\": ", fp);
      fm_json_string(fp, F->cycles[k].name);
      fputs(", \"count\": ", fp);
      fm_json_number(fp, F->cycles[k].count);
      fputc('}', fp);
    }
    fputs("],\n    \"groups\": {", fp);
    int first = 1;
    for (int g = 0; g < md->cs.nmaterials; g++) {
      const FmFatigueGroupStats *gs = &run->fatigue.groups[g];
      if (!gs->assessed)
        continue;
      fputs(first ? "\n      " : ",\n      ", fp);
      first = 0;
      fm_json_string(fp, md->cs.materials[g].group);
      fputs(": {\"min_static_safety\": ", fp);
      fm_json_number(fp, gs->min_static);
      fputs(", \"min_static_safety_at\": ", fp);
      vec3(fp, gs->at_static);
      fputs(", \"static_criterion\": ", fp);
      fm_json_string(fp, gs->static_criterion);
      fputs(", \"min_fatigue_safety\": ", fp);
      fm_json_number(fp, gs->min_fatigue);
      fputs(", \"min_fatigue_safety_at\": ", fp);
      vec3(fp, gs->at_fatigue);
      fputs(",\n        \"min_life\": ", fp);
      fm_json_number(fp, gs->min_life); /* null: infinite life */
      fputs(", \"max_damage\": ", fp);
      fm_json_number(fp, gs->max_damage);
      fputs(", \"max_damage_at\": ", fp);
      vec3(fp, gs->at_damage);
      fputc('}', fp);
    }
    fputs("}},", fp);
  }
  if (run->checks) {
    fputs("\n  \"checks\": [", fp);
    for (int k = 0; k < md->cs.nexpected; k++) {
      const FmExpected *e = &md->cs.expected[k];
      fputs(k ? ",\n    {\"what\": " : "\n    {\"what\": ", fp);
      fm_json_string(fp, e->label);
      fputs(", \"value\": ", fp);
      fm_json_number(fp, run->checks[k].value);
      fputs(", \"reference\": ", fp);
      fm_json_number(fp, e->value);
      fprintf(fp, ", \"%s_error\": ", e->absolute ? "absolute" : "relative");
      fm_json_number(fp, run->checks[k].error);
      fputs(", \"tolerance\": ", fp);
      fm_json_number(fp, e->tolerance);
      fputs(", \"kind\": ", fp);
      fm_json_string(fp, e->kind);
      fputs(", \"source\": ", fp);
      fm_json_string(fp, e->source);
      fprintf(fp, ", \"pass\": %s}", run->checks[k].pass ? "true" : "false");
    }
    fputs("],", fp);
  }
  fprintf(fp,
          "\n  \"timings\": {\"mesh\": %.4f, \"assembly\": %.4f, "
          "\"setup\": %.4f, \"solve\": %.4f, \"recovery\": %.4f, "
          "\"output\": %.4f, \"total\": %.4f},\n  \"peak_memory_mb\": %.1f",
          run->t.mesh, run->t.assembly, run->t.setup, run->t.solve,
          run->t.recovery, run->t.output, run->t.total, run->peak_mb);
  if (run->device_peak_mb > 0)
    fprintf(fp, ",\n  \"gpu_peak_memory_mb\": %.1f", run->device_peak_mb);
  if (run->spmv_gbs > 0)
    fprintf(fp, ",\n  \"gpu_spmv_gbs\": %.1f, \"gpu_copy_gbs\": %.1f",
            run->spmv_gbs, run->copy_gbs);
  fputs(",\n  \"preconditioner\": ", fp);
  fm_json_string(fp, run->pc_detail);
  fputs("\n}\n", fp);
  return fm_close_tmp(fp, path);
}

int fm_shared_threads(int sharers) {
  const char *user = getenv("OMP_NUM_THREADS");
  if ((user && *user) || sharers <= 1)
    return 0;
  const int t = omp_threads() / sharers;
  return t < 1 ? 1 : t;
}

int fm_local_ranks(MPI_Comm comm) {
  int n = 1;
#ifdef FEMORA_HAVE_MPI
  MPI_Comm node;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL,
                          &node) == MPI_SUCCESS) {
    MPI_Comm_size(node, &n);
    MPI_Comm_free(&node);
  }
#else
  (void)comm;
#endif
  return n;
}

void fm_share_cores(int sharers) {
  const int t = fm_shared_threads(sharers);
#ifdef _OPENMP
  if (t)
    omp_set_num_threads(t);
#else
  (void)t;
#endif
}
