// Bearer tokens: every way a token can be wrong is refused, with a message
// saying which; keys rotate with two valid at once.
#include "common/auth/tokens.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace employability::auth {
namespace {

constexpr char kSecret[] = "a-shared-secret-of-at-least-32-bytes!!";

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

std::string ToPem(EVP_PKEY* key, bool is_private) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (is_private) {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                             nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio.get(), key);
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size);
}

KeyPair NewKeyPair(bool rsa) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"), EVP_PKEY_free);
  return {ToPem(key.get(), true), ToPem(key.get(), false)};
}

TokenSettings Settings(const std::string& algorithm) {
  return {algorithm, "employability-test", "employability-suite",
          absl::Seconds(30)};
}

TokenClaims Adviser() {
  return {"prime-north", "adviser-1", "ADVISER", "team-a", absl::Time()};
}

std::string Issue(const std::string& algorithm, const TokenKey& key,
                  absl::Time now = absl::Now(),
                  absl::Duration lifetime = absl::Hours(1),
                  const TokenClaims& claims = Adviser(),
                  TokenSettings settings = TokenSettings()) {
  if (settings.algorithm.empty()) settings = Settings(algorithm);
  auto issuer = TokenIssuer::Create(settings, key);
  EXPECT_TRUE(issuer.ok()) << issuer.status();
  auto token = issuer->Issue(claims, now, lifetime);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.value_or("");
}

::testing::AssertionResult Refused(const absl::StatusOr<TokenClaims>& claims,
                                   absl::string_view why) {
  if (claims.ok()) return ::testing::AssertionFailure() << "accepted";
  if (claims.status().code() != absl::StatusCode::kUnauthenticated ||
      !absl::StrContains(claims.status().message(), why)) {
    return ::testing::AssertionFailure() << claims.status();
  }
  return ::testing::AssertionSuccess();
}

// A token assembled by hand: for what no honest issuer would make.
std::string Forge(const std::string& header, const std::string& payload,
                  const std::string& signature) {
  std::string h, p;
  absl::WebSafeBase64Escape(header, &h);
  absl::WebSafeBase64Escape(payload, &p);
  return absl::StrCat(h, ".", p, ".", signature);
}

class TokensTest : public ::testing::Test {
 protected:
  TokensTest() : rsa_(NewKeyPair(true)), ec_(NewKeyPair(false)) {}

  TokenVerifier Verifier(const std::string& algorithm,
                         std::vector<TokenKey> keys) {
    auto verifier = TokenVerifier::Create(Settings(algorithm), std::move(keys));
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return *std::move(verifier);
  }

  KeyPair rsa_;
  KeyPair ec_;
};

TEST_F(TokensTest, AValidTokenGivesItsClaimsUnderEachAlgorithm) {
  struct Case {
    std::string algorithm;
    TokenKey sign;
    TokenKey verify;
  };
  for (const Case& c : std::vector<Case>{
           {"HS256", {"k1", kSecret}, {"k1", kSecret}},
           {"RS256", {"k1", rsa_.private_pem}, {"k1", rsa_.public_pem}},
           {"ES256", {"k1", ec_.private_pem}, {"k1", ec_.public_pem}}}) {
    auto claims =
        Verifier(c.algorithm, {c.verify}).Verify(Issue(c.algorithm, c.sign));
    ASSERT_TRUE(claims.ok()) << c.algorithm << ": " << claims.status();
    EXPECT_EQ(claims->organisation, "prime-north");
    EXPECT_EQ(claims->user, "adviser-1");
    EXPECT_EQ(claims->role, "ADVISER");
    EXPECT_EQ(claims->team, "team-a");
    EXPECT_GT(claims->expiry, absl::Now());
  }
}

TEST_F(TokensTest, ExpiredAndNotYetValidTokensAreRefused) {
  TokenVerifier verifier = Verifier("RS256", {{"k1", rsa_.public_pem}});
  const TokenKey key{"k1", rsa_.private_pem};
  EXPECT_TRUE(
      Refused(verifier.Verify(Issue("RS256", key, absl::Now() - absl::Hours(2),
                                    absl::Hours(1))),
              "has expired"));
  EXPECT_TRUE(Refused(
      verifier.Verify(Issue("RS256", key, absl::Now() + absl::Hours(1))),
      "not valid yet"));
  // Within the leeway for clock skew: accepted.
  EXPECT_TRUE(
      verifier.Verify(Issue("RS256", key, absl::Now() + absl::Seconds(5)))
          .ok());
}

TEST_F(TokensTest, AWrongKeyOrUnknownKeyIdIsRefused) {
  TokenVerifier verifier = Verifier("RS256", {{"k1", rsa_.public_pem}});
  const KeyPair other = NewKeyPair(true);
  EXPECT_TRUE(
      Refused(verifier.Verify(Issue("RS256", {"k1", other.private_pem})),
              "signature does not verify"));
  EXPECT_TRUE(Refused(verifier.Verify(Issue("RS256", {"k9", rsa_.private_pem})),
                      "key that is not accepted"));
}

