// Tests of the role × method table: its validation against a pool of test
// services, Check and ScopeOf, and the participants service's own table,
// read from services/participants/access_policy.textproto.
#include "common/auth/access_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "employability/participants/v1/access_grants.pb.h"
#include "employability/participants/v1/action_plans.pb.h"
#include "employability/participants/v1/barriers.pb.h"
#include "employability/participants/v1/case_reviews.pb.h"
#include "employability/participants/v1/caseloads.pb.h"
#include "employability/participants/v1/contacts.pb.h"
#include "employability/participants/v1/group_sessions.pb.h"
#include "employability/participants/v1/participant_data.pb.h"
#include "employability/participants/v1/participants.pb.h"
#include "employability/participants/v1/progression.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/text_format.h"

namespace employability::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using type::v1::StaffRole;

constexpr StaffRole kAllRoles[] = {type::v1::ADVISER,
                                   type::v1::TEAM_LEADER,
                                   type::v1::QUALITY_MANAGER,
                                   type::v1::CONTRACT_MANAGER,
                                   type::v1::ORGANISATION_ADMIN,
                                   type::v1::COMMISSIONER_VIEWER};

// Two services of our own, so that the mechanism is tested apart from any
// real service's table.
constexpr char kTestServices[] = R"pb(
  name: "test/echo.proto"
  package: "test.v1"
  message_type { name: "Message" }
  service {
    name: "Echo"
    method {
      name: "Say"
      input_type: ".test.v1.Message"
      output_type: ".test.v1.Message"
    }
    method {
      name: "Shout"
      input_type: ".test.v1.Message"
      output_type: ".test.v1.Message"
    }
  }
  service {
    name: "Quiet"
    method {
      name: "Hush"
      input_type: ".test.v1.Message"
      output_type: ".test.v1.Message"
    }
  }
)pb";

// A valid table for test.v1.Echo.
constexpr char kEcho[] = R"pb(
  services {
    service: "test.v1.Echo"
    rules {
      method: "Say"
      roles: [ ADVISER, TEAM_LEADER, QUALITY_MANAGER ]
      scope: ORGANISATION
      role_scopes { role: TEAM_LEADER scope: TEAM }
      note: "casework"
    }
    rules {
      method: "Shout"
      roles: []
      note: "a service identity only"
    }
  }
)pb";

constexpr char kSay[] = "/test.v1.Echo/Say";
constexpr char kShout[] = "/test.v1.Echo/Shout";

class AccessPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(
        google::protobuf::TextFormat::ParseFromString(kTestServices, &file));
    ASSERT_NE(pool_.BuildFile(file), nullptr);
  }

  absl::StatusOr<AccessPolicy> Parse(absl::string_view text) {
    return AccessPolicy::Parse(text, &pool_);
  }

  // The INTERNAL message of a table that must not load.
  std::string Fault(absl::string_view text) {
    absl::StatusOr<AccessPolicy> policy = Parse(text);
    EXPECT_EQ(policy.status().code(), absl::StatusCode::kInternal)
        << policy.status();
    return std::string(policy.status().message());
  }

  google::protobuf::DescriptorPool pool_;
};

TEST_F(AccessPolicyTest, AllowsTheListedRoles) {
  absl::StatusOr<AccessPolicy> policy = Parse(kEcho);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_TRUE(policy->Check(kSay, type::v1::ADVISER).ok());
  EXPECT_TRUE(policy->Check(kSay, type::v1::TEAM_LEADER).ok());
  EXPECT_TRUE(policy->Check(kSay, type::v1::QUALITY_MANAGER).ok());
}

TEST_F(AccessPolicyTest, DeniesARoleNotListed) {
  absl::StatusOr<AccessPolicy> policy = Parse(kEcho);
  ASSERT_TRUE(policy.ok()) << policy.status();
  const absl::Status denied = policy->Check(kSay, type::v1::CONTRACT_MANAGER);
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(), "CONTRACT_MANAGER may not call Say");
}

TEST_F(AccessPolicyTest, EmptyRolesDenyEveryStaffRole) {
  absl::StatusOr<AccessPolicy> policy = Parse(kEcho);
  ASSERT_TRUE(policy.ok()) << policy.status();
  for (const StaffRole role : kAllRoles) {
    EXPECT_EQ(policy->Check(kShout, role).code(),
              absl::StatusCode::kPermissionDenied)
        << role;
  }
}

