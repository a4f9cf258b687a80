// Files outside the storage engine: the keyring, credentials and CA material that live beside
// the database in the data dir. Writes are atomic and durable (temp file in the same directory,
// write, fsync, rename, fsync the directory), so a crash leaves either the old or the new file,
// never a torn one. DirectoryLock keeps two servers off one data dir.
//
// Errors: ENOENT -> NotFound, EACCES/EPERM -> PermissionDenied, anything else the OS reports
// (ENOSPC, EIO, ...) -> Unavailable. Messages name the path and the OS error, never file contents.
//
// Thread-safety: the functions are safe to call concurrently (on different paths; two concurrent
// WriteFileAtomically calls on one path leave one of the two contents). A DirectoryLock is a value
// owned by one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace coffer {

// The Status for an OS error `err` on `path`: ENOENT → NotFound, EACCES/EPERM →
// PermissionDenied, anything else → Unavailable; the message is "<what> <path>: <strerror>".
Status ErrnoStatus(int err, std::string_view what, const std::string& path);

// Writes all of `data` to `fd` (retrying short writes and EINTR); `path` names it in errors.
Status WriteAll(int fd, std::string_view data, const std::string& path);
// Reads up to `n` bytes at `offset` of `fd` (retrying short reads and EINTR; fewer only at the
// end of the file); `path` names it in errors.
StatusOr<size_t> ReadAllAt(int fd, uint64_t offset, char* out, size_t n, const std::string& path);
// fsyncs the directory `dir` (after a rename or an unlink in it, so the change is durable).
Status FsyncDirectory(const std::string& dir);

// A file without a name in `dir`, open for reading and writing with mode 0600: O_TMPFILE, or
// where the filesystem lacks it a mkostemp file unlinked at once. Nothing is left on disk once
// the descriptor is closed, however the process ends. Returns the descriptor (the caller
// closes it).
StatusOr<int> OpenUnnamedFile(const std::string& dir);

// Replaces `path` with `data` atomically and durably; the file gets exactly `mode` (umask is
// not applied). The directory must exist.
Status WriteFileAtomically(const std::string& path, std::string_view data, mode_t mode);

// The whole file. NotFound if it does not exist.
StatusOr<std::string> ReadFile(const std::string& path);

// Creates `path` (one level; the parent must exist) with exactly `mode`, or chmods it to `mode`
// if it already exists. FailedPrecondition if `path` exists and is not a directory.
Status EnsureDirectory(const std::string& path, mode_t mode);

// An exclusive advisory lock (flock) on `<dir>/LOCK`, held for the lifetime of the object and
// released when it is destroyed (or when the process dies, however it dies).
class DirectoryLock {
 public:
  // FailedPrecondition "another coffer server is using data dir <dir>" if the lock is held, by
  // another process or by another DirectoryLock in this one.
  static StatusOr<DirectoryLock> Acquire(const std::string& dir);

  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();

  const std::string& dir() const { return dir_; }

 private:
  DirectoryLock(int fd, std::string dir) : fd_(fd), dir_(std::move(dir)) {}
  void Release();

  int fd_ = -1;
  std::string dir_;
};

}  // namespace coffer
