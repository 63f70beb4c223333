// Unit tests of caseloads, overdue lists and reassignment, on the in-memory
// store. Today is Monday 2 March 2026; participants are referred on
// 5 January 2026 to programme "restart" (a contact every 14 days, face to
// face every 28).
#include "services/participants/caseload_records.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/storage/forwarding_store.h"
#include "services/participants/catalogues.h"
#include "services/participants/contact_records.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

// The fixture's store, with another write let in before each of the next
// `interfere` commits made through it: how a reassignment meets a race.
class RacingStore final : public storage::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  int interfere = 0;
  std::function<void()> other_write;

  absl::StatusOr<storage::BatchResult> Commit(
      const storage::Batch& batch) override {
    if (interfere > 0) {
      --interfere;
      other_write();
    }
    return ForwardingStore::Commit(batch);
  }
};

class CaseloadRecordsTest : public JourneyTest {
 protected:
  CaseloadRecordsTest()
      : standards_(*ParseContactStandards(ContactStandardsText())),
        caseloads_(files_, standards_),
        contacts_(files_, standards_) {}

  // Another participant like `like`, enrolled by `caller` and assigned to
  // `adviser`.
  v1::Participant EnrolLike(const v1::Participant& like,
                            const auth::Caller& caller, const std::string& nino,
                            const std::string& adviser) {
    v1::CreateParticipantRequest request;
    request.set_parent(absl::StrCat("contracts/", kContract));
    request.set_request_id(absl::StrCat("enrol-", nino));
    *request.mutable_participant() = like;
    request.mutable_participant()->set_national_insurance_number(nino);
    request.mutable_participant()->set_adviser(adviser);
    auto created = participants_.Create(caller, request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : v1::Participant();
  }

  void Attend(const v1::Participant& p, const std::string& request_id,
              type::v1::Date date, v1::ContactChannel channel) {
    v1::CreateContactRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    *request.mutable_contact()->mutable_contact_date() = date;
    request.mutable_contact()->set_channel(channel);
    request.mutable_contact()->set_attendance(v1::ATTENDED);
    request.mutable_contact()->set_duration_minutes(30);
    auto contact = contacts_.Create(adviser_, request);
    EXPECT_TRUE(contact.ok()) << contact.status();
  }

  absl::StatusOr<v1::Caseload> Caseload(const std::string& adviser,
                                        int page_size = 0,
                                        const std::string& token = "") {
    v1::GetCaseloadRequest request;
    request.set_parent(absl::StrCat("contracts/", kContract));
    request.set_adviser(adviser);
    request.set_page_size(page_size);
    request.set_page_token(token);
    return caseloads_.GetCaseload(adviser_, request);
  }

  absl::StatusOr<v1::ListOverdueParticipantsResponse> Overdue(
      const std::string& adviser, int page_size = 0) {
    v1::ListOverdueParticipantsRequest request;
    request.set_parent(absl::StrCat("contracts/", kContract));
    request.set_adviser(adviser);
    request.set_page_size(page_size);
    return caseloads_.ListOverdueParticipants(adviser_, request);
  }

  v1::ReassignParticipantsRequest Move(const std::vector<std::string>& names,
                                       const std::string& to_adviser) {
    v1::ReassignParticipantsRequest request;
    request.set_parent(absl::StrCat("contracts/", kContract));
    for (const std::string& name : names) request.add_participants(name);
    request.set_to_adviser(to_adviser);
    return request;
  }

  // A caseload of adviser-1 as seen by prime-north: started and overdue
  // (p1), referred and seen face to face yesterday (p2), referred and late
  // for face to face (p3), exited (p4); another organisation's participant
  // (p5) and adviser-2's (p6) are not in it.
  void MakeCaseload() {
    p1_ = EnrolAndStart("JK000001A");
    p2_ = Enrol("JK000002A");
    Attend(p2_, "p2-seen", Day(2026, 3, 1), v1::FACE_TO_FACE);
    p3_ = Enrol("JK000003A");
    Attend(p3_, "p3-phoned", Day(2026, 2, 25), v1::PHONE);
    p4_ = Exit(EnrolAndStart("JK000004A"), Day(2026, 3, 2));
    p5_ = EnrolLike(p1_, other_agency_, "JK000005A", "adviser-1");
    p6_ = EnrolLike(p1_, adviser_, "JK000006A", "adviser-2");
  }

  static std::string IdOf(const v1::Participant& p) {
    return p.name().substr(p.name().rfind('/') + 1);
  }

  v1::ContactStandards standards_;
  CaseloadRecords caseloads_;
  ContactRecords contacts_;
  v1::Participant p1_, p2_, p3_, p4_, p5_, p6_;
};

TEST_F(CaseloadRecordsTest, CountsTheWholeCaseload) {
  MakeCaseload();
  auto caseload = Caseload("adviser-1");
  ASSERT_TRUE(caseload.ok()) << caseload.status();
  EXPECT_EQ(caseload->adviser(), "adviser-1");
  EXPECT_EQ(caseload->total(), 4);
  EXPECT_EQ(caseload->overdue_count(), 2);
  std::map<v1::ParticipantStatus, int> counts;
  for (const v1::StatusCount& count : caseload->status_counts()) {
    EXPECT_GT(count.count(), 0);
    counts[count.status()] = count.count();
  }
  EXPECT_EQ(counts, (std::map<v1::ParticipantStatus, int>{
                        {v1::REFERRED, 2}, {v1::STARTED, 1}, {v1::EXITED, 1}}));

  // Entries in index order, with the next contact due.
  std::vector<std::string> expected = {p1_.name(), p2_.name(), p3_.name(),
                                       p4_.name()};
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> seen;
  std::map<std::string, v1::CaseloadEntry> entries;
  for (const v1::CaseloadEntry& entry : caseload->entries()) {
    seen.push_back(entry.participant());
    entries[entry.participant()] = entry;
  }
  EXPECT_EQ(seen, expected);
  EXPECT_TRUE(entries[p1_.name()].overdue());
  EXPECT_EQ(entries[p1_.name()].status(), v1::STARTED);
  EXPECT_EQ(entries[p1_.name()].next_contact_due().day(), 19);  // 19 Jan
  EXPECT_FALSE(entries[p2_.name()].overdue());
  EXPECT_EQ(entries[p2_.name()].next_contact_due().day(), 15);  // 15 Mar
  EXPECT_TRUE(entries[p3_.name()].overdue());
  EXPECT_EQ(entries[p3_.name()].next_contact_due().month(), 2);  // 2 Feb
  EXPECT_FALSE(entries[p4_.name()].overdue());
  EXPECT_FALSE(entries[p4_.name()].has_next_contact_due());  // exited

  auto other = Caseload("adviser-2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->total(), 1);
  auto nobody = Caseload("adviser-9");
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(nobody->total(), 0);
  EXPECT_EQ(nobody->status_counts_size(), 0);
}

TEST_F(CaseloadRecordsTest, PagesKeepTheWholeCounts) {
  MakeCaseload();
  auto first = Caseload("adviser-1", 3);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->entries_size(), 3);
  ASSERT_FALSE(first->next_page_token().empty());
  auto second = Caseload("adviser-1", 3, first->next_page_token());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->entries_size(), 1);
  EXPECT_TRUE(second->next_page_token().empty());
  EXPECT_EQ(second->total(), 4);
  EXPECT_EQ(second->overdue_count(), 2);
  EXPECT_GT(second->entries(0).participant(), first->entries(2).participant());
  // A full last page has no token.
  auto exact = Caseload("adviser-1", 4);
  ASSERT_TRUE(exact.ok());
  EXPECT_TRUE(exact->next_page_token().empty());

