// coffer_vault_backup_bench: whole-vault backup and restore against SQLite's own online-backup
// API copying the same database, in the same run (bench/README.md "Whole-vault backup").
//
//   coffer_vault_backup_bench [--secrets 100000] [--versions 5] [--value-bytes 64] [--dir D]
//
// In a fresh data dir under D (default $TMPDIR or /tmp) on Coffer's SqliteStorage:
//  1. writes a synthetic archive of `secrets` secrets × `versions` versions to a file and
//     restores it into an empty vault (verify pass + one write transaction): the restore figure;
//  2. copies that database with sqlite3_backup_* (all pages in one step), in-process through
//     the same VFS ("unix-excl": the database is exclusive to the process);
//  3. backs the vault up as a backup job does (one read transaction → unnamed spool file →
//     1 MiB chunks in storage): the ratio to 2; then again, from an empty WAL, while one thread
//     reads secrets (GET rate during the backup) and one writes new ones (WAL growth);
//  4. measures the GET rate for as long again with no backup running.
// Each phase's peak RSS is VmHWM after resetting it (/proc/self/clear_refs). Prints one line per
// figure and the ratio backup / SQLite copy. Exit status 1 when a step fails, 2 on bad usage.
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "backup/archive_io.h"
#include "backup/archive_records.h"
#include "backup/backup_binding.h"
#include "backup/vault_archive.h"
#include "backup/vault_backup_jobs.h"
#include "core/encoding.h"
#include "crypto/primitives.h"
#include "store/sqlite_storage.h"
#include "vault/key_service.h"
#include "vault/secret_service.h"
#include "vault/vault_registry.h"

namespace {

using namespace coffer;
namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

[[noreturn]] void Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "error: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Fail(what, v.status());
  return std::move(*v);
}

void ResetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

double PeakRssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

double FileMb(const std::string& path) {
  std::error_code ec;
  auto n = fs::file_size(path, ec);
  return ec ? 0 : static_cast<double>(n) / 1e6;
}

std::string Name(long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "secret-%07ld", i);
  return buf;
}

// An archive of `secrets` × `versions` generated values, bound to this deployment.
void WriteArchive(const barrier::Barrier& barrier, const model::VaultRecord& vault, long secrets,
                  long versions, size_t value_bytes, const std::string& path) {
  Random& rng = crypto::SystemRandom();
  auto binding = Must(backup::BindingOf(barrier, vault), "binding");
  backup::ArchiveHeader h;
  h.backup_root_id = binding.backup_root_id;
  h.subscription_id = binding.subscription_id;
  h.geography = binding.geography;
  h.salt = rng.Bytes(backup::kArchiveSaltSize);
  h.nonce_prefix = rng.Bytes(backup::kArchiveNoncePrefixSize);
  h.source_vault = vault.name;
  h.created = 1'700'000'000;
  auto file = Must(backup::AtomicFile::Create(path, 0600), "archive file");
  auto sealer = Must(backup::ArchiveSealer::Start(
                         h, Must(barrier.DeriveBackupKey(h.salt, backup::ArchiveKeyInfo(h)), "key"),
                         file),
                     "sealer");
  backup::ArchiveRecordWriter writer(sealer);
  backup::ArchiveCounts counts;
  for (long i = 0; i < secrets; ++i) {
    backup::ArchivedObject o;
    o.name = Name(i);
    o.created = h.created;
    for (long v = 0; v < versions; ++v) {
      model::SecretVersion sv;
      sv.version = EncodeHex(rng.Bytes(16));
      sv.sequence = static_cast<uint64_t>(v + 1);
      sv.value = SecretBytes(EncodeHex(rng.Bytes(value_bytes / 2)));
      sv.attributes.created = sv.attributes.updated = h.created + v;
      o.versions.push_back(model::EncodeSecretVersion(sv));
    }
    if (Status s = backup::WriteArchivedObject(writer, o); !s.ok()) Fail("archive", s);
    ++counts.objects;
    counts.versions += o.versions.size();
  }
  if (Status s = backup::WriteArchiveEnd(writer, counts); !s.ok()) Fail("archive", s);
  if (Status s = sealer.Finish(); !s.ok()) Fail("archive", s);
  if (Status s = file.Commit(); !s.ok()) Fail("archive", s);
}

