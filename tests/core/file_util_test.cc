// WriteFileAtomically: the target holds the old bytes or all the new ones;
// a failed write (a file-size limit, a missing directory, a directory in
// the way, a failing writer) leaves it untouched and no temporary file.
#include "core/file_util.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/net_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace opgraph {
namespace {

namespace fs = std::filesystem;
using ::opgraph::testing::StatusIs;
using ::testing::HasSubstr;

// A fresh, empty directory for one test.
fs::path TestDir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) /
                 (std::string("file_util_") + info->name() + "_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> Entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string Read(const fs::path& p) {
  absl::StatusOr<std::string> s = ReadFileToString(p.string());
  return s.ok() ? *s : "<" + std::string(s.status().message()) + ">";
}

TEST(WriteFileAtomicallyTest, CreatesAndReplaces) {
  const fs::path dir = TestDir();
  const std::string path = (dir / "out.bin").string();
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  EXPECT_EQ(Read(path), "first");
  ASSERT_TRUE(WriteFileAtomically(path, std::string(100000, 'x')).ok());
  EXPECT_EQ(Read(path), std::string(100000, 'x'));
  ASSERT_TRUE(WriteFileAtomically(path, "").ok());
  EXPECT_EQ(Read(path), "");
  EXPECT_THAT(Entries(dir), ::testing::ElementsAre("out.bin"));
}

TEST(WriteFileAtomicallyTest, KeepsTheModeOfAReplacedFile) {
  const fs::path dir = TestDir();
  const std::string path = (dir / "script.sh").string();
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  ASSERT_EQ(chmod(path.c_str(), 0750), 0);
  ASSERT_TRUE(WriteFileAtomically(path, "new").ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
}

// The write itself fails halfway: a child process under a file-size limit
// of 4 KiB (SIGXFSZ ignored, so write() fails with EFBIG) writes 1 MiB.
TEST(WriteFileAtomicallyTest, FailedWriteLeavesTheOldFileAndNoTemporary) {
  const fs::path dir = TestDir();
  const std::string path = (dir / "net.pb").string();
  ASSERT_TRUE(WriteFileAtomically(path, "the old contents").ok());
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    absl::Status s = WriteFileAtomically(path, std::string(1 << 20, 'n'));
    _exit(s.code() == absl::StatusCode::kResourceExhausted &&
                  std::string(s.message()).find(path) != std::string::npos
              ? 0
              : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's write did not fail with ResourceExhausted";
  EXPECT_EQ(Read(path), "the old contents");
  EXPECT_THAT(Entries(dir), ::testing::ElementsAre("net.pb"));
}

TEST(WriteFileAtomicallyTest, MissingDirectoryAndDirectoryInTheWay) {
  const fs::path dir = TestDir();
  EXPECT_THAT(WriteFileAtomically((dir / "no" / "such.pb").string(), "x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("such.pb")));
  fs::create_directory(dir / "taken");
  EXPECT_THAT(WriteFileAtomically((dir / "taken").string(), "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("taken")));
  EXPECT_TRUE(fs::is_directory(dir / "taken"));
  EXPECT_THAT(Entries(dir), ::testing::ElementsAre("taken"));
}

TEST(WriteFileAtomicallyTest, FailingWriterLeavesTheOldFile) {
  const fs::path dir = TestDir();
  const std::string path = (dir / "graph.svg").string();
  ASSERT_TRUE(WriteFileAtomically(path, "<svg/>").ok());
  std::string seen_temp;
  absl::Status s = WriteFileAtomicallyWith(path, [&](const std::string& temp) {
    seen_temp = temp;
    EXPECT_TRUE(fs::exists(temp));
    EXPECT_EQ(fs::path(temp).parent_path(), dir);
    EXPECT_TRUE(WriteFileAtomically(temp + ".unrelated", "").ok());
    fs::remove(temp + ".unrelated");
    return absl::UnavailableError("renderer crashed");
  });
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("renderer crashed")));
  EXPECT_FALSE(fs::exists(seen_temp));
  EXPECT_EQ(Read(path), "<svg/>");
  EXPECT_THAT(Entries(dir), ::testing::ElementsAre("graph.svg"));
  // A writer that succeeds replaces the file.
  ASSERT_TRUE(WriteFileAtomicallyWith(path, [](const std::string& temp) {
                return WriteStringToFile(temp, "<svg>new</svg>");
              }).ok());
  EXPECT_EQ(Read(path), "<svg>new</svg>");
  EXPECT_THAT(Entries(dir), ::testing::ElementsAre("graph.svg"));
}

}  // namespace
}  // namespace opgraph
