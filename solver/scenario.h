/* Growth scenario of an expandable implant (docs/scenario.md): for every age
 * step, the base case with the implant extended, loads from the body mass,
 * one fatigue block per activity (a year of gait cycles); then the damage
 * accumulated over the years.  Steps are independent solves: under MPI each
 * rank solves its own steps; a finished step (its step file matches the
 * inputs) is not solved again. */
#ifndef FEMORA_SCENARIO_H
#define FEMORA_SCENARIO_H

#include "run.h"

#define FM_SCENARIO_MAX_GROUPS 16

typedef struct {
  double age, mass, extension, cycles; /* cycles: all activities, that year */
  double design_life; /* the case's fatigue.design_life (safety factors') */
  int nodes;
  int ngroups;
  char group[FM_SCENARIO_MAX_GROUPS][FM_NAME_MAX];
  int assessed[FM_SCENARIO_MAX_GROUPS];
  double damage[FM_SCENARIO_MAX_GROUPS];      /* that year (largest node) */
  double min_fatigue[FM_SCENARIO_MAX_GROUPS]; /* at the design life */
  double min_static[FM_SCENARIO_MAX_GROUPS];
  double max_vm[FM_SCENARIO_MAX_GROUPS];        /* over the activities */
  double at_fatigue[FM_SCENARIO_MAX_GROUPS][3]; /* where min_fatigue sits */
  double cumulative[FM_SCENARIO_MAX_GROUPS];    /* from the first age to
                                                   this one (fm_scenario_damage) */
} FmScenarioStep;

typedef struct {
  int nsteps;
  FmScenarioStep *steps;
  int resumed; /* steps found finished */
  /* age at which the cumulative damage of a group reaches 1 (NAN: never) */
  double failure_age[FM_SCENARIO_MAX_GROUPS];
  /* the cycles of all activities over the ages, counted as the damage is
   * (fm_scenario_total of each step's cycles) */
  double cycles_total;
} FmScenarioResult;

int fm_scenario_run(MPI_Comm comm, const char *path, const FmRunOptions *opt,
                    FmScenarioResult *res);
/* Solve step `only` alone (a job-array element; no summary); only < 0: all. */
int fm_scenario_run_step(MPI_Comm comm, const char *path,
                         const FmRunOptions *opt, int only,
                         FmScenarioResult *res);
void fm_scenario_result_free(FmScenarioResult *res);

/* The damage over the ages (docs/scenario.md): rate[i] is the damage of a
 * year at age[i] (n ages, increasing), taken as linear in time between two
 * ages, so that cum[i] is the damage from age[0] to age[i] (trapezoids;
 * one age alone covers one year at its rate: cum[0] = rate[0]).  Returns
 * the age at which the damage reaches 1 (the quadratic within its
 * interval solved), NAN where it stays below; an infinite rate (a static
 * failure) at an interval's end fails it at the interval's start.  A NaN
 * rate (not assessed) makes every cum NaN and returns NAN. */
double fm_scenario_damage(int n, const double *age, const double *rate,
                          double *cum);

/* The sum over the ages of a quantity given a year at each age, counted as
 * the damage is (linear in time between two ages; one age alone: one
 * year of it). */
double fm_scenario_total(int n, const double *age, const double *per_year);

/* The folder of step i of scenario s under outdir (OUTDIR/age_A, A to 10
 * digits: 8.5 and 8.500001 apart); femora status looks there too. */
void fm_scenario_step_dir(const char *outdir, const FmScenario *s, int i,
                          char *out, size_t n);

#endif
