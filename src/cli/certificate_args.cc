#include "cli/certificate_args.h"

#include <array>
#include <utility>

#include "core/encoding.h"
#include "core/files.h"

namespace coffer::cli {

using nlohmann::json;

namespace {

// az's member names (azure-cli's CertificatePolicy serialisation) and the REST API's.
constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kAzToWire = {{
    {"issuerParameters", "issuer"},
    {"certificateType", "cty"},
    {"certificateTransparency", "cert_transparency"},
    {"keyProperties", "key_props"},
    {"keyType", "kty"},
    {"keySize", "key_size"},
    {"reuseKey", "reuse_key"},
    {"curve", "crv"},
    {"secretProperties", "secret_props"},
    {"x509CertificateProperties", "x509_props"},
    {"subjectAlternativeNames", "sans"},
    {"dnsNames", "dns_names"},
    {"keyUsage", "key_usage"},
    {"validityInMonths", "validity_months"},
    {"lifetimeActions", "lifetime_actions"},
    {"lifetimePercentage", "lifetime_percentage"},
    {"daysBeforeExpiry", "days_before_expiry"},
    {"actionType", "action_type"},
}};

std::string WireName(const std::string& name) {
  for (const auto& [az, wire] : kAzToWire) {
    if (name == az) return std::string(wire);
  }
  return name;
}

}  // namespace

json WithoutNulls(const json& j, std::string (*rename)(const std::string&)) {
  if (j.is_array()) {
    json out = json::array();
    for (const json& item : j) out.push_back(WithoutNulls(item, rename));
    return out;
  }
  if (!j.is_object()) return j;
  json out = json::object();
  for (const auto& [name, value] : j.items()) {
    if (!value.is_null()) out[rename ? rename(name) : name] = WithoutNulls(value, rename);
  }
  return out;
}

json PolicyToWireShape(const json& policy) { return WithoutNulls(policy, WireName); }

StatusOr<json> ReadJsonArgument(const std::string& option, const std::string& text) {
  std::string content = text;
  if (text.starts_with('@')) {
    auto file = ReadFile(text.substr(1));
    if (!file.ok()) return InvalidArgumentError(option + ": cannot read " + text.substr(1));
    content = std::move(*file);
  }
  json j = json::parse(content, nullptr, false);
  if (!j.is_object()) {
    return InvalidArgumentError(option + ": not a JSON object (give the JSON text or @file)");
  }
  return j;
}

StatusOr<json> ReadPolicyArgument(const std::string& text) {
  ASSIGN_OR_RETURN(json policy, ReadJsonArgument("--policy", text));
  return PolicyToWireShape(policy);
}

StatusOr<json> ParseTags(const std::vector<std::string>& tags) {
  json out = json::object();
  for (const std::string& tag : tags) {
    size_t eq = tag.find('=');
    std::string name = tag.substr(0, eq);
    if (name.empty()) return InvalidArgumentError("--tags: '" + tag + "' has no name (use k=v)");
    out[name] = eq == std::string::npos ? "" : tag.substr(eq + 1);
  }
  return out;
}

std::string ImportValue(std::string_view file_bytes) {
  if (file_bytes.find("-----BEGIN") == std::string_view::npos) return EncodeBase64(file_bytes);
  std::string text;
  text.reserve(file_bytes.size());
  for (size_t i = 0; i < file_bytes.size(); ++i) {
    if (file_bytes[i] == '\r' && i + 1 < file_bytes.size() && file_bytes[i + 1] == '\n') continue;
    text.push_back(file_bytes[i]);
  }
  return text;
}

std::string CertificatePem(std::string_view der) {
  std::string b64 = EncodeBase64(der);
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE-----\n";
}

}  // namespace coffer::cli
