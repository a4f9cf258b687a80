#include "crypto/certificate_merge.h"

#include <openssl/pem.h>

#include "core/encoding.h"
#include "crypto/certificate_internal.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::BadParameter;

constexpr size_t kMaxChainCertificates = 16;

std::string EntryName(size_t index) { return "x5c[" + std::to_string(index) + "]"; }

std::string StripSpace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') out.push_back(c);
  }
  return out;
}

// Every CERTIFICATE block in PEM text, as DER.
StatusOr<std::vector<std::string>> PemCertificates(std::string_view pem, size_t index) {
  std::vector<std::string> out;
  internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return internal::OpenSslError("BIO allocation failed");
  while (true) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long len = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &len) != 1) break;
    std::string block_name = name ? name : "";
    std::string der(reinterpret_cast<char*>(data), static_cast<size_t>(len));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (block_name == "CERTIFICATE" || block_name == "X509 CERTIFICATE")
      out.push_back(std::move(der));
  }
  ERR_clear_error();
  if (out.empty()) {
    return BadParameter(EntryName(index) + " is PEM text without a CERTIFICATE block");
  }
  return out;
}

}  // namespace

StatusOr<std::vector<std::string>> DecodeX5cEntry(std::string_view wire_base64, size_t index) {
  if (wire_base64.size() > kMaxCertificateInputBytes) {
    return BadParameter(EntryName(index) + " is larger than 256 KB");
  }
  std::optional<std::string> bytes = DecodeBase64(StripSpace(wire_base64));
  if (!bytes.has_value() || bytes->empty()) {
    return BadParameter(EntryName(index) + " is not standard base64");
  }
  // DER: a SEQUENCE (0x30). Base64 text of DER starts "MII"/"MIH"; PEM starts with dashes.
  if (static_cast<unsigned char>((*bytes)[0]) == 0x30) {
    ASSIGN_OR_RETURN(internal::X509Ptr cert,
                     internal::ParseCertificateDer(*bytes, EntryName(index)));
    return std::vector<std::string>{std::move(*bytes)};
  }
  if (bytes->find("-----BEGIN") != std::string::npos) return PemCertificates(*bytes, index);
  std::optional<std::string> der = DecodeBase64(StripSpace(*bytes));
  if (!der.has_value()) {
    return BadParameter(EntryName(index) +
                        " is neither a DER certificate, base64 of one nor a PEM certificate");
  }
  ASSIGN_OR_RETURN(internal::X509Ptr cert, internal::ParseCertificateDer(*der, EntryName(index)));
  return std::vector<std::string>{std::move(*der)};
}

StatusOr<CertificateChain> MergeCertificateChain(const KeyMaterial& pending_key,
                                                 const std::vector<std::string>& x5c) {
  if (x5c.empty())
    return BadParameter("Property x5c has invalid value: X5C must have at least one valid item");
  ASSIGN_OR_RETURN(internal::PkeyPtr pkey, internal::PkeyFromKeyMaterial(pending_key));
  std::vector<internal::X509Ptr> certs;
  for (size_t i = 0; i < x5c.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<std::string> ders, DecodeX5cEntry(x5c[i], i));
    for (const auto& der : ders) {
      if (certs.size() == kMaxChainCertificates) {
        return BadParameter("x5c holds more than 16 certificates");
      }
      ASSIGN_OR_RETURN(internal::X509Ptr cert, internal::ParseCertificateDer(der, EntryName(i)));
      certs.push_back(std::move(cert));
    }
  }
  auto chain = internal::LeafFirst(certs, pkey.get());
  if (!chain.ok()) return BadParameter(kCertificateKeyMismatchMessage);
  return chain;
}

}  // namespace coffer::crypto
