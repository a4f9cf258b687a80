#include "auth/role_assignments.h"

#include "auth/principals.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>

#include "core/encoding.h"
#include "core/record_codec.h"

namespace coffer::auth {
namespace {

// Every write here publishes the cache topic: the other nodes sharing the storage reload once
// it commits (docs/decisions.md "Several nodes on one PostgreSQL").
Status PublishingUpdate(barrier::Barrier& barrier, const barrier::BarrierFn& fn) {
  return barrier.Update([&](barrier::Txn& t) {
    t.Publish(RoleAssignmentStore::kCacheTopic);
    return fn(t);
  });
}

constexpr uint8_t kRoleAssignmentRecordType = 0x40;
constexpr uint8_t kFormatV1 = 1;
constexpr std::string_view kPrefix = "authz/ra/";
constexpr size_t kMaxScopeLength = 2048;
constexpr size_t kMaxDescriptionLength = 2048;

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Azure: 1–90 characters of letters, digits, '_', '-', '.', '(' and ')', not ending in '.'.
bool IsResourceGroupName(std::string_view s) {
  if (s.empty() || s.size() > 90 || s.back() == '.') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsAlnum(c) || c == '_' || c == '-' || c == '.' || c == '(' || c == ')';
  });
}

// Azure: 3–24 letters, digits and hyphens, starting with a letter, ending with a letter or
// digit, no "--".
bool IsVaultName(std::string_view s) {
  if (s.size() < 3 || s.size() > 24) return false;
  if (!std::isalpha(static_cast<unsigned char>(s.front())) || !IsAlnum(s.back())) return false;
  if (s.find("--") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// Secret, key and certificate names: 1–127 letters, digits and hyphens.
bool IsObjectName(std::string_view s) {
  if (s.empty() || s.size() > 127) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// Strips one doubled leading slash and a trailing slash, the two spellings of the same path.
std::string_view TrimScope(std::string_view s) {
  if (s.substr(0, 2) == "//") s.remove_prefix(1);
  if (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
  return s;
}

Status InvalidScope(std::string_view scope, std::string_view why) {
  std::string shown(scope.substr(0, 300));
  return InvalidArgumentError(
      "The scope '" + shown + "' is not valid: " + std::string(why) +
          ". Expected /subscriptions/{subscriptionId}[/resourceGroups/{resourceGroupName}"
          "[/providers/Microsoft.KeyVault/vaults/{vaultName}[/secrets|keys|certificates/{name}]]].",
      "InvalidScope");
}

Status NotFound(std::string_view name) {
  return NotFoundError("The role assignment '" + std::string(name.substr(0, 64)) +
                           "' is not found.",
                       "RoleAssignmentNotFound");
}

bool SameGrant(const RoleAssignment& a, const RoleAssignment& b) {
  return a.role_definition_id == b.role_definition_id && a.principal_id == b.principal_id &&
         EqualsIgnoreCase(a.scope, b.scope);
}

SecretBytes Encode(const RoleAssignment& a) {
  RecordWriter w;
  w.U8(kRoleAssignmentRecordType);
  w.U8(kFormatV1);
  w.Bytes(a.name);
  w.Bytes(a.scope);
  w.Bytes(a.role_definition_id);
  w.Bytes(a.principal_id);
  w.Bytes(a.principal_type);
  w.Bytes(a.description);
  w.I64(a.created);
  w.I64(a.updated);
  w.Bytes(a.created_by);
  return w.Finish();
}

StatusOr<RoleAssignment> Decode(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kRoleAssignmentRecordType || format != kFormatV1) {
    return DataLossError("role assignment record has an unknown type or format");
  }
  RoleAssignment a;
  RETURN_IF_ERROR(r.String(&a.name, 64));
  RETURN_IF_ERROR(r.String(&a.scope, kMaxScopeLength));
  RETURN_IF_ERROR(r.String(&a.role_definition_id, 64));
  RETURN_IF_ERROR(r.String(&a.principal_id, 64));
  RETURN_IF_ERROR(r.String(&a.principal_type, 64));
  RETURN_IF_ERROR(r.String(&a.description, kMaxDescriptionLength));
  RETURN_IF_ERROR(r.I64(&a.created));
  RETURN_IF_ERROR(r.I64(&a.updated));
  RETURN_IF_ERROR(r.String(&a.created_by, 64));
  RETURN_IF_ERROR(r.ExpectEnd());
  return a;
}

// Azure's principalType values, in Azure's spelling.
std::optional<std::string> CanonicalPrincipalType(std::string_view t) {
  if (t.empty()) return "ServicePrincipal";
  for (std::string_view known : {"ServicePrincipal", "User", "Group", "ForeignGroup", "Device"}) {
    if (EqualsIgnoreCase(t, known)) return std::string(known);
  }
  return std::nullopt;
}

}  // namespace

StatusOr<std::string> NormalizeScope(std::string_view scope) {
  if (scope.size() > kMaxScopeLength) return InvalidScope(scope, "it is too long");
  std::string_view s = TrimScope(scope);
  if (s.empty() || s.front() != '/') return InvalidScope(scope, "it must start with '/'");
  std::vector<std::string_view> segs;
  for (std::string_view rest = s.substr(1);;) {
    size_t slash = rest.find('/');
    segs.push_back(rest.substr(0, slash));
    if (segs.back().empty()) return InvalidScope(scope, "it has an empty path segment");
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  size_t n = segs.size();
  if (!EqualsIgnoreCase(segs[0], "subscriptions") || n < 2) {
    return InvalidScope(scope, "it must begin with /subscriptions/{subscriptionId}");
  }
  if (!IsGuid(segs[1])) return InvalidScope(scope, "the subscription id is not a GUID");
  std::string out = "/subscriptions/" + AsciiLower(segs[1]);
  size_t i = 2;
  if (i < n) {
    if (!EqualsIgnoreCase(segs[i], "resourceGroups") || i + 1 >= n) {
      return InvalidScope(scope, "a subscription may only be followed by /resourceGroups/{name}");
    }
    if (!IsResourceGroupName(segs[i + 1])) {
      return InvalidScope(scope, "the resource group name is not valid");
    }
    out += "/resourceGroups/" + std::string(segs[i + 1]);
    i += 2;
  }
  if (i < n) {
    if (i + 3 >= n || !EqualsIgnoreCase(segs[i], "providers") ||
        !EqualsIgnoreCase(segs[i + 1], "Microsoft.KeyVault") ||
        !EqualsIgnoreCase(segs[i + 2], "vaults")) {
      return InvalidScope(
          scope,
          "a resource group may only be followed by /providers/Microsoft.KeyVault/vaults/{name}");
    }
    if (!IsVaultName(segs[i + 3])) return InvalidScope(scope, "the vault name is not valid");
    out += "/providers/Microsoft.KeyVault/vaults/" + std::string(segs[i + 3]);
    i += 4;
  }
  if (i < n) {
    std::string kind = AsciiLower(segs[i]);
    if ((kind != "secrets" && kind != "keys" && kind != "certificates") || i + 1 >= n) {
      return InvalidScope(scope,
                          "a vault may only be followed by /secrets/{name}, /keys/{name} or "
                          "/certificates/{name}");
    }
    if (!IsObjectName(segs[i + 1])) return InvalidScope(scope, "the object name is not valid");
    out += "/" + kind + "/" + std::string(segs[i + 1]);
    i += 2;
  }
  if (i < n) return InvalidScope(scope, "it continues below an object");
  return out;
}

bool ScopeCovers(std::string_view scope, std::string_view resource) {
  scope = TrimScope(scope);
  resource = TrimScope(resource);
  if (scope.empty() || scope.size() > resource.size()) return false;
  if (!EqualsIgnoreCase(scope, resource.substr(0, scope.size()))) return false;
  return scope.size() == resource.size() || resource[scope.size()] == '/' || scope == "/";
}

// ---- Index ----

void RoleAssignmentStore::Index::Add(RoleAssignment a) {
  std::string name = AsciiLower(a.name);
  Remove(name);
  const RoleDefinition* role = FindRoleDefinition(a.role_definition_id);
  auto [it, inserted] = by_name.emplace(name, Entry{std::move(a), role});
  by_principal[AsciiLower(it->second.assignment.principal_id)].push_back(&it->second);
}

void RoleAssignmentStore::Index::Remove(const std::string& name) {
  auto it = by_name.find(name);
  if (it == by_name.end()) return;
  std::string principal = AsciiLower(it->second.assignment.principal_id);
  auto p = by_principal.find(principal);
  if (p != by_principal.end()) {
    std::erase(p->second, &it->second);
    if (p->second.empty()) by_principal.erase(p);
  }
  by_name.erase(it);
}

// ---- Store ----

RoleAssignmentStore::RoleAssignmentStore(barrier::Barrier& barrier, const Clock& clock)
    : barrier_(barrier), clock_(clock) {}

StatusOr<std::string> RoleAssignmentStore::Key(std::string_view name) const {
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("role-assignment", AsciiLower(name)));
  return std::string(kPrefix) + EncodeHex(mac);
}

void RoleAssignmentStore::InvalidateLocked() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  for (CacheShard& shard : cache_) {
    std::lock_guard<std::mutex> lock(shard.mu);
    shard.decisions.clear();
  }
}

uint64_t RoleAssignmentStore::generation() const {
  return generation_.load(std::memory_order_acquire);
}

Status RoleAssignmentStore::ReadIndex(Index& fresh) const {
  return barrier_.View([&](barrier::Txn& t) -> Status {
    fresh = Index();
    ASSIGN_OR_RETURN(auto records, t.Scan(kPrefix, "", 0));
    for (const auto& [key, plain] : records) {
      ASSIGN_OR_RETURN(RoleAssignment a, Decode(plain.view()));
      fresh.Add(std::move(a));
    }
    return OkStatus();
  });
}

Status RoleAssignmentStore::Load() {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  Index fresh;
  RETURN_IF_ERROR(ReadIndex(fresh));
  std::unique_lock<std::shared_mutex> lock(mu_);
  index_ = std::move(fresh);
  InvalidateLocked();
  return OkStatus();
}

Status RoleAssignmentStore::Refresh() {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  // Held across the read: a Check that arrives meanwhile waits for the fresh index instead of
  // answering from the one another node's commit made stale.
  std::unique_lock<std::shared_mutex> lock(mu_);
  Index fresh;
  RETURN_IF_ERROR(ReadIndex(fresh));
  index_ = std::move(fresh);
  InvalidateLocked();
  return OkStatus();
}

StatusOr<std::pair<RoleAssignment, bool>> RoleAssignmentStore::Create(RoleAssignment a) {
  if (!IsGuid(a.name)) {
    return InvalidArgumentError("The role assignment ID '" + a.name.substr(0, 64) +
                                    "' is not valid. The role assignment ID must be a GUID.",
                                "InvalidRoleAssignmentId");
  }
  a.name = AsciiLower(a.name);
  ASSIGN_OR_RETURN(a.scope, NormalizeScope(a.scope));
  if (!IsGuid(a.principal_id)) {
    return InvalidArgumentError("The principal ID '" + a.principal_id.substr(0, 64) +
                                    "' is not valid. The principal ID must be a GUID.",
                                "InvalidPrincipalId");
  }
  a.principal_id = AsciiLower(a.principal_id);
  std::optional<std::string> type = CanonicalPrincipalType(a.principal_type);
  if (!type) {
    return InvalidArgumentError(
        "The principal type '" + a.principal_type.substr(0, 64) +
            "' is not valid. Use ServicePrincipal, User, Group, ForeignGroup or Device.",
        "InvalidPrincipalType");
  }
  a.principal_type = *type;
  const RoleDefinition* role = FindRoleDefinition(a.role_definition_id);
  if (role == nullptr) {
    return InvalidArgumentError("The specified role definition with ID '" +
                                    a.role_definition_id.substr(0, 64) + "' does not exist.",
                                "RoleDefinitionDoesNotExist");
  }
  a.role_definition_id = role->id;
  if (a.description.size() > kMaxDescriptionLength) {
    return InvalidArgumentError("The description is longer than 2048 characters.",
                                "InvalidRoleAssignmentDescription");
  }
  if (a.created_by.size() > 64) return InvalidArgumentError("created_by is not an object id");
  a.created = a.updated = clock_.Now();
  ASSIGN_OR_RETURN(std::string key, Key(a.name));

  std::lock_guard<std::mutex> write_lock(write_mu_);
  std::optional<RoleAssignment> existing;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    existing.reset();
    ASSIGN_OR_RETURN(auto current, t.Get(key));
    if (current) {
      ASSIGN_OR_RETURN(existing, Decode(current->view()));
      if (SameGrant(*existing, a)) return OkStatus();
      return AlreadyExistsError(
          "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
          "RoleAssignmentUpdateNotPermitted");
    }
    ASSIGN_OR_RETURN(auto all, t.Scan(kPrefix, "", 0));
    for (const auto& [other_key, plain] : all) {
      ASSIGN_OR_RETURN(RoleAssignment other, Decode(plain.view()));
      if (SameGrant(other, a)) {
        return AlreadyExistsError("The role assignment already exists.", "RoleAssignmentExists");
      }
    }
    return t.Put(key, Encode(a));
  }));
  if (existing) return std::make_pair(*existing, false);
  std::unique_lock<std::shared_mutex> lock(mu_);
  index_.Add(a);
  InvalidateLocked();
  return std::make_pair(std::move(a), true);
}

