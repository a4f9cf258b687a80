// For the tests that run against a real PostgreSQL (COFFER_TEST_PG_URL, which scripts/test.sh
// sets; without it they skip): the server's URL, a schema name no other test uses, a plain
// connection for what a test does behind the engine's back, and dropping a test's schema.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "store/pg_connection.h"
#include "store/pg_storage.h"

namespace coffer::store::pg_test {

// The test server's URL, or null when none is configured.
inline const char* Url() {
  const char* url = std::getenv("COFFER_TEST_PG_URL");
  return (url != nullptr && *url != '\0') ? url : nullptr;
}

// "<prefix>_<pid>_<n>_<random>": unique across test processes running at once.
inline std::string FreshSchemaName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter++) + "_" + std::to_string(rd() % 1000000);
}

// An engine's options on the test server in `schema` (its name also tells the test's sessions
// apart in pg_stat_activity).
inline PgOptions SchemaOptions(const std::string& schema, size_t max_connections = 4) {
  PgOptions o;
  o.url = Url();
  o.schema = schema;
  o.application_name = schema;
  o.max_connections = max_connections;
  return o;
}

inline std::unique_ptr<PgConnection> AdminConnection() {
  auto conn = PgConnection::Connect({{"connect_timeout", "5"}, {"dbname", Url()}});
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(*conn) : nullptr;
}

inline void DropSchema(const std::string& schema) {
  auto admin = AdminConnection();
  if (!admin) return;
  auto quoted = admin->QuoteIdentifier(schema);
  ASSERT_TRUE(quoted.ok());
  Status st = admin->Exec(("DROP SCHEMA IF EXISTS " + *quoted + " CASCADE").c_str());
  EXPECT_TRUE(st.ok()) << st.ToString();
}

}  // namespace coffer::store::pg_test
