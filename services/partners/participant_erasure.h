// The erasure rule (docs/event-catalogue.md) for the partners service: a
// referral carries free text about its participant (the reason, the
// handover summary, a closing note), so when the participants service
// announces ParticipantErased, the referrals about that participant are
// wiped here too (ReferralRecords::EraseParticipant).
//
// Read through the consumer group "partners-erasure" on the participants
// service's streams: at least once, and idempotent (an erased referral is
// left alone). A store outage leaves the event pending for redelivery.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_PARTICIPANT_ERASURE_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_PARTICIPANT_ERASURE_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/events/event_reader.h"
#include "common/storage/store.h"
#include "services/partners/referral_records.h"

ABSL_DECLARE_FLAG(absl::Duration, erasure_events_interval);

namespace employability::partners {

class ParticipantErasure {
 public:
  // `consumer` names this process within the group (host and pid).
  ParticipantErasure(storage::Store& store, ReferralRecords& referrals,
                     std::string consumer);

  // One pass over the participants service's streams; how many events were
  // handled.
  absl::StatusOr<int> Poll();
  // One event: OK when handled, or when it is not an erasure.
  absl::Status Handle(const events::v1::EventEnvelope& envelope);

 private:
  events::EventReader reader_;
  ReferralRecords& referrals_;
};

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_PARTICIPANT_ERASURE_H_
