#include "common/storage/memory_store.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status/macros.h"

namespace employability::storage {
namespace {

using Op = Batch::Op;

// Returned when a key is used as a kind it is not; RedisStore answers
// WRONGTYPE with the same code. Keys are left out: they may carry hashes of
// personal data.
absl::Status WrongKind() {
  return absl::InternalError("storage error: key holds another kind of value");
}

// Redis expires at millisecond granularity; round up so that a tiny ttl
// still keeps the key for a moment.
absl::Duration RoundTtl(absl::Duration ttl) {
  return absl::Ceil(ttl, absl::Milliseconds(1));
}

// A stream entry id, "<ms>-<seq>", ordered numerically as Redis orders them.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  bool operator<(const StreamId& other) const {
    return ms != other.ms ? ms < other.ms : seq < other.seq;
  }
  std::string ToString() const { return absl::StrCat(ms, "-", seq); }
};

bool ParseDigits(absl::string_view text, uint64_t* out) {
  if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) {
        return absl::ascii_isdigit(c);
      })) {
    return false;
  }
  return absl::SimpleAtoi(text, out);
}

// "" means the start of the stream, as does "0-0"; "<ms>" means "<ms>-0".
absl::StatusOr<StreamId> ParseStreamId(absl::string_view text) {
  StreamId id;
  if (text.empty()) return id;
  size_t dash = text.find('-');
  bool ok = dash == absl::string_view::npos
                ? ParseDigits(text, &id.ms)
                : ParseDigits(text.substr(0, dash), &id.ms) &&
                      ParseDigits(text.substr(dash + 1), &id.seq);
  if (!ok) return absl::InvalidArgumentError("malformed stream entry id");
  return id;
}

struct RecordValue {
  std::string data;
  int64_t version = 0;
};

struct CounterValue {
  int64_t value = 0;
};

// What SetIfAbsent stores: not a record, as in Redis (a plain string).
struct StringValue {
  std::string data;
};

struct IndexValue {
  std::map<std::string, int64_t> scores;               // lexical order
  std::set<std::pair<int64_t, std::string>> by_score;  // score, then member

  void Add(const std::string& member, int64_t score) {
    auto [it, inserted] = scores.try_emplace(member, score);
    if (!inserted) {
      by_score.erase({it->second, member});
      it->second = score;
    }
    by_score.insert({score, member});
  }
  void Remove(const std::string& member) {
    auto it = scores.find(member);
    if (it == scores.end()) return;
    by_score.erase({it->second, member});
    scores.erase(it);
  }
};

struct Pending {
  std::string consumer;
  absl::Time delivered_at;
};

struct Group {
  StreamId last_delivered;              // entries after this are new
  std::map<StreamId, Pending> pending;  // delivered, not acknowledged
};

struct StreamValue {
  std::map<StreamId, std::string> entries;
  StreamId last_id;
  std::map<std::string, Group> groups;

  // Ids follow the clock like Redis's "*", and stay strictly increasing
  // when the clock stands still or goes back.
  StreamId Append(std::string payload, absl::Time now) {
    uint64_t ms =
        static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(now)));
    StreamId id = ms > last_id.ms ? StreamId{ms, 0}
                                  : StreamId{last_id.ms, last_id.seq + 1};
    entries.emplace(id, std::move(payload));
    last_id = id;
    return id;
  }
};

// The alternatives' order matches Kind.
using Content = std::variant<RecordValue, CounterValue, StringValue, IndexValue,
                             StreamValue>;
enum class Kind { kRecord, kCounter, kString, kIndex, kStream, kNone };

struct Value {
  Content content;
  std::optional<absl::Time> expires_at;
};

Kind KindOf(const Value* value) {
  return value == nullptr ? Kind::kNone
                          : static_cast<Kind>(value->content.index());
}

// The kind of key a mutation needs (kNone: it works on any kind).
Kind KindNeeded(Op op) {
  switch (op) {
    case Op::kPut:
    case Op::kPutWithExpiry:
      return Kind::kRecord;
    case Op::kIncrement:
      return Kind::kCounter;
    case Op::kIndexAdd:
    case Op::kIndexRemove:
      return Kind::kIndex;
    case Op::kStreamAppend:
      return Kind::kStream;
    default:
      return Kind::kNone;
  }
}

bool IsCondition(Op op) {
  return op == Op::kExpectAbsent || op == Op::kExpectVersion;
}

