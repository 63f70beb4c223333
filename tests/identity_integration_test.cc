// Identity at the edge over real gRPC on loopback, against a real
// redis-server: the participants and partners services hosted together, as
// the suite hosts them, behind their call gates.
//
// - Tokens: missing, not "Bearer", expired, not yet valid, wrong key,
//   unknown key, wrong algorithm (HS512, RS256, "none"), wrong issuer, wrong
//   audience, tampered, without expiry; a user the directory does not hold,
//   a deactivated user or organisation.
// - Standing: a deactivation or a demotion bites within 60 s whatever the
//   token says (a FakeClock moves the standing cache on); a directory that
//   cannot answer fails closed.
// - The role × method table, and services: service tokens, calls on a
//   user's behalf (the callee checks both), mutual TLS client certificates
//   from a test CA made with openssl (none, wrong CA, wrong name).
//
// Every refusal is checked for its code and for a message that says what is
// wrong without repeating the token. Each test works in organisations and
// users of its own (random ids), so tests in parallel never share a caller.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/authenticator.h"
#include "common/auth/call_gate.h"
#include "common/auth/tokens.h"
#include "common/server/server.h"
#include "common/storage/keys.h"
#include "common/time/clock.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "employability/partners/v1/partners.grpc.pb.h"
#include "services/participants/participants_grpc.h"
#include "services/partners/partners_grpc.h"
#include "tests/harness/directory_seed.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_certificates.h"
#include "tests/harness/test_data.h"
#include "tests/harness/test_identity.h"

namespace employability {
namespace {

namespace pv1 = ::employability::participants::v1;
namespace v1 = ::employability::partners::v1;
using test_harness::AnonymousContext;
using test_harness::Describe;
using test_harness::TestCaller;
using test_harness::TestCertificate;
using test_harness::TestCertificateAuthority;
using test_harness::TestStaffDirectory;
using test_harness::UniqueId;
using type::v1::StaffRole;
using Code = grpc::StatusCode;

constexpr char kOnBehalfOf[] = "x-employability-on-behalf-of";

// ---- Tokens made by hand: for what no honest issuer makes.

std::string Base64Url(absl::string_view text) {
  std::string encoded;
  absl::WebSafeBase64Escape(text, &encoded);  // unpadded, as JWT wants
  return encoded;
}

std::string Hmac(const EVP_MD* digest, absl::string_view key,
                 absl::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(digest, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// The test key's secret and id (what the suite under test verifies with).
std::string TestSecret() { return test_harness::TestTokenKey().material; }
std::string TestKid() { return test_harness::TestTokenKey().id; }

// A user's claims as JSON, as the suite's issuer writes them; `exp` left out
// when not given.
std::string UserPayload(const TestCaller& caller, absl::Time now,
                        std::optional<absl::Time> exp) {
  const auth::TokenSettings settings = test_harness::TestTokenSettings();
  std::string json = absl::StrCat(
      R"({"iss":")", settings.issuer, R"(","aud":")", settings.audience,
      R"(","sub":")", caller.user, R"(","org":")", caller.organisation,
      R"(","role":")", type::v1::StaffRole_Name(caller.role), R"(","iat":)",
      absl::ToUnixSeconds(now), R"(,"nbf":)", absl::ToUnixSeconds(now));
  if (exp.has_value()) {
    absl::StrAppend(&json, R"(,"exp":)", absl::ToUnixSeconds(*exp));
  }
  absl::StrAppend(&json, "}");
  return json;
}

// header.payload.signature, the signature an HMAC with `digest` over the
// first two parts under `secret`.
std::string HmacToken(const EVP_MD* digest, absl::string_view header,
                      absl::string_view payload, absl::string_view secret) {
  const std::string signed_part =
      absl::StrCat(Base64Url(header), ".", Base64Url(payload));
  return absl::StrCat(signed_part, ".",
                      Base64Url(Hmac(digest, secret, signed_part)));
}

std::string HeaderFor(absl::string_view algorithm, absl::string_view kid) {
  return absl::StrCat(R"({"alg":")", algorithm, R"(","typ":"JWT","kid":")", kid,
                      R"("})");
}

// A token for `caller` from a TokenIssuer with these settings and key.
std::string Issue(const auth::TokenSettings& settings,
                  const auth::TokenKey& key, const TestCaller& caller,
                  absl::Time now = absl::Now(),
                  absl::Duration lifetime = absl::Hours(1)) {
  absl::StatusOr<auth::TokenIssuer> issuer =
      auth::TokenIssuer::Create(settings, key);
  EXPECT_TRUE(issuer.ok()) << issuer.status();
  if (!issuer.ok()) return "";
  auth::TokenClaims claims;
  claims.organisation = caller.organisation;
  claims.user = caller.user;
  claims.role = type::v1::StaffRole_Name(caller.role);
  claims.team = caller.team;
  absl::StatusOr<std::string> token = issuer->Issue(claims, now, lifetime);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.value_or("");
}

// A service token naming `service`, issued at `now`.
std::string ServiceToken(const std::string& service, absl::Time now,
                         absl::Duration lifetime = absl::Hours(1)) {
  absl::StatusOr<auth::TokenIssuer> issuer = auth::TokenIssuer::Create(
      test_harness::TestTokenSettings(), test_harness::TestTokenKey());
  EXPECT_TRUE(issuer.ok()) << issuer.status();
  if (!issuer.ok()) return "";
  auth::TokenClaims claims;
  claims.service = service;
  absl::StatusOr<std::string> token = issuer->Issue(claims, now, lifetime);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.value_or("");
}

std::string Bearer(absl::string_view token) {
  return absl::StrCat("Bearer ", token);
}

// The token of a "Bearer <token>" header.
std::string TokenOf(absl::string_view authorization) {
  return std::string(absl::StripPrefix(authorization, "Bearer "));
}

