#include "services/partners/service_directory.h"

#include <algorithm>
#include <memory>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/postcode.h"
#include "google/protobuf/util/message_differencer.h"

namespace employability::partners {
namespace {

using google::protobuf::RepeatedPtrField;
using google::protobuf::util::MessageDifferencer;
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
// Work per List call is bounded: a short page (and a token) rather than
// reading on past records that went missing.
constexpr int kListRounds = 4;
constexpr int kSearchRounds = 4;

std::string VersionTag(int64_t version) { return absl::StrCat(version); }

absl::Status Conflict() {
  return absl::AbortedError(
      "the service kept changing while this call ran; retry");
}

absl::Status StaleEtag(absl::string_view field) {
  return absl::AbortedError(absl::StrCat(
      field,
      ": the service changed since it was read; read it again and reapply "
      "the change"));
}

absl::StatusOr<DirectoryService> Decode(const storage::Record& record) {
  DirectoryService service;
  if (!service.ParseFromString(record.value)) {
    return absl::DataLossError("a stored service is unreadable");
  }
  service.set_etag(VersionTag(record.version));
  return service;
}

// What is stored: the service without its etag (the version is the etag).
std::string Encode(DirectoryService service) {
  service.clear_etag();
  return service.SerializeAsString();
}

// A short digest of the query a page token belongs to: the request with its
// paging fields cleared. Hex, so that it never holds the token's separator.
std::string QueryDigest(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> query(request.New());
  query->CopyFrom(request);
  const google::protobuf::Descriptor* descriptor = query->GetDescriptor();
  for (const char* paging : {"page_token", "page_size"}) {
    const google::protobuf::FieldDescriptor* field =
        descriptor->FindFieldByName(paging);
    if (field != nullptr)
      query->GetReflection()->ClearField(query.get(), field);
  }
  return absl::BytesToHexString(idempotency::Fingerprint(*query)).substr(0, 16);
}

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

absl::StatusOr<std::string> ParseOrganisationName(absl::string_view field,
                                                  absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  if (!absl::ConsumePrefix(&name, kOrganisationsPrefix) || name.empty()) {
    return InvalidField(field, "must be organisations/{organisation}");
  }
  RETURN_IF_ERROR(CheckOrganisationId(field, name));
  return std::string(name);
}

// An index member back into a name; nullopt for one this class never wrote.
std::optional<ServiceName> FromMember(absl::string_view member) {
  const size_t slash = member.find('/');
  if (slash == absl::string_view::npos) return std::nullopt;
  return ServiceName{std::string(member.substr(0, slash)),
                     std::string(member.substr(slash + 1))};
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

// Postcode districts in upper case, each once in the order first given; at
// least one.
absl::Status NormaliseAreas(absl::string_view field,
                            RepeatedPtrField<std::string>& areas) {
  if (areas.empty()) return RequiredField(field);
  if (areas.size() > kMaxAreasServed) {
    return InvalidField(field, absl::StrCat("must list at most ",
                                            kMaxAreasServed, " districts"));
  }
  std::vector<std::string> kept;
  std::set<std::string> seen;
  for (int i = 0; i < areas.size(); ++i) {
    ASSIGN_OR_RETURN(std::string district,
                     validation::NormalisePostcodeDistrict(
                         absl::StrCat(field, "[", i, "]"), areas[i]));
    if (seen.insert(district).second) kept.push_back(std::move(district));
  }
  areas.Clear();
  for (std::string& district : kept) areas.Add(std::move(district));
  return absl::OkStatus();
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
using FieldCopy = void (*)(const DirectoryService&, DirectoryService&);
using FieldCopies = std::vector<std::pair<std::string, FieldCopy>>;

const FieldCopies& ServiceFields() {
  using S = DirectoryService;
  static const auto* fields = new FieldCopies{
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

std::set<std::string> Updatable() {
  std::set<std::string> names;
  for (const auto& [name, copy] : ServiceFields()) names.insert(name);
  return names;
}

FieldCopy CopyOf(const std::string& path) {
  for (const auto& [name, copy] : ServiceFields()) {
    if (name == path) return copy;
  }
  return nullptr;  // not reached: paths are checked against the same table
}

// The paths whose value differs between `before` and `after`: what the
// event reports as changed.
std::vector<std::string> ChangedPaths(const std::set<std::string>& paths,
                                      const DirectoryService& before,
                                      const DirectoryService& after) {
  std::vector<std::string> changed;
  for (const std::string& path : paths) {
    DirectoryService probe = before;
    CopyOf(path)(after, probe);
    if (!MessageDifferencer::Equals(probe, before)) changed.push_back(path);
  }
  return changed;
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
  query.digest = QueryDigest(request);
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
  if (name.empty()) return RequiredField(field);
  const size_t at = name.find(kServicesSegment);
  if (!absl::StartsWith(name, kOrganisationsPrefix) ||
      at == absl::string_view::npos) {
    return InvalidField(field, kServiceNameForm);
  }
  ASSIGN_OR_RETURN(std::string organisation,
                   ParseOrganisationName(field, name.substr(0, at)));
  const absl::string_view service = name.substr(at + kServicesSegment.size());
  if (service.empty()) return InvalidField(field, kServiceNameForm);
  RETURN_IF_ERROR(CheckResourceId(field, service));
  return ServiceName{std::move(organisation), std::string(service)};
}

// ---- The directory

ServiceDirectory::ServiceDirectory(storage::Store& store, const Clock& clock,
                                   IdSource& ids,
                                   OrganisationDirectory& organisations)
    : store_(store),
      clock_(clock),
      organisations_(organisations),
      events_(kServiceKeyspace, clock, ids) {}

KeySpace ServiceDirectory::Keys() const {
  return KeySpace(kServiceKeyspace, kDirectoryTenancy);
}

absl::Status ServiceDirectory::AppendEvent(
    Batch& batch, const auth::Caller& caller, const std::string& aggregate,
    int64_t version, const google::protobuf::Message& payload) {
  RETURN_IF_ERROR(events_.RegisterStream(store_, kDirectoryTenancy));
  events_.Append(
      batch,
      events::EventContext{kDirectoryTenancy, aggregate, caller.organisation,
                           caller.user, version},
      payload);
  return absl::OkStatus();
}

absl::StatusOr<ServiceDirectory::Loaded> ServiceDirectory::LoadService(
    absl::string_view field, const ServiceName& name) {
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> record,
      store_.Get(Keys().Child(kService, name.organisation, name.service)));
  if (!record.has_value()) {
    return absl::NotFoundError(
        absl::StrCat(field, ": service ", name.str(), " not found"));
  }
  ASSIGN_OR_RETURN(DirectoryService service, Decode(*record));
  return Loaded{std::move(service), record->version};
}

absl::StatusOr<v1::Organisation> ServiceDirectory::LoadOrganisation(
    absl::string_view field, const std::string& id) {
  // The directory of organisations is read on the partners service's own
  // behalf: the caller's reach was checked against the service already.
  auth::Caller partners;
  partners.service = kServiceKeyspace;
  v1::GetOrganisationRequest request;
  request.set_name(absl::StrCat(kOrganisationsPrefix, id));
  absl::StatusOr<v1::Organisation> organisation =
      organisations_.GetOrganisation(partners, request);
  if (absl::IsNotFound(organisation.status())) {
    return absl::NotFoundError(
        absl::StrCat(field, ": organisation ", request.name(), " not found"));
  }
  return organisation;
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
    const std::string& index, const std::string& after, int limit,
    int max_rounds) {
  Walked walked;
  std::string cursor = after;
  for (int round = 0; round < max_rounds; ++round) {
    // One more than still wanted: whether anything lies beyond.
    const int want = limit - static_cast<int>(walked.services.size()) + 1;
    ASSIGN_OR_RETURN(std::vector<std::string> members,
                     store_.IndexRange(index, cursor, want));
    std::vector<std::string> keys;
    for (const std::string& member : members) {
      std::optional<ServiceName> name = FromMember(member);
      keys.push_back(
          name.has_value()
              ? Keys().Child(kService, name->organisation, name->service)
              : Keys().Child(kService, "-", "-"));
    }
    std::vector<std::optional<storage::Record>> records;
    if (!keys.empty()) {
      ASSIGN_OR_RETURN(records, store_.GetMany(keys));
    }
    for (size_t i = 0; i < members.size(); ++i) {
      if (static_cast<int>(walked.services.size()) == limit) {
        walked.last = cursor;
        walked.more = true;
        return walked;
      }
      cursor = members[i];
      if (!records[i].has_value()) continue;  // gone since the index was read
      ASSIGN_OR_RETURN(DirectoryService service, Decode(*records[i]));
      walked.services.push_back(std::move(service));
    }
    if (static_cast<int>(members.size()) < want) {
      walked.last = cursor;
      return walked;  // the end of the index
    }
  }
  walked.last = cursor;
  walked.more = true;
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
  ASSIGN_OR_RETURN(v1::Organisation organisation,
                   LoadOrganisation("parent", name.organisation));
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
  batch.Put(key, Encode(service));
  const std::string member = name.member();
  batch.IndexAdd(keys.Index(kServices), member);
  batch.IndexAdd(keys.Index(kServicesOf, name.organisation), member);
  Reindex(batch, keys, kServiceArea, member, {}, SetOf(service.areas()));
  Reindex(batch, keys, kServiceNeed, member, {}, SetOf(service.needs()));
  v1::DirectoryServiceCreated created;
  *created.mutable_facts() = FactsOf(service, name);
  RETURN_IF_ERROR(AppendEvent(batch, caller, service.name(), 1, created));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    service.set_etag(VersionTag(1));
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
  return std::move(loaded.service);
}

// ---- Read

absl::StatusOr<DirectoryService> ServiceDirectory::GetService(
    const auth::Caller& caller, const v1::GetServiceRequest& request) {
  RETURN_IF_ERROR(CheckMayRead(caller));
  ASSIGN_OR_RETURN(ServiceName name, ParseServiceName("name", request.name()));
  ASSIGN_OR_RETURN(Loaded loaded, LoadService("name", name));
  return std::move(loaded.service);
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
    RETURN_IF_ERROR(LoadOrganisation("parent", organisation).status());
    index = keys.Index(kServicesOf, organisation);
  }
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  const std::string digest = QueryDigest(request);
  std::string cursor;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(
        cursor, DecodePageToken("page_token", request.page_token(), digest));
  }
  ASSIGN_OR_RETURN(Walked walked, Walk(index, cursor, page_size, kListRounds));
  v1::ListServicesResponse response;
  for (DirectoryService& service : walked.services) {
    *response.add_services() = std::move(service);
  }
  if (walked.more) {
    response.set_next_page_token(EncodePageToken(walked.last, digest));
  }
  return response;
}

// ---- Update

absl::StatusOr<DirectoryService> ServiceDirectory::UpdateService(
    const auth::Caller& caller, const v1::UpdateServiceRequest& request) {
  ASSIGN_OR_RETURN(ServiceName name,
                   ParseServiceName("service.name", request.service().name()));
  RETURN_IF_ERROR(CheckMayChange(caller, name.organisation));
  ASSIGN_OR_RETURN(std::set<std::string> paths,
                   UpdatePaths(request.update_mask(), Updatable()));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<DirectoryService> updated,
                     UpdateServiceOnce(caller, request, name, paths));
    if (updated.has_value()) return *std::move(updated);
  }
  return Conflict();
}

absl::StatusOr<std::optional<DirectoryService>>
ServiceDirectory::UpdateServiceOnce(const auth::Caller& caller,
                                    const v1::UpdateServiceRequest& request,
                                    const ServiceName& name,
                                    const std::set<std::string>& paths) {
  ASSIGN_OR_RETURN(Loaded loaded, LoadService("service.name", name));
  const DirectoryService& before = loaded.service;
  const std::string& etag = request.service().etag();
  if (!etag.empty() && etag != before.etag()) return StaleEtag("service.etag");
  DirectoryService after = before;
  for (const std::string& path : paths) CopyOf(path)(request.service(), after);
  RETURN_IF_ERROR(NormaliseService("service", after));
  const std::vector<std::string> changed = ChangedPaths(paths, before, after);
  // Nothing to write: no new version, no event, the service as it is.
  if (changed.empty()) return after;
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const KeySpace keys = Keys();
  const std::string key = keys.Child(kService, name.organisation, name.service);
  const std::string member = name.member();
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, Encode(after));
  Reindex(batch, keys, kServiceArea, member, SetOf(before.areas()),
          SetOf(after.areas()));
  Reindex(batch, keys, kServiceNeed, member, SetOf(before.needs()),
          SetOf(after.needs()));
  v1::DirectoryServiceUpdated updated;
  *updated.mutable_facts() = FactsOf(after, name);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  RETURN_IF_ERROR(AppendEvent(batch, caller, after.name(), version, updated));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    after.set_etag(VersionTag(version));
    return after;
  }
  if (!etag.empty()) return StaleEtag("service.etag");
  return std::nullopt;  // someone else wrote first: read again and retry
}

