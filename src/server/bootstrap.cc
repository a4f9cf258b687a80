#include "server/bootstrap.h"

#include "core/encoding.h"
#include "core/log.h"
#include "core/record_codec.h"
#include "crypto/primitives.h"

namespace coffer::server {
namespace {
constexpr std::string_view kBootstrapKey = "sys/bootstrap";
constexpr uint8_t kBootstrapRecordType = 0x30;
constexpr uint8_t kFormatV1 = 1;

SecretBytes Encode(const Bootstrap& b) {
  RecordWriter w;
  w.U8(kBootstrapRecordType);
  w.U8(kFormatV1);
  w.Bytes(b.tenant_id);
  w.Bytes(b.client_id);
  w.Bytes(b.object_id);
  w.Bytes(b.client_secret.view());
  w.U32(static_cast<uint32_t>(b.subscriptions.size()));
  for (const auto& s : b.subscriptions) w.Bytes(s);
  return w.Finish();
}

StatusOr<Bootstrap> Decode(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kBootstrapRecordType || format != kFormatV1) {
    return DataLossError("bootstrap record has an unknown type or format");
  }
  Bootstrap b;
  RETURN_IF_ERROR(r.String(&b.tenant_id, 64));
  RETURN_IF_ERROR(r.String(&b.client_id, 64));
  RETURN_IF_ERROR(r.String(&b.object_id, 64));
  RETURN_IF_ERROR(r.Secret(&b.client_secret, 256));
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n > 16) return DataLossError("bootstrap record has too many subscriptions");
  for (uint32_t i = 0; i < n; ++i) {
    std::string s;
    RETURN_IF_ERROR(r.String(&s, 64));
    b.subscriptions.push_back(std::move(s));
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return b;
}

StatusOr<std::optional<Bootstrap>> Read(barrier::Barrier& barrier) {
  std::optional<Bootstrap> existing;
  RETURN_IF_ERROR(barrier.View([&](barrier::Txn& t) -> Status {
    existing.reset();
    ASSIGN_OR_RETURN(auto plain, t.Get(kBootstrapKey));
    if (plain) {
      ASSIGN_OR_RETURN(existing, Decode(plain->view()));
    }
    return OkStatus();
  }));
  return existing;
}

Status Write(barrier::Barrier& barrier, const Bootstrap& b, bool keep_secret) {
  Bootstrap stored = b;
  if (!keep_secret) stored.client_secret.Wipe();
  return barrier.Update([&](barrier::Txn& t) { return t.Put(kBootstrapKey, Encode(stored)); });
}

Status RegisterSubscriptions(const Bootstrap& b, auth::SubscriptionRegistry& subscriptions) {
  for (size_t i = 0; i < b.subscriptions.size(); ++i) {
    if (subscriptions.Exists(b.subscriptions[i])) continue;
    auth::Subscription s;
    s.id = b.subscriptions[i];
    s.display_name = "Coffer subscription " + std::to_string(i + 1);
    s.tenant_id = b.tenant_id;
    auto registered = subscriptions.Register(s);
    if (!registered.ok()) return registered.status();
  }
  return OkStatus();
}

}  // namespace

std::string NewGuid(Random& rng) { return auth::NewGuid(rng); }

