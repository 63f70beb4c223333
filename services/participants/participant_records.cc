#include "services/participants/participant_records.h"

#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/log.h"
#include "common/status/macros.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "google/protobuf/util/message_differencer.h"

namespace employability::participants {
namespace {

using storage::Batch;
using storage::BatchResult;
using storage::KeySpace;

// Record kinds within the service's key space.
constexpr const char* kParticipant = kParticipantRecord;
constexpr const char* kConsents = kConsentsRecord;
constexpr const char* kEquality = kEqualityRecord;

absl::Status Conflict() {
  return ::employability::participants::Conflict("participant");
}

absl::Status StaleEtag(absl::string_view field) {
  return ::employability::participants::StaleEtag(field, "participant");
}

// Where a caller whose scope is a team or a caseload puts a participant
// they enrol or change: within that team or caseload, so that the record
// stays theirs to reach. PERMISSION_DENIED naming the field otherwise.
absl::Status CheckPlacement(const auth::Caller& caller,
                            const v1::Participant& p) {
  if (caller.scope == auth::v1::TEAM && p.team() != caller.team) {
    return absl::PermissionDeniedError(absl::StrCat(
        "participant.team: a team leader places participants in their own "
        "team (",
        caller.team.empty() ? "none" : caller.team, ")"));
  }
  if (caller.scope == auth::v1::OWN_CASELOAD && p.adviser() != caller.user) {
    return absl::PermissionDeniedError(
        absl::StrCat("participant.adviser: this caller places participants in "
                     "their own caseload (",
                     caller.user, ")"));
  }
  return absl::OkStatus();
}

template <typename Message>
absl::StatusOr<Message> Decode(const storage::Record& record) {
  Message message;
  if (!message.ParseFromString(record.value)) {
    return absl::DataLossError("a stored record is unreadable");
  }
  return message;
}

bool HasLiveConsent(const v1::ListConsentsResponse& consents,
                    v1::ConsentPurpose purpose) {
  for (const v1::Consent& consent : consents.consents()) {
    if (consent.live() && consent.purpose() == purpose) return true;
  }
  return false;
}

// A token need only tell one query's filters from another's, the same on
// every replica of the service.
std::string FilterDigest(const CaseFiles& files, const std::string& contract,
                         const v1::ListParticipantsRequest& request) {
  return files.QueryDigest(absl::StrCat(contract, "|", request.status(), "|",
                                        request.adviser(), "|",
                                        request.enrolling_organisation()));
}

bool Matches(const v1::Participant& p,
             const v1::ListParticipantsRequest& request) {
  return (request.status() == v1::PARTICIPANT_STATUS_UNSPECIFIED ||
          p.status() == request.status()) &&
         (request.adviser().empty() || p.adviser() == request.adviser()) &&
         (request.enrolling_organisation().empty() ||
          p.enrolling_organisation() == request.enrolling_organisation());
}

bool Before(const type::v1::Date& a, const type::v1::Date& b) {
  return std::make_tuple(a.year(), a.month(), a.day()) <
         std::make_tuple(b.year(), b.month(), b.day());
}

// A re-join: a new spell of the same person, referred on the participant's
// referral date (set it in the same update), which cannot precede the end
// of the last spell.
absl::Status OpenSpell(v1::Participant& p) {
  const v1::ProgrammeSpell& last = *p.spells().rbegin();
  if (Before(p.referral_date(), last.exit_date())) {
    return absl::FailedPreconditionError(
        "participant.referral_date: a re-join's referral must not be before "
        "the last spell's exit date; set it in the same update");
  }
  const int number = last.number() + 1;
  v1::ProgrammeSpell* spell = p.add_spells();
  spell->set_number(number);
  p.clear_contact_summary();  // contact standards start again with the spell
  *spell->mutable_referral_date() = p.referral_date();
  return absl::OkStatus();
}

// The current spell carries the referral date events report; a referral
// after the spell started would put the programme out of order.
absl::Status KeepSpellReferralDate(v1::Participant& p) {
  v1::ProgrammeSpell* spell = p.mutable_spells(p.spells_size() - 1);
  *spell->mutable_referral_date() = p.referral_date();
  if (spell->has_start_date()) {
    if (Before(spell->start_date(), p.referral_date())) {
      return absl::FailedPreconditionError(
          "participant.referral_date: must not be after the spell's start "
          "date");
    }
  }
  return absl::OkStatus();
}

// The duplicate-check record holds "<enrolling organisation> <name>", so that
// the existing participant is named only to the organisation that holds it.
std::string DuplicateValue(const v1::Participant& p) {
  return absl::StrCat(p.enrolling_organisation(), " ", p.name());
}

absl::Status AlreadyEnrolled(const auth::Caller& caller,
                             const std::string& programme,
                             const std::optional<storage::Record>& found) {
  std::string message = absl::StrCat(
      "participant: a participant with this National Insurance number and date "
      "of birth is already on programme ",
      programme);
  std::pair<std::string, std::string> holder = absl::StrSplit(
      found.has_value() ? found->value : "", absl::MaxSplits(' ', 1));
  if (holder.first == caller.organisation) {
    absl::StrAppend(&message, ": ", holder.second);
  } else {
    absl::StrAppend(&message, ", enrolled by another organisation");
  }
  return absl::AlreadyExistsError(message);
}

// The fields an update may name, and how to copy each from the request.
using FieldCopy = void (*)(const v1::Participant&, v1::Participant&);
const std::vector<std::pair<std::string, FieldCopy>>& UpdatableFields() {
  static const auto* fields =
      new std::vector<std::pair<std::string, FieldCopy>>{
          {"adviser", [](const v1::Participant& f,
                         v1::Participant& t) { t.set_adviser(f.adviser()); }},
          {"team", [](const v1::Participant& f,
                      v1::Participant& t) { t.set_team(f.team()); }},
          {"referral_source",
           [](const v1::Participant& f, v1::Participant& t) {
             t.set_referral_source(f.referral_source());
           }},
          {"referral_date",
           [](const v1::Participant& f, v1::Participant& t) {
             *t.mutable_referral_date() = f.referral_date();
           }},
          {"given_name",
           [](const v1::Participant& f, v1::Participant& t) {
             t.set_given_name(f.given_name());
           }},
          {"family_name",
           [](const v1::Participant& f, v1::Participant& t) {
             t.set_family_name(f.family_name());
           }},
          {"date_of_birth",
           [](const v1::Participant& f, v1::Participant& t) {
             *t.mutable_date_of_birth() = f.date_of_birth();
           }},
          {"national_insurance_number",
           [](const v1::Participant& f, v1::Participant& t) {
             t.set_national_insurance_number(f.national_insurance_number());
           }},
          {"contact",
           [](const v1::Participant& f, v1::Participant& t) {
             *t.mutable_contact() = f.contact();
           }},
          {"contact.email",
           [](const v1::Participant& f, v1::Participant& t) {
             t.mutable_contact()->set_email(f.contact().email());
           }},
          {"contact.phone",
           [](const v1::Participant& f, v1::Participant& t) {
             t.mutable_contact()->set_phone(f.contact().phone());
           }},
          {"contact.address_lines",
           [](const v1::Participant& f, v1::Participant& t) {
             *t.mutable_contact()->mutable_address_lines() =
                 f.contact().address_lines();
           }},
          {"contact.postcode",
           [](const v1::Participant& f, v1::Participant& t) {
             t.mutable_contact()->set_postcode(f.contact().postcode());
           }},
          {"status", [](const v1::Participant& f,
                        v1::Participant& t) { t.set_status(f.status()); }},
      };
  return *fields;
}

absl::StatusOr<FieldCopy> UpdatableField(const std::string& path) {
  for (const auto& [name, copy] : UpdatableFields()) {
    if (name == path) return copy;
  }
  return InvalidField(
      "update_mask",
      absl::StrCat("'", path, "' is not a field that can be updated"));
}

}  // namespace

ParticipantRecords::ParticipantRecords(CaseFiles& files)
    : files_(files), store_(files.store()) {}

KeySpace ParticipantRecords::Keys(const std::string& contract) const {
  return files_.Keys(contract);
}

void ParticipantRecords::AppendEvent(Batch& batch, const auth::Caller& caller,
                                     const v1::Participant& p, int64_t version,
                                     const google::protobuf::Message& payload) {
  files_.AppendEvent(batch, caller, p.contract(), p.name(), version, payload);
}

absl::StatusOr<ParticipantRecords::Loaded> ParticipantRecords::Load(
    const auth::Caller& caller, const ParticipantName& name, With with,
    v1::DataCategory category) {
  KeySpace keys = Keys(name.contract);
  std::vector<std::string> wanted = {
      keys.Record(kParticipant, name.participant)};
  if (with != With::kParticipant)
    wanted.push_back(keys.Record(kConsents, name.participant));
  if (with == With::kEverything)
    wanted.push_back(keys.Record(kEquality, name.participant));
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   store_.GetMany(wanted));
  ASSIGN_OR_RETURN(Case c, files_.CaseOf(caller, name, records[0], category));
  Loaded loaded;
  loaded.participant = std::move(c.participant);
  loaded.version = c.version;
  if (records.size() > 1 && records[1].has_value()) {
    ASSIGN_OR_RETURN(loaded.consents,
                     Decode<v1::ListConsentsResponse>(*records[1]));
    loaded.consents_version = records[1]->version;
  }
  if (records.size() > 2) loaded.equality = records[2];
  return loaded;
}

