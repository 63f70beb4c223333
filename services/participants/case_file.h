// A participant's case file: the participant record and the items recorded
// about them (barriers, action plans, contacts, jobs, earnings, case
// reviews). Every area of the journey reads and changes a case through here,
// so that the access check, the optimistic write, the participant's status
// and activity dates, idempotent creates, indexes and events are written once.
//
// The access check (CheckReach) is the service's record-level hook: the call
// gate has checked the caller's role against the method and stamped the
// caller with the policy's scope; CheckReach applies that scope to one
// participant and the data category the call touches, reading the
// participant's access grants and consents when another organisation asks.
//
// Storage (service key space "participants", tenancy the contract):
//   participant:<p>                   the participant (v1::Participant)
//   consents:<p>                      its consents (v1::ListConsentsResponse)
//   access-grants:<p>                 other organisations' access to it
//                                     (v1::ListAccessGrantsResponse)
//   <item kind>:<p>:<item>            an item (e.g. contact:<p>:<id>)
//   index:<item kind>:<p>             the participant's items of that kind,
//                                     in the order created (sortable ids)
//   index:status:<STATUS>, index:organisation:<org>, index:adviser:<user>
//                                     participants, by id
//   index:grantee:<org>               participants the organisation holds an
//                                     unrevoked grant for (expired or not)
// A change of an item always checks the participant's version, so nothing is
// written to a participant deleted, erased or changed in between.
//
// The audit trail (common/audit, docs/audit.md): every call that touches a
// participant's personal data leaves entries in the contract's trail, made
// here and in CaseChange so that no area can forget them. The rule:
// - A write: exactly one entry per participant whose data the batch writes,
//   in the write's own atomic batch (it exists if and only if the write
//   does): CREATE, UPDATE, DELETE or ERASE; record = the resource written
//   (the item, consent, grant, equality data, or the participant itself);
//   participant = that participant; owner = their enrolling organisation.
//   Commit adds it for a CaseChange (CaseChange::AuditAs names action and
//   record); other batches use CommitAudited or AuditWrite. A batch about
//   several participants (a reassignment, a group session's attendance or
//   evaluation) carries one entry per participant written; a group-session
//   write that changes no attendee's entry carries one entry for the
//   session (participant empty, owner the session's organisation).
// - A read: exactly one entry per call, appended right after the read and
//   before anything is returned (AuditRead): READ, or EXPORT for subject
//   access. One participant's record or list of items: record = the record
//   or collection read (.../participants/p/contacts), owner = the enrolling
//   organisation. A list spanning participants (ListParticipants, caseloads,
//   group sessions): record = the collection (contracts/c/participants),
//   participant empty, owner = the caller's organisation (its own trail). A
//   read that cannot be audited fails closed: UNAVAILABLE, no data.
// - A call that writes nothing yet returns the record (an update that
//   changes nothing, a replayed create, an erasure already done) is a READ
//   of it: a replay is not a new write. A reassignment with nobody left to
//   move reads the contract's participants (a list spanning them).
// - A refusal to reach a participant or another organisation's group
//   session (CaseOf, CheckReach, Deny, Refused): one DENIED entry with a
//   short reason (never personal data), the action the method's verb names;
//   owner = the participant's enrolling organisation (the session's
//   organisation) when it exists, so the owner sees who tried, else the
//   caller's. The caller hears the same PERMISSION_DENIED either way. A list
//   that leaves out what the caller does not reach records no denial.
// - No entry: reference data (ListBarrierTypes, GetContactStandard), calls
//   refused before any record is read (INVALID_ARGUMENT, the call gate, a
//   scope that reaches no one), and calls that fail otherwise (NOT_FOUND,
//   FAILED_PRECONDITION, ABORTED, UNAVAILABLE): nothing was read out or
//   written.
// Entries name the caller as the call gate admitted it (a suite service in
// actor_service) and the gRPC method (caller.method; kInProcessMethod for a
// call made inside the process, which has none).
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_CASE_FILE_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_CASE_FILE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/audit/audit_trail.h"
#include "common/auth/caller.h"
#include "common/events/event_log.h"
#include "common/idempotency/idempotency.h"
#include "common/status/validation.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/audit/v1/audit.pb.h"
#include "employability/participants/v1/access_grants.pb.h"
#include "employability/participants/v1/contacts.pb.h"
#include "employability/participants/v1/group_sessions.pb.h"
#include "employability/participants/v1/participants.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/participants/participant_rules.h"

