// Unit tests of the service directory's rules, on the in-memory store.
#include "services/partners/service_directory.h"

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/events/event_log.h"
#include "common/storage/forwarding_store.h"
#include "common/storage/memory_store.h"
#include "gtest/gtest.h"

namespace employability::partners {
namespace {

using v1::DirectoryService;
using v1::ServiceLocation;

// Success when `status` has `code` and a message that names `field` first:
// "<field>: <problem>" or "<field> is required".
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

// Holds the in-memory store, so that it exists before the forwarding base
// that uses it (bases are built in the order they are listed).
struct MemoryHolder {
  explicit MemoryHolder(const Clock& clock) : memory(clock) {}
  storage::MemoryStore memory;
};

// The in-memory store, keeping every batch that committed: the tests look
// at what went into one atomic write.
class RecordingStore final : private MemoryHolder,
                             public storage::ForwardingStore {
 public:
  explicit RecordingStore(const Clock& clock)
      : MemoryHolder(clock), ForwardingStore(memory) {}

  absl::StatusOr<storage::BatchResult> Commit(
      const storage::Batch& batch) override {
    absl::StatusOr<storage::BatchResult> result =
        ForwardingStore::Commit(batch);
    if (result.ok() && result->committed) committed.push_back(batch);
    return result;
  }

  std::vector<storage::Batch> committed;
};

// A service on its own behalf: reaches every service, so that most tests are
// about the directory's data. Reach as staff is tested on its own below.
auth::Caller ServiceCaller(const std::string& organisation) {
  auth::Caller caller;
  caller.organisation = organisation;
  caller.service = "suite";
  return caller;
}

auth::Caller StaffCaller(
    const std::string& organisation, const std::string& user,
    auth::v1::Scope scope = auth::v1::OWNING_ORGANISATION) {
  auth::Caller caller(organisation, user, type::v1::ORGANISATION_ADMIN);
  caller.scope = scope;
  return caller;
}

class ServiceDirectoryTest : public testing::Test {
 protected:
  ServiceDirectoryTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0),
                               absl::UTCTimeZone())),
        store_(clock_),
        organisations_(store_, clock_, ids_, key_hasher_),
        directory_(store_, clock_, ids_, organisations_) {
    CreateOrganisation("agency-1");
    CreateOrganisation("agency-2");
    CreateOrganisation("agency-3");
  }

  void CreateOrganisation(const std::string& id) {
    v1::CreateOrganisationRequest request;
    request.set_organisation_id(id);
    request.set_request_id(absl::StrCat("org-", id));
    request.mutable_organisation()->set_display_name("Salford Housing Trust");
    request.mutable_organisation()->set_type(v1::PARTNER_AGENCY);
    ASSERT_TRUE(organisations_.CreateOrganisation(admin_, request).ok());
  }

  void SetOrganisationActive(const std::string& id, bool active) {
    v1::UpdateOrganisationRequest request;
    request.mutable_organisation()->set_name(
        absl::StrCat("organisations/", id));
    request.mutable_organisation()->set_active(active);
    request.mutable_update_mask()->add_paths("active");
    ASSERT_TRUE(organisations_.UpdateOrganisation(admin_, request).ok());
  }

  static v1::CreateServiceRequest ServiceRequest(
      const std::string& organisation, const std::string& id,
      const std::string& request_id) {
    v1::CreateServiceRequest request;
    request.set_parent(absl::StrCat("organisations/", organisation));
    request.set_service_id(id);
    request.set_request_id(request_id);
    DirectoryService* s = request.mutable_service();
    s->set_display_name("Housing advice");
    s->set_description("Help to find and keep a home.");
    s->set_eligibility("Adults on the programme at risk of homelessness.");
    s->set_referral_criteria("Consent to share housing history.");
    s->add_needs("housing");
    s->add_needs(" Debt ");
    s->add_needs("housing");
    s->add_areas("m1");
    s->add_areas("M3");
    ServiceLocation* hub = s->add_locations();
    hub->set_name("Salford hub");
    hub->add_address_lines("1 Chapel Street");
    hub->set_postcode("m3 5ju");
    hub->set_delivery_mode(ServiceLocation::IN_PERSON);
    s->add_locations()->set_delivery_mode(ServiceLocation::REMOTE);
    s->mutable_capacity()->set_places_available(5);
    s->mutable_capacity()->set_waiting_time_days(10);
    s->set_accepting_referrals(true);
    return request;
  }

  // A service in the given areas meeting the given needs, with its room.
  DirectoryService CreateService(const std::string& organisation,
                                 const std::string& id,
                                 std::vector<std::string> areas,
                                 std::vector<std::string> needs, int places,
                                 int waiting_days, bool accepting = true,
                                 const std::string& display_name = "") {
    v1::CreateServiceRequest request = ServiceRequest(
        organisation, id, absl::StrCat("req-", organisation, "-", id));
    DirectoryService* s = request.mutable_service();
    s->clear_areas();
    for (const std::string& area : areas) s->add_areas(area);
    s->clear_needs();
    for (const std::string& need : needs) s->add_needs(need);
    s->mutable_capacity()->set_places_available(places);
    s->mutable_capacity()->set_waiting_time_days(waiting_days);
    s->set_accepting_referrals(accepting);
    s->set_display_name(display_name.empty() ? id : display_name);
    absl::StatusOr<DirectoryService> created =
        directory_.CreateService(admin_, request);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : DirectoryService();
  }

  absl::StatusOr<DirectoryService> Get(const std::string& name) {
    v1::GetServiceRequest request;
    request.set_name(name);
    return directory_.GetService(admin_, request);
  }

  static v1::UpdateServiceCapacityRequest CapacityRequest(
      const std::string& name, int places, int waiting_days) {
    v1::UpdateServiceCapacityRequest request;
    request.set_name(name);
    request.set_places_available(places);
    request.set_waiting_time_days(waiting_days);
    return request;
  }

  // Every event on the directory's stream, oldest first.
  std::vector<events::v1::EventEnvelope> Envelopes() {
    storage::KeySpace keys(kServiceKeyspace, kDirectoryTenancy);
    auto entries = store_.StreamRead(keys.Events(), "", 10000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::vector<events::v1::EventEnvelope> envelopes;
    if (!entries.ok()) return envelopes;
    for (const storage::StreamEntry& entry : *entries) {
      auto envelope = events::ParseEnvelope(entry.payload);
      EXPECT_TRUE(envelope.ok()) << envelope.status();
      // Only the service directory's own: organisations share the stream.
      if (envelope.ok() &&
          absl::StrContains(envelope->aggregate(), "/services/")) {
        envelopes.push_back(*envelope);
      }
    }
    return envelopes;
  }

  // Every page of a search, in order, as service ids.
  std::vector<std::string> SearchIds(v1::SearchServicesRequest request,
                                     int* pages = nullptr) {
    std::vector<std::string> ids;
    std::string token;
    int count = 0;
    do {
      request.set_page_token(token);
      absl::StatusOr<v1::SearchServicesResponse> page =
          directory_.SearchServices(reader_, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || ++count > 100) break;
      for (const DirectoryService& s : page->services()) {
        ids.push_back(s.name().substr(s.name().rfind('/') + 1));
      }
      token = page->next_page_token();
    } while (!token.empty());
    if (pages != nullptr) *pages = count;
    return ids;
  }

  std::vector<std::string> ListIds(v1::ListServicesRequest request,
                                   int* pages = nullptr) {
    std::vector<std::string> names;
    std::string token;
    int count = 0;
    do {
      request.set_page_token(token);
      absl::StatusOr<v1::ListServicesResponse> page =
          directory_.ListServices(reader_, request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || ++count > 100) break;
      for (const DirectoryService& s : page->services()) {
        names.push_back(s.name());
      }
      token = page->next_page_token();
    } while (!token.empty());
    if (pages != nullptr) *pages = count;
    return names;
  }

  FakeClock clock_;
  SequentialIdSource ids_{"e"};
  RecordingStore store_;
  storage::KeyHasher key_hasher_{"test-secret"};
  OrganisationDirectory organisations_;
  ServiceDirectory directory_;
  auth::Caller admin_ = ServiceCaller("prime-north");
  // An adviser of another organisation, as the policy admits them to read.
  auth::Caller reader_ = StaffCaller("prime-north", "adviser-1", auth::v1::ANY);
};

