// Idempotent creates. Every create takes a request_id, scoped per service and
// organisation (storage::KeySpace::Idempotency). The create's batch carries a
// guard: the idempotency key must be absent, and is written with the first
// response. When a retry finds the key, the stored response is replayed if
// the request is the same, and the retry is rejected if it is not.
#ifndef EMPLOYABILITY_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_
#define EMPLOYABILITY_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/storage/store.h"
#include "google/protobuf/message.h"

namespace employability::idempotency {

// How long a request id is remembered: at least a day, as promised to
// integrators retrying after an outage.
inline constexpr absl::Duration kRetention = absl::Hours(48);

// A request id is required on every create: 1..64 characters of
// [A-Za-z0-9_-] (UUIDs fit). INVALID_ARGUMENT naming `field` otherwise.
absl::Status CheckRequestId(absl::string_view field, absl::string_view id);

// A digest of the request, request_id cleared: the "same body" test.
std::string Fingerprint(const google::protobuf::Message& request);

// Adds the guard to `batch`: a condition that `key` is absent, and the write
// of the fingerprint and response under it. Returns the index of the
// condition step, to compare with BatchResult::failed_step.
int Guard(storage::Batch& batch, const std::string& key,
          const std::string& fingerprint,
          const google::protobuf::Message& response);

// For a guard that failed: fills `response` with the first result when the
// fingerprints match; INVALID_ARGUMENT naming `field` when they do not.
absl::Status Replay(const storage::Record& found,
                    const std::string& fingerprint, absl::string_view field,
                    google::protobuf::Message* response);

}  // namespace employability::idempotency

#endif  // EMPLOYABILITY_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_
