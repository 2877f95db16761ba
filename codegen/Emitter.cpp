//===- Emitter.cpp - index functions of a kernel group's values -----------===//

#include "Emitter.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <set>

using namespace mlir;

namespace ssmc::codegen {

std::string floatLiteral(double v) {
  float f = static_cast<float>(v);
  if (std::isinf(f))
    return f > 0 ? "__int_as_float(0x7f800000)" : "__int_as_float(0xff800000)";
  if (std::isnan(f))
    return "__int_as_float(0x7fc00000)";
  std::string s = fmt::format("{}", f); // shortest round-trip form
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s + "f";
}

namespace {
/// The unsigned type of a `bytes`-wide raw access.
const char *rawType(int64_t bytes) {
  return bytes == 16 ? "uint4" : bytes == 8 ? "uint2" : "unsigned";
}

/// `count` floats at p (fp32 storage, `count` 2 or a multiple of 4) by the
/// widest accesses (16 or 8 bytes), as statements reading `out` or writing
/// `v`. A store is an aligned struct, one access as the host trace sees it
/// too.
std::string f32Pieces(int64_t count, bool store) {
  if (store) {
    const int64_t per = count % 4 ? 2 : 4;
    return fmt::format("    struct alignas({0}) Raw {{\n      float f[{1}];\n    }};\n"
                       "#pragma unroll\n    for (int t = 0; t < {2}; ++t) {{\n"
                       "      Raw raw;\n#pragma unroll\n      for (int i = 0; i < {1}; ++i)\n"
                       "        raw.f[i] = v[{1} * t + i];\n"
                       "      reinterpret_cast<Raw *>(p)[t] = raw;\n    }}\n",
                       per * 4, per, count / per);
  }
  if (count % 4 != 0) // 2 floats: one 8-byte load
    return "    const float2 q = __ldg(reinterpret_cast<const float2 *>(p));\n"
           "    out[0] = q.x;\n    out[1] = q.y;\n";
  return fmt::format("#pragma unroll\n    for (int t = 0; t < {}; ++t) {{\n"
                     "      const float4 q = __ldg(reinterpret_cast<const float4 *>(p) + t);\n"
                     "      out[4 * t] = q.x;\n      out[4 * t + 1] = q.y;\n"
                     "      out[4 * t + 2] = q.z;\n      out[4 * t + 3] = q.w;\n    }}\n",
                     count / 4);
}
} // namespace

std::string loadMethod(int64_t bytes, int64_t vec, bool f32Overload) {
  std::string m =
      fmt::format("  // One {0}-byte load (LDG.{1}) of read-only data, then V values.\n"
                  "  __device__ __forceinline__ void load{0}(const T *p, float *out) {{\n"
                  "    const {2} raw = __ldg(reinterpret_cast<const {2} *>(p));\n"
                  "    const T *vals = reinterpret_cast<const T *>(&raw);\n"
                  "#pragma unroll\n    for (int t = 0; t < {3}; ++t)\n"
                  "      out[t] = ld(vals[t]);\n  }}\n",
                  bytes, bytes * 8, rawType(bytes), vec);
  if (f32Overload)
    m += fmt::format("  // The same V values of a tensor kept in fp32.\n"
                     "  __device__ __forceinline__ void load{}(const float *p, float *out) {{\n"
                     "{}  }}\n",
                     bytes, f32Pieces(vec, false));
  return m;
}

std::string storeMethod(int64_t bytes, int64_t vec, bool f32Overload) {
  std::string m =
      fmt::format("  // V values as one {0}-byte store (STG.{1}).\n"
                  "  __device__ __forceinline__ void store{0}(T *p, const float *v) {{\n"
                  "    struct alignas({0}) Raw {{\n      T t[{2}];\n    }} raw;\n"
                  "#pragma unroll\n    for (int t = 0; t < {2}; ++t)\n"
                  "      raw.t[t] = st(v[t]);\n"
                  "    *reinterpret_cast<Raw *>(p) = raw; // p is {0}-byte aligned\n  }}\n",
                  bytes, bytes * 8, vec);
  if (f32Overload)
    m += fmt::format("  // The same V values into a tensor kept in fp32.\n"
                     "  __device__ __forceinline__ void store{}(float *p, const float *v) {{\n"
                     "{}  }}\n",
                     bytes, f32Pieces(vec, true));
  return m;
}

std::string identifier(std::string_view text) {
  std::string out;
  for (char c : text)
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
    out = "_" + out;
  return out;
}

std::optional<std::vector<std::pair<size_t, size_t>>>
unitDimReshape(const std::vector<int64_t> &from, const std::vector<int64_t> &to) {
  std::vector<size_t> fromBig, toBig;
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1)
      fromBig.push_back(i);
  for (size_t i = 0; i < to.size(); ++i)
    if (to[i] != 1)
      toBig.push_back(i);
  if (fromBig.size() != toBig.size())
    return std::nullopt;
  std::vector<std::pair<size_t, size_t>> axes;
  for (size_t k = 0; k < fromBig.size(); ++k) {
    if (from[fromBig[k]] != to[toBig[k]])
      return std::nullopt;
    axes.push_back({fromBig[k], toBig[k]});
  }
  return axes;
}

