#include "common/logging/log.h"

namespace employability::logging {

void Init(const char* program) {
  static bool done = false;
  if (done) return;
  done = true;
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(program);
}

}  // namespace employability::logging
