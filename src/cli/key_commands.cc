// `coffer key …` (CONTRACT.md "CLI"), shaped like `az keyvault key`, sent to
// https://<vault>.vault.localhost:<port> (VaultSession) at api-version 7.6:
//
//   create   --vault-name V -n N [--kty RSA|RSA-HSM|EC|EC-HSM|oct|oct-HSM] [--size S]
//            [--curve C] [--ops o …] [--disabled] [--exportable --policy P [--immutable]]
//            [--tags k=v …]                                  POST /keys/N/create
//   import   --vault-name V -n N --pem-file F [--pem-password W] [--kty …-HSM] [--ops …]
//            [--disabled] [--exportable --policy P] [--tags …]   PUT /keys/N (the key as JWK)
//   rotate   --vault-name V -n N                             POST /keys/N/rotate
//   encrypt | decrypt --vault-name V -n N [--version X] --algorithm A --value B
//            [--data-type base64|plaintext] [--iv --aad --tag]
//            prints {kid, result, algorithm}; B and result are base64 (or text with plaintext)
//   sign     … --algorithm RS256 --digest D                  prints {kid, signature}
//   verify   … --algorithm A --digest D --signature S        prints {isValid}
//   rotation-policy show | update --value P                  GET | PUT /keys/N/rotationpolicy
//   show, list, list-versions, list-deleted, show-deleted, delete, recover, purge, backup,
//   restore                                                  see object_commands.h
//
// P is JSON text or @file. D, S and base64 values may be base64url or standard base64; what the
// CLI prints is base64url. Exit codes as in secret_commands.cc.

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/certificate_args.h"
#include "cli/key_args.h"
#include "cli/object_commands.h"
#include "core/encoding.h"
#include "core/files.h"
#include "core/secret_bytes.h"
#include "crypto/private_key_pem.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

struct KeyArgs {
  KeyCreateOptions create;
  std::string pem_password;
  std::string algorithm, value, data_type = "base64", iv, aad, tag, digest, signature;
};

// A usage error for a bad option value found after parsing.
template <typename T>
T OrUsageError(StatusOr<T> value) {
  if (!value.ok()) throw CLI::ValidationError(value.status().message());
  return std::move(*value);
}

// The private JWK of a PEM file, its parts base64url.
StatusOr<json> JwkFromPemFile(const std::string& file, const std::string& password) {
  ASSIGN_OR_RETURN(std::string pem, ReadFile(file));
  auto parts = crypto::PrivateJwkFromPem(pem, password);
  SecureClear(pem);
  if (!parts.ok()) return parts.status();
  json jwk = {{"kty", parts->kty}};
  auto put = [&jwk](const char* name, std::string_view bytes) {
    if (!bytes.empty()) jwk[name] = EncodeBase64Url(bytes);
  };
  put("n", parts->n);
  put("e", parts->e);
  if (!parts->crv.empty()) jwk["crv"] = parts->crv;
  put("x", parts->x);
  put("y", parts->y);
  for (auto [name, bytes] : {std::pair{"d", &parts->d}, {"p", &parts->p}, {"q", &parts->q},
                             {"dp", &parts->dp}, {"dq", &parts->dq}, {"qi", &parts->qi}}) {
    put(name, bytes->view());
  }
  return jwk;
}

// POST /keys/N/<version>/<operation>: an empty version segment means the latest, as the SDK's
// CryptographyClient sends it.
std::string OperationPath(const ObjectArgs& a, const char* operation) {
  return ObjectPath("keys", a.ref.name) + "/" + http::PercentEncode(a.ref.version) + "/" +
         operation;
}

// Clears every string member of `j` (a JWK that was sent).
void ClearStrings(json& j) {
  for (auto& [name, value] : j.items()) {
    if (value.is_string()) SecureClear(value.get_ref<std::string&>());
  }
}

// The body member `name` for a base64 option value ("" = not given).
void PutBase64(json& body, const char* name, const std::string& option, const std::string& text) {
  if (!text.empty()) body[name] = EncodeBase64Url(OrUsageError(DecodeBase64Argument(option, text)));
}

