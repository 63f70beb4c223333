#include "services/participants/action_plan_records.h"

#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/participants/case_review_records.h"

namespace employability::participants {
namespace {

using google::protobuf::RepeatedPtrField;
using google::protobuf::util::MessageDifferencer;
using validation::ToCivilDay;

constexpr char kGoalsField[] = "action_plan.goals";
// The field named when a plan's dated activity falls after an exit.
constexpr char kPlanField[] = "action_plan";

// Who does a goal or an action: "participant" or a user id, both of which
// are resource ids.
absl::Status CheckOwner(absl::string_view field, absl::string_view owner) {
  return CheckResourceId(field, owner);
}

absl::Status CheckSmart(const std::string& prefix,
                        const v1::SmartDetail& smart) {
  const std::pair<const char*, const std::string*> statements[] = {
      {"specific", &smart.specific()},
      {"measure", &smart.measure()},
      {"achievable_support", &smart.achievable_support()},
      {"relevance", &smart.relevance()},
  };
  for (const auto& [field, text] : statements) {
    RETURN_IF_ERROR(CheckText(FieldPath(prefix, field), *text, kMaxSmartText,
                              /*required=*/true));
  }
  RETURN_IF_ERROR(
      ToCivilDay(FieldPath(prefix, "target_date"), smart.target_date())
          .status());
  return CheckOwner(FieldPath(prefix, "owner"), smart.owner());
}

absl::Status NormaliseAction(const std::string& prefix, v1::Action& action) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "description"),
                            action.description(), kMaxActionText,
                            /*required=*/true));
  if (action.status() == v1::ACTION_STATUS_UNSPECIFIED) {
    action.set_status(v1::NOT_STARTED);
  }
  if (!v1::ActionStatus_IsValid(action.status())) {
    return InvalidField(FieldPath(prefix, "status"),
                        "must be one of the listed statuses");
  }
  RETURN_IF_ERROR(
      ToCivilDay(FieldPath(prefix, "due_date"), action.due_date()).status());
  return CheckOwner(FieldPath(prefix, "owner"), action.owner());
}

absl::Status NormaliseGoal(const std::string& prefix, v1::Goal& goal) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "description"),
                            goal.description(), kMaxGoalText,
                            /*required=*/true));
  // QIF component 4: social and personal goals are welcome, but each must
  // say how it leads to an employment or employability outcome.
  const std::string link = FieldPath(prefix, "employment_outcome_link");
  if (absl::StripAsciiWhitespace(goal.employment_outcome_link()).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(link,
                     " is required: say how the goal leads to an employment or "
                     "employability outcome"));
  }
  RETURN_IF_ERROR(CheckText(link, goal.employment_outcome_link(), kMaxGoalText,
                            /*required=*/true));
  if (!goal.has_smart()) return RequiredField(FieldPath(prefix, "smart"));
  RETURN_IF_ERROR(CheckSmart(FieldPath(prefix, "smart"), goal.smart()));
  if (goal.actions_size() > kMaxActionsPerGoal) {
    return InvalidField(
        FieldPath(prefix, "actions"),
        absl::StrCat("at most ", kMaxActionsPerGoal, " actions per goal"));
  }
  for (int j = 0; j < goal.actions_size(); ++j) {
    RETURN_IF_ERROR(NormaliseAction(absl::StrCat(prefix, ".actions[", j, "]"),
                                    *goal.mutable_actions(j)));
  }
  return absl::OkStatus();
}

absl::Status NormaliseGoals(RepeatedPtrField<v1::Goal>& goals) {
  if (goals.empty()) {
    return InvalidField(kGoalsField, "a plan needs at least one goal");
  }
  if (goals.size() > kMaxGoals) {
    return InvalidField(kGoalsField,
                        absl::StrCat("at most ", kMaxGoals, " goals"));
  }
  for (int i = 0; i < goals.size(); ++i) {
    RETURN_IF_ERROR(
        NormaliseGoal(absl::StrCat(kGoalsField, "[", i, "]"), goals[i]));
  }
  return absl::OkStatus();
}

