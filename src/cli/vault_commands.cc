#include "cli/vault_commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "cli/vault_backup_commands.h"
#include "core/encoding.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

constexpr int kPurgePollLimit = 3600;  // one poll a second: an hour

std::string Segment(const std::string& s) { return http::PercentEncode(s); }

std::string VaultsPath(const std::string& subscription, const std::string& group) {
  std::string path = "/subscriptions/" + Segment(subscription);
  if (!group.empty()) path += "/resourceGroups/" + Segment(group);
  return path + "/providers/Microsoft.KeyVault/vaults";
}

std::string DeletedVaultsPath(const std::string& subscription) {
  return "/subscriptions/" + Segment(subscription) + "/providers/Microsoft.KeyVault/deletedVaults";
}

// The item of `list` whose `name` is `name` (ASCII case-insensitive), or null.
json ByName(const json& list, const std::string& name) {
  for (const json& item : list) {
    if (EqualsIgnoreCase(StringField(item, "name"), name)) return item;
  }
  return json();
}

// Looks for `name` in the list at `list_path(subscription)` of `subscription`, or of each
// subscription the caller sees, the dev ones first (one subscription list request at most).
template <typename ListPath>
StatusOr<json> SearchSubscriptions(ManagementSession& session, const std::string& name,
                                   const std::string& subscription, ListPath list_path,
                                   const std::string& what) {
  std::vector<std::string> searched;
  auto search = [&](const std::vector<std::string>& subs) -> StatusOr<json> {
    for (const std::string& sub : subs) {
      if (std::find(searched.begin(), searched.end(), sub) != searched.end()) continue;
      searched.push_back(sub);
      ASSIGN_OR_RETURN(json list, session.ListAll(WithApiVersion(list_path(sub), kArmApiVersion)));
      json found = ByName(list, name);
      if (!found.is_null()) return found;
    }
    return json();
  };
  if (!subscription.empty()) {
    ASSIGN_OR_RETURN(json found, search({subscription}));
    if (!found.is_null()) return found;
    return NotFoundError("The " + what + " '" + name + "' was not found in subscription " +
                         subscription + ".");
  }
  ASSIGN_OR_RETURN(json found, search(session.dev_subscriptions()));
  if (!found.is_null()) return found;
  ASSIGN_OR_RETURN(std::vector<std::string> all, session.AllSubscriptions());
  ASSIGN_OR_RETURN(found, search(all));
  if (!found.is_null()) return found;
  return NotFoundError("The " + what + " '" + name +
                       "' was not found in any subscription you can see; `coffer vault " +
                       (what == "vault" ? "list" : "list-deleted") + "` shows them.");
}

// The ARM id of the vault `ref` means: built from the resource group when given, else found
// by name.
StatusOr<std::string> VaultId(ManagementSession& session, const VaultRef& ref) {
  if (!ref.resource_group.empty()) {
    return VaultsPath(session.SubscriptionOr(ref.subscription), ref.resource_group) + "/" +
           Segment(ref.name);
  }
  ASSIGN_OR_RETURN(json vault, FindVault(session, ref.name, ref.subscription));
  std::string id = StringField(vault, "id");
  if (id.empty()) return InternalError("the server listed vault '" + ref.name + "' without an id");
  return id;
}

StatusOr<json> Purge(ManagementSession& s, const VaultRef& ref, const std::string& location) {
  std::string path;
  if (!location.empty()) {
    path = "/subscriptions/" + Segment(s.SubscriptionOr(ref.subscription)) +
           "/providers/Microsoft.KeyVault/locations/" + Segment(location) + "/deletedVaults/" +
           Segment(ref.name);
  } else {
    ASSIGN_OR_RETURN(json deleted, FindDeletedVault(s, ref.name, ref.subscription));
    path = StringField(deleted, "id");  // …/locations/{loc}/deletedVaults/{name}
    if (path.empty()) return InternalError("the server listed deleted vault without an id");
  }
  ASSIGN_OR_RETURN(auto answer,
                   s.Send("POST", WithApiVersion(path + "/purge", kArmApiVersion), json::object()));
  // 202: the purge runs on; its Location answers 202 until it is done, then 200.
  for (int polls = 0; answer.status == 202; ++polls) {
    if (answer.location.empty()) return json();
    if (polls == kPurgePollLimit) {
      return UnavailableError("the purge of '" + ref.name +
                              "' is still running; `coffer vault list-deleted` shows when it is "
                              "gone");
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::string location_url = answer.location;
    ASSIGN_OR_RETURN(answer, s.Send("GET", location_url));
  }
  return json();  // az prints nothing for a purge
}

}  // namespace

