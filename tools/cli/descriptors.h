// Finds services and methods among the protocols compiled into the client.
#ifndef EMPLOYABILITY_TOOLS_CLI_DESCRIPTORS_H_
#define EMPLOYABILITY_TOOLS_CLI_DESCRIPTORS_H_

#include <google/protobuf/descriptor.h>

#include <string_view>
#include <vector>

namespace employability::tools {

// Every service of every compiled-in file, sorted by full name.
std::vector<const google::protobuf::ServiceDescriptor*> KnownServices();

// Resolves "pkg.Service/Method"; a leading '/' (the HTTP/2 path form) and
// "pkg.Service.Method" are accepted too. nullptr when unknown.
const google::protobuf::MethodDescriptor* FindMethod(std::string_view name);

// A message, enum, service or method by full name, as .proto text; empty
// when unknown.
std::string DescribeSymbol(std::string_view name);

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_CLI_DESCRIPTORS_H_
