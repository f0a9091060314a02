// The REST layer without a network: every verb, error paths, selectors,
// paging, watch semantics, graceful deletion, RC propagation, scale, binding
// and cluster IP allocation.
#include "core/apiserver/rest.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <deque>
#include <mutex>

#include "core/api/types.h"
#include "core/apiserver/metrics.h"
#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::apiserver {
namespace {

namespace json = boost::json;

class FakeWriter final : public StreamWriter {
 public:
  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_ || closed_) return false;
    chunks_.push_back(std::move(chunk));
    return true;
  }
  void Finish() override {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
  }
  void OnClosed(std::function<void()> fn) override { on_closed_ = std::move(fn); }
  void Disconnect() {
    closed_ = true;
    if (on_closed_) on_closed_();
  }
  // Parsed events written so far (and forgets them).
  std::vector<json::object> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<json::object> out;
    for (auto& c : chunks_) {
      EXPECT_EQ(c.back(), '\n');
      out.push_back(json::parse(c).as_object());
    }
    chunks_.clear();
    return out;
  }
  bool finished() const { return finished_; }

 private:
  std::mutex mu_;
  std::deque<std::string> chunks_;
  bool finished_ = false;
  bool closed_ = false;
  std::function<void()> on_closed_;
};

class RestTest : public ::testing::Test {
 protected:
  RestTest() : rest_(store_, clock_, Options(), &metrics_) { EXPECT_TRUE(rest_.Start().ok()); }

  static RestOptions Options() {
    RestOptions o;
    o.service_cidr = "10.96.0.0/29";  // 10.96.0.2 .. 10.96.0.6 allocatable
    o.node_port_min = 30000;
    o.node_port_max = 30002;
    o.write_pool = 2;
    return o;
  }

  Response Do(std::string method, std::string path, std::string body = {},
              std::map<std::string, std::string> query = {}, std::string content_type = {},
              std::string accept = "application/json") {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.query = std::move(query);
    r.content_type = std::move(content_type);
    r.accept = std::move(accept);
    return rest_.Handle(r);
  }
  static json::object Body(const Response& r) { return json::parse(r.body).as_object(); }
  static std::string Reason(const Response& r) {
    auto o = Body(r);
    return o.contains("reason") ? std::string(o["reason"].as_string()) : "";
  }

  std::string PodJson(std::string name, std::string labels = R"({"app":"web"})",
                      std::string node = "") {
    return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + R"(","labels":)" +
           labels + R"(},"spec":{)" + (node.empty() ? "" : R"("nodeName":")" + node + R"(",)") +
           R"("containers":[{"name":"c","image":"nginx:1.25"}]}})";
  }

  std::shared_ptr<FakeWriter> Watch(std::map<std::string, std::string> query,
                                    std::string path = "/api/v1/namespaces/default/pods") {
    query["watch"] = "true";
    auto resp = Do("GET", path, "", query);
    EXPECT_EQ(resp.code, 200) << resp.body;
    EXPECT_TRUE(static_cast<bool>(resp.stream));
    auto w = std::make_shared<FakeWriter>();
    if (resp.stream) resp.stream(w);
    clock_.RunUntilIdle();
    return w;
  }

  store::MemoryStore store_;
  runtime::ManualClock clock_;
  Metrics metrics_;
  RestServer rest_;
};

TEST_F(RestTest, BuiltinNamespacesExist) {
  auto r = Do("GET", "/api/v1/namespaces");
  ASSERT_EQ(r.code, 200);
  auto items = Body(r)["items"].as_array();
  std::vector<std::string> names;
  for (auto& i : items)
    names.emplace_back(i.at("metadata").at("name").as_string());
  EXPECT_EQ(names,
            (std::vector<std::string>{"default", "kube-node-lease", "kube-public", "kube-system"}));
  EXPECT_EQ(items[0].at("status").at("phase"), "Active");
}

TEST_F(RestTest, CreateGetDefaultsAndAlreadyExists) {
  auto r = Do("POST", "/api/v1/namespaces/default/pods", PodJson("web"));
  ASSERT_EQ(r.code, 201) << r.body;
  auto pod = Body(r);
  EXPECT_EQ(pod["kind"], "Pod");
  EXPECT_FALSE(pod["metadata"].at("uid").as_string().empty());
  EXPECT_FALSE(pod["metadata"].at("resourceVersion").as_string().empty());
  EXPECT_EQ(pod["metadata"].at("namespace"), "default");
  EXPECT_EQ(pod["spec"].at("restartPolicy"), "Always");
  EXPECT_EQ(pod["spec"].at("containers").at(0).at("imagePullPolicy"), "IfNotPresent");
  EXPECT_EQ(pod["status"].at("phase"), "Pending");

  auto g = Do("GET", "/api/v1/namespaces/default/pods/web");
  ASSERT_EQ(g.code, 200);
  EXPECT_EQ(Body(g)["metadata"].at("uid"), pod["metadata"].at("uid"));

  auto again = Do("POST", "/api/v1/namespaces/default/pods", PodJson("web"));
  EXPECT_EQ(again.code, 409);
  EXPECT_EQ(Reason(again), "AlreadyExists");
  EXPECT_EQ(Body(again)["message"], "pods \"web\" already exists");

  auto missing = Do("GET", "/api/v1/namespaces/default/pods/nope");
  EXPECT_EQ(missing.code, 404);
  EXPECT_EQ(Reason(missing), "NotFound");
  EXPECT_EQ(Body(missing)["message"], "pods \"nope\" not found");
  EXPECT_EQ(Body(missing)["details"].at("kind"), "pods");
}

