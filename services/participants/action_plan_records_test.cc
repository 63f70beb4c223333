// Unit tests of action plans, on the in-memory store.
#include "services/participants/action_plan_records.h"

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/participants/journey_test_fixture.h"

namespace employability::participants {
namespace {

using Code = absl::StatusCode;

class ActionPlanRecordsTest : public JourneyTest {
 protected:
  ActionPlanRecordsTest() : plans_(files_) {}

  static v1::Goal MakeGoal(const std::string& what, int actions) {
    v1::Goal goal;
    goal.set_description(what);
    goal.set_employment_outcome_link(
        "Confidence on the phone is needed for the call-centre roles she "
        "wants");
    v1::SmartDetail* smart = goal.mutable_smart();
    smart->set_specific("Make three calls to employers a week");
    smart->set_measure("Calls logged in the diary");
    smart->set_achievable_support("Practice calls with the adviser first");
    smart->set_relevance("She wants customer service work");
    *smart->mutable_target_date() = Day(2026, 5, 1);
    smart->set_owner("participant");
    for (int i = 0; i < actions; ++i) {
      v1::Action* action = goal.add_actions();
      action->set_description(absl::StrCat("Step ", i + 1));
      *action->mutable_due_date() = Day(2026, 3, 20 + i);
      action->set_owner(i % 2 == 0 ? "participant" : "adviser-1");
    }
    return goal;
  }

  v1::CreateActionPlanRequest Request(
      const v1::Participant& p, const std::string& request_id = "plan-1") {
    v1::CreateActionPlanRequest request;
    request.set_parent(p.name());
    request.set_request_id(request_id);
    *request.mutable_action_plan()->add_goals() = MakeGoal("Phone skills", 2);
    *request.mutable_action_plan()->add_goals() = MakeGoal("Childcare", 1);
    return request;
  }

  v1::ActionPlan MustCreate(const v1::Participant& p,
                            const std::string& request_id = "plan-1") {
    absl::StatusOr<v1::ActionPlan> plan =
        plans_.Create(adviser_, Request(p, request_id));
    EXPECT_TRUE(plan.ok()) << plan.status();
    return plan.value_or(v1::ActionPlan());
  }

  absl::StatusOr<v1::ActionPlan> Agree(const v1::ActionPlan& plan,
                                       v1::AgreementParty party,
                                       const auth::Caller* caller = nullptr) {
    v1::AgreeActionPlanRequest request;
    request.set_name(plan.name());
    request.set_party(party);
    return plans_.Agree(caller != nullptr ? *caller : adviser_, request);
  }

  // Both parties agree: the participant first, then the adviser.
  v1::ActionPlan MustAgree(const v1::ActionPlan& plan) {
    EXPECT_TRUE(Agree(plan, v1::PARTICIPANT).ok());
    absl::StatusOr<v1::ActionPlan> agreed = Agree(plan, v1::ADVISER);
    EXPECT_TRUE(agreed.ok()) << agreed.status();
    EXPECT_TRUE(agreed.ok() && agreed->agreed());
    return agreed.value_or(plan);
  }

  absl::StatusOr<v1::ActionPlan> UpdateGoals(const v1::ActionPlan& plan) {
    v1::UpdateActionPlanRequest request;
    *request.mutable_action_plan() = plan;
    request.mutable_update_mask()->add_paths("goals");
    return plans_.Update(adviser_, request);
  }

  v1::ReviewActionPlanRequest ReviewRequest(const v1::ActionPlan& plan) {
    v1::ReviewActionPlanRequest request;
    request.set_name(plan.name());
    *request.mutable_review()->mutable_review_date() = Day(2026, 3, 2);
    request.mutable_review()->set_progress("Two calls made; a third booked");
    request.mutable_review()->set_changes("Add a mock interview");
    *request.mutable_review()->mutable_next_review_date() = Day(2026, 4, 1);
    return request;
  }

  int PlanCount(const v1::Participant& p) {
    v1::ListActionPlansRequest list;
    list.set_parent(p.name());
    absl::StatusOr<v1::ListActionPlansResponse> response =
        plans_.List(adviser_, list);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->action_plans_size() : -1;
  }