std::vector<StreamEntry> ToEntries(
    const std::vector<std::pair<StreamId, std::string>>& entries) {
  std::vector<StreamEntry> out;
  out.reserve(entries.size());
  for (const auto& [id, payload] : entries)
    out.push_back({id.ToString(), payload});
  return out;
}

// Reading through a group that does not exist is an error, as XREADGROUP's
// NOGROUP: the reader forgot StreamGroupCreate, or the stream was deleted.
absl::StatusOr<Group*> FindGroup(StreamValue* log, const std::string& group) {
  if (log != nullptr) {
    auto it = log->groups.find(group);
    if (it != log->groups.end()) return &it->second;
  }
  return absl::FailedPreconditionError("no such stream consumer group");
}

}  // namespace

// The keyspace: one map, like Redis, so that a key has exactly one kind.
struct MemoryStore::Data {
  std::map<std::string, Value> values;

  // The live value at `key`; an expired one is dropped first.
  Value* Find(const std::string& key, absl::Time now) {
    auto it = values.find(key);
    if (it == values.end()) return nullptr;
    if (it->second.expires_at.has_value() && now >= *it->second.expires_at) {
      values.erase(it);
      return nullptr;
    }
    return &it->second;
  }

  // nullptr when absent; INTERNAL when the key holds another kind.
  template <typename T>
  absl::StatusOr<T*> FindAs(const std::string& key, absl::Time now) {
    Value* value = Find(key, now);
    if (value == nullptr) return nullptr;
    T* typed = std::get_if<T>(&value->content);
    if (typed == nullptr) return WrongKind();
    return typed;
  }

  // The value at `key`, created empty when absent. The caller has checked
  // that the key holds no other kind.
  template <typename T>
  T& Materialize(const std::string& key, absl::Time now) {
    Value* value = Find(key, now);
    if (value == nullptr) {
      value = &values[key];
      value->content.emplace<T>();
    }
    return std::get<T>(value->content);
  }

  // The first condition that does not hold, reported into `result`.
  bool FindFailedCondition(const Batch& batch, absl::Time now,
                           BatchResult& result) {
    const std::vector<Batch::Step>& steps = batch.steps();
    for (size_t i = 0; i < steps.size(); ++i) {
      const Batch::Step& step = steps[i];
      if (!IsCondition(step.op)) continue;
      Value* value = Find(step.key, now);
      const RecordValue* record =
          value == nullptr ? nullptr
                           : std::get_if<RecordValue>(&value->content);
      bool holds = step.op == Op::kExpectAbsent
                       ? value == nullptr
                       : record != nullptr && record->version == step.number;
      if (holds) continue;
      result.failed_step = static_cast<int>(i);
      if (record != nullptr)
        result.found = Record{record->data, record->version};
      return true;
    }
    return false;
  }

  // Refuses a batch that would use a key as the wrong kind before anything
  // changes, following each key's kind through the batch's own steps.
  absl::Status CheckKinds(const Batch& batch, absl::Time now) {
    std::map<std::string, Kind> kinds;
    for (const Batch::Step& step : batch.steps()) {
      if (step.op == Op::kDelete) {
        kinds[step.key] = Kind::kNone;
        continue;
      }
      Kind needed = KindNeeded(step.op);
      if (needed == Kind::kNone) continue;
      auto [it, inserted] = kinds.try_emplace(step.key, Kind::kNone);
      if (inserted) it->second = KindOf(Find(step.key, now));
      if (it->second != Kind::kNone && it->second != needed) return WrongKind();
      if (step.op != Op::kIndexRemove) it->second = needed;
    }
    return absl::OkStatus();
  }

  void Apply(const Batch::Step& step, absl::Time now, BatchResult& result) {
    switch (step.op) {
      case Op::kPut:
      case Op::kPutWithExpiry: {
        RecordValue& record = Materialize<RecordValue>(step.key, now);
        record.data = step.value;
        result.versions.push_back(++record.version);
        Value& value = values[step.key];
        value.expires_at.reset();  // a plain Put drops an earlier expiry
        if (step.op == Op::kPutWithExpiry) {
          value.expires_at = now + RoundTtl(step.ttl);
        }
        break;
      }
      case Op::kDelete:
        values.erase(step.key);
        break;
      case Op::kIncrement: {
        // Wraps rather than overflowing (undefined behaviour); a counter
        // never gets near 2^63.
        int64_t& counter = Materialize<CounterValue>(step.key, now).value;
        counter = static_cast<int64_t>(static_cast<uint64_t>(counter) +
                                       static_cast<uint64_t>(step.number));
        break;
      }
      case Op::kIndexAdd:
        Materialize<IndexValue>(step.key, now).Add(step.member, step.number);
        break;
      case Op::kIndexRemove:
        RemoveIndexMember(step.key, step.member, now);
        break;
      case Op::kStreamAppend:
        result.stream_ids.push_back(Materialize<StreamValue>(step.key, now)
                                        .Append(step.value, now)
                                        .ToString());
        break;
      case Op::kExpectAbsent:
      case Op::kExpectVersion:
        break;
    }
  }

