#include "crypto/ec_key.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstring>

#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::BioPtr;
using internal::BnPtr;
using internal::EcdsaSigPtr;
using internal::MdCtxPtr;
using internal::OpenSslError;
using internal::PkeyCtxPtr;
using internal::PkeyPtr;
using internal::Uchars;

constexpr size_t kCoordSize = 32;
constexpr char kP256GroupName[] = "prime256v1";

// Refuses to prompt on a terminal for the passphrase of an encrypted PEM.
int NoPassphrase(char*, int, int, void*) { return -1; }

bool IsP256(EVP_PKEY* pkey) {
  if (EVP_PKEY_is_a(pkey, "EC") != 1) return false;
  char group[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) !=
      1) {
    return false;
  }
  return std::strcmp(group, kP256GroupName) == 0;
}

std::string Coordinate(EVP_PKEY* pkey, const char* param) {
  BIGNUM* raw = nullptr;
  if (pkey == nullptr || EVP_PKEY_get_bn_param(pkey, param, &raw) != 1) {
    ERR_clear_error();
    return {};
  }
  BnPtr bn(raw);
  std::string out(kCoordSize, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), kCoordSize) < 0) {
    return {};
  }
  return out;
}

bool HasPrivateKey(EVP_PKEY* pkey) {
  BIGNUM* raw = nullptr;
  bool has = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &raw) == 1;
  BN_clear_free(raw);
  ERR_clear_error();
  return has;
}

}  // namespace

void EcSigningKey::Deleter::operator()(void* p) const { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); }

StatusOr<EcSigningKey> EcSigningKey::GenerateP256() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (pkey == nullptr) return OpenSslError("P-256 key generation failed");
  return EcSigningKey(pkey);
}

StatusOr<EcSigningKey> EcSigningKey::FromPrivatePem(const SecretBytes& pem) {
  if (pem.empty()) return InvalidArgumentError("EC private key PEM is empty");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError("BIO allocation failed");
  PkeyPtr pkey(
      PEM_read_bio_PrivateKey_ex(bio.get(), nullptr, NoPassphrase, nullptr, nullptr, nullptr));
  if (pkey == nullptr) {
    // Parse errors describe the caller's input; keep OpenSSL's reason but not the bytes.
    return InvalidArgumentError(
        internal::DrainOpenSslErrors("not an unencrypted PKCS#8 PEM private key"));
  }
  if (!IsP256(pkey.get())) {
    ERR_clear_error();
    return InvalidArgumentError("private key is not an EC P-256 key");
  }
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr) return OpenSslError("key check context allocation failed");
  if (EVP_PKEY_check(check.get()) != 1) {
    return InvalidArgumentError(internal::DrainOpenSslErrors("EC private key fails validation"));
  }
  return EcSigningKey(pkey.release());
}

StatusOr<EcSigningKey> EcSigningKey::FromPublicP256(std::string_view x, std::string_view y) {
  if (x.size() != kCoordSize || y.size() != kCoordSize) {
    return InvalidArgumentError("P-256 coordinates must be 32 bytes each, got " +
                                std::to_string(x.size()) + " and " + std::to_string(y.size()));
  }
  unsigned char point[1 + 2 * kCoordSize];
  point[0] = POINT_CONVERSION_UNCOMPRESSED;
  std::memcpy(point + 1, x.data(), kCoordSize);
  std::memcpy(point + 1 + kCoordSize, y.data(), kCoordSize);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       const_cast<char*>(kP256GroupName), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
      OSSL_PARAM_construct_end()};
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (ctx == nullptr) return OpenSslError("EC key context allocation failed");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1) return OpenSslError("EC key import init failed");
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return InvalidArgumentError(internal::DrainOpenSslErrors("not a point on the P-256 curve"));
  }
  PkeyPtr pkey(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (check == nullptr) return OpenSslError("key check context allocation failed");
  if (EVP_PKEY_public_check(check.get()) != 1) {
    return InvalidArgumentError(internal::DrainOpenSslErrors("P-256 public key fails validation"));
  }
  return EcSigningKey(pkey.release());
}

StatusOr<SecretBytes> EcSigningKey::PrivatePem() const {
  auto* pkey = static_cast<EVP_PKEY*>(pkey_.get());
  if (!HasPrivateKey(pkey)) {
    return FailedPreconditionError("this EC key holds only a public key; there is no private PEM");
  }
  // A secure-memory BIO: its buffer is cleansed when it grows and when it is freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (bio == nullptr) return OpenSslError("BIO allocation failed");
  if (PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("writing the EC private key as PEM failed");
  }
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio.get(), &mem);
  if (mem == nullptr) return InternalError("PEM BIO has no buffer");
  SecretBytes pem(reinterpret_cast<const uint8_t*>(mem->data), mem->length);
  OPENSSL_cleanse(mem->data, mem->max);
  return pem;
}

std::string EcSigningKey::PublicX() const {
  return Coordinate(static_cast<EVP_PKEY*>(pkey_.get()), OSSL_PKEY_PARAM_EC_PUB_X);
}

std::string EcSigningKey::PublicY() const {
  return Coordinate(static_cast<EVP_PKEY*>(pkey_.get()), OSSL_PKEY_PARAM_EC_PUB_Y);
}

StatusOr<std::string> EcSigningKey::SignEs256(std::string_view data) const {
  auto* pkey = static_cast<EVP_PKEY*>(pkey_.get());
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("digest context allocation failed");
  if (EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pkey, nullptr) != 1) {
    return OpenSslError("ES256 sign init failed");
  }
  unsigned char der[80];  // A P-256 DER signature is at most 72 bytes.
  size_t der_len = sizeof der;
  if (EVP_DigestSign(ctx.get(), der, &der_len, Uchars(data), data.size()) != 1) {
    if (!HasPrivateKey(pkey)) {
      ERR_clear_error();
      return FailedPreconditionError("cannot sign with a public-only EC key");
    }
    return OpenSslError("ES256 signing failed");
  }
  const unsigned char* p = der;
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (sig == nullptr) return OpenSslError("decoding OpenSSL's DER signature failed");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * kCoordSize, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, kCoordSize) < 0 || BN_bn2binpad(s, out + kCoordSize, kCoordSize) < 0) {
    return InternalError("ECDSA signature component exceeds 32 bytes");
  }
  return raw;
}

bool EcSigningKey::VerifyEs256(std::string_view data, std::string_view raw_signature) const {
  if (raw_signature.size() != 2 * kCoordSize) return false;
  auto* pkey = static_cast<EVP_PKEY*>(pkey_.get());
  BnPtr r(BN_bin2bn(Uchars(raw_signature), kCoordSize, nullptr));
  BnPtr s(BN_bin2bn(Uchars(raw_signature.substr(kCoordSize)), kCoordSize, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr ||
      ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  r.release();  // Owned by sig now.
  s.release();
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) {
    ERR_clear_error();
    return false;
  }
  std::unique_ptr<unsigned char, internal::OpenSslFree> der_owner(der);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, pkey, nullptr) == 1 &&
      EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_len), Uchars(data), data.size()) ==
          1;
  // A bad signature leaves entries in the thread's error queue; they carry no information.
  ERR_clear_error();
  return ok;
}

}  // namespace coffer::crypto
