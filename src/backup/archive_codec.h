// Vault archive codec: the encrypted container of a whole-vault backup
// (docs/formats/vault-archive.md), format version 1.
//
//   magic "CFVA" | format version | header | segment 0 | segment 1 | … | last segment
//
// The plaintext is cut into segments of `segment_size` bytes (the last one shorter) and each is
// sealed on its own with AES-256-GCM — the STREAM construction: the segment's index and a
// last-segment flag are in its nonce and its associated data, with every header byte, so a
// segment cannot be moved, dropped, repeated or altered, nor the archive cut at a segment
// boundary or extended, without a segment failing to open. A reader therefore verifies and
// hands out one segment at a time, and memory stays one segment however large the archive.
//
// On the plaintext sits a record layer (ArchiveRecordWriter / ArchiveRecordReader): records
// `u8 type | u32 length | body` that may span segments.
//
// The payload key is HKDF-SHA256(backup root, salt, ArchiveKeyInfo(header)); as with the
// per-object blob (blob_codec.h), the codec never sees the backup root: the caller derives the
// key and passes it in.
//
// Errors: every failure is InvalidArgument [BadParameter] with a message saying what is wrong
// with the archive (not an archive, unsupported version, damaged segment N, truncated, bytes
// after the end); a ByteSource or ByteSink error is passed through unchanged.
//
// Thread-safety: the classes are used by one thread at a time; the functions are stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backup/archive_io.h"
#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::backup {

constexpr std::string_view kArchiveMagic = "CFVA";
constexpr uint8_t kArchiveFormatV1 = 1;
constexpr size_t kArchiveSaltSize = 32;
constexpr size_t kArchiveNoncePrefixSize = 7;
constexpr uint32_t kArchiveSegmentSize = 64 * 1024;
constexpr uint32_t kMaxArchiveSegmentSize = 1024 * 1024;
constexpr size_t kMaxArchiveRecordBytes = 16 * 1024 * 1024;

// The clear-text part of an archive. Every byte of it is in every segment's associated data.
struct ArchiveHeader {
  uint8_t format_version = kArchiveFormatV1;
  std::string backup_root_id;   // 16 bytes: which deployment's backup root sealed it
  std::string salt;             // 32 random bytes: HKDF salt
  std::string nonce_prefix;     // 7 random bytes: the first bytes of every segment's nonce
  std::string subscription_id;  // canonical: lowercase GUID
  std::string geography;        // canonical: lowercase, e.g. "united states"
  std::string source_vault;     // the vault the backup was taken from
  UnixSeconds created = 0;
  uint32_t segment_size = kArchiveSegmentSize;  // plaintext bytes per segment but the last
};

// HKDF info: length-prefixed fields of the label "coffer/vault-archive", the format version,
// subscription and geography.
std::string ArchiveKeyInfo(const ArchiveHeader& header);

// Reads and checks the header (magic, version, every field's size and spelling) from the start
// of `source`; `header_bytes` receives its exact bytes, the associated data of every segment.
StatusOr<ArchiveHeader> ReadArchiveHeader(ByteSource& source, std::string* header_bytes);

// Seals plaintext into segments and writes them to a sink.
class ArchiveSealer {
 public:
  // Writes the header to `sink` at once; InvalidArgument if a header field is out of range.
  static StatusOr<ArchiveSealer> Start(const ArchiveHeader& header, SecretBytes key,
                                       ByteSink& sink);
  Status Append(std::string_view plaintext);
  // Seals the last segment. Nothing may be appended afterwards.
  Status Finish();
  // Bytes written to the sink so far (header included).
  uint64_t bytes_written() const { return written_; }

 private:
  ArchiveSealer(std::string header_bytes, std::string nonce_prefix, SecretBytes key,
                uint32_t segment_size, ByteSink& sink);
  Status Seal(bool last);

  std::string header_bytes_;
  std::string nonce_prefix_;
  SecretBytes key_;
  ByteSink* sink_;
  SecretBytes segment_;
  size_t fill_ = 0;
  uint32_t index_ = 0;
  uint64_t written_ = 0;
  bool finished_ = false;
};

// Verifies and opens the segments that follow a header, in order.
class ArchiveOpener {
 public:
  // `source` is positioned just after the header read by ReadArchiveHeader.
  ArchiveOpener(const ArchiveHeader& header, std::string header_bytes, SecretBytes key,
                ByteSource& source);
  // The next segment's plaintext; false once the last segment has been opened.
  StatusOr<bool> Next(SecretBytes* plaintext);
  // Bytes read from the source so far, header included.
  uint64_t bytes_read() const { return read_; }

 private:
  // The sealed bytes of the segment after the current one ("" at the end of the source).
  StatusOr<std::string> ReadSealed();

  std::string header_bytes_;
  std::string nonce_prefix_;
  SecretBytes key_;
  uint32_t segment_size_;
  ByteSource* source_;
  std::string next_;
  uint32_t index_ = 0;
  uint64_t read_ = 0;
  bool started_ = false;
  bool done_ = false;
};

// Frames records onto a sealer.
class ArchiveRecordWriter {
 public:
  explicit ArchiveRecordWriter(ArchiveSealer& sealer) : sealer_(sealer) {}
  // InvalidArgument for a body over kMaxArchiveRecordBytes.
  Status Add(uint8_t type, std::string_view body);

 private:
  ArchiveSealer& sealer_;
};

// Reads records from an opener; a record cut by the end of the archive is malformed.
class ArchiveRecordReader {
 public:
  explicit ArchiveRecordReader(ArchiveOpener& opener) : opener_(opener) {}
  // The next record; false at the end of the archive.
  StatusOr<bool> Next(uint8_t* type, SecretBytes* body);

 private:
  // Exactly n bytes into out (n = 0 allowed); false when the archive ends first.
  StatusOr<bool> Take(size_t n, char* out);

  ArchiveOpener& opener_;
  SecretBytes segment_;
  size_t pos_ = 0;
};

// The messages archive problems are reported with, shared by the codec and the restore.
Status MalformedArchiveError(std::string_view detail);

}  // namespace coffer::backup
