#include "auth/audit_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "core/files.h"
#include "core/log.h"

namespace coffer::auth {
namespace {


// One open audit file; closed when the last holder (the sink, or a Sync in progress) lets go.
struct OpenFile {
  int fd = -1;
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t size = 0;  // at open
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

class FileAuditSink final : public AuditSink {
 public:
  FileAuditSink(std::string path, uint64_t max_size_bytes, int keep,
                std::chrono::milliseconds check_interval)
      : path_(std::move(path)),
        max_size_bytes_(max_size_bytes),
        keep_(keep),
        check_interval_ns_(std::chrono::nanoseconds(check_interval).count()) {}

  Status Init() {
    std::lock_guard<std::shared_mutex> lock(mu_);
    checked_ns_ = NowNanos();
    return Reopen();
  }

  // Concurrent writers share the lock and each append with one write(2) (O_APPEND keeps lines
  // whole); only a path check, a rotation or a torn line takes it exclusively. The path is
  // checked at most every check_interval (stat(2) per line cost more than the write and
  // serialised the I/O threads): lines written in that window after an operator removes the file
  // go to the removed file; a rename (logrotate) loses nothing.
  Status Write(std::string_view line) override {
    int64_t now = NowNanos();
    {
      std::shared_lock<std::shared_mutex> lock(mu_);
      if (file_ && !torn_.load(std::memory_order_relaxed) &&
          now - checked_ns_.load(std::memory_order_relaxed) < check_interval_ns_ &&
          size_.load(std::memory_order_relaxed) + line.size() <= max_size_bytes_) {
        return AppendShared(line);
      }
    }
    std::lock_guard<std::shared_mutex> lock(mu_);
    RETURN_IF_ERROR(EnsureCurrent());
    checked_ns_.store(now, std::memory_order_relaxed);
    if (size_ > 0 && size_ + line.size() > max_size_bytes_) {
      Status s = Rotate();
      if (!s.ok() && !rotate_failing_) {
        log::warn("cannot rotate the audit log, appending to {}: {}", path_, s.message());
      }
      rotate_failing_ = !s.ok();
    }
    return WriteLine(line);
  }

  Status Sync() override {
    std::shared_ptr<OpenFile> current;
    std::vector<std::shared_ptr<OpenFile>> retired;
    bool sync_dir;
    {
      // fdatasync runs outside the lock, so a slow disk does not hold up Write.
      std::lock_guard<std::shared_mutex> lock(mu_);
      current = file_;
      retired.swap(retired_);
      sync_dir = std::exchange(dir_dirty_, false);
    }
    Status result;
    for (const auto& f : retired) {
      if (::fdatasync(f->fd) != 0 && result.ok()) {
        result = ErrnoStatus(errno, "cannot fsync", path_);
      }
    }
    if (current && ::fdatasync(current->fd) != 0 && result.ok()) {
      result = ErrnoStatus(errno, "cannot fsync", path_);
    }
    if (sync_dir) {
      Status s = SyncDirectory();
      if (!s.ok()) {
        std::lock_guard<std::shared_mutex> lock(mu_);
        dir_dirty_ = true;
        if (result.ok()) result = s;
      }
    }
    return result;
  }

 private:
  static int64_t NowNanos() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // One write(2) under the shared lock. A short write (a full disk) marks the line torn; the
  // next writer takes the exclusive path and closes it.
  Status AppendShared(std::string_view line) {
    size_t done = 0;
    while (done < line.size()) {
      ssize_t w = ::write(file_->fd, line.data() + done, line.size() - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        if (done > 0) torn_ = true;
        size_ += done;
        return ErrnoStatus(err, "cannot write", path_);
      }
      done += static_cast<size_t>(w);
    }
    size_ += done;
    return OkStatus();
  }

  std::string DirName() const {
    size_t slash = path_.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path_.substr(0, slash);
  }

  // audit.jsonl → audit.<i>.jsonl; a name without an extension gets ".<i>" appended.
  std::string RotatedPath(int i) const {
    size_t slash = path_.find_last_of('/');
    size_t dot = path_.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
        dot == (slash == std::string::npos ? 0 : slash + 1)) {
      return path_ + "." + std::to_string(i);
    }
    return path_.substr(0, dot) + "." + std::to_string(i) + path_.substr(dot);
  }

  Status SyncDirectory() const {
    std::string dir = DirName();
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "cannot open directory", dir);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus(err, "cannot fsync directory", dir);
    return OkStatus();
  }

