// Self-signed X.509 v3 issuance for the "Self" issuer, with the profile Azure Key Vault issues
// (AZURE_API.md Part 2 §A5): random positive 16-byte serial, subject = issuer, notBefore =
// now − 10 min, notAfter = now + validity_months calendar months, keyUsage (critical), EKU,
// basicConstraints CA:FALSE, SAN when given, subjectKeyIdentifier and authorityKeyIdentifier
// (= SKI). Signed with SHA-256 (RSA, P-256, P-256K), SHA-384 (P-384) or SHA-512 (P-521).
//
// Thread-safety: pure function (the serial comes from OpenSSL's thread-safe DRBG).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"

namespace coffer::crypto {

// Issues the certificate and returns its DER. `now_unix` is the creation time in Unix seconds
// (the caller's clock: this never reads one). Errors: InvalidArgument (reason "BadParameter") for
// a malformed subject, SAN, key usage, EKU, validity outside 1..1200 months or an oct key;
// Internal when OpenSSL itself fails.
StatusOr<std::string> IssueSelfSignedCertificate(const X509Profile& profile, const KeyMaterial& key,
                                                 int64_t now_unix);

// The same checks without a key or a signature, for validating a policy when it is set (create,
// policy PATCH) rather than when a certificate is made from it. InvalidArgument as above.
Status ValidateX509Profile(const X509Profile& profile);

// Unix seconds `months` calendar months after `unix_seconds` (UTC); a day past the end of the
// target month is clamped (31 Jan + 1 month = 28/29 Feb), the time of day kept. 12 months after
// a date is 365 or 366 days later, as in Azure's certificates.
int64_t AddMonths(int64_t unix_seconds, int months);

// notBefore precedes the creation time by this much, as in Azure's certificates.
inline constexpr int64_t kNotBeforeBackdateSeconds = 600;

}  // namespace coffer::crypto
