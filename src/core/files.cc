#include "core/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/secret_bytes.h"

namespace coffer {

Status ErrnoStatus(int err, std::string_view what, const std::string& path) {
  std::string msg = std::string(what) + " " + path + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return NotFoundError(std::move(msg));
    case EACCES:
    case EPERM:
      return PermissionDeniedError(std::move(msg));
    default:
      return UnavailableError(std::move(msg));
  }
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

StatusOr<size_t> ReadAllAt(int fd, uint64_t offset, char* out, size_t n,
                           const std::string& path) {
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot read", path);
    }
    done += static_cast<size_t>(got);
  }
  return done;
}

StatusOr<int> OpenUnnamedFile(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
    std::string name = dir + "/.coffer-spool-XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
  }
  if (fd < 0) return ErrnoStatus(errno, "cannot create a temporary file in", dir);
  return fd;
}

Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open directory", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, "cannot fsync directory", dir);
  return OkStatus();
}

namespace {

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes the temp file completely and durably; the caller unlinks it on error.
Status WriteTemp(int fd, const std::string& tmp, std::string_view data, mode_t mode) {
  // fchmod: the mode passed to open() is filtered by the umask.
  if (::fchmod(fd, mode) != 0) return ErrnoStatus(errno, "cannot chmod", tmp);
  RETURN_IF_ERROR(WriteAll(fd, data, tmp));
  if (::fsync(fd) != 0) return ErrnoStatus(errno, "cannot fsync", tmp);
  return OkStatus();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view data, mode_t mode) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
  if (fd < 0) return ErrnoStatus(errno, "cannot create", tmp);
  Status st = WriteTemp(fd, tmp, data, mode);
  if (::close(fd) != 0 && st.ok()) st = ErrnoStatus(errno, "cannot close", tmp);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = ErrnoStatus(errno, "cannot rename temp file onto", path);
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return FsyncDirectory(DirName(path));
}

StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      SecureZero(buf, sizeof(buf));
      return ErrnoStatus(err, "cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  // The file may be sealed key material: leave no copy on the stack.
  SecureZero(buf, sizeof(buf));
  return out;
}

Status EnsureDirectory(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode & 07777) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "cannot create directory", path);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
  if (!S_ISDIR(st.st_mode)) {
    return FailedPreconditionError(path + " exists and is not a directory");
  }
  if (::chmod(path.c_str(), mode & 07777) != 0) return ErrnoStatus(errno, "cannot chmod", path);
  return OkStatus();
}

StatusOr<DirectoryLock> DirectoryLock::Acquire(const std::string& dir) {
  std::string lock_path = dir + "/LOCK";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoStatus(errno, "cannot open lock file", lock_path);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return FailedPreconditionError("another coffer server is using data dir " + dir +
                                     " (stop it, or pick another data dir)");
    }
    return ErrnoStatus(err, "cannot lock", lock_path);
  }
  // Record the owner's pid for whoever wonders who holds the lock; the flock is what counts.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)::pwrite(fd, pid.data(), pid.size(), 0);
  return DirectoryLock(fd, dir);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), dir_(std::move(other.dir_)) {}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    Release();
    fd_ = std::exchange(other.fd_, -1);
    dir_ = std::move(other.dir_);
  }
  return *this;
}

DirectoryLock::~DirectoryLock() { Release(); }

void DirectoryLock::Release() {
  if (fd_ >= 0) {
    // Closing the only descriptor of the open file description drops the flock.
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace coffer