namespace employability::participants {

inline constexpr char kServiceKeyspace[] = "participants";
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
// Optimistic writes retry this often when another write got in between.
inline constexpr int kWriteAttempts = 5;

// Records kept per participant beside the participant record (key kinds).
inline constexpr char kParticipantRecord[] = "participant";
inline constexpr char kConsentsRecord[] = "consents";
inline constexpr char kEqualityRecord[] = "equality";
inline constexpr char kAccessGrantsRecord[] = "access-grants";
// The participants an organisation holds grants for (see the storage above).
inline constexpr char kGranteeIndex[] = "grantee";
// The purpose a caller declares (auth::kPurposeHeader) to reach equality data.
inline constexpr char kEqualityPurpose[] = "EQUALITY_MONITORING";
// The duplicate check: keyed by a hash of programme, National Insurance
// number and date of birth; holds "<organisation> <participant name>".
inline constexpr char kDuplicateRecord[] = "nino";
// Group sessions live in the contract's tenancy, not under a participant:
//   group-session:<session>              the session
//   index:group-session-org:<org>        an organisation's sessions
//   index:group-session:<participant>    a participant's sessions
inline constexpr char kGroupSessionRecord[] = "group-session";
inline constexpr char kGroupSessionsOfOrganisation[] = "group-session-org";

// The method an audit entry names for a call made inside the process (an
// event handler, a test) rather than over gRPC.
inline constexpr char kInProcessMethod[] = "(in-process)";

// A kind of item kept under a participant: its key kind, its collection in
// resource names (contracts/{c}/participants/{p}/<collection>/{id}), and the
// data category reading or changing one touches (what an access grant must
// cover).
struct ItemKind {
  const char* key;
  const char* collection;
  v1::DataCategory category;
};
inline constexpr ItemKind kBarrierItems{"barrier", "barriers", v1::BARRIERS};
inline constexpr ItemKind kActionPlanItems{"plan", "actionPlans",
                                           v1::PROGRESSION};
inline constexpr ItemKind kContactItems{"contact", "contacts", v1::CONTACT};
inline constexpr ItemKind kJobItems{"job", "jobs", v1::PROGRESSION};
inline constexpr ItemKind kEarningsItems{"earnings", "earnings",
                                         v1::PROGRESSION};
inline constexpr ItemKind kCaseReviewItems{"review", "caseReviews",
                                           v1::PROGRESSION};
inline constexpr const ItemKind* kItemKinds[] = {
    &kBarrierItems, &kActionPlanItems, &kContactItems,
    &kJobItems,     &kEarningsItems,   &kCaseReviewItems};

struct ItemName {
  ParticipantName participant;
  std::string id;
  std::string str(const ItemKind& kind) const;
};
absl::StatusOr<ItemName> ParseItemName(absl::string_view field,
                                       absl::string_view name,
                                       const ItemKind& kind);

// A participant as read.
struct Case {
  ParticipantName name;
  v1::Participant participant;  // etag set
  int64_t version = 0;
  // The current programme spell.
  const v1::ProgrammeSpell& spell() const;
};

// What an audit entry is about: the record touched, in a contract's trail.
struct Audited {
  std::string contract;
  std::string record;       // resource name; a collection for a list
  std::string participant;  // empty when about no one participant
  std::string owner;        // the organisation whose trail holds the entry
};
// `record` of the participant `p`, owned by its enrolling organisation.
Audited AuditedRecordOf(const v1::Participant& p, std::string record);
// The participant record `p` itself.
Audited AuditedParticipant(const v1::Participant& p);

// A stored item, still encoded, with its version.
struct StoredItem {
  std::string id;
  storage::Record record;
};

struct ItemPage {
  std::vector<StoredItem> items;
  std::string next_page_token;  // empty on the last page
};

// Where a grant stands at `now` by its dates and revocation alone.
v1::AccessGrantState GrantState(const v1::AccessGrant& grant, absl::Time now);
// Whether `grant` opens `category` of its participant to `organisation` at
// `now`: it names the organisation and the category, it is ACTIVE, and one
// of the participant's `consents` is live, for the grant's purpose, covers
// the category and names the organisation (a consent naming none covers
// the enrolling organisation only). A withdrawn
// consent therefore closes every grant it backed at once.
bool GrantOpens(const v1::AccessGrant& grant,
                const v1::ListConsentsResponse& consents,
                absl::string_view organisation, v1::DataCategory category,
                absl::Time now);

// One atomic change of a case: writes, a new state of the participant, and
// events, committed together by CaseFiles::Commit. Made by CaseFiles::Begin.
class CaseChange {
 public:
  CaseChange(CaseChange&&) = default;

