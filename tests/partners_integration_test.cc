// The partners service over real gRPC on loopback, against a real
// redis-server: the directory of organisations and staff users end to end,
// bad input named, idempotent retries (also racing ones), etags, paging,
// the staff status the identity layer reads, and the events on their
// streams.
//
// The harness's SuiteUnderTest hosts the partners module here. Every test
// works in organisations of its own (random ids), so tests running in
// parallel against the one Redis never see each other's staff; the
// directory of organisations is shared, so list checks look only for their
// own organisations.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/server/module.h"
#include "common/server/server.h"
#include "common/server/worker_pool.h"
#include "common/storage/keys.h"
#include "common/storage/redis_store.h"
#include "common/time/clock.h"
#include "employability/events/v1/events.pb.h"
#include "employability/partners/v1/partner_events.pb.h"
#include "employability/partners/v1/partners.grpc.pb.h"
#include "prometheus/registry.h"
#include "services/partners/partners_grpc.h"
#include "services/partners/staff_directory_client.h"
#include "tests/harness/directory_seed.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

namespace v1 = ::employability::partners::v1;
using ::employability::events::v1::EventEnvelope;
using test_harness::CallContext;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::UniqueId;
using Code = grpc::StatusCode;

constexpr char kPartnersService[] = "employability.partners.v1.Partners";

class PartnersIntegrationTest : public testing::Test {
 protected:
  void SetUp() override {
    test_harness::SuiteOptions options;
    options.modules = {partners::NewModule};
    options.metrics = false;
    absl::StatusOr<std::unique_ptr<test_harness::SuiteUnderTest>> server =
        test_harness::SuiteUnderTest::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    stub_ = v1::Partners::NewStub(server_->channel());
    ASSERT_NO_FATAL_FAILURE(BootstrapPrime());
  }

  // The prime provider every test onboards its organisations from, made as
  // the bootstrap command makes the first organisation: through the
  // directory, as a service, since no member of staff exists yet.
  void BootstrapPrime() {
    prime_ = UniqueId("prime");
    test_harness::DirectorySeed seed(server_->store());
    ASSERT_TRUE(seed.Organisation(OrganisationRequest(prime_)).ok());
  }

  // The prime's admin, who onboards organisations.
  TestCaller PrimeAdmin() const {
    return {prime_, "prime-admin", type::v1::ORGANISATION_ADMIN};
  }
  // An organisation's own admin, who manages its entry and staff.
  static TestCaller AdminOf(const std::string& organisation) {
    return {organisation, "admin", type::v1::ORGANISATION_ADMIN};
  }
  // A suite service calling on its own behalf (CheckStaffStatus).
  static std::unique_ptr<grpc::ClientContext> ServiceContext() {
    std::unique_ptr<grpc::ClientContext> context =
        test_harness::AnonymousContext();
    context->AddMetadata(
        "authorization",
        test_harness::TestServiceAuthorization("participants"));
    return context;
  }

  static v1::CreateOrganisationRequest OrganisationRequest(
      const std::string& id, v1::OrganisationType type = v1::PRIME_PROVIDER) {
    v1::CreateOrganisationRequest request;
    request.set_organisation_id(id);
    request.set_request_id(UniqueId("req"));
    v1::Organisation* o = request.mutable_organisation();
    o->set_display_name("Northern Works Ltd");
    o->set_type(type);
    o->mutable_contact()->set_email("office@northern-works.example");
    o->mutable_contact()->set_phone("0161 496 0018");
    o->add_areas_served("m1");
    o->add_areas_served("M2");
    return request;
  }

  static v1::CreateStaffUserRequest StaffRequest(
      const std::string& organisation, const std::string& user,
      type::v1::StaffRole role = type::v1::ADVISER) {
    v1::CreateStaffUserRequest request;
    request.set_parent(absl::StrCat("organisations/", organisation));
    request.set_staff_user_id(user);
    request.set_request_id(UniqueId("req"));
    v1::StaffUser* s = request.mutable_staff_user();
    s->set_display_name("Priya Shah");
    s->set_email("priya.shah@northern-works.example");
    s->set_role(role);
    s->set_team("team-a");
    return request;
  }

