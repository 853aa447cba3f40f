// The operator registry: schemas, CPU kernels and gradient definitions,
// keyed by operator type; the graph passes (core/graph_pass.h), keyed by
// name; and the roles (OpRole) that let core/ ask for "the operator that
// does X" without naming one.
//
// Built-in operators register at static initialization through the macros
// at the end of this file. Plugins (core/plugin.h) register through the
// same macros; their registrations are collected in a RegistrationBatch and
// applied all at once, or not at all.
//
// Thread safety: all OpRegistry methods may be called concurrently.
// Entries are never removed, so a schema pointer stays valid for the life
// of the process.
#ifndef OPGRAPH_CORE_REGISTRY_H_
#define OPGRAPH_CORE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/gradient.h"
#include "core/graph_pass.h"
#include "core/op_schema.h"
#include "core/operator.h"

namespace opgraph {

using KernelFactory =
    std::function<std::unique_ptr<OperatorBase>(const OperatorDef& def, const OpSchema& schema)>;
using GradientFactory = std::function<std::unique_ptr<GradientMakerBase>(
    const OperatorDef& def, const std::vector<std::string>& g_output)>;

enum class GradientKind {
  kMaker,       // REGISTER_GRADIENT: a maker builds the gradient operators.
  kNoGradient,  // NO_GRADIENT: the operator has no gradient (fills, ...).
  kForbidden,   // SHOULD_NOT_DO_GRADIENT: asking for one is an error.
};

// A job the framework needs some operator to do. Each role is given to at
// most one operator type (REGISTER_OP_ROLE), which must meet the contract.
enum class OpRole {
  // Inputs X_0..X_{n-1}, n >= 1, of one type and shape; one output
  // Y = X_0 + ... + X_{n-1}. AddGradientOperators sums the gradient parts
  // of a blob read several times with it.
  kGradientAccumulation,
  // Input X (any type and shape), output Y of X's type and shape with every
  // element equal to its float argument `value`. AddGradientOperators
  // seeds each loss's gradient with it (value 1).
  kGradientSeed,
};
// "GradientAccumulation", "GradientSeed".
const char* OpRoleName(OpRole role);

// Where registrations go: a RegistrationBatch, which OpRegistry applies.
class OpRegistrar {
 public:
  virtual ~OpRegistrar() = default;
  // Each returns AlreadyExists when the same type is added twice.
  virtual absl::Status AddSchema(std::unique_ptr<OpSchema> schema) = 0;
  virtual absl::Status AddKernel(const std::string& type, KernelFactory factory) = 0;
  virtual absl::Status AddGradient(const std::string& type, GradientKind kind,
                                   GradientFactory factory) = 0;
  // AlreadyExists when a pass of that name is added twice; InvalidArgument
  // when pass.Validate() fails.
  virtual absl::Status AddPass(GraphPass pass) = 0;
  // Gives `role` to operator `type`. AlreadyExists when the role is given
  // twice.
  virtual absl::Status AddRole(OpRole role, const std::string& type) = 0;
};

// Registrations not yet applied, all labelled with one source ("built-in"
// or a plugin's path). Errors from Add* are also remembered, so that
// registrations made where no status can be returned (static initializers)
// are reported by first_error().
class RegistrationBatch : public OpRegistrar {
 public:
  explicit RegistrationBatch(std::string source) : source_(std::move(source)) {}
  absl::Status AddSchema(std::unique_ptr<OpSchema> schema) override;
  absl::Status AddKernel(const std::string& type, KernelFactory factory) override;
  absl::Status AddGradient(const std::string& type, GradientKind kind,
                           GradientFactory factory) override;
  absl::Status AddPass(GraphPass pass) override;
  absl::Status AddRole(OpRole role, const std::string& type) override;

  const std::string& source() const { return source_; }
  const absl::Status& first_error() const { return first_error_; }
  void RecordError(const absl::Status& s) {
    if (first_error_.ok()) first_error_ = s;
  }
  // Operator types this batch registers anything for, sorted.
  std::vector<std::string> Types() const;
  // Names of the passes this batch registers, sorted.
  std::vector<std::string> PassNames() const;
  bool empty() const { return entries_.empty() && passes_.empty() && roles_.empty(); }

