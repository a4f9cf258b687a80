// libFuzzer entry for the backup blob decoder: ParseBlob on arbitrary bytes, then (for inputs
// that parse) OpenSecretBlob with a fixed key. Any outcome but OK or InvalidArgument, or any
// crash or sanitizer report, is a bug.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "backup/blob_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coffer;
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  auto parsed = backup::ParseBlob(blob);
  if (!parsed.ok()) {
    if (parsed.status().code() != StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  static const SecretBytes key(std::string(32, '\x42'));
  auto opened = backup::OpenSecretBlob(*parsed, key);
  if (!opened.ok() && opened.status().code() != StatusCode::kInvalidArgument) std::abort();
  return 0;
}
