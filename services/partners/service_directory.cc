#include "services/partners/service_directory.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/postcode.h"

namespace employability::partners {
namespace {

using google::protobuf::RepeatedPtrField;
using storage::Batch;
using storage::BatchResult;
using storage::KeySpace;
using v1::DirectoryService;
using v1::ServiceLocation;

// Record kinds and indexes within the service's key space.
constexpr char kService[] = "service";
constexpr char kServices[] = "services";
constexpr char kServicesOf[] = "services-of";
constexpr char kServiceArea[] = "service-area";
constexpr char kServiceNeed[] = "service-need";
// OrganisationDirectory's record kind, in the same key space and tenancy: a
// search reads the organisations of its matches in one round trip rather
// than one call each.
constexpr char kOrganisationRecord[] = "organisation";
constexpr char kOrganisationsPrefix[] = "organisations/";
constexpr absl::string_view kServicesSegment = "/services/";
constexpr char kServiceNameForm[] =
    "must be organisations/{organisation}/services/{service}";
// The parent of ListServices that stands for every organisation (AIP-159).
constexpr char kEveryOrganisation[] = "organisations/-";
constexpr int kMaxAddressLines = 4;
constexpr int kMaxLineLength = 200;
constexpr int kMaxDescription = 4000;
constexpr int kMaxEligibility = 2000;
constexpr int kMaxReferralCriteria = 2000;
// The length of the query digest in this directory's page tokens: tokens
// already issued must keep working.
constexpr size_t kDigestLength = 16;

// The idempotency key of a create. "services:" keeps these request ids apart
// from those of organisation creates, which share the key space and tenancy
// (a request id never holds ':').
std::string CreateGuardKey(const KeySpace& keys, const auth::Caller& caller,
                           absl::string_view request_id) {
  return keys.Idempotency(caller.organisation,
                          absl::StrCat("services:", request_id));
}

// Who reported a capacity: a member of staff, or one of the suite's services.
std::string ReporterOf(const auth::Caller& caller) {
  if (caller.user.empty()) return absl::StrCat("services/", caller.service);
  return absl::StrCat(kOrganisationsPrefix, caller.organisation, "/staff/",
                      caller.user);
}

// ---- Reach

// The directory is public within the suite: whoever the access policy let
// through with a scope reads it.
absl::Status CheckMayRead(const auth::Caller& caller) {
  if (caller.is_service() || caller.scope != auth::v1::SCOPE_UNSPECIFIED) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      "the service directory is read with a scope the access policy grants; "
      "this call has none");
}

// Only the providing organisation keeps its services. Checked before any
// read, so the answer is the same whether or not the service exists.
absl::Status CheckMayChange(const auth::Caller& caller,
                            absl::string_view organisation) {
  if (caller.is_service()) return absl::OkStatus();
  if (caller.organisation == organisation &&
      caller.scope != auth::v1::SCOPE_UNSPECIFIED) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the services of organisations/", organisation,
                   " are kept only by its own staff: organisation ",
                   caller.organisation, " may not change them"));
}

// ---- Names

// The key of the service an index member names; one this class never
// wrote names no record.
std::string ServiceKey(const KeySpace& keys, absl::string_view member) {
  const size_t slash = member.find('/');
  if (slash == absl::string_view::npos) return keys.Child(kService, "-", "-");
  return keys.Child(kService, member.substr(0, slash),
                    member.substr(slash + 1));
}

// ---- Validation

absl::Status CheckCapacity(absl::string_view places_field, int places,
                           absl::string_view waiting_field, int waiting_days) {
  if (places < 0 || places > kMaxPlacesAvailable) {
    return InvalidField(places_field,
                        absl::StrCat("must be 0..", kMaxPlacesAvailable));
  }
  if (waiting_days < 0 || waiting_days > kMaxWaitingTimeDays) {
    return InvalidField(waiting_field,
                        absl::StrCat("must be 0..", kMaxWaitingTimeDays));
  }
  return absl::OkStatus();
}