// ---- Create ----------------------------------------------------------------

absl::StatusOr<v1::Participant> ParticipantRecords::Create(
    const auth::Caller& caller, const v1::CreateParticipantRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   ParseContractName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_participant()) return RequiredField("participant");
  v1::Participant participant = request.participant();
  RETURN_IF_ERROR(NormaliseParticipant("participant", Today(), participant));
  RETURN_IF_ERROR(files_.CheckScopeReaches(caller));
  // A team leader enrols into their team, an adviser limited to a caseload
  // into it, unless they say otherwise (and are refused).
  if (caller.scope == auth::v1::TEAM && participant.team().empty()) {
    participant.set_team(caller.team);
  }
  if (caller.scope == auth::v1::OWN_CASELOAD && participant.adviser().empty()) {
    participant.set_adviser(caller.user);
  }
  RETURN_IF_ERROR(CheckPlacement(caller, participant));
  RETURN_IF_ERROR(files_.RegisterStream(contract));
  return CreateOnce(caller, request, contract, std::move(participant));
}

absl::StatusOr<v1::Participant> ParticipantRecords::CreateOnce(
    const auth::Caller& caller, const v1::CreateParticipantRequest& request,
    const std::string& contract, v1::Participant p) {
  const absl::Time now = files_.Now();
  const ParticipantName name{contract, files_.NewId()};
  // Output-only fields are ours to set, whatever the caller sent.
  p.set_name(name.str());
  p.set_contract(contract);
  p.set_enrolling_organisation(caller.organisation);
  p.set_status(v1::REFERRED);
  p.clear_spells();
  v1::ProgrammeSpell* spell = p.add_spells();
  spell->set_number(1);
  *spell->mutable_referral_date() = p.referral_date();
  v1::StatusChange* change = spell->add_history();
  change->set_status(v1::REFERRED);
  *change->mutable_change_time() = ToProtoTimestamp(now);
  change->set_changed_by(caller.user);
  *p.mutable_create_time() = ToProtoTimestamp(now);
  *p.mutable_update_time() = ToProtoTimestamp(now);
  p.clear_etag();

  const KeySpace keys = Keys(contract);
  const std::string fingerprint = idempotency::Fingerprint(request);
  // The idempotency record keeps only the name: no personal data lingers
  // there, and a replay reads the participant as it is now.
  v1::Participant first;
  first.set_name(p.name());
  Batch batch;
  const int idempotency_step = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  const std::string duplicate_key = files_.DuplicateKey(p);
  batch.ExpectAbsent(duplicate_key);
  batch.Put(keys.Record(kParticipant, name.participant), p.SerializeAsString());
  batch.Put(duplicate_key, DuplicateValue(p));
  files_.AddIndexes(batch, name.participant, p);
  v1::ParticipantCreated created;
  *created.mutable_facts() = FactsOf(p);
  AppendEvent(batch, caller, p, 1, created);

  ASSIGN_OR_RETURN(BatchResult result,
                   files_.CommitAudited(batch, caller, audit::v1::CREATE,
                                        AuditedParticipant(p)));
  if (result.committed) {
    p.set_etag(VersionTag(1));
    return p;
  }
  if (result.failed_step == idempotency_step) {
    RETURN_IF_ERROR(
        idempotency::Replay(*result.found, fingerprint, "request_id", &first));
    ASSIGN_OR_RETURN(ParticipantName replayed,
                     ParseParticipantName("name", first.name()));
    ASSIGN_OR_RETURN(Loaded loaded,
                     Load(caller, replayed, With::kParticipant, v1::IDENTITY));
    // A replay writes nothing: it reads the participant the first call made.
    RETURN_IF_ERROR(
        files_.AuditRead(caller, AuditedParticipant(loaded.participant)));
    return loaded.participant;
  }
  return AlreadyEnrolled(caller, p.programme(), result.found);
}