  const Case& read() const { return read_; }
  const auth::Caller& caller() const { return caller_; }
  // The participant as it will be written (starts as read).
  const v1::Participant& participant() const { return after_; }
  v1::Participant& mutable_participant() { return after_; }
  storage::Batch& batch() { return batch_; }

  // Moves the participant to `status` on `date`: checks the transition,
  // records the history and the spell's start or exit date. The status event
  // is emitted on commit.
  absl::Status SetStatus(v1::ParticipantStatus status, absl::CivilDay date,
                         absl::Time now);
  // Records a fact dated `date` in the current spell: FAILED_PRECONDITION
  // (rule nothing-after-exit, naming `field`) when after the spell's exit,
  // and moves the spell's last_activity_date on.
  absl::Status NoteActivity(absl::string_view field, absl::CivilDay date);

  // Makes the commit write the participant (a new version) even when
  // nothing in it changed: for a fact that other writes decide on (a job
  // start, when an ending job checks whether any other job is current).
  void Touch() { touched_ = true; }

  // Writes an item: `version` 0 means it must be new (and it joins the
  // participant's index of its kind), otherwise the stored version must
  // still be `version`.
  void PutItem(const ItemKind& kind, const std::string& id,
               const google::protobuf::Message& item, int64_t version);
  // An event about `aggregate` (a resource name) at `aggregate_version`.
  // Build its facts from participant() after any SetStatus.
  void Event(std::string aggregate, int64_t aggregate_version,
             const google::protobuf::Message& payload);
  // Guards a create with its request id (see common/idempotency); returns
  // the step to compare with BatchResult::failed_step.
  int GuardRequest(const std::string& request_id,
                   const std::string& fingerprint,
                   const google::protobuf::Message& first);
  // What the commit's audit entry says was done: an UPDATE of the
  // participant record unless said otherwise. `record` empty means the
  // participant.
  void AuditAs(audit::v1::AuditAction action, std::string record = "");

 private:
  friend class CaseFiles;
  CaseChange(const auth::Caller& caller, const Case& read,
             storage::KeySpace keys);

  struct PendingEvent {
    std::string aggregate;
    int64_t version;
    std::unique_ptr<google::protobuf::Message> payload;
  };

  const auth::Caller& caller_;
  const Case& read_;
  storage::KeySpace keys_;
  v1::Participant after_;
  storage::Batch batch_;
  std::vector<PendingEvent> events_;
  bool touched_ = false;
  audit::v1::AuditAction audit_action_ = audit::v1::UPDATE;
  std::string audit_record_;  // empty: the participant
};

class CaseFiles {
 public:
  CaseFiles(storage::Store& store, const Clock& clock, IdSource& ids,
            const storage::KeyHasher& key_hasher);

  // The participant, for a call by `caller` that touches `category` of it:
  // PERMISSION_DENIED (Unreachable) when the caller does not reach it, and
  // the same when it does not exist, so that a refusal never tells whether
  // a record exists (a service on its own behalf hears NOT_FOUND). A
  // refusal is recorded in the audit trail (Deny); a read is not: the call
  // records it once, when it returns the data (AuditRead).
  absl::StatusOr<Case> Read(const auth::Caller& caller,
                            const ParticipantName& name,
                            v1::DataCategory category);
  // The case held in `record` (the participant's record as read, or none),
  // with Read's checks.
  absl::StatusOr<Case> CaseOf(const auth::Caller& caller,
                              const ParticipantName& name,
                              const std::optional<storage::Record>& record,
                              v1::DataCategory category);
  // As Read, and FAILED_PRECONDITION when the participant's data was erased
  // (an erased case takes no new facts).
  absl::StatusOr<Case> ReadForChange(const auth::Caller& caller,
                                     const ParticipantName& name,
                                     v1::DataCategory category);