// ---- Names

TEST(ServiceNameTest, ParsesAndPrints) {
  absl::StatusOr<ServiceName> name =
      ParseServiceName("name", "organisations/agency-1/services/housing-1");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->organisation, "agency-1");
  EXPECT_EQ(name->service, "housing-1");
  EXPECT_EQ(name->str(), "organisations/agency-1/services/housing-1");
  EXPECT_EQ(name->member(), "agency-1/housing-1");
  for (const std::string bad : {"", "agency-1", "organisations/agency-1",
                                "organisations/agency-1/"
                                "services/",
                                "organisations/ab/services/x",
                                "organisations/agency-1/"
                                "staff/x",
                                "organisations/agency-1/services/Housing",
                                "contracts/agency-1/services/x"}) {
    EXPECT_TRUE(Names(ParseServiceName("name", bad).status(),
                      absl::StatusCode::kInvalidArgument, "name"))
        << bad;
  }
}

// ---- Create

TEST_F(ServiceDirectoryTest, CreateNormalisesAndSetsOutputFields) {
  v1::CreateServiceRequest request =
      ServiceRequest("agency-1", "housing-1", "r1");
  request.mutable_service()->set_name("organisations/other/services/x");
  request.mutable_service()->mutable_capacity()->set_updated_by("someone");
  absl::StatusOr<DirectoryService> s =
      directory_.CreateService(StaffCaller("agency-1", "admin-1"), request);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name(), "organisations/agency-1/services/housing-1");
  EXPECT_EQ(s->etag(), "1");
  EXPECT_EQ(std::vector<std::string>(s->needs().begin(), s->needs().end()),
            (std::vector<std::string>{"housing", "debt"}));
  EXPECT_EQ(std::vector<std::string>(s->areas().begin(), s->areas().end()),
            (std::vector<std::string>{"M1", "M3"}));
  EXPECT_EQ(s->locations(0).postcode(), "M3 5JU");
  EXPECT_EQ(s->create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(s->capacity().update_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(s->capacity().updated_by(), "organisations/agency-1/staff/admin-1");
  EXPECT_EQ(s->capacity().places_available(), 5);
  absl::StatusOr<DirectoryService> got = Get(s->name());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), s->SerializeAsString());
}

