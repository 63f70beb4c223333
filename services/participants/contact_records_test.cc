// Unit tests of contacts, the contact summary they keep on the participant,
// the contact standards and the overdue rule, on the in-memory store.
#include "services/participants/contact_records.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "services/participants/catalogues.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

absl::CivilDay CivilOf(const type::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

class ContactRecordsTest : public JourneyTest {
 protected:
  ContactRecordsTest()
      : contacts_(files_, *ParseContactStandards(ContactStandardsText())) {}

  // An attended face-to-face contact of 45 minutes.
  v1::CreateContactRequest Request(
      const v1::Participant& p, const std::string& request_id,
      type::v1::Date date, v1::Attendance attendance = v1::ATTENDED,
      v1::ContactChannel channel = v1::FACE_TO_FACE) {
    v1::CreateContactRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    v1::Contact* contact = request.mutable_contact();
    *contact->mutable_contact_date() = date;
    contact->set_channel(channel);
    contact->set_attendance(attendance);
    contact->set_duration_minutes(attendance == v1::ATTENDED ? 45 : 0);
    contact->set_notes("Talked through the CV");
    return request;
  }

  v1::Contact MustCreate(const v1::CreateContactRequest& request) {
    absl::StatusOr<v1::Contact> contact = contacts_.Create(adviser_, request);
    EXPECT_TRUE(contact.ok()) << contact.status();
    return contact.ok() ? *contact : v1::Contact();
  }

  absl::StatusOr<v1::Contact> Change(
      const v1::Contact& contact, const std::function<void(v1::Contact&)>& edit,
      const std::vector<std::string>& paths) {
    v1::UpdateContactRequest request;
    request.mutable_contact()->set_name(contact.name());
    edit(*request.mutable_contact());
    for (const std::string& path : paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    return contacts_.Update(adviser_, request);
  }

  v1::ContactSummary Summary(const v1::Participant& p) {
    return Reread(p).contact_summary();
  }

  ContactRecords contacts_;
};

TEST_F(ContactRecordsTest, AttendedContactIsRecordedAndMovesTheSummary) {
  v1::Participant p = EnrolAndStart();
  NewEvents();
  v1::Contact contact = MustCreate(Request(p, "c1", Day(2026, 2, 20)));
  EXPECT_EQ(contact.name().rfind(p.name() + "/contacts/", 0), 0u);
  EXPECT_EQ(contact.adviser(), "adviser-1");  // the caller by default
  EXPECT_EQ(contact.spell(), 1);
  EXPECT_EQ(contact.etag(), "1");
  EXPECT_TRUE(contact.has_create_time());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ContactRecorded"});
  auto event = LastEvent<v1::ContactRecorded>();
  EXPECT_EQ(event.contact(), contact.name());
  EXPECT_EQ(event.attendance(), v1::ATTENDED);
  EXPECT_EQ(event.channel(), v1::FACE_TO_FACE);
  EXPECT_EQ(event.duration_minutes(), 45);
  EXPECT_EQ(event.contact_adviser(), "adviser-1");
  EXPECT_EQ(event.facts().participant(), p.name());
  EXPECT_EQ(event.facts().status(), v1::STARTED);

  const v1::Participant now = Reread(p);
  EXPECT_EQ(CivilOf(now.contact_summary().last_contact_date()),
            absl::CivilDay(2026, 2, 20));
  EXPECT_EQ(CivilOf(now.contact_summary().last_face_to_face_date()),
            absl::CivilDay(2026, 2, 20));
  EXPECT_EQ(CivilOf(now.spells(0).last_activity_date()),
            absl::CivilDay(2026, 2, 20));

  // A retry replays; the same id with another body is refused.
  auto again = contacts_.Create(adviser_, Request(p, "c1", Day(2026, 2, 20)));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), contact.name());
  EXPECT_EQ(contacts_.Create(adviser_, Request(p, "c1", Day(2026, 2, 21)))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(NewEvents().empty());

  v1::GetContactRequest get;
  get.set_name(contact.name());
  auto got = contacts_.Get(adviser_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->notes(), "Talked through the CV");
}

TEST_F(ContactRecordsTest, PhoneContactMovesOnlyTheLastContact) {
  v1::Participant p = Enrol();
  MustCreate(Request(p, "c1", Day(2026, 2, 20), v1::ATTENDED, v1::PHONE));
  const v1::ContactSummary summary = Summary(p);
  EXPECT_EQ(CivilOf(summary.last_contact_date()), absl::CivilDay(2026, 2, 20));
  EXPECT_FALSE(summary.has_last_face_to_face_date());
  // A group session counts as face to face.
  MustCreate(Request(p, "c2", Day(2026, 2, 22), v1::ATTENDED, v1::GROUP));
  EXPECT_EQ(CivilOf(Summary(p).last_face_to_face_date()),
            absl::CivilDay(2026, 2, 22));
  // An older contact recorded late does not move the summary back.
  MustCreate(Request(p, "c3", Day(2026, 2, 1)));
  EXPECT_EQ(CivilOf(Summary(p).last_contact_date()),
            absl::CivilDay(2026, 2, 22));
}

TEST_F(ContactRecordsTest, AppointmentBookedThenAttendedMovesTheSummary) {
  v1::Participant p = EnrolAndStart();
  const v1::Participant before = Reread(p);
  NewEvents();
  v1::Contact booked =
      MustCreate(Request(p, "c1", Day(2026, 3, 4), v1::BOOKED));
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ContactRecorded"});
  // A booking is no contact yet, and no activity: it is in the future.
  const v1::Participant after_booking = Reread(p);
  EXPECT_FALSE(after_booking.has_contact_summary());
  EXPECT_EQ(CivilOf(after_booking.spells(0).last_activity_date()),
            CivilOf(before.spells(0).last_activity_date()));

  clock_.Advance(absl::Hours(48));  // 4 March: the appointment is held
  auto attended = Change(booked,
                         [](v1::Contact& c) {
                           c.set_attendance(v1::ATTENDED);
                           c.set_duration_minutes(50);
                         },
                         {"attendance", "duration_minutes"});
  ASSERT_TRUE(attended.ok()) << attended.status();
  EXPECT_EQ(attended->etag(), "2");
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ContactUpdated"});
  auto event = LastEvent<v1::ContactUpdated>();
  EXPECT_EQ(event.previous_attendance(), v1::BOOKED);
  EXPECT_EQ(event.attendance(), v1::ATTENDED);
  EXPECT_EQ(event.duration_minutes(), 50);
  const v1::Participant now = Reread(p);
  EXPECT_EQ(CivilOf(now.contact_summary().last_contact_date()),
            absl::CivilDay(2026, 3, 4));
  EXPECT_EQ(CivilOf(now.contact_summary().last_face_to_face_date()),
            absl::CivilDay(2026, 3, 4));
  EXPECT_EQ(CivilOf(now.spells(0).last_activity_date()),
            absl::CivilDay(2026, 3, 4));
}

TEST_F(ContactRecordsTest, MissedAndCancelledContactsDoNotCount) {
  v1::Participant p = Enrol();
  MustCreate(Request(p, "c1", Day(2026, 2, 20), v1::DID_NOT_ATTEND));
  MustCreate(Request(p, "c2", Day(2026, 2, 21), v1::CANCELLED));
  const v1::Participant now = Reread(p);
  EXPECT_FALSE(now.contact_summary().has_last_contact_date());
  EXPECT_FALSE(now.contact_summary().has_last_face_to_face_date());
  // A missed contact is activity of the spell; a cancelled one is not (an
  // appointment left booked at an exit can still be cancelled).
  EXPECT_EQ(CivilOf(now.spells(0).last_activity_date()),
            absl::CivilDay(2026, 2, 20));
}

TEST_F(ContactRecordsTest, CorrectionMovesTheSummaryBack) {
  v1::Participant p = Enrol();
  v1::Contact seen = MustCreate(Request(p, "c1", Day(2026, 2, 10)));
  v1::Contact phoned =
      MustCreate(Request(p, "c2", Day(2026, 2, 20), v1::ATTENDED, v1::PHONE));
  EXPECT_EQ(CivilOf(Summary(p).last_contact_date()),
            absl::CivilDay(2026, 2, 20));
  NewEvents();

  // The phone call was in fact missed.
  auto missed = Change(phoned,
                       [](v1::Contact& c) {
                         c.set_attendance(v1::DID_NOT_ATTEND);
                         c.set_duration_minutes(0);
                       },
                       {"attendance", "duration_minutes"});
  ASSERT_TRUE(missed.ok()) << missed.status();
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ContactUpdated"});
  EXPECT_EQ(LastEvent<v1::ContactUpdated>().previous_attendance(),
            v1::ATTENDED);
  v1::ContactSummary summary = Summary(p);
  EXPECT_EQ(CivilOf(summary.last_contact_date()), absl::CivilDay(2026, 2, 10));
  EXPECT_EQ(CivilOf(summary.last_face_to_face_date()),
            absl::CivilDay(2026, 2, 10));

  // The meeting was a video call, and a day earlier.
  auto video = Change(seen,
                      [](v1::Contact& c) {
                        c.set_channel(v1::VIDEO);
                        *c.mutable_contact_date() = Day(2026, 2, 9);
                      },
                      {"channel", "contact_date"});
  ASSERT_TRUE(video.ok()) << video.status();
  summary = Summary(p);
  EXPECT_EQ(CivilOf(summary.last_contact_date()), absl::CivilDay(2026, 2, 9));
  EXPECT_FALSE(summary.has_last_face_to_face_date());

  // Notes alone leave the summary as it is.
  auto noted =
      Change(*video, [](v1::Contact& c) { c.set_notes("Agreed next steps"); },
             {"notes"});
  ASSERT_TRUE(noted.ok()) << noted.status();
  EXPECT_EQ(noted->notes(), "Agreed next steps");
  EXPECT_EQ(CivilOf(Summary(p).last_contact_date()),
            absl::CivilDay(2026, 2, 9));
}

TEST_F(ContactRecordsTest, BadInputNamesTheFieldAndStoresNothing) {
  v1::Participant p = Enrol();
  NewEvents();
  struct Case {
    std::function<void(v1::CreateContactRequest&)> spoil;
    std::string field;
  };
  auto c = [](v1::CreateContactRequest& r) { return r.mutable_contact(); };
  const std::vector<Case> cases = {
      {[](auto& r) { r.set_parent("contracts/x"); }, "parent"},
      {[](auto& r) { r.clear_request_id(); }, "request_id"},
      {[](auto& r) { r.clear_contact(); }, "contact"},
      {[c](auto& r) { c(r)->clear_contact_date(); }, "contact.contact_date"},
      {[c](auto& r) {  // (Day() would normalise it to 2 March)
         c(r)->mutable_contact_date()->set_month(2);
         c(r)->mutable_contact_date()->set_day(30);
       },
       "contact.contact_date"},
      {[c](auto& r) { *c(r)->mutable_contact_date() = Day(2026, 3, 3); },
       "contact.contact_date"},  // attended tomorrow
      {[c](auto& r) {
         c(r)->set_attendance(v1::BOOKED);
         c(r)->set_duration_minutes(0);
         *c(r)->mutable_contact_date() = Day(2026, 3, 1);
       },
       "contact.contact_date"},  // booked yesterday
      {[c](auto& r) { c(r)->clear_attendance(); }, "contact.attendance"},
      {[c](auto& r) { c(r)->set_attendance(static_cast<v1::Attendance>(9)); },
       "contact.attendance"},
      {[c](auto& r) { c(r)->clear_channel(); }, "contact.channel"},
      {[c](auto& r) { c(r)->set_channel(static_cast<v1::ContactChannel>(9)); },
       "contact.channel"},
      {[c](auto& r) { c(r)->set_duration_minutes(0); },
       "contact.duration_minutes"},  // attended for no time
      {[c](auto& r) { c(r)->set_duration_minutes(481); },
       "contact.duration_minutes"},
      {[c](auto& r) {
         c(r)->set_attendance(v1::DID_NOT_ATTEND);
         c(r)->set_duration_minutes(-1);
       },
       "contact.duration_minutes"},
      {[c](auto& r) { c(r)->set_adviser("Not An Id"); }, "contact.adviser"},
      {[c](auto& r) { c(r)->set_notes(std::string(4001, 'x')); },
       "contact.notes"},
      {[c](auto& r) { c(r)->set_notes("bell\a"); }, "contact.notes"},
  };
  for (const Case& bad : cases) {
    v1::CreateContactRequest request = Request(p, "c1", Day(2026, 2, 20));
    bad.spoil(request);
    absl::Status status = contacts_.Create(adviser_, request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.field;
    EXPECT_EQ(std::string(status.message()).rfind(bad.field, 0), 0u)
        << status << " should name " << bad.field;
  }
  // Before the referral: a rule of the case, not of the field's format.
  absl::Status early =
      contacts_.Create(adviser_, Request(p, "c2", Day(2026, 1, 4))).status();
  EXPECT_EQ(early.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(early.message()).rfind("contact.contact_date", 0), 0u)
      << early;
  EXPECT_TRUE(NewEvents().empty());
  v1::ListContactsRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(contacts_.List(adviser_, list)->contacts_size(), 0);
  EXPECT_FALSE(Reread(p).has_contact_summary());
}

TEST_F(ContactRecordsTest, EdgesOfTheRulesAreAllowed) {
  v1::Participant p = Enrol();
  // On the referral date; booked for today; attended for the longest time.
  MustCreate(Request(p, "c1", Day(2026, 1, 5)));
  MustCreate(Request(p, "c2", Day(2026, 3, 2), v1::BOOKED));
  v1::CreateContactRequest longest = Request(p, "c3", Day(2026, 3, 2));
  longest.mutable_contact()->set_duration_minutes(480);
  longest.mutable_contact()->set_adviser("adviser-2");
  v1::Contact contact = MustCreate(longest);
  EXPECT_EQ(contact.adviser(), "adviser-2");
}

TEST_F(ContactRecordsTest, NoAppointmentAfterExitAndNothingDatedAfterIt) {
  v1::Participant p = EnrolAndStart();
  Exit(p, Day(2026, 3, 2));
  absl::Status booked =
      contacts_.Create(adviser_, Request(p, "c1", Day(2026, 3, 9), v1::BOOKED))
          .status();
  EXPECT_EQ(booked.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(booked.message()).rfind("contact.attendance", 0), 0u)
      << booked;
  clock_.Advance(absl::Hours(24 * 3));
  absl::Status late =
      contacts_.Create(adviser_, Request(p, "c2", Day(2026, 3, 4))).status();
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(late.message()).find("nothing-after-exit"),
            std::string::npos)
      << late;
  // A contact before the exit can still be recorded.
  MustCreate(Request(p, "c3", Day(2026, 3, 1)));
}

TEST_F(ContactRecordsTest, ContactsOfAnEarlierSpellCannotChange) {
  v1::Participant p = EnrolAndStart();
  v1::Contact old_contact = MustCreate(Request(p, "c1", Day(2026, 2, 20)));
  p = Exit(p, Day(2026, 3, 2));
  clock_.Advance(absl::Hours(24 * 10));
  v1::UpdateParticipantRequest rejoin;
  *rejoin.mutable_participant() = p;
  rejoin.mutable_participant()->set_status(v1::REFERRED);
  *rejoin.mutable_participant()->mutable_referral_date() = Day(2026, 3, 10);
  rejoin.mutable_update_mask()->add_paths("status");
  rejoin.mutable_update_mask()->add_paths("referral_date");
  ASSERT_TRUE(participants_.Update(adviser_, rejoin).ok());

  auto changed = Change(
      old_contact, [](v1::Contact& c) { c.set_notes("late note"); }, {"notes"});
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kFailedPrecondition);
  // A contact of the new spell belongs to spell 2 and starts a new summary.
  v1::Contact fresh = MustCreate(Request(p, "c2", Day(2026, 3, 11)));
  EXPECT_EQ(fresh.spell(), 2);
  EXPECT_EQ(CivilOf(Summary(p).last_contact_date()),
            absl::CivilDay(2026, 3, 11));
  // Before the new spell's referral: refused.
  EXPECT_EQ(contacts_.Create(adviser_, Request(p, "c3", Day(2026, 3, 9)))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(ContactRecordsTest, UpdateChecksMaskEtagAndResult) {
  v1::Participant p = Enrol();
  v1::Contact contact = MustCreate(Request(p, "c1", Day(2026, 2, 20)));
  NewEvents();
  // Only the listed paths.
  EXPECT_EQ(Change(contact, [](v1::Contact&) {}, {"spell"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Change(contact, [](v1::Contact&) {}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The result is checked as a create is: attended needs a duration.
  absl::Status no_time =
      Change(contact, [](v1::Contact& c) { c.set_duration_minutes(0); },
             {"duration_minutes"})
          .status();
  EXPECT_EQ(no_time.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(no_time.message()).rfind("contact.duration_minutes", 0),
            0u);
  // A stale etag is refused; the current one is accepted.
  v1::UpdateContactRequest request;
  request.mutable_contact()->set_name(contact.name());
  request.mutable_contact()->set_etag("7");
  request.mutable_contact()->set_notes("x");
  request.mutable_update_mask()->add_paths("notes");
  EXPECT_EQ(contacts_.Update(adviser_, request).status().code(),
            absl::StatusCode::kAborted);
  request.mutable_contact()->set_etag("1");
  ASSERT_TRUE(contacts_.Update(adviser_, request).ok());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ContactUpdated"});
  // The same change again writes nothing.
  request.mutable_contact()->set_etag("2");
  ASSERT_TRUE(contacts_.Update(adviser_, request).ok());
  EXPECT_TRUE(NewEvents().empty());
  // Unknown contact.
  request.mutable_contact()->set_name(p.name() + "/contacts/nope");
  request.mutable_contact()->clear_etag();
  EXPECT_EQ(contacts_.Update(adviser_, request).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ContactRecordsTest, OnlyTheEnrollingOrganisationSeesContacts) {
  v1::Participant p = Enrol();
  v1::Contact contact = MustCreate(Request(p, "c1", Day(2026, 2, 20)));
  EXPECT_EQ(contacts_.Create(other_agency_, Request(p, "c2", Day(2026, 2, 2)))
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  v1::GetContactRequest get;
  get.set_name(contact.name());
  EXPECT_EQ(contacts_.Get(other_agency_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ListContactsRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(contacts_.List(other_agency_, list).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::UpdateContactRequest update;
  update.mutable_contact()->set_name(contact.name());
  update.mutable_update_mask()->add_paths("notes");
  EXPECT_EQ(contacts_.Update(other_agency_, update).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ContactRecordsTest, ListsInTheOrderRecorded) {
  v1::Participant p = Enrol();
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) {
    names.push_back(
        MustCreate(Request(p, absl::StrCat("c", i), Day(2026, 2, 20 - i)))
            .name());
  }
  v1::ListContactsRequest list;
  list.set_parent(p.name());
  list.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto response = contacts_.List(adviser_, list);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const v1::Contact& c : response->contacts()) seen.push_back(c.name());
    if (response->next_page_token().empty()) break;
    list.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(seen, names);
  list.set_page_token("garbage");
  EXPECT_EQ(contacts_.List(adviser_, list).status().code(),
            absl::StatusCode::kInvalidArgument);
  list.clear_page_token();
  list.set_page_size(501);
  EXPECT_EQ(contacts_.List(adviser_, list).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ContactRecordsTest, StandardsComeFromDataWithADefault) {
  v1::GetContactStandardRequest request;
  request.set_programme("connect-to-work");
  auto standard = contacts_.GetStandard(request);
  ASSERT_TRUE(standard.ok()) << standard.status();
  EXPECT_EQ(standard->programme(), "connect-to-work");
  EXPECT_EQ(standard->contact_interval_days(), 7);
  EXPECT_EQ(standard->face_to_face_interval_days(), 14);
  // A programme without a standard of its own gets the default.
  request.set_programme("local-pilot");
  standard = contacts_.GetStandard(request);
  ASSERT_TRUE(standard.ok()) << standard.status();
  EXPECT_EQ(standard->programme(), "local-pilot");
  EXPECT_EQ(standard->contact_interval_days(), 14);
  EXPECT_EQ(standard->face_to_face_interval_days(), 28);

  for (const std::string bad : {"", "Local Pilot"}) {
    request.set_programme(bad);
    absl::Status status = contacts_.GetStandard(request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(status.message()).rfind("programme", 0), 0u);
  }
  EXPECT_FALSE(ParseContactStandards("standards { programme: \"a\" } "
                                     "standards { programme: \"a\" }")
                   .ok());
}

// ---- The overdue rule

struct OverdueCase {
  std::string label;
  v1::ParticipantStatus status = v1::STARTED;
  std::optional<absl::CivilDay> last_contact;
  std::optional<absl::CivilDay> last_face_to_face;
  int contact_interval = 14;
  int face_to_face_interval = 28;
  // Expected:
  v1::ContactKind overdue = v1::CONTACT_KIND_UNSPECIFIED;
  int days_overdue = 0;
  std::optional<absl::CivilDay> due_date;  // of the kind overdue
  std::optional<absl::CivilDay> next_due;
};

// Referred on 5 January 2026; today is 2 March 2026.
TEST(OverdueRuleTest, Table) {
  const absl::CivilDay today(2026, 3, 2);
  const absl::CivilDay referral(2026, 1, 5);
  using D = absl::CivilDay;
  const std::vector<OverdueCase> cases = {
      {"NoContactYet", v1::STARTED, std::nullopt, std::nullopt, 14, 28,
       v1::ANY_CONTACT, 42, D(2026, 1, 19), D(2026, 1, 19)},
      {"ReferredCountsToo", v1::REFERRED, std::nullopt, std::nullopt, 14, 28,
       v1::ANY_CONTACT, 42, D(2026, 1, 19), D(2026, 1, 19)},
      {"InWorkCountsToo", v1::IN_WORK, D(2026, 2, 25), D(2026, 1, 20), 14, 28,
       v1::FACE_TO_FACE_CONTACT, 13, D(2026, 2, 17), D(2026, 2, 17)},
      {"ContactRecent", v1::STARTED, D(2026, 2, 25), D(2026, 2, 25), 14, 28,
       v1::CONTACT_KIND_UNSPECIFIED, 0, std::nullopt, D(2026, 3, 11)},
      {"FaceToFaceLateOnly", v1::STARTED, D(2026, 2, 25), D(2026, 1, 20), 14,
       28, v1::FACE_TO_FACE_CONTACT, 13, D(2026, 2, 17), D(2026, 2, 17)},
      {"BothLateContactMost", v1::STARTED, D(2026, 2, 1), D(2026, 2, 1), 14, 28,
       v1::ANY_CONTACT, 15, D(2026, 2, 15), D(2026, 2, 15)},
      {"DueTodayIsNotOverdue", v1::STARTED, D(2026, 2, 16), D(2026, 2, 16), 14,
       28, v1::CONTACT_KIND_UNSPECIFIED, 0, std::nullopt, D(2026, 3, 2)},
      {"DueYesterdayIsOneDay", v1::STARTED, D(2026, 2, 15), D(2026, 2, 15), 14,
       28, v1::ANY_CONTACT, 1, D(2026, 3, 1), D(2026, 3, 1)},
      {"TieGoesToFaceToFace", v1::STARTED, D(2026, 2, 1), D(2026, 2, 1), 14, 14,
       v1::FACE_TO_FACE_CONTACT, 15, D(2026, 2, 15), D(2026, 2, 15)},
      {"IntervalZeroIsNoStandard", v1::STARTED, std::nullopt, std::nullopt, 0,
       0, v1::CONTACT_KIND_UNSPECIFIED, 0, std::nullopt, std::nullopt},
      {"OnlyFaceToFaceStandard", v1::STARTED, D(2026, 2, 25), std::nullopt, 0,
       28, v1::FACE_TO_FACE_CONTACT, 28, D(2026, 2, 2), D(2026, 2, 2)},
      {"OnlyContactStandard", v1::STARTED, D(2026, 2, 25), std::nullopt, 14, 0,
       v1::CONTACT_KIND_UNSPECIFIED, 0, std::nullopt, D(2026, 3, 11)},
      {"ExitedNeverOverdue", v1::EXITED, std::nullopt, std::nullopt, 14, 28,
       v1::CONTACT_KIND_UNSPECIFIED, 0, std::nullopt, std::nullopt},
      {"WithdrawnNeverOverdue", v1::WITHDRAWN, std::nullopt, std::nullopt, 14,
       28, v1::CONTACT_KIND_UNSPECIFIED, 0, std::nullopt, std::nullopt},
      {"OutcomeAchievedNeverOverdue", v1::OUTCOME_ACHIEVED, std::nullopt,
       std::nullopt, 14, 28, v1::CONTACT_KIND_UNSPECIFIED, 0, std::nullopt,
       std::nullopt},
      {"ContactBeforeTheSpellIsIgnored", v1::STARTED, D(2025, 12, 1),
       std::nullopt, 14, 0, v1::ANY_CONTACT, 42, D(2026, 1, 19),
       D(2026, 1, 19)},
  };
  for (const OverdueCase& c : cases) {
    SCOPED_TRACE(c.label);
    v1::Participant p;
    p.set_status(c.status);
    *p.add_spells()->mutable_referral_date() = validation::ToDate(referral);
    if (c.last_contact.has_value()) {
      *p.mutable_contact_summary()->mutable_last_contact_date() =
          validation::ToDate(*c.last_contact);
    }
    if (c.last_face_to_face.has_value()) {
      *p.mutable_contact_summary()->mutable_last_face_to_face_date() =
          validation::ToDate(*c.last_face_to_face);
    }
    v1::ContactStandard standard;
    standard.set_contact_interval_days(c.contact_interval);
    standard.set_face_to_face_interval_days(c.face_to_face_interval);
    const ContactsDue due = AssessContacts(p, standard, today);
    EXPECT_EQ(due.overdue, c.overdue);
    EXPECT_EQ(due.days_overdue, c.days_overdue);
    if (c.due_date.has_value()) {
      EXPECT_EQ(due.due_date, *c.due_date);
    }
    EXPECT_EQ(due.next_due(), c.next_due);
  }
}

TEST(OverdueRuleTest, ProgrammeWithoutAStandardUsesTheDefault) {
  const v1::ContactStandards standards =
      *ParseContactStandards(ContactStandardsText());
  const v1::ContactStandard own = StandardFor(standards, "youth-guarantee");
  EXPECT_EQ(own.contact_interval_days(), 7);
  const v1::ContactStandard fallback = StandardFor(standards, "local-pilot");
  EXPECT_EQ(fallback.programme(), "local-pilot");
  EXPECT_EQ(fallback.contact_interval_days(),
            standards.default_standard().contact_interval_days());
  EXPECT_EQ(fallback.face_to_face_interval_days(),
            standards.default_standard().face_to_face_interval_days());

  // Last seen 10 days ago: within the default's 14 days, late for 7.
  v1::Participant p;
  p.set_status(v1::STARTED);
  *p.add_spells()->mutable_referral_date() =
      validation::ToDate(absl::CivilDay(2026, 1, 5));
  *p.mutable_contact_summary()->mutable_last_contact_date() =
      validation::ToDate(absl::CivilDay(2026, 2, 20));
  *p.mutable_contact_summary()->mutable_last_face_to_face_date() =
      validation::ToDate(absl::CivilDay(2026, 2, 20));
  const absl::CivilDay today(2026, 3, 2);
  EXPECT_EQ(AssessContacts(p, fallback, today).overdue,
            v1::CONTACT_KIND_UNSPECIFIED);
  const ContactsDue strict = AssessContacts(p, own, today);
  EXPECT_EQ(strict.overdue, v1::ANY_CONTACT);
  EXPECT_EQ(strict.days_overdue, 3);
}

}  // namespace
}  // namespace employability::participants

namespace employability::participants {
namespace {

TEST_F(ContactRecordsTest, AnAppointmentPastItsDayKeepsItsNotesEditable) {
  v1::Participant p = EnrolAndStart();
  v1::Contact booked = MustCreate(
      Request(p, "c1", Day(2026, 3, 4), v1::BOOKED, v1::FACE_TO_FACE));
  clock_.Advance(absl::Hours(24 * 5));  // 7 March: the day has passed
  auto noted = Change(
      booked, [](v1::Contact& c) { c.set_notes("Rang twice, no answer"); },
      {"notes"});
  ASSERT_TRUE(noted.ok()) << noted.status();
  // Moving it to another past day as a booking is still refused.
  auto moved = Change(
      booked,
      [](v1::Contact& c) { *c.mutable_contact_date() = Day(2026, 3, 5); },
      {"contact_date"});
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ContactRecordsTest, AnAppointmentLeftBookedAtExitCanBeCancelled) {
  v1::Participant p = EnrolAndStart();
  v1::Contact booked = MustCreate(
      Request(p, "c1", Day(2026, 3, 20), v1::BOOKED, v1::FACE_TO_FACE));
  clock_.Advance(absl::Hours(24 * 3));
  Exit(p, Day(2026, 3, 5));
  clock_.Advance(absl::Hours(24 * 20));  // 25 March
  auto cancelled =
      Change(booked, [](v1::Contact& c) { c.set_attendance(v1::CANCELLED); },
             {"attendance"});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->attendance(), v1::CANCELLED);
  // Attending after the exit is still refused: nothing after exit.
  auto attended = Change(booked,
                         [](v1::Contact& c) {
                           c.set_attendance(v1::ATTENDED);
                           c.set_duration_minutes(30);
                         },
                         {"attendance", "duration_minutes"});
  EXPECT_EQ(attended.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ContactRecordsTest, ARetriedCreateReplaysEvenAfterTheCaseMovedOn) {
  v1::Participant p = EnrolAndStart();
  const v1::CreateContactRequest request =
      Request(p, "c1", Day(2026, 3, 20), v1::BOOKED, v1::FACE_TO_FACE);
  v1::Contact first = MustCreate(request);
  Exit(p, Day(2026, 3, 2));  // the same day, within the retry window
  // A booking would be refused now; the retry returns what the first made.
  auto again = contacts_.Create(adviser_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), first.name());
}

}  // namespace
}  // namespace employability::participants
