// One participant's whole journey, end to end over real gRPC against a real
// redis-server, as an adviser works it across ten months: referral, a barrier,
// an action plan agreed by both (which starts them), contacts, a group
// session with its evaluation and follow-up, a job start, earnings, retention
// checks at 4, 13 and 26 weeks, a job outcome, a case review, exit, re-join
// and erasure. After every step the test checks the events the step put on
// the contract's stream, in order.
//
// The service runs on a fake clock that the test moves on, so that months
// pass in milliseconds and every date rule applies as it would in real time.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/time/clock.h"
#include "employability/participants/v1/action_plans.grpc.pb.h"
#include "employability/participants/v1/barriers.grpc.pb.h"
#include "employability/participants/v1/case_reviews.grpc.pb.h"
#include "employability/participants/v1/contacts.grpc.pb.h"
#include "employability/participants/v1/group_sessions.grpc.pb.h"
#include "employability/participants/v1/participant_data.grpc.pb.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "employability/participants/v1/progression.grpc.pb.h"
#include "tests/harness/journey_suite.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using test_harness::CallContext;
using test_harness::ContractName;
using test_harness::Describe;
using test_harness::MakeDate;
using test_harness::UniqueId;
using test_harness::For;
using test_harness::TestCaller;
using test_harness::Unpack;

// The organisation's quality manager: case reviews, erasure, subject access.
TestCaller QualityManager() {
  return test_harness::As(TestCaller{}, type::v1::QUALITY_MANAGER);
}
namespace v1 = ::employability::participants::v1;

class JourneyScenarioTest : public test_harness::JourneySuiteTest {
 protected:
  // The service runs on clock_, which the test moves on.
  JourneyScenarioTest() : JourneySuiteTest("journey", &clock_) {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(JourneySuiteTest::SetUp());
    barriers_ = Stub<v1::Barriers>();
    plans_ = Stub<v1::ActionPlans>();
    contacts_ = Stub<v1::Contacts>();
    sessions_ = Stub<v1::GroupSessions>();
    progression_ = Stub<v1::Progression>();
    reviews_ = Stub<v1::CaseReviews>();
    data_ = Stub<v1::ParticipantData>();
  }

  // Moves the service's clock to 10:00 UTC on the day.
  void Today(int year, int month, int day) {
    clock_.Set(absl::FromCivil(absl::CivilSecond(year, month, day, 10, 0, 0),
                               absl::UTCTimeZone()));
  }

  FakeClock clock_;
  std::unique_ptr<v1::Barriers::Stub> barriers_;
  std::unique_ptr<v1::ActionPlans::Stub> plans_;
  std::unique_ptr<v1::Contacts::Stub> contacts_;
  std::unique_ptr<v1::GroupSessions::Stub> sessions_;
  std::unique_ptr<v1::Progression::Stub> progression_;
  std::unique_ptr<v1::CaseReviews::Stub> reviews_;
  std::unique_ptr<v1::ParticipantData::Stub> data_;
  std::string participant_;
};

#define MUST(call)                                                   \
  do {                                                               \
    grpc::Status status_ = (call);                                   \
    ASSERT_TRUE(status_.ok()) << #call << ": " << Describe(status_); \
  } while (false)

using Types = std::vector<std::string>;

