#include "core/apiserver/kubelet_logs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/apiserver/http_server.h"
#include "core/apiserver/tokens.h"

namespace navarch::apiserver {
namespace {

using ::testing::HasSubstr;

// A kubelet's logs: container "c1" has two lines; following it yields the
// lines, then `extra` chunks, then the end.
class FakeReader final : public ContainerLogReader {
 public:
  Result<std::string> ReadContainer(const std::string& id, const LogSource::Options& o) override {
    last_options = o;
    if (id != "c1") return NotFound("no container " + id + " on this node");
    std::string text = "one\ntwo\n";
    if (o.tail_lines && *o.tail_lines == 1) text = "two\n";
    return text;
  }
  Status FollowContainer(const std::string& id, const LogSource::Options& o,
                         std::shared_ptr<StreamWriter> out) override {
    last_options = o;
    if (id != "c1") return NotFound("no container " + id + " on this node");
    threads.emplace_back([out] {
      out->Write("one\n");
      out->Write("two\n");
      out->Write("three\n");
      out->Finish();
    });
    return Status::Ok();
  }
  ~FakeReader() override {
    for (auto& t : threads)
      t.join();
  }
  LogSource::Options last_options;
  std::vector<std::thread> threads;
};

// Collects what the client relays.
class Collector final : public StreamWriter {
 public:
  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_ += chunk;
    return true;
  }
  void Finish() override {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    cv_.notify_all();
  }
  void OnClosed(std::function<void()> fn) override { on_closed_ = std::move(fn); }
  std::string WaitFinished() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return finished_; });
    EXPECT_TRUE(finished_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool finished_ = false;
  std::function<void()> on_closed_;
};

class KubeletLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto auth = TokenAuthenticator::Parse("secret-token,apiserver,apiserver\n", "test");
    ASSERT_TRUE(auth.ok());
    auth_ = std::move(*auth);
    HttpServerOptions o;
    o.port = 0;
    o.io_threads = 1;
    o.handler_threads = 2;
    o.drain_timeout = std::chrono::seconds(1);
    o.auth = &auth_;
    server_ = std::make_unique<HttpServer>(handler_, o);
    ASSERT_TRUE(server_->Start().ok());
    endpoint_ = {"127.0.0.1", server_->port(), "secret-token"};
  }
  void TearDown() override { server_->Stop(); }

  FakeReader reader_;
  KubeletLogHandler handler_{reader_};
  TokenAuthenticator auth_;
  std::unique_ptr<HttpServer> server_;
  KubeletEndpoint endpoint_;
  KubeletLogClient client_;
};

TEST_F(KubeletLogsTest, ReadPassesOptionsAndReturnsTheLog) {
  LogSource::Options o;
  o.tail_lines = 1;
  o.timestamps = true;
  auto text = client_.Read(endpoint_, "c1", o);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "two\n");
  ASSERT_TRUE(reader_.last_options.tail_lines.has_value());
  EXPECT_EQ(*reader_.last_options.tail_lines, 1);
  EXPECT_TRUE(reader_.last_options.timestamps);
  EXPECT_FALSE(reader_.last_options.follow);
}

TEST_F(KubeletLogsTest, TheKubeletsErrorComesBackWithItsCode) {
  auto text = client_.Read(endpoint_, "c9", {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.code(), Code::kNotFound);
  EXPECT_THAT(text.status().message(), HasSubstr("no container c9 on this node"));
}

TEST_F(KubeletLogsTest, AWrongTokenIsRefused) {
  KubeletEndpoint wrong = endpoint_;
  wrong.token = "guess";
  auto text = client_.Read(wrong, "c1", {});
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(), HasSubstr("not valid"));
}

