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
    auto loaded = Driver::load();
    if (!loaded.ok())
      GTEST_SKIP() << loaded.message();
    if (!nvrtcAvailable())
      GTEST_SKIP() << "built without the CUDA toolkit";
    d_ = *loaded;
    auto i = d_->queryDevice(0);
    ASSERT_TRUE(i.ok()) << i.message();
    info_ = *i;
    auto c = DeviceContext::retain(*d_, 0);
    ASSERT_TRUE(c.ok()) << c.message();
    ctx_.emplace(std::move(*c));
  }

  Driver *d_ = nullptr;
  DeviceInfo info_;
  std::optional<DeviceContext> ctx_;
};

#define ASSERT_OK(S)                                                                               \
  do {                                                                                             \
    auto &&Result_ = (S);                                                                          \
    ASSERT_TRUE(Result_.ok()) << Result_.message();                                                \
  } while (0)

} // namespace

TEST_F(Gpu, BufferMemsetCopyKernelAndGraphReplay) {
  std::cout << info_.name << " (" << info_.arch() << ", " << info_.smCount << " SMs)\n";
  NvrtcOptions opts;
  opts.arch = info_.arch();
  auto k = compileKernel({"add_one", "add_one", addKernelSource()}, opts);
  ASSERT_OK(k);

  constexpr int kN = 1000;
  auto buf = DeviceBuffer::allocate(*d_, kN * sizeof(float));
  ASSERT_OK(buf);
  auto s = Stream::create(*d_);
  ASSERT_OK(s);

  // memset, then read back: all zero.
  std::vector<float> host(kN, 42.0f);
  ASSERT_OK(s->memset8(buf->ptr(), 0, buf->size()));
  ASSERT_OK(s->copyToHost(host.data(), buf->ptr(), buf->size()));
  ASSERT_OK(s->synchronize());
  for (float v : host)
    ASSERT_EQ(v, 0.0f);

  // Upload 0..N-1 and add 1 once.
  std::iota(host.begin(), host.end(), 0.0f);
  ASSERT_OK(s->copyToDevice(buf->ptr(), host.data(), buf->size()));
  auto m = Module::load(*d_, k->cubin);
  ASSERT_OK(m);
  auto fn = m->kernel("add_one");
  ASSERT_OK(fn);
  cu::DevicePtr ptr = buf->ptr();
  int count = kN;
  void *args[] = {&ptr, &count};
  Dim3 grid{(kN + 127) / 128}, block{128};
  ASSERT_OK(fn->launch(grid, block, 0, *s, args));

  // Capture two more launches into a graph and replay it three times: +6.
  ASSERT_OK(s->beginCapture());
  ASSERT_OK(fn->launch(grid, block, 0, *s, args));
  ASSERT_OK(fn->launch(grid, block, 0, *s, args));
  auto g = s->endCapture();
  ASSERT_OK(g);
  auto start = Event::create(*d_), stop = Event::create(*d_);
  ASSERT_OK(start);
  ASSERT_OK(stop);
  ASSERT_OK(start->record(*s));
  for (int i = 0; i < 3; ++i)
    ASSERT_OK(g->launch(*s));
  ASSERT_OK(stop->record(*s));
  ASSERT_OK(stop->synchronize());
  auto ms = Event::elapsedMs(*start, *stop);
  ASSERT_OK(ms);
  EXPECT_GE(*ms, 0.0f);

  std::vector<float> out(kN, -1.0f);
  ASSERT_OK(s->copyToHost(out.data(), buf->ptr(), buf->size()));
  ASSERT_OK(s->synchronize());
  for (int i = 0; i < kN; ++i)
    ASSERT_EQ(out[i], float(i) + 7.0f) << "at " << i;
}

TEST_F(Gpu, DriverErrorsNameTheCall) {
  std::vector<char> garbage(64, 'x');
  garbage.back() = '\0'; // not an image, nor PTX, but terminated
  auto m = Module::load(*d_, garbage);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.message().find("cuModuleLoadData failed: CUDA_ERROR_"), std::string::npos)
      << m.message();

  auto k =
      compileKernel({"add_one", "add_one", addKernelSource()}, NvrtcOptions{info_.arch(), {}, {}});
  ASSERT_OK(k);
  auto mod = Module::load(*d_, k->cubin);
  ASSERT_OK(mod);
  auto missing = mod->kernel("no_such_kernel");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("cuModuleGetFunction(no_such_kernel) failed"), std::string::npos)
      << missing.message();
}
