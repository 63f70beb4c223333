// Unit tests of the directory's rules, on the in-memory store.
#include "services/partners/organisation_directory.h"

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/events/event_log.h"
#include "common/storage/memory_store.h"
#include "common/validation/postcode.h"
#include "employability/partners/v1/partner_events.pb.h"
#include "gtest/gtest.h"

namespace employability::partners {
namespace {

using type::v1::StaffRole;

// Success when `status` has `code` and a message that names `field` first,
// as the service words a refusal: "<field>: <problem>" or "<field> is
// required".
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

// A caller the directory lets reach every organisation, so that these
// tests are about the directory's data: a service on its own behalf, in
// the organisation whose request ids it uses. Who reaches what as a member
// of staff is tested on its own (the Reach tests below).
auth::Caller CallerOf(const std::string& organisation,
                      const std::string& user) {
  auth::Caller caller;
  caller.organisation = organisation;
  caller.service = user;
  return caller;
}

class OrganisationDirectoryTest : public testing::Test {
 protected:
  OrganisationDirectoryTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 3, 2, 10, 0, 0),
                               absl::UTCTimeZone())),
        store_(clock_),
        directory_(store_, clock_, ids_, key_hasher_) {}

  static v1::CreateOrganisationRequest OrganisationRequest(
      const std::string& id, const std::string& request_id,
      v1::OrganisationType type = v1::PRIME_PROVIDER) {
    v1::CreateOrganisationRequest request;
    request.set_organisation_id(id);
    request.set_request_id(request_id);
    v1::Organisation* o = request.mutable_organisation();
    o->set_display_name("Northern Works Ltd");
    o->set_type(type);
    o->mutable_contact()->set_email("office@Northern-Works.EXAMPLE");
    o->mutable_contact()->set_phone("0161 496 0018");
    o->add_areas_served("m1");
    o->add_areas_served(" SW1A ");
    return request;
  }

  v1::Organisation CreateOrganisation(
      const std::string& id, v1::OrganisationType type = v1::PRIME_PROVIDER) {
    absl::StatusOr<v1::Organisation> o = directory_.CreateOrganisation(
        admin_, OrganisationRequest(id, absl::StrCat("req-", id), type));
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : v1::Organisation();
  }

  static v1::CreateStaffUserRequest StaffRequest(
      const std::string& organisation, const std::string& user,
      const std::string& request_id, StaffRole role = type::v1::ADVISER) {
    v1::CreateStaffUserRequest request;
    request.set_parent(absl::StrCat("organisations/", organisation));
    request.set_staff_user_id(user);
    request.set_request_id(request_id);
    v1::StaffUser* s = request.mutable_staff_user();
    s->set_display_name("Priya Shah");
    s->set_email("priya.shah@Northern-Works.example");
    s->set_role(role);
    s->set_team("team-a");
    return request;
  }

  v1::StaffUser CreateStaff(const std::string& organisation,
                            const std::string& user,
                            StaffRole role = type::v1::ADVISER,
                            const std::string& team = "team-a") {
    v1::CreateStaffUserRequest request =
        StaffRequest(organisation, user,
                     absl::StrCat("req-", organisation, "-", user), role);
    request.mutable_staff_user()->set_team(team);
    absl::StatusOr<v1::StaffUser> s =
        directory_.CreateStaffUser(admin_, request);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *s : v1::StaffUser();
  }

  absl::StatusOr<v1::Organisation> UpdateOrganisation(
      const v1::Organisation& organisation,
      const std::vector<std::string>& paths) {
    v1::UpdateOrganisationRequest request;
    *request.mutable_organisation() = organisation;
    for (const std::string& path : paths)
      request.mutable_update_mask()->add_paths(path);
    return directory_.UpdateOrganisation(admin_, request);
  }

  absl::StatusOr<v1::StaffUser> UpdateStaff(
      const v1::StaffUser& user, const std::vector<std::string>& paths) {
    v1::UpdateStaffUserRequest request;
    *request.mutable_staff_user() = user;
    for (const std::string& path : paths)
      request.mutable_update_mask()->add_paths(path);
    return directory_.UpdateStaffUser(admin_, request);
  }

  void SetOrganisationActive(const std::string& id, bool active) {
    v1::Organisation change;
    change.set_name(absl::StrCat("organisations/", id));
    change.set_active(active);
    ASSERT_TRUE(UpdateOrganisation(change, {"active"}).ok());
  }

  absl::StatusOr<v1::StaffStatus> Status(const std::string& name) {
    v1::CheckStaffStatusRequest request;
    request.set_name(name);
    return directory_.CheckStaffStatus(admin_, request);
  }

  // Every event on a tenancy's stream, oldest first.
  std::vector<events::v1::EventEnvelope> Envelopes(const std::string& tenancy) {
    storage::KeySpace keys(kServiceKeyspace, tenancy);
    auto entries = store_.StreamRead(keys.Events(), "", 10000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    std::vector<events::v1::EventEnvelope> envelopes;
    if (!entries.ok()) return envelopes;
    for (const storage::StreamEntry& entry : *entries) {
      auto envelope = events::ParseEnvelope(entry.payload);
      EXPECT_TRUE(envelope.ok()) << envelope.status();
      if (envelope.ok()) envelopes.push_back(*envelope);
    }
    return envelopes;
  }

  // The short type names of a tenancy's events, oldest first.
  std::vector<std::string> Events(const std::string& tenancy) {
    std::vector<std::string> types;
    for (const auto& envelope : Envelopes(tenancy)) {
      types.push_back(envelope.type().substr(envelope.type().rfind('.') + 1));
    }
    return types;
  }

  // Every page of a list, in order; `list` answers one page for a token.
  template <typename Item, typename Response>
  std::vector<Item> AllPages(
      const std::function<absl::StatusOr<Response>(const std::string&)>& list,
      const std::function<const google::protobuf::RepeatedPtrField<Item>&(
          const Response&)>& items,
      int* pages = nullptr) {
    std::vector<Item> all;
    std::string token;
    int count = 0;
    do {
      absl::StatusOr<Response> page = list(token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || ++count > 100) break;
      for (const Item& item : items(*page)) all.push_back(item);
      token = page->next_page_token();
    } while (!token.empty());
    if (pages != nullptr) *pages = count;
    return all;
  }

  std::vector<std::string> OrganisationIds(v1::ListOrganisationsRequest request,
                                           int* pages = nullptr) {
    std::vector<v1::Organisation> all =
        AllPages<v1::Organisation, v1::ListOrganisationsResponse>(
            [&](const std::string& token) {
              request.set_page_token(token);
              return directory_.ListOrganisations(admin_, request);
            },
            [](const v1::ListOrganisationsResponse& r)
                -> const google::protobuf::RepeatedPtrField<v1::Organisation>& {
              return r.organisations();
            },
            pages);
    std::vector<std::string> ids;
    for (const v1::Organisation& o : all) {
      ids.push_back(o.name().substr(o.name().rfind('/') + 1));
    }
    return ids;
  }

  std::vector<std::string> StaffIds(v1::ListStaffUsersRequest request,
                                    int* pages = nullptr) {
    std::vector<v1::StaffUser> all =
        AllPages<v1::StaffUser, v1::ListStaffUsersResponse>(
            [&](const std::string& token) {
              request.set_page_token(token);
              return directory_.ListStaffUsers(admin_, request);
            },
            [](const v1::ListStaffUsersResponse& r)
                -> const google::protobuf::RepeatedPtrField<v1::StaffUser>& {
              return r.staff_users();
            },
            pages);
    std::vector<std::string> ids;
    for (const v1::StaffUser& s : all) {
      ids.push_back(s.name().substr(s.name().rfind('/') + 1));
    }
    return ids;
  }

  FakeClock clock_;
  SequentialIdSource ids_{"e"};
  storage::MemoryStore store_;
  storage::KeyHasher key_hasher_{"test-secret"};
  OrganisationDirectory directory_;
  auth::Caller admin_ = CallerOf("prime-north", "admin-1");
};

