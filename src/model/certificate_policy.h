// The stored shape of a certificate's policy (one per certificate, shared by its versions, type
// 0x15): what Azure's CertificatePolicy says (AZURE_API.md §5.2, Part 2 §A3), with the defaults
// Azure fills in, validation with messages that name the field, and the managed key's key_ops
// derived from key_usage. Layout: docs/formats/records.md.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::model {

struct SubjectAlternativeNames {
  std::vector<std::string> emails;
  std::vector<std::string> dns_names;
  std::vector<std::string> upns;
  std::vector<std::string> uris;
  std::vector<std::string> ip_addresses;
  bool empty() const {
    return emails.empty() && dns_names.empty() && upns.empty() && uris.empty() &&
           ip_addresses.empty();
  }
};

enum class CertificateActionType : uint8_t { kAutoRenew = 1, kEmailContacts = 2 };

struct CertificateLifetimeAction {
  // Exactly one trigger is set.
  std::optional<int> lifetime_percentage;  // 1..99
  std::optional<int> days_before_expiry;   // 1..validity_months × 27
  CertificateActionType action = CertificateActionType::kAutoRenew;
};

struct CertificatePolicy {
  // key_props
  std::string kty = "RSA";    // RSA, RSA-HSM, EC, EC-HSM (as given)
  int key_size = 2048;        // RSA 2048/3072/4096; EC: the curve's size (256/384/521)
  std::string curve;          // EC: P-256, P-384, P-521, P-256K
  bool exportable = true;
  bool reuse_key = false;
  // secret_props
  std::string content_type = "application/x-pkcs12";  // or application/x-pem-file
  // x509_props
  std::string subject;        // as given ("CN=a, O=b")
  bool sans_present = false;  // echo `sans` only when the request had it (Azure's behaviour)
  SubjectAlternativeNames sans;
  std::vector<std::string> ekus = {"1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"};
  std::vector<std::string> key_usage;  // default from kty (DefaultKeyUsage)
  int validity_months = 12;
  // issuer
  std::string issuer_name = "Self";  // Self, Unknown, or a configured issuer's name
  std::string certificate_type;      // issuer.cty
  std::optional<bool> cert_transparency;
  std::vector<CertificateLifetimeAction> lifetime_actions;
  // attributes
  bool enabled = true;
  UnixSeconds created = 0;
  UnixSeconds updated = 0;

  bool IsEc() const { return kty.starts_with("EC"); }
  bool IsHsm() const { return kty.ends_with("-HSM"); }
};

// Azure's names, in canonical spelling.
inline constexpr std::string_view kKeyUsages[] = {
    "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
    "keyCertSign",      "cRLSign",        "encipherOnly",    "decipherOnly"};

// RSA: digitalSignature + keyEncipherment; EC: digitalSignature (Part 2 §A3).
std::vector<std::string> DefaultKeyUsage(std::string_view kty);
// AutoRenew at 80 % for Self, EmailContacts at 80 % for every other issuer and for imports.
std::vector<CertificateLifetimeAction> DefaultLifetimeActions(std::string_view issuer_name);
// The managed key's key_ops for a key usage list (Part 2 §A5's table), in a stable order.
std::vector<std::string> KeyOpsForKeyUsage(const std::vector<std::string>& key_usage);

// Fills what the caller left out (key size or curve from kty, key usage, lifetime actions) and
// checks the whole policy: kty, size/curve, key usage and EKU names, validity (1..1200 months),
// lifetime actions (one trigger each, in range, at most one per action type), content type,
// issuer name, exportable with HSM keys. InvalidArgument ("BadParameter") naming the field.
Status CompleteAndValidatePolicy(CertificatePolicy& policy);

SecretBytes EncodeCertificatePolicy(const CertificatePolicy& policy);
StatusOr<CertificatePolicy> DecodeCertificatePolicy(std::string_view record);

}  // namespace coffer::model
