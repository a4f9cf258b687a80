#include "cli/principal_commands.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/secret_bytes.h"
#include "http/client.h"

namespace coffer::cli {
namespace {

using nlohmann::json;

enum class Print { kBody, kValueArray };

// Sends one management request and prints the answer (lists as their value array). The
// session clears the response buffer and PrintJson the printed text: create and secret add
// answer with a client secret, shown once.
int Send(const ClientContext& ctx, const std::string& method, const std::string& path_and_query,
         const std::optional<json>& body, Print print = Print::kBody) {
  auto session = ManagementSession::Connect(ctx);
  if (!session.ok()) return ReportError(session.status());
  auto answer = session->Request(method, path_and_query, body);
  if (!answer.ok()) return ReportError(answer.status());
  json& j = *answer;
  int code = PrintJson(
      print == Print::kValueArray && j.is_object() && j.contains("value") ? j["value"] : j);
  if (j.is_object() && j.contains("clientSecret") && j["clientSecret"].is_string()) {
    SecureClear(j["clientSecret"].get_ref<std::string&>());
  }
  return code;
}

std::string Segment(const std::string& s) { return http::PercentEncode(s); }

std::string PrincipalPath(const std::string& object_id) {
  return "/_coffer/principals/" + Segment(object_id);
}

}  // namespace

int PrincipalCreate(const ClientContext& ctx, const std::string& display_name) {
  return Send(ctx, "POST", "/_coffer/principals", json{{"displayName", display_name}});
}

int PrincipalList(const ClientContext& ctx) {
  return Send(ctx, "GET", "/_coffer/principals", std::nullopt, Print::kValueArray);
}

int PrincipalShow(const ClientContext& ctx, const std::string& object_id) {
  return Send(ctx, "GET", PrincipalPath(object_id), std::nullopt);
}

int PrincipalDelete(const ClientContext& ctx, const std::string& object_id) {
  return Send(ctx, "DELETE", PrincipalPath(object_id), std::nullopt);
}

int PrincipalSecretAdd(const ClientContext& ctx, const std::string& object_id) {
  return Send(ctx, "POST", PrincipalPath(object_id) + "/secrets", json::object());
}

int PrincipalSecretRevoke(const ClientContext& ctx, const std::string& object_id,
                          const std::string& key_id) {
  return Send(ctx, "DELETE", PrincipalPath(object_id) + "/secrets/" + Segment(key_id),
              std::nullopt);
}

int SubscriptionCreate(const ClientContext& ctx, const std::string& display_name) {
  return Send(ctx, "POST", "/_coffer/subscriptions", json{{"displayName", display_name}});
}

int SubscriptionList(const ClientContext& ctx) {
  return Send(ctx, "GET", std::string("/subscriptions?api-version=") + kSubscriptionsApiVersion,
              std::nullopt, Print::kValueArray);
}

void AddPrincipalCommands(CLI::App& app, std::optional<int>* exit_code) {
  struct Args {
    ClientContext ctx;
    std::string display_name, id, key_id;
  };
  auto args = std::make_shared<Args>();
  auto data_dir = [args](CLI::App* c) {
    c->add_option("--data-dir", args->ctx.data_dir, "Data dir holding dev-credentials.json");
  };
  auto run = [args, exit_code](CLI::App* c, auto fn) {
    c->callback([args, exit_code, fn] { *exit_code = fn(*args); });
  };

  auto* principal = app.add_subcommand("principal", "Manage the tenant's service principals");
  principal->require_subcommand(1);
  principal->fallthrough();  // so `--data-dir` may follow the leaf command
  data_dir(principal);
  auto* create = principal->add_subcommand("create", "Create a principal; prints its secret once");
  create->add_option("--display-name", args->display_name, "Display name (1-256 characters)")
      ->required();
  run(create, [](const Args& a) { return PrincipalCreate(a.ctx, a.display_name); });
  auto* list = principal->add_subcommand("list", "List principals (without secrets)");
  run(list, [](const Args& a) { return PrincipalList(a.ctx); });
  auto* show = principal->add_subcommand("show", "Show a principal");
  auto* del = principal->add_subcommand("delete", "Delete a principal; its tokens stop working");
  for (auto* c : {show, del}) c->add_option("--id", args->id, "Object id")->required();
  run(show, [](const Args& a) { return PrincipalShow(a.ctx, a.id); });
  run(del, [](const Args& a) { return PrincipalDelete(a.ctx, a.id); });
  auto* secret = principal->add_subcommand("secret", "Add or revoke a principal's secrets");
  secret->require_subcommand(1);
  auto* add = secret->add_subcommand("add", "Add a client secret; prints it once");
  add->add_option("--id", args->id, "Object id")->required();
  run(add, [](const Args& a) { return PrincipalSecretAdd(a.ctx, a.id); });
  auto* revoke = secret->add_subcommand("revoke", "Revoke a client secret and its tokens");
  revoke->add_option("--id", args->id, "Object id")->required();
  revoke->add_option("--key-id", args->key_id, "Key id of the secret")->required();
  run(revoke, [](const Args& a) { return PrincipalSecretRevoke(a.ctx, a.id, a.key_id); });

  auto* subscription = app.add_subcommand("subscription", "Manage the deployment's subscriptions");
  subscription->require_subcommand(1);
  subscription->fallthrough();
  data_dir(subscription);
  auto* sub_create = subscription->add_subcommand("create", "Create a subscription");
  sub_create->add_option("--display-name", args->display_name, "Display name (1-64 characters)")
      ->required();
  run(sub_create, [](const Args& a) { return SubscriptionCreate(a.ctx, a.display_name); });
  auto* sub_list = subscription->add_subcommand("list", "List subscriptions you hold a role in");
  run(sub_list, [](const Args& a) { return SubscriptionList(a.ctx); });
}

}  // namespace coffer::cli
