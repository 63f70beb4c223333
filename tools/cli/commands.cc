#include "tools/cli/commands.h"

#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <iostream>
#include <memory>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/cli/descriptors.h"

namespace employability::tools {
namespace {

using google::protobuf::Message;
using google::protobuf::MethodDescriptor;

// Collects text-format parse errors so they can be reported as one line.
class ParseErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!text_.empty()) text_ += "; ";
    text_ += std::to_string(line + 1) + ":" + std::to_string(column + 1) +
             ": " + message;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

bool LooksLikeJson(const std::string& text) {
  size_t first = text.find_first_not_of(" \t\r\n");
  return first != std::string::npos && text[first] == '{';
}

// Fills `message` from text format or JSON; false (and a message on stderr)
// when the text does not parse.
bool ParseRequest(const std::string& text, Message* message) {
  if (LooksLikeJson(text)) {
    auto status = google::protobuf::util::JsonStringToMessage(text, message);
    if (status.ok()) return true;
    std::cerr << "cannot parse request as JSON: " << status.ToString() << "\n";
    return false;
  }
  ParseErrors errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (parser.ParseFromString(text, message)) return true;
  std::cerr << "cannot parse request as text format: " << errors.text() << "\n";
  return false;
}

std::string Format(const Message& message, bool json) {
  std::string out;
  if (json) {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    google::protobuf::util::MessageToJsonString(message, &out, options);
  } else {
    google::protobuf::TextFormat::PrintToString(message, &out);
  }
  return out;
}

std::unique_ptr<Message> NewMessage(const google::protobuf::Descriptor* type) {
  // Every compiled-in type has a generated class; the generated factory
  // hands out its prototype.
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(type)
          ->New());
}

int ReportStatus(const grpc::Status& status) {
  std::cerr << "ERROR " << StatusCodeName(status.error_code()) << ": "
            << status.error_message() << "\n";
  return kExitRpcError;
}

grpc::ByteBuffer Serialize(const Message& message) {
  std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

bool Deserialize(const grpc::ByteBuffer& buffer, Message* message) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return false;
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return message->ParseFromString(bytes);
}

// One unary call through the generic stub, waited for.
grpc::Status CallUnary(const ClientConfig& config,
                       const MethodDescriptor& method,
                       const grpc::ByteBuffer& request,
                       grpc::ByteBuffer* response) {
  grpc::GenericStub stub(MakeChannel(config.address, 0));
  grpc::ClientContext ctx;
  config.call.Apply(&ctx);
  std::string path = "/" + method.service()->full_name() + "/" + method.name();
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, path, grpc::StubOptions(), &request, response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

}  // namespace

int RunCall(const ClientConfig& config, const std::string& method_name,
            const std::string& request_text) {
  const MethodDescriptor* method = FindMethod(method_name);
  if (method == nullptr) {
    std::cerr << "unknown method " << method_name
              << " (see `employability list`)\n";
    return kExitUsage;
  }
  if (method->client_streaming() || method->server_streaming()) {
    std::cerr << method->full_name() << " streams; only unary calls work\n";
    return kExitUsage;
  }
  std::unique_ptr<Message> request = NewMessage(method->input_type());
  if (!ParseRequest(request_text, request.get())) return kExitUsage;
  grpc::ByteBuffer response_bytes;
  grpc::Status status =
      CallUnary(config, *method, Serialize(*request), &response_bytes);
  if (!status.ok()) return ReportStatus(status);
  std::unique_ptr<Message> response = NewMessage(method->output_type());
  if (!Deserialize(response_bytes, response.get())) {
    std::cerr << "ERROR the response is not a "
              << method->output_type()->full_name() << "\n";
    return kExitRpcError;
  }
  std::string out = Format(*response, config.json);
  if (!out.empty() && out.back() != '\n') out += '\n';
  std::cout << out;
  return kExitOk;
}

int RunList() {
  for (const auto* service : KnownServices()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor* m = service->method(i);
      std::cout << service->full_name() << "/" << m->name() << " "
                << (m->client_streaming() ? "stream " : "")
                << m->input_type()->full_name() << " -> "
                << (m->server_streaming() ? "stream " : "")
                << m->output_type()->full_name() << "\n";
    }
  }
  return kExitOk;
}

int RunDescribe(const std::string& symbol) {
  std::string text = DescribeSymbol(symbol);
  if (text.empty()) {
    std::cerr << "unknown symbol " << symbol << "\n";
    return kExitUsage;
  }
  std::cout << text;
  return kExitOk;
}

int RunHealth(const ClientConfig& config, const std::string& service) {
  using grpc::health::v1::HealthCheckResponse;
  auto stub = grpc::health::v1::Health::NewStub(MakeChannel(config.address, 0));
  grpc::ClientContext ctx;
  config.call.Apply(&ctx);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&ctx, request, &response);
  if (!status.ok()) return ReportStatus(status);
  std::cout << HealthCheckResponse::ServingStatus_Name(response.status())
            << "\n";
  return response.status() == HealthCheckResponse::SERVING ? kExitOk
                                                           : kExitRpcError;
}

}  // namespace employability::tools
