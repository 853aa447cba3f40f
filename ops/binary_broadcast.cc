// Broadcast plans of the binary operators (ops/binary_broadcast.h).
#include "ops/binary_broadcast.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/operator.h"

namespace opgraph {
namespace {

std::string DimsString(const std::vector<int64_t>& d) {
  return absl::StrCat("[", absl::StrJoin(d, ", "), "]");
}

int64_t IntArg(const OperatorDef& def, const char* name, int64_t default_value) {
  const Argument* arg = FindArgument(def, name);
  return arg != nullptr && arg->has_i() ? arg->i() : default_value;
}

// A's and B's dims padded to the output's rank, as numpy aligns them.
absl::Status PadNumpy(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                      std::vector<int64_t>* pa, std::vector<int64_t>* pb) {
  const size_t r = std::max(a.size(), b.size());
  pa->assign(r - a.size(), 1);
  pa->insert(pa->end(), a.begin(), a.end());
  pb->assign(r - b.size(), 1);
  pb->insert(pb->end(), b.begin(), b.end());
  for (size_t i = 0; i < r; ++i) {
    const int64_t x = (*pa)[i], y = (*pb)[i];
    if (x != y && x != 1 && y != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "A ", DimsString(a), " and B ", DimsString(b), " do not broadcast: dimension ",
          i - (r - a.size()), " of A is ", x, ", dimension ",
          static_cast<int64_t>(i) - static_cast<int64_t>(r - b.size()), " of B is ", y));
    }
  }
  return absl::OkStatus();
}

// Caffe2's legacy broadcast (broadcast = 1) of B into A at `axis`.
absl::Status PadLegacy(const std::vector<int64_t>& a, const std::vector<int64_t>& b, int64_t axis,
                       std::vector<int64_t>* pa, std::vector<int64_t>* pb) {
  const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  if (rb > ra) {
    return absl::InvalidArgumentError(
        absl::StrCat("broadcast=1 needs rank(B) <= rank(A), but A is ", DimsString(a), " and B is ",
                     DimsString(b)));
  }
  if (axis == -1) axis = ra - rb;
  if (axis < 0 || axis > ra - rb) {
    return absl::InvalidArgumentError(absl::StrCat(
        "argument 'axis' is ", axis, ", expected -1 or 0 to rank(A) - rank(B) = ", ra - rb, " (A ",
        DimsString(a), ", B ", DimsString(b), ")"));
  }
  int64_t first = 0, last = rb - 1;
  while (first < rb && b[first] == 1) ++first;
  while (last >= first && b[last] == 1) --last;
  for (int64_t i = first; i <= last; ++i) {
    if (b[i] != a[i + axis]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "broadcast=1 at axis ", axis, ": dimension ", i, " of B ", DimsString(b), " is ", b[i],
          " but dimension ", i + axis, " of A ", DimsString(a), " is ", a[i + axis]));
    }
  }
  *pa = a;
  pb->assign(ra, 1);
  for (int64_t i = first; i <= last; ++i) (*pb)[i + axis] = b[i];
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<BroadcastPlan> MakeBroadcastPlan(const OperatorDef& def,
                                                const std::vector<int64_t>& a,
                                                const std::vector<int64_t>& b) {
  const int64_t broadcast = IntArg(def, "broadcast", 0);
  if (broadcast != 0 && broadcast != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'broadcast' is ", broadcast, ", expected 0 or 1"));
  }
  std::vector<int64_t> pa, pb;
  if (broadcast == 1) {
    absl::Status s = PadLegacy(a, b, IntArg(def, "axis", -1), &pa, &pb);
    if (!s.ok()) return s;
  } else {
    if (FindArgument(def, "axis") != nullptr) {
      return absl::InvalidArgumentError("argument 'axis' is only meaningful with broadcast=1");
    }
    absl::Status s = PadNumpy(a, b, &pa, &pb);
    if (!s.ok()) return s;
  }
  BroadcastPlan p;
  p.numel = 1;
  // Per collapsed dimension: whether A (bit 0) and B (bit 1) are broadcast.
  std::vector<int> flags;
  for (size_t i = 0; i < pa.size(); ++i) {
    const int64_t o = pa[i] == 1 ? pb[i] : pa[i];
    p.out_dims.push_back(o);
    p.numel *= o;
    if (o == 1) continue;
    const int f = (pa[i] == 1 ? 1 : 0) | (pb[i] == 1 ? 2 : 0);
    if (!flags.empty() && flags.back() == f) {
      p.dims.back() *= o;
    } else {
      flags.push_back(f);
      p.dims.push_back(o);
    }
  }
  const size_t k = p.dims.size();
  p.a_strides.assign(k, 0);
  p.b_strides.assign(k, 0);
  int64_t sa = 1, sb = 1;
  for (size_t i = k; i-- > 0;) {
    if ((flags[i] & 1) == 0) {
      p.a_strides[i] = sa;
      sa *= p.dims[i];
    }
    if ((flags[i] & 2) == 0) {
      p.b_strides[i] = sb;
      sb *= p.dims[i];
    }
  }
  using P = BroadcastPlan::Pattern;
  p.cols = p.numel;
  if (p.numel == 0 || k == 0) {
    p.pattern = P::kSame;
  } else if (k == 1) {
    p.pattern = flags[0] == 0 ? P::kSame : flags[0] == 1 ? P::kScalarA : P::kScalarB;
  } else if (k == 2 && (flags[0] == 0) != (flags[1] == 0)) {
    p.rows = p.dims[0];
    p.cols = p.dims[1];
    if (flags[1] == 0) {
      p.pattern = flags[0] == 1 ? P::kRowA : P::kRowB;
    } else {
      p.pattern = flags[1] == 1 ? P::kColA : P::kColB;
    }
  } else {
    p.pattern = P::kGeneral;
  }
  return p;
}

