// Behaviour of the simulation engine over real meshes: routing by split weights, access
// policy, retries, timeouts, queues, balancing, schedules, determinism and memory.
#include "meshproof/simulator/simulation.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "meshproof/simulator/histogram.h"
#include "meshproof/simulator/render.h"

namespace meshproof::sim {
namespace {

const std::string kRoot = MESHPROOF_SOURCE_DIR;

struct Sim {
  LoadedScenario loaded;
  PreparedScenario prepared;
  SimulationResult result;

  const MetricValues* Edge(EdgeSide side, const std::string& resource, const std::string& peer,
                           const std::string& backend = "") const {
    for (std::size_t e = 0; e < result.edges.size(); ++e) {
      const EdgeInfo& i = result.edges[e];
      if (i.side == side && i.resource.name == resource && i.peer.name == peer &&
          i.backend == backend) {
        return &result.runs[0].edges[e];
      }
    }
    return nullptr;
  }
  const NodeValues* Node(const std::string& name) const {
    for (std::size_t n = 0; n < result.nodes.size(); ++n) {
      if (result.nodes[n].workload.name == name) return &result.runs[0].nodes[n];
    }
    return nullptr;
  }
};

std::unique_ptr<Sim> Simulate(const std::string& dir, const std::string& spec,
                              SimulationOptions options = {}) {
  auto s = std::make_unique<Sim>();
  s->loaded = LoadScenarioText(
      "apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  mesh: "
      "[mesh]\n" +
          spec,
      "t.yaml", kRoot + "/scenarios/" + dir);
  s->prepared = PrepareScenario(&s->loaded);
  for (const auto& d : s->loaded.diagnostics.items()) ADD_FAILURE() << d.message;
  if (s->prepared.simulator == nullptr) return s;
  if (options.jobs == 0) options.jobs = 1;
  s->result = s->prepared.simulator->Run(options);
  return s;
}

// |x - n p| within 5 binomial standard deviations.
void ExpectBinomial(double x, double n, double p, const char* what) {
  EXPECT_NEAR(x, n * p, 5 * std::sqrt(n * p * (1 - p)) + 1) << what;
}

TEST(Simulation, SplitWeightsRouteTrafficAndADeniedCanaryFailsAsDeniedCount) {
  auto s = Simulate("payments", R"(  duration: 200s
  sources:
  - {from: storefront/checkout, to: payments/payments-api, rate: 100, mix: [{method: POST, path: /v1/charges}]}
)");
  ASSERT_FALSE(s->result.runs.empty());
  const MetricValues* stable =
      s->Edge(EdgeSide::kSplit, "payments-api-rollout", "checkout", "payments-api-stable");
  const MetricValues* canary =
      s->Edge(EdgeSide::kSplit, "payments-api-rollout", "checkout", "payments-api-canary");
  ASSERT_NE(stable, nullptr);
  ASSERT_NE(canary, nullptr);
  const double total = stable->success + stable->failure + canary->success + canary->failure;
  ExpectBinomial(canary->success + canary->failure, total, 0.2, "canary share");
  EXPECT_EQ(stable->failure, 0);
  // Every canary request is denied by access policy (MP3011 as traffic).
  EXPECT_EQ(canary->success, 0);
  EXPECT_EQ(canary->denied, canary->failure);
  const MetricValues* server = s->Edge(EdgeSide::kServer, "payments-api-v2", "checkout");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->denied, canary->denied);
  const MetricValues* client = s->Edge(EdgeSide::kClient, "checkout", "payments-api");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->denied, canary->denied);
  EXPECT_EQ(client->success, stable->success);
}

TEST(Simulation, RequestsOutsideTheGrantedRoutesAreDeniedEverywhere) {
  auto s = Simulate("payments", R"(  duration: 50s
  sources:
  - {from: storefront/checkout, to: payments/payments-api, rate: 20, mix: [{method: DELETE, path: /v1/charges}]}
)");
  const MetricValues* client = s->Edge(EdgeSide::kClient, "checkout", "payments-api");
  ASSERT_NE(client, nullptr);
  EXPECT_GT(client->failure, 500);
  EXPECT_EQ(client->denied, client->failure);
  EXPECT_EQ(client->success, 0);
}

