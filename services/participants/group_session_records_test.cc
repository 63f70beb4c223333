// Unit tests of group sessions (QIF component 5), on the in-memory store.
#include "services/participants/group_session_records.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "services/participants/catalogues.h"
#include "services/participants/contact_records.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

using Code = absl::StatusCode;

class GroupSessionRecordsTest : public JourneyTest {
 protected:
  GroupSessionRecordsTest() : sessions_(files_) {}

  // A session on Monday 9 March 2026, in person, planned today (2 March).
  v1::CreateGroupSessionRequest Request(const std::string& request_id = "g1") {
    v1::CreateGroupSessionRequest request;
    request.set_parent(absl::StrCat("contracts/", kContract));
    request.set_request_id(request_id);
    v1::GroupSession* s = request.mutable_group_session();
    s->set_title("CV workshop");
    v1::LearningNeedsAnalysis* lna = s->mutable_learning_needs_analysis();
    lna->set_starting_points("Long-term unemployed; two without a CV");
    lna->set_goals("A CV each, tailored to a local vacancy");
    lna->set_content_and_methods("Worked examples, pairs, one-to-one review");
    *s->mutable_session_date() = Day(2026, 3, 9);
    s->set_facilitator("tutor-1");
    s->set_delivery_mode(v1::IN_PERSON);
    s->set_accessibility_needs_met(true);
    s->set_accessibility_notes("Step-free room; large-print handouts");
    return request;
  }

