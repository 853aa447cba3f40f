// Writing files so that nothing is lost on failure.
//
// Every file opgraph writes (nets, tensors, graph renderings) goes through
// WriteFileAtomically: the bytes go to a temporary file in the target's
// directory, which is flushed to disk (fsync) and then renamed over the
// target. A reader, or a crash, sees either the old file or the complete
// new one; on any failure the target is untouched and the temporary file
// is removed.
//
// Thread safety: the functions keep no state; concurrent calls writing
// different paths are independent. Two concurrent writers of one path each
// replace it whole (the last rename wins).
#ifndef OPGRAPH_CORE_FILE_UTIL_H_
#define OPGRAPH_CORE_FILE_UTIL_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace opgraph {

// Replaces `path` with `bytes` as described above. A new file gets mode
// 0666 less the process umask; a replaced file keeps its mode. Errors name
// `path`: NotFound when its directory does not exist, PermissionDenied when
// the directory or file may not be written, FailedPrecondition when `path`
// is a directory, ResourceExhausted when the disk, quota or file size limit
// is full, Internal for any other I/O error.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);

// The same for content another program or library writes by path: `write`
// receives the path of the (empty) temporary file, writes it, and returns
// its status; a non-OK status is returned as is, with the target untouched
// and the temporary file removed.
absl::Status WriteFileAtomicallyWith(
    const std::string& path, const std::function<absl::Status(const std::string& temp)>& write);

// Several files replaced together, for a command whose outputs must all
// change or none: each Stage writes a complete, flushed temporary file
// beside its target and touches no target; CommitAll then renames them all
// over their targets. Destroying a StagedFiles without CommitAll (an
// error after some files were staged) removes its temporary files and
// leaves every target as it was. CommitAll starts only when everything is
// on disk, so it fails only when a rename does (the directory removed or
// made read-only meanwhile); it still renames the others and returns the
// first error.
//
// Thread safety: one StagedFiles is used by one thread at a time.
class StagedFiles {
 public:
  StagedFiles() = default;
  StagedFiles(const StagedFiles&) = delete;
  StagedFiles& operator=(const StagedFiles&) = delete;
  ~StagedFiles();

  // Writes `bytes` for `path`, with the errors of WriteFileAtomically; on
  // error nothing is left for `path`, and earlier stages stay staged.
  absl::Status Stage(const std::string& path, absl::string_view bytes);
  // Renames every staged file over its target, in the order staged.
  absl::Status CommitAll();
  size_t size() const { return staged_.size(); }

 private:
  struct Staged {
    std::string temp;
    std::string path;
  };
  std::vector<Staged> staged_;
};

}  // namespace opgraph

#endif  // OPGRAPH_CORE_FILE_UTIL_H_