int64_t OuterRows(const BroadcastPlan& plan) {
  if (plan.numel == 0) return 0;
  if (plan.dims.empty()) return 1;  // one element
  return plan.numel / plan.dims.back();
}

void ForEachRun(const BroadcastPlan& plan, int64_t row_begin, int64_t row_end,
                absl::FunctionRef<void(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t)> fn) {
  if (row_begin >= row_end) return;
  if (plan.dims.empty()) {
    fn(0, 0, 0, 0, 0, 1);
    return;
  }
  const int k = static_cast<int>(plan.dims.size());
  const int64_t len = plan.dims[k - 1];
  const int64_t a_step = plan.a_strides[k - 1], b_step = plan.b_strides[k - 1];
  // Index of row_begin along the outer dimensions, then advanced like an
  // odometer.
  std::vector<int64_t> idx(k - 1, 0);
  int64_t a = 0, b = 0;
  int64_t rem = row_begin;
  for (int d = k - 2; d >= 0; --d) {
    idx[d] = rem % plan.dims[d];
    rem /= plan.dims[d];
    a += idx[d] * plan.a_strides[d];
    b += idx[d] * plan.b_strides[d];
  }
  for (int64_t row = row_begin; row < row_end; ++row) {
    fn(row * len, a, b, a_step, b_step, len);
    for (int d = k - 2; d >= 0; --d) {
      a += plan.a_strides[d];
      b += plan.b_strides[d];
      if (++idx[d] < plan.dims[d]) break;
      a -= plan.a_strides[d] * plan.dims[d];
      b -= plan.b_strides[d] * plan.dims[d];
      idx[d] = 0;
    }
  }
}

absl::StatusOr<std::vector<TensorType>> InferBinary(const OperatorDef& def,
                                                    absl::Span<const TensorType> in) {
  if (in[0].dtype != in[1].dtype) {
    return absl::InvalidArgumentError(absl::StrCat("A is ", in[0].ToString(), " but B is ",
                                                   in[1].ToString(), "; types must match"));
  }
  absl::StatusOr<BroadcastPlan> p = MakeBroadcastPlan(def, in[0].dims, in[1].dims);
  if (!p.ok()) return p.status();
  return std::vector<TensorType>{TensorType{in[0].dtype, p->out_dims}};
}

}  // namespace opgraph
