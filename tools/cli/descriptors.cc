#include "tools/cli/descriptors.h"

#include <algorithm>
#include <string>

#include "tools/cli/proto_files.h"

namespace employability::tools {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::FileDescriptor;
using google::protobuf::MethodDescriptor;
using google::protobuf::ServiceDescriptor;

const DescriptorPool& Pool() { return *DescriptorPool::generated_pool(); }

}  // namespace

std::vector<const ServiceDescriptor*> KnownServices() {
  std::vector<const ServiceDescriptor*> services;
  for (const char* name : kClientProtoFiles) {
    const FileDescriptor* file = Pool().FindFileByName(name);
    if (file == nullptr) continue;  // not linked in: nothing to offer
    for (int i = 0; i < file->service_count(); ++i) {
      services.push_back(file->service(i));
    }
  }
  std::sort(services.begin(), services.end(),
            [](const ServiceDescriptor* a, const ServiceDescriptor* b) {
              return a->full_name() < b->full_name();
            });
  return services;
}

const MethodDescriptor* FindMethod(std::string_view name) {
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  size_t split = name.rfind('/');
  if (split == std::string_view::npos) split = name.rfind('.');
  if (split == std::string_view::npos) return nullptr;
  const ServiceDescriptor* service =
      Pool().FindServiceByName(std::string(name.substr(0, split)));
  if (service == nullptr) return nullptr;
  return service->FindMethodByName(std::string(name.substr(split + 1)));
}

std::string DescribeSymbol(std::string_view name) {
  std::string full(name);
  if (const auto* m = Pool().FindMessageTypeByName(full)) {
    return m->DebugString();
  }
  if (const auto* e = Pool().FindEnumTypeByName(full)) return e->DebugString();
  if (const auto* s = Pool().FindServiceByName(full)) return s->DebugString();
  if (const auto* m = FindMethod(name)) return m->DebugString();
  return "";
}

}  // namespace employability::tools
