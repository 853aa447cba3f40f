// Tests of the pass registry and OptimizeNet (core/optimize.h), with
// test-only passes registered here. The passes opgraph ships are tested
// next to their operators (tests/ops/*_fusion_test.cc).
#include "core/optimize.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/registry.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace opgraph {
namespace {

using ::opgraph::testing::IsOk;
using ::opgraph::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kSource[] = "optimize_test";

NetDef Parse(const std::string& text) {
  NetDef net;
  CHECK(google::protobuf::TextFormat::ParseFromString(text, &net)) << text;
  return net;
}

// A net the test passes recognise by its name: those that trace append
// their letter to the name of a net named "trace:...".
NetDef Net(const std::string& name) {
  NetDef net = Parse(R"(
op { type: "Copy" input: "X" output: "Y" }
external_input: "X"
external_output: "Y"
)");
  net.set_name(name);
  return net;
}

TypeMap Inputs() { return {{"X", TensorType{DType::kFloat32, {2, 3}}}}; }

// Appends `letter` to a tracing net's name.
PassFunction Tracer(const std::string& letter, bool report_rewrite) {
  return [letter, report_rewrite](const NetDef& net, const PassContext&,
                                  std::vector<Rewrite>* rewrites) -> absl::StatusOr<NetDef> {
    if (!absl::StartsWith(net.name(), "trace:")) return net;
    NetDef out = net;
    out.set_name(net.name() + letter);
    if (report_rewrite && rewrites != nullptr) {
      rewrites->push_back(Rewrite{"", {0}, 0, "renamed the net"});
    }
    return out;
  };
}

absl::StatusOr<NetDef> NeverChanges(const NetDef& net, const PassContext&, std::vector<Rewrite>*) {
  return net;
}

// Fails on a net named "fail-me"; on "break-me" returns a net that reads a
// blob nothing provides.
absl::StatusOr<NetDef> Misbehaves(const NetDef& net, const PassContext& ctx,
                                  std::vector<Rewrite>*) {
  if (net.name() == "fail-me") {
    return absl::FailedPreconditionError("the test pass refuses this net");
  }
  if (net.name() == "break-me") {
    NetDef out = net;
    out.mutable_op(0)->set_input(0, "nowhere");
    return out;
  }
  // Records what it was given, for the context test.
  if (net.name() == "context") {
    NetDef out = net;
    std::string seen = "protected:";
    for (const std::string& b : ctx.protected_blobs) seen += " " + b;
    seen += " types:";
    for (const auto& [blob, type] : ctx.input_types) seen += " " + blob;
    out.set_name(seen);
    return out;
  }
  return net;
}

// Registers the test passes once per process.
void RegisterTestPasses() {
  static const absl::Status* status = new absl::Status([] {
    RegistrationBatch batch(kSource);
    absl::Status s;
    for (GraphPass p : {
             GraphPass("TestZ").Description("appends Z").Order(5).Function(Tracer("Z", true)),
             GraphPass("TestB").Description("appends B").Order(50).Function(Tracer("B", false)),
             GraphPass("TestC").Description("changes nothing").Order(50).Function(NeverChanges),
             GraphPass("TestOff")
                 .Description("appends O")
                 .Order(1)
                 .EnabledByDefault(false)
                 .Function(Tracer("O", true)),
             GraphPass("TestMisbehaves")
                 .Description("fails or breaks on request")
                 .Order(200)
                 .Function(Misbehaves),
         }) {
      if (s.ok()) s = batch.AddPass(std::move(p));
    }
    if (!s.ok()) return s;
    return OpRegistry::Global().Apply(std::move(batch));
  }());
  ASSERT_THAT(*status, IsOk());
}

class OptimizeTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterTestPasses(); }
};

// `names` without passes other than the test ones.
std::vector<std::string> TestOnly(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) {
    if (absl::StartsWith(n, "Test")) out.push_back(n);
  }
  return out;
}

TEST_F(OptimizeTest, PassesAreListedByOrderThenNameWithTheirSource) {
  const std::vector<PassInfo> passes = RegisteredPasses();
  std::vector<std::string> names;
  for (const PassInfo& p : passes) names.push_back(p.name);
  EXPECT_EQ(names, OptimizationPasses());
  EXPECT_THAT(TestOnly(names), ElementsAre("TestOff", "TestZ", "TestB", "TestC", "TestMisbehaves"));
  for (size_t i = 1; i < passes.size(); ++i) {
    EXPECT_TRUE(passes[i - 1].order < passes[i].order ||
                (passes[i - 1].order == passes[i].order && passes[i - 1].name < passes[i].name))
        << passes[i - 1].name << " before " << passes[i].name;
  }
  auto off = std::find_if(passes.begin(), passes.end(),
                          [](const PassInfo& p) { return p.name == "TestOff"; });
  ASSERT_NE(off, passes.end());
  EXPECT_EQ(off->description, "appends O");
  EXPECT_FALSE(off->enabled_by_default);
  EXPECT_EQ(off->order, 1);
  EXPECT_EQ(off->source, kSource);
}

TEST_F(OptimizeTest, RunsEnabledPassesInOrderEachOnThePreviousResult) {
  OptimizeOptions options;
  options.input_types = Inputs();
  absl::StatusOr<OptimizeResult> r = OptimizeNet(Net("trace:"), options);
  ASSERT_THAT(r, IsOk());
  // TestOff (order 1) is disabled by default; TestZ (order 5) runs before
  // TestB (order 50, and by name before TestC).
  EXPECT_EQ(r->net.name(), "trace:ZB");
  EXPECT_THAT(TestOnly(r->passes_run), ElementsAre("TestZ", "TestB", "TestC", "TestMisbehaves"));
  std::vector<std::string> enabled;
  for (const PassInfo& p : RegisteredPasses()) {
    if (p.enabled_by_default) enabled.push_back(p.name);
  }
  EXPECT_EQ(r->passes_run, enabled);
}

