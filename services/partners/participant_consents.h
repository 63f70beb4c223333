// The participants service's answer on consent, over gRPC: the client side
// of the ParticipantConsents port (referral_records.h). Every call has a
// deadline; a slow or absent participants service is UNAVAILABLE, never a
// hang.
#ifndef EMPLOYABILITY_SERVICES_PARTNERS_PARTICIPANT_CONSENTS_H_
#define EMPLOYABILITY_SERVICES_PARTNERS_PARTICIPANT_CONSENTS_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/flags/declare.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/outgoing.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "services/partners/referral_records.h"

// Where the participants service is; empty: this process (the suite).
ABSL_DECLARE_FLAG(std::string, participants_address);

namespace employability::partners {

class ParticipantConsentsClient final : public ParticipantConsents {
 public:
  // `address` gives "host:port" of the participants service when first
  // needed (in the suite, the process's own address, known only once its
  // server has started).
  ParticipantConsentsClient(std::function<std::string()> address,
                            const server::OutgoingIdentity& identity,
                            absl::Duration deadline = absl::Seconds(2));

  absl::StatusOr<std::optional<std::string>> ConsentNaming(
      const auth::Caller& caller, bool on_behalf_of_caller,
      const std::string& participant, const std::string& organisation) override;

 private:
  absl::StatusOr<participants::v1::Participants::Stub*> Stub();

  const std::function<std::string()> address_;
  const server::OutgoingIdentity& identity_;
  const absl::Duration deadline_;
  absl::Mutex mu_;
  std::unique_ptr<participants::v1::Participants::Stub> stub_
      ABSL_GUARDED_BY(mu_);
};

// The address of the participants service: --participants_address, or
// `fallback` (this process's own) when the flag is empty.
std::function<std::string()> ParticipantsAddress(
    std::function<std::string()> fallback);

}  // namespace employability::partners

#endif  // EMPLOYABILITY_SERVICES_PARTNERS_PARTICIPANT_CONSENTS_H_
