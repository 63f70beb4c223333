#include "services/participants/case_file.h"

#include <utility>

#include "absl/strings/match.h"
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
using storage::KeySpace;

constexpr const char* kParticipant = kParticipantRecord;

bool SameParticipant(const v1::Participant& a, const v1::Participant& b) {
  google::protobuf::util::MessageDifferencer differ;
  differ.IgnoreField(v1::Participant::descriptor()->FindFieldByName("etag"));
  return differ.Compare(a, b);
}

template <typename Message>
absl::StatusOr<Message> DecodeRecord(const std::optional<storage::Record>& r) {
  Message message;
  if (r.has_value() && !message.ParseFromString(r->value)) {
    return absl::DataLossError("a stored record is unreadable");
  }
  return message;
}

template <typename Values>
bool Holds(const Values& values, int category) {
  for (int held : values) {
    if (held == category) return true;
  }
  return false;
}

bool NamesOrganisation(
    const google::protobuf::RepeatedPtrField<std::string>& names,
    absl::string_view organisation) {
  for (const std::string& name : names) {
    if (name == organisation) return true;
  }
  return false;
}

// How far the caller's scope reaches one participant without looking at
// grants: yes, no, or only through a grant.
enum class Reach { kYes, kNo, kIfGranted };

Reach ReachOf(const auth::Caller& caller, const v1::Participant& p) {
  const bool owner = !caller.organisation.empty() &&
                     p.enrolling_organisation() == caller.organisation;
  switch (caller.scope) {
    case auth::v1::OWNING_ORGANISATION:
      return owner ? Reach::kYes : Reach::kNo;
    case auth::v1::ORGANISATION:
      return owner ? Reach::kYes : Reach::kIfGranted;
    case auth::v1::TEAM:
      // A team belongs to the enrolling organisation: no grant reaches it.
      return owner && !caller.team.empty() && p.team() == caller.team
                 ? Reach::kYes
                 : Reach::kNo;
    case auth::v1::OWN_CASELOAD:
      // User ids are unique within an organisation only.
      return owner && !caller.user.empty() && p.adviser() == caller.user
                 ? Reach::kYes
                 : Reach::kNo;
    default:  // AGGREGATES_ONLY, ANY, unspecified: no one's record
      return Reach::kNo;
  }
}

bool ScopeReachesRecords(auth::v1::Scope scope) {
  return scope == auth::v1::OWNING_ORGANISATION ||
         scope == auth::v1::ORGANISATION || scope == auth::v1::TEAM ||
         scope == auth::v1::OWN_CASELOAD;
}

// Equality data is held for one purpose, which every caller must declare.
absl::Status CheckPurpose(const auth::Caller& caller,
                          v1::DataCategory category) {
  if (category == v1::EQUALITY && caller.purpose != kEqualityPurpose) {
    return absl::PermissionDeniedError(
        "equality data is reachable only for the EQUALITY_MONITORING purpose "
        "(send x-employability-purpose)");
  }
  return absl::OkStatus();
}

constexpr char kNoPurpose[] = "EQUALITY_MONITORING purpose not declared";

// Why a scope did not reach a participant, in a denial's entry: the scope
// and the data category, never anything about the participant.
std::string ReachReason(const auth::Caller& caller, v1::DataCategory category) {
  return absl::StrCat("scope ", auth::v1::Scope_Name(caller.scope),
                      " does not reach ", v1::DataCategory_Name(category));
}

// The action a refused call meant to take, by its method's verb (the
// service's methods follow the resource-oriented verbs): a refusal happens
// before the call knows more.
audit::v1::AuditAction IntendedAction(absl::string_view method) {
  const absl::string_view verb = method.substr(method.rfind('/') + 1);
  if (absl::StartsWith(verb, "Get") || absl::StartsWith(verb, "List")) {
    return audit::v1::READ;
  }
  if (absl::StartsWith(verb, "Export")) return audit::v1::EXPORT;
  if (absl::StartsWith(verb, "Create")) return audit::v1::CREATE;
  if (absl::StartsWith(verb, "Delete")) return audit::v1::DELETE;
  if (absl::StartsWith(verb, "Erase")) return audit::v1::ERASE;
  if (method.empty()) return audit::v1::READ;  // in-process: unknown
  return audit::v1::UPDATE;
}

