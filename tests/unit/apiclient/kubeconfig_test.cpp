#include "core/apiclient/kubeconfig.h"
#include "core/apiserver/kubeconfig_writer.h"
#include "tests/unit/hostile_inputs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace navarch::apiclient {
namespace {

const char* kConfig = R"(apiVersion: v1
kind: Config
current-context: navarch
contexts:
- name: navarch
  context: {cluster: local, user: admin}
- name: other
  context: {cluster: plain, user: viewer}
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
- name: plain
  cluster:
    server: http://127.0.0.1:8080
    insecure-skip-tls-verify: true
users:
- name: admin
  user: {token: s3cret}
- name: viewer
  user: {tokenFile: token.txt}
)";

TEST(Kubeconfig, CurrentContext) {
  auto c = ParseKubeconfig(kConfig, "kc.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_pem, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(c->bearer_token, "s3cret");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->source, "kc.yaml");
}

TEST(Kubeconfig, NamedContextWithTokenFileRelativeToTheConfig) {
  auto dir = std::filesystem::temp_directory_path() / "navarch-kubeconfig-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "token.txt") << "from-file\n";
  std::ofstream(dir / "config") << kConfig;
  auto c = LoadKubeconfig((dir / "config").string(), "other");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->server, "http://127.0.0.1:8080");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->bearer_token, "from-file");
  std::filesystem::remove_all(dir);
}

TEST(Kubeconfig, ErrorsNameTheFileAndField) {
  auto missing = LoadKubeconfig("/nonexistent/kubeconfig");
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/kubeconfig"), std::string::npos);

  auto no_ctx = ParseKubeconfig("apiVersion: v1\nkind: Config\n", "kc.yaml", "");
  EXPECT_EQ(no_ctx.code(), Code::kInvalidArgument);
  EXPECT_NE(no_ctx.status().message().find("kc.yaml: current-context"), std::string::npos)
      << no_ctx.status();

  auto unknown = ParseKubeconfig(kConfig, "kc.yaml", "", "nope");
  EXPECT_NE(unknown.status().message().find("contexts: no entry named \"nope\""), std::string::npos)
      << unknown.status();

  std::string bad_server = kConfig;
  bad_server.replace(bad_server.find("https://127.0.0.1:6443"), 22, "127.0.0.1:6443");
  auto s = ParseKubeconfig(bad_server, "kc.yaml", "");
  EXPECT_NE(s.status().message().find("clusters[local].cluster.server"), std::string::npos)
      << s.status();

  auto yaml = ParseKubeconfig("a: [", "kc.yaml", "");
  EXPECT_EQ(yaml.code(), Code::kInvalidArgument);
  EXPECT_NE(yaml.status().message().find("kc.yaml:"), std::string::npos);

  std::string certs = kConfig;
  certs.replace(certs.find("{token: s3cret}"), 15, "{client-certificate-data: eA==}");
  auto cert = ParseKubeconfig(certs, "kc.yaml", "");
  EXPECT_NE(
      cert.status().message().find("users[admin].user.client-certificate-data: not supported"),
      std::string::npos)
      << cert.status();
}

TEST(Kubeconfig, WhatTheServerWritesReadsBackWhateverTheStringsHold) {
  // Line breaks, control characters and non-ASCII text in the server and
  // the token (a raw line break in a quoted scalar used to be folded into a
  // space; found by tests/fuzz/kubeconfig_fuzz).
  const std::string server =
      "https://127.\r\r0.0.1:6443\n\t\x01\x7f \"q\" \\ caf\xc3\xa9 \xf0\x9f\x98\x80";
  const std::string token = "t\n\u2028k";
  const std::string text = apiserver::RenderKubeconfig({server, "", "admin", token});
  auto c = ParseKubeconfig(text, "kc.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status() << "\n" << text;
  EXPECT_EQ(c->server, server);
  EXPECT_EQ(c->bearer_token, token);
}

TEST(Kubeconfig, HostileYamlIsAnErrorNotAHang) {
  const std::string bomb = navarch::testing::AliasBomb("");
  for (const std::string& text : {std::string("!,"), bomb, std::string("a: \xff\n"),
                                  std::string("current-context: a\ncurrent-context: b\n")}) {
    auto c = ParseKubeconfig(text, "kc.yaml", "");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("kc.yaml: not valid YAML"), std::string::npos)
        << c.status();
  }
}

}  // namespace
}  // namespace navarch::apiclient
