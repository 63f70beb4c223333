// Unit tests of subject access and erasure, on the in-memory store. Items of
// other areas are written straight into the case file, as those areas would
// store them, so that these tests depend only on the storage layout.
#include "services/participants/participant_data_records.h"

#include "services/participants/barrier_records.h"
#include "services/participants/catalogues.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

class ParticipantDataTest : public JourneyTest {
 protected:
  ParticipantDataTest()
      : barriers_(files_, *ParseBarrierTypes(BarrierTypesText())),
        data_(files_) {}

  // A participant with something of everything: consents (one withdrawn),
  // equality data, a barrier, a contact with notes, a job, and a group
  // session attended with another participant.
  v1::Participant Everything() {
    v1::Participant p = EnrolAndStart();
    other_ = Enrol("AB123456C");
    GiveConsent(p, v1::EQUALITY_MONITORING);
    const std::string withdrawn = GiveConsent(p, v1::EVALUATION);
    v1::WithdrawConsentRequest withdraw;
    withdraw.set_name(withdrawn);
    EXPECT_TRUE(participants_.WithdrawConsent(adviser_, withdraw).ok());
    v1::UpdateEqualityDataRequest equality;
    equality.mutable_equality_data()->set_name(p.name() + "/equalityData");
    equality.mutable_equality_data()->set_ethnicity("White British");
    equality.set_purpose(v1::EQUALITY_MONITORING);
    EXPECT_TRUE(
        participants_
            .UpdateEqualityData(ForEqualityMonitoring(adviser_), equality)
            .ok());

    v1::CreateBarrierRequest barrier;
    barrier.set_parent(p.name());
    barrier.set_request_id("barrier-1");
    barrier.mutable_barrier()->set_type("housing");
    barrier.mutable_barrier()->set_severity(v1::HIGH);
    *barrier.mutable_barrier()->mutable_identified_date() = Day(2026, 2, 1);
    barrier.mutable_barrier()->set_notes("Sofa-surfing at her sister's");
    EXPECT_TRUE(barriers_.Create(adviser_, barrier).ok());

    v1::Contact contact;
    *contact.mutable_contact_date() = Day(2026, 3, 2);
    contact.set_channel(v1::FACE_TO_FACE);
    contact.set_attendance(v1::ATTENDED);
    contact.set_notes("Talked about her divorce");
    PutItem(p, kContactItems, "contact-1", contact);
    v1::Job job;
    job.set_employer("Acme Logistics");
    job.set_weekly_hours(30);
    job.set_hourly_pay_pence(1250);
    PutItem(p, kJobItems, "job-1", job);
    v1::Job trading;  // a trading name is often the person's own
    trading.set_employer("A Khan Alterations");
    trading.set_employment_type(v1::SELF_EMPLOYED);
    PutItem(p, kJobItems, "job-2", trading);

    v1::GroupSession session;
    session.set_name("contracts/north-west/groupSessions/session-1");
    session.set_title("CV workshop");
    *session.mutable_session_date() = Day(2026, 3, 2);
    for (const v1::Participant* attendee : {&p, &other_}) {
      v1::Attendee* entry = session.add_attendees();
      entry->set_participant(attendee->name());
      entry->set_attendance(v1::ATTENDED);
      entry->set_rating(4);
      entry->set_comment(absl::StrCat("Comment of ", attendee->given_name()));
      storage::Batch index;
      index.IndexAdd(
          Keys().Index(kGroupSessionRecord, LastSegment(attendee->name())),
          "session-1");
      EXPECT_TRUE(store_.Commit(index).ok());
    }
    storage::Batch put;
    put.Put(Keys().Record(kGroupSessionRecord, "session-1"),
            session.SerializeAsString());
    EXPECT_TRUE(store_.Commit(put).ok());
    return Reread(p);
  }

  std::string GiveConsent(const v1::Participant& p,
                          v1::ConsentPurpose purpose) {
    v1::CreateConsentRequest request;
    request.set_parent(p.name());
    request.set_request_id(absl::StrCat("consent-", purpose));
    request.mutable_consent()->set_purpose(purpose);
    request.mutable_consent()->add_data_categories(v1::EQUALITY);
    auto consent = participants_.CreateConsent(adviser_, request);
    EXPECT_TRUE(consent.ok()) << consent.status();
    return consent.ok() ? consent->name() : "";
  }