  ActionPlanRecords plans_;
};

TEST_F(ActionPlanRecordsTest, CreateRecordsThePlanAndItsEvent) {
  v1::Participant p = Enrol();
  NewEvents();
  v1::CreateActionPlanRequest request = Request(p);
  // Output-only fields from the caller are ignored.
  v1::ActionPlan* input = request.mutable_action_plan();
  input->set_name("contracts/x/participants/y/actionPlans/z");
  input->set_agreed(true);
  input->add_agreements()->set_party(v1::ADVISER);
  input->add_reviews()->set_progress("Made up");
  input->set_spell(7);
  input->mutable_goals(0)->set_id("caller-chosen");
  absl::StatusOr<v1::ActionPlan> plan = plans_.Create(adviser_, request);
  ASSERT_TRUE(plan.ok()) << plan.status();

  EXPECT_TRUE(absl::StartsWith(plan->name(), p.name() + "/actionPlans/"));
  EXPECT_EQ(plan->etag(), "1");
  EXPECT_EQ(plan->spell(), 1);
  EXPECT_FALSE(plan->agreed());
  EXPECT_EQ(plan->agreements_size(), 0);
  EXPECT_EQ(plan->reviews_size(), 0);
  EXPECT_TRUE(plan->has_create_time());
  ASSERT_EQ(plan->goals_size(), 2);
  std::set<std::string> ids;
  for (const v1::Goal& goal : plan->goals()) {
    ids.insert(goal.id());
    for (const v1::Action& action : goal.actions()) {
      ids.insert(action.id());
      EXPECT_EQ(action.status(), v1::NOT_STARTED);
    }
  }
  EXPECT_EQ(ids.size(), 5u);  // two goals, three actions, all distinct
  EXPECT_EQ(ids.count(""), 0u);
  EXPECT_EQ(ids.count("caller-chosen"), 0u);

  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanCreated"});
  auto event = LastEvent<v1::ActionPlanCreated>();
  EXPECT_EQ(event.action_plan(), plan->name());
  EXPECT_EQ(event.goal_count(), 2);
  EXPECT_EQ(event.action_count(), 3);
  EXPECT_EQ(event.facts().participant(), p.name());
  // Drafting the plan is activity of the spell, today.
  EXPECT_EQ(Reread(p).spells(0).last_activity_date().day(), 2);
  EXPECT_EQ(Reread(p).spells(0).last_activity_date().month(), 3);

  v1::GetActionPlanRequest get;
  get.set_name(plan->name());
  absl::StatusOr<v1::ActionPlan> got = plans_.Get(adviser_, get);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->DebugString(), plan->DebugString());
}

TEST_F(ActionPlanRecordsTest, CreateIsIdempotentOnRequestId) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustCreate(p);
  NewEvents();
  absl::StatusOr<v1::ActionPlan> again = plans_.Create(adviser_, Request(p));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->DebugString(), plan.DebugString());
  v1::CreateActionPlanRequest other = Request(p);
  other.mutable_action_plan()->mutable_goals(0)->set_description("Other");
  EXPECT_TRUE(Names(plans_.Create(adviser_, other).status(),
                    Code::kInvalidArgument, "request_id"));
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(PlanCount(p), 1);
}

TEST_F(ActionPlanRecordsTest, GoalWithoutEmploymentOutcomeLinkIsRefused) {
  v1::Participant p = Enrol();
  NewEvents();
  for (const std::string& link : {std::string(), std::string("   ")}) {
    v1::CreateActionPlanRequest request = Request(p);
    request.mutable_action_plan()
        ->mutable_goals(1)
        ->set_employment_outcome_link(link);
    absl::Status status = plans_.Create(adviser_, request).status();
    EXPECT_TRUE(Names(status, Code::kInvalidArgument,
                      "action_plan.goals[1].employment_outcome_link"));
    EXPECT_TRUE(absl::StrContains(status.message(), "employment"));
  }
  EXPECT_TRUE(NewEvents().empty());
  EXPECT_EQ(PlanCount(p), 0);
}

