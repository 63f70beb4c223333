// The caller from a bearer token and the staff directory: deactivation bites
// within the bound, the directory's role wins, and no answer means no access.
#include "common/auth/authenticator.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace employability::auth {
namespace {

constexpr char kSecret[] = "a-shared-secret-of-at-least-32-bytes!!";

// A directory the test edits, counting how often it is asked.
class FakeDirectory final : public StaffDirectory {
 public:
  absl::StatusOr<StaffStanding> Standing(const std::string& organisation,
                                         const std::string& user) override {
    ++reads;
    if (!reachable) return absl::UnavailableError("directory down");
    auto it = staff.find(absl::StrCat(organisation, "/", user));
    if (it == staff.end()) return absl::NotFoundError("no such user");
    return it->second;
  }
  absl::flat_hash_map<std::string, StaffStanding> staff;
  bool reachable = true;
  int reads = 0;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  AuthenticatorTest()
      : verifier_(*TokenVerifier::Create(Settings(), {{"k1", kSecret}})),
        cache_(directory_, clock_),
        authenticator_(verifier_, cache_) {
    directory_.staff["prime-north/adviser-1"] = {true, true, type::v1::ADVISER,
                                                 "team-a"};
  }

  static TokenSettings Settings() {
    return {"HS256", "employability-test", "employability-suite",
            absl::Seconds(30)};
  }

  std::string Bearer(const std::string& user = "adviser-1",
                     const std::string& role = "ADVISER") {
    auto issuer = TokenIssuer::Create(Settings(), {"k1", kSecret});
    auto token = issuer->Issue({"prime-north", user, role, "", absl::Time()},
                               absl::Now(), absl::Hours(1));
    return absl::StrCat("Bearer ", *token);
  }

  FakeClock clock_;
  FakeDirectory directory_;
  TokenVerifier verifier_;
  CachedStaffDirectory cache_;
  Authenticator authenticator_;
};

TEST_F(AuthenticatorTest, AValidTokenOfAnActiveUserIsTheCaller) {
  auto caller = authenticator_.Authenticate(Bearer());
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->organisation, "prime-north");
  EXPECT_EQ(caller->user, "adviser-1");
  EXPECT_EQ(caller->role, type::v1::ADVISER);
  EXPECT_EQ(caller->team, "team-a");
}

TEST_F(AuthenticatorTest, MissingOrMalformedAuthorizationIsUnauthenticated) {
  for (const char* header : {"", "Bearer", "Bearer ", "Basic abc", "token"}) {
    EXPECT_EQ(authenticator_.Authenticate(header).status().code(),
              absl::StatusCode::kUnauthenticated)
        << header;
  }
  EXPECT_EQ(authenticator_.Authenticate("Bearer not-a-token").status().code(),
            absl::StatusCode::kUnauthenticated);
  // The scheme is case-insensitive (RFC 7235).
  std::string lower = Bearer();
  lower[0] = 'b';
  EXPECT_TRUE(authenticator_.Authenticate(lower).ok());
}

TEST_F(AuthenticatorTest, DeactivationBitesWithinAMinute) {
  ASSERT_TRUE(authenticator_.Authenticate(Bearer()).ok());
  directory_.staff["prime-north/adviser-1"].active = false;
  clock_.Advance(absl::Seconds(30));  // still remembered: allowed
  EXPECT_TRUE(authenticator_.Authenticate(Bearer()).ok());
  clock_.Advance(absl::Seconds(31));  // past the bound, whatever the token
  auto refused = authenticator_.Authenticate(Bearer());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_NE(std::string(refused.status().message()).find("deactivated"),
            std::string::npos);
}

TEST_F(AuthenticatorTest, ADeactivatedOrganisationLosesAccessToo) {
  directory_.staff["prime-north/adviser-1"].organisation_active = false;
  EXPECT_EQ(authenticator_.Authenticate(Bearer()).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, TheDirectorysRoleWinsOverTheTokens) {
  // The token still says TEAM_LEADER; the directory has demoted them.
  auto caller = authenticator_.Authenticate(Bearer("adviser-1", "TEAM_LEADER"));
  ASSERT_TRUE(caller.ok());
  EXPECT_EQ(caller->role, type::v1::ADVISER);
}

TEST_F(AuthenticatorTest, AnUnknownUserIsUnauthenticated) {
  EXPECT_EQ(authenticator_.Authenticate(Bearer("adviser-9")).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthenticatorTest, NoAnswerFromTheDirectoryFailsClosed) {
  directory_.reachable = false;
  EXPECT_EQ(authenticator_.Authenticate(Bearer()).status().code(),
            absl::StatusCode::kUnavailable);
  // Failures are not remembered: access returns with the directory.
  directory_.reachable = true;
  EXPECT_TRUE(authenticator_.Authenticate(Bearer()).ok());
}

TEST_F(AuthenticatorTest, StandingsAreReadOncePerBound) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(authenticator_.Authenticate(Bearer()).ok());
  }
  EXPECT_EQ(directory_.reads, 1);
  // A cache cannot be set to outlive the bound.
  CachedStaffDirectory lax(directory_, clock_, absl::Hours(1));
  ASSERT_TRUE(lax.Standing("prime-north", "adviser-1").ok());
  clock_.Advance(absl::Seconds(61));
  ASSERT_TRUE(lax.Standing("prime-north", "adviser-1").ok());
  EXPECT_EQ(directory_.reads, 3);
}

}  // namespace
}  // namespace employability::auth
