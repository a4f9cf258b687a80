#include "api/lifetime_audit.h"

#include <chrono>

#include "auth/principals.h"

namespace coffer::api {

auth::AuditEntry LifetimeActionAuditEntry(const vault::LifetimeActionEvent& event,
                                          int64_t time_ms, std::string request_id) {
  bool renew = event.action == model::CertificateActionType::kAutoRenew;
  auth::AuditEntry e;
  e.time_ms = time_ms;
  e.request_id = std::move(request_id);
  e.plane = "system";
  e.vault = event.vault;
  e.operation = renew ? "CertificateLifetimeAction/AutoRenew"
                      : "CertificateLifetimeAction/EmailContacts";
  e.object_kind = "certificate";
  e.object_name = event.certificate;
  e.object_version = renew ? event.new_version : event.version;
  e.status = 200;
  if (!renew) e.contacts = event.emails;
  return e;
}

vault::LifetimeActionNotifier AuditLifetimeActions(auth::AuditLog& audit, Random& rng) {
  return [&audit, &rng](const vault::LifetimeActionEvent& event) -> Status {
    int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return audit.Append(LifetimeActionAuditEntry(event, now_ms, auth::NewGuid(rng)));
  };
}

}  // namespace coffer::api
