#include "core/apiclient/http_api.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "core/api/codec.h"
#include "core/api/types.h"

namespace navarch::apiclient {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using client::WatchEvent;

namespace {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string prefix;  // path prefix without a trailing '/'
};

Result<Url> ParseUrl(const std::string& s) {
  Url u;
  std::string_view rest = s;
  if (rest.rfind("https://", 0) == 0) {
    u.tls = true;
    rest.remove_prefix(8);
  } else if (rest.rfind("http://", 0) == 0) {
    rest.remove_prefix(7);
  } else {
    return InvalidArgument("server \"" + s +
                           "\": must start with http:// or https:// (for example "
                           "https://127.0.0.1:6443)");
  }
  const size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos) u.prefix = std::string(rest.substr(slash));
  while (!u.prefix.empty() && u.prefix.back() == '/')
    u.prefix.pop_back();
  if (hostport.empty()) return InvalidArgument("server \"" + s + "\": no host");
  if (hostport.front() == '[') {  // [::1]:6443
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos)
      return InvalidArgument("server \"" + s + "\": bad IPv6 host");
    u.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size() && hostport[close + 1] == ':')
      u.port = std::string(hostport.substr(close + 2));
  } else {
    const size_t colon = hostport.rfind(':');
    u.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(hostport.substr(colon + 1));
  }
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  for (char c : u.port) {
    if (c < '0' || c > '9')
      return InvalidArgument("server \"" + s + "\": bad port \"" + u.port + "\"");
  }
  return u;
}

std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void AddParam(std::string& query, std::string_view key, std::string_view value) {
  query += query.empty() ? '?' : '&';
  query += key;
  query += '=';
  query += PercentEncode(value);
}

struct Response {
  unsigned status = 0;
  std::string body;
};

// The message of a v1 Status body plus its causes (or, with `causes`, the
// causes apart); the body itself when it is not a Status.
std::string StatusMessage(const std::string& body, unsigned code, std::string* reason,
                          std::vector<FieldCause>* out_causes = nullptr) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    std::string text = body.substr(0, 300);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
      text.pop_back();
    return text.empty() ? "HTTP " + std::to_string(code) : text;
  }
  const json::object& o = v.as_object();
  std::string msg;
  if (auto* m = o.if_contains("message"); m && m->is_string()) msg = std::string(m->as_string());
  if (auto* r = o.if_contains("reason"); r && r->is_string() && reason)
    *reason = std::string(r->as_string());
  if (msg.empty()) msg = "HTTP " + std::to_string(code);
  if (auto* d = o.if_contains("details"); d && d->is_object()) {
    if (auto* causes = d->as_object().if_contains("causes"); causes && causes->is_array()) {
      for (const auto& c : causes->as_array()) {
        if (!c.is_object()) continue;
        std::string field, cmsg;
        if (auto* f = c.as_object().if_contains("field"); f && f->is_string())
          field = std::string(f->as_string());
        if (auto* m = c.as_object().if_contains("message"); m && m->is_string())
          cmsg = std::string(m->as_string());
        if (out_causes) {
          out_causes->push_back({field, cmsg});
          continue;
        }
        std::string line = field.empty() ? cmsg : field + ": " + cmsg;
        if (!line.empty() && msg.find(line) == std::string::npos) msg += "\n  " + line;
      }
    }
  }
  return msg;
}

Status MapHttpError(unsigned code, const std::string& body, const std::string& server) {
  std::string reason;
  if (code == 422) {
    // A validation failure: the same Status, causes and all, as the
    // in-process Api returns.
    std::vector<FieldCause> causes;
    std::string msg = StatusMessage(body, code, &reason, &causes);
    if (causes.empty()) causes.push_back({"", msg});
    return Status(Code::kInvalidArgument, std::move(msg), std::move(causes));
  }
  std::string msg = StatusMessage(body, code, &reason);
  switch (code) {
    case 404:
      return NotFound(msg);
    case 409:
      return reason == "AlreadyExists" ? AlreadyExists(msg) : Conflict(msg);
    case 400:
    case 413:
    case 415:
      return InvalidArgument(msg);
    case 410:
      return Compacted(msg);
    case 401:
      return InvalidArgument("the API server at " + server + " rejected the credentials (401 " +
                             msg + "): check the bearer token in the kubeconfig");
    case 403:
      return Forbidden(msg);
    case 405:
      return NotSupported(msg);
    case 429:
    case 502:
    case 503:
    case 504:
      return Unavailable("the API server at " + server + " is unavailable (" +
                         std::to_string(code) + "): " + msg);
    default:
      if (code >= 500) return Internal("the API server at " + server + " failed: " + msg);
      return InvalidArgument("unexpected HTTP " + std::to_string(code) + " from " + server + ": " +
                             msg);
  }
}

