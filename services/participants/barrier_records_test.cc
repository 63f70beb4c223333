// Unit tests of barriers to work, on the in-memory store.
#include "services/participants/barrier_records.h"

#include "services/participants/catalogues.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

class BarrierRecordsTest : public JourneyTest {
 protected:
  BarrierRecordsTest()
      : barriers_(files_, *ParseBarrierTypes(BarrierTypesText())) {}

  v1::CreateBarrierRequest Request(const v1::Participant& p,
                                   const std::string& request_id = "b1") {
    v1::CreateBarrierRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    request.mutable_barrier()->set_type("childcare");
    request.mutable_barrier()->set_severity(v1::HIGH);
    *request.mutable_barrier()->mutable_identified_date() = Day(2026, 2, 10);
    request.mutable_barrier()->set_notes("Two children under five");
    return request;
  }

  BarrierRecords barriers_;
};

TEST_F(BarrierRecordsTest, CatalogueIsDataWithUniqueCodes) {
  const v1::ListBarrierTypesResponse& types = barriers_.Types();
  ASSERT_GE(types.barrier_types_size(), 13);
  EXPECT_EQ(types.barrier_types(0).name(), "barrierTypes/skills");
  EXPECT_FALSE(ParseBarrierTypes("barrier_types { code: \"a\" "
                                 "display_name: \"A\" } barrier_types { code: "
                                 "\"a\" display_name: \"B\" }")
                   .ok());
  EXPECT_FALSE(ParseBarrierTypes("not a textproto").ok());
}

