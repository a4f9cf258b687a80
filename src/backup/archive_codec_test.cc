// Vault archive codec: the committed golden vector, records spanning segments, and every kind
// of damage — a flipped bit anywhere, truncation at any length, reordered, dropped, repeated
// and appended segments — refused with InvalidArgument.
#include "backup/archive_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "backup/archive_records.h"
#include "backup/golden_vector.h"
#include "core/encoding.h"
#include "crypto/primitives.h"
#include "model/certificate_contacts.h"

namespace coffer::backup {
namespace {

using ::testing::HasSubstr;
using golden::Sequence;

ArchiveHeader GoldenHeader() {
  ArchiveHeader h;
  h.backup_root_id = Sequence(0xa0, 16);
  h.salt = Sequence(0x40, 32);
  h.nonce_prefix = Sequence(0x70, 7);
  h.subscription_id = "6f1c2c48-0c1e-4d3b-9a52-1b7c0e5d9a01";
  h.geography = "united states";
  h.source_vault = "golden-vault";
  h.created = 1'700'000'000;
  h.segment_size = 64;  // small, so records span segments
  return h;
}

SecretBytes KeyFor(const ArchiveHeader& h) {
  auto key = crypto::HkdfSha256(golden::BackupRoot(), h.salt, ArchiveKeyInfo(h), 32);
  return key.ok() ? std::move(*key) : SecretBytes();
}

// A live secret with golden::Object()'s two versions, a deleted secret, and contacts.
std::vector<ArchivedObject> GoldenObjects() {
  vault::SecretObject secret = golden::Object();
  ArchivedObject live{model::ObjectKind::kSecret, secret.name, secret.created, std::nullopt,
                      std::nullopt, {}};
  for (const auto& v : secret.versions) live.versions.push_back(model::EncodeSecretVersion(v));
  ArchivedObject gone{model::ObjectKind::kSecret, "Gone", 1'699'000'000,
                      model::DeletedInfo{1'699'500'000, 1'707'276'000}, std::nullopt, {}};
  gone.versions.push_back(model::EncodeSecretVersion(secret.versions[1]));
  std::vector<ArchivedObject> out;
  out.push_back(std::move(live));
  out.push_back(std::move(gone));
  return out;
}

SecretBytes GoldenContacts() {
  return model::EncodeCertificateContacts({{"ops@example.com", "Ops", "555-0100"}});
}

std::string MakeArchive(const ArchiveHeader& h) {
  std::string out;
  StringSink sink(&out);
  auto sealer = ArchiveSealer::Start(h, KeyFor(h), sink);
  EXPECT_TRUE(sealer.ok()) << sealer.status().ToString();
  ArchiveRecordWriter writer(*sealer);
  ArchiveCounts counts;
  for (const ArchivedObject& o : GoldenObjects()) {
    EXPECT_TRUE(WriteArchivedObject(writer, o).ok());
    ++counts.objects;
    counts.versions += o.versions.size();
  }
  EXPECT_TRUE(writer.Add(static_cast<uint8_t>(ArchiveRecordType::kContacts),
                         GoldenContacts().view()).ok());
  EXPECT_TRUE(WriteArchiveEnd(writer, counts).ok());
  EXPECT_TRUE(sealer->Finish().ok());
  return out;
}

struct ReadResult {
  Status status;
  std::vector<ArchivedObject> objects;
  std::vector<std::string> contacts;
};

// Opens with the key derived from the golden root and reads every record.
ReadResult ReadAll(std::string_view archive) {
  ReadResult r;
  StringSource source(archive);
  std::string header_bytes;
  auto header = ReadArchiveHeader(source, &header_bytes);
  if (!header.ok()) return {header.status(), {}, {}};
  ArchiveOpener opener(*header, header_bytes, KeyFor(*header), source);
  ArchiveRecordReader reader(opener);
  ArchiveVisitor visit;
  visit.object = [&](ArchivedObject& o) {
    r.objects.push_back(std::move(o));
    return OkStatus();
  };
  visit.contacts = [&](const SecretBytes& c) {
    r.contacts.emplace_back(c.view());
    return OkStatus();
  };
  r.status = ReadVaultArchive(reader, visit).status();
  return r;
}

// The byte ranges of the archive's segments (length prefix included), after the header.
std::vector<std::string> Segments(const std::string& archive, std::string* header) {
  StringSource source(archive);
  std::string header_bytes;
  EXPECT_TRUE(ReadArchiveHeader(source, &header_bytes).ok());
  *header = header_bytes;
  std::vector<std::string> out;
  size_t at = header_bytes.size();
  while (at < archive.size()) {
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = n << 8 | static_cast<uint8_t>(archive[at + i]);
    out.push_back(archive.substr(at, 4 + n));
    at += 4 + n;
  }
  return out;
}

std::string Join(const std::string& header, const std::vector<std::string>& segments) {
  std::string out = header;
  for (const std::string& s : segments) out += s;
  return out;
}

void ExpectRefused(const std::string& archive, std::string_view why) {
  ReadResult r = ReadAll(archive);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << why << ": " << r.status.ToString();
}

// Run once, with the disabled test enabled, to (re)write the committed vector:
//   coffer_backup_test --gtest_also_run_disabled_tests --gtest_filter='*WriteArchiveGolden*'
TEST(ArchiveGoldenVector, DISABLED_WriteArchiveGoldenVectorFiles) {
  ArchiveHeader h = GoldenHeader();
  std::ofstream(golden::TestdataPath("vault_archive_v1.hex")) << EncodeHex(MakeArchive(h)) << "\n";
  std::ostringstream inputs;
  inputs << "# Fixed inputs of vault_archive_v1.hex (format version 1). Byte strings are hex.\n"
         << "backup_root: " << EncodeHex(golden::BackupRoot().view()) << "\n"
         << "backup_root_id: " << EncodeHex(h.backup_root_id) << "\nsalt: " << EncodeHex(h.salt)
         << "\nnonce_prefix: " << EncodeHex(h.nonce_prefix) << "\nsubscription: "
         << h.subscription_id << "\ngeography: " << h.geography << "\nsource_vault: "
         << h.source_vault << "\ncreated: " << h.created << "\nsegment_size: " << h.segment_size
         << "\nhkdf_info: " << EncodeHex(ArchiveKeyInfo(h))
         << "\nderived_key: " << EncodeHex(KeyFor(h).view())
         << "\nobjects: secret Golden-Secret (live; the two versions of secret_blob_v1_inputs.txt),"
            " secret Gone (deleted 1699500000, purge 1707276000; its second version)\n"
         << "contacts: ops@example.com Ops 555-0100\n";
  std::ofstream(golden::TestdataPath("vault_archive_v1_inputs.txt")) << inputs.str();
}

TEST(ArchiveGoldenVector, CommittedV1VectorDecodesToTheExpectedVault) {
  std::ifstream in(golden::TestdataPath("vault_archive_v1.hex"));
  std::string hex;
  in >> hex;
  auto archive = DecodeHex(hex);
  ASSERT_TRUE(archive.has_value()) << "missing or bad vault_archive_v1.hex";
  ReadResult r = ReadAll(*archive);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.objects.size(), 2u);
  EXPECT_EQ(r.objects[0].name, "Golden-Secret");
  EXPECT_FALSE(r.objects[0].deleted);
  ASSERT_EQ(r.objects[0].versions.size(), 2u);
  auto v1 = model::DecodeSecretVersion(r.objects[0].versions[0].view());
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->value.view(), "first value");
  EXPECT_EQ(r.objects[1].name, "Gone");
  ASSERT_TRUE(r.objects[1].deleted);
  EXPECT_EQ(r.objects[1].deleted->scheduled_purge_date, 1'707'276'000);
  ASSERT_EQ(r.contacts.size(), 1u);
  EXPECT_EQ(r.contacts[0], GoldenContacts().view());
  // The encoder still makes exactly these bytes from the same inputs.
  EXPECT_EQ(MakeArchive(GoldenHeader()), *archive);
}

TEST(ArchiveCodecTest, RecordsSpanSegmentsAndReadBack) {
  std::string archive = MakeArchive(GoldenHeader());
  std::string header;
  EXPECT_GT(Segments(archive, &header).size(), 5u);
  ReadResult r = ReadAll(archive);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.objects.size(), 2u);
}

