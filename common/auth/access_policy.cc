#include "common/auth/access_policy.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace employability::auth {
namespace {

using ::google::protobuf::MethodDescriptor;
using ::google::protobuf::ServiceDescriptor;
using type::v1::StaffRole;

// Each allowed role (by number) with its scope.
using RoleScopes = std::map<int, v1::Scope>;

// Keeps the text parser's complaints, so that the error says where the
// table is wrong rather than only that it is.
class ParseErrors final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(line + 1, ":", column + 1, ": ", message));
  }
  std::string Joined() const { return absl::StrJoin(errors_, "; "); }

 private:
  std::vector<std::string> errors_;
};

absl::StatusOr<v1::AccessPolicy> ParseText(absl::string_view text) {
  v1::AccessPolicy policy;
  ParseErrors errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &policy)) {
    return absl::InternalError(
        absl::StrCat("access policy does not parse: ", errors.Joined()));
  }
  if (policy.services().empty()) {
    return absl::InternalError("access policy lists no services");
  }
  return policy;
}

// The name gRPC gives a call: "/package.Service/Method".
std::string FullMethod(const MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

// "Method" from "/package.Service/Method"; the whole text when it has no
// slash, so that a malformed name is still shown as given.
absl::string_view ShortName(absl::string_view full_method) {
  const size_t slash = full_method.rfind('/');
  return slash == absl::string_view::npos ? full_method
                                          : full_method.substr(slash + 1);
}

// Proto3 enums are open: the text may carry a number outside StaffRole.
bool IsStaffRole(int role) {
  return role != type::v1::STAFF_ROLE_UNSPECIFIED &&
         type::v1::StaffRole_IsValid(role);
}

std::string RoleName(int role) {
  if (!type::v1::StaffRole_IsValid(role)) return absl::StrCat("role ", role);
  return type::v1::StaffRole_Name(static_cast<StaffRole>(role));
}

absl::Status RuleError(const ServiceDescriptor& service,
                       absl::string_view method, absl::string_view problem) {
  return absl::InternalError(absl::StrCat(
      "access policy: ", service.full_name(), ".", method, ": ", problem));
}

// The rule's roles, each with the rule's scope: every one a staff role,
// none twice.
absl::StatusOr<RoleScopes> ListedRoles(const ServiceDescriptor& service,
                                       const v1::AccessRule& rule) {
  RoleScopes roles;
  for (const int role : rule.roles()) {
    if (!IsStaffRole(role)) {
      return RuleError(service, rule.method(),
                       absl::StrCat(RoleName(role), " is not a staff role"));
    }
    if (!roles.emplace(role, rule.scope()).second) {
      return RuleError(service, rule.method(),
                       absl::StrCat(RoleName(role), " is listed twice"));
    }
  }
  return roles;
}

// ListedRoles with the rule's role_scopes applied: each names a listed role,
// once, with a scope.
absl::StatusOr<RoleScopes> RoleGrants(const ServiceDescriptor& service,
                                      const v1::AccessRule& rule) {
  ASSIGN_OR_RETURN(RoleScopes roles, ListedRoles(service, rule));
  absl::flat_hash_set<int> overridden;
  for (const v1::RoleScope& role_scope : rule.role_scopes()) {
    const std::string role = RoleName(role_scope.role());
    if (roles.count(role_scope.role()) == 0) {
      return RuleError(
          service, rule.method(),
          absl::StrCat("role_scopes names ", role, ", which is not in roles"));
    }
    if (!overridden.insert(role_scope.role()).second ||
        role_scope.scope() == v1::SCOPE_UNSPECIFIED) {
      return RuleError(service, rule.method(),
                       absl::StrCat("role_scopes gives ", role,
                                    " twice or without a scope"));
    }
    roles[role_scope.role()] = role_scope.scope();
  }
  return roles;
}

}  // namespace

absl::StatusOr<AccessPolicy> AccessPolicy::Parse(
    absl::string_view text, const google::protobuf::DescriptorPool* pool) {
  ASSIGN_OR_RETURN(const v1::AccessPolicy proto, ParseText(text));
  AccessPolicy policy;
  absl::flat_hash_set<std::string> services;
  for (const v1::ServicePolicy& service : proto.services()) {
    if (!services.insert(service.service()).second) {
      return absl::InternalError(absl::StrCat(
          "access policy: service ", service.service(), " is listed twice"));
    }
    RETURN_IF_ERROR(policy.AddService(service, *pool));
  }
  return policy;
}

