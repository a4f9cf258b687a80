// libFuzzer entry for the bearer token parser: TokenService::Validate with the server's own key
// loaded from a barrier over MemoryStorage. The signing key is fixed (kTokenKeyPem below, put
// where LoadOrCreateKey finds it), so corpus tokens stay valid across runs and the fuzzer can
// sign what it builds. The first input byte picks the mode:
//   0 (mod 3): the rest is the token as sent in `Authorization: Bearer ...`;
//   1: the rest is "<header JSON>\n<payload JSON>", base64url-encoded and signed with our key,
//      so the header checks (alg, kid, crit) see signed input;
//   2: the rest is a payload JSON, under our correct header and signature, so the claim checks
//      (aud, iss, exp/nbf, sub, tid, coffer_skid) and the cache are reached.
// Validate must answer OK or Unauthenticated; an OK principal must carry the audience asked
// for and a live credential. Anything else, a crash or a sanitizer report, is a bug.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "auth/token_service.h"
#include "barrier/barrier.h"
#include "core/encoding.h"
#include "crypto/primitives.h"
#include "store/memory_storage.h"

namespace {

using namespace coffer;

constexpr std::string_view kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
constexpr std::string_view kOrigin = "https://localhost:8443";
constexpr std::string_view kAudience = "https://vault.localhost";
// A throw-away P-256 key made for this fuzzer; it signs nothing outside it.
constexpr std::string_view kTokenKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdfFkXO7BT7OMMBeF\n"
    "MvQpwWDR5m+ziHnhxRg2mltDJaKhRANCAATAC+d96CBY2YUQVggTzQhpBSBVKaRt\n"
    "FE6sUNfRvp8A7hLqvqATe6DyK/UpKKVTQTJw5DiDNYhYhXRS9QElm8ZR\n"
    "-----END PRIVATE KEY-----\n";

struct Fixture {
  Fixture()
      : barrier(storage, crypto::SystemRandom()),
        tokens(barrier, clock, auth::TokenOptions{std::string(kTenant)},
               [](std::string_view object_id, std::string_view key_id) {
                 return key_id != "revoked";
               }) {
    SecretBytes pem(kTokenKeyPem);
    auto key_or = crypto::EcSigningKey::FromPrivatePem(pem);
    if (!barrier.Initialize().ok() || !key_or.ok()) std::abort();
    if (!barrier.Update([&](barrier::Txn& t) { return t.Put("sys/token-key", pem); }).ok()) {
      std::abort();
    }
    if (!tokens.LoadOrCreateKey().ok()) std::abort();
    key.emplace(std::move(*key_or));
    std::string thumb_input = R"({"crv":"P-256","kty":"EC","x":")" +
                              EncodeBase64Url(key->PublicX()) + R"(","y":")" +
                              EncodeBase64Url(key->PublicY()) + R"("})";
    header = R"({"alg":"ES256","typ":"JWT","kid":")" +
             EncodeBase64Url(crypto::Sha256(thumb_input)) + R"("})";
    // Self-check: a well-formed token under our header must pass, or mode 2 reaches nothing.
    std::string iss = std::string(kOrigin) + "/" + std::string(kTenant) + "/v2.0";
    std::string claims = R"({"aud":")" + std::string(kAudience) + R"(","iss":")" + iss +
                         R"(","exp":4102444800,"sub":"s","tid":")" + std::string(kTenant) +
                         R"(","coffer_skid":"k"})";
    auto ok = tokens.Validate(Sign(header, claims), kAudience,
                              [](std::string_view origin) { return origin == kOrigin; });
    if (!ok.ok()) std::abort();
  }

  std::string Sign(std::string_view header_json, std::string_view payload_json) const {
    std::string input = EncodeBase64Url(header_json) + "." + EncodeBase64Url(payload_json);
    auto sig = key->SignEs256(input);
    if (!sig.ok()) std::abort();
    return input + "." + EncodeBase64Url(*sig);
  }

  store::MemoryStorage storage;
  SystemClock clock;
  barrier::Barrier barrier;
  auth::TokenService tokens;
  std::optional<crypto::EcSigningKey> key;
  std::string header;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fixture = new Fixture();
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string token;
  switch (data[0] % 3) {
    case 0:
      token = std::string(rest);
      break;
    case 1: {
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) return 0;
      token = fixture->Sign(rest.substr(0, nl), rest.substr(nl + 1));
      break;
    }
    default:
      token = fixture->Sign(fixture->header, rest);
      break;
  }
  auto principal = fixture->tokens.Validate(
      token, kAudience, [](std::string_view origin) { return origin == kOrigin; });
  if (!principal.ok()) {
    if (principal.status().code() != StatusCode::kUnauthenticated) std::abort();
    // A message must never echo the token. Messages are fixed sentences, so a token longer
    // than any of them must not appear; a shorter one may be a piece of a sentence.
    const std::string message = principal.status().message();
    if (message.size() > 512 || (token.size() > 256 && message.find(token) != std::string::npos)) {
      std::abort();
    }
    return 0;
  }
  if (principal->audience != kAudience || principal->key_id == "revoked" ||
      principal->object_id.empty() || principal->tenant_id != kTenant) {
    std::abort();
  }
  return 0;
}