Status NetError(const std::string& server, const std::string& stage,
                const boost::system::error_code& ec) {
  std::string hint;
  if (ec == asio::error::connection_refused) {
    hint = "check that the API server runs and listens there (--server / the kubeconfig's server)";
  } else if (ec == beast::error::timeout) {
    hint = "the server did not answer in time; check that it is healthy";
  } else if (ec.category() == asio::error::get_ssl_category() ||
             ec.category() == asio::ssl::error::get_stream_category()) {
    hint =
        "check the CA (certificate-authority-data in the kubeconfig) and the server's certificate";
  } else {
    hint = "check that the server is reachable";
  }
  return Unavailable("cannot reach the API server at " + server + " (" + stage + ": " +
                     ec.message() + "): " + hint);
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Adds kind/apiVersion when a list item lacks them (lists omit them).
Result<api::ObjectPtr> DecodeObject(json::value v, api::Kind kind) {
  if (!v.is_object())
    return Internal("the API server sent a non-object where an object was expected");
  json::object& o = v.as_object();
  const auto& info = api::InfoOf(kind);
  if (!o.contains("kind")) o["kind"] = info.name;
  if (!o.contains("apiVersion")) o["apiVersion"] = info.api_version;
  api::DecodeOptions opts;
  opts.strict = false;
  opts.source = std::string(info.resource);
  auto obj = api::DecodeJsonValue(v, opts);
  if (!obj.ok())
    return Internal("the API server sent an object that does not decode: " +
                    obj.status().message());
  if ((*obj)->kind() != kind) {
    return Internal("the API server sent a " + std::string(api::InfoOf((*obj)->kind()).name) +
                    " where a " + std::string(info.name) + " was expected");
  }
  return obj;
}

Result<api::ObjectPtr> DecodeBody(const std::string& body, api::Kind kind) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return Internal("the API server sent a body that is not JSON: " + ec.message());
  return DecodeObject(std::move(v), kind);
}

class Conn {
 public:
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

}  // namespace

HttpApiOptions OptionsFromConfig(const ClientConfig& config) {
  HttpApiOptions o;
  o.server = config.server;
  o.ca_pem = config.ca_pem;
  o.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  o.tls_server_name = config.tls_server_name;
  o.bearer_token = config.bearer_token;
  return o;
}

// ---------------------------------------------------------------------------

struct WatchState {
  WatchState(runtime::Clock& c, api::Kind k) : clock(c), kind(k) {}
  runtime::Clock& clock;
  api::Kind kind;
  std::atomic<bool> stopped{false};
  // I/O thread only.
  std::string path;
  std::string query;  // selectors, without resourceVersion
  std::string rv;
  beast::tcp_stream* tcp = nullptr;
  asio::steady_timer* timer = nullptr;
  std::shared_ptr<std::promise<Status>> started;
  // Loop thread only.
  client::WatchHandler handler;
  bool ended = false;
  std::map<std::string, api::ObjectPtr> seen;

  void Deliver(WatchEvent::Type type, api::ObjectPtr obj, Status error) {
    if (stopped.load() || ended) return;
    WatchEvent ev;
    ev.type = type;
    if (type == WatchEvent::Type::kError) {
      ended = true;
      ev.error = std::move(error);
      handler(ev);
      return;
    }
    std::string key = obj->metadata.namespace_ + "/" + obj->metadata.name;
    auto it = seen.find(key);
    if (it != seen.end()) ev.previous = it->second;
    if (type == WatchEvent::Type::kDeleted) {
      if (it != seen.end()) seen.erase(it);
    } else if (it != seen.end()) {
      it->second = obj;
    } else {
      seen.emplace(std::move(key), obj);
    }
    ev.object = std::move(obj);
    handler(ev);
  }
};

class HttpApi::Impl {
 public:
  Impl(runtime::Clock& clock, HttpApiOptions options, Url url)
      : clock_(clock),
        opts_(std::move(options)),
        url_(std::move(url)),
        work_(asio::make_work_guard(io_)),
        ssl_(ssl::context::tls_client) {}

