#include "core/graph_pass.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace opgraph {

absl::Status GraphPass::Validate() const {
  // Names travel through command lines (--disable-pass) and listings, so
  // they stay plain identifiers.
  bool identifier = !name_.empty() && !std::isdigit(static_cast<unsigned char>(name_[0]));
  for (char c : name_) {
    identifier = identifier && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  }
  if (!identifier) {
    return absl::InvalidArgumentError(
        absl::StrCat("graph pass name '", name_, "' is not an identifier (letters, digits, '_')"));
  }
  if (description_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("graph pass '", name_, "' has no description"));
  }
  if (!function_) {
    return absl::InvalidArgumentError(absl::StrCat("graph pass '", name_, "' has no function"));
  }
  return absl::OkStatus();
}

}  // namespace opgraph
