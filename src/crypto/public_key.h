// PublicKey: someone else's RSA or EC public key — an attestation authority's token-signing key
// (from its JWKS: `n`/`e`, `crv`/`x`/`y`, or the first certificate of `x5c`) or the runtime
// key a key is released to. It verifies JWS signatures (RFC 7515/7518) and encrypts with
// RSA-OAEP; it never holds a private key.
//
// Accepted keys: RSA with a 2048- to 8192-bit modulus and an odd public exponent; EC on P-256,
// P-384 and P-521. Anything else is InvalidArgument [BadParameter] naming the problem.
//
// Thread-safety: immutable after creation; const methods may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "crypto/key_material.h"

namespace coffer::crypto {

class PublicKey {
 public:
  // JWK parts, decoded (kty "RSA" with n, e; or "EC" with crv, x, y). Private parts are ignored.
  static StatusOr<PublicKey> FromJwk(const JwkParts& jwk);
  // The subject public key of a DER-encoded X.509 certificate (a JWKS entry's x5c[0]). The
  // certificate itself (issuer, validity) is not checked: the JWKS is trusted as fetched.
  static StatusOr<PublicKey> FromCertificateDer(std::string_view der);

  KeyType type() const { return type_; }  // kRsa or kEc
  int bits() const { return bits_; }      // RSA modulus size; EC field size
  const std::string& curve() const { return curve_; }  // EC only: "P-256", "P-384", "P-521"

  // Whether `signature` is a valid JWS signature of `signing_input` ("<header>.<payload>")
  // under `alg`: RS256/384/512, PS256/384/512 (salt = digest length), ES256 (P-256), ES384
  // (P-384), ES512 (P-521) with fixed-width R||S. InvalidArgument for any other algorithm (none
  // and HS* included) or one that does not fit the key; false for a signature that does not
  // verify, whatever its length.
  StatusOr<bool> VerifyJws(std::string_view alg, std::string_view signing_input,
                           std::string_view signature) const;

  // RSA-OAEP with `hash` ("SHA-1", "SHA-256" or "SHA-384") for both the label hash and MGF1,
  // empty label. InvalidArgument for an EC key or a plaintext too long for the modulus.
  StatusOr<std::string> EncryptOaep(std::string_view hash, const SecretBytes& plaintext) const;

 private:
  PublicKey() = default;
  static StatusOr<PublicKey> Wrap(void* pkey);  // takes ownership of an EVP_PKEY

  KeyType type_ = KeyType::kRsa;
  int bits_ = 0;
  std::string curve_;
  std::shared_ptr<void> pkey_;  // EVP_PKEY, public part only
};

}  // namespace coffer::crypto
