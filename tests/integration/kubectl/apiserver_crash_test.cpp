// kill -9 of `navarch apiserver` in the middle of a concurrent write load:
// after a restart every create the server acknowledged (201) is there.
// Repeated a few times, like the store's own crash test.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/kubectl/cluster_harness.h"

namespace navarch::testing {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Creates pods on one keep-alive connection until the server goes away;
// records the names acknowledged with 201.
void Writer(int port, int id, std::mutex& mu, std::set<std::string>& acked,
            std::atomic<bool>& stop) {
  net::io_context io;
  beast::tcp_stream s(io);
  beast::error_code ec;
  s.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return;
  beast::flat_buffer buf;
  for (int i = 0; !stop; ++i) {
    const std::string name = "w" + std::to_string(id) + "-" + std::to_string(i);
    http::request<http::string_body> req(http::verb::post, "/api/v1/namespaces/default/pods", 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
                 R"("},"spec":{"containers":[{"name":"c","image":"busybox"}]}})";
    req.prepare_payload();
    http::write(s, req, ec);
    if (ec) return;
    http::response<http::string_body> res;
    http::read(s, buf, res, ec);
    if (ec) return;
    if (res.result_int() == 201) {
      std::lock_guard<std::mutex> lock(mu);
      acked.insert(name);
    }
  }
}

TEST(ApiserverCrash, NoAcknowledgedWriteIsLostToKillMinus9) {
  TempDir dir("navarch-apiserver-crash");
  const int port = FreePort();
  auto start = [&](int n) {
    return std::make_unique<Process>(
        std::vector<std::string>{NavarchBinary(), "apiserver", "--store",
                                 "sqlite:" + dir / "state.db", "--listen",
                                 "127.0.0.1:" + std::to_string(port), "--data-dir", dir.path(),
                                 "--insecure-http", "--anonymous"},
        dir / ("apiserver-" + std::to_string(n)));
  };
  auto healthy = [&] {
    net::io_context io;
    beast::tcp_stream s(io);
    beast::error_code ec;
    s.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    return !ec;
  };
  std::set<std::string> acked;
  for (int round = 0; round < 3; ++round) {
    auto server = start(round);
    ASSERT_TRUE(Eventually([&] { return healthy(); })) << server->Stderr();
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::set<std::string> this_round;
    std::vector<std::thread> writers;
    for (int w = 0; w < 8; ++w) {
      writers.emplace_back(Writer, port, round * 100 + w, std::ref(mu), std::ref(this_round),
                           std::ref(stop));
    }
    ASSERT_TRUE(Eventually([&] {
      std::lock_guard<std::mutex> lock(mu);
      return this_round.size() >= 200;
    })) << server->Stderr();
    server->Signal(SIGKILL);
    server->Wait();
    stop = true;
    for (auto& t : writers)
      t.join();
    acked.insert(this_round.begin(), this_round.end());

    // Restart and check every acknowledged create.
    auto check = start(100 + round);
    ASSERT_TRUE(Eventually([&] { return healthy(); })) << check->Stderr();
    net::io_context io;
    beast::tcp_stream s(io);
    s.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    http::request<http::empty_body> req(http::verb::get, "/api/v1/namespaces/default/pods", 11);
    req.set(http::field::host, "127.0.0.1");
    http::write(s, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    http::read(s, buf, parser);
    const std::string& body = parser.get().body();
    size_t missing = 0;
    for (const auto& name : acked) {
      if (body.find("\"name\":\"" + name + "\"") == std::string::npos) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "round " << round << ": " << missing << " of " << acked.size()
                           << " acknowledged creates lost";
    check->Signal(SIGTERM);
    EXPECT_EQ(check->Wait(), 0) << check->Stderr();
  }
}

}  // namespace
}  // namespace navarch::testing