StatusOr<RoleAssignment> RoleAssignmentStore::Get(std::string_view scope,
                                                  std::string_view name) const {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeScope(scope));
  if (!IsGuid(name)) return NotFound(name);
  ASSIGN_OR_RETURN(std::string key, Key(name));
  std::optional<RoleAssignment> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto plain, t.Get(key));
    if (!plain) return OkStatus();
    ASSIGN_OR_RETURN(found, Decode(plain->view()));
    return OkStatus();
  }));
  if (!found || !EqualsIgnoreCase(found->scope, normalized)) return NotFound(name);
  return *found;
}

StatusOr<RoleAssignment> RoleAssignmentStore::Delete(std::string_view scope,
                                                     std::string_view name) {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeScope(scope));
  if (!IsGuid(name)) return NotFound(name);
  ASSIGN_OR_RETURN(std::string key, Key(name));
  std::lock_guard<std::mutex> write_lock(write_mu_);
  std::optional<RoleAssignment> found;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    found.reset();
    ASSIGN_OR_RETURN(auto plain, t.Get(key));
    if (!plain) return NotFound(name);
    ASSIGN_OR_RETURN(found, Decode(plain->view()));
    if (!EqualsIgnoreCase(found->scope, normalized)) return NotFound(name);
    return t.Delete(key);
  }));
  std::unique_lock<std::shared_mutex> lock(mu_);
  index_.Remove(AsciiLower(found->name));
  InvalidateLocked();
  return *found;
}

