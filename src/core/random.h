// Random source interface. Production uses crypto::OsRandom (OpenSSL's DRBG); tests may inject
// a deterministic one. Implementations must be thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace coffer {

class Random {
 public:
  virtual ~Random() = default;
  virtual void Fill(uint8_t* out, size_t n) = 0;

  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    Fill(reinterpret_cast<uint8_t*>(s.data()), n);
    return s;
  }
};

}  // namespace coffer
