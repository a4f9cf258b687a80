#include "backup/chunk_storer.h"

#include <algorithm>
#include <utility>

namespace coffer::backup {

ChunkStorer::ChunkStorer(SpoolFile spool, size_t chunk_bytes, size_t chunks_per_transaction,
                         StoreFn store)
    : spool_(std::move(spool)),
      chunk_bytes_(std::max<size_t>(chunk_bytes, 1)),
      per_transaction_(std::max<size_t>(chunks_per_transaction, 1)),
      store_(std::move(store)),
      thread_([this] { Run(); }) {}

ChunkStorer::~ChunkStorer() { Abandon(); }

Status ChunkStorer::Write(std::string_view bytes) {
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
  }
  RETURN_IF_ERROR(spool_.Write(bytes));
  std::lock_guard lock(mu_);
  written_ = spool_.size();
  // Wake the storer only when a whole transaction's worth is waiting (it re-checks anyway).
  if (written_ / chunk_bytes_ >= stored_ + per_transaction_) cv_.notify_one();
  return OkStatus();
}

Status ChunkStorer::Close() {
  {
    std::lock_guard lock(mu_);
    complete_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return error_;
}

void ChunkStorer::Abandon() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint32_t ChunkStorer::chunks() const {
  std::lock_guard lock(mu_);
  return stored_;
}

void ChunkStorer::Run() {
  std::vector<std::string> batch;
  while (true) {
    uint32_t first = 0;
    uint64_t end = 0;  // the batch covers [first * chunk_bytes_, end)
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] {
        if (stop_) return true;
        uint64_t whole = written_ / chunk_bytes_;
        return whole >= stored_ + per_transaction_ || complete_;
      });
      if (stop_) return;
      first = stored_;
      uint64_t start = uint64_t{first} * chunk_bytes_;
      uint64_t whole_end = std::min<uint64_t>(written_ / chunk_bytes_,
                                              uint64_t{first} + per_transaction_) *
                           chunk_bytes_;
      end = whole_end > start ? whole_end : (complete_ ? written_ : start);
      // Complete, and everything stored (the last chunk may be short: end < start then).
      if (end <= start) return;
    }
    uint64_t start = uint64_t{first} * chunk_bytes_;
    batch.clear();
    Status s;
    for (uint64_t off = start; off < end && s.ok(); off += chunk_bytes_) {
      std::string chunk(static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, end - off)), '\0');
      auto got = spool_.ReadAt(off, chunk.data(), chunk.size());
      if (!got.ok()) {
        s = got.status();
      } else if (*got != chunk.size()) {
        s = InternalError("the backup's temporary file is shorter than what was written to it");
      } else {
        batch.push_back(std::move(chunk));
      }
    }
    if (s.ok()) s = store_(first, batch);
    std::lock_guard lock(mu_);
    if (!s.ok()) {
      error_ = s;
      return;
    }
    stored_ += static_cast<uint32_t>(batch.size());
  }
}

}  // namespace coffer::backup
