#include "model/object.h"

#include "core/record_codec.h"
#include "model/record_parts.h"

namespace coffer::model {
namespace {

constexpr uint8_t kHeadRecordType = 0x10;
constexpr uint8_t kSecretVersionRecordType = 0x11;

}  // namespace

void WriteAttributes(RecordWriter& w, const Attributes& a) {
  w.Bool(a.enabled);
  w.OptI64(a.not_before);
  w.OptI64(a.expires);
  w.I64(a.created);
  w.I64(a.updated);
}

Status ReadAttributes(RecordReader& r, Attributes* a) {
  RETURN_IF_ERROR(r.Bool(&a->enabled));
  RETURN_IF_ERROR(r.OptI64(&a->not_before));
  RETURN_IF_ERROR(r.OptI64(&a->expires));
  RETURN_IF_ERROR(r.I64(&a->created));
  return r.I64(&a->updated);
}

Status ReadPreamble(RecordReader& r, uint8_t want_type, uint8_t max_format,
                    uint8_t* format_out) {
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != want_type) return DataLossError("record has an unexpected type");
  if (format < kRecordFormatV1 || format > max_format) {
    return DataLossError("record has an unknown format version");
  }
  if (format_out != nullptr) *format_out = format;
  return OkStatus();
}

namespace {
struct KindEntry {
  ObjectKind kind;
  char tag;
  std::string_view name;
  std::string_view word;
};
constexpr KindEntry kKinds[] = {
    {ObjectKind::kSecret, 's', "secret", "Secret"},
    {ObjectKind::kKey, 'k', "key", "Key"},
    {ObjectKind::kCertificate, 'c', "certificate", "Certificate"},
};
const KindEntry& EntryOf(ObjectKind kind) {
  for (const auto& e : kKinds) {
    if (e.kind == kind) return e;
  }
  static constexpr KindEntry kUnknown{ObjectKind::kSecret, '?', "object", "Object"};
  return kUnknown;
}
}  // namespace

char ObjectKindTag(ObjectKind kind) { return EntryOf(kind).tag; }

StatusOr<ObjectKind> ObjectKindFromTag(char tag) {
  for (const auto& e : kKinds) {
    if (e.tag == tag) return e.kind;
  }
  return DataLossError("a storage key names an unknown object kind");
}

std::string_view ObjectKindName(ObjectKind kind) { return EntryOf(kind).name; }

std::string_view ObjectKindWord(ObjectKind kind) { return EntryOf(kind).word; }

SecretBytes EncodeObjectHead(const ObjectHead& head) {
  RecordWriter w;
  w.U8(kHeadRecordType);
  w.U8(kRecordFormatV1);
  w.Bytes(head.name);
  w.Bytes(head.latest_version);
  w.U64(head.latest_sequence);
  w.U64(head.next_sequence);
  w.I64(head.created);
  w.Bool(head.deleted.has_value());
  if (head.deleted) {
    w.I64(head.deleted->deleted_date);
    w.I64(head.deleted->scheduled_purge_date);
  }
  return w.Finish();
}

StatusOr<ObjectHead> DecodeObjectHead(std::string_view record) {
  RecordReader r(record);
  RETURN_IF_ERROR(ReadPreamble(r, kHeadRecordType));
  ObjectHead h;
  RETURN_IF_ERROR(r.String(&h.name, kMaxNameLength));
  RETURN_IF_ERROR(r.String(&h.latest_version, 64));
  RETURN_IF_ERROR(r.U64(&h.latest_sequence));
  RETURN_IF_ERROR(r.U64(&h.next_sequence));
  RETURN_IF_ERROR(r.I64(&h.created));
  bool deleted = false;
  RETURN_IF_ERROR(r.Bool(&deleted));
  if (deleted) {
    DeletedInfo d;
    RETURN_IF_ERROR(r.I64(&d.deleted_date));
    RETURN_IF_ERROR(r.I64(&d.scheduled_purge_date));
    h.deleted = d;
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return h;
}

SecretBytes EncodeSecretVersion(const SecretVersion& v) {
  RecordWriter w;
  w.U8(kSecretVersionRecordType);
  w.U8(kRecordFormatV1);
  w.Bytes(v.version);
  w.U64(v.sequence);
  w.Bytes(v.value.view());
  w.Bytes(v.content_type);
  w.StringMap(v.tags);
  WriteAttributes(w, v.attributes);
  w.Bool(v.managed);
  w.Bytes(v.key_id);
  return w.Finish();
}

StatusOr<SecretVersion> DecodeSecretVersion(std::string_view record) {
  RecordReader r(record);
  RETURN_IF_ERROR(ReadPreamble(r, kSecretVersionRecordType));
  SecretVersion v;
  RETURN_IF_ERROR(r.String(&v.version, 64));
  RETURN_IF_ERROR(r.U64(&v.sequence));
  RETURN_IF_ERROR(r.Secret(&v.value, 1 << 20));
  RETURN_IF_ERROR(r.String(&v.content_type, 4096));
  RETURN_IF_ERROR(r.StringMap(&v.tags, 1024));
  RETURN_IF_ERROR(ReadAttributes(r, &v.attributes));
  RETURN_IF_ERROR(r.Bool(&v.managed));
  RETURN_IF_ERROR(r.String(&v.key_id, 64));
  RETURN_IF_ERROR(r.ExpectEnd());
  return v;
}

}  // namespace coffer::model
