// verify_bench: what the checks cost compared with loading.
//
// Why: `meshproof verify` runs on every pull request. After loading, it compiles the route
// graph (Service -> endpoints -> identities, grants, splits) and runs every identity/port
// check, including MP4001, which compiles the mesh under the other profiles too. The
// target (graph issue) is that compile + checks cost no more than load alone at 10 000
// services with about 2 TrafficTargets per service, in under 1 GiB.
#include "mesh_gen.h"
#include <benchmark/benchmark.h>

#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/solver/checks.h"

namespace {

void BM_Load(benchmark::State& state) {
  const std::string& text = meshproof::bench::StandardMeshYaml(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    meshproof::LoadResult r = meshproof::LoadTexts({{"mesh.yaml", text}});
    benchmark::DoNotOptimize(r.model.ObjectCount());
  }
  state.counters["services"] = static_cast<double>(state.range(0));
}

// Compile + every check, on a model loaded once outside the timed loop.
void BM_CompileAndCheck(benchmark::State& state) {
  const meshproof::LoadResult loaded = meshproof::LoadTexts(
      {{"mesh.yaml", meshproof::bench::StandardMeshYaml(static_cast<int>(state.range(0)))}});
  std::size_t findings = 0;
  for (auto _ : state) {
    meshproof::RouteGraph g =
        meshproof::CompileGraph(loaded.model, meshproof::GetProfile(meshproof::ProfileId::kSpec));
    meshproof::Diagnostics d;
    meshproof::RunChecks(g, {}, &d);
    findings = d.size();
    benchmark::DoNotOptimize(findings);
  }
  state.counters["services"] = static_cast<double>(state.range(0));
  state.counters["findings"] = static_cast<double>(findings);
  state.counters["traffic_targets"] = static_cast<double>(loaded.model.traffic_targets.size());
}

BENCHMARK(BM_Load)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CompileAndCheck)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
