#include "backends/docker/docker_ops.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <utility>

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace navarch::docker {
namespace {

namespace json = boost::json;
namespace beast = boost::beast;
namespace http = beast::http;
using runtime::ContainerState;

constexpr size_t kMaxExecOutput = 64 * 1024;

std::string Short(const std::string& id) {
  return id.substr(0, 12);
}

// --- JSON helpers ------------------------------------------------------------

const json::object* Obj(const json::value* v) {
  return v && v->is_object() ? &v->as_object() : nullptr;
}
const json::value* Field(const json::object* o, std::string_view key) {
  return o ? o->if_contains(key) : nullptr;
}
const json::object* ObjField(const json::object* o, std::string_view key) {
  return Obj(Field(o, key));
}
std::string Str(const json::object* o, std::string_view key) {
  const json::value* v = Field(o, key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
int64_t Int(const json::object* o, std::string_view key) {
  const json::value* v = Field(o, key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return 0;
}
bool Bool(const json::object* o, std::string_view key) {
  const json::value* v = Field(o, key);
  return v && v->is_bool() && v->as_bool();
}
runtime::RuntimeLabels LabelsOf(const json::object* o) {
  runtime::RuntimeLabels out;
  if (!o) return out;
  for (const auto& [k, v] : *o) {
    if (v.is_string()) out[std::string(k)] = std::string(v.as_string());
  }
  return out;
}
std::string Label(const runtime::RuntimeLabels& labels, std::string_view key) {
  auto it = labels.find(std::string(key));
  return it == labels.end() ? std::string() : it->second;
}
uint32_t ParseU32(const std::string& s) {
  uint32_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

Result<json::value> ParseBody(const HttpResponse& r, std::string_view what) {
  json::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec) {
    return Internal("dockerd answered " + std::string(what) +
                    " with something that is not JSON: " + ec.message());
  }
  return v;
}

// Docker's RFC 3339 timestamps; "0001-01-01T00:00:00Z" (Go's zero time) is unset.
Time DockerTime(const std::string& text) {
  if (text.empty() || text.rfind("0001-", 0) == 0) return Time();
  auto t = Time::ParseRfc3339(text);
  return t.ok() ? *t : Time();
}

Status FromHttp(const HttpResponse& r, const std::string& what) {
  std::string msg = what + ": dockerd: " + r.Message();
  switch (r.status) {
    case 404:
      return NotFound(std::move(msg));
    case 400:
      return InvalidArgument(std::move(msg));
    case 409:
      return Conflict(std::move(msg));
    default:
      return Internal(msg + " (HTTP " + std::to_string(r.status) + ")");
  }
}

bool Ok2xx(const HttpResponse& r) {
  return r.status >= 200 && r.status < 300;
}

std::string FiltersQuery(const std::vector<std::pair<std::string, std::string>>& filters) {
  json::object o;
  for (const auto& [k, v] : filters) {
    auto& arr = o[k];
    if (!arr.is_array()) arr = json::array();
    arr.as_array().push_back(json::string(v));
  }
  return UrlEncode(json::serialize(o));
}

// "default/web-1" from a label set.
std::string PodOf(const runtime::RuntimeLabels& labels) {
  return Label(labels, runtime::kLabelPodNamespace) + "/" + Label(labels, runtime::kLabelPodName);
}

std::string ContainerWhat(const runtime::RuntimeLabels& labels, const std::string& id) {
  if (labels.count(std::string(runtime::kLabelContainerName))) {
    return "container \"" + Label(labels, runtime::kLabelContainerName) + "\" of pod " +
           PodOf(labels) + " (" + Short(id) + ")";
  }
  return "container " + Short(id);
}

runtime::ContainerStatus StatusFromInspect(const json::object* c, Time now) {
  runtime::ContainerStatus s;
  s.id = Str(c, "Id");
  const json::object* config = ObjField(c, "Config");
  const json::object* state = ObjField(c, "State");
  s.labels = LabelsOf(ObjField(config, "Labels"));
  s.sandbox_id = Label(s.labels, kLabelSandboxId);
  s.name = Label(s.labels, runtime::kLabelContainerName);
  s.attempt = ParseU32(Label(s.labels, runtime::kLabelAttempt));
  s.image = Str(config, "Image");
  s.image_ref = Str(c, "Image");
  s.created_at = DockerTime(Str(c, "Created"));
  s.started_at = DockerTime(Str(state, "StartedAt"));
  s.finished_at = DockerTime(Str(state, "FinishedAt"));
  const std::string status = Str(state, "Status");
  const std::string error = Str(state, "Error");
  s.exit_code = static_cast<int32_t>(Int(state, "ExitCode"));
  if (status == "running" || status == "paused" || status == "restarting") {
    s.state = ContainerState::kRunning;
  } else if (status == "exited" || status == "dead" || status == "removing") {
    s.state = ContainerState::kExited;
  } else if (status == "created") {
    s.state = error.empty() ? ContainerState::kCreated : ContainerState::kExited;
  } else {
    s.state = ContainerState::kUnknown;
  }
  if (s.state == ContainerState::kExited) {
    if (!error.empty()) {
      s.reason = "ContainerCannotRun";
      s.message = error;
      if (s.exit_code == 0) s.exit_code = 128;
    } else if (Bool(state, "OOMKilled")) {
      s.reason = "OOMKilled";
    } else {
      s.reason = s.exit_code == 0 ? "Completed" : "Error";
    }
    if (s.finished_at.IsZero()) s.finished_at = now;
  }
  return s;
}

std::string PodIpOf(const json::object* network_settings) {
  std::string ip = Str(network_settings, "IPAddress");
  if (!ip.empty()) return ip;
  if (const json::object* nets = ObjField(network_settings, "Networks")) {
    for (const auto& [name, net] : *nets) {
      std::string a = Str(Obj(&net), "IPAddress");
      if (!a.empty()) return a;
    }
  }
  return "";
}

// The Docker name, from characters Docker accepts ([a-zA-Z0-9_.-]).
std::string SafeName(std::string in) {
  for (char& c : in) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '-';
  }
  return in;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<runtime::PortMapping> PortsOf(const json::object* network_settings) {
  std::vector<runtime::PortMapping> out;
  const json::object* ports = ObjField(network_settings, "Ports");
  if (!ports) return out;
  for (const auto& [key, bindings] : *ports) {
    if (!bindings.is_array()) continue;
    const std::string k(key);
    const size_t slash = k.find('/');
    runtime::PortMapping m;
    std::from_chars(k.data(), k.data() + (slash == std::string::npos ? k.size() : slash),
                    m.container_port);
    std::string proto = slash == std::string::npos ? "tcp" : k.substr(slash + 1);
    std::transform(proto.begin(), proto.end(), proto.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    m.protocol = proto;
    for (const auto& b : bindings.as_array()) {
      runtime::PortMapping one = m;
      one.host_ip = Str(Obj(&b), "HostIp");
      const std::string hp = Str(Obj(&b), "HostPort");
      std::from_chars(hp.data(), hp.data() + hp.size(), one.host_port);
      out.push_back(std::move(one));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.container_port, a.protocol, a.host_ip, a.host_port) <
           std::tie(b.container_port, b.protocol, b.host_ip, b.host_port);
  });
  return out;
}

}  // namespace

// --- Daemon --------------------------------------------------------------------

asio::awaitable<Result<std::string>> Ops::Version() {
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r, co_await client_.Call(Verb::get, "/version", {}, options_.request_timeout));
  if (!Ok2xx(r)) co_return FromHttp(r, "asking dockerd for its version");
  NAVARCH_ASSIGN_OR_RETURN_CO(auto v, ParseBody(r, "/version"));
  co_return Str(Obj(&v), "Version");
}

asio::awaitable<Result<std::string>> Ops::ImageId(std::string image) {
  if (image.empty()) co_return InvalidArgument("image name is empty; name an image");
  NAVARCH_ASSIGN_OR_RETURN_CO(auto r, co_await client_.Call(Verb::get, "/images/" + image + "/json",
                                                            {}, options_.request_timeout));
  if (r.status == 404) {
    co_return NotFound("image \"" + image +
                       "\" is not present locally and this runtime does not pull from "
                       "registries; build it (scripts/build-images builds navarch/pause:1 and "
                       "navarch/busybox:1) or `docker load` it on this host");
  }
  if (!Ok2xx(r)) co_return FromHttp(r, "inspecting image \"" + image + "\"");
  NAVARCH_ASSIGN_OR_RETURN_CO(auto v, ParseBody(r, "image inspect"));
  co_return Str(Obj(&v), "Id");
}

// --- Sandboxes -----------------------------------------------------------------

asio::awaitable<Result<runtime::RunPodSandboxResult>> Ops::RunSandbox(
    runtime::PodSandboxConfig cfg) {
  const std::string pod = cfg.pod_namespace + "/" + cfg.pod_name;
  if (cfg.pod_uid.empty() || cfg.pod_name.empty()) {
    co_return InvalidArgument("pod sandbox of " + pod +
                              ": the pod uid and name are required; set them in the config");
  }
  auto image = co_await ImageId(options_.sandbox_image);
  if (!image.ok()) {
    if (image.code() != Code::kNotFound) co_return image.status();
    co_return InvalidArgument("pod " + pod + ": the sandbox " + image.status().message() +
                              " (the sandbox image is set with the runtime's sandbox image "
                              "option)");
  }
  runtime::RuntimeLabels labels = cfg.labels;
  for (const auto& [k, v] : options_.extra_labels)
    labels[k] = v;
  labels[std::string(runtime::kLabelPodUid)] = cfg.pod_uid;
  labels[std::string(runtime::kLabelPodNamespace)] = cfg.pod_namespace;
  labels[std::string(runtime::kLabelPodName)] = cfg.pod_name;
  labels[std::string(runtime::kLabelNodeName)] = cfg.node_name;
  labels[std::string(kLabelKind)] = "sandbox";
  labels[std::string(kLabelSandboxAttempt)] = std::to_string(cfg.attempt);

  json::object body;
  body["Image"] = options_.sandbox_image;
  json::object jl;
  for (const auto& [k, v] : labels)
    jl[k] = v;
  body["Labels"] = std::move(jl);
  json::object host;
  host["RestartPolicy"] = json::object{{"Name", "no"}};
  if (cfg.host_network) {
    host["NetworkMode"] = "host";
  } else {
    body["Hostname"] = cfg.hostname.empty() ? cfg.pod_name : cfg.hostname;
    json::object exposed, bindings;
    for (const auto& m : cfg.port_mappings) {
      if (m.container_port <= 0 || m.container_port > 65535) {
        co_return InvalidArgument("pod " + pod + ": container port " +
                                  std::to_string(m.container_port) +
                                  " is out of range; use 1-65535");
      }
      const std::string proto = Lower(m.protocol.empty() ? "TCP" : m.protocol);
      if (proto != "tcp" && proto != "udp") {
        co_return InvalidArgument("pod " + pod + ": port protocol \"" + m.protocol +
                                  "\" is not supported by Docker here; use TCP or UDP");
      }
      const std::string key = std::to_string(m.container_port) + "/" + proto;
      exposed[key] = json::object();
      json::object b;
      b["HostIp"] = m.host_ip.empty() ? options_.publish_ip : m.host_ip;
      b["HostPort"] = m.host_port > 0 ? std::to_string(m.host_port) : std::string();
      auto& arr = bindings[key];
      if (!arr.is_array()) arr = json::array();
      arr.as_array().push_back(std::move(b));
    }
    body["ExposedPorts"] = std::move(exposed);
    host["PortBindings"] = std::move(bindings);
  }
  body["HostConfig"] = std::move(host);
  const std::string payload = json::serialize(body);
  const std::string name = SafeName("navarch_POD_" + cfg.pod_name + "_" + cfg.pod_namespace + "_" +
                                    cfg.pod_uid.substr(0, 8) + "_" + std::to_string(cfg.attempt));
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r, co_await client_.Call(Verb::post, "/containers/create?name=" + UrlEncode(name),
                                    payload, options_.request_timeout));
  if (r.status == 409) {  // a leftover with that name: let dockerd name it
    NAVARCH_ASSIGN_OR_RETURN_CO(r, co_await client_.Call(Verb::post, "/containers/create", payload,
                                                         options_.request_timeout));
  }
  if (!Ok2xx(r)) co_return FromHttp(r, "creating the sandbox of pod " + pod);
  NAVARCH_ASSIGN_OR_RETURN_CO(auto created, ParseBody(r, "container create"));
  const std::string id = Str(Obj(&created), "Id");

  NAVARCH_ASSIGN_OR_RETURN_CO(auto started,
                              co_await client_.Call(Verb::post, "/containers/" + id + "/start", {},
                                                    options_.request_timeout));
  if (!Ok2xx(started) && started.status != 304) {
    // Do not leave a dead sandbox behind; the kubelet retries.
    (void)co_await client_.Call(Verb::delete_, "/containers/" + id + "?force=1&v=1", {},
                                options_.request_timeout);
    const std::string msg = started.Message();
    if (msg.find("already allocated") != std::string::npos ||
        msg.find("address already in use") != std::string::npos) {
      co_return InvalidArgument("pod " + pod +
                                ": a host port is already in use on this node: " + msg);
    }
    co_return FromHttp(started, "starting the sandbox of pod " + pod);
  }
  runtime::RunPodSandboxResult out;
  out.id = id;
  if (cfg.host_network) {
    out.pod_ip = options_.host_ip;
  } else {
    NAVARCH_ASSIGN_OR_RETURN_CO(auto ins,
                                co_await client_.Call(Verb::get, "/containers/" + id + "/json", {},
                                                      options_.request_timeout));
    if (!Ok2xx(ins)) co_return FromHttp(ins, "inspecting the sandbox of pod " + pod);
    NAVARCH_ASSIGN_OR_RETURN_CO(auto v, ParseBody(ins, "container inspect"));
    out.pod_ip = PodIpOf(ObjField(Obj(&v), "NetworkSettings"));
    out.published_ports = PortsOf(ObjField(Obj(&v), "NetworkSettings"));
  }
  co_return out;
}

asio::awaitable<Status> Ops::StopSandbox(runtime::SandboxId id, Duration grace) {
  runtime::ContainerFilter f;
  f.labels[std::string(kLabelSandboxId)] = id;
  NAVARCH_ASSIGN_OR_RETURN_CO(auto members, co_await ListContainers(f));
  // Signal every running member first, so that they all get the whole grace
  // period, then wait for each within what is left of it.
  for (const auto& c : members) {
    if (c.state != ContainerState::kRunning) continue;
    (void)co_await client_.Call(Verb::post, "/containers/" + c.id + "/kill?signal=SIGTERM", {},
                                options_.request_timeout);
  }
  const Time deadline = clock_.Now() + grace;
  for (const auto& c : members) {
    if (c.state != ContainerState::kRunning) continue;
    Duration left = deadline - clock_.Now();
    if (left.count() < 0) left = Duration(0);
    Status st = co_await StopContainer(c.id, left);
    if (!st.ok() && st.code() != Code::kNotFound) co_return st;
  }
  Status st = co_await StopContainer(id, grace);
  if (st.code() == Code::kNotFound)
    co_return NotFound("pod sandbox " + Short(id) + " does not exist");
  co_return st;
}

asio::awaitable<Status> Ops::RemoveSandbox(runtime::SandboxId id) {
  runtime::ContainerFilter f;
  f.labels[std::string(kLabelSandboxId)] = id;
  NAVARCH_ASSIGN_OR_RETURN_CO(auto members, co_await ListContainers(f));
  for (const auto& c : members) {
    Status st = co_await RemoveContainer(c.id);
    if (!st.ok() && st.code() != Code::kNotFound) co_return st;
  }
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r, co_await client_.Call(Verb::delete_, "/containers/" + id + "?force=1&v=1", {},
                                    options_.request_timeout));
  if (r.status == 404) co_return NotFound("pod sandbox " + Short(id) + " does not exist");
  if (!Ok2xx(r) && r.status != 409) co_return FromHttp(r, "removing pod sandbox " + Short(id));
  co_return Status::Ok();
}

asio::awaitable<Result<std::vector<runtime::PodSandboxStatus>>> Ops::ListSandboxes(
    runtime::SandboxFilter filter) {
  std::vector<std::pair<std::string, std::string>> filters;
  filters.emplace_back("label", std::string(kLabelKind) + "=sandbox");
  for (const auto& [k, v] : filter.labels)
    filters.emplace_back("label", k + "=" + v);
  // A runtime that stamps extra labels sees only what it made (two
  // `navarch run`s of one scenario on one dockerd share node names).
  for (const auto& [k, v] : options_.extra_labels)
    filters.emplace_back("label", k + "=" + v);
  if (filter.id) filters.emplace_back("id", *filter.id);
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r,
      co_await client_.Call(Verb::get, "/containers/json?all=1&filters=" + FiltersQuery(filters),
                            {}, options_.request_timeout));
  if (!Ok2xx(r)) co_return FromHttp(r, "listing pod sandboxes");
  NAVARCH_ASSIGN_OR_RETURN_CO(auto v, ParseBody(r, "container list"));
  std::vector<runtime::PodSandboxStatus> out;
  if (!v.is_array()) co_return out;
  for (const auto& item : v.as_array()) {
    const json::object* c = Obj(&item);
    runtime::PodSandboxStatus s;
    s.id = Str(c, "Id");
    if (filter.id && s.id != *filter.id) continue;
    s.labels = LabelsOf(ObjField(c, "Labels"));
    s.pod_uid = Label(s.labels, runtime::kLabelPodUid);
    s.pod_namespace = Label(s.labels, runtime::kLabelPodNamespace);
    s.pod_name = Label(s.labels, runtime::kLabelPodName);
    s.attempt = ParseU32(Label(s.labels, kLabelSandboxAttempt));
    s.state = Str(c, "State") == "running" ? runtime::SandboxState::kReady
                                           : runtime::SandboxState::kNotReady;
    s.created_at = Time::FromUnixSeconds(Int(c, "Created"));
    if (s.state == runtime::SandboxState::kReady) {
      if (Str(ObjField(c, "HostConfig"), "NetworkMode") == "host") {
        s.pod_ip = options_.host_ip;
      } else {
        s.pod_ip = PodIpOf(ObjField(c, "NetworkSettings"));
      }
    }
    if (filter.state && s.state != *filter.state) continue;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  co_return out;
}

asio::awaitable<Result<std::vector<runtime::PortMapping>>> Ops::PublishedPorts(
    runtime::SandboxId id) {
  NAVARCH_ASSIGN_OR_RETURN_CO(auto r,
                              co_await client_.Call(Verb::get, "/containers/" + id + "/json", {},
                                                    options_.request_timeout));
  if (r.status == 404) co_return NotFound("pod sandbox " + Short(id) + " does not exist");
  if (!Ok2xx(r)) co_return FromHttp(r, "inspecting pod sandbox " + Short(id));
  NAVARCH_ASSIGN_OR_RETURN_CO(auto v, ParseBody(r, "container inspect"));
  co_return PortsOf(ObjField(Obj(&v), "NetworkSettings"));
}

// --- Containers ----------------------------------------------------------------

asio::awaitable<Result<runtime::ContainerId>> Ops::CreateContainer(runtime::SandboxId sandbox,
                                                                   runtime::ContainerConfig cfg) {
  // The sandbox: it must exist and run, since the container joins its network.
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto sr, co_await client_.Call(Verb::get, "/containers/" + sandbox + "/json", {},
                                     options_.request_timeout));
  if (sr.status == 404) {
    co_return NotFound("container \"" + cfg.name + "\": pod sandbox " + Short(sandbox) +
                       " does not exist");
  }
  if (!Ok2xx(sr)) co_return FromHttp(sr, "inspecting pod sandbox " + Short(sandbox));
  NAVARCH_ASSIGN_OR_RETURN_CO(auto sv, ParseBody(sr, "container inspect"));
  const json::object* so = Obj(&sv);
  const runtime::RuntimeLabels sandbox_labels =
      LabelsOf(ObjField(ObjField(so, "Config"), "Labels"));
  const std::string pod = PodOf(sandbox_labels);
  const std::string what = "container \"" + cfg.name + "\" of pod " + pod;
  if (!Bool(ObjField(so, "State"), "Running")) {
    co_return NotFound(what + ": pod sandbox " + Short(sandbox) + " is not running");
  }
  if (cfg.name.empty()) co_return InvalidArgument("pod " + pod + ": a container has no name");
  auto image = co_await ImageId(cfg.image);
  if (!image.ok()) {
    if (image.code() == Code::kNotFound || image.code() == Code::kInvalidArgument) {
      co_return InvalidArgument(what + ": " + image.status().message());
    }
    co_return image.status();
  }

  runtime::RuntimeLabels labels = cfg.labels;
  for (const auto& [k, v] : options_.extra_labels)
    labels[k] = v;
  for (std::string_view key : {runtime::kLabelPodUid, runtime::kLabelPodNamespace,
                               runtime::kLabelPodName, runtime::kLabelNodeName}) {
    const std::string k(key);
    if (!labels.count(k) && sandbox_labels.count(k)) labels[k] = sandbox_labels.at(k);
  }
  labels[std::string(runtime::kLabelContainerName)] = cfg.name;
  labels[std::string(runtime::kLabelAttempt)] = std::to_string(cfg.attempt);
  labels[std::string(kLabelKind)] = "container";
  labels[std::string(kLabelSandboxId)] = sandbox;

  json::object body;
  body["Image"] = cfg.image;
  if (!cfg.command.empty()) {
    json::array a;
    for (const auto& s : cfg.command)
      a.push_back(json::string(s));
    body["Entrypoint"] = std::move(a);
  }
  if (!cfg.args.empty()) {
    json::array a;
    for (const auto& s : cfg.args)
      a.push_back(json::string(s));
    body["Cmd"] = std::move(a);
  }
  if (!cfg.env.empty()) {
    json::array a;
    for (const auto& e : cfg.env) {
      if (e.name.empty() || e.name.find('=') != std::string::npos) {
        co_return InvalidArgument(what + ": environment variable name \"" + e.name +
                                  "\" is empty or contains '='; fix env[].name");
      }
      a.push_back(json::string(e.name + "=" + e.value));
    }
    body["Env"] = std::move(a);
  }
  if (!cfg.working_dir.empty()) body["WorkingDir"] = cfg.working_dir;
  json::object jl;
  for (const auto& [k, v] : labels)
    jl[k] = v;
  body["Labels"] = std::move(jl);
  body["Tty"] = false;
  json::object host;
  host["NetworkMode"] = "container:" + sandbox;
  host["RestartPolicy"] = json::object{{"Name", "no"}};
  host["LogConfig"] = json::object{{"Type", "json-file"}, {"Config", json::object()}};
  if (cfg.cpu_limit_millis > 0) host["NanoCpus"] = cfg.cpu_limit_millis * 1'000'000;
  if (cfg.memory_limit_bytes > 0) host["Memory"] = cfg.memory_limit_bytes;
  body["HostConfig"] = std::move(host);
  const std::string payload = json::serialize(body);
  const std::string name =
      SafeName("navarch_" + Label(sandbox_labels, runtime::kLabelPodName) + "_" +
               Label(sandbox_labels, runtime::kLabelPodNamespace) + "_" + cfg.name + "_" +
               Label(sandbox_labels, runtime::kLabelPodUid).substr(0, 8) + "_" +
               std::to_string(cfg.attempt));
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r, co_await client_.Call(Verb::post, "/containers/create?name=" + UrlEncode(name),
                                    payload, options_.request_timeout));
  if (r.status == 409) {
    NAVARCH_ASSIGN_OR_RETURN_CO(r, co_await client_.Call(Verb::post, "/containers/create", payload,
                                                         options_.request_timeout));
  }
  if (r.status == 404) co_return InvalidArgument(what + ": dockerd: " + r.Message());
  if (!Ok2xx(r)) co_return FromHttp(r, "creating " + what);
  NAVARCH_ASSIGN_OR_RETURN_CO(auto created, ParseBody(r, "container create"));
  co_return Str(Obj(&created), "Id");
}

