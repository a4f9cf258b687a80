// ServiceLimits: Azure Key Vault's service limits as Coffer enforces them (CONTRACT.md
// "Throttling", AZURE_API.md §8 and Part 2 §C): a budget per vault per 10-second window for
// each transaction class, a ceiling per subscription and location of `subscription_factor`
// times the vault's budget, and optionally a share of the vault's budget per caller. Key
// operations are weighted by key type and size. The values come from `[limits]` in coffer.toml;
// omitted keys keep Azure's defaults.
//
// Thread-safety: plain value and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/status.h"

namespace coffer::api {

// The transaction class a request counts in. kNone: not throttled (identity, operator,
// management and admin routes).
enum class ThrottleClass : uint8_t {
  kSecretCreate,  // secret set, certificate create and import, key import
  kVaultOther,    // every other secret, certificate and vault transaction
  kKeyCreate,     // software key create and rotate
  kKeyCreateHsm,  // the same for keys whose kty ends in -HSM
  kKeyOther,      // every other key transaction, weighted by the key's type and size
  kKeyOtherHsm,
  kNone,
};
inline constexpr size_t kThrottleClasses = 6;  // the classes before kNone

// The config key and metrics label of a class ("secret_create", …); "" for kNone.
std::string_view ThrottleClassName(ThrottleClass c);
std::optional<ThrottleClass> ThrottleClassByName(std::string_view name);

struct ServiceLimits {
  static constexpr int kWindowSeconds = 10;
  static constexpr int64_t kMaxLimit = 1'000'000'000;

  // Budget per vault per window, indexed by ThrottleClass (Azure's defaults).
  std::array<int64_t, kThrottleClasses> per_vault = {300, 4000, 20, 10, 4000, 2000};
  double subscription_factor = 5;  // per subscription and location: factor × the vault budget
  double per_identity = 0;         // 0 = off; else each caller's share of the vault budget

  int64_t VaultLimit(ThrottleClass c) const { return per_vault[static_cast<size_t>(c)]; }

  // Sets the `[limits]` key `key` from a TOML value (`is_integer`: it was written as an
  // integer). InvalidArgument naming the key for an unknown key, a wrong type or a value out of
  // range: class budgets are whole numbers from 1 to kMaxLimit, subscription_factor a number
  // from 1 to 1000, per_identity a number from 0 to 1.
  Status Set(std::string_view key, double value, bool is_integer);
};

// What one operation on a key weighs in its key_other class: RSA-2048, EC and oct keys 1,
// RSA-3072 4, RSA-4096 8 (Azure's table: 4,000 / 1,000 / 500 per 10 s).
uint32_t KeyOperationWeight(bool rsa, int bits);

}  // namespace coffer::api
