//===- runtime/FakeCuda.cpp - A stand-in libcuda for CPU-only tests -------===//
//
// Implements the driver entry points ssmc resolves (Cuda/Driver.cpp) on the
// host, so that the executor and ssmc-rt can be tested end to end on a
// machine without a GPU: memory is malloc'd, streams run work at once,
// graphs record launches and replay them, events read the clock. Modules
// must be real cubins (ELF, as NVRTC makes them); their kernels are host
// functions chosen by entry name: the tiny test artifact's
//   mul_<dtype>_<n>(const T *x, const T *w, T *y)            y = x * w
//   add1_<dtype>_<n>(const T *y, T *z, float *workspace)     z = y + 1
// with dtype f32, bf16 or f16, run over the launch's grid and block (one
// "thread" per index blockIdx.x * blockDim.x + threadIdx.x, as the CUDA
// sources do).
//
// Knobs, read at each call: SSMC_FAKE_CUDA_CC ("90": compute capability
// 9.0), SSMC_FAKE_CUDA_FAIL_LAUNCH (an entry whose launches fail with
// CUDA_ERROR_LAUNCH_FAILED), SSMC_FAKE_CUDA_FAULT (an entry whose launches
// succeed but make the next synchronisation fail, like a faulting kernel).
// ssmcFakeCudaStats reports launches and graph replays.
//
//===----------------------------------------------------------------------===//

#include "Exec/Tensor.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

using Result = int;
constexpr Result Ok = 0;
constexpr Result InvalidValue = 1;
constexpr Result InvalidImage = 200;
constexpr Result NotFound = 500;
constexpr Result LaunchFailed = 719;
constexpr Result CaptureUnsupported = 900;
constexpr Result InvalidHandle = 400;

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
  std::chrono::steady_clock::time_point at;
};

std::mutex Mu;
long Launches = 0, GraphLaunches = 0;
bool PendingFault = false;
std::set<uintptr_t> Allocations;

unsigned numArgs(Op O) { return O == Op::Ignore ? 0 : 3; }

float load(Ty T, uintptr_t Base, long I) {
  using namespace ssmc::rt;
  if (T == Ty::F32) {
    float F;
    std::memcpy(&F, reinterpret_cast<const void *>(Base + 4 * I), 4);
    return F;
  }
  uint16_t H;
  std::memcpy(&H, reinterpret_cast<const void *>(Base + 2 * I), 2);
  return T == Ty::BF16 ? bf16ToF32(H) : f16ToF32(H);
}

void store(Ty T, uintptr_t Base, long I, float V) {
  using namespace ssmc::rt;
  if (T == Ty::F32) {
    std::memcpy(reinterpret_cast<void *>(Base + 4 * I), &V, 4);
    return;
  }
  uint16_t H = T == Ty::BF16 ? f32ToBf16(V) : f32ToF16(V);
  std::memcpy(reinterpret_cast<void *>(Base + 2 * I), &H, 2);
}

bool envIs(const char *Name, const std::string &Value) {
  const char *V = std::getenv(Name);
  return V && Value == V;
}

Result execute(const Launch &L) {
  if (envIs("SSMC_FAKE_CUDA_FAIL_LAUNCH", L.fn->entry))
    return LaunchFailed;
  if (envIs("SSMC_FAKE_CUDA_FAULT", L.fn->entry))
    PendingFault = true;
  for (uintptr_t A : L.args)
    if (A == 0)
      return InvalidValue;
  const Function &F = *L.fn;
  if (F.op == Op::Ignore)
    return Ok;
  for (unsigned B = 0; B < L.grid[0]; ++B)
    for (unsigned T = 0; T < L.block[0]; ++T) {
      long I = long(B) * L.block[0] + T;
      if (I >= F.n)
        continue;
      if (F.op == Op::Mul) {
        store(F.ty, L.args[2], I,
              load(F.ty, L.args[0], I) * load(F.ty, L.args[1], I));
      } else {
        float Z = load(F.ty, L.args[0], I) + 1.0f;
        store(F.ty, L.args[1], I, Z);
        if (I < 64) // the workspace holds 64 floats of scratch
          std::memcpy(reinterpret_cast<void *>(L.args[2] + 4 * I), &Z, 4);
      }
    }
  return Ok;
}

