// aggregation.cc: running replications (one thread pool, results in replication order)
// and turning them into means with 95% intervals, so the result never depends on `jobs`.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <thread>

#include "replication_pool.h"
#include "sim_model.h"
#include <unistd.h>

#include "meshproof/simulator/histogram.h"
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
  // A quantile is known to its histogram bucket only: when every replication reports the
  // same bucket, the interval is that bucket's width, not a false zero-width certainty.
  auto quantile = [&](double MetricValues::*f) {
    Interval i = iv(f);
    if (v.empty() || v.front()->*f <= 0) return i;
    const std::size_t bucket = LatencyHistogram::IndexOf(v.front()->*f);
    for (const MetricValues* x : v) {
      if (LatencyHistogram::IndexOf(x->*f) != bucket) return i;
    }
    const auto [low, high] = LatencyHistogram::BucketRange(bucket);
    if (high > low && std::isfinite(high)) {
      i.half_width = std::max(i.half_width, (high - low) / 2);
    }
    return i;
  };
  return {iv(&MetricValues::success),   iv(&MetricValues::failure),  iv(&MetricValues::denied),
          iv(&MetricValues::rps),       iv(&MetricValues::mean),     quantile(&MetricValues::p50),
          quantile(&MetricValues::p90), quantile(&MetricValues::p99)};
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
    std::vector<const MetricValues*> server_values;
    for (const auto& run : out.runs) server_values.push_back(&run.nodes[n].server);
    const MetricIntervals server = Aggregate(server_values);
    out.node_metrics.push_back(
        {iv(&NodeValues::arrivals), iv(&NodeValues::blocked), iv(&NodeValues::completions),
         iv(&NodeValues::throughput), iv(&NodeValues::blocking), iv(&NodeValues::mean_in_system),
         iv(&NodeValues::mean_time_in_system), iv(&NodeValues::utilisation), server});
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
    if (src.arrival == ArrivalProcess::kMmpp) peak = std::max(src.mmpp_rates[0], src.mmpp_rates[1]);
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
  return RunBatch({BatchRun{this, options}}, options)[0];
}

namespace {

// A run of a batch, settled: its result's header filled in, its estimate checked.
SimulationResult Settle(const BatchRun& run, const Scenario& sc, std::size_t budget,
                        RunEstimate* est) {
  const SimulationOptions& o = run.options;
  SimulationResult out;
  out.seed = o.seed.value_or(sc.seed);
  out.replications = std::max(1, o.replications.value_or(sc.replications));
  out.duration = o.duration.value_or(sc.duration);
  out.warmup = std::min(sc.warmup, out.duration);
  out.window = sc.window;
  out.edges = run.simulator->edges();
  out.nodes = run.simulator->nodes();
  *est = run.simulator->EstimateRun(out.duration, out.replications);
  out.status = CheckEstimate(*est, budget, o.force);
  if (out.status.ok()) out.runs.resize(static_cast<std::size_t>(out.replications));
  return out;
}

// The first failure among a run's replications, as its status; the runs are then dropped.
void Conclude(const std::vector<std::string>& failures, bool cancelled, SimulationResult* out,
              std::size_t windows) {
  if (!out->status.ok()) return;
  if (cancelled) {
    out->status = Status::Cancelled("interrupted");
  }
  for (const std::string& f : failures) {
    if (f.empty() || !out->status.ok()) continue;
    out->status = Status::IoError(
        f +
        " (is the offered load above capacity, so requests pile up? Lower the load, add "
        "capacity, bound the queue (queueCapacity), or raise --max-memory)");
  }
  if (!out->status.ok()) {
    out->runs.clear();
    return;
  }
  try {
    Aggregate(windows, out);
  } catch (const std::bad_alloc&) {
    out->runs.clear();
    out->edge_metrics.clear();
    out->window_metrics.clear();
    out->node_metrics.clear();
    out->status = Status::IoError("out of memory while aggregating the replications");
  }
}

// A batch's progress: `f` of its simulated time, the runs whose replications (tasks) all
// finished, the events of every task so far.
Progress BatchProgress(double f, std::size_t runs,
                       const std::vector<std::pair<std::size_t, int>>& tasks,
                       const std::vector<ReplicationProgress>& progress,
                       const std::vector<std::atomic<bool>>& finished,
                       std::chrono::steady_clock::time_point start) {
  Progress p;
  p.fraction = f;
  p.runs_total = runs;
  std::vector<std::uint8_t> open(runs, 0);  // runs with a replication still going
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    p.events += progress[t].events.load(std::memory_order_relaxed);
    if (!finished[t].load(std::memory_order_relaxed)) open[tasks[t].first] = 1;
  }
  for (std::uint8_t o : open) p.runs_done += o == 0 ? 1 : 0;
  p.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return p;
}

}  // namespace

