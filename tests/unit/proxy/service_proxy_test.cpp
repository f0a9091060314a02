// The service proxy over real loopback sockets: tiny backend servers that
// answer with their name, a LocalApi on a ManualClock for the control part.
#include "core/proxy/service_proxy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A backend: greets every connection with "<name>\n", then echoes each line
// back as "<name>:<line>\n" until the client closes.
class NameServer {
 public:
  explicit NameServer(std::string name)
      : name_(std::move(name)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~NameServer() {
    io_.stop();
    thread_.join();
  }
  int32_t port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    explicit Session(tcp::socket s, const std::string& n) : socket(std::move(s)), name(n) {}
    void Start() {
      auto self = shared_from_this();
      greeting = name + "\n";
      asio::async_write(socket, asio::buffer(greeting),
                        [self](boost::system::error_code ec, size_t) {
                          if (!ec) self->ReadLine();
                        });
    }
    void ReadLine() {
      auto self = shared_from_this();
      asio::async_read_until(socket, asio::dynamic_buffer(in), '\n',
                             [self](boost::system::error_code ec, size_t n) {
                               if (ec) return;
                               self->out = self->name + ":" + self->in.substr(0, n);
                               self->in.erase(0, n);
                               asio::async_write(self->socket, asio::buffer(self->out),
                                                 [self](boost::system::error_code e, size_t) {
                                                   if (!e) self->ReadLine();
                                                 });
                             });
    }
    tcp::socket socket;
    std::string name, greeting, in, out;
  };
  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      ++connections_;
      std::make_shared<Session>(std::move(s), name_)->Start();
      Accept();
    });
  }
  std::string name_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  int32_t port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// A port nothing listens on (bound once to find it, then released).
int32_t FreePort() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// A blocking client with a 5 s receive timeout, so a bug fails instead of hanging.
class Client {
 public:
  explicit Client(int32_t port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)),
                    ec);
    connected_ = !ec;
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  // The next line without its newline; "<closed>" on EOF, "<error>" otherwise.
  std::string ReadLine() {
    boost::system::error_code ec;
    size_t n = asio::read_until(socket_, asio::dynamic_buffer(buf_), '\n', ec);
    if (ec == asio::error::eof) return "<closed>";
    if (ec) return "<error: " + ec.message() + ">";
    std::string line = buf_.substr(0, n - 1);
    buf_.erase(0, n);
    return line;
  }
  std::string Ask(const std::string& line) {
    std::string out = line + "\n";
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(out), ec);
    return ec ? "<write error>" : ReadLine();
  }
  bool connected() const { return connected_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  std::string buf_;
  bool connected_ = false;
};

// The name of the backend one new connection to `port` reaches.
std::string Greeting(int32_t port) {
  Client c(port);
  if (!c.connected()) return "<refused>";
  return c.ReadLine();
}

class ServiceProxyTest : public ::testing::Test {
 protected:
  ServiceProxyTest() : api_(store_, clock_) {}

