// Group sessions (QIF component 5): planned from a learning-needs analysis,
// attended by participants of the contract, evaluated by members and
// facilitator after the event and followed up after a delay. A domain class:
// no gRPC.
//
// A session is not an item of one participant but a record of its own in the
// contract's tenancy, in the layout case_file.h names (kGroupSessionRecord,
// kGroupSessionsOfOrganisation), which subject access and erasure read.
//
// Audit (the rule is in case_file.h): a session lists its attendees, so
// every call on one is audited. A get is a READ of the session and a list a
// READ of contracts/{c}/groupSessions (participant empty; the session's,
// or the caller's, organisation owns the entry). A write carries one entry
// per attendee whose entry it changes (attendance, an evaluation's rating
// or comment: participant = the attendee, owner = their enrolling
// organisation, record = the session), or, when it changes no attendee's
// entry (create, update, follow-up, facilitator notes), one entry for the
// session. Another organisation's session is refused with a DENIED entry.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_GROUP_SESSION_RECORDS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_GROUP_SESSION_RECORDS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/auth/caller.h"
#include "common/storage/store.h"
#include "employability/participants/v1/group_sessions.pb.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "services/participants/case_file.h"

namespace employability::participants {

inline constexpr int kMaxSessionTitle = 200;
inline constexpr int kMaxLearningNeedsText = 4000;
inline constexpr int kMaxAccessibilityNotes = 2000;
inline constexpr int kDefaultFollowUpDays = 90;
inline constexpr int kMaxFollowUpDays = 730;
inline constexpr int kMaxAttendanceChanges = 100;
inline constexpr int kMaxRatingComment = 1000;
inline constexpr int kMaxFacilitatorNotes = 4000;
inline constexpr int kMaxFollowUpOutcome = 4000;

// contracts/{contract}/groupSessions/{session}
struct GroupSessionName {
  std::string contract;
  std::string id;
  std::string str() const;
};
absl::StatusOr<GroupSessionName> ParseGroupSessionName(absl::string_view field,
                                                       absl::string_view name);

class GroupSessionRecords {
 public:
  explicit GroupSessionRecords(CaseFiles& files);

  absl::StatusOr<v1::GroupSession> Create(
      const auth::Caller& caller, const v1::CreateGroupSessionRequest& request);
  absl::StatusOr<v1::GroupSession> Get(
      const auth::Caller& caller, const v1::GetGroupSessionRequest& request);
  absl::StatusOr<v1::ListGroupSessionsResponse> List(
      const auth::Caller& caller, const v1::ListGroupSessionsRequest& request);
  absl::StatusOr<v1::GroupSession> Update(
      const auth::Caller& caller, const v1::UpdateGroupSessionRequest& request);
  absl::StatusOr<v1::GroupSession> RecordAttendance(
      const auth::Caller& caller, const v1::RecordAttendanceRequest& request);
  absl::StatusOr<v1::GroupSession> RecordEvaluation(
      const auth::Caller& caller, const v1::RecordEvaluationRequest& request);
  absl::StatusOr<v1::GroupSession> RecordFollowUp(
      const auth::Caller& caller, const v1::RecordFollowUpRequest& request);

 private:
  // A session as stored, with its version.
  struct StoredSession {
    GroupSessionName name;
    v1::GroupSession session;  // etag set
    int64_t version = 0;
  };
  // Edits `session` (a copy of `read`) and adds to `batch` whatever else the
  // change writes and its events, at the session's next `version`, and to
  // `touched` every attendee whose entry it changes (one audit entry each).
  // Leaving the session as read writes nothing.
  using SessionEdit = std::function<absl::Status(
      const StoredSession& read, v1::GroupSession& session,
      storage::Batch& batch, int64_t version, std::vector<Audited>& touched)>;

  // The session for `caller`: PERMISSION_DENIED, the same whether it is
  // absent or another organisation runs it (a service on its own behalf
  // hears NOT_FOUND for an absent one), recorded in the audit trail.
  absl::StatusOr<StoredSession> Read(const auth::Caller& caller,
                                     const GroupSessionName& name);
  // Applies `edit` optimistically: a non-empty `etag` must match the stored
  // version (ABORTED naming `etag_field`); a lost race reads and edits again.
  // Audited as the class comment says; an edit that changes nothing is a
  // READ of the session.
  absl::StatusOr<v1::GroupSession> Change(const auth::Caller& caller,
                                          const GroupSessionName& name,
                                          const std::string& etag,
                                          absl::string_view etag_field,
                                          const SessionEdit& edit);
  // Adds `payload`, an event about `session` at `version`, to `batch`.
  void Emit(storage::Batch& batch, const auth::Caller& caller,
            const std::string& contract, const v1::GroupSession& session,
            int64_t version, const google::protobuf::Message& payload);
  // A participant named in a request (`field`), for `caller`, as CaseFiles
  // reads it; FAILED_PRECONDITION naming `field` when erased.
  absl::StatusOr<Case> ReadAttendee(const auth::Caller& caller,
                                    const std::string& field,
                                    const ParticipantName& name);
  // Sets the attendance of the change at `index` on `session`, and stages
  // in `batch` what an attended session means for the participant's record
  // (and adds them to `touched`). The event to emit (facts left to the
  // caller) when the attendance changed; nullopt when it was already so.
  absl::StatusOr<std::optional<v1::GroupAttendanceRecorded>> ChangeAttendance(
      const auth::Caller& caller, const GroupSessionName& name, int index,
      const v1::AttendanceChange& change, absl::CivilDay session_date,
      v1::GroupSession& session, storage::Batch& batch,
      std::vector<Audited>& touched);
  // The attendees whose rating or comment differs between `before` and
  // `after`, for the audit trail; `rated` holds those the call read.
  absl::StatusOr<std::vector<Audited>> RatingsChanged(
      const GroupSessionName& name, const v1::GroupSession& before,
      const v1::GroupSession& after, const std::map<std::string, Case>& rated);

  std::string Key(const GroupSessionName& name) const;

  CaseFiles& files_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_GROUP_SESSION_RECORDS_H_
