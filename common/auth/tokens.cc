#include "common/auth/tokens.h"

#include <chrono>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "employability/type/v1/staff_role.pb.h"
#include "jwt/jwt.hpp"

namespace employability::auth {
namespace {

constexpr size_t kMinSecretBytes = 32;

bool Supported(absl::string_view algorithm) {
  return algorithm == "HS256" || algorithm == "RS256" || algorithm == "ES256";
}

absl::Status Unauthenticated(absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token: ", what));
}

absl::Status CheckSettings(const TokenSettings& settings) {
  if (!Supported(settings.algorithm)) {
    return InvalidField("algorithm", "must be HS256, RS256 or ES256");
  }
  if (settings.issuer.empty()) return RequiredField("issuer");
  if (settings.audience.empty()) return RequiredField("audience");
  if (settings.leeway < absl::ZeroDuration() ||
      settings.leeway > absl::Minutes(5)) {
    return InvalidField("leeway", "must be 0 to 5 minutes");
  }
  return absl::OkStatus();
}

absl::Status CheckKey(const TokenSettings& settings, const TokenKey& key) {
  if (key.material.empty()) {
    return InvalidField(absl::StrCat("keys[", key.id, "]"), "has no material");
  }
  if (settings.algorithm == "HS256" && key.material.size() < kMinSecretBytes) {
    return InvalidField(absl::StrCat("keys[", key.id, "]"),
                        "an HS256 secret must be at least 32 bytes");
  }
  return absl::OkStatus();
}

// The JSON of a token's header (its first part), without trusting it.
absl::StatusOr<nlohmann::json> HeaderOf(absl::string_view token) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  std::string decoded;
  if (parts.size() != 3 || parts[2].empty() ||
      !absl::WebSafeBase64Unescape(parts[0], &decoded)) {
    return Unauthenticated("is not a signed JWT");
  }
  nlohmann::json header = nlohmann::json::parse(decoded, nullptr,
                                                /*allow_exceptions=*/false);
  if (!header.is_object()) return Unauthenticated("has an unreadable header");
  return header;
}

std::string StringClaim(const jwt::jwt_object& token, const char* name) {
  const nlohmann::json& payload = token.payload().create_json_obj();
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

absl::Status WhatFailed(const std::error_code& ec) {
  if (ec == jwt::VerificationErrc::TokenExpired) {
    return Unauthenticated("has expired");
  }
  if (ec == jwt::VerificationErrc::ImmatureSignature) {
    return Unauthenticated("is not valid yet");
  }
  if (ec == jwt::VerificationErrc::InvalidIssuer) {
    return Unauthenticated("was not issued by the expected issuer");
  }
  if (ec == jwt::VerificationErrc::InvalidAudience) {
    return Unauthenticated("is not meant for this audience");
  }
  // An RSA or ECDSA signature that does not verify comes back from the
  // signing layer as a verification error, an HMAC one as InvalidSignature.
  if (ec == jwt::VerificationErrc::InvalidSignature ||
      ec == jwt::AlgorithmErrc::VerificationErr) {
    return Unauthenticated("signature does not verify");
  }
  if (ec == jwt::VerificationErrc::InvalidAlgorithm ||
      ec == jwt::AlgorithmErrc::NoneAlgorithmUsed) {
    return Unauthenticated("uses an algorithm that is not accepted");
  }
  return Unauthenticated("is malformed");
}

absl::StatusOr<TokenClaims> WithExpiry(const jwt::jwt_object& token,
                                       TokenClaims claims);

// The identity claims, each present and well formed.
absl::StatusOr<TokenClaims> ClaimsOf(const jwt::jwt_object& token) {
  TokenClaims claims;
  claims.service = StringClaim(token, "svc");
  if (!claims.service.empty()) {
    // A service token names a service and nothing else: no person, so no
    // organisation or role to borrow.
    if (!CheckResourceId("svc", claims.service).ok()) {
      return Unauthenticated("carries a malformed service name (svc)");
    }
    if (!StringClaim(token, "sub").empty() ||
        !StringClaim(token, "org").empty() ||
        !StringClaim(token, "role").empty()) {
      return Unauthenticated("mixes a service (svc) with a user's claims");
    }
    return WithExpiry(token, std::move(claims));
  }
  claims.user = StringClaim(token, "sub");
  claims.organisation = StringClaim(token, "org");
  claims.role = StringClaim(token, "role");
  claims.team = StringClaim(token, "team");
  if (!CheckResourceId("sub", claims.user).ok() ||
      !CheckResourceId("org", claims.organisation).ok()) {
    return Unauthenticated("does not name a user (sub) and organisation (org)");
  }
  type::v1::StaffRole role;
  if (!type::v1::StaffRole_Parse(claims.role, &role) ||
      role == type::v1::STAFF_ROLE_UNSPECIFIED) {
    return Unauthenticated("does not carry a known role");
  }
  if (!claims.team.empty() && !CheckResourceId("team", claims.team).ok()) {
    return Unauthenticated("carries a malformed team");
  }
  return WithExpiry(token, std::move(claims));
}

absl::StatusOr<TokenClaims> WithExpiry(const jwt::jwt_object& token,
                                       TokenClaims claims) {
  const nlohmann::json& payload = token.payload().create_json_obj();
  auto exp = payload.find("exp");
  if (exp == payload.end() || !exp->is_number_integer()) {
    return Unauthenticated("has no expiry");  // tokens never live for ever
  }
  claims.expiry = absl::FromUnixSeconds(exp->get<int64_t>());
  return claims;
}

}  // namespace

// ---- Verifier

absl::StatusOr<TokenVerifier> TokenVerifier::Create(
    TokenSettings settings, std::vector<TokenKey> keys) {
  RETURN_IF_ERROR(CheckSettings(settings));
  if (keys.empty()) return RequiredField("keys");
  std::set<std::string> ids;
  for (const TokenKey& key : keys) {
    RETURN_IF_ERROR(CheckKey(settings, key));
    if (keys.size() > 1 && key.id.empty()) {
      return InvalidField("keys",
                          "each key needs an id while several are in use");
    }
    if (!ids.insert(key.id).second) {
      return InvalidField("keys",
                          absl::StrCat("key id '", key.id, "' repeats"));
    }
  }
  return TokenVerifier(std::move(settings), std::move(keys));
}

absl::StatusOr<const TokenKey*> TokenVerifier::KeyFor(
    absl::string_view token) const {
  ASSIGN_OR_RETURN(nlohmann::json header, HeaderOf(token));
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() ||
      alg->get<std::string>() != settings_.algorithm) {
    return Unauthenticated("uses an algorithm that is not accepted");
  }
  auto kid = header.find("kid");
  if (kid == header.end()) {
    if (keys_.size() == 1) return &keys_[0];
    return Unauthenticated("names no key (kid)");
  }
  if (!kid->is_string()) return Unauthenticated("names no key (kid)");
  for (const TokenKey& key : keys_) {
    if (key.id == kid->get<std::string>()) return &key;
  }
  return Unauthenticated("is signed with a key that is not accepted");
}