// ---- What a refusal must look like.

// `status` has `code` and a message containing `says`, and repeats neither
// `token` nor any of its parts (header, payload, signature).
::testing::AssertionResult Refused(const grpc::Status& status, Code code,
                                   absl::string_view says,
                                   absl::string_view token = "") {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure()
           << "want code " << code << ", got " << Describe(status);
  }
  const std::string& message = status.error_message();
  if (!absl::StrContains(message, says)) {
    return ::testing::AssertionFailure() << "the message does not say \""
                                         << says << "\": " << Describe(status);
  }
  if (!token.empty()) {
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      if (part.size() >= 8 && absl::StrContains(message, part)) {
        return ::testing::AssertionFailure()
               << "the message repeats the token: " << Describe(status);
      }
    }
    if (absl::StrContains(message, token)) {
      return ::testing::AssertionFailure()
             << "the message repeats the token: " << Describe(status);
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult Ok(const grpc::Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << Describe(status);
}

// A context with a 5 s deadline and exactly this metadata (no caller is
// enrolled: the test says what the directory holds).
std::unique_ptr<grpc::ClientContext> ContextWith(
    const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::unique_ptr<grpc::ClientContext> context = AnonymousContext();
  for (const auto& [key, value] : metadata) context->AddMetadata(key, value);
  return context;
}

std::unique_ptr<grpc::ClientContext> AuthorizedBy(
    const std::string& authorization) {
  return ContextWith({{"authorization", authorization}});
}

// ---- The staff directory, as the suite's processes hold it.

// TestStaffDirectory, or no answer at all while `down`: the partners
// service unreachable.
class SwitchableDirectory final : public auth::StaffDirectory {
 public:
  absl::StatusOr<auth::StaffStanding> Standing(
      const std::string& organisation, const std::string& user) override {
    ++reads;
    if (down) {
      return absl::UnavailableError("staff directory: deadline exceeded");
    }
    return TestStaffDirectory::Instance().Standing(organisation, user);
  }
  std::atomic<bool> down{false};
  std::atomic<int> reads{0};
};

auth::StaffStanding StandingOf(StaffRole role, bool active,
                               bool organisation_active) {
  auth::StaffStanding standing;
  standing.active = active;
  standing.organisation_active = organisation_active;
  standing.role = role;
  return standing;
}

// ---- The suite: participants and partners behind their gates.

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(StartSuite({})); }

  // Starts the suite with `tls` (none: plaintext), confirming callers
  // through the standing cache over `directory_` on `directory_clock_`, as
  // a process does (at most 60 s), and onboards a prime of the test's own.
  void StartSuite(server::TlsIdentity tls) {
    test_harness::SuiteOptions options;
    options.modules = {participants::NewModule, partners::NewModule};
    options.metrics = false;
    options.staff_directory = &cached_;
    options.tls = std::move(tls);
    absl::StatusOr<std::unique_ptr<test_harness::SuiteUnderTest>> suite =
        test_harness::SuiteUnderTest::Start(options);
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    if (suite_->channel() != nullptr) {
      participants_ = pv1::Participants::NewStub(suite_->channel());
      partners_ = v1::Partners::NewStub(suite_->channel());
    }
    ASSERT_NO_FATAL_FAILURE(Bootstrap());
  }

  // The prime provider and one adviser's staff record, made as the
  // bootstrap command makes the first ones: through the directory, as a
  // service, since no member of staff exists yet to onboard them.
  void Bootstrap() {
    prime_ = UniqueId("prime");
    test_harness::DirectorySeed seed(suite_->store());
    v1::CreateOrganisationRequest organisation;
    organisation.set_organisation_id(prime_);
    organisation.set_request_id(UniqueId("req"));
    v1::Organisation* o = organisation.mutable_organisation();
    o->set_display_name("Northern Works Ltd");
    o->set_type(v1::PRIME_PROVIDER);
    o->mutable_contact()->set_email("office@northern-works.example");
    o->mutable_contact()->set_phone("0161 496 0018");
    o->add_areas_served("m1");
    auto created = seed.Organisation(organisation);
    ASSERT_TRUE(created.ok()) << created.status();
    staffed_ = UniqueId("adviser");
    auto staff = seed.Staff(StaffRequest(prime_, staffed_, type::v1::ADVISER));
    ASSERT_TRUE(staff.ok()) << staff.status();
  }

  static v1::CreateStaffUserRequest StaffRequest(
      const std::string& organisation, const std::string& user,
      StaffRole role = type::v1::ADVISER) {
    v1::CreateStaffUserRequest request;
    request.set_parent(absl::StrCat("organisations/", organisation));
    request.set_staff_user_id(user);
    request.set_request_id(UniqueId("req"));
    v1::StaffUser* s = request.mutable_staff_user();
    s->set_display_name("Priya Shah");
    s->set_email("priya.shah@northern-works.example");
    s->set_role(role);
    return request;
  }

  // A caller of the prime's own, enrolled (active) in the directory.
  TestCaller Enrolled(StaffRole role = type::v1::ADVISER) {
    TestCaller caller{prime_, UniqueId("user"), role, ""};
    TestStaffDirectory::Instance().Enrol(caller);
    return caller;
  }

  // ---- Calls, each with the context given.

  grpc::Status ListParticipants(std::unique_ptr<grpc::ClientContext> context) {
    pv1::ListParticipantsRequest request;
    request.set_parent(absl::StrCat("contracts/", UniqueId("contract")));
    pv1::ListParticipantsResponse response;
    return participants_->ListParticipants(context.get(), request, &response);
  }

  grpc::Status ListOrganisations(std::unique_ptr<grpc::ClientContext> context,
                                 v1::Partners::StubInterface* stub = nullptr) {
    v1::ListOrganisationsRequest request;
    request.set_page_size(1);
    v1::ListOrganisationsResponse response;
    return (stub != nullptr ? stub : partners_.get())
        ->ListOrganisations(context.get(), request, &response);
  }

  grpc::Status GetOrganisation(std::unique_ptr<grpc::ClientContext> context,
                               v1::Organisation* out,
                               v1::Partners::StubInterface* stub = nullptr) {
    v1::GetOrganisationRequest request;
    request.set_name(absl::StrCat("organisations/", prime_));
    return (stub != nullptr ? stub : partners_.get())
        ->GetOrganisation(context.get(), request, out);
  }

  grpc::Status CreateStaffUser(std::unique_ptr<grpc::ClientContext> context,
                               const std::string& organisation,
                               v1::StaffUser* out = nullptr) {
    v1::StaffUser ignored;
    return partners_->CreateStaffUser(
        context.get(), StaffRequest(organisation, UniqueId("staff")),
        out != nullptr ? out : &ignored);
  }

  grpc::Status ListStaffUsers(std::unique_ptr<grpc::ClientContext> context) {
    v1::ListStaffUsersRequest request;
    request.set_parent(absl::StrCat("organisations/", prime_));
    v1::ListStaffUsersResponse response;
    return partners_->ListStaffUsers(context.get(), request, &response);
  }

  // CheckStaffStatus of the bootstrapped adviser.
  grpc::Status CheckStaffStatus(std::unique_ptr<grpc::ClientContext> context,
                                v1::StaffStatus* out,
                                v1::Partners::StubInterface* stub = nullptr) {
    v1::CheckStaffStatusRequest request;
    request.set_name(
        absl::StrCat("organisations/", prime_, "/staff/", staffed_));
    return (stub != nullptr ? stub : partners_.get())
        ->CheckStaffStatus(context.get(), request, out);
  }

  // Both services, one method each, authorised by `authorization`: a bad
  // credential is refused the same way whichever service it reaches, and
  // the message repeats no part of `token` (by default the one in
  // `authorization`).
  void ExpectBothRefuse(const std::string& authorization, Code code,
                        absl::string_view says,
                        std::optional<std::string> secret = std::nullopt) {
    const std::string token = secret.value_or(TokenOf(authorization));
    EXPECT_TRUE(Refused(ListParticipants(AuthorizedBy(authorization)), code,
                        says, token))
        << "Participants.ListParticipants";
    EXPECT_TRUE(Refused(ListOrganisations(AuthorizedBy(authorization)), code,
                        says, token))
        << "Partners.ListOrganisations";
  }

  FakeClock directory_clock_;
  SwitchableDirectory directory_;
  auth::CachedStaffDirectory cached_{directory_, directory_clock_};
  std::unique_ptr<test_harness::SuiteUnderTest> suite_;
  std::unique_ptr<pv1::Participants::Stub> participants_;
  std::unique_ptr<v1::Partners::Stub> partners_;
  std::string prime_;    // an organisation of the test's own
  std::string staffed_;  // an adviser of the prime, in the partners service
};

