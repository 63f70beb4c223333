// Unit tests of access grants and of the record-level access check they feed
// (CaseFiles::CheckReach), on the in-memory store: who reaches a participant
// under each scope, through which grant, for which data category, and how a
// refusal reads.
#include "services/participants/access_grant_records.h"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "common/auth/access_policy.h"
#include "common/storage/forwarding_store.h"
#include "common/time/proto_time.h"
#include "employability/participants/v1/action_plans.pb.h"
#include "employability/participants/v1/case_reviews.pb.h"
#include "employability/participants/v1/caseloads.pb.h"
#include "employability/participants/v1/participant_data.pb.h"
#include "employability/participants/v1/progression.pb.h"
#include "services/participants/barrier_records.h"
#include "services/participants/catalogues.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

using Code = absl::StatusCode;

// A store that stops answering reads of keys containing `failing` (the
// access grants, say) while `down` is set: Redis going away mid-call.
class PartlyDownStore final : public storage::ForwardingStore {
 public:
  PartlyDownStore(storage::Store& store, std::string failing)
      : ForwardingStore(store), failing_(std::move(failing)) {}

  bool down = false;

  absl::StatusOr<std::optional<storage::Record>> Get(
      const std::string& key) override {
    if (Fails(key)) return Unavailable();
    return ForwardingStore::Get(key);
  }
  absl::StatusOr<std::vector<std::optional<storage::Record>>> GetMany(
      const std::vector<std::string>& keys) override {
    for (const std::string& key : keys) {
      if (Fails(key)) return Unavailable();
    }
    return ForwardingStore::GetMany(keys);
  }

 private:
  bool Fails(const std::string& key) const {
    return down && absl::StrContains(key, failing_);
  }
  static absl::Status Unavailable() {
    return absl::UnavailableError("redis: connection refused");
  }

  const std::string failing_;
};

class AccessGrantsTest : public JourneyTest {
 protected:
  AccessGrantsTest() : grants_(files_) {}

  // A consent of the participant's, recorded by its adviser. Consent to
  // share names the organisations it covers: by default the two grantees
  // these tests use.
  v1::Consent Consent(const v1::Participant& p, v1::ConsentPurpose purpose,
                      std::vector<v1::DataCategory> categories,
                      std::vector<std::string> organisations = {}) {
    if (purpose == v1::REFERRAL_SHARING && organisations.empty()) {
      organisations = {"partner-east", "partner-west"};
    }
    v1::CreateConsentRequest request;
    request.set_parent(p.name());
    request.set_request_id(absl::StrCat("consent-", ++consents_));
    request.mutable_consent()->set_purpose(purpose);
    for (v1::DataCategory category : categories) {
      request.mutable_consent()->add_data_categories(category);
    }
    for (const std::string& organisation : organisations) {
      request.mutable_consent()->add_organisations(organisation);
    }
    absl::StatusOr<v1::Consent> consent =
        participants_.CreateConsent(adviser_, request);
    EXPECT_TRUE(consent.ok()) << consent.status();
    return consent.ok() ? *consent : v1::Consent();
  }

  // The usual grant: to partner-east, for referral sharing, from now for
  // 30 days.
  v1::CreateAccessGrantRequest Request(
      const v1::Participant& p, std::vector<v1::DataCategory> categories,
      const std::string& request_id = "grant-1") {
    v1::CreateAccessGrantRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    v1::AccessGrant* grant = request.mutable_access_grant();
    grant->set_organisation("partner-east");
    grant->set_purpose(v1::REFERRAL_SHARING);
    for (v1::DataCategory category : categories) {
      grant->add_data_categories(category);
    }
    *grant->mutable_end_time() =
        ToProtoTimestamp(clock_.Now() + absl::Hours(24 * 30));
    grant->set_source_reference("dsa-2026-01");
    return request;
  }

  v1::AccessGrant Grant(const v1::CreateAccessGrantRequest& request) {
    absl::StatusOr<v1::AccessGrant> grant = grants_.Create(admin_, request);
    EXPECT_TRUE(grant.ok()) << grant.status();
    return grant.ok() ? *grant : v1::AccessGrant();
  }

  // A participant shared with partner-east for `categories`: consent and
  // grant both cover them.
  v1::Participant Shared(std::vector<v1::DataCategory> categories,
                         const std::string& nino = "JK123456A") {
    v1::Participant p = Enrol(nino);
    Consent(p, v1::REFERRAL_SHARING, categories);
    Grant(Request(p, categories, absl::StrCat("grant-", nino)));
    return p;
  }

  absl::Status GetAs(const auth::Caller& caller, const std::string& name) {
    v1::GetParticipantRequest request;
    request.set_name(name);
    return participants_.Get(caller, request).status();
  }

