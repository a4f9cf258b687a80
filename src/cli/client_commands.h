// Client-side commands of the `coffer` CLI that are neither vault, role nor tenant
// administration: the dev clock (through the management plane, with the credentials of
// <data-dir>/dev-credentials.json) and operator unseal (with an unseal key, no token). Each
// returns a process exit code and prints JSON on success, `ERROR: <message>` on stderr on
// failure.
//
// Thread-safety: the functions keep no state.
#pragma once

#include <cstdint>
#include <string>

#include "cli/management_session.h"

namespace coffer::cli {

int DevTimeShift(const ClientContext& ctx, int64_t seconds);
int OperatorUnseal(const std::string& url, const std::string& key_file, const std::string& ca_file);

}  // namespace coffer::cli
