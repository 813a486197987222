/* GPU backend, host side: one process, one GPU.  The matrix is assembled on
 * the GPU (kernels/assemble.cu) into a 3x3 block CSR; prescribed DOFs are
 * eliminated symmetrically exactly as in the reference backend
 * (backend_ref.c); CG runs on the GPU (kernels/cg.cu, cuSPARSE SpMV),
 * preconditioned by the smoothed-aggregation multigrid of solver/amg.c
 * (hierarchy built and V-cycles run on the GPU: kernels/amg.cu) or by 3x3
 * point-block Jacobi.  Only f goes up and only u
 * comes down per solve, plus three doubles per CG iteration.  Logs nothing;
 * errors through fm_error.  Design and memory estimate: docs/gpu.md. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "csr.h"
#include "error.h"
#include "matfree.h"
#include "pmg.h"

#include "../kernels/fm_cuda.h"

typedef struct {
  FmCudaData d;
  int device;
  char device_name[320]; /* "NAME (device K)" */
  int use_amg;           /* solver.preconditioner: amg (else jacobi): 1, or 2
                            with the Galerkin products by SpGEMM */
  FmCudaAmg amg;
  FmAmgOps ops;      /* the V-cycle's operations */
  FmAmgShape shape;  /* and its levels */
  FmCudaRecover rec; /* allocated by the first recovery */
  /* solver.preconditioner pmg: the stiffness applied element by element
   * (d.mf), the p-multigrid's level 0 (embedding, smoother) and the
   * corner nodes' linear operator c, level 0 of the smoothed aggregation
   * below (amg; the cycle over both: stack, whose ops and shape are
   * copied to ops and shape) */
  int use_pmg;
  FmCudaMatFree mf;
  FmCudaPmg pmg;
  FmCudaData c;
  FmAmgStack stack;
  int ncopy;  /* node copies of the recovery (fm_post_count_copies) */
  double *x1; /* corner coordinates (host, until the setup) */
  unsigned char *fixed1; /* corner DOFs prescribed (host, until the setup) */
} CudaBackend;

/* device arrays that live through assembly only */
typedef struct {
  double *x;
  int *conn;
  double *Enu;
  int *sptr, *slot; /* every node's element slots (fm_matfree_slots) */
} AssemblyTemps;

int fm_cuda_fail(const char *call, const char *name, const char *desc,
                 const char *file, int line) {
  /* keep the last two path components: kernels/cg.cu */
  const char *f = file, *s1 = NULL, *s2 = NULL;
  for (const char *c = file; *c; c++)
    if (*c == '/') {
      s2 = s1;
      s1 = c;
    }
  if (s2)
    f = s2 + 1;
  return fm_error("cuda: %s failed: %s (%s) at %s:%d", call, name, desc, f,
                  line);
}

int fm_cuda_device_count(void) {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError(); /* clear it: not a sticky error */
    return 0;
  }
  return n;
}

/* bytes in words: "1.25 GiB", or "37.2 MiB" below a GiB (a temporary:
 * use .s within the full expression) */
typedef struct {
  char s[32];
} Bytes;
static Bytes human(double bytes) {
  Bytes b;
  if (bytes >= 1024.0 * 1024.0 * 1024.0)
    snprintf(b.s, sizeof b.s, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  else
    snprintf(b.s, sizeof b.s, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return b;
}

/* the coarsest level's dense inverse (n x n doubles): the level has at
 * most coarse_max rows (FEMORA_AMG_COARSE_MAX), or 2 coarse_max where it
 * is a quarter full (amg.c), or n0, the rows of the operator the
 * hierarchy starts from, if fewer */
static size_t coarse_bytes(size_t n0) {
  FmAmgOptions opt;
  size_t m = n0;
  if (!fm_amg_options_from_env(&opt) && 2 * (size_t)opt.coarse_max < m)
    m = 2 * (size_t)opt.coarse_max;
  else if (m > 3000)
    m = 3000; /* (a bad setting is reported by the setup) */
  return 8 * m * m;
}

/* Device rank % count (one rank today: device 0 of those visible). */
static int select_device(CudaBackend *cb, int rank) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    (void)cudaGetLastError();
    return fm_error("backend cuda: no CUDA device (%s: %s); use --backend cpu",
                    e != cudaSuccess ? cudaGetErrorName(e) : "cudaSuccess",
                    e != cudaSuccess ? cudaGetErrorString(e)
                                     : "no device found");
  }
  cb->device = rank % count;
  FM_CUDA_CHECK(cudaSetDevice(cb->device));
  struct cudaDeviceProp prop;
  FM_CUDA_CHECK(cudaGetDeviceProperties(&prop, cb->device));
  snprintf(cb->device_name, sizeof cb->device_name, "%s (device %d)", prop.name,
           cb->device);
  return 0;
}

/* Block sparsity of the whole model, every node a row (csr.c, without the
 * values: the GPU computes them). */
static int block_structure(const FmMesh *m, int64_t **pptr, int **pcol) {
  int *ids = fm_calloc((size_t)m->nnodes + 1, sizeof(int));
  if (!ids)
    return 1;
  for (int i = 0; i < m->nnodes; i++)
    ids[i] = i;
  FmBlockCsr A;
  const int ierr = fm_csr_pattern(m, m->nnodes, ids, ids, &A);
  free(ids);
  if (ierr)
    return ierr;
  *pptr = A.ptr;
  *pcol = A.col;
  return 0;
}

/* GPU memory the model needs at its peak (assembly), in bytes; n DOFs,
 * nn = n/3 nodes, nnz scalar nonzeros, nb = nnz/9 blocks (docs/gpu.md):
 *   matrix    8 nnz + 4 nb + 4 (nn + 1)  values, block columns and row
 *                                        offsets (3x3 block CSR)
 *   vectors   64 n + 24 n + n            b x r z p q lift g; Dinv; flags
 *   spmv      8 (n + 1)                  cuSPARSE buffer: a guess, its real
 *                                        size is known after allocation
 *   small     24 FM_CUDA_MAX_BLOCKS + 128
 *   multigrid 2.0 (12 nnz)               the hierarchy's setup at its peak
 *                                        (solver.preconditioner amg): P, R,
 *                                        P_tent, the first coarse operator,
 *                                        a chunk of A P and the block
 *                                        patterns beside the fine matrix,
 *                                        measured at 1.15 x 12 nnz, and
 *                                        the hierarchy that stays, 1.5 x
 *                                        with the double cycle and R kept
 *                                        on the TET10 model (docs/gpu.md;
 *                                        2.0 leaves a margin); with
 *                                        FEMORA_AMG_GALERKIN=spgemm 2.8 (A P
 *                                        whole; SpGEMM's buffers besides)
 *                                        and a scalar copy of the fine
 *                                        matrix, 12 nnz + 4 (n + 1); every
 *                                        allocation of the setup is
 *                                        checked again (8 (nn + 1): the
 *                                        block offsets widened for it)
 *   recovery  24 nn + (8 npe + 16) nelem  coordinates, connectivity, copies
 *             + 4 (nn + 1) + 4 npe nelem every node's element slots
 *             + 88 ncopy + 24 nn         per-copy fields, internal forces
 *                                        (ncopy: a copy of a node for
 *                                        each material at it, counted)
 *   coarse    8 m^2                      multigrid: the dense inverse of
 *                                        the coarsest level (m: min(n,
 *                                        2 coarse_max); a coarsening that
 *                                        stalls above it, up to 10000
 *                                        rows, is checked when allocated)
 *   plus, during assembly:
 *   elements  24 nn + (4 npe + 16) nelem coordinates, connectivity, E, nu
 *             + 4 (nn + 1) + 4 npe nelem every node's element slots
 *             + local * resident         the element and recovery kernels'
 *                                        local memory (the larger), reserved
 *                                        for every resident thread */
