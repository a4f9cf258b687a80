// Internal to the crypto module: what the certificate files share — the bridge between
// KeyMaterial and EVP_PKEY, DER certificate parsing, Azure's subject string form <-> X509_NAME,
// the X.509 extensions of a policy, and the one-time load of OpenSSL's legacy provider for old
// PKCS#12 files.
//
// The KeyMaterial bridge goes through its documented serialisation (key_material.h: u8 format 1
// ‖ u8 type ‖ PKCS#8 DER), because KeyMaterial exposes no EVP_PKEY; a KeyMaterial::FromPkcs8 /
// ToPkcs8 pair would let this file drop its copy of the type bytes.
//
// Thread-safety: pure functions; LoadLegacyProviders is safe to call from any thread.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "crypto/certificate_model.h"
#include "crypto/key_material.h"
#include "crypto/openssl_util.h"

namespace coffer::crypto::internal {

// The key pair of an RSA or EC KeyMaterial (oct keys → InvalidArgument).
StatusOr<PkeyPtr> PkeyFromKeyMaterial(const KeyMaterial& key);

// A KeyMaterial for an imported private key: only the sizes and curves Key Vault allows, and the
// key must pass EVP_PKEY_check (a private half that does not fit its public half is refused).
// InvalidArgument otherwise.
StatusOr<KeyMaterial> KeyMaterialFromPkey(EVP_PKEY* pkey);

// One DER certificate, all bytes consumed; InvalidArgument "<what> is not a DER X.509
// certificate" otherwise.
StatusOr<X509Ptr> ParseCertificateDer(std::string_view der, std::string_view what);
StatusOr<std::string> CertificateDer(X509* cert);

// True when the certificate's public key is `key`'s public key.
bool CertificateMatchesKey(X509* cert, EVP_PKEY* key);

// Azure's subject string ("CN=a, O=b, C=US"; RFC 4514 order, so the last RDN is encoded first)
// to an X509_NAME. InvalidArgument naming the problem for a malformed string.
StatusOr<X509NamePtr> ParseSubject(std::string_view subject);
// The inverse: "CN=a, O=b, C=US", values escaped as RFC 4514 requires.
std::string FormatSubject(const X509_NAME* name);

// Loads the "legacy" and "default" providers into the default library context once, so RC2 and
// 3DES PKCS#12 files open. false when the legacy provider is not installed.
bool LoadLegacyProviders();

// The extensions a policy asks for (certificate_profile.cc): keyUsage (critical), extKeyUsage,
// basicConstraints CA:FALSE and subjectAltName when there are SANs. InvalidArgument naming the
// bad entry for an unknown key usage, a malformed OID, DNS name, e-mail, UPN, URI or IP address,
// or validity_months outside 1..1200.
StatusOr<std::vector<X509ExtPtr>> ProfileExtensions(const X509Profile& profile);

// The signature digest Azure uses for the key: SHA-256 for RSA and P-256 (and P-256K), SHA-384
// for P-384, SHA-512 for P-521.
const EVP_MD* SignatureDigest(EVP_PKEY* key);

// Used by the PKCS#12 and PEM importers: picks, among `certs`, the one whose public key is `key`'s
// as the leaf; the others follow in their order. InvalidArgument when none matches.
StatusOr<CertificateChain> LeafFirst(std::vector<X509Ptr>& certs, EVP_PKEY* key);

}  // namespace coffer::crypto::internal
