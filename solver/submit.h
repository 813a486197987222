/* Batch submission through Slurm (docs/slurm.md): `femora submit` writes a
 * batch script (an MPI run for one case; a job array for a suite, one case
 * per element, or for a growth scenario, one age step per element followed
 * by a dependent summary job) and submits it with sbatch; `femora status`
 * summarises a job's progress from its outputs. */
#ifndef FEMORA_SUBMIT_H
#define FEMORA_SUBMIT_H

typedef struct {
  const char *target; /* case file, suite folder or scenario file */
  const char *outdir;
  const char *femora; /* absolute path of the femora executable */
  int nodes, ntasks_per_node, gpus_per_node;
  const char *time; /* HH:MM:SS */
  const char *partition;
  int dry_run; /* print the script(s), submit nothing */
} FmSubmitOptions;

int fm_submit(const FmSubmitOptions *opt);
int fm_status(const char *jobid);

#endif
