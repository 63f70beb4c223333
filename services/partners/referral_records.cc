#include "services/partners/referral_records.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "services/partners/organisation_directory.h"
#include "services/partners/stored_records.h"

namespace employability::partners {

// What a step of the lifecycle is.
struct ReferralRecords::Step {
  enum class Side { kSender, kReceiver, kEither };
  v1::ReferralState to;
  std::vector<v1::ReferralState> from;
  Side side;
};

namespace {

using storage::Batch;
using storage::BatchResult;
using storage::KeySpace;
using Step = ReferralRecords::Step;

constexpr char kKeyspace[] = "partners";
constexpr char kReferral[] = "referral";
constexpr char kReceived[] = "received";
constexpr char kReceivedState[] = "received-state";
constexpr char kSent[] = "sent";
constexpr char kDue[] = "due";
constexpr char kPast[] = "past";
constexpr char kParticipantReferrals[] = "participant-referrals";
constexpr char kInboxRegistry[] = "employability:partners:referral-inboxes";
constexpr char kOrganisationsPrefix[] = "organisations/";
constexpr absl::string_view kReferralsSegment = "/referrals/";
constexpr char kReferralNameForm[] =
    "must be organisations/{organisation}/referrals/{referral}";
constexpr char kEventTypePrefix[] = "employability.partners.v1.Referral";
constexpr int kMaxText = 2000;
constexpr int kMaxSummary = 4000;
constexpr int kMaxDeadlines = 500;
constexpr int kSweepBatch = 500;
// A grant lasts until the referral closes (which revokes it) or the
// agreement ends; never longer than this without a new referral.
constexpr absl::Duration kLongestGrant = absl::Hours(24 * 730);

constexpr v1::Standard kStandards[] = {v1::RESPOND, v1::START, v1::CLOSE};
constexpr v1::ReferralState kOpenStates[] = {v1::SENT, v1::ACCEPTED,
                                             v1::STARTED};

// ---- Names and keys

struct ReferralName {
  std::string receiver;
  std::string id;
};

std::string NameOf(const std::string& receiver, const std::string& id) {
  return absl::StrCat(kOrganisationsPrefix, receiver, kReferralsSegment, id);
}

absl::StatusOr<ReferralName> ParseReferralName(absl::string_view field,
                                               absl::string_view name) {
  ASSIGN_OR_RETURN(OrganisationChild child,
                   ParseOrganisationChild(field, name, kReferralsSegment,
                                          kReferralNameForm));
  return ReferralName{std::move(child.organisation), std::move(child.id)};
}

// contracts/{contract}/participants/{participant}: the contract's id.
absl::StatusOr<std::string> ContractOfParticipant(absl::string_view field,
                                                  absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 4 || parts[0] != "contracts" ||
      parts[2] != "participants") {
    return InvalidField(field,
                        "must be contracts/{contract}/participants/"
                        "{participant}");
  }
  RETURN_IF_ERROR(CheckResourceId(field, parts[1]));
  RETURN_IF_ERROR(CheckResourceId(field, parts[3]));
  return std::string(parts[1]);
}

KeySpace InboxKeys(const std::string& receiver) {
  return KeySpace(kKeyspace, storage::OrganisationTenancy(receiver));
}

int64_t Millis(const google::protobuf::Timestamp& t) {
  return absl::ToUnixMillis(FromProtoTimestamp(t));
}

// Members of the lexical inbox indexes sort by time, then id.
std::string TimedMember(const google::protobuf::Timestamp& t,
                        const std::string& id) {
  return absl::StrFormat("%013d:%s", Millis(t), id);
}

std::string IdAfterColon(const std::string& member) {
  const size_t at = member.rfind(':');
  return at == std::string::npos ? member : member.substr(at + 1);
}

std::string DueMember(const std::string& id, v1::Standard standard) {
  return absl::StrCat(id, ":", v1::Standard_Name(standard));
}

std::string IdOf(const v1::Referral& referral) {
  return std::string(referral.name().substr(referral.name().rfind('/') + 1));
}

absl::StatusOr<v1::Referral> DecodeReferral(const storage::Record& record) {
  return stored::Decode<v1::Referral>(record, "referral");
}

// ---- States and standards

bool IsOpen(v1::ReferralState state) {
  return state == v1::SENT || state == v1::ACCEPTED || state == v1::STARTED;
}

// Whether the receiver has it: sent (or imported), not a withdrawn draft.
bool WasSent(const v1::Referral& referral) {
  return referral.imported() ||
         std::any_of(referral.steps().begin(), referral.steps().end(),
                     [](const v1::ReferralStep& step) {
                       return step.state() == v1::SENT;
                     });
}

// When the referral entered the received inbox: sent, or imported.
google::protobuf::Timestamp InboxTime(const v1::Referral& referral) {
  for (const v1::ReferralStep& step : referral.steps()) {
    if (step.state() == v1::SENT || referral.imported()) return step.time();
  }
  return referral.create_time();
}

// Whether the standard is still to be met in the referral's state.
bool Pending(v1::Standard standard, v1::ReferralState state) {
  switch (standard) {
    case v1::RESPOND:
      return state == v1::SENT;
    case v1::START:
      return state == v1::ACCEPTED;
    case v1::CLOSE:
      return IsOpen(state);
    default:
      return false;
  }
}

const google::protobuf::Timestamp* DueOf(const v1::Referral& referral,
                                         v1::Standard standard) {
  switch (standard) {
    case v1::RESPOND:
      return referral.has_respond_by() ? &referral.respond_by() : nullptr;
    case v1::START:
      return referral.has_start_by() ? &referral.start_by() : nullptr;
    case v1::CLOSE:
      return referral.has_close_by() ? &referral.close_by() : nullptr;
    default:
      return nullptr;
  }
}

bool Breached(const v1::Referral& referral, v1::Standard standard) {
  return std::any_of(referral.breaches().begin(), referral.breaches().end(),
                     [&](const v1::StandardBreach& breach) {
                       return breach.standard() == standard;
                     });
}

absl::StatusOr<calendar::Nation> CalendarNation(v1::Nation nation) {
  switch (nation) {
    case v1::ENGLAND_AND_WALES:
      return calendar::Nation::kEnglandAndWales;
    case v1::SCOTLAND:
      return calendar::Nation::kScotland;
    case v1::NORTHERN_IRELAND:
      return calendar::Nation::kNorthernIreland;
    default:
      return absl::FailedPreconditionError(
          "the contract names no nation, so its working days cannot be "
          "counted");
  }
}

v1::ServiceStandards WithDefaults(v1::ServiceStandards standards) {
  if (standards.respond_within_days() <= 0)
    standards.set_respond_within_days(2);
  if (standards.start_within_days() <= 0) standards.set_start_within_days(20);
  if (standards.close_within_days() <= 0) standards.set_close_within_days(40);
  return standards;
}

absl::StatusOr<google::protobuf::Timestamp> DueAfter(
    const calendar::WorkingCalendar& calendar, absl::Time start, int days,
    v1::Nation nation) {
  ASSIGN_OR_RETURN(calendar::Nation n, CalendarNation(nation));
  absl::StatusOr<absl::Time> due = calendar.DueBy(start, days, n);
  if (!due.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the service standards cannot be counted: ", due.status().message()));
  }
  return ToProtoTimestamp(*due);
}

// ---- Checks of what a caller sends

absl::Status CheckNote(absl::string_view field, absl::string_view note,
                       bool required) {
  return CheckText(field, note, kMaxText, required);
}

// A step's reason from its list (`listed`), and the note that an OTHER
// reason (`other`) needs.
absl::Status CheckReason(int reason, bool listed, bool other,
                         absl::string_view note) {
  if (reason == 0) return RequiredField("reason");
  if (!listed) {
    return InvalidField("reason", "must be one of the listed reasons");
  }
  return CheckNote("note", note, other);
}

absl::Status CheckHandover(absl::string_view prefix, const v1::Handover& h,
                           bool to_send) {
  RETURN_IF_ERROR(CheckText(FieldPath(prefix, "summary"), h.summary(),
                            kMaxSummary, to_send));
  if (to_send && !h.participant_agreed()) {
    return InvalidField(
        FieldPath(prefix, "participant_agreed"),
        "the participant must have seen and agreed the handover summary "
        "before it is sent");
  }
  return absl::OkStatus();
}

absl::Status CheckDraftFields(const v1::Referral& r,
                              const std::string& receiver, bool to_send) {
  if (r.kind() == v1::REFERRAL_KIND_UNSPECIFIED) {
    return RequiredField("referral.kind");
  }
  if (!v1::ReferralKind_IsValid(r.kind())) {
    return InvalidField("referral.kind",
                        "must be ALLOCATION or "
                        "SERVICE_REFERRAL");
  }
  RETURN_IF_ERROR(
      ContractOfParticipant("referral.participant", r.participant()).status());
  if (r.kind() == v1::SERVICE_REFERRAL) {
    const std::string prefix =
        absl::StrCat(kOrganisationsPrefix, receiver, "/services/");
    if (r.service().empty()) return RequiredField("referral.service");
    if (!absl::StartsWith(r.service(), prefix) ||
        r.service().size() == prefix.size()) {
      return InvalidField("referral.service",
                          absl::StrCat("must be a service of the receiver: ",
                                       prefix, "{service}"));
    }
  } else if (!r.service().empty()) {
    return InvalidField("referral.service",
                        "an allocation hands over the whole journey and "
                        "names no service");
  }
  RETURN_IF_ERROR(CheckText("referral.reason", r.reason(), kMaxText, true));
  if (r.urgency() == v1::URGENCY_UNSPECIFIED) {
    return RequiredField("referral.urgency");
  }
  if (!v1::Urgency_IsValid(r.urgency())) {
    return InvalidField("referral.urgency", "must be ROUTINE or URGENT");
  }
  return CheckHandover("referral.handover", r.handover(), to_send);
}

// ---- Events

v1::ReferralFacts FactsOf(const v1::Referral& r) {
  v1::ReferralFacts facts;
  facts.set_referral(r.name());
  facts.set_kind(r.kind());
  facts.set_participant(r.participant());
  facts.set_contract(r.contract());
  facts.set_sub_contract(r.sub_contract());
  facts.set_sender(r.sender());
  facts.set_receiver(r.receiver());
  facts.set_service(r.service());
  facts.set_urgency(r.urgency());
  facts.set_state(r.state());
  facts.set_imported(r.imported());
  *facts.mutable_create_time() = r.create_time();
  for (const v1::ReferralStep& step : r.steps()) {
    switch (step.state()) {
      case v1::SENT:
        *facts.mutable_send_time() = step.time();
        break;
      case v1::ACCEPTED:
        *facts.mutable_respond_time() = step.time();
        if (r.imported()) *facts.mutable_send_time() = step.time();
        break;
      case v1::DECLINED:
        *facts.mutable_respond_time() = step.time();
        *facts.mutable_close_time() = step.time();
        break;
      case v1::STARTED:
        *facts.mutable_start_time() = step.time();
        break;
      case v1::DID_NOT_START:
      case v1::COMPLETED:
      case v1::WITHDRAWN:
        *facts.mutable_close_time() = step.time();
        break;
      default:
        break;
    }
  }
  return facts;
}

v1::ReferralClosed ClosedEvent(const v1::Referral& r) {
  v1::ReferralClosed closed;
  *closed.mutable_facts() = FactsOf(r);
  closed.set_decline_reason(r.decline_reason());
  closed.set_not_started_reason(r.not_started_reason());
  closed.set_outcome(r.outcome());
  closed.set_failure_reason(r.failure_reason());
  closed.set_withdrawal_reason(r.withdrawal_reason());
  return closed;
}

// The refusal for a referral the caller may not reach, worded the same
// whether or not it exists.
absl::Status Unreachable(const auth::Caller& caller, absl::string_view name) {
  return absl::PermissionDeniedError(
      absl::StrCat(name, " is not a referral organisation ",
                   caller.organisation, " sent or received"));
}

}  // namespace

