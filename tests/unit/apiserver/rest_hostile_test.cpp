// Bad input at the REST layer: parser bombs in request bodies, strings that
// are not UTF-8 (in bodies, names and query parameters), stored objects that
// cannot be decoded, out-of-range options, and immutable fields. Each case
// also checks that the server keeps serving afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <thread>

#include "core/apiserver/rest.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"
#include "core/store/sqlite_store.h"
#include "tests/unit/hostile_inputs.h"
#include "tests/unit/store/store_test_util.h"

namespace navarch::apiserver {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

Request Make(std::string method, std::string path, std::string body = {},
             std::string content_type = "application/json",
             std::map<std::string, std::string> query = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  r.accept = "application/json";
  r.query = std::move(query);
  return r;
}

std::string PodJson(const std::string& name, const std::string& labels = "{}") {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + R"(","labels":)" +
         labels + R"(},"spec":{"containers":[{"name":"c","image":"nginx:1.25"}]}})";
}

// A length-delimited protobuf field.
std::string Field(int number, std::string_view bytes) {
  std::string out;
  auto varint = [&](uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  };
  varint(static_cast<uint64_t>(number) << 3 | 2);
  varint(bytes.size());
  out.append(bytes);
  return out;
}

// A Namespace as kubectl create namespace sends it, with one label (map
// field 11) or annotation (12) "team".
std::string NamespaceProtobuf(std::string_view name, std::string_view value, int map_field = 11) {
  const std::string meta = Field(1, name) + Field(map_field, Field(1, "team") + Field(2, value));
  const std::string type_meta = Field(1, "v1") + Field(2, "Namespace");
  return std::string("k8s\0", 4) + Field(1, type_meta) + Field(2, Field(1, meta));
}

std::vector<std::string> WarningsOf(const Response& r) {
  std::vector<std::string> out;
  for (const auto& [k, v] : r.headers) {
    if (k == "Warning") out.push_back(v);
  }
  return out;
}

class RestHostileTest : public ::testing::Test {
 protected:
  void Open() {
    auto s = store::SqliteStore::Open(dir_.File("state.db"));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    RestOptions o;
    o.write_pool = 4;
    o.warn = [this](const std::string& w) { warnings_.push_back(w); };
    rest_ = std::make_unique<RestServer>(*store_, clock_, o);
    ASSERT_TRUE(rest_->Start().ok());
  }
  void Close() {
    rest_.reset();
    store_.reset();
  }
  Response Do(const Request& r) { return rest_->Handle(r); }

  store::testing::TempDir dir_;
  runtime::ManualClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<RestServer> rest_;
  std::vector<std::string> warnings_;
};

TEST_F(RestHostileTest, YamlBodiesThatLoopedTheParserAreAnsweredWith400) {
  Open();
  for (std::string body : {"!,", ",", "a: &a [*a]"}) {
    auto r = Do(Make("POST", "/api/v1/namespaces/default/pods", body, "application/yaml"));
    EXPECT_EQ(r.code, 400) << body << ": " << r.body;
    EXPECT_THAT(r.body, HasSubstr("YAML")) << body;
  }
  // A billion-laughs body: refused by its expanded size.
  const std::string bomb = navarch::testing::AliasBomb("apiVersion: v1\nkind: Pod\n");
  auto r = Do(Make("POST", "/api/v1/namespaces/default/pods", bomb, "application/yaml"));
  EXPECT_EQ(r.code, 400);
  EXPECT_THAT(r.body, HasSubstr("expands to more than"));
  // And the server still serves.
  EXPECT_EQ(Do(Make("POST", "/api/v1/namespaces/default/pods", PodJson("ok"))).code, 201);
}

