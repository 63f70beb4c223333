#include "services/partners/referrals_grpc.h"

#include <deque>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"

ABSL_FLAG(absl::Duration, referral_sweep_interval, absl::Seconds(60),
          "how often the partners service looks for referrals past their "
          "service standards and refreshes the referral gauges");
ABSL_FLAG(absl::Duration, referral_watch_interval, absl::Milliseconds(200),
          "how often WatchReferrals looks for new changes");

namespace employability::partners {

// ---- Unary calls: the edge admits the caller, the records do the work.

grpc::ServerUnaryReactor* ReferralsService::CreateReferral(
    grpc::CallbackServerContext* context,
    const v1::CreateReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "CreateReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Create(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::GetReferral(
    grpc::CallbackServerContext* context, const v1::GetReferralRequest* request,
    v1::Referral* response) {
  return edge_.Serve(context, "GetReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Get(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::ListReferrals(
    grpc::CallbackServerContext* context,
    const v1::ListReferralsRequest* request,
    v1::ListReferralsResponse* response) {
  return edge_.Serve(context, "ListReferrals", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.List(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::UpdateReferral(
    grpc::CallbackServerContext* context,
    const v1::UpdateReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "UpdateReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Update(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::SendReferral(
    grpc::CallbackServerContext* context,
    const v1::SendReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "SendReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Send(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::AcceptReferral(
    grpc::CallbackServerContext* context,
    const v1::AcceptReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "AcceptReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Accept(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::DeclineReferral(
    grpc::CallbackServerContext* context,
    const v1::DeclineReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "DeclineReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Decline(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::StartReferral(
    grpc::CallbackServerContext* context,
    const v1::StartReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "StartReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Start(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::RecordReferralNotStarted(
    grpc::CallbackServerContext* context,
    const v1::RecordReferralNotStartedRequest* request,
    v1::Referral* response) {
  return edge_.Serve(context, "RecordReferralNotStarted", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.RecordNotStarted(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::CompleteReferral(
    grpc::CallbackServerContext* context,
    const v1::CompleteReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "CompleteReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Complete(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::WithdrawReferral(
    grpc::CallbackServerContext* context,
    const v1::WithdrawReferralRequest* request, v1::Referral* response) {
  return edge_.Serve(context, "WithdrawReferral", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.Withdraw(caller, *request);
                     });
}

grpc::ServerUnaryReactor* ReferralsService::ListReferralDeadlines(
    grpc::CallbackServerContext* context,
    const v1::ListReferralDeadlinesRequest* request,
    v1::ListReferralDeadlinesResponse* response) {
  return edge_.Serve(context, "ListReferralDeadlines", response,
                     [this, request](const auth::Caller& caller) {
                       return records_.ListDeadlines(caller, *request);
                     });
}

// ---- Watch

namespace {

class WatchReactor;

}  // namespace

// What the feed and the reactor share. The reactor goes when its call ends
// (OnDone); the feed may still hold the watcher, so it checks `done`.
struct WatchFeed::Watcher {
  absl::Mutex mu;
  std::string receiver;
  std::string read_cursor;  // where the feed reads on from
  std::deque<v1::ReferralChange> queue ABSL_GUARDED_BY(mu);
  bool writing ABSL_GUARDED_BY(mu) = false;
  bool finishing ABSL_GUARDED_BY(mu) = false;
  bool done ABSL_GUARDED_BY(mu) = false;
  grpc::ServerWriteReactor<v1::ReferralChange>* reactor ABSL_GUARDED_BY(mu) =
      nullptr;

  // Finishes the call once, when no write is in flight.
  void FinishLocked(const grpc::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    if (finishing || done || reactor == nullptr) return;
    finishing = true;
    reactor->Finish(status);
  }
};

namespace {

class WatchReactor final : public grpc::ServerWriteReactor<v1::ReferralChange> {
 public:
  WatchReactor(grpc::CallbackServerContext* context,
               const v1::WatchReferralsRequest& request,
               ReferralRecords& records, const server::ServiceEdge& edge,
               WatchFeed& feed)
      : watcher_(std::make_shared<WatchFeed::Watcher>()) {
    {
      absl::MutexLock lock(&watcher_->mu);
      watcher_->reactor = this;
    }
    watcher_->read_cursor = request.cursor();
    // Admission may wait on the staff directory: a worker's job.
    const bool queued = edge.workers().Submit(
        [context, request, &records, &edge, &feed, watcher = watcher_] {
          absl::StatusOr<auth::Caller> caller =
              edge.Admit(*context, "WatchReferrals");
          absl::StatusOr<std::string> receiver =
              caller.ok() ? records.CheckMayWatch(*caller, request)
                          : caller.status();
          if (!receiver.ok()) {
            absl::MutexLock lock(&watcher->mu);
            watcher->FinishLocked(ToGrpcStatus(receiver.status()));
            return;
          }
          watcher->receiver = *receiver;
          feed.Add(watcher);
        });
    if (!queued) {
      absl::MutexLock lock(&watcher_->mu);
      watcher_->FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                          "server busy; retry with backoff"));
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&watcher_->mu);
    watcher_->writing = false;
    if (!ok) {  // the client has gone
      watcher_->FinishLocked(
          grpc::Status(grpc::StatusCode::CANCELLED, "watch ended"));
      return;
    }
    watcher_->queue.pop_front();
    if (!watcher_->queue.empty() && !watcher_->finishing) {
      watcher_->writing = true;
      StartWrite(&watcher_->queue.front());
    }
  }

  void OnCancel() override {
    absl::MutexLock lock(&watcher_->mu);
    if (!watcher_->writing) {
      watcher_->FinishLocked(
          grpc::Status(grpc::StatusCode::CANCELLED, "watch cancelled"));
    }
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&watcher_->mu);
      watcher_->done = true;
      watcher_->reactor = nullptr;
    }
    delete this;
  }

 private:
  std::shared_ptr<WatchFeed::Watcher> watcher_;
};

}  // namespace

WatchFeed::WatchFeed(ReferralRecords& records, absl::Duration interval)
    : records_(records),
      task_(std::make_unique<server::BackgroundTask>(interval,
                                                     [this] { Turn(); })) {}

WatchFeed::~WatchFeed() {
  task_.reset();
  // Calls still open end now, so that the server's shutdown is not held.
  absl::MutexLock lock(&mu_);
  for (const std::shared_ptr<Watcher>& watcher : watchers_) {
    absl::MutexLock watcher_lock(&watcher->mu);
    if (!watcher->writing) {
      watcher->FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                         "the service is stopping; resume "
                                         "from your last cursor"));
    }
  }
}

void WatchFeed::Add(std::shared_ptr<Watcher> watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.push_back(std::move(watcher));
}

void WatchFeed::Turn() {
  std::vector<std::shared_ptr<Watcher>> watchers;
  {
    absl::MutexLock lock(&mu_);
    // Calls that have ended leave the feed.
    std::vector<std::shared_ptr<Watcher>> kept;
    for (std::shared_ptr<Watcher>& watcher : watchers_) {
      absl::MutexLock watcher_lock(&watcher->mu);
      if (!watcher->done && !watcher->finishing) kept.push_back(watcher);
    }
    watchers_ = kept;
    watchers = std::move(kept);
  }
  for (const std::shared_ptr<Watcher>& watcher : watchers) {
    absl::MutexLock lock(&watcher->mu);
    if (watcher->done || watcher->finishing || watcher->writing ||
        !watcher->queue.empty()) {
      continue;
    }
    absl::StatusOr<ReferralRecords::Changes> changes =
        records_.ChangesAfter(watcher->receiver, watcher->read_cursor, 100);
    if (!changes.ok()) {
      // The client resumes from its last cursor when the store is back.
      watcher->FinishLocked(ToGrpcStatus(changes.status()));
      continue;
    }
    watcher->read_cursor = changes->next_cursor;
    for (v1::ReferralChange& change : changes->changes) {
      watcher->queue.push_back(std::move(change));
    }
    if (!watcher->queue.empty()) {
      watcher->writing = true;
      watcher->reactor->StartWrite(&watcher->queue.front());
    }
  }
}

grpc::ServerWriteReactor<v1::ReferralChange>* ReferralsService::WatchReferrals(
    grpc::CallbackServerContext* context,
    const v1::WatchReferralsRequest* request) {
  return new WatchReactor(context, *request, records_, edge_, feed_);
}

// ---- Import

namespace {

class ImportReactor final
    : public grpc::ServerReadReactor<v1::ImportReferralsRequest> {
 public:
  ImportReactor(grpc::CallbackServerContext* context,
                v1::ImportReferralsResponse* response, ReferralRecords& records,
                const server::ServiceEdge& edge)
      : context_(context), response_(response), records_(records), edge_(edge) {
    StartRead(&row_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // every row has come
      Finish(grpc::Status::OK);
      return;
    }
    // Rows touch the store: each on a worker, one at a time, in order.
    if (!edge_.workers().Submit([this] { HandleRow(); })) {
      Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "server busy; retry the rows not yet answered"));
    }
  }