  // The service's record-level access check: OK when `caller` reaches
  // `category` of the participant `c` under caller.scope (set by the call
  // gate from the access policy):
  // - a suite service on its own behalf: always (the policy vetted it);
  // - OWNING_ORGANISATION: the enrolling organisation only;
  // - ORGANISATION: the enrolling organisation, or one holding a grant that
  //   opens `category` (GrantOpens);
  // - TEAM: the enrolling organisation, in the participant's team;
  // - OWN_CASELOAD: the enrolling organisation, the participant's adviser;
  // - AGGREGATES_ONLY, ANY, unspecified: never.
  // EQUALITY also needs the declared purpose EQUALITY_MONITORING, whoever
  // asks. PERMISSION_DENIED (Unreachable) otherwise, recorded in the audit
  // trail; UNAVAILABLE when the grants cannot be read (it fails closed).
  absl::Status CheckReach(const auth::Caller& caller, const Case& c,
                          v1::DataCategory category);
  // CheckReach over many cases at once, for lists: whether the caller
  // reaches each, in order. The grants of every case of another
  // organisation are read in one round trip; UNAVAILABLE when they cannot.
  // Nothing is recorded: a list leaves out what the caller does not reach,
  // and is audited once as a whole.
  absl::StatusOr<std::vector<bool>> Reaches(const auth::Caller& caller,
                                            const std::vector<Case>& cases,
                                            v1::DataCategory category);
  // Drops from `cases` those the caller does not reach (see Reaches).
  absl::Status KeepReachable(const auth::Caller& caller,
                             std::vector<Case>& cases,
                             v1::DataCategory category);
  // PERMISSION_DENIED when caller.scope reaches no participant at all: a
  // list or create is refused whatever it names.
  absl::Status CheckScopeReaches(const auth::Caller& caller) const;
  // The refusal for a participant `caller` does not reach: PERMISSION_DENIED
  // with a message that depends on the caller, the name and the category
  // only, never on whether the participant exists.
  absl::Status Unreachable(const auth::Caller& caller,
                           const ParticipantName& name,
                           v1::DataCategory category) const;
  // Unreachable, recorded in the audit trail as a refusal: `found` is the
  // participant when it exists (its enrolling organisation owns the entry),
  // null when it does not (the caller's organisation does).
  absl::Status Deny(const auth::Caller& caller, const ParticipantName& name,
                    const v1::Participant* found, v1::DataCategory category);
  // FAILED_PRECONDITION when the participant's data was erased.
  absl::Status CheckNotErased(const v1::Participant& participant) const;
  // Decodes the participant stored under `record`, its etag set.
  absl::StatusOr<v1::Participant> DecodeParticipant(
      const storage::Record& record) const;
  // The key of the participant's access grants (kAccessGrantsRecord).
  std::string GrantsKey(const ParticipantName& name) const;

  // Whether the participant holds a live consent (any purpose) covering
  // `category`: the condition for processing special-category data.
  absl::StatusOr<bool> ConsentCovers(const Case& c, v1::DataCategory category);

  // One item of the case; NOT_FOUND naming it when absent.
  absl::StatusOr<StoredItem> ReadItem(const Case& c, const ItemKind& kind,
                                      const std::string& id);
  // A page of the case's items of one kind, oldest first. `page_token` as
  // issued by this call for the same case and kind.
  absl::StatusOr<ItemPage> ListItems(const Case& c, const ItemKind& kind,
                                     const std::string& page_token,
                                     int page_size);
  // Every item of one kind (at most `limit`), for exports and erasure.
  absl::StatusOr<std::vector<StoredItem>> AllItems(const Case& c,
                                                   const ItemKind& kind,
                                                   int limit = 10000);

  // Starts a change of `c` (which must outlive the change).
  CaseChange Begin(const auth::Caller& caller, const Case& c) const;
  // Commits `change`. The participant is written (with a new version, its
  // indexes moved and its status event) when it changed. Returns the batch
  // result; not committed means someone else wrote first, unless the failed
  // step is one the caller guarded (an idempotency guard, say).
  absl::StatusOr<storage::BatchResult> Commit(CaseChange& change);

