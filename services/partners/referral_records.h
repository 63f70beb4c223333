// Referrals and allocations between organisations (referrals.proto): the
// lifecycle, the checks that make each step lawful, the working-day service
// standards and the sweep that finds their breaches. A domain class: it
// knows storage, clock, ids, the calendar and its ports (passed in), and
// nothing of gRPC.
//
// Storage (service key space "partners"), tenancy "o:<receiver>":
//   referral:<id>                    a referral (v1::Referral)
//   index:received                   "<send ms>:<id>" of every referral
//                                    sent to the organisation: oldest first
//   index:received-state:<STATE>     the same, by state
//   index:due                        "<id>:<STANDARD>" scored by due time
//                                    (ms): what the sweep walks
//   index:past:<STANDARD>            ids of open referrals past a standard
//   idem:<caller's org>:<request>    creates; "import-<row>" for imports
//   events                           referral events (the Watch feed)
// tenancy "o:<sender>":
//   index:sent                       "<create ms>:<receiver>:<id>", written
//                                    just after the create (another slot)
// tenancy "c:<contract>" (the participant's):
//   index:participant-referrals:<participant id>
//                                    "<receiver>:<id>" of every referral
//                                    about the participant, for erasure;
//                                    written just after the create
// and "employability:partners:referral-inboxes", the organisations that
// have received referrals, for the sweep.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_REFERRAL_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_REFERRAL_RECORDS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/audit/audit_trail.h"
#include "common/auth/caller.h"
#include "common/calendar/working_calendar.h"
#include "common/events/event_log.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/partners/v1/referrals.pb.h"
#include "services/partners/referral_terms.h"

namespace employability::partners {

// What the participants service says about a participant's consent, for a
// referral. A port: the gRPC client is participant_consents.h.
class ParticipantConsents {
 public:
  virtual ~ParticipantConsents() = default;
  // The name of a live REFERRAL_SHARING consent of `participant` that names
  // `organisation`; nullopt when there is none.
  // - As `caller`'s own question when `on_behalf_of_caller` (the sender,
  //   who must be able to reach the participant: PERMISSION_DENIED when
  //   not), else as the partners service itself (the receiver cannot reach
  //   the participant before it accepts).
  // - UNAVAILABLE when the participants service does not answer in time.
  virtual absl::StatusOr<std::optional<std::string>> ConsentNaming(
      const auth::Caller& caller, bool on_behalf_of_caller,
      const std::string& participant, const std::string& organisation) = 0;
};

// Counts for the gauges, per receiving organisation.
struct InboxCounts {
  std::string receiver;
  // Open referrals (SENT, ACCEPTED, STARTED) by state name.
  std::vector<std::pair<std::string, int64_t>> open;
  // Open referrals past each standard, by standard name.
  std::vector<std::pair<std::string, int64_t>> past_standard;
};

struct SweepResult {
  int breaches_found = 0;
  std::vector<InboxCounts> inboxes;
};

// How many rows one ImportReferrals call takes.
inline constexpr int kMaxImportRows = 10000;

class ReferralRecords {
 public:
  // A step of the lifecycle: the state it leads to, the states it leaves,
  // and which party takes it.
  struct Step;
  struct Ports {
    AgreementTerms& agreements;
    ServiceLookup& services;
    ParticipantConsents& consents;
    const calendar::WorkingCalendar& calendar;
  };
  ReferralRecords(storage::Store& store, const Clock& clock, IdSource& ids,
                  Ports ports);

  absl::StatusOr<v1::Referral> Create(const auth::Caller& caller,
                                      const v1::CreateReferralRequest& request);
  absl::StatusOr<v1::Referral> Get(const auth::Caller& caller,
                                   const v1::GetReferralRequest& request);
  absl::StatusOr<v1::ListReferralsResponse> List(
      const auth::Caller& caller, const v1::ListReferralsRequest& request);
  absl::StatusOr<v1::Referral> Update(const auth::Caller& caller,
                                      const v1::UpdateReferralRequest& request);

  absl::StatusOr<v1::Referral> Send(const auth::Caller& caller,
                                    const v1::SendReferralRequest& request);
  absl::StatusOr<v1::Referral> Accept(const auth::Caller& caller,
                                      const v1::AcceptReferralRequest& request);
  absl::StatusOr<v1::Referral> Decline(
      const auth::Caller& caller, const v1::DeclineReferralRequest& request);
  absl::StatusOr<v1::Referral> Start(const auth::Caller& caller,
                                     const v1::StartReferralRequest& request);
  absl::StatusOr<v1::Referral> RecordNotStarted(
      const auth::Caller& caller,
      const v1::RecordReferralNotStartedRequest& request);
  absl::StatusOr<v1::Referral> Complete(
      const auth::Caller& caller, const v1::CompleteReferralRequest& request);
  absl::StatusOr<v1::Referral> Withdraw(
      const auth::Caller& caller, const v1::WithdrawReferralRequest& request);

