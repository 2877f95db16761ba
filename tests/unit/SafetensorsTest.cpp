//===- SafetensorsTest.cpp - Safetensors reader/writer unit tests ---------===//

#include "Support/Safetensors.h"

#include <gtest/gtest.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace {

::testing::AssertionResult contains(const std::string &Haystack,
                                    std::string_view Needle) {
  if (Haystack.find(Needle) != std::string::npos)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "'" << Haystack << "' does not contain '" << Needle << "'";
}

template <class T> std::vector<std::byte> bytesOf(const std::vector<T> &V) {
  std::vector<std::byte> B(V.size() * sizeof(T));
  if (!B.empty())
    std::memcpy(B.data(), V.data(), B.size());
  return B;
}

class Safetensors : public ::testing::Test {
protected:
  void SetUp() override {
    static std::atomic<int> Counter{0};
    Dir = fs::temp_directory_path() /
          ("ssmc-safetensors-test-" + std::to_string(::getpid()) + "-" +
           std::to_string(Counter++));
    fs::remove_all(Dir);
    fs::create_directories(Dir);
  }
  void TearDown() override {
    std::error_code Ec;
    fs::remove_all(Dir, Ec);
  }

  std::string path(const std::string &Name) const {
    return (Dir / Name).string();
  }

  /// Writes [u64 HeaderLen][Header][Data]; HeaderLen defaults to Header.size().
  std::string writeRaw(const std::string &Header, const std::string &Data = {},
                       std::optional<uint64_t> HeaderLen = {}) {
    std::string P = path("raw.safetensors");
    std::ofstream Out(P, std::ios::binary | std::ios::trunc);
    uint64_t N = HeaderLen.value_or(Header.size());
    for (int I = 0; I < 8; ++I)
      Out.put(char((N >> (8 * I)) & 0xff));
    Out << Header << Data;
    return P;
  }

  /// Opens \p P expecting failure; returns the message.
  static std::string openError(const std::string &P) {
    auto F = SafetensorsFile::open(P);
    EXPECT_FALSE(F.ok());
    return F.ok() ? std::string() : F.message();
  }

  /// Error for a header holding a single F32 tensor entry \p Entry (JSON text)
  /// and \p DataBytes zero bytes of data.
  std::string entryError(const std::string &Entry, size_t DataBytes = 64) {
    return openError(
        writeRaw("{\"t\":" + Entry + "}", std::string(DataBytes, '\0')));
  }

  std::vector<std::string> dirEntries() const {
    std::vector<std::string> Names;
    for (const auto &E : fs::directory_iterator(Dir))
      Names.push_back(E.path().filename().string());
    std::sort(Names.begin(), Names.end());
    return Names;
  }

  fs::path Dir;
};

} // namespace

TEST_F(Safetensors, DTypeNamesAndSizes) {
  const std::pair<const char *, size_t> Expected[] = {
      {"BOOL", 1}, {"U8", 1},   {"I8", 1},  {"I16", 2}, {"U16", 2},
      {"F16", 2},  {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},
      {"F64", 8},  {"I64", 8},  {"U64", 8}};
  for (const auto &[Name, Size] : Expected) {
    std::optional<DType> D = parseDType(Name);
    ASSERT_TRUE(D.has_value()) << Name;
    EXPECT_EQ(dtypeName(*D), Name);
    EXPECT_EQ(dtypeSize(*D), Size) << Name;
  }
  EXPECT_FALSE(parseDType("F8").has_value());
  EXPECT_FALSE(parseDType("f32").has_value());
}