// ---- Postcode districts

TEST(PostcodeDistrictTest, AcceptsEveryShapeInUpperCase) {
  for (const auto& [input, want] :
       std::vector<std::pair<std::string, std::string>>{{"M1", "M1"},
                                                        {"b33", "B33"},
                                                        {"CR0", "CR0"},
                                                        {" dn55 ", "DN55"},
                                                        {"W1A", "W1A"},
                                                        {"sw1a", "SW1A"},
                                                        {"EC1Y", "EC1Y"}}) {
    absl::StatusOr<std::string> district =
        validation::NormalisePostcodeDistrict("areas_served[0]", input);
    ASSERT_TRUE(district.ok()) << input << ": " << district.status();
    EXPECT_EQ(*district, want);
  }
}

TEST(PostcodeDistrictTest, RefusesWhatRoyalMailDoesNotIssue) {
  for (const std::string input :
       {"M", "1M", "M1 1AE", "M11AE", "ABC1", "M123", "Q1", "VA1", "XA1", "AI1",
        "AJ1", "AZ1", "W1I", "EC1C", "M1-", "M!"}) {
    EXPECT_TRUE(
        Names(validation::NormalisePostcodeDistrict("areas_served[0]", input)
                  .status(),
              absl::StatusCode::kInvalidArgument, "areas_served[0]"))
        << input;
  }
  EXPECT_TRUE(Names(
      validation::NormalisePostcodeDistrict("areas_served[0]", " ").status(),
      absl::StatusCode::kInvalidArgument, "areas_served[0]"));
}

// ---- Organisations: create

TEST_F(OrganisationDirectoryTest, CreateSetsOutputFieldsAndEmitsOneEvent) {
  v1::CreateOrganisationRequest request = OrganisationRequest("north-1", "r1");
  request.mutable_organisation()->set_active(false);  // output only
  request.mutable_organisation()->set_name("organisations/other");
  absl::StatusOr<v1::Organisation> o =
      directory_.CreateOrganisation(admin_, request);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->name(), "organisations/north-1");
  EXPECT_TRUE(o->active());
  EXPECT_EQ(o->etag(), "1");
  EXPECT_EQ(o->create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(o->update_time().seconds(), o->create_time().seconds());
  EXPECT_EQ(o->contact().email(), "office@northern-works.example");
  EXPECT_EQ(o->contact().phone(), "+441614960018");
  EXPECT_EQ(std::vector<std::string>(o->areas_served().begin(),
                                     o->areas_served().end()),
            (std::vector<std::string>{"M1", "SW1A"}));

  std::vector<events::v1::EventEnvelope> events = Envelopes("global");
  ASSERT_EQ(events.size(), 1u);
  const events::v1::EventEnvelope& event = events[0];
  EXPECT_EQ(event.tenancy(), "global");
  EXPECT_EQ(event.aggregate(), "organisations/north-1");
  EXPECT_EQ(event.aggregate_version(), 1);
  EXPECT_EQ(event.acting_organisation(), "prime-north");
  EXPECT_EQ(event.acting_user(), "");  // a service; staff: the Reach tests
  v1::OrganisationCreated created;
  ASSERT_TRUE(event.payload().UnpackTo(&created));
  EXPECT_EQ(created.facts().organisation(), "organisations/north-1");
  EXPECT_EQ(created.facts().type(), v1::PRIME_PROVIDER);
  EXPECT_TRUE(created.facts().active());
  EXPECT_EQ(created.facts().areas_served_size(), 2);
  // Contact details stay out of events.
  EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), "office@"));
  EXPECT_FALSE(absl::StrContains(event.SerializeAsString(), "4960018"));
}

TEST_F(OrganisationDirectoryTest, CreateKeepsEachAreaOnceInTheOrderGiven) {
  v1::CreateOrganisationRequest request = OrganisationRequest("north-1", "r1");
  request.mutable_organisation()->clear_areas_served();
  for (const char* area : {"ls1", "M1", "LS1", "m1", "B33"}) {
    request.mutable_organisation()->add_areas_served(area);
  }
  absl::StatusOr<v1::Organisation> o =
      directory_.CreateOrganisation(admin_, request);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(std::vector<std::string>(o->areas_served().begin(),
                                     o->areas_served().end()),
            (std::vector<std::string>{"LS1", "M1", "B33"}));
}

TEST_F(OrganisationDirectoryTest, CreateTakesAnOrganisationWithoutContact) {
  v1::CreateOrganisationRequest request = OrganisationRequest("north-1", "r1");
  request.mutable_organisation()->clear_contact();
  request.mutable_organisation()->clear_areas_served();
  EXPECT_TRUE(directory_.CreateOrganisation(admin_, request).ok());
}

