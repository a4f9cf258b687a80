// SecretBytes: the only holder of secret material (values, keys, plaintext records) in the
// domain, crypto and storage layers. The buffer is zeroed when it is freed, shrunk or
// overwritten; it is never printed (no operator<<). Equality is constant-time.
//
// Thread-safety: a value type; no internal synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace coffer {

// Overwrites n bytes at p with zeros in a way the optimiser cannot drop.
void SecureZero(void* p, size_t n);

// Zeroes a std::string's buffer (used for request/response buffers that carried values).
inline void SecureClear(std::string& s) {
  SecureZero(s.data(), s.size());
  s.clear();
}

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : buf_(n, '\0') {}
  explicit SecretBytes(std::string_view bytes) : buf_(bytes) {}
  SecretBytes(const uint8_t* p, size_t n) : buf_(reinterpret_cast<const char*>(p), n) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes(SecretBytes&& other) noexcept : buf_(std::move(other.buf_)) { other.Wipe(); }
  SecretBytes& operator=(const SecretBytes& other) {
    if (this != &other) {
      Wipe();
      buf_ = other.buf_;
    }
    return *this;
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      Wipe();
      buf_ = std::move(other.buf_);
      other.Wipe();
    }
    return *this;
  }
  ~SecretBytes() { Wipe(); }

  size_t size() const { return buf_.size(); }
  bool empty() const { return buf_.empty(); }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(buf_.data()); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(buf_.data()); }
  char* chars() { return buf_.data(); }
  std::string_view view() const { return buf_; }
  std::span<const uint8_t> span() const { return {data(), size()}; }

  // Grows or shrinks; bytes cut off are zeroed first. Growing re-allocates, so the old
  // buffer is zeroed by copying into a fresh SecretBytes.
  void resize(size_t n);
  void append(std::string_view more);
  void Wipe() {
    SecureZero(buf_.data(), buf_.size());
    buf_.clear();
  }

  // Constant-time comparison (length is not secret).
  friend bool operator==(const SecretBytes& a, const SecretBytes& b);

 private:
  std::string buf_;
};

// Constant-time equality of two byte strings of public length.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace coffer
