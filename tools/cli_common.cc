#include "tools/cli_common.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/parallel.h"
#include "core/registry.h"

namespace opgraph {
namespace cli {
namespace {

// The payload that marks a usage error (exit code 2).
constexpr char kUsagePayload[] = "opgraph.cli/usage";

// One element as text.
std::string FormatElement(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32: return absl::StrFormat("%.9g", t.data<float>()[i]);
    case DType::kFloat64: return absl::StrFormat("%.17g", t.data<double>()[i]);
    case DType::kInt32: return absl::StrCat(t.data<int32_t>()[i]);
    case DType::kInt64: return absl::StrCat(t.data<int64_t>()[i]);
    case DType::kBool: return t.data<bool>()[i] ? "True" : "False";
    case DType::kUint8: return absl::StrCat(int{t.data<uint8_t>()[i]});
    case DType::kUndefined: break;
  }
  return "?";
}

class TensorPrinter {
 public:
  TensorPrinter(const Tensor& t, const PrintOptions& options)
      : t_(t), summarize_(t.numel() > options.threshold), edge_(options.edge_items) {
    strides_.assign(t.ndim(), 1);
    for (int a = t.ndim() - 2; a >= 0; --a) strides_[a] = strides_[a + 1] * t.dim(a + 1);
  }

  std::string Print() {
    if (t_.ndim() == 0) return FormatElement(t_, 0);
    // Right-align every shown element to the widest one, as numpy does.
    Collect(0, 0);
    std::string out;
    Axis(0, 0, &out);
    return out;
  }

 private:
  // The indices of axis `a` that are shown; -1 marks the elision.
  std::vector<int64_t> Shown(int a) const {
    const int64_t n = t_.dim(a);
    std::vector<int64_t> idx;
    if (summarize_ && n > 2 * edge_) {
      for (int64_t i = 0; i < edge_; ++i) idx.push_back(i);
      idx.push_back(-1);
      for (int64_t i = n - edge_; i < n; ++i) idx.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void Collect(int a, int64_t offset) {
    for (int64_t i : Shown(a)) {
      if (i < 0) continue;
      if (a == t_.ndim() - 1) {
        width_ = std::max(width_, FormatElement(t_, offset + i).size());
      } else {
        Collect(a + 1, offset + i * strides_[a]);
      }
    }
  }

  void Axis(int a, int64_t offset, std::string* out) {
    out->push_back('[');
    const std::vector<int64_t> shown = Shown(a);
    const bool last = a == t_.ndim() - 1;
    // Between sub-arrays: a newline per remaining axis, then indentation.
    const std::string sep =
        last ? ", " : absl::StrCat(",", std::string(t_.ndim() - a - 1, '\n'), std::string(a + 1, ' '));
    for (size_t k = 0; k < shown.size(); ++k) {
      if (k > 0) out->append(sep);
      const int64_t i = shown[k];
      if (i < 0) {
        out->append("...");
      } else if (last) {
        const std::string e = FormatElement(t_, offset + i);
        out->append(width_ - e.size(), ' ');
        out->append(e);
      } else {
        Axis(a + 1, offset + i * strides_[a], out);
      }
    }
    out->push_back(']');
  }

  const Tensor& t_;
  const bool summarize_;
  const int64_t edge_;
  std::vector<int64_t> strides_;
  size_t width_ = 0;
};

}  // namespace

absl::Status UsageError(const std::string& message) {
  absl::Status s = absl::InvalidArgumentError(message);
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

absl::StatusOr<std::pair<std::string, std::string>> SplitNameValue(const std::string& text,
                                                                   const std::string& flag) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return UsageError(absl::StrCat(flag, " '", text, "': expected NAME=VALUE with both sides "
                                   "non-empty, e.g. ", flag, " X=x.npy"));
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

absl::StatusOr<int> ParseThreads(const std::string& v) {
  int n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < 1 || n > kMaxThreads) {
    return UsageError(absl::StrCat("--threads '", v, "': expected an integer from 1 to ",
                                   kMaxThreads));
  }
  return n;
}

absl::StatusOr<int64_t> ParseMemoryBudget(const std::string& v) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < 1) {
    return UsageError(absl::StrCat("--memory-budget '", v,
                                   "': expected a positive number of bytes"));
  }
  return n;
}

std::vector<std::string> NetReads(const NetDef& net) {
  std::vector<std::string> reads(net.external_input().begin(), net.external_input().end());
  std::set<std::string> seen(reads.begin(), reads.end());
  std::set<std::string> written;
  for (const OperatorDef& op : net.op()) {
    for (const std::string& in : op.input()) {
      if (!written.count(in) && seen.insert(in).second) reads.push_back(in);
    }
    for (const std::string& out : op.output()) written.insert(out);
  }
  return reads;
}

std::string DescribeFirstReader(const NetDef& net, const std::string& name) {
  for (int i = 0; i < net.op_size(); ++i) {
    const OperatorDef& op = net.op(i);
    for (int k = 0; k < op.input_size(); ++k) {
      if (op.input(k) != name) continue;
      std::string s = absl::StrCat("read by operator #", i, " ", op.type());
      if (!op.name().empty()) absl::StrAppend(&s, " '", op.name(), "'");
      absl::StrAppend(&s, " as input ", k);
      const OpSchema* schema = OpRegistry::Global().FindSchema(op.type());
      if (schema == nullptr) return s;
      if (k < static_cast<int>(schema->inputs().size()) && !schema->inputs()[k].name.empty()) {
        absl::StrAppend(&s, " (", schema->inputs()[k].name, ")");
      }
      std::vector<std::string> types;
      for (DType d : schema->allowed_types()) types.push_back(DTypeName(d));
      absl::StrAppend(&s, "; expected dtype ",
                      types.empty() ? std::string("unknown") : absl::StrJoin(types, " or "),
                      ", shape unknown");
      return s;
    }
  }
  return "not read by any operator; type and shape unknown";
}

std::string FormatTensor(const std::string& name, const Tensor& tensor,
                         const PrintOptions& options) {
  return absl::StrCat(name, ": ", tensor.type().ToString(), "\n",
                      TensorPrinter(tensor, options).Print(), "\n");
}

std::string Extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return absl::AsciiStrToLower(path.substr(dot));
}

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

}  // namespace cli
}  // namespace opgraph
