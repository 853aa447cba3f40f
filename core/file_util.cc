#include "core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace opgraph {
namespace {

absl::Status ErrnoError(int err, const std::string& path, absl::string_view what) {
  const std::string message = absl::StrCat(path, ": ", what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case EISDIR:
      return absl::FailedPreconditionError(message);
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The process umask, read without changing it (umask(2) would race with
// other threads creating files). Linux states it in /proc/self/status.
mode_t CurrentUmask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) != 0) continue;
    char* end = nullptr;
    const unsigned long mask = std::strtoul(line.c_str() + 6, &end, 8);
    if (end != line.c_str() + 6 && mask <= 0777) return static_cast<mode_t>(mask);
  }
  return 022;
}

// A fresh temporary file next to `path`, open for writing.
absl::Status CreateTemp(const std::string& path, std::string* temp, int* fd) {
  std::string tmpl = absl::StrCat(DirectoryOf(path), "/.", BaseName(path), ".tmp.XXXXXX");
  *fd = mkstemp(tmpl.data());
  if (*fd < 0) return ErrnoError(errno, path, "cannot create a temporary file beside it");
  *temp = tmpl;
  struct stat st;
  const mode_t mode =
      stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : (0666 & ~CurrentUmask());
  fchmod(*fd, mode);  // Best effort: a failure leaves the file private (0600).
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError(errno, path, "write error");
    if (n == 0) return absl::InternalError(absl::StrCat(path, ": write error: wrote nothing"));
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Flushes and closes `fd`. On failure removes `temp`.
absl::Status FlushAndClose(int fd, const std::string& temp, const std::string& path) {
  absl::Status s;
  if (fsync(fd) != 0) s = ErrnoError(errno, path, "cannot flush to disk");
  if (close(fd) != 0 && s.ok()) s = ErrnoError(errno, path, "write error on close");
  if (!s.ok()) unlink(temp.c_str());
  return s;
}

// Renames the flushed `temp` over `path` and flushes the directory. On
// failure removes `temp`.
absl::Status RenameOver(const std::string& temp, const std::string& path) {
  if (rename(temp.c_str(), path.c_str()) != 0) {
    absl::Status s = ErrnoError(errno, path, "cannot replace");
    unlink(temp.c_str());
    return s;
  }
  // Make the rename itself durable; the file is complete either way.
  const int dir = open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return absl::OkStatus();
}

absl::Status Commit(int fd, const std::string& temp, const std::string& path) {
  absl::Status s = FlushAndClose(fd, temp, path);
  if (!s.ok()) return s;
  return RenameOver(temp, path);
}

// A complete, flushed temporary file beside `path` holding `bytes`.
absl::StatusOr<std::string> WriteTemp(const std::string& path, absl::string_view bytes) {
  std::string temp;
  int fd = -1;
  absl::Status s = CreateTemp(path, &temp, &fd);
  if (!s.ok()) return s;
  s = WriteAll(fd, bytes, path);
  if (!s.ok()) {
    close(fd);
    unlink(temp.c_str());
    return s;
  }
  s = FlushAndClose(fd, temp, path);
  if (!s.ok()) return s;
  return temp;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes) {
  absl::StatusOr<std::string> temp = WriteTemp(path, bytes);
  if (!temp.ok()) return temp.status();
  return RenameOver(*temp, path);
}

absl::Status WriteFileAtomicallyWith(
    const std::string& path, const std::function<absl::Status(const std::string& temp)>& write) {
  std::string temp;
  int fd = -1;
  absl::Status s = CreateTemp(path, &temp, &fd);
  if (!s.ok()) return s;
  close(fd);
  s = write(temp);
  if (s.ok()) {
    // The writer may have replaced the file; flush what is there now.
    fd = open(temp.c_str(), O_RDONLY);
    if (fd < 0) s = ErrnoError(errno, path, "cannot reopen the temporary file");
  }
  if (!s.ok()) {
    unlink(temp.c_str());
    return s;
  }
  return Commit(fd, temp, path);
}

StagedFiles::~StagedFiles() {
  for (const Staged& f : staged_) unlink(f.temp.c_str());
}

absl::Status StagedFiles::Stage(const std::string& path, absl::string_view bytes) {
  absl::StatusOr<std::string> temp = WriteTemp(path, bytes);
  if (!temp.ok()) return temp.status();
  staged_.push_back({*temp, path});
  return absl::OkStatus();
}

absl::Status StagedFiles::CommitAll() {
  absl::Status first;
  for (const Staged& f : staged_) {
    absl::Status s = RenameOver(f.temp, f.path);
    if (first.ok()) first = s;
  }
  staged_.clear();
  return first;
}

}  // namespace opgraph
