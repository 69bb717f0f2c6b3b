// simulator_bench: event rates of the simulation engine against a reference loop.
//
//   BM_ReferenceMM1   a plain binary-heap M/M/1 with no metrics and no model: the practical
//                     floor for any DES kernel on this machine
//                     (docs/reference/canary-and-metrics.md 3.2)
//   BM_EngineMM1      the same system through meshproof: scenario, compiled mesh, access
//                     decisions, histograms, windows, node statistics
//   BM_EngineMMc      one replica serving 4 at once (M/M/4, rho 0.875)
//   BM_Mesh20         20 services in a call tree, 2 replicas each, lognormal service times,
//                     1% errors, retries with per-try timeouts, request timeouts, network
//                     latency, per-edge metrics
// Counters: events_per_s (processed events, stale timers included), peak_in_flight.
//   BM_Canary1000     1000 replications of a 13-tick Flagger canary at 100 req/s (all cores)
// Targets (issues): EngineMM1 >= 1/3 of ReferenceMM1; Mesh20 >= 5 million events/s;
// Canary1000 under 60 s on 2 cores.
#include <filesystem>
#include <fstream>
#include <queue>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/simulator/canary.h"
#include "meshproof/simulator/random.h"
#include "meshproof/simulator/scenario.h"
#include "meshproof/simulator/simulation.h"