audit::v1::AuditEntry EntryFor(const auth::Caller& caller,
                               audit::v1::AuditAction action,
                               const Audited& what) {
  audit::v1::AuditEntry entry = audit::AuditEntryBy(caller);
  entry.set_action(action);
  entry.set_method(caller.method.empty() ? kInProcessMethod : caller.method);
  entry.set_record(what.record);
  entry.set_participant(what.participant);
  entry.set_owning_organisation(what.owner);
  entry.set_outcome(audit::v1::ALLOWED);
  return entry;
}

}  // namespace

Audited AuditedRecordOf(const v1::Participant& p, std::string record) {
  return Audited{p.contract(), std::move(record), p.name(),
                 p.enrolling_organisation()};
}

Audited AuditedParticipant(const v1::Participant& p) {
  return AuditedRecordOf(p, p.name());
}

v1::AccessGrantState GrantState(const v1::AccessGrant& grant, absl::Time now) {
  if (grant.has_revoke_time()) return v1::REVOKED;
  if (now < FromProtoTimestamp(grant.start_time())) return v1::PENDING;
  if (now >= FromProtoTimestamp(grant.end_time())) return v1::EXPIRED;
  return v1::ACTIVE;
}

bool GrantOpens(const v1::AccessGrant& grant,
                const v1::ListConsentsResponse& consents,
                absl::string_view organisation, v1::DataCategory category,
                absl::Time now) {
  if (organisation.empty() || grant.organisation() != organisation ||
      !Holds(grant.data_categories(), category) ||
      GrantState(grant, now) != v1::ACTIVE) {
    return false;
  }
  for (const v1::Consent& consent : consents.consents()) {
    if (consent.live() && consent.purpose() == grant.purpose() &&
        Holds(consent.data_categories(), category) &&
        // A consent naming no organisation covers the enrolling one only
        // (participants.proto): it never opens a grant.
        NamesOrganisation(consent.organisations(), organisation)) {
      return true;
    }
  }
  return false;
}

std::string VersionTag(int64_t version) { return absl::StrCat(version); }

void SetEtag(google::protobuf::Message& message, int64_t version) {
  const google::protobuf::FieldDescriptor* etag =
      message.GetDescriptor()->FindFieldByName("etag");
  if (etag != nullptr &&
      etag->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !etag->is_repeated()) {
    message.GetReflection()->SetString(&message, etag, VersionTag(version));
  }
}

absl::Status Conflict(absl::string_view what) {
  return absl::AbortedError(
      absl::StrCat("the ", what, " kept changing while this call ran; retry"));
}

absl::Status StaleEtag(absl::string_view field, absl::string_view what) {
  return absl::AbortedError(absl::StrCat(
      field, ": the ", what,
      " changed since it was read; read it again and reapply the change"));
}

// ---- Names

std::string ItemName::str(const ItemKind& kind) const {
  return absl::StrCat(participant.str(), "/", kind.collection, "/", id);
}

absl::StatusOr<ItemName> ParseItemName(absl::string_view field,
                                       absl::string_view name,
                                       const ItemKind& kind) {
  if (name.empty()) return RequiredField(field);
  const std::string suffix = absl::StrCat("/", kind.collection, "/");
  const size_t at = name.rfind(suffix);
  if (at == absl::string_view::npos) {
    return InvalidField(
        field,
        absl::StrCat("must be contracts/{contract}/participants/{participant}/",
                     kind.collection, "/{id}"));
  }
  ASSIGN_OR_RETURN(ParticipantName participant,
                   ParseParticipantName(field, name.substr(0, at)));
  const absl::string_view id = name.substr(at + suffix.size());
  RETURN_IF_ERROR(CheckResourceId(field, id));
  return ItemName{std::move(participant), std::string(id)};
}

const v1::ProgrammeSpell& Case::spell() const {
  return *participant.spells().rbegin();
}

// ---- CaseChange