TEST(Simulation, SameSeedGivesByteIdenticalJsonForAnyNumberOfJobs) {
  const std::string spec = R"(  duration: 30s
  window: 10s
  replications: 4
  network: {latency: {distribution: exponential, mean: 1ms}}
  sources:
  - {from: storefront/checkout, to: payments/payments-api, rate: 200, mix: [{method: POST, path: /v1/charges}]}
  workloads:
  - {workload: payments/payments-api-v1, concurrency: 2, errorRate: 0.05}
  routes:
  - {service: payments/payments-api, timeout: 200ms, retries: {attempts: 2}}
)";
  SimulationOptions one, two, other;
  one.jobs = 1;
  two.jobs = 2;
  other.jobs = 2;
  other.seed = 99;
  auto a = Simulate("payments", spec, one);
  auto b = Simulate("payments", spec, two);
  auto c = Simulate("payments", spec, other);
  RenderContext ctx{"t", "t.yaml", {}, "spec"};
  const std::string ja = SimulationToJson(a->result, ctx).dump();
  EXPECT_EQ(ja, SimulationToJson(b->result, ctx).dump());
  EXPECT_NE(ja, SimulationToJson(c->result, ctx).dump());
  EXPECT_EQ(SimulationToText(a->result, ctx), SimulationToText(b->result, ctx));
}

TEST(Simulation, RetriesRecoverErrorsAndEveryAttemptIsCountedAtTheServer) {
  auto s = Simulate("validation", R"(  duration: 200s
  sources: [{from: queue/client, to: queue/node-a, rate: 100}]
  workloads: [{workload: queue/node-a, concurrency: 100, errorRate: 0.3, serviceTime: 1ms}]
  routes: [{service: queue/node-a, retries: {attempts: 2, retryOn: [5xx], backoff: 1ms}}]
)");
  const MetricValues* client = s->Edge(EdgeSide::kClient, "client", "node-a");
  const MetricValues* server = s->Edge(EdgeSide::kServer, "node-a", "client");
  ASSERT_NE(client, nullptr);
  ASSERT_NE(server, nullptr);
  const double requests = client->success + client->failure;
  ExpectBinomial(client->failure, requests, 0.3 * 0.3 * 0.3, "failures after two retries");
  // Attempts per request: 1 + 0.3 + 0.09.
  EXPECT_NEAR((server->success + server->failure) / requests, 1.39, 0.02);
  EXPECT_NEAR(server->failure / (server->success + server->failure), 0.3, 0.01);
}

TEST(Simulation, RequestTimeoutAnswers504WhileTheServerKeepsWorking) {
  auto s = Simulate("validation", R"(  duration: 100s
  sources: [{from: queue/client, to: queue/node-a, rate: 5, arrival: constant}]
  workloads: [{workload: queue/node-a, concurrency: 10, serviceTime: 100ms}]
  routes: [{service: queue/node-a, timeout: 50ms}]
)");
  const MetricValues* client = s->Edge(EdgeSide::kClient, "client", "node-a");
  const MetricValues* server = s->Edge(EdgeSide::kServer, "node-a", "client");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->success, 0);
  EXPECT_GT(client->failure, 400);
  EXPECT_NEAR(client->p99, 0.050, 0.050 * LatencyHistogram::kRelativeErrorBound);
  EXPECT_GT(server->success, 400);  // the callee finished every request nobody waited for
  EXPECT_NEAR(server->mean, 0.100, 1e-9);
}

