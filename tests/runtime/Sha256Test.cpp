//===- runtime/Sha256Test.cpp - SHA-256 against FIPS 180-4 vectors --------===//

#include "Cuda/Sha256.h"

#include <gtest/gtest.h>

using ssmc::rt::Sha256;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(Sha256::hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256::hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      Sha256::hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256::hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string Text;
  for (int I = 0; I < 300; ++I)
    Text += char('a' + I % 26);
  // Every split point, so partial blocks and block boundaries are covered.
  for (size_t Split = 0; Split <= Text.size(); Split += 7) {
    Sha256 H;
    H.update(std::string_view(Text).substr(0, Split));
    H.update(std::string_view(Text).substr(Split));
    EXPECT_EQ(H.hexDigest(), Sha256::hex(Text)) << "split at " << Split;
  }
}

TEST(Sha256, FieldsDoNotRunTogether) {
  Sha256 A, B;
  A.updateField("ab");
  A.updateField("c");
  B.updateField("a");
  B.updateField("bc");
  EXPECT_NE(A.hexDigest(), B.hexDigest());
}
