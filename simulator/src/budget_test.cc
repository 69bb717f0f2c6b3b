// Hostile scenarios (issue 14): budgets decided up front where the run's shape allows it,
// the simulator's own accounting of what it holds everywhere else, and cycles no run could
// leave refused as MP6001. Never an allocation failure, never a hang.
#include <gtest/gtest.h>

#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/simulation.h"

namespace meshproof::sim {
namespace {

const std::string kRoot = MESHPROOF_SOURCE_DIR;

struct Prepared {
  LoadedScenario loaded;
  PreparedScenario prepared;
};

std::unique_ptr<Prepared> Prepare(const std::string& spec) {
  auto p = std::make_unique<Prepared>();
  p->loaded = LoadScenarioText(
      "apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  mesh: "
      "[mesh]\n" +
          spec,
      "t.yaml", kRoot + "/scenarios/validation");
  p->prepared = PrepareScenario(&p->loaded);
  return p;
}

std::string Errors(const Prepared& p) {
  std::string out;
  for (const auto& d : p.loaded.diagnostics.items()) out += d.message + "\n";
  return out;
}

TEST(Budget, TinyWindowsAreRefusedBeforeAnyWork) {
  auto p = Prepare(R"(  duration: 1000s
  window: 1ns
  sources: [{from: queue/client, to: queue/node-a, rate: 50}]
)");
  ASSERT_NE(p->prepared.simulator, nullptr) << Errors(*p);
  SimulationOptions o;
  o.jobs = 1;
  SimulationResult r = p->prepared.simulator->Run(o);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("metric windows per edge"), std::string::npos)
      << r.status.message();
  EXPECT_TRUE(r.runs.empty());
}

TEST(Budget, EndlessRunsAreRefusedByTheEventEstimate) {
  auto p = Prepare(R"(  duration: 1e9s
  window: 1e8s
  sources: [{from: queue/client, to: queue/node-a, rate: 50}]
)");
  ASSERT_NE(p->prepared.simulator, nullptr) << Errors(*p);
  EXPECT_GT(p->prepared.simulator->EstimateRun(1e9, 1).events, kMaxEstimatedEvents);
  SimulationResult r = p->prepared.simulator->Run(SimulationOptions{});
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("events"), std::string::npos) << r.status.message();
}

TEST(Budget, AnOverloadedUnboundedQueueStopsAtItsShareWithAStatus) {
  auto p = Prepare(R"(  duration: 100000s
  window: 10000s
  sources: [{from: queue/client, to: queue/node-a, rate: 500}]
  workloads: [{workload: queue/node-a, serviceTime: 10ms}]
)");
  ASSERT_NE(p->prepared.simulator, nullptr) << Errors(*p);
  SimulationOptions o;
  o.jobs = 1;
  o.max_memory = std::size_t{64} << 20;
  SimulationResult r = p->prepared.simulator->Run(o);
  ASSERT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("over the memory budget"), std::string::npos)
      << r.status.message();
  EXPECT_NE(r.status.message().find("request states in flight"), std::string::npos);
  // The same run replicated directly says where it stopped.
  ReplicationResult one =
      p->prepared.simulator->RunReplication(1, 100000, nullptr, nullptr, std::size_t{16} << 20);
  EXPECT_FALSE(one.aborted.empty());
  EXPECT_LT(one.peak_in_flight, std::size_t{2} << 20);
}

TEST(Budget, SynchronousCallCyclesAreMP6001WithTheCycle) {
  auto p = Prepare(R"(  duration: 10s
  sources: [{from: queue/client, to: queue/node-a, rate: 5}]
  workloads:
  - {workload: queue/node-a, calls: [{to: queue/node-b, probability: 0.5}]}
  - {workload: queue/node-b, calls: [{to: queue/node-a}]}
)");
  EXPECT_EQ(p->prepared.simulator, nullptr);
  EXPECT_NE(Errors(*p).find("synchronous call cycle queue/node-a -> queue/node-b -> queue/node-a"),
            std::string::npos)
      << Errors(*p);
}

TEST(Budget, CertainForwardingCyclesAreMP6001ButFeedbackWithAnExitIsFine) {
  auto p = Prepare(R"(  duration: 10s
  sources: [{from: queue/client, to: queue/node-a, rate: 5}]
  workloads:
  - {workload: queue/node-a, next: [{to: queue/node-b}]}
  - {workload: queue/node-b, next: [{to: queue/node-a}]}
)");
  EXPECT_EQ(p->prepared.simulator, nullptr);
  EXPECT_NE(Errors(*p).find("forwarding cycle"), std::string::npos) << Errors(*p);
  auto ok = Prepare(R"(  duration: 10s
  sources: [{from: queue/client, to: queue/node-a, rate: 5}]
  workloads:
  - {workload: queue/node-a, next: [{to: queue/node-b}]}
  - {workload: queue/node-b, next: [{to: queue/node-a, probability: 0.5}]}
)");
  EXPECT_NE(ok->prepared.simulator, nullptr) << Errors(*ok);
}

TEST(Budget, DurationsAreRangeCheckedAfterTheUnit) {
  EXPECT_FALSE(ParseDuration("1e308h"));
  EXPECT_FALSE(ParseDuration("1e10s"));
  EXPECT_TRUE(ParseDuration("1e9s"));
  EXPECT_NEAR(*ParseDuration("2h"), 7200, 1e-9);
  auto p = Prepare(R"(  duration: 1e308h
  seed: 99999999999999999999
  sources: [{from: queue/client, to: queue/node-a, rate: 5}]
)");
  EXPECT_EQ(p->prepared.simulator, nullptr);
  EXPECT_NE(Errors(*p).find("at most 1e9s"), std::string::npos) << Errors(*p);
  EXPECT_NE(Errors(*p).find("larger than 18446744073709551615"), std::string::npos) << Errors(*p);
  EXPECT_FALSE(ParseGoDuration("1e300h"));
}

}  // namespace
}  // namespace meshproof::sim
