#include "auth/principals.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>

#include "core/encoding.h"
#include "core/log.h"
#include "auth/principal_records.h"
#include "core/record_codec.h"

namespace coffer::auth {
namespace {

// Every write here publishes the cache topic: the other nodes sharing the storage reload once
// it commits (docs/decisions.md "Several nodes on one PostgreSQL").
Status PublishingUpdate(barrier::Barrier& barrier, const barrier::BarrierFn& fn) {
  return barrier.Update([&](barrier::Txn& t) {
    t.Publish(PrincipalRegistry::kCacheTopic);
    return fn(t);
  });
}

using records::DecodeClientIndex;
using records::DecodeLegacyClient;
using records::DecodePrincipal;
using records::EncodeClientIndex;
using records::EncodePrincipal;
using records::kClientIndexRecordType;
using records::kLegacyClientRecordType;
using records::kMaxIdLen;
using records::kMaxMacLen;
using records::LegacyClient;
using records::StoredPrincipal;
using records::StoredSecret;


constexpr std::string_view kPrincipalPrefix = "principal/";
constexpr std::string_view kClientPrefix = "client/";
// IndexMac purposes. "client" and "client-secret" are the legacy ClientRegistry's, kept so
// that migrated records and their secrets stay valid.
constexpr std::string_view kPrincipalPurpose = "principal";
constexpr std::string_view kClientPurpose = "client";
constexpr std::string_view kSecretPurpose = "client-secret";


Status InvalidClient() {
  return UnauthenticatedError(
      "The client id or client secret is not valid for this tenant. Check the values you were "
      "given (dev mode: dev-credentials.json).",
      "invalid_client");
}

std::string Shown(std::string_view id) { return std::string(id.substr(0, kMaxIdLen)); }

Status PrincipalNotFound(std::string_view object_id) {
  return NotFoundError("The principal '" + Shown(object_id) + "' could not be found.",
                       "PrincipalNotFound");
}

ServicePrincipal Public(const StoredPrincipal& stored) {
  ServicePrincipal p = stored.principal;
  p.secrets.clear();
  for (const StoredSecret& s : stored.secrets) p.secrets.push_back({s.key_id, s.created});
  return p;
}

std::vector<std::string> KeyIds(const StoredPrincipal& stored) {
  std::vector<std::string> out;
  for (const StoredSecret& s : stored.secrets) out.push_back(s.key_id);
  return out;
}

StatusOr<std::string> PrincipalKey(const barrier::Barrier& barrier, std::string_view object_id) {
  ASSIGN_OR_RETURN(std::string mac, barrier.IndexMac(kPrincipalPurpose, AsciiLower(object_id)));
  return std::string(kPrincipalPrefix) + EncodeHex(mac);
}

StatusOr<std::string> ClientKey(const barrier::Barrier& barrier, std::string_view client_id) {
  ASSIGN_OR_RETURN(std::string mac, barrier.IndexMac(kClientPurpose, AsciiLower(client_id)));
  return std::string(kClientPrefix) + EncodeHex(mac);
}

// NotFound ("PrincipalNotFound") when there is no such principal.
StatusOr<StoredPrincipal> ReadPrincipal(const barrier::Barrier& barrier, barrier::Txn& t,
                                        std::string_view object_id) {
  if (object_id.empty() || object_id.size() > kMaxIdLen) return PrincipalNotFound(object_id);
  ASSIGN_OR_RETURN(std::string key, PrincipalKey(barrier, object_id));
  ASSIGN_OR_RETURN(auto plain, t.Get(key));
  if (!plain) return PrincipalNotFound(object_id);
  return DecodePrincipal(plain->view());
}

Status WritePrincipal(const barrier::Barrier& barrier, barrier::Txn& t,
                      const StoredPrincipal& stored) {
  ASSIGN_OR_RETURN(std::string key, PrincipalKey(barrier, stored.principal.object_id));
  return t.Put(key, EncodePrincipal(stored));
}

// A fresh secret in *secret_out, and what is stored of it.
StatusOr<StoredSecret> MintSecret(const barrier::Barrier& barrier, Random& rng, const Clock& clock,
                                  SecretBytes* secret_out) {
  *secret_out = GenerateClientSecret(rng);
  ASSIGN_OR_RETURN(std::string mac, barrier.IndexMac(kSecretPurpose, secret_out->view()));
  return StoredSecret{NewGuid(rng), std::move(mac), clock.Now()};
}

// Decodes the UTF-8 sequence at s[*i], advancing *i; false if it is not valid UTF-8 (overlong
// forms, surrogates and code points beyond U+10FFFF included).
bool NextCodePoint(std::string_view s, size_t* i, uint32_t* cp) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(*i);
  size_t len = b0 < 0x80           ? 1
               : (b0 >> 5) == 0x6  ? 2
               : (b0 >> 4) == 0xe  ? 3
               : (b0 >> 3) == 0x1e ? 4
                                   : 0;
  if (len == 0 || *i + len > s.size()) return false;
  uint32_t v = len == 1 ? b0 : len == 2 ? (b0 & 0x1f) : len == 3 ? (b0 & 0x0f) : (b0 & 0x07);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(*i + k) & 0xc0) != 0x80) return false;
    v = (v << 6) | (byte(*i + k) & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return false;
  *i += len;
  *cp = v;
  return true;
}

}  // namespace

