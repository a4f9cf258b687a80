// coffer_sqlite_baseline: the baseline side of bench/secret_set.sh (see bench/README.md).
//
// Write mode (default):
//   coffer_sqlite_baseline --db PATH --rows N [--threads 64] [--value-bytes 100] [--tag T]
// opens PATH with coffer's own SqliteStorage (WAL, synchronous=FULL, secure_delete, one writer
// thread doing group commit: BEGIN IMMEDIATE, one SAVEPOINT per caller, COMMIT, callers block
// until their batch is durable) and has `threads` threads call SqliteStorage::Update until N
// calls have completed. Each call has the shape of a Coffer secret SET (SecretService::Set):
// two point reads that miss (deleted head, live head), then two Puts (the version record and
// the live head), with keys and value sizes like Coffer's (random bytes standing in for MACs
// and ciphertext). So this is "the storage engine without HTTP, TLS, auth and barrier
// encryption". Prints one line:
//   baseline rows=N threads=T seconds=S writes_per_sec=W commits=C avg_batch=B
//
// Probe mode:
//   coffer_sqlite_baseline --fsync-probe DIR [--iterations 200]
// appends 4 KiB to a scratch file in DIR and fdatasync()s it, `iterations` times (like a WAL
// append + commit sync), and prints:
//   fsync_probe iterations=I median_us=M p99_us=P max_us=X
//
// Exit status: 0 on success, 1 on any failed write or I/O error, 2 on bad usage.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/sqlite_storage.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(stderr,
               "error: %s\n"
               "usage: coffer_sqlite_baseline --db PATH --rows N [--threads 64] "
               "[--value-bytes 100] [--tag T]\n"
               "       coffer_sqlite_baseline --fsync-probe DIR [--iterations 200]\n",
               msg);
  std::exit(2);
}

long ParsePositive(const char* flag, const char* text) {
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v <= 0) {
    Usage((std::string(flag) + " needs a positive integer, got '" + text + "'").c_str());
  }
  return v;
}

int FsyncProbe(const std::string& dir, long iterations) {
  std::string path = dir + "/.fsync-probe." + std::to_string(getpid());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "error: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  std::vector<char> block(4096, 'x');
  std::vector<double> us;
  us.reserve(static_cast<size_t>(iterations));
  int rc = 0;
  for (long i = 0; i < iterations; ++i) {
    auto t0 = Clock::now();
    ssize_t n = ::pwrite(fd, block.data(), block.size(), static_cast<off_t>(i) * 4096);
    if (n != static_cast<ssize_t>(block.size()) || ::fdatasync(fd) != 0) {
      std::fprintf(stderr, "error: write/fdatasync on %s failed: %s\n", path.c_str(),
                   std::strerror(errno));
      rc = 1;
      break;
    }
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (rc != 0) return rc;
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    size_t idx = static_cast<size_t>(p * static_cast<double>(us.size() - 1) + 0.5);
    return us[std::min(idx, us.size() - 1)];
  };
  std::printf("fsync_probe iterations=%ld median_us=%.0f p99_us=%.0f max_us=%.0f\n", iterations,
              pct(0.5), pct(0.99), us.back());
  return 0;
}

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string Hex(std::mt19937_64& rng, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s(n, '0');
  for (auto& c : s) c = kDigits[rng() & 0xf];
  return s;
}

int Writes(const std::string& db, long rows, long threads, long value_bytes,
           const std::string& tag) {
  auto opened = coffer::store::SqliteStorage::Open(db);
  if (!opened.ok()) {
    std::fprintf(stderr, "error: open %s: %s\n", db.c_str(), opened.status().ToString().c_str());
    return 1;
  }
  auto& storage = **opened;
  const std::string vault_id = "0123456789abcdef0123456789abcdef";  // like Coffer's vault ids
  std::atomic<long> next{0};
  std::atomic<long> failures{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (long t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(std::hash<std::string>{}(tag) ^ (0x9e3779b97f4a7c15ULL * (t + 1)));
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      while (true) {
        long i = next.fetch_add(1);
        if (i >= rows) break;
        // Keys as in vault/keyspace.h: obj|del/<vault id>/<kind>/<name mac>, ver/.../<version>.
        // Sizes match what Coffer stores for a 100-byte secret: live key 103 bytes, version key
        // 136, head value 109, version value 215 (value + 115).
        std::string mac = RandomBytes(rng, 59);
        std::string live = "obj/" + vault_id + "/secret/" + mac;
        std::string deleted = "del/" + vault_id + "/secret/" + mac;
        std::string version_key = "ver/" + vault_id + "/secret/" + mac + "/" + Hex(rng, 32);
        // Values stand in for barrier ciphertext: version record = value + attributes + AEAD
        // overhead; head record = name + latest version + counters + AEAD overhead.
        std::string version_value = RandomBytes(rng, static_cast<size_t>(value_bytes) + 115);
        std::string head_value = RandomBytes(rng, 109);
        coffer::Status st = storage.Update([&](coffer::store::Transaction& txn) -> coffer::Status {
          ASSIGN_OR_RETURN(auto d, txn.Get(deleted));
          if (d) return coffer::AlreadyExistsError("deleted head exists");
          ASSIGN_OR_RETURN(auto h, txn.Get(live));
          (void)h;
          RETURN_IF_ERROR(txn.Put(version_key, version_value));
          return txn.Put(live, head_value);
        });
        if (!st.ok()) {
          if (failures.fetch_add(1) == 0) {
            std::fprintf(stderr, "error: Update failed: %s\n", st.ToString().c_str());
          }
        }
      }
    });
  }
  auto t0 = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  auto stats = storage.Stats();
  if (failures.load() != 0) {
    std::fprintf(stderr, "error: %ld of %ld writes failed\n", failures.load(), rows);
    return 1;
  }
  std::printf(
      "baseline rows=%ld threads=%ld seconds=%.3f writes_per_sec=%.1f commits=%llu "
      "avg_batch=%.1f\n",
      rows, threads, seconds, static_cast<double>(rows) / seconds,
      static_cast<unsigned long long>(stats.commits),
      stats.commits ? static_cast<double>(stats.calls) / static_cast<double>(stats.commits) : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db, probe_dir, tag = "run";
  long rows = 0, threads = 64, value_bytes = 100, iterations = 200;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage((a + " needs a value").c_str());
      return argv[++i];
    };
    if (a == "--db") {
      db = value();
    } else if (a == "--rows") {
      rows = ParsePositive("--rows", value());
    } else if (a == "--threads") {
      threads = ParsePositive("--threads", value());
    } else if (a == "--value-bytes") {
      value_bytes = ParsePositive("--value-bytes", value());
    } else if (a == "--tag") {
      tag = value();
    } else if (a == "--fsync-probe") {
      probe_dir = value();
    } else if (a == "--iterations") {
      iterations = ParsePositive("--iterations", value());
    } else if (a == "-h" || a == "--help") {
      Usage("help requested");
    } else {
      Usage(("unknown argument " + a).c_str());
    }
  }
  if (!probe_dir.empty()) return FsyncProbe(probe_dir, iterations);
  if (db.empty() || rows == 0) Usage("--db and --rows are required");
  return Writes(db, rows, threads, value_bytes, tag);
}
