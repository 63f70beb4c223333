// Writing domain events: every state change appends one EventEnvelope to the
// service's stream for the tenancy, in the same atomic batch as the change
// (see protos/employability/events/v1/events.proto for the contract).
#ifndef EMPLOYABILITY_COMMON_EVENTS_EVENT_LOG_H_
#define EMPLOYABILITY_COMMON_EVENTS_EVENT_LOG_H_

#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/events/v1/events.pb.h"
#include "google/protobuf/message.h"

namespace employability::events {

// Who changed what: the envelope fields that are not the payload.
struct EventContext {
  std::string tenancy;    // e.g. "c:<contract>"
  std::string aggregate;  // resource name
  std::string acting_organisation;
  std::string acting_user;
  int64_t aggregate_version = 0;
};

class EventLog {
 public:
  EventLog(std::string service, const Clock& clock, IdSource& ids)
      : service_(std::move(service)), clock_(clock), ids_(ids) {}

  // The envelope for `payload`, with a new event id and the current time.
  employability::events::v1::EventEnvelope Envelope(
      const EventContext& context, const google::protobuf::Message& payload);

  // Adds the event to `batch`, on the tenancy's stream.
  void Append(storage::Batch& batch, const EventContext& context,
              const google::protobuf::Message& payload);

  // Records the tenancy's stream in the service's stream registry so that
  // consumers find it. One write per tenancy per process; cheap afterwards.
  absl::Status RegisterStream(storage::Store& store,
                              const std::string& tenancy);

  const std::string& service() const { return service_; }

 private:
  const std::string service_;
  const Clock& clock_;
  IdSource& ids_;
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> registered_ ABSL_GUARDED_BY(mu_);
};

// Decodes a stream entry's payload into an envelope.
absl::StatusOr<employability::events::v1::EventEnvelope> ParseEnvelope(
    const std::string& payload);

}  // namespace employability::events

#endif  // EMPLOYABILITY_COMMON_EVENTS_EVENT_LOG_H_