TEST(Simulation, PerTryTimeoutRetriesOnAnotherReplica) {
  // Two replicas, one slow (by queueing: concurrency 1, deterministic 1 s) — round robin
  // alternates; a per-try timeout of 100ms moves the request to the other replica.
  auto s = Simulate("validation", R"(  duration: 100s
  sources: [{from: queue/client, to: queue/node-a, rate: 1, arrival: constant}]
  workloads: [{workload: queue/node-a, replicas: 2, serviceTime: {distribution: deterministic, value: 150ms}}]
  routes: [{service: queue/node-a, retries: {attempts: 1, perTryTimeout: 100ms, backoff: 1ms}}]
)");
  const MetricValues* client = s->Edge(EdgeSide::kClient, "client", "node-a");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->success, 0);  // every try exceeds 100ms
  EXPECT_GT(client->failure, 90);
  const MetricValues* server = s->Edge(EdgeSide::kServer, "node-a", "client");
  EXPECT_NEAR(server->success / client->failure, 2.0, 0.05);  // two attempts each
}

TEST(Simulation, FullQueuesRejectAndConnectFailureRetriesHelp) {
  const std::string base = R"(  duration: 200s
  sources: [{from: queue/client, to: queue/node-a, rate: 150}]
  workloads: [{workload: queue/node-a, replicas: 2, queueCapacity: 0, serviceTime: 10ms}]
)";
  auto plain = Simulate("validation", base);
  auto retried = Simulate("validation",
                          base +
                              "  routes: [{service: queue/node-a, retries: {attempts: 3, retryOn: "
                              "[connect-failure], backoff: 5ms}}]\n");
  const MetricValues* a = plain->Edge(EdgeSide::kClient, "client", "node-a");
  const MetricValues* b = retried->Edge(EdgeSide::kClient, "client", "node-a");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const double fa = a->failure / (a->success + a->failure);
  const double fb = b->failure / (b->success + b->failure);
  EXPECT_GT(fa, 0.2);  // round robin over two M/M/1/1 at 75/s each: B(1, 0.75) = 0.43
  EXPECT_LT(fb, fa / 2);
  EXPECT_EQ(a->denied, 0);
  EXPECT_GT(plain->Node("node-a")->blocked, 0);
}

TEST(Simulation, LeastRequestBalancingBeatsRandomUnderLoad) {
  const std::string base = R"(  duration: 300s
  sources: [{from: queue/client, to: queue/node-a, rate: 320}]
  workloads: [{workload: queue/node-a, replicas: 4, serviceTime: {distribution: exponential, mean: 10ms}}]
)";
  auto random = Simulate("validation", base + "  loadBalancing: random\n");
  auto p2c = Simulate("validation", base + "  loadBalancing: least-request\n");
  const double wr = random->Edge(EdgeSide::kClient, "client", "node-a")->mean;
  const double wp = p2c->Edge(EdgeSide::kClient, "client", "node-a")->mean;
  EXPECT_NEAR(wr, 0.05, 0.01);  // four M/M/1 at rho 0.8
  EXPECT_LT(wp, 0.7 * wr);
}

TEST(Simulation, SynchronousFanOutHoldsTheCallerAndMultipliesLoad) {
  auto s = Simulate("validation", R"(  duration: 100s
  sources: [{from: queue/client, to: queue/node-a, rate: 20}]
  workloads:
  - workload: queue/node-a
    concurrency: 50
    serviceTime: 1ms
    calls: [{to: queue/node-b, count: 3}, {to: queue/node-c, probability: 0.5}]
  - {workload: queue/node-b, concurrency: 50, serviceTime: {distribution: deterministic, value: 20ms}}
  - {workload: queue/node-c, concurrency: 50, serviceTime: {distribution: deterministic, value: 5ms}}
)");
  const NodeValues* a = s->Node("node-a");
  const NodeValues* b = s->Node("node-b");
  const NodeValues* c = s->Node("node-c");
  EXPECT_NEAR(b->arrivals / a->arrivals, 3.0, 1e-9);
  EXPECT_NEAR(c->arrivals / a->arrivals, 0.5, 0.05);
  // node-a's request time includes the slowest child (20 ms).
  EXPECT_GE(s->Edge(EdgeSide::kClient, "client", "node-a")->p50, 0.020);
  const MetricValues* ab = s->Edge(EdgeSide::kServer, "node-b", "node-a");
  ASSERT_NE(ab, nullptr);
  EXPECT_GT(ab->success, 0);
}

