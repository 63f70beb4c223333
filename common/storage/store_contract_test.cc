// The Store contract (store.h), run against both stores. The Redis cases
// need a throwaway Redis named by EMPLOYABILITY_TEST_REDIS ("host:port");
// the project's test script (./test) starts one.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/storage/keys.h"
#include "common/storage/memory_store.h"
#include "common/storage/redis_store.h"
#include "common/storage/store.h"
#include "common/time/call_deadline.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/harness/redis_process.h"

namespace employability::storage {
namespace {

using test_harness::RedisProcess;

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Optional;

constexpr char kRedisEnv[] = "EMPLOYABILITY_TEST_REDIS";

absl::Status StatusOf(const absl::Status& status) { return status; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

// Each evaluates `expr` exactly once (it may write to the store).
#define STORE_TEST_CONCAT_INNER_(a, b) a##b
#define STORE_TEST_CONCAT_(a, b) STORE_TEST_CONCAT_INNER_(a, b)
#define EXPECT_OK(expr)                                             \
  STORE_TEST_CHECK_OK_(STORE_TEST_CONCAT_(status_, __LINE__), expr, \
                       ADD_FAILURE())
#define ASSERT_OK(expr) \
  STORE_TEST_CHECK_OK_(STORE_TEST_CONCAT_(status_, __LINE__), expr, FAIL())
#define STORE_TEST_CHECK_OK_(var, expr, fail)                \
  switch (0)                                                 \
  case 0:                                                    \
  default:                                                   \
    if (const absl::Status var = StatusOf(expr); var.ok()) { \
    } else                                                   \
      fail << #expr << " failed: " << var
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                     \
  ASSERT_OK_AND_ASSIGN_IMPL_(STORE_TEST_CONCAT_(status_or_, __LINE__), lhs, \
                             expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(var, lhs, expr) \
  auto var = (expr);                               \
  ASSERT_TRUE(var.ok()) << var.status();           \
  lhs = std::move(var).value()

MATCHER_P2(IsRecord, value, version, "") {
  return arg.value == value && arg.version == version;
}

std::string RandomHex() {
  static std::mt19937_64 random{std::random_device{}()};
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  return absl::StrFormat("%016x", random());
}

std::pair<uint64_t, uint64_t> ParseId(const std::string& id) {
  std::pair<uint64_t, uint64_t> parsed;
  size_t dash = id.find('-');
  EXPECT_NE(dash, std::string::npos) << id;
  EXPECT_TRUE(absl::SimpleAtoi(id.substr(0, dash), &parsed.first)) << id;
  EXPECT_TRUE(absl::SimpleAtoi(id.substr(dash + 1), &parsed.second)) << id;
  return parsed;
}

std::vector<std::string> Ids(const std::vector<StreamEntry>& entries) {
  std::vector<std::string> ids;
  for (const StreamEntry& entry : entries) ids.push_back(entry.id);
  return ids;
}

std::vector<std::string> Payloads(const std::vector<StreamEntry>& entries) {
  std::vector<std::string> payloads;
  for (const StreamEntry& entry : entries) payloads.push_back(entry.payload);
  return payloads;
}

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    // A fresh hash tag per test: runs never see each other's keys, and every
    // key of a test may share one batch.
    prefix_ = absl::StrCat("test:{", RandomHex(), "}:");
    if (!IsRedis()) {
      store_ = std::make_unique<MemoryStore>(clock_);
      return;
    }
    const char* address = std::getenv(kRedisEnv);
    if (address == nullptr || *address == '\0') {
      FAIL()
          << kRedisEnv << " is not set. The Redis cases need a throwaway "
          << "Redis: run the project's test script (./test at the repository "
          << "root), which starts one and sets " << kRedisEnv
          << "=127.0.0.1:<port>.";
    }
    ASSERT_OK_AND_ASSIGN(RedisOptions options,
                         ParseRedisAddress(kRedisEnv, address));
    store_ = RedisStore::Create(options);
    ASSERT_OK(store_->Ping()) << " (no Redis at " << address << ")";
  }

  bool IsRedis() const { return GetParam() == "Redis"; }

  std::string Key(absl::string_view name) const {
    return absl::StrCat(prefix_, name);
  }

  // Lets expiry and idle times run out: the memory store's fake clock
  // moves; Redis keeps real time.
  void Elapse(absl::Duration duration) {
    if (IsRedis()) {
      absl::SleepFor(duration);
    } else {
      clock_.Advance(duration);
    }
  }

  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::string prefix_;
};

// --- Records ----------------------------------------------------------------

TEST_P(StoreContractTest, GetAbsentIsNullopt) {
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record,
                       store_->Get(Key("nothing")));
  EXPECT_EQ(record, std::nullopt);
}

TEST_P(StoreContractTest, VersionsStartAtOneAndIncrease) {
  std::string key = Key("record");
  ASSERT_OK_AND_ASSIGN(int64_t first, store_->Put(key, "one"));
  EXPECT_EQ(first, 1);
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record, store_->Get(key));
  EXPECT_THAT(record, Optional(IsRecord("one", 1)));
  ASSERT_OK_AND_ASSIGN(int64_t second, store_->Put(key, "two"));
  EXPECT_EQ(second, 2);
  ASSERT_OK_AND_ASSIGN(record, store_->Get(key));
  EXPECT_THAT(record, Optional(IsRecord("two", 2)));
}

