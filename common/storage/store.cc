#include "common/storage/store.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "common/storage/keys.h"

namespace employability::storage {

namespace {

Batch::Step MakeStep(Batch::Op op, std::string key, std::string member = "",
                     std::string value = "", int64_t number = 0,
                     absl::Duration ttl = absl::ZeroDuration()) {
  Batch::Step step;
  step.op = op;
  step.key = std::move(key);
  step.member = std::move(member);
  step.value = std::move(value);
  step.number = number;
  step.ttl = ttl;
  return step;
}

}  // namespace

Batch& Batch::ExpectAbsent(std::string key) {
  steps_.push_back(MakeStep(Op::kExpectAbsent, std::move(key)));
  return *this;
}
Batch& Batch::ExpectVersion(std::string key, int64_t version) {
  steps_.push_back(
      MakeStep(Op::kExpectVersion, std::move(key), "", "", version));
  return *this;
}
Batch& Batch::Put(std::string key, std::string value) {
  steps_.push_back(MakeStep(Op::kPut, std::move(key), "", std::move(value)));
  return *this;
}
Batch& Batch::PutWithExpiry(std::string key, std::string value,
                            absl::Duration ttl) {
  steps_.push_back(MakeStep(Op::kPutWithExpiry, std::move(key), "",
                            std::move(value), 0, ttl));
  return *this;
}
Batch& Batch::Delete(std::string key) {
  steps_.push_back(MakeStep(Op::kDelete, std::move(key)));
  return *this;
}
Batch& Batch::Increment(std::string key, int64_t delta) {
  steps_.push_back(MakeStep(Op::kIncrement, std::move(key), "", "", delta));
  return *this;
}
Batch& Batch::IndexAdd(std::string index, std::string member, int64_t score) {
  steps_.push_back(
      MakeStep(Op::kIndexAdd, std::move(index), std::move(member), "", score));
  return *this;
}
Batch& Batch::IndexRemove(std::string index, std::string member) {
  steps_.push_back(
      MakeStep(Op::kIndexRemove, std::move(index), std::move(member)));
  return *this;
}
Batch& Batch::StreamAppend(std::string stream, std::string payload) {
  steps_.push_back(
      MakeStep(Op::kStreamAppend, std::move(stream), "", std::move(payload)));
  return *this;
}

std::string KeyHasher::Part(absl::string_view value) const {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(value.data()), value.size(),
       digest, &size);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), size));
}

absl::string_view HashTag(absl::string_view key) {
  size_t open = key.find('{');
  if (open == absl::string_view::npos) return key;
  size_t close = key.find('}', open + 1);
  if (close == absl::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

absl::Status ValidateLimit(int limit) {
  if (limit <= 0) return absl::InvalidArgumentError("limit must be positive");
  return absl::OkStatus();
}

absl::Status ValidateTtl(absl::Duration ttl) {
  if (ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("ttl must be positive");
  }
  return absl::OkStatus();
}

absl::Status ValidateBatch(const Batch& batch) {
  if (batch.empty()) return absl::OkStatus();
  absl::string_view tag = HashTag(batch.steps().front().key);
  for (const Batch::Step& step : batch.steps()) {
    if (HashTag(step.key) != tag) {
      return absl::InvalidArgumentError(
          "batch keys must share one hash tag (one hash slot)");
    }
    if (step.op == Batch::Op::kPutWithExpiry) {
      absl::Status ttl = ValidateTtl(step.ttl);
      if (!ttl.ok()) return ttl;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Store::Put(const std::string& key, std::string value) {
  Batch batch;
  batch.Put(key, std::move(value));
  absl::StatusOr<BatchResult> result = Commit(batch);
  if (!result.ok()) return result.status();
  return result->versions.at(0);
}

absl::Status Store::Delete(const std::string& key) {
  Batch batch;
  batch.Delete(key);
  return Commit(batch).status();
}

}  // namespace employability::storage
