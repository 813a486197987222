/* Femora's CUDA simulator (tests/cudasim/README.md): the three CUB device
 * algorithms Femora calls, with CUB's meanings (the temporary-storage query
 * when temp is NULL; the radix sort stable on the key bits [begin, end);
 * the segmented sort stable within each segment), run on the host.  Not
 * NVIDIA's CUB. */
#ifndef FEMORA_CUDASIM_CUB_CUH
#define FEMORA_CUDASIM_CUB_CUH

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <vector>

#include "../cudasim.h"

namespace cub {

namespace detail {
/* the temporary storage's size, or its check when given */
inline bool temp(void *t, size_t &bytes, const char *what) {
  if (!t) {
    bytes = 256;
    return true;
  }
  cudasim::check_device(t, bytes, what);
  return false;
}
} // namespace detail

struct DeviceScan {
  template <class In, class Out, class N>
  static cudaError_t ExclusiveSum(void *t, size_t &bytes, In in, Out out, N n,
                                  cudaStream_t = 0) {
    if (detail::temp(t, bytes, "cub::DeviceScan::ExclusiveSum temp"))
      return cudaSuccess;
    cudasim::Call c("cub::DeviceScan::ExclusiveSum");
    cudasim::check_device(in, sizeof(*in) * (size_t)n, "scan input");
    cudasim::check_device(out, sizeof(*out) * (size_t)n, "scan output");
    std::vector<typename std::remove_reference<decltype(*out)>::type> v(
        (size_t)n);
    typename std::remove_reference<decltype(*out)>::type s = 0;
    for (N i = 0; i < n; i++) {
      v[(size_t)i] = s;
      s += in[i];
    }
    std::copy(v.begin(), v.end(), out);
    return cudaSuccess;
  }
};

struct DeviceRadixSort {
  template <class K, class V, class N>
  static cudaError_t SortPairs(void *t, size_t &bytes, const K *kin, K *kout,
                               const V *vin, V *vout, N n, int begin_bit = 0,
                               int end_bit = (int)sizeof(K) * 8,
                               cudaStream_t = 0) {
    if (detail::temp(t, bytes, "cub::DeviceRadixSort::SortPairs temp"))
      return cudaSuccess;
    cudasim::Call c("cub::DeviceRadixSort::SortPairs");
    cudasim::check_device(kin, sizeof(K) * (size_t)n, "radix sort keys in");
    cudasim::check_device(kout, sizeof(K) * (size_t)n, "radix sort keys out");
    cudasim::check_device(vin, sizeof(V) * (size_t)n, "radix sort values in");
    cudasim::check_device(vout, sizeof(V) * (size_t)n, "radix sort values out");
    const int bits = end_bit - begin_bit;
    const unsigned long long mask =
        bits >= 64 ? ~0ULL : ((1ULL << bits) - 1ULL);
    std::vector<size_t> p((size_t)n);
    std::iota(p.begin(), p.end(), (size_t)0);
    auto key = [&](size_t i) {
      return ((unsigned long long)kin[i] >> begin_bit) & mask;
    };
    std::stable_sort(p.begin(), p.end(),
                     [&](size_t a, size_t b) { return key(a) < key(b); });
    std::vector<K> k2((size_t)n);
    std::vector<V> v2((size_t)n);
    for (size_t i = 0; i < (size_t)n; i++) {
      k2[i] = kin[p[i]];
      v2[i] = vin[p[i]];
    }
    std::copy(k2.begin(), k2.end(), kout);
    std::copy(v2.begin(), v2.end(), vout);
    return cudaSuccess;
  }
};

struct DeviceSegmentedSort {
  template <class K, class V, class N, class S, class B, class E>
  static cudaError_t
  StableSortPairs(void *t, size_t &bytes, const K *kin, K *kout, const V *vin,
                  V *vout, N n, S segments, B begin, E end, cudaStream_t = 0) {
    if (detail::temp(t, bytes, "cub::DeviceSegmentedSort temp"))
      return cudaSuccess;
    cudasim::Call c("cub::DeviceSegmentedSort::StableSortPairs");
    cudasim::check_device(kin, sizeof(K) * (size_t)n, "segmented sort keys in");
    cudasim::check_device(kout, sizeof(K) * (size_t)n,
                          "segmented sort keys out");
    cudasim::check_device(vin, sizeof(V) * (size_t)n,
                          "segmented sort values in");
    cudasim::check_device(vout, sizeof(V) * (size_t)n,
                          "segmented sort values out");
    cudasim::check_device(&begin[0], sizeof(begin[0]) * (size_t)segments,
                          "segment begins");
    cudasim::check_device(&end[0], sizeof(end[0]) * (size_t)segments,
                          "segment ends");
    std::vector<K> k2(kin, kin + n);
    std::vector<V> v2(vin, vin + n);
    for (S s = 0; s < segments; s++) {
      const size_t a = (size_t)begin[s], b = (size_t)end[s];
      if (a > b || b > (size_t)n)
        cudasim::fail("cub::DeviceSegmentedSort: segment %lld is [%zu, %zu) "
                      "of %zu items",
                      (long long)s, a, b, (size_t)n);
      std::vector<size_t> p(b - a);
      std::iota(p.begin(), p.end(), a);
      std::stable_sort(p.begin(), p.end(),
                       [&](size_t x, size_t y) { return kin[x] < kin[y]; });
      for (size_t i = a; i < b; i++) {
        k2[i] = kin[p[i - a]];
        v2[i] = vin[p[i - a]];
      }
    }
    std::copy(k2.begin(), k2.end(), kout);
    std::copy(v2.begin(), v2.end(), vout);
    return cudaSuccess;
  }
};

} // namespace cub

#endif
