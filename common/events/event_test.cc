// The event log and the consumer-group reader, on both stores.
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/events/event_log.h"
#include "common/events/event_reader.h"
#include "common/storage/memory_store.h"
#include "common/storage/redis_store.h"
#include "employability/type/v1/date.pb.h"
#include "gtest/gtest.h"

namespace employability::events {
namespace {

using employability::events::v1::EventEnvelope;

class EventsTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "Memory") {
      store_ = std::make_unique<storage::MemoryStore>(clock_);
    } else {
      const char* address = std::getenv("EMPLOYABILITY_TEST_REDIS");
      ASSERT_NE(address, nullptr)
          << "EMPLOYABILITY_TEST_REDIS is not set: run the tests with ./test";
      auto options =
          storage::ParseRedisAddress("EMPLOYABILITY_TEST_REDIS", address);
      ASSERT_TRUE(options.ok());
      store_ = storage::RedisStore::Create(*options);
    }
    // A service name of its own per test run keeps runs apart.
    service_ = absl::StrCat("events-test-", RandomIdSource(clock_).NewId());
    log_ = std::make_unique<EventLog>(service_, clock_, ids_);
  }

  // Emits one event about `aggregate` in a batch with a record write.
  void Emit(const std::string& tenancy, const std::string& aggregate, int day) {
    ASSERT_TRUE(log_->RegisterStream(*store_, tenancy).ok());
    storage::Batch batch;
    storage::KeySpace keys(service_, tenancy);
    batch.Put(keys.Record("thing", aggregate), "v");
    employability::type::v1::Date payload;
    payload.set_day(day);
    log_->Append(batch, {tenancy, aggregate, "org-1", "user-1", 1}, payload);
    ASSERT_TRUE(store_->Commit(batch)->committed);
  }

  // Waits past the reader's redelivery delay.
  void PassRedeliveryDelay() {
    clock_.Advance(absl::Seconds(1));
    if (GetParam() == "Redis") absl::SleepFor(absl::Milliseconds(120));
  }

  EventReader Reader(const std::string& consumer) {
    return EventReader(
        *store_, {service_, "quality", consumer, 100, absl::Milliseconds(100)});
  }

  FakeClock clock_;
  SequentialIdSource ids_{"e"};
  std::unique_ptr<storage::Store> store_;
  std::string service_;
  std::unique_ptr<EventLog> log_;
};

TEST_P(EventsTest, AnEventCommitsWithItsBatchOrNotAtAll) {
  Emit("c:one", "a1", 3);
  storage::KeySpace keys(service_, "c:one");
  storage::Batch failing;
  failing.ExpectAbsent(keys.Record("thing", "a1"));  // exists: the batch fails
  employability::type::v1::Date payload;
  log_->Append(failing, {"c:one", "a1", "org-1", "user-1", 2}, payload);
  ASSERT_FALSE(store_->Commit(failing)->committed);

  auto entries = store_->StreamRead(keys.Events(), "", 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  auto envelope = ParseEnvelope((*entries)[0].payload);
  ASSERT_TRUE(envelope.ok());
  EXPECT_EQ(envelope->type(), "employability.type.v1.Date");
  EXPECT_EQ(envelope->tenancy(), "c:one");
  EXPECT_EQ(envelope->aggregate(), "a1");
  EXPECT_EQ(envelope->acting_organisation(), "org-1");
  EXPECT_EQ(envelope->acting_user(), "user-1");
  EXPECT_EQ(envelope->aggregate_version(), 1);
  EXPECT_FALSE(envelope->event_id().empty());
  employability::type::v1::Date payload_back;
  ASSERT_TRUE(envelope->payload().UnpackTo(&payload_back));
  EXPECT_EQ(payload_back.day(), 3);
}

TEST_P(EventsTest, ReaderDeliversEveryTenancyOnceAndAcknowledges) {
  Emit("c:one", "a1", 1);
  Emit("c:two", "b1", 2);
  Emit("c:one", "a2", 3);
  EventReader reader = Reader("worker-1");
  std::map<std::string, int> seen;
  auto handled = reader.Poll([&](const EventEnvelope& e) {
    ++seen[e.aggregate()];
    return absl::OkStatus();
  });
  ASSERT_TRUE(handled.ok()) << handled.status();
  EXPECT_EQ(*handled, 3);
  EXPECT_EQ(seen,
            (std::map<std::string, int>{{"a1", 1}, {"a2", 1}, {"b1", 1}}));
  PassRedeliveryDelay();
  EXPECT_EQ(*reader.Poll([](const EventEnvelope&) { return absl::OkStatus(); }),
            0);
}

TEST_P(EventsTest, UnacknowledgedEventsAreRedelivered) {
  Emit("c:one", "a1", 1);
  EventReader first = Reader("worker-1");
  auto failed = first.Poll([](const EventEnvelope&) {
    return absl::InternalError("handler crashed");
  });
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(*failed, 0);
  // Another consumer of the group takes it over once it has lain idle.
  EventReader second = Reader("worker-2");
  PassRedeliveryDelay();
  int redelivered = 0;
  ASSERT_TRUE(second
                  .Poll([&](const EventEnvelope& e) {
                    EXPECT_EQ(e.aggregate(), "a1");
                    ++redelivered;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(redelivered, 1);
  PassRedeliveryDelay();
  EXPECT_EQ(*first.Poll([](const EventEnvelope&) { return absl::OkStatus(); }),
            0);
}

TEST_P(EventsTest, ReaderMakesItsGroupAgainWhenTheStreamWasLost) {
  Emit("c:one", "a1", 1);
  EventReader reader = Reader("worker-1");
  auto ok = [](const EventEnvelope&) { return absl::OkStatus(); };
  ASSERT_EQ(*reader.Poll(ok), 1);
  storage::KeySpace keys(service_, "c:one");
  ASSERT_TRUE(store_->Delete(keys.Events()).ok());  // the group goes with it
  EXPECT_FALSE(reader.Poll(ok).ok());               // this pass fails...
  Emit("c:one", "a2", 2);
  auto next = reader.Poll(ok);  // ...and the next one makes the group anew
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, 1);
}

INSTANTIATE_TEST_SUITE_P(BothStores, EventsTest,
                         testing::Values("Memory", "Redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace employability::events
