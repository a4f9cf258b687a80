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

constexpr const char* kSubscriptionsApiVersion = "2022-12-01";

int Fail(const std::string& message) {
  std::cerr << "ERROR: " << message << std::endl;
  return 1;
}

// The message of a refusal: the error envelope's, the OAuth description, or the status.
std::string ServerMessage(int status, const json& body) {
  if (body.is_object()) {
    auto error = body.find("error");
    if (error != body.end() && error->is_object()) {
      auto message = error->find("message");
      if (message != error->end() && message->is_string()) return message->get<std::string>();
    }
    auto description = body.find("error_description");
    if (description != body.end() && description->is_string()) {
      return description->get<std::string>();
    }
  }
  return "the server answered HTTP " + std::to_string(status);
}

enum class Print { kBody, kValueArray };

// Sends one management request and prints the answer. `path_and_query` starts with '/'.
int Send(const ClientContext& ctx, const std::string& method, const std::string& path_and_query,
         const std::optional<json>& body, Print print = Print::kBody) {
  std::string error;
  auto conn = ConnectManagement(ctx, &error);
  if (!conn) return Fail(error);
  http::ClientRequest req;
  req.method = method;
  req.url = conn->base_url + path_and_query;
  req.ca_file = conn->ca_file;
  req.headers.Set("Authorization", "Bearer " + conn->token);
  if (body) {
    req.headers.Set("Content-Type", "application/json");
    req.body = body->dump();
  }
  auto resp = http::Fetch(req);
  SecureClear(conn->token);
  if (!resp.ok()) return Fail("cannot reach the server: " + resp.status().message());
  json j = resp->body.empty() ? json() : json::parse(resp->body, nullptr, false);
  // The body may carry a client secret (create, secret add): it is printed once, then cleared.
  SecureClear(resp->body);
  if (resp->status >= 400) return Fail(ServerMessage(resp->status, j));
  if (j.is_discarded()) return Fail("the server's answer is not JSON");
  if (!j.is_null()) {
    const json& out =
        print == Print::kValueArray && j.is_object() && j.contains("value") ? j["value"] : j;
    std::string text = out.dump(2);
    std::cout << text << std::endl;
    SecureClear(text);
  }
  return 0;
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