TEST_F(ActionPlanRecordsTest, BadInputNamesTheFieldAndStoresNothing) {
  v1::Participant p = Enrol();
  NewEvents();
  using R = v1::CreateActionPlanRequest;
  auto goal = [](R& r) { return r.mutable_action_plan()->mutable_goals(0); };
  auto smart = [goal](R& r) { return goal(r)->mutable_smart(); };
  auto action = [goal](R& r) { return goal(r)->mutable_actions(1); };
  struct Case {
    std::function<void(R&)> spoil;
    std::string field;
  };
  const std::string g0 = "action_plan.goals[0]";
  const std::vector<Case> cases = {
      {[](R& r) { r.set_parent("contracts/x"); }, "parent"},
      {[](R& r) { r.clear_request_id(); }, "request_id"},
      {[](R& r) { r.set_request_id("not valid!"); }, "request_id"},
      {[](R& r) { r.clear_action_plan(); }, "action_plan"},
      {[](R& r) { r.mutable_action_plan()->clear_goals(); },
       "action_plan.goals"},
      {[](R& r) {
         for (int i = 0; i < 19; ++i)
           *r.mutable_action_plan()->add_goals() = MakeGoal("More", 0);
       },
       "action_plan.goals"},
      {[goal](R& r) { goal(r)->clear_description(); }, g0 + ".description"},
      {[goal](R& r) { goal(r)->set_description(std::string(501, 'x')); },
       g0 + ".description"},
      {[goal](R& r) {
         goal(r)->set_employment_outcome_link(std::string(501, 'x'));
       },
       g0 + ".employment_outcome_link"},
      {[goal](R& r) { goal(r)->clear_smart(); }, g0 + ".smart"},
      {[smart](R& r) { smart(r)->clear_specific(); }, g0 + ".smart.specific"},
      {[smart](R& r) { smart(r)->set_measure(std::string(1001, 'x')); },
       g0 + ".smart.measure"},
      {[smart](R& r) { smart(r)->clear_achievable_support(); },
       g0 + ".smart.achievable_support"},
      {[smart](R& r) { smart(r)->set_relevance("line\nbreak"); },
       g0 + ".smart.relevance"},
      {[smart](R& r) { smart(r)->clear_target_date(); },
       g0 + ".smart.target_date"},
      {[smart](R& r) {
         smart(r)->mutable_target_date()->set_month(2);
         smart(r)->mutable_target_date()->set_day(30);
       },
       g0 + ".smart.target_date.day"},
      {[smart](R& r) { smart(r)->clear_owner(); }, g0 + ".smart.owner"},
      {[smart](R& r) { smart(r)->set_owner("The Participant"); },
       g0 + ".smart.owner"},
      {[goal](R& r) {
         for (int i = 0; i < 49; ++i)
           *goal(r)->add_actions() = goal(r)->actions(0);
       },
       g0 + ".actions"},
      {[action](R& r) { action(r)->clear_description(); },
       g0 + ".actions[1].description"},
      {[action](R& r) { action(r)->set_description(std::string(501, 'x')); },
       g0 + ".actions[1].description"},
      {[action](R& r) {
         action(r)->set_status(static_cast<v1::ActionStatus>(9));
       },
       g0 + ".actions[1].status"},
      {[action](R& r) { action(r)->clear_due_date(); },
       g0 + ".actions[1].due_date"},
      {[action](R& r) { action(r)->mutable_due_date()->set_month(13); },
       g0 + ".actions[1].due_date.month"},
      {[action](R& r) { action(r)->clear_owner(); }, g0 + ".actions[1].owner"},
      {[](R& r) {
         *r.mutable_action_plan()->mutable_next_review_date() = Day(2026, 3, 1);
       },
       "action_plan.next_review_date"},
      {[](R& r) {
         r.mutable_action_plan()->mutable_next_review_date()->set_day(32);
       },
       "action_plan.next_review_date.year"},  // unset: the first part checked
  };
  for (const Case& c : cases) {
    v1::CreateActionPlanRequest request = Request(p);
    c.spoil(request);
    EXPECT_TRUE(Names(plans_.Create(adviser_, request).status(),
                      Code::kInvalidArgument, c.field))
        << request.ShortDebugString();
  }
  // Twenty goals of fifty actions each is the most a plan holds.
  v1::CreateActionPlanRequest largest = Request(p, "largest");
  largest.mutable_action_plan()->clear_goals();
  for (int i = 0; i < kMaxGoals; ++i) {
    *largest.mutable_action_plan()->add_goals() =
        MakeGoal("Goal", kMaxActionsPerGoal);
  }
  EXPECT_TRUE(plans_.Create(adviser_, largest).ok());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanCreated"});
  EXPECT_EQ(PlanCount(p), 1);
}

TEST_F(ActionPlanRecordsTest, TargetBeforeTheReferralIsARuleOfTheCase) {
  v1::Participant p = Enrol();  // referred 5 January 2026
  NewEvents();
  v1::CreateActionPlanRequest request = Request(p);
  *request.mutable_action_plan()
       ->mutable_goals(1)
       ->mutable_smart()
       ->mutable_target_date() = Day(2026, 1, 4);
  EXPECT_TRUE(Names(plans_.Create(adviser_, request).status(),
                    Code::kFailedPrecondition,
                    "action_plan.goals[1].smart.target_date"));
  EXPECT_TRUE(NewEvents().empty());
  // The referral date itself is fine.
  *request.mutable_action_plan()
       ->mutable_goals(1)
       ->mutable_smart()
       ->mutable_target_date() = Day(2026, 1, 5);
  request.set_request_id("plan-2");
  EXPECT_TRUE(plans_.Create(adviser_, request).ok());
}

