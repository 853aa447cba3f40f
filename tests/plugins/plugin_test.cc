#include "core/plugin.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/gradient.h"
#include "core/net.h"
#include "core/optimize.h"
#include "core/workspace.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace opgraph {
namespace {

using ::opgraph::testing::FloatArg;
using ::opgraph::testing::MakeOp;
using ::opgraph::testing::MakeTensor;
using ::opgraph::testing::RunOp;
using ::opgraph::testing::ToVector;

namespace fs = std::filesystem;

// Type -> source of everything registered.
std::map<std::string, std::string> Snapshot() {
  std::map<std::string, std::string> out;
  for (const std::string& t : OpRegistry::Global().Types()) {
    out[t] = OpRegistry::Global().SourceOf(t);
  }
  return out;
}

// A built-in operator still works after whatever happened before.
void ExpectBuiltinNetRuns() {
  auto out = RunOp(MakeOp("Selu", {"x"}, {"y"}), {MakeTensor<float>({2}, {1.0f, -1.0f})});
  ASSERT_TRUE(out.ok()) << out.status();
  const std::vector<float> y = ToVector<float>((*out)[0]);
  EXPECT_NEAR(y[0], 1.0507009873554805, 1e-6);
  EXPECT_NEAR(y[1], 1.0507009873554805 * 1.6732632423543772 * std::expm1(-1.0), 1e-6);
}

bool Contains(const absl::Status& s, const std::string& part) {
  return std::string(s.message()).find(part) != std::string::npos;
}

std::string RealPath(const std::string& p) { return fs::canonical(p).string(); }

// True when the library at `path` is mapped into this process.
bool IsMapped(const std::string& path) {
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (h == nullptr) return false;
  dlclose(h);
  return true;
}

fs::path TempDir() {
  fs::path dir = fs::temp_directory_path() / ("opgraph_plugin_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  return dir;
}

// Runs `load`, expects `code` with each of `parts` in the message, then
// checks that the registry did not change and Selu still runs.
void ExpectLoadFails(const std::string& path, absl::StatusCode code,
                     const std::vector<std::string>& parts) {
  const auto before = Snapshot();
  absl::Status s = LoadPlugin(path);
  EXPECT_EQ(s.code(), code) << s;
  for (const std::string& part : parts) {
    EXPECT_TRUE(Contains(s, part)) << "missing '" << part << "' in: " << s;
  }
  EXPECT_EQ(Snapshot(), before);
  for (const std::string& p : LoadedPlugins()) EXPECT_NE(p, path);
  ExpectBuiltinNetRuns();
}

void LoadGood() {
  absl::Status s = LoadPlugin(OPGRAPH_TEST_PLUGIN_GOOD);
  ASSERT_TRUE(s.ok()) << s;
}

TEST(PluginTest, GoodPluginRegistersFirstClassOperators) {
  const auto before = Snapshot();
  LoadGood();
  const std::string real = RealPath(OPGRAPH_TEST_PLUGIN_GOOD);
  for (const char* type : {"PluginAffine", "PluginAffineGradient", "PluginNegate"}) {
    SCOPED_TRACE(type);
    ASSERT_NE(OpRegistry::Global().FindSchema(type), nullptr);
    EXPECT_TRUE(OpRegistry::Global().HasKernel(type));
    EXPECT_EQ(OpRegistry::Global().SourceOf(type), real);
  }
  EXPECT_EQ(OpRegistry::Global().SourceOf("Selu"), "built-in");
  const std::vector<std::string> loaded = LoadedPlugins();
  EXPECT_EQ(std::count(loaded.begin(), loaded.end(), real), 1);
  // Built-ins are untouched.
  for (const auto& [type, source] : before) {
    EXPECT_EQ(OpRegistry::Global().SourceOf(type), source) << type;
  }
}

TEST(PluginTest, PluginOperatorRunsInANet) {
  LoadGood();
  NetDef net;
  net.set_name("plugin_net");
  *net.add_op() = MakeOp("PluginAffine", {"x"}, {"y"}, {FloatArg("a", 3.0f)});
  *net.add_op() = MakeOp("PluginNegate", {"y"}, {"z"});
  *net.add_op() = MakeOp("Selu", {"z"}, {"w"});
  net.add_external_input("x");
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({3}, {-1.0f, 0.0f, 2.0f})).ok());
  absl::Status s = ws.RunNetOnce(net);
  ASSERT_TRUE(s.ok()) << s;
  auto y = ws.FetchBlob("y");
  auto z = ws.FetchBlob("z");
  ASSERT_TRUE(y.ok() && z.ok());
  // b keeps its schema default 0.5.
  EXPECT_EQ(ToVector<float>(*y), (std::vector<float>{-2.5f, 0.5f, 6.5f}));
  EXPECT_EQ(ToVector<float>(*z), (std::vector<float>{2.5f, -0.5f, -6.5f}));
}

