/* Femora's CUDA simulator: the runtime, the launches and cuSPARSE on the
 * host (tests/cudasim/README.md).
 *
 * Device memory: every cudaMalloc allocation is its own mapping, its data
 * at the end of its pages and an inaccessible guard page after it
 * (electric-fence style), kept inaccessible (PROT_NONE) while host code
 * runs.  Inside a runtime call, a cuSPARSE or CUB call or a kernel, the
 * first touch of an allocation opens it (SIGSEGV handler: mprotect, then
 * the access is retried) until the call returns.  So:
 *  - host code that reads or writes device memory (a crash on a GPU) is
 *    reported, naming the allocation;
 *  - a kernel or call that reads or writes past the end of an allocation
 *    is reported (up to 7 bytes past its end are not: 8-byte alignment);
 *  - pointers passed as device pointers (kernel arguments, copies,
 *    descriptors) must lie in a live allocation, host pointers must not;
 *  - allocations still live at exit are reported (a leak of GPU memory)
 *    and the process exits with status 1.
 * CUDASIM_MEMORY (bytes, or with a K, M or G suffix; default 8G): the
 * device's memory (cudaMemGetInfo; cudaMalloc beyond it fails).
 * CUDASIM_DEVICES: the number of devices (default 1).
 * CUDASIM_ORDER=reverse: blocks and threads run last first (a result
 * that depends on the order threads run in shows as a difference).
 * CUDASIM_FILL: the byte new allocations are filled with (default 0xff:
 * NaN doubles and floats, -1 integers; a GPU's are not zeroed either).
 * CUDASIM_PEAK_FILE: at exit, the most device memory that was allocated at
 * once is written there (bytes).
 * CUDASIM_DEVICE_LOG: every cudaSetDevice appends "process PID: device N"
 * there.
 * CUDASIM_TRAFFIC_FILE: at exit, the bytes copied host to device and
 * device to host are written there (two numbers).
 * CUDASIM_SPGEMM_UNSORTED=1: SpGEMM's rows come out in reverse column
 * order (cuSPARSE does not promise sorted rows). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <vector>

#include "cudasim.h"
#include "cusparse.h"

dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace cudasim {
namespace {

const size_t PAGE = 4096;

struct Alloc {
  long id;
  char *base;       /* the mapping */
  size_t map_bytes; /* with the guard page */
  char *data;       /* the caller's pointer */
  size_t bytes;
  bool open;
};

std::map<uintptr_t, Alloc> allocs; /* by data address */
long next_id = 1;
size_t live_bytes = 0, peak_bytes = 0, memory_total = 8ull << 30;
size_t up_bytes = 0, down_bytes = 0; /* host to device, device to host */
int fill_byte = 0xff;
bool reverse = false; /* CUDASIM_ORDER=reverse */
int depth = 0;
const char *current = "(none)"; /* the call or kernel running */
std::vector<Alloc *> opened;
bool initialised = false;
cudaError_t last_error = cudaSuccess;

/* the launch state */
bool in_kernel = false, direct = false;

[[noreturn]] void vfail(const char *fmt, va_list ap) {
  fprintf(stderr, "cudasim: ");
  vfprintf(stderr, fmt, ap);
  if (in_kernel)
    fprintf(stderr, " [kernel %s, block %u, thread %u]", current, blockIdx.x,
            threadIdx.x);
  else if (depth > 0)
    fprintf(stderr, " [in %s]", current);
  fprintf(stderr, "\n");
  fflush(stderr);
  abort();
}

/* the live allocation whose data hold a (with_pages: whose mapping does,
 * the pages before its data and its guard page included) */
