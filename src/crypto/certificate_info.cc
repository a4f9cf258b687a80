#include "crypto/certificate_info.h"

#include <arpa/inet.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "core/encoding.h"
#include "crypto/certificate_internal.h"
#include "crypto/certificate_issue.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::GeneralNamesPtr;

constexpr const char* kKeyUsageNames[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
                                          "dataEncipherment", "keyAgreement",   "keyCertSign",
                                          "cRLSign",          "encipherOnly",   "decipherOnly"};

std::string Asn1Text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  const unsigned char* bytes = ASN1_STRING_get0_data(ip);
  int len = ASN1_STRING_length(ip);
  char buf[INET6_ADDRSTRLEN];
  int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
  if (family == 0 || inet_ntop(family, bytes, buf, sizeof buf) == nullptr) return {};
  return buf;
}

void ReadSans(X509* cert, SubjectAlternativeNames& sans) {
  GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (names == nullptr) return;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* gen = sk_GENERAL_NAME_value(names.get(), i);
    switch (gen->type) {
      case GEN_DNS:
        sans.dns_names.push_back(Asn1Text(gen->d.dNSName));
        break;
      case GEN_EMAIL:
        sans.emails.push_back(Asn1Text(gen->d.rfc822Name));
        break;
      case GEN_URI:
        sans.uris.push_back(Asn1Text(gen->d.uniformResourceIdentifier));
        break;
      case GEN_IPADD: {
        std::string ip = IpText(gen->d.iPAddress);
        if (!ip.empty()) sans.ip_addresses.push_back(std::move(ip));
        break;
      }
      case GEN_OTHERNAME:
        if (OBJ_obj2nid(gen->d.otherName->type_id) == NID_ms_upn &&
            gen->d.otherName->value->type == V_ASN1_UTF8STRING) {
          sans.upns.push_back(Asn1Text(gen->d.otherName->value->value.utf8string));
        }
        break;
      default:
        break;
    }
  }
}

int64_t TimeToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

std::string CertificateX5t(std::string_view der) {
  unsigned char md[SHA_DIGEST_LENGTH];
  SHA1(internal::Uchars(der), der.size(), md);
  return EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(md), sizeof md));
}

std::string CertificateCer(std::string_view der) { return EncodeBase64(der); }

int DerivedValidityMonths(int64_t not_before, int64_t not_after) {
  int64_t created = not_before + kNotBeforeBackdateSeconds;
  int months = 0;
  while (months < 1200 && AddMonths(created, months) < not_after) ++months;
  return months;
}

StatusOr<CertificateInfo> InspectCertificate(std::string_view der) {
  ASSIGN_OR_RETURN(internal::X509Ptr cert, internal::ParseCertificateDer(der, "the certificate"));
  CertificateInfo info;
  info.subject = internal::FormatSubject(X509_get_subject_name(cert.get()));
  info.issuer = internal::FormatSubject(X509_get_issuer_name(cert.get()));
  info.self_issued =
      X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())) == 0;
  ReadSans(cert.get(), info.sans);
  // X509_get_key_usage caches the extensions; a certificate whose extensions fail to parse is
  // still readable, its usage just unknown.
  uint32_t ku = X509_get_key_usage(cert.get());
  if (X509_get_extension_flags(cert.get()) & EXFLAG_KUSAGE) {
    for (int bit = 0; bit < 9; ++bit) {
      // X509_get_key_usage packs bits 0-7 into the first byte (MSB first) and bit 8 into 0x8000.
      uint32_t mask = bit < 8 ? (0x80u >> bit) : 0x8000u;
      if (ku & mask) info.key_usage.push_back(kKeyUsageNames[bit]);
    }
  }
  auto* eku = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert.get(), NID_ext_key_usage, nullptr, nullptr));
  if (eku != nullptr) {
    for (int i = 0; i < sk_ASN1_OBJECT_num(eku); ++i) {
      char buf[128];
      int n = OBJ_obj2txt(buf, sizeof buf, sk_ASN1_OBJECT_value(eku, i), 1);
      if (n > 0 && static_cast<size_t>(n) < sizeof buf) info.ekus.emplace_back(buf, n);
    }
    EXTENDED_KEY_USAGE_free(eku);
  }
  ERR_clear_error();
  info.not_before = TimeToUnix(X509_get0_notBefore(cert.get()));
  info.not_after = TimeToUnix(X509_get0_notAfter(cert.get()));
  internal::BnPtr serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  if (serial != nullptr) {
    char* hex = BN_bn2hex(serial.get());
    if (hex != nullptr) info.serial_hex = hex;
    OPENSSL_free(hex);
  }
  unsigned char sha1[SHA_DIGEST_LENGTH];
  unsigned char sha256[SHA256_DIGEST_LENGTH];
  SHA1(internal::Uchars(der), der.size(), sha1);
  SHA256(internal::Uchars(der), der.size(), sha256);
  info.sha1_thumbprint.assign(reinterpret_cast<char*>(sha1), sizeof sha1);
  info.sha256_thumbprint.assign(reinterpret_cast<char*>(sha256), sizeof sha256);
  info.x5t = CertificateX5t(der);
  info.cer = CertificateCer(der);
  return info;
}

}  // namespace coffer::crypto