GroupEmitter::GroupEmitter(KernelGroupOp group, rt::DType dtype, AsmState &state)
    : group_(group), dtype_(dtype), state_(state) {}

std::vector<int64_t> GroupEmitter::shape(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

int64_t GroupEmitter::numElements(Value v) {
  int64_t n = 1;
  for (int64_t d : shape(v))
    n *= d;
  return n;
}

const std::string &GroupEmitter::name(Value v) const { return names_.find(v)->second; }

std::string GroupEmitter::dim(Value v, unsigned i) const {
  return fmt::format("{}_d{}", name(v), i);
}

std::vector<std::string> GroupEmitter::indexNames(const std::string &prefix, size_t rank) {
  std::vector<std::string> out;
  for (size_t i = 0; i < rank; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

std::string GroupEmitter::call(Value v, const std::vector<std::string> &index) const {
  return fmt::format("{}({})", name(v), fmt::join(index, ", "));
}

std::string GroupEmitter::linear(Value v, const std::vector<std::string> &index) const {
  if (index.empty())
    return "0";
  auto atom = [](const std::string &x) {
    bool simple = std::all_of(x.begin(), x.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    return simple ? x : "(" + x + ")";
  };
  std::string e = atom(index[0]);
  for (size_t i = 1; i < index.size(); ++i)
    e = fmt::format("({} * {} + {})", e, dim(v, i), atom(index[i]));
  return e;
}

std::string GroupEmitter::delinearize(Value v, const std::string &flat, const std::string &prefix,
                                      const std::string &indent) const {
  return delinearizePrefix(v, shape(v).size(), flat, prefix, indent);
}

std::string GroupEmitter::delinearizePrefix(Value v, size_t count, const std::string &flat,
                                            const std::string &prefix,
                                            const std::string &indent) const {
  if (count == 0)
    return "";
  if (count == 1)
    return fmt::format("{}const idx_t {}0 = {};\n", indent, prefix, flat);
  std::string s = fmt::format("{}idx_t {}_rest = {};\n", indent, prefix, flat);
  for (size_t i = count; i-- > 1;)
    s += fmt::format("{0}const idx_t {1}{2} = {1}_rest % {3};\n{0}{1}_rest /= {3};\n", indent,
                     prefix, i, dim(v, i));
  s += fmt::format("{}const idx_t {}0 = {}_rest;\n", indent, prefix, prefix);
  return s;
}

rt::Status GroupEmitter::unsupported(Operation *op, const std::string &why) const {
  std::string loc;
  llvm::raw_string_ostream os(loc);
  op->getLoc().print(os);
  return rt::Status::error(fmt::format("kernel group '{}': cannot generate CUDA for '{}' at {}: {}",
                                       groupName_, op->getName().getStringRef().str(), os.str(),
                                       why));
}

bool GroupEmitter::dependsOn(Value v, const llvm::DenseSet<Value> &roots,
                             llvm::DenseMap<Value, bool> &memo) {
  if (roots.contains(v))
    return true;
  auto it = memo.find(v);
  if (it != memo.end())
    return it->second;
  bool result = false;
  if (Operation *def = v.getDefiningOp())
    for (Value operand : def->getOperands())
      if (dependsOn(operand, roots, memo)) {
        result = true;
        break;
      }
  memo[v] = result;
  return result;
}

rt::Status GroupEmitter::init() {
  groupName_ = group_.getName().str();
  entry_ = identifier(groupName_);
  Block &body = group_.getBody().front();

  // Local names, so that identical groups (the same block in another layer)
  // give identical code: group inputs a0, a1, ...; the results of the k-th
  // op vK (vK_0, vK_1, ... for several). Comments give the dump's names.
  std::set<std::string> used;
  unsigned opIndex = 0;
  auto assign = [&](Value v, std::string n) {
    used.insert(n);
    names_[v] = std::move(n);
  };
  int64_t largest = 0;
  auto checkType = [&](Value v, Operation *where) -> rt::Status {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t || !t.hasStaticShape())
      return unsupported(where, "every value needs a static shape");
    largest = std::max(largest, t.getNumElements());
    return rt::Status::success();
  };

  for (BlockArgument arg : body.getArguments()) {
    assign(arg, fmt::format("a{}", arg.getArgNumber()));
    if (rt::Status s = checkType(arg, group_); !s.ok())
      return s;
    rt::PlanParam p;
    p.kind = rt::PlanParam::Kind::Input;
    p.index = arg.getArgNumber();
    p.name = inputParam(arg.getArgNumber());
    p.shape = shape(arg);
    p.dtype = storageOf(arg);
    p.bytes = numElements(arg) * int64_t(rt::dtypeSize(p.dtype));
    params_.push_back(p);
    pointerOf_[arg] = p.name;
  }
  std::map<std::string, std::string> weightParam; // state_dict name -> C++ name
  for (Operation &op : body.without_terminator()) {
    for (OpResult r : op.getResults()) {
      assign(r, op.getNumResults() == 1 ? fmt::format("v{}", opIndex)
                                        : fmt::format("v{}_{}", opIndex, r.getResultNumber()));
      if (rt::Status s = checkType(r, &op); !s.ok())
        return s;
    }
    if (auto w = dyn_cast<WeightOp>(op)) {
      std::string wname = w.getName().str();
      auto it = weightParam.find(wname);
      if (it == weightParam.end()) {
        rt::PlanParam p;
        p.kind = rt::PlanParam::Kind::Weight;
        p.weight = wname;
        p.name = fmt::format("w{}", weightParam.size());
        p.shape = shape(w);
        p.dtype = dtype_;
        p.bytes = numElements(w) * int64_t(rt::dtypeSize(dtype_));
        params_.push_back(p);
        it = weightParam.emplace(wname, p.name).first;
      }
      pointerOf_[w.getResult()] = it->second;
    }
    ++opIndex;
  }
  auto yield = cast<YieldOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    rt::PlanParam p;
    p.kind = rt::PlanParam::Kind::Output;
    p.index = i;
    p.name = outputParam(i);
    p.shape = shape(v);
    p.dtype = storageOf(v);
    p.bytes = numElements(v) * int64_t(rt::dtypeSize(p.dtype));
    params_.push_back(p);
  }
  // 32-bit index arithmetic unless some tensor (or a grid-stride step past
  // its end) could overflow it.
  wide_ = largest >= (int64_t(1) << 30);

  // In-place results (memory planning): an output may share its buffer with
  // an input, so neither may be declared __restrict__.
  if (auto offsets = group_->getAttrOfType<DenseI64ArrayAttr>(ssmc::kArenaOffsetsAttr)) {
    std::set<int64_t> inputOffsets;
    for (Value in : group_.getInputs())
      if (auto res = dyn_cast<OpResult>(in))
        if (auto defOffsets =
                res.getOwner()->getAttrOfType<DenseI64ArrayAttr>(ssmc::kArenaOffsetsAttr))
          if (res.getResultNumber() < defOffsets.size())
            inputOffsets.insert(defOffsets[res.getResultNumber()]);
    for (int64_t o : offsets.asArrayRef())
      if (inputOffsets.count(o))
        mayAlias_ = true;
  }
  return rt::Status::success();
}

rt::DType GroupEmitter::storageOf(Value v) const {
  return dtype_ != rt::DType::F32 && isStoredAsF32(v) ? rt::DType::F32 : dtype_;
}

bool GroupEmitter::keptInF32(const rt::PlanParam &p) const {
  return p.kind != rt::PlanParam::Kind::Workspace && p.dtype != dtype_;
}

bool GroupEmitter::anyKeptInF32() const {
  return llvm::any_of(params_, [&](const rt::PlanParam &p) { return keptInF32(p); });
}

const rt::PlanParam &GroupEmitter::outputParamInfo(unsigned i) const {
  for (const rt::PlanParam &p : params_)
    if (p.kind == rt::PlanParam::Kind::Output && p.index == int64_t(i))
      return p;
  llvm_unreachable("no such group result");
}

std::string GroupEmitter::storeValue(unsigned result, const std::string &value) const {
  return keptInF32(outputParamInfo(result)) ? value : fmt::format("st({})", value);
}

std::string GroupEmitter::pointee(const rt::PlanParam &p) const {
  return keptInF32(p) ? "float" : "T";
}

void GroupEmitter::addWorkspace(int64_t bytes) {
  rt::PlanParam p;
  p.kind = rt::PlanParam::Kind::Workspace;
  p.name = "ws";
  p.shape = {bytes};
  p.dtype = rt::DType::F32;
  p.bytes = bytes;
  params_.push_back(p);
}

rt::PlanKernel GroupEmitter::kernel(std::string kind, std::string source,
                                    std::vector<std::string> tunables) const {
  rt::PlanKernel k;
  k.name = groupName_;
  k.entry = entry_;
  k.kind = std::move(kind);
  k.sourceFile = fmt::format("kernels/{}.cu", groupName_);
  k.source = std::move(source);
  k.ops = fusedOps();
  k.tunables = std::move(tunables);
  k.defaultConfig = 0; // every emitter lists its default configuration first
  k.params = params_;
  return k;
}

std::vector<std::string> GroupEmitter::fusedOps() const {
  std::vector<std::string> ops;
  for (Operation &op : group_.getBody().front().without_terminator())
    if (!isa<WeightOp>(op))
      ops.push_back(op.getName().getStringRef().str());
  return ops;
}

std::string GroupEmitter::opText(Operation *op) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os, state_);
  std::string s = os.str();
  for (char &c : s)
    if (c == '\n' || c == '\r' || c == '\\')
      c = ' ';
  constexpr size_t kMax = 220;
  if (s.size() > kMax) {
    // Keep the op and its operands; shorten the type signature.
    size_t colon = s.find(" : ");
    if (colon != std::string::npos && colon < kMax)
      s = s.substr(0, colon) + " : ...";
    if (s.size() > kMax)
      s = s.substr(0, kMax - 4) + " ...";
  }
  return s;
}

