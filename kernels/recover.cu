/* Stress recovery on the GPU: the displacement the solve left on the device
 * (FmCudaData.x) gives, per element, the stresses at its nodes and its
 * internal forces (element.h's fm_tet_nodal_stress and, for TET10, its node
 * by node form fm_tet10_node_stress_at: the code the CPU runs in recover.c),
 * summed per node copy and per node by the node's own thread over its elements
 * in element order (no atomics: the same bits on every run; each element's work
 * is repeated for each of its nodes); then per copy the mean, von Mises and the
 * principal stresses.  Only these fields come down (the summaries, reactions
 * and probes are O(n) on the host). */
#include "fm_cuda.h"

#include "../solver/element.h"

/* One thread per node: for each of its slots (element e, its local node
 * a; in element order) the element's stresses and forces, node a's added
 * to the node's copy in that element and to the node's internal force.
 * stress and fint start at 0; a copy belongs to one node, so no other
 * thread writes it.  TET10 by fm_tet10_node_stress_at (node a's part of
 * the CPU's fm_tet10_nodal_stress_at, the same sums): no element arrays,
 * no spills (nvcc 13, sm_90). */
template <int NPE>
__device__ inline void recover_slot(const double *x, const int *c, double E,
                                    double nu, const double *u, int a,
                                    double sa[6], double fa[3]) {
  double xe[3 * NPE], ue[3 * NPE], fe[3 * NPE];
  for (int b = 0; b < NPE; b++)
    for (int j = 0; j < 3; j++) {
      xe[3 * b + j] = x[3 * (size_t)c[b] + j];
      ue[3 * b + j] = u[3 * (size_t)c[b] + j];
      fe[3 * b + j] = 0.0;
    }
  double sn[FM_TET_MAX_NPE][6];
  fm_tet_nodal_stress(NPE, xe, ue, E, nu, sn, fe);
  /* node a's values by an unrolled selection: indexing sn and fe by a
   * (known at run time only) would put both in local memory */
  FM_UNROLL
  for (int b = 0; b < NPE; b++)
    if (b == a) {
      for (int k = 0; k < 6; k++)
        sa[k] = sn[b][k];
      for (int j = 0; j < 3; j++)
        fa[j] = fe[3 * b + j];
    }
}

template <>
__device__ inline void recover_slot<10>(const double *x, const int *c, double E,
                                        double nu, const double *u, int a,
                                        double sa[6], double fa[3]) {
  fm_tet10_node_stress_at(x, c, u, E, nu, a, sa, fa);
}

template <int NPE>
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    recover_kernel(int nn, const double *x, const int *conn, const double *Enu,
                   const int *sptr, const int *slot, const int *elem_copy,
                   const double *u, double *stress, double *fint) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < nn;
       i += gridDim.x * blockDim.x) {
    for (int s = sptr[i]; s < sptr[i + 1]; s++) {
      const int e = slot[s] / NPE, a = slot[s] % NPE;
      double sa[6] = {0.0}, fa[3] = {0.0};
      recover_slot<NPE>(x, conn + (size_t)e * NPE, Enu[2 * (size_t)e],
                        Enu[2 * (size_t)e + 1], u, a, sa, fa);
      const size_t cp = (size_t)elem_copy[slot[s]];
      for (int k = 0; k < 6; k++)
        stress[6 * cp + k] += sa[k];
      for (int j = 0; j < 3; j++)
        fint[3 * (size_t)i + j] += fa[j];
    }
  }
}

/* per copy: mean over the elements that share it, von Mises, principal */
__global__ void copy_kernel(int ncopy, const double *inv_count, double *stress,
                            double *vm, double *princ);

extern "C" int fm_cuda_recover_local_bytes(int npe, size_t *bytes) {
  size_t copy = 0; /* the larger of the two kernels' (the element's, the
                      per-copy principal stresses') */
  FM_CALL(
      fm_cuda_local_bytes(npe, recover_kernel<4>, recover_kernel<10>, bytes));
  FM_CALL(fm_cuda_local_bytes(npe, copy_kernel, copy_kernel, &copy));
  if (copy > *bytes)
    *bytes = copy;
  return 0;
}

__global__ void copy_kernel(int ncopy, const double *inv_count, double *stress,
                            double *vm, double *princ) {
  for (int cp = blockIdx.x * blockDim.x + threadIdx.x; cp < ncopy;
       cp += gridDim.x * blockDim.x) {
    double s[6];
    for (int k = 0; k < 6; k++) {
      s[k] = stress[6 * (size_t)cp + k] * inv_count[cp];
      stress[6 * (size_t)cp + k] = s[k];
    }
    vm[cp] = fm_von_mises(s);
    fm_principal(s, princ + 3 * (size_t)cp);
  }
}

extern "C" int fm_cuda_recover(FmCudaData *d, FmCudaRecover *r) {
  FM_CUDA_CHECK(
      cudaMemset(r->stress, 0, 6 * (size_t)r->ncopy * sizeof(double)));
  FM_CUDA_CHECK(cudaMemset(r->fint, 0, (size_t)d->n * sizeof(double)));
  if (d->npe == 10) {
    FM_LAUNCH(recover_kernel<10>, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
    (d->nn, r->x, r->conn, r->Enu, r->sptr, r->slot, r->elem_copy, d->x,
     r->stress, r->fint);
    FM_CUDA_CHECK_LAUNCH(recover_kernel<10>);
  } else {
    FM_LAUNCH(recover_kernel<4>, fm_cuda_blocks(d->nn), FM_CUDA_THREADS)
    (d->nn, r->x, r->conn, r->Enu, r->sptr, r->slot, r->elem_copy, d->x,
     r->stress, r->fint);
    FM_CUDA_CHECK_LAUNCH(recover_kernel<4>);
  }
  FM_LAUNCH(copy_kernel, fm_cuda_blocks(r->ncopy), FM_CUDA_THREADS)
  (r->ncopy, r->inv_count, r->stress, r->vm, r->princ);
  FM_CUDA_CHECK_LAUNCH(copy_kernel);
  return 0;
}
