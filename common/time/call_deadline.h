// The deadline of the call the current thread is serving. ServeUnary sets it
// around a call's work; a wait deep below (a store round trip) ends by it, so
// that a caller hears UNAVAILABLE from us, with time to act on it, rather
// than DEADLINE_EXCEEDED from gRPC after waiting in vain.
//
// It is per-call context, like the gRPC context it comes from, not a
// dependency: code that is not serving a call sees an infinite deadline.
#ifndef EMPLOYABILITY_COMMON_TIME_CALL_DEADLINE_H_
#define EMPLOYABILITY_COMMON_TIME_CALL_DEADLINE_H_

#include "absl/time/time.h"

namespace employability {

class CallDeadline {
 public:
  // Sets the current thread's deadline until this object goes out of scope.
  explicit CallDeadline(absl::Time deadline);
  ~CallDeadline();
  CallDeadline(const CallDeadline&) = delete;
  CallDeadline& operator=(const CallDeadline&) = delete;

  // absl::InfiniteFuture() outside a call.
  static absl::Time Current();

 private:
  absl::Time previous_;
};

}  // namespace employability

#endif  // EMPLOYABILITY_COMMON_TIME_CALL_DEADLINE_H_
