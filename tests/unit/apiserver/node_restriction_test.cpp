// NodeRestriction: who may write the fields of a Node that tell the API
// server where its kubelet is — the rule itself, every REST write path of a
// Node, and the identity (user and groups) reaching the REST layer from the
// token file through the HTTP binding.
#include "core/apiserver/node_restriction.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <mutex>

#include "core/apiserver/http_server.h"
#include "core/apiserver/kubelet_endpoint.h"
#include "core/apiserver/rest.h"
#include "core/apiserver/tokens.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::apiserver {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

const UserInfo kAdmin{"admin", {"system:masters"}};
const UserInfo kAlice{"alice", {}};
const UserInfo kKubelet1{"system:node:n1", {"system:nodes"}};
const UserInfo kKubelet2{"system:node:n2", {"system:nodes"}};

TEST(NodeAccessOf, FollowsTheIdentity) {
  EXPECT_EQ(NodeAccessOf({"", {}}, "n1"), NodeAccess::kAll);  // authentication off
  EXPECT_EQ(NodeAccessOf(kAdmin, "n1"), NodeAccess::kAll);
  EXPECT_EQ(NodeAccessOf(kKubelet1, "n1"), NodeAccess::kAll);
  EXPECT_EQ(NodeAccessOf(kKubelet2, "n1"), NodeAccess::kNone);
  EXPECT_EQ(NodeAccessOf(kAlice, "n1"), NodeAccess::kAllButEndpoint);
  // The name alone, or the group alone, is no node identity.
  EXPECT_EQ(NodeAccessOf({"system:node:n1", {}}, "n1"), NodeAccess::kAllButEndpoint);
  EXPECT_EQ(NodeAccessOf({"alice", {"system:nodes"}}, "n1"), NodeAccess::kAllButEndpoint);
  EXPECT_EQ(NodeAccessOf({"admin", {}}, "n1"), NodeAccess::kAllButEndpoint);
}

TEST(ChangedEndpointField, ComparesWhatTheWriteCanChange) {
  api::Node stored;
  stored.metadata.name = "n1";
  stored.metadata.annotations[std::string(kKubeletLogTokenAnnotation)] = "t";
  stored.status.addresses = {{"InternalIP", "10.0.0.1"}};
  stored.status.daemon_endpoints.kubelet_endpoint.port = 41000;

  api::Node next = stored;
  next.metadata.labels["team"] = "a";
  next.spec.unschedulable = true;
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kUpdate, &stored, next), "");
  next.status.addresses = {{"InternalIP", "169.254.169.254"}};
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kUpdate, &stored, next), "");  // status kept
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kUpdateStatus, &stored, next), "status.addresses");
  next = stored;
  next.status.daemon_endpoints.kubelet_endpoint.port = 22;
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kUpdateStatus, &stored, next),
            "status.daemonEndpoints.kubeletEndpoint.Port");
  next = stored;
  next.metadata.annotations.clear();
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kUpdate, &stored, next),
            "metadata.annotations[navarch.io/kubelet-log-token]");
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kUpdateStatus, &stored, next), "");  // metadata kept

  api::Node fresh;
  fresh.metadata.name = "n1";
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kCreate, nullptr, fresh), "");
  fresh.metadata.annotations[std::string(kKubeletLogTokenAnnotation)] = "t";
  EXPECT_EQ(ChangedEndpointField(NodeWrite::kCreate, nullptr, fresh),
            "metadata.annotations[navarch.io/kubelet-log-token]");
}

TEST(NodeWriteForbidden, SaysWhoMayWriteTheField) {
  api::Node stored;
  stored.metadata.name = "n1";
  api::Node next = stored;
  next.status.addresses = {{"InternalIP", "169.254.169.254"}};
  auto why = NodeWriteForbidden(kAlice, NodeWrite::kUpdateStatus, "n1", &stored, &next);
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("user \"alice\" may not change status.addresses"));
  EXPECT_THAT(*why, HasSubstr("user system:node:n1 in group system:nodes"));
  EXPECT_THAT(*why, HasSubstr("group system:masters"));
  EXPECT_FALSE(NodeWriteForbidden(kKubelet1, NodeWrite::kUpdateStatus, "n1", &stored, &next));
  EXPECT_FALSE(NodeWriteForbidden(kAdmin, NodeWrite::kUpdateStatus, "n1", &stored, &next));
  auto other = NodeWriteForbidden(kKubelet2, NodeWrite::kDelete, "n1", &stored, nullptr);
  ASSERT_TRUE(other.has_value());
  EXPECT_THAT(*other, HasSubstr("may only write its own Node \"n2\", not \"n1\""));
  EXPECT_FALSE(NodeWriteForbidden(kAlice, NodeWrite::kDelete, "n1", &stored, nullptr));
}

