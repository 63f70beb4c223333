// Barriers to work recorded against a participant, typed from the catalogue
// in data/barrier_types.textproto. A domain class: no gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_BARRIER_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_BARRIER_RECORDS_H_

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/barriers.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

inline constexpr int kMaxBarrierNotes = 2000;

class BarrierRecords {
 public:
  BarrierRecords(CaseFiles& files, v1::ListBarrierTypesResponse catalogue);

  const v1::ListBarrierTypesResponse& Types() const { return catalogue_; }
  absl::StatusOr<v1::Barrier> Create(const auth::Caller& caller,
                                     const v1::CreateBarrierRequest& request);
  absl::StatusOr<v1::Barrier> Get(const auth::Caller& caller,
                                  const v1::GetBarrierRequest& request);
  absl::StatusOr<v1::ListBarriersResponse> List(
      const auth::Caller& caller, const v1::ListBarriersRequest& request);
  absl::StatusOr<v1::Barrier> Update(const auth::Caller& caller,
                                     const v1::UpdateBarrierRequest& request);

 private:
  absl::Status CheckType(const std::string& code) const;
  bool IsSpecial(const std::string& code) const;
  // PERMISSION_DENIED unless the caller reaches the participant's HEALTH
  // data (CaseFiles::CheckReach) and the participant's consent covers it;
  // a refusal is recorded in the audit trail.
  absl::Status CheckSpecialAllowed(const auth::Caller& caller, const Case& c);
  // The same question for a list, which leaves special-category barriers
  // out rather than refusing, and records nothing: whether they are shown.
  absl::StatusOr<bool> SpecialShown(const auth::Caller& caller, const Case& c);

  CaseFiles& files_;
  const v1::ListBarrierTypesResponse catalogue_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_BARRIER_RECORDS_H_
