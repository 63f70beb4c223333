#include "common/auth/authenticator.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/macros.h"

namespace employability::auth {

CachedStaffDirectory::CachedStaffDirectory(StaffDirectory& source,
                                           const Clock& clock,
                                           absl::Duration max_age)
    : source_(source),
      clock_(clock),
      max_age_(std::min(max_age, kMaxStandingAge)) {}

absl::StatusOr<StaffStanding> CachedStaffDirectory::Standing(
    const std::string& organisation, const std::string& user) {
  const std::string key = absl::StrCat(organisation, "/", user);
  const absl::Time now = clock_.Now();
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && now - it->second.read_at < max_age_) {
      return it->second.standing;
    }
  }
  // Read outside the lock: a slow directory must not hold up other callers.
  ASSIGN_OR_RETURN(StaffStanding standing,
                   source_.Standing(organisation, user));
  absl::MutexLock lock(&mu_);
  entries_[key] = Entry{standing, now};
  return standing;
}

absl::StatusOr<TokenClaims> Authenticator::VerifyBearer(
    absl::string_view header, absl::string_view name) const {
  constexpr absl::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(header, kScheme)) {
    return absl::UnauthenticatedError(
        absl::StrCat(name, ": must be \"Bearer <token>\""));
  }
  return verifier_.Verify(
      absl::StripLeadingAsciiWhitespace(header.substr(kScheme.size())));
}

absl::StatusOr<Caller> Authenticator::Authenticate(
    absl::string_view authorization) {
  return Authenticate(Credentials{std::string(authorization), "", ""});
}

absl::StatusOr<Caller> Authenticator::Authenticate(
    const Credentials& credentials) {
  std::string service = credentials.peer;
  std::optional<TokenClaims> user;
  if (!credentials.authorization.empty()) {
    ASSIGN_OR_RETURN(TokenClaims claims,
                     VerifyBearer(credentials.authorization, "authorization"));
    if (claims.service.empty()) {
      user = std::move(claims);
    } else if (!service.empty() && service != claims.service) {
      return absl::UnauthenticatedError(
          "the service token names a different service from the client "
          "certificate");
    } else {
      service = claims.service;
    }
  }
  if (!credentials.on_behalf_of.empty()) {
    if (service.empty()) {
      return absl::UnauthenticatedError(
          "x-employability-on-behalf-of: only a service may call on a "
          "user's behalf");
    }
    if (user.has_value()) {
      return absl::UnauthenticatedError(
          "two users: a user token in authorization and another on whose "
          "behalf the call is made");
    }
    absl::StatusOr<TokenClaims> relayed =
        VerifyBearer(credentials.on_behalf_of, "x-employability-on-behalf-of");
    if (!relayed.ok()) {
      // Say which of the two tokens is wrong.
      return absl::UnauthenticatedError(absl::StrCat(
          "x-employability-on-behalf-of: ", relayed.status().message()));
    }
    TokenClaims claims = *std::move(relayed);
    if (!claims.service.empty()) {
      return absl::UnauthenticatedError(
          "x-employability-on-behalf-of: must carry a user's token");
    }
    user = std::move(claims);
  }
  if (!user.has_value()) {
    if (service.empty()) {
      return absl::UnauthenticatedError("no bearer token: send authorization");
    }
    Caller caller;
    caller.service = std::move(service);
    return caller;
  }
  ASSIGN_OR_RETURN(Caller caller, UserOf(*user));
  caller.service = std::move(service);
  return caller;
}

absl::StatusOr<Caller> Authenticator::UserOf(const TokenClaims& claims) {
  absl::StatusOr<StaffStanding> standing =
      directory_.Standing(claims.organisation, claims.user);
  if (absl::IsNotFound(standing.status())) {
    return absl::UnauthenticatedError(
        "bearer token: the user is not in the staff directory");
  }
  if (!standing.ok()) {
    // Fail closed: no answer from the directory is no access.
    return absl::UnavailableError(
        "the staff directory cannot be reached to confirm the caller; retry");
  }
  if (!standing->organisation_active) {
    return absl::UnauthenticatedError(
        "bearer token: the caller's organisation is deactivated");
  }
  if (!standing->active) {
    return absl::UnauthenticatedError("bearer token: the user is deactivated");
  }
  // The directory's role and team are the current ones: a demotion bites
  // within the same bound as a deactivation.
  return Caller{claims.organisation, claims.user, standing->role,
                standing->team};
}

}  // namespace employability::auth
