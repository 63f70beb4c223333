// Unit tests of reading the audit trail, on the in-memory store: entries
// written through common/audit are found by participant, actor and period,
// only by their owning organisation, in order, page by page.
#include "services/audit/audit_records.h"

#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/audit/audit_trail.h"
#include "common/auth/access_policy.h"
#include "common/storage/memory_store.h"
#include "common/storage/redis_store.h"
#include "common/time/proto_time.h"
#include "gtest/gtest.h"
#include "services/audit/audit_grpc.h"

namespace employability::audit {
namespace {

constexpr char kGetParticipant[] =
    "/employability.participants.v1.Participants/GetParticipant";
constexpr char kUpdateParticipant[] =
    "/employability.participants.v1.Participants/UpdateParticipant";

// Success when `status` has `code` and a message that names `field` first.
testing::AssertionResult Names(const absl::Status& status,
                               absl::StatusCode code,
                               const std::string& field) {
  if (status.code() == code &&
      (absl::StartsWith(status.message(), absl::StrCat(field, ":")) ||
       absl::StartsWith(status.message(),
                        absl::StrCat(field, " is required")))) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure()
         << status << " should be " << absl::StatusCodeToString(code)
         << " naming " << field;
}

// A quality manager as the call gate admits one.
auth::Caller QualityManagerOf(const std::string& organisation) {
  auth::Caller caller(organisation, "qm-1", type::v1::QUALITY_MANAGER);
  caller.scope = auth::v1::OWNING_ORGANISATION;
  return caller;
}

// One access to a participant's data, as a service reports it: by
// default, prime-north's adviser-1 reads participant p1 of contract north-1,
// whom prime-north enrolled.
struct Access {
  std::string contract = "north-1";
  std::string participant = "p1";
  std::string owner = "prime-north";
  std::string actor_organisation = "prime-north";
  std::string actor_user = "adviser-1";
  v1::AuditAction action = v1::READ;
  v1::AuditOutcome outcome = v1::ALLOWED;

  Access& In(std::string c) {
    contract = std::move(c);
    return *this;
  }
  Access& About(std::string p) {
    participant = std::move(p);
    return *this;
  }
  Access& OwnedBy(std::string o) {
    owner = std::move(o);
    return *this;
  }
  Access& From(std::string o) {
    actor_organisation = std::move(o);
    return *this;
  }
  Access& Doing(v1::AuditAction a) {
    action = a;
    return *this;
  }
  Access& Denied() {
    outcome = v1::DENIED;
    return *this;
  }
};

// An access by `user` (of prime-north unless From says otherwise).
Access By(std::string user) {
  Access access;
  access.actor_user = std::move(user);
  return access;
}

std::string ParticipantName(const std::string& contract,
                            const std::string& participant) {
  return absl::StrCat("contracts/", contract, "/participants/", participant);
}

v1::ListAuditEntriesRequest Request(const std::string& parent) {
  v1::ListAuditEntriesRequest request;
  request.set_parent(parent);
  return request;
}

class AuditRecordsTest : public testing::Test {
 protected:
  AuditRecordsTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0),
                               absl::UTCTimeZone())),
        store_(clock_),
        trail_(store_, clock_, ids_),
        records_(store_, clock_, key_hasher_) {}

  // Reports `access` to the trail: a write in the write's own batch, a read
  // on its own.
  void Report(const Access& access) {
    const std::string tenancy = storage::ContractTenancy(access.contract);
    const std::string participant =
        ParticipantName(access.contract, access.participant);
    auth::Caller actor(access.actor_organisation, access.actor_user,
                       type::v1::ADVISER);
    v1::AuditEntry entry = AuditEntryBy(actor);
    entry.set_action(access.action);
    entry.set_method(access.action == v1::READ ? kGetParticipant
                                               : kUpdateParticipant);
    entry.set_record(participant);
    entry.set_participant(participant);
    entry.set_owning_organisation(access.owner);
    entry.set_outcome(access.outcome);
    if (access.outcome == v1::DENIED) entry.set_reason("no live grant");
    if (access.action == v1::READ || access.outcome == v1::DENIED) {
      ASSERT_TRUE(trail_.Record(tenancy, entry).ok());
      return;
    }
    storage::Batch write;
    write.Put(storage::KeySpace("participants", tenancy)
                  .Record("participant", access.participant),
              "record");
    ASSERT_TRUE(trail_.AddTo(write, tenancy, entry).ok());
    ASSERT_TRUE(store_.Commit(write)->committed);
  }

  // Every page of `request`, joined; fails the test on an error.
  std::vector<v1::AuditEntry> ListAll(v1::ListAuditEntriesRequest request,
                                      const std::string& reader,
                                      int* pages = nullptr) {
    std::vector<v1::AuditEntry> all;
    for (int page = 1; page <= 10000; ++page) {
      absl::StatusOr<v1::ListAuditEntriesResponse> response =
          records_.List(QualityManagerOf(reader), request);
      EXPECT_TRUE(response.ok()) << response.status();
      if (!response.ok()) break;
      all.insert(all.end(), response->audit_entries().begin(),
                 response->audit_entries().end());
      if (response->next_page_token().empty()) {
        if (pages != nullptr) *pages = page;
        break;
      }
      request.set_page_token(response->next_page_token());
    }
    return all;
  }

  std::vector<v1::AuditEntry> ListAll(
      const v1::ListAuditEntriesRequest& request) {
    return ListAll(request, "prime-north");
  }

  static std::vector<std::string> UsersOf(
      const std::vector<v1::AuditEntry>& entries) {
    std::vector<std::string> users;
    for (const v1::AuditEntry& e : entries) users.push_back(e.actor_user());
    return users;
  }

  FakeClock clock_;
  storage::MemoryStore store_;
  SequentialIdSource ids_{"a"};
  storage::KeyHasher key_hasher_{"test-secret"};
  AuditTrail trail_;
  AuditRecords records_;
};

