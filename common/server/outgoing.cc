#include "common/server/outgoing.h"

#include "absl/strings/str_cat.h"
#include "common/auth/call_gate.h"

namespace employability::server {

std::shared_ptr<grpc::Channel> OutgoingIdentity::ChannelTo(
    const std::string& address) const {
  if (!tls_.enabled()) {
    return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = tls_.client_ca;
  options.pem_private_key = tls_.private_key;
  options.pem_cert_chain = tls_.certificate_chain;
  return grpc::CreateChannel(address, grpc::SslCredentials(options));
}

absl::Status OutgoingIdentity::Authorise(
    grpc::ClientContext& context, absl::string_view user_authorization) const {
  if (token_ != nullptr) {
    absl::StatusOr<std::string> authorization = token_->Authorization();
    if (!authorization.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot make this service's token: ",
                       authorization.status().message()));
    }
    context.AddMetadata("authorization", *authorization);
  }
  if (!user_authorization.empty()) {
    context.AddMetadata(auth::kOnBehalfOfHeader,
                        std::string(user_authorization));
  }
  return absl::OkStatus();
}

}  // namespace employability::server
