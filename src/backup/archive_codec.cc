#include "backup/archive_codec.h"

#include <algorithm>
#include <utility>

#include "crypto/primitives.h"

namespace coffer::backup {
namespace {

constexpr size_t kRootIdSize = 16;
constexpr size_t kMaxHeaderString = 256;
constexpr size_t kMaxVaultName = 127;
constexpr std::string_view kKeyInfoLabel = "coffer/vault-archive";

void AppendU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

uint32_t ReadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

void AppendField(std::string& out, std::string_view field) {
  AppendU32(out, static_cast<uint32_t>(field.size()));
  out.append(field);
}

// Printable ASCII, 1..max bytes, and (if `canonical`) no upper-case letters.
bool ValidString(std::string_view s, size_t max, bool canonical) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return c >= 0x20 && c <= 0x7e && !(canonical && c >= 'A' && c <= 'Z');
  });
}

bool ValidHeader(const ArchiveHeader& h) {
  return h.format_version == kArchiveFormatV1 && h.backup_root_id.size() == kRootIdSize &&
         h.salt.size() == kArchiveSaltSize && h.nonce_prefix.size() == kArchiveNoncePrefixSize &&
         ValidString(h.subscription_id, kMaxHeaderString, true) &&
         ValidString(h.geography, kMaxHeaderString, true) &&
         ValidString(h.source_vault, kMaxVaultName, false) && h.created >= 0 &&
         h.segment_size >= 1 && h.segment_size <= kMaxArchiveSegmentSize;
}

std::string EncodeHeader(const ArchiveHeader& h) {
  std::string out(kArchiveMagic);
  out.push_back(static_cast<char>(h.format_version));
  out += h.backup_root_id;
  out += h.salt;
  out += h.nonce_prefix;
  AppendField(out, h.subscription_id);
  AppendField(out, h.geography);
  AppendField(out, h.source_vault);
  uint64_t created = static_cast<uint64_t>(h.created);
  AppendU32(out, static_cast<uint32_t>(created >> 32));
  AppendU32(out, static_cast<uint32_t>(created));
  AppendU32(out, h.segment_size);
  return out;
}

// nonce = prefix(7) ‖ u32 index ‖ u8 last; associated data = header ‖ u32 index ‖ u8 last.
std::string SegmentTail(uint32_t index, bool last) {
  std::string tail;
  AppendU32(tail, index);
  tail.push_back(last ? 1 : 0);
  return tail;
}

Status NotAnArchive() {
  return MalformedArchiveError("this is not a Coffer vault archive, or its header is damaged");
}

// Reads exactly `n` bytes of the header; NotAnArchive if the source ends first.
Status TakeHeader(ByteSource& source, size_t n, std::string* bytes, std::string_view* got) {
  size_t at = bytes->size();
  bytes->resize(at + n);
  ASSIGN_OR_RETURN(size_t read, ReadFully(source, bytes->data() + at, n));
  if (read != n) return NotAnArchive();
  *got = std::string_view(*bytes).substr(at, n);
  return OkStatus();
}

Status TakeField(ByteSource& source, size_t max, std::string* bytes, std::string* field) {
  std::string_view raw;
  RETURN_IF_ERROR(TakeHeader(source, 4, bytes, &raw));
  uint32_t len = ReadU32(raw.data());
  if (len == 0 || len > max) return NotAnArchive();
  RETURN_IF_ERROR(TakeHeader(source, len, bytes, &raw));
  field->assign(raw);
  return OkStatus();
}

}  // namespace

Status MalformedArchiveError(std::string_view detail) {
  return InvalidArgumentError("The vault archive cannot be used: " + std::string(detail) + ".",
                              "BadParameter");
}

std::string ArchiveKeyInfo(const ArchiveHeader& h) {
  std::string info;
  AppendField(info, kKeyInfoLabel);
  AppendField(info, std::string(1, static_cast<char>(h.format_version)));
  AppendField(info, h.subscription_id);
  AppendField(info, h.geography);
  return info;
}

