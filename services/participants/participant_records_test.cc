// Unit tests of the participant records' rules, on the in-memory store.
#include "services/participants/participant_records.h"

#include <set>
#include <string>

#include "absl/strings/str_replace.h"
#include "common/events/event_log.h"
#include "common/storage/memory_store.h"
#include "gtest/gtest.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

constexpr char kParent[] = "contracts/north-west";

class ParticipantRecordsTest : public testing::Test {
 protected:
  ParticipantRecordsTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0),
                               absl::UTCTimeZone())),
        store_(clock_),
        files_(store_, clock_, ids_, key_hasher_),
        records_(files_) {}

  static v1::CreateParticipantRequest Request(
      const std::string& request_id, const std::string& nino = "JK123456A") {
    v1::CreateParticipantRequest request;
    request.set_parent(kParent);
    request.set_request_id(request_id);
    v1::Participant* p = request.mutable_participant();
    p->set_programme("restart");
    p->set_adviser("adviser-1");
    p->set_referral_source(v1::JOBCENTRE_PLUS);
    p->mutable_referral_date()->set_year(2026);
    p->mutable_referral_date()->set_month(1);
    p->mutable_referral_date()->set_day(5);
    p->set_given_name("Amira");
    p->set_family_name("Khan");
    p->mutable_date_of_birth()->set_year(1990);
    p->mutable_date_of_birth()->set_month(5);
    p->mutable_date_of_birth()->set_day(17);
    p->set_national_insurance_number(nino);
    p->mutable_contact()->set_postcode("M1 1AE");
    return request;
  }

  v1::Participant CreateOk(const std::string& request_id,
                           const std::string& nino = "JK123456A") {
    absl::StatusOr<v1::Participant> p =
        records_.Create(adviser_, Request(request_id, nino));
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : v1::Participant();
  }

  // Event types on the contract's stream, oldest first.
  std::vector<std::string> Events() {
    storage::KeySpace keys(kServiceKeyspace,
                           storage::ContractTenancy("north-west"));
    return ShortTypes(StreamEnvelopes(store_, keys.Events()));
  }

  int64_t Stored() {
    storage::KeySpace keys(kServiceKeyspace,
                           storage::ContractTenancy("north-west"));
    return *store_.IndexSize(keys.Index("organisation", "prime-north")) +
           *store_.IndexSize(keys.Index("organisation", "partner-east"));
  }

  v1::Participant Update(const v1::Participant& p, const std::string& path,
                         absl::StatusCode expected = absl::StatusCode::kOk) {
    v1::UpdateParticipantRequest request;
    *request.mutable_participant() = p;
    request.mutable_update_mask()->add_paths(path);
    absl::StatusOr<v1::Participant> updated =
        records_.Update(adviser_, request);
    EXPECT_EQ(updated.status().code(), expected) << updated.status();
    return updated.ok() ? *updated : p;
  }

  v1::Participant ExitOk(const v1::Participant& p,
                         v1::ExitReason reason = v1::MOVED_OUT_OF_AREA) {
    v1::ExitParticipantRequest request;
    request.set_name(p.name());
    request.set_reason(reason);
    request.mutable_exit_date()->set_year(2026);
    request.mutable_exit_date()->set_month(3);
    request.mutable_exit_date()->set_day(2);
    absl::StatusOr<v1::Participant> exited = records_.Exit(adviser_, request);
    EXPECT_TRUE(exited.ok()) << exited.status();
    return exited.ok() ? *exited : p;
  }

  FakeClock clock_;
  SequentialIdSource ids_{"p"};
  storage::MemoryStore store_;
  storage::KeyHasher key_hasher_{"test-secret"};
  CaseFiles files_;
  ParticipantRecords records_;
  auth::Caller adviser_ = Staff("prime-north", "adviser-1");
  auth::Caller other_agency_ = Staff("partner-east", "adviser-9");
  auth::Caller monitoring_ = ForEqualityMonitoring(adviser_);
};

