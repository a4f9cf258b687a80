// Keyring: the deployment's symmetric keys, kept only inside the sealed barrier.
//  - numbered terms of AES-256 record keys (the current one encrypts; any decrypts),
//  - the index key (HMAC key for storage-key MACs of names; never rotated),
//  - the backup root (32 random bytes; per-blob keys are derived from it) and its public id.
// The keyring is stored encrypted under the root key; its codec is in docs/formats/records.md.
//
// Thread-safety: plain value; the Barrier guards its copy.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/random.h"
#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::barrier {

struct Keyring {
  uint32_t current_term = 0;
  std::map<uint32_t, SecretBytes> terms;
  SecretBytes index_key;
  SecretBytes backup_root;
  std::string backup_root_id;  // 16 bytes, not secret

  static Keyring Generate(Random& rng);
  // Adds term current_term+1 and makes it current.
  void AddTerm(Random& rng);
};

SecretBytes EncodeKeyring(const Keyring& k);
StatusOr<Keyring> DecodeKeyring(std::string_view record);

}  // namespace coffer::barrier
