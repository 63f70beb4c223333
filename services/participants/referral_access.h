// Access that follows referrals. The partners service announces a referral
// or allocation accepted (ReferralAccepted) and closed (ReferralClosed:
// declined, not started, completed or withdrawn) on its event streams; this
// consumer turns them into the receiving organisation's access grant and
// its revocation (access_grant_records.h).
//
// Delivery is at least once, through the consumer group
// "participants-referral-access" (common/events/event_reader.h), and both
// steps are idempotent per referral: a grant is made once per source
// reference, and a revocation finds nothing left the second time. An event
// that can never apply (the participant erased, say) is logged and
// acknowledged; a store outage leaves it pending for redelivery.
#ifndef EMPLOYABILITY_SERVICES_PARTICIPANTS_REFERRAL_ACCESS_H_
#define EMPLOYABILITY_SERVICES_PARTICIPANTS_REFERRAL_ACCESS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/events/event_reader.h"
#include "common/storage/store.h"
#include "services/participants/access_grant_records.h"

ABSL_DECLARE_FLAG(absl::Duration, referral_events_interval);

namespace employability::participants {

class ReferralAccess {
 public:
  // `consumer` names this process within the group (host and pid).
  ReferralAccess(storage::Store& store, AccessGrantRecords& grants,
                 std::string consumer);

  // One pass over the partners service's streams; how many events were
  // handled.
  absl::StatusOr<int> Poll();

  // One event: OK when handled or when it can never apply.
  absl::Status Handle(const events::v1::EventEnvelope& envelope);

 private:
  events::EventReader reader_;
  AccessGrantRecords& grants_;
};

}  // namespace employability::participants

#endif  // EMPLOYABILITY_SERVICES_PARTICIPANTS_REFERRAL_ACCESS_H_
