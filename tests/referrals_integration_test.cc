// Referrals end to end, over real gRPC on loopback against a real
// redis-server, with the participants and partners services in one suite
// (as the all-in-one binary hosts them):
//   - the lifecycle and an illegal step, with its actor and times;
//   - sending needs consent and a data-sharing agreement, and says which is
//     missing; a consent withdrawn mid-referral stops the acceptance;
//   - acceptance opens the participant to the receiving organisation (its
//     own token, through the participants service) and completion closes
//     it again, by the events the participants service consumes;
//   - the respond standard counted in working days across Christmas and
//     its substitute bank holiday, on the service's fake clock; the sweep
//     finds the breach without any event and the gauges show it on the
//     real /metrics endpoint;
//   - Watch resumed from a cursor after a disconnect, nothing missed or
//     repeated;
//   - a bulk import with bad rows: each row's own result, nothing partial;
//   - every read and write of a referral is in the audit trail the
//     participant's owner reads for a subject access request;
//   - a participant erased in the participants service has the free text of
//     their referrals wiped here (the erasure rule).
// Every test makes organisations and a contract of its own (random ids).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/metrics/scrape.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "employability/audit/v1/audit.grpc.pb.h"
#include "employability/participants/v1/participant_data.grpc.pb.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "employability/partners/v1/agreements.grpc.pb.h"
#include "employability/partners/v1/referrals.grpc.pb.h"
#include "services/audit/audit_grpc.h"
#include "services/participants/participants_grpc.h"
#include "services/participants/referral_access.h"
#include "services/partners/participant_consents.h"
#include "services/partners/participant_erasure.h"
#include "services/partners/partners_grpc.h"
#include "services/partners/referrals_grpc.h"
#include "tests/harness/directory_seed.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

namespace pv1 = ::employability::participants::v1;
namespace v1 = ::employability::partners::v1;
using test_harness::CallContext;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::UniqueId;
using Code = grpc::StatusCode;

// The next Christmas Eve the working-day calendar (2024..2027) covers, at
// 10:00 London time (GMT), and the respond standard's due time for a
// referral sent then: two working days after Friday 25 December and its
// substitute bank holidays fall on the 29th and 30th, so it is due at the
// start of the 31st in both years.
struct ChristmasCase {
  absl::Time sent;
  absl::Time respond_by;
};

std::optional<ChristmasCase> NextChristmasEve() {
  for (int year : {2026, 2027}) {
    const absl::Time eve = absl::FromCivil(absl::CivilSecond(year, 12, 24, 10),
                                           absl::UTCTimeZone());
    if (eve > absl::Now()) {
      return ChristmasCase{eve, absl::FromCivil(absl::CivilDay(year, 12, 31),
                                                absl::UTCTimeZone())};
    }
  }
  return std::nullopt;
}

class ReferralsIntegrationTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Fast loops, so that the test sees the sweep and the events soon.
    absl::SetFlag(&FLAGS_referral_sweep_interval, absl::Milliseconds(100));
    absl::SetFlag(&FLAGS_referral_watch_interval, absl::Milliseconds(50));
    absl::SetFlag(&FLAGS_referral_events_interval, absl::Milliseconds(50));
    absl::SetFlag(&FLAGS_erasure_events_interval, absl::Milliseconds(50));
  }

  void SetUp() override {
    clock_.Set(absl::Now());
    test_harness::SuiteOptions options;
    options.modules = {participants::NewModule, partners::NewModule,
                       audit::NewModule};
    options.clock = &clock_;
    absl::StatusOr<std::unique_ptr<test_harness::SuiteUnderTest>> suite =
        test_harness::SuiteUnderTest::Start(options);
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    participants_ = pv1::Participants::NewStub(suite_->channel());
    agreements_ = v1::Agreements::NewStub(suite_->channel());
    referrals_ = v1::Referrals::NewStub(suite_->channel());
    ASSERT_NO_FATAL_FAILURE(SeedOrganisations());
    ASSERT_NO_FATAL_FAILURE(MakeContract());
    participant_ = Enrol();
    ASSERT_FALSE(participant_.empty());
  }

  // ---- Fixtures, made through the services' own APIs.

  void SeedOrganisations() {
    test_harness::DirectorySeed seed(suite_->store());
    const auto add = [&](const std::string& id, v1::OrganisationType type) {
      v1::CreateOrganisationRequest request;
      request.set_organisation_id(id);
      request.set_request_id(UniqueId("seed"));
      request.mutable_organisation()->set_display_name(id);
      request.mutable_organisation()->set_type(type);
      ASSERT_TRUE(seed.Organisation(request).ok()) << id;
    };
    prime_ = UniqueId("prime");
    sub_ = UniqueId("sub");
    agency_ = UniqueId("agency");
    commissioner_ = UniqueId("dwp");
    add(prime_, v1::PRIME_PROVIDER);
    add(sub_, v1::SUB_CONTRACTOR);
    add(agency_, v1::PARTNER_AGENCY);
    add(commissioner_, v1::COMMISSIONER);
  }

  TestCaller PrimeAdviser() const {
    return {prime_, "ada", type::v1::ADVISER, "", ""};
  }
  TestCaller PrimeContracts() const {
    return {prime_, "carl", type::v1::CONTRACT_MANAGER, "", ""};
  }
  TestCaller SubAdviser() const {
    return {sub_, "sam", type::v1::ADVISER, "", ""};
  }
  TestCaller SubContracts() const {
    return {sub_, "sue", type::v1::CONTRACT_MANAGER, "", ""};
  }

  void MakeContract() {
    contract_ = UniqueId("c");
    v1::CreateContractRequest request;
    request.set_contract_id(contract_);
    request.set_request_id(UniqueId("r"));
    v1::Contract* c = request.mutable_contract();
    c->set_display_name("Restart North West");
    c->set_programme("Restart Scheme");
    c->set_commissioner(commissioner_);
    c->set_prime_provider(prime_);
    c->set_nation(v1::ENGLAND_AND_WALES);
    *c->mutable_start_date() = test_harness::MakeDate(2024, 1, 1);
    *c->mutable_end_date() = test_harness::MakeDate(2028, 12, 31);
    c->set_payment_model(v1::SERVICE_FEE_AND_OUTCOMES);
    v1::Contract made;
    grpc::Status status = agreements_->CreateContract(
        CallContext(PrimeContracts()).get(), request, &made);
    ASSERT_TRUE(status.ok()) << test_harness::Describe(status);

    v1::CreateSubContractRequest sub;
    sub.set_parent(made.name());
    sub.set_request_id(UniqueId("r"));
    v1::SubContract* s = sub.mutable_sub_contract();
    s->set_sub_contractor(sub_);
    *s->mutable_start_date() = test_harness::MakeDate(2024, 1, 1);
    *s->mutable_end_date() = test_harness::MakeDate(2028, 12, 31);
    s->set_contracted_share_percent(40);
    s->set_payment_model(v1::OUTCOME_BASED);
    v1::SubContract sub_made;
    status = agreements_->CreateSubContract(CallContext(PrimeContracts()).get(),
                                            sub, &sub_made);
    ASSERT_TRUE(status.ok()) << test_harness::Describe(status);
    ASSERT_NO_FATAL_FAILURE(ShareData(sub_));
  }

  // An ACTIVE data-sharing agreement between the prime and `other`.
  void ShareData(const std::string& other) {
    v1::CreateDataSharingAgreementRequest request;
    request.set_request_id(UniqueId("r"));
    v1::DataSharingAgreement* dsa = request.mutable_data_sharing_agreement();
    dsa->add_parties(prime_);
    dsa->add_parties(other);
    dsa->set_purpose("Delivery of the Restart Scheme");
    dsa->add_data_categories(pv1::IDENTITY);
    dsa->add_data_categories(pv1::CONTACT);
    dsa->add_data_categories(pv1::PROGRESSION);
    dsa->set_lawful_basis(v1::DataSharingAgreement::PUBLIC_TASK);
    *dsa->mutable_start_time() = ToProtoTimestamp(
        absl::FromCivil(absl::CivilDay(2024, 1, 1), absl::UTCTimeZone()));
    dsa->set_status(v1::DataSharingAgreement::ACTIVE);
    v1::DataSharingAgreement made;
    grpc::Status status = agreements_->CreateDataSharingAgreement(
        CallContext(PrimeContracts()).get(), request, &made);
    ASSERT_TRUE(status.ok()) << test_harness::Describe(status);
    ASSERT_EQ(made.status(), v1::DataSharingAgreement::ACTIVE);
  }

  // A participant of the contract, enrolled by the prime, with a consent
  // to share with the sub-contractor.
  std::string Enrol() {
    pv1::Participant made;
    grpc::Status status = participants_->CreateParticipant(
        CallContext(PrimeAdviser()).get(),
        test_harness::CreateRequest(contract_,
                                    test_harness::ValidParticipant()),
        &made);
    EXPECT_TRUE(status.ok()) << test_harness::Describe(status);
    if (!status.ok()) return "";
    consent_ = Consent(made.name(), sub_);
    return made.name();
  }

  std::string Consent(const std::string& participant,
                      const std::string& organisation) {
    pv1::CreateConsentRequest request;
    request.set_parent(participant);
    request.set_request_id(UniqueId("consent"));
    request.mutable_consent()->set_purpose(pv1::REFERRAL_SHARING);
    request.mutable_consent()->add_organisations(organisation);
    for (pv1::DataCategory category :
         {pv1::IDENTITY, pv1::CONTACT, pv1::PROGRESSION}) {
      request.mutable_consent()->add_data_categories(category);
    }
    pv1::Consent consent;
    grpc::Status status = participants_->CreateConsent(
        CallContext(PrimeAdviser()).get(), request, &consent);
    EXPECT_TRUE(status.ok()) << test_harness::Describe(status);
    return consent.name();
  }

  v1::CreateReferralRequest AllocationTo(const std::string& receiver,
                                         bool send) {
    v1::CreateReferralRequest request;
    request.set_parent(absl::StrCat("organisations/", receiver));
    request.set_request_id(UniqueId("r"));
    request.set_send(send);
    v1::Referral* r = request.mutable_referral();
    r->set_kind(v1::ALLOCATION);
    r->set_participant(participant_);
    r->set_reason("Needs specialist support into work");
    r->set_urgency(v1::ROUTINE);
    r->mutable_handover()->set_summary(
        "Wants warehouse work; has a forklift licence.");
    r->mutable_handover()->set_participant_agreed(true);
    return request;
  }

  // Sent to the sub-contractor; a test failure otherwise.
  v1::Referral SendAllocation() {
    v1::Referral referral;
    grpc::Status status = referrals_->CreateReferral(
        CallContext(PrimeAdviser()).get(), AllocationTo(sub_, true), &referral);
    EXPECT_TRUE(status.ok()) << test_harness::Describe(status);
    return referral;
  }

  grpc::Status Accept(const std::string& name, v1::Referral* out) {
    v1::AcceptReferralRequest request;
    request.set_name(name);
    return referrals_->AcceptReferral(CallContext(SubAdviser()).get(), request,
                                      out);
  }

  // The participant as the sub-contractor's adviser reads it.
  grpc::Status ReadAsSub() {
    pv1::GetParticipantRequest request;
    request.set_name(participant_);
    pv1::Participant participant;
    return participants_->GetParticipant(CallContext(SubAdviser()).get(),
                                         request, &participant);
  }

  FakeClock clock_;
  std::unique_ptr<test_harness::SuiteUnderTest> suite_;
  std::unique_ptr<pv1::Participants::Stub> participants_;
  std::unique_ptr<v1::Agreements::Stub> agreements_;
  std::unique_ptr<v1::Referrals::Stub> referrals_;
  std::string prime_, sub_, agency_, commissioner_;
  std::string contract_, participant_, consent_;
};

