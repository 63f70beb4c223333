// The production Store: Redis 7 through hiredis, which only redis_store.cc
// sees.
//
// Throughput comes from pipelining: a small, fixed pool of connections, each
// owned by one I/O thread. A caller formats its commands, queues them on a
// connection (round robin) and waits; the I/O thread writes everything that
// is queued in one go and then reads the replies in order, so concurrent
// callers share a round trip.
//
// Layout in Redis: a record is a hash {v: version, d: data}; a counter and a
// SetIfAbsent key are strings; an index is a sorted set; a stream is a
// stream whose entries hold one field, "event" (the payload, as events.proto
// promises consumers). Commit runs one Lua script, so a batch is atomic and
// takes one round trip.
//
// Behaviour store.h leaves open (MemoryStore does the same):
//   - A batch whose keys carry different hash tags, a PutWithExpiry with a
//     ttl that is not positive, or a limit that is not positive:
//     INVALID_ARGUMENT.
//   - A stream id that is not "<ms>-<seq>" or "<ms>": INVALID_ARGUMENT.
//   - Reading or claiming through a consumer group that does not exist:
//     FAILED_PRECONDITION.
//   - Using a key as a kind it is not (Get on a counter...): INTERNAL, and a
//     batch doing that changes nothing. A key written by SetIfAbsent is a
//     plain string, not a record: Get on it fails.
//   - Index scores are Redis doubles: exact up to 2^53.
//   - A call that fails with UNAVAILABLE may still have been applied (the
//     reply was lost), as with any remote store.
#ifndef EMPLOYABILITY_COMMON_STORAGE_REDIS_STORE_H_
#define EMPLOYABILITY_COMMON_STORAGE_REDIS_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/storage/store.h"

namespace employability::storage {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  // AUTH when non-empty
  int pool_size = 4;     // connections; bounded, never one per caller thread
  absl::Duration connect_timeout = absl::Milliseconds(250);
  absl::Duration command_timeout = absl::Milliseconds(1000);
  // After a failed connect, fail fast for this long before trying again.
  absl::Duration reconnect_backoff = absl::Milliseconds(100);
};

class RedisStore final : public Store {
 public:
  // Never fails because Redis is down: connects lazily and reconnects by
  // itself. Ignores SIGPIPE for the whole process (hiredis writes to
  // sockets without MSG_NOSIGNAL).
  static std::unique_ptr<RedisStore> Create(RedisOptions options);
  // Stops the I/O threads and fails whatever is still queued. No call may
  // be in progress.
  ~RedisStore() override;

  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  absl::StatusOr<std::optional<Record>> Get(const std::string& key) override;
  absl::StatusOr<std::vector<std::optional<Record>>> GetMany(
      const std::vector<std::string>& keys) override;
  absl::StatusOr<BatchResult> Commit(const Batch& batch) override;

  absl::StatusOr<int64_t> Increment(const std::string& key,
                                    int64_t delta) override;
  absl::StatusOr<bool> SetIfAbsent(const std::string& key,
                                   const std::string& value,
                                   absl::Duration ttl) override;

  absl::StatusOr<std::vector<std::string>> IndexRange(const std::string& index,
                                                      const std::string& after,
                                                      int limit) override;
  absl::StatusOr<std::vector<std::string>> IndexRangeByScore(
      const std::string& index, int64_t min_score, int64_t max_score,
      int limit) override;
  absl::StatusOr<int64_t> IndexSize(const std::string& index) override;

  absl::StatusOr<std::vector<StreamEntry>> StreamRead(
      const std::string& stream, const std::string& after_id,
      int limit) override;
  absl::Status StreamGroupCreate(const std::string& stream,
                                 const std::string& group) override;
  absl::StatusOr<std::vector<StreamEntry>> StreamReadGroup(
      const std::string& stream, const std::string& group,
      const std::string& consumer, int limit) override;
  absl::Status StreamAck(const std::string& stream, const std::string& group,
                         const std::vector<std::string>& ids) override;
  absl::StatusOr<std::vector<StreamEntry>> StreamClaimIdle(
      const std::string& stream, const std::string& group,
      const std::string& consumer, absl::Duration min_idle, int limit) override;

  absl::Status Ping() override;

 private:
  class Impl;  // the connection pool; keeps hiredis out of this header

  explicit RedisStore(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

// Parses "host:port" (as given to a flag or setting); INVALID_ARGUMENT
// naming `setting` otherwise. The other options keep their defaults.
absl::StatusOr<RedisOptions> ParseRedisAddress(absl::string_view setting,
                                               absl::string_view address);

}  // namespace employability::storage

#endif  // EMPLOYABILITY_COMMON_STORAGE_REDIS_STORE_H_
