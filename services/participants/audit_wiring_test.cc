// Unit tests of the audit trail's wiring into the participants service, on
// the in-memory store: a representative call of every method in the
// service's access policy and the entries each leaves in the contract's
// trail, refusals, bad input, and a trail that cannot be written. The rule
// under test is at the top of case_file.h.
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/audit/audit_trail.h"
#include "common/auth/access_policy.h"
#include "common/storage/forwarding_store.h"
#include "common/time/proto_time.h"
#include "employability/audit/v1/audit.pb.h"
#include "services/participants/access_grant_records.h"
#include "services/participants/action_plan_records.h"
#include "services/participants/barrier_records.h"
#include "services/participants/case_review_records.h"
#include "services/participants/caseload_records.h"
#include "services/participants/catalogues.h"
#include "services/participants/contact_records.h"
#include "services/participants/group_session_records.h"
#include "services/participants/journey_test_fixture.h"
#include "services/participants/participant_data_records.h"
#include "services/participants/progression_records.h"

namespace employability::participants {
namespace {

namespace av1 = ::employability::audit::v1;
using Code = absl::StatusCode;

constexpr char kPrime[] = "prime-north";
constexpr char kPartner[] = "partner-east";

// What an entry should say about the access; the caller's side is checked
// against the caller who made the call.
struct Want {
  av1::AuditAction action;
  std::string record;
  std::string participant;  // empty: about no one participant
  std::string owner;
  av1::AuditOutcome outcome = av1::ALLOWED;
};

// A store whose commits fail while `down` when they touch the audit trail
// (its stream or its registry): everything else answers.
class AuditDownStore final : public storage::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  bool down = false;

  absl::StatusOr<storage::BatchResult> Commit(
      const storage::Batch& batch) override {
    for (const storage::Batch::Step& step : batch.steps()) {
      if (down && absl::StrContains(step.key, ":audit:")) {
        return absl::UnavailableError("redis: connection refused");
      }
    }
    return ForwardingStore::Commit(batch);
  }
};

class AuditWiringTest : public JourneyTest {
 protected:
  AuditWiringTest()
      : policy_(auth::AccessPolicy::ParseBuiltIn(AccessPolicyText())),
        standards_(*ParseContactStandards(ContactStandardsText())),
        barriers_(files_, *ParseBarrierTypes(BarrierTypesText())),
        plans_(files_),
        contacts_(files_, standards_),
        caseloads_(files_, standards_),
        reviews_(files_),
        progression_(files_),
        sessions_(files_),
        data_(files_),
        grants_(files_) {}

  // `who` calling `method` of the participants service `service` as the
  // call gate hands them over: the method named, and the scope the policy
  // gives their role (a service on its own behalf has none).
  auth::Caller Calling(const auth::Caller& who, absl::string_view service,
                       absl::string_view method) {
    auth::Caller caller = who;
    caller.method =
        absl::StrCat("/employability.participants.v1.", service, "/", method);
    exercised_.insert(caller.method);
    if (caller.is_service()) {
      EXPECT_TRUE(policy_.CheckService(caller.method, caller.service).ok())
          << caller.service << " may not call " << caller.method;
      return caller;
    }
    std::optional<auth::v1::Scope> scope =
        policy_.ScopeOf(caller.method, caller.role);
    EXPECT_TRUE(scope.has_value()) << type::v1::StaffRole_Name(caller.role)
                                   << " may not call " << caller.method;
    caller.scope = scope.value_or(auth::v1::SCOPE_UNSPECIFIED);
    return caller;
  }
  // A method with no caller in the domain (reference data), as called.
  void Exercised(absl::string_view service, absl::string_view method) {
    exercised_.insert(
        absl::StrCat("/employability.participants.v1.", service, "/", method));
  }

  // Every entry of the contract's trail, oldest first.
  std::vector<av1::AuditEntry> Trail() {
    auto stream = store_.StreamRead(
        storage::AuditStream(storage::ContractTenancy(kContract)), "", 100000);
    EXPECT_TRUE(stream.ok()) << stream.status();
    std::vector<av1::AuditEntry> entries;
    for (const storage::StreamEntry& entry :
         stream.value_or(std::vector<storage::StreamEntry>{})) {
      absl::StatusOr<av1::AuditEntry> parsed =
          audit::ParseAuditEntry(entry.payload);
      EXPECT_TRUE(parsed.ok()) << parsed.status();
      if (parsed.ok()) entries.push_back(*std::move(parsed));
    }
    return entries;
  }
  // The entries appended since the last call.
  std::vector<av1::AuditEntry> NewEntries() {
    std::vector<av1::AuditEntry> all = Trail();
    std::vector<av1::AuditEntry> fresh(all.begin() + seen_entries_, all.end());
    seen_entries_ = all.size();
    return fresh;
  }