TEST_F(RestHostileTest, NonUtf8LabelsAreRefusedOverYamlAndProtobufAndTheStoreStaysReadable) {
  Open();
  auto yaml =
      Do(Make("POST", "/api/v1/namespaces/default/pods",
              "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    a: \"\xff\"\n"
              "spec:\n  containers:\n  - name: c\n    image: i\n",
              "application/yaml"));
  EXPECT_EQ(yaml.code, 400) << yaml.body;
  EXPECT_THAT(yaml.body, HasSubstr("not valid UTF-8"));
  auto pb = Do(Make("POST", "/api/v1/namespaces", NamespaceProtobuf("team-a", "\xc3\x28"),
                    "application/vnd.kubernetes.protobuf"));
  EXPECT_EQ(pb.code, 400) << pb.body;
  EXPECT_THAT(pb.body, HasSubstr("not valid UTF-8"));
  EXPECT_THAT(pb.body, HasSubstr("metadata.labels"));
  // The answers themselves are valid JSON (and UTF-8).
  EXPECT_NO_THROW(json::parse(yaml.body));
  EXPECT_NO_THROW(json::parse(pb.body));
  // Valid protobuf and JSON still work.
  EXPECT_EQ(Do(Make("POST", "/api/v1/namespaces", NamespaceProtobuf("team-b", "caf\xc3\xa9", 12),
                    "application/vnd.kubernetes.protobuf"))
                .code,
            201);
  EXPECT_EQ(Do(Make("POST", "/api/v1/namespaces/default/pods", PodJson("good"))).code, 201);

  // After a restart every list and the objects' own deletes still work.
  Close();
  Open();
  EXPECT_TRUE(warnings_.empty());
  auto pods = Do(Make("GET", "/api/v1/namespaces/default/pods"));
  ASSERT_EQ(pods.code, 200) << pods.body;
  EXPECT_EQ(json::parse(pods.body).at("items").as_array().size(), 1u);
  auto sel = Do(Make("GET", "/api/v1/pods", "", "", {{"labelSelector", "a!=b"}}));
  EXPECT_EQ(sel.code, 200) << sel.body;
  auto ns = Do(Make("GET", "/api/v1/namespaces/team-b"));
  ASSERT_EQ(ns.code, 200);
  EXPECT_EQ(json::parse(ns.body).at("metadata").at("annotations").at("team"), "caf\xc3\xa9");
  EXPECT_EQ(Do(Make("DELETE", "/api/v1/namespaces/default/pods/good")).code, 200);
}

TEST_F(RestHostileTest, AStoredObjectThatDoesNotDecodeIsSkippedReportedAndDeletable) {
  Open();
  ASSERT_EQ(Do(Make("POST", "/api/v1/namespaces/default/pods", PodJson("good"))).code, 201);
  Close();
  // What an older version or a damaged disk could leave behind.
  {
    auto s = store::SqliteStore::Open(dir_.File("state.db"));
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(
        (*s)->Create("/registry/pods/default/bad", "{\"kind\":\"Pod\",\"metadata\":{").ok());
  }
  Open();
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("/registry/pods/default/bad cannot be decoded"));
  EXPECT_THAT(warnings_[0], HasSubstr("kubectl delete pods bad -n default"));

  // Lists (plain, Table, with selectors) skip it with a warning.
  auto list = Do(Make("GET", "/api/v1/namespaces/default/pods"));
  ASSERT_EQ(list.code, 200) << list.body;
  auto items = json::parse(list.body).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("metadata").at("name"), "good");
  ASSERT_EQ(WarningsOf(list).size(), 1u);
  EXPECT_THAT(WarningsOf(list)[0], HasSubstr("/registry/pods/default/bad"));
  Request table = Make("GET", "/api/v1/pods");
  table.accept = "application/json;as=Table;v=v1;g=meta.k8s.io";
  auto t = Do(table);
  EXPECT_EQ(t.code, 200) << t.body;
  EXPECT_EQ(WarningsOf(t).size(), 1u);
  EXPECT_EQ(Do(Make("GET", "/api/v1/pods", "", "", {{"labelSelector", "x!=y"}})).code, 200);

  // A get says what is wrong; a delete removes it.
  auto get = Do(Make("GET", "/api/v1/namespaces/default/pods/bad"));
  EXPECT_EQ(get.code, 500);
  EXPECT_THAT(get.body, HasSubstr("cannot be decoded"));
  auto del = Do(Make("DELETE", "/api/v1/namespaces/default/pods/bad"));
  EXPECT_EQ(del.code, 200) << del.body;
  auto after = Do(Make("GET", "/api/v1/namespaces/default/pods"));
  EXPECT_TRUE(WarningsOf(after).empty());
  EXPECT_EQ(Do(Make("GET", "/api/v1/namespaces/default/pods/bad")).code, 404);
}

