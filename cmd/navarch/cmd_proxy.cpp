// navarch proxy: the service proxy (core/proxy ServiceProxy) as its own
// process, watching Services and Endpoints on an API server over HTTP(S) and
// forwarding TCP connections on each Service's port to its ready endpoints.
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "cmd/navarch/cmd_cluster_common.h"
#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "core/proxy/service_proxy.h"

namespace navarch::cmd {

namespace po = boost::program_options;

int RunProxy(const Args& args) {
  po::options_description desc(
      "navarch proxy: forward TCP connections on each Service's port (and nodePort) to its ready "
      "endpoints, round-robin, against an API server\n\nOptions");
  ConnectionFlags conn;
  proxy::ProxyOptions options;
  std::string affinity_timeout = "3h";
  std::string connect_timeout = "3s";
  bool no_node_ports = false;
  bool no_published_ports = false;
  desc.add_options()("help,h", "show this help")(
      "bind-address", po::value(&options.bind_address)->default_value(options.bind_address),
      "IP address the service ports listen on (0.0.0.0 for every interface)")(
      "namespace", po::value(&options.namespace_),
      "proxy the Services of this namespace only (default: all)")(
      "no-node-ports", po::bool_switch(&no_node_ports), "do not listen on nodePorts")(
      "no-published-ports", po::bool_switch(&no_published_ports),
      "dial endpoints at their own ip:port; do not watch pods for host-published ports")(
      "session-affinity-timeout", po::value(&affinity_timeout)->default_value(affinity_timeout),
      "ClientIP affinity timeout of Services without the "
      "navarch.io/session-affinity-timeout-seconds annotation")(
      "connect-timeout", po::value(&connect_timeout)->default_value(connect_timeout),
      "skip a backend that has not accepted within this time");
  conn.Add(desc);
  po::variables_map vm;
  if (int rc = ParseOptions("proxy", args, desc, {}, vm); rc >= 0) return rc;
  Log log("proxy", conn.verbosity);
  for (auto [flag, text, out] :
       {std::tuple{"session-affinity-timeout", &affinity_timeout,
                   &options.default_affinity_timeout},
        std::tuple{"connect-timeout", &connect_timeout, &options.connect_timeout}}) {
    auto d = ParseDuration(*text);
    if (!d.ok() || *d <= Duration::zero()) {
      log.Error(std::string("--") + flag + ": \"" + *text +
                "\" is not a positive duration (e.g. 10s, 3h)");
      return 2;
    }
    *out = *d;
  }
  options.node_ports = !no_node_ports;
  options.resolve_published_ports = !no_published_ports;
  auto mu = std::make_shared<std::mutex>();
  options.log = [log, mu](std::string_view line) {
    std::lock_guard<std::mutex> lock(*mu);
    log.Info(1, line);
  };

  realtime::AsioClock clock;
  auto client_options = conn.Resolve();
  if (!client_options.ok()) {
    log.Error(client_options.status().ToString());
    return 1;
  }
  log.Info(1, "API server " + client_options->server);
  auto api = apiclient::HttpApi::Open(clock, std::move(*client_options));
  if (!api.ok()) {
    log.Error(api.status().ToString());
    return 1;
  }
  std::unique_ptr<proxy::ServiceProxy> p;
  return RunComponent(
      clock, log,
      [&]() -> Status {
        p = std::make_unique<proxy::ServiceProxy>(**api, clock, options);
        Status s = p->Start();
        if (!s.ok()) p.reset();
        return s;
      },
      [&] { p.reset(); });
}

}  // namespace navarch::cmd
