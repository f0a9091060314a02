#include "tests/unit/apiclient/test_http_server.h"

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>

namespace navarch::apiclient::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string PercentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

// Writes chunks straight to the socket (under a mutex).
class SocketStream final : public apiserver::StreamWriter {
 public:
  explicit SocketStream(std::shared_ptr<tcp::socket> s) : socket_(std::move(s)) {}
  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return false;
    boost::system::error_code ec;
    asio::write(*socket_, http::make_chunk(asio::buffer(chunk)), ec);
    if (ec) CloseLocked();
    return !done_;
  }
  void Finish() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_) return;
    boost::system::error_code ec;
    asio::write(*socket_, http::make_chunk_last(), ec);
    CloseLocked();
  }
  void OnClosed(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (done_) {
      lock.unlock();
      fn();
      return;
    }
    on_closed_ = std::move(fn);
  }
  // The connection went away (read side saw EOF or the test dropped it).
  void PeerGone() {
    std::lock_guard<std::mutex> lock(mu_);
    CloseLocked();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }

 private:
  void CloseLocked() {
    if (done_) return;
    done_ = true;
    if (on_closed_) {
      auto fn = std::move(on_closed_);
      fn();
    }
    cv_.notify_all();
  }
  std::shared_ptr<tcp::socket> socket_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::function<void()> on_closed_;
};

}  // namespace

TestHttpServer::TestHttpServer(apiserver::RestServer& rest, int port)
    : rest_(rest), acceptor_(io_) {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

TestHttpServer::~TestHttpServer() {
  Stop();
}

void TestHttpServer::SetOverride(Override fn) {
  std::lock_guard<std::mutex> lock(mu_);
  override_ = std::move(fn);
}

void TestHttpServer::AcceptLoop() {
  while (!stopping_.load()) {
    auto socket = std::make_shared<tcp::socket>(io_);
    boost::system::error_code ec;
    acceptor_.accept(*socket, ec);
    if (ec || stopping_.load()) break;
    accepted_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    open_.insert(socket);
    threads_.emplace_back([this, socket] { Serve(socket); });
  }
}

void TestHttpServer::Serve(std::shared_ptr<tcp::socket> socket) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(*socket, buffer, req, ec);
    if (ec) break;
    requests_.fetch_add(1);
    apiserver::Request r;
    r.method = std::string(req.method_string());
    std::string target(req.target());
    const size_t q = target.find('?');
    r.path = PercentDecode(target.substr(0, q));
    if (q != std::string::npos) {
      std::string_view rest = std::string_view(target).substr(q + 1);
      while (!rest.empty()) {
        const size_t amp = rest.find('&');
        std::string_view kv = rest.substr(0, amp);
        const size_t eq = kv.find('=');
        r.query[PercentDecode(kv.substr(0, eq))] =
            eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
      }
    }
    r.accept = std::string(req[http::field::accept]);
    r.content_type = std::string(req[http::field::content_type]);
    r.body = std::move(req.body());
    Override fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn = override_;
    }
    std::optional<apiserver::Response> injected;
    if (fn) injected = fn(r);
    apiserver::Response resp = injected ? std::move(*injected) : rest_.Handle(r);
    if (resp.stream) {
      http::response<http::empty_body> head{static_cast<http::status>(resp.code), 11};
      head.set(http::field::content_type, resp.content_type);
      head.chunked(true);
      http::response_serializer<http::empty_body> sr{head};
      http::write_header(*socket, sr, ec);
      if (ec) break;
      auto stream = std::make_shared<SocketStream>(socket);
      resp.stream(stream);
      // Notice the peer going away: a read returns once the socket closes.
      std::thread watcher([socket, stream] {
        char byte;
        boost::system::error_code rec;
        socket->read_some(asio::buffer(&byte, 1), rec);
        stream->PeerGone();
      });
      stream->Wait();
      boost::system::error_code ignored;
      socket->shutdown(tcp::socket::shutdown_both, ignored);
      watcher.join();
      break;
    }
    http::response<http::string_body> out{static_cast<http::status>(resp.code), 11};
    out.set(http::field::content_type, resp.content_type);
    for (auto& [k, v] : resp.headers)
      out.set(k, v);
    out.body() = std::move(resp.body);
    out.keep_alive(req.keep_alive());
    out.prepare_payload();
    http::write(*socket, out, ec);
    if (ec || !req.keep_alive()) break;
  }
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
  std::lock_guard<std::mutex> lock(mu_);
  open_.erase(socket);
}

void TestHttpServer::DropConnections() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : open_) {
    boost::system::error_code ignored;
    s->shutdown(tcp::socket::shutdown_both, ignored);
  }
}

void TestHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  boost::system::error_code ignored;
  // Unblock accept() with a connection of our own.
  {
    tcp::socket poke(io_);
    poke.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)),
        ignored);
  }
  if (accept_thread_.joinable()) accept_thread_.join();
  acceptor_.close(ignored);
  DropConnections();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    threads.swap(threads_);
  }
  for (auto& t : threads)
    t.join();
}

Status HttpApiHarness::StartHarness() {
  server_clock_.Start();
  rest_ = std::make_unique<apiserver::RestServer>(store_, server_clock_, apiserver::RestOptions{});
  NAVARCH_RETURN_IF_ERROR(rest_->Start());
  http_ = std::make_unique<TestHttpServer>(*rest_);
  clock_.Start();
  HttpApiOptions o;
  o.server = http_->url();
  o.watch_backoff_initial = std::chrono::milliseconds(20);
  o.retry_backoff_initial = std::chrono::milliseconds(10);
  NAVARCH_ASSIGN_OR_RETURN(api_, HttpApi::Open(clock_, o));
  return Status::Ok();
}

void HttpApiHarness::StopHarness() {
  // Watch handles are released on the loop by the tests; stop the loops.
  clock_.Stop();
  api_.reset();
  http_.reset();
  if (rest_) rest_->Shutdown();
  server_clock_.Stop();
}

}  // namespace navarch::apiclient::testing