  v1::GroupSession Schedule(v1::CreateGroupSessionRequest request,
                            const auth::Caller& caller) {
    absl::StatusOr<v1::GroupSession> created =
        sessions_.Create(caller, request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.value_or(v1::GroupSession());
  }
  v1::GroupSession Schedule(const std::string& request_id = "g1") {
    return Schedule(Request(request_id), adviser_);
  }
  // A session held today (2 March).
  v1::GroupSession ScheduleToday(v1::DeliveryMode mode = v1::IN_PERSON,
                                 const std::string& request_id = "today") {
    v1::CreateGroupSessionRequest request = Request(request_id);
    *request.mutable_group_session()->mutable_session_date() = Day(2026, 3, 2);
    request.mutable_group_session()->set_delivery_mode(mode);
    return Schedule(request, adviser_);
  }

  absl::StatusOr<v1::GroupSession> Attendance(
      const v1::GroupSession& session,
      const std::vector<std::pair<std::string, v1::Attendance>>& changes,
      const auth::Caller& caller, const std::string& etag = "") {
    v1::RecordAttendanceRequest request;
    request.set_name(session.name());
    request.set_etag(etag);
    for (const auto& [participant, attendance] : changes) {
      v1::AttendanceChange* change = request.add_attendance();
      change->set_participant(participant);
      change->set_attendance(attendance);
    }
    return sessions_.RecordAttendance(caller, request);
  }
  absl::StatusOr<v1::GroupSession> Attendance(
      const v1::GroupSession& session,
      const std::vector<std::pair<std::string, v1::Attendance>>& changes) {
    return Attendance(session, changes, adviser_);
  }

  v1::RecordEvaluationRequest Evaluation(
      const v1::GroupSession& session,
      const std::vector<std::pair<std::string, int>>& ratings) {
    v1::RecordEvaluationRequest request;
    request.set_name(session.name());
    for (const auto& [participant, value] : ratings) {
      v1::Rating* rating = request.add_ratings();
      rating->set_participant(participant);
      rating->set_rating(value);
      rating->set_comment("Useful; I have a CV now");
    }
    request.set_facilitator_notes("Good energy; two need follow-up on IT");
    return request;
  }

  v1::RecordFollowUpRequest FollowUp(const v1::GroupSession& session,
                                     type::v1::Date date, int progressed = 1) {
    v1::RecordFollowUpRequest request;
    request.set_name(session.name());
    request.mutable_follow_up()->set_outcome("One started work, one a course");
    request.mutable_follow_up()->set_attendees_progressed(progressed);
    *request.mutable_follow_up()->mutable_follow_up_date() = date;
    return request;
  }

  v1::GroupSession Reread(const v1::GroupSession& session) {
    v1::GetGroupSessionRequest request;
    request.set_name(session.name());
    absl::StatusOr<v1::GroupSession> got = sessions_.Get(adviser_, request);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.value_or(session);
  }
  using JourneyTest::Reread;

  int ListedFor(const auth::Caller& caller) {
    v1::ListGroupSessionsRequest list;
    list.set_parent(absl::StrCat("contracts/", kContract));
    absl::StatusOr<v1::ListGroupSessionsResponse> page =
        sessions_.List(caller, list);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->group_sessions_size() : -1;
  }

  std::vector<std::string> Index(const std::string& name,
                                 const std::string& value) {
    auto members =
        store_.IndexRange(files_.Keys(kContract).Index(name, value), "", 100);
    EXPECT_TRUE(members.ok()) << members.status();
    return members.value_or(std::vector<std::string>{});
  }

  static std::string IdOf(const std::string& name) {
    return name.substr(name.rfind('/') + 1);
  }

  void Advance(int days) { clock_.Advance(absl::Hours(24 * days)); }

  GroupSessionRecords sessions_;
};

TEST_F(GroupSessionRecordsTest, CreateSchedulesTheSessionInItsOwnRecord) {
  NewEvents();
  v1::CreateGroupSessionRequest request = Request();
  // Output-only fields are ignored.
  request.mutable_group_session()->set_organisation("someone-else");
  request.mutable_group_session()->set_evaluated(true);
  request.mutable_group_session()->add_attendees()->set_participant("x");
  request.mutable_group_session()->set_name("contracts/x/groupSessions/y");
  v1::GroupSession session = Schedule(request, adviser_);
  EXPECT_TRUE(absl::StartsWith(
      session.name(), absl::StrCat("contracts/", kContract, "/groupSessions/")))
      << session.name();
  EXPECT_EQ(session.organisation(), "prime-north");
  EXPECT_FALSE(session.evaluated());
  EXPECT_EQ(session.attendees_size(), 0);
  EXPECT_EQ(session.follow_up_after_days(), kDefaultFollowUpDays);
  EXPECT_EQ(session.etag(), "1");
  EXPECT_TRUE(session.has_create_time());
  EXPECT_EQ(Reread(session).title(), "CV workshop");

  // The layout other areas read: the record (without its etag) and the
  // organisation's index.
  const std::string id = IdOf(session.name());
  auto stored = store_.Get(files_.Keys(kContract).Record("group-session", id));
  ASSERT_TRUE(stored.ok() && stored->has_value());
  v1::GroupSession decoded;
  ASSERT_TRUE(decoded.ParseFromString((*stored)->value));
  EXPECT_TRUE(decoded.etag().empty());
  EXPECT_EQ(Index("group-session-org", "prime-north"),
            std::vector<std::string>{id});

  EXPECT_EQ(NewEvents(), std::vector<std::string>{"GroupSessionScheduled"});
  auto event = LastEvent<v1::GroupSessionScheduled>();
  EXPECT_EQ(event.facts().group_session(), session.name());
  EXPECT_EQ(event.facts().contract(), kContract);
  EXPECT_EQ(event.facts().organisation(), "prime-north");
  EXPECT_EQ(event.facts().facilitator(), "tutor-1");
  EXPECT_EQ(event.facts().delivery_mode(), v1::IN_PERSON);
  EXPECT_TRUE(event.facts().accessibility_needs_met());
  EXPECT_EQ(Envelopes().back().aggregate(), session.name());
}

TEST_F(GroupSessionRecordsTest, CreateIsIdempotentOnTheRequestId) {
  v1::GroupSession session = Schedule();
  NewEvents();
  absl::StatusOr<v1::GroupSession> again =
      sessions_.Create(adviser_, Request());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), session.name());
  EXPECT_EQ(again->title(), "CV workshop");
  v1::CreateGroupSessionRequest other = Request();
  other.mutable_group_session()->set_title("Interview skills");
  EXPECT_TRUE(Names(sessions_.Create(adviser_, other).status(),
                    Code::kInvalidArgument, "request_id"));
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(ListedFor(adviser_), 1);
  // Request ids are the organisation's own.
  EXPECT_TRUE(sessions_.Create(other_agency_, Request()).ok());
  EXPECT_EQ(ListedFor(adviser_), 1);
  EXPECT_EQ(ListedFor(other_agency_), 1);
}

