#include "common/server/service_main.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/authenticator.h"
#include "common/auth/service_token.h"
#include "common/config/config.h"
#include "common/logging/log.h"
#include "common/status/macros.h"
#include "common/storage/memory_store.h"
#include "common/storage/redis_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "gRPC address to listen on (host:port; port 0 picks one)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "address of the Prometheus /metrics endpoint; empty disables it");
ABSL_FLAG(std::string, store, "redis",
          "storage: 'redis' (production) or 'memory' (demos; lost on exit)");
ABSL_FLAG(std::string, redis, "127.0.0.1:6379", "Redis address (host:port)");
ABSL_FLAG(std::string, redis_password, "",
          "Redis AUTH password; prefer EMPLOYABILITY_REDIS_PASSWORD");
ABSL_FLAG(int, redis_pool, 4, "Redis connections (each pipelines many calls)");
ABSL_FLAG(int, redis_timeout_ms, 1000, "Redis command timeout");
ABSL_FLAG(int, redis_connect_timeout_ms, 250, "Redis connect timeout");
ABSL_FLAG(int, workers, 32, "threads running service work");
ABSL_FLAG(int, max_queued, 20000,
          "calls waiting for a worker before RESOURCE_EXHAUSTED");
ABSL_FLAG(int, drain_s, 10, "seconds to let calls finish on shutdown");
ABSL_FLAG(std::string, key_secret, "",
          "secret under which key parts are derived from personal data; set "
          "EMPLOYABILITY_KEY_SECRET, keep it for the life of the data; "
          "required with --store=redis");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM file: this server's certificate chain; with --tls_key and "
          "--tls_client_ca turns on mutual TLS (clients need a certificate "
          "from that CA)");
ABSL_FLAG(std::string, tls_key, "", "PEM file: this server's private key");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM file: the CA that signs the suite's client certificates");
ABSL_FLAG(std::string, token_algorithm, "HS256",
          "the one algorithm bearer tokens may use: HS256, RS256 or ES256 "
          "(pinned here, never taken from a token)");
ABSL_FLAG(std::string, token_issuer, "employability",
          "the issuer (iss) every token must name");
ABSL_FLAG(std::string, token_audience, "employability-suite",
          "the audience (aud) every token must name");
ABSL_FLAG(std::string, token_keys, "",
          "verification keys, 'kid:path' comma-separated (two while keys "
          "rotate); each file is an HS256 secret or a PEM public key; "
          "required; prefer EMPLOYABILITY_TOKEN_KEYS");
ABSL_FLAG(std::string, token_signing_key, "",
          "'kid:path' of the key this process signs its service tokens "
          "with (a PEM private key for RS256/ES256); empty with HS256 "
          "means the first of --token_keys");
ABSL_FLAG(bool, development_key_secret, false,
          "allow --store=redis without --key_secret, using a published "
          "development secret (never in production)");

