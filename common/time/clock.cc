#include "common/time/clock.h"

#include <random>

#include "absl/strings/str_format.h"

namespace employability {
namespace {

constexpr char kAlphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";

uint64_t RandomBits() {
  // One generator per thread: no lock on the hot path.
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen();
}

}  // namespace

std::string RandomIdSource::NewId() {
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(clock_.Now()));
  uint64_t r;
  {
    // Within one millisecond (or if the clock steps back) the random part
    // counts up from the last id's, so ids from one process sort in the
    // order they were made; a fresh millisecond starts from new random bits,
    // the top one clear so that counting up cannot overflow.
    std::lock_guard<std::mutex> lock(mu_);
    if (ms <= last_ms_) {
      ms = last_ms_;
      r = ++last_random_;
    } else {
      r = RandomBits() & ((uint64_t{1} << 49) - 1);
      last_ms_ = ms;
      last_random_ = r;
    }
  }
  std::string id(20, '0');
  for (int i = 9; i >= 0; --i, ms >>= 5) id[i] = kAlphabet[ms & 31];
  for (int i = 19; i >= 10; --i, r >>= 5) id[i] = kAlphabet[r & 31];
  return id;
}

std::string SequentialIdSource::NewId() {
  return absl::StrFormat("%s%010d", prefix_, next_.fetch_add(1));
}

}  // namespace employability
