/* The GPU backend's device data and the thin launchers of its kernels.
 *
 * Compiled by gcc (solver/backend_cuda.c) and by nvcc (kernels/assemble.cu,
 * kernels/cg.cu): plain C declarations, extern "C" when included from CUDA C++.
 * Every launcher returns 0 on success or, after recording one line with
 * fm_error(), 1.
 *
 * Layout on the device (see docs/gpu.md):
 *  - the stiffness is a 3x3 block CSR (BSR): 32-bit block row offsets bptr
 *    (nn + 1) and block columns bcol (nb, sorted within a row), the 9
 *    doubles of block k row-major at val[9k .. 9k+8], entry (p, q) of block
 *    k at val[9k + 3p + q].  Prescribed DOFs' entries stay as explicit
 *    zeros (the pattern is the mesh's).  8.4 bytes per scalar nonzero
 *    against 12 for a scalar CSR.  The multigrid setup reads it as the
 *    scalar CSR it stands for (amg_steps.h, FmAmgCsr.bs = 3).
 *  - vectors have 3 values per node in model node numbering (as backend.h).
 *  - the point-block Jacobi preconditioner stores 9 doubles per node
 *    (inverse of the 3x3 diagonal block, row-major). */
#ifndef FEMORA_FM_CUDA_H
#define FEMORA_FM_CUDA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>
/* only the generic API is used: keep the deprecated one's warnings out */
#ifndef DISABLE_CUSPARSE_DEPRECATED
#define DISABLE_CUSPARSE_DEPRECATED
#endif
#include <cusparse.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "amg.h"
#include "error.h"

#include "element.h" /* FM_UNROLL */

/* Threads per block of every kernel, and the most blocks a grid-stride
 * kernel with a reduction uses (the size of the partial-sum array). */
#define FM_CUDA_THREADS 256
#ifndef FM_CUDA_MAX_BLOCKS /* the simulator's build sets fewer */
#define FM_CUDA_MAX_BLOCKS 1024
#endif

/* The stiffness's products: cuSPARSE's BSR SpMV, Femora's kernel (a warp
 * or half a warp per block row), the reference kernel (a thread per
 * scalar row: the referee, checked against once per model) */
enum { FM_CUDA_SPMV_CUSPARSE, FM_CUDA_SPMV_KERNEL, FM_CUDA_SPMV_REFERENCE };

/* Slots of the device scalar array FmCudaData.s */
enum {
  FM_CUDA_S_PQ = 0,   /* p . q */
  FM_CUDA_S_RZ = 1,   /* r . z */
  FM_CUDA_S_RR = 2,   /* r . r */
  FM_CUDA_S_BB = 3,   /* b . b on the free DOFs */
  FM_CUDA_S_DIAG = 4, /* sum of |A_ii| */
  FM_CUDA_S_T1 = 5,   /* scratch (the SpMV check) */
  FM_CUDA_S_T2 = 6,
  FM_CUDA_S_COUNT = 8
};

/* The stiffness applied element by element (solver.preconditioner pmg:
 * kernels/matfree.cu, solver/matfree.c's math and order): the model's
 * coordinates, connectivity and (E, nu) stay on the device; the element
 * forces go to their own slots (fe) and every node sums its slots in
 * element order: deterministic, no atomics.  No matrix is stored. */
typedef struct {
  double *x;     /* 3 per node */
  int *conn;     /* npe per element */
  double *Enu;   /* 2 per element */
  int *sptr;     /* nn + 1: node I's slots sptr[I] .. sptr[I + 1] */
  int *slot;     /* npe nelem: e npe + a, increasing e within a node */
  double *fe;    /* 3 npe nelem */
  int eliminate; /* products with the prescribed DOFs eliminated (after
                    fm_cuda_eliminate) */
  int generic;   /* FEMORA_MF_ACTION=generic (matfree.h) */
} FmCudaMatFree;

/* The p-multigrid's level 0 on the device (solver/pmg.h): the embedding P
 * (n0 x n1) and R = P^T as 32-bit CSR, level 0's inverse diagonal, the
 * cycle's work vectors r and d, and 1.1 lmax of D^-1 A. */
typedef struct {
  int n0, n1;
  int *Pptr, *Pcol, *Rptr, *Rcol;
  double *Pval, *Rval;
  double *dinv, *r, *d;
  double emax;
} FmCudaPmg;