Alloc *find(uintptr_t a, bool with_pages) {
  auto it = allocs.upper_bound(a); /* the first whose data start after a */
  if (with_pages && it != allocs.end() && a >= (uintptr_t)it->second.base)
    return &it->second; /* in the pages before its data */
  if (it == allocs.begin())
    return NULL;
  --it;
  Alloc &al = it->second;
  const uintptr_t lo = with_pages ? (uintptr_t)al.base : (uintptr_t)al.data;
  const uintptr_t hi = with_pages ? (uintptr_t)al.base + al.map_bytes
                                  : (uintptr_t)al.data + al.bytes;
  return a >= lo && a < hi ? &al : NULL;
}

/* the data pages of an allocation, without the guard page */
void set_access(Alloc *al, int prot) {
  if (mprotect(al->base, al->map_bytes - PAGE, prot) != 0) {
    perror("cudasim: mprotect");
    abort();
  }
}

void on_segv(int sig, siginfo_t *si, void *) {
  const uintptr_t a = (uintptr_t)si->si_addr;
  Alloc *al = find(a, true);
  if (!al && in_kernel)
    fail("invalid address %p (not device memory: NULL or a host address)",
         (void *)a);
  if (!al) {
    /* not device memory: the ordinary crash */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  const bool inside = a >= (uintptr_t)al->data &&
                      a < (uintptr_t)al->data + ((al->bytes + 7) & ~7ul);
  if (depth == 0)
    fail("host code touched device memory: address %p in allocation #%ld "
         "(%zu bytes at %p), outside any CUDA call or kernel",
         (void *)a, al->id, al->bytes, (void *)al->data);
  if (!inside) {
    if (a >= (uintptr_t)al->data)
      fail("out of bounds: %zu bytes past the end of allocation #%ld (%zu "
           "bytes at %p)",
           (size_t)(a - (uintptr_t)al->data) - al->bytes, al->id, al->bytes,
           (void *)al->data);
    fail("out of bounds: %zu bytes before allocation #%ld (%zu bytes at %p)",
         (size_t)((uintptr_t)al->data - a), al->id, al->bytes,
         (void *)al->data);
  }
  if (al->open)
    fail("fault inside open allocation #%ld at %p", al->id, (void *)a);
  set_access(al, PROT_READ | PROT_WRITE);
  al->open = true;
  opened.push_back(al);
}

size_t parse_bytes(const char *s) {
  char *end = NULL;
  double v = strtod(s, &end);
  if (end == s || v < 0)
    fail("CUDASIM_MEMORY=%s: not a size", s);
  switch (*end) {
  case 'G':
  case 'g':
    v *= 1073741824.0;
    break;
  case 'M':
  case 'm':
    v *= 1048576.0;
    break;
  case 'K':
  case 'k':
    v *= 1024.0;
    break;
  case 0:
    break;
  default:
    fail("CUDASIM_MEMORY=%s: not a size", s);
  }
  return (size_t)v;
}

void at_exit() {
  if (const char *f = getenv("CUDASIM_PEAK_FILE")) {
    FILE *o = fopen(f, "w");
    if (o) {
      fprintf(o, "%zu\n", peak_bytes);
      fclose(o);
    }
  }
  if (const char *f = getenv("CUDASIM_TRAFFIC_FILE")) {
    FILE *o = fopen(f, "w");
    if (o) {
      fprintf(o, "%zu %zu\n", up_bytes, down_bytes);
      fclose(o);
    }
  }
  if (allocs.empty())
    return;
  fprintf(stderr,
          "cudasim: %zu device allocation(s) still live at exit "
          "(%zu bytes):",
          allocs.size(), live_bytes);
  int k = 0;
  for (auto &p : allocs)
    if (k++ < 8)
      fprintf(stderr, " #%ld (%zu bytes)", p.second.id, p.second.bytes);
  fprintf(stderr, "\n");
  fflush(stderr);
  _exit(1);
}

void init() {
  if (initialised)
    return;
  initialised = true;
  if (const char *m = getenv("CUDASIM_MEMORY"))
    memory_total = parse_bytes(m);
  if (const char *o = getenv("CUDASIM_ORDER")) {
    if (!strcmp(o, "reverse"))
      reverse = true;
    else if (strcmp(o, "forward"))
      fail("CUDASIM_ORDER=%s: must be forward or reverse", o);
  }
  if (const char *f = getenv("CUDASIM_FILL"))
    fill_byte = (int)strtol(f, NULL, 0) & 0xff;
  opened.reserve(1 << 16); /* no allocation in the fault handler */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  atexit(at_exit);
}

/* ---- coroutines for the blocks of FM_LAUNCH_SYNC ----
 * On x86-64 a switch saves the callee-saved registers and the stack
 * pointer (no system call: glibc's swapcontext saves the signal mask with
 * one, which made the simulator ten times slower); elsewhere ucontext. */
enum { READY, WAIT_BLOCK, WAIT_WARP, DONE };
struct Thread {
  void *sp; /* saved stack pointer (x86-64) */
  ucontext_t uc;
  int state;
};
const size_t STACK = 256 * 1024;
std::vector<Thread> threads;
std::vector<char *> stacks;
void *scheduler_sp;
#if !defined(__x86_64__)
ucontext_t scheduler;
#endif
int cur = 0, live = 0, arrived_block = 0;
const char *block_site = ""; /* the __syncthreads the block waits at */
std::vector<int> warp_live, warp_arrived;
std::vector<unsigned char> slots; /* 256 bytes per warp */
void (*run_body)(void *) = NULL;
void *run_ctx = NULL;

#if defined(__x86_64__)
extern "C" void cudasim_switch(void **from, void *to);
asm(".text\n"
    ".globl cudasim_switch\n"
    ".type cudasim_switch,@function\n"
    "cudasim_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n"
    "  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n"
    "  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size cudasim_switch, .-cudasim_switch\n");
#endif

void to_scheduler(int me) {
#if defined(__x86_64__)
  cudasim_switch(&threads[(size_t)me].sp, scheduler_sp);
#else
  swapcontext(&threads[(size_t)me].uc, &scheduler);
#endif
}

void release_block() {
  for (auto &t : threads)
    if (t.state == WAIT_BLOCK)
      t.state = READY;
  arrived_block = 0;
}
void release_warp(int w) {
  const int n = (int)threads.size();
  for (int t = 32 * w; t < n && t < 32 * w + 32; t++)
    if (threads[(size_t)t].state == WAIT_WARP)
      threads[(size_t)t].state = READY;
  warp_arrived[(size_t)w] = 0;
}

void finish_thread() {
  const int w = cur / 32;
  threads[(size_t)cur].state = DONE;
  live--;
  warp_live[(size_t)w]--;
  /* threads that left count as arrived (as on the GPU since Volta) */
  if (arrived_block > 0 && arrived_block == live)
    release_block();
  if (warp_arrived[(size_t)w] > 0 &&
      warp_arrived[(size_t)w] == warp_live[(size_t)w])
    release_warp(w);
}

#if defined(__x86_64__)
extern "C" void cudasim_entry() {
  run_body(run_ctx);
  finish_thread();
  void *dead;
  cudasim_switch(&dead, scheduler_sp); /* never resumed */
  abort();
}
#else
void trampoline() {
  run_body(run_ctx);
  finish_thread();
} /* back to the scheduler (uc_link) */
#endif

void start_thread(int t) {
  Thread &th = threads[(size_t)t];
#if defined(__x86_64__)
  /* the stack as cudasim_switch leaves it: six registers, then the
   * entry's address to return to, then a fake return address, so that the
   * entry starts with the stack aligned as after a call */
  uintptr_t top = ((uintptr_t)stacks[(size_t)t] + STACK) & ~(uintptr_t)15;
  void **sp = (void **)(top - 64);
  for (int k = 0; k < 6; k++)
    sp[k] = NULL;
  sp[6] = (void *)cudasim_entry;
  sp[7] = NULL;
  th.sp = sp;
#else
  getcontext(&th.uc);
  th.uc.uc_stack.ss_sp = stacks[(size_t)t];
  th.uc.uc_stack.ss_size = STACK;
  th.uc.uc_link = &scheduler;
  makecontext(&th.uc, trampoline, 0);
#endif
  th.state = READY;
}

void resume(int t) {
#if defined(__x86_64__)
  cudasim_switch(&scheduler_sp, threads[(size_t)t].sp);
#else
  swapcontext(&scheduler, &threads[(size_t)t].uc);
#endif
}

void run_block_sync(int n) {
  threads.assign((size_t)n, Thread());
  while ((int)stacks.size() < n) {
    void *s = mmap(NULL, STACK, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s == MAP_FAILED)
      fail("no memory for a simulated thread's stack");
    stacks.push_back((char *)s);
  }
  const int nw = (n + 31) / 32;
  warp_live.assign((size_t)nw, 0);
  warp_arrived.assign((size_t)nw, 0);
  slots.assign((size_t)nw * 256, 0);
  for (int t = 0; t < n; t++) {
    start_thread(t);
    warp_live[(size_t)t / 32]++;
  }
  live = n;
  arrived_block = 0;
  int done = 0;
  while (done < n) {
    bool progress = false;
    done = 0;
    for (int t0 = 0; t0 < n; t0++) {
      const int t = reverse ? n - 1 - t0 : t0;
      if (threads[(size_t)t].state == READY) {
        cur = t;
        threadIdx = dim3((unsigned)t);
        resume(t);
        progress = true;
      }
      done += threads[(size_t)t].state == DONE;
    }
    if (!progress && done < n)
      fail("deadlock: %d of %d threads wait at a barrier that the others "
           "never reach",
           n - done, n);
  }
}

void wait_here() {
  const int me = cur;
  if (threads[(size_t)me].state != READY)
    to_scheduler(me);
  /* resumed: the scheduler set cur and threadIdx back */
}

} // namespace

