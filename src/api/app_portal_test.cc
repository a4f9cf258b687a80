// The portal over HTTPS (CONTRACT.md "Portal", "Routes that need no token"): its static files
// without a token and with a strict CSP, only on the base host; the dev sign-in only in dev
// mode and only for the portal's own Origin; CORS headers for that origin only, and its
// preflights answered before authentication.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"

namespace coffer::api {
namespace {

class AppPortalTest : public testing::AppTest {
 protected:
  std::string Base() const { return "https://127.0.0.1:" + std::to_string(port()); }
  static http::Headers With(std::initializer_list<std::pair<std::string, std::string>> list) {
    http::Headers h;
    for (const auto& [n, v] : list) h.Set(n, v);
    return h;
  }
  std::string Header(const http::ClientResponse& r, std::string_view name) {
    auto v = r.headers.Get(name);
    return v ? std::string(*v) : std::string();
  }
};

TEST_F(AppPortalTest, ServesTheIndexWithoutATokenWithAStrictPolicy) {
  for (const char* path : {"/portal/", "/portal/index.html"}) {
    SCOPED_TRACE(path);
    auto r = Call("GET", "127.0.0.1", path, "");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Header(r, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(Header(r, "X-Content-Type-Options"), "nosniff");
    std::string csp = Header(r, "Content-Security-Policy");
    EXPECT_TRUE(csp.starts_with("default-src 'self';")) << csp;
    EXPECT_NE(csp.find("script-src 'self';"), std::string::npos) << csp;
    EXPECT_NE(csp.find("connect-src 'self' https://*.vault.localhost:" + std::to_string(port()) +
                       ";"),
              std::string::npos)
        << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    EXPECT_NE(r.body.find("<script type=\"module\" src=\"/portal/app.js\"></script>"),
              std::string::npos);
  }
}

TEST_F(AppPortalTest, ServesScriptAndStyleWithTheirContentTypes) {
  auto js = Call("GET", "localhost", "/portal/app.js", "");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(Header(js, "Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_FALSE(js.body.empty());
  auto css = Call("GET", "127.0.0.1", "/portal/app.css", "");
  ASSERT_EQ(css.status, 200);
  EXPECT_EQ(Header(css, "Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(Header(css, "X-Content-Type-Options"), "nosniff");
}

TEST_F(AppPortalTest, UnknownAssetIs404) {
  for (const char* path : {"/portal/nope.js", "/portal/..%2Fapp.js", "/portal/a/b"}) {
    SCOPED_TRACE(path);
    auto r = Call("GET", "127.0.0.1", path, "");
    // Nested paths match no route at all and are challenged like any other unknown path.
    EXPECT_TRUE(r.status == 404 || r.status == 401) << r.status;
    EXPECT_EQ(r.headers.Get("Content-Security-Policy"), std::nullopt);
  }
  EXPECT_EQ(Call("GET", "127.0.0.1", "/portal/nope.js", "").status, 404);
}

TEST_F(AppPortalTest, NotServedOnVaultHosts) {
  auto r = Call("GET", VaultHost(), "/portal/", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("Content-Security-Policy"), std::nullopt);
}

TEST_F(AppPortalTest, DevTokenIsNotServedOutsideDevMode) {
  auto r = Call("POST", "127.0.0.1", "/portal/dev-token", "", "",
                With({{"Origin", Base()}}));
  EXPECT_EQ(r.status, 404) << r.body;
}

TEST_F(AppPortalTest, DevTokenNeedsThePortalsOwnOrigin) {
  UseDevMode();
  std::string port = std::to_string(this->port());
  EXPECT_EQ(Call("POST", "127.0.0.1", "/portal/dev-token", "", "").status, 403);
  for (const std::string& origin : std::vector<std::string>{
           "https://evil.example:" + port, "http://127.0.0.1:" + port, "https://127.0.0.1:1",
        "https://dev.vault.localhost:" + port, "https://127.0.0.2:" + port, "null"}) {
    SCOPED_TRACE(origin);
    auto r = Call("POST", "127.0.0.1", "/portal/dev-token", "", "", With({{"Origin", origin}}));
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_NE(r.body.find("Origin"), std::string::npos) << r.body;
  }
}

TEST_F(AppPortalTest, DevTokenAnswersATokenOfTheDevClientAndNoSecret) {
  UseDevMode();
  Assign(dev_object_id(), "00482a5a-887f-4fb3-b363-3b7fe8e74483", VaultScope());
  auto r = Call("POST", "127.0.0.1", "/portal/dev-token", "", "",
                With({{"Origin", Base()}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Header(r, "Cache-Control"), "no-store");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j.size(), 3u) << r.body;  // access_token, expires_in, token_type: nothing else
  EXPECT_GT(j["expires_in"].get<int64_t>(), 0);
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  std::string data = j["access_token"];
  EXPECT_EQ(Call("GET", VaultHost(), "/secrets?api-version=7.5", data).status, 200);
  // The data-plane token is not a management token.
  EXPECT_EQ(Call("GET", "127.0.0.1", "/subscriptions?api-version=2022-12-01", data).status, 401);

  auto m = Call("POST", "localhost", "/portal/dev-token", "",
                R"({"scope": "https://management.localhost/.default"})",
                With({{"Origin", "https://localhost:" + std::to_string(port())}}));
  ASSERT_EQ(m.status, 200) << m.body;
  std::string mgmt = nlohmann::json::parse(m.body)["access_token"];
  EXPECT_EQ(Call("GET", "127.0.0.1", "/subscriptions?api-version=2022-12-01", mgmt).status, 200);

  auto bad = Call("POST", "127.0.0.1", "/portal/dev-token", "", R"({"scope": "openid"})",
                  With({{"Origin", Base()}}));
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST_F(AppPortalTest, CorsHeadersOnlyForThePortalOrigin) {
  Caller c = NewCaller("c");
  Assign(c.object_id, "00482a5a-887f-4fb3-b363-3b7fe8e74483", VaultScope());
  std::string origin = "https://localhost:" + std::to_string(port());
  auto ok = Call("GET", VaultHost(), "/secrets?api-version=7.5", c.data_token, "",
                 With({{"Origin", origin}}));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Header(ok, "Access-Control-Allow-Origin"), origin);
  EXPECT_EQ(Header(ok, "Vary"), "Origin");
  // Errors carry it too, so the page can show the server's message.
  auto denied = Call("GET", VaultHost(), "/secrets?api-version=7.5", "", "",
                     With({{"Origin", origin}}));
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(Header(denied, "Access-Control-Allow-Origin"), origin);
  // Management plane.
  auto mgmt = Call("GET", "localhost", "/subscriptions?api-version=2022-12-01",
                   c.management_token, "", With({{"Origin", Base()}}));
  EXPECT_EQ(Header(mgmt, "Access-Control-Allow-Origin"), Base());

  for (const char* other : {"https://evil.example", "https://localhost:1", "*", "null"}) {
    SCOPED_TRACE(other);
    auto r = Call("GET", VaultHost(), "/secrets?api-version=7.5", c.data_token, "",
                  With({{"Origin", other}}));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.headers.Get("Access-Control-Allow-Origin"), std::nullopt);
  }
  auto none = Call("GET", VaultHost(), "/secrets?api-version=7.5", c.data_token);
  EXPECT_EQ(none.headers.Get("Access-Control-Allow-Origin"), std::nullopt);
}

TEST_F(AppPortalTest, PreflightFromThePortalIsAnsweredBeforeAuthentication) {
  std::string origin = "https://localhost:" + std::to_string(port());
  auto r = Call("OPTIONS", VaultHost(), "/secrets/s/backup?api-version=7.5", "", "",
                With({{"Origin", origin},
                      {"Access-Control-Request-Method", "POST"},
                      {"Access-Control-Request-Headers", "authorization,content-type"}}));
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Header(r, "Access-Control-Allow-Origin"), origin);
  EXPECT_EQ(Header(r, "Vary"), "Origin");
  EXPECT_NE(Header(r, "Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(Header(r, "Access-Control-Allow-Headers"), "Authorization, Content-Type");
  EXPECT_FALSE(Header(r, "Access-Control-Max-Age").empty());
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), std::nullopt);

  auto other = Call("OPTIONS", VaultHost(), "/secrets/s/backup?api-version=7.5", "", "",
                    With({{"Origin", "https://evil.example"},
                          {"Access-Control-Request-Method", "POST"}}));
  EXPECT_NE(other.status, 204);
  EXPECT_EQ(other.headers.Get("Access-Control-Allow-Origin"), std::nullopt);
  EXPECT_EQ(other.headers.Get("Access-Control-Allow-Methods"), std::nullopt);
}

}  // namespace
}  // namespace coffer::api
