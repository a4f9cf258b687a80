#include "backup/archive_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "core/files.h"

namespace coffer::backup {
namespace {

StatusOr<size_t> ReadFd(int fd, char* out, size_t n, const std::string& path) {
  while (true) {
    ssize_t got = ::read(fd, out, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return ErrnoStatus(errno, "cannot read", path);
  }
}

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string TemporaryName(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  std::filesystem::path p(path);
  std::string dir = p.parent_path().string();
  return (dir.empty() ? std::string(".") : dir) + "/." + p.filename().string() + "." +
         std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + ".tmp";
}

}  // namespace

StatusOr<size_t> StringSource::Read(char* out, size_t n) {
  size_t take = std::min(n, in_.size() - pos_);
  std::memcpy(out, in_.data() + pos_, take);
  pos_ += take;
  return take;
}

StatusOr<size_t> ReadFully(ByteSource& source, char* out, size_t n) {
  size_t have = 0;
  while (have < n) {
    ASSIGN_OR_RETURN(size_t got, source.Read(out + have, n - have));
    if (got == 0) break;
    have += got;
  }
  return have;
}

// --- SpoolFile ---

StatusOr<SpoolFile> SpoolFile::Create(const std::string& dir) {
  ASSIGN_OR_RETURN(int fd, OpenUnnamedFile(dir));
  return SpoolFile(fd, dir);
}

SpoolFile::SpoolFile(SpoolFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), dir_(std::move(other.dir_)), size_(other.size_) {}

SpoolFile& SpoolFile::operator=(SpoolFile&& other) noexcept {
  if (this != &other) {
    CloseFd(fd_);
    fd_ = std::exchange(other.fd_, -1);
    dir_ = std::move(other.dir_);
    size_ = other.size_;
  }
  return *this;
}

SpoolFile::~SpoolFile() { CloseFd(fd_); }

Status SpoolFile::Write(std::string_view bytes) {
  RETURN_IF_ERROR(WriteAll(fd_, bytes, dir_ + " (temporary file)"));
  size_ += bytes.size();
  return OkStatus();
}

Status SpoolFile::Rewind() {
  if (::lseek(fd_, 0, SEEK_SET) < 0) return ErrnoStatus(errno, "cannot rewind a file in", dir_);
  return OkStatus();
}

StatusOr<size_t> SpoolFile::Read(char* out, size_t n) {
  return ReadFd(fd_, out, n, dir_ + " (temporary file)");
}

StatusOr<size_t> SpoolFile::ReadAt(uint64_t offset, char* out, size_t n) const {
  return ReadAllAt(fd_, offset, out, n, dir_ + " (temporary file)");
}

// --- AtomicFile ---

StatusOr<AtomicFile> AtomicFile::Create(const std::string& path, uint32_t mode) {
  std::string temp = TemporaryName(path);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
  if (fd < 0) return ErrnoStatus(errno, "cannot create", temp);
  if (::fchmod(fd, mode & 0777) != 0) {
    Status s = ErrnoStatus(errno, "cannot chmod", temp);
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  }
  return AtomicFile(fd, path, std::move(temp));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      temp_(std::exchange(other.temp_, std::string())) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    temp_ = std::exchange(other.temp_, std::string());
  }
  return *this;
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  CloseFd(fd_);
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

Status AtomicFile::Write(std::string_view bytes) { return WriteAll(fd_, bytes, temp_); }

Status AtomicFile::Commit() {
  if (::fsync(fd_) != 0) return ErrnoStatus(errno, "cannot fsync", temp_);
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return ErrnoStatus(errno, "cannot close", temp_);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    return ErrnoStatus(errno, "cannot rename into", path_);
  }
  temp_.clear();
  std::string dir = std::filesystem::path(path_).parent_path().string();
  return FsyncDirectory(dir.empty() ? "." : dir);
}

bool AtomicFile::IsTemporaryName(std::string_view file_name) {
  return file_name.starts_with(".") && file_name.ends_with(".tmp");
}

// --- FileSource ---

StatusOr<FileSource> FileSource::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  return FileSource(fd, path);
}

FileSource::FileSource(FileSource&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

FileSource& FileSource::operator=(FileSource&& other) noexcept {
  if (this != &other) {
    CloseFd(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

FileSource::~FileSource() { CloseFd(fd_); }

StatusOr<size_t> FileSource::Read(char* out, size_t n) { return ReadFd(fd_, out, n, path_); }

// --- Openers ---

ByteSourceOpener StringSourceOpener(std::string_view in) {
  return [in]() -> StatusOr<std::unique_ptr<ByteSource>> {
    return std::unique_ptr<ByteSource>(std::make_unique<StringSource>(in));
  };
}

ByteSourceOpener FileSourceOpener(std::string path) {
  return [path = std::move(path)]() -> StatusOr<std::unique_ptr<ByteSource>> {
    ASSIGN_OR_RETURN(FileSource file, FileSource::Open(path));
    return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(std::move(file)));
  };
}

}  // namespace coffer::backup
