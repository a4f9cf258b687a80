// The schedule of a certificate's lifetime actions (kind_traits.h): one "due/…/l/…" entry per
// certificate at the earliest action still to be taken for its latest version, and the
// CertificateSchedule record (model/certificate_schedule.h) that remembers that time and which
// actions were already taken. Kept in step by the certificate kind's hooks (a new latest version,
// soft delete, purge) and by the service when the policy changes; read by the sweeper's handler
// (certificate_lifetime.cc).
#include <algorithm>

#include "core/encoding.h"
#include "vault/kind_traits.h"
#include "vault/object_records.h"

namespace coffer::vault {
namespace {

using model::CertificateActionType;

std::string DueKeyAt(UnixSeconds when, const ObjectLocation& loc) {
  return Keyspace::DueKey(DueEntry::CertificateLifetime(when, loc.vault_id, loc.mac));
}

// Moves the due entry from `old_due` to `schedule.due` and stores `schedule`.
Status Store(barrier::Txn& t, const ObjectLocation& loc, std::optional<UnixSeconds> old_due,
             const model::CertificateSchedule& schedule) {
  if (old_due && old_due != schedule.due) RETURN_IF_ERROR(t.Delete(DueKeyAt(*old_due, loc)));
  if (schedule.due && old_due != schedule.due) {
    RETURN_IF_ERROR(t.Put(DueKeyAt(*schedule.due, loc), SecretBytes()));
  }
  return t.Put(Keyspace::CertificateScheduleKey(loc.vault_id, loc.mac),
               model::EncodeCertificateSchedule(schedule));
}

// The schedule of `latest` with `done` added, its due time recomputed; stored when it changed.
Status Reschedule(barrier::Txn& t, const ObjectLocation& loc,
                  const model::CertificateVersion& latest,
                  std::optional<CertificateActionType> done) {
  ASSIGN_OR_RETURN(auto old, ReadCertificateSchedule(t, loc));
  ASSIGN_OR_RETURN(auto policy, ReadCertificatePolicy(t, loc));
  model::CertificateSchedule next;
  next.version = latest.version;
  if (old && old->version == latest.version) next.done = old->done;
  if (done) next.MarkDone(*done);
  for (const PendingLifetimeAction& p : PendingLifetimeActions(policy, latest, next)) {
    if (!next.due || p.at < *next.due) next.due = p.at;
  }
  if (!old) {
    if (!next.due && next.done == 0) return OkStatus();  // nothing to remember
    return Store(t, loc, std::nullopt, next);
  }
  if (old->version == next.version && old->due == next.due && old->done == next.done) {
    return OkStatus();
  }
  return Store(t, loc, old->due, next);
}

}  // namespace

std::vector<PendingLifetimeAction> PendingLifetimeActions(
    const std::optional<model::CertificatePolicy>& policy, const model::CertificateVersion& latest,
    const std::optional<model::CertificateSchedule>& schedule) {
  std::vector<PendingLifetimeAction> out;
  if (!policy || latest.cer.empty() || !latest.attributes.not_before ||
      !latest.attributes.expires) {
    return out;  // nothing issued yet (pending), so nothing to act on
  }
  for (const model::CertificateLifetimeAction& a : policy->lifetime_actions) {
    if (schedule && schedule->version == latest.version && schedule->Done(a.action)) continue;
    if (a.action == CertificateActionType::kAutoRenew &&
        (!EqualsIgnoreCase(policy->issuer_name, "Self") || !latest.attributes.enabled)) {
      continue;  // only Self-issued certificates renew here; a disabled one waits
    }
    out.push_back({a.action, model::LifetimeActionTime(a, *latest.attributes.not_before,
                                                       *latest.attributes.expires)});
  }
  // EmailContacts before AutoRenew when both are due: the notice names the expiring version.
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.action == CertificateActionType::kEmailContacts &&
           y.action != CertificateActionType::kEmailContacts;
  });
  return out;
}

StatusOr<std::optional<model::CertificatePolicy>> ReadCertificatePolicy(
    barrier::Txn& t, const ObjectLocation& loc) {
  ASSIGN_OR_RETURN(auto plain, t.Get(Keyspace::CertificatePolicyKey(loc.vault_id, loc.mac)));
  if (!plain) return std::optional<model::CertificatePolicy>();
  ASSIGN_OR_RETURN(auto policy, model::DecodeCertificatePolicy(plain->view()));
  return std::optional<model::CertificatePolicy>(std::move(policy));
}

StatusOr<std::optional<model::CertificateSchedule>> ReadCertificateSchedule(
    barrier::Txn& t, const ObjectLocation& loc) {
  ASSIGN_OR_RETURN(auto plain, t.Get(Keyspace::CertificateScheduleKey(loc.vault_id, loc.mac)));
  if (!plain) return std::optional<model::CertificateSchedule>();
  ASSIGN_OR_RETURN(auto schedule, model::DecodeCertificateSchedule(plain->view()));
  return std::optional<model::CertificateSchedule>(std::move(schedule));
}

Status RescheduleLifetimeActions(barrier::Txn& t, const ObjectLocation& loc,
                                 const model::CertificateVersion& latest) {
  return Reschedule(t, loc, latest, std::nullopt);
}

Status MarkLifetimeActionDone(barrier::Txn& t, const ObjectLocation& loc,
                              const model::CertificateVersion& latest,
                              CertificateActionType action) {
  return Reschedule(t, loc, latest, action);
}

Status CertificateTraits::OnNewLatest(barrier::Txn& t, const ObjectLocation& loc,
                                      const model::CertificateVersion& latest) const {
  return RescheduleLifetimeActions(t, loc, latest);
}

Status CertificateTraits::OnSoftDeleted(barrier::Txn& t, const ObjectLocation& loc) const {
  ASSIGN_OR_RETURN(auto schedule, ReadCertificateSchedule(t, loc));
  if (!schedule || !schedule->due) return OkStatus();
  std::optional<UnixSeconds> old_due = schedule->due;
  schedule->due.reset();  // recovery reschedules; what was done stays done
  return Store(t, loc, old_due, *schedule);
}

Status ForgetLifetimeSchedule(barrier::Txn& t, const ObjectLocation& loc) {
  ASSIGN_OR_RETURN(auto schedule, ReadCertificateSchedule(t, loc));
  if (!schedule) return OkStatus();
  if (schedule->due) RETURN_IF_ERROR(t.Delete(DueKeyAt(*schedule->due, loc)));
  return t.Delete(Keyspace::CertificateScheduleKey(loc.vault_id, loc.mac));
}

}  // namespace coffer::vault