TEST_F(ParticipantRecordsTest, CreateSetsOutputFieldsAndEmitsOneEvent) {
  v1::Participant p = CreateOk("r1");
  EXPECT_EQ(p.name().rfind("contracts/north-west/participants/", 0), 0u);
  EXPECT_EQ(p.contract(), "north-west");
  EXPECT_EQ(p.enrolling_organisation(), "prime-north");
  EXPECT_EQ(p.status(), v1::REFERRED);
  ASSERT_EQ(p.spells_size(), 1);
  EXPECT_EQ(p.spells(0).number(), 1);
  EXPECT_EQ(p.spells(0).history(0).changed_by(), "adviser-1");
  EXPECT_EQ(p.etag(), "1");
  EXPECT_EQ(Events(), std::vector<std::string>{"ParticipantCreated"});
  auto got = records_.Get(adviser_, [&] {
    v1::GetParticipantRequest r;
    r.set_name(p.name());
    return r;
  }());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->national_insurance_number(), "JK123456A");
}

TEST_F(ParticipantRecordsTest, BadInputStoresNothing) {
  v1::CreateParticipantRequest request = Request("r1");
  request.mutable_participant()->set_national_insurance_number("BG123456A");
  absl::Status status = records_.Create(adviser_, request).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message())
                .rfind("participant.national_insurance_number", 0),
            0u);
  request = Request("");
  EXPECT_EQ(std::string(records_.Create(adviser_, request).status().message()),
            "request_id is required");
  request = Request("r1");
  request.set_parent("contract/north-west");
  EXPECT_EQ(std::string(records_.Create(adviser_, request).status().message())
                .rfind("parent", 0),
            0u);
  EXPECT_EQ(Stored(), 0);
  EXPECT_TRUE(Events().empty());
}

TEST_F(ParticipantRecordsTest, RetryWithSameBodyReturnsFirstResult) {
  v1::Participant first = CreateOk("r1");
  v1::Participant again = CreateOk("r1");
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(Stored(), 1);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(ParticipantRecordsTest, RetryWithOtherBodyIsRejected) {
  CreateOk("r1");
  v1::CreateParticipantRequest other = Request("r1", "JK654321B");
  absl::Status status = records_.Create(adviser_, other).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()).rfind("request_id", 0), 0u);
  EXPECT_EQ(Stored(), 1);
}

TEST_F(ParticipantRecordsTest, RequestIdsAreScopedPerOrganisation) {
  CreateOk("r1");
  auto p = records_.Create(other_agency_, Request("r1", "JK654321B"));
  EXPECT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Stored(), 2);
}