TEST_P(StoreContractTest, ValuesAreBinarySafe) {
  std::string value("a\0b\xff\r\n", 6);
  ASSERT_OK(store_->Put(Key("binary"), value));
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record,
                       store_->Get(Key("binary")));
  EXPECT_THAT(record, Optional(IsRecord(value, 1)));

  Batch batch;
  batch.StreamAppend(Key("stream"), value).IndexAdd(Key("index"), value);
  ASSERT_OK(store_->Commit(batch));
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> entries,
                       store_->StreamRead(Key("stream"), "", 10));
  EXPECT_THAT(Payloads(entries), ElementsAre(value));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> members,
                       store_->IndexRange(Key("index"), "", 10));
  EXPECT_THAT(members, ElementsAre(value));
}

TEST_P(StoreContractTest, GetManyKeepsOrderAndAbsents) {
  ASSERT_OK(store_->Put(Key("a"), "A"));
  ASSERT_OK(store_->Put(Key("c"), "C1"));
  ASSERT_OK(store_->Put(Key("c"), "C2"));
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::optional<Record>> records,
      store_->GetMany({Key("c"), Key("b"), Key("a"), Key("c")}));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_THAT(records[0], Optional(IsRecord("C2", 2)));
  EXPECT_EQ(records[1], std::nullopt);
  EXPECT_THAT(records[2], Optional(IsRecord("A", 1)));
  EXPECT_THAT(records[3], Optional(IsRecord("C2", 2)));

  ASSERT_OK_AND_ASSIGN(records, store_->GetMany({}));
  EXPECT_THAT(records, IsEmpty());
}

TEST_P(StoreContractTest, DeleteRemovesAndVersionsStartAgain) {
  std::string key = Key("record");
  ASSERT_OK(store_->Put(key, "one"));
  ASSERT_OK(store_->Put(key, "two"));
  ASSERT_OK(store_->Delete(key));
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record, store_->Get(key));
  EXPECT_EQ(record, std::nullopt);
  ASSERT_OK_AND_ASSIGN(int64_t version, store_->Put(key, "three"));
  EXPECT_EQ(version, 1);
  EXPECT_OK(store_->Delete(Key("never-written")));
}

TEST_P(StoreContractTest, DeleteRemovesEveryKind) {
  ASSERT_OK(store_->Increment(Key("counter"), 4));
  Batch fill;
  fill.IndexAdd(Key("index"), "m").StreamAppend(Key("stream"), "p");
  ASSERT_OK(store_->Commit(fill));

  Batch remove;
  remove.Delete(Key("counter")).Delete(Key("index")).Delete(Key("stream"));
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(remove));
  EXPECT_TRUE(result.committed);
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->Increment(Key("counter"), 0));
  EXPECT_EQ(counter, 0);
  ASSERT_OK_AND_ASSIGN(int64_t size, store_->IndexSize(Key("index")));
  EXPECT_EQ(size, 0);
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> entries,
                       store_->StreamRead(Key("stream"), "", 10));
  EXPECT_THAT(entries, IsEmpty());
}

// --- Commit
// -------------------------------------------------------------------

TEST_P(StoreContractTest, CommitAppliesEveryStep) {
  Batch batch;
  batch.ExpectAbsent(Key("record"))
      .Put(Key("record"), "r")
      .Put(Key("other"), "o")
      .Put(Key("record"), "r2")
      .IndexAdd(Key("index"), "member")
      .Increment(Key("counter"), 7)
      .StreamAppend(Key("stream"), "first")
      .StreamAppend(Key("stream"), "second");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_TRUE(result.committed);
  EXPECT_EQ(result.failed_step, -1);
  EXPECT_EQ(result.found, std::nullopt);
  EXPECT_THAT(result.versions, ElementsAre(1, 1, 2));
  ASSERT_EQ(result.stream_ids.size(), 2u);
  EXPECT_LT(ParseId(result.stream_ids[0]), ParseId(result.stream_ids[1]));

  ASSERT_OK_AND_ASSIGN(std::vector<std::optional<Record>> records,
                       store_->GetMany({Key("record"), Key("other")}));
  EXPECT_THAT(records[0], Optional(IsRecord("r2", 2)));
  EXPECT_THAT(records[1], Optional(IsRecord("o", 1)));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> members,
                       store_->IndexRange(Key("index"), "", 10));
  EXPECT_THAT(members, ElementsAre("member"));
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->Increment(Key("counter"), 0));
  EXPECT_EQ(counter, 7);
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> entries,
                       store_->StreamRead(Key("stream"), "", 10));
  EXPECT_THAT(Ids(entries),
              ElementsAre(result.stream_ids[0], result.stream_ids[1]));
  EXPECT_THAT(Payloads(entries), ElementsAre("first", "second"));
}

TEST_P(StoreContractTest, EmptyBatchCommits) {
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(Batch()));
  EXPECT_TRUE(result.committed);
}

TEST_P(StoreContractTest, ExpectVersionHoldingCommits) {
  std::string key = Key("record");
  ASSERT_OK(store_->Put(key, "one"));
  Batch batch;
  batch.ExpectVersion(key, 1).Put(key, "two");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_TRUE(result.committed);
  EXPECT_THAT(result.versions, ElementsAre(2));
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record, store_->Get(key));
  EXPECT_THAT(record, Optional(IsRecord("two", 2)));
}

