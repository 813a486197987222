/* The CUDA simulator's own test (t902, simulator build only): what it
 * computes (launch indices, block sums through barriers and shuffles,
 * cuSPARSE's SpMV in CSR, transposed and BSR, SpGEMM, Csr2cscEx2, CUB's
 * scan and sorts) against plain loops, and that every fault it exists to
 * find is found: each runs in a child process (this program with the
 * fault's name) that must fail with the expected line on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cub/cub.cuh>
#include <string>
#include <vector>

#include "fm_cuda.h"

static int failures = 0;
#define EXPECT(c, ...)                                                         \
  do {                                                                         \
    if (!(c)) {                                                                \
      fprintf(stderr, "t902: FAIL line %d: ", __LINE__);                       \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
      failures++;                                                              \
    }                                                                          \
  } while (0)
#define OK(call) EXPECT((call) == 0, "%s", #call)

template <class T> static T *up(const std::vector<T> &h) {
  T *d = NULL;
  if (cudaMalloc(&d, h.size() * sizeof(T)) != cudaSuccess ||
      cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice) !=
          cudaSuccess) {
    fprintf(stderr, "t902: upload failed\n");
    exit(1);
  }
  return d;
}
template <class T> static std::vector<T> down(const T *d, size_t n) {
  std::vector<T> h(n);
  if (cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost) !=
      cudaSuccess) {
    fprintf(stderr, "t902: download failed\n");
    exit(1);
  }
  return h;
}

/* ---- kernels ---- */
__global__ void index_kernel(int n, int *out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    out[i] = i;
}
__global__ void sum_kernel(int n, const double *v, double *part,
                           unsigned int *count, double *out) {
  double s[1] = {0.0};
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += gridDim.x * blockDim.x)
    s[0] += v[i];
  fm_cuda_grid_sum<1>(s, part, count, out);
}
__global__ void shuffle_kernel(double *out) {
  double v = threadIdx.x;
  for (int o = 8; o > 0; o >>= 1)
    v += __shfl_down_sync(0xffffffffu, v, o, 16);
  out[threadIdx.x] = v; /* lanes 0 and 16: their half warp's sum */
}
__global__ void write_kernel(int n, double *x) {
  if (threadIdx.x == 0 && blockIdx.x == 0)
    x[n] = 1.0; /* one past the end */
}
/* a structure passed by value, as FmAmgArgs is */
struct Held {
  int n;
  double scale;
  double *x;
};
__global__ void held_kernel(Held h) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < h.n;
       i += gridDim.x * blockDim.x)
    h.x[i] = h.scale * i;
}
__global__ void barrier_kernel(double *x) {
  __syncthreads();
  x[threadIdx.x] = 0;
}
__global__ void divergent_kernel(double *x) {
  double v = 1.0;
  if (threadIdx.x < 16)
    v = __shfl_down_sync(0xffffffffu, v, 1);
  else
    __syncthreads();
  x[threadIdx.x] = v;
}

__global__ void two_barriers_kernel(double *x) {
  if (threadIdx.x < 32)
    __syncthreads();
  else
    __syncthreads();
  x[threadIdx.x] = 0;
}
__global__ void barrier_after_exit_kernel(double *x) {
  if (threadIdx.x == 5)
    return;
  __syncthreads();
  x[threadIdx.x] = 0;
}
__global__ void shuffle_after_exit_kernel(double *x) {
  if (threadIdx.x == 7)
    return;
  x[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1.0, 1);
}