TEST_F(Safetensors, RoundTrip) {
  std::vector<float> A = {1, 2, 3, 4, 5, 6};
  std::vector<int64_t> B = {-1, 0, 1LL << 40, 7};
  std::vector<double> C = {0.5, -1.25};
  std::vector<uint16_t> H = {0x3c00, 0xc000};  // F16 1, -2
  std::vector<uint16_t> Bf = {0x3f80, 0xc040}; // BF16 1, -3
  float Scalar = 42.0f;
  std::string P = path("rt.safetensors");
  Status S = writeSafetensors(
      P,
      {{"z.weight", DType::F32, {2, 3}, A.data(), A.size() * 4},
       {"a.index", DType::I64, {4}, B.data(), B.size() * 8},
       {"m.f64", DType::F64, {2}, C.data(), C.size() * 8},
       {"half", DType::F16, {2, 1}, H.data(), 4},
       {"bhalf", DType::BF16, {2}, Bf.data(), 4},
       {"scalar", DType::F32, {}, &Scalar, 4},
       {"empty", DType::F32, {0, 5}, nullptr, 0}},
      {{"case", "unit"}, {"tolerance", "1e-4"}});
  ASSERT_TRUE(S.ok()) << S.message();

  auto F = SafetensorsFile::open(P);
  ASSERT_TRUE(F.ok()) << F.message();
  const SafetensorsFile &File = **F;
  EXPECT_EQ(File.path(), P);
  const auto &T = File.tensors();
  ASSERT_EQ(T.size(), 7u);
  const char *Order[] = {"z.weight", "a.index", "m.f64", "half",
                         "bhalf",    "scalar",  "empty"};
  for (size_t I = 0; I < T.size(); ++I)
    EXPECT_EQ(T[I].name, Order[I]);

  EXPECT_EQ(T[0].dtype, DType::F32);
  EXPECT_EQ(T[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(T[0].numElements(), 6);
  EXPECT_EQ(T[0].numBytes, 24u);
  EXPECT_EQ(T[5].shape, std::vector<int64_t>{});
  EXPECT_EQ(T[5].numElements(), 1);
  EXPECT_EQ(T[6].numElements(), 0);
  EXPECT_EQ(T[6].numBytes, 0u);

  auto Af = SafetensorsFile::toF32(T[0]);
  ASSERT_TRUE(Af.ok()) << Af.message();
  EXPECT_EQ(*Af, A);

  const TensorView *Idx = File.find("a.index");
  ASSERT_NE(Idx, nullptr);
  EXPECT_EQ(Idx->dtype, DType::I64);
  std::vector<int64_t> BackB(4);
  std::memcpy(BackB.data(), Idx->data, 32);
  EXPECT_EQ(BackB, B);
  EXPECT_EQ(File.find("missing"), nullptr);

  auto Cf = SafetensorsFile::toF32(*File.find("m.f64"));
  ASSERT_TRUE(Cf.ok());
  EXPECT_EQ(*Cf, (std::vector<float>{0.5f, -1.25f}));
  auto Hf = SafetensorsFile::toF32(*File.find("half"));
  ASSERT_TRUE(Hf.ok());
  EXPECT_EQ(*Hf, (std::vector<float>{1.0f, -2.0f}));
  auto Bff = SafetensorsFile::toF32(*File.find("bhalf"));
  ASSERT_TRUE(Bff.ok());
  EXPECT_EQ(*Bff, (std::vector<float>{1.0f, -3.0f}));
  auto Sf = SafetensorsFile::toF32(*File.find("scalar"));
  ASSERT_TRUE(Sf.ok());
  EXPECT_EQ(*Sf, std::vector<float>{42.0f});
  auto Ef = SafetensorsFile::toF32(*File.find("empty"));
  ASSERT_TRUE(Ef.ok());
  EXPECT_TRUE(Ef->empty());

  EXPECT_EQ(File.metadata(), (std::map<std::string, std::string>{
                                 {"case", "unit"}, {"tolerance", "1e-4"}}));
}

TEST_F(Safetensors, WriterPadsHeaderAndPacksData) {
  std::vector<uint8_t> A = {1, 2, 3};
  std::vector<uint8_t> B = {4, 5};
  std::string P = path("pad.safetensors");
  ASSERT_TRUE(writeSafetensors(P, {{"a", DType::U8, {3}, A.data(), 3},
                                   {"b", DType::U8, {2}, B.data(), 2}})
                  .ok());
  std::ifstream In(P, std::ios::binary);
  std::string Bytes((std::istreambuf_iterator<char>(In)),
                    std::istreambuf_iterator<char>());
  ASSERT_GE(Bytes.size(), 8u);
  uint64_t N = 0;
  for (int I = 7; I >= 0; --I)
    N = (N << 8) | uint8_t(Bytes[I]);
  EXPECT_EQ(N % 8, 0u);
  EXPECT_EQ(Bytes.size(), 8 + N + 5);
  std::string Header = Bytes.substr(8, N);
  EXPECT_TRUE(contains(Header, "\"data_offsets\":[3,5]"));
  EXPECT_LT(Header.find("\"a\""), Header.find("\"b\""));
  EXPECT_EQ(Bytes.substr(8 + N), std::string("\x01\x02\x03\x04\x05"));
}

TEST_F(Safetensors, ConvertsF16Exactly) {
  const std::pair<uint16_t, float> Cases[] = {
      {0x0000, 0.0f},
      {0x3c00, 1.0f},
      {0xc000, -2.0f},
      {0x3555, 0.333251953125f},
      {0x7bff, 65504.0f},
      {0x0001, std::ldexp(1.0f, -24)},    // smallest subnormal
      {0x03ff, std::ldexp(1023.0f, -24)}, // largest subnormal
      {0x8001, -std::ldexp(1.0f, -24)},   // negative subnormal
      {0x0400, std::ldexp(1.0f, -14)},    // smallest normal
      {0x7c00, std::numeric_limits<float>::infinity()},
      {0xfc00, -std::numeric_limits<float>::infinity()},
  };
  std::vector<uint16_t> Bits;
  for (const auto &C : Cases)
    Bits.push_back(C.first);
  Bits.push_back(0x7e00); // NaN
  Bits.push_back(0x8000); // -0
  std::vector<std::byte> Raw = bytesOf(Bits);
  TensorView T{"h", DType::F16, {int64_t(Bits.size())}, Raw.data(), Raw.size()};
  auto F = SafetensorsFile::toF32(T);
  ASSERT_TRUE(F.ok()) << F.message();
  for (size_t I = 0; I < std::size(Cases); ++I)
    EXPECT_EQ((*F)[I], Cases[I].second)
        << "bits 0x" << std::hex << Cases[I].first;
  EXPECT_TRUE(std::isnan((*F)[std::size(Cases)]));
  float NegZero = (*F)[std::size(Cases) + 1];
  EXPECT_EQ(NegZero, 0.0f);
  EXPECT_TRUE(std::signbit(NegZero));
}

TEST_F(Safetensors, ConvertsBF16Exactly) {
  std::vector<uint16_t> Bits = {0x3f80, 0xc040, 0x7f80, 0xff80, 0x0001, 0x7fc0};
  std::vector<std::byte> Raw = bytesOf(Bits);
  TensorView T{"b", DType::BF16, {6}, Raw.data(), Raw.size()};
  auto F = SafetensorsFile::toF32(T);
  ASSERT_TRUE(F.ok()) << F.message();
  EXPECT_EQ((*F)[0], 1.0f);
  EXPECT_EQ((*F)[1], -3.0f);
  EXPECT_EQ((*F)[2], std::numeric_limits<float>::infinity());
  EXPECT_EQ((*F)[3], -std::numeric_limits<float>::infinity());
  EXPECT_EQ((*F)[4], std::bit_cast<float>(uint32_t(0x00010000)));
  EXPECT_TRUE(std::isnan((*F)[5]));
}

TEST_F(Safetensors, ToF32RejectsIntegerDType) {
  std::vector<int32_t> V = {1, 2};
  std::vector<std::byte> Raw = bytesOf(V);
  TensorView T{"ids", DType::I32, {2}, Raw.data(), Raw.size()};
  auto F = SafetensorsFile::toF32(T);
  ASSERT_FALSE(F.ok());
  EXPECT_TRUE(contains(F.message(), "'ids'"));
  EXPECT_TRUE(contains(F.message(), "I32"));
}

TEST_F(Safetensors, KeepsHeaderOrder) {
  // Deliberately neither sorted by name nor by offset.
  std::string P =
      writeRaw(R"({"zeta":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},)"
               R"("alpha":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
               R"("mid":{"dtype":"U8","shape":[],"data_offsets":[6,7]}})",
               "abcdefg");
  auto F = SafetensorsFile::open(P);
  ASSERT_TRUE(F.ok()) << F.message();
  const auto &T = (*F)->tensors();
  ASSERT_EQ(T.size(), 3u);
  EXPECT_EQ(T[0].name, "zeta");
  EXPECT_EQ(T[1].name, "alpha");
  EXPECT_EQ(T[2].name, "mid");
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(T[0].data), 2), "ef");
  EXPECT_EQ(char((*F)->find("mid")->data[0]), 'g');
}