TEST_F(AccessPolicyTest, DeniesAMethodNotInTheTable) {
  absl::StatusOr<AccessPolicy> policy = Parse(kEcho);
  ASSERT_TRUE(policy.ok()) << policy.status();
  for (const char* method : {"/test.v1.Quiet/Hush", "/test.v1.Echo/Whisper",
                             "test.v1.Echo/Say", "/test.v1.Echo/say", ""}) {
    const absl::Status denied = policy->Check(method, type::v1::ADVISER);
    EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied) << method;
  }
  EXPECT_EQ(policy->Check("/test.v1.Echo/Whisper", type::v1::ADVISER).message(),
            "ADVISER may not call Whisper");
}

TEST_F(AccessPolicyTest, DeniesAnUnspecifiedOrUnknownRole) {
  absl::StatusOr<AccessPolicy> policy = Parse(kEcho);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->Check(kSay, type::v1::STAFF_ROLE_UNSPECIFIED).code(),
            absl::StatusCode::kPermissionDenied);
  const absl::Status unknown = policy->Check(kSay, static_cast<StaffRole>(42));
  EXPECT_EQ(unknown.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(unknown.message(), "role 42 may not call Say");
}

TEST_F(AccessPolicyTest, ScopeOfTheRuleAndOfEachRole) {
  absl::StatusOr<AccessPolicy> policy = Parse(kEcho);
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->ScopeOf(kSay), v1::ORGANISATION);
  EXPECT_EQ(policy->ScopeOf(kSay, type::v1::ADVISER), v1::ORGANISATION);
  EXPECT_EQ(policy->ScopeOf(kSay, type::v1::TEAM_LEADER), v1::TEAM);
  // Not allowed, no scope declared, not in the table: no scope at all.
  EXPECT_EQ(policy->ScopeOf(kSay, type::v1::CONTRACT_MANAGER), std::nullopt);
  EXPECT_EQ(policy->ScopeOf(kShout), std::nullopt);
  EXPECT_EQ(policy->ScopeOf("/test.v1.Quiet/Hush"), std::nullopt);
  EXPECT_EQ(policy->ScopeOf("/test.v1.Quiet/Hush", type::v1::ADVISER),
            std::nullopt);
}

TEST_F(AccessPolicyTest, HoldsSeveralServices) {
  absl::StatusOr<AccessPolicy> policy = Parse(absl::StrCat(kEcho, R"pb(
    services {
      service: "test.v1.Quiet"
      rules {
        method: "Hush"
        roles: [ COMMISSIONER_VIEWER ]
        scope: ANY
        note: "x"
      }
    }
  )pb"));
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_THAT(policy->Methods(),
              ElementsAre("/test.v1.Echo/Say", "/test.v1.Echo/Shout",
                          "/test.v1.Quiet/Hush"));
  EXPECT_TRUE(
      policy->Check("/test.v1.Quiet/Hush", type::v1::COMMISSIONER_VIEWER).ok());
}

TEST_F(AccessPolicyTest, RejectsTextThatDoesNotParse) {
  EXPECT_THAT(Fault("services { service: "), HasSubstr("does not parse"));
  // A misspelt field is an error, not an ignored line.
  EXPECT_THAT(Fault(R"pb(services { servise: "test.v1.Echo" })pb"),
              HasSubstr("servise"));
  EXPECT_THAT(Fault(R"pb(services {
                           service: "test.v1.Echo"
                           rules {
                             method: "Say"
                             roles: [ ADVISOR ]
                           }
                         })pb"),
              HasSubstr("ADVISOR"));
  EXPECT_THAT(Fault(""), HasSubstr("no services"));
}

TEST_F(AccessPolicyTest, RejectsAnUnknownService) {
  EXPECT_THAT(Fault(R"pb(services { service: "test.v1.Loud" })pb"),
              HasSubstr("no service named 'test.v1.Loud'"));
}

TEST_F(AccessPolicyTest, RejectsAServiceListedTwice) {
  EXPECT_THAT(Fault(absl::StrCat(kEcho, kEcho)),
              HasSubstr("service test.v1.Echo is listed twice"));
}

