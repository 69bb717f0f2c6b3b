// engine_bench: what loading costs compared with the floor, plain yaml-cpp parsing.
//
// Why: every meshproof command starts by loading manifests, in CI on every pull request.
// The loader adds a located tree, schema validation per SMI version and conversion into
// the typed model on top of parsing; the target (issue: foundation) is that load+convert
// costs at most 1.5x YAML::LoadAll on the same bytes, for 100 .. 10000 services.
#include <string>

#include "mesh_gen.h"
#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include "meshproof/engine/loader.h"

namespace {

// The floor: yaml-cpp's own document loader over the same bytes.
void BM_PlainYamlCppParse(benchmark::State& state) {
  const std::string& text = meshproof::bench::StandardMeshYaml(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    benchmark::DoNotOptimize(docs.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["services"] = static_cast<double>(state.range(0));
}

// meshproof's load: parse into the located tree, validate, convert, finalize.
void BM_LoadAndConvert(benchmark::State& state) {
  const std::string& text = meshproof::bench::StandardMeshYaml(static_cast<int>(state.range(0)));
  std::size_t objects = 0;
  for (auto _ : state) {
    meshproof::LoadResult r = meshproof::LoadTexts({{"mesh.yaml", text}});
    objects = r.model.ObjectCount();
    if (!r.diagnostics.empty()) state.SkipWithError("generated mesh has findings");
    benchmark::DoNotOptimize(objects);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["services"] = static_cast<double>(state.range(0));
  state.counters["objects"] = static_cast<double>(objects);
}

BENCHMARK(BM_PlainYamlCppParse)
    ->RangeMultiplier(10)
    ->Range(100, 10000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LoadAndConvert)->RangeMultiplier(10)->Range(100, 10000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
