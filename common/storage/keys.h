// The key scheme: how every Redis key in the suite is named.
//
//   employability:{<tenancy>}:<service>:<kind>[:<part>...]
//
// - <tenancy> is the hash tag: Redis Cluster places every key with the same
//   text between the braces in the same hash slot, so a record, its indexes,
//   its idempotency key and the events it emits can commit in one atomic
//   batch (MULTI/EXEC or a Lua script) on one node. One Redis today, Redis
//   Cluster tomorrow, the same keys.
// - The tenancy is the owner of the record. Participant data belongs to a
//   contract: "c:<contract id>". Organisation-wide data (a later issue) uses
//   "o:<organisation id>"; data with no owner uses "global".
// - <service> namespaces keys per service: no service reads another's keys.
// - Parts are ids the service generated or validated ([a-z0-9-] only), never
//   personal data: values that must be looked up by personal data (such as
//   the duplicate check on a National Insurance number) are hashed first.
//
// Examples (service "participants", contract "north-west-1"):
//   employability:{c:north-west-1}:participants:participant:<id>   record
//   employability:{c:north-west-1}:participants:index:all          index
//   employability:{c:north-west-1}:participants:idem:<org>:<req>   idempotency
//   employability:{c:north-west-1}:participants:events             stream
//   employability:participants:streams   the index (sorted set) of that
//   service's streams
//                                        (its own slot; written once per
//                                        tenancy, outside the atomic batch)
//   employability:{c:north-west-1}:audit:trail   the tenancy's audit trail
//   employability:audit:trails           the index of audited tenancies
#ifndef EMPLOYABILITY_COMMON_STORAGE_KEYS_H_
#define EMPLOYABILITY_COMMON_STORAGE_KEYS_H_

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace employability::storage {

// The tenancy of participant data held under a contract.
inline std::string ContractTenancy(absl::string_view contract) {
  return absl::StrCat("c:", contract);
}

// The tenancy of an organisation's own data (its staff, its settings).
inline std::string OrganisationTenancy(absl::string_view organisation) {
  return absl::StrCat("o:", organisation);
}

// Names the keys of one service within one tenancy.
class KeySpace {
 public:
  KeySpace(absl::string_view service, absl::string_view tenancy)
      : prefix_(absl::StrCat("employability:{", tenancy, "}:", service, ":")) {}

  // A record: <prefix><kind>:<id>
  std::string Record(absl::string_view kind, absl::string_view id) const {
    return absl::StrCat(prefix_, kind, ":", id);
  }
  // A record below another one: <prefix><kind>:<parent id>:<id>
  std::string Child(absl::string_view kind, absl::string_view parent_id,
                    absl::string_view id) const {
    return absl::StrCat(prefix_, kind, ":", parent_id, ":", id);
  }
  // An index: <prefix>index:<name>[:<value>]
  std::string Index(absl::string_view name) const {
    return absl::StrCat(prefix_, "index:", name);
  }
  std::string Index(absl::string_view name, absl::string_view value) const {
    return absl::StrCat(prefix_, "index:", name, ":", value);
  }
  // The idempotency key of a create, scoped per organisation.
  std::string Idempotency(absl::string_view organisation,
                          absl::string_view request_id) const {
    return absl::StrCat(prefix_, "idem:", organisation, ":", request_id);
  }
  // The service's event stream for this tenancy.
  std::string Events() const { return absl::StrCat(prefix_, "events"); }

 private:
  std::string prefix_;
};

// Derives key parts from personal data (a National Insurance number and date
// of birth, say): HMAC-SHA-256 under a secret only the services hold, in
// lower-case hex. Keys never hold the data, and without the secret nobody
// holding a copy of the database can test a guess. The secret must stay the
// same for the life of the data: parts derived under another are not found.
class KeyHasher {
 public:
  explicit KeyHasher(std::string secret) : secret_(std::move(secret)) {}
  std::string Part(absl::string_view value) const;

 private:
  std::string secret_;
};

// The set of every event stream a service has written to.
inline std::string StreamRegistry(absl::string_view service) {
  return absl::StrCat("employability:", service, ":streams");
}

// The audit trail of a tenancy: one append-only stream of
// employability.audit.v1.AuditEntry, in the tenancy's hash slot so that a
// write's entry commits in the write's own batch. Every service appends to
// it (through common/audit); only the audit service reads it.
//   employability:{c:north-west-1}:audit:trail
inline std::string AuditStream(absl::string_view tenancy) {
  return absl::StrCat("employability:{", tenancy, "}:audit:trail");
}

// The index (lexical) of every tenancy that has an audit trail, so that the
// audit service finds every stream. Its own slot; written once per tenancy
// per process, outside the atomic batch.
//   employability:audit:trails
inline std::string AuditStreamRegistry() {
  return "employability:audit:trails";
}

// The tenancies whose audit trail holds entries about records `organisation`
// owns, so that the organisation's trail is read from those streams only
// (not every tenancy's). Its own slot, written as the registry is.
//   employability:audit:trails-of:<organisation>
inline std::string AuditStreamRegistryOf(absl::string_view organisation) {
  return absl::StrCat("employability:audit:trails-of:", organisation);
}

}  // namespace employability::storage

#endif  // EMPLOYABILITY_COMMON_STORAGE_KEYS_H_