  // Opens the path anew and makes it the current file. mu_ held.
  Status Reopen() {
    // O_NONBLOCK: a FIFO put at the path must fail here, not block an I/O thread.
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600);
    if (fd < 0) return ErrnoStatus(errno, "cannot open", path_);
    auto file = std::make_shared<OpenFile>();
    file->fd = fd;
    struct stat st {};
    if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot stat", path_);
    if (!S_ISREG(st.st_mode)) return UnavailableError(path_ + " is not a regular file");
    file->dev = st.st_dev;
    file->ino = st.st_ino;
    file->size = static_cast<uint64_t>(st.st_size);
    if (file_) retired_.push_back(std::move(file_));
    file_ = std::move(file);
    size_ = file_->size;
    dir_dirty_ = true;
    // A torn line from before belongs to the old file; the new one starts clean.
    torn_ = false;
    return OkStatus();
  }

  // Reopens the path if it no longer names the open file (removed, or moved away by logrotate).
  // One stat(2) per line: the check must happen before the line is written, or lines would go to
  // an unlinked file while the request is answered as audited. mu_ held.
  Status EnsureCurrent() {
    struct stat st {};
    if (file_ && ::stat(path_.c_str(), &st) == 0 && st.st_dev == file_->dev &&
        st.st_ino == file_->ino) {
      return OkStatus();
    }
    return Reopen();
  }

  // audit.<keep-1> → audit.<keep>, …, audit.jsonl → audit.1.jsonl, then a new audit.jsonl.
  // Missing rotated files are skipped. mu_ held.
  Status Rotate() {
    if (keep_ <= 0) {
      if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus(errno, "cannot remove", path_);
      }
      return Reopen();
    }
    std::string oldest = RotatedPath(keep_);
    if (::unlink(oldest.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, "cannot remove", oldest);
    }
    for (int i = keep_ - 1; i >= 1; --i) {
      std::string from = RotatedPath(i), to = RotatedPath(i + 1);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus(errno, "cannot rename " + from + " to", to);
      }
    }
    std::string first = RotatedPath(1);
    if (::rename(path_.c_str(), first.c_str()) != 0) {
      return ErrnoStatus(errno, "cannot rename " + path_ + " to", first);
    }
    return Reopen();
  }

  // One write(2) per line (writev when a torn line must be closed first). mu_ held.
  Status WriteLine(std::string_view line) {
    static constexpr char kNewline[] = "\n";
    iovec iov[2];
    int n = 0;
    if (torn_) iov[n++] = {const_cast<char*>(kNewline), 1};
    iov[n++] = {const_cast<char*>(line.data()), line.size()};
    size_t total = line.size() + (torn_ ? 1 : 0), done = 0;
    while (done < total) {
      ssize_t w = ::writev(file_->fd, iov, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        torn_ = torn_ || done > 0;
        size_ += done;
        return ErrnoStatus(err, "cannot write", path_);
      }
      done += static_cast<size_t>(w);
      // Drop what was written from the front of the vector (rare: regular files write whole).
      size_t skip = static_cast<size_t>(w);
      int first = 0;
      while (first < n && skip >= iov[first].iov_len) skip -= iov[first++].iov_len;
      for (int i = first; i < n; ++i) iov[i - first] = iov[i];
      n -= first;
      if (n > 0) {
        iov[0].iov_base = static_cast<char*>(iov[0].iov_base) + skip;
        iov[0].iov_len -= skip;
      }
    }
    torn_ = false;
    size_ += total;
    return OkStatus();
  }

  const std::string path_;
  const uint64_t max_size_bytes_;
  const int keep_;

  const int64_t check_interval_ns_;

  // Guards what follows: shared for appends (which change only the atomics), exclusive for
  // replacing the file, rotating and closing a torn line.
  std::shared_mutex mu_;
  std::shared_ptr<OpenFile> file_;
  std::atomic<uint64_t> size_{0};                   // of file_, as we wrote it
  std::atomic<int64_t> checked_ns_{0};              // when the path was last checked
  std::vector<std::shared_ptr<OpenFile>> retired_;  // replaced, not yet synced
  bool dir_dirty_ = false;                          // a file was created or renamed
  std::atomic<bool> torn_{false};                   // a write stopped mid-line
  bool rotate_failing_ = false;                     // warned once per failure run
};

}  // namespace

StatusOr<std::unique_ptr<AuditSink>> OpenAuditFile(const std::string& path,
                                                   uint64_t max_size_bytes, int keep,
                                                   std::chrono::milliseconds check_interval) {
  auto sink = std::make_unique<FileAuditSink>(path, max_size_bytes, keep, check_interval);
  RETURN_IF_ERROR(sink->Init());
  return std::unique_ptr<AuditSink>(std::move(sink));
}

}  // namespace coffer::auth