// Barrier type codes, trimmed and in lower case, each once in the order
// first given; at least one.
absl::Status NormaliseNeeds(absl::string_view field,
                            RepeatedPtrField<std::string>& needs) {
  if (needs.empty()) return RequiredField(field);
  if (needs.size() > kMaxServiceNeeds) {
    return InvalidField(
        field, absl::StrCat("must list at most ", kMaxServiceNeeds, " needs"));
  }
  std::vector<std::string> kept;
  std::set<std::string> seen;
  for (int i = 0; i < needs.size(); ++i) {
    std::string need =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(needs[i]));
    RETURN_IF_ERROR(CheckResourceId(absl::StrCat(field, "[", i, "]"), need));
    if (seen.insert(need).second) kept.push_back(std::move(need));
  }
  needs.Clear();
  for (std::string& need : kept) needs.Add(std::move(need));
  return absl::OkStatus();
}

// Postcode districts as every record holds them; a service covers at least
// one.
absl::Status NormaliseAreas(absl::string_view field,
                            RepeatedPtrField<std::string>& areas) {
  if (areas.empty()) return RequiredField(field);
  return stored::NormaliseAreas(field, areas);
}

absl::Status NormaliseLocation(absl::string_view prefix,
                               ServiceLocation& location) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "name"), location.name(),
                            kMaxLineLength, /*required=*/false));
  const std::string lines_field = FieldPath(prefix, "address_lines");
  if (location.address_lines_size() > kMaxAddressLines) {
    return InvalidField(lines_field, absl::StrCat("must be at most ",
                                                  kMaxAddressLines, " lines"));
  }
  for (int i = 0; i < location.address_lines_size(); ++i) {
    RETURN_IF_ERROR(CheckText(absl::StrCat(lines_field, "[", i, "]"),
                              location.address_lines(i), kMaxLineLength,
                              /*required=*/true));
  }
  const std::string mode_field = FieldPath(prefix, "delivery_mode");
  if (location.delivery_mode() == ServiceLocation::DELIVERY_MODE_UNSPECIFIED) {
    return RequiredField(mode_field);
  }
  if (!ServiceLocation::DeliveryMode_IsValid(location.delivery_mode())) {
    return InvalidField(mode_field, "must be one of the listed delivery modes");
  }
  const std::string postcode_field = FieldPath(prefix, "postcode");
  if (location.postcode().empty()) {
    // Somewhere to turn up is what an in-person service must say.
    if (location.delivery_mode() == ServiceLocation::IN_PERSON) {
      return RequiredField(postcode_field);
    }
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(
      validation::Postcode postcode,
      validation::NormalisePostcode(postcode_field, location.postcode()));
  location.set_postcode(std::move(postcode.normalised));
  return absl::OkStatus();
}

// Checks and normalises the fields a caller sets (not the output-only ones,
// nor capacity, which has its own rules).
absl::Status NormaliseService(absl::string_view prefix,
                              DirectoryService& service) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "display_name"),
                            service.display_name(), kMaxDisplayName,
                            /*required=*/true));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "description"),
                            service.description(), kMaxDescription,
                            /*required=*/false));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "eligibility"),
                            service.eligibility(), kMaxEligibility,
                            /*required=*/false));
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "referral_criteria"),
                            service.referral_criteria(), kMaxReferralCriteria,
                            /*required=*/false));
  RETURN_IF_ERROR(
      NormaliseNeeds(FieldPath(prefix, "needs"), *service.mutable_needs()));
  RETURN_IF_ERROR(
      NormaliseAreas(FieldPath(prefix, "areas"), *service.mutable_areas()));
  const std::string locations_field = FieldPath(prefix, "locations");
  if (service.locations_size() > kMaxServiceLocations) {
    return InvalidField(
        locations_field,
        absl::StrCat("must list at most ", kMaxServiceLocations, " locations"));
  }
  for (int i = 0; i < service.locations_size(); ++i) {
    RETURN_IF_ERROR(
        NormaliseLocation(absl::StrCat(locations_field, "[", i, "]"),
                          *service.mutable_locations(i)));
  }
  return absl::OkStatus();
}

// A search's area: a district as given, or a full postcode's district.
absl::StatusOr<std::string> SearchDistrict(absl::string_view area) {
  absl::StatusOr<std::string> district =
      validation::NormalisePostcodeDistrict("area", area);
  if (district.ok()) return district;
  absl::StatusOr<validation::Postcode> postcode =
      validation::NormalisePostcode("area", area);
  if (postcode.ok()) return std::move(postcode->outward);
  return InvalidField("area",
                      "must be a postcode district (\"M1\") or a full "
                      "postcode (\"M1 1AE\")");
}