  void OnDone() override { delete this; }

 private:
  void HandleRow() {
    if (!caller_.has_value()) {
      absl::StatusOr<auth::Caller> caller =
          edge_.Admit(*context_, "ImportReferrals");
      if (!caller.ok()) {
        Finish(ToGrpcStatus(caller.status()));
        return;
      }
      caller_ = *std::move(caller);
      parent_ = row_.parent();
    }
    if (response_->results_size() >= kMaxImportRows) {
      Finish(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("rows: at most ", kMaxImportRows,
                       " per call; the first ", kMaxImportRows,
                       " were handled, send the rest in another call")));
      return;
    }
    v1::ImportRowResult result;
    if (row_.parent() != parent_) {
      result.set_row_id(row_.row_id());
      result.set_error_code("INVALID_ARGUMENT");
      result.set_error(
          absl::StrCat("parent: every row of a call names the "
                       "same organisation, ",
                       parent_));
    } else {
      result = records_.ImportRow(*caller_, row_);
    }
    if (result.accepted()) {
      response_->set_accepted_count(response_->accepted_count() + 1);
    } else {
      response_->set_rejected_count(response_->rejected_count() + 1);
    }
    *response_->add_results() = std::move(result);
    StartRead(&row_);
  }

  grpc::CallbackServerContext* const context_;
  v1::ImportReferralsResponse* const response_;
  ReferralRecords& records_;
  const server::ServiceEdge& edge_;
  v1::ImportReferralsRequest row_;
  std::optional<auth::Caller> caller_;  // admitted on the first row
  std::string parent_;
};

}  // namespace

