#include "cli/certificate_settings_commands.h"

#include <CLI/CLI.hpp>
#include <string>

#include "cli/vault_session.h"
#include "core/secret_bytes.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

constexpr char kContactsPath[] = "/certificates/contacts";

struct ContactArgs {
  std::string email, name, phone;
};

struct IssuerArgs {
  std::string name, provider, account_id, password, organization_id;
  bool disabled = false;
  std::string enabled;  // update: "true", "false" or "" (unchanged)
};

std::string IssuerPath(const std::string& name) {
  return "/certificates/issuers/" + http::PercentEncode(name);
}

// The vault's contacts; none set yet (404 ContactsNotFound) is an empty list.
StatusOr<json> Contacts(VaultSession& s) {
  auto answer = s.Request("GET", kContactsPath);
  if (!answer.ok() && answer.status().code() == StatusCode::kNotFound) return json::array();
  if (!answer.ok()) return answer.status();
  return answer->value("contacts", json::array());
}

StatusOr<json> ContactAdd(VaultSession& s, const ContactArgs& a) {
  ASSIGN_OR_RETURN(json contacts, Contacts(s));
  json contact = {{"email", a.email}};
  if (!a.name.empty()) contact["name"] = a.name;
  if (!a.phone.empty()) contact["phone"] = a.phone;
  contacts.push_back(std::move(contact));
  return s.Request("PUT", kContactsPath, json{{"contacts", contacts}});
}

StatusOr<json> ContactDelete(VaultSession& s, const std::string& vault, const std::string& email) {
  ASSIGN_OR_RETURN(json contacts, Contacts(s));
  json remaining = json::array();
  for (const json& c : contacts) {
    if (StringField(c, "email") != email) remaining.push_back(c);
  }
  if (remaining.size() == contacts.size()) {
    return NotFoundError("contact '" + email + "' not found in vault '" + vault + "'");
  }
  if (remaining.empty()) return s.Request("DELETE", kContactsPath);
  return s.Request("PUT", kContactsPath, json{{"contacts", remaining}});
}

// The issuer body with the options given; `create` adds what a new issuer always has.
json IssuerBody(const IssuerArgs& a, bool create) {
  json body = json::object();
  if (!a.provider.empty()) body["provider"] = a.provider;
  if (!a.account_id.empty()) body["credentials"]["account_id"] = a.account_id;
  if (!a.password.empty()) body["credentials"]["pwd"] = a.password;
  if (!a.organization_id.empty()) body["org_details"]["id"] = a.organization_id;
  if (create) {
    body["org_details"]["admin_details"] = json::array();
    body["attributes"] = {{"enabled", !a.disabled}};
  } else if (!a.enabled.empty()) {
    body["attributes"] = {{"enabled", a.enabled == "true"}};
  }
  return body;
}

// Sends an issuer body and clears the password from it and from the arguments.
StatusOr<json> SendIssuer(VaultSession& s, const std::string& method, IssuerArgs& a) {
  json body = IssuerBody(a, method == "PUT");
  auto answer = s.Request(method, IssuerPath(a.name), body);
  if (body.contains("credentials") && body["credentials"].contains("pwd")) {
    SecureClear(body["credentials"]["pwd"].get_ref<std::string&>());
  }
  SecureClear(a.password);
  return answer;
}

}  // namespace

void AddCertificateSettingsCommands(CLI::App* certificate, std::shared_ptr<const ClientContext> ctx,
                                    std::optional<int>* exit_code) {
  struct Args {
    std::string vault;
    ContactArgs contact;
    IssuerArgs issuer;
  };
  auto args = std::make_shared<Args>();
  // Runs `fn(session, args)` against --vault-name and prints its answer.
  auto run = [args, ctx, exit_code](CLI::App* c, auto fn) {
    AddVaultNameOption(c, &args->vault);
    c->callback([args, ctx, exit_code, fn] {
      *exit_code = RunWithVault(*ctx, args->vault, [&](VaultSession& s) { return fn(s, *args); });
    });
  };

  auto* contact = certificate->add_subcommand("contact", "The vault's certificate contacts");
  contact->require_subcommand(1);
  contact->fallthrough();
  auto* add = contact->add_subcommand("add", "Add a contact");
  add->add_option("--email", args->contact.email, "Email address")->required();
  add->add_option("--name", args->contact.name, "Contact name");
  add->add_option("--phone", args->contact.phone, "Phone number");
  run(add, [](VaultSession& s, Args& a) { return ContactAdd(s, a.contact); });
  auto* remove = contact->add_subcommand("delete", "Remove a contact");
  remove->add_option("--email", args->contact.email, "Email address of the contact")->required();
  run(remove, [](VaultSession& s, Args& a) { return ContactDelete(s, a.vault, a.contact.email); });
  auto* list = contact->add_subcommand("list", "List the contacts");
  run(list, [](VaultSession& s, Args&) { return s.Request("GET", kContactsPath); });

  auto* issuer = certificate->add_subcommand("issuer", "The vault's certificate issuers");
  issuer->require_subcommand(1);
  issuer->fallthrough();
  auto issuer_name = [args](CLI::App* c) {
    c->add_option("--issuer-name", args->issuer.name, "Issuer name")->required();
  };
  auto issuer_fields = [args](CLI::App* c) {
    auto* provider = c->add_option("--provider-name", args->issuer.provider,
                                   "Provider (e.g. DigiCert, GlobalSign)");
    c->add_option("--account-id", args->issuer.account_id, "Account id at the provider");
    c->add_option("--password", args->issuer.password, "Account password (never shown back)");
    c->add_option("--organization-id", args->issuer.organization_id, "Organization id");
    return provider;
  };
  auto* create = issuer->add_subcommand("create", "Configure an issuer");
  issuer_name(create);
  issuer_fields(create)->required();
  create->add_flag("--disabled", args->issuer.disabled, "Create it disabled");
  run(create, [](VaultSession& s, Args& a) { return SendIssuer(s, "PUT", a.issuer); });
  auto* update = issuer->add_subcommand("update", "Change an issuer's fields");
  issuer_name(update);
  issuer_fields(update);
  update->add_option("--enabled", args->issuer.enabled, "true or false")
      ->check(CLI::IsMember({"true", "false"}));
  run(update, [](VaultSession& s, Args& a) { return SendIssuer(s, "PATCH", a.issuer); });
  auto* show = issuer->add_subcommand("show", "Show an issuer");
  auto* del = issuer->add_subcommand("delete", "Remove an issuer");
  for (auto* c : {show, del}) issuer_name(c);
  run(show, [](VaultSession& s, Args& a) { return s.Request("GET", IssuerPath(a.issuer.name)); });
  run(del, [](VaultSession& s, Args& a) { return s.Request("DELETE", IssuerPath(a.issuer.name)); });
  auto* issuers = issuer->add_subcommand("list", "List the issuers");
  run(issuers, [](VaultSession& s, Args&) { return s.ListAll("/certificates/issuers"); });
}

}  // namespace coffer::cli
