#include "core/apiserver/kubelet_logs.h"

#include <array>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "core/apiserver/rest_internal.h"
#include "core/apiserver/status_json.h"

namespace navarch::apiserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::chrono::seconds kConnectTimeout{10};
constexpr std::chrono::seconds kReadTimeout{30};
constexpr size_t kMaxErrorBody = 64 * 1024;

// Every byte outside RFC 3986's unreserved set as %XX.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Code CodeOfHttp(unsigned code) {
  switch (code) {
    case 400:
      return Code::kInvalidArgument;
    case 404:
      return Code::kNotFound;
    case 503:
      return Code::kUnavailable;
    default:
      return Code::kInternal;
  }
}

// The message of a Status body, or the body itself.
std::string MessageOf(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* m = v.as_object().if_contains("message"); m && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return body;
}

}  // namespace

Result<std::string> LogContainerId(const api::Pod& pod, const LogSource::Options& options) {
  const std::string name = "pods/" + pod.metadata.namespace_ + "/" + pod.metadata.name;
  std::string container = options.container;
  if (container.empty()) {
    if (pod.spec->containers.empty()) return InvalidArgument(name + " has no containers");
    container = pod.spec->containers.front().name;
  }
  // The id and the field it came from, "" when the container has none.
  struct Found {
    std::string id;
    std::string field;
  };
  auto find_in = [&](const std::vector<api::ContainerStatus>& statuses,
                     const char* list) -> Result<Found> {
    for (size_t i = 0; i < statuses.size(); ++i) {
      const auto& cs = statuses[i];
      if (cs.name != container) continue;
      const std::string field = std::string("status.") + list + "[" + std::to_string(i) + "]";
      if (options.previous) {
        if (!cs.last_state.terminated || cs.last_state.terminated->container_id.empty()) {
          return InvalidArgument("previous terminated container \"" + container + "\" in " + name +
                                 " not found");
        }
        return Found{cs.last_state.terminated->container_id,
                     field + ".lastState.terminated.containerID"};
      }
      return Found{cs.container_id, field + ".containerID"};
    }
    return Found{};
  };
  NAVARCH_ASSIGN_OR_RETURN(Found found,
                           find_in(pod.status.container_statuses, "containerStatuses"));
  if (found.id.empty()) {
    NAVARCH_ASSIGN_OR_RETURN(found,
                             find_in(pod.status.init_container_statuses, "initContainerStatuses"));
  }
  if (!found.id.empty()) {
    // The id is stored data any writer of the pod's status could have set:
    // it must follow the grammar before it names anything.
    NAVARCH_RETURN_IF_ERROR(ValidateContainerId(found.id, name + ": " + found.field));
    return found.id;
  }
  bool known = false;
  for (const auto& c : pod.spec->containers)
    known = known || c.name == container;
  for (const auto& c : pod.spec->init_containers)
    known = known || c.name == container;
  if (!known) return InvalidArgument("container \"" + container + "\" is not in " + name);
  return InvalidArgument("container \"" + container + "\" in " + name +
                         " is waiting to start: no logs yet");
}

Result<std::string> KubeletLogTarget(std::string_view container_id, const LogSource::Options& o) {
  NAVARCH_RETURN_IF_ERROR(ValidateContainerId(container_id, "containerID"));
  std::string target = "/containerLogs/" + PercentEncode(container_id);
  char sep = '?';
  auto add = [&](std::string_view key, std::string_view value) {
    target += sep;
    target += key;
    target += '=';
    target += value;
    sep = '&';
  };
  if (o.tail_lines) add("tailLines", std::to_string(*o.tail_lines));
  if (o.limit_bytes) add("limitBytes", std::to_string(*o.limit_bytes));
  if (o.timestamps) add("timestamps", "true");
  if (o.follow) add("follow", "true");
  return target;
}

// --- client --------------------------------------------------------------------

