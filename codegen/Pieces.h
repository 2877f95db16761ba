//===- Pieces.h - a value's channels 16 bytes at a time ---------*- C++ -*-===//
//
// Channels-last kernels (the depthwise conv, the causal conv1d) evaluate
// their results V consecutive channels at a time, V = 16 bytes of the
// storage type: each group input read by one 16-byte load, the ops on the
// way applied to the V values. PieceEmitter writes those statements where
// every value on the way allows it.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_PIECES_H
#define SSMC_CODEGEN_PIECES_H

#include "Emitter.h"

#include <functional>
#include <optional>

namespace ssmc::codegen {

class PieceEmitter {
public:
  /// Values one 16-byte piece holds in `dtype` storage: 4 in f32, 8 in
  /// bf16/f16.
  static int64_t valuesPerPiece(rt::DType dtype) { return dtype == rt::DType::F32 ? 4 : 8; }

  /// Statements for a value the kernel computes itself (a conv read from
  /// its tile or its registers): fill `out` (float[V]) with channels
  /// c..c+V-1; none where it cannot.
  using Computed = std::function<std::optional<std::string>(
      const std::string &c, const std::string &out, const std::string &indent)>;

  /// `position`: the index names of the axes before the channels (the
  /// pixel or the time step every value is read at); `computed`: the
  /// values the kernel supplies.
  PieceEmitter(const GroupEmitter &e, std::vector<std::string> position, int64_t vec,
               llvm::DenseMap<mlir::Value, Computed> computed)
      : e_(e), position_(std::move(position)), vec_(vec), computed_(std::move(computed)) {}

  /// Statements that fill `out` with channels c..c+V-1 of `v`: where every
  /// value on the way is a computed one, a same-shape elementwise op, a
  /// split, slice or concat along the channels at offsets of whole pieces,
  /// or a group input whose channels are whole pieces. None otherwise.
  std::optional<std::string> fill(mlir::Value v, const std::string &c, const std::string &out,
                                  const std::string &indent);

private:
  std::string temp();
  const GroupEmitter &e_;
  std::vector<std::string> position_;
  int64_t vec_;
  llvm::DenseMap<mlir::Value, Computed> computed_;
  int next_ = 0;
};

} // namespace ssmc::codegen

#endif // SSMC_CODEGEN_PIECES_H
