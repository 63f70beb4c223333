// Group sessions (QIF component 5) over real gRPC on loopback, against a real
// redis-server: every method, each class of bad input refused naming its
// field with nothing stored, attendance reaching the participant's contact
// summary, another organisation denied, and the follow-up refused until its
// delay has passed. The server's clock is real: sessions are dated from
// today in Europe/London.
//
// Each test works in a contract of its own, so tests running in parallel
// against the one Redis never see each other's data.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "employability/participants/v1/group_sessions.grpc.pb.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "tests/harness/journey_suite.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using test_harness::CallContext;
using test_harness::ContractName;
using test_harness::DayFromToday;
using test_harness::Describe;
using test_harness::EventEnvelope;
using test_harness::LondonToday;
using test_harness::ShortType;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::UniqueId;
namespace v1 = ::employability::participants::v1;
using Code = grpc::StatusCode;

class GroupSessionsIntegrationTest : public test_harness::JourneySuiteTest {
 protected:
  GroupSessionsIntegrationTest() : JourneySuiteTest("gs") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(JourneySuiteTest::SetUp());
    sessions_ = Stub<v1::GroupSessions>();
  }

  // A session in person, `days_from_today` from today.
  v1::CreateGroupSessionRequest Request(int days_from_today = 0) {
    v1::CreateGroupSessionRequest request;
    request.set_parent(ContractName(contract_));
    request.set_request_id(UniqueId("req"));
    v1::GroupSession* s = request.mutable_group_session();
    s->set_title("Interview skills");
    s->mutable_learning_needs_analysis()->set_starting_points(
        "Mixed: two returners, one new to the UK labour market");
    s->mutable_learning_needs_analysis()->set_goals(
        "Confidence answering competency questions");
    s->mutable_learning_needs_analysis()->set_content_and_methods(
        "Mock interviews in pairs with structured feedback");
    *s->mutable_session_date() = DayFromToday(days_from_today);
    s->set_facilitator("tutor-one");
    s->set_delivery_mode(v1::IN_PERSON);
    s->set_accessibility_needs_met(true);
    return request;
  }

  grpc::Status Create(const v1::CreateGroupSessionRequest& request,
                      v1::GroupSession* out, const TestCaller& caller = {}) {
    return sessions_->CreateGroupSession(CallContext(caller).get(), request,
                                         out);
  }

  v1::GroupSession MustCreate(const v1::CreateGroupSessionRequest& request,
                              const TestCaller& caller = {}) {
    v1::GroupSession created;
    grpc::Status status = Create(request, &created, caller);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return created;
  }

  grpc::Status Get(const std::string& name, v1::GroupSession* out,
                   const TestCaller& caller = {}) {
    v1::GetGroupSessionRequest request;
    request.set_name(name);
    return sessions_->GetGroupSession(CallContext(caller).get(), request, out);
  }

  grpc::Status List(v1::ListGroupSessionsRequest request,
                    v1::ListGroupSessionsResponse* out,
                    const TestCaller& caller = {}) {
    request.set_parent(ContractName(contract_));
    return sessions_->ListGroupSessions(CallContext(caller).get(), request,
                                        out);
  }

  int Count(const TestCaller& caller = {}) {
    v1::ListGroupSessionsResponse response;
    grpc::Status status = List({}, &response, caller);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response.group_sessions_size();
  }

  grpc::Status Update(const v1::UpdateGroupSessionRequest& request,
                      v1::GroupSession* out, const TestCaller& caller = {}) {
    return sessions_->UpdateGroupSession(CallContext(caller).get(), request,
                                         out);
  }

  static v1::RecordAttendanceRequest AttendanceOf(
      const std::string& session,
      const std::vector<std::pair<std::string, v1::Attendance>>& changes) {
    v1::RecordAttendanceRequest request;
    request.set_name(session);
    for (const auto& [participant, attendance] : changes) {
      v1::AttendanceChange* change = request.add_attendance();
      change->set_participant(participant);
      change->set_attendance(attendance);
    }
    return request;
  }

  grpc::Status Attend(const v1::RecordAttendanceRequest& request,
                      v1::GroupSession* out, const TestCaller& caller = {}) {
    return sessions_->RecordAttendance(CallContext(caller).get(), request, out);
  }

  static v1::RecordEvaluationRequest EvaluationOf(
      const std::string& session, const std::string& participant, int rating) {
    v1::RecordEvaluationRequest request;
    request.set_name(session);
    v1::Rating* r = request.add_ratings();
    r->set_participant(participant);
    r->set_rating(rating);
    r->set_comment("I feel ready for the real one");
    request.set_facilitator_notes("Strong answers; practise STAR structure");
    return request;
  }

  grpc::Status Evaluate(const v1::RecordEvaluationRequest& request,
                        v1::GroupSession* out, const TestCaller& caller = {}) {
    return sessions_->RecordEvaluation(CallContext(caller).get(), request, out);
  }

  static v1::RecordFollowUpRequest FollowUpOf(const std::string& session,
                                              int progressed = 1) {
    v1::RecordFollowUpRequest request;
    request.set_name(session);
    request.mutable_follow_up()->set_outcome("One in work, one on a course");
    request.mutable_follow_up()->set_attendees_progressed(progressed);
    *request.mutable_follow_up()->mutable_follow_up_date() = DayFromToday(0);
    return request;
  }

  grpc::Status FollowUp(const v1::RecordFollowUpRequest& request,
                        v1::GroupSession* out, const TestCaller& caller = {}) {
    return sessions_->RecordFollowUp(CallContext(caller).get(), request, out);
  }

  using Spoil = std::function<void(v1::CreateGroupSessionRequest&)>;
  grpc::Status CreateSpoilt(const Spoil& spoil) {
    v1::CreateGroupSessionRequest request = Request();
    spoil(request);
    v1::GroupSession out;
    return Create(request, &out);
  }

  std::unique_ptr<v1::GroupSessions::Stub> sessions_;
};

