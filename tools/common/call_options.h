// What the project's gRPC tools share: the caller's token and deadline on
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

// The metadata a caller declares the purpose of a call in.
inline constexpr char kPurposeHeader[] = "x-employability-purpose";

// What every call of a tool carries. The token says who calls (a staff
// user's, from the admin command or an identity provider).
struct CallOptions {
  std::string token;    // sent as "authorization: Bearer <token>"
  std::string purpose;  // not sent when empty
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

namespace employability::tools {
// The token a tool sends: --token, else $EMPLOYABILITY_TOKEN (so that it
// stays out of the shell's history and the process list).
std::string TokenFrom(const std::string& flag);
}  // namespace employability::tools
