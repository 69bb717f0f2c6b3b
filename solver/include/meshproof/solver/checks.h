// checks.h: the verify checks that need no string reasoning (identity, port, split level).
//
// RunChecks reports MP1001-MP1007, MP1009-MP1011, MP2005-MP2007, MP3001-MP3003,
// MP3005-MP3012 and MP4001 (identity/port-level differences between profiles) about the
// mesh compiled in `graph`. Findings about requests carry a witness that was re-checked
// against the graph before it is reported.
#pragma once

#include <optional>

#include "meshproof/engine/diagnostics.h"
#include "meshproof/engine/graph.h"

namespace meshproof {

struct CheckOptions {
  /// MP3005: the total every TrafficSplit's weights must sum to (off when nullopt).
  std::optional<double> require_weight_sum;
  /// MP4001: compare the active profile with the others (compiles them).
  bool portability = true;
};

/// Appends the findings about `graph` to `out`. Never fails.
void RunChecks(const RouteGraph& graph, const CheckOptions& options, Diagnostics* out);

}  // namespace meshproof
