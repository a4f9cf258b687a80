// The secure key release verifier of a running server (CONTRACT.md "Secure key release"):
// attestation authorities from [release] authorities, plus in dev mode any https authority on
// localhost, 127.0.0.1 or a *.localhost name; their keys fetched with http::FetchBody, each
// fetch bounded by [release] timeout_seconds, trusting the system CAs plus, in dev mode only,
// the PEM bundle named by the environment variable COFFER_EXTRA_CA_CERTS.
//
// Thread-safety: built once at start; the verifier is safe to call concurrently.
#pragma once

#include <memory>

#include "auth/attestation_keys.h"
#include "auth/attestation_verifier.h"
#include "core/clock.h"
#include "core/status.h"
#include "server/server.h"

namespace coffer::server {

struct AttestationSetup {
  std::unique_ptr<auth::AttestationKeys> keys;
  std::unique_ptr<auth::AttestationVerifier> verifier;  // uses `keys`
};

// InvalidArgument when COFFER_EXTRA_CA_CERTS names a file that cannot be read (dev mode); in
// production the variable is ignored with a warning.
StatusOr<AttestationSetup> MakeAttestation(const ServerConfig& config, const Clock& real_clock);

}  // namespace coffer::server
