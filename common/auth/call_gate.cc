#include "common/auth/call_gate.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/auth/peer.h"
#include "common/status/macros.h"

namespace employability::auth {
namespace {

std::string Metadata(const grpc::ServerContextBase& context,
                     absl::string_view name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// A ConsentPurpose name: capitals and underscores, short.
bool IsPurposeName(absl::string_view purpose) {
  if (purpose.empty() || purpose.size() > 64) return false;
  for (char c : purpose) {
    if (!absl::ascii_isupper(c) && c != '_') return false;
  }
  return true;
}

}  // namespace

Credentials CredentialsOf(const grpc::ServerContextBase& context) {
  Credentials credentials;
  credentials.authorization = Metadata(context, "authorization");
  credentials.on_behalf_of = Metadata(context, kOnBehalfOfHeader);
  if (const auto auth_context = context.auth_context();
      auth_context != nullptr && auth_context->IsPeerAuthenticated()) {
    absl::StatusOr<std::string> peer = PeerName(*auth_context);
    if (peer.ok()) credentials.peer = *std::move(peer);
  }
  return credentials;
}

std::string PurposeOf(const grpc::ServerContextBase& context) {
  return Metadata(context, kPurposeHeader);
}

absl::StatusOr<Caller> CallGate::Admit(const Credentials& credentials,
                                       absl::string_view purpose,
                                       absl::string_view full_method) const {
  ASSIGN_OR_RETURN(Caller caller, authenticator_.Authenticate(credentials));
  if (caller.is_service()) {
    RETURN_IF_ERROR(policy_.CheckService(full_method, caller.service));
  } else {
    RETURN_IF_ERROR(policy_.Check(full_method, caller.role));
    caller.scope = policy_.ScopeOf(full_method, caller.role)
                       .value_or(v1::SCOPE_UNSPECIFIED);
  }
  if (!purpose.empty() && !IsPurposeName(purpose)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kPurposeHeader,
                     ": must be a purpose's name, such as "
                     "EQUALITY_MONITORING"));
  }
  caller.purpose = std::string(purpose);
  caller.method = std::string(full_method);
  if (!caller.user.empty()) {
    caller.user_credential = credentials.on_behalf_of.empty()
                                 ? credentials.authorization
                                 : credentials.on_behalf_of;
  }
  return caller;
}

}  // namespace employability::auth
