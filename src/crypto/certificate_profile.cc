// The X.509 extensions of a certificate policy (certificate_internal.h: ProfileExtensions), shared
// by self-signed issuance and the PKCS#10 request, so both carry the same profile.
#include <openssl/x509v3.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/certificate_internal.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto::internal {
namespace {

constexpr int kMaxValidityMonths = 1200;
constexpr size_t kMaxSanEntries = 256;
constexpr size_t kMaxSanBytes = 1024;

using ExtendedKeyUsagePtr = std::unique_ptr<EXTENDED_KEY_USAGE, FnDeleter<EXTENDED_KEY_USAGE_free>>;
using BasicConstraintsPtr = std::unique_ptr<BASIC_CONSTRAINTS, FnDeleter<BASIC_CONSTRAINTS_free>>;
using BitStringPtr = std::unique_ptr<ASN1_BIT_STRING, FnDeleter<ASN1_BIT_STRING_free>>;
using Asn1TypePtr = std::unique_ptr<ASN1_TYPE, FnDeleter<ASN1_TYPE_free>>;
using Asn1ObjectPtr = std::unique_ptr<ASN1_OBJECT, FnDeleter<ASN1_OBJECT_free>>;

struct KeyUsageBit {
  std::string_view name;
  int bit;  // position in the KeyUsage BIT STRING (RFC 5280 §4.2.1.3)
};
constexpr KeyUsageBit kKeyUsages[] = {
    {"digitalSignature", 0}, {"nonRepudiation", 1}, {"keyEncipherment", 2},
    {"dataEncipherment", 3}, {"keyAgreement", 4},   {"keyCertSign", 5},
    {"cRLSign", 6},          {"encipherOnly", 7},   {"decipherOnly", 8},
};

std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  out.append(s.size() > kMax ? "...'" : "'");
  return out;
}

bool IsValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.starts_with("*.")) name.remove_prefix(2);
  size_t label_len = 0;
  for (char c : name) {
    if (c == '.') {
      if (label_len == 0) return false;
      label_len = 0;
      continue;
    }
    bool ldh = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (!ldh || ++label_len > 63) return false;
  }
  return label_len > 0;
}

// Printable ASCII without spaces: what an IA5String SAN (e-mail, URI) may carry here.
bool IsPlainAscii(std::string_view s) {
  if (s.empty() || s.size() > kMaxSanBytes) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

bool IsMailbox(std::string_view s) {
  size_t at = s.find('@');
  return IsPlainAscii(s) && at != std::string_view::npos && at > 0 && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string_view::npos;
}

StatusOr<ASN1_OBJECT*> DottedOid(std::string_view oid) {
  bool ok = !oid.empty() && oid.size() <= 128 && std::isdigit(static_cast<unsigned char>(oid[0]));
  for (char c : oid) ok = ok && (std::isdigit(static_cast<unsigned char>(c)) || c == '.');
  ASN1_OBJECT* obj = ok ? OBJ_txt2obj(std::string(oid).c_str(), 1) : nullptr;
  if (obj == nullptr) {
    ERR_clear_error();
    return BadParameter("the extended key usage " + Quoted(oid) +
                        " is not a dotted OID such as 1.3.6.1.5.5.7.3.1");
  }
  return obj;
}

Status AddIa5(GENERAL_NAMES* names, int type, std::string_view value) {
  GeneralNamePtr gen(GENERAL_NAME_new());
  Asn1StringPtr ia5(ASN1_IA5STRING_new());
  if (gen == nullptr || ia5 == nullptr ||
      ASN1_STRING_set(ia5.get(), value.data(), static_cast<int>(value.size())) != 1) {
    return OpenSslError("GENERAL_NAME allocation failed");
  }
  GENERAL_NAME_set0_value(gen.get(), type, ia5.release());
  if (sk_GENERAL_NAME_push(names, gen.get()) == 0) return OpenSslError("SAN push failed");
  gen.release();
  return OkStatus();
}

Status AddUpn(GENERAL_NAMES* names, std::string_view upn) {
  GeneralNamePtr gen(GENERAL_NAME_new());
  Asn1TypePtr value(ASN1_TYPE_new());
  Asn1StringPtr utf8(ASN1_UTF8STRING_new());
  if (gen == nullptr || value == nullptr || utf8 == nullptr ||
      ASN1_STRING_set(utf8.get(), upn.data(), static_cast<int>(upn.size())) != 1) {
    return OpenSslError("GENERAL_NAME allocation failed");
  }
  ASN1_TYPE_set(value.get(), V_ASN1_UTF8STRING, utf8.release());
  if (GENERAL_NAME_set0_othername(gen.get(), OBJ_nid2obj(NID_ms_upn), value.get()) != 1) {
    return OpenSslError("UPN otherName failed");
  }
  value.release();
  if (sk_GENERAL_NAME_push(names, gen.get()) == 0) return OpenSslError("SAN push failed");
  gen.release();
  return OkStatus();
}

Status AddIp(GENERAL_NAMES* names, const std::string& ip) {
  Asn1StringPtr octets(ip.size() <= 64 ? a2i_IPADDRESS(ip.c_str()) : nullptr);
  if (octets == nullptr) {
    ERR_clear_error();
    return BadParameter("the SAN IP address " + Quoted(ip) + " is not an IPv4 or IPv6 address");
  }
  GeneralNamePtr gen(GENERAL_NAME_new());
  if (gen == nullptr) return OpenSslError("GENERAL_NAME allocation failed");
  GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, octets.release());
  if (sk_GENERAL_NAME_push(names, gen.get()) == 0) return OpenSslError("SAN push failed");
  gen.release();
  return OkStatus();
}

