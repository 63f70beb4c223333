// The directory of the organisations that share the suite and of their staff
// users. A domain class: it knows storage, clock and ids (all passed in) and
// nothing of gRPC.
//
// Storage (service key space "partners"):
//   tenancy "global", the directory every service may read:
//     organisation:<organisation>       an organisation (v1::Organisation)
//     index:organisations               every organisation id
//     index:organisation-type:<TYPE>    organisation ids by type
//     idem:<caller's org>:<request>     creates of organisations
//     events                            organisation events
//   tenancy "o:<organisation>", that organisation's own data:
//     staff:<user>                      a staff user (v1::StaffUser)
//     index:staff                       every user id of the organisation
//     index:staff-role:<ROLE>, index:staff-team:<team>
//                                       user ids by role and by team
//     idem:<caller's org>:<request>     creates of staff users
//     events                            staff user events
// A record's etag is its store version, never stored in the record.
//
// Access: for now any caller may call any method (the caller comes from the
// call metadata, common/auth/caller.h); who may call what comes with
// verified tokens and the role × method table of issue 5.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_ORGANISATION_DIRECTORY_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_ORGANISATION_DIRECTORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "common/events/event_log.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/partners/v1/partners.pb.h"
#include "google/protobuf/message.h"

namespace employability::partners {

inline constexpr char kServiceKeyspace[] = "partners";
// The tenancy of the directory of organisations: owned by nobody, read by
// every service.
inline constexpr char kDirectoryTenancy[] = "global";
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
inline constexpr int kMaxAreasServed = 500;
inline constexpr int kMaxDisplayName = 200;
// Optimistic writes retry this often when another write got in between.
inline constexpr int kWriteAttempts = 5;

// An organisation id: 3..63 characters of [a-z0-9-], not starting with '-'.
absl::Status CheckOrganisationId(absl::string_view field, absl::string_view id);

// The name of a staff user: organisations/{organisation}/staff/{user}.
struct StaffName {
  std::string organisation;
  std::string user;
  std::string str() const;
};

class OrganisationDirectory {
 public:
  OrganisationDirectory(storage::Store& store, const Clock& clock,
                        IdSource& ids, const storage::KeyHasher& key_hasher);

  absl::StatusOr<v1::Organisation> CreateOrganisation(
      const auth::Caller& caller, const v1::CreateOrganisationRequest& request);
  absl::StatusOr<v1::Organisation> GetOrganisation(
      const auth::Caller& caller, const v1::GetOrganisationRequest& request);
  absl::StatusOr<v1::ListOrganisationsResponse> ListOrganisations(
      const auth::Caller& caller, const v1::ListOrganisationsRequest& request);
  absl::StatusOr<v1::Organisation> UpdateOrganisation(
      const auth::Caller& caller, const v1::UpdateOrganisationRequest& request);

  absl::StatusOr<v1::StaffUser> CreateStaffUser(
      const auth::Caller& caller, const v1::CreateStaffUserRequest& request);
  absl::StatusOr<v1::StaffUser> GetStaffUser(
      const auth::Caller& caller, const v1::GetStaffUserRequest& request);
  absl::StatusOr<v1::ListStaffUsersResponse> ListStaffUsers(
      const auth::Caller& caller, const v1::ListStaffUsersRequest& request);
  absl::StatusOr<v1::StaffUser> UpdateStaffUser(
      const auth::Caller& caller, const v1::UpdateStaffUserRequest& request);

  // Two reads: the staff user, then their organisation.
  absl::StatusOr<v1::StaffStatus> CheckStaffStatus(
      const auth::Caller& caller, const v1::CheckStaffStatusRequest& request);

  // OK while the store answers: the service's readiness.
  absl::Status Ready() { return store_.Ping(); }

 private:
  // CreateOrganisation is for the staff of a prime provider or commissioner
  // (or the bootstrap command, a service on its own behalf).
  absl::Status CheckMayOnboard(const auth::Caller& caller);
  // A record as read, with the version an optimistic write must check.
  template <typename Message>
  struct Loaded {
    Message message;  // etag set
    int64_t version = 0;
  };

  absl::StatusOr<Loaded<v1::Organisation>> LoadOrganisation(
      absl::string_view field, const std::string& id);
  absl::StatusOr<Loaded<v1::StaffUser>> LoadStaffUser(const StaffName& name);

  absl::StatusOr<v1::Organisation> ReplayOrganisation(
      const storage::Record& found, const std::string& fingerprint);
  absl::StatusOr<v1::StaffUser> ReplayStaffUser(const storage::Record& found,
                                                const std::string& fingerprint);
  absl::StatusOr<v1::StaffUser> CreateStaffUserOnce(
      const auth::Caller& caller, const v1::CreateStaffUserRequest& request,
      const std::string& organisation, v1::StaffUser user);

  absl::StatusOr<std::optional<v1::Organisation>> UpdateOrganisationOnce(
      const auth::Caller& caller, const v1::UpdateOrganisationRequest& request,
      const std::string& id, const std::set<std::string>& paths);
  absl::StatusOr<std::optional<v1::StaffUser>> UpdateStaffUserOnce(
      const auth::Caller& caller, const v1::UpdateStaffUserRequest& request,
      const StaffName& name, const std::set<std::string>& paths);

  // The first `page_size` records of `index` after the page token's place
  // that `take` keeps (it decodes and filters them), and the token of the
  // next page ("" on the last).
  using Take = std::function<absl::StatusOr<bool>(const std::string& id,
                                                  const storage::Record&)>;
  absl::StatusOr<std::string> Page(const storage::KeySpace& keys,
                                   absl::string_view kind,
                                   const std::string& index,
                                   const std::string& page_token,
                                   absl::string_view query, int page_size,
                                   const Take& take);

  storage::KeySpace DirectoryKeys() const;
  storage::KeySpace StaffKeys(const std::string& organisation) const;
  // Adds the event to `batch` on the tenancy's stream, and makes sure
  // consumers can find that stream.
  absl::Status AppendEvent(storage::Batch& batch, const auth::Caller& caller,
                           const std::string& tenancy,
                           const std::string& aggregate, int64_t version,
                           const google::protobuf::Message& payload);
  std::string QueryDigest(absl::string_view query) const;

  storage::Store& store_;
  const Clock& clock_;
  const storage::KeyHasher& key_hasher_;
  events::EventLog events_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_ORGANISATION_DIRECTORY_H_
