// Case reviews: a team leader or quality reviewer looks at a participant's
// case, records findings and decisions, and sets the next review. Also the
// date rules every review of a case shares (case reviews and reviews of an
// action plan). A domain class: no gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_CASE_REVIEW_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_CASE_REVIEW_RECORDS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/case_reviews.pb.h"
#include "employability/type/v1/date.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

inline constexpr int kMaxCaseReviewText = 4000;  // findings, decisions

// The dates of a review (`prefix` is its path in the request): review_date
// required and not after `today`; next_review_date, when given (not null),
// after it. INVALID_ARGUMENT naming the field; the review date otherwise.
absl::StatusOr<absl::CivilDay> CheckReviewDates(
    absl::string_view prefix, absl::CivilDay today,
    const type::v1::Date& review_date, const type::v1::Date* next_review_date);

class CaseReviewRecords {
 public:
  explicit CaseReviewRecords(CaseFiles& files);

  absl::StatusOr<v1::CaseReview> Create(
      const auth::Caller& caller, const v1::CreateCaseReviewRequest& request);
  absl::StatusOr<v1::CaseReview> Get(const auth::Caller& caller,
                                     const v1::GetCaseReviewRequest& request);
  absl::StatusOr<v1::ListCaseReviewsResponse> List(
      const auth::Caller& caller, const v1::ListCaseReviewsRequest& request);

 private:
  CaseFiles& files_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_CASE_REVIEW_RECORDS_H_
