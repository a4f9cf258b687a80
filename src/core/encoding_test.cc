#include "core/encoding.h"

#include <gtest/gtest.h>

namespace coffer {
namespace {

// RFC 4648 §10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(EncodeBase64(plain), encoded);
    EXPECT_EQ(DecodeBase64(encoded).value(), plain);
    std::string unpadded = encoded.substr(0, encoded.find('='));
    EXPECT_EQ(EncodeBase64Url(plain), unpadded);
    EXPECT_EQ(DecodeBase64Url(unpadded).value(), plain);
  }
}

TEST(Base64Test, UrlAlphabetAndStdAlphabetBothDecode) {
  std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(EncodeBase64Url(bytes), "-__-");
  EXPECT_EQ(EncodeBase64(bytes), "+//+");
  EXPECT_EQ(DecodeBase64Url("-__-").value(), bytes);
  EXPECT_EQ(DecodeBase64Url("+//+").value(), bytes);
}

TEST(Base64Test, RejectsInvalidInput) {
  EXPECT_FALSE(DecodeBase64Url("a").has_value());        // impossible length
  EXPECT_FALSE(DecodeBase64Url("ab$d").has_value());     // bad character
  EXPECT_FALSE(DecodeBase64Url("ab d").has_value());     // whitespace
  EXPECT_FALSE(DecodeBase64Url("Zg=").has_value());      // padding that does not complete
  EXPECT_FALSE(DecodeBase64Url("Zh").has_value());       // non-zero leftover bits
  EXPECT_FALSE(DecodeBase64Url("Zg===").has_value());
}

TEST(HexTest, RoundTripAndRejects) {
  EXPECT_EQ(EncodeHex(std::string("\x00\xab\xff", 3)), "00abff");
  EXPECT_EQ(DecodeHex("00ABff").value(), std::string("\x00\xab\xff", 3));
  EXPECT_FALSE(DecodeHex("abc").has_value());
  EXPECT_FALSE(DecodeHex("zz").has_value());
}

TEST(AsciiTest, LowerAndCompare) {
  EXPECT_EQ(AsciiLower("My-Secret1"), "my-secret1");
  EXPECT_TRUE(EqualsIgnoreCase("AbC", "aBc"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
}

}  // namespace
}  // namespace coffer