  // Success when the entries appended since the last look are `want`, in
  // order, each made by `caller` through caller.method.
  testing::AssertionResult Left(const auth::Caller& caller,
                                const std::vector<Want>& want) {
    const std::vector<av1::AuditEntry> entries = NewEntries();
    std::vector<std::string> shown;
    for (const av1::AuditEntry& entry : entries) {
      shown.push_back(entry.ShortDebugString());
    }
    const std::string listing = absl::StrJoin(shown, "\n  ");
    if (entries.size() != want.size()) {
      return testing::AssertionFailure()
             << caller.method << ": " << entries.size() << " entries where "
             << want.size() << " were due:\n  " << listing;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      const av1::AuditEntry& e = entries[i];
      const Want& w = want[i];
      const bool denied = w.outcome == av1::DENIED;
      const bool right =
          e.action() == w.action && e.record() == w.record &&
          e.participant() == w.participant &&
          e.owning_organisation() == w.owner && e.outcome() == w.outcome &&
          e.method() == caller.method &&
          e.actor_organisation() == caller.organisation &&
          e.actor_user() == caller.user && e.actor_role() == caller.role &&
          e.actor_service() == caller.service &&
          e.purpose() == caller.purpose && e.reason().empty() != denied &&
          absl::StartsWith(e.name(), absl::StrCat("organisations/", w.owner,
                                                  "/auditEntries/")) &&
          e.has_time();
      if (!right) {
        return testing::AssertionFailure()
               << caller.method << ": entry " << i << " should be "
               << av1::AuditAction_Name(w.action) << " "
               << av1::AuditOutcome_Name(w.outcome) << " of " << w.record
               << " (participant '" << w.participant << "', owner " << w.owner
               << ") by " << caller.organisation << "/" << caller.user
               << caller.service << ":\n  " << listing;
      }
    }
    return testing::AssertionSuccess();
  }

  // A new participant of prime-north, enrolled and started today, with
  // what the journey made so far left out of the next look at the trail.
  v1::Participant Started() {
    v1::Participant p = EnrolAndStart(absl::StrCat("JK", ++enrolled_, "A"));
    NewEntries();
    return p;
  }

  auth::Caller QualityManager() const {
    return Staff(kPrime, "qm-1", auth::v1::ORGANISATION,
                 type::v1::QUALITY_MANAGER);
  }

  // ---- One journey per gRPC service: every method, its entries.

  void ParticipantsJourney();
  void BarriersJourney();
  void ActionPlansJourney();
  void ContactsJourney();
  void CaseloadsJourney();
  void CaseReviewsJourney();
  void ProgressionJourney();
  void GroupSessionsJourney();
  void ParticipantDataJourney();
  void AccessGrantsJourney();

  const auth::AccessPolicy policy_;
  const v1::ContactStandards standards_;
  BarrierRecords barriers_;
  ActionPlanRecords plans_;
  ContactRecords contacts_;
  CaseloadRecords caseloads_;
  CaseReviewRecords reviews_;
  ProgressionRecords progression_;
  GroupSessionRecords sessions_;
  ParticipantDataRecords data_;
  AccessGrantRecords grants_;
  std::set<std::string> exercised_;
  size_t seen_entries_ = 0;
  int enrolled_ = 100000;  // National Insurance numbers given out
};

constexpr char kCollection[] = "contracts/north-west/participants";

void AuditWiringTest::ParticipantsJourney() {
  NewEntries();
  v1::CreateParticipantRequest create;
  create.set_parent("contracts/north-west");
  create.set_request_id("enrol-audit");
  v1::Participant* input = create.mutable_participant();
  input->set_programme("restart");
  input->set_adviser("adviser-1");
  input->set_team("team-a");
  input->set_referral_source(v1::JOBCENTRE_PLUS);
  *input->mutable_referral_date() = Day(2026, 1, 5);
  input->set_given_name("Amira");
  input->set_family_name("Khan");
  *input->mutable_date_of_birth() = Day(1990, 5, 17);
  input->set_national_insurance_number("JK654321A");
  input->mutable_contact()->set_postcode("M1 1AE");
  auth::Caller caller = Calling(adviser_, "Participants", "CreateParticipant");
  absl::StatusOr<v1::Participant> created =
      participants_.Create(caller, create);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string p = created->name();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, p, p, kPrime}}));
  // A replay is no new write: it reads what the first call made.
  ASSERT_TRUE(participants_.Create(caller, create).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p, p, kPrime}}));

  caller = Calling(adviser_, "Participants", "GetParticipant");
  v1::GetParticipantRequest get;
  get.set_name(p);
  ASSERT_TRUE(participants_.Get(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p, p, kPrime}}));

  caller = Calling(adviser_, "Participants", "ListParticipants");
  v1::ListParticipantsRequest list;
  list.set_parent("contracts/north-west");
  ASSERT_TRUE(participants_.List(caller, list).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, kCollection, "", kPrime}}));

  caller = Calling(adviser_, "Participants", "UpdateParticipant");
  v1::UpdateParticipantRequest update;
  update.mutable_participant()->set_name(p);
  update.mutable_participant()->mutable_contact()->set_email("a@example.org");
  update.mutable_update_mask()->add_paths("contact.email");
  ASSERT_TRUE(participants_.Update(caller, update).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, p, p, kPrime}}));
  // The same again changes nothing: a read.
  ASSERT_TRUE(participants_.Update(caller, update).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p, p, kPrime}}));

  caller = Calling(adviser_, "Participants", "CreateConsent");
  v1::CreateConsentRequest consent;
  consent.set_parent(p);
  consent.set_request_id("consent-1");
  consent.mutable_consent()->set_purpose(v1::EQUALITY_MONITORING);
  consent.mutable_consent()->add_data_categories(v1::EQUALITY);
  absl::StatusOr<v1::Consent> given =
      participants_.CreateConsent(caller, consent);
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, given->name(), p, kPrime}}));

  caller = Calling(adviser_, "Participants", "ListConsents");
  v1::ListConsentsRequest consents;
  consents.set_parent(p);
  ASSERT_TRUE(participants_.ListConsents(caller, consents).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/consents", p, kPrime}}));

  caller = Calling(ForEqualityMonitoring(adviser_), "Participants",
                   "UpdateEqualityData");
  v1::UpdateEqualityDataRequest equality;
  equality.mutable_equality_data()->set_name(p + "/equalityData");
  equality.mutable_equality_data()->set_ethnicity("prefer not to say");
  equality.set_purpose(v1::EQUALITY_MONITORING);
  ASSERT_TRUE(participants_.UpdateEqualityData(caller, equality).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, p + "/equalityData", p, kPrime}}));

  caller = Calling(ForEqualityMonitoring(adviser_), "Participants",
                   "GetEqualityData");
  v1::GetEqualityDataRequest get_equality;
  get_equality.set_name(p + "/equalityData");
  get_equality.set_purpose(v1::EQUALITY_MONITORING);
  ASSERT_TRUE(participants_.GetEqualityData(caller, get_equality).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/equalityData", p, kPrime}}));

  caller = Calling(adviser_, "Participants", "WithdrawConsent");
  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(given->name());
  ASSERT_TRUE(participants_.WithdrawConsent(caller, withdraw).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, given->name(), p, kPrime}}));

  caller = Calling(adviser_, "Participants", "ExitParticipant");
  v1::ExitParticipantRequest exit;
  exit.set_name(p);
  exit.set_reason(v1::MOVED_OUT_OF_AREA);
  *exit.mutable_exit_date() = Day(2026, 3, 2);
  ASSERT_TRUE(participants_.Exit(caller, exit).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, p, p, kPrime}}));

  // Deleting is for an enrolment made by mistake: another participant.
  const std::string mistake = Enrol("JK999999A").name();
  NewEntries();
  caller = Calling(adviser_, "Participants", "DeleteParticipant");
  v1::DeleteParticipantRequest remove;
  remove.set_name(mistake);
  ASSERT_TRUE(participants_.Delete(caller, remove).ok());
  EXPECT_TRUE(Left(caller, {{av1::DELETE, mistake, mistake, kPrime}}));
}

