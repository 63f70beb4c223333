// Contacts, contact standards, overdue lists and caseloads over real gRPC on
// loopback, against a real redis-server: every method, every class of bad
// input (INVALID_ARGUMENT naming the field, nothing stored), an overdue
// scenario on the real clock, caseload counts and pages, bulk reassignment
// with its events and its all-or-nothing failure, and other organisations
// kept out.
//
// Each test works in a contract of its own (a random id), so tests running
// in parallel against the one Redis never see each other's data.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "employability/participants/v1/caseloads.grpc.pb.h"
#include "employability/participants/v1/contacts.grpc.pb.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "tests/harness/journey_suite.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using test_harness::CallContext;
using test_harness::ContractName;
using test_harness::DayOf;
using test_harness::Describe;
using test_harness::EventEnvelope;
using test_harness::As;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::ToDate;
using test_harness::UniqueId;
using test_harness::ValidParticipant;
namespace v1 = ::employability::participants::v1;
using Code = grpc::StatusCode;

class ContactsCaseloadsIntegrationTest : public test_harness::JourneySuiteTest {
 protected:
  ContactsCaseloadsIntegrationTest() : JourneySuiteTest("cc") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(JourneySuiteTest::SetUp());
    contacts_ = Stub<v1::Contacts>();
    caseloads_ = Stub<v1::Caseloads>();
    today_ = test_harness::LondonToday();
  }

  // A participant referred `days_ago`, assigned to `adviser`.
  v1::Participant Enrol(const std::string& adviser, int days_ago = 60,
                        const TestCaller& caller = {}) {
    v1::Participant participant = ValidParticipant();
    participant.set_adviser(adviser);
    *participant.mutable_referral_date() = ToDate(today_ - days_ago);
    return MustEnrol(participant, caller);
  }

  grpc::Status SetStatus(const v1::Participant& p,
                         v1::ParticipantStatus status) {
    v1::UpdateParticipantRequest request;
    request.mutable_participant()->set_name(p.name());
    request.mutable_participant()->set_status(status);
    request.mutable_update_mask()->add_paths("status");
    v1::Participant out;
    return participants_->UpdateParticipant(CallContext().get(), request, &out);
  }

  grpc::Status ExitToday(const v1::Participant& p) {
    v1::ExitParticipantRequest request;
    request.set_name(p.name());
    request.set_reason(v1::CHOSE_TO_LEAVE);
    *request.mutable_exit_date() = ToDate(today_);
    v1::Participant out;
    return participants_->ExitParticipant(CallContext().get(), request, &out);
  }

  // An attended face-to-face contact of 45 minutes on `day`.
  v1::CreateContactRequest ContactRequest(
      const v1::Participant& p, absl::CivilDay day,
      v1::Attendance attendance = v1::ATTENDED,
      v1::ContactChannel channel = v1::FACE_TO_FACE) {
    v1::CreateContactRequest request;
    request.set_parent(p.name());
    request.set_request_id(UniqueId("contact"));
    v1::Contact* contact = request.mutable_contact();
    *contact->mutable_contact_date() = ToDate(day);
    contact->set_channel(channel);
    contact->set_attendance(attendance);
    contact->set_duration_minutes(attendance == v1::ATTENDED ? 45 : 0);
    contact->set_notes("Reviewed the week's applications");
    return request;
  }

  grpc::Status CreateContact(const v1::CreateContactRequest& request,
                             v1::Contact* out, const TestCaller& caller = {}) {
    return contacts_->CreateContact(CallContext(caller).get(), request, out);
  }

  v1::Contact MustContact(const v1::CreateContactRequest& request) {
    v1::Contact contact;
    grpc::Status status = CreateContact(request, &contact);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return contact;
  }

  grpc::Status UpdateContact(const v1::Contact& contact,
                             const std::vector<std::string>& paths,
                             v1::Contact* out, const TestCaller& caller = {}) {
    v1::UpdateContactRequest request;
    *request.mutable_contact() = contact;
    for (const std::string& path : paths) {
      request.mutable_update_mask()->add_paths(path);
    }
    return contacts_->UpdateContact(CallContext(caller).get(), request, out);
  }

  std::vector<v1::Contact> ListContacts(const v1::Participant& p,
                                        int page_size = 0) {
    v1::ListContactsRequest request;
    request.set_parent(p.name());
    request.set_page_size(page_size);
    std::vector<v1::Contact> all;
    for (int page = 0; page < 100; ++page) {
      v1::ListContactsResponse response;
      grpc::Status status =
          contacts_->ListContacts(CallContext().get(), request, &response);
      EXPECT_TRUE(status.ok()) << Describe(status);
      if (!status.ok()) break;
      all.insert(all.end(), response.contacts().begin(),
                 response.contacts().end());
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return all;
  }

  grpc::Status GetCaseload(const std::string& adviser, v1::Caseload* out,
                           int page_size = 0, const std::string& token = "",
                           const TestCaller& caller = {}) {
    v1::GetCaseloadRequest request;
    request.set_parent(ContractName(contract_));
    request.set_adviser(adviser);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return caseloads_->GetCaseload(CallContext(caller).get(), request, out);
  }

  int CaseloadTotal(const std::string& adviser) {
    v1::Caseload caseload;
    grpc::Status status = GetCaseload(adviser, &caseload);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return caseload.total();
  }

  grpc::Status Overdue(const std::string& adviser,
                       v1::ListOverdueParticipantsResponse* out,
                       int page_size = 0, const TestCaller& caller = {}) {
    v1::ListOverdueParticipantsRequest request;
    request.set_parent(ContractName(contract_));
    request.set_adviser(adviser);
    request.set_page_size(page_size);
    return contacts_->ListOverdueParticipants(CallContext(caller).get(),
                                              request, out);
  }

  v1::ReassignParticipantsRequest Move(const std::vector<std::string>& names,
                                       const std::string& to_adviser) {
    v1::ReassignParticipantsRequest request;
    request.set_parent(ContractName(contract_));
    for (const std::string& name : names) request.add_participants(name);
    request.set_to_adviser(to_adviser);
    return request;
  }

  grpc::Status Reassign(const v1::ReassignParticipantsRequest& request,
                        v1::ReassignParticipantsResponse* out,
                        const TestCaller& caller = {}) {
    // Reassignment is the organisation admin's (or a team leader's).
    return caseloads_->ReassignParticipants(
        CallContext(As(caller, type::v1::ORGANISATION_ADMIN)).get(), request,
        out);
  }

  std::unique_ptr<v1::Contacts::Stub> contacts_;
  std::unique_ptr<v1::Caseloads::Stub> caseloads_;
  absl::CivilDay today_;
  const TestCaller other_org_{"org-elsewhere", "adviser-elsewhere"};
};