asio::awaitable<Status> Ops::StartContainer(runtime::ContainerId id) {
  NAVARCH_ASSIGN_OR_RETURN_CO(auto r,
                              co_await client_.Call(Verb::post, "/containers/" + id + "/start", {},
                                                    options_.request_timeout));
  if (r.status == 404) co_return NotFound("container " + Short(id) + " does not exist");
  // A process that could not start is a container that exited
  // (ContainerCannotRun, read by GetContainerStatus), not a runtime failure.
  co_return Status::Ok();
}

asio::awaitable<Status> Ops::StopContainer(runtime::ContainerId id, Duration timeout) {
  const int64_t secs = (std::max<int64_t>(timeout.count(), 0) + 999'999'999) / 1'000'000'000;
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r,
      co_await client_.Call(Verb::post, "/containers/" + id + "/stop?t=" + std::to_string(secs), {},
                            options_.request_timeout + seconds(secs)));
  if (r.status == 404) co_return NotFound("container " + Short(id) + " does not exist");
  if (!Ok2xx(r) && r.status != 304) co_return FromHttp(r, "stopping container " + Short(id));
  co_return Status::Ok();
}

asio::awaitable<Status> Ops::RemoveContainer(runtime::ContainerId id) {
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r, co_await client_.Call(Verb::delete_, "/containers/" + id + "?force=1&v=1", {},
                                    options_.request_timeout));
  if (r.status == 404) co_return NotFound("container " + Short(id) + " does not exist");
  // 409: a removal already in progress.
  if (!Ok2xx(r) && r.status != 409) co_return FromHttp(r, "removing container " + Short(id));
  co_return Status::Ok();
}