TEST_F(KubeletLogsTest, AnUnreachableKubeletIsUnavailable) {
  KubeletEndpoint gone = endpoint_;
  server_->Stop();
  auto text = client_.Read(gone, "c1", {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.code(), Code::kUnavailable);
  EXPECT_THAT(text.status().message(), HasSubstr("127.0.0.1:" + std::to_string(gone.port)));
}

TEST_F(KubeletLogsTest, FollowRelaysTheStreamAndFinishes) {
  auto out = std::make_shared<Collector>();
  ASSERT_TRUE(client_.Follow(endpoint_, "c1", {}, out).ok());
  EXPECT_EQ(out->WaitFinished(), "one\ntwo\nthree\n");
  EXPECT_TRUE(reader_.last_options.follow);
}

TEST_F(KubeletLogsTest, TheKubeletRefusesAnIdOutsideTheGrammarBeforeItsReader) {
  // What a client that skips the API server's checks could send: the
  // handler sees the percent-decoded path.
  for (const std::string id : {"..", "../../etc/passwd", "c1\r\nX: y", "c1 c2", "-rf"}) {
    Request r;
    r.method = "GET";
    r.path = "/containerLogs/" + id;
    reader_.last_options.tail_lines = 99;  // untouched unless the reader runs
    auto resp = handler_.Handle(r);
    EXPECT_EQ(resp.code, 400) << id << ": " << resp.body;
    EXPECT_THAT(resp.body, HasSubstr("the containerID in the path")) << id;
    EXPECT_EQ(reader_.last_options.tail_lines, std::optional<int64_t>(99)) << id;
  }
  Request bad_flag;
  bad_flag.method = "GET";
  bad_flag.path = "/containerLogs/c1";
  bad_flag.query["follow"] = "yes";
  auto resp = handler_.Handle(bad_flag);
  EXPECT_EQ(resp.code, 400);
  EXPECT_THAT(resp.body, HasSubstr("follow=\\\"yes\\\" is not true or false"));
}

TEST_F(KubeletLogsTest, ARuntimePrefixedIdTravelsEncodedAndArrivesWhole) {
  auto text = client_.Read(endpoint_, "docker://c1", {});
  ASSERT_FALSE(text.ok());  // the fake kubelet knows only "c1"...
  EXPECT_THAT(text.status().message(), HasSubstr("no container docker://c1"));  // ...but got it all
}

TEST(KubeletLogTarget, EscapesTheIdAndBuildsTheQueryFromTypedValues) {
  LogSource::Options o;
  EXPECT_EQ(*KubeletLogTarget("c00000001", o), "/containerLogs/c00000001");
  o.tail_lines = 10;
  o.limit_bytes = 2048;
  o.timestamps = true;
  o.follow = true;
  o.container = "ignored&x=y";  // never part of the target
  EXPECT_EQ(*KubeletLogTarget("containerd://a_b.c-1", o),
            "/containerLogs/containerd%3A%2F%2Fa_b.c-1?tailLines=10&limitBytes=2048&timestamps="
            "true&follow=true");
  auto crlf = KubeletLogTarget("abc\r\nGET /x HTTP/1.1", o);
  ASSERT_EQ(crlf.code(), Code::kInvalidArgument);
  EXPECT_THAT(crlf.status().message(), HasSubstr("containerID \"abc\\r\\nGET /x HTTP/1.1\""));
  EXPECT_THAT(crlf.status().message(), HasSubstr("offset 3"));
}

TEST(ValidateContainerId, FollowsTheGrammarOfRuntimeIds) {
  for (const char* ok :
       {"c00000001", "docker://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "containerd://abc", "cri-o://x.y_z-1", "A"}) {
    EXPECT_TRUE(ValidateContainerId(ok, "f").ok()) << ok;
  }
  const std::string long_id(129, 'a');
  for (const std::string& bad :
       {std::string(), std::string(".."), std::string("../../../../etc/passwd"), std::string("a/b"),
        std::string("a\r\nb"), std::string("a b"), std::string("a%2F"), std::string("a?b=c"),
        std::string("-a"), std::string(".a"), std::string("Docker://a"), std::string("://a"),
        std::string("docker://"), std::string("docker://../x"), long_id, std::string("a\0b", 3),
        std::string("\xc3\xa9")}) {
    auto st = ValidateContainerId(bad, "status.containerStatuses[0].containerID");
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << bad;
    EXPECT_THAT(st.message(), HasSubstr("status.containerStatuses[0].containerID")) << bad;
  }
  EXPECT_EQ(RuntimeContainerId("docker://abc"), "abc");
  EXPECT_EQ(RuntimeContainerId("abc"), "abc");
}

TEST(NetworkList, ParsesCidrsAndMatchesAddresses) {
  NetworkList def;
  for (const char* in : {"127.0.0.1", "127.9.9.9", "10.1.2.3", "172.16.0.1", "172.31.255.254",
                         "192.168.1.1", "::1", "fd00::1", "::ffff:10.0.0.1"}) {
    EXPECT_TRUE(def.Contains(in)) << in;
  }
  for (const char* out :
       {"169.254.169.254", "8.8.8.8", "172.32.0.1", "192.169.0.1", "100.64.0.1", "fe80::1",
        "2001:db8::1", "::ffff:169.254.169.254", "localhost", "", "10.0.0.1 ", "010.0.0.1"}) {
    EXPECT_FALSE(def.Contains(out)) << out;
  }
  auto custom = NetworkList::Parse("203.0.113.0/24, 2001:db8::/32,198.51.100.7", "--flag");
  ASSERT_TRUE(custom.ok()) << custom.status();
  EXPECT_TRUE(custom->Contains("203.0.113.200"));
  EXPECT_TRUE(custom->Contains("2001:db8:1::5"));
  EXPECT_TRUE(custom->Contains("198.51.100.7"));
  EXPECT_FALSE(custom->Contains("198.51.100.8"));
  EXPECT_FALSE(custom->Contains("127.0.0.1"));
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "example.com/8", "10.0.0.0/x", "10.0.0/8"}) {
    auto r = NetworkList::Parse(bad, "--kubelet-networks");
    EXPECT_EQ(r.code(), Code::kInvalidArgument) << bad;
    EXPECT_THAT(r.status().message(), HasSubstr("--kubelet-networks")) << bad;
  }
}