// ---- Contacts

TEST_F(ContactsCaseloadsIntegrationTest, ContactLifecycleKeepsTheSummary) {
  const v1::Participant p = Enrol("adviser-one");
  const size_t before = StreamLength();

  // A phone call two days ago, then an appointment booked for today.
  v1::CreateContactRequest phoned_request =
      ContactRequest(p, today_ - 2, v1::ATTENDED, v1::PHONE);
  v1::Contact phoned = MustContact(phoned_request);
  EXPECT_EQ(phoned.adviser(), TestCaller{}.user);
  EXPECT_EQ(phoned.spell(), 1);
  EXPECT_EQ(phoned.etag(), "1");
  v1::Contact replay;
  ASSERT_TRUE(CreateContact(phoned_request, &replay).ok());
  EXPECT_EQ(replay.name(), phoned.name());
  v1::Contact booked =
      MustContact(ContactRequest(p, today_, v1::BOOKED, v1::FACE_TO_FACE));

  v1::Participant now = GetParticipant(p.name());
  EXPECT_EQ(DayOf(now.contact_summary().last_contact_date()), today_ - 2);
  EXPECT_FALSE(now.contact_summary().has_last_face_to_face_date());

  // The appointment is held.
  booked.set_attendance(v1::ATTENDED);
  booked.set_duration_minutes(60);
  v1::Contact attended;
  grpc::Status status =
      UpdateContact(booked, {"attendance", "duration_minutes"}, &attended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(attended.etag(), "2");
  now = GetParticipant(p.name());
  EXPECT_EQ(DayOf(now.contact_summary().last_contact_date()), today_);
  EXPECT_EQ(DayOf(now.contact_summary().last_face_to_face_date()), today_);

  // A correction: it was missed after all.
  attended.set_attendance(v1::DID_NOT_ATTEND);
  attended.set_duration_minutes(0);
  v1::Contact missed;
  status = UpdateContact(attended, {"attendance", "duration_minutes"}, &missed);
  ASSERT_TRUE(status.ok()) << Describe(status);
  now = GetParticipant(p.name());
  EXPECT_EQ(DayOf(now.contact_summary().last_contact_date()), today_ - 2);
  EXPECT_FALSE(now.contact_summary().has_last_face_to_face_date());

  // Get and List.
  v1::GetContactRequest get;
  get.set_name(phoned.name());
  v1::Contact got;
  ASSERT_TRUE(contacts_->GetContact(CallContext().get(), get, &got).ok());
  EXPECT_EQ(got.notes(), "Reviewed the week's applications");
  std::vector<v1::Contact> listed = ListContacts(p, 1);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name(), phoned.name());
  EXPECT_EQ(listed[1].name(), booked.name());
  EXPECT_EQ(listed[1].attendance(), v1::DID_NOT_ATTEND);

  // One event per change, about the contact.
  EXPECT_EQ(StreamLength(), before + 4);
  std::vector<EventEnvelope> recorded = EventsOfType("ContactRecorded");
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].aggregate(), phoned.name());
  std::vector<EventEnvelope> updated = EventsOfType("ContactUpdated");
  ASSERT_EQ(updated.size(), 2u);
  v1::ContactUpdated event;
  ASSERT_TRUE(updated[0].payload().UnpackTo(&event));
  EXPECT_EQ(event.previous_attendance(), v1::BOOKED);
  EXPECT_EQ(event.attendance(), v1::ATTENDED);
  EXPECT_EQ(event.facts().participant(), p.name());
  EXPECT_EQ(updated[1].aggregate_version(), 3);

  // A stale etag is refused.
  attended.set_notes("late edit");
  v1::Contact stale;
  EXPECT_TRUE(StatusIs(UpdateContact(attended, {"notes"}, &stale),
                       Code::ABORTED, "contact.etag"));
}

