#include "services/partners/organisation_directory.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/contact.h"
#include "employability/partners/v1/partner_events.pb.h"

namespace employability::partners {
namespace {

using storage::Batch;
using storage::BatchResult;
using storage::KeySpace;
using type::v1::StaffRole;

// Record kinds and indexes within the service's key space.
constexpr char kOrganisation[] = "organisation";
constexpr char kOrganisations[] = "organisations";
constexpr char kOrganisationType[] = "organisation-type";
constexpr char kStaff[] = "staff";
constexpr char kStaffRole[] = "staff-role";
constexpr char kStaffTeam[] = "staff-team";
constexpr char kOrganisationsPrefix[] = "organisations/";
constexpr char kStaffNameForm[] =
    "must be organisations/{organisation}/staff/{user}";
constexpr absl::string_view kStaffSegment = "/staff/";

// ---- Names

absl::StatusOr<StaffName> ParseStaffName(absl::string_view field,
                                         absl::string_view name) {
  ASSIGN_OR_RETURN(
      OrganisationChild child,
      ParseOrganisationChild(field, name, kStaffSegment, kStaffNameForm));
  return StaffName{std::move(child.organisation), std::move(child.id)};
}

// ---- Organisations

absl::Status CheckOrganisationType(absl::string_view field,
                                   v1::OrganisationType type) {
  if (type == v1::ORGANISATION_TYPE_UNSPECIFIED) return RequiredField(field);
  if (!v1::OrganisationType_IsValid(type)) {
    return InvalidField(field, "must be one of the listed organisation types");
  }
  return absl::OkStatus();
}

absl::Status NormaliseContact(absl::string_view prefix,
                              v1::OrganisationContact& contact) {
  ASSIGN_OR_RETURN(
      std::string email,
      validation::NormaliseEmail(FieldPath(prefix, "email"), contact.email()));
  ASSIGN_OR_RETURN(std::string phone,
                   validation::NormaliseUkPhone(FieldPath(prefix, "phone"),
                                                contact.phone()));
  contact.set_email(std::move(email));
  contact.set_phone(std::move(phone));
  return absl::OkStatus();
}

// Checks and normalises the fields a caller sets (not the output-only ones).
absl::Status NormaliseOrganisation(absl::string_view prefix,
                                   v1::Organisation& organisation) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "display_name"),
                            organisation.display_name(), kMaxDisplayName,
                            /*required=*/true));
  RETURN_IF_ERROR(
      CheckOrganisationType(FieldPath(prefix, "type"), organisation.type()));
  RETURN_IF_ERROR(NormaliseContact(FieldPath(prefix, "contact"),
                                   *organisation.mutable_contact()));
  return stored::NormaliseAreas(FieldPath(prefix, "areas_served"),
                                *organisation.mutable_areas_served());
}

v1::OrganisationFacts FactsOf(const v1::Organisation& organisation) {
  v1::OrganisationFacts facts;
  facts.set_organisation(organisation.name());
  facts.set_type(organisation.type());
  facts.set_active(organisation.active());
  facts.set_display_name(organisation.display_name());
  *facts.mutable_areas_served() = organisation.areas_served();
  return facts;
}

// ---- Staff users

// A commissioner sees aggregates, never a participant: its staff hold only
// the roles that cannot reach personal data, and nobody else holds the
// commissioner's role.
absl::Status CheckRoleFits(absl::string_view field, StaffRole role,
                           v1::OrganisationType type) {
  const bool commissioner = type == v1::COMMISSIONER;
  if (role == type::v1::COMMISSIONER_VIEWER && !commissioner) {
    return InvalidField(field,
                        "COMMISSIONER_VIEWER is for staff of a COMMISSIONER "
                        "organisation");
  }
  if (commissioner && role != type::v1::COMMISSIONER_VIEWER &&
      role != type::v1::ORGANISATION_ADMIN) {
    return InvalidField(field,
                        "staff of a COMMISSIONER organisation are "
                        "COMMISSIONER_VIEWER or ORGANISATION_ADMIN");
  }
  return absl::OkStatus();
}

