// The certificate contacts of a vault (AZURE_API.md §5.1: `{contacts:[{email,name,phone}]}`),
// one record per vault (type 0x17). Layout: docs/formats/records.md.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::model {

struct CertificateContact {
  std::string email;
  std::string name;
  std::string phone;
};

inline constexpr size_t kMaxCertificateContacts = 64;

// At most kMaxCertificateContacts, each with an email of 3..254 characters containing '@',
// name and phone of at most 256; InvalidArgument ("BadParameter") naming the entry otherwise.
Status ValidateCertificateContacts(const std::vector<CertificateContact>& contacts);

SecretBytes EncodeCertificateContacts(const std::vector<CertificateContact>& contacts);
StatusOr<std::vector<CertificateContact>> DecodeCertificateContacts(std::string_view record);

}  // namespace coffer::model
