#include "model/certificate_issuer.h"

#include "core/encoding.h"
#include "core/record_codec.h"

namespace coffer::model {
namespace {
constexpr uint8_t kIssuerRecordType = 0x18;
constexpr uint8_t kFormatV1 = 1;
constexpr size_t kMaxField = 256;

Status Bad(std::string message) { return InvalidArgumentError(std::move(message), "BadParameter"); }
}  // namespace

Status ValidateCertificateIssuer(const CertificateIssuer& i) {
  bool name_ok = !i.name.empty() && i.name.size() <= 127;
  for (char c : i.name) {
    name_ok = name_ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                          (c >= 'A' && c <= 'Z') || c == '-');
  }
  if (!name_ok) {
    return Bad("The issuer name must be 1 to 127 letters, digits or '-'.");
  }
  if (EqualsIgnoreCase(i.name, "Self") || EqualsIgnoreCase(i.name, "Unknown")) {
    return Bad("'" + i.name + "' is a built-in issuer name and cannot be configured.");
  }
  if (i.provider.empty() || i.provider.size() > 64) {
    return Bad("provider is required (1 to 64 characters), e.g. DigiCert or GlobalSign.");
  }
  if (i.admins.size() > kMaxIssuerAdmins) {
    return Bad("org_details.admin_details has at most " + std::to_string(kMaxIssuerAdmins) +
               " entries.");
  }
  for (const std::string* f : {&i.account_id, &i.org_id}) {
    if (f->size() > kMaxField) return Bad("credentials and org_details fields are at most 256 characters.");
  }
  if (i.password.size() > kMaxField) return Bad("credentials.pwd is at most 256 characters.");
  for (const IssuerAdmin& a : i.admins) {
    for (const std::string* f : {&a.first_name, &a.last_name, &a.email, &a.phone}) {
      if (f->size() > kMaxField) return Bad("admin_details fields are at most 256 characters.");
    }
  }
  return OkStatus();
}

SecretBytes EncodeCertificateIssuer(const CertificateIssuer& i) {
  RecordWriter w;
  w.U8(kIssuerRecordType);
  w.U8(kFormatV1);
  w.Bytes(i.name);
  w.Bytes(i.provider);
  w.Bytes(i.account_id);
  w.Bytes(i.password.view());
  w.Bytes(i.org_id);
  w.U32(static_cast<uint32_t>(i.admins.size()));
  for (const IssuerAdmin& a : i.admins) {
    w.Bytes(a.first_name);
    w.Bytes(a.last_name);
    w.Bytes(a.email);
    w.Bytes(a.phone);
  }
  w.Bool(i.enabled);
  w.I64(i.created);
  w.I64(i.updated);
  return w.Finish();
}

StatusOr<CertificateIssuer> DecodeCertificateIssuer(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kIssuerRecordType || format != kFormatV1) {
    return DataLossError("certificate issuer record has an unknown type or format");
  }
  CertificateIssuer i;
  RETURN_IF_ERROR(r.String(&i.name, 128));
  RETURN_IF_ERROR(r.String(&i.provider, kMaxField));
  RETURN_IF_ERROR(r.String(&i.account_id, kMaxField));
  RETURN_IF_ERROR(r.Secret(&i.password, kMaxField));
  RETURN_IF_ERROR(r.String(&i.org_id, kMaxField));
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxIssuerAdmins) return DataLossError("certificate issuer: too many admins");
  i.admins.resize(n);
  for (IssuerAdmin& a : i.admins) {
    for (std::string* f : {&a.first_name, &a.last_name, &a.email, &a.phone}) {
      RETURN_IF_ERROR(r.String(f, kMaxField));
    }
  }
  RETURN_IF_ERROR(r.Bool(&i.enabled));
  RETURN_IF_ERROR(r.I64(&i.created));
  RETURN_IF_ERROR(r.I64(&i.updated));
  RETURN_IF_ERROR(r.ExpectEnd());
  return i;
}

}  // namespace coffer::model