absl::Status NormaliseStaffUser(absl::string_view prefix, v1::StaffUser& user) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "display_name"),
                            user.display_name(), kMaxDisplayName,
                            /*required=*/true));
  const std::string email_field = FieldPath(prefix, "email");
  if (absl::StripAsciiWhitespace(user.email()).empty()) {
    return RequiredField(email_field);
  }
  ASSIGN_OR_RETURN(std::string email,
                   validation::NormaliseEmail(email_field, user.email()));
  user.set_email(std::move(email));
  const std::string role_field = FieldPath(prefix, "role");
  if (user.role() == type::v1::STAFF_ROLE_UNSPECIFIED) {
    return RequiredField(role_field);
  }
  if (!type::v1::StaffRole_IsValid(user.role())) {
    return InvalidField(role_field, "must be one of the listed staff roles");
  }
  if (!user.team().empty()) {
    RETURN_IF_ERROR(CheckResourceId(FieldPath(prefix, "team"), user.team()));
  }
  return absl::OkStatus();
}

v1::StaffUserFacts FactsOf(const v1::StaffUser& user,
                           const std::string& organisation) {
  v1::StaffUserFacts facts;
  facts.set_staff_user(user.name());
  facts.set_organisation(OrganisationName(organisation));
  facts.set_role(user.role());
  facts.set_team(user.team());
  facts.set_active(user.active());
  return facts;
}

void AddStaffIndexes(Batch& batch, const KeySpace& keys, const std::string& id,
                     const v1::StaffUser& user) {
  batch.IndexAdd(keys.Index(kStaff), id);
  batch.IndexAdd(keys.Index(kStaffRole, type::v1::StaffRole_Name(user.role())),
                 id);
  if (!user.team().empty())
    batch.IndexAdd(keys.Index(kStaffTeam, user.team()), id);
}

void ReindexStaff(Batch& batch, const KeySpace& keys, const std::string& id,
                  const v1::StaffUser& before, const v1::StaffUser& after) {
  if (before.role() != after.role()) {
    batch.IndexRemove(
        keys.Index(kStaffRole, type::v1::StaffRole_Name(before.role())), id);
    batch.IndexAdd(
        keys.Index(kStaffRole, type::v1::StaffRole_Name(after.role())), id);
  }
  if (before.team() != after.team()) {
    if (!before.team().empty())
      batch.IndexRemove(keys.Index(kStaffTeam, before.team()), id);
    if (!after.team().empty())
      batch.IndexAdd(keys.Index(kStaffTeam, after.team()), id);
  }
}

// ---- Updates

const stored::FieldCopies<v1::Organisation>& OrganisationFields() {
  using O = v1::Organisation;
  static const auto* fields = new stored::FieldCopies<O>{
      {"display_name",
       [](const O& f, O& t) { t.set_display_name(f.display_name()); }},
      {"contact", [](const O& f, O& t) { *t.mutable_contact() = f.contact(); }},
      {"contact.email",
       [](const O& f, O& t) {
         t.mutable_contact()->set_email(f.contact().email());
       }},
      {"contact.phone",
       [](const O& f, O& t) {
         t.mutable_contact()->set_phone(f.contact().phone());
       }},
      {"areas_served",
       [](const O& f, O& t) { *t.mutable_areas_served() = f.areas_served(); }},
      {"active", [](const O& f, O& t) { t.set_active(f.active()); }},
  };
  return *fields;
}

const stored::FieldCopies<v1::StaffUser>& StaffUserFields() {
  using S = v1::StaffUser;
  static const auto* fields = new stored::FieldCopies<S>{
      {"display_name",
       [](const S& f, S& t) { t.set_display_name(f.display_name()); }},
      {"email", [](const S& f, S& t) { t.set_email(f.email()); }},
      {"role", [](const S& f, S& t) { t.set_role(f.role()); }},
      {"team", [](const S& f, S& t) { t.set_team(f.team()); }},
      {"active", [](const S& f, S& t) { t.set_active(f.active()); }},
  };
  return *fields;
}

std::string ActiveFilter(bool has_active, bool active) {
  return has_active ? (active ? "active" : "inactive") : "any";
}

}  // namespace

// ---- Free functions

absl::Status CheckOrganisationId(absl::string_view field,
                                 absl::string_view id) {
  RETURN_IF_ERROR(CheckResourceId(field, id));
  if (id.size() < 3)
    return InvalidField(field, "must be at least 3 characters");
  return absl::OkStatus();
}

std::string OrganisationName(absl::string_view id) {
  return absl::StrCat(kOrganisationsPrefix, id);
}

