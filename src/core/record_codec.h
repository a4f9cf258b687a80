// Binary record codec primitives: a writer that appends big-endian integers and length-prefixed
// byte strings, and a reader that checks every length against what remains before reading, so a
// truncated or hostile record can never cause an over-read or a huge allocation.
//
// Layouts built on these are specified in docs/formats/records.md.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer {

// Writes into a SecretBytes so plaintext records never sit in an ordinary string.
class RecordWriter {
 public:
  void U8(uint8_t v);
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  // u32 length + bytes.
  void Bytes(std::string_view b);
  void OptI64(const std::optional<int64_t>& v);
  void StringMap(const std::map<std::string, std::string>& m);
  // u32 n ‖ n × str.
  void StringList(const std::vector<std::string>& list);
  void Raw(std::string_view b) { out_.append(b); }

  SecretBytes Finish() { return std::move(out_); }
  size_t size() const { return out_.size(); }

 private:
  SecretBytes out_;
};

class RecordReader {
 public:
  explicit RecordReader(std::string_view in) : in_(in) {}

  Status U8(uint8_t* v);
  Status U32(uint32_t* v);
  Status U64(uint64_t* v);
  Status I64(int64_t* v);
  Status Bool(bool* v);
  // Length-prefixed; fails if the length exceeds `max_len` or what remains.
  Status Bytes(std::string_view* v, size_t max_len = SIZE_MAX);
  Status String(std::string* v, size_t max_len = SIZE_MAX);
  Status Secret(SecretBytes* v, size_t max_len = SIZE_MAX);
  Status OptI64(std::optional<int64_t>* v);
  Status StringMap(std::map<std::string, std::string>* m, size_t max_entries = 4096);
  // DataLoss when there are more than `max_items` or an item is longer than `max_len`.
  Status StringList(std::vector<std::string>* list, size_t max_items, size_t max_len);
  Status Raw(size_t n, std::string_view* v);

  size_t remaining() const { return in_.size() - pos_; }
  // DataLoss unless every byte was consumed.
  Status ExpectEnd() const;

 private:
  Status Need(size_t n) const;
  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace coffer
