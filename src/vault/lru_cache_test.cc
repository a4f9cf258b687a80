// LruCache: eviction order, prefix erasure, and the epoch rule that keeps a value read before
// an invalidation out of the cache.
#include "vault/lru_cache.h"

#include <gtest/gtest.h>

namespace coffer::vault {
namespace {

TEST(LruCacheTest, LookupMissThenPutThenHit) {
  LruCache<int> cache(4);
  auto miss = cache.Lookup("a");
  EXPECT_FALSE(miss.value.has_value());
  EXPECT_TRUE(cache.Put("a", 1, miss.epoch));
  auto hit = cache.Lookup("a");
  ASSERT_TRUE(hit.value.has_value());
  EXPECT_EQ(*hit.value, 1);
}

TEST(LruCacheTest, DropsTheLeastRecentlyUsedBeyondCapacity) {
  LruCache<int> cache(2);
  uint64_t e = cache.Lookup("x").epoch;
  cache.Put("a", 1, e);
  cache.Put("b", 2, e);
  EXPECT_TRUE(cache.Lookup("a").value.has_value());  // a is now more recent than b
  cache.Put("c", 3, e);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Lookup("a").value.has_value());
  EXPECT_FALSE(cache.Lookup("b").value.has_value());
  EXPECT_TRUE(cache.Lookup("c").value.has_value());
}

TEST(LruCacheTest, PutReplacesAnExistingValue) {
  LruCache<int> cache(2);
  uint64_t e = cache.Lookup("a").epoch;
  cache.Put("a", 1, e);
  cache.Put("a", 2, e);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.Lookup("a").value, 2);
}

TEST(LruCacheTest, ErasePrefixDropsOnlyMatchingKeys) {
  LruCache<int> cache(8);
  uint64_t e = cache.Lookup("").epoch;
  cache.Put("v1/k1/", 1, e);
  cache.Put("v1/k1/abc", 2, e);
  cache.Put("v1/k10/", 3, e);
  cache.Put("v2/k1/", 4, e);
  cache.ErasePrefix("v1/k1/");
  EXPECT_FALSE(cache.Lookup("v1/k1/").value.has_value());
  EXPECT_FALSE(cache.Lookup("v1/k1/abc").value.has_value());
  EXPECT_TRUE(cache.Lookup("v1/k10/").value.has_value());
  EXPECT_TRUE(cache.Lookup("v2/k1/").value.has_value());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(LruCacheTest, ValueReadBeforeAnInvalidationIsNotCached) {
  LruCache<int> cache(8);
  auto before = cache.Lookup("k");  // a reader misses and goes to storage...
  cache.ErasePrefix("k");           // ...a writer commits and invalidates...
  EXPECT_FALSE(cache.Put("k", 1, before.epoch));  // ...so the reader's stale value is refused
  EXPECT_FALSE(cache.Lookup("k").value.has_value());
  auto after = cache.Lookup("k");
  EXPECT_TRUE(cache.Put("k", 2, after.epoch));
  EXPECT_EQ(*cache.Lookup("k").value, 2);
}

}  // namespace
}  // namespace coffer::vault