TEST_F(AuditRecordsTest, ListsAParticipantsEntriesOldestFirst) {
  Report(By("u1").About("p1").Doing(v1::CREATE));
  clock_.Advance(absl::Minutes(1));
  Report(By("u2").About("p2"));
  Report(By("u3").In("south-2").About("p1"));
  clock_.Advance(absl::Minutes(1));
  Report(By("u4").About("p1"));

  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_participant(ParticipantName("north-1", "p1"));
  std::vector<v1::AuditEntry> entries = ListAll(request);
  EXPECT_EQ(UsersOf(entries), (std::vector<std::string>{"u1", "u4"}));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].action(), v1::CREATE);
  EXPECT_EQ(entries[0].method(), kUpdateParticipant);
  EXPECT_EQ(entries[0].record(), ParticipantName("north-1", "p1"));
  EXPECT_TRUE(absl::StartsWith(entries[0].name(),
                               "organisations/prime-north/auditEntries/"));
  EXPECT_EQ(entries[1].action(), v1::READ);
}

TEST_F(AuditRecordsTest, ListsByActorOrganisationAcrossContracts) {
  Report(By("w1").From("partner-a"));
  Report(By("u1").From("prime-north"));
  clock_.Advance(absl::Seconds(1));
  Report(By("w2").In("south-2").From("partner-a"));

  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_actor_organisation("partner-a");
  EXPECT_EQ(UsersOf(ListAll(request)), (std::vector<std::string>{"w1", "w2"}));
}

TEST_F(AuditRecordsTest, ListsByUser) {
  Report(By("u1"));
  Report(By("u2").In("south-2"));
  clock_.Advance(absl::Milliseconds(1));
  Report(By("u1").In("east-3").Doing(v1::UPDATE));

  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_actor_user("u1");
  std::vector<v1::AuditEntry> entries = ListAll(request);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].action(), v1::READ);
  EXPECT_EQ(entries[1].action(), v1::UPDATE);
}

TEST_F(AuditRecordsTest, ListsByPeriod) {
  const absl::Time first = clock_.Now();
  Report(By("day-0"));
  clock_.Advance(absl::Hours(24 * 10));
  Report(By("day-10").In("south-2"));
  clock_.Advance(absl::Hours(24 * 10));
  Report(By("day-20"));
  clock_.Advance(absl::Hours(24 * 15));  // day 35: day 0 is over 30 days ago

  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  EXPECT_EQ(UsersOf(ListAll(request)),
            (std::vector<std::string>{"day-10", "day-20"}));

  *request.mutable_start_time() = ToProtoTimestamp(first);
  *request.mutable_end_time() = ToProtoTimestamp(first + absl::Hours(24 * 20));
  EXPECT_EQ(UsersOf(ListAll(request)),
            (std::vector<std::string>{"day-0", "day-10"}));  // end exclusive

  request.clear_end_time();  // to now
  EXPECT_EQ(UsersOf(ListAll(request)),
            (std::vector<std::string>{"day-0", "day-10", "day-20"}));
}

