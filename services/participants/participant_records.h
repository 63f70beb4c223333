// The participant records of one suite: participants, their programme
// spells, consents and equality-monitoring data. A domain class: it knows
// storage, clock and ids (all passed in) and nothing of gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_RECORDS_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/events/event_log.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/participants/v1/participants.pb.h"
#include "services/participants/case_file.h"
#include "services/participants/participant_rules.h"

namespace employability::participants {

class ParticipantRecords {
 public:
  explicit ParticipantRecords(CaseFiles& files);

  absl::StatusOr<v1::Participant> Create(
      const auth::Caller& caller, const v1::CreateParticipantRequest& request);
  absl::StatusOr<v1::Participant> Get(const auth::Caller& caller,
                                      const v1::GetParticipantRequest& request);
  absl::StatusOr<v1::ListParticipantsResponse> List(
      const auth::Caller& caller, const v1::ListParticipantsRequest& request);
  absl::StatusOr<v1::Participant> Update(
      const auth::Caller& caller, const v1::UpdateParticipantRequest& request);
  absl::Status Delete(const auth::Caller& caller,
                      const v1::DeleteParticipantRequest& request);

  absl::StatusOr<v1::Consent> CreateConsent(
      const auth::Caller& caller, const v1::CreateConsentRequest& request);
  absl::StatusOr<v1::Consent> WithdrawConsent(
      const auth::Caller& caller, const v1::WithdrawConsentRequest& request);
  absl::StatusOr<v1::ListConsentsResponse> ListConsents(
      const auth::Caller& caller, const v1::ListConsentsRequest& request);

  absl::StatusOr<v1::EqualityData> UpdateEqualityData(
      const auth::Caller& caller, const v1::UpdateEqualityDataRequest& request);
  absl::StatusOr<v1::EqualityData> GetEqualityData(
      const auth::Caller& caller, const v1::GetEqualityDataRequest& request);

  // Ends the current spell with a reason (EXITED, or WITHDRAWN when the
  // participant never started).
  absl::StatusOr<v1::Participant> Exit(
      const auth::Caller& caller, const v1::ExitParticipantRequest& request);

  // OK while the store answers: the service's readiness.
  absl::Status Ready() { return store_.Ping(); }

 private:
  // A participant as read, with what an optimistic write must check.
  struct Loaded {
    v1::Participant participant;
    int64_t version = 0;
    v1::ListConsentsResponse consents;        // when asked for
    int64_t consents_version = 0;             // 0: none stored yet
    std::optional<storage::Record> equality;  // when asked for
  };
  enum class With { kParticipant, kConsents, kEverything };

  // The participant for a call touching `category` of it (see
  // CaseFiles::CheckReach), with what `with` asks for.
  absl::StatusOr<Loaded> Load(const auth::Caller& caller,
                              const ParticipantName& name, With with,
                              v1::DataCategory category);
  absl::StatusOr<v1::Participant> CreateOnce(
      const auth::Caller& caller, const v1::CreateParticipantRequest& request,
      const std::string& contract, v1::Participant participant);
  absl::StatusOr<std::optional<v1::Participant>> UpdateOnce(
      const auth::Caller& caller, const v1::UpdateParticipantRequest& request,
      const ParticipantName& name);
  absl::Status CheckMayShareWith(const auth::Caller& caller,
                                 const v1::Participant& participant,
                                 const v1::Consent& consent) const;
  absl::StatusOr<std::optional<v1::Consent>> CreateConsentOnce(
      const auth::Caller& caller, const v1::CreateConsentRequest& request,
      const ParticipantName& name, const v1::Consent& consent);
  absl::StatusOr<std::optional<v1::Consent>> WithdrawConsentOnce(
      const auth::Caller& caller, const ParticipantName& name,
      const std::string& consent_name);
  absl::StatusOr<v1::ListParticipantsResponse> ListFrom(
      const auth::Caller& caller, const std::string& index,
      const std::string& after, int page_size,
      const v1::ListParticipantsRequest& request, const std::string& contract,
      const std::string& filter_digest);

  absl::Status CheckNoJourney(const ParticipantName& name);
  absl::Status RemoveGrants(storage::Batch& batch, const ParticipantName& name,
                            const std::optional<storage::Record>& grants);
  storage::KeySpace Keys(const std::string& contract) const;
  void AppendEvent(storage::Batch& batch, const auth::Caller& caller,
                   const v1::Participant& participant, int64_t version,
                   const google::protobuf::Message& payload);
  absl::CivilDay Today() const { return files_.Today(); }

  CaseFiles& files_;
  storage::Store& store_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_RECORDS_H_