TEST_F(AccessPolicyTest, RejectsAnUnknownMethod) {
  EXPECT_THAT(Fault(absl::StrCat(kEcho, R"pb(
                services {
                  service: "test.v1.Quiet"
                  rules {
                    method: "Hush"
                    roles: []
                    note: "x"
                  }
                  rules {
                    method: "Whisper"
                    roles: [ ADVISER ]
                    note: "x"
                  }
                }
              )pb")),
              HasSubstr("test.v1.Quiet.Whisper: no such method"));
}

TEST_F(AccessPolicyTest, RejectsAMethodWithoutARule) {
  EXPECT_THAT(Fault(R"pb(
                services {
                  service: "test.v1.Echo"
                  rules {
                    method: "Say"
                    roles: [ ADVISER ]
                    note: "x"
                  }
                }
              )pb"),
              HasSubstr("test.v1.Echo.Shout: has no rule"));
}

TEST_F(AccessPolicyTest, RejectsAMethodWithTwoRules) {
  EXPECT_THAT(Fault(R"pb(
                services {
                  service: "test.v1.Echo"
                  rules {
                    method: "Say"
                    roles: [ ADVISER ]
                    note: "x"
                  }
                  rules {
                    method: "Shout"
                    roles: []
                    note: "x"
                  }
                  rules {
                    method: "Say"
                    roles: [ TEAM_LEADER ]
                    note: "x"
                  }
                }
              )pb"),
              HasSubstr("test.v1.Echo.Say: has two rules"));
}

TEST_F(AccessPolicyTest, RejectsBadRoles) {
  // A table whose rule for Say has `say` for its roles.
  const auto with_say = [](absl::string_view say) {
    return absl::StrCat(
        "services { service: 'test.v1.Echo' rules { method: 'Say' ", say,
        " note: 'x' } rules { method: 'Shout' note: 'x' } }");
  };
  EXPECT_THAT(Fault(with_say("roles: [ ADVISER, STAFF_ROLE_UNSPECIFIED ]")),
              HasSubstr("test.v1.Echo.Say: STAFF_ROLE_UNSPECIFIED is not a "
                        "staff role"));
  EXPECT_THAT(Fault(with_say("roles: [ 9 ]")),
              HasSubstr("test.v1.Echo.Say: role 9 is not a staff role"));
  EXPECT_THAT(Fault(with_say("roles: [ ADVISER, ADVISER ]")),
              HasSubstr("test.v1.Echo.Say: ADVISER is listed twice"));
  EXPECT_THAT(
      Fault(with_say("roles: [ ADVISER ] "
                     "role_scopes { role: TEAM_LEADER scope: TEAM }")),
      HasSubstr("role_scopes names TEAM_LEADER, which is not in roles"));
  EXPECT_THAT(Fault(with_say("roles: [ ADVISER ] "
                             "role_scopes { role: ADVISER scope: TEAM } "
                             "role_scopes { role: ADVISER scope: ANY }")),
              HasSubstr("role_scopes gives ADVISER twice or without a scope"));
  EXPECT_THAT(Fault(with_say("roles: [ ADVISER ] "
                             "role_scopes { role: ADVISER }")),
              HasSubstr("role_scopes gives ADVISER twice or without a scope"));
}

TEST_F(AccessPolicyTest, RejectsARuleWithoutANote) {
  EXPECT_THAT(Fault(R"pb(
                services {
                  service: "test.v1.Echo"
                  rules {
                    method: "Say"
                    roles: [ ADVISER ]
                  }
                  rules { method: "Shout" note: "x" }
                }
              )pb"),
              HasSubstr("test.v1.Echo.Say: needs a note saying why"));
}

// The participants service's table, as reviewed in its own file.
class ParticipantsPolicyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream file(PARTICIPANTS_POLICY);
    ASSERT_TRUE(file) << "cannot read " << PARTICIPANTS_POLICY;
    std::stringstream text;
    text << file.rdbuf();
    absl::StatusOr<AccessPolicy> parsed = AccessPolicy::Parse(text.str());
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    policy_ = new AccessPolicy(*std::move(parsed));
  }
  static void TearDownTestSuite() {
    delete policy_;
    policy_ = nullptr;
  }

  static bool Allowed(absl::string_view method, StaffRole role) {
    return policy_->Check(method, role).ok();
  }

  static AccessPolicy* policy_;
};

AccessPolicy* ParticipantsPolicyTest::policy_ = nullptr;

// The ten services, named through a message of each file, which also links
// their descriptors into the generated pool.
std::vector<const google::protobuf::ServiceDescriptor*> ParticipantServices() {
  namespace pv1 = participants::v1;
  std::vector<const google::protobuf::ServiceDescriptor*> services;
  for (const google::protobuf::FileDescriptor* file :
       {pv1::Participant::descriptor()->file(),
        pv1::Barrier::descriptor()->file(),
        pv1::ActionPlan::descriptor()->file(),
        pv1::Contact::descriptor()->file(), pv1::Caseload::descriptor()->file(),
        pv1::CaseReview::descriptor()->file(), pv1::Job::descriptor()->file(),
        pv1::GroupSession::descriptor()->file(),
        pv1::ParticipantDataExport::descriptor()->file(),
        pv1::AccessGrant::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) {
      services.push_back(file->service(i));
    }
  }
  return services;
}