// A next review is planned: not for a day already gone.
absl::Status CheckNextReview(absl::CivilDay today, const v1::ActionPlan& plan) {
  if (!plan.has_next_review_date()) return absl::OkStatus();
  constexpr char kField[] = "action_plan.next_review_date";
  ASSIGN_OR_RETURN(absl::CivilDay next,
                   ToCivilDay(kField, plan.next_review_date()));
  if (next < today) return InvalidField(kField, "must not be in the past");
  return absl::OkStatus();
}

// The plan as the caller may set it: goals and next review; everything
// output-only dropped.
v1::ActionPlan DraftOf(const v1::ActionPlan& from) {
  v1::ActionPlan plan;
  *plan.mutable_goals() = from.goals();
  if (from.has_next_review_date()) {
    *plan.mutable_next_review_date() = from.next_review_date();
  }
  return plan;
}

// Goals aim within the spell: none before its referral.
absl::Status CheckTargetDates(const v1::ProgrammeSpell& spell,
                              const RepeatedPtrField<v1::Goal>& goals) {
  for (int i = 0; i < goals.size(); ++i) {
    const std::string field =
        absl::StrCat(kGoalsField, "[", i, "].smart.target_date");
    ASSIGN_OR_RETURN(absl::CivilDay target,
                     ToCivilDay(field, goals[i].smart().target_date()));
    RETURN_IF_ERROR(CheckNotBeforeReferral(spell, field, target));
  }
  return absl::OkStatus();
}

// A plan of an earlier spell is its history: read-only.
// What the parties agree to: the goals, their ids and the progress of their
// actions apart. Marking an action done is progress, not a new plan.
bool SameCommitments(const RepeatedPtrField<v1::Goal>& a,
                     const RepeatedPtrField<v1::Goal>& b) {
  if (a.size() != b.size()) return false;
  MessageDifferencer differ;
  differ.IgnoreField(v1::Goal::descriptor()->FindFieldByName("id"));
  differ.IgnoreField(v1::Action::descriptor()->FindFieldByName("id"));
  differ.IgnoreField(v1::Action::descriptor()->FindFieldByName("status"));
  for (int i = 0; i < a.size(); ++i) {
    if (!differ.Compare(a[i], b[i])) return false;
  }
  return true;
}

// Copies the actions' statuses of `from` to `to`, which have the same
// commitments (so the same goals and actions, in the same places).
void CopyProgress(const RepeatedPtrField<v1::Goal>& from,
                  RepeatedPtrField<v1::Goal>& to) {
  for (int i = 0; i < from.size(); ++i) {
    for (int j = 0; j < from[i].actions_size(); ++j) {
      to[i].mutable_actions(j)->set_status(from[i].actions(j).status());
    }
  }
}

// Withdraws every agreement: the plan they were given to has changed.
// True when there was one to withdraw.
bool WithdrawAgreements(v1::ActionPlan& plan) {
  const bool any = plan.agreements_size() > 0;
  plan.clear_agreements();
  plan.set_agreed(false);
  plan.clear_agreed_date();
  return any;
}

bool HasAgreed(const v1::ActionPlan& plan, v1::AgreementParty party) {
  for (const v1::Agreement& agreement : plan.agreements()) {
    if (agreement.party() == party) return true;
  }
  return false;
}

absl::Status CheckParty(v1::AgreementParty party) {
  if (party == v1::AGREEMENT_PARTY_UNSPECIFIED) return RequiredField("party");
  if (!v1::AgreementParty_IsValid(party)) {
    return InvalidField("party", "must be PARTICIPANT or ADVISER");
  }
  return absl::OkStatus();
}

int ActionCount(const v1::ActionPlan& plan) {
  int count = 0;
  for (const v1::Goal& goal : plan.goals()) count += goal.actions_size();
  return count;
}

int ActionsDone(const v1::ActionPlan& plan) {
  int done = 0;
  for (const v1::Goal& goal : plan.goals()) {
    for (const v1::Action& action : goal.actions()) {
      if (action.status() == v1::DONE) ++done;
    }
  }
  return done;
}

template <typename Event>
Event PlanEvent(const CaseChange& change, const v1::ActionPlan& plan) {
  Event event;
  *event.mutable_facts() = FactsOf(change.participant());
  event.set_action_plan(plan.name());
  return event;
}