namespace employability::server {
namespace {

absl::Status CheckRange(absl::string_view flag, int value, int min, int max) {
  if (value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " must be between ", min, " and ", max,
                     " (got ", value, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckFlagsOnce() {
  for (auto [flag, value, min, max] :
       {std::tuple<const char*, int, int, int>{
            "redis_pool", absl::GetFlag(FLAGS_redis_pool), 1, 64},
        {"redis_timeout_ms", absl::GetFlag(FLAGS_redis_timeout_ms), 10, 60000},
        {"redis_connect_timeout_ms",
         absl::GetFlag(FLAGS_redis_connect_timeout_ms), 10, 60000},
        {"workers", absl::GetFlag(FLAGS_workers), 1, 1024},
        {"max_queued", absl::GetFlag(FLAGS_max_queued), 1, 10000000},
        {"drain_s", absl::GetFlag(FLAGS_drain_s), 0, 3600}}) {
    absl::Status status = CheckRange(flag, value, min, max);
    if (!status.ok()) return status;
  }
  std::string store = absl::GetFlag(FLAGS_store);
  if (store != "redis" && store != "memory") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--store must be 'redis' or 'memory' (got '", store, "')"));
  }
  if (store == "redis" && absl::GetFlag(FLAGS_key_secret).empty() &&
      !absl::GetFlag(FLAGS_development_key_secret)) {
    return absl::InvalidArgumentError(
        "--key_secret is required with --store=redis (set "
        "EMPLOYABILITY_KEY_SECRET and keep it for the life of the data; "
        "--development_key_secret for a throwaway setup)");
  }
  return config::CheckHostPort("--listen", absl::GetFlag(FLAGS_listen),
                               /*allow_zero_port=*/true);
}

absl::StatusOr<std::string> ReadPem(absl::string_view flag,
                                    const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read a PEM file at ", path));
  }
  return text.str();
}

// All three TLS files, or none (plaintext).
absl::StatusOr<TlsIdentity> TlsFromFlags() {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert);
  const std::string key = absl::GetFlag(FLAGS_tls_key);
  const std::string ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (cert.empty() && key.empty() && ca.empty()) return TlsIdentity();
  if (cert.empty() || key.empty() || ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert, --tls_key and --tls_client_ca go together");
  }
  TlsIdentity tls;
  ASSIGN_OR_RETURN(tls.certificate_chain, ReadPem("tls_cert", cert));
  ASSIGN_OR_RETURN(tls.private_key, ReadPem("tls_key", key));
  ASSIGN_OR_RETURN(tls.client_ca, ReadPem("tls_client_ca", ca));
  return tls;
}

ServerOptions ServerOptionsFromFlags() {
  ServerOptions options;
  options.address = absl::GetFlag(FLAGS_listen);
  options.metrics_address = absl::GetFlag(FLAGS_metrics_listen);
  options.drain_deadline = absl::Seconds(absl::GetFlag(FLAGS_drain_s));
  absl::StatusOr<TlsIdentity> tls = TlsFromFlags();
  config::ExitOnBadConfig(tls.status());
  options.tls = *std::move(tls);
  return options;
}

// One 'kid:path' (or a bare path: no kid) of --token_keys.
absl::StatusOr<auth::TokenKey> ReadTokenKey(absl::string_view flag,
                                            absl::string_view spec) {
  auth::TokenKey key;
  std::string path(spec);
  if (const size_t colon = spec.find(':'); colon != absl::string_view::npos) {
    key.id = std::string(spec.substr(0, colon));
    path = std::string(spec.substr(colon + 1));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in || text.str().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": cannot read a key at ", path));
  }
  key.material = text.str();
  if (key.material.find("-----BEGIN") == std::string::npos) {
    // A shared secret: the file's trailing newline is not part of it.
    key.material =
        std::string(absl::StripTrailingAsciiWhitespace(key.material));
  }
  return key;
}

// The process's credential for calls it makes: its service token when it
// can sign one.
std::unique_ptr<auth::ServiceToken> ServiceTokenOf(const TokenConfig& config,
                                                   const std::string& name,
                                                   const Clock& clock) {
  if (!config.signing_key.has_value()) return nullptr;
  absl::StatusOr<auth::TokenIssuer> issuer =
      auth::TokenIssuer::Create(config.settings, *config.signing_key);
  config::ExitOnBadConfig(issuer.status());
  return std::make_unique<auth::ServiceToken>(*std::move(issuer), name, clock);
}

// How this process reaches itself: the listen host, or loopback when it
// listens on every interface.
std::string SelfAddressOf(const std::string& listen, int port) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]" || host == "::") {
    host = "127.0.0.1";
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace

absl::Status CheckServerFlags() { return CheckFlagsOnce(); }

std::unique_ptr<storage::Store> StoreFromFlags(const Clock& clock) {
  if (absl::GetFlag(FLAGS_store) == "memory") {
    EMP_LOG(WARNING) << "in-memory store: data is lost when the process stops";
    return std::make_unique<storage::MemoryStore>(clock);
  }
  absl::StatusOr<storage::RedisOptions> options =
      storage::ParseRedisAddress("--redis", absl::GetFlag(FLAGS_redis));
  config::ExitOnBadConfig(options.status());
  options->password = absl::GetFlag(FLAGS_redis_password);
  options->pool_size = absl::GetFlag(FLAGS_redis_pool);
  options->command_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_redis_timeout_ms));
  options->connect_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_redis_connect_timeout_ms));
  return storage::RedisStore::Create(*options);
}

std::string KeySecretFromFlags() {
  std::string secret = absl::GetFlag(FLAGS_key_secret);
  if (secret.empty()) {  // --store=memory or --development_key_secret
    EMP_LOG(WARNING) << "--key_secret is not set: using the published "
                        "development secret; never do this with real data";
    secret = "employability-development-only";
  }
  return secret;
}

