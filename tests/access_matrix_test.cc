// The access matrix (issue 5): every RPC of the participants, partners and
// audit services × every staff role × every relationship of the caller to
// the record, each cell one real call over gRPC on loopback against a real
// redis-server, its outcome compared with a table of expectations written
// by hand from the issue's rules (never computed from the access policies):
//
//   an adviser sees their organisation's caseload; team leaders their
//   team's; quality managers their organisation's records; a commissioner
//   sees aggregates only, never personal data; equality data only with that
//   purpose; not allowed is PERMISSION_DENIED, in words that do not tell
//   whether a record exists.
//
// The relationships, for a participant's records (the record belongs to a
// participant enrolled by the "own" organisation, in the team of every team
// leader of the matrix):
//   OWN                the caller's organisation enrolled the participant
//   GRANTED            another organisation, holding a live grant covering
//                      every data category, backed by a live consent
//   GRANT_EXPIRED      as GRANTED, but the grant's end time has passed (the
//                      consent is still live)
//   CONSENT_WITHDRAWN  as GRANTED, but the consent backing the grant was
//                      withdrawn (the grant itself is still in its period)
//   OTHER_ORGANISATION another organisation, nothing shared
//   COMMISSIONER       the caller's organisation is a commissioner, nothing
//                      shared (the participants service knows no
//                      organisation types: the partners directory keeps a
//                      commissioner's staff to COMMISSIONER_VIEWER and
//                      ORGANISATION_ADMIN, so its other roles' cells are
//                      callers no directory admits, and must still hold)
// For a group session, the session belongs to the own organisation, with
// the participant attending. For the partners and audit services, OWN is
// the caller's own organisation's directory entry, staff and audit trail
// (the own organisation is a prime provider); the three grant relationships
// are a sub-contractor acting on the prime's entry, staff or trail (grants
// open participants only, so they count for nothing here); OTHER is a
// partner agency, and COMMISSIONER a commissioner's staff, doing the same.
//
// Issue 6 adds the partners service's Referrals, ServiceDirectory and
// Agreements. There OWN is the organisation the row's method is for (each
// row says): the prime provider that enrolled the referral's participant,
// sends its referrals, provides a directory service, and is prime of the
// contract and party to the data-sharing agreement; or, for the receiver's
// steps and inbox, the sub-contractor that receives the prime's referral.
// The grant relationships' sub-contractors hold nothing under that contract
// and are party to nothing: they count for nothing, like the agency (OTHER).
// COMMISSIONER is the contract's own commissioner: it sees and changes the
// contract and sees what hangs under it, and is party to nothing else.
// Referral steps each consume a referral: every cell gets one of its own,
// made today through the API by the prime (and the receiver) in the state
// the step leaves from. WatchReferrals is admitted when its first change
// arrives or its deadline passes unrefused; ImportReferrals sends one row,
// whose result is the cell's status.
//
// A cell's outcome is OK, HIDDEN (OK, and the record is not in the answer:
// a list that filters by reach) or PERMISSION_DENIED. Every request is
// valid for a caller who may make it, so nothing else may appear.
// Destructive methods (delete, exit, erase, withdraw, revoke, reassign, end
// a job, a retention check) get a fixture of their own per cell; the rest
// share one case. Fixtures are made on a fake service clock 35 days in the
// past, which then moves to today: the expired grant has expired, and a job
// started then has reached its 4-week retention check.
//
// Every refusal by a record-level check is asked again about a participant
// (session, organisation) that does not exist, and about an item of the
// participant that does not exist: the answer must be the same, ids aside.
// Smaller tests beside the matrix: the table has exactly one row per method
// the services' generated descriptors declare; a team leader of the own
// organisation but another team; the fixtures' grants and consents are in
// the states the relationships name; the purpose rule on its own.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/storage/keys.h"
#include "common/time/clock.h"
#include "common/time/proto_time.h"
#include "employability/audit/v1/audit.grpc.pb.h"
#include "employability/participants/v1/access_grants.grpc.pb.h"
#include "employability/participants/v1/action_plans.grpc.pb.h"
#include "employability/participants/v1/barriers.grpc.pb.h"
#include "employability/participants/v1/case_reviews.grpc.pb.h"
#include "employability/participants/v1/caseloads.grpc.pb.h"
#include "employability/participants/v1/contacts.grpc.pb.h"
#include "employability/participants/v1/group_sessions.grpc.pb.h"
#include "employability/participants/v1/participant_data.grpc.pb.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "employability/participants/v1/progression.grpc.pb.h"
#include "employability/partners/v1/agreements.grpc.pb.h"
#include "employability/partners/v1/partners.grpc.pb.h"
#include "employability/partners/v1/referrals.grpc.pb.h"
#include "employability/partners/v1/service_directory.grpc.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor_database.h"
#include "services/audit/audit_grpc.h"
#include "services/participants/participants_grpc.h"
#include "services/partners/agreement_records.h"
#include "services/partners/organisation_directory.h"
#include "services/partners/partners_grpc.h"
#include "tests/harness/directory_seed.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"
#include "tests/harness/test_identity.h"

namespace employability {
namespace {

namespace v1 = ::employability::participants::v1;
namespace pv1 = ::employability::partners::v1;
namespace av1 = ::employability::audit::v1;
using test_harness::CallContext;
using test_harness::ContractName;
using test_harness::Describe;
using test_harness::LastSegment;
using test_harness::TestCaller;
using test_harness::ToDate;
using test_harness::UniqueId;
using type::v1::StaffRole;
using Code = grpc::StatusCode;

constexpr StaffRole kAdviser = type::v1::ADVISER;
constexpr StaffRole kTeamLeader = type::v1::TEAM_LEADER;
constexpr StaffRole kQualityManager = type::v1::QUALITY_MANAGER;
constexpr StaffRole kContractManager = type::v1::CONTRACT_MANAGER;
constexpr StaffRole kOrganisationAdmin = type::v1::ORGANISATION_ADMIN;
constexpr StaffRole kCommissionerViewer = type::v1::COMMISSIONER_VIEWER;
constexpr StaffRole kRoles[] = {kAdviser,           kTeamLeader,
                                kQualityManager,    kContractManager,
                                kOrganisationAdmin, kCommissionerViewer};
const std::vector<StaffRole> kEveryRole(std::begin(kRoles), std::end(kRoles));

enum class Relationship {
  kOwn,
  kGranted,
  kGrantExpired,
  kConsentWithdrawn,
  kOtherOrganisation,
  kCommissioner,
};
constexpr Relationship kRelationships[] = {Relationship::kOwn,
                                           Relationship::kGranted,
                                           Relationship::kGrantExpired,
                                           Relationship::kConsentWithdrawn,
                                           Relationship::kOtherOrganisation,
                                           Relationship::kCommissioner};

const char* NameOf(Relationship relationship) {
  switch (relationship) {
    case Relationship::kOwn:
      return "OWN";
    case Relationship::kGranted:
      return "GRANTED";
    case Relationship::kGrantExpired:
      return "GRANT_EXPIRED";
    case Relationship::kConsentWithdrawn:
      return "CONSENT_WITHDRAWN";
    case Relationship::kOtherOrganisation:
      return "OTHER_ORGANISATION";
    case Relationship::kCommissioner:
      return "COMMISSIONER";
  }
  return "?";
}

// How far a method reaches, for the roles it admits: the classes of the
// hand-written table.
enum class Reach {
  // Names no one (catalogues, standards, the directory of organisations):
  // every role the row admits, whatever the relationship.
  kReference,
  // Makes a record of the caller's own organisation under a contract
  // (enrolment, a group session): no existing record is touched, so every
  // role the row admits, whatever the relationship.
  kCreate,
  // A participant's record, casework or reading: the enrolling
  // organisation, and an organisation whose live grant (backed by a live
  // consent) covers it. A team leader reaches their team's participants
  // within their own organisation only: a grant opens a participant to an
  // organisation, never to a team of another.
  kGrantable,
  // Equality data: as kGrantable, and only for the EQUALITY_MONITORING
  // purpose, which every cell of these rows declares (the purpose rule
  // itself has a test of its own below).
  kEquality,
  // Only the owning organisation: the controller's decisions about a
  // participant (deletion, erasure, subject access, grants), an
  // organisation's group sessions (a grant opens a participant, not the
  // sessions of the organisation that enrolled them), an organisation's own
  // directory entry and staff, its audit trail.
  kOwnerOnly,
  // An adviser's caseload, as a list filtered by reach (GetCaseload,
  // ListOverdueParticipants): OK for every role admitted, and the
  // participant is in it when the caller reaches them as for kGrantable.
  kCaseload,
  // ListParticipants: for OWN the caller's organisation's participants; for
  // the others the request names the enrolling organisation, asking for
  // what it shares with the caller. A team leader's reach is their team in
  // their own organisation, so naming another organisation is refused;
  // otherwise the list holds the participant when a grant opens it.
  kParticipantList,
  // ListGroupSessions: the caller's own organisation's sessions; another
  // organisation's never appear.
  kOwnSessions,
  // CreateOrganisation: onboarding by a prime provider's or a
  // commissioner's staff only.
  kOnboard,
  // No member of staff: a suite service's own identity only.
  kService,
  // SendReferral: the sender's step that shares the participant. As
  // kOwnerOnly for the relationships; and the sender must reach the
  // participant, so a team leader of another team is refused.
  kRefer,
  // A contract and what hangs under it, read (or a contract changed): its
  // prime provider (OWN) and its commissioner (COMMISSIONER); nobody else,
  // however many sub-contracts they hold elsewhere.
  kContractParties,
  // ListContracts (of the prime): filtered to the contracts the caller may
  // get: OWN and COMMISSIONER see the contract, the others do not.
  kContractList,
  // ListDataSharingAgreements (of the prime): filtered to the agreements
  // the caller's organisation is party to: only OWN sees it.
  kPartyList,
};

enum class Outcome { kOk, kHidden, kDenied, kOther };

const char* NameOf(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk:
      return "OK";
    case Outcome::kHidden:
      return "HIDDEN";
    case Outcome::kDenied:
      return "PERMISSION_DENIED";
    case Outcome::kOther:
      return "OTHER";
  }
  return "?";
}

// What a destructive method needs afresh in every cell.
enum class Fresh {
  kNone,         // the shared case
  kParticipant,  // a participant of its own, with the cell's relationship
  kConsent,      // a live PROGRAMME_DELIVERY consent of the shared case
  kGrant,        // a live grant of the shared case to a bystander
  kJob,          // a job of the shared case, started 35 days ago
  // A referral of the referral case from the prime to the receiver, made
  // today, in the state named.
  kDraftReferral,
  kSentReferral,
  kAcceptedReferral,
  kStartedReferral,
};

bool IsReferral(Fresh fresh) {
  return fresh == Fresh::kDraftReferral || fresh == Fresh::kSentReferral ||
         fresh == Fresh::kAcceptedReferral || fresh == Fresh::kStartedReferral;
}

// Whose organisation the OWN relationship is on a row: the prime provider
// that enrolled the participant (and sends its referrals, holds its
// contract, provides its directory service), or the organisation that
// receives the prime's referral (for the receiver's steps and inbox).
enum class Acting { kPrime, kReceiver };

// The records a cell's request names.
struct Target {
  std::string participant;  // contracts/{c}/participants/{p}
  std::string consent;
  std::string grant;
  std::string barrier;
  std::string plan;         // not agreed
  std::string agreed_plan;  // agreed by both parties
  std::string contact;
  std::string job;
  std::string case_review;
  std::string session;       // contracts/{c}/groupSessions/{s}
  std::string organisation;  // the owning organisation's id
  std::string staff_user;    // organisations/{o}/staff/{u}
  // The partners service's records of issue 6.
  std::string referral;           // organisations/{receiver}/referrals/{r}
  std::string draft_referral;     // the prime's shared draft
  std::string receiver;           // the referral's receiver's id
  std::string directory_service;  // organisations/{own}/services/{s}
  std::string contract;           // contracts/{c}, in the Agreements API
  std::string sub_contract;       // contracts/{c}/subContracts/{s}
  std::string payment;            // .../outcomePayments/{p}
  std::string agreement;          // dataSharingAgreements/{a}
  // The id of the contract a cell's create makes: the same when the cell
  // is asked again about a missing record.
  std::string new_contract_id;
};

struct Cell {
  StaffRole role;
  Relationship relationship;
  TestCaller caller;
  Target target;
  bool purpose = false;  // declare EQUALITY_MONITORING
};

struct Answer {
  grpc::Status status;
  // For the list rows (kCaseload, kParticipantList, kOwnSessions): whether
  // the answer holds the cell's participant or session.
  bool listed = false;
};

using Call = std::function<Answer(const Cell&)>;

struct Row {
  std::string service;  // full name
  std::string method;
  std::vector<StaffRole> roles;  // who may call it at all
  Reach reach;
  Fresh fresh;
  Call call;
  Acting acting = Acting::kPrime;
  std::string key() const { return absl::StrCat(service, "/", method); }
};

// Where the code and the issue's rules disagree, and the code is wrong: the
// cell is held to what the code does, so that the matrix passes while the
// gap is listed (in the test's output and the report). Each entry says why
// the code is wrong. None known.
struct KnownGap {
  const char* method;  // service/method
  StaffRole role;
  Relationship relationship;
  Outcome observed;
  const char* why;
};
const std::vector<KnownGap> kKnownGaps = {};

bool Admits(const Row& row, StaffRole role) {
  return std::find(row.roles.begin(), row.roles.end(), role) != row.roles.end();
}

// The hand-written expectation of one cell.
Outcome Expected(const Row& row, StaffRole role, Relationship relationship) {
  for (const KnownGap& gap : kKnownGaps) {
    if (row.key() == gap.method && role == gap.role &&
        relationship == gap.relationship) {
      return gap.observed;
    }
  }
  if (!Admits(row, role)) return Outcome::kDenied;
  const bool own = relationship == Relationship::kOwn;
  // A live grant backed by a live consent, and a role whose reach is the
  // organisation (not a team leader's team).
  const bool opened =
      relationship == Relationship::kGranted && role != kTeamLeader;
  switch (row.reach) {
    case Reach::kReference:
    case Reach::kCreate:
      return Outcome::kOk;
    case Reach::kGrantable:
    case Reach::kEquality:
      return own || opened ? Outcome::kOk : Outcome::kDenied;
    case Reach::kOwnerOnly:
      return own ? Outcome::kOk : Outcome::kDenied;
    case Reach::kCaseload:
      return own || opened ? Outcome::kOk : Outcome::kHidden;
    case Reach::kParticipantList:
      if (own) return Outcome::kOk;
      if (role == kTeamLeader) return Outcome::kDenied;
      return opened ? Outcome::kOk : Outcome::kHidden;
    case Reach::kOwnSessions:
      return own ? Outcome::kOk : Outcome::kHidden;
    case Reach::kOnboard:
      return own || relationship == Relationship::kCommissioner
                 ? Outcome::kOk
                 : Outcome::kDenied;
    case Reach::kService:
      return Outcome::kDenied;
    case Reach::kRefer:
      return own ? Outcome::kOk : Outcome::kDenied;
    case Reach::kContractParties:
      return own || relationship == Relationship::kCommissioner
                 ? Outcome::kOk
                 : Outcome::kDenied;
    case Reach::kContractList:
      return own || relationship == Relationship::kCommissioner
                 ? Outcome::kOk
                 : Outcome::kHidden;
    case Reach::kPartyList:
      return own ? Outcome::kOk : Outcome::kHidden;
  }
  return Outcome::kOther;
}

bool IsList(Reach reach) {
  return reach == Reach::kCaseload || reach == Reach::kParticipantList ||
         reach == Reach::kOwnSessions || reach == Reach::kContractList ||
         reach == Reach::kPartyList;
}

// Rows whose refusal comes from a record the request names, so that the
// same request about a record that does not exist must read the same.
bool NamesARecord(Reach reach) {
  return reach == Reach::kGrantable || reach == Reach::kEquality ||
         reach == Reach::kOwnerOnly || reach == Reach::kRefer ||
         reach == Reach::kContractParties;
}

Outcome OutcomeOf(const Row& row, const Answer& answer) {
  if (answer.status.ok()) {
    return IsList(row.reach) && !answer.listed ? Outcome::kHidden
                                               : Outcome::kOk;
  }
  return answer.status.error_code() == Code::PERMISSION_DENIED
             ? Outcome::kDenied
             : Outcome::kOther;
}

// The contract part of a participant's (or any record's) name.
std::string ContractOf(const std::string& name) {
  const size_t slash = name.find('/', std::string("contracts/").size());
  return name.substr(0, slash);
}

constexpr char kTeam[] = "team-matrix";
// Where a team leader of the own organisation in another team stands.
constexpr char kAnotherTeam[] = "ANOTHER_TEAM";
constexpr char kCaseAdviser[] = "matrix-adviser";
constexpr char kEqualityPurpose[] = "EQUALITY_MONITORING";
constexpr v1::DataCategory kEveryCategory[] = {
    v1::IDENTITY, v1::CONTACT,  v1::EMPLOYMENT_HISTORY, v1::BARRIERS,
    v1::HEALTH,   v1::EQUALITY, v1::PROGRESSION};

std::string UserFor(StaffRole role) {
  switch (role) {
    case kAdviser:
      return kCaseAdviser;  // the case's own adviser, in the own organisation
    case kTeamLeader:
      return "matrix-team-leader";
    case kQualityManager:
      return "matrix-quality";
    case kContractManager:
      return "matrix-contracts";
    case kOrganisationAdmin:
      return "matrix-admin";
    default:
      return "matrix-commissioner";
  }
}

// ---- The suite under test and its stubs

struct Stubs {
  std::unique_ptr<v1::Participants::Stub> participants;
  std::unique_ptr<v1::Barriers::Stub> barriers;
  std::unique_ptr<v1::ActionPlans::Stub> plans;
  std::unique_ptr<v1::Contacts::Stub> contacts;
  std::unique_ptr<v1::Caseloads::Stub> caseloads;
  std::unique_ptr<v1::CaseReviews::Stub> reviews;
  std::unique_ptr<v1::Progression::Stub> progression;
  std::unique_ptr<v1::GroupSessions::Stub> sessions;
  std::unique_ptr<v1::ParticipantData::Stub> data;
  std::unique_ptr<v1::AccessGrants::Stub> grants;
  std::unique_ptr<pv1::Partners::Stub> partners;
  std::unique_ptr<av1::AuditTrail::Stub> audit;
  std::unique_ptr<pv1::Referrals::Stub> referrals;
  std::unique_ptr<pv1::ServiceDirectory::Stub> directory;
  std::unique_ptr<pv1::Agreements::Stub> agreements;
};

std::unique_ptr<grpc::ClientContext> ContextFor(const Cell& cell) {
  std::unique_ptr<grpc::ClientContext> context = CallContext(cell.caller);
  if (cell.purpose) {
    context->AddMetadata(auth::kPurposeHeader, kEqualityPurpose);
  }
  return context;
}

template <typename Stub, typename Request, typename Response>
grpc::Status Invoke(Stub& stub,
                    grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                 const Request&, Response*),
                    const Cell& cell, const Request& request) {
  Response response;
  return (stub.*method)(ContextFor(cell).get(), request, &response);
}

