// HttpApi against the real REST layer (apiserver::RestServer) behind a small
// HTTP front (test_http_server.h): CRUD and error mapping, paging, keep-alive,
// watches (delivery on the Clock's loop, previous state, resume after the
// connection drops without a missed or repeated event, 410 → kError
// kCompacted and an informer's re-list), calls from the loop thread, and an
// unreachable server.
#include "core/apiclient/http_api.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "backends/realtime/asio_clock.h"
#include "core/api/types.h"
#include "core/apiserver/rest.h"
#include "core/client/informer.h"
#include "core/store/memory_store.h"
#include "tests/unit/apiclient/test_http_server.h"

namespace navarch::apiclient {
namespace {

using client::WatchEvent;

api::Pod MakePod(const std::string& name, api::Labels labels = {}) {
  api::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  p.metadata.labels = std::move(labels);
  api::Container c;
  c.name = "app";
  c.image = "nginx:1.25";
  p.spec.Mutable().containers.push_back(c);
  return p;
}

// Collects watch events delivered on the clock's loop.
class Events {
 public:
  client::WatchHandler Handler() {
    return [this](const WatchEvent& ev) {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(ev);
      cv_.notify_all();
    };
  }
  // Waits (generously) until `n` events arrived; returns them.
  std::vector<WatchEvent> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return events_.size() >= n; });
    return events_;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WatchEvent> events_;
};

class HttpApiTest : public ::testing::Test, protected testing::HttpApiHarness {
 protected:
  void SetUp() override {
    Status st = StartHarness();
    ASSERT_TRUE(st.ok()) << st;
  }
  void TearDown() override { StopHarness(); }

  // Runs `fn` on the client clock's loop and waits for it.
  template <class F>
  auto OnLoop(F fn) {
    std::promise<decltype(fn())> p;
    auto f = p.get_future();
    clock_.Post([&] { p.set_value(fn()); });
    return f.get();
  }
};

TEST_F(HttpApiTest, CreateGetUpdateDelete) {
  auto created = api_->Create(MakePod("web-1", {{"app", "web"}}));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE((*created)->metadata.uid.empty());
  EXPECT_FALSE((*created)->metadata.resource_version.empty());

  auto got = api_->Get<api::Pod>("default", "web-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->metadata.uid, (*created)->metadata.uid);
  EXPECT_EQ((*got)->spec->containers.at(0).image, "nginx:1.25");

  api::Pod changed = **got;
  changed.metadata.labels["tier"] = "front";
  auto updated = api_->Update(changed);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)->metadata.labels.at("tier"), "front");

  // The old resourceVersion is stale now.
  auto stale = api_->Update(changed);
  EXPECT_EQ(stale.code(), Code::kConflict) << stale.status();

  api::Pod with_status = **updated;
  with_status.status.phase = "Running";
  auto st = api_->UpdateStatus(with_status);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ((*st)->status.phase, "Running");

  auto deleted = api_->Delete<api::Pod>("default", "web-1");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ((*deleted)->metadata.name, "web-1");
  EXPECT_EQ(api_->Get<api::Pod>("default", "web-1").code(), Code::kNotFound);
}

TEST_F(HttpApiTest, ErrorsMapToCodes) {
  ASSERT_TRUE(api_->Create(MakePod("dup")).ok());
  auto again = api_->Create(MakePod("dup"));
  EXPECT_EQ(again.code(), Code::kAlreadyExists) << again.status();

  auto missing = api_->Get<api::Pod>("default", "nope");
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos) << missing.status();

  api::Pod bad = MakePod("bad");
  bad.spec.Mutable().containers.clear();
  auto invalid = api_->Create(bad);
  EXPECT_EQ(invalid.code(), Code::kInvalidArgument);
  EXPECT_NE(invalid.status().message().find("spec.containers"), std::string::npos)
      << invalid.status();

  auto no_ns = api_->Create([] {
    api::Pod p = MakePod("x");
    p.metadata.namespace_ = "does-not-exist";
    return p;
  }());
  EXPECT_EQ(no_ns.code(), Code::kNotFound) << no_ns.status();
}

TEST_F(HttpApiTest, ListWithSelectorsAndPages) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(
        api_->Create(MakePod("p" + std::to_string(i), {{"app", i % 2 == 0 ? "even" : "odd"}}))
            .ok());
  }
  client::ListOptions lo;
  lo.label_selector = *api::LabelSelector::Parse("app=even");
  auto even = api_->List<api::Pod>(lo);
  ASSERT_TRUE(even.ok()) << even.status();
  ASSERT_EQ(even->items.size(), 4u);
  EXPECT_EQ(even->items[0]->metadata.name, "p0");
  EXPECT_FALSE(even->resource_version.empty());

  client::ListOptions byname;
  byname.field_selector = *client::FieldSelector::Parse("metadata.name=p3");
  auto one = api_->List<api::Pod>(byname);
  ASSERT_TRUE(one.ok()) << one.status();
  ASSERT_EQ(one->items.size(), 1u);
  EXPECT_EQ(one->items[0]->metadata.name, "p3");

  // Pages of 3: 3 + 3 + 1, the same snapshot.
  client::ListOptions paged;
  paged.limit = 3;
  std::vector<std::string> names;
  int pages = 0;
  for (;;) {
    auto page = api_->List<api::Pod>(paged);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (auto& p : page->items)
      names.push_back(p->metadata.name);
    if (page->continue_token.empty()) break;
    paged.continue_token = page->continue_token;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}));
}