TEST_F(GroupSessionsIntegrationTest, EveryMethodFromPlanToEvaluation) {
  v1::Participant amira = MustEnrol();
  v1::Participant ben = MustEnrol();

  // Create, replayed on the same request id.
  const v1::CreateGroupSessionRequest create = Request();
  v1::GroupSession session = MustCreate(create);
  EXPECT_TRUE(absl::StartsWith(
      session.name(), absl::StrCat(ContractName(contract_), "/groupSessions/")))
      << session.name();
  EXPECT_EQ(session.organisation(), TestCaller{}.organisation);
  EXPECT_EQ(session.follow_up_after_days(), 90);
  EXPECT_EQ(session.etag(), "1");
  v1::GroupSession replay;
  ASSERT_TRUE(Create(create, &replay).ok());
  EXPECT_EQ(replay.name(), session.name());

  // Get and List.
  v1::GroupSession got;
  ASSERT_TRUE(Get(session.name(), &got).ok());
  EXPECT_EQ(got.title(), "Interview skills");
  EXPECT_EQ(got.learning_needs_analysis().goals(),
            "Confidence answering competency questions");
  v1::GroupSession second = MustCreate(Request(14));
  v1::ListGroupSessionsResponse page;
  v1::ListGroupSessionsRequest first_page;
  first_page.set_page_size(1);
  ASSERT_TRUE(List(first_page, &page).ok());
  ASSERT_EQ(page.group_sessions_size(), 1);
  EXPECT_EQ(page.group_sessions(0).name(), session.name());  // oldest first
  first_page.set_page_token(page.next_page_token());
  ASSERT_TRUE(List(first_page, &page).ok());
  ASSERT_EQ(page.group_sessions_size(), 1);
  EXPECT_EQ(page.group_sessions(0).name(), second.name());

  // Update.
  v1::UpdateGroupSessionRequest update;
  update.mutable_group_session()->set_name(session.name());
  update.mutable_group_session()->set_etag(session.etag());
  update.mutable_group_session()->set_accessibility_notes(
      "Hearing loop booked");
  update.mutable_update_mask()->add_paths("accessibility_notes");
  v1::GroupSession updated;
  grpc::Status status = Update(update, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.accessibility_notes(), "Hearing loop booked");
  EXPECT_EQ(updated.etag(), "2");
  // A stale etag is refused.
  update.mutable_group_session()->set_accessibility_notes("Stale");
  EXPECT_TRUE(
      StatusIs(Update(update, &updated), Code::ABORTED, "group_session.etag"));

  // Attendance reaches the attendee's contact summary.
  v1::GroupSession attended;
  status = Attend(AttendanceOf(session.name(), {{amira.name(), v1::ATTENDED},
                                                {ben.name(), v1::BOOKED}}),
                  &attended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(attended.attendees_size(), 2);
  EXPECT_EQ(attended.attendees(0).attendance(), v1::ATTENDED);
  const v1::Participant after = GetParticipant(amira.name());
  const type::v1::Date today = DayFromToday(0);
  EXPECT_EQ(after.contact_summary().last_contact_date().DebugString(),
            today.DebugString());
  EXPECT_EQ(after.contact_summary().last_face_to_face_date().DebugString(),
            today.DebugString());
  EXPECT_FALSE(
      GetParticipant(ben.name()).contact_summary().has_last_contact_date());

  // Evaluation by the one who attended.
  v1::GroupSession evaluated;
  status = Evaluate(EvaluationOf(session.name(), amira.name(), 5), &evaluated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(evaluated.evaluated());
  EXPECT_EQ(evaluated.attendees(0).rating(), 5);
  EXPECT_TRUE(StatusIs(
      Evaluate(EvaluationOf(session.name(), ben.name(), 3), &evaluated),
      Code::FAILED_PRECONDITION, "ratings[0].participant"));

  // The follow-up waits for its delay.
  v1::GroupSession followed;
  status = FollowUp(FollowUpOf(session.name()), &followed);
  EXPECT_TRUE(StatusIs(status, Code::FAILED_PRECONDITION));
  EXPECT_TRUE(absl::StrContains(status.error_message(),
                                absl::FormatCivilTime(LondonToday() + 90)))
      << Describe(status);

  EXPECT_EQ(EventTypesOf(session.name()),
            (std::vector<std::string>{
                "GroupSessionScheduled", "GroupSessionUpdated",
                "GroupAttendanceRecorded", "GroupAttendanceRecorded",
                "GroupSessionEvaluated"}));
  v1::GroupAttendanceRecorded recorded;
  for (const EventEnvelope& event : Events()) {
    if (ShortType(event) == "GroupAttendanceRecorded") {
      ASSERT_TRUE(event.payload().UnpackTo(&recorded));
      break;
    }
  }
  EXPECT_EQ(recorded.participant().participant(), amira.name());
  EXPECT_EQ(recorded.facts().attended(), 1);
  EXPECT_EQ(recorded.facts().attendees(), 2);
}

TEST_F(GroupSessionsIntegrationTest, FollowUpIsAcceptedOnceItsDelayHasPassed) {
  v1::Participant p = MustEnrol();
  v1::CreateGroupSessionRequest yesterday = Request(-1);
  yesterday.mutable_group_session()->set_follow_up_after_days(2);
  v1::GroupSession waiting = MustCreate(yesterday);
  v1::GroupSession out;
  grpc::Status status = FollowUp(FollowUpOf(waiting.name(), 0), &out);
  EXPECT_TRUE(StatusIs(status, Code::FAILED_PRECONDITION, "name"));
  EXPECT_TRUE(absl::StrContains(status.error_message(),
                                absl::FormatCivilTime(LondonToday() + 1)))
      << Describe(status);

  yesterday = Request(-1);
  yesterday.mutable_group_session()->set_follow_up_after_days(1);
  v1::GroupSession due = MustCreate(yesterday);
  ASSERT_TRUE(
      Attend(AttendanceOf(due.name(), {{p.name(), v1::ATTENDED}}), &out).ok());
  // No more progressed than attended.
  EXPECT_TRUE(StatusIs(FollowUp(FollowUpOf(due.name(), 2), &out),
                       Code::FAILED_PRECONDITION,
                       "follow_up.attendees_progressed"));
  status = FollowUp(FollowUpOf(due.name(), 1), &out);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(out.follow_up().recorded_by(), TestCaller{}.user);
  EXPECT_EQ(out.follow_up().attendees_progressed(), 1);
  EXPECT_EQ(EventTypesOf(due.name()).back(), "GroupSessionFollowedUp");
  EXPECT_EQ(EventTypesOf(waiting.name()),
            std::vector<std::string>{"GroupSessionScheduled"});
}

TEST_F(GroupSessionsIntegrationTest, ConcurrentAttendanceIsAllKept) {
  // Five writers at once, no etag: each lost race is read and tried again,
  // and a writer can lose only to the other four.
  constexpr int kWriters = 5;
  std::vector<v1::Participant> people;
  for (int i = 0; i < kWriters; ++i) people.push_back(MustEnrol());
  v1::GroupSession session = MustCreate(Request());
  std::vector<grpc::Status> statuses(kWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] {
      v1::GroupSession out;
      statuses[i] = Attend(
          AttendanceOf(session.name(), {{people[i].name(), v1::ATTENDED}}),
          &out);
    });
  }
  for (std::thread& writer : writers) writer.join();
  for (const grpc::Status& status : statuses) {
    EXPECT_TRUE(status.ok()) << Describe(status);
  }
  v1::GroupSession out;
  ASSERT_TRUE(Get(session.name(), &out).ok());
  EXPECT_EQ(out.attendees_size(), kWriters);
  EXPECT_EQ(out.etag(), absl::StrCat(1 + kWriters));
  std::vector<std::string> types = EventTypesOf(session.name());
  EXPECT_EQ(std::count(types.begin(), types.end(), "GroupAttendanceRecorded"),
            kWriters);
  for (const v1::Participant& p : people) {
    EXPECT_TRUE(
        GetParticipant(p.name()).contact_summary().has_last_contact_date());
  }
}

