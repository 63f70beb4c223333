// The gate every call passes before it reaches a service: it establishes who
// is calling (authenticator.h) from the call's credentials, then asks the
// service's access policy (access_policy.h) whether that caller may call the
// method at all, and stamps the caller with the scope the policy grants.
// Record-level checks (which participant, which organisation) stay with the
// service, which applies Caller::scope; common/ knows nothing of them.
//
// One gate per service module (each has its own policy), sharing the
// process's authenticator and so its cache of staff standings.
#ifndef EMPLOYABILITY_COMMON_AUTH_CALL_GATE_H_
#define EMPLOYABILITY_COMMON_AUTH_CALL_GATE_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/access_policy.h"
#include "common/auth/authenticator.h"
#include "common/auth/caller.h"

namespace employability::auth {

// The metadata a service sends the user's token in when it calls another
// service on the user's behalf.
inline constexpr char kOnBehalfOfHeader[] = "x-employability-on-behalf-of";

// What the call presents: its authorization and on-behalf-of metadata, and
// the verified client certificate's name under mutual TLS.
Credentials CredentialsOf(const grpc::ServerContextBase& context);
// The call's declared purpose (kPurposeHeader); empty when none.
std::string PurposeOf(const grpc::ServerContextBase& context);

class CallGate {
 public:
  // Both must outlive the gate.
  CallGate(Authenticator& authenticator, const AccessPolicy& policy)
      : authenticator_(authenticator), policy_(policy) {}

  // The caller of `full_method` ("/package.Service/Method"), admitted:
  // - UNAUTHENTICATED: no credentials, or bad ones (authenticator.h);
  // - UNAVAILABLE: the staff directory cannot say (fail closed);
  // - PERMISSION_DENIED: the caller's role (or, for a service on its own
  //   behalf, the service) may not call the method;
  // - INVALID_ARGUMENT: a malformed declared purpose.
  absl::StatusOr<Caller> Admit(const Credentials& credentials,
                               absl::string_view purpose,
                               absl::string_view full_method) const;
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& context,
                               absl::string_view full_method) const {
    return Admit(CredentialsOf(context), PurposeOf(context), full_method);
  }

 private:
  Authenticator& authenticator_;
  const AccessPolicy& policy_;
};

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_CALL_GATE_H_
