// `opgraph run` end to end: the example from its README, .npy inputs and
// outputs checked against independent long double computations, and the
// gradient operators run from files.
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::HasSubstr;

constexpr long double kAlpha = 1.6732632423543772848170429916717L;
constexpr long double kScale = 1.0507009873554804934193349852946L;

long double SeluRef(long double x) { return x > 0 ? kScale * x : kScale * kAlpha * std::expm1(x); }
// d selu / dx, from the definition (not from the output, as the kernel does).
long double SeluDerivRef(long double x) { return x > 0 ? kScale : kScale * kAlpha * std::exp(x); }

std::vector<long double> SoftmaxRowRef(const std::vector<long double>& row) {
  long double m = row[0];
  for (long double v : row) m = std::max(m, v);
  long double sum = 0;
  std::vector<long double> e;
  for (long double v : row) {
    e.push_back(std::exp(v - m));
    sum += e.back();
  }
  for (long double& v : e) v /= sum;
  return e;
}

// The example of examples/selu_softmax/README.md, byte for byte.
TEST(CliRunTest, ReadmeDemoPrintsExpectedOutput) {
  CliResult r = RunOpgraph({"run", SourcePath("examples/selu_softmax/predict_net.pbtxt"), "--init",
                            SourcePath("examples/selu_softmax/init_net.pbtxt")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ExpectDemoOutput(r.out);
}

// The shipped X.npy holds the init net's X, so it gives the same output.
TEST(CliRunTest, ShippedNpyGivesTheSameOutput) {
  CliResult r = RunOpgraph({"run", SourcePath("examples/selu_softmax/predict_net.pbtxt"), "--input",
                            "X=" + SourcePath("examples/selu_softmax/X.npy")});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ExpectDemoOutput(r.out);
}

// Random input through the example net, output written as .npy and checked
// against Selu and Softmax computed here in long double.
TEST(CliRunTest, NpyInputAndOutputMatchIndependentComputation) {
  Rng rng(20261123);
  const int rows = 5, cols = 7;
  Tensor x = RandomTensor<float>({rows, cols}, rng, -4, 4);
  const std::string x_path = TestPath("x.npy");
  const std::string y_path = TestPath("y.npy");
  const std::string h_path = TestPath("h.pb");
  ASSERT_TRUE(WriteNpy(x_path, x).ok());
  // --flag=value and --flag value both work.
  CliResult r =
      RunOpgraph({"run", SourcePath("examples/selu_softmax/predict_net.pbtxt"),
                  "--input=X=" + x_path, "--output", "Y=" + y_path, "--output", "H=" + h_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // Everything went to files.
  absl::StatusOr<Tensor> y = ReadNpy(y_path);
  ASSERT_TRUE(y.ok()) << y.status();
  absl::StatusOr<Tensor> h = ReadTensorFile(h_path);  // A TensorProto file.
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(y->type(), (TensorType{DType::kFloat32, {rows, cols}}));
  ASSERT_EQ(h->type(), (TensorType{DType::kFloat32, {rows, cols}}));
  const float* xv = x.data<float>();
  for (int i = 0; i < rows; ++i) {
    std::vector<long double> hrow;
    for (int j = 0; j < cols; ++j) {
      hrow.push_back(SeluRef(xv[i * cols + j]));
      EXPECT_NEAR(h->data<float>()[i * cols + j], static_cast<double>(hrow.back()),
                  2e-6 * (1 + std::fabs(static_cast<double>(hrow.back()))));
    }
    const std::vector<long double> yrow = SoftmaxRowRef(hrow);
    for (int j = 0; j < cols; ++j) {
      EXPECT_NEAR(y->data<float>()[i * cols + j], static_cast<double>(yrow[j]), 1e-6)
          << i << "," << j;
    }
  }
}

// SeluGradient and SoftmaxGradient fed from the user's own .npy files.
TEST(CliRunTest, GradientOperatorsFromNpyFiles) {
  const std::string net = WriteTestFile("grads.pbtxt", R"(
name: "grads"
op { type: "SeluGradient" input: "Ys" input: "dYs" output: "dXs" }
op { type: "SoftmaxGradient" input: "Ym" input: "dYm" output: "dXm" }
external_input: ["Ys", "dYs", "Ym", "dYm"]
external_output: ["dXs", "dXm"]
)");
  Rng rng(7);
  const int rows = 3, cols = 6;
  // Selu: keep inputs away from the kink at 0.
  std::vector<float> xs(rows * cols), ys(rows * cols), dys(rows * cols);
  for (size_t i = 0; i < xs.size(); ++i) {
    double v = rng.Uniform(0.05, 3.0);
    xs[i] = static_cast<float>(i % 2 == 0 ? v : -v);
    ys[i] = static_cast<float>(SeluRef(xs[i]));
    dys[i] = static_cast<float>(rng.Uniform(-2, 2));
  }
  // Softmax: Y from random logits, random upstream gradient.
  std::vector<float> xm(rows * cols), ym(rows * cols), dym(rows * cols);
  std::vector<std::vector<long double>> ym_ref(rows);
  for (int i = 0; i < rows; ++i) {
    std::vector<long double> row;
    for (int j = 0; j < cols; ++j) {
      xm[i * cols + j] = static_cast<float>(rng.Uniform(-3, 3));
      row.push_back(xm[i * cols + j]);
      dym[i * cols + j] = static_cast<float>(rng.Uniform(-1, 1));
    }
    ym_ref[i] = SoftmaxRowRef(row);
    for (int j = 0; j < cols; ++j) ym[i * cols + j] = static_cast<float>(ym_ref[i][j]);
  }
  auto write = [&](const std::string& name, const std::vector<float>& v) {
    const std::string path = TestPath(name + ".npy");
    CHECK(WriteNpy(path, MakeTensor<float>({rows, cols}, v)).ok());
    return absl::StrCat(name, "=", path);
  };
  const std::string dxs_path = TestPath("dxs.npy"), dxm_path = TestPath("dxm.npy");
  CliResult r = RunOpgraph({"run", net, "--input", write("Ys", ys), "--input", write("dYs", dys),
                            "--input", write("Ym", ym), "--input", write("dYm", dym), "--output",
                            "dXs=" + dxs_path, "--output", "dXm=" + dxm_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<Tensor> dxs = ReadNpy(dxs_path);
  absl::StatusOr<Tensor> dxm = ReadNpy(dxm_path);
  ASSERT_TRUE(dxs.ok() && dxm.ok());
  // Selu: dX = dY * selu'(x), with selu' from its definition in terms of x.
  for (size_t i = 0; i < xs.size(); ++i) {
    const double want = static_cast<double>(dys[i] * SeluDerivRef(xs[i]));
    EXPECT_NEAR(dxs->data<float>()[i], want, 2e-6 * (1 + std::fabs(want))) << i;
  }
  // Softmax: dX_j = sum_i dY_i * dY_i/dX_j with the full Jacobian
  // J_ij = y_i (delta_ij - y_j), in long double.
  for (int r0 = 0; r0 < rows; ++r0) {
    for (int j = 0; j < cols; ++j) {
      long double want = 0;
      for (int i = 0; i < cols; ++i) {
        const long double jac = ym_ref[r0][i] * ((i == j ? 1.0L : 0.0L) - ym_ref[r0][j]);
        want += dym[r0 * cols + i] * jac;
      }
      EXPECT_NEAR(dxm->data<float>()[r0 * cols + j], static_cast<double>(want), 1e-6)
          << r0 << "," << j;
    }
  }
}

// --output NAME=- prints; float64 gets 17 significant digits.
TEST(CliRunTest, PrintsRequestedBlobsWithRoundTripDigits) {
  const std::string net = WriteTestFile("copy.pbtxt", R"(
op { type: "Copy" input: "A" output: "B" }
external_input: "A"
)");
  const std::string a = TestPath("a.npy");
  ASSERT_TRUE(WriteNpy(a, MakeTensor<double>({3}, {0.1, -2.5, 1e-300})).ok());
  CliResult r = RunOpgraph({"run", net, "--input", "A=" + a, "--output", "B=-", "--output", "A=-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // %.17g of the doubles nearest 0.1, -2.5 and 1e-300, right-aligned to the
  // widest (Python: '%.17g' % v, then rjust).
  EXPECT_EQ(r.out,
            "B: float64[3]\n"
            "[0.10000000000000001,                -2.5,              1e-300]\n"
            "\n"
            "A: float64[3]\n"
            "[0.10000000000000001,                -2.5,              1e-300]\n");
}

// Without external_output, the last operator's outputs are printed.
TEST(CliRunTest, DefaultsToLastOperatorOutputs) {
  const std::string net = WriteTestFile("noext.pbtxt", R"(
op { type: "GivenTensorFill" output: "V" arg { name: "shape" ints: 2 } arg { name: "values" floats: [1, -1] } }
op { type: "Selu" input: "V" output: "W" }
)");
  CliResult r = RunOpgraph({"run", net});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // selu(1) = scale and selu(-1) = scale*alpha*(e^-1 - 1), in long double,
  // rounded to float32 and printed with %.9g, right-aligned to equal width.
  const float w0 = static_cast<float>(SeluRef(1)), w1 = static_cast<float>(SeluRef(-1));
  char expected[128];
  std::snprintf(expected, sizeof(expected), "W: float32[2]\n[%11.9g, %11.9g]\n", w0, w1);
  EXPECT_EQ(r.out, expected);
  EXPECT_EQ(r.out, "W: float32[2]\n[ 1.05070102, -1.11133075]\n");
}

// A tensor over 1000 elements is printed with the middle of each long axis
// elided.
TEST(CliRunTest, HugeTensorsAreElided) {
  const std::string net = WriteTestFile("copy.pbtxt", R"(
op { type: "Copy" input: "A" output: "B" }
external_input: "A"
external_output: "B"
)");
  std::vector<int32_t> v(40 * 50);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i);
  const std::string a = TestPath("a.npy");
  ASSERT_TRUE(WriteNpy(a, MakeTensor<int32_t>({40, 50}, v)).ok());
  CliResult r = RunOpgraph({"run", net, "--input", "A=" + a});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  // Header, 3 rows, "...", 3 rows, and the final empty piece after '\n'.
  ASSERT_EQ(lines.size(), 9u) << r.out;
  EXPECT_EQ(lines[0], "B: int32[40, 50]");
  EXPECT_EQ(lines[1], "[[   0,    1,    2, ...,   47,   48,   49],");
  EXPECT_EQ(lines[4], " ...,");
  EXPECT_EQ(lines[7], " [1950, 1951, 1952, ..., 1997, 1998, 1999]]");
}

// An init net's blob can be replaced by --input (fed after the init net).
TEST(CliRunTest, InputOverridesInitNetBlob) {
  const std::string x = TestPath("x.pbtxt");
  ASSERT_TRUE(
      WriteStringToFile(x, "name: 'X' dims: 1 dims: 2 data_type: FLOAT float_data: [0, 0]").ok());
  CliResult r =
      RunOpgraph({"run", SourcePath("examples/selu_softmax/predict_net.pbtxt"), "--init",
                  SourcePath("examples/selu_softmax/init_net.pbtxt"), "--input", "X=" + x});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Softmax of two equal values: exactly one half each.
  EXPECT_EQ(r.out, "Y: float32[1, 2]\n[[0.5, 0.5]]\n");
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