// ---- Events and indexes

v1::DirectoryServiceFacts FactsOf(const DirectoryService& service,
                                  const ServiceName& name) {
  v1::DirectoryServiceFacts facts;
  facts.set_service(service.name());
  facts.set_organisation(absl::StrCat(kOrganisationsPrefix, name.organisation));
  facts.set_display_name(service.display_name());
  *facts.mutable_needs() = service.needs();
  *facts.mutable_areas() = service.areas();
  facts.set_places_available(service.capacity().places_available());
  facts.set_waiting_time_days(service.capacity().waiting_time_days());
  facts.set_accepting_referrals(service.accepting_referrals());
  return facts;
}

std::set<std::string> SetOf(const RepeatedPtrField<std::string>& values) {
  return std::set<std::string>(values.begin(), values.end());
}

// Moves `member` from the indexes of values only in `before` to those of
// values only in `after`.
void Reindex(Batch& batch, const KeySpace& keys, absl::string_view index,
             const std::string& member, const std::set<std::string>& before,
             const std::set<std::string>& after) {
  for (const std::string& value : before) {
    if (after.count(value) == 0)
      batch.IndexRemove(keys.Index(index, value), member);
  }
  for (const std::string& value : after) {
    if (before.count(value) == 0)
      batch.IndexAdd(keys.Index(index, value), member);
  }
}

// ---- Updates

// The fields an update may name, and how to copy each from the request.
const stored::FieldCopies<DirectoryService>& ServiceFields() {
  using S = DirectoryService;
  static const auto* fields = new stored::FieldCopies<S>{
      {"display_name",
       [](const S& f, S& t) { t.set_display_name(f.display_name()); }},
      {"description",
       [](const S& f, S& t) { t.set_description(f.description()); }},
      {"eligibility",
       [](const S& f, S& t) { t.set_eligibility(f.eligibility()); }},
      {"referral_criteria",
       [](const S& f, S& t) {
         t.set_referral_criteria(f.referral_criteria());
       }},
      {"needs", [](const S& f, S& t) { *t.mutable_needs() = f.needs(); }},
      {"areas", [](const S& f, S& t) { *t.mutable_areas() = f.areas(); }},
      {"locations",
       [](const S& f, S& t) { *t.mutable_locations() = f.locations(); }},
      {"accepting_referrals",
       [](const S& f, S& t) {
         t.set_accepting_referrals(f.accepting_referrals());
       }},
  };
  return *fields;
}

// Search order: the soonest start first, then the most room, then by name
// (and resource name, so that pages never shuffle on ties).
bool SoonerOrRoomier(const DirectoryService& a, const DirectoryService& b) {
  return std::make_tuple(a.capacity().waiting_time_days(),
                         -a.capacity().places_available(), a.display_name(),
                         a.name()) <
         std::make_tuple(b.capacity().waiting_time_days(),
                         -b.capacity().places_available(), b.display_name(),
                         b.name());
}

bool Matches(const DirectoryService& service,
             const v1::SearchServicesRequest& request,
             const std::string& district, const std::string& need) {
  if (!district.empty() && SetOf(service.areas()).count(district) == 0) {
    return false;
  }
  if (!need.empty() && SetOf(service.needs()).count(need) == 0) return false;
  if (request.has_min_places_available() &&
      service.capacity().places_available() < request.min_places_available()) {
    return false;
  }
  return !request.accepting_referrals_only() || service.accepting_referrals();
}

// A search's filters, checked and normalised, and where its page starts.
struct SearchQuery {
  std::string district;  // "" for any area
  std::string need;      // "" for any need
  size_t page_size = 0;
  size_t offset = 0;   // into the sorted matches
  std::string digest;  // of the query, for its page tokens
};

