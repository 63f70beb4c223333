#include "services/partners/bootstrap.h"

#include <gtest/gtest.h>

#include "common/storage/memory_store.h"
#include "common/time/clock.h"

namespace employability::partners {
namespace {

class BootstrapTest : public testing::Test {
 protected:
  static FirstOrganisation First() {
    FirstOrganisation first;
    first.organisation_id = "prime-north";
    first.display_name = "Prime North Ltd";
    first.admin_id = "alex";
    first.admin_name = "Alex Admin";
    first.admin_email = "alex@prime-north.example";
    return first;
  }

  SystemClock clock_;
  SequentialIdSource ids_{"b"};
  storage::MemoryStore store_{clock_};
  storage::KeyHasher key_hasher_{"test-secret"};
  OrganisationDirectory directory_{store_, clock_, ids_, key_hasher_};
};

TEST_F(BootstrapTest, MakesTheFirstOrganisationAndItsAdminOnce) {
  absl::StatusOr<v1::StaffUser> admin = Bootstrap(directory_, First());
  ASSERT_TRUE(admin.ok()) << admin.status();
  EXPECT_EQ(admin->name(), "organisations/prime-north/staff/alex");
  EXPECT_EQ(admin->role(), type::v1::ORGANISATION_ADMIN);

  absl::StatusOr<auth::TokenClaims> claims =
      StaffClaims(directory_, "prime-north", "alex");
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->role, "ORGANISATION_ADMIN");
  EXPECT_EQ(claims->organisation, "prime-north");

  // A second run, whatever it names, finds the suite bootstrapped.
  FirstOrganisation another = First();
  another.organisation_id = "prime-south";
  EXPECT_EQ(Bootstrap(directory_, another).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(BootstrapTest, NamesABadField) {
  FirstOrganisation first = First();
  first.admin_email = "not an address";
  const absl::Status status = Bootstrap(directory_, first).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("staff_user.email"), std::string::npos)
      << status;
}

TEST_F(BootstrapTest, NoTokenForSomeoneDeactivatedOrUnknown) {
  ASSERT_TRUE(Bootstrap(directory_, First()).ok());
  EXPECT_EQ(StaffClaims(directory_, "prime-north", "nobody").status().code(),
            absl::StatusCode::kNotFound);
  auth::Caller bootstrap;
  bootstrap.service = "bootstrap";
  v1::UpdateStaffUserRequest update;
  update.mutable_staff_user()->set_name("organisations/prime-north/staff/alex");
  update.mutable_staff_user()->set_active(false);
  update.mutable_update_mask()->add_paths("active");
  ASSERT_TRUE(directory_.UpdateStaffUser(bootstrap, update).ok());
  EXPECT_EQ(StaffClaims(directory_, "prime-north", "alex").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace employability::partners
