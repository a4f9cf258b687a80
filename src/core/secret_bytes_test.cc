#include "core/secret_bytes.h"

#include <gtest/gtest.h>

namespace coffer {
namespace {

TEST(SecretBytesTest, HoldsAndComparesBytes) {
  SecretBytes a(std::string_view("hello"));
  SecretBytes b(std::string_view("hello"));
  SecretBytes c(std::string_view("hellp"));
  EXPECT_EQ(a.view(), "hello");
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
}

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a(std::string_view("value"));
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.view(), "value");
  EXPECT_TRUE(a.empty());  // NOLINT: checking moved-from state on purpose
}

TEST(SecretBytesTest, ResizeAndAppend) {
  SecretBytes a(std::string_view("abc"));
  a.append("def");
  EXPECT_EQ(a.view(), "abcdef");
  a.resize(2);
  EXPECT_EQ(a.view(), "ab");
  a.resize(4);
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a.view().substr(0, 2), "ab");
}

TEST(SecretBytesTest, SecureZeroClearsMemory) {
  char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  SecureZero(buf, sizeof buf);
  for (char c : buf) EXPECT_EQ(c, 0);
}

TEST(SecretBytesTest, ConstantTimeEqualsChecksLength) {
  EXPECT_TRUE(ConstantTimeEquals("ab", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
}

}  // namespace
}  // namespace coffer