  // A token belongs to its caseload.
  absl::Status status =
      Caseload("adviser-2", 3, first->next_page_token()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()).rfind("page_token", 0), 0u);
}

TEST_F(CaseloadRecordsTest, BadQueriesNameTheField) {
  struct Bad {
    std::string parent;
    std::string adviser;
    int page_size;
    std::string field;
  };
  const std::vector<Bad> cases = {
      {"contracts/north-west/x", "adviser-1", 0, "parent"},
      {"", "adviser-1", 0, "parent"},
      {"contracts/north-west", "", 0, "adviser"},
      {"contracts/north-west", "Adviser One", 0, "adviser"},
      {"contracts/north-west", "adviser-1", -1, "page_size"},
      {"contracts/north-west", "adviser-1", 501, "page_size"},
  };
  for (const Bad& bad : cases) {
    v1::GetCaseloadRequest get;
    get.set_parent(bad.parent);
    get.set_adviser(bad.adviser);
    get.set_page_size(bad.page_size);
    absl::Status status = caseloads_.GetCaseload(adviser_, get).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.field;
    EXPECT_EQ(std::string(status.message()).rfind(bad.field, 0), 0u) << status;
    v1::ListOverdueParticipantsRequest overdue;
    overdue.set_parent(bad.parent);
    overdue.set_adviser(bad.adviser);
    overdue.set_page_size(bad.page_size);
    status = caseloads_.ListOverdueParticipants(adviser_, overdue).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.field;
    EXPECT_EQ(std::string(status.message()).rfind(bad.field, 0), 0u) << status;
  }
}

