// The plain data the Certificates API passes between the certificate service and the crypto
// module: the X.509 part of a certificate policy (AZURE_API.md §5.2 `x509_props`), a certificate
// chain and an imported certificate with its private key. No OpenSSL types: the crypto module
// keeps OpenSSL private (CMakeLists.txt).
//
// Certificates travel as DER bytes in std::string (public data); private keys as KeyMaterial.
//
// Thread-safety: value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/key_material.h"

namespace coffer::crypto {

// Inputs larger than this (PFX bytes, PEM text, one x5c entry) are refused before any parsing.
inline constexpr size_t kMaxCertificateInputBytes = 256 * 1024;

// `x509_props.sans`; the same shape is read back from a certificate.
struct SubjectAlternativeNames {
  std::vector<std::string> dns_names;
  std::vector<std::string> emails;
  std::vector<std::string> upns;  // otherName 1.3.6.1.4.1.311.20.2.3 (UTF8String)
  std::vector<std::string> uris;
  std::vector<std::string> ip_addresses;  // "10.0.0.1", "2001:db8::1" (wire: `ipAddresses`)

  bool empty() const {
    return dns_names.empty() && emails.empty() && upns.empty() && uris.empty() &&
           ip_addresses.empty();
  }
};

// The X.509 properties of a policy after the service has filled Azure's defaults
// (AZURE_API.md Part 2 §A3): the crypto module applies exactly what it is given.
struct X509Profile {
  std::string subject;  // Azure's string form: "CN=a, O=b, C=US"
  SubjectAlternativeNames sans;
  std::vector<std::string> key_usage;  // Azure names: "digitalSignature", "keyEncipherment", ...
  std::vector<std::string> ekus;       // dotted OIDs: "1.3.6.1.5.5.7.3.1"
  int validity_months = 12;            // 1..1200
};

// A leaf certificate and the certificates that came with it (issuers, in the order given).
struct CertificateChain {
  std::string leaf_der;
  std::vector<std::string> chain_der;  // without the leaf
};

// What an import (PKCS#12 or PEM) yields: the key pair and its certificate chain. The key has
// passed EVP_PKEY_check and its public half equals the leaf's public key.
struct ImportedCertificate {
  KeyMaterial key;
  CertificateChain chain;
};

}  // namespace coffer::crypto