TEST_F(AuditRecordsTest, MergesContractsOldestFirstOnEveryPageSize) {
  // Interleaved across three contracts, some within one millisecond.
  std::vector<std::string> expected;
  const std::vector<std::string> contracts = {"c-b", "c-a", "c-c"};
  for (int i = 0; i < 24; ++i) {
    const std::string user = absl::StrCat("u", i);
    Report(By(user).In(contracts[(i * 7) % 3]));
    expected.push_back(user);
    if (i % 4 != 0) clock_.Advance(absl::Milliseconds(1));
  }
  for (int page_size : {1, 2, 3, 5, 24, 500}) {
    v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
    request.set_page_size(page_size);
    std::vector<v1::AuditEntry> entries = ListAll(request);
    std::vector<std::string> users = UsersOf(entries);
    // Within one millisecond the trail orders by contract, not by time.
    for (size_t i = 1; i < entries.size(); ++i) {
      EXPECT_LE(FromProtoTimestamp(entries[i - 1].time()),
                FromProtoTimestamp(entries[i].time()))
          << "page size " << page_size << " at " << i;
    }
    EXPECT_EQ(std::set<std::string>(users.begin(), users.end()),
              std::set<std::string>(expected.begin(), expected.end()))
        << "page size " << page_size;
    EXPECT_EQ(users.size(), expected.size()) << "page size " << page_size;
  }
}

