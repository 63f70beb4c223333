// Action plans and case reviews over real gRPC on loopback, against a real
// redis-server: every method of both services, each class of bad input
// (INVALID_ARGUMENT naming the field, nothing stored, no event), the events
// of a plan's life as read back from the stream, and the refusal of another
// organisation.
//
// Each test works in a contract of its own (a random id), so tests running
// in parallel against the one Redis never see each other's data.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "employability/participants/v1/action_plans.grpc.pb.h"
#include "employability/participants/v1/case_reviews.grpc.pb.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/harness/journey_suite.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using test_harness::CallContext;
using test_harness::DayFromToday;
using test_harness::Describe;
using test_harness::EventEnvelope;
using test_harness::MakeDate;
using test_harness::ShortTypes;
using test_harness::As;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::UniqueId;
using test_harness::Unpack;
namespace v1 = ::employability::participants::v1;
using Code = grpc::StatusCode;

v1::Goal ValidGoal() {
  v1::Goal goal;
  goal.set_description("Get to interviews on time");
  goal.set_employment_outcome_link(
      "The warehouse jobs she is applying for start at 6am");
  v1::SmartDetail* smart = goal.mutable_smart();
  smart->set_specific("Travel the route to the industrial estate twice");
  smart->set_measure("Two practice journeys recorded");
  smart->set_achievable_support("A bus pass from the flexible fund");
  smart->set_relevance("Early shifts are most of the local vacancies");
  *smart->mutable_target_date() = DayFromToday(60);
  smart->set_owner("participant");
  v1::Action* action = goal.add_actions();
  action->set_description("Apply for the bus pass");
  *action->mutable_due_date() = DayFromToday(14);
  action->set_owner("adviser-integration");
  return goal;
}