void AuditWiringTest::BarriersJourney() {
  const std::string p = Started().name();
  // Reference data names no one: no entry.
  Exercised("Barriers", "ListBarrierTypes");
  EXPECT_GT(barriers_.Types().barrier_types_size(), 0);
  EXPECT_TRUE(NewEntries().empty());

  auth::Caller caller = Calling(adviser_, "Barriers", "CreateBarrier");
  v1::CreateBarrierRequest create;
  create.set_parent(p);
  create.set_request_id("b1");
  create.mutable_barrier()->set_type("childcare");
  create.mutable_barrier()->set_severity(v1::HIGH);
  *create.mutable_barrier()->mutable_identified_date() = Day(2026, 2, 10);
  absl::StatusOr<v1::Barrier> barrier = barriers_.Create(caller, create);
  ASSERT_TRUE(barrier.ok()) << barrier.status();
  const std::string b = barrier->name();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, b, p, kPrime}}));
  // A replayed create reads the barrier the first one made.
  ASSERT_TRUE(barriers_.Create(caller, create).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, b, p, kPrime}}));

  caller = Calling(adviser_, "Barriers", "GetBarrier");
  v1::GetBarrierRequest get;
  get.set_name(b);
  ASSERT_TRUE(barriers_.Get(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, b, p, kPrime}}));

  caller = Calling(adviser_, "Barriers", "ListBarriers");
  v1::ListBarriersRequest list;
  list.set_parent(p);
  ASSERT_TRUE(barriers_.List(caller, list).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/barriers", p, kPrime}}));

  caller = Calling(adviser_, "Barriers", "UpdateBarrier");
  v1::UpdateBarrierRequest update;
  update.mutable_barrier()->set_name(b);
  update.mutable_barrier()->set_severity(v1::LOW);
  update.mutable_update_mask()->add_paths("severity");
  ASSERT_TRUE(barriers_.Update(caller, update).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, b, p, kPrime}}));
  // Unchanged: nothing written, the barrier read.
  ASSERT_TRUE(barriers_.Update(caller, update).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, b, p, kPrime}}));
}

void AuditWiringTest::ActionPlansJourney() {
  const std::string p = Started().name();
  auth::Caller caller = Calling(adviser_, "ActionPlans", "CreateActionPlan");
  v1::CreateActionPlanRequest create;
  create.set_parent(p);
  create.set_request_id("plan-1");
  v1::Goal* goal = create.mutable_action_plan()->add_goals();
  goal->set_description("Phone skills");
  goal->set_employment_outcome_link("Call-centre roles need it");
  v1::SmartDetail* smart = goal->mutable_smart();
  smart->set_specific("Three calls to employers a week");
  smart->set_measure("Calls logged");
  smart->set_achievable_support("Practice calls first");
  smart->set_relevance("Customer service work");
  *smart->mutable_target_date() = Day(2026, 5, 1);
  smart->set_owner("participant");
  absl::StatusOr<v1::ActionPlan> plan = plans_.Create(caller, create);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::string a = plan->name();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, a, p, kPrime}}));

  caller = Calling(adviser_, "ActionPlans", "GetActionPlan");
  v1::GetActionPlanRequest get;
  get.set_name(a);
  ASSERT_TRUE(plans_.Get(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, a, p, kPrime}}));

  caller = Calling(adviser_, "ActionPlans", "ListActionPlans");
  v1::ListActionPlansRequest list;
  list.set_parent(p);
  ASSERT_TRUE(plans_.List(caller, list).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/actionPlans", p, kPrime}}));

  caller = Calling(adviser_, "ActionPlans", "UpdateActionPlan");
  v1::UpdateActionPlanRequest update;
  *update.mutable_action_plan() = *plan;
  update.mutable_action_plan()->mutable_goals(0)->set_description("Phones");
  update.mutable_update_mask()->add_paths("goals");
  ASSERT_TRUE(plans_.Update(caller, update).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, a, p, kPrime}}));

  caller = Calling(adviser_, "ActionPlans", "AgreeActionPlan");
  for (v1::AgreementParty party : {v1::PARTICIPANT, v1::ADVISER}) {
    v1::AgreeActionPlanRequest agree;
    agree.set_name(a);
    agree.set_party(party);
    ASSERT_TRUE(plans_.Agree(caller, agree).ok());
    EXPECT_TRUE(Left(caller, {{av1::UPDATE, a, p, kPrime}}));
    // Agreed already: a read.
    ASSERT_TRUE(plans_.Agree(caller, agree).ok());
    EXPECT_TRUE(Left(caller, {{av1::READ, a, p, kPrime}}));
  }

  caller = Calling(adviser_, "ActionPlans", "ReviewActionPlan");
  v1::ReviewActionPlanRequest review;
  review.set_name(a);
  *review.mutable_review()->mutable_review_date() = Day(2026, 3, 2);
  review.mutable_review()->set_progress("Two calls made");
  ASSERT_TRUE(plans_.Review(caller, review).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, a, p, kPrime}}));
}

