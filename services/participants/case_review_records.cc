#include "services/participants/case_review_records.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"
#include "employability/participants/v1/participant_events.pb.h"

namespace employability::participants {

using validation::ToCivilDay;

absl::StatusOr<absl::CivilDay> CheckReviewDates(
    absl::string_view prefix, absl::CivilDay today,
    const type::v1::Date& review_date, const type::v1::Date* next_review_date) {
  const std::string field = FieldPath(prefix, "review_date");
  ASSIGN_OR_RETURN(absl::CivilDay day, ToCivilDay(field, review_date));
  RETURN_IF_ERROR(validation::CheckNotAfter(field, day, today, "today"));
  if (next_review_date != nullptr) {
    const std::string next_field = FieldPath(prefix, "next_review_date");
    ASSIGN_OR_RETURN(absl::CivilDay next,
                     ToCivilDay(next_field, *next_review_date));
    if (next <= day)
      return InvalidField(next_field, "must be after review_date");
  }
  return day;
}

namespace {

const type::v1::Date* NextReviewOf(const v1::CaseReview& review) {
  return review.has_next_review_date() ? &review.next_review_date() : nullptr;
}

// The caller's fields of a review, checked (its dates apart: see
// CheckReviewDates); output-only fields dropped.
absl::StatusOr<v1::CaseReview> DraftOf(const auth::Caller& caller,
                                       const v1::CaseReview& from) {
  v1::CaseReview review;
  if (from.reviewer().empty()) {
    review.set_reviewer(caller.user);
  } else {
    RETURN_IF_ERROR(CheckResourceId("case_review.reviewer", from.reviewer()));
    review.set_reviewer(from.reviewer());
  }
  *review.mutable_review_date() = from.review_date();
  if (from.has_next_review_date())
    *review.mutable_next_review_date() = from.next_review_date();
  RETURN_IF_ERROR(CheckText("case_review.findings", from.findings(),
                            kMaxCaseReviewText, /*required=*/true));
  RETURN_IF_ERROR(CheckText("case_review.decisions", from.decisions(),
                            kMaxCaseReviewText, /*required=*/false));
  review.set_findings(from.findings());
  review.set_decisions(from.decisions());
  return review;
}

v1::CaseReviewed ReviewedEvent(const CaseChange& change,
                               const v1::CaseReview& review) {
  v1::CaseReviewed event;
  *event.mutable_facts() = FactsOf(change.participant());
  event.set_case_review(review.name());
  event.set_reviewer(review.reviewer());
  *event.mutable_review_date() = review.review_date();
  if (review.has_next_review_date())
    *event.mutable_next_review_date() = review.next_review_date();
  return event;
}

}  // namespace

CaseReviewRecords::CaseReviewRecords(CaseFiles& files) : files_(files) {}

absl::StatusOr<v1::CaseReview> CaseReviewRecords::Create(
    const auth::Caller& caller, const v1::CreateCaseReviewRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_case_review()) return RequiredField("case_review");
  const v1::CaseReview& from = request.case_review();
  ASSIGN_OR_RETURN(const absl::CivilDay review_date,
                   CheckReviewDates("case_review", files_.Today(),
                                    from.review_date(), NextReviewOf(from)));
  ASSIGN_OR_RETURN(const v1::CaseReview draft, DraftOf(caller, from));
  return files_.CreateItem<v1::CaseReview>(
      caller, name, kCaseReviewItems, request, request.request_id(),
      [&](CaseChange& change,
          const std::string& item_name) -> absl::StatusOr<v1::CaseReview> {
        const v1::ProgrammeSpell& spell = change.read().spell();
        RETURN_IF_ERROR(CheckNotBeforeReferral(spell, "case_review.review_date",
                                               review_date));
        RETURN_IF_ERROR(
            change.NoteActivity("case_review.review_date", review_date));
        v1::CaseReview review = draft;
        review.set_name(item_name);
        review.set_spell(spell.number());
        *review.mutable_create_time() = ToProtoTimestamp(files_.Now());
        change.Event(item_name, 1, ReviewedEvent(change, review));
        return review;
      });
}

absl::StatusOr<v1::CaseReview> CaseReviewRecords::Get(
    const auth::Caller& caller, const v1::GetCaseReviewRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kCaseReviewItems));
  return files_.GetItem<v1::CaseReview>(caller, name, kCaseReviewItems);
}

absl::StatusOr<v1::ListCaseReviewsResponse> CaseReviewRecords::List(
    const auth::Caller& caller, const v1::ListCaseReviewsRequest& request) {
  return ListItemPage<v1::CaseReview, v1::ListCaseReviewsResponse>(
      files_, caller, request, kCaseReviewItems,
      &v1::ListCaseReviewsResponse::mutable_case_reviews);
}

}  // namespace employability::participants
