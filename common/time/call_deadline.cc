#include "common/time/call_deadline.h"

namespace employability {
namespace {

thread_local absl::Time current_deadline = absl::InfiniteFuture();

}  // namespace

CallDeadline::CallDeadline(absl::Time deadline) : previous_(current_deadline) {
  current_deadline = deadline;
}

CallDeadline::~CallDeadline() { current_deadline = previous_; }

absl::Time CallDeadline::Current() { return current_deadline; }

}  // namespace employability