void AuditWiringTest::ContactsJourney() {
  const std::string p = Started().name();
  auth::Caller caller = Calling(adviser_, "Contacts", "CreateContact");
  v1::CreateContactRequest create;
  create.set_parent(p);
  create.set_request_id("c1");
  *create.mutable_contact()->mutable_contact_date() = Day(2026, 3, 2);
  create.mutable_contact()->set_channel(v1::FACE_TO_FACE);
  create.mutable_contact()->set_attendance(v1::ATTENDED);
  create.mutable_contact()->set_duration_minutes(45);
  absl::StatusOr<v1::Contact> contact = contacts_.Create(caller, create);
  ASSERT_TRUE(contact.ok()) << contact.status();
  const std::string c = contact->name();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, c, p, kPrime}}));

  caller = Calling(adviser_, "Contacts", "GetContact");
  v1::GetContactRequest get;
  get.set_name(c);
  ASSERT_TRUE(contacts_.Get(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, c, p, kPrime}}));

  caller = Calling(adviser_, "Contacts", "ListContacts");
  v1::ListContactsRequest list;
  list.set_parent(p);
  ASSERT_TRUE(contacts_.List(caller, list).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/contacts", p, kPrime}}));

  caller = Calling(adviser_, "Contacts", "UpdateContact");
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(c);
  update.mutable_contact()->set_notes("Talked through the CV");
  update.mutable_update_mask()->add_paths("notes");
  ASSERT_TRUE(contacts_.Update(caller, update).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, c, p, kPrime}}));

  Exercised("Contacts", "GetContactStandard");
  v1::GetContactStandardRequest standard;
  standard.set_programme("restart");
  ASSERT_TRUE(contacts_.GetStandard(standard).ok());
  EXPECT_TRUE(NewEntries().empty());

  caller = Calling(adviser_, "Contacts", "ListOverdueParticipants");
  v1::ListOverdueParticipantsRequest overdue;
  overdue.set_parent("contracts/north-west");
  overdue.set_adviser("adviser-1");
  ASSERT_TRUE(caseloads_.ListOverdueParticipants(caller, overdue).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, kCollection, "", kPrime}}));
}

void AuditWiringTest::CaseloadsJourney() {
  const std::string p = Started().name();
  const std::string q = Started().name();
  auth::Caller caller = Calling(adviser_, "Caseloads", "GetCaseload");
  v1::GetCaseloadRequest get;
  get.set_parent("contracts/north-west");
  get.set_adviser("adviser-1");
  ASSERT_TRUE(caseloads_.GetCaseload(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, kCollection, "", kPrime}}));

  // A bulk reassignment writes two participants: one entry each.
  caller = Calling(Staff(kPrime, "leader-1", auth::v1::TEAM,
                         type::v1::TEAM_LEADER, "team-a"),
                   "Caseloads", "ReassignParticipants");
  v1::ReassignParticipantsRequest reassign;
  reassign.set_parent("contracts/north-west");
  reassign.add_participants(p);
  reassign.add_participants(q);
  reassign.set_to_adviser("adviser-2");
  ASSERT_TRUE(caseloads_.ReassignParticipants(caller, reassign).ok());
  EXPECT_TRUE(
      Left(caller, {{av1::UPDATE, p, p, kPrime}, {av1::UPDATE, q, q, kPrime}}));
  // Everyone is there already: the selection read, nothing written.
  ASSERT_TRUE(caseloads_.ReassignParticipants(caller, reassign).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, kCollection, "", kPrime}}));
}

void AuditWiringTest::CaseReviewsJourney() {
  const std::string p = Started().name();
  auth::Caller caller =
      Calling(QualityManager(), "CaseReviews", "CreateCaseReview");
  v1::CreateCaseReviewRequest create;
  create.set_parent(p);
  create.set_request_id("r1");
  *create.mutable_case_review()->mutable_review_date() = Day(2026, 3, 2);
  create.mutable_case_review()->set_findings("On track");
  absl::StatusOr<v1::CaseReview> review = reviews_.Create(caller, create);
  ASSERT_TRUE(review.ok()) << review.status();
  const std::string r = review->name();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, r, p, kPrime}}));

  caller = Calling(QualityManager(), "CaseReviews", "GetCaseReview");
  v1::GetCaseReviewRequest get;
  get.set_name(r);
  ASSERT_TRUE(reviews_.Get(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, r, p, kPrime}}));

  caller = Calling(adviser_, "CaseReviews", "ListCaseReviews");
  v1::ListCaseReviewsRequest list;
  list.set_parent(p);
  ASSERT_TRUE(reviews_.List(caller, list).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/caseReviews", p, kPrime}}));
}

