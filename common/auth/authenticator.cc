#include "common/auth/authenticator.h"

#include <algorithm>
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

absl::StatusOr<Caller> Authenticator::Authenticate(
    absl::string_view authorization) {
  constexpr absl::string_view kScheme = "bearer ";
  if (authorization.empty()) {
    return absl::UnauthenticatedError("no bearer token: send authorization");
  }
  if (authorization.size() <= kScheme.size() ||
      !absl::StartsWithIgnoreCase(authorization, kScheme)) {
    return absl::UnauthenticatedError(
        "authorization: must be \"Bearer <token>\"");
  }
  ASSIGN_OR_RETURN(TokenClaims claims,
                   verifier_.Verify(absl::StripLeadingAsciiWhitespace(
                       authorization.substr(kScheme.size()))));
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
