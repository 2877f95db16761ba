//===- Image.cpp - decoding and timm's eval transform ---------------------===//

#include "Image.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

namespace ssmc::cli {

namespace {

/// The largest side decoded (checked before any pixel is allocated): 16384,
/// far beyond what a classifier's eval transform needs.
constexpr unsigned kMaxSide = 16384;

// --- JPEG ------------------------------------------------------------------

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpegErrorExit(j_common_ptr info) {
  auto *error = reinterpret_cast<JpegError *>(info->err);
  (*info->err->format_message)(info, error->message);
  std::longjmp(error->jump, 1);
}

/// A truncated file is only a warning to libjpeg (it pads with grey); to
/// ssmc, as to PIL, it is an error.
void jpegEmitMessage(j_common_ptr info, int level) {
  if (level == -1 && info->err->msg_code == JWRN_JPEG_EOF)
    jpegErrorExit(info);
}

/// libjpeg reports errors by longjmp: nothing with a destructor lives in
/// this frame across it (`out` belongs to the caller), and no string is
/// built here (GCC's -Wclobbered sees the locals of inlined std::string
/// code); the message goes to `message`.
bool readJpeg(const std::vector<uint8_t> &data, RgbImage &out, char (&message)[JMSG_LENGTH_MAX]) {
  jpeg_decompress_struct info;
  JpegError jerr;
  info.err = jpeg_std_error(&jerr.manager);
  jerr.manager.error_exit = jpegErrorExit;
  jerr.manager.emit_message = jpegEmitMessage;
  jerr.message[0] = '\0';
  if (setjmp(jerr.jump)) {
    jpeg_destroy_decompress(&info);
    std::memcpy(message, jerr.message, sizeof message);
    return false;
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, data.data(), static_cast<unsigned long>(data.size()));
  jpeg_read_header(&info, TRUE);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&info);
    std::snprintf(message, sizeof message, "CMYK JPEG (convert it to RGB first)");
    return false;
  }
  if (info.image_width > kMaxSide || info.image_height > kMaxSide) {
    std::snprintf(message, sizeof message, "%ux%u pixels, more than %u on a side",
                  static_cast<unsigned>(info.image_width), static_cast<unsigned>(info.image_height),
                  kMaxSide);
    jpeg_destroy_decompress(&info);
    return false;
  }
  info.out_color_space = JCS_RGB; // grey expands to RGB, as PIL's convert('RGB')
  jpeg_start_decompress(&info);
  out.width = info.output_width;
  out.height = info.output_height;
  out.pixels.resize(static_cast<size_t>(out.width * out.height * 3));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = out.pixels.data() + static_cast<size_t>(info.output_scanline) * out.width * 3;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return true;
}

bool decodeJpeg(const std::vector<uint8_t> &data, RgbImage &out, std::string &error) {
  char message[JMSG_LENGTH_MAX];
  if (readJpeg(data, out, message))
    return true;
  error = message;
  return false;
}

// --- PNG -------------------------------------------------------------------

bool decodePng(const std::vector<uint8_t> &data, RgbImage &out, std::string &error) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data.data(), data.size())) {
    error = image.message;
    return false;
  }
  if (image.width > kMaxSide || image.height > kMaxSide) {
    error =
        fmt::format("{}x{} pixels, more than {} on a side", image.width, image.height, kMaxSide);
    png_image_free(&image);
    return false;
  }
  image.format = PNG_FORMAT_RGBA; // alpha read, then dropped (PIL's convert('RGB'))
  std::vector<uint8_t> rgba(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, rgba.data(), 0, nullptr)) {
    error = image.message;
    png_image_free(&image);
    return false;
  }
  out.width = image.width;
  out.height = image.height;
  out.pixels.resize(static_cast<size_t>(out.width * out.height * 3));
  for (size_t i = 0, n = static_cast<size_t>(out.width * out.height); i < n; ++i)
    std::copy_n(&rgba[4 * i], 3, &out.pixels[3 * i]);
  return true;
}

// --- PPM -------------------------------------------------------------------

