// The one mapping from absl::Status (inside) to grpc::Status (at the edge).
#ifndef EMPLOYABILITY_COMMON_STATUS_GRPC_STATUS_H_
#define EMPLOYABILITY_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace employability {

// Same code, same message. Messages are written for callers where they are
// made (validation helpers, domain classes); storage errors are already
// scrubbed of Redis internals by the store.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The canonical name of a code in upper snake case ("INVALID_ARGUMENT"), as
// metrics label it and tools print it; "UNKNOWN" for a code out of range.
absl::string_view StatusCodeName(grpc::StatusCode code);
inline constexpr int kStatusCodeCount = 17;  // OK (0) .. UNAUTHENTICATED (16)

// The reverse, for clients and tests.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace employability

#endif  // EMPLOYABILITY_COMMON_STATUS_GRPC_STATUS_H_
