// Merging a pending certificate ("Unknown" issuer): the caller's x5c chain is checked against the
// pending key pair and put in leaf-first order (AZURE_API.md Part 2 §A6, trap 3).
//
// Each x5c entry on the wire is standard base64. The SDK's documented usage base64-encodes PEM or
// base64 text, so after that first decode an entry may be DER, base64 text of a DER certificate,
// or one or more PEM CERTIFICATE blocks; all three are accepted.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"

namespace coffer::crypto {

inline constexpr char kCertificateKeyMismatchMessage[] =
    "the certificate does not match the pending key";

// The DER certificates in one x5c entry as it arrives on the wire (standard base64).
// InvalidArgument ("BadParameter") naming the entry when it holds no certificate.
StatusOr<std::vector<std::string>> DecodeX5cEntry(std::string_view wire_base64, size_t index = 0);

// Decodes every entry, finds the leaf — the certificate whose public key is `pending_key`'s —
// and returns it with the other certificates in the given order. Errors (InvalidArgument,
// "BadParameter"): no entries ("X5C must have at least one valid item"), an entry that is not a
// certificate, more than 16 certificates, no certificate with the pending key's public key
// (kCertificateKeyMismatchMessage).
StatusOr<CertificateChain> MergeCertificateChain(const KeyMaterial& pending_key,
                                                 const std::vector<std::string>& x5c);

}  // namespace coffer::crypto
