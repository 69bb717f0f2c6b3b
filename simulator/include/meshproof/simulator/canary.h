// canary.h: predicting a Flagger canary rollout over the simulated mesh.
//
// PrepareCanary takes a scenario with `spec.canary` (docs/canary.md), finds the Canary and
// its MetricTemplates in the manifests, and adds the objects Flagger would create: the
// `<target>-primary` Deployment (the old revision), the `<service>`, `<service>-primary`
// and `<service>-canary` Services and the TrafficSplit `<service>` (backends
// `<service>-canary` / `<service>-primary`, weights summing to 100). The simulated Flagger
// (flagger.h) rewrites that split's weights tick by tick, and the split routes the user
// traffic through the same access policy as any other request: a canary that no
// TrafficTarget opens to its callers fails every request and fails the success-rate check.
//
// Metric checks read the canary's inbound (server-side) responses over the trailing
// metric interval, as Prometheus `rate(...[interval])` would, seeing only what the queried
// metric records (a policy denial: nothing under Linkerd and OSM, a 403 under Istio's
// observer; DenialVisibility in flagger.h): success rate as a percentage (5xx are
// failures, 403 too for templates that match it), latency quantiles with
// histogram_quantile's linear interpolation inside the mesh's latency buckets; no data
// is a failed check. The load tester is traffic sent straight to `<service>-canary` while
// the analysis runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "meshproof/simulator/flagger.h"
#include "meshproof/simulator/render.h"
#include "meshproof/simulator/simulation.h"

namespace meshproof::sim {

struct CanaryRun {
  enum class Outcome : std::uint8_t { kPromoted, kRolledBack, kProgressing };
  Outcome outcome = Outcome::kProgressing;
  double decision_time = 0;  // seconds after the change (the horizon when undecided)
  double user_requests = 0, failed_user_requests = 0;  // between the change and the decision
  double load_requests = 0, failed_load_requests = 0;
  /// When Flagger copied the canary's template to the primary (nullopt: never), and the
  /// user requests from then to the horizon, with those the access policy denied.
  std::optional<double> promotion_time;
  double after_promotion_requests = 0, after_promotion_denied = 0;
  std::vector<TickRecord> timeline;
};
const char* OutcomeName(CanaryRun::Outcome o);  // promoted | rolled-back | progressing

/// A share of replications with its 95% Wilson score interval.
struct Proportion {
  double p = 0, low = 0, high = 0;
};
/// Mean and order statistics (nearest rank) of a per-replication figure.
struct Spread {
  double mean = 0, min = 0, p10 = 0, p50 = 0, p90 = 0, p95 = 0, max = 0;
  std::size_t n = 0;
};

struct CanaryPrediction {
  CanarySpec spec;
  std::string profile;
  std::uint64_t seed = 0;
  int replications = 0;
  double horizon = 0;
  double load_test_rate = 0;  // 0: no load tester simulated
  Proportion promoted, rolled_back, progressing;
  Spread decision_time;  // decided runs only
  Spread failed_user_requests, failed_load_requests, user_requests;
  /// Over the promoted runs: user requests denied from the promotion tick to the horizon
  /// (the primary runs as the canary's identity). runs == 0: no run promoted.
  struct AfterPromotion {
    std::size_t runs = 0;
    double denied_share = 0;  // denied / all user requests after promotion, pooled
    Spread denied_user_requests;
  } after_promotion;
  std::size_t typical = 0;  // the replication shown as the typical run
  std::vector<CanaryRun> runs;
  /// Not ok when the prediction was refused or stopped by its budgets (simulation.h,
  /// SimulationOptions::max_memory): nothing else is meaningful then.
  Status status;
};

/// A canary scenario compiled and ready to run.
struct PreparedCanary {
  CanarySpec spec;
  Scenario scenario;  // with the primary/canary workloads and the load tester added
  std::unique_ptr<RouteGraph> graph;
  std::unique_ptr<Simulator> simulator;
  std::string profile;
  Diagnostics diagnostics;  // about the manifests (Canary, MetricTemplates): render with
                            // loaded->mesh.sources
  std::size_t split = 0;    // model index of the TrafficSplit
  std::size_t canary_backend = 0, primary_backend = 0;
  std::size_t canary_node = 0, primary_node = 0;
  std::optional<std::size_t> load_tester_source;
  double load_test_rate = 0;
  std::vector<double> buckets_ms;
  double horizon = 0;
  bool ok() const { return simulator != nullptr; }
};

/// Reloads loaded->mesh with Flagger's objects added and compiles. Scenario problems go to
/// loaded->diagnostics (MP6001/MP6002), Canary problems to the result's diagnostics
/// (MP7001-MP7003); ok() is false when any is an error.
std::unique_ptr<PreparedCanary> PrepareCanary(LoadedScenario* loaded,
                                              const std::string& profile_override = "");

/// Runs the replications (in parallel; the result does not depend on `jobs`).
/// options.duration overrides the horizon.
CanaryPrediction PredictCanary(const PreparedCanary& prepared, const SimulationOptions& options);

/// Prometheus histogram_quantile over bucket counts (`bounds` are the finite `le` bounds,
/// `counts` per bucket with the +Inf bucket last): linear interpolation inside the bucket
/// holding the rank; the +Inf bucket answers the highest finite bound; NaN when empty.
double HistogramQuantile(double q, const std::vector<double>& bounds,
                         const std::vector<std::uint64_t>& counts);

/// MP7004 when promoted runs saw user requests denied after the promotion: the primary
/// now runs as the canary's identity, which the TrafficTargets that open the old identity
/// to a caller do not open. Located at the Canary, naming those TrafficTargets, with a
/// witness request re-checked against the access policy (allowed to the old identity,
/// denied to the new). Nothing when no run promoted or nothing was denied.
void ReportPromotionDenial(const PreparedCanary& p, const CanaryPrediction& prediction,
                           Diagnostics* diags);

nlohmann::json CanaryToJson(const CanaryPrediction& p, const RenderContext& ctx);
std::string CanaryToText(const CanaryPrediction& p, const RenderContext& ctx);

}  // namespace meshproof::sim