TEST_F(CaseloadRecordsTest, ACaseloadTooLargeForOneCallIsRefused) {
  storage::Batch batch;
  const storage::KeySpace keys = files_.Keys(kContract);
  for (int i = 0; i <= kMaxCaseloadScan; ++i) {
    batch.IndexAdd(keys.Index("adviser", "adviser-big"),
                   absl::StrCat("p", 100000 + i));
  }
  ASSERT_TRUE(store_.Commit(batch).ok());
  absl::Status status = Caseload("adviser-big").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(std::string(status.message()).rfind("adviser", 0), 0u);
  v1::ReassignParticipantsRequest move = Move({}, "adviser-2");
  move.set_from_adviser("adviser-big");
  status = caseloads_.ReassignParticipants(adviser_, move).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(std::string(status.message()).rfind("from_adviser", 0), 0u);
}

TEST_F(CaseloadRecordsTest, OverdueListIsMostOverdueFirst) {
  MakeCaseload();
  auto overdue = Overdue("adviser-1");
  ASSERT_TRUE(overdue.ok()) << overdue.status();
  EXPECT_EQ(overdue->total_overdue(), 2);
  ASSERT_EQ(overdue->participants_size(), 2);
  const v1::OverdueParticipant& first = overdue->participants(0);
  EXPECT_EQ(first.participant(), p1_.name());
  EXPECT_EQ(first.adviser(), "adviser-1");
  EXPECT_EQ(first.overdue(), v1::ANY_CONTACT);
  EXPECT_EQ(first.days_overdue(), 42);
  EXPECT_EQ(first.due_date().day(), 19);
  EXPECT_FALSE(first.has_last_contact_date());
  const v1::OverdueParticipant& second = overdue->participants(1);
  EXPECT_EQ(second.participant(), p3_.name());
  EXPECT_EQ(second.overdue(), v1::FACE_TO_FACE_CONTACT);
  EXPECT_EQ(second.days_overdue(), 28);
  EXPECT_EQ(second.last_contact_date().day(), 25);
  EXPECT_FALSE(second.has_last_face_to_face_date());

  // page_size bounds the list, not the count.
  auto top = Overdue("adviser-1", 1);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->participants_size(), 1);
  EXPECT_EQ(top->total_overdue(), 2);

  // Seen face to face today: p1 is no longer overdue.
  Attend(p1_, "p1-seen", Day(2026, 3, 2), v1::FACE_TO_FACE);
  overdue = Overdue("adviser-1");
  ASSERT_TRUE(overdue.ok());
  ASSERT_EQ(overdue->participants_size(), 1);
  EXPECT_EQ(overdue->participants(0).participant(), p3_.name());

  // Two weeks on, everyone on the programme is due again.
  clock_.Advance(absl::Hours(24 * 15));
  overdue = Overdue("adviser-1");
  ASSERT_TRUE(overdue.ok());
  EXPECT_EQ(overdue->total_overdue(), 3);  // p1, p2, p3; never p4 (exited)
  auto caseload = Caseload("adviser-1");
  ASSERT_TRUE(caseload.ok());
  EXPECT_EQ(caseload->overdue_count(), 3);
}