TEST_F(Safetensors, AcceptsZeroTensors) {
  auto Raw = SafetensorsFile::open(writeRaw("{}"));
  ASSERT_TRUE(Raw.ok()) << Raw.message();
  EXPECT_TRUE((*Raw)->tensors().empty());

  std::string P = path("none.safetensors");
  ASSERT_TRUE(writeSafetensors(P, {}, {{"k", "v"}}).ok());
  auto F = SafetensorsFile::open(P);
  ASSERT_TRUE(F.ok()) << F.message();
  EXPECT_TRUE((*F)->tensors().empty());
  EXPECT_EQ((*F)->metadata().at("k"), "v");
}

TEST_F(Safetensors, MoveKeepsViewsValid) {
  std::vector<float> A = {3, 4};
  std::string P = path("move.safetensors");
  ASSERT_TRUE(writeSafetensors(P, {{"a", DType::F32, {2}, A.data(), 8}}).ok());
  auto F = SafetensorsFile::open(P);
  ASSERT_TRUE(F.ok());
  SafetensorsFile Moved = std::move(**F);
  F = Status::error("dropped"); // releases the moved-from object
  ASSERT_NE(Moved.find("a"), nullptr);
  EXPECT_EQ(*SafetensorsFile::toF32(*Moved.find("a")), A);
}