TEST_F(ReferralsIntegrationTest, LifecycleStepsCarryTheirActorsAndTimes) {
  const v1::Referral sent = SendAllocation();
  ASSERT_EQ(sent.state(), v1::SENT);
  EXPECT_EQ(sent.sender(), prime_);
  EXPECT_EQ(sent.receiver(), sub_);
  EXPECT_EQ(sent.contract(), test_harness::ContractName(contract_));
  EXPECT_FALSE(sent.sub_contract().empty());
  EXPECT_EQ(sent.consent(), consent_);
  EXPECT_TRUE(sent.has_respond_by());

  // Starting before accepting is not a step from SENT.
  v1::StartReferralRequest start;
  start.set_name(sent.name());
  v1::Referral after;
  grpc::Status status =
      referrals_->StartReferral(CallContext(SubAdviser()).get(), start, &after);
  EXPECT_TRUE(StatusIs(status, Code::FAILED_PRECONDITION, "name"));
  EXPECT_TRUE(absl::StrContains(status.error_message(), "SENT"));
  // The sender does not accept its own referral.
  EXPECT_EQ(referrals_
                ->AcceptReferral(
                    CallContext(PrimeAdviser()).get(),
                    [&] {
                      v1::AcceptReferralRequest r;
                      r.set_name(sent.name());
                      return r;
                    }(),
                    &after)
                .error_code(),
            Code::PERMISSION_DENIED);

  ASSERT_TRUE(Accept(sent.name(), &after).ok());
  ASSERT_TRUE(
      referrals_->StartReferral(CallContext(SubAdviser()).get(), start, &after)
          .ok());
  v1::CompleteReferralRequest complete;
  complete.set_name(sent.name());
  complete.set_outcome(v1::SUCCESSFUL);
  ASSERT_TRUE(
      referrals_
          ->CompleteReferral(CallContext(SubAdviser()).get(), complete, &after)
          .ok());
  EXPECT_EQ(after.state(), v1::COMPLETED);
  ASSERT_EQ(after.steps_size(), 5);  // draft, sent, accepted, started, done
  EXPECT_EQ(after.steps(0).organisation(), prime_);
  EXPECT_EQ(after.steps(2).organisation(), sub_);
  EXPECT_EQ(after.steps(2).user(), "sam");
  EXPECT_TRUE(after.steps(4).has_time());
  // Closed is final.
  v1::WithdrawReferralRequest withdraw;
  withdraw.set_name(sent.name());
  withdraw.set_reason(v1::PARTICIPANT_REQUEST);
  status = referrals_->WithdrawReferral(CallContext(PrimeAdviser()).get(),
                                        withdraw, &after);
  EXPECT_TRUE(StatusIs(status, Code::FAILED_PRECONDITION, "name"));
  EXPECT_TRUE(absl::StrContains(status.error_message(), "COMPLETED"));
}