StatusOr<ArchiveHeader> ReadArchiveHeader(ByteSource& source, std::string* header_bytes) {
  header_bytes->clear();
  ArchiveHeader h;
  std::string_view raw;
  RETURN_IF_ERROR(TakeHeader(source, kArchiveMagic.size() + 1, header_bytes, &raw));
  if (raw.substr(0, kArchiveMagic.size()) != kArchiveMagic) return NotAnArchive();
  h.format_version = static_cast<uint8_t>(raw.back());
  if (h.format_version != kArchiveFormatV1) {
    return MalformedArchiveError("its format version " + std::to_string(h.format_version) +
                                 " is not supported by this server (it reads version 1)");
  }
  RETURN_IF_ERROR(TakeHeader(source, kRootIdSize, header_bytes, &raw));
  h.backup_root_id.assign(raw);
  RETURN_IF_ERROR(TakeHeader(source, kArchiveSaltSize, header_bytes, &raw));
  h.salt.assign(raw);
  RETURN_IF_ERROR(TakeHeader(source, kArchiveNoncePrefixSize, header_bytes, &raw));
  h.nonce_prefix.assign(raw);
  RETURN_IF_ERROR(TakeField(source, kMaxHeaderString, header_bytes, &h.subscription_id));
  RETURN_IF_ERROR(TakeField(source, kMaxHeaderString, header_bytes, &h.geography));
  RETURN_IF_ERROR(TakeField(source, kMaxVaultName, header_bytes, &h.source_vault));
  RETURN_IF_ERROR(TakeHeader(source, 12, header_bytes, &raw));
  h.created = static_cast<UnixSeconds>(uint64_t{ReadU32(raw.data())} << 32 |
                                       ReadU32(raw.data() + 4));
  h.segment_size = ReadU32(raw.data() + 8);
  if (!ValidHeader(h)) return NotAnArchive();
  return h;
}

// --- ArchiveSealer ---

ArchiveSealer::ArchiveSealer(std::string header_bytes, std::string nonce_prefix, SecretBytes key,
                             uint32_t segment_size, ByteSink& sink)
    : header_bytes_(std::move(header_bytes)),
      nonce_prefix_(std::move(nonce_prefix)),
      key_(std::move(key)),
      sink_(&sink),
      segment_(segment_size) {}

StatusOr<ArchiveSealer> ArchiveSealer::Start(const ArchiveHeader& header, SecretBytes key,
                                             ByteSink& sink) {
  if (!ValidHeader(header) || key.size() != crypto::kAes256KeySize) {
    return InvalidArgumentError("a vault archive header field is out of range", "BadParameter");
  }
  std::string bytes = EncodeHeader(header);
  RETURN_IF_ERROR(sink.Write(bytes));
  ArchiveSealer sealer(bytes, header.nonce_prefix, std::move(key), header.segment_size, sink);
  sealer.written_ = bytes.size();
  return sealer;
}

Status ArchiveSealer::Append(std::string_view plaintext) {
  if (finished_) return FailedPreconditionError("the archive is already finished");
  while (!plaintext.empty()) {
    // A full segment is sealed only once more plaintext shows it is not the last.
    if (fill_ == segment_.size()) RETURN_IF_ERROR(Seal(false));
    size_t take = std::min(plaintext.size(), segment_.size() - fill_);
    std::copy_n(plaintext.data(), take, segment_.chars() + fill_);
    fill_ += take;
    plaintext.remove_prefix(take);
  }
  return OkStatus();
}

Status ArchiveSealer::Finish() {
  if (finished_) return FailedPreconditionError("the archive is already finished");
  finished_ = true;
  return Seal(true);
}

Status ArchiveSealer::Seal(bool last) {
  if (index_ == UINT32_MAX) return InvalidArgumentError("the archive has too many segments");
  std::string tail = SegmentTail(index_, last);
  ASSIGN_OR_RETURN(std::string sealed,
                   crypto::AesGcmSeal(key_, nonce_prefix_ + tail, segment_.view().substr(0, fill_),
                                      header_bytes_ + tail));
  std::string length;
  AppendU32(length, static_cast<uint32_t>(sealed.size()));
  RETURN_IF_ERROR(sink_->Write(length));
  RETURN_IF_ERROR(sink_->Write(sealed));
  written_ += length.size() + sealed.size();
  SecureZero(segment_.chars(), fill_);
  fill_ = 0;
  ++index_;
  return OkStatus();
}

// --- ArchiveOpener ---

ArchiveOpener::ArchiveOpener(const ArchiveHeader& header, std::string header_bytes,
                             SecretBytes key, ByteSource& source)
    : header_bytes_(std::move(header_bytes)),
      nonce_prefix_(header.nonce_prefix),
      key_(std::move(key)),
      segment_size_(header.segment_size),
      source_(&source),
      read_(header_bytes_.size()) {}

