#include "core/registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/exceptions.h"
#include "core/status_macros.h"

namespace opgraph {
namespace {

constexpr char kBuiltinSource[] = "built-in";

thread_local RegistrationBatch* active_batch = nullptr;

absl::Status Duplicate(const std::string& what, const std::string& type, const std::string& source,
                       const std::string& existing) {
  return absl::AlreadyExistsError(absl::StrCat(what, " for operator '", type, "' from ", source,
                                               " is already registered by ", existing));
}

absl::Status DuplicatePass(const std::string& name, const std::string& source,
                           const std::string& existing) {
  return absl::AlreadyExistsError(absl::StrCat("graph pass '", name, "' from ", source,
                                               " is already registered by ", existing));
}

absl::Status DuplicateRole(OpRole role, const std::string& type, const std::string& source,
                           const std::string& existing_type, const std::string& existing) {
  return absl::AlreadyExistsError(absl::StrCat("role ", OpRoleName(role), " for operator '", type,
                                               "' from ", source, " is already given to operator '",
                                               existing_type, "' by ", existing));
}

}  // namespace

const char* OpRoleName(OpRole role) {
  switch (role) {
    case OpRole::kGradientAccumulation:
      return "GradientAccumulation";
    case OpRole::kGradientSeed:
      return "GradientSeed";
  }
  return "unknown role";
}

absl::Status RegistrationBatch::AddSchema(std::unique_ptr<OpSchema> schema) {
  const std::string type = schema->type();
  Entry& e = entries_[type];
  if (e.schema != nullptr) {
    absl::Status s = Duplicate("a schema", type, source_, source_);
    RecordError(s);
    return s;
  }
  e.schema = std::move(schema);
  return absl::OkStatus();
}

absl::Status RegistrationBatch::AddKernel(const std::string& type, KernelFactory factory) {
  Entry& e = entries_[type];
  if (e.kernel) {
    absl::Status s = Duplicate("a CPU kernel", type, source_, source_);
    RecordError(s);
    return s;
  }
  e.kernel = std::move(factory);
  return absl::OkStatus();
}

absl::Status RegistrationBatch::AddGradient(const std::string& type, GradientKind kind,
                                            GradientFactory factory) {
  Entry& e = entries_[type];
  if (e.has_gradient) {
    absl::Status s = Duplicate("a gradient", type, source_, source_);
    RecordError(s);
    return s;
  }
  if (kind == GradientKind::kMaker && !factory) {
    absl::Status s = absl::InvalidArgumentError(
        absl::StrCat("gradient maker for '", type, "' from ", source_, " is empty"));
    RecordError(s);
    return s;
  }
  e.has_gradient = true;
  e.gradient_kind = kind;
  e.gradient = std::move(factory);
  return absl::OkStatus();
}

absl::Status RegistrationBatch::AddPass(GraphPass pass) {
  absl::Status s = pass.Validate();
  if (s.ok() && passes_.count(pass.name()) > 0) s = DuplicatePass(pass.name(), source_, source_);
  if (!s.ok()) {
    RecordError(s);
    return s;
  }
  const std::string name = pass.name();
  passes_.emplace(name, std::move(pass));
  return absl::OkStatus();
}

absl::Status RegistrationBatch::AddRole(OpRole role, const std::string& type) {
  auto it = roles_.find(role);
  if (it != roles_.end()) {
    absl::Status s = DuplicateRole(role, type, source_, it->second, source_);
    RecordError(s);
    return s;
  }
  roles_.emplace(role, type);
  return absl::OkStatus();
}

std::vector<std::string> RegistrationBatch::PassNames() const {
  std::vector<std::string> out;
  for (const auto& [name, p] : passes_) out.push_back(name);
  return out;
}

std::vector<std::string> RegistrationBatch::Types() const {
  std::vector<std::string> out;
  for (const auto& [type, e] : entries_) out.push_back(type);
  return out;
}

OpRegistry& OpRegistry::Global() {
  static OpRegistry* registry = new OpRegistry();
  return *registry;
}

absl::Status OpRegistry::Apply(RegistrationBatch batch, bool require_schemas) {
  if (!batch.first_error_.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("registrations from ", batch.source_,
                                                      " failed: ", batch.first_error_.message()));
  }
  absl::MutexLock lock(&mu_);
  // Check everything first, so that a failure leaves the registry as it was.
  for (const auto& [type, b] : batch.entries_) {
    auto it = entries_.find(type);
    const Entry* e = it == entries_.end() ? nullptr : &it->second;
    if (e != nullptr) {
      if (b.schema && e->schema) return Duplicate("a schema", type, batch.source_, e->source);
      if (b.kernel && e->kernel) return Duplicate("a CPU kernel", type, batch.source_, e->source);
      if (b.has_gradient && e->has_gradient) {
        return Duplicate("a gradient", type, batch.source_, e->source);
      }
      // Extending another source's operator (say, a plugin adding a kernel
      // to a built-in schema) would let one unloadable library half-own an
      // operator; opgraph keeps each operator in one source.
      if (e->source != batch.source_) {
        return Duplicate("operator", type, batch.source_, e->source);
      }
    }
    if (require_schemas && b.kernel && !b.schema && (e == nullptr || !e->schema)) {
      return absl::FailedPreconditionError(
          absl::StrCat("a CPU kernel for operator '", type, "' from ", batch.source_,
                       " has no schema; declare one with OPERATOR_SCHEMA(", type, ")"));
    }
  }
  for (const auto& [name, p] : batch.passes_) {
    auto it = passes_.find(name);
    if (it != passes_.end()) return DuplicatePass(name, batch.source_, it->second.source_);
  }
  for (const auto& [role, type] : batch.roles_) {
    auto it = roles_.find(role);
    if (it != roles_.end()) {
      return DuplicateRole(role, type, batch.source_, it->second.type, it->second.source);
    }
  }
  for (auto& [name, p] : batch.passes_) {
    p.source_ = batch.source_;
    passes_.emplace(name, std::move(p));
  }
  for (auto& [role, type] : batch.roles_) roles_[role] = RoleEntry{type, batch.source_};
  for (auto& [type, b] : batch.entries_) {
    Entry& e = entries_[type];
    e.source = batch.source_;
    if (b.schema) e.schema = std::move(b.schema);
    if (b.kernel) e.kernel = std::move(b.kernel);
    if (b.has_gradient) {
      e.has_gradient = true;
      e.gradient_kind = b.gradient_kind;
      e.gradient = std::move(b.gradient);
    }
  }
  return absl::OkStatus();
}

