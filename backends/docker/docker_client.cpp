#include "backends/docker/docker_client.h"

#include <array>
#include <cctype>
#include <cstring>
#include <mutex>
#include <utility>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace navarch::docker {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using Local = asio::local::stream_protocol;
using SocketStream = beast::basic_stream<Local>;
using boost::system::error_code;

constexpr std::string_view kApiPrefix = "/v1.41";
constexpr uint64_t kMaxBody = 512ull << 20;

http::request<http::string_body> MakeRequest(Verb verb, const std::string& target,
                                             std::string body) {
  http::request<http::string_body> req{verb, std::string(kApiPrefix) + target, 11};
  req.set(http::field::host, "docker");
  req.set(http::field::connection, "close");
  req.set(http::field::user_agent, "navarch");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

std::string TargetPath(const std::string& target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

struct StreamCancel::State {
  std::mutex mu;
  bool cancelled = false;
  std::function<void()> closer;
};

StreamCancel::StreamCancel() : state_(std::make_shared<State>()) {}

void StreamCancel::Cancel() {
  std::function<void()> closer;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->cancelled = true;
    closer = state_->closer;
  }
  if (closer) closer();
}

bool StreamCancel::cancelled() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->cancelled;
}

std::string HttpResponse::Message() const {
  if (status >= 200 && status < 300) return "";
  error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* m = v.as_object().if_contains("message"); m && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.empty()) text = "HTTP status " + std::to_string(status);
  return text;
}

DockerClient::DockerClient(std::string socket_path)
    : socket_path_(std::move(socket_path)),
      work_(std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
          io_.get_executor())),
      thread_([this] { io_.run(); }) {}

DockerClient::~DockerClient() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

Status DockerClient::Unreachable(std::string_view what) const {
  return Unavailable("cannot reach dockerd at " + socket_path_ + ": " + std::string(what) +
                     "; is dockerd running? is " + socket_path_ + " readable?");
}

asio::awaitable<void> DockerClient::Sleep(Duration delay) {
  asio::steady_timer timer(io_);
  timer.expires_after(delay);
  error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<Result<HttpResponse>> DockerClient::Call(Verb verb, std::string target,
                                                         std::string body, Duration timeout) {
  SocketStream stream(io_);
  error_code ec;
  stream.expires_after(timeout);
  co_await stream.async_connect(Local::endpoint(socket_path_),
                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Unreachable(ec.message());
  auto req = MakeRequest(verb, target, std::move(body));
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Unreachable("sending " + TargetPath(target) + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBody);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    co_return Unavailable("dockerd at " + socket_path_ + " did not answer " + TargetPath(target) +
                          " within " + FormatDuration(timeout));
  }
  if (ec)
    co_return Unreachable("reading the answer to " + TargetPath(target) + ": " + ec.message());
  HttpResponse out;
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  co_return out;
}

asio::awaitable<Status> DockerClient::Stream(Verb verb, std::string target, std::string body,
                                             std::function<bool(std::string_view)> on_data,
                                             unsigned* status_out, std::string* error_body,
                                             StreamCancel cancel, Duration idle_timeout) {
  auto stream = std::make_shared<SocketStream>(io_);
  {
    std::lock_guard<std::mutex> lock(cancel.state_->mu);
    if (cancel.state_->cancelled) co_return Cancelled("the stream was cancelled");
    std::weak_ptr<SocketStream> weak = stream;
    cancel.state_->closer = [weak, this] {
      asio::post(io_, [weak] {
        if (auto s = weak.lock()) {
          error_code ignored;
          s->socket().shutdown(Local::socket::shutdown_both, ignored);
          s->cancel();
        }
      });
    };
  }
  struct ClearCloser {
    std::shared_ptr<StreamCancel::State> state;
    ~ClearCloser() {
      std::lock_guard<std::mutex> lock(state->mu);
      state->closer = nullptr;
    }
  } clear{cancel.state_};

  auto arm = [&] {
    if (idle_timeout.count() > 0) {
      stream->expires_after(idle_timeout);
    } else {
      stream->expires_never();
    }
  };
  error_code ec;
  stream->expires_after(seconds(30));
  co_await stream->async_connect(Local::endpoint(socket_path_),
                                 asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Unreachable(ec.message());
  auto req = MakeRequest(verb, target, std::move(body));
  co_await http::async_write(*stream, req, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Unreachable("sending " + TargetPath(target) + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  arm();
  co_await http::async_read_header(*stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (cancel.cancelled()) co_return Cancelled("the stream was cancelled");
  if (ec)
    co_return Unreachable("reading the answer to " + TargetPath(target) + ": " + ec.message());
  const unsigned status = parser.get().result_int();
  if (status_out) *status_out = status;
  const bool ok_status = status >= 200 && status < 300;
  std::array<char, 16384> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    arm();
    // read_some: deliver what has arrived (a followed log trickles).
    co_await http::async_read_some(*stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    const size_t n = chunk.size() - parser.get().body().size;
    if (n > 0) {
      std::string_view data(chunk.data(), n);
      if (!ok_status) {
        if (error_body) error_body->append(data);
      } else if (!on_data(data)) {
        co_return Status::Ok();
      }
    }
    if (cancel.cancelled()) co_return Cancelled("the stream was cancelled");
    if (ec == http::error::end_of_stream || ec == asio::error::eof) break;
    if (ec == beast::error::timeout) {
      co_return Unavailable("dockerd at " + socket_path_ + " sent nothing on " +
                            TargetPath(target) + " for " + FormatDuration(idle_timeout));
    }
    if (ec) co_return Unreachable("reading " + TargetPath(target) + ": " + ec.message());
  }
  co_return Status::Ok();
}

std::string UrlEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void StreamDemuxer::Feed(std::string_view chunk, std::string& out) {
  while (!chunk.empty()) {
    if (remaining_ > 0) {
      const size_t n = std::min(remaining_, chunk.size());
      out.append(chunk.substr(0, n));
      chunk.remove_prefix(n);
      remaining_ -= n;
      continue;
    }
    const size_t need = 8 - header_.size();
    const size_t n = std::min(need, chunk.size());
    header_.append(chunk.substr(0, n));
    chunk.remove_prefix(n);
    if (header_.size() == 8) {
      const auto* h = reinterpret_cast<const unsigned char*>(header_.data());
      remaining_ = (size_t{h[4]} << 24) | (size_t{h[5]} << 16) | (size_t{h[6]} << 8) | size_t{h[7]};
      header_.clear();
    }
  }
}

}  // namespace navarch::docker