asio::awaitable<Result<runtime::ContainerStatus>> Ops::InspectContainer(runtime::ContainerId id) {
  NAVARCH_ASSIGN_OR_RETURN_CO(auto r,
                              co_await client_.Call(Verb::get, "/containers/" + id + "/json", {},
                                                    options_.request_timeout));
  if (r.status == 404) co_return NotFound("container " + Short(id) + " does not exist");
  if (!Ok2xx(r)) co_return FromHttp(r, "inspecting container " + Short(id));
  NAVARCH_ASSIGN_OR_RETURN_CO(auto v, ParseBody(r, "container inspect"));
  co_return StatusFromInspect(Obj(&v), clock_.Now());
}

asio::awaitable<Result<std::vector<runtime::ContainerStatus>>> Ops::ListContainers(
    runtime::ContainerFilter filter) {
  std::vector<std::pair<std::string, std::string>> filters;
  filters.emplace_back("label", std::string(kLabelKind) + "=container");
  for (const auto& [k, v] : filter.labels)
    filters.emplace_back("label", k + "=" + v);
  for (const auto& [k, v] : options_.extra_labels)  // only what this runtime made
    filters.emplace_back("label", k + "=" + v);
  if (filter.sandbox_id) {
    filters.emplace_back("label", std::string(kLabelSandboxId) + "=" + *filter.sandbox_id);
  }
  if (filter.id) filters.emplace_back("id", *filter.id);
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r,
      co_await client_.Call(Verb::get, "/containers/json?all=1&filters=" + FiltersQuery(filters),
                            {}, options_.request_timeout));
  if (!Ok2xx(r)) co_return FromHttp(r, "listing containers");
  NAVARCH_ASSIGN_OR_RETURN_CO(auto v, ParseBody(r, "container list"));
  std::vector<std::string> ids;
  if (v.is_array()) {
    for (const auto& item : v.as_array()) {
      std::string id = Str(Obj(&item), "Id");
      if (filter.id && id != *filter.id) continue;
      ids.push_back(std::move(id));
    }
  }
  std::sort(ids.begin(), ids.end());
  std::vector<runtime::ContainerStatus> out;
  for (const auto& id : ids) {
    auto st = co_await InspectContainer(id);
    if (st.code() == Code::kNotFound) continue;  // removed meanwhile
    if (!st.ok()) co_return st.status();
    if (filter.state && st->state != *filter.state) continue;
    out.push_back(std::move(*st));
  }
  co_return out;
}