TEST_F(ActionPlanRecordsTest, ListsOldestFirstPageByPage) {
  v1::Participant p = Enrol();
  std::vector<std::string> created;
  for (int i = 0; i < 5; ++i) {
    created.push_back(MustCreate(p, absl::StrCat("plan-", i)).name());
  }
  v1::ListActionPlansRequest list;
  list.set_parent(p.name());
  list.set_page_size(2);
  std::vector<std::string> listed;
  for (int page = 0; page < 5; ++page) {
    auto response = plans_.List(adviser_, list);
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_LE(response->action_plans_size(), 2);
    for (const v1::ActionPlan& plan : response->action_plans()) {
      listed.push_back(plan.name());
      EXPECT_EQ(plan.etag(), "1");
    }
    if (response->next_page_token().empty()) break;
    list.set_page_token(response->next_page_token());
  }
  EXPECT_EQ(listed, created);
  list.set_page_token("garbage");
  EXPECT_TRUE(Names(plans_.List(adviser_, list).status(),
                    Code::kInvalidArgument, "page_token"));
  list.clear_page_token();
  list.set_page_size(501);
  EXPECT_TRUE(Names(plans_.List(adviser_, list).status(),
                    Code::kInvalidArgument, "page_size"));
  v1::GetActionPlanRequest get;
  get.set_name(p.name() + "/actionPlans/nothing-here");
  EXPECT_EQ(plans_.Get(adviser_, get).status().code(), Code::kNotFound);
  get.set_name(p.name() + "/barriers/x");
  EXPECT_TRUE(Names(plans_.Get(adviser_, get).status(), Code::kInvalidArgument,
                    "name"));
}

TEST_F(ActionPlanRecordsTest,
       AgreementOfBothPartiesStartsAReferredParticipant) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustCreate(p);
  NewEvents();

  absl::StatusOr<v1::ActionPlan> half = Agree(plan, v1::PARTICIPANT);
  ASSERT_TRUE(half.ok()) << half.status();
  EXPECT_FALSE(half->agreed());
  ASSERT_EQ(half->agreements_size(), 1);
  EXPECT_EQ(half->agreements(0).party(), v1::PARTICIPANT);
  EXPECT_EQ(half->agreements(0).recorded_by(), "adviser-1");
  EXPECT_TRUE(half->agreements(0).has_agree_time());
  EXPECT_EQ(half->etag(), "2");
  EXPECT_EQ(Reread(p).status(), v1::REFERRED);

  // The same party again changes nothing.
  absl::StatusOr<v1::ActionPlan> again = Agree(plan, v1::PARTICIPANT);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->DebugString(), half->DebugString());

  absl::StatusOr<v1::ActionPlan> agreed = Agree(plan, v1::ADVISER);
  ASSERT_TRUE(agreed.ok()) << agreed.status();
  EXPECT_TRUE(agreed->agreed());
  EXPECT_EQ(agreed->agreements_size(), 2);
  EXPECT_EQ(agreed->agreed_date().DebugString(), Day(2026, 3, 2).DebugString());
  EXPECT_EQ(agreed->etag(), "3");

  EXPECT_EQ(NewEvents(),
            (std::vector<std::string>{"ActionPlanUpdated", "ActionPlanAgreed",
                                      "ParticipantStatusChanged"}));
  v1::Participant started = Reread(p);
  EXPECT_EQ(started.status(), v1::STARTED);
  EXPECT_EQ(started.spells(0).start_date().DebugString(),
            Day(2026, 3, 2).DebugString());
  // The agreement event carries the facts after the start.
  std::vector<events::v1::EventEnvelope> envelopes = Envelopes();
  v1::ActionPlanAgreed event;
  ASSERT_TRUE(envelopes[envelopes.size() - 2].payload().UnpackTo(&event));
  EXPECT_EQ(event.action_plan(), plan.name());
  EXPECT_EQ(event.party(), v1::ADVISER);
  EXPECT_TRUE(event.first_in_spell());
  EXPECT_EQ(event.agreed_date().DebugString(), Day(2026, 3, 2).DebugString());
  EXPECT_EQ(event.facts().status(), v1::STARTED);
  EXPECT_EQ(event.facts().start_date().DebugString(),
            Day(2026, 3, 2).DebugString());

  // Either party again: nothing.
  ASSERT_TRUE(Agree(plan, v1::ADVISER).ok());
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(ActionPlanRecordsTest, ASecondAgreedPlanIsNotFirstInSpell) {
  v1::Participant p = Enrol();
  v1::ActionPlan first = MustCreate(p, "plan-1");
  v1::ActionPlan second = MustCreate(p, "plan-2");
  MustAgree(first);
  NewEvents();
  MustAgree(second);
  // No second start.
  EXPECT_EQ(NewEvents(), (std::vector<std::string>{"ActionPlanUpdated",
                                                   "ActionPlanAgreed"}));
  EXPECT_FALSE(LastEvent<v1::ActionPlanAgreed>().first_in_spell());
  EXPECT_EQ(Reread(p).status(), v1::STARTED);
}

