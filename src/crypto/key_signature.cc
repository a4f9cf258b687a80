// KeyMaterial::Sign / Verify: RS*, PS* (salt = digest length), ES* (raw R||S) on a
// pre-computed digest, and HS* (HMAC over the given bytes), over EVP_PKEY_sign/verify and
// EVP_MAC.
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "crypto/key_material.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::BadParameter;
using internal::BnPtr;
using internal::EcdsaSigPtr;
using internal::MacCtxPtr;
using internal::OpenSslError;
using internal::PkeyCtxPtr;
using internal::Uchars;

enum class SignFamily { kRsaPkcs1, kRsaPss, kEcdsa, kHmac };

struct SignAlg {
  std::string_view name;
  SignFamily family;
  const EVP_MD* (*md)();
  const char* md_name;     // for EVP_MAC's digest parameter
  std::string_view curve;  // ECDSA only: the JWK curve the algorithm is defined on
};

constexpr std::array<SignAlg, 13> kSignAlgs = {{
    {"RS256", SignFamily::kRsaPkcs1, internal::Sha256Md, "SHA256", {}},
    {"RS384", SignFamily::kRsaPkcs1, internal::Sha384Md, "SHA384", {}},
    {"RS512", SignFamily::kRsaPkcs1, internal::Sha512Md, "SHA512", {}},
    {"PS256", SignFamily::kRsaPss, internal::Sha256Md, "SHA256", {}},
    {"PS384", SignFamily::kRsaPss, internal::Sha384Md, "SHA384", {}},
    {"PS512", SignFamily::kRsaPss, internal::Sha512Md, "SHA512", {}},
    {"ES256", SignFamily::kEcdsa, internal::Sha256Md, "SHA256", "P-256"},
    {"ES384", SignFamily::kEcdsa, internal::Sha384Md, "SHA384", "P-384"},
    {"ES512", SignFamily::kEcdsa, internal::Sha512Md, "SHA512", "P-521"},
    {"ES256K", SignFamily::kEcdsa, internal::Sha256Md, "SHA256", "P-256K"},
    {"HS256", SignFamily::kHmac, internal::Sha256Md, "SHA256", {}},
    {"HS384", SignFamily::kHmac, internal::Sha384Md, "SHA384", {}},
    {"HS512", SignFamily::kHmac, internal::Sha512Md, "SHA512", {}},
}};

EVP_MAC* HmacMac() {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (m == nullptr) {
      std::fprintf(stderr, "coffer: OpenSSL algorithm HMAC is unavailable; aborting\n");
      std::abort();
    }
    return m;
  }();
  return mac;
}

const char* KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEc:
      return "EC";
    case KeyType::kOct:
      return "oct";
  }
  return "?";
}

// Finds `alg` and checks that it fits the key and the digest length; the shared front half of
// Sign and Verify.
StatusOr<const SignAlg*> CheckSignRequest(std::string_view alg, KeyType type,
                                          const std::string& curve, std::string_view digest) {
  const SignAlg* found = nullptr;
  for (const SignAlg& a : kSignAlgs) {
    if (a.name == alg) found = &a;
  }
  if (found == nullptr) {
    return BadParameter("unknown signature algorithm " + internal::QuoteAlg(alg) +
                        "; use RS256/384/512, PS256/384/512, ES256/384/512, ES256K or "
                        "HS256/384/512");
  }
  KeyType needed = found->family == SignFamily::kEcdsa  ? KeyType::kEc
                   : found->family == SignFamily::kHmac ? KeyType::kOct
                                                        : KeyType::kRsa;
  if (type != needed) {
    return BadParameter("algorithm " + std::string(found->name) + " needs an " +
                        KeyTypeName(needed) + " key; this key is " + KeyTypeName(type));
  }
  if (found->family == SignFamily::kEcdsa && found->curve != curve) {
    return BadParameter("algorithm " + std::string(found->name) + " needs a " +
                        std::string(found->curve) + " key; this key is " + curve);
  }
  // HMAC signs the given bytes themselves, whatever their length.
  size_t md_size = static_cast<size_t>(EVP_MD_get_size(found->md()));
  if (found->family != SignFamily::kHmac && digest.size() != md_size) {
    return BadParameter("algorithm " + std::string(found->name) + " signs a " +
                        std::to_string(md_size) + "-byte " + found->md_name + " digest; got " +
                        std::to_string(digest.size()) + " bytes");
  }
  return found;
}

// Sets padding and digest on a sign or verify context.
bool ConfigureSignature(EVP_PKEY_CTX* ctx, const SignAlg& alg) {
  if (EVP_PKEY_CTX_set_signature_md(ctx, alg.md()) != 1) return false;
  if (alg.family == SignFamily::kRsaPkcs1) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
  }
  if (alg.family == SignFamily::kRsaPss) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, alg.md()) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  return true;
}

