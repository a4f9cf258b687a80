#include "barrier/keyring.h"

#include "core/record_codec.h"

namespace coffer::barrier {
namespace {
constexpr uint8_t kKeyringRecordType = 0x02;
constexpr uint8_t kFormatV1 = 1;
constexpr size_t kKeySize = 32;

SecretBytes RandomKey(Random& rng) {
  SecretBytes k(kKeySize);
  rng.Fill(k.data(), k.size());
  return k;
}
}  // namespace

Keyring Keyring::Generate(Random& rng) {
  Keyring k;
  k.current_term = 1;
  k.terms.emplace(1, RandomKey(rng));
  k.index_key = RandomKey(rng);
  k.backup_root = RandomKey(rng);
  k.backup_root_id = rng.Bytes(16);
  return k;
}

void Keyring::AddTerm(Random& rng) {
  ++current_term;
  terms.emplace(current_term, RandomKey(rng));
}

SecretBytes EncodeKeyring(const Keyring& k) {
  RecordWriter w;
  w.U8(kKeyringRecordType);
  w.U8(kFormatV1);
  w.U32(k.current_term);
  w.U32(static_cast<uint32_t>(k.terms.size()));
  for (const auto& [term, key] : k.terms) {
    w.U32(term);
    w.Bytes(key.view());
  }
  w.Bytes(k.index_key.view());
  w.Bytes(k.backup_root.view());
  w.Bytes(k.backup_root_id);
  return w.Finish();
}

StatusOr<Keyring> DecodeKeyring(std::string_view record) {
  RecordReader r(record);
  uint8_t type = 0, format = 0;
  RETURN_IF_ERROR(r.U8(&type));
  RETURN_IF_ERROR(r.U8(&format));
  if (type != kKeyringRecordType || format != kFormatV1) {
    return DataLossError("keyring has an unknown type or format");
  }
  Keyring k;
  RETURN_IF_ERROR(r.U32(&k.current_term));
  uint32_t n = 0;
  RETURN_IF_ERROR(r.U32(&n));
  if (n == 0 || n > 1'000'000) return DataLossError("keyring has an invalid term count");
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t term = 0;
    SecretBytes key;
    RETURN_IF_ERROR(r.U32(&term));
    RETURN_IF_ERROR(r.Secret(&key, kKeySize));
    if (key.size() != kKeySize) return DataLossError("keyring term key has the wrong size");
    k.terms.emplace(term, std::move(key));
  }
  RETURN_IF_ERROR(r.Secret(&k.index_key, kKeySize));
  RETURN_IF_ERROR(r.Secret(&k.backup_root, kKeySize));
  RETURN_IF_ERROR(r.String(&k.backup_root_id, 16));
  RETURN_IF_ERROR(r.ExpectEnd());
  if (k.terms.count(k.current_term) == 0) return DataLossError("keyring lacks its current term");
  if (k.index_key.size() != kKeySize || k.backup_root.size() != kKeySize ||
      k.backup_root_id.size() != 16) {
    return DataLossError("keyring key has the wrong size");
  }
  return k;
}

}  // namespace coffer::barrier
