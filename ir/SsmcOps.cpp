//===- SsmcOps.cpp - dialect registration and op verifiers ----------------===//
//
// The verifiers only translate between MLIR types and ShapeRules: the rules
// themselves live in ShapeRules.cpp, shared with the DSL.
//
//===----------------------------------------------------------------------===//

#include "SsmcOps.h"
#include "ScanTiling.h"
#include "ShapeRules.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace ssmc;

#include "SsmcOpsDialect.cpp.inc"

void SsmcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "SsmcOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "SsmcOpsAttrs.cpp.inc"
      >();
}

#define GET_OP_CLASSES
#include "SsmcOps.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "SsmcOpsAttrs.cpp.inc"

LogicalResult ScanTilingAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t chunk,
                                     int64_t channels, int64_t splits, int64_t rowBytes,
                                     int64_t smemBytes) {
  if (chunk < 1 || channels < 1 || splits < 1 || channels * splits > 1024 || rowBytes < 0 ||
      smemBytes < 0)
    return emitError() << "scan_tiling needs chunk >= 1, channels >= 1, splits >= 1, channels x "
                          "splits <= 1024 (threads per block), row_bytes >= 0 and smem_bytes >= "
                          "0, got chunk "
                       << chunk << ", channels " << channels << ", splits " << splits
                       << ", row_bytes " << rowBytes << ", smem_bytes " << smemBytes;
  return success();
}

namespace {
LogicalResult verifyStorage(NamedAttribute attr, function_ref<InFlightDiagnostic()> emitError) {
  auto s = dyn_cast<StringAttr>(attr.getValue());
  if (!s || s.getValue() != "f32")
    return emitError() << "'" << kStorageAttr << "' must be \"f32\" (the only storage a value "
                       << "may override the module's dtype with), got " << attr.getValue();
  return success();
}
} // namespace

LogicalResult SsmcDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() == kStorageAttr)
    return verifyStorage(attr, [&] { return op->emitOpError(); });
  return success();
}

LogicalResult SsmcDialect::verifyRegionArgAttribute(Operation *op, unsigned, unsigned,
                                                    NamedAttribute attr) {
  if (attr.getName() == kStorageAttr)
    return verifyStorage(attr, [&] { return op->emitOpError(); });
  return success();
}

bool ssmc::isStoredAsF32(Value v) {
  if (auto r = dyn_cast<OpResult>(v)) {
    Operation *op = r.getOwner();
    if (auto g = dyn_cast<KernelGroupOp>(op))
      return isStoredAsF32(g.getBody().front().getTerminator()->getOperand(r.getResultNumber()));
    return op->hasAttr(kStorageAttr);
  }
  auto arg = cast<BlockArgument>(v);
  Operation *parent = arg.getOwner()->getParentOp();
  if (auto g = dyn_cast_or_null<KernelGroupOp>(parent))
    return isStoredAsF32(g.getInputs()[arg.getArgNumber()]);
  if (auto f = dyn_cast_or_null<func::FuncOp>(parent))
    return f.getArgAttr(arg.getArgNumber(), kStorageAttr) != nullptr;
  return false;
}

func::FuncOp ssmc::getEntryFunction(ModuleOp module) {
  func::FuncOp only;
  int count = 0;
  for (auto f : module.getOps<func::FuncOp>()) {
    if (f.getName() == "main")
      return f;
    only = f;
    ++count;
  }
  return count == 1 ? only : func::FuncOp();
}

namespace {
shape::Shape shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return shape::Shape(t.getShape().begin(), t.getShape().end());
}

/// The shape of an optional operand, nullopt when it is absent.
std::optional<shape::Shape> optShapeOf(Value v) {
  if (!v)
    return std::nullopt;
  return shapeOf(v);
}

shape::Shape toShape(ArrayRef<int64_t> a) { return shape::Shape(a.begin(), a.end()); }

/// Checks that every shape is static and the element types agree.
LogicalResult checkStaticAndTyped(Operation *op) {
  Type elem;
  SmallVector<Value> values(op->getOperands());
  llvm::append_range(values, op->getResults());
  for (Value v : values) {
    auto t = cast<RankedTensorType>(v.getType());
    if (!t.hasStaticShape())
      return op->emitOpError() << "needs static shapes, got " << t;
    if (!elem)
      elem = t.getElementType();
    else if (elem != t.getElementType())
      return op->emitOpError() << "mixes element types " << elem << " and "
                               << t.getElementType();
  }
  return success();
}