absl::StatusOr<DirectoryService> ServiceDirectory::UpdateServiceCapacity(
    const auth::Caller& caller,
    const v1::UpdateServiceCapacityRequest& request) {
  ASSIGN_OR_RETURN(ServiceName name, ParseServiceName("name", request.name()));
  RETURN_IF_ERROR(CheckMayChange(caller, name.organisation));
  RETURN_IF_ERROR(CheckCapacity("places_available", request.places_available(),
                                "waiting_time_days",
                                request.waiting_time_days()));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<DirectoryService> updated,
                     UpdateCapacityOnce(caller, request, name));
    if (updated.has_value()) return *std::move(updated);
  }
  return Conflict();
}

absl::StatusOr<std::optional<DirectoryService>>
ServiceDirectory::UpdateCapacityOnce(
    const auth::Caller& caller, const v1::UpdateServiceCapacityRequest& request,
    const ServiceName& name) {
  ASSIGN_OR_RETURN(Loaded loaded, LoadService("name", name));
  const DirectoryService& before = loaded.service;
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
  batch.Put(key, Encode(after));
  v1::ServiceCapacityUpdated reported;
  *reported.mutable_facts() = FactsOf(after, name);
  reported.set_previous_places_available(before.capacity().places_available());
  reported.set_previous_waiting_time_days(
      before.capacity().waiting_time_days());
  reported.set_previous_accepting_referrals(before.accepting_referrals());
  RETURN_IF_ERROR(AppendEvent(batch, caller, after.name(), version, reported));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (!result.committed) return std::nullopt;  // read again and retry
  after.set_etag(VersionTag(version));
  return after;
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
  ASSIGN_OR_RETURN(Walked walked,
                   Walk(index, "", kMaxSearchCandidates, kSearchRounds));
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
  found.capped = walked.more;
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
  listed.name = loaded->service.name();
  listed.organisation = parsed.organisation;
  // An inactive organisation takes no referrals, whatever its service says.
  absl::StatusOr<v1::Organisation> organisation =
      LoadOrganisation("name", parsed.organisation);
  if (!organisation.ok() && !absl::IsNotFound(organisation.status())) {
    return organisation.status();
  }
  listed.accepting_referrals = loaded->service.accepting_referrals() &&
                               organisation.ok() && organisation->active();
  return listed;
}

}  // namespace employability::partners