absl::StatusOr<std::string> ParseOrganisationName(absl::string_view field,
                                                  absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  if (!absl::ConsumePrefix(&name, kOrganisationsPrefix) || name.empty()) {
    return InvalidField(field, "must be organisations/{organisation}");
  }
  RETURN_IF_ERROR(CheckOrganisationId(field, name));
  return std::string(name);
}

absl::StatusOr<OrganisationChild> ParseOrganisationChild(
    absl::string_view field, absl::string_view name, absl::string_view segment,
    absl::string_view form) {
  if (name.empty()) return RequiredField(field);
  const size_t at = name.find(segment);
  if (!absl::StartsWith(name, kOrganisationsPrefix) ||
      at == absl::string_view::npos) {
    return InvalidField(field, form);
  }
  ASSIGN_OR_RETURN(std::string organisation,
                   ParseOrganisationName(field, name.substr(0, at)));
  const absl::string_view id = name.substr(at + segment.size());
  if (id.empty()) return InvalidField(field, form);
  RETURN_IF_ERROR(CheckResourceId(field, id));
  return OrganisationChild{std::move(organisation), std::string(id)};
}

std::string StaffName::str() const {
  return absl::StrCat(OrganisationName(organisation), kStaffSegment, user);
}

// ---- The directory

OrganisationDirectory::OrganisationDirectory(
    storage::Store& store, const Clock& clock, IdSource& ids,
    const storage::KeyHasher& key_hasher)
    : store_(store),
      clock_(clock),
      key_hasher_(key_hasher),
      events_(store, clock, ids) {}

namespace {

// The record-level half of the access policy (access_policy.textproto):
// staff records and an organisation's own entry are reached only from
// inside that organisation. The answer is the same whether or not the
// organisation or user exists, so it reveals neither.
absl::Status CheckReach(const auth::Caller& caller,
                        absl::string_view organisation) {
  if (caller.is_service() || caller.scope == auth::v1::ANY) {
    return absl::OkStatus();
  }
  const bool own = caller.organisation == organisation;
  if (own && (caller.scope == auth::v1::OWNING_ORGANISATION ||
              caller.scope == auth::v1::ORGANISATION)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("organisations/", organisation,
                   " is managed only by its own staff: organisation ",
                   caller.organisation, " may not reach it"));
}

}  // namespace

KeySpace OrganisationDirectory::DirectoryKeys() const {
  return KeySpace(kServiceKeyspace, kDirectoryTenancy);
}

KeySpace OrganisationDirectory::StaffKeys(
    const std::string& organisation) const {
  return KeySpace(kServiceKeyspace, storage::OrganisationTenancy(organisation));
}

std::string OrganisationDirectory::QueryDigest(absl::string_view query) const {
  return key_hasher_.Part(query).substr(0, 12);
}

// ---- Organisations

absl::StatusOr<OrganisationDirectory::Loaded<v1::Organisation>>
OrganisationDirectory::LoadOrganisation(absl::string_view field,
                                        const std::string& id) {
  return stored::Load<v1::Organisation>(
      store_, DirectoryKeys().Record(kOrganisation, id),
      absl::StrCat(field, ": organisation ", OrganisationName(id),
                   " not found"));
}

absl::StatusOr<v1::Organisation> OrganisationDirectory::ReadOrganisation(
    absl::string_view field, const std::string& id) {
  ASSIGN_OR_RETURN(Loaded<v1::Organisation> loaded,
                   LoadOrganisation(field, id));
  return std::move(loaded.message);
}