absl::StatusOr<SearchQuery> ParseSearch(
    const v1::SearchServicesRequest& request) {
  SearchQuery query;
  if (!request.area().empty()) {
    ASSIGN_OR_RETURN(query.district, SearchDistrict(request.area()));
  }
  query.need =
      absl::AsciiStrToLower(absl::StripAsciiWhitespace(request.need()));
  if (!query.need.empty()) {
    RETURN_IF_ERROR(CheckResourceId("need", query.need));
  }
  if (request.has_min_places_available() &&
      request.min_places_available() < 0) {
    return InvalidField("min_places_available", "must be 0 or more");
  }
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  query.page_size = static_cast<size_t>(page_size);
  query.digest = stored::QueryDigest(request, kDigestLength);
  if (request.page_token().empty()) return query;
  ASSIGN_OR_RETURN(
      std::string at,
      DecodePageToken("page_token", request.page_token(), query.digest));
  if (!absl::SimpleAtoi(at, &query.offset)) {
    return InvalidField("page_token", "is not a token this service issued");
  }
  return query;
}

}  // namespace

// ---- Free functions

std::string ServiceName::str() const {
  return absl::StrCat(kOrganisationsPrefix, organisation, kServicesSegment,
                      service);
}

std::string ServiceName::member() const {
  return absl::StrCat(organisation, "/", service);
}

absl::StatusOr<ServiceName> ParseServiceName(absl::string_view field,
                                             absl::string_view name) {
  ASSIGN_OR_RETURN(
      OrganisationChild child,
      ParseOrganisationChild(field, name, kServicesSegment, kServiceNameForm));
  return ServiceName{std::move(child.organisation), std::move(child.id)};
}

// ---- The directory

ServiceDirectory::ServiceDirectory(storage::Store& store, const Clock& clock,
                                   IdSource& ids,
                                   OrganisationDirectory& organisations)
    : store_(store),
      clock_(clock),
      organisations_(organisations),
      events_(store, clock, ids) {}

KeySpace ServiceDirectory::Keys() const {
  return KeySpace(kServiceKeyspace, kDirectoryTenancy);
}

absl::StatusOr<ServiceDirectory::Loaded> ServiceDirectory::LoadService(
    absl::string_view field, const ServiceName& name) {
  return stored::Load<DirectoryService>(
      store_, Keys().Child(kService, name.organisation, name.service),
      absl::StrCat(field, ": service ", name.str(), " not found"), "service");
}

absl::StatusOr<std::set<std::string>> ServiceDirectory::ActiveOrganisations(
    const std::set<std::string>& organisations) {
  std::set<std::string> active;
  if (organisations.empty()) return active;
  const std::vector<std::string> ids(organisations.begin(),
                                     organisations.end());
  std::vector<std::string> keys;
  for (const std::string& id : ids)
    keys.push_back(Keys().Record(kOrganisationRecord, id));
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   store_.GetMany(keys));
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!records[i].has_value()) continue;
    v1::Organisation organisation;
    if (!organisation.ParseFromString(records[i]->value)) {
      return absl::DataLossError("a stored organisation is unreadable");
    }
    if (organisation.active()) active.insert(ids[i]);
  }
  return active;
}

absl::StatusOr<ServiceDirectory::Walked> ServiceDirectory::Walk(
    const std::string& index, const std::string& page_token,
    const std::string& digest, int limit) {
  const KeySpace keys = Keys();
  Walked walked;
  ASSIGN_OR_RETURN(
      walked.next_page_token,
      stored::Page(
          store_,
          [&](const std::string& member) { return ServiceKey(keys, member); },
          index, page_token, digest, limit,
          [&](const std::string&,
              const storage::Record& record) -> absl::StatusOr<bool> {
            ASSIGN_OR_RETURN(
                DirectoryService service,
                stored::Decode<DirectoryService>(record, "service"));
            walked.services.push_back(std::move(service));
            return true;
          }));
  return walked;
}

// ---- Create