class ActionPlansIntegrationTest : public test_harness::JourneySuiteTest {
 protected:
  ActionPlansIntegrationTest() : JourneySuiteTest("plans") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(JourneySuiteTest::SetUp());
    plans_ = Stub<v1::ActionPlans>();
    reviews_ = Stub<v1::CaseReviews>();
  }

  static v1::CreateActionPlanRequest PlanRequest(const std::string& parent) {
    v1::CreateActionPlanRequest request;
    request.set_parent(parent);
    request.set_request_id(UniqueId("plan"));
    *request.mutable_action_plan()->add_goals() = ValidGoal();
    *request.mutable_action_plan()->mutable_next_review_date() =
        DayFromToday(28);
    return request;
  }

  grpc::Status CreatePlan(const v1::CreateActionPlanRequest& request,
                          v1::ActionPlan* out, const TestCaller& caller = {}) {
    return plans_->CreateActionPlan(CallContext(caller).get(), request, out);
  }

  v1::ActionPlan MustCreatePlan(const v1::Participant& p) {
    v1::ActionPlan plan;
    grpc::Status status = CreatePlan(PlanRequest(p.name()), &plan);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return plan;
  }

  grpc::Status GetPlan(const std::string& name, v1::ActionPlan* out,
                       const TestCaller& caller = {}) {
    v1::GetActionPlanRequest request;
    request.set_name(name);
    return plans_->GetActionPlan(CallContext(caller).get(), request, out);
  }

  grpc::Status ListPlans(const v1::ListActionPlansRequest& request,
                         v1::ListActionPlansResponse* out,
                         const TestCaller& caller = {}) {
    return plans_->ListActionPlans(CallContext(caller).get(), request, out);
  }

  grpc::Status UpdatePlan(const v1::UpdateActionPlanRequest& request,
                          v1::ActionPlan* out, const TestCaller& caller = {}) {
    return plans_->UpdateActionPlan(CallContext(caller).get(), request, out);
  }

  grpc::Status AgreePlan(const v1::AgreeActionPlanRequest& request,
                         v1::ActionPlan* out, const TestCaller& caller = {}) {
    return plans_->AgreeActionPlan(CallContext(caller).get(), request, out);
  }

  grpc::Status Agree(const std::string& name, v1::AgreementParty party,
                     v1::ActionPlan* out) {
    v1::AgreeActionPlanRequest request;
    request.set_name(name);
    request.set_party(party);
    return AgreePlan(request, out);
  }

  static v1::ReviewActionPlanRequest ReviewRequest(const std::string& name) {
    v1::ReviewActionPlanRequest request;
    request.set_name(name);
    *request.mutable_review()->mutable_review_date() = DayFromToday(0);
    request.mutable_review()->set_progress("Bus pass arrived; one journey");
    *request.mutable_review()->mutable_next_review_date() = DayFromToday(14);
    return request;
  }

  grpc::Status ReviewPlan(const v1::ReviewActionPlanRequest& request,
                          v1::ActionPlan* out, const TestCaller& caller = {}) {
    return plans_->ReviewActionPlan(CallContext(caller).get(), request, out);
  }

  static v1::CreateCaseReviewRequest CaseReviewRequest(
      const std::string& parent) {
    v1::CreateCaseReviewRequest request;
    request.set_parent(parent);
    request.set_request_id(UniqueId("review"));
    *request.mutable_case_review()->mutable_review_date() = DayFromToday(0);
    request.mutable_case_review()->set_findings("Plan agreed within a week");
    request.mutable_case_review()->set_decisions("Keep fortnightly contact");
    *request.mutable_case_review()->mutable_next_review_date() =
        DayFromToday(90);
    return request;
  }

  grpc::Status CreateCaseReview(const v1::CreateCaseReviewRequest& request,
                                v1::CaseReview* out,
                                const TestCaller& caller = {}) {
    // Reviews are recorded by quality managers (or team leaders).
    return reviews_->CreateCaseReview(
        CallContext(As(caller, type::v1::QUALITY_MANAGER)).get(), request, out);
  }

  grpc::Status GetCaseReview(const std::string& name, v1::CaseReview* out,
                             const TestCaller& caller = {}) {
    v1::GetCaseReviewRequest request;
    request.set_name(name);
    return reviews_->GetCaseReview(CallContext(caller).get(), request, out);
  }

  grpc::Status ListCaseReviews(const v1::ListCaseReviewsRequest& request,
                               v1::ListCaseReviewsResponse* out,
                               const TestCaller& caller = {}) {
    return reviews_->ListCaseReviews(CallContext(caller).get(), request, out);
  }

  int PlanCount(const std::string& parent) {
    v1::ListActionPlansRequest request;
    request.set_parent(parent);
    v1::ListActionPlansResponse response;
    grpc::Status status = ListPlans(request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response.action_plans_size();
  }

  int CaseReviewCount(const std::string& parent) {
    v1::ListCaseReviewsRequest request;
    request.set_parent(parent);
    v1::ListCaseReviewsResponse response;
    grpc::Status status = ListCaseReviews(request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response.case_reviews_size();
  }

  std::unique_ptr<v1::ActionPlans::Stub> plans_;
  std::unique_ptr<v1::CaseReviews::Stub> reviews_;
};

// ---- Action plans: a plan's life ---------------------------------------

TEST_F(ActionPlansIntegrationTest, APlansLifeFromDraftToReview) {
  const v1::Participant p = MustEnrol();
  ASSERT_EQ(p.status(), v1::REFERRED);

  // Draft: ids assigned, output-only fields ignored.
  v1::CreateActionPlanRequest create = PlanRequest(p.name());
  create.mutable_action_plan()->set_agreed(true);
  create.mutable_action_plan()->mutable_goals(0)->set_id("mine");
  v1::ActionPlan plan;
  grpc::Status status = CreatePlan(create, &plan);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(absl::StartsWith(plan.name(), p.name() + "/actionPlans/"));
  EXPECT_FALSE(plan.agreed());
  EXPECT_EQ(plan.spell(), 1);
  EXPECT_EQ(plan.etag(), "1");
  ASSERT_EQ(plan.goals_size(), 1);
  EXPECT_NE(plan.goals(0).id(), "mine");
  EXPECT_FALSE(plan.goals(0).actions(0).id().empty());
  EXPECT_EQ(plan.goals(0).actions(0).status(), v1::NOT_STARTED);

  // Retried: the same plan, nothing new.
  const size_t after_create = StreamLength();
  v1::ActionPlan replay;
  ASSERT_TRUE(CreatePlan(create, &replay).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(replay, plan));
  EXPECT_EQ(StreamLength(), after_create);
  create.mutable_action_plan()->mutable_goals(0)->set_description("Other");
  EXPECT_TRUE(StatusIs(CreatePlan(create, &replay), Code::INVALID_ARGUMENT,
                       "request_id"));

  v1::ActionPlan got;
  ASSERT_TRUE(GetPlan(plan.name(), &got).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got, plan));

  // Progress on an action, then the two agreements.
  v1::UpdateActionPlanRequest update;
  *update.mutable_action_plan() = plan;
  update.mutable_action_plan()
      ->mutable_goals(0)
      ->mutable_actions(0)
      ->set_status(v1::IN_PROGRESS);
  update.mutable_update_mask()->add_paths("goals");
  v1::ActionPlan updated;
  status = UpdatePlan(update, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.goals(0).actions(0).status(), v1::IN_PROGRESS);
  EXPECT_EQ(updated.goals(0).id(), plan.goals(0).id());
  EXPECT_EQ(updated.etag(), "2");

  v1::ActionPlan agreed;
  ASSERT_TRUE(Agree(plan.name(), v1::PARTICIPANT, &agreed).ok());
  EXPECT_FALSE(agreed.agreed());
  EXPECT_EQ(GetParticipant(p.name()).status(), v1::REFERRED);
  v1::AgreeActionPlanRequest adviser;
  adviser.set_name(plan.name());
  adviser.set_party(v1::ADVISER);
  adviser.set_etag(agreed.etag());
  status = AgreePlan(adviser, &agreed);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(agreed.agreed());
  EXPECT_TRUE(
      MessageDifferencer::Equals(agreed.agreed_date(), DayFromToday(0)));
  ASSERT_EQ(agreed.agreements_size(), 2);
  EXPECT_EQ(agreed.agreements(1).recorded_by(), TestCaller{}.user);

  // Agreed: the participant started today.
  const v1::Participant started = GetParticipant(p.name());
  EXPECT_EQ(started.status(), v1::STARTED);
  EXPECT_TRUE(MessageDifferencer::Equals(started.spells(0).start_date(),
                                         DayFromToday(0)));

  v1::ActionPlan reviewed;
  status = ReviewPlan(ReviewRequest(plan.name()), &reviewed);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(reviewed.reviews_size(), 1);
  EXPECT_EQ(reviewed.reviews(0).reviewer(), TestCaller{}.user);
  EXPECT_TRUE(MessageDifferencer::Equals(reviewed.next_review_date(),
                                         DayFromToday(14)));

  // The goals change: the agreement is withdrawn, the start stands.
  *update.mutable_action_plan() = reviewed;
  update.mutable_action_plan()->mutable_goals(0)->set_description(
      "Get to interviews and shifts on time");
  status = UpdatePlan(update, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_FALSE(updated.agreed());
  EXPECT_EQ(updated.agreements_size(), 0);
  EXPECT_EQ(updated.reviews_size(), 1);
  EXPECT_EQ(GetParticipant(p.name()).status(), v1::STARTED);

  // The plan's life, read back from the stream.
  const std::vector<EventEnvelope> events = EventsOf(plan.name());
  EXPECT_EQ(
      ShortTypes(events),
      (std::vector<std::string>{"ActionPlanCreated", "ActionPlanUpdated",
                                "ActionPlanUpdated", "ActionPlanAgreed",
                                "ActionPlanReviewed", "ActionPlanUpdated"}));
  ASSERT_EQ(events.size(), 6u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].aggregate_version(), static_cast<int64_t>(i + 1));
  }
  auto created = Unpack<v1::ActionPlanCreated>(events[0]);
  EXPECT_EQ(created.goal_count(), 1);
  EXPECT_EQ(created.action_count(), 1);
  EXPECT_EQ(created.facts().participant(), p.name());
  EXPECT_EQ(created.facts().contract(), contract_);
  auto agreed_event = Unpack<v1::ActionPlanAgreed>(events[3]);
  EXPECT_EQ(agreed_event.party(), v1::ADVISER);
  EXPECT_TRUE(agreed_event.first_in_spell());
  EXPECT_EQ(agreed_event.facts().status(), v1::STARTED);
  auto reviewed_event = Unpack<v1::ActionPlanReviewed>(events[4]);
  EXPECT_TRUE(MessageDifferencer::Equals(reviewed_event.review_date(),
                                         DayFromToday(0)));
  EXPECT_FALSE(Unpack<v1::ActionPlanUpdated>(events[1]).agreement_withdrawn());
  EXPECT_TRUE(Unpack<v1::ActionPlanUpdated>(events[5]).agreement_withdrawn());
  // The start is the participant's own event, once.
  int status_changes = 0;
  for (const EventEnvelope& event : EventsOf(p.name())) {
    if (event.type() ==
        test_harness::ParticipantsEventType("ParticipantStatusChanged")) {
      ++status_changes;
      EXPECT_EQ(Unpack<v1::ParticipantStatusChanged>(event).previous_status(),
                v1::REFERRED);
    }
  }
  EXPECT_EQ(status_changes, 1);
}

