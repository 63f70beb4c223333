#include "tools/loadgen/process_cpu.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

namespace employability::tools {
namespace {

void Spin(std::chrono::milliseconds how_long) {
  auto end = std::chrono::steady_clock::now() + how_long;
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < end) x = x + 1;
}

TEST(ProcessCpuTest, ReadsOwnProcessAndGrows) {
  std::optional<double> before = ProcessCpuSeconds(getpid());
  ASSERT_TRUE(before.has_value());
  double own_before = OwnCpuSeconds();
  Spin(std::chrono::milliseconds(200));
  std::optional<double> after = ProcessCpuSeconds(getpid());
  ASSERT_TRUE(after.has_value());
  EXPECT_GT(*after, *before + 0.05);
  EXPECT_GT(OwnCpuSeconds(), own_before + 0.05);
}

TEST(ProcessCpuTest, NoSuchProcess) {
  EXPECT_FALSE(ProcessCpuSeconds(-1).has_value());
}

}  // namespace
}  // namespace employability::tools
