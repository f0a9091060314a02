#include "cmd/navarch/docker_machines.h"

#include <signal.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/api/types.h"
#include "sim/scenario.h"
#include "sim/sim_cloud.h"

namespace navarch::cmd {

namespace {

// "file:line: path: " for a scenario location.
std::string At(const sim::Scenario& s, int line, const std::string& path) {
  std::string out = s.source;
  if (line > 0) out += ":" + std::to_string(line);
  return out + ": " + path + ": ";
}

const api::PodSpec* SpecOf(const api::ObjectPtr& obj) {
  if (auto pod = api::As<api::Pod>(obj)) {
    const api::PodSpec& spec = pod->spec;
    return &spec;
  }
  if (auto rc = api::As<api::ReplicationController>(obj)) {
    if (!rc->spec.template_) return nullptr;
    const api::PodSpec& spec = rc->spec.template_->spec;
    return &spec;
  }
  return nullptr;
}

int64_t ContainersPerPod(const api::PodSpec& spec) {
  // The sandbox, and at most the larger of the init and app containers at once.
  return 1 + static_cast<int64_t>(std::max(spec.containers.size(), spec.init_containers.size()));
}

// Every ScenarioObject of the scenario with the path it is written under.
void ForEachObject(const sim::Scenario& s,
                   const std::function<void(const sim::ScenarioObject&, const std::string&)>& fn) {
  for (size_t i = 0; i < s.objects.size(); ++i)
    fn(s.objects[i], "objects[" + std::to_string(i) + "]");
  for (const auto& ev : s.events) {
    for (size_t i = 0; i < ev.objects.size(); ++i) {
      fn(ev.objects[i],
         ev.path + "." + std::string(sim::EventTypeName(ev.type)) + "[" + std::to_string(i) + "]");
    }
  }
}

sim::ObjectRef RefOf(const api::Object& obj) {
  sim::ObjectRef ref;
  ref.kind = obj.kind();
  ref.namespace_ = obj.metadata.namespace_.empty() ? "default" : obj.metadata.namespace_;
  ref.name = obj.metadata.name;
  return ref;
}

bool IsPartition(sim::EventType t) {
  switch (t) {
    case sim::EventType::kPartitionNode:
    case sim::EventType::kPartitionRack:
    case sim::EventType::kPartitionZone:
    case sim::EventType::kHealNode:
    case sim::EventType::kHealRack:
    case sim::EventType::kHealZone:
      return true;
    default:
      return false;
  }
}

bool DefaultModel(const sim::RuntimeModel& m) {
  const sim::RuntimeModel d;
  const auto& o = m.defaults;
  return m.rules.empty() && m.sandbox_start == d.sandbox_start &&
         m.batch_run_duration == d.batch_run_duration && !o.image_pull && !o.container_start &&
         !o.container_stop && !o.run_duration && !o.exit_code && !o.failure_probability &&
         !o.failure_exit_code && !o.start_failure_probability && !o.crash && !o.probes;
}

}  // namespace

int64_t EstimateContainers(const sim::Scenario& scenario) {
  int64_t pods = 0;
  // Per replication controller: the largest size and the containers per pod.
  std::map<sim::ObjectRef, std::pair<int64_t, int64_t>> rcs;
  ForEachObject(scenario, [&](const sim::ScenarioObject& so, const std::string&) {
    const api::PodSpec* spec = SpecOf(so.object);
    if (!spec) return;
    if (auto rc = api::As<api::ReplicationController>(so.object)) {
      auto& [size, per_pod] = rcs[RefOf(*so.object)];
      size = std::max<int64_t>(size, rc->spec.replicas.value_or(1));
      per_pod = std::max(per_pod, ContainersPerPod(*spec));
    } else {
      pods += ContainersPerPod(*spec);
    }
  });
  for (const auto& ev : scenario.events) {
    if (ev.type != sim::EventType::kScale) continue;
    auto it = rcs.find(ev.target);
    if (it != rcs.end()) it->second.first = std::max<int64_t>(it->second.first, ev.replicas);
  }
  int64_t total = pods;
  for (const auto& [ref, rc] : rcs)
    total += rc.first * rc.second;
  return total;
}

DockerMachines::DockerMachines(DockerMachinesOptions options)
    : options_(std::move(options)), signals_(clock_.io_context(), SIGINT, SIGTERM) {
  options_.docker.extra_labels[kRunLabel] = options_.run_id;
  WaitForSignal();
}

DockerMachines::~DockerMachines() {
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  // Runtimes drop their completions; the clock is destroyed last.
  runtimes_.clear();
  control_.reset();
}

void DockerMachines::WaitForSignal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (interrupted_.exchange(true)) {
      std::cerr << "navarch run: already stopping; removing the run's containers\n";
    } else {
      std::cerr << "\nnavarch run: interrupted; writing the report and removing the run's "
                   "containers\n";
    }
    WaitForSignal();
  });
}

