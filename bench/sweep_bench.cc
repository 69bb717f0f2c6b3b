// sweep_bench: a 64-point x 10-replication what-if sweep of the bookstore scenario
// (`meshproof sweep --vary` over the readers' rate and bookstore-v1's replicas), as one
// batch of --jobs workers. The bar: jobs 2 at least 1.8x faster than jobs 1 on two
// cores (points x replications share one pool, so both cores stay busy to the end).
#include <string>

#include <benchmark/benchmark.h>

#include "meshproof/app/commands.h"
#include "meshproof/app/run.h"

namespace {

void BM_Sweep64x10(benchmark::State& state) {
  const std::string jobs = std::to_string(state.range(0));
  auto req = meshproof::app::ParseCommandLine(
      {"sweep", std::string(MESHPROOF_SOURCE_DIR) + "/scenarios/bookstore/scenario.yaml", "-o",
       "json", "--replications", "10", "--jobs", jobs, "--vary",
       "sources[readers].rate=100,120,140,160,180,200,220,240", "--vary",
       "workloads[bookstore/bookstore-v1].replicas=1,2,3,4,5,6,7,8"});
  if (!req.ok()) {
    state.SkipWithError(req.status().message().c_str());
    return;
  }
  for (auto _ : state) {
    const meshproof::app::Outcome o = meshproof::app::Run(*req);
    if (o.exit_code == 2) state.SkipWithError("the sweep could not run");
    benchmark::DoNotOptimize(o.output.size());
  }
  state.counters["points"] = 64;
}
BENCHMARK(BM_Sweep64x10)->Arg(1)->Arg(2)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