  // ---- The audit trail (the rule is at the top of this file)

  // A read of `what` by `caller` (READ, or EXPORT for subject access): its
  // one entry, appended on its own right after the read. UNAVAILABLE when
  // it cannot be: the read then fails closed and returns nothing.
  // PERMISSION_DENIED when no organisation owns `what` (a list spanning
  // participants read by a suite service on its own behalf).
  absl::Status AuditRead(const auth::Caller& caller, const Audited& what,
                         audit::v1::AuditAction action = audit::v1::READ);
  // A write of `what` by `caller`: its entry, added to `batch` (every key of
  // which lies in the contract's tenancy) so that it commits with the write.
  absl::Status AuditWrite(storage::Batch& batch, const auth::Caller& caller,
                          audit::v1::AuditAction action, const Audited& what);
  // AuditWrite, then commits `batch`: a write about one participant.
  absl::StatusOr<storage::BatchResult> CommitAudited(
      storage::Batch& batch, const auth::Caller& caller,
      audit::v1::AuditAction action, const Audited& what);
  // A list spanning participants of `contract` (its `collection`, e.g.
  // contracts/c/participants): audited in the caller's organisation's trail.
  static Audited SpanningList(const auth::Caller& caller,
                              const std::string& contract,
                              std::string collection);
  // Records that `caller` was refused `what` (DENIED, with `reason`: short,
  // never personal data) and returns `refusal` as it is, whether or not the
  // entry could be appended (a refusal reveals nothing either way; a failed
  // append is logged).
  absl::Status Refused(const auth::Caller& caller, const Audited& what,
                       absl::string_view reason, absl::Status refusal);
  // The enrolling organisation of the participant `name` as stored (empty
  // when there is none), read without an access check: for the entry about
  // a participant whose data a write changes without otherwise reading them
  // (an attendee whose rating a new evaluation clears).
  absl::StatusOr<std::string> OwnerOf(const ParticipantName& name);

  // Adds to `batch` the check that the participant `read` is unchanged
  // (already in a CaseChange's batch; added again harmlessly) and, when
  // `after` differs from it, the write of `after`: the record, its indexes
  // and the status event. Sets after's etag to the version it will have. For a
  // batch that changes several participants at once (a group session's
  // attendees, a bulk reassignment); false when there was nothing to write.
  // `always` writes it even when unchanged (see CaseChange::Touch).
  bool StageParticipant(storage::Batch& batch, const auth::Caller& caller,
                        const Case& read, v1::Participant& after,
                        bool always = false);
  // Adds to `batch` only the check that the participant is still as read:
  // for a change that must not land on a participant changed or erased
  // meanwhile, but does not change them.
  void ExpectParticipant(storage::Batch& batch, const Case& read) const;

  // Recomputes `after`'s contact summary from every attended contact and
  // group session of the current spell of `read`: for a correction, which
  // may move the summary back. `contact` and `session`, when not null, stand
  // in for the stored versions of themselves (changed in the same write).
  absl::Status ResummariseContacts(const Case& read, v1::Participant& after,
                                   const v1::Contact* contact,
                                   const v1::GroupSession* session);

  // A short digest of a list query (its parent and filters), to bind page
  // tokens to the query that issued them; the same on every replica.
  std::string QueryDigest(absl::string_view query) const;

  // Participant indexes, for creates and deletes of participants.
  void AddIndexes(storage::Batch& batch, const std::string& id,
                  const v1::Participant& p) const;
  void RemoveIndexes(storage::Batch& batch, const std::string& id,
                     const v1::Participant& p) const;
  void Reindex(storage::Batch& batch, const std::string& id,
               const v1::Participant& before,
               const v1::Participant& after) const;

  // An event on the contract's stream, about `aggregate`.
  void AppendEvent(storage::Batch& batch, const auth::Caller& caller,
                   const std::string& contract, const std::string& aggregate,
                   int64_t version, const google::protobuf::Message& payload);
  // Makes the contract's stream known to consumers (once per process).
  absl::Status RegisterStream(const std::string& contract);
  // The participant's event at its current version, for a change recorded
  // beside the participant record (consents, grants).
  void AppendParticipantEvent(storage::Batch& batch, const auth::Caller& caller,
                              const Case& c,
                              const google::protobuf::Message& payload);

