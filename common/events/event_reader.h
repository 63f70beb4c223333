// Reading domain events through a consumer group: at-least-once delivery.
// An event is acknowledged only after its handler succeeds; an event that a
// consumer took but did not acknowledge (it failed, or its process died) is
// redelivered to a consumer of the group after `redeliver_after`. Handlers
// must therefore be idempotent (de-duplicate on event_id).
#ifndef EMPLOYABILITY_COMMON_EVENTS_EVENT_READER_H_
#define EMPLOYABILITY_COMMON_EVENTS_EVENT_READER_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/storage/store.h"
#include "employability/events/v1/events.pb.h"

namespace employability::events {

struct EventReaderOptions {
  std::string service;   // whose streams to read, e.g. "participants"
  std::string group;     // the consuming service, e.g. "quality"
  std::string consumer;  // this process, e.g. host name + pid
  int batch_size = 100;
  absl::Duration redeliver_after = absl::Seconds(30);
};

// This process as a consumer of a group: "<service>-<host>-<pid>", so that a
// restarted process's unacknowledged events are claimed back by the group.
std::string ConsumerName(const std::string& service);

class EventReader {
 public:
  using Handler = std::function<absl::Status(
      const employability::events::v1::EventEnvelope&)>;

  EventReader(storage::Store& store, EventReaderOptions options)
      : store_(store), options_(std::move(options)) {}

  // One pass over every stream of the service: redelivered events first,
  // then new ones. Returns how many events were handled and acknowledged.
  // A handler error leaves its event pending (to be redelivered) and the
  // pass goes on; a store error ends the pass with that error.
  absl::StatusOr<int> Poll(const Handler& handler);

 private:
  absl::StatusOr<int> PollStream(const std::string& stream,
                                 const Handler& handler);
  absl::StatusOr<int> ReadStream(const std::string& stream,
                                 const Handler& handler);
  absl::StatusOr<int> Handle(const std::string& stream,
                             const std::vector<storage::StreamEntry>& entries,
                             const Handler& handler);

  storage::Store& store_;
  const EventReaderOptions options_;
  absl::flat_hash_set<std::string> groups_created_;  // used by Poll's thread
};

}  // namespace employability::events

#endif  // EMPLOYABILITY_COMMON_EVENTS_EVENT_READER_H_
