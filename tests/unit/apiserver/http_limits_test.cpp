// The HTTP binding's limits over loopback (docs/apiserver.md "Limits"):
// authentication on the header (100 unauthenticated slow bodies), a watch
// whose client never reads ended with an ERROR event while the others get
// every event and memory stays bounded, the connection, in-flight and watch
// caps answered 429 with Retry-After, header size and read timeouts, the
// accept loop backing off when the process is out of descriptors, and TLS 1.2
// restricted to AEAD suites.
#include "core/apiserver/http_limits.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "core/apiserver/certs.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/tokens.h"
#include "tests/unit/apiserver/http_test_util.h"

namespace navarch::apiserver {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using http_test::Client;
using http_test::Loopback;
using http_test::PodBody;
using http_test::Server;

constexpr char kPods[] = "/api/v1/namespaces/default/pods";

// VmRSS of this process (server and clients), in bytes.
int64_t RssBytes() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

// Polls `done` until it holds; false after a generous deadline (a liveness
// bound, not a measure of speed).
template <class F>
bool WaitFor(F done, std::chrono::seconds deadline = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

boost::json::object StatusOf(const http::response<http::string_body>& r) {
  return boost::json::parse(r.body()).as_object();
}

// A watch read on its own thread; keeps every complete event line.
class WatchReader {
 public:
  WatchReader(uint16_t port, const std::string& target, const std::string& token = {})
      : client_(port) {
    http::request<http::empty_body> req(http::verb::get, target, 11);
    req.set(http::field::host, "127.0.0.1");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    http::write(client_.stream(), req);
    parser_.body_limit(boost::none);
    http::read_header(client_.stream(), client_.buffer(), parser_);
    code_ = parser_.get().result_int();
    if (code_ == 200) thread_ = std::thread([this] { Run(); });
  }
  ~WatchReader() {
    ::shutdown(client_.stream().socket().native_handle(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
  }
  int code() const { return code_; }
  int Count(std::string_view type) const {
    std::lock_guard<std::mutex> lock(mu_);
    return CountLocked(type);
  }
  // Waits (up to a generous deadline) until `n` events of `type` arrived.
  bool WaitCount(std::string_view type, int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return CountLocked(type) >= n; });
  }

 private:
  void Run() {
    char buf[16384];
    while (!parser_.is_done()) {
      parser_.get().body().data = buf;
      parser_.get().body().size = sizeof(buf);
      beast::error_code ec;
      http::read_some(client_.stream(), client_.buffer(), parser_, ec);
      if (ec == http::error::need_buffer) ec = {};
      std::lock_guard<std::mutex> lock(mu_);
      partial_.append(buf, sizeof(buf) - parser_.get().body().size);
      for (size_t nl; (nl = partial_.find('\n')) != std::string::npos;) {
        lines_.push_back(partial_.substr(0, nl));
        partial_.erase(0, nl + 1);
      }
      cv_.notify_all();
      if (ec) break;
    }
  }
  int CountLocked(std::string_view type) const {
    const std::string needle = "{\"type\":\"" + std::string(type) + "\"";
    int n = 0;
    for (const auto& l : lines_)
      n += l.rfind(needle, 0) == 0;
    return n;
  }

  Client client_;
  http::response_parser<http::buffer_body> parser_;
  int code_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string partial_;
  std::vector<std::string> lines_;
};

TEST(HttpLimits, HundredUnauthenticatedSlowBodiesAreRefusedAtTheHeader) {
  auto auth = TokenAuthenticator::Parse("secret-token,alice,1\n", "tokens.csv");
  ASSERT_TRUE(auth.ok());
  HttpServerOptions o;
  o.auth = &*auth;
  Server s(o);
  // Each client announces a 3 MB body (under the 3 MiB limit), sends 1 MiB of
  // it without a token and stalls. The answer is due on the header alone.
  constexpr int kClients = 100;
  const std::string head = std::string("POST ") + kPods +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                           "Content-Length: 3000000\r\n\r\n";
  const std::string body(1 << 20, 'x');
  const int64_t rss_before = RssBytes();

  net::io_context io;
  struct Conn {
    explicit Conn(net::io_context& io) : sock(io) {}
    tcp::socket sock;
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    beast::error_code ec;
    bool answered = false;
  };
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < kClients; ++i) {
    auto c = std::make_unique<Conn>(io);
    c->sock.connect(Loopback(s.port()));
    const std::array<net::const_buffer, 2> out{net::buffer(head), net::buffer(body)};
    // Fails once the server closes the connection: fine.
    net::async_write(c->sock, out, [](beast::error_code, size_t) {});
    Conn* raw = c.get();
    http::async_read(c->sock, c->buf, c->res, [raw](beast::error_code ec, size_t) {
      raw->ec = ec;
      raw->answered = true;
    });
    conns.push_back(std::move(c));
  }
  // Returns as soon as every exchange is over; the deadline only bounds a
  // server that waits for the bodies.
  io.run_for(std::chrono::seconds(30));
  int unauthorized = 0;
  for (const auto& c : conns) {
    if (c->answered && !c->ec && c->res.result_int() == 401) ++unauthorized;
  }
  EXPECT_EQ(unauthorized, kClients) << "clients answered 401 before sending their body";
  // 100 MiB of bodies were sent; the server kept none of them.
  const int64_t growth = RssBytes() - rss_before;
  EXPECT_LT(growth, int64_t{32} << 20) << "the process grew by " << (growth >> 20) << " MiB";
  EXPECT_EQ(s.http().stats().unauthorized, static_cast<uint64_t>(kClients));
  // Every such connection is closed after its answer.
  EXPECT_TRUE(WaitFor([&] { return s.http().stats().connections == 0; }));
  Client c(s.port());
  auto list = c.Do(http::verb::get, kPods, "", "secret-token");
  EXPECT_NE(list.body().find("\"items\":[]"), std::string::npos) << "nothing was written";
}

TEST(HttpLimits, AWatchThatNeverReadsIsEndedWhileAnotherGetsEveryEvent) {
  HttpServerOptions o;
  o.watch_send_buffer_bytes = 256 * 1024;
  Server s(o);
  const std::string watch = std::string(kPods) + "?watch=true";

  // The stalled watcher: a small receive buffer so that the kernel holds
  // little of what the server sends; it reads nothing until told.
  net::io_context io;
  beast::tcp_stream stalled(io);
  stalled.socket().open(tcp::v4());
  stalled.socket().set_option(net::socket_base::receive_buffer_size(4096));
  stalled.connect(Loopback(s.port()));
  http::request<http::empty_body> req(http::verb::get, watch, 11);
  req.set(http::field::host, "127.0.0.1");
  http::write(stalled, req);

  WatchReader reader(s.port(), watch);
  ASSERT_EQ(reader.code(), 200);
  ASSERT_TRUE(WaitFor([&] { return s.rest().WatchCount() == 2; }));

  // 10 KB pods until the stalled stream overflows (what goes into the
  // socket buffers first depends on the kernel), at most 30 MB of them. Each
  // create waits for the reading watcher to see it, so that however slowly
  // its thread is scheduled it is never the one left behind.
  const std::string note(10 * 1024, 'n');
  Client writer(s.port());
  int created = 0;
  while (s.http().stats().streams_overflowed == 0 && created < 3000) {
    ASSERT_EQ(writer.Do(http::verb::post, kPods, PodBody("p" + std::to_string(created), note))
                  .result_int(),
              201);
    ++created;
    ASSERT_TRUE(reader.WaitCount("ADDED", created)) << "the reading watcher fell behind";
  }
  ASSERT_EQ(s.http().stats().streams_overflowed, 1u) << created << " creates did not end it";

  // The stalled client reads at last: what the socket buffers held, in order,
  // then an ERROR event saying why and what to do, then the end of the stream.
  http::response_parser<http::string_body> p;
  p.body_limit(boost::none);
  beast::flat_buffer buf;
  beast::error_code ec;
  stalled.expires_after(std::chrono::seconds(30));
  bool done = false;
  http::async_read(stalled, buf, p, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  io.run();
  ASSERT_TRUE(done);
  EXPECT_FALSE(ec) << ec.message() << " (the stream was not ended with its last chunk)";
  std::vector<std::string> lines;
  {
    std::string_view rest = p.get().body();
    for (size_t nl; (nl = rest.find('\n')) != std::string_view::npos; rest.remove_prefix(nl + 1))
      lines.emplace_back(rest.substr(0, nl));
  }
  ASSERT_GE(lines.size(), 2u);
  auto last = boost::json::parse(lines.back()).as_object();
  EXPECT_EQ(last["type"], "ERROR");
  auto& status = last["object"].as_object();
  EXPECT_EQ(status["code"], 429);
  EXPECT_EQ(status["reason"], "TooManyRequests");
  EXPECT_NE(std::string(status["message"].as_string()).find("resourceVersion"), std::string::npos);
  EXPECT_EQ(status["details"].as_object()["retryAfterSeconds"], 1);
  // Before it, a prefix of the events: nothing skipped, so that watching
  // again from the last resourceVersion received loses nothing.
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    auto ev = boost::json::parse(lines[i]).as_object();
    ASSERT_EQ(ev["type"], "ADDED");
    ASSERT_EQ(ev["object"].at("metadata").at("name").as_string(), "p" + std::to_string(i));
  }

  // Its producer stopped (one watch left), and the other watcher, which
  // reads, gets every event, also after the overflow.
  EXPECT_TRUE(WaitFor([&] { return s.rest().WatchCount() == 1; }));
  for (int i = 0; i < 10; ++i, ++created) {
    ASSERT_EQ(writer.Do(http::verb::post, kPods, PodBody("p" + std::to_string(created), note))
                  .result_int(),
              201);
  }
  EXPECT_TRUE(reader.WaitCount("ADDED", created)) << reader.Count("ADDED") << " of " << created;
  EXPECT_EQ(reader.Count("ADDED"), created);
  EXPECT_EQ(reader.Count("ERROR"), 0);
  // What waited for clients never came near the megabytes the stalled client
  // left unread: its buffer (256 KiB), the event being written, and what
  // the reading watcher had waiting.
  EXPECT_LT(s.http().stats().stream_queued_peak, int64_t{1} << 20);
}

TEST(HttpLimits, InitialEventsOfAWatchWaitForTheirClient) {
  HttpServerOptions o;
  o.watch_send_buffer_bytes = 64 * 1024;
  Server s(o);
  const std::string note(10 * 1024, 'n');
  Client writer(s.port());
  constexpr int kCount = 300;  // 3 MB of initial events for a 64 KiB buffer
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(
        writer.Do(http::verb::post, kPods, PodBody("p" + std::to_string(i), note)).result_int(),
        201);
  }
  WatchReader reader(s.port(), std::string(kPods) + "?watch=true");
  ASSERT_EQ(reader.code(), 200);
  EXPECT_TRUE(reader.WaitCount("ADDED", kCount)) << reader.Count("ADDED") << " of " << kCount;
  EXPECT_EQ(reader.Count("ERROR"), 0);
  EXPECT_EQ(s.http().stats().streams_overflowed, 0u);
}