TEST_F(HttpApiTest, ConnectionsAreReused) {
  ASSERT_TRUE(api_->Create(MakePod("a")).ok());
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(api_->Get<api::Pod>("default", "a").ok());
  EXPECT_EQ(api_->stats().connections_opened, 1u);
  EXPECT_EQ(http_->connections_accepted(), 1u);
}

TEST_F(HttpApiTest, SynchronousCallsWorkFromTheLoopThread) {
  ASSERT_TRUE(api_->Create(MakePod("loop")).ok());
  std::string name = OnLoop([&] {
    auto p = api_->Get<api::Pod>("default", "loop");
    return p.ok() ? (*p)->metadata.name : p.status().ToString();
  });
  EXPECT_EQ(name, "loop");
}

TEST_F(HttpApiTest, WatchDeliversChangesOnTheLoopWithPrevious) {
  Events events;
  bool on_loop = true;
  auto handler = events.Handler();
  auto handle = api_->Watch(api::Kind::kPod, {}, [&, handler](const WatchEvent& ev) {
    if (!clock_.OnLoopThread()) on_loop = false;
    handler(ev);
  });
  ASSERT_TRUE(handle.ok()) << handle.status();
  auto created = api_->Create(MakePod("w"));
  ASSERT_TRUE(created.ok());
  api::Pod changed = **created;
  changed.metadata.labels["x"] = "y";
  ASSERT_TRUE(api_->Update(changed).ok());
  ASSERT_TRUE(api_->Delete<api::Pod>("default", "w").ok());
  auto got = events.WaitFor(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, WatchEvent::Type::kAdded);
  EXPECT_EQ(got[0].previous, nullptr);
  EXPECT_EQ(got[1].type, WatchEvent::Type::kModified);
  ASSERT_NE(got[1].previous, nullptr);
  EXPECT_TRUE(got[1].previous->metadata.labels.empty());
  EXPECT_EQ(got[1].object->metadata.labels.at("x"), "y");
  EXPECT_EQ(got[2].type, WatchEvent::Type::kDeleted);
  EXPECT_TRUE(on_loop);
  OnLoop([&] {
    handle->reset();
    return 0;
  });
}

TEST_F(HttpApiTest, WatchResumesAfterDisconnectWithoutMissingEvents) {
  Events events;
  client::WatchOptions wo;
  wo.label_selector = *api::LabelSelector::Parse("app=r");
  auto handle = api_->Watch(api::Kind::kPod, wo, events.Handler());
  ASSERT_TRUE(handle.ok()) << handle.status();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(api_->Create(MakePod("r" + std::to_string(i), {{"app", "r"}})).ok());
  ASSERT_EQ(events.WaitFor(3).size(), 3u);
  // The connection drops; writes happen while the watch is disconnected.
  http_->DropConnections();
  for (int i = 3; i < 6; ++i)
    ASSERT_TRUE(api_->Create(MakePod("r" + std::to_string(i), {{"app", "r"}})).ok());
  auto got = events.WaitFor(6);
  ASSERT_EQ(got.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(got[i].type, WatchEvent::Type::kAdded);
    EXPECT_EQ(got[i].object->metadata.name, "r" + std::to_string(i));
  }
  EXPECT_GE(api_->stats().watch_resumes, 1u);
  // Nothing repeated later either.
  ASSERT_TRUE(api_->Create(MakePod("r6", {{"app", "r"}})).ok());
  got = events.WaitFor(7);
  ASSERT_EQ(got.size(), 7u);
  EXPECT_EQ(got[6].object->metadata.name, "r6");
  OnLoop([&] {
    handle->reset();
    return 0;
  });
}

TEST_F(HttpApiTest, WatchFromACompactedRevisionEndsWithCompacted) {
  auto first = api_->Create(MakePod("c0"));
  ASSERT_TRUE(first.ok());
  const std::string old_rv = (*first)->metadata.resource_version;
  for (int i = 1; i < 4; ++i)
    ASSERT_TRUE(api_->Create(MakePod("c" + std::to_string(i))).ok());
  ASSERT_TRUE(store_.Compact(store_.CurrentRevision()).ok());
  Events events;
  client::WatchOptions wo;
  wo.resource_version = old_rv;
  auto handle = api_->Watch(api::Kind::kPod, wo, events.Handler());
  if (handle.ok()) {
    auto got = events.WaitFor(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].type, WatchEvent::Type::kError);
    EXPECT_EQ(got[0].error.code(), Code::kCompacted) << got[0].error;
    OnLoop([&] {
      handle->reset();
      return 0;
    });
  } else {
    EXPECT_EQ(handle.code(), Code::kCompacted) << handle.status();
  }
}