void AuditWiringTest::ProgressionJourney() {
  const std::string p = Started().name();
  auth::Caller caller = Calling(adviser_, "Progression", "CreateJob");
  v1::CreateJobRequest create;
  create.set_parent(p);
  create.set_request_id("j1");
  v1::Job* input = create.mutable_job();
  input->set_employer("Northern Rail");
  input->set_occupation("Customer service assistant");
  input->set_soc_code("7219");
  input->set_weekly_hours(30);
  input->set_hourly_pay_pence(1250);
  input->set_employment_type(v1::PERMANENT);
  *input->mutable_start_date() = Day(2026, 3, 2);
  absl::StatusOr<v1::Job> job = progression_.CreateJob(caller, create);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string j = job->name();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, j, p, kPrime}}));

  caller = Calling(adviser_, "Progression", "GetJob");
  v1::GetJobRequest get;
  get.set_name(j);
  ASSERT_TRUE(progression_.GetJob(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, j, p, kPrime}}));

  caller = Calling(adviser_, "Progression", "ListJobs");
  v1::ListJobsRequest list;
  list.set_parent(p);
  ASSERT_TRUE(progression_.ListJobs(caller, list).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/jobs", p, kPrime}}));

  clock_.Advance(absl::Hours(24 * 28));  // 30 March: four weeks in work
  caller = Calling(adviser_, "Progression", "RecordRetentionCheck");
  v1::RecordRetentionCheckRequest check;
  check.set_name(j);
  check.mutable_check()->set_milestone(v1::WEEK_4);
  *check.mutable_check()->mutable_check_date() = Day(2026, 3, 30);
  check.mutable_check()->set_still_in_work(true);
  check.mutable_check()->set_weekly_hours(30);
  check.mutable_check()->set_hourly_pay_pence(1250);
  ASSERT_TRUE(progression_.RecordRetentionCheck(caller, check).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, j, p, kPrime}}));

  caller = Calling(adviser_, "Progression", "CreateEarningsEvidence");
  v1::CreateEarningsEvidenceRequest earnings;
  earnings.set_parent(p);
  earnings.set_request_id("e1");
  earnings.mutable_earnings_evidence()->set_job(j);
  *earnings.mutable_earnings_evidence()->mutable_period_start() =
      Day(2026, 3, 2);
  *earnings.mutable_earnings_evidence()->mutable_period_end() = Day(2026, 3, 8);
  earnings.mutable_earnings_evidence()->set_gross_earnings_pence(37500);
  earnings.mutable_earnings_evidence()->set_source(v1::PAYSLIP);
  absl::StatusOr<v1::EarningsEvidence> evidence =
      progression_.CreateEarningsEvidence(caller, earnings);
  ASSERT_TRUE(evidence.ok()) << evidence.status();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, evidence->name(), p, kPrime}}));

  caller = Calling(adviser_, "Progression", "ListEarningsEvidence");
  v1::ListEarningsEvidenceRequest list_earnings;
  list_earnings.set_parent(p);
  ASSERT_TRUE(progression_.ListEarningsEvidence(caller, list_earnings).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/earnings", p, kPrime}}));

  caller = Calling(adviser_, "Progression", "EndJob");
  v1::EndJobRequest end;
  end.set_name(j);
  *end.mutable_end_date() = Day(2026, 3, 30);
  end.set_reason(v1::RESIGNED);
  ASSERT_TRUE(progression_.EndJob(caller, end).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, j, p, kPrime}}));

  // The quality service on its own behalf: audited too, as the service.
  caller = Calling(Service("quality"), "Progression", "RecordJobOutcome");
  v1::RecordJobOutcomeRequest outcome;
  outcome.set_name(p);
  outcome.set_job(j);
  *outcome.mutable_outcome_date() = Day(2026, 3, 30);
  outcome.set_rule("restart-jo-1");
  ASSERT_TRUE(progression_.RecordJobOutcome(caller, outcome).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, p, p, kPrime}}));
  // Recorded already: the participant read.
  ASSERT_TRUE(progression_.RecordJobOutcome(caller, outcome).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p, p, kPrime}}));
}