  absl::Status ReadAs(const auth::Caller& caller, const v1::Participant& p,
                      v1::DataCategory category) {
    return files_
        .Read(caller, *ParseParticipantName("name", p.name()), category)
        .status();
  }

  std::vector<std::string> ListedFor(const auth::Caller& caller,
                                     const std::string& enrolled_by = "") {
    v1::ListParticipantsRequest request;
    request.set_parent(absl::StrCat("contracts/", kContract));
    request.set_enrolling_organisation(enrolled_by);
    auto page = participants_.List(caller, request);
    EXPECT_TRUE(page.ok()) << page.status();
    std::vector<std::string> names;
    if (!page.ok()) return names;
    for (const v1::Participant& p : page->participants()) {
      names.push_back(p.name());
    }
    return names;
  }

  int GrantsListed(const v1::Participant& p, bool include_inactive = false) {
    v1::ListAccessGrantsRequest request;
    request.set_parent(p.name());
    request.set_include_inactive(include_inactive);
    auto listed = grants_.List(admin_, request);
    EXPECT_TRUE(listed.ok()) << listed.status();
    return listed.ok() ? listed->access_grants_size() : -1;
  }

  static std::string Missing() {
    return absl::StrCat("contracts/", kContract, "/participants/nobody");
  }

  AccessGrantRecords grants_;
  auth::Caller admin_ =
      Staff("prime-north", "admin-1", auth::v1::OWNING_ORGANISATION,
            type::v1::ORGANISATION_ADMIN, "");
  auth::Caller partner_ = Staff("partner-east", "adviser-9");
  int consents_ = 0;
};

// ---- The grants themselves

TEST_F(AccessGrantsTest, CreateListAndRevokeWithTheirEvents) {
  v1::Participant p = Enrol();
  NewEvents();
  v1::AccessGrant grant = Grant(Request(p, {v1::IDENTITY, v1::CONTACT}));
  EXPECT_TRUE(absl::StartsWith(grant.name(), p.name() + "/accessGrants/"));
  EXPECT_EQ(grant.source(), v1::ADMIN_CALL);
  EXPECT_EQ(grant.state(), v1::ACTIVE);
  EXPECT_EQ(grant.created_by(), "admin-1");
  EXPECT_EQ(FromProtoTimestamp(grant.start_time()), clock_.Now());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"AccessGrantCreated"});
  auto created = LastEvent<v1::AccessGrantCreated>();
  EXPECT_EQ(created.participant(), p.name());
  EXPECT_EQ(created.access_grant(), grant.name());
  EXPECT_EQ(created.organisation(), "partner-east");
  EXPECT_EQ(created.data_categories_size(), 2);
  EXPECT_EQ(created.source_reference(), "dsa-2026-01");
  EXPECT_EQ(Envelopes().back().aggregate(), p.name());
  EXPECT_EQ(GrantsListed(p), 1);

  v1::RevokeAccessGrantRequest revoke;
  revoke.set_name(grant.name());
  auto revoked = grants_.Revoke(admin_, revoke);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(revoked->state(), v1::REVOKED);
  EXPECT_EQ(revoked->revoked_by(), "admin-1");
  EXPECT_TRUE(revoked->has_revoke_time());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"AccessGrantRevoked"});
  EXPECT_EQ(LastEvent<v1::AccessGrantRevoked>().access_grant(), grant.name());
  EXPECT_EQ(GrantsListed(p), 0);
  EXPECT_EQ(GrantsListed(p, /*include_inactive=*/true), 1);

  EXPECT_TRUE(Names(grants_.Revoke(admin_, revoke).status(),
                    Code::kFailedPrecondition, "name"));
  revoke.set_name(p.name() + "/accessGrants/nope");
  EXPECT_EQ(grants_.Revoke(admin_, revoke).status().code(), Code::kNotFound);
  revoke.set_name(p.name() + "/consents/nope");
  EXPECT_TRUE(Names(grants_.Revoke(admin_, revoke).status(),
                    Code::kInvalidArgument, "name"));
}

TEST_F(AccessGrantsTest, CreateIsIdempotentOnRequestId) {
  v1::Participant p = Enrol();
  v1::AccessGrant first = Grant(Request(p, {v1::IDENTITY}));
  auto again = grants_.Create(admin_, Request(p, {v1::IDENTITY}));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), first.name());
  EXPECT_EQ(GrantsListed(p), 1);
  EXPECT_TRUE(Names(grants_.Create(admin_, Request(p, {v1::CONTACT})).status(),
                    Code::kInvalidArgument, "request_id"));
}