// ---- Get and List
// ------------------------------------------------------------

absl::StatusOr<v1::Participant> ParticipantRecords::Get(
    const auth::Caller& caller, const v1::GetParticipantRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("name", request.name()));
  ASSIGN_OR_RETURN(Loaded loaded,
                   Load(caller, name, With::kParticipant, v1::IDENTITY));
  RETURN_IF_ERROR(
      files_.AuditRead(caller, AuditedParticipant(loaded.participant)));
  return std::move(loaded.participant);
}

absl::StatusOr<v1::ListParticipantsResponse> ParticipantRecords::List(
    const auth::Caller& caller, const v1::ListParticipantsRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   ParseContractName("parent", request.parent()));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  if (!v1::ParticipantStatus_IsValid(request.status())) {
    return InvalidField("status", "must be one of the listed statuses");
  }
  if (!request.adviser().empty())
    RETURN_IF_ERROR(CheckResourceId("adviser", request.adviser()));
  if (!request.enrolling_organisation().empty()) {
    RETURN_IF_ERROR(CheckResourceId("enrolling_organisation",
                                    request.enrolling_organisation()));
  }
  RETURN_IF_ERROR(files_.CheckScopeReaches(caller));
  // The caller's own organisation's participants, unless it names another:
  // then those of the other shared with the caller's through grants.
  const std::string& own = caller.is_service()
                               ? request.enrolling_organisation()
                               : caller.organisation;
  const bool shared = !request.enrolling_organisation().empty() &&
                      request.enrolling_organisation() != own;
  if (shared && caller.scope != auth::v1::ORGANISATION) {
    return absl::PermissionDeniedError(absl::StrCat(
        "enrolling_organisation: the ", auth::v1::Scope_Name(caller.scope),
        " scope reaches only organisation ", own, "'s own participants"));
  }
  v1::ListParticipantsRequest scoped = request;
  if (!shared) scoped.set_enrolling_organisation(own);

  const std::string digest = FilterDigest(files_, contract, request);
  std::string after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(
        after, DecodePageToken("page_token", request.page_token(), digest));
  }
  // Walk the narrowest index; the other filters, and the caller's reach,
  // are checked on the records.
  const KeySpace keys = Keys(contract);
  std::string index = keys.Index("organisation", own);
  if (shared) {
    index = keys.Index(kGranteeIndex, caller.organisation);
  } else if (!request.adviser().empty()) {
    index = keys.Index("adviser", request.adviser());
  } else if (caller.scope == auth::v1::OWN_CASELOAD) {
    index = keys.Index("adviser", caller.user);
  } else if (request.status() != v1::PARTICIPANT_STATUS_UNSPECIFIED) {
    index = keys.Index("status", v1::ParticipantStatus_Name(request.status()));
  }
  ASSIGN_OR_RETURN(
      v1::ListParticipantsResponse response,
      ListFrom(caller, index, after, page_size, scoped, contract, digest));
  RETURN_IF_ERROR(files_.AuditRead(
      caller, CaseFiles::SpanningList(
                  caller, contract,
                  absl::StrCat("contracts/", contract, "/participants"))));
  return response;
}