TEST_F(AuditRecordsTest, AnotherOrganisationsTrailIsDenied) {
  Report(Access());
  const std::string denial =
      "the audit trail of organisations/prime-north is readable only by its "
      "own quality managers and admins";
  absl::StatusOr<v1::ListAuditEntriesResponse> response = records_.List(
      QualityManagerOf("partner-a"), Request("organisations/prime-north"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(response.status().message(), denial);

  // The same refusal for an organisation without a trail: nothing leaks.
  response = records_.List(QualityManagerOf("partner-a"),
                           Request("organisations/nobody-here"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied);

  // A caller the policy gave no scope is refused even for their own.
  auth::Caller unscoped("prime-north", "qm-1", type::v1::QUALITY_MANAGER);
  response = records_.List(unscoped, Request("organisations/prime-north"));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(AuditRecordsTest, EntriesOwnedByAnotherOrganisationNeverAppear) {
  Report(By("mine").OwnedBy("prime-north"));
  Report(By("theirs").About("p9").OwnedBy("sub-east").From("prime-north"));
  Report(By("theirs").In("south-2").OwnedBy("sub-east"));

  EXPECT_EQ(UsersOf(ListAll(Request("organisations/prime-north"))),
            (std::vector<std::string>{"mine"}));
  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_participant(ParticipantName("north-1", "p9"));
  EXPECT_TRUE(ListAll(request).empty());
  EXPECT_EQ(UsersOf(ListAll(Request("organisations/sub-east"), "sub-east")),
            (std::vector<std::string>{"theirs", "theirs"}));
}

TEST_F(AuditRecordsTest, DeniedAccessesAreListed) {
  Report(By("w1").From("partner-a").Denied());
  std::vector<v1::AuditEntry> entries =
      ListAll(Request("organisations/prime-north"));
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].outcome(), v1::DENIED);
  EXPECT_EQ(entries[0].reason(), "no live grant");
}

TEST_F(AuditRecordsTest, PageTokensResumeWhereThePageStopped) {
  for (int i = 0; i < 7; ++i) {
    Report(By(absl::StrCat("u", i)).In(i % 2 ? "north-1" : "south-2"));
    clock_.Advance(absl::Seconds(1));
  }
  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_page_size(3);
  absl::StatusOr<v1::ListAuditEntriesResponse> first =
      records_.List(QualityManagerOf("prime-north"), request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(
      UsersOf({first->audit_entries().begin(), first->audit_entries().end()}),
      (std::vector<std::string>{"u0", "u1", "u2"}));
  ASSERT_FALSE(first->next_page_token().empty());

  request.set_page_token(first->next_page_token());
  request.set_page_size(4);  // the size may change between pages
  absl::StatusOr<v1::ListAuditEntriesResponse> second =
      records_.List(QualityManagerOf("prime-north"), request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(
      UsersOf({second->audit_entries().begin(), second->audit_entries().end()}),
      (std::vector<std::string>{"u3", "u4", "u5", "u6"}));

  int pages = 0;
  request.clear_page_token();
  request.set_page_size(3);
  EXPECT_EQ(ListAll(request, "prime-north", &pages).size(), 7u);
  EXPECT_EQ(pages, 3);
}

TEST_F(AuditRecordsTest, APageTokenWorksOnlyForItsOwnQuery) {
  for (int i = 0; i < 3; ++i) Report(By(absl::StrCat("u", i)));
  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_page_size(1);
  absl::StatusOr<v1::ListAuditEntriesResponse> first =
      records_.List(QualityManagerOf("prime-north"), request);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());

  v1::ListAuditEntriesRequest other = request;
  other.set_actor_user("u1");
  other.set_page_token(first->next_page_token());
  EXPECT_TRUE(
      Names(records_.List(QualityManagerOf("prime-north"), other).status(),
            absl::StatusCode::kInvalidArgument, "page_token"));

  other = request;
  other.set_page_token("not-a-token");
  EXPECT_TRUE(
      Names(records_.List(QualityManagerOf("prime-north"), other).status(),
            absl::StatusCode::kInvalidArgument, "page_token"));
}

TEST_F(AuditRecordsTest, BadInputsNameTheirField) {
  const auth::Caller reader = QualityManagerOf("prime-north");
  auto status = [&](const v1::ListAuditEntriesRequest& request) {
    return records_.List(reader, request).status();
  };
  const absl::StatusCode invalid = absl::StatusCode::kInvalidArgument;
  EXPECT_TRUE(Names(status(Request("")), invalid, "parent"));
  EXPECT_TRUE(Names(status(Request("prime-north")), invalid, "parent"));
  EXPECT_TRUE(
      Names(status(Request("organisations/Prime North")), invalid, "parent"));

  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_participant("participants/p1");
  EXPECT_TRUE(Names(status(request), invalid, "participant"));
  request = Request("organisations/prime-north");
  request.set_actor_organisation("Partner A");
  EXPECT_TRUE(Names(status(request), invalid, "actor_organisation"));
  request = Request("organisations/prime-north");
  request.set_actor_user("a/b");
  EXPECT_TRUE(Names(status(request), invalid, "actor_user"));

  request = Request("organisations/prime-north");
  *request.mutable_start_time() =
      ToProtoTimestamp(clock_.Now() - absl::Hours(24 * 367));
  EXPECT_TRUE(Names(status(request), invalid, "start_time"));
  *request.mutable_end_time() =
      ToProtoTimestamp(clock_.Now() - absl::Hours(24 * 368));
  EXPECT_TRUE(Names(status(request), invalid, "end_time"));
  request.mutable_end_time()->set_nanos(-1);
  EXPECT_TRUE(Names(status(request), invalid, "end_time"));

  request = Request("organisations/prime-north");
  request.set_page_size(-1);
  EXPECT_TRUE(Names(status(request), invalid, "page_size"));
  request.set_page_size(kMaxPageSize + 1);
  EXPECT_TRUE(Names(status(request), invalid, "page_size"));
}

TEST_F(AuditRecordsTest, ASparseQueryReturnsShortPagesWithinItsBudget) {
  for (int i = 0; i < 300; ++i) {
    Report(By("busy").In(i % 2 ? "north-1" : "south-2"));
  }
  Report(By("rare"));
  v1::ListAuditEntriesRequest request = Request("organisations/prime-north");
  request.set_actor_user("rare");
  request.set_page_size(5);  // a call reads at most 50 entries
  absl::StatusOr<v1::ListAuditEntriesResponse> first =
      records_.List(QualityManagerOf("prime-north"), request);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->audit_entries_size(), 0);
  EXPECT_FALSE(first->next_page_token().empty());

  int pages = 0;
  EXPECT_EQ(UsersOf(ListAll(request, "prime-north", &pages)),
            (std::vector<std::string>{"rare"}));
  EXPECT_GE(pages, 300 / (kReadBudgetPages * 5));
}

TEST_F(AuditRecordsTest, AnEmptyTrailIsAnEmptyList) {
  absl::StatusOr<v1::ListAuditEntriesResponse> response = records_.List(
      QualityManagerOf("prime-north"), Request("organisations/prime-north"));
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->audit_entries_size(), 0);
  EXPECT_TRUE(response->next_page_token().empty());
}

TEST_F(AuditRecordsTest, AStoreThatIsDownIsUnavailable) {
  Report(Access());
  store_.SetUnavailable(true);
  EXPECT_EQ(records_
                .List(QualityManagerOf("prime-north"),
                      Request("organisations/prime-north"))
                .status()
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(records_.Ready().code(), absl::StatusCode::kUnavailable);
}

// The same merge over a real Redis, whose stream ids follow its own clock
// and whose exclusive ranges take the ids the merge computes (a later
// tenancy resumes from just before the cursor's id).
TEST(AuditRecordsOnRedisTest, MergesContractsOldestFirstPageByPage) {
  const char* address = std::getenv("EMPLOYABILITY_TEST_REDIS");
  ASSERT_NE(address, nullptr)
      << "EMPLOYABILITY_TEST_REDIS is not set: run the tests with ./test";
  auto options =
      storage::ParseRedisAddress("EMPLOYABILITY_TEST_REDIS", address);
  ASSERT_TRUE(options.ok());
  std::unique_ptr<storage::Store> store = storage::RedisStore::Create(*options);
  SystemClock clock;
  SequentialIdSource ids("a");
  storage::KeyHasher key_hasher("test-secret");
  AuditTrail trail(*store, clock, ids);
  AuditRecords records(*store, clock, key_hasher);
  // Names of their own per run: the registry is shared with other tests.
  const std::string run = absl::AsciiStrToLower(RandomIdSource(clock).NewId());
  const std::string owner = absl::StrCat("org-", run);

  std::vector<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    const std::string tenancy =
        storage::ContractTenancy(absl::StrCat("c", i % 3, "-", run));
    v1::AuditEntry entry = AuditEntryBy(
        auth::Caller(owner, absl::StrCat("u", i), type::v1::ADVISER));
    entry.set_action(v1::READ);
    entry.set_method(kGetParticipant);
    entry.set_record("contracts/c/participants/p");
    entry.set_owning_organisation(owner);
    entry.set_outcome(v1::ALLOWED);
    ASSERT_TRUE(trail.Record(tenancy, entry).ok());
    expected.push_back(absl::StrCat("u", i));
  }
  // The registry is shared with every other test's trails, and each page
  // reads a bounded slice of them: the period starts just before this
  // test's entries, and the walk may take many (mostly empty) pages.
  const absl::Time start = clock.Now() - absl::Minutes(1);
  for (int page_size : {2, 100}) {
    v1::ListAuditEntriesRequest request =
        Request(absl::StrCat("organisations/", owner));
    request.set_page_size(page_size);
    *request.mutable_start_time() = ToProtoTimestamp(start);
    std::vector<std::string> users;
    for (int page = 0; page < 5000; ++page) {
      auto response = records.List(QualityManagerOf(owner), request);
      ASSERT_TRUE(response.ok()) << response.status();
      for (const v1::AuditEntry& e : response->audit_entries()) {
        users.push_back(e.actor_user());
      }
      if (response->next_page_token().empty()) break;
      request.set_page_token(response->next_page_token());
    }
    // Appended one after another, so oldest first is the order appended,
    // except for entries the store stamped within one millisecond.
    EXPECT_EQ(std::set<std::string>(users.begin(), users.end()),
              std::set<std::string>(expected.begin(), expected.end()));
    EXPECT_EQ(users.size(), expected.size()) << "page size " << page_size;
  }
}

TEST(AuditPolicyTest, OnlyQualityManagersAndAdminsMayList) {
  absl::StatusOr<auth::AccessPolicy> policy =
      auth::AccessPolicy::Parse(AccessPolicyText());
  ASSERT_TRUE(policy.ok()) << policy.status();
  const std::string method =
      "/employability.audit.v1.AuditTrail/ListAuditEntries";
  EXPECT_TRUE(policy->Check(method, type::v1::QUALITY_MANAGER).ok());
  EXPECT_TRUE(policy->Check(method, type::v1::ORGANISATION_ADMIN).ok());
  for (type::v1::StaffRole role :
       {type::v1::ADVISER, type::v1::TEAM_LEADER, type::v1::CONTRACT_MANAGER,
        type::v1::COMMISSIONER_VIEWER}) {
    EXPECT_EQ(policy->Check(method, role).code(),
              absl::StatusCode::kPermissionDenied);
  }
  EXPECT_EQ(policy->ScopeOf(method), auth::v1::OWNING_ORGANISATION);
}

}  // namespace
}  // namespace employability::audit