TEST_F(ContactsCaseloadsIntegrationTest, ContactStandardsComeFromData) {
  v1::GetContactStandardRequest request;
  request.set_programme("restart");
  v1::ContactStandard standard;
  grpc::Status status =
      contacts_->GetContactStandard(CallContext().get(), request, &standard);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(standard.contact_interval_days(), 14);
  EXPECT_EQ(standard.face_to_face_interval_days(), 28);
  request.set_programme("a-local-pilot");
  ASSERT_TRUE(
      contacts_->GetContactStandard(CallContext().get(), request, &standard)
          .ok());
  EXPECT_EQ(standard.programme(), "a-local-pilot");
  EXPECT_EQ(standard.contact_interval_days(), 14);
  request.clear_programme();
  EXPECT_TRUE(StatusIs(
      contacts_->GetContactStandard(CallContext().get(), request, &standard),
      Code::INVALID_ARGUMENT, "programme"));
}

struct BadContact {
  std::string label;
  std::function<void(v1::CreateContactRequest&)> spoil;
  std::string field;
};

TEST_F(ContactsCaseloadsIntegrationTest,
       BadContactsAreInvalidArgumentNamingTheFieldAndStoreNothing) {
  const v1::Participant p = Enrol("adviser-one");
  const size_t events = StreamLength();
  using R = v1::CreateContactRequest;
  auto c = [](R& r) { return r.mutable_contact(); };
  const absl::CivilDay today = today_;
  const std::vector<BadContact> cases = {
      {"MissingParent", [](R& r) { r.clear_parent(); }, "parent"},
      {"ParentNotAParticipant", [](R& r) { r.set_parent("contracts/x"); },
       "parent"},
      {"MissingRequestId", [](R& r) { r.clear_request_id(); }, "request_id"},
      {"MissingContact", [](R& r) { r.clear_contact(); }, "contact"},
      {"MissingDate", [c](R& r) { c(r)->clear_contact_date(); },
       "contact.contact_date"},
      {"ImpossibleDate",
       [c](R& r) {
         c(r)->mutable_contact_date()->set_month(2);
         c(r)->mutable_contact_date()->set_day(30);
       },
       "contact.contact_date"},
      {"AttendedTomorrow",
       [c, today](R& r) { *c(r)->mutable_contact_date() = ToDate(today + 1); },
       "contact.contact_date"},
      {"BookedYesterday",
       [c, today](R& r) {
         c(r)->set_attendance(v1::BOOKED);
         c(r)->set_duration_minutes(0);
         *c(r)->mutable_contact_date() = ToDate(today - 1);
       },
       "contact.contact_date"},
      {"MissingAttendance", [c](R& r) { c(r)->clear_attendance(); },
       "contact.attendance"},
      {"UnknownAttendance",
       [c](R& r) { c(r)->set_attendance(static_cast<v1::Attendance>(42)); },
       "contact.attendance"},
      {"MissingChannel", [c](R& r) { c(r)->clear_channel(); },
       "contact.channel"},
      {"UnknownChannel",
       [c](R& r) { c(r)->set_channel(static_cast<v1::ContactChannel>(42)); },
       "contact.channel"},
      {"AttendedForNoTime", [c](R& r) { c(r)->set_duration_minutes(0); },
       "contact.duration_minutes"},
      {"LongerThanADay", [c](R& r) { c(r)->set_duration_minutes(481); },
       "contact.duration_minutes"},
      {"NegativeDuration",
       [c](R& r) {
         c(r)->set_attendance(v1::CANCELLED);
         c(r)->set_duration_minutes(-5);
       },
       "contact.duration_minutes"},
      {"MalformedAdviser", [c](R& r) { c(r)->set_adviser("An Adviser"); },
       "contact.adviser"},
      {"NotesTooLong", [c](R& r) { c(r)->set_notes(std::string(4001, 'n')); },
       "contact.notes"},
  };
  for (const BadContact& bad : cases) {
    SCOPED_TRACE(bad.label);
    v1::CreateContactRequest request = ContactRequest(p, today_ - 1);
    bad.spoil(request);
    v1::Contact out;
    EXPECT_TRUE(StatusIs(CreateContact(request, &out), Code::INVALID_ARGUMENT,
                         bad.field));
  }
  // Before the referral: FAILED_PRECONDITION naming the date.
  v1::Contact out;
  EXPECT_TRUE(StatusIs(CreateContact(ContactRequest(p, today_ - 61), &out),
                       Code::FAILED_PRECONDITION, "contact.contact_date"));
  EXPECT_TRUE(ListContacts(p).empty());
  EXPECT_EQ(StreamLength(), events);
  EXPECT_FALSE(GetParticipant(p.name()).has_contact_summary());

  // Updates: the name, the mask, and the result's fields.
  v1::Contact contact = MustContact(ContactRequest(p, today_));
  v1::Contact bad_name = contact;
  bad_name.set_name("contacts/x");
  EXPECT_TRUE(StatusIs(UpdateContact(bad_name, {"notes"}, &out),
                       Code::INVALID_ARGUMENT, "contact.name"));
  EXPECT_TRUE(StatusIs(UpdateContact(contact, {}, &out), Code::INVALID_ARGUMENT,
                       "update_mask"));
  EXPECT_TRUE(StatusIs(UpdateContact(contact, {"spell"}, &out),
                       Code::INVALID_ARGUMENT, "update_mask"));
  v1::Contact too_long = contact;
  too_long.set_duration_minutes(500);
  EXPECT_TRUE(StatusIs(UpdateContact(too_long, {"duration_minutes"}, &out),
                       Code::INVALID_ARGUMENT, "contact.duration_minutes"));
  EXPECT_EQ(StreamLength(), events + 1);

  // Reads: the name, the page size and the page token.
  v1::GetContactRequest get;
  get.set_name(absl::StrCat(p.name(), "/barriers/x"));
  EXPECT_TRUE(StatusIs(contacts_->GetContact(CallContext().get(), get, &out),
                       Code::INVALID_ARGUMENT, "name"));
  get.set_name(absl::StrCat(p.name(), "/contacts/", UniqueId("none")));
  EXPECT_TRUE(StatusIs(contacts_->GetContact(CallContext().get(), get, &out),
                       Code::NOT_FOUND));
  v1::ListContactsRequest list;
  list.set_parent(p.name());
  list.set_page_size(-1);
  v1::ListContactsResponse listed;
  EXPECT_TRUE(
      StatusIs(contacts_->ListContacts(CallContext().get(), list, &listed),
               Code::INVALID_ARGUMENT, "page_size"));
  list.set_page_size(0);
  list.set_page_token("not-a-token");
  EXPECT_TRUE(
      StatusIs(contacts_->ListContacts(CallContext().get(), list, &listed),
               Code::INVALID_ARGUMENT, "page_token"));
}

