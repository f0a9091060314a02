// navarch apiserver: the Kubernetes-v1-compatible API server over a store
// (SQLite by default), with TLS, bearer tokens and a kubeconfig for the user.
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "backends/realtime/asio_clock.h"
#include "cmd/navarch/cmd_cluster_common.h"
#include "cmd/navarch/cmd_http_limits.h"
#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "core/apiserver/certs.h"
#include "core/apiserver/compactor.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/kubeconfig_writer.h"
#include "core/apiserver/metrics.h"
#include "core/apiserver/rest.h"
#include "core/apiserver/tokens.h"
#include "core/store/store.h"

namespace navarch::cmd {

namespace {

std::string DefaultDataDir() {
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : ".") + "/.navarch";
}

bool MakeDirs(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!cur.empty()) ::mkdir(cur.c_str(), 0700);
    }
    if (i < path.size()) cur += path[i];
  }
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

int RunApiserver(const Args& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "navarch apiserver: serve the Kubernetes v1 API (pods, nodes, replication\n"
      "controllers, services, endpoints, events, namespaces) that kubectl drives.\n"
      "On first start it generates a CA, a serving certificate and an admin token in\n"
      "the data directory and writes a kubeconfig there. Ctrl-C or SIGTERM stops it.\n\n"
      "Options");
  std::string store_url, listen = "127.0.0.1:6443", data_dir, token_file, kubeconfig;
  std::string service_cidr = "10.96.0.0/16", node_ports = "30000-32767";
  std::string kubelet_networks(apiserver::kDefaultKubeletNetworks);
  std::string compaction_interval = "5m";
  AdmissionFlags admission;
  bool insecure = false, anonymous = false;
  int io_threads = 2, handler_threads = 16;
  HttpLimitFlags limits;
  desc.add_options()("help,h", "show this help")(
      "store", po::value(&store_url),
      "store URL: sqlite:PATH[?sync=full|normal] or memory: (default sqlite:DATA_DIR/state.db)")(
      "listen", po::value(&listen)->default_value(listen), "address:port to serve on")(
      "data-dir", po::value(&data_dir),
      "where certificates, tokens and the kubeconfig live "
      "(default $HOME/.navarch)")(
      "token-file", po::value(&token_file),
      "bearer tokens, CSV token,user,uid per line (default DATA_DIR/tokens.csv, created with an "
      "admin token when missing)")("kubeconfig", po::value(&kubeconfig),
                                   "where to write the kubeconfig (default "
                                   "DATA_DIR/kubeconfig)")(
      "insecure-http", po::bool_switch(&insecure), "serve plain HTTP instead of HTTPS")(
      "anonymous", po::bool_switch(&anonymous),
      "accept requests without a token (tests and benchmarks only)")(
      "service-cidr", po::value(&service_cidr)->default_value(service_cidr),
      "IPv4 range of service cluster IPs")("service-node-port-range",
                                           po::value(&node_ports)->default_value(node_ports),
                                           "node port range MIN-MAX")(
      "io-threads", po::value(&io_threads)->default_value(io_threads), "threads doing network I/O")(
      "handler-threads", po::value(&handler_threads)->default_value(handler_threads),
      "threads serving requests (concurrent store writes)")(
      "kubelet-networks", po::value(&kubelet_networks)->default_value(kubelet_networks),
      "comma-separated CIDRs the kubelet endpoints (pods/log) may be in; the API server "
      "connects to no kubelet address outside them")(
      "compaction-interval", po::value(&compaction_interval)->default_value(compaction_interval),
      "how often the store's history is compacted to the revision of one interval earlier "
      "(watches from older resourceVersions get 410 Gone); 0 disables");
  po::options_description limit_desc("Limits (docs/apiserver.md)");
  admission.Add(desc);
  limits.Add(limit_desc);
  desc.add(limit_desc);
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = ParseOptions("apiserver", args, desc, pos, vm); rc >= 0) return rc;
  apiserver::HttpServerOptions http_opts;
  if (Status st = limits.Apply(http_opts); !st.ok()) {
    std::cerr << "navarch apiserver: " << st.message() << "\n";
    return 2;
  }

  auto addr = ParseHostPort("--listen", listen);
  if (!addr.ok()) {
    std::cerr << "navarch apiserver: " << addr.status().message() << "\n";
    return 2;
  }
  const std::string host = addr->first;
  const int port = addr->second;
  int32_t np_min = 0, np_max = 0;
  if (std::sscanf(node_ports.c_str(), "%d-%d", &np_min, &np_max) != 2) {
    std::cerr << "navarch apiserver: --service-node-port-range " << node_ports
              << ": give MIN-MAX such as 30000-32767\n";
    return 2;
  }
  auto networks = apiserver::NetworkList::Parse(kubelet_networks, "--kubelet-networks");
  if (!networks.ok()) {
    std::cerr << "navarch apiserver: " << networks.status().message() << "\n";
    return 2;
  }
  auto compaction = ParseDuration(compaction_interval);
  if (!compaction.ok() || *compaction < Duration(0)) {
    std::cerr << "navarch apiserver: --compaction-interval: "
              << (compaction.ok() ? "must not be negative" : compaction.status().message()) << "\n";
    return 2;
  }
  auto ttl = admission.EventTtl();
  if (!ttl.ok()) {
    std::cerr << "navarch apiserver: " << ttl.status().message() << "\n";
    return 2;
  }
  if (data_dir.empty()) data_dir = DefaultDataDir();
  if (!MakeDirs(data_dir)) {
    std::cerr << "navarch apiserver: cannot create data directory " << data_dir << "\n";
    return 1;
  }
  if (store_url.empty()) store_url = "sqlite:" + data_dir + "/state.db";
  if (token_file.empty()) token_file = data_dir + "/tokens.csv";
  if (kubeconfig.empty()) kubeconfig = data_dir + "/kubeconfig";

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto store = store::OpenStore(store_url);
  if (!store.ok()) {
    std::cerr << "navarch apiserver: " << store.status().message() << "\n";
    return 1;
  }
  realtime::AsioClock clock;
  clock.Start();
  apiserver::Metrics metrics;
  apiserver::MeteredStore metered(**store, clock, metrics);

  apiserver::RestOptions rest_opts;
  rest_opts.service_cidr = service_cidr;
  rest_opts.node_port_min = np_min;
  rest_opts.node_port_max = np_max;
  rest_opts.event_ttl = *ttl;
  rest_opts.default_not_ready_toleration_seconds = admission.not_ready_seconds;
  rest_opts.default_unreachable_toleration_seconds = admission.unreachable_seconds;
  rest_opts.seed = std::random_device{}() * 0x100000001ull ^ std::random_device{}();
  rest_opts.server_address = listen;
  rest_opts.write_pool = std::max(4, handler_threads);
  rest_opts.warn = [](const std::string& w) {
    std::cerr << "navarch apiserver: warning: " << w << "\n";
  };
  rest_opts.kubelet_networks = *networks;
  apiserver::RestServer rest(metered, clock, rest_opts, &metrics);
  if (Status st = rest.Start(); !st.ok()) {
    std::cerr << "navarch apiserver: " << st.message() << "\n";
    return 1;
  }
  // The store's history: compacted every interval (metrics and one line each;
  // through the metered store, so each step's latency is in /metrics too).
  metrics.SetCompactedRevision((*store)->CompactedRevision());
  apiserver::Compactor compactor(
      metered, clock, {*compaction}, [&metrics](const apiserver::CompactionReport& r) {
        metrics.ObserveCompaction(r.status.ok(), r.revision, r.removed);
        if (r.status.ok()) {
          std::cout << "navarch apiserver: store compacted to revision " << r.revision << " ("
                    << r.removed << " old versions removed in " << r.steps
                    << (r.steps == 1 ? " step)\n" : " steps)\n") << std::flush;
        } else {
          std::cerr << "navarch apiserver: store compaction to revision " << r.revision
                    << " failed: " << r.status.message() << "\n";
        }
      });
  compactor.Start();

  std::optional<apiserver::TokenAuthenticator> auth;
  std::string admin_token;
  if (!anonymous) {
    auto created = apiserver::EnsureTokenFile(token_file);
    if (!created.ok()) {
      std::cerr << "navarch apiserver: " << created.status().message() << "\n";
      return 1;
    }
    auto loaded = apiserver::TokenAuthenticator::Load(token_file);
    if (!loaded.ok()) {
      std::cerr << "navarch apiserver: " << loaded.status().message() << "\n";
      return 1;
    }
    auth = std::move(*loaded);
    if (auto warning = apiserver::PrivateFileWarning(token_file); !warning.empty()) {
      std::cerr << "navarch apiserver: warning: " << warning << "\n";
    }
    admin_token = auth->TokenOf("admin");
    if (admin_token.empty() && auth->size() > 0) {
      std::cerr << "navarch apiserver: warning: " << token_file
                << " has no user \"admin\"; the kubeconfig carries no token\n";
    }
  }

  http_opts.host = host;
  http_opts.port = static_cast<uint16_t>(port);
  http_opts.io_threads = io_threads;
  http_opts.handler_threads = handler_threads;
  http_opts.auth = auth ? &*auth : nullptr;
  http_opts.log = [](std::string_view line) {
    std::cerr << ("navarch apiserver: " + std::string(line) + "\n") << std::flush;
  };
  if (std::string warning = RaiseOpenFileLimit(http_opts.max_connections); !warning.empty()) {
    std::cerr << "navarch apiserver: warning: " << warning << "\n";
  }
  std::string ca_pem;
  if (!insecure) {
    std::vector<std::string> hosts = {"127.0.0.1", "localhost"};
    if (host != "127.0.0.1" && host != "0.0.0.0" && !host.empty()) hosts.push_back(host);
    auto tls = apiserver::EnsureServingCertificates(data_dir, hosts, clock.Now());
    if (!tls.ok()) {
      std::cerr << "navarch apiserver: " << tls.status().message() << "\n";
      return 1;
    }
    http_opts.cert_pem = tls->cert_pem;
    http_opts.key_pem = tls->key_pem;
    ca_pem = tls->ca_pem;
  }
  apiserver::HttpServer server(rest, http_opts);
  if (Status st = server.Start(); !st.ok()) {
    std::cerr << "navarch apiserver: " << st.message() << "\n";
    return 1;
  }
  const std::string url_host = host == "0.0.0.0" ? "127.0.0.1" : host;
  const std::string url = std::string(insecure ? "http" : "https") + "://" + url_host + ":" +
                          std::to_string(server.port());
  apiserver::KubeconfigContents kc{url, ca_pem, "admin", admin_token};
  if (Status st = apiserver::WriteKubeconfig(kubeconfig, kc); !st.ok()) {
    std::cerr << "navarch apiserver: " << st.message() << "\n";
    return 1;
  }
  std::cout << "navarch apiserver: serving " << url << " (store " << (*store)->Describe() << ")\n"
            << "kubeconfig: " << kubeconfig << "\n"
            << "  kubectl --kubeconfig " << kubeconfig << " get nodes\n"
            << std::flush;

  int sig = 0;
  sigwait(&sigs, &sig);
  std::cout << "navarch apiserver: " << (sig == SIGINT ? "interrupted" : "terminated")
            << ", shutting down\n"
            << std::flush;
  server.Stop();
  compactor.Stop();
  clock.Stop();
  return 0;
}

}  // namespace navarch::cmd