TEST_F(ServiceDirectoryTest, CreateNamesEveryBadFieldAndStoresNothing) {
  using Change = std::function<void(v1::CreateServiceRequest&)>;
  const auto service = [](v1::CreateServiceRequest& r) {
    return r.mutable_service();
  };
  const std::vector<std::pair<std::string, Change>> cases = {
      {"parent", [](auto& r) { r.clear_parent(); }},
      {"parent", [](auto& r) { r.set_parent("agency-1"); }},
      {"service_id", [](auto& r) { r.clear_service_id(); }},
      {"service_id", [](auto& r) { r.set_service_id("Housing_1"); }},
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"service", [](auto& r) { r.clear_service(); }},
      {"service.display_name",
       [&](auto& r) { service(r)->clear_display_name(); }},
      {"service.display_name",
       [&](auto& r) { service(r)->set_display_name(std::string(201, 'a')); }},
      {"service.description",
       [&](auto& r) { service(r)->set_description(std::string(4001, 'a')); }},
      {"service.eligibility",
       [&](auto& r) { service(r)->set_eligibility("a\x01"); }},
      {"service.referral_criteria",
       [&](auto& r) {
         service(r)->set_referral_criteria(std::string(2001, 'a'));
       }},
      {"service.needs", [&](auto& r) { service(r)->clear_needs(); }},
      {"service.needs[1]",
       [&](auto& r) { service(r)->set_needs(1, "no way"); }},
      {"service.areas", [&](auto& r) { service(r)->clear_areas(); }},
      {"service.areas[1]",
       [&](auto& r) { service(r)->set_areas(1, "M1 1AE"); }},
      {"service.locations[0].postcode",
       [&](auto& r) { service(r)->mutable_locations(0)->clear_postcode(); }},
      {"service.locations[0].postcode",
       [&](auto& r) {
         service(r)->mutable_locations(0)->set_postcode("QQ1 1AA");
       }},
      {"service.locations[1].delivery_mode",
       [&](auto& r) {
         service(r)->mutable_locations(1)->clear_delivery_mode();
       }},
      {"service.locations[1].delivery_mode",
       [&](auto& r) {
         service(r)->mutable_locations(1)->set_delivery_mode(
             static_cast<ServiceLocation::DeliveryMode>(9));
       }},
      {"service.locations[0].address_lines[0]",
       [&](auto& r) {
         service(r)->mutable_locations(0)->set_address_lines(0, "");
       }},
      {"service.locations[0].address_lines",
       [&](auto& r) {
         for (int i = 0; i < 4; ++i)
           service(r)->mutable_locations(0)->add_address_lines("Line");
       }},
      {"service.locations",
       [&](auto& r) {
         for (int i = 0; i < kMaxServiceLocations; ++i)
           service(r)->add_locations()->set_delivery_mode(
               ServiceLocation::REMOTE);
       }},
      {"service.capacity.places_available",
       [&](auto& r) {
         service(r)->mutable_capacity()->set_places_available(-1);
       }},
      {"service.capacity.waiting_time_days",
       [&](auto& r) {
         service(r)->mutable_capacity()->set_waiting_time_days(-3);
       }},
  };
  for (const auto& [field, change] : cases) {
    v1::CreateServiceRequest request =
        ServiceRequest("agency-1", "housing-1", "r1");
    change(request);
    EXPECT_TRUE(Names(directory_.CreateService(admin_, request).status(),
                      absl::StatusCode::kInvalidArgument, field))
        << field;
  }
  EXPECT_TRUE(Envelopes().empty());
  EXPECT_TRUE(absl::IsNotFound(
      Get("organisations/agency-1/services/housing-1").status()));
}

