#include "crypto/x509.h"

#include <openssl/pem.h>

#include <utility>

#include "crypto/ec_key.h"
#include "crypto/openssl_util.h"
#include "crypto/primitives.h"

namespace coffer::crypto {
namespace {

using internal::Asn1IntegerPtr;
using internal::Asn1StringPtr;
using internal::BioPtr;
using internal::BnPtr;
using internal::GeneralNamePtr;
using internal::GeneralNamesPtr;
using internal::OpenSslError;
using internal::X509ExtPtr;
using internal::X509NamePtr;
using internal::X509Ptr;

constexpr int kMaxValidDays = 36500;
constexpr size_t kMaxCommonName = 64;  // ub-common-name, RFC 5280 Appendix A.
constexpr size_t kSerialBytes = 16;

// The dev CA may only vouch for localhost names and loopback addresses, so trusting it cannot
// let anyone impersonate a real site.
constexpr char kDevCaNameConstraints[] =
    "critical,permitted;DNS:localhost,permitted;DNS:.localhost,"
    "permitted;IP:127.0.0.0/255.0.0.0,"
    "permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

Status CheckArgs(const std::string& common_name, int valid_days) {
  if (common_name.empty() || common_name.size() > kMaxCommonName) {
    return InvalidArgumentError("certificate common name must be 1..64 bytes");
  }
  if (valid_days < 1 || valid_days > kMaxValidDays) {
    return InvalidArgumentError("certificate validity must be 1..36500 days, got " +
                                std::to_string(valid_days));
  }
  return OkStatus();
}

// A DNS SAN: LDH labels separated by dots, optionally a leading "*." wildcard label.
bool IsValidDnsSan(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.starts_with("*.")) name.remove_prefix(2);
  size_t label_len = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label_len == 0) return false;
      label_len = 0;
      continue;
    }
    bool ldh =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ldh || ++label_len > 63) return false;
  }
  return label_len > 0;
}

StatusOr<X509NamePtr> MakeName(const std::string& common_name) {
  X509NamePtr name(X509_NAME_new());
  if (name == nullptr) return OpenSslError("X509_NAME allocation failed");
  if (X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return InvalidArgumentError(internal::DrainOpenSslErrors("invalid certificate common name"));
  }
  return name;
}

// Version 3, random positive 128-bit serial, notBefore an hour back (tolerates clock skew
// between the server and its clients), notAfter valid_days ahead.
Status InitCert(X509* cert, const X509_NAME* subject, const X509_NAME* issuer, EVP_PKEY* pubkey,
                int valid_days) {
  if (X509_set_version(cert, X509_VERSION_3) != 1) return OpenSslError("X509_set_version failed");
  unsigned char serial_bytes[kSerialBytes];
  SystemRandom().Fill(serial_bytes, sizeof serial_bytes);
  serial_bytes[kSerialBytes - 1] |= 1;  // Never zero.
  BnPtr serial_bn(BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr));
  if (serial_bn == nullptr) return OpenSslError("serial number allocation failed");
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  if (serial == nullptr || X509_set_serialNumber(cert, serial.get()) != 1) {
    return OpenSslError("setting the serial number failed");
  }
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), valid_days, 0, nullptr) == nullptr) {
    return OpenSslError("setting the validity period failed");
  }
  if (X509_set_subject_name(cert, subject) != 1 || X509_set_issuer_name(cert, issuer) != 1) {
    return OpenSslError("setting subject/issuer names failed");
  }
  if (X509_set_pubkey(cert, pubkey) != 1) return OpenSslError("setting the public key failed");
  return OkStatus();
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(std::string("adding certificate extension ") + OBJ_nid2sn(nid) + " failed");
  }
  return OkStatus();
}

// Each entry becomes an IP SAN when it parses as an IPv4/IPv6 address, else a DNS SAN.
Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& names) {
  if (names.empty()) {
    return InvalidArgumentError("a server certificate needs at least one subject alternative name");
  }
  GeneralNamesPtr gens(sk_GENERAL_NAME_new_null());
  if (gens == nullptr) return OpenSslError("GENERAL_NAMES allocation failed");
  for (const std::string& entry : names) {
    GeneralNamePtr gen(GENERAL_NAME_new());
    if (gen == nullptr) return OpenSslError("GENERAL_NAME allocation failed");
    if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(entry.c_str()); ip != nullptr) {
      GENERAL_NAME_set0_value(gen.get(), GEN_IPADD, ip);
    } else {
      ERR_clear_error();
      if (!IsValidDnsSan(entry)) {
        return InvalidArgumentError("subject alternative name '" + entry +
                                    "' is neither an IP address nor a DNS name");
      }
      Asn1StringPtr dns(ASN1_IA5STRING_new());
      if (dns == nullptr ||
          ASN1_STRING_set(dns.get(), entry.data(), static_cast<int>(entry.size())) != 1) {
        return OpenSslError("DNS SAN allocation failed");
      }
      GENERAL_NAME_set0_value(gen.get(), GEN_DNS, dns.release());
    }
    if (sk_GENERAL_NAME_push(gens.get(), gen.get()) <= 0) {
      return OpenSslError("GENERAL_NAMES push failed");
    }
    gen.release();  // Owned by gens now.
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("adding subjectAltName failed");
  }
  return OkStatus();
}