TEST_F(OrganisationDirectoryTest, CreateNamesEveryBadField) {
  using Change = std::function<void(v1::CreateOrganisationRequest&)>;
  const std::vector<std::pair<std::string, Change>> cases = {
      {"organisation_id", [](auto& r) { r.clear_organisation_id(); }},
      {"organisation_id", [](auto& r) { r.set_organisation_id("ab"); }},
      {"organisation_id", [](auto& r) { r.set_organisation_id("North-1"); }},
      {"organisation_id", [](auto& r) { r.set_organisation_id("-north"); }},
      {"organisation_id", [](auto& r) { r.set_organisation_id("north_1"); }},
      {"organisation_id",
       [](auto& r) { r.set_organisation_id(std::string(64, 'a')); }},
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"request_id", [](auto& r) { r.set_request_id("has space"); }},
      {"organisation", [](auto& r) { r.clear_organisation(); }},
      {"organisation.display_name",
       [](auto& r) { r.mutable_organisation()->clear_display_name(); }},
      {"organisation.display_name",
       [](auto& r) {
         r.mutable_organisation()->set_display_name(std::string(201, 'a'));
       }},
      {"organisation.display_name",
       [](auto& r) { r.mutable_organisation()->set_display_name("a\nb"); }},
      {"organisation.type",
       [](auto& r) { r.mutable_organisation()->clear_type(); }},
      {"organisation.type",
       [](auto& r) {
         r.mutable_organisation()->set_type(
             static_cast<v1::OrganisationType>(99));
       }},
      {"organisation.contact.email",
       [](auto& r) {
         r.mutable_organisation()->mutable_contact()->set_email("office@");
       }},
      {"organisation.contact.phone",
       [](auto& r) {
         r.mutable_organisation()->mutable_contact()->set_phone("12345");
       }},
      {"organisation.areas_served[1]",
       [](auto& r) {
         r.mutable_organisation()->set_areas_served(1, "M1 1AE");
       }},
      {"organisation.areas_served[0]",
       [](auto& r) { r.mutable_organisation()->set_areas_served(0, ""); }},
      {"organisation.areas_served",
       [](auto& r) {
         for (int i = 0; i < 500; ++i)
           r.mutable_organisation()->add_areas_served("M1");
       }},
  };
  for (const auto& [field, change] : cases) {
    v1::CreateOrganisationRequest request =
        OrganisationRequest("north-1", "r1");
    change(request);
    EXPECT_TRUE(Names(directory_.CreateOrganisation(admin_, request).status(),
                      absl::StatusCode::kInvalidArgument, field));
  }
  EXPECT_TRUE(Events("global").empty());
}

TEST_F(OrganisationDirectoryTest, CreateTakesFiveHundredAreas) {
  v1::CreateOrganisationRequest request = OrganisationRequest("north-1", "r1");
  request.mutable_organisation()->clear_areas_served();
  for (const char* area : {"AB", "AL", "BA", "BB", "BD", "BH"}) {
    for (int district = 1; district <= 99; ++district) {
      if (request.organisation().areas_served_size() == kMaxAreasServed) break;
      request.mutable_organisation()->add_areas_served(
          absl::StrCat(area, district));
    }
  }
  absl::StatusOr<v1::Organisation> o =
      directory_.CreateOrganisation(admin_, request);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->areas_served_size(), kMaxAreasServed);
}

TEST_F(OrganisationDirectoryTest, CreateReplaysARetryOnce) {
  v1::CreateOrganisationRequest request = OrganisationRequest("north-1", "r1");
  absl::StatusOr<v1::Organisation> first =
      directory_.CreateOrganisation(admin_, request);
  ASSERT_TRUE(first.ok()) << first.status();
  clock_.Advance(absl::Minutes(5));
  absl::StatusOr<v1::Organisation> again =
      directory_.CreateOrganisation(admin_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(Events("global").size(), 1u);

  // The retry answers with the organisation as it is now.
  v1::Organisation renamed = *first;
  renamed.set_display_name("Northern Works Group");
  ASSERT_TRUE(UpdateOrganisation(renamed, {"display_name"}).ok());
  absl::StatusOr<v1::Organisation> later =
      directory_.CreateOrganisation(admin_, request);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->display_name(), "Northern Works Group");
  EXPECT_EQ(later->etag(), "2");
}

TEST_F(OrganisationDirectoryTest, CreateRefusesARequestIdReusedForAnother) {
  ASSERT_TRUE(
      directory_
          .CreateOrganisation(admin_, OrganisationRequest("north-1", "r1"))
          .ok());
  EXPECT_TRUE(Names(
      directory_
          .CreateOrganisation(admin_, OrganisationRequest("north-2", "r1"))
          .status(),
      absl::StatusCode::kInvalidArgument, "request_id"));
  // Request ids are the calling organisation's own.
  const auth::Caller other = CallerOf("partner-east", "admin-9");
  EXPECT_TRUE(
      directory_.CreateOrganisation(other, OrganisationRequest("north-2", "r1"))
          .ok());
}

TEST_F(OrganisationDirectoryTest, CreateRefusesATakenId) {
  CreateOrganisation("north-1");
  v1::CreateOrganisationRequest request = OrganisationRequest("north-1", "r2");
  request.mutable_organisation()->set_display_name("Someone Else");
  EXPECT_TRUE(Names(directory_.CreateOrganisation(admin_, request).status(),
                    absl::StatusCode::kAlreadyExists, "organisation_id"));
  v1::GetOrganisationRequest get;
  get.set_name("organisations/north-1");
  absl::StatusOr<v1::Organisation> stored =
      directory_.GetOrganisation(admin_, get);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->display_name(), "Northern Works Ltd");
  EXPECT_EQ(Events("global").size(), 1u);
}

// ---- Organisations: get

TEST_F(OrganisationDirectoryTest, GetReadsWhatCreateWrote) {
  v1::Organisation created = CreateOrganisation("north-1");
  v1::GetOrganisationRequest request;
  request.set_name("organisations/north-1");
  absl::StatusOr<v1::Organisation> got =
      directory_.GetOrganisation(admin_, request);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), created.SerializeAsString());
}

TEST_F(OrganisationDirectoryTest, GetNamesABadOrMissingName) {
  for (const std::string name :
       {"", "north-1", "organisations/", "organisations/ab",
        "organisations/North", "organisations/north-1/staff/a",
        "contracts/north-1"}) {
    v1::GetOrganisationRequest request;
    request.set_name(name);
    EXPECT_TRUE(Names(directory_.GetOrganisation(admin_, request).status(),
                      absl::StatusCode::kInvalidArgument, "name"))
        << name;
  }
  v1::GetOrganisationRequest request;
  request.set_name("organisations/nobody");
  EXPECT_TRUE(Names(directory_.GetOrganisation(admin_, request).status(),
                    absl::StatusCode::kNotFound, "name"));
}

// ---- Organisations: update

