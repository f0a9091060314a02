#include "core/apiserver/http_limits.h"

#include <algorithm>
#include <utility>

namespace navarch::apiserver {

// --- RequestLimiter ---

RequestLimiter::Ticket& RequestLimiter::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    Reset();
    limiter_ = std::exchange(other.limiter_, nullptr);
    client_ = std::move(other.client_);
    long_running_ = other.long_running_;
  }
  return *this;
}

void RequestLimiter::Ticket::Reset() {
  if (RequestLimiter* l = std::exchange(limiter_, nullptr)) l->Release(client_, long_running_);
}

RequestLimiter::Verdict RequestLimiter::Admit(const std::string& client, bool long_running,
                                              Ticket* ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(client);
  const Counts mine = it == clients_.end() ? Counts{} : it->second;
  if (long_running) {
    if (mine.long_running >= limits_.max_long_running_per_client) {
      return Verdict::kTooManyLongRunning;
    }
  } else {
    if (inflight_ >= limits_.max_inflight) return Verdict::kServerBusy;
    if (mine.inflight >= limits_.max_inflight_per_client) return Verdict::kClientBusy;
  }
  Counts& c = it == clients_.end() ? clients_[client] : it->second;
  if (long_running) {
    ++c.long_running;
    ++long_running_;
  } else {
    ++c.inflight;
    ++inflight_;
  }
  ticket->Reset();
  ticket->limiter_ = this;
  ticket->client_ = client;
  ticket->long_running_ = long_running;
  return Verdict::kAdmitted;
}

void RequestLimiter::Release(const std::string& client, bool long_running) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  if (long_running) {
    --it->second.long_running;
    --long_running_;
  } else {
    --it->second.inflight;
    --inflight_;
  }
  if (it->second.inflight == 0 && it->second.long_running == 0) clients_.erase(it);
}

int RequestLimiter::inflight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return inflight_;
}

int RequestLimiter::long_running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return long_running_;
}

// --- StreamBudget ---

int64_t StreamBudget::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_;
}

int64_t StreamBudget::peak() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

void StreamBudget::Add(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  queued_ += static_cast<int64_t>(n);
  peak_ = std::max(peak_, queued_);
}

void StreamBudget::Sub(size_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  queued_ -= static_cast<int64_t>(n);
}

// --- StreamAccount ---

bool StreamAccount::FitsLocked(size_t n) const {
  if (queued_ == 0) return true;
  if (queued_ + n > limit_) return false;
  return budget_->queued() + static_cast<int64_t>(n) <= static_cast<int64_t>(budget_->limit());
}

bool StreamAccount::Reserve(size_t n, bool wait) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!cancelled_ && !FitsLocked(n) && wait) {
    cv_.wait_for(lock, stall_, [&] { return cancelled_ || FitsLocked(n); });
  }
  if (cancelled_ || !FitsLocked(n)) return false;
  queued_ += n;
  budget_->Add(n);
  return true;
}

void StreamAccount::Release(size_t n) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued_ -= std::min(n, queued_);
    budget_->Sub(n);
  }
  cv_.notify_all();
}

void StreamAccount::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
  }
  cv_.notify_all();
}

size_t StreamAccount::queued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_;
}

// --- TLS ---

namespace {

struct Suite {
  const char* iana;
  const char* openssl;
};

// ECDHE + AEAD only, in the order the server lists them.
constexpr Suite kAeadSuites[] = {
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
};

}  // namespace

const std::vector<std::string>& DefaultTlsCipherSuites() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Suite& s : kAeadSuites)
      v.emplace_back(s.iana);
    return v;
  }();
  return names;
}

Result<std::string> OpenSslCipherList(const std::vector<std::string>& iana_names) {
  const std::vector<std::string>& names =
      iana_names.empty() ? DefaultTlsCipherSuites() : iana_names;
  std::string list;
  for (const std::string& name : names) {
    const Suite* found = nullptr;
    for (const Suite& s : kAeadSuites) {
      if (name == s.iana) found = &s;
    }
    if (!found) {
      std::string allowed;
      for (const Suite& s : kAeadSuites) {
        if (!allowed.empty()) allowed += ", ";
        allowed += s.iana;
      }
      return InvalidArgument("TLS cipher suite \"" + name +
                             "\" is not allowed; choose among the ECDHE suites with an AEAD "
                             "cipher: " +
                             allowed + " (TLS 1.3 suites are always on)");
    }
    if (!list.empty()) list += ':';
    list += found->openssl;
  }
  return list;
}

}  // namespace navarch::apiserver