// ---- Dates on the service's (fake) clock

absl::TimeZone London() {
  absl::TimeZone london;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  return london;
}

// ---- Valid requests' bodies

v1::Goal Goal(absl::CivilDay today) {
  v1::Goal goal;
  goal.set_description("Get to interviews on time");
  goal.set_employment_outcome_link(
      "The warehouse jobs she is applying for start at 6am");
  v1::SmartDetail* smart = goal.mutable_smart();
  smart->set_specific("Travel the route to the industrial estate twice");
  smart->set_measure("Two practice journeys recorded");
  smart->set_achievable_support("A bus pass from the flexible fund");
  smart->set_relevance("Early shifts are most of the local vacancies");
  *smart->mutable_target_date() = ToDate(today + 60);
  smart->set_owner("participant");
  v1::Action* action = goal.add_actions();
  action->set_description("Apply for the bus pass");
  *action->mutable_due_date() = ToDate(today + 14);
  action->set_owner(kCaseAdviser);
  return goal;
}

v1::Job Job(absl::CivilDay start) {
  v1::Job job;
  job.set_employer("Manchester Care Ltd");
  job.set_occupation("Care worker");
  job.set_soc_code("6135");
  job.set_weekly_hours(37.5);
  job.set_hourly_pay_pence(1221);
  job.set_employment_type(v1::FIXED_TERM);
  *job.mutable_start_date() = ToDate(start);
  return job;
}

v1::GroupSession Session(absl::CivilDay date) {
  v1::GroupSession session;
  session.set_title("Interview skills");
  v1::LearningNeedsAnalysis* needs = session.mutable_learning_needs_analysis();
  needs->set_starting_points("Little recent interview experience");
  needs->set_goals("Answer competency questions with examples");
  needs->set_content_and_methods("Mock interviews in pairs, with feedback");
  *session.mutable_session_date() = ToDate(date);
  session.set_facilitator("tutor-one");
  session.set_delivery_mode(v1::IN_PERSON);
  session.set_accessibility_needs_met(true);
  session.set_follow_up_after_days(30);
  return session;
}

pv1::CreateOrganisationRequest OrganisationRequest(const std::string& id,
                                                   pv1::OrganisationType type) {
  pv1::CreateOrganisationRequest request;
  request.set_organisation_id(id);
  request.set_request_id(UniqueId("req"));
  pv1::Organisation* o = request.mutable_organisation();
  o->set_display_name("Northern Works Ltd");
  o->set_type(type);
  o->mutable_contact()->set_email("office@northern-works.example");
  o->add_areas_served("M1");
  return request;
}

pv1::CreateStaffUserRequest StaffRequest(const std::string& organisation,
                                         const std::string& user) {
  pv1::CreateStaffUserRequest request;
  request.set_parent(absl::StrCat("organisations/", organisation));
  request.set_staff_user_id(user);
  request.set_request_id(UniqueId("req"));
  pv1::StaffUser* s = request.mutable_staff_user();
  s->set_display_name("Priya Shah");
  s->set_email("priya.shah@northern-works.example");
  s->set_role(kAdviser);
  s->set_team(kTeam);
  return request;
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return ToProtoTimestamp(time);
}

std::string OrganisationName(const std::string& organisation) {
  return absl::StrCat("organisations/", organisation);
}

// An allocation of `participant` to the receiver, with a handover the
// participant has agreed.
pv1::Referral ReferralBody(const std::string& participant) {
  pv1::Referral referral;
  referral.set_kind(pv1::ALLOCATION);
  referral.set_participant(participant);
  referral.set_reason("Needs the sub-contractor's specialist health support");
  referral.set_urgency(pv1::ROUTINE);
  referral.mutable_handover()->set_summary(
      "Back pain limits standing work; wants office-based roles");
  referral.mutable_handover()->set_participant_agreed(true);
  return referral;
}

pv1::DirectoryService ServiceBody() {
  pv1::DirectoryService service;
  service.set_display_name("Money and debt advice");
  service.set_description("One-to-one debt advice within two weeks");
  service.add_needs("debt");
  service.add_areas("M1");
  service.mutable_capacity()->set_places_available(12);
  service.mutable_capacity()->set_waiting_time_days(5);
  service.set_accepting_referrals(true);
  return service;
}

pv1::Contract ContractBody(const std::string& commissioner,
                           const std::string& prime, absl::CivilDay today) {
  pv1::Contract contract;
  contract.set_display_name("Restart North West");
  contract.set_programme("Restart Scheme");
  contract.set_commissioner(commissioner);
  contract.set_prime_provider(prime);
  contract.set_contract_area("North West");
  contract.add_area_districts("M1");
  contract.set_nation(pv1::ENGLAND_AND_WALES);
  *contract.mutable_start_date() = ToDate(today - 400);
  *contract.mutable_end_date() = ToDate(today + 400);
  contract.set_expected_referrals(1000);
  contract.set_payment_model(pv1::SERVICE_FEE_AND_OUTCOMES);
  return contract;
}

pv1::SubContract SubContractBody(const std::string& sub_contractor,
                                 int share_percent, absl::CivilDay today) {
  pv1::SubContract sub;
  sub.set_sub_contractor(sub_contractor);
  *sub.mutable_start_date() = ToDate(today - 300);
  *sub.mutable_end_date() = ToDate(today + 300);
  sub.set_expected_referrals(100);
  sub.set_contracted_share_percent(share_percent);
  sub.set_payment_model(pv1::OUTCOME_BASED);
  return sub;
}

pv1::OutcomePayment PaymentBody(absl::CivilDay claimed) {
  pv1::OutcomePayment payment;
  payment.set_outcome(pv1::OutcomePayment::JOB_OUTCOME);
  payment.set_amount_pence(150000);
  *payment.mutable_claim_date() = ToDate(claimed);
  return payment;
}

pv1::DataSharingAgreement AgreementBody(const std::string& a,
                                        const std::string& b,
                                        absl::Time start) {
  pv1::DataSharingAgreement agreement;
  agreement.add_parties(a);
  agreement.add_parties(b);
  agreement.set_purpose("Referral and delivery of employment support");
  for (v1::DataCategory category : kEveryCategory) {
    agreement.add_data_categories(category);
  }
  agreement.set_lawful_basis(pv1::DataSharingAgreement::PUBLIC_TASK);
  agreement.set_special_category_condition(
      "Article 9(2)(g): substantial public interest");
  *agreement.mutable_start_time() = ToProtoTimestamp(start);
  return agreement;
}

class AccessMatrixTest : public testing::Test {
 protected:
  static constexpr int kDaysAgo = 35;

  static void SetUpTestSuite();
  static void TearDownTestSuite();

  void SetUp() override {
    ASSERT_TRUE(ready_) << "the matrix's fixtures could not be made";
  }

  // The day the fixtures were made, and today, on the service's calendar.
  static absl::CivilDay Day0() { return today_ - kDaysAgo; }
  static type::v1::Date Today(int days = 0) { return ToDate(today_ + days); }

  static std::string OrganisationOf(Relationship relationship) {
    switch (relationship) {
      case Relationship::kOwn:
        return own_;
      case Relationship::kGranted:
        return granted_;
      case Relationship::kGrantExpired:
        return expired_;
      case Relationship::kConsentWithdrawn:
        return withdrawn_;
      case Relationship::kOtherOrganisation:
        return other_;
      case Relationship::kCommissioner:
        return commissioner_;
    }
    return "";
  }
  static TestCaller CallerFor(StaffRole role, Relationship relationship) {
    TestCaller caller;
    caller.organisation = OrganisationOf(relationship);
    caller.user = UserFor(role);
    caller.role = role;
    caller.team = kTeam;  // the case's team, in every organisation
    return caller;
  }
  // The caller of a row's cell: OWN is the receiver on the rows of the
  // receiver's steps and inbox.
  static TestCaller CallerFor(StaffRole role, Relationship relationship,
                              const Row& row) {
    TestCaller caller = CallerFor(role, relationship);
    if (relationship == Relationship::kOwn && row.acting == Acting::kReceiver) {
      caller.organisation = receiver_;
    }
    return caller;
  }
  static TestCaller Owner(StaffRole role) {
    return CallerFor(role, Relationship::kOwn);
  }
  static TestCaller Receiver(StaffRole role) {
    TestCaller caller = Owner(role);
    caller.organisation = receiver_;
    return caller;
  }
  // The key of a cell's own fixture; `where` is a relationship's name, or
  // kAnotherTeam.
  static std::string FreshKey(const Row& row, StaffRole role,
                              absl::string_view where) {
    return absl::StrCat(row.key(), "|", StaffRole_Name(role), "|", where);
  }

  // The rows: one per method, written by hand.
  static std::vector<Row> Rows();

  // Fixture makers (as the owning organisation's staff, at Day0).
  static bool Ok(const grpc::Status& status, absl::string_view what);
  static std::string Enrol(const std::string& contract);
  static std::string GiveConsent(const std::string& participant,
                                 v1::ConsentPurpose purpose,
                                 const std::vector<std::string>& organisations,
                                 const std::vector<v1::DataCategory>& of);
  static bool Withdraw(const std::string& consent);
  static std::string Grant(const std::string& participant,
                           const std::string& organisation,
                           absl::Duration lasting);
  static void Share(const std::string& participant, Relationship relationship);
  static std::string StartJob(const std::string& participant);
  static bool MakeOrganisations();
  static bool MakeSharedCase();
  static bool MakeFreshFixtures(bool referrals);
  static std::string MakeFresh(Fresh fresh, Relationship relationship);
  // Issue 6's records: the contract of the shared case's contract id with
  // a sub-contract for the receiver and a payment claimed under it, an
  // ACTIVE data-sharing agreement prime <-> receiver (seeded as a service,
  // as the bootstrap seeds the directory), the prime's directory service,
  // and the referral case: a participant of the prime whose live consent
  // names the receiver.
  static bool MakeAgreements();
  static bool MakeReferralCase();
  // Today: a shared DRAFT and a shared SENT referral.
  static bool MakeSharedReferrals();
  // A referral of the referral case, prime -> receiver, moved to `state`.
  static std::string MakeReferral(pv1::ReferralState state);