TEST_F(GroupSessionRecordsTest, BadInputNamesTheFieldAndStoresNothing) {
  NewEvents();
  using R = v1::CreateGroupSessionRequest;
  auto s = [](R& r) { return r.mutable_group_session(); };
  auto lna = [](R& r) {
    return r.mutable_group_session()->mutable_learning_needs_analysis();
  };
  struct Bad {
    std::function<void(R&)> spoil;
    std::string field;
  };
  const std::vector<Bad> cases = {
      {[](R& r) { r.set_parent("contracts/"); }, "parent"},
      {[](R& r) { r.clear_request_id(); }, "request_id"},
      {[](R& r) { r.clear_group_session(); }, "group_session"},
      {[s](R& r) { s(r)->clear_title(); }, "group_session.title"},
      {[s](R& r) { s(r)->set_title(std::string(201, 't')); },
       "group_session.title"},
      {[s](R& r) { s(r)->clear_learning_needs_analysis(); },
       "group_session.learning_needs_analysis"},
      {[lna](R& r) { lna(r)->clear_starting_points(); },
       "group_session.learning_needs_analysis.starting_points"},
      {[lna](R& r) { lna(r)->clear_goals(); },
       "group_session.learning_needs_analysis.goals"},
      {[lna](R& r) { lna(r)->clear_content_and_methods(); },
       "group_session.learning_needs_analysis.content_and_methods"},
      {[lna](R& r) { lna(r)->set_goals(std::string(4001, 'g')); },
       "group_session.learning_needs_analysis.goals"},
      {[s](R& r) { s(r)->clear_session_date(); }, "group_session.session_date"},
      {[s](R& r) {
         s(r)->mutable_session_date()->set_month(2);
         s(r)->mutable_session_date()->set_day(30);
       },
       "group_session.session_date.day"},
      {[s](R& r) { s(r)->clear_facilitator(); }, "group_session.facilitator"},
      {[s](R& r) { s(r)->set_facilitator("Tutor One"); },
       "group_session.facilitator"},
      {[s](R& r) { s(r)->clear_delivery_mode(); },
       "group_session.delivery_mode"},
      {[s](R& r) { s(r)->set_delivery_mode(static_cast<v1::DeliveryMode>(7)); },
       "group_session.delivery_mode"},
      {[s](R& r) { s(r)->set_accessibility_notes(std::string(2001, 'a')); },
       "group_session.accessibility_notes"},
      {[s](R& r) { s(r)->set_follow_up_after_days(731); },
       "group_session.follow_up_after_days"},
      {[s](R& r) { s(r)->set_follow_up_after_days(-1); },
       "group_session.follow_up_after_days"},
  };
  for (const Bad& bad : cases) {
    R request = Request("bad");
    bad.spoil(request);
    EXPECT_TRUE(Names(sessions_.Create(adviser_, request).status(),
                      Code::kInvalidArgument, bad.field));
  }
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(ListedFor(adviser_), 0);
  // Planned sessions may be in the future; the bounds are inclusive.
  R planned = Request("planned");
  *planned.mutable_group_session()->mutable_session_date() = Day(2027, 1, 4);
  planned.mutable_group_session()->set_follow_up_after_days(730);
  EXPECT_TRUE(sessions_.Create(adviser_, planned).ok());
}

TEST_F(GroupSessionRecordsTest, AttendanceBeforeTheSessionDateIsRefused) {
  v1::Participant p = EnrolAndStart();
  v1::GroupSession session = Schedule();  // 9 March
  NewEvents();
  auto booked = Attendance(session, {{p.name(), v1::BOOKED}});
  ASSERT_TRUE(booked.ok()) << booked.status();
  ASSERT_EQ(booked->attendees_size(), 1);
  EXPECT_EQ(booked->attendees(0).attendance(), v1::BOOKED);
  // Booking is no contact: the participant's record is untouched.
  EXPECT_FALSE(Reread(p).contact_summary().has_last_contact_date());
  // Joining the session indexes it under the participant.
  const std::string participant_id = IdOf(p.name());
  EXPECT_EQ(Index("group-session", participant_id),
            std::vector<std::string>{IdOf(session.name())});

  absl::Status early = Attendance(session, {{p.name(), v1::ATTENDED}}).status();
  EXPECT_TRUE(
      Names(early, Code::kFailedPrecondition, "attendance[0].attendance"));
  EXPECT_TRUE(absl::StrContains(early.message(), "2026-03-09")) << early;
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"GroupAttendanceRecorded"});

  Advance(7);  // the day of the session
  auto attended = Attendance(session, {{p.name(), v1::ATTENDED}});
  ASSERT_TRUE(attended.ok()) << attended.status();
  EXPECT_EQ(attended->attendees(0).attendance(), v1::ATTENDED);
  EXPECT_EQ(attended->etag(), "3");
  // The same attendance again changes nothing.
  ASSERT_TRUE(Attendance(session, {{p.name(), v1::ATTENDED}}).ok());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"GroupAttendanceRecorded"});
  EXPECT_EQ(Index("group-session", participant_id).size(), 1u);
}

TEST_F(GroupSessionRecordsTest,
       AttendingInPersonMovesBothContactDatesOnlineOnlyTheLast) {
  v1::Participant in_person = EnrolAndStart("JK123456A");
  v1::Participant online = EnrolAndStart("JK654321B");
  v1::GroupSession room = ScheduleToday(v1::IN_PERSON, "room");
  v1::GroupSession video = ScheduleToday(v1::ONLINE, "video");
  ASSERT_TRUE(Attendance(room, {{in_person.name(), v1::ATTENDED}}).ok());
  ASSERT_TRUE(Attendance(video, {{online.name(), v1::ATTENDED}}).ok());

  const v1::Participant a = Reread(in_person);
  EXPECT_EQ(a.contact_summary().last_contact_date().day(), 2);
  EXPECT_EQ(a.contact_summary().last_face_to_face_date().day(), 2);
  EXPECT_EQ(a.spells(0).last_activity_date().month(), 3);
  EXPECT_EQ(a.etag(), absl::StrCat(std::stoi(in_person.etag()) + 1));
  const v1::Participant b = Reread(online);
  EXPECT_EQ(b.contact_summary().last_contact_date().day(), 2);
  EXPECT_FALSE(b.contact_summary().has_last_face_to_face_date());
}

