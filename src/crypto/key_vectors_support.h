// Published known-answer vectors for the KeyMaterial tests: the testdata/ file format
// (testdata/README.md) and decoding helpers shared by key_vectors_test.cc (AES, HMAC) and
// key_vectors_rsa_ec_test.cc (RSA, ECDSA).
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "core/encoding.h"

namespace coffer::crypto::testing {

struct Vector {
  std::string name;
  std::map<std::string, std::string> fields;
  const std::string& operator[](const std::string& key) const {
    static const std::string kEmpty;
    auto it = fields.find(key);
    EXPECT_NE(it, fields.end()) << name << " has no field " << key;
    return it == fields.end() ? kEmpty : it->second;
  }
};

// testdata/README.md describes the format.
inline std::vector<Vector> Load(const std::string& file) {
  std::ifstream in(std::string(COFFER_CRYPTO_TESTDATA_DIR) + "/" + file);
  EXPECT_TRUE(in.good()) << "cannot open " << file;
  std::vector<Vector> out;
  std::string line, last_key;
  auto trim = [](std::string s) {
    size_t b = s.find_first_not_of(" \t\r");
    size_t e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      out.push_back({line.substr(1, line.find(']') - 1), {}});
    } else if (line[0] == ' ' || line[0] == '\t') {
      out.back().fields[last_key] += trim(line);
    } else if (size_t eq = line.find(" = "); eq != std::string::npos && !out.empty()) {
      last_key = trim(line.substr(0, eq));
      out.back().fields[last_key] = trim(line.substr(eq + 3));
    }
  }
  return out;
}

inline std::string Hex(const std::string& s) {
  auto bytes = DecodeHex(AsciiLower(s));
  EXPECT_TRUE(bytes.has_value()) << "bad hex: " << s;
  return bytes.value_or("");
}

inline std::string B64(const std::string& s) {
  auto bytes = DecodeBase64Url(s);
  EXPECT_TRUE(bytes.has_value()) << "bad base64url: " << s;
  return bytes.value_or("");
}

}  // namespace coffer::crypto::testing
