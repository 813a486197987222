/* GPU assembly of the global stiffness (3x3 block CSR, fm_cuda.h), the
 * symmetric elimination of prescribed DOFs, and the 3x3 point-block Jacobi
 * preconditioner.  The element math is element.h's
 * fm_tet_stiffness, the same code the CPU runs. */
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

/* One thread per element: Ke from fm_tet_stiffness, each 3x3 block added
 * (atomicAdd on doubles, sm_60+) at the position found by binary search in
 * the block row's sorted columns.  flag: smallest failing element. */
template <int NPE>
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    assemble_kernel(int nelem, const double *x, const int *conn,
                    const double *Enu, const int *bptr, const int *bcol,
                    double *val, int *flag) {
  double xe[3 * NPE], Ke[9 * NPE * NPE];
  int nd[NPE];
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < nelem;
       e += gridDim.x * blockDim.x) {
    for (int a = 0; a < NPE; a++) {
      nd[a] = conn[(size_t)e * NPE + a];
      for (int i = 0; i < 3; i++)
        xe[3 * a + i] = x[3 * (size_t)nd[a] + i];
    }
    if (!(fm_tet_stiffness(NPE, xe, Enu[2 * (size_t)e], Enu[2 * (size_t)e + 1],
                           Ke) > 0.0)) {
      atomicMin(flag, e);
      continue;
    }
    for (int a = 0; a < NPE; a++) {
      for (int b = 0; b < NPE; b++) {
        const int k = fm_cuda_find_block(bptr, bcol, nd[a], nd[b]);
        if (k < 0) {
          atomicMin(flag, e);
          continue;
        }
        for (int p = 0; p < 3; p++)
          for (int q = 0; q < 3; q++)
            atomicAdd(val + 9 * (size_t)k + 3 * p + q,
                      Ke[(3 * a + p) * 3 * NPE + 3 * b + q]);
      }
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
  cudaFuncAttributes attr;
  if (npe == 4)
    FM_CUDA_CHECK(cudaFuncGetAttributes(&attr, assemble_kernel<4>));
  else
    FM_CUDA_CHECK(cudaFuncGetAttributes(&attr, assemble_kernel<10>));
  *bytes = attr.localSizeBytes;
  return 0;
}

extern "C" int fm_cuda_assemble(FmCudaData *d, const double *x, const int *conn,
                                const double *Enu, int *bad_elem) {
  FM_CUDA_CHECK(cudaMemset(d->val, 0, sizeof(double) * (size_t)d->nnz));
  if (flag_reset(d))
    return 1;
  const int nb = fm_cuda_blocks(d->nelem);
  if (d->npe == 4) {
    FM_LAUNCH(assemble_kernel<4>, nb, FM_CUDA_THREADS)
    (d->nelem, x, conn, Enu, d->bptr, d->bcol, d->val, d->flag);
    FM_CUDA_CHECK_LAUNCH(assemble_kernel<4>);
  } else if (d->npe == 10) {
    FM_LAUNCH(assemble_kernel<10>, nb, FM_CUDA_THREADS)
    (d->nelem, x, conn, Enu, d->bptr, d->bcol, d->val, d->flag);
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