static size_t estimate_bytes(const FmCudaData *d, size_t ncopy,
                             size_t local_per_thread, size_t resident,
                             int amg) {
  const size_t n = (size_t)d->n, nn = (size_t)d->nn, nnz = (size_t)d->nnz;
  const size_t nb = (size_t)d->nb;
  const size_t matrix =
      8 * nnz + 4 * nb + 4 * (nn + 1) +
      (amg == 2 ? 28 * 12 * nnz / 10 + 12 * nnz + 4 * (n + 1) + 8 * (nn + 1)
       : amg    ? 20 * 12 * nnz / 10 + 8 * (nn + 1)
                : 0);
  const size_t vectors = 64 * n + 72 * nn + n;
  const size_t spmv = 8 * (n + 1);
  const size_t small = 8 * 3 * FM_CUDA_MAX_BLOCKS + 128;
  const size_t elements = 24 * nn + (4 * (size_t)d->npe + 16) * d->nelem +
                          4 * (nn + 1) + 4 * (size_t)d->npe * d->nelem +
                          local_per_thread * resident;
  const size_t recovery =
      52 * nn + 4 + (12 * (size_t)d->npe + 16) * d->nelem + 88 * ncopy;
  return matrix + vectors + spmv + small + recovery + elements +
         (amg ? coarse_bytes(n) : 0);
}

/* Threads that can be resident on the device at once (the driver reserves
 * a kernel's local memory for each of them). */
static int resident_threads(const CudaBackend *cb, size_t *resident) {
  int sms = 0, threads = 0;
  FM_CUDA_CHECK(
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, cb->device));
  FM_CUDA_CHECK(cudaDeviceGetAttribute(
      &threads, cudaDevAttrMaxThreadsPerMultiProcessor, cb->device));
  *resident = (size_t)sms * (size_t)threads;
  return 0;
}

static int check_memory(CudaBackend *cb) {
  FmCudaData *d = &cb->d;
  size_t local = 0, local_rec = 0, resident = 0, freeb = 0, total = 0;
  FM_CALL(fm_cuda_assemble_local_bytes(d->npe, &local));
  FM_CALL(fm_cuda_recover_local_bytes(d->npe, &local_rec));
  if (local_rec > local) /* the driver's reservation: the largest kernel's */
    local = local_rec;
  if (cb->use_amg) {
    FM_CALL(fm_cuda_amg_local_bytes(&local_rec));
    if (local_rec > local)
      local = local_rec;
  }
  FM_CALL(resident_threads(cb, &resident));
  FM_CUDA_CHECK(cudaMemGetInfo(&freeb, &total));
  const size_t need =
      estimate_bytes(d, (size_t)cb->ncopy, local, resident, cb->use_amg);
  if (need > freeb)
    return fm_error("backend cuda: model needs %s of GPU memory, %s free "
                    "on %s%s",
                    human((double)need).s, human((double)freeb).s,
                    cb->device_name,
                    d->npe == 10 ? " (solver: {preconditioner: pmg} stores no "
                                   "stiffness: about a fifth of it)"
                                 : "");
  return 0;
}

/* Allocate the long-lived device arrays (dinv only for point-block Jacobi:
 * NULL tells the CG kernels that the multigrid computes z). */
static int allocate(FmCudaData *d, int jacobi) {
  const size_t n = (size_t)d->n, vb = n * sizeof(double);
  if (!d->mf) { /* a stored stiffness */
    FM_CUDA_CHECK(
        cudaMalloc((void **)&d->bptr, ((size_t)d->nn + 1) * sizeof(int)));
    FM_CUDA_CHECK(cudaMalloc((void **)&d->bcol, (size_t)d->nb * sizeof(int)));
    FM_CUDA_CHECK(
        cudaMalloc((void **)&d->val, (size_t)d->nnz * sizeof(double)));
  }
  FM_CUDA_CHECK(cudaMalloc((void **)&d->b, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->x, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->r, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->z, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->p, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->q, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->lift, vb));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->g, vb));
  if (jacobi)
    FM_CUDA_CHECK(
        cudaMalloc((void **)&d->dinv, 9 * (size_t)d->nn * sizeof(double)));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->fixed, n));
  FM_CUDA_CHECK(
      cudaMalloc((void **)&d->part, 3 * FM_CUDA_MAX_BLOCKS * sizeof(double)));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->s, FM_CUDA_S_COUNT * sizeof(double)));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->count, sizeof(unsigned int)));
  FM_CUDA_CHECK(cudaMalloc((void **)&d->flag, sizeof(int)));
  FM_CUDA_CHECK(cudaMemset(d->count, 0, sizeof(unsigned int)));
  FM_CUDA_CHECK(cudaMemset(d->s, 0, FM_CUDA_S_COUNT * sizeof(double)));
  /* products with beta 0 need not read y, but no vector starts undefined */
  double *vec[] = {d->b, d->x, d->r, d->z, d->p, d->q, d->lift, d->g};
  for (size_t k = 0; k < sizeof vec / sizeof vec[0]; k++)
    FM_CUDA_CHECK(cudaMemset(vec[k], 0, vb));
  return 0;
}

/* Block structure up (row offsets narrowed to 32 bits: nnz fits). */
static int upload_structure(FmCudaData *d, const int64_t *bptr,
                            const int *bcol) {
  int *p32 = fm_calloc((size_t)d->nn + 1, sizeof(int));
  if (!p32)
    return 1;
  for (int r = 0; r <= d->nn; r++)
    p32[r] = (int)bptr[r];
  const cudaError_t e = cudaMemcpy(
      d->bptr, p32, ((size_t)d->nn + 1) * sizeof(int), cudaMemcpyHostToDevice);
  free(p32);
  FM_CUDA_CHECK_AS(e, "cudaMemcpy (the block row offsets up)");
  FM_CUDA_CHECK(cudaMemcpy(d->bcol, bcol, (size_t)d->nb * sizeof(int),
                           cudaMemcpyHostToDevice));
  return 0;
}

/* (E, nu) of every element, 2 per element (allocated; NULL after fm_error) */
static double *element_Enu(const FmModel *md) {
  const size_t ne = (size_t)md->mesh.nelem;
  double *Enu = fm_calloc(2 * ne + 1, sizeof(double));
  for (size_t e = 0; Enu && e < ne; e++) {
    const FmMaterial *mat = &md->cs.materials[md->elem_mat[e]];
    Enu[2 * e] = mat->E;
    Enu[2 * e + 1] = mat->nu;
  }
  return Enu;
}

/* Every node's element slots (fm_matfree_slots) as 32-bit offsets sptr32
 * (nn + 1) and slots (npe nelem), allocated here; 1 after fm_error. */
static int host_slots(const FmMesh *m, int **sptr32, int **slot) {
  const size_t nn = (size_t)m->nnodes, nk = (size_t)m->nelem * m->npe;
  if (nk > INT_MAX)
    return fm_error("backend cuda: %d elements of %d nodes: this version "
                    "indexes their slots with 32-bit integers",
                    m->nelem, m->npe);
  int64_t *sptr = fm_calloc(nn + 1, sizeof(int64_t));
  *sptr32 = fm_calloc(nn + 1, sizeof(int));
  *slot = fm_calloc(nk + 1, sizeof(int));
  if (!sptr || !*sptr32 || !*slot) {
    free(sptr);
    free(*sptr32);
    free(*slot);
    *sptr32 = *slot = NULL;
    return 1;
  }
  fm_matfree_slots(m, sptr, *slot);
  for (size_t i = 0; i <= nn; i++)
    (*sptr32)[i] = (int)sptr[i];
  free(sptr);
  return 0;
}

/* Coordinates, connectivity, (E, nu) per element and the node -> slot
 * lists up. */