template <typename Pred>
StatusOr<size_t> RoleAssignmentStore::DeleteWhere(Pred doomed) {
  std::lock_guard<std::mutex> write_lock(write_mu_);
  std::vector<std::string> names;
  RETURN_IF_ERROR(PublishingUpdate(barrier_, [&](barrier::Txn& t) -> Status {
    names.clear();
    ASSIGN_OR_RETURN(auto all, t.Scan(kPrefix, "", 0));
    for (const auto& [key, plain] : all) {
      ASSIGN_OR_RETURN(RoleAssignment a, Decode(plain.view()));
      if (!doomed(a)) continue;
      RETURN_IF_ERROR(t.Delete(key));
      names.push_back(AsciiLower(a.name));
    }
    return OkStatus();
  }));
  if (names.empty()) return size_t{0};
  std::unique_lock<std::shared_mutex> lock(mu_);
  for (const std::string& name : names) index_.Remove(name);
  InvalidateLocked();
  return names.size();
}

StatusOr<size_t> RoleAssignmentStore::DeleteAtOrBelow(std::string_view scope) {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeScope(scope));
  return DeleteWhere([&](const RoleAssignment& a) { return ScopeCovers(normalized, a.scope); });
}

StatusOr<size_t> RoleAssignmentStore::DeleteForPrincipal(std::string_view principal_id) {
  if (principal_id.empty()) return size_t{0};
  return DeleteWhere(
      [&](const RoleAssignment& a) { return EqualsIgnoreCase(a.principal_id, principal_id); });
}

