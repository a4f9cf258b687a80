#include "crypto/certificate_pem.h"

#include <openssl/pem.h>

#include <string>
#include <utility>
#include <vector>

#include "crypto/certificate_internal.h"
#include "crypto/key_material_internal.h"
#include "crypto/pkcs12.h"

namespace coffer::crypto {
namespace {

using internal::BadParameter;
using internal::PkeyPtr;
using internal::X509Ptr;

constexpr size_t kMaxCertificates = 16;
constexpr int kMaxBlocks = 64;

// One PEM block as PEM_read_bio returns it; the data may be a private key, so it is cleansed.
struct PemBlock {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long len = 0;
  ~PemBlock() {
    OPENSSL_free(name);
    OPENSSL_free(header);
    if (data != nullptr) OPENSSL_clear_free(data, static_cast<size_t>(len));
  }
};

StatusOr<PkeyPtr> ReadPrivateKey(const PemBlock& block, std::string_view type) {
  const unsigned char* p = block.data;
  PkeyPtr key;
  if (type == "PRIVATE KEY") {
    std::unique_ptr<PKCS8_PRIV_KEY_INFO, internal::FnDeleter<PKCS8_PRIV_KEY_INFO_free>> p8(
        d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, block.len));
    if (p8 != nullptr && p == block.data + block.len) key.reset(EVP_PKCS82PKEY(p8.get()));
  } else {
    int id = type == "RSA PRIVATE KEY" ? EVP_PKEY_RSA : EVP_PKEY_EC;
    key.reset(d2i_PrivateKey(id, nullptr, &p, block.len));
    if (key != nullptr && p != block.data + block.len) key.reset();
  }
  ERR_clear_error();
  if (key == nullptr) {
    return BadParameter("the PEM " + std::string(type) + " block is not a readable RSA or EC key");
  }
  return key;
}

}  // namespace

CertificateImportFormat SniffCertificateImport(std::string_view value) {
  return value.find("-----BEGIN") != std::string_view::npos
             ? CertificateImportFormat::kPem
             : CertificateImportFormat::kPkcs12Base64;
}

StatusOr<ImportedCertificate> ImportPemBundle(std::string_view pem) {
  if (pem.size() > kMaxCertificateInputBytes)
    return BadParameter("the PEM text is larger than 256 KB");
  internal::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return internal::OpenSslError("BIO allocation failed");
  std::vector<PkeyPtr> keys;
  std::vector<X509Ptr> certs;
  int blocks = 0;
  while (true) {
    PemBlock block;
    if (PEM_read_bio(bio.get(), &block.name, &block.header, &block.data, &block.len) != 1) {
      // The end of the input, or a block whose base64 or END line is broken: tell them apart.
      unsigned long err = ERR_peek_last_error();
      ERR_clear_error();
      if (ERR_GET_REASON(err) != PEM_R_NO_START_LINE) {
        return BadParameter("the PEM text has a damaged block (bad base64 or a missing END line)");
      }
      break;
    }
    if (++blocks > kMaxBlocks) return BadParameter("the PEM text has more than 64 blocks");
    std::string_view type = block.name;
    bool encrypted_header = block.header != nullptr && block.header[0] != '\0';
    if (type == "ENCRYPTED PRIVATE KEY" ||
        ((type == "RSA PRIVATE KEY" || type == "EC PRIVATE KEY") && encrypted_header)) {
      return BadParameter(
          "the PEM private key is encrypted; import it unencrypted (PKCS#8 "
          "\"PRIVATE KEY\") or as a password-protected PFX");
    }
    if (type == "PRIVATE KEY" || type == "RSA PRIVATE KEY" || type == "EC PRIVATE KEY") {
      ASSIGN_OR_RETURN(PkeyPtr key, ReadPrivateKey(block, type));
      keys.push_back(std::move(key));
    } else if (type == "CERTIFICATE" || type == "X509 CERTIFICATE") {
      if (certs.size() == kMaxCertificates) {
        return BadParameter("the PEM text holds more than 16 certificates");
      }
      std::string_view der(reinterpret_cast<const char*>(block.data),
                           static_cast<size_t>(block.len));
      ASSIGN_OR_RETURN(X509Ptr cert, internal::ParseCertificateDer(der, "a PEM CERTIFICATE block"));
      certs.push_back(std::move(cert));
    }
    // Other blocks (EC PARAMETERS, CRLs) are not part of a certificate import.
  }
  if (blocks == 0) {
    return BadParameter(
        "the value holds no PEM block; give the PEM text of a private key and "
        "its certificate, or the base64 of a PFX");
  }
  if (keys.size() != 1) return BadParameter(kNoPrivateKeyMessage);
  if (certs.empty()) return BadParameter("the PEM text holds a private key but no certificate");
  ASSIGN_OR_RETURN(KeyMaterial key, internal::KeyMaterialFromPkey(keys[0].get()));
  auto chain = internal::LeafFirst(certs, keys[0].get());
  if (!chain.ok()) {
    return BadParameter("the private key in the PEM text does not match its certificate");
  }
  return ImportedCertificate{std::move(key), std::move(*chain)};
}

StatusOr<SecretBytes> ExportPemBundle(const KeyMaterial& key, const CertificateChain& chain) {
  ASSIGN_OR_RETURN(PkeyPtr pkey, internal::PkeyFromKeyMaterial(key));
  ASSIGN_OR_RETURN(X509Ptr leaf, internal::ParseCertificateDer(chain.leaf_der, "the certificate"));
  if (!internal::CertificateMatchesKey(leaf.get(), pkey.get())) {
    return BadParameter("the certificate does not match the key");
  }
  internal::BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1 ||
      PEM_write_bio_X509(bio.get(), leaf.get()) != 1) {
    return internal::OpenSslError("writing the PEM bundle failed");
  }
  for (size_t i = 0; i < chain.chain_der.size(); ++i) {
    ASSIGN_OR_RETURN(X509Ptr cert,
                     internal::ParseCertificateDer(chain.chain_der[i],
                                                   "chain certificate " + std::to_string(i)));
    if (PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
      return internal::OpenSslError("writing the PEM bundle failed");
    }
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem == nullptr || mem->length == 0) return InternalError("PEM BIO has no data");
  SecretBytes out(reinterpret_cast<const uint8_t*>(mem->data), mem->length);
  OPENSSL_cleanse(mem->data, mem->max);
  return out;
}

}  // namespace coffer::crypto
