// API server benchmarks over real HTTP on 127.0.0.1 into a SQLite store
// (group commit), with an in-process server (RestServer + HttpServer):
//
//   BM_CreatePods/<connections>   pod creates/s and per-request latency (1:
//                                 the latency one client alone sees)
//                                 (p50/p99 counters, microseconds) with N
//                                 keep-alive client connections
//   BM_ListPods/pods:N/restarted:R/table:T
//                                 one GET of every pod (full JSON response);
//                                 R=1 lists after a server restart, T=1 asks
//                                 for kubectl get's Table form
//   BM_Watchers/<watchers>        N watch streams; time until each one has
//                                 received every one of a burst of creates
//
// Flags (before the Google Benchmark ones):
//   --sync=full|normal   SQLite durability (default full, the server's own
//                        default: one fsync per group-committed batch)
//   --smoke              tiny sizes, for the CTest smoke run
//
// The server is the one `navarch apiserver` runs (RestServer over a
// MeteredStore, HttpServer with 2 I/O threads and 64 handler threads, plain
// HTTP, no authentication); clients are blocking keep-alive connections, one
// thread each. Counters: p50_ms/p99_ms per create, commits_per_create (group
// commit: below 1 when writes are batched), min_events_per_watcher and
// missed_events (a watcher that did not receive every event).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "backends/realtime/asio_clock.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/metrics.h"
#include "core/apiserver/rest.h"
#include "core/store/sqlite_store.h"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace navarch;

bool g_smoke = false;
store::SqliteStoreOptions::Sync g_sync = store::SqliteStoreOptions::Sync::kFull;

// A server over a fresh SQLite database in a temp directory.
class Fixture {
 public:
  Fixture() {
    dir_ = std::filesystem::temp_directory_path() /
           ("navarch-apiserver-bench-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
  }
  ~Fixture() {
    Close();
    std::filesystem::remove_all(dir_);
  }
  // Stops the server and reopens the same database, as after a restart: the
  // store keeps no decoded objects for what it loads from disk.
  void Restart() {
    Close();
    Open();
  }
  int port() const { return http_->port(); }
  size_t watches() const { return rest_->WatchCount(); }
  apiserver::HttpServerStats http_stats() const { return http_->stats(); }
  int64_t commits() const { return store_->CommitCount(); }

 private:
  void Open() {
    store::SqliteStoreOptions so;
    so.sync = g_sync;
    auto opened = store::SqliteStore::Open((dir_ / "state.db").string(), so);
    if (!opened.ok()) {
      std::fprintf(stderr, "apiserver_bench: %s\n", opened.status().ToString().c_str());
      std::abort();
    }
    store_ = std::move(*opened);
    clock_ = std::make_unique<realtime::AsioClock>();
    metered_ = std::make_unique<apiserver::MeteredStore>(*store_, *clock_, metrics_);
    clock_->Start();
    apiserver::RestOptions ro;
    ro.write_pool = 64;
    rest_ = std::make_unique<apiserver::RestServer>(*metered_, *clock_, ro, &metrics_);
    if (!rest_->Start().ok()) std::abort();
    apiserver::HttpServerOptions ho;
    ho.port = 0;
    ho.io_threads = 2;
    ho.handler_threads = 64;
    // BM_Watchers opens its 1,000 watches from one client (the default
    // allows 500 per client); every other limit keeps its default.
    ho.max_watches_per_client = 2000;
    http_ = std::make_unique<apiserver::HttpServer>(*rest_, ho);
    if (!http_->Start().ok()) std::abort();
  }
  void Close() {
    http_->Stop();
    clock_->Stop();
    http_.reset();
    rest_.reset();
    metered_.reset();
    store_.reset();
    clock_.reset();
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<realtime::AsioClock> clock_;
  apiserver::Metrics metrics_;
  std::unique_ptr<apiserver::MeteredStore> metered_;
  std::unique_ptr<apiserver::RestServer> rest_;
  std::unique_ptr<apiserver::HttpServer> http_;
};

std::string PodBody(const std::string& name) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
         R"(","labels":{"app":"bench"}},"spec":{"containers":[{"name":"c","image":"nginx:1.25",)"
         R"("resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}})";
}

