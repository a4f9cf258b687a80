// The stored records of principals (docs/formats/records.md: Principal 0x21, Client index
// 0x22, legacy Client 0x20): encode and decode, with the secrets' HMACs. Internal to the
// auth module: callers of PrincipalRegistry only ever see ServicePrincipal, which has no HMAC.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principals.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::auth::records {

inline constexpr uint8_t kLegacyClientRecordType = 0x20;  // migrated by Load
inline constexpr uint8_t kPrincipalRecordType = 0x21;
inline constexpr uint8_t kClientIndexRecordType = 0x22;
inline constexpr size_t kMaxIdLen = 64;
inline constexpr size_t kMaxMacLen = 64;

struct StoredSecret {
  std::string key_id;
  std::string mac;
  UnixSeconds created = 0;
};

struct StoredPrincipal {
  ServicePrincipal principal;  // its `secrets` stays empty: see `secrets` below
  std::vector<StoredSecret> secrets;
};

struct LegacyClient {
  std::string client_id, object_id, tenant_id, display_name, secret_mac;
};

SecretBytes EncodePrincipal(const StoredPrincipal& stored);
StatusOr<StoredPrincipal> DecodePrincipal(std::string_view record);
SecretBytes EncodeClientIndex(std::string_view object_id);
StatusOr<std::string> DecodeClientIndex(std::string_view record);
StatusOr<LegacyClient> DecodeLegacyClient(std::string_view record);

}  // namespace coffer::auth::records
