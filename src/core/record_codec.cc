#include "core/record_codec.h"

namespace coffer {

void RecordWriter::U8(uint8_t v) { out_.append(std::string_view(reinterpret_cast<char*>(&v), 1)); }

void RecordWriter::U32(uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out_.append(std::string_view(b, 4));
}

void RecordWriter::U64(uint64_t v) {
  U32(static_cast<uint32_t>(v >> 32));
  U32(static_cast<uint32_t>(v));
}

void RecordWriter::Bytes(std::string_view b) {
  U32(static_cast<uint32_t>(b.size()));
  out_.append(b);
}

void RecordWriter::OptI64(const std::optional<int64_t>& v) {
  Bool(v.has_value());
  if (v) I64(*v);
}

void RecordWriter::StringList(const std::vector<std::string>& list) {
  U32(static_cast<uint32_t>(list.size()));
  for (const auto& item : list) Bytes(item);
}

void RecordWriter::StringMap(const std::map<std::string, std::string>& m) {
  U32(static_cast<uint32_t>(m.size()));
  for (const auto& [k, v] : m) {
    Bytes(k);
    Bytes(v);
  }
}

Status RecordReader::Need(size_t n) const {
  if (n > remaining()) return DataLossError("record is truncated");
  return OkStatus();
}

Status RecordReader::U8(uint8_t* v) {
  RETURN_IF_ERROR(Need(1));
  *v = static_cast<uint8_t>(in_[pos_++]);
  return OkStatus();
}

Status RecordReader::U32(uint32_t* v) {
  RETURN_IF_ERROR(Need(4));
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<uint8_t>(in_[pos_++]);
  *v = r;
  return OkStatus();
}

Status RecordReader::U64(uint64_t* v) {
  uint32_t hi = 0, lo = 0;
  RETURN_IF_ERROR(U32(&hi));
  RETURN_IF_ERROR(U32(&lo));
  *v = (static_cast<uint64_t>(hi) << 32) | lo;
  return OkStatus();
}

Status RecordReader::I64(int64_t* v) {
  uint64_t u = 0;
  RETURN_IF_ERROR(U64(&u));
  *v = static_cast<int64_t>(u);
  return OkStatus();
}

Status RecordReader::Bool(bool* v) {
  uint8_t b = 0;
  RETURN_IF_ERROR(U8(&b));
  if (b > 1) return DataLossError("record has an invalid boolean");
  *v = b == 1;
  return OkStatus();
}

Status RecordReader::Raw(size_t n, std::string_view* v) {
  RETURN_IF_ERROR(Need(n));
  *v = in_.substr(pos_, n);
  pos_ += n;
  return OkStatus();
}

Status RecordReader::Bytes(std::string_view* v, size_t max_len) {
  uint32_t len = 0;
  RETURN_IF_ERROR(U32(&len));
  if (len > max_len) return DataLossError("record field is longer than allowed");
  return Raw(len, v);
}

Status RecordReader::String(std::string* v, size_t max_len) {
  std::string_view s;
  RETURN_IF_ERROR(Bytes(&s, max_len));
  v->assign(s);
  return OkStatus();
}

Status RecordReader::Secret(SecretBytes* v, size_t max_len) {
  std::string_view s;
  RETURN_IF_ERROR(Bytes(&s, max_len));
  *v = SecretBytes(s);
  return OkStatus();
}

Status RecordReader::OptI64(std::optional<int64_t>* v) {
  bool has = false;
  RETURN_IF_ERROR(Bool(&has));
  if (!has) {
    v->reset();
    return OkStatus();
  }
  int64_t x = 0;
  RETURN_IF_ERROR(I64(&x));
  *v = x;
  return OkStatus();
}

Status RecordReader::StringMap(std::map<std::string, std::string>* m, size_t max_entries) {
  uint32_t n = 0;
  RETURN_IF_ERROR(U32(&n));
  if (n > max_entries) return DataLossError("record map has too many entries");
  m->clear();
  for (uint32_t i = 0; i < n; ++i) {
    std::string k, v;
    RETURN_IF_ERROR(String(&k));
    RETURN_IF_ERROR(String(&v));
    (*m)[std::move(k)] = std::move(v);
  }
  return OkStatus();
}

Status RecordReader::StringList(std::vector<std::string>* list, size_t max_items,
                                size_t max_len) {
  uint32_t n = 0;
  RETURN_IF_ERROR(U32(&n));
  if (n > max_items) return DataLossError("record list has too many items");
  list->assign(n, std::string());
  for (auto& item : *list) RETURN_IF_ERROR(String(&item, max_len));
  return OkStatus();
}

Status RecordReader::ExpectEnd() const {
  if (remaining() != 0) return DataLossError("record has trailing bytes");
  return OkStatus();
}

}  // namespace coffer
