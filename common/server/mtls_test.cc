// Mutual TLS on the server host: a client needs a certificate signed by the
// suite's CA, and the certificate's name is the calling service's identity.
// The test makes its CA and certificates with the openssl command.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/auth/peer.h"
#include "common/server/server.h"
#include "employability/participants/v1/participants.grpc.pb.h"
#include "prometheus/registry.h"

namespace employability::server {
namespace {

namespace v1 = ::employability::participants::v1;

// Answers GetParticipant with the caller's certificate name: enough to see
// what the server established.
class WhoIsCalling final : public v1::Participants::CallbackService {
  grpc::ServerUnaryReactor* GetParticipant(grpc::CallbackServerContext* context,
                                           const v1::GetParticipantRequest*,
                                           v1::Participant* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<std::string> peer = auth::PeerName(*context->auth_context());
    if (!peer.ok()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                   std::string(peer.status().message())));
      return reactor;
    }
    response->set_name(*peer);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

std::string Read(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class MutualTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                     absl::StrCat("mtls-", ::getpid()));
    std::filesystem::create_directories(*dir_);
    std::ofstream(*dir_ / "server.ext")
        << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    std::ofstream(*dir_ / "client.ext")
        << "subjectAltName=DNS:participants.employability.internal\n";
    std::ofstream(*dir_ / "make.sh") << R"(set -e
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt \
  -days 1 -subj /CN=employability-test-ca
q openssl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key \
  -out rogue.crt -days 1 -subj /CN=rogue-ca
q openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
  -subj /CN=localhost
q openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
  -CAcreateserial -out server.crt -days 1 -extfile server.ext
q openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
  -subj /CN=participants
q openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key \
  -CAcreateserial -out client.crt -days 1 -extfile client.ext
q openssl x509 -req -in client.csr -CA rogue.crt -CAkey rogue.key \
  -CAcreateserial -out rogue-client.crt -days 1 -extfile client.ext
)";
    const std::string make =
        absl::StrCat("cd '", dir_->string(), "' && bash make.sh");
    ASSERT_EQ(std::system(make.c_str()), 0)
        << "openssl could not make the test certificates";
  }

  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  void SetUp() override {
    ServerOptions options;
    options.address = "127.0.0.1:0";
    options.metrics_address = "";
    options.tls = {Read(*dir_ / "server.crt"), Read(*dir_ / "server.key"),
                   Read(*dir_ / "ca.crt")};
    auto host =
        ServerHost::Start(options,
                          {{&service_, v1::Participants::service_full_name(),
                            [] { return absl::OkStatus(); }}},
                          std::make_shared<prometheus::Registry>());
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = *std::move(host);
  }

  // Calls as a client holding `cert` (a file stem; empty: no certificate).
  grpc::Status Call(const std::string& cert, v1::Participant* out,
                    bool plaintext = false) {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (plaintext) {
      credentials = grpc::InsecureChannelCredentials();
    } else {
      grpc::SslCredentialsOptions ssl;
      ssl.pem_root_certs = Read(*dir_ / "ca.crt");
      if (!cert.empty()) {
        ssl.pem_private_key = Read(*dir_ / "client.key");
        ssl.pem_cert_chain = Read(*dir_ / absl::StrCat(cert, ".crt"));
      }
      credentials = grpc::SslCredentials(ssl);
    }
    // An address, not a host name (no resolver); the certificate is checked
    // against the name the server's certificate carries.
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto stub = v1::Participants::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", host_->port()), credentials, args));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(5));
    return stub->GetParticipant(&context, v1::GetParticipantRequest(), out);
  }

  static std::filesystem::path* dir_;
  WhoIsCalling service_;
  std::unique_ptr<ServerHost> host_;
};

std::filesystem::path* MutualTlsTest::dir_ = nullptr;

TEST_F(MutualTlsTest, ACertificateFromTheSuitesCaNamesTheCaller) {
  v1::Participant out;
  grpc::Status status = Call("client", &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(out.name(), "participants.employability.internal");
}

TEST_F(MutualTlsTest, NoCertificateIsRefused) {
  v1::Participant out;
  EXPECT_FALSE(Call("", &out).ok());
  EXPECT_FALSE(Call("", &out, /*plaintext=*/true).ok());
}

TEST_F(MutualTlsTest, ACertificateFromAnotherCaIsRefused) {
  v1::Participant out;
  EXPECT_FALSE(Call("rogue-client", &out).ok());
}

}  // namespace
}  // namespace employability::server