TEST_F(AccessGrantsTest, InvalidGrantsNameTheirFieldAndStoreNothing) {
  v1::Participant p = Enrol();
  NewEvents();
  struct Spoiled {
    std::string field;
    std::function<void(v1::CreateAccessGrantRequest&)> spoil;
  };
  const std::vector<Spoiled> cases = {
      {"parent", [](auto& r) { r.set_parent("participants/x"); }},
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"access_grant", [](auto& r) { r.clear_access_grant(); }},
      {"access_grant.organisation",
       [](auto& r) { r.mutable_access_grant()->clear_organisation(); }},
      {"access_grant.organisation",
       [](auto& r) { r.mutable_access_grant()->set_organisation("Bad Org"); }},
      {"access_grant.organisation",
       [](auto& r) {
         r.mutable_access_grant()->set_organisation("prime-north");
       }},
      {"access_grant.purpose",
       [](auto& r) { r.mutable_access_grant()->clear_purpose(); }},
      {"access_grant.data_categories",
       [](auto& r) { r.mutable_access_grant()->clear_data_categories(); }},
      {"access_grant.data_categories[1]",
       [](auto& r) {
         r.mutable_access_grant()->add_data_categories(v1::IDENTITY);
       }},
      {"access_grant.data_categories[1]",
       [](auto& r) {
         r.mutable_access_grant()->add_data_categories(
             v1::DATA_CATEGORY_UNSPECIFIED);
       }},
      {"access_grant.end_time",
       [](auto& r) { r.mutable_access_grant()->clear_end_time(); }},
      {"access_grant.end_time",
       [this](auto& r) {
         *r.mutable_access_grant()->mutable_start_time() =
             ToProtoTimestamp(clock_.Now() + absl::Hours(24 * 31));
       }},
      {"access_grant.end_time",
       [this](auto& r) {
         *r.mutable_access_grant()->mutable_start_time() =
             ToProtoTimestamp(clock_.Now() - absl::Hours(48));
         *r.mutable_access_grant()->mutable_end_time() =
             ToProtoTimestamp(clock_.Now() - absl::Hours(1));
       }},
      {"access_grant.start_time",
       [](auto& r) {
         r.mutable_access_grant()->mutable_start_time()->set_nanos(-1);
       }},
      {"access_grant.source_reference",
       [](auto& r) {
         r.mutable_access_grant()->set_source_reference("Referral #12");
       }},
  };
  for (const Spoiled& c : cases) {
    v1::CreateAccessGrantRequest request = Request(p, {v1::IDENTITY});
    c.spoil(request);
    EXPECT_TRUE(Names(grants_.Create(admin_, request).status(),
                      Code::kInvalidArgument, c.field))
        << c.field;
  }
  EXPECT_EQ(GrantsListed(p, /*include_inactive=*/true), 0);
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(AccessGrantsTest, OnlyTheEnrollingOrganisationManagesGrants) {
  v1::Participant p = Shared({v1::IDENTITY});
  // partner-east reaches the record, but a grant is not passed on.
  ASSERT_TRUE(GetAs(partner_, p.name()).ok());
  const auth::Caller partner_admin =
      Staff("partner-east", "admin-9", auth::v1::OWNING_ORGANISATION,
            type::v1::ORGANISATION_ADMIN, "");
  v1::CreateAccessGrantRequest onward = Request(p, {v1::IDENTITY}, "onward");
  onward.mutable_access_grant()->set_organisation("third-sector");
  EXPECT_EQ(grants_.Create(partner_admin, onward).status().code(),
            Code::kPermissionDenied);
  v1::ListAccessGrantsRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(grants_.List(partner_admin, list).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(GrantsListed(p), 1);

  // The policy says so too: OWNING_ORGANISATION for every grant method. (A
  // message of each service's file links its descriptor into the pool the
  // policy is checked against.)
  for (const google::protobuf::Descriptor* linked :
       {v1::ActionPlan::descriptor(), v1::Caseload::descriptor(),
        v1::CaseReview::descriptor(), v1::Job::descriptor(),
        v1::ParticipantDataExport::descriptor()}) {
    ASSERT_NE(linked, nullptr);
  }
  absl::StatusOr<auth::AccessPolicy> policy =
      auth::AccessPolicy::Parse(AccessPolicyText());
  ASSERT_TRUE(policy.ok()) << policy.status();
  for (const char* method : {"CreateAccessGrant", "RevokeAccessGrant"}) {
    const std::string full =
        absl::StrCat("/employability.participants.v1.AccessGrants/", method);
    EXPECT_EQ(policy->ScopeOf(full, type::v1::ORGANISATION_ADMIN),
              auth::v1::OWNING_ORGANISATION);
    EXPECT_EQ(policy->Check(full, type::v1::ADVISER).code(),
              Code::kPermissionDenied);
  }
}

// ---- What a grant opens

TEST_F(AccessGrantsTest, GranteeReachesOnlyTheCategoriesGranted) {
  v1::Participant p = Shared({v1::IDENTITY, v1::CONTACT});
  EXPECT_TRUE(GetAs(partner_, p.name()).ok());
  EXPECT_TRUE(ReadAs(partner_, p, v1::CONTACT).ok());
  for (v1::DataCategory outside :
       {v1::BARRIERS, v1::HEALTH, v1::PROGRESSION, v1::EMPLOYMENT_HISTORY}) {
    EXPECT_EQ(ReadAs(partner_, p, outside).code(), Code::kPermissionDenied)
        << v1::DataCategory_Name(outside);
  }
  // Another organisation without a grant reaches nothing.
  EXPECT_EQ(GetAs(Staff("third-sector", "adviser-3"), p.name()).code(),
            Code::kPermissionDenied);
}

TEST_F(AccessGrantsTest, TheConsentMustCoverTheGrant) {
  v1::Participant p = Enrol();
  Grant(Request(p, {v1::IDENTITY, v1::CONTACT}));
  // No consent yet.
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
  // A consent for another purpose.
  Consent(p, v1::PROGRAMME_DELIVERY, {v1::IDENTITY, v1::CONTACT});
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
  // The purpose, naming another organisation only.
  Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY}, {"third-sector"});
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
  // Naming partner-east, for IDENTITY only.
  Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY}, {"partner-east"});
  EXPECT_TRUE(GetAs(partner_, p.name()).ok());
  EXPECT_EQ(ReadAs(partner_, p, v1::CONTACT).code(), Code::kPermissionDenied);
}

