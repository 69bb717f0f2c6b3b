// render.h: simulation results as SMI TrafficMetrics JSON and as a compact text table.
//
// JSON (docs/reference/product-spec.md, simulate): an envelope with meshproof_version, profile,
// inputs and seed, then `metrics` (a metrics.smi-spec.io/v1alpha1 TrafficMetricsList for the whole
// run after warm-up), `windows` (the same per metric window) and `nodes` (per workload
// queueing figures). Values are Kubernetes quantity strings as the SMI SDK writes them
// (latencies in ms, "296875m" = 296.875 ms; counts may be fractional means). With several
// replications every value is the mean across replications and carries `ci95`
// {low, high}: meshproof's extension, like `denied_count`, `mean_response_latency` and
// `requests_per_second`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "meshproof/simulator/simulation.h"
#include "meshproof/simulator/slo.h"

namespace meshproof::sim {

struct RenderContext {
  std::string scenario_name;
  std::string scenario_file;
  std::vector<std::string> inputs;  // the manifests
  std::string profile;
  bool permissive = false;  // the scenario ran in permissive traffic policy mode
};

/// A Kubernetes quantity string for v, truncated to milli-units as the SMI SDK does
/// (NewMilliQuantity(int64(v*1000))): 2994 -> "2994", 48.25 -> "48250m".
std::string MilliQuantity(double v);

/// The context of a loaded scenario run under `profile`.
RenderContext ContextFor(const LoadedScenario& loaded, const std::string& file,
                         const std::string& profile);
/// What every simulation output starts with: meshproof_version, profile, scenario, inputs,
/// seed and replications, so a result can be reproduced.
nlohmann::json RunEnvelope(const RenderContext& ctx, std::uint64_t seed, int replications);

nlohmann::json SimulationToJson(const SimulationResult& result, const RenderContext& ctx);

/// SLO verdicts as JSON: [{name, verdict, value, ci95: [low, high] | null, bound, metric,
/// edge, direction, note?}] with latencies in seconds and rates as fractions.
nlohmann::json SlosToJson(const std::vector<SloResult>& slos);
/// The same as a text section ("SLOs" and one line each); empty when there are none.
std::string SlosToText(const std::vector<SloResult>& slos);
std::string SimulationToText(const SimulationResult& result, const RenderContext& ctx);

}  // namespace meshproof::sim