ReferralRecords::ReferralRecords(storage::Store& store, const Clock& clock,
                                 IdSource& ids, Ports ports)
    : store_(store),
      clock_(clock),
      ids_(ids),
      ports_(ports),
      events_(kKeyspace, clock, ids),
      audit_(store, clock, ids) {}

// ---- Reading

absl::Status ReferralRecords::AuditRead(const auth::Caller& caller,
                                        const v1::Referral& referral,
                                        bool allowed,
                                        const std::string& reason) {
  audit::v1::AuditEntry entry = audit::AuditEntryBy(caller);
  entry.set_action(audit::v1::READ);
  entry.set_method(caller.method.empty() ? "in-process" : caller.method);
  entry.set_record(referral.name());
  entry.set_participant(referral.participant());
  entry.set_owning_organisation(referral.sender().empty() ? caller.organisation
                                                          : referral.sender());
  entry.set_outcome(allowed ? audit::v1::ALLOWED : audit::v1::DENIED);
  entry.set_reason(reason);
  return audit_.Record(storage::OrganisationTenancy(referral.receiver()),
                       std::move(entry));
}

absl::StatusOr<ReferralRecords::Loaded> ReferralRecords::LoadReachable(
    const auth::Caller& caller, const std::string& name, bool for_write) {
  ASSIGN_OR_RETURN(ReferralName parsed, ParseReferralName("name", name));
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> record,
      store_.Get(InboxKeys(parsed.receiver).Record(kReferral, parsed.id)));
  if (!record.has_value()) return Unreachable(caller, name);
  ASSIGN_OR_RETURN(v1::Referral referral, DecodeReferral(*record));
  // The sender sees its referral from the start; the receiver once sent.
  const bool reaches =
      caller.is_service() || caller.organisation == referral.sender() ||
      (caller.organisation == referral.receiver() && WasSent(referral));
  if (!reaches) {
    // Recorded on the referral's trail: an outsider tried to reach it.
    RETURN_IF_ERROR(AuditRead(caller, referral, false, "not a party"));
    return Unreachable(caller, name);
  }
  if (!for_write) RETURN_IF_ERROR(AuditRead(caller, referral, true, ""));
  return Loaded{std::move(referral), record->version};
}

absl::StatusOr<v1::Referral> ReferralRecords::Get(
    const auth::Caller& caller, const v1::GetReferralRequest& request) {
  ASSIGN_OR_RETURN(Loaded loaded,
                   LoadReachable(caller, request.name(), /*for_write=*/false));
  return std::move(loaded.referral);
}

absl::StatusOr<v1::ListReferralsResponse> ReferralRecords::List(
    const auth::Caller& caller, const v1::ListReferralsRequest& request) {
  ASSIGN_OR_RETURN(std::string organisation,
                   ParseOrganisationName("parent", request.parent()));
  if (!caller.is_service() && caller.organisation != organisation) {
    return absl::PermissionDeniedError(
        absl::StrCat("parent: organisation ", caller.organisation,
                     " lists only its own referrals"));
  }
  if (request.box() == v1::REFERRAL_BOX_UNSPECIFIED) {
    return RequiredField("box");
  }
  if (!v1::ReferralBox_IsValid(request.box())) {
    return InvalidField("box", "must be RECEIVED or SENT_BY");
  }
  if (!v1::ReferralState_IsValid(request.state())) {
    return InvalidField("state", "must be one of the listed states");
  }
  if (request.box() == v1::RECEIVED && request.state() == v1::DRAFT) {
    return InvalidField("state", "a receiver never sees drafts");
  }
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  // A page token holds only for the query it was issued for.
  v1::ListReferralsRequest query = request;
  query.clear_page_token();
  query.clear_page_size();
  const std::string digest =
      absl::BytesToHexString(idempotency::Fingerprint(query)).substr(0, 12);
  std::string cursor;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(
        cursor, DecodePageToken("page_token", request.page_token(), digest));
  }
  const KeySpace keys = InboxKeys(organisation);
  const bool received = request.box() == v1::RECEIVED;
  std::string index = keys.Index(kSent);
  if (received) {
    index = request.state() == v1::REFERRAL_STATE_UNSPECIFIED
                ? keys.Index(kReceived)
                : keys.Index(kReceivedState,
                             v1::ReferralState_Name(request.state()));
  }
  v1::ListReferralsResponse response;
  // A sparse filter on the sent index reads a bounded number of rounds.
  for (int round = 0; round < 4; ++round) {
    const int want = page_size - response.referrals_size() + 1;
    ASSIGN_OR_RETURN(std::vector<std::string> members,
                     store_.IndexRange(index, cursor, want));
    std::vector<std::string> record_keys;
    for (const std::string& member : members) {
      // Received: "<ms>:<id>" here; sent: "<ms>:<receiver>:<id>".
      const std::vector<std::string> parts = absl::StrSplit(member, ':');
      const std::string& receiver = received ? organisation : parts[1];
      record_keys.push_back(
          InboxKeys(receiver).Record(kReferral, IdAfterColon(member)));
    }
    ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                     store_.GetMany(record_keys));
    for (size_t i = 0; i < members.size(); ++i) {
      if (response.referrals_size() == page_size) {
        response.set_next_page_token(EncodePageToken(cursor, digest));
        return response;
      }
      cursor = members[i];
      if (!records[i].has_value()) continue;
      ASSIGN_OR_RETURN(v1::Referral referral, DecodeReferral(*records[i]));
      if (request.state() != v1::REFERRAL_STATE_UNSPECIFIED &&
          referral.state() != request.state()) {
        continue;
      }
      *response.add_referrals() = std::move(referral);
    }
    if (static_cast<int>(members.size()) < want) return response;
  }
  response.set_next_page_token(EncodePageToken(cursor, digest));
  return response;
}

