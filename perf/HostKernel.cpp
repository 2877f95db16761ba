//===- HostKernel.cpp - generated CUDA kernels built for the CPU ----------===//

#include "HostKernel.h"

#include "Cuda/KernelCache.h"
#include "Cuda/Nvrtc.h"
#include "Cuda/Sha256.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>

#include <dlfcn.h>
#include <unistd.h>

#ifndef SSMC_HOST_CXX
#define SSMC_HOST_CXX "c++"
#endif

namespace fs = std::filesystem;

namespace ssmc::perf {
namespace {
#include "HostShimText.inc"

/// Output of a shell command (stdout and stderr), and its exit status.
std::pair<int, std::string> runCommand(const std::string &cmd) {
  std::string out;
  FILE *p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p)
    return {-1, "cannot start a shell"};
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;)
    out.append(buf, n);
  return {pclose(p), out};
}

std::string quote(const std::string &s) {
  std::string q = "'";
  for (char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// The compiler's first line of --version, which goes into cache keys.
const std::string &compilerIdentity() {
  static const std::string id = [] {
    auto [status, out] = runCommand(quote(hostCompiler()) + " --version");
    return status == 0 ? out.substr(0, out.find('\n')) : std::string();
  }();
  return id;
}

std::string cacheDirectory() {
  std::string root = rt::KernelCache::defaultDirectory();
  if (root.empty())
    root = (fs::temp_directory_path() / "ssmc-kernels").string();
  return (fs::path(root) / "host").string();
}
} // namespace

const char *hostShimText() { return kHostShimTemplate; }

std::string hostCompiler() {
  const char *env = std::getenv("SSMC_HOST_CXX");
  return env && *env ? env : SSMC_HOST_CXX;
}

std::string hostBuildUnavailable() {
  if (compilerIdentity().empty())
    return fmt::format("no host C++ compiler '{}' (set SSMC_HOST_CXX)", hostCompiler());
  for (const std::string &dir : rt::cudaIncludeDirs())
    if (fs::exists(fs::path(dir) / "cuda_bf16.h"))
      return "";
  return "the CUDA headers (cuda_bf16.h) were not found: set SSMC_CUDA_INCLUDE";
}

std::string hostKernelSource(const std::string &source, const std::string &entry,
                             const std::string &paramTypes, HostMode mode) {
  std::string src = std::regex_replace(
      source, std::regex(R"(extern __shared__ (__align__\(\d+\) )?(\w+) (\w+)\[\];)"),
      "$2 *$3 = reinterpret_cast<$2 *>(ssmc_dynamic_smem);");
  std::vector<std::string> args;
  for (size_t i = 0; i < paramTypes.size(); ++i)
    args.push_back(fmt::format("({})a[{}]",
                               paramTypes[i] == 'w' || paramTypes[i] == 'F' ? "float *"
                               : paramTypes[i] == 'f'                       ? "const float *"
                               : paramTypes[i] == 'o'                       ? "T *"
                                                                            : "const T *",
                               i));
  src += fmt::format("\nextern \"C\" void ssmc_host_entry(void **a) {{ {}({}); }}\n", entry,
                     fmt::join(args, ", "));
  if (mode == HostMode::Trace) {
    src += R"(
extern char __start_ssmc_smem[] __attribute__((weak));
extern char __stop_ssmc_smem[] __attribute__((weak));
static std::vector<unsigned char> ssmcDynamicSmem;
// The launch's shape and shared memory; shared ranges follow the host's
// global ones in ssmc_trace (which the host filled first).
extern "C" SSMC_SHIM void ssmc_trace_launch(const unsigned *grid, unsigned block, size_t smem) {
  gridDim.x = grid[0];
  gridDim.y = grid[1];
  gridDim.z = grid[2];
  blockDim.x = block;
  ssmcDynamicSmem.assign(smem + 64, 0);
  ssmc_dynamic_smem = ssmcDynamicSmem.data();
  SsmcTraceState &s = ssmc_trace;
  s.lo[s.ranges] = reinterpret_cast<uint64_t>(ssmcDynamicSmem.data());
  s.hi[s.ranges] = s.lo[s.ranges] + smem + 64;
  s.shared[s.ranges++] = 1;
  if (__start_ssmc_smem && __stop_ssmc_smem > __start_ssmc_smem) {
    s.lo[s.ranges] = reinterpret_cast<uint64_t>(__start_ssmc_smem);
    s.hi[s.ranges] = reinterpret_cast<uint64_t>(__stop_ssmc_smem);
    s.shared[s.ranges++] = 1;
  }
  s.below = ~uint64_t(0);
  s.above = 0;
  for (int r = 0; r < s.ranges; ++r) {
    s.below = s.lo[r] < s.below ? s.lo[r] : s.below;
    s.above = s.hi[r] > s.above ? s.hi[r] : s.above;
  }
}
extern "C" SSMC_SHIM void ssmc_trace_thread(void **args, unsigned bx, unsigned by, unsigned bz,
                                            unsigned tx) {
  blockIdx.x = bx;
  blockIdx.y = by;
  blockIdx.z = bz;
  threadIdx.x = tx;
  ssmc_host_entry(args);
}
)";
    return src;
  }
  return src;
}