grpc::ServerReadReactor<v1::ImportReferralsRequest>*
ReferralsService::ImportReferrals(grpc::CallbackServerContext* context,
                                  v1::ImportReferralsResponse* response) {
  return new ImportReactor(context, response, records_, edge_);
}

// ---- The sweep

ReferralSweep::ReferralSweep(ReferralRecords& records,
                             prometheus::Registry& metrics,
                             absl::Duration interval)
    : records_(records),
      open_(prometheus::BuildGauge()
                .Name("employability_referrals_open")
                .Help("Open referrals (SENT, ACCEPTED, STARTED) by receiving "
                      "organisation and state, as of the last sweep")
                .Register(metrics)),
      past_standard_(
          prometheus::BuildGauge()
              .Name("employability_referrals_past_standard")
              .Help("Open referrals past a service standard (RESPOND, "
                    "START, CLOSE) and still not meeting it, by receiving "
                    "organisation, as of the last sweep")
              .Register(metrics)),
      task_(interval, [this] {
        absl::Status swept = RunOnce();
        if (!swept.ok()) EMP_LOG(WARNING) << "referral sweep: " << swept;
      }) {}

absl::Status ReferralSweep::RunOnce() {
  absl::StatusOr<SweepResult> result = records_.Sweep();
  if (!result.ok()) return result.status();
  for (const InboxCounts& inbox : result->inboxes) {
    for (const auto& [state, count] : inbox.open) {
      open_.Add({{"receiver", inbox.receiver}, {"state", state}})
          .Set(static_cast<double>(count));
    }
    for (const auto& [standard, count] : inbox.past_standard) {
      past_standard_.Add({{"receiver", inbox.receiver}, {"standard", standard}})
          .Set(static_cast<double>(count));
    }
  }
  return absl::OkStatus();
}

}  // namespace employability::partners