absl::Status OrganisationDirectory::CheckMayOnboard(
    const auth::Caller& caller) {
  if (caller.is_service()) return absl::OkStatus();  // the bootstrap command
  absl::StatusOr<Loaded<v1::Organisation>> own =
      LoadOrganisation("caller", caller.organisation);
  if (absl::IsNotFound(own.status())) {
    return absl::PermissionDeniedError(
        "only a prime provider or commissioner onboards organisations");
  }
  RETURN_IF_ERROR(own.status());
  const v1::OrganisationType type = own->message.type();
  if (type != v1::PRIME_PROVIDER && type != v1::COMMISSIONER) {
    return absl::PermissionDeniedError(
        "only a prime provider or commissioner onboards organisations");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Organisation> OrganisationDirectory::CreateOrganisation(
    const auth::Caller& caller, const v1::CreateOrganisationRequest& request) {
  RETURN_IF_ERROR(
      CheckOrganisationId("organisation_id", request.organisation_id()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_organisation()) return RequiredField("organisation");
  v1::Organisation organisation = request.organisation();
  RETURN_IF_ERROR(NormaliseOrganisation("organisation", organisation));
  RETURN_IF_ERROR(CheckMayOnboard(caller));
  // Output-only fields are ours to set, whatever the caller sent.
  const std::string& id = request.organisation_id();
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  organisation.set_name(OrganisationName(id));
  organisation.set_active(true);
  *organisation.mutable_create_time() = now;
  *organisation.mutable_update_time() = now;
  organisation.clear_etag();

  const KeySpace keys = DirectoryKeys();
  const std::string fingerprint = idempotency::Fingerprint(request);
  v1::Organisation first;  // a replay reads the organisation as it is now
  first.set_name(organisation.name());
  Batch batch;
  // The guard comes first, so that a retry replays rather than finding the
  // organisation it made.
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectAbsent(keys.Record(kOrganisation, id));
  batch.Put(keys.Record(kOrganisation, id), stored::Encode(organisation));
  batch.IndexAdd(keys.Index(kOrganisations), id);
  batch.IndexAdd(keys.Index(kOrganisationType,
                            v1::OrganisationType_Name(organisation.type())),
                 id);
  v1::OrganisationCreated created;
  *created.mutable_facts() = FactsOf(organisation);
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy,
                                 organisation.name(), 1, created));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    organisation.set_etag(stored::VersionTag(1));
    return organisation;
  }
  if (result.failed_step == guard) {
    return ReplayOrganisation(*result.found, fingerprint);
  }
  return absl::AlreadyExistsError(absl::StrCat("organisation_id: organisation ",
                                               organisation.name(),
                                               " is already in the directory"));
}

absl::StatusOr<v1::Organisation> OrganisationDirectory::ReplayOrganisation(
    const storage::Record& found, const std::string& fingerprint) {
  v1::Organisation first;
  RETURN_IF_ERROR(
      idempotency::Replay(found, fingerprint, "request_id", &first));
  ASSIGN_OR_RETURN(std::string id, ParseOrganisationName("name", first.name()));
  ASSIGN_OR_RETURN(Loaded<v1::Organisation> loaded,
                   LoadOrganisation("name", id));
  return std::move(loaded.message);
}

absl::StatusOr<v1::Organisation> OrganisationDirectory::GetOrganisation(
    const auth::Caller&, const v1::GetOrganisationRequest& request) {
  ASSIGN_OR_RETURN(std::string id,
                   ParseOrganisationName("name", request.name()));
  ASSIGN_OR_RETURN(Loaded<v1::Organisation> loaded,
                   LoadOrganisation("name", id));
  return std::move(loaded.message);
}

absl::StatusOr<v1::ListOrganisationsResponse>
OrganisationDirectory::ListOrganisations(
    const auth::Caller&, const v1::ListOrganisationsRequest& request) {
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  if (!v1::OrganisationType_IsValid(request.type())) {
    return InvalidField("type", "must be one of the listed organisation types");
  }
  const KeySpace keys = DirectoryKeys();
  // Walk the type's index when filtering by type; activity is checked on the
  // records (an organisation's activity changes, its type never does).
  const std::string index =
      request.type() == v1::ORGANISATION_TYPE_UNSPECIFIED
          ? keys.Index(kOrganisations)
          : keys.Index(kOrganisationType,
                       v1::OrganisationType_Name(request.type()));
  const std::string query =
      absl::StrCat("organisations|", request.type(), "|",
                   ActiveFilter(request.has_active(), request.active()));
  v1::ListOrganisationsResponse response;
  ASSIGN_OR_RETURN(
      std::string next,
      stored::Page(
          store_,
          [&](const std::string& id) { return keys.Record(kOrganisation, id); },
          index, request.page_token(), QueryDigest(query), page_size,
          [&](const std::string&,
              const storage::Record& record) -> absl::StatusOr<bool> {
            ASSIGN_OR_RETURN(v1::Organisation organisation,
                             stored::Decode<v1::Organisation>(record));
            if (request.has_active() &&
                organisation.active() != request.active()) {
              return false;
            }
            *response.add_organisations() = std::move(organisation);
            return true;
          }));
  response.set_next_page_token(std::move(next));
  return response;
}