// --- Logs, exec, probes ----------------------------------------------------------

asio::awaitable<Status> Ops::Logs(runtime::ContainerId id, runtime::LogOptions options,
                                  std::function<void(std::string)> deliver, StreamCancel cancel) {
  std::string target = "/containers/" + id + "/logs?stdout=1&stderr=1";
  target += options.follow ? "&follow=1" : "&follow=0";
  target +=
      "&tail=" + (options.tail_lines < 0 ? std::string("all") : std::to_string(options.tail_lines));
  if (options.timestamps) target += "&timestamps=1";
  StreamDemuxer demux;
  unsigned status = 0;
  std::string error_body;
  Status st = co_await client_.Stream(
      Verb::get, target, {},
      [&](std::string_view chunk) {
        std::string out;
        demux.Feed(chunk, out);
        if (!out.empty()) deliver(std::move(out));
        return true;
      },
      &status, &error_body, cancel);
  if (!st.ok()) co_return st;
  if (status < 200 || status >= 300) {
    HttpResponse r{status, error_body};
    if (status == 404) co_return NotFound("container " + Short(id) + " does not exist");
    co_return FromHttp(r, "reading the logs of container " + Short(id));
  }
  co_return Status::Ok();
}

asio::awaitable<Result<runtime::ExecResult>> Ops::Exec(runtime::ContainerId id,
                                                       std::vector<std::string> command,
                                                       Duration timeout) {
  if (command.empty())
    co_return InvalidArgument("exec in container " + Short(id) + ": empty command");
  json::object body;
  body["AttachStdout"] = true;
  body["AttachStderr"] = true;
  body["Tty"] = false;
  json::array cmd;
  for (const auto& s : command)
    cmd.push_back(json::string(s));
  body["Cmd"] = std::move(cmd);
  NAVARCH_ASSIGN_OR_RETURN_CO(
      auto r, co_await client_.Call(Verb::post, "/containers/" + id + "/exec",
                                    json::serialize(body), options_.request_timeout));
  if (r.status == 404) co_return NotFound("container " + Short(id) + " does not exist");
  if (r.status == 409) {
    co_return InvalidArgument("exec in container " + Short(id) + ": dockerd: " + r.Message());
  }
  if (!Ok2xx(r)) co_return FromHttp(r, "exec in container " + Short(id));
  NAVARCH_ASSIGN_OR_RETURN_CO(auto created, ParseBody(r, "exec create"));
  const std::string exec_id = Str(Obj(&created), "Id");

  // Run attached; a watchdog closes the stream when the timeout passes.
  StreamCancel cancel;
  auto finished = std::make_shared<bool>(false);
  asio::co_spawn(
      client_.io(),
      [](DockerClient& client, Duration timeout, StreamCancel cancel,
         std::shared_ptr<bool> finished) -> asio::awaitable<void> {
        co_await client.Sleep(timeout);
        if (!*finished) cancel.Cancel();
      }(client_, timeout, cancel, finished),
      asio::detached);
  runtime::ExecResult out;
  StreamDemuxer demux;
  unsigned status = 0;
  std::string error_body;
  Status st = co_await client_.Stream(
      Verb::post, "/exec/" + exec_id + "/start", R"({"Detach":false,"Tty":false})",
      [&](std::string_view chunk) {
        std::string text;
        demux.Feed(chunk, text);
        const size_t room = kMaxExecOutput - std::min(kMaxExecOutput, out.output.size());
        out.output.append(text.substr(0, room));
        return true;
      },
      &status, &error_body, cancel);
  *finished = true;
  if (st.code() == Code::kCancelled) {
    co_return Unavailable("exec " + command.front() + " in container " + Short(id) +
                          " timed out after " + FormatDuration(timeout));
  }
  if (!st.ok()) co_return st;
  if (status < 200 || status >= 300) {
    co_return FromHttp(HttpResponse{status, error_body}, "exec in container " + Short(id));
  }
  for (int i = 0; i < 50; ++i) {
    NAVARCH_ASSIGN_OR_RETURN_CO(auto ir,
                                co_await client_.Call(Verb::get, "/exec/" + exec_id + "/json", {},
                                                      options_.request_timeout));
    if (!Ok2xx(ir)) co_return FromHttp(ir, "inspecting exec in container " + Short(id));
    NAVARCH_ASSIGN_OR_RETURN_CO(auto iv, ParseBody(ir, "exec inspect"));
    if (!Bool(Obj(&iv), "Running")) {
      out.exit_code = static_cast<int32_t>(Int(Obj(&iv), "ExitCode"));
      co_return out;
    }
    co_await client_.Sleep(milliseconds(10));
  }
  co_return Unavailable("exec " + command.front() + " in container " + Short(id) +
                        ": dockerd still reports it running after its output ended");
}

