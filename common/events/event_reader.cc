#include "common/events/event_reader.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/events/event_log.h"
#include "common/logging/log.h"
#include "common/status/macros.h"
#include "common/storage/keys.h"

namespace employability::events {

std::string ConsumerName(const std::string& service) {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return absl::StrCat(service, "-", host, "-", getpid());
}

absl::StatusOr<int> EventReader::Poll(const Handler& handler) {
  ASSIGN_OR_RETURN(
      std::vector<std::string> streams,
      store_.IndexRange(storage::StreamRegistry(options_.service), "", 100000));
  int handled = 0;
  for (const std::string& stream : streams) {
    ASSIGN_OR_RETURN(int n, PollStream(stream, handler));
    handled += n;
  }
  return handled;
}

absl::StatusOr<int> EventReader::PollStream(const std::string& stream,
                                            const Handler& handler) {
  if (!groups_created_.contains(stream)) {
    RETURN_IF_ERROR(store_.StreamGroupCreate(stream, options_.group));
    groups_created_.insert(stream);
  }
  absl::StatusOr<int> handled = ReadStream(stream, handler);
  // The group is gone (the stream was deleted, or Redis lost it): make it
  // again on the next pass rather than failing every pass from now on.
  if (handled.status().code() == absl::StatusCode::kFailedPrecondition) {
    groups_created_.erase(stream);
  }
  return handled;
}

absl::StatusOr<int> EventReader::ReadStream(const std::string& stream,
                                            const Handler& handler) {
  ASSIGN_OR_RETURN(
      std::vector<storage::StreamEntry> stale,
      store_.StreamClaimIdle(stream, options_.group, options_.consumer,
                             options_.redeliver_after, options_.batch_size));
  ASSIGN_OR_RETURN(int redelivered, Handle(stream, stale, handler));
  ASSIGN_OR_RETURN(
      std::vector<storage::StreamEntry> fresh,
      store_.StreamReadGroup(stream, options_.group, options_.consumer,
                             options_.batch_size));
  ASSIGN_OR_RETURN(int delivered, Handle(stream, fresh, handler));
  return redelivered + delivered;
}

absl::StatusOr<int> EventReader::Handle(
    const std::string& stream, const std::vector<storage::StreamEntry>& entries,
    const Handler& handler) {
  std::vector<std::string> done;
  for (const storage::StreamEntry& entry : entries) {
    absl::StatusOr<employability::events::v1::EventEnvelope> envelope =
        ParseEnvelope(entry.payload);
    if (!envelope.ok()) {
      // A payload that can never parse would be redelivered forever.
      EMP_LOG(ERROR) << "dropping malformed event " << entry.id << " on "
                     << stream;
      done.push_back(entry.id);
      continue;
    }
    absl::Status status = handler(*envelope);
    if (status.ok()) {
      done.push_back(entry.id);
    } else {
      EMP_LOG(WARNING) << "event " << envelope->event_id()
                       << " left for redelivery: " << status.code();
    }
  }
  if (!done.empty()) {
    RETURN_IF_ERROR(store_.StreamAck(stream, options_.group, done));
  }
  return static_cast<int>(done.size());
}

}  // namespace employability::events
