#include "core/record_codec.h"

#include <gtest/gtest.h>

#include "model/object.h"
#include "model/regions.h"
#include "model/vault_record.h"

namespace coffer::model {
namespace {

SecretVersion SampleVersion() {
  SecretVersion v;
  v.version = "0123456789abcdef0123456789abcdef";
  v.sequence = 7;
  v.value = SecretBytes(std::string_view("s3cr3t"));
  v.content_type = "text/plain";
  v.tags = {{"env", "prod"}, {"team", "a"}};
  v.attributes.enabled = false;
  v.attributes.expires = 1900000000;
  v.attributes.created = 1700000000;
  v.attributes.updated = 1700000100;
  return v;
}

TEST(RecordCodecTest, SecretVersionRoundTrips) {
  SecretVersion v = SampleVersion();
  SecretBytes rec = EncodeSecretVersion(v);
  auto back = DecodeSecretVersion(rec.view());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version, v.version);
  EXPECT_EQ(back->sequence, 7u);
  EXPECT_EQ(back->value.view(), "s3cr3t");
  EXPECT_EQ(back->tags, v.tags);
  EXPECT_FALSE(back->attributes.enabled);
  EXPECT_EQ(back->attributes.expires, 1900000000);
  EXPECT_FALSE(back->attributes.not_before.has_value());
}

TEST(RecordCodecTest, EveryTruncationIsDataLoss) {
  SecretBytes rec = EncodeSecretVersion(SampleVersion());
  for (size_t n = 0; n < rec.size(); ++n) {
    auto back = DecodeSecretVersion(rec.view().substr(0, n));
    ASSERT_FALSE(back.ok()) << "prefix " << n;
    EXPECT_EQ(back.status().code(), StatusCode::kDataLoss);
  }
}

TEST(RecordCodecTest, TrailingByteIsDataLoss) {
  SecretBytes rec = EncodeSecretVersion(SampleVersion());
  std::string extended(rec.view());
  extended.push_back('\0');
  EXPECT_EQ(DecodeSecretVersion(extended).status().code(), StatusCode::kDataLoss);
}

TEST(RecordCodecTest, WrongRecordTypeIsRejected) {
  ObjectHead h;
  h.name = "Name";
  SecretBytes rec = EncodeObjectHead(h);
  EXPECT_FALSE(DecodeSecretVersion(rec.view()).ok());
  auto back = DecodeObjectHead(rec.view());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "Name");
}

TEST(RecordCodecTest, HugeLengthPrefixIsRejectedWithoutAllocating) {
  // type, format, then a 4 GiB length for the version string.
  std::string rec("\x11\x01\xff\xff\xff\xff", 6);
  EXPECT_EQ(DecodeSecretVersion(rec).status().code(), StatusCode::kDataLoss);
}

TEST(VaultRecordTest, RoundTripsAndRecoveryLevel) {
  VaultRecord v;
  v.name = "MyVault";
  v.id = "00112233445566778899aabbccddeeff";
  v.subscription_id = "sub";
  v.retention_days = 7;
  v.purge_protection = true;
  auto back = DecodeVaultRecord(EncodeVaultRecord(v).view());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->name, "MyVault");
  EXPECT_EQ(back->RecoveryLevel(), "CustomizedRecoverable");
  v.retention_days = 90;
  v.purge_protection = false;
  EXPECT_EQ(v.RecoveryLevel(), "Recoverable+Purgeable");
}

TEST(RegionsTest, FindsByNameAndDisplayName) {
  ASSERT_NE(FindRegion("East US"), nullptr);
  EXPECT_EQ(FindRegion("eastus")->geography, "United States");
  EXPECT_EQ(FindRegion("WestEurope")->pair, "northeurope");
  EXPECT_EQ(FindRegion("mars"), nullptr);
  for (const Region& r : AllRegions()) {
    const Region* pair = FindRegion(r.pair);
    ASSERT_NE(pair, nullptr) << r.name;
  }
}

}  // namespace
}  // namespace coffer::model