std::string GroupEmitter::header(const std::string &kind, const std::vector<std::string> &notes,
                                 const std::vector<std::pair<std::string, std::string>> &tunables)
    const {
  std::string h;
  h += fmt::format("// ssmc kernel {} ({})\n", groupName_, kind);
  auto module = group_->getParentOfType<ModuleOp>();
  if (module)
    if (auto model = module->getAttrOfType<StringAttr>(ssmc::kModelAttr))
      h += fmt::format("// model: {}\n", model.getValue().str());
  h += fmt::format("// storage: {} (T){}, arithmetic and accumulation: fp32\n",
                   rt::planDTypeName(dtype_),
                   anyKeptInF32() ? ", the tensors marked f32 below in fp32" : "");
  for (const std::string &n : notes)
    h += "// " + n + "\n";
  h += "//\n// Fused ops (MLIR, with locations):\n";
  for (Operation &op : group_.getBody().front().without_terminator()) {
    if (isa<WeightOp>(op))
      continue;
    std::string loc;
    llvm::raw_string_ostream los(loc);
    op.getLoc().print(los);
    h += fmt::format("//   {}\n//       at {}\n", opText(&op), los.str());
  }
  h += "//\n// Parameters:\n";
  for (const rt::PlanParam &p : params_) {
    std::string what;
    switch (p.kind) {
    case rt::PlanParam::Kind::Input:
      what = fmt::format("group input #{}", p.index);
      break;
    case rt::PlanParam::Kind::Weight:
      what = fmt::format("weight \"{}\"", p.weight);
      break;
    case rt::PlanParam::Kind::Output:
      what = fmt::format("group result #{}", p.index);
      break;
    case rt::PlanParam::Kind::Workspace:
      what = fmt::format("workspace: {} bytes of int32 counters, then fp32 scratch",
                         rt::kWorkspaceCounterBytes);
      break;
    }
    h += fmt::format("//   {:<24} {} [{}]{}\n", p.name, what, fmt::join(p.shape, ", "),
                     p.kind == rt::PlanParam::Kind::Workspace
                         ? std::string(" bytes")
                         : " " + std::string(rt::planDTypeName(p.dtype)));
  }
  if (!tunables.empty()) {
    h += "//\n// Tunables (defaults below; another configuration: -DSSMC_<NAME>=<value>):\n";
    for (const auto &[n, what] : tunables)
      h += fmt::format("//   SSMC_{:<16} {}\n", n, what);
  }
  return h;
}

