// Exceptions stop at the operator boundary: a kernel that throws from its
// constructor, Init, Prepare, RunOnDevice or its schema's inference gives a
// status naming the net, the operator and what() (std::bad_alloc:
// ResourceExhausted), and the workspace is left as for any failed creation
// or run. The plugin and command-line cases are in tests/plugins and
// tests/tools/cli_exceptions_test.cc.
#include <cstring>
#include <map>
#include <new>
#include <stdexcept>
#include <string>

#include "core/exceptions.h"
#include "core/registry.h"
#include "core/workspace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"
#include "tests/test_util.h"

namespace opgraph {

// Where TestThrow throws: argument `stage` (none, constructor, init,
// prepare, run) and `kind` (0 std::runtime_error, 1 std::bad_alloc,
// 2 an int). Prepare throws only when its input has at least
// `prepare_min_numel` elements, so a net can be created and then fail when
// it prepares again for a larger input.
enum Stage : int64_t { kNone = 0, kConstructor = 1, kInit = 2, kPrepare = 3, kRun = 4 };

[[noreturn]] void ThrowKind(int64_t kind, const char* where) {
  if (kind == 1) throw std::bad_alloc();
  if (kind == 2) throw 42;
  throw std::runtime_error(std::string("test kernel gave up in ") + where);
}

class TestThrowOp final : public OperatorBase {
 public:
  TestThrowOp(const OperatorDef& def, const OpSchema& schema)
      : OperatorBase(def, schema),
        stage_(Arg<int64_t>("stage")),
        kind_(Arg<int64_t>("kind")),
        prepare_min_numel_(Arg<int64_t>("prepare_min_numel")) {
    if (stage_ == kConstructor) ThrowKind(kind_, "the constructor");
  }
  absl::Status Init() override {
    if (stage_ == kInit) ThrowKind(kind_, "Init");
    return absl::OkStatus();
  }
  absl::Status Prepare(const PrepareContext& ctx) override {
    int64_t n = 1;
    for (int64_t d : ctx.input(0).dims) n *= d;
    if (stage_ == kPrepare && n >= prepare_min_numel_) ThrowKind(kind_, "Prepare");
    return absl::OkStatus();
  }
  absl::Status RunOnDevice() override {
    // Half the output written, as a kernel interrupted midway would leave it.
    Tensor* y = Output(0);
    std::memset(y->raw_mutable_data(), 0, y->nbytes() / 2);
    if (stage_ == kRun) ThrowKind(kind_, "RunOnDevice");
    std::memcpy(y->raw_mutable_data(), Input(0).raw_data(), Input(0).nbytes());
    return absl::OkStatus();
  }

 private:
  int64_t stage_, kind_, prepare_min_numel_;
};

OPERATOR_SCHEMA(TestThrow)
    .NumInputs(1)
    .NumOutputs(1)
    .AllowedTypes({DType::kFloat32})
    .Arg("stage", int64_t{0}, "Where to throw.")
    .Arg("kind", int64_t{0}, "What to throw.")
    .Arg("prepare_min_numel", int64_t{0}, "Prepare throws from this input size on.")
    .IdenticalTypeAndShape();
REGISTER_CPU_OPERATOR(TestThrow, TestThrowOp);

// An inference function that throws.
OPERATOR_SCHEMA(TestThrowingInference)
    .NumInputs(1)
    .NumOutputs(1)
    .TensorInference([](const OperatorDef&,
                        absl::Span<const TensorType>) -> absl::StatusOr<std::vector<TensorType>> {
      throw std::out_of_range("inference looked past the end");
    });
REGISTER_CPU_OPERATOR(TestThrowingInference, TestThrowOp);

namespace {

using ::opgraph::testing::IntArg;
using ::opgraph::testing::MakeOp;
using ::opgraph::testing::MakeTensor;
using ::opgraph::testing::StatusIs;
using ::opgraph::testing::ToVector;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::map<std::string, std::string> Snapshot(const Workspace& ws) {
  std::map<std::string, std::string> out;
  for (const std::string& name : ws.Blobs()) {
    const Tensor* t = ws.GetBlob(name);
    out[name] = t->initialized()
                    ? t->type().ToString() +
                          std::string(static_cast<const char*>(t->raw_data()), t->nbytes())
                    : "<uninitialized>";
  }
  return out;
}

// Copy X -> A, TestThrow A -> B, Copy B -> C.
NetDef ThrowingNet(int64_t stage, int64_t kind, int64_t prepare_min_numel = 0) {
  NetDef def;
  def.set_name("throwing");
  *def.add_op() = MakeOp("Copy", {"X"}, {"A"});
  *def.add_op() = MakeOp("TestThrow", {"A"}, {"B"},
                         {IntArg("stage", stage), IntArg("kind", kind),
                          IntArg("prepare_min_numel", prepare_min_numel)});
  def.mutable_op(1)->set_name("thrower");
  *def.add_op() = MakeOp("Copy", {"B"}, {"C"});
  return def;
}

absl::StatusCode CodeFor(int64_t kind) {
  return kind == 1 ? absl::StatusCode::kResourceExhausted : absl::StatusCode::kInternal;
}

TEST(ExceptionBoundaryTest, StatusFromExceptionCodes) {
  auto status_of = [](auto thrower) {
    return CallCatching("stage", [&]() -> absl::Status {
      thrower();
      return absl::OkStatus();
    });
  };
  EXPECT_THAT(status_of([] { throw std::bad_alloc(); }),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr("stage ran out of memory"), HasSubstr("std::bad_alloc"))));
  EXPECT_THAT(
      status_of([] { throw std::length_error("too long"); }),
      StatusIs(absl::StatusCode::kInternal, HasSubstr("stage threw std::length_error: too long")));
  EXPECT_THAT(status_of([] { throw 7; }),
              StatusIs(absl::StatusCode::kInternal,
                       HasSubstr("stage threw int, which is not a std::exception")));
  EXPECT_TRUE(status_of([] {}).ok());
}

