// ServeUnary: the one shape of every unary handler. The adapter's method
// returns ServeUnary(context, workers, [=] { ...domain call...; return status;
// }) and the status is mapped to gRPC once, here.
#ifndef EMPLOYABILITY_COMMON_SERVER_UNARY_H_
#define EMPLOYABILITY_COMMON_SERVER_UNARY_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
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

// The shape of every unary method of a service adapter: establish the
// caller, run the domain call on a worker, copy its result into the response.
//   return Serve(context, workers_, response, [=](const auth::Caller& caller) {
//     return records_.Get(caller, *request);
//   });
// `call` returns absl::StatusOr<Response>, or absl::Status for methods whose
// response is google.protobuf.Empty.
template <typename Response, typename Call>
grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                WorkerPool& workers, Response* response,
                                Call call) {
  return ServeUnary(
      context, workers, [context, response, call]() -> absl::Status {
        absl::StatusOr<auth::Caller> caller = auth::CallerFrom(*context);
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

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_UNARY_H_