static int upload_elements(const FmMesh *m, const double *Enu,
                           AssemblyTemps *t) {
  const size_t nx = 3 * (size_t)m->nnodes, ne = (size_t)m->nelem;
  const size_t nc = ne * (size_t)m->npe, nn = (size_t)m->nnodes;
  int *sptr = NULL, *slot = NULL;
  FM_CALL(host_slots(m, &sptr, &slot));
  cudaError_t e = cudaSuccess;
  void **bufs[] = {(void **)&t->x, (void **)&t->conn, (void **)&t->Enu,
                   (void **)&t->sptr, (void **)&t->slot};
  const size_t bytes[] = {nx * 8, nc * 4, 2 * ne * 8, (nn + 1) * 4, nc * 4};
  const void *src[] = {m->x, m->conn, Enu, sptr, slot};
  for (size_t k = 0; k < sizeof bytes / sizeof bytes[0] && !e; k++) {
    e = cudaMalloc(bufs[k], bytes[k] > 0 ? bytes[k] : 8);
    if (!e)
      e = cudaMemcpy(*bufs[k], src[k], bytes[k], cudaMemcpyHostToDevice);
  }
  free(sptr);
  free(slot);
  if (e != cudaSuccess)
    return fm_cuda_fail("element data upload (cudaMalloc / cudaMemcpy)",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  return 0;
}

/* Element data up; element kernel. */
static int assemble_elements(const FmModel *md, FmCudaData *d,
                             AssemblyTemps *t) {
  const FmMesh *m = &md->mesh;
  double *Enu = element_Enu(md);
  if (!Enu)
    return 1;
  const int ierr = upload_elements(m, Enu, t);
  free(Enu);
  FM_CALL(ierr);
  int bad = -1;
  FM_CALL(fm_cuda_assemble(d, t->x, t->conn, t->Enu, t->sptr, t->slot, &bad));
  if (bad >= 0)
    return fm_error("%s: element %ld: non-positive Jacobian or a block "
                    "missing from the matrix structure in GPU assembly "
                    "(backend cuda)",
                    m->file, m->elem_tag ? m->elem_tag[bad] : (long)bad + 1);
  return 0;
}

/* the assembly's device arrays, freed (errors ignored: on the way out) */
static void temps_free(AssemblyTemps *t) {
  if (t->x)
    cudaFree(t->x);
  if (t->conn)
    cudaFree(t->conn);
  if (t->Enu)
    cudaFree(t->Enu);
  if (t->sptr)
    cudaFree(t->sptr);
  if (t->slot)
    cudaFree(t->slot);
  memset(t, 0, sizeof *t);
}

static int upload_prescribed(FmCudaData *d, const double *g,
                             const unsigned char *fixed) {
  FM_CUDA_CHECK(cudaMemcpy(d->g, g, (size_t)d->n * sizeof(double),
                           cudaMemcpyHostToDevice));
  FM_CUDA_CHECK(
      cudaMemcpy(d->fixed, fixed, (size_t)d->n, cudaMemcpyHostToDevice));
  return 0;
}

/* Prescribed values and flags up; lift = A g and the mean |diagonal| from
 * the unconstrained matrix; then the elimination (backend_ref.c). */
static int prescribe(const FmModel *md, FmCudaData *d) {
  const size_t n = (size_t)d->n;
  double *g = fm_calloc(n, sizeof(double));
  unsigned char *fixed = fm_calloc(n, 1);
  int ierr = 1;
  if (g && fixed) {
    for (int k = 0; k < md->ndir; k++) {
      fixed[md->dir_dof[k]] = 1;
      g[md->dir_dof[k]] = md->dir_val[k];
    }
    ierr = upload_prescribed(d, g, fixed);
  }
  free(g);
  free(fixed);
  FM_CALL(ierr);
  FM_CALL(fm_cuda_spmv(d, d->g, d->lift));
  FM_CALL(fm_cuda_diag_sum(d));
  double sum;
  FM_CUDA_CHECK(cudaMemcpy(&sum, d->s + FM_CUDA_S_DIAG, sizeof sum,
                           cudaMemcpyDeviceToHost));
  d->diag = sum > 0 ? sum / (double)d->n : 1.0;
  FM_CALL(fm_cuda_eliminate(d));
  return 0;
}

static int assemble_device(FmBackend *be, const int64_t *bptr, const int *bcol,
                           AssemblyTemps *t) {
  CudaBackend *cb = be->data;
  FmCudaData *d = &cb->d;
  FM_CALL(fm_cuda_sparse_init(d)); /* before measuring free memory */
  FM_CALL(check_memory(cb));
  FM_CALL(allocate(d, !cb->use_amg));
  FM_CALL(upload_structure(d, bptr, bcol));
  FM_CALL(assemble_elements(be->md, d, t));
  FM_CALL(fm_cuda_sparse_setup(d));
  FM_CALL(prescribe(be->md, d));
  return 0;
}

/* ---- solver.preconditioner pmg ---- */

/* GPU memory the p-multigrid path needs at its peak, in bytes
 * (docs/gpu.md): no stiffness is stored; the fine level holds the
 * element data, the element forces (fe) and its vectors, the embedding,
 * and the corner nodes' linear operator (nc nodes, nb1 blocks) with its
 * hierarchy, reserved as 2.0 x 12 bytes per nonzero as for amg:
 *   fine      64 n + n + 24 n            b x r z p q lift g; flags; level
 *                                        0's dinv, r, d
 *   elements  24 nn + (4 npe + 16) nelem coordinates, connectivity, E, nu
 *             + 4 (nn + 1) + 28 npe nelem the slots and the element forces
 *             + local * resident         the element action's or the
 *                                        recovery's local memory (the
 *                                        larger)
 *   embedding 12 (Pnnz + Rnnz) + 4 (n + n1 + 2)
 *   corner    8 nnz1 + 4 nb1 + 4 (nc + 1) + 65 n1 + 8 (n1 + 1)
 *             + 2.0 x 12 nnz1 + 8 (nc + 1)
 *             + 28 nc + 4 + 48 nelem + local4 * resident (its assembly:
 *                                        coordinates, connectivity, E, nu,
 *                                        slots)
 *   recovery  24 nn + 4 npe nelem + 88 ncopy  (as estimate_bytes, sharing
 *                                        the element data)
 *   small     twice estimate_bytes's
 *   coarse    8 m^2                      the dense inverse of the coarsest
 *                                        level (m: min(n1, 2 coarse_max)) */
static size_t estimate_pmg_bytes(const FmCudaData *d, const FmCudaData *c,
                                 size_t ncopy, int64_t pnnz, int64_t rnnz,
                                 size_t local, size_t local4, size_t resident) {
  const size_t n = (size_t)d->n, nn = (size_t)d->nn, ne = (size_t)d->nelem;
  const size_t npe = (size_t)d->npe, n1 = (size_t)c->n, nc = (size_t)c->nn;
  const size_t nnz1 = (size_t)c->nnz, nb1 = (size_t)c->nb;
  const size_t fine = 64 * n + n + 24 * n;
  const size_t elements = 24 * nn + (4 * npe + 16) * ne + 4 * (nn + 1) +
                          28 * npe * ne + local * resident;
  const size_t embedding = 12 * (size_t)(pnnz + rnnz) + 4 * (n + n1 + 2);
  const size_t corner = 8 * nnz1 + 4 * nb1 + 4 * (nc + 1) + 65 * n1 +
                        8 * (n1 + 1) + 20 * 12 * nnz1 / 10 + 8 * (nc + 1) +
                        28 * nc + 4 + 48 * ne + local4 * resident;
  /* the recovery shares the coordinates, connectivity and (E, nu) */
  const size_t recovery = 24 * nn + 4 * npe * ne + 88 * ncopy;
  const size_t small = 2 * (8 * 3 * FM_CUDA_MAX_BLOCKS + 128);
  return fine + elements + embedding + corner + recovery + small +
         coarse_bytes(n1);
}

/* The element data of the matrix-free stiffness up: coordinates,
 * connectivity, (E, nu), the node -> slot lists (matfree.c), the element
 * forces' array. */
static int upload_matfree(const FmModel *md, FmCudaMatFree *mf) {
  const FmMesh *m = &md->mesh;
  FM_CALL(fm_matfree_action(md->cs.path, &mf->generic));
  const size_t ne = (size_t)m->nelem, nk = ne * (size_t)m->npe;
  const size_t nn = (size_t)m->nnodes;
  double *Enu = element_Enu(md);
  int *s32 = NULL, *slot = NULL;
  const int ierr = !Enu || host_slots(m, &s32, &slot);
  cudaError_t e = cudaSuccess;
  void **bufs[] = {(void **)&mf->x,    (void **)&mf->conn, (void **)&mf->Enu,
                   (void **)&mf->sptr, (void **)&mf->slot, (void **)&mf->fe};
  const size_t bytes[] = {3 * nn * 8,   nk * 4, 2 * ne * 8,
                          (nn + 1) * 4, nk * 4, 3 * nk * 8};
  const void *src[] = {m->x, m->conn, Enu, s32, slot, NULL};
  for (size_t k = 0; !ierr && k < sizeof bytes / sizeof bytes[0] && !e; k++) {
    e = cudaMalloc(bufs[k], bytes[k] > 0 ? bytes[k] : 8);
    if (!e && src[k])
      e = cudaMemcpy(*bufs[k], src[k], bytes[k], cudaMemcpyHostToDevice);
  }
  free(Enu);
  free(slot);
  free(s32);
  if (ierr)
    return 1;
  if (e != cudaSuccess)
    return fm_cuda_fail("element data upload (cudaMalloc / cudaMemcpy)",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  return 0;
}

/* The corner nodes' linear operator assembled on the GPU (the element
 * kernel of the TET4 stiffness on the corner mesh m1), prescribed DOFs
 * eliminated with the fine level's diag (as pmg.c) */
static int assemble_corner(const FmModel *md, const FmMesh *m1,
                           const int64_t *bptr1, const int *bcol1,
                           CudaBackend *cb) {
  FmCudaData *c = &cb->c;
  FM_CALL(allocate(c, 0));
  FM_CALL(upload_structure(c, bptr1, bcol1));
  FmModel md1 = *md;
  md1.mesh = *m1;
  AssemblyTemps t;
  memset(&t, 0, sizeof t);
  int ierr = assemble_elements(&md1, c, &t);
  temps_free(&t);
  FM_CALL(ierr);
  FM_CALL(fm_cuda_sparse_setup(c));
  FM_CUDA_CHECK(
      cudaMemcpy(c->fixed, cb->fixed1, (size_t)c->n, cudaMemcpyHostToDevice));
  return fm_cuda_eliminate(c);
}

/* The p-multigrid's assembly: no stiffness; the element data up, the
 * lift and the elimination by the element actions; the corner level's
 * operator, the embedding; the corner coordinates and prescribed flags
 * kept for the setup. */
static int assemble_pmg(FmBackend *be) {
  CudaBackend *cb = be->data;
  FmCudaData *d = &cb->d, *c = &cb->c;
  const FmModel *md = be->md;
  const FmMesh *m = &md->mesh;
  if (m->npe != 10)
    return fm_error("%s: solver.preconditioner: pmg needs TET10 elements "
                    "(the mesh has TET4; use amg, or mesh.order: 2)",
                    md->cs.path);
  if ((int64_t)m->nelem * m->npe > INT_MAX / 3)
    return fm_error("backend cuda: %d elements: this version indexes the "
                    "element forces with 32-bit integers",
                    m->nelem);
  FM_CALL(fm_post_count_copies(md, &cb->ncopy));
  d->nn = m->nnodes;
  d->n = 3 * m->nnodes;
  d->npe = m->npe;
  d->nelem = m->nelem;
  d->mf = &cb->mf;
  /* host: corners, the embedding, the corner mesh and its pattern */
  int *corner_of = NULL, *corner_node = NULL, nc = 0;
  char *fixed = fm_calloc((size_t)d->n + 1, 1);
  FmCsr P, R;
  FmMesh m1;
  FmBlockCsr B1;
  memset(&P, 0, sizeof P);
  memset(&R, 0, sizeof R);
  memset(&m1, 0, sizeof m1);
  memset(&B1, 0, sizeof B1);
  int ierr = !fixed;
  for (int k = 0; !ierr && k < md->ndir; k++)
    fixed[md->dir_dof[k]] = 1;
  if (!ierr)
    ierr = fm_pmg_corners(m, &corner_of, &corner_node, &nc);
  if (!ierr)
    ierr = fm_pmg_embedding(m, corner_of, corner_node, fixed, 3 * nc, &P);
  if (!ierr)
    ierr = fm_csr_scalar_transpose(&P, &R);
  if (!ierr)
    ierr = fm_pmg_corner_mesh(m, corner_of, corner_node, nc, &m1);
  if (!ierr) {
    cb->fixed1 = fm_calloc(3 * (size_t)nc + 1, 1);
    ierr = !cb->fixed1;
  }
  for (int k = 0; !ierr && k < nc; k++)
    for (int p = 0; p < 3; p++)
      cb->fixed1[3 * k + p] =
          (unsigned char)fixed[3 * (int64_t)corner_node[k] + p];
  if (!ierr) {
    int *ids = fm_calloc((size_t)nc + 1, sizeof(int));
    ierr = !ids;
    for (int i = 0; !ierr && i < nc; i++)
      ids[i] = i;
    if (!ierr)
      ierr = fm_csr_pattern(&m1, nc, ids, ids, &B1);
    free(ids);
  }
  free(corner_of);
  free(corner_node);
  free(fixed);
  if (!ierr && 9 * B1.ptr[nc] > INT_MAX)
    ierr = fm_error("backend cuda: the corner operator has %lld nonzeros "
                    "(at most %d)",
                    (long long)(9 * B1.ptr[nc]), INT_MAX);
  if (!ierr) {
    c->nn = nc;
    c->n = 3 * nc;
    c->nb = (int)B1.ptr[nc];
    c->nnz = 9 * c->nb;
    c->npe = 4;
    c->nelem = m->nelem;
    c->spmv = d->spmv;
    ierr = fm_cuda_sparse_init(d); /* before measuring free memory */
  }
  /* the memory check, then the fine level, then the corner level */
  if (!ierr) {
    size_t local = 0, local4 = 0, local_rec = 0, local_amg = 0, resident = 0;
    size_t freeb = 0, total = 0;
    int generic = 0;
    ierr = fm_matfree_action(md->cs.path, &generic) ||
           fm_cuda_matfree_local_bytes(10, generic, &local) ||
           fm_cuda_assemble_local_bytes(4, &local4) ||
           fm_cuda_recover_local_bytes(10, &local_rec) ||
           fm_cuda_amg_local_bytes(&local_amg) ||
           resident_threads(cb, &resident);
    if (local_rec > local) /* the driver's reservation: the largest's */
      local = local_rec;
    if (local_amg > local)
      local = local_amg;
    if (!ierr && cudaMemGetInfo(&freeb, &total) != cudaSuccess)
      ierr = fm_error("backend cuda: cudaMemGetInfo failed on %s",
                      cb->device_name);
    const size_t need =
        estimate_pmg_bytes(d, c, (size_t)cb->ncopy, P.ptr ? P.ptr[P.nrows] : 0,
                           R.ptr ? R.ptr[R.nrows] : 0, local, local4, resident);
    if (!ierr && need > freeb)
      ierr = fm_error("backend cuda: model needs %s of GPU memory, %s free "
                      "on %s",
                      human((double)need).s, human((double)freeb).s,
                      cb->device_name);
  }
  if (!ierr)
    ierr = allocate(d, 0) || upload_matfree(md, &cb->mf) ||
           fm_cuda_sparse_setup(d);
  if (!ierr) { /* every element's Jacobian positive (named by its tag) */
    int bad = -1;
    ierr = fm_cuda_matfree_diagonal(d, 0, d->z, &bad);
    if (!ierr && bad >= 0)
      ierr = fm_error("%s: element %ld: non-positive Jacobian at a "
                      "quadrature point (backend cuda, matrix-free "
                      "stiffness)",
                      m->file, m->elem_tag ? m->elem_tag[bad] : (long)bad + 1);
  }
  if (!ierr)
    ierr = prescribe(md, d);
  if (!ierr) {
    c->diag = d->diag; /* as pmg.c: the fine level's */
    c->sp = d->sp;     /* shared; destroyed with d's */
    ierr = assemble_corner(md, &m1, B1.ptr, B1.col, cb);
  }
  if (!ierr)
    ierr = fm_cuda_pmg_upload(&cb->pmg, &P, &R);
  cb->x1 = m1.x; /* kept for the setup (the rigid-body modes) */
  m1.x = NULL;
  free(m1.conn);
  fm_csr_free(&B1);
  fm_csr_scalar_free(&P);
  fm_csr_scalar_free(&R);
  return ierr;
}

static int cuda_assemble(FmBackend *be) {
  CudaBackend *cb = be->data;
  FmCudaData *d = &cb->d;
  const FmMesh *m = &be->md->mesh;
  int rank, size;
  MPI_Comm_rank(be->comm, &rank);
  MPI_Comm_size(be->comm, &size);
  if (size > 1)
    return fm_error("backend cuda: runs on one rank and one GPU in this "
                    "version (got %d ranks); use --backend cpu for MPI runs",
                    size);
  if (m->npe != 4 && m->npe != 10)
    return fm_error("backend cuda: %d nodes per element not supported (TET4 "
                    "or TET10)",
                    m->npe);
  if (m->nnodes < 1 || m->nnodes > INT_MAX / 3)
    return fm_error("backend cuda: %d nodes: this version indexes DOFs with "
                    "32-bit integers (at most %d nodes)",
                    m->nnodes, INT_MAX / 3);
  /* one GPU per process, round-robin over the node's devices: the node-local
   * rank when the launcher gives one (OpenMPI, Slurm), else the rank in the
   * whole job (independent solves run on MPI_COMM_SELF, so be->comm's rank
   * would put them all on device 0) */
  int grank = 0;
  const char *lr = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  if (!lr)
    lr = getenv("SLURM_LOCALID");
  if (lr)
    grank = atoi(lr);
#ifdef FEMORA_HAVE_MPI
  else
    MPI_Comm_rank(MPI_COMM_WORLD, &grank);
#endif
  (void)rank;
  /* FEMORA_DEVICE: an offset (femora suite --jobs sets each case's slot) */
  const char *off = getenv("FEMORA_DEVICE");
  if (off && *off)
    grank += atoi(off) > 0 ? atoi(off) : 0;
  cb->use_pmg = !strcmp(be->md->cs.pc, "pmg");
  cb->use_amg = strcmp(be->md->cs.pc, "jacobi") != 0;
  const char *gal = getenv("FEMORA_AMG_GALERKIN"); /* checked in the setup */
  if (cb->use_amg && gal && !strcmp(gal, "spgemm"))
    cb->use_amg = 2;
  /* the stiffness products: cuSPARSE's BSR SpMV, or Femora's kernel */
  const char *spmv = getenv("FEMORA_GPU_SPMV");
  if (spmv && *spmv && strcmp(spmv, "cusparse") && strcmp(spmv, "kernel"))
    return fm_error("%s: solver.backend: FEMORA_GPU_SPMV=%s: must be "
                    "cusparse or kernel",
                    be->md->cs.path, spmv);
  d->spmv = spmv && !strcmp(spmv, "kernel") ? FM_CUDA_SPMV_KERNEL
                                            : FM_CUDA_SPMV_CUSPARSE;
  FM_CALL(select_device(cb, grank));
  if (cb->use_pmg)
    return assemble_pmg(be);
  int64_t *bptr = NULL;
  int *bcol = NULL;
  FM_CALL(fm_post_count_copies(be->md, &cb->ncopy));
  FM_CALL(block_structure(m, &bptr, &bcol));
  const int64_t nblocks = bptr[m->nnodes];
  if (9 * nblocks > INT_MAX) {
    free(bptr);
    free(bcol);
    return fm_error("backend cuda: the stiffness has %lld nonzeros; this "
                    "version indexes them with 32-bit integers (at most %d); "
                    "use --backend cpu",
                    (long long)(9 * nblocks), INT_MAX);
  }
  d->nn = m->nnodes;
  d->n = 3 * m->nnodes;
  d->nb = (int)nblocks;
  d->nnz = (int)(9 * nblocks);
  d->npe = m->npe;
  d->nelem = m->nelem;
  AssemblyTemps t;
  memset(&t, 0, sizeof t);
  const int ierr = assemble_device(be, bptr, bcol, &t);
  free(bptr);
  free(bcol);
  temps_free(&t); /* errors here would hide the first one */
  return ierr;
}

/* FEMORA_AMG_SETUP=compare: the hierarchy built on the GPU (amg) against
 * the host's from the GPU's matrix: the same steps, summed in the same
 * order, so the same levels and nonzeros, and bit for bit the same lmax on
 * every level (a function of all its operator's values) and Cholesky
 * factor of the coarsest level; else an error naming the first level that
 * differs. */
static int compare_host_setup(FmCudaData *d, const FmModel *md, const double *x,
                              const unsigned char *fixed,
                              const FmAmgOptions *opt, const FmAmg *amg) {
  FmCsr S;
  FmAmg h;
  memset(&S, 0, sizeof S);
  memset(&h, 0, sizeof h);
  if (fm_cuda_download_stiffness(d, &S)) {
    fm_csr_scalar_free(&S);
    return 1;
  }
  if (fm_amg_setup_ex(&S, 1, x, fixed, opt, &h)) {
    fm_csr_scalar_free(&S);
    return fm_amg_error_context(md->cs.path);
  }
  int bad = -1;
  for (int l = 0; bad < 0 && l < amg->nlev && l < h.nlev; l++) {
    const FmAmgLevel *g = &amg->lev[l], *c = &h.lev[l];
    if (g->n != c->n || g->nnz != c->nnz || g->pnnz != c->pnnz ||
        g->emax != c->emax)
      bad = l;
  }
  int ierr = 0;
  if (bad >= 0)
    ierr = fm_error(
        "%s: solver.preconditioner: FEMORA_AMG_SETUP=compare: level %d "
        "differs: GPU %d rows, %lld nonzeros, P %lld, lmax %.17g; host %d, "
        "%lld, %lld, %.17g",
        md->cs.path, bad, amg->lev[bad].n, (long long)amg->lev[bad].nnz,
        (long long)amg->lev[bad].pnnz, amg->lev[bad].emax / 1.1, h.lev[bad].n,
        (long long)h.lev[bad].nnz, (long long)h.lev[bad].pnnz,
        h.lev[bad].emax / 1.1);
  else if (amg->nlev != h.nlev)
    ierr = fm_error("%s: solver.preconditioner: FEMORA_AMG_SETUP=compare: "
                    "%d levels on the GPU, %d on the host",
                    md->cs.path, amg->nlev, h.nlev);
  else {
    const int64_t nc = amg->lev[amg->nlev - 1].n;
    int same = amg->chol && h.chol;
    for (int64_t k = 0; same && k < nc * nc; k++)
      same = amg->chol[k] == h.chol[k];
    if (!same)
      ierr = fm_error("%s: solver.preconditioner: FEMORA_AMG_SETUP=compare: "
                      "the coarsest level's factor differs",
                      md->cs.path);
  }
  if (!ierr)
    printf("amg: FEMORA_AMG_SETUP=compare: the GPU's hierarchy is the "
           "host's (%d levels, lmax and coarse factor bit for bit)\n",
           h.nlev);
  fm_amg_free(&h);
  return ierr;
}

/* After a multigrid setup: room for the recovery arrays allocated later
 * (as in estimate_bytes) and its kernel's local memory for every resident
 * thread (counted whole: the driver may hold less already), or an error
 * that says so now. */
static int recovery_room(CudaBackend *cb) {
  const FmCudaData *d = &cb->d;
  size_t freeb = 0, total = 0, local = 0, resident = 0;
  FM_CUDA_CHECK(cudaMemGetInfo(&freeb, &total));
  FM_CALL(fm_cuda_recover_local_bytes(d->npe, &local));
  FM_CALL(resident_threads(cb, &resident));
  const size_t nn = (size_t)d->nn, npe = (size_t)d->npe;
  const size_t ne = (size_t)d->nelem;
  /* with the matrix-free stiffness the element data are shared */
  const size_t nc = (size_t)cb->ncopy;
  const size_t need = (d->mf ? 24 * nn + 4 * npe * ne + 88 * nc
                             : 52 * nn + 4 + (12 * npe + 16) * ne + 88 * nc) +
                      local * resident;
  if (need > freeb)
    return fm_error("backend cuda: after the multigrid setup (%s), stress "
                    "recovery needs %s of GPU memory, %s free on %s (use "
                    "solver: {preconditioner: jacobi} or --backend cpu)",
                    human((double)cb->amg.bytes).s, human((double)need).s,
                    human((double)freeb).s, cb->device_name);
  return 0;
}

/* FEMORA_AMG_SETUP=host: the hierarchy of the operator d (the stiffness,
 * or pmg's corner operator) built on the host from d's values, brought
 * down, and its levels put up into cb->amg (a fallback) */
static int host_setup(FmCudaData *d, const FmModel *md, const double *x,
                      const unsigned char *fixed, FmAmgOptions *opt,
                      CudaBackend *cb, FmAmg *amg) {
  FmCsr S;
  memset(&S, 0, sizeof S);
  const int single = opt->single;
  opt->single = 0; /* the upload takes the double values */
  int ierr = fm_cuda_download_stiffness(d, &S);
  if (!ierr && fm_amg_setup_ex(&S, 1, x, fixed, opt, amg))
    ierr = fm_amg_error_context(md->cs.path);
  fm_csr_scalar_free(&S);
  amg->opt.single = single;
  opt->single = single;
  if (!ierr)
    ierr = fm_cuda_amg_upload_host(d, &cb->amg, cb->device_name, amg);
  return ierr;
}

/* Smoothed-aggregation multigrid built on the GPU from the GPU's matrix
 * (solver/amg.c's driver on kernels/amg.cu's FmAmgDev): nothing of the
 * fine matrix comes down; then a check that the recovery arrays allocated
 * later still fit. */
static int setup_amg(FmBackend *be) {
  CudaBackend *cb = be->data;
  FmCudaData *d = &cb->d;
  const FmModel *md = be->md;
  FmAmg amg;
  memset(&amg, 0, sizeof amg);
  unsigned char *fixed = fm_calloc((size_t)d->n, 1);
  int ierr = !fixed;
  for (int k = 0; !ierr && k < md->ndir; k++)
    fixed[md->dir_dof[k]] = 1;
  FmAmgOptions opt;
  if (!ierr && fm_amg_options_from_env(&opt))
    ierr = fm_amg_error_context(md->cs.path);
  /* FEMORA_AMG_SETUP=host: the hierarchy built on the host from the GPU's
   * matrix and copied up (a fallback); compare: built on the GPU, and on
   * the host too from the GPU's matrix, which must give the same */
  const char *where = getenv("FEMORA_AMG_SETUP");
  const int on_host = where && !strcmp(where, "host");
  const int compare = where && !strcmp(where, "compare");
  if (!ierr && where && *where && !on_host && !compare && strcmp(where, "gpu"))
    ierr = fm_error("%s: solver.preconditioner: FEMORA_AMG_SETUP=%s: must "
                    "be gpu, host or compare",
                    md->cs.path, where);
  if (!ierr && on_host)
    ierr = host_setup(d, md, md->mesh.x, fixed, &opt, cb, &amg);
  else if (!ierr) {
    FmAmgDev dev;
    FmAmgCsr A0;
    ierr = fm_cuda_amg_dev(d, &cb->amg, cb->device_name, &dev, &A0);
    cb->amg.transpose_r = opt.transpose_r;
    if (!ierr && fm_amg_setup_dev(&dev, &A0, md->mesh.x, fixed, &opt, &amg))
      ierr = fm_amg_error_context(md->cs.path);
    if (!ierr && compare)
      ierr = compare_host_setup(d, md, md->mesh.x, fixed, &opt, &amg);
  }
  free(fixed);
  if (!ierr)
    ierr = fm_cuda_amg_finish(&amg, &cb->amg);
  if (!ierr)
    fm_amg_describe(&amg, be->pc_detail, sizeof be->pc_detail);
  fm_amg_free(&amg);
  FM_CALL(ierr);
  FM_CALL(recovery_room(cb));
  fm_cuda_amg_ops(&cb->amg, &cb->ops);
  cb->shape = cb->amg.shape;
  return 0;
}

/* the p-multigrid's level 0 (l is 0; levels 1.. are the hierarchy's,
 * fm_amg_stack) */
static int pmg_spmv(void *ctx, int l, int which, double alpha, const void *x,
                    double beta, void *y) {
  CudaBackend *cb = ctx;
  (void)l;
  if (which == FM_AMG_A)
    return fm_cuda_spmv_ab(&cb->d, alpha, x, beta, y);
  return fm_cuda_pmg_product(&cb->pmg, which, alpha, x, beta, y);
}

static int pmg_copy(void *ctx, int l, const void *x, void *y) {
  CudaBackend *cb = ctx;
  (void)l;
  FM_CUDA_CHECK(cudaMemcpyAsync(y, x, (size_t)cb->d.n * sizeof(double),
                                cudaMemcpyDeviceToDevice, 0));
  return 0;
}

static int pmg_cheb(void *ctx, int l, double c1, double c2, const void *r,
                    void *d, void *x, int x_zero) {
  CudaBackend *cb = ctx;
  (void)l;
  return fm_cuda_pmg_cheb(&cb->pmg, c1, c2, r, d, x, x_zero);
}

/* The p-multigrid on the GPU: level 0's smoother from the element
 * diagonals and a Lanczos estimate; the smoothed aggregation built on the
 * GPU from the corner operator (as setup_amg from the stiffness); the
 * cycle composed. */
static int setup_pmg(FmBackend *be) {
  CudaBackend *cb = be->data;
  FmCudaData *d = &cb->d;
  const FmModel *md = be->md;
  FmAmgOptions opt;
  if (fm_amg_options_from_env(&opt))
    return fm_amg_error_context(md->cs.path);
  const char *where = getenv("FEMORA_AMG_SETUP");
  const int compare = where && !strcmp(where, "compare");
  const int on_host = where && !strcmp(where, "host");
  if (where && *where && strcmp(where, "gpu") && !compare && !on_host)
    return fm_error("%s: solver.preconditioner: FEMORA_AMG_SETUP=%s: must "
                    "be gpu, host or compare",
                    md->cs.path, where);
  const char *jb = getenv("FEMORA_PMG_JACOBI");
  if (jb && *jb && strcmp(jb, "diagonal"))
    return fm_error("%s: solver.preconditioner: FEMORA_PMG_JACOBI=%s: the "
                    "GPU smooths the p-multigrid's level 0 with the diagonal "
                    "only (diagonal)",
                    md->cs.path, jb);
  int bad_row = -1, bad_elem = -1;
  FM_CALL(fm_cuda_pmg_smoother(d, &cb->pmg, &bad_row, &bad_elem));
  if (bad_elem >= 0)
    return fm_error("%s: element %ld: non-positive Jacobian at a quadrature "
                    "point (backend cuda, matrix-free stiffness)",
                    md->mesh.file,
                    md->mesh.elem_tag ? md->mesh.elem_tag[bad_elem]
                                      : (long)bad_elem + 1);
  if (bad_row >= 0)
    return fm_error("%s: node %d: the stiffness has a diagonal that is not "
                    "positive (p-multigrid, backend cuda)",
                    md->cs.path, bad_row / 3 + 1);
  FmAmg amg;
  memset(&amg, 0, sizeof amg);
  int ierr = 0;
  if (on_host) /* the corner level's hierarchy built on the host */
    ierr = host_setup(&cb->c, md, cb->x1, cb->fixed1, &opt, cb, &amg);
  else {
    FmAmgDev dev;
    FmAmgCsr A1;
    ierr = fm_cuda_amg_dev(&cb->c, &cb->amg, cb->device_name, &dev, &A1);
    cb->amg.transpose_r = opt.transpose_r;
    if (!ierr && fm_amg_setup_dev(&dev, &A1, cb->x1, cb->fixed1, &opt, &amg))
      ierr = fm_amg_error_context(md->cs.path);
  }
  /* compare: the corner level's hierarchy built on the host too, from the
   * GPU's corner operator: the same bit for bit */
  if (!ierr && compare)
    ierr = compare_host_setup(&cb->c, md, cb->x1, cb->fixed1, &opt, &amg);
  if (!ierr)
    ierr = fm_cuda_amg_finish(&amg, &cb->amg);
  if (!ierr) {
    char in[256];
    fm_amg_describe(&amg, in, sizeof in);
    snprintf(be->pc_detail, sizeof be->pc_detail,
             "p-multigrid: %d -> %d DOFs (TET10 matrix-free, TET4 on the "
             "corner nodes) on the GPU; then %s; corner level's products: "
             "%s",
             d->n, cb->c.n, in, cb->c.spmv_note);
  }
  fm_amg_free(&amg);
  free(cb->x1);
  free(cb->fixed1);
  cb->x1 = NULL;
  cb->fixed1 = NULL;
  FM_CALL(ierr);
  FmAmgOps top, inner;
  memset(&top, 0, sizeof top);
  top.ctx = cb;
  top.spmv = pmg_spmv;
  top.copy = pmg_copy;
  top.cheb = pmg_cheb;
  top.r[0] = cb->pmg.r;
  top.d[0] = cb->pmg.d;
  fm_cuda_amg_ops(&cb->amg, &inner);
  if (fm_amg_stack(&cb->stack, &top, &inner, &cb->amg.shape, d->n,
                   cb->pmg.emax))
    return fm_amg_error_context(md->cs.path);
  /* the device hierarchy keeps no b, x on its level 0 (the cycle's input
   * and output there are the caller's): the corner level's own vectors
   * (double, c->n, unused since its product check) */
  cb->stack.ops.b[1] = cb->c.b;
  cb->stack.ops.x[1] = cb->c.x;
  cb->ops = cb->stack.ops; /* its ctx: cb->stack, which stays in place */
  cb->shape = cb->stack.shape;
  return recovery_room(cb);
}

/* z = M r for the current residual; with multigrid also p = z on the first
 * call (first) and s[RZ] = r . z (point-block Jacobi did both in its
 * kernels). */
static int precondition(CudaBackend *cb, int first) {
  FmCudaData *d = &cb->d;
  if (!cb->use_amg)
    return 0;
  FM_CALL(fm_amg_cycle(&cb->shape, &cb->ops, d->r, d->z));
  if (first)
    FM_CUDA_CHECK(cudaMemcpy(d->p, d->z, (size_t)d->n * sizeof(double),
                             cudaMemcpyDeviceToDevice));
  return fm_cuda_dot(d, d->n, d->r, d->z, d->s + FM_CUDA_S_RZ);
}

/* GPU memory in use now (all of the device's, as nvidia-smi shows it),
 * kept as the peak in be->device_peak_mb. */
static int note_device_memory(FmBackend *be) {
  size_t freeb = 0, total = 0;
  FM_CUDA_CHECK(cudaMemGetInfo(&freeb, &total));
  const double mb = (double)(total - freeb) / (1024.0 * 1024.0);
  if (mb > be->device_peak_mb)
    be->device_peak_mb = mb;
  return 0;
}

static int setup_pc(FmBackend *be);

static int cuda_setup(FmBackend *be) {
  CudaBackend *cb = be->data;
  FM_CALL(note_device_memory(be)); /* after assembly */
  const char *sb = getenv("FEMORA_GPU_SPMV_BENCH");
  if (sb && !strcmp(sb, "1")) {
    const double t0 = MPI_Wtime();
    FM_CALL(fm_cuda_spmv_bandwidth(&cb->d, &be->spmv_gbs, &be->copy_gbs));
    be->untimed_seconds = MPI_Wtime() - t0;
  }
  const int ierr = setup_pc(be);
  /* which stiffness product runs, after the preconditioner's words */
  const size_t len = strlen(be->pc_detail);
  snprintf(be->pc_detail + len, sizeof be->pc_detail - len, "%sproducts: %s",
           len ? "; " : "", cb->d.spmv_note);
  return ierr;
}

static int setup_pc(FmBackend *be) {
  CudaBackend *cb = be->data;
  if (cb->use_pmg) {
    FM_CALL(setup_pmg(be));
    return note_device_memory(be);
  }
  if (cb->use_amg) {
    FM_CALL(setup_amg(be));
    return note_device_memory(be);
  }
  snprintf(be->pc_detail, sizeof be->pc_detail, "3x3 point-block Jacobi");
  int bad = -1;
  FM_CALL(fm_cuda_block_jacobi(&cb->d, &bad));
  if (bad >= 0)
    return fm_error("backend cuda: singular diagonal block at node %d",
                    bad + 1);
  return 0;
}

/* Preconditioned CG, as backend_ref.c: start from x = g on prescribed DOFs,
 * iterate while the recurred residual exceeds rtol ||b_free|| (b on the
 * free DOFs), then report the true residual ||b - A x|| / ||b_free||. */
static int cuda_solve(FmBackend *be, int lc, const double *f, double *u,
                      FmSolveInfo *info) {
  CudaBackend *cb = be->data;
  FmCudaData *d = &cb->d;
  const FmModel *md = be->md;
  const size_t bytes = (size_t)d->n * sizeof(double);
  double h[FM_CUDA_S_COUNT];
  FM_CUDA_CHECK(cudaMemcpy(d->b, f, bytes, cudaMemcpyHostToDevice));
  FM_CALL(fm_cuda_cg_prepare(d));
  /* CG from the true residual; where the true residual ends above the
   * tolerance (the recurred one drifts), CG starts again from the
   * solution it has, at most twice (as the other backends) */
  int it = 0, breakdown = 0;
  double bn = 0, tol = 0, rn = 0;
  for (int pass = 0;; pass++) {
    FM_CALL(fm_cuda_spmv(d, d->x, d->q));
    FM_CALL(fm_cuda_cg_residual(d));
    FM_CALL(precondition(cb, 1));
    FM_CUDA_CHECK(
        cudaMemcpy(h, d->s, 4 * sizeof(double), cudaMemcpyDeviceToHost));
    if (pass == 0) {
      bn = sqrt(h[FM_CUDA_S_BB]); /* on the free DOFs */
      tol = md->cs.rtol * bn;
    }
    rn = sqrt(h[FM_CUDA_S_RR]); /* the true residual */
    double rz = h[FM_CUDA_S_RZ];
    if (rn <= tol || pass == 3 || breakdown || it >= md->cs.max_it)
      break;
    while (rn > tol && it < md->cs.max_it) {
      FM_CALL(fm_cuda_spmv(d, d->p, d->q));
      FM_CALL(fm_cuda_cg_dot_pq(d));
      FM_CALL(fm_cuda_cg_update(d, rz));
      FM_CALL(precondition(cb, 0));
      /* pq, rz, rr: the one synchronisation of the iteration */
      FM_CUDA_CHECK(
          cudaMemcpy(h, d->s, 3 * sizeof(double), cudaMemcpyDeviceToHost));
      if (!(h[FM_CUDA_S_PQ] > 0)) {
        breakdown = 1; /* not positive definite */
        break;
      }
      rn = sqrt(h[FM_CUDA_S_RR]);
      if (be->progress)
        be->progress(be->progress_ctx, lc, it + 1, rn / (bn > 0 ? bn : 1.0));
      const double rz1 = h[FM_CUDA_S_RZ], beta = rz1 / rz;
      if (!(rz1 > 0) && rn > tol) {
        breakdown = 1; /* the preconditioner is not positive definite */
        break;
      }
      rz = rz1;
      FM_CALL(fm_cuda_cg_direction(d, beta));
      it++;
    }
  }
  FM_CUDA_CHECK(cudaMemcpy(u, d->x, bytes, cudaMemcpyDeviceToHost));
  info->iterations = it;
  info->residual = rn / (bn > 0 ? bn : 1.0);
  FM_CALL(note_device_memory(be));
  return fm_solve_verdict(md, lc, "cuda", info,
                          !(rn <= tol) && it >= md->cs.max_it, breakdown);
}

/* Element data for the recovery up, once per model; with the matrix-free
 * stiffness (mf not NULL) its coordinates, connectivity and (E, nu) are
 * shared, not copied. */
static int recover_upload(const FmModel *md, const FmPost *post,
                          const FmCudaMatFree *mf, FmCudaRecover *r) {
  const FmMesh *m = &md->mesh;
  const size_t ne = (size_t)m->nelem, nc = ne * (size_t)m->npe;
  const size_t ncopy = (size_t)post->ncopy, nx = 3 * (size_t)m->nnodes;
  double *Enu = element_Enu(md);
  double *inv = fm_calloc(ncopy + 1, sizeof(double));
  if (!Enu || !inv) {
    free(Enu);
    free(inv);
    return 1;
  }
  for (size_t k = 0; k < nc; k++)
    inv[post->elem_copy[k]] += 1.0;
  for (size_t cp = 0; cp < ncopy; cp++)
    inv[cp] = inv[cp] > 0 ? 1.0 / inv[cp] : 0.0;
  r->ncopy = post->ncopy;
  r->shared = mf && mf->x;
  int *sptr = NULL, *slot = NULL;
  if (r->shared) {
    r->x = mf->x;
    r->conn = mf->conn;
    r->Enu = mf->Enu;
    r->sptr = mf->sptr;
    r->slot = mf->slot;
  } else if (host_slots(m, &sptr, &slot)) {
    free(Enu);
    free(inv);
    return 1;
  }
  cudaError_t e = cudaSuccess;
  void **bufs[] = {
      (void **)&r->elem_copy, (void **)&r->inv_count, (void **)&r->stress,
      (void **)&r->vm,        (void **)&r->princ,     (void **)&r->fint,
      (void **)&r->x,         (void **)&r->conn,      (void **)&r->Enu,
      (void **)&r->sptr,      (void **)&r->slot};
  const size_t bytes[] = {
      nc * 4, ncopy * 8, 6 * ncopy * 8, ncopy * 8,        3 * ncopy * 8, nx * 8,
      nx * 8, nc * 4,    2 * ne * 8,    (nx / 3 + 1) * 4, nc * 4};
  const void *src[] = {post->elem_copy, inv, NULL, NULL, NULL, NULL, m->x,
                       m->conn,         Enu, sptr, slot};
  const size_t nall = sizeof bytes / sizeof bytes[0];
  const size_t nbuf = r->shared ? 6 : nall; /* the last five: the mesh's */
  for (size_t k = 0; k < nbuf && !e; k++) {
    e = cudaMalloc(bufs[k], bytes[k] > 0 ? bytes[k] : 8);
    if (!e && src[k])
      e = cudaMemcpy(*bufs[k], src[k], bytes[k], cudaMemcpyHostToDevice);
  }
  free(Enu);
  free(inv);
  free(sptr);
  free(slot);
  if (e != cudaSuccess) {
    /* all or nothing: a later call must not find half of it */
    for (size_t k = 0; k < nall; k++) {
      if (*bufs[k] && k < nbuf)
        cudaFree(*bufs[k]);
      *bufs[k] = NULL;
    }
    r->shared = 0;
    return fm_cuda_fail("recovery data upload (cudaMalloc / cudaMemcpy)",
                        cudaGetErrorName(e), cudaGetErrorString(e), __FILE__,
                        __LINE__);
  }
  return 0;
}

/* FmBackend.fields: the recovered fields of the last solve, computed on the
 * GPU from its own displacement (u, the same values on the host, is not
 * read). */
static int cuda_fields(void *ctx, const FmModel *md, const FmPost *post,
                       const double *u, double *stress, double *vm,
                       double *princ, double *fint) {
  (void)u;
  FmBackend *be = ctx;
  CudaBackend *cb = be->data;
  FmCudaRecover *r = &cb->rec;
  if (!r->x)
    FM_CALL(recover_upload(md, post, cb->d.mf, r));
  if (r->ncopy != post->ncopy)
    return fm_error("backend cuda: recovery set up for %d node copies, "
                    "asked for %d",
                    r->ncopy, post->ncopy);
  FM_CALL(fm_cuda_recover(&cb->d, r));
  const size_t nc = (size_t)r->ncopy;
  FM_CUDA_CHECK(cudaMemcpy(stress, r->stress, 6 * nc * sizeof(double),
                           cudaMemcpyDeviceToHost));
  FM_CUDA_CHECK(
      cudaMemcpy(vm, r->vm, nc * sizeof(double), cudaMemcpyDeviceToHost));
  FM_CUDA_CHECK(cudaMemcpy(princ, r->princ, 3 * nc * sizeof(double),
                           cudaMemcpyDeviceToHost));
  FM_CUDA_CHECK(cudaMemcpy(fint, r->fint, (size_t)cb->d.n * sizeof(double),
                           cudaMemcpyDeviceToHost));
  return note_device_memory(be);
}

static void cuda_destroy(FmBackend *be) {
  CudaBackend *cb = be->data;
  if (!cb)
    return;
  FmCudaData *d = &cb->d;
  fm_cuda_amg_free(&cb->amg);
  fm_cuda_pmg_free(&cb->pmg);
  fm_cuda_matfree_free(&cb->mf);
  free(cb->x1);
  free(cb->fixed1);
  {
    FmCudaData *c = &cb->c; /* the corner level (pmg) */
    c->sp = NULL;           /* d's handle */
    fm_cuda_sparse_free(c);
    void *q[] = {c->bptr,  c->bcol, c->val, c->b,     c->x,   c->r,
                 c->z,     c->p,    c->q,   c->lift,  c->g,   c->dinv,
                 c->fixed, c->part, c->s,   c->count, c->flag};
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++)
      if (q[k])
        cudaFree(q[k]);
  }
  fm_cuda_sparse_free(d);
  {
    FmCudaRecover *r = &cb->rec;
    if (r->shared) /* the matrix-free stiffness's, freed with it */
      r->x = NULL, r->conn = NULL, r->Enu = NULL, r->sptr = NULL,
      r->slot = NULL;
    void *q[] = {r->x,         r->conn,   r->Enu, r->elem_copy,
                 r->inv_count, r->stress, r->vm,  r->princ,
                 r->fint,      r->sptr,   r->slot};
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++)
      if (q[k])
        cudaFree(q[k]);
  }
  void *p[] = {d->bptr,  d->bcol, d->val, d->b,     d->x,   d->r,
               d->z,     d->p,    d->q,   d->lift,  d->g,   d->dinv,
               d->fixed, d->part, d->s,   d->count, d->flag};
  for (size_t k = 0; k < sizeof p / sizeof p[0]; k++)
    if (p[k])
      cudaFree(p[k]); /* errors ignored on the way out */
  free(cb);
  be->data = NULL;
}

int fm_backend_create_cuda(FmBackend *be) {
  be->name = "cuda";
  be->one_process = 1;
  be->data = fm_calloc(1, sizeof(CudaBackend));
  if (!be->data)
    return 1;
  be->assemble = cuda_assemble;
  be->setup = cuda_setup;
  be->solve = cuda_solve;
  be->destroy = cuda_destroy;
  be->fields = cuda_fields;
  return 0;
}