TEST_F(ReferralsIntegrationTest, SendingSaysWhichLawfulBasisIsMissing) {
  // The agency has neither a consent naming it nor an agreement.
  v1::Referral referral;
  v1::CreateReferralRequest request = AllocationTo(agency_, true);
  request.mutable_referral()->set_kind(v1::SERVICE_REFERRAL);
  request.mutable_referral()->set_service(
      absl::StrCat("organisations/", agency_, "/services/housing-advice"));
  grpc::Status status = referrals_->CreateReferral(
      CallContext(PrimeAdviser()).get(), request, &referral);
  EXPECT_EQ(status.error_code(), Code::FAILED_PRECONDITION)
      << test_harness::Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "consent"));
  EXPECT_TRUE(absl::StrContains(status.error_message(), "data-sharing"));

  // With the consent but still no agreement: the agreement alone.
  Consent(participant_, agency_);
  request.set_request_id(UniqueId("r"));
  status = referrals_->CreateReferral(CallContext(PrimeAdviser()).get(),
                                      request, &referral);
  EXPECT_EQ(status.error_code(), Code::FAILED_PRECONDITION);
  EXPECT_FALSE(absl::StrContains(status.error_message(), "consent"));
  EXPECT_TRUE(absl::StrContains(status.error_message(), "data-sharing"));

  // Nothing was stored: the prime's sent box is empty.
  v1::ListReferralsRequest list;
  list.set_parent(absl::StrCat("organisations/", prime_));
  list.set_box(v1::SENT_BY);
  v1::ListReferralsResponse listed;
  ASSERT_TRUE(
      referrals_
          ->ListReferrals(CallContext(PrimeAdviser()).get(), list, &listed)
          .ok());
  EXPECT_EQ(listed.referrals_size(), 0);
}

TEST_F(ReferralsIntegrationTest, AConsentWithdrawnMidReferralStopsAcceptance) {
  const v1::Referral sent = SendAllocation();
  pv1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent_);
  pv1::Consent withdrawn;
  ASSERT_TRUE(participants_
                  ->WithdrawConsent(CallContext(PrimeAdviser()).get(), withdraw,
                                    &withdrawn)
                  .ok());
  v1::Referral after;
  grpc::Status status = Accept(sent.name(), &after);
  EXPECT_EQ(status.error_code(), Code::FAILED_PRECONDITION)
      << test_harness::Describe(status);
  EXPECT_TRUE(absl::StrContains(status.error_message(), "consent"));
  EXPECT_EQ(ReadAsSub().error_code(), Code::PERMISSION_DENIED);
}