  absl::StatusOr<v1::ListReferralDeadlinesResponse> ListDeadlines(
      const auth::Caller& caller,
      const v1::ListReferralDeadlinesRequest& request);

  // One import row, whole or not at all: the row's result (an error in the
  // result, not in the status, so that the import goes on).
  v1::ImportRowResult ImportRow(const auth::Caller& caller,
                                const v1::ImportReferralsRequest& row);

  // Watch: the caller may watch `request.parent` (organisations/{o}, its
  // own) from `request.cursor` (well formed), and which organisation that
  // is.
  absl::StatusOr<std::string> CheckMayWatch(
      const auth::Caller& caller, const v1::WatchReferralsRequest& request);
  // The changes after `cursor` in `receiver`'s feed, at most `limit`, and
  // the cursor to read on from (past changes that are not referral events,
  // so a feed of other events does not stall).
  struct Changes {
    std::vector<v1::ReferralChange> changes;
    std::string next_cursor;
  };
  absl::StatusOr<Changes> ChangesAfter(const std::string& receiver,
                                       const std::string& cursor, int limit);

  // ParticipantErased: wipes the free text (reason, handover summary,
  // closing note) of every referral about `participant`
  // (contracts/{c}/participants/{p}); how many changed. Idempotent.
  absl::StatusOr<int> EraseParticipant(const std::string& participant);

  // The sweep: finds every standard past due at `now` not yet recorded,
  // records each breach once (with its event), and counts every inbox.
  absl::StatusOr<SweepResult> Sweep();

  absl::Status Ready() { return store_.Ping(); }

 private:
  struct Loaded {
    v1::Referral referral;  // etag set
    int64_t version = 0;
  };
  absl::StatusOr<Loaded> LoadReachable(const auth::Caller& caller,
                                       const std::string& name, bool for_write);
  absl::StatusOr<v1::Referral> TakeStep(
      const auth::Caller& caller, const std::string& name,
      const std::string& etag, const Step& step,
      const std::function<absl::Status(v1::Referral&)>& fill);
  absl::StatusOr<std::optional<v1::Referral>> TakeStepOnce(
      const auth::Caller& caller, const std::string& name,
      const std::string& etag, const Step& step,
      const std::function<absl::Status(v1::Referral&)>& fill);

  // The checks of sending: consent and agreement, terms and due dates.
  absl::Status PrepareSend(const auth::Caller& caller, v1::Referral& referral,
                           absl::Time now);
  absl::Status CheckStillLawful(const auth::Caller& caller,
                                const v1::Referral& referral, absl::Time now,
                                SharingAgreement* agreement);
  absl::StatusOr<v1::Referral> CreateOnce(
      const auth::Caller& caller, const v1::CreateReferralRequest& request,
      v1::Referral referral);
  // Commits a new referral's batch (its idempotency guard at step `guard`):
  // the referral, or the first result of a request id (`field`) used
  // before; then its lookup indexes.
  absl::StatusOr<v1::Referral> CommitNew(const auth::Caller& caller,
                                         const storage::Batch& batch, int guard,
                                         const std::string& fingerprint,
                                         absl::string_view field,
                                         v1::Referral referral);
  // The referral a create with the same request id (`field`) made first.
  absl::StatusOr<v1::Referral> Replay(const auth::Caller& caller,
                                      const storage::Record& found,
                                      const std::string& fingerprint,
                                      absl::string_view field);
  absl::StatusOr<v1::Referral> ImportCase(
      const auth::Caller& caller, const v1::ImportReferralsRequest& row);
  absl::StatusOr<v1::Referral> ImportOutcome(
      const auth::Caller& caller, const v1::ImportReferralsRequest& row);

  // The batch's writes shared by every change: the record, its inbox and
  // due indexes moved from `before` to `after`, its event and audit entry.
  absl::Status AddChange(storage::Batch& batch, const auth::Caller& caller,
                         const v1::Referral* before, const v1::Referral& after,
                         int64_t version,
                         const google::protobuf::Message& event);
  // The indexes in other slots than the referral's: the sender's sent box
  // and the participant's referrals. Idempotent, so a replay repairs them.
  absl::Status AddLookupIndexes(const v1::Referral& referral);
  absl::StatusOr<bool> EraseOne(const std::string& receiver,
                                const std::string& id);
  absl::Status RegisterInbox(const std::string& receiver);
  absl::Status AuditRead(const auth::Caller& caller,
                         const v1::Referral& referral, bool allowed,
                         const std::string& reason);

  absl::StatusOr<int> SweepInbox(const std::string& receiver, absl::Time now);
  absl::StatusOr<bool> RecordBreach(const std::string& receiver,
                                    const std::string& id,
                                    v1::Standard standard, absl::Time now);
  absl::StatusOr<InboxCounts> CountInbox(const std::string& receiver);

  storage::Store& store_;
  const Clock& clock_;
  IdSource& ids_;
  Ports ports_;
  events::EventLog events_;
  audit::AuditTrail audit_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> inboxes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_REFERRAL_RECORDS_H_