TEST_F(RestTest, ObjectsAreReadableThroughLocalApiOverTheSameStore) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("web")).code, 201);
  client::LocalApi local(store_, clock_);
  auto pod = local.Get<api::Pod>("default", "web");
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ((*pod)->spec->containers[0].image, "nginx:1.25");
  api::Pod p2 = **pod;
  p2.metadata = {};
  p2.metadata.name = "from-local";
  ASSERT_TRUE(local.Create(p2).ok());
  EXPECT_EQ(Do("GET", "/api/v1/namespaces/default/pods/from-local").code, 200);
}

TEST_F(RestTest, ValidationIs422WithCauses) {
  auto r = Do("POST", "/api/v1/namespaces/default/pods",
              R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"Bad_Name"},
                  "spec":{"containers":[{"name":"c"}]}})");
  ASSERT_EQ(r.code, 422) << r.body;
  EXPECT_EQ(Reason(r), "Invalid");
  auto causes = Body(r)["details"].at("causes").as_array();
  std::vector<std::string> fields;
  for (auto& c : causes)
    fields.emplace_back(c.at("field").as_string());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "metadata.name"), fields.end()) << r.body;
  EXPECT_NE(std::find(fields.begin(), fields.end(), "spec.containers[0].image"), fields.end())
      << r.body;
  EXPECT_EQ(Body(r)["details"].at("kind"), "Pod");
}

TEST_F(RestTest, BadBodiesAreClear4xx) {
  auto malformed = Do("POST", "/api/v1/namespaces/default/pods", "{not json");
  EXPECT_EQ(malformed.code, 400);
  EXPECT_EQ(Reason(malformed), "BadRequest");
  EXPECT_NE(Body(malformed)["message"].as_string().find("JSON"), json::string::npos);

  auto empty = Do("POST", "/api/v1/namespaces/default/pods", "");
  EXPECT_EQ(empty.code, 400);

  auto wrong_kind = Do("POST", "/api/v1/namespaces/default/services", PodJson("web"));
  EXPECT_EQ(wrong_kind.code, 400);
  EXPECT_NE(Body(wrong_kind)["message"].as_string().find("does not match"), json::string::npos);

  auto wrong_ns =
      Do("POST", "/api/v1/namespaces/kube-system/pods",
         R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x","namespace":"default"},
                         "spec":{"containers":[{"name":"c","image":"i"}]}})");
  EXPECT_EQ(wrong_ns.code, 400);

  auto yaml_bad = Do("POST", "/api/v1/namespaces/default/pods", "a: [b", {}, "application/yaml");
  EXPECT_EQ(yaml_bad.code, 400);

  auto cbor = Do("POST", "/api/v1/namespaces/default/pods", PodJson("x"), {}, "application/cbor");
  EXPECT_EQ(cbor.code, 415);
  EXPECT_EQ(Reason(cbor), "UnsupportedMediaType");
  EXPECT_NE(Body(cbor)["message"].as_string().find("application/cbor"), json::string::npos);

  auto unknown = Do("GET", "/api/v1/namespaces/default/widgets");
  EXPECT_EQ(unknown.code, 404);
  EXPECT_NE(Body(unknown)["message"].as_string().find("widgets"), json::string::npos);

  auto bad_sel = Do("GET", "/api/v1/namespaces/default/pods", "", {{"labelSelector", "a in ("}});
  EXPECT_EQ(bad_sel.code, 400);
  auto bad_field =
      Do("GET", "/api/v1/namespaces/default/pods", "", {{"fieldSelector", "spec.x=1"}});
  EXPECT_EQ(bad_field.code, 400);
  auto bad_method = Do("PUT", "/api/v1/namespaces/default/pods");
  EXPECT_EQ(bad_method.code, 405);
}

TEST_F(RestTest, WrongApiVersionIsA400NamingIt) {
  auto r = Do("POST", "/api/v1/namespaces/default/pods",
              R"({"apiVersion":"apps/v1","kind":"Pod","metadata":{"name":"x"},
                  "spec":{"containers":[{"name":"c","image":"i"}]}})");
  EXPECT_EQ(r.code, 400) << r.body;
  EXPECT_EQ(Reason(r), "BadRequest");
  EXPECT_NE(Body(r)["message"].as_string().find("apps/v1"), json::string::npos) << r.body;
  auto not_object = Do("POST", "/api/v1/namespaces/default/pods", "[1,2]");
  EXPECT_EQ(not_object.code, 400) << not_object.body;
  auto wrong_type = Do("POST", "/api/v1/namespaces/default/pods",
                       R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},
                           "spec":{"containers":"nope"}})");
  EXPECT_EQ(wrong_type.code, 400) << wrong_type.body;
  EXPECT_NE(Body(wrong_type)["message"].as_string().find("containers"), json::string::npos)
      << wrong_type.body;
}