// Conditions come after mutations in this batch on purpose: every condition
// is checked before anything changes.
TEST_P(StoreContractTest, FailedExpectAbsentChangesNothing) {
  ASSERT_OK(store_->Put(Key("existing"), "first"));
  ASSERT_OK(store_->Put(Key("keep"), "kept"));
  Batch batch;
  batch.Put(Key("new"), "n")
      .Delete(Key("keep"))
      .IndexAdd(Key("index"), "m")
      .Increment(Key("counter"), 3)
      .StreamAppend(Key("stream"), "p")
      .ExpectAbsent(Key("existing"))
      .Put(Key("existing"), "second");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.failed_step, 5);
  EXPECT_THAT(result.found, Optional(IsRecord("first", 1)));
  EXPECT_THAT(result.versions, IsEmpty());
  EXPECT_THAT(result.stream_ids, IsEmpty());

  ASSERT_OK_AND_ASSIGN(
      std::vector<std::optional<Record>> records,
      store_->GetMany({Key("new"), Key("keep"), Key("existing")}));
  EXPECT_EQ(records[0], std::nullopt);
  EXPECT_THAT(records[1], Optional(IsRecord("kept", 1)));
  EXPECT_THAT(records[2], Optional(IsRecord("first", 1)));
  ASSERT_OK_AND_ASSIGN(int64_t size, store_->IndexSize(Key("index")));
  EXPECT_EQ(size, 0);
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->Increment(Key("counter"), 0));
  EXPECT_EQ(counter, 0);
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> entries,
                       store_->StreamRead(Key("stream"), "", 10));
  EXPECT_THAT(entries, IsEmpty());
}

TEST_P(StoreContractTest, FailedExpectVersionReportsFoundRecord) {
  std::string key = Key("record");
  ASSERT_OK(store_->Put(key, "one"));
  ASSERT_OK(store_->Put(key, "two"));
  Batch batch;
  batch.ExpectVersion(key, 1).Put(key, "stale").Increment(Key("counter"), 1);
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.failed_step, 0);
  EXPECT_THAT(result.found, Optional(IsRecord("two", 2)));
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record, store_->Get(key));
  EXPECT_THAT(record, Optional(IsRecord("two", 2)));
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->Increment(Key("counter"), 0));
  EXPECT_EQ(counter, 0);
}

TEST_P(StoreContractTest, ExpectVersionOnAbsentKeyFails) {
  Batch batch;
  batch.ExpectVersion(Key("record"), 1).Put(Key("record"), "x");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.failed_step, 0);
  EXPECT_EQ(result.found, std::nullopt);
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record,
                       store_->Get(Key("record")));
  EXPECT_EQ(record, std::nullopt);
}

TEST_P(StoreContractTest, FirstFailingConditionIsReported) {
  ASSERT_OK(store_->Put(Key("a"), "A"));
  ASSERT_OK(store_->Put(Key("b"), "B"));
  Batch batch;
  batch.ExpectAbsent(Key("absent"))
      .ExpectVersion(Key("a"), 1)
      .ExpectVersion(Key("b"), 9)
      .ExpectAbsent(Key("a"))
      .Put(Key("c"), "C");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.failed_step, 2);
  EXPECT_THAT(result.found, Optional(IsRecord("B", 1)));
}

TEST_P(StoreContractTest, ExpectAbsentFailsOnAnyKindButFindsOnlyRecords) {
  ASSERT_OK(store_->Increment(Key("counter"), 1));
  Batch batch;
  batch.ExpectAbsent(Key("counter")).Put(Key("record"), "x");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_FALSE(result.committed);
  EXPECT_EQ(result.failed_step, 0);
  EXPECT_EQ(result.found, std::nullopt);
}

TEST_P(StoreContractTest, BatchAcrossHashTagsIsRefused) {
  Batch batch;
  batch.Put(Key("record"), "x").Put("test:{elsewhere}:record", "y");
  EXPECT_EQ(StatusOf(store_->Commit(batch)).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record,
                       store_->Get(Key("record")));
  EXPECT_EQ(record, std::nullopt);
}

TEST_P(StoreContractTest, BatchUsingKeyAsWrongKindChangesNothing) {
  ASSERT_OK(store_->Put(Key("record"), "r"));
  Batch batch;
  batch.Increment(Key("counter"), 5).IndexAdd(Key("record"), "m");
  EXPECT_EQ(StatusOf(store_->Commit(batch)).code(),
            absl::StatusCode::kInternal);
  ASSERT_OK_AND_ASSIGN(int64_t counter, store_->Increment(Key("counter"), 0));
  EXPECT_EQ(counter, 0);

  // The kind a key has after earlier steps of the same batch is what counts.
  Batch reuse;
  reuse.Delete(Key("record")).IndexAdd(Key("record"), "m");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(reuse));
  EXPECT_TRUE(result.committed);
  ASSERT_OK_AND_ASSIGN(int64_t size, store_->IndexSize(Key("record")));
  EXPECT_EQ(size, 1);
}

// --- Counters and expiring keys
// -----------------------------------------------

TEST_P(StoreContractTest, IncrementReturnsValueAfterAdding) {
  std::string key = Key("counter");
  ASSERT_OK_AND_ASSIGN(int64_t value, store_->Increment(key, 5));
  EXPECT_EQ(value, 5);
  ASSERT_OK_AND_ASSIGN(value, store_->Increment(key, -7));
  EXPECT_EQ(value, -2);
  ASSERT_OK_AND_ASSIGN(value, store_->Increment(key, 0));
  EXPECT_EQ(value, -2);
  ASSERT_OK_AND_ASSIGN(value, store_->Increment(Key("big"), int64_t{1} << 60));
  EXPECT_EQ(value, int64_t{1} << 60);
}