CaseChange::CaseChange(const auth::Caller& caller, const Case& read,
                       KeySpace keys)
    : caller_(caller),
      read_(read),
      keys_(std::move(keys)),
      after_(read.participant) {
  // Whatever else it writes, the change holds only if the participant is as
  // read: not deleted, erased or moved on by another write.
  batch_.ExpectVersion(keys_.Record(kParticipant, read.name.participant),
                       read.version);
}

absl::Status CaseChange::SetStatus(v1::ParticipantStatus status,
                                   absl::CivilDay date, absl::Time now) {
  return ApplyStatus(after_, status, date, caller_.user, now);
}

absl::Status CaseChange::NoteActivity(absl::string_view field,
                                      absl::CivilDay date) {
  return NoteSpellActivity(after_, field, date);
}

void CaseChange::PutItem(const ItemKind& kind, const std::string& id,
                         const google::protobuf::Message& item,
                         int64_t version) {
  const std::string key = keys_.Child(kind.key, read_.name.participant, id);
  if (version == 0) {
    batch_.ExpectAbsent(key);
    batch_.IndexAdd(keys_.Index(kind.key, read_.name.participant), id);
  } else {
    batch_.ExpectVersion(key, version);
  }
  // The etag is the record's version, never stored in the record.
  std::unique_ptr<google::protobuf::Message> stored(item.New());
  stored->CopyFrom(item);
  const google::protobuf::FieldDescriptor* etag =
      stored->GetDescriptor()->FindFieldByName("etag");
  if (etag != nullptr) stored->GetReflection()->ClearField(stored.get(), etag);
  batch_.Put(key, stored->SerializeAsString());
}

void CaseChange::Event(std::string aggregate, int64_t aggregate_version,
                       const google::protobuf::Message& payload) {
  std::unique_ptr<google::protobuf::Message> copy(payload.New());
  copy->CopyFrom(payload);
  events_.push_back({std::move(aggregate), aggregate_version, std::move(copy)});
}

void CaseChange::AuditAs(audit::v1::AuditAction action, std::string record) {
  audit_action_ = action;
  audit_record_ = std::move(record);
}

int CaseChange::GuardRequest(const std::string& request_id,
                             const std::string& fingerprint,
                             const google::protobuf::Message& first) {
  return idempotency::Guard(batch_,
                            keys_.Idempotency(caller_.organisation, request_id),
                            fingerprint, first);
}

// ---- CaseFiles

CaseFiles::CaseFiles(storage::Store& store, const Clock& clock, IdSource& ids,
                     const storage::KeyHasher& key_hasher)
    : store_(store),
      clock_(clock),
      ids_(ids),
      key_hasher_(key_hasher),
      events_(kServiceKeyspace, clock, ids),
      trail_(store, clock, ids) {
  if (!absl::LoadTimeZone("Europe/London", &london_)) {
    EMP_LOG(WARNING) << "no tzdata for Europe/London; dates use UTC";
    london_ = absl::UTCTimeZone();
  }
}

absl::CivilDay CaseFiles::Today() const {
  return absl::ToCivilDay(clock_.Now(), london_);
}

KeySpace CaseFiles::Keys(const std::string& contract) const {
  return KeySpace(kServiceKeyspace, storage::ContractTenancy(contract));
}

std::string CaseFiles::DuplicateKey(const v1::Participant& p) const {
  const auto& dob = p.date_of_birth();
  return Keys(p.contract())
      .Record(kDuplicateRecord,
              key_hasher_.Part(absl::StrCat(
                  p.programme(), "|", p.national_insurance_number(), "|",
                  dob.year(), "-", dob.month(), "-", dob.day())));
}

std::string CaseFiles::ItemKey(const ParticipantName& name,
                               const ItemKind& kind,
                               const std::string& id) const {
  return Keys(name.contract).Child(kind.key, name.participant, id);
}

std::string CaseFiles::ItemIndex(const ParticipantName& name,
                                 const ItemKind& kind) const {
  return Keys(name.contract).Index(kind.key, name.participant);
}

absl::StatusOr<v1::Participant> CaseFiles::DecodeParticipant(
    const storage::Record& record) const {
  v1::Participant participant;
  if (!participant.ParseFromString(record.value)) {
    return absl::DataLossError("a stored record is unreadable");
  }
  participant.set_etag(VersionTag(record.version));
  return participant;
}

