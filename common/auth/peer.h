// The identity of the calling service or organisation under mutual TLS: the
// name in the client certificate the server verified against the suite's CA
// (the first DNS subject alternative name, else the common name).
#ifndef EMPLOYABILITY_COMMON_AUTH_PEER_H_
#define EMPLOYABILITY_COMMON_AUTH_PEER_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"

namespace employability::auth {

// UNAUTHENTICATED when the call came without a verified client certificate.
absl::StatusOr<std::string> PeerName(const grpc::AuthContext& context);

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_PEER_H_
