// Certificate lifetime actions seen from outside, in-process over HTTPS: a policy's lifetime
// actions set by create and by a policy PATCH drive the sweeper on the (manual) domain clock —
// EmailContacts becomes an audit line naming the vault, certificate, version and the contacts'
// emails, AutoRenew a new version listed by the API — and invalid triggers are 400.
#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"
#include "api/lifetime_audit.h"
#include "crypto/primitives.h"
#include "vault/sweeper.h"

namespace coffer::api::testing {
namespace {

using nlohmann::json;

constexpr const char* kAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
constexpr const char* kV = "?api-version=7.6";
constexpr int64_t kDay = 86400;

class AppLifetimeTest : public AppTest {
 protected:
  AppLifetimeTest() {
    Caller c = NewCaller("cert-admin");
    Assign(c.object_id, kAdministrator, VaultScope());
    token_ = c.data_token;
    sweeper_.AttachKeys(services().keys);
    sweeper_.AttachCertificates(services().certificates,
                                AuditLifetimeActions(*services().audit, crypto::SystemRandom()));
  }
  http::ClientResponse Do(const std::string& method, const std::string& path,
                          const std::string& body = "") {
    return Call(method, VaultHost(), path + kV, token_, body);
  }
  static json J(const http::ClientResponse& r) { return json::parse(r.body); }
  static std::string Policy(const std::string& actions) {
    return R"({"policy":{"key_props":{"kty":"EC","crv":"P-256"},)"
           R"("x509_props":{"subject":"CN=l.test","validity_months":1},)"
           R"("issuer":{"name":"Self"},"lifetime_actions":)" +
           actions + "}}";
  }
  static std::string VersionOf(const json& bundle) {
    std::string id = bundle["id"];
    return id.substr(id.rfind('/') + 1);
  }
  // The audit lines of lifetime actions.
  std::vector<json> ActionLines() {
    std::vector<json> out;
    for (const std::string& line : AuditLines()) {
      json j = json::parse(line);
      if (j["operation"].get<std::string>().starts_with("CertificateLifetimeAction/")) {
        out.push_back(j);
      }
    }
    return out;
  }
  void Sweep() {
    auto n = sweeper_.SweepOnce();
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }

  std::string token_;
  vault::Sweeper sweeper_{*services().barrier, *services().vaults, clock_};
};

TEST_F(AppLifetimeTest, EmailContactsIsAnAuditLineAndAutoRenewANewVersion) {
  auto contacts = Do("PUT", "/certificates/contacts",
                     R"({"contacts":[{"email":"ops@example.com","name":"Ops"},)"
                     R"({"email":"pki@example.com"}]})");
  ASSERT_EQ(contacts.status, 200) << contacts.body;
  auto created = Do("POST", "/certificates/web/create",
                    Policy(R"([{"trigger":{"days_before_expiry":10},)"
                           R"("action":{"action_type":"EmailContacts"}}])"));
  ASSERT_EQ(created.status, 202) << created.body;
  json v1 = J(Do("GET", "/certificates/web/"));
  std::string v1_id = VersionOf(v1);
  int64_t exp = v1["attributes"]["exp"];

  clock_.Set(exp - 10 * kDay - 1);
  Sweep();
  EXPECT_TRUE(ActionLines().empty());
  clock_.Set(exp - 10 * kDay);
  Sweep();
  auto lines = ActionLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["operation"], "CertificateLifetimeAction/EmailContacts");
  EXPECT_EQ(lines[0]["plane"], "system");
  EXPECT_EQ(lines[0]["vault"], kVault);
  EXPECT_TRUE(lines[0]["caller"].is_null());
  EXPECT_TRUE(lines[0]["ip"].is_null());
  EXPECT_EQ(lines[0]["object"],
            (json{{"kind", "certificate"}, {"name", "web"}, {"version", v1_id}}));
  EXPECT_EQ(lines[0]["contacts"], (json{"ops@example.com", "pki@example.com"}));
  EXPECT_EQ(lines[0]["status"], 200);

  // AutoRenew added by a policy PATCH: scheduled from the PATCH, taken once.
  auto patched = Do("PATCH", "/certificates/web/policy",
                    R"({"lifetime_actions":[{"trigger":{"days_before_expiry":5},)"
                    R"("action":{"action_type":"AutoRenew"}}]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  clock_.Set(exp - 5 * kDay);
  Sweep();
  Sweep();
  auto versions = J(Do("GET", "/certificates/web/versions"));
  ASSERT_EQ(versions["value"].size(), 2u) << versions.dump();
  json v2 = J(Do("GET", "/certificates/web/"));
  std::string v2_id = VersionOf(v2);
  EXPECT_NE(v2_id, v1_id);
  EXPECT_EQ(v2["attributes"]["created"], exp - 5 * kDay);
  EXPECT_GT(v2["attributes"]["exp"].get<int64_t>(), exp);
  std::string kid = v2["kid"];
  EXPECT_EQ(kid.substr(kid.size() - 32), v2_id);
  lines = ActionLines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["operation"], "CertificateLifetimeAction/AutoRenew");
  EXPECT_EQ(lines[1]["object"]["version"], v2_id);
  EXPECT_FALSE(lines[1].contains("contacts"));
}

TEST_F(AppLifetimeTest, InvalidTriggersAreBadParameter) {
  const std::string renew = R"("action":{"action_type":"AutoRenew"})";
  for (const std::string& actions : {
           R"([{"trigger":{"lifetime_percentage":100},)" + renew + "}]",
           R"([{"trigger":{"lifetime_percentage":0},)" + renew + "}]",
           // validity_months 1: at most 27 days before expiry
           R"([{"trigger":{"days_before_expiry":28},)" + renew + "}]",
           R"([{"trigger":{"lifetime_percentage":50,"days_before_expiry":3},)" + renew + "}]",
           R"([{"trigger":{"lifetime_percentage":50},)" + renew +
               R"(},{"trigger":{"days_before_expiry":3},)" + renew + "}]",
       }) {
    auto r = Do("POST", "/certificates/bad/create", Policy(actions));
    EXPECT_EQ(r.status, 400) << actions << " → " << r.body;
    EXPECT_EQ(J(r)["error"]["code"], "BadParameter") << r.body;
  }
}

}  // namespace
}  // namespace coffer::api::testing