absl::StatusOr<v1::Organisation> OrganisationDirectory::UpdateOrganisation(
    const auth::Caller& caller, const v1::UpdateOrganisationRequest& request) {
  ASSIGN_OR_RETURN(std::string id,
                   ParseOrganisationName("organisation.name",
                                         request.organisation().name()));
  RETURN_IF_ERROR(CheckReach(caller, id));
  ASSIGN_OR_RETURN(std::set<std::string> paths,
                   UpdatePaths(request.update_mask(),
                               stored::Updatable(OrganisationFields())));
  return stored::WriteWithRetries<v1::Organisation>("organisation", [&] {
    return UpdateOrganisationOnce(caller, request, id, paths);
  });
}

absl::StatusOr<std::optional<v1::Organisation>>
OrganisationDirectory::UpdateOrganisationOnce(
    const auth::Caller& caller, const v1::UpdateOrganisationRequest& request,
    const std::string& id, const std::set<std::string>& paths) {
  ASSIGN_OR_RETURN(Loaded<v1::Organisation> loaded,
                   LoadOrganisation("organisation.name", id));
  const v1::Organisation& before = loaded.message;
  const stored::NamedEtag etag{request.organisation().etag(),
                               "organisation.etag", "organisation"};
  RETURN_IF_ERROR(etag.Check(before.etag()));
  v1::Organisation after = before;
  stored::Apply(OrganisationFields(), paths, request.organisation(), after);
  RETURN_IF_ERROR(NormaliseOrganisation("organisation", after));
  const std::vector<std::string> changed =
      stored::ChangedPaths(OrganisationFields(), paths, before, after);
  // Nothing to write: no new version, no event, the record as it is.
  if (changed.empty()) return after;
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const std::string key = DirectoryKeys().Record(kOrganisation, id);
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, stored::Encode(after));
  v1::OrganisationUpdated updated;
  *updated.mutable_facts() = FactsOf(after);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  RETURN_IF_ERROR(events_.Append(batch, caller, kDirectoryTenancy, after.name(),
                                 version, updated));
  return stored::CommitUpdate(store_, batch, std::move(after), version, etag);
}

// ---- Staff users

absl::StatusOr<OrganisationDirectory::Loaded<v1::StaffUser>>
OrganisationDirectory::LoadStaffUser(const StaffName& name) {
  return stored::Load<v1::StaffUser>(
      store_, StaffKeys(name.organisation).Record(kStaff, name.user),
      absl::StrCat("staff user ", name.str(), " not found"));
}

absl::StatusOr<v1::StaffUser> OrganisationDirectory::CreateStaffUser(
    const auth::Caller& caller, const v1::CreateStaffUserRequest& request) {
  ASSIGN_OR_RETURN(std::string organisation,
                   ParseOrganisationName("parent", request.parent()));
  RETURN_IF_ERROR(CheckReach(caller, organisation));
  RETURN_IF_ERROR(CheckResourceId("staff_user_id", request.staff_user_id()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_staff_user()) return RequiredField("staff_user");
  v1::StaffUser user = request.staff_user();
  RETURN_IF_ERROR(NormaliseStaffUser("staff_user", user));
  // A retry replays the first result before the organisation is checked
  // again: it may have been deactivated since the first call succeeded.
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> earlier,
      store_.Get(StaffKeys(organisation)
                     .Idempotency(caller.organisation, request.request_id())));
  if (earlier.has_value()) {
    return ReplayStaffUser(*earlier, idempotency::Fingerprint(request));
  }
  return CreateStaffUserOnce(caller, request, organisation, std::move(user));
}

