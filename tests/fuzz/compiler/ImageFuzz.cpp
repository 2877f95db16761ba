//===- ImageFuzz.cpp - the JPEG, PNG and PPM readers of --image ------------===//
//
// Any file: an error naming the file, or an image the eval transform takes.

#include "FuzzUtil.h"
#include "Image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = ssmc::fuzz::writeInput(data, size, "input.image");
  auto image = ssmc::cli::decodeImage(path);
  if (image && image->width * image->height <= 4096 * 4096) {
    ssmc::interp::HostTensor t = ssmc::cli::evalTransform(*image, 32, 0.875);
    (void)t;
  }
  return 0;
}
