/* Growth scenario of an expandable implant (docs/scenario.md): for every age
 * step, the base case with the implant extended, loads from the body mass,
 * one fatigue block per activity (a year of steps); then the damage
 * accumulated over the years.  Steps are independent solves: under MPI each
 * rank solves its own steps; a finished step (its step file matches the
 * inputs) is not solved again. */
#ifndef FEMORA_SCENARIO_H
#define FEMORA_SCENARIO_H

#include "run.h"

#define FM_SCENARIO_MAX_GROUPS 16

typedef struct {
  double age, mass, extension, cycles; /* cycles: all activities, that year */
  int nodes;
  int ngroups;
  char group[FM_SCENARIO_MAX_GROUPS][FM_NAME_MAX];
  int assessed[FM_SCENARIO_MAX_GROUPS];
  double damage[FM_SCENARIO_MAX_GROUPS];      /* that year (largest node) */
  double min_fatigue[FM_SCENARIO_MAX_GROUPS]; /* at the design life */
  double min_static[FM_SCENARIO_MAX_GROUPS];
  double max_vm[FM_SCENARIO_MAX_GROUPS];        /* over the activities */
  double at_fatigue[FM_SCENARIO_MAX_GROUPS][3]; /* where min_fatigue sits */
  double cumulative[FM_SCENARIO_MAX_GROUPS];    /* up to the end of this step */
} FmScenarioStep;

typedef struct {
  int nsteps;
  FmScenarioStep *steps;
  int resumed; /* steps found finished */
  /* age at which the cumulative damage of a group reaches 1 (NAN: never) */
  double failure_age[FM_SCENARIO_MAX_GROUPS];
} FmScenarioResult;

int fm_scenario_run(MPI_Comm comm, const char *path, const FmRunOptions *opt,
                    FmScenarioResult *res);
/* Solve step `only` alone (a job-array element; no summary); only < 0: all. */
int fm_scenario_run_step(MPI_Comm comm, const char *path,
                         const FmRunOptions *opt, int only,
                         FmScenarioResult *res);
void fm_scenario_result_free(FmScenarioResult *res);

/* The folder of step i of scenario s under outdir (OUTDIR/age_A, A to 10
 * digits: 8.5 and 8.500001 apart); femora status looks there too. */
void fm_scenario_step_dir(const char *outdir, const FmScenario *s, int i,
                          char *out, size_t n);

#endif
