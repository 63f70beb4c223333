// employability_admin: what is done before anyone holds a token.
//
//   employability_admin bootstrap --organisation_id=prime-north
//       --organisation_name="Prime North Ltd" --admin_id=admin
//       --admin_name="Alex Admin" --admin_email=alex@prime-north.example
//     On first run: the first organisation (a prime provider unless
//     --organisation_type says otherwise) and its admin; prints the admin's
//     token. Refused once any organisation exists.
//
//   employability_admin token --organisation=prime-north --user=admin
//       --development_mode
//     Development only: a token for any active staff user, logged loudly.
//
// It reads the same configuration as the servers (--redis, --key_secret,
// --token_*, or their EMPLOYABILITY_* variables) and signs with
// --token_signing_key (or, for HS256, the first of --token_keys).
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/config.h"
#include "common/logging/log.h"
#include "common/server/service_main.h"
#include "services/partners/bootstrap.h"

ABSL_FLAG(std::string, organisation_id, "",
          "bootstrap: the first organisation's id");
ABSL_FLAG(std::string, organisation_name, "",
          "bootstrap: the first organisation's display name");
ABSL_FLAG(std::string, organisation_type, "PRIME_PROVIDER",
          "bootstrap: PRIME_PROVIDER or COMMISSIONER");
ABSL_FLAG(std::string, admin_id, "admin", "bootstrap: the admin's user id");
ABSL_FLAG(std::string, admin_name, "", "bootstrap: the admin's display name");
ABSL_FLAG(std::string, admin_email, "", "bootstrap: the admin's email");
ABSL_FLAG(std::string, organisation, "",
          "token: the staff user's organisation");
ABSL_FLAG(std::string, user, "", "token: the staff user's id");
ABSL_FLAG(bool, development_mode, false,
          "token: issue tokens for any staff user (development only; never "
          "with real data)");
ABSL_FLAG(int, token_lifetime_h, 12, "hours the printed token is valid for");

namespace employability::partners {
namespace {

constexpr char kUsage[] =
    "employability_admin bootstrap|token [flags]: the first organisation "
    "and its admin, or (development mode) a token for any staff user.";

int Fail(const absl::Status& status) {
  std::cerr << "employability_admin: " << status << std::endl;
  return absl::IsInvalidArgument(status) ? 2 : 1;
}

absl::StatusOr<std::string> SignFor(const auth::TokenClaims& claims,
                                    const server::TokenConfig& tokens) {
  if (!tokens.signing_key.has_value()) {
    return absl::InvalidArgumentError(
        "--token_signing_key is required to sign tokens with " +
        tokens.settings.algorithm);
  }
  absl::StatusOr<auth::TokenIssuer> issuer =
      auth::TokenIssuer::Create(tokens.settings, *tokens.signing_key);
  if (!issuer.ok()) return issuer.status();
  return issuer->Issue(claims, absl::Now(),
                       absl::Hours(absl::GetFlag(FLAGS_token_lifetime_h)));
}

absl::StatusOr<auth::TokenClaims> RunBootstrap(
    OrganisationDirectory& directory) {
  FirstOrganisation first;
  first.organisation_id = absl::GetFlag(FLAGS_organisation_id);
  first.display_name = absl::GetFlag(FLAGS_organisation_name);
  if (!v1::OrganisationType_Parse(absl::GetFlag(FLAGS_organisation_type),
                                  &first.type) ||
      (first.type != v1::PRIME_PROVIDER && first.type != v1::COMMISSIONER)) {
    return absl::InvalidArgumentError(
        "--organisation_type must be PRIME_PROVIDER or COMMISSIONER");
  }
  first.admin_id = absl::GetFlag(FLAGS_admin_id);
  first.admin_name = absl::GetFlag(FLAGS_admin_name);
  first.admin_email = absl::GetFlag(FLAGS_admin_email);
  absl::StatusOr<v1::StaffUser> admin = Bootstrap(directory, first);
  if (!admin.ok()) return admin.status();
  std::cerr << "bootstrapped organisations/" << first.organisation_id
            << " with its admin " << admin->name() << std::endl;
  return StaffClaims(directory, first.organisation_id, first.admin_id);
}

absl::StatusOr<auth::TokenClaims> RunDevelopmentToken(
    OrganisationDirectory& directory) {
  if (!absl::GetFlag(FLAGS_development_mode)) {
    return absl::PermissionDeniedError(
        "tokens for any staff user are a development mode: pass "
        "--development_mode (never with real data)");
  }
  absl::StatusOr<auth::TokenClaims> claims = StaffClaims(
      directory, absl::GetFlag(FLAGS_organisation), absl::GetFlag(FLAGS_user));
  if (claims.ok()) {
    EMP_LOG(WARNING) << "DEVELOPMENT MODE: issued a token for organisations/"
                     << claims->organisation << "/staff/" << claims->user
                     << " (" << claims->role
                     << ") without any proof of who asked";
  }
  return claims;
}

int AdminMain(int argc, char** argv) {
  std::vector<char*> positional = config::ParseFlags(argc, argv, kUsage);
  logging::Init(argv[0]);
  const std::string command = positional.size() == 2 ? positional[1] : "";
  if (command != "bootstrap" && command != "token") {
    return Fail(absl::InvalidArgumentError(
        "say what to do: employability_admin bootstrap|token (see --help)"));
  }
  // The same checks as the servers: above all, the key secret they use.
  if (absl::Status flags = server::CheckServerFlags(); !flags.ok()) {
    return Fail(flags);
  }
  absl::StatusOr<server::TokenConfig> tokens = server::TokenConfigFromFlags();
  if (!tokens.ok()) return Fail(tokens.status());
  SystemClock clock;
  RandomIdSource ids(clock);
  std::unique_ptr<storage::Store> store = server::StoreFromFlags(clock);
  storage::KeyHasher key_hasher(server::KeySecretFromFlags());
  OrganisationDirectory directory(*store, clock, ids, key_hasher);
  absl::StatusOr<auth::TokenClaims> claims =
      command == "bootstrap" ? RunBootstrap(directory)
                             : RunDevelopmentToken(directory);
  if (!claims.ok()) return Fail(claims.status());
  absl::StatusOr<std::string> token = SignFor(*claims, *tokens);
  if (!token.ok()) return Fail(token.status());
  std::cout << *token << std::endl;
  return 0;
}

}  // namespace
}  // namespace employability::partners

int main(int argc, char** argv) {
  return employability::partners::AdminMain(argc, argv);
}
