#include "cli/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "core/files.h"

namespace coffer::cli {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/creds-" + std::to_string(getpid());
    std::filesystem::create_directories(dir_ + "/data");
    ASSERT_TRUE(WriteFileAtomically(dir_ + "/data/dev-credentials.json", R"({
      "tenantId": "dev-tenant", "clientId": "dev-client", "clientSecret": "dev-secret",
      "authorityHost": "https://127.0.0.1:9", "managementUrl": "https://127.0.0.1:9",
      "caFile": "/d/ca.pem", "subscriptions": ["s1", "s2"]})", 0600).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  EnvLookup Env() const {
    return [this](const char* name) -> std::optional<std::string> {
      auto it = env_.find(name);
      return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
  std::string Profile() const { return dir_ + "/home/.config/coffer/profile.json"; }
  void SaveTestProfile() {
    Credentials c;
    c.base_url = "https://profile.example:8443";
    c.tenant_id = "p-tenant";
    c.client_id = "p-client";
    c.client_secret = "p-secret";
    ASSERT_TRUE(SaveProfile(Profile(), c).ok());
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(CredentialsTest, DataDirGivesTheDevCredentials) {
  auto c = ResolveCredentials({dir_ + "/data"}, Env(), Profile());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->base_url, "https://127.0.0.1:9");
  EXPECT_EQ(c->client_secret, "dev-secret");
  EXPECT_EQ(c->ca_file, "/d/ca.pem");
  EXPECT_EQ(c->subscriptions, (std::vector<std::string>{"s1", "s2"}));
}

TEST_F(CredentialsTest, ProfileIsSavedMode0600AndUsedWithoutDataDir) {
  SaveTestProfile();
  struct stat st {};
  ASSERT_EQ(::stat(Profile().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ + "/home/.config/coffer").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto c = ResolveCredentials({}, Env(), Profile());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->base_url, "https://profile.example:8443");
  EXPECT_EQ(c->authority_host, "https://profile.example:8443");
  EXPECT_EQ(c->client_secret, "p-secret");
  EXPECT_TRUE(c->subscriptions.empty());
  // An explicit --data-dir beats the profile.
  EXPECT_EQ(ResolveCredentials({dir_ + "/data"}, Env(), Profile())->client_id, "dev-client");
}

TEST_F(CredentialsTest, CompleteEnvironmentWinsAndReadsNoFile) {
  env_ = {{"COFFER_URL", "https://env.example:1/"},
          {"COFFER_TENANT_ID", "e-tenant"},
          {"COFFER_CLIENT_ID", "e-client"},
          {"COFFER_CLIENT_SECRET", "e-secret"},
          {"COFFER_CA_FILE", "/e/ca.pem"}};
  auto c = ResolveCredentials({dir_ + "/nonexistent"}, Env(), Profile());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->base_url, "https://env.example:1");
  EXPECT_EQ(c->authority_host, "https://env.example:1");
  EXPECT_EQ(c->tenant_id, "e-tenant");
  EXPECT_EQ(c->client_secret, "e-secret");
  EXPECT_EQ(c->ca_file, "/e/ca.pem");
}

TEST_F(CredentialsTest, SingleVariablesReplaceTheirFieldOnly) {
  SaveTestProfile();
  env_ = {{"COFFER_CLIENT_SECRET", "rotated"}, {"COFFER_CA_FILE", "/e/ca.pem"}};
  auto c = ResolveCredentials({}, Env(), Profile());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->client_id, "p-client");
  EXPECT_EQ(c->client_secret, "rotated");
  EXPECT_EQ(c->ca_file, "/e/ca.pem");
}

TEST_F(CredentialsTest, NothingToFindIsNotFoundSayingHowToGiveThem) {
  auto c = ResolveCredentials({dir_ + "/nonexistent"}, Env(), Profile());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
  EXPECT_NE(c.status().message().find("coffer login"), std::string::npos);
  EXPECT_NE(c.status().message().find("COFFER_URL"), std::string::npos);
}

TEST_F(CredentialsTest, IncompleteOrDamagedSourcesAreRefused) {
  std::filesystem::create_directories(dir_ + "/home/.config/coffer");
  ASSERT_TRUE(WriteFileAtomically(Profile() + ".bad", "[1]", 0600).ok());
  EXPECT_EQ(ResolveCredentials({}, Env(), Profile() + ".bad").status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(WriteFileAtomically(Profile(), R"({"url": "https://x:1"})", 0600).ok());
  EXPECT_EQ(ResolveCredentials({}, Env(), Profile()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CredentialsPathTest, ProfileLivesUnderHome) {
  EnvLookup env = [](const char* name) -> std::optional<std::string> {
    return std::string(name) == "HOME" ? std::optional<std::string>("/home/u") : std::nullopt;
  };
  EXPECT_EQ(DefaultProfilePath(env), "/home/u/.config/coffer/profile.json");
  EXPECT_EQ(DefaultProfilePath([](const char*) { return std::optional<std::string>(); }), "");
}

}  // namespace
}  // namespace coffer::cli