std::string hostRunnerSource() {
  return R"(// The run-mode launcher, built once and linked into every kernel library.
// What only it needs is included here: the shim, which every kernel's build
// loads, stays small (its precompiled form loads in half the time).
#include <algorithm>
#include <memory>
#include <random>
#include <thread>
extern "C" void ssmc_host_entry(void **args);
extern char __start_ssmc_smem[] __attribute__((weak));
extern char __stop_ssmc_smem[] __attribute__((weak));
static int ssmcBlockOrder = 0; // 0 in order (x, then y, then z), 1 reversed, 2 shuffled
static unsigned ssmcShuffleSeed = 0;
static bool ssmcPoisonShared = false;
extern "C" void ssmc_host_options(int order, unsigned seed, int poison) {
  ssmcBlockOrder = order;
  ssmcShuffleSeed = seed;
  ssmcPoisonShared = poison != 0;
}
// Shared memory as a block finds it on a GPU: undefined. 0xFF bytes are NaN
// in f32, bf16 and f16, so a read before a write shows.
static void ssmcPoison(std::vector<unsigned char> &dynamicSmem) {
  if (!ssmcPoisonShared)
    return;
  std::memset(dynamicSmem.data(), 0xff, dynamicSmem.size());
  if (__start_ssmc_smem && __stop_ssmc_smem > __start_ssmc_smem)
    std::memset(__start_ssmc_smem, 0xff, size_t(__stop_ssmc_smem - __start_ssmc_smem));
}
#ifndef SSMC_HOST_OS_THREADS
// A CUDA thread of the block running now: its context, its stack (a guard
// page below it, so an overflow faults) and its cp.async groups.
struct SsmcFiber {
  ssmc_fiber::Context context;
  char *mapping = nullptr;
  bool done = false;
  ssmc_shim::AsyncCopies copies;
};
constexpr size_t kSsmcGuard = 4096, kSsmcFiberStack = 256 * 1024;
static void **ssmcFiberArgs = nullptr;
static bool *ssmcFiberDone = nullptr;
// A fiber's whole life: the kernel, then back to the scheduler for good.
[[noreturn]] static void ssmcFiberMain() {
  ssmc_host_entry(ssmcFiberArgs);
  *ssmcFiberDone = true;
  ++ssmc_fiber::progress;
  ssmc_fiber::yield();
  std::abort(); // never resumed: the scheduler skips a fiber that is done
}
#if defined(__x86_64__)
// Saves rbp, rbx, r12-r15, MXCSR and the x87 control word (what the SysV ABI
// says a callee keeps) on the running stack, stores its pointer in *save,
// and restores the same from the stack at load.
asm(
    ".text\n"
    ".globl ssmc_fiber_switch\n"
    ".hidden ssmc_fiber_switch\n"
    ".type ssmc_fiber_switch, @function\n"
    "ssmc_fiber_switch:\n"
    "pushq %rbp\n"
    "pushq %rbx\n"
    "pushq %r12\n"
    "pushq %r13\n"
    "pushq %r14\n"
    "pushq %r15\n"
    "subq $8, %rsp\n"
    "stmxcsr (%rsp)\n"
    "fnstcw 4(%rsp)\n"
    "movq %rsp, (%rdi)\n"
    "movq %rsi, %rsp\n"
    "ldmxcsr (%rsp)\n"
    "fldcw 4(%rsp)\n"
    "addq $8, %rsp\n"
    "popq %r15\n"
    "popq %r14\n"
    "popq %r13\n"
    "popq %r12\n"
    "popq %rbx\n"
    "popq %rbp\n"
    "ret\n"
    ".size ssmc_fiber_switch, .-ssmc_fiber_switch\n");
// A new fiber's stack, as ssmc_fiber_switch leaves a suspended one: the
// floating-point control words, six zero registers, and ssmcFiberMain as the
// return address, with the stack aligned as a call would leave it.
static void ssmcFiberStart(ssmc_fiber::Context &context, char *stack, size_t size) {
  auto *top = reinterpret_cast<std::uint64_t *>(
      (reinterpret_cast<std::uintptr_t>(stack) + size) & ~std::uintptr_t(15));
  unsigned mxcsr = 0;
  unsigned short fpcw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpcw));
  top[-1] = 0; // ssmcFiberMain's return address: it never returns
  top[-2] = reinterpret_cast<std::uint64_t>(&ssmcFiberMain);
  for (int r = 3; r <= 8; ++r)
    top[-r] = 0;
  top[-9] = std::uint64_t(mxcsr) | std::uint64_t(fpcw) << 32;
  context.sp = &top[-9];
}
#else
static void ssmcFiberStart(ssmc_fiber::Context &context, char *stack, size_t size) {
  getcontext(&context.uc);
  context.uc.uc_stack.ss_sp = stack;
  context.uc.uc_stack.ss_size = size;
  context.uc.uc_link = nullptr;
  makecontext(&context.uc, ssmcFiberMain, 0);
}
#endif
// The blocks in turn; in each, every thread that has not ended runs until
// it waits or ends, round after round. A round in which no thread arrives
// anywhere or ends is a deadlock (a barrier some threads never reach).
static void ssmcRunFibers(void **args, const std::vector<SsmcUint3> &blocks, unsigned block,
                          std::vector<unsigned char> &dynamicSmem) {
  SsmcBarrier bar{int(block)};
  ssmcBarrier = &bar;
  std::vector<std::unique_ptr<SsmcWarp>> warps;
  for (unsigned w = 0; w * 32 < block; ++w)
    warps.push_back(std::make_unique<SsmcWarp>(block - w * 32 < 32 ? block - w * 32 : 32));
  std::vector<SsmcFiber> fibers(block);
  for (SsmcFiber &f : fibers) {
    void *m = mmap(nullptr, kSsmcGuard + kSsmcFiberStack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
      std::fprintf(stderr, "host shim: no memory for the stacks of %u threads\n", block);
      std::abort();
    }
    mprotect(m, kSsmcGuard, PROT_NONE);
    f.mapping = static_cast<char *>(m);
  }
  ssmc_fiber::Context scheduler;
  ssmc_fiber::scheduler = &scheduler;
  ssmcFiberArgs = args;
  for (const SsmcUint3 &b : blocks) {
    blockIdx = b;
    for (SsmcFiber &f : fibers) {
      ssmcFiberStart(f.context, f.mapping + kSsmcGuard, kSsmcFiberStack);
      f.done = false;
    }
    for (unsigned alive = block; alive > 0;) {
      const unsigned long before = ssmc_fiber::progress;
      for (unsigned t = 0; t < block; ++t) {
        SsmcFiber &f = fibers[t];
        if (f.done)
          continue;
        threadIdx.x = t;
        ssmcWarp = warps[t / 32].get();
        ssmc_fiber::current = &f.context;
        ssmcFiberDone = &f.done;
        std::swap(ssmc_shim::asyncCopies, f.copies);
        ssmc_fiber::switchTo(scheduler, f.context);
        std::swap(ssmc_shim::asyncCopies, f.copies);
        alive -= f.done ? 1 : 0;
      }
      if (alive > 0 && ssmc_fiber::progress == before) {
        std::fprintf(stderr,
                     "host shim: block (%u, %u, %u): %u of its %u threads wait at a barrier "
                     "that can never open (a __syncthreads or warp operation not every thread "
                     "reaches)\n",
                     b.x, b.y, b.z, alive, block);
        std::abort();
      }
    }
    for (SsmcFiber &f : fibers) // what a block left in flight is not the next one's
      f.copies = {};
    ssmcPoison(dynamicSmem);
  }
  for (SsmcFiber &f : fibers)
    munmap(f.mapping, kSsmcGuard + kSsmcFiberStack);
  ssmcBarrier = nullptr;
  ssmcWarp = nullptr;
}
#endif
extern "C" void ssmc_host_run(void **args, const unsigned *grid, unsigned block, size_t smem,
                              int sync) {
  gridDim.x = grid[0];
  gridDim.y = grid[1];
  gridDim.z = grid[2];
  blockDim.x = block;
#ifdef SSMC_HOST_ASAN
  std::vector<unsigned char> dynamicSmem(smem); // exactly: a byte past it is reported
#else
  std::vector<unsigned char> dynamicSmem(smem + 64);
#endif
  ssmc_dynamic_smem = dynamicSmem.data();
  std::vector<SsmcUint3> blocks;
  for (unsigned bz = 0; bz < grid[2]; ++bz)
    for (unsigned by = 0; by < grid[1]; ++by)
      for (unsigned bx = 0; bx < grid[0]; ++bx)
        blocks.push_back({bx, by, bz});
  if (ssmcBlockOrder == 1)
    std::reverse(blocks.begin(), blocks.end());
  else if (ssmcBlockOrder == 2)
    std::shuffle(blocks.begin(), blocks.end(), std::mt19937(ssmcShuffleSeed));
  ssmcPoison(dynamicSmem);
  if (!sync) {
    for (const SsmcUint3 &b : blocks) {
      for (unsigned t = 0; t < block; ++t) {
        blockIdx = b;
        threadIdx.x = t;
        ssmc_host_entry(args);
        ssmc_shim::dropPendingCopies();
      }
      ssmcPoison(dynamicSmem);
    }
    return;
  }
#ifndef SSMC_HOST_OS_THREADS
  ssmcRunFibers(args, blocks, block, dynamicSmem);
#else
  // One OS thread per CUDA thread for the whole launch; blocks in turn, all
  // threads meeting at a barrier between them (which poisons shared memory
  // once all have arrived).
  std::barrier<> bar(block);
  ssmcBarrier = &bar;
  auto poison = [&]() noexcept { ssmcPoison(dynamicSmem); };
  std::barrier<decltype(poison)> betweenBlocks(block, poison);
  std::vector<std::unique_ptr<SsmcWarp>> warps;
  for (unsigned w = 0; w * 32 < block; ++w)
    warps.push_back(std::make_unique<SsmcWarp>(block - w * 32 < 32 ? block - w * 32 : 32));
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < block; ++t)
    threads.emplace_back([&, t] {
      threadIdx.x = t;
      ssmcWarp = warps[t / 32].get();
      for (const SsmcUint3 &b : blocks) {
        blockIdx = b;
        ssmc_host_entry(args);
        ssmc_shim::dropPendingCopies();
        betweenBlocks.arrive_and_wait();
      }
    });
  for (std::thread &th : threads)
    th.join();
  ssmcBarrier = nullptr;