  // The target of a cell: the shared case, with the cell's own fixture in
  // place for a destructive method.
  static Target TargetFor(const Row& row, StaffRole role,
                          absl::string_view where);
  // The same target with the participant, the session and the owning
  // organisation replaced by ones that do not exist.
  static Target Ghost(const Target& target);
  // The same target with every item of the participant (consent, grant,
  // barrier, plans, contact, job, case review) replaced by one that does
  // not exist.
  static Target GhostItems(const Target& target);
  // `message` with the ids `target` names blanked out, and the ghosts'.
  static std::string Blanked(std::string message, const Target& target);

  static inline FakeClock* clock_ = nullptr;
  static inline test_harness::SuiteUnderTest* suite_ = nullptr;
  static inline Stubs* stubs_ = nullptr;
  static inline bool ready_ = false;
  static inline absl::CivilDay today_;
  static inline std::string own_, granted_, expired_, withdrawn_, other_,
      commissioner_;
  // The receiver of the prime's referrals (a sub-contractor under the
  // contract, party to the data-sharing agreement), and a sub-contractor
  // the cells' creates name (so that no relationship's organisation ever
  // comes to hold a sub-contract).
  static inline std::string receiver_, bystander_;
  static inline std::string referral_participant_;
  // More participants like it, taking turns: each accepted referral opens
  // its participant to the receiver with a grant of its own, and the
  // participants service keeps at most 100 grants a participant.
  static constexpr int kReferralCases = 4;
  static inline std::string referral_cases_[kReferralCases];
  static inline int next_case_ = 0;
  static inline const std::string ghost_contract_ = UniqueId("ghost");
  static inline std::string contract_;        // the shared case's
  static inline std::string fresh_contract_;  // fresh fixtures and creates
  static inline Target shared_;
  static inline std::map<std::string, std::string>* fresh_ = nullptr;
  static inline const std::string ghost_participant_ = UniqueId("ghost");
  static inline const std::string ghost_session_ = UniqueId("ghost");
  static inline const std::string ghost_organisation_ = UniqueId("ghost");
  static inline const std::string ghost_item_ = UniqueId("ghost");
};

// ---- The table