// One request to a kubelet, asynchronous on the client's I/O thread.
class LogFetch : public std::enable_shared_from_this<LogFetch> {
 public:
  struct Callbacks {
    // The kubelet answered 200; the body follows.
    std::function<void()> on_headers;
    // A piece of the body; false stops the transfer.
    std::function<bool(std::string_view)> on_data;
    // The end: Ok when the body ended, the error otherwise (also an error
    // answer from the kubelet). Called exactly once.
    std::function<void(Status)> on_done;
  };

  // `address` is endpoint.host parsed (an IP literal: nothing is resolved).
  LogFetch(net::io_context& io, KubeletEndpoint endpoint, net::ip::address address,
           std::string target, bool follow, Callbacks cb)
      : stream_(io),
        endpoint_(std::move(endpoint)),
        address_(address),
        target_(std::move(target)),
        follow_(follow),
        cb_(std::move(cb)) {}

  void Start() {
    auto self = shared_from_this();
    net::post(stream_.get_executor(), [self] {
      self->stream_.expires_after(kConnectTimeout);
      self->stream_.async_connect(tcp::endpoint(self->address_, self->endpoint_.port),
                                  [self](beast::error_code ec) {
                                    if (ec) return self->Fail("connect to", ec);
                                    self->Send();
                                  });
    });
  }

  // Ends the transfer (from any thread).
  void Cancel() {
    auto self = shared_from_this();
    net::post(stream_.get_executor(), [self] {
      self->cancelled_ = true;
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
    });
  }

 private:
  std::string HostPort() const {
    const std::string host = address_.is_v6() ? "[" + endpoint_.host + "]" : endpoint_.host;
    return host + ":" + std::to_string(endpoint_.port);
  }
  std::string Where() const { return "the kubelet log endpoint " + HostPort(); }

  void Fail(const char* what, beast::error_code ec) {
    if (cancelled_) return Done(Status::Ok());
    Done(Unavailable(std::string("cannot ") + what + " " + Where() + ": " + ec.message()));
  }

  void Done(Status s) {
    if (done_) return;
    done_ = true;
    beast::error_code ignored;
    stream_.socket().close(ignored);
    cb_.on_done(std::move(s));
  }

  void Send() {
    req_.method(http::verb::get);
    req_.target(target_);
    req_.version(11);
    req_.set(http::field::host, HostPort());
    req_.set(http::field::authorization, "Bearer " + endpoint_.token);
    req_.set(http::field::user_agent, "navarch-apiserver");
    auto self = shared_from_this();
    stream_.expires_after(kReadTimeout);
    http::async_write(stream_, req_, [self](beast::error_code ec, size_t) {
      if (ec) return self->Fail("send a request to", ec);
      self->parser_.body_limit(boost::none);
      http::async_read_header(self->stream_, self->buffer_, self->parser_,
                              [self](beast::error_code ec2, size_t) {
                                if (ec2) return self->Fail("read the answer of", ec2);
                                self->OnHeaders();
                              });
    });
  }

  void OnHeaders() {
    status_ = parser_.get().result_int();
    if (status_ == 200) {
      cb_.on_headers();
      if (follow_) stream_.expires_never();
    }
    ReadSome();
  }

  void ReadSome() {
    if (parser_.is_done()) return Finished();
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    auto self = shared_from_this();
    http::async_read_some(stream_, buffer_, parser_, [self](beast::error_code ec, size_t) {
      if (ec == http::error::need_buffer) ec = {};
      if (ec && ec != http::error::end_of_stream) return self->Fail("read the log from", ec);
      const size_t n = self->chunk_.size() - self->parser_.get().body().size;
      if (n > 0) {
        const std::string_view piece(self->chunk_.data(), n);
        if (self->status_ == 200) {
          if (!self->cb_.on_data(piece)) return self->Done(Status::Ok());
        } else if (self->error_body_.size() < kMaxErrorBody) {
          self->error_body_.append(piece);
        }
      }
      if (ec == http::error::end_of_stream) return self->Finished();
      self->ReadSome();
    });
  }

