// Throwaway certificates for tests of mutual TLS, made with the openssl
// command (as an operator would make them) in a directory of their own that
// goes with the authority. Each authority is a CA of its own: a second one
// stands in for "a certificate from the wrong CA".
#ifndef EMPLOYABILITY_TESTS_HARNESS_TEST_CERTIFICATES_H_
#define EMPLOYABILITY_TESTS_HARNESS_TEST_CERTIFICATES_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace employability::test_harness {

// PEM text, as server::TlsIdentity and grpc::SslCredentialsOptions take it.
struct TestCertificate {
  std::string certificate;
  std::string private_key;
};

class TestCertificateAuthority {
 public:
  // A new self-signed CA called `name` (RSA 2048, valid for a day).
  // INTERNAL with openssl's complaint when it cannot be made.
  static absl::StatusOr<std::unique_ptr<TestCertificateAuthority>> Create(
      const std::string& name);
  ~TestCertificateAuthority();  // removes the directory
  TestCertificateAuthority(const TestCertificateAuthority&) = delete;
  TestCertificateAuthority& operator=(const TestCertificateAuthority&) = delete;

  // The CA's own certificate: the root a peer trusts.
  const std::string& certificate() const { return certificate_; }

  // A server certificate for DNS:localhost and IP:127.0.0.1.
  absl::StatusOr<TestCertificate> IssueServer();
  // A client certificate whose common name is `name` and whose one DNS
  // subject alternative name is `san` (`name` when empty): auth::PeerName
  // reads the SAN.
  absl::StatusOr<TestCertificate> IssueClient(const std::string& name,
                                              const std::string& san = "");

 private:
  explicit TestCertificateAuthority(std::string directory)
      : directory_(std::move(directory)) {}
  // Issues a certificate for `subject` with `extensions` (an openssl
  // extfile line) into files named after `stem`.
  absl::StatusOr<TestCertificate> Issue(const std::string& stem,
                                        const std::string& subject,
                                        const std::string& extensions);

  const std::string directory_;
  std::string certificate_;
  int issued_ = 0;
};

// A new RSA 2048 private key, PEM (PKCS#8), made with openssl.
absl::StatusOr<std::string> NewRsaPrivateKey();

}  // namespace employability::test_harness

#endif  // EMPLOYABILITY_TESTS_HARNESS_TEST_CERTIFICATES_H_