std::string GroupEmitter::prelude() const {
  std::string s;
  switch (dtype_) {
  default: // rt::DType::F32
    s += "typedef float T;\n"
         "__device__ __forceinline__ float ld(T x) { return x; }\n"
         "__device__ __forceinline__ T st(float x) { return x; }\n";
    break;
  case rt::DType::BF16:
    s += "#include <cuda_bf16.h>\n"
         "typedef __nv_bfloat16 T;\n"
         "__device__ __forceinline__ float ld(T x) { return __bfloat162float(x); }\n"
         "__device__ __forceinline__ T st(float x) { return __float2bfloat16(x); }\n"
         "__device__ __forceinline__ float ld(float x) { return x; } // tensors kept in fp32\n";
    break;
  case rt::DType::F16:
    s += "#include <cuda_fp16.h>\n"
         "typedef __half T;\n"
         "__device__ __forceinline__ float ld(T x) { return __half2float(x); }\n"
         "__device__ __forceinline__ T st(float x) { return __float2half(x); }\n"
         "__device__ __forceinline__ float ld(float x) { return x; } // tensors kept in fp32\n";
    break;
  }
  s += fmt::format("typedef {} idx_t;\n", wide_ ? "long long" : "int");
  s += R"(
// Elementwise math in fp32, as the reference executor defines it.
__device__ __forceinline__ float ssmc_gelu(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
__device__ __forceinline__ float ssmc_silu(float x) { return x / (1.0f + expf(-x)); }
__device__ __forceinline__ float ssmc_softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }
)";
  return s;
}