// Every truncation of a valid body is a clear 4xx Status, never a crash or a
// 5xx (JSON: always 400; YAML: a truncated document may still be a valid,
// smaller object).
TEST_F(RestTest, TruncatedBodiesNeverCrash) {
  const std::string body = PodJson("cut");
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = Do("POST", "/api/v1/namespaces/default/pods", body.substr(0, n));
    ASSERT_EQ(r.code, 400) << "prefix " << n << ": " << r.body;
    EXPECT_EQ(Body(r)["kind"], "Status");
  }
  const std::string yaml =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cut\n  labels: {app: web}\nspec:\n"
      "  containers:\n  - name: c\n    image: busybox\n    ports: [{containerPort: 80}]\n";
  for (size_t n = 0; n < yaml.size(); ++n) {
    auto r =
        Do("POST", "/api/v1/namespaces/default/pods", yaml.substr(0, n), {}, "application/yaml");
    ASSERT_TRUE((r.code >= 400 && r.code < 500) || r.code == 201)
        << "prefix " << n << ": " << r.code << " " << r.body;
    if (r.code == 201) Do("DELETE", "/api/v1/namespaces/default/pods/cut");
  }
}

TEST_F(RestTest, YamlBodiesAndFieldValidation) {
  const std::string yaml =
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: y\nspec:\n  containers:\n  - name: c\n"
      "    image: busybox\n    bogus: 1\n";
  auto strict = Do("POST", "/api/v1/namespaces/default/pods", yaml, {{"fieldValidation", "Strict"}},
                   "application/yaml");
  EXPECT_EQ(strict.code, 400) << strict.body;
  EXPECT_NE(Body(strict)["message"].as_string().find("bogus"), json::string::npos);
  auto warn = Do("POST", "/api/v1/namespaces/default/pods", yaml, {}, "application/yaml");
  ASSERT_EQ(warn.code, 201) << warn.body;
  ASSERT_EQ(warn.headers.size(), 1u);
  EXPECT_EQ(warn.headers[0].first, "Warning");
  EXPECT_NE(warn.headers[0].second.find("bogus"), std::string::npos);
  EXPECT_EQ(Body(warn)["spec"].at("containers").at(0).at("imagePullPolicy"), "Always");
}

// As kube-apiserver, a body with neither kind nor apiVersion is taken as the
// URL's kind (the Python client sends dicts as they are); one with only one
// of them, or another kind, is still refused.
TEST_F(RestTest, BodyWithoutKindAndApiVersionTakesTheUrlsKind) {
  auto ns = Do("POST", "/api/v1/namespaces", R"({"metadata":{"name":"untyped"}})");
  ASSERT_EQ(ns.code, 201) << ns.body;
  EXPECT_EQ(Body(ns)["kind"], "Namespace");
  auto half = Do("POST", "/api/v1/namespaces", R"({"apiVersion":"v1","metadata":{"name":"h"}})");
  EXPECT_EQ(half.code, 400) << half.body;
  auto other = Do("POST", "/api/v1/namespaces",
                  R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"p"}})");
  EXPECT_EQ(other.code, 400) << other.body;
}

TEST_F(RestTest, NamespaceMustExist) {
  auto r = Do("POST", "/api/v1/namespaces/team-a/pods", PodJson("web"));
  EXPECT_EQ(r.code, 404) << r.body;
  ASSERT_EQ(Do("POST", "/api/v1/namespaces",
               R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}})")
                .code,
            201);
  EXPECT_EQ(Do("POST", "/api/v1/namespaces/team-a/pods", PodJson("web")).code, 201);
  // Deleting it makes it Terminating and closes it to new objects; the
  // namespace controller empties it (api_conformance_test).
  EXPECT_EQ(Do("DELETE", "/api/v1/namespaces/team-a").code, 200);
  EXPECT_EQ(Body(Do("GET", "/api/v1/namespaces/team-a"))["status"].at("phase"), "Terminating");
  auto late = Do("POST", "/api/v1/namespaces/team-a/pods", PodJson("late"));
  EXPECT_EQ(late.code, 403) << late.body;
  EXPECT_NE(late.body.find("is being terminated"), std::string::npos) << late.body;
  auto sys = Do("DELETE", "/api/v1/namespaces/default");
  EXPECT_EQ(sys.code, 403);
  EXPECT_EQ(Reason(sys), "Forbidden");
}

