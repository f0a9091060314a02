// The Scheduler against the in-process Api: binding, unschedulable pods and
// their conditions, re-tries on cluster changes, bind conflicts, and
// assumptions that prevent over-commit.

#include "core/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"
#include "tests/unit/scheduler/test_util.h"

namespace navarch::scheduler {
namespace {

using testing::MakeNode;
using testing::MakePod;
using testing::NodeSpecLite;

class SchedulerTest : public ::testing::Test {
 protected:
  void StartScheduler(SchedulerOptions options = {}) {
    options.observer = [this](const SchedulingDecision& d) {
      decisions_.push_back(d);
      if (on_decision_) on_decision_(d);
    };
    scheduler_ = std::make_unique<Scheduler>(api_, clock_, std::move(options));
    ASSERT_TRUE(scheduler_->Start().ok());
    clock_.RunUntilIdle();
  }
  void CreateNode(const std::string& name, NodeSpecLite spec = {}) {
    ASSERT_TRUE(api_.Create(MakeNode(name, spec)).ok());
  }
  void CreatePod(const api::Pod& pod) {
    auto r = api_.Create(pod);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  std::shared_ptr<const api::Pod> GetPod(const std::string& name) {
    auto r = api_.Get<api::Pod>("default", name);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : nullptr;
  }
  std::string NodeOf(const std::string& pod) { return GetPod(pod)->spec->node_name; }
  const api::PodCondition* Scheduled(const api::Pod& pod) {
    for (const auto& c : pod.status.conditions) {
      if (c.type == "PodScheduled") return &c;
    }
    return nullptr;
  }

  runtime::ManualClock clock_;
  store::MemoryStore store_;
  client::LocalApi api_{store_, clock_};
  std::unique_ptr<Scheduler> scheduler_;
  std::vector<SchedulingDecision> decisions_;
  std::function<void(const SchedulingDecision&)> on_decision_;
};

TEST_F(SchedulerTest, BindsPendingPodsThroughTheApi) {
  CreateNode("n1");
  CreateNode("n2");
  CreatePod(MakePod("already"));  // exists before Start
  StartScheduler();
  CreatePod(MakePod("new"));
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("already"), "n1");
  EXPECT_EQ(NodeOf("new"), "n2");
  EXPECT_EQ(scheduler_->stats().scheduled, 2u);
  EXPECT_EQ(scheduler_->stats().confirmed, 2u);
  EXPECT_EQ(scheduler_->cache().AssumedCount(), 0u);
  EXPECT_EQ(scheduler_->cache().PodCount(), 2u);
  ASSERT_EQ(decisions_.size(), 2u);
  EXPECT_EQ(decisions_[0].pod, "default/already");
  EXPECT_EQ(decisions_[0].node, "n1");
  EXPECT_EQ(decisions_[0].attempt, 1);
  EXPECT_EQ(decisions_[0].decided, runtime::ManualClock::kDefaultStart);
  EXPECT_EQ(decisions_[0].explanation.feasible_nodes, 2u);
  EXPECT_EQ(DecisionSummary(decisions_[1]), "default/new -> n2 (attempt 1)");
}

TEST_F(SchedulerTest, HonoursSchedulerName) {
  CreateNode("n1");
  api::Pod other = MakePod("other");
  other.spec.Mutable().scheduler_name = "gpu-scheduler";
  CreatePod(other);
  api::Pod mine = MakePod("mine");
  mine.spec.Mutable().scheduler_name = "default-scheduler";
  CreatePod(mine);
  StartScheduler();
  EXPECT_EQ(NodeOf("other"), "");
  EXPECT_EQ(NodeOf("mine"), "n1");

  SchedulerOptions gpu;
  gpu.scheduler_name = "gpu-scheduler";
  Scheduler second(api_, clock_, gpu);
  ASSERT_TRUE(second.Start().ok());
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("other"), "n1");
}

TEST_F(SchedulerTest, BadProfileIsReportedByStart) {
  SchedulerOptions options;
  options.profile = {"mine", {}, {{"Fastest", 1}}};
  Scheduler s(api_, clock_, options);
  Status st = s.Start();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown score plugin \"Fastest\""), std::string::npos);
}