TEST_F(CaseloadRecordsTest, ReassignsTheParticipantsNamedWithEvents) {
  MakeCaseload();
  NewEvents();
  auto moved = caseloads_.ReassignParticipants(
      adviser_, Move({p1_.name(), p2_.name()}, "adviser-3"));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(std::vector<std::string>(moved->participants().begin(),
                                     moved->participants().end()),
            (std::vector<std::string>{p1_.name(), p2_.name()}));
  EXPECT_EQ(NewEvents(), (std::vector<std::string>{"ParticipantUpdated",
                                                   "ParticipantUpdated"}));
  std::vector<events::v1::EventEnvelope> envelopes = Envelopes();
  for (size_t i = envelopes.size() - 2; i < envelopes.size(); ++i) {
    v1::ParticipantUpdated event;
    ASSERT_TRUE(envelopes[i].payload().UnpackTo(&event));
    EXPECT_EQ(event.facts().adviser(), "adviser-3");
    EXPECT_EQ(std::vector<std::string>(event.changed_fields().begin(),
                                       event.changed_fields().end()),
              std::vector<std::string>{"adviser"});
    EXPECT_EQ(envelopes[i].aggregate(), event.facts().participant());
    EXPECT_EQ(envelopes[i].acting_user(), "adviser-1");
  }
  const v1::Participant p1 = Reread(p1_);
  EXPECT_EQ(p1.adviser(), "adviser-3");
  EXPECT_EQ(envelopes.back().aggregate_version(),
            std::stoll(Reread(p2_).etag()));
  EXPECT_EQ(Caseload("adviser-3")->total(), 2);
  EXPECT_EQ(Caseload("adviser-1")->total(), 2);

  // Moving them again changes nothing and writes nothing.
  auto again = caseloads_.ReassignParticipants(adviser_,
                                               Move({p1_.name()}, "adviser-3"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->participants_size(), 1);
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(p1_).etag(), p1.etag());
}

TEST_F(CaseloadRecordsTest, ReassignIsAllOrNothing) {
  MakeCaseload();
  NewEvents();
  const std::string missing =
      absl::StrCat("contracts/", kContract, "/participants/nobody");
  struct Failure {
    std::vector<std::string> names;
    absl::StatusCode code;
    std::string field;
  };
  const std::vector<Failure> failures = {
      {{p1_.name(), p5_.name()},
       absl::StatusCode::kPermissionDenied,
       "participants[1]"},
      // Missing reads as not reachable: absence is no answer either.
      {{p1_.name(), p2_.name(), missing},
       absl::StatusCode::kPermissionDenied,
       "participants[2]"},
  };
  for (const Failure& failure : failures) {
    absl::Status status =
        caseloads_.ReassignParticipants(adviser_, Move(failure.names, "adv-x"))
            .status();
    EXPECT_EQ(status.code(), failure.code) << status;
    EXPECT_EQ(std::string(status.message()).rfind(failure.field, 0), 0u)
        << status;
  }
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Reread(p1_).adviser(), "adviser-1");
  EXPECT_EQ(Reread(p2_).adviser(), "adviser-1");
  EXPECT_EQ(Caseload("adv-x")->total(), 0);

  // An erased participant moves with the rest: the adviser is no personal
  // data of theirs, and a caseload must be able to leave with its adviser.
  const std::string key =
      files_.Keys(kContract).Record(kParticipantRecord, IdOf(p3_));
  auto record = store_.Get(key);
  ASSERT_TRUE(record.ok() && record->has_value());
  v1::Participant erased;
  ASSERT_TRUE(erased.ParseFromString((*record)->value));
  erased.set_erased(true);
  ASSERT_TRUE(store_.Put(key, erased.SerializeAsString()).ok());
  absl::Status status =
      caseloads_
          .ReassignParticipants(adviser_,
                                Move({p1_.name(), p3_.name()}, "adv-x"))
          .status();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(Reread(p1_).adviser(), "adv-x");
  EXPECT_EQ(Reread(p3_).adviser(), "adv-x");
  EXPECT_TRUE(Reread(p3_).erased());
  v1::ReassignParticipantsRequest whole = Move({}, "adviser-1");
  whole.set_from_adviser("adv-x");
  EXPECT_TRUE(caseloads_.ReassignParticipants(adviser_, whole).ok());
  EXPECT_EQ(Reread(p3_).adviser(), "adviser-1");
}

