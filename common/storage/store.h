// The one narrow storage interface every service writes through.
//
// Two implementations share these semantics exactly (one contract test suite,
// common/storage/store_contract_test.cc, runs against both):
//   RedisStore  (redis_store.h)  production; the only code that sees hiredis
//   MemoryStore (memory_store.h) unit tests and quick demos
//
// Kinds of key (see keys.h for how keys are named and hash-tagged):
//   record   a versioned value; version 1 on first write, +1 on every write
//   counter  a signed 64-bit integer changed by Increment
//   index    a set of members, either ordered by member (score 0, lexical
//            ranges for pagination) or by a numeric score (due-date sweeps)
//   stream   an append-only log of payloads with ids ordered by time,
//            readable through consumer groups (at-least-once delivery)
//
// Every method may fail with UNAVAILABLE (store unreachable or timed out)
// and never blocks longer than the store's command timeout.
#ifndef EMPLOYABILITY_COMMON_STORAGE_STORE_H_
#define EMPLOYABILITY_COMMON_STORAGE_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace employability::storage {

struct Record {
  std::string value;
  int64_t version = 0;  // >= 1 for a stored record
};

struct StreamEntry {
  std::string id;  // "<ms>-<seq>", ordered
  std::string payload;
};

// A set of conditions and mutations that commit together, in one hash slot:
// either every condition holds and every mutation applies, or nothing
// changes. All keys of a batch must carry the same hash tag (keys.h).
class Batch {
 public:
  enum class Op {
    kExpectAbsent,   // condition: key does not exist
    kExpectVersion,  // condition: record exists with exactly `version`
    kPut,            // record: write value, version + 1
    kPutWithExpiry,  // record: write value, version + 1, expire after `ttl`
    kDelete,         // any kind of key: remove
    kIncrement,      // counter: add `number`
    kIndexAdd,       // index: add `member` with score `number`
    kIndexRemove,    // index: remove `member`
    kStreamAppend,   // stream: append `value`
  };
  struct Step {
    Op op;
    std::string key;
    std::string member;  // index member
    std::string value;   // record value or stream payload
    int64_t number = 0;  // version, increment delta or index score
    absl::Duration ttl = absl::ZeroDuration();
  };

  Batch& ExpectAbsent(std::string key);
  Batch& ExpectVersion(std::string key, int64_t version);
  Batch& Put(std::string key, std::string value);
  Batch& PutWithExpiry(std::string key, std::string value, absl::Duration ttl);
  Batch& Delete(std::string key);
  Batch& Increment(std::string key, int64_t delta);
  Batch& IndexAdd(std::string index, std::string member, int64_t score = 0);
  Batch& IndexRemove(std::string index, std::string member);
  Batch& StreamAppend(std::string stream, std::string payload);

  const std::vector<Step>& steps() const { return steps_; }
  bool empty() const { return steps_.empty(); }

 private:
  std::vector<Step> steps_;
};

struct BatchResult {
  bool committed = false;
  // When not committed: the index (into Batch::steps()) of the first
  // condition that failed, and the record found at its key, if any, so that
  // callers can answer "already exists: <id>" without another round trip.
  int failed_step = -1;
  std::optional<Record> found;
  // When committed: for each kPut/kPutWithExpiry step in order, the new
  // version; for each kStreamAppend step in order, the entry id.
  std::vector<int64_t> versions;
  std::vector<std::string> stream_ids;
};

class Store {
 public:
  virtual ~Store() = default;

  // Reads a record; nullopt when absent.
  virtual absl::StatusOr<std::optional<Record>> Get(const std::string& key) = 0;
  // Reads many records in one round trip, in the order of `keys`.
  virtual absl::StatusOr<std::vector<std::optional<Record>>> GetMany(
      const std::vector<std::string>& keys) = 0;
  // Commits a batch atomically (see Batch).
  virtual absl::StatusOr<BatchResult> Commit(const Batch& batch) = 0;

  // Counter value (0 when absent) after adding delta.
  virtual absl::StatusOr<int64_t> Increment(const std::string& key,
                                            int64_t delta) = 0;
  // Stores value with an expiry unless the key exists; true when stored.
  virtual absl::StatusOr<bool> SetIfAbsent(const std::string& key,
                                           const std::string& value,
                                           absl::Duration ttl) = 0;

  // Members of a lexically ordered index strictly after `after` ("" for the
  // start), at most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> IndexRange(
      const std::string& index, const std::string& after, int limit) = 0;
  // Members whose score lies in [min_score, max_score], lowest first.
  virtual absl::StatusOr<std::vector<std::string>> IndexRangeByScore(
      const std::string& index, int64_t min_score, int64_t max_score,
      int limit) = 0;
  virtual absl::StatusOr<int64_t> IndexSize(const std::string& index) = 0;

  // Entries strictly after `after_id` ("" or "0-0" for the start).
  virtual absl::StatusOr<std::vector<StreamEntry>> StreamRead(
      const std::string& stream, const std::string& after_id, int limit) = 0;
  // Creates a consumer group reading from the start of the stream; creates
  // the stream if needed. OK when the group already exists.
  virtual absl::Status StreamGroupCreate(const std::string& stream,
                                         const std::string& group) = 0;
  // New entries for this consumer (never delivered to the group before),
  // without blocking. They stay pending until acknowledged.
  virtual absl::StatusOr<std::vector<StreamEntry>> StreamReadGroup(
      const std::string& stream, const std::string& group,
      const std::string& consumer, int limit) = 0;
  virtual absl::Status StreamAck(const std::string& stream,
                                 const std::string& group,
                                 const std::vector<std::string>& ids) = 0;
  // Takes over entries delivered to any consumer of the group but not
  // acknowledged for at least `min_idle`, and returns them (redelivery).
  virtual absl::StatusOr<std::vector<StreamEntry>> StreamClaimIdle(
      const std::string& stream, const std::string& group,
      const std::string& consumer, absl::Duration min_idle, int limit) = 0;

  // OK when the store answers; used by readiness checks.
  virtual absl::Status Ping() = 0;

  // Conveniences over Commit.
  absl::StatusOr<int64_t> Put(const std::string& key, std::string value);
  absl::Status Delete(const std::string& key);
};

// Argument rules that both stores apply, so that they refuse the same things
// (INVALID_ARGUMENT): a batch's keys share one hash tag and its ttls are
// positive; limits are positive.
absl::Status ValidateBatch(const Batch& batch);
absl::Status ValidateLimit(int limit);
absl::Status ValidateTtl(absl::Duration ttl);

// The part of a key Redis Cluster hashes: the text inside the first {...}
// when not empty, else the whole key.
absl::string_view HashTag(absl::string_view key);

}  // namespace employability::storage

#endif  // EMPLOYABILITY_COMMON_STORAGE_STORE_H_