#endif
}
)";
}

rt::Expected<std::string> hostSanitizer() {
  const char *env = std::getenv("SSMC_HOST_SANITIZE");
  const std::string which = env ? env : "";
  if (which.empty())
    return which;
  if (which != "address" && which != "thread")
    return rt::Status::error(
        fmt::format("SSMC_HOST_SANITIZE='{}': use address or thread (or unset it)", which));
  // A sanitized library needs its runtime loaded first, before anything the
  // process loaded itself.
  const char *init = which == "address" ? "__asan_init" : "__tsan_init";
  if (!dlsym(RTLD_DEFAULT, init))
    return rt::Status::error(fmt::format(
        "SSMC_HOST_SANITIZE={} builds the kernels with -fsanitize={}, whose runtime this "
        "process lacks: run it with LD_PRELOAD=$({} -print-file-name=lib{}.so) "
        "(scripts/host-sanitize.sh does)",
        which, which, hostCompiler(), which == "address" ? "asan" : "tsan"));
  // The runtime is in: the host compilers this process starts must not get
  // it too (a shell with the TSan runtime preloaded crashes).
  unsetenv("LD_PRELOAD");
  return which;
}

std::string hostSanitizerFlags(const std::string &sanitizer) {
  if (sanitizer == "address")
    return " -DSSMC_HOST_ASAN -fsanitize=address -fno-omit-frame-pointer";
  if (sanitizer == "thread")
    return " -DSSMC_HOST_TSAN -fsanitize=thread";
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // This process is instrumented (-DSSMC_SANITIZE): its sanitizer cannot
  // follow the shim's fibers (LeakSanitizer crashed at exit), so the
  // block's threads are OS threads here.
  return " -DSSMC_HOST_OS_THREADS";
#else
  return "";
#endif
}