absl::StatusOr<v1::ListParticipantsResponse> ParticipantRecords::ListFrom(
    const auth::Caller& caller, const std::string& index,
    const std::string& after, int page_size,
    const v1::ListParticipantsRequest& request, const std::string& contract,
    const std::string& digest) {
  const KeySpace keys = Keys(contract);
  v1::ListParticipantsResponse response;
  std::string cursor = after;
  // Bounded work per call: a sparse filter returns a short page and a token.
  for (int round = 0; round < 4; ++round) {
    const int want = page_size - response.participants_size();
    ASSIGN_OR_RETURN(std::vector<std::string> ids,
                     store_.IndexRange(index, cursor, want));
    std::vector<std::string> record_keys;
    for (const std::string& id : ids)
      record_keys.push_back(keys.Record(kParticipant, id));
    ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                     store_.GetMany(record_keys));
    std::vector<Case> matching;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!records[i].has_value()) continue;  // deleted since the index read
      ASSIGN_OR_RETURN(v1::Participant p,
                       files_.DecodeParticipant(*records[i]));
      if (!Matches(p, request)) continue;
      matching.push_back(Case{ParticipantName{contract, ids[i]}, std::move(p),
                              records[i]->version});
    }
    // Only what the caller could get one by one.
    RETURN_IF_ERROR(files_.KeepReachable(caller, matching, v1::IDENTITY));
    for (Case& c : matching) {
      *response.add_participants() = std::move(c.participant);
    }
    if (static_cast<int>(ids.size()) < want)
      return response;  // index exhausted
    cursor = ids.back();
    if (response.participants_size() >= page_size) break;
  }
  response.set_next_page_token(EncodePageToken(cursor, digest));
  return response;
}

// ---- Update and Delete
// ---------------------------------------------------------

absl::StatusOr<v1::Participant> ParticipantRecords::Update(
    const auth::Caller& caller, const v1::UpdateParticipantRequest& request) {
  ASSIGN_OR_RETURN(
      ParticipantName name,
      ParseParticipantName("participant.name", request.participant().name()));
  if (request.update_mask().paths_size() == 0)
    return RequiredField("update_mask");
  for (const std::string& path : request.update_mask().paths()) {
    RETURN_IF_ERROR(UpdatableField(path).status());
  }
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<v1::Participant> updated,
                     UpdateOnce(caller, request, name));
    if (updated.has_value()) return *std::move(updated);
  }
  return Conflict();
}