TEST_F(JourneyScenarioTest, ReferralToErasure) {
  // ---- Monday 5 January 2026: referred by Jobcentre Plus.
  Today(2026, 1, 5);
  v1::Participant p;
  {
    v1::CreateParticipantRequest request;
    request.set_parent(ContractName(contract_));
    request.set_request_id(UniqueId("enrol"));
    v1::Participant* in = request.mutable_participant();
    in->set_programme("restart");
    in->set_adviser("adviser-integration");
    in->set_team("team-salford");
    in->set_referral_source(v1::JOBCENTRE_PLUS);
    *in->mutable_referral_date() = MakeDate(2026, 1, 5);
    in->set_given_name("Grace");
    in->set_family_name("Okafor");
    *in->mutable_date_of_birth() = MakeDate(1988, 9, 30);
    in->set_national_insurance_number(
        test_harness::NextNationalInsuranceNumber());
    in->mutable_contact()->set_postcode("M6 5WT");
    in->mutable_contact()->set_phone("07700 900123");
    MUST(participants_->CreateParticipant(CallContext().get(), request, &p));
  }
  participant_ = p.name();
  EXPECT_EQ(p.status(), v1::REFERRED);
  EXPECT_EQ(NewEvents(), Types{"ParticipantCreated"});

  {  // Consent to equality monitoring, and the answers.
    v1::CreateConsentRequest consent;
    consent.set_parent(participant_);
    consent.set_request_id(UniqueId("consent"));
    consent.mutable_consent()->set_purpose(v1::EQUALITY_MONITORING);
    consent.mutable_consent()->add_data_categories(v1::EQUALITY);
    v1::Consent given;
    MUST(participants_->CreateConsent(CallContext().get(), consent, &given));
    v1::UpdateEqualityDataRequest equality;
    equality.mutable_equality_data()->set_name(participant_ + "/equalityData");
    equality.mutable_equality_data()->set_ethnicity("Black British");
    equality.set_purpose(v1::EQUALITY_MONITORING);
    v1::EqualityData data;
    // Equality data is reached only for its purpose, declared by the caller.
    MUST(participants_->UpdateEqualityData(
        CallContext(For(TestCaller{}, "EQUALITY_MONITORING")).get(), equality,
        &data));
  }
  EXPECT_EQ(NewEvents(), (Types{"ConsentGiven", "EqualityDataRecorded"}));

  {  // The first meeting finds a childcare barrier.
    v1::CreateBarrierRequest request;
    request.set_parent(participant_);
    request.set_request_id(UniqueId("barrier"));
    request.mutable_barrier()->set_type("childcare");
    request.mutable_barrier()->set_severity(v1::HIGH);
    *request.mutable_barrier()->mutable_identified_date() =
        MakeDate(2026, 1, 5);
    request.mutable_barrier()->set_notes("Twins start nursery in September");
    v1::Barrier barrier;
    MUST(barriers_->CreateBarrier(CallContext().get(), request, &barrier));
  }
  EXPECT_EQ(NewEvents(), Types{"BarrierRecorded"});

  // ---- An action plan, linked to work, drafted and then agreed by both.
  v1::ActionPlan plan;
  {
    v1::CreateActionPlanRequest request;
    request.set_parent(participant_);
    request.set_request_id(UniqueId("plan"));
    v1::Goal* goal = request.mutable_action_plan()->add_goals();
    goal->set_description("Find childcare for three days a week");
    goal->set_employment_outcome_link(
        "Childcare lets Grace take the warehouse shifts she wants");
    v1::SmartDetail* smart = goal->mutable_smart();
    smart->set_specific("Register with two nurseries near home");
    smart->set_measure("Places offered in writing");
    smart->set_achievable_support("Adviser books the visits; fund pays fees");
    smart->set_relevance("The main thing stopping her working");
    *smart->mutable_target_date() = MakeDate(2026, 2, 27);
    smart->set_owner("participant");
    v1::Action* action = goal->add_actions();
    action->set_description("Visit Little Stars nursery");
    *action->mutable_due_date() = MakeDate(2026, 1, 16);
    action->set_owner("participant");
    MUST(plans_->CreateActionPlan(CallContext().get(), request, &plan));
  }
  EXPECT_EQ(NewEvents(), Types{"ActionPlanCreated"});

  Today(2026, 1, 7);
  for (v1::AgreementParty party : {v1::PARTICIPANT, v1::ADVISER}) {
    v1::AgreeActionPlanRequest request;
    request.set_name(plan.name());
    request.set_party(party);
    MUST(plans_->AgreeActionPlan(CallContext().get(), request, &plan));
  }
  EXPECT_TRUE(plan.agreed());
  EXPECT_EQ(NewEvents(), (Types{"ActionPlanUpdated", "ActionPlanAgreed",
                                "ParticipantStatusChanged"}));
  p = GetParticipant(participant_);
  EXPECT_EQ(p.status(), v1::STARTED);
  EXPECT_EQ(p.spells(0).start_date().day(), 7);  // the day of agreement

  // ---- Contacts: face to face today, by phone a week later.
  auto contact = [&](const type::v1::Date& date, v1::ContactChannel channel) {
    v1::CreateContactRequest request;
    request.set_parent(participant_);
    request.set_request_id(UniqueId("contact"));
    *request.mutable_contact()->mutable_contact_date() = date;
    request.mutable_contact()->set_channel(channel);
    request.mutable_contact()->set_attendance(v1::ATTENDED);
    request.mutable_contact()->set_duration_minutes(45);
    request.mutable_contact()->set_notes("Went through the nursery list");
    v1::Contact out;
    return contacts_->CreateContact(CallContext().get(), request, &out);
  };
  MUST(contact(MakeDate(2026, 1, 7), v1::FACE_TO_FACE));
  Today(2026, 1, 14);
  MUST(contact(MakeDate(2026, 1, 14), v1::PHONE));
  EXPECT_EQ(NewEvents(), (Types{"ContactRecorded", "ContactRecorded"}));
  p = GetParticipant(participant_);
  EXPECT_EQ(p.contact_summary().last_contact_date().day(), 14);
  EXPECT_EQ(p.contact_summary().last_face_to_face_date().day(), 7);

  // ---- A group session in person, attended and evaluated.
  v1::GroupSession session;
  {
    v1::CreateGroupSessionRequest request;
    request.set_parent(ContractName(contract_));
    request.set_request_id(UniqueId("session"));
    v1::GroupSession* in = request.mutable_group_session();
    in->set_title("Warehouse work: what to expect");
    in->mutable_learning_needs_analysis()->set_starting_points(
        "Most have no recent work; some have forklift experience");
    in->mutable_learning_needs_analysis()->set_goals(
        "Know the roles, shifts and safety rules; a tailored CV");
    in->mutable_learning_needs_analysis()->set_content_and_methods(
        "Employer talk, site video, CV clinic in pairs");
    *in->mutable_session_date() = MakeDate(2026, 1, 14);
    in->set_facilitator("facilitator-1");
    in->set_delivery_mode(v1::IN_PERSON);
    in->set_accessibility_needs_met(true);
    MUST(sessions_->CreateGroupSession(CallContext().get(), request, &session));
    v1::RecordAttendanceRequest attendance;
    attendance.set_name(session.name());
    v1::AttendanceChange* change = attendance.add_attendance();
    change->set_participant(participant_);
    change->set_attendance(v1::ATTENDED);
    MUST(
        sessions_->RecordAttendance(CallContext().get(), attendance, &session));
    v1::RecordEvaluationRequest evaluation;
    evaluation.set_name(session.name());
    v1::Rating* rating = evaluation.add_ratings();
    rating->set_participant(participant_);
    rating->set_rating(5);
    rating->set_comment("I know what a picker does now");
    evaluation.set_facilitator_notes("Good energy; two asked for CV help");
    MUST(
        sessions_->RecordEvaluation(CallContext().get(), evaluation, &session));
  }
  EXPECT_EQ(NewEvents(),
            (Types{"GroupSessionScheduled", "GroupAttendanceRecorded",
                   "GroupSessionEvaluated"}));

  // ---- Monday 2 February: a job start moves her into work.
  Today(2026, 2, 2);
  v1::Job job;
  {
    v1::CreateJobRequest request;
    request.set_parent(participant_);
    request.set_request_id(UniqueId("job"));
    v1::Job* in = request.mutable_job();
    in->set_employer("Northern Distribution Ltd");
    in->set_occupation("Warehouse operative");
    in->set_soc_code("9252");
    in->set_weekly_hours(30);
    in->set_hourly_pay_pence(1271);
    in->set_employment_type(v1::PERMANENT);
    *in->mutable_start_date() = MakeDate(2026, 2, 2);
    MUST(progression_->CreateJob(CallContext().get(), request, &job));
  }
  EXPECT_EQ(NewEvents(), (Types{"JobStarted", "ParticipantStatusChanged"}));
  EXPECT_EQ(GetParticipant(participant_).status(), v1::IN_WORK);

  // ---- 2 March: four weeks in work, and February's payslip.
  Today(2026, 3, 2);
  auto retention = [&](v1::RetentionMilestone milestone,
                       const type::v1::Date& date) {
    v1::RecordRetentionCheckRequest request;
    request.set_name(job.name());
    request.mutable_check()->set_milestone(milestone);
    *request.mutable_check()->mutable_check_date() = date;
    request.mutable_check()->set_still_in_work(true);
    request.mutable_check()->set_weekly_hours(30);
    request.mutable_check()->set_hourly_pay_pence(1271);
    return progression_->RecordRetentionCheck(CallContext().get(), request,
                                              &job);
  };
  MUST(retention(v1::WEEK_4, MakeDate(2026, 3, 2)));
  {
    v1::CreateEarningsEvidenceRequest request;
    request.set_parent(participant_);
    request.set_request_id(UniqueId("earnings"));
    v1::EarningsEvidence* in = request.mutable_earnings_evidence();
    in->set_job(job.name());
    *in->mutable_period_start() = MakeDate(2026, 2, 2);
    *in->mutable_period_end() = MakeDate(2026, 2, 28);
    in->set_gross_earnings_pence(152520);
    in->set_source(v1::PAYSLIP);
    v1::EarningsEvidence out;
    MUST(progression_->CreateEarningsEvidence(CallContext().get(), request,
                                              &out));
  }
  EXPECT_EQ(NewEvents(), (Types{"RetentionChecked", "EarningsRecorded"}));
  {
    auto earnings = Unpack<v1::EarningsRecorded>(last_event());
    EXPECT_EQ(earnings.gross_earnings_pence(), 152520);
    EXPECT_EQ(earnings.facts().team(), "team-salford");
  }

  // ---- 4 May: thirteen weeks; the session's follow-up is due; a review.
  Today(2026, 5, 4);
  MUST(retention(v1::WEEK_13, MakeDate(2026, 5, 4)));
  {
    v1::RecordFollowUpRequest request;
    request.set_name(session.name());
    request.mutable_follow_up()->set_outcome(
        "Three of the group in warehouse work, one on a forklift course");
    request.mutable_follow_up()->set_attendees_progressed(1);
    *request.mutable_follow_up()->mutable_follow_up_date() =
        MakeDate(2026, 5, 4);
    MUST(sessions_->RecordFollowUp(CallContext().get(), request, &session));
  }
  {
    v1::CreateCaseReviewRequest request;
    request.set_parent(participant_);
    request.set_request_id(UniqueId("review"));
    *request.mutable_case_review()->mutable_review_date() =
        MakeDate(2026, 5, 4);
    request.mutable_case_review()->set_findings(
        "In work and settled; childcare holding up");
    request.mutable_case_review()->set_decisions("Keep in-work support");
    *request.mutable_case_review()->mutable_next_review_date() =
        MakeDate(2026, 8, 3);
    v1::CaseReview out;
    // The organisation's quality manager reviews the case.
    MUST(reviews_->CreateCaseReview(CallContext(QualityManager()).get(),
                                    request, &out));
  }
  EXPECT_EQ(NewEvents(), (Types{"RetentionChecked", "GroupSessionFollowedUp",
                                "CaseReviewed"}));

  // ---- 3 August: 26 weeks; the quality service records the job outcome.
  Today(2026, 8, 3);
  MUST(retention(v1::WEEK_26, MakeDate(2026, 8, 3)));
  {
    v1::RecordJobOutcomeRequest request;
    request.set_name(participant_);
    request.set_job(job.name());
    *request.mutable_outcome_date() = MakeDate(2026, 8, 3);
    request.set_rule("restart-sustained-26");
    // The quality service records the outcome, as itself.
    MUST(progression_->RecordJobOutcome(
        test_harness::ServiceContext("quality").get(), request, &p));
  }
  EXPECT_EQ(p.status(), v1::OUTCOME_ACHIEVED);
  EXPECT_EQ(NewEvents(), (Types{"RetentionChecked", "JobOutcomeRecorded",
                                "ParticipantStatusChanged"}));
  ASSERT_EQ(job.retention_checks_size(), 3);

  // ---- 10 August: exits into sustained work.
  Today(2026, 8, 10);
  {
    v1::ExitParticipantRequest request;
    request.set_name(participant_);
    request.set_reason(v1::SUSTAINED_EMPLOYMENT);
    *request.mutable_exit_date() = MakeDate(2026, 8, 10);
    MUST(participants_->ExitParticipant(CallContext().get(), request, &p));
  }
  EXPECT_EQ(p.status(), v1::EXITED);
  EXPECT_EQ(NewEvents(),
            (Types{"ParticipantExited", "ParticipantStatusChanged"}));
  {
    auto status = Unpack<v1::ParticipantStatusChanged>(last_event());
    EXPECT_EQ(status.facts().exit_reason(), v1::SUSTAINED_EMPLOYMENT);
    EXPECT_EQ(status.facts().exit_date().day(), 10);
  }

  // ---- 5 October: the job ended; she is referred again: a new spell.
  Today(2026, 10, 5);
  {
    v1::UpdateParticipantRequest request;
    request.mutable_participant()->set_name(participant_);
    request.mutable_participant()->set_status(v1::REFERRED);
    *request.mutable_participant()->mutable_referral_date() =
        MakeDate(2026, 10, 5);
    request.mutable_update_mask()->add_paths("status");
    request.mutable_update_mask()->add_paths("referral_date");
    MUST(participants_->UpdateParticipant(CallContext().get(), request, &p));
  }
  ASSERT_EQ(p.spells_size(), 2);
  EXPECT_EQ(p.spells(1).number(), 2);
  EXPECT_FALSE(p.has_contact_summary());  // standards start again
  EXPECT_EQ(NewEvents(),
            (Types{"ParticipantUpdated", "ParticipantStatusChanged"}));
  EXPECT_EQ(Unpack<v1::ParticipantStatusChanged>(last_event()).facts().spell(),
            2);

  // ---- She asks for her data to be erased.
  {
    v1::EraseParticipantRequest request;
    request.set_name(participant_);
    request.set_erasure_reference("DSR-2026-0107");
    MUST(data_->EraseParticipant(CallContext(QualityManager()).get(), request,
                                 &p));
  }
  // The equality data goes, and the consent it stood on is withdrawn.
  EXPECT_EQ(NewEvents(), (Types{"EqualityDataErased", "ConsentWithdrawn",
                                "ParticipantErased"}));
  v1::ParticipantDataExport held;
  {
    v1::ExportParticipantDataRequest request;
    request.set_name(participant_);
    MUST(data_->ExportParticipantData(CallContext(QualityManager()).get(),
                                      request, &held));
  }
  EXPECT_TRUE(held.participant().erased());
  EXPECT_TRUE(held.participant().given_name().empty());
  EXPECT_TRUE(held.participant().contact().phone().empty());
  EXPECT_FALSE(held.has_equality_data());
  EXPECT_TRUE(held.barriers(0).notes().empty());
  EXPECT_TRUE(held.action_plans(0).goals(0).description().empty());
  EXPECT_TRUE(held.action_plans(0).goals(0).has_smart());
  EXPECT_EQ(held.contacts_size(), 2);
  for (const v1::Contact& c : held.contacts()) EXPECT_TRUE(c.notes().empty());
  EXPECT_TRUE(held.case_reviews(0).findings().empty());
  ASSERT_EQ(held.group_sessions_size(), 1);
  EXPECT_TRUE(held.group_sessions(0).attendee().comment().empty());
  EXPECT_EQ(held.group_sessions(0).attendee().rating(), 5);
  // What aggregates count stays: the spells, the job, its checks and pay.
  EXPECT_EQ(held.participant().spells_size(), 2);
  EXPECT_EQ(held.participant().spells(0).exit_reason(),
            v1::SUSTAINED_EMPLOYMENT);
  ASSERT_EQ(held.jobs_size(), 1);
  EXPECT_EQ(held.jobs(0).retention_checks_size(), 3);
  EXPECT_EQ(held.jobs(0).hourly_pay_pence(), 1271);
  EXPECT_EQ(held.earnings_evidence(0).gross_earnings_pence(), 152520);
  // No event anywhere on the stream carries her name or contact details.
  auto events = test_harness::ReadEvents(suite_->store(), contract_);
  ASSERT_TRUE(events.ok());
  for (const auto& event : *events) {
    const std::string bytes = event.SerializeAsString();
    EXPECT_EQ(bytes.find("Okafor"), std::string::npos) << event.type();
    EXPECT_EQ(bytes.find("900123"), std::string::npos) << event.type();
    EXPECT_EQ(bytes.find("Twins"), std::string::npos) << event.type();
  }
}

}  // namespace
}  // namespace employability
