// aggregation.cc: running replications (one thread pool, results in replication order)
// and turning them into means with 95% intervals, so the result never depends on `jobs`.
#include <algorithm>
#include <atomic>
#include <cmath>

#include "replication_pool.h"
#include "sim_model.h"

#include "meshproof/simulator/random.h"
#include "meshproof/simulator/stats.h"

namespace meshproof::sim {
namespace {

MetricIntervals Aggregate(const std::vector<const MetricValues*>& v) {
  auto iv = [&](double MetricValues::*f) {
    std::vector<double> xs;
    xs.reserve(v.size());
    for (const MetricValues* x : v) xs.push_back(x->*f);
    return ConfidenceInterval(xs, 0.95);
  };
  return {iv(&MetricValues::success), iv(&MetricValues::failure), iv(&MetricValues::denied),
          iv(&MetricValues::rps),     iv(&MetricValues::mean),    iv(&MetricValues::p50),
          iv(&MetricValues::p90),     iv(&MetricValues::p99)};
}

// Every edge (whole run and per window) and node across the runs, in replication order.
void Aggregate(std::size_t windows, SimulationResult* result) {
  SimulationResult& out = *result;
  const std::size_t edges = out.edges.size();
  for (std::size_t e = 0; e < edges; ++e) {
    std::vector<const MetricValues*> values;
    for (const auto& run : out.runs) values.push_back(&run.edges[e]);
    out.edge_metrics.push_back(Aggregate(values));
    std::vector<MetricIntervals> per_window;
    for (std::size_t w = 0; w < windows; ++w) {
      std::vector<const MetricValues*> wv;
      for (const auto& run : out.runs) wv.push_back(&run.windows[e][w]);
      per_window.push_back(Aggregate(wv));
    }
    out.window_metrics.push_back(std::move(per_window));
  }
  for (std::size_t n = 0; n < out.nodes.size(); ++n) {
    auto iv = [&](double NodeValues::*f) {
      std::vector<double> xs;
      for (const auto& run : out.runs) xs.push_back(run.nodes[n].*f);
      return ConfidenceInterval(xs, 0.95);
    };
    out.node_metrics.push_back(
        {iv(&NodeValues::arrivals), iv(&NodeValues::blocked), iv(&NodeValues::completions),
         iv(&NodeValues::throughput), iv(&NodeValues::blocking), iv(&NodeValues::mean_in_system),
         iv(&NodeValues::mean_time_in_system), iv(&NodeValues::utilisation)});
  }
  for (const auto& run : out.runs) out.events += run.events;
}

}  // namespace

std::uint64_t ReplicationSeed(std::uint64_t seed, int r) {
  return SplitMix64(seed ^ SplitMix64(static_cast<std::uint64_t>(r) + 0x6d657368ULL));
}

SimulationResult Simulator::Run(const SimulationOptions& options) const {
  const Scenario& sc = impl_->scenario;
  SimulationResult out;
  out.seed = options.seed.value_or(sc.seed);
  out.replications = std::max(1, options.replications.value_or(sc.replications));
  out.duration = options.duration.value_or(sc.duration);
  out.warmup = std::min(sc.warmup, out.duration);
  out.window = sc.window;
  out.edges = impl_->edges;
  out.nodes = impl_->nodes;
  out.runs.resize(static_cast<std::size_t>(out.replications));

  std::vector<std::atomic<double>> progress(static_cast<std::size_t>(out.replications));
  for (auto& p : progress) p.store(0);
  auto fraction = [&] {
    double sum = 0;
    for (auto& p : progress) sum += p.load(std::memory_order_relaxed);
    return sum / out.replications;
  };
  RunReplications(
      out.replications, options.jobs,
      [&](int r) {
        out.runs[static_cast<std::size_t>(r)] = RunReplication(
            ReplicationSeed(out.seed, r), out.duration, &progress[static_cast<std::size_t>(r)]);
      },
      options.progress, fraction);
  Aggregate(window_count(out.duration), &out);
  return out;
}

PreparedScenario PrepareScenario(LoadedScenario* loaded, const std::string& profile_override) {
  PreparedScenario out;
  out.profile = profile_override.empty() ? loaded->scenario.profile : profile_override;
  if (loaded->HasErrors()) return out;
  const auto id = ParseProfileName(out.profile);
  if (!id) {
    loaded->diagnostics.Report(DiagCode::MP6001, Loc{0, 0, 0, "spec.profile"},
                               "unknown profile '" + out.profile + "'");
    return out;
  }
  out.graph = std::make_unique<RouteGraph>(CompileGraph(loaded->mesh.model, GetProfile(*id)));
  out.simulator = Simulator::Create(loaded->scenario, *out.graph, &loaded->diagnostics);
  return out;
}

}  // namespace meshproof::sim