absl::StatusOr<std::optional<v1::Participant>> ParticipantRecords::UpdateOnce(
    const auth::Caller& caller, const v1::UpdateParticipantRequest& request,
    const ParticipantName& name) {
  ASSIGN_OR_RETURN(Loaded loaded,
                   Load(caller, name, With::kParticipant, v1::IDENTITY));
  RETURN_IF_ERROR(files_.CheckNotErased(loaded.participant));
  const v1::Participant& before = loaded.participant;
  const std::string& etag = request.participant().etag();
  if (!etag.empty() && etag != before.etag()) {
    return StaleEtag("participant.etag");
  }
  v1::Participant after = before;
  const std::set<std::string> paths(request.update_mask().paths().begin(),
                                    request.update_mask().paths().end());
  for (const std::string& path : paths) {
    (*UpdatableField(path))(request.participant(), after);
  }
  RETURN_IF_ERROR(NormaliseParticipant("participant", Today(), after));
  RETURN_IF_ERROR(CheckPlacement(caller, after));
  const bool status_changed = after.status() != before.status();
  std::vector<std::string> changed;  // paths whose value really changed
  for (const std::string& path : paths) {
    v1::Participant probe = before;
    (*UpdatableField(path))(after, probe);
    if (path != "status" &&
        !google::protobuf::util::MessageDifferencer::Equals(probe, before)) {
      changed.push_back(path);
    }
  }
  // Nothing to write: no new version, no event, the record as it is (the
  // call read it).
  after.set_etag(before.etag());
  if (google::protobuf::util::MessageDifferencer::Equals(before, after)) {
    RETURN_IF_ERROR(files_.AuditRead(caller, AuditedParticipant(before)));
    return after;
  }
  const absl::Time now = files_.Now();
  if (status_changed) {
    const v1::ParticipantStatus status = after.status();
    if (status == v1::EXITED || status == v1::WITHDRAWN) {
      return InvalidField("participant.status",
                          "set EXITED or WITHDRAWN with ExitParticipant, "
                          "which records the reason");
    }
    // Work and outcomes follow from facts: a job start (Progression.CreateJob)
    // and the quality service's outcome rules (RecordJobOutcome).
    if (status == v1::IN_WORK || status == v1::OUTCOME_ACHIEVED) {
      return InvalidField("participant.status",
                          "IN_WORK follows a job start (CreateJob) and "
                          "OUTCOME_ACHIEVED a recorded job outcome "
                          "(RecordJobOutcome)");
    }
    RETURN_IF_ERROR(CheckTransition(before.status(), status));
    after.set_status(before.status());
    if (status == v1::REFERRED) RETURN_IF_ERROR(OpenSpell(after));
    RETURN_IF_ERROR(ApplyStatus(after, status, Today(), caller.user, now));
  }
  RETURN_IF_ERROR(KeepSpellReferralDate(after));
  *after.mutable_update_time() = ToProtoTimestamp(now);
  after.clear_etag();

  const KeySpace keys = Keys(name.contract);
  const std::string key = keys.Record(kParticipant, name.participant);
  Batch batch;
  batch.ExpectVersion(key, loaded.version);
  const std::string old_duplicate = files_.DuplicateKey(before);
  const std::string new_duplicate = files_.DuplicateKey(after);
  int duplicate_step = -1;
  if (new_duplicate != old_duplicate) {
    duplicate_step = static_cast<int>(batch.steps().size());
    batch.ExpectAbsent(new_duplicate);
    batch.Delete(old_duplicate);
    batch.Put(new_duplicate, DuplicateValue(after));
  }
  batch.Put(key, after.SerializeAsString());
  files_.Reindex(batch, name.participant, before, after);
  const int64_t version = loaded.version + 1;
  if (!changed.empty()) {
    v1::ParticipantUpdated event;
    *event.mutable_facts() = FactsOf(after);
    for (const std::string& path : changed) event.add_changed_fields(path);
    AppendEvent(batch, caller, after, version, event);
  }
  if (status_changed) {
    v1::ParticipantStatusChanged event;
    *event.mutable_facts() = FactsOf(after);
    event.set_previous_status(before.status());
    AppendEvent(batch, caller, after, version, event);
  }
  ASSIGN_OR_RETURN(BatchResult result,
                   files_.CommitAudited(batch, caller, audit::v1::UPDATE,
                                        AuditedParticipant(after)));
  if (result.committed) {
    after.set_etag(VersionTag(version));
    return after;
  }
  if (result.failed_step == duplicate_step) {
    return AlreadyEnrolled(caller, after.programme(), result.found);
  }
  if (!etag.empty()) {
    return StaleEtag("participant.etag");
  }
  return std::nullopt;  // someone else wrote first: read again and retry
}

// Adds to `batch` the removal of the participant's access grants (`grants`,
// as read) and of its place in each grantee's index.
absl::Status ParticipantRecords::RemoveGrants(
    Batch& batch, const ParticipantName& name,
    const std::optional<storage::Record>& grants) {
  const std::string key = files_.GrantsKey(name);
  if (!grants.has_value()) {
    batch.ExpectAbsent(key);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(auto held, Decode<v1::ListAccessGrantsResponse>(*grants));
  batch.ExpectVersion(key, grants->version);
  batch.Delete(key);
  for (const v1::AccessGrant& grant : held.access_grants()) {
    batch.IndexRemove(
        Keys(name.contract).Index(kGranteeIndex, grant.organisation()),
        name.participant);
  }
  return absl::OkStatus();
}

// Deleting is for an enrolment made by mistake. Once anything of a journey
// is recorded the participant is exited (or erased on request) instead: the
// record is evidence for payments and quality.
absl::Status ParticipantRecords::CheckNoJourney(const ParticipantName& name) {
  std::vector<std::string> indexes;
  for (const ItemKind* kind : kItemKinds) {
    indexes.push_back(files_.ItemIndex(name, *kind));
  }
  indexes.push_back(
      Keys(name.contract).Index(kGroupSessionRecord, name.participant));
  for (const std::string& index : indexes) {
    ASSIGN_OR_RETURN(int64_t held, store_.IndexSize(index));
    if (held > 0) {
      return absl::FailedPreconditionError(
          "name: the participant has journey records (barriers, plans, "
          "contacts, sessions, jobs or reviews); exit them instead, or erase "
          "their personal data on request");
    }
  }
  return absl::OkStatus();
}

absl::Status ParticipantRecords::Delete(
    const auth::Caller& caller, const v1::DeleteParticipantRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("name", request.name()));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Loaded loaded,
                     Load(caller, name, With::kParticipant, v1::IDENTITY));
    const v1::Participant& p = loaded.participant;
    if (!request.etag().empty() && request.etag() != p.etag()) {
      return StaleEtag("etag");
    }
    RETURN_IF_ERROR(CheckNoJourney(name));
    ASSIGN_OR_RETURN(std::optional<storage::Record> grants,
                     store_.Get(files_.GrantsKey(name)));
    const KeySpace keys = Keys(name.contract);
    Batch batch;
    batch.ExpectVersion(keys.Record(kParticipant, name.participant),
                        loaded.version);
    batch.Delete(keys.Record(kParticipant, name.participant));
    batch.Delete(keys.Record(kConsents, name.participant));
    batch.Delete(keys.Record(kEquality, name.participant));
    batch.Delete(files_.DuplicateKey(p));
    files_.RemoveIndexes(batch, name.participant, p);
    RETURN_IF_ERROR(RemoveGrants(batch, name, grants));
    v1::ParticipantDeleted event;
    *event.mutable_facts() = FactsOf(p);
    AppendEvent(batch, caller, p, loaded.version + 1, event);
    ASSIGN_OR_RETURN(BatchResult result,
                     files_.CommitAudited(batch, caller, audit::v1::DELETE,
                                          AuditedParticipant(p)));
    if (result.committed) return absl::OkStatus();
    if (!request.etag().empty()) {
      return StaleEtag("etag");
    }
  }
  return Conflict();
}

