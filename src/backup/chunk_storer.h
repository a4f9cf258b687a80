// ChunkStorer: stores a backup job's archive into storage while the archive is still being
// written, so reading the vault and storing its archive overlap instead of following each other.
//
// The archive goes to a SpoolFile (an unnamed temporary file, so memory stays flat however large
// the vault) through this ByteSink; a thread of the storer's own reads back what has been
// written and hands `store` up to `chunks_per_transaction` whole chunks of `chunk_bytes` at a
// time (one storage transaction each), the last partial chunk once Close() says the archive is
// complete. The backup's read transaction and these writes run at the same time: SQLite in WAL
// mode and PostgreSQL let a reader and a writer proceed together. An engine whose reads block
// writes (MemoryStorage) only delays the stores until the read ends; the spool takes the bytes
// meanwhile, so nothing waits on anything in a cycle.
//
// Errors: a failed store ends the storer; the next Write, and Close, return that error (so the
// backup stops early). Abandon() (or the destructor) stops and joins without storing the rest:
// the caller then removes what was stored (VaultBackupJobs::FinishFailed deletes the job's
// chunks by prefix), after the storer has been joined so no chunk lands after that.
//
// Thread-safety: Write, Close and Abandon are called by one thread; `store` runs on the
// storer's thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backup/archive_io.h"

namespace coffer::backup {

class ChunkStorer final : public ByteSink {
 public:
  // Stores `chunks` as the chunks numbered from `first` on, in one transaction.
  using StoreFn = std::function<Status(uint32_t first, const std::vector<std::string>& chunks)>;

  ChunkStorer(SpoolFile spool, size_t chunk_bytes, size_t chunks_per_transaction, StoreFn store);
  ~ChunkStorer() override;
  ChunkStorer(const ChunkStorer&) = delete;
  ChunkStorer& operator=(const ChunkStorer&) = delete;

  Status Write(std::string_view bytes) override;
  // The archive is complete: stores the rest, waits for every store, returns the first error.
  Status Close();
  // Stops without storing the rest and waits for a store in progress to end.
  void Abandon();
  // Chunks stored (after Close: all of them).
  uint32_t chunks() const;

 private:
  void Run();

  SpoolFile spool_;
  const size_t chunk_bytes_;
  const size_t per_transaction_;
  const StoreFn store_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t written_ = 0;   // bytes in the spool the storer may read
  bool complete_ = false;  // Close: no more bytes come
  bool stop_ = false;      // Abandon
  Status error_;           // the first failed store or read
  uint32_t stored_ = 0;
  std::thread thread_;
};

}  // namespace coffer::backup