typedef struct {
  int nn;  /* nodes = block rows */
  int n;   /* scalar rows = 3 nn */
  int nb;  /* blocks */
  int nnz; /* scalar nonzeros = 9 * blocks (checked to fit in int) */
  int npe; /* nodes per element (4 or 10) */
  int nelem;
  double diag; /* value put on the diagonal of prescribed rows */

  /* not NULL: the stiffness is applied element by element (no bptr, bcol,
   * val); its products, diagonal and elimination go there */
  FmCudaMatFree *mf;

  /* stiffness, 3x3 block CSR (layout above) */
  int *bptr;   /* nn + 1 */
  int *bcol;   /* nb */
  double *val; /* 9 nb = nnz */

  /* vectors, n doubles each; dinv 9 per node; fixed 1 byte per DOF */
  double *b, *x, *r, *z, *p, *q;
  double *lift; /* K g before elimination */
  double *g;    /* prescribed values (0 on free DOFs) */
  double *dinv;
  unsigned char *fixed;

  /* reductions: partial sums, scalars, the finishing counter, flags */
  double *part;        /* 3 * FM_CUDA_MAX_BLOCKS */
  double *s;           /* FM_CUDA_S_COUNT */
  unsigned int *count; /* blocks done (reset to 0 by the last block) */
  int *flag;           /* smallest failing element / node, INT_MAX if none */

  /* cuSPARSE (A: the stiffness's BSR descriptor) and which product the
   * stiffness's are (FM_CUDA_SPMV_*: FEMORA_GPU_SPMV on entry to
   * fm_cuda_sparse_setup, which may change it) */
  cusparseHandle_t sp;
  int spmv;
  int spmv_blocks;     /* bsr3_warp_kernel's grid (its resident blocks) */
  char spmv_note[160]; /* which product, in words (the preconditioner's
                          description carries it) */
  cusparseSpMatDescr_t A;
  cusparseDnVecDescr_t vin, vout;
  void *spbuf;
  size_t spbuf_bytes;
} FmCudaData;

/* One level of the multigrid hierarchy on the device (kernels/amg.cu):
 * scalar CSR operators with 32-bit offsets and columns, double values
 * (float, the *f arrays, for the operators below level 0 and every P and R
 * with a single-precision cycle: FmAmgOptions.single; the double values
 * are then freed).  Level 0's A is the stiffness of FmCudaData (not owned
 * here, its products by fm_cuda_spmv_ab).  Aptr64: the operator's offsets
 * widened to 64 bits for the setup's steps (amg_steps.h), freed when the setup
 * is done. */
typedef struct {
  int n;
  int single; /* this level's operator, diagonal and vectors in float */
  int Annz, Pnnz, Rnnz, nc; /* nc: columns of P (the next level's rows) */
  int *Aptr, *Acol, *Pptr, *Pcol, *Rptr, *Rcol;
  double *Aval, *Pval, *Rval;
  float *Avalf, *Pvalf, *Rvalf;
  int64_t *Aptr64;
  double *dinv;
  float *dinvf;
  void *b, *x, *r, *d; /* work vectors (b, x unused on level 0) */
  cusparseSpMatDescr_t A, P, R;
  cusparseSpMatDescr_t PT;        /* no R: P's arrays again, for the transposed
                                     product alone (cuSPARSE keeps state per
                                     descriptor and buffer) */
  cusparseDnVecDescr_t vin, vout; /* length n */
  void *bufA, *bufP, *bufR;
} FmCudaAmgLevel;

typedef struct {
  int nlev;
  FmCudaAmgLevel lev[FM_AMG_MAX_LEVELS];
  double *cinv; /* coarsest level: dense inverse, row-major */
  int nc;
  cusparseHandle_t sp; /* FmCudaData's handle */
  FmCudaData *d;       /* the stiffness (level 0) */
  const char *device_name;
  int single;      /* P and R in float, levels >= 1 in float */
  int transpose_r; /* R not kept (FmAmgOptions.transpose_r): restriction
                      by cuSPARSE's transposed product of P */
  float *tmpf;     /* single: a level-0 vector in float (R_0's input, P_0's
                      output) */
  cusparseDnVecDescr_t vtmp;
  FmAmgShape shape;
  size_t bytes; /* device memory of the hierarchy */
} FmCudaAmg;

/* Stress recovery on the device (kernels/recover.cu): element data kept
 * from the first recovery of a model on, and the fields per node copy
 * (recover.h). */