// ---- Exit
// ---------------------------------------------------------------------

namespace {

// EXITED once started; WITHDRAWN when the participant never started.
v1::ParticipantStatus ExitStatus(v1::ParticipantStatus status) {
  return status == v1::REFERRED ? v1::WITHDRAWN : v1::EXITED;
}

absl::Status CheckExitDate(const v1::ProgrammeSpell& spell, absl::CivilDay exit,
                           absl::CivilDay today) {
  RETURN_IF_ERROR(validation::CheckNotAfter("exit_date", exit, today, "today"));
  const std::pair<const char*, const type::v1::Date*> bounds[] = {
      {"the spell's referral date", &spell.referral_date()},
      {"the spell's start date", &spell.start_date()},
      {"the last activity recorded in the spell", &spell.last_activity_date()},
  };
  for (const auto& [what, date] : bounds) {
    if (date->year() == 0) continue;  // not set
    ASSIGN_OR_RETURN(absl::CivilDay bound,
                     validation::ToCivilDay("exit_date", *date));
    if (exit < bound) {
      return absl::FailedPreconditionError(
          absl::StrCat("exit_date: must not be before ", what, " (",
                       absl::FormatCivilTime(bound), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::Participant> ParticipantRecords::Exit(
    const auth::Caller& caller, const v1::ExitParticipantRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("name", request.name()));
  if (request.reason() == v1::EXIT_REASON_UNSPECIFIED) {
    return RequiredField("reason");
  }
  if (!v1::ExitReason_IsValid(request.reason())) {
    return InvalidField("reason", "must be one of the listed exit reasons");
  }
  ASSIGN_OR_RETURN(absl::CivilDay exit,
                   validation::ToCivilDay("exit_date", request.exit_date()));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Case c, files_.ReadForChange(caller, name, v1::IDENTITY));
    if (!request.etag().empty() && request.etag() != c.participant.etag()) {
      return StaleEtag("etag");
    }
    const v1::ParticipantStatus status = c.participant.status();
    if (status == v1::EXITED || status == v1::WITHDRAWN) {
      return absl::FailedPreconditionError(
          absl::StrCat("participant.status: the participant is already ",
                       v1::ParticipantStatus_Name(status),
                       "; re-join them (status REFERRED) to open a new spell"));
    }
    RETURN_IF_ERROR(CheckExitDate(c.spell(), exit, Today()));
    CaseChange change = files_.Begin(caller, c);
    RETURN_IF_ERROR(change.SetStatus(ExitStatus(status), exit, files_.Now()));
    v1::Participant& p = change.mutable_participant();
    p.mutable_spells(p.spells_size() - 1)->set_exit_reason(request.reason());
    v1::ParticipantExited exited;
    *exited.mutable_facts() = FactsOf(p);
    change.Event(p.name(), c.version + 1, exited);
    ASSIGN_OR_RETURN(storage::BatchResult result, files_.Commit(change));
    if (result.committed) return change.participant();
    if (!request.etag().empty()) return StaleEtag("etag");
  }
  return Conflict();
}

// ---- Consent
// -------------------------------------------------------------------

absl::StatusOr<v1::Consent> ParticipantRecords::CreateConsent(
    const auth::Caller& caller, const v1::CreateConsentRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_consent()) return RequiredField("consent");
  v1::Consent consent = request.consent();
  RETURN_IF_ERROR(NormaliseConsent("consent", consent));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<v1::Consent> created,
                     CreateConsentOnce(caller, request, name, consent));
    if (created.has_value()) return *std::move(created);
  }
  return Conflict();
}