TEST_F(ActionPlansIntegrationTest, ListsPlansOldestFirstPageByPage) {
  const v1::Participant p = MustEnrol();
  std::vector<std::string> created;
  for (int i = 0; i < 3; ++i) created.push_back(MustCreatePlan(p).name());
  v1::ListActionPlansRequest request;
  request.set_parent(p.name());
  request.set_page_size(2);
  std::vector<std::string> listed;
  for (int page = 0; page < 3; ++page) {
    v1::ListActionPlansResponse response;
    grpc::Status status = ListPlans(request, &response);
    ASSERT_TRUE(status.ok()) << Describe(status);
    for (const v1::ActionPlan& plan : response.action_plans()) {
      listed.push_back(plan.name());
    }
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  EXPECT_EQ(listed, created);
  v1::ActionPlan missing;
  EXPECT_TRUE(StatusIs(GetPlan(p.name() + "/actionPlans/none", &missing),
                       Code::NOT_FOUND));
}

TEST_F(ActionPlansIntegrationTest, ReviewBeforeAgreementIsRefused) {
  const v1::Participant p = MustEnrol();
  const v1::ActionPlan plan = MustCreatePlan(p);
  const size_t events = StreamLength();
  v1::ActionPlan out;
  EXPECT_TRUE(StatusIs(ReviewPlan(ReviewRequest(plan.name()), &out),
                       Code::FAILED_PRECONDITION, "review"));
  EXPECT_EQ(StreamLength(), events);
}

// ---- Bad input: INVALID_ARGUMENT naming the field, nothing stored --------

// One bad call: what it spoils, and the field it must name.
template <typename Request>
struct BadCall {
  std::string label;
  std::function<void(Request&)> spoil;
  std::string field;
};

TEST_F(ActionPlansIntegrationTest, BadPlansAreRefusedNamingTheField) {
  const v1::Participant p = MustEnrol();
  const v1::ActionPlan plan = MustCreatePlan(p);
  using R = v1::CreateActionPlanRequest;
  auto goal = [](R& r) { return r.mutable_action_plan()->mutable_goals(0); };
  const std::string g = "action_plan.goals[0]";
  const std::vector<BadCall<R>> cases = {
      {"no parent", [](R& r) { r.clear_parent(); }, "parent"},
      {"no request id", [](R& r) { r.clear_request_id(); }, "request_id"},
      {"no plan", [](R& r) { r.clear_action_plan(); }, "action_plan"},
      {"no goals", [](R& r) { r.mutable_action_plan()->clear_goals(); },
       "action_plan.goals"},
      {"no outcome link",
       [goal](R& r) { goal(r)->clear_employment_outcome_link(); },
       g + ".employment_outcome_link"},
      {"no description", [goal](R& r) { goal(r)->clear_description(); },
       g + ".description"},
      {"no smart", [goal](R& r) { goal(r)->clear_smart(); }, g + ".smart"},
      {"smart too long",
       [goal](R& r) {
         goal(r)->mutable_smart()->set_relevance(std::string(1001, 'r'));
       },
       g + ".smart.relevance"},
      {"no target date",
       [goal](R& r) { goal(r)->mutable_smart()->clear_target_date(); },
       g + ".smart.target_date"},
      {"bad owner",
       [goal](R& r) { goal(r)->mutable_smart()->set_owner("Ms Smith"); },
       g + ".smart.owner"},
      {"bad action status",
       [goal](R& r) {
         goal(r)->mutable_actions(0)->set_status(
             static_cast<v1::ActionStatus>(42));
       },
       g + ".actions[0].status"},
      {"no due date",
       [goal](R& r) { goal(r)->mutable_actions(0)->clear_due_date(); },
       g + ".actions[0].due_date"},
      {"past next review",
       [](R& r) {
         *r.mutable_action_plan()->mutable_next_review_date() =
             DayFromToday(-1);
       },
       "action_plan.next_review_date"},
  };
  const size_t events = StreamLength();
  for (const BadCall<R>& bad : cases) {
    SCOPED_TRACE(bad.label);
    R request = PlanRequest(p.name());
    bad.spoil(request);
    v1::ActionPlan out;
    EXPECT_TRUE(
        StatusIs(CreatePlan(request, &out), Code::INVALID_ARGUMENT, bad.field));
  }
  EXPECT_EQ(StreamLength(), events);
  EXPECT_EQ(PlanCount(p.name()), 1);

  // A target before the referral is a rule of the case.
  R early = PlanRequest(p.name());
  *early.mutable_action_plan()
       ->mutable_goals(0)
       ->mutable_smart()
       ->mutable_target_date() = MakeDate(2023, 12, 1);
  v1::ActionPlan out;
  EXPECT_TRUE(StatusIs(CreatePlan(early, &out), Code::FAILED_PRECONDITION,
                       "action_plan.goals[0].smart.target_date"));

  // Updates, agreements and reviews: the same.
  using U = v1::UpdateActionPlanRequest;
  const std::vector<BadCall<U>> updates = {
      {"no name", [](U& r) { r.mutable_action_plan()->clear_name(); },
       "action_plan.name"},
      {"no mask", [](U& r) { r.clear_update_mask(); }, "update_mask"},
      {"output-only path",
       [](U& r) { r.mutable_update_mask()->add_paths("agreed"); },
       "update_mask"},
      {"goal without link",
       [](U& r) {
         r.mutable_action_plan()->mutable_goals(0)->set_employment_outcome_link(
             "");
       },
       "action_plan.goals[0].employment_outcome_link"},
  };
  for (const BadCall<U>& bad : updates) {
    SCOPED_TRACE(bad.label);
    U request;
    *request.mutable_action_plan() = plan;
    request.mutable_action_plan()->mutable_goals(0)->set_description("New");
    request.mutable_update_mask()->add_paths("goals");
    bad.spoil(request);
    EXPECT_TRUE(
        StatusIs(UpdatePlan(request, &out), Code::INVALID_ARGUMENT, bad.field));
  }
  v1::AgreeActionPlanRequest agree;
  agree.set_name(plan.name());
  EXPECT_TRUE(
      StatusIs(AgreePlan(agree, &out), Code::INVALID_ARGUMENT, "party"));
  using V = v1::ReviewActionPlanRequest;
  const std::vector<BadCall<V>> reviews = {
      {"no review", [](V& r) { r.clear_review(); }, "review"},
      {"future review",
       [](V& r) {
         *r.mutable_review()->mutable_review_date() = DayFromToday(1);
       },
       "review.review_date"},
      {"no progress", [](V& r) { r.mutable_review()->clear_progress(); },
       "review.progress"},
      {"next review not after",
       [](V& r) {
         *r.mutable_review()->mutable_next_review_date() = DayFromToday(0);
       },
       "review.next_review_date"},
  };
  for (const BadCall<V>& bad : reviews) {
    SCOPED_TRACE(bad.label);
    V request = ReviewRequest(plan.name());
    bad.spoil(request);
    EXPECT_TRUE(
        StatusIs(ReviewPlan(request, &out), Code::INVALID_ARGUMENT, bad.field));
  }
  EXPECT_EQ(StreamLength(), events);
  v1::ActionPlan unchanged;
  ASSERT_TRUE(GetPlan(plan.name(), &unchanged).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(unchanged, plan));
}

// ---- Case reviews -------------------------------------------------------

TEST_F(ActionPlansIntegrationTest, CaseReviewsAreRecordedListedAndEmitted) {
  const v1::Participant p = MustEnrol();
  const v1::CreateCaseReviewRequest request = CaseReviewRequest(p.name());
  v1::CaseReview review;
  grpc::Status status = CreateCaseReview(request, &review);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(absl::StartsWith(review.name(), p.name() + "/caseReviews/"));
  EXPECT_EQ(review.reviewer(), TestCaller{}.user);
  EXPECT_EQ(review.spell(), 1);
  EXPECT_TRUE(review.has_create_time());

  const size_t events = StreamLength();
  v1::CaseReview replay;
  ASSERT_TRUE(CreateCaseReview(request, &replay).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(replay, review));
  EXPECT_EQ(StreamLength(), events);

  v1::CaseReview got;
  ASSERT_TRUE(GetCaseReview(review.name(), &got).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(got, review));
  v1::CreateCaseReviewRequest second = CaseReviewRequest(p.name());
  second.mutable_case_review()->set_reviewer("quality-lead");
  ASSERT_TRUE(CreateCaseReview(second, &got).ok());
  v1::ListCaseReviewsRequest list;
  list.set_parent(p.name());
  v1::ListCaseReviewsResponse listed;
  ASSERT_TRUE(ListCaseReviews(list, &listed).ok());
  ASSERT_EQ(listed.case_reviews_size(), 2);
  EXPECT_EQ(listed.case_reviews(0).name(), review.name());
  EXPECT_EQ(listed.case_reviews(1).reviewer(), "quality-lead");

  const std::vector<EventEnvelope> of = EventsOf(review.name());
  ASSERT_EQ(ShortTypes(of), std::vector<std::string>{"CaseReviewed"});
  auto event = Unpack<v1::CaseReviewed>(of[0]);
  EXPECT_EQ(event.reviewer(), TestCaller{}.user);
  EXPECT_TRUE(
      MessageDifferencer::Equals(event.next_review_date(), DayFromToday(90)));
  EXPECT_EQ(event.facts().participant(), p.name());
  // The review is activity of the spell.
  EXPECT_TRUE(MessageDifferencer::Equals(
      GetParticipant(p.name()).spells(0).last_activity_date(),
      DayFromToday(0)));
}

TEST_F(ActionPlansIntegrationTest, BadCaseReviewsAreRefusedNamingTheField) {
  const v1::Participant p = MustEnrol();
  using R = v1::CreateCaseReviewRequest;
  auto review = [](R& r) { return r.mutable_case_review(); };
  const std::vector<BadCall<R>> cases = {
      {"bad parent", [](R& r) { r.set_parent("participants/x"); }, "parent"},
      {"no request id", [](R& r) { r.clear_request_id(); }, "request_id"},
      {"no review", [](R& r) { r.clear_case_review(); }, "case_review"},
      {"bad reviewer", [review](R& r) { review(r)->set_reviewer("Lead!"); },
       "case_review.reviewer"},
      {"no date", [review](R& r) { review(r)->clear_review_date(); },
       "case_review.review_date"},
      {"future date",
       [review](R& r) { *review(r)->mutable_review_date() = DayFromToday(1); },
       "case_review.review_date"},
      {"impossible date",
       [review](R& r) {
         *review(r)->mutable_review_date() = MakeDate(2025, 2, 29);
       },
       "case_review.review_date"},
      {"no findings", [review](R& r) { review(r)->clear_findings(); },
       "case_review.findings"},
      {"decisions too long",
       [review](R& r) { review(r)->set_decisions(std::string(4001, 'd')); },
       "case_review.decisions"},
      {"next review not after",
       [review](R& r) {
         *review(r)->mutable_next_review_date() = DayFromToday(-1);
       },
       "case_review.next_review_date"},
  };
  MustCreatePlan(p);  // the stream exists and is not trivially empty
  const size_t events = StreamLength();
  for (const BadCall<R>& bad : cases) {
    SCOPED_TRACE(bad.label);
    R request = CaseReviewRequest(p.name());
    bad.spoil(request);
    v1::CaseReview out;
    EXPECT_TRUE(StatusIs(CreateCaseReview(request, &out),
                         Code::INVALID_ARGUMENT, bad.field));
  }
  R early = CaseReviewRequest(p.name());
  *early.mutable_case_review()->mutable_review_date() = MakeDate(2024, 1, 14);
  v1::CaseReview out;
  EXPECT_TRUE(StatusIs(CreateCaseReview(early, &out), Code::FAILED_PRECONDITION,
                       "case_review.review_date"));
  EXPECT_EQ(StreamLength(), events);
  EXPECT_EQ(CaseReviewCount(p.name()), 0);
  EXPECT_TRUE(StatusIs(GetCaseReview(p.name() + "/caseReviews/none", &out),
                       Code::NOT_FOUND));
}

// ---- Another organisation -----------------------------------------------

TEST_F(ActionPlansIntegrationTest, AnotherOrganisationIsDeniedEverything) {
  const v1::Participant p = MustEnrol();
  const v1::ActionPlan plan = MustCreatePlan(p);
  v1::CaseReview review;
  ASSERT_TRUE(CreateCaseReview(CaseReviewRequest(p.name()), &review).ok());
  const size_t events = StreamLength();
  const TestCaller other{"org-other", "adviser-other"};
  const Code denied = Code::PERMISSION_DENIED;

  v1::ActionPlan out;
  EXPECT_TRUE(StatusIs(CreatePlan(PlanRequest(p.name()), &out, other), denied));
  EXPECT_TRUE(StatusIs(GetPlan(plan.name(), &out, other), denied));
  v1::ListActionPlansRequest list;
  list.set_parent(p.name());
  v1::ListActionPlansResponse listed;
  EXPECT_TRUE(StatusIs(ListPlans(list, &listed, other), denied));
  v1::UpdateActionPlanRequest update;
  *update.mutable_action_plan() = plan;
  update.mutable_update_mask()->add_paths("next_review_date");
  EXPECT_TRUE(StatusIs(UpdatePlan(update, &out, other), denied));
  v1::AgreeActionPlanRequest agree;
  agree.set_name(plan.name());
  agree.set_party(v1::ADVISER);
  EXPECT_TRUE(StatusIs(AgreePlan(agree, &out, other), denied));
  EXPECT_TRUE(
      StatusIs(ReviewPlan(ReviewRequest(plan.name()), &out, other), denied));

  v1::CaseReview review_out;
  EXPECT_TRUE(StatusIs(
      CreateCaseReview(CaseReviewRequest(p.name()), &review_out, other),
      denied));
  EXPECT_TRUE(
      StatusIs(GetCaseReview(review.name(), &review_out, other), denied));
  v1::ListCaseReviewsRequest reviews;
  reviews.set_parent(p.name());
  v1::ListCaseReviewsResponse reviews_out;
  EXPECT_TRUE(StatusIs(ListCaseReviews(reviews, &reviews_out, other), denied));
  EXPECT_EQ(StreamLength(), events);
}

}  // namespace
}  // namespace employability