  ~Impl() {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  Status Init() {
    if (url_.tls) {
      boost::system::error_code ec;
      if (!opts_.ca_pem.empty()) {
        ssl_.add_certificate_authority(asio::buffer(opts_.ca_pem), ec);
        if (ec) {
          return InvalidArgument("the CA certificate for " + opts_.server +
                                 " is not valid PEM: " + ec.message());
        }
      } else {
        ssl_.set_default_verify_paths(ec);
      }
      ssl_.set_verify_mode(opts_.insecure_skip_tls_verify ? ssl::verify_none : ssl::verify_peer);
    }
    thread_ = std::thread([this] { io_.run(); });
    return Status::Ok();
  }

  const std::string& server() const { return opts_.server; }

  std::string Path(api::Kind kind, std::string_view ns, std::string_view name = {},
                   std::string_view sub = {}) const {
    const auto& info = api::InfoOf(kind);
    std::string p = url_.prefix + "/api/v1";
    if (info.namespaced && !ns.empty()) {
      p += "/namespaces/";
      p += PercentEncode(ns);
    }
    p += '/';
    p += info.resource;
    if (!name.empty()) {
      p += '/';
      p += PercentEncode(name);
    }
    if (!sub.empty()) {
      p += '/';
      p += sub;
    }
    return p;
  }

  // Synchronous request from any thread but the I/O thread.
  Result<Response> Call(http::verb verb, std::string target, std::string body, bool idempotent) {
    auto promise = std::make_shared<std::promise<Result<Response>>>();
    auto future = promise->get_future();
    asio::co_spawn(
        io_,
        [this, verb, target = std::move(target), body = std::move(body), idempotent,
         promise]() mutable -> asio::awaitable<void> {
          Result<Response> r =
              co_await WithRetries(verb, std::move(target), std::move(body), idempotent);
          promise->set_value(std::move(r));
        },
        asio::detached);
    return future.get();
  }

  asio::awaitable<Result<Response>> WithRetries(http::verb verb, std::string target,
                                                std::string body, bool idempotent) {
    Duration backoff = opts_.retry_backoff_initial;
    const int attempts = idempotent ? std::max(1, opts_.read_attempts) : 1;
    for (int i = 1;; ++i) {
      Result<Response> r = co_await Exchange(verb, target, body);
      const bool retryable =
          !r.ok() || r->status == 429 || r->status == 502 || r->status == 503 || r->status == 504;
      if (!retryable || i >= attempts) co_return r;
      asio::steady_timer timer(io_);
      timer.expires_after(backoff);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      backoff = std::min<Duration>(backoff * 2, opts_.retry_backoff_max);
    }
  }

  http::request<http::string_body> MakeRequest(http::verb verb, const std::string& target,
                                               std::string body) const {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, url_.host + ":" + url_.port);
    req.set(http::field::user_agent, opts_.user_agent);
    req.set(http::field::accept, "application/json");
    if (!opts_.bearer_token.empty())
      req.set(http::field::authorization, "Bearer " + opts_.bearer_token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }

  // Opens a connection (TLS handshake included). Throws system_error.
  asio::awaitable<std::unique_ptr<Conn>> Connect(std::string* stage) {
    *stage = "resolve";
    tcp::resolver resolver(io_);
    auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, asio::use_awaitable);
    auto conn = std::make_unique<Conn>();
    if (url_.tls) {
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, ssl_);
      const std::string& name = opts_.tls_server_name.empty() ? url_.host : opts_.tls_server_name;
      SSL* native = conn->tls->native_handle();
      if (!IsIpLiteral(name)) SSL_set_tlsext_host_name(native, name.c_str());
      if (!opts_.insecure_skip_tls_verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(native);
        if (IsIpLiteral(name)) {
          X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
        } else {
          X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
        }
      }
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(io_);
    }
    *stage = "connect";
    conn->tcp().expires_after(opts_.connect_timeout);
    co_await conn->tcp().async_connect(endpoints, asio::use_awaitable);
    conn->tcp().socket().set_option(tcp::no_delay(true));
    if (conn->tls) {
      *stage = "TLS handshake";
      co_await conn->tls->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    }
    connections_opened_.fetch_add(1);
    co_return conn;
  }

  template <class Stream>
  static asio::awaitable<void> WriteRead(Stream& s, beast::flat_buffer& buf,
                                         http::request<http::string_body>& req,
                                         http::response_parser<http::string_body>& parser) {
    co_await http::async_write(s, req, asio::use_awaitable);
    co_await http::async_read(s, buf, parser, asio::use_awaitable);
  }

  // One request; a reused connection found closed is replaced once.
  asio::awaitable<Result<Response>> Exchange(http::verb verb, const std::string& target,
                                             const std::string& body) {
    requests_.fetch_add(1);
    for (int attempt = 0;; ++attempt) {
      std::unique_ptr<Conn> conn;
      bool reused = false;
      std::string stage = "connect";
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
        reused = true;
      }
      http::response_parser<http::string_body> parser;
      parser.body_limit(opts_.max_body_bytes);
      boost::system::error_code error;
      try {
        if (!conn) conn = co_await Connect(&stage);
        stage = "request";
        auto req = MakeRequest(verb, target, body);
        conn->tcp().expires_after(opts_.request_timeout);
        if (conn->tls) {
          co_await WriteRead(*conn->tls, conn->buffer, req, parser);
        } else {
          co_await WriteRead(*conn->plain, conn->buffer, req, parser);
        }
      } catch (const boost::system::system_error& e) {
        error = e.code();
      }
      if (error) {
        if (reused && attempt == 0 && !parser.is_header_done()) continue;  // stale keep-alive
        co_return NetError(opts_.server,
                           std::string(http::to_string(verb)) + " " + target + ": " + stage, error);
      }
      Response r;
      r.status = parser.get().result_int();
      const bool keep = parser.get().keep_alive();
      r.body = std::move(parser.get().body());
      if (keep && static_cast<int>(idle_.size()) < opts_.max_idle_connections) {
        conn->tcp().expires_never();
        idle_.push_back(std::move(conn));
      }
      co_return r;
    }
  }

  // --- Watches --------------------------------------------------------------

  void PostEvent(const std::shared_ptr<WatchState>& st, WatchEvent::Type type, api::ObjectPtr obj,
                 Status error = {}) {
    clock_.Post([st, type, obj = std::move(obj), error = std::move(error)]() mutable {
      st->Deliver(type, std::move(obj), std::move(error));
    });
  }

  void SignalStarted(const std::shared_ptr<WatchState>& st, Status s) {
    if (st->started) {
      st->started->set_value(std::move(s));
      st->started.reset();
    }
  }

  // Ends the watch with a kError (or reports it to Watch() if it never started).
  void EndWatch(const std::shared_ptr<WatchState>& st, Status error) {
    if (st->started) {
      SignalStarted(st, std::move(error));
      return;
    }
    PostEvent(st, WatchEvent::Type::kError, nullptr, std::move(error));
  }

  // Handles one line of the stream. Returns false when the watch must end.
  bool HandleLine(const std::shared_ptr<WatchState>& st, std::string_view line) {
    json::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec || !v.is_object()) {
      throw boost::system::system_error(asio::error::invalid_argument);  // resume
    }
    auto& o = v.as_object();
    auto* type = o.if_contains("type");
    auto* object = o.if_contains("object");
    if (!type || !type->is_string() || !object || !object->is_object()) {
      throw boost::system::system_error(asio::error::invalid_argument);
    }
    const std::string_view t = type->as_string();
    if (t == "ERROR") {
      unsigned code = 500;
      if (auto* c = object->as_object().if_contains("code"); c && c->is_int64())
        code = static_cast<unsigned>(c->as_int64());
      Status s = MapHttpError(code, json::serialize(*object), opts_.server);
      if (s.code() == Code::kUnavailable || s.code() == Code::kInternal) {
        throw boost::system::system_error(asio::error::try_again);  // transient: resume
      }
      EndWatch(st, std::move(s));
      return false;
    }
    if (t == "BOOKMARK") {
      if (auto* md = object->as_object().if_contains("metadata"); md && md->is_object()) {
        if (auto* rv = md->as_object().if_contains("resourceVersion"); rv && rv->is_string())
          st->rv = std::string(rv->as_string());
      }
      return true;
    }
    WatchEvent::Type et;
    if (t == "ADDED") {
      et = WatchEvent::Type::kAdded;
    } else if (t == "MODIFIED") {
      et = WatchEvent::Type::kModified;
    } else if (t == "DELETED") {
      et = WatchEvent::Type::kDeleted;
    } else {
      return true;  // an event type this client does not know: skip it
    }
    auto obj = DecodeObject(std::move(*object), st->kind);
    if (!obj.ok()) {
      EndWatch(st, obj.status());
      return false;
    }
    if (!(*obj)->metadata.resource_version.empty()) st->rv = (*obj)->metadata.resource_version;
    PostEvent(st, et, std::move(*obj));
    return true;
  }

  template <class Stream>
  asio::awaitable<bool> StreamEvents(const std::shared_ptr<WatchState>& st, Stream& s, Conn& conn,
                                     http::request<http::string_body>& req, bool* got_200) {
    co_await http::async_write(s, req, asio::use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    co_await http::async_read_header(s, conn.buffer, parser, asio::use_awaitable);
    const unsigned code = parser.get().result_int();
    if (code != 200) {
      co_await http::async_read(s, conn.buffer, parser, asio::use_awaitable);
      Status err = MapHttpError(code, parser.get().body(), opts_.server);
      if (err.code() == Code::kUnavailable || err.code() == Code::kInternal) {
        throw boost::system::system_error(asio::error::try_again);
      }
      EndWatch(st, std::move(err));
      co_return false;
    }
    *got_200 = true;
    SignalStarted(st, Status::Ok());
    std::string& body = parser.get().body();
    size_t scanned = 0;
    while (!st->stopped.load()) {
      // Complete lines first (some may have arrived with the header).
      size_t start = 0;
      for (;;) {
        const size_t nl = body.find('\n', scanned);
        if (nl == std::string::npos) break;
        std::string_view line(body.data() + start, nl - start);
        if (!line.empty() && !HandleLine(st, line)) co_return false;
        start = scanned = nl + 1;
      }
      if (start > 0) {
        body.erase(0, start);
        scanned -= start;
      }
      scanned = body.size();
      if (parser.is_done()) co_return true;  // the server ended the stream: resume
      conn.tcp().expires_after(opts_.watch_timeout + seconds(60));
      co_await http::async_read_some(s, conn.buffer, parser, asio::use_awaitable);
    }
    co_return false;
  }

  asio::awaitable<void> RunWatch(std::shared_ptr<WatchState> st) {
    Duration backoff = opts_.watch_backoff_initial;
    bool first = true;
    while (!st->stopped.load()) {
      std::string query = st->query;
      AddParam(query, "watch", "true");
      AddParam(query, "allowWatchBookmarks", "true");
      AddParam(query, "resourceVersion", st->rv);
      AddParam(query, "timeoutSeconds",
               std::to_string(std::chrono::duration_cast<seconds>(opts_.watch_timeout).count()));
      auto req = MakeRequest(http::verb::get, st->path + query, "");
      std::unique_ptr<Conn> conn;
      std::string stage = "connect";
      boost::system::error_code error;
      bool got_200 = false;
      bool resume = false;
      try {
        watch_connects_.fetch_add(1);
        if (!first) watch_resumes_.fetch_add(1);
        conn = co_await Connect(&stage);
        stage = "watch";
        st->tcp = &conn->tcp();
        conn->tcp().expires_after(opts_.request_timeout);
        if (conn->tls) {
          resume = co_await StreamEvents(st, *conn->tls, *conn, req, &got_200);
        } else {
          resume = co_await StreamEvents(st, *conn->plain, *conn, req, &got_200);
        }
      } catch (const boost::system::system_error& e) {
        error = e.code();
        resume = true;
      }
      st->tcp = nullptr;
      first = false;
      if (st->stopped.load() || !resume) break;
      if (error && st->started) {
        // The first connection failed: Watch() reports it.
        SignalStarted(st, NetError(opts_.server, "watch " + st->path + ": " + stage, error));
        break;
      }
      if (got_200) backoff = opts_.watch_backoff_initial;
      if (!error) continue;  // a clean end of stream: resume at once
      asio::steady_timer timer(io_);
      st->timer = &timer;
      timer.expires_after(backoff);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      st->timer = nullptr;
      backoff = std::min<Duration>(backoff * 2, opts_.watch_backoff_max);
    }
    SignalStarted(st, Cancelled("watch stopped"));
  }

  void StartWatch(std::shared_ptr<WatchState> st) {
    asio::co_spawn(io_, RunWatch(std::move(st)), asio::detached);
  }

  void CancelWatch(std::shared_ptr<WatchState> st) {
    asio::post(io_, [st] {
      if (st->tcp) st->tcp->cancel();
      if (st->timer) st->timer->cancel();
    });
  }

  runtime::Clock& clock_;
  HttpApiOptions opts_;
  Url url_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  ssl::context ssl_;
  std::thread thread_;
  std::vector<std::unique_ptr<Conn>> idle_;  // I/O thread only
  std::atomic<uint64_t> connections_opened_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> watch_connects_{0};
  std::atomic<uint64_t> watch_resumes_{0};
};