TEST_F(ServiceDirectoryTest, CreateReplaysARetryOnce) {
  v1::CreateServiceRequest request =
      ServiceRequest("agency-1", "housing-1", "r1");
  absl::StatusOr<DirectoryService> first =
      directory_.CreateService(admin_, request);
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Minutes(5));
  absl::StatusOr<DirectoryService> again =
      directory_.CreateService(admin_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(Envelopes().size(), 1u);
  // The same request id for another body is refused.
  v1::CreateServiceRequest other = ServiceRequest("agency-1", "debt-1", "r1");
  EXPECT_TRUE(Names(directory_.CreateService(admin_, other).status(),
                    absl::StatusCode::kInvalidArgument, "request_id"));
  // A request id of an organisation create is another namespace.
  v1::CreateServiceRequest reused =
      ServiceRequest("agency-1", "debt-1", "org-agency-1");
  EXPECT_TRUE(directory_.CreateService(admin_, reused).ok());
}

TEST_F(ServiceDirectoryTest, CreateRefusesATakenIdAndAMissingOrInactiveOrg) {
  CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 1, 1);
  EXPECT_TRUE(Names(
      directory_
          .CreateService(admin_, ServiceRequest("agency-1", "housing-1", "r2"))
          .status(),
      absl::StatusCode::kAlreadyExists, "service_id"));
  EXPECT_TRUE(Names(
      directory_
          .CreateService(admin_, ServiceRequest("nowhere", "housing-1", "r3"))
          .status(),
      absl::StatusCode::kNotFound, "parent"));
  SetOrganisationActive("agency-2", false);
  EXPECT_TRUE(Names(
      directory_
          .CreateService(admin_, ServiceRequest("agency-2", "housing-1", "r4"))
          .status(),
      absl::StatusCode::kFailedPrecondition, "parent"));
  EXPECT_EQ(Envelopes().size(), 1u);
}

TEST_F(ServiceDirectoryTest, CreateWritesRecordIndexesAndEventInOneBatch) {
  store_.committed.clear();
  DirectoryService s = CreateService("agency-1", "housing-1", {"M1", "M3"},
                                     {"housing", "debt"}, 4, 7);
  // One atomic write in the directory's tenancy (registering the stream
  // for consumers is a write of its own, outside any tenancy).
  std::vector<storage::Batch> writes;
  for (const storage::Batch& batch : store_.committed) {
    if (storage::HashTag(batch.steps()[0].key) == "global") {
      writes.push_back(batch);
    }
  }
  ASSERT_EQ(writes.size(), 1u);
  std::set<std::string> keys;
  int streams = 0;
  for (const storage::Batch::Step& step : writes[0].steps()) {
    keys.insert(absl::StrCat(step.key, "|", step.member));
    if (step.op == storage::Batch::Op::kStreamAppend) ++streams;
  }
  EXPECT_EQ(streams, 1);
  const std::string prefix = "employability:{global}:partners:";
  for (const std::string want :
       {"service:agency-1:housing-1|", "index:services|agency-1/housing-1",
        "index:services-of:agency-1|agency-1/housing-1",
        "index:service-area:M1|agency-1/housing-1",
        "index:service-area:M3|agency-1/housing-1",
        "index:service-need:housing|agency-1/housing-1",
        "index:service-need:debt|agency-1/housing-1", "events|"}) {
    EXPECT_EQ(keys.count(prefix + want), 1u) << want;
  }

  std::vector<events::v1::EventEnvelope> events = Envelopes();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].aggregate(), s.name());
  EXPECT_EQ(events[0].aggregate_version(), 1);
  v1::DirectoryServiceCreated created;
  ASSERT_TRUE(events[0].payload().UnpackTo(&created));
  EXPECT_EQ(created.facts().service(), s.name());
  EXPECT_EQ(created.facts().organisation(), "organisations/agency-1");
  EXPECT_EQ(created.facts().needs_size(), 2);
  EXPECT_EQ(created.facts().areas_size(), 2);
  EXPECT_EQ(created.facts().places_available(), 4);
  EXPECT_EQ(created.facts().waiting_time_days(), 7);
  EXPECT_TRUE(created.facts().accepting_referrals());
  // Addresses and free text stay out of events.
  const std::string bytes = events[0].SerializeAsString();
  EXPECT_FALSE(absl::StrContains(bytes, "Chapel Street"));
  EXPECT_FALSE(absl::StrContains(bytes, "M3 5JU"));
  EXPECT_FALSE(absl::StrContains(bytes, "Help to find"));
}

