// PEM certificate bundles: the `application/x-pem-file` form of a certificate import and of the
// managed secret (AZURE_API.md §5.4, Part 2 §A6–A7, trap 4).
//
// Import reads one private key — PKCS#8 "PRIVATE KEY", or the traditional "RSA PRIVATE KEY" /
// "EC PRIVATE KEY" — and the "CERTIFICATE" blocks, in any order; text between blocks (OpenSSL's
// "Bag Attributes" lines) and "EC PARAMETERS" blocks are ignored. Export writes Azure's layout:
// the PKCS#8 key first, then the leaf, then the chain, 64-column base64 and "\n" line ends.
//
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"

namespace coffer::crypto {

enum class CertificateImportFormat {
  kPem,          // `value` is PEM text
  kPkcs12Base64  // `value` is base64 of a PFX
};

// What an import `value` holds: PEM when it contains "-----BEGIN" (the JS SDK sends PEM as raw
// text and never says so), otherwise base64 of a PFX.
CertificateImportFormat SniffCertificateImport(std::string_view value);

// Errors, InvalidArgument with reason "BadParameter": larger than 256 KB, no PEM block, an
// unreadable block, an encrypted key ("ENCRYPTED PRIVATE KEY" or a Proc-Type header), no key or
// more than one (kNoPrivateKeyMessage, pkcs12.h), no certificate, more than 16 certificates, a
// key Key Vault does not support or that is inconsistent, a key matching no certificate.
StatusOr<ImportedCertificate> ImportPemBundle(std::string_view pem);

// "-----BEGIN PRIVATE KEY-----\n…" then each certificate. InvalidArgument when a certificate is
// not DER or the leaf does not match the key.
StatusOr<SecretBytes> ExportPemBundle(const KeyMaterial& key, const CertificateChain& chain);

}  // namespace coffer::crypto
