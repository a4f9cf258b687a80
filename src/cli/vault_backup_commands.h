// `coffer vault backup|restore` (CONTRACT.md "Whole-vault backup and restore", "CLI"): the
// whole-vault long-running operations of a vault's data plane (VaultSession, api-version 7.6),
// and the files of scheduled backups:
//
//   vault backup  --name V --file F      POST /backup, GET /backup/{jobId}/pending until it is
//                                        no longer InProgress, GET /backup/{jobId}/content into
//                                        F (mode 0600, written atomically); prints the job
//   vault restore --name W --file F [--object secrets/a keys/b certificates/c …]
//                                        PUT /restore[?objects=…] with F's bytes, polls
//                                        /restore/{jobId}/pending; prints the job (restored,
//                                        conflicts)
//   vault backup list (--dir D | --config coffer.toml) [--vault V]
//                                        the `<vault>-<yyyymmddThhmmssZ>.coffer-backup` files of
//                                        the [backup] dir: [{name, vault, time, size, path}]
//
// A job that ends Failed exits 1 with its error; a progress line is drawn on stderr while
// waiting when stderr is a terminal (progress.h). A missing --name or --file exits 2.
//
// Thread-safety: AddVaultBackupCommands must be called before parsing.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/management_session.h"

namespace CLI {
class App;
}

namespace coffer::cli {

// `--object` values as the `objects` query value ("secrets/a,keys/b"). Errors: InvalidArgument
// for a value that is not <secrets|keys|certificates>/<name>.
StatusOr<std::string> RestoreSelection(const std::vector<std::string>& objects);

// The backup files of `dir` (only those of `vault` unless it is empty) as the list prints them.
StatusOr<nlohmann::json> ListBackupFilesJson(const std::string& dir, const std::string& vault);

// Registers `backup`, `backup list` and `restore` under `vault`, connecting with *ctx.
void AddVaultBackupCommands(CLI::App* vault, std::shared_ptr<const ClientContext> ctx,
                            std::optional<int>* exit_code);

}  // namespace coffer::cli
