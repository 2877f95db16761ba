//===- runtime/DriverTest.cpp - Loading the CUDA driver -------------------===//
//
// Runs on every machine: without a GPU, loading must fail with a message that
// says what is missing and how to run anyway.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace ssmc::rt;

TEST(Driver, LoadEitherWorksOrSaysHowToRunWithoutAGpu) {
  auto d = Driver::load();
  if (!d.ok()) {
    std::cout << "no GPU here: " << d.message() << "\n";
    EXPECT_NE(d.message().find("--device cpu"), std::string::npos) << d.message();
    // Loading again gives the same answer, without retrying.
    EXPECT_EQ(Driver::load().message(), d.message());
    return;
  }
  ASSERT_GT((*d)->deviceCount(), 0);
  auto info = (*d)->queryDevice(0);
  ASSERT_TRUE(info.ok()) << info.message();
  std::cout << "device 0: " << info->name << ", " << info->arch() << ", " << info->smCount
            << " SMs, driver " << info->driverVersion << "\n";
  EXPECT_FALSE(info->name.empty());
  EXPECT_GE(info->ccMajor, 3);
  EXPECT_GT(info->smCount, 0);
  EXPECT_GT(info->maxSmemPerBlockOptin, 0);
  EXPECT_GT(info->driverVersion, 0);
  auto bad = (*d)->queryDevice((*d)->deviceCount());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("no CUDA device"), std::string::npos);
  EXPECT_EQ(Driver::load().value(), *d);
}

TEST(Driver, MissingLibrary) {
  auto d = Driver::open("libssmc-no-such-driver.so.1");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.message().rfind("no CUDA driver: libssmc-no-such-driver.so.1 could not be "
                              "loaded (",
                              0),
            0u)
      << d.message();
  EXPECT_NE(d.message().find("run with --device cpu, or on a machine with an "
                             "NVIDIA GPU and driver"),
            std::string::npos)
      << d.message();
}

TEST(Driver, LibraryWithoutTheDriverApi) {
  auto d = Driver::open("libc.so.6");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.message().find("libc.so.6 lacks cuInit"), std::string::npos) << d.message();
  EXPECT_NE(d.message().find("--device cpu"), std::string::npos);
}

TEST(Driver, ToolkitStubLibrary) {
  // The toolkit's link stub has every symbol but no driver behind it.
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (!std::filesystem::exists(stub))
    GTEST_SKIP() << stub << " not present";
  auto d = Driver::open(stub);
  ASSERT_FALSE(d.ok());
  std::cout << d.message() << "\n";
  EXPECT_NE(d.message().find("cuInit failed: "), std::string::npos) << d.message();
  EXPECT_NE(d.message().find("--device cpu"), std::string::npos);
}
