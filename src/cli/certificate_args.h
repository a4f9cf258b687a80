// What `coffer certificate …` (and, for JSON and tags, `secret` and `key`) makes of its arguments
// before anything is sent: the --policy text (JSON or @file, in the wire shape of the REST API or
// in the camelCase shape `az keyvault certificate get-default-policy` prints), --tags, the bytes of
// an import file, and the PEM form of a downloaded certificate. Every error is InvalidArgument with
// a message that names the option; the command files turn it into a usage error (exit 2).
//
// Thread-safety: pure functions (ReadPolicyArgument reads a file).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace coffer::cli {

// The certificate policy `text` means: `@path` reads the file, anything else is the JSON text.
// The object is returned in the wire shape (key_props, secret_props, x509_props, issuer,
// lifetime_actions, attributes); az's shape (keyProperties, x509CertificateProperties,
// issuerParameters, lifetimeActions, …) is renamed field by field and its nulls dropped.
// Errors: an unreadable file, text that is not a JSON object.
StatusOr<nlohmann::json> ReadPolicyArgument(const std::string& text);

// The JSON object `text` means for `option`: `@path` reads the file, anything else is the text.
// Errors: an unreadable file, text that is not a JSON object (messages name `option`).
StatusOr<nlohmann::json> ReadJsonArgument(const std::string& option, const std::string& text);

// `j` without its null members, recursively (az writes nulls for what is not set), each member
// renamed by `rename` when one is given.
nlohmann::json WithoutNulls(const nlohmann::json& j,
                            std::string (*rename)(const std::string&) = nullptr);

// az's policy shape renamed to the wire shape (see ReadPolicyArgument); wire names and unknown
// names are kept, null members dropped, recursively.
nlohmann::json PolicyToWireShape(const nlohmann::json& policy);

// `--tags k=v k2=v2` (a bare `k` is an empty value, as in az) as a JSON object. Errors: an
// empty name.
StatusOr<nlohmann::json> ParseTags(const std::vector<std::string>& tags);

// The import `value` for a certificate file's bytes: PEM text as it is (with CRLF line ends
// made LF, as az does), anything else (a PFX) as standard base64.
std::string ImportValue(std::string_view file_bytes);

// `der` as one PEM "CERTIFICATE" block: 64-column base64, "\n" line ends.
std::string CertificatePem(std::string_view der);

}  // namespace coffer::cli
