// ServeUnary: the one shape of every unary handler. The adapter's method
// returns ServeUnary(context, workers, [=] { ...domain call...; return status;
// }) and the status is mapped to gRPC once, here.
#ifndef EMPLOYABILITY_COMMON_SERVER_UNARY_H_
#define EMPLOYABILITY_COMMON_SERVER_UNARY_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/call_gate.h"
#include "common/auth/caller.h"
#include "common/server/worker_pool.h"
#include "common/status/grpc_status.h"
#include "common/time/call_deadline.h"

namespace employability::server {

// The call's deadline; infinite when the caller set none.
inline absl::Time CallDeadlineOf(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) {
    return absl::InfiniteFuture();
  }
  return absl::FromChrono(deadline);
}

// Runs `work` (a callable returning absl::Status, which fills the response)
// on the worker pool and finishes the call with its status.
template <typename Work>
grpc::ServerUnaryReactor* ServeUnary(grpc::CallbackServerContext* context,
                                     WorkerPool& workers, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued =
      workers.Submit([reactor, context, work = std::move(work)]() mutable {
        // A call whose caller has given up is not worth a round trip.
        if (context->IsCancelled()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                                       "call cancelled before it was served"));
          return;
        }
        // Waits below (store round trips) end in time to answer by the
        // caller's deadline.
        CallDeadline deadline(CallDeadlineOf(*context));
        reactor->Finish(ToGrpcStatus(work()));
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "server busy; retry with backoff"));
  }
  return reactor;
}

// The edge of one gRPC service: every unary method of its adapter passes
// through Serve, which admits the caller at the service's call gate (who is
// calling, and may they call this method), runs the domain call on a worker
// and copies its result into the response.
//
//   return edge_.Serve(context, "GetParticipant", response,
//                      [=](const auth::Caller& caller) {
//                        return records_.Get(caller, *request);
//                      });
//
// `call` returns absl::StatusOr<Response>, or absl::Status for methods whose
// response is google.protobuf.Empty. `method` is the method's name as the
// proto spells it: the access policy is looked up by it, so a wrong name is
// denied to everyone (and the access-matrix test catches it).
class ServiceEdge {
 public:
  // `service` is the full service name ("employability.participants.v1.
  // Participants"); gate and workers outlive the edge.
  ServiceEdge(absl::string_view service, const auth::CallGate& gate,
              WorkerPool& workers)
      : prefix_(absl::StrCat("/", service, "/")),
        gate_(gate),
        workers_(workers) {}

  template <typename Response, typename Call>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  absl::string_view method, Response* response,
                                  Call call) const {
    return ServeUnary(
        context, workers_,
        [this, context, method, response, call]() -> absl::Status {
          absl::StatusOr<auth::Caller> caller =
              gate_.Admit(*context, absl::StrCat(prefix_, method));
          if (!caller.ok()) return caller.status();
          auto result = call(*caller);
          if constexpr (std::is_same_v<decltype(result), absl::Status>) {
            return result;
          } else {
            if (!result.ok()) return result.status();
            *response = *std::move(result);
            return absl::OkStatus();
          }
        });
  }

  // For streaming methods, which Serve does not shape: admits the caller of
  // `method` at the gate as Serve does. It may wait on the staff directory,
  // so call it from a worker, not a gRPC thread.
  absl::StatusOr<auth::Caller> Admit(const grpc::CallbackServerContext& context,
                                     absl::string_view method) const {
    return gate_.Admit(context, absl::StrCat(prefix_, method));
  }
  WorkerPool& workers() const { return workers_; }

 private:
  const std::string prefix_;  // "/<service>/"
  const auth::CallGate& gate_;
  WorkerPool& workers_;
};

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_UNARY_H_