TEST_F(ActionPlanRecordsTest, FirstPlanOfAStartedParticipantStartsNothing) {
  v1::Participant p = EnrolAndStart();
  v1::ActionPlan plan = MustCreate(p);
  NewEvents();
  MustAgree(plan);
  EXPECT_EQ(NewEvents(), (std::vector<std::string>{"ActionPlanUpdated",
                                                   "ActionPlanAgreed"}));
  // first_in_spell says the agreement started the participant: not here.
  EXPECT_FALSE(LastEvent<v1::ActionPlanAgreed>().first_in_spell());
}

TEST_F(ActionPlanRecordsTest, AgreeNeedsAParty) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustCreate(p);
  NewEvents();
  EXPECT_TRUE(Names(Agree(plan, v1::AGREEMENT_PARTY_UNSPECIFIED).status(),
                    Code::kInvalidArgument, "party"));
  EXPECT_TRUE(Names(Agree(plan, static_cast<v1::AgreementParty>(7)).status(),
                    Code::kInvalidArgument, "party"));
  v1::AgreeActionPlanRequest stale;
  stale.set_name(plan.name());
  stale.set_party(v1::ADVISER);
  stale.set_etag("9");
  EXPECT_TRUE(
      Names(plans_.Agree(adviser_, stale).status(), Code::kAborted, "etag"));
  stale.set_etag("1");
  EXPECT_TRUE(plans_.Agree(adviser_, stale).ok());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanUpdated"});
}

TEST_F(ActionPlanRecordsTest, ChangedGoalsWithdrawTheAgreement) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustAgree(MustCreate(p));
  NewEvents();

  // Resent as read: nothing changes, the agreement stands.
  absl::StatusOr<v1::ActionPlan> same = UpdateGoals(plan);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_TRUE(same->agreed());
  EXPECT_EQ(same->etag(), plan.etag());
  // Without the ids, the same goals are the same plan too.
  v1::ActionPlan no_ids = plan;
  for (v1::Goal& goal : *no_ids.mutable_goals()) {
    goal.clear_id();
    for (v1::Action& action : *goal.mutable_actions()) action.clear_id();
  }
  ASSERT_TRUE(UpdateGoals(no_ids).ok());
  EXPECT_TRUE(NewEvents().empty());

  // Progress on an action is not a new plan.
  v1::ActionPlan progress = plan;
  progress.mutable_goals(0)->mutable_actions(0)->set_status(v1::DONE);
  absl::StatusOr<v1::ActionPlan> progressed = UpdateGoals(progress);
  ASSERT_TRUE(progressed.ok()) << progressed.status();
  EXPECT_TRUE(progressed->agreed());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanUpdated"});
  auto updated = LastEvent<v1::ActionPlanUpdated>();
  EXPECT_EQ(updated.actions_done(), 1);
  EXPECT_FALSE(updated.agreement_withdrawn());

  // A changed goal and a new one: the parties must agree again. Ids that
  // match are kept; the new goal gets its own.
  v1::ActionPlan changed = *progressed;
  changed.mutable_goals(1)->mutable_smart()->set_measure("Calls logged daily");
  v1::Goal added = MakeGoal("Travel to interviews", 1);
  added.set_id(changed.goals(0).id());  // a duplicate id is not kept twice
  *changed.add_goals() = added;
  absl::StatusOr<v1::ActionPlan> withdrawn = UpdateGoals(changed);
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.status();
  EXPECT_FALSE(withdrawn->agreed());
  EXPECT_EQ(withdrawn->agreements_size(), 0);
  EXPECT_FALSE(withdrawn->has_agreed_date());
  ASSERT_EQ(withdrawn->goals_size(), 3);
  EXPECT_EQ(withdrawn->goals(0).id(), plan.goals(0).id());
  EXPECT_EQ(withdrawn->goals(1).id(), plan.goals(1).id());
  EXPECT_EQ(withdrawn->goals(0).actions(1).id(), plan.goals(0).actions(1).id());
  EXPECT_FALSE(withdrawn->goals(2).id().empty());
  EXPECT_NE(withdrawn->goals(2).id(), plan.goals(0).id());
  EXPECT_NE(withdrawn->goals(2).actions(0).id(), "");
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanUpdated"});
  updated = LastEvent<v1::ActionPlanUpdated>();
  EXPECT_TRUE(updated.agreement_withdrawn());
  EXPECT_EQ(updated.goal_count(), 3);
  EXPECT_EQ(updated.action_count(), 4);
  // The participant's start stands.
  EXPECT_EQ(Reread(p).status(), v1::STARTED);

  // Agreed again: the participant has started, so no second start.
  MustAgree(*withdrawn);
  EXPECT_EQ(NewEvents(), (std::vector<std::string>{"ActionPlanUpdated",
                                                   "ActionPlanAgreed"}));
}