// ---- Writing

absl::Status ReferralRecords::RegisterInbox(const std::string& receiver) {
  {
    absl::MutexLock lock(&mu_);
    if (inboxes_.contains(receiver)) return absl::OkStatus();
  }
  Batch batch;
  batch.IndexAdd(kInboxRegistry, receiver);
  ASSIGN_OR_RETURN(BatchResult ignored, store_.Commit(batch));
  (void)ignored;
  absl::MutexLock lock(&mu_);
  inboxes_.insert(receiver);
  return absl::OkStatus();
}

absl::Status ReferralRecords::AddLookupIndexes(const v1::Referral& referral) {
  Batch sent;
  sent.IndexAdd(InboxKeys(referral.sender()).Index(kSent),
                absl::StrFormat("%013d:%s:%s", Millis(referral.create_time()),
                                referral.receiver(), IdOf(referral)));
  RETURN_IF_ERROR(store_.Commit(sent).status());
  const std::vector<std::string> parts =
      absl::StrSplit(referral.participant(), '/');
  Batch about;
  about.IndexAdd(KeySpace(kKeyspace, storage::ContractTenancy(parts[1]))
                     .Index(kParticipantReferrals, parts[3]),
                 absl::StrCat(referral.receiver(), ":", IdOf(referral)));
  return store_.Commit(about).status();
}

absl::Status ReferralRecords::AddChange(
    Batch& batch, const auth::Caller& caller, const v1::Referral* before,
    const v1::Referral& after, int64_t version,
    const google::protobuf::Message& event) {
  const std::string id = IdOf(after);
  const KeySpace keys = InboxKeys(after.receiver());
  batch.Put(keys.Record(kReferral, id), stored::Encode(after));
  // The inbox: by time sent, once sent; by state.
  if (before != nullptr && WasSent(*before)) {
    batch.IndexRemove(
        keys.Index(kReceivedState, v1::ReferralState_Name(before->state())),
        TimedMember(InboxTime(*before), id));
  }
  if (WasSent(after)) {
    const std::string member = TimedMember(InboxTime(after), id);
    batch.IndexAdd(keys.Index(kReceived), member);
    batch.IndexAdd(
        keys.Index(kReceivedState, v1::ReferralState_Name(after.state())),
        member);
  }
  // Due dates still to meet, and standards past due and still unmet.
  for (v1::Standard standard : kStandards) {
    const std::string member = DueMember(id, standard);
    const google::protobuf::Timestamp* due = DueOf(after, standard);
    const bool pending = Pending(standard, after.state()) && due != nullptr;
    const bool breached = Breached(after, standard);
    if (pending && !breached) {
      batch.IndexAdd(keys.Index(kDue), member, Millis(*due));
    } else {
      batch.IndexRemove(keys.Index(kDue), member);
    }
    if (pending && breached) {
      batch.IndexAdd(keys.Index(kPast, v1::Standard_Name(standard)), id);
    } else {
      batch.IndexRemove(keys.Index(kPast, v1::Standard_Name(standard)), id);
    }
  }
  const std::string tenancy = storage::OrganisationTenancy(after.receiver());
  RETURN_IF_ERROR(events_.RegisterStream(store_, tenancy));
  events_.Append(
      batch,
      events::EventContext{tenancy, after.name(), caller.organisation,
                           caller.user, version},
      event);
  audit::v1::AuditEntry entry = audit::AuditEntryBy(caller);
  entry.set_action(before == nullptr ? audit::v1::CREATE : audit::v1::UPDATE);
  entry.set_method(caller.method.empty() ? "in-process" : caller.method);
  entry.set_record(after.name());
  entry.set_participant(after.participant());
  entry.set_owning_organisation(after.sender());
  entry.set_outcome(audit::v1::ALLOWED);
  RETURN_IF_ERROR(audit_.AddTo(batch, tenancy, std::move(entry)));
  return RegisterInbox(after.receiver());
}

absl::Status ReferralRecords::CheckStillLawful(const auth::Caller& caller,
                                               const v1::Referral& referral,
                                               absl::Time now,
                                               SharingAgreement* agreement) {
  ASSIGN_OR_RETURN(
      std::optional<std::string> consent,
      ports_.consents.ConsentNaming(caller, false, referral.participant(),
                                    referral.receiver()));
  ASSIGN_OR_RETURN(std::optional<SharingAgreement> found,
                   ports_.agreements.ActiveSharingAgreement(
                       referral.sender(), referral.receiver(), now));
  std::vector<std::string> missing;
  if (!consent.has_value()) {
    missing.push_back(
        absl::StrCat("the participant's live REFERRAL_SHARING consent naming ",
                     referral.receiver(), " (withdrawn or never given)"));
  }
  if (!found.has_value()) {
    missing.push_back(absl::StrCat("an active data-sharing agreement between ",
                                   referral.sender(), " and ",
                                   referral.receiver()));
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("missing: ", absl::StrJoin(missing, "; and ")));
  }
  if (agreement != nullptr) *agreement = *std::move(found);
  return absl::OkStatus();
}

