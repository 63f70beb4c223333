#include "tools/common/call_options.h"

namespace employability::tools {

void CallOptions::Apply(grpc::ClientContext* ctx) const {
  if (!organisation.empty()) {
    ctx->AddMetadata(kOrganisationHeader, organisation);
  }
  if (!user.empty()) ctx->AddMetadata(kUserHeader, user);
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + deadline);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("employability.channel_index", index);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

std::string_view StatusCodeName(grpc::StatusCode code) {
  static constexpr std::string_view kNames[kStatusCodeCount] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  int i = static_cast<int>(code);
  if (i < 0 || i >= kStatusCodeCount) return "UNKNOWN_CODE";
  return kNames[i];
}

}  // namespace employability::tools
