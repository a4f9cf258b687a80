// What the Certificates API reads back from a certificate's DER: the wire fields of a
// CertificateBundle (`x5t`, `cer`), the validity that becomes `attributes.nbf/exp`, and the X.509
// properties an imported certificate's derived policy reports (subject in Azure's string form,
// SANs, key usage, EKUs).
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/certificate_model.h"

namespace coffer::crypto {

struct CertificateInfo {
  std::string subject;  // "CN=a, O=b, C=US" (RFC 4514 order, Azure's attribute names)
  std::string issuer;
  bool self_issued = false;  // subject == issuer
  SubjectAlternativeNames sans;
  std::vector<std::string> key_usage;  // Azure names, in bit order
  std::vector<std::string> ekus;       // dotted OIDs
  int64_t not_before = 0;              // Unix seconds
  int64_t not_after = 0;
  std::string serial_hex;         // uppercase, no separators
  std::string sha1_thumbprint;    // raw 20 bytes
  std::string sha256_thumbprint;  // raw 32 bytes
  std::string x5t;                // base64url(SHA-1), no padding (27 chars)
  std::string cer;                // standard base64 of the DER
};

// Parses a DER certificate (all bytes). InvalidArgument ("BadParameter") when it is not one.
StatusOr<CertificateInfo> InspectCertificate(std::string_view der);

// base64url, without padding, of SHA-1(der): CertificateBundle/CertificateItem `x5t`.
std::string CertificateX5t(std::string_view der);
// Standard base64 of der: CertificateBundle `cer`, `x5c` entries.
std::string CertificateCer(std::string_view der);

// validity_months for a derived policy: whole months from notBefore + 10 min to notAfter, rounded
// up (an imported 12-month + 10-minute certificate reports 13, as Azure does).
int DerivedValidityMonths(int64_t not_before, int64_t not_after);

}  // namespace coffer::crypto