// ---- Get and list

TEST_F(ServiceDirectoryTest, GetNamesABadOrMissingName) {
  EXPECT_TRUE(Names(Get("organisations/agency-1").status(),
                    absl::StatusCode::kInvalidArgument, "name"));
  EXPECT_TRUE(Names(Get("organisations/agency-1/services/nothing").status(),
                    absl::StatusCode::kNotFound, "name"));
}

TEST_F(ServiceDirectoryTest, ListPagesOneOrganisationOrAll) {
  for (int i = 0; i < 5; ++i) {
    CreateService("agency-1", absl::StrCat("s", i), {"M1"}, {"housing"}, 1, 1);
  }
  CreateService("agency-2", "s9", {"M1"}, {"housing"}, 1, 1);
  v1::ListServicesRequest request;
  request.set_parent("organisations/agency-1");
  request.set_page_size(2);
  int pages = 0;
  std::vector<std::string> names = ListIds(request, &pages);
  EXPECT_EQ(names.size(), 5u);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names.front(), "organisations/agency-1/services/s0");
  request.set_parent("organisations/-");
  names = ListIds(request);
  ASSERT_EQ(names.size(), 6u);
  EXPECT_EQ(names.back(), "organisations/agency-2/services/s9");

  request.set_parent("organisations/nowhere");
  EXPECT_TRUE(Names(directory_.ListServices(reader_, request).status(),
                    absl::StatusCode::kNotFound, "parent"));
  // A token is for the query it came from.
  request.set_parent("organisations/agency-1");
  request.set_page_token("");
  absl::StatusOr<v1::ListServicesResponse> first =
      directory_.ListServices(reader_, request);
  ASSERT_TRUE(first.ok());
  request.set_parent("organisations/-");
  request.set_page_token(first->next_page_token());
  EXPECT_TRUE(Names(directory_.ListServices(reader_, request).status(),
                    absl::StatusCode::kInvalidArgument, "page_token"));
}

// ---- Update

TEST_F(ServiceDirectoryTest, UpdateChangesMaskedFieldsAndReindexes) {
  DirectoryService s =
      CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 3, 5);
  clock_.Advance(absl::Hours(1));
  v1::UpdateServiceRequest request;
  *request.mutable_service() = s;
  request.mutable_service()->clear_areas();
  request.mutable_service()->add_areas("ls1");
  request.mutable_service()->add_needs("skills");
  request.mutable_service()->set_display_name("Ignored");  // not masked
  request.mutable_service()->mutable_capacity()->set_places_available(99);
  request.mutable_update_mask()->add_paths("areas");
  request.mutable_update_mask()->add_paths("needs");
  absl::StatusOr<DirectoryService> updated =
      directory_.UpdateService(admin_, request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->display_name(), "housing-1");
  EXPECT_EQ(updated->capacity().places_available(), 3);
  EXPECT_EQ(updated->areas(0), "LS1");
  EXPECT_EQ(updated->update_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));

  v1::SearchServicesRequest search;
  search.set_area("M1");
  EXPECT_TRUE(SearchIds(search).empty());
  search.set_area("LS1");
  EXPECT_EQ(SearchIds(search), std::vector<std::string>{"housing-1"});
  search.clear_area();
  search.set_need("skills");
  EXPECT_EQ(SearchIds(search), std::vector<std::string>{"housing-1"});

  std::vector<events::v1::EventEnvelope> events = Envelopes();
  ASSERT_EQ(events.size(), 2u);
  v1::DirectoryServiceUpdated event;
  ASSERT_TRUE(events[1].payload().UnpackTo(&event));
  EXPECT_EQ(events[1].aggregate_version(), 2);
  EXPECT_EQ(std::vector<std::string>(event.changed_fields().begin(),
                                     event.changed_fields().end()),
            (std::vector<std::string>{"areas", "needs"}));
}

