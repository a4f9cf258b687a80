// `coffer certificate …` (CONTRACT.md "Certificates", "CLI"), shaped like `az keyvault
// certificate`, sent to https://<vault>.vault.localhost:<port> (VaultSession) at api-version 7.6:
//
//   create   --vault-name V -n N --policy P [--validity M] [--disabled] [--tags k=v …]
//            POST /certificates/N/create, then GET …/pending until it is no longer inProgress and
//            prints the certificate; with the issuer Unknown prints the pending operation (its
//            CSR) at once. A failed or cancelled operation exits 1 with its error.
//   import   --vault-name V -n N --file F [--password W] [--policy P] [--disabled] [--tags …]
//            POST /certificates/N/import; F is PEM (sent as text) or PFX (sent as base64)
//   show     --vault-name V -n N [--version X]        GET /certificates/N[/X]
//   list     --vault-name V [--include-pending]       GET /certificates (every page)
//   list-versions --vault-name V -n N                 GET /certificates/N/versions
//   list-deleted  --vault-name V                      GET /deletedcertificates
//   show-deleted  --vault-name V -n N                 GET /deletedcertificates/N
//   download --vault-name V -n N --file F [--encoding PEM|DER] [--version X]
//            writes the certificate (`cer`); refuses an existing F, as az does; prints nothing
//   pending show|delete --vault-name V -n N           GET | DELETE /certificates/N/pending
//   pending merge --vault-name V -n N --file F [--disabled] [--tags …] (also `merge`)
//            POST /certificates/N/pending/merge with F (a PEM chain or one DER certificate)
//   delete | recover | purge --vault-name V -n N      DELETE /certificates/N |
//            POST /deletedcertificates/N/recover | DELETE /deletedcertificates/N (prints nothing)
//   backup   --vault-name V -n N --file F             POST /certificates/N/backup; F gets the raw
//            blob bytes (the base64url `value` decoded), mode 0600; prints nothing
//   restore  --vault-name V --file F                  POST /certificates/restore
//            (show, list-versions, list-deleted, show-deleted, delete, recover, purge, backup and
//            restore are the lifecycle commands of object_commands.h)
//   contact …, issuer …                               see certificate_settings_commands.h
//
// P is JSON text or @file (certificate_args.h). Options of `certificate` (--data-dir) and of
// the groups may come anywhere after them. Prints the server's JSON (lists as their `value`
// array) and exits 0, or `ERROR: <message>` on stderr and 1; a bad option value exits 2.
//
// Thread-safety: the functions keep no state; AddCertificateCommands must be called before
// parsing.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/management_session.h"

namespace CLI {
class App;
}

namespace coffer::cli {

// One certificate of one vault.
struct CertificateRef {
  std::string vault;
  std::string name;
  std::string version;  // "" = the latest
};

// Fields of the create, import and merge bodies besides their own.
struct CertificateBodyArgs {
  nlohmann::json policy;  // wire shape; null = none given
  bool disabled = false;
  nlohmann::json tags;  // object; null = none given
};

int CertificateCreate(const ClientContext& ctx, const CertificateRef& cert,
                      const CertificateBodyArgs& args);
// `password` nullopt sends none; "" sends an empty one (they differ for a PFX).
int CertificateImport(const ClientContext& ctx, const CertificateRef& cert, const std::string& file,
                      const std::optional<std::string>& password, const CertificateBodyArgs& args);
int CertificateMerge(const ClientContext& ctx, const CertificateRef& cert, const std::string& file,
                     const CertificateBodyArgs& args);
// `encoding` is "PEM" or "DER".
int CertificateDownload(const ClientContext& ctx, const CertificateRef& cert,
                        const std::string& file, const std::string& encoding);

// Registers `certificate …` (with `--data-dir D` on `certificate`). The parsed command runs as
// a CLI11 callback once parsing succeeded and stores its exit code in *exit_code, which must
// outlive the parse.
void AddCertificateCommands(CLI::App& app, std::optional<int>* exit_code);

}  // namespace coffer::cli
