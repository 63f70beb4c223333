#include "services/participants/group_session_records.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/status/macros.h"
#include "common/status/page_token.h"
#include "common/status/validation.h"
#include "common/time/proto_time.h"
#include "common/validation/dates.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/field_mask_util.h"
#include "google/protobuf/util/message_differencer.h"

namespace employability::participants {
namespace {

using google::protobuf::util::MessageDifferencer;
using storage::Batch;
using validation::ToCivilDay;

constexpr char kCollection[] = "groupSessions";
constexpr char kWhat[] = "group session";

// The fields a caller sets, on create and update alike; the rest are ours.
const std::set<std::string>& InputPaths() {
  static const auto* paths =
      new std::set<std::string>{"title",
                                "learning_needs_analysis",
                                "session_date",
                                "facilitator",
                                "delivery_mode",
                                "accessibility_needs_met",
                                "accessibility_notes",
                                "follow_up_after_days"};
  return *paths;
}

bool Has(const std::set<std::string>& paths, const char* path) {
  return paths.count(path) > 0;
}

// Sets the fields `paths` of `to` as they are in `from` (a message field
// absent from `from` is cleared, not merged).
void CopyPaths(const std::set<std::string>& paths, const v1::GroupSession& from,
               v1::GroupSession& to) {
  google::protobuf::FieldMask mask;
  for (const std::string& path : paths) mask.add_paths(path);
  google::protobuf::util::FieldMaskUtil::MergeOptions options;
  options.set_replace_message_fields(true);
  google::protobuf::util::FieldMaskUtil::MergeMessageTo(from, mask, options,
                                                        &to);
}

// The paths, of `paths`, whose values differ between `before` and `after`.
std::vector<std::string> ChangedFields(const std::set<std::string>& paths,
                                       const v1::GroupSession& before,
                                       const v1::GroupSession& after) {
  std::vector<std::string> changed;
  for (const std::string& path : paths) {
    v1::GroupSession was, is;
    CopyPaths({path}, before, was);
    CopyPaths({path}, after, is);
    if (!MessageDifferencer::Equals(was, is)) changed.push_back(path);
  }
  return changed;
}

absl::Status CheckLearningNeeds(const v1::GroupSession& session) {
  constexpr char kField[] = "group_session.learning_needs_analysis";
  if (!session.has_learning_needs_analysis()) return RequiredField(kField);
  const v1::LearningNeedsAnalysis& analysis = session.learning_needs_analysis();
  const std::pair<const char*, const std::string*> parts[] = {
      {"starting_points", &analysis.starting_points()},
      {"goals", &analysis.goals()},
      {"content_and_methods", &analysis.content_and_methods()}};
  for (const auto& [part, text] : parts) {
    RETURN_IF_ERROR(CheckText(FieldPath(kField, part), *text,
                              kMaxLearningNeedsText, /*required=*/true));
  }
  return absl::OkStatus();
}

// Checks, and normalises in place, the fields `paths` of a session as a
// caller sent them.
absl::Status CheckSessionFields(const std::set<std::string>& paths,
                                v1::GroupSession& session) {
  if (Has(paths, "title")) {
    RETURN_IF_ERROR(CheckText("group_session.title", session.title(),
                              kMaxSessionTitle, /*required=*/true));
  }
  if (Has(paths, "learning_needs_analysis")) {
    RETURN_IF_ERROR(CheckLearningNeeds(session));
  }
  if (Has(paths, "session_date")) {
    // Sessions are planned: a future date is expected.
    RETURN_IF_ERROR(
        ToCivilDay("group_session.session_date", session.session_date())
            .status());
  }
  if (Has(paths, "facilitator")) {
    RETURN_IF_ERROR(
        CheckResourceId("group_session.facilitator", session.facilitator()));
  }
  if (Has(paths, "delivery_mode")) {
    if (session.delivery_mode() == v1::DELIVERY_MODE_UNSPECIFIED) {
      return RequiredField("group_session.delivery_mode");
    }
    if (!v1::DeliveryMode_IsValid(session.delivery_mode())) {
      return InvalidField("group_session.delivery_mode",
                          "must be IN_PERSON or ONLINE");
    }
  }
  if (Has(paths, "accessibility_notes")) {
    RETURN_IF_ERROR(CheckText("group_session.accessibility_notes",
                              session.accessibility_notes(),
                              kMaxAccessibilityNotes, /*required=*/false));
  }
  if (Has(paths, "follow_up_after_days")) {
    const int days = session.follow_up_after_days();
    if (days == 0) session.set_follow_up_after_days(kDefaultFollowUpDays);
    if (days < 0 || days > kMaxFollowUpDays) {
      return InvalidField(
          "group_session.follow_up_after_days",
          absl::StrCat("must be 1..", kMaxFollowUpDays, " days (0 means ",
                       kDefaultFollowUpDays, ")"));
    }
  }
  return absl::OkStatus();
}

std::string EntryField(absl::string_view list, int index,
                       absl::string_view leaf) {
  return absl::StrCat(list, "[", index, "].", leaf);
}

// The participants a list of entries names: participants of the session's
// contract, each named once.
template <typename Entry>
absl::Status CheckNamedOnce(
    const GroupSessionName& session, absl::string_view list,
    const google::protobuf::RepeatedPtrField<Entry>& entries) {
  std::set<std::string> seen;
  for (int i = 0; i < entries.size(); ++i) {
    const std::string field = EntryField(list, i, "participant");
    ASSIGN_OR_RETURN(ParticipantName participant,
                     ParseParticipantName(field, entries[i].participant()));
    if (participant.contract != session.contract) {
      return InvalidField(field,
                          "must be a participant of the session's contract");
    }
    if (!seen.insert(participant.participant).second) {
      return InvalidField(field, "names a participant already in the list");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAttendanceChanges(const GroupSessionName& session,
                                    const v1::RecordAttendanceRequest& r) {
  if (r.attendance().empty()) return RequiredField("attendance");
  if (r.attendance_size() > kMaxAttendanceChanges) {
    return InvalidField("attendance",
                        absl::StrCat("at most ", kMaxAttendanceChanges,
                                     " changes in one call"));
  }
  RETURN_IF_ERROR(CheckNamedOnce(session, "attendance", r.attendance()));
  for (int i = 0; i < r.attendance_size(); ++i) {
    const std::string field = EntryField("attendance", i, "attendance");
    const v1::Attendance attendance = r.attendance(i).attendance();
    if (attendance == v1::ATTENDANCE_UNSPECIFIED) return RequiredField(field);
    if (!v1::Attendance_IsValid(attendance)) {
      return InvalidField(field, "must be one of the listed attendances");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEvaluation(const GroupSessionName& session,
                             const v1::RecordEvaluationRequest& r) {
  RETURN_IF_ERROR(CheckNamedOnce(session, "ratings", r.ratings()));
  for (int i = 0; i < r.ratings_size(); ++i) {
    const v1::Rating& rating = r.ratings(i);
    if (rating.rating() < 1 || rating.rating() > 5) {
      return InvalidField(EntryField("ratings", i, "rating"), "must be 1..5");
    }
    RETURN_IF_ERROR(CheckText(EntryField("ratings", i, "comment"),
                              rating.comment(), kMaxRatingComment,
                              /*required=*/false));
  }
  return CheckText("facilitator_notes", r.facilitator_notes(),
                   kMaxFacilitatorNotes, /*required=*/true);
}

absl::Status CheckFollowUp(absl::CivilDay today, const v1::FollowUp& f) {
  RETURN_IF_ERROR(CheckText("follow_up.outcome", f.outcome(),
                            kMaxFollowUpOutcome, /*required=*/true));
  ASSIGN_OR_RETURN(absl::CivilDay date,
                   ToCivilDay("follow_up.follow_up_date", f.follow_up_date()));
  RETURN_IF_ERROR(validation::CheckNotAfter("follow_up.follow_up_date", date,
                                            today, "today"));
  if (f.attendees_progressed() < 0) {
    return InvalidField("follow_up.attendees_progressed",
                        "must not be negative");
  }
  return absl::OkStatus();
}

int AttendedCount(const v1::GroupSession& session) {
  int attended = 0;
  for (const v1::Attendee& attendee : session.attendees()) {
    if (attendee.attendance() == v1::ATTENDED) ++attended;
  }
  return attended;
}

v1::Attendee* FindAttendee(v1::GroupSession& session,
                           const std::string& participant) {
  for (v1::Attendee& attendee : *session.mutable_attendees()) {
    if (attendee.participant() == participant) return &attendee;
  }
  return nullptr;
}

// A session has been held once anything but a booking is recorded on it.
bool Held(const v1::GroupSession& session) {
  for (const v1::Attendee& attendee : session.attendees()) {
    if (attendee.attendance() != v1::BOOKED) return true;
  }
  return session.evaluated() || session.has_follow_up();
}

// The session itself in the audit trail: a record about no one participant,
// owned by the organisation that runs it.
Audited SessionAudited(const GroupSessionName& name,
                       const v1::GroupSession& session) {
  return Audited{name.contract, name.str(), "", session.organisation()};
}

absl::StatusOr<absl::CivilDay> SessionDate(const v1::GroupSession& session) {
  return ToCivilDay("group_session.session_date", session.session_date());
}

// FAILED_PRECONDITION naming `field`, for `what` recorded before the session
// took place.
absl::Status NotBeforeTheSession(absl::string_view field, absl::CivilDay today,
                                 absl::CivilDay session_date,
                                 absl::string_view what) {
  if (today >= session_date) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(field, ": rule after-the-session: ", what,
                   " can be recorded only from the session's date (",
                   absl::FormatCivilTime(session_date), ")"));
}

v1::GroupSessionFacts SessionFacts(const std::string& contract,
                                   const v1::GroupSession& session) {
  v1::GroupSessionFacts facts;
  facts.set_group_session(session.name());
  facts.set_contract(contract);
  facts.set_organisation(session.organisation());
  facts.set_facilitator(session.facilitator());
  *facts.mutable_session_date() = session.session_date();
  facts.set_delivery_mode(session.delivery_mode());
  facts.set_accessibility_needs_met(session.accessibility_needs_met());
  facts.set_attendees(session.attendees_size());
  facts.set_attended(AttendedCount(session));
  return facts;
}

template <typename Event>
Event SessionEvent(const std::string& contract,
                   const v1::GroupSession& session) {
  Event event;
  *event.mutable_facts() = SessionFacts(contract, session);
  return event;
}

// The session as stored: the etag is the record's version, never stored.
std::string Encode(v1::GroupSession session) {
  session.clear_etag();
  return session.SerializeAsString();
}

}  // namespace

std::string GroupSessionName::str() const {
  return absl::StrCat("contracts/", contract, "/", kCollection, "/", id);
}

absl::StatusOr<GroupSessionName> ParseGroupSessionName(absl::string_view field,
                                                       absl::string_view name) {
  if (name.empty()) return RequiredField(field);
  const std::string infix = absl::StrCat("/", kCollection, "/");
  const size_t at = name.find(infix);
  if (at != absl::string_view::npos) {
    absl::StatusOr<std::string> contract =
        ParseContractName(field, name.substr(0, at));
    const absl::string_view id = name.substr(at + infix.size());
    if (contract.ok() && CheckResourceId(field, id).ok()) {
      return GroupSessionName{*std::move(contract), std::string(id)};
    }
  }
  return InvalidField(field, absl::StrCat("must be contracts/{contract}/",
                                          kCollection, "/{session}"));
}

GroupSessionRecords::GroupSessionRecords(CaseFiles& files) : files_(files) {}

std::string GroupSessionRecords::Key(const GroupSessionName& name) const {
  return files_.Keys(name.contract).Record(kGroupSessionRecord, name.id);
}

void GroupSessionRecords::Emit(Batch& batch, const auth::Caller& caller,
                               const std::string& contract,
                               const v1::GroupSession& session, int64_t version,
                               const google::protobuf::Message& payload) {
  files_.AppendEvent(batch, caller, contract, session.name(), version, payload);
}

absl::StatusOr<GroupSessionRecords::StoredSession> GroupSessionRecords::Read(
    const auth::Caller& caller, const GroupSessionName& name) {
  RETURN_IF_ERROR(files_.CheckScopeReaches(caller));
  ASSIGN_OR_RETURN(std::optional<storage::Record> record,
                   files_.store().Get(Key(name)));
  // Another organisation's session and none at all read the same, so that
  // a refusal does not tell whether a session exists; the organisation that
  // runs it, when there is one, sees who tried.
  const absl::Status unreachable = absl::PermissionDeniedError(
      absl::StrCat(name.str(), ": not a group session of organisation ",
                   caller.organisation));
  constexpr char kReason[] = "not a group session of the caller's organisation";
  if (!record.has_value()) {
    if (caller.is_service()) {
      return absl::NotFoundError(absl::StrCat(name.str(), " not found"));
    }
    return files_.Refused(
        caller, Audited{name.contract, name.str(), "", caller.organisation},
        kReason, unreachable);
  }
  const int64_t version = record->version;
  ASSIGN_OR_RETURN(
      v1::GroupSession session,
      DecodeItem<v1::GroupSession>(StoredItem{name.id, *std::move(record)}));
  if (!caller.is_service() && session.organisation() != caller.organisation) {
    return files_.Refused(caller, SessionAudited(name, session), kReason,
                          unreachable);
  }
  return StoredSession{name, std::move(session), version};
}

absl::StatusOr<Case> GroupSessionRecords::ReadAttendee(
    const auth::Caller& caller, const std::string& field,
    const ParticipantName& name) {
  // Attendance is a contact with the participant.
  ASSIGN_OR_RETURN(Case attendee, files_.Read(caller, name, v1::CONTACT));
  absl::Status erased = files_.CheckNotErased(attendee.participant);
  if (!erased.ok()) {
    return absl::Status(erased.code(),
                        absl::StrCat(field, ": ", erased.message()));
  }
  return attendee;
}

absl::StatusOr<v1::GroupSession> GroupSessionRecords::Change(
    const auth::Caller& caller, const GroupSessionName& name,
    const std::string& etag, absl::string_view etag_field,
    const SessionEdit& edit) {
  RETURN_IF_ERROR(files_.RegisterStream(name.contract));
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    ASSIGN_OR_RETURN(StoredSession read, Read(caller, name));
    // A race lost to a write of the session itself shows here on the retry;
    // one lost to an attendee's record is simply tried again.
    if (!etag.empty() && etag != read.session.etag()) {
      return StaleEtag(etag_field, kWhat);
    }
    v1::GroupSession session = read.session;
    Batch batch;
    const int64_t version = read.version + 1;
    std::vector<Audited> touched;
    RETURN_IF_ERROR(edit(read, session, batch, version, touched));
    if (MessageDifferencer::Equals(session, read.session)) {
      // Nothing to write: the call read the session.
      RETURN_IF_ERROR(
          files_.AuditRead(caller, SessionAudited(name, read.session)));
      return session;
    }
    *session.mutable_update_time() = ToProtoTimestamp(files_.Now());
    batch.ExpectVersion(Key(name), read.version);
    batch.Put(Key(name), Encode(session));
    if (touched.empty()) touched.push_back(SessionAudited(name, read.session));
    for (const Audited& what : touched) {
      RETURN_IF_ERROR(
          files_.AuditWrite(batch, caller, audit::v1::UPDATE, what));
    }
    ASSIGN_OR_RETURN(storage::BatchResult result, files_.store().Commit(batch));
    if (result.committed) {
      SetEtag(session, version);
      return session;
    }
  }
  return Conflict(kWhat);
}

// ---- Create, Get, List

absl::StatusOr<v1::GroupSession> GroupSessionRecords::Create(
    const auth::Caller& caller, const v1::CreateGroupSessionRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   ParseContractName("parent", request.parent()));
  RETURN_IF_ERROR(
      idempotency::CheckRequestId("request_id", request.request_id()));
  if (!request.has_group_session()) return RequiredField("group_session");
  v1::GroupSession session;
  CopyPaths(InputPaths(), request.group_session(), session);
  RETURN_IF_ERROR(CheckSessionFields(InputPaths(), session));
  RETURN_IF_ERROR(files_.RegisterStream(contract));

  const GroupSessionName name{contract, files_.NewId()};
  session.set_name(name.str());
  session.set_organisation(caller.organisation);
  const google::protobuf::Timestamp now = ToProtoTimestamp(files_.Now());
  *session.mutable_create_time() = now;
  *session.mutable_update_time() = now;

  const storage::KeySpace keys = files_.Keys(contract);
  const std::string fingerprint = idempotency::Fingerprint(request);
  // The idempotency record keeps only the name: a replay reads the session
  // as it is now.
  v1::GroupSession first;
  first.set_name(session.name());
  Batch batch;
  const int guard = idempotency::Guard(
      batch, keys.Idempotency(caller.organisation, request.request_id()),
      fingerprint, first);
  batch.ExpectAbsent(Key(name));
  batch.Put(Key(name), Encode(session));
  batch.IndexAdd(keys.Index(kGroupSessionsOfOrganisation, caller.organisation),
                 name.id);
  Emit(batch, caller, contract, session, 1,
       SessionEvent<v1::GroupSessionScheduled>(contract, session));
  ASSIGN_OR_RETURN(storage::BatchResult result,
                   files_.CommitAudited(batch, caller, audit::v1::CREATE,
                                        SessionAudited(name, session)));
  if (result.committed) {
    SetEtag(session, 1);
    return session;
  }
  // Only the guard can fail: the session's id is new.
  if (result.failed_step != guard) return Conflict(kWhat);
  RETURN_IF_ERROR(
      idempotency::Replay(*result.found, fingerprint, "request_id", &first));
  ASSIGN_OR_RETURN(GroupSessionName replayed,
                   ParseGroupSessionName("name", first.name()));
  ASSIGN_OR_RETURN(StoredSession stored, Read(caller, replayed));
  // A replay writes nothing: it reads the session the first call made.
  RETURN_IF_ERROR(
      files_.AuditRead(caller, SessionAudited(replayed, stored.session)));
  return std::move(stored.session);
}

absl::StatusOr<v1::GroupSession> GroupSessionRecords::Get(
    const auth::Caller& caller, const v1::GetGroupSessionRequest& request) {
  ASSIGN_OR_RETURN(GroupSessionName name,
                   ParseGroupSessionName("name", request.name()));
  ASSIGN_OR_RETURN(StoredSession stored, Read(caller, name));
  RETURN_IF_ERROR(
      files_.AuditRead(caller, SessionAudited(name, stored.session)));
  return std::move(stored.session);
}

absl::StatusOr<v1::ListGroupSessionsResponse> GroupSessionRecords::List(
    const auth::Caller& caller, const v1::ListGroupSessionsRequest& request) {
  ASSIGN_OR_RETURN(std::string contract,
                   ParseContractName("parent", request.parent()));
  ASSIGN_OR_RETURN(int page_size, PageSize("page_size", request.page_size(),
                                           kDefaultPageSize, kMaxPageSize));
  RETURN_IF_ERROR(files_.CheckScopeReaches(caller));
  // The token is bound to the contract and the caller's organisation.
  const std::string digest = files_.QueryDigest(absl::StrCat(
      contract, "|", caller.organisation, "|", kGroupSessionsOfOrganisation));
  std::string after;
  if (!request.page_token().empty()) {
    ASSIGN_OR_RETURN(
        after, DecodePageToken("page_token", request.page_token(), digest));
  }
  const storage::KeySpace keys = files_.Keys(contract);
  // Ids sort in the order they were made: oldest first.
  ASSIGN_OR_RETURN(
      std::vector<std::string> ids,
      files_.store().IndexRange(
          keys.Index(kGroupSessionsOfOrganisation, caller.organisation), after,
          page_size + 1));
  const bool more = static_cast<int>(ids.size()) > page_size;
  if (more) ids.resize(page_size);
  std::vector<std::string> record_keys;
  for (const std::string& id : ids) {
    record_keys.push_back(Key(GroupSessionName{contract, id}));
  }
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::Record>> records,
                   files_.store().GetMany(record_keys));
  v1::ListGroupSessionsResponse response;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!records[i].has_value()) continue;  // removed since the index was read
    ASSIGN_OR_RETURN(
        *response.add_group_sessions(),
        DecodeItem<v1::GroupSession>(StoredItem{ids[i], *records[i]}));
  }
  if (more) response.set_next_page_token(EncodePageToken(ids.back(), digest));
  RETURN_IF_ERROR(files_.AuditRead(
      caller, CaseFiles::SpanningList(
                  caller, contract,
                  absl::StrCat("contracts/", contract, "/", kCollection))));
  return response;
}

// ---- Update

absl::StatusOr<v1::GroupSession> GroupSessionRecords::Update(
    const auth::Caller& caller, const v1::UpdateGroupSessionRequest& request) {
  ASSIGN_OR_RETURN(GroupSessionName name,
                   ParseGroupSessionName("group_session.name",
                                         request.group_session().name()));
  ASSIGN_OR_RETURN(const std::set<std::string> paths,
                   UpdatePaths(request.update_mask(), InputPaths()));
  v1::GroupSession input;
  CopyPaths(paths, request.group_session(), input);
  RETURN_IF_ERROR(CheckSessionFields(paths, input));
  return Change(
      caller, name, request.group_session().etag(), "group_session.etag",
      [&](const StoredSession& read, v1::GroupSession& session, Batch& batch,
          int64_t version, std::vector<Audited>&) -> absl::Status {
        CopyPaths(paths, input, session);
        const std::vector<std::string> changed =
            ChangedFields(paths, read.session, session);
        if (changed.empty()) return absl::OkStatus();  // nothing to write
        const bool moved = std::find(changed.begin(), changed.end(),
                                     "session_date") != changed.end();
        if (moved && Held(read.session)) {
          return absl::FailedPreconditionError(
              "group_session.session_date: the session has been held "
              "(attendance, an evaluation or a follow-up is recorded); its "
              "date can no longer change");
        }
        auto event =
            SessionEvent<v1::GroupSessionUpdated>(name.contract, session);
        for (const std::string& path : changed) event.add_changed_fields(path);
        Emit(batch, caller, name.contract, session, version, event);
        return absl::OkStatus();
      });
}

// ---- Attendance

absl::StatusOr<std::optional<v1::GroupAttendanceRecorded>>
GroupSessionRecords::ChangeAttendance(const auth::Caller& caller,
                                      const GroupSessionName& name, int index,
                                      const v1::AttendanceChange& change,
                                      absl::CivilDay session_date,
                                      v1::GroupSession& session, Batch& batch,
                                      std::vector<Audited>& touched) {
  const std::string field = EntryField("attendance", index, "participant");
  ASSIGN_OR_RETURN(ParticipantName participant,
                   ParseParticipantName(field, change.participant()));
  ASSIGN_OR_RETURN(Case attendee, ReadAttendee(caller, field, participant));
  v1::Attendee* listed = FindAttendee(session, participant.str());
  const v1::Attendance previous =
      listed != nullptr ? listed->attendance() : v1::ATTENDANCE_UNSPECIFIED;
  if (previous == change.attendance()) {
    return std::optional<v1::GroupAttendanceRecorded>();
  }

  const bool attended = change.attendance() == v1::ATTENDED;
  v1::Participant after = attendee.participant;
  // Rule nothing-after-exit: no one is booked on or attends a session after
  // their spell ended (a cancellation or a no-show may still be noted). Only
  // an attended session is activity on the participant's record.
  if (attended || change.attendance() == v1::BOOKED) {
    RETURN_IF_ERROR(NoteSpellActivity(after, field, session_date));
  }
  if (attended) {
    NoteAttendedContact(after, session_date,
                        session.delivery_mode() == v1::IN_PERSON);
  }
  if (listed == nullptr) {
    listed = session.add_attendees();
    listed->set_participant(participant.str());
    batch.IndexAdd(files_.Keys(name.contract)
                       .Index(kGroupSessionRecord, participant.participant),
                   name.id);
  }
  listed->set_attendance(change.attendance());
  // A correction (attended after all not) may move the summary back.
  if (previous == v1::ATTENDED) {
    RETURN_IF_ERROR(files_.ResummariseContacts(attendee, after,
                                               /*contact=*/nullptr, &session));
  }
  // Written or not, the entry must not land on a participant erased or
  // exited meanwhile: StageParticipant checks their version either way.
  files_.StageParticipant(batch, caller, attendee, after);
  touched.push_back(AuditedRecordOf(attendee.participant, name.str()));
  // Only those who attended rate the session.
  if (!attended) {
    listed->clear_rating();
    listed->clear_comment();
  }
  v1::GroupAttendanceRecorded event;
  *event.mutable_participant() =
      FactsOf(attended ? after : attendee.participant);
  event.set_attendance(change.attendance());
  event.set_previous_attendance(previous);
  return std::optional<v1::GroupAttendanceRecorded>(std::move(event));
}

absl::StatusOr<v1::GroupSession> GroupSessionRecords::RecordAttendance(
    const auth::Caller& caller, const v1::RecordAttendanceRequest& request) {
  ASSIGN_OR_RETURN(GroupSessionName name,
                   ParseGroupSessionName("name", request.name()));
  RETURN_IF_ERROR(CheckAttendanceChanges(name, request));
  return Change(
      caller, name, request.etag(), "etag",
      [&](const StoredSession& read, v1::GroupSession& session, Batch& batch,
          int64_t version, std::vector<Audited>& touched) -> absl::Status {
        ASSIGN_OR_RETURN(absl::CivilDay session_date,
                         SessionDate(read.session));
        const absl::CivilDay today = files_.Today();
        std::vector<v1::GroupAttendanceRecorded> events;
        for (int i = 0; i < request.attendance_size(); ++i) {
          const v1::AttendanceChange& change = request.attendance(i);
          if (change.attendance() != v1::BOOKED) {
            RETURN_IF_ERROR(NotBeforeTheSession(
                EntryField("attendance", i, "attendance"), today, session_date,
                "attendance other than BOOKED"));
          }
          ASSIGN_OR_RETURN(
              std::optional<v1::GroupAttendanceRecorded> event,
              ChangeAttendance(caller, name, i, change, session_date, session,
                               batch, touched));
          if (event.has_value()) events.push_back(*std::move(event));
        }
        // Every event carries the session as written.
        const v1::GroupSessionFacts facts =
            SessionFacts(name.contract, session);
        for (v1::GroupAttendanceRecorded& event : events) {
          *event.mutable_facts() = facts;
          Emit(batch, caller, name.contract, session, version, event);
        }
        return absl::OkStatus();
      });
}

// ---- Evaluation and follow-up

absl::StatusOr<std::vector<Audited>> GroupSessionRecords::RatingsChanged(
    const GroupSessionName& name, const v1::GroupSession& before,
    const v1::GroupSession& after, const std::map<std::string, Case>& rated) {
  std::vector<Audited> changed;
  for (int i = 0; i < after.attendees_size(); ++i) {
    // An evaluation changes ratings, never the list of attendees.
    const v1::Attendee& was = before.attendees(i);
    const v1::Attendee& is = after.attendees(i);
    if (was.rating() == is.rating() && was.comment() == is.comment()) continue;
    const auto read = rated.find(is.participant());
    if (read != rated.end()) {
      changed.push_back(AuditedRecordOf(read->second.participant, name.str()));
      continue;
    }
    // A rating the new evaluation clears, of an attendee it does not name.
    ASSIGN_OR_RETURN(ParticipantName participant,
                     ParseParticipantName("attendee", is.participant()));
    ASSIGN_OR_RETURN(std::string owner, files_.OwnerOf(participant));
    if (owner.empty()) owner = after.organisation();
    changed.push_back(
        Audited{name.contract, name.str(), is.participant(), std::move(owner)});
  }
  return changed;
}

absl::StatusOr<v1::GroupSession> GroupSessionRecords::RecordEvaluation(
    const auth::Caller& caller, const v1::RecordEvaluationRequest& request) {
  ASSIGN_OR_RETURN(GroupSessionName name,
                   ParseGroupSessionName("name", request.name()));
  RETURN_IF_ERROR(CheckEvaluation(name, request));
  return Change(
      caller, name, request.etag(), "etag",
      [&](const StoredSession& read, v1::GroupSession& session, Batch& batch,
          int64_t version, std::vector<Audited>& touched) -> absl::Status {
        ASSIGN_OR_RETURN(absl::CivilDay session_date,
                         SessionDate(read.session));
        RETURN_IF_ERROR(NotBeforeTheSession("name", files_.Today(),
                                            session_date, "an evaluation"));
        std::map<std::string, Case> rated;  // by participant name
        // A new evaluation replaces the last one whole.
        for (v1::Attendee& attendee : *session.mutable_attendees()) {
          attendee.clear_rating();
          attendee.clear_comment();
        }
        int total = 0;
        for (int i = 0; i < request.ratings_size(); ++i) {
          const v1::Rating& rating = request.ratings(i);
          const std::string field = EntryField("ratings", i, "participant");
          ASSIGN_OR_RETURN(ParticipantName participant,
                           ParseParticipantName(field, rating.participant()));
          v1::Attendee* attendee = FindAttendee(session, participant.str());
          if (attendee == nullptr || attendee->attendance() != v1::ATTENDED) {
            return absl::FailedPreconditionError(absl::StrCat(
                field, ": only attendees who ATTENDED the session rate it"));
          }
          // The comment is the participant's own words: none for a record
          // erased on request, nor one the caller cannot see.
          ASSIGN_OR_RETURN(Case c, ReadAttendee(caller, field, participant));
          rated.emplace(participant.str(), std::move(c));
          attendee->set_rating(rating.rating());
          attendee->set_comment(rating.comment());
          total += rating.rating();
        }
        session.set_facilitator_notes(request.facilitator_notes());
        session.set_evaluated(true);
        if (MessageDifferencer::Equals(session, read.session)) {
          return absl::OkStatus();  // the same evaluation again
        }
        ASSIGN_OR_RETURN(touched,
                         RatingsChanged(name, read.session, session, rated));
        auto event =
            SessionEvent<v1::GroupSessionEvaluated>(name.contract, session);
        event.set_ratings(request.ratings_size());
        if (request.ratings_size() > 0) {
          event.set_mean_rating(static_cast<double>(total) /
                                request.ratings_size());
        }
        Emit(batch, caller, name.contract, session, version, event);
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::GroupSession> GroupSessionRecords::RecordFollowUp(
    const auth::Caller& caller, const v1::RecordFollowUpRequest& request) {
  ASSIGN_OR_RETURN(GroupSessionName name,
                   ParseGroupSessionName("name", request.name()));
  if (!request.has_follow_up()) return RequiredField("follow_up");
  const absl::CivilDay today = files_.Today();
  RETURN_IF_ERROR(CheckFollowUp(today, request.follow_up()));
  return Change(
      caller, name, request.etag(), "etag",
      [&](const StoredSession& read, v1::GroupSession& session, Batch& batch,
          int64_t version, std::vector<Audited>&) -> absl::Status {
        ASSIGN_OR_RETURN(absl::CivilDay session_date,
                         SessionDate(read.session));
        // The longer-term impact is judged after a suitable delay.
        const absl::CivilDay due =
            session_date + read.session.follow_up_after_days();
        if (today < due) {
          return absl::FailedPreconditionError(absl::StrCat(
              "name: rule follow-up-after-delay: the follow-up is due from ",
              absl::FormatCivilTime(due), " (",
              read.session.follow_up_after_days(), " days after the session)"));
        }
        const v1::FollowUp& follow_up = request.follow_up();
        ASSIGN_OR_RETURN(
            absl::CivilDay date,
            ToCivilDay("follow_up.follow_up_date", follow_up.follow_up_date()));
        if (date < due) {
          return absl::FailedPreconditionError(absl::StrCat(
              "follow_up.follow_up_date: must not be before ",
              absl::FormatCivilTime(due), " (",
              read.session.follow_up_after_days(), " days after the session)"));
        }
        const int attended = AttendedCount(read.session);
        if (follow_up.attendees_progressed() > attended) {
          return absl::FailedPreconditionError(absl::StrCat(
              "follow_up.attendees_progressed: must not exceed the ", attended,
              " attendees who attended"));
        }
        *session.mutable_follow_up() = follow_up;
        session.mutable_follow_up()->set_recorded_by(caller.user);
        if (MessageDifferencer::Equals(session, read.session)) {
          return absl::OkStatus();  // the same follow-up again
        }
        auto event =
            SessionEvent<v1::GroupSessionFollowedUp>(name.contract, session);
        *event.mutable_follow_up_date() = follow_up.follow_up_date();
        event.set_attendees_progressed(follow_up.attendees_progressed());
        Emit(batch, caller, name.contract, session, version, event);
        return absl::OkStatus();
      });
}

}  // namespace employability::participants