  void PutItem(const v1::Participant& p, const ItemKind& kind,
               const std::string& id, google::protobuf::Message& item) {
    absl::StatusOr<Case> c = files_.Read(
        adviser_, *ParseParticipantName("name", p.name()), kind.category);
    ASSERT_TRUE(c.ok());
    item.GetReflection()->SetString(
        &item, item.GetDescriptor()->FindFieldByName("name"),
        ItemName{c->name, id}.str(kind));
    CaseChange change = files_.Begin(adviser_, *c);
    change.PutItem(kind, id, item, 0);
    ASSERT_TRUE(files_.Commit(change)->committed);
  }

  storage::KeySpace Keys() { return files_.Keys(kContract); }
  static std::string LastSegment(const std::string& name) {
    return name.substr(name.rfind('/') + 1);
  }

  absl::StatusOr<v1::ParticipantDataExport> Export(const v1::Participant& p,
                                                   const auth::Caller& caller) {
    v1::ExportParticipantDataRequest request;
    request.set_name(p.name());
    return data_.Export(caller, request);
  }

  absl::StatusOr<v1::Participant> Erase(
      const v1::Participant& p, const auth::Caller& caller,
      const std::string& reference = "DSR-1") {
    v1::EraseParticipantRequest request;
    request.set_name(p.name());
    request.set_erasure_reference(reference);
    return data_.Erase(caller, request);
  }

  BarrierRecords barriers_;
  ParticipantDataRecords data_;
  v1::Participant other_;
};

