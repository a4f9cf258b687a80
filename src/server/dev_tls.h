// Dev-mode TLS material under <data-dir>/tls/: a local CA (ca.pem, ca-key.pem) limited by name
// constraints to localhost names and loopback addresses, and a server certificate (server.pem,
// server-key.pem) for localhost, *.localhost, *.vault.localhost, 127.0.0.1 and ::1. Existing
// files are reused, so a data dir that only holds a copied tls/ keeps its CA. Key files are
// 0600, the directory 0700; files are written atomically.
#pragma once

#include <string>

#include "core/secret_bytes.h"
#include "core/status.h"

namespace coffer::server {

struct TlsMaterial {
  std::string ca_file;          // path of ca.pem
  std::string cert_chain_pem;   // server cert then CA cert
  std::string private_key_pem;  // server key (kept only as long as the server needs it)
};

StatusOr<TlsMaterial> LoadOrCreateDevTls(const std::string& data_dir);

}  // namespace coffer::server
