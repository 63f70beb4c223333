#include "services/participants/access_grant_records.h"

#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "employability/participants/v1/participant_events.pb.h"

namespace employability::participants {
namespace {

// Removes the oldest grant that is revoked or past its end; false when every
// grant still stands (or is still to start).
bool DropOldestEnded(
    absl::Time now,
    google::protobuf::RepeatedPtrField<v1::AccessGrant>& grants) {
  for (int i = 0; i < grants.size(); ++i) {
    const v1::AccessGrant& grant = grants[i];
    if (grant.has_revoke_time() ||
        FromProtoTimestamp(grant.end_time()) <= now) {
      grants.DeleteSubrange(i, 1);
      return true;
    }
  }
  return false;
}

// Grants are named like the items of a case, though kept in one record.
constexpr ItemKind kGrantNames{"access-grant", "accessGrants", v1::IDENTITY};

// The latest instant a Timestamp may hold (9999-12-31T23:59:59Z).
constexpr int64_t kMaxTimestampSeconds = 253402300799;

absl::Status CheckTimestamp(absl::string_view field,
                            const google::protobuf::Timestamp& t) {
  if (t.seconds() < 0 || t.seconds() > kMaxTimestampSeconds || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return InvalidField(field, "must be a valid time after 1970");
  }
  return absl::OkStatus();
}

absl::Status CheckCategories(absl::string_view field,
                             const v1::AccessGrant& grant) {
  if (grant.data_categories().empty()) return RequiredField(field);
  for (int i = 0; i < grant.data_categories_size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    const int category = grant.data_categories(i);
    if (category == v1::DATA_CATEGORY_UNSPECIFIED ||
        !v1::DataCategory_IsValid(category)) {
      return InvalidField(item, "must be one of the listed categories");
    }
    for (int j = 0; j < i; ++j) {
      if (grant.data_categories(j) == category) {
        return InvalidField(item, absl::StrCat("repeats ", field, "[", j, "]"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPeriod(absl::string_view prefix, absl::Time now,
                         v1::AccessGrant& grant) {
  const std::string start_field = absl::StrCat(prefix, ".start_time");
  const std::string end_field = absl::StrCat(prefix, ".end_time");
  if (grant.has_start_time()) {
    RETURN_IF_ERROR(CheckTimestamp(start_field, grant.start_time()));
  } else {
    *grant.mutable_start_time() = ToProtoTimestamp(now);
  }
  if (!grant.has_end_time()) return RequiredField(end_field);
  RETURN_IF_ERROR(CheckTimestamp(end_field, grant.end_time()));
  const absl::Time end = FromProtoTimestamp(grant.end_time());
  if (end <= FromProtoTimestamp(grant.start_time())) {
    return InvalidField(end_field, "must be after start_time");
  }
  if (end <= now) return InvalidField(end_field, "must be in the future");
  return absl::OkStatus();
}

// Whether `organisation` still holds a grant on the participant that is not
// revoked (the grantee index keeps the participant while it does).
bool HoldsUnrevoked(const v1::ListAccessGrantsResponse& grants,
                    const std::string& organisation) {
  for (const v1::AccessGrant& grant : grants.access_grants()) {
    if (grant.organisation() == organisation && !grant.has_revoke_time()) {
      return true;
    }
  }
  return false;
}

v1::AccessGrantCreated CreatedEvent(const ParticipantName& name,
                                    const v1::AccessGrant& grant) {
  v1::AccessGrantCreated event;
  event.set_participant(name.str());
  event.set_access_grant(grant.name());
  event.set_organisation(grant.organisation());
  event.set_purpose(grant.purpose());
  *event.mutable_data_categories() = grant.data_categories();
  *event.mutable_start_time() = grant.start_time();
  *event.mutable_end_time() = grant.end_time();
  event.set_source(grant.source());
  event.set_source_reference(grant.source_reference());
  return event;
}

v1::AccessGrantRevoked RevokedEvent(const ParticipantName& name,
                                    const v1::AccessGrant& grant) {
  v1::AccessGrantRevoked event;
  event.set_participant(name.str());
  event.set_access_grant(grant.name());
  event.set_organisation(grant.organisation());
  event.set_purpose(grant.purpose());
  event.set_source(grant.source());
  event.set_source_reference(grant.source_reference());
  return event;
}

absl::Status GrantsConflict() {
  return Conflict("participant's access grants");
}

}  // namespace

absl::Status NormaliseGrant(absl::string_view prefix, absl::Time now,
                            v1::AccessGrant& grant) {
  const auto field = [prefix](absl::string_view name) {
    return absl::StrCat(prefix, ".", name);
  };
  RETURN_IF_ERROR(CheckResourceId(field("organisation"), grant.organisation()));
  if (grant.purpose() == v1::CONSENT_PURPOSE_UNSPECIFIED) {
    return RequiredField(field("purpose"));
  }
  if (!v1::ConsentPurpose_IsValid(grant.purpose())) {
    return InvalidField(field("purpose"), "must be one of the listed purposes");
  }
  RETURN_IF_ERROR(CheckCategories(field("data_categories"), grant));
  RETURN_IF_ERROR(CheckPeriod(prefix, now, grant));
  if (!grant.source_reference().empty()) {
    RETURN_IF_ERROR(
        CheckResourceId(field("source_reference"), grant.source_reference()));
  }
  // Output only: ours to set.
  grant.clear_name();
  grant.clear_create_time();
  grant.clear_created_by();
  grant.clear_revoke_time();
  grant.clear_revoked_by();
  grant.clear_state();
  return absl::OkStatus();
}

AccessGrantRecords::AccessGrantRecords(CaseFiles& files) : files_(files) {}

v1::AccessGrant AccessGrantRecords::Shown(v1::AccessGrant grant) const {
  grant.set_state(GrantState(grant, files_.Now()));
  return grant;
}

absl::StatusOr<AccessGrantRecords::Loaded> AccessGrantRecords::Load(
    const auth::Caller& caller, const ParticipantName& name,
    const std::string& request_id) {
  const storage::KeySpace keys = files_.Keys(name.contract);
  std::vector<std::string> wanted = {
      keys.Record(kParticipantRecord, name.participant),
      files_.GrantsKey(name)};
  if (!request_id.empty()) {
    wanted.push_back(keys.Idempotency(caller.organisation, request_id));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   files_.store().GetMany(wanted));
  Loaded loaded;
  // A retry replays the first result before any rule is applied again.
  if (records.size() > 2 && records[2].has_value()) {
    loaded.replay = std::move(records[2]);
    return loaded;
  }
  // Grants are about the whole participant, so IDENTITY; the policy's
  // OWNING_ORGANISATION scope keeps them to the enrolling organisation.
  ASSIGN_OR_RETURN(loaded.c,
                   files_.CaseOf(caller, name, records[0], v1::IDENTITY));
  if (records[1].has_value()) {
    if (!loaded.grants.ParseFromString(records[1]->value)) {
      return absl::DataLossError("a stored record is unreadable");
    }
    loaded.grants_version = records[1]->version;
  }
  return loaded;
}

// ---- Create

absl::StatusOr<v1::AccessGrant> AccessGrantRecords::Create(
    const auth::Caller& caller, const v1::CreateAccessGrantRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_access_grant()) return RequiredField("access_grant");
  v1::AccessGrant grant = request.access_grant();
  RETURN_IF_ERROR(NormaliseGrant("access_grant", files_.Now(), grant));
  grant.set_source(v1::ADMIN_CALL);
  RETURN_IF_ERROR(files_.RegisterStream(name.contract));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(
        std::optional<v1::AccessGrant> added,
        AddOnce(caller, name, grant, &request, request.request_id()));
    if (added.has_value()) return *std::move(added);
  }
  return GrantsConflict();
}

absl::StatusOr<v1::AccessGrant> AccessGrantRecords::Grant(
    const auth::Caller& acting, const ParticipantName& name,
    v1::AccessGrant grant) {
  if (grant.source() == v1::ACCESS_GRANT_SOURCE_UNSPECIFIED ||
      !v1::AccessGrantSource_IsValid(grant.source())) {
    return InvalidField("access_grant.source",
                        "must be one of the listed sources");
  }
  if (grant.source_reference().empty()) {
    return RequiredField("access_grant.source_reference");
  }
  RETURN_IF_ERROR(NormaliseGrant("access_grant", files_.Now(), grant));
  RETURN_IF_ERROR(files_.RegisterStream(name.contract));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<v1::AccessGrant> added,
                     AddOnce(acting, name, grant, nullptr, ""));
    if (added.has_value()) return *std::move(added);
  }
  return GrantsConflict();
}

absl::StatusOr<std::optional<v1::AccessGrant>> AccessGrantRecords::AddOnce(
    const auth::Caller& caller, const ParticipantName& name,
    const v1::AccessGrant& grant, const google::protobuf::Message* request,
    const std::string& request_id) {
  ASSIGN_OR_RETURN(Loaded loaded, Load(caller, name, request_id));
  if (loaded.replay.has_value()) {
    return Replay(caller, name, *loaded.replay, *request);
  }
  RETURN_IF_ERROR(files_.CheckNotErased(loaded.c.participant));
  if (grant.organisation() == loaded.c.participant.enrolling_organisation()) {
    return InvalidField("access_grant.organisation",
                        "is the enrolling organisation, which reaches the "
                        "participant without a grant");
  }
  // An event delivered again finds the grant it made the first time (and
  // reads it: nothing is written).
  if (request == nullptr) {
    for (const v1::AccessGrant& held : loaded.grants.access_grants()) {
      if (held.source() == grant.source() &&
          held.source_reference() == grant.source_reference()) {
        RETURN_IF_ERROR(files_.AuditRead(
            caller, AuditedRecordOf(loaded.c.participant, held.name())));
        return Shown(held);
      }
    }
  }
  if (loaded.grants.access_grants_size() >= kMaxGrantsPerParticipant) {
    // The oldest grant that no longer stands makes room: its making and
    // ending stay in the event stream and the audit trail.
    DropOldestEnded(files_.Now(), *loaded.grants.mutable_access_grants());
  }
  if (loaded.grants.access_grants_size() >= kMaxGrantsPerParticipant) {
    return absl::FailedPreconditionError(absl::StrCat(
        "parent: the participant already holds ", kMaxGrantsPerParticipant,
        " access grants, the most kept"));
  }
  v1::AccessGrant made = grant;
  made.set_name(ItemName{name, files_.NewId()}.str(kGrantNames));
  *made.mutable_create_time() = ToProtoTimestamp(files_.Now());
  made.set_created_by(caller.user);
  *loaded.grants.add_access_grants() = made;

  const storage::KeySpace keys = files_.Keys(name.contract);
  const std::string grants_key = files_.GrantsKey(name);
  storage::Batch batch;
  int guard = -1;
  if (request != nullptr) {
    // The idempotency record keeps only the name (see CreateItem).
    v1::AccessGrant first;
    first.set_name(made.name());
    guard = idempotency::Guard(
        batch, keys.Idempotency(caller.organisation, request_id),
        idempotency::Fingerprint(*request), first);
  }
  // Not onto a participant deleted or erased meanwhile.
  files_.ExpectParticipant(batch, loaded.c);
  if (loaded.grants_version == 0) {
    batch.ExpectAbsent(grants_key);
  } else {
    batch.ExpectVersion(grants_key, loaded.grants_version);
  }
  batch.Put(grants_key, loaded.grants.SerializeAsString());
  batch.IndexAdd(keys.Index(kGranteeIndex, made.organisation()),
                 name.participant);
  files_.AppendParticipantEvent(batch, caller, loaded.c,
                                CreatedEvent(name, made));
  ASSIGN_OR_RETURN(
      storage::BatchResult result,
      files_.CommitAudited(batch, caller, audit::v1::CREATE,
                           AuditedRecordOf(loaded.c.participant, made.name())));
  if (result.committed) return Shown(made);
  if (guard >= 0 && result.failed_step == guard) {
    return Replay(caller, name, *result.found, *request);
  }
  return std::nullopt;  // another write got in first: read again
}

absl::StatusOr<v1::AccessGrant> AccessGrantRecords::Replay(
    const auth::Caller& caller, const ParticipantName& name,
    const storage::Record& found, const google::protobuf::Message& request) {
  v1::AccessGrant first;
  RETURN_IF_ERROR(idempotency::Replay(found, idempotency::Fingerprint(request),
                                      "request_id", &first));
  ASSIGN_OR_RETURN(Loaded now, Load(caller, name, ""));
  for (const v1::AccessGrant& grant : now.grants.access_grants()) {
    if (grant.name() != first.name()) continue;
    // A replay writes nothing: it reads the grant the first call made.
    RETURN_IF_ERROR(files_.AuditRead(
        caller, AuditedRecordOf(now.c.participant, grant.name())));
    return Shown(grant);
  }
  return absl::NotFoundError(absl::StrCat(first.name(), " not found"));
}

// ---- Revoke

absl::StatusOr<v1::AccessGrant> AccessGrantRecords::Revoke(
    const auth::Caller& caller, const v1::RevokeAccessGrantRequest& request) {
  ASSIGN_OR_RETURN(ItemName name,
                   ParseItemName("name", request.name(), kGrantNames));
  const std::string wanted = name.str(kGrantNames);
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(
        auto revoked,
        RevokeOnce(
            caller, name.participant,
            [&wanted](const v1::AccessGrant& grant) -> absl::StatusOr<bool> {
              if (grant.name() != wanted) return false;
              if (grant.has_revoke_time()) {
                return absl::FailedPreconditionError(
                    "name: the access grant is already revoked");
              }
              return true;
            }));
    if (!revoked.has_value()) continue;  // another write got in first
    if (revoked->empty()) {
      return absl::NotFoundError(absl::StrCat(wanted, " not found"));
    }
    return Shown(revoked->front());
  }
  return GrantsConflict();
}

absl::StatusOr<int> AccessGrantRecords::RevokeFor(
    const auth::Caller& acting, const ParticipantName& name,
    const std::string& source_reference) {
  RETURN_IF_ERROR(CheckResourceId("source_reference", source_reference));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(
        auto revoked,
        RevokeOnce(acting, name,
                   [&source_reference](
                       const v1::AccessGrant& grant) -> absl::StatusOr<bool> {
                     return grant.source_reference() == source_reference &&
                            !grant.has_revoke_time();
                   }));
    if (revoked.has_value()) return static_cast<int>(revoked->size());
  }
  return GrantsConflict();
}

absl::StatusOr<std::optional<std::vector<v1::AccessGrant>>>
AccessGrantRecords::RevokeOnce(
    const auth::Caller& caller, const ParticipantName& name,
    const std::function<absl::StatusOr<bool>(const v1::AccessGrant&)>& revoke) {
  ASSIGN_OR_RETURN(Loaded loaded, Load(caller, name, ""));
  const google::protobuf::Timestamp now = ToProtoTimestamp(files_.Now());
  std::vector<v1::AccessGrant> revoked;
  for (v1::AccessGrant& grant : *loaded.grants.mutable_access_grants()) {
    ASSIGN_OR_RETURN(bool picked, revoke(grant));
    if (!picked) continue;
    *grant.mutable_revoke_time() = now;
    grant.set_revoked_by(caller.user);
    revoked.push_back(grant);
  }
  if (revoked.empty()) return revoked;  // nothing to write
  // Only the grants record: a revocation holds whatever else the
  // participant's record went through meanwhile (even erasure).
  const std::string grants_key = files_.GrantsKey(name);
  const storage::KeySpace keys = files_.Keys(name.contract);
  storage::Batch batch;
  batch.ExpectVersion(grants_key, loaded.grants_version);
  batch.Put(grants_key, loaded.grants.SerializeAsString());
  std::set<std::string> organisations;
  for (const v1::AccessGrant& grant : revoked) {
    organisations.insert(grant.organisation());
    files_.AppendParticipantEvent(batch, caller, loaded.c,
                                  RevokedEvent(name, grant));
  }
  for (const std::string& organisation : organisations) {
    if (!HoldsUnrevoked(loaded.grants, organisation)) {
      batch.IndexRemove(keys.Index(kGranteeIndex, organisation),
                        name.participant);
    }
  }
  RETURN_IF_ERROR(files_.RegisterStream(name.contract));
  // One entry for the participant: the grant revoked, or their grants when
  // an event revokes several at once.
  const std::string record = revoked.size() == 1
                                 ? revoked.front().name()
                                 : absl::StrCat(name.str(), "/accessGrants");
  ASSIGN_OR_RETURN(
      storage::BatchResult result,
      files_.CommitAudited(batch, caller, audit::v1::UPDATE,
                           AuditedRecordOf(loaded.c.participant, record)));
  if (!result.committed) return std::nullopt;
  return revoked;
}

// ---- List

absl::StatusOr<v1::ListAccessGrantsResponse> AccessGrantRecords::List(
    const auth::Caller& caller, const v1::ListAccessGrantsRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  ASSIGN_OR_RETURN(Loaded loaded, Load(caller, name, ""));
  v1::ListAccessGrantsResponse response;
  for (const v1::AccessGrant& stored : loaded.grants.access_grants()) {
    v1::AccessGrant grant = Shown(stored);
    if (request.include_inactive() || grant.state() == v1::PENDING ||
        grant.state() == v1::ACTIVE) {
      *response.add_access_grants() = std::move(grant);
    }
  }
  RETURN_IF_ERROR(files_.AuditRead(
      caller, AuditedRecordOf(loaded.c.participant,
                              absl::StrCat(name.str(), "/accessGrants"))));
  return response;
}

}  // namespace employability::participants
