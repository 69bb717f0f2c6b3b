// solver_bench: route-level reasoning at mesh scale.
//
// Why: `meshproof query` answers interactively (notebooks, CI scripts) and verify runs the
// Z3-backed route checks on every pull request. Targets (route-level issue): single-query
// p99 under 50 ms on a 1000-service mesh with 5000 route matches; the redundancy scan of
// one route group with 200 regex matches under 5 s; no MP9001 (solver unknown) on
// generated meshes.
#include <algorithm>
#include <chrono>
#include <random>

#include "mesh_gen.h"
#include <benchmark/benchmark.h>

#include "meshproof/engine/graph.h"
#include "meshproof/engine/loader.h"
#include "meshproof/solver/checks.h"
#include "meshproof/solver/query.h"
#include "meshproof/solver/reach.h"

namespace {

using namespace meshproof;

const LoadResult& Mesh1000() {
  static const LoadResult loaded = [] {
    bench::MeshGenOptions o;
    o.services = 1000;
    o.namespaces = 20;
    o.matches_per_group = 5;  // 5000 route matches
    return LoadTexts({{"mesh.yaml", bench::GenerateMeshYaml(o)}});
  }();
  return loaded;
}

// Latency of single queries with open paths (Z3 witnesses where a match restricts them).
void BM_QueryLatency(benchmark::State& state) {
  const LoadResult& loaded = Mesh1000();
  RouteGraph g = CompileGraph(loaded.model, GetProfile(ProfileId::kSpec));
  std::mt19937_64 rng(1);
  const char* methods[] = {"GET", "POST", "PUT", "DELETE"};
  std::vector<double> ms;
  for (auto _ : state) {
    ServiceId sid = static_cast<ServiceId>(rng() % g.services().size());
    std::vector<IdentityId> sources = CandidateSources(g, sid);
    QueryRequest q;
    q.from = sources.empty() ? "ns-0/svc-0" : g.identities()[sources[rng() % sources.size()]].key();
    q.to = g.services()[sid].key();
    if (rng() % 2) q.method = methods[rng() % 4];
    auto t0 = std::chrono::steady_clock::now();
    QueryAnswer a = Query(g, q);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    benchmark::DoNotOptimize(a.verdict);
  }
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  state.counters["route_matches"] = 5000;
}

// One route group with 200 realistic regex matches granted to one source: MP2003 scan.
void BM_RedundancyScan200(benchmark::State& state) {
  std::string y =
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n---\n"
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  "
      "template:\n"
      "    metadata: {labels: {app: api}}\n    spec: {serviceAccountName: api}\n---\n"
      "apiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\nmetadata: {name: big, "
      "namespace: shop}\n"
      "spec:\n  matches:\n";
  const char* shapes[] = {"/api/v%d/items/[0-9]+", "/api/v%d/(orders|carts)/.*", "/svc%d/health",
                          "/api/v%d/users/[a-z0-9-]{8,36}", "/static%d/.*\\.(js|css)"};
  for (int i = 0; i < 200; ++i) {
    char buf[128];
    std::snprintf(buf, sizeof buf, shapes[i % 5], i / 5);
    y += "  - name: m" + std::to_string(i) + "\n    pathRegex: '" + buf + "'\n    methods: [GET]\n";
  }
  y += "  - name: wide\n    pathRegex: '/api/v1/.*'\n    methods: [GET]\n";  // covers the v1 ones
  y += "---\napiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\nmetadata: {name: t, "
       "namespace: shop}\n"
       "spec:\n  destination: {kind: ServiceAccount, name: api, namespace: shop}\n"
       "  rules: [{kind: HTTPRouteGroup, name: big}]\n  sources: [{kind: ServiceAccount, name: "
       "api, namespace: shop}]\n";
  LoadResult loaded = LoadTexts({{"big.yaml", y}});
  RouteGraph g = CompileGraph(loaded.model, GetProfile(ProfileId::kSpec));
  CheckOptions o;
  o.portability = false;
  std::size_t redundant = 0, unknown = 0;
  for (auto _ : state) {
    Diagnostics d;
    RunChecks(g, o, &d);
    redundant = d.Count(DiagCode::MP2003);
    unknown = d.Count(DiagCode::MP9001);
  }
  state.counters["MP2003"] = static_cast<double>(redundant);
  state.counters["MP9001"] = static_cast<double>(unknown);
}

// Every check, route-level included, on the 1000-service mesh with 5000 matches.
void BM_VerifyRouteLevel1000(benchmark::State& state) {
  const LoadResult& loaded = Mesh1000();
  RouteGraph g = CompileGraph(loaded.model, GetProfile(ProfileId::kSpec));
  std::size_t unknown = 0, findings = 0;
  for (auto _ : state) {
    Diagnostics d;
    RunChecks(g, {}, &d);
    unknown = d.Count(DiagCode::MP9001);
    findings = d.size();
  }
  state.counters["MP9001"] = static_cast<double>(unknown);
  state.counters["findings"] = static_cast<double>(findings);
}

BENCHMARK(BM_QueryLatency)->Iterations(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RedundancyScan200)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_VerifyRouteLevel1000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
