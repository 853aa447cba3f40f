#include "core/workspace.h"

#include <unistd.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/registry.h"

namespace opgraph {
namespace {

absl::Status WithBlob(const absl::Status& s, const std::string& name) {
  return absl::Status(s.code(), absl::StrCat("blob '", name, "': ", s.message()));
}

// Caffe2's net types. Caffe2 (core/net.cc) remaps dag, prof_dag, async_dag
// and async_polling to async_scheduling, and async_simple and rnn to
// simple; `parallel` schedules the same dependency graph on a pool. Each
// computes what running the operators in order computes, which is how
// opgraph runs all of them (a net's operators split large tensors over
// threads instead).
bool IsKnownNetType(const std::string& type) {
  static const std::set<std::string> kTypes = {
      "",          "simple",           "dag",           "prof_dag",
      "async_dag", "async_scheduling", "async_polling", "async_simple",
      "rnn",       "parallel"};
  return kTypes.count(type) > 0;
}

}  // namespace

int64_t DefaultMemoryBudgetBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return int64_t{16} << 30;
  const int64_t physical = static_cast<int64_t>(pages) * static_cast<int64_t>(page_size);
  return physical / 4 * 3;
}

Workspace::Workspace() : Workspace(WorkspaceOptions()) {}
Workspace::Workspace(const WorkspaceOptions& options) : options_(options) {
  set_num_threads(options.num_threads);
}
Workspace::~Workspace() = default;

int64_t Workspace::UsedBytes() const {
  if (used_bytes_stale_) {
    used_bytes_ = 0;
    for (const auto& [name, t] : blobs_) used_bytes_ += static_cast<int64_t>(t->capacity());
    used_bytes_stale_ = false;
  }
  return used_bytes_;
}

absl::Status Workspace::CheckBudget(int64_t more, const std::string& what) const {
  const int64_t used = UsedBytes();
  if (more <= 0 || more <= options_.memory_budget_bytes - used) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat(what, " needs ", more, " more bytes; the workspace holds ", used,
                   " bytes and its memory budget is ", options_.memory_budget_bytes,
                   " bytes (WorkspaceOptions::memory_budget_bytes)"));
}

bool Workspace::HasBlob(absl::string_view name) const { return blobs_.find(name) != blobs_.end(); }

const Tensor* Workspace::GetBlob(absl::string_view name) const {
  auto it = blobs_.find(name);
  return it == blobs_.end() ? nullptr : it->second.get();
}

Tensor* Workspace::GetMutableBlob(absl::string_view name) {
  // The caller may replace the tensor; nets check their blobs again.
  ++generation_;
  used_bytes_stale_ = true;
  return GetMutableBlobNoBump(name);
}

Tensor* Workspace::GetMutableBlobNoBump(absl::string_view name) {
  auto it = blobs_.find(name);
  return it == blobs_.end() ? nullptr : it->second.get();
}

Tensor* Workspace::CreateBlob(const std::string& name) {
  ++generation_;
  used_bytes_stale_ = true;
  std::unique_ptr<Tensor>& slot = blobs_[name];
  if (slot == nullptr) slot = std::make_unique<Tensor>();
  return slot.get();
}

absl::Status Workspace::FeedBlob(const std::string& name, const Tensor& value) {
  // Checked before the copy is made, so an over-budget feed allocates nothing.
  if (value.initialized()) {
    absl::StatusOr<int64_t> n = CheckedNumElements(value.dims(), value.dtype(), options_.tensor);
    if (!n.ok()) return WithBlob(n.status(), name);
    const Tensor* old = GetBlob(name);
    const int64_t freed = old != nullptr ? static_cast<int64_t>(old->capacity()) : 0;
    absl::Status s =
        CheckBudget(static_cast<int64_t>(value.nbytes() + value.string_bytes()) - freed,
                    absl::StrCat("feeding blob '", name, "'"));
    if (!s.ok()) return s;
  }
  absl::StatusOr<Tensor> copy = value.Clone(options_.tensor);
  if (!copy.ok()) return copy.status();
  return FeedBlob(name, *std::move(copy));
}

absl::Status Workspace::FeedBlob(const std::string& name, Tensor&& value) {
  if (name.empty()) return absl::InvalidArgumentError("cannot feed a blob with an empty name");
  if (!value.initialized()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot feed blob '", name, "' with an uninitialized tensor"));
  }
  absl::StatusOr<int64_t> n = CheckedNumElements(value.dims(), value.dtype(), options_.tensor);
  if (!n.ok()) return WithBlob(n.status(), name);
  const Tensor* old = GetBlob(name);
  const int64_t freed = old != nullptr ? static_cast<int64_t>(old->capacity()) : 0;
  const int64_t delta = static_cast<int64_t>(value.capacity()) - freed;
  absl::Status s = CheckBudget(delta, absl::StrCat("feeding blob '", name, "'"));
  if (!s.ok()) return s;
  const int64_t used = UsedBytes();
  // Assigning into the existing Tensor keeps pointers held by nets valid.
  *CreateBlob(name) = std::move(value);
  used_bytes_ = used + delta;
  used_bytes_stale_ = false;
  return absl::OkStatus();
}