std::string CaseFiles::GrantsKey(const ParticipantName& name) const {
  return Keys(name.contract).Record(kAccessGrantsRecord, name.participant);
}

absl::StatusOr<Case> CaseFiles::Read(const auth::Caller& caller,
                                     const ParticipantName& name,
                                     v1::DataCategory category) {
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> record,
      store_.Get(Keys(name.contract).Record(kParticipant, name.participant)));
  return CaseOf(caller, name, record, category);
}

absl::StatusOr<Case> CaseFiles::CaseOf(
    const auth::Caller& caller, const ParticipantName& name,
    const std::optional<storage::Record>& record, v1::DataCategory category) {
  // The purpose is asked before anything is looked up, so its refusal reads
  // the same whether or not the participant exists.
  const absl::Status purpose = CheckPurpose(caller, category);
  if (!record.has_value()) {
    const Audited missing{name.contract, name.str(), name.str(),
                          caller.organisation};
    if (!purpose.ok()) return Refused(caller, missing, kNoPurpose, purpose);
    // A service on its own behalf reaches every record, so absence is no
    // secret from it; anyone else hears what they would for a record they
    // may not reach.
    if (caller.is_service()) {
      return absl::NotFoundError(
          absl::StrCat("participant ", name.str(), " not found"));
    }
    return Deny(caller, name, /*found=*/nullptr, category);
  }
  Case c{name, {}, record->version};
  ASSIGN_OR_RETURN(c.participant, DecodeParticipant(*record));
  if (!purpose.ok()) {
    return Refused(caller, AuditedParticipant(c.participant), kNoPurpose,
                   purpose);
  }
  RETURN_IF_ERROR(CheckReach(caller, c, category));
  return c;
}

absl::Status CaseFiles::CheckReach(const auth::Caller& caller, const Case& c,
                                   v1::DataCategory category) {
  const absl::Status purpose = CheckPurpose(caller, category);
  if (!purpose.ok()) {
    return Refused(caller, AuditedParticipant(c.participant), kNoPurpose,
                   purpose);
  }
  if (caller.is_service()) return absl::OkStatus();
  switch (ReachOf(caller, c.participant)) {
    case Reach::kYes:
      return absl::OkStatus();
    case Reach::kNo:
      return Deny(caller, c.name, &c.participant, category);
    case Reach::kIfGranted:
      break;
  }
  ASSIGN_OR_RETURN(std::vector<bool> granted,
                   Granted(caller.organisation, {c.name}, category));
  return granted[0] ? absl::OkStatus()
                    : Deny(caller, c.name, &c.participant, category);
}

absl::StatusOr<std::vector<bool>> CaseFiles::Reaches(
    const auth::Caller& caller, const std::vector<Case>& cases,
    v1::DataCategory category) {
  RETURN_IF_ERROR(CheckPurpose(caller, category));
  std::vector<bool> reached(cases.size(), caller.is_service());
  if (caller.is_service()) return reached;
  std::vector<size_t> pending;  // reached only through a grant
  std::vector<ParticipantName> names;
  for (size_t i = 0; i < cases.size(); ++i) {
    switch (ReachOf(caller, cases[i].participant)) {
      case Reach::kYes:
        reached[i] = true;
        break;
      case Reach::kNo:
        break;
      case Reach::kIfGranted:
        pending.push_back(i);
        names.push_back(cases[i].name);
        break;
    }
  }
  if (pending.empty()) return reached;
  ASSIGN_OR_RETURN(std::vector<bool> granted,
                   Granted(caller.organisation, names, category));
  for (size_t j = 0; j < pending.size(); ++j) reached[pending[j]] = granted[j];
  return reached;
}