asio::awaitable<Result<runtime::ProbeResult>> Ops::Probe(runtime::ContainerId id,
                                                         runtime::ProbeSpec spec) {
  runtime::ProbeResult out;
  if (spec.type == runtime::ProbeSpec::Type::kExec) {
    auto r = co_await Exec(id, spec.command, spec.timeout);
    if (r.ok()) {
      out.success = r->exit_code == 0;
      if (!out.success) {
        out.message = "command exited with code " + std::to_string(r->exit_code);
        if (!r->output.empty()) out.message += ": " + r->output.substr(0, 1024);
      }
      co_return out;
    }
    if (r.code() == Code::kUnavailable &&
        r.status().message().find("timed out") != std::string::npos) {
      out.message = r.status().message();
      co_return out;
    }
    co_return r.status();
  }
  if (spec.port <= 0 || spec.port > 65535) {
    co_return InvalidArgument("probe of container " + Short(id) + ": port " +
                              std::to_string(spec.port) + " is out of range; use 1-65535");
  }
  // Where to connect: the published host port, else the pod IP.
  NAVARCH_ASSIGN_OR_RETURN_CO(auto c, co_await InspectContainer(id));
  if (c.state != ContainerState::kRunning) {
    co_return InvalidArgument("probe of " + ContainerWhat(c.labels, id) + ": it is not running");
  }
  std::string host;
  int32_t port = spec.port;
  NAVARCH_ASSIGN_OR_RETURN_CO(auto ports, co_await PublishedPorts(c.sandbox_id));
  for (const auto& m : ports) {
    if (m.container_port == spec.port && m.protocol == "TCP" && m.host_port > 0) {
      host = m.host_ip.empty() || m.host_ip == "0.0.0.0" ? options_.publish_ip : m.host_ip;
      port = m.host_port;
      break;
    }
  }
  if (host.empty()) {
    runtime::SandboxFilter f;
    f.id = c.sandbox_id;
    NAVARCH_ASSIGN_OR_RETURN_CO(auto sbs, co_await ListSandboxes(f));
    if (sbs.empty() || sbs[0].pod_ip.empty()) {
      co_return NotFound("probe of " + ContainerWhat(c.labels, id) +
                         ": its pod sandbox has no IP (is it running?)");
    }
    host = sbs[0].pod_ip;
  }
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) co_return Internal("probe of " + ContainerWhat(c.labels, id) + ": bad address " + host);
  const std::string where = host + ":" + std::to_string(port);
  beast::tcp_stream stream(client_.io());
  stream.expires_after(spec.timeout);
  co_await stream.async_connect(asio::ip::tcp::endpoint(address, static_cast<uint16_t>(port)),
                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    out.message = (ec == beast::error::timeout
                       ? "connect to " + where + " timed out after " + FormatDuration(spec.timeout)
                       : "connect to " + where + ": " + ec.message());
    co_return out;
  }
  if (spec.type == runtime::ProbeSpec::Type::kTcpSocket) {
    out.success = true;
    co_return out;
  }
  http::request<http::empty_body> req{http::verb::get, spec.path.empty() ? "/" : spec.path, 11};
  req.set(http::field::host, where);
  req.set(http::field::user_agent, "navarch-probe/1.0");
  req.set(http::field::connection, "close");
  co_await http::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  if (!ec) {
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    out.message =
        (ec == beast::error::timeout ? "GET http://" + where + spec.path + " timed out after " +
                                           FormatDuration(spec.timeout)
                                     : "GET http://" + where + spec.path + ": " + ec.message());
    co_return out;
  }
  const unsigned code = parser.get().result_int();
  out.success = code >= 200 && code < 400;
  if (!out.success) {
    out.message = "GET http://" + where + spec.path + ": HTTP status " + std::to_string(code);
  }
  co_return out;
}