std::vector<Row> AccessMatrixTest::Rows() {
  Stubs& s = *stubs_;
  const std::string P = "employability.participants.v1.Participants";
  const std::string B = "employability.participants.v1.Barriers";
  const std::string AP = "employability.participants.v1.ActionPlans";
  const std::string C = "employability.participants.v1.Contacts";
  const std::string CL = "employability.participants.v1.Caseloads";
  const std::string CR = "employability.participants.v1.CaseReviews";
  const std::string PR = "employability.participants.v1.Progression";
  const std::string GS = "employability.participants.v1.GroupSessions";
  const std::string PD = "employability.participants.v1.ParticipantData";
  const std::string AG = "employability.participants.v1.AccessGrants";
  const std::string PA = "employability.partners.v1.Partners";
  const std::string AU = "employability.audit.v1.AuditTrail";
  const std::string RF = "employability.partners.v1.Referrals";
  const std::string SD = "employability.partners.v1.ServiceDirectory";
  const std::string AA = "employability.partners.v1.Agreements";

  // Who does what, by the issue's rules and the roles' jobs. A contract
  // manager and a commissioner's viewer handle no personal data at all.
  // Casework: advisers, and team leaders for their team.
  const std::vector<StaffRole> casework = {kAdviser, kTeamLeader};
  // Reading a case: casework staff, and quality managers for compliance.
  const std::vector<StaffRole> readers = {kAdviser, kTeamLeader,
                                          kQualityManager};
  // Case reviews: a team leader or a quality reviewer, not the adviser.
  const std::vector<StaffRole> reviewers = {kTeamLeader, kQualityManager};
  // The controller's decisions (erasure, subject access, grants) and the
  // audit trail: quality managers and admins, never casework staff.
  const std::vector<StaffRole> controller = {kQualityManager,
                                             kOrganisationAdmin};
  // Equality data: collected by the adviser, monitored by quality.
  const std::vector<StaffRole> collector = {kAdviser};
  const std::vector<StaffRole> monitors = {kAdviser, kQualityManager};
  // Moving work between advisers: a management decision.
  const std::vector<StaffRole> managers = {kTeamLeader, kOrganisationAdmin};
  // Who else sees the participant: the enrolling organisation's staff who
  // answer the participant or decide on sharing.
  const std::vector<StaffRole> enrolling_staff = {
      kAdviser, kTeamLeader, kQualityManager, kOrganisationAdmin};
  // Onboarding an organisation: its admin or contract manager.
  const std::vector<StaffRole> onboarders = {kContractManager,
                                             kOrganisationAdmin};
  // An organisation's own entry and staff: its admin changes them; those
  // who manage people read staff records.
  const std::vector<StaffRole> admin = {kOrganisationAdmin};
  const std::vector<StaffRole> people_managers = {kTeamLeader, kQualityManager,
                                                  kOrganisationAdmin};
  // Services only.
  const std::vector<StaffRole> none = {};
  // Referrals: the parties' front line takes the steps; those who answer
  // for quality and the contract read them too (never a commissioner).
  const std::vector<StaffRole> referral_readers = {
      kAdviser, kTeamLeader, kQualityManager, kContractManager};
  const std::vector<StaffRole> watchers = {kAdviser, kTeamLeader,
                                           kContractManager};
  const std::vector<StaffRole> importers = {kContractManager,
                                            kOrganisationAdmin};
  // The service directory: kept by the providing organisation's contract
  // manager and admin; its capacity by its team leaders too.
  const std::vector<StaffRole> service_keepers = {kContractManager,
                                                  kOrganisationAdmin};
  const std::vector<StaffRole> capacity_keepers = {
      kTeamLeader, kContractManager, kOrganisationAdmin};
  // Agreements. The issue is silent on roles; the service's choices are
  // reasonable and expected: commercial terms are changed by the contract
  // manager and the admin, and read by those who work to them (team
  // leaders and quality managers, for the service standards) and by the
  // commissioner's viewer; payments are read without the team leader.
  // Data-sharing agreements are signed by the admin, the contract manager
  // or the quality manager (who answers for data protection), and read by
  // the front line too, who must know what may be shared.
  const std::vector<StaffRole> commercial_keepers = {kContractManager,
                                                     kOrganisationAdmin};
  const std::vector<StaffRole> commercial_readers = {
      kTeamLeader, kQualityManager, kContractManager, kOrganisationAdmin,
      kCommissionerViewer};
  const std::vector<StaffRole> payment_readers = {
      kQualityManager, kContractManager, kOrganisationAdmin,
      kCommissionerViewer};
  const std::vector<StaffRole> sharing_keepers = {
      kQualityManager, kContractManager, kOrganisationAdmin};
  const std::vector<StaffRole> sharing_readers = {
      kAdviser, kTeamLeader, kQualityManager, kContractManager,
      kOrganisationAdmin};

  using R = Reach;
  using F = Fresh;
  std::vector<Row> rows = {
      // ---- Participants
      {P, "CreateParticipant", casework, R::kCreate, F::kNone,
       [&s](const Cell& c) {
         v1::Participant p = test_harness::ValidParticipant();
         p.set_adviser(kCaseAdviser);
         return Answer{Invoke(
             *s.participants, &v1::Participants::Stub::CreateParticipant, c,
             test_harness::CreateRequest(LastSegment(fresh_contract_), p))};
       }},
      {P, "GetParticipant", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::GetParticipantRequest r;
         r.set_name(c.target.participant);
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::GetParticipant, c, r)};
       }},
      {P, "ListParticipants", readers, R::kParticipantList, F::kNone,
       [&s](const Cell& c) {
         v1::ListParticipantsRequest r;
         r.set_parent(ContractOf(c.target.participant));
         r.set_page_size(500);
         if (c.relationship != Relationship::kOwn) {
           r.set_enrolling_organisation(c.target.organisation);
         }
         v1::ListParticipantsResponse out;
         Answer answer{
             s.participants->ListParticipants(ContextFor(c).get(), r, &out)};
         for (const v1::Participant& p : out.participants()) {
           answer.listed |= p.name() == c.target.participant;
         }
         return answer;
       }},
      {P, "UpdateParticipant", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::UpdateParticipantRequest r;
         r.mutable_participant()->set_name(c.target.participant);
         v1::ContactDetails* contact =
             r.mutable_participant()->mutable_contact();
         contact->set_phone("07700 900456");
         contact->set_postcode("M1 1AE");
         r.mutable_update_mask()->add_paths("contact");
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::UpdateParticipant, c,
                              r)};
       }},
      {P, "DeleteParticipant", casework, R::kOwnerOnly, F::kParticipant,
       [&s](const Cell& c) {
         v1::DeleteParticipantRequest r;
         r.set_name(c.target.participant);
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::DeleteParticipant, c,
                              r)};
       }},
      {P, "CreateConsent", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::CreateConsentRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("consent"));
         r.mutable_consent()->set_purpose(v1::PROGRAMME_DELIVERY);
         r.mutable_consent()->add_data_categories(v1::IDENTITY);
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::CreateConsent, c, r)};
       }},
      {P, "WithdrawConsent", readers, R::kGrantable, F::kConsent,
       [&s](const Cell& c) {
         v1::WithdrawConsentRequest r;
         r.set_name(c.target.consent);
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::WithdrawConsent, c, r)};
       }},
      {P, "ListConsents", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ListConsentsRequest r;
         r.set_parent(c.target.participant);
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::ListConsents, c, r)};
       }},
      // Collected by the adviser with the participant; read by the adviser
      // (to correct it) and the quality manager who monitors equality.
      {P, "UpdateEqualityData", collector, R::kEquality, F::kNone,
       [&s](const Cell& c) {
         v1::UpdateEqualityDataRequest r;
         r.mutable_equality_data()->set_name(c.target.participant +
                                             "/equalityData");
         r.mutable_equality_data()->set_ethnicity("Prefer not to say");
         r.set_purpose(v1::EQUALITY_MONITORING);
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::UpdateEqualityData, c,
                              r)};
       }},
      {P, "GetEqualityData", monitors, R::kEquality, F::kNone,
       [&s](const Cell& c) {
         v1::GetEqualityDataRequest r;
         r.set_name(c.target.participant + "/equalityData");
         r.set_purpose(v1::EQUALITY_MONITORING);
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::GetEqualityData, c, r)};
       }},
      {P, "ExitParticipant", casework, R::kGrantable, F::kParticipant,
       [&s](const Cell& c) {
         v1::ExitParticipantRequest r;
         r.set_name(c.target.participant);
         r.set_reason(v1::CHOSE_TO_LEAVE);
         *r.mutable_exit_date() = Today();
         return Answer{Invoke(*s.participants,
                              &v1::Participants::Stub::ExitParticipant, c, r)};
       }},

      // ---- Barriers
      {B, "ListBarrierTypes", kEveryRole, R::kReference, F::kNone,
       [&s](const Cell& c) {
         return Answer{Invoke(*s.barriers,
                              &v1::Barriers::Stub::ListBarrierTypes, c,
                              v1::ListBarrierTypesRequest())};
       }},
      {B, "CreateBarrier", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::CreateBarrierRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("barrier"));
         r.mutable_barrier()->set_type("qualifications");
         r.mutable_barrier()->set_severity(v1::LOW);
         *r.mutable_barrier()->mutable_identified_date() = Today();
         return Answer{
             Invoke(*s.barriers, &v1::Barriers::Stub::CreateBarrier, c, r)};
       }},
      {B, "GetBarrier", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::GetBarrierRequest r;
         r.set_name(c.target.barrier);
         return Answer{
             Invoke(*s.barriers, &v1::Barriers::Stub::GetBarrier, c, r)};
       }},
      {B, "ListBarriers", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ListBarriersRequest r;
         r.set_parent(c.target.participant);
         return Answer{
             Invoke(*s.barriers, &v1::Barriers::Stub::ListBarriers, c, r)};
       }},
      {B, "UpdateBarrier", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::UpdateBarrierRequest r;
         r.mutable_barrier()->set_name(c.target.barrier);
         r.mutable_barrier()->set_notes(
             absl::StrCat("Reviewed by ", c.caller.user));
         r.mutable_update_mask()->add_paths("notes");
         return Answer{
             Invoke(*s.barriers, &v1::Barriers::Stub::UpdateBarrier, c, r)};
       }},

      // ---- Action plans
      {AP, "CreateActionPlan", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::CreateActionPlanRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("plan"));
         *r.mutable_action_plan()->add_goals() = Goal(today_);
         return Answer{
             Invoke(*s.plans, &v1::ActionPlans::Stub::CreateActionPlan, c, r)};
       }},
      {AP, "GetActionPlan", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::GetActionPlanRequest r;
         r.set_name(c.target.plan);
         return Answer{
             Invoke(*s.plans, &v1::ActionPlans::Stub::GetActionPlan, c, r)};
       }},
      {AP, "ListActionPlans", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ListActionPlansRequest r;
         r.set_parent(c.target.participant);
         return Answer{
             Invoke(*s.plans, &v1::ActionPlans::Stub::ListActionPlans, c, r)};
       }},
      {AP, "UpdateActionPlan", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::UpdateActionPlanRequest r;
         r.mutable_action_plan()->set_name(c.target.plan);
         *r.mutable_action_plan()->mutable_next_review_date() = Today(14);
         r.mutable_update_mask()->add_paths("next_review_date");
         return Answer{
             Invoke(*s.plans, &v1::ActionPlans::Stub::UpdateActionPlan, c, r)};
       }},
      // Agreeing again is a no-op, so the cells share one plan.
      {AP, "AgreeActionPlan", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::AgreeActionPlanRequest r;
         r.set_name(c.target.plan);
         r.set_party(v1::ADVISER);
         return Answer{
             Invoke(*s.plans, &v1::ActionPlans::Stub::AgreeActionPlan, c, r)};
       }},
      {AP, "ReviewActionPlan", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ReviewActionPlanRequest r;
         r.set_name(c.target.agreed_plan);
         *r.mutable_review()->mutable_review_date() = Today();
         r.mutable_review()->set_progress("Bus pass arrived; two journeys");
         return Answer{
             Invoke(*s.plans, &v1::ActionPlans::Stub::ReviewActionPlan, c, r)};
       }},

      // ---- Contacts
      // A booked appointment: it does not count as seen, so the case stays
      // overdue for ListOverdueParticipants.
      {C, "CreateContact", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::CreateContactRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("contact"));
         *r.mutable_contact()->mutable_contact_date() = Today(7);
         r.mutable_contact()->set_channel(v1::PHONE);
         r.mutable_contact()->set_attendance(v1::BOOKED);
         return Answer{
             Invoke(*s.contacts, &v1::Contacts::Stub::CreateContact, c, r)};
       }},
      {C, "GetContact", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::GetContactRequest r;
         r.set_name(c.target.contact);
         return Answer{
             Invoke(*s.contacts, &v1::Contacts::Stub::GetContact, c, r)};
       }},
      {C, "ListContacts", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ListContactsRequest r;
         r.set_parent(c.target.participant);
         return Answer{
             Invoke(*s.contacts, &v1::Contacts::Stub::ListContacts, c, r)};
       }},
      {C, "UpdateContact", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::UpdateContactRequest r;
         r.mutable_contact()->set_name(c.target.contact);
         r.mutable_contact()->set_notes(
             absl::StrCat("Noted by ", c.caller.user));
         r.mutable_update_mask()->add_paths("notes");
         return Answer{
             Invoke(*s.contacts, &v1::Contacts::Stub::UpdateContact, c, r)};
       }},
      {C, "GetContactStandard", kEveryRole, R::kReference, F::kNone,
       [&s](const Cell& c) {
         v1::GetContactStandardRequest r;
         r.set_programme("restart");
         return Answer{Invoke(*s.contacts,
                              &v1::Contacts::Stub::GetContactStandard, c, r)};
       }},
      {C, "ListOverdueParticipants", readers, R::kCaseload, F::kNone,
       [&s](const Cell& c) {
         v1::ListOverdueParticipantsRequest r;
         r.set_parent(ContractOf(c.target.participant));
         r.set_adviser(kCaseAdviser);
         r.set_page_size(500);
         v1::ListOverdueParticipantsResponse out;
         Answer answer{
             s.contacts->ListOverdueParticipants(ContextFor(c).get(), r, &out)};
         for (const v1::OverdueParticipant& p : out.participants()) {
           answer.listed |= p.participant() == c.target.participant;
         }
         return answer;
       }},

      // ---- Caseloads
      {CL, "GetCaseload", readers, R::kCaseload, F::kNone,
       [&s](const Cell& c) {
         v1::GetCaseloadRequest r;
         r.set_parent(ContractOf(c.target.participant));
         r.set_adviser(kCaseAdviser);
         r.set_page_size(500);
         v1::Caseload out;
         Answer answer{s.caseloads->GetCaseload(ContextFor(c).get(), r, &out)};
         for (const v1::CaseloadEntry& entry : out.entries()) {
           answer.listed |= entry.participant() == c.target.participant;
         }
         return answer;
       }},
      // A management decision: a team leader within the team, an
      // organisation admin across the organisation's caseload (which holds
      // the participants it was granted).
      {CL, "ReassignParticipants", managers, R::kGrantable, F::kParticipant,
       [&s](const Cell& c) {
         v1::ReassignParticipantsRequest r;
         r.set_parent(ContractOf(c.target.participant));
         r.add_participants(c.target.participant);
         r.set_to_adviser("matrix-adviser-two");
         return Answer{Invoke(
             *s.caseloads, &v1::Caseloads::Stub::ReassignParticipants, c, r)};
       }},

      // ---- Case reviews: by a team leader or a quality reviewer, read by
      // the adviser who acts on them too.
      {CR, "CreateCaseReview", reviewers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::CreateCaseReviewRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("review"));
         *r.mutable_case_review()->mutable_review_date() = Today();
         r.mutable_case_review()->set_findings("Contact standard missed");
         return Answer{Invoke(*s.reviews,
                              &v1::CaseReviews::Stub::CreateCaseReview, c, r)};
       }},
      {CR, "GetCaseReview", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::GetCaseReviewRequest r;
         r.set_name(c.target.case_review);
         return Answer{
             Invoke(*s.reviews, &v1::CaseReviews::Stub::GetCaseReview, c, r)};
       }},
      {CR, "ListCaseReviews", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ListCaseReviewsRequest r;
         r.set_parent(c.target.participant);
         return Answer{
             Invoke(*s.reviews, &v1::CaseReviews::Stub::ListCaseReviews, c, r)};
       }},

      // ---- Progression
      {PR, "CreateJob", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::CreateJobRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("job"));
         *r.mutable_job() = Job(today_);
         return Answer{
             Invoke(*s.progression, &v1::Progression::Stub::CreateJob, c, r)};
       }},
      {PR, "GetJob", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::GetJobRequest r;
         r.set_name(c.target.job);
         return Answer{
             Invoke(*s.progression, &v1::Progression::Stub::GetJob, c, r)};
       }},
      {PR, "ListJobs", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ListJobsRequest r;
         r.set_parent(c.target.participant);
         return Answer{
             Invoke(*s.progression, &v1::Progression::Stub::ListJobs, c, r)};
       }},
      {PR, "EndJob", casework, R::kGrantable, F::kJob,
       [&s](const Cell& c) {
         v1::EndJobRequest r;
         r.set_name(c.target.job);
         *r.mutable_end_date() = Today();
         r.set_reason(v1::CONTRACT_ENDED);
         return Answer{
             Invoke(*s.progression, &v1::Progression::Stub::EndJob, c, r)};
       }},
      {PR, "RecordRetentionCheck", casework, R::kGrantable, F::kJob,
       [&s](const Cell& c) {
         v1::RecordRetentionCheckRequest r;
         r.set_name(c.target.job);
         v1::RetentionCheck* check = r.mutable_check();
         check->set_milestone(v1::WEEK_4);
         *check->mutable_check_date() = Today();
         check->set_still_in_work(true);
         check->set_weekly_hours(37.5);
         check->set_hourly_pay_pence(1221);
         return Answer{Invoke(*s.progression,
                              &v1::Progression::Stub::RecordRetentionCheck, c,
                              r)};
       }},
      {PR, "CreateEarningsEvidence", casework, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::CreateEarningsEvidenceRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("earnings"));
         v1::EarningsEvidence* e = r.mutable_earnings_evidence();
         e->set_job(c.target.job);
         *e->mutable_period_start() = Today(-6);
         *e->mutable_period_end() = Today();
         e->set_gross_earnings_pence(45788);
         e->set_source(v1::PAYSLIP);
         return Answer{Invoke(*s.progression,
                              &v1::Progression::Stub::CreateEarningsEvidence, c,
                              r)};
       }},
      {PR, "ListEarningsEvidence", readers, R::kGrantable, F::kNone,
       [&s](const Cell& c) {
         v1::ListEarningsEvidenceRequest r;
         r.set_parent(c.target.participant);
         return Answer{Invoke(*s.progression,
                              &v1::Progression::Stub::ListEarningsEvidence, c,
                              r)};
       }},
      // Recorded only by the quality service, under its own identity.
      {PR, "RecordJobOutcome", none, R::kService, F::kNone,
       [&s](const Cell& c) {
         v1::RecordJobOutcomeRequest r;
         r.set_name(c.target.participant);
         r.set_job(c.target.job);
         *r.mutable_outcome_date() = Today();
         r.set_rule("restart-jo-1");
         return Answer{Invoke(*s.progression,
                              &v1::Progression::Stub::RecordJobOutcome, c, r)};
       }},

      // ---- Group sessions: the organisation's, not a team's.
      {GS, "CreateGroupSession", casework, R::kCreate, F::kNone,
       [&s](const Cell& c) {
         v1::CreateGroupSessionRequest r;
         r.set_parent(fresh_contract_);
         r.set_request_id(UniqueId("session"));
         *r.mutable_group_session() = Session(today_ + 7);
         return Answer{Invoke(
             *s.sessions, &v1::GroupSessions::Stub::CreateGroupSession, c, r)};
       }},
      {GS, "GetGroupSession", readers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::GetGroupSessionRequest r;
         r.set_name(c.target.session);
         return Answer{Invoke(*s.sessions,
                              &v1::GroupSessions::Stub::GetGroupSession, c, r)};
       }},
      {GS, "ListGroupSessions", readers, R::kOwnSessions, F::kNone,
       [&s](const Cell& c) {
         v1::ListGroupSessionsRequest r;
         r.set_parent(ContractOf(c.target.session));
         r.set_page_size(500);
         v1::ListGroupSessionsResponse out;
         Answer answer{
             s.sessions->ListGroupSessions(ContextFor(c).get(), r, &out)};
         for (const v1::GroupSession& session : out.group_sessions()) {
           answer.listed |= session.name() == c.target.session;
         }
         return answer;
       }},
      {GS, "UpdateGroupSession", casework, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::UpdateGroupSessionRequest r;
         r.mutable_group_session()->set_name(c.target.session);
         r.mutable_group_session()->set_accessibility_notes(
             absl::StrCat("Checked by ", c.caller.user));
         r.mutable_update_mask()->add_paths("accessibility_notes");
         return Answer{Invoke(
             *s.sessions, &v1::GroupSessions::Stub::UpdateGroupSession, c, r)};
       }},
      {GS, "RecordAttendance", casework, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::RecordAttendanceRequest r;
         r.set_name(c.target.session);
         v1::AttendanceChange* change = r.add_attendance();
         change->set_participant(c.target.participant);
         change->set_attendance(v1::ATTENDED);
         return Answer{Invoke(
             *s.sessions, &v1::GroupSessions::Stub::RecordAttendance, c, r)};
       }},
      {GS, "RecordEvaluation", casework, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::RecordEvaluationRequest r;
         r.set_name(c.target.session);
         v1::Rating* rating = r.add_ratings();
         rating->set_participant(c.target.participant);
         rating->set_rating(4);
         rating->set_comment("I feel ready for the real one");
         r.set_facilitator_notes("Strong answers; practise STAR structure");
         return Answer{Invoke(
             *s.sessions, &v1::GroupSessions::Stub::RecordEvaluation, c, r)};
       }},
      {GS, "RecordFollowUp", casework, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::RecordFollowUpRequest r;
         r.set_name(c.target.session);
         r.mutable_follow_up()->set_outcome("One in work, one on a course");
         r.mutable_follow_up()->set_attendees_progressed(1);
         *r.mutable_follow_up()->mutable_follow_up_date() = Today();
         return Answer{Invoke(*s.sessions,
                              &v1::GroupSessions::Stub::RecordFollowUp, c, r)};
       }},

      // ---- Data-protection rights: the controller (the enrolling
      // organisation), by its quality managers and admins.
      {PD, "ExportParticipantData", controller, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::ExportParticipantDataRequest r;
         r.set_name(c.target.participant);
         return Answer{Invoke(
             *s.data, &v1::ParticipantData::Stub::ExportParticipantData, c, r)};
       }},
      {PD, "EraseParticipant", controller, R::kOwnerOnly, F::kParticipant,
       [&s](const Cell& c) {
         v1::EraseParticipantRequest r;
         r.set_name(c.target.participant);
         r.set_erasure_reference("dp-ticket-1");
         return Answer{Invoke(
             *s.data, &v1::ParticipantData::Stub::EraseParticipant, c, r)};
       }},

      // ---- Access grants: opening a participant to another organisation is
      // the controller's decision; who else sees them is for the enrolling
      // organisation's staff, not for the grantees.
      {AG, "CreateAccessGrant", controller, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::CreateAccessGrantRequest r;
         r.set_parent(c.target.participant);
         r.set_request_id(UniqueId("grant"));
         v1::AccessGrant* grant = r.mutable_access_grant();
         grant->set_organisation(UniqueId("bystander"));
         grant->set_purpose(v1::REFERRAL_SHARING);
         grant->add_data_categories(v1::IDENTITY);
         *grant->mutable_end_time() =
             ToTimestamp(clock_->Now() + absl::Hours(24 * 30));
         return Answer{Invoke(
             *s.grants, &v1::AccessGrants::Stub::CreateAccessGrant, c, r)};
       }},
      {AG, "RevokeAccessGrant", controller, R::kOwnerOnly, F::kGrant,
       [&s](const Cell& c) {
         v1::RevokeAccessGrantRequest r;
         r.set_name(c.target.grant);
         return Answer{Invoke(
             *s.grants, &v1::AccessGrants::Stub::RevokeAccessGrant, c, r)};
       }},
      {AG, "ListAccessGrants", enrolling_staff, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         v1::ListAccessGrantsRequest r;
         r.set_parent(c.target.participant);
         return Answer{Invoke(*s.grants,
                              &v1::AccessGrants::Stub::ListAccessGrants, c, r)};
       }},

      // ---- Partners: the directory of organisations is for everyone;
      // staff records are read within the organisation by those who manage
      // people, and changed by its admin.
      {PA, "CreateOrganisation", onboarders, R::kOnboard, F::kNone,
       [&s](const Cell& c) {
         return Answer{Invoke(
             *s.partners, &pv1::Partners::Stub::CreateOrganisation, c,
             OrganisationRequest(UniqueId("onboarded"), pv1::PARTNER_AGENCY))};
       }},
      {PA, "GetOrganisation", kEveryRole, R::kReference, F::kNone,
       [&s](const Cell& c) {
         pv1::GetOrganisationRequest r;
         r.set_name(absl::StrCat("organisations/", c.target.organisation));
         return Answer{
             Invoke(*s.partners, &pv1::Partners::Stub::GetOrganisation, c, r)};
       }},
      {PA, "ListOrganisations", kEveryRole, R::kReference, F::kNone,
       [&s](const Cell& c) {
         return Answer{Invoke(*s.partners,
                              &pv1::Partners::Stub::ListOrganisations, c,
                              pv1::ListOrganisationsRequest())};
       }},
      {PA, "UpdateOrganisation", admin, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateOrganisationRequest r;
         r.mutable_organisation()->set_name(
             absl::StrCat("organisations/", c.target.organisation));
         r.mutable_organisation()->mutable_contact()->set_email(
             "office@northern-works.example");
         r.mutable_update_mask()->add_paths("contact.email");
         return Answer{Invoke(*s.partners,
                              &pv1::Partners::Stub::UpdateOrganisation, c, r)};
       }},
      {PA, "CreateStaffUser", admin, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         return Answer{
             Invoke(*s.partners, &pv1::Partners::Stub::CreateStaffUser, c,
                    StaffRequest(c.target.organisation, UniqueId("staff")))};
       }},
      {PA, "GetStaffUser", people_managers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::GetStaffUserRequest r;
         r.set_name(c.target.staff_user);
         return Answer{
             Invoke(*s.partners, &pv1::Partners::Stub::GetStaffUser, c, r)};
       }},
      {PA, "ListStaffUsers", people_managers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::ListStaffUsersRequest r;
         r.set_parent(absl::StrCat("organisations/", c.target.organisation));
         return Answer{
             Invoke(*s.partners, &pv1::Partners::Stub::ListStaffUsers, c, r)};
       }},
      {PA, "UpdateStaffUser", admin, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateStaffUserRequest r;
         r.mutable_staff_user()->set_name(c.target.staff_user);
         r.mutable_staff_user()->set_display_name(
             absl::StrCat("Priya Shah (", c.caller.user, ")"));
         r.mutable_update_mask()->add_paths("display_name");
         return Answer{
             Invoke(*s.partners, &pv1::Partners::Stub::UpdateStaffUser, c, r)};
       }},
      // The identity layer's question, asked by the suite's services only.
      {PA, "CheckStaffStatus", none, R::kService, F::kNone,
       [&s](const Cell& c) {
         pv1::CheckStaffStatusRequest r;
         r.set_name(c.target.staff_user);
         return Answer{
             Invoke(*s.partners, &pv1::Partners::Stub::CheckStaffStatus, c, r)};
       }},

      // ---- Audit: the owning organisation's trail, for those who answer
      // for data protection there.
      {AU, "ListAuditEntries", controller, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         av1::ListAuditEntriesRequest r;
         r.set_parent(absl::StrCat("organisations/", c.target.organisation));
         return Answer{
             Invoke(*s.audit, &av1::AuditTrail::Stub::ListAuditEntries, c, r)};
       }},

      // ---- Referrals (issue 6): personal data, between two parties. OWN
      // is the party the row's method is for: the sender (the prime that
      // enrolled the participant) for creating, changing, sending and
      // withdrawing a referral; the receiver for its steps (accept,
      // decline, start, not started, complete), for reading it (Get: once
      // sent, the receiver sees it as the sender does) and for its inbox
      // (List, deadlines, Watch, Import). The sub-contractors of the grant
      // relationships hold grants to other participants' records only,
      // which count for nothing here; the agency and the commissioner are
      // strangers: none of them learns whether a referral exists.
      //
      // Even a draft names a participant: only staff who reach the
      // participant write one (the consent is checked when it is sent).
      {RF, "CreateReferral", casework, R::kRefer, F::kNone,
       [&s](const Cell& c) {
         pv1::CreateReferralRequest r;
         r.set_parent(OrganisationName(receiver_));
         *r.mutable_referral() = ReferralBody(referral_participant_);
         r.set_request_id(UniqueId("referral"));
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::CreateReferral, c, r)};
       }},
      {RF, "GetReferral", referral_readers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::GetReferralRequest r;
         r.set_name(c.target.referral);
         return Answer{
             Invoke(*s.referrals, &pv1::Referrals::Stub::GetReferral, c, r)};
       },
       Acting::kReceiver},
      // The receiver's inbox, asked for by name: another organisation is
      // refused (it lists only its own).
      {RF, "ListReferrals", referral_readers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::ListReferralsRequest r;
         r.set_parent(OrganisationName(c.target.receiver));
         r.set_box(pv1::RECEIVED);
         r.set_page_size(500);
         pv1::ListReferralsResponse out;
         Answer answer{
             s.referrals->ListReferrals(ContextFor(c).get(), r, &out)};
         for (const pv1::Referral& referral : out.referrals()) {
           answer.listed |= referral.name() == c.target.referral;
         }
         // The receiver's inbox holds the referral sent to it.
         if (answer.status.ok() && !answer.listed) {
           answer.status = grpc::Status(grpc::StatusCode::NOT_FOUND,
                                        "the sent referral is not listed");
         }
         return answer;
       },
       Acting::kReceiver},
      {RF, "UpdateReferral", casework, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateReferralRequest r;
         r.mutable_referral()->set_name(c.target.draft_referral);
         r.mutable_referral()->set_reason(
             absl::StrCat("Reason revised by ", c.caller.user));
         r.mutable_update_mask()->add_paths("reason");
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::UpdateReferral, c, r)};
       }},
      {RF, "SendReferral", casework, R::kRefer, F::kDraftReferral,
       [&s](const Cell& c) {
         pv1::SendReferralRequest r;
         r.set_name(c.target.referral);
         return Answer{
             Invoke(*s.referrals, &pv1::Referrals::Stub::SendReferral, c, r)};
       }},
      {RF, "AcceptReferral", casework, R::kOwnerOnly, F::kSentReferral,
       [&s](const Cell& c) {
         pv1::AcceptReferralRequest r;
         r.set_name(c.target.referral);
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::AcceptReferral, c, r)};
       },
       Acting::kReceiver},
      {RF, "DeclineReferral", casework, R::kOwnerOnly, F::kSentReferral,
       [&s](const Cell& c) {
         pv1::DeclineReferralRequest r;
         r.set_name(c.target.referral);
         r.set_reason(pv1::NO_CAPACITY);
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::DeclineReferral, c, r)};
       },
       Acting::kReceiver},
      {RF, "StartReferral", casework, R::kOwnerOnly, F::kAcceptedReferral,
       [&s](const Cell& c) {
         pv1::StartReferralRequest r;
         r.set_name(c.target.referral);
         return Answer{
             Invoke(*s.referrals, &pv1::Referrals::Stub::StartReferral, c, r)};
       },
       Acting::kReceiver},
      {RF, "RecordReferralNotStarted", casework, R::kOwnerOnly,
       F::kAcceptedReferral,
       [&s](const Cell& c) {
         pv1::RecordReferralNotStartedRequest r;
         r.set_name(c.target.referral);
         r.set_reason(pv1::UNCONTACTABLE);
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::RecordReferralNotStarted,
                              c, r)};
       },
       Acting::kReceiver},
      {RF, "CompleteReferral", casework, R::kOwnerOnly, F::kStartedReferral,
       [&s](const Cell& c) {
         pv1::CompleteReferralRequest r;
         r.set_name(c.target.referral);
         r.set_outcome(pv1::SUCCESSFUL);
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::CompleteReferral, c, r)};
       },
       Acting::kReceiver},
      // Either party withdraws; OWN is the sender here.
      {RF, "WithdrawReferral", casework, R::kOwnerOnly, F::kSentReferral,
       [&s](const Cell& c) {
         pv1::WithdrawReferralRequest r;
         r.set_name(c.target.referral);
         r.set_reason(pv1::NEED_MET_ELSEWHERE);
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::WithdrawReferral, c, r)};
       }},
      // The issue is silent on who reads the standards' deadlines; the
      // service lets those who read referrals read them: as ListReferrals.
      {RF, "ListReferralDeadlines", referral_readers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::ListReferralDeadlinesRequest r;
         r.set_parent(OrganisationName(c.target.receiver));
         return Answer{Invoke(*s.referrals,
                              &pv1::Referrals::Stub::ListReferralDeadlines, c,
                              r)};
       },
       Acting::kReceiver},
      // The issue is silent on who watches: the service lets the receiver's
      // front line and its contract manager (whose account a case system
      // uses) do it, not its quality manager: reasonable, and expected.
      // Admitted is the first change arriving, or the deadline passing with
      // no refusal.
      {RF, "WatchReferrals", watchers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::WatchReferralsRequest r;
         r.set_parent(OrganisationName(c.target.receiver));
         std::unique_ptr<grpc::ClientContext> context = ContextFor(c);
         context->set_deadline(absl::ToChronoTime(absl::Now() +
                                                  absl::Milliseconds(1500)));
         std::unique_ptr<grpc::ClientReader<pv1::ReferralChange>> reader =
             s.referrals->WatchReferrals(context.get(), r);
         pv1::ReferralChange change;
         if (reader->Read(&change)) {
           context->TryCancel();
           reader->Finish();
           return Answer{grpc::Status::OK};
         }
         const grpc::Status status = reader->Finish();
         if (status.error_code() == Code::DEADLINE_EXCEEDED) {
           return Answer{grpc::Status::OK};
         }
         return Answer{status};
       },
       Acting::kReceiver},
      // The issue is silent on who imports: the service gives it to the
      // receiver's contract manager and admin, a contract-level job. One
      // row, an allocation already under way; a row's refusal comes back
      // in its result, read here as the cell's status.
      {RF, "ImportReferrals", importers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         std::unique_ptr<grpc::ClientContext> context = ContextFor(c);
         pv1::ImportReferralsResponse out;
         std::unique_ptr<grpc::ClientWriter<pv1::ImportReferralsRequest>>
             writer = s.referrals->ImportReferrals(context.get(), &out);
         pv1::ImportReferralsRequest row;
         row.set_parent(OrganisationName(c.target.receiver));
         row.set_row_id(UniqueId("row"));
         pv1::ImportedCase* existing = row.mutable_existing_case();
         existing->set_participant(referral_participant_);
         existing->set_sender(own_);
         existing->set_state(pv1::ACCEPTED);
         *existing->mutable_accept_time() =
             ToTimestamp(clock_->Now() - absl::Hours(1));
         writer->Write(row);
         writer->WritesDone();
         const grpc::Status status = writer->Finish();
         if (!status.ok()) return Answer{status};
         if (out.results_size() != 1) {
           return Answer{grpc::Status(grpc::StatusCode::INTERNAL,
                                      "not one result for one row")};
         }
         const pv1::ImportRowResult& result = out.results(0);
         if (result.accepted()) return Answer{grpc::Status::OK};
         return Answer{grpc::Status(result.error_code() == "PERMISSION_DENIED"
                                        ? Code::PERMISSION_DENIED
                                        : Code::UNKNOWN,
                                    absl::StrCat(result.error_code(), ": ",
                                                 result.error()))};
       },
       Acting::kReceiver},

      // ---- The service directory: read by everyone; kept by the
      // providing organisation (OWN: the prime's own service).
      {SD, "CreateService", service_keepers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::CreateServiceRequest r;
         r.set_parent(OrganisationName(c.target.organisation));
         *r.mutable_service() = ServiceBody();
         r.set_service_id(UniqueId("service"));
         r.set_request_id(UniqueId("req"));
         return Answer{Invoke(*s.directory,
                              &pv1::ServiceDirectory::Stub::CreateService, c,
                              r)};
       }},
      {SD, "GetService", kEveryRole, R::kReference, F::kNone,
       [&s](const Cell& c) {
         pv1::GetServiceRequest r;
         r.set_name(c.target.directory_service);
         return Answer{Invoke(*s.directory,
                              &pv1::ServiceDirectory::Stub::GetService, c, r)};
       }},
      {SD, "ListServices", kEveryRole, R::kReference, F::kNone,
       [&s](const Cell& c) {
         pv1::ListServicesRequest r;
         r.set_parent(OrganisationName(c.target.organisation));
         return Answer{Invoke(*s.directory,
                              &pv1::ServiceDirectory::Stub::ListServices, c,
                              r)};
       }},
      {SD, "UpdateService", service_keepers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateServiceRequest r;
         r.mutable_service()->set_name(c.target.directory_service);
         r.mutable_service()->set_description(
             absl::StrCat("Checked by ", c.caller.user));
         r.mutable_update_mask()->add_paths("description");
         return Answer{Invoke(*s.directory,
                              &pv1::ServiceDirectory::Stub::UpdateService, c,
                              r)};
       }},
      {SD, "UpdateServiceCapacity", capacity_keepers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateServiceCapacityRequest r;
         r.set_name(c.target.directory_service);
         r.set_places_available(10);
         r.set_waiting_time_days(7);
         return Answer{Invoke(
             *s.directory, &pv1::ServiceDirectory::Stub::UpdateServiceCapacity,
             c, r)};
       }},
      {SD, "SearchServices", kEveryRole, R::kReference, F::kNone,
       [&s](const Cell& c) {
         pv1::SearchServicesRequest r;
         r.set_area("M1 1AE");
         r.set_need("debt");
         return Answer{Invoke(*s.directory,
                              &pv1::ServiceDirectory::Stub::SearchServices, c,
                              r)};
       }},

      // ---- Agreements: OWN is the prime provider of the contract (and a
      // party to the data-sharing agreement, with the receiver);
      // COMMISSIONER is the contract's own commissioner, who sees and
      // changes the contract and sees what hangs under it, but neither
      // sub-contracts, nor claims, nor pays, nor is party to the agreement.
      // The grant relationships' sub-contractors and the agency hold no
      // sub-contract under this contract (the sub-contractor is the
      // receiver; the cells' creates name a bystander).
      {AA, "CreateContract", commercial_keepers, R::kContractParties,
       F::kNone,
       [&s](const Cell& c) {
         pv1::CreateContractRequest r;
         r.set_contract_id(c.target.new_contract_id);
         *r.mutable_contract() = ContractBody(commissioner_, own_, today_);
         r.set_request_id(UniqueId("req"));
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::CreateContract, c, r)};
       }},
      {AA, "GetContract", commercial_readers, R::kContractParties, F::kNone,
       [&s](const Cell& c) {
         pv1::GetContractRequest r;
         r.set_name(c.target.contract);
         return Answer{
             Invoke(*s.agreements, &pv1::Agreements::Stub::GetContract, c, r)};
       }},
      {AA, "ListContracts", commercial_readers, R::kContractList, F::kNone,
       [&s](const Cell& c) {
         pv1::ListContractsRequest r;
         r.set_organisation(own_);
         r.set_page_size(500);
         pv1::ListContractsResponse out;
         Answer answer{
             s.agreements->ListContracts(ContextFor(c).get(), r, &out)};
         for (const pv1::Contract& contract : out.contracts()) {
           answer.listed |= contract.name() == c.target.contract;
         }
         return answer;
       }},
      {AA, "UpdateContract", commercial_keepers, R::kContractParties,
       F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateContractRequest r;
         r.mutable_contract()->set_name(c.target.contract);
         r.mutable_contract()->set_expected_referrals(1200);
         r.mutable_update_mask()->add_paths("expected_referrals");
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::UpdateContract, c, r)};
       }},
      {AA, "CreateSubContract", commercial_keepers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::CreateSubContractRequest r;
         r.set_parent(c.target.contract);
         *r.mutable_sub_contract() = SubContractBody(bystander_, 0, today_);
         r.set_request_id(UniqueId("req"));
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::CreateSubContract, c,
                              r)};
       }},
      {AA, "GetSubContract", commercial_readers, R::kContractParties,
       F::kNone,
       [&s](const Cell& c) {
         pv1::GetSubContractRequest r;
         r.set_name(c.target.sub_contract);
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::GetSubContract, c, r)};
       }},
      {AA, "ListSubContracts", commercial_readers, R::kContractParties,
       F::kNone,
       [&s](const Cell& c) {
         pv1::ListSubContractsRequest r;
         r.set_parent(c.target.contract);
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::ListSubContracts, c, r)};
       }},
      {AA, "UpdateSubContract", commercial_keepers, R::kOwnerOnly, F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateSubContractRequest r;
         r.mutable_sub_contract()->set_name(c.target.sub_contract);
         r.mutable_sub_contract()->set_expected_referrals(120);
         r.mutable_update_mask()->add_paths("expected_referrals");
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::UpdateSubContract, c,
                              r)};
       }},
      // Claimed by the sub-contractor (not a relationship here) or the
      // prime.
      {AA, "CreateOutcomePayment", commercial_keepers, R::kOwnerOnly,
       F::kNone,
       [&s](const Cell& c) {
         pv1::CreateOutcomePaymentRequest r;
         r.set_parent(c.target.sub_contract);
         *r.mutable_outcome_payment() = PaymentBody(today_ - 1);
         r.set_request_id(UniqueId("req"));
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::CreateOutcomePayment, c,
                              r)};
       }},
      {AA, "ListOutcomePayments", payment_readers, R::kContractParties,
       F::kNone,
       [&s](const Cell& c) {
         pv1::ListOutcomePaymentsRequest r;
         r.set_parent(c.target.sub_contract);
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::ListOutcomePayments, c,
                              r)};
       }},
      {AA, "UpdateOutcomePayment", commercial_keepers, R::kOwnerOnly,
       F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateOutcomePaymentRequest r;
         r.mutable_outcome_payment()->set_name(c.target.payment);
         r.mutable_outcome_payment()->set_amount_pence(155000);
         r.mutable_update_mask()->add_paths("amount_pence");
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::UpdateOutcomePayment, c,
                              r)};
       }},
      // Between the prime and a bystander, a DRAFT: only a party records it.
      {AA, "CreateDataSharingAgreement", sharing_keepers, R::kOwnerOnly,
       F::kNone,
       [&s](const Cell& c) {
         pv1::CreateDataSharingAgreementRequest r;
         *r.mutable_data_sharing_agreement() =
             AgreementBody(own_, bystander_, clock_->Now());
         r.set_request_id(UniqueId("req"));
         return Answer{Invoke(
             *s.agreements, &pv1::Agreements::Stub::CreateDataSharingAgreement,
             c, r)};
       }},
      {AA, "GetDataSharingAgreement", sharing_readers, R::kOwnerOnly,
       F::kNone,
       [&s](const Cell& c) {
         pv1::GetDataSharingAgreementRequest r;
         r.set_name(c.target.agreement);
         return Answer{Invoke(*s.agreements,
                              &pv1::Agreements::Stub::GetDataSharingAgreement,
                              c, r)};
       }},
      {AA, "ListDataSharingAgreements", sharing_readers, R::kPartyList,
       F::kNone,
       [&s](const Cell& c) {
         pv1::ListDataSharingAgreementsRequest r;
         r.set_organisation(own_);
         r.set_page_size(500);
         pv1::ListDataSharingAgreementsResponse out;
         Answer answer{s.agreements->ListDataSharingAgreements(
             ContextFor(c).get(), r, &out)};
         for (const pv1::DataSharingAgreement& a :
              out.data_sharing_agreements()) {
           answer.listed |= a.name() == c.target.agreement;
         }
         return answer;
       }},
      {AA, "UpdateDataSharingAgreement", sharing_keepers, R::kOwnerOnly,
       F::kNone,
       [&s](const Cell& c) {
         pv1::UpdateDataSharingAgreementRequest r;
         r.mutable_data_sharing_agreement()->set_name(c.target.agreement);
         r.mutable_data_sharing_agreement()->set_purpose(
             absl::StrCat("Referrals and delivery, reviewed by ",
                          c.caller.user));
         r.mutable_update_mask()->add_paths("purpose");
         return Answer{Invoke(
             *s.agreements, &pv1::Agreements::Stub::UpdateDataSharingAgreement,
             c, r)};
       }},
  };
  return rows;
}

