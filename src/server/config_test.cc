// coffer.toml's [limits]: values reach ServerConfig, omitted keys keep Azure's defaults, and an
// unknown key, a wrong type or a value out of range is an error naming the key.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "server/server.h"

namespace coffer::server {
namespace {

class ConfigLimitsTest : public ::testing::Test {
 protected:
  ~ConfigLimitsTest() override { std::remove(path_.c_str()); }
  // Loads `text` as a coffer.toml; the error message when it is refused, "" when accepted.
  std::string Load(const std::string& text) {
    std::ofstream(path_) << text;
    std::string error;
    config_ = ServerConfig{};
    return LoadConfigFile(path_, &config_, &error) ? "" : error;
  }
  // ctest runs each test in its own process, in parallel: the path names the process.
  std::string path_ =
      ::testing::TempDir() + "coffer-config-limits-" + std::to_string(getpid()) + ".toml";
  ServerConfig config_;
};

TEST_F(ConfigLimitsTest, ValuesAreReadAndOmittedKeysKeepAzuresDefaults) {
  ASSERT_EQ(Load("[limits]\nsecret_create = 50\nkey_other_hsm = 7\nsubscription_factor = 2.5\n"
                 "per_identity = 0.25\n"),
            "");
  const api::ServiceLimits& l = config_.limits;
  EXPECT_EQ(l.VaultLimit(api::ThrottleClass::kSecretCreate), 50);
  EXPECT_EQ(l.VaultLimit(api::ThrottleClass::kKeyOtherHsm), 7);
  EXPECT_EQ(l.VaultLimit(api::ThrottleClass::kVaultOther), 4000);
  EXPECT_EQ(l.VaultLimit(api::ThrottleClass::kKeyCreate), 20);
  EXPECT_EQ(l.VaultLimit(api::ThrottleClass::kKeyCreateHsm), 10);
  EXPECT_DOUBLE_EQ(l.subscription_factor, 2.5);
  EXPECT_DOUBLE_EQ(l.per_identity, 0.25);
  ASSERT_EQ(Load("[server]\nlisten = \"127.0.0.1:0\"\n"), "");
  EXPECT_EQ(config_.limits.VaultLimit(api::ThrottleClass::kSecretCreate), 300);
  EXPECT_EQ(Load("[limits]\nper_identity = 0\n"), "");
  EXPECT_EQ(config_.certificate_self_issuance_seconds, 2);  // the default
  ASSERT_EQ(Load("[certificates]\nself_issuance_seconds = 0\n"), "");
  EXPECT_EQ(config_.certificate_self_issuance_seconds, 0);
}

TEST_F(ConfigLimitsTest, InvalidValuesStopTheServerWithAMessageNamingTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"[limits]\nsecret_create = -1\n", "limits.secret_create"},
      {"[limits]\nvault_other = 0\n", "limits.vault_other"},
      {"[limits]\nkey_create = \"20\"\n", "limits.key_create"},
      {"[limits]\nkey_other = 40.5\n", "limits.key_other"},
      {"[limits]\nkey_other_hsm = true\n", "limits.key_other_hsm"},
      {"[limits]\nsubscription_factor = 0\n", "limits.subscription_factor"},
      {"[limits]\nper_identity = 2\n", "limits.per_identity"},
      {"[limits]\nsecret_craete = 10\n", "limits.secret_craete"},
      {"limits = 5\n", "limits must be a table"},
      {"[certificates]\nself_issuance_seconds = 301\n", "certificates.self_issuance_seconds"},
      {"[certificates]\nself_issuance_seconds = \"2\"\n", "certificates.self_issuance_seconds"},
  };
  for (const auto& [text, named] : cases) {
    std::string error = Load(text);
    EXPECT_NE(error.find(named), std::string::npos) << text << " → " << error;
  }
}

// [server] body_budget_mb: read as MiB; a wrong type or a value out of range names the key.
TEST_F(ConfigLimitsTest, BodyBudgetIsReadAndInvalidValuesNameTheKey) {
  ASSERT_EQ(Load("[server]\nlisten = \"127.0.0.1:0\"\n"), "");
  EXPECT_EQ(config_.body_budget_mb, 256);
  ASSERT_EQ(Load("[server]\nbody_budget_mb = 64\n"), "");
  EXPECT_EQ(config_.body_budget_mb, 64);
  for (const char* text : {"[server]\nbody_budget_mb = 0\n", "[server]\nbody_budget_mb = -5\n",
                           "[server]\nbody_budget_mb = \"256\"\n",
                           "[server]\nbody_budget_mb = 1.5\n",
                           "[server]\nbody_budget_mb = 2000000\n"}) {
    std::string error = Load(text);
    EXPECT_NE(error.find("server.body_budget_mb"), std::string::npos) << text << " → " << error;
  }
}

