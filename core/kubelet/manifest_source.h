#pragma once
// Static pods: pods a kubelet runs from manifests on its own host — a
// directory of files (--manifest-dir) and an HTTP URL it polls
// (--manifest-url) — rather than from the scheduler.
//
//   ManifestSource source(api, clock, options, &reader, &fetcher);
//   source.Start();   // polls on the Clock's loop from then on
//
// Where static pods go. The source writes each static pod into `api` as a
// pod bound to the node; the kubelet (which watches that same Api for the
// pods bound to its node) runs it like any other pod and reports its status
// there. Which Api decides the mode:
//   * with an API server, `api` is the server: the pods there are the static
//     pods' *mirror pods* (annotation kubernetes.io/config.mirror), visible to
//     kubectl, bound to the node (the scheduler never sees them) and
//     controlled by the Node (an ownerReference with controller=true, so a
//     replication controller never adopts them). Deleting a mirror pod stops
//     it and the source creates it again; only removing the manifest removes
//     it for good;
//   * standalone (no API server), `api` is a LocalApi over a private
//     in-memory store that only this kubelet and this source use: the node's
//     pods come from the manifests alone.
//
// Static pods. For a manifest pod named N (namespace "default" when unset)
// the static pod is named "N-<node>", has spec.nodeName = <node> and the
// annotations
//   kubernetes.io/config.source   "file" or "http"
//   kubernetes.io/config.hash     a hash of the source and the pod's content:
//                                 the static pod's identity (the uid
//                                 Kubernetes would give it; the Api assigns its
//                                 own metadata.uid)
//   kubernetes.io/config.mirror   the same hash (marks a mirror pod)
//   navarch.io/manifest           the file path or URL it came from
// A manifest is a YAML (one or more "---" documents) or JSON file holding
// Pods, or a List / PodList whose items are Pods. Directory entries ending in
// .yaml, .yml or .json are read, sorted by name; hidden files and
// subdirectories are skipped. The URL's body has the same format.
//
// Changes. The directory is re-read every poll_period and the URL every
// url_poll_period (both on the Clock). A manifest whose content changed (a
// different hash) replaces its pod: the old one is deleted gracefully and,
// once gone, the new one is created, so the two never run side by side. A
// removed file (or a pod gone from the URL's body) deletes its pod. Pods
// whose manifest disappeared while the kubelet was down are deleted at the
// first poll.
//
// Bad input never stops the other pods. A malformed manifest, a non-Pod
// object, an invalid pod, or a name already used by another manifest is
// logged as "file:line: field: problem" (once per distinct error) and
// reported by errors(); if that manifest had parsed before, its previous
// pods keep running until it is fixed or removed. An unreadable directory or
// a failed fetch keeps the pods of the last successful read.
//
// Threading: the Clock's loop thread only. The Api, Clock, reader and
// fetcher must outlive the source. ManifestFetcher::Fetch and
// ManifestReader::ReadDir are called on the loop; implementations bound their
// own time (a fetch timeout).
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/types.h"
#include "core/base/status.h"
#include "core/base/time.h"
#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/runtime/clock.h"