api::Node EndpointNode(std::string address, int32_t port = 41000, std::string token = "t") {
  api::Node node;
  node.metadata.name = "n1";
  node.status.addresses.push_back({"Hostname", "n1"});
  if (!address.empty()) node.status.addresses.push_back({"InternalIP", std::move(address)});
  node.status.daemon_endpoints.kubelet_endpoint.port = port;
  node.metadata.annotations[std::string(kKubeletLogTokenAnnotation)] = std::move(token);
  return node;
}

TEST(KubeletEndpointOf, NeedsAddressPortAndToken) {
  const NetworkList allowed;
  api::Node node;
  node.metadata.name = "n1";
  EXPECT_EQ(KubeletEndpointOf(node, allowed).code(), Code::kUnavailable);
  node.status.addresses.push_back({"Hostname", "n1"});
  node.status.addresses.push_back({"InternalIP", "127.0.0.1"});
  node.status.daemon_endpoints.kubelet_endpoint.port = 41000;
  EXPECT_THAT(KubeletEndpointOf(node, allowed).status().message(),
              HasSubstr(kKubeletLogTokenAnnotation));
  node.metadata.annotations[std::string(kKubeletLogTokenAnnotation)] = "t";
  auto e = KubeletEndpointOf(node, allowed);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 41000);
  EXPECT_EQ(e->token, "t");
}