typedef struct {
  int ncopy;
  int shared;        /* x, conn, Enu, sptr, slot are the matrix-free
                        stiffness's */
  double *x;         /* 3 per node */
  int *conn;         /* npe per element */
  double *Enu;       /* 2 per element */
  int *sptr, *slot;  /* every node's element slots (as FmCudaMatFree) */
  int *elem_copy;    /* npe per element: the node copy of each element node */
  double *inv_count; /* per copy: 1 / elements sharing it */
  double *stress, *vm, *princ; /* 6, 1, 3 per copy */
  double *fint;                /* 3 per node */
} FmCudaRecover;

/* (fm_backend_create_cuda and fm_cuda_device_count: backend.h) */

/* Report a failed CUDA runtime / cuSPARSE call: "cuda: CALL failed: NAME
 * (DESCRIPTION) at kernels/cg.cu:123".  Returns 1. */
int fm_cuda_fail(const char *call, const char *name, const char *desc,
                 const char *file, int line);

#define FM_CUDA_CHECK(call)                                                    \
  do {                                                                         \
    const cudaError_t fm_cuda_e_ = (call);                                     \
    if (fm_cuda_e_ != cudaSuccess)                                             \
      return fm_cuda_fail(#call, cudaGetErrorName(fm_cuda_e_),                 \
                          cudaGetErrorString(fm_cuda_e_), __FILE__, __LINE__); \
  } while (0)

/* a status kept from earlier calls, reported as theirs (what: the calls) */
#define FM_CUDA_CHECK_AS(status, what)                                         \
  do {                                                                         \
    const cudaError_t fm_cuda_e_ = (status);                                   \
    if (fm_cuda_e_ != cudaSuccess)                                             \
      return fm_cuda_fail(what, cudaGetErrorName(fm_cuda_e_),                  \
                          cudaGetErrorString(fm_cuda_e_), __FILE__, __LINE__); \
  } while (0)

#define FM_CUSPARSE_CHECK(call)                                                \
  do {                                                                         \
    const cusparseStatus_t fm_cusparse_e_ = (call);                            \
    if (fm_cusparse_e_ != CUSPARSE_STATUS_SUCCESS)                             \
      return fm_cuda_fail(#call, cusparseGetErrorName(fm_cusparse_e_),         \
                          cusparseGetErrorString(fm_cusparse_e_), __FILE__,    \
                          __LINE__);                                           \
  } while (0)

/* After a kernel launch: launch errors at once ("cuda: launch of KERNEL
 * failed: ..."); with FM_CUDA_DEBUG_SYNC defined, also errors raised while
 * the kernel ran (otherwise they surface at the next synchronising call). */
#ifdef FM_CUDA_DEBUG_SYNC
#define FM_CUDA_DEBUG_SYNC_CALL() FM_CUDA_CHECK(cudaDeviceSynchronize())
#else
#define FM_CUDA_DEBUG_SYNC_CALL() ((void)0)
#endif
#define FM_CUDA_CHECK_LAUNCH(kernel)                                           \
  do {                                                                         \
    const cudaError_t fm_cuda_e_ = cudaGetLastError();                         \
    if (fm_cuda_e_ != cudaSuccess)                                             \
      return fm_cuda_fail("launch of " #kernel, cudaGetErrorName(fm_cuda_e_),  \
                          cudaGetErrorString(fm_cuda_e_), __FILE__, __LINE__); \
    FM_CUDA_DEBUG_SYNC_CALL();                                                 \
  } while (0)

/* ---- assembly (kernels/assemble.cu) ---- */

/* The stiffness as a scalar CSR (rows of a block row consecutive, columns
 * sorted; 32-bit offsets): ptr (n + 1), col and val (nnz) on the device,
 * allocated by the caller (FEMORA_AMG_GALERKIN=spgemm's level 0). */
int fm_cuda_scalar_stiffness(const FmCudaData *d, int *ptr, int *col,
                             double *val);

/* Bytes of local memory one thread of the element kernel needs (for the
 * memory estimate: the driver reserves it for every resident thread). */
int fm_cuda_assemble_local_bytes(int npe, size_t *bytes);