TEST(HttpLimits, ConnectionsPastTheCapAre429ButProbesAreServed) {
  HttpServerOptions o;
  o.max_connections = 2;
  Server s(o);
  auto a = std::make_unique<Client>(s.port());
  Client b(s.port());
  EXPECT_EQ(a->Do(http::verb::get, "/api/v1/namespaces").result_int(), 200);
  EXPECT_EQ(b.Do(http::verb::get, "/api/v1/namespaces").result_int(), 200);

  Client third(s.port());
  auto r = third.Do(http::verb::get, "/api/v1/namespaces");
  EXPECT_EQ(r.result_int(), 429);
  EXPECT_EQ(r[http::field::retry_after], "1");
  EXPECT_FALSE(r.keep_alive());
  auto st = StatusOf(r);
  EXPECT_EQ(st["reason"], "TooManyRequests");
  EXPECT_NE(std::string(st["message"].as_string()).find("--max-connections=2"), std::string::npos);
  Client probe(s.port());
  auto h = probe.Do(http::verb::get, "/healthz");
  EXPECT_EQ(h.result_int(), 200);
  EXPECT_EQ(h.body(), "ok");
  EXPECT_EQ(s.http().stats().rejected_connections, 1u);

  // A slot frees when a connection ends.
  a.reset();
  ASSERT_TRUE(WaitFor([&] { return s.http().stats().connections == 1; }));
  Client d(s.port());
  EXPECT_EQ(d.Do(http::verb::get, "/api/v1/namespaces").result_int(), 200);
}