TEST_F(GroupSessionRecordsTest, AnotherOrganisationIsDeniedAndNothingWritten) {
  v1::Participant p = EnrolAndStart();
  v1::GroupSession mine = ScheduleToday();
  NewEvents();
  // Their session cannot take our participant: they cannot see them.
  v1::CreateGroupSessionRequest theirs_request = Request("theirs");
  *theirs_request.mutable_group_session()->mutable_session_date() =
      Day(2026, 3, 2);
  v1::GroupSession theirs = Schedule(theirs_request, other_agency_);
  NewEvents();
  EXPECT_EQ(Attendance(theirs, {{p.name(), v1::ATTENDED}}, other_agency_)
                .status()
                .code(),
            Code::kPermissionDenied);
  v1::GetGroupSessionRequest get_theirs;
  get_theirs.set_name(theirs.name());
  EXPECT_EQ(sessions_.Get(other_agency_, get_theirs)->attendees_size(), 0);
  // Our session is not theirs to read or change.
  v1::GetGroupSessionRequest get;
  get.set_name(mine.name());
  EXPECT_EQ(sessions_.Get(other_agency_, get).status().code(),
            Code::kPermissionDenied);
  v1::UpdateGroupSessionRequest update;
  update.mutable_group_session()->set_name(mine.name());
  update.mutable_group_session()->set_title("Hijacked");
  update.mutable_update_mask()->add_paths("title");
  EXPECT_EQ(sessions_.Update(other_agency_, update).status().code(),
            Code::kPermissionDenied);
  EXPECT_EQ(sessions_.RecordEvaluation(other_agency_, Evaluation(mine, {}))
                .status()
                .code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_TRUE(Index("group-session", IdOf(p.name())).empty());
  EXPECT_FALSE(Reread(p).contact_summary().has_last_contact_date());
  EXPECT_EQ(ListedFor(other_agency_), 1);
}

TEST_F(GroupSessionRecordsTest, AttendeeWhoExitedBeforeTheSessionIsRefused) {
  v1::Participant p = EnrolAndStart();    // started 2 March
  v1::GroupSession session = Schedule();  // 9 March
  Advance(8);                             // 10 March
  Exit(p, Day(2026, 3, 5));
  NewEvents();
  for (v1::Attendance attendance : {v1::ATTENDED, v1::BOOKED}) {
    absl::Status status =
        Attendance(session, {{p.name(), attendance}}).status();
    EXPECT_TRUE(
        Names(status, Code::kFailedPrecondition, "attendance[0].participant"));
    EXPECT_TRUE(absl::StrContains(status.message(), "nothing-after-exit"))
        << status;
  }
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(session).attendees_size(), 0);
  // A no-show may still be noted.
  EXPECT_TRUE(Attendance(session, {{p.name(), v1::DID_NOT_ATTEND}}).ok());
}

TEST_F(GroupSessionRecordsTest, AttendanceInputIsCheckedBeforeAnythingIsRead) {
  v1::Participant p = EnrolAndStart();
  v1::GroupSession session = ScheduleToday();
  NewEvents();
  const std::string elsewhere = "contracts/south-east/participants/p1";
  struct Bad {
    std::vector<std::pair<std::string, v1::Attendance>> changes;
    std::string field;
  };
  std::vector<std::pair<std::string, v1::Attendance>> too_many(
      101, {p.name(), v1::BOOKED});
  const std::vector<Bad> cases = {
      {{}, "attendance"},
      {too_many, "attendance"},
      {{{"", v1::BOOKED}}, "attendance[0].participant"},
      {{{"participants/p", v1::BOOKED}}, "attendance[0].participant"},
      {{{elsewhere, v1::BOOKED}}, "attendance[0].participant"},
      {{{p.name(), v1::ATTENDED}, {p.name(), v1::BOOKED}},
       "attendance[1].participant"},
      {{{p.name(), v1::ATTENDANCE_UNSPECIFIED}}, "attendance[0].attendance"},
      {{{p.name(), static_cast<v1::Attendance>(9)}},
       "attendance[0].attendance"},
  };
  for (const Bad& bad : cases) {
    EXPECT_TRUE(Names(Attendance(session, bad.changes).status(),
                      Code::kInvalidArgument, bad.field));
  }
  v1::RecordAttendanceRequest unnamed;
  EXPECT_TRUE(Names(sessions_.RecordAttendance(adviser_, unnamed).status(),
                    Code::kInvalidArgument, "name"));
  // Unknown participants and sessions are refused as unreachable ones are,
  // so that a refusal never tells whether a record exists.
  const std::string nobody =
      absl::StrCat("contracts/", kContract, "/participants/nobody");
  EXPECT_EQ(Attendance(session, {{nobody, v1::BOOKED}}).status().code(),
            Code::kPermissionDenied);
  v1::GroupSession missing = session;
  missing.set_name(absl::StrCat("contracts/", kContract, "/groupSessions/no"));
  EXPECT_EQ(Attendance(missing, {{p.name(), v1::BOOKED}}).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(session).attendees_size(), 0);
}