void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfail(fmt, ap);
}

Call::Call(const char *what) {
  init();
  if (depth++ == 0)
    current = what;
}
Call::~Call() {
  if (--depth == 0) {
    for (Alloc *al : opened) {
      set_access(al, PROT_NONE);
      al->open = false;
    }
    opened.clear();
    current = "(none)";
  }
}

void check_device(const void *p, size_t bytes, const char *what) {
  init();
  if (bytes == 0)
    return;
  Alloc *al = find((uintptr_t)p, false);
  if (!al)
    fail("%s: %p is not device memory (no live cudaMalloc allocation holds "
         "it)",
         what, p);
  if ((uintptr_t)p + bytes > (uintptr_t)al->data + al->bytes)
    fail("%s: %zu bytes at %p run %zu bytes past the end of allocation #%ld "
         "(%zu bytes)",
         what, bytes, p,
         (size_t)((uintptr_t)p + bytes - (uintptr_t)al->data) - al->bytes,
         al->id, al->bytes);
}

void check_arg(const char *kernel, int index, const void *p) {
  init();
  if (p && !find((uintptr_t)p, false))
    fail("kernel %s: argument %d (%p) is not device memory", kernel, index, p);
}

/* Host memory is what is mapped in this process and is no allocation's:
 * msync fails with ENOMEM on an unmapped page.  A word of a structure that
 * is not a pointer (a count, a double, two ints) is an address nothing is
 * mapped at, except by a coincidence this check accepts. */
