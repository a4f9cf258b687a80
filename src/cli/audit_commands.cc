#include "cli/audit_commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/files.h"

namespace coffer::cli {
namespace {

constexpr size_t kBlock = 64 << 10;


bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

// Owns a file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(-1); }
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status ReadAt(int fd, char* buf, size_t len, uint64_t offset, const std::string& path) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "cannot read", path);
    if (n == 0) return UnavailableError(path + " shrank while it was read");
    done += static_cast<size_t>(n);
  }
  return OkStatus();
}

// The offset just past the last newline at or before `size` (0 if there is none): a line still
// being written is not printed until it is whole.
StatusOr<uint64_t> CompleteEnd(int fd, uint64_t size, const std::string& path) {
  std::string block;
  for (uint64_t pos = size; pos > 0;) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(kBlock, pos));
    pos -= len;
    block.resize(len);
    RETURN_IF_ERROR(ReadAt(fd, block.data(), len, pos, path));
    size_t nl = block.rfind('\n');
    if (nl != std::string::npos) return pos + nl + 1;
  }
  return uint64_t{0};
}

// Lines of [0, end) that match, newest first, at most n. `end` is 0 or just past a newline.
StatusOr<std::vector<std::string>> ScanBackwards(int fd, uint64_t end, const AuditFilter& filter,
                                                 size_t n, const std::string& path) {
  std::vector<std::string> found;
  std::string carry;  // the not yet split start of the region read so far; ends with '\n'
  for (uint64_t pos = end; pos > 0 && found.size() < n;) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(kBlock, pos));
    pos -= len;
    std::string data(len, '\0');
    RETURN_IF_ERROR(ReadAt(fd, data.data(), len, pos, path));
    data.append(carry);
    size_t line_end = data.size();  // data[line_end - 1] == '\n'
    while (line_end > 0 && found.size() < n) {
      size_t nl = line_end >= 2 ? data.rfind('\n', line_end - 2) : std::string::npos;
      if (nl == std::string::npos && pos > 0) break;  // the line starts in an earlier block
      size_t start = nl == std::string::npos ? 0 : nl + 1;
      std::string_view line(data.data() + start, line_end - 1 - start);
      if (AuditLineMatches(line, filter)) found.emplace_back(line);
      line_end = start;
    }
    carry = data.substr(0, line_end);
  }
  return found;
}

// Lines written by Coffer hold no control bytes; anything else in the file is not echoed raw to
// a terminal.
void PrintLine(std::string_view line) {
  std::string out(line);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  std::cout << out << '\n';
}

volatile std::sig_atomic_t g_interrupted = 0;
void OnInterrupt(int) { g_interrupted = 1; }

// Prints every new matching line appended after `offset` until SIGINT. When the path names
// another file (rotation, logrotate) the rest of the old file is printed first, then the new one
// is followed from its start; a truncated file is followed from its start again.
int Follow(Fd& fd, uint64_t offset, const std::string& path, const AuditFilter& filter) {
  struct sigaction sa {}, old {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old);
  std::string pending;  // bytes after the last newline read
  std::string buf(kBlock, '\0');
  int rc = 0;
  bool waited = false;  // the last read found no new data
  while (!g_interrupted) {
    ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::cerr << "ERROR: " << ErrnoStatus(errno, "cannot read", path).message() << std::endl;
      rc = 1;
      break;
    }
    char before = '\n';
    if (n > 0 && waited && pending.empty() && offset > 0 &&
        (::pread(fd.get(), &before, 1, static_cast<off_t>(offset - 1)) != 1 || before != '\n')) {
      // Truncated (copytruncate) and grown past our offset between two polls: start over.
      offset = 0;
      waited = false;
      continue;
    }
    waited = n == 0;
    if (n > 0) {
      offset += static_cast<uint64_t>(n);
      pending.append(buf.data(), static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string_view line(pending.data() + start, nl - start);
        if (AuditLineMatches(line, filter)) PrintLine(line);
      }
      pending.erase(0, start);
      std::cout.flush();
      continue;  // drain before looking for a rotation
    }
    struct stat by_path {}, open_file {};
    if (::fstat(fd.get(), &open_file) == 0 && ::stat(path.c_str(), &by_path) == 0) {
      if (by_path.st_ino != open_file.st_ino || by_path.st_dev != open_file.st_dev) {
        int next = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (next >= 0) {
          fd.Reset(next);
          offset = 0;
          pending.clear();
          continue;
        }
      } else if (static_cast<uint64_t>(open_file.st_size) < offset) {
        offset = 0;
        pending.clear();
        continue;
      }
    }
    struct timespec pause = {0, 250'000'000};
    ::nanosleep(&pause, nullptr);  // SIGINT cuts it short
  }
  ::sigaction(SIGINT, &old, nullptr);
  return rc;
}