TEST_F(GroupSessionRecordsTest, ErasedParticipantCannotBeAdded) {
  v1::Participant p = EnrolAndStart();
  v1::GroupSession session = ScheduleToday();
  // Marks the record erased, as the subject-rights area does.
  absl::StatusOr<ParticipantName> name = ParseParticipantName("name", p.name());
  ASSERT_TRUE(name.ok());
  absl::StatusOr<Case> read = files_.Read(adviser_, *name, v1::IDENTITY);
  ASSERT_TRUE(read.ok()) << read.status();
  v1::Participant erased = read->participant;
  erased.set_erased(true);
  storage::Batch batch;
  ASSERT_TRUE(files_.StageParticipant(batch, adviser_, *read, erased));
  ASSERT_TRUE(store_.Commit(batch).ok());
  NewEvents();

  EXPECT_TRUE(Names(Attendance(session, {{p.name(), v1::BOOKED}}).status(),
                    Code::kFailedPrecondition, "attendance[0].participant"));
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(GroupSessionRecordsTest, EvaluationOnlyForAttendeesWhoAttended) {
  v1::Participant came = EnrolAndStart("JK123456A");
  v1::Participant missed = EnrolAndStart("JK654321B");
  v1::GroupSession later = Schedule();  // 9 March
  EXPECT_TRUE(Names(
      sessions_.RecordEvaluation(adviser_, Evaluation(later, {})).status(),
      Code::kFailedPrecondition, "name"));

  v1::GroupSession session = ScheduleToday();
  ASSERT_TRUE(Attendance(session, {{came.name(), v1::ATTENDED},
                                   {missed.name(), v1::DID_NOT_ATTEND}})
                  .ok());
  NewEvents();
  EXPECT_TRUE(Names(
      sessions_
          .RecordEvaluation(adviser_, Evaluation(session, {{came.name(), 4},
                                                           {missed.name(), 2}}))
          .status(),
      Code::kFailedPrecondition, "ratings[1].participant"));
  // Bad input names its field.
  EXPECT_TRUE(Names(
      sessions_
          .RecordEvaluation(adviser_, Evaluation(session, {{came.name(), 6}}))
          .status(),
      Code::kInvalidArgument, "ratings[0].rating"));
  EXPECT_TRUE(Names(
      sessions_
          .RecordEvaluation(adviser_, Evaluation(session, {{came.name(), 4},
                                                           {came.name(), 5}}))
          .status(),
      Code::kInvalidArgument, "ratings[1].participant"));
  v1::RecordEvaluationRequest no_notes = Evaluation(session, {});
  no_notes.clear_facilitator_notes();
  EXPECT_TRUE(Names(sessions_.RecordEvaluation(adviser_, no_notes).status(),
                    Code::kInvalidArgument, "facilitator_notes"));
  v1::RecordEvaluationRequest long_comment =
      Evaluation(session, {{came.name(), 4}});
  long_comment.mutable_ratings(0)->set_comment(std::string(1001, 'c'));
  EXPECT_TRUE(Names(sessions_.RecordEvaluation(adviser_, long_comment).status(),
                    Code::kInvalidArgument, "ratings[0].comment"));
  EXPECT_TRUE(NewEvents().empty());

  auto evaluated = sessions_.RecordEvaluation(
      adviser_, Evaluation(session, {{came.name(), 4}}));
  ASSERT_TRUE(evaluated.ok()) << evaluated.status();
  EXPECT_TRUE(evaluated->evaluated());
  EXPECT_EQ(evaluated->attendees(0).rating(), 4);
  EXPECT_EQ(evaluated->attendees(0).comment(), "Useful; I have a CV now");
  EXPECT_EQ(evaluated->attendees(1).rating(), 0);
  EXPECT_FALSE(evaluated->facilitator_notes().empty());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"GroupSessionEvaluated"});
  auto event = LastEvent<v1::GroupSessionEvaluated>();
  EXPECT_EQ(event.ratings(), 1);
  EXPECT_DOUBLE_EQ(event.mean_rating(), 4.0);
  EXPECT_EQ(event.facts().attended(), 1);
  EXPECT_EQ(event.facts().attendees(), 2);

  // Recorded again, it replaces the last one.
  auto again = sessions_.RecordEvaluation(adviser_, Evaluation(session, {}));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->attendees(0).rating(), 0);
  EXPECT_TRUE(again->attendees(0).comment().empty());
  EXPECT_EQ(LastEvent<v1::GroupSessionEvaluated>().ratings(), 0);
}