  void StartProxy(ProxyOptions o = {}) {
    o.log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.emplace_back(line);
    };
    proxy_ = std::make_unique<ServiceProxy>(api_, clock_, std::move(o));
    ASSERT_TRUE(proxy_->Start().ok());
    clock_.RunUntilIdle();
  }

  void PutService(const std::string& name, int32_t port, std::string affinity = "",
                  std::string protocol = "TCP") {
    api::Service s;
    s.metadata.namespace_ = "default";
    s.metadata.name = name;
    s.spec.session_affinity = std::move(affinity);
    api::ServicePort p;
    p.port = port;
    p.protocol = std::move(protocol);
    s.spec.ports.push_back(p);
    auto existing = api_.Get<api::Service>("default", name);
    if (existing.ok()) {
      s.metadata.resource_version = (*existing)->metadata.resource_version;
      s.spec.cluster_ip = (*existing)->spec.cluster_ip;  // allocated at create; immutable
      ASSERT_TRUE(api_.Update(s).ok());
    } else {
      ASSERT_TRUE(api_.Create(s).ok());
    }
    clock_.RunUntilIdle();
  }

  // Endpoints of service `name`: one ready address per backend port (all on
  // 127.0.0.1), plus not-ready ones.
  void PutEndpoints(const std::string& name, const std::vector<int32_t>& ready,
                    const std::vector<int32_t>& not_ready = {}) {
    api::Endpoints e;
    e.metadata.namespace_ = "default";
    e.metadata.name = name;
    for (int32_t port : ready)
      e.subsets.push_back(Subset(port, true));
    for (int32_t port : not_ready)
      e.subsets.push_back(Subset(port, false));
    auto existing = api_.Get<api::Endpoints>("default", name);
    if (existing.ok()) {
      e.metadata.resource_version = (*existing)->metadata.resource_version;
      ASSERT_TRUE(api_.Update(e).ok());
    } else {
      ASSERT_TRUE(api_.Create(e).ok());
    }
    clock_.RunUntilIdle();
  }

  static api::EndpointSubset Subset(int32_t port, bool ready) {
    api::EndpointSubset s;
    api::EndpointAddress a;
    a.ip = "127.0.0.1";
    (ready ? s.addresses : s.not_ready_addresses).push_back(a);
    api::EndpointPort p;
    p.port = port;
    p.protocol = "TCP";
    s.ports.push_back(p);
    return s;
  }

  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> lock(log_mu_);
    return log_;
  }

  runtime::ManualClock clock_;
  store::MemoryStore store_;
  client::LocalApi api_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
  std::unique_ptr<ServiceProxy> proxy_;
};

TEST_F(ServiceProxyTest, RoundRobinOverReadyEndpoints) {
  NameServer a("a"), b("b"), c("c"), not_ready("not-ready");
  const int32_t port = FreePort();
  StartProxy();
  PutService("web", port);
  PutEndpoints("web", {a.port(), b.port(), c.port()}, {not_ready.port()});
  // Backends are in (host, port) order; each connection starts one further.
  std::vector<std::pair<int32_t, std::string>> by_port = {
      {a.port(), "a"}, {b.port(), "b"}, {c.port(), "c"}};
  std::sort(by_port.begin(), by_port.end());
  std::vector<std::string> expected, got;
  for (int i = 0; i < 6; ++i) {
    expected.push_back(by_port[i % 3].second);
    got.push_back(Greeting(port));
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(not_ready.connections(), 0);
  EXPECT_EQ(proxy_->stats().forwarded.load(), 6u);

  // Data flows both ways through an open connection.
  Client client(port);
  EXPECT_EQ(client.ReadLine(), by_port[0].second);
  EXPECT_EQ(client.Ask("hello"), by_port[0].second + ":hello");
  EXPECT_EQ(client.Ask("again"), by_port[0].second + ":again");

  auto listeners = proxy_->Listeners();
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0].id, "default/web:" + std::to_string(port));
  EXPECT_EQ(listeners[0].backends, 3u);
  EXPECT_TRUE(listeners[0].status.ok());
}

TEST_F(ServiceProxyTest, RefusingBackendIsSkipped) {
  NameServer a("a");
  const int32_t dead = FreePort();  // nothing listens here
  const int32_t port = FreePort();
  StartProxy();
  PutService("web", port);
  PutEndpoints("web", {a.port(), dead});
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(Greeting(port), "a") << "connection " << i;
  EXPECT_EQ(a.connections(), 4);
  EXPECT_EQ(proxy_->stats().backend_failures.load(), 2u);  // every other one started on `dead`
  bool logged = false;
  for (const auto& line : Log())
    logged =
        logged || line.find("127.0.0.1:" + std::to_string(dead) + ") failed") != std::string::npos;
  EXPECT_TRUE(logged);

  // With only refusing backends the client is closed.
  PutEndpoints("web", {dead});
  EXPECT_EQ(Greeting(port), "<closed>");
  EXPECT_EQ(proxy_->stats().no_backend.load(), 1u);
  // No endpoints at all: closed too.
  PutEndpoints("web", {});
  EXPECT_EQ(Greeting(port), "<closed>");
}

