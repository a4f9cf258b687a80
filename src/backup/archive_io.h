// Where a whole-vault archive's bytes go and come from: a ByteSink takes them in order, a
// ByteSource hands them out in order. Archives are written and read through these so that a
// large vault never has to be one string in memory: the backup job writes to a SpoolFile (an
// unnamed temporary file) before copying it into storage, a scheduled backup to an AtomicFile in
// the backup directory, and a restore reads from the request body or a file — through a
// ByteSourceOpener, because it reads the archive once per run of its storage transaction.
//
// Errors: file failures are ErrnoStatus's (Unavailable for ENOSPC, EIO, …; PermissionDenied for
// EACCES); messages name the path, never the content.
//
// Thread-safety: each object is used by one thread at a time (SpoolFile::ReadAt excepted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace coffer::backup {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view bytes) = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `n` bytes into `out`; 0 only at the end.
  virtual StatusOr<size_t> Read(char* out, size_t n) = 0;
};

// Opens the same bytes again from the first one each time it is called. A restore reads its
// archive inside its storage transaction, and an engine may run that transaction more than once
// (PostgreSQL after a serialization conflict; store/storage.h), so a source that can be read
// only once cannot serve it: every run opens a fresh one. Errors: the opener's own (a file that
// cannot be opened).
using ByteSourceOpener = std::function<StatusOr<std::unique_ptr<ByteSource>>()>;

// Appends to a string the caller owns.
class StringSink final : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status Write(std::string_view bytes) override {
    out_->append(bytes);
    return OkStatus();
  }

 private:
  std::string* out_;
};

// Reads a view the caller keeps alive.
class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string_view in) : in_(in) {}
  StatusOr<size_t> Read(char* out, size_t n) override;

 private:
  std::string_view in_;
  size_t pos_ = 0;
};

// Exactly `n` bytes from `source` into `out`: returns how many arrived before the end (< n only
// at the end of the source).
StatusOr<size_t> ReadFully(ByteSource& source, char* out, size_t n);

// A temporary file with no name (O_TMPFILE in `dir`, or a name unlinked at once where the
// filesystem lacks it): written, then rewound and read back. Nothing is left behind however the
// process ends.
class SpoolFile final : public ByteSink, public ByteSource {
 public:
  static StatusOr<SpoolFile> Create(const std::string& dir);
  SpoolFile(SpoolFile&& other) noexcept;
  SpoolFile& operator=(SpoolFile&& other) noexcept;
  ~SpoolFile() override;

  Status Write(std::string_view bytes) override;
  // Back to the first byte, for reading.
  Status Rewind();
  StatusOr<size_t> Read(char* out, size_t n) override;
  // Exactly `n` bytes from `offset` (fewer only at the end), without moving the position Write
  // and Read use: one thread may ReadAt bytes that another has already written (ChunkStorer).
  StatusOr<size_t> ReadAt(uint64_t offset, char* out, size_t n) const;
  uint64_t size() const { return size_; }

 private:
  SpoolFile(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  int fd_ = -1;
  std::string dir_;
  uint64_t size_ = 0;
};

// A file that appears at `path` only once it is complete: written under a hidden temporary name
// in the same directory (".<file name>.<random>.tmp"), then Commit() fsyncs it, renames it into
// place and fsyncs the directory. Destroyed without Commit, the temporary file is removed.
class AtomicFile final : public ByteSink {
 public:
  static StatusOr<AtomicFile> Create(const std::string& path, uint32_t mode);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  ~AtomicFile() override;

  Status Write(std::string_view bytes) override;
  Status Commit();
  // Whether `file_name` is such a temporary name (a crash may leave one behind).
  static bool IsTemporaryName(std::string_view file_name);

 private:
  AtomicFile(int fd, std::string path, std::string temp)
      : fd_(fd), path_(std::move(path)), temp_(std::move(temp)) {}
  void Abandon();
  int fd_ = -1;
  std::string path_;
  std::string temp_;
};

// Reads a whole file in order.
class FileSource final : public ByteSource {
 public:
  static StatusOr<FileSource> Open(const std::string& path);
  FileSource(FileSource&& other) noexcept;
  FileSource& operator=(FileSource&& other) noexcept;
  ~FileSource() override;
  StatusOr<size_t> Read(char* out, size_t n) override;

 private:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// Openers of a view the caller keeps alive as long as the opener, and of a file by its path.
ByteSourceOpener StringSourceOpener(std::string_view in);
ByteSourceOpener FileSourceOpener(std::string path);

}  // namespace coffer::backup