 private:
  friend class OpRegistry;
  struct Entry {
    std::unique_ptr<OpSchema> schema;
    KernelFactory kernel;
    bool has_gradient = false;
    GradientKind gradient_kind = GradientKind::kNoGradient;
    GradientFactory gradient;
  };
  std::string source_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, GraphPass> passes_;
  std::map<OpRole, std::string> roles_;
  absl::Status first_error_;
};

class OpRegistry {
 public:
  // The process-wide registry; never destroyed.
  static OpRegistry& Global();

  // Applies every registration of `batch`, or none: AlreadyExists naming
  // the type (pass, role), the batch's source and the existing source when
  // any part is already registered; FailedPrecondition when a kernel has no
  // schema (when `require_schemas`), or when batch.first_error() is set.
  absl::Status Apply(RegistrationBatch batch, bool require_schemas = true);

  // The schema of `type`, or nullptr.
  const OpSchema* FindSchema(absl::string_view type) const;
  bool HasKernel(absl::string_view type) const;
  // "built-in", a plugin path, or "" when unknown.
  std::string SourceOf(absl::string_view type) const;
  // Every type with a schema, sorted.
  std::vector<std::string> Types() const;

  // Verifies `def` against its schema, constructs the CPU kernel and runs
  // its Init(). NotFound for an unregistered type or one with no CPU
  // kernel; otherwise the Verify or Init error.
  absl::StatusOr<std::unique_ptr<OperatorBase>> CreateOperator(const OperatorDef& def) const;

  // The gradient registration of `type`: NotFound when there is none.
  absl::StatusOr<std::pair<GradientKind, GradientFactory>> FindGradient(
      absl::string_view type) const;

  // Every registered pass (with its source), in run order: by order(),
  // then name.
  std::vector<GraphPass> Passes() const;
  // The pass named `name`, or NotFound.
  absl::StatusOr<GraphPass> FindPass(absl::string_view name) const;

  // The operator type that has `role`: FailedPrecondition naming the role
  // when no operator has it.
  absl::StatusOr<std::string> TypeForRole(OpRole role) const;

 private:
  struct Entry {
    std::unique_ptr<OpSchema> schema;
    KernelFactory kernel;
    bool has_gradient = false;
    GradientKind gradient_kind = GradientKind::kNoGradient;
    GradientFactory gradient;
    std::string source;
  };
  struct RoleEntry {
    std::string type;
    std::string source;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, GraphPass, std::less<>> passes_ ABSL_GUARDED_BY(mu_);
  std::map<OpRole, RoleEntry> roles_ ABSL_GUARDED_BY(mu_);
};

namespace internal {

// Startup registration used by the macros below. While a plugin is being
// loaded, they add to that plugin's batch (see ScopedStartupBatch);
// otherwise they register a built-in operator at once and abort on a
// duplicate, which is a programmer error in opgraph itself.
OpSchema& NewSchemaAtStartup(const char* type, const char* file, int line);
bool AddKernelAtStartup(const char* type, const int* schema_anchor, KernelFactory f);
bool AddGradientAtStartup(const char* type, GradientKind kind, GradientFactory f);
bool AddRoleAtStartup(OpRole role, const char* type, const int* schema_anchor);

// What REGISTER_GRAPH_PASS's chain converts into: registering the finished
// pass, like the functions above.
class PassRegistration {
 public:
  PassRegistration(const GraphPass& pass);  // NOLINT: implicit on purpose.
};

// Routes startup registrations made on this thread into `batch` for the
// object's lifetime.
class ScopedStartupBatch {
 public:
  explicit ScopedStartupBatch(RegistrationBatch* batch);
  ~ScopedStartupBatch();

