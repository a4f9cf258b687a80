// The Storage conformance suite: the behaviour every engine must share (storage.h's contract),
// as a value-parameterised GoogleTest suite. An engine's test file instantiates it with a
// factory that returns a fresh, empty engine per test:
//
//   INSTANTIATE_TEST_SUITE_P(Memory, StorageConformanceTest,
//                            ::testing::Values(StorageFactory([] { return ...; })));
//
// A factory may GTEST_SKIP (in a helper) and return nullptr when its engine is not available.
// The factory's engine is destroyed at the end of each test; an engine needing cleanup (a temp
// dir) should return a wrapper that cleans up in its destructor.
//
// Thread-safety: test code; the factory is called on the test thread.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "store/storage.h"

namespace coffer::store {

using StorageFactory = std::function<std::unique_ptr<Storage>()>;

class StorageConformanceTest : public ::testing::TestWithParam<StorageFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Storage& storage() { return *storage_; }

  // Helpers that ASSERT inside: a failed engine call fails the test.
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  std::optional<std::string> Get(std::string_view key);
  std::vector<Entry> Scan(std::string_view prefix, std::string_view start_after, size_t limit);

  std::unique_ptr<Storage> storage_;
};

}  // namespace coffer::store
