// RETURN_IF_ERROR and ASSIGN_OR_RETURN, which Debian's Abseil 20220623 lacks.
#ifndef EMPLOYABILITY_COMMON_STATUS_MACROS_H_
#define EMPLOYABILITY_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define EMPLOYABILITY_CONCAT_INNER_(a, b) a##b
#define EMPLOYABILITY_CONCAT_(a, b) EMPLOYABILITY_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                                      \
  do {                                                             \
    ::absl::Status employability_status_ = (expr);                 \
    if (!employability_status_.ok()) return employability_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates `expr` (a StatusOr), returns its
// status when not OK, else moves its value into `lhs` (which may declare).
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(EMPLOYABILITY_CONCAT_(statusor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

#endif  // EMPLOYABILITY_COMMON_STATUS_MACROS_H_