TEST_F(GroupSessionRecordsTest, FollowUpOnlyAfterTheDelay) {
  v1::Participant p = EnrolAndStart();
  v1::CreateGroupSessionRequest request = Request("delayed");
  *request.mutable_group_session()->mutable_session_date() = Day(2026, 3, 2);
  request.mutable_group_session()->set_follow_up_after_days(30);
  v1::GroupSession session = Schedule(request, adviser_);
  ASSERT_TRUE(Attendance(session, {{p.name(), v1::ATTENDED}}).ok());
  NewEvents();

  absl::Status early =
      sessions_.RecordFollowUp(adviser_, FollowUp(session, Day(2026, 3, 2)))
          .status();
  EXPECT_EQ(early.code(), Code::kFailedPrecondition) << early;
  EXPECT_TRUE(absl::StrContains(early.message(), "2026-04-01")) << early;
  // Bad input is refused before the rule of the delay is even looked at.
  EXPECT_TRUE(Names(
      sessions_.RecordFollowUp(adviser_, FollowUp(session, Day(2026, 5, 1)))
          .status(),
      Code::kInvalidArgument, "follow_up.follow_up_date"));
  v1::RecordFollowUpRequest no_outcome = FollowUp(session, Day(2026, 3, 2));
  no_outcome.mutable_follow_up()->clear_outcome();
  EXPECT_TRUE(Names(sessions_.RecordFollowUp(adviser_, no_outcome).status(),
                    Code::kInvalidArgument, "follow_up.outcome"));
  EXPECT_TRUE(Names(
      sessions_.RecordFollowUp(adviser_, FollowUp(session, Day(2026, 3, 2), -1))
          .status(),
      Code::kInvalidArgument, "follow_up.attendees_progressed"));

  Advance(30);  // 1 April
  EXPECT_TRUE(Names(
      sessions_.RecordFollowUp(adviser_, FollowUp(session, Day(2026, 3, 31)))
          .status(),
      Code::kFailedPrecondition, "follow_up.follow_up_date"));
  EXPECT_TRUE(Names(
      sessions_.RecordFollowUp(adviser_, FollowUp(session, Day(2026, 4, 1), 2))
          .status(),
      Code::kFailedPrecondition, "follow_up.attendees_progressed"));
  EXPECT_TRUE(NewEvents().empty());
  auto followed =
      sessions_.RecordFollowUp(adviser_, FollowUp(session, Day(2026, 4, 1)));
  ASSERT_TRUE(followed.ok()) << followed.status();
  EXPECT_EQ(followed->follow_up().recorded_by(), "adviser-1");
  EXPECT_EQ(followed->follow_up().attendees_progressed(), 1);
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"GroupSessionFollowedUp"});
  auto event = LastEvent<v1::GroupSessionFollowedUp>();
  EXPECT_EQ(event.attendees_progressed(), 1);
  EXPECT_EQ(event.follow_up_date().month(), 4);
}

