#include "server/dev_tls.h"

#include <sys/stat.h>

#include "core/files.h"
#include "crypto/x509.h"

namespace coffer::server {
namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

StatusOr<TlsMaterial> LoadOrCreateDevTls(const std::string& data_dir) {
  std::string dir = data_dir + "/tls";
  RETURN_IF_ERROR(EnsureDirectory(dir, 0700));
  std::string ca_path = dir + "/ca.pem";
  std::string ca_key_path = dir + "/ca-key.pem";
  std::string cert_path = dir + "/server.pem";
  std::string key_path = dir + "/server-key.pem";

  crypto::CertAndKey ca;
  if (Exists(ca_path) && Exists(ca_key_path)) {
    ASSIGN_OR_RETURN(ca.cert_pem, ReadFile(ca_path));
    ASSIGN_OR_RETURN(std::string key, ReadFile(ca_key_path));
    ca.key_pem = SecretBytes(key);
    SecureClear(key);
  } else {
    ASSIGN_OR_RETURN(ca, crypto::MakeDevCa("Coffer Dev CA", 3650));
    RETURN_IF_ERROR(WriteFileAtomically(ca_key_path, ca.key_pem.view(), 0600));
    RETURN_IF_ERROR(WriteFileAtomically(ca_path, ca.cert_pem, 0644));
  }

  TlsMaterial out;
  out.ca_file = ca_path;
  if (Exists(cert_path) && Exists(key_path)) {
    ASSIGN_OR_RETURN(std::string cert, ReadFile(cert_path));
    ASSIGN_OR_RETURN(out.private_key_pem, ReadFile(key_path));
    out.cert_chain_pem = cert + ca.cert_pem;
    return out;
  }
  ASSIGN_OR_RETURN(crypto::CertAndKey leaf,
                   crypto::MakeServerCert(ca, "localhost",
                                          {"localhost", "*.localhost", "*.vault.localhost",
                                           "127.0.0.1", "::1"},
                                          825));
  RETURN_IF_ERROR(WriteFileAtomically(key_path, leaf.key_pem.view(), 0600));
  RETURN_IF_ERROR(WriteFileAtomically(cert_path, leaf.cert_pem, 0644));
  out.cert_chain_pem = leaf.cert_pem + ca.cert_pem;
  out.private_key_pem = std::string(leaf.key_pem.view());
  return out;
}

}  // namespace coffer::server