TEST(TokenAuthenticator, ReadsTheGroupsOfEachToken) {
  auto auth = TokenAuthenticator::Parse(
      "a,admin,1,\"system:masters\"\n"
      "k,system:node:n1,system:node:n1,\"system:nodes, extra\"\n"
      "b,bob,2\n",
      "tokens.csv");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ(auth->Authenticate("a")->groups, std::vector<std::string>{"system:masters"});
  EXPECT_EQ(auth->Authenticate("k")->groups, (std::vector<std::string>{"system:nodes", "extra"}));
  EXPECT_TRUE(auth->Authenticate("b")->groups.empty());
}

// --- every REST write path of a Node ----------------------------------------------

class NodeRestrictionRestTest : public ::testing::Test {
 protected:
  NodeRestrictionRestTest() : rest_(store_, clock_, RestOptions{}) {
    EXPECT_TRUE(rest_.Start().ok());
  }

  Response Do(const UserInfo& user, std::string method, std::string path, std::string body = {},
              std::string content_type = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    r.accept = "application/json";
    r.user = user.name;
    r.groups = user.groups;
    return rest_.Handle(r);
  }

  static std::string NodeJson(const std::string& name, const std::string& token = "",
                              const std::string& address = "", int port = 0) {
    json::object meta{{"name", name}};
    if (!token.empty()) {
      meta["annotations"] = json::object{{kKubeletLogTokenAnnotation, token}};
    }
    json::object node{{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", meta}};
    json::object status;
    if (!address.empty()) {
      status["addresses"] = json::array{json::object{{"type", "InternalIP"}, {"address", address}}};
    }
    if (port) {
      status["daemonEndpoints"] = json::object{{"kubeletEndpoint", json::object{{"Port", port}}}};
    }
    if (!status.empty()) node["status"] = status;
    return json::serialize(node);
  }

  // Node n1 as its kubelet registers it.
  void Register() {
    auto created = Do(kKubelet1, "POST", "/api/v1/nodes", NodeJson("n1", "t"));
    ASSERT_EQ(created.code, 201) << created.body;
    auto status =
        Do(kKubelet1, "PUT", "/api/v1/nodes/n1/status", NodeJson("n1", "", "127.0.0.1", 41000));
    ASSERT_EQ(status.code, 200) << status.body;
  }

  std::string Stored(const std::string& path) {
    auto r = Do(kAdmin, "GET", "/api/v1/nodes/n1");
    auto v = json::parse(r.body);
    const json::value* at = &v;
    std::string rest = path;
    while (!rest.empty()) {
      const size_t dot = rest.find('.');
      const std::string key = rest.substr(0, dot);
      if (at->is_array()) {
        at = &at->as_array().at(std::stoul(key));
      } else {
        at = at->as_object().if_contains(key);
        if (!at) return "<none>";
      }
      rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
    }
    return at->is_string() ? std::string(at->as_string()) : json::serialize(*at);
  }

  std::string Token() {
    auto v = json::parse(Do(kAdmin, "GET", "/api/v1/nodes/n1").body);
    const auto* a = v.at("metadata").as_object().if_contains("annotations");
    const auto* t = a ? a->as_object().if_contains(kKubeletLogTokenAnnotation) : nullptr;
    return t ? std::string(t->as_string()) : "<none>";
  }

  static void ExpectForbidden(const Response& r, const std::string& says) {
    EXPECT_EQ(r.code, 403) << r.body;
    EXPECT_THAT(r.body, HasSubstr("\"reason\":\"Forbidden\""));
    EXPECT_THAT(r.body, HasSubstr("nodes \\\"n1\\\" is forbidden"));
    EXPECT_THAT(r.body, HasSubstr(says));
  }

  store::MemoryStore store_;
  runtime::ManualClock clock_;
  RestServer rest_;
};

TEST_F(NodeRestrictionRestTest, OthersMayNotRedirectTheKubeletEndpoint) {
  Register();
  // PUT of the status (what `kubectl replace --subresource status` sends).
  ExpectForbidden(
      Do(kAlice, "PUT", "/api/v1/nodes/n1/status", NodeJson("n1", "", "169.254.169.254", 41000)),
      "may not change status.addresses");
  // The port, by merge patch of the status.
  ExpectForbidden(Do(kAlice, "PATCH", "/api/v1/nodes/n1/status",
                     R"({"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":22}}}})",
                     "application/merge-patch+json"),
                  "may not change status.daemonEndpoints.kubeletEndpoint.Port");
  // The token, by strategic merge patch and by PUT.
  ExpectForbidden(Do(kAlice, "PATCH", "/api/v1/nodes/n1",
                     R"({"metadata":{"annotations":{"navarch.io/kubelet-log-token":"mine"}}})",
                     "application/strategic-merge-patch+json"),
                  "may not change metadata.annotations[navarch.io/kubelet-log-token]");
  ExpectForbidden(Do(kAlice, "PUT", "/api/v1/nodes/n1", NodeJson("n1", "mine")),
                  "may not change metadata.annotations[navarch.io/kubelet-log-token]");
  // Nothing changed.
  EXPECT_EQ(Stored("status.addresses.0.address"), "127.0.0.1");
  EXPECT_EQ(Stored("status.daemonEndpoints.kubeletEndpoint.Port"), "41000");
  EXPECT_EQ(Token(), "t");
}

TEST_F(NodeRestrictionRestTest, OthersKeepTheRestOfTheNode) {
  Register();
  auto label = Do(kAlice, "PATCH", "/api/v1/nodes/n1",
                  R"({"metadata":{"labels":{"team":"a"}},"spec":{"unschedulable":true}})",
                  "application/merge-patch+json");
  EXPECT_EQ(label.code, 200) << label.body;
  EXPECT_EQ(Stored("spec.unschedulable"), "true");
  // A create without endpoint fields is theirs; with one it is not.
  EXPECT_EQ(Do(kAlice, "POST", "/api/v1/nodes", NodeJson("n3")).code, 201);
  auto with_token = Do(kAlice, "POST", "/api/v1/nodes", NodeJson("n4", "t"));
  EXPECT_EQ(with_token.code, 403) << with_token.body;
  EXPECT_THAT(with_token.body, HasSubstr("may not set metadata.annotations"));
  EXPECT_EQ(Do(kAlice, "DELETE", "/api/v1/nodes/n3").code, 200);
}

TEST_F(NodeRestrictionRestTest, AKubeletWritesItsOwnNodeOnly) {
  Register();
  auto own = Do(kKubelet1, "PUT", "/api/v1/nodes/n1/status", NodeJson("n1", "", "10.0.0.7", 41001));
  EXPECT_EQ(own.code, 200) << own.body;
  EXPECT_EQ(Stored("status.addresses.0.address"), "10.0.0.7");
  ExpectForbidden(Do(kKubelet2, "PATCH", "/api/v1/nodes/n1", R"({"metadata":{"labels":{"x":"y"}}})",
                     "application/merge-patch+json"),
                  "node identity \\\"system:node:n2\\\" may only write its own Node");
  ExpectForbidden(Do(kKubelet2, "DELETE", "/api/v1/nodes/n1"), "may only write its own Node");
  auto sweep = Do(kKubelet2, "DELETE", "/api/v1/nodes");
  EXPECT_EQ(sweep.code, 403) << sweep.body;
  EXPECT_EQ(Do(kAdmin, "GET", "/api/v1/nodes/n1").code, 200);  // nothing was deleted
  auto create_other = Do(kKubelet2, "POST", "/api/v1/nodes", NodeJson("n1x"));
  EXPECT_EQ(create_other.code, 403) << create_other.body;
}

TEST_F(NodeRestrictionRestTest, AnAdministratorMayWriteEverything) {
  Register();
  auto r = Do(kAdmin, "PUT", "/api/v1/nodes/n1/status", NodeJson("n1", "", "10.0.0.8", 41002));
  EXPECT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(Do(kAdmin, "PATCH", "/api/v1/nodes/n1",
               R"({"metadata":{"annotations":{"navarch.io/kubelet-log-token":"new"}}})",
               "application/merge-patch+json")
                .code,
            200);
  EXPECT_EQ(Token(), "new");
}

// --- the identity through the HTTP binding ------------------------------------------

class CapturingHandler final : public RequestHandler {
 public:
  Response Handle(const Request& r) override {
    std::lock_guard<std::mutex> lock(mu);
    user = r.user;
    groups = r.groups;
    Response resp;
    resp.body = "{}";
    return resp;
  }
  std::mutex mu;
  std::string user;
  std::vector<std::string> groups;
};

std::string RawGet(uint16_t port, const std::string& token) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req = "GET /api/v1/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                          token + "\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

TEST(NodeIdentity, GroupsFromTheTokenFileReachTheRestLayer) {
  auto auth =
      TokenAuthenticator::Parse("k1,system:node:n1,system:node:n1,\"system:nodes\"\n", "tokens");
  ASSERT_TRUE(auth.ok());
  CapturingHandler handler;
  HttpServerOptions o;
  o.port = 0;
  o.io_threads = 1;
  o.handler_threads = 1;
  o.drain_timeout = std::chrono::seconds(1);
  o.auth = &*auth;
  HttpServer server(handler, o);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_THAT(RawGet(server.port(), "k1"), HasSubstr("200 OK"));
  server.Stop();
  std::lock_guard<std::mutex> lock(handler.mu);
  EXPECT_EQ(handler.user, "system:node:n1");
  EXPECT_EQ(handler.groups, std::vector<std::string>{"system:nodes"});
}

}  // namespace
}  // namespace navarch::apiserver
