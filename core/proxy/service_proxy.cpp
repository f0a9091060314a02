#include "core/proxy/service_proxy.h"

#include <utility>

#include <boost/asio/ip/address.hpp>

namespace navarch::proxy {
namespace {

constexpr std::string_view kIndexTargetPods = "targetPods";

std::string Key(const api::Object& obj) {
  return obj.metadata.namespace_ + "/" + obj.metadata.name;
}

}  // namespace

ServiceProxy::ServiceProxy(client::Api& api, runtime::Clock& clock, ProxyOptions options)
    : api_(api), clock_(clock), options_(std::move(options)) {
  ForwarderOptions fo;
  fo.connect_timeout = options_.connect_timeout;
  fo.log = options_.log;
  forwarder_ = std::make_unique<TcpForwarder>(std::move(fo));
}

ServiceProxy::~ServiceProxy() {
  *alive_ = false;
  Stop();
}

void ServiceProxy::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Status ServiceProxy::Start() {
  if (started_) return Status::Ok();
  boost::system::error_code ec;
  boost::asio::ip::make_address(options_.bind_address, ec);
  if (ec)
    return InvalidArgument("proxy bind address \"" + options_.bind_address +
                           "\" is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
  client::InformerOptions io;
  io.namespace_ = options_.namespace_;
  services_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kService, io);
  endpoints_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kEndpoints, io);
  auto by_object = [this](const client::ObjectPtr& obj) { MarkDirty(Key(*obj)); };
  client::InformerHandlers h;
  h.on_add = by_object;
  h.on_update = [by_object](const client::ObjectPtr&, const client::ObjectPtr& obj) {
    by_object(obj);
  };
  h.on_delete = by_object;
  services_->AddHandlers(h);
  endpoints_->AddHandlers(h);
  Status st = endpoints_->AddIndex(std::string(kIndexTargetPods), [](const api::Object& obj) {
    std::vector<std::string> pods;
    const auto* eps = api::As<api::Endpoints>(&obj);
    if (!eps) return pods;
    for (const auto& subset : eps->subsets) {
      for (const auto* list : {&subset.addresses, &subset.not_ready_addresses}) {
        for (const auto& a : *list) {
          if (a.target_ref && a.target_ref->kind == "Pod")
            pods.push_back((a.target_ref->namespace_.empty() ? obj.metadata.namespace_
                                                             : a.target_ref->namespace_) +
                           "/" + a.target_ref->name);
        }
      }
    }
    return pods;
  });
  if (!st.ok()) return st;
  if (options_.resolve_published_ports) {
    pods_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kPod, io);
    client::InformerHandlers ph;
    ph.on_add = [this](const client::ObjectPtr& pod) { MarkPodDirty(pod); };
    ph.on_update = [this](const client::ObjectPtr&, const client::ObjectPtr& pod) {
      MarkPodDirty(pod);
    };
    ph.on_delete = ph.on_add;
    pods_->AddHandlers(ph);
    NAVARCH_RETURN_IF_ERROR(pods_->Start());
  }
  NAVARCH_RETURN_IF_ERROR(endpoints_->Start());
  NAVARCH_RETURN_IF_ERROR(services_->Start());
  started_ = true;
  forwarder_->SetAffinityNow(clock_.Now());
  tick_timer_ = clock_.After(options_.affinity_tick, [this, alive = alive_] {
    if (*alive) Tick();
  });
  return Status::Ok();
}

void ServiceProxy::Stop() {
  if (!started_) return;
  started_ = false;
  if (services_) services_->Stop();
  if (endpoints_) endpoints_->Stop();
  if (pods_) pods_->Stop();
  clock_.Cancel(tick_timer_);
  clock_.Cancel(retry_timer_);
  tick_timer_ = retry_timer_ = 0;
  for (auto& [service, listeners] : open_) {
    for (auto& [id, o] : listeners)
      forwarder_->Close(id);
  }
  open_.clear();
  skipped_.clear();
  dirty_.clear();
}

void ServiceProxy::Tick() {
  tick_timer_ = 0;
  if (!started_) return;
  forwarder_->SetAffinityNow(clock_.Now());
  tick_timer_ = clock_.After(options_.affinity_tick, [this, alive = alive_] {
    if (*alive) Tick();
  });
}

void ServiceProxy::MarkDirty(const std::string& service_key) {
  dirty_.insert(service_key);
  if (flush_posted_) return;
  flush_posted_ = true;
  clock_.Post([this, alive = alive_] {
    if (*alive) Flush();
  });
}

void ServiceProxy::MarkPodDirty(const client::ObjectPtr& pod) {
  if (!endpoints_) return;
  const auto* keys = endpoints_->KeysByIndex(kIndexTargetPods, Key(*pod));
  if (!keys) return;
  for (const auto& [key, endpoints] : *keys)
    MarkDirty(std::string(key));
}

