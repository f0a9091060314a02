#include "core/proxy/forwarder.h"

#include <cassert>
#include <future>
#include <map>
#include <thread>
#include <utility>

#include <boost/asio.hpp>

namespace navarch::proxy {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct Listener {
  Listener(std::string id_in, asio::io_context& io) : id(std::move(id_in)), acceptor(io) {}
  struct Affinity {
    Backend backend;
    Time last_used;
  };
  std::string id;
  tcp::acceptor acceptor;
  std::shared_ptr<const BackendSet> backends;
  uint64_t next = 0;  // round-robin position
  // client address -> the backend it used last. std::map: deterministic purge.
  std::map<std::string, Affinity> affinity;
};

}  // namespace

struct TcpForwarder::Impl {
  Impl(ForwarderOptions options_in, ForwarderStats& stats_in)
      : options(std::move(options_in)), stats(stats_in), work(asio::make_work_guard(io)) {
    thread = std::thread([this] { io.run(); });
  }

  void Log(const std::string& line) const {
    if (options.log) options.log(line);
  }

  // Runs `fn` on the I/O thread and returns its result.
  template <class F>
  auto RunSync(F fn) -> decltype(fn()) {
    assert(!io.get_executor().running_in_this_thread());
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  void Accept(const std::shared_ptr<Listener>& listener);
  void Handle(const std::shared_ptr<Listener>& listener, tcp::socket client);

  const ForwarderOptions options;
  ForwarderStats& stats;
  // Declared first: destroyed last, after everything bound to it.
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  std::thread thread;
  // I/O thread only.
  std::map<std::string, std::shared_ptr<Listener>> listeners;
  Time affinity_now;
};

namespace {

// One client connection: dials candidates in order, then splices.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpForwarder::Impl& impl, std::shared_ptr<Listener> listener, tcp::socket client,
             std::vector<Backend> candidates, std::string client_ip)
      : impl_(impl),
        listener_(std::move(listener)),
        client_(std::move(client)),
        backend_(impl.io),
        timer_(impl.io),
        candidates_(std::move(candidates)),
        client_ip_(std::move(client_ip)),
        up_(impl.options.buffer_bytes),
        down_(impl.options.buffer_bytes) {}

  ~Connection() {
    if (spliced_) impl_.stats.active.fetch_sub(1);
  }

  void Start() { TryNext(); }

 private:
  void TryNext() {
    if (attempt_ == candidates_.size()) {
      impl_.stats.no_backend.fetch_add(1);
      impl_.Log("proxy " + listener_->id + ": no backend accepted the connection from " +
                client_ip_ + " (" + std::to_string(candidates_.size()) + " tried); closing it");
      boost::system::error_code ignored;
      client_.close(ignored);
      return;
    }
    const Backend& b = candidates_[attempt_];
    boost::system::error_code ec;
    auto address = asio::ip::make_address(b.host, ec);
    if (ec) {
      Failed("not an IP address");
      return;
    }
    backend_ = tcp::socket(impl_.io);
    timer_.expires_after(impl_.options.connect_timeout);
    auto self = shared_from_this();
    const size_t attempt = attempt_;
    timer_.async_wait([self, attempt](const boost::system::error_code& e) {
      if (!e && self->attempt_ == attempt && !self->connected_) {
        self->timed_out_ = true;
        boost::system::error_code ignored;
        self->backend_.close(ignored);
      }
    });
    backend_.async_connect(tcp::endpoint(address, static_cast<uint16_t>(b.port)),
                           [self](const boost::system::error_code& e) { self->OnConnect(e); });
  }

