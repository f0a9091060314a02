#include "core/controllers/informer_set.h"

namespace navarch::controllers {

InformerSet::InformerSet(client::Api& api, runtime::Clock& clock, client::InformerOptions options)
    : api_(api), clock_(clock), options_(std::move(options)) {}

client::Informer& InformerSet::For(api::Kind kind) {
  auto& slot = informers_[kind];
  if (!slot) slot = std::make_unique<client::Informer>(api_, clock_, kind, options_);
  return *slot;
}

Status InformerSet::Start() {
  for (auto& [kind, informer] : informers_) {
    if (informer->HasSynced()) continue;
    NAVARCH_RETURN_IF_ERROR(informer->Start().WithContext(
        "starting the " + std::string(api::InfoOf(kind).resource) + " informer"));
  }
  return Status::Ok();
}

bool InformerSet::HasSynced() const {
  for (const auto& [kind, informer] : informers_) {
    if (!informer->HasSynced()) return false;
  }
  return true;
}

}  // namespace navarch::controllers