StatusOr<json> FindVault(ManagementSession& session, const std::string& name,
                         const std::string& subscription) {
  return SearchSubscriptions(
      session, name, subscription, [](const std::string& sub) { return VaultsPath(sub, ""); },
      "vault");
}

StatusOr<json> FindDeletedVault(ManagementSession& session, const std::string& name,
                                const std::string& subscription) {
  return SearchSubscriptions(session, name, subscription, DeletedVaultsPath, "deleted vault");
}

int VaultCreate(const ClientContext& ctx, const VaultCreateArgs& args) {
  return RunWithSession(ctx, [&](ManagementSession& s) {
    json props = {{"tenantId", s.tenant_id()}, {"sku", {{"family", "A"}, {"name", "standard"}}}};
    if (args.retention_days) props["softDeleteRetentionInDays"] = *args.retention_days;
    if (args.purge_protection) props["enablePurgeProtection"] = true;
    std::string path = VaultsPath(s.SubscriptionOr(args.subscription), args.resource_group) + "/" +
                       Segment(args.name);
    return s.Request("PUT", WithApiVersion(path, kArmApiVersion),
                     json{{"location", args.location}, {"properties", props}});
  });
}

int VaultShow(const ClientContext& ctx, const VaultRef& vault) {
  return RunWithSession(ctx, [&](ManagementSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::string id, VaultId(s, vault));
    return s.Request("GET", WithApiVersion(id, kArmApiVersion));
  });
}

int VaultDelete(const ClientContext& ctx, const VaultRef& vault) {
  return RunWithSession(ctx, [&](ManagementSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::string id, VaultId(s, vault));
    return s.Request("DELETE", WithApiVersion(id, kArmApiVersion));
  });
}

int VaultUpdate(const ClientContext& ctx, const VaultRef& vault, const json& properties) {
  return RunWithSession(ctx, [&](ManagementSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::string id, VaultId(s, vault));
    return s.Request("PATCH", WithApiVersion(id, kArmApiVersion), json{{"properties", properties}});
  });
}

int VaultList(const ClientContext& ctx, const std::string& group, const std::string& subscription) {
  return RunWithSession(ctx, [&](ManagementSession& s) {
    return s.ListAll(
        WithApiVersion(VaultsPath(s.SubscriptionOr(subscription), group), kArmApiVersion));
  });
}

int VaultListDeleted(const ClientContext& ctx, const std::string& subscription) {
  return RunWithSession(ctx, [&](ManagementSession& s) {
    return s.ListAll(
        WithApiVersion(DeletedVaultsPath(s.SubscriptionOr(subscription)), kArmApiVersion));
  });
}

int VaultRecover(const ClientContext& ctx, const VaultRef& vault, const std::string& location) {
  return RunWithSession(ctx, [&](ManagementSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(json deleted, FindDeletedVault(s, vault.name, vault.subscription));
    const json& props = deleted.value("properties", json::object());
    std::string vault_id = StringField(props, "vaultId");
    if (vault_id.empty()) {
      return InternalError("the server listed deleted vault '" + vault.name +
                           "' without a vaultId");
    }
    json body = {{"location", location.empty() ? StringField(props, "location") : location},
                 {"properties",
                  {{"tenantId", s.tenant_id()},
                   {"sku", {{"family", "A"}, {"name", "standard"}}},
                   {"createMode", "recover"}}}};
    return s.Request("PUT", WithApiVersion(vault_id, kArmApiVersion), body);
  });
}

int VaultPurge(const ClientContext& ctx, const VaultRef& vault, const std::string& location) {
  return RunWithSession(ctx, [&](ManagementSession& s) { return Purge(s, vault, location); });
}