// ---- Fixtures

void AccessMatrixTest::SetUpTestSuite() {
  const absl::TimeZone london = London();
  today_ = absl::ToCivilDay(absl::Now(), london);
  // Noon, so that moving on by whole days never crosses a date line.
  clock_ = new FakeClock(
      absl::FromCivil(absl::CivilSecond(Day0()) + 12 * 3600, london));
  test_harness::SuiteOptions options;
  options.modules = {participants::NewModule, partners::NewModule,
                     audit::NewModule};
  options.metrics = false;
  options.clock = clock_;
  absl::StatusOr<std::unique_ptr<test_harness::SuiteUnderTest>> suite =
      test_harness::SuiteUnderTest::Start(options);
  if (!suite.ok()) {
    ADD_FAILURE() << "the suite under test: " << suite.status();
    return;
  }
  suite_ = suite->release();
  const std::shared_ptr<grpc::Channel> channel = suite_->channel();
  stubs_ = new Stubs{v1::Participants::NewStub(channel),
                     v1::Barriers::NewStub(channel),
                     v1::ActionPlans::NewStub(channel),
                     v1::Contacts::NewStub(channel),
                     v1::Caseloads::NewStub(channel),
                     v1::CaseReviews::NewStub(channel),
                     v1::Progression::NewStub(channel),
                     v1::GroupSessions::NewStub(channel),
                     v1::ParticipantData::NewStub(channel),
                     v1::AccessGrants::NewStub(channel),
                     pv1::Partners::NewStub(channel),
                     av1::AuditTrail::NewStub(channel),
                     pv1::Referrals::NewStub(channel),
                     pv1::ServiceDirectory::NewStub(channel),
                     pv1::Agreements::NewStub(channel)};
  fresh_ = new std::map<std::string, std::string>();
  own_ = UniqueId("prime");
  granted_ = UniqueId("granted");
  expired_ = UniqueId("expired");
  withdrawn_ = UniqueId("withdrawn");
  other_ = UniqueId("agency");
  commissioner_ = UniqueId("commissioner");
  receiver_ = UniqueId("receiver");
  bystander_ = UniqueId("bystander");
  contract_ = ContractName(UniqueId("matrix"));
  fresh_contract_ = ContractName(UniqueId("matrix-fresh"));
  if (!MakeOrganisations() || !MakeSharedCase() || !MakeAgreements() ||
      !MakeReferralCase() || !MakeFreshFixtures(/*referrals=*/false)) {
    return;
  }
  // Today: the expired grant's day has passed, the jobs started on Day0
  // have reached their 4-week check, the session its follow-up, and the
  // case is overdue a contact.
  clock_->Advance(absl::Hours(24 * kDaysAgo));
  // Referrals are made today, so that no standard is past due.
  if (!MakeSharedReferrals() || !MakeFreshFixtures(/*referrals=*/true)) {
    return;
  }
  ready_ = true;
}

