#include "api/host.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace coffer::api {
namespace {

const std::vector<std::string> kNoExtraHosts;

void ExpectBadHost(std::string_view host, const std::vector<std::string>& extra = kNoExtraHosts) {
  auto info = ParseHost(host, extra);
  ASSERT_FALSE(info.ok()) << "accepted host: " << std::string(host);
  EXPECT_EQ(info.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(info.status().reason(), "BadParameter");
}

TEST(ParseHost, VaultHostNamesTheVault) {
  for (std::string_view host : {"myvault.vault.localhost", "myvault.vault.localhost:8443"}) {
    auto info = ParseHost(host, kNoExtraHosts);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_TRUE(info->is_vault);
    EXPECT_EQ(info->vault_name, "myvault");
    EXPECT_EQ(info->authority, host);
    EXPECT_EQ(info->Origin(), "https://" + std::string(host));
  }
  auto longest = ParseHost("a23456789012345678901234.vault.localhost:1", kNoExtraHosts);
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(longest->vault_name, "a23456789012345678901234");
  auto hyphen = ParseHost("dev-east-1.vault.localhost:65535", kNoExtraHosts);
  ASSERT_TRUE(hyphen.ok());
  EXPECT_EQ(hyphen->vault_name, "dev-east-1");
}

TEST(ParseHost, UppercaseHostIsLowerCased) {
  auto info = ParseHost("MyVault.VAULT.LocalHost:8443", kNoExtraHosts);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->is_vault);
  EXPECT_EQ(info->vault_name, "myvault");
  EXPECT_EQ(info->authority, "myvault.vault.localhost:8443");
  auto base = ParseHost("LOCALHOST:8443", kNoExtraHosts);
  ASSERT_TRUE(base.ok());
  EXPECT_FALSE(base->is_vault);
  EXPECT_EQ(base->Origin(), "https://localhost:8443");
}

TEST(ParseHost, LoopbackHostsAreTheBaseHost) {
  for (std::string_view host :
       {"localhost", "localhost:8443", "localhost:1", "localhost:65535", "127.0.0.1",
        "127.0.0.1:8443", "127.1.2.3:443", "127.255.255.255", "[::1]", "[::1]:8443"}) {
    auto info = ParseHost(host, kNoExtraHosts);
    ASSERT_TRUE(info.ok()) << host << ": " << info.status().ToString();
    EXPECT_FALSE(info->is_vault) << host;
    EXPECT_TRUE(info->vault_name.empty()) << host;
    EXPECT_EQ(info->authority, host);
  }
}

TEST(ParseHost, RejectsBadPorts) {
  for (std::string_view host : {"localhost:",
                                "localhost:0",
                                "localhost:00000",
                                "localhost:65536",
                                "localhost:99999",
                                "localhost:123456",
                                "localhost:-1",
                                "localhost:+80",
                                "localhost:8a",
                                "localhost:0x50",
                                "localhost: 80",
                                "localhost:80 ",
                                "localhost:80:80",
                                "127.0.0.1:",
                                "127.0.0.1:70000",
                                "[::1]:",
                                "[::1]:0",
                                "[::1]:65536",
                                "[::1]8443",
                                "[::1]x",
                                "[::1",
                                "dev.vault.localhost:",
                                "dev.vault.localhost:100000"}) {
    ExpectBadHost(host);
  }
}

TEST(ParseHost, RejectsHostsThatAreNotOurs) {
  for (std::string_view host : {"evil.com",
                                "evil.com:8443",
                                "dev.vault.azure.net",
                                "dev.vault.azure.net:443",
                                "localhost.evil.com",
                                "evil.localhost",
                                "vault.localhost",
                                ".vault.localhost",
                                "a_b.vault.localhost",
                                "a_b.vault.localhost:8443",
                                "x.y.vault.localhost",
                                "ab.vault.localhost",
                                "1abc.vault.localhost",
                                "abc-.vault.localhost",
                                "ab--c.vault.localhost",
                                "a234567890123456789012345.vault.localhost",
                                "myvault.vault.localhost.",
                                "localhost.",
                                "user@localhost",
                                "128.0.0.1",
                                "10.0.0.1",
                                "127.0.0",
                                "127.0.0.1.1",
                                "127.0.0.256",
                                "0127.0.0.1",
                                "127..0.1",
                                "[::2]",
                                "[::1]]",
                                "[0:0:0:0:0:0:0:2]",
                                "::1",
                                "0.0.0.0",
                                "*.vault.localhost",
                                "my vault.vault.localhost"}) {
    ExpectBadHost(host);
  }
}

TEST(ParseHost, RejectsEmptyAndOverlongHosts) {
  ExpectBadHost("");
  ExpectBadHost(":8443");
  std::string long_host =
      std::string(256 - std::string_view(".vault.localhost").size(), 'a') + ".vault.localhost";
  ASSERT_EQ(long_host.size(), 256u);
  ExpectBadHost(long_host);
  ExpectBadHost(std::string(100000, 'a'));
  ExpectBadHost("localhost:" + std::string(300, '1'));
}

TEST(ParseHost, ConfiguredExtraHostIsTheBaseHost) {
  std::vector<std::string> extra = {"coffer.example.internal"};
  for (std::string_view host : {"coffer.example.internal", "COFFER.Example.Internal:8443"}) {
    auto info = ParseHost(host, extra);
    ASSERT_TRUE(info.ok()) << host << ": " << info.status().ToString();
    EXPECT_FALSE(info->is_vault);
  }
  ExpectBadHost("coffer.example.internal");
  ExpectBadHost("other.example.internal", extra);
  ExpectBadHost("x.coffer.example.internal", extra);
  ExpectBadHost("coffer.example.internal:0", extra);
}

TEST(ParseHost, ErrorMessageNeverEchoesControlOrNonAsciiBytes) {
  std::string nasty = "evil.com\r\nSet-Cookie: a=b\x01\x7f\x1b[31m\xff\xc3\xa9";
  nasty.push_back('\0');
  nasty += "tail";
  auto info = ParseHost(nasty, kNoExtraHosts);
  ASSERT_FALSE(info.ok());
  const std::string message = info.status().message();
  for (char c : message) {
    unsigned char u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "raw byte 0x" << std::hex << int{u} << " in message";
  }
  EXPECT_NE(message.find("evil.com"), std::string::npos);  // still says what was wrong

  std::string huge = std::string(5000, 'h') + "\n";
  auto big = ParseHost(huge, kNoExtraHosts);
  ASSERT_FALSE(big.ok());
  EXPECT_LT(big.status().message().size(), 400u);
}

TEST(ParseHost, ControlCharactersInsideAValidLookingHostAreRejected) {
  for (std::string_view host : {"localhost\r\n:8443", "localhost:84\t43", "dev\n.vault.localhost",
                                "dev.vault.localhost\r", "local\x00host"}) {
    ExpectBadHost(host);
  }
  std::string with_nul("localhost", 9);
  with_nul.push_back('\0');
  ExpectBadHost(with_nul);
}

}  // namespace
}  // namespace coffer::api

