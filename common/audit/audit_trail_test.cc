// The audit trail's appends, on both stores: a write's entry commits with
// the write or not at all, a read's entry stands on its own, every audited
// tenancy is registered, and a service's faulty entry is refused.
#include "common/audit/audit_trail.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/storage/keys.h"
#include "common/storage/memory_store.h"
#include "common/storage/redis_store.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"

namespace employability::audit {
namespace {

constexpr char kGetParticipant[] =
    "/employability.participants.v1.Participants/GetParticipant";

class AuditTrailTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "Memory") {
      memory_ = new storage::MemoryStore(clock_);
      store_.reset(memory_);
    } else {
      const char* address = std::getenv("EMPLOYABILITY_TEST_REDIS");
      ASSERT_NE(address, nullptr)
          << "EMPLOYABILITY_TEST_REDIS is not set: run the tests with ./test";
      auto options =
          storage::ParseRedisAddress("EMPLOYABILITY_TEST_REDIS", address);
      ASSERT_TRUE(options.ok());
      store_ = storage::RedisStore::Create(*options);
    }
    // A contract of its own per test run keeps runs apart on a shared Redis.
    contract_ = absl::AsciiStrToLower(
        absl::StrCat("audit-test-", RandomIdSource(clock_).NewId()));
    tenancy_ = storage::ContractTenancy(contract_);
    trail_ = std::make_unique<AuditTrail>(*store_, clock_, ids_);
  }

  v1::AuditEntry Entry(v1::AuditAction action, v1::AuditOutcome outcome) {
    auth::Caller caller("prime-north", "adviser-1", type::v1::ADVISER);
    caller.purpose = "EMPLOYMENT_SUPPORT";
    v1::AuditEntry entry = AuditEntryBy(caller);
    entry.set_action(action);
    entry.set_method(kGetParticipant);
    entry.set_record(Participant());
    entry.set_participant(Participant());
    entry.set_owning_organisation("prime-north");
    entry.set_outcome(outcome);
    return entry;
  }

  std::string Participant() const {
    return absl::StrCat("contracts/", contract_, "/participants/p1");
  }

  std::vector<v1::AuditEntry> Trail() {
    auto read = store_->StreamRead(storage::AuditStream(tenancy_), "", 100);
    EXPECT_TRUE(read.ok()) << read.status();
    std::vector<v1::AuditEntry> entries;
    if (!read.ok()) return entries;
    for (const storage::StreamEntry& e : *read) {
      auto entry = ParseAuditEntry(e.payload);
      EXPECT_TRUE(entry.ok()) << entry.status();
      if (entry.ok()) entries.push_back(*entry);
    }
    return entries;
  }

  // In the registry of every audited tenancy, and among those whose trail
  // holds entries the owner ("prime-north") reads back.
  bool Registered(const std::string& tenancy) {
    return RegisteredIn(storage::AuditStreamRegistry(), tenancy) &&
           RegisteredIn(storage::AuditStreamRegistryOf("prime-north"), tenancy);
  }

  bool RegisteredIn(const std::string& registry, const std::string& tenancy) {
    auto members = store_->IndexRange(registry, "", 100000);
    EXPECT_TRUE(members.ok()) << members.status();
    return members.ok() && std::find(members->begin(), members->end(),
                                     tenancy) != members->end();
  }

  FakeClock clock_;
  SequentialIdSource ids_{"a"};
  std::unique_ptr<storage::Store> store_;
  storage::MemoryStore* memory_ = nullptr;  // when the store is in memory
  std::string contract_;
  std::string tenancy_;
  std::unique_ptr<AuditTrail> trail_;
};

TEST_P(AuditTrailTest, AWriteEntryCommitsWithItsBatchOrNotAtAll) {
  const std::string record =
      storage::KeySpace("participants", tenancy_).Record("participant", "p1");
  storage::Batch write;
  write.Put(record, "v1");
  ASSERT_TRUE(
      trail_->AddTo(write, tenancy_, Entry(v1::CREATE, v1::ALLOWED)).ok());
  ASSERT_TRUE(store_->Commit(write)->committed);

  storage::Batch failing;
  failing.ExpectAbsent(record);  // exists: the batch fails
  ASSERT_TRUE(
      trail_->AddTo(failing, tenancy_, Entry(v1::UPDATE, v1::ALLOWED)).ok());
  ASSERT_FALSE(store_->Commit(failing)->committed);

  std::vector<v1::AuditEntry> entries = Trail();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].action(), v1::CREATE);
}

