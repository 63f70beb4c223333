// What integration tests send and read back: callers, unique ids, valid
// participants, dates on the service's calendar, the event stream of a
// contract and its events, health checks and polling.
#ifndef EMPLOYABILITY_TESTS_SUPPORT_TEST_DATA_H_
#define EMPLOYABILITY_TESTS_SUPPORT_TEST_DATA_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/storage/store.h"
#include "employability/events/v1/events.pb.h"
#include "employability/participants/v1/participants.pb.h"
#include "employability/type/v1/date.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/harness/test_identity.h"

namespace employability::test_harness {

namespace v1 = ::employability::participants::v1;
using ::employability::events::v1::EventEnvelope;
using ServingStatus = ::grpc::health::v1::HealthCheckResponse::ServingStatus;

inline constexpr char kParticipantsService[] =
    "employability.participants.v1.Participants";
inline constexpr absl::Duration kCallDeadline = absl::Seconds(5);

// A context carrying a bearer token for `caller` (who is then enrolled in
// TestStaffDirectory: see test_identity.h) and a 5 s deadline.
std::unique_ptr<grpc::ClientContext> CallContext(
    const TestCaller& caller = {}, absl::Duration deadline = kCallDeadline);
// A context carrying a service token naming `service` (a suite service on
// its own behalf, e.g. the quality service recording a job outcome).
std::unique_ptr<grpc::ClientContext> ServiceContext(
    const std::string& service, absl::Duration deadline = kCallDeadline);
// A context with a deadline and no caller metadata at all.
std::unique_ptr<grpc::ClientContext> AnonymousContext(
    absl::Duration deadline = kCallDeadline);

// "<prefix>-<12 random characters of [a-z0-9]>": a resource id no other test
// (process, run) uses, so that parallel ctest runs never share a contract.
std::string UniqueId(absl::string_view prefix);

// A valid National Insurance number no earlier call in this process gave:
// "JK", six digits from a counter, "A".
std::string NextNationalInsuranceNumber();

v1::Participant ValidParticipant();
std::string ContractName(const std::string& contract);  // "contracts/<c>"
// A create request with a fresh request_id.
v1::CreateParticipantRequest CreateRequest(const std::string& contract,
                                           const v1::Participant& participant);

// ---- Dates, on the service's calendar (Europe/London).

// Today in Europe/London: the day the server dates the programme's
// paperwork by.
absl::CivilDay LondonToday();
// The request form of `day`.
type::v1::Date ToDate(absl::CivilDay day);
// The civil day of a request date, taken as it is (not validated).
absl::CivilDay DayOf(const type::v1::Date& date);
// A request date from its parts, as given: MakeDate(2025, 2, 29) is a date
// the service must refuse.
type::v1::Date MakeDate(int year, int month, int day);
// The day `days` after today in Europe/London (before it when negative).
type::v1::Date DayFromToday(int days);

// ---- Events.

// The package of the participants service's events, with its final '.'.
inline constexpr char kParticipantsEventPrefix[] =
    "employability.participants.v1.";

// The full type of a participants event: "ContactRecorded" gives
// "employability.participants.v1.ContactRecorded".
std::string ParticipantsEventType(absl::string_view short_type);
// The short type ("ContactRecorded") of a participants event; the full type
// of any other.
std::string ShortType(const EventEnvelope& event);
// The short types of `events`, in order.
std::vector<std::string> ShortTypes(const std::vector<EventEnvelope>& events);

// The payload of `event`; a test failure when it is not a `Payload`.
template <typename Payload>
Payload Unpack(const EventEnvelope& event) {
  Payload payload;
  EXPECT_TRUE(event.payload().UnpackTo(&payload)) << event.DebugString();
  return payload;
}

// The participants event stream of a contract, as the protos document it.
std::string EventStream(const std::string& contract);
// Every entry of the contract's event stream, oldest first, decoded.
absl::StatusOr<std::vector<EventEnvelope>> ReadEvents(
    storage::Store& store, const std::string& contract);
// The number of entries in the contract's event stream.
absl::StatusOr<size_t> StreamLength(storage::Store& store,
                                    const std::string& contract);

// The last path segment of a resource name.
std::string LastSegment(const std::string& name);

// A channel to `address` that retries a refused connection within 100 ms
// (gRPC's default backoff waits a second and more), so that polling for a
// server that is starting sees it as soon as it listens.
std::shared_ptr<grpc::Channel> NewTestChannel(const std::string& address);

// One health Check of `service` ("" for the whole process), 2 s deadline.
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service, ServingStatus* status);
// True when `service` reports `want` within `timeout` (polls).
bool WaitForHealth(const std::shared_ptr<grpc::Channel>& channel,
                   const std::string& service, ServingStatus want,
                   absl::Duration timeout);

// "<CODE>: <message>", for failure output.
std::string Describe(const grpc::Status& status);

// Success when `status` has `code` and, if `field` is not empty, a message
// that names the field first: the field followed by ':', ' ', '.' or '['
// (so "participant" does not pass for "participant.programme").
::testing::AssertionResult StatusIs(const grpc::Status& status,
                                    grpc::StatusCode code,
                                    absl::string_view field = "");

// Calls `condition` every `interval` until it returns true or `timeout`
// passes; returns its last answer.
bool PollUntil(const std::function<bool()>& condition, absl::Duration timeout,
               absl::Duration interval = absl::Milliseconds(50));

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_SUPPORT_TEST_DATA_H_