struct TailArgs {
  std::string data_dir = "./coffer-data";
  std::string file;  // overrides <data-dir>/audit.jsonl
  AuditFilter filter;
  size_t lines = 20;
  bool follow = false;
};

int Fail(const Status& s) {
  std::cerr << "ERROR: " << s.message() << std::endl;
  return 1;
}

int RunTail(const TailArgs& args) {
  const std::string path = args.file.empty() ? args.data_dir + "/audit.jsonl" : args.file;
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Fail(ErrnoStatus(errno, "cannot open the audit log", path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Fail(ErrnoStatus(errno, "cannot stat", path));
  if (!S_ISREG(st.st_mode)) return Fail(InvalidArgumentError(path + " is not a regular file"));
  auto end = CompleteEnd(fd.get(), static_cast<uint64_t>(st.st_size), path);
  if (!end.ok()) return Fail(end.status());
  auto found = ScanBackwards(fd.get(), *end, args.filter, args.lines, path);
  if (!found.ok()) return Fail(found.status());
  for (auto it = found->rbegin(); it != found->rend(); ++it) PrintLine(*it);
  std::cout.flush();
  if (!args.follow) return 0;
  return Follow(fd, *end, path, args.filter);
}

}  // namespace

bool AuditLineMatches(std::string_view line, const AuditFilter& filter) {
  if (line.empty()) return false;
  if (filter.vault.empty() && filter.caller.empty()) return true;
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  if (!filter.vault.empty()) {
    auto vault = j.find("vault");
    if (vault == j.end() || !vault->is_string() ||
        !EqualsIgnoreAsciiCase(vault->get_ref<const std::string&>(), filter.vault)) {
      return false;
    }
  }
  if (!filter.caller.empty()) {
    auto caller = j.find("caller");
    if (caller == j.end() || !caller->is_object()) return false;
    auto oid = caller->find("oid");
    if (oid == caller->end() || !oid->is_string() ||
        oid->get_ref<const std::string&>() != filter.caller) {
      return false;
    }
  }
  return true;
}

StatusOr<std::vector<std::string>> LastMatchingAuditLines(const std::string& path,
                                                          const AuditFilter& filter, size_t n) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, "cannot open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
  ASSIGN_OR_RETURN(uint64_t end, CompleteEnd(fd.get(), static_cast<uint64_t>(st.st_size), path));
  ASSIGN_OR_RETURN(std::vector<std::string> found,
                   ScanBackwards(fd.get(), end, filter, n, path));
  std::reverse(found.begin(), found.end());
  return found;
}

CLI::App* AddAuditCommands(CLI::App& app, int* exit_code) {
  auto* audit = app.add_subcommand("audit", "Read the audit log");
  audit->require_subcommand(1);
  auto args = std::make_shared<TailArgs>();
  auto* tail = audit->add_subcommand("tail", "Print the last audit lines (reads the file locally)");
  tail->add_option("--data-dir", args->data_dir, "Data directory holding audit.jsonl")
      ->capture_default_str();
  tail->add_option("--file", args->file, "Audit file to read instead ([audit] path)");
  tail->add_option("--vault", args->filter.vault, "Only this vault (any case)");
  tail->add_option("--caller", args->filter.caller, "Only this caller object id (oid)");
  tail->add_option("-n,--lines", args->lines, "How many lines")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  tail->add_flag("-f,--follow", args->follow, "Keep printing new lines until Ctrl-C");
  tail->callback([args, exit_code] { *exit_code = RunTail(*args); });
  return audit;
}

}  // namespace coffer::cli
