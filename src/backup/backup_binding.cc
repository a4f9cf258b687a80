#include "backup/backup_binding.h"

#include "backup/blob_codec.h"

namespace coffer::backup {
namespace {

Status UnknownRegion(const model::VaultRecord& vault) {
  return FailedPreconditionError("The vault '" + vault.name + "' is in location '" +
                                     vault.location +
                                     "', which is not in the region catalogue; its geography "
                                     "is unknown, so backups cannot be bound to it.",
                                 "BadParameter");
}

}  // namespace

StatusOr<BackupBinding> BindingOf(const barrier::Barrier& barrier,
                                  const model::VaultRecord& vault) {
  BackupBinding b;
  b.geography = CanonicalGeography(vault.location);
  if (b.geography.empty()) return UnknownRegion(vault);
  b.subscription_id = CanonicalSubscription(vault.subscription_id);
  ASSIGN_OR_RETURN(b.backup_root_id, barrier.BackupRootId());
  return b;
}

Status CheckBinding(const barrier::Barrier& barrier, const BackupBinding& made,
                    const model::VaultRecord& target) {
  ASSIGN_OR_RETURN(std::string root_id, barrier.BackupRootId());
  if (made.backup_root_id != root_id) {
    return InvalidArgumentError(
        "This backup was made by another Coffer deployment and cannot be restored here.",
        "BadParameter");
  }
  std::string subscription = CanonicalSubscription(target.subscription_id);
  if (made.subscription_id != subscription) {
    return InvalidArgumentError(
        "This backup belongs to subscription " + made.subscription_id + " and can only be "
        "restored into a vault of that subscription; vault '" + target.name +
        "' is in subscription " + subscription + ".",
        "BadParameter");
  }
  std::string geography = CanonicalGeography(target.location);
  if (geography.empty()) return UnknownRegion(target);
  if (made.geography != geography) {
    return InvalidArgumentError(
        "This backup was made in the " + GeographyDisplayName(made.geography) +
            " geography and can only be restored into a vault in that geography; vault '" +
            target.name + "' is in " + target.location + " (" + GeographyDisplayName(geography) +
            " geography).",
        "BadParameter");
  }
  return OkStatus();
}

}  // namespace coffer::backup
