// Where a backup may be restored: the deployment (its backup root), the subscription and the
// geography it was bound to when it was made (DESIGN.md §5 "Backup blob keys"). Per-object
// blobs and whole-vault archives carry the same binding and are refused with the same messages.
//
// Thread-safety: stateless functions.
#pragma once

#include <string>

#include "barrier/barrier.h"
#include "core/status.h"
#include "model/vault_record.h"

namespace coffer::backup {

struct BackupBinding {
  std::string backup_root_id;   // 16 bytes
  std::string subscription_id;  // canonical: lowercase GUID
  std::string geography;        // canonical: lowercase catalogue geography
};

// The binding of a new backup of `vault`. FailedPrecondition [BadParameter] when the vault's
// region is not in the catalogue (its geography is unknown); Unavailable when sealed.
StatusOr<BackupBinding> BindingOf(const barrier::Barrier& barrier, const model::VaultRecord& vault);

// Whether a backup bound to `made` may be restored into `target`, checked in this order:
// deployment, subscription, geography. InvalidArgument [BadParameter] whose message names the
// deployment, the "subscription" or the "geography" otherwise.
Status CheckBinding(const barrier::Barrier& barrier, const BackupBinding& made,
                    const model::VaultRecord& target);

}  // namespace coffer::backup
