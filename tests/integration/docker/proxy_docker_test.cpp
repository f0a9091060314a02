// The service proxy in front of real containers: three pods of a Service
// running httpd on a real dockerd, the endpoints controller keeping the
// Service's Endpoints, and the proxy answering HTTP requests from all three.
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <set>

#include "core/controllers/endpoints_controller.h"
#include "core/proxy/service_proxy.h"
#include "tests/integration/docker/docker_fixture.h"

namespace navarch::docker::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

int32_t FreePort() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// GET / through 127.0.0.1:port; the body, or "" on failure.
std::string HttpGet(int32_t port) {
  asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)), ec);
  if (ec) return "";
  timeval tv{5, 0};
  setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req = "GET / HTTP/1.0\r\nHost: web\r\n\r\n";
  asio::write(s, asio::buffer(req), ec);
  if (ec) return "";
  std::string out;
  asio::read(s, asio::dynamic_buffer(out), ec);  // until the server closes
  size_t body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

class ProxyDockerTest : public DockerTest {
 protected:
  void TearDown() override {
    if (proxy_ || endpoints_)
      OnLoop([&] {
        proxy_.reset();
        endpoints_.reset();
      });
    DockerTest::TearDown();
  }
  std::unique_ptr<controllers::EndpointsController> endpoints_;
  std::unique_ptr<proxy::ServiceProxy> proxy_;
};

TEST_F(ProxyDockerTest, ServiceWithThreeReplicasAnswersFromAllThroughTheProxy) {
  StartKubelet();
  const int32_t port = FreePort();
  OnLoop([&] {
    endpoints_ = std::make_unique<controllers::EndpointsController>(api_, clock_);
    ASSERT_TRUE(endpoints_->Start().ok());
    proxy_ = std::make_unique<proxy::ServiceProxy>(api_, clock_);
    ASSERT_TRUE(proxy_->Start().ok());
    api::Service svc;
    svc.metadata.namespace_ = "default";
    svc.metadata.name = "web";
    svc.spec.selector = {{"app", "web"}};
    api::ServicePort sp;
    sp.port = port;
    sp.target_port = api::IntOrString(8080);
    sp.protocol = "TCP";
    svc.spec.ports.push_back(sp);
    ASSERT_TRUE(api_.Create(svc).ok());
  });
  for (int i = 1; i <= 3; ++i) {
    std::string name = "web-" + std::to_string(i);
    api::Container c = Shell("httpd", "mkdir -p /www && echo " + name +
                                          " > /www/index.html && exec httpd -f -p 8080 -h /www");
    c.ports.push_back(api::ContainerPort{.name = "http", .container_port = 8080});
    api::Probe ready;
    ready.tcp_socket = api::TcpSocketAction{.port = "http"};
    ready.period_seconds = 1;
    c.readiness_probe = ready;
    api::Pod pod = MakePod(name, {c});
    pod.metadata.labels = {{"app", "web"}};
    ASSERT_TRUE(CreatePod(pod));
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        auto eps = api_.Get<api::Endpoints>("default", "web");
        return eps.ok() && !(*eps)->subsets.empty() && (*eps)->subsets[0].addresses.size() == 3;
      },
      seconds(60)))
      << Describe("web-1") << " / " << Describe("web-2") << " / " << Describe("web-3");
  // The proxy applies the endpoints on its loop turn.
  ASSERT_TRUE(WaitFor([&] {
    auto l = proxy_->Listeners();
    return l.size() == 1 && l[0].backends == 3;
  }));
  std::set<std::string> answered;
  for (int i = 0; i < 9; ++i) {
    std::string body = HttpGet(port);
    EXPECT_FALSE(body.empty()) << "request " << i;
    answered.insert(body);
  }
  EXPECT_EQ(answered, (std::set<std::string>{"web-1\n", "web-2\n", "web-3\n"}));

  // Each pod's containerPort 8080 (no hostPort) is published on a loopback
  // port Docker picked, recorded by the kubelet on the pod where the proxy
  // reads it, and it answers there.
  for (int i = 1; i <= 3; ++i) {
    const std::string name = "web-" + std::to_string(i);
    const std::string value = OnLoop([&] {
      auto pod = GetPod(name);
      auto it = pod->metadata.annotations.find(std::string(runtime::kPublishedPortsAnnotation));
      return it == pod->metadata.annotations.end() ? std::string() : it->second;
    });
    ASSERT_EQ(value.rfind("8080/TCP=127.0.0.1:", 0), 0u) << name << ": " << value;
    const int32_t published = std::stoi(value.substr(value.find(':') + 1));
    EXPECT_EQ(HttpGet(published), name + "\n") << value;
  }
}

}  // namespace
}  // namespace navarch::docker::testing