TEST_F(ParticipantDataTest, ExportHoldsEverythingAboutTheParticipantOnly) {
  v1::Participant p = Everything();
  auto exported = Export(p, adviser_);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(exported->exported_by(), "adviser-1");
  EXPECT_EQ(exported->participant().given_name(), "Amira");
  EXPECT_EQ(exported->consents_size(), 2);  // the withdrawn one too
  EXPECT_EQ(exported->equality_data().ethnicity(), "White British");
  ASSERT_EQ(exported->barriers_size(), 1);
  EXPECT_EQ(exported->barriers(0).notes(), "Sofa-surfing at her sister's");
  ASSERT_EQ(exported->contacts_size(), 1);
  EXPECT_EQ(exported->jobs_size(), 2);
  ASSERT_EQ(exported->group_sessions_size(), 1);
  // Their own entry in the session, never the other attendee's.
  EXPECT_EQ(exported->group_sessions(0).attendee().participant(), p.name());
  EXPECT_EQ(exported->group_sessions(0).title(), "CV workshop");

  EXPECT_EQ(Export(p, other_agency_).status().code(),
            absl::StatusCode::kPermissionDenied);
  v1::ExportParticipantDataRequest bad;
  bad.set_name("participants/x");
  EXPECT_EQ(data_.Export(adviser_, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ParticipantDataTest, ErasureWipesPersonalFieldsInEveryRecord) {
  v1::Participant p = Everything();
  NewEvents();
  auto erased = Erase(p, adviser_);
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_TRUE(erased->erased());
  EXPECT_EQ(erased->erasure_reference(), "DSR-1");
  EXPECT_TRUE(erased->given_name().empty());
  EXPECT_TRUE(erased->family_name().empty());
  EXPECT_TRUE(erased->national_insurance_number().empty());
  EXPECT_FALSE(erased->has_date_of_birth());
  EXPECT_TRUE(erased->contact().email().empty());
  EXPECT_TRUE(erased->contact().postcode().empty());
  // Aggregates keep what they count.
  EXPECT_EQ(erased->contact().outward_code(), "M1");
  EXPECT_EQ(erased->status(), v1::STARTED);
  EXPECT_TRUE(erased->spells(0).has_start_date());
  EXPECT_EQ(erased->team(), "team-a");
  // The equality data goes and the live consent is withdrawn with it.
  EXPECT_EQ(NewEvents(),
            (std::vector<std::string>{"EqualityDataErased", "ConsentWithdrawn",
                                      "ParticipantErased"}));
  auto event = LastEvent<v1::ParticipantErased>();
  EXPECT_EQ(event.participant(), p.name());
  EXPECT_EQ(event.erasure_reference(), "DSR-1");

  auto exported = Export(p, adviser_);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_FALSE(exported->has_equality_data());
  ASSERT_EQ(exported->consents_size(), 2);
  for (const v1::Consent& consent : exported->consents()) {
    EXPECT_FALSE(consent.live()) << consent.name();
  }
  EXPECT_TRUE(exported->barriers(0).notes().empty());
  EXPECT_EQ(exported->barriers(0).type(), "housing");
  EXPECT_TRUE(exported->contacts(0).notes().empty());
  EXPECT_EQ(exported->contacts(0).attendance(), v1::ATTENDED);
  EXPECT_EQ(exported->jobs(0).hourly_pay_pence(), 1250);
  EXPECT_EQ(exported->jobs(0).employer(), "Acme Logistics");
  EXPECT_TRUE(exported->jobs(1).employer().empty());
  EXPECT_TRUE(exported->group_sessions(0).attendee().comment().empty());
  EXPECT_EQ(exported->group_sessions(0).attendee().rating(), 4);
  // The other attendee's words are theirs and stay.
  auto session = store_.Get(Keys().Record(kGroupSessionRecord, "session-1"));
  v1::GroupSession stored;
  ASSERT_TRUE(stored.ParseFromString((*session)->value));
  EXPECT_EQ(stored.attendees(1).comment(), "Comment of Amira");
  EXPECT_EQ(stored.attendees(1).participant(), other_.name());
}

TEST_F(ParticipantDataTest, AnErasedRecordIsReadOnlyAndErasureIdempotent) {
  v1::Participant p = Everything();
  ASSERT_TRUE(Erase(p, adviser_).ok());
  NewEvents();
  auto again = Erase(p, adviser_, "DSR-2");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->erasure_reference(), "DSR-1");
  EXPECT_TRUE(NewEvents().empty());

  v1::CreateBarrierRequest barrier;
  barrier.set_parent(p.name());
  barrier.set_request_id("barrier-2");
  barrier.mutable_barrier()->set_type("debt");
  barrier.mutable_barrier()->set_severity(v1::LOW);
  *barrier.mutable_barrier()->mutable_identified_date() = Day(2026, 3, 1);
  EXPECT_EQ(barriers_.Create(adviser_, barrier).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::UpdateParticipantRequest update;
  update.mutable_participant()->set_name(p.name());
  update.mutable_participant()->set_given_name("Back");
  update.mutable_update_mask()->add_paths("given_name");
  EXPECT_EQ(participants_.Update(adviser_, update).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Nothing is processed on their strength any more: no new consent, and
  // no equality data.
  v1::CreateConsentRequest consent;
  consent.set_parent(p.name());
  consent.set_request_id("consent-after");
  consent.mutable_consent()->set_purpose(v1::EQUALITY_MONITORING);
  consent.mutable_consent()->add_data_categories(v1::EQUALITY);
  EXPECT_EQ(participants_.CreateConsent(adviser_, consent).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::UpdateEqualityDataRequest equality;
  equality.mutable_equality_data()->set_name(p.name() + "/equalityData");
  equality.mutable_equality_data()->set_sex("Female");
  equality.set_purpose(v1::EQUALITY_MONITORING);
  EXPECT_EQ(participants_
                .UpdateEqualityData(ForEqualityMonitoring(adviser_), equality)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  // The duplicate check no longer holds the person: they can enrol afresh.
  v1::Participant fresh = Enrol("JK123456A", "enrol-again");
  EXPECT_NE(fresh.name(), p.name());
}

TEST_F(ParticipantDataTest, AParticipantWithAJourneyCannotBeDeleted) {
  v1::Participant p = Everything();
  v1::DeleteParticipantRequest request;
  request.set_name(p.name());
  EXPECT_EQ(participants_.Delete(adviser_, request).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Reread(p).name(), p.name());
  v1::Participant mistake = Enrol("CE123456D");
  request.set_name(mistake.name());
  EXPECT_TRUE(participants_.Delete(adviser_, request).ok());
}

TEST_F(ParticipantDataTest, OnlyTheHoldingOrganisationMayErase) {
  v1::Participant p = Everything();
  NewEvents();
  EXPECT_EQ(Erase(p, other_agency_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Reread(p).given_name(), "Amira");
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(ParticipantDataTest, BadInputNamesTheField) {
  v1::Participant p = Enrol();
  for (const std::string& reference :
       std::vector<std::string>{"", "has space", std::string(65, 'x')}) {
    absl::Status status = Erase(p, adviser_, reference).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(status.message()).rfind("erasure_reference", 0), 0u)
        << status;
  }
  v1::EraseParticipantRequest request;
  request.set_erasure_reference("DSR-1");
  EXPECT_EQ(std::string(data_.Erase(adviser_, request).status().message())
                .rfind("name", 0),
            0u);
  EXPECT_FALSE(Reread(p).erased());
}

}  // namespace
}  // namespace employability::participants
