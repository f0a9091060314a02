#include "core/apiserver/http_server.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "core/apiserver/http_limits.h"
#include "core/apiserver/status_json.h"

namespace navarch::apiserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

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

// ?watch=true / ?follow=true: a long-running request (kube-apiserver's
// notion), counted per client instead of against the in-flight caps.
bool QueryFlag(const Request& r, const char* key) {
  auto it = r.query.find(key);
  return it != r.query.end() && (it->second == "true" || it->second == "1");
}

bool OutOfDescriptors(const boost::system::error_code& ec) {
  return ec == net::error::no_descriptors || ec == net::error::no_buffer_space ||
         ec == net::error::no_memory ||
         ec == boost::system::errc::make_error_code(boost::system::errc::too_many_files_open) ||
         ec == boost::system::errc::make_error_code(
                   boost::system::errc::too_many_files_open_in_system);
}

// Set on a handler thread while it runs a stream's producer (the initial
// events of a watch): such a producer may wait for its client to read.
thread_local bool t_stream_producer = false;

// Read from a connection waiting for its next request: its first bytes.
constexpr size_t kFirstRead = 1024;
// A connection's read buffer larger than this is shrunk while it is idle.
constexpr size_t kIdleBufferBytes = 16 * 1024;
// Bytes of the request target quoted in logs.
constexpr size_t kLoggedTarget = 200;

}  // namespace

class HttpServer::Impl {
 public:
  Impl(RequestHandler& rest, HttpServerOptions options)
      : limiter_(RequestLimiter::Limits{options.max_requests_inflight,
                                        options.max_requests_inflight_per_client,
                                        options.max_watches_per_client}),
        budget_(std::make_shared<StreamBudget>(options.watch_send_buffer_total_bytes)),
        rest_(rest),
        options_(std::move(options)),
        acceptor_(net::make_strand(io_)),
        accept_timer_(acceptor_.get_executor()),
        workers_(std::max(1, options_.handler_threads)) {}

  Status Start();
  void Stop();
  uint16_t port() const { return port_; }
  HttpServerStats Stats() const;

  // Declared first so that they outlive the io_context and the pool, whose
  // destruction may destroy sessions (which unregister themselves and give
  // back their admission tickets).
  mutable std::mutex mu_;
  std::condition_variable idle_cv_;
  std::atomic<int> in_flight_{0};
  bool stopped_ = false;
  // Every open connection's closer (for the final close at shutdown).
  std::map<uint64_t, std::function<void()>> closers_;  // guarded by mu_
  uint64_t next_conn_ = 1;                             // guarded by mu_
  int normal_conns_ = 0;                               // within max_connections; guarded by mu_
  int spare_conns_ = 0;         // past it, only to be answered; guarded by mu_
  bool accept_paused_ = false;  // guarded by mu_
  RequestLimiter limiter_;
  std::shared_ptr<StreamBudget> budget_;
  std::atomic<uint64_t> unauthorized_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::atomic<uint64_t> rejected_requests_{0};
  std::atomic<uint64_t> streams_overflowed_{0};
  std::atomic<uint64_t> accept_backoffs_{0};