//===----------------------------------------------------------------------===//
// Malformed files
//===----------------------------------------------------------------------===//

TEST_F(Safetensors, RejectsMissingFile) {
  std::string P = path("nope.safetensors");
  std::string Msg = openError(P);
  EXPECT_TRUE(contains(Msg, "cannot open '" + P + "'"));
  EXPECT_TRUE(contains(Msg, std::strerror(ENOENT)));
}

TEST_F(Safetensors, RejectsDirectory) {
  EXPECT_TRUE(contains(openError(Dir.string()), "not a regular file"));
}

TEST_F(Safetensors, RejectsFileShorterThan8Bytes) {
  std::string P = path("short.safetensors");
  std::ofstream(P) << "abc";
  std::string Msg = openError(P);
  EXPECT_TRUE(contains(Msg, "corrupt safetensors '" + P + "'"));
  EXPECT_TRUE(contains(Msg, "shorter than 8 bytes"));
}

TEST_F(Safetensors, NamesAPyTorchCheckpointAndTheConverter) {
  std::string Zip = path("model.pth");
  std::ofstream(Zip, std::ios::binary) << "PK\x03\x04" "archive/data.pkl....";
  std::string Msg = openError(Zip);
  EXPECT_TRUE(contains(Msg, "'" + Zip + "' is a PyTorch checkpoint (zip)")) << Msg;
  EXPECT_TRUE(contains(Msg, "scripts/convert-checkpoint.py")) << Msg;
  std::string Pickle = path("old.pt");
  std::ofstream(Pickle, std::ios::binary) << "\x80\x02\x8a\x0a.........";
  EXPECT_TRUE(contains(openError(Pickle), "PyTorch checkpoint (pickle)"));
  // A header of 0x280 bytes starts with the same two bytes as a pickle.
  EXPECT_TRUE(SafetensorsFile::open(writeRaw("{" + std::string(638, ' ') + "}")).ok());
}

