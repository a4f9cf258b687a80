#include "cli/credentials.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/files.h"
#include "core/secret_bytes.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

constexpr char kDefaultDataDir[] = "./coffer-data";

std::string Member(const json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A JSON object file; NotFound when it cannot be read.
StatusOr<json> ReadJsonFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return NotFoundError("cannot read " + path);
  json j = json::parse(*text, nullptr, false);
  SecureClear(*text);
  if (!j.is_object()) return InvalidArgumentError(path + " is not a JSON object");
  return j;
}

StatusOr<Credentials> FromDevCredentials(const std::string& data_dir) {
  const std::string path = data_dir + "/dev-credentials.json";
  auto j = ReadJsonFile(path);
  if (!j.ok() && j.status().code() == StatusCode::kNotFound) {
    return NotFoundError("cannot read " + path +
                         "; is `coffer server --dev` running with this --data-dir? (or use "
                         "`coffer login` or the COFFER_URL, COFFER_TENANT_ID, COFFER_CLIENT_ID "
                         "and COFFER_CLIENT_SECRET variables)");
  }
  if (!j.ok()) return j.status();
  Credentials c;
  c.base_url = Member(*j, "managementUrl");
  c.authority_host = Member(*j, "authorityHost");
  c.tenant_id = Member(*j, "tenantId");
  c.client_id = Member(*j, "clientId");
  c.client_secret = Member(*j, "clientSecret");
  c.ca_file = Member(*j, "caFile");
  if (auto subs = j->find("subscriptions"); subs != j->end() && subs->is_array()) {
    for (const json& sub : *subs) {
      if (sub.is_string()) c.subscriptions.push_back(sub.get<std::string>());
    }
  }
  SecureClear((*j)["clientSecret"].get_ref<std::string&>());
  c.source = path;
  return c;
}

StatusOr<Credentials> FromProfile(const std::string& path) {
  ASSIGN_OR_RETURN(json j, ReadJsonFile(path));
  Credentials c;
  c.base_url = Member(j, "url");
  c.tenant_id = Member(j, "tenantId");
  c.client_id = Member(j, "clientId");
  c.client_secret = Member(j, "clientSecret");
  c.ca_file = Member(j, "caFile");
  if (j.contains("clientSecret") && j["clientSecret"].is_string()) {
    SecureClear(j["clientSecret"].get_ref<std::string&>());
  }
  c.source = path;
  return c;
}

}  // namespace

Credentials::~Credentials() { SecureClear(client_secret); }

EnvLookup ProcessEnvironment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

std::string DefaultProfilePath(const EnvLookup& env) {
  auto home = env("HOME");
  return home ? *home + "/.config/coffer/profile.json" : "";
}

StatusOr<Credentials> ResolveCredentials(const ClientContext& ctx, const EnvLookup& env,
                                         const std::string& profile_path) {
  const struct {
    const char* name;
    std::string Credentials::*field;
  } kVariables[] = {{"COFFER_URL", &Credentials::base_url},
                    {"COFFER_TENANT_ID", &Credentials::tenant_id},
                    {"COFFER_CLIENT_ID", &Credentials::client_id},
                    {"COFFER_CLIENT_SECRET", &Credentials::client_secret},
                    {"COFFER_CA_FILE", &Credentials::ca_file}};
  bool env_complete = true;
  for (int i = 0; i < 4; ++i) env_complete = env_complete && env(kVariables[i].name).has_value();

  StatusOr<Credentials> base = Credentials{};
  if (env_complete) {
    base->source = "the COFFER_* environment variables";
  } else if (!ctx.data_dir.empty()) {
    base = FromDevCredentials(ctx.data_dir);
  } else if (!profile_path.empty() && std::filesystem::exists(profile_path)) {
    base = FromProfile(profile_path);
  } else {
    base = FromDevCredentials(kDefaultDataDir);
  }
  if (!base.ok()) return base.status();
  Credentials& c = *base;
  for (const auto& variable : kVariables) {
    if (auto value = env(variable.name)) {
      c.*variable.field = *value;
      if (variable.field == &Credentials::base_url) c.authority_host.clear();
    }
  }
  while (c.base_url.ends_with('/')) c.base_url.pop_back();
  if (c.authority_host.empty()) c.authority_host = c.base_url;
  if (c.base_url.empty() || c.tenant_id.empty() || c.client_id.empty()) {
    return InvalidArgumentError(c.source +
                                " lacks the server URL, tenant id or client id (COFFER_URL, "
                                "COFFER_TENANT_ID, COFFER_CLIENT_ID)");
  }
  return base;
}

Status SaveProfile(const std::string& path, const Credentials& creds) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return UnavailableError("cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  json j = {{"url", creds.base_url},
            {"tenantId", creds.tenant_id},
            {"clientId", creds.client_id},
            {"clientSecret", creds.client_secret}};
  if (!creds.ca_file.empty()) j["caFile"] = creds.ca_file;
  std::string text = j.dump(2) + "\n";
  SecureClear(j["clientSecret"].get_ref<std::string&>());
  Status written = WriteFileAtomically(path, text, 0600);
  SecureClear(text);
  return written;
}

}  // namespace coffer::cli
