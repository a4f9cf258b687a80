// KeyVersion and RotationPolicy records: round trips, truncation and trailing bytes as DataLoss,
// and the ISO-8601 duration parser used by rotation policies.
#include "model/key_version.h"

#include <gtest/gtest.h>

namespace coffer::model {
namespace {

KeyVersion SampleKey() {
  KeyVersion v;
  v.version = "0123456789abcdef0123456789abcdef";
  v.sequence = 3;
  v.kty = "RSA-HSM";
  v.key_ops = {"sign", "verify", "wrapKey"};
  v.attributes.enabled = false;
  v.attributes.not_before = 1600000000;
  v.attributes.created = 1700000000;
  v.attributes.updated = 1700000100;
  v.exportable = true;
  v.tags = {{"env", "prod"}};
  v.material = SecretBytes(std::string_view("\x01\x01opaque-pkcs8"));
  return v;
}

RotationPolicy SamplePolicy() {
  RotationPolicy p;
  p.lifetime_actions = {
      {LifetimeTrigger::kTimeAfterCreate, "P90D", LifetimeActionType::kRotate},
      {LifetimeTrigger::kTimeBeforeExpiry, "P30D", LifetimeActionType::kNotify}};
  p.expiry_time = "P2Y";
  p.created = 1700000000;
  p.updated = 1700000005;
  p.scheduled_rotation = 1707776000;
  return p;
}

TEST(KeyVersionRecordTest, RoundTripsEveryField) {
  KeyVersion v = SampleKey();
  auto back = DecodeKeyVersion(EncodeKeyVersion(v).view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version, v.version);
  EXPECT_EQ(back->sequence, 3u);
  EXPECT_EQ(back->kty, "RSA-HSM");
  EXPECT_EQ(back->key_ops, v.key_ops);
  EXPECT_FALSE(back->attributes.enabled);
  EXPECT_EQ(back->attributes.not_before, 1600000000);
  EXPECT_FALSE(back->attributes.expires.has_value());
  EXPECT_EQ(back->attributes.updated, 1700000100);
  EXPECT_TRUE(back->exportable);
  EXPECT_EQ(back->tags, v.tags);
  EXPECT_EQ(back->material.view(), v.material.view());
}

TEST(KeyVersionRecordTest, ReleasePolicyRoundTripsInFormat2AndKeysWithoutOneStayFormat1) {
  KeyVersion plain = SampleKey();
  EXPECT_EQ(static_cast<uint8_t>(EncodeKeyVersion(plain).view()[1]), 1);
  KeyVersion v = SampleKey();
  v.release_policy = KeyReleasePolicy{"application/json; charset=utf-8",
                                      R"({"version":"1.0.0","anyOf":[]})", true};
  SecretBytes rec = EncodeKeyVersion(v);
  EXPECT_EQ(static_cast<uint8_t>(rec.view()[1]), 2);
  auto back = DecodeKeyVersion(rec.view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->release_policy.has_value());
  EXPECT_EQ(*back->release_policy, *v.release_policy);
  EXPECT_EQ(back->material.view(), v.material.view());
  for (size_t n = 0; n < rec.size(); ++n) {
    EXPECT_EQ(DecodeKeyVersion(rec.view().substr(0, n)).status().code(), StatusCode::kDataLoss);
  }
}

TEST(KeyVersionRecordTest, EveryTruncationAndTrailingByteIsDataLoss) {
  SecretBytes rec = EncodeKeyVersion(SampleKey());
  for (size_t n = 0; n < rec.size(); ++n) {
    auto back = DecodeKeyVersion(rec.view().substr(0, n));
    ASSERT_FALSE(back.ok()) << "prefix " << n;
    EXPECT_EQ(back.status().code(), StatusCode::kDataLoss);
  }
  std::string longer(rec.view());
  longer.push_back('\0');
  EXPECT_EQ(DecodeKeyVersion(longer).status().code(), StatusCode::kDataLoss);
}

TEST(KeyVersionRecordTest, SecretVersionRecordIsRejectedAsKeyVersion) {
  SecretVersion s;
  s.version = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(DecodeKeyVersion(EncodeSecretVersion(s).view()).status().code(),
            StatusCode::kDataLoss);
}

TEST(RotationPolicyRecordTest, RoundTripsAndRejectsTruncation) {
  RotationPolicy p = SamplePolicy();
  SecretBytes rec = EncodeRotationPolicy(p);
  auto back = DecodeRotationPolicy(rec.view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->lifetime_actions.size(), 2u);
  EXPECT_EQ(back->lifetime_actions[1].trigger, LifetimeTrigger::kTimeBeforeExpiry);
  EXPECT_EQ(back->lifetime_actions[1].action, LifetimeActionType::kNotify);
  EXPECT_EQ(back->lifetime_actions[0].duration, "P90D");
  EXPECT_EQ(back->expiry_time, "P2Y");
  EXPECT_EQ(back->scheduled_rotation, 1707776000);
  for (size_t n = 0; n < rec.size(); ++n) {
    EXPECT_EQ(DecodeRotationPolicy(rec.view().substr(0, n)).status().code(),
              StatusCode::kDataLoss);
  }
}

TEST(IsoDurationTest, ParsesDaysMonthsYearsAndTimes) {
  EXPECT_EQ(ParseIsoDuration("P30D"), 30 * 86400);
  EXPECT_EQ(ParseIsoDuration("P1Y"), 365 * 86400);
  EXPECT_EQ(ParseIsoDuration("P2M"), 60 * 86400);
  EXPECT_EQ(ParseIsoDuration("P1W"), 7 * 86400);
  EXPECT_EQ(ParseIsoDuration("P1DT12H"), 86400 + 12 * 3600);
  EXPECT_EQ(ParseIsoDuration("PT90M"), 90 * 60);
  EXPECT_EQ(ParseIsoDuration("P1Y2M3DT4H5M6S"),
            365 * 86400 + 60 * 86400 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6);
}

TEST(IsoDurationTest, RejectsMalformedOrZeroDurations) {
  for (std::string_view bad : {"", "P", "PT", "30D", "P30", "PD", "P0D", "P1.5D", "P-1D",
                               "P1D1Y", "P1DT", "PT1D", "P1S", "P99999999999999999999D",
                               "P1DD"}) {
    EXPECT_FALSE(ParseIsoDuration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace coffer::model