TEST_F(ActionPlanRecordsTest, UpdateRules) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustCreate(p);
  NewEvents();
  v1::UpdateActionPlanRequest request;
  request.mutable_action_plan()->set_name(plan.name());
  *request.mutable_action_plan()->mutable_next_review_date() = Day(2026, 4, 1);

  EXPECT_TRUE(Names(plans_.Update(adviser_, request).status(),
                    Code::kInvalidArgument, "update_mask"));
  request.mutable_update_mask()->add_paths("agreed");
  EXPECT_TRUE(Names(plans_.Update(adviser_, request).status(),
                    Code::kInvalidArgument, "update_mask"));
  request.mutable_update_mask()->set_paths(0, "next_review_date");
  request.mutable_action_plan()->set_etag("7");
  EXPECT_TRUE(Names(plans_.Update(adviser_, request).status(), Code::kAborted,
                    "action_plan.etag"));
  request.mutable_action_plan()->set_etag("1");
  absl::StatusOr<v1::ActionPlan> updated = plans_.Update(adviser_, request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->next_review_date().DebugString(),
            Day(2026, 4, 1).DebugString());
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanUpdated"});
  // The same again: nothing written.
  request.mutable_action_plan()->set_etag("2");
  ASSERT_TRUE(plans_.Update(adviser_, request).ok());
  EXPECT_TRUE(NewEvents().empty());
  // Not for a day gone; bad goals named; nothing written.
  *request.mutable_action_plan()->mutable_next_review_date() = Day(2026, 3, 1);
  EXPECT_TRUE(Names(plans_.Update(adviser_, request).status(),
                    Code::kInvalidArgument, "action_plan.next_review_date"));
  v1::ActionPlan bad = *updated;
  bad.mutable_goals(0)->clear_employment_outcome_link();
  EXPECT_TRUE(Names(UpdateGoals(bad).status(), Code::kInvalidArgument,
                    "action_plan.goals[0].employment_outcome_link"));
  bad = *updated;
  *bad.mutable_goals(0)->mutable_smart()->mutable_target_date() =
      Day(2025, 12, 31);
  EXPECT_TRUE(Names(UpdateGoals(bad).status(), Code::kFailedPrecondition,
                    "action_plan.goals[0].smart.target_date"));
  bad.clear_goals();
  EXPECT_TRUE(Names(UpdateGoals(bad).status(), Code::kInvalidArgument,
                    "action_plan.goals"));
  bad.set_name("plans/x");
  EXPECT_TRUE(Names(UpdateGoals(bad).status(), Code::kInvalidArgument,
                    "action_plan.name"));
  EXPECT_TRUE(NewEvents().empty());
  // Clearing the next review.
  request.mutable_action_plan()->clear_next_review_date();
  request.mutable_action_plan()->clear_etag();
  updated = plans_.Update(adviser_, request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_FALSE(updated->has_next_review_date());
}