std::string NewGuid(Random& rng) {
  std::string b = rng.Bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = EncodeHex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

bool IsGuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

SecretBytes GenerateClientSecret(Random& rng) {
  std::string raw = rng.Bytes(32);
  std::string text = EncodeBase64Url(raw);
  SecretBytes out{std::string_view(text)};
  SecureClear(raw);
  SecureClear(text);
  return out;
}

Status ValidateDisplayName(std::string_view name, size_t max_chars, std::string_view field) {
  auto invalid = [&] {
    return InvalidArgumentError("The " + std::string(field) + " must be 1 to " +
                                    std::to_string(max_chars) +
                                    " characters of text, not blank and without control "
                                    "characters.",
                                "BadParameter");
  };
  size_t chars = 0;
  bool blank = true;
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    if (!NextCodePoint(name, &i, &cp)) return invalid();
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return invalid();
    if (cp != ' ') blank = false;
    if (++chars > max_chars) return invalid();
  }
  if (chars == 0 || blank) return invalid();
  return OkStatus();
}

PrincipalRegistry::PrincipalRegistry(barrier::Barrier& barrier, const Clock& clock, Random& rng,
                                     std::string tenant_id)
    : barrier_(barrier), clock_(clock), rng_(rng), tenant_id_(AsciiLower(tenant_id)) {}

void PrincipalRegistry::IndexPut(const std::string& object_id, bool tenant_admin,
                                 std::vector<std::string> key_ids) {
  std::unique_lock lock(index_mu_);
  index_[object_id] = IndexEntry{tenant_admin, std::move(key_ids)};
}

Status PrincipalRegistry::MigrateLegacyClients() {
  std::vector<std::pair<std::string, LegacyClient>> legacy;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    legacy.clear();
    ASSIGN_OR_RETURN(auto records, t.Scan(kClientPrefix, "", 0));
    for (const auto& [key, plain] : records) {
      if (!plain.empty() && static_cast<uint8_t>(plain.view()[0]) == kClientIndexRecordType) {
        continue;
      }
      ASSIGN_OR_RETURN(LegacyClient c, DecodeLegacyClient(plain.view()));
      legacy.emplace_back(key, std::move(c));
    }
    return OkStatus();
  }));
  if (legacy.empty()) return OkStatus();
  UnixSeconds now = clock_.Now();
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    for (const auto& [client_key, c] : legacy) {
      StoredPrincipal s;
      s.principal.object_id = AsciiLower(c.object_id);
      s.principal.client_id = AsciiLower(c.client_id);
      s.principal.tenant_id = AsciiLower(c.tenant_id);
      s.principal.display_name = c.display_name;
      s.principal.tenant_admin = true;  // only the bootstrap ever wrote legacy client records
      s.principal.created = now;
      s.secrets.push_back({NewGuid(rng_), c.secret_mac, now});
      ASSIGN_OR_RETURN(std::string key, PrincipalKey(barrier_, s.principal.object_id));
      ASSIGN_OR_RETURN(auto existing, t.Get(key));
      if (!existing) RETURN_IF_ERROR(WritePrincipal(barrier_, t, s));
      RETURN_IF_ERROR(t.Put(client_key, EncodeClientIndex(s.principal.object_id)));
    }
    return OkStatus();
  }));
  log::info("migrated {} legacy client record(s) to principals", legacy.size());
  return OkStatus();
}