TEST(KubeletEndpointOf, RefusesHostsItMustNotConnectTo) {
  const NetworkList allowed;
  struct Case {
    std::string address;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"169.254.169.254", "outside the networks"},
           {"8.8.8.8", "--kubelet-networks=127.0.0.0/8,"},
           {"::ffff:169.254.169.254", "169.254.169.254"},
           {"localhost", "not an IP address"},
           {"metadata.google.internal", "never resolves names"},
           {"127.0.0.1:80", "not an IP address"},
           {"127.0.0.1\r\nHost: x", "127.0.0.1\\r\\nHost: x"},
           {"0.0.0.0", "unspecified"},
           {"::", "unspecified"},
           {"224.0.0.1", "multicast"},
       }) {
    auto e = KubeletEndpointOf(EndpointNode(c.address), allowed);
    EXPECT_EQ(e.code(), Code::kInvalidArgument) << c.address;
    EXPECT_THAT(e.status().message(), HasSubstr("node n1")) << c.address;
    EXPECT_THAT(e.status().message(), HasSubstr(c.says)) << c.address;
  }
  // Only IP-literal address types are considered: a Hostname alone is no endpoint.
  api::Node hostname_only = EndpointNode("");
  EXPECT_EQ(KubeletEndpointOf(hostname_only, allowed).code(), Code::kUnavailable);
  // An ExternalIP serves when there is no InternalIP.
  api::Node external = EndpointNode("");
  external.status.addresses.push_back({"ExternalIP", "10.0.0.9"});
  EXPECT_EQ(KubeletEndpointOf(external, allowed)->host, "10.0.0.9");
  // A mapped address is used as the IPv4 address it is.
  EXPECT_EQ(KubeletEndpointOf(EndpointNode("::ffff:127.0.0.1"), allowed)->host, "127.0.0.1");
  EXPECT_EQ(KubeletEndpointOf(EndpointNode("127.0.0.1", 70000), allowed).code(),
            Code::kInvalidArgument);
  auto token = KubeletEndpointOf(EndpointNode("127.0.0.1", 41000, "t\r\nX-Evil: 1"), allowed);
  EXPECT_EQ(token.code(), Code::kInvalidArgument);
  EXPECT_THAT(token.status().message(), HasSubstr("not a bearer token"));
  // An operator may allow other networks.
  auto wide = NetworkList::Parse("203.0.113.0/24", "--kubelet-networks");
  EXPECT_TRUE(KubeletEndpointOf(EndpointNode("203.0.113.5"), *wide).ok());
  EXPECT_EQ(KubeletEndpointOf(EndpointNode("127.0.0.1"), *wide).code(), Code::kInvalidArgument);
}

TEST(LogContainerId, PicksTheContainerAndItsPreviousInstance) {
  api::Pod pod;
  pod.metadata.namespace_ = "default";
  pod.metadata.name = "p";
  api::Container a;
  a.name = "a";
  api::Container b;
  b.name = "b";
  pod.spec.Mutable().containers = {a, b};
  LogSource::Options o;
  EXPECT_THAT(LogContainerId(pod, o).status().message(), HasSubstr("waiting to start"));
  api::ContainerStatus cs;
  cs.name = "a";
  cs.container_id = "docker://new";
  api::ContainerStateTerminated old;
  old.container_id = "docker://old";
  cs.last_state.terminated = old;
  pod.status.container_statuses.push_back(cs);
  EXPECT_EQ(*LogContainerId(pod, o), "docker://new");  // the first container by default
  o.previous = true;
  EXPECT_EQ(*LogContainerId(pod, o), "docker://old");
  o.container = "zz";
  EXPECT_THAT(LogContainerId(pod, o).status().message(),
              HasSubstr("\"zz\" is not in pods/default/p"));
}

TEST(LogContainerId, RefusesAStoredIdOutsideTheGrammarNamingTheField) {
  api::Pod pod;
  pod.metadata.namespace_ = "default";
  pod.metadata.name = "p";
  api::Container a;
  a.name = "a";
  pod.spec.Mutable().containers = {a};
  api::ContainerStatus cs;
  cs.name = "a";
  cs.container_id = "x\r\nGET /evil";
  api::ContainerStateTerminated old;
  old.container_id = "../../../../etc/passwd";
  cs.last_state.terminated = old;
  pod.status.container_statuses.push_back(cs);
  LogSource::Options o;
  auto now = LogContainerId(pod, o);
  EXPECT_EQ(now.code(), Code::kInvalidArgument);
  EXPECT_THAT(now.status().message(),
              HasSubstr("pods/default/p: status.containerStatuses[0].containerID \"x\\r\\nGET"));
  o.previous = true;
  auto prev = LogContainerId(pod, o);
  EXPECT_EQ(prev.code(), Code::kInvalidArgument);
  EXPECT_THAT(prev.status().message(),
              HasSubstr("status.containerStatuses[0].lastState.terminated.containerID"));
}

}  // namespace
}  // namespace navarch::apiserver
