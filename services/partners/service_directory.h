// The service directory (Open Referral shape: organisation → service →
// location) with each service's live capacity, kept current by the
// organisation that provides it. A domain class: it knows storage, clock
// and ids (all passed in) and nothing of gRPC.
//
// Storage (service key space "partners", tenancy "global", beside the
// organisations: the directory is not personal data and everyone reads it):
//   service:<organisation>:<service>    a service (v1::DirectoryService),
//                                       its capacity included
//   index:services                      "<organisation>/<service>" of every
//                                       service
//   index:services-of:<organisation>    the same members, one organisation's
//   index:service-area:<DISTRICT>       the same members, by area covered
//   index:service-need:<code>           the same members, by need addressed
//   idem:<caller's org>:services:<request>
//                                       creates of services (apart from
//                                       creates of organisations)
//   events                              service events
// A record's etag is its store version, never stored in the record.
//
// Reach: anyone the access policy admits with a scope (and every service)
// reads and searches; only the providing organisation's own staff, and the
// suite's services, create, update and report capacity.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_SERVICE_DIRECTORY_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_SERVICE_DIRECTORY_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/auth/caller.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/partners/v1/service_directory.pb.h"
#include "services/partners/organisation_directory.h"
#include "services/partners/referral_terms.h"
#include "services/partners/stored_records.h"

namespace employability::partners {

inline constexpr int kMaxServiceNeeds = 50;
inline constexpr int kMaxServiceLocations = 50;
inline constexpr int kMaxPlacesAvailable = 100000;
inline constexpr int kMaxWaitingTimeDays = 3650;
// A search reads at most this many services (those of the index it walks,
// in order of name), sorts the ones that match and pages through them: the
// ordering is by waiting time, which no index keeps, so it must be bounded.
inline constexpr int kMaxSearchCandidates = 500;

// The name of a directory service: organisations/{organisation}/services/{s}.
struct ServiceName {
  std::string organisation;
  std::string service;
  std::string str() const;
  // "<organisation>/<service>": the member of the directory's indexes.
  std::string member() const;
};

// `name` parsed; INVALID_ARGUMENT naming `field` when malformed.
absl::StatusOr<ServiceName> ParseServiceName(absl::string_view field,
                                             absl::string_view name);

class ServiceDirectory : public ServiceLookup {
 public:
  // `organisations` answers whether an organisation is in the directory and
  // active.
  ServiceDirectory(storage::Store& store, const Clock& clock, IdSource& ids,
                   OrganisationDirectory& organisations);

  absl::StatusOr<v1::DirectoryService> CreateService(
      const auth::Caller& caller, const v1::CreateServiceRequest& request);
  absl::StatusOr<v1::DirectoryService> GetService(
      const auth::Caller& caller, const v1::GetServiceRequest& request);
  absl::StatusOr<v1::ListServicesResponse> ListServices(
      const auth::Caller& caller, const v1::ListServicesRequest& request);
  absl::StatusOr<v1::DirectoryService> UpdateService(
      const auth::Caller& caller, const v1::UpdateServiceRequest& request);
  absl::StatusOr<v1::DirectoryService> UpdateServiceCapacity(
      const auth::Caller& caller,
      const v1::UpdateServiceCapacityRequest& request);
  absl::StatusOr<v1::SearchServicesResponse> SearchServices(
      const auth::Caller& caller, const v1::SearchServicesRequest& request);

  // ServiceLookup, for referrals. A service of an inactive organisation is
  // listed as not accepting referrals.
  absl::StatusOr<std::optional<ListedService>> FindService(
      const std::string& name) override;

 private:
  // A record as read, with the version an optimistic write must check.
  using Loaded = stored::Loaded<v1::DirectoryService>;

  absl::StatusOr<Loaded> LoadService(absl::string_view field,
                                     const ServiceName& name);
  absl::StatusOr<v1::DirectoryService> CreateServiceOnce(
      const auth::Caller& caller, const v1::CreateServiceRequest& request,
      const ServiceName& name, v1::DirectoryService service);
  absl::StatusOr<v1::DirectoryService> ReplayService(
      const storage::Record& found, const std::string& fingerprint);
  absl::StatusOr<std::optional<v1::DirectoryService>> UpdateServiceOnce(
      const auth::Caller& caller, const v1::UpdateServiceRequest& request,
      const ServiceName& name, const std::set<std::string>& paths);
  absl::StatusOr<std::optional<v1::DirectoryService>> UpdateCapacityOnce(
      const auth::Caller& caller,
      const v1::UpdateServiceCapacityRequest& request, const ServiceName& name);

  // Up to `limit` services of `index` after the page token's place, in
  // order of member (stored::Page), and the token of what lies beyond ("" at
  // the end of the index).
  struct Walked {
    std::vector<v1::DirectoryService> services;
    std::string next_page_token;
  };
  absl::StatusOr<Walked> Walk(const std::string& index,
                              const std::string& page_token,
                              const std::string& digest, int limit);
  // The services of active organisations that match a search, unsorted,
  // from at most kMaxSearchCandidates read; `capped` when there were more.
  struct Found {
    std::vector<v1::DirectoryService> services;
    bool capped = false;
  };
  absl::StatusOr<Found> Matching(const v1::SearchServicesRequest& request,
                                 const std::string& district,
                                 const std::string& need);
  // The ids among `organisations` that are in the directory and active.
  absl::StatusOr<std::set<std::string>> ActiveOrganisations(
      const std::set<std::string>& organisations);

  storage::KeySpace Keys() const;

  storage::Store& store_;
  const Clock& clock_;
  OrganisationDirectory& organisations_;
  stored::Events events_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_SERVICE_DIRECTORY_H_
