// A participant's data-protection rights over what the participants service
// holds: subject access (everything about them, as one document) and erasure
// (personal fields wiped in every record, aggregates kept). A domain class:
// no gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_DATA_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_DATA_RECORDS_H_

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/participant_data.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

// What erasure leaves of each record: identity, contact details, equality
// data and free text go; statuses, dates, counts, hours and pay stay.
void ErasePersonalFields(v1::Participant& participant);
void ErasePersonalFields(v1::Barrier& barrier);
void ErasePersonalFields(v1::ActionPlan& plan);
void ErasePersonalFields(v1::Contact& contact);
void ErasePersonalFields(v1::CaseReview& review);
void ErasePersonalFields(v1::Job& job);
void ErasePersonalFields(v1::EarningsEvidence& evidence);
// Only the named participant's own entry in a group session.
void ErasePersonalFields(const std::string& participant,
                         v1::GroupSession& session);

class ParticipantDataRecords {
 public:
  explicit ParticipantDataRecords(CaseFiles& files) : files_(files) {}

  absl::StatusOr<v1::ParticipantDataExport> Export(
      const auth::Caller& caller,
      const v1::ExportParticipantDataRequest& request);
  absl::StatusOr<v1::Participant> Erase(
      const auth::Caller& caller, const v1::EraseParticipantRequest& request);

 private:
  struct Held;  // everything stored about one participant, with versions
  absl::StatusOr<Held> ReadEverything(const Case& c);
  // The export of everything `held` about `c`, made for `caller`.
  absl::StatusOr<v1::ParticipantDataExport> ExportOf(const auth::Caller& caller,
                                                     const Case& c,
                                                     const Held& held);
  absl::Status WithdrawConsents(CaseChange& change, const Held& held,
                                absl::Time now);
  absl::StatusOr<bool> EraseOnce(const auth::Caller& caller, const Case& c,
                                 const std::string& reference);

  CaseFiles& files_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_DATA_RECORDS_H_