TEST(Simulation, NetworkLatencyIsAddedPerHopEachWay) {
  auto s = Simulate("validation", R"(  duration: 20s
  network: {latency: 2ms}
  sources: [{from: queue/client, to: queue/node-a, rate: 1, arrival: constant}]
  workloads: [{workload: queue/node-a, serviceTime: {distribution: deterministic, value: 10ms}}]
)");
  EXPECT_NEAR(s->Edge(EdgeSide::kClient, "client", "node-a")->mean, 0.014, 1e-9);
  EXPECT_NEAR(s->Edge(EdgeSide::kServer, "node-a", "client")->mean, 0.010, 1e-9);
}

// Every replication reports the same histogram bucket for a deterministic service time:
// the p99 interval is that bucket's width (known to the bucket, no better), the mean's
// interval stays exact.
TEST(Simulation, QuantileIntervalsInOneBucketAreTheBucketsWidth) {
  SimulationOptions o;
  o.replications = 5;
  auto s = Simulate("validation", R"(  duration: 20s
  sources: [{from: queue/client, to: queue/node-a, rate: 1, arrival: constant}]
  workloads: [{workload: queue/node-a, serviceTime: {distribution: deterministic, value: 10ms}}]
)",
                    o);
  std::size_t e = 0;
  while (s->result.edges[e].side != EdgeSide::kClient) ++e;
  const MetricIntervals& m = s->result.edge_metrics[e];
  const auto [low, high] = LatencyHistogram::BucketRange(LatencyHistogram::IndexOf(0.010));
  EXPECT_DOUBLE_EQ(m.p99.half_width, (high - low) / 2);
  EXPECT_TRUE(m.p99.Contains(0.010));
  EXPECT_EQ(m.mean.half_width, 0);
}

TEST(Simulation, RateScheduleAndWindows) {
  auto s = Simulate("validation", R"(  duration: 200s
  window: 100s
  sources:
  - {from: queue/client, to: queue/node-a, arrival: constant, schedule: [{at: 0s, rate: 10}, {at: 100s, rate: 50}]}
  workloads: [{workload: queue/node-a, concurrency: 10, serviceTime: 1ms}]
)");
  ASSERT_EQ(s->result.window_metrics.size(), s->result.edges.size());
  for (std::size_t e = 0; e < s->result.edges.size(); ++e) {
    if (s->result.edges[e].side != EdgeSide::kClient) continue;
    const auto& w = s->result.runs[0].windows[e];
    ASSERT_EQ(w.size(), 2u);
    EXPECT_NEAR(w[0].success, 1000, 1);
    EXPECT_NEAR(w[1].success, 5000, 1);
    EXPECT_NEAR(w[1].rps, 50, 0.02);
  }
}

TEST(Simulation, MemoryFollowsRequestsInFlightNotRequestsSimulated) {
  auto s = Simulate("validation", R"(  duration: 20000s
  sources: [{from: queue/client, to: queue/node-a, rate: 50}]
  workloads: [{workload: queue/node-a, serviceTime: 10ms}]
)");
  const ReplicationResult& r = s->result.runs[0];
  EXPECT_GT(r.requests, 900000u);
  EXPECT_LT(r.peak_in_flight, 200u);  // M/M/1 at rho 0.5: P(N > 100) = 2^-100
  EXPECT_LT(r.peak_pending_events, 200u);
}

