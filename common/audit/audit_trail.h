// Appending to the audit trail: every read or write of personal data, by
// whom, of which record, for what purpose, and whether it was allowed
// (protos/employability/audit/v1/audit.proto).
//
// Each tenancy has one append-only stream (storage::AuditStream), in the
// tenancy's hash slot:
//   - a write's entry goes into the write's own batch (AddTo), so the entry
//     is stored if and only if the write is;
//   - a read's entry, or a denied access's, is appended on its own right
//     after the read (Record). It fails with UNAVAILABLE when the store is
//     down, and the caller decides: a read of personal data that cannot be
//     audited should fail closed.
// The first entry of a tenancy (for an owning organisation) in this process
// also records the tenancy in the registry of audited tenancies
// (storage::AuditStreamRegistry) and among the owner's
// (storage::AuditStreamRegistryOf), so that the audit service reads an
// organisation's trail from the streams that hold it, not from every one.
#ifndef EMPLOYABILITY_COMMON_AUDIT_AUDIT_TRAIL_H_
#define EMPLOYABILITY_COMMON_AUDIT_AUDIT_TRAIL_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/caller.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/audit/v1/audit.pb.h"

namespace employability::audit {

// An entry with the caller's side filled in: organisation, user, role,
// calling service and declared purpose. The service adds the action,
// method, record, participant, owning organisation and outcome.
v1::AuditEntry AuditEntryBy(const auth::Caller& caller);

class AuditTrail {
 public:
  // All three must outlive the trail.
  AuditTrail(storage::Store& store, const Clock& clock, IdSource& ids)
      : store_(store), clock_(clock), ids_(ids) {}

  // A write of personal data: adds `entry` (its time and name set here) to
  // `batch`, whose keys all lie in `tenancy` (storage/keys.h), so the entry
  // is stored if and only if the write is. INTERNAL for an entry that lacks
  // what the trail needs (owning_organisation, action, method, record,
  // outcome) or a batch with keys outside `tenancy`: the calling service's
  // bug. UNAVAILABLE when the tenancy cannot be registered.
  absl::Status AddTo(storage::Batch& batch, const std::string& tenancy,
                     v1::AuditEntry entry);

  // A read, or a denied access: appends `entry` (its time and name set
  // here) on its own, right after. UNAVAILABLE when the store is down (the
  // caller decides; participants will fail the read closed); INTERNAL as
  // AddTo.
  absl::Status Record(const std::string& tenancy, v1::AuditEntry entry);

 private:
  // Checks the entry, sets its name and time, and returns what is stored.
  absl::StatusOr<std::string> Stamp(const std::string& tenancy,
                                    v1::AuditEntry& entry);
  // Records the tenancy in the registry of audited tenancies, and among
  // the tenancies holding entries `owner` reads back: two writes per
  // tenancy and owner per process, cheap afterwards.
  absl::Status Register(const std::string& tenancy, const std::string& owner);

  storage::Store& store_;
  const Clock& clock_;
  IdSource& ids_;
  absl::Mutex mu_;
  // "<tenancy> <owner>" pairs registered by this process.
  absl::flat_hash_set<std::string> registered_ ABSL_GUARDED_BY(mu_);
};

// Decodes a stream entry's payload; DATA_LOSS when it is not an AuditEntry.
absl::StatusOr<v1::AuditEntry> ParseAuditEntry(const std::string& payload);

// "organisations/{organisation}/auditEntries/{entry}".
std::string AuditEntryName(absl::string_view organisation,
                           absl::string_view entry);

}  // namespace employability::audit

#endif  // EMPLOYABILITY_COMMON_AUDIT_AUDIT_TRAIL_H_
