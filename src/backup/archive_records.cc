#include "backup/archive_records.h"

#include <utility>

#include "core/record_codec.h"
#include "model/object.h"
#include "vault/keyspace.h"
#include "vault/object_records.h"

namespace coffer::backup {
namespace {

constexpr size_t kHeadBatch = 128;
constexpr size_t kVersionBatch = 256;
constexpr uint8_t kLive = 0;
constexpr uint8_t kDeleted = 1;

Status Add(ArchiveRecordWriter& out, ArchiveRecordType type, std::string_view body) {
  return out.Add(static_cast<uint8_t>(type), body);
}

SecretBytes EncodeObjectRecord(model::ObjectKind kind, std::string_view name,
                               UnixSeconds created,
                               const std::optional<model::DeletedInfo>& deleted) {
  RecordWriter w;
  w.U8(static_cast<uint8_t>(kind));
  w.U8(deleted ? kDeleted : kLive);
  w.Bytes(name);
  w.I64(created);
  if (deleted) {
    w.I64(deleted->deleted_date);
    w.I64(deleted->scheduled_purge_date);
  }
  return w.Finish();
}

ArchiveRecordType PolicyType(model::ObjectKind kind) {
  return kind == model::ObjectKind::kKey ? ArchiveRecordType::kRotationPolicy
                                         : ArchiveRecordType::kCertificatePolicy;
}

Status DecodeObjectRecord(std::string_view body, ArchivedObject* o) {
  RecordReader r(body);
  uint8_t kind = 0;
  uint8_t state = 0;
  if (!r.U8(&kind).ok() || kind < 1 || kind > 3 || !r.U8(&state).ok() || state > kDeleted ||
      !r.String(&o->name, model::kMaxNameLength).ok() || o->name.empty() ||
      !r.I64(&o->created).ok()) {
    return MalformedArchiveError("an object record is malformed");
  }
  o->kind = static_cast<model::ObjectKind>(kind);
  if (state == kDeleted) {
    model::DeletedInfo d;
    if (!r.I64(&d.deleted_date).ok() || !r.I64(&d.scheduled_purge_date).ok()) {
      return MalformedArchiveError("an object record is malformed");
    }
    o->deleted = d;
  }
  if (!r.ExpectEnd().ok()) return MalformedArchiveError("an object record is malformed");
  return OkStatus();
}

// The policy record kept beside an object of `kind`, if any.
StatusOr<std::optional<SecretBytes>> ReadPolicy(barrier::Txn& t, std::string_view vault_id,
                                                model::ObjectKind kind, std::string_view mac) {
  if (kind == model::ObjectKind::kKey) {
    return t.Get(vault::Keyspace::RotationPolicyKey(vault_id, mac));
  }
  if (kind == model::ObjectKind::kCertificate) {
    return t.Get(vault::Keyspace::CertificatePolicyKey(vault_id, mac));
  }
  return std::optional<SecretBytes>();
}

// The records under `prefix` in key order, read `batch` at a time.
class Cursor {
 public:
  using Entry = std::pair<std::string, SecretBytes>;
  Cursor(barrier::Txn& t, std::string prefix, size_t batch)
      : t_(t), prefix_(std::move(prefix)), batch_(batch) {}

  const std::string& prefix() const { return prefix_; }
  // The current record (valid until Pop), or null past the last.
  StatusOr<const Entry*> Peek() {
    if (next_ == page_.size() && !done_) {
      std::string after = page_.empty() ? std::string() : std::move(page_.back().first);
      ASSIGN_OR_RETURN(page_, t_.Scan(prefix_, after, batch_));
      next_ = 0;
      done_ = page_.size() < batch_;
    }
    return next_ < page_.size() ? &page_[next_] : nullptr;
  }
  void Pop() { ++next_; }