  RequestHandler& rest_;
  HttpServerOptions options_;
  net::io_context io_;
  std::optional<ssl::context> tls_;
  // The acceptor, the accept loop's back-off timer and delay are used on the
  // acceptor's strand only.
  tcp::acceptor acceptor_;
  net::steady_timer accept_timer_;
  std::chrono::milliseconds accept_delay_{0};
  net::thread_pool workers_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};

  void Accept();
  void BackOffAccept(const boost::system::error_code& ec);
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }
  // Registers a connection; true when it is past max_connections (a spare
  // one, only to be answered).
  bool Register(std::function<void()> closer, uint64_t* id) {
    std::lock_guard<std::mutex> lock(mu_);
    *id = next_conn_++;
    closers_[*id] = std::move(closer);
    const bool spare = normal_conns_ >= options_.max_connections;
    ++(spare ? spare_conns_ : normal_conns_);
    return spare;
  }
  void Unregister(uint64_t id, bool spare) {
    bool resume = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closers_.erase(id) == 0) return;
      --(spare ? spare_conns_ : normal_conns_);
      if (closers_.empty()) idle_cv_.notify_all();
      if (accept_paused_ && !stopping_ && !FullLocked()) {
        accept_paused_ = false;
        resume = true;
      }
    }
    if (resume) net::post(acceptor_.get_executor(), [this] { Accept(); });
  }
  // No room even for a spare connection: accepting waits.
  bool FullLocked() const {
    return normal_conns_ >= options_.max_connections && spare_conns_ >= kSpareConnections;
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

// A chunk waiting to be written; gives its bytes back to the stream's account
// when it is destroyed (written or dropped).
struct QueuedChunk {
  QueuedChunk(std::string d, std::shared_ptr<StreamAccount> a)
      : data(std::move(d)), size(data.size()), account(std::move(a)) {}
  QueuedChunk(QueuedChunk&& o) noexcept
      : data(std::move(o.data)), size(o.size), account(std::move(o.account)) {
    o.account.reset();
  }
  QueuedChunk& operator=(QueuedChunk&&) = delete;
  ~QueuedChunk() {
    if (account) account->Release(size);
  }
  std::string data;
  size_t size;
  std::shared_ptr<StreamAccount> account;  // null: not counted
};

// The StreamWriter of one streamed response.
template <class Stream>
class ChunkWriter final : public StreamWriter {
 public:
  ChunkWriter(std::weak_ptr<Session<Stream>> session, std::shared_ptr<StreamAccount> account)
      : session_(std::move(session)), account_(std::move(account)) {}

  bool Write(std::string chunk) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || finished_) return false;
    }
    if (chunk.empty()) return true;  // an empty chunk would end the body
    if (!account_->Reserve(chunk.size(), t_stream_producer)) {
      Overflow();  // unless the stream ended meanwhile
      return false;
    }
    QueuedChunk q(std::move(chunk), account_);
    auto s = session_.lock();
    if (!s) return false;
    s->QueueChunk(std::move(q));
    return true;
  }
  void Finish() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || finished_) return;
      finished_ = true;
    }
    account_->Cancel();  // a producer waiting in Write (shutdown) gives up
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
  // The connection went away.
  void Closed() {
    account_->Cancel();
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
  // The client does not read fast enough: the stream ends here (the
  // producer is told, as when the client disconnects).
  void Overflow() {
    account_->Cancel();
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || finished_) return;
      closed_ = true;
      fn = std::move(on_closed_);
    }
    if (auto s = session_.lock()) s->EndOverflowed();
    if (fn) fn();
  }

  std::weak_ptr<Session<Stream>> session_;
  const std::shared_ptr<StreamAccount> account_;
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