// ---- Tokens

TEST_F(IdentityTest, AValidTokenOfAnEnrolledUserIsAdmittedByBothServices) {
  const std::string authorization = test_harness::TestAuthorization(Enrolled());
  EXPECT_TRUE(Ok(ListParticipants(AuthorizedBy(authorization))));
  EXPECT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
}

TEST_F(IdentityTest, NoAuthorizationIsUnauthenticated) {
  EXPECT_TRUE(Refused(ListParticipants(AnonymousContext()),
                      Code::UNAUTHENTICATED,
                      "no bearer token: send authorization"));
  EXPECT_TRUE(Refused(ListOrganisations(AnonymousContext()),
                      Code::UNAUTHENTICATED,
                      "no bearer token: send authorization"));
}

TEST_F(IdentityTest, AnAuthorizationThatIsNotBearerIsUnauthenticated) {
  const std::string token =
      TokenOf(test_harness::TestAuthorization(Enrolled()));
  for (const std::string& authorization :
       {std::string("Basic YWRtaW46cGFzc3dvcmQ="), std::string("Bearer"),
        absl::StrCat("Token ", token), token}) {
    SCOPED_TRACE(authorization);
    ExpectBothRefuse(authorization, Code::UNAUTHENTICATED,
                     "authorization: must be \"Bearer <token>\"", token);
  }
  ExpectBothRefuse("Bearer   ", Code::UNAUTHENTICATED, "bearer token: missing");
  ExpectBothRefuse("Bearer not-a-jwt", Code::UNAUTHENTICATED,
                   "bearer token: is not a signed JWT");
}

TEST_F(IdentityTest, AnExpiredTokenIsUnauthenticated) {
  const TestCaller caller = Enrolled();
  const std::string token =
      Issue(test_harness::TestTokenSettings(), test_harness::TestTokenKey(),
            caller, absl::Now() - absl::Hours(2), absl::Hours(1));
  ExpectBothRefuse(Bearer(token), Code::UNAUTHENTICATED,
                   "bearer token: has expired");
}

TEST_F(IdentityTest, ATokenNotValidYetIsUnauthenticated) {
  const TestCaller caller = Enrolled();
  // Valid from an hour hence: far beyond the 30 s leeway for clock skew.
  const std::string token =
      Issue(test_harness::TestTokenSettings(), test_harness::TestTokenKey(),
            caller, absl::Now() + absl::Hours(1), absl::Hours(1));
  ExpectBothRefuse(Bearer(token), Code::UNAUTHENTICATED,
                   "bearer token: is not valid yet");
}

