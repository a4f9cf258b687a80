#include "model/key_version.h"

#include <limits>

#include "core/record_codec.h"
#include "model/record_parts.h"

namespace coffer::model {
namespace {

constexpr uint8_t kKeyVersionRecordType = 0x12;
constexpr uint8_t kRotationPolicyRecordType = 0x13;
constexpr size_t kMaxShortString = 64;
constexpr size_t kMaxReleasePolicyBytes = 16 * 1024;

}  // namespace

SecretBytes EncodeKeyVersion(const KeyVersion& v) {
  RecordWriter w;
  w.U8(kKeyVersionRecordType);
  // Keys without a release policy keep format 1, byte for byte (older backups and golden vectors).
  w.U8(v.release_policy ? kRecordFormatV2 : kRecordFormatV1);
  w.Bytes(v.version);
  w.U64(v.sequence);
  w.Bytes(v.kty);
  w.U32(static_cast<uint32_t>(v.key_ops.size()));
  for (const auto& op : v.key_ops) w.Bytes(op);
  w.Bool(v.attributes.enabled);
  w.OptI64(v.attributes.not_before);
  w.OptI64(v.attributes.expires);
  w.I64(v.attributes.created);
  w.I64(v.attributes.updated);
  w.Bool(v.exportable);
  w.StringMap(v.tags);
  w.Bool(v.managed);
  w.Bytes(v.material.view());
  if (v.release_policy) {
    w.Bytes(v.release_policy->content_type);
    w.Bytes(v.release_policy->data);
    w.Bool(v.release_policy->immutable);
  }
  return w.Finish();
}

StatusOr<KeyVersion> DecodeKeyVersion(std::string_view record) {
  RecordReader r(record);
  uint8_t format = 0;
  RETURN_IF_ERROR(ReadPreamble(r, kKeyVersionRecordType, kRecordFormatV2, &format));
  KeyVersion v;
  RETURN_IF_ERROR(r.String(&v.version, kMaxShortString));
  RETURN_IF_ERROR(r.U64(&v.sequence));
  RETURN_IF_ERROR(r.String(&v.kty, kMaxShortString));
  uint32_t ops = 0;
  RETURN_IF_ERROR(r.U32(&ops));
  if (ops > kMaxKeyOps) return DataLossError("key version record has too many key_ops");
  v.key_ops.resize(ops);
  for (auto& op : v.key_ops) RETURN_IF_ERROR(r.String(&op, kMaxShortString));
  RETURN_IF_ERROR(r.Bool(&v.attributes.enabled));
  RETURN_IF_ERROR(r.OptI64(&v.attributes.not_before));
  RETURN_IF_ERROR(r.OptI64(&v.attributes.expires));
  RETURN_IF_ERROR(r.I64(&v.attributes.created));
  RETURN_IF_ERROR(r.I64(&v.attributes.updated));
  RETURN_IF_ERROR(r.Bool(&v.exportable));
  RETURN_IF_ERROR(r.StringMap(&v.tags, 1024));
  RETURN_IF_ERROR(r.Bool(&v.managed));
  RETURN_IF_ERROR(r.Secret(&v.material, kMaxKeyMaterialBytes));
  if (format == kRecordFormatV2) {
    KeyReleasePolicy policy;
    RETURN_IF_ERROR(r.String(&policy.content_type, 256));
    RETURN_IF_ERROR(r.String(&policy.data, kMaxReleasePolicyBytes));
    RETURN_IF_ERROR(r.Bool(&policy.immutable));
    v.release_policy = std::move(policy);
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return v;
}

SecretBytes EncodeRotationPolicy(const RotationPolicy& p) {
  RecordWriter w;
  w.U8(kRotationPolicyRecordType);
  w.U8(kRecordFormatV1);
  w.U32(static_cast<uint32_t>(p.lifetime_actions.size()));
  for (const auto& a : p.lifetime_actions) {
    w.U8(static_cast<uint8_t>(a.trigger));
    w.Bytes(a.duration);
    w.U8(static_cast<uint8_t>(a.action));
  }
  w.Bytes(p.expiry_time);
  w.I64(p.created);
  w.I64(p.updated);
  w.OptI64(p.scheduled_rotation);
  return w.Finish();
}

StatusOr<RotationPolicy> DecodeRotationPolicy(std::string_view record) {
  RecordReader r(record);
  RETURN_IF_ERROR(ReadPreamble(r, kRotationPolicyRecordType));
  RotationPolicy p;
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxLifetimeActions) return DataLossError("rotation policy has too many actions");
  p.lifetime_actions.resize(n);
  for (auto& a : p.lifetime_actions) {
    uint8_t trigger = 0, action = 0;
    RETURN_IF_ERROR(r.U8(&trigger));
    RETURN_IF_ERROR(r.String(&a.duration, kMaxShortString));
    RETURN_IF_ERROR(r.U8(&action));
    if (trigger < 1 || trigger > 2 || action < 1 || action > 2) {
      return DataLossError("rotation policy has an unknown trigger or action");
    }
    a.trigger = static_cast<LifetimeTrigger>(trigger);
    a.action = static_cast<LifetimeActionType>(action);
  }
  RETURN_IF_ERROR(r.String(&p.expiry_time, kMaxShortString));
  RETURN_IF_ERROR(r.I64(&p.created));
  RETURN_IF_ERROR(r.I64(&p.updated));
  RETURN_IF_ERROR(r.OptI64(&p.scheduled_rotation));
  RETURN_IF_ERROR(r.ExpectEnd());
  return p;
}

std::optional<int64_t> ParseIsoDuration(std::string_view text) {
  if (text.size() < 3 || text.size() > 64 || (text[0] != 'P' && text[0] != 'p')) {
    return std::nullopt;
  }
  constexpr int64_t kDay = 86400;
  int64_t total = 0;
  bool in_time = false, any = false, time_any = false;
  size_t i = 1;
  std::string_view order_date = "YMWD", order_time = "HMS";
  size_t next_date = 0, next_time = 0;  // components must come in order, each at most once
  while (i < text.size()) {
    char c = text[i];
    if (c == 'T' || c == 't') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++i;
      continue;
    }
    int64_t n = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > std::numeric_limits<int64_t>::max() / 10 / (365 * kDay) - 10) return std::nullopt;
      n = n * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || i >= text.size()) return std::nullopt;
    char unit = static_cast<char>(text[i] >= 'a' && text[i] <= 'z' ? text[i] - 32 : text[i]);
    ++i;
    int64_t scale = 0;
    std::string_view order = in_time ? order_time : order_date;
    size_t& next = in_time ? next_time : next_date;
    size_t pos = order.find(unit, next);
    if (pos == std::string_view::npos) return std::nullopt;
    next = pos + 1;
    if (!in_time) {
      scale = unit == 'Y' ? 365 * kDay : unit == 'M' ? 30 * kDay : unit == 'W' ? 7 * kDay : kDay;
    } else {
      scale = unit == 'H' ? 3600 : unit == 'M' ? 60 : 1;
    }
    total += n * scale;
    any = true;
    time_any = time_any || in_time;
  }
  if (!any || (in_time && !time_any) || total <= 0) return std::nullopt;
  return total;
}

}  // namespace coffer::model