TEST_F(ServiceDirectoryTest, UpdateRefusesAStaleEtagAndBadPaths) {
  DirectoryService s =
      CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 3, 5);
  v1::UpdateServiceRequest request;
  *request.mutable_service() = s;
  request.mutable_service()->set_display_name("Housing first");
  request.mutable_update_mask()->add_paths("display_name");
  ASSERT_TRUE(directory_.UpdateService(admin_, request).ok());
  request.mutable_service()->set_display_name("Housing second");  // etag "1"
  EXPECT_TRUE(Names(directory_.UpdateService(admin_, request).status(),
                    absl::StatusCode::kAborted, "service.etag"));
  request.mutable_service()->clear_etag();  // the caller asks to overwrite
  absl::StatusOr<DirectoryService> updated =
      directory_.UpdateService(admin_, request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), "3");

  request.mutable_update_mask()->set_paths(0, "capacity");
  EXPECT_TRUE(Names(directory_.UpdateService(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "update_mask"));
  request.mutable_update_mask()->set_paths(0, "areas");
  request.mutable_service()->clear_areas();
  EXPECT_TRUE(Names(directory_.UpdateService(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "service.areas"));
  // Unchanged values write nothing.
  request.mutable_service()->add_areas("m1");
  absl::StatusOr<DirectoryService> same =
      directory_.UpdateService(admin_, request);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->etag(), "3");
  EXPECT_EQ(Envelopes().size(), 3u);
}

// ---- Capacity

TEST_F(ServiceDirectoryTest, CapacityReportIsOneWriteWithItsEvent) {
  DirectoryService s =
      CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 3, 5);
  clock_.Advance(absl::Hours(2));
  v1::UpdateServiceCapacityRequest request = CapacityRequest(s.name(), 0, 21);
  request.set_accepting_referrals(false);
  store_.committed.clear();
  absl::StatusOr<DirectoryService> updated = directory_.UpdateServiceCapacity(
      StaffCaller("agency-1", "coordinator-1"), request);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->capacity().places_available(), 0);
  EXPECT_EQ(updated->capacity().waiting_time_days(), 21);
  EXPECT_FALSE(updated->accepting_referrals());
  EXPECT_EQ(updated->capacity().update_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(updated->capacity().updated_by(),
            "organisations/agency-1/staff/coordinator-1");
  EXPECT_EQ(updated->etag(), "2");
  ASSERT_EQ(store_.committed.size(), 1u);

  std::vector<events::v1::EventEnvelope> events = Envelopes();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].acting_organisation(), "agency-1");
  v1::ServiceCapacityUpdated event;
  ASSERT_TRUE(events[1].payload().UnpackTo(&event));
  EXPECT_EQ(event.facts().places_available(), 0);
  EXPECT_EQ(event.facts().waiting_time_days(), 21);
  EXPECT_FALSE(event.facts().accepting_referrals());
  EXPECT_EQ(event.previous_places_available(), 3);
  EXPECT_EQ(event.previous_waiting_time_days(), 5);
  EXPECT_TRUE(event.previous_accepting_referrals());

  // Unset accepting_referrals leaves it as it is.
  absl::StatusOr<DirectoryService> again =
      directory_.UpdateServiceCapacity(admin_, CapacityRequest(s.name(), 2, 3));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->accepting_referrals());
  EXPECT_EQ(again->capacity().updated_by(), "services/suite");
}

TEST_F(ServiceDirectoryTest, CapacityNamesBadFiguresAndMissingServices) {
  DirectoryService s =
      CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 3, 5);
  EXPECT_TRUE(Names(
      directory_.UpdateServiceCapacity(admin_, CapacityRequest(s.name(), -1, 0))
          .status(),
      absl::StatusCode::kInvalidArgument, "places_available"));
  EXPECT_TRUE(Names(
      directory_
          .UpdateServiceCapacity(
              admin_, CapacityRequest(s.name(), 1, kMaxWaitingTimeDays + 1))
          .status(),
      absl::StatusCode::kInvalidArgument, "waiting_time_days"));
  EXPECT_TRUE(Names(directory_
                        .UpdateServiceCapacity(
                            admin_, CapacityRequest("organisations/agency-1/"
                                                    "services/none",
                                                    1, 1))
                        .status(),
                    absl::StatusCode::kNotFound, "name"));
  EXPECT_EQ(Envelopes().size(), 1u);
}

// ---- Reach

