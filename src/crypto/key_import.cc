// KeyMaterial::FromJwk: a JSON Web Key with private parts → EVP_PKEY via EVP_PKEY_fromdata, then
// EVP_PKEY_check so that no inconsistent key (a swapped prime, an EC `d` of another key) is ever
// stored. An RSA JWK without the CRT parts has its primes recovered from (n, e, d), so every
// stored RSA key has them: OpenSSL's key check needs p and q, and CRT makes private operations
// about three times faster.
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <cstring>

#include "crypto/key_material.h"
#include "crypto/key_material_internal.h"

namespace coffer::crypto {
namespace {

using internal::BadParameter;
using internal::BnPtr;
using internal::OpenSslError;
using internal::PkeyCtxPtr;
using internal::PkeyPtr;

using BnCtxPtr = std::unique_ptr<BN_CTX, internal::FnDeleter<BN_CTX_free>>;
using internal::ParamBldPtr;
using internal::ParamsPtr;

BnPtr PublicBn(std::string_view bytes) {
  return BnPtr(BN_bin2bn(internal::Uchars(bytes), static_cast<int>(bytes.size()), nullptr));
}

// Private values live in "secure" BIGNUMs: OSSL_PARAM_BLD then puts them in its secure block,
// which is cleansed when freed, and arithmetic on them takes the constant-time paths.
BnPtr SecretBn(const SecretBytes& bytes) {
  BnPtr bn(BN_secure_new());
  if (bn == nullptr) return bn;
  if (BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), bn.get()) == nullptr) {
    return BnPtr();
  }
  BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  return bn;
}

BnPtr NewSecretBn() {
  BnPtr bn(BN_secure_new());
  if (bn != nullptr) BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  return bn;
}

// Factors n from (e, d) with the classic probabilistic method (NIST SP 800-56B rev. 2, Appendix
// C.2): k = d·e − 1 is a multiple of λ(n); for a base g, some g^(k/2^i) is a non-trivial square
// root of 1, and gcd(root − 1, n) is a prime. If d does not belong to (n, e), g^k ≠ 1 and the
// search fails, which is how an inconsistent d is refused.
Status RecoverPrimes(const BIGNUM* n, const BIGNUM* e, const BIGNUM* d, BnPtr* p, BnPtr* q) {
  const Status inconsistent =
      BadParameter("RSA private exponent 'd' does not belong to 'n' and 'e'");
  BnCtxPtr ctx(BN_CTX_secure_new());
  BnPtr k = NewSecretBn(), r = NewSecretBn(), y = NewSecretBn(), x = NewSecretBn();
  BnPtr n_minus_1(BN_dup(n)), g(BN_new()), factor = NewSecretBn(), other = NewSecretBn();
  if (!ctx || !k || !r || !y || !x || !n_minus_1 || !g || !factor || !other ||
      BN_mul(k.get(), d, e, ctx.get()) != 1 || BN_sub_word(k.get(), 1) != 1 ||
      BN_sub_word(n_minus_1.get(), 1) != 1) {
    return OpenSslError("RSA prime recovery setup failed");
  }
  if (BN_is_zero(k.get()) || BN_is_odd(k.get())) return inconsistent;
  int t = 0;
  if (BN_copy(r.get(), k.get()) == nullptr) return OpenSslError("BN_copy failed");
  while (!BN_is_odd(r.get())) {
    if (BN_rshift1(r.get(), r.get()) != 1) return OpenSslError("BN_rshift1 failed");
    ++t;
  }
  // Each base succeeds with probability >= 1/2 for a consistent key; 100 bases leave 2^-100.
  for (unsigned long base = 2; base < 102; ++base) {
    if (BN_set_word(g.get(), base) != 1 ||
        BN_mod_exp(y.get(), g.get(), r.get(), n, ctx.get()) != 1) {
      return OpenSslError("BN_mod_exp failed");
    }
    if (BN_is_one(y.get()) || BN_cmp(y.get(), n_minus_1.get()) == 0) continue;
    bool trivial_root = false;
    for (int i = 0; i < t; ++i) {
      if (BN_mod_sqr(x.get(), y.get(), n, ctx.get()) != 1) return OpenSslError("BN_mod_sqr failed");
      if (BN_is_one(x.get())) {
        // y is a square root of 1 other than ±1.
        if (BN_sub_word(y.get(), 1) != 1 || BN_gcd(factor.get(), y.get(), n, ctx.get()) != 1 ||
            BN_div(other.get(), nullptr, n, factor.get(), ctx.get()) != 1) {
          return OpenSslError("RSA prime recovery arithmetic failed");
        }
        if (BN_is_one(factor.get()) || BN_cmp(factor.get(), n) == 0) return inconsistent;
        // Convention (and OpenSSL's): p > q, so qi = q^-1 mod p.
        if (BN_cmp(factor.get(), other.get()) > 0) {
          *p = std::move(factor);
          *q = std::move(other);
        } else {
          *p = std::move(other);
          *q = std::move(factor);
        }
        return OkStatus();
      }
      if (BN_cmp(x.get(), n_minus_1.get()) == 0) {
        trivial_root = true;  // Try the next base.
        break;
      }
      std::swap(x, y);
    }
    // t squarings without reaching 1 mean g^k ≠ 1: d is not an inverse of e modulo λ(n).
    if (!trivial_root) return inconsistent;
  }
  return inconsistent;
}

