// Graph passes: named NetDef -> NetDef rewrites, registered like operators.
//
// A pass lives next to the operators it knows about (a fusion of Foo and
// Bar lives in ops/, beside Foo and Bar) and registers with
//
//   REGISTER_GRAPH_PASS(FuseFooBar)
//       .Description("Foo feeding only a Bar -> one FooBar")
//       .Order(100)
//       .Function(FuseFooBar);
//
// (core/registry.h), or from a plugin's entry point with
// OpRegistrar::AddPass(GraphPass("FuseFooBar").Description(...)...).
// OptimizeNet (core/optimize.h) runs the registered passes by order, then
// name. core/graph_util.h has helpers most passes need.
//
// The contract of a pass function: it returns a net that computes the same
// values for the net's external outputs and ctx.protected_blobs as `net`
// does, for inputs of ctx.input_types; other intermediate blobs may
// disappear. It appends one Rewrite per change to `rewrites` when that is
// not null, and never modifies `net`. An error means the pass could not
// run at all (for example, inference failed); finding nothing to rewrite is
// not an error.
#ifndef OPGRAPH_CORE_GRAPH_PASS_H_
#define OPGRAPH_CORE_GRAPH_PASS_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/net.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

// One rewrite a pass made.
struct Rewrite {
  std::string pass;               // "FuseSeluSoftmax"
  std::vector<int> original_ops;  // indices in the net the pass was given
  int new_op = -1;                // index of the replacement in the pass's result
  // "fused Selu #0 + Softmax #1 into SeluSoftmax #0"
  std::string description;
};

// What a pass knows about the net's surroundings.
struct PassContext {
  // Types and shapes of the blobs the net reads (e.g. Workspace::BlobTypes()).
  TypeMap input_types;
  // Blobs whose final values must be kept besides the net's external
  // outputs, which a pass keeps in any case.
  std::set<std::string> protected_blobs;
  // Values of blobs the net reads and never writes, for value-dependent
  // inference (a Reshape shape fed as an input); nullptr: none known.
  ConstantLookup constants;
};

using PassFunction = std::function<absl::StatusOr<NetDef>(const NetDef& net, const PassContext& ctx,
                                                          std::vector<Rewrite>* rewrites)>;

// A registered pass: what `opgraph inspect` lists and OptimizeNet runs.
// The setters chain, like OpSchema's.
class GraphPass {
 public:
  GraphPass() = default;
  explicit GraphPass(std::string name) : name_(std::move(name)) {}

  // One line for listings.
  GraphPass& Description(std::string description) {
    description_ = std::move(description);
    return *this;
  }
  // Lower runs first; passes of equal order run by name. Default 0.
  GraphPass& Order(int order) {
    order_ = order;
    return *this;
  }
  // A pass disabled by default is listed but not run by OptimizeNet.
  GraphPass& EnabledByDefault(bool enabled) {
    enabled_by_default_ = enabled;
    return *this;
  }
  GraphPass& Function(PassFunction function) {
    function_ = std::move(function);
    return *this;
  }

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  int order() const { return order_; }
  bool enabled_by_default() const { return enabled_by_default_; }
  const PassFunction& function() const { return function_; }
  // "built-in" or a plugin's path once registered; "" before.
  const std::string& source() const { return source_; }

  // OK, or InvalidArgument naming the pass when its name is empty or not
  // an identifier, its description is empty or it has no function.
  absl::Status Validate() const;

 private:
  friend class OpRegistry;
  std::string name_;
  std::string description_;
  int order_ = 0;
  bool enabled_by_default_ = true;
  PassFunction function_;
  std::string source_;
};

}  // namespace opgraph

#endif  // OPGRAPH_CORE_GRAPH_PASS_H_