TEST_P(StoreContractTest, SetIfAbsentStoresOnceUntilExpiry) {
  ASSERT_OK_AND_ASSIGN(
      bool stored, store_->SetIfAbsent(Key("long"), "a", absl::Seconds(60)));
  EXPECT_TRUE(stored);
  ASSERT_OK_AND_ASSIGN(
      stored, store_->SetIfAbsent(Key("long"), "b", absl::Seconds(60)));
  EXPECT_FALSE(stored);

  ASSERT_OK_AND_ASSIGN(
      stored, store_->SetIfAbsent(Key("short"), "a", absl::Milliseconds(50)));
  EXPECT_TRUE(stored);
  Elapse(absl::Milliseconds(150));
  ASSERT_OK_AND_ASSIGN(
      stored, store_->SetIfAbsent(Key("short"), "b", absl::Milliseconds(50)));
  EXPECT_TRUE(stored);
  ASSERT_OK_AND_ASSIGN(
      stored, store_->SetIfAbsent(Key("long"), "c", absl::Seconds(60)));
  EXPECT_FALSE(stored);
}

TEST_P(StoreContractTest, SetIfAbsentNeedsPositiveTtl) {
  EXPECT_EQ(
      StatusOf(store_->SetIfAbsent(Key("k"), "v", absl::ZeroDuration())).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, PutWithExpiryExpires) {
  Batch batch;
  batch.PutWithExpiry(Key("record"), "r", absl::Milliseconds(50));
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  EXPECT_THAT(result.versions, ElementsAre(1));
  Elapse(absl::Milliseconds(150));
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record,
                       store_->Get(Key("record")));
  EXPECT_EQ(record, std::nullopt);
  Batch absent;
  absent.ExpectAbsent(Key("record"));
  ASSERT_OK_AND_ASSIGN(result, store_->Commit(absent));
  EXPECT_TRUE(result.committed);
}

TEST_P(StoreContractTest, PutDropsEarlierExpiry) {
  Batch batch;
  batch.PutWithExpiry(Key("record"), "r", absl::Milliseconds(50));
  ASSERT_OK(store_->Commit(batch));
  ASSERT_OK_AND_ASSIGN(int64_t version, store_->Put(Key("record"), "kept"));
  EXPECT_EQ(version, 2);
  Elapse(absl::Milliseconds(150));
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record,
                       store_->Get(Key("record")));
  EXPECT_THAT(record, Optional(IsRecord("kept", 2)));
}

TEST_P(StoreContractTest, PutWithExpiryNeedsPositiveTtl) {
  Batch batch;
  batch.PutWithExpiry(Key("record"), "r", absl::ZeroDuration());
  EXPECT_EQ(StatusOf(store_->Commit(batch)).code(),
            absl::StatusCode::kInvalidArgument);
}

// --- Indexes
// ------------------------------------------------------------------

TEST_P(StoreContractTest, IndexRangePaginatesWithoutGapsOrDuplicates) {
  std::vector<std::string> members;
  for (int i = 0; i < 250; ++i) members.push_back(absl::StrFormat("m%03d", i));
  std::vector<std::string> shuffled = members;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(42));
  for (size_t start = 0; start < shuffled.size(); start += 50) {
    Batch batch;
    for (size_t i = start; i < start + 50; ++i) {
      batch.IndexAdd(Key("index"), shuffled[i]);
    }
    ASSERT_OK(store_->Commit(batch));
  }
  ASSERT_OK_AND_ASSIGN(int64_t size, store_->IndexSize(Key("index")));
  EXPECT_EQ(size, 250);

  std::vector<std::string> seen;
  std::vector<size_t> page_sizes;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    ASSERT_OK_AND_ASSIGN(std::vector<std::string> got,
                         store_->IndexRange(Key("index"), after, 100));
    page_sizes.push_back(got.size());
    if (got.empty()) break;
    seen.insert(seen.end(), got.begin(), got.end());
    after = got.back();
  }
  EXPECT_THAT(page_sizes, ElementsAre(100, 100, 50, 0));
  EXPECT_EQ(seen, members);  // sorted, complete, no duplicates

  // Adding a member again changes nothing; removing one drops it.
  Batch change;
  change.IndexAdd(Key("index"), "m007").IndexRemove(Key("index"), "m100");
  ASSERT_OK(store_->Commit(change));
  ASSERT_OK_AND_ASSIGN(size, store_->IndexSize(Key("index")));
  EXPECT_EQ(size, 249);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> around,
                       store_->IndexRange(Key("index"), "m098", 3));
  EXPECT_THAT(around, ElementsAre("m099", "m101", "m102"));
}

TEST_P(StoreContractTest, IndexRangeOfAbsentIndexIsEmpty) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> members,
                       store_->IndexRange(Key("none"), "", 10));
  EXPECT_THAT(members, IsEmpty());
  ASSERT_OK_AND_ASSIGN(members,
                       store_->IndexRangeByScore(Key("none"), 0, 10, 10));
  EXPECT_THAT(members, IsEmpty());
  ASSERT_OK_AND_ASSIGN(int64_t size, store_->IndexSize(Key("none")));
  EXPECT_EQ(size, 0);
}

