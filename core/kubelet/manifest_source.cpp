#include "core/kubelet/manifest_source.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/validation.h"
#include "core/base/yaml.h"
#include "core/registry/defaults.h"

namespace navarch::kubelet {
namespace {

namespace fs = std::filesystem;

bool IsListKind(std::string_view kind) {
  return kind == "List" || kind == "PodList";
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// FNV-1a, 64 bits: stable across runs and builds.
uint64_t Fnv1a(std::string_view data, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool IsJson(const Manifest& m) {
  if (m.source.size() >= 5 && m.source.compare(m.source.size() - 5, 5, ".json") == 0) return true;
  for (char c : m.text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    return c == '{';
  }
  return false;
}

bool IsTerminating(const api::Pod& pod) {
  return pod.metadata.deletion_timestamp.has_value();
}

const std::string& Annotation(const api::Object& obj, std::string_view key) {
  static const std::string kEmpty;
  auto it = obj.metadata.annotations.find(std::string(key));
  return it == obj.metadata.annotations.end() ? kEmpty : it->second;
}

// Turns one decoded document into a static pod (or errors).
void AddDocument(const api::Document& doc, const std::string& where, std::string_view source_kind,
                 const Manifest& manifest, const std::string& node, ParsedManifest& out) {
  auto pod = api::As<api::Pod>(doc.object);
  if (!pod) {
    out.errors.push_back(where + ":" + std::to_string(doc.line) + ": kind " +
                         std::string(api::InfoOf(doc.object->kind()).name) +
                         ": only Pods can be static pods (document skipped)");
    return;
  }
  api::Pod p = *pod;
  if (p.metadata.name.empty()) {
    out.errors.push_back(where + ":" + std::to_string(doc.line) +
                         ": metadata.name: required (a static pod needs a name)");
    return;
  }
  if (p.metadata.namespace_.empty()) p.metadata.namespace_ = "default";
  p.metadata.name += "-" + node;
  p.metadata.uid.clear();
  p.metadata.resource_version.clear();
  p.metadata.owner_references.clear();
  p.spec.Mutable().node_name = node;
  p.status = {};
  // A static pod reaches no API server before it runs: the kubelet applies
  // the API's defaults itself, so that it runs what its mirror pod shows.
  registry::ApplyDefaults(p, /*create=*/true);
  auto errors = api::Validate(p);
  if (!errors.empty()) {
    out.errors.push_back(api::FormatErrors(errors, doc, where));
    return;
  }
  std::string hash = Hex64(
      Fnv1a(api::EncodeJson(p), Fnv1a(std::string(source_kind) + "\n" + manifest.source + "\n")));
  p.metadata.annotations[std::string(kAnnotationConfigSource)] = std::string(source_kind);
  p.metadata.annotations[std::string(kAnnotationConfigHash)] = hash;
  p.metadata.annotations[std::string(kAnnotationConfigMirror)] = hash;
  p.metadata.annotations[std::string(kAnnotationManifest)] = manifest.source;
  out.pods.push_back(std::move(p));
}

void AddDecoded(Result<std::vector<api::Document>> docs, const std::string& where,
                std::string_view source_kind, const Manifest& manifest, const std::string& node,
                ParsedManifest& out) {
  if (!docs.ok()) {
    // One line per problem, each already "source:line: path: message".
    std::istringstream lines(docs.status().message());
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out.errors.push_back(line);
    }
    return;
  }
  for (const auto& doc : *docs)
    AddDocument(doc, where, source_kind, manifest, node, out);
}

void ParseJson(const Manifest& m, std::string_view source_kind, const std::string& node,
               ParsedManifest& out) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(m.text, ec);
  if (ec) {
    out.errors.push_back(m.source + ": invalid JSON: " + ec.message());
    return;
  }
  const auto* obj = v.if_object();
  const auto* kind = obj ? obj->if_contains("kind") : nullptr;
  if (kind && kind->is_string() && IsListKind(kind->as_string())) {
    const auto* items = obj->if_contains("items");
    if (!items || !items->is_array()) {
      out.errors.push_back(m.source + ": items: a " + std::string(kind->as_string()) +
                           " needs an items array");
      return;
    }
    for (size_t i = 0; i < items->as_array().size(); ++i) {
      std::string where = m.source + " items[" + std::to_string(i) + "]";
      api::DecodeOptions o;
      o.source = where;
      auto decoded = api::DecodeJsonValue(items->as_array()[i], o);
      if (!decoded.ok()) {
        AddDecoded(decoded.status(), where, source_kind, m, node, out);
        continue;
      }
      api::Document doc;
      doc.object = *decoded;
      AddDocument(doc, where, source_kind, m, node, out);
    }
    return;
  }
  api::DecodeOptions o;
  o.source = m.source;
  auto decoded = api::DecodeJson(m.text, o);
  if (!decoded.ok()) {
    AddDecoded(decoded.status(), m.source, source_kind, m, node, out);
    return;
  }
  api::Document doc;
  doc.object = *decoded;
  AddDocument(doc, m.source, source_kind, m, node, out);
}

bool IsListDocument(const yaml::Node& doc) {
  const yaml::Node kind = doc.Find("kind");
  return kind.IsScalar() && IsListKind(kind.scalar());
}

void ParseYaml(const Manifest& m, std::string_view source_kind, const std::string& node,
               ParsedManifest& out) {
  yaml::Loaded loaded = yaml::LoadAll(m.text);
  if (!loaded.ok) {
    out.errors.push_back(m.source + ": malformed YAML: " + loaded.error.ToString());
    return;
  }
  bool has_list = false;
  for (const yaml::Node& d : loaded.documents) {
    if (IsListDocument(d)) has_list = true;
  }
  api::DecodeOptions o;
  o.source = m.source;
  if (!has_list) {
    AddDecoded(api::DecodeYaml(m.text, o), m.source, source_kind, m, node, out);
    return;
  }
  // Lists: decode each item on its own.
  auto decode_one = [&](const yaml::Node& n, const std::string& where) {
    o.source = where;
    Result<api::Document> doc = api::DecodeYamlNode(n, o);
    if (!doc.ok()) return AddDecoded(doc.status(), where, source_kind, m, node, out);
    std::vector<api::Document> docs;
    docs.push_back(std::move(*doc));
    AddDecoded(std::move(docs), where, source_kind, m, node, out);
  };
  for (size_t d = 0; d < loaded.documents.size(); ++d) {
    const yaml::Node& doc = loaded.documents[d];
    if (doc.IsNull()) continue;
    if (!IsListDocument(doc)) {
      decode_one(doc, m.source);
      continue;
    }
    const yaml::Node items = doc.Find("items");
    if (!items.IsSequence()) {
      out.errors.push_back(m.source + ":" + std::to_string(doc.line()) + ": items: a " +
                           doc.Find("kind").scalar() + " needs an items list");
      continue;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      decode_one(items[i], m.source + " items[" + std::to_string(i) + "]");
    }
  }
}

}  // namespace

bool IsMirrorPod(const api::Pod& pod) {
  return pod.metadata.annotations.count(std::string(kAnnotationConfigMirror)) > 0;
}

ParsedManifest ParseManifest(const Manifest& manifest, std::string_view source_kind,
                             const std::string& node_name) {
  ParsedManifest out;
  if (IsJson(manifest)) {
    ParseJson(manifest, source_kind, node_name, out);
  } else {
    ParseYaml(manifest, source_kind, node_name, out);
  }
  return out;
}

Result<std::vector<Manifest>> DiskManifestReader::ReadDir(const std::string& dir,
                                                          std::vector<std::string>* unreadable) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    return NotFound("manifest directory " + dir +
                    " does not exist (create it or fix --manifest-dir)");
  if (!fs::is_directory(dir, ec))
    return Unavailable("manifest directory " + dir + " is not a directory");
  std::vector<fs::path> paths;
  fs::directory_iterator it(dir, ec);
  if (ec) return Unavailable("manifest directory " + dir + ": " + ec.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
    std::error_code fec;
    if (!entry.is_regular_file(fec)) continue;
    paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Manifest> out;
  // As a manifest URL's body: a static pod manifest is small.
  constexpr uintmax_t kMaxManifestBytes = 16u << 20;
  for (const auto& p : paths) {
    std::error_code sec;
    const uintmax_t size = fs::file_size(p, sec);
    if (!sec && size > kMaxManifestBytes) {
      if (unreadable) {
        unreadable->push_back(p.string() + ": " + std::to_string(size) +
                              " bytes, more than the 16 MiB a manifest may have (skipped)");
      }
      continue;
    }
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in) {
      if (unreadable) unreadable->push_back(p.string() + ": cannot be read");
      continue;
    }
    out.push_back({p.string(), text.str()});
  }
  return out;
}

