#include "cli/client_commands.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;
constexpr const char* kArmApiVersion = "2026-02-01";

int Error(const std::string& message) {
  std::cerr << "coffer: " << message << std::endl;
  return 1;
}

struct Session {
  json creds;
  std::string token;
  std::string base;
  std::string ca_file;
};

std::string FormEncode(std::string_view s) { return http::PercentEncode(s); }

std::optional<Session> Connect(const ClientContext& ctx, std::string* error) {
  auto text = ReadFile(ctx.data_dir + "/dev-credentials.json");
  if (!text.ok()) {
    *error = "cannot read " + ctx.data_dir +
             "/dev-credentials.json; is `coffer server --dev` running with this --data-dir?";
    return std::nullopt;
  }
  Session s;
  s.creds = json::parse(*text, nullptr, false);
  if (s.creds.is_discarded() || !s.creds.is_object()) {
    *error = "dev-credentials.json is not valid JSON";
    return std::nullopt;
  }
  s.base = s.creds.value("managementUrl", "");
  s.ca_file = s.creds.value("caFile", "");
  http::ClientRequest req;
  req.method = "POST";
  req.url = s.creds.value("authorityHost", "") + "/" + s.creds.value("tenantId", "") +
            "/oauth2/v2.0/token";
  req.ca_file = s.ca_file;
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  req.body = "grant_type=client_credentials&client_id=" +
             FormEncode(s.creds.value("clientId", "")) +
             "&client_secret=" + FormEncode(s.creds.value("clientSecret", "")) +
             "&scope=" + FormEncode("https://management.localhost/.default");
  auto resp = http::Fetch(req);
  if (!resp.ok()) {
    *error = "cannot reach the server: " + resp.status().message();
    return std::nullopt;
  }
  json tok = json::parse(resp->body, nullptr, false);
  if (resp->status != 200 || !tok.is_object() || !tok.contains("access_token")) {
    *error = "the token endpoint refused the dev credentials (HTTP " +
             std::to_string(resp->status) + ")";
    return std::nullopt;
  }
  s.token = tok["access_token"].get<std::string>();
  return s;
}

int Call(const Session& s, const std::string& method, const std::string& path,
         const std::string& body, bool print = true) {
  http::ClientRequest req;
  req.method = method;
  req.url = s.base + path + (path.find('?') == std::string::npos ? "?" : "&") +
            "api-version=" + kArmApiVersion;
  req.ca_file = s.ca_file;
  req.headers.Set("Authorization", "Bearer " + s.token);
  if (!body.empty()) req.headers.Set("Content-Type", "application/json");
  req.body = body;
  auto resp = http::Fetch(req);
  if (!resp.ok()) return Error("request failed: " + resp.status().message());
  json j = json::parse(resp->body, nullptr, false);
  if (resp->status >= 400) {
    std::string msg = "HTTP " + std::to_string(resp->status);
    if (j.is_object() && j.contains("error")) msg += ": " + j["error"].value("message", "");
    return Error(msg);
  }
  if (print) {
    if (j.is_discarded()) {
      std::cout << "{}" << std::endl;
    } else {
      std::cout << j.dump(2) << std::endl;
    }
  }
  return 0;
}

std::string Scope(const Session& s, const std::string& subscription, const std::string& group) {
  std::string sub = subscription.empty() ? s.creds["subscriptions"][0].get<std::string>()
                                         : subscription;
  std::string path = "/subscriptions/" + sub;
  if (!group.empty()) path += "/resourceGroups/" + group;
  return path + "/providers/Microsoft.KeyVault/vaults";
}

}  // namespace

std::optional<ManagementConnection> ConnectManagement(const ClientContext& ctx,
                                                      std::string* error) {
  auto s = Connect(ctx, error);
  if (!s) return std::nullopt;
  return ManagementConnection{s->base, s->ca_file, s->token};
}

int VaultCreate(const ClientContext& ctx, const VaultCreateArgs& args) {
  std::string error;
  auto s = Connect(ctx, &error);
  if (!s) return Error(error);
  json props = {{"tenantId", s->creds.value("tenantId", "")},
                {"sku", {{"family", "A"}, {"name", "standard"}}}};
  if (args.retention_days) props["softDeleteRetentionInDays"] = *args.retention_days;
  if (args.purge_protection) props["enablePurgeProtection"] = true;
  json body = {{"location", args.location}, {"properties", props}};
  return Call(*s, "PUT", Scope(*s, args.subscription, args.resource_group) + "/" + args.name,
              body.dump());
}

int VaultShow(const ClientContext& ctx, const std::string& name, const std::string& group,
              const std::string& subscription) {
  std::string error;
  auto s = Connect(ctx, &error);
  if (!s) return Error(error);
  return Call(*s, "GET", Scope(*s, subscription, group) + "/" + name, "");
}

int VaultList(const ClientContext& ctx, const std::string& group,
              const std::string& subscription) {
  std::string error;
  auto s = Connect(ctx, &error);
  if (!s) return Error(error);
  return Call(*s, "GET", Scope(*s, subscription, group), "");
}

int VaultDelete(const ClientContext& ctx, const std::string& name, const std::string& group,
                const std::string& subscription) {
  std::string error;
  auto s = Connect(ctx, &error);
  if (!s) return Error(error);
  return Call(*s, "DELETE", Scope(*s, subscription, group) + "/" + name, "");
}

int DevTimeShift(const ClientContext& ctx, int64_t seconds) {
  std::string error;
  auto s = Connect(ctx, &error);
  if (!s) return Error(error);
  return Call(*s, "POST", "/_coffer/dev/time-shift", json{{"seconds", seconds}}.dump());
}

int OperatorUnseal(const std::string& url, const std::string& key_file,
                   const std::string& ca_file) {
  auto key = ReadFile(key_file);
  if (!key.ok()) return Error("cannot read the unseal key file " + key_file);
  http::ClientRequest req;
  req.method = "POST";
  req.url = url + "/_coffer/operator/unseal";
  req.ca_file = ca_file;
  req.headers.Set("Content-Type", "application/json");
  req.body = json{{"key", key->substr(0, key->find_first_of("\r\n"))}}.dump();
  auto resp = http::Fetch(req);
  if (!resp.ok()) return Error("cannot reach the server: " + resp.status().message());
  if (resp->status != 200) {
    json j = json::parse(resp->body, nullptr, false);
    std::string msg = "unseal refused (HTTP " + std::to_string(resp->status) + ")";
    if (j.is_object() && j.contains("error")) msg += ": " + j["error"].value("message", "");
    return Error(msg);
  }
  std::cout << resp->body << std::endl;
  return 0;
}

}  // namespace coffer::cli
