// The one mapping from absl::Status (inside) to grpc::Status (at the edge).
#ifndef EMPLOYABILITY_COMMON_STATUS_GRPC_STATUS_H_
#define EMPLOYABILITY_COMMON_STATUS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace employability {

// Same code, same message. Messages are written for callers where they are
// made (validation helpers, domain classes); storage errors are already
// scrubbed of Redis internals by the store.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse, for clients and tests.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace employability

#endif  // EMPLOYABILITY_COMMON_STATUS_GRPC_STATUS_H_