TEST_F(RestHostileTest, QueryParametersAndPathsMustBeUtf8) {
  Open();
  auto q = Do(Make("GET", "/api/v1/pods", "", "", {{"labelSelector", "a=\xff"}}));
  EXPECT_EQ(q.code, 400);
  EXPECT_THAT(q.body, HasSubstr("query parameter labelSelector"));
  EXPECT_NO_THROW(json::parse(q.body));
  auto k = Do(Make("GET", "/api/v1/pods", "", "", {{"x\xfe", "1"}}));
  EXPECT_EQ(k.code, 400);
  EXPECT_NO_THROW(json::parse(k.body));
  auto p = Do(Make("GET", "/api/v1/namespaces/default/pods/\xc0\xaf"));
  EXPECT_EQ(p.code, 400);
  EXPECT_NO_THROW(json::parse(p.body));
}

TEST_F(RestHostileTest, NegativeLimitAndMalformedFieldSelectorsAreRefused) {
  Open();
  auto neg = Do(Make("GET", "/api/v1/pods", "", "", {{"limit", "-1"}}));
  EXPECT_EQ(neg.code, 400);
  EXPECT_THAT(neg.body, HasSubstr("must not be negative"));
  auto fs = Do(Make("GET", "/api/v1/pods", "", "", {{"fieldSelector", "metadata.name= =b"}}));
  EXPECT_EQ(fs.code, 400) << fs.body;
  EXPECT_THAT(fs.body, HasSubstr("unescaped '='"));
  // An escaped one is a value.
  auto ok = Do(Make("GET", "/api/v1/pods", "", "", {{"fieldSelector", "metadata.name=a\\=b"}}));
  EXPECT_EQ(ok.code, 200) << ok.body;
}

TEST_F(RestHostileTest, UidIsImmutableThroughPutAndPatch) {
  Open();
  auto created = Do(Make("POST", "/api/v1/namespaces/default/pods", PodJson("p")));
  ASSERT_EQ(created.code, 201);
  const std::string uid(json::parse(created.body).at("metadata").at("uid").as_string());
  auto patch = Do(Make("PATCH", "/api/v1/namespaces/default/pods/p",
                       R"({"metadata":{"uid":"not-the-uid"}})", "application/merge-patch+json"));
  EXPECT_EQ(patch.code, 422) << patch.body;
  EXPECT_THAT(patch.body, HasSubstr("metadata.uid"));
  EXPECT_THAT(patch.body, HasSubstr("field is immutable"));
  auto obj = json::parse(created.body).as_object();
  obj["metadata"].as_object()["uid"] = "another-uid";
  obj["metadata"].as_object().erase("resourceVersion");
  auto put = Do(Make("PUT", "/api/v1/namespaces/default/pods/p", json::serialize(obj)));
  EXPECT_EQ(put.code, 409) << put.body;
  EXPECT_THAT(put.body, HasSubstr("Precondition failed: UID in precondition"));
  auto got = Do(Make("GET", "/api/v1/namespaces/default/pods/p"));
  EXPECT_EQ(json::parse(got.body).at("metadata").at("uid").as_string(), uid);
}

TEST_F(RestHostileTest, UnconditionalPatchesUnderConcurrentWritersAllApply) {
  Open();
  ASSERT_EQ(Do(Make("POST", "/api/v1/namespaces/default/pods", PodJson("p"))).code, 201);
  constexpr int kWriters = 4;
  constexpr int kEach = 100;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        const std::string key = "w" + std::to_string(w) + "-" + std::to_string(i);
        auto r = rest_->Handle(Make("PATCH", "/api/v1/namespaces/default/pods/p",
                                    R"({"metadata":{"annotations":{")" + key + R"(":"x"}}})",
                                    "application/merge-patch+json"));
        if (r.code != 200) ++failed;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(failed.load(), 0);
  auto got = Do(Make("GET", "/api/v1/namespaces/default/pods/p"));
  EXPECT_EQ(json::parse(got.body).at("metadata").at("annotations").as_object().size(),
            size_t{kWriters * kEach});
}

}  // namespace
}  // namespace navarch::apiserver