void AccessMatrixTest::TearDownTestSuite() {
  delete stubs_;
  stubs_ = nullptr;
  delete suite_;  // stops it
  suite_ = nullptr;
  delete fresh_;
  fresh_ = nullptr;
  delete clock_;
  clock_ = nullptr;
  ready_ = false;
}

bool AccessMatrixTest::Ok(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return true;
  ADD_FAILURE() << "fixture: " << what << ": " << Describe(status);
  return false;
}

std::unique_ptr<grpc::ClientContext> OwnerContext(const TestCaller& caller,
                                                  bool purpose = false) {
  Cell cell{caller.role, Relationship::kOwn, caller, Target(), purpose};
  return ContextFor(cell);
}

// The organisations of every relationship, in the partners directory with
// their types (CreateOrganisation checks the caller's), made as the
// bootstrap command makes them: through the directory, as a service. And a
// staff user of the own organisation, for the staff rows.
bool AccessMatrixTest::MakeOrganisations() {
  test_harness::DirectorySeed seed(suite_->store(), clock_);
  const std::pair<std::string, pv1::OrganisationType> organisations[] = {
      {own_, pv1::PRIME_PROVIDER},      {granted_, pv1::SUB_CONTRACTOR},
      {expired_, pv1::SUB_CONTRACTOR},  {withdrawn_, pv1::SUB_CONTRACTOR},
      {other_, pv1::PARTNER_AGENCY},    {commissioner_, pv1::COMMISSIONER},
      {receiver_, pv1::SUB_CONTRACTOR}, {bystander_, pv1::SUB_CONTRACTOR}};
  for (const auto& [id, type] : organisations) {
    absl::StatusOr<pv1::Organisation> made =
        seed.Organisation(OrganisationRequest(id, type));
    if (!made.ok()) {
      ADD_FAILURE() << "fixture: organisation " << id << ": " << made.status();
      return false;
    }
  }
  absl::StatusOr<pv1::StaffUser> staff =
      seed.Staff(StaffRequest(own_, "matrix-staff"));
  if (!staff.ok()) {
    ADD_FAILURE() << "fixture: staff user: " << staff.status();
    return false;
  }
  shared_.organisation = own_;
  shared_.staff_user = staff->name();
  return true;
}

std::string AccessMatrixTest::Enrol(const std::string& contract) {
  v1::Participant p = test_harness::ValidParticipant();
  p.set_adviser(kCaseAdviser);
  p.set_team(kTeam);
  v1::Participant created;
  if (!Ok(stubs_->participants->CreateParticipant(
              OwnerContext(Owner(kAdviser)).get(),
              test_harness::CreateRequest(LastSegment(contract), p), &created),
          "enrol")) {
    return "";
  }
  return created.name();
}

std::string AccessMatrixTest::GiveConsent(
    const std::string& participant, v1::ConsentPurpose purpose,
    const std::vector<std::string>& organisations,
    const std::vector<v1::DataCategory>& of) {
  v1::CreateConsentRequest request;
  request.set_parent(participant);
  request.set_request_id(UniqueId("consent"));
  request.mutable_consent()->set_purpose(purpose);
  for (const std::string& o : organisations) {
    request.mutable_consent()->add_organisations(o);
  }
  for (v1::DataCategory category : of) {
    request.mutable_consent()->add_data_categories(category);
  }
  v1::Consent consent;
  if (!Ok(stubs_->participants->CreateConsent(
              OwnerContext(Owner(kAdviser)).get(), request, &consent),
          "consent")) {
    return "";
  }
  return consent.name();
}

bool AccessMatrixTest::Withdraw(const std::string& consent) {
  v1::WithdrawConsentRequest request;
  request.set_name(consent);
  v1::Consent withdrawn;
  return Ok(stubs_->participants->WithdrawConsent(
                OwnerContext(Owner(kAdviser)).get(), request, &withdrawn),
            "withdraw consent");
}

// A grant of every data category, made by the owning organisation's
// quality manager now (on the service's clock), lasting `lasting`.
std::string AccessMatrixTest::Grant(const std::string& participant,
                                    const std::string& organisation,
                                    absl::Duration lasting) {
  v1::CreateAccessGrantRequest request;
  request.set_parent(participant);
  request.set_request_id(UniqueId("grant"));
  v1::AccessGrant* grant = request.mutable_access_grant();
  grant->set_organisation(organisation);
  grant->set_purpose(v1::REFERRAL_SHARING);
  for (v1::DataCategory category : kEveryCategory) {
    grant->add_data_categories(category);
  }
  *grant->mutable_end_time() = ToTimestamp(clock_->Now() + lasting);
  v1::AccessGrant made;
  if (!Ok(stubs_->grants->CreateAccessGrant(
              OwnerContext(Owner(kQualityManager)).get(), request, &made),
          "grant")) {
    return "";
  }
  return made.name();
}

// What the relationship needs of the participant: for the grant
// relationships, a REFERRAL_SHARING consent naming the organisation and a
// grant to it (expiring tomorrow for GRANT_EXPIRED; the consent withdrawn
// for CONSENT_WITHDRAWN). Nothing for the others.
void AccessMatrixTest::Share(const std::string& participant,
                             Relationship relationship) {
  const std::vector<v1::DataCategory> every(std::begin(kEveryCategory),
                                            std::end(kEveryCategory));
  const absl::Duration year = absl::Hours(24 * 365);
  switch (relationship) {
    case Relationship::kGranted:
      GiveConsent(participant, v1::REFERRAL_SHARING, {granted_}, every);
      Grant(participant, granted_, year);
      return;
    case Relationship::kGrantExpired:
      GiveConsent(participant, v1::REFERRAL_SHARING, {expired_}, every);
      Grant(participant, expired_, absl::Hours(24));
      return;
    case Relationship::kConsentWithdrawn:
      Grant(participant, withdrawn_, year);
      Withdraw(
          GiveConsent(participant, v1::REFERRAL_SHARING, {withdrawn_}, every));
      return;
    default:
      return;
  }
}

std::string AccessMatrixTest::StartJob(const std::string& participant) {
  v1::CreateJobRequest request;
  request.set_parent(participant);
  request.set_request_id(UniqueId("job"));
  *request.mutable_job() = Job(Day0());
  v1::Job job;
  if (!Ok(stubs_->progression->CreateJob(OwnerContext(Owner(kAdviser)).get(),
                                         request, &job),
          "job")) {
    return "";
  }
  return job.name();
}