TEST_F(IdentityTest, ATokenSignedWithAnotherKeyIsUnauthenticated) {
  const TestCaller caller = Enrolled();
  // The key id the suite knows, another secret.
  const std::string wrong_key = Issue(
      test_harness::TestTokenSettings(),
      {TestKid(), "another-secret-of-at-least-32-bytes-0123456789"}, caller);
  ExpectBothRefuse(Bearer(wrong_key), Code::UNAUTHENTICATED,
                   "bearer token: signature does not verify");
  // A key id the suite does not know.
  const std::string unknown_kid = Issue(test_harness::TestTokenSettings(),
                                        {"retired-7", TestSecret()}, caller);
  ExpectBothRefuse(Bearer(unknown_kid), Code::UNAUTHENTICATED,
                   "bearer token: is signed with a key that is not accepted");
}

TEST_F(IdentityTest, TheAlgorithmIsPinnedWhateverTheTokenSays) {
  const TestCaller caller = Enrolled();
  const absl::Time now = absl::Now();
  const std::string payload = UserPayload(caller, now, now + absl::Hours(1));

  // The forging machinery makes tokens the suite accepts: the refusals
  // below are each for its one fault.
  const std::string honest = HmacToken(
      EVP_sha256(), HeaderFor("HS256", TestKid()), payload, TestSecret());
  EXPECT_TRUE(Ok(ListParticipants(AuthorizedBy(Bearer(honest)))));
  EXPECT_TRUE(Ok(ListOrganisations(AuthorizedBy(Bearer(honest)))));

  // HS512 with the right secret.
  ExpectBothRefuse(Bearer(HmacToken(EVP_sha512(), HeaderFor("HS512", TestKid()),
                                    payload, TestSecret())),
                   Code::UNAUTHENTICATED,
                   "bearer token: uses an algorithm that is not accepted");

  // RS256 under an RSA key of the attacker's own.
  absl::StatusOr<std::string> rsa = test_harness::NewRsaPrivateKey();
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  auth::TokenSettings rs256 = test_harness::TestTokenSettings();
  rs256.algorithm = "RS256";
  ExpectBothRefuse(Bearer(Issue(rs256, {TestKid(), *rsa}, caller)),
                   Code::UNAUTHENTICATED,
                   "bearer token: uses an algorithm that is not accepted");

  // Unsigned: "alg": "none" and no signature at all.
  const std::string unsigned_token = absl::StrCat(
      Base64Url(R"({"alg":"none","typ":"JWT"})"), ".", Base64Url(payload), ".");
  ExpectBothRefuse(Bearer(unsigned_token), Code::UNAUTHENTICATED,
                   "bearer token: is not a signed JWT");
  // "none" with the key id and a signature that would verify under HS256.
  for (const char* none : {"none", "None", "NONE"}) {
    SCOPED_TRACE(none);
    ExpectBothRefuse(Bearer(HmacToken(EVP_sha256(), HeaderFor(none, TestKid()),
                                      payload, TestSecret())),
                     Code::UNAUTHENTICATED,
                     "bearer token: uses an algorithm that is not accepted");
  }
  // No algorithm named at all.
  ExpectBothRefuse(Bearer(HmacToken(EVP_sha256(),
                                    absl::StrCat(R"({"typ":"JWT","kid":")",
                                                 TestKid(), R"("})"),
                                    payload, TestSecret())),
                   Code::UNAUTHENTICATED,
                   "bearer token: uses an algorithm that is not accepted");
}

TEST_F(IdentityTest, ATokenForAnotherIssuerOrAudienceIsUnauthenticated) {
  const TestCaller caller = Enrolled();
  auth::TokenSettings issuer = test_harness::TestTokenSettings();
  issuer.issuer = "someone-else";
  ExpectBothRefuse(Bearer(Issue(issuer, test_harness::TestTokenKey(), caller)),
                   Code::UNAUTHENTICATED,
                   "bearer token: was not issued by the expected issuer");
  auth::TokenSettings audience = test_harness::TestTokenSettings();
  audience.audience = "another-suite";
  ExpectBothRefuse(
      Bearer(Issue(audience, test_harness::TestTokenKey(), caller)),
      Code::UNAUTHENTICATED, "bearer token: is not meant for this audience");
}

TEST_F(IdentityTest, ATamperedTokenIsUnauthenticated) {
  const TestCaller adviser = Enrolled(type::v1::ADVISER);
  const TestCaller admin = Enrolled(type::v1::ORGANISATION_ADMIN);
  const std::string token = TokenOf(test_harness::TestAuthorization(adviser));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);

  // The payload rewritten to name the organisation's admin, the adviser's
  // signature kept: an escalation that must not pass.
  std::string payload;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[1], &payload));
  ASSERT_TRUE(absl::StrContains(payload, adviser.user)) << payload;
  const std::string as_admin = absl::StrCat(
      parts[0], ".",
      Base64Url(absl::StrReplaceAll(payload, {{adviser.user, admin.user}})),
      ".", parts[2]);
  ExpectBothRefuse(Bearer(as_admin), Code::UNAUTHENTICATED,
                   "bearer token: signature does not verify");

  // One character of the payload flipped (inside the user's id, so that the
  // payload still reads as JSON).
  std::string flipped_payload = payload;
  const size_t at =
      flipped_payload.find(adviser.user) + adviser.user.size() - 1;
  flipped_payload[at] = flipped_payload[at] == 'a' ? 'b' : 'a';
  ExpectBothRefuse(
      Bearer(absl::StrCat(parts[0], ".", Base64Url(flipped_payload), ".",
                          parts[2])),
      Code::UNAUTHENTICATED, "bearer token: signature does not verify");

  // One character of the signature flipped.
  std::string signature = parts[2];
  signature[signature.size() / 2] =
      signature[signature.size() / 2] == 'A' ? 'B' : 'A';
  ExpectBothRefuse(
      Bearer(absl::StrCat(parts[0], ".", parts[1], ".", signature)),
      Code::UNAUTHENTICATED, "bearer token: signature does not verify");
}