// Holds requests to /hold until opened; ?watch=true streams one line and
// stays open until shutdown.
class GateHandler : public RequestHandler {
 public:
  Response Handle(const Request& r) override {
    Response resp;
    if (r.query.count("watch")) {
      resp.stream = [this](std::shared_ptr<StreamWriter> w) {
        w->Write("{}\n");
        std::lock_guard<std::mutex> lock(mu_);
        streams_.push_back(std::move(w));
      };
      return resp;
    }
    if (r.path == "/hold") {
      std::unique_lock<std::mutex> lock(mu_);
      ++held_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return open_; });
    }
    resp.body = "ok " + r.user;
    return resp;
  }
  void Shutdown() override {
    Open();
    std::vector<std::shared_ptr<StreamWriter>> streams;
    {
      std::lock_guard<std::mutex> lock(mu_);
      streams.swap(streams_);
    }
    for (auto& w : streams)
      w->Finish();
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitHeld(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return held_ == n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int held_ = 0;
  bool open_ = false;
  std::vector<std::shared_ptr<StreamWriter>> streams_;
};

TEST(HttpLimits, RequestsInFlightAreCappedPerClientAndInTotal) {
  auto auth = TokenAuthenticator::Parse("ta,alice,1\ntb,bob,2\ntc,carol,3\n", "tokens.csv");
  ASSERT_TRUE(auth.ok());
  GateHandler gate;
  HttpServerOptions o;
  o.port = 0;
  o.handler_threads = 8;
  o.auth = &*auth;
  o.max_requests_inflight = 3;
  o.max_requests_inflight_per_client = 2;
  o.max_watches_per_client = 1;
  HttpServer server(gate, o);
  ASSERT_TRUE(server.Start().ok());
  const uint16_t port = server.port();
  std::vector<std::thread> held;
  std::atomic<int> held_ok{0};
  auto hold = [&](const char* token) {
    held.emplace_back([&, token] {
      Client c(port);
      if (c.Do(http::verb::get, "/hold", "", token).result_int() == 200) ++held_ok;
    });
  };
  hold("ta");
  hold("ta");
  ASSERT_TRUE(gate.WaitHeld(2));

  // alice has two requests in flight: her third is refused, and the
  // connection (the request had no body) stays usable.
  Client alice(port);
  auto r = alice.Do(http::verb::get, "/x", "", "ta");
  EXPECT_EQ(r.result_int(), 429);
  EXPECT_EQ(r[http::field::retry_after], "1");
  EXPECT_NE(
      std::string(StatusOf(r)["message"].as_string()).find("--max-requests-inflight-per-client=2"),
      std::string::npos);
  EXPECT_TRUE(r.keep_alive());
  EXPECT_EQ(alice.Do(http::verb::get, "/healthz").result_int(), 200);
  // Another client is not held back by alice's cap.
  Client bob(port);
  auto rb = bob.Do(http::verb::get, "/x", "", "tb");
  EXPECT_EQ(rb.result_int(), 200);
  EXPECT_EQ(rb.body(), "ok bob");

  hold("tb");
  ASSERT_TRUE(gate.WaitHeld(3));
  // Three in flight in total: carol is refused too.
  Client carol(port);
  auto rc = carol.Do(http::verb::get, "/x", "", "tc");
  EXPECT_EQ(rc.result_int(), 429);
  EXPECT_NE(std::string(StatusOf(rc)["message"].as_string()).find("--max-requests-inflight=3"),
            std::string::npos);
  // Watches are not requests in flight: carol may open one while the server
  // is busy, but not two.
  WatchReader w1(port, "/w?watch=true", "tc");
  EXPECT_EQ(w1.code(), 200);
  WatchReader w2(port, "/w?watch=true", "tc");
  EXPECT_EQ(w2.code(), 429);
  EXPECT_EQ(server.stats().long_running, 1);

  gate.Open();
  for (auto& t : held)
    t.join();
  EXPECT_EQ(held_ok, 3);
  EXPECT_EQ(carol.Do(http::verb::get, "/x", "", "tc").result_int(), 200);
  EXPECT_EQ(server.stats().rejected_requests, 3u);
  // (A slot is given back once the answer is written.)
  EXPECT_TRUE(WaitFor([&] { return server.stats().requests_inflight == 0; }));
  server.Stop();
}

TEST(HttpLimits, OversizedHeaderIs431) {
  HttpServerOptions o;
  o.max_header_bytes = 4096;
  Server s(o);
  Client c(s.port());
  http::request<http::empty_body> req(http::verb::get, "/api/v1/namespaces", 11);
  req.set(http::field::host, "127.0.0.1");
  req.set("X-Padding", std::string(8192, 'p'));
  http::write(c.stream(), req);
  http::response<http::string_body> res;
  http::read(c.stream(), c.buffer(), res);
  EXPECT_EQ(res.result_int(), 431);
  EXPECT_EQ(StatusOf(res)["reason"], "RequestHeaderFieldsTooLarge");
  EXPECT_FALSE(res.keep_alive());
}

TEST(HttpLimits, ExpectContinueIsAnsweredOnceTheRequestIsAdmitted) {
  auto auth = TokenAuthenticator::Parse("tok,alice,1\n", "tokens.csv");
  ASSERT_TRUE(auth.ok());
  HttpServerOptions o;
  o.auth = &*auth;
  Server s(o);
  auto head = [](const std::string& token, size_t length) {
    return std::string("POST ") + kPods + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
           (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") +
           "Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: " +
           std::to_string(length) + "\r\n\r\n";
  };
  const std::string body = PodBody("a");
  {
    Client c(s.port());
    net::write(c.stream(), net::buffer(head("tok", body.size())));
    http::response<http::empty_body> cont;
    http::read(c.stream(), c.buffer(), cont);
    EXPECT_EQ(cont.result_int(), 100);
    net::write(c.stream(), net::buffer(body));
    http::response<http::string_body> res;
    http::read(c.stream(), c.buffer(), res);
    EXPECT_EQ(res.result_int(), 201) << res.body();
  }
  // Refused on its header: the final answer comes instead, and the client
  // need not send the body at all.
  Client c(s.port());
  net::write(c.stream(), net::buffer(head("", body.size())));
  http::response<http::string_body> res;
  http::read(c.stream(), c.buffer(), res);
  EXPECT_EQ(res.result_int(), 401);
}

// Sends `bytes` on a new connection and reads until the server closes it;
// true when it did within the deadline.
bool ServerCloses(uint16_t port, const std::string& bytes) {
  net::io_context io;
  beast::tcp_stream c(io);
  c.connect(Loopback(port));
  net::write(c, net::buffer(bytes));
  c.expires_after(std::chrono::seconds(30));
  std::array<char, 4096> buf;
  beast::error_code ec;
  bool closed = false;
  std::function<void()> read = [&] {
    c.async_read_some(net::buffer(buf), [&](beast::error_code e, size_t) {
      if (!e) return read();
      ec = e;
      closed = e != beast::error::timeout;
    });
  };
  read();
  io.run();
  return closed;
}

TEST(HttpLimits, SlowHeadersAndBodiesAreCutOff) {
  auto auth = TokenAuthenticator::Parse("tok,alice,1\n", "tokens.csv");
  ASSERT_TRUE(auth.ok());
  HttpServerOptions o;
  o.auth = &*auth;
  o.header_timeout = std::chrono::seconds(1);
  o.body_timeout = std::chrono::seconds(1);
  Server s(o);
  // Half a header, then nothing.
  EXPECT_TRUE(ServerCloses(s.port(), "GET /api/v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  // A header, and part of the body it announced.
  EXPECT_TRUE(ServerCloses(s.port(), std::string("POST ") + kPods +
                                         " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                                         "tok\r\nContent-Length: 100\r\n\r\n{\"kind\""));
  // A connection that never sends anything.
  EXPECT_TRUE(ServerCloses(s.port(), ""));
  EXPECT_TRUE(WaitFor([&] { return s.http().stats().connections == 0; }));
}

TEST(HttpLimits, AcceptLoopBacksOffWhenOutOfDescriptors) {
  Server s;
  net::io_context io;
  tcp::socket probe(io);
  probe.open(tcp::v4());  // made while descriptors are left
  int highest = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
    highest = std::max(highest, std::stoi(e.path().filename().string()));
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  struct rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(highest) + 8;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY)) >= 0;)
    fillers.push_back(fd);
  ASSERT_EQ(errno, EMFILE);

  // The kernel completes this connection; the server cannot accept it.
  probe.connect(Loopback(s.port()));
  ASSERT_TRUE(WaitFor([&] { return s.http().stats().accept_backoffs >= 2; }));
  // Let the loop run for a second: backing off it tries a handful of times
  // (50 ms doubling to 1 s); retrying at once it would try many thousands.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const uint64_t attempts = s.http().stats().accept_backoffs;
  EXPECT_LE(attempts, 40u);

  for (int fd : fillers)
    ::close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  // Descriptors are back: the waiting connection is accepted and served.
  const std::string get = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  net::write(probe, net::buffer(get));
  beast::tcp_stream stream(std::move(probe));
  stream.expires_after(std::chrono::seconds(30));
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  beast::error_code ec;
  http::async_read(stream, buf, res, [&](beast::error_code e, size_t) { ec = e; });
  io.run();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "ok");
}

class TlsServer {
 public:
  TlsServer() {
    dir_ = std::filesystem::temp_directory_path() /
           ("navarch-tls-limits-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto tls = EnsureServingCertificates(dir_.string(), {"127.0.0.1"},
                                         Time::FromUnixSeconds(std::time(nullptr)));
    EXPECT_TRUE(tls.ok()) << tls.status();
    ca_ = tls->ca_pem;
    HttpServerOptions o;
    o.cert_pem = tls->cert_pem;
    o.key_pem = tls->key_pem;
    server_ = std::make_unique<Server>(o);
  }
  ~TlsServer() {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  // The handshake of a client limited to `ciphers` (OpenSSL names) and to
  // TLS 1.2 unless `tls13`.
  beast::error_code Handshake(const char* ciphers, bool tls13 = false) {
    net::io_context io;
    ssl::context ctx(ssl::context::tls_client);
    ctx.add_certificate_authority(net::buffer(ca_));
    ctx.set_verify_mode(ssl::verify_peer);
    if (!tls13) SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    if (ciphers) {
      EXPECT_EQ(SSL_CTX_set_cipher_list(ctx.native_handle(), ciphers), 1);
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    beast::get_lowest_layer(stream).connect(Loopback(server_->port()));
    beast::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    if (!ec) {
      const char* got = SSL_get_cipher_name(stream.native_handle());
      last_cipher_ = got ? got : "";
    }
    return ec;
  }
  const std::string& last_cipher() const { return last_cipher_; }

 private:
  std::filesystem::path dir_;
  std::string ca_;
  std::unique_ptr<Server> server_;
  std::string last_cipher_;
};

TEST(HttpLimits, TlsTwelveOffersOnlyAeadSuites) {
  TlsServer s;
  // CBC with SHA-1 or SHA-384 MACs: refused.
  EXPECT_TRUE(s.Handshake("ECDHE-ECDSA-AES128-SHA")) << "a CBC-SHA1 suite was accepted";
  EXPECT_TRUE(s.Handshake("ECDHE-ECDSA-AES256-SHA")) << "a CBC-SHA1 suite was accepted";
  EXPECT_TRUE(s.Handshake("ECDHE-ECDSA-AES256-SHA384")) << "a CBC suite was accepted";
  // AEAD suites: accepted.
  EXPECT_FALSE(s.Handshake("ECDHE-ECDSA-AES128-GCM-SHA256"));
  EXPECT_EQ(s.last_cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_FALSE(s.Handshake("ECDHE-ECDSA-CHACHA20-POLY1305"));
  EXPECT_FALSE(s.Handshake(nullptr));  // what a default TLS 1.2 client offers
  EXPECT_FALSE(s.Handshake(nullptr, /*tls13=*/true));
}

TEST(HttpLimits, CipherSuitesAndVersionsAreChecked) {
  auto defaults = OpenSslCipherList({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->find("CBC"), std::string::npos);
  EXPECT_NE(defaults->find("ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos);
  auto one = OpenSslCipherList({"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, "ECDHE-RSA-CHACHA20-POLY1305");
  auto cbc = OpenSslCipherList({"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"});
  ASSERT_FALSE(cbc.ok());
  EXPECT_NE(cbc.status().message().find("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"), std::string::npos);
  EXPECT_NE(cbc.status().message().find("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
            std::string::npos);

  store::MemoryStore store;
  realtime::AsioClock clock;
  RestServer rest(store, clock, RestOptions());
  HttpServerOptions o;
  o.port = 0;
  o.cert_pem = "x";
  o.tls_cipher_suites = {"TLS_RSA_WITH_AES_128_GCM_SHA256"};
  EXPECT_EQ(HttpServer(rest, o).Start().code(), Code::kInvalidArgument);
  o.tls_cipher_suites.clear();
  o.tls_min_version = "VersionTLS11";
  EXPECT_EQ(HttpServer(rest, o).Start().code(), Code::kInvalidArgument);
  HttpServerOptions zero;
  zero.port = 0;
  zero.max_connections = 0;
  EXPECT_EQ(HttpServer(rest, zero).Start().code(), Code::kInvalidArgument);
}

TEST(HttpLimits, RequestLimiterCountsPerClientAndLongRunningApart) {
  RequestLimiter limiter({/*max_inflight=*/3, /*max_inflight_per_client=*/2,
                          /*max_long_running_per_client=*/1});
  RequestLimiter::Ticket a1, a2, a3, b1, c1, w1, w2;
  EXPECT_EQ(limiter.Admit("a", false, &a1), RequestLimiter::Verdict::kAdmitted);
  EXPECT_EQ(limiter.Admit("a", false, &a2), RequestLimiter::Verdict::kAdmitted);
  EXPECT_EQ(limiter.Admit("a", false, &a3), RequestLimiter::Verdict::kClientBusy);
  EXPECT_FALSE(a3.held());
  EXPECT_EQ(limiter.Admit("b", false, &b1), RequestLimiter::Verdict::kAdmitted);
  EXPECT_EQ(limiter.Admit("c", false, &c1), RequestLimiter::Verdict::kServerBusy);
  EXPECT_EQ(limiter.Admit("a", true, &w1), RequestLimiter::Verdict::kAdmitted);
  EXPECT_EQ(limiter.Admit("a", true, &w2), RequestLimiter::Verdict::kTooManyLongRunning);
  EXPECT_EQ(limiter.inflight(), 3);
  EXPECT_EQ(limiter.long_running(), 1);
  a1.Reset();
  EXPECT_EQ(limiter.Admit("c", false, &c1), RequestLimiter::Verdict::kAdmitted);
  RequestLimiter::Ticket moved = std::move(c1);
  EXPECT_FALSE(c1.held());
  moved.Reset();
  b1.Reset();
  a2.Reset();
  w1.Reset();
  EXPECT_EQ(limiter.inflight(), 0);
  EXPECT_EQ(limiter.long_running(), 0);
}

}  // namespace
}  // namespace navarch::apiserver