// The case every non-destructive cell works on, made on Day0 by the own
// organisation's staff: started, shared in every way the relationships
// need, with equality data and one record of every kind.
bool AccessMatrixTest::MakeSharedCase() {
  Stubs& s = *stubs_;
  Target& t = shared_;
  const TestCaller adviser = Owner(kAdviser);
  t.participant = Enrol(contract_);
  if (t.participant.empty()) return false;
  {
    v1::UpdateParticipantRequest request;
    request.mutable_participant()->set_name(t.participant);
    request.mutable_participant()->set_status(v1::STARTED);
    request.mutable_update_mask()->add_paths("status");
    v1::Participant started;
    if (!Ok(s.participants->UpdateParticipant(OwnerContext(adviser).get(),
                                              request, &started),
            "start")) {
      return false;
    }
  }
  for (Relationship r : kRelationships) Share(t.participant, r);
  if (GiveConsent(t.participant, v1::EQUALITY_MONITORING, {}, {v1::EQUALITY})
          .empty()) {
    return false;
  }
  {
    v1::UpdateEqualityDataRequest request;
    request.mutable_equality_data()->set_name(t.participant + "/equalityData");
    request.mutable_equality_data()->set_ethnicity("White British");
    request.set_purpose(v1::EQUALITY_MONITORING);
    v1::EqualityData data;
    if (!Ok(s.participants->UpdateEqualityData(
                OwnerContext(adviser, /*purpose=*/true).get(), request, &data),
            "equality data")) {
      return false;
    }
  }
  {
    v1::CreateBarrierRequest request;
    request.set_parent(t.participant);
    request.set_request_id(UniqueId("barrier"));
    request.mutable_barrier()->set_type("skills");
    request.mutable_barrier()->set_severity(v1::MEDIUM);
    *request.mutable_barrier()->mutable_identified_date() = ToDate(Day0());
    v1::Barrier barrier;
    if (!Ok(s.barriers->CreateBarrier(OwnerContext(adviser).get(), request,
                                      &barrier),
            "barrier")) {
      return false;
    }
    t.barrier = barrier.name();
  }
  for (std::string* plan : {&t.plan, &t.agreed_plan}) {
    v1::CreateActionPlanRequest request;
    request.set_parent(t.participant);
    request.set_request_id(UniqueId("plan"));
    *request.mutable_action_plan()->add_goals() = Goal(Day0());
    v1::ActionPlan made;
    if (!Ok(s.plans->CreateActionPlan(OwnerContext(adviser).get(), request,
                                      &made),
            "plan")) {
      return false;
    }
    *plan = made.name();
  }
  for (v1::AgreementParty party : {v1::PARTICIPANT, v1::ADVISER}) {
    v1::AgreeActionPlanRequest request;
    request.set_name(t.agreed_plan);
    request.set_party(party);
    v1::ActionPlan agreed;
    if (!Ok(s.plans->AgreeActionPlan(OwnerContext(adviser).get(), request,
                                     &agreed),
            "agree")) {
      return false;
    }
  }
  {
    v1::CreateContactRequest request;
    request.set_parent(t.participant);
    request.set_request_id(UniqueId("contact"));
    *request.mutable_contact()->mutable_contact_date() = ToDate(Day0());
    request.mutable_contact()->set_channel(v1::FACE_TO_FACE);
    request.mutable_contact()->set_duration_minutes(30);
    request.mutable_contact()->set_attendance(v1::ATTENDED);
    v1::Contact contact;
    if (!Ok(s.contacts->CreateContact(OwnerContext(adviser).get(), request,
                                      &contact),
            "contact")) {
      return false;
    }
    t.contact = contact.name();
  }
  t.job = StartJob(t.participant);
  if (t.job.empty()) return false;
  {
    v1::CreateCaseReviewRequest request;
    request.set_parent(t.participant);
    request.set_request_id(UniqueId("review"));
    *request.mutable_case_review()->mutable_review_date() = ToDate(Day0());
    request.mutable_case_review()->set_findings("Plan agreed within a week");
    v1::CaseReview review;
    if (!Ok(s.reviews->CreateCaseReview(OwnerContext(Owner(kTeamLeader)).get(),
                                        request, &review),
            "case review")) {
      return false;
    }
    t.case_review = review.name();
  }
  {
    v1::CreateGroupSessionRequest request;
    request.set_parent(contract_);
    request.set_request_id(UniqueId("session"));
    *request.mutable_group_session() = Session(Day0());
    v1::GroupSession session;
    if (!Ok(s.sessions->CreateGroupSession(OwnerContext(adviser).get(), request,
                                           &session),
            "group session")) {
      return false;
    }
    t.session = session.name();
    v1::RecordAttendanceRequest attendance;
    attendance.set_name(t.session);
    v1::AttendanceChange* change = attendance.add_attendance();
    change->set_participant(t.participant);
    change->set_attendance(v1::ATTENDED);
    if (!Ok(s.sessions->RecordAttendance(OwnerContext(adviser).get(),
                                         attendance, &session),
            "attendance")) {
      return false;
    }
  }
  return true;
}

std::string AccessMatrixTest::MakeFresh(Fresh fresh,
                                        Relationship relationship) {
  switch (fresh) {
    case Fresh::kParticipant: {
      const std::string participant = Enrol(fresh_contract_);
      if (!participant.empty()) Share(participant, relationship);
      return participant;
    }
    case Fresh::kConsent:
      return GiveConsent(shared_.participant, v1::PROGRAMME_DELIVERY, {},
                         {v1::IDENTITY});
    case Fresh::kGrant: {
      v1::CreateAccessGrantRequest request;
      request.set_parent(shared_.participant);
      request.set_request_id(UniqueId("grant"));
      v1::AccessGrant* grant = request.mutable_access_grant();
      grant->set_organisation(UniqueId("bystander"));
      grant->set_purpose(v1::REFERRAL_SHARING);
      grant->add_data_categories(v1::IDENTITY);
      *grant->mutable_end_time() =
          ToTimestamp(clock_->Now() + absl::Hours(24 * 365));
      v1::AccessGrant made;
      if (!Ok(stubs_->grants->CreateAccessGrant(
                  OwnerContext(Owner(kQualityManager)).get(), request, &made),
              "revocable grant")) {
        return "";
      }
      return made.name();
    }
    case Fresh::kJob:
      return StartJob(shared_.participant);
    case Fresh::kDraftReferral:
      return MakeReferral(pv1::DRAFT);
    case Fresh::kSentReferral:
      return MakeReferral(pv1::SENT);
    case Fresh::kAcceptedReferral:
      return MakeReferral(pv1::ACCEPTED);
    case Fresh::kStartedReferral:
      return MakeReferral(pv1::STARTED);
    case Fresh::kNone:
      break;
  }
  return "";
}

// ---- Issue 6's fixtures

bool AccessMatrixTest::MakeAgreements() {
  RandomIdSource ids(*clock_);
  const storage::KeyHasher hasher(test_harness::kTestKeySecret);
  partners::OrganisationDirectory directory(suite_->store(), *clock_, ids,
                                            hasher);
  partners::AgreementRecords agreements(suite_->store(), *clock_, ids,
                                        directory);
  auth::Caller seed;
  seed.service = "bootstrap";
  const auto failed = [](absl::string_view what, const absl::Status& status) {
    ADD_FAILURE() << "fixture: " << what << ": " << status;
    return false;
  };
  pv1::CreateContractRequest contract;
  contract.set_contract_id(LastSegment(contract_));
  *contract.mutable_contract() = ContractBody(commissioner_, own_, today_);
  contract.set_request_id(UniqueId("req"));
  absl::StatusOr<pv1::Contract> made =
      agreements.CreateContract(seed, contract);
  if (!made.ok()) return failed("contract", made.status());
  shared_.contract = made->name();

  pv1::CreateSubContractRequest sub;
  sub.set_parent(shared_.contract);
  *sub.mutable_sub_contract() = SubContractBody(receiver_, 50, today_);
  sub.set_request_id(UniqueId("req"));
  absl::StatusOr<pv1::SubContract> sub_made =
      agreements.CreateSubContract(seed, sub);
  if (!sub_made.ok()) return failed("sub-contract", sub_made.status());
  shared_.sub_contract = sub_made->name();

  pv1::CreateOutcomePaymentRequest payment;
  payment.set_parent(shared_.sub_contract);
  *payment.mutable_outcome_payment() = PaymentBody(Day0() - 1);
  payment.set_request_id(UniqueId("req"));
  absl::StatusOr<pv1::OutcomePayment> claimed =
      agreements.CreateOutcomePayment(seed, payment);
  if (!claimed.ok()) return failed("outcome payment", claimed.status());
  shared_.payment = claimed->name();

  pv1::CreateDataSharingAgreementRequest agreement;
  *agreement.mutable_data_sharing_agreement() =
      AgreementBody(own_, receiver_, clock_->Now() - absl::Hours(1));
  agreement.mutable_data_sharing_agreement()->set_status(
      pv1::DataSharingAgreement::ACTIVE);
  agreement.set_request_id(UniqueId("req"));
  absl::StatusOr<pv1::DataSharingAgreement> active =
      agreements.CreateDataSharingAgreement(seed, agreement);
  if (!active.ok()) return failed("data-sharing agreement", active.status());
  shared_.agreement = active->name();

  pv1::CreateServiceRequest service;
  service.set_parent(OrganisationName(own_));
  *service.mutable_service() = ServiceBody();
  service.set_service_id(UniqueId("matrix-service"));
  service.set_request_id(UniqueId("req"));
  pv1::DirectoryService listed;
  if (!Ok(stubs_->directory->CreateService(
              OwnerContext(Owner(kContractManager)).get(), service, &listed),
          "directory service")) {
    return false;
  }
  shared_.directory_service = listed.name();
  shared_.receiver = receiver_;
  return true;
}

bool AccessMatrixTest::MakeReferralCase() {
  const std::vector<v1::DataCategory> every(std::begin(kEveryCategory),
                                            std::end(kEveryCategory));
  for (std::string& participant : referral_cases_) {
    participant = Enrol(contract_);
    if (participant.empty() ||
        GiveConsent(participant, v1::REFERRAL_SHARING, {receiver_}, every)
            .empty()) {
      return false;
    }
  }
  referral_participant_ = referral_cases_[0];
  return true;
}

bool AccessMatrixTest::MakeSharedReferrals() {
  shared_.referral = MakeReferral(pv1::SENT);
  shared_.draft_referral = MakeReferral(pv1::DRAFT);
  return !shared_.referral.empty() && !shared_.draft_referral.empty();
}

std::string AccessMatrixTest::MakeReferral(pv1::ReferralState state) {
  pv1::CreateReferralRequest create;
  create.set_parent(OrganisationName(receiver_));
  *create.mutable_referral() =
      ReferralBody(referral_cases_[next_case_++ % kReferralCases]);
  create.set_request_id(UniqueId("referral"));
  create.set_send(state != pv1::DRAFT);
  pv1::Referral referral;
  if (!Ok(stubs_->referrals->CreateReferral(OwnerContext(Owner(kAdviser)).get(),
                                            create, &referral),
          "referral")) {
    return "";
  }
  if (state == pv1::ACCEPTED || state == pv1::STARTED) {
    pv1::AcceptReferralRequest accept;
    accept.set_name(referral.name());
    if (!Ok(stubs_->referrals->AcceptReferral(
                OwnerContext(Receiver(kAdviser)).get(), accept, &referral),
            "accept referral")) {
      return "";
    }
  }
  if (state == pv1::STARTED) {
    pv1::StartReferralRequest start;
    start.set_name(referral.name());
    if (!Ok(stubs_->referrals->StartReferral(
                OwnerContext(Receiver(kAdviser)).get(), start, &referral),
            "start referral")) {
      return "";
    }
  }
  return referral.name();
}

bool AccessMatrixTest::MakeFreshFixtures(bool referrals) {
  for (const Row& row : Rows()) {
    if (row.fresh == Fresh::kNone || IsReferral(row.fresh) != referrals) {
      continue;
    }
    for (StaffRole role : kRoles) {
      for (Relationship relationship : kRelationships) {
        const std::string made = MakeFresh(row.fresh, relationship);
        if (made.empty()) return false;
        (*fresh_)[FreshKey(row, role, NameOf(relationship))] = made;
      }
    }
    const std::string made = MakeFresh(row.fresh, Relationship::kOwn);
    if (made.empty()) return false;
    (*fresh_)[FreshKey(row, kTeamLeader, kAnotherTeam)] = made;
  }
  return true;
}

Target AccessMatrixTest::TargetFor(const Row& row, StaffRole role,
                                   absl::string_view where) {
  Target target = shared_;
  target.new_contract_id = UniqueId("contract");
  if (row.fresh == Fresh::kNone) return target;
  const std::string& made = (*fresh_)[FreshKey(row, role, where)];
  switch (row.fresh) {
    case Fresh::kParticipant:
      target.participant = made;
      break;
    case Fresh::kConsent:
      target.consent = made;
      break;
    case Fresh::kGrant:
      target.grant = made;
      break;
    case Fresh::kJob:
      target.job = made;
      break;
    case Fresh::kDraftReferral:
    case Fresh::kSentReferral:
    case Fresh::kAcceptedReferral:
    case Fresh::kStartedReferral:
      target.referral = made;
      break;
    case Fresh::kNone:
      break;
  }
  return target;
}

Target AccessMatrixTest::Ghost(const Target& target) {
  const std::vector<std::pair<std::string, std::string>> replacements = {
      {absl::StrCat("/participants/", LastSegment(target.participant)),
       absl::StrCat("/participants/", ghost_participant_)},
      {absl::StrCat("/groupSessions/", LastSegment(target.session)),
       absl::StrCat("/groupSessions/", ghost_session_)},
      {absl::StrCat("organisations/", target.organisation, "/"),
       absl::StrCat("organisations/", ghost_organisation_, "/")}};
  Target ghost = target;
  for (std::string* name :
       {&ghost.participant, &ghost.consent, &ghost.grant, &ghost.barrier,
        &ghost.plan, &ghost.agreed_plan, &ghost.contact, &ghost.job,
        &ghost.case_review, &ghost.session, &ghost.staff_user,
        &ghost.directory_service}) {
    *name = absl::StrReplaceAll(*name, replacements);
  }
  ghost.organisation = ghost_organisation_;
  // A receiver's inbox that does not exist, a referral of it that does not
  // exist; a contract that does not exist, and what would hang under it.
  ghost.receiver = ghost_organisation_;
  for (std::string* name : {&ghost.referral, &ghost.draft_referral}) {
    if (name->empty()) continue;
    *name = absl::StrCat("organisations/", ghost_organisation_, "/referrals/",
                         ghost_item_);
  }
  const std::vector<std::pair<std::string, std::string>> contract = {
      {target.contract, absl::StrCat("contracts/", ghost_contract_)}};
  for (std::string* name :
       {&ghost.contract, &ghost.sub_contract, &ghost.payment}) {
    if (!name->empty()) *name = absl::StrReplaceAll(*name, contract);
  }
  if (!ghost.agreement.empty()) {
    ghost.agreement = absl::StrCat("dataSharingAgreements/", ghost_item_);
  }
  return ghost;
}