 private:
  RegistrationBatch* previous_;
};
RegistrationBatch* ActiveStartupBatch();

}  // namespace internal
}  // namespace opgraph

#define OPGRAPH_CONCAT_INNER_(a, b) a##b
#define OPGRAPH_CONCAT_(a, b) OPGRAPH_CONCAT_INNER_(a, b)
#define OPGRAPH_UNIQUE_(prefix) OPGRAPH_CONCAT_(prefix, __COUNTER__)

// Declares the schema of operator `name`; chain OpSchema setters after it:
//   OPERATOR_SCHEMA(Selu).NumInputs(1).NumOutputs(1)...;
// It also defines the symbol that REGISTER_CPU_OPERATOR(name, ...) refers
// to, so a kernel registered without a schema fails to link.
#define OPERATOR_SCHEMA(name)                                                     \
  extern "C" {                                                                    \
  extern const int opgraph_schema_anchor_##name;                                  \
  const int opgraph_schema_anchor_##name = 0;                                     \
  }                                                                               \
  [[maybe_unused]] static ::opgraph::OpSchema& OPGRAPH_UNIQUE_(opgraph_schema_) = \
      ::opgraph::internal::NewSchemaAtStartup(#name, __FILE__, __LINE__)

// Registers the CPU kernel class for operator `name`. The class derives
// from OperatorBase and has the constructor (const OperatorDef&, const
// OpSchema&).
#define REGISTER_CPU_OPERATOR(name, ...)                                                      \
  extern "C" {                                                                                \
  extern const int opgraph_schema_anchor_##name;                                              \
  }                                                                                           \
  [[maybe_unused]] static const bool OPGRAPH_UNIQUE_(opgraph_kernel_) =                       \
      ::opgraph::internal::AddKernelAtStartup(                                                \
          #name, &opgraph_schema_anchor_##name,                                               \
          [](const ::opgraph::OperatorDef& def,                                               \
             const ::opgraph::OpSchema& schema) -> std::unique_ptr<::opgraph::OperatorBase> { \
            return std::make_unique<__VA_ARGS__>(def, schema);                                \
          })

// Registers the gradient maker class for operator `name`.
#define REGISTER_GRADIENT(name, ...)                                                      \
  [[maybe_unused]] static const bool OPGRAPH_UNIQUE_(opgraph_gradient_) =                 \
      ::opgraph::internal::AddGradientAtStartup(                                          \
          #name, ::opgraph::GradientKind::kMaker,                                         \
          [](const ::opgraph::OperatorDef& def, const std::vector<std::string>& g_output) \
              -> std::unique_ptr<::opgraph::GradientMakerBase> {                          \
            return std::make_unique<__VA_ARGS__>(def, g_output);                          \
          })

// Operator `name` has no gradient: its inputs receive none.
#define NO_GRADIENT(name)                                                                    \
  [[maybe_unused]] static const bool OPGRAPH_UNIQUE_(opgraph_gradient_) =                    \
      ::opgraph::internal::AddGradientAtStartup(#name, ::opgraph::GradientKind::kNoGradient, \
                                                nullptr)

// Asking for the gradient of operator `name` is an error.
#define SHOULD_NOT_DO_GRADIENT(name)                                                        \
  [[maybe_unused]] static const bool OPGRAPH_UNIQUE_(opgraph_gradient_) =                   \
      ::opgraph::internal::AddGradientAtStartup(#name, ::opgraph::GradientKind::kForbidden, \
                                                nullptr)

// Registers graph pass `name` (core/graph_pass.h); chain GraphPass setters:
//   REGISTER_GRAPH_PASS(FuseSeluSoftmax)
//       .Description("Selu feeding only a Softmax -> one SeluSoftmax")
//       .Order(100)
//       .Function(FuseSeluSoftmax);
// The pass is registered once the chain is complete; an invalid pass (no
// description or function) aborts a built-in's startup and fails a
// plugin's load, like a duplicate name.
#define REGISTER_GRAPH_PASS(name)                                                      \
  [[maybe_unused]] static const ::opgraph::internal::PassRegistration OPGRAPH_UNIQUE_( \
      opgraph_pass_) = ::opgraph::GraphPass(#name)

// Gives OpRole::k<role> to operator `type`, which must have a schema in the
// same library: REGISTER_OP_ROLE(GradientAccumulation, Sum);
#define REGISTER_OP_ROLE(role, type)                                           \
  extern "C" {                                                                 \
  extern const int opgraph_schema_anchor_##type;                               \
  }                                                                            \
  [[maybe_unused]] static const bool OPGRAPH_UNIQUE_(opgraph_role_) =          \
      ::opgraph::internal::AddRoleAtStartup(::opgraph::OpRole::k##role, #type, \
                                            &opgraph_schema_anchor_##type)

#endif  // OPGRAPH_CORE_REGISTRY_H_
