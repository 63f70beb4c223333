#include "tests/harness/test_identity.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace employability::test_harness {
namespace {

std::string Key(const std::string& organisation, const std::string& user) {
  return absl::StrCat(organisation, "/", user);
}

const auth::TokenIssuer& Issuer() {
  static const auth::TokenIssuer* issuer = [] {
    absl::StatusOr<auth::TokenIssuer> made =
        auth::TokenIssuer::Create(TestTokenSettings(), TestTokenKey());
    if (!made.ok()) {
      std::cerr << "test token issuer: " << made.status() << std::endl;
      std::abort();
    }
    return new auth::TokenIssuer(*std::move(made));
  }();
  return *issuer;
}

std::string Bearer(const auth::TokenClaims& claims) {
  absl::StatusOr<std::string> token =
      Issuer().Issue(claims, absl::Now(), absl::Hours(1));
  if (!token.ok()) {
    std::cerr << "test token: " << token.status() << std::endl;
    std::abort();
  }
  return absl::StrCat("Bearer ", *token);
}

}  // namespace

TestCaller As(const TestCaller& caller, StaffRole role, std::string team) {
  TestCaller as = caller;
  as.role = role;
  as.team = std::move(team);
  return as;
}

TestCaller For(const TestCaller& caller, std::string purpose) {
  TestCaller declaring = caller;
  declaring.purpose = std::move(purpose);
  return declaring;
}

auth::TokenSettings TestTokenSettings() {
  auth::TokenSettings settings;
  settings.algorithm = "HS256";
  settings.issuer = "employability-test";
  settings.audience = "employability-suite";
  return settings;
}

auth::TokenKey TestTokenKey() {
  return {"test-1", "integration-test-token-key-0123456789abcdef"};
}

std::string TestAuthorization(const TestCaller& caller) {
  auth::TokenClaims claims;
  claims.organisation = caller.organisation;
  claims.user = caller.user;
  claims.role = type::v1::StaffRole_Name(caller.role);
  claims.team = caller.team;
  return Bearer(claims);
}

std::string TestServiceAuthorization(const std::string& service) {
  auth::TokenClaims claims;
  claims.service = service;
  return Bearer(claims);
}

TestStaffDirectory& TestStaffDirectory::Instance() {
  static TestStaffDirectory* directory = new TestStaffDirectory();
  return *directory;
}

void TestStaffDirectory::Enrol(const TestCaller& caller) {
  auth::StaffStanding standing;
  standing.active = true;
  standing.organisation_active = true;
  standing.role = caller.role;
  standing.team = caller.team;
  SetStanding(caller.organisation, caller.user, standing);
}

void TestStaffDirectory::SetStanding(const std::string& organisation,
                                     const std::string& user,
                                     const auth::StaffStanding& standing) {
  absl::MutexLock lock(&mu_);
  staff_[Key(organisation, user)] = standing;
}

void TestStaffDirectory::Remove(const std::string& organisation,
                                const std::string& user) {
  absl::MutexLock lock(&mu_);
  staff_.erase(Key(organisation, user));
}

absl::StatusOr<auth::StaffStanding> TestStaffDirectory::Standing(
    const std::string& organisation, const std::string& user) {
  absl::MutexLock lock(&mu_);
  auto it = staff_.find(Key(organisation, user));
  if (it == staff_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no staff user ", Key(organisation, user)));
  }
  return it->second;
}

}  // namespace employability::test_harness