class Conn {
 public:
  explicit Conn(int port) : s_(io_) {
    s_.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    s_.socket().set_option(net::ip::tcp::no_delay(true));
  }
  // The status code; the body is kept in last_body().
  int Do(http::verb verb, const std::string& target, std::string body,
         const std::string& accept = "application/json") {
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, accept);
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(s_, req);
    http::response_parser<http::string_body> p;
    p.body_limit(boost::none);
    http::read(s_, buf_, p);
    body_ = std::move(p.get().body());
    return p.get().result_int();
  }
  const std::string& last_body() const { return body_; }

 private:
  net::io_context io_;
  beast::tcp_stream s_;
  beast::flat_buffer buf_;
  std::string body_;
};

// Creates `count` pods named prefix<i> over `connections` keep-alive
// connections; appends each request's latency (ms) to `latencies_ms`.
void CreatePods(int port, const std::string& prefix, int count, int connections,
                std::vector<double>* latencies_ms) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&] {
      Conn conn(port);
      std::vector<double> mine;
      for (int i = next++; i < count; i = next++) {
        const auto t0 = std::chrono::steady_clock::now();
        const int code = conn.Do(http::verb::post, "/api/v1/namespaces/default/pods",
                                 PodBody(prefix + std::to_string(i)));
        const auto t1 = std::chrono::steady_clock::now();
        if (code != 201) {
          std::fprintf(stderr, "apiserver_bench: create answered %d: %s\n", code,
                       conn.last_body().c_str());
          std::abort();
        }
        mine.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      std::lock_guard<std::mutex> lock(mu);
      if (latencies_ms) latencies_ms->insert(latencies_ms->end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads)
    t.join();
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// items_per_second = pod creates/s; one iteration = `batch` creates.
void BM_CreatePods(benchmark::State& state) {
  const int connections = static_cast<int>(state.range(0));
  const int batch = g_smoke ? 50 : 10000;
  Fixture f;
  std::vector<double> lat;
  int round = 0;
  const int64_t commits0 = f.commits();
  for (auto _ : state) {
    CreatePods(f.port(), "p" + std::to_string(round++) + "-", batch, connections, &lat);
  }
  const int64_t creates = state.iterations() * batch;
  state.SetItemsProcessed(creates);
  state.counters["connections"] = connections;
  state.counters["p50_ms"] = Percentile(lat, 0.50);
  state.counters["p99_ms"] = Percentile(lat, 0.99);
  state.counters["max_ms"] = lat.empty() ? 0 : lat.back();
  state.counters["commits_per_create"] =
      static_cast<double>(f.commits() - commits0) / static_cast<double>(creates);
}

// One GET of every pod in a namespace (the full JSON list); the time per
// iteration is the list latency as a client sees it. The second argument 1
// restarts the server over the same database before listing.
void BM_ListPods(benchmark::State& state) {
  const int pods = g_smoke ? 100 : static_cast<int>(state.range(0));
  Fixture f;
  CreatePods(f.port(), "p", pods, 32, nullptr);
  if (state.range(1) != 0) f.Restart();
  // kubectl get's Accept header: the server answers with a Table of rows.
  const std::string accept = state.range(2) != 0
                                 ? "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
                                 : "application/json";
  Conn conn(f.port());
  for (auto _ : state) {
    if (conn.Do(http::verb::get, "/api/v1/namespaces/default/pods", "", accept) != 200) {
      std::fprintf(stderr, "apiserver_bench: list failed: %s\n", conn.last_body().c_str());
      std::abort();
    }
  }
  const size_t count = [&] {
    size_t n = 0;
    const std::string needle = state.range(2) != 0 ? "\"cells\":" : "\"kind\":\"Pod\"";
    for (size_t pos = conn.last_body().find(needle); pos != std::string::npos;
         pos = conn.last_body().find(needle, pos + 1))
      ++n;
    return n;
  }();
  if (count != static_cast<size_t>(pods)) {
    state.SkipWithError("the list did not return every pod");
  }
  state.counters["pods"] = static_cast<double>(count);
  state.counters["MB"] = static_cast<double>(conn.last_body().size()) / 1e6;
}

// N watch connections (one client thread reads them all asynchronously);
// one iteration = a burst of creates over 8 connections, timed until every
// watcher has received every event of the burst.
void BM_Watchers(benchmark::State& state) {
  const int watchers = g_smoke ? 10 : static_cast<int>(state.range(0));
  const int burst = g_smoke ? 10 : 200;
  Fixture f;
  net::io_context io;
  struct Watch {
    beast::tcp_stream s;
    std::array<char, 16384> buf{};
    std::string tail;
    std::atomic<int64_t> added{0};
    explicit Watch(net::io_context& io) : s(io) {}
  };
  std::vector<std::unique_ptr<Watch>> ws;
  std::atomic<int64_t> received{0};
  const std::string needle = "\"type\":\"ADDED\"";
  std::function<void(Watch*)> read = [&](Watch* w) {
    w->s.async_read_some(net::buffer(w->buf), [&, w](beast::error_code ec, size_t n) {
      if (ec) return;
      std::string data = w->tail + std::string(w->buf.data(), n);
      int64_t count = 0;
      for (size_t pos = data.find(needle); pos != std::string::npos;
           pos = data.find(needle, pos + needle.size())) {
        ++count;
      }
      w->added += count;
      received += count;
      // Keep a tail shorter than the needle: a needle split across reads is
      // completed by the next one, a whole one is never counted twice.
      w->tail = data.size() >= needle.size() ? data.substr(data.size() - needle.size() + 1) : data;
      read(w);
    });
  };
  for (int i = 0; i < watchers; ++i) {
    auto w = std::make_unique<Watch>(io);
    w->s.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), f.port()));
    const std::string req =
        "GET /api/v1/namespaces/default/pods?watch=true HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n\r\n";
    net::write(w->s, net::buffer(req));
    read(w.get());
    ws.push_back(std::move(w));
  }
  std::thread reader([&] {
    auto guard = net::make_work_guard(io);
    io.run();
  });
  const auto ready_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (f.watches() < static_cast<size_t>(watchers) &&
         std::chrono::steady_clock::now() < ready_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool failed = f.watches() < static_cast<size_t>(watchers);
  if (failed) state.SkipWithError("not every watch was established within 60 s");
  int round = 0;
  int64_t events = 0;
  for (auto _ : state) {
    if (failed) break;
    const int64_t want = received.load() + static_cast<int64_t>(watchers) * burst;
    CreatePods(f.port(), "w" + std::to_string(round++) + "-", burst, 8, nullptr);
    events += burst;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (received.load() < want && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (received.load() < want) {
      failed = true;
      state.SkipWithError("events were not delivered to every watcher within 60 s");
    }
  }
  int64_t min_events = events;
  int64_t missed = 0;
  for (const auto& w : ws) {
    min_events = std::min<int64_t>(min_events, w->added.load());
    missed += std::max<int64_t>(0, events - w->added.load());
  }
  state.counters["watchers"] = watchers;
  state.counters["events"] = static_cast<double>(events);
  state.counters["min_events_per_watcher"] = static_cast<double>(min_events);
  state.counters["missed_events"] = static_cast<double>(missed);
  // The most that waited in the server's send buffers at once, and the
  // watches ended for reading too slowly (--watch-send-buffer-bytes).
  const apiserver::HttpServerStats hs = f.http_stats();
  state.counters["queued_peak_MB"] = static_cast<double>(hs.stream_queued_peak) / 1e6;
  state.counters["streams_overflowed"] = static_cast<double>(hs.streams_overflowed);
  state.SetItemsProcessed(static_cast<int64_t>(watchers) * events);
  io.stop();
  reader.join();
  ws.clear();
}

BENCHMARK(BM_CreatePods)->Arg(1)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ListPods)
    ->Args({10000, 0, 0})
    ->Args({10000, 1, 0})
    ->Args({10000, 0, 1})
    ->Args({10000, 1, 1})
    ->ArgNames({"pods", "restarted", "table"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Watchers)->Arg(1000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      g_smoke = true;
    } else if (std::strcmp(argv[i], "--sync=full") == 0) {
      g_sync = store::SqliteStoreOptions::Sync::kFull;
    } else if (std::strcmp(argv[i], "--sync=normal") == 0) {
      g_sync = store::SqliteStoreOptions::Sync::kNormal;
    } else {
      rest.push_back(argv[i]);
    }
  }
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
