// libFuzzer entry for the backup blob decoder: ParseBlob on arbitrary bytes, then (for inputs
// that parse) OpenSecretBlob with the key derived from the golden vector's fixed backup root
// (00..1f), so seeding with testdata/secret_blob_v1.hex also reaches the payload decoder. Any outcome but OK or InvalidArgument, or any
// crash or sanitizer report, is a bug.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "backup/blob_codec.h"
#include "crypto/primitives.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coffer;
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  auto parsed = backup::ParseBlob(blob);
  if (!parsed.ok()) {
    if (parsed.status().code() != StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  static const SecretBytes root = [] {
    std::string bytes;
    for (int i = 0; i < 32; ++i) bytes.push_back(static_cast<char>(i));
    return SecretBytes(bytes);
  }();
  auto key = crypto::HkdfSha256(root, parsed->header.salt, backup::BackupKeyInfo(parsed->header),
                                32);
  if (!key.ok()) std::abort();
  auto opened = backup::OpenSecretBlob(*parsed, *key);
  if (!opened.ok() && opened.status().code() != StatusCode::kInvalidArgument) std::abort();
  auto key_object = backup::OpenKeyBlob(*parsed, *key);
  if (!key_object.ok() && key_object.status().code() != StatusCode::kInvalidArgument) std::abort();
  return 0;
}
