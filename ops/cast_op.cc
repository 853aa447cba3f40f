// Cast: Y = X converted to the type `to` (a TensorProto.DataType number, as
// Caffe2's Cast), between float32, float64, int32, int64, bool and uint8.
//
// Conversions are defined for every input value (C++ leaves several
// undefined; these never reach it):
//   float -> integer: truncated toward zero, as numpy's astype and C++'s
//     static_cast; NaN gives 0; values beyond the integer type's range
//     saturate to its lowest or highest value.
//   integer -> narrower integer (int64 -> int32, any -> uint8): modulo
//     2^bits, as numpy's astype (two's complement wrap-around).
//   float64 -> float32: rounded to nearest; beyond float32's range gives
//     +-inf, NaN stays NaN.
//   any -> bool: X != 0 (NaN is true); bool -> any: 0 or 1.
//   integer -> float: rounded to nearest.
// The gradient casts dY back to `from_type` (which, as in Caffe2, the
// forward operator must carry) when both types are float types; other
// casts have no gradient.
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "core/dispatch.h"
#include "core/parallel.h"
#include "core/registry.h"
#include "ops/fill_util.h"

namespace opgraph {
namespace {

// Single-thread cost per element for ParallelFor (a load, a convert, a store).
constexpr double kNsPerElement = 0.3;

const std::set<DType> kCastTypes = {DType::kFloat32, DType::kFloat64, DType::kInt32,
                                    DType::kInt64,   DType::kBool,    DType::kUint8};

bool IsFloat(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

template <typename To, typename From>
To Convert(From x) {
  if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (std::is_same_v<From, bool>) {
    return static_cast<To>(x ? 1 : 0);
  } else if constexpr (std::is_floating_point_v<To> && std::is_floating_point_v<From>) {
    if constexpr (sizeof(To) < sizeof(From)) {
      // Rounding to nearest happens in the cast; only a finite value past
      // the target's range needs handling (undefined in C++).
      constexpr To kMax = std::numeric_limits<To>::max();
      if (std::isfinite(x) && std::fabs(x) > static_cast<From>(kMax)) {
        // Round to nearest: below max + half an ulp of max it is max, from
        // there on infinity (the tie goes to the even neighbour, infinity).
        const From half_ulp =
            (static_cast<From>(kMax) - static_cast<From>(std::nextafter(kMax, To(0)))) / 2;
        const To magnitude = std::fabs(x) < static_cast<From>(kMax) + half_ulp
                                 ? kMax
                                 : std::numeric_limits<To>::infinity();
        return x < 0 ? -magnitude : magnitude;
      }
    }
    return static_cast<To>(x);
  } else if constexpr (std::is_floating_point_v<To>) {
    return static_cast<To>(x);  // integer -> float: always in range
  } else if constexpr (std::is_floating_point_v<From>) {
    if (std::isnan(x)) return To(0);
    // lowest() and 2^bits are exact powers of two in every float type, so
    // the comparisons are exact.
    constexpr From kLow = static_cast<From>(std::numeric_limits<To>::lowest());
    constexpr From kHighExclusive =
        static_cast<From>(std::numeric_limits<To>::max() / 2 + 1) * From(2);
    if (x <= kLow) return std::numeric_limits<To>::lowest();
    if (x >= kHighExclusive) return std::numeric_limits<To>::max();
    return static_cast<To>(x);  // truncates toward zero
  } else {
    // Integer -> integer: modulo 2^bits through the unsigned type (defined),
    // then to the signed type (modular since C++20, and in every compiler
    // opgraph supports before).
    using U = std::make_unsigned_t<To>;
    return static_cast<To>(static_cast<U>(x));
  }
}

template <typename T>
using Tag = TypeTag<T>;

class CastOp final : public OperatorBase {
 public:
  using OperatorBase::OperatorBase;

  absl::Status Prepare(const PrepareContext& ctx) override {
    from_ = ctx.input(0).dtype;
    to_ = ctx.output(0).dtype;
    return absl::OkStatus();
  }

  absl::Status RunOnDevice() override {
    return DispatchDType<float, double, int32_t, int64_t, bool, uint8_t>(from_, [&](auto ftag) {
      using From = typename decltype(ftag)::type;
      return DispatchDType<float, double, int32_t, int64_t, bool, uint8_t>(to_, [&](auto ttag) {
        using To = typename decltype(ttag)::type;
        const From* x = Input(0).template data<From>();
        To* y = Output(0)->template mutable_data<To>();
        const int64_t n = Input(0).numel();
        ParallelFor(NumThreads(), n, kNsPerElement, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) y[i] = Convert<To, From>(x[i]);
        });
      });
    });
  }