absl::StatusOr<TokenConfig> TokenConfigFromFlags() {
  TokenConfig config;
  config.settings.algorithm = absl::GetFlag(FLAGS_token_algorithm);
  config.settings.issuer = absl::GetFlag(FLAGS_token_issuer);
  config.settings.audience = absl::GetFlag(FLAGS_token_audience);
  const std::string keys = absl::GetFlag(FLAGS_token_keys);
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        "--token_keys is required: the keys bearer tokens are verified with "
        "(set EMPLOYABILITY_TOKEN_KEYS; ./run makes a development key)");
  }
  for (absl::string_view spec : absl::StrSplit(keys, ',', absl::SkipEmpty())) {
    ASSIGN_OR_RETURN(auth::TokenKey key, ReadTokenKey("token_keys", spec));
    config.keys.push_back(std::move(key));
  }
  // Checks algorithm, issuer, audience and keys together.
  RETURN_IF_ERROR(
      auth::TokenVerifier::Create(config.settings, config.keys).status());
  const std::string signing = absl::GetFlag(FLAGS_token_signing_key);
  if (!signing.empty()) {
    ASSIGN_OR_RETURN(config.signing_key,
                     ReadTokenKey("token_signing_key", signing));
  } else if (config.settings.algorithm == "HS256") {
    config.signing_key = config.keys.front();
  }
  return config;
}

int ServiceMain(int argc, char** argv, const Process& process) {
  BlockShutdownSignals();  // before any thread starts
  // Debian's Abseil is built with mutex deadlock detection on: a graph
  // update on every lock, which gRPC takes per call. Off in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  config::ParseFlags(argc, argv, process.description);
  logging::Init(argv[0]);
  config::ExitOnBadConfig(CheckFlagsOnce());
  absl::StatusOr<TokenConfig> tokens = TokenConfigFromFlags();
  config::ExitOnBadConfig(tokens.status());
  const ServerOptions server_options = ServerOptionsFromFlags();

  SystemClock clock;
  RandomIdSource ids(clock);
  std::unique_ptr<storage::Store> store = StoreFromFlags(clock);
  auto registry = std::make_shared<prometheus::Registry>();
  storage::KeyHasher key_hasher(KeySecretFromFlags());
  OutgoingIdentity outgoing(server_options.tls,
                            ServiceTokenOf(*tokens, process.name, clock));
  absl::StatusOr<std::unique_ptr<auth::StaffDirectory>> directory =
      process.staff_directory(
          ProcessParts{*store, clock, ids, key_hasher, outgoing});
  config::ExitOnBadConfig(directory.status());
  // A deactivation bites within kMaxStandingAge whatever the token says.
  auth::CachedStaffDirectory standings(**directory, clock);
  absl::StatusOr<auth::TokenVerifier> verifier =
      auth::TokenVerifier::Create(tokens->settings, tokens->keys);
  config::ExitOnBadConfig(verifier.status());
  auth::Authenticator authenticator(*verifier, standings);
  std::vector<std::unique_ptr<ServiceModule>> modules;
  std::vector<HostedService> services;
  // Declared before the modules and the server, so destroyed after the
  // server has drained the calls that use it.
  WorkerPool workers(absl::GetFlag(FLAGS_workers),
                     absl::GetFlag(FLAGS_max_queued));
  SelfAddress self_address;
  ServiceDeps deps{*store,     clock,         ids,      workers,     *registry,
                   key_hasher, authenticator, outgoing, self_address};
  for (const ModuleFactory& factory : process.modules) {
    modules.push_back(factory(deps));
    for (HostedService& hosted : modules.back()->Services()) {
      services.push_back(std::move(hosted));
    }
  }
  absl::StatusOr<std::unique_ptr<ServerHost>> host =
      ServerHost::Start(server_options, std::move(services), registry);
  config::ExitOnBadConfig(host.status());
  self_address.Set(SelfAddressOf(server_options.address, (*host)->port()));
  std::cout << "serving gRPC on port " << (*host)->port();
  if ((*host)->metrics_port() != 0) {
    std::cout << ", metrics on port " << (*host)->metrics_port()
              << " at /metrics";
  }
  std::cout << std::endl;
  int signal = WaitForShutdownSignal();
  EMP_LOG(INFO) << "signal " << signal << ": shutting down";
  (*host)->Shutdown();
  return 0;
}

}  // namespace employability::server
