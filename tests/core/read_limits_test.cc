// Limits are enforced while a net is read, not after it is parsed: a
// binary net with too many operators is refused by a scan of its bytes,
// before any operator is allocated, and reading a net costs a small
// multiple of its file size plus a fixed amount per operator. Peak memory
// is measured with getrusage in a child process, so nothing else the test
// binary did counts. Figures are in docs/SECURITY.md.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "core/net.h"
#include "core/net_io.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/status_matchers.h"

namespace opgraph {
namespace {

// Time and memory bounds are for optimized, uninstrumented builds. Under a
// sanitizer (several times slower, with shadow memory) the same work runs
// and is checked, but the bounds are not asserted.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define OPGRAPH_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define OPGRAPH_TEST_SANITIZED 1
#endif
#endif
#ifdef OPGRAPH_TEST_SANITIZED
constexpr bool kBoundsApply = false;
#else
constexpr bool kBoundsApply = true;
#endif

using ::opgraph::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A binary NetDef of `ops` empty operators (2 bytes each: field 2, length
// 0), written in chunks so that this process never holds the file.
std::string WriteEmptyOpsNet(const std::string& name, int64_t ops) {
  const std::string path = ::testing::TempDir() + "/read_limits_" + name + ".pb";
  FILE* f = std::fopen(path.c_str(), "wb");
  CHECK(f != nullptr) << path;
  const std::string chunk = [] {
    std::string c;
    for (int i = 0; i < 4096; ++i) c += std::string("\x12\x00", 2);
    return c;
  }();
  int64_t left = ops;
  while (left > 0) {
    const int64_t n = std::min<int64_t>(left, 4096);
    CHECK_EQ(std::fwrite(chunk.data(), 2, n, f), static_cast<size_t>(n));
    left -= n;
  }
  CHECK_EQ(std::fclose(f), 0);
  return path;
}

struct ReadResult {
  absl::StatusCode code = absl::StatusCode::kUnknown;
  int64_t ops = -1;
  int64_t peak_growth_bytes = -1;
};

// Reads `path` in a child process; returns its status code, the operators
// read and how much its peak resident set grew while reading.
ReadResult ReadInChild(const std::string& path, const NetLimits& limits) {
  int fds[2];
  CHECK_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  CHECK_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    // A forked child starts with its parent's peak; reset it to the
    // current resident set (Linux: "5" > /proc/self/clear_refs).
    if (FILE* c = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", c);
      std::fclose(c);
    }
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    absl::StatusOr<NetDef> net = ReadNetFile(path, {}, limits);
    getrusage(RUSAGE_SELF, &after);
    ReadResult r;
    r.code = net.status().code();
    r.ops = net.ok() ? net->op_size() : -1;
    r.peak_growth_bytes = (after.ru_maxrss - before.ru_maxrss) * 1024;  // KiB on Linux
    const ssize_t w = write(fds[1], &r, sizeof(r));
    _exit(w == sizeof(r) ? 0 : 1);
  }
  close(fds[1]);
  ReadResult r;
  const ssize_t got = read(fds[0], &r, sizeof(r));
  close(fds[0]);
  int status = 0;
  CHECK_EQ(waitpid(pid, &status, 0), pid);
  CHECK_EQ(got, static_cast<ssize_t>(sizeof(r)));
  return r;
}

// 10,000,000 empty operators (20 MB) against the default limit of
// 1,000,000: refused by the scan, before parsing, with memory for the file
// bytes only (parsing would allocate 10^7 operators, about a gigabyte).
TEST(ReadLimitsTest, TooManyOperatorsIsRefusedBeforeParsing) {
  constexpr int64_t kOps = 10'000'000;
  const std::string path = WriteEmptyOpsNet("too_many", kOps);
  absl::StatusOr<NetDef> net = ReadNetFile(path);
  EXPECT_THAT(net.status(), StatusIs(absl::StatusCode::kResourceExhausted,
                                     AllOf(HasSubstr(path), HasSubstr("NetLimits::max_ops"))));
  const ReadResult r = ReadInChild(path, NetLimits());
  EXPECT_EQ(r.code, absl::StatusCode::kResourceExhausted);
  const int64_t file_bytes = 2 * kOps;
  std::printf("refused %lld-byte net: peak RSS grew by %lld bytes (%.2f x the file)\n",
              static_cast<long long>(file_bytes), static_cast<long long>(r.peak_growth_bytes),
              static_cast<double>(r.peak_growth_bytes) / file_bytes);
  if (kBoundsApply) {
    EXPECT_LT(r.peak_growth_bytes, 2 * file_bytes + (int64_t{16} << 20));
  }
  std::remove(path.c_str());
}

// Within the limit, reading costs the file's bytes once plus the parsed
// operators: at most 2 x the file size + 400 bytes per operator + 16 MiB
// (measured: the file once and about 205 bytes per empty operator).
TEST(ReadLimitsTest, ReadingCostsASmallMultipleOfTheFilePlusPerOperator) {
  constexpr int64_t kOps = 500'000;
  const std::string path = WriteEmptyOpsNet("within", kOps);
  NetLimits limits;
  limits.max_ops = kOps;
  const ReadResult r = ReadInChild(path, limits);
  EXPECT_EQ(r.code, absl::StatusCode::kOk);
  EXPECT_EQ(r.ops, kOps);
  const int64_t file_bytes = 2 * kOps;
  std::printf(
      "read %lld operators (%lld-byte file): peak RSS grew by %lld bytes "
      "(%.1f bytes per operator)\n",
      static_cast<long long>(kOps), static_cast<long long>(file_bytes),
      static_cast<long long>(r.peak_growth_bytes), static_cast<double>(r.peak_growth_bytes) / kOps);
  if (kBoundsApply) {
    EXPECT_LT(r.peak_growth_bytes, 2 * file_bytes + 400 * kOps + (int64_t{16} << 20));
  }
  // One more operator than the limit allows is refused.
  limits.max_ops = kOps - 1;
  EXPECT_EQ(ReadInChild(path, limits).code, absl::StatusCode::kResourceExhausted);
  std::remove(path.c_str());
}

// Text nets are parsed, then checked: the same error, naming the file.
TEST(ReadLimitsTest, TextNetsAreCheckedAfterParsing) {
  const std::string path = ::testing::TempDir() + "/read_limits_text.pbtxt";
  ASSERT_TRUE(WriteStringToFile(path, "op {}\nop {}\nop {}\n").ok());
  NetLimits limits;
  limits.max_ops = 2;
  EXPECT_THAT(ReadNetFile(path, {}, limits).status(),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       AllOf(HasSubstr(path), HasSubstr("NetLimits::max_ops"))));
  limits.max_ops = 3;
  EXPECT_TRUE(ReadNetFile(path, {}, limits).ok());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace opgraph
