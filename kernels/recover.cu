/* Stress recovery on the GPU: the displacement the solve left on the device
 * (FmCudaData.x) gives, per element, the stresses at its nodes and its
 * internal forces (element.h's fm_tet_nodal_stress, the code the CPU runs in
 * recover.c), summed per node copy and per node with atomicAdd; then per
 * copy the mean, von Mises and the principal stresses.  Only these fields
 * come down (the summaries, reactions and probes are O(n) on the host). */
#include "fm_cuda.h"

#include "../solver/element.h"

template <int NPE>
__global__ void __launch_bounds__(FM_CUDA_THREADS)
    recover_kernel(int nelem, const double *x, const int *conn,
                   const double *Enu, const int *elem_copy, const double *u,
                   double *stress, double *fint) {
  for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < nelem;
       e += gridDim.x * blockDim.x) {
    const int *c = conn + (size_t)e * NPE;
    double xe[3 * NPE], ue[3 * NPE], fe[3 * NPE];
    for (int a = 0; a < NPE; a++)
      for (int i = 0; i < 3; i++) {
        xe[3 * a + i] = x[3 * (size_t)c[a] + i];
        ue[3 * a + i] = u[3 * (size_t)c[a] + i];
        fe[3 * a + i] = 0.0;
      }
    double sn[FM_TET_MAX_NPE][6];
    fm_tet_nodal_stress(NPE, xe, ue, Enu[2 * (size_t)e], Enu[2 * (size_t)e + 1],
                        sn, fe);
    for (int a = 0; a < NPE; a++) {
      const size_t cp = (size_t)elem_copy[(size_t)e * NPE + a];
      for (int k = 0; k < 6; k++)
        atomicAdd(stress + 6 * cp + k, sn[a][k]);
      for (int i = 0; i < 3; i++)
        atomicAdd(fint + 3 * (size_t)c[a] + i, fe[3 * a + i]);
    }
  }
}

/* per copy: mean over the elements that share it, von Mises, principal */
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
    FM_LAUNCH(recover_kernel<10>, fm_cuda_blocks(d->nelem), FM_CUDA_THREADS)
    (d->nelem, r->x, r->conn, r->Enu, r->elem_copy, d->x, r->stress, r->fint);
    FM_CUDA_CHECK_LAUNCH(recover_kernel<10>);
  } else {
    FM_LAUNCH(recover_kernel<4>, fm_cuda_blocks(d->nelem), FM_CUDA_THREADS)
    (d->nelem, r->x, r->conn, r->Enu, r->elem_copy, d->x, r->stress, r->fint);
    FM_CUDA_CHECK_LAUNCH(recover_kernel<4>);
  }
  FM_LAUNCH(copy_kernel, fm_cuda_blocks(r->ncopy), FM_CUDA_THREADS)
  (r->ncopy, r->inv_count, r->stress, r->vm, r->princ);
  FM_CUDA_CHECK_LAUNCH(copy_kernel);
  return 0;
}