Status DockerMachines::Connect() {
  if (options_.run_id.empty()) return InvalidArgument("docker machines: run_id is empty");
  NAVARCH_ASSIGN_OR_RETURN(control_, docker::DockerRuntime::Create(clock_, options_.docker));
  // A version query through an image lookup: any answer proves the daemon
  // is there; kUnavailable means it is not.
  auto probe = Await<std::string>(
      clock_,
      [this](runtime::Callback<std::string> done) {
        control_->PullImage(options_.docker.sandbox_image, std::move(done));
      },
      seconds(20));
  if (!probe.ok() && probe.code() == Code::kUnavailable) {
    return Unavailable("cannot reach dockerd at " + options_.docker.socket + ": " +
                       probe.status().message() + "; is dockerd running?");
  }
  return Status::Ok();
}

template <class T>
Result<T> DockerMachines::Await(realtime::AsioClock& clock,
                                const std::function<void(runtime::Callback<T>)>& call,
                                Duration timeout) {
  // Shared with the completion, which may arrive after a timeout (then it
  // only records its result, and stops nothing).
  struct State {
    std::optional<Result<T>> out;
    bool waiting = true;
  };
  auto state = std::make_shared<State>();
  clock.Post([&clock, state, &call] {
    call([&clock, state](Result<T> r) {
      state->out.emplace(std::move(r));
      if (state->waiting) clock.Stop();
    });
  });
  const runtime::TimerId timer = clock.After(timeout, [&clock] { clock.Stop(); });
  clock.Run();
  state->waiting = false;
  clock.Cancel(timer);
  if (!state->out) {
    return Unavailable("dockerd did not answer within " + FormatDuration(timeout));
  }
  return std::move(*state->out);
}

Status DockerMachines::AwaitStatus(realtime::AsioClock& clock,
                                   const std::function<void(runtime::StatusCallback)>& call,
                                   Duration timeout) {
  auto r = Await<bool>(
      clock,
      [&](runtime::Callback<bool> done) {
        call([done = std::move(done)](Status st) {
          if (st.ok()) {
            done(true);
          } else {
            done(st);
          }
        });
      },
      timeout);
  return r.status();
}

Status DockerMachines::Check(const sim::Scenario& scenario) {
  if (!control_) return InvalidArgument("docker machines: call Connect() before Check()");
  std::vector<std::string> problems;
  const std::string backend = " on the docker backend";

  for (const auto& ev : scenario.events) {
    if (IsPartition(ev.type)) {
      problems.push_back(
          At(scenario, ev.line, ev.path + "." + std::string(sim::EventTypeName(ev.type))) +
          "network partitions cannot be made" + backend +
          " (every kubelet shares this host's network and process); run this "
          "scenario with --backend sim, or use failNode/recoverNode");
    }
  }
  if (!DefaultModel(scenario.runtime)) {
    problems.push_back(
        At(scenario, 0, "runtime") +
        "the simulated runtime model (latencies, run durations, exit codes, crash and probe "
        "outcomes) cannot apply" +
        backend +
        ", where the containers' own commands decide; remove the runtime section (give "
        "containers a command instead) or run with --backend sim");
  }
  if (scenario.api.watch_latency) {
    problems.push_back(At(scenario, 0, "api.watchLatency") +
                       "a simulated API latency cannot apply" + backend +
                       "; remove it or run with --backend sim");
  }

  int64_t nodes = 0;
  for (const auto& g : scenario.node_groups)
    nodes += g.count;
  for (const auto& ev : scenario.events) {
    if (ev.type == sim::EventType::kAddNodes) nodes += ev.count;
  }
  if (nodes > options_.max_nodes) {
    problems.push_back(At(scenario, 0, "nodeGroups") + "the scenario uses up to " +
                       std::to_string(nodes) + " machines; at most " +
                       std::to_string(options_.max_nodes) + " run" + backend +
                       " (each is a kubelet in this process): raise --max-nodes, shrink it with "
                       "--scale, or run with --backend sim");
  }
  const int64_t containers = EstimateContainers(scenario);
  if (containers > options_.max_containers) {
    problems.push_back(At(scenario, 0, "objects") + "the scenario runs up to " +
                       std::to_string(containers) +
                       " containers at once (pod sandboxes included); at most " +
                       std::to_string(options_.max_containers) + " run" + backend +
                       " on this host: raise --max-containers, shrink it with --scale, or run "
                       "with --backend sim");
  }

  // Images: every one must be present locally (no registry is reachable).
  std::map<std::string, std::string> images;  // image -> first place it is used
  images.emplace(options_.docker.sandbox_image, "--sandbox-image");
  ForEachObject(scenario, [&](const sim::ScenarioObject& so, const std::string& path) {
    const api::PodSpec* spec = SpecOf(so.object);
    if (!spec) return;
    for (const auto* list : {&spec->init_containers, &spec->containers}) {
      for (const auto& c : *list) {
        images.emplace(c.image, At(scenario, so.line, path) + "container " + c.name);
      }
    }
  });
  for (const auto& [image, where] : images) {
    auto id = Await<std::string>(
        clock_,
        [&](runtime::Callback<std::string> done) { control_->PullImage(image, std::move(done)); },
        seconds(20));
    if (id.ok()) continue;
    if (id.code() == Code::kUnavailable) return id.status();
    std::string place = where;
    if (place.size() >= 2 && place.compare(place.size() - 2, 2, ": ") != 0) place += ": ";
    problems.push_back(place + "image \"" + image + "\" is not present locally" + backend +
                       " (no registry is reachable): build the navarch images with "
                       "scripts/build-images, or `docker load` it");
  }

  if (problems.empty()) return Status::Ok();
  std::string text = "cannot run" + backend + ":";
  for (const auto& p : problems)
    text += "\n  " + p;
  return InvalidArgument(text);
}