StatusOr<json> Crypt(VaultSession& s, ObjectArgs& a, KeyArgs& k, const char* operation) {
  const bool encrypt = std::string_view(operation) == "encrypt";
  std::string input = encrypt && k.data_type == "plaintext"
                          ? k.value
                          : OrUsageError(DecodeBase64Argument("--value", k.value));
  json body = {{"alg", k.algorithm}, {"value", EncodeBase64Url(input)}};
  SecureClear(input);
  SecureClear(k.value);
  PutBase64(body, "iv", "--iv", k.iv);
  PutBase64(body, "aad", "--aad", k.aad);
  PutBase64(body, "tag", "--tag", k.tag);
  auto answer = s.Request("POST", OperationPath(a, operation), body);
  SecureClear(body["value"].get_ref<std::string&>());
  if (!answer.ok()) return answer.status();
  json out = {{"kid", StringField(*answer, "kid")}, {"algorithm", k.algorithm}};
  std::string result = StringField(*answer, "value");
  if (!encrypt && k.data_type == "plaintext") {
    std::optional<std::string> text = DecodeBase64Url(result);
    out["result"] = text.value_or("");
    if (text) SecureClear(*text);
  } else {
    out["result"] = result;
  }
  for (const char* member : {"iv", "tag", "aad"}) {
    if (answer->contains(member)) out[member] = (*answer)[member];
  }
  SecureClear(result);
  ClearStrings(*answer);
  return out;
}

}  // namespace

