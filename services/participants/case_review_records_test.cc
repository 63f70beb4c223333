// Unit tests of case reviews, on the in-memory store.
#include "services/participants/case_review_records.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

using Code = absl::StatusCode;

class CaseReviewRecordsTest : public JourneyTest {
 protected:
  CaseReviewRecordsTest() : reviews_(files_) {}

  v1::CreateCaseReviewRequest Request(const v1::Participant& p,
                                      const std::string& request_id = "cr-1") {
    v1::CreateCaseReviewRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    v1::CaseReview* review = request.mutable_case_review();
    *review->mutable_review_date() = Day(2026, 2, 20);
    review->set_findings("Contact every fortnight; plan agreed late");
    review->set_decisions("Weekly contact until the plan is agreed");
    *review->mutable_next_review_date() = Day(2026, 4, 20);
    return request;
  }

  int ReviewCount(const v1::Participant& p) {
    v1::ListCaseReviewsRequest list;
    list.set_parent(p.name());
    auto response = reviews_.List(adviser_, list);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->case_reviews_size() : -1;
  }

  CaseReviewRecords reviews_;
};

TEST_F(CaseReviewRecordsTest, CreateRecordsTheReviewAndItsEvent) {
  v1::Participant p = Enrol();
  NewEvents();
  v1::CreateCaseReviewRequest request = Request(p);
  request.mutable_case_review()->set_spell(4);         // output only
  request.mutable_case_review()->set_name("made-up");  // output only
  absl::StatusOr<v1::CaseReview> review = reviews_.Create(adviser_, request);
  ASSERT_TRUE(review.ok()) << review.status();
  EXPECT_TRUE(absl::StartsWith(review->name(), p.name() + "/caseReviews/"));
  EXPECT_EQ(review->reviewer(), "adviser-1");  // the caller, by default
  EXPECT_EQ(review->spell(), 1);
  EXPECT_TRUE(review->has_create_time());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"CaseReviewed"});
  auto event = LastEvent<v1::CaseReviewed>();
  EXPECT_EQ(event.case_review(), review->name());
  EXPECT_EQ(event.reviewer(), "adviser-1");
  EXPECT_EQ(event.review_date().DebugString(), Day(2026, 2, 20).DebugString());
  EXPECT_EQ(event.next_review_date().DebugString(),
            Day(2026, 4, 20).DebugString());
  EXPECT_EQ(event.facts().participant(), p.name());
  // The review is activity of the spell, on its date.
  EXPECT_EQ(Reread(p).spells(0).last_activity_date().DebugString(),
            Day(2026, 2, 20).DebugString());

  v1::GetCaseReviewRequest get;
  get.set_name(review->name());
  auto got = reviews_.Get(adviser_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->DebugString(), review->DebugString());

  // A retry replays; the same id with another body is refused.
  auto again = reviews_.Create(adviser_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->DebugString(), review->DebugString());
  request.mutable_case_review()->set_findings("Something else");
  EXPECT_TRUE(Names(reviews_.Create(adviser_, request).status(),
                    Code::kInvalidArgument, "request_id"));
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(ReviewCount(p), 1);
}

TEST_F(CaseReviewRecordsTest, ANamedReviewerIsKept) {
  v1::Participant p = Enrol();
  v1::CreateCaseReviewRequest request = Request(p);
  request.mutable_case_review()->set_reviewer("team-leader-3");
  request.mutable_case_review()->clear_decisions();
  request.mutable_case_review()->clear_next_review_date();
  auto review = reviews_.Create(adviser_, request);
  ASSERT_TRUE(review.ok()) << review.status();
  EXPECT_EQ(review->reviewer(), "team-leader-3");
  EXPECT_FALSE(review->has_next_review_date());
  EXPECT_FALSE(LastEvent<v1::CaseReviewed>().has_next_review_date());
}

