//===- Image.h - images for `ssmc run --image`, as timm's eval sees them --===//
//
// Decoding (JPEG through libjpeg-turbo, PNG through libpng, binary PPM) and
// timm's evaluation transform: resize the short side to
// floor(size / crop_pct) with PIL's antialiased bicubic filter, centre-crop
// size x size, scale to [0, 1] and normalise with the ImageNet mean and std.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_TOOLS_IMAGE_H
#define SSMC_TOOLS_IMAGE_H

#include "Interpreter/Interpreter.h"
#include "Support/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ssmc::cli {

/// 8-bit RGB, rows top to bottom, pixels interleaved.
struct RgbImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> pixels; // width * height * 3
};

/// A JPEG, PNG or binary PPM (P6) file, by its content, as RGB (alpha
/// dropped, grey expanded, as PIL's convert('RGB')).
rt::Expected<RgbImage> decodeImage(const std::string &path);

/// PIL's Image.resize(..., BICUBIC): separable, antialiased (the filter
/// widens by the reduction), 8-bit between and after the passes.
RgbImage resizeBicubic(const RgbImage &image, int64_t width, int64_t height);

/// timm's eval transform to a normalised [1, 3, size, size] tensor.
interp::HostTensor evalTransform(const RgbImage &image, int64_t size, double cropPct);

/// The name of ImageNet-1k class `index` (WordNet's first lemma of its
/// synset, "golden retriever"), or "" outside 0..999.
std::string imagenetClassName(int64_t index);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_IMAGE_H
