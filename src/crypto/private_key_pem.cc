#include "crypto/private_key_pem.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <string>
#include <utility>

#include "crypto/openssl_util.h"

namespace coffer::crypto {
namespace {

using internal::BioPtr;
using internal::OpenSslError;
using internal::PkeyPtr;

// OpenSSL's group names and the JWK curve names, with the coordinate size.
struct Curve {
  const char* group;
  const char* crv;
  size_t size;
};
constexpr std::array<Curve, 4> kCurves = {{{"prime256v1", "P-256", 32},
                                           {"secp384r1", "P-384", 48},
                                           {"secp521r1", "P-521", 66},
                                           {"secp256k1", "P-256K", 32}}};

// The big-endian bytes of `name`, left-padded to `width` (0 = its own length); "" if absent.
std::string BnParam(EVP_PKEY* pkey, const char* name, size_t width = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) {
    ERR_clear_error();
    return {};
  }
  size_t n = width != 0 ? width : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(n, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  BN_clear_free(bn);
  return out;
}

int PasswordCallback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* password = static_cast<std::string_view*>(user);
  if (password->size() > static_cast<size_t>(size)) return -1;
  std::copy(password->begin(), password->end(), buf);
  return static_cast<int>(password->size());
}

}  // namespace

StatusOr<JwkParts> PrivateJwkFromPem(std::string_view pem, std::string_view password) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return OpenSslError("BIO_new_mem_buf");
  PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, PasswordCallback, &password));
  if (!pkey) {
    ERR_clear_error();
    return InvalidArgumentError(
        "no readable private key in the PEM file (is it encrypted? give --pem-password)");
  }
  JwkParts jwk;
  if (EVP_PKEY_is_a(pkey.get(), "RSA") == 1) {
    jwk.kty = "RSA";
    jwk.n = BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_N);
    jwk.e = BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_E);
    jwk.d = SecretBytes(BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_D));
    jwk.p = SecretBytes(BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR1));
    jwk.q = SecretBytes(BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_FACTOR2));
    jwk.dp = SecretBytes(BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1));
    jwk.dq = SecretBytes(BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2));
    jwk.qi = SecretBytes(BnParam(pkey.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1));
    return jwk;
  }
  if (EVP_PKEY_is_a(pkey.get(), "EC") == 1) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                       sizeof group, &len) == 1) {
      for (const Curve& curve : kCurves) {
        if (std::string_view(group) != curve.group) continue;
        jwk.kty = "EC";
        jwk.crv = curve.crv;
        jwk.x = BnParam(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, curve.size);
        jwk.y = BnParam(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, curve.size);
        jwk.d = SecretBytes(BnParam(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, curve.size));
        return jwk;
      }
    }
    ERR_clear_error();
    return InvalidArgumentError("the PEM file's EC key is on a curve Key Vault does not support");
  }
  return InvalidArgumentError("the PEM file's key is neither RSA nor EC");
}

}  // namespace coffer::crypto
