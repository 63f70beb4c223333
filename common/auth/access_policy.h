// The role × method table of one or more services: which staff roles may
// call which RPC, and the scope of records the service then lets them reach.
//
// The table is data (employability.auth.v1.AccessPolicy in text format, one
// reviewed file per service) so that who may do what reads in one place.
// Parse checks it against the services' descriptors: a method named in the
// table must exist, and every method of a listed service must have exactly
// one rule, so an RPC added without a rule fails at startup (and in the
// service's tests) instead of being open by omission. Check fails closed: a
// method not in the table is denied to everyone.
#ifndef EMPLOYABILITY_COMMON_AUTH_ACCESS_POLICY_H_
#define EMPLOYABILITY_COMMON_AUTH_ACCESS_POLICY_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "employability/auth/v1/access_policy.pb.h"
#include "employability/type/v1/staff_role.pb.h"
#include "google/protobuf/descriptor.h"

namespace employability::auth {

class AccessPolicy {
 public:
  // Parses and validates a table. Any fault (text that does not parse, an
  // unknown service or method, a method without a rule or with two, an
  // unspecified or repeated role, a rule without a note) is INTERNAL naming
  // the service and method: the table is ours, so a fault is our bug.
  // `pool` holds the services' descriptors; tests may pass their own.
  static absl::StatusOr<AccessPolicy> Parse(
      absl::string_view text,
      const google::protobuf::DescriptorPool* pool =
          google::protobuf::DescriptorPool::generated_pool());

  // Parse for a table compiled into the binary: a fault is our bug, which
  // the service's tests catch, so it stops the process with the fault
  // rather than serve with a table nobody reviewed.
  static AccessPolicy ParseBuiltIn(absl::string_view text);

  // OK when `role` may call `full_method` ("/package.Service/Method", as
  // gRPC names it); otherwise PERMISSION_DENIED "<role> may not call
  // <Method>", including for a method not in the table.
  absl::Status Check(absl::string_view full_method,
                     type::v1::StaffRole role) const;

  // OK when the service named `service` may call `full_method` on its own
  // behalf (the rule lists it in services); PERMISSION_DENIED otherwise.
  absl::Status CheckService(absl::string_view full_method,
                            absl::string_view service) const;

  // The rule's scope; nullopt when the method is not in the table or its
  // rule declares none (a service then allows no record-level access).
  std::optional<v1::Scope> ScopeOf(absl::string_view full_method) const;

  // The scope for one role (its role_scopes entry, else the rule's);
  // nullopt when that role may not call the method or no scope is declared.
  std::optional<v1::Scope> ScopeOf(absl::string_view full_method,
                                   type::v1::StaffRole role) const;

  // Every method in the table, "/package.Service/Method", sorted.
  std::vector<std::string> Methods() const;

 private:
  struct Grant {
    bool allowed = false;
    v1::Scope scope = v1::SCOPE_UNSPECIFIED;
  };
  struct Rule {
    v1::Scope scope = v1::SCOPE_UNSPECIFIED;
    // Indexed by role number: one array read per call.
    std::array<Grant, type::v1::StaffRole_ARRAYSIZE> grants;
    std::vector<std::string> services;  // may call on their own behalf
  };

  AccessPolicy() = default;

  absl::Status AddService(const v1::ServicePolicy& policy,
                          const google::protobuf::DescriptorPool& pool);
  absl::Status AddRule(const google::protobuf::ServiceDescriptor& service,
                       const v1::AccessRule& rule);
  // The grant of `role` for `full_method`; nullptr when none.
  const Grant* GrantFor(absl::string_view full_method,
                        type::v1::StaffRole role) const;

  absl::flat_hash_map<std::string, Rule> rules_;  // by full method
};

}  // namespace employability::auth

#endif  // EMPLOYABILITY_COMMON_AUTH_ACCESS_POLICY_H_