TEST_F(OptimizeTest, PassesChangedHasOnlyPassesThatRewroteTheNet) {
  OptimizeOptions options;
  options.input_types = Inputs();
  absl::StatusOr<OptimizeResult> r = OptimizeNet(Net("trace:"), options);
  ASSERT_THAT(r, IsOk());
  // TestB reports no Rewrite but changes the net; TestC changes nothing.
  EXPECT_THAT(TestOnly(r->passes_changed), ElementsAre("TestZ", "TestB"));
  // A rewrite left without a pass name gets the pass's.
  ASSERT_EQ(r->rewrites.size(), 1u);
  EXPECT_EQ(r->rewrites[0].pass, "TestZ");
  EXPECT_EQ(r->rewrites[0].description, "renamed the net");

  r = OptimizeNet(Net("quiet"), options);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->passes_changed.empty());
  EXPECT_TRUE(r->rewrites.empty());
  EXPECT_EQ(r->net.name(), "quiet");
}

TEST_F(OptimizeTest, DisabledPassesDoNotRun) {
  OptimizeOptions options;
  options.input_types = Inputs();
  // Naming a pass that is off by default is allowed too.
  options.disabled_passes = {"TestZ", "TestOff"};
  absl::StatusOr<OptimizeResult> r = OptimizeNet(Net("trace:"), options);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->net.name(), "trace:B");
  EXPECT_THAT(TestOnly(r->passes_run), ElementsAre("TestB", "TestC", "TestMisbehaves"));
  EXPECT_TRUE(r->rewrites.empty());
}

TEST_F(OptimizeTest, UnknownDisabledPassIsRefusedWithTheKnownNames) {
  OptimizeOptions options;
  options.input_types = Inputs();
  options.disabled_passes = {"TestY"};
  EXPECT_THAT(OptimizeNet(Net("trace:"), options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       AllOf(HasSubstr("'TestY'"), HasSubstr("known passes: "), HasSubstr("TestZ"),
                             HasSubstr("TestOff"))));
}

TEST_F(OptimizeTest, PassErrorKeepsItsCodeAndNamesThePass) {
  OptimizeOptions options;
  options.input_types = Inputs();
  const NetDef net = Net("fail-me");
  EXPECT_THAT(OptimizeNet(net, options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("TestMisbehaves"), HasSubstr("refuses this net"))));
  EXPECT_EQ(net.op(0).input(0), "X");
}

TEST_F(OptimizeTest, InvalidResultOfAPassIsInternalNamingIt) {
  OptimizeOptions options;
  options.input_types = Inputs();
  EXPECT_THAT(
      OptimizeNet(Net("break-me"), options),
      StatusIs(absl::StatusCode::kInternal,
               AllOf(HasSubstr("TestMisbehaves"), HasSubstr(kSource), HasSubstr("nowhere"))));
}

TEST_F(OptimizeTest, PassesSeeInputTypesAndProtectedBlobs) {
  OptimizeOptions options;
  options.input_types = Inputs();
  options.protected_blobs = {"Y", "Q"};
  absl::StatusOr<OptimizeResult> r = OptimizeNet(Net("context"), options);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->net.name(), "protected: Q Y types: X");
}

TEST_F(OptimizeTest, DuplicatePassIsAlreadyExistsNamingBothAndAppliesNothing) {
  RegistrationBatch batch("second-source");
  ASSERT_THAT(batch.AddPass(GraphPass("TestNew").Description("new").Function(NeverChanges)),
              IsOk());
  ASSERT_THAT(batch.AddSchema(std::make_unique<OpSchema>("TestPassBatchOp", "f", 1)), IsOk());
  ASSERT_THAT(batch.AddPass(GraphPass("TestB").Description("again").Function(NeverChanges)),
              IsOk());
  EXPECT_THAT(OpRegistry::Global().Apply(std::move(batch)),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("graph pass 'TestB'"), HasSubstr("second-source"),
                             HasSubstr(kSource))));
  EXPECT_THAT(OpRegistry::Global().FindPass("TestNew"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("TestNew")));
  EXPECT_EQ(OpRegistry::Global().FindSchema("TestPassBatchOp"), nullptr);
  absl::StatusOr<GraphPass> b = OpRegistry::Global().FindPass("TestB");
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->description(), "appends B");
  EXPECT_EQ(b->source(), kSource);
}

TEST_F(OptimizeTest, DuplicateWithinABatchIsRecorded) {
  RegistrationBatch batch("dup");
  ASSERT_THAT(batch.AddPass(GraphPass("TestTwice").Description("1").Function(NeverChanges)),
              IsOk());
  EXPECT_THAT(batch.AddPass(GraphPass("TestTwice").Description("2").Function(NeverChanges)),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("TestTwice")));
  EXPECT_THAT(OpRegistry::Global().Apply(std::move(batch)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("TestTwice")));
  EXPECT_THAT(OpRegistry::Global().FindPass("TestTwice"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("TestTwice")));
}

TEST_F(OptimizeTest, IncompletePassesAreRefused) {
  RegistrationBatch batch("incomplete");
  EXPECT_THAT(batch.AddPass(GraphPass("TestNoFunction").Description("d")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no function")));
  EXPECT_THAT(batch.AddPass(GraphPass("TestNoDescription").Function(NeverChanges)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no description")));
  EXPECT_THAT(batch.AddPass(GraphPass("not a name").Description("d").Function(NeverChanges)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'not a name'")));
  EXPECT_THAT(OpRegistry::Global().Apply(std::move(batch)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("incomplete")));
}

}  // namespace
}  // namespace opgraph