StatusOr<std::string> CertToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslError("writing the certificate as PEM failed");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem == nullptr) return InternalError("PEM BIO has no buffer");
  return std::string(mem->data, mem->length);
}

Status Sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0)
    return OpenSslError("signing the certificate failed");
  return OkStatus();
}

}  // namespace

StatusOr<CertAndKey> MakeDevCa(const std::string& common_name, int valid_days) {
  RETURN_IF_ERROR(CheckArgs(common_name, valid_days));
  ASSIGN_OR_RETURN(EcSigningKey key, EcSigningKey::GenerateP256());
  auto* pkey = static_cast<EVP_PKEY*>(key.native());
  ASSIGN_OR_RETURN(X509NamePtr name, MakeName(common_name));
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509 allocation failed");
  RETURN_IF_ERROR(InitCert(cert.get(), name.get(), name.get(), pkey, valid_days));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_name_constraints, kDevCaNameConstraints));
  RETURN_IF_ERROR(Sign(cert.get(), pkey));

  ASSIGN_OR_RETURN(std::string cert_pem, CertToPem(cert.get()));
  ASSIGN_OR_RETURN(SecretBytes key_pem, key.PrivatePem());
  return CertAndKey{std::move(cert_pem), std::move(key_pem)};
}

StatusOr<CertAndKey> MakeServerCert(const CertAndKey& ca, const std::string& common_name,
                                    const std::vector<std::string>& subject_alt_names,
                                    int valid_days) {
  RETURN_IF_ERROR(CheckArgs(common_name, valid_days));
  BioPtr ca_bio(BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size())));
  if (ca_bio == nullptr) return OpenSslError("BIO allocation failed");
  X509Ptr ca_cert(PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr));
  if (ca_cert == nullptr) {
    return InvalidArgumentError(internal::DrainOpenSslErrors("CA certificate is not valid PEM"));
  }
  if (X509_check_ca(ca_cert.get()) < 1) {
    return InvalidArgumentError("the given CA certificate is not a CA (basicConstraints)");
  }
  ASSIGN_OR_RETURN(EcSigningKey ca_key, EcSigningKey::FromPrivatePem(ca.key_pem));
  auto* ca_pkey = static_cast<EVP_PKEY*>(ca_key.native());
  if (X509_check_private_key(ca_cert.get(), ca_pkey) != 1) {
    ERR_clear_error();
    return InvalidArgumentError("the CA private key does not match the CA certificate");
  }

  ASSIGN_OR_RETURN(EcSigningKey key, EcSigningKey::GenerateP256());
  ASSIGN_OR_RETURN(X509NamePtr name, MakeName(common_name));
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509 allocation failed");
  RETURN_IF_ERROR(InitCert(cert.get(), name.get(), X509_get_subject_name(ca_cert.get()),
                           static_cast<EVP_PKEY*>(key.native()), valid_days));
  // A leaf cannot outlive its issuer; clamp rather than issue a certificate that stops
  // verifying early.
  if (ASN1_TIME_compare(X509_get0_notAfter(cert.get()), X509_get0_notAfter(ca_cert.get())) > 0 &&
      X509_set1_notAfter(cert.get(), X509_get0_notAfter(ca_cert.get())) != 1) {
    return OpenSslError("clamping notAfter to the CA's failed");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  RETURN_IF_ERROR(AddSubjectAltNames(cert.get(), subject_alt_names));
  RETURN_IF_ERROR(Sign(cert.get(), ca_pkey));

  ASSIGN_OR_RETURN(std::string cert_pem, CertToPem(cert.get()));
  ASSIGN_OR_RETURN(SecretBytes key_pem, key.PrivatePem());
  return CertAndKey{std::move(cert_pem), std::move(key_pem)};
}

}  // namespace coffer::crypto
