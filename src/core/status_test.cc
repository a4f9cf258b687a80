#include "core/status.h"

#include <gtest/gtest.h>

namespace coffer {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgumentError("odd", "BadParameter");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  ASSIGN_OR_RETURN(*out, Half(x));
  return OkStatus();
}

TEST(StatusTest, CarriesCodeMessageReason) {
  Status s = NotFoundError("A secret with (name/id) x was not found", "SecretNotFound");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.reason(), "SecretNotFound");
  EXPECT_EQ(s.ToString(), "NOT_FOUND: A secret with (name/id) x was not found [SecretNotFound]");
}

TEST(StatusTest, StatusOrPropagates) {
  int out = 0;
  EXPECT_TRUE(UseHalf(4, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = UseHalf(3, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.reason(), "BadParameter");
}

}  // namespace
}  // namespace coffer
