#include "crypto/certificate_issue.h"

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <utility>

#include "crypto/certificate_internal.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::OpenSslError;
using internal::X509ExtPtr;
using internal::X509Ptr;

constexpr size_t kSerialBytes = 16;
using AuthorityKeyIdPtr =
    std::unique_ptr<AUTHORITY_KEYID, internal::FnDeleter<AUTHORITY_KEYID_free>>;

// Days since 1970-01-01 for a proleptic Gregorian date, and back (H. Hinnant's algorithms).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

Status SetSerial(X509* cert) {
  unsigned char bytes[kSerialBytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return OpenSslError("random serial failed");
  bytes[0] &= 0x7F;  // positive
  bytes[0] |= 0x40;  // and a full 16 bytes, never a shorter encoding
  internal::BnPtr bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  internal::Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (serial == nullptr || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslError("setting the serial failed");
  }
  return OkStatus();
}

Status AddKeyIdentifiers(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(cert, internal::Sha1Md(), md, &len) != 1) {
    return OpenSslError("key identifier digest failed");
  }
  internal::Asn1StringPtr ski(ASN1_OCTET_STRING_new());
  if (ski == nullptr || ASN1_OCTET_STRING_set(ski.get(), md, static_cast<int>(len)) != 1) {
    return OpenSslError("SKI allocation failed");
  }
  X509ExtPtr ski_ext(X509V3_EXT_i2d(NID_subject_key_identifier, 0, ski.get()));
  AuthorityKeyIdPtr aki(AUTHORITY_KEYID_new());
  if (ski_ext == nullptr || aki == nullptr) return OpenSslError("SKI encoding failed");
  aki->keyid = ASN1_OCTET_STRING_dup(ski.get());
  X509ExtPtr aki_ext(aki->keyid ? X509V3_EXT_i2d(NID_authority_key_identifier, 0, aki.get())
                                : nullptr);
  if (aki_ext == nullptr || X509_add_ext(cert, ski_ext.get(), -1) != 1 ||
      X509_add_ext(cert, aki_ext.get(), -1) != 1) {
    return OpenSslError("adding the key identifiers failed");
  }
  return OkStatus();
}

}  // namespace

int64_t AddMonths(int64_t unix_seconds, int months) {
  int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : -((-unix_seconds + 86399) / 86400);
  int64_t time_of_day = unix_seconds - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  int64_t month_index = y * 12 + (m - 1) + months;
  int64_t ny = month_index >= 0 ? month_index / 12 : -((-month_index + 11) / 12);
  unsigned nm = static_cast<unsigned>(month_index - ny * 12) + 1;
  unsigned nd = std::min(d, DaysInMonth(ny, nm));
  return DaysFromCivil(ny, nm, nd) * 86400 + time_of_day;
}

Status ValidateX509Profile(const X509Profile& profile) {
  RETURN_IF_ERROR(internal::ParseSubject(profile.subject).status());
  return internal::ProfileExtensions(profile).status();
}

StatusOr<std::string> IssueSelfSignedCertificate(const X509Profile& profile, const KeyMaterial& key,
                                                 int64_t now_unix) {
  ASSIGN_OR_RETURN(internal::PkeyPtr pkey, internal::PkeyFromKeyMaterial(key));
  ASSIGN_OR_RETURN(internal::X509NamePtr name, internal::ParseSubject(profile.subject));
  ASSIGN_OR_RETURN(std::vector<X509ExtPtr> exts, internal::ProfileExtensions(profile));
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509 allocation failed");
  int64_t not_after = AddMonths(now_unix, profile.validity_months);
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_subject_name(cert.get(), name.get()) != 1 ||
      X509_set_issuer_name(cert.get(), name.get()) != 1 ||
      X509_set_pubkey(cert.get(), pkey.get()) != 1 ||
      ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                    static_cast<time_t>(now_unix - kNotBeforeBackdateSeconds)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(not_after)) == nullptr) {
    return OpenSslError("filling the certificate failed");
  }
  RETURN_IF_ERROR(SetSerial(cert.get()));
  for (auto& ext : exts) {
    if (X509_add_ext(cert.get(), ext.get(), -1) != 1)
      return OpenSslError("adding an extension failed");
  }
  RETURN_IF_ERROR(AddKeyIdentifiers(cert.get()));
  if (X509_sign(cert.get(), pkey.get(), internal::SignatureDigest(pkey.get())) <= 0) {
    return OpenSslError("signing the certificate failed");
  }
  return internal::CertificateDer(cert.get());
}

}  // namespace coffer::crypto
