// Progression facts of a participant: jobs started and ended (self-employment
// included), in-work retention checks, earnings evidence, and the job
// outcomes the quality service judges and records back. A job start moves a
// STARTED participant IN_WORK; the end of their last current job moves them
// back; an outcome moves them to OUTCOME_ACHIEVED. A domain class: no gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_PROGRESSION_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_PROGRESSION_RECORDS_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/progression.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

inline constexpr int kMaxEmployerLength = 200;
inline constexpr int kMaxOccupationLength = 200;
inline constexpr double kMaxWeeklyHours = 100;
inline constexpr int64_t kMaxHourlyPayPence = 100000;        // £1,000
inline constexpr int64_t kMaxGrossEarningsPence = 10000000;  // £100,000

class ProgressionRecords {
 public:
  explicit ProgressionRecords(CaseFiles& files);

  absl::StatusOr<v1::Job> CreateJob(const auth::Caller& caller,
                                    const v1::CreateJobRequest& request);
  absl::StatusOr<v1::Job> GetJob(const auth::Caller& caller,
                                 const v1::GetJobRequest& request);
  absl::StatusOr<v1::ListJobsResponse> ListJobs(
      const auth::Caller& caller, const v1::ListJobsRequest& request);
  absl::StatusOr<v1::Job> EndJob(const auth::Caller& caller,
                                 const v1::EndJobRequest& request);
  absl::StatusOr<v1::Job> RecordRetentionCheck(
      const auth::Caller& caller,
      const v1::RecordRetentionCheckRequest& request);
  absl::StatusOr<v1::EarningsEvidence> CreateEarningsEvidence(
      const auth::Caller& caller,
      const v1::CreateEarningsEvidenceRequest& request);
  absl::StatusOr<v1::ListEarningsEvidenceResponse> ListEarningsEvidence(
      const auth::Caller& caller,
      const v1::ListEarningsEvidenceRequest& request);
  absl::StatusOr<v1::Participant> RecordJobOutcome(
      const auth::Caller& caller, const v1::RecordJobOutcomeRequest& request);

 private:
  // Moves an IN_WORK participant back to STARTED on `end` when no job of
  // the current spell other than `ended` is still current.
  absl::Status LeaveWorkIfNoJobLeft(CaseChange& change, const v1::Job& ended,
                                    absl::CivilDay end);
  // One attempt at recording an outcome: the participant as written (or as
  // it was, when the outcome was already achieved), or nullopt when another
  // write got in first.
  absl::StatusOr<std::optional<v1::Participant>> TryRecordOutcome(
      const auth::Caller& caller, const v1::RecordJobOutcomeRequest& request,
      const ItemName& job_name, absl::CivilDay outcome);

  CaseFiles& files_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_PROGRESSION_RECORDS_H_
