// Header lookup and percent-encoding for the plain HTTP value types (see message.h).
#include "http/message.h"

#include <unistd.h>

#include <algorithm>

#include "core/encoding.h"
#include "core/files.h"

namespace coffer::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

void Headers::Set(std::string name, std::string value) {
  std::erase_if(items_, [&](const auto& item) { return EqualsIgnoreCase(item.first, name); });
  items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> RequestHead::Query(std::string_view name) const {
  for (const auto& [n, v] : query) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

StatusOr<std::shared_ptr<BodyFile>> BodyFile::Create(const std::string& dir) {
  ASSIGN_OR_RETURN(int fd, OpenUnnamedFile(dir));
  return std::shared_ptr<BodyFile>(new BodyFile(fd, dir));
}

BodyFile::~BodyFile() { ::close(fd_); }

Status BodyFile::Append(std::string_view bytes) {
  RETURN_IF_ERROR(WriteAll(fd_, bytes, dir_ + " (request body)"));
  size_ += bytes.size();
  return OkStatus();
}

StatusOr<size_t> BodyFile::ReadAt(uint64_t offset, char* out, size_t n) const {
  return ReadAllAt(fd_, offset, out, n, dir_ + " (request body)");
}

}  // namespace coffer::http