// [storage]: engine, url and max_connections reach ServerConfig; a wrong engine, a missing or
// stray url, a value out of range or an unknown key names the key.
TEST_F(ConfigLimitsTest, StorageSettingsAreReadAndInvalidValuesNameTheKey) {
  ASSERT_EQ(Load("[server]\nlisten = \"127.0.0.1:0\"\n"), "");
  EXPECT_EQ(config_.storage_engine, "sqlite");
  EXPECT_EQ(config_.storage_max_connections, 16);
  ASSERT_EQ(Load("[storage]\nengine = \"sqlite\"\n"), "");
  EXPECT_EQ(config_.storage_engine, "sqlite");
  ASSERT_EQ(Load("[storage]\nengine = \"postgres\"\n"
                 "url = \"postgresql://coffer@127.0.0.1:5432/coffer\"\nmax_connections = 4\n"),
            "");
  EXPECT_EQ(config_.storage_engine, "postgres");
  EXPECT_EQ(config_.storage_url, "postgresql://coffer@127.0.0.1:5432/coffer");
  EXPECT_EQ(config_.storage_max_connections, 4);
  const std::pair<const char*, const char*> cases[] = {
      {"[storage]\nengine = \"mysql\"\n", "storage.engine"},
      {"[storage]\nengine = 1\n", "storage.engine"},
      {"[storage]\nengine = \"postgres\"\n", "storage.url is required"},
      {"[storage]\nurl = \"postgresql://coffer@127.0.0.1/coffer\"\n", "storage.url is set"},
      {"[storage]\nengine = \"postgres\"\nurl = \"mysql://x\"\n", "storage.url"},
      {"[storage]\nengine = \"postgres\"\nurl = 5\n", "storage.url"},
      {"[storage]\nmax_connections = 0\n", "storage.max_connections"},
      {"[storage]\nmax_connections = 1001\n", "storage.max_connections"},
      {"[storage]\nmax_connections = \"16\"\n", "storage.max_connections"},
      {"[storage]\nurll = \"postgresql://x\"\n", "storage.urll"},
      {"storage = \"postgres\"\n", "storage must be a table"},
  };
  for (const auto& [text, named] : cases) {
    std::string error = Load(text);
    EXPECT_NE(error.find(named), std::string::npos) << text << " → " << error;
  }
}

// [failover]: paired_url and after_seconds reach ServerConfig on a postgres engine; a wrong
// type, a value out of range, an unknown key, a missing url or a non-postgres engine names the
// key.
TEST_F(ConfigLimitsTest, FailoverSettingsAreReadAndInvalidValuesNameTheKey) {
  const std::string pg =
      "[storage]\nengine = \"postgres\"\nurl = \"postgresql://coffer@127.0.0.1:5432/coffer\"\n";
  ASSERT_EQ(Load(pg), "");
  EXPECT_EQ(config_.failover_paired_url, "");
  EXPECT_EQ(config_.failover_after_seconds, 5);
  ASSERT_EQ(Load(pg + "[failover]\npaired_url = \"postgresql://coffer@127.0.0.1:5433/coffer\"\n"
                      "after_seconds = 2\n"),
            "");
  EXPECT_EQ(config_.failover_paired_url, "postgresql://coffer@127.0.0.1:5433/coffer");
  EXPECT_EQ(config_.failover_after_seconds, 2);
  const std::string pair = "[failover]\npaired_url = \"postgresql://coffer@127.0.0.1:5433/coffer\"\n";
  const std::pair<std::string, const char*> cases[] = {
      {pair, "needs storage.engine"},
      {pg + "[failover]\nafter_seconds = 5\n", "failover.paired_url is required"},
      {pg + "[failover]\npaired_url = 5433\n", "failover.paired_url"},
      {pg + "[failover]\npaired_url = \"http://x\"\n", "failover.paired_url"},
      {pg + "[failover]\npaired_url = \"postgresql://coffer@127.0.0.1:5432/coffer\"\n",
       "failover.paired_url is storage.url"},
      {pg + pair + "after_seconds = 0\n", "failover.after_seconds"},
      {pg + pair + "after_seconds = 3601\n", "failover.after_seconds"},
      {pg + pair + "after_seconds = \"5\"\n", "failover.after_seconds"},
      {pg + pair + "after_seconds = 2.5\n", "failover.after_seconds"},
      {pg + pair + "after = 5\n", "failover.after"},
      {"failover = \"postgresql://x\"\n" + pg, "failover must be a table"},
  };
  for (const auto& [text, named] : cases) {
    std::string error = Load(text);
    EXPECT_NE(error.find(named), std::string::npos) << text << " → " << error;
  }
}

}  // namespace
}  // namespace coffer::server
