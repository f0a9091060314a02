#pragma once
// ApiWrapper: an Api that forwards every call to another one. Wrappers that
// change one behaviour (a partition, fault injection, counting) derive from
// it and override only what they change, so that a new Api method reaches
// every wrapper without a copy of the forwarding code.

#include <memory>
#include <string_view>
#include <utility>

#include "core/client/api.h"

namespace navarch::client {

class ApiWrapper : public Api {
 public:
  explicit ApiWrapper(Api& inner) : inner_(inner) {}

  using Api::Bind;
  using Api::Create;
  using Api::Delete;
  using Api::Get;
  using Api::List;
  using Api::Update;
  using Api::UpdateStatus;

  Result<ObjectPtr> Create(ObjectPtr obj, const WriteOptions& options) override {
    return inner_.Create(std::move(obj), options);
  }
  Result<ObjectPtr> Get(Kind kind, std::string_view ns, std::string_view name) override {
    return inner_.Get(kind, ns, name);
  }
  Result<ObjectList> List(Kind kind, const ListOptions& options) override {
    return inner_.List(kind, options);
  }
  Result<ObjectPtr> Update(ObjectPtr obj, const WriteOptions& options) override {
    return inner_.Update(std::move(obj), options);
  }
  Result<ObjectPtr> UpdateStatus(ObjectPtr obj, const WriteOptions& options) override {
    return inner_.UpdateStatus(std::move(obj), options);
  }
  Result<ObjectPtr> Bind(ObjectPtr pod, std::string_view node,
                         const WriteOptions& options) override {
    return inner_.Bind(std::move(pod), node, options);
  }
  Result<ObjectPtr> Delete(Kind kind, std::string_view ns, std::string_view name,
                           const DeleteOptions& options = {}) override {
    return inner_.Delete(kind, ns, name, options);
  }
  Result<std::unique_ptr<WatchHandle>> Watch(Kind kind, const WatchOptions& options,
                                             WatchHandler handler) override {
    return inner_.Watch(kind, options, std::move(handler));
  }

 protected:
  Api& inner() { return inner_; }

 private:
  Api& inner_;
};

}  // namespace navarch::client