absl::Status CaseFiles::KeepReachable(const auth::Caller& caller,
                                      std::vector<Case>& cases,
                                      v1::DataCategory category) {
  ASSIGN_OR_RETURN(std::vector<bool> reached, Reaches(caller, cases, category));
  std::vector<Case> kept;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (reached[i]) kept.push_back(std::move(cases[i]));
  }
  cases = std::move(kept);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> CaseFiles::Granted(
    const std::string& organisation, const std::vector<ParticipantName>& names,
    v1::DataCategory category) {
  std::vector<std::string> keys;
  for (const ParticipantName& name : names) {
    keys.push_back(GrantsKey(name));
    keys.push_back(
        Keys(name.contract).Record(kConsentsRecord, name.participant));
  }
  absl::StatusOr<std::vector<std::optional<storage::Record>>> records =
      store_.GetMany(keys);
  if (!records.ok()) {
    // Fail closed: without the grants nobody else is let in, and the caller
    // is told to retry rather than that the record is not theirs.
    return absl::UnavailableError(
        absl::StrCat("access to the participant cannot be checked now (",
                     records.status().message(), "); retry"));
  }
  const absl::Time now = clock_.Now();
  std::vector<bool> granted(names.size(), false);
  for (size_t i = 0; i < names.size(); ++i) {
    ASSIGN_OR_RETURN(auto grants, DecodeRecord<v1::ListAccessGrantsResponse>(
                                      (*records)[2 * i]));
    ASSIGN_OR_RETURN(auto consents, DecodeRecord<v1::ListConsentsResponse>(
                                        (*records)[2 * i + 1]));
    for (const v1::AccessGrant& grant : grants.access_grants()) {
      if (GrantOpens(grant, consents, organisation, category, now)) {
        granted[i] = true;
        break;
      }
    }
  }
  return granted;
}

absl::Status CaseFiles::CheckScopeReaches(const auth::Caller& caller) const {
  if (caller.is_service() || ScopeReachesRecords(caller.scope)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the ", auth::v1::Scope_Name(caller.scope),
                   " scope reaches no participant's record"));
}

absl::Status CaseFiles::Unreachable(const auth::Caller& caller,
                                    const ParticipantName& name,
                                    v1::DataCategory category) const {
  const std::string participant = absl::StrCat("participant ", name.str());
  switch (caller.scope) {
    case auth::v1::OWNING_ORGANISATION:
      return absl::PermissionDeniedError(absl::StrCat(
          participant, ": not enrolled by organisation ", caller.organisation));
    case auth::v1::ORGANISATION:
      return absl::PermissionDeniedError(absl::StrCat(
          participant, ": not shared with organisation ", caller.organisation,
          " (data category ", v1::DataCategory_Name(category), ")"));
    case auth::v1::TEAM:
      return absl::PermissionDeniedError(
          absl::StrCat(participant, ": not in team ",
                       caller.team.empty() ? "(none)" : caller.team,
                       " of organisation ", caller.organisation));
    case auth::v1::OWN_CASELOAD:
      return absl::PermissionDeniedError(
          absl::StrCat(participant, ": not in the caseload of ", caller.user,
                       " of organisation ", caller.organisation));
    default:
      return absl::PermissionDeniedError(absl::StrCat(
          participant, ": the ", auth::v1::Scope_Name(caller.scope),
          " scope reaches no participant's record"));
  }
}

absl::Status CaseFiles::Deny(const auth::Caller& caller,
                             const ParticipantName& name,
                             const v1::Participant* found,
                             v1::DataCategory category) {
  const Audited what =
      found != nullptr
          ? AuditedParticipant(*found)
          : Audited{name.contract, name.str(), name.str(), caller.organisation};
  return Refused(caller, what, ReachReason(caller, category),
                 Unreachable(caller, name, category));
}