TEST_F(ReferralsIntegrationTest,
       AcceptanceOpensTheParticipantAndClosingShutsIt) {
  EXPECT_EQ(ReadAsSub().error_code(), Code::PERMISSION_DENIED);
  const v1::Referral sent = SendAllocation();
  v1::Referral after;
  ASSERT_TRUE(Accept(sent.name(), &after).ok());
  // The participants service grants access from the ReferralAccepted event.
  EXPECT_TRUE(test_harness::PollUntil([&] { return ReadAsSub().ok(); },
                                      absl::Seconds(10)))
      << test_harness::Describe(ReadAsSub());

  v1::StartReferralRequest start;
  start.set_name(sent.name());
  ASSERT_TRUE(
      referrals_->StartReferral(CallContext(SubAdviser()).get(), start, &after)
          .ok());
  v1::CompleteReferralRequest complete;
  complete.set_name(sent.name());
  complete.set_outcome(v1::UNSUCCESSFUL);
  complete.set_failure_reason(v1::DISENGAGED);
  ASSERT_TRUE(
      referrals_
          ->CompleteReferral(CallContext(SubAdviser()).get(), complete, &after)
          .ok());
  EXPECT_TRUE(test_harness::PollUntil(
      [&] { return ReadAsSub().error_code() == Code::PERMISSION_DENIED; },
      absl::Seconds(10)));
}

TEST_F(ReferralsIntegrationTest, WithdrawnConsentCutsAccessAtOnce) {
  const v1::Referral sent = SendAllocation();
  v1::Referral after;
  ASSERT_TRUE(Accept(sent.name(), &after).ok());
  ASSERT_TRUE(test_harness::PollUntil([&] { return ReadAsSub().ok(); },
                                      absl::Seconds(10)));
  pv1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent_);
  pv1::Consent withdrawn;
  ASSERT_TRUE(participants_
                  ->WithdrawConsent(CallContext(PrimeAdviser()).get(), withdraw,
                                    &withdrawn)
                  .ok());
  EXPECT_EQ(ReadAsSub().error_code(), Code::PERMISSION_DENIED);  // no wait
}

TEST_F(ReferralsIntegrationTest,
       TheRespondStandardSkipsChristmasAndTheSweepFindsTheBreach) {
  const std::optional<ChristmasCase> christmas = NextChristmasEve();
  if (!christmas.has_value()) {
    GTEST_SKIP() << "the working-day calendar ends in 2027: extend it";
  }
  clock_.Set(christmas->sent);
  const v1::Referral sent = SendAllocation();
  ASSERT_EQ(sent.state(), v1::SENT);
  EXPECT_EQ(FromProtoTimestamp(sent.respond_by()), christmas->respond_by)
      << sent.respond_by().DebugString();

  // Nothing happens to the referral: time passes, and the sweep notices.
  clock_.Set(christmas->respond_by + absl::Minutes(1));
  v1::Referral breached;
  ASSERT_TRUE(test_harness::PollUntil(
      [&] {
        v1::GetReferralRequest get;
        get.set_name(sent.name());
        return referrals_
                   ->GetReferral(CallContext(SubAdviser()).get(), get,
                                 &breached)
                   .ok() &&
               breached.breaches_size() == 1;
      },
      absl::Seconds(10)));
  EXPECT_EQ(breached.breaches(0).standard(), v1::RESPOND);

  v1::ListReferralDeadlinesRequest deadlines;
  deadlines.set_parent(absl::StrCat("organisations/", sub_));
  v1::ListReferralDeadlinesResponse listed;
  ASSERT_TRUE(referrals_
                  ->ListReferralDeadlines(CallContext(SubAdviser()).get(),
                                          deadlines, &listed)
                  .ok());
  bool found = false;
  for (const v1::ReferralDeadline& d : listed.breached()) {
    found |= d.referral() == sent.name() && d.standard() == v1::RESPOND;
  }
  EXPECT_TRUE(found);

  // The gauges on the real /metrics endpoint.
  const std::string past =
      absl::StrCat("employability_referrals_past_standard{receiver=\"", sub_,
                   "\",standard=\"RESPOND\"} 1");
  const std::string open = absl::StrCat(
      "employability_referrals_open{receiver=\"", sub_, "\",state=\"SENT\"} 1");
  std::string text;
  EXPECT_TRUE(test_harness::PollUntil(
      [&] {
        absl::StatusOr<std::string> scraped =
            metrics::HttpGet(suite_->metrics_address(), "/metrics");
        if (scraped.ok()) text = *scraped;
        return absl::StrContains(text, past) && absl::StrContains(text, open);
      },
      absl::Seconds(10)))
      << text;

  // Responding meets the standard: the gauge falls back to 0.
  v1::Referral after;
  ASSERT_TRUE(Accept(sent.name(), &after).ok());
  const std::string met =
      absl::StrCat("employability_referrals_past_standard{receiver=\"", sub_,
                   "\",standard=\"RESPOND\"} 0");
  EXPECT_TRUE(test_harness::PollUntil(
      [&] {
        absl::StatusOr<std::string> scraped =
            metrics::HttpGet(suite_->metrics_address(), "/metrics");
        return scraped.ok() && absl::StrContains(*scraped, met);
      },
      absl::Seconds(10)));
}

