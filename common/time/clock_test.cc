#include "common/time/clock.h"

#include <set>
#include <thread>

#include "common/time/call_deadline.h"
#include "gtest/gtest.h"

namespace employability {
namespace {

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1000));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(1005));
  clock.Set(absl::FromUnixSeconds(7));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(7));
}

TEST(RandomIdSource, IdsAreUniqueSafeAndSortByTime) {
  FakeClock clock(absl::FromUnixSeconds(1767225600));
  RandomIdSource ids(clock);
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 2000; ++i) {
    if (i % 100 == 0) clock.Advance(absl::Milliseconds(1));
    std::string id = ids.NewId();
    ASSERT_EQ(id.size(), 20u);
    for (char c : id)
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')) << id;
    EXPECT_TRUE(seen.insert(id).second);
    // Ids from a later millisecond sort after every earlier one.
    if (i % 100 == 0 && !previous.empty()) {
      EXPECT_LT(previous.substr(0, 10), id.substr(0, 10));
    }
    previous = id;
  }
}

TEST(RandomIdSource, IdsFromOneSourceSortInTheOrderMade) {
  FakeClock clock(absl::FromUnixSeconds(1767225600));
  RandomIdSource ids(clock);
  std::string previous = ids.NewId();
  for (int i = 0; i < 1000; ++i) {
    if (i == 500) clock.Advance(-absl::Seconds(1));  // the clock steps back
    std::string id = ids.NewId();
    EXPECT_LT(previous, id);
    previous = id;
  }
}

TEST(SequentialIdSource, CountsWithAPrefix) {
  SequentialIdSource ids("p");
  EXPECT_EQ(ids.NewId(), "p0000000001");
  EXPECT_EQ(ids.NewId(), "p0000000002");
}

TEST(CallDeadline, ScopesNestAndEndWithTheCall) {
  EXPECT_EQ(CallDeadline::Current(), absl::InfiniteFuture());
  const absl::Time outer = absl::FromUnixSeconds(100);
  {
    CallDeadline a(outer);
    EXPECT_EQ(CallDeadline::Current(), outer);
    {
      CallDeadline b(absl::FromUnixSeconds(50));
      EXPECT_EQ(CallDeadline::Current(), absl::FromUnixSeconds(50));
    }
    EXPECT_EQ(CallDeadline::Current(), outer);
    absl::Time seen_elsewhere;
    std::thread([&] { seen_elsewhere = CallDeadline::Current(); }).join();
    EXPECT_EQ(seen_elsewhere, absl::InfiniteFuture());  // per thread
  }
  EXPECT_EQ(CallDeadline::Current(), absl::InfiniteFuture());
}

}  // namespace
}  // namespace employability
