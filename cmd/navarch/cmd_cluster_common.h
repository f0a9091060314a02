#pragma once
// Plumbing shared by the cluster component commands (scheduler,
// controller-manager, kubelet, up): how to reach the API server, logging to
// stderr, and running a component on a real-time loop until SIGINT/SIGTERM.

#include <boost/program_options.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "backends/realtime/asio_clock.h"
#include "core/apiclient/http_api.h"
#include "core/base/status.h"
#include "core/client/throttle.h"

namespace navarch::cmd {

// --server, --kubeconfig, --token, --certificate-authority,
// --insecure-skip-tls-verify and -v.
struct ConnectionFlags {
  std::string server;
  std::string kubeconfig;
  std::string token;
  std::string certificate_authority;
  bool insecure_skip_tls_verify = false;
  int verbosity = 1;

  void Add(boost::program_options::options_description& desc);
  // Where the client options come from, in order: --kubeconfig, then
  // $KUBECONFIG (its first entry), then ~/.kube/config — unless --server is
  // given without --kubeconfig, then the flags alone (plus
  // --token/--certificate-authority). --server always overrides the
  // kubeconfig's server; --token its token.
  Result<apiclient::HttpApiOptions> Resolve() const;
};

// The API server's own rules for what clients write, shared by `apiserver`
// and `up`: --default-not-ready-toleration-seconds,
// --default-unreachable-toleration-seconds and --event-ttl.
struct AdmissionFlags {
  int64_t not_ready_seconds = 300;
  int64_t unreachable_seconds = 300;
  std::string event_ttl = "1h";

  void Add(boost::program_options::options_description& desc);
  // The parsed --event-ttl; kInvalidArgument naming the flag.
  Result<Duration> EventTtl() const;
};

// A component's client limits: --kube-api-qps and --kube-api-burst, as
// kube-controller-manager's and the kubelet's flags (defaults: the
// component's Kubernetes defaults; --kube-api-qps 0: no limit).
struct ClientLimitFlags {
  explicit ClientLimitFlags(client::ClientLimits defaults)
      : qps(defaults.qps), burst(defaults.burst) {}
  double qps;
  int32_t burst;

  void Add(boost::program_options::options_description& desc);
  // kInvalidArgument naming the flag for a negative, huge or non-finite value.
  Result<client::ClientLimits> Limits() const;
};

// "HOST:PORT" (port 0-65535) of a listening flag; the error names `flag`.
Result<std::pair<std::string, uint16_t>> ParseHostPort(std::string_view flag,
                                                       const std::string& value);

// The default kubeconfig path: $KUBECONFIG's first entry, else ~/.kube/config.
std::string DefaultKubeconfigPath();

// "I1126 03:31:02.123 scheduler] message" lines on stderr. Level 0 always
// prints (errors); 1 normal; 2 and more are details.
class Log {
 public:
  Log(std::string component, int verbosity) : component_(std::move(component)), v_(verbosity) {}
  void Info(int level, std::string_view message) const;
  void Error(std::string_view message) const;
  bool Enabled(int level) const { return level <= v_; }

 private:
  std::string component_;
  int v_;
};

// Runs a component on `clock`'s loop in the calling thread until SIGINT or
// SIGTERM: `start` runs on the loop; when it fails with kUnavailable (the API
// server is not reachable yet) it is retried with back-off (1 s doubling to
// 10 s), any other error ends the run with exit code 1. On a signal `stop`
// runs on the loop and the function returns 0.
int RunComponent(realtime::AsioClock& clock, const Log& log, std::function<Status()> start,
                 std::function<void()> stop);

}  // namespace navarch::cmd
