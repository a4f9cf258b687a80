// A private key in a PEM file as JSON Web Key parts: what `coffer key import --pem-file` sends
// (az keyvault key import reads the same files). PKCS#8 "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"
// (with a password) and the traditional "RSA PRIVATE KEY" / "EC PRIVATE KEY" are read; RSA and
// EC keys on P-256, P-384, P-521 and secp256k1 (P-256K) are supported.
//
// Thread-safety: pure function.
#pragma once

#include <string_view>

#include "core/status.h"
#include "crypto/key_material.h"

namespace coffer::crypto {

// Errors: InvalidArgument when the text holds no readable private key (a wrong or missing
// password included) or a key of another type or curve.
StatusOr<JwkParts> PrivateJwkFromPem(std::string_view pem, std::string_view password);

}  // namespace coffer::crypto