// ---- Overdue contacts and caseloads

TEST_F(ContactsCaseloadsIntegrationTest,
       OverdueParticipantsAreClearedByAFaceToFaceContact) {
  const std::string adviser = "adviser-overdue";
  std::vector<v1::Participant> caseload;
  for (int i = 0; i < 3; ++i) caseload.push_back(Enrol(adviser, 60));
  ASSERT_TRUE(SetStatus(caseload[1], v1::STARTED).ok());
  const v1::Participant left = Enrol(adviser, 60);
  ASSERT_TRUE(ExitToday(left).ok());  // withdrawn: never overdue

  v1::ListOverdueParticipantsResponse overdue;
  grpc::Status status = Overdue(adviser, &overdue);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(overdue.total_overdue(), 3);
  ASSERT_EQ(overdue.participants_size(), 3);
  for (const v1::OverdueParticipant& entry : overdue.participants()) {
    EXPECT_EQ(entry.overdue(), v1::ANY_CONTACT);
    EXPECT_EQ(entry.days_overdue(), 60 - 14);
    EXPECT_EQ(DayOf(entry.due_date()), today_ - 46);
    EXPECT_EQ(entry.adviser(), adviser);
    EXPECT_FALSE(entry.has_last_contact_date());
  }

  // A phone call today leaves the face-to-face standard late; a meeting
  // clears it.
  MustContact(ContactRequest(caseload[0], today_, v1::ATTENDED, v1::PHONE));
  MustContact(ContactRequest(caseload[2], today_));
  ASSERT_TRUE(Overdue(adviser, &overdue).ok());
  EXPECT_EQ(overdue.total_overdue(), 2);
  ASSERT_EQ(overdue.participants_size(), 2);
  EXPECT_EQ(overdue.participants(0).participant(), caseload[1].name());
  EXPECT_EQ(overdue.participants(0).days_overdue(), 46);
  EXPECT_EQ(overdue.participants(1).participant(), caseload[0].name());
  EXPECT_EQ(overdue.participants(1).overdue(), v1::FACE_TO_FACE_CONTACT);
  EXPECT_EQ(overdue.participants(1).days_overdue(), 60 - 28);
  EXPECT_EQ(DayOf(overdue.participants(1).last_contact_date()), today_);

  ASSERT_TRUE(Overdue(adviser, &overdue, 1).ok());
  EXPECT_EQ(overdue.participants_size(), 1);
  EXPECT_EQ(overdue.total_overdue(), 2);

  // The caseload agrees.
  v1::Caseload counts;
  ASSERT_TRUE(GetCaseload(adviser, &counts).ok());
  EXPECT_EQ(counts.total(), 4);
  EXPECT_EQ(counts.overdue_count(), 2);
  std::map<int, int> by_status;
  for (const v1::StatusCount& count : counts.status_counts()) {
    by_status[count.status()] = count.count();
  }
  EXPECT_EQ(by_status,
            (std::map<int, int>{
                {v1::REFERRED, 2}, {v1::STARTED, 1}, {v1::WITHDRAWN, 1}}));
  for (const v1::CaseloadEntry& entry : counts.entries()) {
    if (entry.participant() == caseload[2].name()) {
      EXPECT_FALSE(entry.overdue());
      EXPECT_EQ(DayOf(entry.next_contact_due()), today_ + 14);
    }
    if (entry.participant() == left.name()) {
      EXPECT_FALSE(entry.has_next_contact_due());
    }
  }
}