TEST_F(RestTest, ListSelectorsPagingAndAllNamespaces) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods",
                 PodJson("p" + std::to_string(i), i % 2 ? R"({"app":"web"})" : R"({"app":"db"})",
                         i < 2 ? "n1" : ""))
                  .code,
              201);
  }
  auto web = Do("GET", "/api/v1/namespaces/default/pods", "", {{"labelSelector", "app=web"}});
  ASSERT_EQ(web.code, 200);
  EXPECT_EQ(Body(web)["items"].as_array().size(), 2u);
  EXPECT_EQ(Body(web)["kind"], "PodList");
  auto bound = Do("GET", "/api/v1/pods", "", {{"fieldSelector", "spec.nodeName=n1"}});
  EXPECT_EQ(Body(bound)["items"].as_array().size(), 2u);
  auto by_name = Do("GET", "/api/v1/pods", "", {{"fieldSelector", "metadata.name=p3"}});
  EXPECT_EQ(Body(by_name)["items"].as_array().size(), 1u);

  std::vector<std::string> seen;
  std::string cont;
  std::string rv;
  do {
    std::map<std::string, std::string> q{{"limit", "2"}};
    if (!cont.empty()) q["continue"] = cont;
    auto page = Body(Do("GET", "/api/v1/namespaces/default/pods", "", q));
    for (auto& i : page["items"].as_array())
      seen.emplace_back(i.at("metadata").at("name").as_string());
    auto& meta = page["metadata"].as_object();
    cont = meta.contains("continue") ? std::string(meta["continue"].as_string()) : "";
    if (rv.empty()) rv = std::string(meta["resourceVersion"].as_string());
    EXPECT_EQ(meta["resourceVersion"].as_string(), rv);  // one snapshot
    if (seen.size() == 2) {
      // A write between pages is not seen by the paged list.
      ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("p9")).code, 201);
    }
  } while (!cont.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"p0", "p1", "p2", "p3", "p4"}));
  auto bad = Do("GET", "/api/v1/namespaces/default/pods", "", {{"continue", "garbage"}});
  EXPECT_EQ(bad.code, 400);
}

TEST_F(RestTest, TableOutput) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("web")).code, 201);
  auto r = Do("GET", "/api/v1/namespaces/default/pods", "", {}, "",
              "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  ASSERT_EQ(r.code, 200);
  auto t = Body(r);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["rows"].as_array().size(), 1u);
  EXPECT_EQ(t["rows"].at(0).at("cells").at(0), "web");
}

TEST_F(RestTest, UpdateConflictAndStatusSubresource) {
  auto created = Body(Do("POST", "/api/v1/namespaces/default/pods", PodJson("web")));
  const std::string rv(created["metadata"].at("resourceVersion").as_string());
  created["metadata"].as_object()["labels"].as_object()["tier"] = "front";
  created["status"].as_object()["phase"] = "Running";  // ignored by a spec update
  auto upd = Do("PUT", "/api/v1/namespaces/default/pods/web", json::serialize(created));
  ASSERT_EQ(upd.code, 200) << upd.body;
  EXPECT_EQ(Body(upd)["metadata"].at("labels").at("tier"), "front");
  EXPECT_EQ(Body(upd)["status"].at("phase"), "Pending");
  // Same stale resourceVersion again: 409 Conflict.
  auto stale = Do("PUT", "/api/v1/namespaces/default/pods/web", json::serialize(created));
  EXPECT_EQ(stale.code, 409);
  EXPECT_EQ(Reason(stale), "Conflict");
  // Status through /status.
  auto cur = Body(upd);
  cur["status"].as_object()["phase"] = "Running";
  auto st = Do("PUT", "/api/v1/namespaces/default/pods/web/status", json::serialize(cur));
  ASSERT_EQ(st.code, 200) << st.body;
  EXPECT_EQ(Body(st)["status"].at("phase"), "Running");
  // Name mismatch between URL and body.
  auto mismatch = Do("PUT", "/api/v1/namespaces/default/pods/other", json::serialize(cur));
  EXPECT_EQ(mismatch.code, 400);
  EXPECT_NE(Body(mismatch)["message"].as_string().find("does not match"), json::string::npos);
}

TEST_F(RestTest, PatchKinds) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("web")).code, 201);
  const std::string path = "/api/v1/namespaces/default/pods/web";
  auto merge =
      Do("PATCH", path, R"({"metadata":{"labels":{"x":"1"}}})", {}, "application/merge-patch+json");
  ASSERT_EQ(merge.code, 200) << merge.body;
  EXPECT_EQ(Body(merge)["metadata"].at("labels").at("x"), "1");
  auto jp = Do("PATCH", path, R"([{"op":"replace","path":"/metadata/labels/x","value":"2"}])", {},
               "application/json-patch+json");
  ASSERT_EQ(jp.code, 200) << jp.body;
  EXPECT_EQ(Body(jp)["metadata"].at("labels").at("x"), "2");
  auto smp = Do("PATCH", path,
                R"({"spec":{"$setElementOrder/containers":[{"name":"c"}],
                    "containers":[{"name":"c","image":"nginx:1.26"}]}})",
                {}, "application/strategic-merge-patch+json");
  ASSERT_EQ(smp.code, 200) << smp.body;
  EXPECT_EQ(Body(smp)["spec"].at("containers").at(0).at("image"), "nginx:1.26");
  EXPECT_EQ(Body(smp)["spec"].at("containers").at(0).at("name"), "c");
  auto apply = Do("PATCH", path, "{}", {}, "application/apply-patch+yaml");
  EXPECT_EQ(apply.code, 415);
  EXPECT_NE(Body(apply)["message"].as_string().find("server-side apply"), json::string::npos);
  auto bad =
      Do("PATCH", path, R"([{"op":"remove","path":"/nope"}])", {}, "application/json-patch+json");
  EXPECT_EQ(bad.code, 422);
  auto pinned = Do("PATCH", path, R"({"metadata":{"resourceVersion":"1","labels":{"y":"1"}}})", {},
                   "application/merge-patch+json");
  EXPECT_EQ(pinned.code, 409);
  auto missing =
      Do("PATCH", "/api/v1/namespaces/default/pods/none", "{}", {}, "application/merge-patch+json");
  EXPECT_EQ(missing.code, 404);
  auto strict = Do("PATCH", path, R"({"spec":{"bogus":1}})", {{"fieldValidation", "Strict"}},
                   "application/merge-patch+json");
  EXPECT_EQ(strict.code, 400);
}