TEST_F(SchedulerTest, UnschedulablePodLandsWhenANodeIsAddedAndNotBefore) {
  CreateNode("small", {.cpu = "1"});
  StartScheduler();
  CreatePod(MakePod("big", "2"));
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("big"), "");
  auto pod = GetPod("big");
  const api::PodCondition* cond = Scheduled(*pod);
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->status, "False");
  EXPECT_EQ(cond->reason, "Unschedulable");
  EXPECT_EQ(cond->message, "0/1 nodes are available: 1 Insufficient cpu.");
  EXPECT_EQ(cond->last_transition_time, runtime::ManualClock::kDefaultStart);
  EXPECT_EQ(scheduler_->queue().Where("default/big"), SchedulingQueue::Place::kUnschedulable);

  // Time alone does not re-try it before the 5-minute flush
  // (SchedulingQueue), nor does a node that cannot help.
  clock_.Advance(minutes(4));
  CreateNode("tiny", {.cpu = "500m"});
  clock_.RunUntilIdle();
  EXPECT_EQ(scheduler_->stats().attempts, 1u);
  EXPECT_EQ(NodeOf("big"), "");

  // A node that fits: scheduled at once (the back-off expired long ago).
  const Time added = clock_.Now();
  CreateNode("large", {.cpu = "4"});
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("big"), "large");
  EXPECT_EQ(clock_.Now(), added);
  ASSERT_EQ(decisions_.size(), 2u);
  EXPECT_EQ(decisions_[1].attempt, 2);
  EXPECT_EQ(decisions_[1].first_queued, runtime::ManualClock::kDefaultStart);
  EXPECT_EQ(decisions_[1].decided, added);
}

TEST_F(SchedulerTest, NodeArrivingDuringBackoffWaitsForIt) {
  StartScheduler();
  CreatePod(MakePod("p"));
  clock_.RunUntilIdle();
  EXPECT_EQ(decisions_.at(0).message, "0/0 nodes are available.");
  clock_.Advance(milliseconds(300));
  CreateNode("n1");
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("p"), "");  // 700ms of back-off left
  clock_.Advance(milliseconds(699));
  EXPECT_EQ(NodeOf("p"), "");
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(NodeOf("p"), "n1");
}

TEST_F(SchedulerTest, ConditionIsWrittenOnlyWhenTheMessageChanges) {
  CreateNode("n1", {.cpu = "1"});
  StartScheduler();
  CreatePod(MakePod("big", "2"));
  clock_.RunUntilIdle();
  EXPECT_EQ(scheduler_->stats().condition_writes, 1u);

  // A spec-relevant change re-tries the pod: same verdict, no write.
  auto relabel = [&](const std::string& value) {
    api::Pod p = *GetPod("big");
    p.metadata.labels["try"] = value;
    ASSERT_TRUE(api_.Update(p).ok());
    clock_.Advance(seconds(30));
  };
  relabel("1");
  EXPECT_EQ(scheduler_->stats().attempts, 2u);
  EXPECT_EQ(scheduler_->stats().condition_writes, 1u);

  CreateNode("n2", {.cpu = "1"});
  relabel("2");
  EXPECT_EQ(scheduler_->stats().attempts, 3u);
  EXPECT_EQ(scheduler_->stats().condition_writes, 2u);
  EXPECT_EQ(Scheduled(*GetPod("big"))->message, "0/2 nodes are available: 2 Insufficient cpu.");
  EXPECT_EQ(Scheduled(*GetPod("big"))->last_transition_time, runtime::ManualClock::kDefaultStart);
}

TEST_F(SchedulerTest, AssumedPodsPreventOvercommit) {
  CreateNode("a", {.cpu = "1"});
  CreateNode("b", {.cpu = "1"});
  StartScheduler();
  for (int i = 0; i < 5; ++i)
    CreatePod(MakePod("p" + std::to_string(i), "600m"));
  clock_.RunUntilIdle();
  std::map<std::string, int> per_node;
  int pending = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string n = NodeOf("p" + std::to_string(i));
    if (n.empty()) {
      ++pending;
    } else {
      ++per_node[n];
    }
  }
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"a", 1}, {"b", 1}}));
  EXPECT_EQ(pending, 3);
  EXPECT_EQ(Scheduled(*GetPod("p4"))->message, "0/2 nodes are available: 2 Insufficient cpu.");
}

