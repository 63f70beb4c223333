// The fixture the journey's integration suites share: the participants
// service started in-process for each test (SuiteUnderTest, without
// /metrics), a Participants stub, a contract of the test's own, and the
// calls every suite makes: enrol a participant, read one back, start one,
// and read the contract's events.
//
// A suite derives from it, names the prefix of its contracts, and makes the
// stubs of its own services in its SetUp:
//
//   class ContactsTest : public test_harness::JourneySuiteTest {
//    protected:
//     ContactsTest() : JourneySuiteTest("contacts") {}
//     void SetUp() override {
//       ASSERT_NO_FATAL_FAILURE(JourneySuiteTest::SetUp());
//       contacts_ = Stub<v1::Contacts>();
//     }
//     std::unique_ptr<v1::Contacts::Stub> contacts_;
//   };
#ifndef EMPLOYABILITY_TESTS_HARNESS_JOURNEY_SUITE_H_
#define EMPLOYABILITY_TESTS_HARNESS_JOURNEY_SUITE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/time/clock.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"

namespace employability::test_harness {

class JourneySuiteTest : public ::testing::Test {
 protected:
  // Each test works in a contract "<contract_prefix>-<random>". The service
  // runs on `clock` when given (it must outlive the test), else on the
  // system clock.
  explicit JourneySuiteTest(absl::string_view contract_prefix,
                            const Clock* clock = nullptr);

  // Starts the suite and makes participants_. Subclasses that override it
  // call it first, under ASSERT_NO_FATAL_FAILURE.
  void SetUp() override;

  // A stub of `Service` on the suite's channel.
  template <typename Service>
  std::unique_ptr<typename Service::Stub> Stub() const {
    return Service::NewStub(suite_->channel());
  }

  // A valid participant (ValidParticipant()) created in the contract by
  // `caller`; a test failure (not an abort) when the call fails.
  v1::Participant MustEnrol(const TestCaller& caller = {});
  // As above, for `participant`.
  v1::Participant MustEnrol(const v1::Participant& participant,
                            const TestCaller& caller = {});
  // The participant moved to STARTED today by `caller`; a test failure when
  // the call fails.
  v1::Participant MustStart(const v1::Participant& participant,
                            const TestCaller& caller = {});
  // The participant called `name`, as the default caller reads it; a test
  // failure when the call fails.
  v1::Participant GetParticipant(const std::string& name);

  // Every event on the contract's stream, oldest first.
  std::vector<EventEnvelope> Events();
  // The events about `aggregate`, oldest first.
  std::vector<EventEnvelope> EventsOf(const std::string& aggregate);
  // The events of one short type ("ContactRecorded"), oldest first.
  std::vector<EventEnvelope> EventsOfType(absl::string_view short_type);
  // The short types of every event on the contract's stream, oldest first.
  std::vector<std::string> EventTypes();
  // The short types of the events about `aggregate`, oldest first.
  std::vector<std::string> EventTypesOf(const std::string& aggregate);
  // The short types of the events added since the last call (all of them on
  // the first); last_event() is then the newest event on the stream.
  std::vector<std::string> NewEvents();
  const EventEnvelope& last_event() const { return last_event_; }
  // The number of entries on the contract's stream.
  size_t StreamLength();

  std::unique_ptr<SuiteUnderTest> suite_;
  std::unique_ptr<v1::Participants::Stub> participants_;
  const std::string contract_;

 private:
  const Clock* const clock_;
  size_t seen_events_ = 0;
  EventEnvelope last_event_;
};

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_HARNESS_JOURNEY_SUITE_H_
