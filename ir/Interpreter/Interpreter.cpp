//===- Interpreter.cpp - the CPU reference executor ------------------------===//

#include "Interpreter.h"
#include "Interpreter/Kernels.h"
#include "SsmcOps.h"
#include "Support/InsertedZeros.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>

#include <cstring>

using namespace mlir;

namespace ssmc::interp {

HostTensor HostTensor::allocate(const shape::Shape &shape) {
  auto storage = std::make_shared<std::vector<float>>(std::max<int64_t>(shape::numElements(shape), 1));
  HostTensor t;
  t.shape = shape;
  t.data = storage->data();
  t.owner = std::move(storage);
  return t;
}

HostTensor HostTensor::borrow(const shape::Shape &shape, const float *data,
                              std::shared_ptr<const void> owner) {
  HostTensor t;
  t.shape = shape;
  t.data = const_cast<float *>(data); // views are only ever read
  t.owner = std::move(owner);
  return t;
}

namespace {

shape::Shape shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return shape::Shape(t.getShape().begin(), t.getShape().end());
}

std::string describeOp(Operation *op) {
  std::string loc;
  llvm::raw_string_ostream os(loc);
  op->getLoc().print(os);
  return fmt::format("'{}' at {}", op->getName().getStringRef().str(), os.str());
}

/// Executes one function body; values die after their last use.
class Executor {
public:
  Executor(const TensorMap &weights, const RunOptions &options)
      : weights_(weights), onKernelGroup_(options.onKernelGroup) {}

  rt::Expected<TensorMap> run(func::FuncOp f, const TensorMap &inputs, const RunOptions &options) {
    for (BlockArgument arg : f.getArguments()) {
      auto name = f.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr);
      std::string n = name ? name.getValue().str() : fmt::format("#{}", arg.getArgNumber());
      auto it = inputs.find(n);
      if (it == inputs.end())
        return rt::Status::error(fmt::format("missing input '{}' (shape {})", n,
                                             shape::str(shapeOf(arg))));
      if (it->second.shape != shapeOf(arg))
        return rt::Status::error(fmt::format("input '{}' is {}, the compiled model expects {}", n,
                                             shape::str(it->second.shape),
                                             shape::str(shapeOf(arg))));
      bind(arg, it->second);
    }
    Block &body = f.getBody().front();
    if (rt::Status s = allocateArena(f); !s.ok())
      return s;
    size_t total = body.getOperations().size(), done = 0;
    for (Operation &op : body) {
      if (auto ret = dyn_cast<func::ReturnOp>(op))
        return collect(f, ret);
      if (rt::Status s = execute(&op); !s.ok())
        return s;
      placeInArena(&op);
      release(&op);
      if (options.progress)
        options.progress(++done, total);
    }
    return rt::Status::error("the model's function has no return");
  }

private:
  /// A planned function (`ssmc-plan-memory`) keeps its activations where the
  /// plan puts them, in one arena: a plan that overlaps two live values then
  /// corrupts the output, so every golden test also checks the plan.
  rt::Status allocateArena(func::FuncOp f) {
    auto bytes = f->getAttrOfType<IntegerAttr>(ssmc::kArenaBytesAttr);
    if (!bytes)
      return rt::Status::success();
    auto module = f->getParentOfType<ModuleOp>();
    auto dtype = module ? module->getAttrOfType<StringAttr>(ssmc::kDtypeAttr) : StringAttr();
    arenaElementBytes_ =
        dtype && (dtype.getValue() == "bf16" || dtype.getValue() == "f16") ? 2 : 4;
    if (bytes.getInt() < 0 || bytes.getInt() % arenaElementBytes_)
      return rt::Status::error(fmt::format("ssmc.arena_bytes {} is not a whole number of "
                                           "{}-byte elements",
                                           bytes.getInt(), arenaElementBytes_));
    arena_ = HostTensor::allocate({bytes.getInt() / arenaElementBytes_});
    return rt::Status::success();
  }

  /// Moves the results of a top-level op to their planned arena offsets.
  void placeInArena(Operation *op) {
    auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(ssmc::kArenaOffsetsAttr);
    if (!arena_.data || !offsets)
      return;
    for (auto [r, offset] : llvm::zip(op->getResults(), offsets.asArrayRef())) {
      auto it = values_.find(r);
      if (it == values_.end())
        continue;
      float *slot = arena_.data + offset / arenaElementBytes_;
      HostTensor &t = it->second.tensor;
      std::memmove(slot, t.data, t.numElements() * sizeof(float));
      t = HostTensor::borrow(t.shape, slot, arena_.owner);
    }
  }