TEST_F(CaseloadRecordsTest, ReassignsAWholeCaseload) {
  MakeCaseload();
  NewEvents();
  v1::ReassignParticipantsRequest request = Move({}, "adviser-7");
  request.set_from_adviser("adviser-1");
  auto moved = caseloads_.ReassignParticipants(adviser_, request);
  ASSERT_TRUE(moved.ok()) << moved.status();
  std::vector<std::string> names(moved->participants().begin(),
                                 moved->participants().end());
  std::vector<std::string> expected = {p1_.name(), p2_.name(), p3_.name(),
                                       p4_.name()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);
  EXPECT_EQ(NewEvents().size(), 4u);
  EXPECT_EQ(Caseload("adviser-7")->total(), 4);
  // Only the other organisation's participant stays: not ours to move.
  EXPECT_EQ(Caseload("adviser-1")->total(), 0);
  EXPECT_EQ(
      store_.IndexSize(files_.Keys(kContract).Index("adviser", "adviser-1"))
          .value(),
      1);
  // The overdue list follows the participants.
  EXPECT_EQ(Overdue("adviser-7")->total_overdue(), 2);
}

TEST_F(CaseloadRecordsTest, BadReassignmentsNameTheFieldAndMoveNobody) {
  MakeCaseload();
  NewEvents();
  using R = v1::ReassignParticipantsRequest;
  struct Bad {
    std::function<void(R&)> spoil;
    std::string field;
  };
  const std::string other_contract = "contracts/south-east/participants/p1";
  const std::vector<Bad> cases = {
      {[](R& r) { r.set_parent("north-west"); }, "parent"},
      {[](R& r) { r.clear_to_adviser(); }, "to_adviser"},
      {[](R& r) { r.set_to_adviser("Adviser Three"); }, "to_adviser"},
      {[](R& r) { r.set_from_adviser("adviser-1"); }, "from_adviser"},  // both
      {[](R& r) { r.clear_participants(); }, "participants"},  // neither
      {[](R& r) { r.set_participants(0, "someone"); }, "participants[0]"},
      {[other_contract](R& r) { r.set_participants(1, other_contract); },
       "participants[1]"},
      {[](R& r) { r.add_participants(r.participants(0)); }, "participants[2]"},
      {[](R& r) {
         for (int i = 0; i < 500; ++i) {
           r.add_participants(
               absl::StrCat("contracts/north-west/participants/x", i));
         }
       },
       "participants"},
      {[](R& r) {
         r.clear_participants();
         r.set_from_adviser("Adviser One");
       },
       "from_adviser"},
  };
  for (const Bad& bad : cases) {
    R request = Move({p1_.name(), p2_.name()}, "adviser-3");
    bad.spoil(request);
    absl::Status status =
        caseloads_.ReassignParticipants(adviser_, request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.field;
    EXPECT_EQ(std::string(status.message()).rfind(bad.field, 0), 0u)
        << status << " should name " << bad.field;
  }
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(Caseload("adviser-3")->total(), 0);
}

TEST_F(CaseloadRecordsTest, OtherOrganisationsSeeNoneOfOurCaseload) {
  MakeCaseload();
  v1::GetCaseloadRequest request;
  request.set_parent(absl::StrCat("contracts/", kContract));
  request.set_adviser("adviser-1");
  auto theirs = caseloads_.GetCaseload(other_agency_, request);
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_EQ(theirs->total(), 1);  // only p5, which they enrolled
  ASSERT_EQ(theirs->entries_size(), 1);
  EXPECT_EQ(theirs->entries(0).participant(), p5_.name());
  auto moved = caseloads_.ReassignParticipants(other_agency_,
                                               Move({p1_.name()}, "adviser-9"));
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Reread(p1_).adviser(), "adviser-1");
}

