#include "tools/cli_common.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

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

// `bytes` as Python writes a bytes object: b'...', with \\, \', \t, \n,
// \r and \xNN for what is not printable ASCII.
std::string PythonBytesLiteral(const std::string& bytes) {
  std::string out = "b'";
  for (unsigned char c : bytes) {
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '\'';
  return out;
}

// One element as text.
std::string FormatElement(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32:
      return absl::StrFormat("%.9g", t.data<float>()[i]);
    case DType::kFloat64:
      return absl::StrFormat("%.17g", t.data<double>()[i]);
    case DType::kInt32:
      return absl::StrCat(t.data<int32_t>()[i]);
    case DType::kInt64:
      return absl::StrCat(t.data<int64_t>()[i]);
    case DType::kBool:
      return t.data<bool>()[i] ? "True" : "False";
    case DType::kUint8:
      return absl::StrCat(int{t.data<uint8_t>()[i]});
    case DType::kString:
      // As Python writes a bytes object: b'...' with C escapes.
      return PythonBytesLiteral(t.data<std::string>()[i]);
    case DType::kUndefined:
      break;
  }
  return "?";
}

// Prints a tensor in numpy's layout, straight to a stream. What is shown is
// planned per axis before anything is printed, so time and memory depend
// on the number of elements shown, never on the number held:
//   - a tensor over the threshold, or with no elements, is summarized: an
//     axis longer than 2 * edge_items shows its first and last edge_items
//     entries around "...";
//   - besides, the entries shown multiply over the axes; once that product
//     would pass threshold * 2 * edge_items, each further axis shows only
//     its first entry and "..." (so a [2] * 30 tensor prints a few thousand
//     values, and [1, 2^40, 0] a few empty rows).
class TensorPrinter {
 public:
  TensorPrinter(const Tensor& t, const PrintOptions& options) : t_(t) {
    const int64_t edge = std::max<int64_t>(1, options.edge_items);
    const bool summarize = t.numel() > options.threshold || t.numel() == 0;
    const int64_t cap = std::max<int64_t>(1, options.threshold) * 2 * edge;
    strides_.assign(t.ndim(), 1);
    for (int a = t.ndim() - 2; a >= 0; --a) strides_[a] = strides_[a + 1] * t.dim(a + 1);
    int64_t shown_so_far = 1;  // Entries shown over the axes planned so far.
    for (int a = 0; a < t.ndim(); ++a) {
      const int64_t n = t.dim(a);
      Plan p{n, 0};
      if (summarize && n > 2 * edge) p = Plan{edge, edge};
      const int64_t shown = p.head + p.tail;
      if (summarize && shown > 1 && shown_so_far > cap / shown) p = Plan{1, 0};
      shown_so_far *= std::max<int64_t>(1, p.head + p.tail);
      plan_.push_back(p);
    }
  }

  void Print(std::ostream& out) {
    if (t_.ndim() == 0) {
      out << FormatElement(t_, 0);
      return;
    }
    // Right-align every shown element to the widest one, as numpy does.
    Visit(0, 0,
          [this](int64_t offset) { width_ = std::max(width_, FormatElement(t_, offset).size()); });
    Axis(0, 0, out);
  }

 private:
  // Axis a shows entries [0, head) and [n - tail, n), with "..." between
  // when they do not cover the axis.
  struct Plan {
    int64_t head, tail;
  };

  bool Elided(int a) const { return plan_[a].head + plan_[a].tail < t_.dim(a); }

  // Calls fn(i) for each shown index of axis a, and fn(-1) for the elision.
  template <typename F>
  void ForShown(int a, F&& fn) const {
    const Plan& p = plan_[a];
    for (int64_t i = 0; i < p.head; ++i) fn(i);
    if (Elided(a)) fn(-1);
    for (int64_t i = t_.dim(a) - p.tail; i < t_.dim(a); ++i) fn(i);
  }

  template <typename F>
  void Visit(int a, int64_t offset, F&& leaf) const {
    ForShown(a, [&](int64_t i) {
      if (i < 0) return;
      if (a == t_.ndim() - 1) {
        leaf(offset + i);
      } else {
        Visit(a + 1, offset + i * strides_[a], leaf);
      }
    });
  }

  void Axis(int a, int64_t offset, std::ostream& out) {
    out << '[';
    const bool last = a == t_.ndim() - 1;
    // Between sub-arrays: a newline per remaining axis, then indentation.
    const std::string sep =
        last ? ", "
             : absl::StrCat(",", std::string(t_.ndim() - a - 1, '\n'), std::string(a + 1, ' '));
    bool first = true;
    ForShown(a, [&](int64_t i) {
      if (!first) out << sep;
      first = false;
      if (i < 0) {
        out << "...";
      } else if (last) {
        const std::string e = FormatElement(t_, offset + i);
        out << std::string(width_ - e.size(), ' ') << e;
      } else {
        Axis(a + 1, offset + i * strides_[a], out);
      }
    });
    out << ']';
  }

  const Tensor& t_;
  std::vector<Plan> plan_;
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
    return UsageError(absl::StrCat(flag, " '", text,
                                   "': expected NAME=VALUE with both sides "
                                   "non-empty, e.g. ",
                                   flag, " X=x.npy"));
  }
  return std::make_pair(text.substr(0, eq), text.substr(eq + 1));
}

absl::StatusOr<int> ParseThreads(const std::string& v) {
  int n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < 1 || n > kMaxThreads) {
    return UsageError(
        absl::StrCat("--threads '", v, "': expected an integer from 1 to ", kMaxThreads));
  }
  return n;
}

absl::StatusOr<int64_t> ParseMemoryBudget(const std::string& v) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(v, &n) || n < 1) {
    return UsageError(
        absl::StrCat("--memory-budget '", v, "': expected a positive number of bytes"));
  }
  return n;
}

std::vector<std::string> NetReads(const NetDef& net) {
  std::vector<std::string> reads;
  std::set<std::string> seen;
  for (const std::string& in : net.external_input()) {
    if (seen.insert(in).second) reads.push_back(in);
  }
  std::set<std::string> written;
  for (const OperatorDef& op : net.op()) {
    for (const std::string& in : op.input()) {
      if (!written.count(in) && seen.insert(in).second) reads.push_back(in);
    }
    for (const std::string& out : op.output()) written.insert(out);
  }
  return reads;
}

std::string JoinBounded(const std::vector<std::string>& names, size_t max_listed) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < max_listed; ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", names[i]);
  }
  if (names.size() > max_listed) {
    absl::StrAppend(&out, " (and ", names.size() - max_listed, " more)");
  }
  return out;
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

void PrintTensor(std::ostream& out, const std::string& name, const Tensor& tensor,
                 const PrintOptions& options) {
  out << name << ": " << tensor.type().ToString() << "\n";
  TensorPrinter(tensor, options).Print(out);
  out << "\n";
}

std::string FormatTensor(const std::string& name, const Tensor& tensor,
                         const PrintOptions& options) {
  std::ostringstream out;
  PrintTensor(out, name, tensor, options);
  return out.str();
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
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
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