/// The next header token of a PPM, skipping whitespace and comments.
bool nextToken(const std::vector<uint8_t> &data, size_t &at, std::string &token) {
  token.clear();
  while (at < data.size()) {
    const char c = static_cast<char>(data[at]);
    if (c == '#') {
      while (at < data.size() && data[at] != '\n')
        ++at;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      ++at;
    } else {
      break;
    }
  }
  while (at < data.size() && !std::isspace(data[at]))
    token.push_back(static_cast<char>(data[at++]));
  ++at; // the single whitespace after the token
  return !token.empty();
}

bool decodePpm(const std::vector<uint8_t> &data, RgbImage &out, std::string &error) {
  size_t at = 0;
  std::string magic, ws, hs, ms;
  if (!nextToken(data, at, magic) || magic != "P6" || !nextToken(data, at, ws) ||
      !nextToken(data, at, hs) || !nextToken(data, at, ms)) {
    error = "not a binary PPM (P6)";
    return false;
  }
  const int64_t w = std::atoll(ws.c_str()), h = std::atoll(hs.c_str()),
                maxValue = std::atoll(ms.c_str());
  if (w < 1 || h < 1 || w > kMaxSide || h > kMaxSide || maxValue != 255) {
    error = fmt::format("unsupported size {}x{} or maximum value {} (8-bit PPM only)", ws, hs, ms);
    return false;
  }
  const size_t bytes = static_cast<size_t>(w * h * 3);
  if (at > data.size() || data.size() - at < bytes) {
    error = fmt::format("truncated: {}x{} pixels need {} bytes", w, h, bytes);
    return false;
  }
  out.width = w;
  out.height = h;
  out.pixels.assign(data.begin() + static_cast<std::ptrdiff_t>(at),
                    data.begin() + static_cast<std::ptrdiff_t>(at + bytes));
  return true;
}

// --- Resampling --------------------------------------------------------------

/// Keys' cubic with a = -0.5, as PIL's BICUBIC.
double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1)
    return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

constexpr int kPrecisionBits = 32 - 8 - 2; // PIL's fixed point for 8-bit images

/// For each output position: the first input index and fixed-point weights.
struct Taps {
  std::vector<int64_t> first;
  std::vector<std::vector<int32_t>> weights;
};

Taps taps(int64_t in, int64_t out) {
  const double scale = double(in) / double(out);
  const double filterScale = std::max(scale, 1.0);
  const double support = 2.0 * filterScale;
  Taps t;
  for (int64_t o = 0; o < out; ++o) {
    const double center = (double(o) + 0.5) * scale;
    const int64_t lo = std::max<int64_t>(int64_t(center - support + 0.5), 0);
    const int64_t hi = std::min<int64_t>(int64_t(center + support + 0.5), in);
    std::vector<double> w;
    double sum = 0;
    for (int64_t x = lo; x < hi; ++x) {
      w.push_back(bicubic((double(x) - center + 0.5) / filterScale));
      sum += w.back();
    }
    std::vector<int32_t> fixed;
    for (double v : w) {
      const double k = sum != 0 ? v / sum : v;
      fixed.push_back(int32_t(k * (1 << kPrecisionBits) + (k < 0 ? -0.5 : 0.5)));
    }
    t.first.push_back(lo);
    t.weights.push_back(std::move(fixed));
  }
  return t;
}

uint8_t clip8(int64_t accumulated) {
  return uint8_t(std::clamp<int64_t>(accumulated >> kPrecisionBits, 0, 255));
}

/// One pass along x (horizontal) or y.
RgbImage resample(const RgbImage &in, int64_t size, bool horizontal) {
  RgbImage out;
  out.width = horizontal ? size : in.width;
  out.height = horizontal ? in.height : size;
  out.pixels.resize(static_cast<size_t>(out.width * out.height * 3));
  const Taps t = taps(horizontal ? in.width : in.height, size);
  for (int64_t y = 0; y < out.height; ++y)
    for (int64_t x = 0; x < out.width; ++x) {
      const int64_t o = horizontal ? x : y;
      for (int c = 0; c < 3; ++c) {
        int64_t acc = int64_t(1) << (kPrecisionBits - 1);
        for (size_t k = 0; k < t.weights[o].size(); ++k) {
          const int64_t i = t.first[o] + int64_t(k);
          const int64_t px = horizontal ? (y * in.width + i) : (i * in.width + x);
          acc += int64_t(in.pixels[size_t(px * 3 + c)]) * t.weights[o][k];
        }
        out.pixels[size_t((y * out.width + x) * 3 + c)] = clip8(acc);
      }
    }
  return out;
}

