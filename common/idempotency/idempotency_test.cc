#include "common/idempotency/idempotency.h"

#include "common/storage/memory_store.h"
#include "employability/events/v1/events.pb.h"
#include "gtest/gtest.h"

namespace employability::idempotency {
namespace {

using employability::events::v1::EventEnvelope;

// Any message with a request_id field would do; the envelope has none, so
// the fingerprint covers all of it.
EventEnvelope Message(const std::string& id) {
  EventEnvelope m;
  m.set_event_id(id);
  return m;
}

TEST(Idempotency, FingerprintIgnoresOnlyTheRequestId) {
  EXPECT_EQ(Fingerprint(Message("a")), Fingerprint(Message("a")));
  EXPECT_NE(Fingerprint(Message("a")), Fingerprint(Message("b")));
}

TEST(Idempotency, GuardThenReplay) {
  FakeClock clock;
  storage::MemoryStore store(clock);
  const std::string fingerprint = Fingerprint(Message("body"));
  storage::Batch first;
  int step = Guard(first, "{t}:k", fingerprint, Message("response"));
  first.Put("{t}:record", "v");
  ASSERT_TRUE(store.Commit(first)->committed);

  storage::Batch retry;
  Guard(retry, "{t}:k", fingerprint, Message("other response"));
  retry.Put("{t}:record2", "v");
  auto result = store.Commit(retry);
  ASSERT_TRUE(result.ok());
  ASSERT_FALSE(result->committed);
  EXPECT_EQ(result->failed_step, step);
  EXPECT_FALSE(store.Get("{t}:record2")->has_value());  // nothing else written

  EventEnvelope replayed;
  ASSERT_TRUE(
      Replay(*result->found, fingerprint, "request_id", &replayed).ok());
  EXPECT_EQ(replayed.event_id(), "response");
  absl::Status other = Replay(*result->found, Fingerprint(Message("changed")),
                              "request_id", &replayed);
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(other.message()).rfind("request_id", 0), 0u);
}

TEST(Idempotency, KeptAtLeastADay) {
  FakeClock clock;
  storage::MemoryStore store(clock);
  storage::Batch batch;
  Guard(batch, "{t}:k", Fingerprint(Message("x")), Message("r"));
  ASSERT_TRUE(store.Commit(batch)->committed);
  clock.Advance(absl::Hours(24) + absl::Minutes(1));
  EXPECT_TRUE(store.Get("{t}:k")->has_value());
}

TEST(Idempotency, RequestIds) {
  EXPECT_TRUE(
      CheckRequestId("request_id", "3f1c2b9e-8a4d-4f7e-9c1a-0b2d3e4f5a6b")
          .ok());
  EXPECT_EQ(std::string(CheckRequestId("request_id", "").message()),
            "request_id is required");
  EXPECT_FALSE(CheckRequestId("request_id", "a b").ok());
  EXPECT_FALSE(CheckRequestId("request_id", std::string(65, 'a')).ok());
}

}  // namespace
}  // namespace employability::idempotency
