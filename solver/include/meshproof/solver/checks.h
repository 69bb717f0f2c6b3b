// checks.h: the verify checks that need no string reasoning (identity, port, split level).
//
// RunChecks reports MP1001-MP1011, MP2001-MP2007, MP3001-MP3003, MP3005-MP3012, MP4001
// (identity/port-level differences between profiles) and MP9001 (a solver call that
// returned unknown) about the mesh compiled in `graph`. Findings about requests carry a witness
// that was re-checked against the graph before it is reported.
#pragma once

#include <functional>
#include <optional>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"
#include "meshproof/solver/solver_budget.h"

namespace meshproof {

struct CheckOptions {
  /// MP3005: the total every TrafficSplit's weights must sum to (off when nullopt).
  std::optional<double> require_weight_sum;
  /// MP4001: compare the active profile with the others (compiles them).
  bool portability = true;
  /// Route-level checks with Z3: MP1008, MP2001-MP2004, MP9001.
  bool route_checks = true;
  /// Bound on each solver call; a timeout is MP9001 (inconclusive, never a pass).
  unsigned solver_timeout_ms = 2000;
  /// Bound on all solver calls together (solver_budget.h); null: RunChecks uses a budget
  /// of its own with the defaults. Past it, the remaining route-level checks are MP9001.
  SolverBudget* solver_budget = nullptr;
  /// MP1008: a grant of any path and any method to at least this many identities.
  int broad_grant_sources = 5;
  /// Limits the route-level checks to some objects (empty: all). `meshproof diff` sets
  /// them to the region a change can affect; outside it, both versions have the same
  /// route-level findings by construction.
  std::function<bool(const TrafficTarget&)> route_target_scope;
  std::function<bool(const HTTPRouteGroup&)> route_group_scope;
};

/// Appends the findings about `graph` to `out`. Never fails.
void RunChecks(const RouteGraph& graph, const CheckOptions& options, Diagnostics* out);

}  // namespace meshproof