absl::Status ReferralRecords::PrepareSend(const auth::Caller& caller,
                                          v1::Referral& referral,
                                          absl::Time now) {
  RETURN_IF_ERROR(CheckDraftFields(referral, referral.receiver(), true));
  ASSIGN_OR_RETURN(
      std::string contract,
      ContractOfParticipant("referral.participant", referral.participant()));
  // Asked as the sender: one who cannot reach the participant cannot refer
  // them (PERMISSION_DENIED passes through).
  ASSIGN_OR_RETURN(std::optional<std::string> consent,
                   ports_.consents.ConsentNaming(caller, !caller.is_service(),
                                                 referral.participant(),
                                                 referral.receiver()));
  ASSIGN_OR_RETURN(std::optional<SharingAgreement> agreement,
                   ports_.agreements.ActiveSharingAgreement(
                       referral.sender(), referral.receiver(), now));
  std::vector<std::string> missing;
  if (!consent.has_value()) {
    missing.push_back(absl::StrCat(
        "a live REFERRAL_SHARING consent of the participant naming ",
        referral.receiver()));
  }
  if (!agreement.has_value()) {
    missing.push_back(absl::StrCat("an active data-sharing agreement between ",
                                   referral.sender(), " and ",
                                   referral.receiver()));
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot send: missing ", absl::StrJoin(missing, "; and missing ")));
  }
  absl::StatusOr<DeliveryTerms> terms =
      ports_.agreements.TermsFor(contract, referral.receiver(), now);
  if (absl::IsNotFound(terms.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("referral.participant: ", terms.status().message(),
                     "; its contract must be recorded before referring"));
  }
  RETURN_IF_ERROR(terms.status());
  if (referral.kind() == v1::ALLOCATION && terms->sub_contract.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "an allocation goes to a sub-contractor: ", referral.receiver(),
        " holds no active sub-contract under contracts/", contract));
  }
  if (referral.kind() == v1::SERVICE_REFERRAL) {
    ASSIGN_OR_RETURN(std::optional<ListedService> service,
                     ports_.services.FindService(referral.service()));
    if (!service.has_value() || service->organisation != referral.receiver()) {
      return absl::FailedPreconditionError(
          absl::StrCat("referral.service: ", referral.service(),
                       " is not in the service directory"));
    }
    if (!service->accepting_referrals) {
      return absl::FailedPreconditionError(
          absl::StrCat("referral.service: ", referral.service(),
                       " is not accepting referrals"));
    }
  }
  referral.set_contract(terms->contract);
  referral.set_sub_contract(terms->sub_contract);
  referral.set_nation(terms->nation);
  *referral.mutable_standards() = WithDefaults(terms->standards);
  referral.set_sharing_agreement(agreement->name);
  referral.set_consent(*consent);
  ASSIGN_OR_RETURN(
      *referral.mutable_respond_by(),
      DueAfter(ports_.calendar, now, referral.standards().respond_within_days(),
               referral.nation()));
  ASSIGN_OR_RETURN(
      *referral.mutable_close_by(),
      DueAfter(ports_.calendar, now, referral.standards().close_within_days(),
               referral.nation()));
  return absl::OkStatus();
}

namespace {

void AddStep(const auth::Caller& caller, absl::Time now,
             v1::ReferralState state, v1::Referral& referral) {
  v1::ReferralStep* step = referral.add_steps();
  step->set_state(state);
  *step->mutable_time() = ToProtoTimestamp(now);
  step->set_organisation(caller.organisation);
  step->set_user(caller.user);
  referral.set_state(state);
  *referral.mutable_update_time() = ToProtoTimestamp(now);
}

}  // namespace

absl::StatusOr<v1::Referral> ReferralRecords::Create(
    const auth::Caller& caller, const v1::CreateReferralRequest& request) {
  ASSIGN_OR_RETURN(std::string receiver,
                   ParseOrganisationName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_referral()) return RequiredField("referral");
  if (caller.organisation.empty() || caller.user.empty()) {
    return absl::PermissionDeniedError(
        "a referral is made by a member of an organisation's staff");
  }
  if (receiver == caller.organisation) {
    return InvalidField("parent", "an organisation does not refer to itself");
  }
  RETURN_IF_ERROR(
      CheckDraftFields(request.referral(), receiver, request.send()));
  const KeySpace keys = InboxKeys(receiver);
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> earlier,
      store_.Get(keys.Idempotency(caller.organisation, request.request_id())));
  if (earlier.has_value()) {
    return Replay(caller, *earlier, idempotency::Fingerprint(request),
                  "request_id");
  }
  if (!request.send()) {
    // Even a draft names a participant: only staff who can reach them may
    // write one (the participants service says; PERMISSION_DENIED passes
    // through). Sending checks the consent itself.
    RETURN_IF_ERROR(ports_.consents
                        .ConsentNaming(caller, !caller.is_service(),
                                       request.referral().participant(),
                                       receiver)
                        .status());
  }
  v1::Referral referral;
  const v1::Referral& asked = request.referral();
  referral.set_kind(asked.kind());
  referral.set_participant(asked.participant());
  referral.set_service(asked.service());
  referral.set_reason(asked.reason());
  referral.set_urgency(asked.urgency());
  *referral.mutable_handover() = asked.handover();
  referral.set_sender(caller.organisation);
  referral.set_receiver(receiver);
  return CreateOnce(caller, request, std::move(referral));
}

absl::StatusOr<v1::Referral> ReferralRecords::CreateOnce(
    const auth::Caller& caller, const v1::CreateReferralRequest& request,
    v1::Referral referral) {
  const absl::Time now = clock_.Now();
  const std::string id = ids_.NewId();
  referral.set_name(NameOf(referral.receiver(), id));
  *referral.mutable_create_time() = ToProtoTimestamp(now);
  AddStep(caller, now, v1::DRAFT, referral);
  v1::ReferralCreated created;
  *created.mutable_facts() = FactsOf(referral);
  std::optional<v1::ReferralSent> sent;
  if (request.send()) {
    RETURN_IF_ERROR(PrepareSend(caller, referral, now));
    AddStep(caller, now, v1::SENT, referral);
    sent.emplace();
    *sent->mutable_facts() = FactsOf(referral);
    *sent->mutable_respond_by() = referral.respond_by();
    *sent->mutable_close_by() = referral.close_by();
  }
  const KeySpace keys = InboxKeys(referral.receiver());
  const std::string fingerprint = idempotency::Fingerprint(request);
  v1::Referral first;
  first.set_name(referral.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectAbsent(keys.Record(kReferral, id));
  if (sent.has_value()) {
    // Created, then sent, in the order they happened, in one write.
    const std::string tenancy =
        storage::OrganisationTenancy(referral.receiver());
    RETURN_IF_ERROR(events_.RegisterStream(store_, tenancy));
    events_.Append(batch,
                   events::EventContext{tenancy, referral.name(),
                                        caller.organisation, caller.user, 1},
                   created);
    RETURN_IF_ERROR(AddChange(batch, caller, nullptr, referral, 1, *sent));
  } else {
    RETURN_IF_ERROR(AddChange(batch, caller, nullptr, referral, 1, created));
  }
  return CommitNew(caller, batch, guard, fingerprint, "request_id",
                   std::move(referral));
}

absl::StatusOr<v1::Referral> ReferralRecords::CommitNew(
    const auth::Caller& caller, const Batch& batch, int guard,
    const std::string& fingerprint, absl::string_view field,
    v1::Referral referral) {
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (!result.committed) {
    if (result.failed_step == guard) {
      return Replay(caller, *result.found, fingerprint, field);
    }
    return absl::AbortedError("a referral id clashed; retry");
  }
  referral.set_etag("1");
  RETURN_IF_ERROR(AddLookupIndexes(referral));
  return referral;
}

absl::StatusOr<v1::Referral> ReferralRecords::Replay(
    const auth::Caller& caller, const storage::Record& found,
    const std::string& fingerprint, absl::string_view field) {
  v1::Referral first;
  RETURN_IF_ERROR(idempotency::Replay(found, fingerprint, field, &first));
  ASSIGN_OR_RETURN(Loaded loaded, LoadReachable(caller, first.name(), true));
  // The first call may have stopped before its sent index: finish it.
  RETURN_IF_ERROR(AddLookupIndexes(loaded.referral));
  return std::move(loaded.referral);
}

absl::StatusOr<v1::Referral> ReferralRecords::Update(
    const auth::Caller& caller, const v1::UpdateReferralRequest& request) {
  static const std::set<std::string>* const kUpdatable =
      new std::set<std::string>{"reason",
                                "urgency",
                                "handover",
                                "handover.summary",
                                "handover.participant_agreed",
                                "service"};
  ASSIGN_OR_RETURN(
      ReferralName parsed,
      ParseReferralName("referral.name", request.referral().name()));
  ASSIGN_OR_RETURN(std::set<std::string> paths,
                   UpdatePaths(request.update_mask(), *kUpdatable));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(
        Loaded loaded,
        LoadReachable(caller, request.referral().name(), /*for_write=*/true));
    v1::Referral before = loaded.referral;
    if (caller.organisation != before.sender() && !caller.is_service()) {
      return absl::PermissionDeniedError(
          "referral.name: only the sender changes a draft");
    }
    if (before.state() != v1::DRAFT) {
      return absl::FailedPreconditionError(absl::StrCat(
          "referral.name: the referral is ",
          v1::ReferralState_Name(before.state()), "; only a DRAFT changes"));
    }
    const std::string& etag = request.referral().etag();
    if (!etag.empty() && etag != before.etag()) {
      return absl::AbortedError(
          "referral.etag: the referral changed since it was read");
    }
    v1::Referral after = before;
    const v1::Referral& from = request.referral();
    for (const std::string& path : paths) {
      if (path == "reason") after.set_reason(from.reason());
      if (path == "urgency") after.set_urgency(from.urgency());
      if (path == "handover") *after.mutable_handover() = from.handover();
      if (path == "handover.summary")
        after.mutable_handover()->set_summary(from.handover().summary());
      if (path == "handover.participant_agreed")
        after.mutable_handover()->set_participant_agreed(
            from.handover().participant_agreed());
      if (path == "service") after.set_service(from.service());
    }
    RETURN_IF_ERROR(CheckDraftFields(after, after.receiver(), false));
    *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());
    after.clear_etag();
    v1::ReferralUpdated updated;
    *updated.mutable_facts() = FactsOf(after);
    for (const std::string& path : paths) updated.add_changed_fields(path);
    const int64_t version = loaded.version + 1;
    Batch batch;
    batch.ExpectVersion(InboxKeys(parsed.receiver).Record(kReferral, parsed.id),
                        loaded.version);
    RETURN_IF_ERROR(AddChange(batch, caller, &before, after, version, updated));
    ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
    if (result.committed) {
      after.set_etag(absl::StrCat(version));
      return after;
    }
    if (!etag.empty()) {
      return absl::AbortedError(
          "referral.etag: the referral changed since it was read");
    }
  }
  return absl::AbortedError("the referral kept changing; retry");
}