void AddVaultCommands(CLI::App& app, std::optional<int>* exit_code) {
  struct Args {
    ClientContext ctx;
    VaultCreateArgs create;
    int retention = 0;
    VaultRef ref;
    std::string location, purge_protection, rbac;
  };
  auto args = std::make_shared<Args>();
  auto run = [args, exit_code](CLI::App* c, auto fn) {
    c->callback([args, exit_code, fn] { *exit_code = fn(*args); });
  };
  auto subscription = [args](CLI::App* c, std::string* into) {
    c->add_option("--subscription", *into, "Subscription id (default: the first dev one)");
  };

  auto* vault = app.add_subcommand("vault", "Manage vaults (like `az keyvault`)");
  vault->require_subcommand(1);
  vault->fallthrough();  // so `--data-dir` may follow the leaf command
  vault->add_option("--data-dir", args->ctx.data_dir, "Data dir holding dev-credentials.json");

  auto* create = vault->add_subcommand("create", "Create or update a vault");
  create->add_option("--name,-n", args->create.name, "Vault name")->required();
  create->add_option("--location,-l", args->create.location, "Region")->capture_default_str();
  create->add_option("--resource-group,-g", args->create.resource_group, "Resource group")
      ->capture_default_str();
  subscription(create, &args->create.subscription);
  create->add_option("--retention-days", args->retention, "Soft-delete retention (7-90)");
  create->add_flag("--enable-purge-protection", args->create.purge_protection,
                   "Turn on purge protection (irreversible)");
  run(create, [](Args& a) {
    if (a.retention != 0) a.create.retention_days = a.retention;
    return VaultCreate(a.ctx, a.create);
  });

  auto* show = vault->add_subcommand("show", "Show a vault");
  auto* del = vault->add_subcommand("delete", "Soft-delete a vault");
  auto* update = vault->add_subcommand("update", "Change a vault's properties");
  for (auto* c : {show, del, update}) {
    c->add_option("--name,-n", args->ref.name, "Vault name")->required();
    c->add_option("--resource-group,-g", args->ref.resource_group,
                  "Resource group (default: found by the vault's name)");
    subscription(c, &args->ref.subscription);
  }
  run(show, [](Args& a) { return VaultShow(a.ctx, a.ref); });
  run(del, [](Args& a) { return VaultDelete(a.ctx, a.ref); });
  update->add_option("--retention-days", args->retention, "Soft-delete retention (7-90)");
  update->add_option("--enable-purge-protection", args->purge_protection,
                     "true (irreversible; false is refused, as in Azure)")
      ->check(CLI::IsMember({"true", "false"}));
  update->add_option("--enable-rbac-authorization", args->rbac,
                     "true: Azure RBAC decides data access; false: access policies")
      ->check(CLI::IsMember({"true", "false"}));
  run(update, [](Args& a) {
    json properties = json::object();
    if (a.retention != 0) properties["softDeleteRetentionInDays"] = a.retention;
    if (!a.purge_protection.empty()) {
      properties["enablePurgeProtection"] = a.purge_protection == "true";
    }
    if (!a.rbac.empty()) properties["enableRbacAuthorization"] = a.rbac == "true";
    return VaultUpdate(a.ctx, a.ref, properties);
  });

  auto* list = vault->add_subcommand("list", "List the vaults you may read");
  list->add_option("--resource-group,-g", args->ref.resource_group,
                   "Resource group (default: all)");
  subscription(list, &args->ref.subscription);
  run(list, [](Args& a) { return VaultList(a.ctx, a.ref.resource_group, a.ref.subscription); });

  auto* list_deleted = vault->add_subcommand("list-deleted", "List soft-deleted vaults");
  subscription(list_deleted, &args->ref.subscription);
  run(list_deleted, [](Args& a) { return VaultListDeleted(a.ctx, a.ref.subscription); });

  auto* recover = vault->add_subcommand("recover", "Recover a soft-deleted vault and its objects");
  auto* purge = vault->add_subcommand("purge", "Purge a soft-deleted vault (irreversible)");
  for (auto* c : {recover, purge}) {
    c->add_option("--name,-n", args->ref.name, "Vault name")->required();
    c->add_option("--location,-l", args->location,
                  "Location the vault was deleted from (default: looked up)");
    subscription(c, &args->ref.subscription);
  }
  run(recover, [](Args& a) { return VaultRecover(a.ctx, a.ref, a.location); });
  run(purge, [](Args& a) { return VaultPurge(a.ctx, a.ref, a.location); });

  AddVaultBackupCommands(vault, std::shared_ptr<const ClientContext>(args, &args->ctx), exit_code);
}

}  // namespace coffer::cli
