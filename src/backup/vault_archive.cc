#include "backup/vault_archive.h"

#include <memory>
#include <optional>
#include <utility>

#include "backup/backup_binding.h"
#include "core/encoding.h"
#include "vault/txn_effects.h"

namespace coffer::backup {
namespace {

constexpr size_t kMaxSelectionItems = 1000;

Status BadSelection(std::string_view entry) {
  return InvalidArgumentError(
      "The objects parameter entry '" + std::string(entry.substr(0, 200)) +
          "' is not valid: use a comma-separated list of secrets/<name>, keys/<name> and "
          "certificates/<name>.",
      "BadParameter");
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string KindNoun(model::ObjectKind kind) { return std::string(model::ObjectKindName(kind)); }

// The selected item that takes `o`: its own, or (for a certificate's managed key or secret) its
// certificate's. Null when none does.
const ArchiveSelection::Item* Selecting(const ArchiveSelection& s, const ArchivedObject& o,
                                        bool managed) {
  for (const ArchiveSelection::Item& item : s.items) {
    if (!EqualsIgnoreCase(item.name, o.name)) continue;
    bool own = item.kind == o.kind && !managed;
    bool by_certificate = managed && item.kind == model::ObjectKind::kCertificate;
    if (own || by_certificate) return &item;
  }
  return nullptr;
}

bool Conflicted(const std::vector<RestoreConflict>& conflicts, const ArchiveSelection::Item& i) {
  for (const RestoreConflict& c : conflicts) {
    if (c.kind == i.kind && EqualsIgnoreCase(c.name, i.name)) return true;
  }
  return false;
}

}  // namespace

StatusOr<ArchiveSelection> ArchiveSelection::Parse(std::string_view text) {
  ArchiveSelection out;
  if (Trim(text).empty()) return out;
  while (true) {
    size_t comma = text.find(',');
    std::string_view entry = Trim(text.substr(0, comma));
    size_t slash = entry.find('/');
    if (slash == std::string_view::npos) return BadSelection(entry);
    std::string_view kind = entry.substr(0, slash);
    Item item;
    item.name = std::string(entry.substr(slash + 1));
    if (EqualsIgnoreCase(kind, "secrets")) {
      item.kind = model::ObjectKind::kSecret;
    } else if (EqualsIgnoreCase(kind, "keys")) {
      item.kind = model::ObjectKind::kKey;
    } else if (EqualsIgnoreCase(kind, "certificates")) {
      item.kind = model::ObjectKind::kCertificate;
    } else {
      return BadSelection(entry);
    }
    if (!vault::ValidateObjectName(item.name, KindNoun(item.kind)).ok()) {
      return BadSelection(entry);
    }
    bool repeated = false;
    for (const Item& i : out.items) {
      repeated = repeated || (i.kind == item.kind && EqualsIgnoreCase(i.name, item.name));
    }
    if (!repeated) out.items.push_back(std::move(item));
    if (out.items.size() > kMaxSelectionItems) {
      return InvalidArgumentError("The objects parameter selects more than 1000 objects.",
                                  "BadParameter");
    }
    if (comma == std::string_view::npos) return out;
    text.remove_prefix(comma + 1);
  }
}

struct VaultArchiver::Opened {
  std::unique_ptr<ArchiveOpener> opener;
  std::string header_bytes;  // as read: its random salt and nonce prefix name the archive
};

VaultArchiver::VaultArchiver(barrier::Barrier& barrier, Random& rng, const Clock& clock,
                             const vault::KindTraits<model::KeyVersion>& key_traits,
                             uint32_t segment_size)
    : barrier_(barrier),
      rng_(rng),
      clock_(clock),
      keys_(barrier),
      importer_(keys_, key_traits),
      segment_size_(segment_size) {}

StatusOr<ArchiveSummary> VaultArchiver::Backup(const model::VaultRecord& vault, ByteSink& sink,
                                               const std::function<void()>& after_object) const {
  ASSIGN_OR_RETURN(BackupBinding binding, BindingOf(barrier_, vault));
  ArchiveHeader h;
  h.backup_root_id = std::move(binding.backup_root_id);
  h.subscription_id = std::move(binding.subscription_id);
  h.geography = std::move(binding.geography);
  h.salt = rng_.Bytes(kArchiveSaltSize);
  h.nonce_prefix = rng_.Bytes(kArchiveNoncePrefixSize);
  h.source_vault = vault.name;
  h.created = clock_.Now();
  h.segment_size = segment_size_;
  ASSIGN_OR_RETURN(SecretBytes key, barrier_.DeriveBackupKey(h.salt, ArchiveKeyInfo(h)));
  ASSIGN_OR_RETURN(ArchiveSealer sealer, ArchiveSealer::Start(h, std::move(key), sink));
  ArchiveRecordWriter writer(sealer);
  ASSIGN_OR_RETURN(ArchiveCounts counts, vault::ReadInTxn(barrier_, [&](barrier::Txn& t) {
                     return ExportVault(t, vault.id, writer, after_object);
                   }));
  RETURN_IF_ERROR(sealer.Finish());
  return ArchiveSummary{counts, sealer.bytes_written()};
}

StatusOr<VaultArchiver::Opened> VaultArchiver::Open(const model::VaultRecord& target,
                                                    ByteSource& source) const {
  std::string header_bytes;
  ASSIGN_OR_RETURN(ArchiveHeader h, ReadArchiveHeader(source, &header_bytes));
  RETURN_IF_ERROR(CheckBinding(barrier_, {h.backup_root_id, h.subscription_id, h.geography},
                               target));
  ASSIGN_OR_RETURN(SecretBytes key, barrier_.DeriveBackupKey(h.salt, ArchiveKeyInfo(h)));
  auto opener = std::make_unique<ArchiveOpener>(h, header_bytes, std::move(key), source);
  return Opened{std::move(opener), std::move(header_bytes)};
}

StatusOr<ArchiveSummary> VaultArchiver::Verify(const model::VaultRecord& target,
                                               ByteSource& source,
                                               const ArchiveSelection& selection) const {
  ASSIGN_OR_RETURN(Opened opened, Open(target, source));
  ArchiveRecordReader reader(*opened.opener);
  std::vector<bool> found(selection.items.size(), false);
  ArchiveVisitor visit;
  visit.object = [&](ArchivedObject& o) -> Status {
    RETURN_IF_ERROR(importer_.Check(o));
    if (selection.all()) return OkStatus();
    ASSIGN_OR_RETURN(bool managed, importer_.Managed(o));
    for (size_t i = 0; i < selection.items.size(); ++i) {
      const ArchiveSelection::Item& item = selection.items[i];
      if (item.kind != o.kind || !EqualsIgnoreCase(item.name, o.name)) continue;
      if (managed) {
        return InvalidArgumentError(
            "The " + KindNoun(o.kind) + " '" + o.name + "' in the archive belongs to the "
            "certificate of that name; select certificates/" + o.name + " to restore it.",
            "BadParameter");
      }
      found[i] = true;
    }
    return OkStatus();
  };
  visit.contacts = [&](const SecretBytes& r) { return importer_.CheckContacts(r); };
  visit.issuer = [&](const SecretBytes& r) { return importer_.CheckIssuer(r); };
  ASSIGN_OR_RETURN(ArchiveCounts counts, ReadVaultArchive(reader, visit));
  for (size_t i = 0; i < found.size(); ++i) {
    if (found[i]) continue;
    const ArchiveSelection::Item& item = selection.items[i];
    return InvalidArgumentError("The archive holds no " + KindNoun(item.kind) + " named '" +
                                    item.name + "'.",
                                "BadParameter");
  }
  return ArchiveSummary{counts, opened.opener->bytes_read()};
}

Status VaultArchiver::CheckEmptyIn(barrier::Txn& t, const model::VaultRecord& target) const {
  for (model::ObjectKind kind : {model::ObjectKind::kSecret, model::ObjectKind::kKey,
                                 model::ObjectKind::kCertificate}) {
    for (const std::string& prefix : {vault::Keyspace::LivePrefix(target.id, kind),
                                      vault::Keyspace::DeletedPrefix(target.id, kind)}) {
      ASSIGN_OR_RETURN(auto any, t.ScanKeys(prefix, "", 1));
      if (!any.empty()) {
        return AlreadyExistsError(
            "The vault '" + target.name + "' is not empty (it holds secrets, keys or "
            "certificates, live or deleted): a whole archive can only be restored into an "
            "empty vault. Select objects with &objects=secrets/<name>,keys/<name>,"
            "certificates/<name>, or restore into a new vault.",
            "Conflict");
      }
    }
  }
  return OkStatus();
}

Status VaultArchiver::CheckEmpty(const model::VaultRecord& target) const {
  return barrier_.View([&](barrier::Txn& t) { return CheckEmptyIn(t, target); });
}

StatusOr<std::vector<RestoreConflict>> VaultArchiver::Conflicts(
    barrier::Txn& t, const model::VaultRecord& target, const ArchiveSelection& selection) const {
  std::vector<RestoreConflict> out;
  for (const ArchiveSelection::Item& item : selection.items) {
    std::vector<model::ObjectKind> kinds = {item.kind};
    if (item.kind == model::ObjectKind::kCertificate) {
      kinds.push_back(model::ObjectKind::kKey);
      kinds.push_back(model::ObjectKind::kSecret);
    }
    for (model::ObjectKind kind : kinds) {
      ASSIGN_OR_RETURN(vault::ObjectLocation loc, keys_.Locate(target.id, kind, item.name));
      ASSIGN_OR_RETURN(auto live, t.ScanKeys(loc.live_key, "", 1));
      ASSIGN_OR_RETURN(auto deleted, t.ScanKeys(loc.deleted_key, "", 1));
      bool is_live = !live.empty() && live.front() == loc.live_key;
      bool is_deleted = !deleted.empty() && deleted.front() == loc.deleted_key;
      if (!is_live && !is_deleted) continue;
      std::string what = "A " + KindNoun(kind) + " named '" + item.name + "' ";
      std::string reason = is_live ? what + "exists in the vault."
                                   : what + "is deleted but recoverable in the vault; recover "
                                            "or purge it first.";
      if (kind != item.kind) reason += " A certificate's managed key and secret take its name.";
      out.push_back(RestoreConflict{item.kind, item.name, std::move(reason)});
      break;
    }
  }
  return out;
}

StatusOr<RestoreOutcome> VaultArchiver::Restore(const model::VaultRecord& target,
                                                const ByteSourceOpener& open,
                                                const ArchiveSelection& selection) const {
  RestoreOutcome out;
  std::optional<std::string> first_header;  // the header the first run read
  RETURN_IF_ERROR(vault::UpdateWithEffects(barrier_, [&](barrier::Txn& t,
                                                         vault::TxnEffects& effects) -> Status {
    // The engine may run this function again after a conflict: each run starts from nothing —
    // its own outcome, the archive opened again at its first byte, every segment verified
    // again — and only the last run commits.
    out = RestoreOutcome{};
    ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, open());
    ASSIGN_OR_RETURN(Opened opened, Open(target, *source));
    if (!first_header) {
      first_header = opened.header_bytes;
    } else if (*first_header != opened.header_bytes) {
      // Every segment is bound to its header, so the same header means the same archive.
      return Status(StatusCode::kAborted,
                    "The archive changed while it was being restored; nothing was restored. "
                    "Start the restore again.",
                    "Conflict");
    }
    if (selection.all()) {
      RETURN_IF_ERROR(CheckEmptyIn(t, target));
    } else {
      ASSIGN_OR_RETURN(out.conflicts, Conflicts(t, target, selection));
    }
    ArchiveRecordReader reader(*opened.opener);
    ArchiveVisitor visit;
    visit.object = [&](ArchivedObject& o) -> Status {
      if (!selection.all()) {
        ASSIGN_OR_RETURN(bool managed, importer_.Managed(o));
        const ArchiveSelection::Item* item = Selecting(selection, o, managed);
        if (item == nullptr || Conflicted(out.conflicts, *item)) return OkStatus();
      }
      RETURN_IF_ERROR(importer_.Write(t, effects, target, o));
      ++out.restored;
      return OkStatus();
    };
    if (selection.all()) {
      visit.contacts = [&](const SecretBytes& r) {
        return importer_.WriteContacts(t, target, r).status();
      };
      visit.issuer = [&](const SecretBytes& r) {
        return importer_.WriteIssuer(t, target, r).status();
      };
    }
    // Every segment up to the last is verified before this returns, so before the commit.
    return ReadVaultArchive(reader, visit).status();
  }));
  return out;
}

}  // namespace coffer::backup