TEST_F(ServiceDirectoryTest, OnlyTheProvidingOrganisationChangesItsServices) {
  DirectoryService s =
      CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 3, 5);
  const auth::Caller own = StaffCaller("agency-1", "admin-1");
  const auth::Caller other = StaffCaller("agency-2", "admin-1", auth::v1::ANY);

  EXPECT_TRUE(
      directory_.CreateService(own, ServiceRequest("agency-1", "debt-1", "r1"))
          .ok());
  EXPECT_EQ(
      directory_
          .CreateService(other, ServiceRequest("agency-1", "debt-2", "r2"))
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);

  // The same refusal for a service that exists and one that does not.
  const absl::Status exists =
      directory_.UpdateServiceCapacity(other, CapacityRequest(s.name(), 0, 0))
          .status();
  const absl::Status missing =
      directory_
          .UpdateServiceCapacity(
              other,
              CapacityRequest("organisations/agency-1/services/none", 0, 0))
          .status();
  EXPECT_EQ(exists.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(exists, missing);

  v1::UpdateServiceRequest update;
  *update.mutable_service() = s;
  update.mutable_service()->set_display_name("Taken over");
  update.mutable_update_mask()->add_paths("display_name");
  const absl::Status update_exists =
      directory_.UpdateService(other, update).status();
  update.mutable_service()->set_name("organisations/agency-1/services/none");
  const absl::Status update_missing =
      directory_.UpdateService(other, update).status();
  EXPECT_EQ(update_exists.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(update_exists, update_missing);

  absl::StatusOr<DirectoryService> unchanged = Get(s.name());
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->etag(), "1");
  // The providing organisation's own staff may.
  EXPECT_TRUE(
      directory_.UpdateServiceCapacity(own, CapacityRequest(s.name(), 0, 0))
          .ok());
  // Other organisations read and search it.
  v1::GetServiceRequest get;
  get.set_name(s.name());
  EXPECT_TRUE(directory_.GetService(other, get).ok());
  v1::SearchServicesRequest search;
  search.set_area("M1");
  EXPECT_TRUE(directory_.SearchServices(other, search).ok());
}

