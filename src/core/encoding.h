// Byte encodings used on the wire and in storage keys: base64url (RFC 4648 §5, no padding),
// standard base64 (padded) and lowercase hex.
//
// Decoders are strict about the alphabet and length but lenient about the two base64 flavours:
// DecodeBase64Url accepts '+' '/' and '=' padding too, as Azure does. They return nullopt on
// any invalid input instead of guessing. Thread-safe (pure functions).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/secret_bytes.h"

namespace coffer {

std::string EncodeBase64Url(std::string_view bytes);
std::string EncodeBase64(std::string_view bytes);
std::optional<std::string> DecodeBase64Url(std::string_view text);
std::optional<std::string> DecodeBase64(std::string_view text);
// True for a non-empty string of base64url alphabet characters only (no padding, no '+' '/'),
// as a JWS compact serialization's parts must be.
bool IsStrictBase64Url(std::string_view text);
// Decodes straight into SecretBytes so the plaintext never sits in a plain std::string.
std::optional<SecretBytes> DecodeBase64UrlSecret(std::string_view text);

std::string EncodeHex(std::string_view bytes);
std::optional<std::string> DecodeHex(std::string_view text);

// ASCII lower-casing (names are ASCII by their pattern).
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace coffer