// participants.proto: a consent naming no organisation covers the enrolling
// one only, so it opens no grant.
TEST_F(AccessGrantsTest, AConsentNamingNoOrganisationOpensNoGrant) {
  v1::Participant p = Enrol();
  Grant(Request(p, {v1::IDENTITY}));
  v1::CreateConsentRequest request;
  request.set_parent(p.name());
  request.set_request_id("consent-unnamed");
  request.mutable_consent()->set_purpose(v1::REFERRAL_SHARING);
  request.mutable_consent()->add_data_categories(v1::IDENTITY);
  ASSERT_TRUE(participants_.CreateConsent(adviser_, request).ok());
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
}

// A grantee must not open the participant to a third organisation, nor
// re-open what a withdrawal closed: consent to share with others is the
// enrolling organisation's to record.
TEST_F(AccessGrantsTest, AGranteeRecordsNoConsentToShareWithOthers) {
  v1::Participant p = Shared({v1::IDENTITY});
  v1::CreateAccessGrantRequest west = Request(p, {v1::IDENTITY}, "to-west");
  west.mutable_access_grant()->set_organisation("partner-north");
  Grant(west);
  v1::CreateConsentRequest request;
  request.set_parent(p.name());
  request.set_request_id("consent-by-grantee");
  request.mutable_consent()->set_purpose(v1::REFERRAL_SHARING);
  request.mutable_consent()->add_data_categories(v1::IDENTITY);
  request.mutable_consent()->add_organisations("partner-north");
  const absl::Status refused =
      participants_.CreateConsent(partner_, request).status();
  EXPECT_EQ(refused.code(), Code::kPermissionDenied) << refused;
  EXPECT_EQ(GetAs(Staff("partner-north", "adviser-3"), p.name()).code(),
            Code::kPermissionDenied);
  // Consent naming only the grantee itself it may record.
  request.set_request_id("consent-for-itself");
  request.mutable_consent()->clear_organisations();
  request.mutable_consent()->add_organisations("partner-east");
  EXPECT_TRUE(participants_.CreateConsent(partner_, request).ok());
}

TEST_F(AccessGrantsTest, GrantIsLiveOnlyBetweenItsTimes) {
  v1::Participant p = Enrol();
  Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY});
  v1::CreateAccessGrantRequest request = Request(p, {v1::IDENTITY});
  *request.mutable_access_grant()->mutable_start_time() =
      ToProtoTimestamp(clock_.Now() + absl::Hours(1));
  *request.mutable_access_grant()->mutable_end_time() =
      ToProtoTimestamp(clock_.Now() + absl::Hours(3));
  EXPECT_EQ(Grant(request).state(), v1::PENDING);
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(GetAs(partner_, p.name()).ok());
  clock_.Advance(absl::Hours(2) - absl::Seconds(1));
  EXPECT_TRUE(GetAs(partner_, p.name()).ok());
  clock_.Advance(absl::Seconds(1));  // until is exclusive
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
  EXPECT_EQ(GrantsListed(p), 0);
  EXPECT_EQ(GrantsListed(p, /*include_inactive=*/true), 1);
}