  void bind(Value v, HostTensor t) {
    size_t uses = std::distance(v.use_begin(), v.use_end());
    values_[v] = {std::move(t), uses};
  }

  const HostTensor &get(Value v) { return values_.find(v)->second.tensor; }
  const float *ptr(Value v) { return v ? get(v).data : nullptr; }

  static constexpr int64_t kSwapLastTwo[] = {0, 2, 1};
  /// v as [B, D, L]: itself, or (channels-last operands, [B, L, D]) a
  /// transposed copy.
  HostTensor sequenceMajor(Value v, bool channelsLast) {
    const HostTensor &t = get(v);
    if (!channelsLast)
      return t;
    HostTensor copy = HostTensor::allocate({t.shape[0], t.shape[2], t.shape[1]});
    permute(t.data, t.shape, kSwapLastTwo, copy.data);
    return copy;
  }

  /// Drops operands whose last use this op was.
  void release(Operation *op) {
    for (Value v : op->getOperands()) {
      auto it = values_.find(v);
      if (it != values_.end() && --it->second.usesLeft == 0)
        values_.erase(it);
    }
  }

  rt::Expected<TensorMap> collect(func::FuncOp f, func::ReturnOp ret) {
    TensorMap out;
    for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
      auto name = f.getResultAttrOfType<StringAttr>(i, kNameAttr);
      out[name ? name.getValue().str() : fmt::format("#{}", i)] = get(v);
    }
    return out;
  }

  HostTensor result(Operation *op, unsigned i = 0) {
    HostTensor t = HostTensor::allocate(shapeOf(op->getResult(i)));
    bind(op->getResult(i), t);
    return t;
  }

  rt::Status execute(Operation *op);

  struct Slot {
    HostTensor tensor;
    size_t usesLeft;
  };
  const TensorMap &weights_;
  llvm::DenseMap<Value, Slot> values_;
  HostTensor arena_;
  int64_t arenaElementBytes_ = 4;
  decltype(RunOptions::onKernelGroup) onKernelGroup_;
};

