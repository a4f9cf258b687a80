#include "core/secret_bytes.h"

#include <string.h>

namespace coffer {

void SecureZero(void* p, size_t n) {
  if (p != nullptr && n > 0) explicit_bzero(p, n);
}

void SecretBytes::resize(size_t n) {
  if (n <= buf_.size()) {
    SecureZero(buf_.data() + n, buf_.size() - n);
    buf_.resize(n);
    return;
  }
  std::string grown;
  grown.reserve(n);
  grown.assign(buf_);
  grown.resize(n, '\0');
  Wipe();
  buf_ = std::move(grown);
}

void SecretBytes::append(std::string_view more) {
  size_t old = buf_.size();
  if (buf_.capacity() >= old + more.size()) {
    buf_.append(more);
    return;
  }
  std::string grown;
  grown.reserve((old + more.size()) * 2);
  grown.assign(buf_);
  grown.append(more);
  Wipe();
  buf_ = std::move(grown);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char acc = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    acc = acc | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return acc == 0;
}

bool operator==(const SecretBytes& a, const SecretBytes& b) {
  return ConstantTimeEquals(a.view(), b.view());
}

}  // namespace coffer
