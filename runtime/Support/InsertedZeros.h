//===- Support/InsertedZeros.h - zero slices inserted into a weight -*- C++ -*-===//
//
// A weight whose value is its checkpoint's tensor with zero slices inserted
// along one axis (the IR's `inserted_zeros`, set by ssmc-align-hidden):
// `[axis, at0, count0, at1, count1, ...]`, each `count` zero slices before
// the checkpoint's slice `at`, places ascending. The runtime inserts them at
// upload, the reference executor when it binds the weight.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_INSERTEDZEROS_H
#define SSMC_RUNTIME_SUPPORT_INSERTEDZEROS_H

#include <cstdint>
#include <vector>

namespace ssmc::rt {

/// `shape` with the slices of `insertedZeros` added along its axis.
std::vector<int64_t> shapeWithInsertedZeros(std::vector<int64_t> shape,
                                            const std::vector<int64_t> &insertedZeros);

/// `values` (row-major in `shape`) with the zero slices of `insertedZeros`
/// in; unchanged when it is empty. `insertedZeros` must be valid for `shape`
/// (the plan check and the op verifier say so before anything gets here).
std::vector<float> withInsertedZeros(std::vector<float> values, const std::vector<int64_t> &shape,
                                     const std::vector<int64_t> &insertedZeros);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_INSERTEDZEROS_H