rt::Status Executor::execute(Operation *op) {
  return llvm::TypeSwitch<Operation *, rt::Status>(op)
      .Case<WeightOp>([&](WeightOp w) {
        auto it = weights_.find(w.getName().str());
        const shape::Shape expected = w.checkpointShape();
        if (it == weights_.end())
          return rt::Status::error(
              fmt::format("missing weight '{}' ({})", w.getName().str(), shape::str(expected)));
        if (it->second.shape != expected)
          return rt::Status::error(fmt::format("weight '{}' is {}, expected {}", w.getName().str(),
                                               shape::str(it->second.shape), shape::str(expected)));
        if (auto zeros = w.getInsertedZeros()) {
          // The value the IR means: the checkpoint's with zero slices in.
          const std::vector<float> padded = rt::withInsertedZeros(
              std::vector<float>(it->second.data, it->second.data + it->second.numElements()),
              expected, std::vector<int64_t>(zeros->begin(), zeros->end()));
          HostTensor t = HostTensor::allocate(shapeOf(w));
          std::copy(padded.begin(), padded.end(), t.data);
          bind(w.getResult(), t);
          return rt::Status::success();
        }
        bind(w.getResult(), it->second);
        return rt::Status::success();
      })
      .Case<LinearOp>([&](LinearOp o) {
        shape::Shape w = shapeOf(o.getWeight());
        HostTensor y = result(o);
        linear(ptr(o.getInput()), get(o.getInput()).numElements() / w[1], w[1],
               ptr(o.getWeight()), ptr(o.getBias()), w[0], y.data);
        return rt::Status::success();
      })
      .Case<Conv2dOp>([&](Conv2dOp o) {
        shape::Shape x = shapeOf(o.getInput()), w = shapeOf(o.getWeight());
        HostTensor y = result(o);
        if (!o.getChannelsLast()) {
          conv2dNCHW(ptr(o.getInput()), x[0], x[1], x[2], x[3], ptr(o.getWeight()),
                     ptr(o.getBias()), w[0], w[2], w[3], o.getStride()[0], o.getStride()[1],
                     o.getPadding()[0], o.getPadding()[1], o.getGroups(), y.data);
          return rt::Status::success();
        }
        // The oracle stays simple: NHWC -> NCHW, the NCHW conv, and back.
        const int64_t nchwToNhwc[] = {0, 2, 3, 1}, nhwcToNchw[] = {0, 3, 1, 2};
        HostTensor xNchw = HostTensor::allocate({x[0], x[3], x[1], x[2]});
        permute(ptr(o.getInput()), x, nhwcToNchw, xNchw.data);
        shape::Shape yNhwc = shapeOf(o.getResult());
        HostTensor yNchw = HostTensor::allocate({yNhwc[0], yNhwc[3], yNhwc[1], yNhwc[2]});
        conv2dNCHW(xNchw.data, x[0], x[3], x[1], x[2], ptr(o.getWeight()), ptr(o.getBias()),
                   w[0], w[2], w[3], o.getStride()[0], o.getStride()[1], o.getPadding()[0],
                   o.getPadding()[1], o.getGroups(), yNchw.data);
        permute(yNchw.data, yNchw.shape, nchwToNhwc, y.data);
        return rt::Status::success();
      })
      .Case<DepthwiseConv2dOp>([&](DepthwiseConv2dOp o) {
        shape::Shape x = shapeOf(o.getInput()), w = shapeOf(o.getWeight());
        HostTensor y = result(o);
        depthwiseConv2dNHWC(ptr(o.getInput()), x[0], x[1], x[2], x[3], ptr(o.getWeight()),
                            ptr(o.getBias()), w[2], w[3], y.data);
        return rt::Status::success();
      })
      .Case<CausalConv1dOp>([&](CausalConv1dOp o) {
        // Channels-last runs as its [B, D, L] transpose.
        const bool nlc = o.getChannelsLast();
        HostTensor x = sequenceMajor(o.getInput(), nlc), w = get(o.getWeight());
        HostTensor y = result(o);
        HostTensor yBdl = nlc ? HostTensor::allocate(x.shape) : y;
        causalConv1d(x.data, x.shape[0], x.shape[1], x.shape[2], w.data, w.shape[2],
                     ptr(o.getBias()), o.getReverse(), yBdl.data);
        if (nlc)
          permute(yBdl.data, yBdl.shape, kSwapLastTwo, y.data);
        return rt::Status::success();
      })
      .Case<LayerNormOp>([&](LayerNormOp o) {
        shape::Shape x = shapeOf(o.getInput());
        HostTensor y = result(o);
        layerNorm(ptr(o.getInput()), shape::numElements(x) / x.back(), x.back(),
                  ptr(o.getWeight()), ptr(o.getBias()), o.getEps().convertToDouble(), y.data);
        return rt::Status::success();
      })
      .Case<RmsNormOp>([&](RmsNormOp o) {
        shape::Shape x = shapeOf(o.getInput());
        HostTensor y = result(o);
        rmsNorm(ptr(o.getInput()), shape::numElements(x) / x.back(), x.back(), ptr(o.getWeight()),
                o.getEps().convertToDouble(), y.data);
        return rt::Status::success();
      })
      .Case<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp>([&](auto o) {
        using OpT = decltype(o);
        UnaryKind kind = std::is_same_v<OpT, GeluOp>       ? UnaryKind::Gelu
                         : std::is_same_v<OpT, SiluOp>     ? UnaryKind::Silu
                         : std::is_same_v<OpT, SoftplusOp> ? UnaryKind::Softplus
                         : std::is_same_v<OpT, ExpOp>      ? UnaryKind::Exp
                                                           : UnaryKind::Neg;
        HostTensor y = result(o);
        unary(kind, ptr(o.getInput()), y.numElements(), y.data);
        return rt::Status::success();
      })
      .Case<ScaleOp>([&](ScaleOp o) {
        HostTensor y = result(o);
        const float *x = ptr(o.getInput());
        const float c = static_cast<float>(o.getFactor().convertToDouble());
        for (int64_t i = 0, n = y.numElements(); i < n; ++i)
          y.data[i] = x[i] * c;
        return rt::Status::success();
      })
      .Case<AddOp, MulOp>([&](auto o) {
        BinaryKind kind = std::is_same_v<decltype(o), AddOp> ? BinaryKind::Add : BinaryKind::Mul;
        shape::Shape a = shapeOf(o.getLhs()), b = shapeOf(o.getRhs());
        HostTensor y = result(o);
        binary(kind, ptr(o.getLhs()), a, ptr(o.getRhs()), b, y.data, y.shape);
        return rt::Status::success();
      })
      .Case<SplitOp>([&](SplitOp o) {
        shape::Shape x = shapeOf(o.getInput());
        int64_t start = 0;
        for (unsigned i = 0; i < o.getNumResults(); ++i) {
          HostTensor y = result(o, i);
          int64_t size = y.shape[o.getAxis()];
          sliceAxis(ptr(o.getInput()), x, o.getAxis(), start, size, y.data);
          start += size;
        }
        return rt::Status::success();
      })
      .Case<SliceOp>([&](SliceOp o) {
        HostTensor y = result(o);
        sliceAxis(ptr(o.getInput()), shapeOf(o.getInput()), o.getAxis(), o.getStart(),
                  y.shape[o.getAxis()], y.data);
        return rt::Status::success();
      })
      .Case<ConcatOp>([&](ConcatOp o) {
        std::vector<const float *> ins;
        std::vector<std::vector<int64_t>> shapes;
        for (Value v : o.getInputs()) {
          ins.push_back(ptr(v));
          shapes.push_back(shapeOf(v));
        }
        HostTensor y = result(o);
        concatAxis(ins, shapes, o.getAxis(), y.data);
        return rt::Status::success();
      })
      .Case<PermuteOp>([&](PermuteOp o) {
        HostTensor y = result(o);
        permute(ptr(o.getInput()), shapeOf(o.getInput()), o.getPerm(), y.data);
        return rt::Status::success();
      })
      .Case<ReshapeOp>([&](ReshapeOp o) {
        // Same bytes, another shape: share the buffer.
        const HostTensor &x = get(o.getInput());
        bind(o.getResult(), HostTensor::borrow(shapeOf(o), x.data, x.owner));
        return rt::Status::success();
      })
      .Case<FlipOp>([&](FlipOp o) {
        HostTensor y = result(o);
        flipAxis(ptr(o.getInput()), y.shape, o.getAxis(), y.data);
        return rt::Status::success();
      })
      .Case<ReduceMeanOp>([&](ReduceMeanOp o) {
        HostTensor y = result(o);
        reduceMean(ptr(o.getInput()), shapeOf(o.getInput()), o.getDims(), y.data);
        return rt::Status::success();
      })
      .Case<SelectiveScanOp>([&](SelectiveScanOp o) {
        // Channels-last runs as its [B, D, L] transpose.
        const bool nlc = o.getChannelsLast();
        HostTensor u = sequenceMajor(o.getU(), nlc), delta = sequenceMajor(o.getDelta(), nlc);
        HostTensor B = sequenceMajor(o.getB(), nlc), C = sequenceMajor(o.getC(), nlc);
        HostTensor z = o.getZ() ? sequenceMajor(o.getZ(), nlc) : HostTensor();
        shape::Shape a = shapeOf(o.getA());
        HostTensor out = result(o, 0), last = result(o, 1);
        HostTensor outBdl = nlc ? HostTensor::allocate(u.shape) : out;
        selectiveScan(u.data, delta.data, ptr(o.getA()), B.data, C.data, ptr(o.getD()),
                      o.getZ() ? z.data : nullptr, ptr(o.getDeltaBias()), u.shape[0], u.shape[1],
                      u.shape[2], a[1], o.getDeltaSoftplus(), o.getReverse(), outBdl.data,
                      last.data);
        if (nlc)
          permute(outBdl.data, outBdl.shape, kSwapLastTwo, out.data);
        return rt::Status::success();
      })
      .Case<KernelGroupOp>([&](KernelGroupOp g) -> rt::Status {
        // A group runs its ops in order; its region arguments are its inputs.
        Block &body = g.getBody().front();
        std::vector<HostTensor> inputs;
        for (auto [arg, input] : llvm::zip(body.getArguments(), g.getInputs())) {
          bind(arg, get(input));
          inputs.push_back(get(input));
        }
        for (Operation &inner : body) {
          if (auto yield = dyn_cast<YieldOp>(inner)) {
            std::vector<HostTensor> outs;
            for (Value v : yield.getValues())
              outs.push_back(get(v));
            release(yield);
            for (auto [r, t] : llvm::zip(g.getResults(), outs))
              bind(r, t);
            if (onKernelGroup_)
              onKernelGroup_(g, inputs, outs);
            break;
          }
          if (rt::Status s = execute(&inner); !s.ok())
            return s;
          release(&inner);
        }
        // Arguments nobody inside used are still bound: drop them.
        for (BlockArgument arg : body.getArguments())
          values_.erase(arg);
        return rt::Status::success();
      })
      .Default([&](Operation *other) {
        return rt::Status::error(fmt::format("the reference executor cannot run {}",
                                             describeOp(other)));
      });
}
} // namespace

rt::Expected<TensorMap> run(ModuleOp module, const TensorMap &inputs, const TensorMap &weights,
                            const RunOptions &options) {
  func::FuncOp entry = getEntryFunction(module);
  if (!entry)
    return rt::Status::error("the module has no entry function (@main)");
  Executor executor(weights, options);
  return executor.run(entry, inputs, options);
}

} // namespace ssmc::interp
