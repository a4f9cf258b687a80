#include "cli/certificate_commands.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/certificate_args.h"
#include "cli/certificate_settings_commands.h"
#include "cli/object_commands.h"
#include "cli/vault_session.h"
#include "core/encoding.h"
#include "core/files.h"
#include "core/secret_bytes.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

// How long `create` waits for an issuer to finish, and how often it asks.
constexpr auto kCreateWaitLimit = std::chrono::minutes(10);
constexpr auto kLongestPoll = std::chrono::seconds(2);

std::string CertPath(const std::string& name) {
  return "/certificates/" + http::PercentEncode(name);
}

std::string VersionPath(const CertificateRef& cert) {
  return CertPath(cert.name) +
         (cert.version.empty() ? "" : "/" + http::PercentEncode(cert.version));
}

// The attributes, tags and policy every body that makes a version may carry.
json Body(const CertificateBodyArgs& args) {
  json body = json::object();
  if (!args.policy.is_null()) body["policy"] = args.policy;
  if (args.disabled) body["attributes"] = {{"enabled", false}};
  if (!args.tags.is_null()) body["tags"] = args.tags;
  return body;
}

// Clears the string member `name` of `body` (a password or key material that was sent).
void ClearMember(json& body, const char* name) {
  if (body.contains(name) && body[name].is_string())
    SecureClear(body[name].get_ref<std::string&>());
}

// GETs the pending operation until its status is no longer inProgress (the SDK's rule).
StatusOr<json> WaitForOperation(VaultSession& s, const std::string& name) {
  return PollUntilDone([&] { return s.Request("GET", CertPath(name) + "/pending"); },
                       [](const json& op) { return StringField(op, "status") != "inProgress"; },
                       kLongestPoll, kCreateWaitLimit,
                       "the certificate operation of '" + name +
                           "' is still in progress; `coffer certificate pending show` shows it");
}

StatusOr<json> Create(VaultSession& s, const CertificateRef& cert,
                      const CertificateBodyArgs& args) {
  ASSIGN_OR_RETURN(json op, s.Request("POST", CertPath(cert.name) + "/create", Body(args)));
  // As az does: an Unknown issuer waits for a merge, so the operation (with its CSR) is the
  // answer.
  if (EqualsIgnoreCase(StringField(op.value("issuer", json::object()), "name"), "Unknown")) {
    return op;
  }
  ASSIGN_OR_RETURN(op, WaitForOperation(s, cert.name));
  const std::string status = StringField(op, "status");
  if (status != "completed") {
    std::string message = StringField(op.value("error", json::object()), "message");
    if (message.empty()) {
      message = "The certificate operation of '" + cert.name + "' ended " + status + ".";
    }
    return FailedPreconditionError(std::move(message));
  }
  return s.Request("GET", CertPath(cert.name));
}

}  // namespace

int CertificateCreate(const ClientContext& ctx, const CertificateRef& cert,
                      const CertificateBodyArgs& args) {
  return RunWithVault(ctx, cert.vault, [&](VaultSession& s) { return Create(s, cert, args); });
}

int CertificateImport(const ClientContext& ctx, const CertificateRef& cert, const std::string& file,
                      const std::optional<std::string>& password, const CertificateBodyArgs& args) {
  return RunWithVault(ctx, cert.vault, [&](VaultSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::string bytes, ReadFile(file));
    json body = Body(args);
    body["value"] = ImportValue(bytes);
    SecureClear(bytes);
    if (password) body["pwd"] = *password;
    auto answer = s.Request("POST", CertPath(cert.name) + "/import", body);
    ClearMember(body, "value");
    ClearMember(body, "pwd");
    return answer;
  });
}

int CertificateMerge(const ClientContext& ctx, const CertificateRef& cert, const std::string& file,
                     const CertificateBodyArgs& args) {
  return RunWithVault(ctx, cert.vault, [&](VaultSession& s) -> StatusOr<json> {
    ASSIGN_OR_RETURN(std::string chain, ReadFile(file));
    // One x5c entry, standard base64 of the file: the server reads DER or PEM blocks in it.
    json body = Body(args);
    body["x5c"] = json::array({EncodeBase64(chain)});
    return s.Request("POST", CertPath(cert.name) + "/pending/merge", body);
  });
}

int CertificateDownload(const ClientContext& ctx, const CertificateRef& cert,
                        const std::string& file, const std::string& encoding) {
  return RunWithVault(ctx, cert.vault, [&](VaultSession& s) -> StatusOr<json> {
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      return AlreadyExistsError("File or directory named '" + file + "' already exists.");
    }
    ASSIGN_OR_RETURN(json bundle, s.Request("GET", VersionPath(cert)));
    std::optional<std::string> der = DecodeBase64(StringField(bundle, "cer"));
    if (!der || der->empty()) {
      return FailedPreconditionError("The certificate '" + cert.name +
                                     "' has not been issued yet (its operation is pending).");
    }
    RETURN_IF_ERROR(
        WriteFileAtomically(file, encoding == "DER" ? *der : CertificatePem(*der), 0644));
    return json();  // az prints nothing
  });
}

