// Small helpers for absl::Status plumbing.
#ifndef OPGRAPH_CORE_STATUS_MACROS_H_
#define OPGRAPH_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "glog/logging.h"

// Returns `expr`'s status from the calling function when it is not OK.
#define OPGRAPH_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    const ::absl::Status opgraph_status_ = (expr);     \
    if (!opgraph_status_.ok()) return opgraph_status_; \
  } while (0)

#define OPGRAPH_STATUS_CONCAT_INNER_(a, b) a##b
#define OPGRAPH_STATUS_CONCAT_(a, b) OPGRAPH_STATUS_CONCAT_INNER_(a, b)

// `OPGRAPH_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from an OK
// StatusOr, else returns its status.
#define OPGRAPH_ASSIGN_OR_RETURN(lhs, expr) \
  OPGRAPH_ASSIGN_OR_RETURN_IMPL_(OPGRAPH_STATUS_CONCAT_(opgraph_statusor_, __LINE__), lhs, expr)
#define OPGRAPH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

// Aborts with the status when `expr` is not OK. Only for conditions no
// input can cause (programmer errors).
#define OPGRAPH_CHECK_OK(expr)                      \
  do {                                              \
    const ::absl::Status opgraph_status_ = (expr);  \
    CHECK(opgraph_status_.ok()) << opgraph_status_; \
  } while (0)

#endif  // OPGRAPH_CORE_STATUS_MACROS_H_