  // A new organisation with a random id; its id.
  std::string NewOrganisation(v1::OrganisationType type = v1::PRIME_PROVIDER) {
    const std::string id = UniqueId("org");
    v1::Organisation created;
    grpc::Status status =
        stub_->CreateOrganisation(CallContext(PrimeAdmin()).get(),
                                  OrganisationRequest(id, type), &created);
    EXPECT_TRUE(status.ok()) << test_harness::Describe(status);
    return id;
  }

  v1::StaffUser NewStaff(const std::string& organisation,
                         const std::string& user,
                         type::v1::StaffRole role = type::v1::ADVISER) {
    v1::StaffUser created;
    grpc::Status status = stub_->CreateStaffUser(
        CallContext(AdminOf(organisation)).get(),
        StaffRequest(organisation, user, role), &created);
    EXPECT_TRUE(status.ok()) << test_harness::Describe(status);
    return created;
  }

  grpc::Status SetOrganisationActive(const std::string& id, bool active) {
    v1::UpdateOrganisationRequest request;
    request.mutable_organisation()->set_name(
        absl::StrCat("organisations/", id));
    request.mutable_organisation()->set_active(active);
    request.mutable_update_mask()->add_paths("active");
    v1::Organisation updated;
    return stub_->UpdateOrganisation(CallContext(AdminOf(id)).get(), request,
                                     &updated);
  }

  grpc::Status CheckStatus(const std::string& name, v1::StaffStatus* out) {
    v1::CheckStaffStatusRequest request;
    request.set_name(name);
    return stub_->CheckStaffStatus(ServiceContext().get(), request, out);
  }

