#include "cli/vault_backup_commands.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>

#include "backup/backup_schedule.h"
#include "cli/progress.h"
#include "cli/vault_session.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/secret_bytes.h"
#include "http/client.h"
#include "server/server.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

constexpr auto kJobWaitLimit = std::chrono::hours(1);
constexpr auto kLongestPoll = std::chrono::seconds(1);
// Archives over HTTP are at most 256 MiB (docs/operations.md); moving one may take a while.
constexpr auto kArchiveTimeout = std::chrono::seconds(1800);

// GETs /<kind>/<jobId>/pending until the job is no longer InProgress. Failed → the job's error.
StatusOr<json> WaitForJob(VaultSession& s, const std::string& kind, const json& started,
                          Progress& progress) {
  const std::string job_id = StringField(started, "jobId");
  if (job_id.empty()) return InternalError("the server's " + kind + " answer has no jobId");
  ASSIGN_OR_RETURN(
      json job,
      PollUntilDone(
          [&] {
            return s.Request("GET", "/" + kind + "/" + http::PercentEncode(job_id) + "/pending");
          },
          [&](const json& j) {
            progress.Update(StringField(j, "status"));
            return StringField(j, "status") != "InProgress";
          },
          kLongestPoll, kJobWaitLimit,
          "the " + kind + " job " + job_id + " is still running after an hour"));
  if (StringField(job, "status") == "Failed") {
    std::string message = StringField(job.value("error", json::object()), "message");
    if (message.empty()) message = StringField(job, "statusDetails");
    if (message.empty()) message = "The " + kind + " job " + job_id + " failed.";
    return FailedPreconditionError(std::move(message));
  }
  return job;
}

StatusOr<json> Backup(VaultSession& s, const std::string& vault, const std::string& file) {
  Progress progress("backing up " + vault);
  ASSIGN_OR_RETURN(json started, s.Request("POST", "/backup"));
  ASSIGN_OR_RETURN(json job, WaitForJob(s, "backup", started, progress));
  progress.Update("downloading");
  ASSIGN_OR_RETURN(std::string archive,
                   s.SendBytes("GET", "/backup/" + http::PercentEncode(StringField(job, "jobId")) +
                                          "/content",
                               "", kArchiveTimeout));
  if (job.contains("bytes") && job["bytes"].is_number_unsigned() &&
      job["bytes"].get<uint64_t>() != archive.size()) {
    SecureClear(archive);
    return DataLossError("the archive downloaded has " + std::to_string(archive.size()) +
                         " bytes, the job says " + job["bytes"].dump() + "; nothing was written");
  }
  Status written = WriteFileAtomically(file, archive, 0600);
  SecureClear(archive);
  RETURN_IF_ERROR(written);
  return job;
}

StatusOr<json> Restore(VaultSession& s, const std::string& vault, const std::string& file,
                       const std::string& selection) {
  Progress progress("restoring into " + vault);
  ASSIGN_OR_RETURN(std::string archive, ReadFile(file));
  progress.Update("uploading");
  std::string path = "/restore";
  // Names are letters, digits and hyphens, kinds fixed words: nothing to encode.
  if (!selection.empty()) path += "?objects=" + selection;
  ASSIGN_OR_RETURN(std::string answer,
                   s.SendBytes("PUT", path, std::move(archive), kArchiveTimeout));
  json started = json::parse(answer, nullptr, false);
  if (!started.is_object()) return InternalError("the server's restore answer is not JSON");
  return WaitForJob(s, "restore", started, progress);
}

}  // namespace

StatusOr<std::string> RestoreSelection(const std::vector<std::string>& objects) {
  std::string out;
  for (const std::string& object : objects) {
    size_t slash = object.find('/');
    std::string kind = object.substr(0, slash);
    if (slash == std::string::npos || slash + 1 == object.size() ||
        object.find_first_of("/,", slash + 1) != std::string::npos ||
        (kind != "secrets" && kind != "keys" && kind != "certificates")) {
      return InvalidArgumentError("--object: '" + object +
                                  "' is not secrets/<name>, keys/<name> or certificates/<name>");
    }
    out += (out.empty() ? "" : ",") + object;
  }
  return out;
}

StatusOr<json> ListBackupFilesJson(const std::string& dir, const std::string& vault) {
  ASSIGN_OR_RETURN(std::vector<backup::BackupFile> files, backup::ListBackupFiles(dir));
  json out = json::array();
  for (const backup::BackupFile& f : files) {
    if (!vault.empty() && f.vault != vault) continue;
    out.push_back({{"name", f.name},
                   {"vault", f.vault},
                   {"time", FormatRfc3339(f.time)},
                   {"size", f.size},
                   {"path", (std::filesystem::path(dir) / f.name).string()}});
  }
  return out;
}

void AddVaultBackupCommands(CLI::App* vault, std::shared_ptr<const ClientContext> ctx,
                            std::optional<int>* exit_code) {
  struct Args {
    std::string name, file, dir, config, vault;
    std::vector<std::string> objects;
  };
  auto args = std::make_shared<Args>();
  // --name and --file, required unless a subcommand (`backup list`) ran instead.
  auto target = [args](CLI::App* c, const char* file_help) {
    CheckVaultName(c->add_option("--name,-n", args->name, "Vault name"));
    c->add_option("--file,-f", args->file, file_help);
  };
  auto require_target = [args] {
    if (args->name.empty()) throw CLI::RequiredError("--name");
    if (args->file.empty()) throw CLI::RequiredError("--file");
  };

  auto* backup = vault->add_subcommand("backup", "Back up a whole vault to a file");
  target(backup, "File to write the archive to");
  auto* list = backup->add_subcommand("list", "List the scheduled backup files of [backup] dir");
  list->add_option("--dir", args->dir, "The [backup] dir");
  list->add_option("--config", args->config, "coffer.toml whose [backup] dir to list");
  list->add_option("--vault", args->vault, "Only this vault's files");
  backup->callback([args, ctx, exit_code, list, require_target] {
    if (list->parsed()) return;
    require_target();
    *exit_code = RunWithVault(*ctx, args->name, [&](VaultSession& s) {
      return Backup(s, args->name, args->file);
    });
  });
  list->callback([args, exit_code] {
    std::string dir = args->dir;
    if (dir.empty() && !args->config.empty()) {
      server::ServerConfig config;
      std::string error;
      if (!server::LoadConfigFile(args->config, &config, &error)) {
        throw CLI::ValidationError("--config", args->config + ": " + error);
      }
      dir = config.backup_dir;
    }
    if (dir.empty()) {
      throw CLI::ValidationError("--dir",
                                 "give --dir D or --config F (a coffer.toml with [backup] dir)");
    }
    *exit_code = PrintOrReport(ListBackupFilesJson(dir, args->vault));
  });

  auto* restore = vault->add_subcommand("restore", "Restore a whole-vault backup file");
  target(restore, "Archive file (from `vault backup` or [backup] dir)");
  restore->add_option("--object", args->objects,
                      "Restore only these: secrets/<name>, keys/<name>, certificates/<name>");
  restore->callback([args, ctx, exit_code, require_target] {
    require_target();
    auto selection = RestoreSelection(args->objects);
    if (!selection.ok()) throw CLI::ValidationError(selection.status().message());
    *exit_code = RunWithVault(*ctx, args->name, [&](VaultSession& s) {
      return Restore(s, args->name, args->file, *selection);
    });
  });
}

}  // namespace coffer::cli