std::vector<SimulationResult> RunBatch(const std::vector<BatchRun>& runs,
                                       const SimulationOptions& batch) {
  const std::size_t budget = batch.max_memory > 0 ? batch.max_memory : DefaultMemoryBudget();
  std::vector<SimulationResult> out;
  std::vector<std::pair<std::size_t, int>> tasks;  // (run, replication)
  std::size_t kept = 0;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    RunEstimate est;
    out.push_back(Settle(runs[i], runs[i].simulator->impl_->scenario,
                         runs[i].options.max_memory > 0 ? runs[i].options.max_memory : budget,
                         &est));
    if (!out.back().status.ok()) continue;
    kept += est.bytes;
    for (int r = 0; r < out.back().replications; ++r) tasks.emplace_back(i, r);
  }
  // Each task running at once gets an equal share of what the kept results leave.
  const int jobs = batch.jobs > 0
                       ? batch.jobs
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int concurrent = std::max(1, std::min(static_cast<int>(tasks.size()), jobs));
  const std::size_t share =
      (budget > kept ? budget - kept : budget / 2) / static_cast<std::size_t>(concurrent);
  std::vector<std::string> failures(tasks.size());
  std::vector<ReplicationProgress> progress(tasks.size());
  std::vector<std::atomic<bool>> finished(tasks.size());
  for (auto& f : finished) f.store(false);
  auto fraction = [&] {
    double sum = 0;
    for (auto& p : progress) sum += p.fraction.load(std::memory_order_relaxed);
    return tasks.empty() ? 1.0 : sum / static_cast<double>(tasks.size());
  };
  const auto start = std::chrono::steady_clock::now();
  std::function<void(double)> report;
  if (batch.progress) {
    report = [&](double f) {
      batch.progress(BatchProgress(f, out.size(), tasks, progress, finished, start));
    };
  }
  auto cancelled = [&] { return batch.cancel != nullptr && batch.cancel->load(); };
  RunReplications(
      static_cast<int>(tasks.size()), jobs,
      [&](int t) {
        const auto ti = static_cast<std::size_t>(t);
        const auto [i, r] = tasks[ti];
        SimulationResult& res = out[i];
        if (cancelled()) {
          finished[ti].store(true);
          return;
        }
        try {
          ReplicationResult& rr = res.runs[static_cast<std::size_t>(r)];
          rr = runs[i].simulator->RunReplication(ReplicationSeed(res.seed, r), res.duration,
                                                 &progress[ti], nullptr, share, batch.cancel);
          if (!rr.aborted.empty())
            failures[ti] = "over the memory budget while simulating replication " +
                           std::to_string(r + 1) + ": it " + rr.aborted;
        } catch (const std::bad_alloc&) {  // never let it end a worker thread
          res.runs[static_cast<std::size_t>(r)] = ReplicationResult{};
          failures[ti] = "out of memory while simulating replication " + std::to_string(r + 1);
        }
        finished[ti].store(true);
      },
      report, fraction);
  const bool stop = cancelled();
  std::size_t t = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::vector<std::string> mine;
    while (t < tasks.size() && tasks[t].first == i) mine.push_back(failures[t++]);
    Conclude(mine, stop, &out[i], runs[i].simulator->window_count(out[i].duration));
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
  out.graph = std::make_unique<RouteGraph>(
      CompileGraph(loaded->mesh.model, GetProfile(*id, loaded->scenario.permissive)));
  out.simulator = Simulator::Create(loaded->scenario, *out.graph, &loaded->diagnostics);
  return out;
}

}  // namespace meshproof::sim
