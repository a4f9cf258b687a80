#include "auth/clients.h"

#include "core/encoding.h"
#include "core/record_codec.h"

namespace coffer::auth {
namespace {

constexpr uint8_t kClientRecordType = 0x20;
constexpr uint8_t kFormatV1 = 1;

Status InvalidClient() {
  return UnauthenticatedError(
      "The client id or client secret is not valid for this tenant. Check the values in "
      "dev-credentials.json.",
      "invalid_client");
}

}  // namespace

StatusOr<std::string> ClientRegistry::Key(std::string_view client_id) const {
  ASSIGN_OR_RETURN(std::string mac, barrier_.IndexMac("client", AsciiLower(client_id)));
  return "client/" + EncodeHex(mac);
}

Status ClientRegistry::Put(const Client& client, const SecretBytes& secret) {
  ASSIGN_OR_RETURN(std::string key, Key(client.client_id));
  ASSIGN_OR_RETURN(std::string secret_mac, barrier_.IndexMac("client-secret", secret.view()));
  RecordWriter w;
  w.U8(kClientRecordType);
  w.U8(kFormatV1);
  w.Bytes(client.client_id);
  w.Bytes(client.object_id);
  w.Bytes(client.tenant_id);
  w.Bytes(client.display_name);
  w.Bytes(secret_mac);
  SecretBytes record = w.Finish();
  return barrier_.Update([&](barrier::Txn& t) { return t.Put(key, record); });
}

namespace {
struct StoredClient {
  Client client;
  std::string secret_mac;
};

StatusOr<StoredClient> DecodeClient(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kClientRecordType || format != kFormatV1) {
    return DataLossError("client record has an unknown type or format");
  }
  StoredClient s;
  RETURN_IF_ERROR(r.String(&s.client.client_id, 64));
  RETURN_IF_ERROR(r.String(&s.client.object_id, 64));
  RETURN_IF_ERROR(r.String(&s.client.tenant_id, 64));
  RETURN_IF_ERROR(r.String(&s.client.display_name, 256));
  RETURN_IF_ERROR(r.String(&s.secret_mac, 64));
  RETURN_IF_ERROR(r.ExpectEnd());
  return s;
}
}  // namespace

StatusOr<Client> ClientRegistry::Get(std::string_view client_id) {
  ASSIGN_OR_RETURN(std::string key, Key(client_id));
  std::optional<StoredClient> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto plain, t.Get(key));
    if (!plain) return OkStatus();
    ASSIGN_OR_RETURN(found, DecodeClient(plain->view()));
    return OkStatus();
  }));
  if (!found) return NotFoundError("no such client", "invalid_client");
  return found->client;
}

StatusOr<Client> ClientRegistry::Authenticate(std::string_view tenant_id,
                                              std::string_view client_id,
                                              std::string_view secret) {
  if (client_id.empty() || client_id.size() > 64) return InvalidClient();
  ASSIGN_OR_RETURN(std::string key, Key(client_id));
  ASSIGN_OR_RETURN(std::string presented, barrier_.IndexMac("client-secret", secret));
  std::optional<StoredClient> found;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto plain, t.Get(key));
    if (!plain) return OkStatus();
    ASSIGN_OR_RETURN(found, DecodeClient(plain->view()));
    return OkStatus();
  }));
  if (!found) return InvalidClient();
  bool secret_ok = ConstantTimeEquals(presented, found->secret_mac);
  if (!secret_ok || !EqualsIgnoreCase(found->client.tenant_id, tenant_id)) return InvalidClient();
  return found->client;
}

}  // namespace coffer::auth
