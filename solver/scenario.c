#include "scenario.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "geoscan.h"
#include "output.h"
#include "report.h"

#ifdef FEMORA_HAVE_PETSC
#include <petscsys.h>
#endif

#define FM_G 9.81 /* m/s^2: body weight = mass * g (N with mass in kg) */

/* FNV-1a of a file's bytes, folded into h. */
static unsigned long long hash_file(const char *path, unsigned long long h) {
  FILE *f = fopen(path, "rb");
  if (!f) { /* missing (or unreadable): not the same as empty */
    for (const char *m = "\377missing"; *m; m++) {
      h ^= (unsigned char)*m;
      h *= 1099511628211ULL;
    }
    return h;
  }
  int ch;
  while ((ch = fgetc(f)) != EOF) {
    h ^= (unsigned char)ch;
    h *= 1099511628211ULL;
  }
  fclose(f);
  return h;
}

/* FNV-1a of a string (and its end), folded into h. */
static unsigned long long hash_str(const char *v, unsigned long long h) {
  for (const char *p = v ? v : "";; p++) {
    h ^= (unsigned char)*p;
    h *= 1099511628211ULL;
    if (!*p)
      return h;
  }
}

static unsigned long long hash_double(double v, unsigned long long h) {
  const unsigned char *p = (const unsigned char *)&v;
  for (size_t i = 0; i < sizeof v; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

/* Set (or add) parameter name of the case's geometry script. */
static int set_param(FmCase *c, const char *name, double value) {
  int k = -1;
  for (int p = 0; p < c->nparams; p++)
    if (!strcmp(c->param_name[p], name))
      k = p;
  if (k < 0) {
    char(*nn)[FM_NAME_MAX] =
        fm_realloc(c->param_name, c->nparams + 1, FM_NAME_MAX);
    if (!nn)
      return 1;
    c->param_name = nn;
    double *nv = fm_realloc(c->param_value, c->nparams + 1, sizeof(double));
    if (!nv)
      return 1;
    c->param_value = nv;
    k = c->nparams++;
    snprintf(c->param_name[k], FM_NAME_MAX, "%s", name);
  }
  c->param_value[k] = value;
  return 0;
}

/* The base case turned into age step i. */
static int step_case(const FmScenario *s, int i, FmCase *c) {
  FM_CALL(fm_case_read(s->case_path, c));
  if (!c->fatigue.enabled)
    return fm_error(
        "%s: case %s has no fatigue section (the scenario needs its "
        "fatigue materials and criterion)",
        s->path, s->case_path);
  /* implant extension and the other per-age parameters of the geometry
   * script */
  if (c->geo_file[0]) {
    FM_CALL(set_param(c, s->extension_parameter, s->extension[i]));
    for (int k = 0; k < s->ngeo; k++)
      FM_CALL(
          set_param(c, s->geo_name[k], s->geo_value[(size_t)k * s->nages + i]));
  } else {
    for (int j = 0; j < s->nages; j++)
      if (s->extension[j] != 0 || s->ngeo > 0)
        return fm_error(
            "%s: extension_mm, geometry_parameters: the case %s uses "
            "a mesh file; these need a geometry script (mesh.geo)",
            s->path, s->case_path);
  }
  /* one load case per activity, forces from the body weight */
  for (int l = 0; l < c->nload_cases; l++)
    free(c->load_cases[l].loads);
  free(c->load_cases);
  c->nload_cases = s->nactivities;
  c->load_cases = fm_calloc(s->nactivities, sizeof *c->load_cases);
  if (!c->load_cases)
    return 1;
  const double bw = s->mass[i] * FM_G;
  for (int a = 0; a < s->nactivities; a++) {
    const FmActivity *A = &s->activities[a];
    FmLoadCase *lc = &c->load_cases[a];
    snprintf(lc->name, sizeof lc->name, "%s", A->name);
    lc->nloads = A->nloads;
    lc->loads = fm_calloc(A->nloads, sizeof *lc->loads);
    if (!lc->loads)
      return 1;
    for (int l = 0; l < A->nloads; l++) {
      lc->loads[l].kind = FM_LOAD_TOTAL_FORCE;
      snprintf(lc->loads[l].group, sizeof lc->loads[l].group, "%s",
               A->loads[l].group);
      for (int k = 0; k < 3; k++)
        lc->loads[l].v[k] = A->loads[l].percent_bw[k] / 100.0 * bw;
    }
  }
  /* one fatigue block per activity: a year of its gait cycles, peak to
   * unloaded.  Each leg is loaded once a gait cycle, which is two steps
   * (13,000 steps a day are 2.4e6 gait cycles a year: REFERENCES.md,
   * Tudor-Locke et al. 2010). */
  free(c->fatigue.cycles);
  c->fatigue.ncycles = s->nactivities;
  c->fatigue.cycles = fm_calloc(s->nactivities, sizeof *c->fatigue.cycles);
  if (!c->fatigue.cycles)
    return 1;
  for (int a = 0; a < s->nactivities; a++) {
    FmCycleSpec *cy = &c->fatigue.cycles[a];
    snprintf(cy->name, sizeof cy->name, "%s", s->activities[a].name);
    cy->nstates = 2;
    cy->state[0] = a;
    cy->state[1] = -1;
    cy->count = s->steps_per_day[i] / 2 * 365.25 * s->activities[a].share;
    if (!(cy->count > 0))
      cy->count = 0; /* no steps: no damage (fm_miner_block), whatever N */
  }
  c->vtu = 1;
  return 0;
}

double fm_scenario_total(int n, const double *age, const double *per_year) {
  if (n == 1)
    return per_year[0];
  double total = 0;
  for (int i = 1; i < n; i++)
    total += (age[i] - age[i - 1]) * (per_year[i - 1] + per_year[i]) / 2;
  return total;
}

double fm_scenario_damage(int n, const double *age, const double *rate,
                          double *cum) {
  double fail = NAN;
  for (int i = 0; i < n; i++)
    if (isnan(rate[i])) {
      for (int j = 0; j < n; j++)
        cum[j] = NAN;
      return NAN;
    }
  if (n == 1) { /* one year at the one age's rate */
    cum[0] = rate[0];
    return rate[0] >= 1 ? age[0] + (isinf(rate[0]) ? 0 : 1 / rate[0]) : NAN;
  }
  cum[0] = 0;
  for (int i = 1; i < n; i++) {
    const double s = age[i] - age[i - 1], d0 = rate[i - 1], d1 = rate[i];
    const double c0 = cum[i - 1];
    cum[i] = c0 + fm_scenario_total(2, age + i - 1, rate + i - 1);
    if (!isnan(fail) || !(cum[i] >= 1))
      continue;
    if (isinf(d0) || isinf(d1)) {
      fail = age[i - 1];
      continue;
    }
    /* c0 + d0 t + k t^2 / 2 = 1 with k = (d1 - d0) / s, 0 <= t <= s: the
     * root that cancels nothing, t = 2 r / (d0 + sqrt(d0^2 + 2 k r)) */
    const double r = 1 - c0, k = (d1 - d0) / s;
    const double disc = fmax(d0 * d0 + 2 * k * r, 0.0);
    const double den = d0 + sqrt(disc);
    const double t = den > 0 ? 2 * r / den : s;
    fail = age[i - 1] + fmin(fmax(t, 0.0), s);
  }
  return fail;
}

/* Hash of everything step i depends on. */
static unsigned long long step_hash(const FmScenario *s, int i,
                                    unsigned long long h) {
  h = hash_double(s->age[i], h);
  h = hash_double(s->mass[i], h);
  h = hash_double(s->extension[i], h);
  h = hash_double(s->steps_per_day[i], h);
  for (int k = 0; k < s->ngeo; k++)
    h = hash_double(s->geo_value[(size_t)k * s->nages + i], h);
  return h;
}

void fm_scenario_step_dir(const char *outdir, const FmScenario *s, int i,
                          char *out, size_t n) {
  snprintf(out, n, "%s/age_%.10g", outdir, s->age[i]); /* 8.5 and 8.500001
                                                         apart */
}

/* step.txt: the numbers a finished step leaves for the summary and for
 * resuming ("key value" lines; the hash of the inputs first). */
static int write_step(const char *dir, unsigned long long hash,
                      const FmScenarioStep *st) {
  char path[4400];
  snprintf(path, sizeof path, "%s/step.txt", dir);
  FILE *fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  fprintf(fp,
          "hash %016llx\nage %.17g\nmass %.17g\nextension %.17g\ncycles %.17g\n"
          "design_life %.17g\nnodes %d\ngroups %d\n",
          hash, st->age, st->mass, st->extension, st->cycles, st->design_life,
          st->nodes, st->ngroups);
  for (int g = 0; g < st->ngroups; g++)
    fprintf(fp, "group %s %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n",
            st->group[g], st->assessed[g], st->damage[g], st->min_fatigue[g],
            st->min_static[g], st->max_vm[g], st->at_fatigue[g][0],
            st->at_fatigue[g][1], st->at_fatigue[g][2]);
  FM_CALL(fm_close_tmp(fp, path));
  return fm_rename_tmp(path);
}

/* Read step.txt; returns 1 when present and made from the same inputs. */
static int read_step(const char *dir, unsigned long long hash,
                     FmScenarioStep *st) {
  char path[4400];
  snprintf(path, sizeof path, "%s/step.txt", dir);
  FILE *fp = fopen(path, "r");
  if (!fp)
    return 0;
  unsigned long long h = 0;
  int ok = fscanf(fp,
                  "hash %llx age %lg mass %lg extension %lg cycles %lg "
                  "design_life %lg nodes %d groups %d",
                  &h, &st->age, &st->mass, &st->extension, &st->cycles,
                  &st->design_life, &st->nodes, &st->ngroups) == 8 &&
           h == hash && st->ngroups >= 0 &&
           st->ngroups <= FM_SCENARIO_MAX_GROUPS;
  for (int g = 0; ok && g < st->ngroups; g++) {
    char fmt[64];
    snprintf(fmt, sizeof fmt,
             " group %%%ds %%d %%lg %%lg %%lg %%lg %%lg %%lg %%lg",
             FM_NAME_MAX - 1);
    ok = fscanf(fp, fmt, st->group[g], &st->assessed[g], &st->damage[g],
                &st->min_fatigue[g], &st->min_static[g], &st->max_vm[g],
                &st->at_fatigue[g][0], &st->at_fatigue[g][1],
                &st->at_fatigue[g][2]) == 9;
  }
  fclose(fp);
  return ok;
}

static int solve_step(const FmScenario *s, int i, const char *dir,
                      const FmRunOptions *opt, FmScenarioStep *st) {
  FmCase c;
  memset(&c, 0, sizeof c);
  int ierr = step_case(s, i, &c);
  if (ierr) {
    fm_case_free(&c);
    return ierr;
  }
  FmRunOptions o = *opt;
  o.outdir = dir;
  o.quiet = 1;
  FmRun run;
  ierr = fm_run_case(MPI_COMM_SELF, &c, &o, &run);
  if (ierr) {
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", fm_error_message());
    fm_run_free(&run);
    return fm_error("%s: age %g: %s", s->path, s->age[i], msg);
  }
  memset(st, 0, sizeof *st);
  st->age = s->age[i];
  st->mass = s->mass[i];
  st->extension = s->extension[i];
  for (int k = 0; k < run.md.cs.fatigue.ncycles; k++)
    st->cycles += run.md.cs.fatigue.cycles[k].count;
  st->design_life = run.md.cs.fatigue.design_life;
  st->nodes = run.md.mesh.nnodes;
  if (run.md.cs.nmaterials > FM_SCENARIO_MAX_GROUPS) {
    const int nm = run.md.cs.nmaterials;
    fm_run_free(&run);
    return fm_error("%s: age %g: %d materials; a scenario follows at most %d",
                    s->path, s->age[i], nm, FM_SCENARIO_MAX_GROUPS);
  }
  st->ngroups = run.md.cs.nmaterials;
  for (int g = 0; g < st->ngroups; g++) {
    snprintf(st->group[g], FM_NAME_MAX, "%s", run.md.cs.materials[g].group);
    const FmFatigueGroupStats *gs = &run.fatigue.groups[g];
    st->assessed[g] = gs->assessed;
    st->damage[g] = gs->assessed ? gs->max_damage : NAN;
    st->min_fatigue[g] = gs->assessed ? gs->min_fatigue : NAN;
    st->min_static[g] = gs->assessed ? gs->min_static : NAN;
    for (int k = 0; k < 3; k++)
      st->at_fatigue[g][k] = gs->assessed ? gs->at_fatigue[k] : NAN;
    st->max_vm[g] = 0.0;
    for (int lc = 0; lc < run.nlc; lc++)
      st->max_vm[g] = fmax(st->max_vm[g], run.res[lc].groups[g].max_von_mises);
  }
  fm_run_free(&run);
  return 0;
}

/* A CSV field: quoted (RFC 4180) where it holds a comma, a quote or a
 * line break (a material's name may) */
static void csv_string(FILE *fp, const char *v) {
  if (!strpbrk(v, ",\"\r\n")) {
    fputs(v, fp);
    return;
  }
  fputc('"', fp);
  for (; *v; v++) {
    if (*v == '"')
      fputc('"', fp);
    fputc(*v, fp);
  }
  fputc('"', fp);
}

static int write_summary(const FmScenario *s, const FmScenarioResult *r,
                         const char *outdir) {
  char path[4300];
  snprintf(path, sizeof path, "%s/scenario.csv", outdir);
  FILE *fp = fm_open_tmp(path);
  if (!fp)
    return 1;
  fprintf(fp,
          "age,body_mass_kg,extension_mm,cycles,nodes,group,max_von_mises,"
          "min_static_safety,min_fatigue_safety,damage_year,damage_cumulative,"
          "min_fatigue_x,min_fatigue_y,min_fatigue_z,design_life\n");
  for (int i = 0; i < r->nsteps; i++) {
    const FmScenarioStep *st = &r->steps[i];
    for (int g = 0; g < st->ngroups; g++) {
      fprintf(fp, "%.10g,%.6g,%.6g,%.6g,%d,", st->age, st->mass, st->extension,
              st->cycles, st->nodes);
      csv_string(fp, st->group[g]);
      /* the damage to 17 digits: the report finds the failure age from it
       * as the scenario did */
      fprintf(fp, ",%.6g,%.6g,%.6g,%.17g,%.17g,%.6g,%.6g,%.6g,%.17g\n",
              st->max_vm[g], st->min_static[g], st->min_fatigue[g],
              st->damage[g], st->cumulative[g], st->at_fatigue[g][0],
              st->at_fatigue[g][1], st->at_fatigue[g][2], st->design_life);
    }
  }
  FM_CALL(fm_close_tmp(fp, path));
  char jpath[4300];
  snprintf(jpath, sizeof jpath, "%s/scenario.json", outdir);
  fp = fm_open_tmp(jpath);
  if (!fp) {
    fm_discard_tmp(path);
    return 1;
  }
  fputs("{\"title\": ", fp);
  fm_json_string(fp, s->title);
  fputs(", \"scenario\": ", fp);
  fm_json_string(fp, s->path);
  fputs(", \"case\": ", fp);
  fm_json_string(fp, s->case_path);
  fputs(", \"body_mass\": ", fp);
  fm_json_string(fp, s->mass_source);
  /* the cycles over the ages (per year at each age, linear between them,
   * as the damage) against the design life of the safety factors */
  fputs(", \"design_life\": ", fp);
  fm_json_number(fp, r->steps[0].design_life);
  fputs(", \"cycles_total\": ", fp);
  fm_json_number(fp, r->cycles_total);
  fputs(",\n \"steps\": [", fp);
  for (int i = 0; i < r->nsteps; i++) {
    const FmScenarioStep *st = &r->steps[i];
    fprintf(fp, "%s\n  {\"age\": ", i ? "," : "");
    fm_json_number(fp, st->age);
    fputs(", \"body_mass\": ", fp);
    fm_json_number(fp, st->mass);
    fputs(", \"extension\": ", fp);
    fm_json_number(fp, st->extension);
    fputs(", \"cycles\": ", fp);
    fm_json_number(fp, st->cycles);
    fprintf(fp, ", \"nodes\": %d, \"groups\": {", st->nodes);
    for (int g = 0; g < st->ngroups; g++) {
      fputs(g ? ", " : "", fp);
      fm_json_string(fp, st->group[g]);
      fputs(": {\"max_von_mises\": ", fp);
      fm_json_number(fp, st->max_vm[g]);
      fputs(", \"min_static_safety\": ", fp);
      fm_json_number(fp, st->min_static[g]);
      fputs(", \"min_fatigue_safety\": ", fp);
      fm_json_number(fp, st->min_fatigue[g]);
      fputs(", \"damage\": ", fp);
      fm_json_number(fp, st->damage[g]);
      fputs(", \"cumulative_damage\": ", fp);
      fm_json_number(fp, st->cumulative[g]);
      fputs(", \"min_fatigue_safety_at\": [", fp);
      for (int k = 0; k < 3; k++) {
        if (k)
          fputs(", ", fp);
        fm_json_number(fp, st->at_fatigue[g][k]);
      }
      fputc(']', fp);
      fputc('}', fp);
    }
    fputs("}}", fp);
  }
  fputs("],\n \"failure_age\": {", fp);
  const FmScenarioStep *last = &r->steps[r->nsteps - 1];
  for (int g = 0; g < last->ngroups; g++) {
    fputs(g ? ", " : "", fp);
    fm_json_string(fp, last->group[g]);
    fputs(": ", fp);
    fm_json_number(fp, r->failure_age[g]); /* null: damage stays below 1 */
  }
  fputs("}}\n", fp);
  /* both written before either is renamed; neither left half way */
  if (fm_close_tmp(fp, jpath)) {
    fm_discard_tmp(path);
    return 1;
  }
  if (fm_rename_tmp(path)) {
    fm_discard_tmp(jpath);
    return 1;
  }
  return fm_rename_tmp(jpath);
}

/* The files every step's results come from, labelled for inputs.txt. */
typedef struct {
  struct {
    char label[16];
    char path[FM_PATH_MAX];
  } * item;
  int n;
  int unresolved;                   /* files named by expressions */
  char where[FM_GEO_PATH_MAX + 64]; /* the first of them */
} Inputs;

static int add_input(Inputs *in, const char *label, const char *path) {
  void *ni = fm_realloc(in->item, (size_t)in->n + 1, sizeof *in->item);
  if (!ni)
    return 1;
  in->item = ni;
  snprintf(in->item[in->n].label, sizeof in->item[in->n].label, "%s", label);
  snprintf(in->item[in->n].path, sizeof in->item[in->n].path, "%s", path);
  in->n++;
  return 0;
}

/* The scenario, its case, the mesh or the geometry script with the files
 * it includes or merges, the material library. */
static int scenario_inputs(const FmScenario *s, Inputs *in) {
  FM_CALL(add_input(in, "scenario", s->path));
  FM_CALL(add_input(in, "case", s->case_path));
  FmCase c;
  int ierr = fm_case_read(s->case_path, &c);
  if (ierr) /* the same error comes again when the first step is solved */
    return 0;
  if (c.geo_file[0]) {
    FmGeoInputs g;
    ierr = add_input(in, "geometry", c.geo_file);
    if (!ierr && fm_geo_inputs(c.geo_file, &g) == 0) {
      for (int k = 0; k < g.n && !ierr; k++)
        ierr = add_input(in, "geometry-input", g.path[k]);
      in->unresolved = g.unresolved;
      snprintf(in->where, sizeof in->where, "%s", g.where);
      fm_geo_inputs_free(&g);
    }
  } else {
    ierr = add_input(in, "mesh", c.mesh_file);
  }
  if (!ierr)
    ierr = add_input(in, "materials", c.fatigue.library_file);
  if (!ierr && c.nmaterials > FM_SCENARIO_MAX_GROUPS) /* before any solve */
    ierr = fm_error("%s: %d materials: a scenario follows at most %d",
                    s->case_path, c.nmaterials, FM_SCENARIO_MAX_GROUPS);
  fm_case_free(&c);
  return ierr;
}

int fm_scenario_run(MPI_Comm comm, const char *path, const FmRunOptions *opt,
                    FmScenarioResult *res) {
  return fm_scenario_run_step(comm, path, opt, -1, res);
}

int fm_scenario_run_step(MPI_Comm comm, const char *path,
                         const FmRunOptions *opt, int only,
                         FmScenarioResult *res) {
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  memset(res, 0, sizeof *res);
  FmScenario s;
  int ierr = fm_scenario_read(path, &s);
  FM_CALL(fm_sync_error(comm, ierr));
  const char *outdir = opt->outdir;
  if (rank == 0)
    ierr = fm_make_dirs(outdir);
  if (fm_sync_error(comm, ierr)) {
    fm_scenario_free(&s);
    return 1;
  }
  /* inputs of every step: the scenario, the case, the mesh or geometry
   * script and the files it reads, the material library */
  const unsigned long long fnv = 1469598103934665603ULL;
  Inputs in = {0};
  ierr = scenario_inputs(&s, &in);
  if (fm_sync_error(comm, ierr)) {
    free(in.item);
    fm_scenario_free(&s);
    return 1;
  }
  unsigned long long h0 = fnv;
  for (int k = 0; k < in.n; k++)
    h0 = hash_file(in.item[k].path, h0);
  /* and what made the results besides the files: femora's version, the
   * backend, the preconditioner and the PETSc options (a step solved
   * otherwise is not resumed as if made by this run) */
  h0 = hash_str(FEMORA_VERSION, h0);
  /* how a step's cycles are counted: steps written by a femora that took
   * a step for a cycle (before 2026-12-07) are solved again */
  h0 = hash_str("cycles: gait cycles, steps / 2", h0);
  h0 = hash_str(opt->backend, h0);
  h0 = hash_str(opt->pc, h0);
#ifdef FEMORA_HAVE_PETSC
  {
    char *all = NULL;
    if (!PetscOptionsGetAll(NULL, &all)) {
      h0 = hash_str(all, h0);
      PetscFree(all);
    }
  }
#endif
  /* a geometry script naming a file by an expression: the inputs cannot
   * all be checked, so no step is taken from an earlier run */
  const int no_resume = in.unresolved;
  if (rank == 0 && no_resume && !opt->quiet)
    printf("scenario: %s names a file by an expression (%d such statement%s): "
           "no step is resumed, as its inputs cannot all be checked\n",
           in.where, in.unresolved, in.unresolved > 1 ? "s" : "");
  if (rank == 0) { /* the inputs and their hashes, for the report */
    char ip[4300];
    snprintf(ip, sizeof ip, "%s/inputs.txt", outdir);
    FILE *fp = fm_open_tmp(ip);
    ierr = !fp;
    if (fp) {
      fprintf(fp, "femora %s -\n", FEMORA_VERSION);
      for (int k = 0; k < in.n; k++) {
        const unsigned long long hk = hash_file(in.item[k].path, fnv);
        if (access(in.item[k].path, R_OK))
          fprintf(fp, "%s %s missing\n", in.item[k].label, in.item[k].path);
        else
          fprintf(fp, "%s %s %016llx\n", in.item[k].label, in.item[k].path, hk);
      }
      ierr = fm_close_tmp(fp, ip);
      if (!ierr)
        ierr = fm_rename_tmp(ip);
    }
  }
  free(in.item);
  if (fm_sync_error(comm, ierr)) {
    fm_scenario_free(&s);
    return 1;
  }
  res->nsteps = s.nages;
  res->steps = fm_calloc(s.nages, sizeof *res->steps);
  if (!res->steps) {
    fm_scenario_free(&s);
    return 1;
  }
  if (rank == 0 && !opt->quiet)
    printf("scenario: %s, %d age steps on %d rank%s\n",
           s.title[0] ? s.title : path, s.nages, size, size > 1 ? "s" : "");
  /* each rank its own steps */
  ierr = 0;
  int resumed = 0;
  if (only >= s.nages)
    ierr = fm_error("%s: --step %d: the scenario has %d steps (0 to %d)", path,
                    only, s.nages, s.nages - 1);
  for (int i = rank; i < s.nages && !ierr; i += size) {
    if (only >= 0 && i != only)
      continue;
    char dir[4300];
    fm_scenario_step_dir(outdir, &s, i, dir, sizeof dir);
    const unsigned long long h = step_hash(&s, i, h0);
    FmScenarioStep st;
    if (!no_resume && read_step(dir, h, &st)) {
      resumed++;
      if (!opt->quiet)
        printf("  age %g: finished earlier (%s/step.txt), not solved again\n",
               s.age[i], dir);
      continue;
    }
    { /* an earlier step.txt of other inputs goes first: should this
       * solve fail, it would otherwise pass for its results next time */
      char sp[4400];
      snprintf(sp, sizeof sp, "%s/step.txt", dir);
      if (remove(sp) != 0 && errno != ENOENT)
        ierr = fm_error("%s: cannot remove: %s", sp, strerror(errno));
    }
    if (!ierr)
      ierr = solve_step(&s, i, dir, opt, &st);
    if (!ierr)
      ierr = write_step(dir, h, &st);
    if (!ierr && !opt->quiet)
      printf("  age %g: %.1f kg, extension %g mm, %d nodes: solved\n", s.age[i],
             s.mass[i], s.extension[i], st.nodes);
  }
  MPI_Allreduce(&resumed, &res->resumed, 1, MPI_INT, MPI_SUM, comm);
  if (fm_sync_error(comm, ierr)) {
    fm_scenario_free(&s);
    return 1;
  }
  if (only >= 0) { /* one step of a job array: the summary comes later */
    fm_scenario_free(&s);
    return 0;
  }
  /* gather through the step files (every rank wrote its own), read by
   * rank 0 alone and sent on (ranks on other nodes reading files just
   * renamed into place on a shared file system may not see them yet) */
  MPI_Barrier(comm);
  ierr = 0;
  for (int i = 0; i < s.nages && !ierr && rank == 0; i++) {
    char dir[4300];
    fm_scenario_step_dir(outdir, &s, i, dir, sizeof dir);
    const unsigned long long h = step_hash(&s, i, h0);
    if (!read_step(dir, h, &res->steps[i]))
      ierr = fm_error(
          "%s/step.txt: missing or unreadable after the step was solved", dir);
  }
  ierr = fm_sync_error(comm, ierr);
  if (!ierr)
    MPI_Bcast(res->steps, (int)(s.nages * sizeof *res->steps), MPI_BYTE, 0,
              comm);
  if (!ierr) {
    /* cumulative damage per group (largest node each year: conservative when
     * the critical node moves) and the age at which it reaches 1 */
    const int ng = res->steps[0].ngroups;
    double rate[FM_PLOT_MAX], cum[FM_PLOT_MAX]; /* the ages: at most that */
    for (int g = 0; g < ng; g++) {
      for (int i = 0; i < s.nages; i++)
        rate[i] = res->steps[i].damage[g];
      res->failure_age[g] = fm_scenario_damage(s.nages, s.age, rate, cum);
      for (int i = 0; i < s.nages; i++)
        res->steps[i].cumulative[g] = cum[i];
    }
    for (int i = 0; i < s.nages; i++)
      rate[i] = res->steps[i].cycles;
    res->cycles_total = fm_scenario_total(s.nages, s.age, rate);
    if (rank == 0)
      ierr = write_summary(&s, res, outdir);
    if (rank == 0 && !ierr)
      ierr = fm_report_write(outdir);
  }
  ierr = fm_sync_error(comm, ierr);
  if (!ierr && rank == 0 && !opt->quiet) {
    const FmScenarioStep *last = &res->steps[s.nages - 1];
    printf("scenario results (%d step%s solved, %d resumed):\n",
           s.nages - res->resumed, s.nages - res->resumed == 1 ? "" : "s",
           res->resumed);
    printf("  %-6s %-8s %-10s", "age", "mass kg", "ext. mm");
    for (int g = 0; g < last->ngroups; g++)
      if (last->assessed[g])
        printf(" %14s", last->group[g]);
    printf("   (cumulative damage)\n");
    for (int i = 0; i < s.nages; i++) {
      const FmScenarioStep *st = &res->steps[i];
      printf("  %-6g %-8.2f %-10g", st->age, st->mass, st->extension);
      for (int g = 0; g < st->ngroups; g++)
        if (st->assessed[g])
          printf(" %14.4g", st->cumulative[g]);
      printf("\n");
    }
    for (int g = 0; g < last->ngroups; g++)
      if (last->assessed[g]) {
        if (isnan(res->failure_age[g]))
          printf("  %s: cumulative damage %.3g at age %g: below 1\n",
                 last->group[g], last->cumulative[g],
                 s.nages > 1 ? last->age : last->age + 1);
        else
          printf("  %s: cumulative damage reaches 1 at age %.2f\n",
                 last->group[g], res->failure_age[g]);
      }
    if (res->cycles_total > last->design_life)
      printf("  note: the ages hold %.3g cycles, more than the design life of "
             "%.3g at which the safety factors are found (the damage counts "
             "every cycle)\n",
             res->cycles_total, last->design_life);
    printf("results: %s/report.html, %s/scenario.json, %s/scenario.csv, "
           "%s/age_*/\n",
           outdir, outdir, outdir, outdir);
  }
  fm_scenario_free(&s);
  return ierr;
}

void fm_scenario_result_free(FmScenarioResult *res) {
  free(res->steps);
  memset(res, 0, sizeof *res);
}
