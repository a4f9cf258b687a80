#include "vault/secret_service.h"

#include "core/encoding.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::ObjectKind;
constexpr ObjectKind kKind = ObjectKind::kSecret;


namespace {

Status ValidateTags(const model::Tags& tags) {
  if (tags.size() > model::kMaxTags) {
    return InvalidArgumentError("A secret may have at most 15 tags.", "BadParameter");
  }
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > model::kMaxTagNameLength || v.size() > model::kMaxTagValueLength) {
      return InvalidArgumentError(
          "Tag names must be 1-512 characters and tag values at most 256 characters.",
          "BadParameter");
    }
  }
  return OkStatus();
}

Status ValidateContentType(const std::string& ct) {
  if (ct.size() > model::kMaxContentTypeLength) {
    return InvalidArgumentError("contentType must be at most 255 characters.", "BadParameter");
  }
  return OkStatus();
}

Status ValidateVersionSyntax(std::string_view name, std::string_view version) {
  if (version.empty() || IsVersionId(version)) return OkStatus();
  return ObjectNotFound(kKind, std::string(name) + "/" + std::string(version));
}

}  // namespace

SecretService::SecretService(barrier::Barrier& barrier, const Clock& clock, Random& rng)
    : barrier_(barrier), clock_(clock), rng_(rng), keys_(barrier) {}

StatusOr<SecretView> SecretService::Set(const model::VaultRecord& vault, std::string_view name,
                                        SecretSetParams params) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  if (params.value.size() > model::kMaxSecretValueBytes) {
    return InvalidArgumentError("The secret value is " + std::to_string(params.value.size()) +
                                    " bytes; the limit is 25600 bytes.",
                                "BadParameter");
  }
  if (params.content_type) RETURN_IF_ERROR(ValidateContentType(*params.content_type));
  if (params.tags) RETURN_IF_ERROR(ValidateTags(*params.tags));

  UnixSeconds now = clock_.Now();
  model::SecretVersion version;
  version.version = EncodeHex(rng_.Bytes(16));
  version.value = std::move(params.value);
  version.content_type = params.content_type.value_or("");
  version.tags = params.tags.value_or(model::Tags{});
  version.attributes.enabled = params.enabled.value_or(true);
  version.attributes.not_before = params.not_before;
  version.attributes.expires = params.expires;
  version.attributes.created = now;
  version.attributes.updated = now;

  SecretView out;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto deleted, ReadHead(t, loc.deleted_key));
    if (deleted) return ObjectIsDeleted(kKind, deleted->name);
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) {
      head = model::ObjectHead{};
      head->name = std::string(name);
      head->created = now;
    }
    version.sequence = head->next_sequence++;
    head->latest_version = version.version;
    head->latest_sequence = version.sequence;
    RETURN_IF_ERROR(t.Put(Keyspace::VersionKey(vault.id, kKind, loc.mac, version.version),
                          model::EncodeSecretVersion(version)));
    RETURN_IF_ERROR(WriteHead(t, loc.live_key, *head));
    out.name = head->name;
    return OkStatus();
  }));
  out.version = std::move(version);
  return out;
}

StatusOr<SecretView> SecretService::Get(const model::VaultRecord& vault, std::string_view name,
                                        std::string_view version) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(name, version));
  SecretView out;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    std::string want = version.empty() ? head->latest_version : std::string(version);
    ASSIGN_OR_RETURN(auto v, ReadSecretVersion(
                                 t, Keyspace::VersionKey(vault.id, kKind, loc.mac, want)));
    if (!v) return VersionNotFound(kKind, name, version);
    out.name = head->name;
    out.version = std::move(*v);
    return OkStatus();
  }));
  if (!out.version.attributes.enabled) {
    return PermissionDeniedError("Operation get is not allowed on a disabled secret.",
                                 "SecretDisabled");
  }
  return out;
}

StatusOr<SecretView> SecretService::Update(const model::VaultRecord& vault, std::string_view name,
                                           std::string_view version, const SecretPatch& patch) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  RETURN_IF_ERROR(ValidateVersionSyntax(name, version));
  if (patch.content_type) RETURN_IF_ERROR(ValidateContentType(*patch.content_type));
  if (patch.tags) RETURN_IF_ERROR(ValidateTags(*patch.tags));
  SecretView out;
  RETURN_IF_ERROR(barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    std::string want = version.empty() ? head->latest_version : std::string(version);
    std::string vkey = Keyspace::VersionKey(vault.id, kKind, loc.mac, want);
    ASSIGN_OR_RETURN(auto v, ReadSecretVersion(t, vkey));
    if (!v) return VersionNotFound(kKind, name, version);
    if (patch.content_type) v->content_type = *patch.content_type;
    if (patch.tags) v->tags = *patch.tags;
    if (patch.enabled) v->attributes.enabled = *patch.enabled;
    if (patch.not_before) v->attributes.not_before = *patch.not_before;
    if (patch.expires) v->attributes.expires = *patch.expires;
    v->attributes.updated = clock_.Now();
    RETURN_IF_ERROR(t.Put(vkey, model::EncodeSecretVersion(*v)));
    out.name = head->name;
    out.version = std::move(*v);
    return OkStatus();
  }));
  return out;
}

StatusOr<SecretPage> SecretService::List(const model::VaultRecord& vault, size_t max_results,
                                         std::string_view page_token) {
  SecretPage page;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(
        page.next_token,
        ScanPage(t, keys_, vault.id + "/secrets", Keyspace::LivePrefix(vault.id, kKind),
                 page_token, max_results, [&](std::string_view mac, const SecretBytes& record) {
                   ASSIGN_OR_RETURN(model::ObjectHead head, model::DecodeObjectHead(record.view()));
                   ASSIGN_OR_RETURN(auto v, ReadSecretVersion(t, Keyspace::VersionKey(
                                                                     vault.id, kKind, mac,
                                                                     head.latest_version)));
                   if (!v) return DataLossError("a secret's latest version is missing");
                   v->value.Wipe();
                   page.items.push_back(SecretView{head.name, std::move(*v), std::nullopt});
                   return OkStatus();
                 }));
    return OkStatus();
  }));
  return page;
}

StatusOr<SecretPage> SecretService::ListVersions(const model::VaultRecord& vault,
                                                 std::string_view name, size_t max_results,
                                                 std::string_view page_token) {
  ASSIGN_OR_RETURN(ObjectLocation loc, keys_.Locate(vault.id, kKind, name));
  SecretPage page;
  RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (!head) return ObjectNotFound(kKind, name);
    ASSIGN_OR_RETURN(
        page.next_token,
        ScanPage(t, keys_, vault.id + "/secret-versions/" + loc.mac,
                 Keyspace::VersionPrefix(vault.id, kKind, loc.mac), page_token, max_results,
                 [&](std::string_view, const SecretBytes& record) {
                   ASSIGN_OR_RETURN(model::SecretVersion v,
                                    model::DecodeSecretVersion(record.view()));
                   v.value.Wipe();
                   page.items.push_back(SecretView{head->name, std::move(v), std::nullopt});
                   return OkStatus();
                 }));
    return OkStatus();
  }));
  return page;
}

}  // namespace coffer::vault
