// BackupBlob codec: the committed golden vector, framing, caps, truncation and bit flips.
#include "backup/blob_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "backup/golden_vector.h"
#include "core/encoding.h"
#include "crypto/primitives.h"

namespace coffer::backup {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string GoldenBlob() {
  std::string hex = ReadFile(golden::TestdataPath("secret_blob_v1.hex"));
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto raw = DecodeHex(hex);
  return raw ? *raw : std::string();
}

std::string FreshBlob() {
  auto blob = EncodeSecretBlob(golden::Header(), golden::Object(),
                               golden::DeriveKey(golden::Header()));
  EXPECT_TRUE(blob.ok()) << blob.status().ToString();
  return blob.ok() ? *blob : std::string();
}

// Parses and opens with the golden key; the combined outcome of the two steps.
Status Decode(std::string_view blob) {
  auto parsed = ParseBlob(blob);
  if (!parsed.ok()) return parsed.status();
  return OpenSecretBlob(*parsed, golden::DeriveKey(parsed->header)).status();
}

void ExpectSameVersion(const model::SecretVersion& a, const model::SecretVersion& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.sequence, b.sequence);
  EXPECT_TRUE(a.value == b.value) << a.version;
  EXPECT_EQ(a.content_type, b.content_type);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.attributes.enabled, b.attributes.enabled);
  EXPECT_EQ(a.attributes.not_before, b.attributes.not_before);
  EXPECT_EQ(a.attributes.expires, b.attributes.expires);
  EXPECT_EQ(a.attributes.created, b.attributes.created);
  EXPECT_EQ(a.attributes.updated, b.attributes.updated);
  EXPECT_EQ(a.managed, b.managed);
  EXPECT_EQ(a.key_id, b.key_id);
}

// Run once by hand to (re)create the committed vector; never in CI:
//   coffer_backup_test --gtest_also_run_disabled_tests --gtest_filter='*WriteGoldenVector*'
// A new format version gets a new file; secret_blob_v1.hex must keep decoding forever.
TEST(BlobGoldenVector, DISABLED_WriteGoldenVectorFiles) {
  std::string blob = FreshBlob();
  ASSERT_FALSE(blob.empty());
  std::ofstream(golden::TestdataPath("secret_blob_v1.hex")) << EncodeHex(blob) << "\n";
  std::ofstream(golden::TestdataPath("secret_blob_v1_inputs.txt")) << golden::DescribeInputs();
}

TEST(BlobGoldenVector, CommittedV1VectorDecodesToTheExpectedSecret) {
  std::string blob = GoldenBlob();
  ASSERT_FALSE(blob.empty()) << "missing " << golden::TestdataPath("secret_blob_v1.hex");
  auto parsed = ParseBlob(blob);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  BlobHeader want = golden::Header();
  const BlobHeader& got = parsed->header;
  EXPECT_EQ(got.format_version, 1);
  EXPECT_EQ(got.kind, model::ObjectKind::kSecret);
  EXPECT_EQ(got.backup_root_id, want.backup_root_id);
  EXPECT_EQ(got.salt, want.salt);
  EXPECT_EQ(got.nonce, want.nonce);
  EXPECT_EQ(got.subscription_id, want.subscription_id);
  EXPECT_EQ(got.geography, want.geography);
  EXPECT_EQ(got.source_vault, want.source_vault);
  EXPECT_EQ(got.created, want.created);
  EXPECT_EQ(got.version_count, 2u);

  auto object = OpenSecretBlob(*parsed, golden::DeriveKey(got));
  ASSERT_TRUE(object.ok()) << object.status().ToString();
  vault::SecretObject expected = golden::Object();
  EXPECT_EQ(object->name, expected.name);
  EXPECT_EQ(object->created, expected.created);
  ASSERT_EQ(object->versions.size(), expected.versions.size());
  for (size_t i = 0; i < expected.versions.size(); ++i) {
    ExpectSameVersion(object->versions[i], expected.versions[i]);
  }
}

TEST(BlobGoldenVector, CommittedV1VectorHasTheDocumentedLayout) {
  std::string blob = GoldenBlob();
  ASSERT_GT(blob.size(), 64u);
  EXPECT_EQ(blob.substr(0, 4), "CFBK");
  EXPECT_EQ(blob[4], '\x01');
  EXPECT_EQ(blob[5], '\x01');
  // u32 length 36 + the subscription GUID in the clear, as docs/formats/backup-blob.md says.
  EXPECT_EQ(blob.substr(6, 4), std::string("\0\0\0\x24", 4));
  EXPECT_EQ(blob.substr(10, 36), golden::Header().subscription_id);
}