Status PrincipalRegistry::Load() {
  std::lock_guard write(write_mu_);
  return LoadLocked();
}

StatusOr<PrincipalRegistry::Index> PrincipalRegistry::ReadIndex() const {
  Index fresh;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    fresh.clear();
    ASSIGN_OR_RETURN(auto records, t.Scan(kPrincipalPrefix, "", 0));
    for (const auto& [key, plain] : records) {
      ASSIGN_OR_RETURN(StoredPrincipal stored, DecodePrincipal(plain.view()));
      fresh[stored.principal.object_id] = IndexEntry{stored.principal.tenant_admin, KeyIds(stored)};
    }
    return OkStatus();
  }));
  return fresh;
}

Status PrincipalRegistry::LoadLocked() {
  RETURN_IF_ERROR(MigrateLegacyClients());
  ASSIGN_OR_RETURN(Index fresh, ReadIndex());
  std::unique_lock lock(index_mu_);
  index_ = std::move(fresh);
  loaded_ = true;
  return OkStatus();
}

Status PrincipalRegistry::Refresh() {
  std::lock_guard write(write_mu_);
  // Held across the read: IsActive waits for the fresh index instead of answering from the one
  // another node's commit (a revoked secret, a deleted principal) made stale.
  std::unique_lock lock(index_mu_);
  ASSIGN_OR_RETURN(Index fresh, ReadIndex());
  index_ = std::move(fresh);
  loaded_ = true;
  return OkStatus();
}

Status PrincipalRegistry::EnsureLoadedLocked() {
  {
    std::shared_lock lock(index_mu_);
    if (loaded_) return OkStatus();
  }
  return LoadLocked();
}

void PrincipalRegistry::Unload() {
  std::lock_guard write(write_mu_);
  std::unique_lock lock(index_mu_);
  index_.clear();
  loaded_ = false;
}

StatusOr<NewPrincipal> PrincipalRegistry::Create(std::string_view display_name) {
  RETURN_IF_ERROR(ValidateDisplayName(display_name, kMaxPrincipalDisplayNameChars, "displayName"));
  if (tenant_id_.empty()) {
    return FailedPreconditionError("This server has no tenant yet; bootstrap it first.");
  }
  std::lock_guard write(write_mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  NewPrincipal out;
  StoredPrincipal stored;
  stored.principal.object_id = NewGuid(rng_);
  stored.principal.client_id = NewGuid(rng_);
  stored.principal.tenant_id = tenant_id_;
  stored.principal.display_name = std::string(display_name);
  stored.principal.created = clock_.Now();
  ASSIGN_OR_RETURN(StoredSecret secret, MintSecret(barrier_, rng_, clock_, &out.client_secret));
  out.key_id = secret.key_id;
  stored.secrets.push_back(std::move(secret));
  ASSIGN_OR_RETURN(std::string client_key, ClientKey(barrier_, stored.principal.client_id));
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    RETURN_IF_ERROR(WritePrincipal(barrier_, t, stored));
    return t.Put(client_key, EncodeClientIndex(stored.principal.object_id));
  }));
  IndexPut(stored.principal.object_id, stored.principal.tenant_admin, KeyIds(stored));
  out.principal = Public(stored);
  return out;
}