TEST_F(ParticipantRecordsTest, SamePersonTwiceOnAProgrammeIsAlreadyExists) {
  v1::Participant first = CreateOk("r1");
  absl::Status status = records_.Create(adviser_, Request("r2")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(std::string(status.message()).find(first.name()),
            std::string::npos);
  v1::CreateParticipantRequest other_programme = Request("r3");
  other_programme.mutable_participant()->set_programme("work-and-health");
  EXPECT_TRUE(records_.Create(adviser_, other_programme).ok());
}

TEST_F(ParticipantRecordsTest, UnknownOrNotSharedParticipants) {
  v1::Participant p = CreateOk("r1");
  // A participant that does not exist and one not shared read the same: a
  // refusal never tells whether a record exists.
  v1::GetParticipantRequest get;
  get.set_name("contracts/north-west/participants/nobody");
  const absl::Status missing = records_.Get(other_agency_, get).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(records_.Get(adviser_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  get.set_name(p.name());
  const absl::Status hidden = records_.Get(other_agency_, get).status();
  EXPECT_EQ(hidden.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(absl::StrReplaceAll(hidden.message(), {{p.name(), "<p>"}}),
            absl::StrReplaceAll(
                missing.message(),
                {{"contracts/north-west/participants/nobody", "<p>"}}));
}

TEST_F(ParticipantRecordsTest, ListPagesThroughEveryoneOnce) {
  for (int i = 0; i < 25; ++i)
    CreateOk(absl::StrCat("r", i), absl::StrCat("JK1234", 10 + i, "A"));
  std::set<std::string> seen;
  v1::ListParticipantsRequest request;
  request.set_parent(kParent);
  request.set_page_size(7);
  int pages = 0;
  do {
    auto page = records_.List(adviser_, request);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& p : page->participants())
      EXPECT_TRUE(seen.insert(p.name()).second);
    request.set_page_token(page->next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_EQ(pages, 4);
}

TEST_F(ParticipantRecordsTest, ListFiltersAndGuardsItsInputs) {
  v1::Participant a = CreateOk("r1", "JK111111A");
  CreateOk("r2", "JK222222A");
  a = Update(a, "status");  // no change: status stays REFERRED
  a.set_status(v1::STARTED);
  Update(a, "status");
  v1::ListParticipantsRequest request;
  request.set_parent(kParent);
  request.set_status(v1::STARTED);
  auto started = records_.List(adviser_, request);
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->participants_size(), 1);
  EXPECT_EQ(started->participants(0).name(), a.name());

  request.set_page_size(501);
  EXPECT_EQ(std::string(records_.List(adviser_, request).status().message())
                .rfind("page_size", 0),
            0u);
  request.set_page_size(-1);
  EXPECT_EQ(records_.List(adviser_, request).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.set_page_size(1);
  request.set_page_token("garbage");
  EXPECT_EQ(std::string(records_.List(adviser_, request).status().message())
                .rfind("page_token", 0),
            0u);
  request.clear_page_token();
  // Another organisation's participants: only those it shares (none here).
  request.set_enrolling_organisation("partner-east");
  auto shared = records_.List(adviser_, request);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->participants_size(), 0);
  // A team's scope never reaches another organisation.
  EXPECT_EQ(records_
                .List(Staff("prime-north", "leader-a", auth::v1::TEAM,
                            type::v1::TEAM_LEADER),
                      request)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(ParticipantRecordsTest, UpdateNeedsAMaskOfKnownFieldsAndAFreshEtag) {
  v1::Participant p = CreateOk("r1");
  v1::UpdateParticipantRequest request;
  *request.mutable_participant() = p;
  EXPECT_EQ(std::string(records_.Update(adviser_, request).status().message()),
            "update_mask is required");
  request.mutable_update_mask()->add_paths("enrolling_organisation");
  EXPECT_EQ(std::string(records_.Update(adviser_, request).status().message())
                .rfind("update_mask", 0),
            0u);

  p.set_given_name("Amy");
  v1::Participant updated = Update(p, "given_name");
  EXPECT_EQ(updated.given_name(), "Amy");
  EXPECT_EQ(updated.etag(), "2");
  p.set_given_name("Stale");  // still carries etag "1"
  Update(p, "given_name", absl::StatusCode::kAborted);
  EXPECT_EQ(Events(), (std::vector<std::string>{"ParticipantCreated",
                                                "ParticipantUpdated"}));
}

TEST_F(ParticipantRecordsTest, StatusFollowsTheProgrammeAndDatesTheSpell) {
  v1::Participant p = CreateOk("r1");
  p.set_status(v1::IN_WORK);
  Update(p, "status", absl::StatusCode::kInvalidArgument);
  p.set_status(v1::STARTED);
  p = Update(p, "status");
  EXPECT_EQ(p.spells(0).start_date().day(), 2);
  p.set_status(v1::EXITED);  // exits go through Exit, with a reason
  Update(p, "status", absl::StatusCode::kInvalidArgument);
  p = ExitOk(p);
  EXPECT_EQ(p.status(), v1::EXITED);
  EXPECT_EQ(p.spells(0).exit_date().month(), 3);
  EXPECT_EQ(p.spells(0).exit_reason(), v1::MOVED_OUT_OF_AREA);
  EXPECT_EQ(p.spells(0).history_size(), 3);
  p.set_status(v1::STARTED);
  Update(p, "status", absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Events(), (std::vector<std::string>{
                          "ParticipantCreated", "ParticipantStatusChanged",
                          "ParticipantExited", "ParticipantStatusChanged"}));
}

TEST_F(ParticipantRecordsTest, ReJoiningOpensANewSpell) {
  v1::Participant p = CreateOk("r1");
  p.set_status(v1::STARTED);
  p = Update(p, "status");
  p = ExitOk(p);  // exit date: 2026-03-02
  clock_.Advance(absl::Hours(24 * 30));

  v1::UpdateParticipantRequest rejoin;
  *rejoin.mutable_participant() = p;
  rejoin.mutable_participant()->set_status(v1::REFERRED);
  rejoin.mutable_update_mask()->add_paths("status");
  // Still on the first referral date, before the last exit: refused.
  EXPECT_EQ(records_.Update(adviser_, rejoin).status().code(),
            absl::StatusCode::kFailedPrecondition);
  rejoin.mutable_participant()->mutable_referral_date()->set_month(3);
  rejoin.mutable_participant()->mutable_referral_date()->set_day(20);
  rejoin.mutable_update_mask()->add_paths("referral_date");
  auto rejoined = records_.Update(adviser_, rejoin);
  ASSERT_TRUE(rejoined.ok()) << rejoined.status();
  ASSERT_EQ(rejoined->spells_size(), 2);
  EXPECT_EQ(rejoined->spells(0).exit_date().day(), 2);
  EXPECT_EQ(rejoined->spells(1).number(), 2);
  EXPECT_EQ(rejoined->spells(1).referral_date().day(), 20);
  EXPECT_FALSE(rejoined->spells(1).has_start_date());
  EXPECT_EQ(rejoined->spells(1).history(0).status(), v1::REFERRED);
  v1::Participant again = *rejoined;
  again.set_status(v1::STARTED);
  again = Update(again, "status");
  EXPECT_EQ(again.spells(1).start_date().month(), 4);  // 30 days on
}

TEST_F(ParticipantRecordsTest, ReferralDateStaysOnTheSpellAndBeforeItsStart) {
  v1::Participant p = CreateOk("r1");
  p.mutable_referral_date()->set_day(20);
  p = Update(p, "referral_date");
  EXPECT_EQ(p.spells(0).referral_date().day(), 20);
  p.set_status(v1::STARTED);
  p = Update(p, "status");  // started 2026-03-02
  p.mutable_referral_date()->set_month(3);
  p.mutable_referral_date()->set_day(2);
  p = Update(p, "referral_date");  // the start day itself is fine
  EXPECT_EQ(p.spells(0).referral_date().month(), 3);
  // A referral after the start is out of order (move the clock on, so that
  // the date is not refused for being in the future instead).
  clock_.Advance(absl::Hours(24 * 10));
  p.mutable_referral_date()->set_day(5);
  Update(p, "referral_date", absl::StatusCode::kFailedPrecondition);
}

TEST_F(ParticipantRecordsTest, EqualityPurposeMustBeStated) {
  v1::Participant p = CreateOk("r1");
  v1::GetEqualityDataRequest get;
  get.set_name(p.name() + "/equalityData");
  absl::Status status = records_.GetEqualityData(monitoring_, get).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(status.message()), "purpose is required");
}

TEST_F(ParticipantRecordsTest, UpdateCannotDuplicateAnotherPerson) {
  CreateOk("r1", "JK111111A");
  v1::Participant b = CreateOk("r2", "JK222222A");
  b.set_national_insurance_number("JK111111A");
  Update(b, "national_insurance_number", absl::StatusCode::kAlreadyExists);
  b.set_national_insurance_number("JK333333A");
  Update(b, "national_insurance_number");
  EXPECT_TRUE(records_.Create(adviser_, Request("r3", "JK222222A")).ok());
}

TEST_F(ParticipantRecordsTest, DeleteRemovesTheRecordAndFreesTheIdentity) {
  v1::Participant p = CreateOk("r1");
  v1::DeleteParticipantRequest del;
  del.set_name(p.name());
  del.set_etag("7");
  EXPECT_EQ(records_.Delete(adviser_, del).code(), absl::StatusCode::kAborted);
  del.clear_etag();
  ASSERT_TRUE(records_.Delete(adviser_, del).ok());
  v1::GetParticipantRequest get;
  get.set_name(p.name());
  EXPECT_EQ(records_.Get(adviser_, get).status().code(),
            absl::StatusCode::kPermissionDenied);  // as for any absent one
  EXPECT_EQ(Stored(), 0);
  EXPECT_TRUE(records_.Create(adviser_, Request("r2")).ok());
}

TEST_F(ParticipantRecordsTest, ConsentIsGivenListedAndWithdrawn) {
  v1::Participant p = CreateOk("r1");
  v1::CreateConsentRequest give;
  give.set_parent(p.name());
  give.set_request_id("c1");
  give.mutable_consent()->set_purpose(v1::REFERRAL_SHARING);
  give.mutable_consent()->add_organisations("partner-east");
  give.mutable_consent()->add_data_categories(v1::IDENTITY);
  auto consent = records_.CreateConsent(adviser_, give);
  ASSERT_TRUE(consent.ok()) << consent.status();
  EXPECT_TRUE(consent->live());
  EXPECT_EQ(consent->recorded_by(), "adviser-1");
  EXPECT_EQ(records_.CreateConsent(adviser_, give)->name(),
            consent->name());  // retry

  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent->name());
  auto withdrawn = records_.WithdrawConsent(adviser_, withdraw);
  ASSERT_TRUE(withdrawn.ok());
  EXPECT_FALSE(withdrawn->live());
  EXPECT_TRUE(withdrawn->has_withdrawn_time());
  EXPECT_EQ(records_.WithdrawConsent(adviser_, withdraw).status().code(),
            absl::StatusCode::kFailedPrecondition);

  v1::ListConsentsRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(records_.ListConsents(adviser_, list)->consents_size(), 0);
  list.set_include_withdrawn(true);
  EXPECT_EQ(records_.ListConsents(adviser_, list)->consents_size(), 1);
  EXPECT_EQ(Events(),
            (std::vector<std::string>{"ParticipantCreated", "ConsentGiven",
                                      "ConsentWithdrawn"}));
}

TEST_F(ParticipantRecordsTest, EqualityDataOnlyUnderConsentAndForItsPurpose) {
  v1::Participant p = CreateOk("r1");
  v1::UpdateEqualityDataRequest update;
  update.mutable_equality_data()->set_name(p.name() + "/equalityData");
  update.mutable_equality_data()->set_ethnicity("Prefer not to say");
  update.set_purpose(v1::EQUALITY_MONITORING);
  EXPECT_EQ(records_.UpdateEqualityData(monitoring_, update).status().code(),
            absl::StatusCode::kFailedPrecondition);

  v1::CreateConsentRequest give;
  give.set_parent(p.name());
  give.set_request_id("c1");
  give.mutable_consent()->set_purpose(v1::EQUALITY_MONITORING);
  give.mutable_consent()->add_data_categories(v1::EQUALITY);
  auto consent = records_.CreateConsent(adviser_, give);
  ASSERT_TRUE(consent.ok());
  ASSERT_TRUE(records_.UpdateEqualityData(monitoring_, update).ok());

  v1::GetEqualityDataRequest get;
  get.set_name(p.name() + "/equalityData");
  get.set_purpose(v1::PROGRAMME_DELIVERY);
  EXPECT_EQ(records_.GetEqualityData(monitoring_, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  get.set_purpose(v1::EQUALITY_MONITORING);
  EXPECT_EQ(records_.GetEqualityData(monitoring_, get)->ethnicity(),
            "Prefer not to say");

  v1::WithdrawConsentRequest withdraw;
  withdraw.set_name(consent->name());
  ASSERT_TRUE(records_.WithdrawConsent(adviser_, withdraw).ok());
  EXPECT_EQ(records_.GetEqualityData(monitoring_, get).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Events().back(), "EqualityDataErased");
  ASSERT_TRUE(records_
                  .CreateConsent(adviser_,
                                 [&] {
                                   give.set_request_id("c2");
                                   return give;
                                 }())
                  .ok());
  EXPECT_EQ(records_.GetEqualityData(monitoring_, get).status().code(),
            absl::StatusCode::kNotFound);  // erased, not hidden
}

TEST_F(ParticipantRecordsTest, StoreDownIsUnavailable) {
  v1::Participant p = CreateOk("r1");
  store_.SetUnavailable(true);
  v1::GetParticipantRequest get;
  get.set_name(p.name());
  EXPECT_EQ(records_.Get(adviser_, get).status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      records_.Create(adviser_, Request("r2", "JK654321B")).status().code(),
      absl::StatusCode::kUnavailable);
  EXPECT_FALSE(records_.Ready().ok());
  store_.SetUnavailable(false);
  EXPECT_TRUE(records_.Get(adviser_, get).ok());
  EXPECT_TRUE(records_.Ready().ok());
}

}  // namespace
}  // namespace employability::participants
