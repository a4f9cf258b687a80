// PublicKey over OpenSSL 3 EVP (public_key.h).
#include "crypto/public_key.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include <cstring>

#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::BadParameter;
using internal::OpenSslError;
using internal::PkeyCtxPtr;
using internal::PkeyPtr;
using internal::Uchars;

using internal::ParamBldPtr;

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 8192;

struct JwsAlg {
  std::string_view name;
  KeyType type;
  const EVP_MD* (*md)();
  int padding;             // RSA only
  std::string_view curve;  // EC only
};

constexpr JwsAlg kJwsAlgs[] = {
    {"RS256", KeyType::kRsa, internal::Sha256Md, RSA_PKCS1_PADDING, {}},
    {"RS384", KeyType::kRsa, internal::Sha384Md, RSA_PKCS1_PADDING, {}},
    {"RS512", KeyType::kRsa, internal::Sha512Md, RSA_PKCS1_PADDING, {}},
    {"PS256", KeyType::kRsa, internal::Sha256Md, RSA_PKCS1_PSS_PADDING, {}},
    {"PS384", KeyType::kRsa, internal::Sha384Md, RSA_PKCS1_PSS_PADDING, {}},
    {"PS512", KeyType::kRsa, internal::Sha512Md, RSA_PKCS1_PSS_PADDING, {}},
    {"ES256", KeyType::kEc, internal::Sha256Md, 0, "P-256"},
    {"ES384", KeyType::kEc, internal::Sha384Md, 0, "P-384"},
    {"ES512", KeyType::kEc, internal::Sha512Md, 0, "P-521"},
};

StatusOr<PkeyPtr> RsaFromJwk(const JwkParts& jwk) {
  if (jwk.n.empty() || jwk.e.empty()) return BadParameter("RSA public key needs 'n' and 'e'");
  internal::BnPtr n(BN_bin2bn(Uchars(jwk.n), static_cast<int>(jwk.n.size()), nullptr));
  internal::BnPtr e(BN_bin2bn(Uchars(jwk.e), static_cast<int>(jwk.e.size()), nullptr));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!n || !e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return OpenSslError("RSA public key parameter building failed");
  }
  return internal::PkeyFromParams("RSA", bld.get(), EVP_PKEY_PUBLIC_KEY,
                                  "RSA 'n' and 'e' are not an RSA public key");
}

StatusOr<PkeyPtr> EcFromJwk(const JwkParts& jwk) {
  const internal::CurveInfo* curve = internal::CurveByJwkName(jwk.crv);
  if (curve == nullptr || jwk.crv == "P-256K") {
    return BadParameter("EC 'crv' " + internal::QuoteAlg(jwk.crv) +
                        " is not supported here; use P-256, P-384 or P-521");
  }
  size_t size = curve->coordinate_bytes;
  if (jwk.x.size() != size || jwk.y.size() != size) {
    return BadParameter("EC 'x' and 'y' for " + std::string(curve->jwk_name) + " must be " +
                        std::to_string(size) + " bytes each");
  }
  std::string point(1 + 2 * size, '\0');
  point[0] = POINT_CONVERSION_UNCOMPRESSED;
  std::memcpy(point.data() + 1, jwk.x.data(), size);
  std::memcpy(point.data() + 1 + size, jwk.y.data(), size);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->openssl_group,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslError("EC public key parameter building failed");
  }
  return internal::PkeyFromParams("EC", bld.get(), EVP_PKEY_PUBLIC_KEY,
                                  "EC 'x', 'y' are not a point on " + std::string(curve->jwk_name));
}

}  // namespace

StatusOr<PublicKey> PublicKey::Wrap(void* raw) {
  PkeyPtr pkey(static_cast<EVP_PKEY*>(raw));
  PublicKey out;
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    out.type_ = KeyType::kRsa;
    out.bits_ = EVP_PKEY_get_bits(pkey.get());
    if (out.bits_ < kMinRsaBits || out.bits_ > kMaxRsaBits) {
      return BadParameter("RSA public keys must have a 2048- to 8192-bit modulus; this one has " +
                          std::to_string(out.bits_) + " bits");
    }
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_RSA_E, &e) != 1) {
      return OpenSslError("reading the RSA public exponent failed");
    }
    bool odd = BN_is_odd(e) && BN_cmp(e, BN_value_one()) > 0;
    BN_free(e);
    if (!odd) return BadParameter("RSA public exponent 'e' must be odd and at least 3");
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof group, &len) != 1) {
      return BadParameter("EC public key has no named curve");
    }
    const internal::CurveInfo* curve = internal::CurveByOpenSslGroup(group);
    if (curve == nullptr || curve->jwk_name == "P-256K") {
      return BadParameter("EC public keys must be on P-256, P-384 or P-521");
    }
    out.type_ = KeyType::kEc;
    out.bits_ = curve->bits;
    out.curve_ = std::string(curve->jwk_name);
  } else {
    return BadParameter("only RSA and EC public keys are supported");
  }
  out.pkey_ = internal::SharePkey(std::move(pkey));
  return out;
}