namespace {

class HttpWatchHandle final : public client::WatchHandle {
 public:
  HttpWatchHandle(std::weak_ptr<HttpApi::Impl> impl, std::shared_ptr<WatchState> st)
      : impl_(std::move(impl)), st_(std::move(st)) {}
  ~HttpWatchHandle() override { Stop(); }
  void Stop() override {
    if (!st_ || st_->stopped.exchange(true)) return;
    if (auto impl = impl_.lock()) impl->CancelWatch(st_);
  }

 private:
  std::weak_ptr<HttpApi::Impl> impl_;
  std::shared_ptr<WatchState> st_;
};

// Never delivers anything (a watch with the selector that selects nothing).
class EmptyWatchHandle final : public client::WatchHandle {
 public:
  void Stop() override {}
};

}  // namespace

// ---------------------------------------------------------------------------

Result<std::unique_ptr<HttpApi>> HttpApi::Open(runtime::Clock& clock, HttpApiOptions options) {
  NAVARCH_ASSIGN_OR_RETURN(Url url, ParseUrl(options.server));
  if (!url.tls && !options.ca_pem.empty()) {
    // A CA for a plain-HTTP server is harmless; nothing to check.
  }
  auto impl = std::make_unique<Impl>(clock, std::move(options), std::move(url));
  NAVARCH_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpApi>(new HttpApi(std::move(impl)));
}

