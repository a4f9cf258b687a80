#include "server/attestation_setup.h"

#include <cstdlib>

#include "core/files.h"
#include "core/log.h"
#include "http/client.h"

namespace coffer::server {
namespace {

// Discovery documents and key sets are small; anything larger is not one.
constexpr size_t kMaxDocumentBytes = 256 * 1024;

}  // namespace

StatusOr<AttestationSetup> MakeAttestation(const ServerConfig& config, const Clock& real_clock) {
  std::string extra_ca;
  if (const char* env = std::getenv("COFFER_EXTRA_CA_CERTS"); env != nullptr && *env != '\0') {
    if (!config.dev) {
      log::warn("COFFER_EXTRA_CA_CERTS is ignored outside dev mode; outbound TLS trusts the "
                "system CAs only");
    } else {
      auto pem = ReadFile(env);
      if (!pem.ok()) {
        return InvalidArgumentError(std::string("COFFER_EXTRA_CA_CERTS names ") + env +
                                    ", which cannot be read: " + pem.status().message());
      }
      extra_ca = env;
      log::info("outbound TLS also trusts the certificates in {}", extra_ca);
    }
  }
  auth::AttestationOptions options;
  options.authorities = config.release_authorities;
  options.allow_localhost = config.dev;
  options.keys_cache_seconds = config.release_cache_seconds;
  std::chrono::seconds timeout(config.release_timeout_seconds);
  AttestationSetup out;
  out.keys = std::make_unique<auth::AttestationKeys>(
      real_clock, std::move(options), [extra_ca, timeout](const std::string& url) {
        http::ClientRequest request;
        request.url = url;
        request.extra_ca_file = extra_ca;
        request.timeout = timeout;
        request.max_response_bytes = kMaxDocumentBytes;
        request.headers.Set("Accept", "application/json");
        return http::FetchBody(request);
      });
  out.verifier = std::make_unique<auth::AttestationVerifier>(real_clock, *out.keys);
  return out;
}

}  // namespace coffer::server