absl::StatusOr<DirectoryService> ServiceDirectory::CreateService(
    const auth::Caller& caller, const v1::CreateServiceRequest& request) {
  ASSIGN_OR_RETURN(std::string organisation,
                   ParseOrganisationName("parent", request.parent()));
  RETURN_IF_ERROR(CheckMayChange(caller, organisation));
  RETURN_IF_ERROR(CheckResourceId("service_id", request.service_id()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_service()) return RequiredField("service");
  DirectoryService service = request.service();
  RETURN_IF_ERROR(NormaliseService("service", service));
  RETURN_IF_ERROR(CheckCapacity("service.capacity.places_available",
                                service.capacity().places_available(),
                                "service.capacity.waiting_time_days",
                                service.capacity().waiting_time_days()));
  // A retry replays the first result before the organisation is checked
  // again: it may have been deactivated since the first call succeeded.
  const std::string idem_key =
      CreateGuardKey(Keys(), caller, request.request_id());
  ASSIGN_OR_RETURN(std::optional<storage::Record> earlier,
                   store_.Get(idem_key));
  if (earlier.has_value()) {
    return ReplayService(*earlier, idempotency::Fingerprint(request));
  }
  return CreateServiceOnce(caller, request,
                           ServiceName{organisation, request.service_id()},
                           std::move(service));
}

absl::StatusOr<DirectoryService> ServiceDirectory::CreateServiceOnce(
    const auth::Caller& caller, const v1::CreateServiceRequest& request,
    const ServiceName& name, DirectoryService service) {
  // Not in the write's batch: an organisation deactivated a moment later
  // keeps the service, but searches leave out inactive organisations'
  // services, so it is never offered.
  ASSIGN_OR_RETURN(
      v1::Organisation organisation,
      organisations_.ReadOrganisation("parent", name.organisation));
  if (!organisation.active()) {
    return absl::FailedPreconditionError(
        absl::StrCat("parent: organisation ", organisation.name(),
                     " is inactive; reactivate it before adding services"));
  }
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  // Output-only fields are ours to set, whatever the caller sent.
  service.set_name(name.str());
  *service.mutable_create_time() = now;
  *service.mutable_update_time() = now;
  *service.mutable_capacity()->mutable_update_time() = now;
  service.mutable_capacity()->set_updated_by(ReporterOf(caller));
  service.clear_etag();

  const KeySpace keys = Keys();
  const std::string key = keys.Child(kService, name.organisation, name.service);
  const std::string fingerprint = idempotency::Fingerprint(request);
  DirectoryService first;  // a replay reads the service as it is now
  first.set_name(service.name());
  Batch batch;
  // The guard comes first, so that a retry replays rather than finding the
  // service it made.
  const int guard = idempotency::Guard(
      batch, CreateGuardKey(keys, caller, request.request_id()), fingerprint,
      first);
  batch.ExpectAbsent(key);
  batch.Put(key, stored::Encode(service));
  const std::string member = name.member();
  batch.IndexAdd(keys.Index(kServices), member);
  batch.IndexAdd(keys.Index(kServicesOf, name.organisation), member);
  Reindex(batch, keys, kServiceArea, member, {}, SetOf(service.areas()));
  Reindex(batch, keys, kServiceNeed, member, {}, SetOf(service.needs()));
  v1::DirectoryServiceCreated created;
  *created.mutable_facts() = FactsOf(service, name);
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy,
                                 service.name(), 1, created));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    service.set_etag(stored::VersionTag(1));
    return service;
  }
  if (result.failed_step == guard) {
    return ReplayService(*result.found, fingerprint);
  }
  return absl::AlreadyExistsError(absl::StrCat(
      "service_id: service ", service.name(), " is already in the directory"));
}

absl::StatusOr<DirectoryService> ServiceDirectory::ReplayService(
    const storage::Record& found, const std::string& fingerprint) {
  DirectoryService first;
  RETURN_IF_ERROR(
      idempotency::Replay(found, fingerprint, "request_id", &first));
  ASSIGN_OR_RETURN(ServiceName name, ParseServiceName("name", first.name()));
  ASSIGN_OR_RETURN(Loaded loaded, LoadService("name", name));
  return std::move(loaded.message);
}

// ---- Read

absl::StatusOr<DirectoryService> ServiceDirectory::GetService(
    const auth::Caller& caller, const v1::GetServiceRequest& request) {
  RETURN_IF_ERROR(CheckMayRead(caller));
  ASSIGN_OR_RETURN(ServiceName name, ParseServiceName("name", request.name()));
  ASSIGN_OR_RETURN(Loaded loaded, LoadService("name", name));
  return std::move(loaded.message);
}