  void OnConnect(const boost::system::error_code& ec) {
    timer_.cancel();
    if (ec) {
      Failed(timed_out_ ? "no answer within the connect timeout" : ec.message());
      return;
    }
    connected_ = true;
    spliced_ = true;
    impl_.stats.forwarded.fetch_add(1);
    impl_.stats.active.fetch_add(1);
    const BackendSet* set = listener_->backends.get();
    if (set && set->client_ip_affinity)
      listener_->affinity[client_ip_] = {candidates_[attempt_], impl_.affinity_now};
    boost::system::error_code ignored;
    backend_.set_option(tcp::no_delay(true), ignored);
    client_.set_option(tcp::no_delay(true), ignored);
    Pump(client_, backend_, up_);
    Pump(backend_, client_, down_);
  }

  void Failed(const std::string& why) {
    impl_.stats.backend_failures.fetch_add(1);
    const Backend& b = candidates_[attempt_];
    impl_.Log("proxy " + listener_->id + ": backend " + b.description + " (" + b.host + ":" +
              std::to_string(b.port) + ") failed: " + why + "; trying the next one");
    timed_out_ = false;
    ++attempt_;
    TryNext();
  }

  void Pump(tcp::socket& from, tcp::socket& to, std::vector<char>& buf) {
    auto self = shared_from_this();
    from.async_read_some(asio::buffer(buf), [self, &from, &to, &buf](
                                                const boost::system::error_code& ec, size_t n) {
      if (ec) {
        boost::system::error_code ignored;
        if (ec == asio::error::eof) {
          to.shutdown(tcp::socket::shutdown_send, ignored);
        } else {
          self->CloseBoth();
        }
        self->DirectionDone();
        return;
      }
      asio::async_write(to, asio::buffer(buf.data(), n),
                        [self, &from, &to, &buf](const boost::system::error_code& wec, size_t w) {
                          if (wec) {
                            self->CloseBoth();
                            self->DirectionDone();
                            return;
                          }
                          self->impl_.stats.bytes.fetch_add(w);
                          self->Pump(from, to, buf);
                        });
    });
  }

  void DirectionDone() {
    if (--open_directions_ == 0) CloseBoth();
  }

  void CloseBoth() {
    boost::system::error_code ignored;
    client_.close(ignored);
    backend_.close(ignored);
  }

  TcpForwarder::Impl& impl_;
  std::shared_ptr<Listener> listener_;
  tcp::socket client_;
  tcp::socket backend_;
  asio::steady_timer timer_;
  std::vector<Backend> candidates_;
  std::string client_ip_;
  size_t attempt_ = 0;
  bool connected_ = false;
  bool timed_out_ = false;
  bool spliced_ = false;
  int open_directions_ = 2;
  std::vector<char> up_;    // client -> backend
  std::vector<char> down_;  // backend -> client
};

}  // namespace

void TcpForwarder::Impl::Accept(const std::shared_ptr<Listener>& listener) {
  listener->acceptor.async_accept(
      [this, listener](const boost::system::error_code& ec, tcp::socket client) {
        if (!listener->acceptor.is_open() || ec == asio::error::operation_aborted) return;
        if (ec) {
          Log("proxy " + listener->id + ": accept failed: " + ec.message());
        } else {
          Handle(listener, std::move(client));
        }
        Accept(listener);
      });
}

void TcpForwarder::Impl::Handle(const std::shared_ptr<Listener>& listener, tcp::socket client) {
  stats.accepted.fetch_add(1);
  boost::system::error_code ec;
  auto remote = client.remote_endpoint(ec);
  std::string client_ip = ec ? std::string() : remote.address().to_string();
  std::shared_ptr<const BackendSet> set = listener->backends;
  if (!set || set->backends.empty()) {
    stats.no_backend.fetch_add(1);
    Log("proxy " + listener->id + ": no ready endpoints; closing the connection from " + client_ip);
    client.close(ec);
    return;
  }
  const auto& all = set->backends;
  std::vector<Backend> order;
  order.reserve(all.size());
  if (set->client_ip_affinity && !client_ip.empty()) {
    auto it = listener->affinity.find(client_ip);
    if (it != listener->affinity.end()) {
      bool fresh = affinity_now - it->second.last_used <= set->affinity_timeout;
      bool present = false;
      for (const auto& b : all)
        present = present || b == it->second.backend;
      if (fresh && present) {
        it->second.last_used = affinity_now;
        order.push_back(it->second.backend);
      } else {
        listener->affinity.erase(it);
      }
    }
  }
  // An affinity hit does not move the round-robin position.
  const size_t start = (order.empty() ? listener->next++ : listener->next) % all.size();
  for (size_t i = 0; i < all.size(); ++i) {
    const Backend& b = all[(start + i) % all.size()];
    if (!order.empty() && b == order.front()) continue;
    order.push_back(b);
  }
  auto conn = std::make_shared<Connection>(*this, listener, std::move(client), std::move(order),
                                           std::move(client_ip));
  conn->Start();
}