void AuditWiringTest::GroupSessionsJourney() {
  const std::string p = Started().name();
  const std::string q = Started().name();
  auth::Caller caller =
      Calling(adviser_, "GroupSessions", "CreateGroupSession");
  v1::CreateGroupSessionRequest create;
  create.set_parent("contracts/north-west");
  create.set_request_id("g1");
  v1::GroupSession* input = create.mutable_group_session();
  input->set_title("CV workshop");
  input->mutable_learning_needs_analysis()->set_starting_points("No CVs");
  input->mutable_learning_needs_analysis()->set_goals("A CV each");
  input->mutable_learning_needs_analysis()->set_content_and_methods("Pairs");
  *input->mutable_session_date() = Day(2026, 3, 2);
  input->set_facilitator("tutor-1");
  input->set_delivery_mode(v1::IN_PERSON);
  input->set_follow_up_after_days(1);
  absl::StatusOr<v1::GroupSession> session = sessions_.Create(caller, create);
  ASSERT_TRUE(session.ok()) << session.status();
  const std::string g = session->name();
  // A session names no one until people attend: one entry for it.
  EXPECT_TRUE(Left(caller, {{av1::CREATE, g, "", kPrime}}));

  caller = Calling(adviser_, "GroupSessions", "GetGroupSession");
  v1::GetGroupSessionRequest get;
  get.set_name(g);
  ASSERT_TRUE(sessions_.Get(caller, get).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, g, "", kPrime}}));

  caller = Calling(adviser_, "GroupSessions", "ListGroupSessions");
  v1::ListGroupSessionsRequest list;
  list.set_parent("contracts/north-west");
  ASSERT_TRUE(sessions_.List(caller, list).ok());
  EXPECT_TRUE(Left(
      caller, {{av1::READ, "contracts/north-west/groupSessions", "", kPrime}}));

  caller = Calling(adviser_, "GroupSessions", "UpdateGroupSession");
  v1::UpdateGroupSessionRequest update;
  update.mutable_group_session()->set_name(g);
  update.mutable_group_session()->set_title("CV and cover letters");
  update.mutable_update_mask()->add_paths("title");
  ASSERT_TRUE(sessions_.Update(caller, update).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, g, "", kPrime}}));

  // Attendance writes two participants' records: one entry each.
  caller = Calling(adviser_, "GroupSessions", "RecordAttendance");
  v1::RecordAttendanceRequest attendance;
  attendance.set_name(g);
  for (const std::string& who : {p, q}) {
    v1::AttendanceChange* change = attendance.add_attendance();
    change->set_participant(who);
    change->set_attendance(v1::ATTENDED);
  }
  ASSERT_TRUE(sessions_.RecordAttendance(caller, attendance).ok());
  EXPECT_TRUE(
      Left(caller, {{av1::UPDATE, g, p, kPrime}, {av1::UPDATE, g, q, kPrime}}));
  // As recorded already: the session read.
  ASSERT_TRUE(sessions_.RecordAttendance(caller, attendance).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, g, "", kPrime}}));

  // One attendee rates it: their entry changes.
  caller = Calling(adviser_, "GroupSessions", "RecordEvaluation");
  v1::RecordEvaluationRequest evaluation;
  evaluation.set_name(g);
  v1::Rating* rating = evaluation.add_ratings();
  rating->set_participant(p);
  rating->set_rating(5);
  rating->set_comment("I have a CV now");
  evaluation.set_facilitator_notes("Good energy");
  ASSERT_TRUE(sessions_.RecordEvaluation(caller, evaluation).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, g, p, kPrime}}));
  // A new evaluation by the other clears the first one's rating: both.
  evaluation.mutable_ratings(0)->set_participant(q);
  ASSERT_TRUE(sessions_.RecordEvaluation(caller, evaluation).ok());
  EXPECT_TRUE(
      Left(caller, {{av1::UPDATE, g, p, kPrime}, {av1::UPDATE, g, q, kPrime}}));
  // Only the facilitator's notes change: the session's own entry.
  evaluation.set_facilitator_notes("Good energy; IT follow-up for two");
  ASSERT_TRUE(sessions_.RecordEvaluation(caller, evaluation).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, g, "", kPrime}}));

  clock_.Advance(absl::Hours(24));  // the follow-up is due a day later
  caller = Calling(adviser_, "GroupSessions", "RecordFollowUp");
  v1::RecordFollowUpRequest follow_up;
  follow_up.set_name(g);
  follow_up.mutable_follow_up()->set_outcome("One started work");
  follow_up.mutable_follow_up()->set_attendees_progressed(1);
  *follow_up.mutable_follow_up()->mutable_follow_up_date() = Day(2026, 3, 3);
  ASSERT_TRUE(sessions_.RecordFollowUp(caller, follow_up).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, g, "", kPrime}}));

  // Another organisation is refused the session, and its owner sees who
  // tried.
  caller = Calling(other_agency_, "GroupSessions", "GetGroupSession");
  EXPECT_EQ(sessions_.Get(caller, get).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(Left(caller, {{av1::READ, g, "", kPrime, av1::DENIED}}));
}

void AuditWiringTest::ParticipantDataJourney() {
  const std::string p = Started().name();
  auth::Caller caller =
      Calling(QualityManager(), "ParticipantData", "ExportParticipantData");
  v1::ExportParticipantDataRequest request;
  request.set_name(p);
  ASSERT_TRUE(data_.Export(caller, request).ok());
  EXPECT_TRUE(Left(caller, {{av1::EXPORT, p, p, kPrime}}));

  caller = Calling(QualityManager(), "ParticipantData", "EraseParticipant");
  v1::EraseParticipantRequest erase;
  erase.set_name(p);
  erase.set_erasure_reference("sar-2026-1");
  ASSERT_TRUE(data_.Erase(caller, erase).ok());
  EXPECT_TRUE(Left(caller, {{av1::ERASE, p, p, kPrime}}));
  // Done already: the erased record read.
  ASSERT_TRUE(data_.Erase(caller, erase).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p, p, kPrime}}));
}

void AuditWiringTest::AccessGrantsJourney() {
  const std::string p = Started().name();
  auth::Caller caller =
      Calling(QualityManager(), "AccessGrants", "CreateAccessGrant");
  v1::CreateAccessGrantRequest create;
  create.set_parent(p);
  create.set_request_id("grant-1");
  v1::AccessGrant* grant = create.mutable_access_grant();
  grant->set_organisation(kPartner);
  grant->set_purpose(v1::REFERRAL_SHARING);
  grant->add_data_categories(v1::IDENTITY);
  *grant->mutable_end_time() =
      ToProtoTimestamp(clock_.Now() + absl::Hours(24 * 90));
  absl::StatusOr<v1::AccessGrant> made = grants_.Create(caller, create);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_TRUE(Left(caller, {{av1::CREATE, made->name(), p, kPrime}}));
  ASSERT_TRUE(grants_.Create(caller, create).ok());  // replayed
  EXPECT_TRUE(Left(caller, {{av1::READ, made->name(), p, kPrime}}));

  caller = Calling(QualityManager(), "AccessGrants", "ListAccessGrants");
  v1::ListAccessGrantsRequest list;
  list.set_parent(p);
  ASSERT_TRUE(grants_.List(caller, list).ok());
  EXPECT_TRUE(Left(caller, {{av1::READ, p + "/accessGrants", p, kPrime}}));

  caller = Calling(QualityManager(), "AccessGrants", "RevokeAccessGrant");
  v1::RevokeAccessGrantRequest revoke;
  revoke.set_name(made->name());
  ASSERT_TRUE(grants_.Revoke(caller, revoke).ok());
  EXPECT_TRUE(Left(caller, {{av1::UPDATE, made->name(), p, kPrime}}));
}

