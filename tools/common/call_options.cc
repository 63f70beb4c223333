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

}  // namespace employability::tools