TEST_F(ServiceDirectoryTest, NoScopeReachesNothing) {
  DirectoryService s =
      CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 3, 5);
  const auth::Caller unscoped =
      StaffCaller("agency-1", "admin-1", auth::v1::SCOPE_UNSPECIFIED);
  v1::GetServiceRequest get;
  get.set_name(s.name());
  EXPECT_EQ(directory_.GetService(unscoped, get).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(
      directory_
          .UpdateServiceCapacity(unscoped, CapacityRequest(s.name(), 0, 0))
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(directory_.SearchServices(unscoped, {}).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// ---- Search

class SearchTest : public ServiceDirectoryTest {
 protected:
  SearchTest() {
    CreateService("agency-1", "housing-a", {"M1", "M3"}, {"housing"}, 2, 10);
    CreateService("agency-1", "housing-b", {"M1"}, {"housing", "debt"}, 8, 3);
    CreateService("agency-2", "debt-a", {"M1", "LS1"}, {"debt"}, 0, 0);
    CreateService("agency-2", "skills-a", {"M3"}, {"skills"}, 20, 3);
    CreateService("agency-3", "housing-c", {"M1"}, {"housing"}, 5, 3,
                  /*accepting=*/false);
  }
};

TEST_F(SearchTest, ByDistrictOrFullPostcodeSoonestFirst) {
  v1::SearchServicesRequest request;
  request.set_area("m1");
  // Waiting 0, then 3 days (8 places before 5), then 10 days.
  const std::vector<std::string> want = {"debt-a", "housing-b", "housing-c",
                                         "housing-a"};
  EXPECT_EQ(SearchIds(request), want);
  request.set_area("M1 1AE");
  EXPECT_EQ(SearchIds(request), want);
  request.set_area("m11ae");
  EXPECT_EQ(SearchIds(request), want);
  request.set_area("M3");
  EXPECT_EQ(SearchIds(request),
            (std::vector<std::string>{"skills-a", "housing-a"}));
  request.set_area("B1");
  EXPECT_TRUE(SearchIds(request).empty());
  request.set_area("nowhere");
  EXPECT_TRUE(Names(directory_.SearchServices(reader_, request).status(),
                    absl::StatusCode::kInvalidArgument, "area"));
}

TEST_F(SearchTest, ByNeedPlacesAndAcceptance) {
  v1::SearchServicesRequest request;
  request.set_need("housing");
  EXPECT_EQ(SearchIds(request),
            (std::vector<std::string>{"housing-b", "housing-c", "housing-a"}));
  request.set_accepting_referrals_only(true);
  EXPECT_EQ(SearchIds(request),
            (std::vector<std::string>{"housing-b", "housing-a"}));
  request.set_min_places_available(3);
  EXPECT_EQ(SearchIds(request), std::vector<std::string>{"housing-b"});
  request.set_area("M3");  // area and need together
  EXPECT_TRUE(SearchIds(request).empty());
  request.clear_min_places_available();
  EXPECT_EQ(SearchIds(request), std::vector<std::string>{"housing-a"});

  v1::SearchServicesRequest bad;
  bad.set_need("Not A Code!");
  EXPECT_TRUE(Names(directory_.SearchServices(reader_, bad).status(),
                    absl::StatusCode::kInvalidArgument, "need"));
  bad.clear_need();
  bad.set_min_places_available(-1);
  EXPECT_TRUE(Names(directory_.SearchServices(reader_, bad).status(),
                    absl::StatusCode::kInvalidArgument,
                    "min_places_available"));
}

TEST_F(SearchTest, CapacityReportsReorderResults) {
  ASSERT_TRUE(
      directory_
          .UpdateServiceCapacity(
              admin_, CapacityRequest(
                          "organisations/agency-1/services/housing-a", 9, 0))
          .ok());
  v1::SearchServicesRequest request;
  request.set_need("housing");
  EXPECT_EQ(SearchIds(request),
            (std::vector<std::string>{"housing-a", "housing-b", "housing-c"}));
}

TEST_F(SearchTest, LeavesOutInactiveOrganisations) {
  SetOrganisationActive("agency-2", false);
  v1::SearchServicesRequest request;
  request.set_area("M1");
  EXPECT_EQ(SearchIds(request),
            (std::vector<std::string>{"housing-b", "housing-c", "housing-a"}));
  SetOrganisationActive("agency-2", true);
  EXPECT_EQ(SearchIds(request).size(), 4u);
}

TEST_F(SearchTest, PagesThroughSortedResultsWithTokens) {
  v1::SearchServicesRequest request;
  request.set_page_size(2);
  int pages = 0;
  // Everything: 0 days; 3 days by places (20, 8, 5); then 10 days.
  EXPECT_EQ(SearchIds(request, &pages),
            (std::vector<std::string>{"debt-a", "skills-a", "housing-b",
                                      "housing-c", "housing-a"}));
  EXPECT_EQ(pages, 3);

  absl::StatusOr<v1::SearchServicesResponse> first =
      directory_.SearchServices(reader_, request);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->candidates_capped());
  // The token belongs to its query, whatever the page size.
  v1::SearchServicesRequest other = request;
  other.set_page_token(first->next_page_token());
  other.set_page_size(10);
  EXPECT_TRUE(directory_.SearchServices(reader_, other).ok());
  other.set_need("housing");
  EXPECT_TRUE(Names(directory_.SearchServices(reader_, other).status(),
                    absl::StatusCode::kInvalidArgument, "page_token"));
  other.set_page_token("garbage");
  EXPECT_TRUE(Names(directory_.SearchServices(reader_, other).status(),
                    absl::StatusCode::kInvalidArgument, "page_token"));
}

TEST_F(ServiceDirectoryTest, SearchReadsAtMostTheCapAndSaysSo) {
  // More services in one district than a search reads.
  for (int i = 0; i < kMaxSearchCandidates + 5; ++i) {
    CreateService("agency-1", absl::StrCat("s", 1000 + i), {"M1"}, {"housing"},
                  1, 5);
  }
  v1::SearchServicesRequest request;
  request.set_area("M1");
  request.set_page_size(kMaxPageSize);
  absl::StatusOr<v1::SearchServicesResponse> page =
      directory_.SearchServices(reader_, request);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_TRUE(page->candidates_capped());
  EXPECT_EQ(page->services_size(), kMaxSearchCandidates);
  EXPECT_TRUE(page->next_page_token().empty());
}

// ---- ServiceLookup

TEST_F(ServiceDirectoryTest, FindServiceAnswersReferrals) {
  DirectoryService s =
      CreateService("agency-1", "housing-1", {"M1"}, {"housing"}, 3, 5);
  ServiceLookup& lookup = directory_;
  absl::StatusOr<std::optional<ListedService>> found =
      lookup.FindService(s.name());
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, s.name());
  EXPECT_EQ((*found)->organisation, "agency-1");
  EXPECT_TRUE((*found)->accepting_referrals);

  absl::StatusOr<std::optional<ListedService>> none =
      lookup.FindService("organisations/agency-1/services/none");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  EXPECT_TRUE(Names(lookup.FindService("housing-1").status(),
                    absl::StatusCode::kInvalidArgument, "name"));

  // An inactive organisation takes no referrals.
  SetOrganisationActive("agency-1", false);
  found = lookup.FindService(s.name());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_FALSE((*found)->accepting_referrals);
  SetOrganisationActive("agency-1", true);
  ASSERT_TRUE(directory_
                  .UpdateServiceCapacity(admin_,
                                         [&] {
                                           v1::UpdateServiceCapacityRequest r =
                                               CapacityRequest(s.name(), 0, 0);
                                           r.set_accepting_referrals(false);
                                           return r;
                                         }())
                  .ok());
  found = lookup.FindService(s.name());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_FALSE((*found)->accepting_referrals);
}

}  // namespace
}  // namespace employability::partners
