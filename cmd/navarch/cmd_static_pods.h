#pragma once
// The kubelet's static pod flags (--manifest-dir, --manifest-url,
// --standalone) and what they build: a kubelet::ManifestSource with a disk
// reader and an HTTP fetcher, and — standalone — the private in-memory Api the
// kubelet runs against instead of an API server. See docs/static-pods.md.
//
//   StaticPodFlags sp;  sp.Add(desc);             // with the other flags
//   std::unique_ptr<StandaloneApi> local;
//   if (sp.standalone) local = std::make_unique<StandaloneApi>(clock);
//   client::Api& api = local ? local->api : *http_api;
//   auto statics = StaticPods::Create(sp, node_name, api, clock,
//                                     [&](std::string_view l) { log.Info(1, l); });
//   start: kubelet.Start(), then (*statics)->Start() when *statics is set;
//   stop:  (*statics)->Stop(), then kubelet.Stop().
#include <boost/program_options.hpp>
#include <memory>
#include <string>

#include <functional>
#include <string_view>

#include "core/base/status.h"
#include "core/client/local_api.h"
#include "core/kubelet/manifest_source.h"
#include "core/runtime/clock.h"
#include "core/store/memory_store.h"

namespace navarch::cmd {

struct StaticPodFlags {
  std::string manifest_dir;
  std::string manifest_url;
  std::string poll_period = "5s";
  std::string url_poll_period = "20s";
  bool standalone = false;

  void Add(boost::program_options::options_description& desc);
  bool enabled() const { return !manifest_dir.empty() || !manifest_url.empty(); }
};

// An Api of the kubelet's own: a LocalApi over a private MemoryStore, for a
// kubelet with no API server. Lives as long as the kubelet.
struct StandaloneApi {
  explicit StandaloneApi(runtime::Clock& clock) : api(store, clock) {}
  store::MemoryStore store;
  client::LocalApi api;
};

// GET over plain HTTP with a timeout (https is refused with a message).
class HttpManifestFetcher final : public kubelet::ManifestFetcher {
 public:
  explicit HttpManifestFetcher(Duration timeout = seconds(10)) : timeout_(timeout) {}
  Result<std::string> Fetch(const std::string& url) override;

 private:
  Duration timeout_;
};

class StaticPods {
 public:
  // Null (and ok) when no manifest flag is set. kInvalidArgument naming the
  // flag for a bad period or URL, or --standalone without a manifest source.
  static Result<std::unique_ptr<StaticPods>> Create(const StaticPodFlags& flags,
                                                    const std::string& node_name, client::Api& api,
                                                    runtime::Clock& clock,
                                                    std::function<void(std::string_view)> log);
  Status Start() { return source_->Start(); }
  void Stop() { source_->Stop(); }
  kubelet::ManifestSource& source() { return *source_; }

 private:
  StaticPods() = default;
  kubelet::DiskManifestReader reader_;
  HttpManifestFetcher fetcher_;
  std::unique_ptr<kubelet::ManifestSource> source_;
};

}  // namespace navarch::cmd