  // The events on a tenancy's stream about `aggregate` ("" for all).
  std::vector<EventEnvelope> Events(const std::string& tenancy,
                                    const std::string& aggregate = "") {
    storage::KeySpace keys(partners::kServiceKeyspace, tenancy);
    auto entries = server_->store().StreamRead(keys.Events(), "", 100000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::vector<EventEnvelope> events;
    if (!entries.ok()) return events;
    for (const storage::StreamEntry& entry : *entries) {
      EventEnvelope event;
      EXPECT_TRUE(event.ParseFromString(entry.payload));
      EXPECT_FALSE(absl::StrContains(entry.payload, "priya.shah"));
      EXPECT_FALSE(absl::StrContains(entry.payload, "Priya Shah"));
      EXPECT_FALSE(absl::StrContains(entry.payload, "office@"));
      if (aggregate.empty() || event.aggregate() == aggregate) {
        events.push_back(event);
      }
    }
    return events;
  }

  static std::vector<std::string> ShortTypes(
      const std::vector<EventEnvelope>& events) {
    std::vector<std::string> types;
    for (const EventEnvelope& event : events) {
      types.push_back(event.type().substr(event.type().rfind('.') + 1));
    }
    return types;
  }

  std::unique_ptr<test_harness::SuiteUnderTest> server_;
  std::unique_ptr<v1::Partners::Stub> stub_;
  std::string prime_;
};

TEST_F(PartnersIntegrationTest, ServesHealthAndRefusesAnAnonymousCaller) {
  EXPECT_TRUE(test_harness::WaitForHealth(
      server_->channel(), kPartnersService,
      grpc::health::v1::HealthCheckResponse::SERVING, absl::Seconds(5)));
  v1::GetOrganisationRequest request;
  request.set_name("organisations/anyone");
  v1::Organisation out;
  EXPECT_TRUE(
      StatusIs(stub_->GetOrganisation(test_harness::AnonymousContext().get(),
                                      request, &out),
               Code::UNAUTHENTICATED));
}

TEST_F(PartnersIntegrationTest, OrganisationLifecycle) {
  const std::string id = UniqueId("org");
  const std::string name = absl::StrCat("organisations/", id);
  v1::CreateOrganisationRequest request = OrganisationRequest(id);
  v1::Organisation created;
  ASSERT_TRUE(stub_
                  ->CreateOrganisation(CallContext(PrimeAdmin()).get(), request,
                                       &created)
                  .ok());
  EXPECT_EQ(created.name(), name);
  EXPECT_TRUE(created.active());
  EXPECT_EQ(created.etag(), "1");
  EXPECT_EQ(created.contact().phone(), "+441614960018");
  EXPECT_EQ(created.areas_served(0), "M1");

  // A retry replays; another request for the id finds it taken.
  v1::Organisation replayed;
  ASSERT_TRUE(stub_
                  ->CreateOrganisation(CallContext(PrimeAdmin()).get(), request,
                                       &replayed)
                  .ok());
  EXPECT_EQ(replayed.SerializeAsString(), created.SerializeAsString());
  request.set_request_id(UniqueId("req"));
  EXPECT_TRUE(StatusIs(stub_->CreateOrganisation(
                           CallContext(PrimeAdmin()).get(), request, &replayed),
                       Code::ALREADY_EXISTS, "organisation_id"));

  v1::GetOrganisationRequest get;
  get.set_name(name);
  v1::Organisation got;
  ASSERT_TRUE(stub_->GetOrganisation(CallContext().get(), get, &got).ok());
  EXPECT_EQ(got.SerializeAsString(), created.SerializeAsString());

  v1::UpdateOrganisationRequest update;
  *update.mutable_organisation() = created;
  update.mutable_organisation()->set_display_name("Northern Works Group");
  update.mutable_update_mask()->add_paths("display_name");
  v1::Organisation updated;
  ASSERT_TRUE(
      stub_
          ->UpdateOrganisation(CallContext(AdminOf(id)).get(), update, &updated)
          .ok());
  EXPECT_EQ(updated.display_name(), "Northern Works Group");
  EXPECT_EQ(updated.etag(), "2");
  // The etag of version 1 is stale now.
  EXPECT_TRUE(StatusIs(stub_->UpdateOrganisation(CallContext(AdminOf(id)).get(),
                                                 update, &updated),
                       Code::ABORTED, "organisation.etag"));

  EXPECT_EQ(
      ShortTypes(Events(partners::kDirectoryTenancy, name)),
      (std::vector<std::string>{"OrganisationCreated", "OrganisationUpdated"}));
}

TEST_F(PartnersIntegrationTest, BadInputIsNamed) {
  struct Case {
    std::string field;
    std::function<void(v1::CreateOrganisationRequest&)> change;
  };
  const std::vector<Case> cases = {
      {"organisation_id", [](auto& r) { r.set_organisation_id("No"); }},
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"organisation.display_name",
       [](auto& r) { r.mutable_organisation()->clear_display_name(); }},
      {"organisation.type",
       [](auto& r) { r.mutable_organisation()->clear_type(); }},
      {"organisation.contact.email",
       [](auto& r) {
         r.mutable_organisation()->mutable_contact()->set_email("x@");
       }},
      {"organisation.areas_served[1]",
       [](auto& r) { r.mutable_organisation()->set_areas_served(1, "M2 1"); }},
  };
  for (const Case& c : cases) {
    v1::CreateOrganisationRequest request =
        OrganisationRequest(UniqueId("org"));
    c.change(request);
    v1::Organisation out;
    EXPECT_TRUE(StatusIs(stub_->CreateOrganisation(
                             CallContext(PrimeAdmin()).get(), request, &out),
                         Code::INVALID_ARGUMENT, c.field));
  }
  const std::string organisation = NewOrganisation();
  v1::CreateStaffUserRequest staff = StaffRequest(organisation, "priya");
  staff.mutable_staff_user()->set_email("not an address");
  v1::StaffUser out;
  EXPECT_TRUE(
      StatusIs(stub_->CreateStaffUser(CallContext(AdminOf(organisation)).get(),
                                      staff, &out),
               Code::INVALID_ARGUMENT, "staff_user.email"));
  staff = StaffRequest(organisation, "priya", type::v1::COMMISSIONER_VIEWER);
  EXPECT_TRUE(
      StatusIs(stub_->CreateStaffUser(CallContext(AdminOf(organisation)).get(),
                                      staff, &out),
               Code::INVALID_ARGUMENT, "staff_user.role"));
}

