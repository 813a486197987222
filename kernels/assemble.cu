/* GPU assembly of the global stiffness (3x3 block CSR, fm_cuda.h), the
 * symmetric elimination of prescribed DOFs, and the 3x3 point-block Jacobi
 * preconditioner.  The element math is element.h's (fm_tet_stiffness_row,
 * and for TET10 its node-by-node pieces fm_tet10_*: fm_tet_stiffness's
 * entries, a node's rows at a time), the code the CPU runs. */
#include <climits>
#include <cmath>

#include "fm_cuda.h"

#include "../solver/element.h"

/* ---- a scalar copy ---- */

/* One thread per block row r: scalar rows 3r..3r+2, each holding the row's
 * blocks in column order (row 3r+p from 9 bptr[r] + 3 len p). */
__global__ void scalar_kernel(int nn, const int *bptr, const int *bcol,
                              const double *bval, int *ptr, int *col,
                              double *val) {
  for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < nn;
       r += gridDim.x * blockDim.x) {
    const int b0 = bptr[r], len = bptr[r + 1] - b0, s = 9 * b0;
    for (int p = 0; p < 3; p++)
      ptr[3 * r + p] = s + 3 * len * p;
    if (r == nn - 1)
      ptr[3 * nn] = 9 * bptr[nn];
    for (int j = 0; j < len; j++)
      for (int p = 0; p < 3; p++)
        for (int q = 0; q < 3; q++) {
          col[s + 3 * len * p + 3 * j + q] = 3 * bcol[b0 + j] + q;
          val[s + 3 * len * p + 3 * j + q] = bval[9 * (b0 + j) + 3 * p + q];
        }
  }
}

