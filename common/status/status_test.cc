#include <string>

#include "common/status/grpc_status.h"
#include "common/status/macros.h"
#include "common/status/validation.h"
#include "gtest/gtest.h"

namespace employability {
namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  ASSIGN_OR_RETURN(int half, Half(n));
  ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int n) {
  RETURN_IF_ERROR(Half(n).status());
  return absl::OkStatus();
}

TEST(Macros, ReturnEarlyOnError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckEven(2).ok());
  EXPECT_FALSE(CheckEven(3).ok());
}

TEST(GrpcStatus, KeepsCodeAndMessage) {
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("participant x not found"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "participant x not found");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(FromGrpcStatus(s).code(), absl::StatusCode::kNotFound);
  for (int code = 0; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "m");
    EXPECT_EQ(static_cast<int>(ToGrpcStatus(status).error_code()), code);
  }
}

TEST(GrpcStatus, UpperSnakeCanonicalNames) {
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::INVALID_ARGUMENT),
            "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DEADLINE_EXCEEDED),
            "DEADLINE_EXCEEDED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED),
            "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

TEST(Validation, MessagesNameTheField) {
  EXPECT_EQ(std::string(InvalidField("a.b", "bad").message()), "a.b: bad");
  EXPECT_EQ(std::string(RequiredField("a.b").message()), "a.b is required");
  EXPECT_EQ(FieldPath("", "x"), "x");
  EXPECT_EQ(FieldPath("p", "x"), "p.x");
}

TEST(Validation, CheckText) {
  EXPECT_TRUE(CheckText("f", "", 5, false).ok());
  EXPECT_EQ(std::string(CheckText("f", "", 5, true).message()),
            "f is required");
  EXPECT_TRUE(CheckText("f", "Zoë", 3, true).ok());  // 3 code points, 4 bytes
  EXPECT_FALSE(CheckText("f", "Zoë!", 3, true).ok());
  EXPECT_FALSE(CheckText("f", "a\tb", 10, true).ok());
  EXPECT_FALSE(CheckText("f", "\xC3", 10, true).ok());  // truncated UTF-8
}

TEST(Validation, CheckResourceId) {
  EXPECT_TRUE(CheckResourceId("id", "north-west-1").ok());
  for (const char* bad :
       {"", "-lead", "Upper", "with space", "a/b", "a:b", "a{b}"}) {
    EXPECT_EQ(CheckResourceId("id", bad).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_FALSE(CheckResourceId("id", std::string(64, 'a')).ok());
}

TEST(Validation, PageSize) {
  EXPECT_EQ(*PageSize("page_size", 0, 50, 500), 50);
  EXPECT_EQ(*PageSize("page_size", 500, 50, 500), 500);
  EXPECT_FALSE(PageSize("page_size", 501, 50, 500).ok());
  EXPECT_FALSE(PageSize("page_size", -1, 50, 500).ok());
}

}  // namespace
}  // namespace employability