TEST_F(ContactsCaseloadsIntegrationTest, CaseloadPagesInIndexOrder) {
  const std::string adviser = "adviser-paged";
  std::set<std::string> enrolled;
  for (int i = 0; i < 7; ++i) enrolled.insert(Enrol(adviser, 5).name());
  Enrol("adviser-other", 5);
  std::vector<std::string> seen;
  std::string token;
  for (int page = 0; page < 10; ++page) {
    v1::Caseload caseload;
    grpc::Status status = GetCaseload(adviser, &caseload, 3, token);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(caseload.total(), 7);
    EXPECT_EQ(caseload.overdue_count(), 0);  // referred 5 days ago
    EXPECT_LE(caseload.entries_size(), 3);
    for (const v1::CaseloadEntry& entry : caseload.entries()) {
      seen.push_back(entry.participant());
      EXPECT_EQ(DayOf(entry.next_contact_due()), today_ + 9);
    }
    token = caseload.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), enrolled);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.size(), 7u);

  v1::Caseload caseload;
  ASSERT_TRUE(GetCaseload(adviser, &caseload, 3).ok());
  EXPECT_TRUE(StatusIs(
      GetCaseload("adviser-other", &caseload, 3, caseload.next_page_token()),
      Code::INVALID_ARGUMENT, "page_token"));
  EXPECT_TRUE(
      StatusIs(GetCaseload("", &caseload), Code::INVALID_ARGUMENT, "adviser"));
  EXPECT_TRUE(StatusIs(GetCaseload("Adviser", &caseload),
                       Code::INVALID_ARGUMENT, "adviser"));
  EXPECT_TRUE(StatusIs(GetCaseload(adviser, &caseload, 501),
                       Code::INVALID_ARGUMENT, "page_size"));
  v1::GetCaseloadRequest bad_parent;
  bad_parent.set_parent("contracts");
  bad_parent.set_adviser(adviser);
  EXPECT_TRUE(StatusIs(
      caseloads_->GetCaseload(CallContext().get(), bad_parent, &caseload),
      Code::INVALID_ARGUMENT, "parent"));
  v1::ListOverdueParticipantsResponse overdue;
  EXPECT_TRUE(
      StatusIs(Overdue("", &overdue), Code::INVALID_ARGUMENT, "adviser"));
  EXPECT_TRUE(StatusIs(Overdue(adviser, &overdue, -1), Code::INVALID_ARGUMENT,
                       "page_size"));
}

