// Running the real `opgraph` binary from tests: its exit code, stdout and
// stderr. The binary is $OPGRAPH_BINARY_DIR/tools/opgraph and the source
// tree $OPGRAPH_SOURCE_DIR (ctest sets both).
#ifndef OPGRAPH_TESTS_TOOLS_CLI_TEST_UTIL_H_
#define OPGRAPH_TESTS_TOOLS_CLI_TEST_UTIL_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/net_io.h"
#include "glog/logging.h"
#include "gtest/gtest.h"

extern char** environ;

namespace opgraph {
namespace testing {

inline std::string EnvOrDie(const char* name) {
  const char* v = std::getenv(name);
  CHECK(v != nullptr) << name << " is not set; run the test through ctest";
  return v;
}

inline std::string SourcePath(const std::string& rel) {
  return absl::StrCat(EnvOrDie("OPGRAPH_SOURCE_DIR"), "/", rel);
}

inline std::string OpgraphBinary() {
  return absl::StrCat(EnvOrDie("OPGRAPH_BINARY_DIR"), "/tools/opgraph");
}

// A fresh path in the test's temporary directory.
inline std::string TestPath(const std::string& name) {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return absl::StrCat(::testing::TempDir(), "/", info->test_suite_name(), "_", info->name(), "_",
                      name);
}

inline std::string WriteTestFile(const std::string& name, const std::string& contents) {
  const std::string path = TestPath(name);
  CHECK(WriteStringToFile(path, contents).ok()) << path;
  return path;
}

inline std::string ReadTestFile(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileToString(path);
  CHECK(s.ok()) << s.status();
  return *s;
}

// Checks the printed demo output against examples/selu_softmax/
// expected_output.txt. The header line and layout must match exactly; each
// value within 4 float32 ULP of the file's, since the SIMD target the CPU
// runs (AVX-512 or AVX2, ...) may move the last bit (the kernel bounds are
// in ops/kernels/activation_kernels.h; the file's values are checked
// against a double-precision reference by check_expected.py).
inline void ExpectDemoOutput(const std::string& out) {
  const std::string expected =
      ReadTestFile(SourcePath("examples/selu_softmax/expected_output.txt"));
  const size_t eol = expected.find('\n');
  ASSERT_EQ(out.substr(0, out.find('\n')), expected.substr(0, eol)) << out;
  auto numbers = [](const std::string& text, std::string* layout) {
    std::vector<float> v;
    size_t i = 0;
    while (i < text.size()) {
      const char c = text[i];
      if ((c >= '0' && c <= '9') || c == '-') {
        size_t used = 0;
        v.push_back(std::stof(text.substr(i), &used));
        i += used;
        layout->push_back('#');
      } else {
        if (c != ' ') layout->push_back(c);
        ++i;
      }
    }
    return v;
  };
  std::string out_layout, expected_layout;
  const std::vector<float> got = numbers(out.substr(out.find('\n') + 1), &out_layout);
  const std::vector<float> want = numbers(expected.substr(eol + 1), &expected_layout);
  ASSERT_EQ(out_layout, expected_layout) << out;
  for (size_t i = 0; i < want.size(); ++i) {
    const float ulp = std::nextafter(want[i], 2.0f) - want[i];
    EXPECT_LE(std::fabs(got[i] - want[i]), 4 * ulp)
        << "value " << i << ": printed " << got[i] << ", expected " << want[i] << "\n"
        << out;
  }
}

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `opgraph args...` with stdout and stderr captured in files. `env`
// replaces the environment when given ("NAME=value" entries).
inline CliResult RunOpgraph(const std::vector<std::string>& args,
                            const std::vector<std::string>* env = nullptr) {
  static int counter = 0;
  const std::string out_path = TestPath(absl::StrCat("stdout", counter));
  const std::string err_path = TestPath(absl::StrCat("stderr", counter++));
  const std::string binary = OpgraphBinary();
  std::vector<char*> argv = {const_cast<char*>(binary.c_str())};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (env != nullptr) {
    for (const std::string& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(),
                             env != nullptr ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  CHECK_EQ(rc, 0) << "cannot run " << binary;
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadTestFile(out_path);
  r.err = ReadTestFile(err_path);
  return r;
}

}  // namespace testing
}  // namespace opgraph

#endif  // OPGRAPH_TESTS_TOOLS_CLI_TEST_UTIL_H_