  storage::KeySpace Keys(const std::string& contract) const;
  // The duplicate-check key of a participant (see kDuplicateRecord).
  std::string DuplicateKey(const v1::Participant& participant) const;
  std::string ItemKey(const ParticipantName& name, const ItemKind& kind,
                      const std::string& id) const;
  std::string ItemIndex(const ParticipantName& name,
                        const ItemKind& kind) const;

  // Creates an item of `kind` under the participant `name`, idempotently on
  // `request_id` (the fingerprint is taken from `request`). `build` gets the
  // change and the new item's resource name, checks the item against the
  // case, adds its events and returns the item to store. Retries when
  // another write got in between; a replay returns the item as stored now.
  // Audited as a CREATE of the item; a replay as a READ of it (GetItem).
  template <typename Item>
  absl::StatusOr<Item> CreateItem(
      const auth::Caller& caller, const ParticipantName& name,
      const ItemKind& kind, const google::protobuf::Message& request,
      const std::string& request_id,
      const std::function<absl::StatusOr<Item>(CaseChange&,
                                               const std::string&)>& build);

  // Changes the item `name` of `kind`. A non-empty `etag` must match the
  // stored version (ABORTED naming `etag_field` otherwise). `change_item`
  // edits the item in place and adds its events (at the item's new version,
  // which it is given); when it leaves both item and participant as they
  // were, nothing is written. Audited as an UPDATE of the item, or, when
  // nothing is written, a READ of it.
  template <typename Item>
  absl::StatusOr<Item> ChangeItem(
      const auth::Caller& caller, const ItemName& name, const ItemKind& kind,
      const std::string& etag, absl::string_view etag_field,
      const std::function<absl::Status(CaseChange&, Item&, int64_t)>&
          change_item);

  // An item for `caller`, decoded, its etag set; `check`, when given, may
  // still refuse it (its own refusal recorded by it). Audited as a READ of
  // the item.
  template <typename Item>
  absl::StatusOr<Item> GetItem(
      const auth::Caller& caller, const ItemName& name, const ItemKind& kind,
      const std::function<absl::Status(const Case&, const Item&)>& check =
          nullptr);

  // A page of items for `caller`, decoded, each with its etag; `keep`
  // filters (items it rejects are skipped, so a page may be short; an
  // error fails the call). Audited as a READ of the collection.
  template <typename Item>
  absl::StatusOr<std::pair<std::vector<Item>, std::string>> ListItemsOf(
      const auth::Caller& caller, const ParticipantName& name,
      const ItemKind& kind, const std::string& page_token, int page_size,
      const std::function<absl::StatusOr<bool>(const Case&, const Item&)>&
          keep = nullptr);

  storage::Store& store() { return store_; }
  // OK while the store answers: every area's readiness.
  absl::Status Ready() { return store_.Ping(); }
  const storage::KeyHasher& key_hasher() const { return key_hasher_; }
  absl::Time Now() const { return clock_.Now(); }
  // Today in Europe/London: the date of the programme's paperwork.
  absl::CivilDay Today() const;
  std::string NewId() { return ids_.NewId(); }

 private:
  // The item a create with the same request id made first (its stored
  // idempotency record `found`); INVALID_ARGUMENT for another body.
  template <typename Item>
  absl::StatusOr<Item> ReplayItem(const auth::Caller& caller,
                                  const ItemKind& kind,
                                  const storage::Record& found,
                                  const std::string& fingerprint);

  // Whether an organisation holds a grant opening `category` of each of
  // `names`, read in one round trip (UNAVAILABLE when it fails).
  absl::StatusOr<std::vector<bool>> Granted(
      const std::string& organisation,
      const std::vector<ParticipantName>& names, v1::DataCategory category);