TEST(PluginTest, PluginOperatorIsVerified) {
  LoadGood();
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({2}, {1.0f, 2.0f})).ok());
  NetDef net;
  net.set_name("bad_arg");
  *net.add_op() = MakeOp("PluginAffine", {"x"}, {"y"}, {FloatArg("slope", 3.0f)});
  auto created = ws.CreateNet(net);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(created.status(), "slope")) << created.status();

  // A value the kernel's Init rejects.
  net.mutable_op(0)->clear_arg();
  *net.mutable_op(0)->add_arg() = FloatArg("a", INFINITY);
  created = ws.CreateNet(net);
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(Contains(created.status(), "finite")) << created.status();

  // Arity.
  *net.mutable_op(0) = MakeOp("PluginAffine", {"x", "x"}, {"y"});
  created = ws.CreateNet(net);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PluginTest, PluginOperatorIsShapeInferred) {
  LoadGood();
  NetDef net;
  net.set_name("infer");
  *net.add_op() = MakeOp("PluginAffine", {"x"}, {"y"});
  *net.add_op() = MakeOp("PluginNegate", {"y"}, {"z"});
  TypeMap inputs = {{"x", TensorType{DType::kFloat32, {4, 5}}}};
  auto types = InferNetTypes(net, inputs);
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_EQ(types->at("y"), (TensorType{DType::kFloat32, {4, 5}}));
  EXPECT_EQ(types->at("z"), (TensorType{DType::kFloat32, {4, 5}}));
  // The schema's allowed types are enforced.
  inputs["x"] = TensorType{DType::kInt32, {4}};
  EXPECT_FALSE(InferNetTypes(net, inputs).ok());
}

TEST(PluginTest, PluginGradientIsFoundAndRuns) {
  LoadGood();
  const OperatorDef fwd = MakeOp("PluginAffine", {"x"}, {"y"}, {FloatArg("a", -1.5f)});
  auto meta = GetGradientDefs(fwd);
  ASSERT_TRUE(meta.ok()) << meta.status();
  ASSERT_EQ(meta->ops.size(), 1u);
  EXPECT_EQ(meta->ops[0].type(), "PluginAffineGradient");
  EXPECT_EQ(meta->g_input, (std::vector<std::string>{"x_grad"}));
  auto dx = RunOp(meta->ops[0], {MakeTensor<float>({2}, {1.0f, 4.0f})});
  ASSERT_TRUE(dx.ok()) << dx.status();
  EXPECT_EQ(ToVector<float>((*dx)[0]), (std::vector<float>{-1.5f, -6.0f}));
  // NO_GRADIENT registered explicitly also reaches the registry.
  auto none = GetGradientDefs(MakeOp("PluginNegate", {"x"}, {"y"}));
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->ops.empty());
}

TEST(PluginTest, LoadingTheSamePathTwiceIsANoOp) {
  LoadGood();
  const auto before = Snapshot();
  const size_t n = LoadedPlugins().size();
  EXPECT_TRUE(LoadPlugin(OPGRAPH_TEST_PLUGIN_GOOD).ok());
  // Through a symlink: the same real path.
  const fs::path link = TempDir() / "good_link.so";
  fs::remove(link);
  fs::create_symlink(OPGRAPH_TEST_PLUGIN_GOOD, link);
  absl::Status s = LoadPlugin(link.string());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(LoadedPlugins().size(), n);
  EXPECT_EQ(Snapshot(), before);
}

TEST(PluginTest, ConcurrentLoadsOfTheSamePluginAreSerialized) {
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&results, i] { results[i] = LoadPlugin(OPGRAPH_TEST_PLUGIN_GOOD); });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  const std::vector<std::string> loaded = LoadedPlugins();
  EXPECT_EQ(std::count(loaded.begin(), loaded.end(), RealPath(OPGRAPH_TEST_PLUGIN_GOOD)), 1);
}

TEST(PluginTest, ACopyOfALoadedPluginIsAlreadyExistsNamingBoth) {
  LoadGood();
  const fs::path copy = TempDir() / "good_copy.so";
  fs::copy_file(OPGRAPH_TEST_PLUGIN_GOOD, copy, fs::copy_options::overwrite_existing);
  ExpectLoadFails(copy.string(), absl::StatusCode::kAlreadyExists,
                  {RealPath(copy.string()), RealPath(OPGRAPH_TEST_PLUGIN_GOOD)});
}

