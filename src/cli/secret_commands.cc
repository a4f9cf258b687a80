// `coffer secret …` (CONTRACT.md "CLI"), shaped like `az keyvault secret`, sent to
// https://<vault>.vault.localhost:<port> (VaultSession) at api-version 7.6:
//
//   set      --vault-name V -n N (--value X | --file F) [--content-type T] [--disabled]
//            [--tags k=v …]                                  PUT /secrets/N
//   set-attributes --vault-name V -n N [--version X] [--enabled true|false] [--content-type T]
//            [--tags k=v …]                                  PATCH /secrets/N[/X]
//   show, list, list-versions, list-deleted, show-deleted, delete, recover, purge, backup,
//   restore                                                  see object_commands.h
//
// Prints the server's JSON (lists as their `value` array) and exits 0, or `ERROR: <message>`
// on stderr and 1; a bad option value exits 2. The value given is cleared once sent.

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/object_commands.h"
#include "core/files.h"
#include "core/secret_bytes.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

struct SecretArgs {
  std::string value, content_type, enabled;
  bool disabled = false;
  CLI::Option* content_type_option = nullptr;
};

}  // namespace

void AddSecretCommands(CLI::App& app, std::optional<int>* exit_code) {
  ObjectCommandGroup g(app, "secret", "Manage secrets (like `az keyvault secret`)", "secrets",
                       exit_code);
  auto extra = std::make_shared<SecretArgs>();

  CLI::App* set = g.NamedCommand(
      g.group(), "set", "Set a secret's value (a new version)",
      [extra](VaultSession& s, ObjectArgs& a) -> StatusOr<json> {
        json body = json::object();
        if (!a.file.empty()) {
          ASSIGN_OR_RETURN(std::string text, ReadFile(a.file));
          body["value"] = std::move(text);
          SecureClear(text);
        } else {
          body["value"] = extra->value;
        }
        SecureClear(extra->value);
        if (!extra->content_type.empty()) body["contentType"] = extra->content_type;
        if (extra->disabled) body["attributes"] = {{"enabled", false}};
        AddDatesTo(a, body);
        AddTagsTo(a, body);
        auto answer = s.Request("PUT", ObjectPath("secrets", a.ref.name), body);
        SecureClear(body["value"].get_ref<std::string&>());
        return answer;
      });
  // Exactly one of --value and --file.
  CLI::Option_group* source = set->add_option_group("value", "Where the value comes from");
  source->add_option("--value", extra->value, "The secret's value");
  source->add_option("--file,-f", g.args()->file, "Read the value from this file (UTF-8)");
  source->require_option(1);
  set->add_option("--content-type", extra->content_type, "Content type");
  set->add_flag("--disabled", extra->disabled, "Create the version disabled");
  g.AddTagsOption(set);
  g.AddDateOptions(set);

  CLI::App* attributes = g.NamedCommand(
      g.group(), "set-attributes", "Change a secret version's attributes, content type or tags",
      [extra](VaultSession& s, ObjectArgs& a) {
        json body = json::object();
        if (!extra->enabled.empty()) body["attributes"] = {{"enabled", extra->enabled == "true"}};
        if (extra->content_type_option->count() > 0) body["contentType"] = extra->content_type;
        AddDatesTo(a, body);
        AddTagsTo(a, body);
        return s.Request("PATCH", ObjectPath("secrets", a.ref.name, a.ref.version), body);
      });
  g.AddVersionOption(attributes);
  attributes->add_option("--enabled", extra->enabled, "true or false")
      ->check(CLI::IsMember({"true", "false"}));
  extra->content_type_option =
      attributes->add_option("--content-type", extra->content_type, "Content type");
  g.AddTagsOption(attributes);
  g.AddDateOptions(attributes);

  g.AddLifecycleCommands("secret");
}

}  // namespace coffer::cli
