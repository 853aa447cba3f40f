// Workspace: named tensors ("blobs") and the nets that run on them.
//
// Thread safety: a Workspace is not synchronized; use each one from one
// thread at a time. Separate workspaces are independent and may be used
// concurrently (the operator registry they share is synchronized).
#ifndef OPGRAPH_CORE_WORKSPACE_H_
#define OPGRAPH_CORE_WORKSPACE_H_

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/net.h"
#include "core/parallel.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// The default memory budget of a workspace: 3/4 of the machine's physical
// memory (sysconf), or 16 GiB when the system does not say.
int64_t DefaultMemoryBudgetBytes();

// What a workspace allows. A default-constructed value holds the defaults
// of docs/SECURITY.md.
struct WorkspaceOptions {
  // Per tensor: rank and bytes, applied to every shape the workspace's nets
  // infer and every tensor fed.
  TensorLimits tensor;
  // Operators per net and nesting, applied when a net is created or
  // prepared again.
  NetLimits net;
  // The total bytes of storage the workspace's blobs may hold. Checked
  // before allocating: when a net is created or prepared again (the storage
  // every written blob will need) and when a blob is fed. Going over is
  // ResourceExhausted naming the budget.
  int64_t memory_budget_bytes = DefaultMemoryBudgetBytes();
  // Threads per operator; see set_num_threads. 0: the process default.
  int num_threads = 0;
};

class Workspace {
 public:
  Workspace();
  explicit Workspace(const WorkspaceOptions& options);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  bool HasBlob(absl::string_view name) const;
  // The blob, or nullptr. The pointer stays valid until the blob is removed
  // or the workspace destroyed.
  const Tensor* GetBlob(absl::string_view name) const;
  // A mutable blob. Replacing the tensor (by assignment) is allowed: nets
  // that use the blob notice and prepare again before their next run.
  Tensor* GetMutableBlob(absl::string_view name);
  // The blob `name`, created empty (uninitialized) when absent.
  Tensor* CreateBlob(const std::string& name);
  // Sets blob `name` to `value`, creating it when absent. InvalidArgument
  // for an empty name or an uninitialized tensor; the errors of
  // CheckedNumElements for a tensor over options().tensor;
  // ResourceExhausted naming the budget when the workspace would then hold
  // more than options().memory_budget_bytes (counting the storage of the
  // blob replaced as freed). On error nothing changes.
  absl::Status FeedBlob(const std::string& name, Tensor&& value);
  // The same with a copy of `value`, checked before the copy is made:
  // ResourceExhausted also when the copy cannot be allocated.
  absl::Status FeedBlob(const std::string& name, const Tensor& value);
  // A copy of blob `name`. NotFound when absent, FailedPrecondition when it
  // was created but never written, ResourceExhausted when the copy cannot
  // be allocated.
  absl::StatusOr<Tensor> FetchBlob(absl::string_view name) const;
  // Deletes blob `name`. NotFound when absent; FailedPrecondition naming the
  // net when a net of this workspace uses it (delete the net first).
  absl::Status RemoveBlob(absl::string_view name);
  // Every blob name, sorted.
  std::vector<std::string> Blobs() const;
  // The type of every initialized blob.
  TypeMap BlobTypes() const;

  // Validates `def` and makes a runnable net named def.name(). Checks, before
  // touching anything: the net type; every operator type is registered with
  // a CPU kernel; every operator verifies against its schema (arity,
  // arguments, in-place pairs) and accepts its argument values; every input
  // is a blob of this workspace or written by an earlier operator
  // (external_input names that are absent are reported by name); shape and
  // type inference succeeds over the whole net, within options().tensor and
  // options().net; every operator's constructor, Init and Prepare succeed
  // (an exception thrown by one is an error, core/exceptions.h); the
  // storage the written blobs need fits options().memory_budget_bytes
  // (ResourceExhausted naming the budget). Then it creates the output
  // blobs. On any error nothing in the workspace changes.
  // AlreadyExists when a net of that name exists and !overwrite.
  absl::StatusOr<Net*> CreateNet(const NetDef& def, bool overwrite = false);
  // The net named `name`, or nullptr.
  Net* GetNet(absl::string_view name);
  // NotFound when there is no such net.
  absl::Status RunNet(absl::string_view name);
  absl::Status DeleteNet(absl::string_view name);
  // Creates, runs and deletes a net; the net's name may be taken already.
  absl::Status RunNetOnce(const NetDef& def);
  std::vector<std::string> Nets() const;

  // Threads each operator of this workspace's nets may use for one call
  // (core/parallel.h): n >= 1 sets it, clamped to kMaxThreads; n <= 0
  // returns to the process default, DefaultNumThreads(). Takes effect at the
  // next operator run. Results do not depend on it: operators split work
  // only where every element is computed the same way on any thread.
  void set_num_threads(int n) { num_threads_ = n <= 0 ? 0 : std::min(n, kMaxThreads); }
  int num_threads() const { return num_threads_ > 0 ? num_threads_ : DefaultNumThreads(); }

  const WorkspaceOptions& options() const { return options_; }
  // Bytes of storage held by the workspace's blobs (their capacity).
  int64_t UsedBytes() const;

  // Changes whenever a blob may have been replaced (fed, created, handed
  // out mutable, removed). Nets use it to skip re-checking their blobs.
  uint64_t generation() const { return generation_; }

 private:
  friend class Net;
  absl::StatusOr<std::unique_ptr<Net>> BuildNet(const NetDef& def);
  Tensor* GetMutableBlobNoBump(absl::string_view name);
  // OK when the blobs may grow by `more` bytes within the budget, else
  // ResourceExhausted naming `what` and the budget.
  absl::Status CheckBudget(int64_t more, const std::string& what) const;

  WorkspaceOptions options_;
  std::map<std::string, std::unique_ptr<Tensor>, std::less<>> blobs_;
  std::map<std::string, std::unique_ptr<Net>, std::less<>> nets_;
  int num_threads_ = 0;  // 0: DefaultNumThreads().
  uint64_t generation_ = 0;
  // UsedBytes(), kept up to date by the workspace's own changes; recomputed
  // after anything that may have resized a blob behind its back (a mutable
  // blob handed out, a net run).
  mutable int64_t used_bytes_ = 0;
  mutable bool used_bytes_stale_ = false;
};

}  // namespace opgraph

#endif  // OPGRAPH_CORE_WORKSPACE_H_
