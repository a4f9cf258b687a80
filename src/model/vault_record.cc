#include "model/vault_record.h"

#include "core/record_codec.h"

namespace coffer::model {
namespace {
constexpr uint8_t kVaultRecordType = 0x01;
constexpr uint8_t kFormatV1 = 1;
constexpr uint8_t kFormatV2 = 2;  // V1 + access policies
constexpr size_t kMaxAccessPolicies = 1024;
constexpr size_t kMaxPermissions = 64;

}  // namespace

std::string VaultRecord::RecoveryLevel() const {
  std::string level = retention_days >= 90 ? "Recoverable" : "CustomizedRecoverable";
  if (!purge_protection) level += "+Purgeable";
  return level;
}

SecretBytes EncodeVaultRecord(const VaultRecord& v) {
  RecordWriter w;
  w.U8(kVaultRecordType);
  w.U8(kFormatV2);
  w.Bytes(v.name);
  w.Bytes(v.id);
  w.Bytes(v.tenant_id);
  w.Bytes(v.subscription_id);
  w.Bytes(v.resource_group);
  w.Bytes(v.location);
  w.Bytes(v.sku);
  w.U32(static_cast<uint32_t>(v.retention_days));
  w.Bool(v.purge_protection);
  w.Bool(v.rbac_authorization);
  w.I64(v.created);
  w.I64(v.updated);
  w.StringMap(v.tags);
  w.Bool(v.deleted.has_value());
  if (v.deleted) {
    w.I64(v.deleted->deleted_date);
    w.I64(v.deleted->scheduled_purge_date);
  }
  w.U32(static_cast<uint32_t>(v.access_policies.size()));
  for (const AccessPolicyEntry& e : v.access_policies) {
    w.Bytes(e.tenant_id);
    w.Bytes(e.object_id);
    w.Bytes(e.application_id);
    for (const auto* list : {&e.keys, &e.secrets, &e.certificates, &e.storage}) {
      w.StringList(*list);
    }
  }
  return w.Finish();
}

StatusOr<VaultRecord> DecodeVaultRecord(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kVaultRecordType || (format != kFormatV1 && format != kFormatV2)) {
    return DataLossError("vault record has an unknown type or format");
  }
  VaultRecord v;
  RETURN_IF_ERROR(r.String(&v.name, 64));
  RETURN_IF_ERROR(r.String(&v.id, 64));
  RETURN_IF_ERROR(r.String(&v.tenant_id, 64));
  RETURN_IF_ERROR(r.String(&v.subscription_id, 64));
  RETURN_IF_ERROR(r.String(&v.resource_group, 256));
  RETURN_IF_ERROR(r.String(&v.location, 256));
  RETURN_IF_ERROR(r.String(&v.sku, 64));
  uint32_t retention = 0;
  RETURN_IF_ERROR(r.U32(&retention));
  v.retention_days = static_cast<int>(retention);
  RETURN_IF_ERROR(r.Bool(&v.purge_protection));
  RETURN_IF_ERROR(r.Bool(&v.rbac_authorization));
  RETURN_IF_ERROR(r.I64(&v.created));
  RETURN_IF_ERROR(r.I64(&v.updated));
  RETURN_IF_ERROR(r.StringMap(&v.tags, 64));
  bool deleted = false;
  RETURN_IF_ERROR(r.Bool(&deleted));
  if (deleted) {
    DeletedInfo d;
    RETURN_IF_ERROR(r.I64(&d.deleted_date));
    RETURN_IF_ERROR(r.I64(&d.scheduled_purge_date));
    v.deleted = d;
  }
  if (format >= kFormatV2) {
    uint32_t n = 0;
    RETURN_IF_ERROR(r.U32(&n));
    if (n > kMaxAccessPolicies) return DataLossError("vault record: too many access policies");
    v.access_policies.resize(n);
    for (AccessPolicyEntry& e : v.access_policies) {
      RETURN_IF_ERROR(r.String(&e.tenant_id, 64));
      RETURN_IF_ERROR(r.String(&e.object_id, 64));
      RETURN_IF_ERROR(r.String(&e.application_id, 64));
      for (auto* list : {&e.keys, &e.secrets, &e.certificates, &e.storage}) {
        RETURN_IF_ERROR(r.StringList(list, kMaxPermissions, 64));
      }
    }
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return v;
}

}  // namespace coffer::model
