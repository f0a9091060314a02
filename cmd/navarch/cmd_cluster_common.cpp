#include "cmd/navarch/cmd_cluster_common.h"

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/apiclient/kubeconfig.h"

namespace navarch::cmd {

namespace po = boost::program_options;

void AdmissionFlags::Add(po::options_description& desc) {
  desc.add_options()(
      "default-not-ready-toleration-seconds",
      po::value(&not_ready_seconds)->default_value(not_ready_seconds),
      "how long a new pod tolerates node.kubernetes.io/not-ready:NoExecute unless it says "
      "(its pods are evicted that long after its node is tainted)")(
      "default-unreachable-toleration-seconds",
      po::value(&unreachable_seconds)->default_value(unreachable_seconds),
      "the same for node.kubernetes.io/unreachable:NoExecute")(
      "event-ttl", po::value(&event_ttl)->default_value(event_ttl),
      "Events expire this long after their last write; 0 keeps them");
}

Result<Duration> AdmissionFlags::EventTtl() const {
  auto ttl = ParseDuration(event_ttl);
  if (!ttl.ok()) return InvalidArgument("--event-ttl: " + ttl.status().message());
  if (*ttl < Duration(0)) return InvalidArgument("--event-ttl: must not be negative");
  return *ttl;
}

void ClientLimitFlags::Add(po::options_description& desc) {
  desc.add_options()("kube-api-qps", po::value(&qps)->default_value(qps),
                     "requests per second to the API server (a token bucket, as client-go's); 0: "
                     "no limit")("kube-api-burst", po::value(&burst)->default_value(burst),
                                 "requests allowed at once above --kube-api-qps");
}

Result<client::ClientLimits> ClientLimitFlags::Limits() const {
  if (!std::isfinite(qps) || qps < 0 || qps > 1e6) {
    return InvalidArgument("--kube-api-qps: must be between 0 (no limit) and 1000000");
  }
  if (burst < 1 || burst > 1'000'000) {
    return InvalidArgument("--kube-api-burst: must be between 1 and 1000000");
  }
  return client::ClientLimits{qps, burst};
}

void ConnectionFlags::Add(po::options_description& desc) {
  desc.add_options()("server", po::value(&server),
                     "API server URL (https://127.0.0.1:6443); overrides the kubeconfig's")(
      "kubeconfig", po::value(&kubeconfig),
      "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)")(
      "token", po::value(&token), "bearer token (overrides the kubeconfig's)")(
      "certificate-authority", po::value(&certificate_authority),
      "PEM file of the CA that signs the server's certificate")(
      "insecure-skip-tls-verify", po::bool_switch(&insecure_skip_tls_verify),
      "do not verify the server's certificate (testing only)")(
      "v", po::value(&verbosity)->default_value(1),
      "log verbosity on stderr: 0 errors only, 1 normal, 2 details, 3 every watch event");
}

Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view flag,
                                                       const std::string& value) {
  const size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return InvalidArgument(std::string(flag) + ": \"" + value +
                           "\" is not HOST:PORT (e.g. 127.0.0.1:6443)");
  }
  const std::string port = value.substr(colon + 1);
  int p = -1;
  if (!port.empty() && port.size() <= 5 &&
      port.find_first_not_of("0123456789") == std::string::npos) {
    p = std::stoi(port);
  }
  if (p < 0 || p > 65535) {
    return InvalidArgument(std::string(flag) + ": bad port \"" + port + "\" in \"" + value +
                           "\" (0-65535)");
  }
  return std::make_pair(value.substr(0, colon), static_cast<uint16_t>(p));
}

std::string DefaultKubeconfigPath() {
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    std::string s(env);
    return s.substr(0, s.find(':'));
  }
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.kube/config";
}

Result<apiclient::HttpApiOptions> ConnectionFlags::Resolve() const {
  apiclient::HttpApiOptions o;
  if (!server.empty() && kubeconfig.empty()) {
    o.server = server;
  } else {
    const std::string path = kubeconfig.empty() ? DefaultKubeconfigPath() : kubeconfig;
    auto config = apiclient::LoadKubeconfig(path);
    if (!config.ok()) {
      if (config.code() == Code::kNotFound && kubeconfig.empty()) {
        return InvalidArgument("no API server given: pass --server URL or --kubeconfig PATH (" +
                               config.status().message() + ")");
      }
      return config.status();
    }
    o = apiclient::OptionsFromConfig(*config);
    if (!server.empty()) o.server = server;
  }
  if (!token.empty()) o.bearer_token = token;
  if (!certificate_authority.empty()) {
    std::ifstream in(certificate_authority);
    if (!in) {
      return InvalidArgument("--certificate-authority: cannot read " + certificate_authority);
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    o.ca_pem = ss.str();
  }
  if (insecure_skip_tls_verify) o.insecure_skip_tls_verify = true;
  return o;
}

namespace {

void WriteLine(char level, const std::string& component, std::string_view message) {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%c%02d%02d %02d:%02d:%02d.%03d", level, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::ostringstream line;
  line << stamp << ' ' << component << "] " << message << '\n';
  std::cerr << line.str() << std::flush;
}

}  // namespace

void Log::Info(int level, std::string_view message) const {
  if (level <= v_) WriteLine('I', component_, message);
}

void Log::Error(std::string_view message) const {
  WriteLine('E', component_, message);
}

int RunComponent(realtime::AsioClock& clock, const Log& log, std::function<Status()> start,
                 std::function<void()> stop) {
  int exit_code = 0;
  bool started = false;
  bool stopping = false;
  auto backoff = std::make_shared<Duration>(seconds(1));
  std::function<void()> attempt;
  attempt = [&] {
    if (stopping) return;
    Status s = start();
    if (s.ok()) {
      started = true;
      log.Info(1, "started");
      return;
    }
    if (s.code() == Code::kUnavailable) {
      log.Info(1, "waiting for the API server: " + s.message());
      clock.After(*backoff, attempt);
      *backoff = std::min<Duration>(*backoff * 2, seconds(10));
      return;
    }
    log.Error(s.ToString());
    exit_code = 1;
    clock.Stop();
  };
  boost::asio::signal_set signals(clock.io_context(), SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log.Info(1, std::string("received ") + (signo == SIGINT ? "SIGINT" : "SIGTERM") + ", stopping");
    clock.Post([&] {
      stopping = true;
      if (started) stop();
      clock.Stop();
    });
  });
  clock.Post(attempt);
  clock.Run();
  signals.cancel();
  return exit_code;
}

}  // namespace navarch::cmd