absl::StatusOr<Tensor> Workspace::FetchBlob(absl::string_view name) const {
  const Tensor* t = GetBlob(name);
  if (t == nullptr) {
    return absl::NotFoundError(absl::StrCat("no blob named '", name, "' in the workspace"));
  }
  if (!t->initialized()) {
    return absl::FailedPreconditionError(
        absl::StrCat("blob '", name, "' exists but has never been written"));
  }
  return t->Clone();
}

absl::Status Workspace::RemoveBlob(absl::string_view name) {
  auto it = blobs_.find(name);
  if (it == blobs_.end()) {
    return absl::NotFoundError(absl::StrCat("no blob named '", name, "' in the workspace"));
  }
  for (const auto& [net_name, net] : nets_) {
    for (const std::string& b : net->blobs()) {
      if (b == name) {
        return absl::FailedPreconditionError(absl::StrCat("blob '", name, "' is used by net '",
                                                          net_name, "'; delete the net first"));
      }
    }
  }
  ++generation_;
  const int64_t used = UsedBytes();
  used_bytes_ = used - static_cast<int64_t>(it->second->capacity());
  blobs_.erase(it);
  return absl::OkStatus();
}

std::vector<std::string> Workspace::Blobs() const {
  std::vector<std::string> out;
  for (const auto& [name, t] : blobs_) out.push_back(name);
  return out;
}