Status CheckKeyPair(EVP_PKEY* pkey, const char* what) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (ctx == nullptr) return OpenSslError("key check context allocation failed");
  if (EVP_PKEY_public_check(ctx.get()) != 1 || EVP_PKEY_check(ctx.get()) != 1) {
    return BadParameter(internal::DrainOpenSslErrors(what));
  }
  return OkStatus();
}

StatusOr<PkeyPtr> ImportRsa(const JwkParts& jwk) {
  if (jwk.n.empty()) return BadParameter("RSA key is missing 'n'");
  if (jwk.e.empty()) return BadParameter("RSA key is missing 'e'");
  if (jwk.d.empty()) return BadParameter("RSA key is missing the private exponent 'd'");
  const std::pair<const char*, const SecretBytes*> crt[] = {
      {"p", &jwk.p}, {"q", &jwk.q}, {"dp", &jwk.dp}, {"dq", &jwk.dq}, {"qi", &jwk.qi}};
  int given = 0;
  for (const auto& part : crt) given += part.second->empty() ? 0 : 1;
  if (given != 0 && given != 5) {
    for (const auto& part : crt) {
      if (part.second->empty()) {
        return BadParameter(std::string("RSA key gives some CRT parts but not '") + part.first +
                            "'; give p, q, dp, dq and qi together, or none of them");
      }
    }
  }
  BnPtr n = PublicBn(jwk.n), e = PublicBn(jwk.e), d = SecretBn(jwk.d);
  if (!n || !e || !d) return OpenSslError("RSA import allocation failed");
  int bits = BN_num_bits(n.get());
  if (bits != 2048 && bits != 3072 && bits != 4096) {
    return BadParameter("RSA keys must have a 2048, 3072 or 4096-bit modulus 'n'; this one has " +
                        std::to_string(bits) + " bits");
  }
  // A product of two odd primes is odd. Checked here because prime recovery cannot take an even
  // modulus (OpenSSL's constant-time BN_mod_exp refuses it), which would surface as Internal.
  if (!BN_is_odd(n.get())) {
    return BadParameter("RSA modulus 'n' is even, so it is not a product of two primes");
  }
  if (!BN_is_odd(e.get()) || BN_cmp(e.get(), BN_value_one()) <= 0 || BN_num_bits(e.get()) > 256) {
    return BadParameter("RSA public exponent 'e' must be odd, at least 3 and at most 256 bits");
  }
  BnPtr p, q, dp, dq, qi;
  if (given == 5) {
    p = SecretBn(jwk.p);
    q = SecretBn(jwk.q);
    dp = SecretBn(jwk.dp);
    dq = SecretBn(jwk.dq);
    qi = SecretBn(jwk.qi);
  } else {
    RETURN_IF_ERROR(RecoverPrimes(n.get(), e.get(), d.get(), &p, &q));
    BnCtxPtr ctx(BN_CTX_secure_new());
    dp = NewSecretBn();
    dq = NewSecretBn();
    qi = NewSecretBn();
    BnPtr p1(BN_dup(p.get())), q1(BN_dup(q.get()));
    if (!ctx || !dp || !dq || !qi || !p1 || !q1 || BN_sub_word(p1.get(), 1) != 1 ||
        BN_sub_word(q1.get(), 1) != 1 || BN_mod(dp.get(), d.get(), p1.get(), ctx.get()) != 1 ||
        BN_mod(dq.get(), d.get(), q1.get(), ctx.get()) != 1 ||
        BN_mod_inverse(qi.get(), q.get(), p.get(), ctx.get()) == nullptr) {
      return OpenSslError("RSA CRT parameter computation failed");
    }
  }
  if (!p || !q || !dp || !dq || !qi) return OpenSslError("RSA import allocation failed");
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_D, d.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi.get()) != 1) {
    return OpenSslError("RSA import parameter building failed");
  }
  auto pkey = internal::PkeyFromParams("RSA", bld.get(), EVP_PKEY_KEYPAIR,
                                       "RSA key parts are not a valid RSA key");
  if (!pkey.ok()) return pkey.status();
  RETURN_IF_ERROR(CheckKeyPair(pkey->get(),
                               "RSA private parts (d, p, q, dp, dq, qi) are not consistent with "
                               "'n' and 'e'"));
  return pkey;
}