const OpSchema* OpRegistry::FindSchema(absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(type);
  return it == entries_.end() ? nullptr : it->second.schema.get();
}

bool OpRegistry::HasKernel(absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(type);
  return it != entries_.end() && static_cast<bool>(it->second.kernel);
}

std::string OpRegistry::SourceOf(absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(type);
  return it == entries_.end() ? "" : it->second.source;
}

std::vector<std::string> OpRegistry::Types() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const auto& [type, e] : entries_) {
    if (e.schema) out.push_back(type);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<OperatorBase>> OpRegistry::CreateOperator(
    const OperatorDef& def) const {
  const OpSchema* schema = nullptr;
  KernelFactory kernel;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(def.type());
    if (it != entries_.end()) {
      schema = it->second.schema.get();
      kernel = it->second.kernel;
    }
  }
  if (schema == nullptr) {
    return absl::NotFoundError(absl::StrCat("unknown operator type '", def.type(), "'"));
  }
  if (!kernel) {
    return absl::NotFoundError(absl::StrCat("operator type '", def.type(), "' has no CPU kernel"));
  }
  absl::Status s = schema->Verify(def);
  if (!s.ok()) return s;
  // Kernel code may throw (a plugin's constructor, an allocation in
  // Init); the exception stops here as a status.
  std::unique_ptr<OperatorBase> op;
  s = CallCatching("the constructor", [&] {
    op = kernel(def, *schema);
    return absl::OkStatus();
  });
  if (s.ok()) s = CallCatching("Init", [&] { return op->Init(); });
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("operator ", def.type(),
                                               def.name().empty() ? "" : " '" + def.name() + "'",
                                               ": ", s.message()));
  }
  return op;
}

absl::StatusOr<std::pair<GradientKind, GradientFactory>> OpRegistry::FindGradient(
    absl::string_view type) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(type);
  if (it == entries_.end() || !it->second.has_gradient) {
    return absl::NotFoundError(
        absl::StrCat("no gradient is registered for operator type '", type, "'"));
  }
  return std::make_pair(it->second.gradient_kind, it->second.gradient);
}

