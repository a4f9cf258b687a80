#include "server/bootstrap.h"

#include "core/encoding.h"
#include "core/record_codec.h"

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
}  // namespace

std::string NewGuid(Random& rng) {
  std::string b = rng.Bytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  std::string h = EncodeHex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

StatusOr<Bootstrap> LoadOrCreateBootstrap(barrier::Barrier& barrier, auth::ClientRegistry& clients,
                                          vault::VaultRegistry& vaults, Random& rng,
                                          const std::string& default_vault,
                                          const std::string& region, bool keep_secret) {
  std::optional<Bootstrap> existing;
  RETURN_IF_ERROR(barrier.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto plain, t.Get(kBootstrapKey));
    if (plain) {
      ASSIGN_OR_RETURN(existing, Decode(plain->view()));
    }
    return OkStatus();
  }));
  if (existing) return *existing;

  Bootstrap b;
  b.tenant_id = NewGuid(rng);
  b.client_id = NewGuid(rng);
  b.object_id = NewGuid(rng);
  b.client_secret = SecretBytes(EncodeBase64Url(rng.Bytes(30)));
  b.subscriptions = {NewGuid(rng), NewGuid(rng)};
  auth::Client client{b.client_id, b.object_id, b.tenant_id, "coffer-dev"};
  RETURN_IF_ERROR(clients.Put(client, b.client_secret));
  if (!default_vault.empty()) {
    vault::VaultSpec spec;
    spec.name = default_vault;
    spec.subscription_id = b.subscriptions[0];
    spec.resource_group = "coffer-dev";
    spec.location = region;
    spec.tenant_id = b.tenant_id;
    auto created = vaults.CreateOrUpdate(spec);
    if (!created.ok()) return created.status();
  }
  // Written last: a crash before this point simply bootstraps again on the next start.
  Bootstrap stored = b;
  if (!keep_secret) stored.client_secret.Wipe();
  RETURN_IF_ERROR(
      barrier.Update([&](barrier::Txn& t) { return t.Put(kBootstrapKey, Encode(stored)); }));
  return b;
}

}  // namespace coffer::server