bool parseEntry(const std::string &Name, Function &F) {
  std::string Rest;
  if (Name.rfind("mul_", 0) == 0) {
    F.op = Op::Mul;
    Rest = Name.substr(4);
  } else if (Name.rfind("add1_", 0) == 0) {
    F.op = Op::AddOne;
    Rest = Name.substr(5);
  } else if (std::getenv("SSMC_FAKE_CUDA_ANY_ENTRY")) {
    F.op = Op::Ignore;
    F.ty = Ty::F32;
    F.n = 0;
    F.entry = Name;
    return true;
  } else {
    return false;
  }
  auto Us = Rest.find('_');
  if (Us == std::string::npos)
    return false;
  std::string T = Rest.substr(0, Us);
  if (T == "f32")
    F.ty = Ty::F32;
  else if (T == "bf16")
    F.ty = Ty::BF16;
  else if (T == "f16")
    F.ty = Ty::F16;
  else
    return false;
  F.n = std::atol(Rest.c_str() + Us + 1);
  F.entry = Name;
  return F.n > 0;
}

int attribute(int Attr) {
  int Cc = 90;
  if (const char *V = std::getenv("SSMC_FAKE_CUDA_CC"))
    Cc = std::atoi(V);
  switch (Attr) {
  case 16: // multiprocessor count
    return 4;
  case 75:
    return Cc / 10;
  case 76:
    return Cc % 10;
  case 97: // max shared memory per block, opt-in
    return Cc >= 90 ? 232448 : 101376;
  default:
    return 0;
  }
}

} // namespace