absl::Status CaseFiles::CheckNotErased(
    const v1::Participant& participant) const {
  if (participant.erased()) {
    return absl::FailedPreconditionError(
        absl::StrCat("participant ", participant.name(),
                     " was erased on request; its record is read-only"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Case> CaseFiles::ReadForChange(const auth::Caller& caller,
                                              const ParticipantName& name,
                                              v1::DataCategory category) {
  ASSIGN_OR_RETURN(Case c, Read(caller, name, category));
  RETURN_IF_ERROR(CheckNotErased(c.participant));
  return c;
}

absl::StatusOr<bool> CaseFiles::ConsentCovers(const Case& c,
                                              v1::DataCategory category) {
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> record,
      store_.Get(
          Keys(c.name.contract).Record(kConsentsRecord, c.name.participant)));
  if (!record.has_value()) return false;
  v1::ListConsentsResponse consents;
  if (!consents.ParseFromString(record->value)) {
    return absl::DataLossError("a stored record is unreadable");
  }
  for (const v1::Consent& consent : consents.consents()) {
    if (!consent.live()) continue;
    for (int held : consent.data_categories()) {
      if (held == category) return true;
    }
  }
  return false;
}

absl::StatusOr<StoredItem> CaseFiles::ReadItem(const Case& c,
                                               const ItemKind& kind,
                                               const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<storage::Record> record,
                   store_.Get(ItemKey(c.name, kind, id)));
  if (!record.has_value()) {
    return absl::NotFoundError(
        absl::StrCat(ItemName{c.name, id}.str(kind), " not found"));
  }
  return StoredItem{id, *std::move(record)};
}

absl::Status CaseFiles::ResummariseContacts(const Case& read,
                                            v1::Participant& after,
                                            const v1::Contact* contact,
                                            const v1::GroupSession* session) {
  after.clear_contact_summary();
  const int spell = read.spell().number();
  ASSIGN_OR_RETURN(std::vector<StoredItem> contacts,
                   AllItems(read, kContactItems));
  for (const StoredItem& item : contacts) {
    v1::Contact stored;
    if (!stored.ParseFromString(item.record.value)) {
      return absl::DataLossError("a stored record is unreadable");
    }
    const v1::Contact& c =
        contact != nullptr && contact->name() == stored.name() ? *contact
                                                               : stored;
    if (c.spell() != spell || c.attendance() != v1::ATTENDED) continue;
    ASSIGN_OR_RETURN(absl::CivilDay day,
                     validation::ToCivilDay("contact_date", c.contact_date()));
    NoteAttendedContact(
        after, day,
        c.channel() == v1::FACE_TO_FACE || c.channel() == v1::GROUP);
  }
  // Group sessions count from the spell's referral on.
  ASSIGN_OR_RETURN(
      absl::CivilDay referral,
      validation::ToCivilDay("referral_date", read.spell().referral_date()));
  const KeySpace keys = Keys(read.name.contract);
  ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      store_.IndexRange(keys.Index(kGroupSessionRecord, read.name.participant),
                        "", 10000));
  std::vector<std::string> session_keys;
  for (const std::string& id : ids) {
    session_keys.push_back(keys.Record(kGroupSessionRecord, id));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   store_.GetMany(session_keys));
  for (const std::optional<storage::Record>& record : records) {
    if (!record.has_value()) continue;
    v1::GroupSession stored;
    if (!stored.ParseFromString(record->value)) {
      return absl::DataLossError("a stored record is unreadable");
    }
    const v1::GroupSession& s =
        session != nullptr && session->name() == stored.name() ? *session
                                                               : stored;
    ASSIGN_OR_RETURN(absl::CivilDay day,
                     validation::ToCivilDay("session_date", s.session_date()));
    if (day < referral) continue;
    for (const v1::Attendee& attendee : s.attendees()) {
      if (attendee.participant() == read.name.str() &&
          attendee.attendance() == v1::ATTENDED) {
        NoteAttendedContact(after, day, s.delivery_mode() == v1::IN_PERSON);
      }
    }
  }
  return absl::OkStatus();
}

std::string CaseFiles::QueryDigest(absl::string_view query) const {
  return key_hasher_.Part(query).substr(0, 12);
}

absl::StatusOr<ItemPage> CaseFiles::ListItems(const Case& c,
                                              const ItemKind& kind,
                                              const std::string& page_token,
                                              int page_size) {
  // The token is bound to the participant and the kind.
  const std::string digest =
      QueryDigest(absl::StrCat(c.name.str(), "|", kind.key));
  std::string after;
  if (!page_token.empty()) {
    ASSIGN_OR_RETURN(after, DecodePageToken("page_token", page_token, digest));
  }
  ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      store_.IndexRange(ItemIndex(c.name, kind), after, page_size + 1));
  const bool more = static_cast<int>(ids.size()) > page_size;
  if (more) ids.resize(page_size);
  std::vector<std::string> keys;
  for (const std::string& id : ids) keys.push_back(ItemKey(c.name, kind, id));
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   store_.GetMany(keys));
  ItemPage page;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!records[i].has_value()) continue;  // removed since the index was read
    page.items.push_back({ids[i], *std::move(records[i])});
  }
  if (more) page.next_page_token = EncodePageToken(ids.back(), digest);
  return page;
}