// Tests share one Redis, and every suite's sweep walks every inbox on its
// own clock: the Christmas test's, a month ahead, finds other tests'
// referrals past their standards. Those changes are real, and beside the
// point here.
bool IsBreach(const v1::ReferralChange& change) {
  return change.event_type() ==
         "employability.partners.v1.ReferralStandardBreached";
}

// Reads up to `n` changes from a Watch opened after `cursor`, breaches
// aside.
std::vector<v1::ReferralChange> WatchSome(v1::Referrals::Stub& stub,
                                          const TestCaller& caller,
                                          const std::string& receiver,
                                          const std::string& cursor, int n) {
  std::unique_ptr<grpc::ClientContext> context =
      CallContext(caller, absl::Seconds(5));
  v1::WatchReferralsRequest request;
  request.set_parent(absl::StrCat("organisations/", receiver));
  request.set_cursor(cursor);
  std::unique_ptr<grpc::ClientReader<v1::ReferralChange>> reader =
      stub.WatchReferrals(context.get(), request);
  std::vector<v1::ReferralChange> changes;
  v1::ReferralChange change;
  while (static_cast<int>(changes.size()) < n && reader->Read(&change)) {
    if (IsBreach(change)) continue;
    changes.push_back(change);
  }
  context->TryCancel();  // the disconnect
  reader->Finish();
  return changes;
}

TEST_F(ReferralsIntegrationTest, WatchResumesFromItsCursorAfterADisconnect) {
  const v1::Referral sent = SendAllocation();
  std::vector<v1::ReferralChange> first =
      WatchSome(*referrals_, SubAdviser(), sub_, "", 1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].event_type(), "employability.partners.v1.ReferralSent");
  EXPECT_EQ(first[0].referral().name(), sent.name());

  // While disconnected: accepted, then started.
  v1::Referral after;
  ASSERT_TRUE(Accept(sent.name(), &after).ok());
  v1::StartReferralRequest start;
  start.set_name(sent.name());
  ASSERT_TRUE(
      referrals_->StartReferral(CallContext(SubAdviser()).get(), start, &after)
          .ok());
  std::vector<v1::ReferralChange> resumed =
      WatchSome(*referrals_, SubAdviser(), sub_, first[0].cursor(), 2);
  ASSERT_EQ(resumed.size(), 2u);
  EXPECT_EQ(resumed[0].event_type(),
            "employability.partners.v1.ReferralAccepted");
  EXPECT_EQ(resumed[1].event_type(),
            "employability.partners.v1.ReferralStarted");
  EXPECT_NE(resumed[0].cursor(), first[0].cursor());
  EXPECT_EQ(resumed[1].referral().state(), v1::STARTED);
  // Nothing after the last: a watch from there delivers nothing new.
  std::unique_ptr<grpc::ClientContext> context =
      CallContext(SubAdviser(), absl::Milliseconds(500));
  v1::WatchReferralsRequest request;
  request.set_parent(absl::StrCat("organisations/", sub_));
  request.set_cursor(resumed[1].cursor());
  auto reader = referrals_->WatchReferrals(context.get(), request);
  v1::ReferralChange change;
  while (reader->Read(&change)) {
    EXPECT_TRUE(IsBreach(change)) << change.event_type();
  }
  EXPECT_EQ(reader->Finish().error_code(), Code::DEADLINE_EXCEEDED);

  // Another organisation may not watch the sub-contractor's inbox.
  std::unique_ptr<grpc::ClientContext> stranger =
      CallContext(TestCaller{agency_, "al", type::v1::ADVISER, "", ""});
  request.set_cursor("");
  auto refused = referrals_->WatchReferrals(stranger.get(), request);
  EXPECT_FALSE(refused->Read(&change));
  EXPECT_EQ(refused->Finish().error_code(), Code::PERMISSION_DENIED);
}

