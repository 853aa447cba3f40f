// StagedFiles (core/file_util.h): staged files change no target until
// CommitAll, which replaces them all; a StagedFiles destroyed without
// CommitAll, or a Stage that fails, leaves every target as it was and no
// temporary file behind.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/net_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace opgraph {
namespace {

using ::testing::ElementsAre;

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/staged_files_" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileToString(path);
  return s.ok() ? *s : "<unreadable>";
}

TEST(StagedFilesTest, NothingChangesUntilCommitAll) {
  const std::string dir = FreshDir("commit");
  ASSERT_TRUE(WriteFileAtomically(dir + "/a", "old a").ok());
  StagedFiles files;
  ASSERT_TRUE(files.Stage(dir + "/a", "new a").ok());
  ASSERT_TRUE(files.Stage(dir + "/b", "new b").ok());
  EXPECT_EQ(files.size(), 2u);
  EXPECT_EQ(Read(dir + "/a"), "old a");
  EXPECT_FALSE(std::filesystem::exists(dir + "/b"));
  ASSERT_TRUE(files.CommitAll().ok());
  EXPECT_EQ(Read(dir + "/a"), "new a");
  EXPECT_EQ(Read(dir + "/b"), "new b");
  EXPECT_THAT(Entries(dir), ElementsAre("a", "b"));
}

TEST(StagedFilesTest, AbandonedOrFailedStagesLeaveTargetsAndNoTemporaries) {
  const std::string dir = FreshDir("abandon");
  ASSERT_TRUE(WriteFileAtomically(dir + "/a", "old a").ok());
  {
    StagedFiles files;
    ASSERT_TRUE(files.Stage(dir + "/a", "new a").ok());
    absl::Status s = files.Stage(dir + "/missing/dir/b", "new b");
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
    EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr(dir + "/missing/dir/b"));
    EXPECT_EQ(files.size(), 1u);
  }
  EXPECT_EQ(Read(dir + "/a"), "old a");
  EXPECT_THAT(Entries(dir), ElementsAre("a"));
}

}  // namespace
}  // namespace opgraph