bool mentions(const std::string &code, const std::string &word) {
  for (size_t at = code.find(word); at != std::string::npos; at = code.find(word, at + 1)) {
    auto isWord = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    bool before = at > 0 && isWord(code[at - 1]);
    bool after = at + word.size() < code.size() && isWord(code[at + word.size()]);
    if (!before && !after)
      return true;
  }
  return false;
}

std::string GroupEmitter::shapeConstants(const std::string &code) const {
  std::string s = "// Shapes of the group's values (row-major, contiguous); those the code uses.\n";
  auto emit = [&](Value v) {
    std::vector<int64_t> sh = shape(v);
    std::vector<std::string> parts;
    for (size_t i = 0; i < sh.size(); ++i)
      if (mentions(code, dim(v, i)))
        parts.push_back(fmt::format("{} = {}", dim(v, i), sh[i]));
    if (!parts.empty())
      s += fmt::format("constexpr idx_t {}; // [{}]\n", fmt::join(parts, ", "),
                       fmt::join(sh, ", "));
  };
  Block &body = group_.getBody().front();
  for (BlockArgument a : body.getArguments())
    emit(a);
  for (Operation &op : body.without_terminator())
    for (Value r : op.getResults())
      emit(r);
  return s;
}

std::string GroupEmitter::kernelParams() const {
  std::vector<std::string> ps;
  const char *restrict = mayAlias_ ? "" : "__restrict__ ";
  for (const rt::PlanParam &p : params_) {
    switch (p.kind) {
    case rt::PlanParam::Kind::Input:
      ps.push_back(fmt::format("const {} *{}{}", pointee(p), restrict, p.name));
      break;
    case rt::PlanParam::Kind::Weight:
      ps.push_back(fmt::format("const T *__restrict__ {}", p.name));
      break;
    case rt::PlanParam::Kind::Output:
      ps.push_back(fmt::format("{} *{}{}", pointee(p), restrict, p.name));
      break;
    case rt::PlanParam::Kind::Workspace:
      ps.push_back(fmt::format("float *__restrict__ {}", p.name));
      break;
    }
  }
  return fmt::format("{}", fmt::join(ps, ",\n    "));
}

std::string GroupEmitter::outputMembers() const {
  std::string s;
  for (const rt::PlanParam &p : params_)
    if (p.kind == rt::PlanParam::Kind::Output)
      s += fmt::format("  {} *{}{};\n", pointee(p), mayAlias_ ? "" : "__restrict__ ", p.name);
  return s;
}