// ---- Reassignment

TEST_F(ContactsCaseloadsIntegrationTest, BulkReassignmentMovesEveryoneOnce) {
  constexpr int kParticipants = 300;
  std::vector<std::string> names;
  for (int i = 0; i < kParticipants; ++i) {
    names.push_back(Enrol("adviser-leaving", 30).name());
  }
  const size_t before = StreamLength();

  v1::ReassignParticipantsResponse moved;
  grpc::Status status = Reassign(Move(names, "adviser-joining"), &moved);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(std::vector<std::string>(moved.participants().begin(),
                                     moved.participants().end()),
            names);
  EXPECT_EQ(CaseloadTotal("adviser-joining"), kParticipants);
  EXPECT_EQ(CaseloadTotal("adviser-leaving"), 0);
  EXPECT_EQ(StreamLength(), before + kParticipants);
  std::vector<EventEnvelope> updates = EventsOfType("ParticipantUpdated");
  ASSERT_EQ(updates.size(), static_cast<size_t>(kParticipants));
  std::set<std::string> aggregates;
  for (const EventEnvelope& envelope : updates) {
    v1::ParticipantUpdated event;
    ASSERT_TRUE(envelope.payload().UnpackTo(&event));
    EXPECT_EQ(event.facts().adviser(), "adviser-joining");
    ASSERT_EQ(event.changed_fields_size(), 1);
    EXPECT_EQ(event.changed_fields(0), "adviser");
    EXPECT_EQ(envelope.aggregate_version(), 2);
    aggregates.insert(envelope.aggregate());
  }
  EXPECT_EQ(aggregates, std::set<std::string>(names.begin(), names.end()));
  v1::Participant first;
  v1::GetParticipantRequest get;
  get.set_name(names[0]);
  ASSERT_TRUE(
      participants_->GetParticipant(CallContext().get(), get, &first).ok());
  EXPECT_EQ(first.adviser(), "adviser-joining");
  EXPECT_EQ(first.etag(), "2");

  // The whole caseload moves on again, by adviser.
  v1::ReassignParticipantsRequest whole = Move({}, "adviser-third");
  whole.set_from_adviser("adviser-joining");
  status = Reassign(whole, &moved);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(moved.participants_size(), kParticipants);
  EXPECT_EQ(CaseloadTotal("adviser-third"), kParticipants);
  EXPECT_EQ(CaseloadTotal("adviser-joining"), 0);
  EXPECT_EQ(StreamLength(), before + 2 * kParticipants);
}