// ---- Bad input: INVALID_ARGUMENT naming the field, nothing stored

TEST_F(GroupSessionsIntegrationTest, CreateNamesTheFieldAndStoresNothing) {
  using R = v1::CreateGroupSessionRequest;
  auto s = [](R& r) { return r.mutable_group_session(); };
  const std::vector<std::pair<Spoil, std::string>> cases = {
      {[](R& r) { r.clear_parent(); }, "parent"},
      {[](R& r) { r.set_parent("contracts/Upper"); }, "parent"},
      {[](R& r) { r.set_request_id("has spaces"); }, "request_id"},
      {[](R& r) { r.clear_group_session(); }, "group_session"},
      {[s](R& r) { s(r)->clear_title(); }, "group_session.title"},
      {[s](R& r) { s(r)->clear_learning_needs_analysis(); },
       "group_session.learning_needs_analysis"},
      {[s](R& r) {
         s(r)->mutable_learning_needs_analysis()->clear_starting_points();
       },
       "group_session.learning_needs_analysis.starting_points"},
      {[s](R& r) { s(r)->mutable_learning_needs_analysis()->clear_goals(); },
       "group_session.learning_needs_analysis.goals"},
      {[s](R& r) {
         s(r)->mutable_learning_needs_analysis()->set_content_and_methods(
             std::string(4001, 'c'));
       },
       "group_session.learning_needs_analysis.content_and_methods"},
      {[s](R& r) { s(r)->clear_session_date(); }, "group_session.session_date"},
      {[s](R& r) { s(r)->mutable_session_date()->set_month(13); },
       "group_session.session_date"},
      {[s](R& r) { s(r)->set_facilitator("Tutor"); },
       "group_session.facilitator"},
      {[s](R& r) { s(r)->clear_delivery_mode(); },
       "group_session.delivery_mode"},
      {[s](R& r) { s(r)->set_accessibility_notes(std::string(2001, 'n')); },
       "group_session.accessibility_notes"},
      {[s](R& r) { s(r)->set_follow_up_after_days(731); },
       "group_session.follow_up_after_days"},
  };
  for (const auto& [spoil, field] : cases) {
    EXPECT_TRUE(StatusIs(CreateSpoilt(spoil), Code::INVALID_ARGUMENT, field));
  }
  EXPECT_EQ(Count(), 0);
  EXPECT_TRUE(Events().empty());
}

