// Client-side commands of the `coffer` CLI that are neither vault, role nor tenant administration:
// login and logout (the profile of credentials.h), the dev clock (through the management plane,
// with the credentials of credentials.h) and operator unseal (with an unseal key, no token). Each
// returns a process exit code and prints JSON on success, `ERROR: <message>` on stderr on failure.
//
// Thread-safety: the functions keep no state.
#pragma once

#include <cstdint>
#include <string>

#include "cli/management_session.h"

namespace coffer::cli {

int DevTimeShift(const ClientContext& ctx, int64_t seconds);
// `coffer operator failover promote`: asks the running node to promote its paired replica
// (POST /_coffer/operator/failover/promote) and prints {"storage", "writable"}.
int OperatorFailoverPromote(const ClientContext& ctx);
// `coffer login`: checks `creds` by obtaining a token with them, then saves them to the profile
// (credentials.h, mode 0600) and prints {url, tenantId, clientId, profile}, never the secret.
int Login(Credentials creds);
// `coffer logout`: removes the profile (nothing to remove is not an error); prints nothing.
int Logout();
int OperatorUnseal(const std::string& url, const std::string& key_file, const std::string& ca_file);

}  // namespace coffer::cli
