// navarch scheduler | controller-manager | kubelet: each control-plane
// component as its own process, talking to an API server over HTTP(S)
// (core/apiclient HttpApi) on a real-time loop (backends/realtime AsioClock).
// `navarch up` (all of them in one process) is in cmd_up.cpp.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cmd/navarch/cmd_cluster_common.h"
#include "cmd/navarch/cmd_kubelet_runtime.h"
#include "cmd/navarch/cmd_log_source.h"
#include "cmd/navarch/cmd_static_pods.h"
#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/kubelet_logs.h"
#include "core/apiserver/tokens.h"
#include "core/controllers/controller_manager.h"
#include "core/kubelet/kubelet.h"
#include "core/scheduler/framework.h"
#include "core/scheduler/scheduler.h"

namespace navarch::cmd {

namespace po = boost::program_options;

namespace {

Result<std::unique_ptr<apiclient::HttpApi>> OpenApi(const ConnectionFlags& flags,
                                                    runtime::Clock& clock, const Log& log) {
  NAVARCH_ASSIGN_OR_RETURN(apiclient::HttpApiOptions options, flags.Resolve());
  log.Info(1, "API server " + options.server);
  return apiclient::HttpApi::Open(clock, std::move(options));
}

Result<Duration> DurationFlag(const std::string& flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return InvalidArgument("--" + flag + ": " + d.status().message());
  return *d;
}

}  // namespace

int RunScheduler(const Args& args) {
  po::options_description desc(
      "navarch scheduler: place unscheduled pods on nodes, against an API server\n\nOptions");
  ConnectionFlags conn;
  ClientLimitFlags client_flags(client::kSchedulerLimits);
  std::string profile = "spread";
  desc.add_options()("help,h", "show this help")("profile", po::value(&profile),
                                                 "scoring profile: spread or binpack");
  client_flags.Add(desc);
  conn.Add(desc);
  po::variables_map vm;
  if (int rc = ParseOptions("scheduler", args, desc, {}, vm); rc >= 0) return rc;
  Log log("scheduler", conn.verbosity);
  scheduler::SchedulerOptions options;
  auto spec = scheduler::BuiltinProfile(profile);
  if (!spec.ok()) {
    log.Error("--profile: " + spec.status().message());
    return 2;
  }
  options.profile = *spec;
  auto limits = client_flags.Limits();
  if (!limits.ok()) {
    log.Error(limits.status().message());
    return 2;
  }
  options.client.limits = *limits;
  realtime::AsioClock clock;
  auto api = OpenApi(conn, clock, log);
  if (!api.ok()) {
    log.Error(api.status().ToString());
    return 1;
  }
  std::unique_ptr<scheduler::Scheduler> sched;
  return RunComponent(
      clock, log,
      [&]() -> Status {
        sched = std::make_unique<scheduler::Scheduler>(**api, clock, options);
        Status s = sched->Start();
        if (!s.ok()) sched.reset();
        return s;
      },
      [&] {
        if (sched) sched->Stop();
      });
}

int RunControllerManager(const Args& args) {
  po::options_description desc(
      "navarch controller-manager: the replication manager, node lifecycle, taint eviction,\n"
      "endpoints, garbage collector and namespace controllers, against an API server\n\nOptions");
  ConnectionFlags conn;
  std::string grace = "40s", startup_grace = "1m";
  controllers::NodeLifecycleOptions nlc_options;
  desc.add_options()("help,h", "show this help")(
      "node-monitor-grace-period", po::value(&grace)->default_value(grace),
      "a node silent this long is marked NotReady/Unknown")(
      "node-startup-grace-period", po::value(&startup_grace)->default_value(startup_grace),
      "grace for a node that never reported")(
      "node-eviction-rate",
      po::value(&nlc_options.eviction_rate)->default_value(nlc_options.eviction_rate),
      "not-ready nodes tainted NoExecute per second, per zone (their pods are then evicted "
      "after their tolerationSeconds: see the API server's --default-*-toleration-seconds)")(
      "secondary-node-eviction-rate",
      po::value(&nlc_options.secondary_eviction_rate)
          ->default_value(nlc_options.secondary_eviction_rate),
      "the rate in a partly disrupted zone larger than --large-cluster-size-threshold")(
      "large-cluster-size-threshold",
      po::value(&nlc_options.large_cluster_size_threshold)
          ->default_value(nlc_options.large_cluster_size_threshold),
      "zones of at most this many nodes are not tainted at all while partly disrupted")(
      "unhealthy-zone-threshold",
      po::value(&nlc_options.unhealthy_zone_threshold)
          ->default_value(nlc_options.unhealthy_zone_threshold),
      "fraction of not-ready nodes (at least 3) that makes a zone partly disrupted");
  ClientLimitFlags client_flags(client::kControllerManagerLimits);
  client_flags.Add(desc);
  conn.Add(desc);
  po::variables_map vm;
  if (int rc = ParseOptions("controller-manager", args, desc, {}, vm); rc >= 0) return rc;
  Log log("controller-manager", conn.verbosity);
  for (auto [flag, text, out] :
       {std::tuple{"node-monitor-grace-period", &grace, &nlc_options.node_monitor_grace_period},
        std::tuple{"node-startup-grace-period", &startup_grace,
                   &nlc_options.node_startup_grace_period}}) {
    auto d = DurationFlag(flag, *text);
    if (!d.ok()) {
      log.Error(d.status().message());
      return 2;
    }
    *out = *d;
  }
  auto limits = client_flags.Limits();
  if (!limits.ok()) {
    log.Error(limits.status().message());
    return 2;
  }
  realtime::AsioClock clock;
  auto api = OpenApi(conn, clock, log);
  if (!api.ok()) {
    log.Error(api.status().ToString());
    return 1;
  }
  std::unique_ptr<controllers::ControllerManager> c;
  return RunComponent(
      clock, log,
      [&]() -> Status {
        controllers::ControllerManagerOptions cm_options;
        cm_options.node_lifecycle = nlc_options;
        cm_options.client.limits = *limits;
        c = std::make_unique<controllers::ControllerManager>(**api, clock, cm_options);
        Status s = c->Start();
        if (!s.ok()) c.reset();
        return s;
      },
      [&] { c.reset(); });
}

int RunKubelet(const Args& args) {
  po::options_description desc(
      "navarch kubelet: run the pods bound to one node, against an API server, and static pods "
      "from manifests\n\nOptions");
  ConnectionFlags conn;
  KubeletFlags kf;
  StaticPodFlags sp;
  std::string log_listen = "127.0.0.1:0";
  desc.add_options()("help,h", "show this help")(
      "log-listen", po::value(&log_listen)->default_value(log_listen),
      "HOST:PORT of the endpoint the API server reads container logs from (kubectl logs); port "
      "0: any free port; \"off\": none");
  kf.Add(desc);
  sp.Add(desc);
  ClientLimitFlags client_flags(client::kKubeletLimits);
  client_flags.Add(desc);
  conn.Add(desc);
  po::variables_map vm;
  if (int rc = ParseOptions("kubelet", args, desc, {}, vm); rc >= 0) return rc;
  Log log("kubelet", conn.verbosity);
  if (kf.node_name.empty()) {
    log.Error("--node-name: required (the Node this kubelet registers and runs pods for)");
    return 2;
  }
  auto options = kf.BuildOptions();
  if (!options.ok()) {
    log.Error(options.status().message());
    return 2;
  }
  auto limits = client_flags.Limits();
  if (!limits.ok()) {
    log.Error(limits.status().message());
    return 2;
  }
  options->client.limits = *limits;
  realtime::AsioClock clock;
  // Standalone: no API server; the kubelet runs against a private in-memory
  // store that only it and the static pod source use.
  std::unique_ptr<StandaloneApi> local;
  std::unique_ptr<apiclient::HttpApi> remote;
  if (sp.standalone) {
    local = std::make_unique<StandaloneApi>(clock);
    log.Info(1, "standalone: no API server, static pods only");
  } else {
    auto api = OpenApi(conn, clock, log);
    if (!api.ok()) {
      log.Error(api.status().ToString());
      return 1;
    }
    remote = std::move(*api);
  }
  client::Api& api = local ? static_cast<client::Api&>(local->api) : *remote;
  auto statics = StaticPods::Create(sp, kf.node_name, api, clock,
                                    [log](std::string_view line) { log.Info(1, line); });
  if (!statics.ok()) {
    log.Error(statics.status().message());
    return 2;
  }
  auto rt = MakeKubeletRuntime(kf, clock);
  if (!rt.ok()) {
    log.Error(rt.status().ToString());
    return 1;
  }
  log.Info(1, "node " + kf.node_name + ", runtime " + (*rt)->runtime().Describe());
  // The log endpoint (core/apiserver/kubelet_logs.h): advertised in the Node,
  // so that the API server answers `kubectl logs` for this node's pods.
  RuntimeLogSource logs(clock);
  logs.AddNode(kf.node_name, &(*rt)->runtime());
  NodeLogReader log_reader(logs, kf.node_name);
  apiserver::KubeletLogHandler log_handler(log_reader);
  std::optional<apiserver::TokenAuthenticator> log_auth;
  std::unique_ptr<apiserver::HttpServer> log_server;
  if (log_listen != "off" && !sp.standalone) {
    auto addr = ParseHostPort("--log-listen", log_listen);
    auto token = apiserver::GenerateToken();
    if (!addr.ok() || !token.ok()) {
      log.Error(addr.ok() ? token.status().message() : addr.status().message());
      return 2;
    }
    // The API server connects to the address the Node advertises (the
    // InternalIP, --node-ip) and to nothing else.
    const std::string& bind = addr->first;
    if (!kf.node_ip.empty() && bind != "0.0.0.0" && bind != "::" && bind != kf.node_ip) {
      log.Error("--log-listen " + log_listen +
                ": the API server reaches the log endpoint at the "
                "node's InternalIP (--node-ip " +
                kf.node_ip + "); listen on " + kf.node_ip + " or on 0.0.0.0");
      return 2;
    }
    auto auth = apiserver::TokenAuthenticator::Parse(*token + ",apiserver,apiserver\n",
                                                     "the kubelet log token");
    if (!auth.ok()) {
      log.Error(auth.status().message());
      return 1;
    }
    log_auth = std::move(*auth);
    apiserver::HttpServerOptions ho;
    ho.host = addr->first;
    ho.port = addr->second;
    ho.io_threads = 1;
    ho.handler_threads = 4;
    ho.drain_timeout = std::chrono::seconds(1);
    ho.auth = &*log_auth;
    // Its one client is the API server, relaying GETs: the other limits keep
    // their defaults (HttpServerOptions).
    ho.max_connections = 256;
    ho.max_body_bytes = 64 * 1024;
    ho.log = [log](std::string_view line) { log.Info(1, "log endpoint: " + std::string(line)); };
    log_server = std::make_unique<apiserver::HttpServer>(log_handler, ho);
    if (Status s = log_server->Start(); !s.ok()) {
      log.Error("--log-listen: " + s.message());
      return 1;
    }
    options->kubelet_port = log_server->port();
    options->annotations[std::string(apiserver::kKubeletLogTokenAnnotation)] = *token;
    log.Info(1, "log endpoint http://" + ho.host + ":" + std::to_string(log_server->port()));
  }
  std::unique_ptr<kubelet::Kubelet> k;
  return RunComponent(
      clock, log,
      [&]() -> Status {
        if (!k) k = std::make_unique<kubelet::Kubelet>(api, clock, (*rt)->runtime(), *options);
        if (!k->started()) NAVARCH_RETURN_IF_ERROR(k->Start());
        return *statics ? (*statics)->Start() : Status::Ok();
      },
      [&] {
        if (*statics) (*statics)->Stop();
        if (k) k->Stop();
      });
}

}  // namespace navarch::cmd
