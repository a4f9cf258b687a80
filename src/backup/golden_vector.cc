#include "backup/golden_vector.h"

#include <sstream>

#include "core/encoding.h"
#include "crypto/primitives.h"

namespace coffer::backup::golden {
namespace {

std::string Optional(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : "none";
}

}  // namespace

std::string Sequence(int first, int count) {
  std::string s;
  for (int i = 0; i < count; ++i) s.push_back(static_cast<char>(first + i));
  return s;
}

SecretBytes BackupRoot() { return SecretBytes(Sequence(0x00, 32)); }

BlobHeader Header() {
  BlobHeader h;
  h.format_version = kBlobFormatV1;
  h.kind = model::ObjectKind::kSecret;
  h.backup_root_id = Sequence(0xa0, 16);
  h.salt = Sequence(0x40, 32);
  h.subscription_id = "6f1c2c48-0c1e-4d3b-9a52-1b7c0e5d9a01";
  h.geography = "united states";
  h.source_vault = "golden-vault";
  h.created = 1'700'000'000;
  h.version_count = 2;
  h.nonce = Sequence(0x60, 12);
  return h;
}

vault::SecretObject Object() {
  vault::SecretObject o;
  o.name = "Golden-Secret";
  o.created = 1'699'990'000;

  model::SecretVersion v1;
  v1.version = "0123456789abcdef0123456789abcdef";
  v1.sequence = 1;
  v1.value = SecretBytes(std::string_view("first value"));
  v1.content_type = "text/plain";
  v1.tags = {{"env", "prod"}, {"owner", "team-a"}};
  v1.attributes.enabled = true;
  v1.attributes.not_before = 1'699'990'000;
  v1.attributes.expires = 1'799'990'000;
  v1.attributes.created = 1'699'990'000;
  v1.attributes.updated = 1'699'990'000;

  model::SecretVersion v2;
  v2.version = "fedcba9876543210fedcba9876543210";
  v2.sequence = 2;
  v2.value = SecretBytes(std::string("second\0value\xff", 13));
  v2.attributes.enabled = false;
  v2.attributes.created = 1'699'995'000;
  v2.attributes.updated = 1'699'996'000;

  o.versions.push_back(std::move(v1));
  o.versions.push_back(std::move(v2));
  return o;
}

SecretBytes DeriveKey(const BlobHeader& header) {
  auto key = crypto::HkdfSha256(BackupRoot(), header.salt, BackupKeyInfo(header), 32);
  return key.ok() ? std::move(*key) : SecretBytes();
}

std::string DescribeInputs() {
  BlobHeader h = Header();
  vault::SecretObject o = Object();
  std::ostringstream out;
  out << "# Fixed inputs of secret_blob_v1.hex (format version 1). All byte strings are hex.\n"
      << "backup_root: " << EncodeHex(BackupRoot().view()) << "\n"
      << "backup_root_id: " << EncodeHex(h.backup_root_id) << "\n"
      << "salt: " << EncodeHex(h.salt) << "\n"
      << "nonce: " << EncodeHex(h.nonce) << "\n"
      << "kind: 1 (secret)\n"
      << "subscription: " << h.subscription_id << "\n"
      << "geography: " << h.geography << "\n"
      << "source_vault: " << h.source_vault << "\n"
      << "created: " << h.created << "\n"
      << "hkdf_info: " << EncodeHex(BackupKeyInfo(h)) << "\n"
      << "derived_key: " << EncodeHex(DeriveKey(h).view()) << "\n"
      << "object_name: " << o.name << "\n"
      << "object_created: " << o.created << "\n";
  for (const auto& v : o.versions) {
    out << "version " << v.version << ": sequence=" << v.sequence
        << " value_hex=" << EncodeHex(v.value.view()) << " content_type=\"" << v.content_type
        << "\" tags={";
    for (const auto& [k, val] : v.tags) out << k << "=" << val << ";";
    out << "} enabled=" << v.attributes.enabled
        << " nbf=" << Optional(v.attributes.not_before)
        << " exp=" << Optional(v.attributes.expires) << " created=" << v.attributes.created
        << " updated=" << v.attributes.updated << " managed=" << v.managed << " key_id=\""
        << v.key_id << "\"\n";
  }
  return out.str();
}

std::string TestdataPath(const std::string& file) {
  return std::string(COFFER_BACKUP_TESTDATA_DIR) + "/" + file;
}

}  // namespace coffer::backup::golden