TEST_F(RestTest, GracefulDeleteOfBoundPod) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("web", "{}", "n1")).code, 201);
  auto d =
      Do("DELETE", "/api/v1/namespaces/default/pods/web", R"({"propagationPolicy":"Background"})");
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_TRUE(Body(d)["metadata"].as_object().contains("deletionTimestamp"));
  EXPECT_EQ(Body(d)["metadata"].at("deletionGracePeriodSeconds"), 30);
  EXPECT_EQ(Do("GET", "/api/v1/namespaces/default/pods/web").code, 200);
  // The kubelet confirms with grace 0.
  auto confirm = Do("DELETE", "/api/v1/namespaces/default/pods/web", R"({"gracePeriodSeconds":0})");
  EXPECT_EQ(confirm.code, 200);
  EXPECT_EQ(Do("GET", "/api/v1/namespaces/default/pods/web").code, 404);
  // An unbound pod goes at once.
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("free")).code, 201);
  EXPECT_EQ(Do("DELETE", "/api/v1/namespaces/default/pods/free").code, 200);
  EXPECT_EQ(Do("GET", "/api/v1/namespaces/default/pods/free").code, 404);
  auto pre = Do("DELETE", "/api/v1/namespaces/default/pods/none");
  EXPECT_EQ(pre.code, 404);
}

TEST_F(RestTest, DeleteCollection) {
  for (auto n : {"a", "b", "c"}) {
    ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods",
                 PodJson(n, std::string(n) == "c" ? R"({"app":"db"})" : R"({"app":"web"})"))
                  .code,
              201);
  }
  auto r = Do("DELETE", "/api/v1/namespaces/default/pods", "", {{"labelSelector", "app=web"}});
  ASSERT_EQ(r.code, 200) << r.body;
  EXPECT_EQ(Body(r)["items"].as_array().size(), 2u);
  EXPECT_EQ(Body(Do("GET", "/api/v1/namespaces/default/pods"))["items"].as_array().size(), 1u);
}

class RcTest : public RestTest {
 protected:
  std::string uid_;
  void SetUp() override {
    auto rc = Do("POST", "/api/v1/namespaces/default/replicationcontrollers",
                 R"({"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"web"},
                     "spec":{"replicas":2,"template":{"metadata":{"labels":{"app":"web"}},
                     "spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
    ASSERT_EQ(rc.code, 201) << rc.body;
    auto b = Body(rc);
    EXPECT_EQ(b["spec"].at("selector").at("app"), "web");  // defaulted from the template
    uid_ = std::string(b["metadata"].at("uid").as_string());
    for (auto n : {"web-1", "web-2"}) {
      auto pod = json::parse(PodJson(n)).as_object();
      pod["metadata"].as_object()["ownerReferences"] =
          json::array{json::object{{"apiVersion", "v1"},
                                   {"kind", "ReplicationController"},
                                   {"name", "web"},
                                   {"uid", uid_},
                                   {"controller", true}}};
      ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", json::serialize(pod)).code, 201);
    }
    ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("unowned")).code, 201);
  }
  size_t PodCount() {
    return Body(Do("GET", "/api/v1/namespaces/default/pods"))["items"].as_array().size();
  }
};

// The API marks; the garbage collector does the rest (api_conformance_test
// runs it against this server).
TEST_F(RcTest, BackgroundDeletionRemovesTheOwnerAtOnce) {
  auto d = Do("DELETE", "/api/v1/namespaces/default/replicationcontrollers/web",
              R"({"propagationPolicy":"Background"})");
  ASSERT_EQ(d.code, 200) << d.body;
  EXPECT_EQ(Do("GET", "/api/v1/namespaces/default/replicationcontrollers/web").code, 404);
  EXPECT_EQ(PodCount(), 3u);  // until the garbage collector deletes the dependents
}

TEST_F(RcTest, ForegroundAndOrphanDeletionSetTheirFinalizers) {
  auto f = Do("DELETE", "/api/v1/namespaces/default/replicationcontrollers/web", "",
              {{"propagationPolicy", "Foreground"}});
  ASSERT_EQ(f.code, 200) << f.body;
  auto rc = Body(Do("GET", "/api/v1/namespaces/default/replicationcontrollers/web"));
  EXPECT_TRUE(rc["metadata"].as_object().contains("deletionTimestamp"));
  EXPECT_EQ(rc["metadata"].at("finalizers"), json::array{"foregroundDeletion"});
  // A later delete may change the policy.
  auto o = Do("DELETE", "/api/v1/namespaces/default/replicationcontrollers/web",
              R"({"propagationPolicy":"Orphan"})");
  ASSERT_EQ(o.code, 200) << o.body;
  rc = Body(Do("GET", "/api/v1/namespaces/default/replicationcontrollers/web"));
  EXPECT_EQ(rc["metadata"].at("finalizers"), json::array{"orphan"});
  EXPECT_EQ(PodCount(), 3u);
  auto bad = Do("DELETE", "/api/v1/namespaces/default/pods/web-2", "",
                {{"propagationPolicy", "Sideways"}});
  EXPECT_EQ(bad.code, 400);
}

