// Clock and id sources, passed in so that tests can swap them.
#ifndef EMPLOYABILITY_COMMON_TIME_CLOCK_H_
#define EMPLOYABILITY_COMMON_TIME_CLOCK_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace employability {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// A clock that moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1767225600))
      : now_ns_(absl::ToUnixNanos(start)) {}
  absl::Time Now() const override {
    return absl::FromUnixNanos(now_ns_.load());
  }
  void Set(absl::Time t) { now_ns_.store(absl::ToUnixNanos(t)); }
  void Advance(absl::Duration d) {
    now_ns_.fetch_add(absl::ToInt64Nanoseconds(d));
  }

 private:
  std::atomic<int64_t> now_ns_;
};

// Ids for new resources. They sort by creation time (so that an index of ids
// is also oldest-first) and are safe in resource names and Redis keys.
class IdSource {
 public:
  virtual ~IdSource() = default;
  virtual std::string NewId() = 0;
};

// 10 characters of milliseconds since the epoch in base 32 (Crockford), then
// 10 characters of random bits: hard to guess, 20 characters in all, and
// sorted in the order this source made them (across processes, to the
// millisecond).
class RandomIdSource final : public IdSource {
 public:
  explicit RandomIdSource(const Clock& clock) : clock_(clock) {}
  std::string NewId() override;

 private:
  const Clock& clock_;
  std::mutex mu_;
  uint64_t last_ms_ = 0;
  uint64_t last_random_ = 0;
};

// "<prefix>0000000001", "<prefix>0000000002", ...: for tests.
class SequentialIdSource final : public IdSource {
 public:
  explicit SequentialIdSource(std::string prefix = "id") : prefix_(prefix) {}
  std::string NewId() override;

 private:
  std::string prefix_;
  std::atomic<int64_t> next_{1};
};

}  // namespace employability

#endif  // EMPLOYABILITY_COMMON_TIME_CLOCK_H_