void AddCertificateCommands(CLI::App& app, std::optional<int>* exit_code) {
  struct Args {
    ClientContext ctx;
    CertificateRef ref;
    CertificateBodyArgs body;
    std::string policy_text, file, password, encoding = "PEM";
    int validity = 0;
    std::vector<std::string> tags;
    bool include_pending = false;
    CLI::Option* password_option = nullptr;
  };
  auto args = std::make_shared<Args>();
  // The group (its --data-dir, the lifecycle commands every object kind shares).
  ObjectCommandGroup group(app, "certificate",
                           "Manage certificates (like `az keyvault certificate`)", "certificates",
                           exit_code);
  auto run = [args, exit_code, object = group.args()](CLI::App* c, auto fn) {
    c->callback([args, exit_code, object, fn] {
      args->ctx = object->ctx;
      *exit_code = fn(*args);
    });
  };
  // Turns --policy, --validity and --tags into the body; a bad value is a usage error.
  auto resolve_body = [](Args& a) {
    if (!a.policy_text.empty()) {
      auto policy = ReadPolicyArgument(a.policy_text);
      if (!policy.ok()) throw CLI::ValidationError(policy.status().message());
      a.body.policy = std::move(*policy);
    }
    if (a.validity != 0) a.body.policy["x509_props"]["validity_months"] = a.validity;
    if (!a.tags.empty()) {
      auto tags = ParseTags(a.tags);
      if (!tags.ok()) throw CLI::ValidationError(tags.status().message());
      a.body.tags = std::move(*tags);
    }
  };
  auto vault_only = [args](CLI::App* c) { AddVaultNameOption(c, &args->ref.vault); };
  auto named = [args, vault_only](CLI::App* c) {
    vault_only(c);
    c->add_option("--name,-n", args->ref.name, "Certificate name")->required();
  };
  auto file = [args](CLI::App* c, const char* what) {
    return c->add_option("--file,-f", args->file, what)->required();
  };
  auto body_options = [args](CLI::App* c) {
    c->add_flag("--disabled", args->body.disabled, "Create the version disabled");
    c->add_option("--tags", args->tags, "Tags: k=v, space-separated");
  };

  CLI::App* cert = group.group();
  group.AddLifecycleCommands("certificate", /*list_too=*/false);

  auto* create = cert->add_subcommand("create", "Create a certificate and wait for its issuer");
  named(create);
  create->add_option("--policy,-p", args->policy_text, "Policy: JSON text or @file")->required();
  create->add_option("--validity", args->validity, "Months of validity (overrides the policy's)")
      ->check(CLI::PositiveNumber);
  body_options(create);
  run(create, [resolve_body](Args& a) {
    resolve_body(a);
    return CertificateCreate(a.ctx, a.ref, a.body);
  });

  auto* import = cert->add_subcommand("import", "Import a certificate with its private key");
  named(import);
  file(import, "PEM bundle (key and certificates) or PFX file");
  args->password_option = import->add_option("--password", args->password, "The PFX's password");
  import->add_option("--policy,-p", args->policy_text, "Policy: JSON text or @file");
  body_options(import);
  run(import, [resolve_body](Args& a) {
    resolve_body(a);
    std::optional<std::string> password;
    if (a.password_option->count() > 0) password = a.password;
    int code = CertificateImport(a.ctx, a.ref, a.file, password, a.body);
    SecureClear(a.password);
    if (password) SecureClear(*password);
    return code;
  });

  auto* list = cert->add_subcommand("list", "List certificates");
  vault_only(list);
  list->add_flag("--include-pending", args->include_pending,
                 "Also list certificates whose first version is still pending");
  run(list, [](Args& a) {
    return RunWithVault(a.ctx, a.ref.vault, [&](VaultSession& s) {
      return s.ListAll(a.include_pending ? "/certificates?includePending=true" : "/certificates");
    });
  });

  auto* download = cert->add_subcommand("download", "Write a certificate's public part to a file");
  named(download);
  file(download, "File to write (must not exist)");
  download->add_option("--encoding,-e", args->encoding, "PEM or DER")
      ->check(CLI::IsMember({"PEM", "DER"}))
      ->capture_default_str();
  download->add_option("--version,-v", args->ref.version, "Version (default: the latest)");
  run(download, [](Args& a) { return CertificateDownload(a.ctx, a.ref, a.file, a.encoding); });

  // Sends `method` to path(--name) + tail and prints the answer.
  auto send = [](const char* method, std::string (*path)(const std::string&), const char* tail) {
    return [=](Args& a) {
      return RunWithVault(a.ctx, a.ref.vault, [&](VaultSession& s) {
        return s.Request(method, path(a.ref.name) + tail);
      });
    };
  };
  auto* pending = cert->add_subcommand("pending", "The pending operation of a certificate");
  pending->require_subcommand(1);
  pending->fallthrough();
  auto* pending_show = pending->add_subcommand("show", "Show the pending operation");
  auto* pending_delete = pending->add_subcommand("delete", "Delete the pending operation");
  for (auto* c : {pending_show, pending_delete}) named(c);
  run(pending_show, send("GET", CertPath, "/pending"));
  run(pending_delete, send("DELETE", CertPath, "/pending"));
  // az spells it `pending merge`; `merge` is accepted too.
  for (auto* parent : {pending, cert}) {
    auto* merge = parent->add_subcommand("merge", "Merge a CA-signed chain into the pending one");
    named(merge);
    file(merge, "PEM chain or DER certificate signed for the pending CSR");
    body_options(merge);
    run(merge, [resolve_body](Args& a) {
      resolve_body(a);
      return CertificateMerge(a.ctx, a.ref, a.file, a.body);
    });
  }

  AddCertificateSettingsCommands(
      cert, std::shared_ptr<const ClientContext>(group.args(), &group.args()->ctx), exit_code);
}

}  // namespace coffer::cli
