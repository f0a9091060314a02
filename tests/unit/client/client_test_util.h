#pragma once
// Shared fixtures for the client tests: a MemoryStore, a ManualClock and a
// LocalApi over them, plus small object builders.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/api/types.h"
#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::client::testing {

inline api::Pod MakePod(std::string ns, std::string name, api::Labels labels = {},
                        std::string node = "") {
  api::Pod pod;
  pod.metadata.namespace_ = std::move(ns);
  pod.metadata.name = std::move(name);
  pod.metadata.labels = std::move(labels);
  pod.spec.Mutable().node_name = std::move(node);
  api::Container c;
  c.name = "app";
  c.image = "nginx:1.25";
  pod.spec.Mutable().containers.push_back(c);
  return pod;
}

inline api::Namespace MakeNamespace(std::string name) {
  api::Namespace ns;
  ns.metadata.name = std::move(name);
  return ns;
}

// Records every event a watch delivers.
struct Recorder {
  std::vector<WatchEvent> events;
  WatchHandler Handler() {
    return [this](const WatchEvent& ev) { events.push_back(ev); };
  }
  // "ADDED default/a", ... for compact assertions.
  std::vector<std::string> Summary() const {
    std::vector<std::string> out;
    for (const auto& ev : events) {
      std::string s(WatchEventTypeName(ev.type));
      if (ev.object) s += " " + api::KeyOf(*ev.object);
      if (ev.type == WatchEvent::Type::kError) s += " " + ev.error.ToString();
      out.push_back(std::move(s));
    }
    return out;
  }
};

class ApiTest : public ::testing::Test {
 protected:
  explicit ApiTest(LocalApiOptions options = {}) : api_(store_, clock_, options) {}

  // Creates a pod and returns it (fails the test on error).
  std::shared_ptr<const api::Pod> MustCreate(const api::Pod& pod) {
    auto r = api_.Create(pod);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : nullptr;
  }

  store::MemoryStore store_;
  runtime::ManualClock clock_;
  LocalApi api_;
};

}  // namespace navarch::client::testing
