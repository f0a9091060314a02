// apiserver::RestServer::Handle without a network: a fresh MemoryStore and
// server per input (so that every finding reproduces from its input alone),
// holding the built-in namespaces and one object of each kind (a bound pod,
// its node, a replication controller, a service, endpoints, an event).
//
// Input: five lines, then the body:
//   method            GET, POST, PUT, PATCH, DELETE, ...
//   path              /api/v1/namespaces/default/pods/web-1/status
//   query             k=v&k=v (already percent-decoded, as the server gets it)
//   content type      application/json, application/merge-patch+json, ...
//   accept            application/json;as=Table;v=v1;g=meta.k8s.io, ...
//   body              everything after the fifth newline
//
// A watch response's stream is opened and the clock advanced an hour (so
// bookmarks and timeouts fire), then the server shuts down.
//
// Invariants: no 500 (an exception escaping a handler, caught by Handle());
// a status code in 100..599; a JSON response's body parses as JSON.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/apiserver/rest.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace navarch;

constexpr std::string_view kObjects[][2] = {
    {"/api/v1/nodes",
     R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1","labels":{"zone":"a"}},
         "status":{"capacity":{"cpu":"4","memory":"8Gi","pods":"110"},
         "addresses":[{"type":"InternalIP","address":"10.1.0.1"}],
         "conditions":[{"type":"Ready","status":"True"}]}})"},
    {"/api/v1/namespaces/default/pods",
     R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","labels":{"app":"web"}},
         "spec":{"nodeName":"node-1","containers":[{"name":"app","image":"nginx:1.25",
         "ports":[{"containerPort":80}]}]}})"},
    {"/api/v1/namespaces/default/replicationcontrollers",
     R"({"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"web"},
         "spec":{"replicas":1,"selector":{"app":"web"},"template":{"metadata":{"labels":
         {"app":"web"}},"spec":{"containers":[{"name":"app","image":"nginx:1.25"}]}}}})"},
    {"/api/v1/namespaces/default/services",
     R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"type":"NodePort",
         "selector":{"app":"web"},"ports":[{"port":80,"targetPort":80}]}})"},
    {"/api/v1/namespaces/default/endpoints",
     R"({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web"},"subsets":[{"addresses":
         [{"ip":"10.0.0.5","nodeName":"node-1"}],"ports":[{"port":80}]}]})"},
    {"/api/v1/namespaces/default/events",
     R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"web-1.1"},"involvedObject":
         {"kind":"Pod","name":"web-1","namespace":"default"},"reason":"Scheduled",
         "message":"assigned","type":"Normal"})"},
};

class Logs final : public apiserver::LogSource {
 public:
  Result<std::string> Read(const api::Pod&, const Options&) override {
    return std::string("log\n");
  }
  Status Follow(const api::Pod&, const Options&,
                std::shared_ptr<apiserver::StreamWriter> out) override {
    out->Write("log\n");
    out->Finish();
    return Status::Ok();
  }
};

class Writer final : public apiserver::StreamWriter {
 public:
  bool Write(std::string chunk) override {
    std::lock_guard<std::mutex> lock(mu_);
    (void)chunk;
    return !finished_ && !closed_;
  }
  void Finish() override {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
  }
  void OnClosed(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!closed_ || finished_) {
        on_closed_ = std::move(fn);
        return;
      }
    }
    fn();  // the peer is already gone
  }
  // The peer goes away.
  void Close() {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      if (!finished_) fn = std::move(on_closed_);
      on_closed_ = nullptr;
    }
    if (fn) fn();
  }

 private:
  std::mutex mu_;
  bool finished_ = false;
  bool closed_ = false;
  std::function<void()> on_closed_;
};

std::string_view NextLine(std::string_view& in) {
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return line;
}

void CheckResponse(const apiserver::Request& request, const apiserver::Response& r) {
  if (r.code == 500) {
    fuzz::Fail(__FILE__, __LINE__, "no 500 response", request.method + " " + request.path, r.body);
  }
  FUZZ_CHECK(r.code >= 100 && r.code <= 599);
  if (!r.stream && r.content_type.starts_with("application/json") && !r.body.empty()) {
    boost::system::error_code ec;
    (void)boost::json::parse(r.body, ec);
    if (ec) fuzz::Fail(__FILE__, __LINE__, "JSON response parses", r.body, ec.message());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  apiserver::Request request;
  request.method = NextLine(in);
  request.path = NextLine(in);
  std::string_view query = NextLine(in);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    size_t eq = kv.find('=');
    request.query[std::string(kv.substr(0, eq))] =
        eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
  }
  request.content_type = NextLine(in);
  request.accept = NextLine(in);
  request.body = in;

  store::MemoryStore store;
  runtime::ManualClock clock;
  apiserver::RestOptions options;
  options.service_cidr = "10.96.0.0/29";
  options.node_port_min = 30000;
  options.node_port_max = 30003;
  options.write_pool = 1;
  apiserver::RestServer server(store, clock, options);
  Logs logs;
  server.SetLogSource(&logs);
  FUZZ_CHECK(server.Start().ok());
  for (const auto& [path, body] : kObjects) {
    apiserver::Request create;
    create.method = "POST";
    create.path = std::string(path);
    create.content_type = "application/json";
    create.body = std::string(body);
    auto r = server.Handle(create);
    if (r.code != 201) fuzz::Fail(__FILE__, __LINE__, "fixture created", create.path, r.body);
  }
  clock.RunUntilIdle();

  apiserver::Response response = server.Handle(request);
  CheckResponse(request, response);
  if (response.stream) {
    auto writer = std::make_shared<Writer>();
    response.stream(writer);
    clock.RunUntilIdle();
    clock.Advance(hours(1));
    writer->Close();
    clock.RunUntilIdle();
  }
  server.Shutdown();
  clock.RunUntilIdle();
  return 0;
}