TEST_F(CaseloadRecordsTest, ACaseloadIsWhatTheCallersScopeReaches) {
  MakeCaseload();  // every participant in team-a
  v1::GetCaseloadRequest request;
  request.set_parent(absl::StrCat("contracts/", kContract));
  request.set_adviser("adviser-1");
  const auto total = [&](const auth::Caller& caller) {
    auto caseload = caseloads_.GetCaseload(caller, request);
    EXPECT_TRUE(caseload.ok()) << caseload.status();
    return caseload.ok() ? caseload->total() : -1;
  };
  EXPECT_EQ(total(Staff("prime-north", "leader-a", auth::v1::TEAM,
                        type::v1::TEAM_LEADER)),
            4);
  const auth::Caller leader_b = Staff("prime-north", "leader-b", auth::v1::TEAM,
                                      type::v1::TEAM_LEADER, "team-b");
  EXPECT_EQ(total(leader_b), 0);
  EXPECT_EQ(total(Staff("prime-north", "adviser-1", auth::v1::OWN_CASELOAD)),
            4);
  EXPECT_EQ(total(Staff("prime-north", "adviser-2", auth::v1::OWN_CASELOAD)),
            0);
  EXPECT_EQ(
      caseloads_
          .GetCaseload(Staff("prime-north", "viewer", auth::v1::AGGREGATES_ONLY,
                             type::v1::COMMISSIONER_VIEWER, ""),
                       request)
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  // Nor may a team leader move another team's participants.
  auto moved = caseloads_.ReassignParticipants(leader_b,
                                               Move({p1_.name()}, "adviser-2"));
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(moved.status().message()).rfind("participants[0]", 0),
            0u);
  EXPECT_EQ(Reread(p1_).adviser(), "adviser-1");
}

TEST_F(CaseloadRecordsTest, ReassignReadsAgainWhenAnotherWriteGetsIn) {
  MakeCaseload();
  RacingStore racing(store_);
  CaseFiles racing_files(racing, clock_, ids_, key_hasher_);
  CaseloadRecords caseloads(racing_files, standards_);
  // The other write: p2's team changes between the read and the commit.
  int team = 0;
  racing.other_write = [&] {
    v1::UpdateParticipantRequest update;
    update.mutable_participant()->set_name(p2_.name());
    update.mutable_participant()->set_team(absl::StrCat("team-", ++team));
    update.mutable_update_mask()->add_paths("team");
    ASSERT_TRUE(participants_.Update(adviser_, update).ok());
  };
  NewEvents();

  racing.interfere = 2;
  auto moved = caseloads.ReassignParticipants(
      adviser_, Move({p1_.name(), p2_.name()}, "adviser-3"));
  ASSERT_TRUE(moved.ok()) << moved.status();
  // Two team changes, then the reassignment once, from the third read.
  EXPECT_EQ(NewEvents(), (std::vector<std::string>{
                             "ParticipantUpdated", "ParticipantUpdated",
                             "ParticipantUpdated", "ParticipantUpdated"}));
  auto last = LastEvent<v1::ParticipantUpdated>();
  EXPECT_EQ(last.facts().adviser(), "adviser-3");
  EXPECT_EQ(last.facts().team(), "team-2");  // the write that got in is kept
  EXPECT_EQ(Reread(p2_).adviser(), "adviser-3");
  EXPECT_EQ(Reread(p2_).team(), "team-2");

  // Another write before every attempt: ABORTED, and nobody moved.
  racing.interfere = kWriteAttempts;
  absl::Status status =
      caseloads
          .ReassignParticipants(adviser_,
                                Move({p1_.name(), p2_.name()}, "adviser-4"))
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_EQ(Reread(p1_).adviser(), "adviser-3");
  EXPECT_EQ(Reread(p2_).adviser(), "adviser-3");
}

}  // namespace
}  // namespace employability::participants
