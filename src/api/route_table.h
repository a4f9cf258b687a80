// RouteTable: the one declarative list of every route Coffer serves (OpenBao's framework.Path).
// Each route names its method, path pattern, plane, the Azure action or data action it needs,
// how that action is decided, which object it touches, its body cap, whether it runs inline on
// the I/O thread, its handler and the service-limit class it counts in. A request is matched
// once, in App::OnHead; authentication, authorization, service limits and audit hook in there,
// at one place. A path that no route names does not exist (404, or 405 when the path exists for
// other methods).
//
// Patterns are '/'-separated segments: a literal (matched case-insensitively, as Azure does),
// `{name}` (one non-empty segment), `{name?}` (one segment, possibly empty: the key operations'
// "latest" version) or, first only, `{scope*}` (one or more segments: an ARM scope such as
// "subscriptions/…/vaults/v"). Routes are tried in table order, so literal routes are listed
// before the parameter routes that would also match them ("/secrets/{name}/versions" before
// "/secrets/{name}/{version}").
//
// Thread-safety: immutable after construction; Match is safe to call concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/service_limits.h"

namespace coffer::http {
struct Request;
struct Response;
}  // namespace coffer::http

namespace coffer::api {

class App;
struct RequestContext;

enum class Plane {
  kIdentity,    // token endpoint, discovery, JWKS: no token
  kOperator,    // health, unseal: no token, served while sealed
  kPortal,      // the portal's static files and dev sign-in: no token, base host only
  kManagement,  // ARM-shaped: management-audience token
  kAdmin,       // /_coffer/principals, subscriptions: management token of the tenant administrator
  kDev,         // dev clock: management token of the tenant administrator, dev mode only
  kData,        // a vault's data plane: data-audience token
};

// How a route's action is decided.
enum class Authz {
  kNone,        // no caller (identity, operator routes)
  kDataAction,  // the data action on the vault or the object: RBAC or the vault's access policies
  kVault,       // an ARM action on the vault named by {sub}/{rg}/{vault}
  kSubscription,  // an ARM action on /subscriptions/{sub}
  kHandler,     // the handler decides (lists filtered by what the caller may read; role
                // assignment writes, whose condition needs the body)
  kTenantAdmin,  // the tenant administrator only
};

enum class ObjectKind { kNone, kSecret, kKey, kCertificate };

using RouteHandler = http::Response (*)(const App& app, const RequestContext& ctx,
                                        http::Request& req);

struct Route {
  std::string_view method;
  std::string_view pattern;
  Plane plane;
  Authz authz;
  std::string_view action;         // Azure action / data action; "" for kNone
  std::string_view policy;         // access-policy permission "secrets get"; "" where none
  ObjectKind object = ObjectKind::kNone;  // the {name} parameter names an object of this kind
  size_t body_limit = 0;
  bool run_inline = false;         // never waits on a commit: run on the I/O thread
  RouteHandler handler = nullptr;
  // The service-limit class the route counts in (kNone off the data plane); set for every
  // route from its data action (route_table.cc, LimitClassOf).
  ThrottleClass limit = ThrottleClass::kNone;
  // How many times its body the handler holds at its peak (http::HeadDecision); the body
  // budget reserves that much. Set in route_table.cc from the body limit (restores: 5).
  uint32_t body_memory_factor = 1;
  // The body goes to an unnamed file in the backup spool directory (http::Request::body_file),
  // not memory: a whole-vault archive upload.
  bool spool_body = false;
};

struct RouteParams {
  std::vector<std::pair<std::string_view, std::string>> items;
  // The parameter's value, or "" when the route has no such parameter.
  const std::string& Get(std::string_view name) const;
};

struct RouteMatch {
  const Route* route = nullptr;  // null: no route for this method and path
  RouteParams params;
  bool path_exists = false;      // some route matches the path with another method (→ 405)
  std::string allowed;           // those methods, comma-separated, for the Allow header
};

class RouteTable {
 public:
  explicit RouteTable(std::vector<Route> routes);

  // `segments` are the percent-decoded path segments (see SplitPath); `vault_host` limits the
  // match to data-plane routes (a vault host serves nothing else).
  RouteMatch Match(std::string_view method, const std::vector<std::string>& segments,
                   bool vault_host) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Compiled {
    std::vector<std::string_view> segments;
    bool scope_prefix = false;  // the first pattern segment is {scope*}
  };
  bool MatchPath(const Compiled& c, const std::vector<std::string>& segments,
                 RouteParams* params) const;

  std::vector<Route> routes_;
  std::vector<Compiled> compiled_;
};

// Coffer's table (route_table.cc).
const RouteTable& CofferRoutes();

}  // namespace coffer::api