 private:
  barrier::Txn& t_;
  const std::string prefix_;
  const size_t batch_;
  std::vector<Entry> page_;
  size_t next_ = 0;
  bool done_ = false;
};

// Every record under `prefix`, in key order, `batch` at a time.
Status ForEach(barrier::Txn& t, const std::string& prefix, size_t batch,
               const std::function<Status(std::string_view key, const SecretBytes&)>& each) {
  Cursor c(t, prefix, batch);
  while (true) {
    ASSIGN_OR_RETURN(const Cursor::Entry* e, c.Peek());
    if (e == nullptr) return OkStatus();
    RETURN_IF_ERROR(each(e->first, e->second));
    c.Pop();
  }
}

// The objects of one kind, live and deleted, in name-MAC order, each with its versions. One pass
// over the heads and one over the version area (a merge) instead of one version query an object.
Status ExportKind(barrier::Txn& t, std::string_view vault_id, model::ObjectKind kind,
                  ArchiveRecordWriter& out, ArchiveCounts& counts,
                  const std::function<void()>& after_object) {
  Cursor live(t, vault::Keyspace::LivePrefix(vault_id, kind), kHeadBatch);
  Cursor deleted(t, vault::Keyspace::DeletedPrefix(vault_id, kind), kHeadBatch);
  Cursor versions(t, vault::Keyspace::VersionAreaPrefix(vault_id, kind), kVersionBatch);
  while (true) {
    ASSIGN_OR_RETURN(const Cursor::Entry* l, live.Peek());
    ASSIGN_OR_RETURN(const Cursor::Entry* d, deleted.Peek());
    if (l == nullptr && d == nullptr) return OkStatus();
    std::string_view live_mac = l ? std::string_view(l->first).substr(live.prefix().size()) : "";
    std::string_view deleted_mac =
        d ? std::string_view(d->first).substr(deleted.prefix().size()) : "";
    if (l != nullptr && d != nullptr && live_mac == deleted_mac) {
      return DataLossError("an object is stored both live and deleted");
    }
    bool from_live = d == nullptr || (l != nullptr && live_mac < deleted_mac);
    Cursor& heads = from_live ? live : deleted;
    const Cursor::Entry& head_entry = from_live ? *l : *d;
    std::string mac(from_live ? live_mac : deleted_mac);

    ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(head_entry.second.view()));
    RETURN_IF_ERROR(Add(out, ArchiveRecordType::kObject,
                        EncodeObjectRecord(kind, head.name, head.created, head.deleted).view()));
    ASSIGN_OR_RETURN(auto policy, ReadPolicy(t, vault_id, kind, mac));
    if (policy) RETURN_IF_ERROR(Add(out, PolicyType(kind), policy->view()));
    const std::string own = vault::Keyspace::VersionPrefix(vault_id, kind, mac);
    uint64_t count = 0;
    while (true) {
      ASSIGN_OR_RETURN(const Cursor::Entry* v, versions.Peek());
      if (v == nullptr) break;
      if (v->first < own) {  // a version without a head is not part of any object: left out
        versions.Pop();
        continue;
      }
      if (!std::string_view(v->first).starts_with(own)) break;
      RETURN_IF_ERROR(Add(out, ArchiveRecordType::kVersion, v->second.view()));
      ++count;
      versions.Pop();
    }
    if (count == 0) return DataLossError("a stored object has no versions");
    heads.Pop();
    ++counts.objects;
    counts.versions += count;
    if (after_object) after_object();
  }
}

}  // namespace

StatusOr<ArchiveCounts> ExportVault(barrier::Txn& t, std::string_view vault_id,
                                    ArchiveRecordWriter& out,
                                    const std::function<void()>& after_object) {
  ArchiveCounts counts;
  for (model::ObjectKind kind : {model::ObjectKind::kSecret, model::ObjectKind::kKey,
                                 model::ObjectKind::kCertificate}) {
    RETURN_IF_ERROR(ExportKind(t, vault_id, kind, out, counts, after_object));
  }
  ASSIGN_OR_RETURN(auto contacts, t.Get(vault::Keyspace::CertificateContactsKey(vault_id)));
  if (contacts) RETURN_IF_ERROR(Add(out, ArchiveRecordType::kContacts, contacts->view()));
  RETURN_IF_ERROR(ForEach(t, vault::Keyspace::CertificateIssuerPrefix(vault_id), kHeadBatch,
                          [&](std::string_view, const SecretBytes& issuer) {
                            return Add(out, ArchiveRecordType::kIssuer, issuer.view());
                          }));
  RETURN_IF_ERROR(WriteArchiveEnd(out, counts));
  return counts;
}