// Consent to share with other organisations is what opens access grants
// (CaseFiles::CheckReach), so only the enrolling organisation records it: an
// organisation reaching the participant through a grant must not be able to
// open it to a third, or re-open what a withdrawal closed. Any organisation
// reaching the participant may record consent that names only itself.
absl::Status ParticipantRecords::CheckMayShareWith(
    const auth::Caller& caller, const v1::Participant& participant,
    const v1::Consent& consent) const {
  if (caller.is_service() ||
      caller.organisation == participant.enrolling_organisation()) {
    return absl::OkStatus();
  }
  for (const std::string& organisation : consent.organisations()) {
    if (organisation != caller.organisation &&
        organisation != absl::StrCat("organisations/", caller.organisation)) {
      return absl::PermissionDeniedError(
          "consent.organisations: only the enrolling organisation records "
          "consent to share with other organisations");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::Consent>>
ParticipantRecords::CreateConsentOnce(const auth::Caller& caller,
                                      const v1::CreateConsentRequest& request,
                                      const ParticipantName& name,
                                      const v1::Consent& given) {
  ASSIGN_OR_RETURN(Loaded loaded,
                   Load(caller, name, With::kConsents, v1::IDENTITY));
  RETURN_IF_ERROR(files_.CheckNotErased(loaded.participant));
  RETURN_IF_ERROR(CheckMayShareWith(caller, loaded.participant, given));
  v1::Consent consent = given;
  consent.set_name(absl::StrCat(name.str(), "/consents/", files_.NewId()));
  *consent.mutable_given_time() = ToProtoTimestamp(files_.Now());
  consent.set_recorded_by(caller.user);
  consent.clear_withdrawn_time();
  consent.clear_withdrawn_recorded_by();
  consent.set_live(true);
  *loaded.consents.add_consents() = consent;

  const KeySpace keys = Keys(name.contract);
  const std::string consents_key = keys.Record(kConsents, name.participant);
  const std::string fingerprint = idempotency::Fingerprint(request);
  v1::Consent first;
  first.set_name(consent.name());
  Batch batch;
  const int idempotency_step = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectVersion(keys.Record(kParticipant, name.participant),
                      loaded.version);
  if (loaded.consents_version == 0) {
    batch.ExpectAbsent(consents_key);
  } else {
    batch.ExpectVersion(consents_key, loaded.consents_version);
  }
  batch.Put(consents_key, loaded.consents.SerializeAsString());
  v1::ConsentGiven event;
  event.set_participant(name.str());
  event.set_consent(consent.name());
  event.set_purpose(consent.purpose());
  *event.mutable_organisations() = consent.organisations();
  *event.mutable_data_categories() = consent.data_categories();
  AppendEvent(batch, caller, loaded.participant, loaded.version, event);

  ASSIGN_OR_RETURN(BatchResult result,
                   files_.CommitAudited(
                       batch, caller, audit::v1::CREATE,
                       AuditedRecordOf(loaded.participant, consent.name())));
  if (result.committed) return consent;
  if (result.failed_step != idempotency_step) return std::nullopt;  // retry
  RETURN_IF_ERROR(
      idempotency::Replay(*result.found, fingerprint, "request_id", &first));
  ASSIGN_OR_RETURN(Loaded now,
                   Load(caller, name, With::kConsents, v1::IDENTITY));
  for (const v1::Consent& stored : now.consents.consents()) {
    if (stored.name() != first.name()) continue;
    // A replay writes nothing: it reads the consent the first call made.
    RETURN_IF_ERROR(files_.AuditRead(
        caller, AuditedRecordOf(now.participant, stored.name())));
    return stored;
  }
  return absl::NotFoundError(
      absl::StrCat("consent ", first.name(), " not found"));
}

absl::StatusOr<v1::Consent> ParticipantRecords::WithdrawConsent(
    const auth::Caller& caller, const v1::WithdrawConsentRequest& request) {
  ASSIGN_OR_RETURN(auto parsed, ParseConsentName("name", request.name()));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<v1::Consent> withdrawn,
                     WithdrawConsentOnce(caller, parsed.first, request.name()));
    if (withdrawn.has_value()) return *std::move(withdrawn);
  }
  return Conflict();
}

absl::StatusOr<std::optional<v1::Consent>>
ParticipantRecords::WithdrawConsentOnce(const auth::Caller& caller,
                                        const ParticipantName& name,
                                        const std::string& consent_name) {
  ASSIGN_OR_RETURN(Loaded loaded,
                   Load(caller, name, With::kEverything, v1::IDENTITY));
  v1::Consent* consent = nullptr;
  for (v1::Consent& c : *loaded.consents.mutable_consents()) {
    if (c.name() == consent_name) consent = &c;
  }
  if (consent == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("consent ", consent_name, " not found"));
  }
  if (!consent->live()) {
    return absl::FailedPreconditionError("consent is already withdrawn");
  }
  consent->set_live(false);
  *consent->mutable_withdrawn_time() = ToProtoTimestamp(files_.Now());
  consent->set_withdrawn_recorded_by(caller.user);

  const KeySpace keys = Keys(name.contract);
  const std::string consents_key = keys.Record(kConsents, name.participant);
  Batch batch;
  batch.ExpectVersion(keys.Record(kParticipant, name.participant),
                      loaded.version);
  batch.ExpectVersion(consents_key, loaded.consents_version);
  batch.Put(consents_key, loaded.consents.SerializeAsString());
  v1::ConsentWithdrawn event;
  event.set_participant(name.str());
  event.set_consent(consent->name());
  event.set_purpose(consent->purpose());
  *event.mutable_organisations() = consent->organisations();
  AppendEvent(batch, caller, loaded.participant, loaded.version, event);
  // Equality data is held only under consent: withdrawing it erases the data
  // in the same write.
  if (loaded.equality.has_value() &&
      !HasLiveConsent(loaded.consents, v1::EQUALITY_MONITORING)) {
    batch.ExpectVersion(keys.Record(kEquality, name.participant),
                        loaded.equality->version);
    batch.Delete(keys.Record(kEquality, name.participant));
    v1::EqualityDataErased erased;
    erased.set_participant(name.str());
    AppendEvent(batch, caller, loaded.participant, loaded.version, erased);
  }
  ASSIGN_OR_RETURN(
      BatchResult result,
      files_.CommitAudited(batch, caller, audit::v1::UPDATE,
                           AuditedRecordOf(loaded.participant, consent_name)));
  if (!result.committed) return std::nullopt;
  return *consent;
}

