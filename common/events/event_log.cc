#include "common/events/event_log.h"

#include "google/protobuf/util/time_util.h"

namespace employability::events {

using employability::events::v1::EventEnvelope;

EventEnvelope EventLog::Envelope(const EventContext& context,
                                 const google::protobuf::Message& payload) {
  EventEnvelope envelope;
  envelope.set_event_id(ids_.NewId());
  envelope.set_type(payload.GetDescriptor()->full_name());
  *envelope.mutable_occurred_at() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(clock_.Now()));
  envelope.set_tenancy(context.tenancy);
  envelope.set_aggregate(context.aggregate);
  envelope.set_acting_organisation(context.acting_organisation);
  envelope.set_acting_user(context.acting_user);
  envelope.set_aggregate_version(context.aggregate_version);
  envelope.mutable_payload()->PackFrom(payload);
  return envelope;
}

void EventLog::Append(storage::Batch& batch, const EventContext& context,
                      const google::protobuf::Message& payload) {
  storage::KeySpace keys(service_, context.tenancy);
  batch.StreamAppend(keys.Events(),
                     Envelope(context, payload).SerializeAsString());
}

absl::Status EventLog::RegisterStream(storage::Store& store,
                                      const std::string& tenancy) {
  {
    absl::MutexLock lock(&mu_);
    if (registered_.contains(tenancy)) return absl::OkStatus();
  }
  storage::Batch batch;
  batch.IndexAdd(storage::StreamRegistry(service_),
                 storage::KeySpace(service_, tenancy).Events());
  absl::Status status = store.Commit(batch).status();
  if (!status.ok()) return status;
  absl::MutexLock lock(&mu_);
  registered_.insert(tenancy);
  return absl::OkStatus();
}

absl::StatusOr<EventEnvelope> ParseEnvelope(const std::string& payload) {
  EventEnvelope envelope;
  if (!envelope.ParseFromString(payload)) {
    return absl::DataLossError("event payload is not an EventEnvelope");
  }
  return envelope;
}

}  // namespace employability::events
