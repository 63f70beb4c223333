// Access grants: another organisation's access to one participant, for a
// purpose and within data categories, for a while (access_grants.proto).
//
// A participant's grants are kept together in one record beside the
// participant (kAccessGrantsRecord, like its consents), so that a grant, the
// grantee index and its event are one atomic write in the contract's hash
// slot, and so that CaseFiles::CheckReach reads them in the same round trip
// as the consents that must back them. A domain class: no gRPC.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_ACCESS_GRANT_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_ACCESS_GRANT_RECORDS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/caller.h"
#include "employability/participants/v1/access_grants.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

// Grants kept per participant, revoked and expired ones included: a
// participant is referred a handful of times, not hundreds. A new grant at
// the limit replaces the oldest one that has ended; only a participant with
// this many standing grants is refused another.
inline constexpr int kMaxGrantsPerParticipant = 100;

// Checks and normalises a grant as asked for (`prefix` is its path in the
// request): organisation, purpose, data categories (at least one, each
// once), start_time (defaults to `now`), end_time (after start_time and
// `now`), source_reference. Output-only fields are cleared. INVALID_ARGUMENT
// naming the field.
absl::Status NormaliseGrant(absl::string_view prefix, absl::Time now,
                            v1::AccessGrant& grant);

class AccessGrantRecords {
 public:
  explicit AccessGrantRecords(CaseFiles& files);

  // The calls (AccessGrants service): the enrolling organisation's, by the
  // policy's OWNING_ORGANISATION scope.
  absl::StatusOr<v1::AccessGrant> Create(
      const auth::Caller& caller, const v1::CreateAccessGrantRequest& request);
  absl::StatusOr<v1::AccessGrant> Revoke(
      const auth::Caller& caller, const v1::RevokeAccessGrantRequest& request);
  absl::StatusOr<v1::ListAccessGrantsResponse> List(
      const auth::Caller& caller, const v1::ListAccessGrantsRequest& request);

  // For the partners service's events (a referral or an allocation
  // accepted): grants `grant` (source and source_reference set) on the
  // participant `name`, once per source and reference: a redelivered event
  // gets the grant made the first time. `acting` is the caller the event
  // acts for (the partners service on its own behalf, say).
  absl::StatusOr<v1::AccessGrant> Grant(const auth::Caller& acting,
                                        const ParticipantName& name,
                                        v1::AccessGrant grant);
  // For the partners service's events (a referral or an allocation
  // closed): revokes every grant of the participant still standing for
  // `source_reference`; how many. 0 when none is left, so a redelivered
  // event changes nothing.
  absl::StatusOr<int> RevokeFor(const auth::Caller& acting,
                                const ParticipantName& name,
                                const std::string& source_reference);

 private:
  // The participant and its grants as read, with what a write must check.
  struct Loaded {
    Case c;
    v1::ListAccessGrantsResponse grants;
    int64_t grants_version = 0;             // 0: none stored yet
    std::optional<storage::Record> replay;  // the request id's first result
  };

  absl::StatusOr<Loaded> Load(const auth::Caller& caller,
                              const ParticipantName& name,
                              const std::string& request_id);
  // One attempt at adding `grant`; nullopt when another write got in first.
  absl::StatusOr<std::optional<v1::AccessGrant>> AddOnce(
      const auth::Caller& caller, const ParticipantName& name,
      const v1::AccessGrant& grant, const google::protobuf::Message* request,
      const std::string& request_id);
  // The grant a create with the same request id made first.
  absl::StatusOr<v1::AccessGrant> Replay(
      const auth::Caller& caller, const ParticipantName& name,
      const storage::Record& found, const google::protobuf::Message& request);
  // One attempt at revoking the grants `revoke` picks; the grants revoked,
  // nullopt when another write got in first.
  absl::StatusOr<std::optional<std::vector<v1::AccessGrant>>> RevokeOnce(
      const auth::Caller& caller, const ParticipantName& name,
      const std::function<absl::StatusOr<bool>(const v1::AccessGrant&)>&
          revoke);
  // The grant as returned: its state as of now.
  v1::AccessGrant Shown(v1::AccessGrant grant) const;

  CaseFiles& files_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_ACCESS_GRANT_RECORDS_H_