TEST_F(AccessGrantsTest, WithdrawnConsentClosesEveryGrantAtOnce) {
  v1::Participant p = Enrol();
  v1::Consent consent = Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY});
  Grant(Request(p, {v1::IDENTITY}, "to-east"));
  v1::CreateAccessGrantRequest west = Request(p, {v1::IDENTITY}, "to-west");
  west.mutable_access_grant()->set_organisation("partner-west");
  Grant(west);
  const auth::Caller west_adviser = Staff("partner-west", "adviser-7");
  ASSERT_TRUE(GetAs(partner_, p.name()).ok());
  ASSERT_TRUE(GetAs(west_adviser, p.name()).ok());

  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent.name());
  ASSERT_TRUE(participants_.WithdrawConsent(adviser_, withdraw).ok());
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
  EXPECT_EQ(GetAs(west_adviser, p.name()).code(), Code::kPermissionDenied);
  // The grants themselves stand; the enrolling organisation keeps its reach.
  EXPECT_EQ(GrantsListed(p), 2);
  EXPECT_TRUE(GetAs(adviser_, p.name()).ok());
}

TEST_F(AccessGrantsTest, GranteeMayRecordAWithdrawalThatEndsItsOwnAccess) {
  v1::Participant p = Shared({v1::IDENTITY});
  v1::ListConsentsRequest list;
  list.set_parent(p.name());
  auto consents = participants_.ListConsents(partner_, list);
  ASSERT_TRUE(consents.ok()) << consents.status();
  ASSERT_EQ(consents->consents_size(), 1);
  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consents->consents(0).name());
  ASSERT_TRUE(participants_.WithdrawConsent(partner_, withdraw).ok());
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
}

TEST_F(AccessGrantsTest, RevokedGrantClosesAtOnce) {
  v1::Participant p = Enrol();
  Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY});
  v1::AccessGrant grant = Grant(Request(p, {v1::IDENTITY}));
  ASSERT_TRUE(GetAs(partner_, p.name()).ok());
  v1::RevokeAccessGrantRequest revoke;
  revoke.set_name(grant.name());
  ASSERT_TRUE(grants_.Revoke(admin_, revoke).ok());
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
}

TEST_F(AccessGrantsTest, SpecialCategoryBarriersNeedHealthGranted) {
  BarrierRecords barriers(files_, *ParseBarrierTypes(BarrierTypesText()));
  v1::Participant p = Enrol();
  Consent(p, v1::PROGRAMME_DELIVERY, {v1::BARRIERS, v1::HEALTH});
  Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY, v1::BARRIERS, v1::HEALTH});
  for (const char* type : {"childcare", "health"}) {
    v1::CreateBarrierRequest request;
    request.set_parent(p.name());
    request.set_request_id(type);
    request.mutable_barrier()->set_type(type);
    request.mutable_barrier()->set_severity(v1::HIGH);
    *request.mutable_barrier()->mutable_identified_date() = Day(2026, 2, 10);
    ASSERT_TRUE(barriers.Create(adviser_, request).ok());
  }
  v1::ListBarriersRequest list;
  list.set_parent(p.name());
  // No grant: nothing.
  EXPECT_EQ(barriers.List(partner_, list).status().code(),
            Code::kPermissionDenied);
  // BARRIERS without HEALTH: the special-category barrier stays hidden.
  Grant(Request(p, {v1::IDENTITY, v1::BARRIERS}, "grant-barriers"));
  auto seen = barriers.List(partner_, list);
  ASSERT_TRUE(seen.ok()) << seen.status();
  ASSERT_EQ(seen->barriers_size(), 1);
  EXPECT_EQ(seen->barriers(0).type(), "childcare");
  // With HEALTH as well: both.
  Grant(Request(p, {v1::BARRIERS, v1::HEALTH}, "grant-health"));
  seen = barriers.List(partner_, list);
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->barriers_size(), 2);
}

// ---- Scopes

TEST_F(AccessGrantsTest, TeamAndOwnCaseloadScopes) {
  v1::Participant p = Enrol();  // adviser-1, team-a
  const auth::Caller leader_a =
      Staff("prime-north", "leader-a", auth::v1::TEAM, type::v1::TEAM_LEADER);
  const auth::Caller leader_b = Staff("prime-north", "leader-b", auth::v1::TEAM,
                                      type::v1::TEAM_LEADER, "team-b");
  const auth::Caller own =
      Staff("prime-north", "adviser-1", auth::v1::OWN_CASELOAD);
  const auth::Caller not_own =
      Staff("prime-north", "adviser-2", auth::v1::OWN_CASELOAD);
  EXPECT_TRUE(GetAs(leader_a, p.name()).ok());
  EXPECT_EQ(GetAs(leader_b, p.name()).code(), Code::kPermissionDenied);
  EXPECT_TRUE(GetAs(own, p.name()).ok());
  EXPECT_EQ(GetAs(not_own, p.name()).code(), Code::kPermissionDenied);
  EXPECT_EQ(ListedFor(leader_a), std::vector<std::string>{p.name()});
  EXPECT_TRUE(ListedFor(leader_b).empty());
  EXPECT_EQ(ListedFor(own), std::vector<std::string>{p.name()});
  EXPECT_TRUE(ListedFor(not_own).empty());

  // Neither reaches another organisation's participant through a grant.
  v1::Participant shared = Shared({v1::IDENTITY}, "JK654321A");
  EXPECT_EQ(GetAs(Staff("partner-east", "leader-e", auth::v1::TEAM,
                        type::v1::TEAM_LEADER),
                  shared.name())
                .code(),
            Code::kPermissionDenied);
  EXPECT_EQ(GetAs(Staff("partner-east", "adviser-1", auth::v1::OWN_CASELOAD),
                  shared.name())
                .code(),
            Code::kPermissionDenied);
}