TEST_F(Safetensors, RejectsZeroHeaderLength) {
  EXPECT_TRUE(contains(openError(writeRaw("", "data")), "header length is 0"));
}

TEST_F(Safetensors, RejectsHugeHeaderLength) {
  std::string Msg = openError(writeRaw("{}", "", uint64_t(1) << 40));
  EXPECT_TRUE(contains(Msg, "header length 1099511627776 exceeds the limit"));
}

TEST_F(Safetensors, RejectsTruncatedHeader) {
  std::string Msg = openError(writeRaw("{\"a\":", "", 100));
  EXPECT_TRUE(contains(Msg, "truncated header"));
  EXPECT_TRUE(contains(Msg, "file has 13"));
}

TEST_F(Safetensors, RejectsInvalidJson) {
  EXPECT_TRUE(contains(openError(writeRaw("{\"a\": [1, }")), "not valid JSON"));
}

TEST_F(Safetensors, RejectsNonObjectHeader) {
  EXPECT_TRUE(contains(openError(writeRaw("[1, 2]")), "not a JSON object"));
}

TEST_F(Safetensors, RejectsNonObjectTensorEntry) {
  std::string Msg = entryError("[1, 2]");
  EXPECT_TRUE(contains(Msg, "entry for tensor 't' is not a JSON object"));
}

TEST_F(Safetensors, RejectsMissingDType) {
  EXPECT_TRUE(contains(entryError(R"({"shape":[2],"data_offsets":[0,8]})"),
                       "tensor 't' is missing 'dtype'"));
}

TEST_F(Safetensors, RejectsMissingShape) {
  EXPECT_TRUE(contains(entryError(R"({"dtype":"F32","data_offsets":[0,8]})"),
                       "tensor 't' is missing 'shape'"));
}

TEST_F(Safetensors, RejectsMissingDataOffsets) {
  EXPECT_TRUE(contains(entryError(R"({"dtype":"F32","shape":[2]})"),
                       "tensor 't' is missing 'data_offsets'"));
}

TEST_F(Safetensors, RejectsWrongTypedDType) {
  EXPECT_TRUE(
      contains(entryError(R"({"dtype":32,"shape":[2],"data_offsets":[0,8]})"),
               "'dtype' 32 which is not a string"));
}

TEST_F(Safetensors, RejectsWrongTypedShape) {
  EXPECT_TRUE(contains(
      entryError(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})"),
      "which is not an array"));
  EXPECT_TRUE(contains(
      entryError(R"({"dtype":"F32","shape":[2.0],"data_offsets":[0,8]})"),
      "non-integer dimension"));
}

TEST_F(Safetensors, RejectsUnknownDType) {
  EXPECT_TRUE(
      contains(entryError(R"({"dtype":"F8","shape":[2],"data_offsets":[0,2]})"),
               "tensor 't' has unknown dtype 'F8'"));
}

TEST_F(Safetensors, RejectsNegativeDimension) {
  std::string Msg =
      entryError(R"({"dtype":"F32","shape":[2,-3],"data_offsets":[0,8]})");
  EXPECT_TRUE(contains(Msg, "negative dimension -3"));
}

TEST_F(Safetensors, RejectsAbsurdShape) {
  std::string Msg = entryError(
      R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})");
  EXPECT_TRUE(contains(Msg, "overflows"));
  Msg = entryError(
      R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,8]})");
  EXPECT_TRUE(contains(Msg, "absurd dimension"));
}