TypeMap Workspace::BlobTypes() const {
  TypeMap out;
  for (const auto& [name, t] : blobs_) {
    if (t->initialized()) out[name] = t->type();
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Net>> Workspace::BuildNet(const NetDef& def) {
  const std::string label =
      def.name().empty() ? std::string("net <unnamed>") : absl::StrCat("net '", def.name(), "'");
  if (!IsKnownNetType(def.type())) {
    return absl::UnimplementedError(absl::StrCat(
        label, " has type '", def.type(),
        "'; opgraph runs Caffe2's simple, dag, prof_dag, async_dag, async_scheduling, "
        "async_polling, async_simple, rnn and parallel nets (all in operator order); use "
        "'simple'"));
  }
  if (def.has_device_option() && def.device_option().device_type() != 0) {
    return absl::UnimplementedError(absl::StrCat(label, " asks for device type ",
                                                 def.device_option().device_type(),
                                                 "; opgraph runs on the CPU (device type 0) only"));
  }
  // Every check that can fail runs before the workspace is touched.
  absl::StatusOr<NetTypes> types = InferNetTypesPerOp(
      def, BlobTypes(), MakeConstantLookup(*this, def), options_.tensor, options_.net);
  if (!types.ok()) return types.status();

  auto net = std::unique_ptr<Net>(new Net());
  net->def_ = def;
  net->ws_ = this;
  std::set<std::string> written;
  for (const OperatorDef& op : def.op()) written.insert(op.output().begin(), op.output().end());
  std::set<std::string> seen;
  std::set<std::string> produced;
  for (int i = 0; i < def.op_size(); ++i) {
    const OperatorDef& op = def.op(i);
    if (op.has_device_option() && op.device_option().device_type() != 0) {
      return absl::UnimplementedError(absl::StrCat(
          DescribeOperator(def, i, types->blobs), " asks for device type ",
          op.device_option().device_type(), "; opgraph runs on the CPU (device type 0) only"));
    }
    // As in Caffe2, an operator without a device_option takes the net's (its
    // random_seed seeds the random fills).
    OperatorDef with_device;
    const bool inherit = def.has_device_option() && !op.has_device_option();
    if (inherit) {
      with_device = op;
      *with_device.mutable_device_option() = def.device_option();
    }
    absl::StatusOr<std::unique_ptr<OperatorBase>> created =
        OpRegistry::Global().CreateOperator(inherit ? with_device : op);
    if (!created.ok()) {
      return absl::Status(
          created.status().code(),
          absl::StrCat(DescribeOperator(def, i, types->blobs), ": ", created.status().message()));
    }
    Net::OpState state;
    for (const std::string& in : op.input()) {
      if (!produced.count(in) && seen.insert(in).second) net->input_names_.push_back(in);
      const Tensor* t = written.count(in) ? nullptr : GetBlob(in);
      state.constant_inputs.push_back(t != nullptr && t->initialized() ? t : nullptr);
    }
    for (const std::string& out : op.output()) {
      seen.insert(out);
      if (produced.insert(out).second) net->written_names_.push_back(out);
    }
    net->ops_.push_back(std::move(*created));
    net->states_.push_back(std::move(state));
  }
  net->blob_names_.assign(seen.begin(), seen.end());
  absl::Status s = net->PrepareOps(*types);
  if (!s.ok()) return s;

  // Storage for every blob the net writes, sized for its largest writer.
  // New blobs are staged and enter the workspace only once everything has
  // succeeded; an existing blob keeps its contents when it grows.
  std::vector<size_t> bytes = WrittenBytes(def, *types, net->written_names_);
  int64_t growth = 0;
  for (size_t w = 0; w < net->written_names_.size(); ++w) {
    const Tensor* existing = GetBlob(net->written_names_[w]);
    const size_t have = existing != nullptr ? existing->capacity() : 0;
    if (bytes[w] > have) growth += static_cast<int64_t>(bytes[w] - have);
  }
  s = CheckBudget(growth, absl::StrCat(label, " (the blobs it writes)"));
  if (!s.ok()) return s;
  std::map<std::string, Tensor> staged;
  for (size_t w = 0; w < net->written_names_.size(); ++w) {
    const std::string& name = net->written_names_[w];
    Tensor* existing = GetMutableBlobNoBump(name);
    Tensor* t = existing != nullptr ? existing : &staged[name];
    s = t->Reserve(bytes[w]);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat(label, ": blob '", name, "': ", s.message()));
    }
  }

  // Commit: from here on nothing fails.
  const int64_t used = UsedBytes();
  for (auto& [name, t] : staged) *CreateBlob(name) = std::move(t);
  used_bytes_ = used + growth;
  used_bytes_stale_ = false;
  for (size_t w = 0; w < net->written_names_.size(); ++w) {
    net->written_.push_back(Net::Written{GetMutableBlobNoBump(net->written_names_[w]), bytes[w]});
  }
  for (const std::string& in : net->input_names_) {
    const Tensor* t = GetBlob(in);
    net->input_tensors_.push_back(t);
    net->input_types_.push_back(t->type());
  }
  for (int i = 0; i < def.op_size(); ++i) {
    const OperatorDef& op = def.op(i);
    std::vector<const Tensor*> ins;
    std::vector<Tensor*> outs;
    for (const std::string& out : op.output()) outs.push_back(GetMutableBlobNoBump(out));
    for (const std::string& in : op.input()) ins.push_back(GetBlob(in));
    net->ops_[i]->Bind(std::move(ins), std::move(outs), this);
  }
  net->types_ = *std::move(types);
  net->BindTypes();
  net->workspace_generation_ = generation_;
  net->prepare_count_ = 1;
  net->prepared_ = true;
  return net;
}

absl::StatusOr<Net*> Workspace::CreateNet(const NetDef& def, bool overwrite) {
  if (!overwrite && nets_.count(def.name())) {
    return absl::AlreadyExistsError(
        absl::StrCat("a net named '", def.name(), "' already exists in the workspace"));
  }
  absl::StatusOr<std::unique_ptr<Net>> net = BuildNet(def);
  if (!net.ok()) return net.status();
  Net* raw = net->get();
  nets_[def.name()] = std::move(*net);
  return raw;
}

Net* Workspace::GetNet(absl::string_view name) {
  auto it = nets_.find(name);
  return it == nets_.end() ? nullptr : it->second.get();
}

absl::Status Workspace::RunNet(absl::string_view name) {
  Net* net = GetNet(name);
  if (net == nullptr) {
    return absl::NotFoundError(absl::StrCat("no net named '", name, "' in the workspace"));
  }
  return net->Run();
}

absl::Status Workspace::DeleteNet(absl::string_view name) {
  auto it = nets_.find(name);
  if (it == nets_.end()) {
    return absl::NotFoundError(absl::StrCat("no net named '", name, "' in the workspace"));
  }
  nets_.erase(it);
  return absl::OkStatus();
}

absl::Status Workspace::RunNetOnce(const NetDef& def) {
  absl::StatusOr<std::unique_ptr<Net>> net = BuildNet(def);
  if (!net.ok()) return net.status();
  return (*net)->Run();
}

std::vector<std::string> Workspace::Nets() const {
  std::vector<std::string> out;
  for (const auto& [name, net] : nets_) out.push_back(name);
  return out;
}

}  // namespace opgraph