static bool host_mapped(uintptr_t a) {
  if (a < 65536) /* NULL and small integers: never mapped */
    return false;
  void *page = (void *)(a & ~(uintptr_t)(PAGE - 1));
  return msync(page, PAGE, MS_ASYNC) == 0 || errno != ENOMEM;
}

void check_struct_arg(const char *kernel, int index, const void *s,
                      size_t bytes) {
  init();
#if defined(__SANITIZE_ADDRESS__) /* GCC */
  return; /* ASan's shadow maps most of the address space */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang */
  return;
#endif
#endif
  for (size_t k = 0; k + 8 <= bytes; k += 8) {
    uintptr_t w;
    memcpy(&w, (const char *)s + k, 8);
    if (!w || find(w, true)) /* NULL, device memory (or just past it) */
      continue;
    if (host_mapped(w))
      fail("kernel %s: argument %d holds at byte %zu the address %p, which "
           "is not device memory (a host pointer inside a structure)",
           kernel, index, k, (void *)w);
  }
}

void launch(const char *kernel, long long grid, long long block, bool sync,
            void (*body)(void *), void *ctx) {
  init();
  if (grid < 1 || grid > 2147483647LL || block < 1 || block > 1024) {
    fprintf(stderr,
            "cudasim: kernel %s: launch with %lld blocks of %lld "
            "threads\n",
            kernel, grid, block);
    last_error = cudaErrorInvalidValue;
    return;
  }
  Call c(kernel);
  in_kernel = true;
  gridDim = dim3((unsigned)grid);
  blockDim = dim3((unsigned)block);
  for (long long b0 = 0; b0 < grid; b0++) {
    const long long b = reverse ? grid - 1 - b0 : b0;
    blockIdx = dim3((unsigned)b);
    if (!sync) {
      direct = true;
      for (long long t0 = 0; t0 < block; t0++) {
        threadIdx = dim3((unsigned)(reverse ? block - 1 - t0 : t0));
        body(ctx);
      }
      direct = false;
    } else {
      run_body = body;
      run_ctx = ctx;
      run_block_sync((int)block);
    }
  }
  in_kernel = false;
}