TEST_F(AccessGrantsTest, TeamLeaderEnrolsIntoTheirOwnTeam) {
  const auth::Caller leader_b = Staff("prime-north", "leader-b", auth::v1::TEAM,
                                      type::v1::TEAM_LEADER, "team-b");
  v1::CreateParticipantRequest request;
  request.set_parent(absl::StrCat("contracts/", kContract));
  request.set_request_id("leader-enrols");
  v1::Participant* p = request.mutable_participant();
  p->set_programme("restart");
  p->set_referral_source(v1::JOBCENTRE_PLUS);
  *p->mutable_referral_date() = Day(2026, 1, 5);
  p->set_given_name("Sam");
  p->set_family_name("Okafor");
  *p->mutable_date_of_birth() = Day(1985, 2, 1);
  p->set_national_insurance_number("JK111222A");
  p->mutable_contact()->set_postcode("M1 1AE");
  auto enrolled = participants_.Create(leader_b, request);
  ASSERT_TRUE(enrolled.ok()) << enrolled.status();
  EXPECT_EQ(enrolled->team(), "team-b");
  EXPECT_EQ(enrolled->enrolling_organisation(), "prime-north");

  request.set_request_id("into-team-a");
  p->set_team("team-a");
  p->set_national_insurance_number("JK333444A");
  EXPECT_TRUE(Names(participants_.Create(leader_b, request).status(),
                    Code::kPermissionDenied, "participant.team"));
  // Nor moved out of the team afterwards.
  v1::UpdateParticipantRequest update;
  *update.mutable_participant() = *enrolled;
  update.mutable_participant()->set_team("team-a");
  update.mutable_update_mask()->add_paths("team");
  EXPECT_TRUE(Names(participants_.Update(leader_b, update).status(),
                    Code::kPermissionDenied, "participant.team"));
}

TEST_F(AccessGrantsTest, ScopesWithoutRecordsReachNoParticipant) {
  v1::Participant p = Enrol();
  for (auth::v1::Scope scope : {auth::v1::AGGREGATES_ONLY, auth::v1::ANY,
                                auth::v1::SCOPE_UNSPECIFIED}) {
    const auth::Caller caller = Staff("prime-north", "viewer-1", scope,
                                      type::v1::COMMISSIONER_VIEWER, "");
    EXPECT_EQ(GetAs(caller, p.name()).code(), Code::kPermissionDenied)
        << auth::v1::Scope_Name(scope);
    v1::ListParticipantsRequest list;
    list.set_parent(absl::StrCat("contracts/", kContract));
    EXPECT_EQ(participants_.List(caller, list).status().code(),
              Code::kPermissionDenied);
  }
}

TEST_F(AccessGrantsTest, AServiceOnItsOwnBehalfReachesEveryRecord) {
  v1::Participant p = Enrol();
  const auth::Caller quality = Service("quality");
  EXPECT_TRUE(GetAs(quality, p.name()).ok());
  EXPECT_TRUE(ReadAs(quality, p, v1::PROGRESSION).ok());
  // Absence is no secret from it.
  EXPECT_EQ(GetAs(quality, Missing()).code(), Code::kNotFound);
}

// ---- How a refusal reads

TEST_F(AccessGrantsTest, MissingAndUnreachableReadTheSame) {
  v1::Participant p = Enrol();
  const std::string hidden = p.name();
  // The same participant name, missing: a different id under the contract.
  const std::string missing = Missing();
  const auto same = [&](const auth::Caller& caller) {
    const absl::Status a = GetAs(caller, hidden);
    const absl::Status b = GetAs(caller, missing);
    EXPECT_EQ(a.code(), Code::kPermissionDenied) << a;
    EXPECT_EQ(b.code(), Code::kPermissionDenied) << b;
    // Identical but for the name asked about.
    EXPECT_EQ(absl::StrReplaceAll(a.message(), {{hidden, "<name>"}}),
              absl::StrReplaceAll(b.message(), {{missing, "<name>"}}));
  };
  same(partner_);
  same(Staff("prime-north", "leader-b", auth::v1::TEAM, type::v1::TEAM_LEADER,
             "team-b"));
  same(Staff("prime-north", "adviser-2", auth::v1::OWN_CASELOAD));
  same(Staff("partner-east", "qm-1", auth::v1::OWNING_ORGANISATION,
             type::v1::QUALITY_MANAGER));
  EXPECT_EQ(GetAs(partner_, missing).message(),
            absl::StrCat("participant ", missing,
                         ": not shared with organisation partner-east (data "
                         "category IDENTITY)"));
  // Items keep NOT_FOUND under a participant the caller reaches.
  EXPECT_EQ(
      files_
          .GetItem<v1::Contact>(
              adviser_, ItemName{*ParseParticipantName("p", p.name()), "x"},
              kContactItems)
          .status()
          .code(),
      Code::kNotFound);
  // And a grant under a participant the caller does not reach is refused
  // as the participant is.
  v1::RevokeAccessGrantRequest revoke;
  revoke.set_name(absl::StrCat(missing, "/accessGrants/x"));
  const absl::Status refused = grants_.Revoke(partner_, revoke).status();
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
}

