#include "tests/harness/test_data.h"

#include <atomic>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/auth/caller.h"
#include "common/status/grpc_status.h"
#include "common/storage/keys.h"
#include "common/validation/dates.h"

namespace employability::test_harness {

std::unique_ptr<grpc::ClientContext> AnonymousContext(absl::Duration deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  return context;
}

std::unique_ptr<grpc::ClientContext> CallContext(const TestCaller& caller,
                                                 absl::Duration deadline) {
  std::unique_ptr<grpc::ClientContext> context = AnonymousContext(deadline);
  TestStaffDirectory::Instance().Enrol(caller);
  context->AddMetadata("authorization", TestAuthorization(caller));
  if (!caller.purpose.empty()) {
    context->AddMetadata(auth::kPurposeHeader, caller.purpose);
  }
  return context;
}

std::unique_ptr<grpc::ClientContext> ServiceContext(const std::string& service,
                                                    absl::Duration deadline) {
  std::unique_ptr<grpc::ClientContext> context = AnonymousContext(deadline);
  context->AddMetadata("authorization", TestServiceAuthorization(service));
  return context;
}

std::string UniqueId(absl::string_view prefix) {
  static absl::Mutex mu(absl::kConstInit);
  static std::mt19937_64* random = new std::mt19937_64(std::random_device{}());
  constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id = absl::StrCat(prefix, "-");
  absl::MutexLock lock(&mu);
  for (int i = 0; i < 12; ++i) id.push_back(kAlphabet[(*random)() % 36]);
  return id;
}

std::string NextNationalInsuranceNumber() {
  static std::atomic<int> next{1};
  return absl::StrFormat("JK%06dA", next.fetch_add(1) % 1000000);
}

v1::Participant ValidParticipant() {
  v1::Participant p;
  p.set_programme("restart");
  p.set_adviser("adviser-one");
  p.set_referral_source(v1::JOBCENTRE_PLUS);
  p.mutable_referral_date()->set_year(2024);
  p.mutable_referral_date()->set_month(1);
  p.mutable_referral_date()->set_day(15);
  p.set_given_name("Ada");
  p.set_family_name("Lovelace");
  p.mutable_date_of_birth()->set_year(1990);
  p.mutable_date_of_birth()->set_month(5);
  p.mutable_date_of_birth()->set_day(17);
  p.set_national_insurance_number(NextNationalInsuranceNumber());
  p.mutable_contact()->set_email("ada@example.org");
  p.mutable_contact()->set_phone("07700 900123");
  p.mutable_contact()->add_address_lines("1 Piccadilly");
  p.mutable_contact()->set_postcode("M1 1AE");
  return p;
}

std::string ContractName(const std::string& contract) {
  return absl::StrCat("contracts/", contract);
}

v1::CreateParticipantRequest CreateRequest(const std::string& contract,
                                           const v1::Participant& participant) {
  v1::CreateParticipantRequest request;
  request.set_parent(ContractName(contract));
  *request.mutable_participant() = participant;
  request.set_request_id(UniqueId("req"));
  return request;
}

absl::CivilDay LondonToday() {
  absl::TimeZone london;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  return absl::ToCivilDay(absl::Now(), london);
}

type::v1::Date ToDate(absl::CivilDay day) { return validation::ToDate(day); }

absl::CivilDay DayOf(const type::v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

type::v1::Date MakeDate(int year, int month, int day) {
  type::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

type::v1::Date DayFromToday(int days) { return ToDate(LondonToday() + days); }

std::string ParticipantsEventType(absl::string_view short_type) {
  return absl::StrCat(kParticipantsEventPrefix, short_type);
}

std::string ShortType(const EventEnvelope& event) {
  absl::string_view type = event.type();
  absl::ConsumePrefix(&type, kParticipantsEventPrefix);
  return std::string(type);
}

std::vector<std::string> ShortTypes(const std::vector<EventEnvelope>& events) {
  std::vector<std::string> types;
  types.reserve(events.size());
  for (const EventEnvelope& event : events) types.push_back(ShortType(event));
  return types;
}

std::string EventStream(const std::string& contract) {
  return storage::KeySpace("participants", storage::ContractTenancy(contract))
      .Events();
}

namespace {

absl::StatusOr<std::vector<storage::StreamEntry>> ReadStream(
    storage::Store& store, const std::string& stream) {
  std::vector<storage::StreamEntry> all;
  std::string after = "0-0";
  while (true) {
    absl::StatusOr<std::vector<storage::StreamEntry>> page =
        store.StreamRead(stream, after, 1000);
    if (!page.ok()) return page.status();
    if (page->empty()) return all;
    after = page->back().id;
    for (storage::StreamEntry& entry : *page) all.push_back(std::move(entry));
  }
}

}  // namespace

absl::StatusOr<std::vector<EventEnvelope>> ReadEvents(
    storage::Store& store, const std::string& contract) {
  absl::StatusOr<std::vector<storage::StreamEntry>> entries =
      ReadStream(store, EventStream(contract));
  if (!entries.ok()) return entries.status();
  std::vector<EventEnvelope> events;
  for (const storage::StreamEntry& entry : *entries) {
    EventEnvelope envelope;
    if (!envelope.ParseFromString(entry.payload)) {
      return absl::DataLossError(
          absl::StrCat("entry ", entry.id, " is not an EventEnvelope"));
    }
    events.push_back(std::move(envelope));
  }
  return events;
}

absl::StatusOr<size_t> StreamLength(storage::Store& store,
                                    const std::string& contract) {
  absl::StatusOr<std::vector<storage::StreamEntry>> entries =
      ReadStream(store, EventStream(contract));
  if (!entries.ok()) return entries.status();
  return entries->size();
}

std::string LastSegment(const std::string& name) {
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

std::shared_ptr<grpc::Channel> NewTestChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(),
                                   args);
}

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service, ServingStatus* status) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  std::unique_ptr<grpc::ClientContext> context =
      AnonymousContext(absl::Seconds(2));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status result = stub->Check(context.get(), request, &response);
  *status = response.status();
  return result;
}

bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel,
                   const std::string& service, ServingStatus want,
                   absl::Duration timeout) {
  return PollUntil(
      [&] {
        ServingStatus status;
        return CheckHealth(channel, service, &status).ok() && status == want;
      },
      timeout);
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(StatusCodeName(status.error_code()), ": \"",
                      status.error_message(), "\"");
}

::testing::AssertionResult StatusIs(const grpc::Status& status,
                                    grpc::StatusCode code,
                                    absl::string_view field) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure()
           << "got " << Describe(status) << ", want "
           << Describe(grpc::Status(code, ""));
  }
  if (field.empty()) return ::testing::AssertionSuccess();
  const std::string& message = status.error_message();
  const bool named = absl::StartsWith(message, field) &&
                     (message.size() == field.size() ||
                      absl::string_view(":. [").find(message[field.size()]) !=
                          absl::string_view::npos);
  if (!named) {
    return ::testing::AssertionFailure() << "message does not start by naming "
                                         << field << ": " << Describe(status);
  }
  return ::testing::AssertionSuccess();
}

bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration interval) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(interval);
  }
}

}  // namespace employability::test_harness