void barrier_block(const char *site) {
  if (direct)
    fail("__syncthreads in a kernel launched with FM_LAUNCH (a kernel with "
         "barriers or warp shuffles needs FM_LAUNCH_SYNC)");
  if (live < (int)threads.size())
    fail("__syncthreads reached after %d thread(s) of the block returned "
         "(undefined on a GPU)",
         (int)threads.size() - live);
  /* every thread must wait at the same __syncthreads */
  if (arrived_block == 0)
    block_site = site;
  else if (strcmp(site, block_site))
    fail("threads of a block wait at different __syncthreads, %s and %s "
         "(undefined on a GPU)",
         block_site, site);
  threads[(size_t)cur].state = WAIT_BLOCK;
  if (++arrived_block == live)
    release_block();
  wait_here();
}

void barrier_warp() {
  if (direct)
    fail("a warp shuffle in a kernel launched with FM_LAUNCH (a kernel with "
         "barriers or warp shuffles needs FM_LAUNCH_SYNC)");
  const int w = cur / 32;
  if (warp_live[(size_t)w] != 32)
    fail("a full-mask warp shuffle in a warp of %d live thread(s) "
         "(undefined on a GPU)",
         warp_live[(size_t)w]);
  threads[(size_t)cur].state = WAIT_WARP;
  if (++warp_arrived[(size_t)w] == warp_live[(size_t)w])
    release_warp(w);
  wait_here();
}

unsigned char *warp_slots() {
  return &slots[(size_t)(cur / 32) * 256];
}

} // namespace cudasim

using namespace cudasim;

/* ---- the runtime ---- */

static cudaError_t note(cudaError_t e) {
  if (e != cudaSuccess)
    last_error = e;
  return e;
}

