//===- runtime/FakeCuda.cpp - A stand-in libcuda for CPU-only tests -------===//
//
// Implements the driver entry points ssmc resolves (Cuda/Driver.cpp) on the
// host, so that the executor and ssmc-rt can be tested end to end on a
// machine without a GPU: memory is malloc'd, streams run work at once,
// graphs record launches and replay them, events read a clock that each
// launch advances by what a launch-shape model gives (launchMicroseconds:
// waves of its blocks on the fake GPU's 4 SMs), so that timings, and which
// configuration is fastest, are deterministic. Modules
// must be real cubins (ELF, as NVRTC makes them); their kernels are host
// functions chosen by entry name: the tiny test artifact's
//   mul_<dtype>_<n>(const T *x, const T *w, T *y)            y = x * w
//   add1_<dtype>_<n>(const T *y, T *z, float *workspace)     z = y + 1
// with dtype f32, bf16 or f16, run over the launch's grid and block (one
// "thread" per index blockIdx.x * blockDim.x + threadIdx.x, as the CUDA
// sources do).
//
// Knobs, read at each call: SSMC_FAKE_CUDA_CC ("90": compute capability
// 9.0), SSMC_FAKE_CUDA_MEM_MIB (the device's memory, default 16 GiB), SSMC_FAKE_CUDA_FAIL_LAUNCH
// (an entry whose launches fail with CUDA_ERROR_LAUNCH_FAILED), SSMC_FAKE_CUDA_FAULT (an entry
// whose launches succeed but make the next synchronisation fail, like a faulting kernel).
// ssmcFakeCudaStats reports launches and graph replays.
//
//===----------------------------------------------------------------------===//

#include "Exec/Tensor.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

using Result = int;
constexpr Result kOk = 0;
constexpr Result kInvalidValue = 1;
constexpr Result kInvalidImage = 200;
constexpr Result kNotFound = 500;
constexpr Result kLaunchFailed = 719;
constexpr Result kCaptureUnsupported = 900;
constexpr Result kInvalidHandle = 400;

/// Mul and AddOne: the tiny artifact's kernels, run on the host. Ignore:
/// any other entry when $SSMC_FAKE_CUDA_ANY_ENTRY is set (a whole model's
/// kernels: loaded and launched, computing nothing).
enum class Op { Mul, AddOne, Ignore };
enum class Ty { F32, BF16, F16 };

struct Function {
  Op op;
  Ty ty;
  long n;
  std::string entry;
};

struct Module {
  std::vector<Function *> functions;
};

struct Launch {
  Function *fn;
  unsigned grid[3], block[3];
  std::vector<uintptr_t> args;
};

struct Stream {
  bool capturing = false;
  std::vector<Launch> captured;
};

struct Graph {
  std::vector<Launch> launches;
};

struct Event {
  double atUs = 0;
};

std::mutex mu;
double clockUs = 0; ///< advanced by every launch
long launches = 0, graphLaunches = 0;
bool pendingFault = false;
std::set<uintptr_t> allocations;

unsigned numArgs(Op o) { return o == Op::Ignore ? 0 : 3; }

float load(Ty t, uintptr_t base, long i) {
  using namespace ssmc::rt;
  if (t == Ty::F32) {
    float f;
    std::memcpy(&f, reinterpret_cast<const void *>(base + 4 * i), 4);
    return f;
  }
  uint16_t h;
  std::memcpy(&h, reinterpret_cast<const void *>(base + 2 * i), 2);
  return t == Ty::BF16 ? bf16ToF32(h) : f16ToF32(h);
}

void store(Ty t, uintptr_t base, long i, float v) {
  using namespace ssmc::rt;
  if (t == Ty::F32) {
    std::memcpy(reinterpret_cast<void *>(base + 4 * i), &v, 4);
    return;
  }
  uint16_t h = t == Ty::BF16 ? f32ToBf16(v) : f32ToF16(v);
  std::memcpy(reinterpret_cast<void *>(base + 2 * i), &h, 2);
}

