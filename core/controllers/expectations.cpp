#include "core/controllers/expectations.h"

#include <algorithm>
#include <utility>

namespace navarch::controllers {

void Expectations::Expect(const std::string& key, int creates, std::vector<std::string> deletes) {
  Record& r = records_[key];
  r.creates = creates;
  r.deletes = std::set<std::string>(std::make_move_iterator(deletes.begin()),
                                    std::make_move_iterator(deletes.end()));
  r.since = clock_.Now();
}

void Expectations::CreationObserved(const std::string& key) {
  auto it = records_.find(key);
  if (it != records_.end() && it->second.creates > 0) --it->second.creates;
}

void Expectations::DeletionObserved(const std::string& key, const std::string& pod_key) {
  auto it = records_.find(key);
  if (it != records_.end()) it->second.deletes.erase(pod_key);
}

void Expectations::Delete(const std::string& key) {
  records_.erase(key);
}

bool Expectations::Satisfied(const std::string& key) const {
  return !ExpiresAt(key).has_value();
}

std::optional<Time> Expectations::ExpiresAt(const std::string& key) const {
  auto it = records_.find(key);
  if (it == records_.end() || Fulfilled(it->second)) return std::nullopt;
  Time expires = it->second.since + timeout_;
  if (clock_.Now() >= expires) return std::nullopt;
  return expires;
}

int Expectations::PendingCreates(const std::string& key) const {
  auto it = records_.find(key);
  return it == records_.end() ? 0 : std::max(0, it->second.creates);
}

int Expectations::PendingDeletes(const std::string& key) const {
  auto it = records_.find(key);
  return it == records_.end() ? 0 : static_cast<int>(it->second.deletes.size());
}

}  // namespace navarch::controllers