/// Verifies the single result against the inferred shape.
template <class InferredT>
LogicalResult expectResult(Operation *op, const InferredT &inferred, Value result) {
  if (!inferred.ok())
    return op->emitOpError() << inferred.error;
  shape::Shape got = shapeOf(result);
  if (got != inferred.value)
    return op->emitOpError() << "result is " << shape::str(got) << ", expected "
                             << shape::str(inferred.value);
  return success();
}
} // namespace

LogicalResult WeightOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a non-empty parameter name";
  if (auto order = getStoredAs()) {
    const size_t rank = cast<RankedTensorType>(getType()).getRank();
    std::vector<bool> seen(rank, false);
    for (int64_t axis : *order) {
      if (axis < 0 || size_t(axis) >= rank || seen[size_t(axis)])
        return emitOpError() << "stored_as must be a permutation of the " << rank
                             << " axes of its tensor";
      seen[size_t(axis)] = true;
    }
    if (order->size() != rank)
      return emitOpError() << "stored_as must be a permutation of the " << rank
                           << " axes of its tensor";
  }
  if (auto zeros = getInsertedZeros()) {
    auto type = cast<RankedTensorType>(getType());
    const int64_t rank = type.getRank();
    bool ok = zeros->size() >= 3 && zeros->size() % 2 == 1 && (*zeros)[0] >= 0 &&
              (*zeros)[0] < rank && type.hasStaticShape();
    int64_t inserted = 0;
    for (size_t i = 1; ok && i < zeros->size(); i += 2) {
      ok = (*zeros)[i] >= (i > 1 ? (*zeros)[i - 2] + 1 : 0) && (*zeros)[i + 1] > 0;
      inserted += ok ? (*zeros)[i + 1] : 0;
    }
    if (!ok)
      return emitOpError() << "inserted_zeros must be [axis, at, count, ...] with places "
                              "ascending and counts above 0";
    const int64_t checkpointLength = type.getShape()[size_t((*zeros)[0])] - inserted;
    if (checkpointLength < 0 || (*zeros)[zeros->size() - 2] > checkpointLength)
      return emitOpError() << "inserted_zeros places lie past the checkpoint's " << checkpointLength
                           << " slices";
  }
  if (auto pitch = getRowPitch()) {
    auto type = cast<RankedTensorType>(getType());
    if (type.getRank() < 1 || getStoredAs())
      return emitOpError() << "row_pitch needs a tensor of rank 1 or more, and no stored_as";
    if (!type.isDynamicDim(type.getRank() - 1) && int64_t(*pitch) < type.getShape().back())
      return emitOpError() << "row_pitch " << *pitch << " is shorter than a row ("
                           << type.getShape().back() << " elements)";
  }
  return checkStaticAndTyped(*this);
}

std::vector<int64_t> WeightOp::checkpointShape() {
  auto shape = cast<RankedTensorType>(getType()).getShape();
  std::vector<int64_t> dims(shape.begin(), shape.end());
  if (auto zeros = getInsertedZeros())
    for (size_t i = 2; i < zeros->size(); i += 2)
      dims[size_t((*zeros)[0])] -= (*zeros)[i];
  return dims;
}

LogicalResult LinearOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  return expectResult(*this,
                      shape::linear(shapeOf(getInput()), shapeOf(getWeight()),
                                    optShapeOf(getBias())),
                      getResult());
}

LogicalResult Conv2dOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  // Channels-last is the NCHW rule seen through NHWC <-> NCHW permutes.
  const bool nhwc = getChannelsLast();
  auto toNCHW = [&](shape::Shape s) {
    return nhwc && s.size() == 4 ? shape::Shape{s[0], s[3], s[1], s[2]} : s;
  };
  shape::Inferred<shape::Shape> inferred =
      shape::conv2d(toNCHW(shapeOf(getInput())), shapeOf(getWeight()), optShapeOf(getBias()),
                    toShape(getStride()), toShape(getPadding()), getGroups());
  if (nhwc && !inferred.ok())
    inferred.error = "(channels_last, checked as its NCHW transpose) " + inferred.error;
  if (nhwc && inferred.ok() && inferred.value.size() == 4) {
    shape::Shape &y = inferred.value;
    y = {y[0], y[2], y[3], y[1]};
  }
  return expectResult(*this, inferred, getResult());
}

LogicalResult DepthwiseConv2dOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  return expectResult(*this,
                      shape::depthwiseConv2d(shapeOf(getInput()), shapeOf(getWeight()),
                                             optShapeOf(getBias())),
                      getResult());
}

