#include "core/apiserver/http_server.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/apiserver/status_json.h"

namespace navarch::apiserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

// Buffered chunks beyond this end a stream (a client that does not read).
constexpr size_t kMaxQueuedBytes = 64 * 1024 * 1024;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

void ParseTarget(std::string_view target, Request& r) {
  const size_t q = target.find('?');
  r.path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view kv = query.substr(pos, amp - pos);
    if (!kv.empty()) {
      const size_t eq = kv.find('=');
      std::string key = PercentDecode(kv.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1), true);
      r.query.emplace(std::move(key), std::move(value));
    }
    pos = amp + 1;
  }
}

bool Anonymous(std::string_view path) {
  return path == "/healthz" || path == "/livez" || path == "/readyz" || path == "/version" ||
         path.starts_with("/healthz/") || path.starts_with("/livez/") ||
         path.starts_with("/readyz/");
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(RequestHandler& rest, HttpServerOptions options)
      : rest_(rest),
        options_(std::move(options)),
        acceptor_(io_),
        workers_(std::max(1, options_.handler_threads)) {}

  Status Start();
  void Stop();
  uint16_t port() const { return port_; }

  // Declared first so that they outlive the io_context and the pool, whose
  // destruction may destroy sessions (which unregister themselves).
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::atomic<int> in_flight_{0};
  bool stopped_ = false;
  // Every open connection's closer (for the final close at shutdown).
  std::map<uint64_t, std::function<void()>> closers_;  // guarded by mu_
  uint64_t next_conn_ = 1;                             // guarded by mu_

  RequestHandler& rest_;
  HttpServerOptions options_;
  net::io_context io_;
  std::optional<ssl::context> tls_;
  tcp::acceptor acceptor_;
  net::thread_pool workers_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};

  void Accept();
  uint64_t Register(std::function<void()> closer) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t id = next_conn_++;
    closers_[id] = std::move(closer);
    return id;
  }
  void Unregister(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    closers_.erase(id);
    if (closers_.empty()) idle_cv_.notify_all();
  }
  void RequestDone() {
    if (--in_flight_ == 0) {
      std::lock_guard<std::mutex> lock(mu_);
      idle_cv_.notify_all();
    }
  }
};

namespace {

template <class Stream>
class Session;

// The StreamWriter of one streamed response.
template <class Stream>
class ChunkWriter final : public StreamWriter {
 public:
  explicit ChunkWriter(std::weak_ptr<Session<Stream>> session) : session_(std::move(session)) {}

  bool Write(std::string chunk) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || finished_) return false;
    }
    auto s = session_.lock();
    if (!s) return false;
    s->QueueChunk(std::move(chunk));
    return true;
  }
  void Finish() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || finished_) return;
      finished_ = true;
    }
    if (auto s = session_.lock()) s->FinishStream();
  }
  void OnClosed(std::function<void()> fn) override {
    bool now = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) {
        now = true;
      } else {
        on_closed_ = std::move(fn);
      }
    }
    if (now && fn) fn();
  }
  // The connection went away (or the queue overflowed).
  void Closed() {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return;
      closed_ = true;
      if (!finished_) fn = std::move(on_closed_);
    }
    if (fn) fn();
  }

 private:
  std::weak_ptr<Session<Stream>> session_;
  std::mutex mu_;
  bool closed_ = false;
  bool finished_ = false;
  std::function<void()> on_closed_;
};