std::string Hmac(const SignAlg& alg, const SecretBytes& key, std::string_view data) {
  MacCtxPtr ctx(EVP_MAC_CTX_new(HmacMac()));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(alg.md_name), 0),
      OSSL_PARAM_construct_end()};
  std::string out(EVP_MAX_MD_SIZE, '\0');
  size_t out_len = 0;
  static const unsigned char kEmpty = 0;
  const unsigned char* in = data.empty() ? &kEmpty : Uchars(data);
  if (ctx == nullptr || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), in, data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len,
                    out.size()) != 1) {
    ERR_clear_error();
    return {};
  }
  out.resize(out_len);
  return out;
}

// OpenSSL's DER ECDSA-Sig-Value → fixed-width R||S (IEEE P1363), as JWS and Key Vault use.
StatusOr<std::string> DerToRaw(const unsigned char* der, size_t der_len, size_t width) {
  const unsigned char* p = der;
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (sig == nullptr) return OpenSslError("decoding OpenSSL's DER signature failed");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw = internal::BnToBytes(r, width) + internal::BnToBytes(s, width);
  if (raw.size() != 2 * width) return InternalError("ECDSA signature component exceeds the curve");
  return raw;
}

}  // namespace

// R||S → DER, or empty if the halves do not make a signature.
std::string internal::EcdsaRawToDer(std::string_view raw) {
  size_t width = raw.size() / 2;
  BnPtr r(BN_bin2bn(Uchars(raw), static_cast<int>(width), nullptr));
  BnPtr s(BN_bin2bn(Uchars(raw.substr(width)), static_cast<int>(width), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return {};
  r.release();  // Owned by sig now.
  s.release();
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  return out;
}


StatusOr<std::string> KeyMaterial::Sign(std::string_view alg, std::string_view digest) const {
  auto checked = CheckSignRequest(alg, type_, curve_, digest);
  if (!checked.ok()) return checked.status();
  const SignAlg& sign_alg = **checked;
  if (sign_alg.family == SignFamily::kHmac) {
    std::string mac = Hmac(sign_alg, *oct_, digest);
    if (mac.empty()) return InternalError("HMAC computation failed");
    return mac;
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, internal::PkeyOf(pkey_), nullptr));
  size_t sig_len = 0;
  if (ctx == nullptr || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      !ConfigureSignature(ctx.get(), sign_alg) ||
      EVP_PKEY_sign(ctx.get(), nullptr, &sig_len, Uchars(digest), digest.size()) != 1) {
    return OpenSslError(std::string(sign_alg.name) + " signing setup failed");
  }
  std::string sig(sig_len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                    Uchars(digest), digest.size()) != 1) {
    return OpenSslError(std::string(sign_alg.name) + " signing failed");
  }
  sig.resize(sig_len);
  if (sign_alg.family != SignFamily::kEcdsa) return sig;
  return DerToRaw(Uchars(sig), sig.size(), internal::CurveByJwkName(curve_)->coordinate_bytes);
}

StatusOr<bool> KeyMaterial::Verify(std::string_view alg, std::string_view digest,
                                   std::string_view signature) const {
  auto checked = CheckSignRequest(alg, type_, curve_, digest);
  if (!checked.ok()) return checked.status();
  const SignAlg& sign_alg = **checked;
  if (sign_alg.family == SignFamily::kHmac) {
    std::string mac = Hmac(sign_alg, *oct_, digest);
    if (mac.empty()) return InternalError("HMAC computation failed");
    return mac.size() == signature.size() &&
           CRYPTO_memcmp(mac.data(), signature.data(), mac.size()) == 0;
  }
  EVP_PKEY* pkey = internal::PkeyOf(pkey_);
  std::string der;
  if (sign_alg.family == SignFamily::kEcdsa) {
    if (signature.size() != 2 * internal::CurveByJwkName(curve_)->coordinate_bytes) return false;
    der = internal::EcdsaRawToDer(signature);
    if (der.empty()) {
      ERR_clear_error();
      return false;
    }
    signature = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(pkey))) {
    return false;
  }
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (ctx == nullptr || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      !ConfigureSignature(ctx.get(), sign_alg)) {
    return OpenSslError(std::string(sign_alg.name) + " verification setup failed");
  }
  bool ok = EVP_PKEY_verify(ctx.get(), Uchars(signature), signature.size(), Uchars(digest),
                            digest.size()) == 1;
  // A bad signature leaves entries in the thread's error queue; they carry no information.
  ERR_clear_error();
  return ok;
}

}  // namespace coffer::crypto
