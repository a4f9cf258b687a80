// PKCS#12 (PFX) import and export for certificates (AZURE_API.md §5.4, Part 2 §A6–A7).
//
// Import parses a PFX an untrusted caller uploads, so it bounds the work before doing it: the
// input size (kMaxCertificateInputBytes) before parsing, and the key-derivation iteration count
// of the MAC and of every encrypted part before that derivation runs (kMaxPkcs12Iterations each,
// kMaxPkcs12IterationBudget in total). OpenSSL's "legacy" provider is loaded once (with
// "default"), so Windows exports encrypted with RC2 or 3DES open.
//
// Export writes the managed secret's `application/x-pkcs12` value: a PFX "without password"
// (the empty password), which `openssl pkcs12 -passin pass:`, .NET and Windows open: the key in a
// shrouded bag and the certificates encrypted with pbeWithSHA1And3-KeyTripleDES-CBC, a SHA-1 MAC,
// 2048 iterations — the layout Windows itself exports, readable without OpenSSL's legacy provider.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"

namespace coffer::crypto {

inline constexpr int64_t kMaxPkcs12Iterations = 2'000'000;
inline constexpr int64_t kMaxPkcs12IterationBudget = 4'000'000;

inline constexpr char kPkcs12WrongPasswordMessage[] =
    "The specified PKCS#12 (PFX) password is wrong, or the file is damaged: its integrity check "
    "failed. Give the password the file was exported with.";
inline constexpr char kNoPrivateKeyMessage[] =
    "No certificate with private key found in the specified X.509 certificate content. Please "
    "specify X.509 certificate content with only one certificate containing private key.";

// Opens `pfx` (DER bytes, already base64-decoded) with `password`. No password (nullopt) and the
// empty password are different encodings in PKCS#12; both mean "empty", so when the given one is
// empty or absent the other empty form is tried too. Errors, all InvalidArgument with reason
// "BadParameter": larger than 256 KB; a password over 1024 bytes or containing NUL; not a PFX;
// too many iterations; wrong password (kPkcs12WrongPasswordMessage); an unsupported encryption;
// no private key or more than one (kNoPrivateKeyMessage); a key of a size or curve Key Vault does
// not support, or inconsistent; no certificate; a key that matches none of the certificates.
StatusOr<ImportedCertificate> ImportPkcs12(std::string_view pfx,
                                           const std::optional<SecretBytes>& password);

// The PFX (DER) of `key` and `chain` under the empty password. InvalidArgument when the leaf is
// not DER or does not match the key; Internal when OpenSSL fails.
StatusOr<SecretBytes> ExportPkcs12(const KeyMaterial& key, const CertificateChain& chain);

}  // namespace coffer::crypto