TEST_F(AccessGrantsTest, EqualityDataNeedsTheDeclaredPurpose) {
  v1::Participant p = Enrol();
  Consent(p, v1::EQUALITY_MONITORING, {v1::EQUALITY});
  v1::UpdateEqualityDataRequest update;
  update.mutable_equality_data()->set_name(p.name() + "/equalityData");
  update.mutable_equality_data()->set_ethnicity("prefer not to say");
  update.set_purpose(v1::EQUALITY_MONITORING);
  const absl::Status refused =
      participants_.UpdateEqualityData(adviser_, update).status();
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_EQ(refused.message(),
            "equality data is reachable only for the EQUALITY_MONITORING "
            "purpose (send x-employability-purpose)");
  auth::Caller monitoring = adviser_;
  monitoring.purpose = "EQUALITY_MONITORING";
  ASSERT_TRUE(participants_.UpdateEqualityData(monitoring, update).ok());
  v1::GetEqualityDataRequest get;
  get.set_name(update.equality_data().name());
  get.set_purpose(v1::EQUALITY_MONITORING);
  EXPECT_EQ(participants_.GetEqualityData(adviser_, get).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(participants_.GetEqualityData(monitoring, get).ok());
  // The purpose is asked of everyone, services included, and before
  // anything is looked up.
  auth::Caller quality = Service("quality");
  EXPECT_EQ(participants_.GetEqualityData(quality, get).status().code(),
            Code::kPermissionDenied);
  get.set_name(Missing() + "/equalityData");
  EXPECT_EQ(participants_.GetEqualityData(adviser_, get).status().message(),
            refused.message());
}

TEST_F(AccessGrantsTest, GrantsUnreadableFailClosed) {
  PartlyDownStore store(store_, ":access-grants:");
  CaseFiles files(store, clock_, ids_, key_hasher_);
  ParticipantRecords participants(files);
  v1::Participant p = Shared({v1::IDENTITY});
  v1::Participant theirs = Enrol("JK999888A");
  v1::GetParticipantRequest get;
  get.set_name(p.name());
  ASSERT_TRUE(participants.Get(partner_, get).ok());

  store.down = true;
  EXPECT_EQ(participants.Get(partner_, get).status().code(),
            Code::kUnavailable);
  v1::ListParticipantsRequest list;
  list.set_parent(absl::StrCat("contracts/", kContract));
  list.set_enrolling_organisation("prime-north");
  EXPECT_EQ(participants.List(partner_, list).status().code(),
            Code::kUnavailable);
  // The enrolling organisation needs no grant, so it is not held up.
  EXPECT_TRUE(participants.Get(adviser_, get).ok());
  list.clear_enrolling_organisation();
  auto own = participants.List(adviser_, list);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->participants_size(), 2);
  // A consent that cannot be read fails closed the same way.
  PartlyDownStore consents_down(store_, ":consents:");
  CaseFiles files2(consents_down, clock_, ids_, key_hasher_);
  consents_down.down = true;
  EXPECT_EQ(
      files2
          .Read(partner_, *ParseParticipantName("name", p.name()), v1::IDENTITY)
          .status()
          .code(),
      Code::kUnavailable);
  (void)theirs;
}

// ---- Lists

