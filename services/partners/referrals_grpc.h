// The gRPC face of referrals: a thin adapter over ReferralRecords, with the
// two streaming calls (WatchReferrals, ImportReferrals) and the periodic
// sweep that finds breached standards and keeps the gauges
//   employability_referrals_open{receiver,state}
//   employability_referrals_past_standard{receiver,standard}
// current.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_REFERRALS_GRPC_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_REFERRALS_GRPC_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/declare.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/background_task.h"
#include "common/server/unary.h"
#include "employability/partners/v1/referrals.grpc.pb.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/partners/referral_records.h"

// How often the sweep looks for breached standards, and Watch for changes.
ABSL_DECLARE_FLAG(absl::Duration, referral_sweep_interval);
ABSL_DECLARE_FLAG(absl::Duration, referral_watch_interval);

namespace employability::partners {

// Serves every open WatchReferrals call from one thread: each turn it reads
// on from each watcher's cursor and writes what it found.
class WatchFeed {
 public:
  struct Watcher;
  WatchFeed(ReferralRecords& records, absl::Duration interval);
  ~WatchFeed();

  // Starts serving `watcher` (its reactor set, admitted).
  void Add(std::shared_ptr<Watcher> watcher);

 private:
  void Turn();

  ReferralRecords& records_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Watcher>> watchers_ ABSL_GUARDED_BY(mu_);
  // Stopped first in the destructor, before open calls are finished.
  std::unique_ptr<server::BackgroundTask> task_;
};

// Runs the sweep every interval and publishes its counts as gauges.
class ReferralSweep {
 public:
  ReferralSweep(ReferralRecords& records, prometheus::Registry& metrics,
                absl::Duration interval);

  // One sweep now (the thread's work; tests call it directly).
  absl::Status RunOnce();

 private:
  ReferralRecords& records_;
  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Family<prometheus::Gauge>& past_standard_;
  server::BackgroundTask task_;  // last: stops first
};

class ReferralsService final : public v1::Referrals::CallbackService {
 public:
  ReferralsService(ReferralRecords& records, server::ServiceEdge edge,
                   WatchFeed& feed)
      : records_(records), edge_(std::move(edge)), feed_(feed) {}

  grpc::ServerUnaryReactor* CreateReferral(
      grpc::CallbackServerContext* context,
      const v1::CreateReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* GetReferral(grpc::CallbackServerContext* context,
                                        const v1::GetReferralRequest* request,
                                        v1::Referral* response) override;
  grpc::ServerUnaryReactor* ListReferrals(
      grpc::CallbackServerContext* context,
      const v1::ListReferralsRequest* request,
      v1::ListReferralsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateReferral(
      grpc::CallbackServerContext* context,
      const v1::UpdateReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* SendReferral(grpc::CallbackServerContext* context,
                                         const v1::SendReferralRequest* request,
                                         v1::Referral* response) override;
  grpc::ServerUnaryReactor* AcceptReferral(
      grpc::CallbackServerContext* context,
      const v1::AcceptReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* DeclineReferral(
      grpc::CallbackServerContext* context,
      const v1::DeclineReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* StartReferral(
      grpc::CallbackServerContext* context,
      const v1::StartReferralRequest* request, v1::Referral* response) override;
  grpc::ServerUnaryReactor* RecordReferralNotStarted(
      grpc::CallbackServerContext* context,
      const v1::RecordReferralNotStartedRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* CompleteReferral(
      grpc::CallbackServerContext* context,
      const v1::CompleteReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* WithdrawReferral(
      grpc::CallbackServerContext* context,
      const v1::WithdrawReferralRequest* request,
      v1::Referral* response) override;
  grpc::ServerUnaryReactor* ListReferralDeadlines(
      grpc::CallbackServerContext* context,
      const v1::ListReferralDeadlinesRequest* request,
      v1::ListReferralDeadlinesResponse* response) override;

  grpc::ServerWriteReactor<v1::ReferralChange>* WatchReferrals(
      grpc::CallbackServerContext* context,
      const v1::WatchReferralsRequest* request) override;
  grpc::ServerReadReactor<v1::ImportReferralsRequest>* ImportReferrals(
      grpc::CallbackServerContext* context,
      v1::ImportReferralsResponse* response) override;

 private:
  ReferralRecords& records_;
  const server::ServiceEdge edge_;
  WatchFeed& feed_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_REFERRALS_GRPC_H_