/* d->val = sum of the element stiffnesses: one thread per block row,
 * summing its node's rows of its elements in element order (no atomics:
 * the same bits on every run).  x: 3 coordinates per node, conn: npe per
 * element, Enu: (E, nu) per element, sptr / slot: every node's slots e npe
 * + a in increasing order (matfree.c's fm_matfree_slots) (device arrays).
 * *bad_elem: index of an element with a non-positive Jacobian or whose
 * block was not in the structure, -1 if none. */
int fm_cuda_assemble(FmCudaData *d, const double *x, const int *conn,
                     const double *Enu, const int *sptr, const int *slot,
                     int *bad_elem);

/* sum of |A_ii| into d->s[FM_CUDA_S_DIAG] (device) */
int fm_cuda_diag_sum(FmCudaData *d);

/* rows and columns of fixed DOFs zeroed, d->diag on their diagonal */
int fm_cuda_eliminate(FmCudaData *d);

/* d->dinv = inverse of each 3x3 diagonal block; *bad_node: a node whose block
 * is singular (0-based), -1 if none. */
int fm_cuda_block_jacobi(FmCudaData *d, int *bad_node);

/* ---- stress recovery (kernels/recover.cu) ---- */

/* r->stress, vm, princ, fint from the displacement d->x (the last solve) */
int fm_cuda_recover(FmCudaData *d, FmCudaRecover *r);

/* Bytes of local memory one thread of the recovery's kernels needs (the
 * larger; the memory estimate, as fm_cuda_assemble_local_bytes). */
int fm_cuda_recover_local_bytes(int npe, size_t *bytes);

/* ---- multigrid on the device (kernels/amg.cu) ---- */

/* The FmAmgDev of the GPU (amg.h): the multigrid setup's steps as
 * kernels, CUB scans, sorts and sums, cuSPARSE products; the levels' P, R
 * and operators land in g.  *A0: the view of level 0's operator (d's
 * stiffness, its offsets widened).  g zeroed before; device_name for the
 * messages. */
int fm_cuda_amg_dev(FmCudaData *d, FmCudaAmg *g, const char *device_name,
                    FmAmgDev *dev, FmAmgCsr *A0);
/* FEMORA_AMG_SETUP=host (a fallback, and a comparison for the GPU's
 * setup): the eliminated stiffness down into *S (allocated), and a
 * hierarchy built on the host from it (double precision) up into g: the
 * levels' operators, P, R and diagonals (amg's diagonals freed); then
 * fm_cuda_amg_finish as after the GPU's setup. */
int fm_cuda_download_stiffness(const FmCudaData *d, FmCsr *S);
int fm_cuda_amg_upload_host(FmCudaData *d, FmCudaAmg *g,
                            const char *device_name, FmAmg *amg);
/* After fm_amg_setup_dev: takes the levels' diagonals over from amg (set
 * to NULL there), drops what the setup left beyond the last level, frees
 * the widened offsets, creates the cuSPARSE descriptors, SpMV buffers and
 * work vectors, and puts the coarse inverse up. */
int fm_cuda_amg_finish(FmAmg *amg, FmCudaAmg *g);

/* Bytes of local memory one thread of the multigrid setup's step kernel
 * needs (the memory estimate, as fm_cuda_assemble_local_bytes). */
int fm_cuda_amg_local_bytes(size_t *bytes);
/* The table of device operations the V-cycle of amg.c runs on. */
void fm_cuda_amg_ops(FmCudaAmg *g, FmAmgOps *ops);
void fm_cuda_amg_free(FmCudaAmg *g);
/* out = a . b (n values) into the device double out */
int fm_cuda_dot(FmCudaData *d, int n, const double *a, const double *b,
                double *out);

/* ---- matrix-free stiffness and p-multigrid (kernels/matfree.cu) ---- */

/* local memory per thread of the element kernels, the largest of the
 * action's, the diagonal's and, where generic (FEMORA_MF_ACTION=generic),
 * the generic action's (the estimate) */
int fm_cuda_matfree_local_bytes(int npe, int generic, size_t *bytes);
/* y = alpha K x + beta y with d->mf (eliminated once mf->eliminate) */
int fm_cuda_matfree_apply(FmCudaData *d, double alpha, const double *x,
                          double beta, double *y);
/* diag = K's diagonal (eliminate: d->diag on prescribed DOFs); *bad_elem:
 * an element with a non-positive Jacobian (0-based), -1 if none */
int fm_cuda_matfree_diagonal(FmCudaData *d, int eliminate, double *diag,
                             int *bad_elem);