  void Finished() {
    if (status_ == 200) return Done(Status::Ok());
    Done(Status(CodeOfHttp(status_), MessageOf(error_body_)));
  }

  beast::tcp_stream stream_;
  KubeletEndpoint endpoint_;
  net::ip::address address_;
  std::string target_;
  bool follow_;
  Callbacks cb_;
  http::request<http::empty_body> req_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, 16 * 1024> chunk_{};
  unsigned status_ = 0;
  std::string error_body_;
  bool cancelled_ = false;
  bool done_ = false;
};

class KubeletLogClient::Impl {
 public:
  Impl() : guard_(net::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~Impl() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  net::io_context io_;
  net::executor_work_guard<net::io_context::executor_type> guard_;
  std::thread thread_;
};

namespace {

// What a fetch needs, checked before anything touches a socket: the target
// from the validated id, and the host as an IP literal.
struct Prepared {
  std::string target;
  net::ip::address address;
};

Result<Prepared> Prepare(const KubeletEndpoint& endpoint, const std::string& container_id,
                         const LogSource::Options& options) {
  Prepared p;
  NAVARCH_ASSIGN_OR_RETURN(p.target, KubeletLogTarget(container_id, options));
  boost::system::error_code ec;
  p.address = net::ip::make_address(endpoint.host, ec);
  if (ec || endpoint.port == 0) {
    return InvalidArgument("the kubelet log endpoint \"" + EscapedForMessage(endpoint.host) +
                           "\" port " + std::to_string(endpoint.port) +
                           " is not an IP address and port; kubelets are reached by IP only");
  }
  return p;
}

// Starts `fetch` and waits for `answer`, its first outcome; cancels it when
// the kubelet does not answer in time.
Status StartAndAwait(LogFetch& fetch, std::future<Status>& answer,
                     const KubeletEndpoint& endpoint) {
  fetch.Start();
  if (answer.wait_for(kConnectTimeout + kReadTimeout + std::chrono::seconds(5)) !=
      std::future_status::ready) {
    fetch.Cancel();
    return Unavailable("the kubelet log endpoint " + endpoint.host + ":" +
                       std::to_string(endpoint.port) + " did not answer in time");
  }
  return answer.get();
}

}  // namespace

KubeletLogClient::KubeletLogClient() : impl_(std::make_unique<Impl>()) {}
KubeletLogClient::~KubeletLogClient() = default;

Result<std::string> KubeletLogClient::Read(const KubeletEndpoint& endpoint,
                                           const std::string& container_id,
                                           const LogSource::Options& options) {
  struct Shared {
    std::mutex mu;
    std::string text;
    std::promise<Status> done;
  };
  auto shared = std::make_shared<Shared>();
  auto future = shared->done.get_future();
  LogSource::Options o = options;
  o.follow = false;
  NAVARCH_ASSIGN_OR_RETURN(Prepared prepared, Prepare(endpoint, container_id, o));
  LogFetch::Callbacks cb;
  cb.on_headers = [] {};
  cb.on_data = [shared](std::string_view piece) {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->text.append(piece);
    return true;
  };
  cb.on_done = [shared](Status s) { shared->done.set_value(std::move(s)); };
  auto fetch = std::make_shared<LogFetch>(impl_->io_, endpoint, prepared.address,
                                          std::move(prepared.target), false, std::move(cb));
  NAVARCH_RETURN_IF_ERROR(StartAndAwait(*fetch, future, endpoint));
  std::lock_guard<std::mutex> lock(shared->mu);
  return std::move(shared->text);
}

Status KubeletLogClient::Follow(const KubeletEndpoint& endpoint, const std::string& container_id,
                                const LogSource::Options& options,
                                std::shared_ptr<StreamWriter> out) {
  // Until the headers arrive, the outcome goes to the caller; after, to `out`.
  struct Shared {
    std::mutex mu;
    bool answered = false;  // guarded by mu
    std::promise<Status> first;
  };
  auto shared = std::make_shared<Shared>();
  auto first = shared->first.get_future();
  LogSource::Options o = options;
  o.follow = true;
  NAVARCH_ASSIGN_OR_RETURN(Prepared prepared, Prepare(endpoint, container_id, o));
  LogFetch::Callbacks cb;
  cb.on_headers = [shared] {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->answered = true;
    shared->first.set_value(Status::Ok());
  };
  cb.on_data = [out](std::string_view piece) { return out->Write(std::string(piece)); };
  cb.on_done = [shared, out](Status s) {
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      if (!shared->answered) {
        shared->answered = true;
        shared->first.set_value(std::move(s));
        return;
      }
    }
    if (!s.ok()) out->Write("error: " + s.message() + "\n");
    out->Finish();
  };
  auto fetch = std::make_shared<LogFetch>(impl_->io_, endpoint, prepared.address,
                                          std::move(prepared.target), true, std::move(cb));
  NAVARCH_RETURN_IF_ERROR(StartAndAwait(*fetch, first, endpoint));
  out->OnClosed([fetch] { fetch->Cancel(); });
  return Status::Ok();
}

