// Certificates over HTTPS in-process: exact status codes (create 202, purge 204, others 200),
// the bundle and operation shapes, and the managed secret's and key's 403s.
#include <nlohmann/json.hpp>

#include "api/app_test_fixture.h"
#include "vault/sweeper.h"

namespace coffer::api::testing {
namespace {

constexpr const char* kAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";
constexpr const char* kV = "?api-version=7.5";

class AppCertificateTest : public AppTest {
 protected:
  explicit AppCertificateTest(vault::CertificateServiceOptions options = {})
      : AppTest(ServiceLimits{}, options) {
    Caller c = NewCaller("cert-admin");
    Assign(c.object_id, kAdministrator, VaultScope());
    token_ = c.data_token;
  }
  http::ClientResponse Do(const std::string& method, const std::string& path,
                          const std::string& body = "") {
    return Call(method, VaultHost(), path + kV, token_, body);
  }
  static nlohmann::json J(const http::ClientResponse& r) { return nlohmann::json::parse(r.body); }

  static constexpr const char* kSelfPolicy =
      R"({"policy":{"key_props":{},"secret_props":{},"x509_props":{"subject":"CN=app.test","sans":{"dns_names":["app.test"]}},"issuer":{"name":"Self"},"attributes":{}}})";

  std::string token_;
};

TEST_F(AppCertificateTest, CreateSelfPollGetAndDeleteWithExactStatusCodes) {
  auto created = Do("POST", "/certificates/web/create", kSelfPolicy);
  ASSERT_EQ(created.status, 202) << created.body;
  EXPECT_EQ(J(created)["status"], "inProgress");
  std::string origin = "https://" + VaultHost();
  EXPECT_NE(J(created)["id"].get<std::string>().find("/certificates/web/pending"),
            std::string::npos);

  auto pending = Do("GET", "/certificates/web/pending");
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(J(pending)["status"], "completed");
  EXPECT_NE(J(pending)["target"].get<std::string>().find("/certificates/web"), std::string::npos);

  auto got = Do("GET", "/certificates/web/");
  ASSERT_EQ(got.status, 200) << got.body;
  auto bundle = J(got);
  std::string id = bundle["id"];
  std::string version = id.substr(id.rfind('/') + 1);
  EXPECT_EQ(version.size(), 32u);
  EXPECT_EQ(bundle["kid"].get<std::string>().substr(bundle["kid"].get<std::string>().size() - 32),
            version);
  EXPECT_EQ(bundle["sid"].get<std::string>().substr(bundle["sid"].get<std::string>().size() - 32),
            version);
  EXPECT_EQ(bundle["x5t"].get<std::string>().size(), 27u);
  EXPECT_FALSE(bundle["cer"].get<std::string>().empty());
  EXPECT_EQ(bundle["policy"]["issuer"]["name"], "Self");
  EXPECT_TRUE(bundle.contains("pending"));
  EXPECT_TRUE(bundle["attributes"].contains("exp"));

  EXPECT_EQ(Do("GET", "/certificates/web/" + version).status, 200);
  EXPECT_EQ(Do("GET", "/certificates/web/versions").status, 200);
  EXPECT_EQ(Do("GET", "/certificates/never/versions").status, 200);
  EXPECT_EQ(Do("GET", "/certificates").status, 200);
  EXPECT_EQ(Do("GET", "/certificates/web/policy").status, 200);
  EXPECT_EQ(Do("PATCH", "/certificates/web/policy", R"({"x509_props":{"validity_months":24}})")
                .status,
            200);
  EXPECT_EQ(J(Do("GET", "/certificates/web/policy"))["x509_props"]["validity_months"], 24);
  EXPECT_EQ(Do("PATCH", "/certificates/web/" + version, R"({"tags":{"a":"b"}})").status, 200);

  auto secret = Do("GET", "/secrets/web");
  ASSERT_EQ(secret.status, 200);
  EXPECT_EQ(J(secret)["managed"], true);
  EXPECT_EQ(J(secret)["contentType"], "application/x-pkcs12");
  EXPECT_EQ(J(secret)["kid"], bundle["kid"]);

  auto set = Do("PUT", "/secrets/web", R"({"value":"x"})");
  EXPECT_EQ(set.status, 403);
  EXPECT_EQ(J(set)["error"]["code"], "Forbidden");
  EXPECT_EQ(J(set)["error"]["message"],
            "Operation \"set\" is not allowed as this object's lifetime is managed by Key Vault.");
  EXPECT_EQ(J(set)["error"]["innererror"]["code"], "SecretManagedByKeyVault");
  auto key_delete = Do("DELETE", "/keys/web");
  EXPECT_EQ(key_delete.status, 403);
  EXPECT_EQ(J(key_delete)["error"]["innererror"]["code"], "KeyManagedByKeyVault");

  EXPECT_EQ(Do("DELETE", "/certificates/web/pending").status, 200);
  auto gone = Do("GET", "/certificates/web/pending");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(J(gone)["error"]["code"], "PendingCertificateNotFound");

  auto deleted = Do("DELETE", "/certificates/web");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_TRUE(J(deleted).contains("recoveryId"));
  EXPECT_EQ(Do("GET", "/deletedcertificates/web").status, 200);
  EXPECT_EQ(Do("GET", "/deletedcertificates").status, 200);
  EXPECT_EQ(Do("POST", "/deletedcertificates/web/recover").status, 200);
  EXPECT_EQ(Do("DELETE", "/certificates/web").status, 200);
  EXPECT_EQ(Do("DELETE", "/deletedcertificates/web").status, 204);
  EXPECT_EQ(Do("GET", "/deletedcertificates/web").status, 404);
}

TEST_F(AppCertificateTest, UnknownIssuerPendsAndBadInputIs4xx) {
  std::string unknown = kSelfPolicy;
  unknown.replace(unknown.find("\"Self\""), 6, "\"Unknown\"");
  ASSERT_EQ(Do("POST", "/certificates/ext/create", unknown).status, 202);
  auto op = Do("GET", "/certificates/ext/pending");
  ASSERT_EQ(op.status, 200);
  EXPECT_EQ(J(op)["status"], "inProgress");
  EXPECT_FALSE(J(op)["csr"].get<std::string>().empty());
  EXPECT_EQ(Do("POST", "/certificates/ext/create", unknown).status, 409);
  auto pending = Do("GET", "/certificates/ext/");
  ASSERT_EQ(pending.status, 200);
  EXPECT_EQ(J(pending)["attributes"]["enabled"], false);
  EXPECT_FALSE(J(pending).contains("cer"));
  EXPECT_EQ(Do("POST", "/certificates/ext/pending/merge", R"({"x5c":["bm90IGEgY2VydA=="]})").status,
            400);
  EXPECT_EQ(Do("POST", "/certificates/ext/pending/merge", R"({"x5c":"x"})").status, 400);
  auto cancelled = Do("PATCH", "/certificates/ext/pending", R"({"cancellation_requested":true})");
  ASSERT_EQ(cancelled.status, 200);
  EXPECT_EQ(J(cancelled)["cancellation_requested"], true);

  EXPECT_EQ(Do("POST", "/certificates/bad/import", R"({"value":"!!!"})").status, 400);
  EXPECT_EQ(Do("POST", "/certificates/bad/import", R"({})").status, 400);
  EXPECT_EQ(Do("POST", "/certificates/bad/create", R"({"policy":{"key_props":{"kty":"oct"}}})")
                .status,
            400);
  EXPECT_EQ(Do("GET", "/certificates/bad/").status, 404);

  ASSERT_EQ(Do("PUT", "/secrets/plain", R"({"value":"x"})").status, 200);
  EXPECT_EQ(Do("POST", "/certificates/plain/create", kSelfPolicy).status, 409);
}

TEST_F(AppCertificateTest, ContactsSetReadDeleteAndBadInput) {
  auto none = Do("GET", "/certificates/contacts");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(J(none)["error"]["code"], "ContactsNotFound");
  EXPECT_EQ(J(none)["error"]["message"], "Contacts not found");
  const char* body =
      R"({"contacts":[{"email":"a@a.com","name":"a","phone":"111"},{"email":"b@b.com"}]})";
  auto set = Do("PUT", "/certificates/contacts", body);
  ASSERT_EQ(set.status, 200) << set.body;
  std::string id = J(set)["id"];
  EXPECT_TRUE(id.starts_with("https://" + VaultHost() + ":")) << id;
  EXPECT_TRUE(id.ends_with("/certificates/contacts")) << id;
  EXPECT_EQ(J(set)["contacts"].size(), 2u);
  auto got = Do("GET", "/certificates/contacts");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(J(got)["contacts"][0]["email"], "a@a.com");
  EXPECT_EQ(J(got)["contacts"][1].contains("name"), false);
  EXPECT_EQ(Do("PUT", "/certificates/contacts", R"({"contacts":[{"email":"nope"}]})").status, 400);
  EXPECT_EQ(Do("PUT", "/certificates/contacts", R"({"contacts":{}})").status, 400);
  auto deleted = Do("DELETE", "/certificates/contacts");
  ASSERT_EQ(deleted.status, 200);
  EXPECT_EQ(J(deleted)["contacts"].size(), 2u);
  EXPECT_EQ(Do("GET", "/certificates/contacts").status, 404);
  EXPECT_EQ(Do("DELETE", "/certificates/contacts").status, 404);
}

TEST_F(AppCertificateTest, PreserveCertOrderIsRecordedAndReturnedOnlyWhenAsked) {
  std::string with = std::string(kSelfPolicy);
  with.insert(with.size() - 1, R"(,"preserveCertOrder":true)");
  auto created = Do("POST", "/certificates/kept/create", with);
  ASSERT_EQ(created.status, 202);
  EXPECT_EQ(J(created)["preserveCertOrder"], true);  // the SDK's first picture of the certificate
  auto kept = Do("GET", "/certificates/kept/");
  ASSERT_EQ(kept.status, 200);
  EXPECT_EQ(J(kept)["preserveCertOrder"], true);
  auto plain = Do("POST", "/certificates/plain/create", kSelfPolicy);
  ASSERT_EQ(plain.status, 202);
  EXPECT_FALSE(J(plain).contains("preserveCertOrder"));
  EXPECT_FALSE(J(Do("GET", "/certificates/plain/")).contains("preserveCertOrder"));
  std::string bad = std::string(kSelfPolicy);
  bad.insert(bad.size() - 1, R"(,"preserveCertOrder":"yes")");
  EXPECT_EQ(Do("POST", "/certificates/bad/create", bad).status, 400);
}

TEST_F(AppCertificateTest, BackupPurgeAndRestoreBringBackCertificateKeyAndSecret) {
  ASSERT_EQ(Do("POST", "/certificates/web/create", kSelfPolicy).status, 202);
  std::string cer = J(Do("GET", "/certificates/web/"))["cer"];
  auto backup = Do("POST", "/certificates/web/backup");
  ASSERT_EQ(backup.status, 200) << backup.body;
  std::string blob = J(backup)["value"];
  EXPECT_EQ(blob.find_first_of("+/="), std::string::npos);  // base64url without padding

  ASSERT_EQ(Do("DELETE", "/certificates/web").status, 200);
  ASSERT_EQ(Do("DELETE", "/deletedcertificates/web").status, 204);
  auto restored = Do("POST", "/certificates/restore", nlohmann::json{{"value", blob}}.dump());
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_EQ(J(restored)["cer"], cer);
  EXPECT_EQ(J(restored)["policy"]["issuer"]["name"], "Self");
  EXPECT_EQ(Do("GET", "/keys/web/").status, 200);
  EXPECT_EQ(Do("GET", "/secrets/web/").status, 200);

  auto again = Do("POST", "/certificates/restore", nlohmann::json{{"value", blob}}.dump());
  EXPECT_EQ(again.status, 409) << again.body;
  auto malformed = Do("POST", "/certificates/restore", R"({"value":"bm90IGEgYmFja3Vw"})");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(J(malformed)["error"]["message"], "Backup blob contains invalid or corrupt version.");
  EXPECT_EQ(Do("POST", "/certificates/restore", "{}").status, 400);
  EXPECT_EQ(Do("POST", "/certificates/none/backup").status, 404);
}

// As the server runs it: Self issuance takes `self_issuance_seconds`, done by the sweeper.
class AppCertificateIssuanceTest : public AppCertificateTest {
 protected:
  static constexpr UnixSeconds kDelay = 2;
  AppCertificateIssuanceTest()
      : AppCertificateTest(vault::CertificateServiceOptions{kDelay}) {
    sweeper_.AttachCertificates(services().certificates,
                                [](const vault::LifetimeActionEvent&) { return OkStatus(); });
  }
  void Sweep() {
    auto n = sweeper_.SweepOnce();
    ASSERT_TRUE(n.ok()) << n.status().ToString();
  }
  vault::Sweeper sweeper_{*services().barrier, *services().vaults, clock_};
};

TEST_F(AppCertificateIssuanceTest, SelfStaysInProgressUntilTheSweeperIssuesIt) {
  auto created = Do("POST", "/certificates/web/create", kSelfPolicy);
  ASSERT_EQ(created.status, 202) << created.body;
  EXPECT_EQ(J(created)["status"], "inProgress");
  EXPECT_FALSE(J(created)["csr"].get<std::string>().empty());

  auto pending = Do("GET", "/certificates/web/pending");
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(J(pending)["status"], "inProgress");
  EXPECT_FALSE(J(pending).contains("target"));
  EXPECT_EQ(Do("POST", "/certificates/web/create", kSelfPolicy).status, 409);
  auto not_yet = Do("GET", "/certificates/web/");
  ASSERT_EQ(not_yet.status, 200) << not_yet.body;
  EXPECT_FALSE(J(not_yet).contains("cer"));
  EXPECT_EQ(Do("GET", "/secrets/web/").status, 404);
  // Merge is only for issuer Unknown.
  EXPECT_EQ(Do("POST", "/certificates/web/pending/merge", R"({"x5c":["AAAA"]})").status, 403);

  clock_.Advance(kDelay);
  Sweep();
  pending = Do("GET", "/certificates/web/pending");
  ASSERT_EQ(pending.status, 200) << pending.body;
  EXPECT_EQ(J(pending)["status"], "completed");
  auto got = Do("GET", "/certificates/web/");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_FALSE(J(got)["cer"].get<std::string>().empty());
  EXPECT_TRUE(J(got)["attributes"]["enabled"].get<bool>());
  EXPECT_EQ(Do("GET", "/secrets/web/").status, 200);
}

TEST_F(AppCertificateIssuanceTest, CancelThenDeleteTheOperationLeavesNothingToIssue) {
  ASSERT_EQ(Do("POST", "/certificates/web/create", kSelfPolicy).status, 202);
  auto cancelled = Do("PATCH", "/certificates/web/pending", R"({"cancellation_requested":true})");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_TRUE(J(cancelled)["cancellation_requested"].get<bool>());
  ASSERT_EQ(Do("DELETE", "/certificates/web/pending").status, 200);
  auto gone = Do("GET", "/certificates/web/pending");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(J(gone)["error"]["message"], "Pending certificate not found: web");
  clock_.Advance(kDelay);
  Sweep();
  EXPECT_EQ(Do("GET", "/certificates/web/pending").status, 404);
  EXPECT_EQ(Do("GET", "/keys/web/").status, 404);
}

}  // namespace
}  // namespace coffer::api::testing
