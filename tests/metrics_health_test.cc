// The operational face of a running service: the real /metrics endpoint,
// scraped over HTTP after calls that succeed and fail, and the standard gRPC
// health service for liveness ("") and readiness (the service's name).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/metrics/scrape.h"
#include "tests/harness/suite_under_test.h"
#include "tests/harness/test_data.h"

namespace employability {
namespace {

using grpc::health::v1::HealthCheckResponse;
using test_harness::CallContext;
using test_harness::CheckHealth;
using test_harness::CreateRequest;
using test_harness::Describe;
using test_harness::kParticipantsService;
using test_harness::ServingStatus;
using test_harness::StatusIs;
using test_harness::SuiteUnderTest;
using test_harness::UniqueId;
using test_harness::ValidParticipant;
namespace v1 = ::employability::participants::v1;

// A series as prometheus-cpp prints it: labels in name order.
std::string Requests(absl::string_view method, absl::string_view code) {
  return absl::StrCat("employability_rpc_requests_total{code=\"", code,
                      "\",method=\"", method, "\",service=\"",
                      kParticipantsService, "\"}");
}

std::string DurationSeries(absl::string_view suffix, absl::string_view method,
                           absl::string_view extra_label = "") {
  return absl::StrCat("employability_rpc_duration_seconds_", suffix,
                      "{method=\"", method, "\",service=\"",
                      kParticipantsService, "\"", extra_label, "}");
}

// The value of one series in a text exposition; NaN when absent.
double Sample(absl::string_view exposition, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      return std::stod(std::string(line));
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

class MetricsHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<SuiteUnderTest>> suite =
        SuiteUnderTest::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = *std::move(suite);
    stub_ = suite_->NewStub();
    contract_ = UniqueId("metrics");
  }

  absl::StatusOr<std::string> Scrape() {
    return metrics::HttpGet(suite_->metrics_address(), "/metrics");
  }

  // Scrapes until `series` reads `want`: the server records a call after
  // sending its status, so the client can see the answer first.
  std::string ScrapeUntil(const std::string& series, double want) {
    std::string last;
    test_harness::PollUntil(
        [&] {
          absl::StatusOr<std::string> body = Scrape();
          if (!body.ok()) return false;
          last = *body;
          return Sample(last, series) == want;
        },
        absl::Seconds(5));
    return last;
  }

  std::unique_ptr<SuiteUnderTest> suite_;
  std::unique_ptr<v1::Participants::Stub> stub_;
  std::string contract_;
};

TEST_F(MetricsHealthTest, MetricsCountCallsByServiceMethodAndCode) {
  ASSERT_GT(suite_->metrics_port(), 0);
  std::string created_id;
  for (int i = 0; i < 2; ++i) {
    v1::Participant out;
    grpc::Status status = stub_->CreateParticipant(
        CallContext().get(), CreateRequest(contract_, ValidParticipant()),
        &out);
    ASSERT_TRUE(status.ok()) << Describe(status);
    created_id = test_harness::LastSegment(out.name());
  }
  v1::CreateParticipantRequest bad =
      CreateRequest(contract_, ValidParticipant());
  bad.mutable_participant()->clear_programme();
  v1::Participant out;
  ASSERT_TRUE(StatusIs(stub_->CreateParticipant(CallContext().get(), bad, &out),
                       grpc::StatusCode::INVALID_ARGUMENT));
  v1::GetParticipantRequest unknown;
  unknown.set_name(
      absl::StrCat("contracts/", contract_, "/participants/", UniqueId("x")));
  ASSERT_TRUE(
      StatusIs(stub_->GetParticipant(CallContext().get(), unknown, &out),
               grpc::StatusCode::PERMISSION_DENIED));

  const std::string body =
      ScrapeUntil(Requests("GetParticipant", "PERMISSION_DENIED"), 1);
  EXPECT_TRUE(absl::StrContains(
      body, "# TYPE employability_rpc_requests_total counter"));
  EXPECT_TRUE(absl::StrContains(
      body, "# TYPE employability_rpc_duration_seconds histogram"));
  EXPECT_EQ(Sample(body, Requests("CreateParticipant", "OK")), 2) << body;
  EXPECT_EQ(Sample(body, Requests("CreateParticipant", "INVALID_ARGUMENT")), 1)
      << body;
  EXPECT_EQ(Sample(body, Requests("GetParticipant", "PERMISSION_DENIED")), 1) << body;
  // Latency: every call lands in the +Inf bucket and the count.
  EXPECT_EQ(Sample(body, DurationSeries("bucket", "CreateParticipant",
                                        ",le=\"+Inf\"")),
            3)
      << body;
  EXPECT_EQ(Sample(body, DurationSeries("count", "CreateParticipant")), 3)
      << body;
  EXPECT_GT(Sample(body, DurationSeries("sum", "CreateParticipant")), 0)
      << body;
  // The bucket series of one method share everything up to the le label.
  std::string bucket_prefix =
      DurationSeries("bucket", "CreateParticipant", ",le=");
  bucket_prefix.pop_back();  // the closing brace
  int buckets = 0;
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    buckets += absl::StartsWith(line, bucket_prefix);
  }
  EXPECT_GT(buckets, 5) << "too few latency buckets to be useful";
  // Labels are bounded: no ids, no contracts.
  EXPECT_FALSE(absl::StrContains(body, created_id));
  EXPECT_FALSE(absl::StrContains(body, contract_));
}

TEST_F(MetricsHealthTest, HealthReportsLivenessAndReadiness) {
  ServingStatus status = HealthCheckResponse::UNKNOWN;
  grpc::Status call = CheckHealth(suite_->channel(), "", &status);
  ASSERT_TRUE(call.ok()) << Describe(call);
  EXPECT_EQ(status, HealthCheckResponse::SERVING) << "liveness";

  call = CheckHealth(suite_->channel(), kParticipantsService, &status);
  ASSERT_TRUE(call.ok()) << Describe(call);
  EXPECT_EQ(status, HealthCheckResponse::SERVING) << "readiness";

  EXPECT_TRUE(
      StatusIs(CheckHealth(suite_->channel(), "no.such.v1.Service", &status),
               grpc::StatusCode::NOT_FOUND));
}

TEST_F(MetricsHealthTest, HealthChecksAreCountedToo) {
  ServingStatus status;
  ASSERT_TRUE(CheckHealth(suite_->channel(), "", &status).ok());
  const std::string series =
      "employability_rpc_requests_total{code=\"OK\",method=\"Check\","
      "service=\"grpc.health.v1.Health\"}";
  const std::string body = ScrapeUntil(series, 1);
  EXPECT_EQ(Sample(body, series), 1) << body;
}

}  // namespace
}  // namespace employability
