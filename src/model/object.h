// The stored shape of vault objects (secrets now; keys and certificates reuse ObjectHead and
// Attributes). Every type here has a versioned record codec (docs/formats/records.md); records
// are only ever stored through the barrier.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::model {

enum class ObjectKind : uint8_t { kSecret = 1, kKey = 2, kCertificate = 3 };

// The one mapping of a kind to its storage-key letter and its words (object.cc).
// Single-letter tag used in storage keys ("s", "k", "c").
char ObjectKindTag(ObjectKind kind);
// The kind a storage-key letter names; DataLoss for any other letter (never a default kind).
StatusOr<ObjectKind> ObjectKindFromTag(char tag);
// Lower-case noun: "secret", "key", "certificate".
std::string_view ObjectKindName(ObjectKind kind);
// Capitalised word for messages and reasons: "Secret", "Key", "Certificate".
std::string_view ObjectKindWord(ObjectKind kind);

using Tags = std::map<std::string, std::string>;

struct Attributes {
  bool enabled = true;
  std::optional<UnixSeconds> not_before;
  std::optional<UnixSeconds> expires;
  UnixSeconds created = 0;
  UnixSeconds updated = 0;
};

struct DeletedInfo {
  UnixSeconds deleted_date = 0;
  UnixSeconds scheduled_purge_date = 0;
};

// The per-object record: display name, latest version and soft-delete state. Versions are
// separate records.
struct ObjectHead {
  std::string name;             // original spelling, as first created
  std::string latest_version;   // 32 lowercase hex
  uint64_t latest_sequence = 0; // sequence of latest_version
  uint64_t next_sequence = 1;   // monotonic; decides "latest", never timestamps
  UnixSeconds created = 0;
  std::optional<DeletedInfo> deleted;
};

struct SecretVersion {
  std::string version;  // 32 lowercase hex
  uint64_t sequence = 0;
  SecretBytes value;
  std::string content_type;  // empty = none
  Tags tags;
  Attributes attributes;
  bool managed = false;      // backs a certificate
  std::string key_id;        // for managed secrets: the key's version (empty otherwise)
};

SecretBytes EncodeObjectHead(const ObjectHead& head);
StatusOr<ObjectHead> DecodeObjectHead(std::string_view record);

SecretBytes EncodeSecretVersion(const SecretVersion& version);
StatusOr<SecretVersion> DecodeSecretVersion(std::string_view record);

// Field limits shared by validation and decoding.
constexpr size_t kMaxNameLength = 127;
constexpr size_t kMaxSecretValueBytes = 25600;
constexpr size_t kMaxContentTypeLength = 255;
constexpr size_t kMaxTags = 15;
constexpr size_t kMaxTagNameLength = 512;
constexpr size_t kMaxTagValueLength = 256;

}  // namespace coffer::model
