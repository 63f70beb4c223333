// A log-bucketed latency histogram in the manner of HdrHistogram: constant
// memory, lock-free recording from any thread, under 1% error on percentiles.
#ifndef EMPLOYABILITY_TOOLS_LOADGEN_HISTOGRAM_H_
#define EMPLOYABILITY_TOOLS_LOADGEN_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstdint>

namespace employability::tools {

class LatencyHistogram {
 public:
  // Records one latency, in microseconds (negative counts as 0).
  void Record(int64_t micros);

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  int64_t max_micros() const { return max_.load(std::memory_order_relaxed); }

  // The latency at or below which `quantile` (0..1) of the samples fall, in
  // microseconds; 0 when empty.
  int64_t Percentile(double quantile) const;

 private:
  // Values below kLinear get a bucket each; above, each power of two is cut
  // into kSubBuckets, so a bucket is at most 1/kSubBuckets of its value wide.
  static constexpr int kSubBucketBits = 7;
  static constexpr int64_t kLinear = int64_t{1} << kSubBucketBits;
  static constexpr int64_t kSubBuckets = kLinear / 2;
  static constexpr int kBuckets = kLinear + (63 - kSubBucketBits) * kSubBuckets;

  static int BucketOf(int64_t micros);
  static int64_t MidpointOf(int bucket);

  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> max_{0};
};

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_HISTOGRAM_H_