absl::StatusOr<v1::StaffUser> OrganisationDirectory::CreateStaffUserOnce(
    const auth::Caller& caller, const v1::CreateStaffUserRequest& request,
    const std::string& organisation_id, v1::StaffUser user) {
  // The organisation lives in the directory's hash slot and the staff user
  // in the organisation's, so this check cannot commit with the write. A
  // user added while the organisation is being deactivated still cannot
  // act: CheckStaffStatus reads the organisation's own flag.
  ASSIGN_OR_RETURN(Loaded<v1::Organisation> organisation,
                   LoadOrganisation("parent", organisation_id));
  if (!organisation.message.active()) {
    return absl::FailedPreconditionError(
        absl::StrCat("parent: organisation ", organisation.message.name(),
                     " is inactive; reactivate it before adding staff"));
  }
  RETURN_IF_ERROR(CheckRoleFits("staff_user.role", user.role(),
                                organisation.message.type()));
  const StaffName name{organisation_id, request.staff_user_id()};
  const google::protobuf::Timestamp now = ToProtoTimestamp(clock_.Now());
  user.set_name(name.str());
  user.set_active(true);
  *user.mutable_create_time() = now;
  *user.mutable_update_time() = now;
  user.clear_etag();

  const KeySpace keys = StaffKeys(organisation_id);
  const std::string fingerprint = idempotency::Fingerprint(request);
  // The idempotency record keeps only the name: no personal data lingers
  // there, and a replay reads the user as they are now.
  v1::StaffUser first;
  first.set_name(user.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectAbsent(keys.Record(kStaff, name.user));
  batch.Put(keys.Record(kStaff, name.user), stored::Encode(user));
  AddStaffIndexes(batch, keys, name.user, user);
  v1::StaffUserCreated created;
  *created.mutable_facts() = FactsOf(user, organisation_id);
  RETURN_IF_ERROR(events_.Append(batch, caller,
                                 storage::OrganisationTenancy(organisation_id),
                                 user.name(), 1, created));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    user.set_etag(stored::VersionTag(1));
    return user;
  }
  if (result.failed_step == guard) {
    return ReplayStaffUser(*result.found, fingerprint);
  }
  return absl::AlreadyExistsError(absl::StrCat("staff_user_id: staff user ",
                                               user.name(),
                                               " is already in the directory"));
}

absl::StatusOr<v1::StaffUser> OrganisationDirectory::ReplayStaffUser(
    const storage::Record& found, const std::string& fingerprint) {
  v1::StaffUser first;
  RETURN_IF_ERROR(
      idempotency::Replay(found, fingerprint, "request_id", &first));
  ASSIGN_OR_RETURN(StaffName name, ParseStaffName("name", first.name()));
  ASSIGN_OR_RETURN(Loaded<v1::StaffUser> loaded, LoadStaffUser(name));
  return std::move(loaded.message);
}

absl::StatusOr<v1::StaffUser> OrganisationDirectory::GetStaffUser(
    const auth::Caller& caller, const v1::GetStaffUserRequest& request) {
  ASSIGN_OR_RETURN(StaffName name, ParseStaffName("name", request.name()));
  RETURN_IF_ERROR(CheckReach(caller, name.organisation));
  ASSIGN_OR_RETURN(Loaded<v1::StaffUser> loaded, LoadStaffUser(name));
  return std::move(loaded.message);
}

absl::StatusOr<v1::ListStaffUsersResponse>
OrganisationDirectory::ListStaffUsers(
    const auth::Caller& caller, const v1::ListStaffUsersRequest& request) {
  ASSIGN_OR_RETURN(std::string organisation,
                   ParseOrganisationName("parent", request.parent()));
  RETURN_IF_ERROR(CheckReach(caller, organisation));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  if (!type::v1::StaffRole_IsValid(request.role())) {
    return InvalidField("role", "must be one of the listed staff roles");
  }
  if (!request.team().empty()) {
    RETURN_IF_ERROR(CheckResourceId("team", request.team()));
  }
  // An organisation not in the directory is NOT_FOUND, not an empty list.
  RETURN_IF_ERROR(LoadOrganisation("parent", organisation).status());
  // Walk the narrowest index; the other filters are checked on the records.
  const KeySpace keys = StaffKeys(organisation);
  std::string index = keys.Index(kStaff);
  if (!request.team().empty()) {
    index = keys.Index(kStaffTeam, request.team());
  } else if (request.role() != type::v1::STAFF_ROLE_UNSPECIFIED) {
    index = keys.Index(kStaffRole, type::v1::StaffRole_Name(request.role()));
  }
  const std::string query = absl::StrCat(
      "staff|", organisation, "|", request.role(), "|", request.team(), "|",
      ActiveFilter(request.has_active(), request.active()));
  v1::ListStaffUsersResponse response;
  ASSIGN_OR_RETURN(
      std::string next,
      stored::Page(
          store_,
          [&](const std::string& id) { return keys.Record(kStaff, id); }, index,
          request.page_token(), QueryDigest(query), page_size,
          [&](const std::string&,
              const storage::Record& record) -> absl::StatusOr<bool> {
            ASSIGN_OR_RETURN(v1::StaffUser user,
                             stored::Decode<v1::StaffUser>(record));
            const bool keep =
                (request.role() == type::v1::STAFF_ROLE_UNSPECIFIED ||
                 user.role() == request.role()) &&
                (request.team().empty() || user.team() == request.team()) &&
                (!request.has_active() || user.active() == request.active());
            if (keep) *response.add_staff_users() = std::move(user);
            return keep;
          }));
  response.set_next_page_token(std::move(next));
  return response;
}

