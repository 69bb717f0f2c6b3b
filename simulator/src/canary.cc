// canary.cc: a canary prediction: replications of the controlled simulation, and what
// they say together (outcome probabilities with Wilson intervals, time to decision, failed
// requests, the typical run).
#include "meshproof/simulator/canary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "canary_controller.h"
#include "replication_pool.h"

namespace meshproof::sim {
namespace {

Proportion Wilson(double k, double n) {
  Proportion p;
  if (n <= 0) return p;
  const double z = 1.959963984540054;
  p.p = k / n;
  const double denom = 1 + z * z / n;
  const double centre = (p.p + z * z / (2 * n)) / denom;
  const double half = z * std::sqrt(p.p * (1 - p.p) / n + z * z / (4 * n * n)) / denom;
  // The bounds are exact at the ends (0 of n has low 0, n of n high 1; the formula leaves
  // rounding residue such as 3.5e-18) and always contain the estimate.
  p.low = k <= 0 ? 0.0 : std::clamp(centre - half, 0.0, p.p);
  p.high = k >= n ? 1.0 : std::clamp(centre + half, p.p, 1.0);
  return p;
}

Spread SpreadOf(std::vector<double> xs) {
  Spread s;
  s.n = xs.size();
  if (xs.empty()) return s;
  std::sort(xs.begin(), xs.end());
  double sum = 0;
  for (double x : xs) sum += x;
  s.mean = sum / static_cast<double>(xs.size());
  auto rank = [&](double q) {
    const auto i =
        static_cast<std::size_t>(std::max(1.0, std::ceil(q * static_cast<double>(xs.size())))) - 1;
    return xs[std::min(i, xs.size() - 1)];
  };
  s.min = xs.front();
  s.max = xs.back();
  s.p10 = rank(0.10);
  s.p50 = rank(0.50);
  s.p90 = rank(0.90);
  s.p95 = rank(0.95);
  return s;
}

}  // namespace

const char* OutcomeName(CanaryRun::Outcome o) {
  switch (o) {
    case CanaryRun::Outcome::kPromoted:
      return "promoted";
    case CanaryRun::Outcome::kRolledBack:
      return "rolled-back";
    case CanaryRun::Outcome::kProgressing:
      return "progressing";
  }
  return "?";
}

// The replications of a prediction, inside the same budgets as a simulation: refused up
// front when the estimate does not fit, stopped when a run holds more than its share, and
// an allocation failure in a worker is a status, never an abort.
static Status RunCanaryReplications(const PreparedCanary& p, const SimulationOptions& options,
                                    CanaryPrediction* out) {
  const std::size_t budget = options.max_memory > 0 ? options.max_memory : DefaultMemoryBudget();
  const RunEstimate est = p.simulator->EstimateRun(out->horizon, out->replications);
  // No up-front memory refusal: a rollout usually decides long before its horizon and the
  // run stops there; the accounting inside each replication bounds what it holds.
  if (!options.force && est.events > kMaxEstimatedEvents) {
    return Status::InvalidArgument(
        "the prediction would process more than 2e10 events over its horizon "
        "(hours of work): shorten the horizon or lower the replications, or --force");
  }
  const int jobs =
      options.jobs > 0 ? options.jobs : static_cast<int>(std::thread::hardware_concurrency());
  const std::size_t share =
      budget / static_cast<std::size_t>(std::max(1, std::min(jobs, out->replications)));
  out->runs.resize(static_cast<std::size_t>(out->replications));
  std::vector<std::string> failures(out->runs.size());
  std::vector<ReplicationProgress> progress(out->runs.size());
  const auto start = std::chrono::steady_clock::now();
  std::function<void(double)> report;
  if (options.progress) {
    report = [&](double f) {  // one run: done when the pool says so (f == 1)
      Progress p;
      p.fraction = f;
      p.runs_total = 1;
      p.runs_done = f >= 1 ? 1 : 0;
      for (const auto& r : progress) p.events += r.events.load(std::memory_order_relaxed);
      p.elapsed_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      options.progress(p);
    };
  }
  RunReplications(
      out->replications, options.jobs,
      [&](int r) {
        const auto i = static_cast<std::size_t>(r);
        try {
          const std::uint64_t seed = ReplicationSeed(out->seed, r);
          CanaryController controller(p, seed);
          ReplicationResult rr =
              p.simulator->RunReplication(seed, out->horizon, &progress[i], &controller, share);
          if (!rr.aborted.empty()) {
            failures[i] = "over the memory budget while predicting replication " +
                          std::to_string(r + 1) + ": it " + rr.aborted;
            return;
          }
          out->runs[i] = controller.Finish(out->horizon);
        } catch (const std::bad_alloc&) {
          failures[i] = "out of memory while predicting replication " + std::to_string(r + 1);
        }
      },
      report,
      [&] {
        double sum = 0;
        for (const auto& r : progress) sum += r.fraction.load(std::memory_order_relaxed);
        return sum / static_cast<double>(progress.size());
      });
  for (const std::string& f : failures) {
    if (!f.empty()) return Status::IoError(f + " (raise --max-memory, or lower the load)");
  }
  return Status::Ok();
}

CanaryPrediction PredictCanary(const PreparedCanary& p, const SimulationOptions& options) {
  CanaryPrediction out;
  out.spec = p.spec;
  out.profile = p.profile;
  out.seed = options.seed.value_or(p.scenario.seed);
  out.replications = std::max(1, options.replications.value_or(p.scenario.replications));
  out.horizon = options.duration.value_or(p.horizon);
  out.load_test_rate = p.load_test_rate;
  out.status = RunCanaryReplications(p, options, &out);
  if (!out.status.ok()) {
    out.runs.clear();
    return out;
  }

  double promoted = 0, rolled = 0, progressing = 0;
  std::vector<double> decision, failed_user, failed_load, users;
  for (const CanaryRun& r : out.runs) {
    if (r.outcome == CanaryRun::Outcome::kPromoted) ++promoted;
    if (r.outcome == CanaryRun::Outcome::kRolledBack) ++rolled;
    if (r.outcome == CanaryRun::Outcome::kProgressing) ++progressing;
    if (r.outcome != CanaryRun::Outcome::kProgressing) decision.push_back(r.decision_time);
    failed_user.push_back(r.failed_user_requests);
    failed_load.push_back(r.failed_load_requests);
    users.push_back(r.user_requests);
  }
  const double n = out.replications;
  out.promoted = Wilson(promoted, n);
  out.rolled_back = Wilson(rolled, n);
  out.progressing = Wilson(progressing, n);
  out.decision_time = SpreadOf(decision);
  out.failed_user_requests = SpreadOf(failed_user);
  out.failed_load_requests = SpreadOf(failed_load);
  out.user_requests = SpreadOf(users);
  std::vector<double> denied_after;
  double after_total = 0, after_denied = 0;
  for (const CanaryRun& r : out.runs) {
    if (r.outcome != CanaryRun::Outcome::kPromoted) continue;
    denied_after.push_back(r.after_promotion_denied);
    after_total += r.after_promotion_requests;
    after_denied += r.after_promotion_denied;
  }
  out.after_promotion.runs = denied_after.size();
  out.after_promotion.denied_share = after_total > 0 ? after_denied / after_total : 0;
  out.after_promotion.denied_user_requests = SpreadOf(denied_after);
  // The typical run: the most likely outcome, decided closest to that outcome's median.
  CanaryRun::Outcome mode = CanaryRun::Outcome::kPromoted;
  if (rolled > promoted && rolled >= progressing) mode = CanaryRun::Outcome::kRolledBack;
  if (progressing > promoted && progressing > rolled) mode = CanaryRun::Outcome::kProgressing;
  std::vector<double> times;
  for (const CanaryRun& r : out.runs) {
    if (r.outcome == mode) times.push_back(r.decision_time);
  }
  const double median = SpreadOf(times).p50;
  double best = 1e300;
  for (std::size_t i = 0; i < out.runs.size(); ++i) {
    if (out.runs[i].outcome != mode) continue;
    const double d = std::fabs(out.runs[i].decision_time - median);
    if (d < best) {
      best = d;
      out.typical = i;
    }
  }
  return out;
}

}  // namespace meshproof::sim
