// The certificate version (0x14) and operation (0x16) records round-trip, and refuse another
// record type, trailing bytes and an unknown status.
#include "model/certificate_version.h"

#include <gtest/gtest.h>

namespace coffer::model {
namespace {

TEST(CertificateVersionRecordTest, RoundTrips) {
  CertificateVersion v;
  v.version = "0123456789abcdef0123456789abcdef";
  v.sequence = 3;
  v.attributes.enabled = false;
  v.attributes.not_before = 10;
  v.attributes.expires = 20;
  v.attributes.created = 5;
  v.attributes.updated = 6;
  v.tags = {{"a", "b"}};
  v.cer = std::string("\x30\x82\x01\x00", 4);
  v.chain = {"issuer-1", "issuer-2"};
  auto back = DecodeCertificateVersion(EncodeCertificateVersion(v).view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version, v.version);
  EXPECT_EQ(back->sequence, 3u);
  EXPECT_FALSE(back->attributes.enabled);
  EXPECT_EQ(back->attributes.expires, 20);
  EXPECT_EQ(back->tags, v.tags);
  EXPECT_EQ(back->cer, v.cer);
  EXPECT_EQ(back->chain, v.chain);

  SecretBytes record = EncodeCertificateVersion(v);
  std::string extra(record.view());
  extra.push_back('x');
  EXPECT_EQ(DecodeCertificateVersion(extra).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeCertificateOperation(record.view()).status().code(), StatusCode::kDataLoss);
}

TEST(CertificateVersionRecordTest, PreserveCertOrderIsFormatTwoAndFormatOneStaysByteForByte) {
  CertificateVersion v;
  v.version = "0123456789abcdef0123456789abcdef";
  SecretBytes v1 = EncodeCertificateVersion(v);
  EXPECT_EQ(static_cast<uint8_t>(v1.view()[1]), 1);
  v.preserve_cert_order = true;
  SecretBytes v2 = EncodeCertificateVersion(v);
  EXPECT_EQ(static_cast<uint8_t>(v2.view()[1]), 2);
  EXPECT_EQ(v2.size(), v1.size() + 1);
  auto back = DecodeCertificateVersion(v2.view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->preserve_cert_order);
  auto old = DecodeCertificateVersion(v1.view());
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->preserve_cert_order);
  std::string format3(v2.view());
  format3[1] = 3;
  EXPECT_EQ(DecodeCertificateVersion(format3).status().code(), StatusCode::kDataLoss);
}

TEST(CertificateOperationRecordTest, RoundTripsAndRefusesAnUnknownStatus) {
  CertificateOperation op;
  op.version = "0123456789abcdef0123456789abcdef";
  op.status = CertificateOperationStatus::kCancelled;
  op.issuer_name = "Unknown";
  op.csr = "MIIB";
  op.cancellation_requested = true;
  op.error_code = "Cancelled";
  op.error_message = "cancelled";
  op.key_material = SecretBytes("key");
  op.created = 7;
  auto back = DecodeCertificateOperation(EncodeCertificateOperation(op).view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->status, CertificateOperationStatus::kCancelled);
  EXPECT_EQ(back->csr, "MIIB");
  EXPECT_TRUE(back->cancellation_requested);
  EXPECT_EQ(back->key_material.view(), "key");
  EXPECT_EQ(CertificateOperationStatusName(back->status), "cancelled");

  std::string bad(EncodeCertificateOperation(op).view());
  bad[2 + 4 + op.version.size()] = 9;  // type, format, u32 length + version, then the status
  EXPECT_EQ(DecodeCertificateOperation(bad).status().code(), StatusCode::kDataLoss);
}

TEST(CertificateOperationRecordTest, DisabledWhenIssuedIsFormat2AndEnabledStaysFormat1) {
  CertificateOperation op;
  op.version = "00ff";
  op.issuer_name = "Self";
  std::string enabled(EncodeCertificateOperation(op).view());
  EXPECT_EQ(enabled[1], 1);  // format 1, byte for byte as before the field existed
  EXPECT_TRUE(DecodeCertificateOperation(enabled)->enabled_when_issued);

  op.enabled_when_issued = false;
  std::string disabled(EncodeCertificateOperation(op).view());
  EXPECT_EQ(disabled[1], 2);
  EXPECT_EQ(disabled.size(), enabled.size() + 1);
  auto back = DecodeCertificateOperation(disabled);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_FALSE(back->enabled_when_issued);

  std::string odd = disabled;
  odd.back() = 1;  // format 2 only ever stores "disabled"
  EXPECT_EQ(DecodeCertificateOperation(odd).status().code(), StatusCode::kDataLoss);
  std::string format3 = disabled;
  format3[1] = 3;
  EXPECT_EQ(DecodeCertificateOperation(format3).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coffer::model
