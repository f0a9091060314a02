#include "core/apiserver/kubelet_logs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/apiserver/http_server.h"
#include "core/apiserver/tokens.h"

namespace navarch::apiserver {
namespace {

using ::testing::HasSubstr;

// A kubelet's logs: container "c1" has two lines; following it yields the
// lines, then `extra` chunks, then the end.
class FakeReader final : public ContainerLogReader {
 public:
  Result<std::string> ReadContainer(const std::string& id, const LogSource::Options& o) override {
    last_options = o;
    if (id != "c1") return NotFound("no container " + id + " on this node");
    std::string text = "one\ntwo\n";
    if (o.tail_lines && *o.tail_lines == 1) text = "two\n";
    return text;
  }
  Status FollowContainer(const std::string& id, const LogSource::Options& o,
                         std::shared_ptr<StreamWriter> out) override {
    last_options = o;
    if (id != "c1") return NotFound("no container " + id + " on this node");
    threads.emplace_back([out] {
      out->Write("one\n");
      out->Write("two\n");
      out->Write("three\n");
      out->Finish();
    });
    return Status::Ok();
  }
  ~FakeReader() override {
    for (auto& t : threads)
      t.join();
  }
  LogSource::Options last_options;
  std::vector<std::thread> threads;
};

// Collects what the client relays.
class Collector final : public StreamWriter {
 public:
  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_ += chunk;
    return true;
  }
  void Finish() override {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    cv_.notify_all();
  }
  void OnClosed(std::function<void()> fn) override { on_closed_ = std::move(fn); }
  std::string WaitFinished() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return finished_; });
    EXPECT_TRUE(finished_);
    return text_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool finished_ = false;
  std::function<void()> on_closed_;
};

class KubeletLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto auth = TokenAuthenticator::Parse("secret-token,apiserver,apiserver\n", "test");
    ASSERT_TRUE(auth.ok());
    auth_ = std::move(*auth);
    HttpServerOptions o;
    o.port = 0;
    o.io_threads = 1;
    o.handler_threads = 2;
    o.drain_timeout = std::chrono::seconds(1);
    o.auth = &auth_;
    server_ = std::make_unique<HttpServer>(handler_, o);
    ASSERT_TRUE(server_->Start().ok());
    endpoint_ = {"127.0.0.1", server_->port(), "secret-token"};
  }
  void TearDown() override { server_->Stop(); }

  FakeReader reader_;
  KubeletLogHandler handler_{reader_};
  TokenAuthenticator auth_;
  std::unique_ptr<HttpServer> server_;
  KubeletEndpoint endpoint_;
  KubeletLogClient client_;
};

TEST_F(KubeletLogsTest, ReadPassesOptionsAndReturnsTheLog) {
  LogSource::Options o;
  o.tail_lines = 1;
  o.timestamps = true;
  auto text = client_.Read(endpoint_, "c1", o);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "two\n");
  ASSERT_TRUE(reader_.last_options.tail_lines.has_value());
  EXPECT_EQ(*reader_.last_options.tail_lines, 1);
  EXPECT_TRUE(reader_.last_options.timestamps);
  EXPECT_FALSE(reader_.last_options.follow);
}

TEST_F(KubeletLogsTest, TheKubeletsErrorComesBackWithItsCode) {
  auto text = client_.Read(endpoint_, "c9", {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.code(), Code::kNotFound);
  EXPECT_THAT(text.status().message(), HasSubstr("no container c9 on this node"));
}

TEST_F(KubeletLogsTest, AWrongTokenIsRefused) {
  KubeletEndpoint wrong = endpoint_;
  wrong.token = "guess";
  auto text = client_.Read(wrong, "c1", {});
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(), HasSubstr("not valid"));
}

TEST_F(KubeletLogsTest, AnUnreachableKubeletIsUnavailable) {
  KubeletEndpoint gone = endpoint_;
  server_->Stop();
  auto text = client_.Read(gone, "c1", {});
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.code(), Code::kUnavailable);
  EXPECT_THAT(text.status().message(), HasSubstr("127.0.0.1:" + std::to_string(gone.port)));
}

TEST_F(KubeletLogsTest, FollowRelaysTheStreamAndFinishes) {
  auto out = std::make_shared<Collector>();
  ASSERT_TRUE(client_.Follow(endpoint_, "c1", {}, out).ok());
  EXPECT_EQ(out->WaitFinished(), "one\ntwo\nthree\n");
  EXPECT_TRUE(reader_.last_options.follow);
}

TEST(KubeletEndpointOf, NeedsAddressPortAndToken) {
  api::Node node;
  node.metadata.name = "n1";
  EXPECT_EQ(KubeletEndpointOf(node).code(), Code::kUnavailable);
  node.status.addresses.push_back({"Hostname", "n1"});
  node.status.addresses.push_back({"InternalIP", "127.0.0.1"});
  node.status.daemon_endpoints.kubelet_endpoint.port = 41000;
  EXPECT_THAT(KubeletEndpointOf(node).status().message(), HasSubstr(kKubeletLogTokenAnnotation));
  node.metadata.annotations[std::string(kKubeletLogTokenAnnotation)] = "t";
  auto e = KubeletEndpointOf(node);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 41000);
  EXPECT_EQ(e->token, "t");
}

TEST(LogContainerId, PicksTheContainerAndItsPreviousInstance) {
  api::Pod pod;
  pod.metadata.namespace_ = "default";
  pod.metadata.name = "p";
  api::Container a;
  a.name = "a";
  api::Container b;
  b.name = "b";
  pod.spec.Mutable().containers = {a, b};
  LogSource::Options o;
  EXPECT_THAT(LogContainerId(pod, o).status().message(), HasSubstr("waiting to start"));
  api::ContainerStatus cs;
  cs.name = "a";
  cs.container_id = "docker://new";
  api::ContainerStateTerminated old;
  old.container_id = "docker://old";
  cs.last_state.terminated = old;
  pod.status.container_statuses.push_back(cs);
  EXPECT_EQ(*LogContainerId(pod, o), "docker://new");  // the first container by default
  o.previous = true;
  EXPECT_EQ(*LogContainerId(pod, o), "docker://old");
  o.container = "zz";
  EXPECT_THAT(LogContainerId(pod, o).status().message(),
              HasSubstr("\"zz\" is not in pods/default/p"));
}

}  // namespace
}  // namespace navarch::apiserver
