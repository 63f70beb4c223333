// Who is calling: established once per call at the edge and passed into the
// domain, which knows nothing of gRPC.
//
// The call gate (call_gate.h) builds it from verified credentials: a staff
// user's bearer token, a service's identity (mutual TLS or a service token),
// or both when a service calls on behalf of a user. It then adds what the
// access policy says for the method called: the caller's scope.
#ifndef EMPLOYABILITY_COMMON_AUTH_CALLER_H_
#define EMPLOYABILITY_COMMON_AUTH_CALLER_H_

#include <grpcpp/server_context.h>

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "employability/auth/v1/access_policy.pb.h"
#include "employability/type/v1/staff_role.pb.h"

namespace employability::auth {

// The purpose a caller declares for a call (a ConsentPurpose name, e.g.
// "EQUALITY_MONITORING"): services that hold data only for some purposes
// check it, and the audit trail records it.
inline constexpr char kPurposeHeader[] = "x-employability-purpose";

struct Caller {
  Caller() = default;
  Caller(std::string organisation, std::string user,
         type::v1::StaffRole role = type::v1::STAFF_ROLE_UNSPECIFIED,
         std::string team = "")
      : organisation(std::move(organisation)),
        user(std::move(user)),
        role(role),
        team(std::move(team)) {}

  // A service acting on its own behalf: no person, no organisation. It
  // passed the access policy's list of services for the method, so the
  // service's record-level checks let it through.
  bool is_service() const { return user.empty() && !service.empty(); }

  std::string organisation;  // organisation id; empty for a service
  std::string user;          // staff user id; empty for a service
  // From the staff directory (see authenticator.h): current, not as issued.
  type::v1::StaffRole role = type::v1::STAFF_ROLE_UNSPECIFIED;
  std::string team;
  // The calling service (its certificate's or service token's name) when a
  // service calls, on its own or a user's behalf; empty when a person calls
  // directly.
  std::string service;
  // What the access policy grants this role through the method called: the
  // service's record-level checks apply it. Unspecified allows nothing.
  v1::Scope scope = v1::SCOPE_UNSPECIFIED;
  // The declared purpose (kPurposeHeader); empty when none was declared.
  std::string purpose;
  // The method called ("/package.Service/Method"), for the audit trail.
  std::string method;
  // The person's own bearer credential ("Bearer <token>") as presented,
  // so that a service acting for them passes it on to the services it calls
  // (server/outgoing.h) and those check the person, not only the service.
  // Empty for a service on its own behalf. Never logged or stored.
  std::string user_credential;
};

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_CALLER_H_
