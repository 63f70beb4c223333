// Exit, subject access and erasure over real gRPC on loopback, against a
// real redis-server: what each returns, the bad input each refuses (naming
// the field, storing nothing), who may call them, and the events on the
// stream.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "employability/participants/v1/barriers.grpc.pb.h"
#include "employability/participants/v1/participant_data.grpc.pb.h"
#include "employability/participants/v1/participant_events.pb.h"
#include "tests/harness/journey_suite.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using test_harness::CallContext;
using test_harness::DayFromToday;
using test_harness::Describe;
using test_harness::As;
using test_harness::StatusIs;
using test_harness::TestCaller;
using test_harness::UniqueId;
namespace v1 = ::employability::participants::v1;
using Code = grpc::StatusCode;

class ParticipantDataIntegrationTest : public test_harness::JourneySuiteTest {
 protected:
  ParticipantDataIntegrationTest() : JourneySuiteTest("pd") {}

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(JourneySuiteTest::SetUp());
    data_ = Stub<v1::ParticipantData>();
    barriers_ = Stub<v1::Barriers>();
  }

  grpc::Status Exit(const std::string& name, v1::ExitReason reason,
                    const type::v1::Date& date, v1::Participant* out) {
    v1::ExitParticipantRequest request;
    request.set_name(name);
    request.set_reason(reason);
    *request.mutable_exit_date() = date;
    return participants_->ExitParticipant(CallContext().get(), request, out);
  }

  grpc::Status Export(const std::string& name, v1::ParticipantDataExport* out,
                      const TestCaller& caller = {}) {
    v1::ExportParticipantDataRequest request;
    request.set_name(name);
    // Subject access and erasure are handled by a quality manager.
    return data_->ExportParticipantData(
        CallContext(As(caller, type::v1::QUALITY_MANAGER)).get(), request, out);
  }

  grpc::Status Erase(const std::string& name, const std::string& reference,
                     v1::Participant* out, const TestCaller& caller = {}) {
    v1::EraseParticipantRequest request;
    request.set_name(name);
    request.set_erasure_reference(reference);
    return data_->EraseParticipant(
        CallContext(As(caller, type::v1::QUALITY_MANAGER)).get(), request, out);
  }

  v1::Barrier AddBarrier(const v1::Participant& p) {
    v1::CreateBarrierRequest request;
    request.set_parent(p.name());
    request.set_request_id(UniqueId("b"));
    request.mutable_barrier()->set_type("transport");
    request.mutable_barrier()->set_severity(v1::MEDIUM);
    *request.mutable_barrier()->mutable_identified_date() = DayFromToday(0);
    request.mutable_barrier()->set_notes("No bus before 7am from the estate");
    v1::Barrier barrier;
    grpc::Status status =
        barriers_->CreateBarrier(CallContext().get(), request, &barrier);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return barrier;
  }

  std::unique_ptr<v1::ParticipantData::Stub> data_;
  std::unique_ptr<v1::Barriers::Stub> barriers_;
};

TEST_F(ParticipantDataIntegrationTest, ExitRecordsTheReasonAndEndsTheSpell) {
  v1::Participant p = MustStart(MustEnrol());
  v1::Participant out;
  EXPECT_TRUE(StatusIs(
      Exit(p.name(), v1::EXIT_REASON_UNSPECIFIED, DayFromToday(0), &out),
      Code::INVALID_ARGUMENT, "reason"));
  EXPECT_TRUE(StatusIs(
      Exit(p.name(), static_cast<v1::ExitReason>(99), DayFromToday(0), &out),
      Code::INVALID_ARGUMENT, "reason"));
  type::v1::Date tomorrow = DayFromToday(0);
  tomorrow.set_year(tomorrow.year() + 1);
  EXPECT_TRUE(StatusIs(Exit(p.name(), v1::DISENGAGED, tomorrow, &out),
                       Code::INVALID_ARGUMENT, "exit_date"));
  EXPECT_TRUE(StatusIs(Exit(p.name(), v1::DISENGAGED, type::v1::Date(), &out),
                       Code::INVALID_ARGUMENT, "exit_date"));
  // Before the programme started: a rule of the spell.
  type::v1::Date before_start = DayFromToday(0);
  before_start.set_year(before_start.year() - 1);
  EXPECT_TRUE(StatusIs(Exit(p.name(), v1::DISENGAGED, before_start, &out),
                       Code::FAILED_PRECONDITION, "exit_date"));
  EXPECT_EQ(EventTypes(),
            (std::vector<std::string>{"ParticipantCreated",
                                      "ParticipantStatusChanged"}));

  grpc::Status status =
      Exit(p.name(), v1::SUSTAINED_EMPLOYMENT, DayFromToday(0), &out);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(out.status(), v1::EXITED);
  EXPECT_EQ(out.spells(0).exit_reason(), v1::SUSTAINED_EMPLOYMENT);
  EXPECT_EQ(out.spells(0).exit_date().day(), DayFromToday(0).day());
  EXPECT_TRUE(StatusIs(Exit(p.name(), v1::DISENGAGED, DayFromToday(0), &out),
                       Code::FAILED_PRECONDITION, "participant.status"));
  auto events = test_harness::ReadEvents(suite_->store(), contract_);
  ASSERT_TRUE(events.ok());
  v1::ParticipantExited exited;
  ASSERT_TRUE((*events)[2].payload().UnpackTo(&exited));
  EXPECT_EQ(exited.facts().exit_reason(), v1::SUSTAINED_EMPLOYMENT);
  EXPECT_EQ(exited.facts().status(), v1::EXITED);
}