/* ---- the faults, each in its own process ---- */
static int fault(const char *name) {
  double *d = NULL;
  if (!strcmp(name, "out-of-bounds")) {
    cudaMalloc(&d, 10 * sizeof(double));
    FM_LAUNCH(write_kernel, 1, 32)(10, d);
  } else if (!strcmp(name, "host-touch")) {
    cudaMalloc(&d, 10 * sizeof(double));
    printf("%g\n", d[3]); /* host code reading device memory */
  } else if (!strcmp(name, "host-argument")) {
    static double h[10];
    FM_LAUNCH(write_kernel, 1, 32)(5, h);
  } else if (!strcmp(name, "struct-argument")) {
    static double h[10];
    FM_LAUNCH(held_kernel, 1, 32)(Held{10, 2.0, h});
  } else if (!strcmp(name, "struct-argument-heap")) {
    double *h = (double *)malloc(10 * sizeof(double));
    FM_LAUNCH(held_kernel, 1, 32)(Held{10, 2.0, h});
    free(h);
  } else if (!strcmp(name, "barrier-without-sync")) {
    cudaMalloc(&d, 64 * sizeof(double));
    FM_LAUNCH(barrier_kernel, 1, 64)(d);
  } else if (!strcmp(name, "deadlock")) {
    cudaMalloc(&d, 64 * sizeof(double));
    FM_LAUNCH_SYNC(divergent_kernel, 1, 64)(d);
  } else if (!strcmp(name, "two-barriers")) {
    cudaMalloc(&d, 64 * sizeof(double));
    FM_LAUNCH_SYNC(two_barriers_kernel, 1, 64)(d);
  } else if (!strcmp(name, "barrier-after-exit")) {
    cudaMalloc(&d, 64 * sizeof(double));
    FM_LAUNCH_SYNC(barrier_after_exit_kernel, 1, 64)(d);
  } else if (!strcmp(name, "shuffle-after-exit")) {
    cudaMalloc(&d, 64 * sizeof(double));
    FM_LAUNCH_SYNC(shuffle_after_exit_kernel, 1, 64)(d);
  } else if (!strcmp(name, "copy-direction")) {
    static double h[4];
    cudaMalloc(&d, 4 * sizeof(double));
    cudaMemcpy(h, d, sizeof h, cudaMemcpyHostToDevice); /* swapped */
  } else if (!strcmp(name, "copy-past-end")) {
    static double h[8];
    cudaMalloc(&d, 4 * sizeof(double));
    cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice);
  } else if (!strcmp(name, "double-free")) {
    cudaMalloc(&d, 8);
    cudaFree(d);
    cudaFree(d);
  } else if (!strcmp(name, "leak")) {
    cudaMalloc(&d, 8);
    return 0; /* never freed */
  } else if (!strcmp(name, "spmv-buffer")) {
    /* a buffer smaller than cusparseSpMV_bufferSize said */
    std::vector<int> p = {0, 1, 2}, c = {0, 1};
    std::vector<double> v = {1, 2}, x = {1, 1};
    int *dp = up(p), *dc = up(c);
    double *dv = up(v), *dx = up(x), *dy = up(x);
    cusparseHandle_t h;
    cusparseSpMatDescr_t A;
    cusparseDnVecDescr_t vx, vy;
    cusparseCreate(&h);
    cusparseCreateCsr(&A, 2, 2, 2, dp, dc, dv, CUSPARSE_INDEX_32I,
                      CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO, CUDA_R_64F);
    cusparseCreateDnVec(&vx, 2, dx, CUDA_R_64F);
    cusparseCreateDnVec(&vy, 2, dy, CUDA_R_64F);
    const double one = 1, zero = 0;
    size_t b = 0;
    cusparseSpMV_bufferSize(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, A, vx,
                            &zero, vy, CUDA_R_64F, CUSPARSE_SPMV_ALG_DEFAULT,
                            &b);
    void *buf = NULL;
    cudaMalloc(&buf, b / 2);
    cusparseSpMV(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, A, vx, &zero, vy,
                 CUDA_R_64F, CUSPARSE_SPMV_ALG_DEFAULT, buf);
  } else if (!strcmp(name, "memory-limit")) {
    /* run with CUDASIM_MEMORY=1M: a 2 MB allocation fails, 512 KB fits */
    size_t fr = 0, tot = 0;
    cudaMemGetInfo(&fr, &tot);
    if (tot != 1048576 ||
        cudaMalloc(&d, 2 << 20) != cudaErrorMemoryAllocation || d != NULL ||
        cudaGetLastError() != cudaErrorMemoryAllocation ||
        cudaMalloc(&d, 512 << 10) != cudaSuccess)
      return 3;
    cudaMemGetInfo(&fr, &tot);
    cudaFree(d);
    return fr == (512 << 10) ? 0 : 4;
  } else {
    fprintf(stderr, "t902: no fault %s\n", name);
    return 2;
  }
  return 0;
}

