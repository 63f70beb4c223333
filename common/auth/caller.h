// Who is calling: established once per call at the edge and passed into the
// domain, which knows nothing of gRPC.
//
// Today the caller names itself in the call metadata (x-employability-
// organisation, x-employability-user). The identity work replaces this with
// verified bearer tokens and mutual TLS behind the same Caller.
#ifndef EMPLOYABILITY_COMMON_AUTH_CALLER_H_
#define EMPLOYABILITY_COMMON_AUTH_CALLER_H_

#include <grpcpp/server_context.h>

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "employability/type/v1/staff_role.pb.h"

namespace employability::auth {

inline constexpr char kOrganisationHeader[] = "x-employability-organisation";
inline constexpr char kUserHeader[] = "x-employability-user";

struct Caller {
  Caller() = default;
  Caller(std::string organisation, std::string user,
         type::v1::StaffRole role = type::v1::STAFF_ROLE_UNSPECIFIED,
         std::string team = "")
      : organisation(std::move(organisation)),
        user(std::move(user)),
        role(role),
        team(std::move(team)) {}

  std::string organisation;  // organisation id
  std::string user;          // staff user id
  // From a verified token and the staff directory (see authenticator.h);
  // unset while callers still name themselves in the metadata.
  type::v1::StaffRole role = type::v1::STAFF_ROLE_UNSPECIFIED;
  std::string team;
};

// UNAUTHENTICATED when the caller is missing or malformed.
absl::StatusOr<Caller> CallerFrom(const grpc::CallbackServerContext& context);

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_CALLER_H_
