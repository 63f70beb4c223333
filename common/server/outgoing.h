// How this process identifies itself when it calls another service of the
// suite: over mutual TLS with its own certificate when TLS is configured,
// and with its service token (auth/service_token.h) when it has a signing
// key. A call made on a user's behalf also carries the user's token, so the
// callee checks both (auth/call_gate.h).
#ifndef EMPLOYABILITY_COMMON_SERVER_OUTGOING_H_
#define EMPLOYABILITY_COMMON_SERVER_OUTGOING_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth/service_token.h"
#include "common/server/server.h"

namespace employability::server {

class OutgoingIdentity {
 public:
  // Either may be empty/null: with neither, calls carry no identity and the
  // callee refuses them.
  OutgoingIdentity(TlsIdentity tls, std::unique_ptr<auth::ServiceToken> token)
      : tls_(std::move(tls)), token_(std::move(token)) {}

  // A channel to `address` ("host:port"), with this process's certificate
  // under mutual TLS (the suite's one CA verifies the server too).
  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address) const;

  // Adds this process's credential to an outgoing call, and the user's
  // authorization ("Bearer <token>") when it acts for a user.
  // UNAVAILABLE when the service token cannot be made.
  absl::Status Authorise(grpc::ClientContext& context,
                         absl::string_view user_authorization = "") const;

 private:
  const TlsIdentity tls_;
  const std::unique_ptr<auth::ServiceToken> token_;
};

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_OUTGOING_H_
