#pragma once
// Cluster IPs and node ports for Services. The allocator is in memory and
// rebuilt from the stored Services at start (RestServer::Start), so one API
// server process owns allocation for its store. Thread-safe.
//
// Cluster IPs come from an IPv4 CIDR; the network address, the broadcast
// address and the first host address (reserved for the API service, as in
// Kubernetes) are never handed out. Allocation is deterministic: the lowest
// free address after the last one handed out, wrapping around.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace navarch::registry {

class ServiceAllocator {
 public:
  // kInvalidArgument naming the CIDR when it is not "a.b.c.d/n" with
  // 8 <= n <= 30, or the port range is empty.
  static Result<std::unique_ptr<ServiceAllocator>> Create(std::string_view cidr, int32_t port_min,
                                                          int32_t port_max);

  // `requested` "" = any free address. A requested one must be in the
  // range and free (kInvalidArgument / kAlreadyExists otherwise).
  Result<std::string> AllocateIp(std::string_view requested);
  void ReleaseIp(std::string_view ip);
  // Marks an address in use (loading stored Services); out-of-range ones
  // are ignored.
  void MarkIp(std::string_view ip);

  // `requested` 0 = any free port.
  Result<int32_t> AllocatePort(int32_t requested);
  void ReleasePort(int32_t port);
  void MarkPort(int32_t port);

  bool InRange(std::string_view ip) const;
  const std::string& cidr() const { return cidr_; }
  size_t IpsInUse() const;

 private:
  ServiceAllocator() = default;
  static std::optional<uint32_t> ParseIp(std::string_view ip);
  static std::string FormatIp(uint32_t ip);

  std::string cidr_;
  uint32_t first_ = 0;  // first allocatable address
  uint32_t last_ = 0;   // last allocatable address
  int32_t port_min_ = 0;
  int32_t port_max_ = 0;
  mutable std::mutex mu_;
  std::set<uint32_t> ips_;   // guarded by mu_
  uint32_t next_ip_ = 0;     // guarded by mu_
  std::set<int32_t> ports_;  // guarded by mu_
  int32_t next_port_ = 0;    // guarded by mu_
};

}  // namespace navarch::registry