TEST_F(GroupSessionRecordsTest, UpdateChangesFieldsAndRefusesAStaleEtag) {
  v1::Participant p = EnrolAndStart();
  v1::GroupSession session = Schedule();
  NewEvents();
  v1::UpdateGroupSessionRequest update;
  update.mutable_group_session()->set_name(session.name());
  update.mutable_group_session()->set_etag("1");
  update.mutable_group_session()->set_title("CV and cover letters");
  update.mutable_group_session()->set_delivery_mode(v1::IN_PERSON);
  *update.mutable_group_session()->mutable_session_date() = Day(2026, 3, 2);
  update.mutable_update_mask()->add_paths("title");
  update.mutable_update_mask()->add_paths("delivery_mode");
  update.mutable_update_mask()->add_paths("session_date");
  auto updated = sessions_.Update(adviser_, update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->title(), "CV and cover letters");
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->session_date().day(), 2);
  EXPECT_EQ(updated->facilitator(), "tutor-1");  // not in the mask
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"GroupSessionUpdated"});
  auto event = LastEvent<v1::GroupSessionUpdated>();
  // Only what changed: the mode was already IN_PERSON.
  EXPECT_EQ(std::vector<std::string>(event.changed_fields().begin(),
                                     event.changed_fields().end()),
            (std::vector<std::string>{"session_date", "title"}));

  // The same update again writes nothing; a stale etag is refused.
  update.mutable_group_session()->set_etag("2");
  ASSERT_TRUE(sessions_.Update(adviser_, update).ok());
  EXPECT_TRUE(NewEvents().empty());
  update.mutable_group_session()->set_etag("1");
  update.mutable_group_session()->set_title("Stale");
  EXPECT_TRUE(Names(sessions_.Update(adviser_, update).status(), Code::kAborted,
                    "group_session.etag"));
  EXPECT_TRUE(Names(Attendance(session, {{p.name(), v1::BOOKED}}, adviser_,
                               /*etag=*/"1")
                        .status(),
                    Code::kAborted, "etag"));
  EXPECT_EQ(Reread(session).title(), "CV and cover letters");

  // Bad paths and values name their field.
  v1::UpdateGroupSessionRequest bad;
  bad.mutable_group_session()->set_name(session.name());
  bad.mutable_update_mask()->add_paths("organisation");
  EXPECT_TRUE(Names(sessions_.Update(adviser_, bad).status(),
                    Code::kInvalidArgument, "update_mask"));
  bad.mutable_update_mask()->Clear();
  bad.mutable_update_mask()->add_paths("learning_needs_analysis");
  EXPECT_TRUE(Names(sessions_.Update(adviser_, bad).status(),
                    Code::kInvalidArgument,
                    "group_session.learning_needs_analysis"));
  bad.mutable_update_mask()->Clear();
  bad.mutable_update_mask()->add_paths("follow_up_after_days");
  bad.mutable_group_session()->set_follow_up_after_days(1000);
  EXPECT_TRUE(Names(sessions_.Update(adviser_, bad).status(),
                    Code::kInvalidArgument,
                    "group_session.follow_up_after_days"));
  EXPECT_TRUE(NewEvents().empty());

  // Once held, the session keeps its date.
  ASSERT_TRUE(Attendance(session, {{p.name(), v1::ATTENDED}}).ok());
  v1::UpdateGroupSessionRequest move;
  move.mutable_group_session()->set_name(session.name());
  *move.mutable_group_session()->mutable_session_date() = Day(2026, 3, 20);
  move.mutable_update_mask()->add_paths("session_date");
  EXPECT_TRUE(Names(sessions_.Update(adviser_, move).status(),
                    Code::kFailedPrecondition, "group_session.session_date"));
}

TEST_F(GroupSessionRecordsTest, EventsFollowTheSessionInOrder) {
  v1::Participant a = EnrolAndStart("JK123456A");
  v1::Participant b = EnrolAndStart("JK654321B");
  NewEvents();
  v1::GroupSession session = ScheduleToday();
  v1::UpdateGroupSessionRequest update;
  update.mutable_group_session()->set_name(session.name());
  update.mutable_group_session()->set_accessibility_needs_met(false);
  update.mutable_update_mask()->add_paths("accessibility_needs_met");
  ASSERT_TRUE(sessions_.Update(adviser_, update).ok());
  ASSERT_TRUE(
      Attendance(session, {{a.name(), v1::ATTENDED}, {b.name(), v1::BOOKED}})
          .ok());
  ASSERT_TRUE(
      sessions_.RecordEvaluation(adviser_, Evaluation(session, {{a.name(), 5}}))
          .ok());
  Advance(kDefaultFollowUpDays);
  ASSERT_TRUE(
      sessions_.RecordFollowUp(adviser_, FollowUp(session, Day(2026, 5, 31)))
          .ok());
  EXPECT_EQ(NewEvents(),
            (std::vector<std::string>{
                "GroupSessionScheduled", "GroupSessionUpdated",
                "GroupAttendanceRecorded", "GroupAttendanceRecorded",
                "GroupSessionEvaluated", "GroupSessionFollowedUp"}));
  std::vector<events::v1::EventEnvelope> all = Envelopes();
  const size_t first = all.size() - 6;
  for (size_t i = first; i < all.size(); ++i) {
    EXPECT_EQ(all[i].aggregate(), session.name());
  }
  v1::GroupAttendanceRecorded attended;
  ASSERT_TRUE(all[first + 2].payload().UnpackTo(&attended));
  EXPECT_EQ(attended.attendance(), v1::ATTENDED);
  EXPECT_EQ(attended.previous_attendance(), v1::ATTENDANCE_UNSPECIFIED);
  EXPECT_EQ(attended.participant().participant(), a.name());
  EXPECT_EQ(attended.facts().attendees(), 2);
  EXPECT_EQ(attended.facts().attended(), 1);
  EXPECT_FALSE(attended.facts().accessibility_needs_met());
  v1::GroupAttendanceRecorded booked;
  ASSERT_TRUE(all[first + 3].payload().UnpackTo(&booked));
  EXPECT_EQ(booked.attendance(), v1::BOOKED);
  EXPECT_EQ(booked.participant().participant(), b.name());
}

