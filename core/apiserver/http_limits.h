#pragma once
// The accounting behind the HTTP binding's limits (http_server.h,
// docs/apiserver.md "Limits"): which requests may start, and how many bytes
// a stream may have waiting for its client. Internal to core/apiserver; the
// HTTP server holds one RequestLimiter and one StreamBudget, and one
// StreamAccount per streamed response.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "core/base/time.h"

namespace navarch::apiserver {

// Requests admitted past their header, counted globally and per client.
// A client is a string the caller chooses (the HTTP server uses
// "user@address"). Requests are either short (every ordinary verb) or
// long-running (a watch, a log follow), as in kube-apiserver, where
// long-running requests do not count against --max-requests-inflight.
// Thread-safe.
class RequestLimiter {
 public:
  struct Limits {
    int max_inflight = 400;                 // short requests, all clients
    int max_inflight_per_client = 100;      // short requests, one client
    int max_long_running_per_client = 500;  // long-running requests, one client
  };
  enum class Verdict {
    kAdmitted,
    kServerBusy,          // max_inflight reached
    kClientBusy,          // max_inflight_per_client reached
    kTooManyLongRunning,  // max_long_running_per_client reached
  };

  // The slot of one admitted request; releases it when destroyed. Must not
  // outlive its limiter.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { Reset(); }
    void Reset();
    bool held() const { return limiter_ != nullptr; }

   private:
    friend class RequestLimiter;
    RequestLimiter* limiter_ = nullptr;
    std::string client_;
    bool long_running_ = false;
  };

  explicit RequestLimiter(Limits limits) : limits_(limits) {}

  // kAdmitted and a held `*ticket`, or the limit that stopped the request
  // (and `*ticket` left empty).
  Verdict Admit(const std::string& client, bool long_running, Ticket* ticket);

  int inflight() const;
  int long_running() const;
  const Limits& limits() const { return limits_; }

 private:
  void Release(const std::string& client, bool long_running);

  const Limits limits_;
  mutable std::mutex mu_;
  int inflight_ = 0;      // guarded by mu_
  int long_running_ = 0;  // guarded by mu_
  struct Counts {
    int inflight = 0;
    int long_running = 0;
  };
  std::unordered_map<std::string, Counts> clients_;  // guarded by mu_; no zero entries
};

// Bytes queued to stream clients across every stream of a server: chunks
// accepted from producers and not yet written to a socket. Thread-safe.
class StreamBudget {
 public:
  explicit StreamBudget(size_t limit) : limit_(limit) {}
  size_t limit() const { return limit_; }
  int64_t queued() const;
  int64_t peak() const;  // the high-water mark of queued()

 private:
  friend class StreamAccount;
  void Add(size_t n);
  void Sub(size_t n);

  const size_t limit_;
  mutable std::mutex mu_;
  int64_t queued_ = 0;  // guarded by mu_
  int64_t peak_ = 0;    // guarded by mu_
};

// The queue of one streamed response. A producer reserves each chunk before
// queueing it and the transport releases it once written (or dropped).
// Thread-safe.
class StreamAccount {
 public:
  // `limit`: bytes this stream may have queued. `stall`: how long Reserve
  // may wait for the client to read.
  StreamAccount(std::shared_ptr<StreamBudget> budget, size_t limit, Duration stall)
      : budget_(std::move(budget)), limit_(limit), stall_(stall) {}

  // Whether a chunk of `n` bytes may be queued; if so it is counted. A chunk
  // always fits an empty queue (one event larger than the limit still goes
  // out); otherwise it must fit both this stream's limit and the budget's.
  // With `wait`, a chunk that does not fit waits up to `stall` for the
  // client to read (producers on the server's own handler threads, such as
  // the initial events of a watch, are paced by their client this way).
  // False: the stream is over its limit (or cancelled); the caller ends it.
  bool Reserve(size_t n, bool wait);
  void Release(size_t n);
  // The stream is gone: wakes a waiting Reserve, which returns false.
  void Cancel();
  size_t queued() const;
  size_t limit() const { return limit_; }

 private:
  bool FitsLocked(size_t n) const;

  const std::shared_ptr<StreamBudget> budget_;
  const size_t limit_;
  const Duration stall_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t queued_ = 0;       // guarded by mu_
  bool cancelled_ = false;  // guarded by mu_
};

// TLS 1.2 cipher suites the server may offer: ECDHE key exchange with an
// AEAD cipher (AES-GCM, ChaCha20-Poly1305), by their IANA names (the names
// kube-apiserver's --tls-cipher-suites takes). TLS 1.3 suites are all AEAD
// and are not configured here.
const std::vector<std::string>& DefaultTlsCipherSuites();
// The OpenSSL cipher list for `iana_names` (empty = the defaults).
// kInvalidArgument naming any suite that is unknown or not in the list
// above (CBC and RSA key exchange suites are refused), and the allowed ones.
Result<std::string> OpenSslCipherList(const std::vector<std::string>& iana_names);

}  // namespace navarch::apiserver