  storage::Store& store_;
  const Clock& clock_;
  IdSource& ids_;
  const storage::KeyHasher& key_hasher_;
  events::EventLog events_;
  audit::AuditTrail trail_;
  absl::TimeZone london_;
};

// The version of a record as an etag.
std::string VersionTag(int64_t version);

// ABORTED for an optimistic write that kept losing.
absl::Status Conflict(absl::string_view what);
// ABORTED naming `field` for a stale etag.
absl::Status StaleEtag(absl::string_view field, absl::string_view what);

// Sets the message's "etag" field, when it has one, to `version`.
void SetEtag(google::protobuf::Message& message, int64_t version);

template <typename Message>
absl::StatusOr<Message> DecodeItem(const StoredItem& item) {
  Message message;
  if (!message.ParseFromString(item.record.value)) {
    return absl::DataLossError("a stored record is unreadable");
  }
  SetEtag(message, item.record.version);
  return message;
}

// A List method of items: the page of request.parent()'s items of `kind`
// (page_size and page_token checked), put in the response's repeated field
// `items`.
template <typename Item, typename Response, typename Request>
absl::StatusOr<Response> ListItemPage(
    CaseFiles& files, const auth::Caller& caller, const Request& request,
    const ItemKind& kind,
    google::protobuf::RepeatedPtrField<Item>* (Response::*items)()) {
  absl::StatusOr<ParticipantName> name =
      ParseParticipantName("parent", request.parent());
  if (!name.ok()) return name.status();
  absl::StatusOr<int> page_size = PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize);
  if (!page_size.ok()) return page_size.status();
  auto page = files.ListItemsOf<Item>(caller, *name, kind, request.page_token(),
                                      *page_size);
  if (!page.ok()) return page.status();
  Response response;
  for (Item& item : page->first) *(response.*items)()->Add() = std::move(item);
  response.set_next_page_token(page->second);
  return response;
}

// ---- Template definitions

template <typename Item>
absl::StatusOr<Item> CaseFiles::CreateItem(
    const auth::Caller& caller, const ParticipantName& name,
    const ItemKind& kind, const google::protobuf::Message& request,
    const std::string& request_id,
    const std::function<absl::StatusOr<Item>(CaseChange&, const std::string&)>&
        build) {
  const std::string fingerprint = idempotency::Fingerprint(request);
  const storage::KeySpace keys = Keys(name.contract);
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    // The participant and the request id in one round trip. A retry replays
    // the first result before any rule is applied again: the case may have
    // moved on (exited, erased) since the first call succeeded.
    absl::StatusOr<std::vector<std::optional<storage::Record>>> read =
        store_.GetMany({keys.Record(kParticipantRecord, name.participant),
                        keys.Idempotency(caller.organisation, request_id)});
    if (!read.ok()) return read.status();
    if ((*read)[1].has_value()) {
      return ReplayItem<Item>(caller, kind, *(*read)[1], fingerprint);
    }
    absl::StatusOr<Case> c = CaseOf(caller, name, (*read)[0], kind.category);
    if (!c.ok()) return c.status();
    absl::Status writable = CheckNotErased(c->participant);
    if (!writable.ok()) return writable;
    CaseChange change = Begin(caller, *c);
    const std::string id = NewId();
    // The idempotency record keeps only the name: a replay reads the item
    // as it is now, and no personal data lingers there.
    Item first;
    first.set_name(ItemName{name, id}.str(kind));
    change.AuditAs(audit::v1::CREATE, first.name());
    const int guard = change.GuardRequest(request_id, fingerprint, first);
    absl::StatusOr<Item> item = build(change, first.name());
    if (!item.ok()) return item.status();
    item->set_name(first.name());
    change.PutItem(kind, id, *item, /*version=*/0);
    absl::StatusOr<storage::BatchResult> result = Commit(change);
    if (!result.ok()) return result.status();
    if (result->committed) {
      SetEtag(*item, 1);
      return *std::move(item);
    }
    if (result->failed_step == guard) {
      return ReplayItem<Item>(caller, kind, *result->found, fingerprint);
    }
  }
  return Conflict("participant");
}

template <typename Item>
absl::StatusOr<Item> CaseFiles::ReplayItem(const auth::Caller& caller,
                                           const ItemKind& kind,
                                           const storage::Record& found,
                                           const std::string& fingerprint) {
  Item first;
  absl::Status replay =
      idempotency::Replay(found, fingerprint, "request_id", &first);
  if (!replay.ok()) return replay;
  absl::StatusOr<ItemName> stored = ParseItemName("name", first.name(), kind);
  if (!stored.ok()) return stored.status();
  return GetItem<Item>(caller, *stored, kind);
}

