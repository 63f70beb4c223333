// The audit service's reading of the trail that every service appends to
// through common/audit/audit_trail.h. A domain class: it knows storage,
// clock and the key hasher (all passed in) and nothing of gRPC.
//
// Storage (written by common/audit, read here; see common/storage/keys.h):
//   employability:{<tenancy>}:audit:trail   one stream of AuditEntry per
//                                           tenancy, ids "<ms>-<seq>"
//   employability:audit:trails              every audited tenancy
//
// Reading:
//   - by participant: that participant's contract's stream only;
//   - otherwise: every audited tenancy's stream, merged oldest first. Each
//     round reads a slice of every stream that still has entries in the
//     period and keeps only what lies before the earliest unread entry of
//     any of them, so the merged order holds across pages. Entries are
//     ordered by stream id (the store's clock), ties by tenancy; the page
//     token carries the last place examined.
//   - The period selects streams' ids with kClockTolerance either side (the
//     store's clock and the acting service's may differ) and then entries
//     by their own time.
//   - A call reads at most kReadBudgetPages page sizes of entries (and at
//     least one slice of each stream), then returns what it has with a
//     token: a query that matches little returns short pages, not a long
//     call.
//
// Access: the access policy admits quality managers and organisation admins
// (services/audit/access_policy.textproto); here a caller reads only the
// trail of their own organisation's records.
#ifndef EMPLOYABILITY_SERVICES_AUDIT_AUDIT_RECORDS_H_
#define EMPLOYABILITY_SERVICES_AUDIT_AUDIT_RECORDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/audit/v1/audit.pb.h"

namespace employability::audit {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 500;
inline constexpr absl::Duration kDefaultPeriod = absl::Hours(24 * 30);
inline constexpr absl::Duration kMaxPeriod = absl::Hours(24 * 366);
// How far apart the store's clock (stream ids) and the acting services'
// (entry times) may be without an entry falling out of its period.
inline constexpr absl::Duration kClockTolerance = absl::Minutes(5);
// A call reads at most this many page sizes of entries.
inline constexpr int kReadBudgetPages = 10;

class AuditRecords {
 public:
  // All three must outlive the records.
  AuditRecords(storage::Store& store, const Clock& clock,
               const storage::KeyHasher& key_hasher)
      : store_(store), clock_(clock), key_hasher_(key_hasher) {}

  absl::StatusOr<v1::ListAuditEntriesResponse> List(
      const auth::Caller& caller, const v1::ListAuditEntriesRequest& request);

  // OK while the store answers: the service's readiness.
  absl::Status Ready() { return store_.Ping(); }

 private:
  storage::Store& store_;
  const Clock& clock_;
  const storage::KeyHasher& key_hasher_;
};

}  // namespace employability::audit

#endif  // EMPLOYABILITY_SERVICES_AUDIT_AUDIT_RECORDS_H_