TEST_F(AccessGrantsTest, GranteeListsWhatIsSharedWithIt) {
  v1::Participant shared = Shared({v1::IDENTITY});
  v1::Participant kept = Enrol("JK999888A");
  v1::Participant withdrawn = Shared({v1::IDENTITY}, "JK777666A");
  // A consent withdrawn: listed no more, though its grant stands.
  v1::ListConsentsRequest consents;
  consents.set_parent(withdrawn.name());
  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(
      participants_.ListConsents(adviser_, consents)->consents(0).name());
  ASSERT_TRUE(participants_.WithdrawConsent(adviser_, withdraw).ok());

  EXPECT_EQ(ListedFor(partner_, "prime-north"),
            std::vector<std::string>{shared.name()});
  // Its own organisation's list holds none of them.
  EXPECT_TRUE(ListedFor(partner_).empty());
  EXPECT_EQ(ListedFor(adviser_).size(), 3u);
  // The grantee index forgets a participant once every grant is revoked.
  v1::ListAccessGrantsRequest list;
  list.set_parent(shared.name());
  v1::RevokeAccessGrantRequest revoke;
  revoke.set_name(grants_.List(admin_, list)->access_grants(0).name());
  ASSERT_TRUE(grants_.Revoke(admin_, revoke).ok());
  EXPECT_TRUE(ListedFor(partner_, "prime-north").empty());
  EXPECT_EQ(*store_.IndexSize(
                files_.Keys(kContract).Index(kGranteeIndex, "partner-east")),
            1);  // the withdrawn one: its grant still stands
  (void)kept;
}

TEST_F(AccessGrantsTest, DeletingAParticipantTakesItsGrants) {
  v1::Participant p = Shared({v1::IDENTITY});
  v1::DeleteParticipantRequest request;
  request.set_name(p.name());
  ASSERT_TRUE(participants_.Delete(adviser_, request).ok());
  EXPECT_FALSE(
      store_.Get(files_.GrantsKey(*ParseParticipantName("n", p.name())))
          ->has_value());
  EXPECT_EQ(*store_.IndexSize(
                files_.Keys(kContract).Index(kGranteeIndex, "partner-east")),
            0);
}

// ---- Grants made by the partners service's events

TEST_F(AccessGrantsTest, EventGrantsAreOncePerSourceReference) {
  v1::Participant p = Enrol();
  Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY, v1::CONTACT});
  const ParticipantName name = *ParseParticipantName("name", p.name());
  const auth::Caller partners = Service("partners");
  v1::AccessGrant grant;
  grant.set_organisation("partner-east");
  grant.set_purpose(v1::REFERRAL_SHARING);
  grant.add_data_categories(v1::IDENTITY);
  *grant.mutable_end_time() =
      ToProtoTimestamp(clock_.Now() + absl::Hours(24 * 90));
  grant.set_source(v1::REFERRAL_ACCEPTED);
  grant.set_source_reference("referral-42");
  auto first = grants_.Grant(partners, name, grant);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->source(), v1::REFERRAL_ACCEPTED);
  auto again = grants_.Grant(partners, name, grant);  // redelivered
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(GrantsListed(p), 1);
  EXPECT_TRUE(GetAs(partner_, p.name()).ok());

  v1::AccessGrant unsourced = grant;
  unsourced.clear_source_reference();
  EXPECT_TRUE(Names(grants_.Grant(partners, name, unsourced).status(),
                    Code::kInvalidArgument, "access_grant.source_reference"));

  EXPECT_EQ(*grants_.RevokeFor(partners, name, "referral-42"), 1);
  EXPECT_EQ(*grants_.RevokeFor(partners, name, "referral-42"), 0);
  EXPECT_EQ(GetAs(partner_, p.name()).code(), Code::kPermissionDenied);
}

// A participant referred again and again: ended grants make room for new
// ones, so an accepted referral always opens the record; only grants that
// all still stand fill the list.
TEST_F(AccessGrantsTest, EndedGrantsMakeRoomAtTheLimit) {
  v1::Participant p = Enrol();
  Consent(p, v1::REFERRAL_SHARING, {v1::IDENTITY});
  const ParticipantName name = *ParseParticipantName("name", p.name());
  const auth::Caller partners = Service("partners");
  v1::AccessGrant grant;
  grant.set_organisation("partner-east");
  grant.set_purpose(v1::REFERRAL_SHARING);
  grant.add_data_categories(v1::IDENTITY);
  *grant.mutable_end_time() =
      ToProtoTimestamp(clock_.Now() + absl::Hours(24 * 90));
  grant.set_source(v1::REFERRAL_ACCEPTED);
  for (int i = 0; i < kMaxGrantsPerParticipant; ++i) {
    grant.set_source_reference(absl::StrCat("referral-", i));
    ASSERT_TRUE(grants_.Grant(partners, name, grant).ok()) << i;
  }
  grant.set_source_reference("referral-full");
  EXPECT_EQ(grants_.Grant(partners, name, grant).status().code(),
            Code::kFailedPrecondition);

  ASSERT_EQ(*grants_.RevokeFor(partners, name, "referral-7"), 1);
  auto made = grants_.Grant(partners, name, grant);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_EQ(GrantsListed(p, /*include_inactive=*/true),
            kMaxGrantsPerParticipant);
  EXPECT_EQ(GrantsListed(p), kMaxGrantsPerParticipant);  // all standing
}

}  // namespace
}  // namespace employability::participants