HttpApi::HttpApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpApi::~HttpApi() = default;

const std::string& HttpApi::server() const {
  return impl_->server();
}

HttpApi::Stats HttpApi::stats() const {
  Stats s;
  s.connections_opened = impl_->connections_opened_.load();
  s.requests = impl_->requests_.load();
  s.watch_connects = impl_->watch_connects_.load();
  s.watch_resumes = impl_->watch_resumes_.load();
  return s;
}

namespace {

Result<api::ObjectPtr> ObjectResponse(Result<Response> r, api::Kind kind, const std::string& server,
                                      std::initializer_list<unsigned> ok_codes) {
  if (!r.ok()) return r.status();
  for (unsigned c : ok_codes) {
    if (r->status == c) return DecodeBody(r->body, kind);
  }
  return MapHttpError(r->status, r->body, server);
}

}  // namespace

Result<api::ObjectPtr> HttpApi::Create(api::ObjectPtr obj, const client::WriteOptions& options) {
  if (!obj) return InvalidArgument("Create: no object given");
  const auto& info = api::InfoOf(obj->kind());
  std::string ns = obj->metadata.namespace_;
  if (info.namespaced && ns.empty()) ns = "default";
  std::string body = api::EncodeJson(*obj);
  if (info.namespaced && obj->metadata.namespace_.empty()) {
    auto copy = obj->Clone();
    copy->metadata.namespace_ = ns;
    body = api::EncodeJson(*copy);
  }
  return ObjectResponse(
      impl_->Call(http::verb::post,
                  impl_->Path(obj->kind(), ns) + (options.dry_run ? "?dryRun=All" : ""),
                  std::move(body), false),
      obj->kind(), impl_->server(), {200, 201, 202});
}

