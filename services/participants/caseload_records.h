// Caseloads: the participants assigned to an adviser in a contract, with
// counts by status and the contacts overdue under the contact standards, and
// the reassignment of one or many participants to another adviser (all or
// nothing). A domain class: no gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_CASELOAD_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_CASELOAD_RECORDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/caseloads.pb.h"
#include "employability/participants/v1/contacts.pb.h"
#include "services/participants/case_file.h"
#include "services/participants/contact_records.h"

namespace employability::participants {

// The caseload is read in pages of this many participants...
inline constexpr int kCaseloadScanPage = 500;
// ...and at most this many in one call.
inline constexpr int kMaxCaseloadScan = 5000;
// A reassignment names at most this many participants...
inline constexpr int kMaxReassignNamed = 500;
// ...or moves a whole caseload of at most this many.
inline constexpr int kMaxReassignCaseload = 2000;

class CaseloadRecords {
 public:
  CaseloadRecords(CaseFiles& files, v1::ContactStandards standards);

  absl::StatusOr<v1::Caseload> GetCaseload(
      const auth::Caller& caller, const v1::GetCaseloadRequest& request);
  // The overdue contacts of an adviser's caseload, most overdue first
  // (Contacts.ListOverdueParticipants).
  absl::StatusOr<v1::ListOverdueParticipantsResponse> ListOverdueParticipants(
      const auth::Caller& caller,
      const v1::ListOverdueParticipantsRequest& request);
  absl::StatusOr<v1::ReassignParticipantsResponse> ReassignParticipants(
      const auth::Caller& caller,
      const v1::ReassignParticipantsRequest& request);

 private:
  // The participants named in a reassignment, or the caseload moved.
  struct Selection {
    std::string contract;
    std::vector<std::string> named;  // participant ids, when named
    std::string from_adviser;        // otherwise
  };

  // The caseload as `caller` may see it, in index order: every participant
  // of the adviser that the caller reaches (CaseFiles::KeepReachable).
  // FAILED_PRECONDITION naming `field` (the adviser's) when it holds more
  // than `limit`.
  absl::StatusOr<std::vector<Case>> ScanCaseload(const auth::Caller& caller,
                                                 const std::string& contract,
                                                 const std::string& adviser,
                                                 absl::string_view field,
                                                 int limit);
  // The participant's contacts due under their programme's standard.
  ContactsDue Assess(const v1::Participant& participant,
                     absl::CivilDay today) const;
  // The participants named, read for a change: PERMISSION_DENIED naming
  // the first one missing or out of the caller's reach (the same refusal
  // for both; see CaseFiles::Unreachable).
  absl::StatusOr<std::vector<Case>> ReadNamed(
      const auth::Caller& caller, const std::string& contract,
      const std::vector<std::string>& ids);
  absl::StatusOr<std::vector<Case>> ReadSelection(const auth::Caller& caller,
                                                  const Selection& selection);
  // One attempt: true when committed (or nothing to write), false when
  // another write got in first.
  absl::StatusOr<bool> ReassignOnce(const auth::Caller& caller,
                                    const Selection& selection,
                                    const std::string& to_adviser,
                                    const std::vector<Case>& cases);

  CaseFiles& files_;
  const v1::ContactStandards standards_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_CASELOAD_RECORDS_H_
