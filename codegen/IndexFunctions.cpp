//===- IndexFunctions.cpp - the element of each op's value at an index -===//
//
// GroupEmitter::valueBody: the statements of a value's index function for
// every op a kernel group may hold. Elementwise ops broadcast, views are
// index remapping, and convolutions, linears, norms and means are loops over
// their inputs' functions; parameters load through loadParam.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"

#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

using namespace mlir;

namespace ssmc::codegen {

std::string GroupEmitter::loadParam(const std::string &pointer, Value v,
                                    const std::vector<std::string> &idx) const {
  // A weight stored with its axes permuted (stored_as): the row-major offset
  // in the stored shape.
  auto w = v.getDefiningOp<WeightOp>();
  if (auto order = w ? w.getStoredAs() : std::nullopt) {
    const std::vector<int64_t> s = shape(v);
    std::string offset = idx[size_t((*order)[0])];
    for (size_t j = 1; j < order->size(); ++j)
      offset = fmt::format("({}) * {} + {}", offset, s[size_t((*order)[j])],
                           idx[size_t((*order)[j])]);
    return fmt::format("return ld({}[{}]); // stored as [{}]", pointer, offset,
                       fmt::join(*order, ", "));
  }
  // A weight whose rows are padded (row_pitch): rows that many elements apart.
  if (auto pitch = w ? w.getRowPitch() : std::nullopt) {
    const std::vector<int64_t> s = shape(v);
    std::string row = s.size() > 1 ? idx[0] : "0";
    for (size_t j = 1; j + 1 < s.size(); ++j)
      row = fmt::format("({}) * {} + {}", row, s[j], idx[j]);
    return fmt::format("return ld({}[({}) * {} + {}]); // rows padded to {}", pointer, row, *pitch,
                       idx.back(), *pitch);
  }
  return fmt::format("return ld({}[{}]);", pointer, linear(v, idx));
}

namespace {
/// Operand index of a broadcasting elementwise op: right-aligned, size-1 dims at 0.
std::vector<std::string> broadcastIndex(Value operand, const std::vector<std::string> &idx) {
  std::vector<int64_t> s = GroupEmitter::shape(operand);
  std::vector<std::string> out;
  const size_t offset = idx.size() - s.size();
  for (size_t j = 0; j < s.size(); ++j)
    out.push_back(s[j] == 1 ? "0" : idx[j + offset]);
  return out;
}
} // namespace

rt::Expected<std::string> GroupEmitter::valueBody(Operation *op, unsigned resultIndex) const {
  Value result = op->getResult(resultIndex);
  const std::vector<std::string> idx = indexNames("i", shape(result).size());
  using R = rt::Expected<std::string>;
  auto with = [&](std::vector<std::string> v, size_t axis, std::string e) {
    v[axis] = std::move(e);
    return v;
  };
  return llvm::TypeSwitch<Operation *, R>(op)
      .Case<WeightOp>([&](WeightOp w) -> R {
        return loadParam(pointerOf_.find(w.getResult())->second, w.getResult(), idx);
      })
      .Case<LinearOp>([&](LinearOp o) -> R {
        Value x = o.getInput(), w = o.getWeight();
        const size_t r = idx.size();
        std::vector<std::string> xi(idx.begin(), idx.end() - 1);
        xi.push_back("k");
        std::string s = "float acc = 0.0f;\n";
        s += fmt::format("    for (idx_t k = 0; k < {}; ++k)\n      acc += {} * {};\n",
                         dim(x, r - 1), call(x, xi), call(w, {idx[r - 1], "k"}));
        if (o.getBias())
          s += fmt::format("    acc += {};\n", call(o.getBias(), {idx[r - 1]}));
        return s + "    return acc;";
      })
      .Case<Conv2dOp>([&](Conv2dOp o) -> R {
        Value x = o.getInput(), w = o.getWeight();
        const bool nhwc = o->hasAttr("channels_last");
        std::vector<int64_t> ws = shape(w), ys = shape(result);
        const int64_t groups = o.getGroups(), outCh = ws[0], cg = ws[1];
        const unsigned hAxis = nhwc ? 1 : 2, wAxis = nhwc ? 2 : 3, cAxis = nhwc ? 3 : 1;
        const std::string n = idx[0], oc = idx[cAxis], oy = idx[hAxis], ox = idx[wAxis];
        std::string s = "float acc = 0.0f;\n";
        s += fmt::format("    const idx_t cbase = ({} / {}) * {};\n", oc, outCh / groups, cg);
        s += fmt::format("    for (idx_t ci = 0; ci < {}; ++ci)\n", cg);
        s += fmt::format("      for (idx_t ky = 0; ky < {}; ++ky) {{\n", ws[2]);
        s += fmt::format("        const idx_t iy = {} * {} - {} + ky;\n", oy, o.getStride()[0],
                         o.getPadding()[0]);
        s += fmt::format("        if (iy < 0 || iy >= {}) continue;\n", dim(x, hAxis));
        s += fmt::format("        for (idx_t kx = 0; kx < {}; ++kx) {{\n", ws[3]);
        s += fmt::format("          const idx_t ix = {} * {} - {} + kx;\n", ox,
                         o.getStride()[1], o.getPadding()[1]);
        s += fmt::format("          if (ix < 0 || ix >= {}) continue;\n", dim(x, wAxis));
        std::vector<std::string> xi = nhwc ? std::vector<std::string>{n, "iy", "ix", "cbase + ci"}
                                           : std::vector<std::string>{n, "cbase + ci", "iy", "ix"};
        s += fmt::format("          acc += {} * {};\n", call(x, xi),
                         call(w, {oc, "ci", "ky", "kx"}));
        s += "        }\n      }\n";
        if (o.getBias())
          s += fmt::format("    acc += {};\n", call(o.getBias(), {oc}));
        (void)ys;
        return s + "    return acc;";
      })
      .Case<DepthwiseConv2dOp>([&](DepthwiseConv2dOp o) -> R {
        Value x = o.getInput(), w = o.getWeight();
        std::vector<int64_t> ws = shape(w);
        std::string s = "float acc = 0.0f;\n";
        s += fmt::format("    for (idx_t ky = 0; ky < {}; ++ky) {{\n", ws[2]);
        s += fmt::format("      const idx_t iy = {} - {} + ky;\n", idx[1], ws[2] / 2);
        s += fmt::format("      if (iy < 0 || iy >= {}) continue;\n", dim(x, 1));
        s += fmt::format("      for (idx_t kx = 0; kx < {}; ++kx) {{\n", ws[3]);
        s += fmt::format("        const idx_t ix = {} - {} + kx;\n", idx[2], ws[3] / 2);
        s += fmt::format("        if (ix < 0 || ix >= {}) continue;\n", dim(x, 2));
        s += fmt::format("        acc += {} * {};\n", call(x, {idx[0], "iy", "ix", idx[3]}),
                         call(w, {idx[3], "0", "ky", "kx"}));
        s += "      }\n    }\n";
        if (o.getBias())
          s += fmt::format("    acc += {};\n", call(o.getBias(), {idx[3]}));
        return s + "    return acc;";
      })
      .Case<CausalConv1dOp>([&](CausalConv1dOp o) -> R {
        Value x = o.getInput(), w = o.getWeight();
        const int64_t k = shape(w)[2];
        // [B, D, L], or channels-last [B, L, D].
        const unsigned seqAxis = o.getChannelsLast() ? 1 : 2, chAxis = 3 - seqAxis;
        std::vector<std::string> xi = {idx[0], "", ""};
        xi[seqAxis] = "s";
        xi[chAxis] = idx[chAxis];
        std::string s = "float acc = 0.0f;\n";
        s += fmt::format("    for (idx_t j = 0; j < {}; ++j) {{\n", k);
        s += o.getReverse()
                 ? fmt::format("      const idx_t s = {} + {} - j; // anti-causal (reverse)\n",
                               idx[seqAxis], k - 1)
                 : fmt::format("      const idx_t s = {} - {} + j;\n", idx[seqAxis], k - 1);
        s += fmt::format("      if (s >= 0 && s < {})\n        acc += {} * {};\n    }}\n",
                         dim(x, seqAxis), call(w, {idx[chAxis], "0", "j"}), call(x, xi));
        if (o.getBias())
          s += fmt::format("    acc += {};\n", call(o.getBias(), {idx[chAxis]}));
        return s + "    return acc;";
      })
      .Case<LayerNormOp>([&](LayerNormOp o) -> R {
        Value x = o.getInput();
        const size_t r = idx.size();
        std::vector<std::string> xk(idx.begin(), idx.end() - 1);
        xk.push_back("k");
        const std::string c = dim(x, r - 1);
        std::string s = "// Row statistics over the last axis, recomputed per element.\n";
        s += fmt::format("    float mean = 0.0f;\n    for (idx_t k = 0; k < {}; ++k)\n"
                         "      mean += {};\n    mean /= (float){};\n",
                         c, call(x, xk), c);
        s += fmt::format("    float var = 0.0f;\n    for (idx_t k = 0; k < {}; ++k) {{\n"
                         "      const float d = {} - mean;\n      var += d * d;\n    }}\n"
                         "    var /= (float){};\n",
                         c, call(x, xk), c);
        s += fmt::format("    const float rstd = 1.0f / sqrtf(var + {});\n",
                         floatLiteral(o.getEps().convertToDouble()));
        s += fmt::format("    return ({} - mean) * rstd * {} + {};", call(x, idx),
                         call(o.getWeight(), {idx[r - 1]}), call(o.getBias(), {idx[r - 1]}));
        return s;
      })
      .Case<RmsNormOp>([&](RmsNormOp o) -> R {
        Value x = o.getInput();
        const size_t r = idx.size();
        std::vector<std::string> xk(idx.begin(), idx.end() - 1);
        xk.push_back("k");
        const std::string c = dim(x, r - 1);
        std::string s = "// Row statistic over the last axis, recomputed per element.\n";
        s += fmt::format("    float ss = 0.0f;\n    for (idx_t k = 0; k < {}; ++k) {{\n"
                         "      const float v = {};\n      ss += v * v;\n    }}\n",
                         c, call(x, xk));
        s += fmt::format("    const float rstd = 1.0f / sqrtf(ss / (float){} + {});\n", c,
                         floatLiteral(o.getEps().convertToDouble()));
        s += fmt::format("    return {} * rstd * {};", call(x, idx),
                         call(o.getWeight(), {idx[r - 1]}));
        return s;
      })
      .Case<GeluOp>([&](auto o) -> R {
        return fmt::format("return ssmc_gelu({});", call(o.getInput(), idx));
      })
      .Case<SiluOp>([&](auto o) -> R {
        return fmt::format("return ssmc_silu({});", call(o.getInput(), idx));
      })
      .Case<SoftplusOp>([&](auto o) -> R {
        return fmt::format("return ssmc_softplus({});", call(o.getInput(), idx));
      })
      .Case<ExpOp>([&](auto o) -> R {
        return fmt::format("return expf({});", call(o.getInput(), idx));
      })
      .Case<NegOp>([&](auto o) -> R {
        return fmt::format("return -{};", call(o.getInput(), idx));
      })
      .Case<ScaleOp>([&](ScaleOp o) -> R {
        return fmt::format("return {} * {};", call(o.getInput(), idx),
                           floatLiteral(o.getFactor().convertToDouble()));
      })
      .Case<AddOp>([&](AddOp o) -> R {
        return fmt::format("return {} + {};", call(o.getLhs(), broadcastIndex(o.getLhs(), idx)),
                           call(o.getRhs(), broadcastIndex(o.getRhs(), idx)));
      })
      .Case<MulOp>([&](MulOp o) -> R {
        return fmt::format("return {} * {};", call(o.getLhs(), broadcastIndex(o.getLhs(), idx)),
                           call(o.getRhs(), broadcastIndex(o.getRhs(), idx)));
      })
      .Case<SplitOp>([&](SplitOp o) -> R {
        const int64_t axis = o.getAxis();
        int64_t start = 0;
        for (unsigned i = 0; i < resultIndex; ++i)
          start += shape(o.getResult(i))[axis];
        if (start == 0)
          return fmt::format("return {};", call(o.getInput(), idx));
        return fmt::format("return {};", call(o.getInput(), with(idx, axis,
                                                                 fmt::format("{} + {}", idx[axis],
                                                                             start))));
      })
      .Case<SliceOp>([&](SliceOp o) -> R {
        const int64_t axis = o.getAxis();
        if (o.getStart() == 0)
          return fmt::format("return {};", call(o.getInput(), idx));
        return fmt::format("return {};", call(o.getInput(),
                                              with(idx, axis, fmt::format("{} + {}", idx[axis],
                                                                          o.getStart()))));
      })
      .Case<ConcatOp>([&](ConcatOp o) -> R {
        const int64_t axis = o.getAxis();
        std::string s;
        int64_t start = 0;
        auto inputs = o.getInputs();
        for (size_t k = 0; k < inputs.size(); ++k) {
          Value in = inputs[k];
          const int64_t size = shape(in)[axis];
          std::string at = start ? fmt::format("{} - {}", idx[axis], start) : idx[axis];
          if (k + 1 < inputs.size())
            s += fmt::format("if ({} < {}) return {};\n    ", idx[axis], start + size,
                             call(in, with(idx, axis, at)));
          else
            s += fmt::format("return {};", call(in, with(idx, axis, at)));
          start += size;
        }
        return s;
      })
      .Case<PermuteOp>([&](PermuteOp o) -> R {
        auto perm = o.getPerm();
        std::vector<std::string> in(idx.size());
        for (size_t i = 0; i < perm.size(); ++i)
          in[perm[i]] = idx[i];
        return fmt::format("return {};", call(o.getInput(), in));
      })
      .Case<ReshapeOp>([&](ReshapeOp o) -> R {
        Value in = o.getInput();
        // Dims other than 1 in the same order: only unit dims move.
        std::vector<int64_t> from = shape(in), to = shape(result);
        if (auto axes = unitDimReshape(from, to)) {
          std::vector<std::string> ii(from.size(), "0");
          for (auto [fromAxis, toAxis] : *axes)
            ii[fromAxis] = idx[toAxis];
          return fmt::format("return {};", call(in, ii));
        }
        std::string s = fmt::format("const idx_t flat = {};\n", linear(result, idx));
        s += delinearize(in, "flat", "j", "    ");
        return s + fmt::format("    return {};", call(in, indexNames("j", from.size())));
      })
      .Case<FlipOp>([&](FlipOp o) -> R {
        const int64_t axis = o.getAxis();
        return fmt::format("return {};",
                           call(o.getInput(), with(idx, axis, fmt::format("{} - 1 - {}",
                                                                          dim(result, axis),
                                                                          idx[axis]))));
      })
      .Case<ReduceMeanOp>([&](ReduceMeanOp o) -> R {
        Value in = o.getInput();
        std::vector<int64_t> s = shape(in);
        auto dims = o.getDims();
        std::vector<std::string> ii;
        std::vector<size_t> reduced;
        int64_t count = 1;
        size_t outAxis = 0;
        for (size_t i = 0; i < s.size(); ++i) {
          bool isReduced = std::find(dims.begin(), dims.end(), int64_t(i)) != dims.end();
          if (isReduced) {
            ii.push_back(fmt::format("r{}", i));
            reduced.push_back(i);
            count *= s[i];
            if (o.getKeepdim())
              ++outAxis;
          } else {
            ii.push_back(idx[outAxis++]);
          }
        }
        std::string b = "float acc = 0.0f;\n";
        std::string indent = "    ";
        for (size_t r : reduced) {
          b += fmt::format("{}for (idx_t r{} = 0; r{} < {}; ++r{})\n", indent, r, r, dim(in, r),
                           r);
          indent += "  ";
        }
        b += fmt::format("{}acc += {};\n", indent, call(in, ii));
        return b + fmt::format("    return acc / (float){};", count);
      })
      .Default([&](Operation *other) -> R {
        return unsupported(other, "no index function for this op");
      });
}

} // namespace ssmc::codegen
