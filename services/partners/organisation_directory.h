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
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/partners/v1/partners.pb.h"
#include "services/partners/stored_records.h"

namespace employability::partners {

// The tenancy of the directory of organisations: owned by nobody, read by
// every service.
inline constexpr char kDirectoryTenancy[] = "global";
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
inline constexpr int kMaxDisplayName = 200;

// An organisation id: 3..63 characters of [a-z0-9-], not starting with '-'.
absl::Status CheckOrganisationId(absl::string_view field, absl::string_view id);

// The name of organisation `id`: organisations/{organisation}.
std::string OrganisationName(absl::string_view id);

// The organisation id of `name`; INVALID_ARGUMENT naming `field` when
// malformed.
absl::StatusOr<std::string> ParseOrganisationName(absl::string_view field,
                                                  absl::string_view name);

// A record an organisation keeps: organisations/{organisation}<segment>{id}.
struct OrganisationChild {
  std::string organisation;
  std::string id;
};

// `name` parsed as organisations/{organisation}<segment>{id}, where segment
// is "/staff/", "/services/"...; INVALID_ARGUMENT naming `field` when
// malformed, saying `form` when the shape is wrong.
absl::StatusOr<OrganisationChild> ParseOrganisationChild(
    absl::string_view field, absl::string_view name, absl::string_view segment,
    absl::string_view form);

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

  // Organisation `id` (already checked), read on the partners service's own
  // behalf by its other records, which checked their caller's reach
  // themselves. NOT_FOUND naming `field` when it is not in the directory.
  absl::StatusOr<v1::Organisation> ReadOrganisation(absl::string_view field,
                                                    const std::string& id);

  // OK while the store answers: the service's readiness.
  absl::Status Ready() { return store_.Ping(); }

 private:
  // CreateOrganisation is for the staff of a prime provider or commissioner
  // (or the bootstrap command, a service on its own behalf).
  absl::Status CheckMayOnboard(const auth::Caller& caller);
  // A record as read, with the version an optimistic write must check.
  template <typename Message>
  using Loaded = stored::Loaded<Message>;

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

  storage::KeySpace DirectoryKeys() const;
  storage::KeySpace StaffKeys(const std::string& organisation) const;
  std::string QueryDigest(absl::string_view query) const;

  storage::Store& store_;
  const Clock& clock_;
  const storage::KeyHasher& key_hasher_;
  stored::Events events_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_ORGANISATION_DIRECTORY_H_