StatusOr<std::string> ArchiveOpener::ReadSealed() {
  char length[4];
  ASSIGN_OR_RETURN(size_t got, ReadFully(*source_, length, 4));
  if (got == 0) return std::string();
  uint32_t n = got == 4 ? ReadU32(length) : 0;
  if (got != 4 || n < crypto::kGcmTagSize || n > segment_size_ + crypto::kGcmTagSize) {
    return MalformedArchiveError("segment " + std::to_string(index_ + (started_ ? 1 : 0)) +
                                 " has a damaged length");
  }
  std::string sealed(n, '\0');
  ASSIGN_OR_RETURN(got, ReadFully(*source_, sealed.data(), n));
  if (got != n) return MalformedArchiveError("it is truncated inside a segment");
  read_ += 4 + n;
  return sealed;
}

StatusOr<bool> ArchiveOpener::Next(SecretBytes* plaintext) {
  if (done_) return false;
  if (!started_) {
    ASSIGN_OR_RETURN(next_, ReadSealed());
    if (next_.empty()) return MalformedArchiveError("it has no segments (truncated)");
    started_ = true;
  }
  std::string sealed = std::move(next_);
  // The segment is the last exactly when nothing follows it.
  ASSIGN_OR_RETURN(next_, ReadSealed());
  bool last = next_.empty();
  auto open = [&](bool as_last) {
    std::string tail = SegmentTail(index_, as_last);
    return crypto::AesGcmOpen(key_, nonce_prefix_ + tail, sealed, header_bytes_ + tail);
  };
  auto opened = open(last);
  if (!opened.ok()) {
    // Tell a cut or an extended archive from a damaged one: the segment opens with the other
    // flag. Either way nothing of it is used.
    if (open(!last).ok()) {
      return MalformedArchiveError(last ? "it is truncated (it ends before its last segment)"
                                        : "it has bytes after its last segment");
    }
    return MalformedArchiveError("segment " + std::to_string(index_) +
                                 " failed integrity verification (wrong deployment key, or the "
                                 "archive was altered or reordered)");
  }
  size_t size = opened->size();
  if ((!last && size != segment_size_) || (last && size == 0 && index_ != 0)) {
    return MalformedArchiveError("segment " + std::to_string(index_) + " has the wrong size");
  }
  *plaintext = std::move(*opened);
  ++index_;
  done_ = last;
  return true;
}

// --- records ---

Status ArchiveRecordWriter::Add(uint8_t type, std::string_view body) {
  if (body.size() > kMaxArchiveRecordBytes) {
    return InvalidArgumentError("an archive record is larger than 16 MiB", "BadParameter");
  }
  std::string frame(1, static_cast<char>(type));
  AppendU32(frame, static_cast<uint32_t>(body.size()));
  RETURN_IF_ERROR(sealer_.Append(frame));
  return sealer_.Append(body);
}

StatusOr<bool> ArchiveRecordReader::Take(size_t n, char* out) {
  while (n > 0) {
    if (pos_ == segment_.size()) {
      pos_ = 0;
      ASSIGN_OR_RETURN(bool more, opener_.Next(&segment_));
      if (!more) {
        segment_.Wipe();
        return false;
      }
      continue;
    }
    size_t take = std::min(n, segment_.size() - pos_);
    std::copy_n(segment_.chars() + pos_, take, out);
    pos_ += take;
    out += take;
    n -= take;
  }
  return true;
}

StatusOr<bool> ArchiveRecordReader::Next(uint8_t* type, SecretBytes* body) {
  char frame[5];
  // The first byte may meet the end of the archive; anything after it may not.
  ASSIGN_OR_RETURN(bool more, Take(1, frame));
  if (!more) return false;
  ASSIGN_OR_RETURN(more, Take(4, frame + 1));
  uint32_t n = more ? ReadU32(frame + 1) : 0;
  if (!more || n > kMaxArchiveRecordBytes) {
    return MalformedArchiveError("a record is cut off or too large");
  }
  *type = static_cast<uint8_t>(frame[0]);
  *body = SecretBytes(n);
  ASSIGN_OR_RETURN(more, Take(n, body->chars()));
  if (!more) return MalformedArchiveError("a record is cut off");
  return true;
}

}  // namespace coffer::backup
