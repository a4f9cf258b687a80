// The KeyMaterial <-> EVP_PKEY bridge, DER certificate helpers and the legacy provider load
// (certificate_internal.h).
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/provider.h>

#include <cstring>

#include "crypto/certificate_internal.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto::internal {
namespace {

// key_material.h's serialisation: u8 format ‖ u8 type ‖ PKCS#8. The values are
// key_material.cc's kFormatVersion / kTypeRsa / kTypeEc ("never renumber");
// certificate_key_test.cc checks them against KeyMaterial::Serialize.
constexpr uint8_t kSerialFormat = 1;
constexpr uint8_t kSerialTypeRsa = 1;
constexpr uint8_t kSerialTypeEc = 2;

using EncoderCtxPtr = std::unique_ptr<OSSL_ENCODER_CTX, FnDeleter<OSSL_ENCODER_CTX_free>>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, FnDeleter<OSSL_DECODER_CTX_free>>;

}  // namespace

StatusOr<PkeyPtr> PkeyFromKeyMaterial(const KeyMaterial& key) {
  if (key.type() == KeyType::kOct) {
    return BadParameter("a certificate needs an RSA or EC key, not an oct key");
  }
  ASSIGN_OR_RETURN(SecretBytes blob, key.Serialize());
  if (blob.size() < 3) return InternalError("serialised key is too short");
  EVP_PKEY* raw = nullptr;
  DecoderCtxPtr dec(OSSL_DECODER_CTX_new_for_pkey(&raw, "DER", "PrivateKeyInfo",
                                                  key.type() == KeyType::kRsa ? "RSA" : "EC",
                                                  EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (dec == nullptr) return OpenSslError("PKCS#8 decoder setup failed");
  const unsigned char* data = blob.data() + 2;
  size_t left = blob.size() - 2;
  bool decoded = OSSL_DECODER_from_data(dec.get(), &data, &left) == 1;
  PkeyPtr pkey(raw);
  if (!decoded || pkey == nullptr || left != 0) return OpenSslError("re-reading the key failed");
  return pkey;
}

StatusOr<KeyMaterial> KeyMaterialFromPkey(EVP_PKEY* pkey) {
  // DescribePkey first: it refuses odd sizes (a 16384-bit RSA key) before EVP_PKEY_check
  // spends time on them.
  ASSIGN_OR_RETURN(KeyShape shape, DescribePkey(pkey));
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (check == nullptr) return OpenSslError("EVP_PKEY_CTX allocation failed");
  if (EVP_PKEY_check(check.get()) != 1) {
    ERR_clear_error();
    return BadParameter(
        "the private key is inconsistent (its private and public parts do not "
        "belong together)");
  }
  EncoderCtxPtr enc(
      OSSL_ENCODER_CTX_new_for_pkey(pkey, EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo", nullptr));
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (enc == nullptr || bio == nullptr || OSSL_ENCODER_to_bio(enc.get(), bio.get()) != 1) {
    return OpenSslError("encoding the private key as PKCS#8 failed");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem == nullptr || mem->length == 0) return InternalError("PKCS#8 BIO has no data");
  SecretBytes blob(mem->length + 2);
  blob.data()[0] = kSerialFormat;
  blob.data()[1] = shape.type == KeyType::kRsa ? kSerialTypeRsa : kSerialTypeEc;
  std::memcpy(blob.data() + 2, mem->data, mem->length);
  OPENSSL_cleanse(mem->data, mem->max);
  auto key = KeyMaterial::Deserialize(blob.view());
  if (!key.ok()) return InternalError("re-reading the imported key failed");
  return key;
}

StatusOr<X509Ptr> ParseCertificateDer(std::string_view der, std::string_view what) {
  const unsigned char* p = Uchars(der);
  if (der.empty() || der.size() > static_cast<size_t>(INT32_MAX)) {
    return BadParameter(std::string(what) + " is empty or too large");
  }
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != Uchars(der) + der.size()) {
    ERR_clear_error();
    return BadParameter(std::string(what) + " is not a DER X.509 certificate");
  }
  return cert;
}

StatusOr<std::string> CertificateDer(X509* cert) {
  unsigned char* buf = nullptr;
  int len = i2d_X509(cert, &buf);
  std::unique_ptr<unsigned char, OpenSslFree> owned(buf);
  if (len <= 0) return OpenSslError("DER encoding of the certificate failed");
  return std::string(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
}

bool CertificateMatchesKey(X509* cert, EVP_PKEY* key) {
  EVP_PKEY* pub = X509_get0_pubkey(cert);
  bool same = pub != nullptr && EVP_PKEY_eq(pub, key) == 1;
  ERR_clear_error();
  return same;
}

bool LoadLegacyProviders() {
  // Loading any provider explicitly stops OpenSSL from loading "default" on its own, so both
  // are loaded. They stay for the life of the process; the handles are kept in statics so the
  // references are reachable (not a leak to LeakSanitizer) after OpenSSL's atexit cleanup.
  static OSSL_PROVIDER* const default_provider = OSSL_PROVIDER_load(nullptr, "default");
  static OSSL_PROVIDER* const legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
  ERR_clear_error();
  return default_provider != nullptr && legacy_provider != nullptr;
}

StatusOr<CertificateChain> LeafFirst(std::vector<X509Ptr>& certs, EVP_PKEY* key) {
  CertificateChain out;
  size_t leaf = certs.size();
  for (size_t i = 0; i < certs.size(); ++i) {
    if (CertificateMatchesKey(certs[i].get(), key)) {
      leaf = i;
      break;
    }
  }
  if (leaf == certs.size()) {
    return BadParameter(
        "the private key does not match any certificate in the import; supply "
        "the certificate that belongs to the key");
  }
  ASSIGN_OR_RETURN(out.leaf_der, CertificateDer(certs[leaf].get()));
  for (size_t i = 0; i < certs.size(); ++i) {
    if (i == leaf) continue;
    ASSIGN_OR_RETURN(std::string der, CertificateDer(certs[i].get()));
    out.chain_der.push_back(std::move(der));
  }
  return out;
}

}  // namespace coffer::crypto::internal
