#include "tools/loadgen/histogram.h"

#include <algorithm>
#include <cmath>

namespace employability::tools {

int LatencyHistogram::BucketOf(int64_t micros) {
  if (micros < kLinear) return static_cast<int>(std::max<int64_t>(micros, 0));
  int top_bit = 63 - __builtin_clzll(static_cast<uint64_t>(micros));
  int shift = top_bit - (kSubBucketBits - 1);  // keeps the top 7 bits
  int64_t top = micros >> shift;               // in [kSubBuckets, kLinear)
  return static_cast<int>(kLinear + (shift - 1) * kSubBuckets +
                          (top - kSubBuckets));
}

int64_t LatencyHistogram::MidpointOf(int bucket) {
  if (bucket < kLinear) return bucket;
  int shift = (bucket - kLinear) / kSubBuckets + 1;
  int64_t top = (bucket - kLinear) % kSubBuckets + kSubBuckets;
  return (top << shift) + (int64_t{1} << shift) / 2;
}

void LatencyHistogram::Record(int64_t micros) {
  micros = std::max<int64_t>(micros, 0);
  counts_[BucketOf(micros)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  int64_t seen = max_.load(std::memory_order_relaxed);
  while (micros > seen &&
         !max_.compare_exchange_weak(seen, micros, std::memory_order_relaxed)) {
  }
}

int64_t LatencyHistogram::Percentile(double quantile) const {
  uint64_t total = count();
  if (total == 0) return 0;
  auto rank = static_cast<uint64_t>(std::ceil(quantile * total));
  rank = std::clamp<uint64_t>(rank, 1, total);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[b].load(std::memory_order_relaxed);
    // A bucket's midpoint can overshoot the largest sample in it.
    if (seen >= rank) return std::min(MidpointOf(b), max_micros());
  }
  return max_micros();
}

}  // namespace employability::tools