Result<api::ObjectPtr> HttpApi::Get(api::Kind kind, std::string_view ns, std::string_view name) {
  if (name.empty())
    return InvalidArgument("Get " + std::string(api::InfoOf(kind).resource) + ": empty name");
  return ObjectResponse(impl_->Call(http::verb::get, impl_->Path(kind, ns, name), "", true), kind,
                        impl_->server(), {200});
}

Result<client::ObjectList> HttpApi::List(api::Kind kind, const client::ListOptions& options) {
  client::ObjectList out;
  if (options.label_selector.IsNothing()) {
    // Nothing to match; still report the current revision.
    client::ListOptions one = options;
    one.label_selector = api::LabelSelector();
    one.limit = 1;
    NAVARCH_ASSIGN_OR_RETURN(client::ObjectList any, List(kind, one));
    out.resource_version = any.resource_version;
    return out;
  }
  NAVARCH_RETURN_IF_ERROR(options.field_selector.CheckKind(kind));
  std::string query;
  if (!options.label_selector.Empty())
    AddParam(query, "labelSelector", options.label_selector.ToString());
  if (!options.field_selector.Empty())
    AddParam(query, "fieldSelector", options.field_selector.ToString());
  if (options.limit > 0) AddParam(query, "limit", std::to_string(options.limit));
  if (!options.continue_token.empty()) AddParam(query, "continue", options.continue_token);
  if (!options.resource_version.empty() && options.continue_token.empty()) {
    AddParam(query, "resourceVersion", options.resource_version);
    if (options.resource_version != "0") AddParam(query, "resourceVersionMatch", "Exact");
  }
  const auto& info = api::InfoOf(kind);
  auto r =
      impl_->Call(http::verb::get,
                  impl_->Path(kind, info.namespaced ? options.namespace_ : "") + query, "", true);
  if (!r.ok()) return r.status();
  if (r->status != 200) return MapHttpError(r->status, r->body, impl_->server());
  json::error_code ec;
  json::value v = json::parse(r->body, ec);
  if (ec || !v.is_object()) return Internal("the API server sent a list that is not a JSON object");
  json::object& o = v.as_object();
  if (auto* md = o.if_contains("metadata"); md && md->is_object()) {
    if (auto* rv = md->as_object().if_contains("resourceVersion"); rv && rv->is_string())
      out.resource_version = std::string(rv->as_string());
    if (auto* c = md->as_object().if_contains("continue"); c && c->is_string())
      out.continue_token = std::string(c->as_string());
  }
  if (auto* items = o.if_contains("items"); items && items->is_array()) {
    out.items.reserve(items->as_array().size());
    for (auto& item : items->as_array()) {
      NAVARCH_ASSIGN_OR_RETURN(api::ObjectPtr obj, DecodeObject(std::move(item), kind));
      out.items.push_back(std::move(obj));
    }
  }
  return out;
}