// ---- The lifecycle

absl::StatusOr<v1::Referral> ReferralRecords::TakeStep(
    const auth::Caller& caller, const std::string& name,
    const std::string& etag, const Step& step,
    const std::function<absl::Status(v1::Referral&)>& fill) {
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<v1::Referral> done,
                     TakeStepOnce(caller, name, etag, step, fill));
    if (done.has_value()) return *std::move(done);
  }
  return absl::AbortedError("the referral kept changing; retry");
}

absl::StatusOr<std::optional<v1::Referral>> ReferralRecords::TakeStepOnce(
    const auth::Caller& caller, const std::string& name,
    const std::string& etag, const Step& step,
    const std::function<absl::Status(v1::Referral&)>& fill) {
  ASSIGN_OR_RETURN(Loaded loaded, LoadReachable(caller, name, true));
  const v1::Referral& before = loaded.referral;
  const bool sender = caller.organisation == before.sender();
  const bool receiver = caller.organisation == before.receiver();
  const bool may = caller.is_service() ||
                   (step.side == Step::Side::kSender && sender) ||
                   (step.side == Step::Side::kReceiver && receiver) ||
                   (step.side == Step::Side::kEither && (sender || receiver));
  if (!may) {
    return absl::PermissionDeniedError(absl::StrCat(
        "name: only the ",
        step.side == Step::Side::kSender ? "sender" : "receiver", " may move ",
        "a referral to ", v1::ReferralState_Name(step.to)));
  }
  if (std::find(step.from.begin(), step.from.end(), before.state()) ==
      step.from.end()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "name: the referral is ", v1::ReferralState_Name(before.state()),
        "; it cannot move to ", v1::ReferralState_Name(step.to)));
  }
  if (!etag.empty() && etag != before.etag()) {
    return absl::AbortedError("etag: the referral changed since it was read");
  }
  const absl::Time now = clock_.Now();
  v1::Referral after = before;
  after.clear_etag();
  AddStep(caller, now, step.to, after);
  RETURN_IF_ERROR(fill(after));

  std::unique_ptr<google::protobuf::Message> event;
  if (step.to == v1::SENT) {
    auto sent = std::make_unique<v1::ReferralSent>();
    *sent->mutable_facts() = FactsOf(after);
    *sent->mutable_respond_by() = after.respond_by();
    *sent->mutable_close_by() = after.close_by();
    event = std::move(sent);
  } else if (step.to == v1::ACCEPTED) {
    // fill() put the agreement's categories and end on the event's fields.
    auto accepted = std::make_unique<v1::ReferralAccepted>();
    *accepted->mutable_facts() = FactsOf(after);
    *accepted->mutable_start_by() = after.start_by();
    event = std::move(accepted);
  } else if (step.to == v1::STARTED) {
    auto started = std::make_unique<v1::ReferralStarted>();
    *started->mutable_facts() = FactsOf(after);
    event = std::move(started);
  } else {
    event = std::make_unique<v1::ReferralClosed>(ClosedEvent(after));
  }
  if (step.to == v1::ACCEPTED) {
    SharingAgreement agreement;
    RETURN_IF_ERROR(CheckStillLawful(caller, after, now, &agreement));
    auto* accepted = static_cast<v1::ReferralAccepted*>(event.get());
    for (participants::v1::DataCategory category : agreement.data_categories) {
      accepted->add_data_categories(category);
    }
    *accepted->mutable_grant_end_time() =
        ToProtoTimestamp(std::min(agreement.end_time, now + kLongestGrant));
  }
  ASSIGN_OR_RETURN(ReferralName parsed, ParseReferralName("name", name));
  const int64_t version = loaded.version + 1;
  Batch batch;
  batch.ExpectVersion(InboxKeys(parsed.receiver).Record(kReferral, parsed.id),
                      loaded.version);
  RETURN_IF_ERROR(AddChange(batch, caller, &before, after, version, *event));
  ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
  if (result.committed) {
    after.set_etag(absl::StrCat(version));
    return after;
  }
  if (!etag.empty()) {
    return absl::AbortedError("etag: the referral changed since it was read");
  }
  return std::nullopt;
}

absl::StatusOr<v1::Referral> ReferralRecords::Send(
    const auth::Caller& caller, const v1::SendReferralRequest& request) {
  static const Step kSend{v1::SENT, {v1::DRAFT}, Step::Side::kSender};
  return TakeStep(
      caller, request.name(), request.etag(), kSend,
      [&](v1::Referral& r) { return PrepareSend(caller, r, clock_.Now()); });
}