std::string GroupEmitter::outputNames() const {
  std::vector<std::string> names;
  for (const rt::PlanParam &p : params_)
    if (p.kind == rt::PlanParam::Kind::Output)
      names.push_back(p.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

std::string GroupEmitter::groupInit(const std::string &extra) const {
  std::vector<std::string> names;
  for (const rt::PlanParam &p : params_)
    if (p.kind == rt::PlanParam::Kind::Input || p.kind == rt::PlanParam::Kind::Weight)
      names.push_back(p.name);
  if (!extra.empty())
    names.push_back(extra);
  return fmt::format("Group g{{{}}};", fmt::join(names, ", "));
}

rt::Expected<std::string>
GroupEmitter::groupStruct(const llvm::DenseMap<Value, std::string> &custom,
                          const std::string &extraMembers) const {
  std::string s = "struct Group {\n";
  const char *restrict = mayAlias_ ? "" : "__restrict__ ";
  for (const rt::PlanParam &p : params_)
    if (p.kind == rt::PlanParam::Kind::Input)
      s += fmt::format("  const {} *{}{};\n", pointee(p), restrict, p.name);
    else if (p.kind == rt::PlanParam::Kind::Weight)
      s += fmt::format("  const T *__restrict__ {};\n", p.name);
  s += extraMembers;
  Block &body = group_.getBody().front();
  auto signature = [&](Value v) {
    std::vector<std::string> args;
    for (const std::string &i : indexNames("i", shape(v).size()))
      args.push_back("idx_t " + i);
    return fmt::format("  __device__ __forceinline__ float {}({})", name(v),
                       fmt::join(args, ", "));
  };
  for (BlockArgument arg : body.getArguments()) {
    std::string dumpName;
    llvm::raw_string_ostream os(dumpName);
    arg.printAsOperand(os, state_);
    s += fmt::format("\n  // {}: group input #{} ({})\n", name(arg), arg.getArgNumber(), os.str());
    auto it = custom.find(arg);
    s += signature(arg) + " {\n    " +
         (it != custom.end()
              ? it->second
              : loadParam(pointerOf_.find(arg)->second, arg, indexNames("i", shape(arg).size()))) +
         "\n  }\n";
  }
  for (Operation &op : body.without_terminator()) {
    for (OpResult r : op.getResults()) {
      std::string text;
      auto it = custom.find(r);
      if (it != custom.end()) {
        text = it->second;
      } else {
        auto b = valueBody(&op, r.getResultNumber());
        if (!b)
          return b.status();
        text = *b;
      }
      std::string comment = isa<WeightOp>(op)
                                ? fmt::format("weight \"{}\"", cast<WeightOp>(op).getName().str())
                                : opText(&op);
      if (comment.size() > 150)
        comment = comment.substr(0, 146) + " ...";
      s += fmt::format("\n  // {}: {}\n{} {{\n    {}\n  }}\n", name(r), comment, signature(r),
                       text);
    }
  }
  s += "};\n";
  return s;
}

std::string GroupEmitter::plainResultLoops(ValueRange values, llvm::ArrayRef<unsigned> results,
                                           const std::string &group,
                                           const std::string &indent) const {
  std::vector<std::vector<unsigned>> loops;
  for (unsigned r : results) {
    auto same = llvm::find_if(loops, [&](const std::vector<unsigned> &l) {
      return shape(values[l.front()]) == shape(values[r]);
    });
    if (same != loops.end())
      same->push_back(r);
    else
      loops.push_back({r});
  }
  std::string code;
  for (const std::vector<unsigned> &loop : loops) {
    Value v = values[loop.front()];
    const std::vector<std::string> index = indexNames("i", shape(v).size());
    code += fmt::format("{}for (idx_t e = first; e < {}; e += stride) {{ // result{} #{}\n", indent,
                        numElements(v), loop.size() > 1 ? "s" : "", fmt::join(loop, ", #"));
    code += delinearize(v, "e", "i", indent + "  ");
    for (unsigned r : loop)
      code += fmt::format("{}  const float r{} = {}{};\n", indent, r, group, call(values[r], index));
    for (unsigned r : loop)
      code += fmt::format("{}  {}[e] = {};\n", indent, outputParam(r),
                          storeValue(r, fmt::format("r{}", r)));
    code += indent + "}\n";
  }
  return code;
}

} // namespace ssmc::codegen
