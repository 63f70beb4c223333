#include "tests/harness/test_certificates.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace employability::test_harness {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A new, empty directory under the system's temporary directory.
absl::StatusOr<std::string> NewDirectory(const std::string& prefix) {
  std::string pattern =
      (fs::temp_directory_path() / absl::StrCat(prefix, "-XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot make a directory like ", pattern));
  }
  return std::string(buffer.data());
}

// Runs `script` with bash in `directory`; INTERNAL with its output when it
// fails. Only test-chosen names reach the script.
absl::Status RunIn(const std::string& directory, const std::string& script) {
  const fs::path file = fs::path(directory) / "run.sh";
  const fs::path log = fs::path(directory) / "run.log";
  std::ofstream(file) << "set -e\n" << script;
  const std::string command =
      absl::StrCat("cd '", directory, "' && bash '", file.string(), "' >'",
                   log.string(), "' 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat(
        "openssl could not make the test certificates: ", ReadFile(log)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestCertificateAuthority>>
TestCertificateAuthority::Create(const std::string& name) {
  absl::StatusOr<std::string> directory = NewDirectory("employability-ca");
  if (!directory.ok()) return directory.status();
  std::unique_ptr<TestCertificateAuthority> ca(
      new TestCertificateAuthority(*std::move(directory)));
  absl::Status made = RunIn(
      ca->directory_,
      absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key "
                   "-out ca.crt -days 1 -subj '/CN=",
                   name, "'\n"));
  if (!made.ok()) return made;
  ca->certificate_ = ReadFile(fs::path(ca->directory_) / "ca.crt");
  return ca;
}

TestCertificateAuthority::~TestCertificateAuthority() {
  std::error_code ignored;
  fs::remove_all(directory_, ignored);
}

absl::StatusOr<TestCertificate> TestCertificateAuthority::Issue(
    const std::string& stem, const std::string& subject,
    const std::string& extensions) {
  // A number of its own per certificate: two clients may share a name.
  const std::string file = absl::StrCat(stem, "-", ++issued_);
  std::ofstream(fs::path(directory_) / absl::StrCat(file, ".ext"))
      << extensions << "\n";
  absl::Status made =
      RunIn(directory_,
            absl::StrCat("openssl req -newkey rsa:2048 -nodes -keyout ", file,
                         ".key -out ", file, ".csr -subj '/CN=", subject, "'\n",
                         "openssl x509 -req -in ", file,
                         ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -out ",
                         file, ".crt -days 1 -extfile ", file, ".ext\n"));
  if (!made.ok()) return made;
  return TestCertificate{
      ReadFile(fs::path(directory_) / absl::StrCat(file, ".crt")),
      ReadFile(fs::path(directory_) / absl::StrCat(file, ".key"))};
}

absl::StatusOr<TestCertificate> TestCertificateAuthority::IssueServer() {
  return Issue("server", "localhost",
               "subjectAltName=DNS:localhost,IP:127.0.0.1");
}

absl::StatusOr<TestCertificate> TestCertificateAuthority::IssueClient(
    const std::string& name, const std::string& san) {
  return Issue("client", name,
               absl::StrCat("subjectAltName=DNS:", san.empty() ? name : san));
}

absl::StatusOr<std::string> NewRsaPrivateKey() {
  absl::StatusOr<std::string> directory = NewDirectory("employability-key");
  if (!directory.ok()) return directory.status();
  absl::Status made =
      RunIn(*directory,
            "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
            "-out key.pem\n");
  std::string key;
  if (made.ok()) key = ReadFile(fs::path(*directory) / "key.pem");
  std::error_code ignored;
  fs::remove_all(*directory, ignored);
  if (!made.ok()) return made;
  return key;
}

}  // namespace employability::test_harness