absl::StatusOr<v1::ListServicesResponse> ServiceDirectory::ListServices(
    const auth::Caller& caller, const v1::ListServicesRequest& request) {
  RETURN_IF_ERROR(CheckMayRead(caller));
  const KeySpace keys = Keys();
  std::string index = keys.Index(kServices);
  if (request.parent() != kEveryOrganisation) {
    ASSIGN_OR_RETURN(std::string organisation,
                     ParseOrganisationName("parent", request.parent()));
    // An organisation not in the directory is NOT_FOUND, not an empty list.
    RETURN_IF_ERROR(
        organisations_.ReadOrganisation("parent", organisation).status());
    index = keys.Index(kServicesOf, organisation);
  }
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  ASSIGN_OR_RETURN(
      Walked walked,
      Walk(index, request.page_token(),
           stored::QueryDigest(request, kDigestLength), page_size));
  v1::ListServicesResponse response;
  for (DirectoryService& service : walked.services) {
    *response.add_services() = std::move(service);
  }
  response.set_next_page_token(std::move(walked.next_page_token));
  return response;
}

// ---- Update

absl::StatusOr<DirectoryService> ServiceDirectory::UpdateService(
    const auth::Caller& caller, const v1::UpdateServiceRequest& request) {
  ASSIGN_OR_RETURN(ServiceName name,
                   ParseServiceName("service.name", request.service().name()));
  RETURN_IF_ERROR(CheckMayChange(caller, name.organisation));
  ASSIGN_OR_RETURN(
      std::set<std::string> paths,
      UpdatePaths(request.update_mask(), stored::Updatable(ServiceFields())));
  return stored::WriteWithRetries<DirectoryService>("service", [&] {
    return UpdateServiceOnce(caller, request, name, paths);
  });
}

absl::StatusOr<std::optional<DirectoryService>>
ServiceDirectory::UpdateServiceOnce(const auth::Caller& caller,
                                    const v1::UpdateServiceRequest& request,
                                    const ServiceName& name,
                                    const std::set<std::string>& paths) {
  ASSIGN_OR_RETURN(Loaded loaded, LoadService("service.name", name));
  const DirectoryService& before = loaded.message;
  const stored::NamedEtag etag{request.service().etag(), "service.etag",
                               "service"};
  RETURN_IF_ERROR(etag.Check(before.etag()));
  DirectoryService after = before;
  stored::Apply(ServiceFields(), paths, request.service(), after);
  RETURN_IF_ERROR(NormaliseService("service", after));
  const std::vector<std::string> changed =
      stored::ChangedPaths(ServiceFields(), paths, before, after);
  // Nothing to write: no new version, no event, the service as it is.
  if (changed.empty()) return after;
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const KeySpace keys = Keys();
  const std::string key = keys.Child(kService, name.organisation, name.service);
  const std::string member = name.member();
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, stored::Encode(after));
  Reindex(batch, keys, kServiceArea, member, SetOf(before.areas()),
          SetOf(after.areas()));
  Reindex(batch, keys, kServiceNeed, member, SetOf(before.needs()),
          SetOf(after.needs()));
  v1::DirectoryServiceUpdated updated;
  *updated.mutable_facts() = FactsOf(after, name);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy, after.name(),
                                 version, updated));
  return stored::CommitUpdate(store_, batch, std::move(after), version, etag);
}

absl::StatusOr<DirectoryService> ServiceDirectory::UpdateServiceCapacity(
    const auth::Caller& caller,
    const v1::UpdateServiceCapacityRequest& request) {
  ASSIGN_OR_RETURN(ServiceName name, ParseServiceName("name", request.name()));
  RETURN_IF_ERROR(CheckMayChange(caller, name.organisation));
  RETURN_IF_ERROR(CheckCapacity("places_available", request.places_available(),
                                "waiting_time_days",
                                request.waiting_time_days()));
  return stored::WriteWithRetries<DirectoryService>(
      "service", [&] { return UpdateCapacityOnce(caller, request, name); });
}