// --- Events --------------------------------------------------------------------

asio::awaitable<Status> Ops::Events(std::function<void(runtime::ContainerEvent)> deliver,
                                    StreamCancel cancel) {
  int64_t since_nanos = 0;  // resume point after a reconnect
  while (!cancel.cancelled()) {
    std::vector<std::pair<std::string, std::string>> filters = {
        {"type", "container"}, {"label", std::string(kLabelKind) + "=container"}};
    for (const auto& [k, v] : options_.extra_labels)  // only what this runtime made
      filters.emplace_back("label", k + "=" + v);
    std::string target = "/events?filters=" + FiltersQuery(filters);
    if (since_nanos > 0) {  // inclusive in dockerd: start just after the last one seen
      const int64_t from = since_nanos + 1;
      target += "&since=" + std::to_string(from / 1'000'000'000) + "." +
                std::to_string(1'000'000'000 + from % 1'000'000'000).substr(1);
    }
    std::string pending;
    std::vector<json::value> batch;
    unsigned status = 0;
    std::string error_body;
    Status st = co_await client_.Stream(
        Verb::get, target, {},
        [&](std::string_view chunk) {
          pending.append(chunk);
          size_t nl;
          while ((nl = pending.find('\n')) != std::string::npos) {
            json::error_code ec;
            json::value v = json::parse(std::string_view(pending).substr(0, nl), ec);
            pending.erase(0, nl + 1);
            if (!ec) batch.push_back(std::move(v));
          }
          // Stop reading to handle the batch (needs its own requests); the
          // stream is reopened from the last event's time.
          return batch.empty();
        },
        &status, &error_body, cancel);
    for (auto& v : batch) {
      const json::object* e = Obj(&v);
      const std::string action = Str(e, "Action");
      const json::object* actor = ObjField(e, "Actor");
      const std::string id = Str(actor, "ID");
      const int64_t t = Int(e, "timeNano");
      if (t > since_nanos) since_nanos = t;
      runtime::ContainerEvent ev;
      ev.container_id = id;
      ev.time = Time::FromUnixNanos(t);
      runtime::RuntimeLabels attrs = LabelsOf(ObjField(actor, "Attributes"));
      for (const char* k : {"name", "image", "exitCode", "signal", "execDuration"})
        attrs.erase(k);
      ev.labels = std::move(attrs);
      ev.sandbox_id = Label(ev.labels, kLabelSandboxId);
      if (action == "start") {
        ev.type = runtime::ContainerEvent::Type::kStarted;
      } else if (action == "destroy") {
        ev.type = runtime::ContainerEvent::Type::kRemoved;
      } else if (action == "die") {
        ev.type = runtime::ContainerEvent::Type::kExited;
        const std::string code = Str(ObjField(actor, "Attributes"), "exitCode");
        std::from_chars(code.data(), code.data() + code.size(), ev.exit_code);
        ev.reason = ev.exit_code == 0 ? "Completed" : "Error";
        auto ins = co_await InspectContainer(id);
        if (ins.ok() && ins->state == ContainerState::kExited) {
          ev.exit_code = ins->exit_code;
          ev.reason = ins->reason;
        }
      } else {
        continue;
      }
      deliver(std::move(ev));
    }
    if (cancel.cancelled()) break;
    if (!st.ok() || status < 200 || status >= 300) {
      co_await client_.Sleep(seconds(1));
    } else if (since_nanos == 0) {
      since_nanos = clock_.Now().UnixNanos();
    }
  }
  co_return Cancelled("the event stream was stopped");
}

}  // namespace navarch::docker
