// Client-side commands of the `coffer` CLI: they talk to a running server over HTTPS with the
// credentials in <data-dir>/dev-credentials.json (vault management, dev time shift) or with an
// unseal key (operator unseal). Each returns a process exit code and prints JSON on success,
// a one-line message on stderr on failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace coffer::cli {

struct ClientContext {
  std::string data_dir = "./coffer-data";
};

struct VaultCreateArgs {
  std::string name;
  std::string location = "eastus";
  std::string resource_group = "coffer-dev";
  std::string subscription;  // empty: the first dev subscription
  std::optional<int> retention_days;
  bool purge_protection = false;
};

// A management-plane connection for the other command files: the server's base URL, its CA
// file and a management-audience token obtained with the dev credentials of `ctx.data_dir`.
struct ManagementConnection {
  std::string base_url;
  std::string ca_file;
  std::string token;
};
// nullopt, with `*error` saying why, when the credentials cannot be read or are refused.
std::optional<ManagementConnection> ConnectManagement(const ClientContext& ctx,
                                                      std::string* error);

int VaultCreate(const ClientContext& ctx, const VaultCreateArgs& args);
int VaultShow(const ClientContext& ctx, const std::string& name, const std::string& group,
              const std::string& subscription);
int VaultList(const ClientContext& ctx, const std::string& group, const std::string& subscription);
int VaultDelete(const ClientContext& ctx, const std::string& name, const std::string& group,
                const std::string& subscription);
int DevTimeShift(const ClientContext& ctx, int64_t seconds);
int OperatorUnseal(const std::string& url, const std::string& key_file,
                   const std::string& ca_file);

}  // namespace coffer::cli
