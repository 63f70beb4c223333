// A Store that passes every call to another: tests derive from it and
// override the one or two calls they need to go wrong (a store down for some
// keys, another write racing a commit) while the rest still answers.
#ifndef EMPLOYABILITY_COMMON_STORAGE_FORWARDING_STORE_H_
#define EMPLOYABILITY_COMMON_STORAGE_FORWARDING_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "common/storage/store.h"

namespace employability::storage {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& store) : store_(store) {}

  absl::StatusOr<std::optional<Record>> Get(const std::string& key) override {
    return store_.Get(key);
  }
  absl::StatusOr<std::vector<std::optional<Record>>> GetMany(
      const std::vector<std::string>& keys) override {
    return store_.GetMany(keys);
  }
  absl::StatusOr<BatchResult> Commit(const Batch& batch) override {
    return store_.Commit(batch);
  }
  absl::StatusOr<int64_t> Increment(const std::string& key,
                                    int64_t delta) override {
    return store_.Increment(key, delta);
  }
  absl::StatusOr<bool> SetIfAbsent(const std::string& key,
                                   const std::string& value,
                                   absl::Duration ttl) override {
    return store_.SetIfAbsent(key, value, ttl);
  }
  absl::StatusOr<std::vector<std::string>> IndexRange(const std::string& index,
                                                      const std::string& after,
                                                      int limit) override {
    return store_.IndexRange(index, after, limit);
  }
  absl::StatusOr<std::vector<std::string>> IndexRangeByScore(
      const std::string& index, int64_t min_score, int64_t max_score,
      int limit) override {
    return store_.IndexRangeByScore(index, min_score, max_score, limit);
  }
  absl::StatusOr<int64_t> IndexSize(const std::string& index) override {
    return store_.IndexSize(index);
  }
  absl::StatusOr<std::vector<StreamEntry>> StreamRead(
      const std::string& stream, const std::string& after_id,
      int limit) override {
    return store_.StreamRead(stream, after_id, limit);
  }
  absl::Status StreamGroupCreate(const std::string& stream,
                                 const std::string& group) override {
    return store_.StreamGroupCreate(stream, group);
  }
  absl::StatusOr<std::vector<StreamEntry>> StreamReadGroup(
      const std::string& stream, const std::string& group,
      const std::string& consumer, int limit) override {
    return store_.StreamReadGroup(stream, group, consumer, limit);
  }
  absl::Status StreamAck(const std::string& stream, const std::string& group,
                         const std::vector<std::string>& ids) override {
    return store_.StreamAck(stream, group, ids);
  }
  absl::StatusOr<std::vector<StreamEntry>> StreamClaimIdle(
      const std::string& stream, const std::string& group,
      const std::string& consumer, absl::Duration min_idle,
      int limit) override {
    return store_.StreamClaimIdle(stream, group, consumer, min_idle, limit);
  }
  absl::Status Ping() override { return store_.Ping(); }

 private:
  Store& store_;
};

}  // namespace employability::storage

#endif  // EMPLOYABILITY_COMMON_STORAGE_FORWARDING_STORE_H_
