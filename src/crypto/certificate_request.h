// PKCS#10 certificate signing requests for the "Unknown" issuer (AZURE_API.md Part 2 §A4.7): the
// pending certificate's key pair signs a request carrying the policy's subject and, as an
// extensionRequest, the same keyUsage (critical), EKU, basicConstraints CA:FALSE and SAN a
// self-signed certificate of that policy would carry. Digest as in certificate_issue.h.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "core/status.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"

namespace coffer::crypto {

struct CertificateRequest {
  std::string der;
  std::string base64;  // standard base64 with padding: CertificateOperation's `csr`
};

// Errors as IssueSelfSignedCertificate (validity_months is checked too, though a request carries
// no validity).
StatusOr<CertificateRequest> CreateCertificateRequest(const X509Profile& profile,
                                                      const KeyMaterial& key);

}  // namespace coffer::crypto
