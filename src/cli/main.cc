// `coffer`: the server and the command-line client (DESIGN.md §1 "CLI").
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/audit_commands.h"
#include "cli/client_commands.h"
#include "cli/principal_commands.h"
#include "server/server.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries the "coffer ready" line and the commands' output.
  spdlog::set_default_logger(spdlog::stderr_color_mt("coffer"));
  CLI::App app{"Coffer: a self-hosted key vault that speaks the Azure Key Vault API"};
  app.require_subcommand(1);

  coffer::server::ServerConfig config;
  std::string config_file;
  auto* server = app.add_subcommand("server", "Run the Coffer server");
  server->add_flag("--dev", config.dev, "Dev mode: local CA, auto-unseal, dev credentials");
  server->add_option("--data-dir", config.data_dir, "Data directory")->capture_default_str();
  server->add_option("--listen", config.listen, "host:port to listen on (port 0 = any free)")
      ->capture_default_str();
  server->add_option("--config", config_file, "coffer.toml (production)");
  server->add_option("--unseal-key-file", config.unseal_key_file,
                     "Unseal at start with this key file (keep it outside the data dir)");

  auto* op = app.add_subcommand("operator", "Operator commands");
  op->require_subcommand(1);
  std::string key_file, url = "https://127.0.0.1:8443", ca_file;
  auto* init = op->add_subcommand("init", "Initialise a data dir and write its unseal key");
  init->add_option("--config", config_file, "coffer.toml");
  init->add_option("--data-dir", config.data_dir, "Data directory");
  init->add_option("--key-file", key_file, "Where to write the unseal key")->required();
  auto* unseal = op->add_subcommand("unseal", "Unseal a running server");
  unseal->add_option("--key-file", key_file, "The unseal key file")->required();
  unseal->add_option("--url", url, "Server base URL")->capture_default_str();
  unseal->add_option("--ca-file", ca_file, "CA that signed the server's certificate");

  coffer::cli::ClientContext ctx;
  auto* vault = app.add_subcommand("vault", "Manage vaults (like `az keyvault`)");
  vault->add_option("--data-dir", ctx.data_dir, "Data dir holding dev-credentials.json");
  vault->require_subcommand(1);
  coffer::cli::VaultCreateArgs create_args;
  std::string name, group = "coffer-dev", subscription;
  int retention = 0;
  auto* create = vault->add_subcommand("create", "Create or update a vault");
  create->add_option("--name,-n", create_args.name, "Vault name")->required();
  create->add_option("--location,-l", create_args.location, "Region")->capture_default_str();
  create->add_option("--resource-group,-g", create_args.resource_group, "Resource group")
      ->capture_default_str();
  create->add_option("--subscription", create_args.subscription, "Subscription id");
  create->add_option("--retention-days", retention, "Soft-delete retention (7-90)");
  create->add_flag("--enable-purge-protection", create_args.purge_protection,
                   "Turn on purge protection (irreversible)");
  auto* show = vault->add_subcommand("show", "Show a vault");
  auto* del = vault->add_subcommand("delete", "Delete a vault");
  for (auto* c : {show, del}) {
    c->add_option("--name,-n", name, "Vault name")->required();
    c->add_option("--resource-group,-g", group, "Resource group")->capture_default_str();
    c->add_option("--subscription", subscription, "Subscription id");
  }
  auto* list = vault->add_subcommand("list", "List vaults");
  list->add_option("--resource-group,-g", group, "Resource group (empty: all)");
  list->add_option("--subscription", subscription, "Subscription id");

  auto* dev = app.add_subcommand("dev", "Dev-mode helpers");
  dev->add_option("--data-dir", ctx.data_dir, "Data dir holding dev-credentials.json");
  dev->require_subcommand(1);
  int64_t seconds = 0, days = 0;
  auto* shift = dev->add_subcommand("time-shift", "Move the domain clock forward");
  shift->add_option("--seconds", seconds, "Seconds to add");
  shift->add_option("--days", days, "Days to add");

  int audit_exit = 0;
  auto* audit = coffer::cli::AddAuditCommands(app, &audit_exit);  // runs during parsing

  std::optional<int> principal_exit;
  coffer::cli::AddPrincipalCommands(app, &principal_exit);  // runs during parsing

  CLI11_PARSE(app, argc, argv);
  if (principal_exit) return *principal_exit;
  if (audit->parsed()) return audit_exit;

  auto load_config = [&]() -> bool {
    if (config_file.empty()) return true;
    std::string error;
    if (!coffer::server::LoadConfigFile(config_file, &config, &error)) {
      std::cerr << "coffer: " << config_file << ": " << error << std::endl;
      return false;
    }
    return true;
  };
  if (server->parsed()) {
    if (!load_config()) return 2;
    if (!config.dev && config_file.empty()) {
      std::cerr << "coffer: use `coffer server --dev` or `coffer server --config coffer.toml`"
                << std::endl;
      return 2;
    }
    return coffer::server::RunServer(config);
  }
  if (init->parsed()) {
    if (!load_config()) return 2;
    return coffer::server::InitDeployment(config, key_file);
  }
  if (unseal->parsed()) return coffer::cli::OperatorUnseal(url, key_file, ca_file);
  if (create->parsed()) {
    if (retention != 0) create_args.retention_days = retention;
    return coffer::cli::VaultCreate(ctx, create_args);
  }
  if (show->parsed()) return coffer::cli::VaultShow(ctx, name, group, subscription);
  if (del->parsed()) return coffer::cli::VaultDelete(ctx, name, group, subscription);
  if (list->parsed()) {
    return coffer::cli::VaultList(ctx, list->count("--resource-group") ? group : "", subscription);
  }
  if (shift->parsed()) return coffer::cli::DevTimeShift(ctx, seconds + days * 86400);
  return 0;
}
