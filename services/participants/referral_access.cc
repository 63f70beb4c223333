#include "services/participants/referral_access.h"

#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "employability/partners/v1/referrals.pb.h"
#include "services/participants/participant_rules.h"

ABSL_FLAG(absl::Duration, referral_events_interval, absl::Milliseconds(200),
          "how often the participants service reads the partners service's "
          "referral events (access grants follow accepted referrals)");

namespace employability::participants {
namespace {

namespace partners_v1 = ::employability::partners::v1;

constexpr char kGroup[] = "participants-referral-access";

// The referral's id: the last segment of its name, the grant's reference.
std::string ReferralId(const std::string& name) {
  return name.substr(name.rfind('/') + 1);
}

// The partners service on its own behalf (the step it announces was taken
// by the receiving organisation's staff, which cannot reach the participant
// before the grant exists), in that organisation's name.
auth::Caller ActingFor(const events::v1::EventEnvelope& envelope) {
  auth::Caller acting;
  acting.organisation = envelope.acting_organisation();
  acting.service = "partners";
  acting.method = absl::StrCat("event:", envelope.type());
  return acting;
}

// Whether retrying can help: the store was busy or away.
bool Transient(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsAborted(status) ||
         absl::IsDeadlineExceeded(status) || absl::IsResourceExhausted(status);
}

absl::Status Settle(const events::v1::EventEnvelope& envelope,
                    const absl::Status& status) {
  if (status.ok() || Transient(status)) return status;
  EMP_LOG(WARNING) << "referral event " << envelope.event_id() << " ("
                   << envelope.type() << " of " << envelope.aggregate()
                   << ") cannot apply and is dropped: " << status;
  return absl::OkStatus();
}

}  // namespace

ReferralAccess::ReferralAccess(storage::Store& store,
                               AccessGrantRecords& grants, std::string consumer)
    : reader_(store, events::EventReaderOptions{"partners", kGroup,
                                                std::move(consumer)}),
      grants_(grants) {}

absl::StatusOr<int> ReferralAccess::Poll() {
  return reader_.Poll([this](const events::v1::EventEnvelope& envelope) {
    return Handle(envelope);
  });
}

absl::Status ReferralAccess::Handle(const events::v1::EventEnvelope& envelope) {
  if (envelope.payload().Is<partners_v1::ReferralAccepted>()) {
    partners_v1::ReferralAccepted accepted;
    if (!envelope.payload().UnpackTo(&accepted)) {
      return Settle(envelope, absl::DataLossError("unreadable payload"));
    }
    const partners_v1::ReferralFacts& facts = accepted.facts();
    absl::StatusOr<ParticipantName> name =
        ParseParticipantName("participant", facts.participant());
    if (!name.ok()) return Settle(envelope, name.status());
    v1::AccessGrant grant;
    grant.set_organisation(facts.receiver());
    grant.set_purpose(v1::REFERRAL_SHARING);
    for (int category : accepted.data_categories()) {
      grant.add_data_categories(static_cast<v1::DataCategory>(category));
    }
    // From the acceptance itself, not this consumer's clock: whichever
    // process handles the event makes the same grant.
    if (facts.has_respond_time()) {
      *grant.mutable_start_time() = facts.respond_time();
    }
    *grant.mutable_end_time() = accepted.grant_end_time();
    grant.set_source(facts.kind() == partners_v1::ALLOCATION
                         ? v1::ALLOCATION_ACCEPTED
                         : v1::REFERRAL_ACCEPTED);
    grant.set_source_reference(ReferralId(facts.referral()));
    return Settle(envelope,
                  grants_.Grant(ActingFor(envelope), *name, grant).status());
  }
  if (envelope.payload().Is<partners_v1::ReferralClosed>()) {
    partners_v1::ReferralClosed closed;
    if (!envelope.payload().UnpackTo(&closed)) {
      return Settle(envelope, absl::DataLossError("unreadable payload"));
    }
    absl::StatusOr<ParticipantName> name =
        ParseParticipantName("participant", closed.facts().participant());
    if (!name.ok()) return Settle(envelope, name.status());
    return Settle(envelope,
                  grants_
                      .RevokeFor(ActingFor(envelope), *name,
                                 ReferralId(closed.facts().referral()))
                      .status());
  }
  return absl::OkStatus();  // not about access
}

}  // namespace employability::participants