TEST_F(IdentityTest, ATokenWithoutExpiryIsUnauthenticated) {
  const TestCaller caller = Enrolled();
  const std::string token =
      HmacToken(EVP_sha256(), HeaderFor("HS256", TestKid()),
                UserPayload(caller, absl::Now(), std::nullopt), TestSecret());
  ExpectBothRefuse(Bearer(token), Code::UNAUTHENTICATED,
                   "bearer token: has no expiry");
}

TEST_F(IdentityTest, AUserTheDirectoryDoesNotHoldIsUnauthenticated) {
  const TestCaller caller{prime_, UniqueId("ghost"), type::v1::ADVISER, ""};
  TestStaffDirectory::Instance().Remove(caller.organisation, caller.user);
  ExpectBothRefuse(test_harness::TestAuthorization(caller),
                   Code::UNAUTHENTICATED,
                   "bearer token: the user is not in the staff directory");
}

TEST_F(IdentityTest, ADeactivatedUserOrOrganisationIsUnauthenticated) {
  // Each with a valid token for an hour yet.
  const TestCaller user = Enrolled();
  TestStaffDirectory::Instance().SetStanding(
      user.organisation, user.user,
      StandingOf(user.role, /*active=*/false, /*organisation_active=*/true));
  ExpectBothRefuse(test_harness::TestAuthorization(user), Code::UNAUTHENTICATED,
                   "bearer token: the user is deactivated");

  const TestCaller member = Enrolled();
  TestStaffDirectory::Instance().SetStanding(
      member.organisation, member.user,
      StandingOf(member.role, /*active=*/true, /*organisation_active=*/false));
  ExpectBothRefuse(test_harness::TestAuthorization(member),
                   Code::UNAUTHENTICATED,
                   "bearer token: the caller's organisation is deactivated");
}

// ---- Standing over time: the 60 s bound, and failing closed.

TEST_F(IdentityTest, ADeactivationBitesWithinSixtySecondsWhateverTheToken) {
  const TestCaller caller = Enrolled();
  const std::string authorization = test_harness::TestAuthorization(caller);
  ASSERT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
  ASSERT_TRUE(Ok(ListParticipants(AuthorizedBy(authorization))));

  TestStaffDirectory::Instance().SetStanding(
      caller.organisation, caller.user,
      StandingOf(caller.role, /*active=*/false, /*organisation_active=*/true));
  // The standing read a moment ago may stand for up to a minute...
  directory_clock_.Advance(absl::Seconds(59));
  EXPECT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
  // ...and no longer: at 60 s the deactivation bites, in both services,
  // though the token is valid for most of an hour yet.
  directory_clock_.Advance(absl::Seconds(1));
  ExpectBothRefuse(authorization, Code::UNAUTHENTICATED,
                   "bearer token: the user is deactivated");
}

TEST_F(IdentityTest, AnOrganisationsDeactivationBitesWithinSixtySeconds) {
  const TestCaller caller = Enrolled();
  const std::string authorization = test_harness::TestAuthorization(caller);
  ASSERT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
  TestStaffDirectory::Instance().SetStanding(
      caller.organisation, caller.user,
      StandingOf(caller.role, /*active=*/true, /*organisation_active=*/false));
  directory_clock_.Advance(absl::Seconds(61));
  ExpectBothRefuse(authorization, Code::UNAUTHENTICATED,
                   "bearer token: the caller's organisation is deactivated");
}

TEST_F(IdentityTest, ADemotionBitesWithinSixtySecondsWhateverTheToken) {
  // The token says ORGANISATION_ADMIN for an hour.
  const TestCaller admin = Enrolled(type::v1::ORGANISATION_ADMIN);
  const std::string authorization = test_harness::TestAuthorization(admin);
  ASSERT_TRUE(Ok(ListStaffUsers(AuthorizedBy(authorization))));

  TestStaffDirectory::Instance().SetStanding(
      admin.organisation, admin.user,
      StandingOf(type::v1::ADVISER, /*active=*/true,
                 /*organisation_active=*/true));
  directory_clock_.Advance(absl::Seconds(59));
  EXPECT_TRUE(Ok(ListStaffUsers(AuthorizedBy(authorization))));
  directory_clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Refused(
      ListStaffUsers(AuthorizedBy(authorization)), Code::PERMISSION_DENIED,
      "ADVISER may not call ListStaffUsers", TokenOf(authorization)));
  // An adviser may still do what advisers do.
  EXPECT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
}

TEST_F(IdentityTest, TheRoleIsTheDirectorysNotTheTokens) {
  // A token claiming ORGANISATION_ADMIN for a user the directory holds as an
  // adviser: the directory's role is the one checked.
  const TestCaller adviser = Enrolled(type::v1::ADVISER);
  const std::string authorization = test_harness::TestAuthorization(
      test_harness::As(adviser, type::v1::ORGANISATION_ADMIN));
  EXPECT_TRUE(Refused(CreateStaffUser(AuthorizedBy(authorization), prime_),
                      Code::PERMISSION_DENIED,
                      "ADVISER may not call CreateStaffUser",
                      TokenOf(authorization)));
}

TEST_F(IdentityTest, ADirectoryThatCannotAnswerFailsClosed) {
  const TestCaller caller = Enrolled();
  const std::string authorization = test_harness::TestAuthorization(caller);
  directory_.down = true;
  ExpectBothRefuse(authorization, Code::UNAVAILABLE,
                   "the staff directory cannot be reached to confirm the "
                   "caller; retry");
  // Failures are not remembered: the next call once it answers is let in.
  directory_.down = false;
  EXPECT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
  EXPECT_TRUE(Ok(ListParticipants(AuthorizedBy(authorization))));
}

