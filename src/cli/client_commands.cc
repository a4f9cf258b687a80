#include "cli/client_commands.h"

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