rt::Expected<std::vector<uint8_t>> readFile(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    return rt::Status::error(fmt::format("image '{}' is not a regular file", path));
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return rt::Status::error(fmt::format("cannot open image '{}'", path));
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return data;
}

} // namespace

rt::Expected<RgbImage> decodeImage(const std::string &path) {
  auto data = readFile(path);
  if (!data)
    return data.status();
  const std::vector<uint8_t> &d = *data;
  RgbImage image;
  std::string error;
  bool ok = false;
  const char *kind = nullptr;
  if (d.size() >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
    kind = "JPEG";
    ok = decodeJpeg(d, image, error);
  } else if (static constexpr uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
             d.size() >= 8 && std::equal(d.begin(), d.begin() + 8, kPng)) {
    kind = "PNG";
    ok = decodePng(d, image, error);
  } else if (d.size() >= 2 && d[0] == 'P' && d[1] == '6') {
    kind = "PPM";
    ok = decodePpm(d, image, error);
  } else {
    return rt::Status::error(fmt::format("image '{}' is not a JPEG, PNG or binary PPM (P6) file; "
                                         "convert it, e.g. `convert photo.webp photo.png`",
                                         path));
  }
  if (!ok)
    return rt::Status::error(fmt::format("image '{}' is a {} that cannot be read: {}", path, kind,
                                         error));
  if (image.width > 16384 || image.height > 16384)
    return rt::Status::error(fmt::format("image '{}' is {}x{}: at most 16384 pixels a side", path,
                                         image.width, image.height));
  return image;
}

RgbImage resizeBicubic(const RgbImage &image, int64_t width, int64_t height) {
  RgbImage out = image;
  if (width != out.width)
    out = resample(out, width, /*horizontal=*/true);
  if (height != out.height)
    out = resample(out, height, /*horizontal=*/false);
  return out;
}

interp::HostTensor evalTransform(const RgbImage &image, int64_t size, double cropPct) {
  // torchvision's Resize(int): the short side to `scale`, the long side
  // int(scale * long / short); then CenterCrop with round-half-even offsets.
  const int64_t scale = int64_t(std::floor(double(size) / cropPct));
  const bool wide = image.width >= image.height;
  const int64_t shortSide = wide ? image.height : image.width;
  const int64_t longSide = wide ? image.width : image.height;
  const int64_t newLong = int64_t(double(scale) * double(longSide) / double(shortSide));
  const RgbImage resized =
      resizeBicubic(image, wide ? newLong : scale, wide ? scale : newLong);
  const int64_t top = int64_t(std::nearbyint(double(resized.height - size) / 2.0));
  const int64_t left = int64_t(std::nearbyint(double(resized.width - size) / 2.0));

  static constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
  static constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
  interp::HostTensor t = interp::HostTensor::allocate({1, 3, size, size});
  for (int64_t y = 0; y < size; ++y)
    for (int64_t x = 0; x < size; ++x) {
      const int64_t sy = y + top, sx = x + left;
      const bool inside = sy >= 0 && sx >= 0 && sy < resized.height && sx < resized.width;
      for (int c = 0; c < 3; ++c) {
        // A crop larger than the image pads with zeros, as CenterCrop does.
        const float v = inside ? resized.pixels[size_t((sy * resized.width + sx) * 3 + c)] / 255.0f
                               : 0.0f;
        t.data[(c * size + y) * size + x] = (v - kMean[c]) / kStd[c];
      }
    }
  return t;
}

namespace {
#include "ImageNetLabels.inc"
} // namespace

std::string imagenetClassName(int64_t index) {
  // Lines of "SYNSET NAME", in class order.
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    std::string_view text = kImageNetLabels;
    while (!text.empty()) {
      const size_t end = std::min(text.find('\n'), text.size());
      std::string_view line = text.substr(0, end);
      const size_t space = line.find(' ');
      out.emplace_back(space == std::string_view::npos ? "" : line.substr(space + 1));
      text.remove_prefix(std::min(end + 1, text.size()));
    }
    return out;
  }();
  return index >= 0 && index < static_cast<int64_t>(names.size()) ? names[index] : "";
}

} // namespace ssmc::cli