bool envIs(const char *name, const std::string &value) {
  const char *v = std::getenv(name);
  return v && value == v;
}

/// A launch's time: 2 us, plus 1 us per wave of blocks on 4 SMs that each
/// hold up to 2048 threads (at most 16 blocks).
double launchMicroseconds(const Launch &l) {
  const double threads = double(l.block[0]) * l.block[1] * l.block[2];
  const double blocks = double(l.grid[0]) * l.grid[1] * l.grid[2];
  const double resident = std::max(1.0, std::min(16.0, std::floor(2048 / threads)));
  return 2.0 + std::ceil(blocks / (4 * resident));
}

Result execute(const Launch &l) {
  clockUs += launchMicroseconds(l);
  if (envIs("SSMC_FAKE_CUDA_FAIL_LAUNCH", l.fn->entry))
    return kLaunchFailed;
  if (envIs("SSMC_FAKE_CUDA_FAULT", l.fn->entry))
    pendingFault = true;
  for (uintptr_t a : l.args)
    if (a == 0)
      return kInvalidValue;
  const Function &f = *l.fn;
  if (f.op == Op::Ignore)
    return kOk;
  for (unsigned b = 0; b < l.grid[0]; ++b)
    for (unsigned t = 0; t < l.block[0]; ++t) {
      long i = long(b) * l.block[0] + t;
      if (i >= f.n)
        continue;
      if (f.op == Op::Mul) {
        store(f.ty, l.args[2], i, load(f.ty, l.args[0], i) * load(f.ty, l.args[1], i));
      } else {
        float z = load(f.ty, l.args[0], i) + 1.0f;
        store(f.ty, l.args[1], i, z);
        if (i < 64) // the workspace holds 64 floats of scratch
          std::memcpy(reinterpret_cast<void *>(l.args[2] + 4 * i), &z, 4);
      }
    }
  return kOk;
}

bool parseEntry(const std::string &name, Function &f) {
  std::string rest;
  if (name.rfind("mul_", 0) == 0) {
    f.op = Op::Mul;
    rest = name.substr(4);
  } else if (name.rfind("add1_", 0) == 0) {
    f.op = Op::AddOne;
    rest = name.substr(5);
  } else if (std::getenv("SSMC_FAKE_CUDA_ANY_ENTRY")) {
    f.op = Op::Ignore;
    f.ty = Ty::F32;
    f.n = 0;
    f.entry = name;
    return true;
  } else {
    return false;
  }
  auto us = rest.find('_');
  if (us == std::string::npos)
    return false;
  std::string t = rest.substr(0, us);
  if (t == "f32")
    f.ty = Ty::F32;
  else if (t == "bf16")
    f.ty = Ty::BF16;
  else if (t == "f16")
    f.ty = Ty::F16;
  else
    return false;
  f.n = std::atol(rest.c_str() + us + 1);
  f.entry = name;
  return f.n > 0;
}

int attribute(int attr) {
  int cc = 90;
  if (const char *v = std::getenv("SSMC_FAKE_CUDA_CC"))
    cc = std::atoi(v);
  switch (attr) {
  case 16: // multiprocessor count
    return 4;
  case 75:
    return cc / 10;
  case 76:
    return cc % 10;
  case 97: // max shared memory per block, opt-in
    return cc >= 90 ? 232448 : 101376;
  default:
    return 0;
  }
}

} // namespace

