/* Recursive coordinate bisection of points into nparts parts of nearly equal
 * size (deterministic: every MPI rank computes the same partition). */
#ifndef FEMORA_PARTITION_H
#define FEMORA_PARTITION_H

int fm_partition_rcb(int n, const double *x, int nparts, int *part);

#endif
