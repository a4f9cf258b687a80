// CertificateService: the lifetime actions of certificate policies, taken by the sweeper when a
// certificate's "due/…/l/…" entry comes due (the schedule itself is certificate_schedule.cc).
// EmailContacts is recorded through the caller's notifier (the audit log; no email is sent) and
// then marked taken; AutoRenew issues a new version through the create path (MakeVersion and
// WriteVersion, certificate_create.cc), so the certificate, its managed key and secret and the
// operation are written in one transaction, exactly as a create would write them.
#include "core/log.h"
#include "vault/certificate_service.h"
#include "vault/object_records.h"

namespace coffer::vault {

using model::CertificateActionType;

namespace {

constexpr model::ObjectKind kKind = model::ObjectKind::kCertificate;

std::string_view ActionName(CertificateActionType a) {
  return a == CertificateActionType::kAutoRenew ? "AutoRenew" : "EmailContacts";
}

// What one pass found due for a certificate, read in one transaction.
struct DueNow {
  bool stale = true;  // nothing to do but settle the entry
  std::string name;
  model::CertificateVersion latest;
  std::optional<model::CertificatePolicy> policy;
  std::vector<PendingLifetimeAction> actions;
};

}  // namespace

StatusOr<std::string> CertificateService::Renew(const Locations& locs, std::string_view name,
                                                const model::CertificateVersion& latest,
                                                const model::CertificatePolicy& policy,
                                                UnixSeconds now) {
  std::optional<crypto::KeyMaterial> reuse;
  if (policy.reuse_key) {
    RETURN_IF_ERROR(barrier_.View([&](barrier::Txn& t) -> Status {
      ASSIGN_OR_RETURN(reuse, ReusableKey(t, locs, name, latest.version, policy));
      return OkStatus();
    }));
  }
  ASSIGN_OR_RETURN(NewVersion made,
                   MakeVersion(policy, "Self", latest.tags, /*enabled=*/true, std::move(reuse),
                               now, /*issue_now=*/true));
  return WriteInTxn(barrier_, [&](barrier::Txn& t, TxnEffects& effects) -> StatusOr<std::string> {
    // Made outside the transaction: write it only if nothing moved meanwhile (another node's
    // sweeper renewed it, a create or import added a version, the policy changed).
    ASSIGN_OR_RETURN(auto head, ReadHead(t, locs.cert.live_key));
    if (!head || head->latest_version != latest.version) return std::string();
    ASSIGN_OR_RETURN(auto stored_policy, ReadPolicy(t, locs.cert));
    if (!stored_policy || stored_policy->updated != policy.updated) return std::string();
    ASSIGN_OR_RETURN(auto written, WriteVersion(t, effects, locs, name, made, *stored_policy));
    return written.version.version;
  });
}

Status CertificateService::RunLifetimeActions(const model::VaultRecord& vault,
                                              std::string_view mac, std::string_view due_key,
                                              UnixSeconds due, UnixSeconds now,
                                              const LifetimeActionNotifier& notify) {
  ObjectLocation loc = Keyspace::At(vault.id, kKind, mac);
  ASSIGN_OR_RETURN(DueNow found, ReadInTxn(barrier_, [&](barrier::Txn& t) -> StatusOr<DueNow> {
    DueNow d;
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    ASSIGN_OR_RETURN(auto schedule, ReadCertificateSchedule(t, loc));
    if (!head || !schedule || schedule->due != due || due > now) return d;
    ASSIGN_OR_RETURN(auto latest, store_.ReadLatest(t, loc, head->name));
    if (latest.version.version != schedule->version) return d;
    d.stale = false;
    d.name = head->name;
    d.latest = std::move(latest.version);
    ASSIGN_OR_RETURN(d.policy, ReadPolicy(t, loc));
    for (const PendingLifetimeAction& p : PendingLifetimeActions(d.policy, d.latest, schedule)) {
      if (p.at <= now) d.actions.push_back(p);
    }
    return d;
  }));

  // Marks `action` taken for the version found, if it is still the latest.
  auto mark_done = [&](CertificateActionType action) {
    return UpdateWithEffects(barrier_, [&](barrier::Txn& t, TxnEffects&) -> Status {
      ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
      if (!head || head->latest_version != found.latest.version) return OkStatus();
      return MarkLifetimeActionDone(t, loc, found.latest, action);
    });
  };
  for (const PendingLifetimeAction& p : found.actions) {
    LifetimeActionEvent event{vault.name, found.name, found.latest.version, p.action, {}, ""};
    if (p.action == CertificateActionType::kEmailContacts) {
      auto contacts = GetContacts(vault);
      if (!contacts.ok() && contacts.status().code() != StatusCode::kNotFound) {
        return contacts.status();
      }
      if (contacts.ok()) {
        for (const auto& c : *contacts) event.emails.push_back(c.email);
      }
      // At least once: recorded first, marked taken after.
      RETURN_IF_ERROR(notify(event));
      RETURN_IF_ERROR(mark_done(p.action));
      continue;
    }
    Locations locs;
    ASSIGN_OR_RETURN(locs, LocateAll(vault.id, found.name));
    StatusOr<std::string> renewed = Renew(locs, found.name, found.latest, *found.policy, now);
    if (!renewed.ok()) {
      if (renewed.status().code() == StatusCode::kUnavailable) return renewed.status();
      // Not a passing failure (e.g. an operation in progress): do not retry it every pass.
      log::warn("certificate {} in vault {}: {} failed: {}", found.name, vault.name,
                ActionName(p.action), renewed.status().ToString());
      RETURN_IF_ERROR(mark_done(p.action));
      continue;
    }
    if (renewed->empty()) break;  // it moved meanwhile; settled below
    event.new_version = *renewed;
    Status recorded = notify(event);
    if (!recorded.ok()) {
      log::warn("certificate {} in vault {}: renewed as {}, but not recorded: {}", found.name,
                vault.name, *renewed, recorded.ToString());
    }
    break;  // a new version: its own schedule starts
  }

  // Settle: the schedule follows the latest version, and the entry just processed goes unless
  // it is still the certificate's next due time.
  return barrier_.Update([&](barrier::Txn& t) -> Status {
    ASSIGN_OR_RETURN(auto head, ReadHead(t, loc.live_key));
    if (head) {
      ASSIGN_OR_RETURN(auto latest, store_.ReadLatest(t, loc, head->name));
      RETURN_IF_ERROR(RescheduleLifetimeActions(t, loc, latest.version));
    }
    ASSIGN_OR_RETURN(auto schedule, ReadCertificateSchedule(t, loc));
    if (schedule && schedule->due == due) return OkStatus();
    return t.Delete(due_key);
  });
}

}  // namespace coffer::vault