StatusOr<bool> PrincipalRegistry::EnsureTenantAdministrator(std::string_view object_id,
                                                            std::string_view client_id,
                                                            std::string_view tenant_id,
                                                            std::string_view display_name,
                                                            const SecretBytes& secret) {
  if (!IsGuid(object_id) || !IsGuid(client_id) || !IsGuid(tenant_id)) {
    return InvalidArgumentError("The tenant administrator's ids must be GUIDs.");
  }
  RETURN_IF_ERROR(ValidateDisplayName(display_name, kMaxPrincipalDisplayNameChars, "displayName"));
  std::lock_guard write(write_mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  StoredPrincipal stored;
  stored.principal.object_id = AsciiLower(object_id);
  stored.principal.client_id = AsciiLower(client_id);
  stored.principal.tenant_id = AsciiLower(tenant_id);
  stored.principal.display_name = std::string(display_name);
  stored.principal.tenant_admin = true;
  stored.principal.created = clock_.Now();
  ASSIGN_OR_RETURN(std::string client_key, ClientKey(barrier_, client_id));
  ASSIGN_OR_RETURN(std::string principal_key, PrincipalKey(barrier_, object_id));
  // Usually there already: a read, so a node starting on a read-only pair gets this far.
  bool exists = false;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto existing, t.Get(principal_key));
    exists = existing.has_value();
    return OkStatus();
  }));
  if (exists) return false;
  bool created = false;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    created = false;
    ASSIGN_OR_RETURN(auto existing, t.Get(principal_key));
    if (existing) return OkStatus();
    if (secret.empty()) {
      return InvalidArgumentError("The tenant administrator needs a client secret.");
    }
    ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac(kSecretPurpose, secret.view()));
    stored.secrets = {StoredSecret{NewGuid(rng_), std::move(mac), stored.principal.created}};
    RETURN_IF_ERROR(WritePrincipal(barrier_, t, stored));
    RETURN_IF_ERROR(t.Put(client_key, EncodeClientIndex(stored.principal.object_id)));
    created = true;
    return OkStatus();
  }));
  if (created) IndexPut(stored.principal.object_id, stored.principal.tenant_admin, KeyIds(stored));
  return created;
}

StatusOr<std::vector<ServicePrincipal>> PrincipalRegistry::List() {
  std::vector<ServicePrincipal> out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    out.clear();
    ASSIGN_OR_RETURN(auto records, t.Scan(kPrincipalPrefix, "", 0));
    for (const auto& [key, plain] : records) {
      ASSIGN_OR_RETURN(StoredPrincipal stored, DecodePrincipal(plain.view()));
      out.push_back(Public(stored));
    }
    return OkStatus();
  }));
  std::sort(out.begin(), out.end(), [](const ServicePrincipal& a, const ServicePrincipal& b) {
    return std::tie(a.created, a.object_id) < std::tie(b.created, b.object_id);
  });
  return out;
}

StatusOr<ServicePrincipal> PrincipalRegistry::Get(std::string_view object_id) {
  std::optional<StoredPrincipal> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(found, ReadPrincipal(barrier_, t, object_id));
    return OkStatus();
  }));
  return Public(*found);
}

Status PrincipalRegistry::Delete(std::string_view object_id) {
  std::lock_guard write(write_mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  std::string deleted_id;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(StoredPrincipal stored, ReadPrincipal(barrier_, t, object_id));
    if (stored.principal.tenant_admin) {
      return FailedPreconditionError(
          "The principal '" + stored.principal.object_id +
              "' is the tenant administrator made when this deployment was bootstrapped, and "
              "cannot be deleted: the deployment would have no one left to manage principals. "
              "Revoke or add its client secrets instead.",
          "TenantAdministratorCannotBeDeleted");
    }
    ASSIGN_OR_RETURN(std::string key, PrincipalKey(barrier_, stored.principal.object_id));
    ASSIGN_OR_RETURN(std::string client_key, ClientKey(barrier_, stored.principal.client_id));
    RETURN_IF_ERROR(t.Delete(key));
    RETURN_IF_ERROR(t.Delete(client_key));
    deleted_id = stored.principal.object_id;
    return OkStatus();
  }));
  std::unique_lock lock(index_mu_);
  index_.erase(deleted_id);
  return OkStatus();
}