TEST_F(RcTest, WithoutAPolicyAnRcIsOrphanedAsInCoreV1) {
  ASSERT_EQ(Do("DELETE", "/api/v1/namespaces/default/replicationcontrollers/web").code, 200);
  auto rc = Body(Do("GET", "/api/v1/namespaces/default/replicationcontrollers/web"));
  EXPECT_EQ(rc["metadata"].at("finalizers"), json::array{"orphan"});
  auto both = Do("DELETE", "/api/v1/namespaces/default/pods/web-1",
                 R"({"propagationPolicy":"Orphan","orphanDependents":true})");
  EXPECT_EQ(both.code, 400) << both.body;
}

TEST_F(RcTest, ScaleGetPutPatch) {
  const std::string path = "/api/v1/namespaces/default/replicationcontrollers/web/scale";
  auto g = Do("GET", path);
  ASSERT_EQ(g.code, 200);
  auto s = Body(g);
  EXPECT_EQ(s["kind"], "Scale");
  EXPECT_EQ(s["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(s["spec"].at("replicas"), 2);
  EXPECT_EQ(s["status"].at("selector"), "app=web");
  auto p = Do("PATCH", path, R"({"spec":{"replicas":5}})", {}, "application/merge-patch+json");
  ASSERT_EQ(p.code, 200) << p.body;
  EXPECT_EQ(Body(p)["spec"].at("replicas"), 5);
  auto rc = Body(Do("GET", "/api/v1/namespaces/default/replicationcontrollers/web"));
  EXPECT_EQ(rc["spec"].at("replicas"), 5);
  s["spec"].as_object()["replicas"] = 1;
  s["metadata"].as_object().erase("resourceVersion");
  auto put = Do("PUT", path, json::serialize(s));
  ASSERT_EQ(put.code, 200) << put.body;
  EXPECT_EQ(Body(put)["spec"].at("replicas"), 1);
  auto neg = Do("PATCH", path, R"({"spec":{"replicas":-1}})", {}, "application/merge-patch+json");
  EXPECT_EQ(neg.code, 422);
}

TEST_F(RestTest, BindingSetsTheNodeOnce) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("web")).code, 201);
  const std::string b =
      R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":"web"},"target":{"kind":"Node","name":"n1"}})";
  auto r = Do("POST", "/api/v1/namespaces/default/pods/web/binding", b);
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(Body(Do("GET", "/api/v1/namespaces/default/pods/web"))["spec"].at("nodeName"), "n1");
  auto again = Do("POST", "/api/v1/namespaces/default/pods/web/binding", b);
  EXPECT_EQ(again.code, 409);
  auto no_target =
      Do("POST", "/api/v1/namespaces/default/pods/web/binding", R"({"kind":"Binding"})");
  EXPECT_EQ(no_target.code, 422);
}

TEST_F(RestTest, LogsWithoutASourceAreA503) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("web", "{}", "n1")).code, 201);
  auto r = Do("GET", "/api/v1/namespaces/default/pods/web/log");
  EXPECT_EQ(r.code, 503);
  auto bad = Do("GET", "/api/v1/namespaces/default/pods/web/log", "", {{"container", "zz"}});
  EXPECT_EQ(bad.code, 400);
}