// One connection. Everything but the constructor, the ChunkWriter's calls
// into QueueChunk/FinishStream/EndOverflowed (which post) and the destructor
// runs on the connection's strand.
//
// A request goes: wait for its first byte (idle timeout; the first request
// of a connection skips this) → read the header (header timeout, header
// limit) → authenticate, admit (connection, in-flight and watch caps) →
// read the body (body timeout, body limit) → a handler thread → send.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl& server, Stream stream)
      : server_(server),
        stream_(std::move(stream)),
        buffer_(server.options_.max_header_bytes + 64 * 1024) {}

  void Run() {
    auto self = this->shared_from_this();
    std::weak_ptr<Session> weak = self;
    spare_ = server_.Register(
        [weak] {
          if (auto s = weak.lock()) {
            net::post(s->Lowest().get_executor(), [s] { s->Close(); });
          }
        },
        &id_);
    beast::error_code ec;
    const auto peer = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      peer_ip_ = peer.address().to_string();
      peer_ = peer_ip_ + ":" + std::to_string(peer.port());
    }
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      Lowest().expires_after(server_.options_.header_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->Close();
        self->ReadRequest();
      });
    } else {
      net::dispatch(Lowest().get_executor(), [self] { self->ReadRequest(); });
    }
  }

  ~Session() { server_.Unregister(id_, spare_); }

  beast::tcp_stream& Lowest() { return apiserver::Lowest(stream_); }

  // --- reading a request ---

  void ReadRequest() {
    if (server_.stopping_) return Close();
    if (first_request_ || buffer_.size() > 0) {
      first_request_ = false;
      return ReadHeader();
    }
    if (buffer_.capacity() > kIdleBufferBytes) buffer_.shrink_to_fit();
    Lowest().expires_after(server_.options_.idle_timeout);
    auto self = this->shared_from_this();
    stream_.async_read_some(buffer_.prepare(kFirstRead), [self](beast::error_code ec, size_t n) {
      if (ec) return self->Close();
      self->buffer_.commit(n);
      self->ReadHeader();
    });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.options_.max_header_bytes));
    parser_->body_limit(boost::none);  // checked once the sender is known
    Lowest().expires_after(server_.options_.header_timeout);
    auto self = this->shared_from_this();
    http::async_read_header(stream_, buffer_, *parser_,
                            [self](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    const auto& o = server_.options_;
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return Refuse(431, "RequestHeaderFieldsTooLarge",
                    "the request header is larger than the limit of " +
                        std::to_string(o.max_header_bytes) + " bytes");
    }
    if (ec) return Close();  // the peer left, sent garbage, or took too long
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    pending_ = Request{};
    pending_.method = std::string(msg.method_string());
    ParseTarget(msg.target(), pending_);
    pending_.accept = std::string(msg[http::field::accept]);
    pending_.content_type = std::string(msg[http::field::content_type]);
    target_ = std::string(msg.target().substr(0, kLoggedTarget));
    const bool anonymous = Anonymous(pending_.path);
    if (o.auth && !anonymous) {
      std::string_view authz = msg[http::field::authorization];
      std::optional<TokenUser> user;
      if (authz.size() > 7 && (authz.starts_with("Bearer ") || authz.starts_with("bearer "))) {
        user = o.auth->Authenticate(authz.substr(7));
      }
      if (!user) {
        ++server_.unauthorized_;
        // The body is not read: the connection is closed after the answer.
        return Refuse(401, "Unauthorized",
                      authz.empty() ? "Unauthorized: no bearer token; send "
                                      "Authorization: Bearer <token> (see the "
                                      "kubeconfig the server wrote)"
                                    : "Unauthorized: the bearer token is not valid");
      }
      pending_.user = user->name;
      pending_.groups = user->groups;
    }
    client_ = pending_.user.empty() ? peer_ip_ : pending_.user + "@" + peer_ip_;
    if (spare_) {
      if (!anonymous) {
        ++server_.rejected_connections_;
        return Refuse(429, "TooManyRequests",
                      "the server has too many open connections (--max-connections=" +
                          std::to_string(o.max_connections) + "); retry later",
                      1);
      }
      keep_alive_ = false;  // a probe is served, then the spare connection ends
    }
    if (const auto length = parser_->content_length(); length && *length > o.max_body_bytes) {
      return Refuse(413, "RequestEntityTooLarge",
                    "the request body is larger than the limit of " +
                        std::to_string(o.max_body_bytes) + " bytes");
    }
    is_watch_ = QueryFlag(pending_, "watch");
    const bool long_running = is_watch_ || QueryFlag(pending_, "follow");
    if (!anonymous) {
      switch (server_.limiter_.Admit(client_, long_running, &ticket_)) {
        case RequestLimiter::Verdict::kAdmitted:
          break;
        case RequestLimiter::Verdict::kServerBusy:
          ++server_.rejected_requests_;
          return Refuse(429, "TooManyRequests",
                        "too many requests in flight (--max-requests-inflight=" +
                            std::to_string(o.max_requests_inflight) + "); please try again later",
                        1, /*keep=*/true);
        case RequestLimiter::Verdict::kClientBusy:
          ++server_.rejected_requests_;
          return Refuse(429, "TooManyRequests",
                        "too many requests in flight from " + client_ +
                            " (--max-requests-inflight-per-client=" +
                            std::to_string(o.max_requests_inflight_per_client) +
                            "); please try again later",
                        1, /*keep=*/true);
        case RequestLimiter::Verdict::kTooManyLongRunning:
          ++server_.rejected_requests_;
          return Refuse(429, "TooManyRequests",
                        "too many watches open from " + client_ + " (--max-watches-per-client=" +
                            std::to_string(o.max_watches_per_client) +
                            "); close some or try again later",
                        1, /*keep=*/true);
      }
    }
    if (parser_->is_done()) return Dispatch();
    parser_->body_limit(o.max_body_bytes);  // a chunked body is counted as it comes
    Lowest().expires_after(o.body_timeout);
    if (beast::iequals(msg[http::field::expect], "100-continue")) {
      // The client waits for this before sending the body (curl does).
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      auto self = this->shared_from_this();
      http::async_write(stream_, *cont, [self, cont](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    auto self = this->shared_from_this();
    http::async_read(stream_, buffer_, *parser_,
                     [self](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      ticket_.Reset();
      return Refuse(413, "RequestEntityTooLarge",
                    "the request body is larger than the limit of " +
                        std::to_string(server_.options_.max_body_bytes) + " bytes");
    }
    if (ec) return Close();  // includes the body timeout (the socket is closed)
    pending_.body = std::move(parser_->get().body());
    Dispatch();
  }

  // Answers a request without serving it. `keep`: the connection may carry
  // on (only when the request had no body left to read).
  void Refuse(int code, std::string_view reason, const std::string& message, int retry_after = 0,
              bool keep = false) {
    StatusDetails details;
    details.retry_after_seconds = retry_after;
    Response r = StatusResponse(code, reason, message, details);
    if (retry_after > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after));
    keep_alive_ = keep_alive_ && keep && parser_ && parser_->is_done();
    Send(std::move(r));
  }

  void Dispatch() {
    parser_.reset();
    ++server_.in_flight_;
    auto self = this->shared_from_this();
    net::post(server_.workers_, [self, req = std::move(pending_)]() mutable {
      Response resp = self->server_.rest_.Handle(req);
      net::post(self->Lowest().get_executor(), [self, resp = std::move(resp)]() mutable {
        self->Send(std::move(resp));
        self->server_.RequestDone();
      });
    });
  }

  void Send(Response r) {
    if (closed_) return;
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
      self->ticket_.Reset();
      if (ec) return self->Close();
      if (!res->keep_alive()) return self->LingerClose();
      self->ReadRequest();
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
    account_ = std::make_shared<StreamAccount>(
        server_.budget_, server_.options_.watch_send_buffer_bytes, kStreamStall);
    writer_ = std::make_shared<ChunkWriter<Stream>>(this->weak_from_this(), account_);
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
      t_stream_producer = true;
      fn(writer);
      t_stream_producer = false;
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

  void QueueChunk(QueuedChunk chunk) {
    auto self = this->shared_from_this();
    net::post(Lowest().get_executor(), [self, chunk = std::move(chunk)]() mutable {
      if (!self->streaming_ || self->overflowed_) return;  // dropped (and released)
      self->queue_.push_back(std::move(chunk));
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

  // The stream went over its send buffer: drop what is queued, tell a
  // watcher why (an ERROR event), end the response and the connection.
  void EndOverflowed() {
    auto self = this->shared_from_this();
    net::post(Lowest().get_executor(), [self] { self->OnOverflow(); });
  }

  void OnOverflow() {
    if (!streaming_ || overflowed_) return;
    overflowed_ = true;
    ++server_.streams_overflowed_;
    const auto& o = server_.options_;
    const size_t queued = account_->queued();
    server_.Log(
        "stream " + target_ + " to " + (client_.empty() ? peer_ : client_) +
        " ended: the client did not read fast enough (" + std::to_string(queued) +
        " bytes waiting; --watch-send-buffer-bytes=" + std::to_string(o.watch_send_buffer_bytes) +
        ", --watch-send-buffer-total-bytes=" + std::to_string(o.watch_send_buffer_total_bytes) +
        ")");
    queue_.clear();
    if (is_watch_) {
      StatusDetails details;
      details.retry_after_seconds = 1;
      const std::string status = StatusJson(
          429, "TooManyRequests",
          "the watch was ended because the client did not read its events fast enough (more "
          "than " +
              std::to_string(o.watch_send_buffer_bytes) +
              " bytes were waiting for it); watch again from the last resourceVersion received",
          details);
      queue_.emplace_back("{\"type\":\"ERROR\",\"object\":" + status + "}\n", nullptr);
    }
    finish_requested_ = true;
    // A client that reads nothing at all never takes the last chunk.
    grace_timer_.emplace(Lowest().get_executor());
    grace_timer_->expires_after(kStreamStall);
    auto self = this->shared_from_this();
    grace_timer_->async_wait([self](beast::error_code ec) {
      if (!ec) self->Close();
    });
    WriteNext();
  }

  void WriteNext() {
    if (writing_ || !streaming_) return;
    auto self = this->shared_from_this();
    if (!queue_.empty()) {
      writing_ = true;
      auto chunk = std::make_shared<QueuedChunk>(std::move(queue_.front()));
      queue_.pop_front();
      net::async_write(stream_, http::make_chunk(net::buffer(chunk->data)),
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
        (void)ec;
        self->Close();
      });
    }
  }

  // Ends the connection after the response: stops sending, then discards
  // what the client still sends (the rest of a body) for a short while, so
  // that it reads the response instead of a reset; then closes. Nothing
  // read here is kept.
  void LingerClose() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    Lowest().expires_after(kLingerTime);
    linger_left_ = kLingerBytes;
    Drain();
  }
  void Drain() {
    auto self = this->shared_from_this();
    Lowest().async_read_some(net::buffer(peer_buf_), [self](beast::error_code ec, size_t n) {
      if (ec || n >= self->linger_left_) return self->Close();
      self->linger_left_ -= n;
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
    queue_.clear();
    if (grace_timer_) grace_timer_->cancel();
    ticket_.Reset();
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

 private:
  HttpServer::Impl& server_;
  Stream stream_;
  uint64_t id_ = 0;
  bool spare_ = false;  // past max_connections: answer one request, then close
  std::string peer_ip_;
  std::string peer_;
  beast::flat_buffer buffer_;  // bounded: a header, plus one read
  std::optional<http::request_parser<http::string_body>> parser_;
  bool first_request_ = true;
  bool keep_alive_ = true;
  bool closed_ = false;
  // The request being read.
  Request pending_;
  std::string target_;  // for logs
  std::string client_;  // "user@address", or "address"
  bool is_watch_ = false;
  RequestLimiter::Ticket ticket_;  // held from admission until the response is sent
  // Streaming state (strand only).
  bool streaming_ = false;
  bool writing_ = false;
  bool finish_requested_ = false;
  bool overflowed_ = false;
  std::unique_ptr<http::response<http::empty_body>> stream_header_;
  std::unique_ptr<http::response_serializer<http::empty_body>> serializer_;
  std::shared_ptr<StreamAccount> account_;
  std::shared_ptr<ChunkWriter<Stream>> writer_;
  std::deque<QueuedChunk> queue_;
  std::optional<net::steady_timer> grace_timer_;
  size_t linger_left_ = 0;
  std::array<char, 512> peer_buf_{};
};

int TlsVersion(const std::string& name) {
  if (name == "VersionTLS12") return TLS1_2_VERSION;
  if (name == "VersionTLS13") return TLS1_3_VERSION;
  return 0;
}

}  // namespace

Status HttpServer::Impl::Start() {
  const auto& o = options_;
  if (o.max_connections < 1 || o.max_requests_inflight < 1 ||
      o.max_requests_inflight_per_client < 1 || o.max_watches_per_client < 1) {
    return InvalidArgument(
        "the connection, in-flight and watch limits must be at least 1 (--max-connections, "
        "--max-requests-inflight, --max-requests-inflight-per-client, --max-watches-per-client)");
  }
  if (o.max_header_bytes < 1024 || o.max_body_bytes < 1 || o.watch_send_buffer_bytes < 1 ||
      o.watch_send_buffer_total_bytes < o.watch_send_buffer_bytes) {
    return InvalidArgument(
        "--max-header-bytes must be at least 1024, --max-body-bytes and "
        "--watch-send-buffer-bytes at least 1, and --watch-send-buffer-total-bytes at least "
        "--watch-send-buffer-bytes");
  }
  if (o.header_timeout.count() < 1 || o.body_timeout.count() < 1 || o.idle_timeout.count() < 1) {
    return InvalidArgument(
        "--request-header-timeout, --request-body-timeout and --idle-timeout must be at least 1s");
  }
  if (!options_.cert_pem.empty() || !options_.key_pem.empty()) {
    auto ciphers = OpenSslCipherList(options_.tls_cipher_suites);
    if (!ciphers.ok()) return ciphers.status();
    const int min_version = TlsVersion(options_.tls_min_version);
    if (min_version == 0) {
      return InvalidArgument("TLS minimum version \"" + options_.tls_min_version +
                             "\" is not supported: use VersionTLS12 or VersionTLS13");
    }
    tls_.emplace(ssl::context::tls_server);
    tls_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::no_compression);
    SSL_CTX* ctx = tls_->native_handle();
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
        SSL_CTX_set_cipher_list(ctx, ciphers->c_str()) != 1) {
      return InvalidArgument("the TLS library refused the cipher suites " + *ciphers);
    }
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
      if (OutOfDescriptors(ec)) return BackOffAccept(ec);
      return Accept();
    }
    accept_delay_ = std::chrono::milliseconds(0);
    socket.set_option(tcp::no_delay(true), ec);
    if (tls_) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          *this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls_))
          ->Run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(*this, beast::tcp_stream(std::move(socket)))
          ->Run();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (FullLocked()) {
        // Resumed by Unregister when a connection ends.
        accept_paused_ = true;
        return;
      }
    }
    Accept();
  });
}