TEST_P(AuditTrailTest, AReadEntryStandsOnItsOwnWithTimeAndName) {
  clock_.Advance(absl::Minutes(5));
  v1::AuditEntry sent = Entry(v1::READ, v1::ALLOWED);
  sent.set_name("organisations/somebody-else/auditEntries/forged");
  ASSERT_TRUE(trail_->Record(tenancy_, sent).ok());

  std::vector<v1::AuditEntry> entries = Trail();
  ASSERT_EQ(entries.size(), 1u);
  const v1::AuditEntry& stored = entries[0];
  EXPECT_EQ(stored.name(),
            "organisations/prime-north/auditEntries/a0000000001");
  EXPECT_EQ(FromProtoTimestamp(stored.time()), clock_.Now());
  EXPECT_EQ(stored.actor_organisation(), "prime-north");
  EXPECT_EQ(stored.actor_user(), "adviser-1");
  EXPECT_EQ(stored.actor_role(), type::v1::ADVISER);
  EXPECT_EQ(stored.purpose(), "EMPLOYMENT_SUPPORT");
  EXPECT_EQ(stored.method(), kGetParticipant);
  EXPECT_EQ(stored.participant(), Participant());
  EXPECT_EQ(stored.outcome(), v1::ALLOWED);
}

TEST_P(AuditTrailTest, ADenialIsRecordedWithItsReason) {
  v1::AuditEntry denied = Entry(v1::READ, v1::DENIED);
  denied.set_reason("no live access grant");
  ASSERT_TRUE(trail_->Record(tenancy_, denied).ok());
  std::vector<v1::AuditEntry> entries = Trail();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].outcome(), v1::DENIED);
  EXPECT_EQ(entries[0].reason(), "no live access grant");
}

TEST_P(AuditTrailTest, EveryAuditedTenancyIsRegistered) {
  EXPECT_FALSE(Registered(tenancy_));
  ASSERT_TRUE(trail_->Record(tenancy_, Entry(v1::READ, v1::ALLOWED)).ok());
  ASSERT_TRUE(trail_->Record(tenancy_, Entry(v1::READ, v1::ALLOWED)).ok());
  EXPECT_TRUE(Registered(tenancy_));
  EXPECT_EQ(Trail().size(), 2u);
}

TEST_P(AuditTrailTest, AnIncompleteEntryIsTheServicesBugAndNotStored) {
  for (auto strip : std::vector<void (*)(v1::AuditEntry&)>{
           [](v1::AuditEntry& e) { e.clear_owning_organisation(); },
           [](v1::AuditEntry& e) { e.clear_action(); },
           [](v1::AuditEntry& e) { e.clear_method(); },
           [](v1::AuditEntry& e) { e.clear_record(); },
           [](v1::AuditEntry& e) { e.clear_outcome(); }}) {
    v1::AuditEntry entry = Entry(v1::READ, v1::ALLOWED);
    strip(entry);
    EXPECT_EQ(trail_->Record(tenancy_, entry).code(),
              absl::StatusCode::kInternal);
    storage::Batch batch;
    EXPECT_EQ(trail_->AddTo(batch, tenancy_, entry).code(),
              absl::StatusCode::kInternal);
    EXPECT_TRUE(batch.empty());
  }
  EXPECT_TRUE(Trail().empty());
}

TEST_P(AuditTrailTest, AWriteOutsideTheTenancyIsRefused) {
  storage::Batch write;
  write.Put(storage::KeySpace("participants", "c:another-contract")
                .Record("participant", "p1"),
            "v1");
  EXPECT_EQ(
      trail_->AddTo(write, tenancy_, Entry(v1::CREATE, v1::ALLOWED)).code(),
      absl::StatusCode::kInternal);
  EXPECT_EQ(trail_->Record("", Entry(v1::READ, v1::ALLOWED)).code(),
            absl::StatusCode::kInternal);
}

TEST_P(AuditTrailTest, AStoreThatIsDownIsUnavailable) {
  if (memory_ == nullptr) GTEST_SKIP() << "only the memory store can fail";
  memory_->SetUnavailable(true);
  EXPECT_EQ(trail_->Record(tenancy_, Entry(v1::READ, v1::ALLOWED)).code(),
            absl::StatusCode::kUnavailable);
  memory_->SetUnavailable(false);
  // The failed registration is retried on the next entry.
  ASSERT_TRUE(trail_->Record(tenancy_, Entry(v1::READ, v1::ALLOWED)).ok());
  EXPECT_TRUE(Registered(tenancy_));
  EXPECT_EQ(Trail().size(), 1u);
}

TEST(AuditEntryByTest, TakesTheServiceActingForAUser) {
  auth::Caller caller("partner-a", "worker-7", type::v1::TEAM_LEADER);
  caller.service = "quality";
  v1::AuditEntry entry = AuditEntryBy(caller);
  EXPECT_EQ(entry.actor_organisation(), "partner-a");
  EXPECT_EQ(entry.actor_user(), "worker-7");
  EXPECT_EQ(entry.actor_role(), type::v1::TEAM_LEADER);
  EXPECT_EQ(entry.actor_service(), "quality");
  EXPECT_TRUE(entry.purpose().empty());
}

INSTANTIATE_TEST_SUITE_P(BothStores, AuditTrailTest,
                         testing::Values("Memory", "Redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace employability::audit
