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
  auto D = Driver::load();
  if (!D.ok()) {
    std::cout << "no GPU here: " << D.message() << "\n";
    EXPECT_NE(D.message().find("--device cpu"), std::string::npos)
        << D.message();
    // Loading again gives the same answer, without retrying.
    EXPECT_EQ(Driver::load().message(), D.message());
    return;
  }
  ASSERT_GT((*D)->deviceCount(), 0);
  auto Info = (*D)->queryDevice(0);
  ASSERT_TRUE(Info.ok()) << Info.message();
  std::cout << "device 0: " << Info->name << ", " << Info->arch() << ", "
            << Info->smCount << " SMs, driver " << Info->driverVersion << "\n";
  EXPECT_FALSE(Info->name.empty());
  EXPECT_GE(Info->ccMajor, 3);
  EXPECT_GT(Info->smCount, 0);
  EXPECT_GT(Info->maxSmemPerBlockOptin, 0);
  EXPECT_GT(Info->driverVersion, 0);
  auto Bad = (*D)->queryDevice((*D)->deviceCount());
  ASSERT_FALSE(Bad.ok());
  EXPECT_NE(Bad.message().find("no CUDA device"), std::string::npos);
  EXPECT_EQ(Driver::load().value(), *D);
}

TEST(Driver, MissingLibrary) {
  auto D = Driver::open("libssmc-no-such-driver.so.1");
  ASSERT_FALSE(D.ok());
  EXPECT_EQ(D.message().rfind(
                "no CUDA driver: libssmc-no-such-driver.so.1 could not be "
                "loaded (",
                0),
            0u)
      << D.message();
  EXPECT_NE(D.message().find("run with --device cpu, or on a machine with an "
                             "NVIDIA GPU and driver"),
            std::string::npos)
      << D.message();
}

TEST(Driver, LibraryWithoutTheDriverApi) {
  auto D = Driver::open("libc.so.6");
  ASSERT_FALSE(D.ok());
  EXPECT_NE(D.message().find("libc.so.6 lacks cuInit"), std::string::npos)
      << D.message();
  EXPECT_NE(D.message().find("--device cpu"), std::string::npos);
}

TEST(Driver, ToolkitStubLibrary) {
  // The toolkit's link stub has every symbol but no driver behind it.
  const char *Stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (!std::filesystem::exists(Stub))
    GTEST_SKIP() << Stub << " not present";
  auto D = Driver::open(Stub);
  ASSERT_FALSE(D.ok());
  std::cout << D.message() << "\n";
  EXPECT_NE(D.message().find("cuInit failed: "), std::string::npos)
      << D.message();
  EXPECT_NE(D.message().find("--device cpu"), std::string::npos);
}