TEST_F(PartnersIntegrationTest, StaffStatusFollowsDeactivation) {
  const std::string organisation = NewOrganisation();
  v1::StaffUser priya = NewStaff(organisation, "priya", type::v1::TEAM_LEADER);
  v1::StaffStatus status;
  ASSERT_TRUE(CheckStatus(priya.name(), &status).ok());
  EXPECT_TRUE(status.active());
  EXPECT_TRUE(status.organisation_active());
  EXPECT_EQ(status.role(), type::v1::TEAM_LEADER);
  EXPECT_EQ(status.team(), "team-a");

  v1::UpdateStaffUserRequest update;
  *update.mutable_staff_user() = priya;
  update.mutable_staff_user()->set_active(false);
  update.mutable_update_mask()->add_paths("active");
  v1::StaffUser updated;
  ASSERT_TRUE(stub_
                  ->UpdateStaffUser(CallContext(AdminOf(organisation)).get(),
                                    update, &updated)
                  .ok());
  ASSERT_TRUE(CheckStatus(priya.name(), &status).ok());
  EXPECT_FALSE(status.active());

  ASSERT_TRUE(SetOrganisationActive(organisation, false).ok());
  ASSERT_TRUE(CheckStatus(priya.name(), &status).ok());
  EXPECT_FALSE(status.organisation_active());
  v1::StaffUser refused;
  EXPECT_TRUE(StatusIs(
      stub_->CreateStaffUser(CallContext(AdminOf(organisation)).get(),
                             StaffRequest(organisation, "sam"), &refused),
      Code::FAILED_PRECONDITION, "parent"));

  EXPECT_TRUE(StatusIs(
      CheckStatus(absl::StrCat("organisations/", organisation, "/staff/nobody"),
                  &status),
      Code::NOT_FOUND));
  EXPECT_EQ(ShortTypes(Events(storage::OrganisationTenancy(organisation))),
            (std::vector<std::string>{"StaffUserCreated", "StaffUserUpdated"}));
}

TEST_F(PartnersIntegrationTest, StaffAreManagedOnlyFromInside) {
  const std::string north = NewOrganisation(v1::SUB_CONTRACTOR);
  const std::string east = NewOrganisation(v1::PARTNER_AGENCY);
  NewStaff(east, "omar");
  v1::StaffUser out;
  // Another organisation's admin: the role may create staff, the scope
  // keeps them to their own organisation.
  EXPECT_TRUE(StatusIs(stub_->CreateStaffUser(CallContext(AdminOf(north)).get(),
                                              StaffRequest(east, "eve"), &out),
                       Code::PERMISSION_DENIED,
                       absl::StrCat("organisations/", east)));
  // Reading another organisation's staff says the same for a user who
  // exists and one who does not.
  v1::GetStaffUserRequest get;
  get.set_name(absl::StrCat("organisations/", east, "/staff/omar"));
  const grpc::Status exists =
      stub_->GetStaffUser(CallContext(AdminOf(north)).get(), get, &out);
  get.set_name(absl::StrCat("organisations/", east, "/staff/nobody"));
  const grpc::Status missing =
      stub_->GetStaffUser(CallContext(AdminOf(north)).get(), get, &out);
  EXPECT_EQ(exists.error_code(), Code::PERMISSION_DENIED);
  EXPECT_EQ(missing.error_code(), Code::PERMISSION_DENIED);
  EXPECT_EQ(exists.error_message(), missing.error_message());
  // An adviser may not create staff at all; a sub-contractor's admin may
  // not onboard organisations.
  EXPECT_TRUE(StatusIs(
      stub_->CreateStaffUser(CallContext({north, "adviser-1"}).get(),
                             StaffRequest(north, "eve"), &out),
      Code::PERMISSION_DENIED, "ADVISER may not call CreateStaffUser"));
  v1::Organisation organisation;
  EXPECT_TRUE(StatusIs(stub_->CreateOrganisation(
                           CallContext(AdminOf(north)).get(),
                           OrganisationRequest(UniqueId("org")), &organisation),
                       Code::PERMISSION_DENIED));
}

