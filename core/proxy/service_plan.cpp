#include "core/proxy/service_plan.h"
#include "core/base/strings.h"

#include <algorithm>
#include <charconv>
#include <tuple>

namespace navarch::proxy {
namespace {

bool ParsePort(std::string_view text, int32_t& out) {
  int32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < 1 || v > 65535) return false;
  out = v;
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Protocol(std::string_view p) {
  return p.empty() ? std::string("TCP") : Upper(p);
}

bool IsWildcard(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::";
}

std::string HostOf(std::string_view specific, const api::Pod& pod) {
  if (!IsWildcard(specific)) return std::string(specific);
  if (!pod.status.host_ip.empty()) return pod.status.host_ip;
  return "127.0.0.1";
}

Duration AffinityTimeout(const api::Service& service, const PlanOptions& options) {
  auto it = service.metadata.annotations.find(std::string(kAffinityTimeoutAnnotation));
  if (it == service.metadata.annotations.end()) return options.default_affinity_timeout;
  int64_t v = 0;
  const std::string& t = it->second;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size() || v < 1 || v > 86400)
    return options.default_affinity_timeout;
  return seconds(v);
}

}  // namespace

Result<std::map<std::string, HostPort>> ParsePublishedPorts(std::string_view value) {
  std::map<std::string, HostPort> out;
  const std::string expected =
      "expected comma-separated \"<containerPort>/<protocol>=<hostIP>:<hostPort>\" entries, "
      "e.g. \"8080/TCP=127.0.0.1:32768\"";
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view entry = TrimWhitespace(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    if (entry.empty()) continue;
    auto bad = [&] {
      return InvalidArgument("annotation " + std::string(kPublishedPortsAnnotation) +
                             ": bad entry \"" + std::string(entry) + "\": " + expected);
    };
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) return bad();
    std::string_view key = entry.substr(0, eq);
    std::string_view target = entry.substr(eq + 1);
    size_t slash = key.find('/');
    int32_t container_port = 0;
    if (slash == std::string_view::npos || !ParsePort(key.substr(0, slash), container_port))
      return bad();
    std::string protocol = Upper(key.substr(slash + 1));
    if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") return bad();
    size_t colon = target.rfind(':');
    HostPort hp;
    if (colon == std::string_view::npos || !ParsePort(target.substr(colon + 1), hp.port))
      return bad();
    hp.host = std::string(target.substr(0, colon));
    if (hp.host.size() >= 2 && hp.host.front() == '[' && hp.host.back() == ']')
      hp.host = hp.host.substr(1, hp.host.size() - 2);
    out[std::to_string(container_port) + "/" + protocol] = hp;
  }
  return out;
}

