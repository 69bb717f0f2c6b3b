// sweep.h: what-if capacity — a grid of scenario values (`--vary`), or a bisection for the
// smallest/largest value of a monotone parameter at which every SLO is met (`--find-min`,
// `--find-max`). The plan, the search and the document live here, for the CLI and Python
// alike; where the points run is pluggable (Request::evaluator): one local batch of --jobs
// workers by default, or a Dask cluster from Python. Either way a point's document comes
// from EvaluatePoints, so the results are identical for the same seed.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "meshproof/app/request.h"
#include "meshproof/engine/status.h"

namespace meshproof::app {

/// Runs `points` of the sweep `request` describes (its scenario, --set and shorthands) on
/// this machine as one batch, each with the same replications and seeds (common random
/// numbers). Each document: {values, slos, edges, nodes, status[, reason]}; a point that
/// cannot run within its budgets is `violated` with the reason, not an error. A point
/// whose values the scenario rejects is InvalidArgument naming the flag; an interrupted
/// run is kCancelled.
StatusOr<std::vector<nlohmann::json>> EvaluatePoints(const Request& request,
                                                     const std::vector<SweepPoint>& points);

/// Points as JSON for crossing to a Dask worker, and back.
nlohmann::json PointToJson(const SweepPoint& point);
StatusOr<SweepPoint> PointFromJson(const nlohmann::json& j);

}  // namespace meshproof::app