beast::tcp_stream& Lowest(beast::tcp_stream& s) {
  return s;
}
beast::tcp_stream& Lowest(beast::ssl_stream<beast::tcp_stream>& s) {
  return s.next_layer();
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl& server, Stream stream) : server_(server), stream_(std::move(stream)) {}

  void Run() {
    auto self = this->shared_from_this();
    std::weak_ptr<Session> weak = self;
    id_ = server_.Register([weak] {
      if (auto s = weak.lock()) {
        net::post(s->Lowest().get_executor(), [s] { s->Close(); });
      }
    });
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      Lowest().expires_after(std::chrono::seconds(30));
      stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->Close();
        self->Read();
      });
    } else {
      net::dispatch(Lowest().get_executor(), [self] { self->Read(); });
    }
  }

  ~Session() { server_.Unregister(id_); }

  beast::tcp_stream& Lowest() { return apiserver::Lowest(stream_); }

  void Read() {
    if (server_.stopping_) return Close();
    parser_.emplace();
    parser_->body_limit(server_.options_.max_body_bytes);
    parser_->header_limit(64 * 1024);
    Lowest().expires_after(server_.options_.idle_timeout);
    auto self = this->shared_from_this();
    http::async_read(stream_, buffer_, *parser_,
                     [self](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      Response r = StatusResponse(413, "RequestEntityTooLarge",
                                  "the request body is larger than the limit of " +
                                      std::to_string(server_.options_.max_body_bytes) + " bytes");
      keep_alive_ = false;
      return Send(std::move(r));
    }
    if (ec) return Close();
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    Request req;
    req.method = std::string(msg.method_string());
    ParseTarget(msg.target(), req);
    req.accept = std::string(msg[http::field::accept]);
    req.content_type = std::string(msg[http::field::content_type]);
    req.body = std::move(msg.body());
    if (server_.options_.auth && !Anonymous(req.path)) {
      std::string_view authz = msg[http::field::authorization];
      std::optional<TokenUser> user;
      if (authz.size() > 7 && (authz.starts_with("Bearer ") || authz.starts_with("bearer "))) {
        user = server_.options_.auth->Authenticate(authz.substr(7));
      }
      if (!user) {
        return Send(StatusResponse(401, "Unauthorized",
                                   authz.empty() ? "Unauthorized: no bearer token; send "
                                                   "Authorization: Bearer <token> (see the "
                                                   "kubeconfig the server wrote)"
                                                 : "Unauthorized: the bearer token is not valid"));
      }
      req.user = user->name;
    }
    ++server_.in_flight_;
    auto self = this->shared_from_this();
    net::post(server_.workers_, [self, req = std::move(req)]() mutable {
      Response resp = self->server_.rest_.Handle(req);
      net::post(self->Lowest().get_executor(), [self, resp = std::move(resp)]() mutable {
        self->Send(std::move(resp));
        self->server_.RequestDone();
      });
    });
  }

  void Send(Response r) {
    if (r.stream) return StartStream(std::move(r));
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.code), 11);
    res->set(http::field::server, "navarch");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers)
      res->insert(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_ && !server_.stopping_);
    res->prepare_payload();
    auto self = this->shared_from_this();
    Lowest().expires_after(std::chrono::seconds(60));
    http::async_write(stream_, *res, [self, res](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      if (!res->keep_alive()) return self->LingerClose();
      self->Read();
    });
  }

  // --- streaming ---

  void StartStream(Response r) {
    streaming_ = true;
    stream_header_ =
        std::make_unique<http::response<http::empty_body>>(static_cast<http::status>(r.code), 11);
    stream_header_->set(http::field::server, "navarch");
    stream_header_->set(http::field::content_type, r.content_type);
    stream_header_->set(http::field::cache_control, "no-cache, private");
    for (const auto& [k, v] : r.headers)
      stream_header_->insert(k, v);
    stream_header_->chunked(true);
    stream_header_->keep_alive(keep_alive_);
    serializer_ = std::make_unique<http::response_serializer<http::empty_body>>(*stream_header_);
    writer_ = std::make_shared<ChunkWriter<Stream>>(this->weak_from_this());
    Lowest().expires_never();
    writing_ = true;
    auto self = this->shared_from_this();
    http::async_write_header(stream_, *serializer_, [self](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) return self->Close();
      self->WatchPeer();
      self->WriteNext();
    });
    // The producer starts on a handler thread (it may list the store first).
    auto writer = writer_;
    ++server_.in_flight_;
    net::post(server_.workers_, [self, writer, fn = std::move(r.stream)] {
      fn(writer);
      self->server_.RequestDone();
    });
  }

  // A read while streaming only notices the peer going away.
  void WatchPeer() {
    auto self = this->shared_from_this();
    Lowest().async_read_some(net::buffer(peer_buf_), [self](beast::error_code ec, size_t) {
      if (!self->streaming_) return;
      if (ec) return self->Close();
      self->WatchPeer();
    });
  }

  void QueueChunk(std::string chunk) {
    auto self = this->shared_from_this();
    net::post(Lowest().get_executor(), [self, chunk = std::move(chunk)]() mutable {
      if (!self->streaming_ || chunk.empty()) return;
      self->queued_bytes_ += chunk.size();
      self->queue_.push_back(std::move(chunk));
      if (self->queued_bytes_ > kMaxQueuedBytes) return self->Close();
      self->WriteNext();
    });
  }

  void FinishStream() {
    auto self = this->shared_from_this();
    net::post(Lowest().get_executor(), [self] {
      if (!self->streaming_) return;
      self->finish_requested_ = true;
      self->WriteNext();
    });
  }

  void WriteNext() {
    if (writing_ || !streaming_) return;
    auto self = this->shared_from_this();
    if (!queue_.empty()) {
      writing_ = true;
      auto chunk = std::make_shared<std::string>(std::move(queue_.front()));
      queue_.pop_front();
      queued_bytes_ -= chunk->size();
      net::async_write(stream_, http::make_chunk(net::buffer(*chunk)),
                       [self, chunk](beast::error_code ec, size_t) {
                         self->writing_ = false;
                         if (ec) return self->Close();
                         self->WriteNext();
                       });
      return;
    }
    if (finish_requested_) {
      writing_ = true;
      net::async_write(stream_, http::make_chunk_last(), [self](beast::error_code ec, size_t) {
        self->writing_ = false;
        self->streaming_ = false;
        self->writer_.reset();
        // The peer read is still pending on the socket; a keep-alive
        // continuation would race it, so a finished stream ends the connection.
        if (ec) return self->Close();
        self->Close();
      });
    }
  }

  // Ends the connection after the response: stops sending, then discards
  // what the client still sends (an oversized body) until it closes, so that
  // it reads the response instead of a reset.
  void LingerClose() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    Lowest().expires_after(std::chrono::seconds(5));
    Drain();
  }
  void Drain() {
    auto self = this->shared_from_this();
    Lowest().async_read_some(net::buffer(peer_buf_), [self](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Drain();
    });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    streaming_ = false;
    if (writer_) {
      auto w = writer_;
      writer_.reset();
      w->Closed();
    }
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

 private:
  HttpServer::Impl& server_;
  Stream stream_;
  uint64_t id_ = 0;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool closed_ = false;
  // Streaming state (strand only).
  bool streaming_ = false;
  bool writing_ = false;
  bool finish_requested_ = false;
  std::unique_ptr<http::response<http::empty_body>> stream_header_;
  std::unique_ptr<http::response_serializer<http::empty_body>> serializer_;
  std::shared_ptr<ChunkWriter<Stream>> writer_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  std::array<char, 512> peer_buf_{};
};

}  // namespace

