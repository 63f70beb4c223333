#include "services/partners/participant_erasure.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "employability/participants/v1/participant_events.pb.h"

ABSL_FLAG(absl::Duration, erasure_events_interval, absl::Seconds(1),
          "how often the partners service reads the participants service's "
          "erasures (referrals about an erased participant are wiped)");

namespace employability::partners {

ParticipantErasure::ParticipantErasure(storage::Store& store,
                                       ReferralRecords& referrals,
                                       std::string consumer)
    : reader_(store,
              events::EventReaderOptions{"participants", "partners-erasure",
                                         std::move(consumer)}),
      referrals_(referrals) {}

absl::StatusOr<int> ParticipantErasure::Poll() {
  return reader_.Poll([this](const events::v1::EventEnvelope& envelope) {
    return Handle(envelope);
  });
}

absl::Status ParticipantErasure::Handle(
    const events::v1::EventEnvelope& envelope) {
  participants::v1::ParticipantErased erased;
  if (!envelope.payload().Is<participants::v1::ParticipantErased>()) {
    return absl::OkStatus();
  }
  if (!envelope.payload().UnpackTo(&erased)) {
    EMP_LOG(WARNING) << "erasure event " << envelope.event_id()
                     << " is unreadable and is dropped";
    return absl::OkStatus();
  }
  absl::StatusOr<int> wiped = referrals_.EraseParticipant(erased.participant());
  if (absl::IsInvalidArgument(wiped.status())) {
    EMP_LOG(WARNING) << "erasure event " << envelope.event_id()
                     << " names no participant and is dropped";
    return absl::OkStatus();
  }
  return wiped.status();
}

}  // namespace employability::partners