// Checkpoints the WAL into the database and truncates it (no transaction may be open).
void Checkpoint(const std::string& db) {
  sqlite3* c = nullptr;
  if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READWRITE, "unix-excl") != SQLITE_OK ||
      sqlite3_exec(c, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Fail("checkpoint", UnavailableError(sqlite3_errmsg(c)));
  }
  sqlite3_close(c);
}

// GETs of random secrets on one thread until `stop`; returns how many.
long ReadLoop(vault::SecretService& secrets, const model::VaultRecord& vault, long names,
              const std::atomic<bool>& stop) {
  long n = 0;
  uint64_t x = 88172645463325252ull;
  while (!stop.load()) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    if (!secrets.Get(vault, Name(static_cast<long>(x % static_cast<uint64_t>(names))), "").ok()) {
      std::fprintf(stderr, "error: a GET failed during the benchmark\n");
      std::exit(1);
    }
    ++n;
  }
  return n;
}

long Flag(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) {
      long v = std::strtol(argv[i + 1], nullptr, 10);
      if (v <= 0) {
        std::fprintf(stderr, "usage: %s needs a positive number\n", name);
        std::exit(2);
      }
      return v;
    }
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  long secrets_n = Flag(argc, argv, "--secrets", 100000);
  long versions_n = Flag(argc, argv, "--versions", 5);
  size_t value_bytes = static_cast<size_t>(Flag(argc, argv, "--value-bytes", 64));
  std::string base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--dir") base = argv[i + 1];
  }
  std::string dir = base + "/coffer-vaultbak-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::string db = dir + "/coffer.db";
  std::printf("vault of %ld secrets x %ld versions (%zu-byte values), data dir %s\n", secrets_n,
              versions_n, value_bytes, dir.c_str());

  auto storage = Must(store::SqliteStorage::Open(db), "open");
  Random& rng = crypto::SystemRandom();
  barrier::Barrier barrier(*storage, rng);
  Must(barrier.Initialize(), "init");
  SystemClock clock;
  vault::VaultRegistry vaults(barrier, clock, rng);
  vault::SecretService secrets(barrier, clock, rng);
  vault::KeyService keys(barrier, clock, rng);
  vault::VaultSpec spec;
  spec.name = "bench";
  spec.subscription_id = "11111111-1111-1111-1111-111111111111";
  spec.resource_group = "rg";
  spec.location = "eastus";
  spec.tenant_id = "tenant";
  model::VaultRecord vault = Must(vaults.CreateOrUpdate(spec), "vault").first;
  backup::VaultArchiver archiver(barrier, rng, clock, keys.traits());
  backup::BackupJobOptions job_options;
  job_options.spool_dir = dir;
  job_options.heartbeat_interval = std::chrono::milliseconds(0);
  if (getenv("CHUNK_MB")) job_options.chunk_bytes = std::stoul(getenv("CHUNK_MB")) << 20;
  if (getenv("CHUNKS_PER_TXN")) job_options.chunks_per_transaction = std::stoul(getenv("CHUNKS_PER_TXN"));
  job_options.run = [](std::function<void()> work) { work(); };
  backup::VaultBackupJobs jobs(barrier, archiver, rng, clock, clock, job_options);

  // 1. Restore of a generated archive into the empty vault.
  std::string seed = dir + "/seed.coffer-backup";
  WriteArchive(barrier, vault, secrets_n, versions_n, value_bytes, seed);
  double archive_mb = FileMb(seed);
  ResetPeakRss();
  auto t = Steady::now();
  {
    auto source = Must(backup::FileSource::Open(seed), "open archive");
    Must(archiver.Verify(vault, source, {}), "verify");
  }
  double verify_s = Seconds(t);
  auto restored = Must(archiver.Restore(vault, backup::FileSourceOpener(seed), {}), "restore");
  double restore_s = Seconds(t);
  std::printf("restore: %lu objects, archive %.1f MB: %.2f s (verify %.2f s), %.1f MB/s, peak "
              "RSS %.1f MB\n",
              static_cast<unsigned long>(restored.restored), archive_mb, restore_s, verify_s,
              archive_mb / restore_s, PeakRssMb());
  std::printf("database after restore: %.1f MB (+ WAL %.1f MB)\n", FileMb(db),
              FileMb(db + "-wal"));

  // 2. SQLite's online backup of the same database, in-process: the floor for a consistent
  // snapshot of it.
  std::string copy = dir + "/copy.db";
  ResetPeakRss();
  t = Steady::now();
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  if (sqlite3_open_v2(db.c_str(), &src, SQLITE_OPEN_READONLY, "unix-excl") != SQLITE_OK ||
      sqlite3_open_v2(copy.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      "unix-excl") != SQLITE_OK) {
    Fail("sqlite open", UnavailableError(sqlite3_errmsg(src ? src : dst)));
  }
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
  sqlite3_backup_finish(b);
  sqlite3_close(dst);
  sqlite3_close(src);
  if (rc != SQLITE_DONE) Fail("sqlite backup", UnavailableError("rc " + std::to_string(rc)));
  double sqlite_s = Seconds(t);
  std::printf("sqlite online backup: %.1f MB: %.2f s, %.1f MB/s, peak RSS %.1f MB\n",
              FileMb(copy), sqlite_s, FileMb(copy) / sqlite_s, PeakRssMb());

  // 3. Backup job alone (the ratio), then the read and seal alone (archive discarded).
  ResetPeakRss();
  t = Steady::now();
  backup::BackupJob job = Must(jobs.StartBackup(vault), "backup");
  double backup_s = Seconds(t);
  double backup_rss = PeakRssMb();
  job = Must(jobs.GetJob(vault, backup::JobKind::kBackup, job.id), "job");
  if (job.status != backup::JobStatus::kSucceeded) {
    Fail("backup job", InternalError(job.error_message));
  }
  std::printf("backup job: %lu objects, archive %.1f MB: %.2f s, %.1f MB/s, peak RSS %.1f MB\n",
              static_cast<unsigned long>(job.objects), job.bytes / 1e6, backup_s,
              job.bytes / 1e6 / backup_s, backup_rss);
  std::printf("ratio backup job / sqlite copy: %.2f (goal <= 3)\n", backup_s / sqlite_s);
  struct NullSink final : backup::ByteSink {
    Status Write(std::string_view) override { return OkStatus(); }
  } null_sink;
  t = Steady::now();
  Must(archiver.Backup(vault, null_sink), "backup to nowhere");
  std::printf("  of which reading and sealing (archive discarded): %.2f s; storing it: %.2f s\n",
              Seconds(t), backup_s - Seconds(t));

  // The same backup while one thread reads secrets and one writes new ones, from an empty WAL:
  // what the backup's open read transaction does to it.
  Checkpoint(db);
  std::atomic<bool> stop{false};
  long during_gets = 0;
  std::atomic<long> written{0};
  double wal_before = FileMb(db + "-wal");
  std::atomic<double> wal_max{wal_before};
  std::thread reader([&] { during_gets = ReadLoop(secrets, vault, secrets_n, stop); });
  std::thread writer([&] {
    while (!stop.load()) {
      vault::SecretSetParams p;
      p.value = SecretBytes(std::string(value_bytes, 'w'));
      if (!secrets.Set(vault, "during-" + std::to_string(written.load()), std::move(p)).ok()) {
        std::fprintf(stderr, "error: a write failed during the backup\n");
        std::exit(1);
      }
      ++written;
      double wal = FileMb(db + "-wal");
      if (wal > wal_max.load()) wal_max = wal;
    }
  });
  t = Steady::now();
  Must(jobs.StartBackup(vault), "backup under load");
  double loaded_s = Seconds(t);
  stop = true;
  reader.join();
  writer.join();
  std::printf("backup job with a reader and a writer running: %.2f s; %.0f secret GETs/s on the "
              "reader; %ld secrets written; WAL %.1f MB before, %.1f MB at most\n",
              loaded_s, during_gets / loaded_s, written.load(), wal_before, wal_max.load());

  // 4. The GET rate with no backup running, for as long as the backup took.
  stop = false;
  long idle_gets = 0;
  std::thread idle([&] { idle_gets = ReadLoop(secrets, vault, secrets_n, stop); });
  std::this_thread::sleep_for(std::chrono::duration<double>(loaded_s));
  stop = true;
  idle.join();
  std::printf("secret GETs on one thread: %.0f/s without a backup, %.0f/s during it (%.2f)\n",
              idle_gets / loaded_s, during_gets / loaded_s,
              static_cast<double>(during_gets) / static_cast<double>(idle_gets));
  fs::remove_all(dir);
  return 0;
}
