#include "core/apiserver/compactor.h"

#include <algorithm>
#include <mutex>

namespace navarch::apiserver {

struct Compactor::State : std::enable_shared_from_this<Compactor::State> {
  State(store::Store& s, runtime::Clock& c, CompactorOptions o, Observer obs)
      : store(s), clock(c), options(o), observer(std::move(obs)) {}

  // Schedules the next round; mu held.
  void Schedule() {
    std::weak_ptr<State> weak = weak_from_this();
    timer = clock.After(options.interval, [weak] {
      if (auto self = weak.lock()) self->Round();
    });
  }

  void Round() {
    std::lock_guard<std::mutex> lock(mu);
    if (stopped) return;
    timer = 0;
    const store::Revision target = previous;
    previous = store.CurrentRevision();
    if (target <= store.CompactedRevision()) return Schedule();
    report = CompactionReport{};
    report.revision = target;
    Step();
  }

  // One step of the round towards report.revision; mu held.
  void Step() {
    const store::Revision step =
        std::min(report.revision,
                 store.CompactedRevision() + std::max<store::Revision>(1, options.step_revisions));
    auto removed = store.Compact(step);
    ++report.steps;
    if (!removed.ok()) {
      report.status = removed.status();
    } else {
      report.removed += *removed;
      if (step < report.revision) {
        std::weak_ptr<State> weak = weak_from_this();
        clock.Post([weak] {
          auto self = weak.lock();
          if (!self) return;
          std::lock_guard<std::mutex> lock(self->mu);
          if (!self->stopped) self->Step();
        });
        return;
      }
    }
    if (observer) observer(report);
    Schedule();
  }

  store::Store& store;
  runtime::Clock& clock;
  const CompactorOptions options;
  const Observer observer;

  std::mutex mu;  // held by a round, Start and Stop
  bool started = false;
  bool stopped = false;
  runtime::TimerId timer = 0;
  store::Revision previous = 0;  // the current revision one interval ago
  CompactionReport report;       // the round in progress
};

Compactor::Compactor(store::Store& store, runtime::Clock& clock, CompactorOptions options,
                     Observer observer)
    : state_(std::make_shared<State>(store, clock, options, std::move(observer))) {}

Compactor::~Compactor() {
  Stop();
}

void Compactor::Start() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->started || state_->stopped || state_->options.interval <= Duration(0)) return;
  state_->started = true;
  state_->previous = state_->store.CurrentRevision();
  state_->Schedule();
}

void Compactor::Stop() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->stopped) return;
  state_->stopped = true;
  if (state_->timer != 0) state_->clock.Cancel(state_->timer);
  state_->timer = 0;
}

}  // namespace navarch::apiserver