StatusOr<NewClientSecret> PrincipalRegistry::AddSecret(std::string_view object_id) {
  std::lock_guard write(write_mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  NewClientSecret out;
  ASSIGN_OR_RETURN(StoredSecret secret, MintSecret(barrier_, rng_, clock_, &out.client_secret));
  out.key_id = secret.key_id;
  out.created = secret.created;
  StoredPrincipal stored;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(stored, ReadPrincipal(barrier_, t, object_id));
    if (stored.secrets.size() >= kMaxClientSecretsPerPrincipal) {
      return FailedPreconditionError("The principal '" + stored.principal.object_id +
                                         "' already has " +
                                         std::to_string(kMaxClientSecretsPerPrincipal) +
                                         " client secrets; revoke one before adding another.",
                                     "TooManyClientSecrets");
    }
    stored.secrets.push_back(secret);
    return WritePrincipal(barrier_, t, stored);
  }));
  IndexPut(stored.principal.object_id, stored.principal.tenant_admin, KeyIds(stored));
  return out;
}

Status PrincipalRegistry::RevokeSecret(std::string_view object_id, std::string_view key_id) {
  std::lock_guard write(write_mu_);
  RETURN_IF_ERROR(EnsureLoadedLocked());
  std::string wanted = AsciiLower(key_id);
  StoredPrincipal stored;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(stored, ReadPrincipal(barrier_, t, object_id));
    auto it = std::find_if(stored.secrets.begin(), stored.secrets.end(),
                           [&](const StoredSecret& s) { return s.key_id == wanted; });
    if (it == stored.secrets.end()) {
      return NotFoundError("The principal '" + stored.principal.object_id +
                               "' has no client secret with key id '" + Shown(key_id) + "'.",
                           "ClientSecretNotFound");
    }
    stored.secrets.erase(it);
    return WritePrincipal(barrier_, t, stored);
  }));
  IndexPut(stored.principal.object_id, stored.principal.tenant_admin, KeyIds(stored));
  return OkStatus();
}

StatusOr<AuthenticatedClient> PrincipalRegistry::Authenticate(std::string_view tenant_id,
                                                              std::string_view client_id,
                                                              std::string_view secret) {
  if (client_id.empty() || client_id.size() > kMaxIdLen) return InvalidClient();
  ASSIGN_OR_RETURN(std::string client_key, ClientKey(barrier_, client_id));
  ASSIGN_OR_RETURN(std::string presented, barrier_.IndexMac(kSecretPurpose, secret));
  std::optional<StoredPrincipal> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    found.reset();
    ASSIGN_OR_RETURN(auto index, t.Get(client_key));
    if (!index) return OkStatus();
    ASSIGN_OR_RETURN(std::string object_id, DecodeClientIndex(index->view()));
    auto stored = ReadPrincipal(barrier_, t, object_id);
    if (stored.status().code() == StatusCode::kNotFound) return OkStatus();
    if (!stored.ok()) return stored.status();
    found = std::move(*stored);
    return OkStatus();
  }));
  if (!found) return InvalidClient();
  // Every stored HMAC is compared, so the time taken does not say which one matched.
  const StoredSecret* match = nullptr;
  for (const StoredSecret& s : found->secrets) {
    if (ConstantTimeEquals(presented, s.mac) && match == nullptr) match = &s;
  }
  if (match == nullptr || !EqualsIgnoreCase(found->principal.tenant_id, tenant_id)) {
    return InvalidClient();
  }
  return AuthenticatedClient{Public(*found), match->key_id};
}

bool PrincipalRegistry::IsActive(std::string_view object_id, std::string_view key_id) const {
  std::shared_lock lock(index_mu_);
  auto it = index_.find(object_id);
  if (it == index_.end()) return false;  // ids in tokens are lower case, as the index's
  const std::vector<std::string>& keys = it->second.key_ids;
  return std::find(keys.begin(), keys.end(), key_id) != keys.end();
}

bool PrincipalRegistry::IsTenantAdmin(std::string_view object_id) const {
  std::shared_lock lock(index_mu_);
  auto it = index_.find(object_id);
  return it != index_.end() && it->second.tenant_admin;
}

}  // namespace coffer::auth