TEST_F(GroupSessionsIntegrationTest, ChangesNameTheFieldAndStoreNothing) {
  v1::Participant p = MustEnrol();
  v1::GroupSession session = MustCreate(Request());
  const size_t events = Events().size();
  const std::string elsewhere =
      absl::StrCat(ContractName(UniqueId("other")), "/participants/p");
  v1::GroupSession out;

  v1::UpdateGroupSessionRequest update;
  update.mutable_group_session()->set_name(session.name());
  update.mutable_update_mask()->add_paths("attendees");
  EXPECT_TRUE(
      StatusIs(Update(update, &out), Code::INVALID_ARGUMENT, "update_mask"));
  update.mutable_update_mask()->Clear();
  update.mutable_update_mask()->add_paths("title");
  EXPECT_TRUE(StatusIs(Update(update, &out), Code::INVALID_ARGUMENT,
                       "group_session.title"));
  update.mutable_group_session()->set_name("groupSessions/x");
  EXPECT_TRUE(StatusIs(Update(update, &out), Code::INVALID_ARGUMENT,
                       "group_session.name"));

  EXPECT_TRUE(StatusIs(Attend(AttendanceOf(session.name(), {}), &out),
                       Code::INVALID_ARGUMENT, "attendance"));
  EXPECT_TRUE(StatusIs(
      Attend(AttendanceOf(session.name(), {{elsewhere, v1::BOOKED}}), &out),
      Code::INVALID_ARGUMENT, "attendance[0].participant"));
  EXPECT_TRUE(StatusIs(
      Attend(AttendanceOf(session.name(),
                          {{p.name(), v1::BOOKED}, {p.name(), v1::ATTENDED}}),
             &out),
      Code::INVALID_ARGUMENT, "attendance[1].participant"));
  EXPECT_TRUE(
      StatusIs(Attend(AttendanceOf(session.name(),
                                   {{p.name(), v1::ATTENDANCE_UNSPECIFIED}}),
                      &out),
               Code::INVALID_ARGUMENT, "attendance[0].attendance"));

  v1::RecordEvaluationRequest evaluation =
      EvaluationOf(session.name(), p.name(), 0);
  EXPECT_TRUE(StatusIs(Evaluate(evaluation, &out), Code::INVALID_ARGUMENT,
                       "ratings[0].rating"));
  evaluation = EvaluationOf(session.name(), p.name(), 4);
  evaluation.clear_facilitator_notes();
  EXPECT_TRUE(StatusIs(Evaluate(evaluation, &out), Code::INVALID_ARGUMENT,
                       "facilitator_notes"));

  v1::RecordFollowUpRequest follow_up = FollowUpOf(session.name());
  follow_up.clear_follow_up();
  EXPECT_TRUE(
      StatusIs(FollowUp(follow_up, &out), Code::INVALID_ARGUMENT, "follow_up"));
  follow_up = FollowUpOf(session.name());
  *follow_up.mutable_follow_up()->mutable_follow_up_date() = DayFromToday(1);
  EXPECT_TRUE(StatusIs(FollowUp(follow_up, &out), Code::INVALID_ARGUMENT,
                       "follow_up.follow_up_date"));
  follow_up = FollowUpOf(session.name());
  follow_up.mutable_follow_up()->clear_outcome();
  EXPECT_TRUE(StatusIs(FollowUp(follow_up, &out), Code::INVALID_ARGUMENT,
                       "follow_up.outcome"));

  v1::ListGroupSessionsRequest list;
  list.set_page_token("not-a-token");
  v1::ListGroupSessionsResponse response;
  EXPECT_TRUE(
      StatusIs(List(list, &response), Code::INVALID_ARGUMENT, "page_token"));
  list.clear_page_token();
  list.set_page_size(-1);
  EXPECT_TRUE(
      StatusIs(List(list, &response), Code::INVALID_ARGUMENT, "page_size"));

  // Unknown sessions and participants are refused as unshared ones are: a
  // refusal never says whether a record exists.
  const std::string unknown =
      absl::StrCat(ContractName(contract_), "/groupSessions/", UniqueId("no"));
  EXPECT_TRUE(StatusIs(Get(unknown, &out), Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(
      Attend(AttendanceOf(session.name(),
                          {{absl::StrCat(ContractName(contract_),
                                         "/participants/", UniqueId("nobody")),
                            v1::BOOKED}}),
             &out),
      Code::PERMISSION_DENIED));

  ASSERT_TRUE(Get(session.name(), &out).ok());
  EXPECT_EQ(out.etag(), "1");
  EXPECT_EQ(out.attendees_size(), 0);
  EXPECT_EQ(Events().size(), events);
}

TEST_F(GroupSessionsIntegrationTest, AnotherOrganisationIsDeniedEverywhere) {
  const TestCaller other{"org-other", "nosy"};
  v1::Participant p = MustEnrol();
  v1::GroupSession session = MustCreate(Request());
  v1::GroupSession out;
  ASSERT_TRUE(
      Attend(AttendanceOf(session.name(), {{p.name(), v1::ATTENDED}}), &out)
          .ok());
  const size_t events = Events().size();

  EXPECT_TRUE(
      StatusIs(Get(session.name(), &out, other), Code::PERMISSION_DENIED));
  v1::UpdateGroupSessionRequest update;
  update.mutable_group_session()->set_name(session.name());
  update.mutable_group_session()->set_title("Taken over");
  update.mutable_update_mask()->add_paths("title");
  EXPECT_TRUE(StatusIs(Update(update, &out, other), Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(
      Attend(AttendanceOf(session.name(), {{p.name(), v1::DID_NOT_ATTEND}}),
             &out, other),
      Code::PERMISSION_DENIED));
  EXPECT_TRUE(
      StatusIs(Evaluate(EvaluationOf(session.name(), p.name(), 1), &out, other),
               Code::PERMISSION_DENIED));
  EXPECT_TRUE(StatusIs(FollowUp(FollowUpOf(session.name()), &out, other),
                       Code::PERMISSION_DENIED));
  EXPECT_EQ(Count(other), 0);

  // Their own session cannot take a participant they cannot see.
  v1::GroupSession theirs = MustCreate(Request(), other);
  const size_t with_theirs = Events().size();
  EXPECT_TRUE(
      StatusIs(Attend(AttendanceOf(theirs.name(), {{p.name(), v1::BOOKED}}),
                      &out, other),
               Code::PERMISSION_DENIED));
  ASSERT_TRUE(Get(theirs.name(), &out, other).ok());
  EXPECT_EQ(out.attendees_size(), 0);
  EXPECT_EQ(Count(other), 1);
  EXPECT_EQ(Count(), 1);

  ASSERT_TRUE(Get(session.name(), &out).ok());
  EXPECT_EQ(out.title(), "Interview skills");
  EXPECT_EQ(Events().size(), with_theirs);
  EXPECT_EQ(with_theirs, events + 1);  // their session's scheduling only
}

}  // namespace
}  // namespace employability