TEST_F(GroupSessionRecordsTest, ListPagesThroughTheOrganisationsSessions) {
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(Schedule(absl::StrCat("g", i)).name());
  }
  Schedule(Request("theirs"), other_agency_);
  v1::ListGroupSessionsRequest list;
  list.set_parent(absl::StrCat("contracts/", kContract));
  list.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto response = sessions_.List(adviser_, list);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const v1::GroupSession& s : response->group_sessions()) {
      seen.push_back(s.name());
      EXPECT_EQ(s.etag(), "1");
    }
    if (response->next_page_token().empty()) break;
    list.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(seen, names);  // oldest first, only our own
  // A token is the organisation's own.
  list.clear_page_token();
  list.set_page_token(sessions_.List(adviser_, list)->next_page_token());
  EXPECT_EQ(sessions_.List(other_agency_, list).status().code(),
            Code::kInvalidArgument);
  list.set_page_token("garbage");
  EXPECT_TRUE(Names(sessions_.List(adviser_, list).status(),
                    Code::kInvalidArgument, "page_token"));
  list.clear_page_token();
  list.set_page_size(501);
  EXPECT_TRUE(Names(sessions_.List(adviser_, list).status(),
                    Code::kInvalidArgument, "page_size"));
  list.set_parent("north-west");
  list.set_page_size(0);
  EXPECT_TRUE(Names(sessions_.List(adviser_, list).status(),
                    Code::kInvalidArgument, "parent"));
}

TEST_F(GroupSessionRecordsTest, NamesAreParsedStrictly) {
  EXPECT_TRUE(
      ParseGroupSessionName("name", "contracts/c/groupSessions/s").ok());
  for (const char* bad :
       {"", "contracts/c/groupSessions/", "contracts//groupSessions/s",
        "c/groupSessions/s", "contracts/c/sessions/s",
        "contracts/c/groupSessions/S", "contracts/c/groupSessions/s/x"}) {
    EXPECT_TRUE(Names(ParseGroupSessionName("name", bad).status(),
                      Code::kInvalidArgument, "name"))
        << bad;
  }
  v1::GetGroupSessionRequest get;
  get.set_name(absl::StrCat("contracts/", kContract, "/groupSessions/none"));
  const absl::Status none = sessions_.Get(adviser_, get).status();
  EXPECT_EQ(none.code(), Code::kPermissionDenied);
  // Word for word what another organisation's session gets.
  EXPECT_EQ(none.message(),
            absl::StrCat(get.name(),
                         ": not a group session of organisation prime-north"));
}

}  // namespace
}  // namespace employability::participants

namespace employability::participants {
namespace {

TEST_F(GroupSessionRecordsTest, ACorrectedAttendanceMovesTheSummaryBack) {
  v1::Participant p = EnrolAndStart();
  clock_.Advance(absl::Hours(24 * 7));  // 9 March
  v1::GroupSession session = Schedule();
  ASSERT_TRUE(Attendance(session, {{p.name(), v1::ATTENDED}}).ok());
  EXPECT_EQ(Reread(p).contact_summary().last_face_to_face_date().day(), 9);
  ASSERT_TRUE(Attendance(session, {{p.name(), v1::DID_NOT_ATTEND}}).ok());
  EXPECT_FALSE(Reread(p).contact_summary().has_last_face_to_face_date());
}

TEST_F(GroupSessionRecordsTest, AContactCorrectionKeepsGroupAttendance) {
  v1::Participant p = EnrolAndStart();
  ContactRecords contacts(files_,
                          *ParseContactStandards(ContactStandardsText()));
  v1::CreateContactRequest phone;
  phone.set_parent(p.name());
  phone.set_request_id("c1");
  *phone.mutable_contact()->mutable_contact_date() = Day(2026, 3, 2);
  phone.mutable_contact()->set_channel(v1::PHONE);
  phone.mutable_contact()->set_attendance(v1::ATTENDED);
  phone.mutable_contact()->set_duration_minutes(20);
  auto contact = contacts.Create(adviser_, phone);
  ASSERT_TRUE(contact.ok()) << contact.status();
  clock_.Advance(absl::Hours(24 * 7));  // 9 March: an in-person session
  ASSERT_TRUE(Attendance(Schedule(), {{p.name(), v1::ATTENDED}}).ok());

  v1::UpdateContactRequest correction;  // it was face to face after all
  correction.mutable_contact()->set_name(contact->name());
  correction.mutable_contact()->set_channel(v1::FACE_TO_FACE);
  correction.mutable_update_mask()->add_paths("channel");
  ASSERT_TRUE(contacts.Update(adviser_, correction).ok());
  const v1::ContactSummary summary = Reread(p).contact_summary();
  EXPECT_EQ(summary.last_face_to_face_date().day(), 9);  // the session
  EXPECT_EQ(summary.last_contact_date().day(), 9);
}

}  // namespace
}  // namespace employability::participants
