#include "cli/client_commands.h"

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/secret_bytes.h"
#include "http/client.h"

namespace coffer::cli {

using nlohmann::json;

int DevTimeShift(const ClientContext& ctx, int64_t seconds) {
  auto session = ManagementSession::Connect(ctx);
  if (!session.ok()) return ReportError(session.status());
  return PrintOrReport(
      session->Request("POST", "/_coffer/dev/time-shift", json{{"seconds", seconds}}));
}

int OperatorFailoverPromote(const ClientContext& ctx) {
  auto session = ManagementSession::Connect(ctx);
  if (!session.ok()) return ReportError(session.status());
  return PrintOrReport(session->Request("POST", "/_coffer/operator/failover/promote", json::object()));
}

int Login(Credentials creds) {
  while (creds.base_url.ends_with('/')) creds.base_url.pop_back();
  creds.authority_host = creds.base_url;
  std::error_code ec;
  if (!creds.ca_file.empty()) creds.ca_file = std::filesystem::absolute(creds.ca_file, ec).string();
  creds.source = "coffer login";
  auto session = ManagementSession::Connect(creds, Audience::kManagement);
  if (!session.ok()) return ReportError(session.status());
  const std::string path = DefaultProfilePath(ProcessEnvironment());
  if (path.empty()) return ReportError(FailedPreconditionError("HOME is not set: no profile path"));
  if (Status saved = SaveProfile(path, creds); !saved.ok()) return ReportError(saved);
  return PrintJson(json{{"url", creds.base_url},
                        {"tenantId", creds.tenant_id},
                        {"clientId", creds.client_id},
                        {"profile", path}});
}

int Logout() {
  const std::string path = DefaultProfilePath(ProcessEnvironment());
  std::error_code ec;
  if (!path.empty()) std::filesystem::remove(path, ec);
  if (ec) return ReportError(UnavailableError("cannot remove " + path + ": " + ec.message()));
  return 0;
}

int OperatorUnseal(const std::string& url, const std::string& key_file,
                   const std::string& ca_file) {
  auto key = ReadFile(key_file);
  if (!key.ok()) return ReportError(NotFoundError("cannot read the unseal key file " + key_file));
  http::ClientRequest req;
  req.method = "POST";
  req.url = url + "/_coffer/operator/unseal";
  req.ca_file = ca_file;
  req.headers.Set("Content-Type", "application/json");
  req.body = json{{"key", key->substr(0, key->find_first_of("\r\n"))}}.dump();
  SecureClear(*key);
  auto resp = http::Fetch(req);
  SecureClear(req.body);
  if (!resp.ok()) {
    return ReportError(UnavailableError("cannot reach the server: " + resp.status().message()));
  }
  if (resp->status != 200) {
    json j = json::parse(resp->body, nullptr, false);
    std::string msg = "unseal refused (HTTP " + std::to_string(resp->status) + ")";
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      msg += ": " + j["error"].value("message", "");
    }
    return ReportError(FailedPreconditionError(msg));
  }
  std::cout << resp->body << std::endl;
  return 0;
}

}  // namespace coffer::cli