TEST_F(OrganisationDirectoryTest, UpdateChangesOnlyTheMaskedFields) {
  v1::Organisation o = CreateOrganisation("north-1");
  clock_.Advance(absl::Hours(1));
  v1::Organisation change;
  change.set_name(o.name());
  change.set_etag(o.etag());
  change.set_display_name("Ignored");  // not in the mask
  change.mutable_contact()->set_email("enquiries@northern-works.example");
  change.mutable_contact()->set_phone("ignored");
  change.add_areas_served("ls1");
  change.set_active(false);
  absl::StatusOr<v1::Organisation> updated =
      UpdateOrganisation(change, {"contact.email", "areas_served", "active"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->display_name(), "Northern Works Ltd");
  EXPECT_EQ(updated->contact().email(), "enquiries@northern-works.example");
  EXPECT_EQ(updated->contact().phone(), "+441614960018");
  EXPECT_EQ(std::vector<std::string>(updated->areas_served().begin(),
                                     updated->areas_served().end()),
            std::vector<std::string>{"LS1"});
  EXPECT_FALSE(updated->active());
  EXPECT_EQ(updated->etag(), "2");
  EXPECT_EQ(updated->create_time().seconds(), o.create_time().seconds());
  EXPECT_EQ(updated->update_time().seconds(),
            absl::ToUnixSeconds(clock_.Now()));

  std::vector<events::v1::EventEnvelope> events = Envelopes("global");
  ASSERT_EQ(events.size(), 2u);
  v1::OrganisationUpdated event;
  ASSERT_TRUE(events[1].payload().UnpackTo(&event));
  EXPECT_EQ(events[1].aggregate_version(), 2);
  EXPECT_FALSE(event.facts().active());
  EXPECT_EQ(std::set<std::string>(event.changed_fields().begin(),
                                  event.changed_fields().end()),
            (std::set<std::string>{"contact.email", "areas_served", "active"}));
  EXPECT_FALSE(absl::StrContains(events[1].SerializeAsString(), "enquiries@"));
}

TEST_F(OrganisationDirectoryTest, UpdateRefusesAStaleEtag) {
  v1::Organisation o = CreateOrganisation("north-1");
  v1::Organisation first = o;
  first.set_display_name("First");
  ASSERT_TRUE(UpdateOrganisation(first, {"display_name"}).ok());
  v1::Organisation second = o;  // etag "1", now stale
  second.set_display_name("Second");
  EXPECT_TRUE(Names(UpdateOrganisation(second, {"display_name"}).status(),
                    absl::StatusCode::kAborted, "organisation.etag"));
  second.clear_etag();  // last write wins when the caller asks for it
  absl::StatusOr<v1::Organisation> updated =
      UpdateOrganisation(second, {"display_name"});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->display_name(), "Second");
  EXPECT_EQ(updated->etag(), "3");
}

