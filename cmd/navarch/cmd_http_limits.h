#pragma once
// The HTTP edge limits of `navarch apiserver` and `navarch up` as flags:
// one flag per field of apiserver::HttpServerOptions that bounds what a
// client may make the server hold (docs/apiserver.md "Limits").

#include <boost/program_options.hpp>
#include <cstddef>
#include <string>

#include "core/apiserver/http_server.h"
#include "core/base/status.h"

namespace navarch::cmd {

struct HttpLimitFlags {
  HttpLimitFlags();  // every default from HttpServerOptions

  size_t max_body_bytes;
  size_t max_header_bytes;
  std::string request_header_timeout;
  std::string request_body_timeout;
  std::string idle_timeout;
  int max_connections;
  int max_requests_inflight;
  int max_requests_inflight_per_client;
  int max_watches_per_client;
  size_t watch_send_buffer_bytes;
  size_t watch_send_buffer_total_bytes;
  std::string tls_cipher_suites;  // comma-separated IANA names; "" = the defaults
  std::string tls_min_version;

  void Add(boost::program_options::options_description& desc);
  // Copies the flags into `options`. kInvalidArgument naming the flag for a
  // malformed duration or cipher suite list; the server's Start() checks the
  // ranges.
  Status Apply(apiserver::HttpServerOptions& options) const;
};

// Raises the soft open-file limit to the hard one, as Go programs (such as
// kube-apiserver) do at start. Returns a warning to print when the limit
// still leaves too few descriptors for `max_connections`, else "".
std::string RaiseOpenFileLimit(int max_connections);

}  // namespace navarch::cmd