TEST_F(IdentityTest, AStandingOutlivesAnOutageOnlyUntilTheBound) {
  const TestCaller caller = Enrolled();
  const std::string authorization = test_harness::TestAuthorization(caller);
  ASSERT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
  directory_.down = true;
  directory_clock_.Advance(absl::Seconds(59));
  EXPECT_TRUE(Ok(ListOrganisations(AuthorizedBy(authorization))));
  directory_clock_.Advance(absl::Seconds(1));
  ExpectBothRefuse(authorization, Code::UNAVAILABLE,
                   "the staff directory cannot be reached");
}

// ---- The role × method table

TEST_F(IdentityTest, ARoleMayCallOnlyTheMethodsItsTableGivesIt) {
  const std::string adviser =
      test_harness::TestAuthorization(Enrolled(type::v1::ADVISER));
  EXPECT_TRUE(Refused(
      CreateStaffUser(AuthorizedBy(adviser), prime_), Code::PERMISSION_DENIED,
      "ADVISER may not call CreateStaffUser", TokenOf(adviser)));
  EXPECT_TRUE(Refused(ListStaffUsers(AuthorizedBy(adviser)),
                      Code::PERMISSION_DENIED,
                      "ADVISER may not call ListStaffUsers", TokenOf(adviser)));
  // The organisation's admin may.
  const std::string admin =
      test_harness::TestAuthorization(Enrolled(type::v1::ORGANISATION_ADMIN));
  EXPECT_TRUE(Ok(CreateStaffUser(AuthorizedBy(admin), prime_)));
  // A commissioner's viewer sees no participant.
  const std::string viewer =
      test_harness::TestAuthorization(Enrolled(type::v1::COMMISSIONER_VIEWER));
  EXPECT_TRUE(Refused(
      ListParticipants(AuthorizedBy(viewer)), Code::PERMISSION_DENIED,
      "COMMISSIONER_VIEWER may not call ListParticipants", TokenOf(viewer)));
}

// ---- Services: service tokens and calls on a user's behalf

TEST_F(IdentityTest, AServiceTokenMayCallWhatThePolicyListsTheServiceFor) {
  v1::StaffStatus status;
  ASSERT_TRUE(Ok(CheckStaffStatus(
      AuthorizedBy(Bearer(ServiceToken("participants", absl::Now()))),
      &status)));
  EXPECT_EQ(status.name(),
            absl::StrCat("organisations/", prime_, "/staff/", staffed_));
  EXPECT_TRUE(status.active());
  EXPECT_TRUE(status.organisation_active());
  EXPECT_EQ(status.role(), type::v1::ADVISER);
}

TEST_F(IdentityTest, AServiceThePolicyDoesNotListIsPermissionDenied) {
  const std::string unknown = Bearer(ServiceToken("unknown-svc", absl::Now()));
  v1::StaffStatus status;
  EXPECT_TRUE(Refused(
      CheckStaffStatus(AuthorizedBy(unknown), &status), Code::PERMISSION_DENIED,
      "service unknown-svc may not call CheckStaffStatus on its own behalf",
      TokenOf(unknown)));
  // A listed service, on its own behalf, for a method that is staff's only.
  const std::string participants =
      Bearer(ServiceToken("participants", absl::Now()));
  EXPECT_TRUE(Refused(ListOrganisations(AuthorizedBy(participants)),
                      Code::PERMISSION_DENIED,
                      "service participants may not call ListOrganisations "
                      "on its own behalf",
                      TokenOf(participants)));
  EXPECT_TRUE(Refused(ListParticipants(AuthorizedBy(participants)),
                      Code::PERMISSION_DENIED,
                      "service participants may not call ListParticipants "
                      "on its own behalf",
                      TokenOf(participants)));
}

TEST_F(IdentityTest, AServiceTokenIsCheckedLikeAnyToken) {
  const std::string expired = Bearer(ServiceToken(
      "participants", absl::Now() - absl::Hours(2), absl::Hours(1)));
  v1::StaffStatus status;
  EXPECT_TRUE(Refused(CheckStaffStatus(AuthorizedBy(expired), &status),
                      Code::UNAUTHENTICATED, "bearer token: has expired",
                      TokenOf(expired)));
}

TEST_F(IdentityTest, AMemberOfStaffMayNotCallAServicesMethod) {
  for (StaffRole role : {type::v1::ADVISER, type::v1::ORGANISATION_ADMIN}) {
    const std::string authorization =
        test_harness::TestAuthorization(Enrolled(role));
    v1::StaffStatus status;
    EXPECT_TRUE(Refused(CheckStaffStatus(AuthorizedBy(authorization), &status),
                        Code::PERMISSION_DENIED,
                        absl::StrCat(type::v1::StaffRole_Name(role),
                                     " may not call CheckStaffStatus"),
                        TokenOf(authorization)));
  }
}

TEST_F(IdentityTest, AServiceOnAUsersBehalfIsAdmittedAsTheUser) {
  const std::string service = Bearer(ServiceToken("participants", absl::Now()));
  // An adviser reads the directory through the service...
  const std::string adviser =
      test_harness::TestAuthorization(Enrolled(type::v1::ADVISER));
  v1::Organisation organisation;
  ASSERT_TRUE(Ok(GetOrganisation(
      ContextWith({{"authorization", service}, {kOnBehalfOf, adviser}}),
      &organisation)));
  EXPECT_EQ(organisation.name(), absl::StrCat("organisations/", prime_));
  // ...but may not do through it what the adviser may not do: the callee
  // checks the user's role, not only the service.
  EXPECT_TRUE(Refused(
      CreateStaffUser(
          ContextWith({{"authorization", service}, {kOnBehalfOf, adviser}}),
          prime_),
      Code::PERMISSION_DENIED, "ADVISER may not call CreateStaffUser",
      TokenOf(adviser)));
  // The organisation's admin may, through the service, which on its own
  // behalf may not.
  const std::string admin =
      test_harness::TestAuthorization(Enrolled(type::v1::ORGANISATION_ADMIN));
  EXPECT_TRUE(Ok(CreateStaffUser(
      ContextWith({{"authorization", service}, {kOnBehalfOf, admin}}),
      prime_)));
  EXPECT_TRUE(Refused(CreateStaffUser(AuthorizedBy(service), prime_),
                      Code::PERMISSION_DENIED,
                      "service participants may not call CreateStaffUser on "
                      "its own behalf",
                      TokenOf(service)));
}

