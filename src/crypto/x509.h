// Certificates for dev mode: a local CA whose name constraints limit it to localhost names and
// loopback addresses, and a server certificate signed by it. P-256 keys, SHA-256 signatures.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::crypto {

struct CertAndKey {
  std::string cert_pem;
  SecretBytes key_pem;  // PKCS#8
};

// Self-signed CA: basicConstraints CA:TRUE (critical), keyUsage keyCertSign|cRLSign,
// nameConstraints permitted DNS:localhost, DNS:.localhost, IP:127.0.0.0/8, IP:::1/128.
StatusOr<CertAndKey> MakeDevCa(const std::string& common_name, int valid_days);

// Leaf certificate signed by `ca`: serverAuth EKU, SANs as given. Entries that parse as an
// IPv4/IPv6 address become IP SANs, the rest DNS SANs.
StatusOr<CertAndKey> MakeServerCert(const CertAndKey& ca, const std::string& common_name,
                                    const std::vector<std::string>& subject_alt_names,
                                    int valid_days);

}  // namespace coffer::crypto