TEST_F(HttpApiTest, InformerRelistsAfterCompactionDuringAnOutage) {
  ASSERT_TRUE(api_->Create(MakePod("keep")).ok());
  ASSERT_TRUE(api_->Create(MakePod("gone")).ok());
  std::mutex mu;
  std::vector<std::string> log;
  std::unique_ptr<client::Informer> informer;
  OnLoop([&] {
    client::InformerOptions io;
    io.relist_backoff = std::chrono::milliseconds(20);
    informer = std::make_unique<client::Informer>(*api_, clock_, api::Kind::kPod, io);
    client::InformerHandlers h;
    h.on_add = [&](const api::ObjectPtr& o) {
      std::lock_guard<std::mutex> lock(mu);
      log.push_back("add " + o->metadata.name);
    };
    h.on_delete = [&](const api::ObjectPtr& o) {
      std::lock_guard<std::mutex> lock(mu);
      log.push_back("delete " + o->metadata.name);
    };
    informer->AddHandlers(h);
    return informer->Start().ok();
  });
  // The server refuses watches for a while; meanwhile objects change and the
  // history is compacted, so the resume point is gone.
  http_->SetOverride([](const apiserver::Request& r) -> std::optional<apiserver::Response> {
    if (r.query.count("watch")) {
      apiserver::Response resp;
      resp.code = 503;
      resp.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":503})";
      return resp;
    }
    return std::nullopt;
  });
  http_->DropConnections();
  ASSERT_TRUE(api_->Delete<api::Pod>("default", "gone").ok());
  ASSERT_TRUE(api_->Create(MakePod("new")).ok());
  ASSERT_TRUE(store_.Compact(store_.CurrentRevision()).ok());
  http_->SetOverride(nullptr);
  std::vector<std::string> got;
  for (int i = 0; i < 400; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      got = log;
    }
    if (got.size() >= 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  // The initial list, then the re-list's difference (in the informer's order).
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(got.begin(), got.begin() + 2),
            (std::vector<std::string>{"add gone", "add keep"}));
  std::sort(got.begin() + 2, got.end());
  EXPECT_EQ(std::vector<std::string>(got.begin() + 2, got.end()),
            (std::vector<std::string>{"add new", "delete gone"}));
  OnLoop([&] {
    informer.reset();
    return 0;
  });
}

TEST_F(HttpApiTest, ReadsAreRetriedOnUnavailable) {
  ASSERT_TRUE(api_->Create(MakePod("retry")).ok());
  std::atomic<int> failures{2};
  http_->SetOverride([&](const apiserver::Request& r) -> std::optional<apiserver::Response> {
    if (r.method == "GET" && failures.fetch_sub(1) > 0) {
      apiserver::Response resp;
      resp.code = 503;
      resp.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":503})";
      return resp;
    }
    return std::nullopt;
  });
  auto got = api_->Get<api::Pod>("default", "retry");
  EXPECT_TRUE(got.ok()) << got.status();
  http_->SetOverride(nullptr);
}

TEST(HttpApiUnreachable, RefusedConnectionIsUnavailableNamingTheServer) {
  // A port that was just free: nothing listens there.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const int port = probe.local_endpoint().port();
  probe.close();
  realtime::AsioClock clock;
  HttpApiOptions o;
  o.server = "http://127.0.0.1:" + std::to_string(port);
  o.read_attempts = 2;
  o.retry_backoff_initial = std::chrono::milliseconds(1);
  auto api = HttpApi::Open(clock, o);
  ASSERT_TRUE(api.ok());
  auto got = (*api)->Get<api::Pod>("default", "x");
  EXPECT_EQ(got.code(), Code::kUnavailable);
  EXPECT_NE(got.status().message().find(o.server), std::string::npos) << got.status();
  auto watch = (*api)->Watch(api::Kind::kPod, {}, [](const WatchEvent&) {});
  EXPECT_EQ(watch.code(), Code::kUnavailable) << watch.status();
}

TEST(HttpApiOpen, RejectsABadServerUrl) {
  realtime::AsioClock clock;
  HttpApiOptions o;
  o.server = "127.0.0.1:6443";
  auto api = HttpApi::Open(clock, o);
  EXPECT_EQ(api.code(), Code::kInvalidArgument);
  EXPECT_NE(api.status().message().find("http://"), std::string::npos) << api.status();
}

}  // namespace
}  // namespace navarch::apiclient