/* s[DIAG] = sum of |K_ii| before elimination (uses z) */
int fm_cuda_matfree_diag_sum(FmCudaData *d);
void fm_cuda_matfree_free(FmCudaMatFree *mf);
/* P and R up (host CSR), level 0's vectors allocated */
int fm_cuda_pmg_upload(FmCudaPmg *p, const FmCsr *P, const FmCsr *R);
/* y = alpha M x + beta y, M = P (which FM_AMG_P) or R (FM_AMG_R) */
int fm_cuda_pmg_product(FmCudaPmg *p, int which, double alpha, const double *x,
                        double beta, double *y);
/* level 0's Chebyshev step (FmAmgOps.cheb) */
int fm_cuda_pmg_cheb(FmCudaPmg *p, double c1, double c2, const double *r,
                     double *d, double *x, int x_zero);
/* level 0's smoother: p->dinv from the eliminated diagonal, p->emax from
 * FM_AMG_LANCZOS_STEPS Lanczos steps (uses r, z, p, q of d: before a solve);
 * *bad_row (a diagonal not positive) or *bad_elem (a non-positive Jacobian), -1
 * if none */
int fm_cuda_pmg_smoother(FmCudaData *d, FmCudaPmg *p, int *bad_row,
                         int *bad_elem);
void fm_cuda_pmg_free(FmCudaPmg *p);

/* ---- sparse products and CG kernels (kernels/cg.cu) ---- */

/* cuSPARSE handle (first, so that the memory it takes is no longer free) */
int fm_cuda_sparse_init(FmCudaData *d);
/* matrix and vector descriptors and the SpMV buffer (after assembly).
 * The product asked for (d->spmv: cuSPARSE's by default, or Femora's
 * kernel) is checked against the reference kernel on a test vector; one
 * that differs by more than 1e-12 (relative 2-norm) or cuSPARSE without a
 * BSR product for doubles gives way to the next (cuSPARSE, Femora's
 * kernel, the reference); spmv_note says which runs and why */
int fm_cuda_sparse_setup(FmCudaData *d);
/* y = A x (device vectors of length n) */
int fm_cuda_spmv(FmCudaData *d, const double *x, double *y);
/* y = alpha A x + beta y (beta 0: y not read) */
int fm_cuda_spmv_ab(FmCudaData *d, double alpha, const double *x, double beta,
                    double *y);
/* The stiffness product's bandwidth (bytes of the values, block columns
 * and offsets, x and y, per product, the mean of 20; GB/s; matrix-free:
 * the least traffic of its two kernels, docs/gpu.md)
 * against a 256 MB device-to-device copy's (read + write), as
 * scripts/cupy_cg.py measures CuPy's.  Uses p and q (before a solve). */
int fm_cuda_spmv_bandwidth(FmCudaData *d, double *spmv_gbs, double *copy_gbs);
void fm_cuda_sparse_free(FmCudaData *d);

/* b holds f on entry: b = f - lift on free DOFs, diag * g on fixed ones;
 * x = g on fixed DOFs, 0 elsewhere. */
int fm_cuda_cg_prepare(FmCudaData *d);
/* with q = A x: r = b - q, z = Dinv r, p = z; s[BB], s[RR], s[RZ].  With
 * d->dinv NULL (a multigrid preconditioner, applied by the caller): r only;
 * s[BB], s[RR], and s[RZ] = 0. */
int fm_cuda_cg_residual(FmCudaData *d);
/* s[PQ] = p . q */
int fm_cuda_cg_dot_pq(FmCudaData *d);
/* alpha = rz / s[PQ]; unless s[PQ] <= 0: x += alpha p, r -= alpha q,
 * z = Dinv r; s[RZ] = r . z, s[RR] = r . r (d->dinv NULL: no z, s[RZ] = 0) */
int fm_cuda_cg_update(FmCudaData *d, double rz);
/* p = z + beta p */
int fm_cuda_cg_direction(FmCudaData *d, double beta);

#ifdef __cplusplus
}
#endif

/* ---- device helpers shared by the .cu files ---- */
#ifdef __CUDACC__

/* A kernel launch: FM_LAUNCH(kernel, grid, block)(arguments), or
 * FM_LAUNCH_SYNC for a kernel whose threads meet at barriers or warp
 * shuffles.  The same launch for nvcc; the CUDA simulator
 * (tests/cudasim/cudasim.h) defines them first to run kernels on the
 * host. */
