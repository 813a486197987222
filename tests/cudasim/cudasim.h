/* Femora's CUDA simulator, the device side (tests/cudasim/README.md):
 * force-included (-include cudasim.h) when the kernels (.cu) are compiled as
 * host C++ for the simulator build (FEMORA_CUDA_SIM=ON).  It gives the
 * CUDA C++ that Femora's kernels use a host meaning:
 *  - a launch FM_LAUNCH(kernel, grid, block)(args) runs every thread of
 *    every block (blocks one after the other; within a block, threads one
 *    after the other, or, FM_LAUNCH_SYNC, as coroutines that switch at
 *    __syncthreads and warp shuffles, so that a block's threads meet at
 *    its barriers as on the GPU; a barrier in a kernel launched with
 *    FM_LAUNCH is reported and aborts);
 *  - every pointer argument of a launch must point into memory from
 *    cudaMalloc (a host pointer is reported and aborts), and so must
 *    every pointer held in a structure passed by value (its words that
 *    are addresses of host memory are reported);
 *  - __shared__ variables are static (one block runs at a time), atomics
 *    plain operations (one thread runs at a time).
 * What it cannot show: races between threads, timing, the GPU's rounding
 * of fused multiply-adds (none of Femora's decisions depends on it: FMA is
 * off on both sides where it would, amg_steps.h). */
#ifndef FEMORA_CUDASIM_H
#define FEMORA_CUDASIM_H

#ifndef __cplusplus
#error "cudasim.h is for the kernels compiled as C++"
#endif

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "cuda_runtime.h"

#define __CUDACC__ 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct dim3 {
  unsigned int x, y, z;
  dim3(unsigned int a = 1, unsigned int b = 1, unsigned int c = 1)
      : x(a), y(b), z(c) {}
};
extern dim3 threadIdx, blockIdx, blockDim, gridDim;
static const int warpSize = 32;

namespace cudasim {
/* report and abort (the simulator's findings: a test that reaches one
 * fails) */
[[noreturn]] void fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* p, bytes: inside one live cudaMalloc allocation (else fail, naming what) */
void check_device(const void *p, size_t bytes, const char *what);
/* a kernel's pointer argument: NULL or into a live allocation */
void check_arg(const char *kernel, int index, const void *p);
/* run body once per thread of the grid (sync: as coroutines) */
void launch(const char *kernel, long long grid, long long block, bool sync,
            void (*body)(void *), void *ctx);
/* site: where the __syncthreads is (all of a block's threads must wait at
 * the same one) */
void barrier_block(const char *site);
void barrier_warp();
/* the warp's exchange slots (32 x 8 bytes) of the running thread's warp */
unsigned char *warp_slots();
/* device memory may be touched by the simulator until the guard goes */
struct Call {
  explicit Call(const char *what);
  ~Call();
};

/* a structure passed by value: none of its 8-byte words may be the
 * address of host memory (a pointer held inside it, read by the kernel) */
void check_struct_arg(const char *kernel, int index, const void *s,
                      size_t bytes);

template <class T> inline void arg(const char *k, int i, T *p) {
  check_arg(k, i, (const void *)p);
}
template <class T> inline void arg(const char *k, int i, const T &v) {
  if constexpr (std::is_class_v<T>)
    check_struct_arg(k, i, &v, sizeof v);
}

/* the arguments take the kernel's parameter types at the call (as a
 * launch converts them: NULL to a pointer) */
template <class... P> struct Launcher {
  const char *name;
  long long grid, block;
  bool sync;
  void (*f)(P...);
  void operator()(P... a) {
    int i = 0;
    (arg(name, i++, a), ...);
    (void)i;
    auto run = [&]() { f(a...); };
    launch(
        name, grid, block, sync,
        [](void *c) { (*static_cast<decltype(run) *>(c))(); }, &run);
  }
};
template <class... P>
Launcher<P...> launcher(const char *name, long long grid, long long block,
                        bool sync, void (*f)(P...)) {
  return Launcher<P...>{name, grid, block, sync, f};
}
} // namespace cudasim

#define FM_LAUNCH(kernel, grid, block)                                         \
  cudasim::launcher(#kernel, (grid), (block), false, kernel)
#define FM_LAUNCH_SYNC(kernel, grid, block)                                    \
  cudasim::launcher(#kernel, (grid), (block), true, kernel)

#define CUDASIM_STR2(x) #x
#define CUDASIM_STR(x) CUDASIM_STR2(x)
#define __syncthreads()                                                        \
  cudasim::barrier_block(__FILE__ ":" CUDASIM_STR(__LINE__))
static inline void __threadfence() {}
template <class T> static inline T __ldcg(const T *p) {
  return *p;
}
template <class T> static inline T __ldg(const T *p) {
  return *p;
}

template <class T>
static inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta,
                                 int width = warpSize) {
  static_assert(sizeof(T) <= 8, "shuffle of more than 8 bytes");
  if (mask != 0xffffffffu)
    cudasim::fail("__shfl_down_sync with a partial mask (0x%x): not "
                  "simulated",
                  mask);
  unsigned char *s = cudasim::warp_slots();
  const unsigned int lane = threadIdx.x % 32u;
  const unsigned int base = lane - lane % (unsigned int)width;
  __builtin_memcpy(s + 8 * lane, &v, sizeof v);
  cudasim::barrier_warp();
  T r = v;
  if (lane + delta < base + (unsigned int)width)
    __builtin_memcpy(&r, s + 8 * (lane + delta), sizeof r);
  cudasim::barrier_warp();
  return r;
}

static inline int atomicMin(int *p, int v) {
  const int o = *p;
  if (v < o)
    *p = v;
  return o;
}
static inline int atomicMax(int *p, int v) {
  const int o = *p;
  if (v > o)
    *p = v;
  return o;
}
template <class T> static inline T atomicAdd(T *p, T v) {
  const T o = *p;
  *p = o + v;
  return o;
}
static inline double __dadd_rn(double a, double b) {
  return a + b;
}
static inline double __dmul_rn(double a, double b) {
  return a * b;
}

/* the runtime's kernel queries: no registers or local memory to report */
template <class T>
static inline cudaError_t cudaFuncGetAttributes(cudaFuncAttributes *a, T *) {
  *a = cudaFuncAttributes();
  a->maxThreadsPerBlock = 1024;
  return cudaSuccess;
}
template <class T>
static inline cudaError_t
cudaOccupancyMaxActiveBlocksPerMultiprocessor(int *n, T *, int block, size_t) {
  *n = block > 0 && block <= 1024 ? 1 : 0; /* a short grid on the host */
  return cudaSuccess;
}

#endif