TEST_F(RestTest, ServiceClusterIpsAndNodePorts) {
  auto svc = [](std::string name, std::string extra = "") {
    return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name + R"("},"spec":{)" +
           extra + R"("selector":{"app":"web"},"ports":[{"port":80}]}})";
  };
  auto a = Do("POST", "/api/v1/namespaces/default/services", svc("a"));
  ASSERT_EQ(a.code, 201) << a.body;
  EXPECT_EQ(Body(a)["spec"].at("clusterIP"), "10.96.0.2");
  EXPECT_EQ(Body(a)["spec"].at("type"), "ClusterIP");
  EXPECT_EQ(Body(a)["spec"].at("ports").at(0).at("targetPort"), 80);
  auto b = Do("POST", "/api/v1/namespaces/default/services", svc("b", R"("type":"NodePort",)"));
  ASSERT_EQ(b.code, 201) << b.body;
  EXPECT_EQ(Body(b)["spec"].at("clusterIP"), "10.96.0.3");
  EXPECT_EQ(Body(b)["spec"].at("ports").at(0).at("nodePort"), 30000);
  auto taken =
      Do("POST", "/api/v1/namespaces/default/services", svc("c", R"("clusterIP":"10.96.0.2",)"));
  EXPECT_EQ(taken.code, 422) << taken.body;
  auto outside =
      Do("POST", "/api/v1/namespaces/default/services", svc("c", R"("clusterIP":"192.168.0.1",)"));
  EXPECT_EQ(outside.code, 422);
  // Updating keeps the IP; changing it is refused.
  auto cur = Body(Do("GET", "/api/v1/namespaces/default/services/a"));
  cur["spec"].as_object().erase("clusterIP");
  auto upd = Do("PUT", "/api/v1/namespaces/default/services/a", json::serialize(cur));
  ASSERT_EQ(upd.code, 200) << upd.body;
  EXPECT_EQ(Body(upd)["spec"].at("clusterIP"), "10.96.0.2");
  auto cur2 = Body(upd);
  cur2["spec"].as_object()["clusterIP"] = "10.96.0.5";
  EXPECT_EQ(Do("PUT", "/api/v1/namespaces/default/services/a", json::serialize(cur2)).code, 422);
  // Deleting releases it.
  ASSERT_EQ(Do("DELETE", "/api/v1/namespaces/default/services/a").code, 200);
  auto c =
      Do("POST", "/api/v1/namespaces/default/services", svc("c", R"("clusterIP":"10.96.0.2",)"));
  EXPECT_EQ(c.code, 201) << c.body;
  // Exhaustion is a clear error.
  for (auto n : {"d", "e", "f"})
    Do("POST", "/api/v1/namespaces/default/services", svc(n));
  auto full = Do("POST", "/api/v1/namespaces/default/services", svc("g"));
  EXPECT_EQ(full.code, 503) << full.body;
  EXPECT_NE(Body(full)["message"].as_string().find("10.96.0.0/29"), json::string::npos);
}

TEST_F(RestTest, AllocationsSurviveARestartOfTheRestLayer) {
  ASSERT_EQ(
      Do("POST", "/api/v1/namespaces/default/services",
         R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"a"},"spec":{"ports":[{"port":80}]}})")
          .code,
      201);
  RestServer again(store_, clock_, Options());
  ASSERT_TRUE(again.Start().ok());
  Request r;
  r.method = "POST";
  r.path = "/api/v1/namespaces/default/services";
  r.body =
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"b"},"spec":{"ports":[{"port":80}]}})";
  auto resp = again.Handle(r);
  ASSERT_EQ(resp.code, 201);
  EXPECT_EQ(Body(resp)["spec"].at("clusterIP"), "10.96.0.3");
}

// --- watch ------------------------------------------------------------------

TEST_F(RestTest, WatchFromZeroReplaysThenStreams) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("a")).code, 201);
  auto w = Watch({{"resourceVersion", "0"}});
  auto evs = w->Take();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0]["type"], "ADDED");
  EXPECT_EQ(evs[0]["object"].at("metadata").at("name"), "a");
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("b")).code, 201);
  Do("PATCH", "/api/v1/namespaces/default/pods/a", R"({"metadata":{"labels":{"v":"2"}}})", {},
     "application/merge-patch+json");
  Do("DELETE", "/api/v1/namespaces/default/pods/b");
  clock_.RunUntilIdle();
  evs = w->Take();
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(evs[0]["type"], "ADDED");
  EXPECT_EQ(evs[1]["type"], "MODIFIED");
  EXPECT_EQ(evs[2]["type"], "DELETED");
  EXPECT_EQ(evs[2]["object"].at("metadata").at("name"), "b");
  EXPECT_EQ(rest_.WatchCount(), 1u);
  EXPECT_EQ(metrics_.Watchers(), 1);
  w->Disconnect();
  clock_.RunUntilIdle();
  EXPECT_EQ(rest_.WatchCount(), 0u);
}

TEST_F(RestTest, WatchFromAListResourceVersionMissesNothing) {
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("a")).code, 201);
  auto list = Body(Do("GET", "/api/v1/namespaces/default/pods"));
  const std::string rv(list["metadata"].at("resourceVersion").as_string());
  // Changes between the list and the watch are replayed, not lost.
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("b")).code, 201);
  auto early = Watch({{"resourceVersion", rv}});  // starts the shared watcher
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("c")).code, 201);
  clock_.RunUntilIdle();
  auto w = Watch({{"resourceVersion", rv}});  // behind the shared watcher: private replay
  clock_.RunUntilIdle();
  for (auto* ws : {&early, &w}) {
    auto evs = (*ws)->Take();
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[0]["object"].at("metadata").at("name"), "b");
    EXPECT_EQ(evs[1]["object"].at("metadata").at("name"), "c");
  }
}

TEST_F(RestTest, WatchSelectorsAndTransitions) {
  auto w = Watch({{"labelSelector", "app=web"}});
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("a", R"({"app":"db"})")).code,
            201);
  Do("PATCH", "/api/v1/namespaces/default/pods/a", R"({"metadata":{"labels":{"app":"web"}}})", {},
     "application/merge-patch+json");
  Do("PATCH", "/api/v1/namespaces/default/pods/a", R"({"metadata":{"labels":{"app":"db"}}})", {},
     "application/merge-patch+json");
  clock_.RunUntilIdle();
  auto evs = w->Take();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0]["type"], "ADDED");    // starts matching
  EXPECT_EQ(evs[1]["type"], "DELETED");  // stops matching
}