TEST_F(ServiceProxyTest, EndpointChangeAppliesToNewConnectionsOpenOnesKeepWorking) {
  NameServer a("a"), b("b");
  const int32_t port = FreePort();
  StartProxy();
  PutService("web", port);
  PutEndpoints("web", {a.port()});
  Client open(port);
  EXPECT_EQ(open.ReadLine(), "a");

  PutEndpoints("web", {b.port()});
  EXPECT_EQ(Greeting(port), "b");
  EXPECT_EQ(Greeting(port), "b");
  // The connection opened before the change still talks to "a".
  EXPECT_EQ(open.Ask("still there?"), "a:still there?");

  // Deleting the service closes the listener but not the open connection.
  ASSERT_TRUE(api_.Delete<api::Service>("default", "web").ok());
  clock_.RunUntilIdle();
  EXPECT_EQ(Greeting(port), "<refused>");
  EXPECT_EQ(open.Ask("and now?"), "a:and now?");
  EXPECT_TRUE(proxy_->Listeners().empty());
}

TEST_F(ServiceProxyTest, ClientIpAffinityStickToOneBackendUntilTimeout) {
  NameServer a("a"), b("b"), c("c");
  const int32_t port = FreePort();
  StartProxy();
  PutService("web", port, "ClientIP");
  api::Service svc = **api_.Get<api::Service>("default", "web");
  svc.metadata.annotations[std::string(kAffinityTimeoutAnnotation)] = "30";
  ASSERT_TRUE(api_.Update(svc).ok());
  PutEndpoints("web", {a.port(), b.port(), c.port()});

  const std::string first = Greeting(port);
  ASSERT_NE(first, "<closed>");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(Greeting(port), first);
  // Each use refreshes the affinity: 20 s, then 20 s more, still sticky.
  clock_.Advance(seconds(20));
  EXPECT_EQ(Greeting(port), first);
  clock_.Advance(seconds(20));
  EXPECT_EQ(Greeting(port), first);
  // 31 s idle: expired, round-robin moves on.
  clock_.Advance(seconds(31));
  EXPECT_NE(Greeting(port), first);

  // Affinity to a backend that left the endpoints is dropped.
  const std::string second = Greeting(port);
  std::map<std::string, int32_t> ports = {{"a", a.port()}, {"b", b.port()}, {"c", c.port()}};
  std::vector<int32_t> rest;
  for (const auto& [name, p] : ports)
    if (name != second) rest.push_back(p);
  PutEndpoints("web", rest);
  const std::string third = Greeting(port);
  EXPECT_NE(third, second);
  EXPECT_EQ(Greeting(port), third);
}

TEST_F(ServiceProxyTest, PortInUseIsAnErrorForThatServiceOnlyAndIsRetried) {
  NameServer a("a");
  const int32_t free_port = FreePort();
  StartProxy();
  // Someone else holds a.port(): the service on that port cannot listen.
  PutService("clash", a.port());
  PutService("web", free_port);
  PutEndpoints("web", {a.port()});
  auto listeners = proxy_->Listeners();
  ASSERT_EQ(listeners.size(), 2u);
  EXPECT_EQ(listeners[0].service, "default/clash");
  EXPECT_EQ(listeners[0].status.code(), Code::kUnavailable);
  EXPECT_THAT(listeners[0].status.message(),
              HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(a.port())));
  EXPECT_TRUE(listeners[1].status.ok());
  EXPECT_EQ(Greeting(free_port), "a");
  int errors = 0;
  for (const auto& line : Log())
    errors += line.find("cannot listen") != std::string::npos;
  EXPECT_EQ(errors, 1);
  // Retried every 5 s; the same error is not logged again.
  clock_.Advance(seconds(11));
  errors = 0;
  for (const auto& line : Log())
    errors += line.find("cannot listen") != std::string::npos;
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(proxy_->Listeners()[0].status.code(), Code::kUnavailable);
}

