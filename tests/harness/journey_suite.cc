#include "tests/harness/journey_suite.h"

#include <utility>

#include "absl/status/statusor.h"

namespace employability::test_harness {

JourneySuiteTest::JourneySuiteTest(absl::string_view contract_prefix,
                                   const Clock* clock)
    : contract_(UniqueId(contract_prefix)), clock_(clock) {}

void JourneySuiteTest::SetUp() {
  SuiteOptions options;
  options.metrics = false;  // not scraped here; its 2 s stop would dominate
  options.clock = clock_;
  absl::StatusOr<std::unique_ptr<SuiteUnderTest>> suite =
      SuiteUnderTest::Start(options);
  ASSERT_TRUE(suite.ok()) << suite.status();
  suite_ = *std::move(suite);
  participants_ = suite_->NewStub();
}

v1::Participant JourneySuiteTest::MustEnrol(const TestCaller& caller) {
  return MustEnrol(ValidParticipant(), caller);
}

v1::Participant JourneySuiteTest::MustEnrol(const v1::Participant& participant,
                                            const TestCaller& caller) {
  v1::Participant created;
  grpc::Status status = participants_->CreateParticipant(
      CallContext(caller).get(), CreateRequest(contract_, participant),
      &created);
  EXPECT_TRUE(status.ok()) << Describe(status);
  return created;
}

v1::Participant JourneySuiteTest::MustStart(const v1::Participant& participant,
                                            const TestCaller& caller) {
  v1::UpdateParticipantRequest request;
  request.mutable_participant()->set_name(participant.name());
  request.mutable_participant()->set_status(v1::STARTED);
  request.mutable_update_mask()->add_paths("status");
  v1::Participant started;
  grpc::Status status = participants_->UpdateParticipant(
      CallContext(caller).get(), request, &started);
  EXPECT_TRUE(status.ok()) << Describe(status);
  return started;
}

v1::Participant JourneySuiteTest::GetParticipant(const std::string& name) {
  v1::GetParticipantRequest request;
  request.set_name(name);
  v1::Participant got;
  grpc::Status status =
      participants_->GetParticipant(CallContext().get(), request, &got);
  EXPECT_TRUE(status.ok()) << Describe(status);
  return got;
}

std::vector<EventEnvelope> JourneySuiteTest::Events() {
  absl::StatusOr<std::vector<EventEnvelope>> events =
      ReadEvents(suite_->store(), contract_);
  EXPECT_TRUE(events.ok()) << events.status();
  return events.value_or(std::vector<EventEnvelope>{});
}

std::vector<EventEnvelope> JourneySuiteTest::EventsOf(
    const std::string& aggregate) {
  std::vector<EventEnvelope> of;
  for (EventEnvelope& event : Events()) {
    if (event.aggregate() == aggregate) of.push_back(std::move(event));
  }
  return of;
}

std::vector<EventEnvelope> JourneySuiteTest::EventsOfType(
    absl::string_view short_type) {
  const std::string type = ParticipantsEventType(short_type);
  std::vector<EventEnvelope> of;
  for (EventEnvelope& event : Events()) {
    if (event.type() == type) of.push_back(std::move(event));
  }
  return of;
}

std::vector<std::string> JourneySuiteTest::EventTypes() {
  return ShortTypes(Events());
}

std::vector<std::string> JourneySuiteTest::EventTypesOf(
    const std::string& aggregate) {
  return ShortTypes(EventsOf(aggregate));
}

std::vector<std::string> JourneySuiteTest::NewEvents() {
  absl::StatusOr<std::vector<EventEnvelope>> events =
      ReadEvents(suite_->store(), contract_);
  EXPECT_TRUE(events.ok()) << events.status();
  std::vector<std::string> types;
  if (!events.ok()) return types;
  for (size_t i = seen_events_; i < events->size(); ++i) {
    types.push_back(ShortType((*events)[i]));
  }
  last_event_ = events->empty() ? EventEnvelope() : events->back();
  seen_events_ = events->size();
  return types;
}

size_t JourneySuiteTest::StreamLength() {
  absl::StatusOr<size_t> length =
      test_harness::StreamLength(suite_->store(), contract_);
  EXPECT_TRUE(length.ok()) << length.status();
  return length.value_or(0);
}

}  // namespace employability::test_harness
