// The fixture of the participants service's unit tests: an in-memory store,
// a fake clock on Monday 2 March 2026 (10:00 UTC), the case files, and
// helpers to enrol and start a participant and to read the events emitted;
// Names, the check that a refusal names its field; and Staff, a caller as
// the call gate admits one.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_JOURNEY_TEST_FIXTURE_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_JOURNEY_TEST_FIXTURE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/auth/caller.h"
#include "common/events/event_log.h"
#include "common/storage/memory_store.h"
#include "common/time/clock.h"
#include "common/validation/dates.h"
#include "gtest/gtest.h"
#include "services/participants/case_file.h"
#include "services/participants/participant_records.h"

namespace employability::participants {

// A member of staff as the call gate hands them to the domain: role, team,
// and the scope the access policy gives the role for the method called.
// The tests' callers are advisers of team-a reaching their organisation's
// records (ORGANISATION), as the policy has it for casework.
inline auth::Caller Staff(std::string organisation, std::string user,
                          auth::v1::Scope scope = auth::v1::ORGANISATION,
                          type::v1::StaffRole role = type::v1::ADVISER,
                          std::string team = "team-a") {
  auth::Caller caller(std::move(organisation), std::move(user), role,
                      std::move(team));
  caller.scope = scope;
  return caller;
}

// `caller` declaring the EQUALITY_MONITORING purpose, as equality data
// demands of every caller.
inline auth::Caller ForEqualityMonitoring(auth::Caller caller) {
  caller.purpose = kEqualityPurpose;
  return caller;
}

// A suite service calling on its own behalf (no user, no organisation).
inline auth::Caller Service(std::string service) {
  auth::Caller caller;
  caller.service = std::move(service);
  return caller;
}

// Success when `status` has `code` and a message that names `field` first,
// as the service words a refusal: "<field>: <problem>" or "<field> is
// required".
inline testing::AssertionResult Names(const absl::Status& status,
                                      absl::StatusCode code,
                                      const std::string& field) {
  if (status.code() == code &&
      (absl::StartsWith(status.message(), absl::StrCat(field, ":")) ||
       absl::StartsWith(status.message(),
                        absl::StrCat(field, " is required")))) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << status << " should be " << absl::StatusCodeToString(code)
         << " naming " << field;
}

// Every event on `stream` in `store`, oldest first; a test failure for an
// entry that is not an envelope.
inline std::vector<events::v1::EventEnvelope> StreamEnvelopes(
    storage::Store& store, const std::string& stream) {
  auto entries = store.StreamRead(stream, "", 10000);
  EXPECT_TRUE(entries.ok()) << entries.status();
  std::vector<events::v1::EventEnvelope> envelopes;
  if (!entries.ok()) return envelopes;
  for (const storage::StreamEntry& entry : *entries) {
    auto envelope = events::ParseEnvelope(entry.payload);
    EXPECT_TRUE(envelope.ok()) << envelope.status();
    if (envelope.ok()) envelopes.push_back(*envelope);
  }
  return envelopes;
}

// The short type names ("ContactRecorded") of `envelopes[from..]`.
inline std::vector<std::string> ShortTypes(
    const std::vector<events::v1::EventEnvelope>& envelopes, size_t from = 0) {
  std::vector<std::string> types;
  for (size_t i = from; i < envelopes.size(); ++i) {
    const std::string& type = envelopes[i].type();
    types.push_back(type.substr(type.rfind('.') + 1));
  }
  return types;
}

class JourneyTest : public testing::Test {
 protected:
  static constexpr char kContract[] = "north-west";

  JourneyTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0),
                               absl::UTCTimeZone())),
        store_(clock_),
        files_(store_, clock_, ids_, key_hasher_),
        participants_(files_) {}

  static type::v1::Date Day(int year, int month, int day) {
    return validation::ToDate(absl::CivilDay(year, month, day));
  }

  // A participant of `caller`'s organisation, referred on 5 January 2026,
  // assigned to adviser-1.
  v1::Participant Enrol(const std::string& nino = "JK123456A",
                        const std::string& request_id = "") {
    v1::CreateParticipantRequest request;
    request.set_parent(absl::StrCat("contracts/", kContract));
    request.set_request_id(request_id.empty() ? absl::StrCat("enrol-", nino)
                                              : request_id);
    v1::Participant* p = request.mutable_participant();
    p->set_programme("restart");
    p->set_adviser("adviser-1");
    p->set_team("team-a");
    p->set_referral_source(v1::JOBCENTRE_PLUS);
    *p->mutable_referral_date() = Day(2026, 1, 5);
    p->set_given_name("Amira");
    p->set_family_name("Khan");
    *p->mutable_date_of_birth() = Day(1990, 5, 17);
    p->set_national_insurance_number(nino);
    p->mutable_contact()->set_postcode("M1 1AE");
    p->mutable_contact()->set_email("amira@example.org");
    absl::StatusOr<v1::Participant> created =
        participants_.Create(adviser_, request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : v1::Participant();
  }

  // As Enrol, then STARTED today (2 March 2026).
  v1::Participant EnrolAndStart(const std::string& nino = "JK123456A") {
    v1::Participant p = Enrol(nino);
    v1::UpdateParticipantRequest request;
    *request.mutable_participant() = p;
    request.mutable_participant()->set_status(v1::STARTED);
    request.mutable_update_mask()->add_paths("status");
    absl::StatusOr<v1::Participant> started =
        participants_.Update(adviser_, request);
    EXPECT_TRUE(started.ok()) << started.status();
    return started.ok() ? *started : p;
  }

  // Exits the participant on `exit_date`.
  v1::Participant Exit(const v1::Participant& p, type::v1::Date exit_date) {
    v1::ExitParticipantRequest request;
    request.set_name(p.name());
    request.set_reason(v1::MOVED_OUT_OF_AREA);
    *request.mutable_exit_date() = exit_date;
    absl::StatusOr<v1::Participant> exited =
        participants_.Exit(adviser_, request);
    EXPECT_TRUE(exited.ok()) << exited.status();
    return exited.ok() ? *exited : p;
  }

  v1::Participant Reread(const v1::Participant& p) {
    v1::GetParticipantRequest request;
    request.set_name(p.name());
    absl::StatusOr<v1::Participant> got = participants_.Get(adviser_, request);
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? *got : p;
  }

  // Every event on the contract's stream, oldest first.
  std::vector<events::v1::EventEnvelope> Envelopes() {
    return StreamEnvelopes(store_, files_.Keys(kContract).Events());
  }

  // The short type names ("ContactRecorded") of the events emitted since
  // the last call.
  std::vector<std::string> NewEvents() {
    std::vector<events::v1::EventEnvelope> all = Envelopes();
    std::vector<std::string> types = ShortTypes(all, seen_events_);
    seen_events_ = all.size();
    return types;
  }

  // The payload of the last event, unpacked.
  template <typename Payload>
  Payload LastEvent() {
    std::vector<events::v1::EventEnvelope> all = Envelopes();
    Payload payload;
    EXPECT_FALSE(all.empty());
    if (!all.empty()) {
      EXPECT_TRUE(all.back().payload().UnpackTo(&payload));
    }
    return payload;
  }

  FakeClock clock_;
  SequentialIdSource ids_{"id"};
  storage::MemoryStore store_;
  storage::KeyHasher key_hasher_{"test-secret"};
  CaseFiles files_;
  ParticipantRecords participants_;
  auth::Caller adviser_ = Staff("prime-north", "adviser-1");
  auth::Caller other_agency_ = Staff("partner-east", "adviser-9");
  size_t seen_events_ = 0;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_JOURNEY_TEST_FIXTURE_H_