std::vector<RoleAssignment> RoleAssignmentStore::List(std::string_view scope, bool at_scope_only,
                                                      std::string_view principal_id) const {
  std::vector<RoleAssignment> out;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    for (const auto& [name, e] : index_.by_name) {
      const RoleAssignment& a = e.assignment;
      if (!principal_id.empty() && !EqualsIgnoreCase(a.principal_id, principal_id)) continue;
      bool at_or_above = ScopeCovers(a.scope, scope);
      bool below = !at_scope_only && ScopeCovers(scope, a.scope);
      if (at_or_above || below) out.push_back(a);
    }
  }
  std::sort(out.begin(), out.end(), [](const RoleAssignment& x, const RoleAssignment& y) {
    std::string xs = AsciiLower(x.scope), ys = AsciiLower(y.scope);
    return xs != ys ? xs < ys : x.name < y.name;
  });
  return out;
}

bool RoleAssignmentStore::Decide(const std::string& principal, std::string_view action,
                                 bool data_action, std::string_view resource,
                                 std::string_view target_role_id) const {
  auto it = index_.by_principal.find(principal);
  if (it == index_.by_principal.end()) return false;
  for (const Entry* e : it->second) {
    if (e->role == nullptr || !ScopeCovers(e->assignment.scope, resource)) continue;
    if (RoleGrants(*e->role, action, data_action, target_role_id)) return true;
  }
  return false;
}

