// The audit trail over real gRPC on loopback, against a real redis-server:
// the participants and audit services hosted together, as the suite hosts
// them, behind their call gates.
//
// A participant's journey (enrol, get, list, update, a contact, equality
// data under its purpose, a subject access export) and a read refused to
// another organisation leave exactly the entries docs/audit.md describes;
// the owning organisation's quality manager then reads them back through
// AuditTrail.ListAuditEntries by participant (the subject access case), by
// user, by acting organisation and by period, and nobody else may.
//
// Each test works in organisations, users and a contract of its own (random
// ids), so tests in parallel never see each other's entries.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "employability/audit/v1/audit.grpc.pb.h"
#include "employability/participants/v1/contacts.grpc.pb.h"
#include "employability/participants/v1/participant_data.grpc.pb.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "services/audit/audit_grpc.h"
#include "services/participants/participants_grpc.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"
#include "tests/harness/test_identity.h"

namespace employability {
namespace {

namespace av1 = ::employability::audit::v1;
namespace pv1 = ::employability::participants::v1;
using ::google::protobuf::util::TimeUtil;
using test_harness::CallContext;
using test_harness::Describe;
using test_harness::TestCaller;
using test_harness::UniqueId;
using Code = grpc::StatusCode;

// What an entry should say.
struct Want {
  av1::AuditAction action;
  std::string method;  // "<Service>/<Method>" of employability.participants.v1
  std::string record;
  std::string participant;
  const TestCaller* actor;
  av1::AuditOutcome outcome = av1::ALLOWED;
  std::string purpose = "";  // none declared
};

class AuditIntegrationTest : public ::testing::Test {
 protected:
  AuditIntegrationTest()
      : prime_(UniqueId("prime")),
        agency_(UniqueId("agency")),
        contract_(UniqueId("audit")),
        adviser_{prime_, UniqueId("adviser"), type::v1::ADVISER, "", ""},
        quality_{prime_, UniqueId("qm"), type::v1::QUALITY_MANAGER, "", ""},
        intruder_{agency_, UniqueId("adviser"), type::v1::ADVISER, "", ""},
        their_quality_{agency_, UniqueId("qm"), type::v1::QUALITY_MANAGER, "",
                       ""} {}

  void SetUp() override {
    test_harness::SuiteOptions options;
    options.modules = {participants::NewModule, audit::NewModule};
    options.metrics = false;  // not scraped here; its 2 s stop would dominate
    absl::StatusOr<std::unique_ptr<test_harness::SuiteUnderTest>> suite =
        test_harness::SuiteUnderTest::Start(options);
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    participants_ = pv1::Participants::NewStub(suite_->channel());
    contacts_ = pv1::Contacts::NewStub(suite_->channel());
    data_ = pv1::ParticipantData::NewStub(suite_->channel());
    trail_ = av1::AuditTrail::NewStub(suite_->channel());
  }

  // Every entry the query names, all pages, as `caller` reads them; the
  // first refusal's status otherwise.
  grpc::Status ListAll(av1::ListAuditEntriesRequest request,
                       const TestCaller& caller,
                       std::vector<av1::AuditEntry>* out) {
    if (request.parent().empty()) {
      request.set_parent(absl::StrCat("organisations/", prime_));
    }
    // A sparse query may return short pages with a token: keep paging.
    for (int page = 0; page < 1000; ++page) {
      av1::ListAuditEntriesResponse response;
      grpc::Status status = trail_->ListAuditEntries(CallContext(caller).get(),
                                                     request, &response);
      if (!status.ok()) return status;
      for (const av1::AuditEntry& entry : response.audit_entries()) {
        out->push_back(entry);
      }
      if (response.next_page_token().empty()) return grpc::Status::OK;
      request.set_page_token(response.next_page_token());
    }
    return grpc::Status(grpc::StatusCode::INTERNAL, "too many pages");
  }

  std::vector<av1::AuditEntry> MustList(
      const av1::ListAuditEntriesRequest& request) {
    std::vector<av1::AuditEntry> entries;
    grpc::Status status = ListAll(request, quality_, &entries);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return entries;
  }