StatusOr<Bootstrap> LoadOrCreateBootstrap(barrier::Barrier& barrier,
                                          auth::PrincipalRegistry& principals,
                                          auth::SubscriptionRegistry& subscriptions,
                                          vault::VaultRegistry& vaults, Random& rng,
                                          const std::string& default_vault,
                                          const std::string& region, bool keep_secret) {
  // Load first: it migrates a legacy client record into the tenant administrator principal.
  RETURN_IF_ERROR(principals.Load());
  RETURN_IF_ERROR(subscriptions.Load());
  ASSIGN_OR_RETURN(std::optional<Bootstrap> existing, Read(barrier));
  bool fresh = !existing;
  Bootstrap b;
  if (existing) {
    b = std::move(*existing);
  } else {
    if (!auth::IsGuid(principals.tenant_id())) {
      return FailedPreconditionError("bootstrap needs the deployment's tenant id");
    }
    b.tenant_id = principals.tenant_id();
    b.client_id = NewGuid(rng);
    b.object_id = NewGuid(rng);
    b.client_secret = auth::GenerateClientSecret(rng);
    b.subscriptions = {NewGuid(rng), NewGuid(rng)};
    // Written first, so a crash below resumes with these ids on the next start instead of
    // minting a second tenant administrator.
    RETURN_IF_ERROR(Write(barrier, b, keep_secret));
  }

  if (!b.client_secret.empty() || principals.IsTenantAdmin(b.object_id)) {
    ASSIGN_OR_RETURN(bool created,
                     principals.EnsureTenantAdministrator(
                         b.object_id, b.client_id, b.tenant_id,
                         keep_secret ? "coffer-dev" : "coffer-admin", b.client_secret));
    if (!created && keep_secret && !b.client_secret.empty()) {
      // Dev: the kept secret is what dev-credentials.json will carry; if it was revoked, make
      // a new one rather than write credentials that cannot work.
      auto works = principals.Authenticate(b.tenant_id, b.client_id, b.client_secret.view());
      if (!works.ok() && works.status().code() != StatusCode::kUnauthenticated) {
        return works.status();
      }
      if (!works.ok()) {
        ASSIGN_OR_RETURN(auth::NewClientSecret added, principals.AddSecret(b.object_id));
        b.client_secret = std::move(added.client_secret);
        RETURN_IF_ERROR(Write(barrier, b, keep_secret));
        log::warn("the dev client's secret had been revoked; dev-credentials.json gets a new one");
      }
    }
  } else {
    return FailedPreconditionError(
        "the bootstrap record names a tenant administrator that does not exist and keeps no "
        "secret to recreate it; initialise a new data dir");
  }

  RETURN_IF_ERROR(RegisterSubscriptions(b, subscriptions));

  if (fresh && !default_vault.empty()) {
    vault::VaultSpec spec;
    spec.name = default_vault;
    spec.subscription_id = b.subscriptions[0];
    spec.resource_group = "coffer-dev";
    spec.location = region;
    spec.tenant_id = b.tenant_id;
    auto created = vaults.CreateOrUpdate(spec);
    if (!created.ok()) return created.status();
  }
  return b;
}

Status EnsureBootstrapRoleAssignments(barrier::Barrier& barrier,
                                      auth::RoleAssignmentStore& roles) {
  constexpr std::string_view kMarker = "sys/bootstrap-roles";
  ASSIGN_OR_RETURN(std::optional<Bootstrap> boot, Read(barrier));
  if (!boot) return OkStatus();
  bool done = false;
  RETURN_IF_ERROR(barrier.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto marker, t.Get(kMarker));
    done = marker.has_value();
    return OkStatus();
  }));
  if (done) return OkStatus();
  constexpr const char* kOwner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
  constexpr const char* kKeyVaultAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
  for (const std::string& sub : boot->subscriptions) {
    for (const char* role : {kOwner, kKeyVaultAdministrator}) {
      auth::RoleAssignment a;
      a.name = NewGuid(crypto::SystemRandom());
      a.scope = "/subscriptions/" + sub;
      a.role_definition_id = role;
      a.principal_id = AsciiLower(boot->object_id);
      auto made = roles.Create(std::move(a));
      // Already there (an earlier start crashed before the marker): fine.
      if (!made.ok() && made.status().reason() != "RoleAssignmentExists") return made.status();
    }
  }
  return barrier.Update([&](barrier::Txn& t) { return t.Put(kMarker, SecretBytes()); });
}

StatusOr<SecretBytes> JoiningNodeSecret(auth::PrincipalRegistry& principals,
                                        const Bootstrap& boot, const SecretBytes& previous) {
  if (!previous.empty()) {
    auto works = principals.Authenticate(boot.tenant_id, boot.client_id, previous.view());
    if (works.ok()) return previous;
    if (works.status().code() != StatusCode::kUnauthenticated) return works.status();
  }
  ASSIGN_OR_RETURN(auth::NewClientSecret added, principals.AddSecret(boot.object_id));
  log::info("joined the deployment; the dev client got a secret of this node's own");
  return std::move(added.client_secret);
}

Status RegisterBootstrapSubscriptions(barrier::Barrier& barrier,
                                      auth::SubscriptionRegistry& subscriptions) {
  ASSIGN_OR_RETURN(std::optional<Bootstrap> existing, Read(barrier));
  if (!existing) return OkStatus();
  return RegisterSubscriptions(*existing, subscriptions);
}

}  // namespace coffer::server