absl::StatusOr<TokenClaims> TokenVerifier::Verify(
    absl::string_view token) const {
  if (token.empty()) return Unauthenticated("missing");
  ASSIGN_OR_RETURN(const TokenKey* key, KeyFor(token));
  std::error_code ec;
  try {
    jwt::jwt_object decoded = jwt::decode(
        jwt::string_view(token.data(), token.size()),
        jwt::params::algorithms({settings_.algorithm}), ec,
        jwt::params::secret(key->material),
        jwt::params::issuer(settings_.issuer),
        jwt::params::aud(settings_.audience),
        jwt::params::leeway(
            static_cast<uint32_t>(absl::ToInt64Seconds(settings_.leeway))),
        jwt::params::verify(true));
    if (ec) return WhatFailed(ec);
    return ClaimsOf(decoded);
  } catch (const std::exception&) {
    // The library throws on some malformed input (bad base64, bad keys);
    // nothing of it crosses into our code.
    return Unauthenticated("is malformed");
  }
}

// ---- Issuer

absl::StatusOr<TokenIssuer> TokenIssuer::Create(TokenSettings settings,
                                                TokenKey signing_key) {
  RETURN_IF_ERROR(CheckSettings(settings));
  RETURN_IF_ERROR(CheckKey(settings, signing_key));
  return TokenIssuer(std::move(settings), std::move(signing_key));
}

absl::StatusOr<std::string> TokenIssuer::Issue(const TokenClaims& claims,
                                               absl::Time now,
                                               absl::Duration lifetime) const {
  try {
    jwt::jwt_object token{jwt::params::algorithm(settings_.algorithm),
                          jwt::params::secret(key_.material)};
    if (!key_.id.empty()) token.header().add_header("kid", key_.id);
    token.add_claim("iss", settings_.issuer);
    token.add_claim("aud", settings_.audience);
    if (!claims.service.empty()) {
      token.add_claim("svc", claims.service);
    } else {
      token.add_claim("sub", claims.user);
      token.add_claim("org", claims.organisation);
      token.add_claim("role", claims.role);
    }
    token.add_claim("iat", absl::ToUnixSeconds(now));
    token.add_claim("nbf", absl::ToUnixSeconds(now));
    token.add_claim("exp", absl::ToUnixSeconds(now + lifetime));
    if (!claims.team.empty()) token.add_claim("team", claims.team);
    std::error_code ec;
    std::string signed_token = token.signature(ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("could not sign a token: ", ec.message()));
    }
    return signed_token;
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat("could not sign a token: ", e.what()));
  }
}

}  // namespace employability::auth