// Construction and Init run at net creation: the net is not created and
// the workspace is exactly as before.
TEST(ExceptionBoundaryTest, ThrowAtCreationChangesNothing) {
  for (int64_t stage : {kConstructor, kInit, kPrepare}) {
    for (int64_t kind : {0, 1, 2}) {
      SCOPED_TRACE(::testing::Message() << "stage " << stage << " kind " << kind);
      Workspace ws;
      ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1, 2})).ok());
      ASSERT_TRUE(ws.FeedBlob("B", MakeTensor<float>({1}, {9})).ok());
      const auto before = Snapshot(ws);
      absl::StatusOr<Net*> net = ws.CreateNet(ThrowingNet(stage, kind));
      const char* where = stage == kConstructor ? "the constructor"
                          : stage == kInit      ? "Init"
                                                : "Prepare";
      EXPECT_THAT(
          net.status(),
          StatusIs(CodeFor(kind), AllOf(HasSubstr("net 'throwing' operator #1 TestThrow 'thrower'"),
                                        HasSubstr(where))));
      if (kind == 0) {
        EXPECT_THAT(net.status().message(),
                    HasSubstr(std::string("test kernel gave up in ") + where));
      }
      EXPECT_EQ(Snapshot(ws), before);
      EXPECT_TRUE(ws.Nets().empty());
    }
  }
}

// RunOnDevice throws at operator #1: the run fails with the operator's
// context, operator #2 does not run, blobs #1 does not write keep their
// values, and the workspace stays usable.
TEST(ExceptionBoundaryTest, ThrowWhileRunningKeepsOtherBlobs) {
  for (int64_t kind : {0, 1, 2}) {
    SCOPED_TRACE(::testing::Message() << "kind " << kind);
    Workspace ws;
    ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1, 2})).ok());
    ASSERT_TRUE(ws.FeedBlob("C", MakeTensor<float>({2}, {7, 8})).ok());
    absl::StatusOr<Net*> net = ws.CreateNet(ThrowingNet(kRun, kind));
    ASSERT_TRUE(net.ok()) << net.status();
    absl::Status s = (*net)->Run();
    EXPECT_THAT(s, StatusIs(CodeFor(kind),
                            AllOf(HasSubstr("net 'throwing' operator #1 TestThrow 'thrower'"),
                                  HasSubstr("RunOnDevice"))));
    if (kind == 0) {
      EXPECT_THAT(s.message(), HasSubstr("test kernel gave up in RunOnDevice"));
    }
    EXPECT_EQ(ToVector<float>(*ws.GetBlob("C")), std::vector<float>({7, 8}));
    EXPECT_EQ(ToVector<float>(*ws.GetBlob("A")), std::vector<float>({1, 2}));
    // The net can run again (and fails the same way); another net works.
    EXPECT_EQ((*net)->Run().code(), CodeFor(kind));
    NetDef other;
    *other.add_op() = MakeOp("Copy", {"X"}, {"D"});
    EXPECT_TRUE(ws.RunNetOnce(other).ok());
    EXPECT_EQ(ToVector<float>(*ws.GetBlob("D")), std::vector<float>({1, 2}));
  }
}

// Prepare throws when the net prepares again for a larger input: the run
// fails before any operator, and nothing but the fed X changed.
TEST(ExceptionBoundaryTest, ThrowWhilePreparingAgain) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1, 2})).ok());
  absl::StatusOr<Net*> net = ws.CreateNet(ThrowingNet(kPrepare, 0, /*prepare_min_numel=*/4));
  ASSERT_TRUE(net.ok()) << net.status();
  ASSERT_TRUE((*net)->Run().ok());
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({4}, {5, 6, 7, 8})).ok());
  auto before = Snapshot(ws);
  absl::Status s = (*net)->Run();
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kInternal, AllOf(HasSubstr("operator #1 TestThrow"),
                                                     HasSubstr("test kernel gave up in Prepare"))));
  EXPECT_EQ(Snapshot(ws), before);
  // Back to a small input, the net runs again.
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {3, 4})).ok());
  ASSERT_TRUE((*net)->Run().ok());
  EXPECT_EQ(ToVector<float>(*ws.GetBlob("C")), std::vector<float>({3, 4}));
}

TEST(ExceptionBoundaryTest, ThrowingInferenceFunction) {
  Workspace ws;
  ASSERT_TRUE(ws.FeedBlob("X", MakeTensor<float>({2}, {1, 2})).ok());
  NetDef def;
  def.set_name("infer");
  *def.add_op() = MakeOp("TestThrowingInference", {"X"}, {"Y"});
  const auto before = Snapshot(ws);
  absl::StatusOr<Net*> net = ws.CreateNet(def);
  EXPECT_THAT(net.status(),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("net 'infer' operator #0 TestThrowingInference"),
                             HasSubstr("std::out_of_range: inference looked past the end"))));
  EXPECT_EQ(Snapshot(ws), before);
}

}  // namespace
}  // namespace opgraph
