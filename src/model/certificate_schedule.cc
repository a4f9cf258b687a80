#include "model/certificate_schedule.h"

#include "core/record_codec.h"

namespace coffer::model {
namespace {
constexpr uint8_t kScheduleRecordType = 0x19;
constexpr uint8_t kFormatV1 = 1;
constexpr unsigned kAutoRenewBit = 1u << static_cast<unsigned>(CertificateActionType::kAutoRenew);
constexpr unsigned kEmailBit = 1u << static_cast<unsigned>(CertificateActionType::kEmailContacts);
constexpr uint8_t kKnownActions = kAutoRenewBit | kEmailBit;
}  // namespace

UnixSeconds LifetimeActionTime(const CertificateLifetimeAction& action, UnixSeconds not_before,
                               UnixSeconds expires) {
  if (action.days_before_expiry) return expires - int64_t{*action.days_before_expiry} * 86400;
  int64_t lifetime = expires > not_before ? expires - not_before : 0;
  return not_before + lifetime * int64_t{action.lifetime_percentage.value_or(0)} / 100;
}

SecretBytes EncodeCertificateSchedule(const CertificateSchedule& s) {
  RecordWriter w;
  w.U8(kScheduleRecordType);
  w.U8(kFormatV1);
  w.Bytes(s.version);
  w.OptI64(s.due);
  w.U8(s.done);
  return w.Finish();
}

StatusOr<CertificateSchedule> DecodeCertificateSchedule(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kScheduleRecordType || format != kFormatV1) {
    return DataLossError("certificate schedule record has an unknown type or format");
  }
  CertificateSchedule s;
  RETURN_IF_ERROR(r.String(&s.version, 64));
  RETURN_IF_ERROR(r.OptI64(&s.due));
  RETURN_IF_ERROR(r.U8(&s.done));
  if ((s.done & ~kKnownActions) != 0) return DataLossError("certificate schedule: unknown action");
  RETURN_IF_ERROR(r.ExpectEnd());
  return s;
}

}  // namespace coffer::model