TEST_F(Safetensors, RejectsMalformedDataOffsets) {
  for (const char *Offsets :
       {"[0]", "[0,4,8]", "[-4,4]", "[0,4.0]", "\"0,4\""}) {
    std::string Msg =
        entryError(std::string(R"({"dtype":"U8","shape":[4],"data_offsets":)") +
                   Offsets + "}");
    EXPECT_TRUE(contains(Msg, "not 2 non-negative integers")) << Offsets;
  }
}

TEST_F(Safetensors, RejectsBeginAfterEnd) {
  std::string Msg =
      entryError(R"({"dtype":"U8","shape":[0],"data_offsets":[8,4]})");
  EXPECT_TRUE(contains(Msg, "data_offsets [8, 4] with begin > end"));
}

TEST_F(Safetensors, RejectsSizeMismatch) {
  std::string P = writeRaw(
      R"({"fc1.weight":{"dtype":"F32","shape":[5,6],"data_offsets":[0,100]}})",
      std::string(120, '\0'));
  std::string Msg = openError(P);
  EXPECT_TRUE(
      contains(Msg, "corrupt safetensors '" + P +
                        "': tensor 'fc1.weight' "
                        "has data_offsets [0, 100] but dtype F32 and shape "
                        "[5, 6] need 120 bytes"));
}

TEST_F(Safetensors, RejectsTruncatedData) {
  std::string Msg =
      entryError(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})", 10);
  EXPECT_TRUE(contains(Msg,
                       "truncated data: file has 10 data bytes, tensor 't' "
                       "needs up to 16"));
}

TEST_F(Safetensors, RejectsOverlappingOffsets) {
  std::string Msg = openError(
      writeRaw(R"({"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},)"
               R"("b":{"dtype":"U8","shape":[4],"data_offsets":[12,16]},)"
               R"("c":{"dtype":"U8","shape":[8],"data_offsets":[6,14]}})",
               std::string(16, '\0')));
  EXPECT_TRUE(contains(Msg, "overlap"));
  EXPECT_TRUE(contains(Msg, "'a' [0, 8]"));
  EXPECT_TRUE(contains(Msg, "'c' [6, 14]"));
}

TEST_F(Safetensors, AllowsEmptyTensorsAtSameOffset) {
  auto F = SafetensorsFile::open(
      writeRaw(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
               R"("e":{"dtype":"F32","shape":[0],"data_offsets":[2,2]}})",
               "abcd"));
  ASSERT_TRUE(F.ok()) << F.message();
  EXPECT_EQ((*F)->tensors().size(), 2u);
}

TEST_F(Safetensors, RejectsDuplicateTensorNames) {
  std::string Msg = openError(
      writeRaw(R"({"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},)"
               R"("w":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}})",
               std::string(8, '\0')));
  EXPECT_TRUE(contains(Msg, "duplicate tensor name 'w'"));
}

TEST_F(Safetensors, RejectsDuplicateKeysInsideEntry) {
  std::string Msg = entryError(
      R"({"dtype":"U8","dtype":"F32","shape":[4],"data_offsets":[0,4]})");
  EXPECT_TRUE(contains(Msg, "duplicate key 'dtype'"));
}

TEST_F(Safetensors, RejectsNonObjectMetadata) {
  std::string Msg = openError(writeRaw(R"({"__metadata__":["a"]})"));
  EXPECT_TRUE(contains(Msg, "'__metadata__' is not an object of strings"));
}

TEST_F(Safetensors, RejectsNonStringMetadataValue) {
  std::string Msg = openError(writeRaw(R"({"__metadata__":{"seed":1101}})"));
  EXPECT_TRUE(contains(Msg, "'__metadata__' is not an object of strings"));
  EXPECT_TRUE(contains(Msg, "'seed'"));
}

