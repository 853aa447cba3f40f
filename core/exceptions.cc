#include "core/exceptions.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <typeinfo>

#include "absl/strings/str_cat.h"

namespace opgraph {
namespace {

// The readable name of a type, as the compiler spells it in source.
std::string TypeName(const std::type_info* type) {
  if (type == nullptr) return "an exception of unknown type";
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type->name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name != nullptr ? std::string(name.get()) : std::string(type->name());
}

}  // namespace

absl::Status StatusFromException(std::exception_ptr e, absl::string_view stage) {
  try {
    std::rethrow_exception(e);
  } catch (const std::bad_alloc& b) {
    return absl::ResourceExhaustedError(absl::StrCat(stage, " ran out of memory (threw ",
                                                     TypeName(&typeid(b)), ": ", b.what(), ")"));
  } catch (const std::exception& x) {
    return absl::InternalError(
        absl::StrCat(stage, " threw ", TypeName(&typeid(x)), ": ", x.what()));
  } catch (...) {
    return absl::InternalError(absl::StrCat(stage, " threw ",
                                            TypeName(abi::__cxa_current_exception_type()),
                                            ", which is not a std::exception"));
  }
}

}  // namespace opgraph
