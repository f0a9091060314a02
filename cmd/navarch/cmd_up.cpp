// navarch up: a whole cluster in one process — the API server (HTTPS,
// bearer token, SQLite store under --data-dir), the scheduler, the
// controllers and N kubelets (simulated containers in real time by default,
// Docker with --runtime docker) — and a kubeconfig for kubectl.
//
// The in-process components talk to the store through a client::LocalApi on
// their own real-time loop (not through HTTP): the API server's REST layer
// writes through the same LocalApi code and key layout, so both see the same
// objects, and the components skip the encode/HTTP/decode round trip.
// `kubectl logs` is answered from the node's container runtime in-process
// (RuntimeLogSource).
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/navarch/cmd_cluster_common.h"
#include "cmd/navarch/cmd_http_limits.h"
#include "cmd/navarch/cmd_kubelet_runtime.h"
#include "cmd/navarch/cmd_log_source.h"
#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "core/apiserver/certs.h"
#include "core/apiserver/compactor.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/kubeconfig_writer.h"
#include "core/apiserver/metrics.h"
#include "core/apiserver/rest.h"
#include "core/apiserver/tokens.h"
#include "core/client/local_api.h"
#include "core/controllers/controller_manager.h"
#include "core/kubelet/kubelet.h"
#include "core/scheduler/framework.h"
#include "core/scheduler/scheduler.h"
#include "core/store/store.h"