std::string FormatPublishedPorts(const std::map<std::string, HostPort>& ports) {
  std::string out;
  for (const auto& [key, hp] : ports) {
    if (!out.empty()) out += ",";
    bool v6 = hp.host.find(':') != std::string::npos;
    out += key + "=" + (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
  }
  return out;
}

Backend ResolveBackend(const api::EndpointAddress& address, const api::EndpointPort& port,
                       const api::Pod* pod) {
  std::string who = address.target_ref ? " (pod " + address.target_ref->namespace_ + "/" +
                                             address.target_ref->name + ")"
                                       : "";
  Backend b;
  b.description = address.ip + ":" + std::to_string(port.port) + who;
  if (pod) {
    const std::string key = std::to_string(port.port) + "/" + Protocol(port.protocol);
    auto ann = pod->metadata.annotations.find(std::string(kPublishedPortsAnnotation));
    if (ann != pod->metadata.annotations.end()) {
      auto parsed = ParsePublishedPorts(ann->second);
      if (parsed.ok()) {
        auto it = parsed->find(key);
        if (it != parsed->end()) {
          b.host = HostOf(it->second.host, *pod);
          b.port = it->second.port;
          return b;
        }
      }
    }
    for (const auto& c : pod->spec->containers) {
      for (const auto& cp : c.ports) {
        if (cp.container_port != port.port || cp.host_port == 0) continue;
        if (Protocol(cp.protocol) != Protocol(port.protocol)) continue;
        b.host = HostOf(cp.host_ip, *pod);
        b.port = cp.host_port;
        return b;
      }
    }
  }
  b.host = address.ip;
  b.port = port.port;
  return b;
}

ServicePlan PlanService(const api::Service& service, const api::Endpoints* endpoints,
                        const PodLookup& pods, const PlanOptions& options) {
  ServicePlan plan;
  const std::string key = service.metadata.namespace_ + "/" + service.metadata.name;
  auto skip_all = [&](const std::string& reason) {
    for (const auto& p : service.spec.ports)
      plan.skipped.push_back({key, p.name, p.port, reason});
    return plan;
  };
  if (service.spec.type == api::kServiceExternalName)
    return skip_all("an ExternalName service has no address to proxy");
  if (service.spec.cluster_ip == "None")
    return skip_all("a headless service (clusterIP None) is reached through its pods directly");

  const bool affinity = service.spec.session_affinity == "ClientIP";
  const Duration timeout = AffinityTimeout(service, options);
  for (const auto& sp : service.spec.ports) {
    const std::string protocol = Protocol(sp.protocol);
    if (protocol != "TCP") {
      plan.skipped.push_back({key, sp.name, sp.port,
                              protocol + " is not supported by the proxy (TCP only); port " +
                                  std::to_string(sp.port) + "/" + protocol + " is not served"});
      continue;
    }
    if (sp.port < 1 || sp.port > 65535) {
      plan.skipped.push_back(
          {key, sp.name, sp.port, "port " + std::to_string(sp.port) + " is outside 1-65535"});
      continue;
    }
    BackendSet set;
    set.client_ip_affinity = affinity;
    set.affinity_timeout = timeout;
    if (endpoints) {
      for (const auto& subset : endpoints->subsets) {
        const api::EndpointPort* ep = nullptr;
        for (const auto& p : subset.ports) {
          if (p.name == sp.name && Protocol(p.protocol) == "TCP") ep = &p;
        }
        // A single-port service matches an endpoints subset with one unnamed port.
        if (!ep && service.spec.ports.size() == 1 && subset.ports.size() == 1 &&
            Protocol(subset.ports[0].protocol) == "TCP")
          ep = &subset.ports[0];
        if (!ep) continue;
        for (const auto& address : subset.addresses) {
          const api::Pod* pod = nullptr;
          if (pods && address.target_ref && address.target_ref->kind == "Pod") {
            pod = pods(address.target_ref->namespace_.empty() ? service.metadata.namespace_
                                                              : address.target_ref->namespace_,
                       address.target_ref->name);
            if (pod && !address.target_ref->uid.empty() &&
                address.target_ref->uid != pod->metadata.uid)
              pod = nullptr;  // the name was reused by another pod
          }
          set.backends.push_back(ResolveBackend(address, *ep, pod));
        }
      }
    }
    std::sort(set.backends.begin(), set.backends.end(), [](const Backend& a, const Backend& b) {
      return std::tie(a.host, a.port, a.description) < std::tie(b.host, b.port, b.description);
    });
    set.backends.erase(std::unique(set.backends.begin(), set.backends.end()), set.backends.end());

    ListenerSpec l;
    l.service = key;
    l.port_name = sp.name;
    l.port = sp.port;
    l.id = key + ":" + std::to_string(sp.port);
    l.backends = set;
    plan.listeners.push_back(l);
    if (options.node_ports && sp.node_port != 0) {
      if (sp.node_port < 1 || sp.node_port > 65535) {
        plan.skipped.push_back(
            {key, sp.name, sp.node_port,
             "nodePort " + std::to_string(sp.node_port) + " is outside 1-65535"});
      } else {
        l.port = sp.node_port;
        l.node_port = true;
        l.id = key + ":nodePort:" + std::to_string(sp.node_port);
        plan.listeners.push_back(std::move(l));
      }
    }
  }
  std::sort(plan.listeners.begin(), plan.listeners.end(),
            [](const ListenerSpec& a, const ListenerSpec& b) { return a.id < b.id; });
  return plan;
}

}  // namespace navarch::proxy
