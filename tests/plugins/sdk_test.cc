// The plugin SDK end to end: installs this build into a temporary prefix,
// builds examples/plugin and tests/plugins/no_schema against the installed
// CMake package in fresh build directories, and runs the example plugin
// with the installed `opgraph` binary.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/net_io.h"
#include "core/operator.h"
#include "core/tensor_io.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

namespace fs = std::filesystem;
using ::opgraph::testing::ToVector;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together.
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult RunCommand(const std::vector<std::string>& argv) {
  std::vector<std::string> quoted;
  for (const std::string& a : argv) quoted.push_back(Quote(a));
  const std::string cmd = absl::StrJoin(quoted, " ") + " 2>&1";
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string Describe(const CommandResult& r) {
  return absl::StrCat("exit code ", r.exit_code, ", output:\n", r.output);
}

class SdkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    source_ = Env("OPGRAPH_SOURCE_DIR");
    binary_ = Env("OPGRAPH_BINARY_DIR");
    if (source_.empty() || binary_.empty()) return;
    work_ = fs::path(binary_) / "tests" / "plugins" / "sdk_work";
    std::error_code ec;
    fs::remove_all(work_, ec);
    fs::create_directories(work_);
    prefix_ = work_ / "prefix";
    install_ = new CommandResult(
        RunCommand({OPGRAPH_CMAKE_COMMAND, "--install", binary_, "--prefix", prefix_.string()}));
  }
  static void TearDownTestSuite() {
    delete install_;
    install_ = nullptr;
  }

  void SetUp() override {
    ASSERT_FALSE(source_.empty() || binary_.empty())
        << "OPGRAPH_SOURCE_DIR and OPGRAPH_BINARY_DIR must be set (ctest sets them)";
    ASSERT_NE(install_, nullptr);
    ASSERT_EQ(install_->exit_code, 0) << "cmake --install: " << Describe(*install_);
  }

  // Configures `project` against the installed prefix in a fresh build dir.
  static CommandResult Configure(const fs::path& project, const fs::path& build) {
    std::vector<std::string> argv = {OPGRAPH_CMAKE_COMMAND,
                                     "-S",
                                     project.string(),
                                     "-B",
                                     build.string(),
                                     "-G",
                                     "Ninja",
                                     std::string("-DCMAKE_MAKE_PROGRAM=") + OPGRAPH_MAKE_PROGRAM,
                                     std::string("-DCMAKE_CXX_COMPILER=") + OPGRAPH_CXX_COMPILER,
                                     "-DCMAKE_BUILD_TYPE=Release",
                                     "-DCMAKE_PREFIX_PATH=" + prefix_.string()};
    if (std::string(OPGRAPH_CCACHE).size() > 0) {
      argv.push_back(std::string("-DCMAKE_CXX_COMPILER_LAUNCHER=") + OPGRAPH_CCACHE);
    }
    return RunCommand(argv);
  }
  static CommandResult Build(const fs::path& build, const std::string& target = "") {
    std::vector<std::string> argv = {OPGRAPH_CMAKE_COMMAND, "--build", build.string(), "-j", "1"};
    if (!target.empty()) {
      argv.push_back("--target");
      argv.push_back(target);
    }
    return RunCommand(argv);
  }

  static std::string source_, binary_;
  static fs::path work_, prefix_;
  static CommandResult* install_;
};

std::string SdkTest::source_, SdkTest::binary_;
fs::path SdkTest::work_, SdkTest::prefix_;
CommandResult* SdkTest::install_ = nullptr;

TEST_F(SdkTest, InstallsHeadersLibraryBinaryAndPackage) {
  for (const char* rel :
       {"include/opgraph/core/plugin.h", "include/opgraph/core/registry.h",
        "include/opgraph/core/plugin_config.h", "include/opgraph/proto/opgraph.pb.h",
        "include/opgraph/proto/opgraph.proto", "lib/libopgraph.so", "lib/libopgraph.so.0",
        "lib/cmake/opgraph/opgraphConfig.cmake", "lib/cmake/opgraph/opgraphConfigVersion.cmake",
        "lib/cmake/opgraph/opgraphTargets.cmake", "lib/cmake/opgraph/OpgraphPlugin.cmake",
        "bin/opgraph"}) {
    EXPECT_TRUE(fs::exists(prefix_ / rel)) << rel;
  }
}

