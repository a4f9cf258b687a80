#include "vault/keyspace.h"

#include <cstdio>

#include "core/encoding.h"

namespace coffer::vault {

StatusOr<std::string> Keyspace::VaultKey(std::string_view vault_name) const {
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("vault", AsciiLower(vault_name)));
  return std::string(kVaultPrefix) + EncodeHex(mac);
}

StatusOr<std::string> Keyspace::NameMac(std::string_view vault_id, model::ObjectKind kind,
                                        std::string_view name) const {
  std::string data(vault_id);
  data.push_back('/');
  data.push_back(model::ObjectKindTag(kind));
  data.push_back('/');
  data += AsciiLower(name);
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("object", data));
  return EncodeHex(mac);
}

StatusOr<ObjectLocation> Keyspace::Locate(std::string_view vault_id, model::ObjectKind kind,
                                          std::string_view name) const {
  const char* what = kind == model::ObjectKind::kSecret ? "secret"
                     : kind == model::ObjectKind::kKey  ? "key"
                                                        : "certificate";
  RETURN_IF_ERROR(ValidateObjectName(name, what));
  ASSIGN_OR_RETURN(std::string mac, NameMac(vault_id, kind, name));
  ObjectLocation loc;
  loc.live_key = LiveKey(vault_id, kind, mac);
  loc.deleted_key = DeletedKey(vault_id, kind, mac);
  loc.mac = std::move(mac);
  return loc;
}

std::string Keyspace::LivePrefix(std::string_view vault_id, model::ObjectKind kind) {
  return "obj/" + std::string(vault_id) + "/" + model::ObjectKindTag(kind) + "/";
}

std::string Keyspace::DeletedPrefix(std::string_view vault_id, model::ObjectKind kind) {
  return "del/" + std::string(vault_id) + "/" + model::ObjectKindTag(kind) + "/";
}

std::string Keyspace::VersionPrefix(std::string_view vault_id, model::ObjectKind kind,
                                    std::string_view mac) {
  return "ver/" + std::string(vault_id) + "/" + model::ObjectKindTag(kind) + "/" +
         std::string(mac) + "/";
}

std::string Keyspace::DueKey(UnixSeconds when, std::string_view target) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(when < 0 ? 0 : when));
  return std::string(kDuePrefix) + buf + "/" + std::string(target);
}

std::string Keyspace::ObjectDueTarget(std::string_view vault_id, model::ObjectKind kind,
                                      std::string_view mac) {
  return "o/" + std::string(vault_id) + "/" + model::ObjectKindTag(kind) + "/" + std::string(mac);
}

std::string Keyspace::VaultDueTarget(std::string_view vault_key_mac) {
  return "v/" + std::string(vault_key_mac);
}

std::string Keyspace::RotationDueTarget(std::string_view vault_id, std::string_view mac) {
  return "r/" + std::string(vault_id) + "/k/" + std::string(mac);
}

std::string Keyspace::RotationPolicyKey(std::string_view vault_id, std::string_view mac) {
  return std::string(kRotationPolicyArea) + std::string(vault_id) + "/k/" + std::string(mac);
}

StatusOr<std::string> Keyspace::EncodePageToken(std::string_view context,
                                                std::string_view last) const {
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("page", std::string(context) + '\0' +
                                                                  std::string(last)));
  return EncodeBase64Url(std::string(last) + mac.substr(0, 16));
}

StatusOr<std::string> Keyspace::DecodePageToken(std::string_view context,
                                                std::string_view token) const {
  Status invalid = InvalidArgumentError(
      "The $skiptoken is not valid for this list; request the list again from its first page.",
      "BadParameter");
  auto raw = DecodeBase64Url(token);
  if (!raw || raw->size() <= 16 || raw->size() > 512) return invalid;
  std::string last = raw->substr(0, raw->size() - 16);
  ASSIGN_OR_RETURN(std::string mac,
                   barrier_.IndexMac("page", std::string(context) + '\0' + last));
  if (!ConstantTimeEquals(mac.substr(0, 16), std::string_view(*raw).substr(raw->size() - 16))) {
    return invalid;
  }
  return last;
}

Status ValidateObjectName(std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= model::kMaxNameLength;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          c == '-')) {
      ok = false;
    }
  }
  if (ok) return OkStatus();
  return InvalidArgumentError(
      "The " + std::string(what) +
          " name is invalid. It must be 1-127 characters long and contain only 0-9, a-z, A-Z "
          "and -.",
      "BadParameter");
}

Status ValidateVaultName(std::string_view name) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  bool ok = name.size() >= 3 && name.size() <= 24 && letter(name.front()) &&
            (letter(name.back()) || digit(name.back())) &&
            name.find("--") == std::string_view::npos;
  for (char c : name) {
    if (!letter(c) && !digit(c) && c != '-') ok = false;
  }
  if (ok) return OkStatus();
  return InvalidArgumentError(
      "Vault name '" + std::string(name.substr(0, 64)) +
          "' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name "
          "must begin with a letter, end with a letter or digit, and not contain consecutive "
          "hyphens.",
      "VaultNameNotValid");
}

bool IsVersionId(std::string_view version) {
  if (version.size() != 32) return false;
  for (char c : version) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace coffer::vault
