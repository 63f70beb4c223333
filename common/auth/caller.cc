#include "common/auth/caller.h"

#include "absl/strings/str_cat.h"
#include "common/status/validation.h"

namespace employability::auth {
namespace {

absl::StatusOr<std::string> Header(const grpc::CallbackServerContext& context,
                                   const char* name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(name);
  if (it == metadata.end() || it->second.empty()) {
    return absl::UnauthenticatedError(
        absl::StrCat("missing caller identity: metadata ", name));
  }
  std::string value(it->second.data(), it->second.size());
  if (!CheckResourceId(name, value).ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("malformed caller identity: metadata ", name));
  }
  return value;
}

}  // namespace

absl::StatusOr<Caller> CallerFrom(const grpc::CallbackServerContext& context) {
  absl::StatusOr<std::string> organisation =
      Header(context, kOrganisationHeader);
  if (!organisation.ok()) return organisation.status();
  absl::StatusOr<std::string> user = Header(context, kUserHeader);
  if (!user.ok()) return user.status();
  Caller caller;
  caller.organisation = *std::move(organisation);
  caller.user = *std::move(user);
  return caller;
}

}  // namespace employability::auth
