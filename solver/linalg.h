/* Small dense linear algebra on the host (plain C, no allocation). */
#ifndef FEMORA_LINALG_H
#define FEMORA_LINALG_H

/* Eigenvalues ev[n] and, where v is not NULL, unit eigenvectors (v's rows,
 * row-major n x n, in ev's order) of the symmetric n x n matrix a
 * (row-major; overwritten), by cyclic Jacobi rotations (Golub & Van Loan
 * 8.5): accurate to rounding relative to the matrix's norm, ev unsorted.
 * At most a fixed number of sweeps; a NaN or infinity in a makes every
 * eigenvalue NaN.  n <= 8. */
void fm_sym_eigen(int n, double *a, double *ev, double *v);

#endif