extern "C" {

int ssmcFakeCudaStats(long *LaunchCount, long *GraphLaunchCount) {
  std::lock_guard<std::mutex> L(Mu);
  *LaunchCount = Launches;
  *GraphLaunchCount = GraphLaunches;
  return 0;
}

Result cuInit(unsigned) { return Ok; }
Result cuDriverGetVersion(int *V) {
  *V = 13000;
  return Ok;
}
Result cuDeviceGetCount(int *C) {
  *C = 1;
  return Ok;
}
Result cuDeviceGet(int *D, int Ordinal) {
  if (Ordinal != 0)
    return InvalidValue;
  *D = 0;
  return Ok;
}
Result cuDeviceGetName(char *Name, int Len, int) {
  std::strncpy(Name, "Fake GPU (ssmc tests)", size_t(Len));
  return Ok;
}
Result cuDeviceGetAttribute(int *V, int Attr, int) {
  *V = attribute(Attr);
  return Ok;
}
Result cuDevicePrimaryCtxRetain(void **Ctx, int) {
  static int Context;
  *Ctx = &Context;
  return Ok;
}
Result cuDevicePrimaryCtxRelease_v2(int) { return Ok; }
Result cuCtxSetCurrent(void *) { return Ok; }

Result cuModuleLoadData(Module **M, const void *Image) {
  if (std::memcmp(Image, "\x7f"
                         "ELF",
                  4) != 0)
    return InvalidImage;
  *M = new Module;
  return Ok;
}
Result cuModuleUnload(Module *M) {
  for (Function *F : M->functions)
    delete F;
  delete M;
  return Ok;
}
Result cuModuleGetFunction(Function **Fn, Module *M, const char *Name) {
  Function F;
  if (!parseEntry(Name, F))
    return NotFound;
  M->functions.push_back(new Function(F));
  *Fn = M->functions.back();
  return Ok;
}
Result cuFuncSetAttribute(Function *, int, int) { return Ok; }

Result cuLaunchKernel(Function *Fn, unsigned Gx, unsigned Gy, unsigned Gz,
                      unsigned Bx, unsigned By, unsigned Bz, unsigned,
                      Stream *S, void **Params, void **) {
  if (!S || !Fn || Gx == 0 || Bx == 0 || Bx * By * Bz > 1024)
    return InvalidValue;
  Launch L{Fn, {Gx, Gy, Gz}, {Bx, By, Bz}, {}};
  for (unsigned A = 0; A < numArgs(Fn->op); ++A) {
    unsigned long long P;
    std::memcpy(&P, Params[A], sizeof(P));
    L.args.push_back(uintptr_t(P));
  }
  std::lock_guard<std::mutex> Lock(Mu);
  if (S->capturing) {
    S->captured.push_back(L);
    return Ok;
  }
  ++Launches;
  return execute(L);
}

Result cuMemAlloc_v2(unsigned long long *P, size_t Bytes) {
  void *M = std::aligned_alloc(256, (Bytes + 255) / 256 * 256);
  if (!M)
    return 2;
  std::lock_guard<std::mutex> Lock(Mu);
  Allocations.insert(uintptr_t(M));
  *P = uintptr_t(M);
  return Ok;
}
Result cuMemFree_v2(unsigned long long P) {
  std::lock_guard<std::mutex> Lock(Mu);
  if (!Allocations.erase(uintptr_t(P)))
    return InvalidValue;
  std::free(reinterpret_cast<void *>(P));
  return Ok;
}
Result cuMemcpyHtoDAsync_v2(unsigned long long Dst, const void *Src,
                            size_t Bytes, Stream *S) {
  if (S->capturing)
    return CaptureUnsupported;
  std::memcpy(reinterpret_cast<void *>(Dst), Src, Bytes);
  return Ok;
}
Result cuMemcpyDtoHAsync_v2(void *Dst, unsigned long long Src, size_t Bytes,
                            Stream *S) {
  if (S->capturing)
    return CaptureUnsupported;
  std::memcpy(Dst, reinterpret_cast<const void *>(Src), Bytes);
  return Ok;
}
Result cuMemsetD8Async(unsigned long long Dst, unsigned char V, size_t Bytes,
                       Stream *) {
  std::memset(reinterpret_cast<void *>(Dst), V, Bytes);
  return Ok;
}

Result cuStreamCreate(Stream **S, unsigned) {
  *S = new Stream;
  return Ok;
}
Result cuStreamDestroy_v2(Stream *S) {
  delete S;
  return Ok;
}
Result cuStreamSynchronize(Stream *) {
  std::lock_guard<std::mutex> Lock(Mu);
  if (PendingFault) {
    PendingFault = false;
    return 700; // CUDA_ERROR_ILLEGAL_ADDRESS
  }
  return Ok;
}
Result cuStreamBeginCapture_v2(Stream *S, int) {
  if (S->capturing)
    return InvalidValue;
  S->capturing = true;
  S->captured.clear();
  return Ok;
}
Result cuStreamEndCapture(Stream *S, Graph **G) {
  if (!S->capturing)
    return InvalidValue;
  S->capturing = false;
  *G = new Graph{std::move(S->captured)};
  S->captured.clear();
  return Ok;
}
Result cuGraphInstantiateWithFlags(Graph **Exec, Graph *G,
                                   unsigned long long) {
  *Exec = new Graph(*G);
  return Ok;
}
Result cuGraphLaunch(Graph *Exec, Stream *S) {
  if (!Exec || S->capturing)
    return InvalidHandle;
  std::lock_guard<std::mutex> Lock(Mu);
  ++GraphLaunches;
  for (const Launch &L : Exec->launches)
    if (Result R = execute(L); R != Ok)
      return R;
  return Ok;
}
Result cuGraphDestroy(Graph *G) {
  delete G;
  return Ok;
}
Result cuGraphExecDestroy(Graph *G) {
  delete G;
  return Ok;
}

Result cuEventCreate(Event **E, unsigned) {
  *E = new Event;
  return Ok;
}
Result cuEventRecord(Event *E, Stream *) {
  E->at = std::chrono::steady_clock::now();
  return Ok;
}
Result cuEventSynchronize(Event *) { return Ok; }
Result cuEventElapsedTime_v2(float *Ms, Event *Start, Event *End) {
  *Ms = std::chrono::duration<float, std::milli>(End->at - Start->at).count();
  return Ok;
}
Result cuEventDestroy_v2(Event *E) {
  delete E;
  return Ok;
}

Result cuGetErrorName(Result R, const char **Name) {
  switch (R) {
  case LaunchFailed:
    *Name = "CUDA_ERROR_LAUNCH_FAILED";
    return Ok;
  case 700:
    *Name = "CUDA_ERROR_ILLEGAL_ADDRESS";
    return Ok;
  case NotFound:
    *Name = "CUDA_ERROR_NOT_FOUND";
    return Ok;
  case InvalidImage:
    *Name = "CUDA_ERROR_INVALID_IMAGE";
    return Ok;
  case CaptureUnsupported:
    *Name = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
    return Ok;
  default:
    return InvalidValue;
  }
}
Result cuGetErrorString(Result R, const char **Text) {
  const char *Name = nullptr;
  if (cuGetErrorName(R, &Name) != Ok)
    return InvalidValue;
  *Text = "reported by the fake driver";
  return Ok;
}

} // extern "C"