void AddKeyCommands(CLI::App& app, std::optional<int>* exit_code) {
  ObjectCommandGroup g(app, "key", "Manage keys (like `az keyvault key`)", "keys", exit_code);
  auto k = std::make_shared<KeyArgs>();
  auto attribute_options = [k, &g](CLI::App* c) {
    c->add_option("--ops", k->create.ops, "Permitted operations (encrypt, sign, wrapKey, …)");
    c->add_flag("--disabled", k->create.disabled, "Create the version disabled");
    c->add_flag("--exportable", k->create.exportable, "Exportable (needs --policy)");
    c->add_option("--policy", k->create.policy, "Release policy: JSON text or @file");
    c->add_flag("--immutable", k->create.immutable, "Make the release policy immutable");
    g.AddTagsOption(c);
    g.AddDateOptions(c);
  };
  const auto kKeyTypes = CLI::IsMember({"RSA", "RSA-HSM", "EC", "EC-HSM", "oct", "oct-HSM"});

  auto path = [](const ObjectArgs& a) { return ObjectPath("keys", a.ref.name); };

  auto* create = g.NamedCommand(g.group(), "create", "Create a key (a new version)",
                                [k, path](VaultSession& s, ObjectArgs& a) {
                                  json body = OrUsageError(KeyCreateBody(k->create));
                                  AddDatesTo(a, body);
                                  AddTagsTo(a, body);
                                  return s.Request("POST", path(a) + "/create", body);
                                });
  create->add_option("--kty", k->create.kty, "Key type")->check(kKeyTypes)->capture_default_str();
  create->add_option("--size", k->create.size, "RSA key size (2048, 3072, 4096) or oct bits");
  create->add_option("--curve", k->create.curve, "EC curve (P-256, P-384, P-521, P-256K)");
  attribute_options(create);

  auto* import = g.NamedCommand(
      g.group(), "import", "Import a private key from a PEM file",
      [k, path](VaultSession& s, ObjectArgs& a) -> StatusOr<json> {
        json body = OrUsageError(KeyCreateBody(k->create));
        AddDatesTo(a, body);
        auto jwk = JwkFromPemFile(a.file, k->pem_password);
        SecureClear(k->pem_password);
        if (!jwk.ok()) return jwk.status();
        // An -HSM type asks for an HSM-protected key, as az's --protection hsm does.
        if (k->create.kty.ends_with("-HSM")) {
          (*jwk)["kty"] = (*jwk)["kty"].get<std::string>() + "-HSM";
        }
        if (body.contains("key_ops")) (*jwk)["key_ops"] = body["key_ops"];
        json request = {{"key", std::move(*jwk)}};
        if (body.contains("attributes")) request["attributes"] = body["attributes"];
        if (body.contains("release_policy")) request["release_policy"] = body["release_policy"];
        AddTagsTo(a, request);
        auto answer = s.Request("PUT", path(a), request);
        ClearStrings(request["key"]);
        return answer;
      });
  import->add_option("--pem-file", g.args()->file, "PEM file with the private key")->required();
  import->add_option("--pem-password", k->pem_password, "Password of an encrypted PEM key");
  import->add_option("--kty", k->create.kty, "RSA-HSM or EC-HSM for an HSM-protected key")
      ->check(kKeyTypes);
  attribute_options(import);

  g.NamedCommand(g.group(), "rotate", "Rotate a key (a new version of the same type)",
                 [path](VaultSession& s, ObjectArgs& a) {
                   return s.Request("POST", path(a) + "/rotate", json::object());
                 });

  // encrypt, decrypt, sign and verify act on --version (default: the latest).
  auto operation = [&g, k](const char* name, const char* help, ObjectCommandGroup::Command fn) {
    CLI::App* c = g.NamedCommand(g.group(), name, help, std::move(fn));
    g.AddVersionOption(c);
    c->add_option("--algorithm,-a", k->algorithm, "Algorithm (RSA-OAEP-256, RS256, ES256, …)")
        ->required();
    return c;
  };
  for (const char* name : {"encrypt", "decrypt"}) {
    CLI::App* c = operation(name, std::string(name) == "encrypt" ? "Encrypt with a key"
                                                                 : "Decrypt with a key",
                            [k, name](VaultSession& s, ObjectArgs& a) {
                              return Crypt(s, a, *k, name);
                            });
    c->add_option("--value", k->value, "Base64 input (text with --data-type plaintext)")
        ->required();
    c->add_option("--data-type", k->data_type, "base64 or plaintext")
        ->check(CLI::IsMember({"base64", "plaintext"}))
        ->capture_default_str();
    c->add_option("--iv", k->iv, "Base64 initialisation vector (AES)");
    c->add_option("--aad", k->aad, "Base64 additional authenticated data (AES-GCM)");
    c->add_option("--tag", k->tag, "Base64 authentication tag (AES-GCM decrypt)");
  }
  CLI::App* sign = operation("sign", "Sign a digest", [k](VaultSession& s, ObjectArgs& a)
                                                          -> StatusOr<json> {
    json body = {{"alg", k->algorithm}};
    PutBase64(body, "value", "--digest", k->digest);
    ASSIGN_OR_RETURN(json answer,
                     s.Request("POST", OperationPath(a, "sign"), body));
    return json{{"kid", StringField(answer, "kid")}, {"signature", StringField(answer, "value")}};
  });
  sign->add_option("--digest", k->digest, "Base64url digest to sign")->required();
  CLI::App* verify = operation("verify", "Verify a signature", [k](VaultSession& s, ObjectArgs& a)
                                                                    -> StatusOr<json> {
    json body = {{"alg", k->algorithm}};
    PutBase64(body, "digest", "--digest", k->digest);
    PutBase64(body, "value", "--signature", k->signature);
    ASSIGN_OR_RETURN(json answer, s.Request("POST", OperationPath(a, "verify"), body));
    return json{{"isValid", answer.is_object() && answer.value("value", false)}};
  });
  verify->add_option("--digest", k->digest, "Base64url digest that was signed")->required();
  verify->add_option("--signature", k->signature, "Base64url signature")->required();

  auto* rotation = g.group()->add_subcommand("rotation-policy", "A key's rotation policy");
  rotation->require_subcommand(1);
  rotation->fallthrough();
  g.NamedCommand(rotation, "show", "Show a key's rotation policy",
                 [path](VaultSession& s, ObjectArgs& a) {
                   return s.Request("GET", path(a) + "/rotationpolicy");
                 });
  auto* update = g.NamedCommand(
      rotation, "update", "Set a key's rotation policy", [k, path](VaultSession& s, ObjectArgs& a) {
        json policy = WithoutNulls(OrUsageError(ReadJsonArgument("--value", k->value)));
        return s.Request("PUT", path(a) + "/rotationpolicy", policy);
      });
  update->add_option("--value", k->value, "Policy: JSON text or @file")->required();

  g.AddLifecycleCommands("key");
}

}  // namespace coffer::cli