//===----------------------------------------------------------------------===//
// Writer
//===----------------------------------------------------------------------===//

TEST_F(Safetensors, WriterLeavesNoFileOnError) {
  std::vector<float> A = {1, 2};
  std::string P = path("dup.safetensors");
  Status S = writeSafetensors(P, {{"w", DType::F32, {2}, A.data(), 8},
                                  {"w", DType::F32, {2}, A.data(), 8}});
  ASSERT_FALSE(S.ok());
  EXPECT_TRUE(contains(S.message(), "duplicate tensor name 'w'"));
  EXPECT_TRUE(dirEntries().empty());
}

TEST_F(Safetensors, WriterRejectsSizeMismatch) {
  std::vector<float> A = {1, 2, 3};
  Status S = writeSafetensors(path("bad.safetensors"),
                              {{"w", DType::F32, {2, 2}, A.data(), 12}});
  ASSERT_FALSE(S.ok());
  EXPECT_TRUE(contains(S.message(), "tensor 'w' has 12 bytes but dtype F32 and "
                                    "shape [2, 2] need 16 bytes"));
  EXPECT_TRUE(dirEntries().empty());
}

TEST_F(Safetensors, WriterRejectsReservedName) {
  uint8_t B = 0;
  Status S = writeSafetensors(path("r.safetensors"),
                              {{"__metadata__", DType::U8, {1}, &B, 1}});
  EXPECT_FALSE(S.ok());
  EXPECT_TRUE(dirEntries().empty());
}

TEST_F(Safetensors, WriterReportsMissingDirectory) {
  uint8_t B = 0;
  Status S = writeSafetensors(path("no/such/dir.safetensors"),
                              {{"b", DType::U8, {1}, &B, 1}});
  ASSERT_FALSE(S.ok());
  EXPECT_TRUE(contains(S.message(), "cannot write '" + path("no/such/dir.safetensors") + "'"))
      << S.message();
  EXPECT_TRUE(contains(S.message(), "No such file or directory")) << S.message();
}

TEST_F(Safetensors, WriterReplacesExistingFileAtomically) {
  std::string P = path("model.safetensors");
  std::vector<float> Old = {1, 2, 3};
  std::vector<float> New = {7, 8};
  ASSERT_TRUE(
      writeSafetensors(P, {{"old", DType::F32, {3}, Old.data(), 12}}).ok());
  auto Before = SafetensorsFile::open(P);
  ASSERT_TRUE(Before.ok());

  ASSERT_TRUE(
      writeSafetensors(P, {{"new", DType::F32, {2}, New.data(), 8}}).ok());
  // The rename swapped in a new inode: the old mapping still sees old data.
  EXPECT_EQ(*SafetensorsFile::toF32(*(*Before)->find("old")), Old);
  auto After = SafetensorsFile::open(P);
  ASSERT_TRUE(After.ok()) << After.message();
  ASSERT_EQ((*After)->tensors().size(), 1u);
  EXPECT_EQ(*SafetensorsFile::toF32((*After)->tensors()[0]), New);
  // No temporary left behind.
  EXPECT_EQ(dirEntries(), std::vector<std::string>{"model.safetensors"});
}

TEST_F(Safetensors, WriterReplaceFailureKeepsOldFile) {
  std::string P = path("keep.safetensors");
  std::vector<float> Old = {1, 2};
  ASSERT_TRUE(
      writeSafetensors(P, {{"old", DType::F32, {2}, Old.data(), 8}}).ok());
  Status S = writeSafetensors(P, {{"x", DType::F32, {3}, Old.data(), 8}});
  ASSERT_FALSE(S.ok());
  auto F = SafetensorsFile::open(P);
  ASSERT_TRUE(F.ok()) << F.message();
  EXPECT_NE((*F)->find("old"), nullptr);
  EXPECT_EQ(dirEntries(), std::vector<std::string>{"keep.safetensors"});
}