TEST_P(StoreContractTest, IndexRangeByScoreOrdersByScoreThenMember) {
  Batch batch;
  batch.IndexAdd(Key("due"), "e", 50)
      .IndexAdd(Key("due"), "a", 30)
      .IndexAdd(Key("due"), "d", 10)
      .IndexAdd(Key("due"), "b", 30)
      .IndexAdd(Key("due"), "c", 20)
      .IndexAdd(Key("due"), "n", -5)
      .IndexAdd(Key("due"), "big", int64_t{1700000000000});
  ASSERT_OK(store_->Commit(batch));
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> members,
                       store_->IndexRangeByScore(Key("due"), 10, 30, 10));
  EXPECT_THAT(members, ElementsAre("d", "c", "a", "b"));
  ASSERT_OK_AND_ASSIGN(members,
                       store_->IndexRangeByScore(Key("due"), 11, 30, 2));
  EXPECT_THAT(members, ElementsAre("c", "a"));
  ASSERT_OK_AND_ASSIGN(members,
                       store_->IndexRangeByScore(Key("due"), -100, 0, 10));
  EXPECT_THAT(members, ElementsAre("n"));
  ASSERT_OK_AND_ASSIGN(members,
                       store_->IndexRangeByScore(Key("due"), 31, 49, 10));
  EXPECT_THAT(members, IsEmpty());
  ASSERT_OK_AND_ASSIGN(
      members, store_->IndexRangeByScore(Key("due"), 51, int64_t{1} << 52, 10));
  EXPECT_THAT(members, ElementsAre("big"));

  // A new score moves the member.
  Batch move;
  move.IndexAdd(Key("due"), "e", 15);
  ASSERT_OK(store_->Commit(move));
  ASSERT_OK_AND_ASSIGN(members,
                       store_->IndexRangeByScore(Key("due"), 10, 20, 10));
  EXPECT_THAT(members, ElementsAre("d", "e", "c"));
  ASSERT_OK_AND_ASSIGN(int64_t size, store_->IndexSize(Key("due")));
  EXPECT_EQ(size, 7);
}

TEST_P(StoreContractTest, LimitsMustBePositive) {
  EXPECT_EQ(StatusOf(store_->IndexRange(Key("i"), "", 0)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusOf(store_->IndexRangeByScore(Key("i"), 0, 1, -1)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusOf(store_->StreamRead(Key("s"), "", 0)).code(),
            absl::StatusCode::kInvalidArgument);
}

// --- Streams
// ------------------------------------------------------------------

TEST_P(StoreContractTest, StreamReadPagesAfterIds) {
  std::string stream = Key("stream");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Batch batch;
    batch.StreamAppend(stream, absl::StrCat("p", i));
    ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
    ASSERT_EQ(result.stream_ids.size(), 1u);
    ids.push_back(result.stream_ids[0]);
  }
  for (size_t i = 1; i < ids.size(); ++i) {
    EXPECT_LT(ParseId(ids[i - 1]), ParseId(ids[i]));
  }
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> entries,
                       store_->StreamRead(stream, "", 2));
  EXPECT_THAT(Ids(entries), ElementsAre(ids[0], ids[1]));
  EXPECT_THAT(Payloads(entries), ElementsAre("p0", "p1"));
  ASSERT_OK_AND_ASSIGN(entries, store_->StreamRead(stream, ids[1], 10));
  EXPECT_THAT(Ids(entries), ElementsAre(ids[2], ids[3], ids[4]));
  EXPECT_THAT(Payloads(entries), ElementsAre("p2", "p3", "p4"));
  ASSERT_OK_AND_ASSIGN(entries, store_->StreamRead(stream, ids[4], 10));
  EXPECT_THAT(entries, IsEmpty());
  ASSERT_OK_AND_ASSIGN(entries, store_->StreamRead(stream, "0-0", 10));
  EXPECT_EQ(entries.size(), 5u);
  ASSERT_OK_AND_ASSIGN(entries, store_->StreamRead(Key("no-stream"), "", 10));
  EXPECT_THAT(entries, IsEmpty());
}

TEST_P(StoreContractTest, StreamIdsIncreaseWithinOneBatch) {
  Batch batch;
  for (int i = 0; i < 20; ++i) batch.StreamAppend(Key("stream"), "p");
  ASSERT_OK_AND_ASSIGN(BatchResult result, store_->Commit(batch));
  ASSERT_EQ(result.stream_ids.size(), 20u);
  for (size_t i = 1; i < result.stream_ids.size(); ++i) {
    EXPECT_LT(ParseId(result.stream_ids[i - 1]), ParseId(result.stream_ids[i]));
  }
}