TEST_F(SdkTest, ExamplePluginBuildsOutOfTreeAndRunsInTheInstalledBinary) {
  const fs::path example = fs::path(source_) / "examples" / "plugin";
  const fs::path build = work_ / "example_build";
  CommandResult r = Configure(example, build);
  ASSERT_EQ(r.exit_code, 0) << "configure: " << Describe(r);
  r = Build(build);
  ASSERT_EQ(r.exit_code, 0) << "build: " << Describe(r);
  const fs::path plugin = build / "libscaled_tanh.so";
  ASSERT_TRUE(fs::exists(plugin)) << Describe(r);

  const std::string opgraph = (prefix_ / "bin" / "opgraph").string();
  const std::string net_path = (example / "scaled_tanh_net.pbtxt").string();
  const std::string x_path = (example / "x.pbtxt").string();
  const std::string y_path = (work_ / "y.pbtxt").string();

  // Without the plugin, the operator is unknown.
  r = RunCommand({opgraph, "run", net_path, "--input", "X=" + x_path});
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.output.find("ScaledTanh"), std::string::npos) << Describe(r);

  r = RunCommand({opgraph, "run", "--plugin", plugin.string(), net_path, "--input", "X=" + x_path,
                  "--output", "Y=" + y_path});
  ASSERT_EQ(r.exit_code, 0) << "opgraph run: " << Describe(r);

  // Closed form, with a and b read from the net file.
  absl::StatusOr<NetDef> net = ReadNetFile(net_path);
  ASSERT_TRUE(net.ok()) << net.status();
  double a = 0, b = 0;
  for (const Argument& arg : net->op(0).arg()) {
    if (arg.name() == "a") a = arg.f();
    if (arg.name() == "b") b = arg.f();
  }
  ASSERT_NE(a, 0.0);
  ASSERT_NE(b, 0.0);
  absl::StatusOr<Tensor> x = ReadTensorFile(x_path);
  absl::StatusOr<Tensor> y = ReadTensorFile(y_path);
  ASSERT_TRUE(x.ok()) << x.status();
  ASSERT_TRUE(y.ok()) << y.status();
  ASSERT_EQ(y->dims(), x->dims());
  const std::vector<float> xv = ToVector<float>(*x), yv = ToVector<float>(*y);
  for (size_t i = 0; i < xv.size(); ++i) {
    EXPECT_NEAR(yv[i], a * std::tanh(b * xv[i]), 2e-6 * std::abs(a)) << "element " << i;
  }

  // The catalog lists the plugin's operators with the plugin as source.
  r = RunCommand({opgraph, "ops", "--plugin", plugin.string()});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.output.find("ScaledTanh"), std::string::npos) << Describe(r);
  EXPECT_NE(r.output.find(fs::canonical(plugin).string()), std::string::npos) << Describe(r);
}

TEST_F(SdkTest, KernelWithoutSchemaFailsToBuild) {
  const fs::path project = fs::path(source_) / "tests" / "plugins" / "no_schema";
  const fs::path build = work_ / "no_schema_build";
  CommandResult r = Configure(project, build);
  ASSERT_EQ(r.exit_code, 0) << "configure: " << Describe(r);
  // The control: the same file with its schema builds.
  r = Build(build, "with_schema");
  ASSERT_EQ(r.exit_code, 0) << "with_schema: " << Describe(r);
  r = Build(build, "no_schema");
  EXPECT_NE(r.exit_code, 0) << "no_schema built: " << Describe(r);
  EXPECT_NE(r.output.find("opgraph_schema_anchor_NoSchemaOp"), std::string::npos) << Describe(r);
  // Another std::string ABI is caught at compile time.
  r = Build(build, "cxx11_abi_mismatch");
  EXPECT_NE(r.exit_code, 0) << "cxx11_abi_mismatch built: " << Describe(r);
  EXPECT_NE(r.output.find("another _GLIBCXX_USE_CXX11_ABI"), std::string::npos) << Describe(r);
}

// The package refuses a project whose protobuf differs from opgraph's: a
// copy of the prefix whose config records another version stands in for an
// opgraph built elsewhere.
TEST_F(SdkTest, PackageRejectsAnotherProtobufVersion) {
  const fs::path other = work_ / "prefix_other_protobuf";
  fs::remove_all(other);
  fs::copy(prefix_, other, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const fs::path config = other / "lib" / "cmake" / "opgraph" / "opgraphConfig.cmake";
  std::stringstream text;
  text << std::ifstream(config).rdbuf();
  std::string s = text.str();
  const std::string key = "set(OPGRAPH_BUILT_WITH_PROTOBUF_VERSION \"";
  const size_t at = s.find(key);
  ASSERT_NE(at, std::string::npos) << s;
  const size_t end = s.find('"', at + key.size());
  s.replace(at + key.size(), end - at - key.size(), "2.0.1");
  std::ofstream(config) << s;

  const std::vector<std::string> argv = {
      OPGRAPH_CMAKE_COMMAND,
      "-S",
      (fs::path(source_) / "examples" / "plugin").string(),
      "-B",
      (work_ / "other_protobuf_build").string(),
      "-G",
      "Ninja",
      std::string("-DCMAKE_MAKE_PROGRAM=") + OPGRAPH_MAKE_PROGRAM,
      std::string("-DCMAKE_CXX_COMPILER=") + OPGRAPH_CXX_COMPILER,
      "-DCMAKE_PREFIX_PATH=" + other.string()};
  CommandResult r = RunCommand(argv);
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_NE(r.output.find("opgraph was built with Protobuf 2.0.1"), std::string::npos)
      << Describe(r);
}

}  // namespace
}  // namespace opgraph