// --- responses -------------------------------------------------------------------

Response LogTextResponse(std::string text) {
  Response resp;
  resp.content_type = "text/plain";
  resp.body = std::move(text);
  return resp;
}

Response LogFollowResponse(std::function<Status(std::shared_ptr<StreamWriter>)> follow) {
  Response resp;
  resp.content_type = "text/plain";
  resp.stream = [follow = std::move(follow)](std::shared_ptr<StreamWriter> out) {
    Status st = follow(out);
    if (!st.ok()) {
      out->Write("error: " + st.message() + "\n");
      out->Finish();
    }
  };
  return resp;
}

// --- kubelet side ----------------------------------------------------------------

Response KubeletLogHandler::Handle(const Request& r) {
  static constexpr std::string_view kPrefix = "/containerLogs/";
  if (r.method != "GET") {
    return StatusResponse(405, "MethodNotAllowed", "the kubelet log endpoint serves GET only");
  }
  if (!r.path.starts_with(kPrefix)) {
    return StatusResponse(404, "NotFound",
                          "the kubelet serves GET /containerLogs/<containerID> only, not \"" +
                              EscapedForMessage(r.path) + "\"");
  }
  // The transport has percent-decoded the path: the id is the rest of it
  // ("docker://0123" arrives encoded as docker%3A%2F%2F0123).
  const std::string id = r.path.substr(kPrefix.size());
  if (Status st = ValidateContainerId(id, "the containerID in the path"); !st.ok()) {
    return ErrorResponse(st);
  }
  LogSource::Options o;
  for (auto [key, field] :
       {std::pair{"follow", &o.follow}, std::pair{"timestamps", &o.timestamps}}) {
    const std::string v = QueryOr(r, key);
    if (v != "" && v != "true" && v != "false") {
      return ErrorResponse(InvalidArgument(std::string(key) + "=\"" + EscapedForMessage(v) +
                                           "\" is not true or false"));
    }
    *field = v == "true";
  }
  for (auto [key, field] :
       {std::pair{"tailLines", &o.tail_lines}, std::pair{"limitBytes", &o.limit_bytes}}) {
    auto v = QueryInt(r, key);
    if (!v.ok()) return ErrorResponse(v.status());
    *field = *v;
  }
  if (!o.follow) {
    auto text = reader_.ReadContainer(id, o);
    if (!text.ok()) return ErrorResponse(text.status());
    return LogTextResponse(std::move(*text));
  }
  ContainerLogReader* reader = &reader_;
  return LogFollowResponse([reader, id, o](std::shared_ptr<StreamWriter> out) {
    return reader->FollowContainer(id, o, std::move(out));
  });
}

}  // namespace navarch::apiserver