TEST_F(TokensTest, TheAlgorithmIsPinnedNotTakenFromTheToken) {
  TokenVerifier verifier = Verifier("RS256", {{"k1", rsa_.public_pem}});
  // Algorithm confusion: HS256 "signed" with the public key as the secret.
  EXPECT_TRUE(Refused(verifier.Verify(Issue("HS256", {"k1", rsa_.public_pem})),
                      "algorithm that is not accepted"));
  // ES256 with a key of the right id.
  EXPECT_TRUE(Refused(verifier.Verify(Issue("ES256", {"k1", ec_.private_pem})),
                      "algorithm that is not accepted"));
  // "none", with and without a signature part.
  const std::string payload = absl::StrCat(
      R"({"iss":"employability-test","aud":"employability-suite",)",
      R"("sub":"adviser-1","org":"prime-north","role":"ADVISER","exp":)",
      absl::ToUnixSeconds(absl::Now() + absl::Hours(1)), "}");
  for (const std::string& signature : {std::string(""), std::string("x")}) {
    EXPECT_TRUE(Refused(verifier.Verify(Forge(R"({"alg":"none","typ":"JWT"})",
                                              payload, signature)),
                        ""));
  }
}

TEST_F(TokensTest, WrongIssuerOrAudienceIsRefused) {
  TokenVerifier verifier = Verifier("HS256", {{"k1", kSecret}});
  TokenSettings other_issuer = Settings("HS256");
  other_issuer.issuer = "someone-else";
  EXPECT_TRUE(
      Refused(verifier.Verify(Issue("HS256", {"k1", kSecret}, absl::Now(),
                                    absl::Hours(1), Adviser(), other_issuer)),
              "expected issuer"));
  TokenSettings other_audience = Settings("HS256");
  other_audience.audience = "another-suite";
  EXPECT_TRUE(
      Refused(verifier.Verify(Issue("HS256", {"k1", kSecret}, absl::Now(),
                                    absl::Hours(1), Adviser(), other_audience)),
              "audience"));
}

TEST_F(TokensTest, ATamperedTokenIsRefused) {
  TokenVerifier verifier = Verifier("RS256", {{"k1", rsa_.public_pem}});
  const std::string token = Issue("RS256", {"k1", rsa_.private_pem});
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  absl::StrReplaceAll({{"ADVISER", "QUALITY_MANAGER"}}, &payload);
  std::string forged;
  absl::WebSafeBase64Escape(payload, &forged);
  EXPECT_TRUE(Refused(
      verifier.Verify(absl::StrCat(parts[0], ".", forged, ".", parts[2])),
      "signature does not verify"));
}

TEST_F(TokensTest, MissingOrMalformedTokensAreRefused) {
  TokenVerifier verifier = Verifier("HS256", {{"k1", kSecret}});
  EXPECT_TRUE(Refused(verifier.Verify(""), "missing"));
  for (const char* garbage : {"abc", "a.b", "a.b.c", "....", "e30.e30."}) {
    EXPECT_TRUE(Refused(verifier.Verify(garbage), "")) << garbage;
  }
  // Signed, but saying nothing of who calls.
  TokenClaims nobody = Adviser();
  nobody.organisation.clear();
  EXPECT_TRUE(
      Refused(verifier.Verify(Issue("HS256", {"k1", kSecret}, absl::Now(),
                                    absl::Hours(1), nobody)),
              "organisation"));
  TokenClaims no_role = Adviser();
  no_role.role = "SUPERUSER";
  EXPECT_TRUE(
      Refused(verifier.Verify(Issue("HS256", {"k1", kSecret}, absl::Now(),
                                    absl::Hours(1), no_role)),
              "role"));
}

TEST_F(TokensTest, TwoKeysAreValidAtOnceWhileKeysRotate) {
  const KeyPair next = NewKeyPair(true);
  const std::string old_token = Issue("RS256", {"2026-10", rsa_.private_pem});
  const std::string new_token = Issue("RS256", {"2026-11", next.private_pem});
  TokenVerifier both = Verifier(
      "RS256", {{"2026-10", rsa_.public_pem}, {"2026-11", next.public_pem}});
  EXPECT_TRUE(both.Verify(old_token).ok());
  EXPECT_TRUE(both.Verify(new_token).ok());
  TokenVerifier retired = Verifier("RS256", {{"2026-11", next.public_pem}});
  EXPECT_TRUE(Refused(retired.Verify(old_token), "key that is not accepted"));
  EXPECT_TRUE(retired.Verify(new_token).ok());
}

TEST_F(TokensTest, BadSettingsAreRefusedAtStart) {
  EXPECT_EQ(TokenVerifier::Create(Settings("none"), {{"k1", kSecret}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenVerifier::Create(Settings("HS256"), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenVerifier::Create(Settings("HS256"), {{"k1", "short"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenVerifier::Create(Settings("HS256"),
                                  {{"k1", kSecret}, {"k1", kSecret}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  TokenSettings no_issuer = Settings("HS256");
  no_issuer.issuer.clear();
  EXPECT_EQ(TokenVerifier::Create(no_issuer, {{"k1", kSecret}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace employability::auth