StatusOr<PublicKey> PublicKey::FromJwk(const JwkParts& jwk) {
  if (jwk.kty != "RSA" && jwk.kty != "EC") {
    return BadParameter("public key 'kty' " + internal::QuoteAlg(jwk.kty) +
                        " is not supported; use RSA or EC");
  }
  StatusOr<PkeyPtr> pkey = jwk.kty == "RSA" ? RsaFromJwk(jwk) : EcFromJwk(jwk);
  if (!pkey.ok()) return pkey.status();
  return Wrap(pkey->release());
}

StatusOr<PublicKey> PublicKey::FromCertificateDer(std::string_view der) {
  const unsigned char* p = Uchars(der);
  internal::X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert == nullptr || p != Uchars(der) + der.size()) {
    ERR_clear_error();
    return BadParameter("the certificate is not DER-encoded X.509");
  }
  EVP_PKEY* pkey = X509_get_pubkey(cert.get());
  if (pkey == nullptr) {
    ERR_clear_error();
    return BadParameter("the certificate's public key cannot be read");
  }
  return Wrap(pkey);
}

StatusOr<bool> PublicKey::VerifyJws(std::string_view alg, std::string_view signing_input,
                                    std::string_view signature) const {
  const JwsAlg* found = nullptr;
  for (const JwsAlg& a : kJwsAlgs) {
    if (a.name == alg) found = &a;
  }
  if (found == nullptr) {
    return BadParameter("signature algorithm " + internal::QuoteAlg(alg) +
                        " is not accepted; use RS256/384/512, PS256/384/512 or ES256/384/512");
  }
  if (found->type != type_ || (type_ == KeyType::kEc && found->curve != curve_)) {
    return BadParameter("algorithm " + std::string(found->name) + " does not fit the " +
                        (type_ == KeyType::kRsa ? std::string("RSA") : "EC " + curve_) +
                        " key that signed it");
  }
  std::string der;
  std::string_view sig = signature;
  size_t width = static_cast<size_t>((bits_ + 7) / 8);
  // RFC 7518 §3.3/§3.5: an RSA signature is exactly k octets. OpenSSL's PSS check accepts a
  // shorter big-endian string of the same integer, so a signature with its leading zero byte
  // dropped would verify: refuse any other length.
  if (type_ == KeyType::kRsa && signature.size() != width) return false;
  if (type_ == KeyType::kEc) {
    if (signature.size() != 2 * width) return false;
    der = internal::EcdsaRawToDer(signature);
    if (der.empty()) return false;
    sig = der;
  }
  internal::MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), &pctx, found->md(), nullptr,
                                             internal::PkeyOf(pkey_)) != 1) {
    return OpenSslError("signature verification setup failed");
  }
  if (type_ == KeyType::kRsa &&
      (EVP_PKEY_CTX_set_rsa_padding(pctx, found->padding) != 1 ||
       (found->padding == RSA_PKCS1_PSS_PADDING &&
        (EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, found->md()) != 1 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)))) {
    return OpenSslError("signature verification setup failed");
  }
  int ok = EVP_DigestVerify(ctx.get(), Uchars(sig), sig.size(), Uchars(signing_input),
                            signing_input.size());
  ERR_clear_error();
  return ok == 1;
}

StatusOr<std::string> PublicKey::EncryptOaep(std::string_view hash,
                                             const SecretBytes& plaintext) const {
  if (type_ != KeyType::kRsa) return BadParameter("RSA-OAEP needs an RSA key");
  const EVP_MD* md = internal::ShaMdByName(hash);
  if (md == nullptr) return BadParameter("RSA-OAEP hash " + internal::QuoteAlg(hash) + " unknown");
  return internal::RsaEncrypt(internal::PkeyOf(pkey_), md, plaintext);
}

}  // namespace coffer::crypto