TEST_F(SchedulerTest, DeletedPodFreesRoomForAnUnschedulableOne) {
  CreateNode("n1", {.cpu = "1"});
  StartScheduler();
  CreatePod(MakePod("first", "800m"));
  clock_.RunUntilIdle();
  CreatePod(MakePod("second", "500m"));
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("first"), "n1");
  EXPECT_EQ(NodeOf("second"), "");
  clock_.Advance(seconds(10));
  ASSERT_TRUE(api_.Delete<api::Pod>("default", "first", {.grace_period_seconds = 0}).ok());
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("second"), "n1");
}

TEST_F(SchedulerTest, BindsGoAtTheClientsRateAndDecisionsTakeTheirModelledTime) {
  CreateNode("n1", NodeSpecLite{.cpu = "64", .memory = "256Gi", .pods = "500"});
  CreateNode("n2", NodeSpecLite{.cpu = "64", .memory = "256Gi", .pods = "500"});
  SchedulerOptions options;
  options.client.limits = {50, 100};
  options.decision_cost.fixed = milliseconds(1);
  options.decision_cost.per_node = microseconds(1);
  StartScheduler(options);  // its informers' lists and watches: 4 requests
  const Time t0 = clock_.Now();
  for (int i = 0; i < 300; ++i)
    CreatePod(MakePod("p" + std::to_string(i)));
  clock_.RunUntilIdle();
  // One decision per 1 ms + 2 x 1 us; its bind is sent when it is made.
  ASSERT_EQ(decisions_.size(), 1u);
  clock_.AdvanceTo(t0 + milliseconds(100));
  ASSERT_GE(decisions_.size(), 98u);
  EXPECT_EQ(decisions_[1].decided - decisions_[0].decided, microseconds(1002));
  std::vector<uint64_t> bound;
  for (int s = 1; s <= 5; ++s) {
    clock_.AdvanceTo(t0 + seconds(s));
    bound.push_back(scheduler_->stats().scheduled);
  }
  // The bucket's 96 remaining tokens, then 50 binds per second.
  EXPECT_EQ(bound, (std::vector<uint64_t>{146, 196, 246, 296, 300}));
  // Every bind past the burst (less what refilled while deciding) waited.
  EXPECT_GT(scheduler_->client().stats().waited, 190u);
}

TEST_F(SchedulerTest, BindConflictUndoesTheAssumptionAndBacksOff) {
  CreateNode("n1", {.cpu = "1"});
  CreateNode("n2", {.cpu = "1"});
  bool interfere = true;
  std::string taken;
  on_decision_ = [&](const SchedulingDecision& d) {
    if (!interfere || d.node.empty()) return;
    interfere = false;
    // Another scheduler binds the pod between the decision and the bind.
    taken = d.node == "n1" ? "n2" : "n1";
    auto p = api_.Get(api::Kind::kPod, "default", "p");
    ASSERT_TRUE(api_.Bind(*p, taken).ok());
  };
  StartScheduler();
  CreatePod(MakePod("p", "600m"));
  clock_.RunUntilIdle();
  EXPECT_EQ(scheduler_->stats().bind_errors, 1u);
  EXPECT_EQ(scheduler_->cache().AssumedCount(), 0u);
  // The pod is where the other scheduler put it, and counted there.
  EXPECT_EQ(NodeOf("p"), taken);
  clock_.Advance(seconds(5));
  EXPECT_EQ(NodeOf("p"), taken);
  ASSERT_EQ(decisions_.size(), 1u);
  const int taken_index = taken == "n1" ? 0 : 1;
  EXPECT_EQ(scheduler_->cache().node(taken_index).req_milli_cpu, 600);
  EXPECT_EQ(scheduler_->cache().node(1 - taken_index).req_milli_cpu, 0);
}