Target AccessMatrixTest::GhostItems(const Target& target) {
  Target ghost = target;
  for (std::string* name :
       {&ghost.consent, &ghost.grant, &ghost.barrier, &ghost.plan,
        &ghost.agreed_plan, &ghost.contact, &ghost.job, &ghost.case_review,
        &ghost.referral, &ghost.draft_referral, &ghost.directory_service,
        &ghost.sub_contract, &ghost.payment, &ghost.agreement}) {
    if (name->empty()) continue;
    *name = absl::StrCat(name->substr(0, name->rfind('/') + 1), ghost_item_);
  }
  return ghost;
}

std::string AccessMatrixTest::Blanked(std::string message,
                                      const Target& target) {
  // The shared contract's id is in the names of its participants too:
  // blanked on both sides, as the ghost contract's.
  std::vector<std::string> ids = {ghost_participant_,  ghost_session_,
                                  ghost_organisation_, ghost_item_,
                                  ghost_contract_,     LastSegment(contract_),
                                  target.organisation, target.receiver};
  for (const std::string* name :
       {&target.participant, &target.consent, &target.grant, &target.barrier,
        &target.plan, &target.agreed_plan, &target.contact, &target.job,
        &target.case_review, &target.session, &target.staff_user,
        &target.referral, &target.draft_referral, &target.directory_service,
        &target.sub_contract, &target.payment, &target.agreement}) {
    ids.push_back(LastSegment(*name));
  }
  // A refusal may name a record's parent (a payment's sub-contract) that
  // the ghost target replaced but the request never used: the shared
  // records' ids are blanked on both sides.
  for (const std::string* name :
       {&shared_.referral, &shared_.draft_referral, &shared_.directory_service,
        &shared_.sub_contract, &shared_.payment, &shared_.agreement}) {
    ids.push_back(LastSegment(*name));
  }
  for (const std::string& id : ids) {
    if (!id.empty()) message = absl::StrReplaceAll(message, {{id, "{id}"}});
  }
  return message;
}

// ---- The matrix

// 53 methods of the participants service's ten services, 9 of partners, 1
// of audit, and issue 6's 14 of Referrals, 6 of ServiceDirectory and 15 of
// Agreements: counted by hand, so that a method added or lost shows here as
// well as in TheTableHasOneRowPerMethodServed.
constexpr int kMethods = 53 + 9 + 1 + 14 + 6 + 15;
constexpr int kCells = kMethods * 6 * 6;

std::string Got(Outcome got, const Answer& answer) {
  if (got == Outcome::kOk || got == Outcome::kHidden) return NameOf(got);
  return Describe(answer.status);
}

std::string Line(const Row& row, StaffRole role, Relationship relationship,
                 Outcome want, const std::string& got) {
  return absl::StrFormat("  %-66s %-19s %-18s want %-17s got %s", row.key(),
                         StaffRole_Name(role), NameOf(relationship),
                         NameOf(want), got);
}

TEST_F(AccessMatrixTest, EveryMethodRoleAndRelationshipAsTheTableSays) {
  const std::vector<Row> rows = Rows();
  int checked = 0;
  int leak_checks = 0;
  std::map<Outcome, int> tally;
  std::vector<std::string> wrong;
  std::vector<std::string> leaks;
  const absl::Time start = absl::Now();
  for (const Row& row : rows) {
    for (StaffRole role : kRoles) {
      for (Relationship relationship : kRelationships) {
        Cell cell{role, relationship, CallerFor(role, relationship, row),
                  TargetFor(row, role, NameOf(relationship)),
                  row.reach == Reach::kEquality};
        const Answer answer = row.call(cell);
        const Outcome want = Expected(row, role, relationship);
        const Outcome got = OutcomeOf(row, answer);
        ++checked;
        ++tally[got];
        if (got != want) {
          wrong.push_back(
              Line(row, role, relationship, want, Got(got, answer)));
        }
        // A refusal by the record-level check must read the same for a
        // record that does not exist.
        if (got != Outcome::kDenied || !Admits(row, role) ||
            !NamesARecord(row.reach)) {
          continue;
        }
        // Both the participant (or session, or organisation) missing, and
        // the participant's item missing.
        for (const Target& absent :
             {Ghost(cell.target), GhostItems(cell.target)}) {
          Cell ghost = cell;
          ghost.target = absent;
          const Answer missing = row.call(ghost);
          ++leak_checks;
          if (missing.status.error_code() != answer.status.error_code() ||
              Blanked(missing.status.error_message(), ghost.target) !=
                  Blanked(answer.status.error_message(), cell.target)) {
            leaks.push_back(absl::StrCat(
                Line(row, role, relationship, want, Got(got, answer)),
                "\n      but for a record that does not exist: ",
                Describe(missing.status)));
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, kCells);
  EXPECT_TRUE(wrong.empty())
      << wrong.size() << " of " << checked
      << " cells disagree with the table (method, role, relationship, "
         "want, got):\n"
      << absl::StrJoin(wrong, "\n");
  EXPECT_TRUE(leaks.empty())
      << leaks.size() << " of " << leak_checks
      << " refusals read differently for a record that does not exist:\n"
      << absl::StrJoin(leaks, "\n");
  EXPECT_GT(leak_checks, 0);
  std::cout << "[ matrix   ] " << checked << " cells in "
            << absl::FormatDuration(absl::Now() - start) << ": "
            << tally[Outcome::kOk] << " OK, " << tally[Outcome::kHidden]
            << " HIDDEN, " << tally[Outcome::kDenied] << " PERMISSION_DENIED, "
            << tally[Outcome::kOther] << " other; " << leak_checks
            << " refusals compared with a missing record's" << std::endl;
  for (const KnownGap& gap : kKnownGaps) {
    std::cout << "[ known gap] " << gap.method << " "
              << StaffRole_Name(gap.role) << " " << NameOf(gap.relationship)
              << ": " << NameOf(gap.observed) << ": " << gap.why << std::endl;
  }
}

// The table is checked against the methods the generated descriptors of the
// three services' packages declare: one row each, none missing, none extra.
TEST_F(AccessMatrixTest, TheTableHasOneRowPerMethodServed) {
  // Every .proto file linked into this binary (the services' libraries
  // link each file whose service they implement).
  std::vector<std::string> files;
  ASSERT_TRUE(google::protobuf::DescriptorPool::internal_generated_database()
                  ->FindAllFileNames(&files));
  std::multiset<std::string> declared;
  for (const std::string& file : files) {
    if (!absl::StartsWith(file, "employability/participants/") &&
        !absl::StartsWith(file, "employability/partners/") &&
        !absl::StartsWith(file, "employability/audit/")) {
      continue;
    }
    const google::protobuf::FileDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
            file);
    ASSERT_NE(descriptor, nullptr) << file;
    for (int i = 0; i < descriptor->service_count(); ++i) {
      const google::protobuf::ServiceDescriptor* service =
          descriptor->service(i);
      for (int j = 0; j < service->method_count(); ++j) {
        declared.insert(absl::StrCat(service->full_name(), "/",
                                     service->method(j)->name()));
      }
    }
  }
  std::multiset<std::string> table;
  for (const Row& row : Rows()) table.insert(row.key());
  std::vector<std::string> missing;
  std::set_difference(declared.begin(), declared.end(), table.begin(),
                      table.end(), std::back_inserter(missing));
  std::vector<std::string> extra;
  std::set_difference(table.begin(), table.end(), declared.begin(),
                      declared.end(), std::back_inserter(extra));
  EXPECT_TRUE(missing.empty())
      << "methods without a row: " << absl::StrJoin(missing, ", ");
  EXPECT_TRUE(extra.empty())
      << "rows without a method (or twice): " << absl::StrJoin(extra, ", ");
  EXPECT_EQ(declared.size(), static_cast<size_t>(kMethods));
}

// "Team leaders their team's": a team leader of the own organisation but
// of another team, on every row, against its own hand-written column. The
// participant's records are out of reach (lists leave them out), while what
// belongs to the organisation rather than a team stays within reach: its
// group sessions (their attendees reached through the session), its
// directory entry and staff, its audit trail.
Outcome ExpectedForAnotherTeam(const Row& row) {
  if (!Admits(row, kTeamLeader)) return Outcome::kDenied;
  const bool organisations_record =
      row.service == "employability.participants.v1.GroupSessions" ||
      !absl::StartsWith(row.service, "employability.participants.");
  switch (row.reach) {
    case Reach::kReference:
    case Reach::kCreate:
    case Reach::kOwnSessions:
      return Outcome::kOk;
    case Reach::kGrantable:
    case Reach::kEquality:
      return Outcome::kDenied;
    case Reach::kOwnerOnly:
      return organisations_record ? Outcome::kOk : Outcome::kDenied;
    case Reach::kCaseload:
    case Reach::kParticipantList:
      return Outcome::kHidden;
    case Reach::kOnboard:
    case Reach::kService:
      return Outcome::kDenied;
    // The sender must reach the participant it refers: a team leader's
    // reach is their team's.
    case Reach::kRefer:
      return Outcome::kDenied;
    // Organisations' records, not a team's.
    case Reach::kContractParties:
    case Reach::kContractList:
    case Reach::kPartyList:
      return Outcome::kOk;
  }
  return Outcome::kOther;
}

TEST_F(AccessMatrixTest, ATeamLeaderOfAnotherTeamReachesNoneOfItsParticipants) {
  int checked = 0;
  std::vector<std::string> wrong;
  for (const Row& row : Rows()) {
    TestCaller caller = CallerFor(kTeamLeader, Relationship::kOwn, row);
    caller.user = "matrix-other-team-leader";
    caller.team = "team-elsewhere";
    Cell cell{kTeamLeader, Relationship::kOwn, caller,
              TargetFor(row, kTeamLeader, kAnotherTeam),
              row.reach == Reach::kEquality};
    const Answer answer = row.call(cell);
    const Outcome want = ExpectedForAnotherTeam(row);
    const Outcome got = OutcomeOf(row, answer);
    ++checked;
    if (got != want) {
      wrong.push_back(absl::StrFormat("  %-66s want %-17s got %s", row.key(),
                                      NameOf(want), Got(got, answer)));
    }
  }
  EXPECT_EQ(checked, kMethods);
  EXPECT_TRUE(wrong.empty())
      << wrong.size() << " of " << checked
      << " methods disagree for a team leader of another team:\n"
      << absl::StrJoin(wrong, "\n");
}

// The relationships are what they say, so that a refusal in their cells is
// for the reason the table means: today the GRANTED and CONSENT_WITHDRAWN
// grants are ACTIVE and the GRANT_EXPIRED one EXPIRED; the consents backing
// GRANTED and GRANT_EXPIRED are live and CONSENT_WITHDRAWN's is withdrawn.
TEST_F(AccessMatrixTest, TheRelationshipsAreWhatTheySay) {
  v1::ListAccessGrantsRequest grants_request;
  grants_request.set_parent(shared_.participant);
  grants_request.set_include_inactive(true);
  v1::ListAccessGrantsResponse grants;
  const grpc::Status listed = stubs_->grants->ListAccessGrants(
      OwnerContext(Owner(kQualityManager)).get(), grants_request, &grants);
  ASSERT_TRUE(listed.ok()) << Describe(listed);
  std::map<std::string, v1::AccessGrantState> state;
  for (const v1::AccessGrant& grant : grants.access_grants()) {
    state[grant.organisation()] = grant.state();
  }
  EXPECT_EQ(state[granted_], v1::ACTIVE);
  EXPECT_EQ(state[expired_], v1::EXPIRED);
  EXPECT_EQ(state[withdrawn_], v1::ACTIVE);
  EXPECT_EQ(state.count(other_), 0u);
  EXPECT_EQ(state.count(commissioner_), 0u);

  v1::ListConsentsRequest consents_request;
  consents_request.set_parent(shared_.participant);
  consents_request.set_include_withdrawn(true);
  v1::ListConsentsResponse consents;
  const grpc::Status read = stubs_->participants->ListConsents(
      OwnerContext(Owner(kAdviser)).get(), consents_request, &consents);
  ASSERT_TRUE(read.ok()) << Describe(read);
  std::map<std::string, bool> live;
  for (const v1::Consent& consent : consents.consents()) {
    if (consent.purpose() != v1::REFERRAL_SHARING) continue;
    ASSERT_EQ(consent.organisations_size(), 1) << consent.DebugString();
    EXPECT_EQ(consent.data_categories_size(), 7) << consent.DebugString();
    live[consent.organisations(0)] = consent.live();
  }
  EXPECT_EQ(live.size(), 3u);
  EXPECT_TRUE(live[granted_]);
  EXPECT_TRUE(live[expired_]);
  EXPECT_FALSE(live[withdrawn_]);
}

// The purpose rule on its own: without EQUALITY_MONITORING declared, even
// the owning organisation's quality manager (and the adviser who collects
// the data) is refused equality data, and told why.
TEST_F(AccessMatrixTest, EqualityDataNeedsThePurposeEvenForTheOwner) {
  for (StaffRole role : {kQualityManager, kAdviser}) {
    SCOPED_TRACE(StaffRole_Name(role));
    v1::GetEqualityDataRequest request;
    request.set_name(shared_.participant + "/equalityData");
    request.set_purpose(v1::EQUALITY_MONITORING);
    v1::EqualityData data;
    const grpc::Status without = stubs_->participants->GetEqualityData(
        OwnerContext(Owner(role)).get(), request, &data);
    EXPECT_EQ(without.error_code(), Code::PERMISSION_DENIED)
        << Describe(without);
    EXPECT_TRUE(absl::StrContains(without.error_message(), kEqualityPurpose))
        << Describe(without);
    const grpc::Status with = stubs_->participants->GetEqualityData(
        OwnerContext(Owner(role), /*purpose=*/true).get(), request, &data);
    EXPECT_TRUE(with.ok()) << Describe(with);
  }
  v1::UpdateEqualityDataRequest update;
  update.mutable_equality_data()->set_name(shared_.participant +
                                           "/equalityData");
  update.mutable_equality_data()->set_ethnicity("Prefer not to say");
  update.set_purpose(v1::EQUALITY_MONITORING);
  v1::EqualityData data;
  const grpc::Status without = stubs_->participants->UpdateEqualityData(
      OwnerContext(Owner(kAdviser)).get(), update, &data);
  EXPECT_EQ(without.error_code(), Code::PERMISSION_DENIED) << Describe(without);
}

}  // namespace
}  // namespace employability