extern "C" cudaError_t cudaMalloc(void **ptr, size_t bytes) {
  init();
  *ptr = NULL;
  if (bytes == 0)
    return cudaSuccess;
  if (bytes > memory_total || live_bytes > memory_total - bytes)
    return note(cudaErrorMemoryAllocation);
  const size_t pages = (bytes + 7 + PAGE - 1) / PAGE;
  const size_t map_bytes = (pages + 1) * PAGE;
  void *m = mmap(NULL, map_bytes, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED)
    return note(cudaErrorMemoryAllocation);
  /* a GPU's new allocations hold whatever was there: here every byte 0xff
   * (doubles and floats NaN, integers -1), so that a read before the
   * first write shows (CUDASIM_FILL: another byte value) */
  if (mprotect(m, map_bytes - PAGE, PROT_READ | PROT_WRITE) == 0) {
    memset(m, fill_byte, map_bytes - PAGE);
    mprotect(m, map_bytes - PAGE, PROT_NONE);
  }
  Alloc al;
  al.id = next_id++;
  al.base = (char *)m;
  al.map_bytes = map_bytes;
  al.data = al.base + pages * PAGE - ((bytes + 7) & ~(size_t)7);
  al.bytes = bytes;
  al.open = false;
  allocs[(uintptr_t)al.data] = al;
  live_bytes += bytes;
  if (live_bytes > peak_bytes)
    peak_bytes = live_bytes;
  *ptr = al.data;
  return cudaSuccess;
}

extern "C" cudaError_t cudaFree(void *ptr) {
  init();
  if (!ptr)
    return cudaSuccess;
  if (depth > 0)
    fail("cudaFree inside a call or kernel");
  auto it = allocs.find((uintptr_t)ptr);
  if (it == allocs.end())
    fail("cudaFree(%p): not a pointer cudaMalloc returned (or freed twice)",
         ptr);
  live_bytes -= it->second.bytes;
  munmap(it->second.base, it->second.map_bytes);
  allocs.erase(it);
  return cudaSuccess;
}

static bool is_device(const void *p) {
  return find((uintptr_t)p, false) != NULL;
}

extern "C" cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes,
                                  enum cudaMemcpyKind kind) {
  init();
  if (bytes == 0)
    return cudaSuccess;
  Call c("cudaMemcpy");
  const bool dd = kind == cudaMemcpyHostToDevice ||
                  kind == cudaMemcpyDeviceToDevice,
             sd = kind == cudaMemcpyDeviceToHost ||
                  kind == cudaMemcpyDeviceToDevice;
  if (kind == cudaMemcpyHostToHost || kind == cudaMemcpyDefault)
    fail("cudaMemcpy kind %d not used by Femora", (int)kind);
  if (dd)
    check_device(dst, bytes, "cudaMemcpy destination");
  else if (is_device(dst))
    fail("cudaMemcpy (to the host): the destination %p is device memory", dst);
  if (sd)
    check_device(src, bytes, "cudaMemcpy source");
  else if (is_device(src))
    fail("cudaMemcpy (from the host): the source %p is device memory", src);
  memmove(dst, src, bytes);
  if (kind == cudaMemcpyHostToDevice)
    up_bytes += bytes;
  else if (kind == cudaMemcpyDeviceToHost)
    down_bytes += bytes;
  return cudaSuccess;
}

extern "C" cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes,
                                       enum cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}

extern "C" cudaError_t cudaMemset(void *ptr, int value, size_t bytes) {
  init();
  if (bytes == 0)
    return cudaSuccess;
  Call c("cudaMemset");
  check_device(ptr, bytes, "cudaMemset");
  memset(ptr, value, bytes);
  return cudaSuccess;
}

extern "C" cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total) {
  init();
  *total = memory_total;
  *free_bytes = memory_total - live_bytes;
  return cudaSuccess;
}

extern "C" cudaError_t cudaGetLastError(void) {
  const cudaError_t e = last_error;
  last_error = cudaSuccess;
  return e;
}
extern "C" cudaError_t cudaPeekAtLastError(void) {
  return last_error;
}

