//===- runtime/TestUtil.h - Helpers for the runtime tests -------*- C++ -*-===//

#ifndef SSMC_TESTS_RUNTIME_TESTUTIL_H
#define SSMC_TESTS_RUNTIME_TESTUTIL_H

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <stdlib.h>

namespace ssmc::rt::test {

/// A fresh directory under the system temp directory, removed with its
/// contents at destruction.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ssmc-rt-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()))
      path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  std::string operator/(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

inline std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

inline void writeText(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

/// A kernel using the toolkit's fp16, bf16 and wmma headers: one 16x16x16
/// bf16 tensor-core tile through 1 KiB of static shared memory.
inline std::string wmmaKernelSource() {
  return R"(
#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <mma.h>
using namespace nvcuda;
extern "C" __global__ void tile_mma(const __nv_bfloat16 *A,
                                    const __nv_bfloat16 *B, float *C,
                                    __half *H) {
  __shared__ float Tile[16 * 16];
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
  wmma::fill_fragment(c, 0.0f);
  wmma::load_matrix_sync(a, A, 16);
  wmma::load_matrix_sync(b, B, 16);
  wmma::mma_sync(c, a, b, c);
  wmma::store_matrix_sync(Tile, c, 16, wmma::mem_row_major);
  __syncwarp();
  for (int i = threadIdx.x; i < 256; i += 32) {
    C[i] = Tile[i];
    H[i] = __float2half(Tile[i]);
  }
}
)";
}

/// y[i] += Delta for i < n; the smallest kernel worth compiling.
inline std::string addKernelSource(const std::string &entry = "add_one", float delta = 1.0f) {
  return "extern \"C\" __global__ void " + entry +
         "(float *y, int n) {\n"
         "  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
         "  if (i < n) y[i] += " +
         std::to_string(delta) + "f;\n}\n";
}

} // namespace ssmc::rt::test

#endif // SSMC_TESTS_RUNTIME_TESTUTIL_H