  // Success when `entries` are `want`, in order.
  ::testing::AssertionResult Are(const std::vector<av1::AuditEntry>& entries,
                                 const std::vector<Want>& want) {
    std::vector<std::string> shown;
    for (const av1::AuditEntry& entry : entries) {
      shown.push_back(entry.ShortDebugString());
    }
    const std::string listing = absl::StrJoin(shown, "\n  ");
    if (entries.size() != want.size()) {
      return ::testing::AssertionFailure()
             << entries.size() << " entries where " << want.size()
             << " were due:\n  " << listing;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      const av1::AuditEntry& e = entries[i];
      const Want& w = want[i];
      const bool right =
          e.action() == w.action &&
          e.method() ==
              absl::StrCat("/employability.participants.v1.", w.method) &&
          e.record() == w.record && e.participant() == w.participant &&
          e.owning_organisation() == prime_ && e.outcome() == w.outcome &&
          e.actor_organisation() == w.actor->organisation &&
          e.actor_user() == w.actor->user && e.actor_role() == w.actor->role &&
          e.actor_service().empty() && e.purpose() == w.purpose &&
          (w.outcome == av1::DENIED) != e.reason().empty() &&
          absl::StartsWith(e.name(), absl::StrCat("organisations/", prime_,
                                                  "/auditEntries/")) &&
          e.has_time();
      if (!right) {
        return ::testing::AssertionFailure()
               << "entry " << i << " should be "
               << av1::AuditAction_Name(w.action) << " "
               << av1::AuditOutcome_Name(w.outcome) << " of " << w.record
               << " through " << w.method << " by " << w.actor->user << ":\n  "
               << listing;
      }
    }
    return ::testing::AssertionSuccess();
  }

  // ---- The journey, over gRPC

  pv1::Participant Enrol() {
    pv1::Participant created;
    grpc::Status status = participants_->CreateParticipant(
        CallContext(adviser_).get(),
        test_harness::CreateRequest(contract_,
                                    test_harness::ValidParticipant()),
        &created);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return created;
  }

  grpc::Status Get(const std::string& name, const TestCaller& caller) {
    pv1::GetParticipantRequest request;
    request.set_name(name);
    pv1::Participant got;
    return participants_->GetParticipant(CallContext(caller).get(), request,
                                         &got);
  }

