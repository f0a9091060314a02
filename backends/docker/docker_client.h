#pragma once
// DockerClient: the Docker Engine API (v1.41) over a unix socket.
//
// One Boost.Asio io_context, run by one I/O thread the client owns. Every
// call is a C++20 coroutine (asio::awaitable) that runs on that thread: open a
// connection to the socket, send one HTTP/1.1 request (Connection: close),
// read the response. No connection is shared, so any number of calls may be
// in flight; a call that blocks in dockerd (stop, wait, exec, logs -f,
// events) holds only its own connection.
//
// Errors: a socket that cannot be reached is kUnavailable with a message that
// says where dockerd was looked for ("cannot reach dockerd at
// /var/run/docker.sock: No such file or directory; is dockerd running? is the
// socket readable?"); a call that exceeds its timeout is kUnavailable too.
// HTTP error statuses are returned as a Response (the caller maps them, using
// Message() for the daemon's {"message": ...}).
//
// Thread safety: Spawn() may be called from any thread; coroutines run only on
// the I/O thread. The destructor stops the I/O thread and abandons every call
// in flight (their continuations never run).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/verb.hpp>

#include "core/base/status.h"
#include "core/base/time.h"

// Coroutine forms of NAVARCH_ASSIGN_OR_RETURN / NAVARCH_RETURN_IF_ERROR (co_return).
#define NAVARCH_ASSIGN_OR_RETURN_CO(decl, expr) \
  NAVARCH_ASSIGN_OR_RETURN_CO_IMPL(NAVARCH_CONCAT(_co_res_, __LINE__), decl, expr)
#define NAVARCH_ASSIGN_OR_RETURN_CO_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                                      \
  if (!tmp.ok()) co_return tmp.status();                  \
  decl = std::move(tmp).value()
#define NAVARCH_RETURN_IF_ERROR_CO(expr)                                                      \
  do {                                                                                        \
    ::navarch::Status NAVARCH_CONCAT(_co_st_, __LINE__) = (expr);                             \
    if (!NAVARCH_CONCAT(_co_st_, __LINE__).ok()) co_return NAVARCH_CONCAT(_co_st_, __LINE__); \
  } while (0)

namespace navarch::docker {

namespace asio = boost::asio;
using Verb = boost::beast::http::verb;

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  // The daemon's error message ({"message": "..."}), or the body when it is
  // not JSON; "" for success statuses.
  std::string Message() const;
};

// Lets another thread stop a streaming call: Cancel() closes its connection
// (the stream then ends with kCancelled).
class StreamCancel {
 public:
  StreamCancel();
  void Cancel();
  bool cancelled() const;

 private:
  friend class DockerClient;
  struct State;
  std::shared_ptr<State> state_;
};

class DockerClient {
 public:
  // `socket_path`: the daemon's unix socket ("/var/run/docker.sock").
  explicit DockerClient(std::string socket_path);
  ~DockerClient();
  DockerClient(const DockerClient&) = delete;
  DockerClient& operator=(const DockerClient&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  asio::io_context& io() { return io_; }

  // One request; `target` is the path after the API prefix ("/containers/json?all=1").
  // `body` is sent as application/json when not empty.
  asio::awaitable<Result<HttpResponse>> Call(Verb verb, std::string target, std::string body = {},
                                             Duration timeout = seconds(30));

  // A streaming request: `on_data` receives the body as it arrives (chunked
  // encoding and raw streams alike) and returns false to stop reading. Ends
  // ok at the end of the body; the HTTP status is returned through
  // `status_out` (a non-2xx body is collected into `error_body` instead of
  // being streamed). `idle_timeout` 0 means none.
  asio::awaitable<Status> Stream(Verb verb, std::string target, std::string body,
                                 std::function<bool(std::string_view)> on_data,
                                 unsigned* status_out, std::string* error_body, StreamCancel cancel,
                                 Duration idle_timeout = Duration(0));

  // Waits `delay` on the I/O thread.
  asio::awaitable<void> Sleep(Duration delay);

  // Runs `coro` on the I/O thread; `done` receives its result there (an
  // escaped exception becomes kInternal). T is a Result<...> or Status.
  template <class T, class F>
  void Spawn(asio::awaitable<T> coro, F done) {
    asio::co_spawn(io_, RunThenCall<T, F>(std::move(coro), std::move(done)), asio::detached);
  }

  // "cannot reach dockerd at <socket>: <what>; is dockerd running? ..."
  Status Unreachable(std::string_view what) const;

 private:
  template <class T, class F>
  static asio::awaitable<void> RunThenCall(asio::awaitable<T> coro, F done) {
    std::optional<T> out;
    std::string error;
    try {
      out.emplace(co_await std::move(coro));
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (out) {
      done(std::move(*out));
    } else {
      done(T(Internal("docker client: unexpected exception: " + error)));
    }
  }

  const std::string socket_path_;
  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
};

// Percent-encodes a query value.
std::string UrlEncode(std::string_view in);

// Splits Docker's multiplexed stdout/stderr stream (8-byte frame headers:
// stream type, 3 zero bytes, big-endian payload size) into the payload bytes,
// across arbitrary chunk boundaries.
class StreamDemuxer {
 public:
  // Appends the payload contained in `chunk` to `out`.
  void Feed(std::string_view chunk, std::string& out);

 private:
  std::string header_;
  size_t remaining_ = 0;  // payload bytes left in the current frame
};

}  // namespace navarch::docker