TEST_F(ActionPlanRecordsTest, ReviewsOnlyAnAgreedPlan) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustCreate(p);
  NewEvents();
  EXPECT_TRUE(Names(plans_.Review(adviser_, ReviewRequest(plan)).status(),
                    Code::kFailedPrecondition, "review"));
  ASSERT_TRUE(Agree(plan, v1::PARTICIPANT).ok());
  EXPECT_TRUE(Names(plans_.Review(adviser_, ReviewRequest(plan)).status(),
                    Code::kFailedPrecondition, "review"));
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanUpdated"});
  MustAgree(plan);  // agreed 2 March
  NewEvents();

  using R = v1::ReviewActionPlanRequest;
  struct Case {
    std::function<void(R&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](R& r) { r.clear_name(); }, "name"},
      {[](R& r) { r.clear_review(); }, "review"},
      {[](R& r) { r.mutable_review()->clear_review_date(); },
       "review.review_date"},
      {[](R& r) {
         *r.mutable_review()->mutable_review_date() = Day(2026, 3, 3);
       },
       "review.review_date"},
      {[](R& r) { r.mutable_review()->clear_progress(); }, "review.progress"},
      {[](R& r) { r.mutable_review()->set_progress(std::string(2001, 'x')); },
       "review.progress"},
      {[](R& r) { r.mutable_review()->set_changes(std::string(2001, 'x')); },
       "review.changes"},
      {[](R& r) {
         *r.mutable_review()->mutable_next_review_date() = Day(2026, 3, 2);
       },
       "review.next_review_date"},
      {[](R& r) {
         r.mutable_review()->mutable_next_review_date()->set_month(0);
       },
       "review.next_review_date.month"},
  };
  for (const Case& c : cases) {
    R request = ReviewRequest(plan);
    c.spoil(request);
    EXPECT_TRUE(Names(plans_.Review(adviser_, request).status(),
                      Code::kInvalidArgument, c.field));
  }
  R early = ReviewRequest(plan);
  *early.mutable_review()->mutable_review_date() = Day(2026, 3, 1);
  EXPECT_TRUE(Names(plans_.Review(adviser_, early).status(),
                    Code::kFailedPrecondition, "review.review_date"));
  R stale = ReviewRequest(plan);
  stale.set_etag("1");
  EXPECT_TRUE(
      Names(plans_.Review(adviser_, stale).status(), Code::kAborted, "etag"));
  EXPECT_TRUE(NewEvents().empty());

  R request = ReviewRequest(plan);
  request.mutable_review()->set_reviewer("someone-else");  // output only
  absl::StatusOr<v1::ActionPlan> reviewed = plans_.Review(adviser_, request);
  ASSERT_TRUE(reviewed.ok()) << reviewed.status();
  ASSERT_EQ(reviewed->reviews_size(), 1);
  const v1::PlanReview& review = reviewed->reviews(0);
  EXPECT_EQ(review.reviewer(), "adviser-1");
  EXPECT_TRUE(review.has_record_time());
  EXPECT_EQ(review.progress(), "Two calls made; a third booked");
  EXPECT_EQ(reviewed->next_review_date().DebugString(),
            Day(2026, 4, 1).DebugString());
  EXPECT_TRUE(reviewed->agreed());
  EXPECT_EQ(NewEvents(), std::vector<std::string>{"ActionPlanReviewed"});
  auto event = LastEvent<v1::ActionPlanReviewed>();
  EXPECT_EQ(event.action_plan(), plan.name());
  EXPECT_EQ(event.review_date().DebugString(), Day(2026, 3, 2).DebugString());
  EXPECT_EQ(event.next_review_date().DebugString(),
            Day(2026, 4, 1).DebugString());

  // A review without a next date keeps the plan's.
  R plain = ReviewRequest(plan);
  plain.mutable_review()->clear_next_review_date();
  reviewed = plans_.Review(adviser_, plain);
  ASSERT_TRUE(reviewed.ok()) << reviewed.status();
  EXPECT_EQ(reviewed->reviews_size(), 2);
  EXPECT_EQ(reviewed->next_review_date().month(), 4);
  EXPECT_FALSE(LastEvent<v1::ActionPlanReviewed>().has_next_review_date());
}

