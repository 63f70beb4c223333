#include "tools/loadgen/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

namespace employability::tools {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.max_micros(), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(0.5), 50);
  EXPECT_EQ(h.Percentile(0.99), 99);
  EXPECT_EQ(h.Percentile(1.0), 100);
}

TEST(LatencyHistogramTest, LargeValuesWithinOnePercent) {
  LatencyHistogram h;
  for (int v = 1; v <= 1000000; ++v) h.Record(v);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double want = q * 1000000;
    EXPECT_NEAR(h.Percentile(q), want, want * 0.01) << q;
  }
  EXPECT_EQ(h.max_micros(), 1000000);
}

TEST(LatencyHistogramTest, NeverReportsAboveTheMax) {
  LatencyHistogram h;
  h.Record(1000003);
  EXPECT_EQ(h.Percentile(0.5), 1000003);
}

TEST(LatencyHistogramTest, HugeAndNegativeValuesAreKept) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(int64_t{1} << 50);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.max_micros(), int64_t{1} << 50);
}

}  // namespace
}  // namespace employability::tools