// The driver API's own names, as libcuda.so.1 exports them.
// NOLINTBEGIN(readability-identifier-naming)
extern "C" {

int ssmcFakeCudaStats(long *LaunchCount, long *GraphLaunchCount) {
  std::lock_guard<std::mutex> L(mu);
  *LaunchCount = launches;
  *GraphLaunchCount = graphLaunches;
  return 0;
}

Result cuInit(unsigned) { return kOk; }
Result cuDriverGetVersion(int *V) {
  *V = 13000;
  return kOk;
}
Result cuDeviceGetCount(int *C) {
  *C = 1;
  return kOk;
}
Result cuDeviceGet(int *D, int Ordinal) {
  if (Ordinal != 0)
    return kInvalidValue;
  *D = 0;
  return kOk;
}
Result cuDeviceGetName(char *Name, int Len, int) {
  std::strncpy(Name, "Fake GPU (ssmc tests)", size_t(Len));
  return kOk;
}
Result cuDeviceGetAttribute(int *V, int Attr, int) {
  *V = attribute(Attr);
  return kOk;
}
/// 16 GiB, or SSMC_FAKE_CUDA_MEM_MIB mebibytes.
Result cuDeviceTotalMem_v2(size_t *Bytes, int) {
  const char *mib = std::getenv("SSMC_FAKE_CUDA_MEM_MIB");
  *Bytes = (mib ? size_t(std::strtoull(mib, nullptr, 10)) : size_t(16) << 10) << 20;
  return kOk;
}
Result cuDevicePrimaryCtxRetain(void **Ctx, int) {
  static int Context;
  *Ctx = &Context;
  return kOk;
}
Result cuDevicePrimaryCtxRelease_v2(int) { return kOk; }
Result cuCtxSetCurrent(void *) { return kOk; }

Result cuModuleLoadData(Module **M, const void *Image) {
  if (std::memcmp(Image,
                  "\x7f"
                  "ELF",
                  4) != 0)
    return kInvalidImage;
  *M = new Module;
  return kOk;
}
Result cuModuleUnload(Module *M) {
  for (Function *F : M->functions)
    delete F;
  delete M;
  return kOk;
}
Result cuModuleGetFunction(Function **Fn, Module *M, const char *Name) {
  Function F;
  if (!parseEntry(Name, F))
    return kNotFound;
  M->functions.push_back(new Function(F));
  *Fn = M->functions.back();
  return kOk;
}
Result cuFuncSetAttribute(Function *, int, int) { return kOk; }

Result cuLaunchKernel(Function *Fn, unsigned Gx, unsigned Gy, unsigned Gz, unsigned Bx, unsigned By,
                      unsigned Bz, unsigned, Stream *S, void **Params, void **) {
  if (!S || !Fn || Gx == 0 || Bx == 0 || Bx * By * Bz > 1024)
    return kInvalidValue;
  Launch L{Fn, {Gx, Gy, Gz}, {Bx, By, Bz}, {}};
  for (unsigned A = 0; A < numArgs(Fn->op); ++A) {
    unsigned long long P;
    std::memcpy(&P, Params[A], sizeof(P));
    L.args.push_back(uintptr_t(P));
  }
  std::lock_guard<std::mutex> Lock(mu);
  if (S->capturing) {
    S->captured.push_back(L);
    return kOk;
  }
  ++launches;
  return execute(L);
}

Result cuMemAlloc_v2(unsigned long long *P, size_t Bytes) {
  void *M = std::aligned_alloc(256, (Bytes + 255) / 256 * 256);
  if (!M)
    return 2;
  std::lock_guard<std::mutex> Lock(mu);
  allocations.insert(uintptr_t(M));
  *P = uintptr_t(M);
  return kOk;
}
Result cuMemFree_v2(unsigned long long P) {
  std::lock_guard<std::mutex> Lock(mu);
  if (!allocations.erase(uintptr_t(P)))
    return kInvalidValue;
  std::free(reinterpret_cast<void *>(P));
  return kOk;
}
Result cuMemcpyHtoDAsync_v2(unsigned long long Dst, const void *Src, size_t Bytes, Stream *S) {
  if (S->capturing)
    return kCaptureUnsupported;
  std::memcpy(reinterpret_cast<void *>(Dst), Src, Bytes);
  return kOk;
}
Result cuMemcpyDtoHAsync_v2(void *Dst, unsigned long long Src, size_t Bytes, Stream *S) {
  if (S->capturing)
    return kCaptureUnsupported;
  std::memcpy(Dst, reinterpret_cast<const void *>(Src), Bytes);
  return kOk;
}
/// Device-to-device copies take the time of moving their bytes twice at
/// 1000 GB/s, so a measured copy bandwidth is 1000 GB/s.
Result cuMemcpyDtoDAsync_v2(unsigned long long Dst, unsigned long long Src, size_t Bytes,
                            Stream *S) {
  if (S->capturing)
    return kCaptureUnsupported;
  std::memmove(reinterpret_cast<void *>(Dst), reinterpret_cast<const void *>(Src), Bytes);
  std::lock_guard<std::mutex> Lock(mu);
  clockUs += 2.0 * double(Bytes) / 1e6;
  return kOk;
}
Result cuMemsetD8Async(unsigned long long Dst, unsigned char V, size_t Bytes, Stream *) {
  std::memset(reinterpret_cast<void *>(Dst), V, Bytes);
  return kOk;
}

Result cuStreamCreate(Stream **S, unsigned) {
  *S = new Stream;
  return kOk;
}
Result cuStreamDestroy_v2(Stream *S) {
  delete S;
  return kOk;
}
Result cuStreamSynchronize(Stream *) {
  std::lock_guard<std::mutex> Lock(mu);
  if (pendingFault) {
    pendingFault = false;
    return 700; // CUDA_ERROR_ILLEGAL_ADDRESS
  }
  return kOk;
}
Result cuStreamBeginCapture_v2(Stream *S, int) {
  if (S->capturing)
    return kInvalidValue;
  S->capturing = true;
  S->captured.clear();
  return kOk;
}
Result cuStreamEndCapture(Stream *S, Graph **G) {
  if (!S->capturing)
    return kInvalidValue;
  S->capturing = false;
  *G = new Graph{std::move(S->captured)};
  S->captured.clear();
  return kOk;
}
Result cuGraphInstantiateWithFlags(Graph **Exec, Graph *G, unsigned long long) {
  *Exec = new Graph(*G);
  return kOk;
}
Result cuGraphLaunch(Graph *Exec, Stream *S) {
  if (!Exec || S->capturing)
    return kInvalidHandle;
  std::lock_guard<std::mutex> Lock(mu);
  ++graphLaunches;
  for (const Launch &L : Exec->launches)
    if (Result R = execute(L); R != kOk)
      return R;
  return kOk;
}
Result cuGraphDestroy(Graph *G) {
  delete G;
  return kOk;
}
Result cuGraphExecDestroy(Graph *G) {
  delete G;
  return kOk;
}

Result cuEventCreate(Event **E, unsigned) {
  *E = new Event;
  return kOk;
}
Result cuEventRecord(Event *E, Stream *) {
  std::lock_guard<std::mutex> Lock(mu);
  E->atUs = clockUs;
  return kOk;
}
Result cuEventSynchronize(Event *) { return kOk; }
Result cuEventElapsedTime_v2(float *Ms, Event *Start, Event *End) {
  *Ms = float((End->atUs - Start->atUs) / 1000);
  return kOk;
}
Result cuEventDestroy_v2(Event *E) {
  delete E;
  return kOk;
}

Result cuGetErrorName(Result R, const char **Name) {
  switch (R) {
  case kLaunchFailed:
    *Name = "CUDA_ERROR_LAUNCH_FAILED";
    return kOk;
  case 700:
    *Name = "CUDA_ERROR_ILLEGAL_ADDRESS";
    return kOk;
  case kNotFound:
    *Name = "CUDA_ERROR_NOT_FOUND";
    return kOk;
  case kInvalidImage:
    *Name = "CUDA_ERROR_INVALID_IMAGE";
    return kOk;
  case kCaptureUnsupported:
    *Name = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
    return kOk;
  default:
    return kInvalidValue;
  }
}
Result cuGetErrorString(Result R, const char **Text) {
  const char *Name = nullptr;
  if (cuGetErrorName(R, &Name) != kOk)
    return kInvalidValue;
  *Text = "reported by the fake driver";
  return kOk;
}

} // extern "C"
// NOLINTEND(readability-identifier-naming)
