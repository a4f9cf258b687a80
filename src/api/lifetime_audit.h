// The audit line of a certificate lifetime action the sweeper took (vault::LifetimeActionEvent):
// the audit log is where Coffer "emails" a certificate's contacts (it sends no email) and where
// an automatic renewal shows. docs/decisions.md "Certificate lifetime actions" has the line.
//
// Thread-safety: the notifier may be called from any thread (AuditLog::Append is).
#pragma once

#include <cstdint>
#include <string>

#include "auth/audit_entry.h"
#include "auth/audit_log.h"
#include "core/random.h"
#include "vault/certificate_service.h"

namespace coffer::api {

// The line of `event`: plane "system", no caller and no address, operation
// "CertificateLifetimeAction/<EmailContacts|AutoRenew>", the certificate as object with the
// version whose lifetime triggered the action (EmailContacts, with `contacts`) or the version
// the renewal issued (AutoRenew), status 200.
auth::AuditEntry LifetimeActionAuditEntry(const vault::LifetimeActionEvent& event,
                                          int64_t time_ms, std::string request_id);

// A notifier appending those lines to `audit` (both must outlive it). Its Status is Append's: an
// EmailContacts whose line cannot be written is not taken, and is retried at the next pass.
vault::LifetimeActionNotifier AuditLifetimeActions(auth::AuditLog& audit, Random& rng);

}  // namespace coffer::api
