// aggregation.cc: running replications (one thread pool, results in replication order)
// and turning them into means with 95% intervals, so the result never depends on `jobs`.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <thread>

#include "replication_pool.h"
#include "sim_model.h"
#include <unistd.h>

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

std::size_t DefaultMemoryBudget() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return std::size_t{4} << 30;
  return static_cast<std::size_t>(pages) * static_cast<std::size_t>(page) / 2;
}

RunEstimate Simulator::EstimateRun(double duration, int replications) const {
  // What a window costs: its values in every replication, its aggregate, and its items in
  // the JSON document (TrafficMetrics per window) with their serialised text.
  constexpr double kDocumentBytesPerWindow = 3072;
  RunEstimate est;
  est.windows = window_count(duration);
  const double edge_windows =
      static_cast<double>(impl_->edges.size()) * static_cast<double>(est.windows);
  const double bytes =
      edge_windows * (replications * static_cast<double>(sizeof(MetricValues)) +
                      static_cast<double>(sizeof(MetricIntervals)) + kDocumentBytesPerWindow);
  // Events: about four per request (arrival, at the server, service done, response), for
  // each source request and each downstream call it causes.
  double fan_out = 1;
  for (const auto& n : impl_->node_models) {
    for (const auto& c : n.calls) fan_out += c.probability * c.count;
    for (const auto& c : n.next) fan_out += c.probability;
  }
  double rate = 0;
  for (const TrafficSource& src : impl_->scenario.sources) {
    double peak = 0;
    for (const RatePoint& p : src.schedule) peak = std::max(peak, p.rate);
    rate += peak;
  }
  est.events = 4 * rate * fan_out * duration * replications;
  est.bytes = bytes >= 1.8e19 ? SIZE_MAX : static_cast<std::size_t>(bytes);
  return est;
}

namespace {

std::string Mib(double bytes) {
  std::ostringstream o;
  if (bytes >= 1099511627776.0) {
    o << std::fixed << std::setprecision(1) << bytes / 1099511627776.0 << " TiB";
  } else {
    o << std::fixed << std::setprecision(0) << bytes / 1048576.0 << " MiB";
  }
  return o.str();
}

// Refuses a run its estimate says cannot fit, before any work (unless forced).
Status CheckEstimate(const RunEstimate& est, std::size_t budget, bool force) {
  if (force) return Status::Ok();
  if (est.bytes > budget) {
    return Status::InvalidArgument(
        "the run needs about " + Mib(static_cast<double>(est.bytes)) + " (" +
        std::to_string(est.windows) + " metric windows per edge), over the memory budget of " +
        Mib(static_cast<double>(budget)) +
        ": use a longer window or a shorter duration, raise --max-memory, or --force");
  }
  if (est.events > kMaxEstimatedEvents) {
    std::ostringstream o;
    o.precision(3);
    o << "the run would process about " << est.events << " events (more than "
      << kMaxEstimatedEvents
      << ", hours of work): shorten the duration or lower the replications, or --force";
    return Status::InvalidArgument(o.str());
  }
  return Status::Ok();
}

}  // namespace

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
  const std::size_t budget = options.max_memory > 0 ? options.max_memory : DefaultMemoryBudget();
  const RunEstimate est = EstimateRun(out.duration, out.replications);
  out.status = CheckEstimate(est, budget, options.force);
  if (!out.status.ok()) return out;
  // Each replication running at once gets an equal share of what the kept results leave.
  const int concurrent = std::max(
      1, std::min(out.replications, options.jobs > 0
                                        ? options.jobs
                                        : static_cast<int>(std::thread::hardware_concurrency())));
  const std::size_t share =
      (budget > est.bytes ? budget - est.bytes : budget / 2) / static_cast<std::size_t>(concurrent);
  out.runs.resize(static_cast<std::size_t>(out.replications));
  std::vector<std::string> failures(static_cast<std::size_t>(out.replications));

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
        const auto i = static_cast<std::size_t>(r);
        try {
          out.runs[i] = RunReplication(ReplicationSeed(out.seed, r), out.duration, &progress[i],
                                       nullptr, share);
          if (!out.runs[i].aborted.empty())
            failures[i] = "over the memory budget while simulating replication " +
                          std::to_string(r + 1) + ": it " + out.runs[i].aborted;
        } catch (const std::bad_alloc&) {  // never let it end a worker thread
          out.runs[i] = ReplicationResult{};
          failures[i] = "out of memory while simulating replication " + std::to_string(r + 1);
        }
      },
      options.progress, fraction);
  for (const std::string& f : failures) {
    if (f.empty()) continue;
    out.status = Status::IoError(
        f +
        " (is the offered load above capacity, so requests pile up? Lower the load, add "
        "capacity, bound the queue (queueCapacity), or raise --max-memory)");
    out.runs.clear();
    return out;
  }
  try {
    Aggregate(window_count(out.duration), &out);
  } catch (const std::bad_alloc&) {
    out = SimulationResult{};
    out.status = Status::IoError("out of memory while aggregating the replications");
  }
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