TEST_F(PartnersIntegrationTest, RacingRetriesCreateOnce) {
  const std::string organisation = NewOrganisation();
  const v1::CreateStaffUserRequest request =
      StaffRequest(organisation, "priya");
  constexpr int kCallers = 8;
  std::vector<v1::StaffUser> results(kCallers);
  std::vector<grpc::Status> statuses(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      statuses[i] = stub_->CreateStaffUser(
          CallContext(AdminOf(organisation)).get(), request, &results[i]);
    });
  }
  for (std::thread& caller : callers) caller.join();
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << test_harness::Describe(statuses[i]);
    EXPECT_EQ(results[i].SerializeAsString(), results[0].SerializeAsString());
  }
  EXPECT_EQ(Events(storage::OrganisationTenancy(organisation)).size(), 1u);
}

TEST_F(PartnersIntegrationTest, ListsPageThroughStaffAndOrganisations) {
  const std::string organisation = NewOrganisation();
  std::vector<std::string> want;
  for (int i = 0; i < 12; ++i) {
    const std::string user = absl::StrCat("user-", 10 + i);
    NewStaff(organisation, user,
             i % 3 == 0 ? type::v1::QUALITY_MANAGER : type::v1::ADVISER);
    want.push_back(user);
  }
  v1::ListStaffUsersRequest request;
  request.set_parent(absl::StrCat("organisations/", organisation));
  request.set_page_size(5);
  std::vector<std::string> seen;
  int pages = 0;
  do {
    v1::ListStaffUsersResponse page;
    ASSERT_TRUE(stub_
                    ->ListStaffUsers(CallContext(AdminOf(organisation)).get(),
                                     request, &page)
                    .ok());
    for (const v1::StaffUser& s : page.staff_users()) {
      seen.push_back(s.name().substr(s.name().rfind('/') + 1));
    }
    request.set_page_token(page.next_page_token());
    ++pages;
  } while (!request.page_token().empty() && pages < 10);
  EXPECT_EQ(seen, want);
  EXPECT_EQ(pages, 3);

  request.clear_page_token();
  request.set_page_size(0);
  request.set_role(type::v1::QUALITY_MANAGER);
  v1::ListStaffUsersResponse managers;
  ASSERT_TRUE(stub_
                  ->ListStaffUsers(CallContext(AdminOf(organisation)).get(),
                                   request, &managers)
                  .ok());
  EXPECT_EQ(managers.staff_users_size(), 4);

  // The directory is shared: look for this test's commissioners among all.
  std::set<std::string> mine = {NewOrganisation(v1::COMMISSIONER),
                                NewOrganisation(v1::COMMISSIONER)};
  v1::ListOrganisationsRequest list;
  list.set_type(v1::COMMISSIONER);
  list.set_active(true);
  list.set_page_size(2);
  std::vector<std::string> found;
  std::string previous;
  pages = 0;
  do {
    v1::ListOrganisationsResponse page;
    ASSERT_TRUE(
        stub_->ListOrganisations(CallContext().get(), list, &page).ok());
    for (const v1::Organisation& o : page.organisations()) {
      EXPECT_EQ(o.type(), v1::COMMISSIONER);
      EXPECT_LT(previous, o.name());  // in order of id, each once
      previous = o.name();
      const std::string id = o.name().substr(o.name().rfind('/') + 1);
      if (mine.count(id) > 0) found.push_back(id);
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty() && ++pages < 100000);
  EXPECT_EQ(std::set<std::string>(found.begin(), found.end()), mine);
  EXPECT_EQ(found.size(), mine.size());
}

TEST_F(PartnersIntegrationTest, StreamsAreRegisteredForConsumers) {
  const std::string organisation = NewOrganisation();
  NewStaff(organisation, "priya");
  auto streams = server_->store().IndexRange(
      storage::StreamRegistry(partners::kServiceKeyspace), "", 100000);
  ASSERT_TRUE(streams.ok()) << streams.status();
  const std::set<std::string> registered(streams->begin(), streams->end());
  EXPECT_EQ(
      registered.count(
          storage::KeySpace(partners::kServiceKeyspace, "global").Events()),
      1u);
  EXPECT_EQ(registered.count(
                storage::KeySpace(partners::kServiceKeyspace,
                                  storage::OrganisationTenancy(organisation))
                    .Events()),
            1u);
  std::vector<EventEnvelope> events =
      Events(storage::OrganisationTenancy(organisation));
  ASSERT_EQ(events.size(), 1u);
  v1::StaffUserCreated created;
  ASSERT_TRUE(events[0].payload().UnpackTo(&created));
  EXPECT_EQ(created.facts().role(), type::v1::ADVISER);
  EXPECT_EQ(events[0].acting_organisation(), organisation);  // its admin
  EXPECT_EQ(events[0].acting_user(), "admin");
}

}  // namespace
}  // namespace employability

