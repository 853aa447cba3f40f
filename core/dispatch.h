// One helper to turn a runtime dtype into a C++ element type.
//
//   return DispatchDType<float, double>(x.dtype(), [&](auto tag) {
//     using T = typename decltype(tag)::type;
//     Compute<T>(...);
//     return absl::OkStatus();
//   });
//
// calls the lambda once with TypeTag<T> for the listed T whose DTypeOf<T>
// matches `dtype`, and returns what it returns (absl::Status, or void,
// which becomes OK). A dtype outside the list is InvalidArgument naming it
// and the listed types; shape inference normally rules that out first, so
// operators reach that branch only on a programmer error.
#ifndef OPGRAPH_CORE_DISPATCH_H_
#define OPGRAPH_CORE_DISPATCH_H_

#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/tensor.h"

namespace opgraph {

template <typename T>
struct TypeTag {
  using type = T;
};

namespace internal {

template <typename F, typename T>
absl::Status CallWithTag(F& f) {
  if constexpr (std::is_void_v<decltype(f(TypeTag<T>{}))>) {
    f(TypeTag<T>{});
    return absl::OkStatus();
  } else {
    return f(TypeTag<T>{});
  }
}

}  // namespace internal

template <typename... Ts, typename F>
absl::Status DispatchDType(DType dtype, F&& f) {
  static_assert(sizeof...(Ts) > 0, "list at least one element type");
  absl::Status result;  // OK until a matching call says otherwise; no allocation
  const bool matched =
      ((dtype == DTypeOf<Ts>::value ? (result = internal::CallWithTag<F, Ts>(f), true) : false) ||
       ...);
  if (matched) return result;
  std::string names;
  ((names += (names.empty() ? "" : ", "), names += DTypeName(DTypeOf<Ts>::value)), ...);
  return absl::InvalidArgumentError(
      absl::StrCat("dtype ", DTypeName(dtype), " is not supported here (supported: ", names, ")"));
}

// The floating-point types every float operator supports.
template <typename F>
absl::Status DispatchFloat(DType dtype, F&& f) {
  return DispatchDType<float, double>(dtype, std::forward<F>(f));
}

}  // namespace opgraph

#endif  // OPGRAPH_CORE_DISPATCH_H_
