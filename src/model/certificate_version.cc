#include "model/certificate_version.h"

#include "core/record_codec.h"
#include "model/record_parts.h"

namespace coffer::model {
namespace {

constexpr uint8_t kCertificateVersionRecordType = 0x14;
constexpr uint8_t kCertificateOperationRecordType = 0x16;
constexpr size_t kMaxShortString = 64;

}  // namespace

SecretBytes EncodeCertificateVersion(const CertificateVersion& v) {
  RecordWriter w;
  w.U8(kCertificateVersionRecordType);
  // Format 1 unless preserveCertOrder was asked for (older records and backups stay readable).
  w.U8(v.preserve_cert_order ? kRecordFormatV2 : kRecordFormatV1);
  w.Bytes(v.version);
  w.U64(v.sequence);
  WriteAttributes(w, v.attributes);
  w.StringMap(v.tags);
  w.Bytes(v.cer);
  w.U32(static_cast<uint32_t>(v.chain.size()));
  for (const auto& der : v.chain) w.Bytes(der);
  if (v.preserve_cert_order) w.Bool(true);
  return w.Finish();
}

StatusOr<CertificateVersion> DecodeCertificateVersion(std::string_view record) {
  RecordReader r(record);
  uint8_t format = kRecordFormatV1;
  RETURN_IF_ERROR(ReadPreamble(r, kCertificateVersionRecordType, kRecordFormatV2, &format));
  CertificateVersion v;
  RETURN_IF_ERROR(r.String(&v.version, kMaxShortString));
  RETURN_IF_ERROR(r.U64(&v.sequence));
  RETURN_IF_ERROR(ReadAttributes(r, &v.attributes));
  RETURN_IF_ERROR(r.StringMap(&v.tags, 1024));
  RETURN_IF_ERROR(r.String(&v.cer, kMaxCertificateDerBytes));
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n > kMaxCertificateChain) return DataLossError("certificate version has too long a chain");
  v.chain.resize(n);
  for (auto& der : v.chain) RETURN_IF_ERROR(r.String(&der, kMaxCertificateDerBytes));
  if (format == kRecordFormatV2) RETURN_IF_ERROR(r.Bool(&v.preserve_cert_order));
  RETURN_IF_ERROR(r.ExpectEnd());
  return v;
}

SecretBytes EncodeCertificateOperation(const CertificateOperation& op) {
  RecordWriter w;
  w.U8(kCertificateOperationRecordType);
  w.U8(op.enabled_when_issued ? kRecordFormatV1 : kRecordFormatV2);
  w.Bytes(op.version);
  w.U8(static_cast<uint8_t>(op.status));
  w.Bytes(op.issuer_name);
  w.Bytes(op.csr);
  w.Bool(op.cancellation_requested);
  w.Bytes(op.error_code);
  w.Bytes(op.error_message);
  w.Bytes(op.key_material.view());
  w.I64(op.created);
  if (!op.enabled_when_issued) w.Bool(false);
  return w.Finish();
}

StatusOr<CertificateOperation> DecodeCertificateOperation(std::string_view record) {
  RecordReader r(record);
  uint8_t format = 0;
  RETURN_IF_ERROR(ReadPreamble(r, kCertificateOperationRecordType, kRecordFormatV2, &format));
  CertificateOperation op;
  RETURN_IF_ERROR(r.String(&op.version, kMaxShortString));
  uint8_t status = 0;
  RETURN_IF_ERROR(r.U8(&status));
  if (status < 1 || status > 4) return DataLossError("certificate operation has an unknown status");
  op.status = static_cast<CertificateOperationStatus>(status);
  RETURN_IF_ERROR(r.String(&op.issuer_name, 1024));
  RETURN_IF_ERROR(r.String(&op.csr, kMaxCertificateDerBytes));
  RETURN_IF_ERROR(r.Bool(&op.cancellation_requested));
  RETURN_IF_ERROR(r.String(&op.error_code, 1024));
  RETURN_IF_ERROR(r.String(&op.error_message, 4096));
  RETURN_IF_ERROR(r.Secret(&op.key_material, 16 * 1024));
  RETURN_IF_ERROR(r.I64(&op.created));
  if (format == kRecordFormatV2) {
    RETURN_IF_ERROR(r.Bool(&op.enabled_when_issued));
    if (op.enabled_when_issued) return DataLossError("certificate operation format 2 is malformed");
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return op;
}

std::string_view CertificateOperationStatusName(CertificateOperationStatus status) {
  switch (status) {
    case CertificateOperationStatus::kInProgress: return "inProgress";
    case CertificateOperationStatus::kCompleted: return "completed";
    case CertificateOperationStatus::kFailed: return "failed";
    case CertificateOperationStatus::kCancelled: return "cancelled";
  }
  return "inProgress";
}

}  // namespace coffer::model