/// [B, L, D] <-> [B, D, L]: a channels-last sequence op is checked as its
/// transpose (the rank is checked by the rule itself).
static shape::Shape swapLastTwo(shape::Shape s, bool swap) {
  if (swap && s.size() == 3)
    std::swap(s[1], s[2]);
  return s;
}

LogicalResult CausalConv1dOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  const bool nlc = getChannelsLast();
  shape::Inferred<shape::Shape> inferred = shape::causalConv1d(
      swapLastTwo(shapeOf(getInput()), nlc), shapeOf(getWeight()), optShapeOf(getBias()));
  if (nlc && !inferred.ok())
    inferred.error = "(channels_last, checked as its [B, D, L] transpose) " + inferred.error;
  if (inferred.ok())
    inferred.value = swapLastTwo(inferred.value, nlc);
  return expectResult(*this, inferred, getResult());
}

LogicalResult LayerNormOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  if (!(getEps().convertToDouble() > 0)) // also refuses NaN
    return emitOpError() << "eps must be positive";
  return expectResult(*this,
                      shape::layerNorm(shapeOf(getInput()), shapeOf(getWeight()),
                                       optShapeOf(getBias())),
                      getResult());
}

LogicalResult RmsNormOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  if (!(getEps().convertToDouble() > 0)) // also refuses NaN
    return emitOpError() << "eps must be positive";
  return expectResult(*this,
                      shape::layerNorm(shapeOf(getInput()), shapeOf(getWeight()), std::nullopt),
                      getResult());
}

// Elementwise ops keep their type; they only need static shapes.
LogicalResult GeluOp::verify() { return checkStaticAndTyped(*this); }
LogicalResult SiluOp::verify() { return checkStaticAndTyped(*this); }
LogicalResult SoftplusOp::verify() { return checkStaticAndTyped(*this); }
LogicalResult ExpOp::verify() { return checkStaticAndTyped(*this); }
LogicalResult NegOp::verify() { return checkStaticAndTyped(*this); }
LogicalResult ScaleOp::verify() { return checkStaticAndTyped(*this); }

LogicalResult AddOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  return expectResult(*this, shape::broadcast(shapeOf(getLhs()), shapeOf(getRhs())), getResult());
}

LogicalResult MulOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  return expectResult(*this, shape::broadcast(shapeOf(getLhs()), shapeOf(getRhs())), getResult());
}

LogicalResult SplitOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  if (getResults().empty())
    return emitOpError() << "needs at least one result";
  shape::Shape in = shapeOf(getInput());
  auto axis = shape::normalizeAxis(getAxis(), in.size());
  if (!axis || getAxis() < 0)
    return emitOpError() << "axis " << getAxis() << " is not an axis of input "
                         << shape::str(in);
  shape::Shape sizes;
  for (Value r : getResults()) {
    shape::Shape rs = shapeOf(r);
    if (rs.size() != in.size())
      return emitOpError() << "result " << shape::str(rs) << " has another rank than input "
                           << shape::str(in);
    sizes.push_back(rs[*axis]);
  }
  auto parts = shape::split(in, *axis, sizes);
  if (!parts.ok())
    return emitOpError() << parts.error;
  for (auto [i, r] : llvm::enumerate(getResults()))
    if (shapeOf(r) != parts.value[i])
      return emitOpError() << "result #" << i << " is " << shape::str(shapeOf(r))
                           << ", expected " << shape::str(parts.value[i]);
  return success();
}

LogicalResult SliceOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  shape::Shape in = shapeOf(getInput()), out = shapeOf(getResult());
  const int64_t axis = getAxis();
  if (axis < 0 || axis >= static_cast<int64_t>(in.size()) || out.size() != in.size())
    return emitOpError() << "axis " << axis << " is not an axis of input " << shape::str(in)
                         << " and result " << shape::str(out);
  return expectResult(*this,
                      shape::slice(in, axis, getStart(), out[axis]),
                      getResult());
}

LogicalResult ConcatOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  std::vector<shape::Shape> ins;
  for (Value v : getInputs())
    ins.push_back(shapeOf(v));
  const int64_t axis = getAxis();
  if (axis < 0)
    return emitOpError() << "axis must be non-negative, got " << axis;
  return expectResult(*this, shape::concat(ins, axis), getResult());
}

LogicalResult PermuteOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  return expectResult(*this, shape::permute(shapeOf(getInput()), toShape(getPerm())),
                      getResult());
}

LogicalResult ReshapeOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  return expectResult(*this, shape::reshape(shapeOf(getInput()), shapeOf(getResult())),
                      getResult());
}