ManifestSource::ManifestSource(client::Api& api, runtime::Clock& clock,
                               ManifestSourceOptions options, ManifestReader* reader,
                               ManifestFetcher* fetcher)
    : api_(api), clock_(clock), options_(std::move(options)), reader_(reader), fetcher_(fetcher) {}

ManifestSource::~ManifestSource() {
  *alive_ = false;
  Stop();
}

void ManifestSource::Log(const std::string& line) {
  if (options_.log) options_.log(line);
}

Status ManifestSource::Start() {
  if (started_) return Status::Ok();
  if (options_.node_name.empty()) return InvalidArgument("manifest source: node name is required");
  if (options_.manifest_dir.empty() && options_.manifest_url.empty())
    return InvalidArgument("manifest source: set a manifest directory or a manifest URL");
  if (!options_.manifest_dir.empty() && !reader_)
    return InvalidArgument("manifest source: a manifest directory needs a reader");
  if (!options_.manifest_url.empty() && !fetcher_)
    return InvalidArgument("manifest source: a manifest URL needs a fetcher");
  if (options_.poll_period <= Duration::zero() || options_.url_poll_period <= Duration::zero())
    return InvalidArgument("manifest source: poll periods must be positive");
  client::InformerOptions io;
  io.node_name = options_.node_name;
  pods_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kPod, io);
  client::InformerHandlers h;
  h.on_add = [this](const client::ObjectPtr& obj) {
    auto pod = api::As<api::Pod>(obj);
    if (pod && IsMirrorPod(*pod)) ScheduleSync();
  };
  h.on_update = [this](const client::ObjectPtr& old_obj, const client::ObjectPtr& obj) {
    auto old_pod = api::As<api::Pod>(old_obj);
    auto pod = api::As<api::Pod>(obj);
    if (!pod || !old_pod) return;
    if (old_pod->metadata.annotations != pod->metadata.annotations ||
        IsTerminating(*old_pod) != IsTerminating(*pod))
      ScheduleSync();
  };
  h.on_delete = [this](const client::ObjectPtr& obj) {
    auto pod = api::As<api::Pod>(obj);
    if (pod && IsMirrorPod(*pod)) ScheduleSync();
  };
  pods_->AddHandlers(h);
  Status st = pods_->Start();
  if (!st.ok()) {
    pods_.reset();
    return st;
  }
  started_ = true;
  PollNow();
  ScheduleDirPoll();
  ScheduleUrlPoll();
  return Status::Ok();
}

