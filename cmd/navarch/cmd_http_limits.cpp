#include "cmd/navarch/cmd_http_limits.h"

#include <sys/resource.h>

#include <sstream>

#include "core/apiserver/http_limits.h"

namespace navarch::cmd {

namespace po = boost::program_options;

namespace {

std::string Seconds(std::chrono::seconds s) {
  return std::to_string(s.count()) + "s";
}

Result<std::chrono::seconds> ParseSeconds(const char* flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok() || *d < seconds(1) || *d % seconds(1) != Duration{0}) {
    return InvalidArgument(std::string("--") + flag + " " + text +
                           ": give a whole number of seconds, at least 1s (such as 10s or 2m)");
  }
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

}  // namespace

HttpLimitFlags::HttpLimitFlags() {
  const apiserver::HttpServerOptions d;
  max_body_bytes = d.max_body_bytes;
  max_header_bytes = d.max_header_bytes;
  request_header_timeout = Seconds(d.header_timeout);
  request_body_timeout = Seconds(d.body_timeout);
  idle_timeout = Seconds(d.idle_timeout);
  max_connections = d.max_connections;
  max_requests_inflight = d.max_requests_inflight;
  max_requests_inflight_per_client = d.max_requests_inflight_per_client;
  max_watches_per_client = d.max_watches_per_client;
  watch_send_buffer_bytes = d.watch_send_buffer_bytes;
  watch_send_buffer_total_bytes = d.watch_send_buffer_total_bytes;
  tls_min_version = d.tls_min_version;
}

void HttpLimitFlags::Add(po::options_description& desc) {
  desc.add_options()("max-body-bytes", po::value(&max_body_bytes)->default_value(max_body_bytes),
                     "largest request body accepted (larger: 413, told from Content-Length "
                     "before the body is read)")(
      "max-header-bytes", po::value(&max_header_bytes)->default_value(max_header_bytes),
      "largest request header accepted (larger: 431)")(
      "request-header-timeout",
      po::value(&request_header_timeout)->default_value(request_header_timeout),
      "time from a request's first byte (for a new connection: from its start, and as long "
      "again for the TLS handshake) to the end of its header; past it the connection is "
      "closed")(
      "request-body-timeout", po::value(&request_body_timeout)->default_value(request_body_timeout),
      "time to read the body of an authenticated request; past it the connection is closed")(
      "idle-timeout", po::value(&idle_timeout)->default_value(idle_timeout),
      "a keep-alive connection idle this long is closed")(
      "max-connections", po::value(&max_connections)->default_value(max_connections),
      "open connections; past it a connection's first request gets 429 with Retry-After: 1 "
      "(health probes are still answered) and the connection is closed")(
      "max-requests-inflight",
      po::value(&max_requests_inflight)->default_value(max_requests_inflight),
      "requests being read or served at once, watches and log follows excepted (more: 429 "
      "with Retry-After: 1)")(
      "max-requests-inflight-per-client",
      po::value(&max_requests_inflight_per_client)->default_value(max_requests_inflight_per_client),
      "the same, per client (user@address; the address without authentication)")(
      "max-watches-per-client",
      po::value(&max_watches_per_client)->default_value(max_watches_per_client),
      "watches and log follows open per client (more: 429 with Retry-After: 1)")(
      "watch-send-buffer-bytes",
      po::value(&watch_send_buffer_bytes)->default_value(watch_send_buffer_bytes),
      "bytes a watch (or log follow) may have waiting for a slow client; past it the watch "
      "ends with an ERROR event (429) and the client watches again from its last "
      "resourceVersion")(
      "watch-send-buffer-total-bytes",
      po::value(&watch_send_buffer_total_bytes)->default_value(watch_send_buffer_total_bytes),
      "the same, all streams together: past it a stream that has anything waiting ends")(
      "tls-cipher-suites", po::value(&tls_cipher_suites),
      "TLS 1.2 cipher suites, comma-separated IANA names (default: every ECDHE suite with "
      "AES-GCM or ChaCha20-Poly1305; only those are accepted; TLS 1.3 suites are always on)")(
      "tls-min-version", po::value(&tls_min_version)->default_value(tls_min_version),
      "lowest TLS version: VersionTLS12 or VersionTLS13");
}

Status HttpLimitFlags::Apply(apiserver::HttpServerOptions& o) const {
  o.max_body_bytes = max_body_bytes;
  o.max_header_bytes = max_header_bytes;
  auto header = ParseSeconds("request-header-timeout", request_header_timeout);
  if (!header.ok()) return header.status();
  auto body = ParseSeconds("request-body-timeout", request_body_timeout);
  if (!body.ok()) return body.status();
  auto idle = ParseSeconds("idle-timeout", idle_timeout);
  if (!idle.ok()) return idle.status();
  o.header_timeout = *header;
  o.body_timeout = *body;
  o.idle_timeout = *idle;
  o.max_connections = max_connections;
  o.max_requests_inflight = max_requests_inflight;
  o.max_requests_inflight_per_client = max_requests_inflight_per_client;
  o.max_watches_per_client = max_watches_per_client;
  o.watch_send_buffer_bytes = watch_send_buffer_bytes;
  o.watch_send_buffer_total_bytes = watch_send_buffer_total_bytes;
  o.tls_cipher_suites.clear();
  std::stringstream ss(tls_cipher_suites);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (!name.empty()) o.tls_cipher_suites.push_back(name);
  }
  if (auto list = apiserver::OpenSslCipherList(o.tls_cipher_suites); !list.ok()) {
    return InvalidArgument("--tls-cipher-suites: " + list.status().message());
  }
  o.tls_min_version = tls_min_version;
  return Status::Ok();
}

std::string RaiseOpenFileLimit(int max_connections) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return "";
  if (rl.rlim_cur < rl.rlim_max) {
    struct rlimit raised = rl;
    raised.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
  }
  // The store, the log files and the components need some descriptors too.
  constexpr rlim_t kReserve = 256;
  const rlim_t needed =
      static_cast<rlim_t>(max_connections) + apiserver::kSpareConnections + kReserve;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < needed) {
    return "the open-file limit (" + std::to_string(rl.rlim_cur) + ") is below what " +
           "--max-connections=" + std::to_string(max_connections) + " needs (about " +
           std::to_string(needed) +
           "); past it, new connections wait until descriptors free up: raise ulimit -n or "
           "lower --max-connections";
  }
  return "";
}

}  // namespace navarch::cmd