TEST_F(ReferralsIntegrationTest,
       BulkImportAnswersEachRowAndStoresNoPartialRow) {
  // A second participant the sub-contractor already holds.
  const std::string held = participant_;
  const v1::Referral sent = SendAllocation();
  v1::Referral after;
  ASSERT_TRUE(Accept(sent.name(), &after).ok());

  std::unique_ptr<grpc::ClientContext> context = CallContext(SubContracts());
  v1::ImportReferralsResponse response;
  auto writer = referrals_->ImportReferrals(context.get(), &response);
  const std::string parent = absl::StrCat("organisations/", sub_);
  const google::protobuf::Timestamp yesterday =
      ToProtoTimestamp(clock_.Now() - absl::Hours(24));
  {
    v1::ImportReferralsRequest row;  // a good case
    row.set_parent(parent);
    row.set_row_id("case-1");
    v1::ImportedCase* c = row.mutable_existing_case();
    c->set_participant(held);
    c->set_sender(prime_);
    c->set_state(v1::STARTED);
    *c->mutable_accept_time() = yesterday;
    *c->mutable_start_time() = yesterday;
    ASSERT_TRUE(writer->Write(row));
  }
  {
    v1::ImportReferralsRequest row;  // no participant
    row.set_parent(parent);
    row.set_row_id("case-2");
    row.mutable_existing_case()->set_sender(prime_);
    row.mutable_existing_case()->set_state(v1::ACCEPTED);
    *row.mutable_existing_case()->mutable_accept_time() = yesterday;
    ASSERT_TRUE(writer->Write(row));
  }
  {
    v1::ImportReferralsRequest row;  // an outcome with no outcome
    row.set_parent(parent);
    row.set_row_id("outcome-1");
    row.mutable_outcome_update()->set_referral(sent.name());
    row.mutable_outcome_update()->set_state(v1::DID_NOT_START);
    ASSERT_TRUE(writer->Write(row));
  }
  {
    v1::ImportReferralsRequest row;  // a good outcome
    row.set_parent(parent);
    row.set_row_id("outcome-2");
    row.mutable_outcome_update()->set_referral(sent.name());
    row.mutable_outcome_update()->set_state(v1::DID_NOT_START);
    row.mutable_outcome_update()->set_not_started_reason(v1::UNCONTACTABLE);
    ASSERT_TRUE(writer->Write(row));
  }
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << test_harness::Describe(status);
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_TRUE(response.results(0).accepted()) << response.results(0).error();
  EXPECT_FALSE(response.results(1).accepted());
  EXPECT_TRUE(absl::StartsWith(response.results(1).error(),
                               "existing_case.participant"))
      << response.results(1).error();
  EXPECT_FALSE(response.results(2).accepted());
  EXPECT_TRUE(absl::StartsWith(response.results(2).error(),
                               "outcome_update.not_started_reason"))
      << response.results(2).error();
  EXPECT_TRUE(response.results(3).accepted()) << response.results(3).error();
  EXPECT_EQ(response.accepted_count(), 2);
  EXPECT_EQ(response.rejected_count(), 2);

  // The inbox: the sent referral (now not started) and the imported case,
  // and nothing from the bad rows.
  v1::ListReferralsRequest list;
  list.set_parent(parent);
  list.set_box(v1::RECEIVED);
  v1::ListReferralsResponse listed;
  ASSERT_TRUE(
      referrals_->ListReferrals(CallContext(SubAdviser()).get(), list, &listed)
          .ok());
  ASSERT_EQ(listed.referrals_size(), 2);
  int imported = 0;
  for (const v1::Referral& r : listed.referrals()) {
    imported += r.imported();
    if (r.name() == sent.name()) {
      EXPECT_EQ(r.state(), v1::DID_NOT_START);
    }
  }
  EXPECT_EQ(imported, 1);
}

