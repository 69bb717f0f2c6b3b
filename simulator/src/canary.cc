// canary.cc: a canary prediction: replications of the controlled simulation, and what
// they say together (outcome probabilities with Wilson intervals, time to decision, failed
// requests, the typical run).
#include "meshproof/simulator/canary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
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
      Progress now;
      now.fraction = f;
      now.runs_total = 1;
      now.runs_done = f >= 1 ? 1 : 0;
      for (const auto& r : progress) now.events += r.events.load(std::memory_order_relaxed);
      now.elapsed_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      options.progress(now);
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

namespace {

// The pod port and protocol requests to `service` port `port` land on at an endpoint that
// runs as `identity`; nullopt when the Service or port does not resolve.
std::optional<std::pair<int, PortProtocol>> PodPort(const RouteGraph& g, ServiceId service,
                                                    int port, IdentityId identity) {
  if (service == kNoId) return std::nullopt;
  const ServiceNode& svc = g.services()[service];
  for (const ServicePortInfo& info : svc.ports) {
    if (info.port != port) continue;
    for (std::size_t e = 0; e < svc.endpoints.size(); ++e) {
      if (svc.endpoints[e].identity == identity && info.target_ports[e] > 0) {
        return std::make_pair(info.target_ports[e], info.protocol);
      }
    }
  }
  return std::nullopt;
}

}  // namespace

void ReportPromotionDenial(const PreparedCanary& p, const CanaryPrediction& prediction,
                           Diagnostics* diags) {
  if (p.graph == nullptr || prediction.after_promotion.runs == 0 ||
      prediction.after_promotion.denied_share <= 0) {
    return;
  }
  const RouteGraph& g = *p.graph;
  const MeshModel& model = g.model();
  const Workload& primary = model.workloads[p.primary_node];
  const Workload& canary = model.workloads[p.canary_node];
  const IdentityId old_id = g.FindIdentity(primary.meta.namespace_, primary.service_account);
  const IdentityId new_id = g.FindIdentity(canary.meta.namespace_, canary.service_account);
  const std::string ns = p.spec.namespace_;
  const ServiceId primary_svc = g.FindService(ns, p.spec.service + "-primary");
  // A witness: a user source of the apex Service that the old identity admits and the new
  // one does not, checked concretely against the compiled policy.
  for (const TrafficSource& src : p.scenario.sources) {
    if (src.to != ns + "/" + p.spec.service) continue;
    const auto slash = src.from.find('/');
    const IdentityId from = g.FindIdentity(src.from.substr(0, slash), src.from.substr(slash + 1));
    const auto pod = PodPort(g, primary_svc, src.port.value_or(p.spec.port), old_id);
    if (from == kNoId || old_id == kNoId || !pod) continue;
    const PortAccess before = g.Access(from, old_id, pod->first, pod->second);
    const PortAccess after =
        new_id == kNoId ? PortAccess{} : g.Access(from, new_id, pod->first, pod->second);
    if (before.level == PortAccess::Level::kNone || after.level != PortAccess::Level::kNone) {
      continue;
    }
    std::string opened_by;
    for (std::size_t t : before.targets) {
      const auto& tt = model.traffic_targets[t].meta;
      opened_by += (opened_by.empty() ? "" : ", ") + tt.namespace_ + "/" + tt.name;
    }
    char share[64];
    std::snprintf(share, sizeof share, "%.1f%%", prediction.after_promotion.denied_share * 100);
    Diagnostic& d = diags->Report(
        DiagCode::MP7004, p.spec.loc,
        "Flagger will promote a canary that the access policy denies: its metrics provider (" +
            p.spec.metrics_provider + ") does not count the denials as failures, and after " +
            "promotion " + p.spec.target + "-primary runs as " + canary.meta.namespace_ + "/" +
            canary.service_account + ", which no TrafficTarget opens to " + src.from +
            " (TrafficTarget " + opened_by + " opens only " + primary.meta.namespace_ + "/" +
            primary.service_account + "); " + share + " of user requests denied after promotion",
        ObjectRef{"Canary", ns, p.spec.name});
    const RequestShape& shape = src.mix.front();
    d.witness = Witness{src.from,
                        ns + "/" + p.spec.service,
                        src.port.value_or(p.spec.port),
                        shape.method,
                        shape.path,
                        shape.headers};
    std::sort(d.witness->headers.begin(), d.witness->headers.end());
    for (std::size_t t : before.targets) {
      const auto& tt = model.traffic_targets[t].meta;
      d.related.push_back(ObjectRef{"TrafficTarget", tt.namespace_, tt.name});
    }
    return;
  }
}

}  // namespace meshproof::sim
