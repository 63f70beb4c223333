// Signed bearer tokens (JWT, RFC 7519) that say who is calling: the user
// ("sub"), their organisation ("org"), role ("role", a StaffRole name) and
// team ("team"); or, for a service token, the service ("svc") alone.
// Verification checks, in this order: the algorithm in the
// token's header is the one pinned by configuration (never chosen by the
// token, so "none" and algorithm confusion are refused), the key named by
// "kid" is one configured (two at once while keys rotate), the signature,
// expiry and not-before (with a small leeway for clock skew), issuer and
// audience, and that the identity claims are present and well formed.
//
// libcpp-jwt does the parsing and signature work; this file is the only one
// that sees it, and keeps its exceptions from escaping.
#ifndef EMPLOYABILITY_COMMON_AUTH_TOKENS_H_
#define EMPLOYABILITY_COMMON_AUTH_TOKENS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace employability::auth {

// What a verified token says about its bearer.
struct TokenClaims {
  std::string organisation;  // "org": organisation id
  std::string user;          // "sub": staff user id
  std::string role;          // "role": an employability.type.v1.StaffRole name
  std::string team;          // "team": optional team id
  absl::Time expiry;         // "exp"
  // "svc": a service token names a service and no user, organisation or
  // role; the other fields are then empty.
  std::string service;
};

struct TokenKey {
  std::string id;  // "kid" in the token header
  // HS256: the shared secret (at least 32 bytes). RS256, ES256: a PEM key,
  // public to verify, private to sign.
  std::string material;
};

struct TokenSettings {
  std::string algorithm;  // pinned: "HS256", "RS256" or "ES256"
  std::string issuer;     // "iss" must equal it
  std::string audience;   // "aud" must equal (or contain) it
  absl::Duration leeway = absl::Seconds(30);  // clock skew allowed
};

class TokenVerifier {
 public:
  // INVALID_ARGUMENT naming what is wrong with the settings or keys: an
  // algorithm not supported, no key, a key id repeated or empty when there
  // are several keys, no issuer or audience.
  static absl::StatusOr<TokenVerifier> Create(TokenSettings settings,
                                              std::vector<TokenKey> keys);

  // The claims of a valid token; UNAUTHENTICATED saying what is wrong
  // otherwise (never repeating the token).
  absl::StatusOr<TokenClaims> Verify(absl::string_view token) const;

 private:
  TokenVerifier(TokenSettings settings, std::vector<TokenKey> keys)
      : settings_(std::move(settings)), keys_(std::move(keys)) {}
  absl::StatusOr<const TokenKey*> KeyFor(absl::string_view header) const;

  TokenSettings settings_;
  std::vector<TokenKey> keys_;
};

// Signs tokens: for the bootstrap command, the development mode, and tests.
class TokenIssuer {
 public:
  static absl::StatusOr<TokenIssuer> Create(TokenSettings settings,
                                            TokenKey signing_key);

  // A token for `claims` (its expiry is now + lifetime), valid from `now`.
  absl::StatusOr<std::string> Issue(const TokenClaims& claims, absl::Time now,
                                    absl::Duration lifetime) const;

 private:
  TokenIssuer(TokenSettings settings, TokenKey key)
      : settings_(std::move(settings)), key_(std::move(key)) {}

  TokenSettings settings_;
  TokenKey key_;
};

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_TOKENS_H_
