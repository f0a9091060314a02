#pragma once
// Where the API server may connect to reach a kubelet, and what it may ask
// for: the one home of the checks every API-server→kubelet call goes through
// (today the pods/log relay, kubelet_logs.h).
//
// The endpoint. A kubelet advertises it in its Node (written by the kubelet
// itself; core/apiserver/node_restriction.h keeps other users from changing
// these fields):
//   status.addresses                             the host: the first InternalIP,
//                                                else the first ExternalIP
//   status.daemonEndpoints.kubeletEndpoint.Port  the port
//   metadata.annotations[navarch.io/kubelet-log-token]
//                                                the bearer token it accepts
// The host must be an IP literal (a DNS name is never resolved: whoever
// controls the name would choose the target) inside the API server's
// allowed kubelet networks (`navarch apiserver --kubelet-networks`, default
// kDefaultKubeletNetworks: loopback and the private ranges, never link-local
// where cloud metadata services live). The unspecified and multicast
// addresses are refused whatever the list says.
//
// Container ids. A container is named by the id its runtime gave it, as the
// kubelet reports it in status.containerStatuses[*].containerID:
//   [<runtime>://]<id>    runtime  [a-z][a-z0-9-]{0,31}  ("docker", "containerd")
//                         id       [A-Za-z0-9][A-Za-z0-9_.-]{0,127}
// Anything else (CR/LF, '/', "..", spaces, '%', '?') is refused before it can
// shape a request.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/types.h"
#include "core/base/status.h"

namespace navarch::apiserver {

inline constexpr std::string_view kKubeletLogTokenAnnotation = "navarch.io/kubelet-log-token";

// Loopback and private networks: IPv4 127/8, 10/8, 172.16/12, 192.168/16;
// IPv6 ::1 and unique local fc00::/7.
inline constexpr std::string_view kDefaultKubeletNetworks =
    "127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,::1/128,fc00::/7";

// A set of IPv4/IPv6 networks (CIDRs). A value type; thread-safe to read.
class NetworkList {
 public:
  // The default list (kDefaultKubeletNetworks).
  NetworkList();
  // Comma-separated CIDRs ("10.0.0.0/8,fd00::/8"; a bare address is a /32
  // or /128). kInvalidArgument naming `flag` and the bad entry.
  static Result<NetworkList> Parse(std::string_view text, std::string_view flag);

  // Whether `address` (an IP literal; an IPv4-mapped IPv6 address counts as
  // its IPv4 address) is inside one of the networks. False for anything
  // that is not an IP literal.
  bool Contains(std::string_view address) const;
  // The networks, comma-separated, as given.
  const std::string& ToString() const { return text_; }

 private:
  struct Empty {};
  explicit NetworkList(Empty) {}
  struct Network {
    bool v6 = false;
    uint8_t bytes[16] = {};
    int prefix = 0;
  };
  std::vector<Network> networks_;
  std::string text_;
};

struct KubeletEndpoint {
  std::string host;  // an IP literal
  uint16_t port = 0;
  std::string token;
};

// The log endpoint `node` advertises, checked. Errors:
//   kUnavailable     it advertises none (no port, no IP address or no token:
//                    a kubelet without a log endpoint, or a simulated node)
//   kInvalidArgument it advertises one the API server refuses to use: a host
//                    that is not an IP literal or lies outside `allowed`, or
//                    a token that is not a bearer token (RFC 6750 b64token)
// Messages name the node, the field and what to change.
Result<KubeletEndpoint> KubeletEndpointOf(const api::Node& node, const NetworkList& allowed);

// Checks `id` against the container id grammar above. kInvalidArgument
// naming `field` and the id (escaped: control characters never reach a log
// line or a terminal raw).
Status ValidateContainerId(std::string_view id, std::string_view field);
// The runtime's own id: `id` without its "<runtime>://" prefix.
std::string_view RuntimeContainerId(std::string_view id);

// `s` for a message: printable ASCII as is, anything else as \r, \n, \t or
// \xNN, cut after 96 bytes.
std::string EscapedForMessage(std::string_view s);

}  // namespace navarch::apiserver
