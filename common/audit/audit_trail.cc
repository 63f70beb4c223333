#include "common/audit/audit_trail.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status/macros.h"
#include "common/storage/keys.h"
#include "common/time/proto_time.h"

namespace employability::audit {
namespace {

// A fault in what a service hands the trail is that service's bug, not the
// API caller's: INTERNAL, so that it is never mistaken for bad input.
absl::Status Incomplete(absl::string_view field) {
  return absl::InternalError(
      absl::StrCat("audit entry: ", field, " must be set by the service"));
}

absl::Status CheckComplete(const v1::AuditEntry& entry) {
  if (entry.owning_organisation().empty()) {
    return Incomplete("owning_organisation");
  }
  if (entry.action() == v1::AUDIT_ACTION_UNSPECIFIED) {
    return Incomplete("action");
  }
  if (entry.method().empty()) return Incomplete("method");
  if (entry.record().empty()) return Incomplete("record");
  if (entry.outcome() == v1::AUDIT_OUTCOME_UNSPECIFIED) {
    return Incomplete("outcome");
  }
  return absl::OkStatus();
}

// The entry must commit with the write it speaks of, so every key of that
// write must share the trail's hash slot.
absl::Status CheckSameTenancy(const storage::Batch& batch,
                              const std::string& tenancy) {
  for (const storage::Batch::Step& step : batch.steps()) {
    if (storage::HashTag(step.key) != tenancy) {
      return absl::InternalError(
          absl::StrCat("audit: the batch writes outside tenancy ", tenancy,
                       ", so its entry could not commit with it"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

v1::AuditEntry AuditEntryBy(const auth::Caller& caller) {
  v1::AuditEntry entry;
  entry.set_actor_organisation(caller.organisation);
  entry.set_actor_user(caller.user);
  entry.set_actor_role(caller.role);
  entry.set_actor_service(caller.service);
  entry.set_purpose(caller.purpose);
  return entry;
}

std::string AuditEntryName(absl::string_view organisation,
                           absl::string_view entry) {
  return absl::StrCat("organisations/", organisation, "/auditEntries/", entry);
}

absl::Status AuditTrail::AddTo(storage::Batch& batch,
                               const std::string& tenancy,
                               v1::AuditEntry entry) {
  RETURN_IF_ERROR(CheckSameTenancy(batch, tenancy));
  ASSIGN_OR_RETURN(std::string payload, Stamp(tenancy, entry));
  RETURN_IF_ERROR(Register(tenancy, entry.owning_organisation()));
  batch.StreamAppend(storage::AuditStream(tenancy), std::move(payload));
  return absl::OkStatus();
}

absl::Status AuditTrail::Record(const std::string& tenancy,
                                v1::AuditEntry entry) {
  ASSIGN_OR_RETURN(std::string payload, Stamp(tenancy, entry));
  RETURN_IF_ERROR(Register(tenancy, entry.owning_organisation()));
  storage::Batch batch;
  batch.StreamAppend(storage::AuditStream(tenancy), std::move(payload));
  return store_.Commit(batch).status();
}

absl::StatusOr<std::string> AuditTrail::Stamp(const std::string& tenancy,
                                              v1::AuditEntry& entry) {
  // A tenancy names a hash slot: empty or braced text would put the trail
  // in some other slot than its data.
  if (tenancy.empty() || tenancy.find_first_of("{}") != std::string::npos) {
    return absl::InternalError(
        absl::StrCat("audit: \"", tenancy, "\" is not a tenancy"));
  }
  RETURN_IF_ERROR(CheckComplete(entry));
  entry.set_name(AuditEntryName(entry.owning_organisation(), ids_.NewId()));
  *entry.mutable_time() = ToProtoTimestamp(clock_.Now());
  return entry.SerializeAsString();
}

absl::Status AuditTrail::Register(const std::string& tenancy,
                                  const std::string& owner) {
  // A space never appears in a tenancy or an organisation id.
  const std::string pair = absl::StrCat(tenancy, " ", owner);
  {
    absl::MutexLock lock(&mu_);
    if (registered_.contains(pair)) return absl::OkStatus();
  }
  // Two keys in two slots: two writes, both idempotent.
  storage::Batch every;
  every.IndexAdd(storage::AuditStreamRegistry(), tenancy);
  RETURN_IF_ERROR(store_.Commit(every).status());
  storage::Batch owned;
  owned.IndexAdd(storage::AuditStreamRegistryOf(owner), tenancy);
  RETURN_IF_ERROR(store_.Commit(owned).status());
  absl::MutexLock lock(&mu_);
  registered_.insert(pair);
  return absl::OkStatus();
}

absl::StatusOr<v1::AuditEntry> ParseAuditEntry(const std::string& payload) {
  v1::AuditEntry entry;
  if (!entry.ParseFromString(payload)) {
    return absl::DataLossError("an audit entry is unreadable");
  }
  return entry;
}

}  // namespace employability::audit
