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
  std::string id(20, '0');
  uint64_t ms = static_cast<uint64_t>(absl::ToUnixMillis(clock_.Now()));
  for (int i = 9; i >= 0; --i, ms >>= 5) id[i] = kAlphabet[ms & 31];
  uint64_t r = RandomBits();
  for (int i = 10; i < 20; ++i, r >>= 5) id[i] = kAlphabet[r & 31];
  return id;
}

std::string SequentialIdSource::NewId() {
  return absl::StrFormat("%s%010d", prefix_, next_.fetch_add(1));
}

}  // namespace employability