LogicalResult FlipOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  const int64_t axis = getAxis();
  if (axis < 0)
    return emitOpError() << "axis must be non-negative, got " << axis;
  return expectResult(*this, shape::flip(shapeOf(getInput()), axis), getResult());
}

LogicalResult ReduceMeanOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  return expectResult(*this,
                      shape::reduceMean(shapeOf(getInput()), toShape(getDims()), getKeepdim()),
                      getResult());
}

LogicalResult SelectiveScanOp::verify() {
  if (failed(checkStaticAndTyped(*this)))
    return failure();
  // Channels-last is the [B, D, L] rule seen through transposes.
  const bool nlc = getChannelsLast();
  auto seq = [&](Value v) { return swapLastTwo(shapeOf(v), nlc); };
  std::optional<shape::Shape> z;
  if (getZ())
    z = seq(getZ());
  shape::ScanOperands s{seq(getU()),
                        seq(getDelta()),
                        shapeOf(getA()),
                        seq(getB()),
                        seq(getC()),
                        optShapeOf(getD()),
                        z,
                        optShapeOf(getDeltaBias())};
  auto inferred = shape::selectiveScan(s);
  if (!inferred.ok())
    return emitOpError() << (nlc ? "(channels_last, checked as its [B, D, L] transpose) " : "")
                         << inferred.error;
  inferred.value.out = swapLastTwo(inferred.value.out, nlc);
  if (shapeOf(getOut()) != inferred.value.out)
    return emitOpError() << "result 'out' is " << shape::str(shapeOf(getOut())) << ", expected "
                         << shape::str(inferred.value.out);
  if (shapeOf(getLastState()) != inferred.value.lastState)
    return emitOpError() << "result 'last_state' is " << shape::str(shapeOf(getLastState()))
                         << ", expected " << shape::str(inferred.value.lastState);
  // The tiling states the kernel's shared memory; it must be what the
  // kernel will take for this chunk.
  if (ScanTilingAttr tiling = getTilingAttr()) {
    const int64_t states = shapeOf(getA())[1];
    // Rows are staged only where the scan's operands are such rows.
    if (const int64_t rows = tiling.getRowBytes(), allowed = rows ? stagedRowBytes(*this) : 0;
        rows && rows != allowed)
      return emitOpError() << "tiling row_bytes " << rows << ", but "
                           << (allowed ? "B's rows take " + std::to_string(allowed) + " bytes"
                                       : std::string("B, C and dt_proj's inputs are not columns of "
                                                     "one kernel group input [batch, length, P]"))
                           << " (drop row_bytes to stage values)";
    const int64_t want =
        scanSharedBytes(states, stagedDeltaInputs(*this), tiling.getChunk(), tiling.getChannels(),
                        tiling.getSplits(), tiling.getRowBytes(), scanSequenceTiles(*this));
    if (tiling.getSmemBytes() != want)
      return emitOpError() << "tiling smem_bytes " << tiling.getSmemBytes()
                           << " is not what a chunk of " << tiling.getChunk() << " steps stages"
                           << (tiling.getSplits() > 1
                                   ? " in " + std::to_string(tiling.getSplits()) + " parts of " +
                                         std::to_string(tiling.getChannels()) + " channels"
                                   : std::string())
                           << " (" << want << " bytes)";
  }
  return success();
}

LogicalResult KernelGroupOp::verify() {
  if (getName().empty())
    return emitOpError() << "needs a name (g<NN>_<ops it fuses>)";
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError() << "has " << getInputs().size() << " inputs but its region takes "
                         << body.getNumArguments() << " arguments";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getInputs(), body.getArguments())))
    if (std::get<0>(pair).getType() != std::get<1>(pair).getType())
      return emitOpError() << "input #" << i << " is " << std::get<0>(pair).getType()
                           << " but region argument #" << i << " is "
                           << std::get<1>(pair).getType();
  auto yield = cast<YieldOp>(body.getTerminator());
  if (yield.getValues().size() != getNumResults())
    return emitOpError() << "yields " << yield.getValues().size() << " values but has "
                         << getNumResults() << " results";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(yield.getValues(), getResults())))
    if (std::get<0>(pair).getType() != std::get<1>(pair).getType())
      return emitOpError() << "yields " << std::get<0>(pair).getType() << " as result #" << i
                           << ", which is " << std::get<1>(pair).getType();
  for (Operation &op : body.without_terminator())
    if (isa<KernelGroupOp>(op))
      return op.emitOpError() << "kernel groups do not nest";
  return success();
}