TEST(PluginTest, AHardLinkToALoadedPluginIsRefused) {
  LoadGood();
  // Next to the original: a hard link must stay on one file system.
  const fs::path link = fs::path(OPGRAPH_TEST_PLUGIN_GOOD).parent_path() / "good_hard_link.so";
  fs::remove(link);
  std::error_code ec;
  fs::create_hard_link(OPGRAPH_TEST_PLUGIN_GOOD, link, ec);
  if (ec) GTEST_SKIP() << "cannot make a hard link: " << ec.message();
  // The dynamic loader sees the same file and would not run its static
  // initializers again: a partial registration, so it is refused.
  ExpectLoadFails(link.string(), absl::StatusCode::kFailedPrecondition,
                  {"already loaded", link.string()});
  fs::remove(link);
}

TEST(PluginTest, MissingFileIsNotFound) {
  ExpectLoadFails("/nonexistent/dir/libnothing.so", absl::StatusCode::kNotFound,
                  {"/nonexistent/dir/libnothing.so", "does not exist"});
  ExpectLoadFails("", absl::StatusCode::kInvalidArgument, {"empty"});
  ExpectLoadFails(TempDir().string(), absl::StatusCode::kInvalidArgument, {"not a regular file"});
}

TEST(PluginTest, TextFileIsNotLoadable) {
  const fs::path text = TempDir() / "not_a_library.so";
  {
    std::ofstream out(text);
    // Longer than an ELF header, so that dlopen reads and rejects it.
    for (int i = 0; i < 8; ++i) out << "this is a text file, not a shared library\n";
  }
  // dlerror's own words for a non-ELF file.
  ExpectLoadFails(text.string(), absl::StatusCode::kInvalidArgument,
                  {text.string(), "cannot load plugin", "invalid ELF header"});
}

TEST(PluginTest, UndefinedSymbolIsDlerrorsMessage) {
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_UNDEFINED_SYMBOL, absl::StatusCode::kInvalidArgument,
                  {"undefined symbol", "opgraph_test_function_nobody_defines"});
}

TEST(PluginTest, MissingEntryPointIsNamedAndTheLibraryNeverOpened) {
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_NO_ENTRY, absl::StatusCode::kInvalidArgument,
                  {"opgraph_plugin_register", "OPGRAPH_PLUGIN_ENTRY"});
  EXPECT_EQ(OpRegistry::Global().FindSchema("NoEntryOp"), nullptr);
  EXPECT_FALSE(IsMapped(OPGRAPH_TEST_PLUGIN_NO_ENTRY));
}

TEST(PluginTest, WrongAbiVersionNamesBothAndNeverOpensTheLibrary) {
  const std::string mine = std::to_string(OPGRAPH_PLUGIN_ABI_VERSION);
  const std::string theirs = std::to_string(OPGRAPH_PLUGIN_ABI_VERSION + 1);
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_WRONG_ABI, absl::StatusCode::kFailedPrecondition,
                  {"ABI version " + theirs, "ABI version " + mine});
  // Its static initializers, which call into opgraph, never ran.
  EXPECT_FALSE(IsMapped(OPGRAPH_TEST_PLUGIN_WRONG_ABI));
  EXPECT_EQ(OpRegistry::Global().FindSchema("WrongAbiOp"), nullptr);
}

TEST(PluginTest, WrongProtobufVersionIsRejectedBeforeOpening) {
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_WRONG_PROTOBUF, absl::StatusCode::kFailedPrecondition,
                  {"protobuf"});
  EXPECT_FALSE(IsMapped(OPGRAPH_TEST_PLUGIN_WRONG_PROTOBUF));
}

TEST(PluginTest, WrongAbiSymbolIsCheckedBeforeTheEntryPoint) {
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_WRONG_ABI_SYMBOL, absl::StatusCode::kFailedPrecondition,
                  {"reports opgraph plugin ABI version"});
  EXPECT_EQ(OpRegistry::Global().FindSchema("WrongAbiOp"), nullptr);
}

TEST(PluginTest, DuplicateOfABuiltinIsAlreadyExistsAndRegistersNothing) {
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_DUPLICATE_BUILTIN, absl::StatusCode::kAlreadyExists,
                  {"Selu", "built-in", RealPath(OPGRAPH_TEST_PLUGIN_DUPLICATE_BUILTIN)});
  EXPECT_EQ(OpRegistry::Global().FindSchema("DuplicateFirstOp"), nullptr);
  EXPECT_EQ(OpRegistry::Global().SourceOf("Selu"), "built-in");
}