void ManifestSource::Stop() {
  if (!started_) return;
  started_ = false;
  clock_.Cancel(dir_timer_);
  clock_.Cancel(url_timer_);
  dir_timer_ = url_timer_ = 0;
  if (pods_) pods_->Stop();
  pods_.reset();
}

void ManifestSource::ScheduleDirPoll() {
  if (options_.manifest_dir.empty()) return;
  dir_timer_ = clock_.After(options_.poll_period, [this, alive = alive_] {
    if (!*alive || !started_) return;
    dir_timer_ = 0;
    PollDir();
    Rebuild();
    Sync();
    ScheduleDirPoll();
  });
}

void ManifestSource::ScheduleUrlPoll() {
  if (options_.manifest_url.empty()) return;
  url_timer_ = clock_.After(options_.url_poll_period, [this, alive = alive_] {
    if (!*alive || !started_) return;
    url_timer_ = 0;
    PollUrl();
    Rebuild();
    Sync();
    ScheduleUrlPoll();
  });
}

void ManifestSource::PollNow() {
  if (!options_.manifest_dir.empty()) PollDir();
  if (!options_.manifest_url.empty()) PollUrl();
  Rebuild();
  Sync();
}

void ManifestSource::PollDir() {
  ++stats_.polls;
  const std::string& dir = options_.manifest_dir;
  std::vector<std::string> unreadable;
  auto manifests = reader_->ReadDir(dir, &unreadable);
  // Errors of the directory itself and of its files are rebuilt here.
  for (auto it = errors_.begin(); it != errors_.end();) {
    if (it->first != options_.manifest_url)
      it = errors_.erase(it);
    else
      ++it;
  }
  if (!manifests.ok()) {
    // Keep the pods of the last successful read.
    errors_[dir] = {manifests.status().message()};
    return;
  }
  std::map<std::string, Entry> next;
  for (const auto& line : unreadable) {
    std::string path = line.substr(0, line.rfind(": "));
    errors_[path].push_back(line);
    auto old = files_.find(path);
    if (old != files_.end()) next[path] = old->second;
  }
  for (const auto& m : *manifests) {
    Entry e{m.source, ParseManifest(m, "file", options_.node_name)};
    if (!e.parsed.errors.empty()) {
      errors_[m.source] = e.parsed.errors;
      auto old = files_.find(m.source);
      if (old != files_.end()) {
        next[m.source] = old->second;  // the previous good version keeps running
        continue;
      }
    }
    next[m.source] = std::move(e);
  }
  files_ = std::move(next);
}

void ManifestSource::PollUrl() {
  ++stats_.polls;
  const std::string& url = options_.manifest_url;
  errors_.erase(url);
  auto body = fetcher_->Fetch(url);
  if (!body.ok()) {
    errors_[url] = {body.status().message()};
    return;
  }
  Entry e{url, ParseManifest({url, *body}, "http", options_.node_name)};
  if (!e.parsed.errors.empty()) {
    errors_[url] = e.parsed.errors;
    if (!url_.empty()) return;
  }
  url_ = {std::move(e)};
}