absl::StatusOr<std::vector<StoredItem>> CaseFiles::AllItems(
    const Case& c, const ItemKind& kind, int limit) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids,
                   store_.IndexRange(ItemIndex(c.name, kind), "", limit));
  std::vector<std::string> keys;
  for (const std::string& id : ids) keys.push_back(ItemKey(c.name, kind, id));
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   store_.GetMany(keys));
  std::vector<StoredItem> items;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (records[i].has_value()) items.push_back({ids[i], *records[i]});
  }
  return items;
}

CaseChange CaseFiles::Begin(const auth::Caller& caller, const Case& c) const {
  return CaseChange(caller, c, Keys(c.name.contract));
}

void CaseFiles::ExpectParticipant(Batch& batch, const Case& read) const {
  batch.ExpectVersion(
      Keys(read.name.contract).Record(kParticipant, read.name.participant),
      read.version);
}

bool CaseFiles::StageParticipant(Batch& batch, const auth::Caller& caller,
                                 const Case& read, v1::Participant& after,
                                 bool always) {
  const v1::Participant& before = read.participant;
  // Written or not, the batch holds only if the participant is as read.
  ExpectParticipant(batch, read);
  if (!always && SameParticipant(before, after)) return false;
  const int64_t version = read.version + 1;
  *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());
  after.clear_etag();
  const std::string key =
      Keys(read.name.contract).Record(kParticipant, read.name.participant);
  batch.Put(key, after.SerializeAsString());
  Reindex(batch, read.name.participant, before, after);
  if (before.status() != after.status()) {
    v1::ParticipantStatusChanged status_changed;
    *status_changed.mutable_facts() = FactsOf(after);
    status_changed.set_previous_status(before.status());
    AppendEvent(batch, caller, read.name.contract, after.name(), version,
                status_changed);
  }
  after.set_etag(VersionTag(version));
  return true;
}

absl::StatusOr<storage::BatchResult> CaseFiles::Commit(CaseChange& change) {
  const Case& read = change.read();
  Batch& batch = change.batch_;
  for (const CaseChange::PendingEvent& event : change.events_) {
    AppendEvent(batch, change.caller(), read.name.contract, event.aggregate,
                event.version, *event.payload);
  }
  StageParticipant(batch, change.caller(), read, change.after_,
                   change.touched_);
  RETURN_IF_ERROR(RegisterStream(read.name.contract));
  // Last, so that every key of the batch is checked to share the trail's
  // slot.
  RETURN_IF_ERROR(AuditWrite(
      batch, change.caller(), change.audit_action_,
      AuditedRecordOf(read.participant, change.audit_record_.empty()
                                            ? read.name.str()
                                            : change.audit_record_)));
  return store_.Commit(batch);
}

// ---- The audit trail

absl::Status CaseFiles::AuditRead(const auth::Caller& caller,
                                  const Audited& what,
                                  audit::v1::AuditAction action) {
  if (what.owner.empty()) {
    return absl::PermissionDeniedError(
        "a list spanning participants is audited in the caller's "
        "organisation's trail, and a service on its own behalf has none; "
        "call on a user's behalf");
  }
  const absl::Status recorded = trail_.Record(
      storage::ContractTenancy(what.contract), EntryFor(caller, action, what));
  if (recorded.ok() || absl::IsInternal(recorded)) return recorded;
  // Personal data is never returned unaudited.
  return absl::UnavailableError(
      absl::StrCat("the read could not be recorded in the audit trail (",
                   recorded.message(), "); retry"));
}

absl::Status CaseFiles::AuditWrite(storage::Batch& batch,
                                   const auth::Caller& caller,
                                   audit::v1::AuditAction action,
                                   const Audited& what) {
  return trail_.AddTo(batch, storage::ContractTenancy(what.contract),
                      EntryFor(caller, action, what));
}