void ServiceProxy::Flush() {
  flush_posted_ = false;
  if (!started_) return;
  std::set<std::string> dirty;
  dirty.swap(dirty_);
  for (const auto& key : dirty)
    SyncService(key);
}

void ServiceProxy::SyncService(const std::string& key) {
  auto service = api::As<api::Service>(services_->GetByKey(key));
  std::map<std::string, Open>& current = open_[key];
  ServicePlan plan;
  if (service) {
    auto endpoints = api::As<api::Endpoints>(endpoints_->GetByKey(key));
    PlanOptions po;
    po.node_ports = options_.node_ports;
    po.default_affinity_timeout = options_.default_affinity_timeout;
    PodLookup lookup;
    if (pods_) {
      lookup = [this](std::string_view ns, std::string_view name) -> const api::Pod* {
        return api::As<api::Pod>(pods_->Get(ns, name).get());
      };
    }
    // The lookup returns raw pointers into the informer's cache, which does
    // not change while this function runs.
    plan = PlanService(*service, endpoints.get(), lookup, po);
  }

  // Skipped ports: log what is new.
  auto& skipped = skipped_[key];
  for (const auto& s : plan.skipped) {
    bool known = false;
    for (const auto& old : skipped)
      known = known || old == s;
    if (!known) Log("proxy: service " + key + " port " + std::to_string(s.port) + ": " + s.reason);
  }
  skipped = plan.skipped;

  // Close what is no longer wanted.
  std::set<std::string> wanted;
  for (const auto& l : plan.listeners)
    wanted.insert(l.id);
  for (auto it = current.begin(); it != current.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.status.ok()) {
      forwarder_->Close(it->first);
      Log("proxy: closed " + options_.bind_address + ":" + std::to_string(it->second.spec.port) +
          " (" + it->first + ")");
    }
    it = current.erase(it);
  }

  // Open and update.
  bool failed = false;
  for (auto& spec : plan.listeners) {
    auto [it, inserted] = current.try_emplace(spec.id);
    Open& o = it->second;
    const bool was_listening = !inserted && o.status.ok();
    o.spec = spec;
    if (!was_listening) {
      Status st = forwarder_->Listen(spec.id, options_.bind_address, spec.port);
      if (!st.ok()) {
        if (inserted || !(o.status == st)) Log(st.ToString());
        o.status = st;
        o.pushed = nullptr;
        failed = true;
        continue;
      }
      o.status = Status::Ok();
      Log("proxy: listening on " + options_.bind_address + ":" + std::to_string(spec.port) +
          " for " + spec.id + " (" + std::to_string(spec.backends.backends.size()) + " endpoints)");
    }
    if (!o.pushed || !(*o.pushed == spec.backends)) {
      o.pushed = std::make_shared<const BackendSet>(spec.backends);
      forwarder_->SetBackends(spec.id, o.pushed);
    }
  }
  if (current.empty()) open_.erase(key);
  if (skipped.empty()) skipped_.erase(key);
  if (failed) ScheduleRetry();
}

void ServiceProxy::ScheduleRetry() {
  if (retry_timer_ != 0) return;
  retry_timer_ = clock_.After(options_.retry_period, [this, alive = alive_] {
    if (!*alive) return;
    retry_timer_ = 0;
    if (!started_) return;
    for (const auto& [key, listeners] : open_) {
      for (const auto& [id, o] : listeners) {
        if (!o.status.ok()) MarkDirty(key);
      }
    }
  });
}

std::vector<ListenerState> ServiceProxy::Listeners() const {
  std::map<std::string, ListenerState> out;
  for (const auto& [key, listeners] : open_) {
    for (const auto& [id, o] : listeners) {
      ListenerState s;
      s.id = id;
      s.service = key;
      s.port_name = o.spec.port_name;
      s.address = options_.bind_address;
      s.port = o.spec.port;
      s.node_port = o.spec.node_port;
      s.backends = o.spec.backends.backends.size();
      s.status = o.status;
      out[id] = s;
    }
  }
  for (const auto& [key, ports] : skipped_) {
    for (const auto& p : ports) {
      ListenerState s;
      s.service = key;
      s.port_name = p.port_name;
      s.address = options_.bind_address;
      s.port = p.port;
      s.id = key + ":" + std::to_string(p.port) + "/skipped";
      s.status = Status(Code::kNotSupported, p.reason);
      out[s.id] = s;
    }
  }
  std::vector<ListenerState> v;
  for (auto& [id, s] : out)
    v.push_back(std::move(s));
  return v;
}

}  // namespace navarch::proxy