TEST_F(ParticipantDataIntegrationTest, ExportHoldsEverythingForTheOwnerOnly) {
  v1::Participant p = MustEnrol();
  v1::Barrier barrier = AddBarrier(p);
  v1::ParticipantDataExport exported;
  grpc::Status status = Export(p.name(), &exported);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(exported.participant().national_insurance_number(),
            p.national_insurance_number());
  ASSERT_EQ(exported.barriers_size(), 1);
  EXPECT_EQ(exported.barriers(0).name(), barrier.name());
  EXPECT_EQ(exported.exported_by(), TestCaller().user);
  EXPECT_TRUE(exported.has_export_time());

  EXPECT_TRUE(StatusIs(
      Export(p.name(), &exported, {"org-elsewhere", "adviser-elsewhere"}),
      Code::PERMISSION_DENIED, ""));
  EXPECT_TRUE(StatusIs(Export("contracts/x/people/y", &exported),
                       Code::INVALID_ARGUMENT, "name"));
  EXPECT_TRUE(StatusIs(
      Export(absl::StrCat("contracts/", contract_, "/participants/nobody"),
             &exported),
      Code::PERMISSION_DENIED, ""));
}

TEST_F(ParticipantDataIntegrationTest, ErasureWipesAndAnnouncesIt) {
  v1::Participant p = MustEnrol();
  AddBarrier(p);
  v1::Participant out;
  for (const char* bad : {"", "has spaces", "ünïcode"}) {
    EXPECT_TRUE(StatusIs(Erase(p.name(), bad, &out), Code::INVALID_ARGUMENT,
                         "erasure_reference"))
        << bad;
  }
  EXPECT_TRUE(StatusIs(
      Erase(p.name(), "DSR-9", &out, {"org-elsewhere", "adviser-elsewhere"}),
      Code::PERMISSION_DENIED, ""));
  EXPECT_EQ(EventTypes().back(), "BarrierRecorded");  // nothing happened

  grpc::Status status = Erase(p.name(), "DSR-2026-0042", &out);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(out.erased());
  EXPECT_TRUE(out.given_name().empty());
  EXPECT_TRUE(out.national_insurance_number().empty());
  EXPECT_EQ(out.status(), v1::REFERRED);
  EXPECT_EQ(EventTypes().back(), "ParticipantErased");

  v1::ParticipantDataExport exported;
  ASSERT_TRUE(Export(p.name(), &exported).ok());
  EXPECT_TRUE(exported.participant().family_name().empty());
  EXPECT_TRUE(exported.barriers(0).notes().empty());
  EXPECT_EQ(exported.barriers(0).type(), "transport");

  // Read-only from now on; erasing again changes nothing.
  v1::CreateBarrierRequest more;
  more.set_parent(p.name());
  more.set_request_id(UniqueId("b"));
  more.mutable_barrier()->set_type("debt");
  more.mutable_barrier()->set_severity(v1::LOW);
  *more.mutable_barrier()->mutable_identified_date() = DayFromToday(0);
  v1::Barrier refused;
  EXPECT_TRUE(
      StatusIs(barriers_->CreateBarrier(CallContext().get(), more, &refused),
               Code::FAILED_PRECONDITION, ""));
  const size_t events = EventTypes().size();
  ASSERT_TRUE(Erase(p.name(), "DSR-2026-0043", &out).ok());
  EXPECT_EQ(out.erasure_reference(), "DSR-2026-0042");
  EXPECT_EQ(EventTypes().size(), events);
}

}  // namespace
}  // namespace employability