AccessPolicy AccessPolicy::ParseBuiltIn(absl::string_view text) {
  absl::StatusOr<AccessPolicy> policy = Parse(text);
  if (!policy.ok()) {
    std::cerr << "fatal: the built-in " << policy.status().message()
              << std::endl;
    std::abort();
  }
  return *std::move(policy);
}

absl::Status AccessPolicy::AddService(
    const v1::ServicePolicy& policy,
    const google::protobuf::DescriptorPool& pool) {
  const ServiceDescriptor* service = pool.FindServiceByName(policy.service());
  if (service == nullptr) {
    return absl::InternalError(absl::StrCat("access policy: no service named '",
                                            policy.service(), "'"));
  }
  for (const v1::AccessRule& rule : policy.rules()) {
    RETURN_IF_ERROR(AddRule(*service, rule));
  }
  // The point of the table: a method nobody wrote a rule for is a fault at
  // startup, not an RPC that is open (or silently closed) by omission.
  for (int i = 0; i < service->method_count(); ++i) {
    if (!rules_.contains(FullMethod(*service->method(i)))) {
      return RuleError(*service, service->method(i)->name(),
                       "has no rule; every method needs exactly one");
    }
  }
  return absl::OkStatus();
}

absl::Status AccessPolicy::AddRule(const ServiceDescriptor& service,
                                   const v1::AccessRule& rule) {
  const MethodDescriptor* method = service.FindMethodByName(rule.method());
  if (method == nullptr) {
    return RuleError(service, rule.method(), "no such method");
  }
  if (rule.note().empty()) {
    return RuleError(service, rule.method(), "needs a note saying why");
  }
  ASSIGN_OR_RETURN(const auto grants, RoleGrants(service, rule));
  Rule built;
  built.scope = rule.scope();
  for (const auto& [role, scope] : grants) built.grants[role] = {true, scope};
  for (const std::string& caller : rule.services()) {
    if (!CheckResourceId("services", caller).ok()) {
      return RuleError(service, rule.method(),
                       absl::StrCat("'", caller, "' is not a service name"));
    }
    built.services.push_back(caller);
  }
  if (!rules_.emplace(FullMethod(*method), built).second) {
    return RuleError(service, rule.method(), "has two rules");
  }
  return absl::OkStatus();
}

const AccessPolicy::Grant* AccessPolicy::GrantFor(absl::string_view full_method,
                                                  StaffRole role) const {
  if (!IsStaffRole(role)) return nullptr;  // also keeps the index in range
  const auto it = rules_.find(full_method);
  if (it == rules_.end()) return nullptr;
  const Grant& grant = it->second.grants[role];
  return grant.allowed ? &grant : nullptr;
}

absl::Status AccessPolicy::Check(absl::string_view full_method,
                                 StaffRole role) const {
  if (GrantFor(full_method, role) != nullptr) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(RoleName(role), " may not call ", ShortName(full_method)));
}

absl::Status AccessPolicy::CheckService(absl::string_view full_method,
                                        absl::string_view service) const {
  const auto it = rules_.find(full_method);
  if (it != rules_.end() &&
      std::find(it->second.services.begin(), it->second.services.end(),
                service) != it->second.services.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("service ", service, " may not call ",
                   ShortName(full_method), " on its own behalf"));
}

std::optional<v1::Scope> AccessPolicy::ScopeOf(
    absl::string_view full_method) const {
  const auto it = rules_.find(full_method);
  if (it == rules_.end() || it->second.scope == v1::SCOPE_UNSPECIFIED) {
    return std::nullopt;
  }
  return it->second.scope;
}

std::optional<v1::Scope> AccessPolicy::ScopeOf(absl::string_view full_method,
                                               StaffRole role) const {
  const Grant* grant = GrantFor(full_method, role);
  if (grant == nullptr || grant->scope == v1::SCOPE_UNSPECIFIED) {
    return std::nullopt;
  }
  return grant->scope;
}

std::vector<std::string> AccessPolicy::Methods() const {
  std::vector<std::string> methods;
  methods.reserve(rules_.size());
  for (const auto& [method, rule] : rules_) methods.push_back(method);
  std::sort(methods.begin(), methods.end());
  return methods;
}

}  // namespace employability::auth
