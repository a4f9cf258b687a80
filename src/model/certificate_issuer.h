// A vault's certificate issuer (AZURE_API.md §5.1, Part 2 §A3 IssuerBundle): provider, account
// credentials (the password is stored, encrypted like every record, and never returned),
// organization details and attributes. One record per issuer (type 0x18). Layout:
// docs/formats/records.md.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::model {

struct IssuerAdmin {
  std::string first_name, last_name, email, phone;
};

struct CertificateIssuer {
  std::string name;      // as created (compared without case)
  std::string provider;  // e.g. "DigiCert", "GlobalSign", "Test"
  std::string account_id;
  SecretBytes password;  // never leaves the server
  std::string org_id;
  std::vector<IssuerAdmin> admins;
  bool enabled = true;
  UnixSeconds created = 0;
  UnixSeconds updated = 0;
};

inline constexpr size_t kMaxIssuerAdmins = 16;

// Name 1–127 of letters, digits and '-', not "Self" or "Unknown" (they are built in), provider
// 1–64 characters, at most kMaxIssuerAdmins admins, fields at most 256 characters;
// InvalidArgument ("BadParameter") naming the field otherwise.
Status ValidateCertificateIssuer(const CertificateIssuer& issuer);

SecretBytes EncodeCertificateIssuer(const CertificateIssuer& issuer);
StatusOr<CertificateIssuer> DecodeCertificateIssuer(std::string_view record);

}  // namespace coffer::model
