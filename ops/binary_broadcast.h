// Shapes of the broadcasting binary operators (Add, Sub, Mul, Div and their
// gradients, ops/binary_ops.cc and ops/binary_grad_ops.cc).
//
// Two modes, chosen by the operator's `broadcast` argument, as Caffe2:
//   broadcast = 0 (default): numpy multidirectional broadcasting. Shapes are
//     aligned at their last dimension; a missing leading dimension counts as
//     1; each pair of dimensions must be equal or one of them 1; the output
//     takes the larger (a 0 against 1 gives 0).
//   broadcast = 1: Caffe2's legacy broadcast of B into A. B's rank is at most
//     A's; B is aligned with A starting at dimension `axis` (-1: aligned at
//     the last dimension, axis = rank(A) - rank(B)); B's leading and trailing
//     dimensions of size 1 are broadcast, the others must equal A's. The
//     output has A's shape.
//
// A BroadcastPlan collapses the output's index space: dimensions of size 1
// are dropped and neighbouring dimensions along which A and B both vary (or
// the same one of them is broadcast) are merged, so that the common cases
// become one of a few patterns with a fast loop, and everything else is a
// short strided loop.
#ifndef OPGRAPH_OPS_BINARY_BROADCAST_H_
#define OPGRAPH_OPS_BINARY_BROADCAST_H_

#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "proto/opgraph.pb.h"

namespace opgraph {

struct BroadcastPlan {
  enum class Pattern {
    kSame,     // A, B and C have numel elements each
    kScalarA,  // A has one element, B and C numel
    kScalarB,  // B has one element
    kRowA,     // C is [rows, cols], A is [cols] repeated over the rows
    kRowB,     // B is [cols] repeated over the rows
    kColA,     // A is [rows], one value per row of C
    kColB,     // B is [rows]
    kGeneral,  // strided loop over `dims`
  };
  std::vector<int64_t> out_dims;  // C's shape
  Pattern pattern = Pattern::kSame;
  int64_t numel = 0;  // elements of C
  int64_t rows = 1, cols = 0;
  // Collapsed iteration space (row-major) and each input's element stride
  // along every collapsed dimension (0 where it is broadcast).
  std::vector<int64_t> dims, a_strides, b_strides;
};

// The plan of A op B under `def`'s `broadcast` and `axis` arguments;
// InvalidArgument naming both shapes when they do not broadcast.
absl::StatusOr<BroadcastPlan> MakeBroadcastPlan(const OperatorDef& def,
                                                const std::vector<int64_t>& a,
                                                const std::vector<int64_t>& b);

// Calls fn(c, a, b, a_step, b_step, len) for runs of `len` consecutive
// elements of C starting at element `c`, whose A and B elements start at
// `a` and `b` and advance by a_step and b_step (0 or 1). Covers the rows
// [row_begin, row_end) of the plan's collapsed space, where a row is the
// innermost collapsed dimension (OuterRows() rows in all).
int64_t OuterRows(const BroadcastPlan& plan);
void ForEachRun(const BroadcastPlan& plan, int64_t row_begin, int64_t row_end,
                absl::FunctionRef<void(int64_t c, int64_t a, int64_t b, int64_t a_step,
                                       int64_t b_step, int64_t len)>
                    fn);

// Shape and type inference shared by Add, Sub, Mul and Div: A and B of one
// type, C of the broadcast shape.
absl::StatusOr<std::vector<TensorType>> InferBinary(const OperatorDef& def,
                                                    absl::Span<const TensorType> in);

}  // namespace opgraph

#endif  // OPGRAPH_OPS_BINARY_BROADCAST_H_