TEST(BlobGoldenVector, CommittedVectorDoesNotOpenUnderAnotherRoot) {
  std::string blob = GoldenBlob();  // ParsedBlob views into it
  auto parsed = ParseBlob(blob);
  ASSERT_TRUE(parsed.ok());
  SecretBytes other(std::string(32, '\x01'));
  auto key = crypto::HkdfSha256(other, parsed->header.salt, BackupKeyInfo(parsed->header), 32);
  ASSERT_TRUE(key.ok());
  auto opened = OpenSecretBlob(*parsed, *key);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(opened.status().message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, EncodedBlobKeepsNameAndValuesOutOfTheClear) {
  std::string blob = FreshBlob();
  EXPECT_EQ(blob.find("Golden-Secret"), std::string::npos);
  EXPECT_EQ(blob.find("first value"), std::string::npos);
  EXPECT_EQ(blob.find("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(blob.find("text/plain"), std::string::npos);
  EXPECT_EQ(blob.find("team-a"), std::string::npos);
}

TEST(BlobCodec, EveryTruncationIsRejectedAsMalformed) {
  std::string blob = FreshBlob();
  ASSERT_TRUE(Decode(blob).ok());
  for (size_t len = 0; len < blob.size(); ++len) {
    Status s = Decode(std::string_view(blob).substr(0, len));
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << "length " << len;
    EXPECT_EQ(s.reason(), "BadParameter");
    EXPECT_THAT(s.message(), HasSubstr("invalid or corrupt version")) << "length " << len;
  }
}

TEST(BlobCodec, OneTrailingByteIsRejectedAsMalformed) {
  Status s = Decode(FreshBlob() + "x");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, EverySingleBitFlipIsRejected) {
  std::string blob = FreshBlob();
  for (size_t i = 0; i < blob.size() * 8; ++i) {
    std::string bad = blob;
    bad[i / 8] = static_cast<char>(bad[i / 8] ^ (1 << (i % 8)));
    Status s = Decode(bad);
    ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << "bit " << i << ": " << s.ToString();
  }
}

TEST(BlobCodec, FlipInPayloadOrTagFailsIntegrityVerification) {
  std::string blob = FreshBlob();
  for (size_t pos : {blob.size() - 1, blob.size() - 17, blob.size() - 20}) {
    std::string bad = blob;
    bad[pos] ^= 0x10;
    EXPECT_THAT(Decode(bad).message(), HasSubstr("invalid or corrupt version")) << pos;
  }
}

TEST(BlobCodec, UnknownFormatVersionIsNamedInTheError) {
  std::string blob = FreshBlob();
  blob[4] = 7;
  Status s = Decode(blob);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("format version 7 is not supported"));
}

TEST(BlobCodec, KeyBlobIsRejectedAsTheWrongKind) {
  std::string blob = FreshBlob();
  blob[5] = static_cast<char>(model::ObjectKind::kKey);
  auto parsed = ParseBlob(blob);
  ASSERT_TRUE(parsed.ok());
  Status s = OpenSecretBlob(*parsed, golden::DeriveKey(parsed->header)).status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("holds a key, not a secret"));
}

TEST(BlobCodec, UnknownKindIsMalformed) {
  std::string blob = FreshBlob();
  blob[5] = 9;
  EXPECT_THAT(Decode(blob).message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, HugeStringLengthIsRejectedBeforeAllocating) {
  std::string blob = FreshBlob();
  blob.replace(6, 4, "\xff\xff\xff\xf0");
  EXPECT_THAT(Decode(blob).message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, VersionCountAboveTheCapIsRejectedBeforeDecrypting) {
  std::string blob = FreshBlob();
  BlobHeader h = golden::Header();
  size_t count_at = 6 + 4 + h.subscription_id.size() + 4 + h.geography.size() + 4 +
                    h.source_vault.size() + 8;
  ASSERT_EQ(blob.substr(count_at, 4), std::string("\0\0\0\x02", 4));
  static_assert(kMaxBlobVersions == 100'000);
  blob.replace(count_at, 4, std::string("\0\x01\x86\xa1", 4));  // 100,001
  EXPECT_THAT(Decode(blob).message(), HasSubstr("invalid or corrupt version"));
  blob.replace(count_at, 4, std::string("\0\0\0\0", 4));
  EXPECT_THAT(Decode(blob).message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, BlobOver64MiBIsRejected) {
  std::string blob = FreshBlob();
  blob.resize(kMaxBlobBytes + 1, 'x');
  EXPECT_THAT(Decode(blob).message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, AltersToClearHeaderFieldsFailIntegrity) {
  std::string blob = FreshBlob();
  size_t vault_at = blob.find("golden-vault");
  ASSERT_NE(vault_at, std::string::npos);
  blob[vault_at] = 'x';  // still a well-formed header; only the AAD check can catch it
  EXPECT_THAT(Decode(blob).message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, UppercaseSubscriptionInHeaderIsMalformed) {
  std::string blob = FreshBlob();
  blob[10 + 1] = 'F';  // "6f1c…" → "6F1c…": not canonical
  EXPECT_THAT(Decode(blob).message(), HasSubstr("invalid or corrupt version"));
}

TEST(BlobCodec, KeyInfoFieldsAreLengthPrefixed) {
  EXPECT_NE(BackupKeyInfo(1, "ab", "c", model::ObjectKind::kSecret),
            BackupKeyInfo(1, "a", "bc", model::ObjectKind::kSecret));
  EXPECT_NE(BackupKeyInfo(1, "s", "g", model::ObjectKind::kSecret),
            BackupKeyInfo(1, "s", "g", model::ObjectKind::kKey));
}

TEST(BlobCodec, EncoderRefusesMoreVersionsThanTheCap) {
  vault::SecretObject o = golden::Object();
  o.versions.resize(kMaxBlobVersions + 1, o.versions[0]);
  auto blob = EncodeSecretBlob(golden::Header(), o, golden::DeriveKey(golden::Header()));
  EXPECT_EQ(blob.status().code(), StatusCode::kInvalidArgument);
}

TEST(BlobCodec, GeographyIsCanonicalisedFromTheRegionCatalogue) {
  EXPECT_EQ(CanonicalGeography("eastus"), "united states");
  EXPECT_EQ(CanonicalGeography("West US"), "united states");
  EXPECT_EQ(CanonicalGeography("westeurope"), "europe");
  EXPECT_EQ(CanonicalGeography("atlantis"), "");
  EXPECT_EQ(GeographyDisplayName("united states"), "United States");
}

}  // namespace
}  // namespace coffer::backup