StatusOr<PkeyPtr> ImportEc(const JwkParts& jwk) {
  const internal::CurveInfo* curve = internal::CurveByJwkName(jwk.crv);
  if (curve == nullptr) {
    return BadParameter("EC 'crv' " + internal::QuoteAlg(jwk.crv) +
                        " is not supported; use P-256, P-384, P-521 or P-256K");
  }
  size_t size = curve->coordinate_bytes;
  if (jwk.x.size() != size || jwk.y.size() != size) {
    return BadParameter("EC 'x' and 'y' for " + std::string(curve->jwk_name) + " must be " +
                        std::to_string(size) + " bytes each, got " + std::to_string(jwk.x.size()) +
                        " and " + std::to_string(jwk.y.size()));
  }
  if (jwk.d.empty()) return BadParameter("EC key is missing the private key 'd'");
  if (jwk.d.size() > size) {
    return BadParameter("EC 'd' for " + std::string(curve->jwk_name) + " must be at most " +
                        std::to_string(size) + " bytes");
  }
  std::string point(1 + 2 * size, '\0');
  point[0] = POINT_CONVERSION_UNCOMPRESSED;
  std::memcpy(point.data() + 1, jwk.x.data(), size);
  std::memcpy(point.data() + 1 + size, jwk.y.data(), size);
  BnPtr d = SecretBn(jwk.d);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!d || !bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->openssl_group,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d.get()) != 1) {
    return OpenSslError("EC import parameter building failed");
  }
  auto pkey = internal::PkeyFromParams(
      "EC", bld.get(), EVP_PKEY_KEYPAIR,
      "EC 'x', 'y' are not a point on " + std::string(curve->jwk_name));
  if (!pkey.ok()) return pkey.status();
  RETURN_IF_ERROR(CheckKeyPair(pkey->get(), "EC private key 'd' does not match 'x' and 'y'"));
  return pkey;
}

}  // namespace

StatusOr<internal::PkeyPtr> internal::PkeyFromParams(const char* type, OSSL_PARAM_BLD* bld,
                                                     int selection, std::string_view what) {
  ParamsPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
    return OpenSslError("key import setup failed");
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1) {
    return BadParameter(internal::DrainOpenSslErrors(what));
  }
  return PkeyPtr(raw);
}

StatusOr<KeyMaterial> KeyMaterial::FromJwk(const JwkParts& jwk) {
  if (jwk.kty == "oct") {
    size_t n = jwk.k.size();
    if (n != 16 && n != 24 && n != 32) {
      return BadParameter("oct key 'k' must be 16, 24 or 32 bytes, got " + std::to_string(n));
    }
    KeyMaterial key;
    key.type_ = KeyType::kOct;
    key.bits_ = static_cast<int>(n * 8);
    key.oct_ = std::make_shared<SecretBytes>(jwk.k);
    return key;
  }
  if (jwk.kty != "RSA" && jwk.kty != "EC") {
    return BadParameter("JWK 'kty' " + internal::QuoteAlg(jwk.kty) +
                        " is not supported; use RSA, EC or oct");
  }
  StatusOr<PkeyPtr> pkey = jwk.kty == "RSA" ? ImportRsa(jwk) : ImportEc(jwk);
  ERR_clear_error();
  if (!pkey.ok()) return pkey.status();
  auto shape = internal::DescribePkey(pkey->get());
  if (!shape.ok()) return shape.status();
  KeyMaterial key;
  key.type_ = shape->type;
  key.bits_ = shape->bits;
  key.curve_ = shape->curve;
  key.pkey_ = internal::SharePkey(std::move(*pkey));
  return key;
}

}  // namespace coffer::crypto
