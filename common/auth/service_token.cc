#include "common/auth/service_token.h"

#include "absl/strings/str_cat.h"
#include "common/status/macros.h"

namespace employability::auth {

absl::StatusOr<std::string> ServiceToken::Authorization() {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (now < renew_at_) return authorization_;
  TokenClaims claims;
  claims.service = service_;
  ASSIGN_OR_RETURN(std::string token, issuer_.Issue(claims, now, lifetime_));
  authorization_ = absl::StrCat("Bearer ", token);
  renew_at_ = now + lifetime_ / 2;
  return authorization_;
}

}  // namespace employability::auth