TEST_F(BarrierRecordsTest, CreateRecordsTheBarrierAndItsEvent) {
  v1::Participant p = Enrol();
  NewEvents();
  absl::StatusOr<v1::Barrier> barrier = barriers_.Create(adviser_, Request(p));
  ASSERT_TRUE(barrier.ok()) << barrier.status();
  EXPECT_EQ(barrier->name().rfind(p.name() + "/barriers/", 0), 0u);
  EXPECT_EQ(barrier->identified_by(), "adviser-1");
  EXPECT_FALSE(barrier->resolved());
  EXPECT_EQ(barrier->etag(), "1");
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"BarrierRecorded"});
  auto event = LastEvent<v1::BarrierRecorded>();
  EXPECT_EQ(event.type(), "childcare");
  EXPECT_EQ(event.facts().team(), "team-a");
  EXPECT_EQ(event.facts().participant(), p.name());
  // The spell's activity moved on to the barrier's date.
  EXPECT_EQ(Reread(p).spells(0).last_activity_date().month(), 2);

  // A retry replays; the same id with another body is refused.
  auto again = barriers_.Create(adviser_, Request(p));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->name(), barrier->name());
  v1::CreateBarrierRequest other = Request(p);
  other.mutable_barrier()->set_type("transport");
  EXPECT_EQ(barriers_.Create(adviser_, other).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(BarrierRecordsTest, BadInputNamesTheFieldAndStoresNothing) {
  v1::Participant p = Enrol();
  NewEvents();
  struct Case {
    std::function<void(v1::CreateBarrierRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.set_parent("contracts/x"); }, "parent"},
      {[](auto& r) { r.clear_request_id(); }, "request_id"},
      {[](auto& r) { r.clear_barrier(); }, "barrier"},
      {[](auto& r) { r.mutable_barrier()->set_type(""); }, "barrier.type"},
      {[](auto& r) { r.mutable_barrier()->set_type("aliens"); },
       "barrier.type"},
      {[](auto& r) { r.mutable_barrier()->clear_severity(); },
       "barrier.severity"},
      {[](auto& r) {
         r.mutable_barrier()->set_severity(static_cast<v1::BarrierSeverity>(9));
       },
       "barrier.severity"},
      {[](auto& r) { r.mutable_barrier()->clear_identified_date(); },
       "barrier.identified_date"},
      {[](auto& r) {
         *r.mutable_barrier()->mutable_identified_date() = Day(2026, 3, 3);
       },
       "barrier.identified_date"},
      {[](auto& r) {
         *r.mutable_barrier()->mutable_resolved_date() = Day(2026, 2, 1);
       },
       "barrier.resolved_date"},
      {[](auto& r) { r.mutable_barrier()->set_notes(std::string(2001, 'x')); },
       "barrier.notes"},
      {[](auto& r) { r.mutable_barrier()->set_identified_by("Not An Id"); },
       "barrier.identified_by"},
  };
  for (const Case& c : cases) {
    v1::CreateBarrierRequest request = Request(p);
    c.spoil(request);
    absl::Status status = barriers_.Create(adviser_, request).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(std::string(status.message()).rfind(c.field, 0), 0u)
        << status << " should name " << c.field;
  }
  // Before the referral: a rule of the case, not of the field's format.
  v1::CreateBarrierRequest early = Request(p);
  *early.mutable_barrier()->mutable_identified_date() = Day(2025, 12, 1);
  EXPECT_EQ(barriers_.Create(adviser_, early).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(NewEvents().empty());
  v1::ListBarriersRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(barriers_.List(adviser_, list)->barriers_size(), 0);
}

TEST_F(BarrierRecordsTest, OnlyTheEnrollingOrganisationSeesBarriers) {
  v1::Participant p = Enrol();
  auto barrier = barriers_.Create(adviser_, Request(p));
  ASSERT_TRUE(barrier.ok());
  EXPECT_EQ(barriers_.Create(other_agency_, Request(p, "b2")).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::GetBarrierRequest get;
  get.set_name(barrier->name());
  EXPECT_EQ(barriers_.Get(other_agency_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ListBarriersRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(barriers_.List(other_agency_, list).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(BarrierRecordsTest, ResolveReopenAndListUnresolved) {
  v1::Participant p = Enrol();
  auto childcare = barriers_.Create(adviser_, Request(p, "b1"));
  v1::CreateBarrierRequest transport = Request(p, "b2");
  transport.mutable_barrier()->set_type("transport");
  ASSERT_TRUE(barriers_.Create(adviser_, transport).ok());
  NewEvents();

  v1::UpdateBarrierRequest update;
  *update.mutable_barrier() = *childcare;
  *update.mutable_barrier()->mutable_resolved_date() = Day(2026, 3, 1);
  update.mutable_update_mask()->add_paths("resolved_date");
  auto resolved = barriers_.Update(adviser_, update);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->resolved());
  EXPECT_EQ(resolved->etag(), "2");
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"BarrierUpdated"});
  // The same update again changes nothing and writes nothing.
  update.mutable_barrier()->set_etag("2");
  ASSERT_TRUE(barriers_.Update(adviser_, update).ok());
  EXPECT_TRUE(NewEvents().empty());
  // A stale etag is refused.
  update.mutable_barrier()->set_etag("1");
  update.mutable_barrier()->set_severity(v1::LOW);
  update.mutable_update_mask()->add_paths("severity");
  EXPECT_EQ(barriers_.Update(adviser_, update).status().code(),
            absl::StatusCode::kAborted);
  // Type cannot change.
  v1::UpdateBarrierRequest retype;
  *retype.mutable_barrier() = *resolved;
  retype.mutable_update_mask()->add_paths("type");
  EXPECT_EQ(barriers_.Update(adviser_, retype).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::ListBarriersRequest list;
  list.set_parent(p.name());
  list.set_unresolved_only(true);
  auto open = barriers_.List(adviser_, list);
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->barriers_size(), 1);
  EXPECT_EQ(open->barriers(0).type(), "transport");

  // Reopen: clear the resolved date.
  v1::UpdateBarrierRequest reopen;
  reopen.mutable_barrier()->set_name(childcare->name());
  reopen.mutable_update_mask()->add_paths("resolved_date");
  auto reopened = barriers_.Update(adviser_, reopen);
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(reopened->resolved());
}

TEST_F(BarrierRecordsTest, PagesThroughBarriers) {
  v1::Participant p = Enrol();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        barriers_.Create(adviser_, Request(p, absl::StrCat("b", i))).ok());
  }
  v1::ListBarriersRequest list;
  list.set_parent(p.name());
  list.set_page_size(2);
  int seen = 0;
  for (int page = 0; page < 5; ++page) {
    auto response = barriers_.List(adviser_, list);
    ASSERT_TRUE(response.ok()) << response.status();
    seen += response->barriers_size();
    if (response->next_page_token().empty()) break;
    list.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(seen, 5);
  list.set_page_token("garbage");
  EXPECT_EQ(barriers_.List(adviser_, list).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(BarrierRecordsTest, NothingAfterExit) {
  v1::Participant p = EnrolAndStart();  // started 2 March
  clock_.Advance(absl::Hours(24 * 10));
  Exit(p, Day(2026, 3, 5));
  v1::CreateBarrierRequest late = Request(p);
  *late.mutable_barrier()->mutable_identified_date() = Day(2026, 3, 8);
  absl::Status status = barriers_.Create(adviser_, late).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(status.message()).find("nothing-after-exit"),
            std::string::npos)
      << status;
}

}  // namespace
}  // namespace employability::participants

namespace employability::participants {
namespace {

// Health, disability and criminal-record barriers are special category data.
class SpecialCategoryBarrierTest : public BarrierRecordsTest {
 protected:
  v1::CreateBarrierRequest HealthRequest(const v1::Participant& p,
                                         const std::string& request_id) {
    v1::CreateBarrierRequest request = Request(p, request_id);
    request.mutable_barrier()->set_type("health");
    request.mutable_barrier()->set_notes("Back injury; no heavy lifting");
    return request;
  }

  std::string ConsentCoveringHealth(const v1::Participant& p) {
    v1::CreateConsentRequest request;
    request.set_parent(p.name());
    request.set_request_id("consent-health");
    request.mutable_consent()->set_purpose(v1::PROGRAMME_DELIVERY);
    request.mutable_consent()->add_data_categories(v1::HEALTH);
    auto consent = participants_.CreateConsent(adviser_, request);
    EXPECT_TRUE(consent.ok()) << consent.status();
    return consent.ok() ? consent->name() : "";
  }

  int Listed(const v1::Participant& p) {
    v1::ListBarriersRequest list;
    list.set_parent(p.name());
    auto page = barriers_.List(adviser_, list);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->barriers_size() : -1;
  }
};

TEST_F(SpecialCategoryBarrierTest, RecordedAndShownOnlyUnderConsent) {
  v1::Participant p = Enrol();
  EXPECT_EQ(barriers_.Create(adviser_, HealthRequest(p, "h0")).status().code(),
            absl::StatusCode::kPermissionDenied);
  const std::string consent = ConsentCoveringHealth(p);
  NewEvents();
  auto health = barriers_.Create(adviser_, HealthRequest(p, "h1"));
  ASSERT_TRUE(health.ok()) << health.status();
  ASSERT_TRUE(barriers_.Create(adviser_, Request(p, "b1")).ok());  // childcare
  // The event says a special-category barrier exists, never which.
  std::vector<events::v1::EventEnvelope> all = Envelopes();
  v1::BarrierRecorded recorded;
  ASSERT_TRUE(all[all.size() - 2].payload().UnpackTo(&recorded));
  EXPECT_TRUE(recorded.special_category());
  EXPECT_TRUE(recorded.type().empty());
  EXPECT_EQ(LastEvent<v1::BarrierRecorded>().type(), "childcare");
  EXPECT_EQ(Listed(p), 2);

  // Consent withdrawn: the health barrier disappears from view.
  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent);
  ASSERT_TRUE(participants_.WithdrawConsent(adviser_, withdraw).ok());
  EXPECT_EQ(Listed(p), 1);
  v1::GetBarrierRequest get;
  get.set_name(health->name());
  EXPECT_EQ(barriers_.Get(adviser_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::UpdateBarrierRequest update;
  update.mutable_barrier()->set_name(health->name());
  update.mutable_update_mask()->add_paths("notes");  // changes nothing
  EXPECT_EQ(barriers_.Update(adviser_, update).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(BarrierRecordsTest, ABarrierOfAnEarlierSpellIsReadOnly) {
  v1::Participant p = EnrolAndStart();
  auto barrier = barriers_.Create(adviser_, Request(p));
  ASSERT_TRUE(barrier.ok());
  EXPECT_EQ(barrier->spell(), 1);
  clock_.Advance(absl::Hours(24 * 10));
  p = Exit(p, Day(2026, 3, 5));
  v1::UpdateParticipantRequest rejoin;
  rejoin.mutable_participant()->set_name(p.name());
  rejoin.mutable_participant()->set_status(v1::REFERRED);
  *rejoin.mutable_participant()->mutable_referral_date() = Day(2026, 3, 10);
  rejoin.mutable_update_mask()->add_paths("status");
  rejoin.mutable_update_mask()->add_paths("referral_date");
  ASSERT_TRUE(participants_.Update(adviser_, rejoin).ok());
  v1::UpdateBarrierRequest update;
  update.mutable_barrier()->set_name(barrier->name());
  update.mutable_barrier()->set_severity(v1::LOW);
  update.mutable_update_mask()->add_paths("severity");
  EXPECT_EQ(barriers_.Update(adviser_, update).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace employability::participants