namespace coffer::api {
namespace {

TEST(IsPortalOrigin, OnlyTheBaseHostNamesOnTheRequestsPort) {
  const std::vector<std::string> extra = {"coffer.internal"};
  auto on = [&](std::string_view host) { return *ParseHost(host, extra); };
  HostInfo vault = on("dev.vault.localhost:8443");
  EXPECT_TRUE(IsPortalOrigin("https://localhost:8443", vault, extra));
  EXPECT_TRUE(IsPortalOrigin("https://127.0.0.1:8443", vault, extra));
  EXPECT_TRUE(IsPortalOrigin("https://[::1]:8443", vault, extra));
  EXPECT_TRUE(IsPortalOrigin("https://coffer.internal:8443", vault, extra));
  EXPECT_TRUE(IsPortalOrigin("https://localhost", on("dev.vault.localhost"), extra));
  for (std::string_view bad :
       {"http://localhost:8443", "https://localhost:8444", "https://localhost",
        "https://dev.vault.localhost:8443", "https://127.0.0.2:8443", "https://evil.example:8443",
        "https://localhost:8443/", "https://localhost:8443/portal", "null", "*", "",
        "https://LOCALHOST:8443x"}) {
    EXPECT_FALSE(IsPortalOrigin(bad, vault, extra)) << bad;
  }
  EXPECT_FALSE(IsPortalOrigin("https://coffer.internal:8443", vault, {}));
}

}  // namespace
}  // namespace coffer::api