runtime::ContainerRuntime& DockerMachines::RuntimeFor(const sim::SimMachine& machine) {
  auto& slot = runtimes_[machine.machine.name];
  if (!slot) {
    auto rt = docker::DockerRuntime::Create(clock_, options_.docker);
    // The options were accepted by Connect(); Create checks nothing else.
    if (rt.ok()) {
      slot = std::move(*rt);
    } else {
      std::cerr << "navarch run: " << machine.machine.name << ": " << rt.status().message() << "\n";
      return *control_;
    }
  }
  return *slot;
}

void DockerMachines::PowerOff(const std::string& node) {
  auto it = runtimes_.find(node);
  if (it == runtimes_.end()) return;
  docker::DockerRuntime* rt = it->second.get();
  runtime::SandboxFilter filter;
  filter.labels = {{std::string(runtime::kLabelNodeName), node},
                   {std::string(kRunLabel), options_.run_id}};
  rt->ListPodSandboxes(filter, [rt](Result<std::vector<runtime::PodSandboxStatus>> list) {
    if (!list.ok()) return;  // Cleanup() removes them at the end
    for (const auto& s : *list)
      rt->RemovePodSandbox(s.id, [](Status) {});
  });
}

sim::MachineBackend::Stop DockerMachines::RunUntil(Time deadline,
                                                   const std::function<bool()>& done) {
  std::optional<Stop> result;
  std::function<void()> tick;
  runtime::TimerId pending = 0;
  tick = [&] {
    pending = 0;
    if (interrupted_.load()) {
      result = Stop::kInterrupted;
    } else if (done()) {
      result = Stop::kDone;
    } else if (clock_.Now() >= deadline) {
      result = Stop::kDeadline;
    }
    if (result) {
      clock_.Stop();
      return;
    }
    pending = clock_.At(std::min(clock_.Now() + options_.poll, deadline), tick);
  };
  clock_.Post(tick);
  clock_.Run();
  if (pending != 0) clock_.Cancel(pending);
  return result.value_or(Stop::kInterrupted);
}

Result<int> DockerMachines::Cleanup(Duration timeout) {
  if (!control_) return 0;
  // The run's runtimes and clock are done with; a fresh loop for the cleanup.
  runtimes_.clear();
  control_.reset();
  realtime::AsioClock clock;
  NAVARCH_ASSIGN_OR_RETURN(auto control, docker::DockerRuntime::Create(clock, options_.docker));
  const runtime::RuntimeLabels mine{{kRunLabel, options_.run_id}};
  int removed = 0;
  auto sandboxes = Await<std::vector<runtime::PodSandboxStatus>>(
      clock,
      [&](runtime::Callback<std::vector<runtime::PodSandboxStatus>> done) {
        control->ListPodSandboxes(runtime::SandboxFilter{.labels = mine}, std::move(done));
      },
      timeout);
  if (!sandboxes.ok()) return sandboxes.status();
  for (const auto& s : *sandboxes) {
    if (AwaitStatus(
            clock, [&](runtime::StatusCallback d) { control->RemovePodSandbox(s.id, d); }, timeout)
            .ok()) {
      ++removed;
    }
  }
  // Containers whose sandbox was already gone.
  auto containers = Await<std::vector<runtime::ContainerStatus>>(
      clock,
      [&](runtime::Callback<std::vector<runtime::ContainerStatus>> done) {
        control->ListContainers(runtime::ContainerFilter{.labels = mine}, std::move(done));
      },
      timeout);
  if (!containers.ok()) return containers.status();
  for (const auto& c : *containers) {
    if (AwaitStatus(
            clock, [&](runtime::StatusCallback d) { control->RemoveContainer(c.id, d); }, timeout)
            .ok()) {
      ++removed;
    }
  }
  control.reset();  // before its clock
  return removed;
}

}  // namespace navarch::cmd