TEST_F(RestTest, WatchByNodeNameIsIndexed) {
  auto n1 = Watch({{"fieldSelector", "spec.nodeName=n1"}}, "/api/v1/pods");
  auto n2 = Watch({{"fieldSelector", "spec.nodeName=n2"}}, "/api/v1/pods");
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("a")).code, 201);
  Do("POST", "/api/v1/namespaces/default/pods/a/binding",
     R"({"kind":"Binding","target":{"name":"n1"}})");
  clock_.RunUntilIdle();
  auto e1 = n1->Take();
  ASSERT_EQ(e1.size(), 1u);
  EXPECT_EQ(e1[0]["type"], "ADDED");
  EXPECT_TRUE(n2->Take().empty());
}

TEST_F(RestTest, WatchFromACompactedRevisionIsA410Error) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("p" + std::to_string(i))).code,
              201);
  }
  ASSERT_TRUE(store_.Compact(store_.CurrentRevision()).ok());
  auto w = Watch({{"resourceVersion", "2"}});
  auto evs = w->Take();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0]["type"], "ERROR");
  EXPECT_EQ(evs[0]["object"].at("code"), 410);
  EXPECT_EQ(evs[0]["object"].at("reason"), "Expired");
  EXPECT_TRUE(w->finished());
  auto list = Do("GET", "/api/v1/namespaces/default/pods", "",
                 {{"resourceVersion", "2"}, {"resourceVersionMatch", "Exact"}});
  EXPECT_EQ(list.code, 410);
}

TEST_F(RestTest, WatchTimeoutAndBookmarks) {
  auto w = Watch({{"timeoutSeconds", "5"}, {"allowWatchBookmarks", "true"}});
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("a")).code, 201);
  clock_.RunUntilIdle();
  EXPECT_EQ(w->Take().size(), 1u);
  clock_.Advance(seconds(4));
  EXPECT_FALSE(w->finished());
  clock_.Advance(seconds(2));
  EXPECT_TRUE(w->finished());
  EXPECT_EQ(rest_.WatchCount(), 0u);

  // Without a resourceVersion a watch starts with the current state (a
  // synthetic ADDED per object), then bookmarks every interval.
  auto b = Watch({{"allowWatchBookmarks", "true"}});
  EXPECT_EQ(b->Take().size(), 1u);
  clock_.Advance(seconds(59));
  EXPECT_TRUE(b->Take().empty());
  clock_.Advance(seconds(2));
  auto evs = b->Take();
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0]["type"], "BOOKMARK");
  EXPECT_EQ(evs[0]["object"].at("kind"), "Pod");
  EXPECT_EQ(evs[0]["object"].at("metadata").at("resourceVersion"),
            json::value(std::to_string(store_.CurrentRevision())));
}

TEST_F(RestTest, WatchTableEvents) {
  auto w = Watch({}, "/api/v1/namespaces/default/pods");
  Request r;
  r.method = "GET";
  r.path = "/api/v1/namespaces/default/pods";
  r.query = {{"watch", "true"}};
  r.accept = "application/json;as=Table;v=v1;g=meta.k8s.io";
  auto resp = rest_.Handle(r);
  auto t = std::make_shared<FakeWriter>();
  resp.stream(t);
  clock_.RunUntilIdle();
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("a")).code, 201);
  ASSERT_EQ(Do("POST", "/api/v1/namespaces/default/pods", PodJson("b")).code, 201);
  clock_.RunUntilIdle();
  auto evs = t->Take();
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0]["object"].at("kind"), "Table");
  EXPECT_TRUE(evs[0]["object"].at("columnDefinitions").is_array());
  EXPECT_TRUE(evs[1]["object"].at("columnDefinitions").is_null());
}

TEST_F(RestTest, ShutdownEndsWatchesAndRefusesNewOnes) {
  auto w = Watch({});
  rest_.Shutdown();
  EXPECT_TRUE(w->finished());
  auto r = Do("GET", "/api/v1/namespaces/default/pods", "", {{"watch", "true"}});
  EXPECT_EQ(r.code, 503);
  EXPECT_EQ(Do("GET", "/readyz").code, 503);
  EXPECT_EQ(Do("GET", "/healthz").code, 200);
}

TEST_F(RestTest, DiscoveryAndMetrics) {
  EXPECT_EQ(Body(Do("GET", "/api"))["kind"], "APIVersions");
  EXPECT_EQ(Body(Do("GET", "/apis"))["kind"], "APIGroupList");
  EXPECT_EQ(Body(Do("GET", "/api/v1"))["kind"], "APIResourceList");
  EXPECT_EQ(Body(Do("GET", "/version"))["major"], "1");
  EXPECT_TRUE(Body(Do("GET", "/openapi/v3")).contains("paths"));
  EXPECT_EQ(Do("GET", "/openapi/v3/api/v1").code, 200);
  Do("GET", "/api/v1/namespaces/default/pods/none");
  EXPECT_EQ(metrics_.RequestCount("get", "pods", 404), 1u);
  auto m = Do("GET", "/metrics");
  EXPECT_NE(m.body.find("apiserver_request_total{verb=\"get\",resource=\"pods\",code=\"404\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("apiserver_request_duration_seconds_bucket"), std::string::npos);
}

}  // namespace
}  // namespace navarch::apiserver