TEST_F(OrganisationDirectoryTest, UpdateWithNothingNewWritesNothing) {
  v1::Organisation o = CreateOrganisation("north-1");
  v1::Organisation same = o;
  same.clear_areas_served();
  same.add_areas_served("M1");
  same.add_areas_served("sw1a");  // the same once normalised
  absl::StatusOr<v1::Organisation> updated =
      UpdateOrganisation(same, {"display_name", "areas_served", "active"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->etag(), "1");
  EXPECT_EQ(Events("global").size(), 1u);
}

TEST_F(OrganisationDirectoryTest, UpdateNamesEveryBadField) {
  v1::Organisation o = CreateOrganisation("north-1");
  using Change = std::function<void(v1::Organisation&)>;
  const std::vector<std::tuple<std::string, std::string, Change>> cases = {
      {"organisation.display_name", "display_name",
       [](auto& x) { x.clear_display_name(); }},
      {"organisation.contact.email", "contact",
       [](auto& x) { x.mutable_contact()->set_email("not an address"); }},
      {"organisation.contact.phone", "contact.phone",
       [](auto& x) { x.mutable_contact()->set_phone("+33 1 23 45 67 89"); }},
      {"organisation.areas_served[2]", "areas_served",
       [](auto& x) { x.add_areas_served("ZZ"); }},
  };
  for (const auto& [field, path, change] : cases) {
    v1::Organisation bad = o;
    change(bad);
    EXPECT_TRUE(Names(UpdateOrganisation(bad, {path}).status(),
                      absl::StatusCode::kInvalidArgument, field));
  }
  EXPECT_TRUE(Names(UpdateOrganisation(o, {}).status(),
                    absl::StatusCode::kInvalidArgument, "update_mask"));
  for (const std::string path : {"type", "name", "create_time", "etag"}) {
    EXPECT_TRUE(Names(UpdateOrganisation(o, {path}).status(),
                      absl::StatusCode::kInvalidArgument, "update_mask"))
        << path;
  }
  v1::Organisation missing = o;
  missing.set_name("organisations/nobody");
  EXPECT_TRUE(Names(UpdateOrganisation(missing, {"active"}).status(),
                    absl::StatusCode::kNotFound, "organisation.name"));
  missing.set_name("nobody");
  EXPECT_TRUE(Names(UpdateOrganisation(missing, {"active"}).status(),
                    absl::StatusCode::kInvalidArgument, "organisation.name"));
  EXPECT_EQ(Events("global").size(), 1u);
}

TEST_F(OrganisationDirectoryTest, ConcurrentUpdatesEachLandOnceOrConflict) {
  CreateOrganisation("north-1");
  constexpr int kWriters = 6;
  std::atomic<int> landed{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([this, i, &landed] {
      v1::Organisation change;
      change.set_name("organisations/north-1");
      change.set_display_name(absl::StrCat("Writer ", i));
      absl::StatusOr<v1::Organisation> updated =
          UpdateOrganisation(change, {"display_name"});
      if (updated.ok()) {
        ++landed;
      } else {
        EXPECT_EQ(updated.status().code(), absl::StatusCode::kAborted);
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  v1::GetOrganisationRequest get;
  get.set_name("organisations/north-1");
  absl::StatusOr<v1::Organisation> stored =
      directory_.GetOrganisation(admin_, get);
  ASSERT_TRUE(stored.ok());
  EXPECT_GE(landed.load(), 1);
  // One version and one event per write that landed, and no more.
  EXPECT_EQ(stored->etag(), absl::StrCat(1 + landed.load()));
  EXPECT_EQ(Events("global").size(), 1u + landed.load());
}

// ---- Organisations: list

TEST_F(OrganisationDirectoryTest, ListPagesInOrderOfId) {
  for (const char* id :
       {"org-e", "org-a", "org-d", "org-b", "org-g", "org-c", "org-f"}) {
    CreateOrganisation(id);
  }
  v1::ListOrganisationsRequest request;
  request.set_page_size(3);
  int pages = 0;
  EXPECT_EQ(OrganisationIds(request, &pages),
            (std::vector<std::string>{"org-a", "org-b", "org-c", "org-d",
                                      "org-e", "org-f", "org-g"}));
  EXPECT_EQ(pages, 3);
  request.set_page_size(7);
  OrganisationIds(request, &pages);
  EXPECT_EQ(pages, 1);       // a full last page says there is no more
  request.set_page_size(0);  // 50
  absl::StatusOr<v1::ListOrganisationsResponse> all =
      directory_.ListOrganisations(admin_, request);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->organisations_size(), 7);
  EXPECT_TRUE(all->next_page_token().empty());
  EXPECT_EQ(all->organisations(0).etag(), "1");
}

TEST_F(OrganisationDirectoryTest, ListFiltersByTypeAndActivity) {
  CreateOrganisation("dwp-north", v1::COMMISSIONER);
  CreateOrganisation("prime-a", v1::PRIME_PROVIDER);
  CreateOrganisation("prime-b", v1::PRIME_PROVIDER);
  CreateOrganisation("sub-a", v1::SUB_CONTRACTOR);
  CreateOrganisation("agency-a", v1::PARTNER_AGENCY);
  SetOrganisationActive("prime-b", false);
  SetOrganisationActive("agency-a", false);

  v1::ListOrganisationsRequest request;
  request.set_page_size(1);
  request.set_type(v1::PRIME_PROVIDER);
  EXPECT_EQ(OrganisationIds(request),
            (std::vector<std::string>{"prime-a", "prime-b"}));
  request.set_active(true);
  EXPECT_EQ(OrganisationIds(request), std::vector<std::string>{"prime-a"});
  request.clear_type();
  request.set_active(false);
  EXPECT_EQ(OrganisationIds(request),
            (std::vector<std::string>{"agency-a", "prime-b"}));
  request.clear_active();
  EXPECT_EQ(OrganisationIds(request).size(), 5u);
}

TEST_F(OrganisationDirectoryTest, ListWalksASparseFilterInBoundedSteps) {
  for (int i = 0; i < 30; ++i)
    CreateOrganisation(absl::StrCat("org-", 100 + i));
  SetOrganisationActive("org-129", false);
  v1::ListOrganisationsRequest request;
  request.set_page_size(1);
  request.set_active(false);
  int pages = 0;
  EXPECT_EQ(OrganisationIds(request, &pages),
            std::vector<std::string>{"org-129"});
  EXPECT_GT(pages, 1);  // short pages with a token, not one long walk
}

TEST_F(OrganisationDirectoryTest, ListNamesBadArguments) {
  CreateOrganisation("org-a");
  CreateOrganisation("org-b");
  v1::ListOrganisationsRequest request;
  request.set_page_size(-1);
  EXPECT_TRUE(Names(directory_.ListOrganisations(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "page_size"));
  request.set_page_size(501);
  EXPECT_TRUE(Names(directory_.ListOrganisations(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "page_size"));
  request.set_page_size(1);
  request.set_type(static_cast<v1::OrganisationType>(42));
  EXPECT_TRUE(Names(directory_.ListOrganisations(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "type"));
  request.clear_type();
  request.set_page_token("garbage");
  EXPECT_TRUE(Names(directory_.ListOrganisations(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "page_token"));
  // A token is bound to the filters that issued it.
  request.clear_page_token();
  absl::StatusOr<v1::ListOrganisationsResponse> page =
      directory_.ListOrganisations(admin_, request);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->next_page_token().empty());
  request.set_page_token(page->next_page_token());
  request.set_active(true);
  EXPECT_TRUE(Names(directory_.ListOrganisations(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "page_token"));
}

// ---- Staff users: create

TEST_F(OrganisationDirectoryTest, CreateStaffSetsOutputFieldsAndOneEvent) {
  CreateOrganisation("north-1");
  v1::CreateStaffUserRequest request = StaffRequest("north-1", "priya", "s1");
  request.mutable_staff_user()->set_active(false);  // output only
  absl::StatusOr<v1::StaffUser> s = directory_.CreateStaffUser(admin_, request);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name(), "organisations/north-1/staff/priya");
  EXPECT_TRUE(s->active());
  EXPECT_EQ(s->etag(), "1");
  EXPECT_EQ(s->email(), "priya.shah@northern-works.example");
  EXPECT_EQ(s->role(), type::v1::ADVISER);
  EXPECT_EQ(s->team(), "team-a");
  EXPECT_EQ(s->create_time().seconds(), absl::ToUnixSeconds(clock_.Now()));

  std::vector<events::v1::EventEnvelope> events =
      Envelopes(storage::OrganisationTenancy("north-1"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].tenancy(), "o:north-1");
  EXPECT_EQ(events[0].aggregate(), s->name());
  EXPECT_EQ(events[0].aggregate_version(), 1);
  v1::StaffUserCreated created;
  ASSERT_TRUE(events[0].payload().UnpackTo(&created));
  EXPECT_EQ(created.facts().staff_user(), s->name());
  EXPECT_EQ(created.facts().organisation(), "organisations/north-1");
  EXPECT_EQ(created.facts().role(), type::v1::ADVISER);
  EXPECT_EQ(created.facts().team(), "team-a");
  EXPECT_TRUE(created.facts().active());
  // No personal data in events.
  const std::string bytes = events[0].SerializeAsString();
  EXPECT_FALSE(absl::StrContains(bytes, "Priya"));
  EXPECT_FALSE(absl::StrContains(bytes, "priya.shah"));
  EXPECT_EQ(Events("global"), std::vector<std::string>{"OrganisationCreated"});
}

TEST_F(OrganisationDirectoryTest, CreateStaffNamesEveryBadField) {
  CreateOrganisation("north-1");
  using Change = std::function<void(v1::CreateStaffUserRequest&)>;
  const std::vector<std::pair<std::string, Change>> cases = {
      {"parent", [](auto& r) { r.clear_parent(); }},
      {"parent", [](auto& r) { r.set_parent("north-1"); }},
      {"parent", [](auto& r) { r.set_parent("organisations/N1"); }},
      {"staff_user_id", [](auto& r) { r.clear_staff_user_id(); }},
      {"staff_user_id", [](auto& r) { r.set_staff_user_id("Priya"); }},
      {"staff_user_id", [](auto& r) { r.set_staff_user_id("a/b"); }},
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"staff_user", [](auto& r) { r.clear_staff_user(); }},
      {"staff_user.display_name",
       [](auto& r) { r.mutable_staff_user()->clear_display_name(); }},
      {"staff_user.display_name",
       [](auto& r) {
         r.mutable_staff_user()->set_display_name(std::string(201, 'x'));
       }},
      {"staff_user.email",
       [](auto& r) { r.mutable_staff_user()->clear_email(); }},
      {"staff_user.email",
       [](auto& r) { r.mutable_staff_user()->set_email("priya at work"); }},
      {"staff_user.role",
       [](auto& r) { r.mutable_staff_user()->clear_role(); }},
      {"staff_user.role",
       [](auto& r) {
         r.mutable_staff_user()->set_role(static_cast<StaffRole>(77));
       }},
      {"staff_user.team",
       [](auto& r) { r.mutable_staff_user()->set_team("Team A"); }},
  };
  for (const auto& [field, change] : cases) {
    v1::CreateStaffUserRequest request = StaffRequest("north-1", "priya", "s1");
    change(request);
    EXPECT_TRUE(Names(directory_.CreateStaffUser(admin_, request).status(),
                      absl::StatusCode::kInvalidArgument, field));
  }
  EXPECT_TRUE(Events(storage::OrganisationTenancy("north-1")).empty());
}

TEST_F(OrganisationDirectoryTest, CreateStaffNeedsAnActiveOrganisation) {
  EXPECT_TRUE(Names(
      directory_.CreateStaffUser(admin_, StaffRequest("nobody", "priya", "s1"))
          .status(),
      absl::StatusCode::kNotFound, "parent"));
  CreateOrganisation("north-1");
  SetOrganisationActive("north-1", false);
  EXPECT_TRUE(Names(
      directory_.CreateStaffUser(admin_, StaffRequest("north-1", "priya", "s1"))
          .status(),
      absl::StatusCode::kFailedPrecondition, "parent"));
  EXPECT_TRUE(Events(storage::OrganisationTenancy("north-1")).empty());
  SetOrganisationActive("north-1", true);
  EXPECT_TRUE(
      directory_.CreateStaffUser(admin_, StaffRequest("north-1", "priya", "s1"))
          .ok());
}

TEST_F(OrganisationDirectoryTest, CommissionersHoldOnlyCommissionerRoles) {
  CreateOrganisation("dwp-north", v1::COMMISSIONER);
  CreateOrganisation("prime-a", v1::PRIME_PROVIDER);
  struct Case {
    std::string organisation;
    StaffRole role;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"dwp-north", type::v1::COMMISSIONER_VIEWER, true},
      {"dwp-north", type::v1::ORGANISATION_ADMIN, true},
      {"dwp-north", type::v1::ADVISER, false},
      {"dwp-north", type::v1::QUALITY_MANAGER, false},
      {"prime-a", type::v1::COMMISSIONER_VIEWER, false},
      {"prime-a", type::v1::CONTRACT_MANAGER, true},
  };
  int n = 0;
  for (const Case& c : cases) {
    absl::StatusOr<v1::StaffUser> s = directory_.CreateStaffUser(
        admin_, StaffRequest(c.organisation, absl::StrCat("user-", n),
                             absl::StrCat("s", n), c.role));
    ++n;
    if (c.allowed) {
      EXPECT_TRUE(s.ok()) << s.status();
    } else {
      EXPECT_TRUE(Names(s.status(), absl::StatusCode::kInvalidArgument,
                        "staff_user.role"))
          << c.organisation << " " << type::v1::StaffRole_Name(c.role);
    }
  }
}

TEST_F(OrganisationDirectoryTest, CreateStaffReplaysEvenOnceTheOrgIsInactive) {
  CreateOrganisation("north-1");
  v1::CreateStaffUserRequest request = StaffRequest("north-1", "priya", "s1");
  absl::StatusOr<v1::StaffUser> first =
      directory_.CreateStaffUser(admin_, request);
  ASSERT_TRUE(first.ok()) << first.status();
  SetOrganisationActive("north-1", false);
  absl::StatusOr<v1::StaffUser> again =
      directory_.CreateStaffUser(admin_, request);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->SerializeAsString(), first->SerializeAsString());
  EXPECT_EQ(Events(storage::OrganisationTenancy("north-1")).size(), 1u);

  request.mutable_staff_user()->set_display_name("Someone Else");
  EXPECT_TRUE(Names(directory_.CreateStaffUser(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "request_id"));
}

TEST_F(OrganisationDirectoryTest, CreateStaffRefusesATakenUserId) {
  CreateOrganisation("north-1");
  CreateOrganisation("north-2");
  CreateStaff("north-1", "priya");
  EXPECT_TRUE(Names(
      directory_.CreateStaffUser(admin_, StaffRequest("north-1", "priya", "s9"))
          .status(),
      absl::StatusCode::kAlreadyExists, "staff_user_id"));
  // User ids are the organisation's own.
  EXPECT_TRUE(
      directory_.CreateStaffUser(admin_, StaffRequest("north-2", "priya", "s9"))
          .ok());
  EXPECT_EQ(Events(storage::OrganisationTenancy("north-1")).size(), 1u);
}

// ---- Staff users: get and update

TEST_F(OrganisationDirectoryTest, GetStaffReadsWhatCreateWrote) {
  CreateOrganisation("north-1");
  v1::StaffUser created = CreateStaff("north-1", "priya");
  v1::GetStaffUserRequest request;
  request.set_name(created.name());
  absl::StatusOr<v1::StaffUser> got = directory_.GetStaffUser(admin_, request);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->SerializeAsString(), created.SerializeAsString());

  for (const std::string name :
       {"", "organisations/north-1", "organisations/north-1/staff/",
        "organisations/north-1/staff/Priya", "organisations/n1/staff/priya",
        "organisations/north-1/people/priya", "staff/priya"}) {
    request.set_name(name);
    EXPECT_TRUE(Names(directory_.GetStaffUser(admin_, request).status(),
                      absl::StatusCode::kInvalidArgument, "name"))
        << name;
  }
  request.set_name("organisations/north-1/staff/nobody");
  EXPECT_EQ(directory_.GetStaffUser(admin_, request).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(OrganisationDirectoryTest, UpdateStaffChangesMaskedFieldsAndIndexes) {
  CreateOrganisation("north-1");
  v1::StaffUser s = CreateStaff("north-1", "priya");
  v1::StaffUser change = s;
  change.set_role(type::v1::TEAM_LEADER);
  change.set_team("team-b");
  change.set_email("p.shah@Northern-Works.example");
  change.set_display_name("Ignored");
  absl::StatusOr<v1::StaffUser> updated =
      UpdateStaff(change, {"role", "team", "email"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->role(), type::v1::TEAM_LEADER);
  EXPECT_EQ(updated->team(), "team-b");
  EXPECT_EQ(updated->email(), "p.shah@northern-works.example");
  EXPECT_EQ(updated->display_name(), "Priya Shah");
  EXPECT_EQ(updated->etag(), "2");

  v1::ListStaffUsersRequest list;
  list.set_parent("organisations/north-1");
  list.set_role(type::v1::ADVISER);
  EXPECT_TRUE(StaffIds(list).empty());
  list.set_role(type::v1::TEAM_LEADER);
  EXPECT_EQ(StaffIds(list), std::vector<std::string>{"priya"});
  list.clear_role();
  list.set_team("team-a");
  EXPECT_TRUE(StaffIds(list).empty());
  list.set_team("team-b");
  EXPECT_EQ(StaffIds(list), std::vector<std::string>{"priya"});

  std::vector<events::v1::EventEnvelope> events =
      Envelopes(storage::OrganisationTenancy("north-1"));
  ASSERT_EQ(events.size(), 2u);
  v1::StaffUserUpdated event;
  ASSERT_TRUE(events[1].payload().UnpackTo(&event));
  EXPECT_EQ(events[1].aggregate_version(), 2);
  EXPECT_EQ(event.facts().role(), type::v1::TEAM_LEADER);
  EXPECT_EQ(event.facts().team(), "team-b");
  EXPECT_EQ(std::set<std::string>(event.changed_fields().begin(),
                                  event.changed_fields().end()),
            (std::set<std::string>{"role", "team", "email"}));
  EXPECT_FALSE(absl::StrContains(events[1].SerializeAsString(), "p.shah"));
}

TEST_F(OrganisationDirectoryTest, UpdateStaffClearsTheTeam) {
  CreateOrganisation("north-1");
  v1::StaffUser s = CreateStaff("north-1", "priya");
  s.clear_team();
  absl::StatusOr<v1::StaffUser> updated = UpdateStaff(s, {"team"});
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(updated->team().empty());
  v1::ListStaffUsersRequest list;
  list.set_parent("organisations/north-1");
  list.set_team("team-a");
  EXPECT_TRUE(StaffIds(list).empty());
}

TEST_F(OrganisationDirectoryTest, UpdateStaffRefusesWhatCreateRefuses) {
  CreateOrganisation("north-1");
  v1::StaffUser s = CreateStaff("north-1", "priya");
  using Change = std::function<void(v1::StaffUser&)>;
  const std::vector<std::tuple<std::string, std::string, Change>> cases = {
      {"staff_user.display_name", "display_name",
       [](auto& x) { x.clear_display_name(); }},
      {"staff_user.email", "email", [](auto& x) { x.clear_email(); }},
      {"staff_user.email", "email", [](auto& x) { x.set_email("@x.org"); }},
      {"staff_user.role", "role", [](auto& x) { x.clear_role(); }},
      {"staff_user.role", "role",
       [](auto& x) { x.set_role(type::v1::COMMISSIONER_VIEWER); }},
      {"staff_user.team", "team", [](auto& x) { x.set_team("-a"); }},
  };
  for (const auto& [field, path, change] : cases) {
    v1::StaffUser bad = s;
    change(bad);
    EXPECT_TRUE(Names(UpdateStaff(bad, {path}).status(),
                      absl::StatusCode::kInvalidArgument, field));
  }
  for (const std::string path : {"name", "create_time", "organisation"}) {
    EXPECT_TRUE(Names(UpdateStaff(s, {path}).status(),
                      absl::StatusCode::kInvalidArgument, "update_mask"));
  }
  EXPECT_TRUE(Names(UpdateStaff(s, {}).status(),
                    absl::StatusCode::kInvalidArgument, "update_mask"));
  EXPECT_EQ(Events(storage::OrganisationTenancy("north-1")).size(), 1u);
}

TEST_F(OrganisationDirectoryTest, UpdateStaffEtagAndNoOp) {
  CreateOrganisation("north-1");
  v1::StaffUser s = CreateStaff("north-1", "priya");
  absl::StatusOr<v1::StaffUser> same = UpdateStaff(s, {"display_name", "role"});
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->etag(), "1");
  v1::StaffUser off = s;
  off.set_active(false);
  ASSERT_TRUE(UpdateStaff(off, {"active"}).ok());
  v1::StaffUser stale = s;  // etag "1"
  stale.set_team("team-c");
  EXPECT_TRUE(Names(UpdateStaff(stale, {"team"}).status(),
                    absl::StatusCode::kAborted, "staff_user.etag"));
  EXPECT_EQ(Events(storage::OrganisationTenancy("north-1")),
            (std::vector<std::string>{"StaffUserCreated", "StaffUserUpdated"}));
  stale.set_name("organisations/north-1/staff/nobody");
  EXPECT_EQ(UpdateStaff(stale, {"team"}).status().code(),
            absl::StatusCode::kNotFound);
}

// ---- Staff users: list

TEST_F(OrganisationDirectoryTest, ListStaffPagesAndFilters) {
  CreateOrganisation("north-1");
  CreateOrganisation("north-2");
  CreateStaff("north-1", "user-d", type::v1::ADVISER, "team-a");
  CreateStaff("north-1", "user-a", type::v1::ADVISER, "team-b");
  CreateStaff("north-1", "user-c", type::v1::TEAM_LEADER, "team-a");
  CreateStaff("north-1", "user-b", type::v1::QUALITY_MANAGER, "");
  CreateStaff("north-1", "user-e", type::v1::ADVISER, "team-a");
  CreateStaff("north-2", "user-z", type::v1::ADVISER, "team-a");
  v1::StaffUser e;
  e.set_name("organisations/north-1/staff/user-e");
  e.set_active(false);
  ASSERT_TRUE(UpdateStaff(e, {"active"}).ok());

  v1::ListStaffUsersRequest request;
  request.set_parent("organisations/north-1");
  request.set_page_size(2);
  int pages = 0;
  EXPECT_EQ(StaffIds(request, &pages),
            (std::vector<std::string>{"user-a", "user-b", "user-c", "user-d",
                                      "user-e"}));
  EXPECT_EQ(pages, 3);
  request.set_role(type::v1::ADVISER);
  EXPECT_EQ(StaffIds(request),
            (std::vector<std::string>{"user-a", "user-d", "user-e"}));
  request.set_team("team-a");
  EXPECT_EQ(StaffIds(request), (std::vector<std::string>{"user-d", "user-e"}));
  request.set_active(true);
  EXPECT_EQ(StaffIds(request), std::vector<std::string>{"user-d"});
  request.clear_role();
  request.clear_team();
  request.set_active(false);
  EXPECT_EQ(StaffIds(request), std::vector<std::string>{"user-e"});
}

TEST_F(OrganisationDirectoryTest, ListStaffNamesBadArguments) {
  CreateOrganisation("north-1");
  v1::ListStaffUsersRequest request;
  EXPECT_TRUE(Names(directory_.ListStaffUsers(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "parent"));
  request.set_parent("organisations/nobody");
  EXPECT_TRUE(Names(directory_.ListStaffUsers(admin_, request).status(),
                    absl::StatusCode::kNotFound, "parent"));
  request.set_parent("organisations/north-1");
  request.set_page_size(1000);
  EXPECT_TRUE(Names(directory_.ListStaffUsers(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "page_size"));
  request.clear_page_size();
  request.set_role(static_cast<StaffRole>(50));
  EXPECT_TRUE(Names(directory_.ListStaffUsers(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "role"));
  request.clear_role();
  request.set_team("Team A");
  EXPECT_TRUE(Names(directory_.ListStaffUsers(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "team"));
  request.clear_team();
  request.set_page_token("not-a-token");
  EXPECT_TRUE(Names(directory_.ListStaffUsers(admin_, request).status(),
                    absl::StatusCode::kInvalidArgument, "page_token"));
}

// ---- Staff status

TEST_F(OrganisationDirectoryTest, StatusFollowsUserAndOrganisation) {
  CreateOrganisation("north-1");
  v1::StaffUser s =
      CreateStaff("north-1", "priya", type::v1::TEAM_LEADER, "team-a");
  absl::StatusOr<v1::StaffStatus> status = Status(s.name());
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->name(), s.name());
  EXPECT_TRUE(status->active());
  EXPECT_TRUE(status->organisation_active());
  EXPECT_EQ(status->role(), type::v1::TEAM_LEADER);
  EXPECT_EQ(status->team(), "team-a");

  SetOrganisationActive("north-1", false);
  status = Status(s.name());
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->active());
  EXPECT_FALSE(status->organisation_active());

  SetOrganisationActive("north-1", true);
  s.set_active(false);
  s.set_role(type::v1::ADVISER);
  ASSERT_TRUE(UpdateStaff(s, {"active", "role"}).ok());
  status = Status(s.name());
  ASSERT_TRUE(status.ok());
  EXPECT_FALSE(status->active());
  EXPECT_TRUE(status->organisation_active());
  EXPECT_EQ(status->role(), type::v1::ADVISER);
}

TEST_F(OrganisationDirectoryTest, StatusOfSomeoneUnknown) {
  CreateOrganisation("north-1");
  EXPECT_EQ(Status("organisations/north-1/staff/nobody").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Status("organisations/nobody/staff/priya").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(Names(Status("priya").status(),
                    absl::StatusCode::kInvalidArgument, "name"));
}

TEST_F(OrganisationDirectoryTest, AStoreThatIsDownIsUnavailable) {
  CreateOrganisation("north-1");
  CreateStaff("north-1", "priya");
  store_.SetUnavailable(true);
  EXPECT_EQ(Status("organisations/north-1/staff/priya").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(
      directory_
          .CreateOrganisation(admin_, OrganisationRequest("north-2", "r2"))
          .status()
          .code(),
      absl::StatusCode::kUnavailable);
  EXPECT_EQ(directory_.Ready().code(), absl::StatusCode::kUnavailable);
  store_.SetUnavailable(false);
  EXPECT_TRUE(directory_.Ready().ok());
}

}  // namespace
}  // namespace employability::partners

namespace employability::partners {
namespace {

// ---- Reach: what a member of staff reaches once the call gate has admitted
// them with their role's scope (access_policy.textproto).

auth::Caller StaffCaller(const std::string& organisation,
                         const std::string& user, StaffRole role,
                         auth::v1::Scope scope) {
  auth::Caller caller(organisation, user, role);
  caller.scope = scope;
  return caller;
}

class ReachTest : public OrganisationDirectoryTest {};

TEST_F(ReachTest, APrimeAdminOnboardsAndTheEventNamesThem) {
  CreateOrganisation("prime-north", v1::PRIME_PROVIDER);
  const auth::Caller admin = StaffCaller(
      "prime-north", "admin-1", type::v1::ORGANISATION_ADMIN, auth::v1::ANY);
  ASSERT_TRUE(
      directory_
          .CreateOrganisation(
              admin, OrganisationRequest("sub-1", "r1", v1::SUB_CONTRACTOR))
          .ok());
  const auto envelopes = Envelopes("global");
  ASSERT_FALSE(envelopes.empty());
  EXPECT_EQ(envelopes.back().acting_organisation(), "prime-north");
  EXPECT_EQ(envelopes.back().acting_user(), "admin-1");
}

TEST_F(ReachTest, APartnerAgencyDoesNotOnboard) {
  CreateOrganisation("agency-1", v1::PARTNER_AGENCY);
  const auth::Caller admin = StaffCaller(
      "agency-1", "admin-1", type::v1::ORGANISATION_ADMIN, auth::v1::ANY);
  const absl::Status status =
      directory_
          .CreateOrganisation(
              admin, OrganisationRequest("sub-1", "r1", v1::SUB_CONTRACTOR))
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  // Nor does a caller whose organisation is not in the directory.
  const auth::Caller stranger = StaffCaller(
      "nowhere", "admin-1", type::v1::ORGANISATION_ADMIN, auth::v1::ANY);
  EXPECT_EQ(
      directory_
          .CreateOrganisation(stranger, OrganisationRequest("sub-2", "r2"))
          .status()
          .code(),
      absl::StatusCode::kPermissionDenied);
}

TEST_F(ReachTest, AnAdminManagesOnlyTheirOwnOrganisationsStaff) {
  CreateOrganisation("north-1");
  CreateOrganisation("east-1");
  CreateStaff("east-1", "omar");
  const auth::Caller admin =
      StaffCaller("north-1", "admin-1", type::v1::ORGANISATION_ADMIN,
                  auth::v1::OWNING_ORGANISATION);
  EXPECT_TRUE(
      directory_.CreateStaffUser(admin, StaffRequest("north-1", "priya", "r1"))
          .ok());
  const absl::Status other =
      directory_.CreateStaffUser(admin, StaffRequest("east-1", "eve", "r2"))
          .status();
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(other.message(), "organisations/east-1"));

  // Reading another organisation's staff: the same answer for a user who
  // exists and one who does not, so neither is revealed.
  v1::GetStaffUserRequest get;
  get.set_name("organisations/east-1/staff/omar");
  const absl::Status exists = directory_.GetStaffUser(admin, get).status();
  get.set_name("organisations/east-1/staff/nobody");
  const absl::Status missing = directory_.GetStaffUser(admin, get).status();
  EXPECT_EQ(exists.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(exists, missing);
  v1::ListStaffUsersRequest list;
  list.set_parent("organisations/east-1");
  EXPECT_EQ(directory_.ListStaffUsers(admin, list).status().code(),
            absl::StatusCode::kPermissionDenied);
  list.set_parent("organisations/north-1");
  EXPECT_TRUE(directory_.ListStaffUsers(admin, list).ok());
}

TEST_F(ReachTest, AnAdminUpdatesOnlyTheirOwnOrganisation) {
  v1::Organisation north = CreateOrganisation("north-1");
  v1::Organisation east = CreateOrganisation("east-1");
  const auth::Caller admin =
      StaffCaller("north-1", "admin-1", type::v1::ORGANISATION_ADMIN,
                  auth::v1::OWNING_ORGANISATION);
  v1::UpdateOrganisationRequest request;
  request.mutable_update_mask()->add_paths("display_name");
  *request.mutable_organisation() = east;
  request.mutable_organisation()->set_display_name("Taken Over Ltd");
  EXPECT_EQ(directory_.UpdateOrganisation(admin, request).status().code(),
            absl::StatusCode::kPermissionDenied);
  *request.mutable_organisation() = north;
  request.mutable_organisation()->set_display_name("Northern Works Group");
  EXPECT_TRUE(directory_.UpdateOrganisation(admin, request).ok());
}

TEST_F(ReachTest, NoScopeReachesNothing) {
  CreateOrganisation("north-1");
  const auth::Caller unscoped =
      StaffCaller("north-1", "admin-1", type::v1::ORGANISATION_ADMIN,
                  auth::v1::SCOPE_UNSPECIFIED);
  v1::ListStaffUsersRequest list;
  list.set_parent("organisations/north-1");
  EXPECT_EQ(directory_.ListStaffUsers(unscoped, list).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace employability::partners