extern "C" const char *cudaGetErrorName(cudaError_t e) {
  switch (e) {
  case cudaSuccess:
    return "cudaSuccess";
  case cudaErrorInvalidValue:
    return "cudaErrorInvalidValue";
  case cudaErrorMemoryAllocation:
    return "cudaErrorMemoryAllocation";
  case cudaErrorNoDevice:
    return "cudaErrorNoDevice";
  case cudaErrorInvalidDevice:
    return "cudaErrorInvalidDevice";
  case cudaErrorIllegalAddress:
    return "cudaErrorIllegalAddress";
  case cudaErrorLaunchFailure:
    return "cudaErrorLaunchFailure";
  }
  return "cudaErrorUnknown";
}
extern "C" const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
  case cudaSuccess:
    return "no error";
  case cudaErrorInvalidValue:
    return "invalid argument";
  case cudaErrorMemoryAllocation:
    return "out of memory";
  case cudaErrorNoDevice:
    return "no CUDA-capable device is detected";
  case cudaErrorInvalidDevice:
    return "invalid device ordinal";
  default:
    return "simulated error";
  }
}

static int device_count() {
  const char *s = getenv("CUDASIM_DEVICES");
  return s ? atoi(s) : 1;
}
static int current_device = 0;

extern "C" cudaError_t cudaGetDeviceCount(int *count) {
  init();
  *count = device_count();
  return *count > 0 ? cudaSuccess : note(cudaErrorNoDevice);
}
extern "C" cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= device_count())
    return note(cudaErrorInvalidDevice);
  current_device = device;
  /* CUDASIM_DEVICE_LOG: a line per process and device chosen (t910) */
  if (const char *f = getenv("CUDASIM_DEVICE_LOG")) {
    FILE *o = fopen(f, "a");
    if (o) {
      fprintf(o, "process %ld: device %d\n", (long)getpid(), device);
      fclose(o);
    }
  }
  return cudaSuccess;
}
extern "C" cudaError_t cudaGetDevice(int *device) {
  *device = current_device;
  return cudaSuccess;
}
extern "C" cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p,
                                               int device) {
  init();
  if (device < 0 || device >= device_count())
    return note(cudaErrorInvalidDevice);
  memset(p, 0, sizeof *p);
  snprintf(p->name, sizeof p->name, "Femora CUDA simulator");
  p->totalGlobalMem = memory_total;
  p->multiProcessorCount = 2;
  p->maxThreadsPerMultiProcessor = 2048;
  p->major = 9;
  return cudaSuccess;
}
extern "C" cudaError_t cudaDeviceGetAttribute(int *v, enum cudaDeviceAttr a,
                                              int) {
  switch (a) {
  case cudaDevAttrMaxThreadsPerBlock:
    *v = 1024;
    break;
  case cudaDevAttrMultiProcessorCount:
    *v = 2;
    break;
  case cudaDevAttrMaxThreadsPerMultiProcessor:
    *v = 2048;
    break;
  default:
    return note(cudaErrorInvalidValue);
  }
  return cudaSuccess;
}
extern "C" cudaError_t cudaDeviceSynchronize(void) {
  return last_error;
}

struct CUevent_st {
  struct timespec t;
};
extern "C" cudaError_t cudaEventCreate(cudaEvent_t *ev) {
  *ev = new CUevent_st();
  return cudaSuccess;
}
extern "C" cudaError_t cudaEventRecord(cudaEvent_t ev, cudaStream_t) {
  clock_gettime(CLOCK_MONOTONIC, &ev->t);
  return cudaSuccess;
}
extern "C" cudaError_t cudaEventSynchronize(cudaEvent_t) {
  return cudaSuccess;
}
extern "C" cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a,
                                            cudaEvent_t b) {
  *ms = (float)((b->t.tv_sec - a->t.tv_sec) * 1e3 +
                (b->t.tv_nsec - a->t.tv_nsec) * 1e-6);
  return cudaSuccess;
}
extern "C" cudaError_t cudaEventDestroy(cudaEvent_t ev) {
  delete ev;
  return cudaSuccess;
}
