// Organisations and staff put into the partners service's directory the way
// the bootstrap command puts the first ones: through the directory itself,
// as a service, since no member of staff exists yet to onboard anyone.
// Integration tests use it to make the organisations their callers belong
// to; each test builds its own requests.
#ifndef EMPLOYABILITY_TESTS_HARNESS_DIRECTORY_SEED_H_
#define EMPLOYABILITY_TESTS_HARNESS_DIRECTORY_SEED_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/storage/keys.h"
#include "common/storage/store.h"
#include "common/time/clock.h"
#include "employability/partners/v1/partners.pb.h"
#include "services/partners/organisation_directory.h"

namespace employability::test_harness {

// The key secret of the in-process suite under test (suite_under_test.h).
inline constexpr char kTestKeySecret[] = "integration-test-secret";

class DirectorySeed {
 public:
  // `store` (and `clock`, when given) outlive the seed; `key_secret` must be
  // the one the suite that reads the directory keys with.
  explicit DirectorySeed(storage::Store& store, const Clock* clock = nullptr,
                         absl::string_view key_secret = kTestKeySecret);

  absl::StatusOr<partners::v1::Organisation> Organisation(
      const partners::v1::CreateOrganisationRequest& request);
  absl::StatusOr<partners::v1::StaffUser> Staff(
      const partners::v1::CreateStaffUserRequest& request);

 private:
  SystemClock system_clock_;
  const Clock& clock_;
  RandomIdSource ids_;
  storage::KeyHasher key_hasher_;
  partners::OrganisationDirectory directory_;
};

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_HARNESS_DIRECTORY_SEED_H_
