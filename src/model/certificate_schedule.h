// CertificateSchedule (type 0x19, one per certificate at "clt/<vault id>/c/<name mac>"): where the
// sweeper stands with a certificate's lifetime actions (the policy's `lifetime_actions`) for its
// latest version — the time of its "due/…/l/…" entry, so the entry can be replaced or removed
// when the version or the policy changes, and which actions were already taken for that version,
// so none is taken twice. Layout: docs/formats/records.md.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"
#include "model/certificate_policy.h"

namespace coffer::model {

struct CertificateSchedule {
  std::string version;             // the latest version the schedule was computed for
  std::optional<UnixSeconds> due;  // the time of the certificate's due entry, if one is pending
  uint8_t done = 0;                // bit (1 << action type) for each action taken for `version`

  bool Done(CertificateActionType a) const { return (done & Bit(a)) != 0; }
  void MarkDone(CertificateActionType a) { done |= Bit(a); }

 private:
  static uint8_t Bit(CertificateActionType a) {
    return static_cast<uint8_t>(1u << static_cast<unsigned>(a));
  }
};

// When `action` triggers for a version valid from `not_before` to `expires`:
// lifetime_percentage p → not_before + (expires − not_before) × p / 100 (rounded down);
// days_before_expiry d → expires − d days.
UnixSeconds LifetimeActionTime(const CertificateLifetimeAction& action, UnixSeconds not_before,
                               UnixSeconds expires);

SecretBytes EncodeCertificateSchedule(const CertificateSchedule& schedule);
StatusOr<CertificateSchedule> DecodeCertificateSchedule(std::string_view record);

}  // namespace coffer::model
