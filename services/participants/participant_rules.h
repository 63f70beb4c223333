// The rules of a participant record, apart from storage: what a valid record
// is, which status may follow which, and the facts events carry.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_RULES_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_RULES_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "employability/participants/v1/participants.pb.h"

namespace employability::participants {

namespace v1 = ::employability::participants::v1;

inline constexpr int kMinAge = 16;
inline constexpr int kMaxAge = 100;
inline constexpr int kMaxNameLength = 100;
inline constexpr int kMaxAddressLines = 4;
inline constexpr int kMaxAddressLineLength = 100;

// Checks and normalises, in place, the caller-supplied fields of a
// participant (`prefix` is its path in the request, e.g. "participant").
// Output-only fields are left alone. `today` is the date in Europe/London.
absl::Status NormaliseParticipant(absl::string_view prefix,
                                  absl::CivilDay today,
                                  v1::Participant& participant);

// The contact part alone, for updates of one contact field.
absl::Status NormaliseContact(absl::string_view prefix,
                              v1::ContactDetails& contact);

// OK when a participant may move from `from` to `to`; FAILED_PRECONDITION
// naming both otherwise.
absl::Status CheckTransition(v1::ParticipantStatus from,
                             v1::ParticipantStatus to);

// Moves `p` to `status` on `date`, as `user` at `now`: checks the transition,
// appends the current spell's history and sets its start date (STARTED, the
// first time) or exit date (EXITED, WITHDRAWN). A re-join's new spell is
// opened by the caller first.
absl::Status ApplyStatus(v1::Participant& p, v1::ParticipantStatus status,
                         absl::CivilDay date, absl::string_view user,
                         absl::Time now);

// Records a fact dated `date` in the current spell: FAILED_PRECONDITION
// (rule nothing-after-exit, naming `field`) when after the spell's exit;
// otherwise moves the spell's last_activity_date on.
absl::Status NoteSpellActivity(v1::Participant& p, absl::string_view field,
                               absl::CivilDay date);

// FAILED_PRECONDITION naming `field` unless `item_spell` is the number of
// `current`: what belongs to an earlier spell is read-only (`what` names the
// item, e.g. "contact").
absl::Status CheckCurrentSpell(absl::string_view field, absl::string_view what,
                               int item_spell,
                               const v1::ProgrammeSpell& current);

// FAILED_PRECONDITION naming `field` when `day` is before the referral date
// of `spell`: nothing of a spell precedes its referral.
absl::Status CheckNotBeforeReferral(const v1::ProgrammeSpell& spell,
                                    absl::string_view field,
                                    absl::CivilDay day);

// Notes an attended contact on `date` in the participant's contact summary
// (face to face: in person, including an in-person group session).
void NoteAttendedContact(v1::Participant& p, absl::CivilDay date,
                         bool face_to_face);

// Checks a consent as given by a caller.
absl::Status NormaliseConsent(absl::string_view prefix, v1::Consent& consent);

// Checks equality-monitoring answers.
absl::Status NormaliseEqualityData(absl::string_view prefix,
                                   v1::EqualityData& data);

// KPI facts of a participant for events: no identity or contact data.
v1::ParticipantFacts FactsOf(const v1::Participant& participant);

// Resource names: contracts/{contract}/participants/{participant}.
struct ParticipantName {
  std::string contract;
  std::string participant;
  std::string str() const;
};
absl::StatusOr<std::string> ParseContractName(absl::string_view field,
                                              absl::string_view name);
absl::StatusOr<ParticipantName> ParseParticipantName(absl::string_view field,
                                                     absl::string_view name);
// contracts/{c}/participants/{p}/consents/{consent}
absl::StatusOr<std::pair<ParticipantName, std::string>> ParseConsentName(
    absl::string_view field, absl::string_view name);
// contracts/{c}/participants/{p}/equalityData
absl::StatusOr<ParticipantName> ParseEqualityDataName(absl::string_view field,
                                                      absl::string_view name);

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_PARTICIPANT_RULES_H_
