#include "store/memory_storage.h"

#include <gtest/gtest.h>

#include "store/storage_conformance.h"

namespace coffer::store {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, StorageConformanceTest,
                         ::testing::Values(StorageFactory([]() -> std::unique_ptr<Storage> {
                           return std::make_unique<MemoryStorage>();
                         })));

Status PutKey(Storage& s, const std::string& key) {
  return s.Update([&](Transaction& txn) { return txn.Put(key, "v"); });
}

std::optional<std::string> GetKey(Storage& s, const std::string& key) {
  std::optional<std::string> out;
  EXPECT_TRUE(s.View([&](Transaction& txn) {
                 ASSIGN_OR_RETURN(out, txn.Get(key));
                 return OkStatus();
               }).ok());
  return out;
}

TEST(MemoryStorageTest, FailNextCommitsFailsExactlyThatManyAndWritesNothing) {
  MemoryStorage s;
  s.FailNextCommits(2);
  EXPECT_EQ(PutKey(s, "a").code(), StatusCode::kUnavailable);
  EXPECT_EQ(PutKey(s, "b").code(), StatusCode::kUnavailable);
  EXPECT_EQ(GetKey(s, "a"), std::nullopt);
  EXPECT_EQ(GetKey(s, "b"), std::nullopt);
  EXPECT_TRUE(PutKey(s, "c").ok());
  EXPECT_EQ(GetKey(s, "c"), "v");
  EXPECT_EQ(s.commits(), 1u);
}

TEST(MemoryStorageTest, FailedFnDoesNotConsumeAnInjectedCommitFailure) {
  MemoryStorage s;
  s.FailNextCommits(1);
  Status st = s.Update([](Transaction&) { return InvalidArgumentError("bad"); });
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PutKey(s, "a").code(), StatusCode::kUnavailable);
  EXPECT_TRUE(PutKey(s, "a").ok());
}

TEST(MemoryStorageTest, ThrowingFnBecomesInternalErrorAndWritesNothing) {
  MemoryStorage s;
  Status st = s.Update([](Transaction& txn) -> Status {
    (void)txn.Put("x", "1");
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_EQ(GetKey(s, "x"), std::nullopt);
}

TEST(MemoryStorageTest, NestedViewDoesNotRelock) {
  MemoryStorage s;
  ASSERT_TRUE(PutKey(s, "a").ok());
  std::optional<std::string> inner;
  Status st = s.View([&](Transaction&) {
    inner = GetKey(s, "a");
    return OkStatus();
  });
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(inner, "v");
}

}  // namespace
}  // namespace coffer::store
