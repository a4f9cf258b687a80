// The vault-wide certificate settings of `coffer certificate …`, shaped like `az keyvault
// certificate contact|issuer` (AZURE_API.md Part 2 §A2–A3), sent like certificate_commands.h:
//
//   contact add    --vault-name V --email E [--name N] [--phone P]
//                  GET /certificates/contacts (none yet is an empty list), appends, PUTs the list
//   contact delete --vault-name V --email E
//                  PUTs the list without E, or DELETEs it when E was the last; E not listed → 1
//   contact list   --vault-name V                     GET /certificates/contacts
//   issuer create  --vault-name V --issuer-name I --provider-name P [--account-id A]
//                  [--password W] [--organization-id O] [--disabled]
//                  PUT /certificates/issuers/I
//   issuer update  --vault-name V --issuer-name I [--provider-name P] [--account-id A]
//                  [--password W] [--organization-id O] [--enabled true|false]
//                  PATCH /certificates/issuers/I with the options given
//   issuer show | delete --vault-name V --issuer-name I   GET | DELETE /certificates/issuers/I
//   issuer list    --vault-name V                     GET /certificates/issuers (the value array)
//
// The server never returns an issuer's password; the CLI clears it from memory once sent.
//
// Thread-safety: no state; AddCertificateSettingsCommands must be called before parsing.
#pragma once

#include <memory>
#include <optional>

#include "cli/management_session.h"

namespace CLI {
class App;
}

namespace coffer::cli {

// Registers `contact …` and `issuer …` under `certificate`, connecting with *ctx (the
// `certificate` command's --data-dir) when one runs; its exit code goes to *exit_code.
void AddCertificateSettingsCommands(CLI::App* certificate, std::shared_ptr<const ClientContext> ctx,
                                    std::optional<int>* exit_code);

}  // namespace coffer::cli