template <typename Item>
absl::StatusOr<Item> CaseFiles::ChangeItem(
    const auth::Caller& caller, const ItemName& name, const ItemKind& kind,
    const std::string& etag, absl::string_view etag_field,
    const std::function<absl::Status(CaseChange&, Item&, int64_t)>&
        change_item) {
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    absl::StatusOr<Case> c =
        ReadForChange(caller, name.participant, kind.category);
    if (!c.ok()) return c.status();
    absl::StatusOr<StoredItem> stored = ReadItem(*c, kind, name.id);
    if (!stored.ok()) return stored.status();
    if (!etag.empty() && etag != VersionTag(stored->record.version)) {
      return StaleEtag(etag_field, kind.key);
    }
    absl::StatusOr<Item> before = DecodeItem<Item>(*stored);
    if (!before.ok()) return before.status();
    Item item = *before;
    CaseChange change = Begin(caller, *c);
    change.AuditAs(audit::v1::UPDATE, name.str(kind));
    absl::Status changed =
        change_item(change, item, stored->record.version + 1);
    if (!changed.ok()) return changed;
    if (google::protobuf::util::MessageDifferencer::Equals(item, *before) &&
        google::protobuf::util::MessageDifferencer::Equals(change.participant(),
                                                           c->participant)) {
      // Nothing to write: the call read the item.
      absl::Status audited =
          AuditRead(caller, AuditedRecordOf(c->participant, name.str(kind)));
      if (!audited.ok()) return audited;
      return item;
    }
    change.PutItem(kind, name.id, item, stored->record.version);
    absl::StatusOr<storage::BatchResult> result = Commit(change);
    if (!result.ok()) return result.status();
    if (result->committed) {
      SetEtag(item, stored->record.version + 1);
      return item;
    }
    // Lost a race (to a change of the item or of the participant): read
    // again; a stale etag is caught at the top of the loop.
  }
  return Conflict(kind.key);
}

template <typename Item>
absl::StatusOr<Item> CaseFiles::GetItem(
    const auth::Caller& caller, const ItemName& name, const ItemKind& kind,
    const std::function<absl::Status(const Case&, const Item&)>& check) {
  absl::StatusOr<Case> c = Read(caller, name.participant, kind.category);
  if (!c.ok()) return c.status();
  absl::StatusOr<StoredItem> stored = ReadItem(*c, kind, name.id);
  if (!stored.ok()) return stored.status();
  absl::StatusOr<Item> item = DecodeItem<Item>(*stored);
  if (!item.ok()) return item.status();
  if (check != nullptr) {
    absl::Status allowed = check(*c, *item);
    if (!allowed.ok()) return allowed;
  }
  absl::Status audited =
      AuditRead(caller, AuditedRecordOf(c->participant, name.str(kind)));
  if (!audited.ok()) return audited;
  return item;
}

template <typename Item>
absl::StatusOr<std::pair<std::vector<Item>, std::string>>
CaseFiles::ListItemsOf(
    const auth::Caller& caller, const ParticipantName& name,
    const ItemKind& kind, const std::string& page_token, int page_size,
    const std::function<absl::StatusOr<bool>(const Case&, const Item&)>& keep) {
  absl::StatusOr<Case> c = Read(caller, name, kind.category);
  if (!c.ok()) return c.status();
  absl::StatusOr<ItemPage> page = ListItems(*c, kind, page_token, page_size);
  if (!page.ok()) return page.status();
  std::pair<std::vector<Item>, std::string> out;
  for (const StoredItem& stored : page->items) {
    absl::StatusOr<Item> item = DecodeItem<Item>(stored);
    if (!item.ok()) return item.status();
    if (keep != nullptr) {
      absl::StatusOr<bool> kept = keep(*c, *item);
      if (!kept.ok()) return kept.status();
      if (!*kept) continue;
    }
    out.first.push_back(*std::move(item));
  }
  absl::Status audited = AuditRead(
      caller, AuditedRecordOf(c->participant,
                              absl::StrCat(name.str(), "/", kind.collection)));
  if (!audited.ok()) return audited;
  out.second = std::move(page->next_page_token);
  return out;
}

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_CASE_FILE_H_
