// Helpers shared by the object services and the sweeper: read and write heads and versions
// inside a barrier transaction, and messages for the common errors.
// Thread-safety: stateless functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "barrier/barrier.h"
#include "model/key_version.h"
#include "model/object.h"
#include "model/vault_record.h"

namespace coffer::vault {

StatusOr<std::optional<model::ObjectHead>> ReadHead(barrier::Txn& t, std::string_view key);
Status WriteHead(barrier::Txn& t, std::string_view key, const model::ObjectHead& head);
StatusOr<std::optional<model::SecretVersion>> ReadSecretVersion(barrier::Txn& t,
                                                                std::string_view key);

StatusOr<std::optional<model::KeyVersion>> ReadKeyVersion(barrier::Txn& t, std::string_view key);
StatusOr<std::optional<model::RotationPolicy>> ReadRotationPolicy(barrier::Txn& t,
                                                                  std::string_view key);

// Display word for a kind: "Secret", "Key", "Certificate".
std::string_view KindWord(model::ObjectKind kind);

Status ObjectNotFound(model::ObjectKind kind, std::string_view name);
Status DeletedObjectNotFound(model::ObjectKind kind, std::string_view name);
Status VersionNotFound(model::ObjectKind kind, std::string_view name, std::string_view version);
Status ObjectIsDeleted(model::ObjectKind kind, std::string_view name);
Status PurgeProtected();

// Removes a soft-deleted object's head, versions and due entry (inside t); for keys also the
// rotation policy and its rotation due entry.
Status PurgeObject(barrier::Txn& t, std::string_view vault_id, model::ObjectKind kind,
                   std::string_view mac, const model::ObjectHead& head);

}  // namespace coffer::vault