absl::StatusOr<v1::StaffUser> OrganisationDirectory::UpdateStaffUser(
    const auth::Caller& caller, const v1::UpdateStaffUserRequest& request) {
  ASSIGN_OR_RETURN(StaffName name, ParseStaffName("staff_user.name",
                                                  request.staff_user().name()));
  RETURN_IF_ERROR(CheckReach(caller, name.organisation));
  ASSIGN_OR_RETURN(
      std::set<std::string> paths,
      UpdatePaths(request.update_mask(), stored::Updatable(StaffUserFields())));
  return stored::WriteWithRetries<v1::StaffUser>("staff user", [&] {
    return UpdateStaffUserOnce(caller, request, name, paths);
  });
}

absl::StatusOr<std::optional<v1::StaffUser>>
OrganisationDirectory::UpdateStaffUserOnce(
    const auth::Caller& caller, const v1::UpdateStaffUserRequest& request,
    const StaffName& name, const std::set<std::string>& paths) {
  ASSIGN_OR_RETURN(Loaded<v1::StaffUser> loaded, LoadStaffUser(name));
  const v1::StaffUser& before = loaded.message;
  const stored::NamedEtag etag{request.staff_user().etag(), "staff_user.etag",
                               "staff user"};
  RETURN_IF_ERROR(etag.Check(before.etag()));
  v1::StaffUser after = before;
  stored::Apply(StaffUserFields(), paths, request.staff_user(), after);
  RETURN_IF_ERROR(NormaliseStaffUser("staff_user", after));
  const std::vector<std::string> changed =
      stored::ChangedPaths(StaffUserFields(), paths, before, after);
  if (changed.empty()) return after;  // nothing to write
  if (after.role() != before.role()) {
    ASSIGN_OR_RETURN(Loaded<v1::Organisation> organisation,
                     LoadOrganisation("staff_user.name", name.organisation));
    RETURN_IF_ERROR(CheckRoleFits("staff_user.role", after.role(),
                                  organisation.message.type()));
  }
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());

  const KeySpace keys = StaffKeys(name.organisation);
  const std::string key = keys.Record(kStaff, name.user);
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  batch.Put(key, stored::Encode(after));
  ReindexStaff(batch, keys, name.user, before, after);
  v1::StaffUserUpdated updated;
  *updated.mutable_facts() = FactsOf(after, name.organisation);
  for (const std::string& path : changed) updated.add_changed_fields(path);
  RETURN_IF_ERROR(events_.Append(
      batch, caller, storage::OrganisationTenancy(name.organisation),
      after.name(), version, updated));
  return stored::CommitUpdate(store_, batch, std::move(after), version, etag);
}

absl::StatusOr<v1::StaffStatus> OrganisationDirectory::CheckStaffStatus(
    const auth::Caller&, const v1::CheckStaffStatusRequest& request) {
  ASSIGN_OR_RETURN(StaffName name, ParseStaffName("name", request.name()));
  ASSIGN_OR_RETURN(Loaded<v1::StaffUser> user, LoadStaffUser(name));
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> organisation,
      store_.Get(DirectoryKeys().Record(kOrganisation, name.organisation)));
  v1::StaffStatus status;
  status.set_name(user.message.name());
  status.set_active(user.message.active());
  status.set_role(user.message.role());
  status.set_team(user.message.team());
  // An organisation missing from the directory cannot vouch for anyone:
  // fail closed.
  if (organisation.has_value()) {
    ASSIGN_OR_RETURN(v1::Organisation decoded,
                     stored::Decode<v1::Organisation>(*organisation));
    status.set_organisation_active(decoded.active());
  }
  return status;
}

}  // namespace employability::partners
