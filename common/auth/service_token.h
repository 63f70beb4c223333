// This process's own credential when it calls another service of the suite:
// a short-lived service token ("svc" claim, tokens.h) signed with the
// suite's key, re-issued before it runs out. Under mutual TLS the client
// certificate names the service instead, and no token is needed.
#ifndef EMPLOYABILITY_COMMON_AUTH_SERVICE_TOKEN_H_
#define EMPLOYABILITY_COMMON_AUTH_SERVICE_TOKEN_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/tokens.h"
#include "common/time/clock.h"

namespace employability::auth {

class ServiceToken {
 public:
  ServiceToken(TokenIssuer issuer, std::string service, const Clock& clock,
               absl::Duration lifetime = absl::Minutes(10))
      : issuer_(std::move(issuer)),
        service_(std::move(service)),
        clock_(clock),
        lifetime_(lifetime) {}

  const std::string& service() const { return service_; }

  // "Bearer <token>" for the authorization metadata; a new token once less
  // than half of the current one's lifetime is left.
  absl::StatusOr<std::string> Authorization();

 private:
  const TokenIssuer issuer_;
  const std::string service_;
  const Clock& clock_;
  const absl::Duration lifetime_;
  absl::Mutex mu_;
  std::string authorization_ ABSL_GUARDED_BY(mu_);
  absl::Time renew_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_SERVICE_TOKEN_H_