extern "C" int fm_cuda_scalar_stiffness(const FmCudaData *d, int *ptr, int *col,
                                        double *val) {
  FM_LAUNCH(scalar_kernel, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
  (d->nn, d->bptr, d->bcol, d->val, ptr, col, val);
  FM_CUDA_CHECK_LAUNCH(scalar_kernel);
  return 0;
}

/* ---- element stiffness ---- */

/* One thread per node r, which owns block row r: its blocks zeroed, then
 * for each element of r (its slots, in element order) node r's rows of
 * that element's stiffness (fm_tet_stiffness_row) added at the columns
 * found by binary search in the row's sorted columns.  No atomics: every
 * entry is summed in element order, so the matrix has the same bits on
 * every run, and no thread holds a whole element matrix (TET4: its node's
 * 3 x 12 rows; TET10 a block at a time, no element arrays: no stack frame,
 * was 7488 bytes with whole element matrices, then 576 with rows).  The
 * element's geometric work is repeated for each of its nodes.  flag: the
 * smallest failing element (a non-positive Jacobian or a block missing). */
template <int NPE>
__device__ inline void
assemble_slot(const double *x, const int *c, double E, double nu, int a, int r,
              int e, const int *bptr, const int *bcol, double *val, int *flag);

/* TET10: node a's blocks one by one (fm_tet10_stiffness_rows_at's sums:
 * the element's geometry once, then each block from the two nodes'
 * gradients), added as soon as made; no element arrays, no spills (nvcc
 * 13, sm_90). */
template <>
__device__ inline void
assemble_slot<10>(const double *x, const int *c, double E, double nu, int a,
                  int r, int e, const int *bptr, const int *bcol, double *val,
                  int *flag) {
  double lambda, mu, dN[4][30], Ji[4][9], wd[4], Ga[4][3];
  fm_lame(E, nu, &lambda, &mu);
  fm_tet10_qp_derivatives(dN);
  if (!(fm_tet10_geometry_at(dN, x, c, Ji, wd) > 0.0)) {
    atomicMin(flag, e);
    return;
  }
  fm_tet10_node_gradients(dN, Ji, a, Ga);
  FM_UNROLL
  for (int b = 0; b < 10; b++) {
    double Kab[9];
    fm_tet10_block_with(dN, Ji, wd, lambda, mu, Ga, b, Kab);
    const int k = fm_cuda_find_block(bptr, bcol, r, c[b]);
    if (k < 0) {
      atomicMin(flag, e);
      continue;
    }
    for (int t = 0; t < 9; t++)
      val[9 * (size_t)k + t] += Kab[t];
  }
}

/* TET4: node a's rows, fm_tet_stiffness_row (the element is small) */
template <>
__device__ inline void assemble_slot<4>(const double *x, const int *c, double E,
                                        double nu, int a, int r, int e,
                                        const int *bptr, const int *bcol,
                                        double *val, int *flag) {
  double xe[12], Kr[36];
  for (int b = 0; b < 4; b++)
    for (int i = 0; i < 3; i++)
      xe[3 * b + i] = x[3 * (size_t)c[b] + i];
  if (!(fm_tet_stiffness_row(4, xe, E, nu, a, Kr) > 0.0)) {
    atomicMin(flag, e);
    return;
  }
  for (int b = 0; b < 4; b++) {
    const int k = fm_cuda_find_block(bptr, bcol, r, c[b]);
    if (k < 0) {
      atomicMin(flag, e);
      continue;
    }
    for (int p = 0; p < 3; p++)
      for (int q = 0; q < 3; q++)
        val[9 * (size_t)k + 3 * p + q] += Kr[p * 12 + 3 * b + q];
  }
}

template <int NPE>
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    assemble_kernel(int nn, const double *x, const int *conn, const double *Enu,
                    const int *sptr, const int *slot, const int *bptr,
                    const int *bcol, double *val, int *flag) {
  for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < nn;
       r += gridDim.x * blockDim.x) {
    for (int k = bptr[r]; k < bptr[r + 1]; k++)
      for (int t = 0; t < 9; t++)
        val[9 * (size_t)k + t] = 0.0;
    for (int s = sptr[r]; s < sptr[r + 1]; s++) {
      const int e = slot[s] / NPE, a = slot[s] % NPE;
      assemble_slot<NPE>(x, conn + (size_t)e * NPE, Enu[2 * (size_t)e],
                         Enu[2 * (size_t)e + 1], a, r, e, bptr, bcol, val,
                         flag);
    }
  }
}

static int flag_reset(FmCudaData *d) {
  const int big = INT_MAX;
  FM_CUDA_CHECK(cudaMemcpy(d->flag, &big, sizeof big, cudaMemcpyHostToDevice));
  return 0;
}

/* the flag as an index, -1 when nothing failed (synchronises) */
static int flag_read(FmCudaData *d, int *out) {
  int v;
  FM_CUDA_CHECK(cudaMemcpy(&v, d->flag, sizeof v, cudaMemcpyDeviceToHost));
  *out = v == INT_MAX ? -1 : v;
  return 0;
}

extern "C" int fm_cuda_assemble_local_bytes(int npe, size_t *bytes) {
  return fm_cuda_local_bytes(npe, assemble_kernel<4>, assemble_kernel<10>,
                             bytes);
}

extern "C" int fm_cuda_assemble(FmCudaData *d, const double *x, const int *conn,
                                const double *Enu, const int *sptr,
                                const int *slot, int *bad_elem) {
  if (flag_reset(d))
    return 1;
  const int nb = fm_cuda_blocks(d->nn);
  if (d->npe == 4) {
    FM_LAUNCH(assemble_kernel<4>, nb, FM_CUDA_THREADS)
    (d->nn, x, conn, Enu, sptr, slot, d->bptr, d->bcol, d->val, d->flag);
    FM_CUDA_CHECK_LAUNCH(assemble_kernel<4>);
  } else if (d->npe == 10) {
    FM_LAUNCH(assemble_kernel<10>, nb, FM_CUDA_THREADS)
    (d->nn, x, conn, Enu, sptr, slot, d->bptr, d->bcol, d->val, d->flag);
    FM_CUDA_CHECK_LAUNCH(assemble_kernel<10>);
  } else {
    return fm_error("backend cuda: %d nodes per element not supported "
                    "(TET4 or TET10)",
                    d->npe);
  }
  return flag_read(d, bad_elem);
}

