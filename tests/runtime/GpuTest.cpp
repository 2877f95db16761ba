//===- runtime/GpuTest.cpp - The runtime on a real GPU (ctest label gpu)
//---===//
//
// Each test skips, saying why, where there is no driver or no GPU.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"
#include "Cuda/Nvrtc.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <numeric>

using namespace ssmc::rt;
using namespace ssmc::rt::test;

namespace {

class Gpu : public ::testing::Test {
protected:
  void SetUp() override {
    auto Loaded = Driver::load();
    if (!Loaded.ok())
      GTEST_SKIP() << Loaded.message();
    if (!nvrtcAvailable())
      GTEST_SKIP() << "built without the CUDA toolkit";
    D = *Loaded;
    auto I = D->queryDevice(0);
    ASSERT_TRUE(I.ok()) << I.message();
    Info = *I;
    auto C = DeviceContext::retain(*D, 0);
    ASSERT_TRUE(C.ok()) << C.message();
    Ctx.emplace(std::move(*C));
  }

  Driver *D = nullptr;
  DeviceInfo Info;
  std::optional<DeviceContext> Ctx;
};

#define ASSERT_OK(S)                                                           \
  do {                                                                         \
    auto &&Result_ = (S);                                                      \
    ASSERT_TRUE(Result_.ok()) << Result_.message();                            \
  } while (0)

} // namespace

TEST_F(Gpu, BufferMemsetCopyKernelAndGraphReplay) {
  std::cout << Info.name << " (" << Info.arch() << ", " << Info.smCount
            << " SMs)\n";
  NvrtcOptions Opts;
  Opts.arch = Info.arch();
  auto K = compileKernel({"add_one", "add_one", addKernelSource()}, Opts);
  ASSERT_OK(K);

  constexpr int N = 1000;
  auto Buf = DeviceBuffer::allocate(*D, N * sizeof(float));
  ASSERT_OK(Buf);
  auto S = Stream::create(*D);
  ASSERT_OK(S);

  // memset, then read back: all zero.
  std::vector<float> Host(N, 42.0f);
  ASSERT_OK(S->memset8(Buf->ptr(), 0, Buf->size()));
  ASSERT_OK(S->copyToHost(Host.data(), Buf->ptr(), Buf->size()));
  ASSERT_OK(S->synchronize());
  for (float V : Host)
    ASSERT_EQ(V, 0.0f);

  // Upload 0..N-1 and add 1 once.
  std::iota(Host.begin(), Host.end(), 0.0f);
  ASSERT_OK(S->copyToDevice(Buf->ptr(), Host.data(), Buf->size()));
  auto M = Module::load(*D, K->cubin);
  ASSERT_OK(M);
  auto Fn = M->kernel("add_one");
  ASSERT_OK(Fn);
  cu::DevicePtr Ptr = Buf->ptr();
  int Count = N;
  void *Args[] = {&Ptr, &Count};
  Dim3 Grid{(N + 127) / 128}, Block{128};
  ASSERT_OK(Fn->launch(Grid, Block, 0, *S, Args));

  // Capture two more launches into a graph and replay it three times: +6.
  ASSERT_OK(S->beginCapture());
  ASSERT_OK(Fn->launch(Grid, Block, 0, *S, Args));
  ASSERT_OK(Fn->launch(Grid, Block, 0, *S, Args));
  auto G = S->endCapture();
  ASSERT_OK(G);
  auto Start = Event::create(*D), Stop = Event::create(*D);
  ASSERT_OK(Start);
  ASSERT_OK(Stop);
  ASSERT_OK(Start->record(*S));
  for (int I = 0; I < 3; ++I)
    ASSERT_OK(G->launch(*S));
  ASSERT_OK(Stop->record(*S));
  ASSERT_OK(Stop->synchronize());
  auto Ms = Event::elapsedMs(*Start, *Stop);
  ASSERT_OK(Ms);
  EXPECT_GE(*Ms, 0.0f);

  std::vector<float> Out(N, -1.0f);
  ASSERT_OK(S->copyToHost(Out.data(), Buf->ptr(), Buf->size()));
  ASSERT_OK(S->synchronize());
  for (int I = 0; I < N; ++I)
    ASSERT_EQ(Out[I], float(I) + 7.0f) << "at " << I;
}

TEST_F(Gpu, DriverErrorsNameTheCall) {
  std::vector<char> Garbage(64, 'x');
  Garbage.back() = '\0'; // not an image, nor PTX, but terminated
  auto M = Module::load(*D, Garbage);
  ASSERT_FALSE(M.ok());
  EXPECT_NE(M.message().find("cuModuleLoadData failed: CUDA_ERROR_"),
            std::string::npos)
      << M.message();

  auto K = compileKernel({"add_one", "add_one", addKernelSource()},
                         NvrtcOptions{Info.arch(), {}, {}});
  ASSERT_OK(K);
  auto Mod = Module::load(*D, K->cubin);
  ASSERT_OK(Mod);
  auto Missing = Mod->kernel("no_such_kernel");
  ASSERT_FALSE(Missing.ok());
  EXPECT_NE(
      Missing.message().find("cuModuleGetFunction(no_such_kernel) failed"),
      std::string::npos)
      << Missing.message();
}