TEST_F(ReferralsIntegrationTest, ErasingTheParticipantWipesTheirReferrals) {
  const v1::Referral sent = SendAllocation();
  ASSERT_FALSE(sent.handover().summary().empty());
  pv1::EraseParticipantRequest erase;
  erase.set_name(participant_);
  erase.set_erasure_reference("DPR-2026-0042");
  pv1::Participant erased;
  std::unique_ptr<pv1::ParticipantData::Stub> data =
      pv1::ParticipantData::NewStub(suite_->channel());
  grpc::Status status = data->EraseParticipant(
      CallContext(
          TestCaller{prime_, "quinn", type::v1::QUALITY_MANAGER, "", ""})
          .get(),
      erase, &erased);
  ASSERT_TRUE(status.ok()) << test_harness::Describe(status);

  v1::Referral wiped;
  EXPECT_TRUE(test_harness::PollUntil(
      [&] {
        v1::GetReferralRequest get;
        get.set_name(sent.name());
        return referrals_
                   ->GetReferral(CallContext(PrimeAdviser()).get(), get, &wiped)
                   .ok() &&
               wiped.participant_erased();
      },
      absl::Seconds(10)))
      << wiped.DebugString();
  EXPECT_TRUE(wiped.reason().empty());
  EXPECT_TRUE(wiped.handover().summary().empty());
  // What aggregates need stays.
  EXPECT_EQ(wiped.state(), v1::SENT);
  EXPECT_EQ(wiped.kind(), v1::ALLOCATION);
  EXPECT_EQ(wiped.steps_size(), sent.steps_size());
}

TEST_F(ReferralsIntegrationTest, ReferralAccessIsInTheParticipantsAuditTrail) {
  const v1::Referral sent = SendAllocation();
  v1::GetReferralRequest get;
  get.set_name(sent.name());
  v1::Referral read;
  ASSERT_TRUE(
      referrals_->GetReferral(CallContext(SubAdviser()).get(), get, &read)
          .ok());
  std::unique_ptr<audit::v1::AuditTrail::Stub> trail =
      audit::v1::AuditTrail::NewStub(suite_->channel());
  audit::v1::ListAuditEntriesRequest request;
  request.set_parent(absl::StrCat("organisations/", prime_));
  request.set_participant(participant_);
  audit::v1::ListAuditEntriesResponse response;
  grpc::Status status = trail->ListAuditEntries(
      CallContext(
          TestCaller{prime_, "quinn", type::v1::QUALITY_MANAGER, "", ""})
          .get(),
      request, &response);
  ASSERT_TRUE(status.ok()) << test_harness::Describe(status);
  bool created = false, read_by_sub = false;
  for (const audit::v1::AuditEntry& entry : response.audit_entries()) {
    if (entry.record() != sent.name()) continue;
    created |= absl::EndsWith(entry.method(), "Referrals/CreateReferral") &&
               entry.actor_organisation() == prime_;
    read_by_sub |= absl::EndsWith(entry.method(), "Referrals/GetReferral") &&
                   entry.actor_organisation() == sub_ &&
                   entry.actor_user() == "sam";
  }
  EXPECT_TRUE(created) << response.DebugString();
  EXPECT_TRUE(read_by_sub) << response.DebugString();
}

// The participants service does not answer (nothing listens where the
// partners service looks for it): sending is UNAVAILABLE within the consent
// check's deadline, never a hang, and nothing is stored.
TEST_F(ReferralsIntegrationTest, APeerThatDoesNotAnswerIsUnavailable) {
  absl::SetFlag(&FLAGS_participants_address, "127.0.0.1:1");
  const absl::Time start = absl::Now();
  v1::Referral referral;
  grpc::Status status = referrals_->CreateReferral(
      CallContext(PrimeAdviser()).get(), AllocationTo(sub_, true), &referral);
  absl::SetFlag(&FLAGS_participants_address, "");
  EXPECT_EQ(status.error_code(), Code::UNAVAILABLE)
      << test_harness::Describe(status);
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  v1::ListReferralsRequest list;
  list.set_parent(absl::StrCat("organisations/", prime_));
  list.set_box(v1::SENT_BY);
  v1::ListReferralsResponse listed;
  ASSERT_TRUE(
      referrals_
          ->ListReferrals(CallContext(PrimeAdviser()).get(), list, &listed)
          .ok());
  EXPECT_EQ(listed.referrals_size(), 0);
}

}  // namespace
}  // namespace employability