StatusOr<X509ExtPtr> SanExtension(const SubjectAlternativeNames& sans) {
  size_t count = sans.dns_names.size() + sans.emails.size() + sans.upns.size() + sans.uris.size() +
                 sans.ip_addresses.size();
  if (count > kMaxSanEntries) return BadParameter("a certificate may carry at most 256 SANs");
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (names == nullptr) return OpenSslError("GENERAL_NAMES allocation failed");
  for (const auto& dns : sans.dns_names) {
    if (!IsValidDnsName(dns))
      return BadParameter("the SAN DNS name " + Quoted(dns) + " is invalid");
    RETURN_IF_ERROR(AddIa5(names.get(), GEN_DNS, dns));
  }
  for (const auto& email : sans.emails) {
    if (!IsMailbox(email)) {
      return BadParameter("the SAN e-mail " + Quoted(email) + " is not an address like a@b.com");
    }
    RETURN_IF_ERROR(AddIa5(names.get(), GEN_EMAIL, email));
  }
  for (const auto& upn : sans.upns) {
    if (upn.empty() || upn.size() > kMaxSanBytes || upn.find('\0') != std::string::npos) {
      return BadParameter("the SAN UPN " + Quoted(upn) + " is empty, too long or not text");
    }
    RETURN_IF_ERROR(AddUpn(names.get(), upn));
  }
  for (const auto& uri : sans.uris) {
    if (!IsPlainAscii(uri) || uri.find(':') == std::string::npos) {
      return BadParameter("the SAN URI " + Quoted(uri) + " is not an absolute URI");
    }
    RETURN_IF_ERROR(AddIa5(names.get(), GEN_URI, uri));
  }
  for (const auto& ip : sans.ip_addresses) RETURN_IF_ERROR(AddIp(names.get(), ip));
  X509ExtPtr ext(X509V3_EXT_i2d(NID_subject_alt_name, 0, names.get()));
  if (ext == nullptr) return OpenSslError("subjectAltName encoding failed");
  return ext;
}

StatusOr<X509ExtPtr> KeyUsageExtension(const std::vector<std::string>& usages) {
  BitStringPtr bits(ASN1_BIT_STRING_new());
  if (bits == nullptr) return OpenSslError("BIT STRING allocation failed");
  for (const auto& usage : usages) {
    const KeyUsageBit* found = nullptr;
    for (const auto& ku : kKeyUsages) {
      if (EqualsIgnoreCase(usage, ku.name)) found = &ku;
    }
    if (found == nullptr) {
      return BadParameter("the key usage " + Quoted(usage) +
                          " is unknown; use digitalSignature, nonRepudiation, keyEncipherment, "
                          "dataEncipherment, keyAgreement, keyCertSign, cRLSign, encipherOnly or "
                          "decipherOnly");
    }
    if (ASN1_BIT_STRING_set_bit(bits.get(), found->bit, 1) != 1) {
      return OpenSslError("key usage bit failed");
    }
  }
  X509ExtPtr ext(X509V3_EXT_i2d(NID_key_usage, 1, bits.get()));
  if (ext == nullptr) return OpenSslError("keyUsage encoding failed");
  return ext;
}

StatusOr<X509ExtPtr> EkuExtension(const std::vector<std::string>& ekus) {
  ExtendedKeyUsagePtr eku(sk_ASN1_OBJECT_new_null());
  if (eku == nullptr) return OpenSslError("EKU allocation failed");
  for (const auto& oid : ekus) {
    ASSIGN_OR_RETURN(ASN1_OBJECT * raw, DottedOid(oid));
    Asn1ObjectPtr obj(raw);
    if (sk_ASN1_OBJECT_push(eku.get(), obj.get()) == 0) return OpenSslError("EKU push failed");
    obj.release();
  }
  X509ExtPtr ext(X509V3_EXT_i2d(NID_ext_key_usage, 0, eku.get()));
  if (ext == nullptr) return OpenSslError("extKeyUsage encoding failed");
  return ext;
}

}  // namespace

StatusOr<std::vector<X509ExtPtr>> ProfileExtensions(const X509Profile& profile) {
  if (profile.validity_months < 1 || profile.validity_months > kMaxValidityMonths) {
    return BadParameter("validity_months must be 1..1200, got " +
                        std::to_string(profile.validity_months));
  }
  std::vector<X509ExtPtr> exts;
  if (!profile.key_usage.empty()) {
    ASSIGN_OR_RETURN(X509ExtPtr ku, KeyUsageExtension(profile.key_usage));
    exts.push_back(std::move(ku));
  }
  if (!profile.ekus.empty()) {
    ASSIGN_OR_RETURN(X509ExtPtr eku, EkuExtension(profile.ekus));
    exts.push_back(std::move(eku));
  }
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  if (bc == nullptr) return OpenSslError("basicConstraints allocation failed");
  bc->ca = 0;
  X509ExtPtr bc_ext(X509V3_EXT_i2d(NID_basic_constraints, 0, bc.get()));
  if (bc_ext == nullptr) return OpenSslError("basicConstraints encoding failed");
  exts.push_back(std::move(bc_ext));
  if (!profile.sans.empty()) {
    ASSIGN_OR_RETURN(X509ExtPtr san, SanExtension(profile.sans));
    exts.push_back(std::move(san));
  }
  return exts;
}

const EVP_MD* SignatureDigest(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_EC) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits == 384) return Sha384Md();
    if (bits == 521) return Sha512Md();
  }
  return Sha256Md();
}

}  // namespace coffer::crypto::internal
