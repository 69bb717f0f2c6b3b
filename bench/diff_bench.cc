// diff_bench: the semantic diff at scale.
//
// Why: `meshproof diff --git origin/main` runs on every pull request, where most changes
// touch one object of a large mesh. Targets (diff issue): a one-object change on a
// 10 000-service mesh under 1 s; a change touching 1000 route matches under 10 s; no
// unknown results. Loading both versions is measured by engine_bench, not here.
#include <string>

#include "mesh_gen.h"
#include <benchmark/benchmark.h>

#include "meshproof/engine/loader.h"
#include "meshproof/solver/diff.h"

namespace {

using namespace meshproof;

std::string Replace(std::string s, const std::string& from, const std::string& to, int times) {
  std::size_t pos = 0;
  for (int i = 0; i < times && (pos = s.find(from, pos)) != std::string::npos; ++i) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

void RunDiff(benchmark::State& state, const std::string& base_text, const std::string& next_text) {
  LoadResult base = LoadTexts({{"mesh.yaml", base_text}});
  LoadResult next = LoadTexts({{"mesh.yaml", next_text}});
  DiffResult d;
  DiffOptions o;
  o.findings = state.range(0) != 0;  // 0: access and split changes only; 1: plus findings
  for (auto _ : state) {
    d = Diff(base, next, o);
    benchmark::DoNotOptimize(d.verdict);
  }
  state.counters["changed_objects"] = static_cast<double>(d.changed_objects.size());
  state.counters["slices_examined"] = static_cast<double>(d.slices_examined);
  state.counters["slices_changed"] = static_cast<double>(d.slices.size());
  state.counters["unknown"] = d.unknown ? 1 : 0;
  state.SetLabel(DiffVerdictName(d.verdict));
}

// One TrafficTarget gains a match (a grant) in a 10 000-service mesh.
void BM_DiffOneObject10000(benchmark::State& state) {
  const std::string& base = bench::StandardMeshYaml(10000);
  // The first TrafficTarget's rule lists one match; list another one too.
  std::string next = base;
  std::size_t at = next.find("kind: TrafficTarget");
  std::size_t m = next.find("    matches:\n    - m", at);
  next.insert(next.find('\n', m + 14) + 1, "    - m3\n    - m2\n    - m1\n    - m0\n");
  RunDiff(state, base, next);
}

// 1000 route matches widened (`/api/v1/(orders|carts)/.*` -> `/api/.*(orders|carts)/.*`,
// `/health` -> `/health.*`) in a 10 000-service mesh: more-permissive.
void BM_DiffThousandMatches(benchmark::State& state) {
  const std::string& base = bench::StandardMeshYaml(10000);
  std::string next = Replace(base, "pathRegex: '/health'", "pathRegex: '/health.*'", 500);
  next = Replace(next, "pathRegex: '/api/v1/(orders|carts)/.*'",
                 "pathRegex: '/api/.*(orders|carts)/.*'", 500);
  RunDiff(state, base, next);
}

BENCHMARK(BM_DiffOneObject10000)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DiffThousandMatches)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