Status HttpServer::Impl::Start() {
  if (!options_.cert_pem.empty() || !options_.key_pem.empty()) {
    tls_.emplace(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls_->use_certificate_chain(net::buffer(options_.cert_pem), ec);
    if (ec) return InvalidArgument("the serving certificate is not valid PEM: " + ec.message());
    tls_->use_private_key(net::buffer(options_.key_pem), ssl::context::pem, ec);
    if (ec) return InvalidArgument("the serving key is not valid PEM: " + ec.message());
  }
  beast::error_code ec;
  auto addr = net::ip::make_address(options_.host, ec);
  if (ec) {
    return InvalidArgument("listen address \"" + options_.host + "\" is not an IP address");
  }
  const tcp::endpoint ep(addr, options_.port);
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + where + ": " + ec.message() +
                       " (is another server running there?)");
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { io_.run(); });
  }
  return Status::Ok();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor_.is_open() || stopping_) return;
      return Accept();
    }
    socket.set_option(tcp::no_delay(true), ec);
    if (tls_) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls_))
          ->Run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)))
          ->Run();
    }
    Accept();
  });
}

void HttpServer::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  net::post(io_, [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  rest_.Shutdown();  // ends watch streams
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait_for(lock, options_.drain_timeout, [this] { return in_flight_.load() == 0; });
  }
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, fn] : closers_)
      closers.push_back(fn);
  }
  for (auto& fn : closers)
    fn();
  // Let the closes and the producers' last writes run, then stop: the
  // closes are handlers on the I/O threads, and io_.stop() would drop them,
  // leaving the sockets open (a watcher would wait for ever). A session
  // unregisters when it is destroyed, after its socket is closed.
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_cv_.wait_for(lock, std::chrono::seconds(2),
                      [this] { return in_flight_.load() == 0 && closers_.empty(); });
  }
  io_.stop();
  for (auto& t : threads_)
    t.join();
  threads_.clear();
  workers_.join();
  // No thread runs the io_context any more: release the port now even if the
  // posted close above was discarded by stop().
  beast::error_code ec;
  acceptor_.close(ec);
}

HttpServer::HttpServer(RequestHandler& rest, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(rest, std::move(options))) {}
HttpServer::~HttpServer() {
  Stop();
}
Status HttpServer::Start() {
  return impl_->Start();
}
uint16_t HttpServer::port() const {
  return impl_->port();
}
void HttpServer::Stop() {
  if (impl_) impl_->Stop();
}

}  // namespace navarch::apiserver
