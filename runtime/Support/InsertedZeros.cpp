//===- Support/InsertedZeros.cpp - zero slices inserted into a weight ----===//

#include "Support/InsertedZeros.h"

#include <algorithm>
#include <cstddef>

std::vector<int64_t> ssmc::rt::shapeWithInsertedZeros(std::vector<int64_t> shape,
                                                      const std::vector<int64_t> &insertedZeros) {
  if (insertedZeros.empty() || insertedZeros[0] < 0 || size_t(insertedZeros[0]) >= shape.size())
    return shape;
  for (size_t i = 2; i < insertedZeros.size(); i += 2)
    shape[size_t(insertedZeros[0])] += insertedZeros[i];
  return shape;
}

std::vector<float> ssmc::rt::withInsertedZeros(std::vector<float> values,
                                               const std::vector<int64_t> &shape,
                                               const std::vector<int64_t> &insertedZeros) {
  if (insertedZeros.empty())
    return values;
  // Row-major: the tensor is `outer` blocks of `len` slices of `inner`
  // values along the axis; each block is copied with the zero slices in.
  const size_t axis = size_t(insertedZeros[0]);
  size_t outer = 1, inner = 1;
  for (size_t i = 0; i < axis; ++i)
    outer *= size_t(shape[i]);
  for (size_t i = axis + 1; i < shape.size(); ++i)
    inner *= size_t(shape[i]);
  const size_t len = size_t(shape[axis]);
  const size_t padded = size_t(shapeWithInsertedZeros(shape, insertedZeros)[axis]);
  std::vector<float> out(outer * padded * inner, 0.0f);
  for (size_t o = 0; o < outer; ++o) {
    size_t from = 0, to = 0; // slices along the axis, in `values` and `out`
    auto copyUpTo = [&](size_t end) {
      std::copy_n(values.begin() + std::ptrdiff_t((o * len + from) * inner), (end - from) * inner,
                  out.begin() + std::ptrdiff_t((o * padded + to) * inner));
      to += end - from;
      from = end;
    };
    for (size_t i = 1; i + 1 < insertedZeros.size(); i += 2) {
      copyUpTo(size_t(insertedZeros[i]));
      to += size_t(insertedZeros[i + 1]);
    }
    copyUpTo(len);
  }
  return out;
}