Result<api::ObjectPtr> HttpApi::Update(api::ObjectPtr obj, const client::WriteOptions& options) {
  if (!obj) return InvalidArgument("Update: no object given");
  return ObjectResponse(
      impl_->Call(http::verb::put,
                  impl_->Path(obj->kind(), obj->metadata.namespace_, obj->metadata.name) +
                      (options.dry_run ? "?dryRun=All" : ""),
                  api::EncodeJson(*obj), false),
      obj->kind(), impl_->server(), {200, 201});
}

Result<api::ObjectPtr> HttpApi::UpdateStatus(api::ObjectPtr obj,
                                             const client::WriteOptions& options) {
  if (!obj) return InvalidArgument("UpdateStatus: no object given");
  return ObjectResponse(
      impl_->Call(http::verb::put,
                  impl_->Path(obj->kind(), obj->metadata.namespace_, obj->metadata.name, "status") +
                      (options.dry_run ? "?dryRun=All" : ""),
                  api::EncodeJson(*obj), false),
      obj->kind(), impl_->server(), {200, 201});
}

Result<api::ObjectPtr> HttpApi::Bind(api::ObjectPtr pod, std::string_view node,
                                     const client::WriteOptions& options) {
  if (!pod || pod->kind() != api::Kind::kPod) return InvalidArgument("Bind: not a pod");
  json::object body;
  body["kind"] = "Binding";
  body["apiVersion"] = "v1";
  json::object md;
  md["name"] = pod->metadata.name;
  md["namespace"] = pod->metadata.namespace_;
  if (!pod->metadata.uid.empty()) md["uid"] = pod->metadata.uid;
  body["metadata"] = std::move(md);
  body["target"] = json::object{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}};
  auto r = impl_->Call(
      http::verb::post,
      impl_->Path(api::Kind::kPod, pod->metadata.namespace_, pod->metadata.name, "binding") +
          (options.dry_run ? "?dryRun=All" : ""),
      json::serialize(body), false);
  if (!r.ok()) return r.status();
  if (r->status != 200 && r->status != 201) {
    return MapHttpError(r->status, r->body, impl_->server());
  }
  // The server answers a Status: the bound pod is the one given, on `node`.
  auto bound = std::make_shared<api::Pod>(static_cast<const api::Pod&>(*pod));
  bound->spec.Mutable().node_name = std::string(node);
  bound->metadata.resource_version.clear();
  return api::ObjectPtr(std::move(bound));
}