namespace employability {
namespace {

// The identity this process's calls carry: a "participants" service token
// signed with the suite's test key.
const server::OutgoingIdentity& ServiceIdentity() {
  static const SystemClock* clock = new SystemClock();
  static const server::OutgoingIdentity* identity = [] {
    absl::StatusOr<auth::TokenIssuer> issuer = auth::TokenIssuer::Create(
        test_harness::TestTokenSettings(), test_harness::TestTokenKey());
    return new server::OutgoingIdentity(
        server::TlsIdentity(), std::make_unique<auth::ServiceToken>(
                                   *std::move(issuer), "participants", *clock));
  }();
  return *identity;
}

TEST_F(PartnersIntegrationTest,
       TheStaffDirectoryClientAnswersTheIdentityLayer) {
  const std::string organisation = NewOrganisation();
  NewStaff(organisation, "priya", type::v1::TEAM_LEADER);
  partners::StaffDirectoryClient client(server_->channel(), ServiceIdentity());
  auto standing = client.Standing(organisation, "priya");
  ASSERT_TRUE(standing.ok()) << standing.status();
  EXPECT_TRUE(standing->active);
  EXPECT_TRUE(standing->organisation_active);
  EXPECT_EQ(standing->role, type::v1::TEAM_LEADER);
  EXPECT_EQ(client.Standing(organisation, "nobody").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(SetOrganisationActive(organisation, false).ok());
  standing = client.Standing(organisation, "priya");
  ASSERT_TRUE(standing.ok()) << standing.status();
  EXPECT_FALSE(standing->organisation_active);

  // A directory that does not answer is UNAVAILABLE within the deadline:
  // the authenticator then fails closed.
  partners::StaffDirectoryClient nowhere(
      test_harness::NewTestChannel("127.0.0.1:1"), ServiceIdentity(),
      absl::Milliseconds(200));
  const absl::Time start = absl::Now();
  EXPECT_EQ(nowhere.Standing(organisation, "priya").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace employability