/* runs this program on the fault; its status and stderr checked */
static void expect_fault(const char *self, const char *name, const char *env,
                         int want_ok, const char *want) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s %s '%s' 2>&1", env ? env : "", self, name);
  FILE *p = popen(cmd, "r");
  std::string out;
  char buf[512];
  while (p && fgets(buf, sizeof buf, p))
    out += buf;
  const int st = p ? pclose(p) : -1;
  const bool ok = st == 0;
  EXPECT(ok == (want_ok != 0), "fault %s: status %d (%s)", name, st,
         out.c_str());
  EXPECT(!want || strstr(out.c_str(), want), "fault %s: no '%s' in: %s", name,
         want, out.c_str());
  printf("t902: %s: %s", name, out.empty() ? "(no output)\n" : out.c_str());
}

int main(int argc, char **argv) {
  if (argc > 1)
    return fault(argv[1]);

  /* launch indices */
  {
    const int n = 5000;
    int *d = NULL;
    OK(cudaMalloc(&d, n * sizeof(int)));
    FM_LAUNCH(index_kernel, 3, 128)(n, d);
    OK(cudaGetLastError());
    std::vector<int> h = down(d, n);
    int bad = 0;
    for (int i = 0; i < n; i++)
      bad += h[i] != i;
    EXPECT(bad == 0, "index kernel: %d wrong", bad);
    FM_LAUNCH(index_kernel, 0, 128)(n, d); /* an empty grid */
    EXPECT(cudaGetLastError() == cudaErrorInvalidValue, "empty grid accepted");
    cudaFree(d);
  }
  /* a structure passed by value holding a device pointer (and a pointer
   * just past an allocation's end, as a range's end would be) */
  {
    double *d = NULL;
    OK(cudaMalloc(&d, 100 * sizeof(double)));
    FM_LAUNCH(held_kernel, 2, 32)(Held{100, 0.5, d});
    FM_LAUNCH(held_kernel, 1, 32)(Held{0, 1e300, d + 100});
    OK(cudaGetLastError());
    std::vector<double> h = down(d, 100);
    EXPECT(h[99] == 49.5 && h[1] == 0.5, "structure argument: %g %g", h[99],
           h[1]);
    cudaFree(d);
  }
  /* a grid-wide sum through block barriers, shuffles, the last block */
  {
    const int n = 100000;
    std::vector<double> v(n);
    for (int i = 0; i < n; i++)
      v[i] = i + 1;
    double *dv = up(v), *part = NULL, *out = NULL;
    unsigned int *count = NULL;
    OK(cudaMalloc(&part, FM_CUDA_MAX_BLOCKS * sizeof(double)));
    OK(cudaMalloc(&count, sizeof(unsigned int)));
    OK(cudaMalloc(&out, sizeof(double)));
    OK(cudaMemset(count, 0, sizeof(unsigned int)));
    for (int rep = 0; rep < 2; rep++) {
      FM_LAUNCH_SYNC(sum_kernel, fm_cuda_blocks(n), FM_CUDA_THREADS)
      (n, dv, part, count, out);
      const double s = down(out, 1)[0];
      EXPECT(s == 0.5 * n * (n + 1.0), "grid sum %.17g", s);
    }
    double *sh = NULL;
    OK(cudaMalloc(&sh, 32 * sizeof(double)));
    FM_LAUNCH_SYNC(shuffle_kernel, 1, 32)(sh);
    std::vector<double> hs = down(sh, 32);
    EXPECT(hs[0] == 120 && hs[16] == 376, "half-warp shuffles %g %g", hs[0],
           hs[16]);
    cudaFree(dv), cudaFree(part), cudaFree(count), cudaFree(out), cudaFree(sh);
  }
  /* cuSPARSE: a 3 x 4 CSR (N and T), its 3x3-block form, SpGEMM, csr2csc */
  {
    const int m = 3, n = 4;
    std::vector<int> p = {0, 2, 3, 5}, c = {0, 3, 1, 0, 2};
    std::vector<double> v = {1, 2, 3, 4, 5}, x = {1, -1, 2, 0.5},
                        xt = {1, 2, 3}, y0 = {10, 20, 30, 40};
    double D[3][4] = {{0}};
    for (int i = 0; i < m; i++)
      for (int k = p[i]; k < p[i + 1]; k++)
        D[i][c[k]] = v[k];
    int *dp = up(p), *dc = up(c);
    double *dv = up(v), *dx = up(x), *dxt = up(xt), *dy = up(y0);
    cusparseHandle_t h;
    OK(cusparseCreate(&h));
    cusparseSpMatDescr_t A;
    OK(cusparseCreateCsr(&A, m, n, 5, dp, dc, dv, CUSPARSE_INDEX_32I,
                         CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
                         CUDA_R_64F));
    cusparseDnVecDescr_t vx, vy, vxt, vyt;
    OK(cusparseCreateDnVec(&vx, n, dx, CUDA_R_64F));
    OK(cusparseCreateDnVec(&vy, m, dy, CUDA_R_64F));
    OK(cusparseCreateDnVec(&vxt, m, dxt, CUDA_R_64F));
    OK(cusparseCreateDnVec(&vyt, n, dy, CUDA_R_64F));
    const double al = 2, be = 0.5;
    size_t b = 0;
    OK(cusparseSpMV_bufferSize(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &al, A, vx,
                               &be, vy, CUDA_R_64F, CUSPARSE_SPMV_ALG_DEFAULT,
                               &b));
    void *buf = NULL;
    OK(cudaMalloc(&buf, b));
    OK(cusparseSpMV(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &al, A, vx, &be, vy,
                    CUDA_R_64F, CUSPARSE_SPMV_ALG_DEFAULT, buf));
    std::vector<double> y = down(dy, m);
    for (int i = 0; i < m; i++) {
      double r = 0;
      for (int j = 0; j < n; j++)
        r += D[i][j] * x[j];
      EXPECT(y[i] == al * r + be * y0[i], "SpMV row %d: %g", i, y[i]);
    }
    OK(cudaMemcpy(dy, y0.data(), 4 * sizeof(double), cudaMemcpyHostToDevice));
    OK(cusparseSpMV(h, CUSPARSE_OPERATION_TRANSPOSE, &al, A, vxt, &be, vyt,
                    CUDA_R_64F, CUSPARSE_SPMV_ALG_DEFAULT, buf));
    y = down(dy, n);
    for (int j = 0; j < n; j++) {
      double r = 0;
      for (int i = 0; i < m; i++)
        r += D[i][j] * xt[i];
      EXPECT(y[j] == al * r + be * y0[j], "SpMV^T row %d: %g", j, y[j]);
    }
    /* an algorithm other than the one the buffer was sized for is refused */
    EXPECT(cusparseSpMV(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &al, A, vx, &be,
                        vy, CUDA_R_64F, CUSPARSE_SPMV_CSR_ALG2,
                        buf) == CUSPARSE_STATUS_INVALID_VALUE,
           "SpMV with another algorithm than the buffer's accepted");
    /* a wrong length is refused */
    EXPECT(cusparseSpMV(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &al, A, vxt, &be,
                        vy, CUDA_R_64F, CUSPARSE_SPMV_ALG_DEFAULT,
                        buf) == CUSPARSE_STATUS_INVALID_VALUE,
           "SpMV with x of the wrong length accepted");
    /* BSR: 2 x 2 blocks of 3x3, blocks (0,0), (0,1), (1,1) */
    std::vector<int> bp = {0, 2, 3}, bc = {0, 1, 1};
    std::vector<double> bv(27), bx(6), by(6, 0.0);
    for (int k = 0; k < 27; k++)
      bv[k] = k + 1;
    for (int k = 0; k < 6; k++)
      bx[k] = k - 2;
    int *dbp = up(bp), *dbc = up(bc);
    double *dbv = up(bv), *dbx = up(bx), *dby = up(by);
    cusparseSpMatDescr_t B;
    OK(cusparseCreateBsr(&B, 2, 2, 3, 3, 3, dbp, dbc, dbv, CUSPARSE_INDEX_32I,
                         CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
                         CUDA_R_64F, CUSPARSE_ORDER_ROW));
    cusparseDnVecDescr_t vbx, vby;
    OK(cusparseCreateDnVec(&vbx, 6, dbx, CUDA_R_64F));
    OK(cusparseCreateDnVec(&vby, 6, dby, CUDA_R_64F));
    const double one = 1, zero = 0;
    size_t bb = 0;
    OK(cusparseSpMV_bufferSize(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, B,
                               vbx, &zero, vby, CUDA_R_64F,
                               CUSPARSE_SPMV_BSR_ALG1, &bb));
    void *bbuf = NULL;
    OK(cudaMalloc(&bbuf, bb));
    OK(cusparseSpMV(h, CUSPARSE_OPERATION_NON_TRANSPOSE, &one, B, vbx, &zero,
                    vby, CUDA_R_64F, CUSPARSE_SPMV_BSR_ALG1, bbuf));
    by = down(dby, 6);
    for (int r = 0; r < 6; r++) {
      double s = 0;
      for (int k = bp[r / 3]; k < bp[r / 3 + 1]; k++)
        for (int q = 0; q < 3; q++)
          s += bv[9 * k + 3 * (r % 3) + q] * bx[3 * bc[k] + q];
      EXPECT(by[r] == s, "BSR SpMV row %d: %g against %g", r, by[r], s);
    }
    /* SpGEMM (ALG1's sequence): C = A A^T (3 x 3) through csr2csc */
    int *tp = NULL, *tc = NULL;
    double *tv = NULL;
    OK(cudaMalloc(&tp, (n + 1) * sizeof(int)));
    OK(cudaMalloc(&tc, 5 * sizeof(int)));
    OK(cudaMalloc(&tv, 5 * sizeof(double)));
    size_t tb = 0;
    OK(cusparseCsr2cscEx2_bufferSize(
        h, m, n, 5, dv, dp, dc, tv, tp, tc, CUDA_R_64F, CUSPARSE_ACTION_NUMERIC,
        CUSPARSE_INDEX_BASE_ZERO, CUSPARSE_CSR2CSC_ALG1, &tb));
    void *tbuf = NULL;
    OK(cudaMalloc(&tbuf, tb));
    OK(cusparseCsr2cscEx2(h, m, n, 5, dv, dp, dc, tv, tp, tc, CUDA_R_64F,
                          CUSPARSE_ACTION_NUMERIC, CUSPARSE_INDEX_BASE_ZERO,
                          CUSPARSE_CSR2CSC_ALG1, tbuf));
    std::vector<int> hp = down(tp, n + 1), hc = down(tc, 5);
    std::vector<double> hv = down(tv, 5);
    for (int j = 0; j < n; j++)
      for (int k = hp[j]; k < hp[j + 1]; k++)
        EXPECT(D[hc[k]][j] == hv[k], "csr2csc: (%d, %d)", hc[k], j);
    EXPECT(hp[n] == 5, "csr2csc: %d entries", hp[n]);
    cusparseSpMatDescr_t At, C;
    OK(cusparseCreateCsr(&At, n, m, 5, tp, tc, tv, CUSPARSE_INDEX_32I,
                         CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
                         CUDA_R_64F));
    int *cp = NULL;
    OK(cudaMalloc(&cp, (m + 1) * sizeof(int)));
    OK(cusparseCreateCsr(&C, m, m, 0, cp, NULL, NULL, CUSPARSE_INDEX_32I,
                         CUSPARSE_INDEX_32I, CUSPARSE_INDEX_BASE_ZERO,
                         CUDA_R_64F));
    cusparseSpGEMMDescr_t g;
    OK(cusparseSpGEMM_createDescr(&g));
    const cusparseOperation_t N = CUSPARSE_OPERATION_NON_TRANSPOSE;
    size_t b1 = 0, b2 = 0;
    void *g1 = NULL, *g2 = NULL;
    OK(cusparseSpGEMM_workEstimation(h, N, N, &one, A, At, &zero, C, CUDA_R_64F,
                                     CUSPARSE_SPGEMM_ALG1, g, &b1, NULL));
    OK(cudaMalloc(&g1, b1));
    OK(cusparseSpGEMM_workEstimation(h, N, N, &one, A, At, &zero, C, CUDA_R_64F,
                                     CUSPARSE_SPGEMM_ALG1, g, &b1, g1));
    OK(cusparseSpGEMM_compute(h, N, N, &one, A, At, &zero, C, CUDA_R_64F,
                              CUSPARSE_SPGEMM_ALG1, g, &b2, NULL));
    OK(cudaMalloc(&g2, b2));
    OK(cusparseSpGEMM_compute(h, N, N, &one, A, At, &zero, C, CUDA_R_64F,
                              CUSPARSE_SPGEMM_ALG1, g, &b2, g2));
    int64_t r64 = 0, c64 = 0, nnz = 0;
    OK(cusparseSpMatGetSize(C, &r64, &c64, &nnz));
    int *cc = NULL;
    double *cv = NULL;
    OK(cudaMalloc(&cc, nnz * sizeof(int)));
    OK(cudaMalloc(&cv, nnz * sizeof(double)));
    OK(cusparseCsrSetPointers(C, cp, cc, cv));
    OK(cusparseSpGEMM_copy(h, N, N, &one, A, At, &zero, C, CUDA_R_64F,
                           CUSPARSE_SPGEMM_ALG1, g));
    std::vector<int> gp = down(cp, m + 1), gc = down(cc, nnz);
    std::vector<double> gv = down(cv, nnz);
    double G[3][3] = {{0}};
    for (int i = 0; i < m; i++)
      for (int k = gp[i]; k < gp[i + 1]; k++)
        G[i][gc[k]] = gv[k];
    for (int i = 0; i < m; i++)
      for (int j = 0; j < m; j++) {
        double s = 0;
        for (int k = 0; k < n; k++)
          s += D[i][k] * D[j][k];
        EXPECT(G[i][j] == s, "SpGEMM (%d, %d): %g against %g", i, j, G[i][j],
               s);
      }
    cusparseSpGEMM_destroyDescr(g);
    cusparseDestroySpMat(A), cusparseDestroySpMat(B), cusparseDestroySpMat(At),
        cusparseDestroySpMat(C);
    cusparseDestroyDnVec(vx), cusparseDestroyDnVec(vy),
        cusparseDestroyDnVec(vxt), cusparseDestroyDnVec(vyt),
        cusparseDestroyDnVec(vbx), cusparseDestroyDnVec(vby);
    cusparseDestroy(h);
    void *all[] = {dp,  dc,   dv, dx, dxt, dy,   buf, dbp, dbc, dbv, dbx,
                   dby, bbuf, tp, tc, tv,  tbuf, cp,  g1,  g2,  cc,  cv};
    for (void *q : all)
      cudaFree(q);
  }
  /* CUB: scan, radix sort on the low bits (stable), segmented sort */
  {
    std::vector<long long> s = {3, 1, 4, 1, 5};
    long long *ds = up(s), *dso = up(s);
    void *t = NULL;
    size_t tb = 0;
    OK(cub::DeviceScan::ExclusiveSum(t, tb, ds, dso, 5));
    OK(cudaMalloc(&t, tb));
    OK(cub::DeviceScan::ExclusiveSum(t, tb, ds, dso, 5));
    std::vector<long long> so = down(dso, 5);
    EXPECT(so[0] == 0 && so[1] == 3 && so[4] == 9, "scan %lld %lld %lld", so[0],
           so[1], so[4]);
    cudaFree(t);
    std::vector<unsigned int> k = {5, 2, 9, 2, 0};
    std::vector<int> v = {0, 1, 2, 3, 4};
    unsigned int *dk = up(k), *dko = up(k);
    int *dv = up(v), *dvo = up(v);
    t = NULL;
    OK(cub::DeviceRadixSort::SortPairs(t, tb, dk, dko, dv, dvo, 5, 0, 3));
    OK(cudaMalloc(&t, tb));
    OK(cub::DeviceRadixSort::SortPairs(t, tb, dk, dko, dv, dvo, 5, 0, 3));
    std::vector<int> vo = down(dvo, 5); /* keys mod 8: 5 2 1 2 0 */
    EXPECT(vo[0] == 4 && vo[1] == 2 && vo[2] == 1 && vo[3] == 3 && vo[4] == 0,
           "radix sort %d %d %d %d %d", vo[0], vo[1], vo[2], vo[3], vo[4]);
    cudaFree(t);
    std::vector<int> sk = {3, 1, 2, 9, 7}, off = {0, 3, 5};
    std::vector<double> sv = {30, 10, 20, 90, 70};
    int *dsk = up(sk), *dsko = up(sk), *doff = up(off);
    double *dsv = up(sv), *dsvo = up(sv);
    t = NULL;
    OK(cub::DeviceSegmentedSort::StableSortPairs(t, tb, dsk, dsko, dsv, dsvo, 5,
                                                 2, doff, doff + 1));
    OK(cudaMalloc(&t, tb));
    OK(cub::DeviceSegmentedSort::StableSortPairs(t, tb, dsk, dsko, dsv, dsvo, 5,
                                                 2, doff, doff + 1));
    std::vector<double> svo = down(dsvo, 5);
    EXPECT(svo[0] == 10 && svo[1] == 20 && svo[2] == 30 && svo[3] == 70 &&
               svo[4] == 90,
           "segmented sort %g %g %g %g %g", svo[0], svo[1], svo[2], svo[3],
           svo[4]);
    void *all[] = {ds, dso, dk, dko, dv, dvo, t, dsk, dsko, doff, dsv, dsvo};
    for (void *q : all)
      cudaFree(q);
  }

  /* the faults */
  const char *self = argv[0];
  expect_fault(self, "out-of-bounds", NULL, 0,
               "out of bounds: 0 bytes past the end of allocation");
  expect_fault(self, "host-touch", NULL, 0, "host code touched device memory");
  expect_fault(self, "host-argument", NULL, 0,
               "kernel write_kernel: argument 1");
  expect_fault(self, "struct-argument", NULL, 0,
               "kernel held_kernel: argument 0 holds at byte 16 the address");
  expect_fault(self, "struct-argument-heap", NULL, 0,
               "a host pointer inside a structure");
  expect_fault(self, "barrier-without-sync", NULL, 0, "needs FM_LAUNCH_SYNC");
  expect_fault(self, "deadlock", NULL, 0, "deadlock");
  expect_fault(self, "two-barriers", NULL, 0, "different __syncthreads");
  expect_fault(self, "barrier-after-exit", NULL, 0,
               "reached after 1 thread(s) of the block returned");
  expect_fault(self, "shuffle-after-exit", NULL, 0,
               "warp of 31 live thread(s)");
  expect_fault(self, "copy-direction", NULL, 0, "cudaMemcpy destination: ");
  expect_fault(self, "copy-past-end", NULL, 0, "past the end of allocation");
  expect_fault(self, "double-free", NULL, 0, "freed twice");
  expect_fault(self, "leak", NULL, 0, "still live at exit");
  expect_fault(self, "spmv-buffer", NULL, 0, "cusparseSpMV: the buffer");
  expect_fault(self, "memory-limit", "CUDASIM_MEMORY=1M", 1, NULL);
  if (failures)
    fprintf(stderr, "t902: %d failure(s)\n", failures);
  else
    printf("t902: the simulator computes and finds what it should\n");
  return failures ? 1 : 0;
}