TEST_F(AuditWiringTest, Participants) { ParticipantsJourney(); }
TEST_F(AuditWiringTest, Barriers) { BarriersJourney(); }
TEST_F(AuditWiringTest, ActionPlans) { ActionPlansJourney(); }
TEST_F(AuditWiringTest, Contacts) { ContactsJourney(); }
TEST_F(AuditWiringTest, Caseloads) { CaseloadsJourney(); }
TEST_F(AuditWiringTest, CaseReviews) { CaseReviewsJourney(); }
TEST_F(AuditWiringTest, Progression) { ProgressionJourney(); }
TEST_F(AuditWiringTest, GroupSessions) { GroupSessionsJourney(); }
TEST_F(AuditWiringTest, ParticipantData) { ParticipantDataJourney(); }
TEST_F(AuditWiringTest, AccessGrants) { AccessGrantsJourney(); }

// The journeys above between them call every method the policy lists: a
// method added to the service without a call here fails this test.
TEST_F(AuditWiringTest, EveryMethodOfThePolicyIsExercised) {
  const std::vector<std::function<void()>> journeys = {
      [this] { ParticipantsJourney(); },    [this] { BarriersJourney(); },
      [this] { ActionPlansJourney(); },     [this] { ContactsJourney(); },
      [this] { CaseloadsJourney(); },       [this] { CaseReviewsJourney(); },
      [this] { ProgressionJourney(); },     [this] { GroupSessionsJourney(); },
      [this] { ParticipantDataJourney(); }, [this] { AccessGrantsJourney(); }};
  // Each journey with participants of its own, from 2 March.
  for (const std::function<void()>& journey : journeys) {
    clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0),
                               absl::UTCTimeZone()));
    journey();
  }
  const std::vector<std::string> listed = policy_.Methods();
  EXPECT_EQ(listed.size(), 53u);
  for (const std::string& method : listed) {
    EXPECT_TRUE(exercised_.count(method) > 0) << method << " is not called";
  }
  EXPECT_EQ(exercised_.size(), listed.size());
}

// ---- Refusals

