#include "core/registry/service_allocator.h"

#include <charconv>
#include <memory>
#include <optional>

namespace navarch::registry {

std::optional<uint32_t> ServiceAllocator::ParseIp(std::string_view ip) {
  uint32_t out = 0;
  const char* p = ip.data();
  const char* end = ip.data() + ip.size();
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [q, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || q == p) return std::nullopt;
    out = (out << 8) | octet;
    p = q;
    if (i < 3) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
  }
  if (p != end) return std::nullopt;
  return out;
}

std::string ServiceAllocator::FormatIp(uint32_t ip) {
  return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
         std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

Result<std::unique_ptr<ServiceAllocator>> ServiceAllocator::Create(std::string_view cidr,
                                                                   int32_t port_min,
                                                                   int32_t port_max) {
  const std::string bad = "service CIDR \"" + std::string(cidr) +
                          "\" is not an IPv4 network \"a.b.c.d/n\" with a prefix length "
                          "between 8 and 30 (for example 10.96.0.0/16)";
  const size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return InvalidArgument(bad);
  auto base = ParseIp(cidr.substr(0, slash));
  int bits = 0;
  auto len = cidr.substr(slash + 1);
  auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
  if (!base || ec != std::errc() || p != len.data() + len.size() || bits < 8 || bits > 30) {
    return InvalidArgument(bad);
  }
  if (port_min <= 0 || port_max > 65535 || port_min > port_max) {
    return InvalidArgument("node port range " + std::to_string(port_min) + "-" +
                           std::to_string(port_max) +
                           " is empty or outside 1-65535 (for example 30000-32767)");
  }
  std::unique_ptr<ServiceAllocator> a(new ServiceAllocator());
  const uint32_t mask = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  const uint32_t network = *base & mask;
  a->cidr_ = std::string(cidr);
  a->first_ = network + 2;           // network + 1 is the API service's
  a->last_ = (network | ~mask) - 1;  // broadcast excluded
  a->next_ip_ = a->first_;
  a->port_min_ = port_min;
  a->port_max_ = port_max;
  a->next_port_ = port_min;
  return a;
}

bool ServiceAllocator::InRange(std::string_view ip) const {
  auto v = ParseIp(ip);
  return v && *v >= first_ && *v <= last_;
}

Result<std::string> ServiceAllocator::AllocateIp(std::string_view requested) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!requested.empty()) {
    auto v = ParseIp(requested);
    if (!v || *v < first_ || *v > last_) {
      return InvalidArgument("spec.clusterIP: Invalid value: \"" + std::string(requested) +
                             "\": provided IP is not in the valid range; the service CIDR is " +
                             cidr_);
    }
    if (!ips_.insert(*v).second) {
      return AlreadyExists("spec.clusterIP: Invalid value: \"" + std::string(requested) +
                           "\": provided IP is already allocated");
    }
    return std::string(requested);
  }
  const uint64_t size = uint64_t{last_} - first_ + 1;
  if (ips_.size() >= size) {
    return Unavailable("no cluster IP left in " + cidr_ +
                       "; delete unused Services or configure a larger --service-cidr");
  }
  uint32_t ip = next_ip_;
  while (ips_.count(ip))
    ip = ip >= last_ ? first_ : ip + 1;
  ips_.insert(ip);
  next_ip_ = ip >= last_ ? first_ : ip + 1;
  return FormatIp(ip);
}

void ServiceAllocator::ReleaseIp(std::string_view ip) {
  auto v = ParseIp(ip);
  if (!v) return;
  std::lock_guard<std::mutex> lock(mu_);
  ips_.erase(*v);
}

void ServiceAllocator::MarkIp(std::string_view ip) {
  auto v = ParseIp(ip);
  if (!v || *v < first_ || *v > last_) return;
  std::lock_guard<std::mutex> lock(mu_);
  ips_.insert(*v);
}

size_t ServiceAllocator::IpsInUse() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ips_.size();
}

Result<int32_t> ServiceAllocator::AllocatePort(int32_t requested) {
  std::lock_guard<std::mutex> lock(mu_);
  if (requested != 0) {
    if (requested < port_min_ || requested > port_max_) {
      return InvalidArgument("nodePort: Invalid value: " + std::to_string(requested) +
                             ": provided port is not in the valid range " +
                             std::to_string(port_min_) + "-" + std::to_string(port_max_));
    }
    if (!ports_.insert(requested).second) {
      return AlreadyExists("nodePort: Invalid value: " + std::to_string(requested) +
                           ": provided port is already allocated");
    }
    return requested;
  }
  if (ports_.size() >= static_cast<size_t>(port_max_ - port_min_ + 1)) {
    return Unavailable("no node port left in " + std::to_string(port_min_) + "-" +
                       std::to_string(port_max_));
  }
  int32_t port = next_port_;
  while (ports_.count(port))
    port = port >= port_max_ ? port_min_ : port + 1;
  ports_.insert(port);
  next_port_ = port >= port_max_ ? port_min_ : port + 1;
  return port;
}

void ServiceAllocator::ReleasePort(int32_t port) {
  std::lock_guard<std::mutex> lock(mu_);
  ports_.erase(port);
}

void ServiceAllocator::MarkPort(int32_t port) {
  if (port < port_min_ || port > port_max_) return;
  std::lock_guard<std::mutex> lock(mu_);
  ports_.insert(port);
}

}  // namespace navarch::registry
