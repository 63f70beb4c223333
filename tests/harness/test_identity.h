// Who integration tests call as. Every in-process suite under test verifies
// tokens signed with one test key, and confirms callers against
// TestStaffDirectory: CallContext (test_data.h) signs a token for its
// TestCaller and enrols them there as active, so a test names a caller and
// calls. Tests of standing (deactivated users and organisations, unknown
// users) change the directory; tests of tokens sign their own.
#ifndef EMPLOYABILITY_TESTS_HARNESS_TEST_IDENTITY_H_
#define EMPLOYABILITY_TESTS_HARNESS_TEST_IDENTITY_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/authenticator.h"
#include "common/auth/tokens.h"
#include "employability/type/v1/staff_role.pb.h"

namespace employability::test_harness {

using type::v1::StaffRole;

// Who calls. The default is an adviser of the default organisation.
struct TestCaller {
  std::string organisation = "org-integration";
  std::string user = "adviser-integration";
  StaffRole role = type::v1::ADVISER;
  std::string team;
  // Declared in x-employability-purpose when set (equality data needs
  // EQUALITY_MONITORING).
  std::string purpose;
};

// The same caller declaring `purpose`.
TestCaller For(const TestCaller& caller, std::string purpose);

// The same organisation and user in another role (and team).
TestCaller As(const TestCaller& caller, StaffRole role, std::string team = "");

// The settings and key the suite under test verifies with.
auth::TokenSettings TestTokenSettings();
auth::TokenKey TestTokenKey();

// "Bearer <token>" for `caller`, valid for an hour from now. It does not
// enrol the caller in TestStaffDirectory (CallContext does).
std::string TestAuthorization(const TestCaller& caller);
// "Bearer <service token>" naming `service`.
std::string TestServiceAuthorization(const std::string& service);

// The staff directory of every in-process suite under test.
class TestStaffDirectory final : public auth::StaffDirectory {
 public:
  static TestStaffDirectory& Instance();

  // `caller` active, in an active organisation, with their role and team.
  void Enrol(const TestCaller& caller);
  // Replaces what the directory says about a user.
  void SetStanding(const std::string& organisation, const std::string& user,
                   const auth::StaffStanding& standing);
  // Takes the user out: the directory no longer holds them.
  void Remove(const std::string& organisation, const std::string& user);

  absl::StatusOr<auth::StaffStanding> Standing(
      const std::string& organisation, const std::string& user) override;

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, auth::StaffStanding> staff_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_HARNESS_TEST_IDENTITY_H_