absl::StatusOr<v1::Referral> ReferralRecords::Accept(
    const auth::Caller& caller, const v1::AcceptReferralRequest& request) {
  static const Step kAccept{v1::ACCEPTED, {v1::SENT}, Step::Side::kReceiver};
  return TakeStep(
      caller, request.name(), request.etag(), kAccept, [&](v1::Referral& r) {
        ASSIGN_OR_RETURN(
            *r.mutable_start_by(),
            DueAfter(ports_.calendar, clock_.Now(),
                     r.standards().start_within_days(), r.nation()));
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Referral> ReferralRecords::Decline(
    const auth::Caller& caller, const v1::DeclineReferralRequest& request) {
  static const Step kDecline{v1::DECLINED, {v1::SENT}, Step::Side::kReceiver};
  RETURN_IF_ERROR(CheckReason(
      request.reason(), v1::DeclineReason_IsValid(request.reason()),
      request.reason() == v1::OTHER_DECLINE_REASON, request.note()));
  return TakeStep(caller, request.name(), request.etag(), kDecline,
                  [&](v1::Referral& r) {
                    r.set_decline_reason(request.reason());
                    r.set_closing_note(request.note());
                    return absl::OkStatus();
                  });
}

absl::StatusOr<v1::Referral> ReferralRecords::Start(
    const auth::Caller& caller, const v1::StartReferralRequest& request) {
  static const Step kStart{v1::STARTED, {v1::ACCEPTED}, Step::Side::kReceiver};
  return TakeStep(caller, request.name(), request.etag(), kStart,
                  [](v1::Referral&) { return absl::OkStatus(); });
}

absl::StatusOr<v1::Referral> ReferralRecords::RecordNotStarted(
    const auth::Caller& caller,
    const v1::RecordReferralNotStartedRequest& request) {
  static const Step kNotStarted{
      v1::DID_NOT_START, {v1::ACCEPTED}, Step::Side::kReceiver};
  RETURN_IF_ERROR(CheckReason(
      request.reason(), v1::NotStartedReason_IsValid(request.reason()),
      request.reason() == v1::OTHER_NOT_STARTED_REASON, request.note()));
  return TakeStep(caller, request.name(), request.etag(), kNotStarted,
                  [&](v1::Referral& r) {
                    r.set_not_started_reason(request.reason());
                    r.set_closing_note(request.note());
                    return absl::OkStatus();
                  });
}

absl::StatusOr<v1::Referral> ReferralRecords::Complete(
    const auth::Caller& caller, const v1::CompleteReferralRequest& request) {
  static const Step kComplete{
      v1::COMPLETED, {v1::STARTED}, Step::Side::kReceiver};
  if (request.outcome() == v1::COMPLETION_OUTCOME_UNSPECIFIED) {
    return RequiredField("outcome");
  }
  if (!v1::CompletionOutcome_IsValid(request.outcome())) {
    return InvalidField("outcome", "must be SUCCESSFUL or UNSUCCESSFUL");
  }
  const bool failed = request.outcome() == v1::UNSUCCESSFUL;
  if (failed && request.failure_reason() == v1::FAILURE_REASON_UNSPECIFIED) {
    return InvalidField("failure_reason",
                        "is required when the outcome is UNSUCCESSFUL");
  }
  if (!failed && request.failure_reason() != v1::FAILURE_REASON_UNSPECIFIED) {
    return InvalidField("failure_reason",
                        "must be unset when the outcome is SUCCESSFUL");
  }
  if (!v1::FailureReason_IsValid(request.failure_reason())) {
    return InvalidField("failure_reason", "must be one of the listed reasons");
  }
  RETURN_IF_ERROR(CheckNote("note", request.note(), false));
  return TakeStep(caller, request.name(), request.etag(), kComplete,
                  [&](v1::Referral& r) {
                    r.set_outcome(request.outcome());
                    r.set_failure_reason(request.failure_reason());
                    r.set_closing_note(request.note());
                    return absl::OkStatus();
                  });
}

absl::StatusOr<v1::Referral> ReferralRecords::Withdraw(
    const auth::Caller& caller, const v1::WithdrawReferralRequest& request) {
  static const Step kWithdraw{v1::WITHDRAWN,
                              {v1::DRAFT, v1::SENT, v1::ACCEPTED, v1::STARTED},
                              Step::Side::kEither};
  RETURN_IF_ERROR(CheckReason(
      request.reason(), v1::WithdrawalReason_IsValid(request.reason()),
      request.reason() == v1::OTHER_WITHDRAWAL_REASON, request.note()));
  return TakeStep(caller, request.name(), request.etag(), kWithdraw,
                  [&](v1::Referral& r) {
                    r.set_withdrawal_reason(request.reason());
                    r.set_closing_note(request.note());
                    return absl::OkStatus();
                  });
}

// ---- Deadlines and the sweep

absl::StatusOr<v1::ListReferralDeadlinesResponse>
ReferralRecords::ListDeadlines(
    const auth::Caller& caller,
    const v1::ListReferralDeadlinesRequest& request) {
  ASSIGN_OR_RETURN(std::string receiver,
                   ParseOrganisationName("parent", request.parent()));
  if (!caller.is_service() && caller.organisation != receiver) {
    return absl::PermissionDeniedError(
        absl::StrCat("parent: organisation ", caller.organisation,
                     " sees only its own deadlines"));
  }
  if (request.due_within_hours() < 0 || request.due_within_hours() > 720) {
    return InvalidField("due_within_hours", "must be 0..720");
  }
  const int hours =
      request.due_within_hours() == 0 ? 48 : request.due_within_hours();
  const absl::Time now = clock_.Now();
  const KeySpace keys = InboxKeys(receiver);
  // Past due and found by the sweep, then past or near due and not yet.
  std::vector<std::pair<std::string, v1::Standard>> wanted;
  for (v1::Standard standard : kStandards) {
    ASSIGN_OR_RETURN(
        std::vector<std::string> ids,
        store_.IndexRange(keys.Index(kPast, v1::Standard_Name(standard)), "",
                          kMaxDeadlines));
    for (std::string& id : ids) wanted.emplace_back(std::move(id), standard);
  }
  ASSIGN_OR_RETURN(
      std::vector<std::string> due,
      store_.IndexRangeByScore(keys.Index(kDue), 0,
                               absl::ToUnixMillis(now + absl::Hours(hours)),
                               kMaxDeadlines));
  for (const std::string& member : due) {
    const size_t at = member.rfind(':');
    v1::Standard standard = v1::STANDARD_UNSPECIFIED;
    if (at == std::string::npos ||
        !v1::Standard_Parse(member.substr(at + 1), &standard)) {
      continue;
    }
    wanted.emplace_back(member.substr(0, at), standard);
  }
  std::vector<std::string> record_keys;
  for (const auto& [id, standard] : wanted) {
    record_keys.push_back(keys.Record(kReferral, id));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   store_.GetMany(record_keys));
  v1::ListReferralDeadlinesResponse response;
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (!records[i].has_value()) continue;
    ASSIGN_OR_RETURN(v1::Referral referral, DecodeReferral(*records[i]));
    const v1::Standard standard = wanted[i].second;
    const google::protobuf::Timestamp* due_time = DueOf(referral, standard);
    if (due_time == nullptr || !Pending(standard, referral.state())) continue;
    v1::ReferralDeadline deadline;
    deadline.set_referral(referral.name());
    deadline.set_standard(standard);
    *deadline.mutable_due_time() = *due_time;
    deadline.set_state(referral.state());
    deadline.set_urgency(referral.urgency());
    const bool past = FromProtoTimestamp(*due_time) <= now;
    *(past ? response.add_breached() : response.add_due_soon()) =
        std::move(deadline);
  }
  const auto by_due = [](const v1::ReferralDeadline& a,
                         const v1::ReferralDeadline& b) {
    return Millis(a.due_time()) < Millis(b.due_time());
  };
  std::sort(response.mutable_breached()->begin(),
            response.mutable_breached()->end(), by_due);
  std::sort(response.mutable_due_soon()->begin(),
            response.mutable_due_soon()->end(), by_due);
  return response;
}

absl::StatusOr<SweepResult> ReferralRecords::Sweep() {
  const absl::Time now = clock_.Now();
  SweepResult result;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> receivers,
                     store_.IndexRange(kInboxRegistry, after, kSweepBatch));
    for (const std::string& receiver : receivers) {
      ASSIGN_OR_RETURN(int found, SweepInbox(receiver, now));
      result.breaches_found += found;
      ASSIGN_OR_RETURN(InboxCounts counts, CountInbox(receiver));
      result.inboxes.push_back(std::move(counts));
    }
    if (static_cast<int>(receivers.size()) < kSweepBatch) break;
    after = receivers.back();
  }
  return result;
}

absl::StatusOr<int> ReferralRecords::SweepInbox(const std::string& receiver,
                                                absl::Time now) {
  const KeySpace keys = InboxKeys(receiver);
  int found = 0;
  // Each pass takes the oldest due; a breach recorded leaves the index, so
  // the next pass moves on.
  for (int pass = 0; pass < 100; ++pass) {
    ASSIGN_OR_RETURN(
        std::vector<std::string> due,
        store_.IndexRangeByScore(keys.Index(kDue), 0, absl::ToUnixMillis(now),
                                 kSweepBatch));
    for (const std::string& member : due) {
      const size_t at = member.rfind(':');
      v1::Standard standard = v1::STANDARD_UNSPECIFIED;
      if (at == std::string::npos ||
          !v1::Standard_Parse(member.substr(at + 1), &standard)) {
        continue;
      }
      ASSIGN_OR_RETURN(
          bool recorded,
          RecordBreach(receiver, member.substr(0, at), standard, now));
      if (recorded) ++found;
    }
    if (static_cast<int>(due.size()) < kSweepBatch) break;
  }
  return found;
}