absl::StatusOr<storage::BatchResult> CaseFiles::CommitAudited(
    Batch& batch, const auth::Caller& caller, audit::v1::AuditAction action,
    const Audited& what) {
  RETURN_IF_ERROR(AuditWrite(batch, caller, action, what));
  return store_.Commit(batch);
}

Audited CaseFiles::SpanningList(const auth::Caller& caller,
                                const std::string& contract,
                                std::string collection) {
  return Audited{contract, std::move(collection), "", caller.organisation};
}

absl::Status CaseFiles::Refused(const auth::Caller& caller, const Audited& what,
                                absl::string_view reason,
                                absl::Status refusal) {
  // A service on its own behalf asking about no one: no organisation to
  // tell (the refusal itself names only the purpose).
  if (what.owner.empty()) return refusal;
  audit::v1::AuditEntry entry =
      EntryFor(caller, IntendedAction(caller.method), what);
  entry.set_outcome(audit::v1::DENIED);
  entry.set_reason(std::string(reason));
  const absl::Status recorded =
      trail_.Record(storage::ContractTenancy(what.contract), std::move(entry));
  if (!recorded.ok()) {
    EMP_LOG(ERROR) << "a refusal of " << what.record
                   << " could not be recorded in the audit trail: " << recorded;
  }
  return refusal;
}

absl::StatusOr<std::string> CaseFiles::OwnerOf(const ParticipantName& name) {
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> record,
      store_.Get(Keys(name.contract).Record(kParticipant, name.participant)));
  if (!record.has_value()) return std::string();
  ASSIGN_OR_RETURN(v1::Participant participant, DecodeParticipant(*record));
  return participant.enrolling_organisation();
}

// ---- Indexes and events

void CaseFiles::AddIndexes(Batch& batch, const std::string& id,
                           const v1::Participant& p) const {
  const KeySpace keys = Keys(p.contract());
  batch.IndexAdd(keys.Index("status", v1::ParticipantStatus_Name(p.status())),
                 id);
  batch.IndexAdd(keys.Index("organisation", p.enrolling_organisation()), id);
  if (!p.adviser().empty())
    batch.IndexAdd(keys.Index("adviser", p.adviser()), id);
}

void CaseFiles::RemoveIndexes(Batch& batch, const std::string& id,
                              const v1::Participant& p) const {
  const KeySpace keys = Keys(p.contract());
  batch.IndexRemove(
      keys.Index("status", v1::ParticipantStatus_Name(p.status())), id);
  batch.IndexRemove(keys.Index("organisation", p.enrolling_organisation()), id);
  if (!p.adviser().empty())
    batch.IndexRemove(keys.Index("adviser", p.adviser()), id);
}

void CaseFiles::Reindex(Batch& batch, const std::string& id,
                        const v1::Participant& before,
                        const v1::Participant& after) const {
  const KeySpace keys = Keys(after.contract());
  if (before.status() != after.status()) {
    batch.IndexRemove(
        keys.Index("status", v1::ParticipantStatus_Name(before.status())), id);
    batch.IndexAdd(
        keys.Index("status", v1::ParticipantStatus_Name(after.status())), id);
  }
  if (before.adviser() != after.adviser()) {
    if (!before.adviser().empty())
      batch.IndexRemove(keys.Index("adviser", before.adviser()), id);
    if (!after.adviser().empty())
      batch.IndexAdd(keys.Index("adviser", after.adviser()), id);
  }
}

void CaseFiles::AppendEvent(Batch& batch, const auth::Caller& caller,
                            const std::string& contract,
                            const std::string& aggregate, int64_t version,
                            const google::protobuf::Message& payload) {
  events::EventContext context{storage::ContractTenancy(contract), aggregate,
                               caller.organisation, caller.user, version};
  events_.Append(batch, context, payload);
}

void CaseFiles::AppendParticipantEvent(
    Batch& batch, const auth::Caller& caller, const Case& c,
    const google::protobuf::Message& payload) {
  AppendEvent(batch, caller, c.name.contract, c.name.str(), c.version, payload);
}

absl::Status CaseFiles::RegisterStream(const std::string& contract) {
  return events_.RegisterStream(store_, storage::ContractTenancy(contract));
}

}  // namespace employability::participants