Result<api::ObjectPtr> HttpApi::Delete(api::Kind kind, std::string_view ns, std::string_view name,
                                       const client::DeleteOptions& options) {
  if (name.empty())
    return InvalidArgument("Delete " + std::string(api::InfoOf(kind).resource) + ": empty name");
  json::object body;
  body["kind"] = "DeleteOptions";
  body["apiVersion"] = "v1";
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.dry_run) body["dryRun"] = json::array{"All"};
  if (!options.uid.empty() || !options.resource_version.empty()) {
    json::object pre;
    if (!options.uid.empty()) pre["uid"] = options.uid;
    if (!options.resource_version.empty()) pre["resourceVersion"] = options.resource_version;
    body["preconditions"] = std::move(pre);
  }
  auto r =
      impl_->Call(http::verb::delete_, impl_->Path(kind, ns, name), json::serialize(body), false);
  if (!r.ok()) return r.status();
  if (r->status != 200 && r->status != 202)
    return MapHttpError(r->status, r->body, impl_->server());
  json::error_code ec;
  json::value v = json::parse(r->body, ec);
  if (ec || !v.is_object())
    return Internal("the API server answered a delete with a body that is not JSON");
  if (auto* k = v.as_object().if_contains("kind");
      k && k->is_string() && k->as_string() == "Status") {
    // Some servers answer a completed delete with a Status: return the
    // object's identity (its last state is not known).
    json::object stub;
    stub["kind"] = api::InfoOf(kind).name;
    stub["apiVersion"] = "v1";
    json::object md;
    md["name"] = name;
    if (api::InfoOf(kind).namespaced) md["namespace"] = ns;
    stub["metadata"] = std::move(md);
    return DecodeObject(std::move(stub), kind);
  }
  return DecodeObject(std::move(v), kind);
}

Result<std::unique_ptr<client::WatchHandle>> HttpApi::Watch(api::Kind kind,
                                                            const client::WatchOptions& options,
                                                            client::WatchHandler handler) {
  if (!handler) return InvalidArgument("Watch: no handler given");
  if (options.label_selector.IsNothing())
    return std::unique_ptr<client::WatchHandle>(new EmptyWatchHandle());
  NAVARCH_RETURN_IF_ERROR(options.field_selector.CheckKind(kind));
  if (options.node_name && kind != api::Kind::kPod) {
    return InvalidArgument("Watch " + std::string(api::InfoOf(kind).resource) +
                           ": node_name applies to pods only");
  }
  auto st = std::make_shared<WatchState>(impl_->clock_, kind);
  st->handler = std::move(handler);
  const auto& info = api::InfoOf(kind);
  st->path = impl_->Path(kind, info.namespaced ? options.namespace_ : "");
  if (!options.label_selector.Empty())
    AddParam(st->query, "labelSelector", options.label_selector.ToString());
  std::string fields;
  if (options.node_name) fields = "spec.nodeName=" + *options.node_name;
  if (!options.field_selector.Empty()) {
    if (!fields.empty()) fields += ',';
    fields += options.field_selector.ToString();
  }
  if (!fields.empty()) AddParam(st->query, "fieldSelector", fields);
  st->rv = options.resource_version;
  if (st->rv.empty() || st->rv == "0") {
    client::ListOptions lo;
    lo.limit = 1;
    NAVARCH_ASSIGN_OR_RETURN(client::ObjectList now, List(kind, lo));
    st->rv = now.resource_version;
  }
  st->started = std::make_shared<std::promise<Status>>();
  auto started = st->started->get_future();
  impl_->StartWatch(st);
  Status s = started.get();
  if (!s.ok()) {
    st->stopped = true;
    return s;
  }
  return std::unique_ptr<client::WatchHandle>(new HttpWatchHandle(impl_, st));
}

Result<std::string> HttpApi::GetRaw(const std::string& path_and_query) {
  auto r = impl_->Call(http::verb::get, impl_->url_.prefix + path_and_query, "", true);
  if (!r.ok()) return r.status();
  if (r->status < 200 || r->status >= 300) return MapHttpError(r->status, r->body, impl_->server());
  return std::move(r->body);
}

}  // namespace navarch::apiclient
