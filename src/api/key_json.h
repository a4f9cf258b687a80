// KeyBundle JSON (AZURE_API.md §4.3), shared by the key routes and secure key release: the
// public JWK with its kid, the key attributes, tags, managed and release_policy. Never a
// private part.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "api/json_body.h"
#include "model/vault_record.h"
#include "vault/key_service.h"

namespace coffer::api {

// Attributes with the vault's recovery settings and `exportable`.
Json KeyAttributesJson(const model::KeyVersion& v, const model::VaultRecord& vault);
// {kid: "<origin>/keys/<name>/<version>", kty, key_ops, n, e | crv, x, y}.
Json KeyJwkJson(std::string_view origin, const vault::KeyView& k);
// {key, attributes, tags, managed?, release_policy?, and the deleted fields when deleted}.
Json KeyBundleJson(std::string_view origin, const model::VaultRecord& vault,
                   const vault::KeyView& k);

}  // namespace coffer::api
