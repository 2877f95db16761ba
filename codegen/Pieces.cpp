//===- Pieces.cpp - a value's channels 16 bytes at a time -----------------===//

#include "Pieces.h"

#include "Kernels.h"

#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>

using namespace mlir;

namespace ssmc::codegen {

std::string PieceEmitter::temp() { return fmt::format("q{}", next_++); }

std::optional<std::string> PieceEmitter::fill(Value v, const std::string &c, const std::string &out,
                                              const std::string &indent) {
  const std::vector<int64_t> shape = GroupEmitter::shape(v);
  const size_t rank = position_.size() + 1, axis = rank - 1;
  if (shape.size() != rank || shape.back() % vec_ != 0)
    return std::nullopt;
  if (auto it = computed_.find(v); it != computed_.end())
    return it->second(c, out, indent);
  if (isa<BlockArgument>(v)) {
    const std::string *p = e_.pointerName(v);
    if (!p)
      return std::nullopt;
    std::vector<std::string> index = position_;
    index.push_back(c);
    return fmt::format("{}load16({} + {}, {});\n", indent, *p, e_.linear(v, index), out);
  }
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  const auto offsetOk = [&](int64_t o) { return o % vec_ == 0; };
  if (auto split = dyn_cast<SplitOp>(op)) {
    if (split.getAxis() != int64_t(axis))
      return std::nullopt;
    int64_t start = 0;
    for (unsigned i = 0; i < cast<OpResult>(v).getResultNumber(); ++i)
      start += GroupEmitter::shape(split.getResult(i))[axis];
    if (!offsetOk(start))
      return std::nullopt;
    return fill(split.getInput(), start ? fmt::format("{} + {}", c, start) : c, out, indent);
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    if (slice.getAxis() != int64_t(axis) || !offsetOk(slice.getStart()))
      return std::nullopt;
    return fill(slice.getInput(),
                slice.getStart() ? fmt::format("{} + {}", c, slice.getStart()) : c, out, indent);
  }
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    if (concat.getAxis() != int64_t(axis))
      return std::nullopt;
    auto inputs = concat.getInputs();
    if (inputs.size() == 1)
      return fill(inputs[0], c, out, indent);
    std::string s;
    int64_t start = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int64_t size = GroupEmitter::shape(inputs[k])[axis];
      if (!offsetOk(size))
        return std::nullopt;
      const std::string at = start ? fmt::format("({} - {})", c, start) : c;
      auto part = fill(inputs[k], at, out, indent + "  ");
      if (!part)
        return std::nullopt;
      s += k + 1 < inputs.size()
               ? fmt::format("{}{}if ({} < {}) {{\n", indent, k ? "} else " : "", c, start + size)
               : fmt::format("{}}} else {{\n", indent);
      s += *part;
      start += size;
    }
    return s + indent + "}\n";
  }
  if (!isElementwiseOp(op))
    return std::nullopt;
  std::vector<std::string> operands;
  std::string s;
  for (Value operand : op->getOperands()) {
    if (operand.getType() != v.getType())
      return std::nullopt;
    operands.push_back(temp());
    s += fmt::format("{}float {}[{}];\n", indent, operands.back(), vec_);
    auto part = fill(operand, c, operands.back(), indent);
    if (!part)
      return std::nullopt;
    s += *part;
  }
  std::vector<std::string> at;
  for (const std::string &o : operands)
    at.push_back(o + "[t]");
  std::string expr =
      llvm::TypeSwitch<Operation *, std::string>(op)
          .Case<GeluOp>([&](auto) { return fmt::format("ssmc_gelu({})", at[0]); })
          .Case<SiluOp>([&](auto) { return fmt::format("ssmc_silu({})", at[0]); })
          .Case<SoftplusOp>([&](auto) { return fmt::format("ssmc_softplus({})", at[0]); })
          .Case<ExpOp>([&](auto) { return fmt::format("expf({})", at[0]); })
          .Case<NegOp>([&](auto) { return fmt::format("-{}", at[0]); })
          .Case<ScaleOp>([&](ScaleOp o) {
            return fmt::format("{} * {}", at[0], floatLiteral(o.getFactor().convertToDouble()));
          })
          .Case<AddOp>([&](auto) { return fmt::format("{} + {}", at[0], at[1]); })
          .Case<MulOp>([&](auto) { return fmt::format("{} * {}", at[0], at[1]); })
          .Default([](Operation *) { return std::string(); });
  if (expr.empty())
    return std::nullopt;
  return s + fmt::format("#pragma unroll\n{0}for (int t = 0; t < {1}; ++t)\n"
                         "{0}  {2}[t] = {3};\n",
                         indent, vec_, out, expr);
}

} // namespace ssmc::codegen
