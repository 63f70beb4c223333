// The one logging wrapper; glog is the backend. Never log personal data
// (names, dates of birth, National Insurance numbers, contact details, free
// text): log resource names and ids only.
#ifndef EMPLOYABILITY_COMMON_LOGGING_LOG_H_
#define EMPLOYABILITY_COMMON_LOGGING_LOG_H_

#include <glog/logging.h>

#define EMP_LOG(severity) LOG(severity)
#define EMP_LOG_EVERY_N(severity, n) LOG_EVERY_N(severity, n)

namespace employability::logging {
// Call once from main; logs go to stderr.
void Init(const char* program);
}  // namespace employability::logging

#endif  // EMPLOYABILITY_COMMON_LOGGING_LOG_H_
