#include "tools/common/call_options.h"

#include <cstdlib>

namespace employability::tools {

void CallOptions::Apply(grpc::ClientContext* ctx) const {
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  if (!purpose.empty()) ctx->AddMetadata(kPurposeHeader, purpose);
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

namespace employability::tools {

std::string TokenFrom(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* variable = std::getenv("EMPLOYABILITY_TOKEN");
  return variable == nullptr ? "" : variable;
}

}  // namespace employability::tools