absl::StatusOr<bool> ReferralRecords::RecordBreach(const std::string& receiver,
                                                   const std::string& id,
                                                   v1::Standard standard,
                                                   absl::Time now) {
  const KeySpace keys = InboxKeys(receiver);
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<storage::Record> record,
                     store_.Get(keys.Record(kReferral, id)));
    const std::string member = DueMember(id, standard);
    if (!record.has_value()) {
      Batch cleanup;
      cleanup.IndexRemove(keys.Index(kDue), member);
      RETURN_IF_ERROR(store_.Commit(cleanup).status());
      return false;
    }
    ASSIGN_OR_RETURN(v1::Referral before, DecodeReferral(*record));
    const google::protobuf::Timestamp* due = DueOf(before, standard);
    // Met since the index was read, or recorded by another sweep: the
    // referral's own write keeps the index right, nothing to do.
    if (due == nullptr || !Pending(standard, before.state()) ||
        Breached(before, standard) || FromProtoTimestamp(*due) > now) {
      return false;
    }
    v1::Referral after = before;
    after.clear_etag();
    v1::StandardBreach* breach = after.add_breaches();
    breach->set_standard(standard);
    *breach->mutable_due_time() = *due;
    *breach->mutable_found_time() = ToProtoTimestamp(now);
    v1::ReferralStandardBreached event;
    *event.mutable_facts() = FactsOf(after);
    event.set_standard(standard);
    *event.mutable_due_time() = *due;
    auth::Caller sweep;
    sweep.service = "partners";
    sweep.method = "sweep";
    Batch batch;
    batch.ExpectVersion(keys.Record(kReferral, id), record->version);
    RETURN_IF_ERROR(
        AddChange(batch, sweep, &before, after, record->version + 1, event));
    ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
    if (result.committed) return true;
  }
  return false;  // busy: the next sweep finds it again
}

absl::StatusOr<InboxCounts> ReferralRecords::CountInbox(
    const std::string& receiver) {
  const KeySpace keys = InboxKeys(receiver);
  InboxCounts counts;
  counts.receiver = receiver;
  for (v1::ReferralState state : kOpenStates) {
    const std::string name = v1::ReferralState_Name(state);
    ASSIGN_OR_RETURN(int64_t n,
                     store_.IndexSize(keys.Index(kReceivedState, name)));
    counts.open.emplace_back(name, n);
  }
  for (v1::Standard standard : kStandards) {
    const std::string name = v1::Standard_Name(standard);
    ASSIGN_OR_RETURN(int64_t n, store_.IndexSize(keys.Index(kPast, name)));
    counts.past_standard.emplace_back(name, n);
  }
  return counts;
}

// ---- Erasure

absl::StatusOr<int> ReferralRecords::EraseParticipant(
    const std::string& participant) {
  ASSIGN_OR_RETURN(std::string contract,
                   ContractOfParticipant("participant", participant));
  const std::string index =
      KeySpace(kKeyspace, storage::ContractTenancy(contract))
          .Index(kParticipantReferrals,
                 participant.substr(participant.rfind('/') + 1));
  int erased = 0;
  std::string after;
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> members,
                     store_.IndexRange(index, after, kSweepBatch));
    for (const std::string& member : members) {
      const size_t colon = member.find(':');
      if (colon == std::string::npos) continue;
      ASSIGN_OR_RETURN(bool changed, EraseOne(member.substr(0, colon),
                                              member.substr(colon + 1)));
      if (changed) ++erased;
    }
    if (static_cast<int>(members.size()) < kSweepBatch) return erased;
    after = members.back();
  }
}

absl::StatusOr<bool> ReferralRecords::EraseOne(const std::string& receiver,
                                               const std::string& id) {
  const KeySpace keys = InboxKeys(receiver);
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<storage::Record> record,
                     store_.Get(keys.Record(kReferral, id)));
    if (!record.has_value()) return false;
    ASSIGN_OR_RETURN(v1::Referral before, DecodeReferral(*record));
    if (before.participant_erased()) return false;  // done before
    v1::Referral after = before;
    after.clear_etag();
    after.clear_reason();
    after.mutable_handover()->clear_summary();
    after.clear_closing_note();
    after.set_participant_erased(true);
    *after.mutable_update_time() = ToProtoTimestamp(clock_.Now());
    v1::ReferralUpdated event;
    *event.mutable_facts() = FactsOf(after);
    for (const char* field : {"reason", "handover.summary", "closing_note"}) {
      event.add_changed_fields(field);
    }
    auth::Caller erasure;
    erasure.service = "partners";
    erasure.method = "event:employability.participants.v1.ParticipantErased";
    Batch batch;
    batch.ExpectVersion(keys.Record(kReferral, id), record->version);
    RETURN_IF_ERROR(
        AddChange(batch, erasure, &before, after, record->version + 1, event));
    ASSIGN_OR_RETURN(BatchResult result, store_.Commit(batch));
    if (result.committed) return true;
  }
  return absl::AbortedError("the referral kept changing; retry");
}

// ---- Watch

absl::StatusOr<std::string> ReferralRecords::CheckMayWatch(
    const auth::Caller& caller, const v1::WatchReferralsRequest& request) {
  ASSIGN_OR_RETURN(std::string receiver,
                   ParseOrganisationName("parent", request.parent()));
  // A cursor is a stream entry id, "<ms>-<seq>", as an earlier change gave.
  const std::vector<absl::string_view> parts =
      absl::StrSplit(request.cursor(), '-');
  uint64_t number = 0;
  if (!request.cursor().empty() &&
      (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &number) ||
       !absl::SimpleAtoi(parts[1], &number))) {
    return InvalidField("cursor",
                        "must be the cursor of a change an earlier watch "
                        "delivered, or empty");
  }
  if (!caller.is_service() && caller.organisation != receiver) {
    return absl::PermissionDeniedError(
        absl::StrCat("parent: organisation ", caller.organisation,
                     " watches only its own referrals"));
  }
  return receiver;
}

absl::StatusOr<ReferralRecords::Changes> ReferralRecords::ChangesAfter(
    const std::string& receiver, const std::string& cursor, int limit) {
  const KeySpace keys = InboxKeys(receiver);
  ASSIGN_OR_RETURN(std::vector<storage::StreamEntry> entries,
                   store_.StreamRead(keys.Events(), cursor, limit));
  Changes changes;
  changes.next_cursor = entries.empty() ? cursor : entries.back().id;
  std::vector<v1::ReferralChange> found;
  std::vector<std::string> record_keys;
  for (const storage::StreamEntry& entry : entries) {
    absl::StatusOr<events::v1::EventEnvelope> envelope =
        events::ParseEnvelope(entry.payload);
    if (!envelope.ok() ||
        !absl::StartsWith(envelope->type(), kEventTypePrefix)) {
      continue;
    }
    // Every referral event starts with the facts; a receiver never sees a
    // change made while the referral was still the sender's draft.
    v1::ReferralCreated probe;
    if (!probe.ParseFromString(envelope->payload().value())) continue;
    const v1::ReferralFacts& facts = probe.facts();
    if (!facts.has_send_time() && !facts.imported()) continue;
    absl::StatusOr<ReferralName> name =
        ParseReferralName("aggregate", envelope->aggregate());
    if (!name.ok()) continue;
    v1::ReferralChange change;
    change.set_cursor(entry.id);
    change.set_event_type(envelope->type());
    *change.mutable_change_time() = envelope->occurred_at();
    found.push_back(std::move(change));
    record_keys.push_back(keys.Record(kReferral, name->id));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   store_.GetMany(record_keys));
  for (size_t i = 0; i < found.size(); ++i) {
    if (!records[i].has_value()) continue;
    ASSIGN_OR_RETURN(*found[i].mutable_referral(), DecodeReferral(*records[i]));
    changes.changes.push_back(std::move(found[i]));
  }
  return changes;
}

// ---- Import