TEST_F(AuditWiringTest, ADeniedReadLeavesOneDeniedEntryForTheOwner) {
  const std::string p = Started().name();
  v1::GetParticipantRequest get;
  get.set_name(p);
  const auth::Caller partner =
      Calling(other_agency_, "Participants", "GetParticipant");
  const absl::Status refused = participants_.Get(partner, get).status();
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_TRUE(Left(partner, {{av1::READ, p, p, kPrime, av1::DENIED}}));
  // A short reason, with nothing about the person in it.
  const av1::AuditEntry denied = Trail().back();
  EXPECT_EQ(denied.reason(), "scope ORGANISATION does not reach IDENTITY");
  EXPECT_EQ(denied.actor_organisation(), kPartner);

  // A participant that does not exist is refused in the same words; the
  // caller's own organisation holds that entry, as no one else could.
  get.set_name("contracts/north-west/participants/nobody");
  const absl::Status missing = participants_.Get(partner, get).status();
  EXPECT_EQ(missing.code(), Code::kPermissionDenied);
  EXPECT_TRUE(Left(
      partner, {{av1::READ, get.name(), get.name(), kPartner, av1::DENIED}}));

  // A refused write is recorded as the write it meant to be.
  const auth::Caller updating =
      Calling(other_agency_, "Participants", "UpdateParticipant");
  v1::UpdateParticipantRequest update;
  update.mutable_participant()->set_name(p);
  update.mutable_participant()->set_adviser("adviser-9");
  update.mutable_update_mask()->add_paths("adviser");
  EXPECT_EQ(participants_.Update(updating, update).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(Left(updating, {{av1::UPDATE, p, p, kPrime, av1::DENIED}}));

  // Equality data without the purpose declared: refused, and recorded.
  const auth::Caller undeclared =
      Calling(adviser_, "Participants", "GetEqualityData");
  v1::GetEqualityDataRequest equality;
  equality.set_name(p + "/equalityData");
  equality.set_purpose(v1::EQUALITY_MONITORING);
  EXPECT_EQ(participants_.GetEqualityData(undeclared, equality).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(Left(undeclared, {{av1::READ, p, p, kPrime, av1::DENIED}}));
}

TEST_F(AuditWiringTest, AListLeavesOutWhatItDoesNotReachWithoutDenials) {
  Started();
  const auth::Caller partner =
      Calling(other_agency_, "Participants", "ListParticipants");
  v1::ListParticipantsRequest list;
  list.set_parent("contracts/north-west");
  list.set_enrolling_organisation(kPrime);
  absl::StatusOr<v1::ListParticipantsResponse> page =
      participants_.List(partner, list);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->participants_size(), 0);
  EXPECT_TRUE(Left(partner, {{av1::READ, kCollection, "", kPartner}}));
}

TEST_F(AuditWiringTest, SpecialCategoryBarriersRefusedOrLeftOut) {
  const v1::Participant started = Started();
  const std::string p = started.name();
  // Recorded under a consent covering HEALTH, which is then withdrawn.
  v1::CreateConsentRequest consent;
  consent.set_parent(p);
  consent.set_request_id("health-consent");
  consent.mutable_consent()->set_purpose(v1::PROGRAMME_DELIVERY);
  consent.mutable_consent()->add_data_categories(v1::HEALTH);
  absl::StatusOr<v1::Consent> given =
      participants_.CreateConsent(adviser_, consent);
  ASSERT_TRUE(given.ok()) << given.status();
  v1::CreateBarrierRequest create;
  create.set_parent(p);
  create.set_request_id("health-barrier");
  create.mutable_barrier()->set_type("health");
  create.mutable_barrier()->set_severity(v1::HIGH);
  *create.mutable_barrier()->mutable_identified_date() = Day(2026, 2, 10);
  absl::StatusOr<v1::Barrier> barrier = barriers_.Create(adviser_, create);
  ASSERT_TRUE(barrier.ok()) << barrier.status();
  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(given->name());
  ASSERT_TRUE(participants_.WithdrawConsent(adviser_, withdraw).ok());
  NewEntries();

  const auth::Caller getting = Calling(adviser_, "Barriers", "GetBarrier");
  v1::GetBarrierRequest get;
  get.set_name(barrier->name());
  EXPECT_EQ(barriers_.Get(getting, get).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(Left(getting, {{av1::READ, p, p, kPrime, av1::DENIED}}));

  const auth::Caller listing = Calling(adviser_, "Barriers", "ListBarriers");
  v1::ListBarriersRequest list;
  list.set_parent(p);
  absl::StatusOr<v1::ListBarriersResponse> page = barriers_.List(listing, list);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->barriers_size(), 0);
  EXPECT_TRUE(Left(listing, {{av1::READ, p + "/barriers", p, kPrime}}));
}

TEST_F(AuditWiringTest, ARefusedReassignmentNamesTheParticipantRefused) {
  const std::string p = Started().name();
  const auth::Caller leader =
      Calling(Staff(kPartner, "leader-9", auth::v1::TEAM, type::v1::TEAM_LEADER,
                    "team-a"),
              "Caseloads", "ReassignParticipants");
  v1::ReassignParticipantsRequest reassign;
  reassign.set_parent("contracts/north-west");
  reassign.add_participants(p);
  reassign.set_to_adviser("adviser-9");
  EXPECT_EQ(caseloads_.ReassignParticipants(leader, reassign).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(Left(leader, {{av1::UPDATE, p, p, kPrime, av1::DENIED}}));
}

// ---- No entry

TEST_F(AuditWiringTest, BadInputLeavesNoEntry) {
  const std::string p = Started().name();
  const auth::Caller getting =
      Calling(adviser_, "Participants", "GetParticipant");
  v1::GetParticipantRequest get;
  get.set_name("participants/nope");
  EXPECT_EQ(participants_.Get(getting, get).status().code(),
            Code::kInvalidArgument);
  const auth::Caller creating = Calling(adviser_, "Contacts", "CreateContact");
  v1::CreateContactRequest contact;
  contact.set_parent(p);
  contact.set_request_id("bad");
  EXPECT_EQ(contacts_.Create(creating, contact).status().code(),
            Code::kInvalidArgument);
  const auth::Caller listing =
      Calling(adviser_, "Participants", "ListParticipants");
  v1::ListParticipantsRequest list;
  list.set_parent("contracts/north-west");
  list.set_page_size(-1);
  EXPECT_EQ(participants_.List(listing, list).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(NewEntries().empty());
}

TEST_F(AuditWiringTest, AFailedCallLeavesNoEntry) {
  const std::string p = Started().name();
  const auth::Caller getting = Calling(adviser_, "Contacts", "GetContact");
  v1::GetContactRequest get;
  get.set_name(p + "/contacts/missing");
  EXPECT_EQ(contacts_.Get(getting, get).status().code(), Code::kNotFound);
  const auth::Caller exiting =
      Calling(adviser_, "Participants", "ExitParticipant");
  v1::ExitParticipantRequest exit;
  exit.set_name(p);
  exit.set_reason(v1::MOVED_OUT_OF_AREA);
  *exit.mutable_exit_date() = Day(2026, 3, 2);
  exit.set_etag("999");
  EXPECT_EQ(participants_.Exit(exiting, exit).status().code(), Code::kAborted);
  EXPECT_TRUE(NewEntries().empty());
}

// ---- A trail that cannot be written

TEST_F(AuditWiringTest, AReadThatCannotBeAuditedFailsClosed) {
  const v1::Participant p = Started();
  AuditDownStore store(store_);
  CaseFiles files(store, clock_, ids_, key_hasher_);
  ParticipantRecords participants(files);
  const auth::Caller caller =
      Calling(adviser_, "Participants", "GetParticipant");
  v1::GetParticipantRequest get;
  get.set_name(p.name());
  ASSERT_TRUE(participants.Get(caller, get).ok());
  NewEntries();

  store.down = true;
  const absl::StatusOr<v1::Participant> got = participants.Get(caller, get);
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  EXPECT_TRUE(absl::StrContains(got.status().message(), "audit trail"))
      << got.status();
  // A write and its entry are one: neither lands.
  const auth::Caller updating =
      Calling(adviser_, "Participants", "UpdateParticipant");
  v1::UpdateParticipantRequest update;
  update.mutable_participant()->set_name(p.name());
  update.mutable_participant()->set_adviser("adviser-2");
  update.mutable_update_mask()->add_paths("adviser");
  EXPECT_EQ(participants.Update(updating, update).status().code(),
            Code::kUnavailable);
  // A refusal is still a refusal.
  const auth::Caller partner =
      Calling(other_agency_, "Participants", "GetParticipant");
  EXPECT_EQ(participants.Get(partner, get).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(NewEntries().empty());

  store.down = false;
  const absl::StatusOr<v1::Participant> again = participants.Get(caller, get);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->adviser(), "adviser-1");  // the update did not land
  EXPECT_TRUE(Left(caller, {{av1::READ, p.name(), p.name(), kPrime}}));
}

}  // namespace
}  // namespace employability::participants