TEST_F(SchedulerTest, UnconfirmedAssumptionExpires) {
  // Watch events arrive a minute late, so the bind is not seen in time.
  client::LocalApi slow(store_, clock_, {.watch_delay = seconds(60)});
  ASSERT_TRUE(slow.Create(MakeNode("n1", {.cpu = "1"})).ok());
  ASSERT_TRUE(slow.Create(MakePod("p", "600m")).ok());
  SchedulerOptions options;
  options.assumed_pod_ttl = seconds(30);
  Scheduler s(slow, clock_, options);
  ASSERT_TRUE(s.Start().ok());  // the initial list is immediate
  clock_.RunUntilIdle();
  EXPECT_EQ(NodeOf("p"), "n1");
  EXPECT_EQ(s.cache().AssumedCount(), 1u);

  clock_.Advance(seconds(30));
  EXPECT_EQ(s.stats().expired, 1u);
  EXPECT_EQ(s.cache().AssumedCount(), 0u);
  EXPECT_EQ(s.cache().node(0).req_milli_cpu, 0);
  EXPECT_EQ(s.queue().Where("default/p"), SchedulingQueue::Place::kBackoff);

  // Re-tried after its back-off: the binding is refused (the pod is already
  // bound, as pods/binding answers), backing off again, until the late event
  // shows the pod bound and it leaves the queue for the cache.
  clock_.Advance(seconds(31));
  EXPECT_GE(s.stats().attempts, 2u);
  EXPECT_GE(s.stats().bind_errors, 1u);
  EXPECT_EQ(s.stats().expired, 1u);
  EXPECT_EQ(s.cache().AssumedCount(), 0u);
  EXPECT_EQ(s.cache().node(0).req_milli_cpu, 600);
  EXPECT_EQ(s.queue().Where("default/p"), SchedulingQueue::Place::kNone);
}

TEST_F(SchedulerTest, SamePlacementsEveryRun) {
  auto run = [] {
    runtime::ManualClock clock;
    store::MemoryStore store;
    client::LocalApi api(store, clock);
    for (int i = 0; i < 6; ++i) {
      EXPECT_TRUE(api.Create(MakeNode("n" + std::to_string(5 - i), {.cpu = "2"})).ok());
    }
    Scheduler s(api, clock);
    EXPECT_TRUE(s.Start().ok());
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(
          api.Create(testing::WithOwner(MakePod("p" + std::to_string(i), "300m"), "rc")).ok());
    }
    clock.RunUntilIdle();
    std::vector<std::string> out;
    for (int i = 0; i < 20; ++i) {
      out.push_back((*api.Get<api::Pod>("default", "p" + std::to_string(i)))->spec->node_name);
    }
    return out;
  };
  auto first = run();
  EXPECT_EQ(first, run());
  EXPECT_EQ(std::count(first.begin(), first.end(), "n0"), 4);
}

}  // namespace
}  // namespace navarch::scheduler

namespace navarch::scheduler {
namespace {

// With informers shared with other components (a ControllerManager's), the
// scheduler only adds its handlers; their owner starts them, and the
// scheduler sees the initial list through them like any other handler.
TEST(SchedulerSharedInformers, OwnerStartsThemAndTheSchedulerSeesEverything) {
  runtime::ManualClock clock;
  store::MemoryStore store;
  client::LocalApi api(store, clock);
  ASSERT_TRUE(api.Create(MakeNode("n1", {.cpu = "1"})).ok());
  ASSERT_TRUE(api.Create(MakePod("before", "300m")).ok());
  client::Informer pods(api, clock, api::Kind::kPod);
  client::Informer nodes(api, clock, api::Kind::kNode);
  SchedulerOptions options;
  options.pod_informer = &pods;
  Scheduler half(api, clock, options);
  EXPECT_EQ(half.Start().code(), Code::kInvalidArgument);  // both or neither
  options.node_informer = &nodes;
  Scheduler s(api, clock, options);
  ASSERT_TRUE(s.Start().ok());
  EXPECT_FALSE(pods.HasSynced());  // not the scheduler's to start
  ASSERT_TRUE(nodes.Start().ok());
  ASSERT_TRUE(pods.Start().ok());
  ASSERT_TRUE(api.Create(MakePod("after", "300m")).ok());
  clock.RunUntilIdle();
  EXPECT_EQ((*api.Get<api::Pod>("default", "before"))->spec->node_name, "n1");
  EXPECT_EQ((*api.Get<api::Pod>("default", "after"))->spec->node_name, "n1");
  // Started informers cannot take a new scheduler's initial view.
  Scheduler late(api, clock, options);
  EXPECT_EQ(late.Start().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace navarch::scheduler
