//===- SafetensorsFuzz.cpp - the safetensors reader -----------------------===//
//
// Any file: an error or a file whose every tensor converts to f32.

#include "FuzzUtil.h"
#include "Support/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = ssmc::fuzz::writeInput(data, size, "input.safetensors");
  auto file = ssmc::rt::SafetensorsFile::open(path);
  if (file)
    for (const ssmc::rt::TensorView &t : (*file)->tensors())
      (void)ssmc::rt::SafetensorsFile::toF32(t);
  return 0;
}