TEST_F(CaseReviewRecordsTest, BadInputNamesTheFieldAndStoresNothing) {
  v1::Participant p = Enrol();
  NewEvents();
  using R = v1::CreateCaseReviewRequest;
  auto review = [](R& r) { return r.mutable_case_review(); };
  struct Case {
    std::function<void(R&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](R& r) { r.clear_parent(); }, "parent"},
      {[](R& r) { r.set_parent("contracts/north-west"); }, "parent"},
      {[](R& r) { r.clear_request_id(); }, "request_id"},
      {[](R& r) { r.clear_case_review(); }, "case_review"},
      {[review](R& r) { review(r)->set_reviewer("Team Leader"); },
       "case_review.reviewer"},
      {[review](R& r) { review(r)->clear_review_date(); },
       "case_review.review_date"},
      {[review](R& r) { review(r)->mutable_review_date()->set_day(31); },
       "case_review.review_date.day"},
      {[review](R& r) { *review(r)->mutable_review_date() = Day(2026, 3, 3); },
       "case_review.review_date"},
      {[review](R& r) { review(r)->clear_findings(); }, "case_review.findings"},
      {[review](R& r) { review(r)->set_findings(std::string(4001, 'x')); },
       "case_review.findings"},
      {[review](R& r) { review(r)->set_findings("bell\a"); },
       "case_review.findings"},
      {[review](R& r) { review(r)->set_decisions(std::string(4001, 'x')); },
       "case_review.decisions"},
      {[review](R& r) {
         *review(r)->mutable_next_review_date() = Day(2026, 2, 20);
       },
       "case_review.next_review_date"},
      {[review](R& r) {
         *review(r)->mutable_next_review_date() = Day(2026, 1, 20);
       },
       "case_review.next_review_date"},
      {[review](R& r) { review(r)->mutable_next_review_date()->set_year(1); },
       "case_review.next_review_date.year"},
  };
  for (const Case& c : cases) {
    R request = Request(p);
    c.spoil(request);
    EXPECT_TRUE(Names(reviews_.Create(adviser_, request).status(),
                      Code::kInvalidArgument, c.field));
  }
  // Before the referral (5 January): a rule of the case.
  R early = Request(p);
  *early.mutable_case_review()->mutable_review_date() = Day(2026, 1, 4);
  EXPECT_TRUE(Names(reviews_.Create(adviser_, early).status(),
                    Code::kFailedPrecondition, "case_review.review_date"));
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(ReviewCount(p), 0);
}

TEST_F(CaseReviewRecordsTest, ListsOldestFirstPageByPage) {
  v1::Participant p = Enrol();
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    auto review = reviews_.Create(adviser_, Request(p, absl::StrCat("cr-", i)));
    ASSERT_TRUE(review.ok()) << review.status();
    created.push_back(review->name());
  }
  v1::ListCaseReviewsRequest list;
  list.set_parent(p.name());
  list.set_page_size(2);
  std::vector<std::string> listed;
  for (int page = 0; page < 5; ++page) {
    auto response = reviews_.List(adviser_, list);
    ASSERT_TRUE(response.ok()) << response.status();
    for (const v1::CaseReview& review : response->case_reviews()) {
      listed.push_back(review.name());
    }
    if (response->next_page_token().empty()) break;
    list.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(listed, created);
  list.set_page_size(-1);
  EXPECT_TRUE(Names(reviews_.List(adviser_, list).status(),
                    Code::kInvalidArgument, "page_size"));
  v1::GetCaseReviewRequest get;
  get.set_name(p.name() + "/caseReviews/missing");
  EXPECT_EQ(reviews_.Get(adviser_, get).status().code(), Code::kNotFound);
}

TEST_F(CaseReviewRecordsTest, OnlyTheEnrollingOrganisationSeesReviews) {
  v1::Participant p = Enrol();
  auto review = reviews_.Create(adviser_, Request(p));
  ASSERT_TRUE(review.ok());
  NewEvents();
  EXPECT_EQ(reviews_.Create(other_agency_, Request(p, "cr-2")).status().code(),
            Code::kPermissionDenied);
  v1::GetCaseReviewRequest get;
  get.set_name(review->name());
  EXPECT_EQ(reviews_.Get(other_agency_, get).status().code(),
            Code::kPermissionDenied);
  v1::ListCaseReviewsRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(reviews_.List(other_agency_, list).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(CaseReviewRecordsTest, NothingAfterExit) {
  v1::Participant p = EnrolAndStart();
  clock_.Advance(absl::Hours(24 * 10));
  Exit(p, Day(2026, 3, 5));
  NewEvents();
  v1::CreateCaseReviewRequest late = Request(p);
  *late.mutable_case_review()->mutable_review_date() = Day(2026, 3, 8);
  absl::Status status = reviews_.Create(adviser_, late).status();
  EXPECT_TRUE(
      Names(status, Code::kFailedPrecondition, "case_review.review_date"));
  EXPECT_TRUE(absl::StrContains(status.message(), "nothing-after-exit"))
      << status;
  // On the exit day itself, the review is still of the spell.
  *late.mutable_case_review()->mutable_review_date() = Day(2026, 3, 5);
  late.set_request_id("cr-2");
  EXPECT_TRUE(reviews_.Create(adviser_, late).ok());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"CaseReviewed"});
}

}  // namespace
}  // namespace employability::participants
