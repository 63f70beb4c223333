// Establishes who is calling from a call's bearer token, and whether they
// may still act: the token is verified (tokens.h), then the staff directory
// says whether the user and their organisation are active, and gives their
// current role and team. Standings are remembered for at most a minute, so a
// deactivated user or organisation loses access within that bound whatever
// their token says; when the directory cannot be reached, calls fail closed.
#ifndef EMPLOYABILITY_COMMON_AUTH_AUTHENTICATOR_H_
#define EMPLOYABILITY_COMMON_AUTH_AUTHENTICATOR_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/auth/tokens.h"
#include "common/time/clock.h"

namespace employability::auth {

// The longest a deactivation may take to bite.
inline constexpr absl::Duration kMaxStandingAge = absl::Seconds(60);

// A member of staff as the directory knows them now.
struct StaffStanding {
  bool active = false;               // the user
  bool organisation_active = false;  // their organisation
  type::v1::StaffRole role = type::v1::STAFF_ROLE_UNSPECIFIED;
  std::string team;
};

// Where standings come from: the partners service's staff directory.
class StaffDirectory {
 public:
  virtual ~StaffDirectory() = default;
  // NOT_FOUND for a user the directory does not hold; UNAVAILABLE when it
  // cannot be reached.
  virtual absl::StatusOr<StaffStanding> Standing(
      const std::string& organisation, const std::string& user) = 0;
};

// Remembers what `source` answered for at most `max_age` (at most
// kMaxStandingAge). Failures are not remembered.
class CachedStaffDirectory final : public StaffDirectory {
 public:
  CachedStaffDirectory(StaffDirectory& source, const Clock& clock,
                       absl::Duration max_age = kMaxStandingAge);
  absl::StatusOr<StaffStanding> Standing(const std::string& organisation,
                                         const std::string& user) override;

 private:
  struct Entry {
    StaffStanding standing;
    absl::Time read_at;
  };
  StaffDirectory& source_;
  const Clock& clock_;
  const absl::Duration max_age_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// What a call presents to say who is calling (see CredentialsOf in
// call_gate.h for where each comes from).
struct Credentials {
  // "Bearer <token>": a staff user's token, or a service token.
  std::string authorization;
  // "Bearer <user token>" sent by a service calling on a user's behalf.
  std::string on_behalf_of;
  // The name in the client's certificate under mutual TLS: a service
  // identity. Empty without mutual TLS.
  std::string peer;
};

class Authenticator {
 public:
  // `directory` is usually a CachedStaffDirectory.
  Authenticator(const TokenVerifier& verifier, StaffDirectory& directory)
      : verifier_(verifier), directory_(directory) {}

  // The caller of a call whose "authorization" metadata is
  // `authorization` ("Bearer <token>"). UNAUTHENTICATED for no, a bad or an
  // expired token, an unknown or deactivated user or organisation;
  // UNAVAILABLE when the directory cannot say (fail closed).
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization);

  // The caller behind `credentials`:
  // - a user's token alone: that user (as above);
  // - a service identity alone (a certificate, or a service token): that
  //   service, acting on its own behalf;
  // - a service identity and a user's token (on_behalf_of, or the
  //   authorization header under mutual TLS): the user, with `service` set.
  //   Both are checked: the service's credential and the user's standing.
  // UNAUTHENTICATED for none, any bad one, a certificate and a service
  // token that disagree, or on_behalf_of without a service identity.
  absl::StatusOr<Caller> Authenticate(const Credentials& credentials);

 private:
  absl::StatusOr<TokenClaims> VerifyBearer(absl::string_view header,
                                           absl::string_view name) const;
  absl::StatusOr<Caller> UserOf(const TokenClaims& claims);

  const TokenVerifier& verifier_;
  StaffDirectory& directory_;
};

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_AUTHENTICATOR_H_