TcpForwarder::TcpForwarder(ForwarderOptions options)
    : impl_(std::make_unique<Impl>(std::move(options), stats_)) {}

TcpForwarder::~TcpForwarder() {
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
  for (auto& [id, listener] : impl_->listeners) {
    boost::system::error_code ignored;
    listener->acceptor.close(ignored);
  }
  impl_->listeners.clear();
}

Status TcpForwarder::Listen(const std::string& id, const std::string& address, int32_t port) {
  if (port < 0 || port > 65535)
    return InvalidArgument("proxy " + id + ": port " + std::to_string(port) +
                           " is out of range (0-65535)");
  return impl_->RunSync([&]() -> Status {
    if (impl_->listeners.count(id)) return AlreadyExists("proxy listener " + id + " is open");
    boost::system::error_code ec;
    auto ip = asio::ip::make_address(address, ec);
    if (ec)
      return InvalidArgument("proxy " + id + ": bind address \"" + address +
                             "\" is not an IP address");
    auto listener = std::make_shared<Listener>(id, impl_->io);
    tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
    auto where = address + ":" + std::to_string(port);
    listener->acceptor.open(endpoint.protocol(), ec);
    if (!ec) listener->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) listener->acceptor.bind(endpoint, ec);
    if (!ec) listener->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      return Unavailable("proxy " + id + ": cannot listen on " + where + ": " + ec.message() +
                         " (free the port or change the service's port)");
    impl_->listeners.emplace(id, listener);
    impl_->Accept(listener);
    return Status::Ok();
  });
}

void TcpForwarder::SetBackends(const std::string& id, std::shared_ptr<const BackendSet> backends) {
  impl_->RunSync([&] {
    auto it = impl_->listeners.find(id);
    if (it == impl_->listeners.end()) return;
    // Affinity entries for backends that left are dropped lazily (Handle).
    it->second->backends = std::move(backends);
  });
}

void TcpForwarder::Close(const std::string& id) {
  impl_->RunSync([&] {
    auto it = impl_->listeners.find(id);
    if (it == impl_->listeners.end()) return;
    boost::system::error_code ignored;
    it->second->acceptor.close(ignored);
    impl_->listeners.erase(it);
  });
}

int32_t TcpForwarder::LocalPort(const std::string& id) {
  return impl_->RunSync([&]() -> int32_t {
    auto it = impl_->listeners.find(id);
    if (it == impl_->listeners.end()) return 0;
    boost::system::error_code ec;
    auto endpoint = it->second->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
  });
}

void TcpForwarder::SetAffinityNow(Time now) {
  impl_->RunSync([&] {
    impl_->affinity_now = now;
    // Forget clients whose affinity expired, so the tables stay small.
    for (auto& [id, listener] : impl_->listeners) {
      Duration timeout = listener->backends ? listener->backends->affinity_timeout : Duration(0);
      for (auto it = listener->affinity.begin(); it != listener->affinity.end();) {
        if (now - it->second.last_used > timeout)
          it = listener->affinity.erase(it);
        else
          ++it;
      }
    }
  });
}

}  // namespace navarch::proxy