v1::ActionPlanCreated CreatedEvent(const CaseChange& change,
                                   const v1::ActionPlan& plan) {
  auto event = PlanEvent<v1::ActionPlanCreated>(change, plan);
  event.set_goal_count(plan.goals_size());
  event.set_action_count(ActionCount(plan));
  return event;
}

v1::ActionPlanUpdated UpdatedEvent(const CaseChange& change,
                                   const v1::ActionPlan& plan,
                                   bool agreement_withdrawn) {
  auto event = PlanEvent<v1::ActionPlanUpdated>(change, plan);
  event.set_goal_count(plan.goals_size());
  event.set_action_count(ActionCount(plan));
  event.set_actions_done(ActionsDone(plan));
  event.set_agreement_withdrawn(agreement_withdrawn);
  return event;
}

const std::set<std::string>& UpdatablePaths() {
  static const auto* paths =
      new std::set<std::string>{"goals", "next_review_date"};
  return *paths;
}

bool Has(const std::set<std::string>& paths, const char* path) {
  return paths.count(path) > 0;
}

}  // namespace

ActionPlanRecords::ActionPlanRecords(CaseFiles& files) : files_(files) {}

void ActionPlanRecords::AssignIds(const v1::ActionPlan* before,
                                  RepeatedPtrField<v1::Goal>& goals) {
  // The ids of the plan as stored, each free to be kept once.
  std::set<std::string> goal_ids;
  std::set<std::string> action_ids;
  if (before != nullptr) {
    for (const v1::Goal& goal : before->goals()) {
      goal_ids.insert(goal.id());
      for (const v1::Action& action : goal.actions()) {
        action_ids.insert(action.id());
      }
    }
  }
  const auto keep_or_assign = [this](std::set<std::string>& free,
                                     std::string* id) {
    if (free.erase(*id) == 0) *id = files_.NewId();
  };
  for (v1::Goal& goal : goals) {
    keep_or_assign(goal_ids, goal.mutable_id());
    for (v1::Action& action : *goal.mutable_actions()) {
      keep_or_assign(action_ids, action.mutable_id());
    }
  }
}

absl::StatusOr<v1::ActionPlan> ActionPlanRecords::Create(
    const auth::Caller& caller, const v1::CreateActionPlanRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_action_plan()) return RequiredField("action_plan");
  const absl::CivilDay today = files_.Today();
  v1::ActionPlan draft = DraftOf(request.action_plan());
  RETURN_IF_ERROR(NormaliseGoals(*draft.mutable_goals()));
  RETURN_IF_ERROR(CheckNextReview(today, draft));
  AssignIds(/*before=*/nullptr, *draft.mutable_goals());
  return files_.CreateItem<v1::ActionPlan>(
      caller, name, kActionPlanItems, request, request.request_id(),
      [&](CaseChange& change,
          const std::string& item_name) -> absl::StatusOr<v1::ActionPlan> {
        const v1::ProgrammeSpell& spell = change.read().spell();
        RETURN_IF_ERROR(CheckTargetDates(spell, draft.goals()));
        RETURN_IF_ERROR(change.NoteActivity(kPlanField, today));
        v1::ActionPlan plan = draft;
        plan.set_name(item_name);
        plan.set_spell(spell.number());
        const google::protobuf::Timestamp now = ToProtoTimestamp(files_.Now());
        *plan.mutable_create_time() = now;
        *plan.mutable_update_time() = now;
        change.Event(item_name, 1, CreatedEvent(change, plan));
        return plan;
      });
}

absl::StatusOr<v1::ActionPlan> ActionPlanRecords::Get(
    const auth::Caller& caller, const v1::GetActionPlanRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kActionPlanItems));
  return files_.GetItem<v1::ActionPlan>(caller, name, kActionPlanItems);
}

absl::StatusOr<v1::ListActionPlansResponse> ActionPlanRecords::List(
    const auth::Caller& caller, const v1::ListActionPlansRequest& request) {
  return ListItemPage<v1::ActionPlan, v1::ListActionPlansResponse>(
      files_, caller, request, kActionPlanItems,
      &v1::ListActionPlansResponse::mutable_action_plans);
}

