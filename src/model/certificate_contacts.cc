#include "model/certificate_contacts.h"

#include "core/record_codec.h"

namespace coffer::model {
namespace {
constexpr uint8_t kContactsRecordType = 0x17;
constexpr uint8_t kFormatV1 = 1;
constexpr size_t kMaxField = 256;
}  // namespace

Status ValidateCertificateContacts(const std::vector<CertificateContact>& contacts) {
  if (contacts.size() > kMaxCertificateContacts) {
    return InvalidArgumentError("A vault has at most " + std::to_string(kMaxCertificateContacts) +
                                    " certificate contacts.",
                                "BadParameter");
  }
  for (size_t i = 0; i < contacts.size(); ++i) {
    const CertificateContact& c = contacts[i];
    std::string where = "contacts[" + std::to_string(i) + "]";
    if (c.email.size() < 3 || c.email.size() > 254 || c.email.find('@') == std::string::npos) {
      return InvalidArgumentError(where + ".email must be an email address.", "BadParameter");
    }
    if (c.name.size() > kMaxField || c.phone.size() > kMaxField) {
      return InvalidArgumentError(where + ": name and phone are at most 256 characters.",
                                  "BadParameter");
    }
  }
  return OkStatus();
}

SecretBytes EncodeCertificateContacts(const std::vector<CertificateContact>& contacts) {
  RecordWriter w;
  w.U8(kContactsRecordType);
  w.U8(kFormatV1);
  w.U32(static_cast<uint32_t>(contacts.size()));
  for (const CertificateContact& c : contacts) {
    w.Bytes(c.email);
    w.Bytes(c.name);
    w.Bytes(c.phone);
  }
  return w.Finish();
}

StatusOr<std::vector<CertificateContact>> DecodeCertificateContacts(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kContactsRecordType || format != kFormatV1) {
    return DataLossError("certificate contacts record has an unknown type or format");
  }
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxCertificateContacts) return DataLossError("certificate contacts: too many");
  std::vector<CertificateContact> out(n);
  for (CertificateContact& c : out) {
    RETURN_IF_ERROR(r.String(&c.email, kMaxField));
    RETURN_IF_ERROR(r.String(&c.name, kMaxField));
    RETURN_IF_ERROR(r.String(&c.phone, kMaxField));
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return out;
}

}  // namespace coffer::model