absl::StatusOr<std::optional<DirectoryService>>
ServiceDirectory::UpdateCapacityOnce(
    const auth::Caller& caller, const v1::UpdateServiceCapacityRequest& request,
    const ServiceName& name) {
  ASSIGN_OR_RETURN(Loaded loaded, LoadService("name", name));
  const DirectoryService& before = loaded.message;
  DirectoryService after = before;
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  v1::ServiceCapacity& capacity = *after.mutable_capacity();
  capacity.set_places_available(request.places_available());
  capacity.set_waiting_time_days(request.waiting_time_days());
  *capacity.mutable_update_time() = now;
  capacity.set_updated_by(ReporterOf(caller));
  if (request.has_accepting_referrals()) {
    after.set_accepting_referrals(request.accepting_referrals());
  }
  *after.mutable_update_time() = now;

  const std::string key =
      Keys().Child(kService, name.organisation, name.service);
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, stored::Encode(after));
  v1::ServiceCapacityUpdated reported;
  *reported.mutable_facts() = FactsOf(after, name);
  reported.set_previous_places_available(before.capacity().places_available());
  reported.set_previous_waiting_time_days(
      before.capacity().waiting_time_days());
  reported.set_previous_accepting_referrals(before.accepting_referrals());
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy, after.name(),
                                 version, reported));
  // A capacity report names no etag: the latest report is the truth.
  return stored::CommitUpdate(store_, batch, std::move(after), version,
                              stored::NamedEtag{});
}

// ---- Search

absl::StatusOr<v1::SearchServicesResponse> ServiceDirectory::SearchServices(
    const auth::Caller& caller, const v1::SearchServicesRequest& request) {
  RETURN_IF_ERROR(CheckMayRead(caller));
  ASSIGN_OR_RETURN(SearchQuery query, ParseSearch(request));
  ASSIGN_OR_RETURN(Found found, Matching(request, query.district, query.need));
  std::vector<DirectoryService>& matches = found.services;
  std::sort(matches.begin(), matches.end(), SoonerOrRoomier);

  v1::SearchServicesResponse response;
  response.set_candidates_capped(found.capped);
  const size_t begin = std::min(matches.size(), query.offset);
  const size_t end = std::min(matches.size(), begin + query.page_size);
  for (size_t i = begin; i < end; ++i) {
    *response.add_services() = std::move(matches[i]);
  }
  if (end < matches.size()) {
    response.set_next_page_token(
        EncodePageToken(absl::StrCat(end), query.digest));
  }
  return response;
}

absl::StatusOr<ServiceDirectory::Found> ServiceDirectory::Matching(
    const v1::SearchServicesRequest& request, const std::string& district,
    const std::string& need) {
  // Walk the narrower index: an area holds fewer services than a need.
  const KeySpace keys = Keys();
  const std::string index = !district.empty()
                                ? keys.Index(kServiceArea, district)
                            : !need.empty() ? keys.Index(kServiceNeed, need)
                                            : keys.Index(kServices);
  // No page token in, and the one out only says whether there was more.
  ASSIGN_OR_RETURN(Walked walked, Walk(index, "", "", kMaxSearchCandidates));
  std::vector<std::pair<std::string, DirectoryService>> matches;
  std::set<std::string> organisations;
  for (DirectoryService& service : walked.services) {
    if (!Matches(service, request, district, need)) continue;
    ASSIGN_OR_RETURN(ServiceName name,
                     ParseServiceName("name", service.name()));
    organisations.insert(name.organisation);
    matches.emplace_back(std::move(name.organisation), std::move(service));
  }
  // Checked on every search: an organisation's activity changes without
  // touching its services.
  ASSIGN_OR_RETURN(std::set<std::string> active,
                   ActiveOrganisations(organisations));
  Found found;
  found.capped = !walked.next_page_token.empty();
  for (auto& [organisation, service] : matches) {
    if (active.count(organisation) > 0) {
      found.services.push_back(std::move(service));
    }
  }
  return found;
}

// ---- ServiceLookup

absl::StatusOr<std::optional<ListedService>> ServiceDirectory::FindService(
    const std::string& name) {
  ASSIGN_OR_RETURN(ServiceName parsed, ParseServiceName("name", name));
  absl::StatusOr<Loaded> loaded = LoadService("name", parsed);
  if (absl::IsNotFound(loaded.status())) return std::nullopt;
  RETURN_IF_ERROR(loaded.status());
  ListedService listed;
  listed.name = loaded->message.name();
  listed.organisation = parsed.organisation;
  // An inactive organisation takes no referrals, whatever its service says.
  absl::StatusOr<v1::Organisation> organisation =
      organisations_.ReadOrganisation("name", parsed.organisation);
  if (!organisation.ok() && !absl::IsNotFound(organisation.status())) {
    return organisation.status();
  }
  listed.accepting_referrals = loaded->message.accepting_referrals() &&
                               organisation.ok() && organisation->active();
  return listed;
}

}  // namespace employability::partners