TEST_F(IdentityTest, OnAUsersBehalfTheCallerIsTheUsersOrganisation) {
  // An admin of another organisation, through a service, is still of that
  // organisation: the prime's staff are not theirs to manage.
  const TestCaller other{UniqueId("other"), UniqueId("admin"),
                         type::v1::ORGANISATION_ADMIN, ""};
  TestStaffDirectory::Instance().Enrol(other);
  const grpc::Status status = CreateStaffUser(
      ContextWith(
          {{"authorization", Bearer(ServiceToken("participants", absl::Now()))},
           {kOnBehalfOf, test_harness::TestAuthorization(other)}}),
      prime_);
  EXPECT_TRUE(Refused(status, Code::PERMISSION_DENIED,
                      "is managed only by its own staff"));
}

TEST_F(IdentityTest, OnAUsersBehalfTheCalleeChecksBothCredentials) {
  const std::string service = Bearer(ServiceToken("participants", absl::Now()));
  // The user's standing: deactivated, though the service is fine.
  const TestCaller user = Enrolled();
  TestStaffDirectory::Instance().SetStanding(
      user.organisation, user.user,
      StandingOf(user.role, /*active=*/false, /*organisation_active=*/true));
  const std::string deactivated = test_harness::TestAuthorization(user);
  v1::Organisation organisation;
  EXPECT_TRUE(Refused(
      GetOrganisation(
          ContextWith({{"authorization", service}, {kOnBehalfOf, deactivated}}),
          &organisation),
      Code::UNAUTHENTICATED, "bearer token: the user is deactivated"));
  // The user's token: tampered.
  const std::string adviser =
      test_harness::TestAuthorization(Enrolled(type::v1::ADVISER));
  const std::string tampered = absl::StrCat(adviser, "x");
  EXPECT_TRUE(Refused(
      GetOrganisation(
          ContextWith({{"authorization", service}, {kOnBehalfOf, tampered}}),
          &organisation),
      Code::UNAUTHENTICATED, "bearer token:", TokenOf(tampered)));
  // The service's token: expired, though the user is fine.
  const std::string expired = Bearer(ServiceToken(
      "participants", absl::Now() - absl::Hours(2), absl::Hours(1)));
  EXPECT_TRUE(Refused(
      GetOrganisation(
          ContextWith({{"authorization", expired}, {kOnBehalfOf, adviser}}),
          &organisation),
      Code::UNAUTHENTICATED, "bearer token: has expired", TokenOf(expired)));
  // Not "Bearer".
  EXPECT_TRUE(
      Refused(GetOrganisation(ContextWith({{"authorization", service},
                                           {kOnBehalfOf, TokenOf(adviser)}}),
                              &organisation),
              Code::UNAUTHENTICATED,
              "x-employability-on-behalf-of: must be \"Bearer <token>\"",
              TokenOf(adviser)));
}

TEST_F(IdentityTest, OnlyAServiceMayCallOnAUsersBehalf) {
  const std::string adviser =
      test_harness::TestAuthorization(Enrolled(type::v1::ADVISER));
  const std::string admin =
      test_harness::TestAuthorization(Enrolled(type::v1::ORGANISATION_ADMIN));
  v1::Organisation organisation;
  // No credential of its own.
  EXPECT_TRUE(Refused(
      GetOrganisation(ContextWith({{kOnBehalfOf, admin}}), &organisation),
      Code::UNAUTHENTICATED,
      "x-employability-on-behalf-of: only a service may call on a user's "
      "behalf",
      TokenOf(admin)));
  // A user's token, acting for another user.
  EXPECT_TRUE(Refused(
      GetOrganisation(
          ContextWith({{"authorization", adviser}, {kOnBehalfOf, admin}}),
          &organisation),
      Code::UNAUTHENTICATED,
      "x-employability-on-behalf-of: only a service may call on a user's "
      "behalf",
      TokenOf(admin)));
}

TEST_F(IdentityTest, OnBehalfOfMustCarryAUsersToken) {
  const std::string service = Bearer(ServiceToken("participants", absl::Now()));
  const std::string other = Bearer(ServiceToken("audit", absl::Now()));
  v1::StaffStatus status;
  EXPECT_TRUE(Refused(CheckStaffStatus(ContextWith({{"authorization", service},
                                                    {kOnBehalfOf, other}}),
                                       &status),
                      Code::UNAUTHENTICATED,
                      "x-employability-on-behalf-of: must carry a user's token",
                      TokenOf(other)));
}

// ---- Mutual TLS through the gate

class MutualTlsIdentityTest : public IdentityTest {
 protected:
  void SetUp() override {
    auto ca = TestCertificateAuthority::Create("employability-test-ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    auto rogue = TestCertificateAuthority::Create("rogue-ca");
    ASSERT_TRUE(rogue.ok()) << rogue.status();
    auto server = ca_->IssueServer();
    ASSERT_TRUE(server.ok()) << server.status();
    auto participants = ca_->IssueClient("participants");
    ASSERT_TRUE(participants.ok()) << participants.status();
    participants_cert_ = *std::move(participants);
    auto not_a_service = ca_->IssueClient("not-a-service");
    ASSERT_TRUE(not_a_service.ok()) << not_a_service.status();
    not_a_service_cert_ = *std::move(not_a_service);
    // The same name, from a CA the suite does not trust.
    auto rogue_participants = (*rogue)->IssueClient("participants");
    ASSERT_TRUE(rogue_participants.ok()) << rogue_participants.status();
    rogue_cert_ = *std::move(rogue_participants);
    ASSERT_NO_FATAL_FAILURE(StartSuite(
        {server->certificate, server->private_key, ca_->certificate()}));
  }

  // A partners stub over TLS presenting `client` (none when null), or over
  // plaintext.
  std::unique_ptr<v1::Partners::Stub> Stub(const TestCertificate* client,
                                           bool plaintext = false) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (plaintext) {
      credentials = grpc::InsecureChannelCredentials();
    } else {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = ca_->certificate();
      if (client != nullptr) {
        ssl.pem_private_key = client->private_key;
        ssl.pem_cert_chain = client->certificate;
      }
      credentials = grpc::SslCredentials(ssl);
    }
    // An address, not a name: the server's certificate is checked against
    // "localhost", which it carries.
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return v1::Partners::NewStub(
        grpc::CreateCustomChannel(suite_->address(), credentials, args));
  }