TEST(PluginTest, EntryPointFailingMidwayRegistersNothing) {
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_FAILING, absl::StatusCode::kAborted,
                  {"simulated failure", OPGRAPH_TEST_PLUGIN_FAILING});
  EXPECT_EQ(OpRegistry::Global().FindSchema("FailingStaticOp"), nullptr);
  EXPECT_EQ(OpRegistry::Global().FindSchema("FailingExplicitOp"), nullptr);
  // The library stays mapped, so a retry reports the same failure.
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_FAILING, absl::StatusCode::kAborted,
                  {"simulated failure", "earlier in this process"});
}

TEST(PluginTest, PluginPassIsRegisteredWithItsSourceAndRunsInOptimizeNet) {
  LoadGood();
  const std::vector<PassInfo> passes = RegisteredPasses();
  auto it = std::find_if(passes.begin(), passes.end(),
                         [](const PassInfo& p) { return p.name == "FusePluginNegatePair"; });
  ASSERT_NE(it, passes.end());
  EXPECT_EQ(it->source, RealPath(OPGRAPH_TEST_PLUGIN_GOOD));
  EXPECT_EQ(it->order, 150);
  EXPECT_TRUE(it->enabled_by_default);

  NetDef net;
  net.set_name("negate_twice");
  *net.add_op() = MakeOp("PluginNegate", {"x"}, {"h"});
  *net.add_op() = MakeOp("PluginNegate", {"h"}, {"y"});
  net.add_external_input("x");
  net.add_external_output("y");
  OptimizeOptions options;
  options.input_types = {{"x", TensorType{DType::kFloat32, {3}}}};
  absl::StatusOr<OptimizeResult> r = OptimizeNet(net, options);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->net.op_size(), 1);
  EXPECT_EQ(r->net.op(0).type(), "Copy");
  EXPECT_NE(std::find(r->passes_changed.begin(), r->passes_changed.end(), "FusePluginNegatePair"),
            r->passes_changed.end());
  ASSERT_EQ(r->rewrites.size(), 1u);
  EXPECT_EQ(r->rewrites[0].description, "PluginNegate #0 + PluginNegate #1 -> Copy #0");
  for (const NetDef& n : {net, r->net}) {
    Workspace ws;
    ASSERT_TRUE(ws.FeedBlob("x", MakeTensor<float>({3}, {-1.5f, 0.0f, 2.25f})).ok());
    ASSERT_TRUE(ws.RunNetOnce(n).ok());
    auto y = ws.FetchBlob("y");
    ASSERT_TRUE(y.ok());
    EXPECT_EQ(ToVector<float>(*y), (std::vector<float>{-1.5f, 0.0f, 2.25f}));
  }
  // Protecting the intermediate keeps the pair.
  options.protected_blobs = {"h"};
  r = OptimizeNet(net, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->net.op_size(), 2);
}

TEST(PluginTest, DuplicatePassNameIsAlreadyExistsAndRegistersNothing) {
  const std::vector<PassInfo> before = RegisteredPasses();
  ExpectLoadFails(
      OPGRAPH_TEST_PLUGIN_DUPLICATE_PASS, absl::StatusCode::kAlreadyExists,
      {"graph pass 'FuseSeluSoftmax'", "built-in", RealPath(OPGRAPH_TEST_PLUGIN_DUPLICATE_PASS)});
  EXPECT_EQ(OpRegistry::Global().FindSchema("DuplicatePassPluginOp"), nullptr);
  const std::vector<PassInfo> after = RegisteredPasses();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].name, before[i].name);
    EXPECT_EQ(after[i].source, before[i].source);
  }
  absl::StatusOr<GraphPass> builtin = OpRegistry::Global().FindPass("FuseSeluSoftmax");
  ASSERT_TRUE(builtin.ok()) << builtin.status();
  EXPECT_EQ(builtin->source(), "built-in");
}

TEST(PluginTest, KernelWithoutSchemaFromExplicitApiRegistersNothing) {
  ExpectLoadFails(OPGRAPH_TEST_PLUGIN_KERNEL_WITHOUT_SCHEMA, absl::StatusCode::kFailedPrecondition,
                  {"OrphanKernelOp", "no schema"});
  EXPECT_FALSE(OpRegistry::Global().HasKernel("OrphanKernelOp"));
  EXPECT_EQ(OpRegistry::Global().FindSchema("OrphanCompanionOp"), nullptr);
}

}  // namespace
}  // namespace opgraph
