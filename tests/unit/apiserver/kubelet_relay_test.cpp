// pods/log relayed to a kubelet's log endpoint, through the REST layer: the
// container id and the endpoint come from stored objects that clients can
// write, so whatever they hold must never shape the request the API server
// sends (issue 12, item 4). The kubelet here is a raw TCP listener that
// records every byte it is sent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "core/apiserver/kubelet_logs.h"
#include "core/apiserver/rest.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::apiserver {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

// Accepts connections on 127.0.0.1, records what each sends up to the end of
// its request headers, and answers 200 "ok\n".
class RawKubelet {
 public:
  RawKubelet() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~RawKubelet() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  std::string received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++connections_;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 5000) <= 0) break;
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_ += got;
      }
      static constexpr std::string_view kAnswer =
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
          "Connection: close\r\n\r\nok\n";
      (void)!::write(c, kAnswer.data(), kAnswer.size());
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::string received_;
  std::thread thread_;
};

class KubeletRelayTest : public ::testing::Test {
 protected:
  KubeletRelayTest() : rest_(store_, clock_, RestOptions{}) { EXPECT_TRUE(rest_.Start().ok()); }

  Response Do(std::string method, std::string path, std::string body = {},
              std::map<std::string, std::string> query = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.query = std::move(query);
    r.accept = "application/json";
    return rest_.Handle(r);
  }

  // Node n1 advertising `address`:`port` with the log token "t".
  void RegisterNode(const std::string& address, int port) {
    json::object meta{{"name", "n1"},
                      {"annotations", json::object{{kKubeletLogTokenAnnotation, "t"}}}};
    json::object node{{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", meta}};
    auto created = Do("POST", "/api/v1/nodes", json::serialize(node));
    ASSERT_EQ(created.code, 201) << created.body;
    node["status"] = json::object{
        {"addresses", json::array{json::object{{"type", "InternalIP"}, {"address", address}}}},
        {"daemonEndpoints", json::object{{"kubeletEndpoint", json::object{{"Port", port}}}}}};
    auto status = Do("PUT", "/api/v1/nodes/n1/status", json::serialize(node));
    ASSERT_EQ(status.code, 200) << status.body;
  }

  // Pod p on n1 whose container "c" runs as `container_id`.
  void RunPod(const std::string& container_id) {
    json::object pod{
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata", json::object{{"name", "p"}}},
        {"spec",
         json::object{{"nodeName", "n1"},
                      {"containers", json::array{json::object{{"name", "c"}, {"image", "i"}}}}}}};
    auto created = Do("POST", "/api/v1/namespaces/default/pods", json::serialize(pod));
    ASSERT_EQ(created.code, 201) << created.body;
    pod["status"] = json::object{
        {"phase", "Running"},
        {"containerStatuses",
         json::array{json::object{{"name", "c"},
                                  {"image", "i"},
                                  {"imageID", ""},
                                  {"ready", true},
                                  {"restartCount", 0},
                                  {"containerID", container_id},
                                  {"state", json::object{{"running", json::object{}}}}}}}};
    auto status = Do("PUT", "/api/v1/namespaces/default/pods/p/status", json::serialize(pod));
    ASSERT_EQ(status.code, 200) << status.body;
  }

  store::MemoryStore store_;
  runtime::ManualClock clock_;
  RestServer rest_;
  RawKubelet kubelet_;
};

TEST_F(KubeletRelayTest, ACrlfContainerIdIsA400AndNeverReachesTheKubelet) {
  RegisterNode("127.0.0.1", kubelet_.port());
  RunPod("abc\r\nGET /evil HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = Do("GET", "/api/v1/namespaces/default/pods/p/log");
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("containerID"));
  EXPECT_THAT(r.body, Not(HasSubstr("\r\n")));  // shown escaped, not raw
  EXPECT_EQ(kubelet_.connections(), 0) << kubelet_.received();
}

TEST_F(KubeletRelayTest, ATraversalContainerIdIsA400AndNeverReachesTheKubelet) {
  RegisterNode("127.0.0.1", kubelet_.port());
  RunPod("../../../../etc/passwd");
  auto r = Do("GET", "/api/v1/namespaces/default/pods/p/log", "", {{"follow", "true"}});
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("containerID"));
  EXPECT_EQ(kubelet_.connections(), 0) << kubelet_.received();
}

TEST_F(KubeletRelayTest, AValidIdIsRelayedEscapedWithTypedQueryParameters) {
  RegisterNode("127.0.0.1", kubelet_.port());
  RunPod("docker://0123abcdef");
  auto r = Do("GET", "/api/v1/namespaces/default/pods/p/log", "",
              {{"tailLines", "5"}, {"timestamps", "true"}});
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(kubelet_.connections(), 1);
  EXPECT_THAT(kubelet_.received(),
              HasSubstr("GET /containerLogs/docker%3A%2F%2F0123abcdef?tailLines=5&timestamps=true "
                        "HTTP/1.1\r\n"));
  EXPECT_THAT(kubelet_.received(), HasSubstr("Authorization: Bearer t\r\n"));
}

TEST_F(KubeletRelayTest, AnEndpointOutsideTheAllowedNetworksIsRefused) {
  // The cloud metadata address: link-local, never a kubelet.
  RegisterNode("169.254.169.254", kubelet_.port());
  RunPod("c00000001");
  auto r = Do("GET", "/api/v1/namespaces/default/pods/p/log");
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("169.254.169.254"));
  EXPECT_THAT(r.body, HasSubstr("--kubelet-networks"));
}

TEST_F(KubeletRelayTest, AHostNameInsteadOfAnAddressIsRefused) {
  // Resolving a name would let whoever controls DNS pick the target.
  RegisterNode("localhost", kubelet_.port());
  RunPod("c00000001");
  auto r = Do("GET", "/api/v1/namespaces/default/pods/p/log");
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("not an IP address"));
  EXPECT_EQ(kubelet_.connections(), 0);
}

}  // namespace
}  // namespace navarch::apiserver
