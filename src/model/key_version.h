// The stored shape of keys: one record per key version (KeyVersion, type 0x12) and one rotation
// policy per key (RotationPolicy, type 0x13). Keys share ObjectHead and Attributes with the other
// object kinds (object.h). The key material itself is kept as the opaque, versioned blob of
// crypto::KeyMaterial::Serialize(); this module never parses it. Layouts:
// docs/formats/records.md. Records are only ever stored through the barrier.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/secret_bytes.h"
#include "core/status.h"
#include "model/object.h"

namespace coffer::model {

// Secure key release (AZURE_API.md §4.2): the policy document as the caller sent it (its
// grammar is checked in auth/release_policy.h before it is stored).
struct KeyReleasePolicy {
  std::string content_type = "application/json; charset=utf-8";
  std::string data;       // the policy JSON, raw bytes
  bool immutable = false;  // once set, the policy can never change
  friend bool operator==(const KeyReleasePolicy&, const KeyReleasePolicy&) = default;
};

struct KeyVersion {
  std::string version;  // 32 lowercase hex
  uint64_t sequence = 0;
  std::string kty;      // as given by the caller: "RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"
  std::vector<std::string> key_ops;  // in the caller's order, no duplicates
  Attributes attributes;
  bool exportable = false;
  Tags tags;
  bool managed = false;  // backs a certificate
  std::optional<KeyReleasePolicy> release_policy;  // only on exportable keys
  SecretBytes material;  // crypto::KeyMaterial::Serialize() (private key)
};

SecretBytes EncodeKeyVersion(const KeyVersion& version);
StatusOr<KeyVersion> DecodeKeyVersion(std::string_view record);

enum class LifetimeTrigger : uint8_t { kTimeAfterCreate = 1, kTimeBeforeExpiry = 2 };
enum class LifetimeActionType : uint8_t { kRotate = 1, kNotify = 2 };

struct LifetimeAction {
  LifetimeTrigger trigger = LifetimeTrigger::kTimeAfterCreate;
  std::string duration;  // ISO-8601 duration, as given ("P90D")
  LifetimeActionType action = LifetimeActionType::kRotate;
};

struct RotationPolicy {
  std::vector<LifetimeAction> lifetime_actions;
  std::string expiry_time;  // ISO-8601 duration; empty = none
  UnixSeconds created = 0;
  UnixSeconds updated = 0;
  // When the sweeper's due entry for the next rotation is scheduled (so it can be replaced or
  // removed); nullopt = no rotation scheduled.
  std::optional<UnixSeconds> scheduled_rotation;
};

SecretBytes EncodeRotationPolicy(const RotationPolicy& policy);
StatusOr<RotationPolicy> DecodeRotationPolicy(std::string_view record);

// Seconds in an ISO-8601 duration "PnYnMnWnDTnHnMnS" (Y = 365 days, M = 30 days, W = 7 days;
// integer components only). nullopt for anything else, zero included.
std::optional<int64_t> ParseIsoDuration(std::string_view text);

constexpr size_t kMaxKeyOps = 16;
constexpr size_t kMaxLifetimeActions = 16;
constexpr size_t kMaxKeyMaterialBytes = 16 * 1024;

}  // namespace coffer::model
