#include "api/service_limits.h"

#include <cmath>
#include <string>

namespace coffer::api {
namespace {

constexpr std::array<std::string_view, kThrottleClasses> kNames = {
    "secret_create", "vault_other", "key_create", "key_create_hsm", "key_other", "key_other_hsm"};

Status Invalid(std::string_view key, std::string_view rule) {
  return InvalidArgumentError("limits." + std::string(key) + " must be " + std::string(rule));
}

}  // namespace

std::string_view ThrottleClassName(ThrottleClass c) {
  size_t i = static_cast<size_t>(c);
  return i < kNames.size() ? kNames[i] : std::string_view();
}

std::optional<ThrottleClass> ThrottleClassByName(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<ThrottleClass>(i);
  }
  return std::nullopt;
}

Status ServiceLimits::Set(std::string_view key, double value, bool is_integer) {
  if (auto c = ThrottleClassByName(key)) {
    if (!is_integer || value < 1 || value > static_cast<double>(kMaxLimit)) {
      return Invalid(key, "a whole number of requests per 10 s from 1 to 1000000000");
    }
    per_vault[static_cast<size_t>(*c)] = static_cast<int64_t>(value);
    return OkStatus();
  }
  if (key == "subscription_factor") {
    if (!std::isfinite(value) || value < 1 || value > 1000) {
      return Invalid(key, "a number from 1 to 1000 (the subscription's ceiling as a multiple "
                          "of a vault's limit)");
    }
    subscription_factor = value;
    return OkStatus();
  }
  if (key == "per_identity") {
    if (!std::isfinite(value) || value < 0 || value > 1) {
      return Invalid(key, "a number from 0 (off) to 1 (each caller's share of a vault's limit)");
    }
    per_identity = value;
    return OkStatus();
  }
  return InvalidArgumentError(
      "limits." + std::string(key) +
      " is not a known limit; the keys are secret_create, vault_other, key_create, "
      "key_create_hsm, key_other, key_other_hsm, subscription_factor and per_identity");
}

uint32_t KeyOperationWeight(bool rsa, int bits) {
  if (!rsa || bits <= 2048) return 1;
  return bits <= 3072 ? 4 : 8;
}

}  // namespace coffer::api
