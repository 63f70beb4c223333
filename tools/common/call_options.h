// What the project's gRPC tools share: the caller's metadata and deadline on
// every call, channels of their own, and status code names.
#ifndef EMPLOYABILITY_TOOLS_COMMON_CALL_OPTIONS_H_
#define EMPLOYABILITY_TOOLS_COMMON_CALL_OPTIONS_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/status/grpc_status.h"

namespace employability::tools {

// Metadata keys every service reads to know the caller.
inline constexpr char kOrganisationHeader[] = "x-employability-organisation";
inline constexpr char kUserHeader[] = "x-employability-user";

// What every call of a tool carries.
struct CallOptions {
  std::string organisation;  // not sent when empty
  std::string user;          // not sent when empty
  std::string token;         // sent as "authorization: Bearer <token>"
  std::chrono::milliseconds deadline{5000};

  // Puts the metadata and a deadline from now on a fresh context.
  void Apply(grpc::ClientContext* ctx) const;
};

// A plaintext channel to `address`. Channels made with different `index`es
// never share a connection: gRPC pools subchannels by their arguments, and a
// load generator wants N real connections, not N handles on one.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           int index);

using ::employability::kStatusCodeCount;
using ::employability::StatusCodeName;

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_COMMON_CALL_OPTIONS_H_
