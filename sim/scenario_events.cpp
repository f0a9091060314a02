// Scenario events and expectations, and the dry run that checks every
// reference before a run starts.

#include <algorithm>
#include <set>

#include "core/runtime/manual_clock.h"
#include "sim/scenario.h"
#include "sim/scenario_parser.h"

namespace navarch::sim {
namespace {

struct EventKey {
  std::string_view key;
  EventType type;
};

constexpr EventKey kEventKeys[] = {
    {"create", EventType::kCreate},
    {"apply", EventType::kApply},
    {"delete", EventType::kDelete},
    {"scale", EventType::kScale},
    {"cordon", EventType::kCordon},
    {"uncordon", EventType::kUncordon},
    {"drain", EventType::kDrain},
    {"failNode", EventType::kFailNode},
    {"failRack", EventType::kFailRack},
    {"failZone", EventType::kFailZone},
    {"recoverNode", EventType::kRecoverNode},
    {"recoverRack", EventType::kRecoverRack},
    {"recoverZone", EventType::kRecoverZone},
    {"partitionNode", EventType::kPartitionNode},
    {"partitionRack", EventType::kPartitionRack},
    {"partitionZone", EventType::kPartitionZone},
    {"healNode", EventType::kHealNode},
    {"healRack", EventType::kHealRack},
    {"healZone", EventType::kHealZone},
    {"addNodes", EventType::kAddNodes},
    {"removeNodes", EventType::kRemoveNodes},
    {"taint", EventType::kTaint},
    {"untaint", EventType::kUntaint},
    {"label", EventType::kLabel},
};

struct ExpectKey {
  std::string_view key;
  Expectation::Type type;
};

constexpr ExpectKey kExpectKeys[] = {
    {"runningReplicas", Expectation::Type::kRunningReplicas},
    {"noPodPendingLongerThan", Expectation::Type::kNoPodPendingLongerThan},
    {"schedulingLatency", Expectation::Type::kSchedulingLatency},
    {"allSucceeded", Expectation::Type::kAllSucceeded},
    {"readyNodes", Expectation::Type::kReadyNodes},
    {"restarts", Expectation::Type::kRestarts},
    {"evictions", Expectation::Type::kEvictions},
    {"readyEndpoints", Expectation::Type::kReadyEndpoints},
    {"eventCount", Expectation::Type::kEventCount},
};

ObjectRef RefOf(const api::Object& obj) {
  ObjectRef ref;
  ref.kind = obj.kind();
  ref.name = obj.metadata.name;
  if (api::InfoOf(obj.kind()).namespaced) {
    ref.namespace_ = obj.metadata.namespace_.empty() ? "default" : obj.metadata.namespace_;
  }
  return ref;
}

bool IsDomainEvent(EventType type) {
  return type >= EventType::kFailNode && type <= EventType::kHealZone;
}

std::string KnownKinds() {
  std::string out;
  for (api::Kind k : api::AllKinds()) {
    if (!out.empty()) out += ", ";
    out += api::InfoOf(k).name;
  }
  return out;
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  for (const EventKey& k : kEventKeys) {
    if (k.type == type) return k.key;
  }
  return "unknown";
}

DomainLevel EventDomain(EventType type) {
  switch (type) {
    case EventType::kFailNode:
    case EventType::kRecoverNode:
    case EventType::kPartitionNode:
    case EventType::kHealNode:
    case EventType::kCordon:
    case EventType::kUncordon:
    case EventType::kDrain:
    case EventType::kTaint:
    case EventType::kUntaint:
    case EventType::kLabel:
      return DomainLevel::kNode;
    case EventType::kFailRack:
    case EventType::kRecoverRack:
    case EventType::kPartitionRack:
    case EventType::kHealRack:
      return DomainLevel::kRack;
    case EventType::kFailZone:
    case EventType::kRecoverZone:
    case EventType::kPartitionZone:
    case EventType::kHealZone:
      return DomainLevel::kZone;
    default:
      return DomainLevel::kCluster;
  }
}

std::string_view ExpectationTypeName(Expectation::Type type) {
  for (const ExpectKey& k : kExpectKeys) {
    if (k.type == type) return k.key;
  }
  return "unknown";
}

namespace internal {

void ScenarioParser::ParseEvents(const yaml::Node& node, Scenario& s) {
  if (!node.IsSequence()) {
    diag_.Error(node, "events", "expected a list of events, each with `at` and one action");
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    if (auto e = ParseEvent(node[i], IndexPath("events", i))) s.events.push_back(std::move(*e));
  }
  std::stable_sort(s.events.begin(), s.events.end(),
                   [](const ScenarioEvent& a, const ScenarioEvent& b) { return a.at < b.at; });
}

std::optional<ScenarioEvent> ScenarioParser::ParseEvent(const yaml::Node& node,
                                                        const std::string& path) {
  const size_t before = diag_.problems().size();
  YamlMap m(node, path, diag_);
  if (!m.valid()) {
    if (!node.IsMap()) diag_.Error(node, path, "expected an event: {at: 30s, <action>: ...}");
    return std::nullopt;
  }
  ScenarioEvent e;
  e.line = LineOf(node);
  e.path = path;
  if (yaml::Node at = m.Require("at")) {
    if (auto d = ReadDuration(at, m.PathOf("at"), diag_)) e.at = *d;
  }
  std::vector<const EventKey*> actions;
  for (const EventKey& k : kEventKeys) {
    if (m.Has(k.key)) actions.push_back(&k);
    (void)m.Get(k.key);  // every action key is accepted (and listed in messages)
  }
  // delete only: what happens to the dependents (Background by default).
  const std::optional<std::string> policy = m.String("propagationPolicy");
  m.Finish();
  if (actions.empty()) {
    std::string known;
    for (const EventKey& k : kEventKeys)
      known += (known.empty() ? "" : ", ") + std::string(k.key);
    diag_.Error(node, path, "no action; give one of: " + known);
    return std::nullopt;
  }
  if (actions.size() > 1) {
    diag_.Error(node, path,
                "one action per event; found " + std::string(actions[0]->key) + " and " +
                    std::string(actions[1]->key) + " (write two events with the same `at`)");
    return std::nullopt;
  }
  e.type = actions[0]->type;
  if (policy && e.type != EventType::kDelete) {
    diag_.Error(m.Get("propagationPolicy"), m.PathOf("propagationPolicy"),
                "propagationPolicy only applies to a delete event");
  }
  const std::string key(actions[0]->key);
  const std::string vpath = m.PathOf(key);
  const yaml::Node v = m.Get(key);

  const auto node_name = [&](const yaml::Node& n, const std::string& p) {
    if (auto name = ReadString(n, p, diag_)) e.name = *name;
  };
  switch (e.type) {
    case EventType::kCreate:
    case EventType::kApply:
      e.objects = ParseManifests(v, vpath);
      break;
    case EventType::kDelete: {
      if (policy) {
        if (*policy != "Background" && *policy != "Foreground" && *policy != "Orphan") {
          diag_.Error(m.Get("propagationPolicy"), m.PathOf("propagationPolicy"),
                      "\"" + *policy + "\" is not one of Background, Foreground, Orphan");
        } else {
          e.propagation_policy = *policy;
        }
      }
      const auto one = [&](const yaml::Node& item, const std::string& p) {
        if (item.IsMap() && item.Find("file")) {
          for (ScenarioObject& o : ParseManifests(item, p))
            e.targets.push_back(RefOf(*o.object));
          return;
        }
        YamlMap d(item, p, diag_);
        if (!d.valid()) {
          if (!item.IsMap()) diag_.Error(item, p, "expected {kind, name, namespace} or {file}");
          return;
        }
        ObjectRef ref;
        if (yaml::Node k = d.Require("kind")) {
          if (auto text = ReadString(k, d.PathOf("kind"), diag_)) {
            auto kind = api::KindFromName(*text);
            if (!kind) {
              diag_.Error(k, d.PathOf("kind"),
                          "unknown kind \"" + *text + "\" (kinds: " + KnownKinds() + ")");
            } else {
              ref.kind = *kind;
            }
          }
        }
        if (yaml::Node n = d.Require("name")) {
          if (auto text = ReadString(n, d.PathOf("name"), diag_)) ref.name = *text;
        }
        std::optional<std::string> ns = d.String("namespace");
        if (api::InfoOf(ref.kind).namespaced) ref.namespace_ = ns.value_or("default");
        d.Finish();
        e.targets.push_back(std::move(ref));
      };
      if (v.IsSequence()) {
        for (size_t i = 0; i < v.size(); ++i)
          one(v[i], IndexPath(vpath, i));
      } else {
        one(v, vpath);
      }
      break;
    }
    case EventType::kScale: {
      YamlMap d(v, vpath, diag_);
      if (!d.valid()) {
        if (!v.IsMap()) diag_.Error(v, vpath, "expected {name, replicas, namespace}");
        break;
      }
      e.target.kind = api::Kind::kReplicationController;
      if (yaml::Node n = d.Require("name")) {
        if (auto text = ReadString(n, d.PathOf("name"), diag_)) e.target.name = *text;
      }
      if (yaml::Node k = d.Get("kind")) {
        auto text = ReadString(k, d.PathOf("kind"), diag_);
        if (text && *text != "ReplicationController") {
          diag_.Error(k, d.PathOf("kind"),
                      "only a ReplicationController can be scaled, not \"" + *text + "\"");
        }
      }
      e.target.namespace_ = d.String("namespace").value_or("default");
      if (yaml::Node r = d.Require("replicas")) {
        if (auto n = ReadInt(r, d.PathOf("replicas"), diag_, 0, 1'000'000)) {
          e.replicas = static_cast<int32_t>(*n);
        }
      }
      d.Finish();
      break;
    }
    case EventType::kDrain:
      if (v.IsMap()) {
        YamlMap d(v, vpath, diag_);
        if (yaml::Node n = d.Require("node")) node_name(n, d.PathOf("node"));
        e.grace_period = d.DurationField("gracePeriod");
        d.Finish();
      } else {
        node_name(v, vpath);
      }
      break;
    case EventType::kAddNodes: {
      YamlMap d(v, vpath, diag_);
      if (!d.valid()) {
        if (!v.IsMap()) diag_.Error(v, vpath, "expected {group, count}");
        break;
      }
      if (yaml::Node n = d.Require("group")) node_name(n, d.PathOf("group"));
      if (yaml::Node c = d.Require("count")) {
        if (auto n = ReadInt(c, d.PathOf("count"), diag_, 1, 1'000'000)) {
          e.count = static_cast<int32_t>(*n);
        }
      }
      d.Finish();
      break;
    }
    case EventType::kRemoveNodes: {
      YamlMap d(v, vpath, diag_);
      if (!d.valid()) {
        if (!v.IsMap()) diag_.Error(v, vpath, "expected {group, count} or {nodes: [...]}");
        break;
      }
      const bool by_group = d.Has("group") || d.Has("count");
      if (yaml::Node n = d.Get("nodes")) {
        if (by_group) diag_.Error(v, vpath, "give either nodes or group and count, not both");
        if (auto list = ReadStringList(n, d.PathOf("nodes"), diag_)) {
          if (list->empty()) diag_.Error(n, d.PathOf("nodes"), "list at least one node");
          e.nodes = std::move(*list);
        }
      } else {
        if (yaml::Node n = d.Require("group")) node_name(n, d.PathOf("group"));
        if (yaml::Node c = d.Require("count")) {
          if (auto n = ReadInt(c, d.PathOf("count"), diag_, 1, 1'000'000)) {
            e.count = static_cast<int32_t>(*n);
          }
        }
      }
      d.Finish();
      break;
    }
    case EventType::kTaint:
    case EventType::kUntaint: {
      YamlMap d(v, vpath, diag_);
      const bool add = e.type == EventType::kTaint;
      if (!d.valid()) {
        if (!v.IsMap()) {
          diag_.Error(v, vpath,
                      add ? "expected {node, key, value, effect}" : "expected {node, key, effect}");
        }
        break;
      }
      if (yaml::Node n = d.Require("node")) node_name(n, d.PathOf("node"));
      if (yaml::Node k = d.Require("key")) {
        if (auto text = ReadString(k, d.PathOf("key"), diag_)) {
          if (text->empty()) diag_.Error(k, d.PathOf("key"), "must not be empty");
          e.taint.key = *text;
        }
      }
      if (add) e.taint.value = d.String("value").value_or("");
      yaml::Node effect = add ? d.Require("effect") : d.Get("effect");
      if (effect) {
        if (auto text = ReadString(effect, d.PathOf("effect"), diag_)) {
          if (*text != "NoSchedule" && *text != "PreferNoSchedule" && *text != "NoExecute") {
            diag_.Error(effect, d.PathOf("effect"),
                        "\"" + *text + "\" is not one of NoSchedule, PreferNoSchedule, NoExecute");
          }
          e.taint.effect = *text;
        }
      }
      d.Finish();
      break;
    }
    case EventType::kLabel: {
      YamlMap d(v, vpath, diag_);
      if (!d.valid()) {
        if (!v.IsMap()) diag_.Error(v, vpath, "expected {node, labels: {k: v}, remove: [k]}");
        break;
      }
      if (yaml::Node n = d.Require("node")) node_name(n, d.PathOf("node"));
      if (yaml::Node l = d.Get("labels")) {
        YamlMap lm(l, d.PathOf("labels"), diag_);
        if (lm.valid()) {
          for (const auto& key : lm.Keys()) {
            if (auto value = lm.String(key)) e.labels[key] = *value;
          }
          lm.Finish();
        } else if (!l.IsMap()) {
          diag_.Error(l, d.PathOf("labels"), "expected a map of label keys to values");
        }
      }
      if (yaml::Node r = d.Get("remove")) {
        if (auto list = ReadStringList(r, d.PathOf("remove"), diag_)) e.remove_labels = *list;
      }
      if (e.labels.empty() && e.remove_labels.empty()) {
        diag_.Error(v, vpath, "give labels to set and/or remove: keys to remove");
      }
      d.Finish();
      break;
    }
    default:  // cordon, uncordon and the failure-domain events name one thing
      node_name(v, vpath);
      break;
  }
  if (diag_.problems().size() != before) return std::nullopt;
  return e;
}

void ScenarioParser::ParseExpectations(const yaml::Node& node, Scenario& s) {
  if (!node.IsSequence()) {
    diag_.Error(node, "expect", "expected a list of expectations");
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    if (auto x = ParseExpectation(node[i], IndexPath("expect", i))) {
      s.expectations.push_back(std::move(*x));
    }
  }
}

std::optional<Expectation> ScenarioParser::ParseExpectation(const yaml::Node& node,
                                                            const std::string& path) {
  const size_t before = diag_.problems().size();
  YamlMap m(node, path, diag_);
  if (!m.valid()) {
    if (!node.IsMap()) diag_.Error(node, path, "expected an expectation mapping");
    return std::nullopt;
  }
  std::vector<const ExpectKey*> found;
  for (const ExpectKey& k : kExpectKeys) {
    if (m.Has(k.key)) found.push_back(&k);
    (void)m.Get(k.key);
  }
  m.Finish();
  if (found.size() != 1) {
    std::string known;
    for (const ExpectKey& k : kExpectKeys)
      known += (known.empty() ? "" : ", ") + std::string(k.key);
    diag_.Error(node, path,
                found.empty() ? "no expectation; give one of: " + known
                              : "one expectation per item; found " + std::string(found[0]->key) +
                                    " and " + std::string(found[1]->key));
    return std::nullopt;
  }
  Expectation x;
  x.type = found[0]->type;
  x.line = LineOf(node);
  x.path = path;
  const std::string vpath = m.PathOf(found[0]->key);
  const yaml::Node v = m.Get(found[0]->key);

  if (x.type == Expectation::Type::kNoPodPendingLongerThan && v.IsScalar()) {
    if (auto d = ReadDuration(v, vpath, diag_)) x.threshold = *d;
    if (diag_.problems().size() != before) return std::nullopt;
    return x;
  }
  YamlMap d(v, vpath, diag_);
  if (!d.valid()) {
    if (!v.IsMap()) diag_.Error(v, vpath, "expected a mapping");
    return std::nullopt;
  }
  const auto selector = [&](bool required) {
    yaml::Node n = required ? d.Require("selector") : d.Get("selector");
    if (!n) return;
    auto text = ReadString(n, d.PathOf("selector"), diag_);
    if (!text) return;
    Result<api::LabelSelector> sel = api::LabelSelector::Parse(*text);
    if (!sel.ok()) {
      diag_.Error(n, d.PathOf("selector"), sel.status().message());
      return;
    }
    x.selector_text = *text;
    x.selector = *sel;
  };
  // atLeast, atMost, or exactly (alone): at least one bound.
  const auto at_least = [&]() {
    yaml::Node lo = d.Get("atLeast");
    yaml::Node hi = d.Get("atMost");
    yaml::Node eq = d.Get("exactly");
    if (!lo && !hi && !eq) {
      diag_.Error(v, vpath, "give a bound: atLeast, atMost, or exactly");
      return;
    }
    if (eq && (lo || hi)) {
      diag_.Error(eq, d.PathOf("exactly"), "exactly cannot be combined with atLeast or atMost");
      return;
    }
    if (eq) {
      if (auto n = ReadInt(eq, d.PathOf("exactly"), diag_, 0, INT32_MAX)) {
        x.at_least = *n;
        x.at_most = *n;
      }
      return;
    }
    if (lo) {
      if (auto n = ReadInt(lo, d.PathOf("atLeast"), diag_, 0, INT32_MAX)) x.at_least = *n;
    }
    if (hi) {
      if (auto n = ReadInt(hi, d.PathOf("atMost"), diag_, 0, INT32_MAX)) {
        x.at_most = *n;
        if (lo && *n < x.at_least) {
          diag_.Error(
              hi, d.PathOf("atMost"),
              "atMost " + std::to_string(*n) + " is below atLeast " + std::to_string(x.at_least));
        }
      }
    }
  };
  switch (x.type) {
    case Expectation::Type::kRunningReplicas:
      selector(true);
      at_least();
      x.by = d.DurationField("by");
      x.namespace_ = d.String("namespace").value_or("");
      break;
    case Expectation::Type::kNoPodPendingLongerThan:
      if (yaml::Node n = d.Require("max")) {
        if (auto dur = ReadDuration(n, d.PathOf("max"), diag_)) x.threshold = *dur;
      }
      selector(false);
      x.namespace_ = d.String("namespace").value_or("");
      break;
    case Expectation::Type::kSchedulingLatency:
      if (yaml::Node n = d.Get("percentile")) {
        if (auto p = ReadDouble(n, d.PathOf("percentile"), diag_)) {
          if (*p <= 0 || *p > 100) {
            diag_.Error(n, d.PathOf("percentile"), "must be above 0 and at most 100");
          }
          x.percentile = *p;
        }
      }
      if (yaml::Node n = d.Require("atMost")) {
        if (auto dur = ReadDuration(n, d.PathOf("atMost"), diag_)) x.threshold = *dur;
      }
      selector(false);
      break;
    case Expectation::Type::kAllSucceeded:
      selector(true);
      x.by = d.DurationField("by");
      x.namespace_ = d.String("namespace").value_or("");
      break;
    case Expectation::Type::kReadyNodes:
      at_least();
      x.by = d.DurationField("by");
      break;
    case Expectation::Type::kRestarts:
    case Expectation::Type::kEvictions:
      selector(false);
      at_least();
      x.by = d.DurationField("by");
      x.namespace_ = d.String("namespace").value_or("");
      break;
    case Expectation::Type::kReadyEndpoints:
      if (yaml::Node n = d.Require("service")) {
        if (auto text = ReadString(n, d.PathOf("service"), diag_)) x.name = *text;
      }
      x.namespace_ = d.String("namespace").value_or("default");
      at_least();
      x.by = d.DurationField("by");
      break;
    case Expectation::Type::kEventCount:
      if (yaml::Node n = d.Require("reason")) {
        if (auto text = ReadString(n, d.PathOf("reason"), diag_)) x.reason = *text;
      }
      if (yaml::Node n = d.Get("type")) {
        if (auto text = ReadString(n, d.PathOf("type"), diag_)) {
          if (*text != "Normal" && *text != "Warning") {
            diag_.Error(n, d.PathOf("type"), "\"" + *text + "\" is not Normal or Warning");
          }
          x.event_type = *text;
        }
      }
      x.namespace_ = d.String("namespace").value_or("");
      at_least();
      x.by = d.DurationField("by");
      break;
  }
  d.Finish();
  if (diag_.problems().size() != before) return std::nullopt;
  return x;
}

void ScenarioParser::CheckReferences(Scenario& s) {
  const Duration horizon = s.Horizon();
  const std::string end_text = s.duration ? "duration " + FormatDuration(horizon)
                                          : "runUntilIdle.maxDuration " + FormatDuration(horizon);
  runtime::ManualClock clock;
  SimCloud cloud(clock, runtime::Rng(s.seed).Fork("cloud"));
  bool cloud_ok = true;
  for (size_t i = 0; i < s.node_groups.size(); ++i) {
    Status st = cloud.AddGroup(s.node_groups[i]);
    if (!st.ok()) {
      diag_.Error(group_lines_[i], IndexPath("cluster.nodeGroups", i), st.message());
      cloud_ok = false;
    }
  }
  if (cloud_ok) {
    if (Status st = cloud.Bootstrap(); !st.ok()) {
      diag_.Error(0, "cluster", st.message());
      cloud_ok = false;
    }
  }
  clock.RunUntilIdle();

  std::set<ObjectRef> objects;
  for (const ScenarioObject& o : s.objects) {
    ObjectRef ref = RefOf(*o.object);
    if (ref.name.empty()) continue;  // generateName: cannot be referenced
    if (!objects.insert(ref).second) {
      diag_.AddFormatted(o.source + ":" + std::to_string(o.line) + ": " + ref.ToString() +
                         " is declared twice in objects");
    }
  }

  for (ScenarioEvent& e : s.events) {
    const std::string where = e.path + "." + std::string(EventTypeName(e.type));
    const auto error = [&](const std::string& message) { diag_.Error(e.line, where, message); };
    if (e.at > horizon) {
      diag_.Error(e.line, e.path + ".at",
                  "at " + FormatDuration(e.at) + " is after the end of the run (" + end_text +
                      "); it would never happen");
    }
    switch (e.type) {
      case EventType::kCreate:
      case EventType::kApply:
        for (const ScenarioObject& o : e.objects) {
          ObjectRef ref = RefOf(*o.object);
          if (ref.name.empty()) continue;
          if (!objects.insert(ref).second && e.type == EventType::kCreate) {
            error(ref.ToString() + " already exists at " + FormatDuration(e.at) +
                  "; use apply to replace it");
          }
        }
        break;
      case EventType::kDelete:
        for (const ObjectRef& ref : e.targets) {
          if (!objects.erase(ref)) {
            error(ref.ToString() + " does not exist at " + FormatDuration(e.at) +
                  " (create it in objects or in an earlier event)");
          }
        }
        break;
      case EventType::kScale:
        if (!objects.count(e.target)) {
          error(e.target.ToString() + " does not exist at " + FormatDuration(e.at) +
                " (create it in objects or in an earlier event)");
        }
        break;
      case EventType::kCordon:
      case EventType::kUncordon:
      case EventType::kDrain:
      case EventType::kTaint:
      case EventType::kUntaint:
      case EventType::kLabel:
        if (!cloud_ok) break;
        if (Status st = cloud.topology().Check(DomainLevel::kNode, e.name); !st.ok()) {
          error(st.message());
        }
        break;
      case EventType::kAddNodes: {
        if (!cloud_ok) break;
        Result<std::vector<std::string>> added = cloud.AddNodes(e.name, e.count);
        if (!added.ok()) {
          error(added.status().message());
        } else {
          e.nodes = *added;
        }
        break;
      }
      case EventType::kRemoveNodes: {
        if (!cloud_ok) break;
        if (e.nodes.empty()) {
          if (!cloud.FindGroup(e.name)) {
            error("unknown node group \"" + e.name + "\"");
            break;
          }
          std::vector<std::string> members = cloud.MachinesOf(e.name);
          if (static_cast<int32_t>(members.size()) < e.count) {
            error("node group \"" + e.name + "\" has " + std::to_string(members.size()) +
                  " machines at " + FormatDuration(e.at) + "; cannot remove " +
                  std::to_string(e.count));
            break;
          }
          e.nodes.assign(members.end() - e.count, members.end());
        }
        for (const std::string& n : e.nodes) {
          if (!cloud.Find(n)) {
            error(cloud.topology().Check(DomainLevel::kNode, n).message());
          } else if (Status st = cloud.RemoveNode(n); !st.ok()) {
            error(st.message());
          }
        }
        break;
      }
      default: {
        if (!cloud_ok || !IsDomainEvent(e.type)) break;
        const DomainLevel level = EventDomain(e.type);
        Status st;
        switch (e.type) {
          case EventType::kFailNode:
          case EventType::kFailRack:
          case EventType::kFailZone:
            st = cloud.Fail(level, e.name);
            break;
          case EventType::kRecoverNode:
          case EventType::kRecoverRack:
          case EventType::kRecoverZone:
            st = cloud.Recover(level, e.name);
            break;
          case EventType::kPartitionNode:
          case EventType::kPartitionRack:
          case EventType::kPartitionZone:
            st = cloud.Partition(level, e.name);
            break;
          default:
            st = cloud.Heal(level, e.name);
            break;
        }
        if (!st.ok()) error(st.message());
        break;
      }
    }
    clock.RunUntilIdle();
  }

  for (const Expectation& x : s.expectations) {
    if (x.by && *x.by > horizon) {
      diag_.Error(
          x.line, x.path + "." + std::string(ExpectationTypeName(x.type)) + ".by",
          "by " + FormatDuration(*x.by) + " is after the end of the run (" + end_text + ")");
    }
  }
}

}  // namespace internal
}  // namespace navarch::sim
