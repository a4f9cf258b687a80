// The stored shape of certificates beside their policy (certificate_policy.h, 0x15): one record
// per certificate version (CertificateVersion, type 0x14) and the certificate's one pending
// operation (CertificateOperation, type 0x16). Certificates share ObjectHead and Attributes with
// the other kinds (object.h); a version's nbf/exp are the certificate's validity. Layouts:
// docs/formats/records.md. Records are only ever stored through the barrier.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/secret_bytes.h"
#include "core/status.h"
#include "model/object.h"

namespace coffer::model {

struct CertificateVersion {
  std::string version;  // 32 lowercase hex; the managed key and secret share it
  uint64_t sequence = 0;
  Attributes attributes;  // nbf/exp = the certificate's notBefore/notAfter
  Tags tags;
  std::string cer;                 // DER of the leaf; empty while pending (not yet issued)
  std::vector<std::string> chain;  // DER of the issuers that came with it (import, merge)
  bool managed = false;            // never: certificates are not managed; here for the store
  bool preserve_cert_order = false;  // the request's preserveCertOrder (format 2 when true)
};

SecretBytes EncodeCertificateVersion(const CertificateVersion& version);
StatusOr<CertificateVersion> DecodeCertificateVersion(std::string_view record);

enum class CertificateOperationStatus : uint8_t { kInProgress = 1, kCompleted = 2, kFailed = 3,
                                                  kCancelled = 4 };

// The certificate's operation (one at a time, the latest create), kept until deleted.
struct CertificateOperation {
  std::string version;  // the certificate version it creates
  CertificateOperationStatus status = CertificateOperationStatus::kInProgress;
  std::string issuer_name;
  std::string csr;  // standard base64 of the PKCS#10 request; empty for Self issued at once
  bool cancellation_requested = false;
  std::string error_code;     // failed or cancelled
  std::string error_message;
  SecretBytes key_material;   // the pending key (crypto::KeyMaterial::Serialize()) until merged
  UnixSeconds created = 0;
  // Whether the version is enabled once issued (a create's `attributes.enabled`; the pending
  // version itself stays disabled). Stored in format 2, only when false.
  bool enabled_when_issued = true;
};

SecretBytes EncodeCertificateOperation(const CertificateOperation& op);
StatusOr<CertificateOperation> DecodeCertificateOperation(std::string_view record);

std::string_view CertificateOperationStatusName(CertificateOperationStatus status);

inline constexpr size_t kMaxCertificateChain = 16;
inline constexpr size_t kMaxCertificateDerBytes = 256 * 1024;

}  // namespace coffer::model