void ManifestSource::Rebuild() {
  desired_.clear();
  std::vector<std::string> duplicates;
  std::map<std::string, std::string> origin;
  auto add = [&](const Entry& e) {
    for (const auto& pod : e.parsed.pods) {
      std::string key = KeyOf(pod);
      auto [it, inserted] = origin.try_emplace(key, e.source);
      if (!inserted) {
        duplicates.push_back(e.source + ": pod " + key + " is already defined by " + it->second +
                             " (skipped; static pod names must be unique on a node)");
        continue;
      }
      desired_[key] = pod;
    }
  };
  for (const auto& [path, e] : files_)
    add(e);
  for (const auto& e : url_)
    add(e);
  // Log each problem once while it lasts.
  std::set<std::string> current(duplicates.begin(), duplicates.end());
  for (const auto& [source, lines] : errors_)
    current.insert(lines.begin(), lines.end());
  for (const auto& line : current) {
    if (!logged_.count(line)) Log("static pods: " + line);
  }
  logged_ = std::move(current);
}

std::vector<std::string> ManifestSource::errors() const {
  std::set<std::string> all = logged_;
  for (const auto& [key, line] : create_errors_)
    all.insert(line);
  return std::vector<std::string>(all.begin(), all.end());
}

std::vector<std::string> ManifestSource::DesiredPods() const {
  std::vector<std::string> out;
  for (const auto& [key, pod] : desired_)
    out.push_back(key);
  return out;
}

void ManifestSource::ScheduleSync() {
  if (sync_posted_ || !started_) return;
  sync_posted_ = true;
  clock_.Post([this, alive = alive_] {
    if (!*alive) return;
    sync_posted_ = false;
    if (started_) Sync();
  });
}

void ManifestSource::Sync() {
  if (!pods_ || !pods_->HasSynced()) return;
  std::map<std::string, std::shared_ptr<const api::Pod>> actual;
  for (const auto& obj : pods_->List()) {
    auto pod = api::As<api::Pod>(obj);
    if (pod && IsMirrorPod(*pod)) actual[KeyOf(*pod)] = pod;
  }
  // The Node controls its static pods (so no controller adopts them).
  std::optional<api::OwnerReference> owner;
  bool node_looked_up = false;
  auto node_owner = [&]() -> std::optional<api::OwnerReference> {
    if (node_looked_up) return owner;
    node_looked_up = true;
    auto node = api_.Get<api::Node>("", options_.node_name);
    if (!node.ok()) return std::nullopt;
    api::OwnerReference ref;
    ref.api_version = "v1";
    ref.kind = "Node";
    ref.name = options_.node_name;
    ref.uid = (*node)->metadata.uid;
    ref.controller = true;
    owner = ref;
    return owner;
  };
  auto remove = [&](const api::Pod& pod, const std::string& why) {
    client::DeleteOptions o;
    o.uid = pod.metadata.uid;
    auto r = api_.Delete<api::Pod>(pod.metadata.namespace_, pod.metadata.name, o);
    if (r.ok() || r.status().code() == Code::kNotFound) {
      ++stats_.pods_deleted;
      Log("static pods: deleting " + KeyOf(pod) + " (" + why + ")");
    } else {
      ++stats_.api_failures;
      Log("static pods: deleting " + KeyOf(pod) + ": " + r.status().ToString());
    }
  };
  for (const auto& [key, want] : desired_) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      auto ref = node_owner();
      if (!ref) continue;  // the Node is not registered yet; the next poll retries
      api::Pod pod = want;
      pod.metadata.owner_references = {*ref};
      auto r = api_.Create(pod);
      if (r.ok()) {
        ++stats_.pods_created;
        Log("static pods: created " + key + " from " + Annotation(want, kAnnotationManifest));
        create_errors_.erase(key);
      } else {
        ++stats_.api_failures;
        std::string line = "creating " + key + ": " + r.status().ToString();
        if (r.status().code() == Code::kAlreadyExists)
          line += " (a pod of that name that is not this node's static pod exists; delete it)";
        auto [e, changed] = create_errors_.try_emplace(key, line);
        if (!changed && e->second != line) {
          e->second = line;
          changed = true;
        }
        if (changed) Log("static pods: " + line);
      }
      continue;
    }
    const api::Pod& have = *it->second;
    if (IsTerminating(have)) continue;  // recreated once it is gone
    if (Annotation(have, kAnnotationConfigMirror) != Annotation(want, kAnnotationConfigMirror))
      remove(have, "its manifest changed; the new version starts once it has stopped");
  }
  for (auto it = create_errors_.begin(); it != create_errors_.end();) {
    if (desired_.count(it->first))
      ++it;
    else
      it = create_errors_.erase(it);
  }
  for (const auto& [key, have] : actual) {
    if (desired_.count(key) || IsTerminating(*have)) continue;
    remove(*have, "its manifest was removed");
  }
}

}  // namespace navarch::kubelet