namespace navarch::kubelet {

inline constexpr std::string_view kAnnotationConfigSource = "kubernetes.io/config.source";
inline constexpr std::string_view kAnnotationConfigHash = "kubernetes.io/config.hash";
inline constexpr std::string_view kAnnotationConfigMirror = "kubernetes.io/config.mirror";
inline constexpr std::string_view kAnnotationManifest = "navarch.io/manifest";

// Whether `pod` is a static pod's mirror (has kubernetes.io/config.mirror).
bool IsMirrorPod(const api::Pod& pod);

// One manifest's text and where it came from (a path or URL).
struct Manifest {
  std::string source;
  std::string text;
};

// Reads a manifest directory. The seam lets tests use a fake; the real one
// is DiskManifestReader.
class ManifestReader {
 public:
  virtual ~ManifestReader() = default;
  // The manifests in `dir` (see above for which entries), sorted by name.
  // kNotFound when the directory does not exist; kUnavailable when it cannot
  // be read. A file that cannot be read is skipped and "<path>: <reason>" is
  // appended to `unreadable`.
  virtual Result<std::vector<Manifest>> ReadDir(const std::string& dir,
                                                std::vector<std::string>* unreadable) = 0;
};

class DiskManifestReader final : public ManifestReader {
 public:
  Result<std::vector<Manifest>> ReadDir(const std::string& dir,
                                        std::vector<std::string>* unreadable) override;
};

// Fetches a manifest URL (HTTP GET). Implementations live outside core/.
class ManifestFetcher {
 public:
  virtual ~ManifestFetcher() = default;
  // The body of a 2xx answer; kUnavailable (naming the URL and the reason:
  // connection refused, timeout, HTTP status) otherwise.
  virtual Result<std::string> Fetch(const std::string& url) = 0;
};

struct ManifestSourceOptions {
  std::string node_name;
  std::string manifest_dir;  // "" = no directory source
  std::string manifest_url;  // "" = no URL source
  Duration poll_period = seconds(5);
  Duration url_poll_period = seconds(20);
  // Called on the loop thread; may be empty.
  std::function<void(std::string_view)> log;
};

// A manifest parsed into static pods (pure; exposed for tests and `navarch
// validate`-like tools).
struct ParsedManifest {
  std::vector<api::Pod> pods;
  // "web.yaml:7: spec.containers[0].image: required" lines; empty when the
  // whole manifest is good.
  std::vector<std::string> errors;
};
// `source_kind` is "file" or "http".
ParsedManifest ParseManifest(const Manifest& manifest, std::string_view source_kind,
                             const std::string& node_name);

struct ManifestSourceStats {
  uint64_t polls = 0;
  uint64_t pods_created = 0;
  uint64_t pods_deleted = 0;  // deletions the source asked for
  uint64_t api_failures = 0;  // failed writes (retried at the next poll or event)
};

class ManifestSource {
 public:
  // `reader` is needed with a manifest_dir and `fetcher` with a
  // manifest_url; either may be null otherwise.
  ManifestSource(client::Api& api, runtime::Clock& clock, ManifestSourceOptions options,
                 ManifestReader* reader, ManifestFetcher* fetcher);
  ~ManifestSource();
  ManifestSource(const ManifestSource&) = delete;
  ManifestSource& operator=(const ManifestSource&) = delete;

  // kInvalidArgument naming the option when the options are unusable (no
  // node name, no source, a source without its reader/fetcher, a zero
  // period). Reads the sources at once; a pod informer error is returned
  // (then call Start again).
  Status Start();
  void Stop();

  // Reads every source now (tests; a file-change notification).
  void PollNow();

  // The current problems, one line each, sorted.
  std::vector<std::string> errors() const;
  // Static pods wanted now, by static pod name ("<ns>/<name>-<node>").
  std::vector<std::string> DesiredPods() const;
  const ManifestSourceStats& stats() const { return stats_; }

 private:
  struct Entry {
    std::string source;  // file path or URL
    ParsedManifest parsed;
  };
  void PollDir();
  void PollUrl();
  void Rebuild();
  void Sync();
  void ScheduleSync();
  void Log(const std::string& line);
  void ScheduleDirPoll();
  void ScheduleUrlPoll();

  client::Api& api_;
  runtime::Clock& clock_;
  const ManifestSourceOptions options_;
  ManifestReader* reader_;
  ManifestFetcher* fetcher_;
  bool started_ = false;
  std::unique_ptr<client::Informer> pods_;

  // Last good parse per file (path -> entry) and of the URL.
  std::map<std::string, Entry> files_;
  std::vector<Entry> url_;
  // Current errors by source (a file, the directory, the URL).
  std::map<std::string, std::vector<std::string>> errors_;
  std::set<std::string> logged_;  // error lines already logged
  // Static pod key -> why its last create failed.
  std::map<std::string, std::string> create_errors_;
  // "<ns>/<name>" -> the static pod wanted.
  std::map<std::string, api::Pod> desired_;

  bool sync_posted_ = false;
  runtime::TimerId dir_timer_ = 0;
  runtime::TimerId url_timer_ = 0;
  ManifestSourceStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::kubelet