HostKernel::~HostKernel() {
  if (handle_)
    dlclose(handle_);
}

void *HostKernel::symbol(const char *name) const { return dlsym(handle_, name); }

rt::Expected<std::unique_ptr<HostKernel>>
HostKernel::build(const std::string &hostSource, const std::vector<std::string> &defines,
                  HostMode mode) {
  if (std::string why = hostBuildUnavailable(); !why.empty())
    return rt::Status::error(why);
  // -O1 without vectorization: the trace must see the kernel's own access
  // widths, not ones the host compiler merged. No TSan runtime is linked:
  // the shim defines the hooks.
  // -fno-gnu-unique: the shim's inline variables stay each library's own
  // (GNU unique symbols would be one per process across the libraries).
  std::string flags = "-std=c++20 -O1 -fno-tree-vectorize -w -fPIC -pthread -fno-gnu-unique";
  std::string linkFlags;
  if (mode == HostMode::Trace) {
    flags += " -DSSMC_HOST_TRACE -fsanitize=thread --param=tsan-instrument-func-entry-exit=0";
  } else {
    auto sanitizer = hostSanitizer();
    if (!sanitizer)
      return sanitizer.status();
    flags += hostSanitizerFlags(*sanitizer);
    if (!sanitizer->empty())
      linkFlags = " -fsanitize=" + *sanitizer;
  }
  std::vector<std::string> includes;
  for (const std::string &dir : rt::cudaIncludeDirs())
    includes.push_back("-I" + quote(dir));

  rt::Sha256 key;
  for (const std::string &field :
       {std::string("ssmc-host-kernel-v2"), compilerIdentity(), flags,
        fmt::format("{}", fmt::join(includes, " ")), std::string(hostShimText()),
        mode == HostMode::Run ? hostRunnerSource() : std::string(), hostSource,
        fmt::format("{}", fmt::join(defines, " "))})
    key.updateField(field);
  const std::string digest = key.hexDigest();
  const fs::path dir = cacheDirectory();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return rt::Status::error(
        fmt::format("cannot create the host kernel cache '{}': {}", dir.string(), ec.message()));
  const fs::path so = dir / (digest + ".so");

  auto kernel = std::unique_ptr<HostKernel>(new HostKernel());
  kernel->path_ = so.string();
  if (fs::exists(so, ec)) {
    kernel->handle_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (kernel->handle_) {
      kernel->fromCache_ = true;
      return kernel;
    }
    fs::remove(so, ec); // unusable: rebuilt below
  }

  // Everything goes to files unique to this process; the library is renamed
  // into place, so a concurrent build or a crash never leaves a torn one.
  const std::string tag = fmt::format("{}.{}", digest, getpid());
  // The shim is named by everything that shapes its precompiled form, which
  // lies beside it: g++ takes `shim.h.gch` for `-include shim.h` when it was
  // built with the same options (else it reads the header), and a kernel
  // then builds in about half the time.
  rt::Sha256 shimKey;
  for (const std::string &field :
       {std::string(hostShimText()), hostRunnerSource(), compilerIdentity(), flags,
        fmt::format("{}", fmt::join(includes, " "))})
    shimKey.updateField(field);
  const fs::path shim = dir / fmt::format("shim-{}.h", shimKey.hexDigest().substr(0, 16));
  const fs::path cpp = dir / (tag + ".cpp"), obj = dir / (tag + ".o"), tmp = dir / (tag + ".so");
  auto cleanup = [&] {
    std::error_code ignored;
    fs::remove(cpp, ignored);
    fs::remove(obj, ignored);
    fs::remove(tmp, ignored);
  };
  if (!fs::exists(shim, ec)) {
    const fs::path shimTmp = dir / (tag + ".h");
    std::ofstream(shimTmp) << hostShimText();
    fs::rename(shimTmp, shim, ec);
  }
  if (const fs::path pch = shim.string() + ".gch"; !fs::exists(pch, ec)) {
    // Built under a name of this process's, then renamed into place; a
    // failure only costs the speed-up.
    const fs::path pchTmp = dir / (tag + ".gch");
    if (runCommand(fmt::format("{} {} {} -x c++-header {} -o {}", quote(hostCompiler()), flags,
                               fmt::join(includes, " "), quote(shim.string()),
                               quote(pchTmp.string())))
            .first == 0)
      fs::rename(pchTmp, pch, ec);
    fs::remove(pchTmp, ec);
  }
  // Run mode's launcher: one object beside the shim, linked into each
  // library (built under a name of this process's, then renamed into place).
  const fs::path runner = shim.string() + ".runner.o";
  if (mode == HostMode::Run && !fs::exists(runner, ec)) {
    const fs::path runnerCpp = dir / (tag + ".runner.cpp"), runnerTmp = dir / (tag + ".runner.o");
    std::ofstream(runnerCpp) << hostRunnerSource();
    auto [status, out] = runCommand(fmt::format(
        "{} {} {} -include {} -c {} -o {}", quote(hostCompiler()), flags, fmt::join(includes, " "),
        quote(shim.string()), quote(runnerCpp.string()), quote(runnerTmp.string())));
    fs::remove(runnerCpp, ec);
    if (status != 0) {
      fs::remove(runnerTmp, ec);
      return rt::Status::error(fmt::format("the host compiler failed on the kernels' launcher:\n{}",
                                           out.substr(0, 4000)));
    }
    fs::rename(runnerTmp, runner, ec);
  }
  {
    std::ofstream out(cpp);
    out << hostSource;
    if (!out.flush())
      return rt::Status::error(fmt::format("cannot write '{}'", cpp.string()));
  }
  const std::string compile =
      fmt::format("{} {} {} -include {} {} -c {} -o {}", quote(hostCompiler()), flags,
                  fmt::join(includes, " "), quote(shim.string()), fmt::join(defines, " "),
                  quote(cpp.string()), quote(obj.string()));
  const std::string link = fmt::format(
      "{} -shared -pthread{} -Wl,-z,defs {}{} -o {}", quote(hostCompiler()), linkFlags,
      quote(obj.string()), mode == HostMode::Run ? " " + quote(runner.string()) : std::string(),
      quote(tmp.string()));
  for (const std::string &cmd : {compile, link}) {
    auto [status, out] = runCommand(cmd);
    if (status != 0) {
      cleanup();
      return rt::Status::error(
          fmt::format("the host compiler failed on a kernel:\n{}\n{}", cmd, out.substr(0, 4000)));
    }
  }
  fs::rename(tmp, so, ec);
  cleanup();
  if (ec)
    return rt::Status::error(fmt::format("cannot write '{}': {}", so.string(), ec.message()));
  kernel->handle_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!kernel->handle_)
    return rt::Status::error(fmt::format("cannot load '{}': {}", so.string(), dlerror()));
  return kernel;
}

} // namespace ssmc::perf
