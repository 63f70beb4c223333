// Action plans (QIF component 4): the participant's goals, each with an
// explicit link to an employment or employability outcome, SMART detail and
// actions; agreed by both the participant and the adviser, then reviewed.
// The first plan agreed in a spell starts a REFERRED participant on the
// programme. A domain class: no gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_ACTION_PLAN_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_ACTION_PLAN_RECORDS_H_

#include "absl/status/statusor.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/action_plans.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

inline constexpr int kMaxGoals = 20;
inline constexpr int kMaxActionsPerGoal = 50;
inline constexpr int kMaxGoalText = 500;    // description, outcome link
inline constexpr int kMaxSmartText = 1000;  // each SMART statement
inline constexpr int kMaxActionText = 500;
inline constexpr int kMaxPlanReviewText = 2000;  // progress, changes
inline constexpr int kMaxPlanReviews = 200;

class ActionPlanRecords {
 public:
  explicit ActionPlanRecords(CaseFiles& files);

  absl::StatusOr<v1::ActionPlan> Create(
      const auth::Caller& caller, const v1::CreateActionPlanRequest& request);
  absl::StatusOr<v1::ActionPlan> Get(const auth::Caller& caller,
                                     const v1::GetActionPlanRequest& request);
  absl::StatusOr<v1::ListActionPlansResponse> List(
      const auth::Caller& caller, const v1::ListActionPlansRequest& request);
  absl::StatusOr<v1::ActionPlan> Update(
      const auth::Caller& caller, const v1::UpdateActionPlanRequest& request);
  absl::StatusOr<v1::ActionPlan> Agree(
      const auth::Caller& caller, const v1::AgreeActionPlanRequest& request);
  absl::StatusOr<v1::ActionPlan> Review(
      const auth::Caller& caller, const v1::ReviewActionPlanRequest& request);

 private:
  // Whether `plan` would be the first agreed plan of its spell: no other
  // plan of the spell is agreed. The other plans' versions join the change,
  // so that two plans completing at once cannot both be first.
  absl::StatusOr<bool> FirstAgreedInSpell(CaseChange& change,
                                          const ItemName& name,
                                          const v1::ActionPlan& plan);
  // Gives the goals and actions that have no id of this plan a new one.
  void AssignIds(const v1::ActionPlan* before,
                 google::protobuf::RepeatedPtrField<v1::Goal>& goals);

  CaseFiles& files_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_ACTION_PLAN_RECORDS_H_