v1::ImportRowResult ReferralRecords::ImportRow(
    const auth::Caller& caller, const v1::ImportReferralsRequest& row) {
  v1::ImportRowResult result;
  result.set_row_id(row.row_id());
  absl::StatusOr<v1::Referral> done = [&]() -> absl::StatusOr<v1::Referral> {
    RETURN_IF_ERROR(CheckResourceId("row_id", row.row_id()));
    ASSIGN_OR_RETURN(std::string receiver,
                     ParseOrganisationName("parent", row.parent()));
    if (caller.organisation != receiver) {
      return absl::PermissionDeniedError(
          absl::StrCat("parent: organisation ", caller.organisation,
                       " imports only into its own inbox"));
    }
    switch (row.row_case()) {
      case v1::ImportReferralsRequest::kExistingCase:
        return ImportCase(caller, row);
      case v1::ImportReferralsRequest::kOutcomeUpdate:
        return ImportOutcome(caller, row);
      default:
        return RequiredField("row: existing_case or outcome_update");
    }
  }();
  if (done.ok()) {
    result.set_accepted(true);
    result.set_referral(done->name());
  } else {
    result.set_error_code(absl::StatusCodeToString(done.status().code()));
    result.set_error(std::string(done.status().message()));
  }
  return result;
}

absl::StatusOr<v1::Referral> ReferralRecords::ImportCase(
    const auth::Caller& caller, const v1::ImportReferralsRequest& row) {
  const v1::ImportedCase& c = row.existing_case();
  const absl::Time now = clock_.Now();
  ASSIGN_OR_RETURN(
      std::string contract,
      ContractOfParticipant("existing_case.participant", c.participant()));
  RETURN_IF_ERROR(CheckOrganisationId("existing_case.sender", c.sender()));
  if (c.sender() == caller.organisation) {
    return InvalidField("existing_case.sender",
                        "is the prime provider that allocated the case, not "
                        "the importing organisation");
  }
  if (c.state() != v1::ACCEPTED && c.state() != v1::STARTED) {
    return InvalidField("existing_case.state", "must be ACCEPTED or STARTED");
  }
  if (!c.has_accept_time()) return RequiredField("existing_case.accept_time");
  const absl::Time accepted = FromProtoTimestamp(c.accept_time());
  if (accepted > now) {
    return InvalidField("existing_case.accept_time", "is in the future");
  }
  absl::Time started = accepted;
  if (c.state() == v1::STARTED) {
    if (!c.has_start_time()) return RequiredField("existing_case.start_time");
    started = FromProtoTimestamp(c.start_time());
    if (started < accepted || started > now) {
      return InvalidField("existing_case.start_time",
                          "must lie between accept_time and now");
    }
  } else if (c.has_start_time()) {
    return InvalidField("existing_case.start_time",
                        "is only for a STARTED case");
  }
  RETURN_IF_ERROR(CheckText("existing_case.reason", c.reason(), kMaxText,
                            /*required=*/false));

  const KeySpace keys = InboxKeys(caller.organisation);
  const std::string request_id = absl::StrCat("import-", row.row_id());
  const std::string fingerprint = idempotency::Fingerprint(row);
  ASSIGN_OR_RETURN(
      std::optional<storage::Record> earlier,
      store_.Get(keys.Idempotency(caller.organisation, request_id)));
  if (earlier.has_value()) {
    return Replay(caller, *earlier, fingerprint, "row_id");
  }

  v1::Referral referral;
  const std::string id = ids_.NewId();
  referral.set_name(NameOf(caller.organisation, id));
  referral.set_kind(v1::ALLOCATION);
  referral.set_participant(c.participant());
  referral.set_sender(c.sender());
  referral.set_receiver(caller.organisation);
  referral.set_reason(c.reason());
  referral.set_urgency(v1::ROUTINE);
  referral.set_imported(true);
  *referral.mutable_create_time() = ToProtoTimestamp(now);
  SharingAgreement agreement;
  if (absl::Status lawful = CheckStillLawful(caller, referral, now, &agreement);
      !lawful.ok()) {
    if (!absl::IsFailedPrecondition(lawful)) return lawful;
    return absl::FailedPreconditionError(
        absl::StrCat("existing_case.participant: ", lawful.message()));
  }
  absl::StatusOr<DeliveryTerms> terms =
      ports_.agreements.TermsFor(contract, caller.organisation, now);
  if (absl::IsNotFound(terms.status())) {
    return absl::FailedPreconditionError(
        absl::StrCat("existing_case.participant: ", terms.status().message()));
  }
  RETURN_IF_ERROR(terms.status());
  if (terms->sub_contract.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "existing_case.participant: ", caller.organisation,
        " holds no active sub-contract under contracts/", contract));
  }
  referral.set_contract(terms->contract);
  referral.set_sub_contract(terms->sub_contract);
  referral.set_nation(terms->nation);
  *referral.mutable_standards() = WithDefaults(terms->standards);
  referral.set_sharing_agreement(agreement.name);
  // Standards count from acceptance: the case came in already accepted.
  absl::StatusOr<google::protobuf::Timestamp> start_by =
      DueAfter(ports_.calendar, accepted,
               referral.standards().start_within_days(), referral.nation());
  absl::StatusOr<google::protobuf::Timestamp> close_by =
      DueAfter(ports_.calendar, accepted,
               referral.standards().close_within_days(), referral.nation());
  if (!start_by.ok() || !close_by.ok()) {
    return InvalidField(
        "existing_case.accept_time",
        (start_by.ok() ? close_by : start_by).status().message());
  }
  *referral.mutable_start_by() = *start_by;
  *referral.mutable_close_by() = *close_by;
  auth::Caller at_accept = caller;
  AddStep(at_accept, accepted, v1::ACCEPTED, referral);
  if (c.state() == v1::STARTED) AddStep(caller, started, v1::STARTED, referral);
  *referral.mutable_update_time() = ToProtoTimestamp(now);

  v1::ReferralAccepted event;
  *event.mutable_facts() = FactsOf(referral);
  *event.mutable_start_by() = referral.start_by();
  for (participants::v1::DataCategory category : agreement.data_categories) {
    event.add_data_categories(category);
  }
  *event.mutable_grant_end_time() =
      ToProtoTimestamp(std::min(agreement.end_time, now + kLongestGrant));
  v1::Referral first;
  first.set_name(referral.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request_id), fingerprint,
      first);
  batch.ExpectAbsent(keys.Record(kReferral, id));
  RETURN_IF_ERROR(AddChange(batch, caller, nullptr, referral, 1, event));
  return CommitNew(caller, batch, guard, fingerprint, "row_id",
                   std::move(referral));
}

absl::StatusOr<v1::Referral> ReferralRecords::ImportOutcome(
    const auth::Caller& caller, const v1::ImportReferralsRequest& row) {
  const v1::OutcomeUpdate& u = row.outcome_update();
  ASSIGN_OR_RETURN(ReferralName name,
                   ParseReferralName("outcome_update.referral", u.referral()));
  if (name.receiver != caller.organisation) {
    return absl::PermissionDeniedError(
        "outcome_update.referral: only referrals the importing organisation "
        "received are updated by import");
  }
  absl::StatusOr<v1::Referral> done;
  switch (u.state()) {
    case v1::STARTED: {
      v1::StartReferralRequest request;
      request.set_name(u.referral());
      done = Start(caller, request);
      break;
    }
    case v1::DID_NOT_START: {
      v1::RecordReferralNotStartedRequest request;
      request.set_name(u.referral());
      request.set_reason(u.not_started_reason());
      request.set_note(u.note());
      done = RecordNotStarted(caller, request);
      if (!done.ok() && absl::StartsWith(done.status().message(), "reason")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "outcome_update.not_started_", done.status().message()));
      }
      break;
    }
    case v1::COMPLETED: {
      v1::CompleteReferralRequest request;
      request.set_name(u.referral());
      request.set_outcome(u.outcome());
      request.set_failure_reason(u.failure_reason());
      request.set_note(u.note());
      done = Complete(caller, request);
      break;
    }
    default:
      return InvalidField("outcome_update.state",
                          "must be STARTED, DID_NOT_START or COMPLETED");
  }
  if (!done.ok()) {
    // The step's own field names ("outcome", "name") within the row.
    std::string message(done.status().message());
    if (absl::StartsWith(message, "name")) {
      message = absl::StrCat("referral", message.substr(4));
    }
    return absl::Status(
        done.status().code(),
        done.status().code() == absl::StatusCode::kInvalidArgument ||
                done.status().code() == absl::StatusCode::kFailedPrecondition
            ? absl::StrCat("outcome_update.", message)
            : message);
  }
  return done;
}

}  // namespace employability::partners
