#pragma once
// ServiceProxy: forwards TCP connections on each Service's port to the
// Service's ready endpoints, round-robin — the proxy of the original design.
//
//   ServiceProxy proxy(api, clock, options);
//   proxy.Start();   // then everything happens on the Clock's loop and on
//                    // the proxy's own I/O thread
//
// Control part (on the Clock loop). Informers on Services, Endpoints and —
// with resolve_published_ports — Pods. Any change to a Service, its Endpoints
// or a pod its Endpoints point at marks that Service dirty; once per loop
// turn the dirty Services are planned again (see service_plan.h) and the
// difference is applied to the TcpForwarder (forwarder.h): new listeners are
// opened, listeners that are no longer wanted are closed, and changed backend
// sets are handed over as immutable snapshots. New connections use the new
// backends; open connections are never dropped.
//
// Errors. A listener whose port cannot be bound (already in use, no
// permission) is reported for that Service only — logged once per distinct
// error, shown by Listeners(), and retried every retry_period until it
// succeeds or the Service changes; every other Service keeps working. UDP and
// SCTP ports, headless and ExternalName Services are skipped with a logged
// reason (once per Service version).
//
// Session affinity timeouts are measured on the Clock: the proxy passes
// Clock::Now() to the forwarder every affinity_tick.
//
// Threading. Construct, Start, Stop, query and destroy on the Clock's loop
// thread. The Api and Clock must outlive the proxy. Stop() closes every
// listener and leaves open connections alone; destroying the proxy closes
// the connections too.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/proxy/forwarder.h"
#include "core/proxy/service_plan.h"
#include "core/runtime/clock.h"

namespace navarch::proxy {

struct ProxyOptions {
  // Where listeners bind. 127.0.0.1 keeps service traffic on this host.
  std::string bind_address = "127.0.0.1";
  // Watch one namespace only ("" = all).
  std::string namespace_;
  // Also listen on each port's nodePort.
  bool node_ports = true;
  // Watch pods to find host-published ports (service_plan.h, rules 1-2).
  // Without it endpoints are dialled at their own ip:port.
  bool resolve_published_ports = true;
  Duration default_affinity_timeout = seconds(10800);
  Duration affinity_tick = seconds(1);
  // Retry of listeners that could not be opened.
  Duration retry_period = seconds(5);
  Duration connect_timeout = seconds(3);
  LogFn log;  // may be empty; must be thread-safe (see forwarder.h)
};

// One listener (or skipped port) and how it is doing.
struct ListenerState {
  std::string id;  // see ListenerSpec; "<ns>/<name>:<port>/skipped" for a skipped port
  std::string service;
  std::string port_name;
  std::string address;  // the bind address
  int32_t port = 0;
  bool node_port = false;
  size_t backends = 0;
  // ok when listening; kUnavailable when the port could not be bound;
  // kNotSupported for a skipped port (message = the reason).
  Status status;
};

class ServiceProxy {
 public:
  ServiceProxy(client::Api& api, runtime::Clock& clock, ProxyOptions options = {});
  ~ServiceProxy();
  ServiceProxy(const ServiceProxy&) = delete;
  ServiceProxy& operator=(const ServiceProxy&) = delete;

  // Starts the informers (kInvalidArgument for a bind address that is not
  // an IP; the first list's error otherwise, then nothing is started).
  Status Start();
  // Stops watching and closes every listener (open connections continue
  // until either side closes them).
  void Stop();

  // Every listener and skipped port, sorted by id.
  std::vector<ListenerState> Listeners() const;
  const ForwarderStats& stats() const { return forwarder_->stats(); }
  // The forwarder, for tests that listen on port 0.
  TcpForwarder& forwarder() { return *forwarder_; }

 private:
  struct Open {
    ListenerSpec spec;
    Status status;  // of the last Listen
    std::shared_ptr<const BackendSet> pushed;
  };

  void MarkDirty(const std::string& service_key);
  void MarkPodDirty(const client::ObjectPtr& pod);
  void Flush();
  void SyncService(const std::string& key);
  void ScheduleRetry();
  void Tick();
  void Log(const std::string& line) const;

  client::Api& api_;
  runtime::Clock& clock_;
  const ProxyOptions options_;
  std::unique_ptr<TcpForwarder> forwarder_;
  std::unique_ptr<client::Informer> services_;
  std::unique_ptr<client::Informer> endpoints_;
  std::unique_ptr<client::Informer> pods_;
  bool started_ = false;

  // service key -> its open (or failed) listeners, by listener id.
  std::map<std::string, std::map<std::string, Open>> open_;
  // service key -> skipped ports (as last planned).
  std::map<std::string, std::vector<SkippedPort>> skipped_;
  std::set<std::string> dirty_;
  bool flush_posted_ = false;
  runtime::TimerId retry_timer_ = 0;
  runtime::TimerId tick_timer_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::proxy
