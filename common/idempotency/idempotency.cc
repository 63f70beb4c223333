#include "common/idempotency/idempotency.h"

#include <openssl/sha.h>

#include <memory>

#include "common/status/validation.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace employability::idempotency {
namespace {

constexpr size_t kFingerprintSize = SHA256_DIGEST_LENGTH;

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

}  // namespace

absl::Status CheckRequestId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return RequiredField(field);
  if (id.size() > 64)
    return InvalidField(field, "must be at most 64 characters");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return InvalidField(field, "must be letters, digits, '-' or '_'");
  }
  return absl::OkStatus();
}

std::string Fingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const google::protobuf::FieldDescriptor* field =
      copy->GetDescriptor()->FindFieldByName("request_id");
  if (field != nullptr) copy->GetReflection()->ClearField(copy.get(), field);
  std::string bytes = DeterministicBytes(*copy);
  std::string digest(kFingerprintSize, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

int Guard(storage::Batch& batch, const std::string& key,
          const std::string& fingerprint,
          const google::protobuf::Message& response) {
  int index = static_cast<int>(batch.steps().size());
  batch.ExpectAbsent(key);
  batch.PutWithExpiry(key, fingerprint + response.SerializeAsString(),
                      kRetention);
  return index;
}

absl::Status Replay(const storage::Record& found,
                    const std::string& fingerprint, absl::string_view field,
                    google::protobuf::Message* response) {
  const std::string& value = found.value;
  if (value.size() < kFingerprintSize ||
      value.compare(0, kFingerprintSize, fingerprint) != 0) {
    return InvalidField(field,
                        "was already used for a different request; use a new "
                        "request_id for a new request");
  }
  if (!response->ParseFromArray(
          value.data() + kFingerprintSize,
          static_cast<int>(value.size() - kFingerprintSize))) {
    return absl::InternalError("stored response is unreadable");
  }
  return absl::OkStatus();
}

}  // namespace employability::idempotency