namespace meshproof::sim {
namespace {

void BM_ReferenceMM1(benchmark::State& state) {
  struct Ev {
    double t;
    std::uint64_t seq;
    bool arrival;
    bool operator>(const Ev& o) const { return t > o.t || (t == o.t && seq > o.seq); }
  };
  const double lambda = 80, mu = 100, end = 20000;
  std::uint64_t events = 0;
  for (auto _ : state) {
    Rng rng(1);
    std::priority_queue<Ev, std::vector<Ev>, std::greater<>> heap;
    std::uint64_t seq = 0;
    int in_system = 0;
    heap.push({rng.Exponential(1 / lambda), seq++, true});
    while (!heap.empty() && heap.top().t <= end) {
      const Ev e = heap.top();
      heap.pop();
      ++events;
      if (e.arrival) {
        heap.push({e.t + rng.Exponential(1 / lambda), seq++, true});
        if (++in_system == 1) heap.push({e.t + rng.Exponential(1 / mu), seq++, false});
      } else if (--in_system > 0) {
        heap.push({e.t + rng.Exponential(1 / mu), seq++, false});
      }
    }
    benchmark::DoNotOptimize(in_system);
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReferenceMM1)->Unit(benchmark::kMillisecond)->UseRealTime();

// A mesh of `n` Services s0..s(n-1) in namespace bench, each called by a client identity
// and by every service; 2 replicas each.
std::string MeshYaml(int n) {
  std::ostringstream y;
  y << "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: client, namespace: bench}\n";
  y << "---\napiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\nmetadata: {name: all, "
       "namespace: bench}\n"
       "spec:\n  matches:\n  - {name: any, pathRegex: \".*\", methods: [\"*\"]}\n";
  for (int i = 0; i < n; ++i) {
    const std::string s = "s" + std::to_string(i);
    y << "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: " << s
      << ", namespace: bench}\n";
    y << "---\napiVersion: v1\nkind: Service\nmetadata: {name: " << s
      << ", namespace: bench}\nspec:\n  selector: {app: " << s
      << "}\n  ports: [{port: 80, targetPort: 8080}]\n";
    y << "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " << s
      << ", namespace: bench}\nspec:\n  replicas: 2\n  template:\n    metadata: {labels: {app: "
      << s << "}}\n    spec:\n      serviceAccountName: " << s
      << "\n      containers: [{name: a, ports: [{containerPort: 8080}]}]\n";
    y << "---\napiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: {name: " << s
      << ", namespace: bench}\nspec:\n  destination: {kind: ServiceAccount, name: " << s
      << ", namespace: bench}\n  rules: [{kind: HTTPRouteGroup, name: all}]\n  sources:\n"
         "  - {kind: ServiceAccount, name: client, namespace: bench}\n";
    for (int j = 0; j < n; ++j)
      y << "  - {kind: ServiceAccount, name: s" << j << ", namespace: bench}\n";
  }
  return y.str();
}

struct Bench {
  LoadResult mesh;
  std::unique_ptr<RouteGraph> graph;
  std::unique_ptr<Simulator> sim;
  Scenario scenario;
};

std::unique_ptr<Bench> Make(int services, const std::string& spec) {
  auto b = std::make_unique<Bench>();
  b->mesh = LoadTexts({{"mesh.yaml", MeshYaml(services)}});
  Diagnostics diags;
  b->scenario = ParseScenario(
      "apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nspec:\n  mesh: []\n" + spec, 0, ".",
      &diags);
  b->graph =
      std::make_unique<RouteGraph>(CompileGraph(b->mesh.model, GetProfile(ProfileId::kSpec)));
  b->sim = Simulator::Create(b->scenario, *b->graph, &diags);
  for (const auto& d : diags.items()) {
    if (d.severity == Severity::kError) {
      std::fprintf(stderr, "bench scenario: %s\n", d.message.c_str());
      std::abort();
    }
  }
  return b;
}

void RunEngine(benchmark::State& state, const Bench& b, double duration) {
  std::uint64_t events = 0;
  std::size_t peak = 0;
  for (auto _ : state) {
    ReplicationResult r = b.sim->RunReplication(1, duration);
    events += r.events;
    peak = std::max(peak, r.peak_in_flight);
    benchmark::DoNotOptimize(r);
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["peak_in_flight"] = static_cast<double>(peak);
}

void BM_EngineMM1(benchmark::State& state) {
  auto b = Make(1, R"(  sources: [{from: bench/client, to: bench/s0, rate: 80}]
  workloads: [{workload: bench/s0, replicas: 1, serviceTime: {distribution: exponential, mean: 10ms}}]
)");
  RunEngine(state, *b, 20000);
}
BENCHMARK(BM_EngineMM1)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_EngineMMc(benchmark::State& state) {
  auto b = Make(1, R"(  sources: [{from: bench/client, to: bench/s0, rate: 350}]
  workloads: [{workload: bench/s0, replicas: 1, concurrency: 4, serviceTime: {distribution: exponential, mean: 10ms}}]
)");
  RunEngine(state, *b, 5000);
}
BENCHMARK(BM_EngineMMc)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Mesh20(benchmark::State& state) {
  std::ostringstream spec;
  spec << "  network: {latency: {distribution: exponential, mean: 0.5ms}}\n"
          "  loadBalancing: least-request\n"
          "  defaults: {concurrency: 8, errorRate: 0.01, serviceTime: {distribution: lognormal, "
          "median: 2ms, p99: 20ms}}\n"
          "  sources: [{from: bench/client, to: bench/s0, rate: 400, mix: [{method: GET, path: "
          "/a}, {method: POST, "
          "path: /b}]}]\n  workloads:\n";
  // A binary call tree: s_i calls s_(2i+1) and s_(2i+2), each with probability 0.6.
  for (int i = 0; i < 20; ++i) {
    spec << "  - workload: bench/s" << i << "\n";
    std::string calls;
    for (int c : {2 * i + 1, 2 * i + 2}) {
      if (c < 20)
        calls += (calls.empty() ? "" : ", ") + std::string("{to: bench/s") + std::to_string(c) +
                 ", probability: 0.6}";
    }
    if (!calls.empty()) spec << "    calls: [" << calls << "]\n";
  }
  spec << "  routes:\n";
  for (int i = 0; i < 20; ++i) {
    spec << "  - {service: bench/s" << i
         << ", timeout: 2s, retries: {attempts: 2, perTryTimeout: 250ms}}\n";
  }
  auto b = Make(20, spec.str());
  RunEngine(state, *b, 600);
}
BENCHMARK(BM_Mesh20)->Unit(benchmark::kMillisecond)->UseRealTime();

// 1000 replications of a 13-tick canary (maxWeight 50, stepWeight 5: 10 checks, n + 3
// ticks) at 100 requests/s, on all cores. Target: under 60 s on 2 cores.
void BM_Canary1000(benchmark::State& state) {
  const std::string mesh = MeshYaml(1) + R"(---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: s0, namespace: bench}
spec:
  provider: osm
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: s0}
  service: {port: 80, targetPort: 8080}
  analysis:
    interval: 30s
    threshold: 5
    maxWeight: 50
    stepWeight: 5
    metrics:
    - {name: request-success-rate, thresholdRange: {min: 99}, interval: 1m}
    - {name: request-duration, thresholdRange: {max: 500}, interval: 30s}
)";
  const auto dir = std::filesystem::temp_directory_path() / "meshproof-canary-bench";
  std::filesystem::create_directories(dir / "mesh");
  std::ofstream(dir / "mesh" / "mesh.yaml") << mesh;
  LoadedScenario loaded = LoadScenarioText(R"(apiVersion: meshproof.dev/v1alpha1
kind: Scenario
spec:
  mesh: [mesh]
  sources: [{from: bench/client, to: bench/s0, rate: 100}]
  defaults: {concurrency: 16, serviceTime: {distribution: lognormal, median: 20ms, p99: 150ms}, errorRate: 0.001}
  canary: {loadTester: false}
)",
                                           "bench.yaml", dir.string());
  std::unique_ptr<PreparedCanary> p = PrepareCanary(&loaded);
  if (!p->ok()) {
    std::fprintf(stderr, "canary bench scenario does not compile\n");
    std::abort();
  }
  double promoted = 0, ticks = 0;
  for (auto _ : state) {
    SimulationOptions o;
    o.replications = 1000;
    o.jobs = 0;
    CanaryPrediction r = PredictCanary(*p, o);
    promoted = r.promoted.p;
    ticks = static_cast<double>(r.runs[r.typical].timeline.size());
  }
  std::filesystem::remove_all(dir);
  state.counters["P_promoted"] = promoted;
  state.counters["ticks"] = ticks;
}
BENCHMARK(BM_Canary1000)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace meshproof::sim

BENCHMARK_MAIN();