absl::StatusOr<v1::ListConsentsResponse> ParticipantRecords::ListConsents(
    const auth::Caller& caller, const v1::ListConsentsRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseParticipantName("parent", request.parent()));
  ASSIGN_OR_RETURN(Loaded loaded,
                   Load(caller, name, With::kConsents, v1::IDENTITY));
  v1::ListConsentsResponse response;
  for (const v1::Consent& consent : loaded.consents.consents()) {
    if (consent.live() || request.include_withdrawn())
      *response.add_consents() = consent;
  }
  RETURN_IF_ERROR(files_.AuditRead(
      caller, AuditedRecordOf(loaded.participant,
                              absl::StrCat(name.str(), "/consents"))));
  return response;
}

// ---- Equality-monitoring data
// --------------------------------------------------

namespace {

// The resource name of a participant's equality data.
std::string EqualityDataName(const ParticipantName& name) {
  return absl::StrCat(name.str(), "/equalityData");
}

absl::Status CheckEqualityPurpose(v1::ConsentPurpose purpose) {
  if (purpose == v1::CONSENT_PURPOSE_UNSPECIFIED) {
    return RequiredField("purpose");
  }
  if (!v1::ConsentPurpose_IsValid(purpose)) {
    return InvalidField("purpose", "must be one of the listed purposes");
  }
  if (purpose != v1::EQUALITY_MONITORING) {
    return absl::PermissionDeniedError(
        "purpose: equality data is available only for EQUALITY_MONITORING");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::EqualityData> ParticipantRecords::UpdateEqualityData(
    const auth::Caller& caller, const v1::UpdateEqualityDataRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseEqualityDataName("equality_data.name",
                                         request.equality_data().name()));
  RETURN_IF_ERROR(CheckEqualityPurpose(request.purpose()));
  v1::EqualityData data = request.equality_data();
  RETURN_IF_ERROR(NormaliseEqualityData("equality_data", data));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(Loaded loaded,
                     Load(caller, name, With::kConsents, v1::EQUALITY));
    RETURN_IF_ERROR(files_.CheckNotErased(loaded.participant));
    if (!HasLiveConsent(loaded.consents, v1::EQUALITY_MONITORING)) {
      return absl::FailedPreconditionError(
          "equality data needs a live consent for EQUALITY_MONITORING");
    }
    *data.mutable_update_time() = ToProtoTimestamp(files_.Now());
    const KeySpace keys = Keys(name.contract);
    Batch batch;
    // The consent read above must still be the consent when the data lands.
    batch.ExpectVersion(keys.Record(kParticipant, name.participant),
                        loaded.version);
    batch.ExpectVersion(keys.Record(kConsents, name.participant),
                        loaded.consents_version);
    batch.Put(keys.Record(kEquality, name.participant),
              data.SerializeAsString());
    v1::EqualityDataRecorded event;
    event.set_participant(name.str());
    AppendEvent(batch, caller, loaded.participant, loaded.version, event);
    ASSIGN_OR_RETURN(
        BatchResult result,
        files_.CommitAudited(
            batch, caller, audit::v1::UPDATE,
            AuditedRecordOf(loaded.participant, EqualityDataName(name))));
    if (result.committed) return data;
  }
  return Conflict();
}

absl::StatusOr<v1::EqualityData> ParticipantRecords::GetEqualityData(
    const auth::Caller& caller, const v1::GetEqualityDataRequest& request) {
  ASSIGN_OR_RETURN(ParticipantName name,
                   ParseEqualityDataName("name", request.name()));
  RETURN_IF_ERROR(CheckEqualityPurpose(request.purpose()));
  ASSIGN_OR_RETURN(Loaded loaded,
                   Load(caller, name, With::kEverything, v1::EQUALITY));
  if (!HasLiveConsent(loaded.consents, v1::EQUALITY_MONITORING)) {
    return absl::FailedPreconditionError(
        "equality data needs a live consent for EQUALITY_MONITORING");
  }
  if (!loaded.equality.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("no equality data recorded for ", name.str()));
  }
  ASSIGN_OR_RETURN(v1::EqualityData data,
                   Decode<v1::EqualityData>(*loaded.equality));
  RETURN_IF_ERROR(files_.AuditRead(
      caller, AuditedRecordOf(loaded.participant, EqualityDataName(name))));
  return data;
}

}  // namespace employability::participants
