// Transpose: every permutation of a rank-4 tensor against a reference that
// maps multi-indices (Y[j] = X[i] with j_k = i_axes[k], as numpy.transpose),
// every element type, rank 0 and 1, the default reversal, the gradient
// (inverse permutation) against central differences, and refusals.
#include <algorithm>
#include <numeric>
#include <vector>

#include "core/gradient.h"
#include "core/gradient_checker.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using testing::CreateStatus;
using testing::IntsArg;
using testing::MakeOp;
using testing::MakeTensor;
using testing::RandomTensor;
using testing::Rng;
using testing::RunOp;
using testing::ToVector;

// Y by definition: for each Y multi-index j, X at i with i[axes[k]] = j[k].
template <typename T>
std::vector<T> Reference(const std::vector<T>& x, const std::vector<int64_t>& dims,
                         const std::vector<int64_t>& axes) {
  const size_t r = dims.size();
  std::vector<int64_t> ydims(r);
  for (size_t k = 0; k < r; ++k) ydims[k] = dims[axes[k]];
  std::vector<T> y(x.size());
  std::vector<int64_t> j(r, 0), i(r);
  for (size_t flat = 0; flat < y.size(); ++flat) {
    int64_t rem = static_cast<int64_t>(flat);
    for (size_t k = r; k-- > 0;) {
      j[k] = rem % ydims[k];
      rem /= ydims[k];
    }
    for (size_t k = 0; k < r; ++k) i[axes[k]] = j[k];
    int64_t src = 0;
    for (size_t k = 0; k < r; ++k) src = src * dims[k] + i[k];
    y[flat] = x[src];
  }
  return y;
}

template <typename T>
void CheckAllPermutations(const Tensor& x) {
  std::vector<int64_t> axes(x.ndim());
  std::iota(axes.begin(), axes.end(), 0);
  int count = 0;
  do {
    SCOPED_TRACE(::testing::PrintToString(axes));
    auto out = RunOp(MakeOp("Transpose", {"X"}, {"Y"}, {IntsArg("axes", axes)}), {x});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(ToVector<T>((*out)[0]), Reference(ToVector<T>(x), x.dims(), axes));
    for (size_t k = 0; k < axes.size(); ++k) EXPECT_EQ((*out)[0].dim(k), x.dim(axes[k]));
    ++count;
  } while (std::next_permutation(axes.begin(), axes.end()));
  EXPECT_EQ(count, 24);
}

TEST(TransposeOpTest, AllPermutationsAllTypes) {
  Rng rng(1);
  const std::vector<int64_t> dims = {2, 3, 4, 5};
  CheckAllPermutations<float>(RandomTensor<float>(dims, rng, -1, 1));
  CheckAllPermutations<double>(RandomTensor<double>(dims, rng, -1, 1));
  std::vector<int32_t> i32(120);
  std::vector<int64_t> i64(120);
  std::vector<uint8_t> u8(120);
  std::vector<bool> b(120);
  for (int i = 0; i < 120; ++i) {
    i32[i] = i * 7 - 300;
    i64[i] = (int64_t{1} << 40) + i;
    u8[i] = static_cast<uint8_t>(i * 3);
    b[i] = (i % 3) == 0;
  }
  CheckAllPermutations<int32_t>(MakeTensor<int32_t>(dims, i32));
  CheckAllPermutations<int64_t>(MakeTensor<int64_t>(dims, i64));
  CheckAllPermutations<uint8_t>(MakeTensor<uint8_t>(dims, u8));
  Tensor tb;
  ASSERT_TRUE(tb.Resize(DType::kBool, dims).ok());
  for (int i = 0; i < 120; ++i) tb.mutable_data<bool>()[i] = b[i];
  CheckAllPermutations<bool>(tb);
}

TEST(TransposeOpTest, DefaultReversesAndSmallRanks) {
  const Tensor x = MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  auto out = RunOp(MakeOp("Transpose", {"X"}, {"Y"}), {x});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ToVector<float>((*out)[0]), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  auto scalar = RunOp(MakeOp("Transpose", {"X"}, {"Y"}), {MakeTensor<float>({}, {7})});
  ASSERT_TRUE(scalar.ok()) << scalar.status();
  EXPECT_EQ(ToVector<float>((*scalar)[0]), (std::vector<float>{7}));
  auto empty = RunOp(MakeOp("Transpose", {"X"}, {"Y"}), {MakeTensor<float>({0, 2}, {})});
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)[0].dims(), (std::vector<int64_t>{2, 0}));
}

TEST(TransposeOpTest, GradientIsTheInversePermutation) {
  Rng rng(2);
  const Tensor x = RandomTensor<double>({2, 3, 4}, rng, -1, 1);
  for (const std::vector<int64_t>& axes :
       std::vector<std::vector<int64_t>>{{1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {}}) {
    SCOPED_TRACE(::testing::PrintToString(axes));
    OperatorDef op = axes.empty() ? MakeOp("Transpose", {"X"}, {"Y"})
                                  : MakeOp("Transpose", {"X"}, {"Y"}, {IntsArg("axes", axes)});
    auto r = CheckGradient(op, {x});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_TRUE(GradientWithinTolerance(*r).ok()) << r->Summary();
  }
  auto meta = GetGradientDefs(MakeOp("Transpose", {"X"}, {"Y"}, {IntsArg("axes", {1, 2, 0})}));
  ASSERT_TRUE(meta.ok()) << meta.status();
  const Argument* inv = FindArgument(meta->ops[0], "axes");
  ASSERT_NE(inv, nullptr);
  EXPECT_EQ(std::vector<int64_t>(inv->ints().begin(), inv->ints().end()),
            (std::vector<int64_t>{2, 0, 1}));
}

TEST(TransposeOpTest, Refusals) {
  const Tensor x = MakeTensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  for (const std::vector<int64_t>& axes :
       std::vector<std::vector<int64_t>>{{0}, {0, 0}, {0, 2}, {1, 0, 2}}) {
    absl::Status s = CreateStatus(MakeOp("Transpose", {"X"}, {"Y"}, {IntsArg("axes", axes)}), {x});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    EXPECT_TRUE(testing::Contains(s, "axes")) << s;
  }
}

}  // namespace
}  // namespace opgraph
