// `opgraph run --output` commits every file or none, and the ways a file
// may be named: the same file twice is a usage error; .NPY in upper case
// is NumPy; a tensor too large for a TensorProto is refused; a FIFO, a
// directory, standard input ("-") and an empty net as inputs.
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/tensor_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"
#include "tests/tools/cli_test_util.h"

namespace opgraph {
namespace testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Y = fill of 3 twos, Z = fill of 2 zeros; `labels_bad` adds a
// SoftmaxWithLoss after them that fails on its label.
std::string FillNet(bool labels_bad = false) {
  std::string text =
      "name: \"fills\"\n"
      "op { type: \"ConstantFill\" output: \"Y\" arg { name: \"shape\" ints: 3 }"
      " arg { name: \"value\" f: 2 } }\n"
      "op { type: \"ConstantFill\" output: \"Z\" arg { name: \"shape\" ints: 2 } }\n";
  if (labels_bad) {
    absl::StrAppend(&text,
                    "op { type: \"ConstantFill\" output: \"L\" arg { name: \"shape\" ints: 1 }"
                    " arg { name: \"dtype\" i: 2 } arg { name: \"value\" f: 5 } }\n"
                    "op { type: \"ConstantFill\" output: \"Y2\" arg { name: \"shape\" ints: 1"
                    " ints: 3 } }\n"
                    "op { type: \"SoftmaxWithLoss\" input: \"Y2\" input: \"L\" output: \"P\""
                    " output: \"loss\" }\n");
  }
  return WriteTestFile(labels_bad ? "bad.pbtxt" : "fills.pbtxt", text);
}

std::string FreshDir(const std::string& name) {
  const std::string dir = TestPath(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A missing blob or an unwritable file among the --output flags: no file
// changes, not even those named before it, and no temporary file remains.
TEST(CliOutputsTest, OutputsAreCommittedOnlyWhenAllAreSerialized) {
  const std::string dir = FreshDir("out");
  const std::string a = dir + "/a.npy", b = dir + "/b.pb";
  ASSERT_TRUE(WriteStringToFile(a, "old a").ok());
  ASSERT_TRUE(WriteStringToFile(b, "old b").ok());
  const std::string net = FillNet();

  CliResult r = RunOpgraph({"run", net, "--output", "Y=" + a, "--output", "Q=" + b});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--output Q: no blob 'Q'"));
  r = RunOpgraph({"run", net, "--output", "Y=" + a, "--output", "Z=" + dir + "/no/such/z.npy"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("--output Z: " + dir + "/no/such/z.npy"));
  EXPECT_EQ(ReadTestFile(a), "old a");
  EXPECT_EQ(ReadTestFile(b), "old b");
  EXPECT_THAT(DirEntries(dir), ElementsAre("a.npy", "b.pb"));

  r = RunOpgraph({"run", net, "--output", "Y=" + a, "--output", "Z=" + b});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  absl::StatusOr<Tensor> y = ReadTensorFile(a);
  absl::StatusOr<Tensor> z = ReadTensorFile(b);
  ASSERT_TRUE(y.ok() && z.ok());
  EXPECT_EQ(ToVector<float>(*y), (std::vector<float>{2, 2, 2}));
  EXPECT_EQ(ToVector<float>(*z), (std::vector<float>{0, 0}));
  EXPECT_THAT(DirEntries(dir), ElementsAre("a.npy", "b.pb"));
}

TEST(CliOutputsTest, FailedRunLeavesEveryOutputByteIdentical) {
  const std::string dir = FreshDir("out");
  const std::string a = dir + "/a.npy", b = dir + "/b.pbtxt";
  ASSERT_TRUE(WriteStringToFile(a, "old a").ok());
  ASSERT_TRUE(WriteStringToFile(b, "old b").ok());
  CliResult r = RunOpgraph({"run", FillNet(true), "--output", "Y=" + a, "--output", "loss=" + b});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("SoftmaxWithLoss"), HasSubstr("label of row 0 is 5")));
  EXPECT_EQ(ReadTestFile(a), "old a");
  EXPECT_EQ(ReadTestFile(b), "old b");
  EXPECT_THAT(DirEntries(dir), ElementsAre("a.npy", "b.pbtxt"));
}

TEST(CliOutputsTest, TwoOutputsNamingOneFileAreAUsageError) {
  const std::string dir = FreshDir("out");
  std::filesystem::create_directories(dir + "/sub");
  const std::string net = FillNet();
  for (const std::string& other : {dir + "/./a.npy", dir + "/sub/../a.npy", dir + "//a.npy"}) {
    SCOPED_TRACE(other);
    CliResult r =
        RunOpgraph({"run", net, "--output", "Y=" + dir + "/a.npy", "--output", "Z=" + other});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr("write the same file"));
  }
  // Relative to the working directory: "a.npy" and "./a.npy".
  const std::string cwd = std::filesystem::current_path().string();
  std::filesystem::current_path(dir);
  CliResult r = RunOpgraph({"run", net, "--output", "Y=a.npy", "--output", "Z=./a.npy"});
  std::filesystem::current_path(cwd);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(DirEntries(dir), ElementsAre("sub"));
  // Printing twice is fine.
  r = RunOpgraph({"run", net, "--output", "Y=-", "--output", "Z=-"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(CliOutputsTest, UpperCaseNpyExtensionIsNumpy) {
  const std::string dir = FreshDir("out");
  const std::string path = dir + "/y.NPY";
  CliResult r = RunOpgraph({"run", FillNet(), "--output", "Y=" + path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string bytes = ReadTestFile(path);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  // And read back as NumPy by --input.
  const std::string copy =
      WriteTestFile("copy.pbtxt", "op { type: \"Copy\" input: \"X\" output: \"W\" }\n");
  r = RunOpgraph({"run", copy, "--input", "X=" + path});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("W: float32[3]\n[2, 2, 2]"));
}

// Runs opgraph with standard input read from `stdin_path`.
CliResult RunWithStdin(const std::vector<std::string>& args, const std::string& stdin_path) {
  const std::string out_path = TestPath("stdin_out"), err_path = TestPath("stdin_err");
  const std::string binary = OpgraphBinary();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, stdin_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  CHECK_EQ(posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadTestFile(out_path);
  r.err = ReadTestFile(err_path);
  return r;
}

TEST(CliOutputsTest, InputFromStandardInputAndFromAFifo) {
  const std::string copy =
      WriteTestFile("copy.pbtxt", "op { type: \"Copy\" input: \"X\" output: \"W\" }\n");
  const std::string x = TestPath("x.npy");
  ASSERT_TRUE(WriteNpy(x, MakeTensor<float>({2}, {1.5f, -3})).ok());
  CliResult r = RunWithStdin({"run", copy, "--input", "X=-"}, x);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("W: float32[2]\n[1.5,  -3]"));
  r = RunOpgraph({"run", copy, "--input", "X=-", "--input", "Y=-"});
  EXPECT_EQ(r.exit_code, 2) << r.err;

  // A FIFO (what a shell's <(...) gives) is read as a stream, never with
  // a seek.
  const std::string fifo = TestPath("fifo.npy");
  std::filesystem::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const std::string bytes = ReadTestFile(x);
  std::thread writer([&] {
    std::ofstream f(fifo, std::ios::binary);
    f << bytes;
  });
  r = RunOpgraph({"run", copy, "--input", "X=" + fifo});
  writer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("W: float32[2]\n[1.5,  -3]"));

  // A net from a FIFO too.
  const std::string net_fifo = TestPath("net_fifo");
  std::filesystem::remove(net_fifo);
  ASSERT_EQ(mkfifo(net_fifo.c_str(), 0600), 0);
  const std::string net_text = ReadTestFile(copy);
  std::thread net_writer([&] {
    std::ofstream f(net_fifo, std::ios::binary);
    f << net_text;
  });
  r = RunOpgraph({"run", net_fifo, "--input", "X=" + x});
  net_writer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("W: float32[2]"));
}

TEST(CliOutputsTest, DirectoryOrEmptyNetSaysWhatThePathIs) {
  const std::string dir = FreshDir("a_dir");
  std::filesystem::create_directories(dir + ".npy");
  const std::string copy =
      WriteTestFile("copy.pbtxt", "op { type: \"Copy\" input: \"X\" output: \"W\" }\n");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"run", dir},
                                             {"inspect", dir},
                                             {"run", copy, "--input", "X=" + dir},
                                             {"run", copy, "--input", "X=" + dir + ".npy"}}) {
    SCOPED_TRACE(args[1] + " " + args.back());
    CliResult r = RunOpgraph(args);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(": is a directory, not a file"));
  }
  const std::string empty = WriteTestFile("empty.pb", "\n\n");
  for (const char* cmd : {"run", "inspect", "dot"}) {
    SCOPED_TRACE(cmd);
    CliResult r = RunOpgraph({cmd, empty});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(empty + " (2 bytes) parses as an empty net: no operators"));
  }
}