Status WriteArchivedObject(ArchiveRecordWriter& out, const ArchivedObject& o) {
  RETURN_IF_ERROR(Add(out, ArchiveRecordType::kObject,
                      EncodeObjectRecord(o.kind, o.name, o.created, o.deleted).view()));
  if (o.policy) RETURN_IF_ERROR(Add(out, PolicyType(o.kind), o.policy->view()));
  for (const SecretBytes& v : o.versions) {
    RETURN_IF_ERROR(Add(out, ArchiveRecordType::kVersion, v.view()));
  }
  return OkStatus();
}

Status WriteArchiveEnd(ArchiveRecordWriter& out, const ArchiveCounts& counts) {
  RecordWriter end;
  end.U64(counts.objects);
  end.U64(counts.versions);
  return Add(out, ArchiveRecordType::kEnd, end.Finish().view());
}

StatusOr<ArchiveCounts> ReadVaultArchive(ArchiveRecordReader& in, const ArchiveVisitor& visit) {
  ArchiveCounts counts;
  std::optional<ArchivedObject> object;  // the object whose records are being read
  bool contacts_seen = false;
  auto flush = [&]() -> Status {
    if (!object) return OkStatus();
    if (object->versions.empty()) return MalformedArchiveError("an object has no versions");
    ++counts.objects;
    counts.versions += object->versions.size();
    Status s = visit.object ? visit.object(*object) : OkStatus();
    object.reset();
    return s;
  };
  uint8_t type = 0;
  SecretBytes body;
  while (true) {
    ASSIGN_OR_RETURN(bool more, in.Next(&type, &body));
    if (!more) return MalformedArchiveError("it ends without its end record (truncated)");
    switch (static_cast<ArchiveRecordType>(type)) {
      case ArchiveRecordType::kObject:
        RETURN_IF_ERROR(flush());
        object.emplace();
        RETURN_IF_ERROR(DecodeObjectRecord(body.view(), &*object));
        break;
      case ArchiveRecordType::kRotationPolicy:
      case ArchiveRecordType::kCertificatePolicy: {
        auto wanted = static_cast<ArchiveRecordType>(type) == ArchiveRecordType::kRotationPolicy
                          ? model::ObjectKind::kKey
                          : model::ObjectKind::kCertificate;
        if (!object || object->kind != wanted || object->policy || !object->versions.empty()) {
          return MalformedArchiveError("a policy record is out of place");
        }
        object->policy = std::move(body);
        break;
      }
      case ArchiveRecordType::kVersion:
        if (!object) return MalformedArchiveError("a version record is out of place");
        object->versions.push_back(std::move(body));
        break;
      case ArchiveRecordType::kContacts:
        RETURN_IF_ERROR(flush());
        if (contacts_seen) return MalformedArchiveError("it holds contacts twice");
        contacts_seen = true;
        if (visit.contacts) RETURN_IF_ERROR(visit.contacts(body));
        break;
      case ArchiveRecordType::kIssuer:
        RETURN_IF_ERROR(flush());
        if (visit.issuer) RETURN_IF_ERROR(visit.issuer(body));
        break;
      case ArchiveRecordType::kEnd: {
        RETURN_IF_ERROR(flush());
        RecordReader r(body.view());
        ArchiveCounts said;
        if (!r.U64(&said.objects).ok() || !r.U64(&said.versions).ok() || !r.ExpectEnd().ok() ||
            said.objects != counts.objects || said.versions != counts.versions) {
          return MalformedArchiveError("its end record does not match its contents");
        }
        ASSIGN_OR_RETURN(more, in.Next(&type, &body));
        if (more) return MalformedArchiveError("it has records after its end record");
        return counts;
      }
      default:
        return MalformedArchiveError("it holds a record of unknown type " +
                                     std::to_string(type));
    }
  }
}

}  // namespace coffer::backup