  // Like Redis, an index left empty no longer exists.
  void RemoveIndexMember(const std::string& key, const std::string& member,
                         absl::Time now) {
    Value* value = Find(key, now);
    if (value == nullptr) return;
    IndexValue& index = std::get<IndexValue>(value->content);
    index.Remove(member);
    if (index.scores.empty()) values.erase(key);
  }
};

MemoryStore::MemoryStore(const Clock& clock)
    : clock_(clock), data_(std::make_unique<Data>()) {}

MemoryStore::~MemoryStore() = default;

void MemoryStore::SetUnavailable(bool unavailable) {
  unavailable_.store(unavailable);
}

absl::Status MemoryStore::CheckAvailable() const {
  if (unavailable_.load()) return absl::UnavailableError("storage unavailable");
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Record>> MemoryStore::Get(const std::string& key) {
  RETURN_IF_ERROR(CheckAvailable());
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(RecordValue * record,
                   data_->FindAs<RecordValue>(key, clock_.Now()));
  if (record == nullptr) return std::nullopt;
  return Record{record->data, record->version};
}

absl::StatusOr<std::vector<std::optional<Record>>> MemoryStore::GetMany(
    const std::vector<std::string>& keys) {
  std::vector<std::optional<Record>> records;
  records.reserve(keys.size());
  for (const std::string& key : keys) {
    ASSIGN_OR_RETURN(std::optional<Record> record, Get(key));
    records.push_back(std::move(record));
  }
  return records;
}

absl::StatusOr<BatchResult> MemoryStore::Commit(const Batch& batch) {
  RETURN_IF_ERROR(CheckAvailable());
  RETURN_IF_ERROR(ValidateBatch(batch));
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  BatchResult result;
  if (data_->FindFailedCondition(batch, now, result)) return result;
  RETURN_IF_ERROR(data_->CheckKinds(batch, now));
  for (const Batch::Step& step : batch.steps()) data_->Apply(step, now, result);
  result.committed = true;
  return result;
}

absl::StatusOr<int64_t> MemoryStore::Increment(const std::string& key,
                                               int64_t delta) {
  RETURN_IF_ERROR(CheckAvailable());
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(CounterValue * counter,
                   data_->FindAs<CounterValue>(key, now));
  int64_t current = counter == nullptr ? 0 : counter->value;
  int64_t next = 0;
  // Redis refuses an overflowing INCRBY with an error reply.
  if (__builtin_add_overflow(current, delta, &next)) {
    return absl::InternalError("storage error: counter overflow");
  }
  data_->Materialize<CounterValue>(key, now).value = next;
  return next;
}

absl::StatusOr<bool> MemoryStore::SetIfAbsent(const std::string& key,
                                              const std::string& value,
                                              absl::Duration ttl) {
  RETURN_IF_ERROR(CheckAvailable());
  RETURN_IF_ERROR(ValidateTtl(ttl));
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  if (data_->Find(key, now) != nullptr) return false;
  Value& stored = data_->values[key];
  stored.content = StringValue{value};
  stored.expires_at = now + RoundTtl(ttl);
  return true;
}

absl::StatusOr<std::vector<std::string>> MemoryStore::IndexRange(
    const std::string& index, const std::string& after, int limit) {
  RETURN_IF_ERROR(CheckAvailable());
  RETURN_IF_ERROR(ValidateLimit(limit));
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(IndexValue * members,
                   data_->FindAs<IndexValue>(index, clock_.Now()));
  std::vector<std::string> out;
  if (members == nullptr) return out;
  auto it = after.empty() ? members->scores.begin()
                          : members->scores.upper_bound(after);
  for (; it != members->scores.end() && static_cast<int>(out.size()) < limit;
       ++it) {
    out.push_back(it->first);
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> MemoryStore::IndexRangeByScore(
    const std::string& index, int64_t min_score, int64_t max_score, int limit) {
  RETURN_IF_ERROR(CheckAvailable());
  RETURN_IF_ERROR(ValidateLimit(limit));
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(IndexValue * members,
                   data_->FindAs<IndexValue>(index, clock_.Now()));
  std::vector<std::string> out;
  if (members == nullptr) return out;
  for (auto it = members->by_score.lower_bound({min_score, std::string()});
       it != members->by_score.end() && it->first <= max_score &&
       static_cast<int>(out.size()) < limit;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<int64_t> MemoryStore::IndexSize(const std::string& index) {
  RETURN_IF_ERROR(CheckAvailable());
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(IndexValue * members,
                   data_->FindAs<IndexValue>(index, clock_.Now()));
  return members == nullptr ? 0 : static_cast<int64_t>(members->scores.size());
}

absl::StatusOr<std::vector<StreamEntry>> MemoryStore::StreamRead(
    const std::string& stream, const std::string& after_id, int limit) {
  RETURN_IF_ERROR(CheckAvailable());
  RETURN_IF_ERROR(ValidateLimit(limit));
  ASSIGN_OR_RETURN(StreamId after, ParseStreamId(after_id));
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StreamValue * log,
                   data_->FindAs<StreamValue>(stream, clock_.Now()));
  std::vector<StreamEntry> out;
  if (log == nullptr) return out;
  for (auto it = log->entries.upper_bound(after);
       it != log->entries.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back({it->first.ToString(), it->second});
  }
  return out;
}

absl::Status MemoryStore::StreamGroupCreate(const std::string& stream,
                                            const std::string& group) {
  RETURN_IF_ERROR(CheckAvailable());
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(data_->FindAs<StreamValue>(stream, now).status());
  // A new group starts before the first entry ("0" in XGROUP CREATE).
  data_->Materialize<StreamValue>(stream, now).groups.try_emplace(group);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StreamEntry>> MemoryStore::StreamReadGroup(
    const std::string& stream, const std::string& group,
    const std::string& consumer, int limit) {
  RETURN_IF_ERROR(CheckAvailable());
  RETURN_IF_ERROR(ValidateLimit(limit));
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StreamValue * log, data_->FindAs<StreamValue>(stream, now));
  ASSIGN_OR_RETURN(Group * readers, FindGroup(log, group));
  std::vector<std::pair<StreamId, std::string>> delivered;
  for (auto it = log->entries.upper_bound(readers->last_delivered);
       it != log->entries.end() && static_cast<int>(delivered.size()) < limit;
       ++it) {
    readers->pending[it->first] = Pending{consumer, now};
    readers->last_delivered = it->first;
    delivered.emplace_back(it->first, it->second);
  }
  return ToEntries(delivered);
}

absl::Status MemoryStore::StreamAck(const std::string& stream,
                                    const std::string& group,
                                    const std::vector<std::string>& ids) {
  RETURN_IF_ERROR(CheckAvailable());
  std::vector<StreamId> parsed;
  parsed.reserve(ids.size());
  for (const std::string& id : ids) {
    ASSIGN_OR_RETURN(StreamId one, ParseStreamId(id));
    parsed.push_back(one);
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StreamValue * log,
                   data_->FindAs<StreamValue>(stream, clock_.Now()));
  if (log == nullptr) return absl::OkStatus();  // as XACK: nothing to ack
  auto group_it = log->groups.find(group);
  if (group_it == log->groups.end()) return absl::OkStatus();
  for (const StreamId& id : parsed) group_it->second.pending.erase(id);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StreamEntry>> MemoryStore::StreamClaimIdle(
    const std::string& stream, const std::string& group,
    const std::string& consumer, absl::Duration min_idle, int limit) {
  RETURN_IF_ERROR(CheckAvailable());
  RETURN_IF_ERROR(ValidateLimit(limit));
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(StreamValue * log, data_->FindAs<StreamValue>(stream, now));
  ASSIGN_OR_RETURN(Group * readers, FindGroup(log, group));
  std::map<StreamId, Pending>& pending = readers->pending;
  std::vector<std::pair<StreamId, std::string>> claimed;
  for (auto it = pending.begin();
       it != pending.end() && static_cast<int>(claimed.size()) < limit;) {
    auto entry = log->entries.find(it->first);
    if (entry == log->entries.end()) {  // deleted: XAUTOCLAIM drops it too
      it = pending.erase(it);
      continue;
    }
    if (now - it->second.delivered_at >= min_idle) {
      it->second = Pending{consumer, now};
      claimed.emplace_back(entry->first, entry->second);
    }
    ++it;
  }
  return ToEntries(claimed);
}

absl::Status MemoryStore::Ping() { return CheckAvailable(); }

}  // namespace employability::storage