 private:
  DType from_ = DType::kUndefined;
  DType to_ = DType::kUndefined;
};

absl::StatusOr<std::vector<TensorType>> InferCast(const OperatorDef& def,
                                                  absl::Span<const TensorType> in) {
  const Argument* to = FindArgument(def, "to");
  absl::StatusOr<DType> t = DTypeArgument(*to);
  if (!t.ok()) return t.status();
  if (!kCastTypes.count(*t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("argument 'to' gives ", DTypeName(*t), ", which Cast does not make"));
  }
  if (const Argument* from = FindArgument(def, "from_type")) {
    absl::StatusOr<DType> f = DTypeArgument(*from);
    if (!f.ok()) return f.status();
    if (*f != in[0].dtype) {
      return absl::InvalidArgumentError(absl::StrCat("argument 'from_type' says ", DTypeName(*f),
                                                     " but input 0 is ", in[0].ToString()));
    }
  }
  return std::vector<TensorType>{{*t, in[0].dims}};
}

class GetCastGradient final : public GradientMakerBase {
 public:
  using GradientMakerBase::GradientMakerBase;
  absl::StatusOr<std::vector<OperatorDef>> GetGradientDefs() override {
    const Argument* to = FindArgument(def(), "to");
    const Argument* from = FindArgument(def(), "from_type");
    if (to == nullptr) return absl::InvalidArgumentError("Cast has no argument 'to'");
    absl::StatusOr<DType> t = DTypeArgument(*to);
    if (!t.ok()) return t.status();
    if (!IsFloat(*t)) return std::vector<OperatorDef>{};  // no gradient through an integer
    if (from == nullptr) {
      return absl::InvalidArgumentError(
          "the gradient of Cast needs the argument 'from_type' (the input's TensorProto."
          "DataType), as in Caffe2");
    }
    absl::StatusOr<DType> f = DTypeArgument(*from);
    if (!f.ok()) return f.status();
    if (!IsFloat(*f)) return std::vector<OperatorDef>{};
    if (GO(0).empty()) return std::vector<OperatorDef>{};
    Argument back_to = *from;
    back_to.set_name("to");
    Argument back_from = *to;
    back_from.set_name("from_type");
    return SingleGradientDef("Cast", "", {GO(0)}, {GI(0)}, {back_to, back_from});
  }
  bool CopyArguments() const override { return false; }
};

}  // namespace

OPERATOR_SCHEMA(Cast)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes(kCastTypes)
    .TensorInference(InferCast)
    .RequiredArg("to", ArgKind::kInt,
                 "TensorProto.DataType of the output: FLOAT (1), INT32 (2), BOOL (5), UINT8 (6), "
                 "INT64 (10) or DOUBLE (13).")
    .Arg("from_type", ArgKind::kInt,
         "TensorProto.DataType of the input; optional, checked when given, and needed for the "
         "gradient.")
    .Input(0, "input", "float32, float64, int32, int64, bool or uint8 tensor.")
    .Output(0, "output", "input converted to `to`, same shape.")
    .SetDoc(
        "Converts input to the type `to` (Caffe2 Cast). Float to integer truncates toward zero, "
        "NaN gives 0 and out-of-range values saturate; integer to narrower integer wraps modulo "
        "2^bits; anything to bool is != 0.");

REGISTER_CPU_OPERATOR(Cast, CastOp);
REGISTER_GRADIENT(Cast, GetCastGradient);

}  // namespace opgraph
