// `coffer`: the server and the command-line client (DESIGN.md §1 "CLI").
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>

#include "cli/audit_commands.h"
#include "cli/certificate_commands.h"
#include "cli/client_commands.h"
#include "cli/object_commands.h"
#include "cli/output_format.h"
#include "cli/principal_commands.h"
#include "cli/role_commands.h"
#include "cli/vault_commands.h"
#include "server/server.h"

int main(int argc, char** argv) {
  // Logs go to stderr: stdout carries the "coffer ready" line and the commands' output.
  spdlog::set_default_logger(spdlog::stderr_color_mt("coffer"));
  CLI::App app{"Coffer: a self-hosted key vault that speaks the Azure Key Vault API"};
  app.require_subcommand(1);
  // `--output json|table|tsv` anywhere on the line, like az's: every subcommand passes the
  // options it does not know to its parent, up to here.
  app.fallthrough();
  app.add_option_function<std::string>(
         "--output,-o",
         [](const std::string& name) {
           coffer::cli::SetOutputFormat(*coffer::cli::ParseOutputFormat(name));
         },
         "Output format: json (default), table or tsv")
      ->check(CLI::IsMember({"json", "table", "tsv"}));

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

  coffer::cli::ClientContext failover_ctx;
  auto* failover = op->add_subcommand("failover", "Paired-region failover of the running node");
  failover->require_subcommand(1);
  failover->fallthrough();
  failover->add_option("--data-dir", failover_ctx.data_dir,
                       "Data dir holding dev-credentials.json");
  auto* promote = failover->add_subcommand(
      "promote", "Promote the paired replica (pg_promote) and serve from it, writable, for good");
  promote->add_option("--data-dir", failover_ctx.data_dir,
                      "Data dir holding dev-credentials.json");

  std::optional<int> command_exit;  // set by the command callbacks below
  coffer::cli::AddVaultCommands(app, &command_exit);
  coffer::cli::AddRoleCommands(app, &command_exit);
  coffer::cli::AddPrincipalCommands(app, &command_exit);
  coffer::cli::AddCertificateCommands(app, &command_exit);
  coffer::cli::AddSecretCommands(app, &command_exit);
  coffer::cli::AddKeyCommands(app, &command_exit);

  coffer::cli::ClientContext ctx;
  auto* dev = app.add_subcommand("dev", "Dev-mode helpers");
  dev->add_option("--data-dir", ctx.data_dir, "Data dir holding dev-credentials.json");
  dev->require_subcommand(1);
  dev->fallthrough();  // so `--data-dir` may follow the leaf command
  int64_t seconds = 0, days = 0;
  auto* shift = dev->add_subcommand("time-shift", "Move the domain clock forward");
  shift->add_option("--seconds", seconds, "Seconds to add");
  shift->add_option("--days", days, "Days to add");

  coffer::cli::Credentials login_creds;
  auto* login = app.add_subcommand("login", "Save the server and client to sign in as (profile)");
  login->add_option("--url", login_creds.base_url, "Server base URL (https://host:port)")
      ->required();
  login->add_option("--tenant", login_creds.tenant_id, "Tenant id")->required();
  login->add_option("--client-id", login_creds.client_id, "Client id")->required();
  login->add_option("--client-secret", login_creds.client_secret, "Client secret")->required();
  login->add_option("--ca-file", login_creds.ca_file, "CA that signed the server's certificate");
  auto* logout = app.add_subcommand("logout", "Remove the saved profile");

  int audit_exit = 0;
  auto* audit = coffer::cli::AddAuditCommands(app, &audit_exit);

  // CLI11's own exit codes (105 RequiredError, 109 ExtrasError, …) become 2, the CLI's one
  // usage-error code (CONTRACT.md "CLI"); --help is not an error.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == static_cast<int>(CLI::ExitCodes::Success) ? 0 : 2;
  }
  if (command_exit) return *command_exit;
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
  if (login->parsed()) return coffer::cli::Login(login_creds);
  if (logout->parsed()) return coffer::cli::Logout();
  if (shift->parsed()) return coffer::cli::DevTimeShift(ctx, seconds + days * 86400);
  if (promote->parsed()) return coffer::cli::OperatorFailoverPromote(failover_ctx);
  return 0;
}
