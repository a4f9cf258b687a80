// What the data-plane object groups of the `coffer` CLI (`secret`, `key`, `certificate`) share:
// one builder that registers a group with its `--data-dir`, leaf commands that take
// `--vault-name` (and `--name`, `--version`) and run against a VaultSession, and the lifecycle
// every object kind has in the same shape (CONTRACT.md "CLI"):
//
//   show [--version X] | list-versions | show-deleted | delete | recover | purge   (--name)
//   list | list-deleted                                                            (--vault-name)
//   backup --file F    POST /<kind>/N/backup; F gets the raw blob bytes, mode 0600; prints nothing
//   restore --file F   POST /<kind>/restore with F's bytes as base64url
//
// Thread-safety: the builder is used before parsing, on one thread; the commands keep no state.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/management_session.h"
#include "cli/vault_session.h"

namespace CLI {
class App;
}

namespace coffer::cli {

// One object of one vault, as the options of a leaf command give it.
struct ObjectRef {
  std::string vault;
  std::string name;
  std::string version;  // "" = the latest
};

// The options every object group's leaves fill in.
struct ObjectArgs {
  ClientContext ctx;
  ObjectRef ref;
  std::string file;
  std::vector<std::string> tags;
  std::string expires, not_before;  // "" = not given
};

// "/<collection>/<name>[/<version>]", each segment percent-encoded.
std::string ObjectPath(const std::string& collection, const std::string& name,
                       const std::string& version = "");

// POSTs `backup_path` and writes the answer's base64url `value` decoded to `file` (mode 0600).
// Returns null (az prints nothing). Errors: the server's; Internal for an answer without value.
StatusOr<nlohmann::json> BackupToFile(VaultSession& s, const std::string& backup_path,
                                      const std::string& file);
// Reads `file` and POSTs its bytes as the base64url `value` to `restore_path`.
StatusOr<nlohmann::json> RestoreFromFile(VaultSession& s, const std::string& restore_path,
                                         const std::string& file);

// `--tags k=v …` of `a` as the `tags` member of `body` (nothing when none were given); a tag
// without a name is a usage error (throws CLI::ValidationError).
void AddTagsTo(const ObjectArgs& a, nlohmann::json& body);

// `--expires` and `--not-before` of `a` as `exp` and `nbf` in `body["attributes"]` (nothing
// when neither was given); a bad time is a usage error (throws CLI::ValidationError).
void AddDatesTo(const ObjectArgs& a, nlohmann::json& body);

class ObjectCommandGroup {
 public:
  using Command = std::function<StatusOr<nlohmann::json>(VaultSession&, ObjectArgs&)>;

  // Registers `coffer <group>` for objects under /<collection> (deleted ones under
  // /deleted<collection>); exit codes of its leaves go to *exit_code, which must outlive the
  // parse.
  ObjectCommandGroup(CLI::App& app, const std::string& group, const std::string& description,
                     std::string collection, std::optional<int>* exit_code);

  CLI::App* group() const { return group_; }
  const std::shared_ptr<ObjectArgs>& args() const { return args_; }
  const std::string& collection() const { return collection_; }

  // A leaf with --vault-name that runs `command` and prints its answer.
  CLI::App* VaultCommand(CLI::App* parent, const std::string& name, const std::string& help,
                         Command command);
  // A leaf with --vault-name and --name/-n.
  CLI::App* NamedCommand(CLI::App* parent, const std::string& name, const std::string& help,
                         Command command);
  // Adds --version/-v to `leaf`.
  void AddVersionOption(CLI::App* leaf);
  // Adds the required --file/-f to `leaf`.
  void AddFileOption(CLI::App* leaf, const std::string& help);
  // Adds --tags to `leaf`.
  void AddTagsOption(CLI::App* leaf);
  // Adds --expires and --not-before to `leaf`.
  void AddDateOptions(CLI::App* leaf);

  // The lifecycle commands of the file comment; `list` is left to the caller when the kind
  // lists with options of its own (`list_too` false).
  void AddLifecycleCommands(const std::string& noun, bool list_too = true);

  // The path of --name (and --version) under the collection.
  std::string NamePath(const ObjectArgs& a) const { return ObjectPath(collection_, a.ref.name); }
  std::string VersionPath(const ObjectArgs& a) const {
    return ObjectPath(collection_, a.ref.name, a.ref.version);
  }

 private:
  CLI::App* group_;
  std::string collection_;
  std::shared_ptr<ObjectArgs> args_ = std::make_shared<ObjectArgs>();
  std::optional<int>* exit_code_;
};

// Register `secret …` (secret_commands.cc) and `key …` (key_commands.cc), each with
// `--data-dir D` on the group; see AddCertificateCommands.
void AddSecretCommands(CLI::App& app, std::optional<int>* exit_code);
void AddKeyCommands(CLI::App& app, std::optional<int>* exit_code);

}  // namespace coffer::cli
