#include "cli/object_commands.h"

#include <CLI/CLI.hpp>

#include <tuple>

#include "cli/certificate_args.h"
#include "cli/key_args.h"
#include "core/encoding.h"
#include "core/files.h"
#include "http/client.h"

namespace coffer::cli {

using nlohmann::json;

std::string ObjectPath(const std::string& collection, const std::string& name,
                       const std::string& version) {
  return "/" + collection + "/" + http::PercentEncode(name) +
         (version.empty() ? "" : "/" + http::PercentEncode(version));
}

StatusOr<json> BackupToFile(VaultSession& s, const std::string& backup_path,
                            const std::string& file) {
  ASSIGN_OR_RETURN(json answer, s.Request("POST", backup_path));
  std::optional<std::string> blob = DecodeBase64Url(StringField(answer, "value"));
  if (!blob || blob->empty()) return InternalError("the server's backup answer has no value");
  RETURN_IF_ERROR(WriteFileAtomically(file, *blob, 0600));
  return json();  // az prints nothing
}

StatusOr<json> RestoreFromFile(VaultSession& s, const std::string& restore_path,
                               const std::string& file) {
  ASSIGN_OR_RETURN(std::string blob, ReadFile(file));
  return s.Request("POST", restore_path, json{{"value", EncodeBase64Url(blob)}});
}

void AddTagsTo(const ObjectArgs& a, json& body) {
  if (a.tags.empty()) return;
  auto tags = ParseTags(a.tags);
  if (!tags.ok()) throw CLI::ValidationError(tags.status().message());
  body["tags"] = std::move(*tags);
}

void AddDatesTo(const ObjectArgs& a, json& body) {
  for (const auto& [option, text, member] :
       {std::tuple{"--expires", &a.expires, "exp"}, {"--not-before", &a.not_before, "nbf"}}) {
    if (text->empty()) continue;
    auto seconds = ParseDateTimeArgument(option, *text);
    if (!seconds.ok()) throw CLI::ValidationError(seconds.status().message());
    body["attributes"][member] = *seconds;
  }
}

ObjectCommandGroup::ObjectCommandGroup(CLI::App& app, const std::string& group,
                                       const std::string& description, std::string collection,
                                       std::optional<int>* exit_code)
    : collection_(std::move(collection)), exit_code_(exit_code) {
  group_ = app.add_subcommand(group, description);
  group_->require_subcommand(1);
  group_->fallthrough();  // so `--data-dir` may follow the leaf command
  group_->add_option("--data-dir", args_->ctx.data_dir, "Data dir holding dev-credentials.json");
}

CLI::App* ObjectCommandGroup::VaultCommand(CLI::App* parent, const std::string& name,
                                           const std::string& help, Command command) {
  CLI::App* leaf = parent->add_subcommand(name, help);
  AddVaultNameOption(leaf, &args_->ref.vault);
  leaf->callback([args = args_, exit_code = exit_code_, command] {
    *exit_code = RunWithVault(args->ctx, args->ref.vault,
                              [&](VaultSession& s) { return command(s, *args); });
  });
  return leaf;
}

CLI::App* ObjectCommandGroup::NamedCommand(CLI::App* parent, const std::string& name,
                                           const std::string& help, Command command) {
  CLI::App* leaf = VaultCommand(parent, name, help, std::move(command));
  leaf->add_option("--name,-n", args_->ref.name, "Name")->required();
  return leaf;
}

void ObjectCommandGroup::AddVersionOption(CLI::App* leaf) {
  leaf->add_option("--version,-v", args_->ref.version, "Version (default: the latest)");
}

void ObjectCommandGroup::AddFileOption(CLI::App* leaf, const std::string& help) {
  leaf->add_option("--file,-f", args_->file, help)->required();
}

void ObjectCommandGroup::AddTagsOption(CLI::App* leaf) {
  leaf->add_option("--tags", args_->tags, "Tags: k=v, space-separated");
}

void ObjectCommandGroup::AddDateOptions(CLI::App* leaf) {
  leaf->add_option("--expires", args_->expires, "Expiry, UTC: YYYY-MM-DDTHH:MM:SSZ");
  leaf->add_option("--not-before", args_->not_before,
                   "Not valid before, UTC: YYYY-MM-DDTHH:MM:SSZ");
}

void ObjectCommandGroup::AddLifecycleCommands(const std::string& noun, bool list_too) {
  const std::string deleted = "deleted" + collection_;
  const std::string collection = collection_;
  auto path_of = [collection, deleted](bool of_deleted, const ObjectArgs& a) {
    return ObjectPath(of_deleted ? deleted : collection, a.ref.name);
  };

  AddVersionOption(NamedCommand(group_, "show", "Show a " + noun,
                                [collection](VaultSession& s, ObjectArgs& a) {
                                  return s.Request("GET", ObjectPath(collection, a.ref.name,
                                                                     a.ref.version));
                                }));
  if (list_too) {
    VaultCommand(group_, "list", "List the " + noun + "s",
                 [collection](VaultSession& s, ObjectArgs&) {
                   return s.ListAll("/" + collection);
                 });
  }
  NamedCommand(group_, "list-versions", "List a " + noun + "'s versions",
               [path_of](VaultSession& s, ObjectArgs& a) {
                 return s.ListAll(path_of(false, a) + "/versions");
               });
  VaultCommand(group_, "list-deleted", "List soft-deleted " + noun + "s",
               [deleted](VaultSession& s, ObjectArgs&) { return s.ListAll("/" + deleted); });
  NamedCommand(group_, "show-deleted", "Show a soft-deleted " + noun,
               [path_of](VaultSession& s, ObjectArgs& a) {
                 return s.Request("GET", path_of(true, a));
               });
  NamedCommand(group_, "delete", "Soft-delete a " + noun,
               [path_of](VaultSession& s, ObjectArgs& a) {
                 return s.Request("DELETE", path_of(false, a));
               });
  NamedCommand(group_, "recover", "Recover a soft-deleted " + noun,
               [path_of](VaultSession& s, ObjectArgs& a) {
                 return s.Request("POST", path_of(true, a) + "/recover");
               });
  NamedCommand(group_, "purge", "Purge a soft-deleted " + noun + " (irreversible)",
               [path_of](VaultSession& s, ObjectArgs& a) {
                 return s.Request("DELETE", path_of(true, a));  // 204: prints nothing
               });
  AddFileOption(NamedCommand(group_, "backup", "Write a " + noun + "'s backup blob to a file",
                             [path_of](VaultSession& s, ObjectArgs& a) {
                               return BackupToFile(s, path_of(false, a) + "/backup", a.file);
                             }),
                "File to write the raw blob bytes to");
  AddFileOption(VaultCommand(group_, "restore", "Restore a " + noun + " from a backup file",
                             [collection](VaultSession& s, ObjectArgs& a) {
                               return RestoreFromFile(s, "/" + collection + "/restore", a.file);
                             }),
                "Backup file (raw blob bytes)");
}

}  // namespace coffer::cli
