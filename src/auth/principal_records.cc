#include "auth/principal_records.h"

#include "core/record_codec.h"

namespace coffer::auth::records {
namespace {

constexpr uint8_t kFormatV1 = 1;
constexpr size_t kMaxDisplayNameBytes = 4 * kMaxPrincipalDisplayNameChars;

Status ReadHeader(RecordReader& r, uint8_t* type) {
  uint8_t format = 0;
  RETURN_IF_ERROR(r.U8(type));
  RETURN_IF_ERROR(r.U8(&format));
  if (format != kFormatV1) return DataLossError("principal record has an unknown format");
  return OkStatus();
}

}  // namespace

SecretBytes EncodePrincipal(const StoredPrincipal& stored) {
  const ServicePrincipal& p = stored.principal;
  RecordWriter w;
  w.U8(kPrincipalRecordType);
  w.U8(kFormatV1);
  w.Bytes(p.object_id);
  w.Bytes(p.client_id);
  w.Bytes(p.tenant_id);
  w.Bytes(p.display_name);
  w.Bool(p.tenant_admin);
  w.I64(p.created);
  w.U32(static_cast<uint32_t>(stored.secrets.size()));
  for (const StoredSecret& s : stored.secrets) {
    w.Bytes(s.key_id);
    w.Bytes(s.mac);
    w.I64(s.created);
  }
  return w.Finish();
}

SecretBytes EncodeClientIndex(std::string_view object_id) {
  RecordWriter w;
  w.U8(kClientIndexRecordType);
  w.U8(kFormatV1);
  w.Bytes(object_id);
  return w.Finish();
}


StatusOr<std::string> DecodeClientIndex(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0;
  RETURN_IF_ERROR(ReadHeader(r, &type));
  if (type != kClientIndexRecordType) return DataLossError("client index record has another type");
  std::string object_id;
  RETURN_IF_ERROR(r.String(&object_id, kMaxIdLen));
  RETURN_IF_ERROR(r.ExpectEnd());
  return object_id;
}


StatusOr<LegacyClient> DecodeLegacyClient(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0;
  RETURN_IF_ERROR(ReadHeader(r, &type));
  if (type != kLegacyClientRecordType) return DataLossError("client record has another type");
  LegacyClient c;
  RETURN_IF_ERROR(r.String(&c.client_id, kMaxIdLen));
  RETURN_IF_ERROR(r.String(&c.object_id, kMaxIdLen));
  RETURN_IF_ERROR(r.String(&c.tenant_id, kMaxIdLen));
  RETURN_IF_ERROR(r.String(&c.display_name, 256));
  RETURN_IF_ERROR(r.String(&c.secret_mac, kMaxMacLen));
  RETURN_IF_ERROR(r.ExpectEnd());
  return c;
}

StatusOr<StoredPrincipal> DecodePrincipal(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0;
  RETURN_IF_ERROR(ReadHeader(r, &type));
  if (type != kPrincipalRecordType) return DataLossError("principal record has another type");
  StoredPrincipal out;
  ServicePrincipal& p = out.principal;
  RETURN_IF_ERROR(r.String(&p.object_id, kMaxIdLen));
  RETURN_IF_ERROR(r.String(&p.client_id, kMaxIdLen));
  RETURN_IF_ERROR(r.String(&p.tenant_id, kMaxIdLen));
  RETURN_IF_ERROR(r.String(&p.display_name, kMaxDisplayNameBytes));
  RETURN_IF_ERROR(r.Bool(&p.tenant_admin));
  RETURN_IF_ERROR(r.I64(&p.created));
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxClientSecretsPerPrincipal) {
    return DataLossError("principal record has too many client secrets");
  }
  out.secrets.resize(n);
  for (StoredSecret& s : out.secrets) {
    RETURN_IF_ERROR(r.String(&s.key_id, kMaxIdLen));
    RETURN_IF_ERROR(r.String(&s.mac, kMaxMacLen));
    RETURN_IF_ERROR(r.I64(&s.created));
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return out;
}

}  // namespace coffer::auth::records