/* ---- prescribed DOFs ---- */

/* One thread per scalar row: |A_ii| summed over the grid. */
__global__ void diag_sum_kernel(int n, const int *bptr, const int *bcol,
                                const double *val, double *part,
                                unsigned int *count, double *out) {
  double v[1] = {0.0};
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    const int r = i / 3, p = i % 3;
    const int k = fm_cuda_find_block(bptr, bcol, r, r);
    if (k >= 0)
      v[0] += fabs(val[9 * (size_t)k + 4 * p]);
  }
  fm_cuda_grid_sum<1>(v, part, count, out);
}

extern "C" int fm_cuda_diag_sum(FmCudaData *d) {
  if (d->mf)
    return fm_cuda_matfree_diag_sum(d);
  FM_LAUNCH_SYNC(diag_sum_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, d->bptr, d->bcol, d->val, d->part, d->count, d->s + FM_CUDA_S_DIAG);
  FM_CUDA_CHECK_LAUNCH(diag_sum_kernel);
  return 0;
}

/* One thread per scalar row i = 3r + p: entries in a fixed row or a fixed
 * column become 0, the diagonal of a fixed row becomes diag (as
 * backend_ref.c; the entries stay in the pattern). */
__global__ void eliminate_kernel(int n, const int *bptr, const int *bcol,
                                 const unsigned char *fixed, double diag,
                                 double *val) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x) {
    const bool fi = fixed[i] != 0;
    const int r = i / 3, p = i % 3;
    for (int k = bptr[r]; k < bptr[r + 1]; k++)
      for (int q = 0; q < 3; q++) {
        const int c = 3 * bcol[k] + q;
        if (fi || fixed[c])
          val[9 * (size_t)k + 3 * p + q] = (c == i) ? diag : 0.0;
      }
  }
}

extern "C" int fm_cuda_eliminate(FmCudaData *d) {
  if (d->mf) { /* applied by the products from now on */
    d->mf->eliminate = 1;
    return 0;
  }
  FM_LAUNCH(eliminate_kernel, fm_cuda_blocks(d->n), FM_CUDA_THREADS)
  (d->n, d->bptr, d->bcol, d->fixed, d->diag, d->val);
  FM_CUDA_CHECK_LAUNCH(eliminate_kernel);
  return 0;
}

/* ---- point-block Jacobi ---- */

/* One thread per node: the diagonal block, inverted. */
__global__ void block_jacobi_kernel(int nn, const int *bptr, const int *bcol,
                                    const double *val, double *dinv,
                                    int *flag) {
  for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < nn;
       r += gridDim.x * blockDim.x) {
    const int k = fm_cuda_find_block(bptr, bcol, r, r);
    double a[9], o[9];
    if (k >= 0)
      for (int t = 0; t < 9; t++)
        a[t] = val[9 * (size_t)k + t];
    if (k < 0 || !fm_inv3(a, o)) {
      atomicMin(flag, r);
      for (int t = 0; t < 9; t++)
        o[t] = 0.0;
    }
    for (int t = 0; t < 9; t++)
      dinv[9 * (size_t)r + t] = o[t];
  }
}

extern "C" int fm_cuda_block_jacobi(FmCudaData *d, int *bad_node) {
  if (flag_reset(d))
    return 1;
  FM_LAUNCH(block_jacobi_kernel, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
  (d->nn, d->bptr, d->bcol, d->val, d->dinv, d->flag);
  FM_CUDA_CHECK_LAUNCH(block_jacobi_kernel);
  return flag_read(d, bad_node);
}
