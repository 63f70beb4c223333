// An in-process Store for unit tests and quick demos. It keeps the exact
// semantics of store.h (the contract test runs it side by side with
// RedisStore), judges expiry and stream idle times against an injected
// Clock so that tests can move time with a FakeClock, and can be told to
// behave as if the store were down.
//
// Behaviour store.h leaves open, matched with RedisStore:
//   - A batch whose keys carry different hash tags, a PutWithExpiry with a
//     ttl that is not positive, or a limit that is not positive:
//     INVALID_ARGUMENT.
//   - A stream id that is not "<ms>-<seq>" or "<ms>": INVALID_ARGUMENT.
//   - Reading or claiming through a consumer group that does not exist:
//     FAILED_PRECONDITION.
//   - Using a key as a kind it is not (Get on a counter, a batch that adds
//     index members to a record...): INTERNAL, and a batch doing that
//     changes nothing. A key written by SetIfAbsent is not a record.
#ifndef EMPLOYABILITY_COMMON_STORAGE_MEMORY_STORE_H_
#define EMPLOYABILITY_COMMON_STORAGE_MEMORY_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/storage/store.h"
#include "common/time/clock.h"

namespace employability::storage {

class MemoryStore final : public Store {
 public:
  // `clock` must outlive the store.
  explicit MemoryStore(const Clock& clock);
  ~MemoryStore() override;

  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Test hook: while set, every method fails with UNAVAILABLE and changes
  // nothing, as RedisStore does when Redis is down.
  void SetUnavailable(bool unavailable);

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
  struct Data;  // the keyspace; defined in memory_store.cc

  // UNAVAILABLE while the test hook says so.
  absl::Status CheckAvailable() const;

  const Clock& clock_;
  std::atomic<bool> unavailable_{false};
  absl::Mutex mu_;
  // Every method takes mu_ exclusively: even reads drop expired keys.
  std::unique_ptr<Data> data_ ABSL_GUARDED_BY(mu_);
};

}  // namespace employability::storage

#endif  // EMPLOYABILITY_COMMON_STORAGE_MEMORY_STORE_H_