  std::unique_ptr<TestCertificateAuthority> ca_;
  TestCertificate participants_cert_;
  TestCertificate not_a_service_cert_;
  TestCertificate rogue_cert_;
};

TEST_F(MutualTlsIdentityTest, NoClientCertificateFailsTheHandshake) {
  v1::StaffStatus status;
  auto no_certificate = Stub(nullptr);
  EXPECT_EQ(CheckStaffStatus(AnonymousContext(), &status, no_certificate.get())
                .error_code(),
            Code::UNAVAILABLE);
  // Nor does a token stand in for the certificate.
  EXPECT_EQ(CheckStaffStatus(
                AuthorizedBy(Bearer(ServiceToken("participants", absl::Now()))),
                &status, no_certificate.get())
                .error_code(),
            Code::UNAVAILABLE);
  auto plaintext = Stub(nullptr, /*plaintext=*/true);
  EXPECT_EQ(CheckStaffStatus(AnonymousContext(), &status, plaintext.get())
                .error_code(),
            Code::UNAVAILABLE);
}

TEST_F(MutualTlsIdentityTest, ACertificateFromAnotherCaFailsTheHandshake) {
  v1::StaffStatus status;
  auto rogue = Stub(&rogue_cert_);
  EXPECT_EQ(
      CheckStaffStatus(AnonymousContext(), &status, rogue.get()).error_code(),
      Code::UNAVAILABLE);
}

TEST_F(MutualTlsIdentityTest, ACertificateNamingAServiceIsThatService) {
  auto participants = Stub(&participants_cert_);
  v1::StaffStatus status;
  ASSERT_TRUE(
      Ok(CheckStaffStatus(AnonymousContext(), &status, participants.get())));
  EXPECT_EQ(status.name(),
            absl::StrCat("organisations/", prime_, "/staff/", staffed_));
  EXPECT_TRUE(status.active());
  // A service token that agrees with the certificate changes nothing.
  EXPECT_TRUE(Ok(CheckStaffStatus(
      AuthorizedBy(Bearer(ServiceToken("participants", absl::Now()))), &status,
      participants.get())));
  // On its own behalf it may call only what the policy lists it for.
  EXPECT_TRUE(Refused(ListOrganisations(AnonymousContext(), participants.get()),
                      Code::PERMISSION_DENIED,
                      "service participants may not call ListOrganisations "
                      "on its own behalf"));
}

TEST_F(MutualTlsIdentityTest, ACertificateNamingNoListedServiceIsDenied) {
  auto stub = Stub(&not_a_service_cert_);
  v1::StaffStatus status;
  EXPECT_TRUE(
      Refused(CheckStaffStatus(AnonymousContext(), &status, stub.get()),
              Code::PERMISSION_DENIED,
              "service not-a-service may not call CheckStaffStatus on its own "
              "behalf"));
}

TEST_F(MutualTlsIdentityTest,
       ACertificateAndAServiceTokenThatDisagreeAreRefused) {
  auto participants = Stub(&participants_cert_);
  const std::string audit = Bearer(ServiceToken("audit", absl::Now()));
  v1::StaffStatus status;
  EXPECT_TRUE(Refused(
      CheckStaffStatus(AuthorizedBy(audit), &status, participants.get()),
      Code::UNAUTHENTICATED,
      "the service token names a different service from the client "
      "certificate",
      TokenOf(audit)));
}

TEST_F(MutualTlsIdentityTest, ACertifiedServiceCarriesAUsersToken) {
  auto participants = Stub(&participants_cert_);
  const std::string adviser =
      test_harness::TestAuthorization(Enrolled(type::v1::ADVISER));
  // On the user's behalf, whether the user's token comes in authorization
  // or in on-behalf-of: the caller is the user.
  v1::Organisation organisation;
  EXPECT_TRUE(Ok(GetOrganisation(AuthorizedBy(adviser), &organisation,
                                 participants.get())));
  EXPECT_TRUE(Ok(GetOrganisation(ContextWith({{kOnBehalfOf, adviser}}),
                                 &organisation, participants.get())));
  v1::StaffStatus status;
  EXPECT_TRUE(Refused(CheckStaffStatus(ContextWith({{kOnBehalfOf, adviser}}),
                                       &status, participants.get()),
                      Code::PERMISSION_DENIED,
                      "ADVISER may not call CheckStaffStatus",
                      TokenOf(adviser)));
  // And the user's standing is checked as ever.
  const TestCaller gone = Enrolled();
  TestStaffDirectory::Instance().SetStanding(
      gone.organisation, gone.user,
      StandingOf(gone.role, /*active=*/false, /*organisation_active=*/true));
  EXPECT_TRUE(Refused(
      GetOrganisation(
          ContextWith({{kOnBehalfOf, test_harness::TestAuthorization(gone)}}),
          &organisation, participants.get()),
      Code::UNAUTHENTICATED, "bearer token: the user is deactivated"));
}

}  // namespace
}  // namespace employability
