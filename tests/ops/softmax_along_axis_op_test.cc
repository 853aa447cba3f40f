// SoftmaxAlongAxis and its gradient: every element against the definition
// evaluated in long double (exp(x - max) / sum along the one axis), within
// the bound ops/kernels/activation_kernels.h states for Softmax rows
// ((8 + |x - max| + d / 4) * eps relative, here with |x| < 4); agreement
// with Softmax where the two mean the same; the gradient against central
// differences; schema refusals.
#include <cmath>
#include <limits>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::IntArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

// softmax of x [a, b, c] along `axis` (0..2), in long double.
std::vector<long double> Reference(const std::vector<long double>& x,
                                   const std::vector<int64_t>& dims, int axis) {
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= dims[i];
  for (int i = axis + 1; i < 3; ++i) inner *= dims[i];
  const int64_t d = dims[axis];
  std::vector<long double> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t k) { return (o * d + k) * inner + j; };
      long double mx = x[at(0)], sum = 0;
      for (int64_t k = 0; k < d; ++k) mx = std::max(mx, x[at(k)]);
      for (int64_t k = 0; k < d; ++k) sum += std::exp(x[at(k)] - mx);
      for (int64_t k = 0; k < d; ++k) y[at(k)] = std::exp(x[at(k)] - mx) / sum;
    }
  }
  return y;
}

template <typename T>
void CheckReference(uint64_t seed) {
  Rng rng(seed);
  const std::vector<int64_t> dims = {3, 17, 5};
  const Tensor x = RandomTensor<T>(dims, rng, -4, 4);
  std::vector<long double> xs(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) xs[i] = x.template data<T>()[i];
  for (int axis : {0, 1, 2, -1, -3}) {
    SCOPED_TRACE(axis);
    auto out = RunOp(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", axis)}), {x});
    ASSERT_TRUE(out.ok()) << out.status();
    const std::vector<long double> want = Reference(xs, dims, axis < 0 ? axis + 3 : axis);
    const std::vector<T> got = ToVector<T>((*out)[0]);
    const long double eps = std::numeric_limits<T>::epsilon();
    for (size_t i = 0; i < got.size(); ++i) {
      const long double bound = (8 + 8 + 17 / 4.0L) * eps * want[i];
      ASSERT_LE(std::fabs(got[i] - want[i]), bound) << "element " << i;
    }
  }
}

TEST(SoftmaxAlongAxisOpTest, MatchesLongDoubleReferenceFloat) { CheckReference<float>(1); }
TEST(SoftmaxAlongAxisOpTest, MatchesLongDoubleReferenceDouble) { CheckReference<double>(2); }

// Along the last axis it is Caffe2's Softmax at that axis, bit for bit (the
// same kernel with inner = 1).
TEST(SoftmaxAlongAxisOpTest, LastAxisIsSoftmax) {
  Rng rng(3);
  const Tensor x = RandomTensor<float>({4, 3, 6}, rng, -5, 5);
  auto a = RunOp(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}), {x});
  auto b = RunOp(MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axis", 2)}), {x});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(ToVector<float>((*a)[0]), ToVector<float>((*b)[0]));
  // Along axis 1 it is not Softmax(axis=1), which flattens [3, 6] into rows.
  auto c = RunOp(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", 1)}), {x});
  auto d = RunOp(MakeOp("Softmax", {"X"}, {"Y"}, {IntArg("axis", 1)}), {x});
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_NE(ToVector<float>((*c)[0]), ToVector<float>((*d)[0]));
}

TEST(SoftmaxAlongAxisOpTest, GradientMatchesFiniteDifferences) {
  Rng rng(4);
  const Tensor x = RandomTensor<double>({2, 5, 3}, rng, -2, 2);
  for (int axis : {0, 1, 2}) {
    SCOPED_TRACE(axis);
    absl::StatusOr<GradientCheckResult> r =
        CheckGradient(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", axis)}), {x});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
}

TEST(SoftmaxAlongAxisOpTest, GradientMakerKeepsTheAxis) {
  absl::StatusOr<GradientOpsMeta> meta =
      GetGradientDefs(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", 1)}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  EXPECT_EQ(meta->ops[0].type(), "SoftmaxAlongAxisGradient");
  const Argument* axis = FindArgument(meta->ops[0], "axis");
  ASSERT_NE(axis, nullptr);
  EXPECT_EQ(axis->i(), 1);
}

TEST(SoftmaxAlongAxisOpTest, EmptyAndSchemaRefusals) {
  auto empty = RunOp(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", 0)}),
                     {MakeTensor<float>({0, 3}, {})});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)[0].numel(), 0);
  const Tensor x = MakeTensor<float>({2, 2}, {1, 2, 3, 4});
  absl::Status s = CreateStatus(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}, {IntArg("axis", 2)}), {x});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_TRUE(testing::Contains(s, "axis")) << s;
  s = CreateStatus(MakeOp("SoftmaxAlongAxis", {"X"}, {"Y"}), {MakeTensor<int32_t>({2}, {1, 2})});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

}  // namespace
}  // namespace opgraph