TEST_F(ServiceProxyTest, RetriedListenerSucceedsOncePortIsFree) {
  NameServer a("a");
  auto blocker = std::make_unique<NameServer>("blocker");
  const int32_t port = blocker->port();
  StartProxy();
  PutService("web", port);
  PutEndpoints("web", {a.port()});
  EXPECT_EQ(proxy_->Listeners()[0].status.code(), Code::kUnavailable);
  blocker.reset();
  clock_.Advance(seconds(5));
  clock_.RunUntilIdle();
  ASSERT_TRUE(proxy_->Listeners()[0].status.ok()) << proxy_->Listeners()[0].status;
  EXPECT_EQ(Greeting(port), "a");
}

TEST_F(ServiceProxyTest, UdpPortsAreSkippedWithALoggedReason) {
  const int32_t port = FreePort();
  StartProxy();
  PutService("dns", port, "", "UDP");
  auto listeners = proxy_->Listeners();
  ASSERT_EQ(listeners.size(), 1u);
  EXPECT_EQ(listeners[0].status.code(), Code::kNotSupported);
  EXPECT_THAT(listeners[0].status.message(), HasSubstr("UDP is not supported"));
  auto log = Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("service default/dns port " + std::to_string(port)));
  EXPECT_EQ(Greeting(port), "<refused>");
}

TEST_F(ServiceProxyTest, PublishedHostPortOfThePodIsDialled) {
  NameServer a("a");
  const int32_t port = FreePort();
  StartProxy();
  // The pod's IP is not reachable from here; its port is published on the host.
  api::Pod pod;
  pod.metadata.namespace_ = "default";
  pod.metadata.name = "web-1";
  pod.metadata.annotations[std::string(kPublishedPortsAnnotation)] =
      "8080/TCP=127.0.0.1:" + std::to_string(a.port());
  api::Container c;
  c.name = "app";
  c.image = "app:1";
  pod.spec.Mutable().containers.push_back(c);
  auto created = api_.Create(pod);
  ASSERT_TRUE(created.ok()) << created.status();
  PutService("web", port);
  api::Endpoints e;
  e.metadata.namespace_ = "default";
  e.metadata.name = "web";
  api::EndpointSubset s;
  api::EndpointAddress addr;
  addr.ip = "192.0.2.1";  // TEST-NET: would never answer
  api::ObjectReference ref;
  ref.kind = "Pod";
  ref.namespace_ = "default";
  ref.name = "web-1";
  ref.uid = (*created)->metadata.uid;
  addr.target_ref = ref;
  s.addresses.push_back(addr);
  api::EndpointPort ep;
  ep.port = 8080;
  ep.protocol = "TCP";
  s.ports.push_back(ep);
  e.subsets.push_back(s);
  ASSERT_TRUE(api_.Create(e).ok());
  clock_.RunUntilIdle();
  EXPECT_EQ(Greeting(port), "a");
}

TEST_F(ServiceProxyTest, StopClosesListeners) {
  NameServer a("a");
  const int32_t port = FreePort();
  StartProxy();
  PutService("web", port);
  PutEndpoints("web", {a.port()});
  EXPECT_EQ(Greeting(port), "a");
  proxy_->Stop();
  EXPECT_EQ(Greeting(port), "<refused>");
  EXPECT_TRUE(proxy_->Listeners().empty());
}

TEST(ServiceProxyOptionsTest, BadBindAddressIsRejected) {
  runtime::ManualClock clock;
  store::MemoryStore store;
  client::LocalApi api(store, clock);
  ProxyOptions o;
  o.bind_address = "localhost";
  ServiceProxy proxy(api, clock, o);
  Status st = proxy.Start();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("\"localhost\" is not an IP address"));
}

}  // namespace
}  // namespace navarch::proxy