TEST(Simulation, SplitMatchesSendOnlyMatchingRequestsThroughTheSplit) {
  // A/B (split v1alpha4 `matches`): requests with x-beta: 1 go to web-v2; the rest are
  // served by the root Service's own endpoints (v1 and v2 pods alike), spec 3.2.
  const auto dir =
      std::filesystem::temp_directory_path() / ("meshproof-ab-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "mesh");
  std::ofstream(dir / "mesh" / "mesh.yaml") << R"(apiVersion: v1
kind: ServiceAccount
metadata: {name: client, namespace: ab}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: ab}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ab}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-v1, namespace: ab}
spec: {selector: {app: web, v: one}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-v2, namespace: ab}
spec: {selector: {app: web, v: two}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v1, namespace: ab}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web, v: one}}
    spec: {serviceAccountName: web, containers: [{name: a, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-v2, namespace: ab}
spec:
  replicas: 1
  template:
    metadata: {labels: {app: web, v: two}}
    spec: {serviceAccountName: web, containers: [{name: a, ports: [{containerPort: 8080}]}]}
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: beta, namespace: ab}
spec:
  matches:
  - {name: beta-users, headers: [{x-beta: "1"}]}
---
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: web-ab, namespace: ab}
spec:
  service: web
  matches: [{kind: HTTPRouteGroup, name: beta}]
  backends: [{service: web-v1, weight: 0}, {service: web-v2, weight: 100}]
---
apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: web, namespace: ab}
spec:
  destination: {kind: ServiceAccount, name: web, namespace: ab}
  rules: [{kind: HTTPRouteGroup, name: all}]
  sources: [{kind: ServiceAccount, name: client, namespace: ab}]
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: all, namespace: ab}
spec:
  matches:
  - {name: any, pathRegex: ".*", methods: ["*"]}
)";
  auto s = std::make_unique<Sim>();
  s->loaded = LoadScenarioText(R"(apiVersion: meshproof.dev/v1alpha1
kind: Scenario
spec:
  mesh: [mesh]
  duration: 100s
  sources:
  - from: ab/client
    to: ab/web
    rate: 100
    mix: [{weight: 1, headers: {x-beta: "1"}}, {weight: 3}]
  workloads: [{workload: ab/web-v1, concurrency: 10}, {workload: ab/web-v2, concurrency: 10}]
)",
                               "ab.yaml", dir.string());
  s->prepared = PrepareScenario(&s->loaded);
  ASSERT_NE(s->prepared.simulator, nullptr);
  SimulationOptions o;
  o.jobs = 1;
  s->result = s->prepared.simulator->Run(o);
  std::filesystem::remove_all(dir);
  const MetricValues* client = s->Edge(EdgeSide::kClient, "client", "web");
  const MetricValues* v2split = s->Edge(EdgeSide::kSplit, "web-ab", "client", "web-v2");
  const MetricValues* v1 = s->Edge(EdgeSide::kServer, "web-v1", "client");
  const MetricValues* v2 = s->Edge(EdgeSide::kServer, "web-v2", "client");
  ASSERT_NE(client, nullptr);
  ASSERT_NE(v2split, nullptr);
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(v2, nullptr);
  const double total = client->success;
  ExpectBinomial(v2split->success, total, 0.25, "beta requests through the split");
  // The other 75% spread over all 4 root replicas: v2 gets a quarter of them.
  ExpectBinomial(v2->success - v2split->success, total * 0.75, 0.25, "non-beta on v2 pods");
  EXPECT_NEAR(v1->success + v2->success, total, 2);
}

TEST(Simulation, ProgressReachesOneAndResultsDoNotDependOnIt) {
  std::vector<double> seen;
  SimulationOptions o;
  std::uint64_t events = 0;
  o.progress = [&](const Progress& p) {
    seen.push_back(p.fraction);
    events = p.events;
  };
  auto s = Simulate(
      "validation",
      "  duration: 100s\n  sources: [{from: queue/client, to: queue/node-a, rate: 50}]\n", o);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 1.0);
  std::uint64_t all = 0;
  for (const auto& r : s->result.runs) all += r.events;
  EXPECT_EQ(events, all);  // the last report counts every event
}

}  // namespace
}  // namespace meshproof::sim