std::vector<GraphPass> OpRegistry::Passes() const {
  std::vector<GraphPass> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, p] : passes_) out.push_back(p);
  }
  // passes_ is by name, and the sort is stable: ties stay by name.
  std::stable_sort(out.begin(), out.end(),
                   [](const GraphPass& a, const GraphPass& b) { return a.order() < b.order(); });
  return out;
}

absl::StatusOr<GraphPass> OpRegistry::FindPass(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = passes_.find(name);
  if (it == passes_.end()) {
    return absl::NotFoundError(absl::StrCat("no graph pass named '", name, "'"));
  }
  return it->second;
}

absl::StatusOr<std::string> OpRegistry::TypeForRole(OpRole role) const {
  absl::MutexLock lock(&mu_);
  auto it = roles_.find(role);
  if (it == roles_.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no operator has the role ", OpRoleName(role),
                     "; the library or a plugin must register one with REGISTER_OP_ROLE(",
                     OpRoleName(role), ", <type>)"));
  }
  return it->second.type;
}

namespace internal {

RegistrationBatch* ActiveStartupBatch() { return active_batch; }

ScopedStartupBatch::ScopedStartupBatch(RegistrationBatch* batch) : previous_(active_batch) {
  active_batch = batch;
}
ScopedStartupBatch::~ScopedStartupBatch() { active_batch = previous_; }

namespace {

// Applies a single built-in registration. Built-in registrations are not
// required to come schema first: static initializers of different files
// run in an unspecified order, and the link-time anchor already ensures
// every kernel has a schema somewhere.
void ApplyBuiltin(RegistrationBatch batch) {
  absl::Status s = OpRegistry::Global().Apply(std::move(batch), /*require_schemas=*/false);
  CHECK(s.ok()) << s;
}

}  // namespace

OpSchema& NewSchemaAtStartup(const char* type, const char* file, int line) {
  auto schema = std::make_unique<OpSchema>(type, file, line);
  OpSchema* ref = schema.get();
  if (RegistrationBatch* batch = active_batch) {
    if (!batch->AddSchema(std::move(schema)).ok()) {
      // The chained setters after the macro still need an object to write
      // to; the batch has recorded the error and will not be applied.
      static auto* rejected = new std::vector<std::unique_ptr<OpSchema>>();
      rejected->push_back(std::make_unique<OpSchema>(type, file, line));
      return *rejected->back();
    }
    return *ref;
  }
  RegistrationBatch b(kBuiltinSource);
  OPGRAPH_CHECK_OK(b.AddSchema(std::move(schema)));
  ApplyBuiltin(std::move(b));
  return *ref;
}

bool AddKernelAtStartup(const char* type, const int* /*schema_anchor*/, KernelFactory f) {
  if (RegistrationBatch* batch = active_batch) {
    batch->AddKernel(type, std::move(f)).IgnoreError();  // Recorded in the batch.
    return true;
  }
  RegistrationBatch b(kBuiltinSource);
  OPGRAPH_CHECK_OK(b.AddKernel(type, std::move(f)));
  ApplyBuiltin(std::move(b));
  return true;
}

bool AddGradientAtStartup(const char* type, GradientKind kind, GradientFactory f) {
  if (RegistrationBatch* batch = active_batch) {
    batch->AddGradient(type, kind, std::move(f)).IgnoreError();  // Recorded.
    return true;
  }
  RegistrationBatch b(kBuiltinSource);
  OPGRAPH_CHECK_OK(b.AddGradient(type, kind, std::move(f)));
  ApplyBuiltin(std::move(b));
  return true;
}

bool AddRoleAtStartup(OpRole role, const char* type, const int* /*schema_anchor*/) {
  if (RegistrationBatch* batch = active_batch) {
    batch->AddRole(role, type).IgnoreError();  // Recorded in the batch.
    return true;
  }
  RegistrationBatch b(kBuiltinSource);
  OPGRAPH_CHECK_OK(b.AddRole(role, type));
  ApplyBuiltin(std::move(b));
  return true;
}

PassRegistration::PassRegistration(const GraphPass& pass) {
  if (RegistrationBatch* batch = active_batch) {
    batch->AddPass(pass).IgnoreError();  // Recorded in the batch.
    return;
  }
  RegistrationBatch b(kBuiltinSource);
  OPGRAPH_CHECK_OK(b.AddPass(pass));
  ApplyBuiltin(std::move(b));
}

}  // namespace internal
}  // namespace opgraph
