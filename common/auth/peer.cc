#include "common/auth/peer.h"

#include <grpc/grpc_security_constants.h>

#include <vector>

namespace employability::auth {
namespace {

std::string FirstValue(const grpc::AuthContext& context, const char* name) {
  std::vector<grpc::string_ref> values = context.FindPropertyValues(name);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

}  // namespace

absl::StatusOr<std::string> PeerName(const grpc::AuthContext& context) {
  // Only a connection whose certificate was verified is authenticated.
  if (!context.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError(
        "no verified client certificate: the caller's service is unknown");
  }
  std::string name = FirstValue(context, GRPC_X509_SAN_PROPERTY_NAME);
  if (name.empty()) name = FirstValue(context, GRPC_X509_CN_PROPERTY_NAME);
  if (name.empty()) {
    return absl::UnauthenticatedError("the client certificate names no one");
  }
  return name;
}

}  // namespace employability::auth