absl::StatusOr<v1::ActionPlan> ActionPlanRecords::Update(
    const auth::Caller& caller, const v1::UpdateActionPlanRequest& request) {
  const v1::ActionPlan& from = request.action_plan();
  ASSIGN_OR_RETURN(ItemName name, ParseItemName("action_plan.name", from.name(),
                                                kActionPlanItems));
  ASSIGN_OR_RETURN(const std::set<std::string> paths,
                   UpdatePaths(request.update_mask(), UpdatablePaths()));
  const absl::CivilDay today = files_.Today();
  v1::ActionPlan wanted = DraftOf(from);
  if (Has(paths, "goals")) {
    RETURN_IF_ERROR(NormaliseGoals(*wanted.mutable_goals()));
  }
  if (Has(paths, "next_review_date")) {
    RETURN_IF_ERROR(CheckNextReview(today, wanted));
  }
  return files_.ChangeItem<v1::ActionPlan>(
      caller, name, kActionPlanItems, from.etag(), "action_plan.etag",
      [&](CaseChange& change, v1::ActionPlan& plan,
          int64_t version) -> absl::Status {
        RETURN_IF_ERROR(CheckCurrentSpell("action_plan.name", "plan",
                                          plan.spell(), change.read().spell()));
        const v1::ActionPlan before = plan;
        bool withdrawn = false;
        if (Has(paths, "goals")) {
          if (SameCommitments(wanted.goals(), plan.goals())) {
            CopyProgress(wanted.goals(), *plan.mutable_goals());
          } else {
            RETURN_IF_ERROR(
                CheckTargetDates(change.read().spell(), wanted.goals()));
            RepeatedPtrField<v1::Goal> goals = wanted.goals();
            AssignIds(&plan, goals);
            *plan.mutable_goals() = std::move(goals);
            // The parties agreed to other goals: the plan must be agreed
            // again. The participant's status stays where it is.
            withdrawn = WithdrawAgreements(plan);
          }
        }
        if (Has(paths, "next_review_date")) {
          if (wanted.has_next_review_date()) {
            *plan.mutable_next_review_date() = wanted.next_review_date();
          } else {
            plan.clear_next_review_date();
          }
        }
        if (MessageDifferencer::Equals(plan, before)) {
          return absl::OkStatus();  // nothing changed: nothing written
        }
        RETURN_IF_ERROR(change.NoteActivity(kPlanField, today));
        *plan.mutable_update_time() = ToProtoTimestamp(files_.Now());
        change.Event(plan.name(), version,
                     UpdatedEvent(change, plan, withdrawn));
        return absl::OkStatus();
      });
}

absl::StatusOr<bool> ActionPlanRecords::FirstAgreedInSpell(
    CaseChange& change, const ItemName& name, const v1::ActionPlan& plan) {
  ASSIGN_OR_RETURN(std::vector<StoredItem> plans,
                   files_.AllItems(change.read(), kActionPlanItems));
  bool first = true;
  for (const StoredItem& stored : plans) {
    if (stored.id == name.id) continue;
    ASSIGN_OR_RETURN(v1::ActionPlan other, DecodeItem<v1::ActionPlan>(stored));
    if (other.spell() != plan.spell()) continue;
    if (other.agreed()) first = false;
    change.batch().ExpectVersion(
        files_.ItemKey(name.participant, kActionPlanItems, stored.id),
        stored.record.version);
  }
  return first;
}