TEST_F(ActionPlanRecordsTest, APlanHoldsAtMost200Reviews) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustAgree(MustCreate(p));
  v1::ReviewActionPlanRequest request = ReviewRequest(plan);
  request.mutable_review()->clear_next_review_date();
  for (int i = 0; i < kMaxPlanReviews; ++i) {
    ASSERT_TRUE(plans_.Review(adviser_, request).ok()) << i;
  }
  NewEvents();
  EXPECT_TRUE(Names(plans_.Review(adviser_, request).status(),
                    Code::kFailedPrecondition, "review"));
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(ActionPlanRecordsTest, OnlyTheEnrollingOrganisationSeesPlans) {
  v1::Participant p = Enrol();
  v1::ActionPlan plan = MustCreate(p);
  NewEvents();
  const Code denied = Code::kPermissionDenied;
  EXPECT_EQ(plans_.Create(other_agency_, Request(p, "theirs")).status().code(),
            denied);
  v1::GetActionPlanRequest get;
  get.set_name(plan.name());
  EXPECT_EQ(plans_.Get(other_agency_, get).status().code(), denied);
  v1::ListActionPlansRequest list;
  list.set_parent(p.name());
  EXPECT_EQ(plans_.List(other_agency_, list).status().code(), denied);
  v1::UpdateActionPlanRequest update;
  *update.mutable_action_plan() = plan;
  update.mutable_update_mask()->add_paths("goals");
  EXPECT_EQ(plans_.Update(other_agency_, update).status().code(), denied);
  EXPECT_EQ(Agree(plan, v1::ADVISER, &other_agency_).status().code(), denied);
  EXPECT_EQ(plans_.Review(other_agency_, ReviewRequest(plan)).status().code(),
            denied);
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(ActionPlanRecordsTest, NothingAfterExit) {
  v1::Participant p = EnrolAndStart();  // started 2 March
  v1::ActionPlan plan = MustCreate(p);
  ASSERT_TRUE(Agree(plan, v1::PARTICIPANT).ok());
  clock_.Advance(absl::Hours(24 * 10));  // 12 March
  Exit(p, Day(2026, 3, 5));
  NewEvents();
  auto after_exit = [](const absl::Status& status) {
    return status.code() == Code::kFailedPrecondition &&
           absl::StrContains(status.message(), "nothing-after-exit");
  };
  EXPECT_TRUE(after_exit(plans_.Create(adviser_, Request(p, "late")).status()));
  EXPECT_TRUE(after_exit(Agree(plan, v1::ADVISER).status()));
  v1::ActionPlan changed = plan;
  changed.clear_etag();
  changed.mutable_goals(0)->set_description("Changed");
  EXPECT_TRUE(after_exit(UpdateGoals(changed).status()));
  EXPECT_TRUE(NewEvents().empty());
}

TEST_F(ActionPlanRecordsTest, APlanOfAnEarlierSpellIsReadOnly) {
  v1::Participant p = Enrol();
  absl::StatusOr<v1::ActionPlan> old_plan_or =
      Agree(MustCreate(p, "plan-1"), v1::PARTICIPANT);
  ASSERT_TRUE(old_plan_or.ok()) << old_plan_or.status();
  const v1::ActionPlan old_plan = *old_plan_or;
  p = Exit(p, Day(2026, 3, 2));  // withdrawn: never started
  // Re-joins: a second spell, referred again today.
  v1::UpdateParticipantRequest rejoin;
  *rejoin.mutable_participant() = p;
  rejoin.mutable_participant()->set_status(v1::REFERRED);
  *rejoin.mutable_participant()->mutable_referral_date() = Day(2026, 3, 2);
  rejoin.mutable_update_mask()->add_paths("status");
  rejoin.mutable_update_mask()->add_paths("referral_date");
  absl::StatusOr<v1::Participant> rejoined =
      participants_.Update(adviser_, rejoin);
  ASSERT_TRUE(rejoined.ok()) << rejoined.status();
  ASSERT_EQ(rejoined->spells_size(), 2);
  NewEvents();

  EXPECT_TRUE(Names(Agree(old_plan, v1::ADVISER).status(),
                    Code::kFailedPrecondition, "name"));
  EXPECT_TRUE(Names(UpdateGoals(old_plan).status(), Code::kFailedPrecondition,
                    "action_plan.name"));
  EXPECT_TRUE(Names(plans_.Review(adviser_, ReviewRequest(old_plan)).status(),
                    Code::kFailedPrecondition, "name"));
  EXPECT_TRUE(NewEvents().empty());

  // The new spell's first agreed plan starts the participant again.
  v1::ActionPlan new_plan = MustCreate(p, "plan-2");
  EXPECT_EQ(new_plan.spell(), 2);
  MustAgree(new_plan);
  // The status event is last; the agreement comes before it.
  std::vector<events::v1::EventEnvelope> envelopes = Envelopes();
  v1::ActionPlanAgreed agreed;
  ASSERT_TRUE(envelopes[envelopes.size() - 2].payload().UnpackTo(&agreed));
  EXPECT_TRUE(agreed.first_in_spell());
  EXPECT_EQ(agreed.facts().spell(), 2);
  v1::Participant started = Reread(p);
  EXPECT_EQ(started.status(), v1::STARTED);
  EXPECT_EQ(started.spells(1).start_date().DebugString(),
            Day(2026, 3, 2).DebugString());
}

}  // namespace
}  // namespace employability::participants