bool RoleAssignmentStore::Check(std::string_view principal_id, std::string_view action,
                                bool data_action, std::string_view resource,
                                std::string_view target_role_id) const {
  if (principal_id.empty() || action.empty() || resource.empty()) return false;
  std::string principal = AsciiLower(principal_id);
  // Everything in the key is compared case-insensitively, so the key is lower-case.
  std::string key;
  key.reserve(principal.size() + action.size() + resource.size() + target_role_id.size() + 4);
  key.append(principal).push_back('\n');
  key.push_back(data_action ? 'd' : 'm');
  key.append(AsciiLower(action)).push_back('\n');
  key.append(AsciiLower(TrimScope(resource))).push_back('\n');
  key.append(AsciiLower(target_role_id));
  CacheShard& shard = cache_[std::hash<std::string>{}(key) % kCacheShards];

  // The shared lock is held until the decision is cached: a writer clears the cache only with
  // mu_ held exclusively, so a decision made from the old index can never land after the clear.
  std::shared_lock<std::shared_mutex> lock(mu_);
  {
    std::lock_guard<std::mutex> shard_lock(shard.mu);
    auto hit = shard.decisions.find(key);
    if (hit != shard.decisions.end()) return hit->second;
  }
  bool allowed = Decide(principal, action, data_action, resource, target_role_id);
  std::lock_guard<std::mutex> shard_lock(shard.mu);
  if (shard.decisions.size() >= kMaxDecisionsPerShard) shard.decisions.clear();
  shard.decisions.emplace(std::move(key), allowed);
  return allowed;
}

bool RoleAssignmentStore::HasAnyIn(std::string_view principal_id,
                                   std::string_view subscription_id) const {
  if (subscription_id.empty()) return false;
  std::string subscription = "/subscriptions/" + std::string(subscription_id);
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = index_.by_principal.find(AsciiLower(principal_id));
  if (it == index_.by_principal.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const Entry* e) {
    return ScopeCovers(subscription, e->assignment.scope);
  });
}

}  // namespace coffer::auth
