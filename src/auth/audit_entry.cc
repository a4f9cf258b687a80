#include "auth/audit_entry.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace coffer::auth {
namespace {

void AppendHex4(unsigned c, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[6] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xF], kHex[c & 0xF]};
  out->append(buf, sizeof(buf));
}

// Length of the valid UTF-8 sequence starting at p[0] (a byte >= 0x80), or 0 with *bad set to
// the length of the maximal subpart to replace by one U+FFFD (Unicode §3.9, "U+FFFD
// Substitution of Maximal Subparts"; the same choice nlohmann/json's replace handler makes).
size_t Utf8SequenceLength(const unsigned char* p, size_t n, size_t* bad) {
  unsigned char c = p[0];
  size_t trail;
  unsigned char lo = 0x80, hi = 0xBF;  // the range allowed for the first trailing byte
  if (c >= 0xC2 && c <= 0xDF) {
    trail = 1;
  } else if (c == 0xE0) {
    trail = 2, lo = 0xA0;  // no overlong forms
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    trail = 2;
  } else if (c == 0xED) {
    trail = 2, hi = 0x9F;  // no surrogates
  } else if (c == 0xF0) {
    trail = 3, lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    trail = 3;
  } else if (c == 0xF4) {
    trail = 3, hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t k = 1; k <= trail; ++k) {
    if (k >= n || p[k] < (k == 1 ? lo : 0x80) || p[k] > (k == 1 ? hi : 0xBF)) {
      *bad = k;
      return 0;
    }
  }
  return trail + 1;
}

void AppendOptionalString(std::string_view s, std::string* out) {
  if (s.empty()) {
    out->append("null");
  } else {
    AppendJsonString(s, out);
  }
}

// Days since 1970-01-01 → civil date (H. Hinnant's days_from_civil inverse), no time zone lookup.
void AppendTime(int64_t ms, std::string* out) {
  constexpr int64_t kMaxMs = 253402300799999;  // 9999-12-31T23:59:59.999Z
  ms = std::clamp<int64_t>(ms, 0, kMaxMs);
  int64_t days = ms / 86400000, rem = ms % 86400000;
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t day = doy - (153 * mp + 2) / 5 + 1;
  int64_t month = mp < 10 ? mp + 3 : mp - 9;
  int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  int64_t fields[] = {year, month, day, rem / 3600000, rem / 60000 % 60, rem / 1000 % 60,
                      rem % 1000};
  static constexpr int kWidth[] = {4, 2, 2, 2, 2, 2, 3};
  static constexpr char kAfter[] = {'-', '-', 'T', ':', ':', '.', 'Z'};
  char buf[24];
  char* p = buf;
  for (int i = 0; i < 7; ++i) {
    int64_t v = fields[i];
    for (int d = kWidth[i] - 1; d >= 0; --d, v /= 10) p[d] = static_cast<char>('0' + v % 10);
    p += kWidth[i];
    *p++ = kAfter[i];
  }
  out->append(buf, static_cast<size_t>(p - buf));
}

void AppendDuration(double ms, std::string* out) {
  if (!std::isfinite(ms) || ms < 0) ms = 0;
  ms = std::min(ms, 1e15);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), ms, std::chars_format::fixed, 3);
  if (ec != std::errc()) {
    out->push_back('0');
    return;
  }
  while (end[-1] == '0') --end;
  if (end[-1] == '.') --end;
  out->append(buf, static_cast<size_t>(end - buf));
}

template <typename Int>
void AppendInteger(Int v, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, static_cast<size_t>(end - buf));
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t run = 0;  // start of the bytes copied as they are
  auto flush = [&](size_t end) { out->append(s.data() + run, end - run); };
  out->push_back('"');
  for (size_t i = 0; i < n;) {
    unsigned char c = p[i];
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    if (c < 0x80) {
      flush(i);
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        case '\b': out->append("\\b"); break;
        case '\f': out->append("\\f"); break;
        default: AppendHex4(c, out);  // other C0 controls and DEL
      }
      run = ++i;
      continue;
    }
    size_t bad = 0;
    size_t len = Utf8SequenceLength(p + i, n - i, &bad);
    if (len == 2 && c == 0xC2 && p[i + 1] < 0xA0) {
      // C1 controls (U+0080–U+009F): escaped, so `audit tail` cannot drive a terminal.
      flush(i);
      AppendHex4(p[i + 1], out);
      run = i += 2;
    } else if (len > 0) {
      i += len;
    } else {
      flush(i);
      out->append("\xEF\xBF\xBD");
      run = i += bad;
    }
  }
  flush(n);
  out->push_back('"');
}

std::string FormatAuditLine(const AuditEntry& e) {
  std::string out;
  AppendAuditLine(e, &out);
  return out;
}

void AppendAuditLine(const AuditEntry& e, std::string* out) {
  out->reserve(out->size() + 220 + e.request_id.size() + e.caller_oid.size() +
               e.caller_appid.size() + e.caller_tid.size() + e.ip.size() + e.plane.size() +
               e.vault.size() + e.operation.size() + e.object_kind.size() +
               e.object_name.size() + e.object_version.size());
  out->append("{\"time\":\"");
  AppendTime(e.time_ms, out);
  out->append("\",\"requestId\":");
  AppendJsonString(e.request_id, out);
  out->append(",\"caller\":");
  if (e.caller_oid.empty() && e.caller_appid.empty() && e.caller_tid.empty()) {
    out->append("null");
  } else {
    out->append("{\"oid\":");
    AppendOptionalString(e.caller_oid, out);
    out->append(",\"appid\":");
    AppendOptionalString(e.caller_appid, out);
    out->append(",\"tid\":");
    AppendOptionalString(e.caller_tid, out);
    out->push_back('}');
  }
  out->append(",\"ip\":");
  AppendOptionalString(e.ip, out);
  out->append(",\"plane\":");
  AppendJsonString(e.plane, out);
  out->append(",\"vault\":");
  AppendOptionalString(e.vault, out);
  out->append(",\"operation\":");
  AppendJsonString(e.operation, out);
  out->append(",\"object\":");
  if (e.object_kind.empty() && e.object_name.empty()) {
    out->append("null");
  } else {
    out->append("{\"kind\":");
    AppendOptionalString(e.object_kind, out);
    out->append(",\"name\":");
    AppendOptionalString(e.object_name, out);
    out->append(",\"version\":");
    AppendOptionalString(e.object_version, out);
    out->push_back('}');
  }
  out->append(",\"status\":");
  AppendInteger(e.status, out);
  out->append(",\"durationMs\":");
  AppendDuration(e.duration_ms, out);
  if (e.count > 1) {
    out->append(",\"count\":");
    AppendInteger(e.count, out);
  }
  if (e.contacts) {
    out->append(",\"contacts\":[");
    for (size_t i = 0; i < e.contacts->size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString((*e.contacts)[i], out);
    }
    out->push_back(']');
  }
  out->push_back('}');
}

}  // namespace coffer::auth
