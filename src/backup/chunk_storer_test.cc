// ChunkStorer: every byte written is stored once, in order, in chunks of the given size and
// batches of at most the given count; stores start before the archive is complete; a failed
// store stops the writer; Abandon stores nothing more.
#include "backup/chunk_storer.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace coffer::backup {
namespace {

SpoolFile Spool() {
  auto spool = SpoolFile::Create(std::filesystem::temp_directory_path().string());
  EXPECT_TRUE(spool.ok()) << spool.status().ToString();
  return std::move(*spool);
}

// Records what was stored, as the job's transactions would.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> chunks;
  std::vector<size_t> batch_sizes;
  Status fail_with;

  ChunkStorer::StoreFn Fn() {
    return [this](uint32_t first, const std::vector<std::string>& batch) -> Status {
      std::lock_guard lock(mu);
      if (!fail_with.ok()) return fail_with;
      EXPECT_EQ(first, chunks.size());
      for (const std::string& c : batch) chunks.push_back(c);
      batch_sizes.push_back(batch.size());
      cv.notify_all();
      return OkStatus();
    };
  }
};

std::string Bytes(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7);
  return s;
}

TEST(ChunkStorerTest, StoresEveryByteInOrderInChunksAndBatches) {
  Recorder rec;
  ChunkStorer storer(Spool(), 10, 3, rec.Fn());
  std::string all;
  for (size_t n : {1u, 7u, 25u, 3u, 40u, 9u}) {  // 85 bytes in odd pieces
    std::string piece = Bytes(n, static_cast<char>(all.size()));
    all += piece;
    ASSERT_TRUE(storer.Write(piece).ok());
  }
  ASSERT_TRUE(storer.Close().ok());
  EXPECT_EQ(storer.chunks(), 9u);
  ASSERT_EQ(rec.chunks.size(), 9u);
  std::string joined;
  for (size_t i = 0; i < rec.chunks.size(); ++i) {
    EXPECT_EQ(rec.chunks[i].size(), i + 1 < rec.chunks.size() ? 10u : 5u);
    joined += rec.chunks[i];
  }
  EXPECT_EQ(joined, all);
  for (size_t b : rec.batch_sizes) EXPECT_LE(b, 3u);
}

TEST(ChunkStorerTest, ExactMultipleOfTheChunkSizeHasNoEmptyChunk) {
  Recorder rec;
  ChunkStorer storer(Spool(), 10, 2, rec.Fn());
  ASSERT_TRUE(storer.Write(Bytes(40, 1)).ok());
  ASSERT_TRUE(storer.Close().ok());
  EXPECT_EQ(storer.chunks(), 4u);
  for (const std::string& c : rec.chunks) EXPECT_EQ(c.size(), 10u);
}

TEST(ChunkStorerTest, StoresBeginBeforeTheArchiveIsComplete) {
  Recorder rec;
  ChunkStorer storer(Spool(), 10, 2, rec.Fn());
  ASSERT_TRUE(storer.Write(Bytes(25, 3)).ok());  // two whole chunks: one transaction's worth
  {
    std::unique_lock lock(rec.mu);
    rec.cv.wait(lock, [&] { return !rec.chunks.empty(); });  // before Close
    EXPECT_EQ(rec.chunks.size(), 2u);
  }
  ASSERT_TRUE(storer.Close().ok());
  EXPECT_EQ(storer.chunks(), 3u);
}

TEST(ChunkStorerTest, FailedStoreStopsTheWriterAndCloseReportsIt) {
  Recorder rec;
  rec.fail_with = UnavailableError("storage is down (test)");
  ChunkStorer storer(Spool(), 10, 1, rec.Fn());
  ASSERT_TRUE(storer.Write(Bytes(10, 5)).ok());
  Status later;
  for (int i = 0; i < 1000000 && later.ok(); ++i) later = storer.Write("x");  // until it sees it
  EXPECT_EQ(later.code(), StatusCode::kUnavailable);
  EXPECT_EQ(storer.Close().code(), StatusCode::kUnavailable);
  EXPECT_EQ(storer.chunks(), 0u);
}

TEST(ChunkStorerTest, AbandonStoresNothingMore) {
  Recorder rec;
  {
    ChunkStorer storer(Spool(), 10, 4, rec.Fn());
    ASSERT_TRUE(storer.Write(Bytes(15, 2)).ok());  // less than one transaction's worth
    storer.Abandon();
    EXPECT_EQ(storer.chunks(), 0u);
  }
  EXPECT_TRUE(rec.chunks.empty());
}

}  // namespace
}  // namespace coffer::backup
