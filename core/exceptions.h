// Exceptions stop at the operator boundary.
//
// Operator code (built-in or from a plugin) may throw: a constructor, Init,
// Prepare or RunOnDevice, a schema's inference function. opgraph reports
// errors as absl::Status, so every call into operator code catches
// everything and turns it into a status with StatusFromException. The
// caller adds the net and operator context.
#ifndef OPGRAPH_CORE_EXCEPTIONS_H_
#define OPGRAPH_CORE_EXCEPTIONS_H_

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace opgraph {

// The status for exception `e`, thrown while `stage` ran ("Init",
// "RunOnDevice", ...): ResourceExhausted for std::bad_alloc (and its
// subclasses), Internal for any other exception. The message names the
// stage, the exception's type and, for a std::exception, its what().
// `e` must not be null.
absl::Status StatusFromException(std::exception_ptr e, absl::string_view stage);

// Calls `f` (returning absl::Status) and returns its status, or the status
// of whatever it threw.
template <typename F>
absl::Status CallCatching(absl::string_view stage, F&& f) {
  try {
    return f();
  } catch (...) {
    return StatusFromException(std::current_exception(), stage);
  }
}

}  // namespace opgraph

#endif  // OPGRAPH_CORE_EXCEPTIONS_H_