// The listening socket stays readable while accept() fails for want of
// descriptors: retrying at once would spin. Wait, then try again; the
// pending connections stay queued in the kernel meanwhile.
void HttpServer::Impl::BackOffAccept(const boost::system::error_code& ec) {
  ++accept_backoffs_;
  const bool first = accept_delay_.count() == 0;
  accept_delay_ = first ? kAcceptBackoffMin : std::min(accept_delay_ * 2, kAcceptBackoffMax);
  if (first) {
    Log("accepting connections failed: " + ec.message() + "; pausing the accept loop (" +
        std::to_string(accept_delay_.count()) + " ms, doubling up to " +
        std::to_string(kAcceptBackoffMax.count()) +
        " ms); raise the open-file limit (ulimit -n) or lower --max-connections");
  }
  accept_timer_.expires_after(accept_delay_);
  accept_timer_.async_wait([this](const boost::system::error_code& e) {
    if (e || stopping_) return;
    Accept();
  });
}

HttpServerStats HttpServer::Impl::Stats() const {
  HttpServerStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.connections = static_cast<int64_t>(closers_.size());
  }
  s.requests_inflight = limiter_.inflight();
  s.long_running = limiter_.long_running();
  s.stream_queued_bytes = budget_->queued();
  s.stream_queued_peak = budget_->peak();
  s.unauthorized = unauthorized_;
  s.rejected_connections = rejected_connections_;
  s.rejected_requests = rejected_requests_;
  s.streams_overflowed = streams_overflowed_;
  s.accept_backoffs = accept_backoffs_;
  return s;
}

void HttpServer::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_ = true;
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_timer_.cancel();
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
HttpServerStats HttpServer::stats() const {
  return impl_->Stats();
}

}  // namespace navarch::apiserver