#ifndef FM_LAUNCH
#define FM_LAUNCH(kernel, grid, block) kernel<<<(grid), (block)>>>
#define FM_LAUNCH_SYNC(kernel, grid, block) kernel<<<(grid), (block)>>>
#endif

/* Grid size for a grid-stride loop over n items (at most
 * FM_CUDA_MAX_BLOCKS, at least 1). */
static inline int fm_cuda_blocks(long long n) {
  long long b = (n + FM_CUDA_THREADS - 1) / FM_CUDA_THREADS;
  if (b > FM_CUDA_MAX_BLOCKS)
    b = FM_CUDA_MAX_BLOCKS;
  return b < 1 ? 1 : (int)b;
}

/* Bytes of local memory one thread of a kernel needs, from its TET4 or
 * its TET10 instance (for the memory estimate: the driver reserves it for
 * every resident thread). */
template <typename K4, typename K10>
static int fm_cuda_local_bytes(int npe, K4 *k4, K10 *k10, size_t *bytes) {
  cudaFuncAttributes attr;
  if (npe == 4)
    FM_CUDA_CHECK(cudaFuncGetAttributes(&attr, k4));
  else
    FM_CUDA_CHECK(cudaFuncGetAttributes(&attr, k10));
  *bytes = attr.localSizeBytes;
  return 0;
}

/* Sum of v[0..NQ) over one block; the result is valid in thread 0. */
template <int NQ> __device__ inline void fm_cuda_block_sum(double v[NQ]) {
  __shared__ double sh[NQ][FM_CUDA_THREADS / 32];
  const int lane = threadIdx.x & 31, w = threadIdx.x >> 5;
  for (int k = 0; k < NQ; k++)
    for (int o = 16; o > 0; o >>= 1)
      v[k] += __shfl_down_sync(0xffffffffu, v[k], o);
  __syncthreads(); /* sh may still be read from a previous call */
  if (lane == 0)
    for (int k = 0; k < NQ; k++)
      sh[k][w] = v[k];
  __syncthreads();
  if (threadIdx.x == 0)
    for (int k = 0; k < NQ; k++) {
      double t = 0.0;
      for (int i = 0; i < FM_CUDA_THREADS / 32; i++)
        t += sh[k][i];
      v[k] = t;
    }
}

/* Deterministic grid-wide sums: every block writes its partial sums, and
 * the last block to finish adds the partials in block order and writes
 * out[0..NQ).  One launch, no atomics on doubles, the same result on every
 * run for the same grid.  Every thread of every block must call this, with
 * blockDim.x == FM_CUDA_THREADS and gridDim.x <= FM_CUDA_MAX_BLOCKS. */
template <int NQ>
__device__ inline void fm_cuda_grid_sum(double v[NQ], double *part,
                                        unsigned int *count, double *out) {
  __shared__ bool last;
  fm_cuda_block_sum<NQ>(v);
  if (threadIdx.x == 0) {
    for (int k = 0; k < NQ; k++)
      part[k * FM_CUDA_MAX_BLOCKS + blockIdx.x] = v[k];
    __threadfence(); /* partials visible before the count says so */
    last = atomicAdd(count, 1u) == gridDim.x - 1;
    if (last)
      __threadfence(); /* and the others' seen after it (acquire) */
  }
  __syncthreads();
  if (!last)
    return;
  double t[NQ];
  for (int k = 0; k < NQ; k++) {
    t[k] = 0.0;
    for (int i = threadIdx.x; i < (int)gridDim.x; i += blockDim.x)
      t[k] += __ldcg(part + k * FM_CUDA_MAX_BLOCKS + i); /* from L2 */
  }
  fm_cuda_block_sum<NQ>(t);
  if (threadIdx.x == 0) {
    for (int k = 0; k < NQ; k++)
      out[k] = t[k];
    *count = 0u; /* ready for the next launch (stream order) */
  }
}

/* The block k of (r, c): bcol[k] == c, bptr[r] <= k < bptr[r + 1], or -1
 * (binary search). */
__device__ inline int fm_cuda_find_block(const int *bptr, const int *bcol,
                                         int r, int c) {
  int lo = bptr[r], hi = bptr[r + 1] - 1;
  const int end = hi;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (bcol[mid] < c)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (lo <= end && bcol[lo] == c) ? lo : -1;
}

#endif /* __CUDACC__ */

#endif