absl::StatusOr<v1::ActionPlan> ActionPlanRecords::Agree(
    const auth::Caller& caller, const v1::AgreeActionPlanRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kActionPlanItems));
  const v1::AgreementParty party = request.party();
  RETURN_IF_ERROR(CheckParty(party));
  const absl::CivilDay today = files_.Today();
  return files_.ChangeItem<v1::ActionPlan>(
      caller, name, kActionPlanItems, request.etag(), "etag",
      [&](CaseChange& change, v1::ActionPlan& plan,
          int64_t version) -> absl::Status {
        RETURN_IF_ERROR(CheckCurrentSpell("name", "plan", plan.spell(),
                                          change.read().spell()));
        if (HasAgreed(plan, party)) return absl::OkStatus();  // already
        RETURN_IF_ERROR(change.NoteActivity(kPlanField, today));
        const absl::Time now = files_.Now();
        v1::Agreement* agreement = plan.add_agreements();
        agreement->set_party(party);
        agreement->set_recorded_by(caller.user);
        *agreement->mutable_agree_time() = ToProtoTimestamp(now);
        *plan.mutable_update_time() = ToProtoTimestamp(now);
        if (!HasAgreed(plan, v1::PARTICIPANT) ||
            !HasAgreed(plan, v1::ADVISER)) {
          change.Event(
              plan.name(), version,
              UpdatedEvent(change, plan, /*agreement_withdrawn=*/false));
          return absl::OkStatus();
        }
        // Both parties agreed: the plan is agreed, and the first agreed plan
        // of a spell starts a referred participant on the programme.
        ASSIGN_OR_RETURN(const bool first,
                         FirstAgreedInSpell(change, name, plan));
        plan.set_agreed(true);
        *plan.mutable_agreed_date() = validation::ToDate(today);
        // Reported only when this agreement started the participant: a plan
        // agreed again after its goals changed starts no one twice.
        const bool starts =
            first && change.participant().status() == v1::REFERRED;
        if (starts) RETURN_IF_ERROR(change.SetStatus(v1::STARTED, today, now));
        auto agreed = PlanEvent<v1::ActionPlanAgreed>(change, plan);
        agreed.set_party(party);
        *agreed.mutable_agreed_date() = plan.agreed_date();
        agreed.set_first_in_spell(starts);
        change.Event(plan.name(), version, agreed);
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::ActionPlan> ActionPlanRecords::Review(
    const auth::Caller& caller, const v1::ReviewActionPlanRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kActionPlanItems));
  if (!request.has_review()) return RequiredField("review");
  const v1::PlanReview& from = request.review();
  const type::v1::Date* next =
      from.has_next_review_date() ? &from.next_review_date() : nullptr;
  ASSIGN_OR_RETURN(
      const absl::CivilDay review_date,
      CheckReviewDates("review", files_.Today(), from.review_date(), next));
  RETURN_IF_ERROR(CheckText("review.progress", from.progress(),
                            kMaxPlanReviewText, /*required=*/true));
  RETURN_IF_ERROR(CheckText("review.changes", from.changes(),
                            kMaxPlanReviewText, /*required=*/false));
  return files_.ChangeItem<v1::ActionPlan>(
      caller, name, kActionPlanItems, request.etag(), "etag",
      [&](CaseChange& change, v1::ActionPlan& plan,
          int64_t version) -> absl::Status {
        RETURN_IF_ERROR(CheckCurrentSpell("name", "plan", plan.spell(),
                                          change.read().spell()));
        if (!plan.agreed()) {
          return absl::FailedPreconditionError(
              "review: only an agreed plan can be reviewed; the participant "
              "and the adviser must both agree it first");
        }
        ASSIGN_OR_RETURN(absl::CivilDay agreed,
                         ToCivilDay("agreed_date", plan.agreed_date()));
        if (review_date < agreed) {
          return absl::FailedPreconditionError(absl::StrCat(
              "review.review_date: must not be before the plan was agreed (",
              absl::FormatCivilTime(agreed), ")"));
        }
        if (plan.reviews_size() >= kMaxPlanReviews) {
          return absl::FailedPreconditionError(
              absl::StrCat("review: the plan already holds ", kMaxPlanReviews,
                           " reviews, the most it can; draft a new plan"));
        }
        RETURN_IF_ERROR(change.NoteActivity("review.review_date", review_date));
        const google::protobuf::Timestamp now = ToProtoTimestamp(files_.Now());
        v1::PlanReview* review = plan.add_reviews();
        *review->mutable_review_date() = from.review_date();
        review->set_reviewer(caller.user);
        review->set_progress(from.progress());
        review->set_changes(from.changes());
        if (next != nullptr) {
          *review->mutable_next_review_date() = *next;
          *plan.mutable_next_review_date() = *next;
        }
        *review->mutable_record_time() = now;
        *plan.mutable_update_time() = now;
        auto reviewed = PlanEvent<v1::ActionPlanReviewed>(change, plan);
        *reviewed.mutable_review_date() = review->review_date();
        if (next != nullptr) *reviewed.mutable_next_review_date() = *next;
        change.Event(plan.name(), version, reviewed);
        return absl::OkStatus();
      });
}

}  // namespace employability::participants