TEST_F(ContactsCaseloadsIntegrationTest, ReassignmentIsAllOrNothing) {
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) names.push_back(Enrol("adviser-a", 30).name());
  const v1::Participant theirs = Enrol("adviser-a", 30, other_org_);
  const std::string missing =
      absl::StrCat(ContractName(contract_), "/participants/", UniqueId("no"));
  const size_t before = StreamLength();

  std::vector<std::string> with_theirs = names;
  with_theirs.push_back(theirs.name());
  v1::ReassignParticipantsResponse moved;
  EXPECT_TRUE(StatusIs(Reassign(Move(with_theirs, "adviser-b"), &moved),
                       Code::PERMISSION_DENIED, "participants[5]"));
  std::vector<std::string> with_missing = names;
  with_missing.insert(with_missing.begin() + 2, missing);
  EXPECT_TRUE(StatusIs(Reassign(Move(with_missing, "adviser-b"), &moved),
                       Code::PERMISSION_DENIED, "participants[2]"));
  EXPECT_EQ(StreamLength(), before);
  EXPECT_EQ(CaseloadTotal("adviser-b"), 0);
  EXPECT_EQ(CaseloadTotal("adviser-a"), 5);

  // Bad requests: INVALID_ARGUMENT naming the field, nothing moved.
  using R = v1::ReassignParticipantsRequest;
  const std::vector<std::pair<std::function<void(R&)>, std::string>> bad = {
      {[](R& r) { r.clear_parent(); }, "parent"},
      {[](R& r) { r.clear_to_adviser(); }, "to_adviser"},
      {[](R& r) { r.set_to_adviser("B"); }, "to_adviser"},
      {[](R& r) { r.set_from_adviser("adviser-a"); }, "from_adviser"},
      {[](R& r) { r.clear_participants(); }, "participants"},
      {[](R& r) { r.set_participants(1, "not-a-name"); }, "participants[1]"},
      {[](R& r) { r.set_participants(0, "contracts/other/participants/p"); },
       "participants[0]"},
      {[](R& r) { r.add_participants(r.participants(3)); }, "participants[5]"},
  };
  for (const auto& [spoil, field] : bad) {
    R request = Move(names, "adviser-b");
    spoil(request);
    EXPECT_TRUE(
        StatusIs(Reassign(request, &moved), Code::INVALID_ARGUMENT, field));
  }
  EXPECT_EQ(StreamLength(), before);
  EXPECT_EQ(CaseloadTotal("adviser-a"), 5);
}

// ---- Other organisations

TEST_F(ContactsCaseloadsIntegrationTest, OtherOrganisationsAreKeptOut) {
  const v1::Participant p = Enrol("adviser-ours", 60);
  const v1::Contact contact = MustContact(ContactRequest(p, today_ - 1));
  v1::Contact out;
  EXPECT_TRUE(
      StatusIs(CreateContact(ContactRequest(p, today_), &out, other_org_),
               Code::PERMISSION_DENIED));
  v1::GetContactRequest get;
  get.set_name(contact.name());
  EXPECT_TRUE(
      StatusIs(contacts_->GetContact(CallContext(other_org_).get(), get, &out),
               Code::PERMISSION_DENIED));
  v1::ListContactsRequest list;
  list.set_parent(p.name());
  v1::ListContactsResponse listed;
  EXPECT_TRUE(StatusIs(
      contacts_->ListContacts(CallContext(other_org_).get(), list, &listed),
      Code::PERMISSION_DENIED));
  v1::Contact edit = contact;
  edit.set_notes("theirs now");
  EXPECT_TRUE(StatusIs(UpdateContact(edit, {"notes"}, &out, other_org_),
                       Code::PERMISSION_DENIED));

  // Our caseload is empty to them, and not theirs to move.
  v1::Caseload caseload;
  ASSERT_TRUE(GetCaseload("adviser-ours", &caseload, 0, "", other_org_).ok());
  EXPECT_EQ(caseload.total(), 0);
  EXPECT_EQ(caseload.entries_size(), 0);
  v1::ListOverdueParticipantsResponse overdue;
  ASSERT_TRUE(Overdue("adviser-ours", &overdue, 0, other_org_).ok());
  EXPECT_EQ(overdue.total_overdue(), 0);
  v1::ReassignParticipantsResponse moved;
  EXPECT_TRUE(
      StatusIs(Reassign(Move({p.name()}, "adviser-theirs"), &moved, other_org_),
               Code::PERMISSION_DENIED));
  v1::ReassignParticipantsRequest whole = Move({}, "adviser-theirs");
  whole.set_from_adviser("adviser-ours");
  ASSERT_TRUE(Reassign(whole, &moved, other_org_).ok());
  EXPECT_EQ(moved.participants_size(), 0);
  EXPECT_EQ(GetParticipant(p.name()).adviser(), "adviser-ours");
}

}  // namespace
}  // namespace employability