TEST_F(ParticipantsPolicyTest, CoversEveryMethodOfTheTenServices) {
  std::vector<std::string> expected;
  const auto services = ParticipantServices();
  ASSERT_EQ(services.size(), 10u);
  for (const google::protobuf::ServiceDescriptor* service : services) {
    for (int i = 0; i < service->method_count(); ++i) {
      expected.push_back(absl::StrCat("/", service->full_name(), "/",
                                      service->method(i)->name()));
    }
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(policy_->Methods(), expected);
  EXPECT_EQ(expected.size(), 53u);
}

TEST_F(ParticipantsPolicyTest, HandWrittenExpectations) {
  constexpr char kParticipants[] =
      "/employability.participants.v1.Participants/";
  constexpr char kData[] = "/employability.participants.v1.ParticipantData/";
  const std::string get = absl::StrCat(kParticipants, "GetParticipant");
  EXPECT_FALSE(Allowed(get, type::v1::COMMISSIONER_VIEWER));
  EXPECT_TRUE(Allowed(get, type::v1::ADVISER));
  EXPECT_TRUE(Allowed("/employability.participants.v1.Contacts/CreateContact",
                      type::v1::ADVISER));
  const std::string erase = absl::StrCat(kData, "EraseParticipant");
  EXPECT_FALSE(Allowed(erase, type::v1::ADVISER));
  EXPECT_TRUE(Allowed(erase, type::v1::QUALITY_MANAGER));
  EXPECT_TRUE(Allowed(erase, type::v1::ORGANISATION_ADMIN));
  const std::string reassign =
      "/employability.participants.v1.Caseloads/ReassignParticipants";
  EXPECT_TRUE(Allowed(reassign, type::v1::TEAM_LEADER));
  EXPECT_FALSE(Allowed(reassign, type::v1::ADVISER));
  EXPECT_EQ(policy_->ScopeOf(get, type::v1::TEAM_LEADER), v1::TEAM);
  EXPECT_EQ(policy_->ScopeOf(erase, type::v1::QUALITY_MANAGER),
            v1::OWNING_ORGANISATION);
}

TEST_F(ParticipantsPolicyTest, NoStaffRoleRecordsAJobOutcome) {
  const std::string outcome =
      "/employability.participants.v1.Progression/RecordJobOutcome";
  for (const StaffRole role : kAllRoles) {
    EXPECT_FALSE(Allowed(outcome, role)) << role;
  }
  // Only the quality service, on its own behalf.
  EXPECT_TRUE(policy_->CheckService(outcome, "quality").ok());
  EXPECT_FALSE(policy_->CheckService(outcome, "participants").ok());
  EXPECT_FALSE(
      policy_->CheckService(
                 "/employability.participants.v1.Participants/GetParticipant",
                 "quality")
          .ok());
}

// A commissioner (and a contract manager) reach only the reference data that
// names no one: listed here by hand, not taken from the table.
TEST_F(ParticipantsPolicyTest, NoPersonalDataForCommissionerOrContracts) {
  const std::vector<std::string> reference = {
      "/employability.participants.v1.Barriers/ListBarrierTypes",
      "/employability.participants.v1.Contacts/GetContactStandard"};
  int checked = 0;
  for (const std::string& method : policy_->Methods()) {
    const bool is_reference = std::find(reference.begin(), reference.end(),
                                        method) != reference.end();
    for (const StaffRole role :
         {type::v1::COMMISSIONER_VIEWER, type::v1::CONTRACT_MANAGER}) {
      EXPECT_EQ(Allowed(method, role), is_reference) << method << " " << role;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 106);
}

TEST_F(ParticipantsPolicyTest, EqualityDataOnlyToTheRolesThatNeedIt) {
  const std::string get =
      "/employability.participants.v1.Participants/GetEqualityData";
  std::vector<StaffRole> allowed;
  for (const StaffRole role : kAllRoles) {
    if (Allowed(get, role)) allowed.push_back(role);
  }
  EXPECT_THAT(allowed,
              ElementsAre(type::v1::ADVISER, type::v1::QUALITY_MANAGER));
}

}  // namespace
}  // namespace employability::auth