  const std::string prime_;
  const std::string agency_;
  const std::string contract_;
  const TestCaller adviser_;
  const TestCaller quality_;
  const TestCaller intruder_;
  const TestCaller their_quality_;
  std::unique_ptr<test_harness::SuiteUnderTest> suite_;
  std::unique_ptr<pv1::Participants::Stub> participants_;
  std::unique_ptr<pv1::Contacts::Stub> contacts_;
  std::unique_ptr<pv1::ParticipantData::Stub> data_;
  std::unique_ptr<av1::AuditTrail::Stub> trail_;
};

TEST_F(AuditIntegrationTest, EveryAccessOfAJourneyIsReadBackByItsOwner) {
  // ---- The journey: each call of personal data leaves one entry.
  const pv1::Participant p = Enrol();
  ASSERT_FALSE(p.name().empty());
  const std::string name = p.name();

  ASSERT_TRUE(Get(name, adviser_).ok());

  pv1::ListParticipantsRequest list;
  list.set_parent(absl::StrCat("contracts/", contract_));
  pv1::ListParticipantsResponse listed;
  grpc::Status status = participants_->ListParticipants(
      CallContext(adviser_).get(), list, &listed);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(listed.participants_size(), 1);

  pv1::UpdateParticipantRequest update;
  update.mutable_participant()->set_name(name);
  update.mutable_participant()->set_status(pv1::STARTED);
  update.mutable_update_mask()->add_paths("status");
  pv1::Participant started;
  status = participants_->UpdateParticipant(CallContext(adviser_).get(), update,
                                            &started);
  ASSERT_TRUE(status.ok()) << Describe(status);

  pv1::CreateContactRequest contact_request;
  contact_request.set_parent(name);
  contact_request.set_request_id(UniqueId("contact"));
  pv1::Contact* contact_input = contact_request.mutable_contact();
  *contact_input->mutable_contact_date() = test_harness::DayFromToday(0);
  contact_input->set_channel(pv1::FACE_TO_FACE);
  contact_input->set_attendance(pv1::ATTENDED);
  contact_input->set_duration_minutes(45);
  pv1::Contact contact;
  status = contacts_->CreateContact(CallContext(adviser_).get(),
                                    contact_request, &contact);
  ASSERT_TRUE(status.ok()) << Describe(status);

  pv1::CreateConsentRequest consent_request;
  consent_request.set_parent(name);
  consent_request.set_request_id(UniqueId("consent"));
  consent_request.mutable_consent()->set_purpose(pv1::EQUALITY_MONITORING);
  consent_request.mutable_consent()->add_data_categories(pv1::EQUALITY);
  pv1::Consent consent;
  status = participants_->CreateConsent(CallContext(adviser_).get(),
                                        consent_request, &consent);
  ASSERT_TRUE(status.ok()) << Describe(status);

  const TestCaller monitoring =
      test_harness::For(adviser_, "EQUALITY_MONITORING");
  const std::string equality_name = name + "/equalityData";
  pv1::UpdateEqualityDataRequest equality_update;
  equality_update.mutable_equality_data()->set_name(equality_name);
  equality_update.mutable_equality_data()->set_ethnicity("prefer not to say");
  equality_update.set_purpose(pv1::EQUALITY_MONITORING);
  pv1::EqualityData equality;
  status = participants_->UpdateEqualityData(CallContext(monitoring).get(),
                                             equality_update, &equality);
  ASSERT_TRUE(status.ok()) << Describe(status);
  pv1::GetEqualityDataRequest equality_get;
  equality_get.set_name(equality_name);
  equality_get.set_purpose(pv1::EQUALITY_MONITORING);
  status = participants_->GetEqualityData(CallContext(monitoring).get(),
                                          equality_get, &equality);
  ASSERT_TRUE(status.ok()) << Describe(status);

  pv1::ExportParticipantDataRequest export_request;
  export_request.set_name(name);
  pv1::ParticipantDataExport exported;
  status = data_->ExportParticipantData(CallContext(quality_).get(),
                                        export_request, &exported);
  ASSERT_TRUE(status.ok()) << Describe(status);

  // Another organisation tries: refused, as ever, and recorded for the
  // owner to see.
  status = Get(name, intruder_);
  EXPECT_EQ(status.error_code(), Code::PERMISSION_DENIED) << Describe(status);

  // ---- Subject access: everything about the participant, in order.
  av1::ListAuditEntriesRequest by_participant;
  by_participant.set_participant(name);
  const std::vector<av1::AuditEntry> about = MustList(by_participant);
  EXPECT_TRUE(Are(
      about,
      {{av1::CREATE, "Participants/CreateParticipant", name, name, &adviser_},
       {av1::READ, "Participants/GetParticipant", name, name, &adviser_},
       {av1::UPDATE, "Participants/UpdateParticipant", name, name, &adviser_},
       {av1::CREATE, "Contacts/CreateContact", contact.name(), name, &adviser_},
       {av1::CREATE, "Participants/CreateConsent", consent.name(), name,
        &adviser_},
       {av1::UPDATE, "Participants/UpdateEqualityData", equality_name, name,
        &adviser_, av1::ALLOWED, "EQUALITY_MONITORING"},
       {av1::READ, "Participants/GetEqualityData", equality_name, name,
        &adviser_, av1::ALLOWED, "EQUALITY_MONITORING"},
       {av1::EXPORT, "ParticipantData/ExportParticipantData", name, name,
        &quality_},
       {av1::READ, "Participants/GetParticipant", name, name, &intruder_,
        av1::DENIED}}));
  ASSERT_EQ(about.size(), 9u);
  // The refusal names the organisation that tried, and nothing personal.
  EXPECT_EQ(about.back().actor_organisation(), agency_);
  EXPECT_EQ(about.back().reason(),
            "scope ORGANISATION does not reach IDENTITY");

  // ---- By user: the adviser's accesses, the list spanning participants
  // among them (about no one participant, so not in the subject's trail).
  av1::ListAuditEntriesRequest by_user;
  by_user.set_actor_organisation(prime_);
  by_user.set_actor_user(adviser_.user);
  const std::string collection =
      absl::StrCat("contracts/", contract_, "/participants");
  EXPECT_TRUE(Are(
      MustList(by_user),
      {{av1::CREATE, "Participants/CreateParticipant", name, name, &adviser_},
       {av1::READ, "Participants/GetParticipant", name, name, &adviser_},
       {av1::READ, "Participants/ListParticipants", collection, "", &adviser_},
       {av1::UPDATE, "Participants/UpdateParticipant", name, name, &adviser_},
       {av1::CREATE, "Contacts/CreateContact", contact.name(), name, &adviser_},
       {av1::CREATE, "Participants/CreateConsent", consent.name(), name,
        &adviser_},
       {av1::UPDATE, "Participants/UpdateEqualityData", equality_name, name,
        &adviser_, av1::ALLOWED, "EQUALITY_MONITORING"},
       {av1::READ, "Participants/GetEqualityData", equality_name, name,
        &adviser_, av1::ALLOWED, "EQUALITY_MONITORING"}}));

  // ---- By acting organisation: the other organisation's one attempt.
  av1::ListAuditEntriesRequest by_organisation;
  by_organisation.set_actor_organisation(agency_);
  EXPECT_TRUE(
      Are(MustList(by_organisation), {{av1::READ, "Participants/GetParticipant",
                                       name, name, &intruder_, av1::DENIED}}));

  // ---- By period: from the update up to (not including) the export.
  av1::ListAuditEntriesRequest by_period;
  *by_period.mutable_start_time() = about[2].time();
  *by_period.mutable_end_time() = about[7].time();
  EXPECT_TRUE(Are(
      MustList(by_period),
      {{av1::UPDATE, "Participants/UpdateParticipant", name, name, &adviser_},
       {av1::CREATE, "Contacts/CreateContact", contact.name(), name, &adviser_},
       {av1::CREATE, "Participants/CreateConsent", consent.name(), name,
        &adviser_},
       {av1::UPDATE, "Participants/UpdateEqualityData", equality_name, name,
        &adviser_, av1::ALLOWED, "EQUALITY_MONITORING"},
       {av1::READ, "Participants/GetEqualityData", equality_name, name,
        &adviser_, av1::ALLOWED, "EQUALITY_MONITORING"}}));
  // A period before any of it holds nothing.
  av1::ListAuditEntriesRequest before;
  *before.mutable_end_time() = about[0].time();
  *before.mutable_start_time() = about[0].time() - TimeUtil::HoursToDuration(1);
  EXPECT_TRUE(MustList(before).empty());
}

TEST_F(AuditIntegrationTest, OnlyTheOwnersQualityManagersAndAdminsReadIt) {
  const pv1::Participant p = Enrol();
  ASSERT_FALSE(p.name().empty());
  av1::ListAuditEntriesRequest request;
  request.set_participant(p.name());
  std::vector<av1::AuditEntry> entries;
  // An adviser may not read the trail at all (the policy).
  grpc::Status status = ListAll(request, adviser_, &entries);
  EXPECT_EQ(status.error_code(), Code::PERMISSION_DENIED) << Describe(status);
  // Another organisation's quality manager may not read this one's.
  status = ListAll(request, their_quality_, &entries);
  EXPECT_EQ(status.error_code(), Code::PERMISSION_DENIED) << Describe(status);
  EXPECT_TRUE(entries.empty());
  // The owner's admin may, as its quality manager may.
  const TestCaller admin{prime_, UniqueId("admin"),
                         type::v1::ORGANISATION_ADMIN, "", ""};
  status = ListAll(request, admin, &entries);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(Are(entries, {{av1::CREATE, "Participants/CreateParticipant",
                             p.name(), p.name(), &adviser_}}));
}

}  // namespace
}  // namespace employability