// A 2 GiB + 4 byte float32 fill written as a TensorProto: refused, naming
// the limit and .npy, and the old file is kept. The fill needs 2 GiB of
// memory for about a second; the test skips on machines with under 8 GiB.
TEST(CliOutputsTest, TensorOverTwoGiBAsTensorProtoIsRefused) {
  const int64_t memory = static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  if (memory < (int64_t{8} << 30)) {
    GTEST_SKIP() << "needs 8 GiB of memory to fill a 2 GiB tensor; this machine has " << memory
                 << " bytes";
  }
  const std::string net = WriteTestFile("big.pbtxt",
                                        "name: \"big\"\nop { type: \"ConstantFill\" output: \"Y\""
                                        " arg { name: \"shape\" ints: 536870913 } }\n");
  const std::string dir = FreshDir("out");
  const std::string pb = dir + "/y.pb";
  ASSERT_TRUE(WriteStringToFile(pb, "old y").ok());
  CliResult r = RunOpgraph({"run", net, "--output", "Y=" + pb});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("--output Y: " + pb), HasSubstr("limited to 2 GiB"),
                           HasSubstr("write it as .npy instead")));
  EXPECT_EQ(ReadTestFile(pb), "old y");
  EXPECT_THAT(DirEntries(dir), ElementsAre("y.pb"));
}

}  // namespace
}  // namespace testing
}  // namespace opgraph