namespace navarch::cmd {

namespace po = boost::program_options;

namespace {

struct Node {
  std::string name;
  std::unique_ptr<KubeletRuntime> runtime;
  std::unique_ptr<kubelet::Kubelet> kubelet;
};

struct ControlPlane {
  std::unique_ptr<controllers::ControllerManager> controllers;
  std::unique_ptr<scheduler::Scheduler> scheduler;
  std::vector<Node> nodes;
};

// The controllers and the scheduler, on one cache of pods and nodes when both
// run here.
Status StartControlPlane(client::Api& api, runtime::Clock& clock, ControlPlane& cp,
                         bool run_controllers, const scheduler::ProfileSpec* profile) {
  if (run_controllers) {
    cp.controllers = std::make_unique<controllers::ControllerManager>(api, clock);
  }
  if (profile) {
    scheduler::SchedulerOptions so;
    so.profile = *profile;
    if (cp.controllers) {
      so.pod_informer = &cp.controllers->informers().For(api::Kind::kPod);
      so.node_informer = &cp.controllers->informers().For(api::Kind::kNode);
    }
    cp.scheduler = std::make_unique<scheduler::Scheduler>(api, clock, so);
    NAVARCH_RETURN_IF_ERROR(cp.scheduler->Start().WithContext("scheduler"));
  }
  return cp.controllers ? cp.controllers->Start() : Status::Ok();
}

}  // namespace

int RunUp(const Args& args) {
  po::options_description desc(
      "navarch up: a whole cluster in one process (API server, scheduler, controllers and\n"
      "kubelets), a kubeconfig for kubectl; Ctrl-C stops it. State is kept in\n"
      "DATA_DIR/state.db, so a restart finds every object again.\n\nOptions");
  int nodes = 3;
  std::string data_dir = "navarch-data";
  std::string listen = "127.0.0.1:6443";
  std::string profile = "spread";
  bool insecure_http = false;
  std::string without;
  std::string kubelet_networks(apiserver::kDefaultKubeletNetworks);
  std::string compaction_interval = "5m";
  AdmissionFlags admission;
  int verbosity = 1;
  KubeletFlags kf;
  HttpLimitFlags limits;
  desc.add_options()("help,h", "show this help")("nodes", po::value(&nodes)->default_value(nodes),
                                                 "number of kubelets (nodes node-1 .. node-N)")(
      "runtime", po::value(&kf.runtime)->default_value(kf.runtime),
      "container runtime of every node: sim (simulated, real time) or docker")(
      "runtime-model", po::value(&kf.runtime_model),
      "sim: YAML file with a scenario-style `runtime:` section")(
      "data-dir", po::value(&data_dir)->default_value(data_dir),
      "state.db, certificates, the token file and the kubeconfig live here")(
      "listen", po::value(&listen)->default_value(listen),
      "API server address HOST:PORT (port 0: any free port)")(
      "without", po::value(&without),
      "components not to run in-process, comma-separated: scheduler, controllers (run them\n"
      "as separate processes, or your own)")(
      "insecure-http", po::bool_switch(&insecure_http),
      "serve plain HTTP without authentication (testing only)")(
      "profile", po::value(&profile)->default_value(profile),
      "scheduler profile: spread or binpack")("node-cpu", po::value(&kf.cpu)->default_value(kf.cpu),
                                              "capacity of each node: cpu")(
      "node-memory", po::value(&kf.memory)->default_value(kf.memory),
      "capacity of each node: memory")("max-pods", po::value(&kf.pods)->default_value(kf.pods),
                                       "capacity of each node: pods")(
      "heartbeat", po::value(&kf.heartbeat)->default_value(kf.heartbeat), "node status period")(
      "kubelet-networks", po::value(&kubelet_networks)->default_value(kubelet_networks),
      "comma-separated CIDRs the endpoints of kubelet processes (pods/log) may be in")(
      "compaction-interval", po::value(&compaction_interval)->default_value(compaction_interval),
      "how often the store's history is compacted to the revision of one interval earlier; 0 "
      "disables")("v", po::value(&verbosity)->default_value(1),
                  "log verbosity on stderr (0 errors only)");
  po::options_description limit_desc("API server limits (docs/apiserver.md)");
  admission.Add(desc);
  limits.Add(limit_desc);
  desc.add(limit_desc);
  po::variables_map vm;
  if (int rc = ParseOptions("up", args, desc, {}, vm); rc >= 0) return rc;
  Log log("up", verbosity);
  apiserver::HttpServerOptions http_options;
  if (Status s = limits.Apply(http_options); !s.ok()) {
    log.Error(s.message());
    return 2;
  }
  if (nodes < 0 || nodes > 1000) {
    log.Error("--nodes: must be between 0 and 1000");
    return 2;
  }
  auto addr = ParseHostPort("--listen", listen);
  if (!addr.ok()) {
    log.Error(addr.status().message());
    return 2;
  }
  auto sched_profile = scheduler::BuiltinProfile(profile);
  if (!sched_profile.ok()) {
    log.Error("--profile: " + sched_profile.status().message());
    return 2;
  }
  bool run_scheduler = true, run_controllers = true;
  {
    std::stringstream ss(without);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item == "scheduler") {
        run_scheduler = false;
      } else if (item == "controllers" || item == "controller-manager") {
        run_controllers = false;
      } else if (!item.empty()) {
        log.Error("--without: unknown component \"" + item + "\" (scheduler, controllers)");
        return 2;
      }
    }
  }
  auto networks = apiserver::NetworkList::Parse(kubelet_networks, "--kubelet-networks");
  if (!networks.ok()) {
    log.Error(networks.status().message());
    return 2;
  }
  auto compaction = ParseDuration(compaction_interval);
  if (!compaction.ok() || *compaction < Duration(0)) {
    log.Error("--compaction-interval: " + (compaction.ok() ? std::string("must not be negative")
                                                           : compaction.status().message()));
    return 2;
  }
  auto ttl = admission.EventTtl();
  if (!ttl.ok()) {
    log.Error(ttl.status().message());
    return 2;
  }
  kf.node_name = "node-1";
  if (auto o = kf.BuildOptions(); !o.ok()) {
    log.Error(o.status().message());
    return 2;
  }

  // Data directory, store, credentials.
  std::error_code ec;
  const bool created_dir = std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    log.Error("--data-dir: cannot create " + data_dir + ": " + ec.message());
    return 1;
  }
  // Tokens, keys and the store live here: a new data directory is the
  // owner's alone (as `navarch apiserver` creates its own).
  if (created_dir) {
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  const std::string dir = std::filesystem::absolute(data_dir).lexically_normal().string();
  auto store = store::OpenStore("sqlite:" + dir + "/state.db");
  if (!store.ok()) {
    log.Error(store.status().ToString());
    return 1;
  }
  realtime::AsioClock server_clock;
  std::optional<apiserver::TokenAuthenticator> auth;
  http_options.host = addr->first;
  http_options.port = addr->second;
  std::string ca_pem;
  if (!insecure_http) {
    auto tls = apiserver::EnsureServingCertificates(
        dir + "/pki", {"127.0.0.1", "localhost", addr->first}, server_clock.Now());
    if (!tls.ok()) {
      log.Error(tls.status().ToString());
      return 1;
    }
    ca_pem = tls->ca_pem;
    http_options.cert_pem = tls->cert_pem;
    http_options.key_pem = tls->key_pem;
    auto created = apiserver::EnsureTokenFile(dir + "/tokens.csv");
    if (!created.ok()) {
      log.Error(created.status().ToString());
      return 1;
    }
    auto loaded = apiserver::TokenAuthenticator::Load(dir + "/tokens.csv");
    if (!loaded.ok()) {
      log.Error(loaded.status().ToString());
      return 1;
    }
    auth = std::move(*loaded);
    if (auto warning = apiserver::PrivateFileWarning(dir + "/tokens.csv"); !warning.empty()) {
      log.Error("warning: " + warning);
    }
    http_options.auth = &*auth;
  }

  // The API server.
  std::random_device rd;
  apiserver::RestOptions rest_options;
  rest_options.seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  rest_options.server_address = listen;
  rest_options.warn = [](const std::string& w) {
    std::cerr << "navarch up: warning: " << w << "\n";
  };
  rest_options.kubelet_networks = *networks;
  // /metrics: requests of kubectl and other clients, watches, and the
  // latency of the store operations the API server makes (the in-process
  // components use the store directly, unmetered).
  // One registry (core/registry) for the server and the in-process
  // components: the same rules, and one allocator of service IPs and ports.
  registry::RegistryOptions registry_options;
  registry_options.service_cidr = rest_options.service_cidr;
  registry_options.node_port_min = rest_options.node_port_min;
  registry_options.node_port_max = rest_options.node_port_max;
  rest_options.event_ttl = *ttl;
  registry_options.default_not_ready_toleration_seconds = admission.not_ready_seconds;
  registry_options.default_unreachable_toleration_seconds = admission.unreachable_seconds;
  auto shared_registry = registry::Registry::Create(registry_options);
  if (!shared_registry.ok()) {
    log.Error(shared_registry.status().ToString());
    return 1;
  }
  rest_options.registry = *shared_registry;
  apiserver::Metrics metrics;
  apiserver::MeteredStore metered(**store, server_clock, metrics);
  apiserver::RestServer rest(metered, server_clock, rest_options, &metrics);
  server_clock.Start();
  if (Status s = rest.Start(); !s.ok()) {
    log.Error(s.ToString());
    return 1;
  }
  metrics.SetCompactedRevision((*store)->CompactedRevision());
  apiserver::Compactor compactor(
      metered, server_clock, {*compaction}, [&metrics, log](const apiserver::CompactionReport& r) {
        metrics.ObserveCompaction(r.status.ok(), r.revision, r.removed);
        if (r.status.ok()) {
          log.Info(1, "store compacted to revision " + std::to_string(r.revision) + " (" +
                          std::to_string(r.removed) + " old versions removed in " +
                          std::to_string(r.steps) + (r.steps == 1 ? " step)" : " steps)"));
        } else {
          log.Error("store compaction to revision " + std::to_string(r.revision) +
                    " failed: " + r.status.message());
        }
      });
  compactor.Start();
  realtime::AsioClock clock;  // the components' loop (this thread)
  RuntimeLogSource logs(clock);
  rest.SetLogSource(&logs);
  http_options.log = [log](std::string_view line) { log.Info(1, line); };
  if (std::string warning = RaiseOpenFileLimit(http_options.max_connections); !warning.empty()) {
    log.Info(0, "warning: " + warning);
  }
  apiserver::HttpServer http(rest, http_options);
  if (Status s = http.Start(); !s.ok()) {
    log.Error(s.ToString());
    return 1;
  }
  const std::string url = std::string(insecure_http ? "http" : "https") + "://" +
                          (addr->first == "0.0.0.0" ? "127.0.0.1" : addr->first) + ":" +
                          std::to_string(http.port());
  const std::string kubeconfig = dir + "/kubeconfig";
  {
    apiserver::KubeconfigContents kc;
    kc.server = url;
    kc.ca_pem = ca_pem;
    if (auth) kc.token = auth->TokenOf("admin");
    if (Status s = apiserver::WriteKubeconfig(kubeconfig, kc); !s.ok()) {
      log.Error(s.ToString());
      return 1;
    }
  }

  // The components.
  client::LocalApiOptions api_options;
  api_options.seed = (static_cast<uint64_t>(rd()) << 32) | rd();
  api_options.registry = *shared_registry;
  api_options.event_ttl = *ttl;
  client::LocalApi api(**store, clock, api_options);
  std::unique_ptr<ControlPlane> cp;
  const int rc = RunComponent(
      clock, log,
      [&]() -> Status {
        if (cp) {
          for (auto& n : cp->nodes)
            logs.RemoveNode(n.name);
        }
        cp = std::make_unique<ControlPlane>();
        NAVARCH_RETURN_IF_ERROR(StartControlPlane(api, clock, *cp, run_controllers,
                                                  run_scheduler ? &*sched_profile : nullptr));
        for (int i = 1; i <= nodes; ++i) {
          KubeletFlags nf = kf;
          nf.node_name = "node-" + std::to_string(i);
          nf.pod_ip_prefix = "10.128." + std::to_string(i) + ".";
          NAVARCH_ASSIGN_OR_RETURN(kubelet::KubeletOptions ko, nf.BuildOptions());
          ko.kubelet_port = 0;  // logs are served in-process, not by a kubelet port
          Node node;
          node.name = nf.node_name;
          auto rt = MakeKubeletRuntime(nf, clock);
          if (!rt.ok()) return rt.status().WithContext(nf.node_name);
          node.runtime = std::move(*rt);
          node.kubelet = std::make_unique<kubelet::Kubelet>(api, clock, node.runtime->runtime(),
                                                            std::move(ko));
          NAVARCH_RETURN_IF_ERROR(node.kubelet->Start().WithContext(nf.node_name));
          logs.AddNode(node.name, &node.runtime->runtime());
          cp->nodes.push_back(std::move(node));
        }
        std::cout << "navarch up: cluster running at " << url << " (" << nodes << " node"
                  << (nodes == 1 ? "" : "s") << ", runtime " << kf.runtime << ", data in " << dir
                  << ")\n"
                  << "  export KUBECONFIG=" << kubeconfig << " ; kubectl get nodes\n"
                  << std::flush;
        return Status::Ok();
      },
      [&] {
        for (auto& n : cp->nodes) {
          logs.RemoveNode(n.name);
          n.kubelet->Stop();
        }
        if (cp->scheduler) cp->scheduler->Stop();
      });
  http.Stop();
  rest.Shutdown();
  compactor.Stop();
  server_clock.Stop();
  rest.SetLogSource(nullptr);
  cp.reset();
  log.Info(1, "stopped");
  return rc;
}

}  // namespace navarch::cmd