TEST_P(StoreContractTest, MalformedStreamIdsAreRefused) {
  EXPECT_EQ(StatusOf(store_->StreamRead(Key("s"), "abc", 10)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusOf(store_->StreamRead(Key("s"), "1-", 10)).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_OK(store_->StreamGroupCreate(Key("s"), "g"));
  EXPECT_EQ(store_->StreamAck(Key("s"), "g", {"1-1", "x"}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(StoreContractTest, ConsumerGroupDeliversOnceAndRedeliversUnacked) {
  std::string stream = Key("events");
  auto append = [&](const std::string& payload) {
    Batch batch;
    batch.StreamAppend(stream, payload);
    absl::StatusOr<BatchResult> result = store_->Commit(batch);
    EXPECT_OK(result);
    return result.ok() ? result->stream_ids.at(0) : std::string();
  };
  // Entries from before the group exists are delivered too.
  std::vector<std::string> ids = {append("e0"), append("e1")};
  ASSERT_OK(store_->StreamGroupCreate(stream, "workers"));
  ASSERT_OK(store_->StreamGroupCreate(stream, "workers"));  // already there
  for (int i = 2; i < 5; ++i) ids.push_back(append(absl::StrCat("e", i)));

  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> to_a,
                       store_->StreamReadGroup(stream, "workers", "a", 3));
  EXPECT_THAT(Ids(to_a), ElementsAre(ids[0], ids[1], ids[2]));
  EXPECT_THAT(Payloads(to_a), ElementsAre("e0", "e1", "e2"));
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> to_b,
                       store_->StreamReadGroup(stream, "workers", "b", 10));
  EXPECT_THAT(Ids(to_b), ElementsAre(ids[3], ids[4]));
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> again,
                       store_->StreamReadGroup(stream, "workers", "a", 10));
  EXPECT_THAT(again, IsEmpty());

  ASSERT_OK(store_->StreamAck(stream, "workers", {ids[0], ids[3]}));
  ASSERT_OK(store_->StreamAck(stream, "workers", {}));

  // Not idle long enough yet.
  ASSERT_OK_AND_ASSIGN(
      std::vector<StreamEntry> claimed,
      store_->StreamClaimIdle(stream, "workers", "c", absl::Minutes(1), 10));
  EXPECT_THAT(claimed, IsEmpty());

  Elapse(absl::Milliseconds(150));
  ASSERT_OK_AND_ASSIGN(claimed,
                       store_->StreamClaimIdle(stream, "workers", "c",
                                               absl::Milliseconds(50), 10));
  EXPECT_THAT(Ids(claimed), ElementsAre(ids[1], ids[2], ids[4]));
  EXPECT_THAT(Payloads(claimed), ElementsAre("e1", "e2", "e4"));

  // Claiming resets the idle time.
  ASSERT_OK_AND_ASSIGN(claimed,
                       store_->StreamClaimIdle(stream, "workers", "d",
                                               absl::Milliseconds(50), 10));
  EXPECT_THAT(claimed, IsEmpty());

  ASSERT_OK(store_->StreamAck(stream, "workers", {ids[1], ids[2], ids[4]}));
  Elapse(absl::Milliseconds(150));
  ASSERT_OK_AND_ASSIGN(claimed,
                       store_->StreamClaimIdle(stream, "workers", "d",
                                               absl::Milliseconds(50), 10));
  EXPECT_THAT(claimed, IsEmpty());

  // A second group has its own position.
  ASSERT_OK(store_->StreamGroupCreate(stream, "audit"));
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> audit,
                       store_->StreamReadGroup(stream, "audit", "x", 100));
  EXPECT_EQ(audit.size(), 5u);
}

TEST_P(StoreContractTest, StreamClaimIdleHonoursLimit) {
  std::string stream = Key("events");
  ASSERT_OK(store_->StreamGroupCreate(stream, "g"));
  Batch batch;
  for (int i = 0; i < 5; ++i) batch.StreamAppend(stream, absl::StrCat(i));
  ASSERT_OK(store_->Commit(batch));
  ASSERT_OK_AND_ASSIGN(std::vector<StreamEntry> read,
                       store_->StreamReadGroup(stream, "g", "a", 10));
  ASSERT_EQ(read.size(), 5u);
  Elapse(absl::Milliseconds(150));
  ASSERT_OK_AND_ASSIGN(
      std::vector<StreamEntry> claimed,
      store_->StreamClaimIdle(stream, "g", "b", absl::Milliseconds(50), 2));
  EXPECT_THAT(Payloads(claimed), ElementsAre("0", "1"));
  ASSERT_OK_AND_ASSIGN(
      claimed,
      store_->StreamClaimIdle(stream, "g", "b", absl::Milliseconds(50), 10));
  EXPECT_THAT(Payloads(claimed), ElementsAre("2", "3", "4"));
}

TEST_P(StoreContractTest, ReadingThroughMissingGroupFails) {
  EXPECT_EQ(StatusOf(store_->StreamReadGroup(Key("s"), "g", "c", 10)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusOf(store_->StreamClaimIdle(Key("s"), "g", "c",
                                             absl::Seconds(1), 10))
                .code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_OK(store_->StreamGroupCreate(Key("s"), "g"));
  EXPECT_EQ(
      StatusOf(store_->StreamReadGroup(Key("s"), "other", "c", 10)).code(),
      absl::StatusCode::kFailedPrecondition);
  // Acknowledging through a missing group acknowledges nothing, like XACK.
  EXPECT_OK(store_->StreamAck(Key("s"), "other", {"1-1"}));
  EXPECT_OK(store_->StreamAck(Key("no-stream"), "g", {"1-1"}));
}

TEST_P(StoreContractTest, WrongKindIsInternal) {
  ASSERT_OK(store_->Increment(Key("counter"), 1));
  EXPECT_EQ(StatusOf(store_->Get(Key("counter"))).code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(StatusOf(store_->IndexSize(Key("counter"))).code(),
            absl::StatusCode::kInternal);
}

TEST_P(StoreContractTest, PingAnswers) { EXPECT_OK(store_->Ping()); }

// --- Concurrency
// --------------------------------------------------------------

TEST_P(StoreContractTest, ConcurrentIncrementsAreExact) {
  constexpr int kThreads = 16;
  constexpr int kEach = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i)
        EXPECT_OK(store_->Increment(Key("counter"), 1));
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_OK_AND_ASSIGN(int64_t total, store_->Increment(Key("counter"), 0));
  EXPECT_EQ(total, kThreads * kEach);
}

TEST_P(StoreContractTest, ConcurrentConditionalPutsHaveOneWinnerPerVersion) {
  constexpr int kThreads = 16;
  constexpr int kAttempts = 40;
  std::string key = Key("contended");
  ASSERT_OK(store_->Put(key, "start"));
  absl::Mutex mu;
  std::vector<int64_t> won;  // the version each winning commit produced
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttempts; ++i) {
        absl::StatusOr<std::optional<Record>> current = store_->Get(key);
        ASSERT_TRUE(current.ok() && current->has_value()) << current.status();
        int64_t version = (*current)->version;
        Batch batch;
        batch.ExpectVersion(key, version).Put(key, absl::StrCat(t, ":", i));
        absl::StatusOr<BatchResult> result = store_->Commit(batch);
        ASSERT_OK(result);
        if (result->committed) {
          EXPECT_THAT(result->versions, ElementsAre(version + 1));
          absl::MutexLock lock(&mu);
          won.push_back(result->versions.at(0));
        } else {
          ASSERT_TRUE(result->found.has_value());
          EXPECT_GT(result->found->version, version);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_FALSE(won.empty());
  std::sort(won.begin(), won.end());
  std::vector<int64_t> expected;
  for (int64_t v = 2; v < 2 + static_cast<int64_t>(won.size()); ++v) {
    expected.push_back(v);
  }
  EXPECT_EQ(won, expected);  // each version won exactly once, none skipped
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record, store_->Get(key));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->version, 1 + static_cast<int64_t>(won.size()));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest,
                         ::testing::Values("Memory", "Redis"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// --- MemoryStore only
// ---------------------------------------------------------

TEST(MemoryStoreTest, StreamIdsFollowTheClockAndNeverGoBack) {
  FakeClock clock(absl::FromUnixMillis(1767225600123));
  MemoryStore store(clock);
  auto append = [&] {
    Batch batch;
    batch.StreamAppend("s", "p");
    absl::StatusOr<BatchResult> result = store.Commit(batch);
    EXPECT_OK(result);
    return result.ok() ? result->stream_ids.at(0) : std::string();
  };
  EXPECT_EQ(append(), "1767225600123-0");
  EXPECT_EQ(append(), "1767225600123-1");  // clock stands still
  clock.Advance(absl::Seconds(-5));
  EXPECT_EQ(append(), "1767225600123-2");  // clock went back
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(append(), "1767225605123-0");
}

TEST(MemoryStoreTest, UnavailableHookFailsEveryMethod) {
  FakeClock clock;
  MemoryStore store(clock);
  ASSERT_OK(store.Put("k", "v"));
  store.SetUnavailable(true);
  auto unavailable = [](const absl::Status& status) {
    return status.code() == absl::StatusCode::kUnavailable &&
           status.message() == "storage unavailable";
  };
  EXPECT_TRUE(unavailable(StatusOf(store.Get("k"))));
  EXPECT_TRUE(unavailable(StatusOf(store.GetMany({"k"}))));
  EXPECT_TRUE(unavailable(StatusOf(store.Put("k", "w"))));
  EXPECT_TRUE(unavailable(store.Delete("k")));
  EXPECT_TRUE(unavailable(StatusOf(store.Increment("c", 1))));
  EXPECT_TRUE(
      unavailable(StatusOf(store.SetIfAbsent("i", "v", absl::Seconds(1)))));
  EXPECT_TRUE(unavailable(StatusOf(store.IndexRange("x", "", 1))));
  EXPECT_TRUE(unavailable(StatusOf(store.IndexRangeByScore("x", 0, 1, 1))));
  EXPECT_TRUE(unavailable(StatusOf(store.IndexSize("x"))));
  EXPECT_TRUE(unavailable(StatusOf(store.StreamRead("s", "", 1))));
  EXPECT_TRUE(unavailable(store.StreamGroupCreate("s", "g")));
  EXPECT_TRUE(unavailable(StatusOf(store.StreamReadGroup("s", "g", "c", 1))));
  EXPECT_TRUE(unavailable(store.StreamAck("s", "g", {})));
  EXPECT_TRUE(unavailable(
      StatusOf(store.StreamClaimIdle("s", "g", "c", absl::Seconds(1), 1))));
  EXPECT_TRUE(unavailable(store.Ping()));

  store.SetUnavailable(false);
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record, store.Get("k"));
  EXPECT_THAT(record, Optional(IsRecord("v", 1)));  // nothing changed
}

// --- RedisStore only
// ----------------------------------------------------------

TEST(KeyHasherTest, SecretKeyedStableAndNeverThePlainValue) {
  KeyHasher hasher("secret-1");
  const std::string part = hasher.Part("restart|JK123456A|1990-5-17");
  EXPECT_EQ(part.size(), 64u);
  EXPECT_EQ(part, KeyHasher("secret-1").Part("restart|JK123456A|1990-5-17"));
  EXPECT_NE(part, KeyHasher("secret-2").Part("restart|JK123456A|1990-5-17"));
  EXPECT_NE(part, hasher.Part("restart|JK123456B|1990-5-17"));
  EXPECT_EQ(part.find("JK123456A"), std::string::npos);
}

TEST(ParseRedisAddressTest, ParsesHostAndPort) {
  ASSERT_OK_AND_ASSIGN(RedisOptions options,
                       ParseRedisAddress("--redis", "redis.internal:6380"));
  EXPECT_EQ(options.host, "redis.internal");
  EXPECT_EQ(options.port, 6380);
  EXPECT_EQ(options.pool_size, RedisOptions().pool_size);
  ASSERT_OK_AND_ASSIGN(options, ParseRedisAddress("--redis", "[::1]:7000"));
  EXPECT_EQ(options.host, "::1");
  EXPECT_EQ(options.port, 7000);
}

TEST(ParseRedisAddressTest, RefusesAnythingElseNamingTheSetting) {
  for (absl::string_view bad :
       {"", "localhost", ":6379", "localhost:", "localhost:0",
        "localhost:65536", "localhost:63a9", "localhost:-1"}) {
    absl::StatusOr<RedisOptions> options = ParseRedisAddress("--redis", bad);
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(std::string(options.status().message()),
                ::testing::HasSubstr("--redis"));
  }
}

// Asserts that `call` fails with UNAVAILABLE within `limit`.
template <typename Call>
void ExpectUnavailableWithin(absl::Duration limit, Call call) {
  absl::Time start = absl::Now();
  absl::Status status = StatusOf(call());
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(status.message(), "storage unavailable");
  EXPECT_LT(took, limit);
}

TEST(RedisStoreTest, RedisDownFailsFastWithUnavailable) {
  absl::StatusOr<int> port = test_harness::FreeLoopbackPort();
  ASSERT_TRUE(port.ok()) << port.status();
  RedisOptions options;
  options.port = *port;
  std::unique_ptr<RedisStore> store = RedisStore::Create(options);
  Batch batch;
  batch.Put("test:{down}:k", "v");
  for (int i = 0; i < 3; ++i) {  // first attempt, then inside the backoff
    ExpectUnavailableWithin(absl::Seconds(3), [&] { return store->Get("k"); });
    ExpectUnavailableWithin(absl::Seconds(3),
                            [&] { return store->Commit(batch); });
    ExpectUnavailableWithin(absl::Seconds(3), [&] { return store->Ping(); });
  }
}

// Retries `call` until it succeeds `times` times in a row (every pooled
// connection has been round once) or `limit` passes; its last status.
template <typename Call>
absl::Status RetryUntilOk(absl::Duration limit, int times, Call call) {
  absl::Time deadline = absl::Now() + limit;
  absl::Status status;
  int in_a_row = 0;
  do {
    status = StatusOf(call());
    in_a_row = status.ok() ? in_a_row + 1 : 0;
    if (in_a_row == times) break;
    if (!status.ok()) absl::SleepFor(absl::Milliseconds(50));
  } while (absl::Now() < deadline);
  return status;
}

TEST(RedisStoreTest, RecoversWhenRedisComesBackWithoutRecreatingTheStore) {
  absl::StatusOr<std::unique_ptr<RedisProcess>> server = RedisProcess::Launch();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisOptions options;
  options.port = (*server)->port();
  std::unique_ptr<RedisStore> store = RedisStore::Create(options);
  ASSERT_OK(RetryUntilOk(absl::Seconds(10), 2 * options.pool_size,
                         [&] { return store->Ping(); }))
      << "redis-server did not answer on port " << options.port;

  const std::string key = "test:{recovery}:record";
  ASSERT_OK(store->Put(key, "before"));
  ASSERT_OK(store->Get(key));

  ASSERT_OK((*server)->Stop());
  ExpectUnavailableWithin(absl::Seconds(3), [&] { return store->Get(key); });
  ExpectUnavailableWithin(absl::Seconds(3),
                          [&] { return store->Put(key, "x"); });

  ASSERT_OK((*server)->Start());
  ASSERT_OK(RetryUntilOk(absl::Seconds(10), 2 * options.pool_size,
                         [&] { return store->Get(key); }));
  // The new server kept nothing, not even the commit script: Commit must
  // load it again by itself.
  ASSERT_OK_AND_ASSIGN(std::optional<Record> record, store->Get(key));
  EXPECT_EQ(record, std::nullopt);
  ASSERT_OK_AND_ASSIGN(int64_t version, store->Put(key, "after"));
  EXPECT_EQ(version, 1);
  ASSERT_OK_AND_ASSIGN(record, store->Get(key));
  EXPECT_THAT(record, Optional(IsRecord("after", 1)));
}

TEST(RedisStoreTest, FrozenRedisFailsWithinTheTimeoutsThenRecovers) {
  absl::StatusOr<std::unique_ptr<RedisProcess>> server = RedisProcess::Launch();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisOptions options;
  options.port = (*server)->port();
  options.command_timeout = absl::Milliseconds(200);
  std::unique_ptr<RedisStore> store = RedisStore::Create(options);
  ASSERT_OK(RetryUntilOk(absl::Seconds(10), 2 * options.pool_size,
                         [&] { return store->Ping(); }))
      << "redis-server did not answer on port " << options.port;

  ASSERT_OK((*server)->Pause());
  for (int i = 0; i < 2 * options.pool_size; ++i) {
    ExpectUnavailableWithin(absl::Seconds(3),
                            [&] { return store->Get("test:{frozen}:k"); });
  }
  ASSERT_OK((*server)->Resume());
  EXPECT_OK(RetryUntilOk(absl::Seconds(10), 2 * options.pool_size,
                         [&] { return store->Get("test:{frozen}:k"); }));
}

TEST(RedisStoreTest, GivesUpInTimeForTheCallsDeadline) {
  absl::StatusOr<std::unique_ptr<RedisProcess>> server = RedisProcess::Launch();
  ASSERT_TRUE(server.ok()) << server.status();
  RedisOptions options;
  options.port = (*server)->port();
  options.command_timeout = absl::Seconds(5);  // far beyond the call's
  std::unique_ptr<RedisStore> store = RedisStore::Create(options);
  ASSERT_OK(RetryUntilOk(absl::Seconds(10), 2 * options.pool_size,
                         [&] { return store->Ping(); }));

  ASSERT_OK((*server)->Pause());
  {
    CallDeadline deadline(absl::Now() + absl::Milliseconds(300));
    ExpectUnavailableWithin(absl::Seconds(1),
                            [&] { return store->Get("test:{deadline}:k"); });
    // With no time left, nothing is sent at all.
    CallDeadline spent(absl::Now() - absl::Seconds(1));
    ExpectUnavailableWithin(absl::Milliseconds(100),
                            [&] { return store->Get("test:{deadline}:k"); });
  }
  ASSERT_OK((*server)->Resume());
  EXPECT_OK(RetryUntilOk(absl::Seconds(10), 2 * options.pool_size,
                         [&] { return store->Get("test:{deadline}:k"); }));
}

}  // namespace
}  // namespace employability::storage
