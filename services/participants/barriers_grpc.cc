#include "services/participants/barriers_grpc.h"

#include "common/logging/log.h"
#include "common/server/unary.h"
#include "employability/participants/v1/barriers.grpc.pb.h"
#include "services/participants/barrier_records.h"
#include "services/participants/catalogues.h"

namespace employability::participants {
namespace {

class BarriersService final : public v1::Barriers::CallbackService {
 public:
  BarriersService(BarrierRecords& records, server::ServiceEdge edge)
      : records_(records), edge_(std::move(edge)) {}

  grpc::ServerUnaryReactor* ListBarrierTypes(
      grpc::CallbackServerContext* context,
      const v1::ListBarrierTypesRequest* /*request*/,
      v1::ListBarrierTypesResponse* response) override {
    return edge_.Serve(
        context, "ListBarrierTypes", response, [this](const auth::Caller&) {
          return absl::StatusOr<v1::ListBarrierTypesResponse>(records_.Types());
        });
  }
  grpc::ServerUnaryReactor* CreateBarrier(
      grpc::CallbackServerContext* context,
      const v1::CreateBarrierRequest* request, v1::Barrier* response) override {
    return edge_.Serve(context, "CreateBarrier", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Create(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* GetBarrier(grpc::CallbackServerContext* context,
                                       const v1::GetBarrierRequest* request,
                                       v1::Barrier* response) override {
    return edge_.Serve(context, "GetBarrier", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Get(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* ListBarriers(
      grpc::CallbackServerContext* context,
      const v1::ListBarriersRequest* request,
      v1::ListBarriersResponse* response) override {
    return edge_.Serve(context, "ListBarriers", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.List(caller, *request);
                       });
  }
  grpc::ServerUnaryReactor* UpdateBarrier(
      grpc::CallbackServerContext* context,
      const v1::UpdateBarrierRequest* request, v1::Barrier* response) override {
    return edge_.Serve(context, "UpdateBarrier", response,
                       [this, request](const auth::Caller& caller) {
                         return records_.Update(caller, *request);
                       });
  }

 private:
  BarrierRecords& records_;
  const server::ServiceEdge edge_;
};

class BarriersModule final : public server::ServiceModule {
 public:
  BarriersModule(CaseFiles& files, v1::ListBarrierTypesResponse catalogue,
                 server::ServiceEdge edge)
      : files_(files),
        records_(files, std::move(catalogue)),
        service_(records_, std::move(edge)) {}

  std::vector<server::HostedService> Services() override {
    return {{&service_, v1::Barriers::service_full_name(),
             [this] { return files_.Ready(); }}};
  }

 private:
  CaseFiles& files_;
  BarrierRecords records_;
  BarriersService service_;
};

}  // namespace

std::unique_ptr<server::ServiceModule> NewBarriersModule(
    CaseFiles& files, const server::ServiceDeps& deps,
    const auth::CallGate& gate) {
  absl::StatusOr<v1::ListBarrierTypesResponse> catalogue =
      ParseBarrierTypes(BarrierTypesText());
  // The catalogue is compiled in: a bad one is a build that must not ship.
  if (!catalogue.ok()) EMP_LOG(FATAL) << catalogue.status();
  return std::make_unique<BarriersModule>(
      files, *std::move(catalogue),
      server::ServiceEdge(v1::Barriers::service_full_name(), gate,
                          deps.workers));
}

}  // namespace employability::participants