TEST(ArchiveCodecTest, EveryFlippedBitAnywhereIsRefused) {
  std::string archive = MakeArchive(GoldenHeader());
  for (size_t i = 0; i < archive.size(); ++i) {
    std::string bad = archive;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    ExpectRefused(bad, "bit flip at byte " + std::to_string(i));
  }
}

TEST(ArchiveCodecTest, EveryTruncationIsRefused) {
  std::string archive = MakeArchive(GoldenHeader());
  for (size_t n = 0; n < archive.size(); ++n) {
    ExpectRefused(archive.substr(0, n), "truncated to " + std::to_string(n));
  }
  std::string header;
  std::vector<std::string> segments = Segments(archive, &header);
  segments.pop_back();
  EXPECT_THAT(ReadAll(Join(header, segments)).status.message(), HasSubstr("truncated"));
}

TEST(ArchiveCodecTest, ReorderedDroppedRepeatedAndAppendedSegmentsAreRefused) {
  std::string archive = MakeArchive(GoldenHeader());
  std::string header;
  const std::vector<std::string> segments = Segments(archive, &header);
  ASSERT_GT(segments.size(), 3u);
  auto swapped = segments;
  std::swap(swapped[1], swapped[2]);
  ExpectRefused(Join(header, swapped), "segments 1 and 2 swapped");
  auto dropped = segments;
  dropped.erase(dropped.begin() + 1);
  ExpectRefused(Join(header, dropped), "segment 1 dropped");
  auto repeated = segments;
  repeated.insert(repeated.begin() + 1, segments[1]);
  ExpectRefused(Join(header, repeated), "segment 1 repeated");
  auto appended = segments;
  appended.push_back(segments.back());
  ReadResult r = ReadAll(Join(header, appended));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status.message(), HasSubstr("after its last segment"));
  ExpectRefused(archive + "x", "one byte appended");
}

TEST(ArchiveCodecTest, AnotherRootOrAnotherHeaderDoesNotOpen) {
  ArchiveHeader h = GoldenHeader();
  std::string archive = MakeArchive(h);
  StringSource source(archive);
  std::string header_bytes;
  ASSERT_TRUE(ReadArchiveHeader(source, &header_bytes).ok());
  SecretBytes other(std::string(32, '\x7f'));
  auto key = crypto::HkdfSha256(other, h.salt, ArchiveKeyInfo(h), 32);
  ArchiveOpener opener(h, header_bytes, *key, source);
  SecretBytes plain;
  auto first = opener.Next(&plain);
  EXPECT_EQ(first.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(first.status().message(), HasSubstr("integrity"));

  std::string wrong_version = archive;
  wrong_version[4] = 2;
  EXPECT_THAT(ReadAll(wrong_version).status.message(), HasSubstr("format version 2"));
  EXPECT_THAT(ReadAll("").status.message(), HasSubstr("not a Coffer vault archive"));
}

}  // namespace
}  // namespace coffer::backup
