#include "core/apiserver/kubelet_endpoint.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>

namespace navarch::apiserver {

namespace {

// An IP literal, IPv4-mapped IPv6 addresses folded to IPv4.
struct Ip {
  bool v6 = false;
  uint8_t bytes[16] = {};
};

bool ParseIp(std::string_view text, Ip* out) {
  if (text.empty() || text.size() > 45) return false;
  const std::string s(text);
  Ip ip;
  if (::inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) {
    *out = ip;
    return true;
  }
  if (::inet_pton(AF_INET6, s.c_str(), ip.bytes) != 1) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip.bytes, kMapped, sizeof kMapped) == 0) {
    std::memmove(ip.bytes, ip.bytes + 12, 4);
    std::memset(ip.bytes + 4, 0, 12);
  } else {
    ip.v6 = true;
  }
  *out = ip;
  return true;
}

std::string IpString(const Ip& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes, buf, sizeof buf);
  return buf;
}

bool PrefixMatches(const uint8_t* a, const uint8_t* b, int bits) {
  const int full = bits / 8;
  if (std::memcmp(a, b, static_cast<size_t>(full)) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

// Addresses no kubelet listens on: unspecified (which connects to this
// host), multicast and broadcast.
bool IsUnusable(const Ip& ip) {
  static constexpr uint8_t kZero[16] = {};
  if (!ip.v6) {
    return std::memcmp(ip.bytes, kZero, 4) == 0 || ip.bytes[0] >= 224;  // 224/4, 240/4, bcast
  }
  return std::memcmp(ip.bytes, kZero, 16) == 0 || ip.bytes[0] == 0xff;
}

bool IsTokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
bool IsBearerToken(std::string_view t) {
  if (t.empty() || t.size() > 4096) return false;
  size_t i = 0;
  while (i < t.size() && IsTokenChar(t[i]))
    ++i;
  if (i == 0) return false;
  while (i < t.size() && t[i] == '=')
    ++i;
  return i == t.size();
}

bool IsAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string EscapedForMessage(std::string_view s) {
  constexpr size_t kMax = 96;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

// --- networks ------------------------------------------------------------------

NetworkList::NetworkList() {
  auto parsed = Parse(kDefaultKubeletNetworks, "the default kubelet networks");
  // The default is a constant of this file: a parse failure is a bug.
  if (!parsed.ok()) DieOnBadResultAccess(parsed.status());
  *this = std::move(*parsed);
}

Result<NetworkList> NetworkList::Parse(std::string_view text, std::string_view flag) {
  NetworkList out{Empty{}};
  out.text_ = std::string(text);
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    pos = comma + 1;
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (item.empty()) {
      if (comma == text.size()) break;
      continue;
    }
    const size_t slash = item.find('/');
    Ip ip;
    if (!ParseIp(item.substr(0, slash), &ip)) {
      return InvalidArgument(std::string(flag) + ": \"" + EscapedForMessage(item) +
                             "\" is not a network: give CIDRs such as 10.0.0.0/8 or fd00::/8, "
                             "comma-separated");
    }
    const int max = ip.v6 ? 128 : 32;
    int prefix = max;
    if (slash != std::string_view::npos) {
      const std::string_view bits = item.substr(slash + 1);
      prefix = -1;
      if (!bits.empty() && bits.size() <= 3 &&
          bits.find_first_not_of("0123456789") == std::string_view::npos) {
        prefix = std::stoi(std::string(bits));
      }
      // An IPv4-mapped network (::ffff:10.0.0.0/104) is its IPv4 network.
      const bool mapped = !ip.v6 && item.find(':') != std::string_view::npos;
      if (mapped && prefix >= 96) prefix -= 96;
      if (prefix < 0 || prefix > max) {
        return InvalidArgument(std::string(flag) + ": \"" + EscapedForMessage(item) +
                               "\": the prefix length must be 0-" + std::to_string(max));
      }
    }
    Network n;
    n.v6 = ip.v6;
    std::memcpy(n.bytes, ip.bytes, sizeof n.bytes);
    n.prefix = prefix;
    out.networks_.push_back(n);
    if (comma == text.size()) break;
  }
  return out;
}

bool NetworkList::Contains(std::string_view address) const {
  Ip ip;
  if (!ParseIp(address, &ip)) return false;
  for (const auto& n : networks_) {
    if (n.v6 == ip.v6 && PrefixMatches(n.bytes, ip.bytes, n.prefix)) return true;
  }
  return false;
}

// --- the endpoint ----------------------------------------------------------------

Result<KubeletEndpoint> KubeletEndpointOf(const api::Node& node, const NetworkList& allowed) {
  const std::string& name = node.metadata.name;
  const api::NodeAddress* chosen = nullptr;
  for (const char* type : {"InternalIP", "ExternalIP"}) {
    for (const auto& a : node.status.addresses) {
      if (a.type == type) {
        chosen = &a;
        break;
      }
    }
    if (chosen) break;
  }
  const int32_t port = node.status.daemon_endpoints.kubelet_endpoint.port;
  auto token = node.metadata.annotations.find(std::string(kKubeletLogTokenAnnotation));
  if (chosen == nullptr || port <= 0 || token == node.metadata.annotations.end()) {
    return Unavailable("node " + name +
                       " advertises no kubelet log endpoint (an InternalIP address, "
                       "daemonEndpoints.kubeletEndpoint.Port and the annotation " +
                       std::string(kKubeletLogTokenAnnotation) +
                       "); its kubelet serves no logs to this API server");
  }
  const std::string field = "status.addresses " + chosen->type;
  if (port > 65535) {
    return InvalidArgument("node " + name + ": status.daemonEndpoints.kubeletEndpoint.Port " +
                           std::to_string(port) +
                           " is not a TCP port (1-65535); restart the node's kubelet so that it "
                           "registers its endpoint again");
  }
  Ip ip;
  if (!ParseIp(chosen->address, &ip)) {
    return InvalidArgument("node " + name + ": " + field + " \"" +
                           EscapedForMessage(chosen->address) +
                           "\" is not an IP address; the API server reaches kubelets by IP "
                           "address only and never resolves names: register the kubelet with "
                           "its IP (navarch kubelet --node-ip)");
  }
  const std::string host = IpString(ip);
  if (IsUnusable(ip)) {
    return InvalidArgument("node " + name + ": " + field + " " + host +
                           " is an unspecified, multicast or broadcast address, which no kubelet "
                           "listens on: register the kubelet with its IP (navarch kubelet "
                           "--node-ip)");
  }
  if (!allowed.Contains(host)) {
    return InvalidArgument("node " + name + ": its kubelet address " + host + " (" + field +
                           ") is outside the networks this API server connects to kubelets in "
                           "(--kubelet-networks=" +
                           allowed.ToString() +
                           "); register the kubelet with an address inside them, or add its "
                           "network to --kubelet-networks");
  }
  if (!IsBearerToken(token->second)) {
    return InvalidArgument("node " + name + ": the annotation " +
                           std::string(kKubeletLogTokenAnnotation) +
                           " is not a bearer token (letters, digits and -._~+/ only, then '=' "
                           "padding); restart the node's kubelet so that it registers a fresh "
                           "one");
  }
  KubeletEndpoint e;
  e.host = host;
  e.port = static_cast<uint16_t>(port);
  e.token = token->second;
  return e;
}

// --- container ids -------------------------------------------------------------

Status ValidateContainerId(std::string_view id, std::string_view field) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument(std::string(field) + " \"" + EscapedForMessage(id) +
                           "\" is not a container id: " + why +
                           "; a container id is [<runtime>://]<id> as the container runtime "
                           "reports it, <id> being letters, digits, '_', '.' and '-' (at most "
                           "128, the first a letter or digit)");
  };
  if (id.empty()) return bad("it is empty");
  std::string_view rest = id;
  if (const size_t sep = id.find("://"); sep != std::string_view::npos) {
    const std::string_view runtime = id.substr(0, sep);
    bool ok = !runtime.empty() && runtime.size() <= 32 && runtime[0] >= 'a' && runtime[0] <= 'z';
    for (char c : runtime)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (!ok) return bad("the runtime name before \"://\" must be [a-z][a-z0-9-]*, at most 32");
    rest = id.substr(sep + 3);
  }
  if (rest.empty()) return bad("the id after the runtime name is empty");
  if (rest.size() > 128) return bad("it is longer than 128 characters");
  if (!IsAlnum(rest[0])) return bad("it must start with a letter or digit");
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') {
      return bad("the character '" + EscapedForMessage(std::string_view(&rest[i], 1)) +
                 "' at offset " + std::to_string(id.size() - rest.size() + i) + " is not allowed");
    }
  }
  return Status::Ok();
}

std::string_view RuntimeContainerId(std::string_view id) {
  const size_t sep = id.find("://");
  return sep == std::string_view::npos ? id : id.substr(sep + 3);
}

}  // namespace navarch::apiserver
